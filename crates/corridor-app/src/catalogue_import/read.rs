//! From a file's bytes to a table of cells, refusing what is not a catalogue file before
//! reading all of it: the size, the number of rows and columns and the length of a cell are
//! bounded, an XLSX file's zip directory is checked before anything is unpacked, and text
//! must be UTF-8 (with or without a byte-order mark) or GB18030 (which includes GBK).

use std::io::{Cursor, Read, Seek};

use super::problems::FileRefusal;

/// The largest file accepted, in bytes (the whole demo region's 56,000 instruments export to
/// about half of it).
pub const LARGEST_FILE_BYTES: u64 = 80 * 1024 * 1024;
/// The most data rows one file may hold.
pub const MOST_ROWS: usize = 100_000;
/// The most columns a row may have.
pub const MOST_COLUMNS: usize = 200;
/// The longest cell, in bytes of UTF-8 (Excel's own limit is 32,767 characters).
pub const LONGEST_CELL_BYTES: usize = 64 * 1024;
/// What the entries of an XLSX file may unpack to, together, as its zip directory declares.
pub const LARGEST_UNPACKED_BYTES: u64 = 512 * 1024 * 1024;
/// How much larger than its packed size an entry may declare itself (real spreadsheets
/// compress about 10:1; a zip bomb by thousands).
pub const HIGHEST_PACKING_RATIO: u64 = 200;
/// The most entries an XLSX file may hold.
pub const MOST_ZIP_ENTRIES: usize = 1_000;

/// One cell as the file holds it.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Empty,
    Text(String),
    Number(f64),
    /// An Excel date serial (days since 1899-12-30).
    Date(f64),
    Bool(bool),
}

impl Cell {
    /// The cell as text: what CSV would have held (numbers in their shortest form).
    pub fn as_text(&self) -> Option<String> {
        match self {
            Cell::Empty => None,
            Cell::Text(text) => Some(text.clone()),
            Cell::Number(number) | Cell::Date(number) => Some(number_text(*number)),
            Cell::Bool(value) => Some(value.to_string()),
        }
    }

    pub fn is_blank(&self) -> bool {
        match self {
            Cell::Empty => true,
            Cell::Text(text) => text.trim().is_empty(),
            _ => false,
        }
    }
}

/// A number without a spurious fraction: 1200 rather than 1200.0.
pub fn number_text(number: f64) -> String {
    if number.fract() == 0.0 && number.abs() < 1e15 {
        format!("{}", number as i64)
    } else {
        format!("{number}")
    }
}

/// The rows of the file's first sheet (or of the CSV file), each as long as it was written.
#[derive(Debug, Clone, Default)]
pub struct Table {
    pub rows: Vec<Vec<Cell>>,
    /// How the text was encoded, for the report.
    pub encoding: &'static str,
}

impl Table {
    pub fn width(&self) -> usize {
        self.rows.iter().map(Vec::len).max().unwrap_or(0)
    }
}

/// The kind of file, from its first bytes (a name's extension is not trusted).
fn is_zip(bytes: &[u8]) -> bool {
    bytes.starts_with(b"PK\x03\x04")
}

/// The old binary Excel format (an OLE compound file).
fn is_ole(bytes: &[u8]) -> bool {
    bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1])
}

/// Reads `bytes` as an XLSX workbook or a CSV file.
pub fn read_table(bytes: &[u8]) -> Result<Table, FileRefusal> {
    if bytes.len() as u64 > LARGEST_FILE_BYTES {
        return Err(FileRefusal::TooLarge {
            bytes: bytes.len() as u64,
            limit: LARGEST_FILE_BYTES,
        });
    }
    if bytes.iter().all(|byte| byte.is_ascii_whitespace()) {
        return Err(FileRefusal::Empty);
    }
    if is_zip(bytes) {
        read_xlsx(bytes)
    } else if is_ole(bytes) {
        Err(FileRefusal::OldExcelFormat)
    } else {
        read_csv(bytes)
    }
}

