//! The voucher contract: programmes fund their budget, applications are checked and decided,
//! bookings paid with a voucher hold its share atomically, and the hold ends with the booking.

use corridor_domain::voucher::{
    ApplicationStatus, ProviderScope, RedemptionMode, VoucherProgramme, VoucherProgrammeId,
    VoucherRefusal,
};
use corridor_domain::{BookingMode, Fen, InstitutionId, ProvinceCode, UserId};
use corridor_store::{
    BookingActor, BookingChange, NewVoucherApplication, PageRequest, Store, VoucherBookingAttempt,
    VoucherDecision, VoucherPaymentState,
};
use jiff::civil::date;
use jiff::SignedDuration;

use crate::booking_contract::{actor, at, fixture, now, range, request, Fixture};

pub struct VoucherFixture {
    pub booking: Fixture,
    pub enterprise: InstitutionId,
    pub programme: VoucherProgrammeId,
    pub officer: UserId,
}

fn programme(province: ProvinceCode, mode: RedemptionMode) -> VoucherProgramme {
    VoucherProgramme {
        id: VoucherProgrammeId(0),
        province,
        name_en: "Innovation vouchers 2030".into(),
        name_zh: "2030年创新券".into(),
        budget: Fen(1_000_000),
        co_funding_percent: 60,
        annual_cap_per_enterprise: Fen(500_000),
        valid_from: date(2030, 1, 1),
        valid_until: date(2030, 12, 31),
        eligible_categories: Vec::new(),
        provider_scope: ProviderScope::WholeRegion,
        redemption_mode: mode,
    }
}

/// The booking fixture (an instant-booking instrument at 200 yuan/h for other academics and
/// 500 yuan/h for industry) and a programme of the industry user's province.
pub async fn voucher_fixture(store: &dyn Store, mode: RedemptionMode) -> VoucherFixture {
    let booking = fixture(store, BookingMode::Instant, false).await;
    let enterprise = store
        .user(booking.industry)
        .await
        .unwrap()
        .unwrap()
        .home_institution;
    let province = store
        .institution(enterprise)
        .await
        .unwrap()
        .unwrap()
        .province;
    let programme = store
        .create_voucher_programme(&programme(province, mode), &actor(booking.academic))
        .await
        .unwrap();
    VoucherFixture {
        officer: booking.academic,
        booking,
        enterprise,
        programme,
    }
}

