//! The booking mail contract: a booking's mails are written in the transaction that changes
//! the booking (the group-commit batch included), in the recipient's language, with the
//! booking's calendar event where the mail is about one; the 24-hour reminder is queued once.

use corridor_domain::{BookingMode, Language, UserId};
use corridor_store::beamtime::NotificationRecord;
use corridor_store::{BookingActor, BookingAttempt, BookingChange, Store};
use jiff::SignedDuration;

use crate::booking_contract::{actor, at, booked, fixture, now, range, request};
use crate::support::tiny_region;

/// Two users of the fixture's region who write in different languages: (English, Chinese).
fn users_of_each_language() -> (UserId, UserId) {
    let region = tiny_region(21);
    let of = |language| {
        region
            .users
            .iter()
            .find(|user| user.user.preferred_language == language)
            .unwrap()
            .user
            .id
    };
    (of(Language::English), of(Language::Chinese))
}

async fn mails_of(store: &dyn Store, user: UserId) -> Vec<NotificationRecord> {
    let mut mails = store.notifications_of_user(user, 100).await.unwrap();
    mails.reverse();
    mails
}

pub async fn booking_mails_are_written_with_the_change_in_the_recipients_language(
    store: &dyn Store,
) {
    let fixture = fixture(store, BookingMode::Instant, false).await;
    let instrument = store
        .instrument(fixture.instrument)
        .await
        .unwrap()
        .unwrap()
        .instrument;
    let (english, chinese) = users_of_each_language();
    let english_request = request(&fixture, english, range(at(8, 9, 0), at(8, 10, 0)));
    let chinese_request = request(&fixture, chinese, range(at(8, 11, 0), at(8, 12, 0)));
    // Refused in the same batch: it overlaps the English user's booking.
    let overlapping = request(&fixture, chinese, range(at(8, 9, 30), at(8, 10, 30)));
    let english_context = actor(english);
    let chinese_context = actor(chinese);
    let (first, second, third) = tokio::join!(
        store.create_booking(&english_request, now(), &english_context),
        store.create_booking(&chinese_request, now(), &chinese_context),
        store.create_booking(&overlapping, now(), &chinese_context),
    );
    let english_booking = booked(first.unwrap());
    let chinese_booking = booked(second.unwrap());
    assert_eq!(
        third.unwrap(),
        BookingAttempt::SlotTaken { waitlisted: None }
    );

    let english_mails = mails_of(store, english).await;
    assert_eq!(english_mails.len(), 1, "{english_mails:?}");
    let mail = &english_mails[0];
    assert_eq!(mail.kind, "booking_confirmed");
    assert_eq!(mail.booking, Some(english_booking.id));
    assert_eq!(
        mail.subject,
        format!("Booking confirmed: {}", instrument.name_en)
    );
    // 09:00 in the instrument's own zone, as its wall clock shows it.
    assert!(mail.body.contains(" 09:00–10:00 ("), "{}", mail.body);
    assert!(
        mail.body.contains(&english_booking.price.to_string()),
        "{}",
        mail.body
    );
    let ics = mail
        .ics
        .as_deref()
        .expect("a confirmation carries its event");
    let uid = format!("UID:booking-{}@corridor\r\n", english_booking.id.0);
    assert!(ics.contains(&uid), "{ics}");
    assert!(ics.contains("BEGIN:VTIMEZONE\r\n"), "{ics}");
    assert!(ics.contains("SEQUENCE:0\r\n"), "{ics}");

    // The refused attempt wrote nothing: the Chinese user has the one booking's mail only.
    let chinese_mails = mails_of(store, chinese).await;
    assert_eq!(chinese_mails.len(), 1, "{chinese_mails:?}");
    assert_eq!(chinese_mails[0].booking, Some(chinese_booking.id));
    assert_eq!(
        chinese_mails[0].subject,
        format!("预约已确认：{}", instrument.name_zh)
    );

    // A manager's cancellation supersedes the event: the same UID, a higher SEQUENCE.
    let change = store
        .cancel_booking(
            english_booking.id,
            BookingActor::Manager(chinese),
            now(),
            &actor(chinese),
        )
        .await
        .unwrap();
    assert!(matches!(change, BookingChange::Done { .. }), "{change:?}");
    let english_mails = mails_of(store, english).await;
    assert_eq!(english_mails.len(), 2, "{english_mails:?}");
    let cancelled = &english_mails[1];
    assert_eq!(cancelled.kind, "booking_cancelled");
    assert!(cancelled.body.contains("manager"), "{}", cancelled.body);
    let ics = cancelled.ics.as_deref().unwrap();
    assert!(ics.contains(&uid), "{ics}");
    assert!(ics.contains("SEQUENCE:1\r\n"), "{ics}");
    assert!(ics.contains("STATUS:CANCELLED\r\n"), "{ics}");
}

