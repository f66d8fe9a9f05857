//! The JSON the API speaks. These types are the API's contract and carry its OpenAPI schema;
//! they are built from the domain's values and never the other way round, so a change to the
//! domain cannot silently change the API.

use std::collections::BTreeMap;

use corridor_domain::{Beamline, City, InstrumentCategory, User};
use corridor_store::{
    CityWithCounts, InstitutionWithPlace, InstrumentWithPlace, Page, ProvinceSummary, RegionSummary,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A page of a list: `total` items match in all pages; pass `next_cursor` as `cursor` to get
/// the next page; it is absent on the last page.
#[derive(Debug, Serialize, ToSchema)]
pub struct PageDto<T> {
    pub total: u64,
    pub items: Vec<T>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

impl<T> PageDto<T> {
    pub fn from_page<S>(page: Page<S>, convert: impl Fn(S) -> T) -> PageDto<T> {
        PageDto {
            total: page.total,
            items: page.items.into_iter().map(convert).collect(),
            next_cursor: page.next_cursor.map(|cursor| cursor.to_string()),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProvinceDto {
    /// `SH`, `JS`, `ZJ`, `AH` or `OUT` (outside the region).
    pub code: String,
    pub name_en: String,
    pub name_zh: String,
    pub in_region: bool,
    pub cities: u64,
    pub institutions: u64,
    pub instruments: u64,
}

impl From<ProvinceSummary> for ProvinceDto {
    fn from(province: ProvinceSummary) -> Self {
        ProvinceDto {
            code: province.code.as_code().to_owned(),
            name_en: province.code.name_en().to_owned(),
            name_zh: province.code.name_zh().to_owned(),
            in_region: province.code.is_in_region(),
            cities: province.cities,
            institutions: province.institutions,
            instruments: province.instruments,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CityDto {
    /// Six-digit administrative division code.
    pub code: u32,
    pub province: String,
    pub name_en: String,
    pub name_zh: String,
    /// WGS-84.
    pub lon: f64,
    pub lat: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub institutions: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instruments: Option<u64>,
}

impl From<City> for CityDto {
    fn from(city: City) -> Self {
        CityDto {
            code: city.code.get(),
            province: city.province.as_code().to_owned(),
            name_en: city.name_en,
            name_zh: city.name_zh,
            lon: city.location.lon,
            lat: city.location.lat,
            institutions: None,
            instruments: None,
        }
    }
}

impl From<CityWithCounts> for CityDto {
    fn from(city: CityWithCounts) -> Self {
        CityDto {
            institutions: Some(city.institutions),
            instruments: Some(city.instruments),
            ..CityDto::from(city.city)
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InstitutionDto {
    pub id: i64,
    /// `university`, `research_institute`, `corporation`, `hospital` or `facility_operator`.
    pub kind: String,
    pub name_en: String,
    pub name_zh: String,
    /// An industrial cluster for corporations, a public sector for the others.
    pub sector: String,
    /// `project_985`, `project_211` or `regular`; universities only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub university_tier: Option<String>,
    pub city: u32,
    pub city_name_en: String,
    pub city_name_zh: String,
    pub province: String,
    pub instruments: u64,
}

impl From<InstitutionWithPlace> for InstitutionDto {
    fn from(place: InstitutionWithPlace) -> Self {
        let institution = place.institution;
        InstitutionDto {
            id: institution.id.0,
            kind: institution.kind.as_code().to_owned(),
            name_en: institution.name_en,
            name_zh: institution.name_zh,
            sector: institution.sector.as_code().to_owned(),
            university_tier: institution
                .university_tier
                .map(|tier| tier.as_code().to_owned()),
            city: institution.city.get(),
            city_name_en: place.city_name_en,
            city_name_zh: place.city_name_zh,
            province: place.province.as_code().to_owned(),
            instruments: place.instruments,
        }
    }
}

/// Hourly rates per user class, in fen (1/100 CNY).
#[derive(Debug, Serialize, ToSchema)]
pub struct HourlyRatesDto {
    pub own_institution_fen: i64,
    pub other_academic_fen: i64,
    pub industry_fen: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InstrumentPlaceDto {
    pub institution_id: i64,
    pub institution_name_en: String,
    pub institution_name_zh: String,
    pub institution_kind: String,
    pub site_id: i64,
    pub city: u32,
    pub city_name_en: String,
    pub city_name_zh: String,
    pub province: String,
    pub lon: f64,
    pub lat: f64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InstrumentDto {
    pub id: i64,
    pub name_en: String,
    pub name_zh: String,
    /// Code of the instrument class, e.g. `0102`.
    pub category: String,
    pub techniques: Vec<String>,
    pub keywords: Vec<String>,
    pub manufacturer: String,
    pub model: String,
    pub year_of_manufacture: i32,
    pub purchase_value_fen: i64,
    pub description_en: String,
    pub description_zh: String,
    /// `open`, `region` or `own_institution`.
    pub access_policy: String,
    /// `instant` or `needs_approval`.
    pub booking_mode: String,
    pub training_required: bool,
    pub hourly_rates: HourlyRatesDto,
    /// Weekly opening hours in the instrument's time zone, e.g. `Mon-Fri 08:30-17:30`.
    pub opening_hours: String,
    /// IANA time zone name.
    pub time_zone: String,
    pub place: InstrumentPlaceDto,
}

impl From<InstrumentWithPlace> for InstrumentDto {
    fn from(place: InstrumentWithPlace) -> Self {
        let instrument = place.instrument;
        InstrumentDto {
            id: instrument.id.0,
            name_en: instrument.name_en,
            name_zh: instrument.name_zh,
            category: instrument.category.as_str().to_owned(),
            techniques: instrument.techniques,
            keywords: instrument.keywords,
            manufacturer: instrument.manufacturer,
            model: instrument.model,
            year_of_manufacture: instrument.year_of_manufacture,
            purchase_value_fen: instrument.purchase_value.0,
            description_en: instrument.description_en,
            description_zh: instrument.description_zh,
            access_policy: instrument.access_policy.as_code().to_owned(),
            booking_mode: instrument.booking_mode.as_code().to_owned(),
            training_required: instrument.training_required,
            hourly_rates: HourlyRatesDto {
                own_institution_fen: instrument.rates.own_institution_fen.0,
                other_academic_fen: instrument.rates.other_academic_fen.0,
                industry_fen: instrument.rates.industry_fen.0,
            },
            opening_hours: instrument.opening_hours.to_string(),
            time_zone: instrument.time_zone.as_str().to_owned(),
            place: InstrumentPlaceDto {
                institution_id: instrument.institution.0,
                institution_name_en: place.institution_name_en,
                institution_name_zh: place.institution_name_zh,
                institution_kind: place.institution_kind.as_code().to_owned(),
                site_id: instrument.site.0,
                city: place.city.get(),
                city_name_en: place.city_name_en,
                city_name_zh: place.city_name_zh,
                province: place.province.as_code().to_owned(),
                lon: place.location.lon,
                lat: place.location.lat,
            },
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CategoryDto {
    pub code: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    pub name_en: String,
    pub name_zh: String,
}

impl From<InstrumentCategory> for CategoryDto {
    fn from(category: InstrumentCategory) -> Self {
        CategoryDto {
            code: category.code.as_str().to_owned(),
            parent: category.parent.map(|parent| parent.as_str().to_owned()),
            name_en: category.name_en,
            name_zh: category.name_zh,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BeamlineDto {
    pub id: i64,
    pub facility_id: i64,
    pub code: String,
    pub name_en: String,
    pub name_zh: String,
    pub techniques: Vec<String>,
    /// `undulator`, `wiggler` or `bending_magnet`.
    pub source: String,
    pub energy_kev_min: f64,
    pub energy_kev_max: f64,
}

impl From<Beamline> for BeamlineDto {
    fn from(beamline: Beamline) -> Self {
        BeamlineDto {
            id: beamline.id.0,
            facility_id: beamline.facility.0,
            code: beamline.code,
            name_en: beamline.name_en,
            name_zh: beamline.name_zh,
            techniques: beamline.techniques,
            source: beamline.source.as_code().to_owned(),
            energy_kev_min: beamline.energy_kev_min,
            energy_kev_max: beamline.energy_kev_max,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SummaryDto {
    pub instruments: u64,
    pub institutions: u64,
    pub users: u64,
    pub cities: u64,
    pub beamlines: u64,
    /// Sum of the instruments' purchase values, in fen.
    pub purchase_value_fen: i64,
    /// Keyed by province code; every province appears, with 0 if it has none.
    pub instruments_by_province: BTreeMap<String, u64>,
    /// Keyed by institution kind; every kind appears.
    pub institutions_by_kind: BTreeMap<String, u64>,
    pub institutions_by_province: BTreeMap<String, u64>,
    /// Keyed by top-level category code.
    pub instruments_by_category: BTreeMap<String, u64>,
}

impl From<RegionSummary> for SummaryDto {
    fn from(summary: RegionSummary) -> Self {
        let by_province = |counts: &BTreeMap<corridor_domain::ProvinceCode, u64>| {
            corridor_domain::ProvinceCode::ALL
                .iter()
                .map(|province| {
                    (
                        province.as_code().to_owned(),
                        counts.get(province).copied().unwrap_or(0),
                    )
                })
                .collect()
        };
        SummaryDto {
            instruments: summary.instruments,
            institutions: summary.institutions,
            users: summary.users,
            cities: summary.cities,
            beamlines: summary.beamlines,
            purchase_value_fen: summary.purchase_value_fen,
            instruments_by_province: by_province(&summary.instruments_by_province),
            institutions_by_kind: corridor_domain::InstitutionKind::ALL
                .iter()
                .map(|kind| {
                    (
                        kind.as_code().to_owned(),
                        summary.institutions_by_kind.get(kind).copied().unwrap_or(0),
                    )
                })
                .collect(),
            institutions_by_province: by_province(&summary.institutions_by_province),
            instruments_by_category: summary.instruments_by_category,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RoleGrantDto {
    pub role: String,
    /// `global`, `institution` or `province`.
    pub scope: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope_id: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UserDto {
    pub id: i64,
    pub email: String,
    pub display_name: String,
    pub home_institution_id: i64,
    pub preferred_language: String,
    pub roles: Vec<RoleGrantDto>,
}

impl From<User> for UserDto {
    fn from(user: User) -> Self {
        use corridor_domain::RoleScope;
        UserDto {
            id: user.id.0,
            email: user.email.as_str().to_owned(),
            display_name: user.display_name,
            home_institution_id: user.home_institution.0,
            preferred_language: user.preferred_language.as_code().to_owned(),
            roles: user
                .roles
                .into_iter()
                .map(|grant| {
                    let (scope, scope_id) = match grant.scope {
                        RoleScope::Global => ("global", None),
                        RoleScope::Institution(id) => ("institution", Some(id.0.to_string())),
                        RoleScope::Province(province) => {
                            ("province", Some(province.as_code().to_owned()))
                        }
                    };
                    RoleGrantDto {
                        role: grant.role.as_code().to_owned(),
                        scope: scope.to_owned(),
                        scope_id,
                    }
                })
                .collect(),
        }
    }
}

/// A request for an API token, authenticated by e-mail address and password.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTokenRequest {
    pub email: String,
    pub password: String,
    /// What the token is for, e.g. `laptop` or `lims-sync`; 1 to 100 characters.
    pub name: String,
    /// How many days the token lives: 1 to 365; 90 when absent.
    #[serde(default)]
    #[schema(minimum = 1, maximum = 365)]
    pub lifetime_days: Option<u32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedTokenDto {
    pub id: i64,
    pub name: String,
    /// The secret, shown once: send it as `Authorization: Bearer <token>`.
    pub token: String,
    pub created_at: String,
    /// After this the token is refused; make a new one.
    pub expires_at: String,
}

/// One of the signed-in user's API tokens (never its secret).
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiTokenDto {
    pub id: i64,
    pub name: String,
    pub created_at: String,
    pub expires_at: String,
    /// When it was revoked; absent while it is not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<String>,
    /// Whether it is accepted now: neither revoked nor expired.
    pub active: bool,
}

impl ApiTokenDto {
    pub fn of(info: &corridor_store::ApiTokenInfo, now: jiff::Timestamp) -> ApiTokenDto {
        ApiTokenDto {
            id: info.id,
            name: info.name.clone(),
            created_at: info.created_at.to_string(),
            expires_at: info.expires_at.to_string(),
            revoked_at: info.revoked_at.map(|at| at.to_string()),
            active: info.revoked_at.is_none() && info.expires_at > now,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEventDto {
    pub id: i64,
    pub occurred_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actor_user_id: Option<i64>,
    pub action: String,
    pub subject: String,
    #[schema(value_type = Object)]
    pub detail: serde_json::Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_address: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HealthDto {
    /// `ok` when the database answers.
    pub status: String,
    /// `sqlite` or `postgres`.
    pub backend: String,
    /// Whether a region has been generated or imported.
    pub region_loaded: bool,
}
