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
    /// One worksheet with the Chinese headers, streamed (`catalogue_export_xlsx.rs`).
    Xlsx,
}

impl ExportFormat {
    /// The media type of the file.
    pub fn content_type(self) -> &'static str {
        match self {
            ExportFormat::Csv => "text/csv; charset=utf-8",
            ExportFormat::Json => "application/json",
            ExportFormat::Xlsx => {
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
        }
    }

    /// The file name's extension.
    pub fn extension(self) -> &'static str {
        match self {
            ExportFormat::Csv => "csv",
            ExportFormat::Json => "json",
            ExportFormat::Xlsx => "xlsx",
        }
    }

    pub fn parse(text: &str) -> AppResult<ExportFormat> {
        match text {
            "csv" => Ok(ExportFormat::Csv),
            "json" => Ok(ExportFormat::Json),
            "xlsx" => Ok(ExportFormat::Xlsx),
            other => Err(AppError::invalid(
                "format",
                format!("{other:?} is not csv, json or xlsx"),
            )),
        }
    }
}

/// Raised whenever the export's bytes change for the same stored catalogue (a new column, a
/// new escaping rule), so that no client keeps an old file under a validator that matches.
const EXPORT_LAYOUT_VERSION: u32 = 1;

/// How long after a change-log number is first seen its validator is not trusted with a
/// 304 on PostgreSQL, where numbers commit out of order, so a change with a lower number may
/// still commit behind the newest one (the change-log followers wait as long for it). SQLite's
/// single writer commits them in order: its validators are settled at once.
pub const UNSETTLED_FOR: std::time::Duration = std::time::Duration::from_secs(60);

/// When this node first saw the newest change-log number.
#[derive(Default)]
pub struct ExportClock(std::sync::Mutex<Option<(i64, std::time::Instant)>>);

impl ExportClock {
    /// Whether `latest` was first seen longer than [`UNSETTLED_FOR`] ago.
    fn settled(&self, latest: i64) -> bool {
        let mut seen = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match *seen {
            Some((number, since)) if number == latest => since.elapsed() >= UNSETTLED_FOR,
            _ => {
                *seen = Some((latest, std::time::Instant::now()));
                false
            }
        }
    }
}

/// An export's validator: an entity tag that changes with every change to the catalogue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportVersion {
    /// The quoted entity tag, as the `ETag` header carries it.
    pub etag: String,
    /// Whether a client holding this tag may be told "not modified": false while a change
    /// could still commit under an older number.
    pub settled: bool,
}

impl crate::catalogue::Catalogue<'_> {
    /// The validator of the export of `institution` (or all) in `format`, from the newest
    /// entry of the change log, which every change to an instrument writes in its
    /// transaction: the store is not read through to compute it.
    pub async fn catalogue_export_version(
        &self,
        institution: Option<InstitutionId>,
        format: ExportFormat,
    ) -> AppResult<ExportVersion> {
        use sha2::{Digest, Sha256};
        let latest = self.store.latest_change_number().await?;
        let tag = Sha256::digest(format!(
            "{EXPORT_LAYOUT_VERSION} {} {:?} {latest}",
            format.extension(),
            institution.map(|id| id.0)
        ));
        let settled = match self.store.backend() {
            corridor_store::Backend::Sqlite => true,
            corridor_store::Backend::Postgres => self.export_clock.settled(latest),
        };
        Ok(ExportVersion {
            etag: format!("\"{}\"", &format!("{tag:x}")[..32]),
            settled,
        })
    }

    /// Starts an export of the public catalogue (404 for an unknown institution); the caller
    /// reads it chunk by chunk with [`crate::catalogue::Catalogue::catalogue_export_chunk`].
    pub async fn start_catalogue_export(
        &self,
        institution: Option<InstitutionId>,
        format: ExportFormat,
    ) -> AppResult<CatalogueExport> {
        CatalogueExport::start(self.store, institution, format).await
    }

    /// The export's next chunk, or `None` once it is complete.
    pub async fn catalogue_export_chunk(
        &self,
        export: &mut CatalogueExport,
    ) -> AppResult<Option<Vec<u8>>> {
        export.next_chunk(self.store).await
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
    let mut export = CatalogueExport::start(store, institution, format).await?;
    let mut out = Counting {
        inner: std::io::BufWriter::with_capacity(256 * 1024, out),
        bytes: 0,
    };
    while let Some(chunk) = export.next_chunk(store).await? {
        out.write_all(&chunk).map_err(io_error)?;
    }
    out.flush().map_err(io_error)?;
    Ok(ExportSummary {
        instruments: export.instruments,
        bytes: out.bytes,
    })
}

