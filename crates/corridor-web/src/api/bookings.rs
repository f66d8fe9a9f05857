//! Booking instruments: quotes, bookings and their changes, the waitlist, calendars,
//! closures and qualifications.
//!
//! Who may do what is decided by the application layer's booking service
//! (`corridor_app::bookings`); these handlers read the request, call it and render.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use corridor_app::bookings::{BookingChanged, BookingOutcome, NewBooking};
use corridor_domain::voucher::VoucherId;
use corridor_domain::{
    BookingId, CalendarRules, Closure, ClosureId, ClosureKind, InstrumentId, TimeRange, UserId,
    WaitlistEntryId,
};
use corridor_store::BookingDenial;
use jiff::{SignedDuration, Timestamp};

use super::dto::PageDto;
use super::{page_request, PageParams};
use crate::auth::Requester;
use crate::extract::{Json, Path, Query};
use crate::problem::responses::{
    BadRequest, Conflict, Forbidden, NotFound, Unauthorized, Unprocessable,
};
use crate::problem::ApiError;
use crate::AppState;

pub use super::booking_dto::*;

/// Reads an instant: RFC 3339 with an offset, e.g. `2026-12-07T09:00:00+08:00`, strictly
/// (four-digit year, offset within ±14:00).
pub fn parse_instant(field: &'static str, text: &str) -> Result<Timestamp, ApiError> {
    Ok(corridor_domain::instant::parse_instant(field, text)?)
}

/// Reads an instant, or a date taken as midnight in `zone`.
pub fn parse_instant_or_date(
    field: &'static str,
    text: &str,
    zone: &jiff::tz::TimeZone,
) -> Result<Timestamp, ApiError> {
    if let Ok(date) = corridor_domain::instant::parse_date(field, text) {
        return date
            .to_zoned(zone.clone())
            .map(|zoned| zoned.timestamp())
            .map_err(|error| ApiError::invalid(field, error.to_string()));
    }
    parse_instant(field, text)
}

fn parse_range(starts_at: &str, ends_at: &str) -> Result<TimeRange, ApiError> {
    let start = parse_instant("starts_at", starts_at)?;
    let end = parse_instant("ends_at", ends_at)?;
    Ok(TimeRange::new(start, end)?)
}

fn closure_dto(closure: Closure) -> ClosureDto {
    ClosureDto {
        id: closure.id.0,
        kind: closure.kind.as_code().to_owned(),
        starts_at: closure.range.start.to_string(),
        ends_at: closure.range.end.to_string(),
        reason: closure.reason,
    }
}

fn change_response(change: BookingChanged) -> Json<BookingChangeDto> {
    Json(BookingChangeDto {
        booking: change.booking.into(),
        promoted_from_waitlist: change.promoted.into_iter().map(BookingDto::from).collect(),
    })
}

/// The price and verdict of a booking request for the signed-in user, without booking.
#[utoipa::path(post, path = "/instruments/{id}/quote", tag = "bookings", request_body = TimeRangeInput, security(("bearer" = [])),
    params(("id" = i64, Path, description = "Instrument id")),
    responses((status = 200, body = QuoteDto), BadRequest, Unauthorized, NotFound))]
pub async fn quote_booking(
    State(state): State<Arc<AppState>>,
    requester: Requester,
    Path(id): Path<i64>,
    Json(input): Json<TimeRangeInput>,
) -> Result<Json<QuoteDto>, ApiError> {
    let range = parse_range(&input.starts_at, &input.ends_at)?;
    let quote = state
        .app
        .bookings()
        .quote(&requester, InstrumentId(id), range)
        .await?;
    Ok(Json(QuoteDto {
        user_class: quote.user_class.as_code().to_owned(),
        hourly_rate_fen: quote.hourly_rate.0,
        minutes: quote.minutes,
        price_fen: quote.price.0,
        slot_free: quote.slot_free,
        refusal_type: quote
            .denial
            .as_ref()
            .map(|denial| format!("/problems/{}", denial.slug())),
        refusal_detail: quote.denial.as_ref().map(BookingDenial::message),
    }))
}