pub async fn issue(
    store: &dyn Store,
    fixture: &VoucherFixture,
    fen: i64,
) -> corridor_store::VoucherRecord {
    let application = store
        .apply_for_voucher(
            &NewVoucherApplication {
                programme: fixture.programme,
                enterprise: fixture.enterprise,
                applicant: fixture.booking.industry,
                requested: Fen(fen),
                purpose: "Mass spectrometry of coatings".into(),
            },
            now(),
            &actor(fixture.booking.industry),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(application.status, ApplicationStatus::Submitted);
    match store
        .decide_voucher_application(
            application.id,
            true,
            None,
            Some("fits the programme"),
            now(),
            &actor(fixture.officer),
        )
        .await
        .unwrap()
    {
        VoucherDecision::Issued {
            voucher,
            application,
        } => {
            assert_eq!(application.status, ApplicationStatus::Approved);
            assert_eq!(application.voucher, Some(voucher.id));
            voucher
        }
        other => panic!("expected a voucher, got {other:?}"),
    }
}

/// The programme's totals (`voucher_programme_totals`) against its vouchers' own ledger
/// accounts, read one by one; answers the totals.
pub async fn programme_totals_match_the_vouchers(
    store: &dyn Store,
    fixture: &VoucherFixture,
) -> corridor_store::ProgrammeTotals {
    let totals = store.voucher_programme_totals().await.unwrap();
    let mine = *totals
        .iter()
        .find(|totals| totals.programme == fixture.programme)
        .expect("the programme has vouchers");
    let vouchers: Vec<corridor_store::VoucherRecord> = store
        .vouchers_of_enterprise(fixture.enterprise)
        .await
        .unwrap()
        .into_iter()
        .filter(|voucher| voucher.programme.id == fixture.programme)
        .collect();
    assert_eq!(mine.vouchers, vouchers.len() as u64);
    assert_eq!(
        mine.issued.0,
        vouchers.iter().map(|v| v.amount.0).sum::<i64>()
    );
    assert_eq!(
        mine.held.0,
        vouchers
            .iter()
            .map(|v| v.balances.debits_pending)
            .sum::<i64>()
    );
    assert_eq!(
        mine.redeemed.0 + mine.returned.0,
        vouchers
            .iter()
            .map(|v| v.balances.debits_posted)
            .sum::<i64>()
    );
    mine
}

pub async fn programmes_fund_budgets_and_applications_are_checked(store: &dyn Store) {
    let fixture = voucher_fixture(store, RedemptionMode::ProviderRedeems).await;
    let record = store
        .voucher_programme(fixture.programme)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(record.budget_available, Fen(1_000_000));
    let voucher = issue(store, &fixture, 300_000).await;
    assert_eq!(voucher.available(), Fen(300_000));
    assert_eq!(
        store
            .voucher_programme(fixture.programme)
            .await
            .unwrap()
            .unwrap()
            .budget_available,
        Fen(700_000)
    );

    // The annual cap counts what was issued before: 300,000 + 250,000 > 500,000.
    let refused = store
        .apply_for_voucher(
            &NewVoucherApplication {
                programme: fixture.programme,
                enterprise: fixture.enterprise,
                applicant: fixture.booking.industry,
                requested: Fen(250_000),
                purpose: "more".into(),
            },
            now(),
            &actor(fixture.booking.industry),
        )
        .await
        .unwrap();
    assert!(
        matches!(refused, Err(VoucherRefusal::AnnualCapExceeded { .. })),
        "{refused:?}"
    );
    // Only enterprises get vouchers.
    let academic_home = store
        .user(fixture.booking.academic)
        .await
        .unwrap()
        .unwrap()
        .home_institution;
    let refused = store
        .apply_for_voucher(
            &NewVoucherApplication {
                programme: fixture.programme,
                enterprise: academic_home,
                applicant: fixture.booking.academic,
                requested: Fen(1_000),
                purpose: "x".into(),
            },
            now(),
            &actor(fixture.booking.academic),
        )
        .await
        .unwrap();
    assert!(
        matches!(
            refused,
            Err(VoucherRefusal::NotAnEnterprise | VoucherRefusal::EnterpriseOutsideProvince)
        ),
        "{refused:?}"
    );

    // A rejected application issues nothing, and a decided one cannot be decided again.
    let application = store
        .apply_for_voucher(
            &NewVoucherApplication {
                programme: fixture.programme,
                enterprise: fixture.enterprise,
                applicant: fixture.booking.industry,
                requested: Fen(100_000),
                purpose: "x".into(),
            },
            now(),
            &actor(fixture.booking.industry),
        )
        .await
        .unwrap()
        .unwrap();
    let rejected = store
        .decide_voucher_application(
            application.id,
            false,
            None,
            Some("no"),
            now(),
            &actor(fixture.officer),
        )
        .await
        .unwrap();
    assert!(
        matches!(rejected, VoucherDecision::Rejected(ref a) if a.status == ApplicationStatus::Rejected && a.voucher.is_none())
    );
    let again = store
        .decide_voucher_application(
            application.id,
            true,
            None,
            None,
            now(),
            &actor(fixture.officer),
        )
        .await
        .unwrap();
    assert_eq!(
        again,
        VoucherDecision::AlreadyDecided(ApplicationStatus::Rejected)
    );
    let listed = store
        .voucher_applications(
            Some(fixture.programme),
            Some(ApplicationStatus::Approved),
            PageRequest::default(),
        )
        .await
        .unwrap();
    assert_eq!(listed.total, 1);
    assert_eq!(
        store
            .vouchers_of_enterprise(fixture.enterprise)
            .await
            .unwrap(),
        vec![voucher]
    );
    let filed = store
        .voucher_applications_of_enterprise(fixture.enterprise)
        .await
        .unwrap();
    let statuses: Vec<ApplicationStatus> =
        filed.iter().map(|application| application.status).collect();
    assert_eq!(
        statuses,
        [ApplicationStatus::Rejected, ApplicationStatus::Approved],
        "newest first"
    );
    let reconciliation = store.reconcile_ledger().await.unwrap();
    assert!(reconciliation.is_consistent(), "{reconciliation:?}");
    assert_eq!(store.count_overdrawn_accounts().await.unwrap(), 0);
}

pub async fn the_budget_is_never_overspent_by_approvals(store: &dyn Store) {
    let fixture = voucher_fixture(store, RedemptionMode::ProviderRedeems).await;
    let province = store
        .institution(fixture.enterprise)
        .await
        .unwrap()
        .unwrap()
        .province;
    let mut small = programme(province, RedemptionMode::ProviderRedeems);
    small.budget = Fen(400_000);
    let small = store
        .create_voucher_programme(&small, &actor(fixture.officer))
        .await
        .unwrap();
    let industry = fixture.booking.industry;
    let applicant = actor(industry);
    let officer = actor(fixture.officer);
    let application = |fen| NewVoucherApplication {
        programme: small,
        enterprise: fixture.enterprise,
        applicant: industry,
        requested: Fen(fen),
        purpose: "x".into(),
    };
    let (first, second) = (application(300_000), application(150_000));
    let apply = |application| store.apply_for_voucher(application, now(), &applicant);
    let first = apply(&first).await.unwrap().unwrap();
    // Both applications are within the cap when filed; only one fits the budget.
    let second = apply(&second).await.unwrap().unwrap();
    let decide = |id| store.decide_voucher_application(id, true, None, None, now(), &officer);
    assert!(matches!(
        decide(first.id).await.unwrap(),
        VoucherDecision::Issued { .. }
    ));
    assert_eq!(
        decide(second.id).await.unwrap(),
        VoucherDecision::BudgetExhausted {
            available: Fen(100_000)
        }
    );
    // The refusal left the application undecided and issued nothing.
    assert_eq!(
        store
            .voucher_application(second.id)
            .await
            .unwrap()
            .unwrap()
            .status,
        ApplicationStatus::Submitted
    );
    // Approving less than asked fits.
    let partial = store
        .decide_voucher_application(
            second.id,
            true,
            Some(Fen(100_000)),
            Some("what is left"),
            now(),
            &actor(fixture.officer),
        )
        .await
        .unwrap();
    let VoucherDecision::Issued { voucher, .. } = partial else {
        panic!("{partial:?}")
    };
    assert_eq!(voucher.amount, Fen(100_000));
    let record = store.voucher_programme(small).await.unwrap().unwrap();
    assert_eq!(
        (record.budget_available, record.issued),
        (Fen(0), Fen(400_000))
    );
    assert_eq!(store.count_overdrawn_accounts().await.unwrap(), 0);
}

pub async fn a_voucher_pays_its_share_and_the_hold_ends_with_the_booking(store: &dyn Store) {
    let fixture = voucher_fixture(store, RedemptionMode::ProviderRedeems).await;
    let voucher = issue(store, &fixture, 200_000).await;
    // Two hours at 500 yuan/h is 100,000 fen; the voucher pays 60%.
    let slot = range(at(7, 10, 0), at(7, 12, 0));
    let quote = store
        .quote_voucher_split(voucher.id, fixture.booking.instrument, Fen(100_000), now())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (quote.voucher_pays, quote.enterprise_pays),
        (Fen(60_000), Fen(40_000))
    );
    let industry = fixture.booking.industry;
    let attempt = store
        .create_booking_with_voucher(
            &request(&fixture.booking, industry, slot),
            voucher.id,
            now(),
            &actor(industry),
        )
        .await
        .unwrap();
    let VoucherBookingAttempt::Booked {
        booking, payment, ..
    } = attempt
    else {
        panic!("expected a booking, got {attempt:?}")
    };
    assert_eq!(booking.price, Fen(100_000));
    assert_eq!(payment.split, quote);
    assert_eq!(payment.state, VoucherPaymentState::Held);
    assert_eq!(
        store
            .voucher(voucher.id)
            .await
            .unwrap()
            .unwrap()
            .available(),
        Fen(140_000)
    );

    // Someone else's voucher cannot be used.
    let refused = store
        .create_booking_with_voucher(
            &request(
                &fixture.booking,
                fixture.booking.academic,
                range(at(8, 10, 0), at(8, 11, 0)),
            ),
            voucher.id,
            now(),
            &actor(fixture.booking.academic),
        )
        .await
        .unwrap();
    assert_eq!(
        refused,
        VoucherBookingAttempt::Refused(VoucherRefusal::NotYourVoucher)
    );
    // A taken slot books nothing and holds nothing.
    let taken = store
        .create_booking_with_voucher(
            &request(&fixture.booking, industry, slot),
            voucher.id,
            now(),
            &actor(industry),
        )
        .await
        .unwrap();
    assert!(
        matches!(taken, VoucherBookingAttempt::NotBooked(_)),
        "{taken:?}"
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

    // Usage of 90 minutes charges 75,000 fen; the voucher redeems 60% of that, 45,000.
    let after = at(7, 13, 0);
    let used = store
        .record_usage(booking.id, 90, after, &actor(fixture.officer))
        .await
        .unwrap();
    assert!(matches!(used, BookingChange::Done { .. }), "{used:?}");
    let payment = store
        .voucher_payment_of_booking(booking.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        payment.state,
        VoucherPaymentState::Redeemed {
            amount: Fen(45_000)
        }
    );
    assert_eq!(
        store
            .voucher(voucher.id)
            .await
            .unwrap()
            .unwrap()
            .available(),
        Fen(155_000)
    );
    // Recording usage again (120 minutes: 100,000 fen) moves the voucher's payment to 60% of
    // the new charge, 60,000, by a correction of 15,000: never redeemed twice, never left at
    // the old share.
    store
        .record_usage(booking.id, 120, after, &actor(fixture.officer))
        .await
        .unwrap();
    assert_eq!(
        store
            .voucher(voucher.id)
            .await
            .unwrap()
            .unwrap()
            .available(),
        Fen(140_000)
    );
    assert_eq!(
        store
            .voucher_payment_of_booking(booking.id)
            .await
            .unwrap()
            .unwrap()
            .state,
        VoucherPaymentState::Redeemed {
            amount: Fen(60_000)
        }
    );
    assert_eq!(store.voucher_payment_mismatches().await.unwrap(), vec![]);

    // A second booking is cancelled: its hold is released whole.
    let second_slot = range(at(9, 10, 0), at(9, 11, 0));
    let VoucherBookingAttempt::Booked {
        booking: second, ..
    } = store
        .create_booking_with_voucher(
            &request(&fixture.booking, industry, second_slot),
            voucher.id,
            now(),
            &actor(industry),
        )
        .await
        .unwrap()
    else {
        panic!("expected a second booking")
    };
    assert_eq!(
        store
            .voucher(voucher.id)
            .await
            .unwrap()
            .unwrap()
            .available(),
        Fen(110_000)
    );
    store
        .cancel_booking(
            second.id,
            BookingActor::Owner(industry),
            now(),
            &actor(industry),
        )
        .await
        .unwrap();
    assert_eq!(
        store
            .voucher_payment_of_booking(second.id)
            .await
            .unwrap()
            .unwrap()
            .state,
        VoucherPaymentState::Released
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

    // The settlement statement of the period sums the redemption and its correction, owed to
    // the provider: 60% of the corrected charge.
    let rows = store
        .settlement_statement(now(), after + SignedDuration::from_hours(1))
        .await
        .unwrap();
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0].amount, Fen(60_000));
    assert_eq!(rows[0].claimant, booking.institution);
    assert_eq!(rows[0].programme, fixture.programme);
    let provider_province = store
        .institution(booking.institution)
        .await
        .unwrap()
        .unwrap()
        .province;
    assert_eq!(rows[0].provider_province, provider_province);
    assert!(store
        .settlement_statement(
            after + SignedDuration::from_hours(1),
            after + SignedDuration::from_hours(2)
        )
        .await
        .unwrap()
        .is_empty());
    let reconciliation = store.reconcile_ledger().await.unwrap();
    assert!(reconciliation.is_consistent(), "{reconciliation:?}");
    assert_eq!(reconciliation.open_pending_transfers, 0);
    let totals = programme_totals_match_the_vouchers(store, &fixture).await;
    assert_eq!(
        (totals.held, totals.redeemed, totals.returned),
        (Fen(0), Fen(60_000), Fen(0))
    );
}

