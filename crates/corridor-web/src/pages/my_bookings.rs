//! "My bookings": the signed-in user's bookings, newest first, with a cancel button where
//! the rules still allow it, and their waitlist entries with a button to leave.
//!
//! Visibility and permissions are the API's: a user cancels their own booking until the
//! instrument's cancellation deadline; a manager of the instrument's institution may cancel
//! it until it ends.

use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::sync::Arc;

use askama::Template;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use corridor_domain::{
    check_user_may_cancel, BookingId, BookingRefusal, BookingStatus, CalendarRules, InstrumentId,
    PageLimit, User, WaitlistEntryId, WaitlistStatus,
};
use corridor_store::{BookingActor, BookingChange, BookingDenial, PageRequest};
use jiff::Timestamp;
use serde::Deserialize;

use super::booking::refresh_availability;
use super::booking_text::{
    denial_message, local_instant_text, local_range_text, status_label, user_class_label,
    waitlist_status_label, wrong_status_message, zone_named,
};
use super::forms::{read_signed_in_form, see_page, to_sign_in, NoFields};
use super::{PageContext, PageError};
use crate::auth::Requester;
use crate::extract::{Path, Query};
use crate::problem::ApiError;
use crate::AppState;

const BOOKINGS_PER_PAGE: u32 = 50;

pub struct BookingRow {
    pub id: i64,
    pub instrument_id: i64,
    pub instrument_name: String,
    pub when: String,
    pub time_zone: String,
    pub status: &'static str,
    pub status_label: &'static str,
    pub price: String,
    pub user_class: &'static str,
    pub purpose: String,
    pub decision_note: Option<String>,
    /// The booking the notice at the top is about.
    pub highlighted: bool,
    pub may_cancel: bool,
    /// When the user may still cancel, or why they no longer may.
    pub cancel_hint: Option<String>,
}

pub struct WaitlistRow {
    pub id: i64,
    pub instrument_id: i64,
    pub instrument_name: String,
    pub when: String,
    pub status: &'static str,
    pub status_label: &'static str,
    pub may_withdraw: bool,
}

#[derive(Template)]
#[template(path = "my_bookings.html")]
struct MyBookingsTemplate {
    ctx: PageContext,
    notice: Option<String>,
    error: Option<String>,
    total: u64,
    rows: Vec<BookingRow>,
    next_link: Option<String>,
    waitlist: Vec<WaitlistRow>,
}

/// The query of the page. Every value is text, so that a wrong one gets a message on the
/// page rather than a generic rejection.
#[derive(Debug, Default, Deserialize)]
pub struct MyBookingsParams {
    /// `booked`, `waitlisted`, `cancelled` or `withdrawn`: what the form before did.
    notice: Option<String>,
    /// The booking the notice is about.
    booking: Option<String>,
    cursor: Option<String>,
    #[allow(dead_code)]
    lang: Option<String>,
}

/// Whether and until when the user may cancel a booking on their own, from the rules of its
/// instrument; a manager of the instrument may cancel until it ends.
fn cancel_option(
    user: &User,
    booking: &corridor_store::BookingRecord,
    rules: Option<&CalendarRules>,
    now: Timestamp,
    ctx: &PageContext,
) -> (bool, Option<String>) {
    if !matches!(
        booking.status,
        BookingStatus::Pending | BookingStatus::Confirmed
    ) {
        return (false, None);
    }
    let zone = zone_named(&booking.time_zone);
    if user.may_manage_instruments_of(booking.institution) {
        return (now < booking.range.end, None);
    }
    let rules = rules.copied().unwrap_or_else(CalendarRules::standard);
    match check_user_may_cancel(&rules, booking.range, now) {
        Ok(()) => {
            let deadline = booking.range.start
                - jiff::SignedDuration::from_mins(i64::from(rules.cancellation_deadline_minutes));
            (
                true,
                Some(format!(
                    "{} {}",
                    ctx.t.cancel_until,
                    local_instant_text(deadline, &zone, ctx.t, ctx.language)
                )),
            )
        }
        Err(BookingRefusal::CancellationDeadlinePassed { .. }) => {
            (false, Some(ctx.t.cancel_ask_manager.to_owned()))
        }
        Err(_) => (false, None),
    }
}

