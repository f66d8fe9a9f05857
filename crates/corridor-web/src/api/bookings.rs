//! Booking instruments: quotes, bookings and their changes, the waitlist, calendars,
//! closures and qualifications.
//!
//! Who may do what is decided here from the requester and the instrument's institution:
//! a booking is visible to its user and to the managers of the instrument's institution; its
//! changes are made by its user (within the cancellation deadline) or by those managers
//! (always); approvals, usage, closures, rules and qualifications are the managers' alone.
//! An instrument's calendar shows free/busy to everyone and who booked only to managers.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use corridor_domain::{
    bounded_text, BookingId, CalendarRules, ClosureId, ClosureKind, InstitutionId, InstrumentId,
    TimeRange, User, UserId, WaitlistEntryId,
};
use corridor_store::{
    BookingActor, BookingAttempt, BookingChange, BookingDenial, BookingRecord, BookingRequest,
};
use jiff::{SignedDuration, Timestamp};

use super::dto::PageDto;
use super::{page_request, PageParams};
use crate::auth::Requester;
use crate::extract::{Json, Path, Query};
use crate::problem::{ApiError, Problem};
use crate::AppState;

/// The longest window a calendar can be asked for at once.
const LONGEST_CALENDAR_WINDOW_DAYS: i64 = 62;

pub use super::booking_dto::*;

/// Reads an instant: RFC 3339 with an offset, e.g. `2026-12-07T09:00:00+08:00`.
pub fn parse_instant(field: &'static str, text: &str) -> Result<Timestamp, ApiError> {
    text.trim().parse::<Timestamp>().map_err(|_| {
        ApiError::invalid(
            field,
            format!("{text:?} is not an RFC 3339 instant like 2026-12-07T09:00:00+08:00"),
        )
    })
}

