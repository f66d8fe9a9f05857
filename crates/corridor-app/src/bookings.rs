//! Booking instruments: quotes, bookings and their changes, the waitlist, calendars,
//! closures, qualifications and the managers' queues.
//!
//! Who may do what is decided here, once, from the actor and the instrument's institution: a
//! booking is visible to its user and to the managers of the instrument's institution (to
//! anyone else it does not exist, so ids reveal nothing); its changes are made by its user
//! (within the cancellation deadline) or by those managers (always); approvals, usage,
//! closures, rules and qualifications are the managers' alone. An instrument's calendar shows
//! free/busy to everyone and who booked only to managers and to the booking's own user.
//!
//! Every change that can move time updates the node's availability index before it returns,
//! so the next search on this node already sees it.

use corridor_domain::voucher::{VoucherId, VoucherRefusal};
use corridor_domain::Closure;
use corridor_domain::{
    bounded_text, check_user_may_cancel, optional_bounded_text, BookingId, BookingRefusal,
    BookingStatus, CalendarRules, ClosureId, ClosureKind, InstitutionId, InstrumentId, PageLimit,
    TimeRange, User, UserId, WaitlistEntryId, LONGEST_BOOKING_MINUTES,
};
use corridor_store::{
    BookingActor, BookingAttempt, BookingChange, BookingQuote, BookingRecord, BookingRequest,
    BookingStore, CalendarView, CatalogueStore, IdentityStore, InstrumentWithPlace, Page,
    PageRequest, Qualification, Store, VoucherBookingAttempt, VoucherPayment, VoucherStore,
    WaitlistEntry,
};
use jiff::{SignedDuration, Timestamp};

use crate::actor::Actor;
use crate::error::{AppError, AppResult, Refusal};
use crate::indexes::availability::AvailabilityService;

/// The longest purpose a booking may state.
pub const LONGEST_PURPOSE_CHARS: usize = 1_000;
/// The longest note a manager may give with a decision.
pub const LONGEST_DECISION_NOTE_CHARS: usize = 1_000;
/// The longest reason a closure may give.
pub const LONGEST_CLOSURE_REASON_CHARS: usize = 500;
/// A closure lasts at most this many days.
pub const LONGEST_CLOSURE_DAYS: i64 = 366;
/// The longest window a calendar can be asked for at once.
pub const LONGEST_CALENDAR_WINDOW_DAYS: i64 = 62;
/// The longest idempotency key a booking request may carry.
pub const LONGEST_IDEMPOTENCY_KEY_CHARS: usize = 200;
/// How many of a user's bookings the personal calendar feed carries.
pub const BOOKINGS_IN_PERSONAL_FEED: u32 = 500;

/// A booking request as a front end read it: the rules check the rest.
#[derive(Debug, Clone)]
pub struct NewBooking {
    pub instrument: InstrumentId,
    pub range: TimeRange,
    /// Free text, at most [`LONGEST_PURPOSE_CHARS`].
    pub purpose: String,
    /// The same key from the same user books once; 1 to 200 visible ASCII characters.
    pub idempotency_key: Option<String>,
    /// Wait on the waitlist when the slot is taken (not with a voucher).
    pub join_waitlist: bool,
    /// Pay the co-funded share with this voucher.
    pub voucher: Option<VoucherId>,
}

/// What became of a booking request that was not refused.
// One value per request, moved once to the front end: not worth a box.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum BookingOutcome {
    /// The booking exists: made now, or (`replayed`) by an earlier request with the same key.
    Booked {
        booking: BookingRecord,
        voucher_payment: Option<VoucherPayment>,
        replayed: bool,
    },
    /// The slot is taken and the request waits on the waitlist.
    Waitlisted(WaitlistEntry),
}

/// A change that was made, with the waitlisted requests it promoted to bookings.
#[derive(Debug, Clone)]
pub struct BookingChanged {
    pub booking: BookingRecord,
    pub promoted: Vec<BookingRecord>,
}

/// One booking as its user or a manager sees it.
#[derive(Debug, Clone)]
pub struct BookingDetail {
    pub booking: BookingRecord,
    pub voucher_payment: Option<VoucherPayment>,
}

/// An instrument's calendar as one actor may see it: other people's bookings carry no name.
#[derive(Debug, Clone)]
pub struct ActorCalendar {
    pub view: CalendarView,
    pub viewer: Option<UserId>,
    pub viewer_manages_instrument: bool,
}