pub async fn a_hold_beyond_the_voucher_books_nothing(store: &dyn Store) {
    let fixture = voucher_fixture(store, RedemptionMode::EnterpriseRedeems).await;
    // 30,000 fen left; a two-hour booking would want 60,000, so the voucher pays what it has.
    let voucher = issue(store, &fixture, 30_000).await;
    let industry = fixture.booking.industry;
    let attempt = store
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
        .unwrap();
    let VoucherBookingAttempt::Booked {
        payment, booking, ..
    } = attempt
    else {
        panic!("{attempt:?}")
    };
    assert_eq!(
        (payment.split.voucher_pays, payment.split.enterprise_pays),
        (Fen(30_000), Fen(70_000))
    );
    // With enterprise redemption, the claim is the enterprise's.
    let claims = store
        .transfers_by_reference(&format!("booking:{}", booking.id.0))
        .await
        .unwrap();
    let claim_account = store
        .ledger_account(claims[0].transfer.credit_account)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        claim_account.owner,
        Some(format!(
            "programme:{}:institution:{}",
            fixture.programme.0, fixture.enterprise.0
        ))
    );
    // The voucher is empty now: the next booking is refused and nothing is booked.
    let next = store
        .create_booking_with_voucher(
            &request(
                &fixture.booking,
                industry,
                range(at(8, 10, 0), at(8, 11, 0)),
            ),
            voucher.id,
            now(),
            &actor(industry),
        )
        .await
        .unwrap();
    assert_eq!(
        next,
        VoucherBookingAttempt::Refused(VoucherRefusal::NothingLeft)
    );
    let mine = store
        .bookings_of_user(industry, PageRequest::default())
        .await
        .unwrap();
    assert_eq!(mine.total, 1);
}