/// Decodes CSV text: UTF-8 with or without a byte-order mark, else GB18030 (a superset of
/// GBK and GB2312). Text with NUL bytes or that neither decodes is refused.
pub fn decode_text(bytes: &[u8]) -> Result<(String, &'static str), FileRefusal> {
    let sample = &bytes[..bytes.len().min(64 * 1024)];
    if sample.contains(&0) {
        return Err(FileRefusal::NotText);
    }
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return std::str::from_utf8(rest)
            .map(|text| (text.to_owned(), "UTF-8 (BOM)"))
            .map_err(|_| FileRefusal::UnknownEncoding);
    }
    if bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF") {
        let (decoded, encoding, had_errors) = encoding_rs::UTF_16LE.decode(bytes);
        if had_errors {
            return Err(FileRefusal::UnknownEncoding);
        }
        return Ok((decoded.into_owned(), encoding.name()));
    }
    if let Ok(text) = std::str::from_utf8(bytes) {
        return Ok((text.to_owned(), "UTF-8"));
    }
    match encoding_rs::GB18030.decode_without_bom_handling_and_without_replacement(bytes) {
        Some(text) if !looks_like_binary(&text) => Ok((text.into_owned(), "GB18030")),
        _ => Err(FileRefusal::UnknownEncoding),
    }
}

/// Control characters other than tabs and line ends are not in any catalogue: a file full of
/// them is binary that happened to decode.
fn looks_like_binary(text: &str) -> bool {
    let controls = text
        .chars()
        .take(64 * 1024)
        .filter(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
        .count();
    controls > 16
}

fn read_csv(bytes: &[u8]) -> Result<Table, FileRefusal> {
    let (text, encoding) = decode_text(bytes)?;
    if looks_like_binary(&text) {
        return Err(FileRefusal::NotText);
    }
    // A semicolon- or tab-separated export is read too: the delimiter is the one the first
    // line holds most of.
    let first_line = text.lines().next().unwrap_or_default();
    let delimiter = [b',', b';', b'\t']
        .into_iter()
        .max_by_key(|delimiter| first_line.bytes().filter(|byte| byte == delimiter).count())
        .unwrap_or(b',');
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    let mut record = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(error) => {
                return Err(FileRefusal::Malformed {
                    detail: error.to_string(),
                })
            }
        }
        if record.len() > MOST_COLUMNS {
            return Err(FileRefusal::TooManyColumns {
                columns: record.len(),
                limit: MOST_COLUMNS,
            });
        }
        if rows.len() > MOST_ROWS + HEADER_ROWS_ALLOWED {
            return Err(FileRefusal::TooManyRows { limit: MOST_ROWS });
        }
        let mut row = Vec::with_capacity(record.len());
        for field in record.iter() {
            if field.len() > LONGEST_CELL_BYTES {
                return Err(FileRefusal::CellTooLong {
                    row: rows.len() + 1,
                    limit: LONGEST_CELL_BYTES,
                });
            }
            row.push(if field.is_empty() {
                Cell::Empty
            } else {
                Cell::Text(field.to_owned())
            });
        }
        rows.push(row);
    }
    drop_trailing_blank_rows(&mut rows);
    Ok(Table { rows, encoding })
}

/// Title rows and a two-level header may come before the data.
const HEADER_ROWS_ALLOWED: usize = 20;

fn drop_trailing_blank_rows(rows: &mut Vec<Vec<Cell>>) {
    while rows
        .last()
        .is_some_and(|row| row.iter().all(Cell::is_blank))
    {
        rows.pop();
    }
}

