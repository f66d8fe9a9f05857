//! Cluster reach: the many-origin matrices agree with the one-origin profile on the demo
//! timetable, and the API's figures match a count of the sector's firms read from the store
//! against the cities `/api/v1/reach` says are within the budget.

use std::collections::{HashMap, HashSet};

use corridor_app::cluster_reach::{cluster_reach_from, cluster_reached_from_each, TravelBudget};
use corridor_app::indexes::rail::RailService;
use corridor_domain::analytics::ClusterCity;
use corridor_domain::{CityCode, InstitutionKind, PageLimit, ProvinceCode, Sector};
use corridor_store::{InstitutionFilter, PageRequest};

use crate::bookings::json_of;
use crate::support::{client, sqlite_server};

const SHANGHAI: u32 = 310_000;

/// One member per city that a station serves, plus one city without a station.
fn every_station_city(rail: &RailService) -> Vec<ClusterCity> {
    let mut codes: Vec<u32> = rail
        .timetable
        .stations()
        .iter()
        .filter_map(|station| station.city_admin_code)
        .collect();
    codes.sort_unstable();
    codes.dedup();
    let mut members: Vec<ClusterCity> = codes
        .iter()
        .map(|code| ClusterCity {
            city: CityCode::new(*code).unwrap(),
            province: ProvinceCode::Outside,
            members: vec![i64::from(*code), i64::from(*code) + 1_000_000],
        })
        .collect();
    let stationless = (110_000..829_999)
        .step_by(100)
        .find(|code| !codes.contains(code))
        .unwrap();
    members.push(ClusterCity {
        city: CityCode::new(stationless).unwrap(),
        province: ProvinceCode::Outside,
        members: vec![1],
    });
    members
}

#[test]
fn the_many_origin_matrices_agree_with_the_profile() {
    let rail = RailService::demo();
    let members = every_station_city(&rail);
    let origins: Vec<u32> = members
        .iter()
        .map(|city| city.city.get())
        .filter(|city| rail.has_stations(*city))
        .collect();
    assert!(
        origins.len() > 20,
        "the demo network serves {} cities",
        origins.len()
    );
    let total: u64 = members.iter().map(|city| city.members.len() as u64).sum();
    let mut compared = 0;
    for (start, window, within) in [
        (7 * 60, 120, 180),
        (12 * 60 + 30, 60, 90),
        (18 * 60, 0, 240),
    ] {
        let budget = TravelBudget {
            window_start: start,
            window_end: start + window,
            within_minutes: within,
        };
        let by_matrix = cluster_reached_from_each(&rail, &origins, &members, budget);
        let mut partial = 0;
        for (origin, reached) in origins.iter().zip(&by_matrix) {
            let by_profile = cluster_reach_from(&rail, *origin, &members, budget);
            assert_eq!(
                by_profile.reached, *reached,
                "origin {origin}, window {start}+{window}, within {within}"
            );
            assert_eq!(by_profile.members, total);
            // Never the stationless city, always the origin's own two members.
            assert!(*reached >= 2 && *reached < total);
            partial += usize::from(*reached > 2 && *reached < total - 1);
            compared += 1;
        }
        assert!(partial > 0, "the budget must separate near from far cities");
    }
    println!("cluster reach: matrices and profile agree for {compared} origin-budget pairs");
}

