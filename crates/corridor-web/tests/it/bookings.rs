//! Booking over real HTTP: quote, book with an idempotency key, the waitlist, approvals,
//! who sees what on a calendar, closures, and the availability filter of search.

use jiff::{SignedDuration, Timestamp};
use serde_json::{json, Value};

use crate::support::{
    client, expect_problem, postgres_server, second_node, sqlite_server, TestServer, DEMO_PASSWORD,
};

pub async fn token(server: &TestServer, email: &str) -> String {
    let response = client()
        .post(server.url("/api/v1/tokens"))
        .json(&json!({"email": email, "password": DEMO_PASSWORD, "name": "test"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201, "token for {email}");
    let body: Value = response.json().await.unwrap();
    body["token"].as_str().unwrap().to_owned()
}

pub async fn call(
    method: reqwest::Method,
    server: &TestServer,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> reqwest::Response {
    let mut request = client().request(method, server.url(path));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    request.send().await.unwrap()
}

pub async fn json_of(response: reqwest::Response, status: u16, context: &str) -> Value {
    let actual = response.status().as_u16();
    let body: Value = response.json().await.unwrap();
    assert_eq!(actual, status, "{context}: {body}");
    body
}

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

/// An instrument of the manager's institution, made predictable by its manager over the
/// API: open to all every day 08:00-20:00, approval needed, no training.
pub async fn managed_instrument(server: &TestServer, manager: &str) -> (i64, i64) {
    let me = json_of(
        call(
            reqwest::Method::GET,
            server,
            "/api/v1/me",
            Some(manager),
            None,
        )
        .await,
        200,
        "me",
    )
    .await;
    let institution = me["home_institution_id"]
        .as_i64()
        .expect("home institution id");
    let list = json_of(
        call(
            reqwest::Method::GET,
            server,
            &format!("/api/v1/instruments?institution={institution}&limit=1"),
            None,
            None,
        )
        .await,
        200,
        "list",
    )
    .await;
    let instrument = &list["items"][0];
    let id = instrument["id"].as_i64().unwrap();
    let input = json!({
        "institution_id": institution,
        "site_id": instrument["place"]["site_id"],
        "category": instrument["category"],
        "name_en": instrument["name_en"],
        "name_zh": instrument["name_zh"],
        "manufacturer": instrument["manufacturer"],
        "model": instrument["model"],
        "year_of_manufacture": instrument["year_of_manufacture"],
        "purchase_value_fen": instrument["purchase_value_fen"],
        "access_policy": "open",
        "booking_mode": "needs_approval",
        "training_required": false,
        "hourly_rates": {"own_institution_fen": 5_000, "other_academic_fen": 10_000, "industry_fen": 30_000},
        "opening_hours": "Mon-Sun 08:00-20:00",
    });
    json_of(
        call(
            reqwest::Method::PUT,
            server,
            &format!("/api/v1/instruments/{id}"),
            Some(manager),
            Some(input),
        )
        .await,
        200,
        "update instrument",
    )
    .await;
    (id, institution)
}

/// Asks `node` for the institution's instruments free for four hours in `days` until it
/// offers `instrument` (or stops offering it), for at most 2 s: a second node learns of
/// changes made elsewhere from the change log.
async fn wait_until_offered(
    node: &TestServer,
    institution: i64,
    instrument: i64,
    days: (String, String),
    offered: bool,
    what: &str,
) {
    let path = format!(
        "/api/v1/search?institution={institution}&free_hours=4&free_from={}&free_to={}&limit=100",
        days.0, days.1
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
    loop {
        let page = json_of(
            call(reqwest::Method::GET, node, &path, None, None).await,
            200,
            "search on the other node",
        )
        .await;
        assert!(
            page["total"].as_u64().unwrap() <= 100,
            "one page holds the institution"
        );
        let offers = page["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|item| item["id"].as_i64() == Some(instrument));
        if offers == offered {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{what}: the other node still answers offered = {offers} 2 s later"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

async fn booking_flow(server: &TestServer) {
    let manager = token(server, "manager@corridor.demo").await;
    let company = token(server, "company@corridor.demo").await;
    let researcher = token(server, "researcher@corridor.demo").await;
    let (instrument, institution) = managed_instrument(server, &manager).await;
    let (start, end) = (shanghai(7, 10), shanghai(7, 12));

    // The quote shows the company's rate and price before anything is booked.
    let quote = json_of(
        call(
            reqwest::Method::POST,
            server,
            &format!("/api/v1/instruments/{instrument}/quote"),
            Some(&company),
            Some(json!({"starts_at": start, "ends_at": end})),
        )
        .await,
        200,
        "quote",
    )
    .await;
    assert_eq!(
        (
            quote["user_class"].as_str(),
            quote["price_fen"].as_i64(),
            quote["slot_free"].as_bool()
        ),
        (Some("industry"), Some(60_000), Some(true)),
        "{quote}"
    );
    assert!(quote["refusal_type"].is_null());

    // Booking with an idempotency key, twice: one booking, 201 then 200.
    let booking_body = json!({"instrument_id": instrument, "starts_at": start, "ends_at": end, "purpose": "failure analysis"});
    let send = |key: &'static str, body: Value, token: String| {
        let url = server.url("/api/v1/bookings");
        async move {
            client()
                .post(url)
                .bearer_auth(token)
                .header("Idempotency-Key", key)
                .json(&body)
                .send()
                .await
                .unwrap()
        }
    };
    let first = json_of(
        send("order-4711", booking_body.clone(), company.clone()).await,
        201,
        "book",
    )
    .await;
    assert_eq!(first["status"], "pending");
    let again = json_of(
        send("order-4711", booking_body.clone(), company.clone()).await,
        200,
        "replay",
    )
    .await;
    assert_eq!(again["id"], first["id"]);
    let booking = first["id"].as_i64().unwrap();

    // The slot is taken for the researcher: 409, or 202 on the waitlist.
    let taken = send(
        "r-1",
        json!({"instrument_id": instrument, "starts_at": shanghai(7, 11), "ends_at": end}),
        researcher.clone(),
    )
    .await;
    let problem = expect_problem(taken, 409, "overlapping booking").await;
    assert_eq!(problem["type"], "/problems/slot-taken");
    let waiting = json_of(send("r-2", json!({"instrument_id": instrument, "starts_at": shanghai(7, 11), "ends_at": end, "join_waitlist": true}), researcher.clone()).await, 202, "waitlist").await;
    assert_eq!(waiting["status"], "waiting");
    // Outside the opening hours: 422 with its own problem type.
    let night = send("r-3", json!({"instrument_id": instrument, "starts_at": shanghai(7, 19), "ends_at": shanghai(7, 21)}), researcher.clone()).await;
    assert_eq!(
        expect_problem(night, 422, "night").await["type"],
        "/problems/booking-outside-opening-hours"
    );

    // The approvals queue: the manager sees the booking, a researcher has no queue.
    let queue = json_of(
        call(
            reqwest::Method::GET,
            server,
            "/api/v1/manage/pending-bookings",
            Some(&manager),
            None,
        )
        .await,
        200,
        "queue",
    )
    .await;
    assert!(
        queue["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|item| item["id"] == booking),
        "{queue}"
    );
    expect_problem(
        call(
            reqwest::Method::GET,
            server,
            "/api/v1/manage/pending-bookings",
            Some(&company),
            None,
        )
        .await,
        403,
        "company queue",
    )
    .await;
    // Only a manager approves; another user cannot even see the booking.
    expect_problem(
        call(
            reqwest::Method::POST,
            server,
            &format!("/api/v1/bookings/{booking}/approve"),
            Some(&company),
            Some(json!({})),
        )
        .await,
        403,
        "self-approval",
    )
    .await;
    expect_problem(
        call(
            reqwest::Method::GET,
            server,
            &format!("/api/v1/bookings/{booking}"),
            Some(&researcher),
            None,
        )
        .await,
        404,
        "someone else's booking",
    )
    .await;
    let approved = json_of(
        call(
            reqwest::Method::POST,
            server,
            &format!("/api/v1/bookings/{booking}/approve"),
            Some(&manager),
            Some(json!({"note": "see you"})),
        )
        .await,
        200,
        "approve",
    )
    .await;
    assert_eq!(approved["booking"]["status"], "confirmed");
    let twice = call(
        reqwest::Method::POST,
        server,
        &format!("/api/v1/bookings/{booking}/approve"),
        Some(&manager),
        Some(json!({})),
    )
    .await;
    assert_eq!(
        expect_problem(twice, 409, "approve twice").await["type"],
        "/problems/wrong-booking-status"
    );

    // Free/busy for everyone, names for managers.
    let window = format!(
        "/api/v1/instruments/{instrument}/calendar?from={}&to={}",
        shanghai(7, 0),
        shanghai(8, 0)
    );
    let public = json_of(
        call(reqwest::Method::GET, server, &window, None, None).await,
        200,
        "public calendar",
    )
    .await;
    assert_eq!(public["busy"].as_array().unwrap().len(), 1, "{public}");
    assert!(
        public["busy"][0]["booking_id"].is_null()
            && public["busy"][0]["user_display_name"].is_null()
    );
    let managed = json_of(
        call(reqwest::Method::GET, server, &window, Some(&manager), None).await,
        200,
        "manager calendar",
    )
    .await;
    assert_eq!(managed["busy"][0]["booking_id"], booking);
    assert_eq!(managed["opening_hours"], "Mon-Sun 08:00-20:00");

    // The booking is in the company's list; cancelling it books the waiting researcher.
    let mine = json_of(
        call(
            reqwest::Method::GET,
            server,
            "/api/v1/me/bookings",
            Some(&company),
            None,
        )
        .await,
        200,
        "my bookings",
    )
    .await;
    assert_eq!(mine["items"][0]["id"], booking);
    let cancelled = json_of(
        call(
            reqwest::Method::POST,
            server,
            &format!("/api/v1/bookings/{booking}/cancel"),
            Some(&company),
            None,
        )
        .await,
        200,
        "cancel",
    )
    .await;
    assert_eq!(cancelled["booking"]["status"], "cancelled");
    assert_eq!(
        cancelled["promoted_from_waitlist"][0]["user_display_name"],
        "Li Na 李娜"
    );

    // Search: a maintenance closure over two days removes the instrument from "free for 4
    // hours" in those days, and leaves it in for the day after. A second node, started
    // before the closure, learns of it through the change log.
    let other = second_node(server).await;
    let closure = json!({"kind": "maintenance", "starts_at": shanghai(10, 0), "ends_at": shanghai(12, 0), "reason": "annual service"});
    expect_problem(
        call(
            reqwest::Method::POST,
            server,
            &format!("/api/v1/instruments/{instrument}/closures"),
            Some(&company),
            Some(closure.clone()),
        )
        .await,
        403,
        "company closes",
    )
    .await;
    json_of(
        call(
            reqwest::Method::POST,
            server,
            &format!("/api/v1/instruments/{instrument}/closures"),
            Some(&manager),
            Some(closure),
        )
        .await,
        201,
        "close",
    )
    .await;
    let day = |days: i64| {
        let zone = jiff::tz::db().get("Asia/Shanghai").unwrap();
        (Timestamp::now() + SignedDuration::from_hours(24 * days))
            .to_zoned(zone)
            .date()
            .to_string()
    };
    let found = |from: String, to: String| {
        let path = format!("/api/v1/search?institution={institution}&free_hours=4&free_from={from}&free_to={to}&limit=100");
        async move {
            let mut ids = Vec::new();
            let mut offset = 0;
            loop {
                let page = json_of(
                    call(
                        reqwest::Method::GET,
                        server,
                        &format!("{path}&offset={offset}"),
                        None,
                        None,
                    )
                    .await,
                    200,
                    "search",
                )
                .await;
                let items = page["items"].as_array().unwrap();
                ids.extend(items.iter().map(|item| item["id"].as_i64().unwrap()));
                offset += 100;
                if offset as u64 >= page["total"].as_u64().unwrap() {
                    return ids;
                }
            }
        }
    };
    assert!(
        !found(day(10), day(11)).await.contains(&instrument),
        "closed days"
    );
    assert!(
        found(day(12), day(12)).await.contains(&instrument),
        "the day after"
    );
    wait_until_offered(
        &other,
        institution,
        instrument,
        (day(10), day(11)),
        false,
        "the closed days",
    )
    .await;

    // Bookings made on the first node reach the second through the change log: two bookings
    // leave no four free hours on day 12 (08-11, 13-15, 17-20); cancelling one frees 13-20.
    // First, closures of another instrument put seventy entries after this instrument's
    // earlier ones, so that the second node has read past them and only the bookings' own
    // entries can tell it.
    let list = json_of(
        call(
            reqwest::Method::GET,
            server,
            &format!("/api/v1/instruments?institution={institution}&limit=2"),
            None,
            None,
        )
        .await,
        200,
        "list",
    )
    .await;
    let neighbour = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["id"].as_i64().unwrap())
        .find(|id| *id != instrument)
        .expect("a second instrument at the institution");
    for week in 0..70 {
        let closure = json!({"kind": "maintenance", "starts_at": shanghai(20 + week, 8), "ends_at": shanghai(20 + week, 9), "reason": "weekly check"});
        json_of(
            call(
                reqwest::Method::POST,
                server,
                &format!("/api/v1/instruments/{neighbour}/closures"),
                Some(&manager),
                Some(closure),
            )
            .await,
            201,
            "close the neighbour",
        )
        .await;
    }
    // The follower refreshes twice a second: after three intervals it has read past them.
    tokio::time::sleep(std::time::Duration::from_millis(1_500)).await;
    wait_until_offered(
        &other,
        institution,
        instrument,
        (day(12), day(12)),
        true,
        "day 12 before the bookings",
    )
    .await;
    let mut on_day_12 = Vec::new();
    for (from, to, key) in [(11, 13, "day-12-a"), (15, 17, "day-12-b")] {
        let booked = json_of(
            send(key, json!({"instrument_id": instrument, "starts_at": shanghai(12, from), "ends_at": shanghai(12, to)}), company.clone()).await,
            201,
            "book day 12",
        )
        .await;
        on_day_12.push(booked["id"].as_i64().unwrap());
    }
    assert!(
        !found(day(12), day(12)).await.contains(&instrument),
        "the first node still offers four free hours on day 12"
    );
    wait_until_offered(
        &other,
        institution,
        instrument,
        (day(12), day(12)),
        false,
        "day 12 after two bookings",
    )
    .await;
    json_of(
        call(
            reqwest::Method::POST,
            server,
            &format!("/api/v1/bookings/{}/cancel", on_day_12[1]),
            Some(&company),
            None,
        )
        .await,
        200,
        "cancel on day 12",
    )
    .await;
    wait_until_offered(
        &other,
        institution,
        instrument,
        (day(12), day(12)),
        true,
        "day 12 after a cancellation",
    )
    .await;
    let bad = call(
        reqwest::Method::GET,
        server,
        "/api/v1/search?free_hours=4&free_from=2026-01-01",
        None,
        None,
    )
    .await;
    assert_eq!(
        expect_problem(bad, 400, "half an availability filter").await["parameter"],
        "free_hours"
    );

    // Every step left its audit event.
    let admin = token(server, "admin@corridor.demo").await;
    let events = json_of(
        call(
            reqwest::Method::GET,
            server,
            "/api/v1/audit-events?limit=100",
            Some(&admin),
            None,
        )
        .await,
        200,
        "audit",
    )
    .await;
    let actions: Vec<&str> = events["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|event| event["action"].as_str().unwrap())
        .collect();
    for action in [
        "booking.created",
        "waitlist.joined",
        "booking.approved",
        "booking.cancelled",
        "waitlist.promoted",
        "calendar.closure_added",
    ] {
        assert!(
            actions.contains(&action),
            "{action} missing from {actions:?}"
        );
    }
}

#[tokio::test]
async fn sqlite_booking_flow_over_http() {
    let server = sqlite_server().await;
    booking_flow(&server).await;
    server.finish().await;
}

#[tokio::test]
async fn postgres_booking_flow_over_http() {
    let server = postgres_server().await;
    booking_flow(&server).await;
    server.finish().await;
}
