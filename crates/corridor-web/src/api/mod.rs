//! The JSON API under `/api/v1`. Conventions (docs/API.md): lists are paginated with `limit`
//! and an opaque `cursor`, answer `{total, items, next_cursor}` and refuse unknown
//! parameters; money is integer fen; every error is problem+json.

pub mod accounts;
pub mod analytics;
pub mod analytics_dto;
pub mod booking_dto;
pub mod booking_queues;
pub mod bookings;
pub mod catalogue;
pub mod catalogue_dto;
pub mod cluster_reach;
pub mod dto;
pub mod facility;
pub mod facility_analytics;
pub mod facility_dto;
pub mod facility_summaries;
pub mod ical;
pub(crate) mod links;
pub mod manage;
pub mod reach;
pub mod roster;
pub mod search;
pub mod voucher_analytics;
pub mod voucher_dto;
pub mod vouchers;

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use corridor_app::dates::InstantOrDate;
use corridor_domain::{
    AccessPolicy, BookingMode, CategoryCode, CityCode, InstitutionId, InstitutionKind,
    InstrumentId, PageLimit, ProvinceCode, Sector,
};
use corridor_store::{CityFilter, InstitutionFilter, InstrumentFilter, PageRequest};
use serde::Deserialize;
use utoipa::{IntoParams, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use self::dto::*;
use crate::auth::Requester;
use crate::extract::{Json, Path, Query};
use crate::problem::responses::{BadRequest, Forbidden, NotFound, Unauthorized};
use crate::problem::{ApiError, Problem};
use crate::AppState;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Corridor API",
        description = "Discover, book and account for shared research infrastructure across a region's provinces. Errors are RFC 9457 problem details; money is in fen (1/100 CNY).",
        license(name = "MIT OR Apache-2.0")
    ),
    components(schemas(Problem)),
    modifiers(&BearerSecurity),
    tags(
        (name = "region", description = "Provinces, cities, institutions and the region summary"),
        (name = "instruments", description = "Shared instruments and facilities"),
        (name = "accounts", description = "Who you are, and API tokens"),
        (name = "bookings", description = "Calendars, bookings, approvals, the waitlist and qualifications"),
        (name = "vouchers", description = "Innovation voucher programmes, applications, wallets and settlement"),
        (name = "facility", description = "The large facility's user programme: cycles, proposals, checks, review, allocation, the beam schedule and its statistics"),
        (name = "analytics", description = "Regional analytics: usage by origin, cross-provincial flows, utilisation, idle instruments, cluster reach by rail, vouchers"),
        (name = "admin", description = "Platform administration")
    )
)]
pub struct ApiDoc;

struct BearerSecurity;

