//! `GET /api/v1/analytics/cluster-reach` and `.../cluster-reach/by-origin`: the share of an
//! industrial cluster (the firms of a sector) or of a category of instruments within N
//! minutes by rail for a departure window, from one place or from every city of the region.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::State;
use axum::response::Response;
use corridor_domain::analytics::{ClusterCity, ClusterTarget};
use corridor_domain::PageLimit;
use corridor_domain::{CategoryCode, City, InstitutionId, Sector};
use corridor_store::{CityFilter, PageRequest};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::analytics::{present, respond};
use super::reach::parse_window;
use crate::extract::Query;
use crate::problem::{ApiError, Problem};
use crate::AppState;
use corridor_app::cluster_reach::{cluster_reach_from, cluster_reached_from_each, TravelBudget};
use corridor_store::voucher::csv_field;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ClusterReachParams {
    /// Six-digit code of the origin city; give this or `from_institution`.
    pub from_city: Option<u32>,
    /// An institution (a site of a firm, say) whose city is the origin; it is left out of its
    /// own cluster.
    pub from_institution: Option<i64>,
    /// The cluster: the corporations of this sector (e.g. `aerospace`); give this or `category`.
    pub sector: Option<String>,
    /// The cluster: the instruments of this category (two- or four-digit code).
    pub category: Option<String>,
    /// Earliest departure, `HH:MM`; 08:00 when absent.
    pub depart: Option<String>,
    /// Length of the departure window in minutes (0 to 720); 120 when absent.
    pub window: Option<u16>,
    /// Travel-time budget in minutes (1 to 720); 180 when absent.
    pub within: Option<u16>,
    /// `json` (default) or `csv`.
    pub format: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ClusterReachByOriginParams {
    /// The cluster: the corporations of this sector; give this or `category`.
    pub sector: Option<String>,
    /// The cluster: the instruments of this category (two- or four-digit code).
    pub category: Option<String>,
    /// Earliest departure, `HH:MM`; 08:00 when absent.
    pub depart: Option<String>,
    /// Length of the departure window in minutes (0 to 720); 120 when absent.
    pub window: Option<u16>,
    /// Travel-time budget in minutes (1 to 720); 180 when absent.
    pub within: Option<u16>,
    /// `json` (default) or `csv`.
    pub format: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ClusterTargetDto {
    /// `sector_firms` or `instrument_category`.
    pub kind: String,
    pub code: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ClusterReachCityDto {
    pub city: u32,
    pub name_en: String,
    pub name_zh: String,
    pub province: String,
    pub lon: f64,
    pub lat: f64,
    /// Members of the cluster in this city.
    pub members: u64,
    /// Shortest travel time for a departure in the window; null when beyond the budget.
    pub minutes: Option<u16>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ClusterReachDto {
    pub from_city: u32,
    pub from_institution: Option<i64>,
    pub target: ClusterTargetDto,
    pub depart: String,
    pub window: u16,
    pub within: u16,
    pub members: u64,
    pub reached: u64,
    /// `reached / members`.
    pub share: f64,
    /// Every city with members: reached ones first, nearest first.
    pub cities: Vec<ClusterReachCityDto>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ClusterOriginDto {
    pub city: u32,
    pub name_en: String,
    pub name_zh: String,
    pub province: String,
    pub reached: u64,
    pub share: f64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ClusterReachByOriginDto {
    pub target: ClusterTargetDto,
    pub depart: String,
    pub window: u16,
    pub within: u16,
    pub members: u64,
    /// Every city of the region a station serves, best reach first.
    pub origins: Vec<ClusterOriginDto>,
}

impl ClusterReachDto {
    pub fn csv(&self) -> String {
        let mut out = String::from("city,name_en,name_zh,province,members,minutes\n");
        for city in &self.cities {
            out.push_str(&format!(
                "{},{},{},{},{},{}\n",
                city.city,
                csv_field(&city.name_en),
                csv_field(&city.name_zh),
                city.province,
                city.members,
                city.minutes
                    .map(|minutes| minutes.to_string())
                    .unwrap_or_default()
            ));
        }
        out
    }
}

impl ClusterReachByOriginDto {
    pub fn csv(&self) -> String {
        let mut out = String::from("city,name_en,name_zh,province,reached,members,share\n");
        for origin in &self.origins {
            out.push_str(&format!(
                "{},{},{},{},{},{},{:.4}\n",
                origin.city,
                csv_field(&origin.name_en),
                csv_field(&origin.name_zh),
                origin.province,
                origin.reached,
                self.members,
                origin.share
            ));
        }
        out
    }
}

/// The cluster named by `sector` or `category` (exactly one).
pub fn cluster_target(
    sector: Option<&str>,
    category: Option<&str>,
) -> Result<(ClusterTarget, ClusterTargetDto), ApiError> {
    match (present(sector), present(category)) {
        (Some(sector), None) => {
            let parsed = Sector::parse(sector)
                .map_err(|error| ApiError::invalid("sector", error.to_string()))?;
            Ok((
                ClusterTarget::SectorFirms(parsed),
                ClusterTargetDto {
                    kind: "sector_firms".into(),
                    code: parsed.as_code().into(),
                },
            ))
        }
        (None, Some(category)) => {
            let parsed = CategoryCode::parse(category).map_err(|_| {
                ApiError::invalid("category", "expected a two- or four-digit category code")
            })?;
            let code = parsed.as_str().to_owned();
            Ok((
                ClusterTarget::InstrumentCategory(parsed),
                ClusterTargetDto {
                    kind: "instrument_category".into(),
                    code,
                },
            ))
        }
        (Some(_), Some(_)) => Err(ApiError::invalid(
            "category",
            "give either sector or category, not both",
        )),
        (None, None) => Err(ApiError::invalid(
            "sector",
            "name the cluster with sector (firms) or category (instruments)",
        )),
    }
}

/// The departure window and travel budget from the query.
pub fn travel_budget(
    depart: Option<&str>,
    window: Option<u16>,
    within: Option<u16>,
) -> Result<TravelBudget, ApiError> {
    let (window_start, window_end) = parse_window(depart, window, "depart")?;
    let within_minutes = within.unwrap_or(180);
    if !(1..=720).contains(&within_minutes) {
        return Err(ApiError::invalid(
            "within",
            "must be between 1 and 720 minutes",
        ));
    }
    Ok(TravelBudget {
        window_start,
        window_end,
        within_minutes,
    })
}

/// Every city of the store, by code.
pub async fn cities_by_code(state: &AppState) -> Result<HashMap<u32, City>, ApiError> {
    let cities = state
        .store
        .cities(
            &CityFilter::default(),
            PageRequest {
                limit: PageLimit::new(500)?,
                after: None,
            },
        )
        .await?;
    Ok(cities
        .items
        .into_iter()
        .map(|city| (city.city.code.get(), city.city))
        .collect())
}

/// The figure for one origin, with every city's members and travel time; `cities` names them
/// (see [`cities_by_code`], read once per request).
pub async fn cluster_reach_dto(
    state: &AppState,
    params: &ClusterReachParams,
    cities: &HashMap<u32, City>,
) -> Result<ClusterReachDto, ApiError> {
    let (target, target_dto) =
        cluster_target(params.sector.as_deref(), params.category.as_deref())?;
    let budget = travel_budget(params.depart.as_deref(), params.window, params.within)?;
    let (from_city, excluded) = match (params.from_city, params.from_institution) {
        (Some(city), None) => (city, None),
        (None, Some(id)) => {
            let institution = state
                .store
                .institution(InstitutionId(id))
                .await?
                .ok_or_else(|| ApiError::NotFound(format!("institution {id}")))?;
            (institution.institution.city.get(), Some(InstitutionId(id)))
        }
        (Some(_), Some(_)) => {
            return Err(ApiError::invalid(
                "from_institution",
                "give either from_city or from_institution, not both",
            ))
        }
        (None, None) => {
            return Err(ApiError::invalid(
                "from_city",
                "name the origin with from_city or from_institution",
            ))
        }
    };
    if !state.rail.has_stations(from_city) {
        return Err(ApiError::invalid(
            "from_city",
            format!("no railway station serves the city {from_city}"),
        ));
    }
    let build = state.analytics.facts().await?;
    let members = build.facts.cluster_members(&target, excluded);
    let reach = cluster_reach_from(&state.rail, from_city, &members, budget);
    Ok(ClusterReachDto {
        from_city,
        from_institution: params.from_institution,
        target: target_dto,
        depart: corridor_rail::format_minute(u32::from(budget.window_start)),
        window: budget.window_end - budget.window_start,
        within: budget.within_minutes,
        members: reach.members,
        reached: reach.reached,
        share: reach.share,
        cities: reach
            .cities
            .iter()
            .map(|city| {
                let known = cities.get(&city.city.get());
                ClusterReachCityDto {
                    city: city.city.get(),
                    name_en: known.map(|c| c.name_en.clone()).unwrap_or_default(),
                    name_zh: known.map(|c| c.name_zh.clone()).unwrap_or_default(),
                    province: city.province.as_code().to_owned(),
                    lon: known.map_or(0.0, |c| c.location.lon),
                    lat: known.map_or(0.0, |c| c.location.lat),
                    members: city.members,
                    minutes: city.minutes,
                }
            })
            .collect(),
    })
}

/// The figure from every city of the region that a station serves; `cities` as for
/// [`cluster_reach_dto`].
pub async fn cluster_reach_by_origin_dto(
    state: &AppState,
    params: &ClusterReachByOriginParams,
    cities: &HashMap<u32, City>,
) -> Result<ClusterReachByOriginDto, ApiError> {
    let (target, target_dto) =
        cluster_target(params.sector.as_deref(), params.category.as_deref())?;
    let budget = travel_budget(params.depart.as_deref(), params.window, params.within)?;
    let build = state.analytics.facts().await?;
    let members: Vec<ClusterCity> = build.facts.cluster_members(&target, None);
    let total: u64 = members.iter().map(|city| city.members.len() as u64).sum();
    let mut origins: Vec<&City> = cities
        .values()
        .filter(|city| city.province.is_in_region() && state.rail.has_stations(city.code.get()))
        .collect();
    origins.sort_by_key(|city| city.code);
    let codes: Vec<u32> = origins.iter().map(|city| city.code.get()).collect();
    // One sweep per departure minute (a few milliseconds for the region's cities, more with
    // more origins): off the request threads.
    let rail = state.rail.clone();
    let reached = tokio::task::spawn_blocking(move || {
        cluster_reached_from_each(&rail, &codes, &members, budget)
    })
    .await
    .map_err(|error| ApiError::internal(error.to_string()))?;
    let mut rows: Vec<ClusterOriginDto> = origins
        .iter()
        .zip(reached)
        .map(|(city, reached)| ClusterOriginDto {
            city: city.code.get(),
            name_en: city.name_en.clone(),
            name_zh: city.name_zh.clone(),
            province: city.province.as_code().to_owned(),
            reached,
            share: if total == 0 {
                0.0
            } else {
                reached as f64 / total as f64
            },
        })
        .collect();
    rows.sort_by(|a, b| b.reached.cmp(&a.reached).then(a.city.cmp(&b.city)));
    Ok(ClusterReachByOriginDto {
        target: target_dto,
        depart: corridor_rail::format_minute(u32::from(budget.window_start)),
        window: budget.window_end - budget.window_start,
        within: budget.within_minutes,
        members: total,
        origins: rows,
    })
}

/// The share of a cluster within a travel-time budget by rail from a city or an institution,
/// for some departure in the window; per city, its members and the shortest travel time.
#[utoipa::path(get, path = "/analytics/cluster-reach", tag = "analytics", params(ClusterReachParams),
    responses((status = 200, body = ClusterReachDto, description = "JSON, or text/csv with format=csv"),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn cluster_reach(
    State(state): State<Arc<AppState>>,
    Query(params): Query<ClusterReachParams>,
) -> Result<Response, ApiError> {
    let cities = cities_by_code(&state).await?;
    let dto = cluster_reach_dto(&state, &params, &cities).await?;
    respond(params.format.as_deref(), dto, ClusterReachDto::csv)
}

/// The same figure from every city of the region a station serves: where a cluster is best
/// reached from. Answered by the many-origin reachability matrices.
#[utoipa::path(get, path = "/analytics/cluster-reach/by-origin", tag = "analytics", params(ClusterReachByOriginParams),
    responses((status = 200, body = ClusterReachByOriginDto, description = "JSON, or text/csv with format=csv"),
        (status = 400, body = Problem, content_type = "application/problem+json")))]
pub async fn cluster_reach_by_origin(
    State(state): State<Arc<AppState>>,
    Query(params): Query<ClusterReachByOriginParams>,
) -> Result<Response, ApiError> {
    let cities = cities_by_code(&state).await?;
    let dto = cluster_reach_by_origin_dto(&state, &params, &cities).await?;
    respond(params.format.as_deref(), dto, ClusterReachByOriginDto::csv)
}
