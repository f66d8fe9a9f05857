//! The wire types of catalogue files: the check's and the apply's report, and the export's
//! JSON rows (documented here; the export writes them itself, page by page).

use corridor_app::catalogue::CheckedFile;
use corridor_app::catalogue_import::{ImportReport, PlannedChange, Severity};
use corridor_domain::Language;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// A catalogue file's bytes as they are (CSV or XLSX).
#[derive(ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct CatalogueFileBody(pub Vec<u8>);

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CatalogueCheckParams {
    /// The file lists every instrument of the institution: the others would be withdrawn.
    pub complete: Option<bool>,
    /// The file's name, for the report and the audit trail (at most 200 characters).
    pub file_name: Option<String>,
}

/// Applies a checked file.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CatalogueApplyBody {
    /// The "file is complete" choice the report was read with.
    pub complete: bool,
    /// The `plan` of that report: the apply writes only when the file would still do this.
    pub plan: String,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CatalogueExportParams {
    /// `csv` (UTF-8 with a byte-order mark, Chinese headers), `json` (an array of objects
    /// keyed by the English headers) or `xlsx` (one worksheet, Chinese headers).
    pub format: String,
    /// Only this institution's instruments.
    pub institution: Option<i64>,
}

/// A file refused as a whole.
#[derive(Debug, Serialize, ToSchema)]
pub struct FileRefusalDto {
    /// What kind of refusal (`too_large`, `unknown_encoding`, `zip_bomb`, `missing_columns`, …).
    pub kind: String,
    pub message_en: String,
    pub message_zh: String,
}

/// One problem of the file, where it is and what it is, in both languages.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportProblemDto {
    /// The spreadsheet's 1-based row.
    pub row: Option<u32>,
    /// The column's letter.
    pub column: Option<String>,
    /// The column's header as the file wrote it.
    pub header: Option<String>,
    /// `error` (the file cannot be applied) or `warning`.
    pub severity: String,
    /// What kind of problem (`missing`, `duplicate_asset_number`, `unknown_category`, …).
    pub kind: String,
    pub message_en: String,
    pub message_zh: String,
}

/// One instrument the file creates, changes or withdraws.
#[derive(Debug, Serialize, ToSchema)]
pub struct PlannedChangeDto {
    /// The file's row (absent for a withdrawal).
    pub row: Option<u32>,
    pub asset_number: String,
    pub name: String,
    /// The instrument (absent for one still to be created).
    pub instrument_id: Option<i64>,
    /// The fields that change, by their English headers.
    pub fields: Vec<String>,
}

/// What a file would do (a check) or did (an apply).
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportReportDto {
    pub institution_id: i64,
    /// Checked as a complete file.
    pub complete: bool,
    /// Whether the changes were written.
    pub applied: bool,
    /// Set when the file was refused as a whole; nothing else of it was read.
    pub refusal: Option<FileRefusalDto>,
    /// How the file was read (`UTF-8`, `GB18030`, `XLSX`, …).
    pub encoding: Option<String>,
    pub header_row: Option<u32>,
    /// Data rows read.
    pub rows: u32,
    pub errors: u32,
    pub warnings: u32,
    /// Every problem, by row and column.
    pub problems: Vec<ImportProblemDto>,
    pub created: Vec<PlannedChangeDto>,
    pub changed: Vec<PlannedChangeDto>,
    pub withdrawn: Vec<PlannedChangeDto>,
    pub unchanged: u32,
    /// The file was read without errors and changes nothing.
    pub changes_nothing: bool,
}

/// A checked file, kept for its apply.
#[derive(Debug, Serialize, ToSchema)]
pub struct CatalogueCheckDto {
    /// The file's SHA-256 (lowercase hex): its name in the apply's path. Kept a day.
    pub file: String,
    pub file_name: String,
    /// The digest of what the file would do; the apply presents it back.
    pub plan: String,
    /// Whether an apply would write something (read, no errors, changes something).
    pub may_apply: bool,
    pub report: ImportReportDto,
}

/// One instrument of the JSON export: the national field set keyed by its English headers,
/// every value a string but the institution's id.
#[derive(Debug, Serialize, ToSchema)]
pub struct CatalogueRecordDto {
    pub institution_id: i64,
    pub institution: String,
    pub asset_number: String,
    pub name: String,
    pub name_en: String,
    pub classification_code: String,
    pub model: String,
    pub manufacturer: String,
    pub country_of_origin: String,
    /// Exact decimal yuan ("1234.50").
    pub purchase_value_yuan: String,
    /// YYYY-MM-DD, or empty.
    pub purchase_date: String,
    pub location: String,
    pub key_specifications: String,
    pub main_functions: String,
    pub services: String,
    pub rates: String,
    pub access_policy: String,
    pub booking_mode: String,
    pub contact_name: String,
    pub contact_phone: String,
    pub contact_email: String,
    pub status: String,
}

fn kind_of(value: &impl Serialize) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|value| {
            value
                .get("kind")
                .and_then(|kind| kind.as_str().map(str::to_owned))
        })
        .unwrap_or_default()
}

fn changes(changes: &[PlannedChange]) -> Vec<PlannedChangeDto> {
    changes
        .iter()
        .map(|change| PlannedChangeDto {
            row: change.row,
            asset_number: change.asset_number.clone(),
            name: change.name.clone(),
            instrument_id: change.instrument.map(|id| id.0),
            fields: change
                .fields
                .iter()
                .map(|field| field.key().to_owned())
                .collect(),
        })
        .collect()
}

impl From<&ImportReport> for ImportReportDto {
    fn from(report: &ImportReport) -> ImportReportDto {
        ImportReportDto {
            institution_id: report.institution,
            complete: report.complete,
            applied: report.applied,
            refusal: report.refusal.as_ref().map(|refusal| FileRefusalDto {
                kind: kind_of(refusal),
                message_en: refusal.message(Language::English),
                message_zh: refusal.message(Language::Chinese),
            }),
            encoding: report.encoding.clone(),
            header_row: report.header_row,
            rows: report.rows,
            errors: u32::try_from(report.errors()).unwrap_or(u32::MAX),
            warnings: u32::try_from(report.warnings()).unwrap_or(u32::MAX),
            problems: report
                .problems
                .iter()
                .map(|problem| ImportProblemDto {
                    row: problem.row,
                    column: problem.column.clone(),
                    header: problem.header.clone(),
                    severity: match problem.severity {
                        Severity::Error => "error",
                        Severity::Warning => "warning",
                    }
                    .to_owned(),
                    kind: kind_of(&problem.kind),
                    message_en: problem.message(Language::English),
                    message_zh: problem.message(Language::Chinese),
                })
                .collect(),
            created: changes(&report.created),
            changed: changes(&report.changed),
            withdrawn: changes(&report.withdrawn),
            unchanged: report.unchanged,
            changes_nothing: report.acceptable() && report.changes_nothing(),
        }
    }
}

impl From<&CheckedFile> for CatalogueCheckDto {
    fn from(checked: &CheckedFile) -> CatalogueCheckDto {
        CatalogueCheckDto {
            file: checked.sha256.clone(),
            file_name: checked.file_name.clone(),
            plan: checked.plan.clone(),
            may_apply: checked.may_apply(),
            report: ImportReportDto::from(&checked.report),
        }
    }
}
