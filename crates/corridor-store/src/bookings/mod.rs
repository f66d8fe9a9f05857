//! The booking half of the store: calendars, bookings, the waitlist and qualifications.
//!
//! Architecture Invariant: no two holding bookings (pending, confirmed, completed) of one
//! instrument overlap. Every write that can make a booking hold a slot first locks the
//! instrument's `instrument_calendars` row (an UPDATE of its `booking_sequence`), then checks
//! for overlaps, then writes, all in one transaction. The lock is an ordinary row lock, so
//! the design works on Postgres-compatible distributed engines that have no exclusion
//! constraints; on PostgreSQL an exclusion constraint stands behind it as a second line.
//!
//! The rules themselves (grid, length, lead time, hours, closures, quota) are the domain's
//! ([`corridor_domain::InstrumentCalendar`]); the store gathers their facts inside the locked
//! transaction and asks.

pub(crate) mod batch;
pub(crate) mod notify_sql;
pub(crate) mod sql;
pub(crate) mod store_sql;

use async_trait::async_trait;
use corridor_domain::{
    AccessPolicy, BookingId, BookingRefusal, BookingStatus, CalendarRules, Closure, ClosureId,
    ClosureKind, Fen, InstitutionId, InstrumentCalendar, InstrumentId, TimeRange, UserClass,
    UserId, WaitlistEntryId, WaitlistStatus, WeeklyOpeningHours,
};
use jiff::Timestamp;

use crate::{AuditContext, Page, PageRequest, StoreError};

/// How a store makes booking attempts safe. The default is the product's design; the other
/// exists so that the benchmark can measure the plain approach side by side, and is compiled
/// only with the `bench-baselines` feature (without it, a store always books the product's
/// way and there is nothing to choose).
#[cfg(feature = "bench-baselines")]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BookingStrategy {
    /// Lock the instrument's calendar row, check, insert; attempts that arrive together
    /// share one transaction and one durable commit (group commit, on both engines).
    #[default]
    LockedCalendarRow,
    /// The textbook approach: check-then-insert inside one SERIALIZABLE transaction, retried
    /// on serialization failures (PostgreSQL); one transaction per attempt (SQLite).
    PlainSerializable,
}

/// A request to book an instrument, as the user made it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BookingRequest {
    pub instrument: InstrumentId,
    pub user: UserId,
    pub range: TimeRange,
    pub purpose: String,
    /// The same key from the same user returns the booking made the first time, so a client
    /// can retry after a timeout without booking twice.
    pub idempotency_key: Option<String>,
    /// When the slot is taken, queue the request on the waitlist instead of only refusing.
    pub join_waitlist_if_taken: bool,
}

/// A booking with the names a list shows next to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BookingRecord {
    pub id: BookingId,
    pub instrument: InstrumentId,
    pub instrument_name_en: String,
    pub instrument_name_zh: String,
    pub institution: InstitutionId,
    pub time_zone: String,
    pub user: UserId,
    pub user_display_name: String,
    pub range: TimeRange,
    pub status: BookingStatus,
    pub user_class: UserClass,
    pub hourly_rate: Fen,
    pub price: Fen,
    pub purpose: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub decided_by: Option<UserId>,
    pub decision_note: Option<String>,
    pub usage_minutes: Option<i64>,
    pub charged: Option<Fen>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WaitlistEntry {
    pub id: WaitlistEntryId,
    pub instrument: InstrumentId,
    pub user: UserId,
    pub range: TimeRange,
    pub purpose: String,
    pub status: WaitlistStatus,
    pub created_at: Timestamp,
    pub promoted_booking: Option<BookingId>,
}

/// Why a user may not book an instrument at all, before any calendar rule is asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BookingDenial {
    /// A calendar rule refused the request.
    Rule(BookingRefusal),
    /// The instrument requires training and the user holds no qualification for it.
    NotQualified,
    /// The instrument's access policy does not admit the user's institution or province.
    NotAdmitted { policy: AccessPolicy },
}

impl BookingDenial {
    pub fn slug(&self) -> &'static str {
        match self {
            BookingDenial::Rule(refusal) => refusal.slug(),
            BookingDenial::NotQualified => "qualification-required",
            BookingDenial::NotAdmitted { .. } => "access-policy-refuses",
        }
    }

    pub fn message(&self) -> String {
        match self {
            BookingDenial::Rule(refusal) => refusal.to_string(),
            BookingDenial::NotQualified => {
                "this instrument requires training; ask its manager for a qualification".into()
            }
            BookingDenial::NotAdmitted { policy } => format!(
                "the instrument's access policy ({}) does not admit users of your institution",
                policy.as_code()
            ),
        }
    }
}

