//! Regional analytics over real HTTP: the API's figures for bookings made through the store,
//! their CSV form, refusals of bad input, and the dashboard page showing the same numbers.

use corridor_domain::{
    BookingStatus, Fen, InstitutionId, InstrumentId, PageLimit, ProvinceCode, TimeRange, UserClass,
    UserId,
};
use corridor_store::{HistoricalBooking, InstrumentFilter, PageRequest, Store};
use jiff::{SignedDuration, Timestamp};

use crate::bookings::{call, json_of, token};
use crate::support::{client, second_node, sqlite_server, TestServer};

async fn home(server: &TestServer, email: &str) -> (UserId, InstitutionId) {
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

async fn an_instrument_in(store: &dyn Store, province: ProvinceCode) -> InstrumentId {
    store
        .instruments(
            &InstrumentFilter {
                province: Some(province),
                ..InstrumentFilter::default()
            },
            PageRequest {
                limit: PageLimit::new(1).unwrap(),
                after: None,
            },
        )
        .await
        .unwrap()
        .items[0]
        .instrument
        .id
}

#[tokio::test]
async fn the_api_and_the_dashboard_count_the_flows() {
    let server = sqlite_server().await;
    let store = server.store();
    let (company, enterprise) = home(&server, "company@corridor.demo").await;
    let origin = store
        .institution(enterprise)
        .await
        .unwrap()
        .unwrap()
        .province;
    // The test region has no booking history: three completed bookings at an instrument in
    // another province than the company's, and one at home, ten days ago.
    let elsewhere = if origin == ProvinceCode::Anhui {
        ProvinceCode::Shanghai
    } else {
        ProvinceCode::Anhui
    };
    let away = an_instrument_in(store.as_ref(), elsewhere).await;
    let at_home = an_instrument_in(store.as_ref(), origin).await;
    let start = Timestamp::now() - SignedDuration::from_hours(24 * 10);
    let booking = |instrument: InstrumentId, hour: i64| HistoricalBooking {
        instrument,
        user: company,
        range: TimeRange::new(
            start + SignedDuration::from_hours(hour),
            start + SignedDuration::from_hours(hour + 2),
        )
        .unwrap(),
        status: BookingStatus::Completed,
        user_class: UserClass::Industry,
        hourly_rate: Fen::from_yuan(100),
        price: Fen::from_yuan(200),
        usage_minutes: Some(90),
        charged: Some(Fen::from_yuan(150)),
        created_at: start - SignedDuration::from_hours(48),
    };
    let history = vec![
        booking(away, 0),
        booking(away, 3),
        booking(away, 6),
        booking(at_home, 0),
    ];
    store
        .import_booking_history(&[], &history, &[])
        .await
        .unwrap();
    // A node started now builds its analytics from the bookings just written.
    let node = second_node(&server).await;

    let flows = json_of(
        client()
            .get(node.url("/api/v1/analytics/flows"))
            .send()
            .await
            .unwrap(),
        200,
        "flows",
    )
    .await;
    let cell = |provider: ProvinceCode| {
        flows["cells"]
            .as_array()
            .unwrap()
            .iter()
            .find(|cell| {
                cell["origin"] == origin.as_code() && cell["provider"] == provider.as_code()
            })
            .cloned()
            .unwrap_or_else(|| panic!("no cell to {provider:?}: {flows}"))
    };
    let crossing = cell(elsewhere);
    assert_eq!(crossing["bookings"], 3);
    assert_eq!(crossing["hours"], 4.5, "usage, not booked time");
    assert_eq!(crossing["fees_fen"], 45_000);
    assert_eq!(cell(origin)["bookings"], 1);
    assert_eq!(flows["crossing_hour_share"], 0.75);
    assert_eq!(flows["level"], "province");

    let usage = json_of(
        client()
            .get(node.url(&format!(
                "/api/v1/analytics/usage-by-origin?province={}",
                elsewhere.as_code()
            )))
            .send()
            .await
            .unwrap(),
        200,
        "usage",
    )
    .await;
    assert_eq!(usage["total"]["bookings"], 3);
    assert_eq!(usage["total"]["users"], 1);
    assert_eq!(
        usage["region_user_share"],
        if origin.is_in_region() { 1.0 } else { 0.0 }
    );

    // CSV carries the same cells.
    let csv = client()
        .get(node.url("/api/v1/analytics/flows?format=csv"))
        .send()
        .await
        .unwrap();
    assert_eq!(csv.headers()["content-type"], "text/csv; charset=utf-8");
    let csv = csv.text().await.unwrap();
    assert!(
        csv.starts_with("origin,provider,bookings,hours,fees_fen\n"),
        "{csv}"
    );
    assert!(
        csv.contains(&format!(
            "{},{},3,4.50,45000\n",
            origin.as_code(),
            elsewhere.as_code()
        )),
        "{csv}"
    );
    for path in [
        "/api/v1/analytics/utilisation?by=city",
        "/api/v1/analytics/idle-instruments?min_value_yuan=0&max_utilisation=1&limit=5",
    ] {
        let body = json_of(
            client().get(node.url(path)).send().await.unwrap(),
            200,
            path,
        )
        .await;
        assert!(body["period"]["as_of"].is_string(), "{body}");
    }
    let idle = json_of(
        client()
            .get(node.url(
                "/api/v1/analytics/idle-instruments?min_value_yuan=0&max_utilisation=1&limit=5",
            ))
            .send()
            .await
            .unwrap(),
        200,
        "idle",
    )
    .await;
    assert_eq!(idle["items"].as_array().unwrap().len(), 5);
    assert!(idle["total"].as_u64().unwrap() > 5);

    // Bad input is refused with the field at fault.
    for (path, field) in [
        ("/api/v1/analytics/flows?level=street", "level"),
        (
            "/api/v1/analytics/flows?from=2026-05-01&to=2026-04-01",
            "to",
        ),
        ("/api/v1/analytics/utilisation?by=colour", "by"),
        ("/api/v1/analytics/usage-by-origin?province=XX", "province"),
        (
            "/api/v1/analytics/idle-instruments?max_utilisation=2",
            "max_utilisation",
        ),
        ("/api/v1/analytics/flows?format=xml", "format"),
    ] {
        let response = client().get(node.url(path)).send().await.unwrap();
        assert_eq!(response.status().as_u16(), 400, "{path}");
        let problem: serde_json::Value = response.json().await.unwrap();
        assert!(problem.to_string().contains(field), "{path}: {problem}");
    }

    // The dashboard shows the same totals, with the heat map drawn on the server.
    let html = client()
        .get(node.url("/analytics?lang=en"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains(r#"data-testid="figure-bookings">4<"#),
        "{html}"
    );
    assert!(
        html.contains(r#"data-testid="figure-crossing">75.0%<"#),
        "{html}"
    );
    assert!(
        html.contains(&format!(
            r#"data-origin="{}" data-provider="{}" data-value="4.5""#,
            origin.as_code(),
            elsewhere.as_code()
        )),
        "{html}"
    );
    // The city × city heat map: 4.5 hours from the company's city to the instrument's.
    let home_city = store
        .institution(enterprise)
        .await
        .unwrap()
        .unwrap()
        .institution
        .city;
    let away_city = store.instrument(away).await.unwrap().unwrap().city;
    let city_map = &html[html
        .find(r#"data-testid="city-flow-heatmap""#)
        .expect("the city heat map is drawn")..];
    assert!(
        city_map.contains(&format!(
            r#"data-origin="{}" data-provider="{}" data-value="4.5""#,
            home_city.get(),
            away_city.get()
        )),
        "{city_map}"
    );
    node.finish().await;
    server.finish().await;
}

/// When the analytics facts cannot be built (here a stored institution carries a sector the
/// domain refuses, as if the database had been edited behind Corridor's back), the node still
/// serves everything else, and every analytics answer is a 500 problem instead of a wait or a
/// made-up figure.
#[tokio::test]
async fn analytics_answer_500_when_the_facts_cannot_be_built() {
    use sqlx::Connection;
    let server = sqlite_server().await;
    let url = server.sqlite_url().unwrap();
    let mut connection = sqlx::SqliteConnection::connect(&url).await.unwrap();
    let changed = sqlx::query(
        "UPDATE institutions SET sector = 'shipbuilding' WHERE id = (SELECT MIN(id) FROM institutions)",
    )
    .execute(&mut connection)
    .await
    .unwrap()
    .rows_affected();
    assert_eq!(changed, 1);
    connection.close().await.unwrap();
    // A node started now fails its first analytics build.
    let node = second_node(&server).await;
    for path in [
        "/api/v1/analytics/flows",
        "/api/v1/analytics/usage-by-origin",
        "/api/v1/analytics/cluster-reach?from_city=310000&sector=aerospace",
    ] {
        let response = client().get(node.url(path)).send().await.unwrap();
        assert_eq!(response.status(), 500, "{path}");
        let problem: serde_json::Value = response.json().await.unwrap();
        assert_eq!(problem["type"], "/problems/internal", "{path}: {problem}");
    }
    let page = client().get(node.url("/analytics")).send().await.unwrap();
    assert_eq!(page.status(), 500);
    // Everything else still works.
    let instruments = client()
        .get(node.url("/api/v1/instruments?limit=1"))
        .send()
        .await
        .unwrap();
    assert_eq!(instruments.status(), 200);
    node.finish().await;
    server.finish().await;
}
