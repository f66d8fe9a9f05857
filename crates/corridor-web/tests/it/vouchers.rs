//! Vouchers over real HTTP: a programme, an application and its decision, the wallet, the
//! split of a booking paid with a voucher, the hold released by cancelling, who may see the
//! settlement statement, and the refusals in between.

use jiff::{SignedDuration, Timestamp};
use reqwest::Method;
use serde_json::{json, Value};

use crate::bookings::{call, json_of, managed_instrument, token};
use crate::support::{client, expect_problem, postgres_server, sqlite_server, TestServer};

/// Local `hour` Shanghai time, `days` days from now, as RFC 3339.
fn shanghai(days: i64, hour: i8) -> String {
    let zone = jiff::tz::db().get("Asia/Shanghai").unwrap();
    let date = (Timestamp::now() + SignedDuration::from_hours(24 * days))
        .to_zoned(zone.clone())
        .date();
    date.at(hour, 0, 0, 0)
        .to_zoned(zone)
        .unwrap()
        .timestamp()
        .to_string()
}

async fn province_of_user(server: &TestServer, token: &str) -> String {
    let me = json_of(
        call(Method::GET, server, "/api/v1/me", Some(token), None).await,
        200,
        "me",
    )
    .await;
    let institution = me["home_institution_id"].as_i64().unwrap();
    let place = json_of(
        call(
            Method::GET,
            server,
            &format!("/api/v1/institutions/{institution}"),
            None,
            None,
        )
        .await,
        200,
        "institution",
    )
    .await;
    place["province"]
        .as_str()
        .expect("an institution names its province")
        .to_owned()
}