pub async fn voucher_history_imports_through_the_ledger_rules(store: &dyn Store) {
    use corridor_domain::{BookingStatus, UserClass};
    use corridor_store::{HistoricalBooking, HistoricalVoucherGrant};
    let fixture = voucher_fixture(store, RedemptionMode::ProviderRedeems).await;
    let industry = fixture.booking.industry;
    // Three completed two-hour bookings at 500 yuan/h in the first days of 2030.
    let history: Vec<HistoricalBooking> = (1..=3)
        .map(|day| HistoricalBooking {
            instrument: fixture.booking.instrument,
            user: industry,
            range: range(at(-day, 9, 0), at(-day, 11, 0)),
            status: BookingStatus::Completed,
            user_class: UserClass::Industry,
            hourly_rate: Fen(50_000),
            price: Fen(100_000),
            usage_minutes: Some(120),
            charged: Some(Fen(100_000)),
            created_at: at(-day - 1, 9, 0),
        })
        .collect();
    store
        .import_booking_history(&[], &history, &[])
        .await
        .unwrap();
    let grant = |amount: i64| HistoricalVoucherGrant {
        programme: fixture.programme,
        enterprise: fixture.enterprise,
        applicant: industry,
        amount: Fen(amount),
        issued_at: at(-5, 9, 0),
        bookings: history
            .iter()
            .rev()
            .map(|booking| (booking.instrument, booking.user, booking.range.start))
            .collect(),
    };
    // The first grant pays 60% of the first booking (60,000), then what is left (40,000) of
    // the second, and nothing of the third; the second grant exceeds the budget and is skipped.
    let paid = store
        .import_voucher_history(&[grant(100_000), grant(2_000_000)])
        .await
        .unwrap();
    assert_eq!(paid, 2);
    let vouchers = store
        .vouchers_of_enterprise(fixture.enterprise)
        .await
        .unwrap();
    assert_eq!(vouchers.len(), 1);
    assert_eq!(vouchers[0].available(), Fen(0));
    assert_eq!(vouchers[0].balances.debits_posted, 100_000);
    let rows = store
        .settlement_statement(at(-10, 0, 0), now())
        .await
        .unwrap();
    assert_eq!(rows.iter().map(|row| row.amount.0).sum::<i64>(), 100_000);
    assert_eq!(rows.iter().map(|row| row.redemptions).sum::<u64>(), 2);
    let reconciliation = store.reconcile_ledger().await.unwrap();
    assert!(reconciliation.is_consistent(), "{reconciliation:?}");
    assert_eq!(store.count_overdrawn_accounts().await.unwrap(), 0);
}

