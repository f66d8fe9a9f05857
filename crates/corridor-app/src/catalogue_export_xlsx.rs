//! The export as an XLSX workbook, written as a stream: a zip in streaming mode (each entry's
//! sizes in a data descriptor after it, so nothing is sought back to) into a buffer the
//! export drains after each page, with one worksheet of inline strings (no shared-strings
//! table to hold). Memory stays one page however large the catalogue. Cells are typed as
//! strings, which a spreadsheet never evaluates, so formula-looking text needs no escaping
//! here.

use std::io::Write;
use std::sync::{Arc, Mutex};

use crate::catalogue_import::{CatalogueRecord, Field};
use crate::error::{AppError, AppResult};

/// What the zip writer writes into, shared with the export that drains it.
#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Buffer {
    fn take(&self) -> Vec<u8> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

impl Write for Buffer {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn failed(error: impl std::error::Error + Send + Sync + 'static) -> AppError {
    AppError::internal_because("writing the XLSX export", error)
}

const CONTENT_TYPES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/></Types>"#;
const ROOT_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#;
const WORKBOOK: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="仪器设备" sheetId="1" r:id="rId1"/></sheets></workbook>"#;
const WORKBOOK_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>"#;
const STYLES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><fonts count="2"><font><sz val="11"/><name val="Calibri"/></font><font><b/><sz val="11"/><name val="Calibri"/></font></fonts><fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills><borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs><cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/><xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs></styleSheet>"#;

/// An XLSX export in progress.
pub(crate) struct XlsxStream {
    zip: zip::ZipWriter<zip::write::StreamWriter<Buffer>>,
    buffer: Buffer,
    /// The worksheet row written last (1-based).
    row: u64,
}

impl std::fmt::Debug for XlsxStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("XlsxStream")
            .field("row", &self.row)
            .finish()
    }
}

/// The column's letters (0 → A, 25 → Z, 26 → AA).
fn column_name(mut index: usize) -> String {
    let mut name = Vec::new();
    loop {
        name.push(b'A' + (index % 26) as u8);
        if index < 26 {
            break;
        }
        index = index / 26 - 1;
    }
    name.reverse();
    String::from_utf8(name).expect("ASCII letters")
}

/// Text as XML character data: escaped, and without the control characters XML 1.0 cannot
/// hold at all.
fn xml_text(text: &str, out: &mut String) {
    for character in text.chars() {
        match character {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\t' | '\n' | '\r' => out.push(character),
            control
                if (control as u32) < 0x20 || control == '\u{FFFE}' || control == '\u{FFFF}' => {}
            other => out.push(other),
        }
    }
}

impl XlsxStream {
    /// The workbook's fixed parts and the worksheet's start with its row of Chinese headers.
    pub(crate) fn start() -> AppResult<(XlsxStream, Vec<u8>)> {
        let buffer = Buffer::default();
        let mut zip = zip::ZipWriter::new_stream(buffer.clone());
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        let parts = [
            ("[Content_Types].xml", CONTENT_TYPES),
            ("_rels/.rels", ROOT_RELS),
            ("xl/workbook.xml", WORKBOOK),
            ("xl/_rels/workbook.xml.rels", WORKBOOK_RELS),
            ("xl/styles.xml", STYLES),
        ];
        for (name, content) in parts {
            zip.start_file(name, options).map_err(failed)?;
            zip.write_all(content.as_bytes()).map_err(failed)?;
        }
        zip.start_file("xl/worksheets/sheet1.xml", options)
            .map_err(failed)?;
        let mut stream = XlsxStream {
            zip,
            buffer,
            row: 0,
        };
        let mut sheet = String::from(
            r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/></sheetView></sheetViews><sheetData>"#,
        );
        stream.push_row(
            &mut sheet,
            Field::ALL
                .iter()
                .map(|field| (field.header_zh().to_owned(), false)),
            true,
        );
        stream.zip.write_all(sheet.as_bytes()).map_err(failed)?;
        let bytes = stream.buffer.take();
        Ok((stream, bytes))
    }

    /// One row: each cell a number (when `numeric`) or an inline string.
    fn push_row(
        &mut self,
        sheet: &mut String,
        cells: impl Iterator<Item = (String, bool)>,
        header: bool,
    ) {
        self.row += 1;
        let row = self.row;
        sheet.push_str(&format!("<row r=\"{row}\">"));
        for (index, (text, numeric)) in cells.enumerate() {
            if text.is_empty() {
                continue;
            }
            let reference = format!("{}{row}", column_name(index));
            let style = if header { " s=\"1\"" } else { "" };
            if numeric {
                sheet.push_str(&format!("<c r=\"{reference}\"{style}><v>{text}</v></c>"));
            } else {
                sheet.push_str(&format!(
                    "<c r=\"{reference}\"{style} t=\"inlineStr\"><is><t xml:space=\"preserve\">"
                ));
                xml_text(&text, sheet);
                sheet.push_str("</t></is></c>");
            }
        }
        sheet.push_str("</row>");
    }

    /// A page of instruments, and the bytes the zip has written for it so far.
    pub(crate) fn page(&mut self, records: &[CatalogueRecord]) -> AppResult<Vec<u8>> {
        let mut sheet = String::with_capacity(records.len() * 1024);
        for record in records {
            let cells = Field::ALL
                .iter()
                .map(|field| (record.text(*field), *field == Field::InstitutionId));
            self.push_row(&mut sheet, cells, false);
        }
        self.zip.write_all(sheet.as_bytes()).map_err(failed)?;
        Ok(self.buffer.take())
    }

    /// The worksheet's end and the zip's central directory.
    pub(crate) fn finish(mut self) -> AppResult<Vec<u8>> {
        self.zip
            .write_all(b"</sheetData></worksheet>")
            .map_err(failed)?;
        self.zip.finish().map_err(failed)?;
        Ok(self.buffer.take())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_are_named_as_spreadsheets_name_them() {
        assert_eq!(column_name(0), "A");
        assert_eq!(column_name(21), "V");
        assert_eq!(column_name(26), "AA");
        assert_eq!(column_name(27), "AB");
    }

    #[test]
    fn text_is_escaped_for_xml() {
        let mut out = String::new();
        xml_text("a<b & \"c\"\u{0001}>", &mut out);
        assert_eq!(out, "a&lt;b &amp; &quot;c&quot;&gt;");
    }
}
