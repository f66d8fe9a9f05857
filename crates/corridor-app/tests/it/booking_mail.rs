//! Booking mails as the application's operations queue them: each change of a booking writes
//! its user's mail in the user's language, and the reminder job reminds each booking once.

use corridor_app::bookings::NewBooking;
use corridor_domain::{BookingMode, BookingStatus, Language, TimeRange, UserClass};
use corridor_store::beamtime::NotificationRecord;
use corridor_store::{HistoricalBooking, PageRequest};
use jiff::SignedDuration;

use crate::support::{actor, predictable_instrument, shanghai_slot, test_app, TestApp};

fn request(instrument: corridor_domain::InstrumentId, range: TimeRange) -> NewBooking {
    NewBooking {
        instrument,
        range,
        purpose: "Raman maps of a cathode".into(),
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

/// The mails about `booking`, oldest first.
async fn mails_about(
    test: &TestApp,
    user: corridor_domain::UserId,
    booking: corridor_domain::BookingId,
) -> Vec<NotificationRecord> {
    let mut mails: Vec<NotificationRecord> = test
        .store
        .notifications_of_user(user, 500)
        .await
        .unwrap()
        .into_iter()
        .filter(|mail| mail.booking == Some(booking))
        .collect();
    mails.reverse();
    mails
}

fn kinds(mails: &[NotificationRecord]) -> Vec<&str> {
    mails.iter().map(|mail| mail.kind.as_str()).collect()
}

#[tokio::test]
async fn approving_refusing_cancelling_and_usage_each_queue_their_mail() {
    let test = test_app().await;
    let (manager, institution) = test.manager();
    let instrument = predictable_instrument(&test, institution, BookingMode::NeedsApproval).await;
    let owner = test.plain_user();
    let bookings = test.app.bookings();
    let owner_actor = actor(owner);
    let book = |range| bookings.book(&owner_actor, request(instrument, range));
    let approved = booked(book(shanghai_slot(4, 9, 1)).await.unwrap());
    let refused = booked(book(shanghai_slot(4, 11, 1)).await.unwrap());
    let cancelled = booked(book(shanghai_slot(4, 13, 1)).await.unwrap());
    bookings
        .decide(&actor(manager), approved.id, true, None)
        .await
        .unwrap();
    bookings
        .decide(
            &actor(manager),
            refused.id,
            false,
            Some("the laser is being serviced"),
        )
        .await
        .unwrap();
    bookings
        .decide(&actor(manager), cancelled.id, true, None)
        .await
        .unwrap();
    bookings.cancel(&actor(owner), cancelled.id).await.unwrap();

    let approved_mails = mails_about(&test, owner.id, approved.id).await;
    assert_eq!(
        kinds(&approved_mails),
        ["booking_requested", "booking_approved"]
    );
    let (approved_prefix, refused_prefix) = match owner.preferred_language {
        Language::English => ("Booking approved: ", "Booking refused: "),
        Language::Chinese => ("预约已批准：", "预约被拒绝："),
    };
    assert!(
        approved_mails[1].subject.starts_with(approved_prefix),
        "{}",
        approved_mails[1].subject
    );
    let ics = approved_mails[1].ics.as_deref().unwrap();
    assert!(
        ics.contains(&format!("UID:booking-{}@corridor", approved.id.0)),
        "{ics}"
    );

    let refused_mails = mails_about(&test, owner.id, refused.id).await;
    assert_eq!(
        kinds(&refused_mails),
        ["booking_requested", "booking_refused"]
    );
    assert!(refused_mails[1].subject.starts_with(refused_prefix));
    assert!(refused_mails[1]
        .body
        .contains("the laser is being serviced"));
    assert_eq!(refused_mails[1].ics, None);

    let cancelled_mails = mails_about(&test, owner.id, cancelled.id).await;
    assert_eq!(
        kinds(&cancelled_mails),
        ["booking_requested", "booking_approved", "booking_cancelled"]
    );
    let ics = cancelled_mails[2].ics.as_deref().unwrap();
    assert!(ics.contains("STATUS:CANCELLED\r\n"), "{ics}");
    assert!(ics.contains("SEQUENCE:1\r\n"), "{ics}");

    // Usage is recorded once the slot has started: a confirmed booking of yesterday.
    let yesterday = shanghai_slot(-1, 9, 2);
    test.store
        .import_booking_history(
            &[],
            &[HistoricalBooking {
                instrument,
                user: owner.id,
                range: yesterday,
                status: BookingStatus::Confirmed,
                user_class: UserClass::OtherAcademic,
                hourly_rate: corridor_domain::Fen(30_000),
                price: corridor_domain::Fen(60_000),
                usage_minutes: None,
                charged: None,
                created_at: corridor_store::now(),
            }],
            &[],
        )
        .await
        .unwrap();
    let used = test
        .store
        .bookings_of_user(owner.id, PageRequest::default())
        .await
        .unwrap()
        .items
        .into_iter()
        .find(|booking| booking.range == yesterday)
        .unwrap();
    let change = bookings
        .record_usage(&actor(manager), used.id, 90)
        .await
        .unwrap();
    let charged = change.booking.charged.unwrap();
    let usage_mails = mails_about(&test, owner.id, used.id).await;
    assert_eq!(kinds(&usage_mails), ["booking_usage_recorded"]);
    assert!(
        usage_mails[0].body.contains(&charged.to_string()),
        "{}",
        usage_mails[0].body
    );
}

#[tokio::test]
async fn the_reminder_job_queues_each_booking_once() {
    let test = test_app().await;
    let (_, institution) = test.manager();
    let instrument = predictable_instrument(&test, institution, BookingMode::Instant).await;
    let owner = test.plain_user();
    let booking = booked(
        test.app
            .bookings()
            .book(&actor(owner), request(instrument, shanghai_slot(3, 10, 1)))
            .await
            .unwrap(),
    );
    let confirmation = mails_about(&test, owner.id, booking.id).await;
    assert_eq!(kinds(&confirmation), ["booking_confirmed"]);
    // Two hours before the slot, as the job would run then; and once more after a restart.
    let moment = booking.range.start - SignedDuration::from_hours(2);
    let first = corridor_app::jobs::queue_booking_reminders(test.store.as_ref(), moment)
        .await
        .unwrap();
    let again = corridor_app::jobs::queue_booking_reminders(test.store.as_ref(), moment)
        .await
        .unwrap();
    assert_eq!((first, again), (1, 0));
    let mails = mails_about(&test, owner.id, booking.id).await;
    assert_eq!(kinds(&mails), ["booking_confirmed", "booking_reminder"]);
    assert_eq!(mails[1].ics, None);
}
