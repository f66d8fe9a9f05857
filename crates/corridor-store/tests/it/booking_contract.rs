//! The booking contract: calendars, bookings, waitlist and qualifications behave the same on
//! every engine, and no sequence of requests, however concurrent, double-books.

use corridor_domain::{
    AccessPolicy, BookingMode, BookingStatus, CalendarRules, ClosureKind, Fen, HourlyRates,
    InstitutionId, InstitutionKind, InstrumentId, PageLimit, TimeRange, UserClass, UserId,
    WeeklyOpeningHours,
};
use corridor_store::{
    AuditContext, BookingActor, BookingAttempt, BookingChange, BookingDenial, BookingRequest,
    HistoricalBooking, PageRequest, RegionData, Store,
};
use jiff::{SignedDuration, Timestamp};

use crate::support::tiny_region;

/// A Monday; every test books in the weeks after it.
const NOW: &str = "2030-01-07T00:00:00Z";

pub(crate) fn now() -> Timestamp {
    NOW.parse().unwrap()
}

/// `day` days after NOW at `hour`:`minute` Shanghai time.
pub(crate) fn at(day: i64, hour: i64, minute: i64) -> Timestamp {
    now() + SignedDuration::from_hours(24 * day + hour - 8) + SignedDuration::from_mins(minute)
}

pub(crate) fn range(start: Timestamp, end: Timestamp) -> TimeRange {
    TimeRange::new(start, end).unwrap()
}

pub(crate) fn actor(user: UserId) -> AuditContext {
    AuditContext {
        actor: Some(user),
        client_address: Some("192.0.2.1".into()),
    }
}

pub(crate) struct Fixture {
    pub instrument: InstrumentId,
    /// An academic user from another institution than the instrument's.
    pub academic: UserId,
    pub second_academic: UserId,
    /// A user of a corporation.
    pub industry: UserId,
}

/// Imports a tiny region and turns its first instrument into a predictable one: open every
/// day 08:00-20:00 Shanghai time, instant booking, no training, open to all, known rates.
pub(crate) async fn fixture(store: &dyn Store, mode: BookingMode, training: bool) -> Fixture {
    let region: RegionData = tiny_region(21);
    store.import_region(&region).await.unwrap();
    let mut instrument = region.instruments[0].clone();
    instrument.opening_hours = WeeklyOpeningHours::parse("Mon-Sun 08:00-20:00").unwrap();
    instrument.booking_mode = mode;
    instrument.training_required = training;
    instrument.access_policy = AccessPolicy::Open;
    instrument.rates = HourlyRates::new(Fen(1_000), Fen(20_000), Fen(50_000)).unwrap();
    store
        .update_instrument(&instrument, &AuditContext::default())
        .await
        .unwrap();
    let kind_of = |institution| {
        region
            .institutions
            .iter()
            .find(|candidate| candidate.id == institution)
            .unwrap()
            .kind
    };
    let mut academics = region.users.iter().filter(|user| {
        user.user.home_institution != instrument.institution
            && kind_of(user.user.home_institution).is_academic()
    });
    let academic = academics.next().unwrap().user.id;
    let second_academic = academics.next().unwrap().user.id;
    let industry = region
        .users
        .iter()
        .find(|user| kind_of(user.user.home_institution) == InstitutionKind::Corporation)
        .unwrap()
        .user
        .id;
    Fixture {
        instrument: instrument.id,
        academic,
        second_academic,
        industry,
    }
}

pub(crate) fn request(fixture: &Fixture, user: UserId, range: TimeRange) -> BookingRequest {
    BookingRequest {
        instrument: fixture.instrument,
        user,
        range,
        purpose: "XRD of thin films".into(),
        idempotency_key: None,
        join_waitlist_if_taken: false,
    }
}

pub(crate) async fn book(store: &dyn Store, request: &BookingRequest) -> BookingAttempt {
    store
        .create_booking(request, now(), &actor(request.user))
        .await
        .unwrap()
}

pub(crate) fn booked(attempt: BookingAttempt) -> corridor_store::BookingRecord {
    match attempt {
        BookingAttempt::Booked { booking, .. } => booking,
        other => panic!("expected a booking, got {other:?}"),
    }
}

