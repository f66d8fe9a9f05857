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
    let after_hours = request(
        &fixture,
        fixture.industry,
        range(at(8, 21, 0), at(8, 22, 0)),
    );
    let mut unknown = request(
        &fixture,
        fixture.industry,
        range(at(8, 12, 0), at(8, 13, 0)),
    );
    unknown.instrument = InstrumentId(987_654);
    let later = request(
        &fixture,
        fixture.industry,
        range(at(8, 11, 0), at(8, 12, 0)),
    );
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
    let events = store
        .audit_events(PageRequest::default())
        .await
        .unwrap()
        .items;
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
    let after = request(
        &fixture,
        fixture.industry,
        range(at(8, 13, 0), at(8, 14, 0)),
    );
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
    let events = store
        .audit_events(PageRequest::default())
        .await
        .unwrap()
        .items;
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

/// Another writer (another server node) is booking the same time, holding the instrument's
/// calendar row, when this node's batch arrives. The batch must wait for that row and read
/// its facts only after the other commit, so the attempt finds the slot taken. The exclusion
/// constraint is dropped first: it would refuse the double booking on its own, and this
/// checks the first line, the one distributed engines have to rely on.
#[tokio::test]
async fn postgres_a_batch_waits_for_another_writer_of_its_instrument() {
    let test_store = crate::support::postgres().await;
    let pool = test_store.raw_pool().await;
    sqlx::query("ALTER TABLE bookings DROP CONSTRAINT bookings_never_overlap")
        .execute(&pool)
        .await
        .unwrap();
    let store: &dyn Store = &test_store.store;
    let fixture = fixture(store, BookingMode::Instant, false).await;
    let wanted = request(&fixture, fixture.academic, range(at(8, 9, 0), at(8, 10, 0)));

    // The other node takes the calendar row the way every booking writer does and stores an
    // overlapping booking, and commits only once this node's write waits for that row.
    let mut other = pool.begin().await.unwrap();
    let other_backend: i32 = sqlx::query_scalar("SELECT pg_backend_pid()")
        .fetch_one(&mut *other)
        .await
        .unwrap();
    sqlx::query(
        "UPDATE instrument_calendars SET booking_sequence = booking_sequence + 1 WHERE instrument_id = $1",
    )
    .bind(fixture.instrument.0)
    .execute(&mut *other)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO bookings (instrument_id, user_id, starts_at, ends_at, status, user_class, hourly_rate_fen, price_fen, purpose, created_at, updated_at) \
         VALUES ($1, $2, $3::timestamptz, $4::timestamptz, 'confirmed', 'other_academic', 0, 0, 'the other node', now(), now())",
    )
    .bind(fixture.instrument.0)
    .bind(fixture.second_academic.0)
    .bind(at(8, 9, 30).to_string())
    .bind(at(8, 10, 30).to_string())
    .execute(&mut *other)
    .await
    .unwrap();
    let commit_once_waited_for = async {
        let watcher = test_store.raw_pool().await;
        let started = std::time::Instant::now();
        loop {
            let waited_for: bool = sqlx::query_scalar(
                "SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE $1 = ANY (pg_blocking_pids(pid)))",
            )
            .bind(other_backend)
            .fetch_one(&watcher)
            .await
            .unwrap();
            if waited_for {
                break;
            }
            assert!(
                started.elapsed() < std::time::Duration::from_secs(30),
                "this node's batch never waited for the other node's calendar row"
            );
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        other.commit().await.unwrap();
        watcher.close().await;
    };
    let context = actor(fixture.academic);
    let (attempt, ()) = tokio::join!(
        store.create_booking(&wanted, now(), &context),
        commit_once_waited_for
    );
    assert_eq!(
        attempt.unwrap(),
        BookingAttempt::SlotTaken { waitlisted: None },
        "the slot the other node took while this batch was deciding"
    );
    assert_eq!(store.count_overlapping_bookings().await.unwrap(), 0);
    assert_eq!(booking_count_of(store, fixture.academic).await, 0);
    pool.close().await;
    test_store.drop_schema().await;
}

/// The writer's own connection dies (PostgreSQL restarted, an administrator ended it): the
/// batch that finds it dead runs its attempt alone, and the next batch opens a new
/// connection instead of failing on the dead one for ever.
#[tokio::test]
async fn postgres_the_booking_writer_replaces_a_connection_that_died() {
    let test_store = crate::support::postgres().await;
    let pool = test_store.raw_pool().await;
    let store: &dyn Store = &test_store.store;
    let fixture = fixture(store, BookingMode::Instant, false).await;
    let writer_name = format!("{} booking writer", test_store.schema);
    let writer_backend = || async {
        sqlx::query_scalar::<_, i32>("SELECT pid FROM pg_stat_activity WHERE application_name = $1")
            .bind(&writer_name)
            .fetch_optional(&pool)
            .await
            .unwrap()
    };
    let first_backend = writer_backend()
        .await
        .expect("the writer's connection, named after the store's");
    let ended: bool = sqlx::query_scalar("SELECT pg_terminate_backend($1, 10000)")
        .bind(first_backend)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert!(ended, "the writer's backend did not end");

    let context = actor(fixture.academic);
    let on_the_dead_connection =
        request(&fixture, fixture.academic, range(at(8, 9, 0), at(8, 10, 0)));
    let first = booked(
        store
            .create_booking(&on_the_dead_connection, now(), &context)
            .await
            .unwrap(),
    );
    let after_it = request(
        &fixture,
        fixture.academic,
        range(at(8, 11, 0), at(8, 12, 0)),
    );
    let second = booked(
        store
            .create_booking(&after_it, now(), &context)
            .await
            .unwrap(),
    );
    let second_backend = writer_backend()
        .await
        .expect("a new writer connection after the dead one");
    assert_ne!(second_backend, first_backend);
    for booking in [&first, &second] {
        assert_eq!(
            store.booking(booking.id).await.unwrap().as_ref(),
            Some(booking)
        );
    }
    pool.close().await;
    test_store.drop_schema().await;
}