impl utoipa::Modify for BearerSecurity {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The API's routes, with their OpenAPI descriptions gathered from the handlers.
pub fn router() -> OpenApiRouter<Arc<AppState>> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(list_provinces))
        .routes(routes!(list_cities))
        .routes(routes!(get_city))
        .routes(routes!(list_institutions, roster::create_institution))
        .routes(routes!(get_institution))
        .routes(routes!(list_instruments, manage::create_instrument))
        .routes(routes!(
            get_instrument,
            manage::update_instrument,
            manage::delete_instrument
        ))
        .routes(routes!(search::search_instruments))
        .routes(routes!(reach::get_reach))
        .routes(routes!(list_categories))
        .routes(routes!(list_beamlines))
        .routes(routes!(get_summary))
        .routes(routes!(get_me))
        .routes(routes!(create_token))
        .routes(routes!(accounts::sign_up))
        .routes(routes!(accounts::verify_email))
        .routes(routes!(accounts::resend_verification))
        .routes(routes!(accounts::request_password_reset))
        .routes(routes!(accounts::reset_password))
        .routes(routes!(accounts::request_email_change))
        .routes(routes!(accounts::confirm_email_change))
        .routes(routes!(accounts::my_account))
        .routes(routes!(accounts::membership_requests))
        .routes(routes!(accounts::decide_membership))
        .routes(routes!(roster::institution_people))
        .routes(routes!(roster::appoint, roster::remove))
        .routes(routes!(roster::bulk_qualifications))
        .routes(routes!(roster::my_sessions))
        .routes(routes!(roster::end_my_session))
        .routes(routes!(catalogue::check_file))
        .routes(routes!(catalogue::apply_file))
        .routes(routes!(catalogue::export_catalogue))
        .routes(routes!(list_my_tokens))
        .routes(routes!(revoke_my_token))
        .routes(routes!(list_audit_events))
        .routes(routes!(bookings::create_booking))
        .routes(routes!(bookings::get_booking))
        .routes(routes!(bookings::cancel_booking))
        .routes(routes!(bookings::reschedule_booking))
        .routes(routes!(bookings::approve_booking))
        .routes(routes!(bookings::reject_booking))
        .routes(routes!(bookings::record_usage))
        .routes(routes!(bookings::my_bookings))
        .routes(routes!(bookings::my_waitlist))
        .routes(routes!(bookings::withdraw_waitlist_entry))
        .routes(routes!(booking_queues::pending_bookings))
        .routes(routes!(booking_queues::usage_due))
        .routes(routes!(bookings::quote_booking))
        .routes(routes!(bookings::get_calendar))
        .routes(routes!(bookings::update_calendar_rules))
        .routes(routes!(bookings::add_closure))
        .routes(routes!(bookings::remove_closure))
        .routes(routes!(
            bookings::list_qualifications,
            bookings::grant_qualification
        ))
        .routes(routes!(bookings::revoke_qualification))
        .routes(routes!(ical::instrument_feed))
        .routes(routes!(ical::my_feed))
        .routes(routes!(
            vouchers::list_programmes,
            vouchers::create_programme
        ))
        .routes(routes!(vouchers::get_programme))
        .routes(routes!(vouchers::apply))
        .routes(routes!(vouchers::list_applications))
        .routes(routes!(vouchers::decide_application))
        .routes(routes!(vouchers::my_vouchers))
        .routes(routes!(vouchers::quote))
        .routes(routes!(vouchers::settlement))
        .routes(routes!(analytics::usage_by_origin))
        .routes(routes!(analytics::flows))
        .routes(routes!(analytics::utilisation))
        .routes(routes!(analytics::idle_instruments))
        .routes(routes!(cluster_reach::cluster_reach))
        .routes(routes!(cluster_reach::cluster_reach_by_origin))
        .routes(routes!(voucher_analytics::voucher_analytics))
        .routes(routes!(facility_analytics::facility_analytics))
        .routes(routes!(facility::list_cycles, facility::create_cycle))
        .routes(routes!(facility::get_cycle))
        .routes(routes!(
            facility::list_cycle_proposals,
            facility::create_proposal
        ))
        .routes(routes!(facility::get_proposal))
        .routes(routes!(facility::submit_proposal))
        .routes(routes!(facility::withdraw_proposal))
        .routes(routes!(facility::my_proposals))
        .routes(routes!(facility::record_check))
        .routes(routes!(facility::list_checks))
        .routes(routes!(facility::list_reviewers))
        .routes(routes!(facility::set_reviewer))
        .routes(routes!(facility::assign_reviewers))
        .routes(routes!(facility::my_reviews))
        .routes(routes!(facility::grade_proposal))
        .routes(routes!(facility::run_allocation))
        .routes(routes!(facility::list_decisions))
        .routes(routes!(facility::record_lost_day))
        .routes(routes!(facility::get_schedule))
        .routes(routes!(facility::beamline_schedule_feed))
        .routes(routes!(facility::get_statistics))
        .routes(routes!(facility::my_notifications))
}

type ApiResult<T> = Result<Json<T>, ApiError>;

impl<T: serde::Serialize> axum::response::IntoResponse for Json<T> {
    fn into_response(self) -> axum::response::Response {
        axum::Json(self.0).into_response()
    }
}

pub(crate) fn page_request(
    limit: Option<u32>,
    cursor: Option<&str>,
) -> Result<PageRequest, ApiError> {
    let limit = limit.map(PageLimit::new).transpose()?.unwrap_or_default();
    let after = cursor
        .map(|cursor| {
            cursor
                .parse::<i64>()
                .map_err(|_| ApiError::invalid("cursor", "is not a cursor this API handed out"))
        })
        .transpose()?;
    Ok(PageRequest { limit, after })
}