/// Checks an XLSX file's zip directory before anything is unpacked: the number of entries,
/// the declared sizes and each entry's packing ratio.
fn check_zip_directory<R: Read + Seek>(reader: R) -> Result<(), FileRefusal> {
    let mut archive = zip::ZipArchive::new(reader).map_err(|error| FileRefusal::BrokenZip {
        detail: error.to_string(),
    })?;
    if archive.len() > MOST_ZIP_ENTRIES {
        return Err(FileRefusal::ZipBomb);
    }
    let mut total: u64 = 0;
    for index in 0..archive.len() {
        let entry = archive
            .by_index_raw(index)
            .map_err(|error| FileRefusal::BrokenZip {
                detail: error.to_string(),
            })?;
        let unpacked = entry.size();
        let packed = entry.compressed_size().max(1);
        total = total.saturating_add(unpacked);
        if unpacked > 1024 * 1024 && unpacked / packed > HIGHEST_PACKING_RATIO {
            return Err(FileRefusal::ZipBomb);
        }
    }
    if total > LARGEST_UNPACKED_BYTES {
        return Err(FileRefusal::ZipBomb);
    }
    Ok(())
}

fn read_xlsx(bytes: &[u8]) -> Result<Table, FileRefusal> {
    use calamine::{DataRef, Reader};

    check_zip_directory(Cursor::new(bytes))?;
    let mut workbook = calamine::open_workbook_from_rs::<calamine::Xlsx<_>, _>(Cursor::new(bytes))
        .map_err(|error| FileRefusal::BrokenWorkbook {
            detail: error.to_string(),
        })?;
    let sheet = workbook
        .sheet_names()
        .first()
        .cloned()
        .ok_or(FileRefusal::Empty)?;
    let mut cells =
        workbook
            .worksheet_cells_reader(&sheet)
            .map_err(|error| FileRefusal::BrokenWorkbook {
                detail: error.to_string(),
            })?;
    // Cells are streamed and placed one by one, so a sheet that declares a huge range but
    // holds little costs only what it holds, and one that holds too much is refused at the
    // first cell beyond the limits.
    let mut rows: Vec<Vec<Cell>> = Vec::new();
    while let Some(cell) = cells
        .next_cell()
        .map_err(|error| FileRefusal::BrokenWorkbook {
            detail: error.to_string(),
        })?
    {
        let (row, column) = cell.get_position();
        let (row, column) = (row as usize, column as usize);
        if column >= MOST_COLUMNS {
            return Err(FileRefusal::TooManyColumns {
                columns: column + 1,
                limit: MOST_COLUMNS,
            });
        }
        if row > MOST_ROWS + HEADER_ROWS_ALLOWED {
            return Err(FileRefusal::TooManyRows { limit: MOST_ROWS });
        }
        let value = match cell.get_value() {
            DataRef::Empty | DataRef::Error(_) => Cell::Empty,
            DataRef::Int(value) => Cell::Number(*value as f64),
            DataRef::Float(value) => Cell::Number(*value),
            DataRef::Bool(value) => Cell::Bool(*value),
            DataRef::DateTime(value) => Cell::Date(value.as_f64()),
            DataRef::String(text) | DataRef::DateTimeIso(text) | DataRef::DurationIso(text) => {
                Cell::Text(text.clone())
            }
            DataRef::SharedString(text) => Cell::Text((*text).to_owned()),
        };
        if let Cell::Text(text) = &value {
            if text.len() > LONGEST_CELL_BYTES {
                return Err(FileRefusal::CellTooLong {
                    row: row + 1,
                    limit: LONGEST_CELL_BYTES,
                });
            }
        }
        if value == Cell::Empty {
            continue;
        }
        if rows.len() <= row {
            rows.resize_with(row + 1, Vec::new);
        }
        let cells_of_row = &mut rows[row];
        if cells_of_row.len() <= column {
            cells_of_row.resize(column + 1, Cell::Empty);
        }
        cells_of_row[column] = value;
    }
    drop_trailing_blank_rows(&mut rows);
    Ok(Table {
        rows,
        encoding: "XLSX",
    })
}
