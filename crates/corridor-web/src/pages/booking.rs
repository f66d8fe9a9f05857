//! Booking from the instrument page: the week calendar, the booking form, the price quote
//! and the booking itself.
//!
//! The form is posted to `/instruments/{id}/book` with an `intent`: `quote` ("Check price")
//! answers with the booking page, which shows the calendar of the chosen week, the form as
//! filled in, and the quote for the signed-in user's class with the reason the request would
//! be refused, if it would; its "Book" button posts exactly what was quoted with
//! `intent=book`. A booking that is made redirects to "my bookings" with a notice; one that
//! is refused shows the booking page again with the reason, in the page's language.
//!
//! When the user's enterprise holds vouchers with value left, the form offers "Pay with
//! voucher" (none by default); with a voucher chosen the quote shows the split and booking
//! goes through `create_booking_with_voucher`, which books and holds the voucher's share in
//! one transaction ([`super::vouchers::payment`]).

use std::sync::Arc;

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use corridor_app::bookings::{BookingOutcome, NewBooking};
use corridor_app::AppError;
use corridor_domain::instant::RepeatedHour;
use corridor_domain::voucher::VoucherId;
use corridor_domain::{BookingMode, InstrumentId, TimeRange};
use corridor_store::{BookingQuote, InstrumentWithPlace};
use jiff::civil::{Date, Time};
use jiff::tz::TimeZone;
use jiff::SignedDuration;
use serde::Deserialize;

use super::booking_text::{
    denial_message, local_range_text, local_to_instant, parse_form_date, parse_form_time,
    refusal_text, user_class_label, zone_named, LocalTimeError,
};
use super::forms::{field_text, see_page, ticked, FormPage, PageForm, SignedInForm};
use super::vouchers::payment::{self, VoucherChoiceView, VoucherQuoteView};
use super::week_calendar::{
    build_week_calendar, monday_of, week_window, WeekCalendarInput, WeekCalendarView,
};
use super::PageContext;
use crate::auth::Requester;
use crate::extract::Path;
use crate::pages::page_error;
use crate::problem::ApiError;
use crate::AppState;

/// What a calendar cell's link or the week navigation asks of the instrument page.
pub struct CalendarPrefill {
    pub week: Option<String>,
    pub date: Option<String>,
    pub start: Option<String>,
}

pub struct QuoteView {
    pub when: String,
    pub duration: String,
    pub user_class: &'static str,
    pub hourly_rate: String,
    pub price: String,
    pub refusal: Option<String>,
    pub slot_taken: bool,
    /// The label of the button that books what was quoted; `None` when booking would be
    /// refused (or the time is taken and the waitlist was not asked for).
    pub book_label: Option<&'static str>,
    /// Sent with the "Book" button so that a double click books once.
    pub idempotency_key: String,
    /// The split between the chosen voucher and the user, when a voucher was chosen.
    pub voucher: Option<VoucherQuoteView>,
}

pub struct BookingFormView {
    pub action: String,
    pub date: String,
    pub start: String,
    pub end: String,
    pub purpose: String,
    pub join_waitlist: bool,
    pub errors: Vec<String>,
    pub quote: Option<QuoteView>,
    pub needs_approval: bool,
    /// "Pay with voucher", offered when the user's enterprise holds vouchers with value.
    pub voucher: Option<VoucherChoiceView>,
    /// A time of the form happens twice (the clocks go back): the form asks which.
    pub ask_repeated_hour: bool,
    /// The answer, `earlier` or `later`, carried to the booking.
    pub repeated_hour: String,
}

/// The booking part of the instrument page and of the booking page.
pub struct BookingSection {
    pub calendar: WeekCalendarView,
    /// `None` for visitors who are not signed in: they get a sign-in link instead.
    pub form: Option<BookingFormView>,
    pub manage_link: Option<String>,
}

fn zone_of(item: &InstrumentWithPlace) -> TimeZone {
    zone_named(item.instrument.time_zone.as_str())
}

/// How long a booking the calendar's link prefills lasts: an hour where the rules allow
/// one, else the shortest booking allowed.
fn default_booking_minutes(rules: &corridor_domain::CalendarRules) -> u32 {
    let hour_fits = 60 % rules.slot_minutes == 0
        && (rules.min_booking_minutes..=rules.max_booking_minutes).contains(&60);
    if hour_fits {
        60
    } else {
        rules.min_booking_minutes
    }
}

