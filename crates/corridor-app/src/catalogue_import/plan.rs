//! What an import would do: each checked row matched with the stored instrument of the same
//! asset number (or created), merged field by field (a field the file does not give keeps
//! its stored value), and compared as the export would write it, so that a file equal to
//! the export changes nothing; with a complete file, the institution's listed instruments
//! it does not name are withdrawn.

use std::collections::HashMap;

use corridor_domain::{
    CategoryCode, Fen, HourlyRates, InstitutionId, Instrument, InstrumentId, Site, TimeZoneName,
    WeeklyOpeningHours,
};
use corridor_store::{CatalogueEntry, CatalogueFields};
use jiff::civil::Date;
use serde::Serialize;

use super::fields::Field;
use super::problems::ProblemKind;
use super::record::{asset_number_of, CatalogueRecord, OperatingStatus};
use super::validate::RowValues;
use super::values;

/// The weekly hours of an instrument a file creates, until its manager sets its own.
pub const DEFAULT_OPENING_HOURS: &str = "Mon-Fri 09:00-17:00";

/// One instrument the import creates, changes or withdraws, for the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlannedChange {
    /// The file's row (absent for a withdrawal: the file does not name the instrument).
    pub row: Option<u32>,
    pub asset_number: String,
    pub name: String,
    /// The stored instrument (absent for one to be created).
    pub instrument: Option<InstrumentId>,
    /// The fields that change (for a changed instrument).
    pub fields: Vec<Field>,
}

/// Everything an import would do, with the writes that do it.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    pub created: Vec<PlannedChange>,
    pub changed: Vec<PlannedChange>,
    pub withdrawn: Vec<PlannedChange>,
    pub unchanged: u32,
    /// Warnings found while planning (rates that give no hourly rates).
    pub warnings: Vec<(u32, ProblemKind)>,
    pub creates: Vec<(Instrument, CatalogueFields)>,
    pub updates: Vec<(Instrument, CatalogueFields)>,
    pub withdrawals: Vec<InstrumentId>,
}

/// What planning needs besides the rows.
pub struct PlanContext<'a> {
    pub institution: InstitutionId,
    pub institution_name: &'a str,
    pub sites: &'a [Site],
    /// Every stored instrument of the institution, withdrawn ones included.
    pub existing: &'a [CatalogueEntry],
    pub time_zone: TimeZoneName,
    /// The year given to a created instrument without a purchase date.
    pub today: Date,
}

pub fn plan(rows: &[RowValues], context: &PlanContext<'_>, complete: bool) -> Plan {
    let mut by_key: HashMap<String, &CatalogueEntry> = HashMap::new();
    // An asset number stored on an instrument wins over the key derived from another's id.
    for entry in context
        .existing
        .iter()
        .filter(|entry| entry.fields.asset_number.is_none())
    {
        by_key.insert(asset_number_of(entry), entry);
    }
    for entry in context
        .existing
        .iter()
        .filter(|entry| entry.fields.asset_number.is_some())
    {
        by_key.insert(asset_number_of(entry), entry);
    }
    let mut plan = Plan::default();
    let mut named: std::collections::HashSet<InstrumentId> = std::collections::HashSet::new();
    for row in rows {
        let existing = by_key.get(&row.asset_number).copied();
        let Some((instrument, fields, rates_understood)) = merge(row, existing, context) else {
            continue;
        };
        if !rates_understood {
            plan.warnings
                .push((row.row, ProblemKind::RatesNotUnderstood));
        }
        let entry = CatalogueEntry {
            instrument,
            fields,
            withdrawn: false,
            institution_name_zh: context.institution_name.to_owned(),
            site_name_zh: site_name(context.sites, &row.location, existing),
        };
        let record = CatalogueRecord::of_entry(&entry);
        match existing {
            None => {
                plan.created.push(PlannedChange {
                    row: Some(row.row),
                    asset_number: row.asset_number.clone(),
                    name: row.name_zh.clone(),
                    instrument: None,
                    fields: Vec::new(),
                });
                plan.creates.push((entry.instrument, entry.fields));
            }
            Some(stored) => {
                named.insert(stored.instrument.id);
                let before = CatalogueRecord::of_entry(stored);
                let differences = before.differences(&record);
                if differences.is_empty() && !stored.withdrawn {
                    plan.unchanged += 1;
                } else {
                    plan.changed.push(PlannedChange {
                        row: Some(row.row),
                        asset_number: row.asset_number.clone(),
                        name: row.name_zh.clone(),
                        instrument: Some(stored.instrument.id),
                        fields: differences,
                    });
                    plan.updates.push((entry.instrument, entry.fields));
                }
            }
        }
    }
    if complete {
        for entry in context.existing {
            if !entry.withdrawn && !named.contains(&entry.instrument.id) {
                plan.withdrawn.push(PlannedChange {
                    row: None,
                    asset_number: asset_number_of(entry),
                    name: entry.instrument.name_zh.clone(),
                    instrument: Some(entry.instrument.id),
                    fields: Vec::new(),
                });
                plan.withdrawals.push(entry.instrument.id);
            }
        }
    }
    plan
}