pub async fn approvals_refusals_and_usage_are_mailed(store: &dyn Store) {
    let fixture = fixture(store, BookingMode::NeedsApproval, false).await;
    let (english, manager) = users_of_each_language();
    let approved = booked(
        store
            .create_booking(
                &request(&fixture, english, range(at(8, 9, 0), at(8, 10, 0))),
                now(),
                &actor(english),
            )
            .await
            .unwrap(),
    );
    let refused = booked(
        store
            .create_booking(
                &request(&fixture, english, range(at(9, 9, 0), at(9, 10, 0))),
                now(),
                &actor(english),
            )
            .await
            .unwrap(),
    );
    store
        .decide_booking(approved.id, true, None, now(), &actor(manager))
        .await
        .unwrap();
    store
        .decide_booking(
            refused.id,
            false,
            Some("the detector is out for repair"),
            now(),
            &actor(manager),
        )
        .await
        .unwrap();
    let after = at(8, 11, 0);
    store
        .record_usage(approved.id, 45, after, &actor(manager))
        .await
        .unwrap();
    let mails = mails_of(store, english).await;
    let kinds: Vec<&str> = mails.iter().map(|mail| mail.kind.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "booking_requested",
            "booking_requested",
            "booking_approved",
            "booking_refused",
            "booking_usage_recorded"
        ]
    );
    assert!(mails[0].body.contains("waiting for approval"));
    assert_eq!(mails[0].ics, None);
    assert!(mails[2]
        .ics
        .as_deref()
        .unwrap()
        .contains("STATUS:CONFIRMED"));
    assert!(mails[3].body.contains("the detector is out for repair"));
    let charged = store.booking(approved.id).await.unwrap().unwrap().charged;
    assert!(
        mails[4].body.contains(&charged.unwrap().to_string()),
        "{}",
        mails[4].body
    );
}

pub async fn reminders_are_queued_once_per_booking(store: &dyn Store) {
    let fixture = fixture(store, BookingMode::Instant, false).await;
    let soon = booked(
        store
            .create_booking(
                &request(&fixture, fixture.academic, range(at(8, 9, 0), at(8, 10, 0))),
                now(),
                &actor(fixture.academic),
            )
            .await
            .unwrap(),
    );
    let cancelled = booked(
        store
            .create_booking(
                &request(
                    &fixture,
                    fixture.academic,
                    range(at(8, 11, 0), at(8, 12, 0)),
                ),
                now(),
                &actor(fixture.academic),
            )
            .await
            .unwrap(),
    );
    store
        .cancel_booking(
            cancelled.id,
            BookingActor::Owner(fixture.academic),
            now(),
            &actor(fixture.academic),
        )
        .await
        .unwrap();
    let later = booked(
        store
            .create_booking(
                &request(
                    &fixture,
                    fixture.academic,
                    range(at(10, 9, 0), at(10, 10, 0)),
                ),
                now(),
                &actor(fixture.academic),
            )
            .await
            .unwrap(),
    );
    // A day before the first booking, minus an hour: only it starts within the next 24 h.
    let moment = soon.range.start - SignedDuration::from_hours(23);
    // Two nodes at once, then a restarted job: one reminder in all.
    let (first, second) = tokio::join!(
        store.queue_booking_reminders(moment),
        store.queue_booking_reminders(moment),
    );
    let again = store.queue_booking_reminders(moment).await.unwrap();
    assert_eq!(first.unwrap() + second.unwrap() + again, 1);
    let reminders: Vec<NotificationRecord> = mails_of(store, fixture.academic)
        .await
        .into_iter()
        .filter(|mail| mail.kind == "booking_reminder")
        .collect();
    assert_eq!(reminders.len(), 1);
    assert_eq!(reminders[0].booking, Some(soon.id));
    // Two days on, the later booking gets its own, and the first none again.
    let moment = later.range.start - SignedDuration::from_hours(1);
    assert_eq!(store.queue_booking_reminders(moment).await.unwrap(), 1);
}