fn parse_optional<T>(
    value: Option<&str>,
    parse: impl Fn(&str) -> Result<T, corridor_domain::DomainError>,
) -> Result<Option<T>, ApiError> {
    Ok(value.map(parse).transpose()?)
}

/// Reads an RFC 3339 instant, or a bare date (`YYYY-MM-DD`), which the application layer
/// places in the region's time zone.
pub(crate) fn instant_or_date(field: &'static str, text: &str) -> Result<InstantOrDate, ApiError> {
    match corridor_domain::instant::parse_date(field, text) {
        Ok(date) => Ok(InstantOrDate::Date(date)),
        Err(_) => Ok(InstantOrDate::Instant(bookings::parse_instant(
            field, text,
        )?)),
    }
}

fn city_code(code: u32) -> Result<CityCode, ApiError> {
    CityCode::new(code).map_err(|error| ApiError::invalid("city", error.reason))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// Items per page, 1 to 500; 50 when absent.
    pub(crate) limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    pub(crate) cursor: Option<String>,
}

/// The region's provinces (and "outside the region") with counts.
#[utoipa::path(get, path = "/provinces", tag = "region",
    responses((status = 200, body = Vec<ProvinceDto>)))]
async fn list_provinces(State(state): State<Arc<AppState>>) -> ApiResult<Vec<ProvinceDto>> {
    Ok(Json(
        state
            .app
            .catalogue()
            .provinces()
            .await?
            .into_iter()
            .map(ProvinceDto::from)
            .collect(),
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CityParams {
    /// Province code: SH, JS, ZJ, AH or OUT.
    province: Option<String>,
    limit: Option<u32>,
    cursor: Option<String>,
}

/// Cities, ordered by administrative code.
#[utoipa::path(get, path = "/cities", tag = "region", params(CityParams),
    responses((status = 200, body = PageDto<CityDto>), BadRequest))]
async fn list_cities(
    State(state): State<Arc<AppState>>,
    Query(params): Query<CityParams>,
) -> ApiResult<PageDto<CityDto>> {
    let filter = CityFilter {
        province: parse_optional(params.province.as_deref(), ProvinceCode::parse)?,
    };
    let page = state
        .app
        .catalogue()
        .cities(
            &filter,
            page_request(params.limit, params.cursor.as_deref())?,
        )
        .await?;
    Ok(Json(PageDto::from_page(page, CityDto::from)))
}

/// One city by its six-digit administrative code.
#[utoipa::path(get, path = "/cities/{code}", tag = "region",
    params(("code" = u32, Path, description = "Administrative division code, e.g. 320100")),
    responses((status = 200, body = CityDto), NotFound))]
async fn get_city(State(state): State<Arc<AppState>>, Path(code): Path<u32>) -> ApiResult<CityDto> {
    let city = state.app.catalogue().city(city_code(code)?).await?;
    Ok(Json(CityDto::from(city)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct InstitutionParams {
    /// university, research_institute, corporation, hospital or facility_operator.
    kind: Option<String>,
    /// integrated_circuits, biomedicine, artificial_intelligence, aerospace, new_materials, automotive, higher_education, public_research or healthcare.
    sector: Option<String>,
    province: Option<String>,
    /// Administrative code of a city.
    city: Option<u32>,
    limit: Option<u32>,
    cursor: Option<String>,
}

/// Institutions, ordered by id.
#[utoipa::path(get, path = "/institutions", tag = "region", params(InstitutionParams),
    responses((status = 200, body = PageDto<InstitutionDto>), BadRequest))]
async fn list_institutions(
    State(state): State<Arc<AppState>>,
    Query(params): Query<InstitutionParams>,
) -> ApiResult<PageDto<InstitutionDto>> {
    let filter = InstitutionFilter {
        kind: parse_optional(params.kind.as_deref(), InstitutionKind::parse)?,
        sector: parse_optional(params.sector.as_deref(), Sector::parse)?,
        province: parse_optional(params.province.as_deref(), ProvinceCode::parse)?,
        city: params.city.map(city_code).transpose()?,
    };
    let page = state
        .app
        .catalogue()
        .institutions(
            &filter,
            page_request(params.limit, params.cursor.as_deref())?,
        )
        .await?;
    Ok(Json(PageDto::from_page(page, InstitutionDto::from)))
}

#[utoipa::path(get, path = "/institutions/{id}", tag = "region",
    params(("id" = i64, Path, description = "Institution id")),
    responses((status = 200, body = InstitutionDto), NotFound))]
