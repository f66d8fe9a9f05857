//! Search over HTTP: both languages, facets, bad parameters, and freshness after changes
//! made through this node and through another.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::support::{
    client, expect_problem, second_node, sqlite_server, TestServer, DEMO_PASSWORD,
};

async fn search(server: &TestServer, query: &str) -> Value {
    let response = client()
        .get(server.url(&format!("/api/v1/search?{query}")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{query}");
    response.json().await.unwrap()
}

fn encode(text: &str) -> String {
    text.bytes()
        .map(|byte| {
            if byte.is_ascii_alphanumeric() {
                (byte as char).to_string()
            } else {
                format!("%{byte:02X}")
            }
        })
        .collect()
}

async fn token(server: &TestServer, email: &str) -> String {
    let response = client()
        .post(server.url("/api/v1/tokens"))
        .json(&json!({"email": email, "password": DEMO_PASSWORD, "name": "t"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    response.json::<Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn searching_in_both_languages_with_facets() {
    let server = sqlite_server().await;
    for query in ["质谱仪", "mass spectrometer"] {
        let results = search(&server, &format!("q={}", encode(query))).await;
        assert!(results["total"].as_u64().unwrap() > 0, "{query}");
        for item in results["items"].as_array().unwrap() {
            // Mass spectrometry instruments (LC-MS is 液质联用 in Chinese), or named as such.
            assert!(
                item["category"] == "0102" || item["name_zh"].as_str().unwrap().contains("质谱"),
                "{query}: {item}"
            );
        }
    }
    let all = search(&server, "q=microscope&limit=100").await;
    let jiangsu_count = all["facets"]["province"]
        .as_array()
        .unwrap()
        .iter()
        .find(|count| count["value"] == "JS")
        .unwrap()["count"]
        .as_u64()
        .unwrap();
    let jiangsu = search(&server, "q=microscope&province=JS&limit=100").await;
    assert_eq!(
        jiangsu["total"].as_u64().unwrap(),
        jiangsu_count,
        "a facet count is what choosing it gives"
    );
    assert!(jiangsu["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|item| item["province"] == "JS"));
    assert_eq!(jiangsu["user_class"], "other_academic");

    let industry = search(
        &server,
        "q=microscope&user_class=industry&sort=price&limit=50",
    )
    .await;
    let rates: Vec<i64> = industry["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["hourly_rate_fen"].as_i64().unwrap())
        .collect();
    assert!(rates.windows(2).all(|pair| pair[0] <= pair[1]));
    let near = search(
        &server,
        "near_city=320100&within_km=60&sort=distance&limit=30",
    )
    .await;
    let distances: Vec<f64> = near["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["distance_km"].as_f64().unwrap())
        .collect();
    assert!(
        !distances.is_empty()
            && distances.iter().all(|km| *km <= 60.0)
            && distances.windows(2).all(|pair| pair[0] <= pair[1])
    );

    for (query, parameter) in [
        ("sort=distance", "sort"),
        ("within_km=5", "within_km"),
        ("price_band=cheap", "price_band"),
        ("limit=101", "limit"),
        ("offset=20000", "offset"),
        ("near_city=500100&within_km=5", "near_city"),
        ("category=1", "category"),
        ("group=flat", "group"),
    ] {
        let response = client()
            .get(server.url(&format!("/api/v1/search?{query}")))
            .send()
            .await
            .unwrap();
        let problem = expect_problem(response, 400, query).await;
        assert_eq!(problem["parameter"], parameter, "{query}");
    }
}

#[tokio::test]
async fn results_come_grouped_by_kind_a_group_opens_its_instruments_and_dead_ends_are_relaxed() {
    let server = sqlite_server().await;
    let grouped = search(&server, "q=microscope&limit=10").await;
    let items = grouped["items"].as_array().unwrap();
    let groups = grouped["groups"].as_array().unwrap();
    assert_eq!(items.len(), groups.len());
    let names: std::collections::HashSet<&str> = items
        .iter()
        .map(|item| item["name_en"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), items.len(), "one row per kind");
    assert!(grouped["total_groups"].as_u64().unwrap() >= items.len() as u64);
    let key = groups[0]["key"].as_str().unwrap();
    let count = groups[0]["instruments"].as_u64().unwrap();
    let opened = search(
        &server,
        &format!("q=microscope&group=none&kind={}&limit=100", encode(key)),
    )
    .await;
    assert_eq!(opened["total"].as_u64().unwrap(), count);
    assert!(opened.get("groups").is_none() && opened.get("total_groups").is_none());
    assert!(opened["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|item| item["name_en"] == items[0]["name_en"]));
    let flat = search(&server, "q=microscope&group=none&limit=10").await;
    assert_eq!(flat["total"], grouped["total"]);
    let by_model = search(&server, "q=microscope&group=model&limit=10").await;
    assert!(by_model["groups"]
        .as_array()
        .unwrap()
        .iter()
        .all(|group| group["model"].is_string()));

    let relaxed = search(&server, &format!("q={}", encode("microscope qwxzvbnm"))).await;
    assert!(relaxed["total"].as_u64().unwrap() > 0);
    assert_eq!(relaxed["relaxed"]["dropped_words"], json!(["qwxzvbnm"]));
    let misspelt = search(&server, "q=microscpe").await;
    assert_eq!(misspelt["did_you_mean"], "microscope");
    assert!(search(&server, "q=microscope")
        .await
        .get("relaxed")
        .is_none());
}

fn new_instrument(institution: i64, site: i64, name: &str) -> Value {
    json!({
        "institution_id": institution, "site_id": site, "category": "0106",
        "name_en": name, "name_zh": "量子重力仪", "techniques": ["inertial sensing"], "keywords": ["quantum sensing"],
        "manufacturer": "Muquans", "model": "AQG-B", "year_of_manufacture": 2024, "purchase_value_fen": 300000000,
        "access_policy": "open", "booking_mode": "needs_approval", "training_required": true,
        "hourly_rates": {"own_institution_fen": 20000, "other_academic_fen": 40000, "industry_fen": 80000},
        "opening_hours": "Mon-Fri 09:00-17:00"
    })
}

#[tokio::test]
async fn changes_are_searchable_at_once_here_and_within_a_second_on_another_node() {
    let server = sqlite_server().await;
    let other = second_node(&server).await;
    let manager = token(&server, "manager@corridor.demo").await;
    let me: Value = client()
        .get(server.url("/api/v1/me"))
        .bearer_auth(&manager)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let institution = me["home_institution_id"].as_i64().unwrap();
    let site = search(&server, &format!("institution={institution}&limit=1")).await;
    let site_id: i64 = {
        let id = site["items"][0]["id"].as_i64().unwrap();
        let instrument: Value = client()
            .get(server.url(&format!("/api/v1/instruments/{id}")))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        instrument["place"]["site_id"].as_i64().unwrap()
    };

    let anonymous = client()
        .post(server.url("/api/v1/instruments"))
        .json(&new_instrument(institution, site_id, "Quantum gravimeter"))
        .send()
        .await
        .unwrap();
    expect_problem(anonymous, 401, "anonymous create").await;
    let researcher = token(&server, "researcher@corridor.demo").await;
    let forbidden = client()
        .post(server.url("/api/v1/instruments"))
        .bearer_auth(&researcher)
        .json(&new_instrument(institution, site_id, "Quantum gravimeter"))
        .send()
        .await
        .unwrap();
    expect_problem(forbidden, 403, "a researcher creates").await;
    let bad = client()
        .post(server.url("/api/v1/instruments"))
        .bearer_auth(&manager)
        .json(&json!({"name_en": "x"}))
        .send()
        .await
        .unwrap();
    expect_problem(bad, 400, "missing fields").await;

    let created = client()
        .post(server.url("/api/v1/instruments"))
        .bearer_auth(&manager)
        .json(&new_instrument(institution, site_id, "Quantum gravimeter"))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let id = created.json::<Value>().await.unwrap()["id"]
        .as_i64()
        .unwrap();
    let found = search(&server, "q=gravimeter").await;
    assert_eq!(
        found["items"][0]["id"], id,
        "found at once on the node that made the change"
    );
    assert_eq!(
        search(&server, &format!("q={}", encode("重力仪"))).await["items"][0]["id"],
        id
    );

    let deadline = Instant::now() + Duration::from_secs(1);
    loop {
        if search(&other, "q=gravimeter").await["total"] == 1 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the other node did not see the new instrument within a second"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let renamed = client()
        .put(server.url(&format!("/api/v1/instruments/{id}")))
        .bearer_auth(&manager)
        .json(&new_instrument(institution, site_id, "Atom interferometer"))
        .send()
        .await
        .unwrap();
    assert_eq!(renamed.status(), 200);
    assert_eq!(search(&server, "q=gravimeter").await["total"], 0);
    assert_eq!(
        search(&server, "q=interferometer").await["items"][0]["id"],
        id
    );

    let deleted = client()
        .delete(server.url(&format!("/api/v1/instruments/{id}")))
        .bearer_auth(&manager)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 204);
    let serves = |results: Value| {
        results["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|item| item["id"] == id)
    };
    assert!(
        !serves(search(&server, "q=interferometer&limit=100").await),
        "a deleted instrument is never served"
    );
    let everything = search(&server, &format!("institution={institution}&limit=100")).await;
    assert!(everything["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|item| item["id"] != id));
    let deadline = Instant::now() + Duration::from_secs(1);
    while serves(search(&other, "q=interferometer&limit=100").await)
        || serves(search(&other, "q=gravimeter&limit=100").await)
    {
        assert!(
            Instant::now() < deadline,
            "the other node still serves the deleted instrument after a second"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let again = client()
        .delete(server.url(&format!("/api/v1/instruments/{id}")))
        .bearer_auth(&manager)
        .send()
        .await
        .unwrap();
    expect_problem(again, 404, "deleting twice").await;
}

/// The search page offers the rail and free-time filters the API has: within N hours by rail
/// of a city (the person's own by default), free for k hours between two dates; results say
/// how long the train takes, and the filters keep the query.
#[tokio::test]
async fn the_search_page_filters_by_rail_time_and_free_time() {
    let server = crate::support::sqlite_server().await;
    let page = |query: &str| {
        let url = server.url(&format!("/search?{query}"));
        async move {
            let response = crate::support::client().get(url).send().await.unwrap();
            assert_eq!(response.status(), 200);
            response.text().await.unwrap()
        }
    };
    let total = |html: &str| -> u64 {
        let marker = r#"data-testid="result-total">"#;
        let start = html.find(marker).unwrap() + marker.len();
        html[start..]
            .split('<')
            .next()
            .unwrap()
            .replace(',', "")
            .parse()
            .unwrap()
    };
    let all = page("q=microscope&group=none&lang=en").await;
    assert!(all.contains(r#"data-testid="rail-free-filters""#));
    assert!(
        all.contains(r#"<input type="hidden" name="q" value="microscope">"#),
        "the filters keep the query"
    );
    let near = page("q=microscope&group=none&reach_from=310000&reach_hours=1&lang=en").await;
    assert!(
        total(&near) > 0 && total(&near) < total(&all),
        "{} of {}",
        total(&near),
        total(&all)
    );
    let travel_times: Vec<&str> = near
        .split(r#"data-testid="travel-time">"#)
        .skip(1)
        .map(|rest| rest.split('<').next().unwrap())
        .collect();
    assert!(!travel_times.is_empty());
    for travel in &travel_times {
        // Within an hour: "0 min" to "59 min", or exactly "1 h".
        assert!(
            (travel.ends_with(" min by rail") && !travel.contains(" h "))
                || *travel == "1 h by rail",
            "{travel}"
        );
    }
    assert!(near.contains(r#"<option value="1" selected>"#));
    let today = jiff::Zoned::now().date();
    let from = today.checked_add(jiff::Span::new().days(7)).unwrap();
    let to = today.checked_add(jiff::Span::new().days(13)).unwrap();
    let free = page(&format!(
        "q=microscope&group=none&free_hours=6&free_from={from}&free_to={to}&lang=en"
    ))
    .await;
    assert!(total(&free) > 0 && total(&free) <= total(&all));
    assert!(free.contains(&format!(r#"value="{from}""#)));
}

/// Every city with matches can be chosen from the city facet (the first twelve shown, the
/// rest behind "More"), and two cities of one name say their province.
#[tokio::test]
async fn every_city_can_be_chosen_and_namesakes_say_their_province() {
    let server = crate::support::sqlite_server().await;
    let html = crate::support::client()
        .get(server.url("/search?lang=en"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let city_facet = html
        .split(r#"data-facet="city""#)
        .nth(1)
        .unwrap()
        .split("</section>")
        .next()
        .unwrap();
    let choices = city_facet.matches("data-count=").count();
    assert!(choices >= 30, "{choices} cities to choose from");
    assert!(city_facet.contains(r#"data-testid="facet-more""#));
    assert!(
        city_facet.contains("Suzhou (Jiangsu)") && city_facet.contains("Suzhou (Anhui)"),
        "namesakes are told apart"
    );
}