/// Reads an instant, or a date taken as midnight in `zone`.
pub fn parse_instant_or_date(
    field: &'static str,
    text: &str,
    zone: &jiff::tz::TimeZone,
) -> Result<Timestamp, ApiError> {
    if let Ok(date) = text.trim().parse::<jiff::civil::Date>() {
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

fn refused(denial: &BookingDenial) -> ApiError {
    ApiError::Refused {
        slug: denial.slug(),
        detail: denial.message(),
    }
}

fn slot_taken() -> ApiError {
    ApiError::Refused {
        slug: "slot-taken",
        detail: "another booking holds part of this time".into(),
    }
}

fn require_manager_of(user: &User, institution: InstitutionId) -> Result<(), ApiError> {
    if user.may_manage_instruments_of(institution) {
        Ok(())
    } else {
        Err(ApiError::Forbidden(format!(
            "only the instrument managers of institution {} may do this",
            institution.0
        )))
    }
}

async fn instrument_institution(
    state: &AppState,
    instrument: InstrumentId,
) -> Result<InstitutionId, ApiError> {
    Ok(state
        .store
        .instrument(instrument)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no instrument with id {}", instrument.0)))?
        .instrument
        .institution)
}

/// A booking the requester may see: their own, or one at an institution they manage. Others'
/// bookings are answered as not found, so that ids reveal nothing.
async fn visible_booking(
    state: &AppState,
    user: &User,
    id: i64,
) -> Result<BookingRecord, ApiError> {
    let booking = state.store.booking(BookingId(id)).await?;
    match booking {
        Some(booking)
            if booking.user == user.id || user.may_manage_instruments_of(booking.institution) =>
        {
            Ok(booking)
        }
        _ => Err(ApiError::NotFound(format!("no booking with id {id}"))),
    }
}

fn change_response(change: BookingChange) -> Result<Json<BookingChangeDto>, ApiError> {
    match change {
        BookingChange::Done { booking, promoted } => Ok(Json(BookingChangeDto {
            booking: booking.into(),
            promoted_from_waitlist: promoted.into_iter().map(BookingDto::from).collect(),
        })),
        BookingChange::Denied(denial) => Err(refused(&denial)),
        BookingChange::SlotTaken => Err(slot_taken()),
        BookingChange::WrongStatus { status, action } => Err(ApiError::Refused {
            slug: "wrong-booking-status",
            detail: format!("a {} booking cannot be {action}", status.as_code()),
        }),
    }
}

async fn refresh_availability(state: &AppState, instrument: InstrumentId) {
    if let Err(error) = state
        .availability
        .apply(state.store.as_ref(), instrument)
        .await
    {
        tracing::warn!(%error, instrument = instrument.0, "could not refresh availability; the refresher will");
    }
}

/// The price and verdict of a booking request for the signed-in user, without booking.
#[utoipa::path(post, path = "/instruments/{id}/quote", tag = "bookings", request_body = TimeRangeInput, security(("bearer" = [])),
    params(("id" = i64, Path, description = "Instrument id")),
    responses((status = 200, body = QuoteDto), (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn quote_booking(
    State(state): State<Arc<AppState>>,
    requester: Requester,
    Path(id): Path<i64>,
    Json(input): Json<TimeRangeInput>,
) -> Result<Json<QuoteDto>, ApiError> {
    let user = requester.require_user()?;
    let request = BookingRequest {
        instrument: InstrumentId(id),
        user: user.id,
        range: parse_range(&input.starts_at, &input.ends_at)?,
        purpose: String::new(),
        idempotency_key: None,
        join_waitlist_if_taken: false,
    };
    let quote = state
        .store
        .quote_booking(&request, corridor_store::now())
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
        (status = 202, body = WaitlistEntryDto, description = "The slot is taken; the request waits on the waitlist"),
        (status = 400, body = Problem, content_type = "application/problem+json"), (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn create_booking(
    State(state): State<Arc<AppState>>,
    requester: Requester,
    headers: HeaderMap,
    Json(input): Json<BookingInput>,
) -> Result<Response, ApiError> {
    let user = requester.require_user()?;
    let idempotency_key = match headers.get("idempotency-key") {
        None => None,
        Some(value) => {
            let key = value
                .to_str()
                .map_err(|_| ApiError::invalid("Idempotency-Key", "must be visible ASCII"))?
                .trim();
            if key.is_empty() || key.len() > 200 {
                return Err(ApiError::invalid(
                    "Idempotency-Key",
                    "must be 1 to 200 characters",
                ));
            }
            Some(key.to_owned())
        }
    };
    let purpose = corridor_domain::optional_bounded_text("purpose", Some(&input.purpose), 1_000)?
        .unwrap_or_default();
    let request = BookingRequest {
        instrument: InstrumentId(input.instrument_id),
        user: user.id,
        range: parse_range(&input.starts_at, &input.ends_at)?,
        purpose,
        idempotency_key,
        join_waitlist_if_taken: input.join_waitlist,
    };
    if let Some(voucher) = input.voucher_id {
        if input.join_waitlist {
            return Err(ApiError::invalid(
                "join_waitlist",
                "a booking paid with a voucher cannot wait on the waitlist",
            ));
        }
        return create_booking_with_voucher(&state, &requester, &request, voucher).await;
    }
    let attempt = state
        .store
        .create_booking(&request, corridor_store::now(), &requester.audit_context())
        .await?;
    match attempt {
        BookingAttempt::Booked { booking, replayed } => {
            if !replayed {
                // Marking the time busy needs no store read; the refresher re-reads it anyway.
                state.availability.shared.update(|index| {
                    index.mark_busy(booking.instrument, booking.range.start, booking.range.end)
                });
            }
            let status = if replayed {
                StatusCode::OK
            } else {
                StatusCode::CREATED
            };
            Ok((status, Json(BookingDto::from(booking))).into_response())
        }
        BookingAttempt::SlotTaken {
            waitlisted: Some(entry),
        } => Ok((StatusCode::ACCEPTED, Json(WaitlistEntryDto::from(entry))).into_response()),
        BookingAttempt::SlotTaken { waitlisted: None } => Err(slot_taken()),
        BookingAttempt::Denied(denial) => Err(refused(&denial)),
    }
}

async fn create_booking_with_voucher(
    state: &AppState,
    requester: &Requester,
    request: &BookingRequest,
    voucher: i64,
) -> Result<Response, ApiError> {
    use corridor_store::VoucherBookingAttempt;
    let attempt = state
        .store
        .create_booking_with_voucher(
            request,
            corridor_domain::voucher::VoucherId(voucher),
            corridor_store::now(),
            &requester.audit_context(),
        )
        .await?;
    match attempt {
        VoucherBookingAttempt::Booked {
            booking,
            payment,
            replayed,
        } => {
            if !replayed {
                state.availability.shared.update(|index| {
                    index.mark_busy(booking.instrument, booking.range.start, booking.range.end)
                });
            }
            let mut dto = BookingDto::from(booking);
            dto.voucher_payment = Some(payment.into());
            let status = if replayed {
                StatusCode::OK
            } else {
                StatusCode::CREATED
            };
            Ok((status, Json(dto)).into_response())
        }
        VoucherBookingAttempt::NotBooked(BookingAttempt::Denied(denial)) => Err(refused(&denial)),
        VoucherBookingAttempt::NotBooked(BookingAttempt::Booked { .. }) => Err(ApiError::Conflict(
            "this Idempotency-Key made a booking without this voucher before".into(),
        )),
        VoucherBookingAttempt::NotBooked(BookingAttempt::SlotTaken { .. }) => Err(slot_taken()),
        VoucherBookingAttempt::Refused(refusal) => Err(super::vouchers::voucher_refused(&refusal)),
        VoucherBookingAttempt::HoldRefused(refusal) => Err(ApiError::Refused {
            slug: "voucher-insufficient",
            detail: refusal.to_string(),
        }),
    }
}

/// One booking: its user's, or one at an institution whose instruments the requester manages.
#[utoipa::path(get, path = "/bookings/{id}", tag = "bookings", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Booking id")),
    responses((status = 200, body = BookingDto), (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn get_booking(
    State(state): State<Arc<AppState>>,
    requester: Requester,
    Path(id): Path<i64>,
) -> Result<Json<BookingDto>, ApiError> {
    let user = requester.require_user()?;
    let booking = visible_booking(&state, user, id).await?;
    let payment = state.store.voucher_payment_of_booking(booking.id).await?;
    let mut dto = BookingDto::from(booking);
    dto.voucher_payment = payment.map(Into::into);
    Ok(Json(dto))
}

/// The signed-in user's bookings, newest first.
#[utoipa::path(get, path = "/me/bookings", tag = "bookings", params(PageParams), security(("bearer" = [])),
    responses((status = 200, body = PageDto<BookingDto>), (status = 401, body = Problem, content_type = "application/problem+json")))]
pub async fn my_bookings(
    State(state): State<Arc<AppState>>,
    requester: Requester,
    Query(params): Query<PageParams>,
) -> Result<Json<PageDto<BookingDto>>, ApiError> {
    let user = requester.require_user()?;
    let page = state
        .store
        .bookings_of_user(
            user.id,
            page_request(params.limit, params.cursor.as_deref())?,
        )
        .await?;
    Ok(Json(PageDto::from_page(page, BookingDto::from)))
}

/// The signed-in user's waitlist entries, newest first.
#[utoipa::path(get, path = "/me/waitlist", tag = "bookings", security(("bearer" = [])),
    responses((status = 200, body = Vec<WaitlistEntryDto>), (status = 401, body = Problem, content_type = "application/problem+json")))]
pub async fn my_waitlist(
    State(state): State<Arc<AppState>>,
    requester: Requester,
) -> Result<Json<Vec<WaitlistEntryDto>>, ApiError> {
    let user = requester.require_user()?;
    let entries = state.store.waitlist_of_user(user.id).await?;
    Ok(Json(
        entries.into_iter().map(WaitlistEntryDto::from).collect(),
    ))
}

/// Leaves the waitlist.
#[utoipa::path(delete, path = "/waitlist/{id}", tag = "bookings", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Waitlist entry id")),
    responses((status = 204), (status = 401, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn withdraw_waitlist_entry(
    State(state): State<Arc<AppState>>,
    requester: Requester,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    let user = requester.require_user()?;
    state
        .store
        .withdraw_waitlist_entry(WaitlistEntryId(id), user.id, &requester.audit_context())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

fn actor_for(user: &User, booking: &BookingRecord) -> BookingActor {
    if user.may_manage_instruments_of(booking.institution) {
        BookingActor::Manager(user.id)
    } else {
        BookingActor::Owner(user.id)
    }
}

/// Cancels a booking: its user until the cancellation deadline, its instrument's managers at
/// any time before it ends. Waitlisted requests that now fit are booked.
#[utoipa::path(post, path = "/bookings/{id}/cancel", tag = "bookings", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Booking id")),
    responses((status = 200, body = BookingChangeDto), (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn cancel_booking(
    State(state): State<Arc<AppState>>,
    requester: Requester,
    Path(id): Path<i64>,
) -> Result<Json<BookingChangeDto>, ApiError> {
    let user = requester.require_user()?;
    let booking = visible_booking(&state, user, id).await?;
    let change = state
        .store
        .cancel_booking(
            booking.id,
            actor_for(user, &booking),
            corridor_store::now(),
            &requester.audit_context(),
        )
        .await?;
    refresh_availability(&state, booking.instrument).await;
    change_response(change)
}

/// Moves a booking to another time, under the same rules as a new booking.
#[utoipa::path(post, path = "/bookings/{id}/reschedule", tag = "bookings", request_body = TimeRangeInput, security(("bearer" = [])),
    params(("id" = i64, Path, description = "Booking id")),
    responses((status = 200, body = BookingChangeDto), (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn reschedule_booking(
    State(state): State<Arc<AppState>>,
    requester: Requester,
    Path(id): Path<i64>,
    Json(input): Json<TimeRangeInput>,
) -> Result<Json<BookingChangeDto>, ApiError> {
    let user = requester.require_user()?;
    let range = parse_range(&input.starts_at, &input.ends_at)?;
    let booking = visible_booking(&state, user, id).await?;
    let change = state
        .store
        .reschedule_booking(
            booking.id,
            range,
            actor_for(user, &booking),
            corridor_store::now(),
            &requester.audit_context(),
        )
        .await?;
    refresh_availability(&state, booking.instrument).await;
    change_response(change)
}

async fn decide(
    state: Arc<AppState>,
    requester: Requester,
    id: i64,
    approve: bool,
    note: Option<String>,
) -> Result<Json<BookingChangeDto>, ApiError> {
    let user = requester.require_user()?;
    let booking = visible_booking(&state, user, id).await?;
    require_manager_of(user, booking.institution)?;
    let note = corridor_domain::optional_bounded_text("note", note.as_deref(), 1_000)?;
    let change = state
        .store
        .decide_booking(
            booking.id,
            approve,
            note.as_deref(),
            corridor_store::now(),
            &requester.audit_context(),
        )
        .await?;
    refresh_availability(&state, booking.instrument).await;
    change_response(change)
}

/// Approves a pending booking. Managers of the instrument only.
#[utoipa::path(post, path = "/bookings/{id}/approve", tag = "bookings", request_body = DecisionInput, security(("bearer" = [])),
    params(("id" = i64, Path, description = "Booking id")),
    responses((status = 200, body = BookingChangeDto), (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json")))]
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
    responses((status = 200, body = BookingChangeDto), (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json")))]
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
    responses((status = 200, body = BookingChangeDto), (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn record_usage(
    State(state): State<Arc<AppState>>,
    requester: Requester,
    Path(id): Path<i64>,
    Json(input): Json<UsageInput>,
) -> Result<Json<BookingChangeDto>, ApiError> {
    let user = requester.require_user()?;
    if !(0..=i64::from(corridor_domain::LONGEST_BOOKING_MINUTES)).contains(&input.usage_minutes) {
        return Err(ApiError::invalid(
            "usage_minutes",
            "must be between 0 and 20160 (two weeks)",
        ));
    }
    let booking = visible_booking(&state, user, id).await?;
    require_manager_of(user, booking.institution)?;
    let change = state
        .store
        .record_usage(
            booking.id,
            input.usage_minutes,
            corridor_store::now(),
            &requester.audit_context(),
        )
        .await?;
    change_response(change)
}

/// An instrument's calendar for a window: hours, rules, closures and busy times. Managers of
/// the instrument also see who booked.
#[utoipa::path(get, path = "/instruments/{id}/calendar", tag = "bookings", params(("id" = i64, Path, description = "Instrument id"), CalendarParams),
    responses((status = 200, body = CalendarDto), (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn get_calendar(
    State(state): State<Arc<AppState>>,
    requester: Requester,
    Path(id): Path<i64>,
    Query(params): Query<CalendarParams>,
) -> Result<Json<CalendarDto>, ApiError> {
    let instrument = state
        .store
        .instrument(InstrumentId(id))
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no instrument with id {id}")))?;
    let zone = jiff::tz::db()
        .get(instrument.instrument.time_zone.as_str())
        .unwrap_or(jiff::tz::TimeZone::UTC);
    let from = match params.from.as_deref() {
        Some(text) => parse_instant_or_date("from", text, &zone)?,
        None => corridor_store::now(),
    };
    let to = match params.to.as_deref() {
        Some(text) => parse_instant_or_date("to", text, &zone)?,
        None => from + SignedDuration::from_hours(24 * 7),
    };
    if to <= from {
        return Err(ApiError::invalid("to", "must be after from"));
    }
    if to.duration_since(from) > SignedDuration::from_hours(24 * LONGEST_CALENDAR_WINDOW_DAYS) {
        return Err(ApiError::invalid(
            "to",
            format!("at most {LONGEST_CALENDAR_WINDOW_DAYS} days after from"),
        ));
    }
    let view = state
        .store
        .calendar_view(
            InstrumentId(id),
            TimeRange {
                start: from,
                end: to,
            },
        )
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no instrument with id {id}")))?;
    let manager = requester
        .user
        .as_ref()
        .is_some_and(|user| user.may_manage_instruments_of(view.institution));
    let me = requester.user.as_ref().map(|user| user.id);
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
            .map(|closure| ClosureDto {
                id: closure.id.0,
                kind: closure.kind.as_code().to_owned(),
                starts_at: closure.range.start.to_string(),
                ends_at: closure.range.end.to_string(),
                reason: closure.reason,
            })
            .collect(),
        busy: view
            .bookings
            .into_iter()
            .map(|booking| {
                let shown = manager || Some(booking.user) == me;
                BusyDto {
                    starts_at: booking.range.start.to_string(),
                    ends_at: booking.range.end.to_string(),
                    status: booking.status.as_code().to_owned(),
                    booking_id: shown.then_some(booking.id.0),
                    user_display_name: shown.then_some(booking.user_display_name),
                }
            })
            .collect(),
    }))
}

/// Replaces an instrument's booking rules. Managers of the instrument only.
#[utoipa::path(put, path = "/instruments/{id}/calendar/rules", tag = "bookings", request_body = CalendarRulesDto, security(("bearer" = [])),
    params(("id" = i64, Path, description = "Instrument id")),
    responses((status = 200, body = CalendarRulesDto), (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn update_calendar_rules(
    State(state): State<Arc<AppState>>,
    requester: Requester,
    Path(id): Path<i64>,
    Json(input): Json<CalendarRulesDto>,
) -> Result<Json<CalendarRulesDto>, ApiError> {
    let user = requester.require_user()?;
    require_manager_of(
        user,
        instrument_institution(&state, InstrumentId(id)).await?,
    )?;
    let rules = CalendarRules::new(
        input.slot_minutes,
        input.min_booking_minutes,
        input.max_booking_minutes,
        input.lead_time_minutes,
        input.cancellation_deadline_minutes,
        input.weekly_quota_minutes,
    )?;
    state
        .store
        .update_calendar_rules(InstrumentId(id), &rules, &requester.audit_context())
        .await?;
    Ok(Json(rules.into()))
}

/// Closes an instrument for a holiday or maintenance. Managers of the instrument only.
/// Bookings already in the closure are kept; the response lists them for the manager to
/// settle with their users.
#[utoipa::path(post, path = "/instruments/{id}/closures", tag = "bookings", request_body = ClosureInput, security(("bearer" = [])),
    params(("id" = i64, Path, description = "Instrument id")),
    responses((status = 201, body = ClosureDto), (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn add_closure(
    State(state): State<Arc<AppState>>,
    requester: Requester,
    Path(id): Path<i64>,
    Json(input): Json<ClosureInput>,
) -> Result<(StatusCode, Json<ClosureDto>), ApiError> {
    let user = requester.require_user()?;
    require_manager_of(
        user,
        instrument_institution(&state, InstrumentId(id)).await?,
    )?;
    let kind = ClosureKind::parse(&input.kind)?;
    let range = parse_range(&input.starts_at, &input.ends_at)?;
    if range.minutes() > 366 * 24 * 60 {
        return Err(ApiError::invalid(
            "ends_at",
            "a closure lasts at most a year",
        ));
    }
    let reason = bounded_text("reason", &input.reason, 500)?;
    let closure = state
        .store
        .add_closure(
            InstrumentId(id),
            kind,
            range,
            &reason,
            &requester.audit_context(),
        )
        .await?;
    refresh_availability(&state, InstrumentId(id)).await;
    Ok((
        StatusCode::CREATED,
        Json(ClosureDto {
            id: closure.id.0,
            kind: closure.kind.as_code().to_owned(),
            starts_at: closure.range.start.to_string(),
            ends_at: closure.range.end.to_string(),
            reason: closure.reason,
        }),
    ))
}

/// Removes a closure. Managers of the instrument only.
#[utoipa::path(delete, path = "/instruments/{id}/closures/{closure_id}", tag = "bookings", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Instrument id"), ("closure_id" = i64, Path, description = "Closure id")),
    responses((status = 204), (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn remove_closure(
    State(state): State<Arc<AppState>>,
    requester: Requester,
    Path((id, closure_id)): Path<(i64, i64)>,
) -> Result<StatusCode, ApiError> {
    let user = requester.require_user()?;
    require_manager_of(
        user,
        instrument_institution(&state, InstrumentId(id)).await?,
    )?;
    state
        .store
        .remove_closure(
            InstrumentId(id),
            ClosureId(closure_id),
            &requester.audit_context(),
        )
        .await?;
    refresh_availability(&state, InstrumentId(id)).await;
    Ok(StatusCode::NO_CONTENT)
}

/// Who may book an instrument that requires training. Managers of the instrument only.
#[utoipa::path(get, path = "/instruments/{id}/qualifications", tag = "bookings", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Instrument id")),
    responses((status = 200, body = Vec<QualificationDto>), (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn list_qualifications(
    State(state): State<Arc<AppState>>,
    requester: Requester,
    Path(id): Path<i64>,
) -> Result<Json<Vec<QualificationDto>>, ApiError> {
    let user = requester.require_user()?;
    require_manager_of(
        user,
        instrument_institution(&state, InstrumentId(id)).await?,
    )?;
    let qualifications = state.store.qualifications(InstrumentId(id)).await?;
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
    responses((status = 201), (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json")))]
pub async fn grant_qualification(
    State(state): State<Arc<AppState>>,
    requester: Requester,
    Path(id): Path<i64>,
    Json(input): Json<QualificationInput>,
) -> Result<StatusCode, ApiError> {
    let user = requester.require_user()?;
    require_manager_of(
        user,
        instrument_institution(&state, InstrumentId(id)).await?,
    )?;
    state
        .store
        .grant_qualification(
            InstrumentId(id),
            UserId(input.user_id),
            &requester.audit_context(),
        )
        .await?;
    Ok(StatusCode::CREATED)
}

/// Revokes a qualification; bookings already made stay.
#[utoipa::path(delete, path = "/instruments/{id}/qualifications/{user_id}", tag = "bookings", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Instrument id"), ("user_id" = i64, Path, description = "User id")),
    responses((status = 204), (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn revoke_qualification(
    State(state): State<Arc<AppState>>,
    requester: Requester,
    Path((id, user_id)): Path<(i64, i64)>,
) -> Result<StatusCode, ApiError> {
    let user = requester.require_user()?;
    require_manager_of(
        user,
        instrument_institution(&state, InstrumentId(id)).await?,
    )?;
    state
        .store
        .revoke_qualification(
            InstrumentId(id),
            UserId(user_id),
            &requester.audit_context(),
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