pub async fn historical_holds_wait_for_the_usage_record(store: &dyn Store) {
    use corridor_domain::{BookingStatus, UserClass};
    use corridor_store::{HistoricalBooking, HistoricalVoucherGrant};
    let fixture = voucher_fixture(store, RedemptionMode::ProviderRedeems).await;
    let industry = fixture.booking.industry;
    // Yesterday's two hours at 500 yuan/h: the slot is over, its usage not yet recorded.
    let held = HistoricalBooking {
        instrument: fixture.booking.instrument,
        user: industry,
        range: range(at(-1, 9, 0), at(-1, 11, 0)),
        status: BookingStatus::Confirmed,
        user_class: UserClass::Industry,
        hourly_rate: Fen(50_000),
        price: Fen(100_000),
        usage_minutes: None,
        charged: None,
        created_at: at(-3, 9, 0),
    };
    store
        .import_booking_history(&[], std::slice::from_ref(&held), &[])
        .await
        .unwrap();
    let paid = store
        .import_voucher_history(&[HistoricalVoucherGrant {
            programme: fixture.programme,
            enterprise: fixture.enterprise,
            applicant: industry,
            amount: Fen(200_000),
            issued_at: at(-5, 9, 0),
            bookings: vec![(held.instrument, held.user, held.range.start)],
        }])
        .await
        .unwrap();
    assert_eq!(paid, 1);
    // 60% of the price is held, nothing is redeemed yet.
    let voucher = &store
        .vouchers_of_enterprise(fixture.enterprise)
        .await
        .unwrap()[0];
    assert_eq!(
        (voucher.available(), voucher.balances.debits_pending),
        (Fen(140_000), 60_000)
    );
    assert!(store
        .settlement_statement(at(-10, 0, 0), now())
        .await
        .unwrap()
        .is_empty());
    // Recording one hour of the two redeems 60% of the hour's 50,000 and releases the rest.
    let booking = store
        .bookings_of_user(industry, PageRequest::default())
        .await
        .unwrap()
        .items[0]
        .id;
    let held_awaiting_usage = || async {
        store
            .bookings_awaiting_usage(None, now(), true, PageRequest::default())
            .await
            .unwrap()
            .items
            .iter()
            .map(|booking| booking.id)
            .collect::<Vec<_>>()
    };
    assert_eq!(held_awaiting_usage().await, vec![booking]);
    let BookingChange::Done { booking: used, .. } = store
        .record_usage(booking, 60, now(), &actor(fixture.officer))
        .await
        .unwrap()
    else {
        panic!("usage refused")
    };
    assert_eq!(used.status, BookingStatus::Completed);
    let voucher = &store
        .vouchers_of_enterprise(fixture.enterprise)
        .await
        .unwrap()[0];
    assert_eq!(
        (
            voucher.available(),
            voucher.balances.debits_pending,
            voucher.balances.debits_posted
        ),
        (Fen(170_000), 0, 30_000)
    );
    assert_eq!(held_awaiting_usage().await, vec![]);
    let rows = store
        .settlement_statement(at(-10, 0, 0), now() + SignedDuration::from_secs(1))
        .await
        .unwrap();
    assert_eq!(
        rows.iter().map(|row| row.amount.0).collect::<Vec<_>>(),
        vec![30_000]
    );
    assert!(store.reconcile_ledger().await.unwrap().is_consistent());
}