/// Books an instrument. Send an `Idempotency-Key` header to retry safely: the same key from
/// the same user answers with the booking made the first time (200 instead of 201).
#[utoipa::path(post, path = "/bookings", tag = "bookings", request_body = BookingInput, security(("bearer" = [])),
    params(("Idempotency-Key" = Option<String>, Header, description = "Up to 200 characters; the same key books once")),
    responses((status = 201, body = BookingDto, description = "Booked (confirmed, or pending the manager's approval)"),
        (status = 200, body = BookingDto, description = "The booking an earlier request with this key made"),
        (status = 202, body = WaitlistEntryDto, description = "The slot is taken; the request waits on the waitlist"), BadRequest, Unauthorized, Forbidden, NotFound, Conflict, Unprocessable))]
pub async fn create_booking(
    State(state): State<Arc<AppState>>,
    requester: Requester,
    headers: HeaderMap,
    Json(input): Json<BookingInput>,
) -> Result<Response, ApiError> {
    let idempotency_key = match headers.get("idempotency-key") {
        None => None,
        Some(value) => Some(
            value
                .to_str()
                .map_err(|_| ApiError::invalid("Idempotency-Key", "must be visible ASCII"))?
                .to_owned(),
        ),
    };
    let request = NewBooking {
        instrument: InstrumentId(input.instrument_id),
        range: parse_range(&input.starts_at, &input.ends_at)?,
        purpose: input.purpose,
        idempotency_key,
        join_waitlist: input.join_waitlist,
        voucher: input.voucher_id.map(VoucherId),
    };
    match state.app.bookings().book(&requester, request).await? {
        BookingOutcome::Booked {
            booking,
            voucher_payment,
            replayed,
        } => {
            let mut dto = BookingDto::from(booking);
            dto.voucher_payment = voucher_payment.map(Into::into);
            let status = if replayed {
                StatusCode::OK
            } else {
                StatusCode::CREATED
            };
            Ok((status, Json(dto)).into_response())
        }
        BookingOutcome::Waitlisted(entry) => {
            Ok((StatusCode::ACCEPTED, Json(WaitlistEntryDto::from(entry))).into_response())
        }
    }
}

/// One booking: its user's, or one at an institution whose instruments the requester manages.
#[utoipa::path(get, path = "/bookings/{id}", tag = "bookings", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Booking id")),
    responses((status = 200, body = BookingDto), Unauthorized, NotFound))]
pub async fn get_booking(
    State(state): State<Arc<AppState>>,
    requester: Requester,
    Path(id): Path<i64>,
) -> Result<Json<BookingDto>, ApiError> {
    let detail = state
        .app
        .bookings()
        .booking(&requester, BookingId(id))
        .await?;
    let mut dto = BookingDto::from(detail.booking);
    dto.voucher_payment = detail.voucher_payment.map(Into::into);
    Ok(Json(dto))
}

/// The signed-in user's bookings, newest first.
#[utoipa::path(get, path = "/me/bookings", tag = "bookings", params(PageParams), security(("bearer" = [])),
    responses((status = 200, body = PageDto<BookingDto>), Unauthorized))]
pub async fn my_bookings(
    State(state): State<Arc<AppState>>,
    requester: Requester,
    Query(params): Query<PageParams>,
) -> Result<Json<PageDto<BookingDto>>, ApiError> {
    let page = state
        .app
        .bookings()
        .my_bookings(
            &requester,
            page_request(params.limit, params.cursor.as_deref())?,
        )
        .await?;
    Ok(Json(PageDto::from_page(page, BookingDto::from)))
}

/// The signed-in user's waitlist entries, newest first.
#[utoipa::path(get, path = "/me/waitlist", tag = "bookings", security(("bearer" = [])),
    responses((status = 200, body = Vec<WaitlistEntryDto>), Unauthorized))]
pub async fn my_waitlist(
    State(state): State<Arc<AppState>>,
    requester: Requester,
) -> Result<Json<Vec<WaitlistEntryDto>>, ApiError> {
    let entries = state.app.bookings().my_waitlist(&requester).await?;
    Ok(Json(
        entries.into_iter().map(WaitlistEntryDto::from).collect(),
    ))
}

