//! Voucher expiry, part of the voucher contract: 30 days after a programme's last day its
//! vouchers' open holds are released and what is left returns to the budget, once.

use corridor_domain::voucher::RedemptionMode;
use corridor_domain::Fen;
use corridor_store::{BookingChange, Store, VoucherBookingAttempt, VoucherPaymentState};
use jiff::civil::date;
use jiff::SignedDuration;

use crate::booking_contract::{actor, at, now, range, request};
use crate::voucher_contract::{issue, programme_totals_match_the_vouchers, voucher_fixture};

pub async fn expired_vouchers_release_their_holds_and_return_the_rest(store: &dyn Store) {
    use corridor_domain::BookingStatus;
    let fixture = voucher_fixture(store, RedemptionMode::ProviderRedeems).await;
    let voucher = issue(store, &fixture, 200_000).await;
    let industry = fixture.booking.industry;
    // Two hours at 500 yuan/h: the voucher holds 60,000 and has 140,000 left.
    let VoucherBookingAttempt::Booked { booking, .. } = store
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
        panic!("expected a booking")
    };
    let budget_before = store
        .voucher_programme(fixture.programme)
        .await
        .unwrap()
        .unwrap()
        .budget_available;
    let totals = programme_totals_match_the_vouchers(store, &fixture).await;
    assert_eq!(
        (totals.vouchers, totals.issued, totals.held, totals.returned),
        (1, Fen(200_000), Fen(60_000), Fen(0))
    );
    let expire = |today| async move {
        store
            .expire_vouchers(today, now(), &actor(fixture.officer))
            .await
            .unwrap()
    };
    // The programme runs through 2030; claims stay open for thirty days after.
    assert_eq!(
        expire(date(2031, 1, 30)).await,
        corridor_store::VoucherExpiry::default()
    );
    assert_eq!(
        store
            .voucher(voucher.id)
            .await
            .unwrap()
            .unwrap()
            .available(),
        Fen(140_000)
    );
    let expired = expire(date(2031, 1, 31)).await;
    assert_eq!(
        (expired.vouchers, expired.holds_released, expired.returned),
        (1, 1, Fen(200_000))
    );
    let after = store.voucher(voucher.id).await.unwrap().unwrap();
    assert_eq!(
        (
            after.available(),
            after.balances.debits_pending,
            after.balances.debits_posted
        ),
        (Fen(0), 0, 200_000)
    );
    assert_eq!(
        store
            .voucher_programme(fixture.programme)
            .await
            .unwrap()
            .unwrap()
            .budget_available,
        Fen(budget_before.0 + 200_000)
    );
    let totals = programme_totals_match_the_vouchers(store, &fixture).await;
    assert_eq!(
        (totals.held, totals.redeemed, totals.returned),
        (Fen(0), Fen(0), Fen(200_000))
    );
    let payment = store
        .voucher_payment_of_booking(booking.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(payment.state, VoucherPaymentState::Released);
    // Running it again changes nothing; usage recorded later redeems nothing.
    assert_eq!(
        expire(date(2031, 3, 1)).await,
        corridor_store::VoucherExpiry::default()
    );
    let BookingChange::Done { booking: used, .. } = store
        .record_usage(
            booking.id,
            120,
            now() + SignedDuration::from_hours(24 * 30),
            &actor(fixture.officer),
        )
        .await
        .unwrap()
    else {
        panic!("usage refused")
    };
    assert_eq!(used.status, BookingStatus::Completed);
    assert_eq!(
        store
            .voucher_payment_of_booking(booking.id)
            .await
            .unwrap()
            .unwrap()
            .state,
        VoucherPaymentState::Released
    );
    assert!(store.reconcile_ledger().await.unwrap().is_consistent());
    assert_eq!(store.count_overdrawn_accounts().await.unwrap(), 0);
}
