//! The group-commit contract: booking attempts that arrive together, and so share one
//! transaction and one commit, are answered exactly as each would be alone.

use corridor_domain::{BookingId, BookingMode, Fen, InstrumentId};
use corridor_store::{AuditContext, BookingAttempt, BookingDenial, PageRequest, Store};

use crate::booking_contract::{actor, at, booked, booking_count_of, fixture, now, range, request};

/// Makes every attempt at once, each as its own user, so that they reach the group-commit
/// writer together; the answers come in the attempts' order.
async fn attempt_together(
    store: &dyn Store,
    attempts: &[&corridor_store::BookingRequest],
) -> Vec<Result<BookingAttempt, corridor_store::StoreError>> {
    let contexts: Vec<AuditContext> = attempts.iter().map(|attempt| actor(attempt.user)).collect();
    futures_util::future::join_all(
        attempts
            .iter()
            .zip(&contexts)
            .map(|(attempt, context)| store.create_booking(attempt, now(), context)),
    )
    .await
}

/// Attempts that arrive together share one group commit; each must still get the answer it
/// would get alone: a repeated idempotency key replays the first booking, an overlap queued
/// on the waitlist sees the booking made just before it, a rule refusal and an unknown
/// instrument fail alone without costing the others their bookings.
pub async fn attempts_arriving_together_are_answered_as_if_alone(store: &dyn Store) {
    let fixture = fixture(store, BookingMode::Instant, false).await;
    let mut first = request(&fixture, fixture.academic, range(at(8, 9, 0), at(8, 10, 0)));
    first.idempotency_key = Some("together-1".into());
    let repeated = first.clone();
    let mut queued = request(
        &fixture,
        fixture.second_academic,
        range(at(8, 9, 30), at(8, 10, 30)),
    );
    queued.join_waitlist_if_taken = true;
    let after_hours = request(&fixture, fixture.industry, range(at(8, 21, 0), at(8, 22, 0)));
    let mut unknown = request(&fixture, fixture.industry, range(at(8, 12, 0), at(8, 13, 0)));
    unknown.instrument = InstrumentId(987_654);
    let later = request(&fixture, fixture.industry, range(at(8, 11, 0), at(8, 12, 0)));
    let mut results = attempt_together(
        store,
        &[&first, &repeated, &queued, &after_hours, &unknown, &later],
    )
    .await
    .into_iter();
    let first_booking = booked(results.next().unwrap().unwrap());
    assert_eq!(
        results.next().unwrap().unwrap(),
        BookingAttempt::Booked {
            booking: first_booking.clone(),
            replayed: true
        }
    );
    let BookingAttempt::SlotTaken {
        waitlisted: Some(entry),
    } = results.next().unwrap().unwrap()
    else {
        panic!("the overlapping attempt should have joined the waitlist")
    };
    assert_eq!(entry.range, queued.range);
    assert!(matches!(
        results.next().unwrap().unwrap(),
        BookingAttempt::Denied(BookingDenial::Rule(_))
    ));
    assert!(matches!(
        results.next().unwrap(),
        Err(corridor_store::StoreError::NotFound(_))
    ));
    let later_booking = booked(results.next().unwrap().unwrap());
    assert_eq!(later_booking.range, later.range);
    assert_eq!(later_booking.price, Fen(50_000));
    assert_eq!(first_booking.price, Fen(20_000));
    assert_eq!(booking_count_of(store, fixture.academic).await, 1);
    assert_eq!(store.count_overlapping_bookings().await.unwrap(), 0);
    let events = store.audit_events(PageRequest::default()).await.unwrap().items;
    for booking in [&first_booking, &later_booking] {
        assert_eq!(
            events
                .iter()
                .filter(|event| event.action == "booking.created"
                    && event.subject == format!("booking:{}", booking.id.0))
                .count(),
            1,
            "one audit event for booking {}",
            booking.id.0
        );
    }
    // A follower of the change log hears of each new booking by its id, once, and reads its
    // span alone; an unknown id is left out.
    let changes = store.changes_since(0, 10_000).await.unwrap();
    for booking in [&first_booking, &later_booking] {
        assert_eq!(
            changes
                .iter()
                .filter(|change| change.entity == "booking" && change.entity_id == booking.id.0)
                .count(),
            1,
            "one change-log entry for booking {}",
            booking.id.0
        );
    }
    let spans = store
        .booking_spans(&[later_booking.id, BookingId(987_654_321), first_booking.id])
        .await
        .unwrap();
    let mut expected = vec![
        corridor_store::BookingSpan {
            booking: first_booking.id,
            instrument: first_booking.instrument,
            range: first_booking.range,
            holding: true,
        },
        corridor_store::BookingSpan {
            booking: later_booking.id,
            instrument: later_booking.instrument,
            range: later_booking.range,
            holding: true,
        },
    ];
    expected.sort_by_key(|span| span.booking.0);
    assert_eq!(spans, expected);
}