/// What became of a booking attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BookingAttempt {
    /// The booking exists: made now, or (`replayed`) by an earlier request with the same
    /// idempotency key.
    Booked {
        booking: BookingRecord,
        replayed: bool,
    },
    /// Another holding booking overlaps the range. When asked, the request now waits on the
    /// waitlist.
    SlotTaken {
        waitlisted: Option<WaitlistEntry>,
    },
    Denied(BookingDenial),
}

/// The price and the verdict of a request, without booking anything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BookingQuote {
    pub user_class: UserClass,
    pub hourly_rate: Fen,
    pub minutes: i64,
    pub price: Fen,
    pub slot_free: bool,
    pub denial: Option<BookingDenial>,
}

/// Who asks for a change to an existing booking: its own user, or a manager of the
/// instrument (who is not bound by the cancellation deadline).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BookingActor {
    Owner(UserId),
    Manager(UserId),
}

impl BookingActor {
    pub fn user(self) -> UserId {
        match self {
            BookingActor::Owner(user) | BookingActor::Manager(user) => user,
        }
    }
}

/// What became of a change to an existing booking.
// The `Done` variant carries the booking and its promotions; it is what nearly every call
// answers, so boxing it would add an allocation to the common case to shrink the rare ones.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BookingChange {
    /// The change was made. When it freed time, waitlisted requests that now fit became
    /// bookings (`promoted`).
    Done {
        booking: BookingRecord,
        promoted: Vec<BookingRecord>,
    },
    Denied(BookingDenial),
    /// The new range of a reschedule overlaps another holding booking.
    SlotTaken,
    /// The booking is not in a status that allows this (e.g. approving a cancelled one);
    /// `action` is the past participle ("approved").
    WrongStatus {
        status: BookingStatus,
        action: &'static str,
    },
    /// Usage recorded again raised the charge, and the voucher that pays for the booking no
    /// longer holds enough for its share of the difference; nothing was changed.
    VoucherCannotCover(String),
}

/// An instrument's calendar as the week view and the managers' console see it.
#[derive(Debug, Clone, PartialEq)]
pub struct CalendarView {
    pub instrument: InstrumentId,
    pub institution: InstitutionId,
    pub calendar: InstrumentCalendar,
    /// Holding bookings that overlap the window asked for.
    pub bookings: Vec<BookingRecord>,
}

/// One instrument's facts for the availability index: when it is closed and when it is
/// taken, within a horizon.
#[derive(Debug, Clone, PartialEq)]
pub struct AvailabilityFacts {
    pub instrument: InstrumentId,
    pub time_zone: String,
    pub opening_hours: WeeklyOpeningHours,
    pub closures: Vec<TimeRange>,
    pub busy: Vec<TimeRange>,
}

/// Where one booking holds (or held) time: what a follower of the change log reads for a
/// `booking` entry, instead of re-reading the booking's whole calendar.
#[derive(Debug, Clone, PartialEq)]
pub struct BookingSpan {
    pub booking: BookingId,
    pub instrument: InstrumentId,
    pub range: TimeRange,
    /// Whether the booking holds its time now (pending, confirmed or completed).
    pub holding: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Qualification {
    pub instrument: InstrumentId,
    pub user: UserId,
    pub user_display_name: String,
    pub granted_by: Option<UserId>,
    pub granted_at: Timestamp,
}

/// A booking of the demo region's history, imported in bulk without the checks a live
/// request goes through (the generator guarantees them, and a test re-checks overlaps).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoricalBooking {
    pub instrument: InstrumentId,
    pub user: UserId,
    pub range: TimeRange,
    pub status: BookingStatus,
    pub user_class: UserClass,
    pub hourly_rate: Fen,
    pub price: Fen,
    pub usage_minutes: Option<i64>,
    pub charged: Option<Fen>,
    pub created_at: Timestamp,
}

#[async_trait]
pub trait BookingStore: Send + Sync {
    /// Chooses how booking attempts are made safe; benchmarks only (`bench-baselines`).
    #[cfg(feature = "bench-baselines")]
    fn set_booking_strategy(&self, strategy: BookingStrategy);

    async fn calendar_rules(
        &self,
        instrument: InstrumentId,
    ) -> Result<Option<CalendarRules>, StoreError>;
    async fn update_calendar_rules(
        &self,
        instrument: InstrumentId,
        rules: &CalendarRules,
        context: &AuditContext,
    ) -> Result<(), StoreError>;
    /// The calendar with its closures and holding bookings overlapping `window`.
    async fn calendar_view(
        &self,
        instrument: InstrumentId,
        window: TimeRange,
    ) -> Result<Option<CalendarView>, StoreError>;
    async fn add_closure(
        &self,
        instrument: InstrumentId,
        kind: ClosureKind,
        range: TimeRange,
        reason: &str,
        context: &AuditContext,
    ) -> Result<Closure, StoreError>;
    async fn remove_closure(
        &self,
        instrument: InstrumentId,
        closure: ClosureId,
        context: &AuditContext,
    ) -> Result<(), StoreError>;

