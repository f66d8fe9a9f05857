//! iCalendar feeds over HTTP, read back with a real parser: local times in the instrument's
//! own zone, right on both sides of a daylight-saving change.

use icalendar::parser::{read_calendar, unfold};
use serde_json::json;

use crate::bookings::{call, json_of, managed_instrument, token};
use crate::support::{client, expect_problem, sqlite_server};

#[tokio::test]
async fn feeds_keep_local_times_across_daylight_saving() {
    let server = sqlite_server().await;
    let manager = token(&server, "manager@corridor.demo").await;
    let company = token(&server, "company@corridor.demo").await;
    let (instrument, _) = managed_instrument(&server, &manager).await;
    // The instrument moves to Berlin, where clocks go forward on 28 March 2027.
    let current = json_of(
        call(
            reqwest::Method::GET,
            &server,
            &format!("/api/v1/instruments/{instrument}"),
            None,
            None,
        )
        .await,
        200,
        "instrument",
    )
    .await;
    let mut input = json!({
        "institution_id": current["place"]["institution_id"], "site_id": current["place"]["site_id"],
        "category": current["category"], "name_en": current["name_en"], "name_zh": current["name_zh"],
        "manufacturer": current["manufacturer"], "model": current["model"],
        "year_of_manufacture": current["year_of_manufacture"], "purchase_value_fen": current["purchase_value_fen"],
        "access_policy": "open", "booking_mode": "instant", "training_required": false,
        "hourly_rates": {"own_institution_fen": 0, "other_academic_fen": 0, "industry_fen": 10_000},
        "opening_hours": "Mon-Sun 08:00-20:00",
    });
    input["time_zone"] = json!("Europe/Berlin");
    json_of(
        call(
            reqwest::Method::PUT,
            &server,
            &format!("/api/v1/instruments/{instrument}"),
            Some(&manager),
            Some(input),
        )
        .await,
        200,
        "move to Berlin",
    )
    .await;
    for (start, end) in [
        ("2027-03-26T09:00:00+01:00", "2027-03-26T10:00:00+01:00"),
        ("2027-03-29T09:00:00+02:00", "2027-03-29T10:00:00+02:00"),
    ] {
        json_of(
            call(
                reqwest::Method::POST,
                &server,
                "/api/v1/bookings",
                Some(&company),
                Some(json!({"instrument_id": instrument, "starts_at": start, "ends_at": end})),
            )
            .await,
            201,
            start,
        )
        .await;
    }

    let response = client()
        .get(server.url(&format!("/api/v1/instruments/{instrument}/calendar.ics")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/calendar"));
    let text = response.text().await.unwrap();
    let unfolded = unfold(&text);
    let calendar = read_calendar(&unfolded).unwrap_or_else(|error| panic!("{error}\n{text}"));
    // The parser's calendar is the VCALENDAR: its components are the events and zones.
    let events: Vec<_> = calendar
        .components
        .iter()
        .filter(|component| component.name.as_str() == "VEVENT")
        .collect();
    assert_eq!(events.len(), 2, "{text}");
    for event in &events {
        let start = event
            .properties
            .iter()
            .find(|property| property.name.as_str() == "DTSTART")
            .unwrap();
        let zone = start
            .params
            .iter()
            .find(|parameter| parameter.key.as_str() == "TZID")
            .and_then(|parameter| parameter.val.as_ref())
            .map(|value| value.as_str().to_owned());
        assert_eq!(zone.as_deref(), Some("Europe/Berlin"));
        // Both bookings start at nine o'clock local time, although an hour apart in UTC.
        assert!(
            start.val.as_str().ends_with("T090000"),
            "{}",
            start.val.as_str()
        );
    }
    let timezone = calendar
        .components
        .iter()
        .find(|component| component.name.as_str() == "VTIMEZONE")
        .expect("a VTIMEZONE");
    let offsets: Vec<String> = timezone
        .components
        .iter()
        .flat_map(|observance| {
            observance
                .properties
                .iter()
                .filter(|property| property.name.as_str() == "TZOFFSETTO")
                .map(|property| property.val.as_str().to_owned())
        })
        .collect();
    assert!(
        offsets.contains(&"+0100".to_owned()) && offsets.contains(&"+0200".to_owned()),
        "{offsets:?}"
    );

    // The user's own feed needs the user, and lists their bookings by uid.
    expect_problem(
        client()
            .get(server.url("/api/v1/me/bookings.ics"))
            .send()
            .await
            .unwrap(),
        401,
        "anonymous feed",
    )
    .await;
    let mine = client()
        .get(server.url("/api/v1/me/bookings.ics"))
        .bearer_auth(&company)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(mine.matches("BEGIN:VEVENT").count(), 2, "{mine}");
    server.finish().await;
}
