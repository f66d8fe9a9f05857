//! Regional analytics, public like the region's published statistics: usage by the users'
//! origin, cross-provincial flows, utilisation, and expensive instruments standing idle. Each
//! answers JSON, or CSV with `format=csv`, for a period given as dates in the region's time
//! zone (a year up to today when absent). The figures come from the analytics facts
//! (`crate::analytics`), which say as of when.

use std::sync::Arc;

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use corridor_domain::analytics::{FlowLevel, Period, ProviderScope, UtilisationGroup};
use corridor_domain::{CategoryCode, Fen, InstitutionId, ProvinceCode};
use jiff::SignedDuration;

use super::analytics_dto::*;
use crate::extract::{Json, Query};
use crate::problem::{ApiError, Problem};
use crate::AppState;

/// The region's time zone, in which period dates are read.
pub const REGION_TIME_ZONE: &str = "Asia/Shanghai";
/// The longest period one question may cover.
const LONGEST_PERIOD_DAYS: i64 = 3_660;

/// The trimmed text, when there is any.
pub(crate) fn present(text: Option<&str>) -> Option<&str> {
    text.map(str::trim).filter(|text| !text.is_empty())
}

/// Reads `from` and `to` (dates in the region's zone, or instants); a year up to the end of
/// today when absent.
pub fn analytics_period(from: Option<&str>, to: Option<&str>) -> Result<Period, ApiError> {
    let zone = jiff::tz::TimeZone::get(REGION_TIME_ZONE)
        .map_err(|error| ApiError::internal(error.to_string()))?;
    let to = match present(to) {
        Some(text) => super::bookings::parse_instant_or_date("to", text, &zone)?,
        None => {
            let tomorrow = corridor_store::now()
                .to_zoned(zone.clone())
                .date()
                .tomorrow();
            let tomorrow = tomorrow.map_err(|error| ApiError::internal(error.to_string()))?;
            tomorrow
                .to_zoned(zone.clone())
                .map_err(|error| ApiError::internal(error.to_string()))?
                .timestamp()
        }
    };
    let from = match present(from) {
        Some(text) => super::bookings::parse_instant_or_date("from", text, &zone)?,
        None => to - SignedDuration::from_hours(24 * 365),
    };
    if to <= from {
        return Err(ApiError::invalid("to", "must be after from"));
    }
    if to.duration_since(from) > SignedDuration::from_hours(24 * LONGEST_PERIOD_DAYS) {
        return Err(ApiError::invalid(
            "to",
            format!("a period covers at most {LONGEST_PERIOD_DAYS} days"),
        ));
    }
    Ok(Period { from, to })
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

pub(crate) fn analytics_failed(error: corridor_domain::analytics::AnalyticsError) -> ApiError {
    ApiError::internal(error.to_string())
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
    responses((status = 200, body = OriginUsageDto, description = "JSON, or text/csv with format=csv"),
        (status = 400, body = Problem, content_type = "application/problem+json")))]
pub async fn usage_by_origin(
    State(state): State<Arc<AppState>>,
    Query(params): Query<UsageParams>,
) -> Result<Response, ApiError> {
    let period = analytics_period(params.from.as_deref(), params.to.as_deref())?;
    let scope = provider_scope(
        params.province.as_deref(),
        params.institution,
        params.category.as_deref(),
    )?;
    let build = state.analytics.facts().await?;
    let usage = build
        .facts
        .usage_by_origin(period, &scope)
        .map_err(analytics_failed)?;
    respond(
        params.format.as_deref(),
        OriginUsageDto::new(period_dto(period, build.as_of), usage),
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
    responses((status = 200, body = FlowMatrixDto, description = "JSON, or text/csv with format=csv"),
        (status = 400, body = Problem, content_type = "application/problem+json")))]
pub async fn flows(
    State(state): State<Arc<AppState>>,
    Query(params): Query<FlowParams>,
) -> Result<Response, ApiError> {
    let period = analytics_period(params.from.as_deref(), params.to.as_deref())?;
    let level = flow_level(params.level.as_deref())?;
    let build = state.analytics.facts().await?;
    let matrix = build.facts.flows(period, level).map_err(analytics_failed)?;
    let level_name = match level {
        FlowLevel::Province => "province",
        FlowLevel::City => "city",
    };
    respond(
        params.format.as_deref(),
        FlowMatrixDto::new(period_dto(period, build.as_of), level_name, matrix),
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
    responses((status = 200, body = UtilisationDto, description = "JSON, or text/csv with format=csv"),
        (status = 400, body = Problem, content_type = "application/problem+json")))]
pub async fn utilisation(
    State(state): State<Arc<AppState>>,
    Query(params): Query<UtilisationParams>,
) -> Result<Response, ApiError> {
    let period = analytics_period(params.from.as_deref(), params.to.as_deref())?;
    let (group, by) = utilisation_group(params.by.as_deref())?;
    let build = state.analytics.facts().await?;
    let rows = build
        .facts
        .utilisation(period, group)
        .map_err(analytics_failed)?;
    respond(
        params.format.as_deref(),
        UtilisationDto {
            period: period_dto(period, build.as_of),
            by: by.to_owned(),
            rows: rows.into_iter().map(Into::into).collect(),
        },
        UtilisationDto::csv,
    )
}

/// Instruments bought for at least `min_value_yuan` and booked for at most
/// `max_utilisation` of their open hours: the list a province's science office asks for.
#[utoipa::path(get, path = "/analytics/idle-instruments", tag = "analytics", params(IdleParams),
    responses((status = 200, body = IdleInstrumentsDto, description = "JSON, or text/csv with format=csv"),
        (status = 400, body = Problem, content_type = "application/problem+json")))]
pub async fn idle_instruments(
    State(state): State<Arc<AppState>>,
    Query(params): Query<IdleParams>,
) -> Result<Response, ApiError> {
    let period = analytics_period(params.from.as_deref(), params.to.as_deref())?;
    let min_value_yuan = params.min_value_yuan.unwrap_or(1_000_000);
    if !(0..=100_000_000_000).contains(&min_value_yuan) {
        return Err(ApiError::invalid(
            "min_value_yuan",
            "must be between 0 and 100,000,000,000",
        ));
    }
    let max_utilisation = params.max_utilisation.unwrap_or(0.01);
    if !(0.0..=1.0).contains(&max_utilisation) {
        return Err(ApiError::invalid(
            "max_utilisation",
            "must be a share between 0 and 1",
        ));
    }
    let limit = params.limit.unwrap_or(100);
    if !(1..=500).contains(&limit) {
        return Err(ApiError::invalid("limit", "must be between 1 and 500"));
    }
    let build = state.analytics.facts().await?;
    let idle = build
        .facts
        .idle_expensive(period, Fen::from_yuan(min_value_yuan), max_utilisation)
        .map_err(analytics_failed)?;
    let total = idle.len() as u64;
    respond(
        params.format.as_deref(),
        IdleInstrumentsDto {
            period: period_dto(period, build.as_of),
            min_value_fen: Fen::from_yuan(min_value_yuan).0,
            max_utilisation,
            total,
            items: idle
                .into_iter()
                .take(limit as usize)
                .map(Into::into)
                .collect(),
        },
        IdleInstrumentsDto::csv,
    )
}
