//! The booking service's rules, each covered once: who sees a booking, who may change it,
//! the input limits, and the availability index following every change.

use corridor_app::bookings::{CancelOption, NewBooking};
use corridor_app::{Actor, AppError, Refusal};
use corridor_domain::voucher::VoucherId;
use corridor_domain::{BookingMode, ClosureKind, TimeRange};

use crate::support::{actor, predictable_instrument, shanghai_slot, test_app};

fn request(instrument: corridor_domain::InstrumentId, range: TimeRange) -> NewBooking {
    NewBooking {
        instrument,
        range,
        purpose: "XPS of thin films".into(),
        idempotency_key: None,
        join_waitlist: false,
        voucher: None,
    }
}

fn booked(outcome: corridor_app::bookings::BookingOutcome) -> corridor_store::BookingRecord {
    match outcome {
        corridor_app::bookings::BookingOutcome::Booked { booking, .. } => booking,
        other => panic!("expected a booking, got {other:?}"),
    }
}

fn is_free(
    test: &crate::support::TestApp,
    instrument: corridor_domain::InstrumentId,
    range: TimeRange,
) -> bool {
    test.app.availability_index().shared.snapshot().is_free_for(
        instrument,
        range.start,
        range.end,
        range.end.duration_since(range.start),
    )
}

#[tokio::test]
async fn a_booking_is_seen_by_its_user_and_the_managers_and_by_nobody_else() {
    let test = test_app().await;
    let (manager, institution) = test.manager();
    let instrument = predictable_instrument(&test, institution, BookingMode::Instant).await;
    let owner = test.plain_user();
    let stranger = test.plain_users().find(|user| user.id != owner.id).unwrap();
    let bookings = test.app.bookings();
    let booking = booked(
        bookings
            .book(&actor(owner), request(instrument, shanghai_slot(3, 9, 2)))
            .await
            .unwrap(),
    );
    assert_eq!(
        bookings
            .booking(&actor(owner), booking.id)
            .await
            .unwrap()
            .booking
            .id,
        booking.id
    );
    assert_eq!(
        bookings
            .booking(&actor(manager), booking.id)
            .await
            .unwrap()
            .booking
            .id,
        booking.id
    );
    // Another user's booking does not exist for them: the same answer as an unknown id.
    let hidden = bookings
        .booking(&actor(stranger), booking.id)
        .await
        .unwrap_err();
    assert!(matches!(hidden, AppError::NotFound(_)), "{hidden:?}");
    let cancel = bookings
        .cancel(&actor(stranger), booking.id)
        .await
        .unwrap_err();
    assert!(matches!(cancel, AppError::NotFound(_)), "{cancel:?}");
    let anonymous = bookings
        .booking(&Actor::default(), booking.id)
        .await
        .unwrap_err();
    assert!(
        matches!(anonymous, AppError::Unauthenticated),
        "{anonymous:?}"
    );
}

#[tokio::test]
async fn only_managers_decide_and_record_usage_and_the_limits_hold() {
    let test = test_app().await;
    let (manager, institution) = test.manager();
    let instrument = predictable_instrument(&test, institution, BookingMode::NeedsApproval).await;
    let owner = test.plain_user();
    let bookings = test.app.bookings();
    let booking = booked(
        bookings
            .book(&actor(owner), request(instrument, shanghai_slot(4, 10, 1)))
            .await
            .unwrap(),
    );
    // Its own user may see it but not approve it or record its usage.
    let approve = bookings
        .decide(&actor(owner), booking.id, true, None)
        .await
        .unwrap_err();
    assert!(matches!(approve, AppError::Forbidden(_)), "{approve:?}");
    let usage = bookings
        .record_usage(&actor(owner), booking.id, 30)
        .await
        .unwrap_err();
    assert!(matches!(usage, AppError::Forbidden(_)), "{usage:?}");
    // A manager's note is at most 1,000 characters; usage is 0 to two weeks.
    let long_note = "n".repeat(1_001);
    let refused = bookings
        .decide(&actor(manager), booking.id, true, Some(&long_note))
        .await
        .unwrap_err();
    assert!(
        matches!(&refused, AppError::Invalid { field, .. } if field == "note"),
        "{refused:?}"
    );
    for minutes in [-1, 20_161] {
        let refused = bookings
            .record_usage(&actor(manager), booking.id, minutes)
            .await
            .unwrap_err();
        assert!(
            matches!(&refused, AppError::Invalid { field, .. } if field == "usage_minutes"),
            "{minutes}: {refused:?}"
        );
    }
    let approved = bookings
        .decide(&actor(manager), booking.id, true, Some(&"n".repeat(1_000)))
        .await
        .unwrap();
    assert_eq!(
        approved.booking.status,
        corridor_domain::BookingStatus::Confirmed
    );
    // Usage before the start is a typed refusal of the booking rules.
    let early = bookings
        .record_usage(&actor(manager), booking.id, 30)
        .await
        .unwrap_err();
    assert!(
        matches!(early, AppError::Refused(Refusal::Booking(_))),
        "{early:?}"
    );
}

