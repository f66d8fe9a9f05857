//! Money that stays right when people correct things (issue 30): what a voucher has paid for
//! a booking is, at every moment, nothing while the booking holds its time, nothing once it
//! was cancelled, and the programme's share of its *current* charge once usage was recorded,
//! however often usage is recorded again; every correction is a compensating transfer, the
//! books balance, and the settlement counts the corrections.

use corridor_domain::voucher::RedemptionMode;
use corridor_domain::{BookingId, Fen, TimeRange};
use corridor_store::{
    BookingActor, BookingChange, Store, VoucherBookingAttempt, VoucherPaymentState,
};
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config, TestRunner};

use crate::booking_contract::{actor, at, now, range, request};
use crate::voucher_contract::{issue, voucher_fixture, VoucherFixture};

/// Everything the store promises about vouchers and the ledger, checked independently.
async fn books_are_right(store: &dyn Store, context: &str) {
    let mismatches = store.voucher_payment_mismatches().await.unwrap();
    assert!(mismatches.is_empty(), "{context}: {mismatches:?}");
    let reconciliation = store.reconcile_ledger().await.unwrap();
    assert!(
        reconciliation.is_consistent(),
        "{context}: {reconciliation:?}"
    );
    assert_eq!(
        store.count_overdrawn_accounts().await.unwrap(),
        0,
        "{context}"
    );
}

async fn book_with_voucher(
    store: &dyn Store,
    fixture: &VoucherFixture,
    voucher: corridor_domain::voucher::VoucherId,
    slot: TimeRange,
) -> Option<BookingId> {
    match store
        .create_booking_with_voucher(
            &request(&fixture.booking, fixture.booking.industry, slot),
            voucher,
            now(),
            &actor(fixture.booking.industry),
        )
        .await
        .unwrap()
    {
        VoucherBookingAttempt::Booked { booking, .. } => Some(booking.id),
        _ => None,
    }
}

async fn redeemed(store: &dyn Store, booking: BookingId) -> VoucherPaymentState {
    store
        .voucher_payment_of_booking(booking)
        .await
        .unwrap()
        .unwrap()
        .state
}

/// Findings 1 of issue 30, as reported: usage recorded as 30 minutes and then as 0 left the
/// redemption at the 30 minutes' share; a booking corrected from its whole length down to 30
/// minutes ended paid in full by the programme.
pub async fn usage_recorded_again_settles_the_voucher_again(store: &dyn Store) {
    let fixture = voucher_fixture(store, RedemptionMode::ProviderRedeems).await;
    let voucher = issue(store, &fixture, 400_000).await;
    let officer = actor(fixture.officer);

    // A 2-hour booking at 50,000 fen an hour: the voucher holds 60%, 60,000.
    let first = book_with_voucher(
        store,
        &fixture,
        voucher.id,
        range(at(7, 10, 0), at(7, 12, 0)),
    )
    .await
    .unwrap();
    let after = at(7, 13, 0);
    store
        .record_usage(first, 30, after, &officer)
        .await
        .unwrap();
    assert_eq!(
        redeemed(store, first).await,
        VoucherPaymentState::Redeemed {
            amount: Fen(15_000)
        }
    );
    store.record_usage(first, 0, after, &officer).await.unwrap();
    assert_eq!(
        redeemed(store, first).await,
        VoucherPaymentState::Redeemed { amount: Fen(0) }
    );
    books_are_right(store, "usage 30 then 0").await;

    // Four hours booked and used, then corrected to 30 minutes: 60% of 25,000.
    let second = book_with_voucher(
        store,
        &fixture,
        voucher.id,
        range(at(8, 10, 0), at(8, 14, 0)),
    )
    .await
    .unwrap();
    let after = at(8, 15, 0);
    store
        .record_usage(second, 240, after, &officer)
        .await
        .unwrap();
    assert_eq!(
        redeemed(store, second).await,
        VoucherPaymentState::Redeemed {
            amount: Fen(120_000)
        }
    );
    store
        .record_usage(second, 30, after, &officer)
        .await
        .unwrap();
    let booking = store.booking(second).await.unwrap().unwrap();
    assert_eq!(booking.charged, Some(Fen(25_000)));
    assert_eq!(
        redeemed(store, second).await,
        VoucherPaymentState::Redeemed {
            amount: Fen(15_000)
        }
    );
    books_are_right(store, "usage 240 then 30").await;

    // What went back to the voucher is spendable again: 400,000 less 15,000 and 0 paid.
    assert_eq!(
        store
            .voucher(voucher.id)
            .await
            .unwrap()
            .unwrap()
            .available(),
        Fen(385_000)
    );
    // The settlement counts the corrections: the claimant is owed 15,000, not 135,000 or
    // 150,000.
    let statement = store
        .settlement_statement(now(), at(30, 0, 0))
        .await
        .unwrap();
    let owed: i64 = statement.iter().map(|row| row.amount.0).sum();
    assert_eq!(owed, 15_000, "{statement:?}");
}

