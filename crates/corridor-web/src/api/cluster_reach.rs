//! `GET /api/v1/analytics/cluster-reach` and `.../cluster-reach/by-origin`: the share of an
//! industrial cluster (the firms of a sector) or of a category of instruments within N
//! minutes by rail for a departure window, from one place or from every city of the region.

use std::sync::Arc;

use axum::extract::State;
use axum::response::Response;
use corridor_app::cluster_reach::{
    ClusterChoice, ClusterOriginsFigure, ClusterOriginsQuery, ClusterReachFigure, ClusterReachQuery,
};
use corridor_domain::analytics::ClusterTarget;
use corridor_domain::{CategoryCode, InstitutionId, Sector};
use corridor_store::vouchers::csv_field;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::analytics::{present, respond};
use super::reach::parse_departure;
use crate::extract::Query;
use crate::problem::responses::{BadRequest, NotFound};
use crate::problem::ApiError;
use crate::AppState;

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

/// Reads the cluster's `sector` or `category` (the analytics service decides that exactly one
/// is given).
pub fn cluster_choice(
    sector: Option<&str>,
    category: Option<&str>,
) -> Result<ClusterChoice, ApiError> {
    Ok(ClusterChoice {
        sector: present(sector)
            .map(|sector| {
                Sector::parse(sector)
                    .map_err(|error| ApiError::invalid("sector", error.to_string()))
            })
            .transpose()?,
        category: present(category)
            .map(|category| {
                CategoryCode::parse(category).map_err(|_| {
                    ApiError::invalid("category", "expected a two- or four-digit category code")
                })
            })
            .transpose()?,
    })
}

fn target_dto(target: &ClusterTarget) -> ClusterTargetDto {
    match target {
        ClusterTarget::SectorFirms(sector) => ClusterTargetDto {
            kind: "sector_firms".into(),
            code: sector.as_code().into(),
        },
        ClusterTarget::InstrumentCategory(category) => ClusterTargetDto {
            kind: "instrument_category".into(),
            code: category.as_str().to_owned(),
        },
    }
}

/// The question from one place, as read from the query.
pub fn cluster_reach_query(params: &ClusterReachParams) -> Result<ClusterReachQuery, ApiError> {
    Ok(ClusterReachQuery {
        from_city: params.from_city,
        from_institution: params.from_institution.map(InstitutionId),
        cluster: cluster_choice(params.sector.as_deref(), params.category.as_deref())?,
        departure: parse_departure("depart", params.depart.as_deref())?,
        window: params.window,
        within: params.within,
    })
}

/// The question from every origin, as read from the query.
pub fn cluster_origins_query(
    params: &ClusterReachByOriginParams,
) -> Result<ClusterOriginsQuery, ApiError> {
    Ok(ClusterOriginsQuery {
        cluster: cluster_choice(params.sector.as_deref(), params.category.as_deref())?,
        departure: parse_departure("depart", params.depart.as_deref())?,
        window: params.window,
        within: params.within,
    })
}

impl From<&ClusterReachFigure> for ClusterReachDto {
    fn from(figure: &ClusterReachFigure) -> ClusterReachDto {
        let budget = figure.budget;
        ClusterReachDto {
            from_city: figure.from_city,
            from_institution: figure.from_institution.map(|id| id.0),
            target: target_dto(&figure.target),
            depart: corridor_rail::format_minute(u32::from(budget.window_start)),
            window: budget.window_end - budget.window_start,
            within: budget.within_minutes,
            members: figure.reach.members,
            reached: figure.reach.reached,
            share: figure.reach.share,
            cities: figure
                .reach
                .cities
                .iter()
                .map(|city| {
                    let known = figure.cities.get(&city.city.get());
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
        }
    }
}

impl From<&ClusterOriginsFigure> for ClusterReachByOriginDto {
    fn from(figure: &ClusterOriginsFigure) -> ClusterReachByOriginDto {
        let budget = figure.budget;
        ClusterReachByOriginDto {
            target: target_dto(&figure.target),
            depart: corridor_rail::format_minute(u32::from(budget.window_start)),
            window: budget.window_end - budget.window_start,
            within: budget.within_minutes,
            members: figure.members,
            origins: figure
                .origins
                .iter()
                .map(|origin| ClusterOriginDto {
                    city: origin.city.code.get(),
                    name_en: origin.city.name_en.clone(),
                    name_zh: origin.city.name_zh.clone(),
                    province: origin.city.province.as_code().to_owned(),
                    reached: origin.reached,
                    share: origin.share,
                })
                .collect(),
        }
    }
}

/// The share of a cluster within a travel-time budget by rail from a city or an institution,
/// for some departure in the window; per city, its members and the shortest travel time.
#[utoipa::path(get, path = "/analytics/cluster-reach", tag = "analytics", params(ClusterReachParams),
    responses((status = 200, body = ClusterReachDto, description = "JSON, or text/csv with format=csv"), BadRequest, NotFound))]
pub async fn cluster_reach(
    State(state): State<Arc<AppState>>,
    Query(params): Query<ClusterReachParams>,
) -> Result<Response, ApiError> {
    let figure = state
        .app
        .analytics()
        .cluster_reach(&cluster_reach_query(&params)?)
        .await?;
    respond(
        params.format.as_deref(),
        ClusterReachDto::from(&figure),
        ClusterReachDto::csv,
    )
}

/// The same figure from every city of the region a station serves: where a cluster is best
/// reached from. Answered by the many-origin reachability matrices.
#[utoipa::path(get, path = "/analytics/cluster-reach/by-origin", tag = "analytics", params(ClusterReachByOriginParams),
    responses((status = 200, body = ClusterReachByOriginDto, description = "JSON, or text/csv with format=csv"), BadRequest))]
pub async fn cluster_reach_by_origin(
    State(state): State<Arc<AppState>>,
    Query(params): Query<ClusterReachByOriginParams>,
) -> Result<Response, ApiError> {
    let figure = state
        .app
        .analytics()
        .cluster_reach_by_origin(&cluster_origins_query(&params)?)
        .await?;
    respond(
        params.format.as_deref(),
        ClusterReachByOriginDto::from(&figure),
        ClusterReachByOriginDto::csv,
    )
}
