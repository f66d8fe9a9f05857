//! Booking an instrument: the calendar rules a request must satisfy, and its price.
//!
//! Everything here is decided from values: the instrument's calendar, the requested time
//! range, the current instant and what the store counted (minutes the user already holds in
//! the quota week). The store runs these checks inside the transaction that holds the
//! instrument's booking lock, so the facts they are given cannot change underneath them.
//!
//! Times are instants (UTC) in storage and in the API; the rules themselves are written in
//! the instrument's local time (a door sign says "Mon-Fri 08:30-17:30" in the lab's own
//! zone), so every check converts through the instrument's time zone, and is right across
//! daylight-saving changes for instruments outside China.

use jiff::civil::{DateTime, Weekday};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp, ToSpan};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::institution::coded_enum;
use crate::{DomainError, Fen, MinuteOfDay, TimeZoneName, WeeklyOpeningHours};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct BookingId(pub i64);

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ClosureId(pub i64);

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct WaitlistEntryId(pub i64);

coded_enum!(
    /// Where a booking stands. Pending, confirmed and completed bookings hold their slot;
    /// rejected and cancelled ones have given it back.
    BookingStatus, "status" {
        Pending => "pending",
        Confirmed => "confirmed",
        Completed => "completed",
        Rejected => "rejected",
        Cancelled => "cancelled",
    }
);

impl BookingStatus {
    /// The statuses that occupy the instrument. The store's overlap check, the PostgreSQL
    /// exclusion constraint and the availability index all use exactly this set.
    pub const HOLDING: [BookingStatus; 3] = [
        BookingStatus::Pending,
        BookingStatus::Confirmed,
        BookingStatus::Completed,
    ];

    pub fn holds_slot(self) -> bool {
        Self::HOLDING.contains(&self)
    }
}

coded_enum!(
    /// Why an instrument is closed outside its normal weekly hours.
    ClosureKind, "kind" {
        Holiday => "holiday",
        Maintenance => "maintenance",
    }
);

coded_enum!(
    /// A waitlist entry waits until the slot frees, then becomes a booking (promoted) or is
    /// withdrawn by its user.
    WaitlistStatus, "status" {
        Waiting => "waiting",
        Promoted => "promoted",
        Withdrawn => "withdrawn",
    }
);

/// A half-open range of instants `[start, end)`, never empty.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct TimeRange {
    pub start: Timestamp,
    pub end: Timestamp,
}

impl TimeRange {
    pub fn new(start: Timestamp, end: Timestamp) -> Result<TimeRange, DomainError> {
        if start >= end {
            return Err(DomainError::invalid(
                "ends_at",
                format!("must be after starts_at ({start} is not before {end})"),
            ));
        }
        Ok(TimeRange { start, end })
    }

    pub fn overlaps(&self, other: &TimeRange) -> bool {
        self.start < other.end && other.start < self.end
    }

    pub fn minutes(&self) -> i64 {
        self.end.duration_since(self.start).as_secs() / 60
    }
}

/// The longest booking any instrument may allow: two weeks of continuous use.
pub const LONGEST_BOOKING_MINUTES: u32 = 14 * 24 * 60;
/// Lead times and cancellation deadlines are at most a year.
pub const LONGEST_NOTICE_MINUTES: u32 = 365 * 24 * 60;
/// How far ahead an instrument can be booked unless its manager says otherwise.
pub const DEFAULT_BOOKING_HORIZON_DAYS: u32 = 180;
/// The longest booking horizon a manager may set: ten years (a facility planning its
/// long-term campaigns).
pub const LONGEST_BOOKING_HORIZON_DAYS: u32 = 3_660;

/// The rules an instrument's manager sets for booking it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CalendarRules {
    /// Bookings start and end on this grid of local time (e.g. every 30 minutes).
    pub slot_minutes: u32,
    pub min_booking_minutes: u32,
    pub max_booking_minutes: u32,
    /// How long before the start a booking must be made.
    pub lead_time_minutes: u32,
    /// Until how long before the start a user may cancel or reschedule on their own.
    pub cancellation_deadline_minutes: u32,
    /// At most this many booked minutes per user and local calendar week (Monday to Sunday).
    pub weekly_quota_minutes: Option<u32>,
    /// How far ahead the instrument can be booked, in days: no one holds prime slots for
    /// years ahead within their weekly quota.
    pub booking_horizon_days: u32,
}

