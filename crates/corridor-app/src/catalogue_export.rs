//! The public catalogue as open data: every instrument that is not withdrawn (of one
//! institution, or all, grouped by institution), in the national field set, as CSV (UTF-8 with a byte-order mark,
//! which Excel needs to read Chinese) or JSON (one array of objects keyed by the English
//! headers). The store is read a page at a time and each page written out before the next
//! is read, so memory stays flat however large the catalogue.
//!
//! A cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return would be taken for
//! a formula by a spreadsheet; it is written with a leading apostrophe (OWASP's advice for
//! CSV injection), which a re-import removes again.

use std::io::Write;

use corridor_domain::{InstitutionId, InstrumentId};
use corridor_store::Store;

use crate::catalogue_import::{CatalogueRecord, Field};
use crate::error::{AppError, AppResult};

/// Instruments read from the store per page.
pub const EXPORT_PAGE: u32 = 2_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Csv,
    Json,
}

impl ExportFormat {
    pub fn parse(text: &str) -> AppResult<ExportFormat> {
        match text {
            "csv" => Ok(ExportFormat::Csv),
            "json" => Ok(ExportFormat::Json),
            other => Err(AppError::invalid(
                "format",
                format!("{other:?} is not csv or json"),
            )),
        }
    }
}

/// What an export wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ExportSummary {
    pub instruments: u64,
    pub bytes: u64,
}

/// Whether a spreadsheet would read `text` as a formula.
pub fn looks_like_formula(text: &str) -> bool {
    text.starts_with(['=', '+', '-', '@', '\t', '\r'])
}

/// `text` made safe for a spreadsheet cell.
pub fn escape_formula(text: &str) -> std::borrow::Cow<'_, str> {
    if looks_like_formula(text) {
        std::borrow::Cow::Owned(format!("'{text}"))
    } else {
        std::borrow::Cow::Borrowed(text)
    }
}

/// Counts what passes through to the writer.
struct Counting<W> {
    inner: W,
    bytes: u64,
}

impl<W: Write> Write for Counting<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let written = self.inner.write(buf)?;
        self.bytes += written as u64;
        Ok(written)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

fn io_error(error: impl std::error::Error + Send + Sync + 'static) -> AppError {
    AppError::internal_because("writing the export", error)
}

/// Writes the public catalogue (of `institution`, or all) to `out`.
pub async fn export_catalogue(
    store: &dyn Store,
    institution: Option<InstitutionId>,
    format: ExportFormat,
    out: impl Write,
) -> AppResult<ExportSummary> {
    if let Some(institution) = institution {
        store
            .institution(institution)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("no institution {}", institution.0)))?;
    }
    let mut out = Counting {
        inner: std::io::BufWriter::with_capacity(256 * 1024, out),
        bytes: 0,
    };
    match format {
        ExportFormat::Csv => {
            out.write_all(b"\xEF\xBB\xBF").map_err(io_error)?;
            let header: Vec<&str> = Field::ALL.iter().map(|field| field.header_zh()).collect();
            out.write_all(&csv_rows(std::iter::once(header))?)
                .map_err(io_error)?;
        }
        ExportFormat::Json => out.write_all(b"[").map_err(io_error)?,
    }
    let mut after: Option<(InstitutionId, InstrumentId)> = None;
    let mut instruments = 0u64;
    loop {
        let page = store
            .public_catalogue_page(institution, after, EXPORT_PAGE)
            .await?;
        let Some(last) = page.last() else { break };
        after = Some((last.instrument.institution, last.instrument.id));
        let records = page.iter().map(CatalogueRecord::of_entry);
        match format {
            // A page's CSV is written as one block.
            ExportFormat::Csv => {
                let rows = records.map(|record| {
                    Field::ALL
                        .iter()
                        .map(|field| escape_formula(&record.text(*field)).into_owned())
                        .collect::<Vec<String>>()
                });
                out.write_all(&csv_rows(rows)?).map_err(io_error)?;
            }
            ExportFormat::Json => {
                for (index, record) in records.enumerate() {
                    if instruments > 0 || index > 0 {
                        out.write_all(b",").map_err(io_error)?;
                    }
                    out.write_all(b"\n").map_err(io_error)?;
                    serde_json::to_writer(&mut out, &json_object(&record)).map_err(io_error)?;
                }
            }
        }
        instruments += page.len() as u64;
        if page.len() < EXPORT_PAGE as usize {
            break;
        }
    }
    if format == ExportFormat::Json {
        out.write_all(b"\n]\n").map_err(io_error)?;
    }
    out.flush().map_err(io_error)?;
    Ok(ExportSummary {
        instruments,
        bytes: out.bytes,
    })
}

/// Rows as CSV (quoted where needed, CRLF-free `\n` line ends).
fn csv_rows<R, F>(rows: impl IntoIterator<Item = R>) -> AppResult<Vec<u8>>
where
    R: IntoIterator<Item = F>,
    F: AsRef<[u8]>,
{
    let mut writer = csv::WriterBuilder::new()
        .has_headers(false)
        .from_writer(Vec::with_capacity(1 << 20));
    for row in rows {
        writer.write_record(row).map_err(io_error)?;
    }
    writer
        .into_inner()
        .map_err(|error| io_error(error.into_error()))
}

/// The JSON object of one record: strings keyed by the English headers (the purchase value
/// as exact decimal yuan, "1234.50") and the institution as its id. JSON is not read by
/// spreadsheets, so it needs no formula escaping.
fn json_object(record: &CatalogueRecord) -> serde_json::Map<String, serde_json::Value> {
    Field::ALL
        .iter()
        .map(|field| {
            let value = match field {
                Field::InstitutionId => serde_json::Value::from(record.institution.0),
                _ => serde_json::Value::String(record.text(*field)),
            };
            (field.key().to_owned(), value)
        })
        .collect()
}
