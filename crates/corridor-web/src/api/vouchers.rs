//! Innovation vouchers: programmes, applications and decisions, the enterprise's wallet, the
//! split of a booking's price, and the settlement statement between provinces.
//!
//! Who may do what is decided by the application layer's voucher service
//! (`corridor_app::vouchers`): programmes are public (a company must find them); a province's
//! voucher office (and platform admins) create its programmes, see and decide their
//! applications, and see the settlement rows its province pays or is paid; any signed-in user
//! applies for, sees and spends the vouchers of their own home institution. The handlers here
//! read the request, call one operation and answer its result.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use corridor_app::vouchers::{ApplicationDecision, NewProgramme, PeriodBound};
use corridor_app::{AppError, Refusal};
use corridor_domain::voucher::{
    ApplicationStatus, ProviderScope, RedemptionMode, VoucherApplicationId, VoucherId,
    VoucherProgrammeId, VoucherRefusal,
};
use corridor_domain::{CategoryCode, Fen, InstrumentId, ProvinceCode};

use super::dto::PageDto;
use super::page_request;
use crate::auth::Requester;
use crate::extract::{Json, Path, Query};
use crate::problem::responses::{
    BadRequest, Conflict, Forbidden, NotFound, Unauthorized, Unprocessable,
};
use crate::problem::{ApiError, Problem};
use crate::AppState;

pub use super::voucher_dto::*;

/// A voucher refusal as the API answers it (the booking endpoints answer a voucher's refusal
/// of a booking the same way).
pub fn voucher_refused(refusal: &VoucherRefusal) -> ApiError {
    AppError::Refused(Refusal::Voucher(refusal.clone())).into()
}

fn parse_date(field: &'static str, text: &str) -> Result<jiff::civil::Date, ApiError> {
    Ok(corridor_domain::instant::parse_date(field, text)?)
}

/// Reads one end of a settlement period: a date (taken in the region's time zone by the
/// service) or an RFC 3339 instant.
fn parse_period_bound(field: &'static str, text: &str) -> Result<PeriodBound, ApiError> {
    match corridor_domain::instant::parse_date(field, text) {
        Ok(day) => Ok(PeriodBound::Day(day)),
        Err(_) => Ok(PeriodBound::Instant(super::bookings::parse_instant(
            field, text,
        )?)),
    }
}

#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ProgrammeListParams {
    /// SH, JS, ZJ or AH.
    pub province: Option<String>,
}

/// The voucher programmes, with what is left of their budgets.
#[utoipa::path(get, path = "/voucher-programmes", tag = "vouchers", params(ProgrammeListParams),
    responses((status = 200, body = Vec<VoucherProgrammeDto>), BadRequest))]
pub async fn list_programmes(
    State(state): State<Arc<AppState>>,
    Query(params): Query<ProgrammeListParams>,
) -> Result<Json<Vec<VoucherProgrammeDto>>, ApiError> {
    let province = params
        .province
        .as_deref()
        .map(ProvinceCode::parse)
        .transpose()?;
    let programmes = state.app.vouchers().programmes(province).await?;
    Ok(Json(programmes.into_iter().map(Into::into).collect()))
}

#[utoipa::path(get, path = "/voucher-programmes/{id}", tag = "vouchers", params(("id" = i64, Path, description = "Programme id")),
    responses((status = 200, body = VoucherProgrammeDto), NotFound))]
pub async fn get_programme(
    State(state): State<Arc<AppState>>,
    Path(id): Path<i64>,
) -> Result<Json<VoucherProgrammeDto>, ApiError> {
    let programme = state
        .app
        .vouchers()
        .programme(VoucherProgrammeId(id))
        .await?;
    Ok(Json(programme.into()))
}

/// Creates a programme and funds its budget from the province's treasury; the province's
/// voucher office only.
#[utoipa::path(post, path = "/voucher-programmes", tag = "vouchers", request_body = VoucherProgrammeInput, security(("bearer" = [])),
    responses((status = 201, body = VoucherProgrammeDto), BadRequest, Unauthorized, Forbidden))]
pub async fn create_programme(
    State(state): State<Arc<AppState>>,
    requester: Requester,
    Json(input): Json<VoucherProgrammeInput>,
) -> Result<Response, ApiError> {
    let programme = NewProgramme {
        province: ProvinceCode::parse(&input.province)?,
        name_en: input.name_en,
        name_zh: input.name_zh,
        budget: Fen(input.budget_fen),
        co_funding_percent: input.co_funding_percent,
        annual_cap_per_enterprise: Fen(input.annual_cap_per_enterprise_fen),
        valid_from: parse_date("valid_from", &input.valid_from)?,
        valid_until: parse_date("valid_until", &input.valid_until)?,
        eligible_categories: input
            .eligible_categories
            .iter()
            .map(|code| CategoryCode::parse(code))
            .collect::<Result<_, _>>()?,
        provider_scope: ProviderScope::parse(&input.provider_scope)?,
        redemption_mode: RedemptionMode::parse(&input.redemption_mode)?,
    };
    let record = state
        .app
        .vouchers()
        .create_programme(&requester, programme)
        .await?;
    Ok((StatusCode::CREATED, Json(VoucherProgrammeDto::from(record))).into_response())
}

/// Applies for a voucher for the signed-in user's own institution, which must be an
/// enterprise of the programme's province.
#[utoipa::path(post, path = "/voucher-programmes/{id}/applications", tag = "vouchers", request_body = VoucherApplicationInput, security(("bearer" = [])),
    params(("id" = i64, Path, description = "Programme id")),
    responses((status = 201, body = VoucherApplicationDto), BadRequest, Unauthorized, Forbidden, NotFound, Unprocessable))]
