//! Regional analytics, public like the region's published statistics: usage by the users'
//! origin, cross-provincial flows, utilisation, and expensive instruments standing idle. Each
//! answers JSON, or CSV with `format=csv`, for a period given as dates in the region's time
//! zone (a year up to today when absent). The figures, the period's defaults and limits come
//! from the analytics service (`corridor_app::analytics`), whose facts say as of when.

use std::sync::Arc;

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use corridor_app::analytics::{IdleQuery, PeriodQuery};
use corridor_domain::analytics::{FlowLevel, Period, ProviderScope, UtilisationGroup};
use corridor_domain::{CategoryCode, InstitutionId, ProvinceCode};

use super::analytics_dto::*;
use super::instant_or_date;
use crate::extract::{Json, Query};
use crate::problem::responses::BadRequest;
use crate::problem::ApiError;
use crate::AppState;

/// The trimmed text, when there is any.
pub(crate) fn present(text: Option<&str>) -> Option<&str> {
    text.map(str::trim).filter(|text| !text.is_empty())
}

/// Reads `from` and `to` (dates or instants, `to` first); the analytics service places the
/// dates in the region's time zone and applies the period's default and limits.
pub fn period_query(from: Option<&str>, to: Option<&str>) -> Result<PeriodQuery, ApiError> {
    let to = present(to)
        .map(|text| instant_or_date("to", text))
        .transpose()?;
    let from = present(from)
        .map(|text| instant_or_date("from", text))
        .transpose()?;
    Ok(PeriodQuery { from, to })
}

pub(crate) fn period_dto(period: Period, as_of: jiff::Timestamp) -> AnalyticsPeriodDto {
    AnalyticsPeriodDto {
        from: period.from.to_string(),
        to: period.to.to_string(),
        as_of: as_of.to_string(),
    }
}

/// JSON, or the CSV form with `format=csv`.
pub(crate) fn respond<T: serde::Serialize>(
    format: Option<&str>,
    body: T,
    csv: impl FnOnce(&T) -> String,
) -> Result<Response, ApiError> {
    match format {
        None | Some("json") => Ok(Json(body).into_response()),
        Some("csv") => Ok((
            [(header::CONTENT_TYPE, "text/csv; charset=utf-8")],
            csv(&body),
        )
            .into_response()),
        Some(other) => Err(ApiError::invalid(
            "format",
            format!("{other:?}: expected json or csv"),
        )),
    }
}

/// Which provider instruments a usage breakdown covers, from the query.
pub fn provider_scope(
    province: Option<&str>,
    institution: Option<i64>,
    category: Option<&str>,
) -> Result<ProviderScope, ApiError> {
    Ok(ProviderScope {
        province: present(province)
            .map(|code| {
                ProvinceCode::parse(code)
                    .map_err(|_| ApiError::invalid("province", "expected SH, JS, ZJ, AH or OUT"))
            })
            .transpose()?,
        institution: institution.map(InstitutionId),
        category: present(category)
            .map(|code| {
                CategoryCode::parse(code).map_err(|_| {
                    ApiError::invalid("category", "expected a two- or four-digit category code")
                })
            })
            .transpose()?,
    })
}

/// Users, bookings, hours and fees of the instruments in scope, by the users' home province,
/// institution kind and sector, and the share from the region.
#[utoipa::path(get, path = "/analytics/usage-by-origin", tag = "analytics", params(UsageParams),
    responses((status = 200, body = OriginUsageDto, description = "JSON, or text/csv with format=csv"), BadRequest))]
pub async fn usage_by_origin(
    State(state): State<Arc<AppState>>,
    Query(params): Query<UsageParams>,
) -> Result<Response, ApiError> {
    let period = period_query(params.from.as_deref(), params.to.as_deref())?;
    let scope = provider_scope(
        params.province.as_deref(),
        params.institution,
        params.category.as_deref(),
    )?;
    let usage = state
        .app
        .analytics()
        .usage_by_origin(period, &scope)
        .await?;
    respond(
        params.format.as_deref(),
        OriginUsageDto::new(period_dto(usage.period, usage.as_of), usage.figures),
        OriginUsageDto::csv,
    )
}