/// A correction upwards needs the voucher to have the difference: when it has been spent on
/// other bookings meanwhile, the usage record is refused and nothing changes.
pub async fn a_correction_the_voucher_cannot_cover_changes_nothing(store: &dyn Store) {
    let fixture = voucher_fixture(store, RedemptionMode::EnterpriseRedeems).await;
    let voucher = issue(store, &fixture, 70_000).await;
    let officer = actor(fixture.officer);
    // Held 60,000 of 70,000; used 30 minutes: 15,000 redeemed, 55,000 left.
    let booking = book_with_voucher(
        store,
        &fixture,
        voucher.id,
        range(at(7, 10, 0), at(7, 12, 0)),
    )
    .await
    .unwrap();
    let after = at(7, 13, 0);
    store
        .record_usage(booking, 30, after, &officer)
        .await
        .unwrap();
    // Another booking holds 54,000 of what is left (1h 48min at 50,000 fen an hour = 90,000).
    book_with_voucher(
        store,
        &fixture,
        voucher.id,
        range(at(9, 10, 0), at(9, 11, 30)),
    )
    .await
    .unwrap();
    let left = store
        .voucher(voucher.id)
        .await
        .unwrap()
        .unwrap()
        .available();
    assert!(left < Fen(45_000), "{left}");
    // Usage corrected to the full two hours wants 45,000 more.
    let change = store
        .record_usage(booking, 120, after, &officer)
        .await
        .unwrap();
    assert!(
        matches!(change, BookingChange::VoucherCannotCover(_)),
        "{change:?}"
    );
    let unchanged = store.booking(booking).await.unwrap().unwrap();
    assert_eq!(
        (unchanged.usage_minutes, unchanged.charged),
        (Some(30), Some(Fen(25_000)))
    );
    assert_eq!(
        redeemed(store, booking).await,
        VoucherPaymentState::Redeemed {
            amount: Fen(15_000)
        }
    );
    books_are_right(store, "refused correction").await;
}

/// One step of a random history of voucher-paid bookings.
#[derive(Debug, Clone)]
enum Step {
    /// Book `hours` hours on day `day` (of 20) from 10:00.
    Book {
        day: u8,
        hours: u8,
    },
    /// Record `minutes` of usage for the `which`-th booking made so far (modulo their count).
    Usage {
        which: u8,
        minutes: u16,
    },
    /// Move it to day `day`, `hours` long.
    Reschedule {
        which: u8,
        day: u8,
        hours: u8,
    },
    Cancel {
        which: u8,
    },
}

fn step() -> impl Strategy<Value = Step> {
    use proptest::prelude::*;
    prop_oneof![
        (0u8..20, 1u8..4).prop_map(|(day, hours)| Step::Book { day, hours }),
        (any::<u8>(), 0u16..300).prop_map(|(which, minutes)| Step::Usage { which, minutes }),
        (any::<u8>(), 0u8..20, 1u8..4).prop_map(|(which, day, hours)| Step::Reschedule {
            which,
            day,
            hours
        }),
        any::<u8>().prop_map(|which| Step::Cancel { which }),
    ]
}

