//! Importing an institution's catalogue file: CSV or XLSX with the national platform's
//! Chinese headers or their English equivalents (`fields.rs`, the template in
//! docs/CATALOGUE_IMPORT.md).
//!
//! The file is read and checked without any I/O (`read.rs` refuses what is not a catalogue
//! file before reading all of it, `validate.rs` reads every row by the header map and records
//! each problem by row and column, `plan.rs` compares the rows with the stored instruments),
//! so a dry run and an apply decide alike and the rules are tested without a database. The
//! apply is one store transaction: upserts by (institution, asset number), and with a file
//! declared complete the institution's instruments it does not name are withdrawn (hidden
//! from search and booking, never deleted). A file with any error is not applied at all.

pub mod fields;
pub mod plan;
pub mod problems;
pub mod read;
pub mod record;
pub mod validate;
pub mod values;

use std::collections::HashSet;

use corridor_domain::{InstitutionId, Language, Site, TimeZoneName};
use corridor_store::{CatalogueEntry, CatalogueImportWrites};
use jiff::civil::Date;
use serde::Serialize;

pub use self::fields::Field;
pub use self::plan::PlannedChange;
pub use self::problems::{FileRefusal, Problem, ProblemKind, Severity};
pub use self::record::{CatalogueRecord, OperatingStatus};

use self::fields::column_letter;

/// How to import a file.
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// Report what would happen and write nothing.
    pub dry_run: bool,
    /// The file lists every instrument of the institution: the others are withdrawn.
    pub complete: bool,
    /// The file's name, for the audit trail.
    pub file_name: String,
}

/// What an import found and did (or, in a dry run, would do).
#[derive(Debug, Clone, Default, Serialize)]
pub struct ImportReport {
    pub institution: i64,
    pub dry_run: bool,
    pub complete: bool,
    /// Set when the file was refused as a whole.
    pub refusal: Option<FileRefusal>,
    /// The text encoding or container the file was read as.
    pub encoding: Option<String>,
    /// The 1-based row the headers were found in.
    pub header_row: Option<u32>,
    /// Data rows read (blank rows are not counted).
    pub rows: u32,
    pub problems: Vec<Problem>,
    pub created: Vec<PlannedChange>,
    pub changed: Vec<PlannedChange>,
    pub withdrawn: Vec<PlannedChange>,
    pub unchanged: u32,
    /// Whether the changes were written.
    pub applied: bool,
}

impl ImportReport {
    pub fn errors(&self) -> usize {
        self.problems
            .iter()
            .filter(|problem| problem.severity == Severity::Error)
            .count()
    }

    pub fn warnings(&self) -> usize {
        self.problems.len() - self.errors()
    }

    /// Whether the file can be applied: read, and without errors.
    pub fn acceptable(&self) -> bool {
        self.refusal.is_none() && self.errors() == 0
    }

    /// Whether applying the file changes nothing.
    pub fn changes_nothing(&self) -> bool {
        self.created.is_empty() && self.changed.is_empty() && self.withdrawn.is_empty()
    }

    /// The report as text in `language`: the counts, then every problem, then what changes.
    pub fn to_text(&self, language: Language) -> String {
        let zh = language == Language::Chinese;
        let mut text = String::new();
        if let Some(refusal) = &self.refusal {
            text.push_str(&if zh {
                format!(
                    "文件被拒绝：{}\n未写入任何内容。\n",
                    refusal.message(language)
                )
            } else {
                format!(
                    "file refused: {}\nnothing was written.\n",
                    refusal.message(language)
                )
            });
            return text;
        }
        text.push_str(&if zh {
            format!(
                "读取 {} 行（{}，表头在第 {} 行）：新增 {}，修改 {}，撤下 {}，不变 {}；错误 {}，警告 {}。\n",
                self.rows,
                self.encoding.as_deref().unwrap_or_default(),
                self.header_row.unwrap_or_default(),
                self.created.len(),
                self.changed.len(),
                self.withdrawn.len(),
                self.unchanged,
                self.errors(),
                self.warnings()
            )
        } else {
            format!(
                "read {} rows ({}, headers in row {}): {} to create, {} to change, {} to withdraw, {} unchanged; {} errors, {} warnings.\n",
                self.rows,
                self.encoding.as_deref().unwrap_or_default(),
                self.header_row.unwrap_or_default(),
                self.created.len(),
                self.changed.len(),
                self.withdrawn.len(),
                self.unchanged,
                self.errors(),
                self.warnings()
            )
        });
        for problem in &self.problems {
            let label = match (problem.severity, zh) {
                (Severity::Error, false) => "error",
                (Severity::Warning, false) => "warning",
                (Severity::Error, true) => "错误",
                (Severity::Warning, true) => "警告",
            };
            text.push_str(&format!("  {label}: {}\n", problem.message(language)));
        }
        let lists = [
            (&self.created, "create", "新增"),
            (&self.changed, "change", "修改"),
            (&self.withdrawn, "withdraw", "撤下"),
        ];
        for (changes, english, chinese) in lists {
            for change in changes {
                let fields: Vec<&str> = change.fields.iter().map(|field| field.key()).collect();
                text.push_str(&format!(
                    "  {} {} {}{}\n",
                    if zh { chinese } else { english },
                    change.asset_number,
                    change.name,
                    if fields.is_empty() {
                        String::new()
                    } else {
                        format!(" ({})", fields.join(", "))
                    }
                ));
            }
        }
        text.push_str(
            &match (self.applied, self.dry_run, self.changes_nothing(), zh) {
                (_, _, true, false) if self.acceptable() => {
                    "the file changes nothing.\n".to_owned()
                }
                (_, _, true, true) if self.acceptable() => "该文件不会带来任何变化。\n".to_owned(),
                (true, _, _, false) => "applied.\n".to_owned(),
                (true, _, _, true) => "已导入。\n".to_owned(),
                (false, true, _, false) => "dry run: nothing was written.\n".to_owned(),
                (false, true, _, true) => "试运行：未写入任何内容。\n".to_owned(),
                (false, false, _, false) => {
                    "not applied: fix the errors and import again; nothing was written.\n"
                        .to_owned()
                }
                (false, false, _, true) => {
                    "未导入：请改正错误后重新导入；未写入任何内容。\n".to_owned()
                }
            },
        );
        text
    }
}