impl CalendarRules {
    pub fn new(
        slot_minutes: u32,
        min_booking_minutes: u32,
        max_booking_minutes: u32,
        lead_time_minutes: u32,
        cancellation_deadline_minutes: u32,
        weekly_quota_minutes: Option<u32>,
    ) -> Result<CalendarRules, DomainError> {
        if !(5..=240).contains(&slot_minutes) || 1440 % slot_minutes != 0 {
            return Err(DomainError::invalid(
                "slot_minutes",
                "must divide a day evenly and lie between 5 and 240 (e.g. 15, 30, 60)",
            ));
        }
        let on_grid = |minutes: u32| minutes % slot_minutes == 0;
        if min_booking_minutes == 0 || !on_grid(min_booking_minutes) {
            return Err(DomainError::invalid(
                "min_booking_minutes",
                format!("must be a positive multiple of the slot ({slot_minutes} minutes)"),
            ));
        }
        if max_booking_minutes < min_booking_minutes
            || !on_grid(max_booking_minutes)
            || max_booking_minutes > LONGEST_BOOKING_MINUTES
        {
            return Err(DomainError::invalid(
                "max_booking_minutes",
                format!(
                    "must be a multiple of the slot ({slot_minutes} minutes), at least the \
                     minimum ({min_booking_minutes}) and at most {LONGEST_BOOKING_MINUTES}"
                ),
            ));
        }
        for (field, value) in [
            ("lead_time_minutes", lead_time_minutes),
            (
                "cancellation_deadline_minutes",
                cancellation_deadline_minutes,
            ),
        ] {
            if value > LONGEST_NOTICE_MINUTES {
                return Err(DomainError::invalid(
                    field,
                    format!("must be at most {LONGEST_NOTICE_MINUTES} minutes (a year)"),
                ));
            }
        }
        if let Some(quota) = weekly_quota_minutes {
            if quota < min_booking_minutes {
                return Err(DomainError::invalid(
                    "weekly_quota_minutes",
                    "must allow at least one booking of the minimum length",
                ));
            }
        }
        Ok(CalendarRules {
            slot_minutes,
            min_booking_minutes,
            max_booking_minutes,
            lead_time_minutes,
            cancellation_deadline_minutes,
            weekly_quota_minutes,
            booking_horizon_days: DEFAULT_BOOKING_HORIZON_DAYS,
        })
    }

    /// These rules with another booking horizon (1 to [`LONGEST_BOOKING_HORIZON_DAYS`] days).
    pub fn with_booking_horizon_days(self, days: u32) -> Result<CalendarRules, DomainError> {
        if !(1..=LONGEST_BOOKING_HORIZON_DAYS).contains(&days) {
            return Err(DomainError::invalid(
                "booking_horizon_days",
                format!("must be 1 to {LONGEST_BOOKING_HORIZON_DAYS} days"),
            ));
        }
        Ok(CalendarRules {
            booking_horizon_days: days,
            ..self
        })
    }

    /// What a new instrument gets until its manager says otherwise: 30-minute slots, from
    /// half an hour to a working day, booked an hour ahead, cancelled up to a day ahead.
    pub fn standard() -> CalendarRules {
        CalendarRules {
            slot_minutes: 30,
            min_booking_minutes: 30,
            max_booking_minutes: 8 * 60,
            lead_time_minutes: 60,
            cancellation_deadline_minutes: 24 * 60,
            weekly_quota_minutes: None,
            booking_horizon_days: DEFAULT_BOOKING_HORIZON_DAYS,
        }
    }
}

/// A stretch of time in which an instrument cannot be booked despite its weekly hours.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Closure {
    pub id: ClosureId,
    pub kind: ClosureKind,
    pub range: TimeRange,
    pub reason: String,
}

/// Everything that decides when one instrument can be booked.
#[derive(Debug, Clone, PartialEq)]
pub struct InstrumentCalendar {
    pub time_zone: TimeZoneName,
    pub opening_hours: WeeklyOpeningHours,
    pub rules: CalendarRules,
    /// Closures that may touch the requested range; others are ignored.
    pub closures: Vec<Closure>,
}

/// Why a booking request was refused by the calendar's rules. Each variant is one thing the
/// requester can fix, and says how.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum BookingRefusal {
    #[error("bookings start and end on the {slot_minutes}-minute grid of local time; {local} is off the grid")]
    OffSlotGrid { slot_minutes: u32, local: DateTime },
    #[error("a booking lasts at least {min_minutes} minutes; this one lasts {minutes}")]
    TooShort { min_minutes: u32, minutes: i64 },
    #[error("a booking lasts at most {max_minutes} minutes; this one lasts {minutes}")]
    TooLong { max_minutes: u32, minutes: i64 },
    #[error("bookings must be made {lead_time_minutes} minutes ahead; the earliest start now is {earliest_start}")]
    TooSoon {
        lead_time_minutes: u32,
        earliest_start: Timestamp,
    },
    #[error("bookings may be made at most {horizon_days} days ahead; the latest start now is {latest_start}")]
    TooFarAhead {
        horizon_days: u32,
        latest_start: Timestamp,
    },
    #[error("the instrument is not open at {local} local time ({opening_hours})")]
    OutsideOpeningHours {
        local: DateTime,
        opening_hours: String,
    },
    #[error("the instrument is closed for {kind} from {start} to {end}: {reason}")]
    Closed {
        kind: &'static str,
        start: Timestamp,
        end: Timestamp,
        reason: String,
    },
    #[error("the weekly quota is {quota_minutes} minutes; {already_minutes} are already booked that week and this booking needs {minutes}")]
    QuotaExceeded {
        quota_minutes: u32,
        already_minutes: i64,
        minutes: i64,
    },
    #[error("the cancellation deadline passed at {deadline}; ask the instrument's manager")]
    CancellationDeadlinePassed { deadline: Timestamp },
    #[error("the booking has already started or ended")]
    AlreadyStarted,
    #[error("usage can only be recorded once the booking has started ({starts_at})")]
    UsageBeforeStart { starts_at: Timestamp },
}