async fn voucher_flow(server: &TestServer) {
    let admin = token(server, "admin@corridor.demo").await;
    let office_sh = token(server, "vouchers-sh@corridor.demo").await;
    let company = token(server, "company@corridor.demo").await;
    let researcher = token(server, "researcher@corridor.demo").await;
    let manager = token(server, "manager@corridor.demo").await;
    let province = province_of_user(server, &company).await;
    let year = Timestamp::now()
        .to_zoned(jiff::tz::db().get("Asia/Shanghai").unwrap())
        .year();
    let programme_body = |province: &str| {
        json!({
            "province": province, "name_en": "Test vouchers", "name_zh": "测试创新券",
            "budget_fen": 10_000_000, "co_funding_percent": 60, "annual_cap_per_enterprise_fen": 500_000,
            "valid_from": format!("{year}-01-01"), "valid_until": format!("{}-12-31", year + 1),
            "provider_scope": "whole_region", "redemption_mode": "provider_redeems",
        })
    };

    // Shanghai's office may not open a programme for Zhejiang; nobody anonymous may at all.
    let foreign = call(
        Method::POST,
        server,
        "/api/v1/voucher-programmes",
        Some(&office_sh),
        Some(programme_body("ZJ")),
    )
    .await;
    expect_problem(foreign, 403, "foreign province").await;
    expect_problem(
        call(
            Method::POST,
            server,
            "/api/v1/voucher-programmes",
            None,
            Some(programme_body("ZJ")),
        )
        .await,
        401,
        "anonymous",
    )
    .await;
    let mut impossible = programme_body(&province);
    impossible["co_funding_percent"] = json!(0);
    let problem = expect_problem(
        call(
            Method::POST,
            server,
            "/api/v1/voucher-programmes",
            Some(&admin),
            Some(impossible),
        )
        .await,
        400,
        "ratio 0",
    )
    .await;
    assert_eq!(problem["parameter"], "co_funding_percent");
    let programme = json_of(
        call(
            Method::POST,
            server,
            "/api/v1/voucher-programmes",
            Some(&admin),
            Some(programme_body(&province)),
        )
        .await,
        201,
        "programme",
    )
    .await;
    assert_eq!(programme["budget_available_fen"], 10_000_000);
    let programme_id = programme["id"].as_i64().unwrap();
    let listed = json_of(
        call(
            Method::GET,
            server,
            &format!("/api/v1/voucher-programmes?province={province}"),
            None,
            None,
        )
        .await,
        200,
        "list",
    )
    .await;
    assert!(listed
        .as_array()
        .unwrap()
        .iter()
        .any(|item| item["id"] == programme_id));

    // The company applies; a university researcher cannot.
    let applications = format!("/api/v1/voucher-programmes/{programme_id}/applications");
    let application = json_of(
        call(
            Method::POST,
            server,
            &applications,
            Some(&company),
            Some(json!({"requested_fen": 200_000, "purpose": "failure analysis"})),
        )
        .await,
        201,
        "apply",
    )
    .await;
    assert_eq!(application["status"], "submitted");
    let refused = expect_problem(
        call(
            Method::POST,
            server,
            &applications,
            Some(&researcher),
            Some(json!({"requested_fen": 1_000, "purpose": "x"})),
        )
        .await,
        403,
        "university",
    )
    .await;
    assert!(
        [
            "/problems/not-an-enterprise",
            "/problems/enterprise-outside-province"
        ]
        .contains(&refused["type"].as_str().unwrap()),
        "{refused}"
    );
    let over_cap = expect_problem(
        call(
            Method::POST,
            server,
            &applications,
            Some(&company),
            Some(json!({"requested_fen": 600_000, "purpose": "x"})),
        )
        .await,
        422,
        "cap",
    )
    .await;
    assert_eq!(over_cap["type"], "/problems/annual-cap-exceeded");

    // The office decides: the company may not; approving issues the voucher.
    let decision = format!(
        "/api/v1/voucher-applications/{}/decision",
        application["id"]
    );
    expect_problem(
        call(
            Method::POST,
            server,
            &decision,
            Some(&company),
            Some(json!({"approve": true})),
        )
        .await,
        403,
        "company decides",
    )
    .await;
    let pending = json_of(
        call(
            Method::GET,
            server,
            &format!("/api/v1/voucher-applications?programme={programme_id}&status=submitted"),
            Some(&admin),
            None,
        )
        .await,
        200,
        "queue",
    )
    .await;
    assert_eq!(pending["total"], 1);
    let approved = json_of(
        call(
            Method::POST,
            server,
            &decision,
            Some(&admin),
            Some(json!({"approve": true, "amount_fen": 150_000, "note": "partly"})),
        )
        .await,
        200,
        "approve",
    )
    .await;
    assert_eq!(approved["status"], "approved");
    let again = expect_problem(
        call(
            Method::POST,
            server,
            &decision,
            Some(&admin),
            Some(json!({"approve": false})),
        )
        .await,
        409,
        "twice",
    )
    .await;
    assert_eq!(again["type"], "/problems/application-already-decided");
    let wallet = json_of(
        call(
            Method::GET,
            server,
            "/api/v1/me/vouchers",
            Some(&company),
            None,
        )
        .await,
        200,
        "wallet",
    )
    .await;
    assert_eq!(wallet.as_array().unwrap().len(), 1);
    assert_eq!(wallet[0]["available_fen"], 150_000);
    let voucher = wallet[0]["id"].as_i64().unwrap();

    // Two hours at the industry rate of 300 yuan/h: the voucher pays 60% of 60,000 fen.
    let (instrument, _) = managed_instrument(server, &manager).await;
    let (start, end) = (shanghai(8, 10), shanghai(8, 12));
    let split = json_of(
        call(
            Method::POST,
            server,
            &format!("/api/v1/vouchers/{voucher}/quote"),
            Some(&company),
            Some(json!({"instrument_id": instrument, "starts_at": start, "ends_at": end})),
        )
        .await,
        200,
        "split",
    )
    .await;
    assert_eq!(
        (
            split["price_fen"].as_i64(),
            split["voucher_pays_fen"].as_i64(),
            split["enterprise_pays_fen"].as_i64()
        ),
        (Some(60_000), Some(36_000), Some(24_000))
    );
    expect_problem(
        call(
            Method::POST,
            server,
            &format!("/api/v1/vouchers/{voucher}/quote"),
            Some(&researcher),
            Some(json!({"instrument_id": instrument, "starts_at": start, "ends_at": end})),
        )
        .await,
        404,
        "someone else's voucher",
    )
    .await;

    let booking_body = json!({"instrument_id": instrument, "starts_at": start, "ends_at": end, "purpose": "paid by voucher", "voucher_id": voucher});
    let booked = json_of(
        call(
            Method::POST,
            server,
            "/api/v1/bookings",
            Some(&company),
            Some(booking_body.clone()),
        )
        .await,
        201,
        "book with voucher",
    )
    .await;
    assert_eq!(booked["voucher_payment"]["state"], "held");
    assert_eq!(
        booked["voucher_payment"]["split"]["voucher_pays_fen"],
        36_000
    );
    let stolen = json!({"instrument_id": instrument, "starts_at": shanghai(9, 10), "ends_at": shanghai(9, 11), "voucher_id": voucher});
    let problem = expect_problem(
        call(
            Method::POST,
            server,
            "/api/v1/bookings",
            Some(&researcher),
            Some(stolen),
        )
        .await,
        404,
        "not yours",
    )
    .await;
    // Another enterprise's voucher is answered like an unknown one (issue 30, finding 9): the
    // answer must not tell that the id exists.
    assert_eq!(problem["type"], "/problems/not-found");
    let wallet = json_of(
        call(
            Method::GET,
            server,
            "/api/v1/me/vouchers",
            Some(&company),
            None,
        )
        .await,
        200,
        "wallet",
    )
    .await;
    assert_eq!(
        (
            wallet[0]["available_fen"].as_i64(),
            wallet[0]["held_fen"].as_i64()
        ),
        (Some(114_000), Some(36_000))
    );

    // Cancelling releases the hold; the booking shows it.
    let id = booked["id"].as_i64().unwrap();
    json_of(
        call(
            Method::POST,
            server,
            &format!("/api/v1/bookings/{id}/cancel"),
            Some(&company),
            None,
        )
        .await,
        200,
        "cancel",
    )
    .await;
    let shown = json_of(
        call(
            Method::GET,
            server,
            &format!("/api/v1/bookings/{id}"),
            Some(&company),
            None,
        )
        .await,
        200,
        "booking",
    )
    .await;
    assert_eq!(shown["voucher_payment"]["state"], "released");
    let wallet = json_of(
        call(
            Method::GET,
            server,
            "/api/v1/me/vouchers",
            Some(&company),
            None,
        )
        .await,
        200,
        "wallet",
    )
    .await;
    assert_eq!(wallet[0]["available_fen"], 150_000);

    // The settlement statement is the offices' alone; nothing was redeemed yet.
    let period = format!("from={year}-01-01&to={}-01-01", year + 1);
    expect_problem(
        call(
            Method::GET,
            server,
            &format!("/api/v1/voucher-settlement?{period}"),
            Some(&company),
            None,
        )
        .await,
        403,
        "company",
    )
    .await;
    let statement = json_of(
        call(
            Method::GET,
            server,
            &format!("/api/v1/voucher-settlement?{period}"),
            Some(&admin),
            None,
        )
        .await,
        200,
        "statement",
    )
    .await;
    assert_eq!(statement["rows"], json!([]));
    let csv = call(
        Method::GET,
        server,
        &format!("/api/v1/voucher-settlement?{period}&format=csv"),
        Some(&office_sh),
        None,
    )
    .await;
    assert_eq!(csv.status(), 200);
    assert!(csv.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    assert!(csv
        .text()
        .await
        .unwrap()
        .starts_with("payer_province,programme_id,provider_province"));
    expect_problem(
        call(
            Method::GET,
            server,
            &format!("/api/v1/voucher-settlement?from={year}-02-01&to={year}-01-01"),
            Some(&admin),
            None,
        )
        .await,
        400,
        "backwards",
    )
    .await;

    // The vouchers dashboard: the programme's money as the wallet's ledger shows it.
    let figures = json_of(
        call(
            Method::GET,
            server,
            &format!("/api/v1/analytics/vouchers?{period}"),
            None,
            None,
        )
        .await,
        200,
        "voucher analytics",
    )
    .await;
    let row = figures["programmes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|row| row["id"] == programme_id)
        .expect("the programme is listed")
        .clone();
    let mine: Vec<&Value> = wallet
        .as_array()
        .unwrap()
        .iter()
        .filter(|voucher| voucher["programme_id"] == programme_id)
        .collect();
    let sum = |field: &str| -> i64 { mine.iter().map(|v| v[field].as_i64().unwrap()).sum() };
    assert_eq!(row["vouchers"], mine.len() as u64);
    assert_eq!(row["issued_fen"], sum("amount_fen"));
    assert_eq!(row["held_fen"], sum("held_fen"));
    assert_eq!(row["redeemed_fen"], sum("spent_fen"));
    assert_eq!(row["redeemed_in_period_fen"], 0);
    let programme_now = json_of(
        call(
            Method::GET,
            server,
            &format!("/api/v1/voucher-programmes?province={province}"),
            None,
            None,
        )
        .await,
        200,
        "programmes",
    )
    .await;
    let listed = programme_now
        .as_array()
        .unwrap()
        .iter()
        .find(|listed| listed["id"] == programme_id)
        .unwrap()
        .clone();
    assert_eq!(row["budget_available_fen"], listed["budget_available_fen"]);
    let settlement_csv = call(
        Method::GET,
        server,
        &format!("/api/v1/analytics/vouchers?{period}&format=csv&table=settlement"),
        None,
        None,
    )
    .await
    .text()
    .await
    .unwrap();
    assert!(settlement_csv.starts_with("payer_province,provider_province,redemptions,amount_fen\n"));
    expect_problem(
        call(
            Method::GET,
            server,
            &format!("/api/v1/analytics/vouchers?{period}&format=csv&table=people"),
            None,
            None,
        )
        .await,
        400,
        "unknown table",
    )
    .await;
    let page = client()
        .get(server.url(&format!("/analytics/vouchers?{period}")))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains(&format!(r#"data-programme-id="{programme_id}""#)));
    assert!(html.contains(r#"data-testid="settlement-heatmap""#));
}

#[tokio::test]
async fn sqlite_voucher_flow_over_http() {
    let server = sqlite_server().await;
    voucher_flow(&server).await;
    server.finish().await;
}

#[tokio::test]
async fn postgres_voucher_flow_over_http() {
    let server = postgres_server().await;
    voucher_flow(&server).await;
    server.finish().await;
}
