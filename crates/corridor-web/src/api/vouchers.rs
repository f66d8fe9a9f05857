//! Innovation vouchers: programmes, applications and decisions, the enterprise's wallet, the
//! split of a booking's price, and the settlement statement between provinces.
//!
//! Who may do what: programmes are public (a company must find them); a province's voucher
//! office (and platform admins) create its programmes, see and decide their applications, and
//! see the settlement rows its province pays or is paid; any signed-in user applies for, sees
//! and spends the vouchers of their own home institution.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use corridor_domain::voucher::{
    ApplicationStatus, ProviderScope, RedemptionMode, VoucherApplicationId, VoucherId,
    VoucherProgramme, VoucherProgrammeId, VoucherRefusal,
};
use corridor_domain::{CategoryCode, Fen, InstrumentId, ProvinceCode, Role, User};
use corridor_store::{BookingRequest, NewVoucherApplication, VoucherDecision};

use super::dto::PageDto;
use super::page_request;
use crate::auth::Requester;
use crate::extract::{Json, Path, Query};
use crate::problem::{ApiError, Problem};
use crate::AppState;

pub use super::voucher_dto::*;

fn require_office_of(user: &User, province: ProvinceCode) -> Result<(), ApiError> {
    if user.runs_voucher_office_of(province) {
        Ok(())
    } else {
        Err(ApiError::Forbidden(format!(
            "only the voucher office of {} may do this",
            province.as_code()
        )))
    }
}

pub fn voucher_refused(refusal: &VoucherRefusal) -> ApiError {
    ApiError::Refused {
        slug: refusal.slug(),
        detail: refusal.to_string(),
    }
}

fn parse_date(field: &'static str, text: &str) -> Result<jiff::civil::Date, ApiError> {
    text.trim()
        .parse()
        .map_err(|_| ApiError::invalid(field, format!("{text:?} is not a date like 2026-01-31")))
}

async fn programme_of(
    state: &AppState,
    id: VoucherProgrammeId,
) -> Result<corridor_store::ProgrammeRecord, ApiError> {
    state
        .store
        .voucher_programme(id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no voucher programme {}", id.0)))
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
    responses((status = 200, body = Vec<VoucherProgrammeDto>), (status = 400, body = Problem, content_type = "application/problem+json")))]
pub async fn list_programmes(
    State(state): State<Arc<AppState>>,
    Query(params): Query<ProgrammeListParams>,
) -> Result<Json<Vec<VoucherProgrammeDto>>, ApiError> {
    let province = params
        .province
        .as_deref()
        .map(ProvinceCode::parse)
        .transpose()?;
    let programmes = state.store.voucher_programmes(province).await?;
    Ok(Json(programmes.into_iter().map(Into::into).collect()))
}