async fn bookings_page_content(
    state: &AppState,
    user: &User,
    ctx: &PageContext,
    params: &MyBookingsParams,
) -> Result<
    (
        u64,
        Vec<BookingRow>,
        Option<String>,
        Vec<WaitlistRow>,
        Option<String>,
    ),
    ApiError,
> {
    let (t, language) = (ctx.t, ctx.language);
    let cursor = match params
        .cursor
        .as_deref()
        .map(str::trim)
        .filter(|text| !text.is_empty())
    {
        None => None,
        Some(text) => Some(
            text.parse::<i64>()
                .map_err(|_| ApiError::invalid("cursor", t.error_cursor))?,
        ),
    };
    let highlighted: Option<i64> = params
        .booking
        .as_deref()
        .and_then(|text| text.trim().parse().ok());
    let page = state
        .store
        .bookings_of_user(
            user.id,
            PageRequest {
                limit: PageLimit::new(BOOKINGS_PER_PAGE)?,
                after: cursor,
            },
        )
        .await?;
    let now = corridor_store::now();
    let mut rules_of: HashMap<InstrumentId, Option<CalendarRules>> = HashMap::new();
    let mut rows = Vec::with_capacity(page.items.len());
    for booking in &page.items {
        if let Entry::Vacant(slot) = rules_of.entry(booking.instrument) {
            slot.insert(state.store.calendar_rules(booking.instrument).await?);
        }
        let rules = rules_of.get(&booking.instrument).and_then(Option::as_ref);
        let (may_cancel, cancel_hint) = cancel_option(user, booking, rules, now, ctx);
        let zone = zone_named(&booking.time_zone);
        rows.push(BookingRow {
            id: booking.id.0,
            instrument_id: booking.instrument.0,
            instrument_name: ctx
                .name(&booking.instrument_name_en, &booking.instrument_name_zh)
                .to_owned(),
            when: local_range_text(booking.range, &zone, t, language),
            time_zone: booking.time_zone.clone(),
            status: booking.status.as_code(),
            status_label: status_label(booking.status, t),
            price: booking.price.to_string(),
            user_class: user_class_label(booking.user_class, t),
            purpose: booking.purpose.clone(),
            decision_note: booking.decision_note.clone(),
            highlighted: highlighted == Some(booking.id.0),
            may_cancel,
            cancel_hint,
        });
    }
    let notice = match params.notice.as_deref() {
        Some("booked") => {
            let status = page
                .items
                .iter()
                .find(|booking| Some(booking.id.0) == highlighted)
                .map(|booking| booking.status);
            Some(match status {
                Some(BookingStatus::Pending) => t.notice_booked_pending,
                _ => t.notice_booked_confirmed,
            })
        }
        Some("waitlisted") => Some(t.notice_waitlisted),
        Some("cancelled") => Some(t.notice_cancelled),
        Some("withdrawn") => Some(t.notice_withdrawn),
        _ => None,
    }
    .map(str::to_owned);
    let next_link = page
        .next_cursor
        .map(|cursor| format!("/bookings?cursor={cursor}"));

    // Waitlist entries carry only the instrument's id; its name and zone are read once per
    // instrument.
    let entries = state.store.waitlist_of_user(user.id).await?;
    let mut instruments = HashMap::new();
    let mut waitlist = Vec::with_capacity(entries.len());
    for entry in entries {
        if let Entry::Vacant(slot) = instruments.entry(entry.instrument) {
            slot.insert(state.store.instrument(entry.instrument).await?);
        }
        let instrument = instruments.get(&entry.instrument).and_then(Option::as_ref);
        let zone = zone_named(instrument.map_or("UTC", |item| item.instrument.time_zone.as_str()));
        waitlist.push(WaitlistRow {
            id: entry.id.0,
            instrument_id: entry.instrument.0,
            instrument_name: instrument.map_or_else(
                || format!("#{}", entry.instrument.0),
                |item| {
                    ctx.name(&item.instrument.name_en, &item.instrument.name_zh)
                        .to_owned()
                },
            ),
            when: local_range_text(entry.range, &zone, t, language),
            status: entry.status.as_code(),
            status_label: waitlist_status_label(entry.status, t),
            may_withdraw: entry.status == WaitlistStatus::Waiting,
        });
    }
    Ok((page.total, rows, next_link, waitlist, notice))
}

