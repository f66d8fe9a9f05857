//! The hostile-input findings of issue 30 over real HTTP, one test per finding (each failed
//! on the code as it was): amounts past their bounds, bookings years ahead, tokens that never
//! died, timestamps outside RFC 3339, invalid UTF-8, and an idempotency key reused for a
//! different request.

use jiff::{SignedDuration, Timestamp};
use reqwest::Method;
use serde_json::{json, Value};

use crate::bookings::{call, json_of, managed_instrument, token};
use crate::support::{client, expect_problem, sqlite_server, TestServer};

/// Local `hour`:00 Shanghai time, `days` days from now, as RFC 3339.
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

async fn instrument_body(server: &TestServer, manager: &str) -> (i64, Value) {
    let (id, institution) = managed_instrument(server, manager).await;
    let instrument = json_of(
        call(
            Method::GET,
            server,
            &format!("/api/v1/instruments/{id}"),
            None,
            None,
        )
        .await,
        200,
        "instrument",
    )
    .await;
    let body = json!({
        "institution_id": institution,
        "site_id": instrument["place"]["site_id"],
        "category": instrument["category"],
        "name_en": "Rate probe",
        "name_zh": "费率探测",
        "manufacturer": instrument["manufacturer"],
        "model": instrument["model"],
        "year_of_manufacture": instrument["year_of_manufacture"],
        "purchase_value_fen": 1,
        "access_policy": "open",
        "booking_mode": "instant",
        "training_required": false,
        "hourly_rates": {"own_institution_fen": 1, "other_academic_fen": 1, "industry_fen": 1},
        "opening_hours": "Mon-Sun 08:00-20:00",
    });
    (id, body)
}

/// Findings 3 and 4: an hourly rate of `i64::MAX` was accepted (its 8-hour quote wrapped to
/// -8 fen, booking it answered 500), and a programme budget of `i64::MAX` answered 500.
#[tokio::test]
async fn amounts_beyond_their_bounds_are_refused_with_400() {
    let server = sqlite_server().await;
    let manager = token(&server, "manager@corridor.demo").await;
    let (_, mut body) = instrument_body(&server, &manager).await;
    body["hourly_rates"]["industry_fen"] = json!(i64::MAX);
    let problem = expect_problem(
        call(
            Method::POST,
            &server,
            "/api/v1/instruments",
            Some(&manager),
            Some(body),
        )
        .await,
        400,
        "a rate past the bound",
    )
    .await;
    assert_eq!(problem["parameter"], "rate_industry_fen", "{problem}");

    let office = token(&server, "vouchers-sh@corridor.demo").await;
    let programme = json!({
        "province": "SH",
        "name_en": "Unbounded", "name_zh": "无界",
        "budget_fen": i64::MAX,
        "co_funding_percent": 50,
        "annual_cap_per_enterprise_fen": 1_000_000,
        "valid_from": "2027-01-01", "valid_until": "2027-12-31",
        "provider_scope": "whole_region",
        "redemption_mode": "provider_redeems",
    });
    let problem = expect_problem(
        call(
            Method::POST,
            &server,
            "/api/v1/voucher-programmes",
            Some(&office),
            Some(programme),
        )
        .await,
        400,
        "a budget past the bound",
    )
    .await;
    assert_eq!(problem["parameter"], "budget_fen", "{problem}");
}

/// Finding 5: a booking in the year 9998 was accepted. Calendars now have a horizon (180
/// days unless the manager sets another).
#[tokio::test]
async fn bookings_beyond_the_calendars_horizon_are_refused() {
    let server = sqlite_server().await;
    let manager = token(&server, "manager@corridor.demo").await;
    let (instrument, _) = managed_instrument(&server, &manager).await;
    let researcher = token(&server, "researcher@corridor.demo").await;
    for (starts_at, ends_at) in [
        (
            "9998-03-02T10:00:00+08:00".to_owned(),
            "9998-03-02T11:00:00+08:00".to_owned(),
        ),
        (shanghai(200, 10), shanghai(200, 11)),
    ] {
        let problem = expect_problem(
            call(
                Method::POST,
                &server,
                "/api/v1/bookings",
                Some(&researcher),
                Some(json!({"instrument_id": instrument, "starts_at": starts_at, "ends_at": ends_at})),
            )
            .await,
            422,
            "too far ahead",
        )
        .await;
        assert_eq!(
            problem["type"], "/problems/booking-too-far-ahead",
            "{problem}"
        );
    }
    // The manager moves the horizon to a year: 200 days ahead is bookable then.
    let mut rules = json_of(
        call(
            Method::GET,
            &server,
            &format!("/api/v1/instruments/{instrument}/calendar"),
            None,
            None,
        )
        .await,
        200,
        "calendar",
    )
    .await["rules"]
        .clone();
    rules["booking_horizon_days"] = json!(366);
    json_of(
        call(
            Method::PUT,
            &server,
            &format!("/api/v1/instruments/{instrument}/calendar/rules"),
            Some(&manager),
            Some(rules),
        )
        .await,
        200,
        "rules",
    )
    .await;
    let booked = call(
        Method::POST,
        &server,
        "/api/v1/bookings",
        Some(&researcher),
        Some(json!({"instrument_id": instrument, "starts_at": shanghai(200, 10), "ends_at": shanghai(200, 11)})),
    )
    .await;
    assert_eq!(booked.status(), 201);
}