impl ActorCalendar {
    /// Whether the viewer may see who made this booking (and its id).
    pub fn shows_who_booked(&self, booking: &BookingRecord) -> bool {
        self.viewer_manages_instrument || Some(booking.user) == self.viewer
    }
}

/// What a manager's tools page of one instrument shows: the instrument, its calendar from a
/// day ago to [`TOOLS_CALENDAR_DAYS_AHEAD`] ahead (rules, closures, bookings with names) and
/// who is qualified to book it.
#[derive(Debug, Clone)]
pub struct InstrumentTools {
    pub instrument: InstrumentWithPlace,
    pub calendar: CalendarView,
    pub qualifications: Vec<Qualification>,
}

/// How far ahead a manager's tools page shows closures and the bookings inside them.
pub const TOOLS_CALENDAR_DAYS_AHEAD: i64 = 366;

/// One institution whose instruments a manager looks after, with the first of them.
#[derive(Debug, Clone)]
pub struct ManagedInstitution {
    pub id: InstitutionId,
    /// `None` when the institution is gone from the catalogue.
    pub institution: Option<corridor_store::InstitutionWithPlace>,
    pub total_instruments: u64,
    pub instruments: Vec<InstrumentWithPlace>,
}

/// Whether and until when the viewer may cancel a booking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CancelOption {
    /// The booking is not in a status that can be cancelled.
    NotCancellable,
    /// A manager of the instrument: until the booking ends.
    AsManagerUntil(Timestamp),
    /// Its user: until the instrument's cancellation deadline.
    AsUserUntil(Timestamp),
    /// Its user, past the deadline: only a manager can cancel it now.
    AskAManager,
}

impl CancelOption {
    pub fn may_cancel(self, now: Timestamp) -> bool {
        match self {
            CancelOption::AsManagerUntil(until) | CancelOption::AsUserUntil(until) => now < until,
            CancelOption::NotCancellable | CancelOption::AskAManager => false,
        }
    }
}

/// A booking's purpose as typed: at most [`LONGEST_PURPOSE_CHARS`], trimmed; none is empty.
pub fn purpose_of(text: Option<&str>) -> AppResult<String> {
    Ok(optional_bounded_text("purpose", text, LONGEST_PURPOSE_CHARS)?.unwrap_or_default())
}

/// Reads an idempotency key as sent: trimmed, 1 to 200 visible ASCII characters.
pub fn parse_idempotency_key(text: &str) -> AppResult<String> {
    let key = text.trim();
    if key.is_empty()
        || key.len() > LONGEST_IDEMPOTENCY_KEY_CHARS
        || !key
            .bytes()
            .all(|byte| byte.is_ascii_graphic() || byte == b' ')
    {
        return Err(AppError::invalid(
            "Idempotency-Key",
            "must be 1 to 200 visible ASCII characters",
        ));
    }
    Ok(key.to_owned())
}

/// The institutions whose queues a user sees (`None`: every one, for platform admins), or
/// `Forbidden` for a user who manages none.
pub fn managed_queue_scope(user: &User, queue: &str) -> AppResult<Option<Vec<InstitutionId>>> {
    let institutions = user.managed_institutions();
    if institutions.as_ref().is_some_and(Vec::is_empty) {
        return Err(AppError::Forbidden(format!(
            "only instrument managers have {queue}"
        )));
    }
    Ok(institutions)
}

/// Whether the user has a manager's console: they manage the instruments of at least one
/// institution (platform admins manage all of them).
pub fn has_console(user: &User) -> bool {
    user.managed_institutions()
        .is_none_or(|institutions| !institutions.is_empty())
}

/// `Forbidden` unless the user manages the instruments of `institution`.
pub fn require_manager_of(user: &User, institution: InstitutionId) -> AppResult<()> {
    if user.may_manage_instruments_of(institution) {
        Ok(())
    } else {
        Err(AppError::Forbidden(format!(
            "only the instrument managers of institution {} may do this",
            institution.0
        )))
    }
}

