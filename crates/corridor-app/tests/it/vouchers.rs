//! The vouchers service's rules, each covered once: who runs which province's voucher office
//! (programmes, applications, decisions, the settlement and the console), the input limits,
//! whose voucher may be seen and spent, the typed refusals, the region's time zone for the
//! days a person gives, and the dashboard's sums.

use corridor_app::vouchers::{ApplicationDecision, NewProgramme, PeriodBound};
use corridor_app::{Actor, AppError, Refusal};
use corridor_domain::analytics::Period;
use corridor_domain::voucher::{
    ApplicationStatus, ProviderScope, RedemptionMode, VoucherProgrammeId, VoucherRefusal,
};
use corridor_domain::{
    BookingMode, BookingStatus, Fen, InstitutionKind, ProvinceCode, Role, RoleScope, TimeRange,
    User, UserClass,
};
use corridor_store::{HistoricalBooking, HistoricalVoucherGrant, PageRequest};
use jiff::{SignedDuration, Timestamp};

use crate::support::{actor, predictable_instrument, shanghai_slot, test_app, TestApp};

/// A user whose home institution is an enterprise of one of the region's provinces, with
/// that province.
async fn company(test: &TestApp) -> (&User, ProvinceCode) {
    for user in &test.users {
        let home = test
            .store
            .institution(user.home_institution)
            .await
            .unwrap()
            .unwrap();
        if home.institution.kind == InstitutionKind::Corporation && home.province.is_in_region() {
            return (user, home.province);
        }
    }
    panic!("the test region has no enterprise in the region")
}

/// A user who runs the voucher office of `province` (and no other).
fn office_of(test: &TestApp, province: ProvinceCode) -> &User {
    test.users
        .iter()
        .find(|user| {
            user.roles.iter().any(|grant| {
                grant.role == Role::VoucherOffice && grant.scope == RoleScope::Province(province)
            })
        })
        .unwrap_or_else(|| panic!("the test region has no voucher office of {province:?}"))
}

/// A province of the region other than those given.
fn another_province(except: &[ProvinceCode]) -> ProvinceCode {
    ProvinceCode::ALL
        .into_iter()
        .find(|province| province.is_in_region() && !except.contains(province))
        .unwrap()
}

/// Today in the region's time zone.
fn today(test: &TestApp) -> jiff::civil::Date {
    Timestamp::now()
        .to_zoned(test.app.region_time_zone().clone())
        .date()
}

/// A programme of `province` valid from last year to next year, paying 60% anywhere in the
/// region, at most 5,000 yuan per enterprise and year.
fn programme_of(province: ProvinceCode, budget: Fen) -> NewProgramme {
    let year = Timestamp::now().to_zoned(jiff::tz::TimeZone::UTC).year();
    NewProgramme {
        province,
        name_en: "Test vouchers".into(),
        name_zh: "测试创新券".into(),
        budget,
        co_funding_percent: 60,
        annual_cap_per_enterprise: Fen(500_000),
        valid_from: jiff::civil::date(year - 1, 1, 1),
        valid_until: jiff::civil::date(year + 1, 12, 31),
        eligible_categories: Vec::new(),
        provider_scope: ProviderScope::WholeRegion,
        redemption_mode: RedemptionMode::ProviderRedeems,
    }
}

fn approve(amount: Option<Fen>, note: Option<&str>) -> ApplicationDecision {
    ApplicationDecision {
        approve: true,
        amount,
        note: note.map(str::to_owned),
    }
}

fn is_forbidden<T: std::fmt::Debug>(result: Result<T, AppError>) -> bool {
    matches!(result, Err(AppError::Forbidden(_)))
}

fn invalid_field<T: std::fmt::Debug>(result: Result<T, AppError>) -> String {
    match result {
        Err(AppError::Invalid { field, .. }) => field,
        other => panic!("expected an invalid input, got {other:?}"),
    }
}