/// The purpose a test trigger refuses to store: a real database error, raised inside the
/// batch's booking insert, with no hook in the product.
const REFUSED_PURPOSE: &str = "refused by a trigger";

/// When a batch fails with an error (here a trigger refusing one booking inside the batch's
/// insert), nothing of it is committed and every attempt runs again on its own: the one the
/// database refuses fails alone, and the others are booked, each with its audit event.
async fn a_failed_batch_answers_each_attempt_alone(store: &dyn Store) {
    let fixture = fixture(store, BookingMode::Instant, false).await;
    let before = request(&fixture, fixture.academic, range(at(8, 9, 0), at(8, 10, 0)));
    let mut refused = request(
        &fixture,
        fixture.second_academic,
        range(at(8, 11, 0), at(8, 12, 0)),
    );
    refused.purpose = REFUSED_PURPOSE.into();
    let after = request(&fixture, fixture.industry, range(at(8, 13, 0), at(8, 14, 0)));
    let mut results = attempt_together(store, &[&before, &refused, &after])
        .await
        .into_iter();
    let before_booking = booked(results.next().unwrap().unwrap());
    let refusal = results.next().unwrap();
    assert!(
        refusal
            .as_ref()
            .is_err_and(|error| error.to_string().contains(REFUSED_PURPOSE)),
        "the refused attempt fails with the database's error, got {refusal:?}"
    );
    let after_booking = booked(results.next().unwrap().unwrap());
    assert_eq!(before_booking.range, before.range);
    assert_eq!(after_booking.range, after.range);
    assert_eq!(
        booking_count_of(store, fixture.second_academic).await,
        0,
        "nothing of the refused attempt is stored"
    );
    let events = store.audit_events(PageRequest::default()).await.unwrap().items;
    let created = events
        .iter()
        .filter(|event| event.action == "booking.created")
        .count();
    assert_eq!(created, 2, "one audit event per stored booking, none twice");
}

#[tokio::test]
async fn sqlite_a_failed_batch_answers_each_attempt_alone() {
    let test_store = crate::support::sqlite().await;
    let pool = sqlx::SqlitePool::connect(&test_store.url).await.unwrap();
    sqlx::query(&format!(
        "CREATE TRIGGER refuse_marked_bookings BEFORE INSERT ON bookings \
         WHEN NEW.purpose = '{REFUSED_PURPOSE}' \
         BEGIN SELECT RAISE(ABORT, '{REFUSED_PURPOSE}'); END"
    ))
    .execute(&pool)
    .await
    .unwrap();
    pool.close().await;
    a_failed_batch_answers_each_attempt_alone(&test_store.store).await;
}

#[tokio::test]
async fn postgres_a_failed_batch_answers_each_attempt_alone() {
    let test_store = crate::support::postgres().await;
    let pool = test_store.raw_pool().await;
    sqlx::query(&format!(
        "CREATE FUNCTION refuse_marked_bookings() RETURNS trigger LANGUAGE plpgsql AS $$ \
         BEGIN IF NEW.purpose = '{REFUSED_PURPOSE}' THEN RAISE EXCEPTION '{REFUSED_PURPOSE}'; END IF; \
         RETURN NEW; END $$"
    ))
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query(
        "CREATE TRIGGER refuse_marked_bookings BEFORE INSERT ON bookings \
         FOR EACH ROW EXECUTE FUNCTION refuse_marked_bookings()",
    )
    .execute(&pool)
    .await
    .unwrap();
    pool.close().await;
    a_failed_batch_answers_each_attempt_alone(&test_store.store).await;
    test_store.drop_schema().await;
}
