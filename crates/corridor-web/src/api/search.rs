//! `GET /api/v1/search`: full-text search with filters, facets, sorting and paging.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::State;
use corridor_app::catalogue::{FreeTimeQuery, ReachFilterQuery, SearchAnswer, SearchQuery};
use corridor_domain::{
    AccessPolicy, BookingMode, CategoryCode, CityCode, Fen, InstitutionId, InstitutionKind,
    ProvinceCode, UserClass,
};
use corridor_search::{Facet, Grouping, PriceBand, SortOrder};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::instant_or_date;
use super::reach::parse_departure;
use crate::auth::Requester;
use crate::extract::{Json, Query};
use crate::problem::responses::BadRequest;
use crate::problem::ApiError;
use crate::AppState;

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    /// Words in English or Chinese, abbreviations, or both: `质谱仪`, `XRD 合肥`, `mass spectrometer`.
    pub q: Option<String>,
    /// Comma-separated class (`01`) or subclass (`0102`) codes; any of them.
    pub category: Option<String>,
    /// Comma-separated province codes.
    pub province: Option<String>,
    /// Comma-separated city codes.
    pub city: Option<String>,
    /// Comma-separated institution kinds.
    pub institution_kind: Option<String>,
    /// Comma-separated access policies.
    pub access_policy: Option<String>,
    /// Comma-separated booking modes.
    pub booking_mode: Option<String>,
    /// Comma-separated hourly-rate bands of the caller's user class: under_100, 100_300, 300_600, 600_1000, 1000_plus (yuan).
    pub price_band: Option<String>,
    pub training_required: Option<bool>,
    pub institution: Option<i64>,
    /// With `within_km`: only instruments within that great-circle distance of this city.
    pub near_city: Option<u32>,
    /// 1 to 3000 km; needs `near_city`.
    pub within_km: Option<f64>,
    /// Only instruments whose hourly rate for the caller is at most this many fen.
    pub max_rate_fen: Option<i64>,
    /// Whose prices to use: own_institution, other_academic or industry. Signed-in users get
    /// their own class by default; anonymous callers other_academic.
    pub user_class: Option<String>,
    /// relevance (default), price, -price, or distance (needs near_city).
    pub sort: Option<String>,
    /// With `reach_minutes`: only instruments in cities reachable by rail from this city
    /// (six-digit code) within that many minutes, leaving in the window `reach_depart` +
    /// `reach_window`.
    pub reach_from: Option<u32>,
    /// 1 to 720.
    pub reach_minutes: Option<u16>,
    /// `HH:MM`; 08:00 when absent.
    pub reach_depart: Option<String>,
    /// Minutes; 120 when absent.
    pub reach_window: Option<u16>,
    /// With `free_from` and `free_to`: only instruments free for this many consecutive hours
    /// (1 to 168) between the two, by their calendars (opening hours, closures, bookings).
    pub free_hours: Option<u16>,
    /// RFC 3339 instant or date (YYYY-MM-DD, midnight China time).
    pub free_from: Option<String>,
    /// RFC 3339 instant or date (YYYY-MM-DD: to the end of that day, China time).
    pub free_to: Option<String>,
    /// 1 to 100; 20 when absent.
    pub limit: Option<u32>,
    /// 0 to 10,000.
    pub offset: Option<u32>,
    /// `kind` (default): one row per kind of instrument (its name), with the count, the
    /// institutions, the price range and the nearest; `model`: one per model of a kind;
    /// `none`: one row per instrument. `limit` and `offset` count rows.
    pub group: Option<String>,
    /// Only the instruments of one group: the `key` of a group in a grouped answer.
    pub kind: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SearchHitDto {
    pub id: i64,
    pub name_en: String,
    pub name_zh: String,
    pub category: String,
    pub institution_id: i64,
    pub institution_name_en: String,
    pub institution_name_zh: String,
    pub city: u32,
    pub city_name_en: String,
    pub city_name_zh: String,
    pub province: String,
    pub lon: f64,
    pub lat: f64,
    /// The hourly rate for the caller's user class, in fen.
    pub hourly_rate_fen: i64,
    pub access_policy: String,
    pub booking_mode: String,
    pub training_required: bool,
    pub score: f32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub distance_km: Option<f64>,
    /// With the free-time filter: when the instrument's earliest free run starts (RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub earliest_free: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FacetCountDto {
    pub value: String,
    pub count: u64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SearchResultsDto {
    pub total: u64,
    pub items: Vec<SearchHitDto>,
    /// Per facet (category, province, city, institution_kind, access_policy, booking_mode,
    /// price_band, training_required), the count each value would give if chosen with the
    /// other filters kept.
    pub facets: BTreeMap<String, Vec<FacetCountDto>>,
    /// The user class whose rates `hourly_rate_fen` and `price_band` use.
    pub user_class: String,
    /// Present when nothing matched the query as written and these results answer a looser
    /// form of it: typo alternatives for every word, then without some words.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub relaxed: Option<RelaxationDto>,
    /// The query with its unknown words replaced by the closest words of the catalogue.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub did_you_mean: Option<String>,
    /// When grouped: one group per item, in the same order (the item is the group's best
    /// instrument by the chosen order), and how many groups match in all.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<SearchGroupDto>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total_groups: Option<u64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SearchGroupDto {
    /// Pass as `kind` (with `group=none`) to list the group's instruments.
    pub key: String,
    /// The model, when grouped by model.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// The group's instruments that pass the filters.
    pub instruments: u64,
    pub institutions: u64,
    /// The caller's hourly rates in the group, cheapest and dearest, in fen.
    pub lowest_rate_fen: i64,
    pub highest_rate_fen: i64,
    /// With `near_city`: the group's nearest instrument and its distance.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nearest_instrument_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nearest_km: Option<f64>,
    /// With the rail-reach filter: the group's city nearest by rail from `reach_from`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nearest_by_rail: Option<RailNearestDto>,
    /// With the free-time filter: the earliest start of a free run among the group's
    /// instruments (RFC 3339, UTC).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub earliest_free: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RailNearestDto {
    pub city: u32,
    pub minutes: u16,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RelaxationDto {
    /// The words left out (lower-cased, in the catalogue's spelling); empty when close
    /// spellings of every word were enough.
    pub dropped_words: Vec<String>,
}

fn list<T>(
    value: Option<&str>,
    parse: impl Fn(&str) -> Result<T, ApiError>,
) -> Result<Vec<T>, ApiError> {
    value.map_or(Ok(Vec::new()), |value| {
        value
            .split(',')
            .map(str::trim)
            .filter(|part| !part.is_empty())
            .map(parse)
            .collect()
    })
}

/// Reads the query parameters into the catalogue's search query (codes, times and dates
/// parsed; the limits and the filters' rules are the catalogue's). Shared by the API and the
/// search page.
pub fn search_query(params: &SearchParams) -> Result<SearchQuery, ApiError> {
    Ok(SearchQuery {
        text: params.q.clone().unwrap_or_default(),
        categories: list(params.category.as_deref(), |code| {
            Ok(CategoryCode::parse(code)?)
        })?,
        provinces: list(params.province.as_deref(), |code| {
            Ok(ProvinceCode::parse(code)?)
        })?,
        cities: list(params.city.as_deref(), |code| {
            let number: u32 = code
                .parse()
                .map_err(|_| ApiError::invalid("city", format!("{code:?} is not a city code")))?;
            Ok(CityCode::new(number)?)
        })?,
        institution_kinds: list(params.institution_kind.as_deref(), |code| {
            Ok(InstitutionKind::parse(code)?)
        })?,
        access_policies: list(params.access_policy.as_deref(), |code| {
            Ok(AccessPolicy::parse(code)?)
        })?,
        booking_modes: list(params.booking_mode.as_deref(), |code| {
            Ok(BookingMode::parse(code)?)
        })?,
        price_bands: list(params.price_band.as_deref(), |code| {
            PriceBand::parse(code).ok_or_else(|| ApiError::invalid("price_band", format!("unknown band {code:?}; expected under_100, 100_300, 300_600, 600_1000 or 1000_plus")))
        })?,
        training_required: params.training_required,
        institution: params.institution.map(InstitutionId),
        near_city: params.near_city,
        within_km: params.within_km,
        max_rate: params.max_rate_fen.map(Fen),
        user_class: params
            .user_class
            .as_deref()
            .map(UserClass::parse)
            .transpose()?,
        sort: match params.sort.as_deref().unwrap_or("relevance") {
            "relevance" => SortOrder::Relevance,
            "price" => SortOrder::PriceAscending,
            "-price" => SortOrder::PriceDescending,
            "distance" => SortOrder::Distance,
            other => {
                return Err(ApiError::invalid(
                    "sort",
                    format!(
                        "unknown sort {other:?}; expected relevance, price, -price or distance"
                    ),
                ))
            }
        },
        grouping: match params.group.as_deref().unwrap_or("kind") {
            "kind" => Grouping::Kind,
            "model" => Grouping::Model,
            "none" => Grouping::Flat,
            other => {
                return Err(ApiError::invalid(
                    "group",
                    format!("unknown grouping {other:?}; expected kind, model or none"),
                ))
            }
        },
        kind: params.kind.clone(),
        reach: ReachFilterQuery {
            from: params.reach_from,
            minutes: params.reach_minutes,
            departure: parse_departure("reach_depart", params.reach_depart.as_deref())?,
            window: params.reach_window,
        },
        free: FreeTimeQuery {
            hours: params.free_hours,
            from: params
                .free_from
                .as_deref()
                .map(|text| instant_or_date("free_from", text))
                .transpose()?,
            to: params
                .free_to
                .as_deref()
                .map(|text| instant_or_date("free_to", text))
                .transpose()?,
        },
        limit: params.limit,
        offset: params.offset,
    })
}

pub fn results_dto(answer: SearchAnswer) -> SearchResultsDto {
    let groups = answer
        .results
        .groups
        .iter()
        .map(|group| SearchGroupDto {
            key: group.key.clone(),
            model: group.model.clone(),
            instruments: group.instruments,
            institutions: group.institutions,
            lowest_rate_fen: group.lowest_rate.0,
            highest_rate_fen: group.highest_rate.0,
            nearest_instrument_id: group.nearest.map(|(id, _)| id.0),
            nearest_km: group.nearest.map(|(_, km)| (km * 10.0).round() / 10.0),
            earliest_free: group.earliest_free.map(|start| start.to_string()),
            nearest_by_rail: answer
                .nearest_by_rail(&group.cities)
                .map(|(city, minutes)| RailNearestDto {
                    city: city.get(),
                    minutes,
                }),
        })
        .collect();
    let total_groups =
        (answer.request_grouping != Grouping::Flat).then_some(answer.results.total_groups);
    let (results, rate_basis) = (answer.results, answer.rate_basis);
    SearchResultsDto {
        groups,
        total_groups,
        total: results.total,
        items: results
            .hits
            .into_iter()
            .map(|hit| {
                let document = &hit.document;
                SearchHitDto {
                    id: document.id.0,
                    name_en: document.name_en.clone(),
                    name_zh: document.name_zh.clone(),
                    category: document.category.as_str().to_owned(),
                    institution_id: document.institution.0,
                    institution_name_en: document.institution_name_en.clone(),
                    institution_name_zh: document.institution_name_zh.clone(),
                    city: document.city.get(),
                    city_name_en: document.city_name_en.clone(),
                    city_name_zh: document.city_name_zh.clone(),
                    province: document.province.as_code().to_owned(),
                    lon: document.location.lon,
                    lat: document.location.lat,
                    hourly_rate_fen: hit.hourly_rate.0,
                    access_policy: document.access_policy.as_code().to_owned(),
                    booking_mode: document.booking_mode.as_code().to_owned(),
                    training_required: document.training_required,
                    score: hit.score,
                    distance_km: hit.distance_km.map(|km| (km * 10.0).round() / 10.0),
                    earliest_free: hit.earliest_free.map(|start| start.to_string()),
                }
            })
            .collect(),
        facets: Facet::ALL
            .iter()
            .map(|facet| {
                (
                    facet.as_code().to_owned(),
                    results
                        .facets
                        .get(*facet)
                        .iter()
                        .map(|count| FacetCountDto {
                            value: count.value.clone(),
                            count: count.count,
                        })
                        .collect(),
                )
            })
            .collect(),
        user_class: rate_basis.class.as_code().to_owned(),
        relaxed: results.relaxation.map(|relaxation| RelaxationDto {
            dropped_words: relaxation.dropped_words,
        }),
        did_you_mean: results.did_you_mean,
    }
}

/// Searches every instrument of the region.
#[utoipa::path(get, path = "/search", tag = "instruments", params(SearchParams),
    responses((status = 200, body = SearchResultsDto), BadRequest))]
pub async fn search_instruments(
    State(state): State<Arc<AppState>>,
    requester: Requester,
    Query(params): Query<SearchParams>,
) -> Result<Json<SearchResultsDto>, ApiError> {
    let answer = state
        .app
        .catalogue()
        .search(&requester, search_query(&params)?)
        .await?;
    Ok(Json(results_dto(answer)))
}
