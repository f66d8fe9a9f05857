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
use axum::response::Response;
use corridor_app::bookings::CancelOption;
use corridor_app::AppError;
use corridor_domain::{
    BookingId, BookingStatus, CalendarRules, InstrumentId, PageLimit, WaitlistEntryId,
    WaitlistStatus,
};
use corridor_store::PageRequest;
use jiff::Timestamp;
use serde::Deserialize;

use super::booking_text::{
    local_instant_text, local_range_text, refusal_text, status_label, user_class_label,
    waitlist_status_label, zone_named,
};
use super::forms::{page_cursor, see_page, to_sign_in, FormPage, PageForm, SignedInForm};
use super::PageContext;
use crate::auth::Requester;
use crate::extract::{Path, Query};
use crate::pages::forms::ButtonPress;
use crate::pages::page_error;
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

/// Whether the user may cancel a booking now, and the sentence that says until when (or
/// why no longer), from the booking service's verdict.
fn cancel_view(
    option: CancelOption,
    booking: &corridor_store::BookingRecord,
    now: Timestamp,
    ctx: &PageContext,
) -> (bool, Option<String>) {
    let zone = zone_named(&booking.time_zone);
    let hint = match option {
        CancelOption::AsUserUntil(deadline) => Some(format!(
            "{} {}",
            ctx.t.cancel_until,
            local_instant_text(deadline, &zone, ctx.t, ctx.language)
        )),
        CancelOption::AskAManager => Some(ctx.t.cancel_ask_manager.to_owned()),
        CancelOption::AsManagerUntil(_) | CancelOption::NotCancellable => None,
    };
    (option.may_cancel(now), hint)
}

async fn bookings_page_content(
    state: &AppState,
    requester: &Requester,
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
    let cursor = page_cursor(params.cursor.as_deref(), "cursor", ctx)?;
    let highlighted: Option<i64> = params
        .booking
        .as_deref()
        .and_then(|text| text.trim().parse().ok());
    let bookings = state.app.bookings();
    let page = bookings
        .my_bookings(
            requester,
            PageRequest {
                limit: PageLimit::new(BOOKINGS_PER_PAGE)?,
                after: cursor,
            },
        )
        .await?;
    let now = corridor_store::now();
    let mut rules_of: HashMap<InstrumentId, CalendarRules> = HashMap::new();
    let mut rows = Vec::with_capacity(page.items.len());
    for booking in &page.items {
        if let Entry::Vacant(slot) = rules_of.entry(booking.instrument) {
            slot.insert(bookings.rules(booking.instrument).await?);
        }
        let option = bookings
            .cancel_option(requester, booking, rules_of.get(&booking.instrument))
            .await?;
        let (may_cancel, cancel_hint) = cancel_view(option, booking, now, ctx);
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
    let entries = bookings.my_waitlist(requester).await?;
    let mut instruments = HashMap::new();
    let mut waitlist = Vec::with_capacity(entries.len());
    for entry in entries {
        if let Entry::Vacant(slot) = instruments.entry(entry.instrument) {
            slot.insert(
                bookings
                    .instrument_of_waitlist_entry(entry.instrument)
                    .await?,
            );
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
    requester: &Requester,
    ctx: PageContext,
    params: &MyBookingsParams,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let (total, rows, next_link, waitlist, notice) =
        match bookings_page_content(state, requester, &ctx, params).await {
            Ok(content) => content,
            Err(error) => return page_error(error, ctx),
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
    if requester.user.is_none() {
        return to_sign_in();
    }
    render_my_bookings(&state, &requester, ctx, &params, None, StatusCode::OK).await
}

/// The cancel button of a booking: nothing but its CSRF token.
#[derive(Debug, serde::Deserialize)]
pub struct CancelButton {}

impl PageForm for CancelButton {
    const PAGE: FormPage = FormPage::Fixed("/bookings");
}

/// `POST /bookings/{id}/cancel`.
pub async fn cancel_submit(
    State(state): State<Arc<AppState>>,
    Path(id): Path<i64>,
    form: SignedInForm<CancelButton>,
) -> Response {
    let (ctx, requester) = (form.ctx, form.requester);
    let (message, status) = match state.app.bookings().cancel(&requester, BookingId(id)).await {
        Ok(_) => return see_page(&format!("/bookings?notice=cancelled&booking={id}")),
        Err(AppError::Refused(refusal)) => {
            // The booking's zone words a deadline in the user's local time.
            let zone = match state
                .app
                .bookings()
                .booking(&requester, BookingId(id))
                .await
            {
                Ok(detail) => zone_named(&detail.booking.time_zone),
                Err(_) => zone_named("UTC"),
            };
            refusal_text(&refusal, &zone, &ctx)
        }
        Err(error) => return page_error(error, ctx),
    };
    let error = format!("{} {message}", ctx.t.cancel_failed);
    render_my_bookings(
        &state,
        &requester,
        ctx,
        &MyBookingsParams::default(),
        Some(error),
        status,
    )
    .await
}

/// `POST /waitlist/{id}/withdraw`.
pub async fn withdraw_submit(press: ButtonPress) -> Response {
    let entry = WaitlistEntryId(press.id);
    press
        .act(
            "/bookings",
            "/bookings?notice=withdrawn",
            async |app, requester| {
                app.bookings()
                    .withdraw_waitlist_entry(requester, entry)
                    .await
            },
        )
        .await
}