impl BookingRefusal {
    /// The problem type slug the HTTP edge answers with.
    pub fn slug(&self) -> &'static str {
        match self {
            BookingRefusal::OffSlotGrid { .. } => "booking-off-slot-grid",
            BookingRefusal::TooShort { .. } | BookingRefusal::TooLong { .. } => {
                "booking-length-not-allowed"
            }
            BookingRefusal::TooSoon { .. } => "booking-too-soon",
            BookingRefusal::TooFarAhead { .. } => "booking-too-far-ahead",
            BookingRefusal::OutsideOpeningHours { .. } => "booking-outside-opening-hours",
            BookingRefusal::Closed { .. } => "instrument-closed",
            BookingRefusal::QuotaExceeded { .. } => "booking-quota-exceeded",
            BookingRefusal::CancellationDeadlinePassed { .. } => "cancellation-deadline-passed",
            BookingRefusal::AlreadyStarted => "booking-already-started",
            BookingRefusal::UsageBeforeStart { .. } => "usage-before-start",
        }
    }
}

impl InstrumentCalendar {
    pub fn zone(&self) -> TimeZone {
        // A TimeZoneName is only ever built from a name the bundled database knows.
        jiff::tz::db()
            .get(self.time_zone.as_str())
            .unwrap_or(TimeZone::UTC)
    }

    /// Checks everything about a request that does not depend on other bookings: the grid,
    /// the length, the lead time, the weekly hours and the closures. `now` is when the
    /// request is decided.
    pub fn check_request(&self, range: TimeRange, now: Timestamp) -> Result<(), BookingRefusal> {
        let zone = self.zone();
        let rules = &self.rules;
        for instant in [range.start, range.end] {
            let local = instant.to_zoned(zone.clone()).datetime();
            let minute = u32::from(local.hour() as u8) * 60 + u32::from(local.minute() as u8);
            if local.second() != 0
                || local.subsec_nanosecond() != 0
                || minute % rules.slot_minutes != 0
            {
                return Err(BookingRefusal::OffSlotGrid {
                    slot_minutes: rules.slot_minutes,
                    local,
                });
            }
        }
        let minutes = range.minutes();
        if minutes < i64::from(rules.min_booking_minutes) {
            return Err(BookingRefusal::TooShort {
                min_minutes: rules.min_booking_minutes,
                minutes,
            });
        }
        if minutes > i64::from(rules.max_booking_minutes) {
            return Err(BookingRefusal::TooLong {
                max_minutes: rules.max_booking_minutes,
                minutes,
            });
        }
        let earliest_start = now + SignedDuration::from_mins(i64::from(rules.lead_time_minutes));
        if range.start < earliest_start {
            return Err(BookingRefusal::TooSoon {
                lead_time_minutes: rules.lead_time_minutes,
                earliest_start,
            });
        }
        let latest_start =
            now + SignedDuration::from_hours(24 * i64::from(rules.booking_horizon_days));
        if range.start > latest_start {
            return Err(BookingRefusal::TooFarAhead {
                horizon_days: rules.booking_horizon_days,
                latest_start,
            });
        }
        self.check_open_throughout(range, &zone)?;
        if let Some(closure) = self
            .closures
            .iter()
            .find(|closure| closure.range.overlaps(&range))
        {
            return Err(BookingRefusal::Closed {
                kind: closure.kind.as_code(),
                start: closure.range.start,
                end: closure.range.end,
                reason: closure.reason.clone(),
            });
        }
        Ok(())
    }