/// One step of `the_overlap_check_agrees_with_a_model`, in half hours of one week of days.
#[derive(Debug, Clone)]
enum CalendarStep {
    Book {
        day: i64,
        start: i64,
        length: i64,
        user: usize,
    },
    Cancel {
        which: usize,
    },
    Reschedule {
        which: usize,
        day: i64,
        start: i64,
        length: i64,
    },
}

fn calendar_step() -> impl proptest::strategy::Strategy<Value = CalendarStep> {
    use proptest::prelude::*;
    // Open 08:00–20:00: half hours 16..40; at most 8 hours (the default longest booking).
    let slot = (8i64..11, 16i64..39)
        .prop_flat_map(|(day, start)| (Just(day), Just(start), 1i64..=(40 - start).min(16)));
    prop_oneof![
        6 => (slot.clone(), 0usize..3).prop_map(|((day, start, length), user)| CalendarStep::Book { day, start, length, user }),
        2 => any::<usize>().prop_map(|which| CalendarStep::Cancel { which }),
        2 => (any::<usize>(), slot).prop_map(|(which, (day, start, length))| CalendarStep::Reschedule { which, day, start, length }),
    ]
}

/// Random bookings, cancellations and reschedules on one instrument, each answered by the
/// store and by a model that keeps the held ranges in a list: the store books (or moves) a
/// range exactly when the model finds it overlaps no other held range. The overlap check
/// looks at one booking only (the first held one ending after the start), so cancelled
/// bookings among the held ones and a reschedule's own booking are what it must step over.
pub async fn the_overlap_check_agrees_with_a_model(store: &dyn Store) {
    use corridor_store::{BookingActor, BookingChange};
    use proptest::strategy::{Strategy, ValueTree};

    let fixture = fixture(store, BookingMode::Instant, false).await;
    let users = [fixture.academic, fixture.second_academic, fixture.industry];
    let half_hours = |day: i64, start: i64, length: i64| {
        range(
            at(day, start / 2, (start % 2) * 30),
            at(day, (start + length) / 2, ((start + length) % 2) * 30),
        )
    };
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let steps = proptest::collection::vec(calendar_step(), 120)
        .new_tree(&mut runner)
        .unwrap()
        .current();
    let mut held: Vec<(
        BookingId,
        corridor_domain::TimeRange,
        corridor_domain::UserId,
    )> = Vec::new();
    let (mut booked, mut refused) = (0, 0);
    for (index, step) in steps.into_iter().enumerate() {
        match step {
            CalendarStep::Book {
                day,
                start,
                length,
                user,
            } => {
                let wanted = half_hours(day, start, length);
                let free = !held.iter().any(|(_, other, _)| other.overlaps(&wanted));
                let attempt = store
                    .create_booking(
                        &request(&fixture, users[user], wanted),
                        now(),
                        &actor(users[user]),
                    )
                    .await
                    .unwrap();
                match attempt {
                    BookingAttempt::Booked { booking, .. } => {
                        assert!(free, "step {index}: booked {wanted:?} over {held:?}");
                        held.push((booking.id, wanted, users[user]));
                        booked += 1;
                    }
                    BookingAttempt::SlotTaken { .. } => {
                        assert!(
                            !free,
                            "step {index}: {wanted:?} refused but free among {held:?}"
                        );
                        refused += 1;
                    }
                    other => panic!("step {index}: {wanted:?} answered {other:?}"),
                }
            }
            CalendarStep::Cancel { which } if !held.is_empty() => {
                let (id, _, owner) = held.remove(which % held.len());
                let change = store
                    .cancel_booking(id, BookingActor::Owner(owner), now(), &actor(owner))
                    .await
                    .unwrap();
                assert!(
                    matches!(change, BookingChange::Done { .. }),
                    "step {index}: {change:?}"
                );
            }
            CalendarStep::Reschedule {
                which,
                day,
                start,
                length,
            } if !held.is_empty() => {
                let position = which % held.len();
                let (id, _, owner) = held[position];
                let wanted = half_hours(day, start, length);
                let free = !held
                    .iter()
                    .any(|(other_id, other, _)| *other_id != id && other.overlaps(&wanted));
                let change = store
                    .reschedule_booking(
                        id,
                        wanted,
                        BookingActor::Owner(owner),
                        now(),
                        &actor(owner),
                    )
                    .await
                    .unwrap();
                match change {
                    BookingChange::Done { .. } => {
                        assert!(
                            free,
                            "step {index}: moved {id:?} to {wanted:?} over {held:?}"
                        );
                        held[position].1 = wanted;
                    }
                    BookingChange::SlotTaken => {
                        assert!(!free, "step {index}: move of {id:?} to {wanted:?} refused but free among {held:?}")
                    }
                    other => panic!("step {index}: moving {id:?} to {wanted:?} answered {other:?}"),
                }
            }
            CalendarStep::Cancel { .. } | CalendarStep::Reschedule { .. } => {}
        }
    }
    // The sequence must have tried both answers to say anything.
    assert!(
        booked >= 10 && refused >= 10,
        "booked {booked}, refused {refused}"
    );
    assert_eq!(store.count_overlapping_bookings().await.unwrap(), 0);
}