async fn render_my_bookings(
    state: &AppState,
    user: &User,
    ctx: PageContext,
    params: &MyBookingsParams,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let (total, rows, next_link, waitlist, notice) =
        match bookings_page_content(state, user, &ctx, params).await {
            Ok(content) => content,
            Err(error) => {
                return PageError {
                    error,
                    context: ctx,
                }
                .into_response()
            }
        };
    let page = MyBookingsTemplate {
        ctx,
        notice,
        error,
        total,
        rows,
        next_link,
        waitlist,
    };
    super::respond_with_page(status, page, |page| page.ctx)
}

/// `GET /bookings`.
pub async fn my_bookings_page(
    State(state): State<Arc<AppState>>,
    requester: Requester,
    Query(params): Query<MyBookingsParams>,
    request: Request,
) -> Response {
    let ctx = PageContext::new(&requester, request.extensions(), "/bookings");
    let Some(user) = requester.user.as_ref() else {
        return to_sign_in();
    };
    render_my_bookings(&state, user, ctx, &params, None, StatusCode::OK).await
}

/// `POST /bookings/{id}/cancel`.
pub async fn cancel_submit(
    State(state): State<Arc<AppState>>,
    requester: Requester,
    Path(id): Path<i64>,
    request: Request,
) -> Response {
    let form = match read_signed_in_form::<NoFields>(&state, requester, request, "/bookings").await
    {
        Ok(form) => form,
        Err(error) => return error.into_response(),
    };
    let (ctx, requester, user) = (form.ctx, form.requester, form.user);
    // Others' bookings are answered as not found, as in the API, so that ids reveal nothing.
    let booking = match state.store.booking(BookingId(id)).await {
        Ok(Some(booking))
            if booking.user == user.id || user.may_manage_instruments_of(booking.institution) =>
        {
            booking
        }
        Ok(_) => {
            return PageError {
                error: ApiError::NotFound(format!("no booking with id {id}")),
                context: ctx,
            }
            .into_response()
        }
        Err(error) => {
            return PageError {
                error: error.into(),
                context: ctx,
            }
            .into_response()
        }
    };
    let actor = if user.may_manage_instruments_of(booking.institution) {
        BookingActor::Manager(user.id)
    } else {
        BookingActor::Owner(user.id)
    };
    let change = state
        .store
        .cancel_booking(
            booking.id,
            actor,
            corridor_store::now(),
            &requester.audit_context(),
        )
        .await;
    let zone = zone_named(&booking.time_zone);
    let (message, status) = match change {
        Ok(BookingChange::Done { .. }) => {
            // The freed time may have gone to waitlisted requests; the index learns both.
            refresh_availability(&state, booking.instrument).await;
            return see_page(&format!("/bookings?notice=cancelled&booking={id}"));
        }
        Ok(BookingChange::Denied(denial)) => (
            denial_message(&denial, &zone, ctx.t, ctx.language),
            match denial {
                BookingDenial::Rule(_) => StatusCode::UNPROCESSABLE_ENTITY,
                _ => StatusCode::FORBIDDEN,
            },
        ),
        Ok(BookingChange::WrongStatus { status, action }) => (
            wrong_status_message(status, action, ctx.t, ctx.language),
            StatusCode::CONFLICT,
        ),
        Ok(BookingChange::SlotTaken) => (ctx.t.slot_taken_message.to_owned(), StatusCode::CONFLICT),
        Err(error) => {
            return PageError {
                error: error.into(),
                context: ctx,
            }
            .into_response()
        }
    };
    let error = format!("{} {message}", ctx.t.cancel_failed);
    render_my_bookings(
        &state,
        &user,
        ctx,
        &MyBookingsParams::default(),
        Some(error),
        status,
    )
    .await
}

/// `POST /waitlist/{id}/withdraw`.
pub async fn withdraw_submit(
    State(state): State<Arc<AppState>>,
    requester: Requester,
    Path(id): Path<i64>,
    request: Request,
) -> Response {
    let form = match read_signed_in_form::<NoFields>(&state, requester, request, "/bookings").await
    {
        Ok(form) => form,
        Err(error) => return error.into_response(),
    };
    match state
        .store
        .withdraw_waitlist_entry(
            WaitlistEntryId(id),
            form.user.id,
            &form.requester.audit_context(),
        )
        .await
    {
        Ok(()) => see_page("/bookings?notice=withdrawn"),
        Err(error) => PageError {
            error: error.into(),
            context: form.ctx,
        }
        .into_response(),
    }
}
