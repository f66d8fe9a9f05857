//! The outbox as a mail sender uses it: claims under a lease, sent, failed with a later
//! retry, given up and kept; the Message-ID set once; concurrent claimers never holding the
//! same row.

use std::collections::BTreeSet;

use corridor_domain::UserId;
use corridor_store::beamtime::NewNotification;
use corridor_store::{AuditContext, NotificationClaim, OutboxCounts, Store};
use jiff::{SignedDuration, Timestamp};

fn claim(claimer: &str, limit: u32, host: &str) -> NotificationClaim {
    NotificationClaim {
        claimer: claimer.to_owned(),
        limit,
        lease: SignedDuration::from_mins(5),
        message_id_host: host.to_owned(),
    }
}

fn notification(user: UserId, number: usize) -> NewNotification {
    NewNotification {
        user,
        kind: "test".to_owned(),
        subject: format!("Subject {number}"),
        body: format!("Body {number}\nsecond line"),
    }
}

fn minutes_after(start: Timestamp, minutes: i64) -> Timestamp {
    start + SignedDuration::from_mins(minutes)
}

pub async fn the_outbox_is_claimed_sent_retried_and_given_up(store: &dyn Store) {
    let region = crate::support::tiny_region(23);
    store.import_region(&region).await.unwrap();
    let first_user = &region.users[1].user;
    let second_user = &region.users[2].user;
    let context = AuditContext::default();
    let start = corridor_store::now();
    let ids = store
        .queue_notifications(
            &[
                notification(first_user.id, 0),
                notification(second_user.id, 1),
                notification(first_user.id, 2),
                notification(second_user.id, 3),
                notification(first_user.id, 4),
            ],
            start,
            &context,
        )
        .await
        .unwrap();
    assert_eq!(ids.len(), 5);
    assert!(ids.windows(2).all(|pair| pair[0] < pair[1]), "{ids:?}");
    assert_eq!(
        store.outbox_counts().await.unwrap(),
        OutboxCounts {
            pending: 5,
            sent: 0,
            given_up: 0
        }
    );

    // Oldest first, with the recipient, the Message-ID and one attempt.
    let claimed_by_a = store
        .claim_due_notifications(&claim("a", 3, "mail.example.org"), start)
        .await
        .unwrap();
    assert_eq!(
        claimed_by_a.iter().map(|row| row.id).collect::<Vec<_>>(),
        ids[..3]
    );
    let first = &claimed_by_a[0];
    assert_eq!(first.recipient_email, first_user.email.as_str());
    assert_eq!(first.recipient_name, first_user.display_name);
    assert_eq!(first.subject, "Subject 0");
    assert_eq!(first.body, "Body 0\nsecond line");
    assert_eq!(
        first.message_id,
        format!("<notification-{}@mail.example.org>", ids[0])
    );
    assert_eq!(first.attempts, 1);
    assert_eq!(first.lease_until, minutes_after(start, 5));
    assert_eq!(claimed_by_a[1].recipient_email, second_user.email.as_str());

    // A second claimer gets only what the first does not hold; a third gets nothing.
    let claimed_by_b = store
        .claim_due_notifications(&claim("b", 10, "mail.example.org"), start)
        .await
        .unwrap();
    assert_eq!(
        claimed_by_b.iter().map(|row| row.id).collect::<Vec<_>>(),
        ids[3..]
    );
    assert!(store
        .claim_due_notifications(&claim("c", 10, "mail.example.org"), start)
        .await
        .unwrap()
        .is_empty());

    // Sent once; marking again changes nothing.
    assert_eq!(
        store
            .mark_notifications_sent(&ids[..2], minutes_after(start, 1))
            .await
            .unwrap(),
        2
    );
    assert_eq!(
        store
            .mark_notifications_sent(&ids[..2], minutes_after(start, 1))
            .await
            .unwrap(),
        0
    );

    // Only the claimer records a failure; the row then waits for its retry.
    assert!(!store
        .mark_notification_failed(ids[2], "b", "421 try later", minutes_after(start, 10))
        .await
        .unwrap());
    assert!(store
        .mark_notification_failed(ids[2], "a", "421 try later", minutes_after(start, 10))
        .await
        .unwrap());
    assert!(store
        .claim_due_notifications(&claim("c", 10, "mail.example.org"), minutes_after(start, 1))
        .await
        .unwrap()
        .is_empty());

    // B's lease expires: its rows can be claimed again, with the same Message-ID even when
    // the sender's host changed meanwhile.
    let taken_over = store
        .claim_due_notifications(&claim("c", 10, "other.example"), minutes_after(start, 6))
        .await
        .unwrap();
    assert_eq!(
        taken_over.iter().map(|row| row.id).collect::<Vec<_>>(),
        ids[3..]
    );
    assert!(taken_over.iter().all(|row| row.attempts == 2));
    assert_eq!(
        taken_over
            .iter()
            .map(|row| row.message_id.clone())
            .collect::<Vec<_>>(),
        claimed_by_b
            .iter()
            .map(|row| row.message_id.clone())
            .collect::<Vec<_>>()
    );
    // B still finishes its send after losing the lease: the rows are sent, and B's late
    // failure report for them changes nothing.
    assert!(!store
        .mark_notification_failed(ids[3], "b", "late", minutes_after(start, 20))
        .await
        .unwrap());

    // The failed row is due at its retry time (C's lease still holds its two rows); then the
    // sender gives up on it.
    let retried = store
        .claim_due_notifications(&claim("d", 10, "other.example"), minutes_after(start, 10))
        .await
        .unwrap();
    assert_eq!(retried.len(), 1);
    assert_eq!(retried[0].id, ids[2]);
    assert_eq!(retried[0].attempts, 2);
    assert_eq!(
        retried[0].message_id,
        format!("<notification-{}@mail.example.org>", ids[2])
    );
    assert!(!store
        .give_up_notification(ids[2], "a", "550 no such user", start, &context)
        .await
        .unwrap());
    assert!(store
        .give_up_notification(
            ids[2],
            "d",
            "550 no such user",
            minutes_after(start, 12),
            &context
        )
        .await
        .unwrap());
    assert!(store
        .claim_due_notifications(
            &claim("e", 10, "other.example"),
            minutes_after(start, 60 * 24 * 30)
        )
        .await
        .unwrap()
        .iter()
        .all(|row| row.id != ids[2]));
    let undeliverable = store.undeliverable_notifications(10).await.unwrap();
    assert_eq!(undeliverable.len(), 1);
    assert_eq!(undeliverable[0].id, ids[2]);
    assert_eq!(undeliverable[0].recipient_email, first_user.email.as_str());
    assert_eq!(undeliverable[0].attempts, 2);
    assert_eq!(
        undeliverable[0].last_error.as_deref(),
        Some("550 no such user")
    );
    assert_eq!(undeliverable[0].gave_up_at, minutes_after(start, 12));
    assert_eq!(
        undeliverable[0].message_id.as_deref(),
        Some(retried[0].message_id.as_str())
    );

    assert_eq!(
        store
            .mark_notifications_sent(&ids[3..], minutes_after(start, 7))
            .await
            .unwrap(),
        2
    );
    assert_eq!(
        store.outbox_counts().await.unwrap(),
        OutboxCounts {
            pending: 0,
            sent: 4,
            given_up: 1
        }
    );
    // The beamtime programme's reading of a user's notifications sees them sent.
    let of_user = store
        .notifications_of_user(second_user.id, 10)
        .await
        .unwrap();
    assert_eq!(of_user.len(), 2);
    assert!(of_user.iter().all(|row| row.sent_at.is_some()));
}