    async fn quote_booking(
        &self,
        request: &BookingRequest,
        now: Timestamp,
    ) -> Result<BookingQuote, StoreError>;
    async fn create_booking(
        &self,
        request: &BookingRequest,
        now: Timestamp,
        context: &AuditContext,
    ) -> Result<BookingAttempt, StoreError>;
    async fn booking(&self, id: BookingId) -> Result<Option<BookingRecord>, StoreError>;
    async fn bookings_of_user(
        &self,
        user: UserId,
        page: PageRequest,
    ) -> Result<Page<BookingRecord>, StoreError>;
    /// Pending bookings awaiting a decision at these institutions' instruments (all
    /// institutions when `None`), oldest first.
    async fn pending_bookings(
        &self,
        institutions: Option<&[InstitutionId]>,
        page: PageRequest,
    ) -> Result<Page<BookingRecord>, StoreError>;
    /// Confirmed bookings at these institutions' instruments (all institutions when `None`)
    /// whose slot ended by `ended_by` and whose usage nobody recorded yet, oldest first; with
    /// `voucher_held_only`, just those a voucher holds money for.
    async fn bookings_awaiting_usage(
        &self,
        institutions: Option<&[InstitutionId]>,
        ended_by: Timestamp,
        voucher_held_only: bool,
        page: PageRequest,
    ) -> Result<Page<BookingRecord>, StoreError>;
    async fn cancel_booking(
        &self,
        id: BookingId,
        actor: BookingActor,
        now: Timestamp,
        context: &AuditContext,
    ) -> Result<BookingChange, StoreError>;
    async fn reschedule_booking(
        &self,
        id: BookingId,
        range: TimeRange,
        actor: BookingActor,
        now: Timestamp,
        context: &AuditContext,
    ) -> Result<BookingChange, StoreError>;
    async fn decide_booking(
        &self,
        id: BookingId,
        approve: bool,
        note: Option<&str>,
        now: Timestamp,
        context: &AuditContext,
    ) -> Result<BookingChange, StoreError>;
    async fn record_usage(
        &self,
        id: BookingId,
        usage_minutes: i64,
        now: Timestamp,
        context: &AuditContext,
    ) -> Result<BookingChange, StoreError>;

    async fn waitlist_of_user(&self, user: UserId) -> Result<Vec<WaitlistEntry>, StoreError>;
    async fn withdraw_waitlist_entry(
        &self,
        id: WaitlistEntryId,
        user: UserId,
        context: &AuditContext,
    ) -> Result<(), StoreError>;

    async fn grant_qualification(
        &self,
        instrument: InstrumentId,
        user: UserId,
        context: &AuditContext,
    ) -> Result<(), StoreError>;
    async fn revoke_qualification(
        &self,
        instrument: InstrumentId,
        user: UserId,
        context: &AuditContext,
    ) -> Result<(), StoreError>;
    async fn qualifications(
        &self,
        instrument: InstrumentId,
    ) -> Result<Vec<Qualification>, StoreError>;

    /// The closures and holding bookings that overlap `horizon` of these instruments (`None`:
    /// of every instrument), in instrument order; an unknown instrument is left out.
    async fn availability_facts(
        &self,
        horizon: TimeRange,
        instruments: Option<&[InstrumentId]>,
    ) -> Result<Vec<AvailabilityFacts>, StoreError>;
    /// These bookings' instruments, ranges and whether they hold their time, in id order;
    /// unknown ids are left out. A follower of the change log reads this for its `booking`
    /// entries (a booking was written).
    async fn booking_spans(&self, bookings: &[BookingId]) -> Result<Vec<BookingSpan>, StoreError>;
    /// Queues, once per booking, the reminder mail of every confirmed booking that starts
    /// after `now` and within 24 hours (`REMINDER_LEAD`); answers how many it queued. Safe to
    /// run on several nodes at once and again after a restart: a booking never gets a second
    /// reminder.
    async fn queue_booking_reminders(&self, now: Timestamp) -> Result<u64, StoreError>;
    /// Pairs of holding bookings of one instrument that overlap, counted by a plain
    /// self-join that trusts nothing else: the benchmark's and the tests' independent check.
    async fn count_overlapping_bookings(&self) -> Result<u64, StoreError>;
    /// Imports the demo region's calendars and history: rules per instrument (replacing the
    /// standard ones), past and future bookings, and qualifications. One transaction.
    async fn import_booking_history(
        &self,
        rules: &[(InstrumentId, CalendarRules)],
        bookings: &[HistoricalBooking],
        qualifications: &[(InstrumentId, UserId)],
    ) -> Result<u64, StoreError>;
}