/// Leaves the waitlist.
#[utoipa::path(delete, path = "/waitlist/{id}", tag = "bookings", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Waitlist entry id")),
    responses((status = 204), Unauthorized, NotFound))]
pub async fn withdraw_waitlist_entry(
    State(state): State<Arc<AppState>>,
    requester: Requester,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    state
        .app
        .bookings()
        .withdraw_waitlist_entry(&requester, WaitlistEntryId(id))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Cancels a booking: its user until the cancellation deadline, its instrument's managers at
/// any time before it ends. Waitlisted requests that now fit are booked.
#[utoipa::path(post, path = "/bookings/{id}/cancel", tag = "bookings", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Booking id")),
    responses((status = 200, body = BookingChangeDto), Unauthorized, NotFound, Conflict, Unprocessable))]
pub async fn cancel_booking(
    State(state): State<Arc<AppState>>,
    requester: Requester,
    Path(id): Path<i64>,
) -> Result<Json<BookingChangeDto>, ApiError> {
    let change = state
        .app
        .bookings()
        .cancel(&requester, BookingId(id))
        .await?;
    Ok(change_response(change))
}

/// Moves a booking to another time, under the same rules as a new booking.
#[utoipa::path(post, path = "/bookings/{id}/reschedule", tag = "bookings", request_body = TimeRangeInput, security(("bearer" = [])),
    params(("id" = i64, Path, description = "Booking id")),
    responses((status = 200, body = BookingChangeDto), BadRequest, Unauthorized, NotFound, Conflict, Unprocessable))]
pub async fn reschedule_booking(
    State(state): State<Arc<AppState>>,
    requester: Requester,
    Path(id): Path<i64>,
    Json(input): Json<TimeRangeInput>,
) -> Result<Json<BookingChangeDto>, ApiError> {
    let range = parse_range(&input.starts_at, &input.ends_at)?;
    let change = state
        .app
        .bookings()
        .reschedule(&requester, BookingId(id), range)
        .await?;
    Ok(change_response(change))
}

async fn decide(
    state: Arc<AppState>,
    requester: Requester,
    id: i64,
    approve: bool,
    note: Option<String>,
) -> Result<Json<BookingChangeDto>, ApiError> {
    let change = state
        .app
        .bookings()
        .decide(&requester, BookingId(id), approve, note.as_deref())
        .await?;
    Ok(change_response(change))
}

/// Approves a pending booking. Managers of the instrument only.
#[utoipa::path(post, path = "/bookings/{id}/approve", tag = "bookings", request_body = DecisionInput, security(("bearer" = [])),
    params(("id" = i64, Path, description = "Booking id")),
    responses((status = 200, body = BookingChangeDto), Unauthorized, Forbidden, NotFound, Conflict))]
pub async fn approve_booking(
    State(state): State<Arc<AppState>>,
    requester: Requester,
    Path(id): Path<i64>,
    Json(input): Json<DecisionInput>,
) -> Result<Json<BookingChangeDto>, ApiError> {
    decide(state, requester, id, true, input.note).await
}

/// Rejects a pending booking; the time goes to the waitlist. Managers of the instrument only.
#[utoipa::path(post, path = "/bookings/{id}/reject", tag = "bookings", request_body = DecisionInput, security(("bearer" = [])),
    params(("id" = i64, Path, description = "Booking id")),
    responses((status = 200, body = BookingChangeDto), Unauthorized, Forbidden, NotFound, Conflict))]
pub async fn reject_booking(
    State(state): State<Arc<AppState>>,
    requester: Requester,
    Path(id): Path<i64>,
    Json(input): Json<DecisionInput>,
) -> Result<Json<BookingChangeDto>, ApiError> {
    decide(state, requester, id, false, input.note).await
}