/// Claimers racing over one backlog: every row is claimed exactly once while the leases hold.
pub async fn concurrent_claimers_never_hold_the_same_row(store: &dyn Store) {
    let region = crate::support::tiny_region(24);
    store.import_region(&region).await.unwrap();
    let users: Vec<UserId> = region
        .users
        .iter()
        .take(20)
        .map(|user| user.user.id)
        .collect();
    let rows: Vec<NewNotification> = (0..600)
        .map(|number| notification(users[number % users.len()], number))
        .collect();
    let now = corridor_store::now();
    let ids = store
        .queue_notifications(&rows, now, &AuditContext::default())
        .await
        .unwrap();
    let claimers = (0..8).map(|claimer| async move {
        let mut mine = Vec::new();
        loop {
            let batch = store
                .claim_due_notifications(&claim(&format!("claimer-{claimer}"), 7, "h"), now)
                .await
                .unwrap();
            if batch.is_empty() {
                return mine;
            }
            mine.extend(batch.into_iter().map(|row| row.id));
        }
    });
    let claimed = futures_util::future::join_all(claimers).await;
    assert_claimed_exactly_once(&ids, &claimed);
}

/// Every id in `ids` appears in exactly one claimer's list, and nothing else does.
pub fn assert_claimed_exactly_once(ids: &[i64], claimed: &[Vec<i64>]) {
    let all: Vec<i64> = claimed.iter().flatten().copied().collect();
    let distinct: BTreeSet<i64> = all.iter().copied().collect();
    assert_eq!(
        all.len(),
        distinct.len(),
        "a row was claimed twice while its lease held"
    );
    assert_eq!(distinct, ids.iter().copied().collect::<BTreeSet<_>>());
    let busy = claimed.iter().filter(|mine| !mine.is_empty()).count();
    println!(
        "outbox claims: {} rows claimed once each by {busy} of {} claimers",
        all.len(),
        claimed.len()
    );
}
