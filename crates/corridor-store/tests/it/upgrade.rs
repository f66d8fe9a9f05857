//! Upgrading a database that an earlier release wrote: `fixtures/upgrade.*.sql` are dumps of
//! a small database written by the store at an older schema (see
//! `examples/upgrade_fixture.rs`, which says when to regenerate them), with bookings in every
//! status, a voucher paying for a held and for a redeemed booking, a session and an API token.
//! Every migration added since runs over it; every table keeps every row (counts and key
//! sums), and what the new schema serves works on the old rows. Run on SQLite and PostgreSQL.

use corridor_domain::BookingId;
use corridor_store::{AuditContext, BookingChange, Store, VoucherPaymentState};
use jiff::{SignedDuration, Timestamp};

const SQLITE_DUMP: &str = include_str!("fixtures/upgrade.sqlite.sql");
const POSTGRES_DUMP: &str = include_str!("fixtures/upgrade.postgres.sql");

/// The fixture's clock (`examples/upgrade_fixture.rs`): its rows are as of this instant.
fn fixture_now() -> Timestamp {
    "2030-01-07T00:00:00Z".parse().unwrap()
}

/// The fixture's session and API token, by the hashes it stored.
const SESSION_HASH: &str = "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff";
const TOKEN_HASH: &str = "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee";

async fn an_upgrade_keeps_every_row(store: &dyn Store) {
    let before = store.table_counts().await.unwrap();
    assert!(
        before.rows("bookings") >= 5 && before.rows("ledger_transfers") > 0,
        "the fixture holds bookings and transfers: {before:?}"
    );

    store
        .migrate()
        .await
        .expect("the migrations since the fixture's release run over its data");
    let after = store.table_counts().await.unwrap();
    for (table, counts) in &before.tables {
        assert_eq!(
            after.tables.get(table),
            Some(counts),
            "{table} changed in the upgrade"
        );
    }
    println!(
        "upgrade: {} tables, {} rows kept",
        before.tables.len(),
        before.tables.values().map(|(rows, _)| rows).sum::<i64>()
    );

    // Old calendars take the default booking horizon.
    let first = store
        .booking(BookingId(1))
        .await
        .unwrap()
        .expect("booking 1");
    let rules = store
        .calendar_rules(first.instrument)
        .await
        .unwrap()
        .expect("its calendar");
    assert_eq!(rules.booking_horizon_days, 180);

    // Tokens made before tokens expired live 90 days from their creation, and can be listed.
    let user = store
        .session_user(SESSION_HASH)
        .await
        .unwrap()
        .expect("the fixture's session survives");
    let tokens = store.api_tokens_of_user(user.id).await.unwrap();
    assert_eq!(tokens.len(), 1, "{tokens:?}");
    assert_eq!(
        tokens[0].expires_at,
        tokens[0].created_at + SignedDuration::from_hours(24 * 90)
    );
    assert_eq!(tokens[0].revoked_at, None);
    let token_is_live = store.api_token_user(TOKEN_HASH).await.unwrap().is_some();
    assert_eq!(token_is_live, tokens[0].expires_at > Timestamp::now());

    // Usage recorded again on a booking the voucher paid before the upgrade is corrected by a
    // compensating transfer: the voucher then pays its share of the new charge.
    let mut redeemed = None;
    for id in 1..=20 {
        if let Some(payment) = store
            .voucher_payment_of_booking(BookingId(id))
            .await
            .unwrap()
        {
            if matches!(payment.state, VoucherPaymentState::Redeemed { .. }) {
                redeemed = Some((BookingId(id), payment));
            }
        }
    }
    let (booking, payment) = redeemed.expect("the fixture's redeemed voucher booking");
    let record = store.booking(booking).await.unwrap().unwrap();
    let context = AuditContext::default();
    let BookingChange::Done {
        booking: corrected, ..
    } = store
        .record_usage(booking, 15, record.range.end, &context)
        .await
        .unwrap()
    else {
        panic!("usage can be recorded again")
    };
    let after_correction = store
        .voucher_payment_of_booking(booking)
        .await
        .unwrap()
        .unwrap();
    let VoucherPaymentState::Redeemed { amount } = after_correction.state else {
        panic!("{after_correction:?}")
    };
    let VoucherPaymentState::Redeemed {
        amount: first_amount,
    } = payment.state
    else {
        unreachable!()
    };
    assert!(amount < first_amount, "{amount:?} after {first_amount:?}");
    assert_eq!(corrected.usage_minutes, Some(15));
    assert!(store.voucher_payment_mismatches().await.unwrap().is_empty());

    // The voucher expires once its programme's claims close, its remaining hold released, and
    // the books still balance.
    let expired = store
        .expire_vouchers(
            jiff::civil::date(2031, 6, 30),
            fixture_now() + SignedDuration::from_hours(24 * 540),
            &context,
        )
        .await
        .unwrap();
    assert_eq!((expired.vouchers, expired.holds_released), (1, 1));
    assert!(store.reconcile_ledger().await.unwrap().is_consistent());
    assert!(store.voucher_payment_mismatches().await.unwrap().is_empty());
}

#[tokio::test]
async fn sqlite_upgrades_from_the_fixture_release() {
    let store = crate::support::sqlite_from_dump(SQLITE_DUMP).await;
    an_upgrade_keeps_every_row(&store.store).await;
}

#[tokio::test]
async fn postgres_upgrades_from_the_fixture_release() {
    let store = crate::support::postgres_from_dump(POSTGRES_DUMP).await;
    an_upgrade_keeps_every_row(&store.store).await;
    store.drop_schema().await;
}
