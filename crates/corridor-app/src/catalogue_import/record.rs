//! One instrument in the national field set: what the export writes for a stored instrument
//! and what an import compares a file's row with, so that "unchanged" means "would export
//! the same".

use corridor_domain::{AccessPolicy, BookingMode, CategoryCode, Fen, InstitutionId, InstrumentId};
use corridor_store::CatalogueEntry;
use jiff::civil::Date;
use serde::Serialize;

use super::fields::Field;
use super::values;

/// Whether an instrument runs (运行状态).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OperatingStatus {
    Normal,
    UnderRepair,
    OutOfService,
}

impl OperatingStatus {
    pub fn as_code(self) -> &'static str {
        match self {
            OperatingStatus::Normal => "normal",
            OperatingStatus::UnderRepair => "under_repair",
            OperatingStatus::OutOfService => "out_of_service",
        }
    }

    pub fn from_code(code: &str) -> OperatingStatus {
        match code {
            "under_repair" => OperatingStatus::UnderRepair,
            "out_of_service" => OperatingStatus::OutOfService,
            _ => OperatingStatus::Normal,
        }
    }
}

/// The prefix of the asset number an instrument without one of its own is exported under;
/// a re-import of the export matches it by this key.
pub const DERIVED_ASSET_NUMBER_PREFIX: &str = "CORRIDOR-";

/// The key an instrument is exported and matched under.
pub fn asset_number_of(entry: &CatalogueEntry) -> String {
    entry
        .fields
        .asset_number
        .clone()
        .unwrap_or_else(|| format!("{DERIVED_ASSET_NUMBER_PREFIX}{}", entry.instrument.id.0))
}

/// An instrument as the field set describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogueRecord {
    pub institution: InstitutionId,
    pub institution_name: String,
    pub asset_number: String,
    pub name_zh: String,
    pub name_en: String,
    pub category: CategoryCode,
    pub model: String,
    pub manufacturer: String,
    pub country_of_origin: String,
    pub purchase_value: Fen,
    pub purchase_date: Option<Date>,
    pub location: String,
    pub specifications: String,
    pub functions: String,
    pub services: String,
    pub rates: String,
    pub access_policy: AccessPolicy,
    pub booking_mode: BookingMode,
    pub contact_name: String,
    pub contact_phone: String,
    pub contact_email: String,
    pub status: OperatingStatus,
}

impl CatalogueRecord {
    /// What the export writes for a stored instrument: its own words where it has them, else
    /// what Corridor knows (the site's name as its location, its hourly rates as text).
    pub fn of_entry(entry: &CatalogueEntry) -> CatalogueRecord {
        let instrument = &entry.instrument;
        let fields = &entry.fields;
        CatalogueRecord {
            institution: instrument.institution,
            institution_name: entry.institution_name_zh.clone(),
            asset_number: asset_number_of(entry),
            name_zh: instrument.name_zh.clone(),
            name_en: instrument.name_en.clone(),
            category: instrument.category.clone(),
            model: instrument.model.clone(),
            manufacturer: instrument.manufacturer.clone(),
            country_of_origin: fields.country_of_origin.clone(),
            purchase_value: instrument.purchase_value,
            purchase_date: fields.purchase_date,
            location: if fields.location.is_empty() {
                entry.site_name_zh.clone()
            } else {
                fields.location.clone()
            },
            specifications: fields.specifications.clone(),
            functions: instrument.description_zh.clone(),
            services: fields.services.clone(),
            rates: if fields.rates_text.is_empty() {
                values::rates_text(&instrument.rates)
            } else {
                fields.rates_text.clone()
            },
            access_policy: instrument.access_policy,
            booking_mode: instrument.booking_mode,
            contact_name: fields.contact_name.clone(),
            contact_phone: fields.contact_phone.clone(),
            contact_email: fields.contact_email.clone(),
            status: OperatingStatus::from_code(&fields.operating_status),
        }
    }

    /// One field as text, as the CSV and XLSX exports write it (the purchase value in yuan
    /// with two decimals, dates as YYYY-MM-DD, codes as the national platform's labels).
    pub fn text(&self, field: Field) -> String {
        match field {
            Field::InstitutionId => self.institution.0.to_string(),
            Field::InstitutionName => self.institution_name.clone(),
            Field::AssetNumber => self.asset_number.clone(),
            Field::NameZh => self.name_zh.clone(),
            Field::NameEn => self.name_en.clone(),
            Field::Category => self.category.as_str().to_owned(),
            Field::Model => self.model.clone(),
            Field::Manufacturer => self.manufacturer.clone(),
            Field::CountryOfOrigin => self.country_of_origin.clone(),
            Field::PurchaseValue => {
                format!(
                    "{}.{:02}",
                    self.purchase_value.0 / 100,
                    self.purchase_value.0 % 100
                )
            }
            Field::PurchaseDate => self
                .purchase_date
                .map(|date| date.to_string())
                .unwrap_or_default(),
            Field::Location => self.location.clone(),
            Field::Specifications => self.specifications.clone(),
            Field::Functions => self.functions.clone(),
            Field::Services => self.services.clone(),
            Field::Rates => self.rates.clone(),
            Field::AccessPolicy => values::access_policy_label(self.access_policy).to_owned(),
            Field::BookingMode => values::booking_mode_label(self.booking_mode).to_owned(),
            Field::ContactName => self.contact_name.clone(),
            Field::ContactPhone => self.contact_phone.clone(),
            Field::ContactEmail => self.contact_email.clone(),
            Field::Status => values::status_label(self.status).to_owned(),
        }
    }

    /// The fields in which `other` differs from this record.
    pub fn differences(&self, other: &CatalogueRecord) -> Vec<Field> {
        Field::ALL
            .into_iter()
            .filter(|field| !matches!(field, Field::InstitutionName))
            .filter(|field| self.text(*field) != other.text(*field))
            .collect()
    }
}

/// A stored instrument's id with its record.
#[derive(Debug, Clone)]
pub struct StoredRecord {
    pub id: InstrumentId,
    pub record: CatalogueRecord,
    pub withdrawn: bool,
}