#[tokio::test]
async fn every_booking_change_reaches_the_availability_index_at_once() {
    let test = test_app().await;
    let (manager, institution) = test.manager();
    let instrument = predictable_instrument(&test, institution, BookingMode::Instant).await;
    let owner = test.plain_user();
    let bookings = test.app.bookings();
    let slot = shanghai_slot(5, 13, 2);
    let later = shanghai_slot(5, 16, 2);
    // The new instrument reaches the index through the change log; a refresh applies it.
    test.app
        .availability_index()
        .refresh(test.store.as_ref())
        .await
        .unwrap();
    assert!(is_free(&test, instrument, slot));
    let booking = booked(
        bookings
            .book(&actor(owner), request(instrument, slot))
            .await
            .unwrap(),
    );
    assert!(!is_free(&test, instrument, slot), "booked time is busy");
    bookings
        .reschedule(&actor(owner), booking.id, later)
        .await
        .unwrap();
    assert!(
        is_free(&test, instrument, slot),
        "the old time is free after a move"
    );
    assert!(!is_free(&test, instrument, later));
    bookings.cancel(&actor(manager), booking.id).await.unwrap();
    assert!(is_free(&test, instrument, later), "cancelled time is free");
    let closure = bookings
        .add_closure(
            &actor(manager),
            instrument,
            ClosureKind::Maintenance,
            slot,
            "pump service",
        )
        .await
        .unwrap();
    assert!(!is_free(&test, instrument, slot), "closed time is not free");
    bookings
        .remove_closure(&actor(manager), instrument, closure.id)
        .await
        .unwrap();
    assert!(is_free(&test, instrument, slot));
}

#[tokio::test]
async fn closures_rules_and_qualifications_are_the_managers_alone() {
    let test = test_app().await;
    let (manager, institution) = test.manager();
    let instrument = predictable_instrument(&test, institution, BookingMode::Instant).await;
    let owner = test.plain_user();
    let bookings = test.app.bookings();
    let slot = shanghai_slot(6, 9, 1);
    let refused = bookings
        .add_closure(
            &actor(owner),
            instrument,
            ClosureKind::Holiday,
            slot,
            "mine",
        )
        .await
        .unwrap_err();
    assert!(matches!(refused, AppError::Forbidden(_)), "{refused:?}");
    let refused = bookings
        .qualifications(&actor(owner), instrument)
        .await
        .unwrap_err();
    assert!(matches!(refused, AppError::Forbidden(_)), "{refused:?}");
    let year_and_a_day = TimeRange::new(
        slot.start,
        slot.start + jiff::SignedDuration::from_hours(24 * 367),
    )
    .unwrap();
    let refused = bookings
        .add_closure(
            &actor(manager),
            instrument,
            ClosureKind::Holiday,
            year_and_a_day,
            "long",
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&refused, AppError::Invalid { field, .. } if field == "ends_at"),
        "{refused:?}"
    );
    let refused = bookings
        .add_closure(
            &actor(manager),
            instrument,
            ClosureKind::Holiday,
            slot,
            &"r".repeat(501),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&refused, AppError::Invalid { field, .. } if field == "reason"),
        "{refused:?}"
    );
    bookings
        .grant_qualification(&actor(manager), instrument, owner.id)
        .await
        .unwrap();
    let qualified = bookings
        .qualifications(&actor(manager), instrument)
        .await
        .unwrap();
    assert!(qualified
        .iter()
        .any(|qualification| qualification.user == owner.id));
}