/// Builds the calendar of the week starting `monday`, with `form` under it.
async fn booking_section(
    state: &AppState,
    requester: &Requester,
    ctx: &PageContext,
    item: &InstrumentWithPlace,
    monday: Date,
    form: Option<BookingFormView>,
) -> Result<BookingSection, ApiError> {
    let id = item.instrument.id;
    let zone = zone_of(item);
    let window = week_window(monday, &zone)
        .ok_or_else(|| ApiError::invalid("week", ctx.t.error_week_out_of_range))?;
    let calendar = state.app.bookings().calendar(requester, id, window).await?;
    let viewer_manages_instrument = calendar.viewer_manages_instrument;
    let calendar = build_week_calendar(&WeekCalendarInput {
        instrument_id: id.0,
        calendar: &calendar,
        monday,
        zone: &zone,
        now: corridor_store::now(),
        offer_prefill_links: form.is_some(),
        t: ctx.t,
        language: ctx.language,
    });
    Ok(BookingSection {
        calendar,
        form,
        manage_link: viewer_manages_instrument.then(|| format!("/manage/instruments/{}", id.0)),
    })
}

fn empty_form(item: &InstrumentWithPlace) -> BookingFormView {
    BookingFormView {
        action: format!("/instruments/{}/book", item.instrument.id.0),
        date: String::new(),
        start: String::new(),
        end: String::new(),
        purpose: String::new(),
        join_waitlist: false,
        errors: Vec::new(),
        quote: None,
        needs_approval: item.instrument.booking_mode == BookingMode::NeedsApproval,
        voucher: None,
        ask_repeated_hour: false,
        repeated_hour: String::new(),
    }
}

/// Reads one query value of the instrument page; an empty or absent one is no value, a
/// malformed one is a 400 page that says what is wrong with it.
fn read_prefill<T>(
    value: &Option<String>,
    parameter: &'static str,
    parse: impl FnOnce(&str) -> Result<T, String>,
) -> Result<Option<T>, ApiError> {
    match value
        .as_deref()
        .map(str::trim)
        .filter(|text| !text.is_empty())
    {
        None => Ok(None),
        Some(text) => parse(text)
            .map(Some)
            .map_err(|reason| ApiError::invalid(parameter, reason)),
    }
}

/// The booking section of the instrument page: the week asked for (this week by default),
/// and for signed-in users the form, filled in from a calendar cell's link.
pub async fn booking_section_for_page(
    state: &AppState,
    requester: &Requester,
    ctx: &PageContext,
    item: &InstrumentWithPlace,
    prefill: CalendarPrefill,
) -> Result<BookingSection, ApiError> {
    let (t, language) = (ctx.t, ctx.language);
    let zone = zone_of(item);
    let today = corridor_store::now().to_zoned(zone.clone()).date();
    let week = read_prefill(&prefill.week, "week", |text| {
        parse_form_date(text, t, language)
    })?;
    let date = read_prefill(&prefill.date, "date", |text| {
        parse_form_date(text, t, language)
    })?;
    let start = read_prefill(&prefill.start, "start", |text| {
        parse_form_time(text, t, language)
    })?;
    let monday = monday_of(week.or(date).unwrap_or(today));
    let form = match &requester.user {
        None => None,
        Some(user) => {
            let mut form = empty_form(item);
            let vouchers = payment::enterprise_vouchers(state, user).await?;
            form.voucher = payment::choice_view(&vouchers, None, language);
            if let Some(date) = date {
                form.date = date.to_string();
            }
            if let Some(start) = start {
                form.start = start.strftime("%H:%M").to_string();
                let rules = state.app.bookings().rules(item.instrument.id).await?;
                let minutes = i64::from(default_booking_minutes(&rules));
                let end = start.wrapping_add(SignedDuration::from_mins(minutes));
                form.end = end.strftime("%H:%M").to_string();
            }
            Some(form)
        }
    };
    booking_section(state, requester, ctx, item, monday, form).await
}

#[derive(Template)]
#[template(path = "booking.html")]
struct BookingPageTemplate {
    ctx: PageContext,
    item: InstrumentWithPlace,
    booking: BookingSection,
}

/// The booking form's fields. All are optional text so that a form missing a field still
/// gets an answer that says which, instead of a generic rejection.
#[derive(Debug, Deserialize)]
pub struct BookingFormFields {
    date: Option<String>,
    start: Option<String>,
    end: Option<String>,
    purpose: Option<String>,
    join_waitlist: Option<String>,
    /// `quote` (the "Check price" button) or `book`.
    intent: Option<String>,
    idempotency_key: Option<String>,
    /// The chosen voucher's id; empty or absent: none.
    voucher: Option<String>,
    /// `earlier` or `later`: which of a time the clocks show twice is meant.
    repeated_hour: Option<String>,
}

impl PageForm for BookingFormFields {
    const PAGE: FormPage = FormPage::FirstSegments(2);
}

