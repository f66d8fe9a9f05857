//! From a table to checked rows: each row's cells read by the header map, every problem
//! recorded by row and column, duplicate asset numbers and unknown classification codes
//! found. Nothing here knows what is stored; `plan.rs` compares the rows with it.

use std::collections::{HashMap, HashSet};

use corridor_domain::{AccessPolicy, BookingMode, CategoryCode, Fen, InstitutionId};
use jiff::civil::Date;

use super::fields::{column_letter, Field, HeaderMap, ValueUnit};
use super::problems::{Problem, ProblemKind};
use super::read::{Cell, Table};
use super::record::OperatingStatus;
use super::values;

/// One data row's values. `None` means the file does not say (no such column, or an empty
/// cell where emptiness means "keep what is stored"); text fields whose column is present
/// are `Some`, possibly empty, so that a file can clear them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RowValues {
    /// The spreadsheet's 1-based row number.
    pub row: u32,
    pub asset_number: String,
    pub name_zh: String,
    pub name_en: Option<String>,
    pub category: Option<CategoryCode>,
    pub model: Option<String>,
    pub manufacturer: Option<String>,
    pub country_of_origin: Option<String>,
    pub purchase_value: Option<Fen>,
    pub purchase_date: Option<Option<Date>>,
    pub location: Option<String>,
    pub specifications: Option<String>,
    pub functions: Option<String>,
    pub services: Option<String>,
    pub rates: Option<String>,
    pub access_policy: Option<AccessPolicy>,
    pub booking_mode: Option<BookingMode>,
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
    pub contact_email: Option<String>,
    pub status: Option<OperatingStatus>,
}

/// What validation needs to know besides the file.
pub struct ValidationContext<'a> {
    pub institution: InstitutionId,
    /// The codes of Corridor's categories.
    pub categories: &'a HashSet<String>,
}

/// A national classification code mapped to Corridor's taxonomy: the code itself, else its
/// first four digits (the subclass), else its first two (the class).
pub fn map_category(code: &str, categories: &HashSet<String>) -> Option<CategoryCode> {
    let digits: String = values::fold_width(code)
        .chars()
        .filter(|c| !matches!(c, '.' | '-' | ' '))
        .collect();
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    [digits.len().min(4), 2]
        .into_iter()
        .filter(|length| *length <= digits.len() && (*length == 2 || *length == 4))
        .map(|length| &digits[..length])
        .find(|candidate| categories.contains(*candidate))
        .and_then(|candidate| CategoryCode::parse(candidate).ok())
}

pub(crate) struct Validator<'a> {
    header: &'a HeaderMap,
    context: &'a ValidationContext<'a>,
    pub problems: Vec<Problem>,
}