#[tokio::test]
async fn a_calendar_names_bookings_only_to_their_user_and_the_managers() {
    let test = test_app().await;
    let (manager, institution) = test.manager();
    let instrument = predictable_instrument(&test, institution, BookingMode::Instant).await;
    let owner = test.plain_user();
    let bookings = test.app.bookings();
    let slot = shanghai_slot(7, 9, 2);
    bookings
        .book(&actor(owner), request(instrument, slot))
        .await
        .unwrap();
    let window = TimeRange::new(slot.start, slot.end).unwrap();
    let names = |calendar: &corridor_app::bookings::ActorCalendar| {
        calendar
            .view
            .bookings
            .iter()
            .map(|booking| {
                (
                    calendar.shows_who_booked(booking),
                    booking.user_display_name.clone(),
                )
            })
            .collect::<Vec<_>>()
    };
    let public = bookings
        .calendar(&Actor::default(), instrument, window)
        .await
        .unwrap();
    assert_eq!(names(&public), vec![(false, String::new())]);
    let own = bookings
        .calendar(&actor(owner), instrument, window)
        .await
        .unwrap();
    assert_eq!(names(&own), vec![(true, owner.display_name.clone())]);
    let managed = bookings
        .calendar(&actor(manager), instrument, window)
        .await
        .unwrap();
    assert_eq!(names(&managed), vec![(true, owner.display_name.clone())]);
    let too_long = TimeRange::new(
        slot.start,
        slot.start + jiff::SignedDuration::from_hours(24 * 63),
    )
    .unwrap();
    let refused = bookings
        .calendar(&Actor::default(), instrument, too_long)
        .await
        .unwrap_err();
    assert!(
        matches!(&refused, AppError::Invalid { field, .. } if field == "to"),
        "{refused:?}"
    );
}

#[tokio::test]
async fn booking_inputs_are_checked_before_anything_is_written() {
    let test = test_app().await;
    let (_, institution) = test.manager();
    let instrument = predictable_instrument(&test, institution, BookingMode::Instant).await;
    let owner = test.plain_user();
    let bookings = test.app.bookings();
    let slot = shanghai_slot(8, 9, 1);
    let mut long_purpose = request(instrument, slot);
    long_purpose.purpose = "p".repeat(1_001);
    let mut bad_key = request(instrument, slot);
    bad_key.idempotency_key = Some("k".repeat(201));
    let mut voucher_waiting = request(instrument, slot);
    voucher_waiting.voucher = Some(VoucherId(1));
    voucher_waiting.join_waitlist = true;
    for (input, field) in [
        (long_purpose, "purpose"),
        (bad_key, "Idempotency-Key"),
        (voucher_waiting, "join_waitlist"),
    ] {
        let refused = bookings.book(&actor(owner), input).await.unwrap_err();
        assert!(
            matches!(&refused, AppError::Invalid { field: f, .. } if f == field),
            "{field}: {refused:?}"
        );
    }
    let written = bookings
        .my_bookings(
            &actor(owner),
            corridor_store::PageRequest {
                limit: corridor_domain::PageLimit::new(10).unwrap(),
                after: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(written.total, 0, "nothing was booked");
    // The same key from the same user books once.
    let mut keyed = request(instrument, slot);
    keyed.idempotency_key = Some("retry-1".into());
    let first = booked(bookings.book(&actor(owner), keyed.clone()).await.unwrap());
    match bookings.book(&actor(owner), keyed).await.unwrap() {
        corridor_app::bookings::BookingOutcome::Booked {
            booking, replayed, ..
        } => {
            assert!(replayed);
            assert_eq!(booking.id, first.id);
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_user_cancels_until_the_deadline_and_then_asks_a_manager() {
    let test = test_app().await;
    let (manager, institution) = test.manager();
    let instrument = predictable_instrument(&test, institution, BookingMode::Instant).await;
    let owner = test.plain_user();
    let bookings = test.app.bookings();
    let booking = booked(
        bookings
            .book(&actor(owner), request(instrument, shanghai_slot(9, 9, 1)))
            .await
            .unwrap(),
    );
    let now = jiff::Timestamp::now();
    let option = bookings
        .cancel_option(&actor(owner), &booking, None)
        .await
        .unwrap();
    let CancelOption::AsUserUntil(deadline) = option else {
        panic!("{option:?}")
    };
    assert_eq!(
        deadline,
        booking.range.start - jiff::SignedDuration::from_hours(24)
    );
    assert!(option.may_cancel(now));
    let rules = corridor_domain::CalendarRules::standard();
    let past_deadline = corridor_app::bookings::cancel_option(
        owner,
        &booking,
        &rules,
        booking.range.start - jiff::SignedDuration::from_hours(1),
    );
    assert_eq!(past_deadline, CancelOption::AskAManager);
    assert_eq!(
        corridor_app::bookings::cancel_option(manager, &booking, &rules, now),
        CancelOption::AsManagerUntil(booking.range.end)
    );
}
