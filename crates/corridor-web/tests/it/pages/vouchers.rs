//! Innovation vouchers through the pages over real HTTP: the enterprise's wallet and its
//! apply form, the voucher office's console (decisions, who may decide what, the settlement
//! CSV), and paying a booking with a voucher from the instrument page's booking form.
//!
//! The test region has no voucher programmes; each test creates the ones it needs through
//! the store, as the demo does, and checks what the pages did through the store too.

use std::sync::Arc;

use corridor_domain::voucher::{
    ApplicationStatus, ProviderScope, RedemptionMode, VoucherApplicationId, VoucherProgramme,
    VoucherProgrammeId,
};
use corridor_domain::{Fen, InstitutionId, InstitutionKind, PageLimit, ProvinceCode, UserId};
use corridor_store::{
    AuditContext, InstitutionFilter, NewVoucherApplication, PageRequest, Store, VoucherDecision,
};
use jiff::Timestamp;

use super::booking::{page, post_form, shanghai_date_in, signed_in_browser};
use crate::bookings::{call, json_of, managed_instrument, token};
use crate::support::{client, sqlite_server, TestServer};

const COMPANY: &str = "company@corridor.demo";
const SHANGHAI_OFFICE: &str = "vouchers-sh@corridor.demo";

/// A programme of `province` open for the whole current year: 60% co-funding, spendable
/// anywhere in the region, providers redeem.
async fn open_programme(store: &dyn Store, province: ProvinceCode) -> VoucherProgrammeId {
    let zone = jiff::tz::db().get("Asia/Shanghai").unwrap();
    let year = Timestamp::now().to_zoned(zone).year();
    let programme = VoucherProgramme {
        id: VoucherProgrammeId(0),
        province,
        name_en: format!("Test vouchers of {}", province.name_en()),
        name_zh: format!("{}测试创新券", province.name_zh()),
        budget: Fen::from_yuan(1_000_000),
        co_funding_percent: 60,
        annual_cap_per_enterprise: Fen::from_yuan(100_000),
        valid_from: jiff::civil::date(year, 1, 1),
        valid_until: jiff::civil::date(year, 12, 31),
        eligible_categories: Vec::new(),
        provider_scope: ProviderScope::WholeRegion,
        redemption_mode: RedemptionMode::ProviderRedeems,
    };
    store
        .create_voucher_programme(&programme, &AuditContext::default())
        .await
        .unwrap()
}

/// The demo account's id and home institution, through the API.
async fn account(server: &TestServer, email: &str) -> (UserId, InstitutionId) {
    let token = token(server, email).await;
    let me = json_of(
        call(
            reqwest::Method::GET,
            server,
            "/api/v1/me",
            Some(&token),
            None,
        )
        .await,
        200,
        "me",
    )
    .await;
    (
        UserId(me["id"].as_i64().unwrap()),
        InstitutionId(me["home_institution_id"].as_i64().unwrap()),
    )
}

async fn province_of(store: &dyn Store, institution: InstitutionId) -> ProvinceCode {
    store
        .institution(institution)
        .await
        .unwrap()
        .expect("the institution exists")
        .province
}

/// A corporation of `province` other than `except`.
async fn corporation_in(
    store: &dyn Store,
    province: ProvinceCode,
    except: InstitutionId,
) -> InstitutionId {
    store
        .institutions(
            &InstitutionFilter {
                kind: Some(InstitutionKind::Corporation),
                province: Some(province),
                ..InstitutionFilter::default()
            },
            PageRequest {
                limit: PageLimit::new(10).unwrap(),
                after: None,
            },
        )
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|found| found.institution.id)
        .find(|id| *id != except)
        .unwrap_or_else(|| panic!("the test region has a corporation in {province:?}"))
}

async fn file_application(
    store: &dyn Store,
    programme: VoucherProgrammeId,
    enterprise: InstitutionId,
    applicant: UserId,
    yuan: i64,
) -> VoucherApplicationId {
    store
        .apply_for_voucher(
            &NewVoucherApplication {
                programme,
                enterprise,
                applicant,
                requested: Fen::from_yuan(yuan),
                purpose: "Surface analysis of coatings".into(),
            },
            corridor_store::now(),
            &AuditContext::default(),
        )
        .await
        .unwrap()
        .expect("the application is admissible")
        .id
}