/// Records the minutes actually used after the slot; the charge follows at the booked rate.
#[utoipa::path(post, path = "/bookings/{id}/usage", tag = "bookings", request_body = UsageInput, security(("bearer" = [])),
    params(("id" = i64, Path, description = "Booking id")),
    responses((status = 200, body = BookingChangeDto), BadRequest, Unauthorized, Forbidden, NotFound, Conflict, Unprocessable))]
pub async fn record_usage(
    State(state): State<Arc<AppState>>,
    requester: Requester,
    Path(id): Path<i64>,
    Json(input): Json<UsageInput>,
) -> Result<Json<BookingChangeDto>, ApiError> {
    let change = state
        .app
        .bookings()
        .record_usage(&requester, BookingId(id), input.usage_minutes)
        .await?;
    Ok(change_response(change))
}

/// An instrument's calendar for a window: hours, rules, closures and busy times. Managers of
/// the instrument also see who booked.
#[utoipa::path(get, path = "/instruments/{id}/calendar", tag = "bookings", params(("id" = i64, Path, description = "Instrument id"), CalendarParams),
    responses((status = 200, body = CalendarDto), BadRequest, NotFound))]
pub async fn get_calendar(
    State(state): State<Arc<AppState>>,
    requester: Requester,
    Path(id): Path<i64>,
    Query(params): Query<CalendarParams>,
) -> Result<Json<CalendarDto>, ApiError> {
    // The instrument's zone reads dates given without a time; an unknown instrument is
    // answered by the calendar below.
    let zone = state
        .app
        .bookings()
        .instrument_time_zone(InstrumentId(id))
        .await?;
    let from = match params.from.as_deref() {
        Some(text) => parse_instant_or_date("from", text, &zone)?,
        None => corridor_store::now(),
    };
    let to = match params.to.as_deref() {
        Some(text) => parse_instant_or_date("to", text, &zone)?,
        None => from + SignedDuration::from_hours(24 * 7),
    };
    let calendar = state
        .app
        .bookings()
        .calendar(
            &requester,
            InstrumentId(id),
            TimeRange {
                start: from,
                end: to,
            },
        )
        .await?;
    let busy = calendar
        .view
        .bookings
        .iter()
        .map(|booking| {
            let shown = calendar.shows_who_booked(booking);
            BusyDto {
                starts_at: booking.range.start.to_string(),
                ends_at: booking.range.end.to_string(),
                status: booking.status.as_code().to_owned(),
                booking_id: shown.then_some(booking.id.0),
                user_display_name: shown.then(|| booking.user_display_name.clone()),
            }
        })
        .collect();
    let view = calendar.view;
    Ok(Json(CalendarDto {
        instrument_id: id,
        time_zone: view.calendar.time_zone.as_str().to_owned(),
        opening_hours: view.calendar.opening_hours.to_string(),
        rules: view.calendar.rules.into(),
        from: from.to_string(),
        to: to.to_string(),
        closures: view
            .calendar
            .closures
            .into_iter()
            .map(closure_dto)
            .collect(),
        busy,
    }))
}

/// Replaces an instrument's booking rules. Managers of the instrument only.
#[utoipa::path(put, path = "/instruments/{id}/calendar/rules", tag = "bookings", request_body = CalendarRulesDto, security(("bearer" = [])),
    params(("id" = i64, Path, description = "Instrument id")),
    responses((status = 200, body = CalendarRulesDto), BadRequest, Unauthorized, Forbidden, NotFound))]
pub async fn update_calendar_rules(
    State(state): State<Arc<AppState>>,
    requester: Requester,
    Path(id): Path<i64>,
    Json(input): Json<CalendarRulesDto>,
) -> Result<Json<CalendarRulesDto>, ApiError> {
    let rules = CalendarRules::new(
        input.slot_minutes,
        input.min_booking_minutes,
        input.max_booking_minutes,
        input.lead_time_minutes,
        input.cancellation_deadline_minutes,
        input.weekly_quota_minutes,
    )?
    .with_booking_horizon_days(input.booking_horizon_days)?;
    let rules = state
        .app
        .bookings()
        .update_rules(&requester, InstrumentId(id), rules)
        .await?;
    Ok(Json(rules.into()))
}