/// Whether and until when `user` may cancel `booking`, from its instrument's rules.
pub fn cancel_option(
    user: &User,
    booking: &BookingRecord,
    rules: &CalendarRules,
    now: Timestamp,
) -> CancelOption {
    if !matches!(
        booking.status,
        BookingStatus::Pending | BookingStatus::Confirmed
    ) {
        return CancelOption::NotCancellable;
    }
    if user.may_manage_instruments_of(booking.institution) {
        return CancelOption::AsManagerUntil(booking.range.end);
    }
    match check_user_may_cancel(rules, booking.range, now) {
        Ok(()) => CancelOption::AsUserUntil(
            booking.range.start
                - SignedDuration::from_mins(i64::from(rules.cancellation_deadline_minutes)),
        ),
        Err(BookingRefusal::CancellationDeadlinePassed { .. }) => CancelOption::AskAManager,
        Err(_) => CancelOption::NotCancellable,
    }
}

/// Whether a booking an idempotency key made answers this request: the same instrument, time
/// and purpose. (A booking moved since answers its original request no more: the key then
/// names something else than what is asked.)
fn replay_matches(booking: &BookingRecord, request: &BookingRequest) -> bool {
    booking.instrument == request.instrument
        && booking.range == request.range
        && booking.purpose.trim() == request.purpose.trim()
}

fn actor_for(user: &User, booking: &BookingRecord) -> BookingActor {
    if user.may_manage_instruments_of(booking.institution) {
        BookingActor::Manager(user.id)
    } else {
        BookingActor::Owner(user.id)
    }
}

fn changed(change: BookingChange) -> AppResult<BookingChanged> {
    match change {
        BookingChange::Done { booking, promoted } => Ok(BookingChanged { booking, promoted }),
        BookingChange::Denied(denial) => Err(Refusal::Booking(denial).into()),
        BookingChange::SlotTaken => Err(Refusal::SlotTaken.into()),
        BookingChange::WrongStatus { status, action } => {
            Err(Refusal::WrongBookingStatus { status, action }.into())
        }
        BookingChange::VoucherCannotCover(reason) => {
            Err(Refusal::VoucherInsufficient(reason).into())
        }
    }
}

fn instrument_not_found(id: InstrumentId) -> AppError {
    AppError::NotFound(format!("no instrument with id {}", id.0))
}

/// The booking service (see the module's documentation).
pub struct Bookings<'a> {
    pub(crate) bookings: &'a dyn BookingStore,
    pub(crate) catalogue: &'a dyn CatalogueStore,
    pub(crate) vouchers: &'a dyn VoucherStore,
    pub(crate) identity: &'a dyn IdentityStore,
    /// The availability index reads calendars through the whole store.
    pub(crate) store: &'a dyn Store,
    pub(crate) availability: &'a AvailabilityService,
}