/// The site a location names (by either of its names), else the stored instrument's site,
/// else the institution's first.
fn site_for<'s>(
    sites: &'s [Site],
    location: &Option<String>,
    existing: Option<&CatalogueEntry>,
) -> Option<&'s Site> {
    let named = location.as_deref().and_then(|location| {
        sites
            .iter()
            .find(|site| site.name_zh == location || site.name_en == location)
    });
    named
        .or_else(|| {
            existing.and_then(|entry| sites.iter().find(|site| site.id == entry.instrument.site))
        })
        .or_else(|| sites.first())
}

fn site_name(
    sites: &[Site],
    location: &Option<String>,
    existing: Option<&CatalogueEntry>,
) -> String {
    site_for(sites, location, existing)
        .map(|site| site.name_zh.clone())
        .unwrap_or_default()
}

/// The instrument and its catalogue fields after the row, and whether its rates text gave
/// hourly rates. `None` when the row cannot make an instrument (no category for a new one,
/// or the institution has no site); validation has reported why.
fn merge(
    row: &RowValues,
    existing: Option<&CatalogueEntry>,
    context: &PlanContext<'_>,
) -> Option<(Instrument, CatalogueFields, bool)> {
    let site = site_for(context.sites, &row.location, existing)?;
    let category: CategoryCode = row
        .category
        .clone()
        .or_else(|| existing.map(|entry| entry.instrument.category.clone()))?;
    let mut instrument = match existing {
        Some(entry) => entry.instrument.clone(),
        None => Instrument {
            id: InstrumentId(0),
            institution: context.institution,
            site: site.id,
            category: category.clone(),
            name_en: String::new(),
            name_zh: String::new(),
            techniques: Vec::new(),
            keywords: Vec::new(),
            manufacturer: String::new(),
            model: String::new(),
            year_of_manufacture: i32::from(context.today.year()),
            purchase_value: Fen(0),
            description_en: String::new(),
            description_zh: String::new(),
            access_policy: corridor_domain::AccessPolicy::Open,
            rates: HourlyRates::new(Fen(0), Fen(0), Fen(0)).expect("zero rates are valid"),
            booking_mode: corridor_domain::BookingMode::NeedsApproval,
            training_required: false,
            opening_hours: WeeklyOpeningHours::parse(DEFAULT_OPENING_HOURS)
                .expect("the default opening hours parse"),
            time_zone: context.time_zone.clone(),
        },
    };
    let mut fields = existing
        .map(|entry| entry.fields.clone())
        .unwrap_or_else(|| CatalogueFields {
            operating_status: OperatingStatus::Normal.as_code().to_owned(),
            ..CatalogueFields::default()
        });
    let set = |target: &mut String, value: &Option<String>| {
        if let Some(value) = value {
            target.clone_from(value);
        }
    };
    instrument.site = site.id;
    instrument.category = category;
    instrument.name_zh.clone_from(&row.name_zh);
    instrument.name_en = row.name_en.clone().unwrap_or_else(|| {
        existing
            .map(|entry| entry.instrument.name_en.clone())
            .unwrap_or_else(|| row.name_zh.clone())
    });
    set(&mut instrument.model, &row.model);
    set(&mut instrument.manufacturer, &row.manufacturer);
    set(&mut fields.country_of_origin, &row.country_of_origin);
    if let Some(value) = row.purchase_value {
        instrument.purchase_value = value;
    }
    if let Some(date) = row.purchase_date {
        fields.purchase_date = date;
        if let (Some(date), None) = (date, existing) {
            instrument.year_of_manufacture = i32::from(date.year()).clamp(
                crate::catalogue::EARLIEST_YEAR_OF_MANUFACTURE,
                crate::catalogue::LATEST_YEAR_OF_MANUFACTURE,
            );
        }
    }
    // A location that is the site's own name is not kept twice: the export writes the
    // site's name for an instrument without a location of its own.
    if let Some(location) = &row.location {
        fields.location = if *location == site.name_zh {
            String::new()
        } else {
            location.clone()
        };
    }
    set(&mut fields.specifications, &row.specifications);
    set(&mut instrument.description_zh, &row.functions);
    set(&mut fields.services, &row.services);
    let mut rates_understood = true;
    if let Some(text) = &row.rates {
        match values::parse_rates(text) {
            Some(rates) => {
                instrument.rates = rates;
                // The rates as the export writes them are not kept as text: they are the
                // rates themselves.
                fields.rates_text = if *text == values::rates_text(&rates) {
                    String::new()
                } else {
                    text.clone()
                };
            }
            None => {
                rates_understood = text.is_empty();
                fields.rates_text.clone_from(text);
            }
        }
    }
    if let Some(policy) = row.access_policy {
        instrument.access_policy = policy;
    }
    if let Some(mode) = row.booking_mode {
        instrument.booking_mode = mode;
    }
    set(&mut fields.contact_name, &row.contact_name);
    set(&mut fields.contact_phone, &row.contact_phone);
    set(&mut fields.contact_email, &row.contact_email);
    if let Some(status) = row.status {
        fields.operating_status = status.as_code().to_owned();
    }
    fields.asset_number = Some(row.asset_number.clone());
    Some((instrument, fields, rates_understood))
}