/// Closes an instrument for a holiday or maintenance. Managers of the instrument only.
/// Bookings already in the closure are kept; the response lists them for the manager to
/// settle with their users.
#[utoipa::path(post, path = "/instruments/{id}/closures", tag = "bookings", request_body = ClosureInput, security(("bearer" = [])),
    params(("id" = i64, Path, description = "Instrument id")),
    responses((status = 201, body = ClosureDto), BadRequest, Unauthorized, Forbidden, NotFound))]
pub async fn add_closure(
    State(state): State<Arc<AppState>>,
    requester: Requester,
    Path(id): Path<i64>,
    Json(input): Json<ClosureInput>,
) -> Result<(StatusCode, Json<ClosureDto>), ApiError> {
    let kind = ClosureKind::parse(&input.kind)?;
    let range = parse_range(&input.starts_at, &input.ends_at)?;
    let closure = state
        .app
        .bookings()
        .add_closure(&requester, InstrumentId(id), kind, range, &input.reason)
        .await?;
    Ok((StatusCode::CREATED, Json(closure_dto(closure))))
}

/// Removes a closure. Managers of the instrument only.
#[utoipa::path(delete, path = "/instruments/{id}/closures/{closure_id}", tag = "bookings", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Instrument id"), ("closure_id" = i64, Path, description = "Closure id")),
    responses((status = 204), Unauthorized, Forbidden, NotFound))]
pub async fn remove_closure(
    State(state): State<Arc<AppState>>,
    requester: Requester,
    Path((id, closure_id)): Path<(i64, i64)>,
) -> Result<StatusCode, ApiError> {
    state
        .app
        .bookings()
        .remove_closure(&requester, InstrumentId(id), ClosureId(closure_id))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Who may book an instrument that requires training. Managers of the instrument only.
#[utoipa::path(get, path = "/instruments/{id}/qualifications", tag = "bookings", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Instrument id")),
    responses((status = 200, body = Vec<QualificationDto>), Unauthorized, Forbidden, NotFound))]
pub async fn list_qualifications(
    State(state): State<Arc<AppState>>,
    requester: Requester,
    Path(id): Path<i64>,
) -> Result<Json<Vec<QualificationDto>>, ApiError> {
    let qualifications = state
        .app
        .bookings()
        .qualifications(&requester, InstrumentId(id))
        .await?;
    Ok(Json(
        qualifications
            .into_iter()
            .map(|qualification| QualificationDto {
                user_id: qualification.user.0,
                user_display_name: qualification.user_display_name,
                granted_by: qualification.granted_by.map(|user| user.0),
                granted_at: qualification.granted_at.to_string(),
            })
            .collect(),
    ))
}

/// Grants a user the qualification to book an instrument that requires training.
#[utoipa::path(post, path = "/instruments/{id}/qualifications", tag = "bookings", request_body = QualificationInput, security(("bearer" = [])),
    params(("id" = i64, Path, description = "Instrument id")),
    responses((status = 201), BadRequest, Unauthorized, Forbidden, NotFound, Conflict))]
pub async fn grant_qualification(
    State(state): State<Arc<AppState>>,
    requester: Requester,
    Path(id): Path<i64>,
    Json(input): Json<QualificationInput>,
) -> Result<StatusCode, ApiError> {
    state
        .app
        .bookings()
        .grant_qualification(&requester, InstrumentId(id), UserId(input.user_id))
        .await?;
    Ok(StatusCode::CREATED)
}

/// Revokes a qualification; bookings already made stay.
#[utoipa::path(delete, path = "/instruments/{id}/qualifications/{user_id}", tag = "bookings", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Instrument id"), ("user_id" = i64, Path, description = "User id")),
    responses((status = 204), Unauthorized, Forbidden, NotFound))]
pub async fn revoke_qualification(
    State(state): State<Arc<AppState>>,
    requester: Requester,
    Path((id, user_id)): Path<(i64, i64)>,
) -> Result<StatusCode, ApiError> {
    state
        .app
        .bookings()
        .revoke_qualification(&requester, InstrumentId(id), UserId(user_id))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
