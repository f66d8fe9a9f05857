//! Upgrading a database that the previous schema version created, with data in it: the
//! newest migration runs over bookings, a voucher and a voucher-held booking written by the
//! store at the old schema, and every table keeps every row (counts and id sums); what the
//! new schema serves then works on the old rows. Run on SQLite and PostgreSQL.

use corridor_domain::voucher::RedemptionMode;
use corridor_store::{Store, VoucherBookingAttempt};
use jiff::civil::date;

use crate::booking_contract::{actor, at, now, range, request};
use crate::voucher_contract::{issue, voucher_fixture};

/// `store` is at the previous schema (see `support::*_at_previous_schema`).
async fn an_upgrade_keeps_every_row(store: &dyn Store) {
    let fixture = voucher_fixture(store, RedemptionMode::ProviderRedeems).await;
    let voucher = issue(store, &fixture, 200_000).await;
    let industry = fixture.booking.industry;
    let VoucherBookingAttempt::Booked { .. } = store
        .create_booking_with_voucher(
            &request(
                &fixture.booking,
                industry,
                range(at(7, 10, 0), at(7, 12, 0)),
            ),
            voucher.id,
            now(),
            &actor(industry),
        )
        .await
        .unwrap()
    else {
        panic!("the old schema books with a voucher")
    };
    let before = store.table_counts().await.unwrap();
    assert!(before.rows("bookings") > 0 && before.rows("ledger_transfers") > 0);

    store
        .migrate()
        .await
        .expect("the newest migration runs over the data");
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

    // The upgraded database serves what the new schema adds, on the old rows: the voucher
    // expires once its programme's claims close, its hold released, the ledger sound.
    let expired = store
        .expire_vouchers(date(2031, 1, 31), now(), &actor(fixture.officer))
        .await
        .unwrap();
    assert_eq!((expired.vouchers, expired.holds_released), (1, 1));
    assert!(store.reconcile_ledger().await.unwrap().is_consistent());
}

#[tokio::test]
async fn sqlite_upgrades_from_the_previous_schema() {
    let store = crate::support::sqlite_at_previous_schema().await;
    an_upgrade_keeps_every_row(&store.store).await;
}

#[tokio::test]
async fn postgres_upgrades_from_the_previous_schema() {
    let store = crate::support::postgres_at_previous_schema().await;
    an_upgrade_keeps_every_row(&store.store).await;
    store.drop_schema().await;
}
