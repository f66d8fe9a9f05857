//! iCalendar (RFC 5545) feeds: an instrument's busy times and closures for anyone, a user's
//! own bookings for that user. Calendar apps subscribe to these URLs and poll them.

use std::sync::Arc;

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use corridor_domain::ical::{render_feed, CalendarFeed, FeedEvent, FeedEventStatus};
use corridor_domain::{BookingStatus, InstrumentId};
use corridor_store::BookingRecord;

use crate::auth::Requester;
use crate::extract::Path;
use crate::problem::responses::{NotFound, Unauthorized};
use crate::problem::ApiError;
use crate::AppState;

const PRODUCT_ID: &str = "-//Corridor//Bookings//EN";

fn calendar_response(feed: &CalendarFeed) -> Response {
    (
        [(header::CONTENT_TYPE, "text/calendar; charset=utf-8")],
        render_feed(feed),
    )
        .into_response()
}

fn feed_status(status: BookingStatus) -> FeedEventStatus {
    match status {
        BookingStatus::Pending => FeedEventStatus::Tentative,
        BookingStatus::Confirmed | BookingStatus::Completed => FeedEventStatus::Confirmed,
        BookingStatus::Rejected | BookingStatus::Cancelled => FeedEventStatus::Cancelled,
    }
}

/// An instrument's busy times and closures from a month ago to a year ahead, in the
/// instrument's own time zone. Who booked is not shown.
#[utoipa::path(get, path = "/instruments/{id}/calendar.ics", tag = "bookings",
    params(("id" = i64, Path, description = "Instrument id")),
    responses((status = 200, content_type = "text/calendar", body = String), NotFound))]
pub async fn instrument_feed(
    State(state): State<Arc<AppState>>,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    let (instrument, view) = state.app.bookings().public_feed(InstrumentId(id)).await?;
    let now = corridor_store::now();
    let mut events: Vec<FeedEvent> = view
        .bookings
        .iter()
        .map(|booking| FeedEvent {
            uid: format!("booking-{}@corridor", booking.id.0),
            starts_at: booking.range.start,
            ends_at: booking.range.end,
            summary: "Booked 已预约".to_owned(),
            description: None,
            location: Some(instrument.institution_name_en.clone()),
            status: feed_status(booking.status),
            last_modified: booking.updated_at,
            sequence: 0,
        })
        .collect();
    events.extend(view.calendar.closures.iter().map(|closure| FeedEvent {
        uid: format!("closure-{}@corridor", closure.id.0),
        starts_at: closure.range.start,
        ends_at: closure.range.end,
        summary: format!("Closed ({}): {}", closure.kind.as_code(), closure.reason),
        description: None,
        location: Some(instrument.institution_name_en.clone()),
        status: FeedEventStatus::Confirmed,
        last_modified: now,
        sequence: 0,
    }));
    Ok(calendar_response(&CalendarFeed {
        product_id: PRODUCT_ID.to_owned(),
        name: format!(
            "{} / {}",
            instrument.instrument.name_en, instrument.instrument.name_zh
        ),
        time_zone: instrument.instrument.time_zone.clone(),
        events,
    }))
}

/// The signed-in user's latest 500 bookings, in the region's time zone.
#[utoipa::path(get, path = "/me/bookings.ics", tag = "bookings", security(("bearer" = [])),
    responses((status = 200, content_type = "text/calendar", body = String), Unauthorized))]
pub async fn my_feed(
    State(state): State<Arc<AppState>>,
    requester: Requester,
) -> Result<Response, ApiError> {
    let user = requester.require_user()?;
    let bookings = state.app.bookings().my_feed_bookings(&requester).await?;
    let events = bookings.iter().map(user_event).collect();
    Ok(calendar_response(&CalendarFeed {
        product_id: PRODUCT_ID.to_owned(),
        name: format!("Corridor: {}", user.display_name),
        time_zone: state.app.region_time_zone_name().clone(),
        events,
    }))
}

fn user_event(booking: &BookingRecord) -> FeedEvent {
    FeedEvent {
        uid: format!("booking-{}@corridor", booking.id.0),
        starts_at: booking.range.start,
        ends_at: booking.range.end,
        summary: format!(
            "{} / {}",
            booking.instrument_name_en, booking.instrument_name_zh
        ),
        description: Some(format!(
            "Booking {} ({}), price {} fen. {}",
            booking.id.0,
            booking.status.as_code(),
            booking.price.0,
            booking.purpose
        )),
        location: None,
        status: feed_status(booking.status),
        last_modified: booking.updated_at,
        sequence: 0,
    }
}
