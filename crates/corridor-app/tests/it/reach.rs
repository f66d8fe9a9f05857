//! The reach service's rules, each covered once: the departure window and the travel-time
//! horizon (their defaults and limits), the origin's station, and the journey's departure.

use corridor_app::reach::{ReachQuery, JOURNEY_DEPARTURE_MINUTE, LONGEST_TRAVEL_MINUTES};
use corridor_app::AppError;

use crate::support::test_app;

const SHANGHAI: u32 = 310_000;
const NANJING: u32 = 320_100;

fn from_shanghai() -> ReachQuery {
    ReachQuery {
        from_city: SHANGHAI,
        departure: None,
        window: None,
        max_minutes: None,
    }
}

#[tokio::test]
async fn travel_time_questions_keep_their_window_and_horizon() {
    let test = test_app().await;
    let reach = test.app.reach();
    for (field, query) in [
        (
            "window",
            ReachQuery {
                window: Some(721),
                ..from_shanghai()
            },
        ),
        (
            "depart",
            ReachQuery {
                departure: Some(24 * 60),
                ..from_shanghai()
            },
        ),
        (
            "max_minutes",
            ReachQuery {
                max_minutes: Some(0),
                ..from_shanghai()
            },
        ),
        (
            "max_minutes",
            ReachQuery {
                max_minutes: Some(LONGEST_TRAVEL_MINUTES + 1),
                ..from_shanghai()
            },
        ),
        (
            "from",
            ReachQuery {
                from_city: 999_999,
                ..from_shanghai()
            },
        ),
    ] {
        match reach.from_city(query) {
            Err(AppError::Invalid { field: refused, .. }) => assert_eq!(refused, field),
            Err(other) => panic!("{field}: expected an invalid input, got {other:?}"),
            Ok(_) => panic!("{field}: expected a refusal"),
        }
    }

    // The defaults: leaving from 08:00 for two hours, at most four hours of travel.
    let found = reach.from_city(from_shanghai()).unwrap();
    assert_eq!((found.window.start, found.window.end), (480, 600));
    assert_eq!(found.max_minutes, 240);
    assert_eq!(found.reach.cities.get(&SHANGHAI), Some(&0));
    assert!(found.reach.cities.values().all(|minutes| *minutes <= 240));
    let nanjing = found.reach.cities[&NANJING];
    let tighter = reach
        .from_city(ReachQuery {
            max_minutes: Some(nanjing - 1),
            ..from_shanghai()
        })
        .unwrap();
    assert!(!tighter.reach.cities.contains_key(&NANJING));

    // The journey leaves at the journey's departure time; none to the same city.
    let journey = reach.journey(SHANGHAI, NANJING).unwrap();
    assert!(journey.departure >= JOURNEY_DEPARTURE_MINUTE);
    assert!(reach.journey(SHANGHAI, SHANGHAI).is_none());
    assert!(reach.serves(SHANGHAI) && !reach.serves(999_999));
}

/// A node can route on the real station-level national network: its stations take the
/// region's city codes by name, so a city or a single station is an origin and the region's
/// cities are reached.
#[tokio::test]
async fn the_product_routes_on_the_station_level_national_network() {
    use corridor_app::reach::PlaceReachQuery;
    use corridor_rail::import::station_boards::{import_station_boards, StationBoardOptions};
    let folder = std::path::PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/data/cn-rail-railwayvis"
    ));
    assert!(
        folder.exists(),
        "shared data missing at {}",
        folder.display()
    );
    let imported = import_station_boards(&folder, &StationBoardOptions::default()).unwrap();
    let test =
        crate::support::test_app_with_rail(corridor_app::RailSource::Timetable(imported.timetable))
            .await;
    let reach = test.app.reach();
    let from_city = reach.from_city(from_shanghai()).unwrap();
    assert!(
        from_city.origins.len() >= 3,
        "Shanghai's stations: {:?}",
        from_city.origins
    );
    let from_station = reach
        .from_place(PlaceReachQuery {
            from: "shanghaihongqiao".into(),
            departure: Some(7 * 60),
            window: Some(120),
            max_minutes: Some(240),
        })
        .unwrap();
    assert_eq!(from_station.origins.len(), 1);
    assert_eq!(reach.station(from_station.origins[0]).name, "上海虹桥");
    let nanjing = from_station.reach.cities[&NANJING];
    assert!(
        (55..=120).contains(&nanjing),
        "Hongqiao → Nanjing {nanjing} min"
    );
    let refused = reach.from_place(PlaceReachQuery {
        from: "nowhere at all".into(),
        departure: None,
        window: None,
        max_minutes: None,
    });
    assert!(
        matches!(&refused, Err(AppError::Invalid { field, .. }) if field == "from"),
        "a place that names nothing is refused on `from`"
    );
}

/// A journey starts from the signed-in person's home institution's city when they name
/// none; an anonymous visitor's from Shanghai.
#[tokio::test]
async fn journeys_start_from_the_home_institutions_city() {
    let test = test_app().await;
    let catalogue = test.app.catalogue();
    let anonymous = corridor_app::Actor::anonymous(None);
    assert_eq!(catalogue.journey_origin(&anonymous).await, SHANGHAI);
    let mut checked_outside_shanghai = 0;
    for user in test.users.iter().take(400) {
        let home = test
            .store
            .institution(user.home_institution)
            .await
            .unwrap()
            .unwrap()
            .institution
            .city
            .get();
        let origin = catalogue.journey_origin(&crate::support::actor(user)).await;
        if test.app.reach().serves(home) {
            assert_eq!(origin, home, "{}", user.email.as_str());
            checked_outside_shanghai += usize::from(home != SHANGHAI);
        } else {
            assert_eq!(origin, SHANGHAI, "a city without a station falls back");
        }
    }
    assert!(checked_outside_shanghai > 10, "{checked_outside_shanghai}");
}