#[utoipa::path(get, path = "/voucher-programmes/{id}", tag = "vouchers", params(("id" = i64, Path, description = "Programme id")),
    responses((status = 200, body = VoucherProgrammeDto), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn get_programme(
    State(state): State<Arc<AppState>>,
    Path(id): Path<i64>,
) -> Result<Json<VoucherProgrammeDto>, ApiError> {
    Ok(Json(
        programme_of(&state, VoucherProgrammeId(id)).await?.into(),
    ))
}

/// Creates a programme and funds its budget from the province's treasury; the province's
/// voucher office only.
#[utoipa::path(post, path = "/voucher-programmes", tag = "vouchers", request_body = VoucherProgrammeInput, security(("bearer" = [])),
    responses((status = 201, body = VoucherProgrammeDto), (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn create_programme(
    State(state): State<Arc<AppState>>,
    requester: Requester,
    Json(input): Json<VoucherProgrammeInput>,
) -> Result<Response, ApiError> {
    let user = requester.require_user()?;
    let province = ProvinceCode::parse(&input.province)?;
    if !province.is_in_region() {
        return Err(ApiError::invalid(
            "province",
            "only the region's provinces run voucher programmes",
        ));
    }
    require_office_of(user, province)?;
    let programme = VoucherProgramme {
        id: VoucherProgrammeId(0),
        province,
        name_en: corridor_domain::bounded_text("name_en", &input.name_en, 200)?,
        name_zh: corridor_domain::bounded_text("name_zh", &input.name_zh, 200)?,
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
    programme.validate()?;
    let id = state
        .store
        .create_voucher_programme(&programme, &requester.audit_context())
        .await?;
    let record = programme_of(&state, id).await?;
    Ok((StatusCode::CREATED, Json(VoucherProgrammeDto::from(record))).into_response())
}

/// Applies for a voucher for the signed-in user's own institution, which must be an
/// enterprise of the programme's province.
#[utoipa::path(post, path = "/voucher-programmes/{id}/applications", tag = "vouchers", request_body = VoucherApplicationInput, security(("bearer" = [])),
    params(("id" = i64, Path, description = "Programme id")),
    responses((status = 201, body = VoucherApplicationDto), (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn apply(
    State(state): State<Arc<AppState>>,
    requester: Requester,
    Path(id): Path<i64>,
    Json(input): Json<VoucherApplicationInput>,
) -> Result<Response, ApiError> {
    let user = requester.require_user()?;
    let application = NewVoucherApplication {
        programme: VoucherProgrammeId(id),
        enterprise: user.home_institution,
        applicant: user.id,
        requested: Fen(input.requested_fen),
        purpose: corridor_domain::bounded_text("purpose", &input.purpose, 2_000)?,
    };
    match state
        .store
        .apply_for_voucher(
            &application,
            corridor_store::now(),
            &requester.audit_context(),
        )
        .await?
    {
        Ok(application) => Ok((
            StatusCode::CREATED,
            Json(VoucherApplicationDto::from(application)),
        )
            .into_response()),
        Err(refusal) => Err(voucher_refused(&refusal)),
    }
}

/// A programme's applications, oldest first; its province's voucher office only.
#[utoipa::path(get, path = "/voucher-applications", tag = "vouchers", params(ApplicationListParams), security(("bearer" = [])),
    responses((status = 200, body = PageDto<VoucherApplicationDto>), (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json", description = "no such programme")))]
pub async fn list_applications(
    State(state): State<Arc<AppState>>,
    requester: Requester,
    Query(params): Query<ApplicationListParams>,
) -> Result<Json<PageDto<VoucherApplicationDto>>, ApiError> {
    let user = requester.require_user()?;
    let programme = match params.programme {
        Some(id) => {
            let record = programme_of(&state, VoucherProgrammeId(id)).await?;
            require_office_of(user, record.programme.province)?;
            Some(record.programme.id)
        }
        None if user.has_role(Role::PlatformAdmin) => None,
        None => {
            return Err(ApiError::invalid(
                "programme",
                "name the programme whose applications to list",
            ))
        }
    };
    let status = params
        .status
        .as_deref()
        .map(ApplicationStatus::parse)
        .transpose()?;
    let page = state
        .store
        .voucher_applications(
            programme,
            status,
            page_request(params.limit, params.cursor.as_deref())?,
        )
        .await?;
    Ok(Json(PageDto::from_page(page, VoucherApplicationDto::from)))
}

/// Approves (issuing the voucher from the programme's budget) or rejects an application.
#[utoipa::path(post, path = "/voucher-applications/{id}/decision", tag = "vouchers", request_body = VoucherDecisionInput, security(("bearer" = [])),
    params(("id" = i64, Path, description = "Application id")),
    responses((status = 200, body = VoucherApplicationDto, description = "Decided; when approved, `voucher_id` names the voucher"),
        (status = 400, body = Problem, content_type = "application/problem+json"), (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn decide_application(
    State(state): State<Arc<AppState>>,
    requester: Requester,
    Path(id): Path<i64>,
    Json(input): Json<VoucherDecisionInput>,
) -> Result<Json<VoucherApplicationDto>, ApiError> {
    let user = requester.require_user()?;
    let application = state
        .store
        .voucher_application(VoucherApplicationId(id))
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no voucher application {id}")))?;
    let record = programme_of(&state, application.programme).await?;
    require_office_of(user, record.programme.province)?;
    let note = corridor_domain::optional_bounded_text("note", input.note.as_deref(), 1_000)?;
    let decision = state
        .store
        .decide_voucher_application(
            VoucherApplicationId(id),
            input.approve,
            input.amount_fen.map(Fen),
            note.as_deref(),
            corridor_store::now(),
            &requester.audit_context(),
        )
        .await?;
    match decision {
        VoucherDecision::Issued { application, .. } | VoucherDecision::Rejected(application) => {
            Ok(Json(application.into()))
        }
        VoucherDecision::Refused(refusal) => Err(voucher_refused(&refusal)),
        VoucherDecision::BudgetExhausted { available } => Err(ApiError::Refused {
            slug: "budget-exhausted",
            detail: format!("the programme's budget has {available} left"),
        }),
        VoucherDecision::AlreadyDecided(status) => Err(ApiError::Refused {
            slug: "application-already-decided",
            detail: format!("the application was {} already", status.as_code()),
        }),
    }
}

/// The vouchers of the signed-in user's institution: the enterprise's wallet.
#[utoipa::path(get, path = "/me/vouchers", tag = "vouchers", security(("bearer" = [])),
    responses((status = 200, body = Vec<VoucherDto>), (status = 401, body = Problem, content_type = "application/problem+json")))]
pub async fn my_vouchers(
    State(state): State<Arc<AppState>>,
    requester: Requester,
) -> Result<Json<Vec<VoucherDto>>, ApiError> {
    let user = requester.require_user()?;
    let vouchers = state
        .store
        .vouchers_of_enterprise(user.home_institution)
        .await?;
    Ok(Json(vouchers.into_iter().map(Into::into).collect()))
}

/// How a booking's price would split between the voucher and the enterprise, now.
#[utoipa::path(post, path = "/vouchers/{id}/quote", tag = "vouchers", request_body = VoucherQuoteInput, security(("bearer" = [])),
    params(("id" = i64, Path, description = "Voucher id")),
    responses((status = 200, body = PriceSplitDto), (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn quote(
    State(state): State<Arc<AppState>>,
    requester: Requester,
    Path(id): Path<i64>,
    Json(input): Json<VoucherQuoteInput>,
) -> Result<Json<PriceSplitDto>, ApiError> {
    let user = requester.require_user()?;
    let voucher = visible_voucher(&state, user, id).await?;
    let range = corridor_domain::TimeRange::new(
        super::bookings::parse_instant("starts_at", &input.starts_at)?,
        super::bookings::parse_instant("ends_at", &input.ends_at)?,
    )?;
    let request = BookingRequest {
        instrument: InstrumentId(input.instrument_id),
        user: user.id,
        range,
        purpose: String::new(),
        idempotency_key: None,
        join_waitlist_if_taken: false,
    };
    let now = corridor_store::now();
    let booking_quote = state.store.quote_booking(&request, now).await?;
    match state
        .store
        .quote_voucher_split(voucher.id, request.instrument, booking_quote.price, now)
        .await?
    {
        Ok(split) => Ok(Json(split.into())),
        Err(refusal) => Err(voucher_refused(&refusal)),
    }
}

/// A voucher of the user's own institution; others' vouchers are answered as not found.
async fn visible_voucher(
    state: &AppState,
    user: &User,
    id: i64,
) -> Result<corridor_store::VoucherRecord, ApiError> {
    match state.store.voucher(VoucherId(id)).await? {
        Some(voucher) if voucher.enterprise == user.home_institution => Ok(voucher),
        _ => Err(ApiError::NotFound(format!(
            "no voucher {id} of your institution"
        ))),
    }
}

/// What each province's programmes owe claimants, per provider province, for the redemptions
/// posted in `[from, to)`: JSON, or CSV with `format=csv`. A voucher office sees the rows its
/// province pays or is paid; platform admins see all.
#[utoipa::path(get, path = "/voucher-settlement", tag = "vouchers", params(SettlementParams), security(("bearer" = [])),
    responses((status = 200, body = SettlementDto, description = "JSON, or text/csv with format=csv"),
        (status = 400, body = Problem, content_type = "application/problem+json"), (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn settlement(
    State(state): State<Arc<AppState>>,
    requester: Requester,
    Query(params): Query<SettlementParams>,
) -> Result<Response, ApiError> {
    let user = requester.require_user()?;
    let offices: Vec<ProvinceCode> = ProvinceCode::ALL
        .into_iter()
        .filter(|province| user.runs_voucher_office_of(*province))
        .collect();
    if offices.is_empty() {
        return Err(ApiError::Forbidden(
            "only voucher offices see settlement statements".into(),
        ));
    }
    let zone = jiff::tz::TimeZone::get("Asia/Shanghai")
        .map_err(|error| ApiError::internal(error.to_string()))?;
    let from = super::bookings::parse_instant_or_date("from", &params.from, &zone)?;
    let to = super::bookings::parse_instant_or_date("to", &params.to, &zone)?;
    if to <= from {
        return Err(ApiError::invalid("to", "must be after from"));
    }
    let rows: Vec<corridor_store::SettlementRow> = state
        .store
        .settlement_statement(from, to)
        .await?
        .into_iter()
        .filter(|row| {
            offices.contains(&row.payer_province) || offices.contains(&row.provider_province)
        })
        .collect();
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