#[tokio::test]
async fn programmes_are_created_by_their_provinces_office_within_the_limits() {
    let test = test_app().await;
    let vouchers = test.app.vouchers();
    let (_, province) = company(&test).await;
    let office = actor(office_of(&test, province));
    let admin = actor(test.user_with_role(Role::PlatformAdmin));
    let budget = Fen(10_000_000);

    let anonymous = vouchers
        .create_programme(&Actor::default(), programme_of(province, budget))
        .await;
    assert!(matches!(anonymous, Err(AppError::Unauthenticated)));
    // One province's office may not open a programme for another province.
    let elsewhere = another_province(&[province]);
    assert!(is_forbidden(
        vouchers
            .create_programme(&office, programme_of(elsewhere, budget))
            .await
    ));
    assert_eq!(
        invalid_field(
            vouchers
                .create_programme(&admin, programme_of(ProvinceCode::Outside, budget))
                .await
        ),
        "province"
    );
    let mut long_name = programme_of(province, budget);
    long_name.name_en = "n".repeat(201);
    assert_eq!(
        invalid_field(vouchers.create_programme(&office, long_name).await),
        "name_en"
    );
    let mut no_share = programme_of(province, budget);
    no_share.co_funding_percent = 0;
    assert_eq!(
        invalid_field(vouchers.create_programme(&office, no_share).await),
        "co_funding_percent"
    );

    let mut longest_name = programme_of(province, budget);
    longest_name.name_zh = "券".repeat(200);
    let created = vouchers
        .create_programme(&office, longest_name)
        .await
        .unwrap();
    assert_eq!(created.budget_available, budget);
    assert_eq!(
        vouchers
            .programme(created.programme.id)
            .await
            .unwrap()
            .programme,
        created.programme
    );
    assert!(matches!(
        vouchers.programme(VoucherProgrammeId(999_999)).await,
        Err(AppError::NotFound(_))
    ));
}