/// An export in progress, handed out a chunk at a time: the header, then one chunk per page
/// of the store, then the end. The HTTP edge streams the chunks as the client reads them,
/// so a download holds one page in memory however large the catalogue. It owns no borrow of
/// the store, so that a response body can carry it.
#[derive(Debug)]
pub struct CatalogueExport {
    institution: Option<InstitutionId>,
    format: ExportFormat,
    after: Option<(InstitutionId, InstrumentId)>,
    stage: Stage,
    /// The workbook being written, for an XLSX export.
    xlsx: Option<crate::catalogue_export_xlsx::XlsxStream>,
    /// Instruments written so far.
    pub instruments: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    Header,
    Pages,
    Trailer,
    Done,
}

impl CatalogueExport {
    /// An export of the public catalogue of `institution` (404 when there is no such
    /// institution), or of all.
    pub async fn start(
        store: &dyn Store,
        institution: Option<InstitutionId>,
        format: ExportFormat,
    ) -> AppResult<CatalogueExport> {
        if let Some(institution) = institution {
            store
                .institution(institution)
                .await?
                .ok_or_else(|| AppError::NotFound(format!("no institution {}", institution.0)))?;
        }
        Ok(CatalogueExport {
            institution,
            format,
            after: None,
            stage: Stage::Header,
            xlsx: None,
            instruments: 0,
        })
    }

    /// The next chunk of the file, or `None` once it is complete.
    pub async fn next_chunk(&mut self, store: &dyn Store) -> AppResult<Option<Vec<u8>>> {
        match self.stage {
            Stage::Header => {
                self.stage = Stage::Pages;
                Ok(Some(match self.format {
                    ExportFormat::Csv => {
                        let header: Vec<&str> =
                            Field::ALL.iter().map(|field| field.header_zh()).collect();
                        let mut bytes = b"\xEF\xBB\xBF".to_vec();
                        bytes.extend(csv_rows(std::iter::once(header))?);
                        bytes
                    }
                    ExportFormat::Json => b"[".to_vec(),
                    ExportFormat::Xlsx => {
                        let (stream, bytes) = crate::catalogue_export_xlsx::XlsxStream::start()?;
                        self.xlsx = Some(stream);
                        bytes
                    }
                }))
            }
            Stage::Pages => {
                let page = store
                    .public_catalogue_page(self.institution, self.after, EXPORT_PAGE)
                    .await?;
                if page.len() < EXPORT_PAGE as usize {
                    self.stage = Stage::Trailer;
                }
                let Some(last) = page.last() else {
                    return Ok(Some(Vec::new()));
                };
                self.after = Some((last.instrument.institution, last.instrument.id));
                let records = page.iter().map(CatalogueRecord::of_entry);
                let chunk = match self.format {
                    // A page's CSV is written as one block.
                    ExportFormat::Csv => csv_rows(records.map(|record| {
                        Field::ALL
                            .iter()
                            .map(|field| escape_formula(&record.text(*field)).into_owned())
                            .collect::<Vec<String>>()
                    }))?,
                    ExportFormat::Json => {
                        let mut bytes = Vec::with_capacity(page.len() * 1024);
                        for (index, record) in records.enumerate() {
                            if self.instruments > 0 || index > 0 {
                                bytes.push(b',');
                            }
                            bytes.push(b'\n');
                            serde_json::to_writer(&mut bytes, &json_object(&record))
                                .map_err(io_error)?;
                        }
                        bytes
                    }
                    ExportFormat::Xlsx => {
                        let records: Vec<CatalogueRecord> = records.collect();
                        match self.xlsx.as_mut() {
                            Some(stream) => stream.page(&records)?,
                            None => return Err(AppError::internal("the workbook was not started")),
                        }
                    }
                };
                self.instruments += page.len() as u64;
                Ok(Some(chunk))
            }
            Stage::Trailer => {
                self.stage = Stage::Done;
                Ok(Some(match self.format {
                    ExportFormat::Csv => Vec::new(),
                    ExportFormat::Json => b"\n]\n".to_vec(),
                    ExportFormat::Xlsx => match self.xlsx.take() {
                        Some(stream) => stream.finish()?,
                        None => Vec::new(),
                    },
                }))
            }
            Stage::Done => Ok(None),
        }
    }
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