#[tokio::test]
async fn the_api_counts_the_firms_in_the_cities_within_reach() {
    let server = sqlite_server().await;
    let store = server.store();
    let corporations = store
        .institutions(
            &InstitutionFilter {
                kind: Some(InstitutionKind::Corporation),
                ..InstitutionFilter::default()
            },
            PageRequest {
                limit: PageLimit::new(500).unwrap(),
                after: None,
            },
        )
        .await
        .unwrap()
        .items;
    // The sector with the most firms in the test region.
    let mut per_sector: HashMap<Sector, Vec<(i64, u32)>> = HashMap::new();
    for firm in &corporations {
        per_sector
            .entry(firm.institution.sector)
            .or_default()
            .push((firm.institution.id.0, firm.institution.city.get()));
    }
    let (sector, firms) = per_sector
        .into_iter()
        .max_by_key(|(sector, firms)| (firms.len(), sector.as_code()))
        .unwrap();
    assert!(firms.len() >= 3, "{} firms", firms.len());

    let reach = json_of(
        client()
            .get(server.url(&format!(
                "/api/v1/reach?from={SHANGHAI}&depart=07:30&window=120&max_minutes=150"
            )))
            .send()
            .await
            .unwrap(),
        200,
        "reach",
    )
    .await;
    let within: HashSet<u32> = reach["cities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|city| city["city"].as_u64().unwrap() as u32)
        .collect();
    let expected = firms
        .iter()
        .filter(|(_, city)| within.contains(city))
        .count() as u64;

    let query = format!(
        "sector={}&depart=07:30&window=120&within=150",
        sector.as_code()
    );
    let figure = json_of(
        client()
            .get(server.url(&format!(
                "/api/v1/analytics/cluster-reach?from_city={SHANGHAI}&{query}"
            )))
            .send()
            .await
            .unwrap(),
        200,
        "cluster reach",
    )
    .await;
    assert_eq!(figure["members"], firms.len() as u64, "{figure}");
    assert_eq!(figure["reached"], expected, "{figure}");
    let share = figure["share"].as_f64().unwrap();
    assert!((share - expected as f64 / firms.len() as f64).abs() < 1e-9);
    let listed: u64 = figure["cities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|city| city["members"].as_u64().unwrap())
        .sum();
    assert_eq!(listed, firms.len() as u64);
    println!(
        "cluster reach: {expected} of {} {} firms within 150 min of Shanghai",
        firms.len(),
        sector.as_code()
    );

    // Every origin at once, by the matrices: Shanghai's row is the same figure.
    let by_origin = json_of(
        client()
            .get(server.url(&format!(
                "/api/v1/analytics/cluster-reach/by-origin?{query}"
            )))
            .send()
            .await
            .unwrap(),
        200,
        "by origin",
    )
    .await;
    let shanghai = by_origin["origins"]
        .as_array()
        .unwrap()
        .iter()
        .find(|row| row["city"] == SHANGHAI)
        .expect("Shanghai is an origin");
    assert_eq!(shanghai["reached"], expected);
    assert!(by_origin["origins"].as_array().unwrap().len() > 10);

    // From a firm: the firm leaves its own cluster.
    let (firm, firm_city) = firms[0];
    let from_firm = json_of(
        client()
            .get(server.url(&format!(
                "/api/v1/analytics/cluster-reach?from_institution={firm}&{query}"
            )))
            .send()
            .await
            .unwrap(),
        200,
        "from a firm",
    )
    .await;
    assert_eq!(from_firm["from_city"], firm_city);
    assert_eq!(from_firm["members"], firms.len() as u64 - 1);

    // CSV: a header and one line per city.
    let csv = client()
        .get(server.url(&format!(
            "/api/v1/analytics/cluster-reach?from_city={SHANGHAI}&{query}&format=csv"
        )))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(csv.starts_with("city,name_en,name_zh,province,members,minutes\n"));
    assert_eq!(
        csv.lines().count() - 1,
        figure["cities"].as_array().unwrap().len()
    );

    // The dashboard shows the same figure, its map and the by-origin chart.
    let page = client()
        .get(server.url(&format!(
            "/analytics/reach?from_city={SHANGHAI}&cluster=sector:{}&depart=07:30&within=150",
            sector.as_code()
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    let shown = format!(
        r#"data-testid="cluster-share">{:.1}%</strong>"#,
        share * 100.0
    );
    assert!(html.contains(&shown), "{shown} not on the page");
    assert!(html.contains(r#"data-testid="cluster-map""#));
    assert!(html.contains(r#"data-testid="cluster-origins""#));
    assert_eq!(
        html.matches(r#"data-reached="true""#).count(),
        figure["cities"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|city| !city["minutes"].is_null())
            .count()
    );
    let defaults = client()
        .get(server.url("/analytics/reach"))
        .send()
        .await
        .unwrap();
    assert_eq!(defaults.status(), 200);
    let refused = client()
        .get(server.url("/analytics/reach?cluster=nonsense"))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 400);

    for (path, status, parameter) in [
        (
            format!("/api/v1/analytics/cluster-reach?from_city={SHANGHAI}"),
            400,
            "sector",
        ),
        (
            format!(
                "/api/v1/analytics/cluster-reach?from_city={SHANGHAI}&sector=aerospace&category=01"
            ),
            400,
            "category",
        ),
        (
            format!("/api/v1/analytics/cluster-reach?from_city={SHANGHAI}&sector=shipbuilding"),
            400,
            "sector",
        ),
        (
            format!(
                "/api/v1/analytics/cluster-reach?from_city={SHANGHAI}&sector=aerospace&within=0"
            ),
            400,
            "within",
        ),
        (
            "/api/v1/analytics/cluster-reach?from_city=999999&sector=aerospace".to_owned(),
            400,
            "from_city",
        ),
        (
            "/api/v1/analytics/cluster-reach?sector=aerospace".to_owned(),
            400,
            "from_city",
        ),
        (
            "/api/v1/analytics/cluster-reach?from_institution=987654321&sector=aerospace"
                .to_owned(),
            404,
            "",
        ),
    ] {
        let body = json_of(
            client().get(server.url(&path)).send().await.unwrap(),
            status,
            &path,
        )
        .await;
        if !parameter.is_empty() {
            assert!(body.to_string().contains(parameter), "{path}: {body}");
        }
    }
}
