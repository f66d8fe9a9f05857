//! The values the store takes and gives beyond the domain's own types: pages, filters,
//! summaries, and the records of sign-in.

use std::collections::BTreeMap;

use corridor_domain::{
    AccessPolicy, Beamline, BookingMode, CategoryCode, City, CityCode, EmailAddress, GeoPoint,
    Institution, InstitutionId, InstitutionKind, Instrument, InstrumentCategory, Language,
    PageLimit, ProvinceCode, RoleGrant, Sector, Site, TimeZoneName, User, UserId,
};
use jiff::Timestamp;

/// One page of a list in a stable order (by id), continued from a cursor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PageRequest {
    pub limit: PageLimit,
    /// The id (or code) of the last item of the previous page; `None` for the first page.
    pub after: Option<i64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    /// How many items match the filter in all pages together.
    pub total: u64,
    pub items: Vec<T>,
    /// The cursor of the next page, or `None` on the last page.
    pub next_cursor: Option<i64>,
}

impl<T> Page<T> {
    pub(crate) fn from_items(
        total: u64,
        items: Vec<T>,
        limit: PageLimit,
        key: impl Fn(&T) -> i64,
    ) -> Page<T> {
        let next_cursor = if items.len() == limit.get() as usize {
            items.last().map(key)
        } else {
            None
        };
        Page {
            total,
            items,
            next_cursor,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CityFilter {
    pub province: Option<ProvinceCode>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InstitutionFilter {
    pub kind: Option<InstitutionKind>,
    pub sector: Option<Sector>,
    pub province: Option<ProvinceCode>,
    pub city: Option<CityCode>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InstrumentFilter {
    pub province: Option<ProvinceCode>,
    pub city: Option<CityCode>,
    pub institution: Option<InstitutionId>,
    /// A top-level code matches its whole class; a subclass code matches itself.
    pub category: Option<CategoryCode>,
    pub access_policy: Option<AccessPolicy>,
    pub booking_mode: Option<BookingMode>,
    pub training_required: Option<bool>,
}

/// A city with how much of the region is there.
#[derive(Debug, Clone, PartialEq)]
pub struct CityWithCounts {
    pub city: City,
    pub institutions: u64,
    pub instruments: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct InstitutionWithPlace {
    pub institution: Institution,
    pub province: ProvinceCode,
    pub city_name_en: String,
    pub city_name_zh: String,
    pub instruments: u64,
}

/// An instrument with the names of where it is, as every list and page shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct InstrumentWithPlace {
    pub instrument: Instrument,
    pub institution_name_en: String,
    pub institution_name_zh: String,
    pub institution_kind: InstitutionKind,
    pub city: CityCode,
    pub city_name_en: String,
    pub city_name_zh: String,
    pub province: ProvinceCode,
    pub location: GeoPoint,
    /// A complete catalogue file of its institution no longer lists it: hidden from search
    /// and refused to bookings, its history kept.
    pub withdrawn: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProvinceSummary {
    pub code: ProvinceCode,
    pub cities: u64,
    pub institutions: u64,
    pub instruments: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RegionSummary {
    pub instruments: u64,
    pub institutions: u64,
    pub users: u64,
    pub cities: u64,
    pub beamlines: u64,
    pub instruments_by_province: BTreeMap<ProvinceCode, u64>,
    pub institutions_by_kind: BTreeMap<InstitutionKind, u64>,
    pub institutions_by_province: BTreeMap<ProvinceCode, u64>,
    /// Keyed by top-level category code.
    pub instruments_by_category: BTreeMap<String, u64>,
    pub instruments_by_city: BTreeMap<CityCode, u64>,
    /// Sum of instrument purchase values, in fen.
    pub purchase_value_fen: i64,
}

/// A user as the generator or an importer hands them over: ids are already assigned.
#[derive(Debug, Clone, PartialEq)]
pub struct RegionUser {
    pub user: User,
    pub password_hash: Option<String>,
}

/// A whole region, written by [`crate::Store::import_region`] in one transaction.
#[derive(Debug, Clone, Default)]
pub struct RegionData {
    pub name: String,
    pub seed: u64,
    pub generator_version: String,
    /// The region's own time zone: the local calendar of its offices, programmes and reports.
    pub time_zone: TimeZoneName,
    pub cities: Vec<City>,
    pub categories: Vec<InstrumentCategory>,
    pub institutions: Vec<Institution>,
    pub sites: Vec<Site>,
    pub instruments: Vec<Instrument>,
    pub beamlines: Vec<Beamline>,
    pub users: Vec<RegionUser>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportReport {
    pub rows_by_table: BTreeMap<&'static str, u64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegionInfo {
    pub name: String,
    pub seed: u64,
    pub generator_version: String,
    pub generated_at: Timestamp,
    pub time_zone: TimeZoneName,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SignInCandidate {
    pub user: User,
    pub password_hash: Option<String>,
    /// Whether the address was verified; a self sign-up cannot sign in before.
    pub email_verified: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewUser {
    pub email: EmailAddress,
    pub display_name: String,
    pub home_institution: InstitutionId,
    pub preferred_language: Language,
    pub password_hash: Option<String>,
    pub roles: Vec<RoleGrant>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    /// SHA-256 of the cookie value, hex. The cookie value itself is never stored.
    pub token_hash: String,
    pub user: UserId,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    pub client_address: Option<String>,
}

/// Who is making a change and from where, recorded with it in the audit trail.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditContext {
    pub actor: Option<UserId>,
    pub client_address: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AuditEvent {
    pub id: i64,
    pub occurred_at: Timestamp,
    pub actor: Option<UserId>,
    pub action: String,
    pub subject: String,
    pub detail: serde_json::Value,
    pub client_address: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiTokenInfo {
    pub id: i64,
    pub user: UserId,
    pub name: String,
    pub created_at: Timestamp,
    /// After this the token is refused.
    pub expires_at: Timestamp,
    /// When its owner revoked it; refused from then on.
    pub revoked_at: Option<Timestamp>,
}

/// Per table: how many rows, and the sum of their keys, which changes if a row is replaced.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TableCounts {
    pub tables: BTreeMap<&'static str, (i64, i64)>,
}

impl TableCounts {
    pub fn rows(&self, table: &str) -> i64 {
        self.tables.get(table).map_or(0, |(rows, _)| *rows)
    }
}

/// One entry of the change log: an entity that was created, changed or deleted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeRecord {
    pub seq: i64,
    pub entity: String,
    pub entity_id: i64,
    pub deleted: bool,
}
