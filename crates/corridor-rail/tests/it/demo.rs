//! The demo timetable: deterministic, complete station facts, plausible journeys.

use crate::real_data::shared_data;
use corridor_rail::demo::demo_timetable;
use corridor_rail::*;

#[test]
fn the_same_seed_gives_the_same_timetable_and_another_seed_another() {
    assert_eq!(demo_timetable(7), demo_timetable(7));
    assert_ne!(demo_timetable(7), demo_timetable(8));
}

#[test]
fn every_station_has_a_city_code_coordinates_and_trains() {
    let timetable = demo_timetable(1);
    assert!(timetable.stations().len() >= 80);
    let mut served = vec![false; timetable.stations().len()];
    for trip in 0..timetable.trips().len() as u32 {
        for stop in timetable.stop_times_of(TripId(trip)) {
            served[stop.station.0 as usize] = true;
        }
    }
    for (index, station) in timetable.stations().iter().enumerate() {
        let code = station.city_admin_code.unwrap();
        assert!(
            (110000..=659999).contains(&code) && code % 100 == 0,
            "{station:?}"
        );
        let at = station.coordinates.unwrap();
        assert!(
            (27.0..41.0).contains(&at.latitude) && (114.0..122.5).contains(&at.longitude),
            "{station:?}"
        );
        assert!(served[index], "{} has no train", station.name);
    }
    let hongqiao = timetable.station(timetable.station_by_name("上海虹桥").unwrap());
    assert_eq!(
        (hongqiao.city_admin_code, hongqiao.english_name.as_deref()),
        (Some(310000), Some("Shanghai Hongqiao"))
    );
    assert_eq!(
        timetable
            .station(timetable.station_by_name("南京南").unwrap())
            .city_admin_code,
        Some(320100)
    );
    assert_eq!(timetable.resolve_place("上海").len(), 5);
    assert_eq!(timetable.resolve_place("320100").len(), 2);
    // Trains run 06:00 to midnight.
    let (first, last) = (0..timetable.trips().len() as u32).map(TripId).fold(
        (u32::MAX, 0),
        |(first, last), trip| {
            let stops = timetable.stop_times_of(trip);
            (
                first.min(stops[0].departure),
                last.max(stops.last().unwrap().arrival),
            )
        },
    );
    assert!(first >= 6 * 60 && last <= 24 * 60, "{first} {last}");
}

/// Demo station names are checked against the 12306 station list (where it has them), and
/// coordinates agree with it within 2 km after the GCJ-02 offset (under 1 km here).
#[test]
fn demo_station_names_exist_in_the_national_station_list() {
    let text = std::fs::read_to_string(shared_data("cn-rail-stations/StationInfo.json")).unwrap();
    let list: Vec<serde_json::Value> = serde_json::from_str(&text).unwrap();
    let timetable = demo_timetable(1);
    let mut found = 0;
    for station in timetable.stations() {
        if let Some(entry) = list
            .iter()
            .find(|entry| entry["name"] == station.name.as_str())
        {
            found += 1;
            let gcj = Wgs84 {
                latitude: entry["lat"].as_str().unwrap().parse().unwrap(),
                longitude: entry["lon"].as_str().unwrap().parse().unwrap(),
            };
            let distance = station.coordinates.unwrap().distance_km(gcj);
            assert!(
                distance < 2.0,
                "{} is {distance:.1} km from the 12306 position",
                station.name
            );
        }
    }
    assert!(
        found >= timetable.stations().len() - 10,
        "only {found} demo stations are in the 12306 list"
    );
}

#[test]
fn demo_journeys_are_realistic() {
    let timetable = demo_timetable(1);
    let index = RoutingIndex::build(&timetable, ServiceDay::EveryDay);
    let hongqiao = timetable.resolve_place("Shanghai Hongqiao");
    let mut workspace = ProfileWorkspace::default();
    let morning = profile(
        &index,
        &mut workspace,
        &ProfileQuery {
            origins: &hongqiao,
            window_start: 7 * 60,
            window_end: 10 * 60,
            horizon_minutes: 600,
        },
    );
    let minutes = |name: &str| {
        morning
            .shortest_travel_minutes(timetable.station_by_name(name).unwrap())
            .unwrap()
    };
    assert!(
        (55..=75).contains(&minutes("南京南")),
        "Hongqiao → Nanjing South {}",
        minutes("南京南")
    );
    assert!(
        (40..=65).contains(&minutes("杭州东")),
        "Hongqiao → Hangzhou East {}",
        minutes("杭州东")
    );
    assert!(
        (15..=35).contains(&minutes("苏州北")),
        "Hongqiao → Suzhou North {}",
        minutes("苏州北")
    );

    // From the city of Shanghai at 08:00, most of the region is within three hours.
    let shanghai = timetable.resolve_place("上海");
    let mut reach = ReachWorkspace::default();
    let matrix = reachable_within(
        &index,
        &mut reach,
        &ReachQuery {
            origins: &[shanghai],
            departure: 8 * 60,
            horizon_minutes: 180,
        },
    );
    let share = matrix.reachable_count(0) as f64 / timetable.stations().len() as f64;
    assert!((0.4..0.95).contains(&share), "share within 3 h: {share:.2}");
}
