//! A follower's change-log cursor reads every committed entry once, including entries whose
//! transactions commit after later-numbered ones.

use std::time::{Duration, Instant};

use corridor_domain::InstrumentId;
use corridor_store::change_log::cursor::LATE_COMMIT_PATIENCE;
use corridor_store::{AuditContext, ChangeCursor, ChangeRecord, Store};

use crate::support::tiny_region;

/// Changes an instrument's name `times` times, one change-log entry each.
async fn change_an_instrument(store: &dyn Store, id: InstrumentId, times: usize) {
    let mut instrument = store
        .instrument(id)
        .await
        .unwrap()
        .expect("the region's instrument")
        .instrument;
    for time in 0..times {
        instrument.name_en = format!("Renamed {time}");
        store
            .update_instrument(&instrument, &AuditContext::default())
            .await
            .unwrap();
    }
}

fn numbers(changes: &[ChangeRecord]) -> Vec<i64> {
    changes.iter().map(|change| change.seq).collect()
}

pub async fn a_change_cursor_reads_every_entry_once(store: &dyn Store) {
    let region = tiny_region(21);
    store.import_region(&region).await.unwrap();
    assert_eq!(
        store.latest_change_number().await.unwrap(),
        0,
        "no entry yet"
    );
    let instrument = region.instruments[0].id;
    change_an_instrument(store, instrument, 3).await;
    let written = store.changes_since(0, 100).await.unwrap();
    assert_eq!(written.len(), 3);

    // Asked by number: only those that exist, oldest first, each once.
    let asked = [
        written[1].seq,
        written[0].seq,
        written[2].seq + 1_000,
        written[0].seq,
    ];
    assert_eq!(
        store.changes_numbered(&asked).await.unwrap(),
        written[..2].to_vec()
    );
    assert!(store.changes_numbered(&[]).await.unwrap().is_empty());

    assert_eq!(store.latest_change_number().await.unwrap(), written[2].seq);
    let now = Instant::now();
    let cursor = ChangeCursor::at_latest(store, now).await.unwrap();
    assert_eq!(cursor.high_water(), written[2].seq);
    assert_eq!(cursor.skipped_numbers(), 0, "nothing is missing");

    change_an_instrument(store, instrument, 2).await;
    let (read, moved) = cursor.read(store, 100, now).await.unwrap();
    let after = store.changes_since(written[2].seq, 100).await.unwrap();
    assert_eq!(read, after, "the two new entries, and only those");
    assert_eq!(moved.high_water(), after[1].seq);
    let (again, _) = moved.read(store, 100, now).await.unwrap();
    assert!(again.is_empty(), "read once: {again:?}");
    // A limit leaves the rest to the next read.
    let (first, limited) = cursor.read(store, 1, now).await.unwrap();
    assert_eq!(numbers(&first), [after[0].seq]);
    let (second, _) = limited.read(store, 1, now).await.unwrap();
    assert_eq!(numbers(&second), [after[1].seq]);
}

/// Takes a change-log number in a transaction of its own and leaves it uncommitted.
async fn take_a_number(pool: &sqlx::PgPool) -> (sqlx::Transaction<'static, sqlx::Postgres>, i64) {
    let mut transaction = pool.begin().await.unwrap();
    let number: i64 = sqlx::query_scalar(
        "INSERT INTO change_log (entity, entity_id, operation, occurred_at) VALUES ('instrument', 1, 'upsert', now()) RETURNING seq",
    )
    .fetch_one(&mut *transaction)
    .await
    .unwrap();
    (transaction, number)
}

/// On PostgreSQL a transaction can commit its change-log entry after seventy later-numbered
/// ones have committed and been read (the follower's old re-read window was 64 entries): the
/// cursor still reads it, once. A number whose transaction rolled back is asked for until
/// `LATE_COMMIT_PATIENCE` has passed, then given up; one still uncommitted when a cursor is
/// made is read when it commits.
#[tokio::test]
async fn postgres_a_change_cursor_reads_a_late_commit() {
    let test_store = crate::support::postgres().await;
    let store: &dyn Store = &test_store.store;
    let pool = test_store.raw_pool().await;
    let region = tiny_region(22);
    store.import_region(&region).await.unwrap();
    let instrument = region.instruments[0].id;
    let now = Instant::now();
    let cursor = ChangeCursor::at_latest(store, now).await.unwrap();

    let (late, late_number) = take_a_number(&pool).await;
    change_an_instrument(store, instrument, 70).await;
    let (read, cursor) = cursor.read(store, 10_000, now).await.unwrap();
    assert_eq!(read.len(), 70);
    assert!(!numbers(&read).contains(&late_number));
    assert_eq!(
        cursor.skipped_numbers(),
        1,
        "the uncommitted number is remembered"
    );
    late.commit().await.unwrap();
    let (read, cursor) = cursor.read(store, 10_000, now).await.unwrap();
    assert_eq!(numbers(&read), [late_number], "the late commit, read once");
    assert_eq!(cursor.skipped_numbers(), 0);

    let (rolled_back, rolled_back_number) = take_a_number(&pool).await;
    rolled_back.rollback().await.unwrap();
    change_an_instrument(store, instrument, 1).await;
    let (read, cursor) = cursor.read(store, 10_000, now).await.unwrap();
    assert_eq!(read.len(), 1);
    assert!(read[0].seq > rolled_back_number);
    assert_eq!(cursor.skipped_numbers(), 1);
    let (read, cursor) = cursor
        .read(
            store,
            10_000,
            now + LATE_COMMIT_PATIENCE - Duration::from_secs(1),
        )
        .await
        .unwrap();
    assert!(read.is_empty());
    assert_eq!(cursor.skipped_numbers(), 1, "still waited for");
    let (read, cursor) = cursor
        .read(store, 10_000, now + LATE_COMMIT_PATIENCE)
        .await
        .unwrap();
    assert!(read.is_empty());
    assert_eq!(cursor.skipped_numbers(), 0, "given up after the patience");

    let (pending, pending_number) = take_a_number(&pool).await;
    change_an_instrument(store, instrument, 1).await;
    let started = ChangeCursor::at_latest(store, now).await.unwrap();
    assert!(started.high_water() > pending_number);
    assert_eq!(
        started.skipped_numbers(),
        2,
        "a new cursor looks back for it (and for the rolled-back number)"
    );
    pending.commit().await.unwrap();
    let (read, _) = started.read(store, 10_000, now).await.unwrap();
    assert_eq!(numbers(&read), [pending_number]);

    drop(cursor);
    pool.close().await;
    test_store.drop_schema().await;
}