async fn get_institution(
    State(state): State<Arc<AppState>>,
    Path(id): Path<i64>,
) -> ApiResult<InstitutionDto> {
    let institution = state.app.catalogue().institution(InstitutionId(id)).await?;
    Ok(Json(InstitutionDto::from(institution)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct InstrumentParams {
    province: Option<String>,
    city: Option<u32>,
    institution: Option<i64>,
    /// A class (`01`) or subclass (`0102`) code; a class matches all its subclasses.
    category: Option<String>,
    /// open, region or own_institution.
    access_policy: Option<String>,
    /// instant or needs_approval.
    booking_mode: Option<String>,
    training_required: Option<bool>,
    limit: Option<u32>,
    cursor: Option<String>,
}

/// Instruments, ordered by id, with where they are.
#[utoipa::path(get, path = "/instruments", tag = "instruments", params(InstrumentParams),
    responses((status = 200, body = PageDto<InstrumentDto>), BadRequest))]
async fn list_instruments(
    State(state): State<Arc<AppState>>,
    Query(params): Query<InstrumentParams>,
) -> ApiResult<PageDto<InstrumentDto>> {
    let filter = InstrumentFilter {
        province: parse_optional(params.province.as_deref(), ProvinceCode::parse)?,
        city: params.city.map(city_code).transpose()?,
        institution: params.institution.map(InstitutionId),
        category: parse_optional(params.category.as_deref(), CategoryCode::parse)?,
        access_policy: parse_optional(params.access_policy.as_deref(), AccessPolicy::parse)?,
        booking_mode: parse_optional(params.booking_mode.as_deref(), BookingMode::parse)?,
        training_required: params.training_required,
    };
    let page = state
        .app
        .catalogue()
        .instruments(
            &filter,
            page_request(params.limit, params.cursor.as_deref())?,
        )
        .await?;
    Ok(Json(PageDto::from_page(page, InstrumentDto::from)))
}

#[utoipa::path(get, path = "/instruments/{id}", tag = "instruments",
    params(("id" = i64, Path, description = "Instrument id")),
    responses((status = 200, body = InstrumentDto), NotFound))]
async fn get_instrument(
    State(state): State<Arc<AppState>>,
    Path(id): Path<i64>,
) -> ApiResult<InstrumentDto> {
    let instrument = state.app.catalogue().instrument(InstrumentId(id)).await?;
    Ok(Json(InstrumentDto::from(instrument)))
}

