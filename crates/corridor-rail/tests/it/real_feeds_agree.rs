//! The acceptance check of real timetables: on every station of real feeds (a GTFS feed, a
//! qETRC diagram with and without its commercial-stop flags, the national RailwayVIS
//! timetable, and its station boards joined into the station-level national network), at
//! several departure times, the Connection Scan's earliest arrivals equal the brute-force
//! router's. The test prints one line per feed with what it compared.

use crate::brute_force::BruteForce;
use crate::real_data::shared_data;
use corridor_rail::import::import_timetable_with_warnings;
use corridor_rail::import::station_boards::{import_station_boards, StationBoardOptions};
use corridor_rail::*;

/// Compares every station reached from `origins_to_try` origins at each departure; returns
/// (queries, station answers compared, stations reached).
fn agree(
    timetable: &Timetable,
    service_day: ServiceDay,
    origins_to_try: usize,
) -> (usize, usize, usize) {
    let index = RoutingIndex::build(timetable, service_day);
    let brute_force = BruteForce::new(timetable, service_day);
    let mut workspace = ScanWorkspace::new();
    let station_count = timetable.stations().len();
    let step = station_count.div_ceil(origins_to_try).max(1);
    let (mut queries, mut compared, mut reached) = (0, 0, 0);
    for origin in (0..station_count).step_by(step) {
        for departure in [5 * 60, 7 * 60 + 30, 12 * 60, 17 * 60 + 45, 21 * 60] {
            let origins = [StationId(origin as u32)];
            let answer = earliest_arrival(
                &index,
                &mut workspace,
                &EarliestArrivalQuery {
                    origins: &origins,
                    departure,
                    horizon_minutes: 16 * 60,
                },
            );
            let reference = brute_force.earliest_arrivals(&origins, i64::from(departure), 16 * 60);
            for (station, expected) in reference.iter().enumerate() {
                let found = answer.arrival(StationId(station as u32)).map(i64::from);
                assert_eq!(
                    found,
                    *expected,
                    "from {} at {} to {}",
                    timetable.station(origins[0]).name,
                    format_minute(u32::from(departure)),
                    timetable.stations()[station].name
                );
                compared += 1;
                reached += usize::from(found.is_some());
            }
            queries += 1;
        }
    }
    (queries, compared, reached)
}

#[test]
fn real_feeds_agree_with_the_brute_force_router_on_every_station() {
    let monday = ServiceDay::Date(ServiceDate::from_ymd(2026, 1, 26).unwrap());
    let saturday = ServiceDay::Date(ServiceDate::from_ymd(2026, 1, 31).unwrap());

    // The qETRC diagram without its `business` flags: every row becomes a stop.
    let stripped_folder = tempfile::tempdir().unwrap();
    let stripped = stripped_folder.path().join("jinghu-unflagged.pyetgr");
    let text = std::fs::read_to_string(shared_data("cn-rail-qetrc/jinghu.pyetgr")).unwrap();
    let mut diagram: serde_json::Value = serde_json::from_str(&text).unwrap();
    for train in diagram["trains"].as_array_mut().unwrap() {
        for row in train["timetable"].as_array_mut().unwrap() {
            row.as_object_mut().unwrap().remove("business");
        }
    }
    std::fs::write(&stripped, diagram.to_string()).unwrap();

    let feeds: Vec<(&str, std::path::PathBuf, ServiceDay, usize)> = vec![
        (
            "GTFS gtfs-hk-xrl, a Monday",
            shared_data("gtfs-hk-xrl"),
            monday,
            usize::MAX,
        ),
        (
            "GTFS gtfs-hk-xrl, a Saturday",
            shared_data("gtfs-hk-xrl"),
            saturday,
            usize::MAX,
        ),
        (
            "qETRC jinghu.pyetgr",
            shared_data("cn-rail-qetrc/jinghu.pyetgr"),
            ServiceDay::EveryDay,
            usize::MAX,
        ),
        (
            "qETRC jinghu without commercial flags",
            stripped.clone(),
            ServiceDay::EveryDay,
            usize::MAX,
        ),
        (
            "RailwayVIS national city timetable",
            shared_data("cn-rail-railwayvis/json_schedulers.json"),
            ServiceDay::EveryDay,
            12,
        ),
        (
            "RailwayVIS station boards, the station-level national network",
            shared_data("cn-rail-railwayvis"),
            ServiceDay::EveryDay,
            12,
        ),
    ];
    for (name, path, service_day, origins) in feeds {
        let imported = if name.starts_with("RailwayVIS station boards") {
            import_station_boards(&path, &StationBoardOptions::default()).unwrap()
        } else {
            import_timetable_with_warnings(&path).unwrap()
        };
        let timetable = &imported.timetable;
        assert!(
            timetable.trips().len() > 10,
            "{name}: {} trips",
            timetable.trips().len()
        );
        let (queries, compared, reached) = agree(timetable, service_day, origins);
        println!(
            "{name}: {} stations, {} trips; {queries} queries (origins × 5 departures), {compared} station answers equal to the brute force, {reached} of them reached",
            timetable.stations().len(),
            timetable.trips().len(),
        );
        assert!(
            reached > queries,
            "{name}: the queries reach almost nothing"
        );
        if path == stripped {
            assert!(
                imported
                    .warnings
                    .iter()
                    .any(|warning| warning.0.contains("marks no commercial stops")),
                "{:?}",
                imported.warnings
            );
        }
    }
}