    /// Walks the range slot by slot in real time and asks, for each slot, whether the local
    /// weekday and minutes it covers are inside one opening interval. Walking instants rather
    /// than local times is what keeps this right on the days clocks change: a slot is open
    /// when its local start is open and its local end is in the same interval.
    fn check_open_throughout(
        &self,
        range: TimeRange,
        zone: &TimeZone,
    ) -> Result<(), BookingRefusal> {
        let step = SignedDuration::from_mins(i64::from(self.rules.slot_minutes));
        let mut slot_start = range.start;
        while slot_start < range.end {
            let slot_end = (slot_start + step).min(range.end);
            let local_start = slot_start.to_zoned(zone.clone()).datetime();
            // The end is taken one second early so that a slot ending at midnight belongs to
            // the day it started in.
            let local_last = (slot_end - SignedDuration::from_secs(1))
                .to_zoned(zone.clone())
                .datetime();
            if !self.slot_is_open(local_start, local_last) {
                return Err(BookingRefusal::OutsideOpeningHours {
                    local: local_start,
                    opening_hours: self.opening_hours.to_string(),
                });
            }
            slot_start = slot_end;
        }
        Ok(())
    }

    fn slot_is_open(&self, local_start: DateTime, local_last: DateTime) -> bool {
        if local_start.date() != local_last.date() || local_last < local_start {
            return false;
        }
        let weekday = local_start.weekday();
        let start_minute = minute_of_day(local_start);
        let last_minute = minute_of_day(local_last);
        self.opening_hours.intervals().iter().any(|interval| {
            interval.weekday() == weekday
                && interval.start.get() <= start_minute
                && last_minute < interval.end.get()
        })
    }

    /// The local calendar week (Monday 00:00 to the next Monday 00:00, in the instrument's
    /// zone) that contains `instant`; the weekly quota counts bookings starting in it.
    pub fn quota_week_of(&self, instant: Timestamp) -> TimeRange {
        let zone = self.zone();
        let local_date = instant.to_zoned(zone.clone()).date();
        let days_since_monday = i64::from(local_date.weekday().to_monday_zero_offset());
        let monday = local_date
            .checked_sub(days_since_monday.days())
            .unwrap_or(local_date);
        let next_monday = monday.checked_add(7.days()).unwrap_or(monday);
        let start_of = |date: jiff::civil::Date| {
            date.to_zoned(zone.clone())
                .map(|zoned| zoned.timestamp())
                .unwrap_or(instant)
        };
        TimeRange {
            start: start_of(monday),
            end: start_of(next_monday),
        }
    }

    /// Checks the weekly quota, given the minutes the user already holds in the week of the
    /// request (counted by the store over holding bookings that start in `quota_week_of`).
    pub fn check_quota(
        &self,
        range: TimeRange,
        already_minutes: i64,
    ) -> Result<(), BookingRefusal> {
        match self.rules.weekly_quota_minutes {
            Some(quota) if already_minutes + range.minutes() > i64::from(quota) => {
                Err(BookingRefusal::QuotaExceeded {
                    quota_minutes: quota,
                    already_minutes,
                    minutes: range.minutes(),
                })
            }
            _ => Ok(()),
        }
    }
}

/// Whether a user may still cancel or move their own booking on their own. Managers are not
/// bound by the deadline.
pub fn check_user_may_cancel(
    rules: &CalendarRules,
    booking: TimeRange,
    now: Timestamp,
) -> Result<(), BookingRefusal> {
    if now >= booking.start {
        return Err(BookingRefusal::AlreadyStarted);
    }
    let deadline =
        booking.start - SignedDuration::from_mins(i64::from(rules.cancellation_deadline_minutes));
    if now > deadline {
        return Err(BookingRefusal::CancellationDeadlinePassed { deadline });
    }
    Ok(())
}

/// The price of `minutes` at an hourly rate, rounded to the nearest fen (half up). Prices
/// are computed once, at quote and booking time, and stored with the booking, so a later
/// change of rates never changes what a user agreed to pay.
pub fn price_for_minutes(hourly_rate: Fen, minutes: i64) -> Fen {
    // Rates are at most `Fen::MAX_HOURLY_RATE` and bookings at most two weeks, so a price is
    // at most 3.4 × 10^10 fen; the saturation only guards values stored before the bounds.
    hourly_rate
        .checked_ratio(minutes, 60)
        .unwrap_or(Fen::MAX)
        .min(Fen::MAX)
}

fn minute_of_day(local: DateTime) -> u16 {
    local.hour() as u16 * 60 + local.minute() as u16
}

/// The weekday a local date-time falls on, Monday first; re-exported for callers that lay
/// out week calendars.
pub fn weekday_index(weekday: Weekday) -> usize {
    weekday.to_monday_zero_offset() as usize
}

/// The open minutes of a local weekday, in order; the week calendar draws these.
pub fn open_intervals_of(
    hours: &WeeklyOpeningHours,
    weekday: Weekday,
) -> Vec<(MinuteOfDay, MinuteOfDay)> {
    hours
        .intervals()
        .iter()
        .filter(|interval| interval.weekday() == weekday)
        .map(|interval| (interval.start, interval.end))
        .collect()
}

#[cfg(test)]
mod tests;