impl<'a> Validator<'a> {
    pub fn new(header: &'a HeaderMap, context: &'a ValidationContext<'a>) -> Validator<'a> {
        let mut validator = Validator {
            header,
            context,
            problems: Vec::new(),
        };
        for (column, text) in &header.unknown {
            validator.push(
                None,
                Some(*column),
                ProblemKind::UnknownColumn {
                    header: text.clone(),
                },
            );
        }
        for (column, field) in &header.repeated {
            validator.push(
                None,
                Some(*column),
                ProblemKind::RepeatedColumn { field: *field },
            );
        }
        validator
    }

    fn push(&mut self, row: Option<u32>, column: Option<usize>, kind: ProblemKind) {
        self.problems.push(Problem {
            row,
            column: column.map(column_letter),
            header: column.and_then(|column| self.header.headers.get(column).cloned()),
            severity: kind.severity(),
            kind,
        });
    }

    /// Every data row with values, and the problems found (in `self.problems`). A row with
    /// an error is still returned (its errors keep the file from being applied), so that
    /// the report can also say what it would have done.
    pub fn rows(&mut self, table: &Table) -> Vec<RowValues> {
        let mut rows = Vec::new();
        let mut first_row_of: HashMap<String, u32> = HashMap::new();
        for (index, cells) in table
            .rows
            .iter()
            .enumerate()
            .skip(self.header.header_row + 1)
        {
            if cells.iter().all(Cell::is_blank) {
                continue;
            }
            let row_number = u32::try_from(index + 1).unwrap_or(u32::MAX);
            let values = self.row(row_number, cells);
            if !values.asset_number.is_empty() {
                if let Some(first_row) = first_row_of.get(&values.asset_number) {
                    let column = self.header.column_of(Field::AssetNumber);
                    self.push(
                        Some(row_number),
                        column,
                        ProblemKind::DuplicateAssetNumber {
                            asset_number: values.asset_number.clone(),
                            first_row: *first_row,
                        },
                    );
                    continue;
                }
                first_row_of.insert(values.asset_number.clone(), row_number);
            }
            rows.push(values);
        }
        rows
    }

    fn row(&mut self, row: u32, cells: &[Cell]) -> RowValues {
        let header = self.header;
        let cell_of = |field: Field| -> Option<(usize, &Cell)> {
            header
                .column_of(field)
                .map(|column| (column, cells.get(column).unwrap_or(&Cell::Empty)))
        };
        let text_of = |validator: &mut Validator<'_>, field: Field| -> Option<String> {
            let (column, cell) = cell_of(field)?;
            let text = cell_text(cell);
            let chars = text.chars().count();
            if chars > field.longest_chars() {
                validator.push(
                    Some(row),
                    Some(column),
                    ProblemKind::TooLong {
                        field,
                        chars,
                        limit: field.longest_chars(),
                    },
                );
            }
            Some(text)
        };
        let mut values = RowValues {
            row,
            ..RowValues::default()
        };

        if let Some((column, cell)) = cell_of(Field::InstitutionId) {
            let text = cell_text(cell);
            if !text.is_empty() && text != self.context.institution.0.to_string() {
                self.push(
                    Some(row),
                    Some(column),
                    ProblemKind::OtherInstitution { text },
                );
            }
        }
        for field in [Field::AssetNumber, Field::NameZh] {
            let text = text_of(self, field).unwrap_or_default();
            if text.is_empty() {
                self.push(
                    Some(row),
                    header.column_of(field),
                    ProblemKind::Missing { field },
                );
            }
            match field {
                Field::AssetNumber => values.asset_number = text,
                _ => values.name_zh = text,
            }
        }
        values.name_en = text_of(self, Field::NameEn).filter(|text| !text.is_empty());
        if let Some((column, cell)) = cell_of(Field::Category) {
            let code = cell_text(cell);
            if code.is_empty() {
                self.push(
                    Some(row),
                    Some(column),
                    ProblemKind::Missing {
                        field: Field::Category,
                    },
                );
            } else {
                values.category = map_category(&code, self.context.categories);
                if values.category.is_none() {
                    self.push(
                        Some(row),
                        Some(column),
                        ProblemKind::UnknownCategory { code },
                    );
                }
            }
        }
        values.model = text_of(self, Field::Model);
        values.manufacturer = text_of(self, Field::Manufacturer);
        values.country_of_origin = text_of(self, Field::CountryOfOrigin);
        if let Some((column, cell)) = cell_of(Field::PurchaseValue) {
            if !cell.is_blank() {
                match values::parse_money(cell, header.value_unit == ValueUnit::WanYuan) {
                    Some(amount) => {
                        if amount.rounded {
                            self.push(
                                Some(row),
                                Some(column),
                                ProblemKind::MoneyRounded {
                                    text: cell_text(cell),
                                },
                            );
                        }
                        values.purchase_value = Some(amount.fen);
                    }
                    None => self.push(
                        Some(row),
                        Some(column),
                        ProblemKind::NotAMoney {
                            text: cell_text(cell),
                        },
                    ),
                }
            }
        }
        if let Some((column, cell)) = cell_of(Field::PurchaseDate) {
            if cell.is_blank() {
                values.purchase_date = Some(None);
            } else {
                match values::parse_date(cell) {
                    Some(date) => values.purchase_date = Some(Some(date)),
                    None => self.push(
                        Some(row),
                        Some(column),
                        ProblemKind::NotADate {
                            text: cell_text(cell),
                        },
                    ),
                }
            }
        }
        values.location = text_of(self, Field::Location);
        values.specifications = text_of(self, Field::Specifications);
        values.functions = text_of(self, Field::Functions);
        values.services = text_of(self, Field::Services);
        values.rates = text_of(self, Field::Rates);
        if let Some((column, cell)) =
            cell_of(Field::AccessPolicy).filter(|(_, cell)| !cell.is_blank())
        {
            values.access_policy = values::parse_access_policy(&cell_text(cell));
            if values.access_policy.is_none() {
                self.push(
                    Some(row),
                    Some(column),
                    ProblemKind::UnknownAccessPolicy {
                        text: cell_text(cell),
                    },
                );
            }
        }
        if let Some((column, cell)) =
            cell_of(Field::BookingMode).filter(|(_, cell)| !cell.is_blank())
        {
            values.booking_mode = values::parse_booking_mode(&cell_text(cell));
            if values.booking_mode.is_none() {
                self.push(
                    Some(row),
                    Some(column),
                    ProblemKind::UnknownBookingMode {
                        text: cell_text(cell),
                    },
                );
            }
        }
        values.contact_name = text_of(self, Field::ContactName);
        values.contact_phone = text_of(self, Field::ContactPhone);
        values.contact_email = text_of(self, Field::ContactEmail);
        if let Some(email) = values
            .contact_email
            .as_deref()
            .filter(|email| !email.is_empty())
        {
            if !looks_like_email(email) {
                let column = header.column_of(Field::ContactEmail);
                self.push(
                    Some(row),
                    column,
                    ProblemKind::NotAnEmail {
                        text: email.to_owned(),
                    },
                );
            }
        }
        if let Some((column, cell)) = cell_of(Field::Status).filter(|(_, cell)| !cell.is_blank()) {
            values.status = values::parse_status(&cell_text(cell));
            if values.status.is_none() {
                self.push(
                    Some(row),
                    Some(column),
                    ProblemKind::UnknownStatus {
                        text: cell_text(cell),
                    },
                );
            }
        }
        values
    }
}

/// A cell as trimmed text; an Excel date cell in a text column is written as its date, and
/// the apostrophe the export puts before formula-like text is taken off again.
fn cell_text(cell: &Cell) -> String {
    let text = match cell {
        Cell::Date(_) => values::parse_date(cell)
            .map(|date| date.to_string())
            .unwrap_or_default(),
        other => other.as_text().unwrap_or_default(),
    };
    match text.strip_prefix('\'') {
        Some(rest) if crate::catalogue_export::looks_like_formula(rest) => rest.trim().to_owned(),
        _ => text.trim().to_owned(),
    }
}

fn looks_like_email(text: &str) -> bool {
    let Some((local, domain)) = text.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !text.chars().any(char::is_whitespace)
}