impl Bookings<'_> {
    /// An instrument to book; `NotFound` for an unknown id.
    pub async fn instrument(&self, id: InstrumentId) -> AppResult<InstrumentWithPlace> {
        self.catalogue
            .instrument(id)
            .await?
            .ok_or_else(|| instrument_not_found(id))
    }

    /// The time zone an instrument's calendar is kept in (dates without a time are read in
    /// it); `NotFound` for an unknown instrument.
    pub async fn instrument_time_zone(&self, id: InstrumentId) -> AppResult<jiff::tz::TimeZone> {
        Ok(self.instrument(id).await?.instrument.time_zone.zone())
    }

    /// An instrument the actor manages: `NotFound` for an unknown id, `Forbidden` for an
    /// instrument of an institution they do not manage.
    pub async fn instrument_to_manage(
        &self,
        actor: &Actor,
        id: InstrumentId,
    ) -> AppResult<InstrumentWithPlace> {
        let user = actor.require_user()?;
        self.managed_instrument(user, id).await
    }

    /// Everything a manager's tools page of one instrument shows.
    pub async fn instrument_tools(
        &self,
        actor: &Actor,
        id: InstrumentId,
    ) -> AppResult<InstrumentTools> {
        let instrument = self.instrument_to_manage(actor, id).await?;
        let now = corridor_store::now();
        let window = TimeRange {
            start: now - SignedDuration::from_hours(24),
            end: now + SignedDuration::from_hours(24 * TOOLS_CALENDAR_DAYS_AHEAD),
        };
        let calendar = self.calendar_unbounded(actor, id, window).await?.view;
        let qualifications = self.bookings.qualifications(id).await?;
        Ok(InstrumentTools {
            instrument,
            calendar,
            qualifications,
        })
    }

    /// Grants the qualification to the user with this e-mail address; `Invalid` (field
    /// `user`) when no account has it.
    pub async fn grant_qualification_by_email(
        &self,
        actor: &Actor,
        instrument: InstrumentId,
        email: &str,
    ) -> AppResult<UserId> {
        let user = actor.require_user()?;
        self.managed_instrument(user, instrument).await?;
        let email = corridor_domain::EmailAddress::parse(email)?;
        let qualified = self
            .identity
            .sign_in_candidate(&email)
            .await?
            .ok_or_else(|| AppError::invalid("user", "no user has this e-mail address"))?
            .user
            .id;
        self.grant_qualification(actor, instrument, qualified)
            .await?;
        Ok(qualified)
    }

    /// The instrument, once the user is known to manage it.
    async fn managed_instrument(
        &self,
        user: &User,
        id: InstrumentId,
    ) -> AppResult<InstrumentWithPlace> {
        let instrument = self.instrument(id).await?;
        require_manager_of(user, instrument.instrument.institution)?;
        Ok(instrument)
    }

    /// A booking the user may see: their own, or one at an institution they manage. Others'
    /// bookings are answered as not found, so that ids reveal nothing.
    async fn visible_booking(&self, user: &User, id: BookingId) -> AppResult<BookingRecord> {
        match self.bookings.booking(id).await? {
            Some(booking)
                if booking.user == user.id
                    || user.may_manage_instruments_of(booking.institution) =>
            {
                Ok(booking)
            }
            _ => Err(AppError::NotFound(format!("no booking with id {}", id.0))),
        }
    }

    /// A booking at an institution the user manages (others' are not found).
    pub async fn managed_booking(&self, actor: &Actor, id: BookingId) -> AppResult<BookingRecord> {
        let user = actor.require_user()?;
        let booking = self.visible_booking(user, id).await?;
        require_manager_of(user, booking.institution)?;
        Ok(booking)
    }

    /// Brings the availability index up to date with an instrument's calendar after a
    /// change; a failure is only logged, because the index's refresher catches up on its own.
    async fn refresh_availability(&self, instrument: InstrumentId) {
        if let Err(error) = self.availability.apply(self.store, instrument).await {
            tracing::warn!(%error, instrument = instrument.0, "could not refresh availability; the refresher will");
        }
    }

    /// Marks a new booking's time busy at once (no store read; the refresher re-reads it).
    fn mark_busy(&self, booking: &BookingRecord) {
        self.availability.shared.update(|index| {
            index.mark_busy(booking.instrument, booking.range.start, booking.range.end)
        });
    }

    /// The price and verdict of a request for the signed-in user, without booking.
    #[tracing::instrument(skip_all, fields(instrument = instrument.0))]
    pub async fn quote(
        &self,
        actor: &Actor,
        instrument: InstrumentId,
        range: TimeRange,
    ) -> AppResult<BookingQuote> {
        let user = actor.require_user()?;
        let request = BookingRequest {
            instrument,
            user: user.id,
            range,
            purpose: String::new(),
            idempotency_key: None,
            join_waitlist_if_taken: false,
        };
        Ok(self
            .bookings
            .quote_booking(&request, corridor_store::now())
            .await?)
    }

    /// Books an instrument, or puts the request on the waitlist when asked and the slot is
    /// taken; with a voucher, its share is held in the same transaction.
    #[tracing::instrument(skip_all, fields(instrument = request.instrument.0))]
    pub async fn book(&self, actor: &Actor, request: NewBooking) -> AppResult<BookingOutcome> {
        let user = actor.require_user()?;
        let purpose = purpose_of(Some(&request.purpose))?;
        let idempotency_key = request
            .idempotency_key
            .as_deref()
            .map(parse_idempotency_key)
            .transpose()?;
        if request.voucher.is_some() && request.join_waitlist {
            return Err(AppError::invalid(
                "join_waitlist",
                "a booking paid with a voucher cannot wait on the waitlist",
            ));
        }
        let store_request = BookingRequest {
            instrument: request.instrument,
            user: user.id,
            range: request.range,
            purpose,
            idempotency_key,
            join_waitlist_if_taken: request.join_waitlist,
        };
        let now = corridor_store::now();
        let context = actor.audit_context();
        let (attempt, voucher_payment) = match request.voucher {
            None => (
                self.bookings
                    .create_booking(&store_request, now, &context)
                    .await?,
                None,
            ),
            Some(voucher) => match self
                .vouchers
                .create_booking_with_voucher(&store_request, voucher, now, &context)
                .await?
            {
                VoucherBookingAttempt::Booked {
                    booking,
                    payment,
                    replayed,
                } => (BookingAttempt::Booked { booking, replayed }, Some(payment)),
                // The key made a booking without this voucher before: another request.
                VoucherBookingAttempt::NotBooked(BookingAttempt::Booked { booking, .. }) => {
                    return Err(Refusal::IdempotencyKeyReused {
                        booking: booking.id.0,
                    }
                    .into())
                }
                VoucherBookingAttempt::NotBooked(attempt) => (attempt, None),
                // Another enterprise's voucher does not exist for this user: the same answer
                // as an unknown id, so that ids reveal nothing.
                VoucherBookingAttempt::Refused(VoucherRefusal::NotYourVoucher) => {
                    return Err(AppError::NotFound(format!(
                        "no voucher with id {}",
                        voucher.0
                    )))
                }
                VoucherBookingAttempt::Refused(refusal) => {
                    return Err(Refusal::Voucher(refusal).into())
                }
                VoucherBookingAttempt::HoldRefused(refusal) => {
                    tracing::warn!(%refusal, voucher = voucher.0, "the ledger refused a voucher hold");
                    return Err(Refusal::VoucherInsufficient(refusal.to_string()).into());
                }
            },
        };
        match attempt {
            BookingAttempt::Booked { booking, replayed } => {
                if replayed && !replay_matches(&booking, &store_request) {
                    return Err(Refusal::IdempotencyKeyReused {
                        booking: booking.id.0,
                    }
                    .into());
                }
                if !replayed {
                    self.mark_busy(&booking);
                }
                Ok(BookingOutcome::Booked {
                    booking,
                    voucher_payment,
                    replayed,
                })
            }
            BookingAttempt::SlotTaken {
                waitlisted: Some(entry),
            } => Ok(BookingOutcome::Waitlisted(entry)),
            BookingAttempt::SlotTaken { waitlisted: None } => Err(Refusal::SlotTaken.into()),
            BookingAttempt::Denied(denial) => Err(Refusal::Booking(denial).into()),
        }
    }

    /// One booking with its voucher payment, if the actor may see it.
    pub async fn booking(&self, actor: &Actor, id: BookingId) -> AppResult<BookingDetail> {
        let user = actor.require_user()?;
        let booking = self.visible_booking(user, id).await?;
        let voucher_payment = self.vouchers.voucher_payment_of_booking(booking.id).await?;
        Ok(BookingDetail {
            booking,
            voucher_payment,
        })
    }

    /// The voucher payment of a booking the actor may see.
    pub async fn voucher_payment(
        &self,
        actor: &Actor,
        booking: &BookingRecord,
    ) -> AppResult<Option<VoucherPayment>> {
        let user = actor.require_user()?;
        if booking.user != user.id && !user.may_manage_instruments_of(booking.institution) {
            return Err(AppError::NotFound(format!(
                "no booking with id {}",
                booking.id.0
            )));
        }
        Ok(self.vouchers.voucher_payment_of_booking(booking.id).await?)
    }

    /// The signed-in user's bookings, newest first.
    pub async fn my_bookings(
        &self,
        actor: &Actor,
        page: PageRequest,
    ) -> AppResult<Page<BookingRecord>> {
        let user = actor.require_user()?;
        Ok(self.bookings.bookings_of_user(user.id, page).await?)
    }

    /// The signed-in user's latest bookings for their calendar feed.
    pub async fn my_feed_bookings(&self, actor: &Actor) -> AppResult<Vec<BookingRecord>> {
        let page = PageRequest {
            limit: PageLimit::new(BOOKINGS_IN_PERSONAL_FEED)?,
            after: None,
        };
        Ok(self.my_bookings(actor, page).await?.items)
    }

    /// The instrument a waitlist entry (or any booking) names, for showing its name and zone;
    /// `None` once it was removed from the catalogue.
    pub async fn instrument_of_waitlist_entry(
        &self,
        instrument: InstrumentId,
    ) -> AppResult<Option<InstrumentWithPlace>> {
        Ok(self.catalogue.instrument(instrument).await?)
    }

    /// The signed-in user's waitlist entries, newest first.
    pub async fn my_waitlist(&self, actor: &Actor) -> AppResult<Vec<WaitlistEntry>> {
        let user = actor.require_user()?;
        Ok(self.bookings.waitlist_of_user(user.id).await?)
    }

    /// Leaves the waitlist (one's own entries only).
    pub async fn withdraw_waitlist_entry(
        &self,
        actor: &Actor,
        id: WaitlistEntryId,
    ) -> AppResult<()> {
        let user = actor.require_user()?;
        self.bookings
            .withdraw_waitlist_entry(id, user.id, &actor.audit_context())
            .await?;
        Ok(())
    }

    /// Whether and until when the actor may cancel `booking` (read from its instrument's
    /// rules); `rules` may be passed when the caller has them already.
    pub async fn cancel_option(
        &self,
        actor: &Actor,
        booking: &BookingRecord,
        rules: Option<&CalendarRules>,
    ) -> AppResult<CancelOption> {
        let user = actor.require_user()?;
        let rules = match rules {
            Some(rules) => *rules,
            None => self
                .bookings
                .calendar_rules(booking.instrument)
                .await?
                .unwrap_or_else(CalendarRules::standard),
        };
        Ok(cancel_option(user, booking, &rules, corridor_store::now()))
    }

    /// The booking rules of an instrument (the standard ones if it has none of its own).
    pub async fn rules(&self, instrument: InstrumentId) -> AppResult<CalendarRules> {
        Ok(self
            .bookings
            .calendar_rules(instrument)
            .await?
            .unwrap_or_else(CalendarRules::standard))
    }

    /// Cancels a booking: its user until the cancellation deadline, its instrument's managers
    /// at any time before it ends. Waitlisted requests that now fit are booked.
    #[tracing::instrument(skip_all, fields(booking = id.0))]
    pub async fn cancel(&self, actor: &Actor, id: BookingId) -> AppResult<BookingChanged> {
        let user = actor.require_user()?;
        let booking = self.visible_booking(user, id).await?;
        let change = self
            .bookings
            .cancel_booking(
                booking.id,
                actor_for(user, &booking),
                corridor_store::now(),
                &actor.audit_context(),
            )
            .await?;
        self.refresh_availability(booking.instrument).await;
        changed(change)
    }

    /// Moves a booking to another time, under the same rules as a new booking.
    #[tracing::instrument(skip_all, fields(booking = id.0))]
    pub async fn reschedule(
        &self,
        actor: &Actor,
        id: BookingId,
        range: TimeRange,
    ) -> AppResult<BookingChanged> {
        let user = actor.require_user()?;
        let booking = self.visible_booking(user, id).await?;
        let change = self
            .bookings
            .reschedule_booking(
                booking.id,
                range,
                actor_for(user, &booking),
                corridor_store::now(),
                &actor.audit_context(),
            )
            .await?;
        self.refresh_availability(booking.instrument).await;
        changed(change)
    }

    /// Approves or rejects a pending booking, with an optional note to its user. Managers of
    /// the instrument only; a rejection frees the time for the waitlist.
    #[tracing::instrument(skip_all, fields(booking = id.0, approve))]
    pub async fn decide(
        &self,
        actor: &Actor,
        id: BookingId,
        approve: bool,
        note: Option<&str>,
    ) -> AppResult<BookingChanged> {
        let booking = self.managed_booking(actor, id).await?;
        let note = optional_bounded_text("note", note, LONGEST_DECISION_NOTE_CHARS)?;
        let change = self
            .bookings
            .decide_booking(
                booking.id,
                approve,
                note.as_deref(),
                corridor_store::now(),
                &actor.audit_context(),
            )
            .await?;
        self.refresh_availability(booking.instrument).await;
        changed(change)
    }

    /// Records the minutes actually used after the slot (0 to two weeks); the charge follows
    /// at the booked rate, and a voucher's hold is settled on it. Managers only.
    #[tracing::instrument(skip_all, fields(booking = id.0, usage_minutes))]
    pub async fn record_usage(
        &self,
        actor: &Actor,
        id: BookingId,
        usage_minutes: i64,
    ) -> AppResult<BookingChanged> {
        actor.require_user()?;
        if !(0..=i64::from(LONGEST_BOOKING_MINUTES)).contains(&usage_minutes) {
            return Err(AppError::invalid(
                "usage_minutes",
                format!("must be between 0 and {LONGEST_BOOKING_MINUTES} (two weeks)"),
            ));
        }
        let booking = self.managed_booking(actor, id).await?;
        let change = self
            .bookings
            .record_usage(
                booking.id,
                usage_minutes,
                corridor_store::now(),
                &actor.audit_context(),
            )
            .await?;
        changed(change)
    }

    /// An instrument's calendar for a window of at most [`LONGEST_CALENDAR_WINDOW_DAYS`]:
    /// hours, rules, closures and busy times, with names only where the actor may see them.
    pub async fn calendar(
        &self,
        actor: &Actor,
        instrument: InstrumentId,
        window: TimeRange,
    ) -> AppResult<ActorCalendar> {
        if window.end <= window.start {
            return Err(AppError::invalid("to", "must be after from"));
        }
        if window.end.duration_since(window.start)
            > SignedDuration::from_hours(24 * LONGEST_CALENDAR_WINDOW_DAYS)
        {
            return Err(AppError::invalid(
                "to",
                format!("at most {LONGEST_CALENDAR_WINDOW_DAYS} days after from"),
            ));
        }
        self.calendar_unbounded(actor, instrument, window).await
    }

    async fn calendar_unbounded(
        &self,
        actor: &Actor,
        instrument: InstrumentId,
        window: TimeRange,
    ) -> AppResult<ActorCalendar> {
        let mut view = self
            .bookings
            .calendar_view(instrument, window)
            .await?
            .ok_or_else(|| instrument_not_found(instrument))?;
        let viewer = actor.user.as_ref().map(|user| user.id);
        let viewer_manages_instrument = actor
            .user
            .as_ref()
            .is_some_and(|user| user.may_manage_instruments_of(view.institution));
        let calendar = ActorCalendar {
            view: CalendarView {
                bookings: Vec::new(),
                ..view.clone()
            },
            viewer,
            viewer_manages_instrument,
        };
        // Others' bookings leave without who made them or why.
        for booking in &mut view.bookings {
            if !calendar.shows_who_booked(booking) {
                booking.user_display_name = String::new();
                booking.purpose = String::new();
                booking.decision_note = None;
            }
        }
        Ok(ActorCalendar { view, ..calendar })
    }

    /// An instrument and its busy times and closures from a month ago to a year ahead, for
    /// its public calendar feed (who booked is never shown there).
    pub async fn public_feed(
        &self,
        instrument: InstrumentId,
    ) -> AppResult<(InstrumentWithPlace, CalendarView)> {
        let item = self.instrument(instrument).await?;
        let now = corridor_store::now();
        let window = TimeRange {
            start: now - SignedDuration::from_hours(24 * 30),
            end: now + SignedDuration::from_hours(24 * 366),
        };
        let calendar = self
            .calendar_unbounded(&Actor::default(), instrument, window)
            .await?;
        Ok((item, calendar.view))
    }

    /// Replaces an instrument's booking rules. Managers of the instrument only.
    pub async fn update_rules(
        &self,
        actor: &Actor,
        instrument: InstrumentId,
        rules: CalendarRules,
    ) -> AppResult<CalendarRules> {
        let user = actor.require_user()?;
        self.managed_instrument(user, instrument).await?;
        self.bookings
            .update_calendar_rules(instrument, &rules, &actor.audit_context())
            .await?;
        Ok(rules)
    }

    /// Closes an instrument for a holiday or maintenance (at most a year). Bookings already
    /// in the closure are kept, for the manager to settle with their users.
    pub async fn add_closure(
        &self,
        actor: &Actor,
        instrument: InstrumentId,
        kind: ClosureKind,
        range: TimeRange,
        reason: &str,
    ) -> AppResult<Closure> {
        let user = actor.require_user()?;
        self.managed_instrument(user, instrument).await?;
        if range.minutes() > LONGEST_CLOSURE_DAYS * 24 * 60 {
            return Err(AppError::invalid(
                "ends_at",
                "a closure lasts at most a year",
            ));
        }
        let reason = bounded_text("reason", reason, LONGEST_CLOSURE_REASON_CHARS)?;
        let closure = self
            .bookings
            .add_closure(instrument, kind, range, &reason, &actor.audit_context())
            .await?;
        self.refresh_availability(instrument).await;
        Ok(closure)
    }

    /// Removes a closure. Managers of the instrument only.
    pub async fn remove_closure(
        &self,
        actor: &Actor,
        instrument: InstrumentId,
        closure: ClosureId,
    ) -> AppResult<()> {
        let user = actor.require_user()?;
        self.managed_instrument(user, instrument).await?;
        self.bookings
            .remove_closure(instrument, closure, &actor.audit_context())
            .await?;
        self.refresh_availability(instrument).await;
        Ok(())
    }

    /// Who may book an instrument that requires training. Managers of the instrument only.
    pub async fn qualifications(
        &self,
        actor: &Actor,
        instrument: InstrumentId,
    ) -> AppResult<Vec<Qualification>> {
        let user = actor.require_user()?;
        self.managed_instrument(user, instrument).await?;
        Ok(self.bookings.qualifications(instrument).await?)
    }

    /// Grants a user the qualification to book an instrument that requires training.
    pub async fn grant_qualification(
        &self,
        actor: &Actor,
        instrument: InstrumentId,
        qualified: UserId,
    ) -> AppResult<()> {
        let user = actor.require_user()?;
        self.managed_instrument(user, instrument).await?;
        self.bookings
            .grant_qualification(instrument, qualified, &actor.audit_context())
            .await?;
        Ok(())
    }

    /// Revokes a qualification; bookings already made stay.
    pub async fn revoke_qualification(
        &self,
        actor: &Actor,
        instrument: InstrumentId,
        qualified: UserId,
    ) -> AppResult<()> {
        let user = actor.require_user()?;
        self.managed_instrument(user, instrument).await?;
        self.bookings
            .revoke_qualification(instrument, qualified, &actor.audit_context())
            .await?;
        Ok(())
    }

    /// Whether the actor has a manager's console: `Forbidden` unless they manage the
    /// instruments of some institution (platform admins manage every one).
    pub fn require_console(&self, actor: &Actor) -> AppResult<()> {
        let user = actor.require_user()?;
        managed_queue_scope(user, "a manager's console").map(drop)
    }

    /// The institutions the actor manages by name (none listed for platform admins, who
    /// manage every one and open instruments by id), each with its first `per_institution`
    /// instruments and how many it has.
    pub async fn managed_institutions(
        &self,
        actor: &Actor,
        per_institution: u32,
    ) -> AppResult<Vec<ManagedInstitution>> {
        let user = actor.require_user()?;
        let scope = managed_queue_scope(user, "a manager's console")?;
        let mut managed = Vec::new();
        for id in scope.unwrap_or_default() {
            let institution = self.catalogue.institution(id).await?;
            let page = self
                .catalogue
                .instruments(
                    &corridor_store::InstrumentFilter {
                        institution: Some(id),
                        ..corridor_store::InstrumentFilter::default()
                    },
                    PageRequest {
                        limit: PageLimit::new(per_institution)?,
                        after: None,
                    },
                )
                .await?;
            managed.push(ManagedInstitution {
                id,
                institution,
                total_instruments: page.total,
                instruments: page.items,
            });
        }
        Ok(managed)
    }

    /// Pending bookings at the instruments the actor manages (every institution for platform
    /// admins), oldest first: the approvals queue.
    pub async fn pending_approvals(
        &self,
        actor: &Actor,
        page: PageRequest,
    ) -> AppResult<Page<BookingRecord>> {
        let user = actor.require_user()?;
        let institutions = managed_queue_scope(user, "an approvals queue")?;
        Ok(self
            .bookings
            .pending_bookings(institutions.as_deref(), page)
            .await?)
    }

    /// Confirmed bookings at the instruments the actor manages whose slot is over and whose
    /// usage nobody recorded yet, oldest first; with `voucher_held_only`, just those a
    /// voucher holds money for.
    pub async fn usage_due(
        &self,
        actor: &Actor,
        voucher_held_only: bool,
        page: PageRequest,
    ) -> AppResult<Page<BookingRecord>> {
        let user = actor.require_user()?;
        let institutions = managed_queue_scope(user, "a usage queue")?;
        Ok(self
            .bookings
            .bookings_awaiting_usage(
                institutions.as_deref(),
                corridor_store::now(),
                voucher_held_only,
                page,
            )
            .await?)
    }
}
