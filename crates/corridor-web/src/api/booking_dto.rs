//! The wire types of the booking API: what `api/bookings.rs` reads and answers.

use corridor_domain::CalendarRules;
use corridor_store::{BookingRecord, WaitlistEntry};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Serialize, ToSchema)]
pub struct BookingDto {
    pub id: i64,
    pub instrument_id: i64,
    pub instrument_name_en: String,
    pub instrument_name_zh: String,
    pub institution_id: i64,
    /// The instrument's time zone; `starts_at`/`ends_at` are instants, shown in this zone.
    pub time_zone: String,
    pub user_id: i64,
    pub user_display_name: String,
    /// RFC 3339 instant.
    pub starts_at: String,
    pub ends_at: String,
    /// pending, confirmed, completed, rejected or cancelled.
    pub status: String,
    pub user_class: String,
    pub hourly_rate_fen: i64,
    pub price_fen: i64,
    pub purpose: String,
    pub created_at: String,
    pub updated_at: String,
    pub decided_by: Option<i64>,
    pub decision_note: Option<String>,
    pub usage_minutes: Option<i64>,
    pub charged_fen: Option<i64>,
    /// Present when a voucher pays part of the booking: the split and whether the voucher's
    /// share is held, redeemed or released.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub voucher_payment: Option<super::voucher_dto::VoucherPaymentDto>,
}

impl From<BookingRecord> for BookingDto {
    fn from(booking: BookingRecord) -> Self {
        BookingDto {
            id: booking.id.0,
            instrument_id: booking.instrument.0,
            instrument_name_en: booking.instrument_name_en,
            instrument_name_zh: booking.instrument_name_zh,
            institution_id: booking.institution.0,
            time_zone: booking.time_zone,
            user_id: booking.user.0,
            user_display_name: booking.user_display_name,
            starts_at: booking.range.start.to_string(),
            ends_at: booking.range.end.to_string(),
            status: booking.status.as_code().to_owned(),
            user_class: booking.user_class.as_code().to_owned(),
            hourly_rate_fen: booking.hourly_rate.0,
            price_fen: booking.price.0,
            purpose: booking.purpose,
            created_at: booking.created_at.to_string(),
            updated_at: booking.updated_at.to_string(),
            decided_by: booking.decided_by.map(|user| user.0),
            decision_note: booking.decision_note,
            usage_minutes: booking.usage_minutes,
            voucher_payment: None,
            charged_fen: booking.charged.map(|fen| fen.0),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WaitlistEntryDto {
    pub id: i64,
    pub instrument_id: i64,
    pub user_id: i64,
    pub starts_at: String,
    pub ends_at: String,
    pub purpose: String,
    /// waiting, promoted or withdrawn.
    pub status: String,
    pub created_at: String,
    /// The booking the entry became, once promoted.
    pub promoted_booking_id: Option<i64>,
}

impl From<WaitlistEntry> for WaitlistEntryDto {
    fn from(entry: WaitlistEntry) -> Self {
        WaitlistEntryDto {
            id: entry.id.0,
            instrument_id: entry.instrument.0,
            user_id: entry.user.0,
            starts_at: entry.range.start.to_string(),
            ends_at: entry.range.end.to_string(),
            purpose: entry.purpose,
            status: entry.status.as_code().to_owned(),
            created_at: entry.created_at.to_string(),
            promoted_booking_id: entry.promoted_booking.map(|id| id.0),
        }
    }
}

/// The result of a change to a booking, with the waitlisted requests it turned into bookings.
#[derive(Debug, Serialize, ToSchema)]
pub struct BookingChangeDto {
    pub booking: BookingDto,
    pub promoted_from_waitlist: Vec<BookingDto>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BookingInput {
    pub instrument_id: i64,
    /// RFC 3339 instant, e.g. `2026-12-07T09:00:00+08:00`.
    pub starts_at: String,
    pub ends_at: String,
    /// What the instrument is for this time; shown to its managers.
    #[serde(default)]
    pub purpose: String,
    /// When the slot is taken, wait on the waitlist (202) instead of only refusing (409).
    #[serde(default)]
    pub join_waitlist: bool,
    /// Pay the voucher's share with this voucher of your institution: the booking and the
    /// hold on the voucher are made together or not at all. Cannot join the waitlist.
    #[serde(default)]
    pub voucher_id: Option<i64>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TimeRangeInput {
    pub starts_at: String,
    pub ends_at: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionInput {
    /// Shown to the user.
    pub note: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UsageInput {
    /// Minutes actually used, 0 to 14 days.
    pub usage_minutes: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct QuoteDto {
    pub user_class: String,
    pub hourly_rate_fen: i64,
    pub minutes: i64,
    pub price_fen: i64,
    /// Whether no other booking holds part of the time right now.
    pub slot_free: bool,
    /// When the request would be refused: the problem type it would get, and why.
    pub refusal_type: Option<String>,
    pub refusal_detail: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CalendarRulesDto {
    pub slot_minutes: u32,
    pub min_booking_minutes: u32,
    pub max_booking_minutes: u32,
    pub lead_time_minutes: u32,
    pub cancellation_deadline_minutes: u32,
    pub weekly_quota_minutes: Option<u32>,
    /// How far ahead the instrument can be booked, in days (1 to 3660); 180 when absent.
    #[serde(default = "default_booking_horizon_days")]
    #[schema(minimum = 1, maximum = 3660)]
    pub booking_horizon_days: u32,
}

fn default_booking_horizon_days() -> u32 {
    corridor_domain::DEFAULT_BOOKING_HORIZON_DAYS
}

impl From<CalendarRules> for CalendarRulesDto {
    fn from(rules: CalendarRules) -> Self {
        CalendarRulesDto {
            slot_minutes: rules.slot_minutes,
            min_booking_minutes: rules.min_booking_minutes,
            max_booking_minutes: rules.max_booking_minutes,
            lead_time_minutes: rules.lead_time_minutes,
            cancellation_deadline_minutes: rules.cancellation_deadline_minutes,
            weekly_quota_minutes: rules.weekly_quota_minutes,
            booking_horizon_days: rules.booking_horizon_days,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ClosureDto {
    pub id: i64,
    /// holiday or maintenance.
    pub kind: String,
    pub starts_at: String,
    pub ends_at: String,
    pub reason: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClosureInput {
    pub kind: String,
    pub starts_at: String,
    pub ends_at: String,
    pub reason: String,
}

/// A stretch of time a holding booking takes. Who booked it is shown to the instrument's
/// managers only.
#[derive(Debug, Serialize, ToSchema)]
pub struct BusyDto {
    pub starts_at: String,
    pub ends_at: String,
    pub status: String,
    pub booking_id: Option<i64>,
    pub user_display_name: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CalendarDto {
    pub instrument_id: i64,
    pub time_zone: String,
    pub opening_hours: String,
    pub rules: CalendarRulesDto,
    pub from: String,
    pub to: String,
    pub closures: Vec<ClosureDto>,
    pub busy: Vec<BusyDto>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CalendarParams {
    /// RFC 3339 instant or a date (YYYY-MM-DD, midnight in the instrument's zone); now when
    /// absent.
    pub(crate) from: Option<String>,
    /// As `from`; seven days after `from` when absent. At most 62 days after `from`.
    pub(crate) to: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct QualificationDto {
    pub user_id: i64,
    pub user_display_name: String,
    pub granted_by: Option<i64>,
    pub granted_at: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QualificationInput {
    pub user_id: i64,
}