/// The instrument taxonomy: classes and their subclasses.
#[utoipa::path(get, path = "/categories", tag = "instruments", responses((status = 200, body = Vec<CategoryDto>)))]
async fn list_categories(State(state): State<Arc<AppState>>) -> ApiResult<Vec<CategoryDto>> {
    Ok(Json(
        state
            .app
            .catalogue()
            .categories()
            .await?
            .into_iter()
            .map(CategoryDto::from)
            .collect(),
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct BeamlineParams {
    /// Id of the facility operator; all facilities when absent.
    facility: Option<i64>,
}

/// Beamlines of the region's large facilities.
#[utoipa::path(get, path = "/beamlines", tag = "instruments", params(BeamlineParams), responses((status = 200, body = Vec<BeamlineDto>)))]
async fn list_beamlines(
    State(state): State<Arc<AppState>>,
    Query(params): Query<BeamlineParams>,
) -> ApiResult<Vec<BeamlineDto>> {
    Ok(Json(
        state
            .app
            .catalogue()
            .beamlines(params.facility.map(InstitutionId))
            .await?
            .into_iter()
            .map(BeamlineDto::from)
            .collect(),
    ))
}

/// Counts of the region's instruments and institutions by province, kind and category.
#[utoipa::path(get, path = "/stats/summary", tag = "region", responses((status = 200, body = SummaryDto)))]
async fn get_summary(State(state): State<Arc<AppState>>) -> ApiResult<SummaryDto> {
    Ok(Json(SummaryDto::from(
        state.app.catalogue().summary().await?,
    )))
}

/// The signed-in user.
#[utoipa::path(get, path = "/me", tag = "accounts", security(("bearer" = [])),
    responses((status = 200, body = UserDto), Unauthorized))]
async fn get_me(requester: Requester) -> ApiResult<UserDto> {
    Ok(Json(UserDto::from(requester.require_user()?.clone())))
}

/// Creates an API token from an e-mail address and password. The token is shown once.
#[utoipa::path(post, path = "/tokens", tag = "accounts", request_body = CreateTokenRequest,
    responses((status = 201, body = CreatedTokenDto), BadRequest, Unauthorized, Forbidden, (status = 429, body = Problem, content_type = "application/problem+json", description = "too many failed sign-ins; see Retry-After")))]
async fn create_token(
    State(state): State<Arc<AppState>>,
    requester: Requester,
    Json(request): Json<CreateTokenRequest>,
) -> Result<(StatusCode, Json<CreatedTokenDto>), ApiError> {
    let created = state
        .app
        .accounts()
        .create_api_token(
            &requester,
            &request.email,
            request.password,
            &request.name,
            request.lifetime_days,
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedTokenDto {
            id: created.id,
            name: created.name,
            token: created.token,
            created_at: created.created_at.to_string(),
            expires_at: created.expires_at.to_string(),
        }),
    ))
}

/// The signed-in user's API tokens, newest first; secrets are never shown again.
#[utoipa::path(get, path = "/me/tokens", tag = "accounts", security(("bearer" = [])),
    responses((status = 200, body = Vec<ApiTokenDto>), Unauthorized))]
async fn list_my_tokens(
    State(state): State<Arc<AppState>>,
    requester: Requester,
) -> ApiResult<Vec<ApiTokenDto>> {
    let tokens = state.app.accounts().my_api_tokens(&requester).await?;
    let now = corridor_store::now();
    Ok(Json(
        tokens
            .iter()
            .map(|token| ApiTokenDto::of(token, now))
            .collect(),
    ))
}

/// Revokes one of the signed-in user's API tokens: refused at once on every server.
#[utoipa::path(delete, path = "/me/tokens/{id}", tag = "accounts", security(("bearer" = [])),
    params(("id" = i64, Path, description = "API token id")),
    responses((status = 200, body = ApiTokenDto), Unauthorized, NotFound))]
async fn revoke_my_token(
    State(state): State<Arc<AppState>>,
    requester: Requester,
    Path(id): Path<i64>,
) -> ApiResult<ApiTokenDto> {
    let revoked = state
        .app
        .accounts()
        .revoke_my_api_token(&requester, id)
        .await?;
    Ok(Json(ApiTokenDto::of(&revoked, corridor_store::now())))
}

/// The audit trail, newest first. Platform admins only.
#[utoipa::path(get, path = "/audit-events", tag = "admin", params(PageParams), security(("bearer" = [])),
    responses((status = 200, body = PageDto<AuditEventDto>), Unauthorized, Forbidden))]
async fn list_audit_events(
    State(state): State<Arc<AppState>>,
    requester: Requester,
    Query(params): Query<PageParams>,
) -> ApiResult<PageDto<AuditEventDto>> {
    let page = state
        .app
        .accounts()
        .audit_events(
            &requester,
            page_request(params.limit, params.cursor.as_deref())?,
        )
        .await?;
    Ok(Json(PageDto::from_page(page, |event| AuditEventDto {
        id: event.id,
        occurred_at: event.occurred_at.to_string(),
        actor_user_id: event.actor.map(|user| user.0),
        action: event.action,
        subject: event.subject,
        detail: event.detail,
        client_address: event.client_address,
    })))
}
