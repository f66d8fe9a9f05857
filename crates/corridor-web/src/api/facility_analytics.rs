//! `GET /api/v1/analytics/facility`: the light source's usage by origin for a cycle — people
//! on its proposals and hours of beamtime granted, by home province (in the region or
//! outside) and institution kind, the share from the region, and demand per beamline. Public
//! like the other analytics: counts and sums only. CSV of each table with `format=csv`.

use std::sync::Arc;

use axum::extract::State;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::analytics::respond;
use super::facility::CycleDto;
use crate::extract::Query;
use crate::problem::responses::BadRequest;
use crate::problem::{ApiError, Problem};
use corridor_domain::facility::proposal::CycleId;

use super::facility_summaries::CycleStatistics;
use crate::AppState;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct FacilityAnalyticsParams {
    /// The cycle; by default the newest one with an allocation (else the newest).
    pub cycle: Option<i64>,
    /// `json` (default) or `csv`.
    pub format: Option<String>,
    /// With `format=csv`: `origins` (default), `kinds` or `beamlines`.
    pub table: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FacilityAnalyticsDto {
    pub cycle: CycleDto,
    pub statistics: CycleStatistics,
}

impl FacilityAnalyticsDto {
    fn origins_csv(&self) -> String {
        let mut out = String::from("origin,in_region,users,users_granted,hours_granted\n");
        for row in &self.statistics.origins {
            out.push_str(&format!(
                "{},{},{},{},{}\n",
                row.origin, row.in_region, row.users, row.users_granted, row.hours_granted
            ));
        }
        out
    }

    fn kinds_csv(&self) -> String {
        let mut out = String::from("institution_kind,users,users_granted,hours_granted\n");
        for row in &self.statistics.institution_kinds {
            out.push_str(&format!(
                "{},{},{},{}\n",
                row.institution_kind, row.users, row.users_granted, row.hours_granted
            ));
        }
        out
    }

    fn beamlines_csv(&self) -> String {
        let mut out = String::from("beamline_id,code,user_shifts,requested_shifts,granted_shifts,oversubscription,proposals\n");
        for row in &self.statistics.beamlines {
            out.push_str(&format!(
                "{},{},{},{},{},{:.4},{}\n",
                row.beamline_id,
                row.code,
                row.user_shifts,
                row.requested_shifts,
                row.granted_shifts,
                row.oversubscription,
                row.proposals
            ));
        }
        out
    }
}

/// The figures of `cycle`, or of the newest allocated cycle (else the newest); none when no
/// cycle exists.
pub async fn facility_analytics_dto(
    state: &AppState,
    cycle: Option<i64>,
) -> Result<Option<FacilityAnalyticsDto>, ApiError> {
    let figures = state
        .app
        .beamtime()
        .cycle_figures(cycle.map(CycleId))
        .await?;
    Ok(figures.map(|figures| FacilityAnalyticsDto {
        cycle: CycleDto::new(&figures.cycle, corridor_store::now()),
        statistics: figures.statistics.into(),
    }))
}

/// The light source's usage by origin for a cycle.
#[utoipa::path(get, path = "/analytics/facility", tag = "analytics", params(FacilityAnalyticsParams),
    responses((status = 200, body = FacilityAnalyticsDto, description = "JSON, or text/csv with format=csv"), BadRequest,
        (status = 404, body = Problem, content_type = "application/problem+json", description = "no such cycle, or none yet")))]
pub async fn facility_analytics(
    State(state): State<Arc<AppState>>,
    Query(params): Query<FacilityAnalyticsParams>,
) -> Result<Response, ApiError> {
    let csv: fn(&FacilityAnalyticsDto) -> String = match params.table.as_deref().map(str::trim) {
        None | Some("") | Some("origins") => FacilityAnalyticsDto::origins_csv,
        Some("kinds") => FacilityAnalyticsDto::kinds_csv,
        Some("beamlines") => FacilityAnalyticsDto::beamlines_csv,
        Some(other) => {
            return Err(ApiError::invalid(
                "table",
                format!("{other:?}: expected origins, kinds or beamlines"),
            ))
        }
    };
    if let Some(format) = params.format.as_deref() {
        if format != "json" && format != "csv" {
            return Err(ApiError::invalid(
                "format",
                format!("{format:?}: expected json or csv"),
            ));
        }
    }
    let dto = facility_analytics_dto(&state, params.cycle)
        .await?
        .ok_or_else(|| ApiError::NotFound("no proposal cycle yet".into()))?;
    respond(params.format.as_deref(), dto, csv)
}
