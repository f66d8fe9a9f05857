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