/// Finding 6: API tokens could not be revoked and never expired.
#[tokio::test]
async fn tokens_expire_and_are_refused_at_once_once_revoked() {
    let server = sqlite_server().await;
    let created = json_of(
        client()
            .post(server.url("/api/v1/tokens"))
            .json(&json!({"email": "researcher@corridor.demo", "password": crate::support::DEMO_PASSWORD, "name": "ci", "lifetime_days": 7}))
            .send()
            .await
            .unwrap(),
        201,
        "token",
    )
    .await;
    let secret = created["token"].as_str().unwrap().to_owned();
    let expires: Timestamp = created["expires_at"].as_str().unwrap().parse().unwrap();
    let in_a_week = Timestamp::now() + SignedDuration::from_hours(24 * 7);
    assert!((expires.duration_since(in_a_week)).abs() < SignedDuration::from_mins(5));
    let mine = json_of(
        call(
            Method::GET,
            &server,
            "/api/v1/me/tokens",
            Some(&secret),
            None,
        )
        .await,
        200,
        "mine",
    )
    .await;
    assert!(mine
        .as_array()
        .unwrap()
        .iter()
        .any(|token| token["id"] == created["id"] && token["active"] == true));
    // Another user cannot revoke it: it does not exist for them.
    let other = token(&server, "manager@corridor.demo").await;
    expect_problem(
        call(
            Method::DELETE,
            &server,
            &format!("/api/v1/me/tokens/{}", created["id"]),
            Some(&other),
            None,
        )
        .await,
        404,
        "someone else's token",
    )
    .await;
    let revoked = json_of(
        call(
            Method::DELETE,
            &server,
            &format!("/api/v1/me/tokens/{}", created["id"]),
            Some(&secret),
            None,
        )
        .await,
        200,
        "revoke",
    )
    .await;
    assert_eq!(revoked["active"], false);
    // Refused at once, not after a cache's lifetime.
    expect_problem(
        call(Method::GET, &server, "/api/v1/me", Some(&secret), None).await,
        401,
        "revoked",
    )
    .await;
    let too_long = client()
        .post(server.url("/api/v1/tokens"))
        .json(&json!({"email": "researcher@corridor.demo", "password": crate::support::DEMO_PASSWORD, "name": "x", "lifetime_days": 3650}))
        .send()
        .await
        .unwrap();
    expect_problem(too_long, 400, "a ten-year token").await;
    // An expired token is refused like an unknown one.
    let researcher = server
        .store()
        .sign_in_candidate(
            &corridor_domain::EmailAddress::parse("researcher@corridor.demo").unwrap(),
        )
        .await
        .unwrap()
        .unwrap()
        .user;
    let (expired, hash) =
        corridor_app::accounts::new_secret(corridor_app::accounts::API_TOKEN_PREFIX);
    server
        .store()
        .create_api_token(
            researcher.id,
            "old",
            &hash,
            Timestamp::now() - SignedDuration::from_hours(1),
            &corridor_store::AuditContext::default(),
        )
        .await
        .unwrap();
    expect_problem(
        call(Method::GET, &server, "/api/v1/me", Some(&expired), None).await,
        401,
        "expired",
    )
    .await;
}

/// Findings 10 and 11: a query that was invalid UTF-8 answered every instrument, and
/// timestamps with the offset +25:00 or the year +002026 were accepted.
#[tokio::test]
async fn invalid_text_and_lenient_timestamps_are_400() {
    let server = sqlite_server().await;
    let invalid = client()
        .get(server.url("/api/v1/search?q=%FF%FE"))
        .send()
        .await
        .unwrap();
    let problem = expect_problem(invalid, 400, "invalid UTF-8").await;
    assert_eq!(problem["parameter"], "query");
    let manager = token(&server, "manager@corridor.demo").await;
    let (instrument, _) = managed_instrument(&server, &manager).await;
    let researcher = token(&server, "researcher@corridor.demo").await;
    let start = shanghai(3, 10);
    for (starts_at, ends_at) in [
        (start.replace('Z', "+25:00"), shanghai(3, 11)),
        (format!("+00{start}"), shanghai(3, 11)),
    ] {
        let problem = expect_problem(
            call(
                Method::POST,
                &server,
                "/api/v1/bookings",
                Some(&researcher),
                Some(json!({"instrument_id": instrument, "starts_at": starts_at, "ends_at": ends_at})),
            )
            .await,
            400,
            "a lenient timestamp",
        )
        .await;
        assert_eq!(problem["parameter"], "starts_at", "{problem}");
    }
    // Full-width Latin finds what plain Latin finds.
    let count = |query: &'static str| {
        let url = server.url(&format!("/api/v1/search?q={query}"));
        async move {
            let body: Value = client()
                .get(url)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            body["total"].as_u64().unwrap()
        }
    };
    let plain = count("NMR").await;
    assert!(plain > 0);
    assert_eq!(count("%EF%BC%AE%EF%BC%AD%EF%BC%B2").await, plain, "ＮＭＲ");
}

/// Finding 12: an `Idempotency-Key` reused with a different body answered the first booking
/// (another day) with 200.
#[tokio::test]
async fn an_idempotency_key_reused_for_another_request_is_422() {
    let server = sqlite_server().await;
    let manager = token(&server, "manager@corridor.demo").await;
    let (instrument, _) = managed_instrument(&server, &manager).await;
    let researcher = token(&server, "researcher@corridor.demo").await;
    let book = |day: i64| {
        let request = client()
            .post(server.url("/api/v1/bookings"))
            .bearer_auth(&researcher)
            .header("idempotency-key", "order-4711")
            .json(&json!({"instrument_id": instrument, "starts_at": shanghai(day, 10), "ends_at": shanghai(day, 11)}));
        async move { request.send().await.unwrap() }
    };
    let first = json_of(book(4).await, 201, "first").await;
    let again = json_of(book(4).await, 200, "the same request again").await;
    assert_eq!(again["id"], first["id"]);
    let problem = expect_problem(book(5).await, 422, "another request, same key").await;
    assert_eq!(
        problem["type"], "/problems/idempotency-key-reused",
        "{problem}"
    );
}