/// The company's enterprise with a programme of its province and an issued voucher of
/// `yuan`; returns the store, the programme and the voucher's id.
async fn company_with_voucher(
    server: &TestServer,
    yuan: i64,
) -> (Arc<dyn Store>, VoucherProgrammeId, i64) {
    let store = server.store();
    let (company, enterprise) = account(server, COMPANY).await;
    let province = province_of(store.as_ref(), enterprise).await;
    let programme = open_programme(store.as_ref(), province).await;
    let application = file_application(store.as_ref(), programme, enterprise, company, yuan).await;
    let voucher = match store
        .decide_voucher_application(
            application,
            true,
            None,
            None,
            corridor_store::now(),
            &AuditContext::default(),
        )
        .await
        .unwrap()
    {
        VoucherDecision::Issued { voucher, .. } => voucher.id.0,
        other => panic!("expected a voucher, got {other:?}"),
    };
    (store, programme, voucher)
}

#[tokio::test]
async fn the_wallet_lists_the_issued_voucher_and_files_applications() {
    let server = sqlite_server().await;
    let (store, programme, voucher) = company_with_voucher(&server, 5_000).await;
    let company = signed_in_browser(&server, COMPANY).await;

    let (status, html) = page(&company, server.url("/vouchers?lang=en")).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains(r#"data-testid="nav-vouchers""#), "{html}");
    assert!(
        html.contains(&format!(r#"<tr data-voucher-id="{voucher}">"#)),
        "{html}"
    );
    assert!(html.contains(r#"data-testid="voucher-amount">¥5,000.00<"#));
    assert!(html.contains(r#"data-testid="voucher-available"><strong>¥5,000.00<"#));
    assert!(html.contains(r#"data-testid="voucher-held">¥0.00<"#));
    assert!(html.contains("Test vouchers of"));
    assert!(
        html.contains(&format!(r#"data-programme-id="{}""#, programme.0)),
        "the open programme is offered: {html}"
    );

    // Applying through the form files an application the wallet then lists as submitted.
    let (status, location, html) = post_form(
        &company,
        server.url("/vouchers?lang=en"),
        server.url("/vouchers/apply"),
        &[
            ("programme", &programme.0.to_string()),
            ("amount", "1,250.50"),
            ("purpose", "X-ray diffraction of new alloys"),
        ],
    )
    .await;
    assert_eq!(status, 303, "{html}");
    let location = location.unwrap();
    assert!(
        location.starts_with("/vouchers?notice=applied&application="),
        "{location}"
    );
    let application: i64 = location.rsplit('=').next().unwrap().parse().unwrap();
    let filed = store
        .voucher_application(VoucherApplicationId(application))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(filed.requested, Fen(125_050));
    assert_eq!(filed.status, ApplicationStatus::Submitted);
    let (_, html) = page(&company, server.url(&format!("{location}&lang=en"))).await;
    assert!(html.contains(r#"data-testid="notice""#), "{html}");
    assert!(
        html.contains(&format!(
            r#"<tr data-application-id="{application}" data-status="submitted" class="highlighted">"#
        )),
        "{html}"
    );

    // A refusal is a notice on the wallet, not an error page: the annual cap is 100,000 yuan.
    let (status, _, html) = post_form(
        &company,
        server.url("/vouchers?lang=en"),
        server.url("/vouchers/apply"),
        &[
            ("programme", &programme.0.to_string()),
            ("amount", "99000"),
            ("purpose", "Too much"),
        ],
    )
    .await;
    assert_eq!(status, 422, "{html}");
    assert!(
        html.contains(r#"data-testid="page-error""#) && html.contains("annual cap"),
        "{html}"
    );
    assert!(
        html.contains(r#"value="99000""#),
        "the form keeps what was typed"
    );
    // So is a malformed amount.
    let (status, _, html) = post_form(
        &company,
        server.url("/vouchers?lang=en"),
        server.url("/vouchers/apply"),
        &[
            ("programme", &programme.0.to_string()),
            ("amount", "lots"),
            ("purpose", "Something"),
        ],
    )
    .await;
    assert_eq!(status, 400);
    assert!(html.contains("positive number of yuan"), "{html}");
    server.finish().await;
}

#[tokio::test]
async fn voucher_offices_decide_only_their_own_provinces_applications() {
    let server = sqlite_server().await;
    let store = server.store();
    let (company, company_enterprise) = account(&server, COMPANY).await;
    let foreign = ProvinceCode::Jiangsu;
    let enterprise = corporation_in(store.as_ref(), foreign, company_enterprise).await;
    let programme = open_programme(store.as_ref(), foreign).await;
    let application = file_application(store.as_ref(), programme, enterprise, company, 2_000).await;

    let office = signed_in_browser(&server, SHANGHAI_OFFICE).await;
    let (status, html) = page(&office, server.url("/vouchers/office?lang=en")).await;
    assert_eq!(status, 200, "{html}");
    assert!(
        !html.contains(&format!(r#"data-application-id="{}""#, application.0)),
        "Shanghai's office does not see Jiangsu's applications: {html}"
    );
    let (status, location, html) = post_form(
        &office,
        server.url("/vouchers/office?lang=en"),
        server.url(&format!(
            "/vouchers/office/applications/{}/decision",
            application.0
        )),
        &[("decision", "approve")],
    )
    .await;
    assert_eq!(status, 403, "{html}");
    assert_eq!(location, None);
    let untouched = store
        .voucher_application(application)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(untouched.status, ApplicationStatus::Submitted);
    assert_eq!(untouched.voucher, None);

    // Users without a voucher office get the forbidden page for the console and the CSV.
    let researcher = signed_in_browser(&server, "researcher@corridor.demo").await;
    for path in [
        "/vouchers/office?lang=en",
        "/vouchers/office/settlement.csv",
    ] {
        let (status, html) = page(&researcher, server.url(path)).await;
        assert_eq!(status, 403, "{path}: {html}");
        assert!(html.contains("voucher office"), "{path}: {html}");
    }
    // Platform admins see every province's applications.
    let admin = signed_in_browser(&server, "admin@corridor.demo").await;
    let (status, html) = page(&admin, server.url("/vouchers/office?lang=en")).await;
    assert_eq!(status, 200);
    assert!(
        html.contains(&format!(r#"data-application-id="{}""#, application.0)),
        "{html}"
    );
    server.finish().await;
}

#[tokio::test]
async fn approving_in_the_console_issues_a_voucher() {
    let server = sqlite_server().await;
    let store = server.store();
    let (company, company_enterprise) = account(&server, COMPANY).await;
    let enterprise =
        if province_of(store.as_ref(), company_enterprise).await == ProvinceCode::Shanghai {
            company_enterprise
        } else {
            corporation_in(store.as_ref(), ProvinceCode::Shanghai, company_enterprise).await
        };
    let programme = open_programme(store.as_ref(), ProvinceCode::Shanghai).await;
    let application = file_application(store.as_ref(), programme, enterprise, company, 3_000).await;
    let rejected = file_application(store.as_ref(), programme, enterprise, company, 10).await;

    let office = signed_in_browser(&server, SHANGHAI_OFFICE).await;
    let console = server.url("/vouchers/office?lang=en");
    let (status, html) = page(&office, console.clone()).await;
    assert_eq!(status, 200, "{html}");
    assert!(
        html.contains(&format!(r#"<tr data-application-id="{}">"#, application.0)),
        "{html}"
    );
    assert!(
        html.contains(r#"data-testid="applications-waiting">2<"#),
        "{html}"
    );
    assert!(html.contains(&format!(r#"<tr data-programme-id="{}">"#, programme.0)));

    // More than was requested is refused on the page; nothing is issued.
    let decide = server.url(&format!(
        "/vouchers/office/applications/{}/decision",
        application.0
    ));
    let (status, _, html) = post_form(
        &office,
        console.clone(),
        decide.clone(),
        &[("decision", "approve"), ("amount", "3000.01")],
    )
    .await;
    assert_eq!(status, 400, "{html}");
    assert!(html.contains("at most the amount requested"), "{html}");

    let (status, location, html) = post_form(
        &office,
        console.clone(),
        decide.clone(),
        &[
            ("decision", "approve"),
            ("amount", "2500.50"),
            ("note", "Approved for the coating study."),
        ],
    )
    .await;
    assert_eq!(status, 303, "{html}");
    assert_eq!(
        location.unwrap(),
        format!(
            "/vouchers/office?notice=issued&application={}",
            application.0
        )
    );
    let decided = store
        .voucher_application(application)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(decided.status, ApplicationStatus::Approved);
    assert_eq!(
        decided.decision_note.as_deref(),
        Some("Approved for the coating study.")
    );
    let voucher = store
        .voucher(decided.voucher.expect("a voucher was issued"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(voucher.amount, Fen(250_050));
    assert_eq!(voucher.enterprise, enterprise);
    assert_eq!(voucher.available(), Fen(250_050));
    let (_, html) = page(
        &office,
        server.url("/vouchers/office?lang=en&notice=issued"),
    )
    .await;
    assert!(
        html.contains("The application was approved and the voucher issued."),
        "{html}"
    );
    assert!(
        html.contains(r#"data-testid="programme-issued">¥2,500.50<"#),
        "{html}"
    );

    // Deciding again is a notice that it was decided before.
    let (status, _, html) =
        post_form(&office, console.clone(), decide, &[("decision", "reject")]).await;
    assert_eq!(status, 409, "{html}");
    assert!(html.contains("already decided"), "{html}");

    // Rejecting issues nothing.
    let (status, location, _) = post_form(
        &office,
        console,
        server.url(&format!(
            "/vouchers/office/applications/{}/decision",
            rejected.0
        )),
        &[("decision", "reject"), ("note", "Too small to process.")],
    )
    .await;
    assert_eq!(status, 303);
    assert!(location.unwrap().contains("notice=rejected"));
    let rejected = store.voucher_application(rejected).await.unwrap().unwrap();
    assert_eq!(rejected.status, ApplicationStatus::Rejected);
    assert_eq!(rejected.voucher, None);
    server.finish().await;
}

#[tokio::test]
async fn the_settlement_downloads_as_csv_for_the_period() {
    let server = sqlite_server().await;
    let office = signed_in_browser(&server, SHANGHAI_OFFICE).await;

    let (status, html) = page(&office, server.url("/vouchers/office?lang=en")).await;
    assert_eq!(status, 200);
    assert!(
        html.contains(r#"data-testid="settlement-matrix""#),
        "{html}"
    );
    assert!(
        html.contains(r#"<td class="num" data-payer="SH" data-provider="JS">¥0.00</td>"#),
        "a province × province matrix: {html}"
    );
    assert!(html.contains(r#"href="/vouchers/office/settlement.csv?from="#));

    let response = office
        .get(server.url("/vouchers/office/settlement.csv?from=2026-01-01&to=2026-02-01"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(content_type.starts_with("text/csv"), "{content_type}");
    let disposition = response.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        disposition.contains("voucher-settlement-2026-01-01-2026-02-01.csv"),
        "{disposition}"
    );
    let csv = response.text().await.unwrap();
    assert_eq!(
        csv.lines().next(),
        Some("payer_province,programme_id,provider_province,claimant_institution_id,claimant_name_en,redemptions,amount_fen")
    );

    // A period that ends before it starts is a 400 page saying so.
    let (status, html) = page(
        &office,
        server.url("/vouchers/office/settlement.csv?from=2026-03-01&to=2026-02-01&lang=en"),
    )
    .await;
    assert_eq!(status, 400, "{html}");
    assert!(html.contains("the first before the second"), "{html}");
    // Visitors are sent to sign in.
    let response = client()
        .get(server.url("/vouchers/office"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303);
    server.finish().await;
}

#[tokio::test]
async fn a_booking_paid_with_a_voucher_shows_the_split_and_holds_the_share() {
    let server = sqlite_server().await;
    let (store, _, voucher) = company_with_voucher(&server, 5_000).await;
    let manager = token(&server, "manager@corridor.demo").await;
    let (instrument, _) = managed_instrument(&server, &manager).await;
    let company = signed_in_browser(&server, COMPANY).await;
    let date = shanghai_date_in(7);
    let instrument_page = server.url(&format!("/instruments/{instrument}?lang=en"));
    let book = server.url(&format!("/instruments/{instrument}/book"));

    let (status, html) = page(&company, instrument_page.clone()).await;
    assert_eq!(status, 200);
    assert!(
        html.contains(r#"data-testid="booking-voucher""#)
            && html.contains(&format!(r#"<option value="{voucher}">"#)),
        "the form offers the voucher: {html}"
    );

    // The quote with the voucher: 600 yuan for two hours at the industry rate, 60% of it paid
    // by the voucher.
    let voucher_id = voucher.to_string();
    let (status, _, html) = post_form(
        &company,
        instrument_page.clone(),
        book.clone(),
        &[
            ("intent", "quote"),
            ("date", &date),
            ("start", "10:00"),
            ("end", "12:00"),
            ("voucher", &voucher_id),
        ],
    )
    .await;
    assert_eq!(status, 200, "{html}");
    assert!(
        html.contains(r#"data-testid="quote-price">¥600.00<"#),
        "{html}"
    );
    assert!(
        html.contains(r#"data-testid="quote-voucher-pays">¥360.00<"#),
        "{html}"
    );
    assert!(
        html.contains(r#"data-testid="quote-you-pay">¥240.00<"#),
        "{html}"
    );
    assert!(
        html.contains(&format!(
            r#"<input type="hidden" name="voucher" value="{voucher}">"#
        )),
        "the Book button books with the voucher: {html}"
    );

    // Another enterprise's voucher (or a made-up one) cannot pay.
    let (status, _, html) = post_form(
        &company,
        instrument_page.clone(),
        book.clone(),
        &[
            ("intent", "book"),
            ("date", &date),
            ("start", "13:00"),
            ("end", "14:00"),
            ("voucher", "999999"),
        ],
    )
    .await;
    assert!(status == 403 || status == 404, "{status}: {html}");

    let (status, location, html) = post_form(
        &company,
        instrument_page,
        book,
        &[
            ("intent", "book"),
            ("date", &date),
            ("start", "10:00"),
            ("end", "12:00"),
            ("voucher", &voucher_id),
            ("idempotency_key", "voucher-page-test"),
        ],
    )
    .await;
    assert_eq!(status, 303, "{html}");
    let location = location.unwrap();
    assert!(
        location.starts_with("/bookings?notice=booked&booking="),
        "{location}"
    );
    let booking: i64 = location.rsplit('=').next().unwrap().parse().unwrap();
    let payment = store
        .voucher_payment_of_booking(corridor_domain::BookingId(booking))
        .await
        .unwrap()
        .expect("the booking is paid with the voucher");
    assert_eq!(payment.voucher.0, voucher);
    assert_eq!(payment.split.voucher_pays, Fen(36_000));

    // The wallet shows the share held.
    let (_, html) = page(&company, server.url("/vouchers?lang=en")).await;
    assert!(
        html.contains(r#"data-testid="voucher-held">¥360.00<"#),
        "{html}"
    );
    assert!(html.contains(r#"data-testid="voucher-available"><strong>¥4,640.00<"#));
    server.finish().await;
}

#[tokio::test]
async fn recording_usage_in_the_console_redeems_the_vouchers_hold() {
    use corridor_domain::{BookingStatus, InstrumentId, TimeRange, UserClass};
    use corridor_store::{HistoricalBooking, HistoricalVoucherGrant, VoucherPaymentState};
    use jiff::SignedDuration;

    let server = sqlite_server().await;
    let store = server.store();
    let manager_token = token(&server, "manager@corridor.demo").await;
    let (instrument, _) = managed_instrument(&server, &manager_token).await;
    let (company, enterprise) = account(&server, COMPANY).await;
    let programme = open_programme(
        store.as_ref(),
        province_of(store.as_ref(), enterprise).await,
    )
    .await;
    // Two hours that ended an hour ago at the company's 300 yuan/h, with a voucher holding
    // 60% of the price: as the demo leaves its last days' bookings.
    let ended = Timestamp::now() - SignedDuration::from_hours(1);
    let held = HistoricalBooking {
        instrument: InstrumentId(instrument),
        user: company,
        range: TimeRange::new(ended - SignedDuration::from_hours(2), ended).unwrap(),
        status: BookingStatus::Confirmed,
        user_class: UserClass::Industry,
        hourly_rate: Fen::from_yuan(300),
        price: Fen::from_yuan(600),
        usage_minutes: None,
        charged: None,
        created_at: ended - SignedDuration::from_hours(48),
    };
    store
        .import_booking_history(&[], std::slice::from_ref(&held), &[])
        .await
        .unwrap();
    let paid = store
        .import_voucher_history(&[HistoricalVoucherGrant {
            programme,
            enterprise,
            applicant: company,
            amount: Fen::from_yuan(1_000),
            issued_at: ended - SignedDuration::from_hours(72),
            bookings: vec![(held.instrument, held.user, held.range.start)],
        }])
        .await
        .unwrap();
    assert_eq!(paid, 1);
    let booking = store
        .bookings_of_user(company, PageRequest::default())
        .await
        .unwrap()
        .items[0]
        .id;

    // The API's queue and the console both list it, with the voucher's hold.
    let queue = json_of(
        call(
            reqwest::Method::GET,
            &server,
            "/api/v1/manage/usage-due?voucher_held=true",
            Some(&manager_token),
            None,
        )
        .await,
        200,
        "usage due",
    )
    .await;
    // The test region holds no other voucher payment, so the filtered queue is just this one.
    let ids: Vec<i64> = queue["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, vec![booking.0], "{queue}");
    let company_token = token(&server, COMPANY).await;
    let refused = call(
        reqwest::Method::GET,
        &server,
        "/api/v1/manage/usage-due",
        Some(&company_token),
        None,
    )
    .await;
    assert_eq!(refused.status().as_u16(), 403);
    let manager = signed_in_browser(&server, "manager@corridor.demo").await;
    let (status, html) = page(&manager, server.url("/manage?usage=voucher&lang=en")).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains(r#"data-testid="usage-all""#), "{html}");
    assert!(
        html.contains(&format!(
            r#"<tr data-booking-id="{}" data-voucher-held="true">"#,
            booking.0
        )),
        "{html}"
    );
    assert!(
        html.contains(r#"data-testid="voucher-hold">holds ¥360.00<"#),
        "{html}"
    );

    // Nonsense minutes are refused with the reason and change nothing.
    let action = server.url(&format!("/manage/bookings/{}/usage", booking.0));
    let (status, _, html) = post_form(
        &manager,
        server.url("/manage?lang=en"),
        action.clone(),
        &[("usage_minutes", "two hours")],
    )
    .await;
    assert_eq!(status, 400);
    assert!(html.contains("whole number from 0 to 20,160"), "{html}");
    // The company cannot record usage at someone else's instrument.
    let company_browser = signed_in_browser(&server, COMPANY).await;
    let (status, _, _) = post_form(
        &company_browser,
        server.url("/vouchers?lang=en"),
        action.clone(),
        &[("usage_minutes", "120")],
    )
    .await;
    assert_eq!(status, 403);
    let payment = store
        .voucher_payment_of_booking(booking)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(payment.state, VoucherPaymentState::Held);

    // Ninety minutes used: charged 450 yuan, of which the voucher redeems 60% (270 yuan).
    let (status, location, html) = post_form(
        &manager,
        server.url("/manage?lang=en"),
        action,
        &[("usage_minutes", "90")],
    )
    .await;
    assert_eq!(status, 303, "{html}");
    let location = location.unwrap();
    assert_eq!(
        location,
        format!("/manage?notice=usage&booking={}", booking.0)
    );
    let (_, html) = page(&manager, server.url(&format!("{location}&lang=en"))).await;
    assert!(
        html.contains("it was charged ¥450.00, of which the voucher paid ¥270.00"),
        "{html}"
    );
    assert!(!html.contains(&format!(
        r#"<tr data-booking-id="{}" data-voucher-held"#,
        booking.0
    )));
    let payment = store
        .voucher_payment_of_booking(booking)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        payment.state,
        VoucherPaymentState::Redeemed {
            amount: Fen::from_yuan(270)
        }
    );
    let settlement = store
        .settlement_statement(ended - SignedDuration::from_hours(96), Timestamp::now())
        .await
        .unwrap();
    assert_eq!(
        settlement.iter().map(|row| row.amount).collect::<Vec<_>>(),
        vec![Fen::from_yuan(270)]
    );
    server.finish().await;
}