/// The invariant holds after every step of random sequences of booking, usage, usage again,
/// rescheduling and cancelling over one voucher, and after the programme's vouchers expire.
/// The cases share one store (each in weeks of its own); proptest draws them (no shrinking:
/// the steps run on an asynchronous store, and a failure prints its whole sequence).
pub async fn voucher_payments_follow_every_correction(store: &dyn Store) {
    const CASES: u32 = 10;
    let fixture = voucher_fixture(store, RedemptionMode::ProviderRedeems).await;
    let voucher = issue(store, &fixture, 450_000).await;
    let officer = actor(fixture.officer);
    let industry = fixture.booking.industry;
    // The cases book up to seven months ahead.
    let rules = corridor_domain::CalendarRules::standard()
        .with_booking_horizon_days(400)
        .unwrap();
    store
        .update_calendar_rules(fixture.booking.instrument, &rules, &officer)
        .await
        .unwrap();
    let mut runner = TestRunner::new(Config {
        cases: CASES,
        ..Config::default()
    });
    let history = proptest::collection::vec(step(), 4..12);
    for case in 0..CASES {
        let steps = history.new_tree(&mut runner).unwrap().current();
        // Each case books in its own three weeks, so cases never take each other's slots.
        let base_day = 7 + 21 * i64::from(case);
        let slot = |day: u8, hours: u8| {
            let day = base_day + i64::from(day);
            range(at(day, 10, 0), at(day, 10 + i64::from(hours), 0))
        };
        let mut bookings: Vec<BookingId> = Vec::new();
        for (index, step) in steps.iter().enumerate() {
            let pick = |which: u8| {
                bookings
                    .get(usize::from(which) % bookings.len().max(1))
                    .copied()
            };
            match *step {
                Step::Book { day, hours } => {
                    if let Some(booking) =
                        book_with_voucher(store, &fixture, voucher.id, slot(day, hours)).await
                    {
                        bookings.push(booking);
                    }
                }
                Step::Usage { which, minutes } => {
                    if let Some(booking) = pick(which) {
                        let record = store.booking(booking).await.unwrap().unwrap();
                        let after = record.range.end + jiff::SignedDuration::from_hours(1);
                        store
                            .record_usage(booking, i64::from(minutes), after, &officer)
                            .await
                            .unwrap();
                    }
                }
                Step::Reschedule { which, day, hours } => {
                    if let Some(booking) = pick(which) {
                        store
                            .reschedule_booking(
                                booking,
                                slot(day, hours),
                                BookingActor::Owner(industry),
                                now(),
                                &actor(industry),
                            )
                            .await
                            .unwrap();
                    }
                }
                Step::Cancel { which } => {
                    if let Some(booking) = pick(which) {
                        store
                            .cancel_booking(
                                booking,
                                BookingActor::Manager(fixture.officer),
                                now(),
                                &officer,
                            )
                            .await
                            .unwrap();
                    }
                }
            }
            books_are_right(
                store,
                &format!("case {case}, after step {index} of {steps:?}"),
            )
            .await;
        }
    }
    // The programme (2030) expires in 2031: open holds are released, what is left returns to
    // the budget, and every booking's payment still matches.
    store
        .expire_vouchers(jiff::civil::date(2031, 2, 28), now(), &officer)
        .await
        .unwrap();
    books_are_right(store, "after expiry").await;
}

/// One of issue 30's rules: a voucher is judged on the day of the service, not the day of
/// booking, so a hold can never outlive its programme's grace.
pub async fn a_voucher_pays_only_for_services_on_its_programmes_days(store: &dyn Store) {
    let fixture = voucher_fixture(store, RedemptionMode::ProviderRedeems).await;
    let voucher = issue(store, &fixture, 100_000).await;
    let rules = corridor_domain::CalendarRules::standard()
        .with_booking_horizon_days(400)
        .unwrap();
    store
        .update_calendar_rules(fixture.booking.instrument, &rules, &actor(fixture.officer))
        .await
        .unwrap();
    // Booked on 2030-01-07, inside the programme (2030); the service is on 2031-01-02.
    let late = range(at(360, 10, 0), at(360, 11, 0));
    let attempt = store
        .create_booking_with_voucher(
            &request(&fixture.booking, fixture.booking.industry, late),
            voucher.id,
            now(),
            &actor(fixture.booking.industry),
        )
        .await
        .unwrap();
    assert_eq!(
        attempt,
        VoucherBookingAttempt::Refused(
            corridor_domain::voucher::VoucherRefusal::ProgrammeNotValid(jiff::civil::date(
                2031, 1, 2
            ))
        )
    );
    assert_eq!(
        store
            .voucher(voucher.id)
            .await
            .unwrap()
            .unwrap()
            .available(),
        Fen(100_000),
        "nothing held"
    );
    books_are_right(store, "a late service").await;
}