/// How many bookings `user` has, in any status.
pub(crate) async fn booking_count_of(store: &dyn Store, user: corridor_domain::UserId) -> u64 {
    store
        .bookings_of_user(user, PageRequest::default())
        .await
        .unwrap()
        .total
}

pub async fn bookings_follow_the_rules_and_never_overlap(store: &dyn Store) {
    let fixture = fixture(store, BookingMode::Instant, false).await;
    let first = booked(
        book(
            store,
            &request(
                &fixture,
                fixture.academic,
                range(at(7, 10, 0), at(7, 12, 0)),
            ),
        )
        .await,
    );
    assert_eq!(first.status, BookingStatus::Confirmed);
    assert_eq!(first.user_class, UserClass::OtherAcademic);
    assert_eq!(first.price, Fen(40_000), "two hours at 200 yuan");
    for (start, end) in [
        (at(7, 10, 0), at(7, 12, 0)),
        (at(7, 11, 30), at(7, 13, 0)),
        (at(7, 9, 0), at(7, 10, 30)),
    ] {
        let attempt = book(
            store,
            &request(&fixture, fixture.industry, range(start, end)),
        )
        .await;
        assert_eq!(
            attempt,
            BookingAttempt::SlotTaken { waitlisted: None },
            "{start}..{end}"
        );
    }
    // Touching is not overlapping; the industry rate applies to a company's user.
    let adjacent = booked(
        book(
            store,
            &request(
                &fixture,
                fixture.industry,
                range(at(7, 12, 0), at(7, 13, 0)),
            ),
        )
        .await,
    );
    assert_eq!(
        (adjacent.user_class, adjacent.price),
        (UserClass::Industry, Fen(50_000))
    );
    // Rules refuse before any overlap is looked at.
    let off_grid = book(
        store,
        &request(
            &fixture,
            fixture.industry,
            range(at(7, 14, 10), at(7, 15, 10)),
        ),
    )
    .await;
    assert!(
        matches!(off_grid, BookingAttempt::Denied(BookingDenial::Rule(ref refusal)) if refusal.slug() == "booking-off-slot-grid"),
        "{off_grid:?}"
    );
    let at_night = book(
        store,
        &request(
            &fixture,
            fixture.industry,
            range(at(7, 19, 0), at(7, 21, 0)),
        ),
    )
    .await;
    assert!(
        matches!(at_night, BookingAttempt::Denied(BookingDenial::Rule(ref refusal)) if refusal.slug() == "booking-outside-opening-hours"),
        "{at_night:?}"
    );
    assert_eq!(store.count_overlapping_bookings().await.unwrap(), 0);
    // Every booking left an audit event naming it.
    let audit = store.audit_events(PageRequest::default()).await.unwrap();
    for id in [first.id, adjacent.id] {
        assert!(audit
            .items
            .iter()
            .any(|event| event.action == "booking.created"
                && event.subject == format!("booking:{}", id.0)));
    }
}

pub async fn the_same_idempotency_key_books_once(store: &dyn Store) {
    let fixture = fixture(store, BookingMode::Instant, false).await;
    let mut first_request = request(&fixture, fixture.academic, range(at(8, 9, 0), at(8, 10, 0)));
    first_request.idempotency_key = Some("retry-after-timeout-1".into());
    let first = booked(book(store, &first_request).await);
    let again = book(store, &first_request).await;
    assert_eq!(
        again,
        BookingAttempt::Booked {
            booking: first.clone(),
            replayed: true
        }
    );
    // The key belongs to the user: another user with the same key books on their own.
    let mut other = request(
        &fixture,
        fixture.second_academic,
        range(at(8, 10, 0), at(8, 11, 0)),
    );
    other.idempotency_key = first_request.idempotency_key.clone();
    assert_ne!(booked(book(store, &other).await).id, first.id);
    assert_eq!(booking_count_of(store, fixture.academic).await, 1);
}

