//! Rail reach over HTTP: the reach endpoint, the reach filter of search, and the pages.

use serde_json::Value;

use crate::support::{client, expect_problem, sqlite_server};

#[tokio::test]
async fn reach_answers_travel_times_and_filters_search() {
    let server = sqlite_server().await;
    let reach: Value = client()
        .get(server.url("/api/v1/reach?from=310000&depart=07:00&window=120&max_minutes=180"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let minutes_to = |city: u64| {
        reach["cities"]
            .as_array()
            .unwrap()
            .iter()
            .find(|entry| entry["city"] == city)
            .map(|entry| entry["minutes"].as_u64().unwrap())
    };
    assert_eq!(minutes_to(310000), Some(0));
    let nanjing = minutes_to(320100).expect("Nanjing is reachable from Shanghai");
    assert!((55..=90).contains(&nanjing), "{nanjing}");
    let suzhou = minutes_to(320500).expect("Suzhou is reachable");
    assert!(suzhou < nanjing);
    assert!(reach["stations"]
        .as_array()
        .unwrap()
        .iter()
        .all(|station| station["minutes"].as_u64().unwrap() <= 180));

    for (query, parameter) in [
        ("from=999999", "from"),
        ("from=310000&depart=25:00", "depart"),
        ("from=310000&max_minutes=0", "max_minutes"),
        ("from=310000&window=9999", "window"),
    ] {
        let response = client()
            .get(server.url(&format!("/api/v1/reach?{query}")))
            .send()
            .await
            .unwrap();
        assert_eq!(
            expect_problem(response, 400, query).await["parameter"],
            parameter,
            "{query}"
        );
    }

    let within: Value = client()
        .get(server.url("/api/v1/search?reach_from=310000&reach_minutes=40&limit=100"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let allowed: Vec<u64> = {
        let reach: Value = client()
            .get(server.url("/api/v1/reach?from=310000&max_minutes=40"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        reach["cities"]
            .as_array()
            .unwrap()
            .iter()
            .map(|entry| entry["city"].as_u64().unwrap())
            .collect()
    };
    assert!(within["total"].as_u64().unwrap() > 0);
    assert!(
        within["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|item| allowed.contains(&item["city"].as_u64().unwrap())),
        "{allowed:?}"
    );
    assert!(
        !allowed.contains(&340100),
        "Hefei is more than 40 minutes from Shanghai"
    );
    let lone = client()
        .get(server.url("/api/v1/search?reach_minutes=40"))
        .send()
        .await
        .unwrap();
    expect_problem(lone, 400, "reach_minutes without reach_from").await;
}

#[tokio::test]
async fn the_reach_page_and_the_journey_on_an_instrument_page_render() {
    let server = sqlite_server().await;
    let page = client()
        .get(server.url("/reach?from=320100&depart=08:00&window=60"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(
        html.contains(r#"data-testid="isochrone""#)
            && html.contains(r#"<option value="320100" selected>"#)
    );
    assert_eq!(
        client()
            .get(server.url("/reach?from=999999"))
            .send()
            .await
            .unwrap()
            .status(),
        400
    );

    // An instrument outside Shanghai, with the journey from Shanghai on its page.
    let search: Value = client()
        .get(server.url("/api/v1/search?province=JS&city=320100&limit=1"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = search["items"][0]["id"].as_i64().unwrap();
    let html = client()
        .get(server.url(&format!("/instruments/{id}?from=310000")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains(r#"data-testid="journey-duration""#),
        "a journey from Shanghai to Nanjing is shown"
    );
    assert!(
        ["<li>G", "<li>D", "<li>C"]
            .iter()
            .any(|train| html.contains(train)),
        "the journey names its trains"
    );
}

/// Reach starts from one station as well as from a city: named by its pinyin, its English
/// name in any case, or a prefix only it has; a miss names the closest stations.
#[tokio::test]
async fn reach_starts_from_a_station_typed_as_people_type_it() {
    let server = sqlite_server().await;
    let get = |query: String| {
        let url = server.url(&format!("/api/v1/reach?{query}"));
        async move { client().get(url).send().await.unwrap() }
    };
    let city: Value = get("from=310000&depart=07:00&max_minutes=120".into())
        .await
        .json()
        .await
        .unwrap();
    assert!(
        city["origin_stations"].as_array().unwrap().len() >= 3,
        "{}",
        city["origin_stations"]
    );
    for typed in [
        "shanghaihongqiao",
        "Shanghai%20Hongqiao",
        "%E4%B8%8A%E6%B5%B7%E8%99%B9",
    ] {
        let from_station: Value = get(format!("from={typed}&depart=07:00&max_minutes=120"))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(
            from_station["origin_stations"],
            serde_json::json!(["上海虹桥"]),
            "{typed}"
        );
        assert_eq!(from_station["from"], 310000);
        // From one station, no other station of the city is reached in no time.
        let zero: Vec<&Value> = from_station["stations"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|station| station["minutes"] == 0)
            .collect();
        assert_eq!(zero.len(), 1, "{zero:?}");
    }
    let problem = expect_problem(get("from=nanjing%20sooth".into()).await, 400, "a miss").await;
    assert_eq!(problem["parameter"], "from");
    let detail = problem["detail"].as_str().unwrap_or_default().to_string() + &problem.to_string();
    assert!(detail.contains("南京南"), "{problem}");
}

/// The reach page takes a station as typed, with the same lookup as the API: the map starts
/// from that one station, the title names it, and a miss is refused naming the closest.
#[tokio::test]
async fn the_reach_page_starts_from_a_typed_station() {
    let server = sqlite_server().await;
    let page = client()
        .get(server.url("/reach?station=shanghai%20hongqiao&depart=08:00&window=60&lang=en"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("Shanghai Hongqiao</h1>"),
        "the title names the station"
    );
    assert!(
        html.contains(r#"value="shanghai hongqiao""#),
        "the form keeps what was typed"
    );
    assert!(html.contains(r#"<datalist id="reach-stations">"#));
    let miss = client()
        .get(server.url("/reach?station=nanjing%20sooth&lang=en"))
        .send()
        .await
        .unwrap();
    assert_eq!(miss.status(), 400);
    let text = miss.text().await.unwrap();
    assert!(
        text.contains("南京南"),
        "the refusal names the closest station: {text}"
    );
}