/// What reading the form found wrong: every problem, and whether one of them is a time the
/// clocks show twice (the form then asks which).
struct FormProblems {
    messages: Vec<String>,
    ask_repeated_hour: bool,
}

/// A booking request read from the form, in the instrument's zone.
struct ParsedBookingForm {
    monday: Date,
    range: TimeRange,
    purpose: String,
}

/// Reads the form into a time range; every problem is reported, so that the user can fix
/// them all at once. The week shown is the chosen date's, when the date could be read.
fn parse_booking_form(
    fields: &BookingFormFields,
    zone: &TimeZone,
    ctx: &PageContext,
) -> (Option<Date>, Result<ParsedBookingForm, FormProblems>) {
    let (t, language) = (ctx.t, ctx.language);
    let mut errors = Vec::new();
    let mut ask_repeated_hour = false;
    let date = parse_form_date(field_text(&fields.date), t, language)
        .map_err(|error| errors.push(error))
        .ok();
    let start = parse_form_time(field_text(&fields.start), t, language)
        .map_err(|error| errors.push(error))
        .ok();
    let end = parse_form_time(field_text(&fields.end), t, language)
        .map_err(|error| errors.push(error))
        .ok();
    let purpose = corridor_app::bookings::purpose_of(fields.purpose.as_deref())
        .map_err(|_| errors.push(t.error_purpose.to_owned()))
        .unwrap_or_default();
    let (Some(date), Some(start), Some(end)) = (date, start, end) else {
        return (
            date,
            Err(FormProblems {
                messages: errors,
                ask_repeated_hour,
            }),
        );
    };
    // An end of 00:00 after a later start is midnight at the end of the chosen day; any
    // other end must come after the start on the same day.
    let end_date = if end == Time::midnight() && start != Time::midnight() {
        date.tomorrow().unwrap_or(date)
    } else {
        date
    };
    let repeated = match field_text(&fields.repeated_hour) {
        "earlier" => Some(RepeatedHour::Earlier),
        "later" => Some(RepeatedHour::Later),
        _ => None,
    };
    let range = match (
        local_to_instant(date, start, zone, repeated, language),
        local_to_instant(end_date, end, zone, repeated, language),
    ) {
        (Ok(start), Ok(end)) if start < end => TimeRange::new(start, end).ok(),
        (Ok(_), Ok(_)) => {
            errors.push(t.error_end_before_start.to_owned());
            None
        }
        (Err(error), _) | (_, Err(error)) => {
            ask_repeated_hour = matches!(error, LocalTimeError::AskWhichHour(_));
            errors.push(error.message().to_owned());
            None
        }
    };
    match range {
        Some(range) if errors.is_empty() => (
            Some(date),
            Ok(ParsedBookingForm {
                monday: monday_of(date),
                range,
                purpose,
            }),
        ),
        _ => (
            Some(date),
            Err(FormProblems {
                messages: errors,
                ask_repeated_hour,
            }),
        ),
    }
}

fn quote_view(
    quote: &BookingQuote,
    range: TimeRange,
    join_waitlist: bool,
    zone: &TimeZone,
    ctx: &PageContext,
) -> QuoteView {
    let (t, language) = (ctx.t, ctx.language);
    let refusal = quote
        .denial
        .as_ref()
        .map(|denial| denial_message(denial, zone, t, language));
    let book_label = match (refusal.is_some(), quote.slot_free, join_waitlist) {
        (true, _, _) => None,
        (false, true, _) => Some(t.book),
        (false, false, true) => Some(t.join_waitlist_button),
        (false, false, false) => None,
    };
    QuoteView {
        when: local_range_text(range, zone, t, language),
        duration: super::readable::duration(quote.minutes, language),
        user_class: user_class_label(quote.user_class, t),
        hourly_rate: quote.hourly_rate.to_string(),
        price: quote.price.to_string(),
        refusal,
        slot_taken: !quote.slot_free,
        book_label,
        idempotency_key: crate::auth::new_secret("form-").0,
        voucher: None,
    }
}

async fn render_booking_page(
    state: &AppState,
    requester: &Requester,
    ctx: PageContext,
    item: InstrumentWithPlace,
    monday: Date,
    form: BookingFormView,
    status: StatusCode,
) -> Response {
    let section = match booking_section(state, requester, &ctx, &item, monday, Some(form)).await {
        Ok(section) => section,
        Err(error) => return page_error(error, ctx),
    };
    let page = BookingPageTemplate {
        ctx,
        item,
        booking: section,
    };
    super::respond_with_page(status, page, |page| page.ctx)
}