pub fn flow_level(text: Option<&str>) -> Result<FlowLevel, ApiError> {
    match text.map(str::trim) {
        None | Some("") | Some("province") => Ok(FlowLevel::Province),
        Some("city") => Ok(FlowLevel::City),
        Some(other) => Err(ApiError::invalid(
            "level",
            format!("{other:?}: expected province or city"),
        )),
    }
}

/// Bookings, hours and fees from users of each province (or city) at providers of each
/// province (or city).
#[utoipa::path(get, path = "/analytics/flows", tag = "analytics", params(FlowParams),
    responses((status = 200, body = FlowMatrixDto, description = "JSON, or text/csv with format=csv"), BadRequest))]
pub async fn flows(
    State(state): State<Arc<AppState>>,
    Query(params): Query<FlowParams>,
) -> Result<Response, ApiError> {
    let period = period_query(params.from.as_deref(), params.to.as_deref())?;
    let level = flow_level(params.level.as_deref())?;
    let flows = state.app.analytics().flows(period, level).await?;
    let level_name = match level {
        FlowLevel::Province => "province",
        FlowLevel::City => "city",
    };
    respond(
        params.format.as_deref(),
        FlowMatrixDto::new(
            period_dto(flows.period, flows.as_of),
            level_name,
            flows.figures,
        ),
        FlowMatrixDto::csv,
    )
}

pub fn utilisation_group(text: Option<&str>) -> Result<(UtilisationGroup, &'static str), ApiError> {
    match text.map(str::trim) {
        None | Some("") | Some("category") => Ok((UtilisationGroup::Category, "category")),
        Some("institution") => Ok((UtilisationGroup::Institution, "institution")),
        Some("city") => Ok((UtilisationGroup::City, "city")),
        Some(other) => Err(ApiError::invalid(
            "by",
            format!("{other:?}: expected category, institution or city"),
        )),
    }
}

/// Booked against open hours, by top-level category, institution or city.
#[utoipa::path(get, path = "/analytics/utilisation", tag = "analytics", params(UtilisationParams),
    responses((status = 200, body = UtilisationDto, description = "JSON, or text/csv with format=csv"), BadRequest))]
pub async fn utilisation(
    State(state): State<Arc<AppState>>,
    Query(params): Query<UtilisationParams>,
) -> Result<Response, ApiError> {
    let period = period_query(params.from.as_deref(), params.to.as_deref())?;
    let (group, by) = utilisation_group(params.by.as_deref())?;
    let utilisation = state.app.analytics().utilisation(period, group).await?;
    respond(
        params.format.as_deref(),
        UtilisationDto {
            period: period_dto(utilisation.period, utilisation.as_of),
            by: by.to_owned(),
            rows: utilisation.figures.into_iter().map(Into::into).collect(),
        },
        UtilisationDto::csv,
    )
}

/// Instruments bought for at least `min_value_yuan` and booked for at most
/// `max_utilisation` of their open hours: the list a province's science office asks for.
#[utoipa::path(get, path = "/analytics/idle-instruments", tag = "analytics", params(IdleParams),
    responses((status = 200, body = IdleInstrumentsDto, description = "JSON, or text/csv with format=csv"), BadRequest))]
pub async fn idle_instruments(
    State(state): State<Arc<AppState>>,
    Query(params): Query<IdleParams>,
) -> Result<Response, ApiError> {
    let period = period_query(params.from.as_deref(), params.to.as_deref())?;
    let idle = state
        .app
        .analytics()
        .idle_instruments(
            period,
            IdleQuery {
                min_value_yuan: params.min_value_yuan,
                max_utilisation: params.max_utilisation,
                limit: params.limit,
            },
        )
        .await?;
    respond(
        params.format.as_deref(),
        IdleInstrumentsDto {
            period: period_dto(idle.period, idle.as_of),
            min_value_fen: idle.figures.min_value.0,
            max_utilisation: idle.figures.max_utilisation,
            total: idle.figures.total,
            items: idle.figures.items.into_iter().map(Into::into).collect(),
        },
        IdleInstrumentsDto::csv,
    )
}