pub async fn apply(
    State(state): State<Arc<AppState>>,
    requester: Requester,
    Path(id): Path<i64>,
    Json(input): Json<VoucherApplicationInput>,
) -> Result<Response, ApiError> {
    let application = state
        .app
        .vouchers()
        .apply(
            &requester,
            VoucherProgrammeId(id),
            Fen(input.requested_fen),
            &input.purpose,
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(VoucherApplicationDto::from(application)),
    )
        .into_response())
}

/// A programme's applications, oldest first; its province's voucher office only.
#[utoipa::path(get, path = "/voucher-applications", tag = "vouchers", params(ApplicationListParams), security(("bearer" = [])),
    responses((status = 200, body = PageDto<VoucherApplicationDto>), BadRequest, Unauthorized, Forbidden,
        (status = 404, body = Problem, content_type = "application/problem+json", description = "no such programme")))]
pub async fn list_applications(
    State(state): State<Arc<AppState>>,
    requester: Requester,
    Query(params): Query<ApplicationListParams>,
) -> Result<Json<PageDto<VoucherApplicationDto>>, ApiError> {
    let status = params
        .status
        .as_deref()
        .map(ApplicationStatus::parse)
        .transpose()?;
    let page = state
        .app
        .vouchers()
        .applications(
            &requester,
            params.programme.map(VoucherProgrammeId),
            status,
            page_request(params.limit, params.cursor.as_deref())?,
        )
        .await?;
    Ok(Json(PageDto::from_page(page, VoucherApplicationDto::from)))
}

/// Approves (issuing the voucher from the programme's budget) or rejects an application.
#[utoipa::path(post, path = "/voucher-applications/{id}/decision", tag = "vouchers", request_body = VoucherDecisionInput, security(("bearer" = [])),
    params(("id" = i64, Path, description = "Application id")),
    responses((status = 200, body = VoucherApplicationDto, description = "Decided; when approved, `voucher_id` names the voucher"), BadRequest, Unauthorized, Forbidden, NotFound, Conflict, Unprocessable))]
pub async fn decide_application(
    State(state): State<Arc<AppState>>,
    requester: Requester,
    Path(id): Path<i64>,
    Json(input): Json<VoucherDecisionInput>,
) -> Result<Json<VoucherApplicationDto>, ApiError> {
    let decision = ApplicationDecision {
        approve: input.approve,
        amount: input.amount_fen.map(Fen),
        note: input.note,
    };
    let application = state
        .app
        .vouchers()
        .decide(&requester, VoucherApplicationId(id), decision)
        .await?;
    Ok(Json(application.into()))
}

/// The vouchers of the signed-in user's institution: the enterprise's wallet.
#[utoipa::path(get, path = "/me/vouchers", tag = "vouchers", security(("bearer" = [])),
    responses((status = 200, body = Vec<VoucherDto>), Unauthorized))]
pub async fn my_vouchers(
    State(state): State<Arc<AppState>>,
    requester: Requester,
) -> Result<Json<Vec<VoucherDto>>, ApiError> {
    let vouchers = state.app.vouchers().my_vouchers(&requester).await?;
    Ok(Json(vouchers.into_iter().map(Into::into).collect()))
}

/// How a booking's price would split between the voucher and the enterprise, now.
#[utoipa::path(post, path = "/vouchers/{id}/quote", tag = "vouchers", request_body = VoucherQuoteInput, security(("bearer" = [])),
    params(("id" = i64, Path, description = "Voucher id")),
    responses((status = 200, body = PriceSplitDto), BadRequest, Unauthorized, Forbidden, NotFound, Unprocessable))]
pub async fn quote(
    State(state): State<Arc<AppState>>,
    requester: Requester,
    Path(id): Path<i64>,
    Json(input): Json<VoucherQuoteInput>,
) -> Result<Json<PriceSplitDto>, ApiError> {
    let range = corridor_domain::TimeRange::new(
        super::bookings::parse_instant("starts_at", &input.starts_at)?,
        super::bookings::parse_instant("ends_at", &input.ends_at)?,
    )?;
    let split = state
        .app
        .vouchers()
        .quote(
            &requester,
            VoucherId(id),
            InstrumentId(input.instrument_id),
            range,
        )
        .await?;
    Ok(Json(split.into()))
}

/// What each province's programmes owe claimants, per provider province, for the redemptions
/// posted in `[from, to)`: JSON, or CSV with `format=csv`. A voucher office sees the rows its
/// province pays or is paid; platform admins see all.
#[utoipa::path(get, path = "/voucher-settlement", tag = "vouchers", params(SettlementParams), security(("bearer" = [])),
    responses((status = 200, body = SettlementDto, description = "JSON, or text/csv with format=csv"), BadRequest, Unauthorized, Forbidden))]
pub async fn settlement(
    State(state): State<Arc<AppState>>,
    requester: Requester,
    Query(params): Query<SettlementParams>,
) -> Result<Response, ApiError> {
    let from = parse_period_bound("from", &params.from)?;
    let to = parse_period_bound("to", &params.to)?;
    let statement = state
        .app
        .vouchers()
        .settlement(&requester, from, to)
        .await?;
    let (from, to, rows) = (statement.from, statement.to, statement.rows);
    match params.format.as_deref() {
        None | Some("json") => Ok(Json(SettlementDto {
            from: from.to_string(),
            to: to.to_string(),
            rows: rows.into_iter().map(Into::into).collect(),
        })
        .into_response()),
        Some("csv") => Ok((
            [(header::CONTENT_TYPE, "text/csv; charset=utf-8")],
            corridor_store::settlement_csv(&rows),
        )
            .into_response()),
        Some(other) => Err(ApiError::invalid(
            "format",
            format!("{other:?}: expected json or csv"),
        )),
    }
}