/// `POST /instruments/{id}/book`: checks the price, or books.
pub async fn book_submit(
    State(state): State<Arc<AppState>>,
    Path(id): Path<i64>,
    form: SignedInForm<BookingFormFields>,
) -> Response {
    let (ctx, requester, user, fields) = (form.ctx, form.requester, form.user, form.fields);
    let item = match state.app.bookings().instrument(InstrumentId(id)).await {
        Ok(item) => item,
        Err(error) => return page_error(error, ctx),
    };
    let zone = zone_of(&item);
    let mut form_view = empty_form(&item);
    form_view.date = field_text(&fields.date).to_owned();
    form_view.start = field_text(&fields.start).to_owned();
    form_view.end = field_text(&fields.end).to_owned();
    form_view.purpose = fields.purpose.clone().unwrap_or_default();
    form_view.join_waitlist = ticked(&fields.join_waitlist);
    let vouchers = match payment::enterprise_vouchers(&state, &user).await {
        Ok(vouchers) => vouchers,
        Err(error) => return page_error(error, ctx),
    };
    let chosen = payment::chosen_voucher(&fields.voucher, ctx.language);
    form_view.voucher = payment::choice_view(
        &vouchers,
        chosen.as_ref().ok().copied().flatten(),
        ctx.language,
    );

    form_view.repeated_hour = match field_text(&fields.repeated_hour) {
        choice @ ("earlier" | "later") => choice.to_owned(),
        _ => String::new(),
    };
    let (date, mut parsed) = parse_booking_form(&fields, &zone, &ctx);
    if let Err(message) = &chosen {
        let mut problems = parsed.err().unwrap_or(FormProblems {
            messages: Vec::new(),
            ask_repeated_hour: false,
        });
        problems.messages.push(message.clone());
        parsed = Err(problems);
    }
    let chosen: Option<VoucherId> = chosen.ok().flatten();
    let parsed = match parsed {
        Ok(parsed) => parsed,
        Err(problems) => {
            let today = corridor_store::now().to_zoned(zone.clone()).date();
            let monday = monday_of(date.unwrap_or(today));
            form_view.errors = problems.messages;
            form_view.ask_repeated_hour = problems.ask_repeated_hour;
            return render_booking_page(
                &state,
                &requester,
                ctx,
                item,
                monday,
                form_view,
                StatusCode::BAD_REQUEST,
            )
            .await;
        }
    };
    let idempotency_key = Some(field_text(&fields.idempotency_key))
        .filter(|key| !key.is_empty())
        .map(str::to_owned);
    let bookings = state.app.bookings();
    if field_text(&fields.intent) != "book" {
        let quoted = bookings
            .quote(&requester, InstrumentId(id), parsed.range)
            .await;
        let quote = match quoted {
            Ok(quote) => quote,
            Err(error) => return page_error(error, ctx),
        };
        let mut view = quote_view(&quote, parsed.range, form_view.join_waitlist, &zone, &ctx);
        if let Some(voucher) = chosen {
            let split = payment::quote_split(
                &state,
                &requester,
                voucher,
                InstrumentId(id),
                quote.price,
                parsed.range.start,
                ctx.language,
            )
            .await;
            let mut split = match split {
                Ok(split) => split,
                Err(error) => return page_error(error, ctx),
            };
            // A booking paid with a voucher never waits on the waitlist.
            if !quote.slot_free && split.refusal.is_none() {
                split.refusal = Some(payment::no_waitlist_message(ctx.language).to_owned());
            }
            if split.blocks_booking() {
                view.book_label = None;
            }
            view.voucher = Some(split);
        }
        form_view.quote = Some(view);
        return render_booking_page(
            &state,
            &requester,
            ctx,
            item,
            parsed.monday,
            form_view,
            StatusCode::OK,
        )
        .await;
    }
    let request = NewBooking {
        instrument: InstrumentId(id),
        range: parsed.range,
        purpose: parsed.purpose,
        idempotency_key,
        // A booking paid with a voucher never waits on the waitlist (the box is ignored).
        join_waitlist: form_view.join_waitlist && chosen.is_none(),
        voucher: chosen,
    };
    let refusal = match bookings.book(&requester, request).await {
        Ok(BookingOutcome::Booked { booking, .. }) => {
            return see_page(&format!("/bookings?notice=booked&booking={}", booking.id.0))
        }
        Ok(BookingOutcome::Waitlisted(_)) => return see_page("/bookings?notice=waitlisted"),
        Err(AppError::Refused(refusal)) => refusal,
        Err(error) => return page_error(error, ctx),
    };
    let (message, status) = refusal_text(&refusal, &zone, &ctx);
    form_view.errors = vec![message];
    render_booking_page(
        &state,
        &requester,
        ctx,
        item,
        parsed.monday,
        form_view,
        status,
    )
    .await
}