/// What checking a file needs to know of the store.
pub struct ImportContext<'a> {
    pub institution: InstitutionId,
    pub institution_name: &'a str,
    pub categories: &'a HashSet<String>,
    pub sites: &'a [Site],
    pub existing: &'a [CatalogueEntry],
    pub time_zone: TimeZoneName,
    pub today: Date,
}

/// Reads and checks a file and decides what it would do: the report, and the writes (empty
/// unless the file is acceptable). Pure: no I/O.
pub fn check_file(
    bytes: &[u8],
    context: &ImportContext<'_>,
    options: &ImportOptions,
) -> (ImportReport, CatalogueImportWrites) {
    let mut report = ImportReport {
        institution: context.institution.0,
        dry_run: options.dry_run,
        complete: options.complete,
        ..ImportReport::default()
    };
    let table = match read::read_table(bytes) {
        Ok(table) => table,
        Err(refusal) => {
            report.refusal = Some(refusal);
            return (report, CatalogueImportWrites::default());
        }
    };
    report.encoding = Some(table.encoding.to_owned());
    let Some(header) = fields::find_header(&table) else {
        report.refusal = Some(FileRefusal::NoHeaderRow);
        return (report, CatalogueImportWrites::default());
    };
    report.header_row = u32::try_from(header.header_row + 1).ok();
    let missing: Vec<Field> = Field::REQUIRED
        .into_iter()
        .filter(|field| header.column_of(*field).is_none())
        .collect();
    if !missing.is_empty() {
        report.refusal = Some(FileRefusal::MissingColumns { fields: missing });
        return (report, CatalogueImportWrites::default());
    }
    let validation = validate::ValidationContext {
        institution: context.institution,
        categories: context.categories,
    };
    let mut validator = validate::Validator::new(&header, &validation);
    let rows = validator.rows(&table);
    report.rows = u32::try_from(rows.len()).unwrap_or(u32::MAX);
    let planned = plan::plan(
        &rows,
        &plan::PlanContext {
            institution: context.institution,
            institution_name: context.institution_name,
            sites: context.sites,
            existing: context.existing,
            time_zone: context.time_zone.clone(),
            today: context.today,
        },
        options.complete,
    );
    let mut problems = validator.problems;
    let rates_column = header.column_of(Field::Rates);
    for (row, kind) in planned.warnings {
        problems.push(Problem {
            row: Some(row),
            column: rates_column.map(column_letter),
            header: rates_column.and_then(|column| header.headers.get(column).cloned()),
            severity: kind.severity(),
            kind,
        });
    }
    problems.sort_by_key(|problem| {
        (
            problem.row,
            problem.column.as_ref().map(|c| (c.len(), c.clone())),
        )
    });
    report.problems = problems;
    report.created = planned.created;
    report.changed = planned.changed;
    report.withdrawn = planned.withdrawn;
    report.unchanged = planned.unchanged;
    let writes = if report.acceptable() {
        CatalogueImportWrites {
            creates: planned.creates,
            updates: planned.updates,
            withdrawals: planned.withdrawals,
            summary: serde_json::json!({
                "file": options.file_name,
                "complete": options.complete,
                "created": report.created.len(),
                "changed": report.changed.len(),
                "withdrawn": report.withdrawn.len(),
                "unchanged": report.unchanged,
            }),
        }
    } else {
        CatalogueImportWrites::default()
    };
    (report, writes)
}