#[tokio::test]
async fn applications_are_filed_listed_and_decided_by_the_programmes_office() {
    let test = test_app().await;
    let vouchers = test.app.vouchers();
    let (company, province) = company(&test).await;
    let company = actor(company);
    let office = actor(office_of(&test, province));
    let foreign_office = actor(office_of(&test, another_province(&[province])));
    let admin = actor(test.user_with_role(Role::PlatformAdmin));
    let programme = vouchers
        .create_programme(&admin, programme_of(province, Fen(10_000_000)))
        .await
        .unwrap()
        .programme
        .id;

    // An enterprise applies, with a purpose of 1 to 2,000 characters and a positive amount.
    let too_long = "p".repeat(2_001);
    assert_eq!(
        invalid_field(
            vouchers
                .apply(&company, programme, Fen(1_000), &too_long)
                .await
        ),
        "purpose"
    );
    assert_eq!(
        invalid_field(
            vouchers
                .apply(&company, programme, Fen(0), "failure analysis")
                .await
        ),
        "requested_fen"
    );
    let researcher = vouchers
        .apply(
            &actor(test.plain_user()),
            programme,
            Fen(1_000),
            "failure analysis",
        )
        .await;
    assert!(
        matches!(
            researcher,
            Err(AppError::Refused(Refusal::Voucher(
                VoucherRefusal::NotAnEnterprise | VoucherRefusal::EnterpriseOutsideProvince
            )))
        ),
        "{researcher:?}"
    );
    let application = vouchers
        .apply(&company, programme, Fen(200_000), &"p".repeat(2_000))
        .await
        .unwrap();
    assert_eq!(application.status, ApplicationStatus::Submitted);

    // Its province's office (and platform admins) list the programme's applications.
    let first_page = PageRequest::default();
    assert!(is_forbidden(
        vouchers
            .applications(&foreign_office, Some(programme), None, first_page)
            .await
    ));
    assert_eq!(
        invalid_field(vouchers.applications(&office, None, None, first_page).await),
        "programme"
    );
    let listed = vouchers
        .applications(
            &office,
            Some(programme),
            Some(ApplicationStatus::Submitted),
            first_page,
        )
        .await
        .unwrap();
    assert_eq!(listed.total, 1);
    let everything = vouchers
        .applications(&admin, None, None, first_page)
        .await
        .unwrap();
    assert!(everything
        .items
        .iter()
        .any(|listed| listed.id == application.id));

    // Only that office decides; a note of at most 1,000 characters; at most the amount asked.
    assert!(is_forbidden(
        vouchers
            .decide(&foreign_office, application.id, approve(None, None))
            .await
    ));
    assert_eq!(
        invalid_field(
            vouchers
                .decide(
                    &office,
                    application.id,
                    approve(None, Some(&"n".repeat(1_001)))
                )
                .await
        ),
        "note"
    );
    assert_eq!(
        invalid_field(
            vouchers
                .decide(&office, application.id, approve(Some(Fen(200_001)), None))
                .await
        ),
        "amount_fen"
    );
    let untouched = test
        .store
        .voucher_application(application.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(untouched.status, ApplicationStatus::Submitted);
    let approved = vouchers
        .decide(
            &office,
            application.id,
            approve(Some(Fen(150_000)), Some(&"n".repeat(1_000))),
        )
        .await
        .unwrap();
    assert_eq!(approved.status, ApplicationStatus::Approved);
    let voucher = test
        .store
        .voucher(approved.voucher.expect("a voucher was issued"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(voucher.amount, Fen(150_000));
    // A decision is final.
    let again = vouchers
        .decide(
            &office,
            application.id,
            ApplicationDecision {
                approve: false,
                amount: None,
                note: None,
            },
        )
        .await;
    assert!(
        matches!(
            again,
            Err(AppError::Refused(Refusal::ApplicationAlreadyDecided(
                ApplicationStatus::Approved
            )))
        ),
        "{again:?}"
    );

    // A programme whose budget cannot cover the amount refuses the approval, saying what is
    // left.
    let small = vouchers
        .create_programme(&admin, programme_of(province, Fen(100_000)))
        .await
        .unwrap()
        .programme
        .id;
    let large = vouchers
        .apply(&company, small, Fen(200_000), "failure analysis")
        .await
        .unwrap();
    let exhausted = vouchers
        .decide(&office, large.id, approve(None, None))
        .await;
    assert!(
        matches!(
            exhausted,
            Err(AppError::Refused(Refusal::BudgetExhausted {
                available: Fen(100_000)
            }))
        ),
        "{exhausted:?}"
    );
}

#[tokio::test]
async fn vouchers_are_seen_and_spent_only_by_their_enterprise() {
    let test = test_app().await;
    let vouchers = test.app.vouchers();
    let (company_user, province) = company(&test).await;
    let company = actor(company_user);
    let stranger = actor(test.plain_user());
    let admin = actor(test.user_with_role(Role::PlatformAdmin));
    let programme = vouchers
        .create_programme(&admin, programme_of(province, Fen(10_000_000)))
        .await
        .unwrap()
        .programme
        .id;
    let application = vouchers
        .apply(&company, programme, Fen(200_000), "failure analysis")
        .await
        .unwrap();
    let voucher = vouchers
        .decide(&admin, application.id, approve(None, None))
        .await
        .unwrap()
        .voucher
        .unwrap();

    let mine = vouchers.my_vouchers(&company).await.unwrap();
    assert_eq!(
        mine.iter().map(|voucher| voucher.id).collect::<Vec<_>>(),
        vec![voucher]
    );
    assert!(!vouchers
        .my_vouchers(&stranger)
        .await
        .unwrap()
        .iter()
        .any(|record| record.id == voucher));
    let wallet = vouchers.wallet(&company).await.unwrap();
    assert!(wallet.is_enterprise());
    assert_eq!(wallet.vouchers.len(), 1);
    assert_eq!(wallet.applications[0].id, application.id);
    assert!(wallet
        .open_programmes()
        .any(|record| record.programme.id == programme));
    assert!(!wallet.runs_a_voucher_office);
    assert!(vouchers.wallet(&admin).await.unwrap().runs_a_voucher_office);

    // The split: 60% of the price; another enterprise's voucher does not exist for a user.
    let (_, institution) = test.manager();
    let instrument = predictable_instrument(&test, institution, BookingMode::Instant).await;
    let service = crate::support::shanghai_slot(3, 9, 1).start;
    let split = vouchers
        .split_for_booking(&company, voucher, instrument, Fen(60_000), service)
        .await
        .unwrap();
    assert_eq!(
        (split.split.voucher_pays, split.split.enterprise_pays),
        (Fen(36_000), Fen(24_000))
    );
    assert!(matches!(
        vouchers
            .split_for_booking(&stranger, voucher, instrument, Fen(60_000), service)
            .await,
        Err(AppError::NotFound(_))
    ));
    // A voucher that would pay nothing is refused, as booking with it would be.
    let nothing = vouchers
        .split_for_booking(&company, voucher, instrument, Fen::ZERO, service)
        .await;
    assert!(
        matches!(
            nothing,
            Err(AppError::Refused(Refusal::Voucher(
                VoucherRefusal::NothingToPay
            )))
        ),
        "{nothing:?}"
    );
    let slot = shanghai_slot(8, 10, 2);
    let quoted = vouchers
        .quote(&company, voucher, instrument, slot)
        .await
        .unwrap();
    assert_eq!(quoted.voucher_pays.0, quoted.price.0 * 60 / 100);
    assert!(matches!(
        vouchers.quote(&stranger, voucher, instrument, slot).await,
        Err(AppError::NotFound(_))
    ));
}

#[tokio::test]
async fn the_settlement_shows_each_office_its_provinces_rows_for_days_in_the_region() {
    let test = test_app().await;
    let vouchers = test.app.vouchers();
    let (company_user, payer) = company(&test).await;
    let admin = actor(test.user_with_role(Role::PlatformAdmin));
    // A voucher of the company's province paid two hours, yesterday, at a provider elsewhere.
    let provider = test
        .store
        .all_instruments()
        .await
        .unwrap()
        .into_iter()
        .find(|item| item.province.is_in_region() && item.province != payer)
        .expect("the region has providers in more than one province");
    let programme = vouchers
        .create_programme(&admin, programme_of(payer, Fen(10_000_000)))
        .await
        .unwrap()
        .programme
        .id;
    let ended = Timestamp::now() - SignedDuration::from_hours(24);
    let used = HistoricalBooking {
        instrument: provider.instrument.id,
        user: company_user.id,
        range: TimeRange::new(ended - SignedDuration::from_hours(2), ended).unwrap(),
        status: BookingStatus::Completed,
        user_class: UserClass::Industry,
        hourly_rate: Fen::from_yuan(300),
        price: Fen::from_yuan(600),
        usage_minutes: Some(120),
        charged: Some(Fen::from_yuan(600)),
        created_at: ended - SignedDuration::from_hours(48),
    };
    test.store
        .import_booking_history(&[], std::slice::from_ref(&used), &[])
        .await
        .unwrap();
    let paid = test
        .store
        .import_voucher_history(&[HistoricalVoucherGrant {
            programme,
            enterprise: company_user.home_institution,
            applicant: company_user.id,
            amount: Fen::from_yuan(1_000),
            issued_at: ended - SignedDuration::from_hours(72),
            bookings: vec![(used.instrument, used.user, used.range.start)],
        }])
        .await
        .unwrap();
    assert_eq!(paid, 1);
    let redeemed = Fen::from_yuan(360);

    // The payer's office and the provider's office see the row; a third office does not, and
    // someone who runs no office sees no statement at all.
    let from = PeriodBound::Day(today(&test) - jiff::Span::new().days(10));
    let to = PeriodBound::Instant(Timestamp::now() + SignedDuration::from_hours(1));
    let seen_by = |province: ProvinceCode| {
        let office = actor(office_of(&test, province));
        let vouchers = &vouchers;
        async move {
            vouchers
                .settlement(&office, from, to)
                .await
                .unwrap()
                .rows
                .iter()
                .map(|row| (row.payer_province, row.provider_province, row.amount))
                .collect::<Vec<_>>()
        }
    };
    let row = vec![(payer, provider.province, redeemed)];
    assert_eq!(seen_by(payer).await, row);
    assert_eq!(seen_by(provider.province).await, row);
    assert_eq!(
        seen_by(another_province(&[payer, provider.province])).await,
        vec![]
    );
    assert!(is_forbidden(
        vouchers.settlement(&actor(company_user), from, to).await
    ));
    // A day is midnight in the region's time zone; the end comes after the start.
    let statement = vouchers.settlement(&admin, from, to).await.unwrap();
    let midnight = (today(&test) - jiff::Span::new().days(10))
        .to_zoned(test.app.region_time_zone().clone())
        .unwrap()
        .timestamp();
    assert_eq!(statement.from, midnight);
    assert_eq!(
        invalid_field(vouchers.settlement(&admin, to, from).await),
        "to"
    );

    // The console: its provinces' programmes and queue, the current month by default.
    let console = vouchers
        .office_console(&actor(office_of(&test, payer)), None, None)
        .await
        .unwrap();
    assert_eq!(console.provinces, Some(vec![payer]));
    assert!(console
        .programmes
        .iter()
        .all(|record| record.programme.province == payer));
    assert_eq!(console.period.from, today(&test).first_of_month());
    assert_eq!(
        console.period.to,
        today(&test).first_of_month() + jiff::Span::new().months(1)
    );
    assert!(is_forbidden(
        vouchers
            .office_console(&actor(company_user), None, None)
            .await
    ));
    assert_eq!(
        invalid_field(
            vouchers
                .office_console(&admin, Some(today(&test)), Some(today(&test)))
                .await
        ),
        "to"
    );
    let (days, of_days) = vouchers
        .settlement_of_days(
            &admin,
            Some(today(&test) - jiff::Span::new().days(10)),
            Some(today(&test).tomorrow().unwrap()),
        )
        .await
        .unwrap();
    assert_eq!(days.to, today(&test).tomorrow().unwrap());
    assert_eq!((of_days.from, of_days.rows.len()), (midnight, 1));

    // The dashboard sums the same redemption, paid across a provincial border.
    let dashboard = vouchers
        .dashboard(Period {
            from: Timestamp::now() - SignedDuration::from_hours(24 * 10),
            to: Timestamp::now(),
        })
        .await
        .unwrap();
    let figures = dashboard
        .programmes
        .iter()
        .find(|figures| figures.programme.programme.id == programme)
        .unwrap();
    assert_eq!(figures.vouchers, 1);
    assert_eq!(figures.redeemed, redeemed);
    assert_eq!(figures.redeemed_in_period, redeemed);
    assert_eq!(figures.cross_province_in_period, redeemed);
    assert_eq!(dashboard.redeemed_in_period, redeemed);
    assert_eq!(dashboard.cross_province_share, 1.0);
    assert_eq!(dashboard.settlement.len(), 1);
    assert_eq!(
        (
            dashboard.settlement[0].payer_province,
            dashboard.settlement[0].provider_province
        ),
        (payer, provider.province)
    );
}