pub async fn concurrent_attempts_never_double_book(store: &dyn Store) {
    let fixture = fixture(store, BookingMode::Instant, false).await;
    let users = [fixture.academic, fixture.second_academic, fixture.industry];
    // 60 attempts at once, all inside one afternoon, most of them overlapping others.
    let attempts: Vec<BookingRequest> = (0..60i64)
        .map(|index| {
            let start = at(9, 13, 0) + SignedDuration::from_mins(30 * (index % 9));
            let length = SignedDuration::from_mins(30 * (1 + index % 4));
            request(
                &fixture,
                users[(index % 3) as usize],
                range(start, start + length),
            )
        })
        .collect();
    let context = AuditContext::default();
    let results = futures_util::future::join_all(
        attempts
            .iter()
            .map(|attempt| store.create_booking(attempt, now(), &context)),
    )
    .await;
    let mut booked_ranges = Vec::new();
    for result in results {
        match result.unwrap() {
            BookingAttempt::Booked { booking, .. } => booked_ranges.push(booking.range),
            BookingAttempt::SlotTaken { .. } => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    assert!(!booked_ranges.is_empty());
    for (index, first) in booked_ranges.iter().enumerate() {
        for second in &booked_ranges[index + 1..] {
            assert!(
                !first.overlaps(second),
                "{first:?} and {second:?} were both acknowledged"
            );
        }
    }
    assert_eq!(store.count_overlapping_bookings().await.unwrap(), 0);
}

pub async fn cancelling_frees_the_slot_for_the_waitlist(store: &dyn Store) {
    let fixture = fixture(store, BookingMode::Instant, false).await;
    let slot = range(at(10, 14, 0), at(10, 16, 0));
    let first = booked(book(store, &request(&fixture, fixture.academic, slot)).await);
    let mut queued = request(
        &fixture,
        fixture.industry,
        range(at(10, 15, 0), at(10, 16, 0)),
    );
    queued.join_waitlist_if_taken = true;
    let BookingAttempt::SlotTaken {
        waitlisted: Some(entry),
    } = book(store, &queued).await
    else {
        panic!("expected a waitlist entry")
    };
    assert_eq!(
        store.waitlist_of_user(fixture.industry).await.unwrap(),
        vec![entry.clone()]
    );
    // Someone else cannot cancel it as its owner.
    assert!(store
        .cancel_booking(
            first.id,
            BookingActor::Owner(fixture.industry),
            now(),
            &actor(fixture.industry)
        )
        .await
        .is_err());
    let change = store
        .cancel_booking(
            first.id,
            BookingActor::Owner(fixture.academic),
            now(),
            &actor(fixture.academic),
        )
        .await
        .unwrap();
    let BookingChange::Done { booking, promoted } = change else {
        panic!("expected the cancellation to be done")
    };
    assert_eq!(booking.status, BookingStatus::Cancelled);
    assert_eq!(promoted.len(), 1);
    assert_eq!(
        (promoted[0].user, promoted[0].range),
        (fixture.industry, queued.range)
    );
    let entries = store.waitlist_of_user(fixture.industry).await.unwrap();
    assert_eq!(entries[0].promoted_booking, Some(promoted[0].id));
    // Cancelling twice is refused with the status it is in.
    let again = store
        .cancel_booking(
            first.id,
            BookingActor::Manager(fixture.second_academic),
            now(),
            &AuditContext::default(),
        )
        .await
        .unwrap();
    assert!(matches!(
        again,
        BookingChange::WrongStatus {
            status: BookingStatus::Cancelled,
            ..
        }
    ));
    // After the deadline the owner cannot cancel; a manager can.
    let late = at(10, 15, 0) - SignedDuration::from_hours(2);
    let owner_late = store
        .cancel_booking(
            promoted[0].id,
            BookingActor::Owner(fixture.industry),
            late,
            &AuditContext::default(),
        )
        .await
        .unwrap();
    assert!(
        matches!(owner_late, BookingChange::Denied(ref denial) if denial.slug() == "cancellation-deadline-passed"),
        "{owner_late:?}"
    );
    let manager_late = store
        .cancel_booking(
            promoted[0].id,
            BookingActor::Manager(fixture.second_academic),
            late,
            &AuditContext::default(),
        )
        .await
        .unwrap();
    assert!(matches!(manager_late, BookingChange::Done { .. }));
    assert_eq!(store.count_overlapping_bookings().await.unwrap(), 0);
}

pub async fn approvals_usage_and_reschedules(store: &dyn Store) {
    let fixture = fixture(store, BookingMode::NeedsApproval, false).await;
    let pending = booked(
        book(
            store,
            &request(
                &fixture,
                fixture.academic,
                range(at(11, 9, 0), at(11, 11, 0)),
            ),
        )
        .await,
    );
    assert_eq!(pending.status, BookingStatus::Pending);
    // A pending booking holds its slot.
    assert_eq!(
        book(
            store,
            &request(
                &fixture,
                fixture.industry,
                range(at(11, 10, 0), at(11, 11, 0))
            )
        )
        .await,
        BookingAttempt::SlotTaken { waitlisted: None }
    );
    let queue = store
        .pending_bookings(Some(&[pending.institution]), PageRequest::default())
        .await
        .unwrap();
    assert_eq!(
        queue
            .items
            .iter()
            .map(|booking| booking.id)
            .collect::<Vec<_>>(),
        vec![pending.id]
    );
    let elsewhere = store
        .pending_bookings(
            Some(&[corridor_domain::InstitutionId(-1)]),
            PageRequest::default(),
        )
        .await
        .unwrap();
    assert_eq!(elsewhere.total, 0);
    let BookingChange::Done {
        booking: approved, ..
    } = store
        .decide_booking(
            pending.id,
            true,
            Some("welcome"),
            now(),
            &actor(fixture.second_academic),
        )
        .await
        .unwrap()
    else {
        panic!()
    };
    assert_eq!(
        (approved.status, approved.decided_by),
        (BookingStatus::Confirmed, Some(fixture.second_academic))
    );
    assert!(matches!(
        store
            .decide_booking(pending.id, false, None, now(), &AuditContext::default())
            .await
            .unwrap(),
        BookingChange::WrongStatus { .. }
    ));
    // Rescheduling an approved booking of a needs-approval instrument asks again.
    let BookingChange::Done { booking: moved, .. } = store
        .reschedule_booking(
            pending.id,
            range(at(11, 14, 0), at(11, 17, 0)),
            BookingActor::Owner(fixture.academic),
            now(),
            &AuditContext::default(),
        )
        .await
        .unwrap()
    else {
        panic!()
    };
    assert_eq!(
        (moved.status, moved.range, moved.price),
        (
            BookingStatus::Pending,
            range(at(11, 14, 0), at(11, 17, 0)),
            Fen(60_000)
        )
    );
    // The old slot is free again.
    let other = booked(
        book(
            store,
            &request(
                &fixture,
                fixture.industry,
                range(at(11, 9, 0), at(11, 11, 0)),
            ),
        )
        .await,
    );
    // Moving onto another booking is refused.
    assert_eq!(
        store
            .reschedule_booking(
                pending.id,
                range(at(11, 10, 0), at(11, 12, 0)),
                BookingActor::Owner(fixture.academic),
                now(),
                &AuditContext::default()
            )
            .await
            .unwrap(),
        BookingChange::SlotTaken
    );
    let BookingChange::Done {
        booking: rejected, ..
    } = store
        .decide_booking(
            other.id,
            false,
            Some("not this week"),
            now(),
            &AuditContext::default(),
        )
        .await
        .unwrap()
    else {
        panic!()
    };
    assert_eq!(rejected.status, BookingStatus::Rejected);
    store
        .decide_booking(pending.id, true, None, now(), &AuditContext::default())
        .await
        .unwrap();
    // The slot ends at 17:00: only then does it wait for usage, and only at its institution.
    let provider = store
        .instrument(fixture.instrument)
        .await
        .unwrap()
        .unwrap()
        .instrument
        .institution;
    let awaiting = |ended_by, institutions: Option<Vec<InstitutionId>>| async move {
        store
            .bookings_awaiting_usage(
                institutions.as_deref(),
                ended_by,
                false,
                PageRequest {
                    limit: PageLimit::new(50).unwrap(),
                    after: None,
                },
            )
            .await
            .unwrap()
            .items
            .iter()
            .map(|booking| booking.id)
            .collect::<Vec<_>>()
    };
    assert_eq!(awaiting(at(11, 16, 59), None).await, vec![]);
    assert_eq!(awaiting(at(11, 17, 0), None).await, vec![pending.id]);
    assert_eq!(
        awaiting(at(11, 18, 0), Some(vec![provider])).await,
        vec![pending.id]
    );
    assert_eq!(
        awaiting(at(11, 18, 0), Some(vec![InstitutionId(provider.0 + 1)])).await,
        vec![]
    );
    // Usage: not before the start; after it, charged for the minutes used at the booked rate.
    let before = store
        .record_usage(pending.id, 120, now(), &AuditContext::default())
        .await
        .unwrap();
    assert!(
        matches!(before, BookingChange::Denied(ref denial) if denial.slug() == "usage-before-start")
    );
    let BookingChange::Done { booking: used, .. } = store
        .record_usage(pending.id, 150, at(11, 18, 0), &AuditContext::default())
        .await
        .unwrap()
    else {
        panic!()
    };
    assert_eq!(
        (used.status, used.usage_minutes, used.charged),
        (BookingStatus::Completed, Some(150), Some(Fen(50_000)))
    );
    assert_eq!(awaiting(at(11, 18, 0), None).await, vec![]);
}

pub async fn training_quota_and_closures_gate_bookings(store: &dyn Store) {
    let fixture = fixture(store, BookingMode::Instant, true).await;
    let slot = range(at(12, 9, 0), at(12, 10, 0));
    assert_eq!(
        book(store, &request(&fixture, fixture.academic, slot)).await,
        BookingAttempt::Denied(BookingDenial::NotQualified)
    );
    store
        .grant_qualification(
            fixture.instrument,
            fixture.academic,
            &AuditContext::default(),
        )
        .await
        .unwrap();
    assert!(
        store
            .grant_qualification(
                fixture.instrument,
                fixture.academic,
                &AuditContext::default()
            )
            .await
            .is_err(),
        "one active qualification per user"
    );
    assert_eq!(
        store
            .qualifications(fixture.instrument)
            .await
            .unwrap()
            .len(),
        1
    );
    booked(book(store, &request(&fixture, fixture.academic, slot)).await);
    store
        .revoke_qualification(
            fixture.instrument,
            fixture.academic,
            &AuditContext::default(),
        )
        .await
        .unwrap();
    assert_eq!(
        book(
            store,
            &request(
                &fixture,
                fixture.academic,
                range(at(12, 10, 0), at(12, 11, 0))
            )
        )
        .await,
        BookingAttempt::Denied(BookingDenial::NotQualified)
    );
    store
        .grant_qualification(
            fixture.instrument,
            fixture.academic,
            &AuditContext::default(),
        )
        .await
        .unwrap();

    // A quota of three hours a week: one hour is used, two more fit, a third does not.
    let rules = CalendarRules::new(30, 30, 240, 60, 1440, Some(180)).unwrap();
    store
        .update_calendar_rules(fixture.instrument, &rules, &AuditContext::default())
        .await
        .unwrap();
    assert_eq!(
        store.calendar_rules(fixture.instrument).await.unwrap(),
        Some(rules)
    );
    booked(
        book(
            store,
            &request(
                &fixture,
                fixture.academic,
                range(at(12, 13, 0), at(12, 15, 0)),
            ),
        )
        .await,
    );
    let over = book(
        store,
        &request(
            &fixture,
            fixture.academic,
            range(at(12, 16, 0), at(12, 16, 30)),
        ),
    )
    .await;
    assert!(
        matches!(over, BookingAttempt::Denied(BookingDenial::Rule(ref refusal)) if refusal.slug() == "booking-quota-exceeded"),
        "{over:?}"
    );
    // The next local week has its own quota.
    booked(
        book(
            store,
            &request(
                &fixture,
                fixture.academic,
                range(at(14, 9, 0), at(14, 11, 0)),
            ),
        )
        .await,
    );

    // A maintenance block closes the instrument; removing it reopens it.
    let closure = store
        .add_closure(
            fixture.instrument,
            ClosureKind::Maintenance,
            range(at(15, 8, 0), at(15, 20, 0)),
            "detector service",
            &AuditContext::default(),
        )
        .await
        .unwrap();
    let closed = book(
        store,
        &request(
            &fixture,
            fixture.academic,
            range(at(15, 9, 0), at(15, 10, 0)),
        ),
    )
    .await;
    assert!(
        matches!(closed, BookingAttempt::Denied(BookingDenial::Rule(ref refusal)) if refusal.slug() == "instrument-closed"),
        "{closed:?}"
    );
    let horizon = range(now(), now() + SignedDuration::from_hours(24 * 30));
    let facts = store
        .availability_facts(horizon, Some(&[fixture.instrument]))
        .await
        .unwrap();
    assert_eq!(facts.len(), 1);
    assert_eq!(facts[0].closures, vec![closure.range]);
    assert_eq!(facts[0].busy.len(), 3);
    let view = store
        .calendar_view(fixture.instrument, horizon)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((view.bookings.len(), view.calendar.closures.len()), (3, 1));
    store
        .remove_closure(fixture.instrument, closure.id, &AuditContext::default())
        .await
        .unwrap();
    booked(
        book(
            store,
            &request(
                &fixture,
                fixture.academic,
                range(at(15, 9, 0), at(15, 10, 0)),
            ),
        )
        .await,
    );
    // All facts, for every instrument of the region, in one call.
    let everything = store.availability_facts(horizon, None).await.unwrap();
    assert_eq!(everything.len(), 600);
    // Several instruments in one call, in instrument order; an unknown one is left out.
    let quiet = everything
        .iter()
        .find(|facts| facts.instrument != fixture.instrument)
        .unwrap()
        .instrument;
    let several = store
        .availability_facts(
            horizon,
            Some(&[quiet, InstrumentId(987_654), fixture.instrument]),
        )
        .await
        .unwrap();
    let mut expected = vec![quiet, fixture.instrument];
    expected.sort();
    assert_eq!(
        several
            .iter()
            .map(|facts| facts.instrument)
            .collect::<Vec<_>>(),
        expected
    );
    let busy = |instrument| {
        several
            .iter()
            .find(|facts| facts.instrument == instrument)
            .unwrap()
            .busy
            .len()
    };
    // The three bookings above and the one made after the closure was removed.
    assert_eq!(busy(fixture.instrument), 4);
    assert_eq!(
        busy(quiet),
        everything
            .iter()
            .find(|facts| facts.instrument == quiet)
            .unwrap()
            .busy
            .len()
    );
    assert!(store
        .availability_facts(horizon, Some(&[]))
        .await
        .unwrap()
        .is_empty());
}

pub async fn history_imports_in_bulk(store: &dyn Store) {
    let fixture = fixture(store, BookingMode::Instant, false).await;
    let past = |day: i64, hour: i64| at(-day, hour, 0);
    let history: Vec<HistoricalBooking> = (1..=50)
        .map(|day| HistoricalBooking {
            instrument: fixture.instrument,
            user: fixture.academic,
            range: range(past(day, 9), past(day, 11)),
            status: BookingStatus::Completed,
            user_class: UserClass::OtherAcademic,
            hourly_rate: Fen(20_000),
            price: Fen(40_000),
            usage_minutes: Some(120),
            charged: Some(Fen(40_000)),
            created_at: past(day + 7, 9),
        })
        .collect();
    let rules = CalendarRules::new(60, 60, 480, 0, 60, None).unwrap();
    store
        .import_booking_history(
            &[(fixture.instrument, rules)],
            &history,
            &[(fixture.instrument, fixture.industry)],
        )
        .await
        .unwrap();
    assert_eq!(booking_count_of(store, fixture.academic).await, 50);
    assert_eq!(
        store.calendar_rules(fixture.instrument).await.unwrap(),
        Some(rules)
    );
    assert_eq!(
        store.qualifications(fixture.instrument).await.unwrap()[0].user,
        fixture.industry
    );
    assert_eq!(store.table_counts().await.unwrap().rows("bookings"), 50);
    // The instrument now has history, so it can no longer be deleted.
    assert!(store
        .delete_instrument(fixture.instrument, &AuditContext::default())
        .await
        .is_err());
}
