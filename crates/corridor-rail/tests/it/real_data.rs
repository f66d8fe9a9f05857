//! Real third-party timetables from `../shared/data` (never copied into the repository). A
//! missing file fails the test with its path: these tests never skip.

use corridor_rail::import::qetrc::{import_qetrc, QetrcOptions};
use corridor_rail::import::railwayvis::{import_railwayvis, RailwayVisOptions};
use corridor_rail::*;
use std::path::PathBuf;

pub fn shared_data(relative: &str) -> PathBuf {
    let path =
        PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data")).join(relative);
    assert!(
        path.exists(),
        "test data {} is missing: the shared data folder must sit beside the repository",
        path.display()
    );
    path
}

fn one(timetable: &Timetable, name: &str) -> StationId {
    timetable
        .station_by_name(name)
        .unwrap_or_else(|| panic!("station {name} not imported"))
}

#[test]
fn qetrc_jinghu_keeps_commercial_stops_with_normalised_names() {
    let timetable = import_qetrc(
        &shared_data("cn-rail-qetrc/jinghu.pyetgr"),
        &QetrcOptions::default(),
    )
    .unwrap();
    let names: Vec<&str> = timetable
        .stations()
        .iter()
        .map(|station| station.name.as_str())
        .collect();
    for expected in [
        "北京南",
        "济南西",
        "徐州东",
        "蚌埠南",
        "南京南",
        "镇江南",
        "苏州北",
        "昆山南",
        "上海虹桥",
    ] {
        assert!(
            names.contains(&expected),
            "{expected} missing from {names:?}"
        );
    }
    assert!(
        names
            .iter()
            .all(|name| !name.ends_with("线路所") && !name.ends_with("场")),
        "junctions or yards left: {names:?}"
    );
    assert!(
        timetable.trips().len() > 500,
        "only {} trains with two or more commercial stops",
        timetable.trips().len()
    );
    assert_eq!(
        timetable.station(one(&timetable, "南京南")).city_name,
        "南京"
    );
    assert_eq!(
        timetable.station(one(&timetable, "上海虹桥")).city_name,
        "上海"
    );
}

#[test]
fn qetrc_jinghu_shanghai_hongqiao_to_nanjing_south_within_an_hour_in_the_morning() {
    let timetable = import_qetrc(
        &shared_data("cn-rail-qetrc/jinghu.pyetgr"),
        &QetrcOptions::default(),
    )
    .unwrap();
    let index = RoutingIndex::build(&timetable, ServiceDay::EveryDay);
    let hongqiao = one(&timetable, "上海虹桥");
    let nanjing_south = one(&timetable, "南京南");
    let mut workspace = ProfileWorkspace::default();
    let morning = profile(
        &index,
        &mut workspace,
        &ProfileQuery {
            origins: &[hongqiao],
            window_start: 6 * 60,
            window_end: 10 * 60,
            horizon_minutes: 300,
        },
    );
    let shortest = morning.shortest_travel_minutes(nanjing_south).unwrap();
    assert!(
        shortest <= 60,
        "fastest morning run Shanghai Hongqiao → Nanjing South takes {shortest} min"
    );
    assert!(
        shortest >= 55,
        "implausibly fast: {shortest} min for 295 km"
    );

    // The journey at the best departure is one train and arrives when the profile says.
    let best = morning
        .pareto_set(nanjing_south)
        .into_iter()
        .min_by_key(|pair| pair.arrival - pair.departure)
        .unwrap();
    let mut scan = ScanWorkspace::new();
    let answer = earliest_arrival(
        &index,
        &mut scan,
        &EarliestArrivalQuery {
            origins: &[hongqiao],
            departure: best.departure,
            horizon_minutes: 300,
        },
    );
    assert_eq!(answer.arrival(nanjing_south), Some(best.arrival));
    let journey = answer.journey_to(&timetable, nanjing_south).unwrap();
    assert_eq!(journey.train_changes(), 0, "{journey:?}");
    assert!(
        matches!(&journey.legs[0], JourneyLeg::Train { train_number, .. } if train_number.starts_with('G'))
    );
}

fn national() -> Timetable {
    import_railwayvis(
        &shared_data("cn-rail-railwayvis/json_schedulers.json"),
        &RailwayVisOptions::default(),
    )
    .unwrap()
}

/// For every city, the fastest direct train from `origin` over the whole day.
fn fastest_direct_trains(timetable: &Timetable, origin: StationId) -> Vec<Option<u32>> {
    let mut fastest = vec![None::<u32>; timetable.stations().len()];
    for trip in 0..timetable.trips().len() {
        let stops = timetable.stop_times_of(TripId(trip as u32));
        if let Some(boarding) = stops.iter().position(|stop| stop.station == origin) {
            for later in &stops[boarding + 1..] {
                let minutes = later.arrival - stops[boarding].departure;
                let entry = &mut fastest[later.station.0 as usize];
                *entry = Some(entry.map_or(minutes, |known| known.min(minutes)));
            }
        }
    }
    fastest
}

#[test]
fn railwayvis_imports_every_train_and_city() {
    let timetable = national();
    assert_eq!(timetable.trips().len(), 6795);
    assert_eq!(timetable.stations().len(), 187);
    assert_eq!(
        timetable.stop_time_count() - timetable.trips().len(),
        24_196,
        "one connection per consecutive pair of calls"
    );
    // K1270 leaves Chongqing at 18:03 and reaches Fuzhou at 43:35, the next day but one.
    let k1270 = (0..timetable.trips().len() as u32)
        .map(TripId)
        .find(|&trip| timetable.trip(trip).train_number == "K1270")
        .unwrap();
    let stops = timetable.stop_times_of(k1270);
    assert_eq!(
        (stops[0].departure, stops.last().unwrap().arrival),
        (18 * 60 + 3, 43 * 60 + 35)
    );
}

#[test]
fn railwayvis_whole_day_profile_from_shanghai_is_never_slower_than_direct_trains() {
    let timetable = national();
    let shanghai = one(&timetable, "上海");
    let index = RoutingIndex::build(&timetable, ServiceDay::EveryDay);
    let mut workspace = ProfileWorkspace::default();
    let day = profile(
        &index,
        &mut workspace,
        &ProfileQuery {
            origins: &[shanghai],
            window_start: 0,
            window_end: 1439,
            horizon_minutes: 1440,
        },
    );
    let direct = fastest_direct_trains(&timetable, shanghai);

    for (city, fastest_direct) in [("苏州", 23), ("杭州", 45), ("南京", 59), ("合肥", 124)]
    {
        let station = one(&timetable, city);
        assert_eq!(
            direct[station.0 as usize],
            Some(fastest_direct),
            "fastest direct train to {city}"
        );
        let shortest = day.shortest_travel_minutes(station).unwrap();
        assert!(
            u32::from(shortest) <= fastest_direct && u32::from(shortest) + 5 >= fastest_direct,
            "{city}: profile {shortest} min, fastest direct {fastest_direct} min"
        );
    }

    let mut faster_with_a_change = Vec::new();
    for station in (0..timetable.stations().len() as u32).map(StationId) {
        let Some(direct_minutes) = direct[station.0 as usize] else {
            continue;
        };
        let shortest = u32::from(
            day.shortest_travel_minutes(station)
                .expect("a city with a direct train is reachable"),
        );
        assert!(
            shortest <= direct_minutes,
            "{}: {shortest} min > direct {direct_minutes} min",
            timetable.station(station).name
        );
        if shortest < direct_minutes {
            faster_with_a_change.push((station, shortest, direct_minutes));
        }
    }
    assert!(
        !faster_with_a_change.is_empty(),
        "no destination where a change beats every direct train"
    );

    // Each such journey really has a change and takes the profile's time.
    let mut scan = ScanWorkspace::new();
    for &(station, shortest, _) in &faster_with_a_change {
        let best = day
            .pareto_set(station)
            .into_iter()
            .min_by_key(|pair| pair.arrival - pair.departure)
            .unwrap();
        let answer = earliest_arrival(
            &index,
            &mut scan,
            &EarliestArrivalQuery {
                origins: &[shanghai],
                departure: best.departure,
                horizon_minutes: 1439 + 1440 - best.departure,
            },
        );
        let journey = answer.journey_to(&timetable, station).unwrap();
        assert_eq!(u32::from(journey.arrival - best.departure), shortest);
        assert!(journey.train_changes() >= 1, "{journey:?}");
    }
}

#[test]
fn railwayvis_bit_parallel_matrix_matches_one_to_all_at_eight() {
    let timetable = national();
    let index = RoutingIndex::build(&timetable, ServiceDay::EveryDay);
    let origins: Vec<Vec<StationId>> = (0..timetable.stations().len() as u32)
        .map(|station| vec![StationId(station)])
        .collect();
    let mut reach = ReachWorkspace::default();
    let matrix = reachable_within(
        &index,
        &mut reach,
        &ReachQuery {
            origins: &origins,
            departure: 8 * 60,
            horizon_minutes: 180,
        },
    );
    let mut scan = ScanWorkspace::new();
    for (origin_index, origin) in origins.iter().enumerate() {
        let answer = earliest_arrival(
            &index,
            &mut scan,
            &EarliestArrivalQuery {
                origins: origin,
                departure: 8 * 60,
                horizon_minutes: 180,
            },
        );
        for station in (0..timetable.stations().len() as u32).map(StationId) {
            assert_eq!(
                matrix.is_reachable(origin_index, station),
                answer.arrival(station).is_some(),
                "origin {origin_index} station {station:?}"
            );
        }
    }
    let shanghai = one(&timetable, "上海").0 as usize;
    assert!(
        matrix.reachable_count(shanghai) > 10,
        "Shanghai reaches only {} cities within 3 h",
        matrix.reachable_count(shanghai)
    );
}

#[test]
fn importer_errors_name_the_file_record_and_field() {
    use corridor_rail::import::qetrc::parse_qetrc;
    use corridor_rail::import::railwayvis::parse_railwayvis;
    use corridor_rail::import::ImportError;
    use std::path::Path;

    let national = "{\n\"G1\": {\"service\": \"高速动车\", \"start\": \"北京南\", \"end\": \"上海虹桥\", \"date\": [],\n \"route\": [{\"arrival\": \"-\", \"departure\": \"9:00\", \"city\": \"北京\"}, {\"arrival\": \"13:7x\", \"departure\": \"-\", \"city\": \"上海\"}]}}";
    let error = parse_railwayvis(
        Path::new("json_schedulers.json"),
        national,
        &RailwayVisOptions::default(),
    )
    .unwrap_err();
    assert!(
        matches!(&error, ImportError::Field { line: 2, field, .. } if field == "G1.route[1].arrival"),
        "{error:?}"
    );
    assert!(
        error
            .to_string()
            .starts_with("json_schedulers.json:2: field `G1.route[1].arrival`"),
        "{error}"
    );

    let syntax = parse_railwayvis(
        Path::new("json_schedulers.json"),
        "{\n\"G1\": [",
        &RailwayVisOptions::default(),
    )
    .unwrap_err();
    assert!(
        matches!(syntax, ImportError::Json { line: 2, .. }),
        "{syntax:?}"
    );

    let diagram = r#"{"trains": [{"checi": ["G7", "G7", ""], "timetable": [
        {"zhanming": "上海虹桥高速场", "ddsj": "07:00:00", "cfsj": "07:00:00", "business": true},
        {"zhanming": "南京南京沪场", "ddsj": "08:0l:00", "cfsj": "08:03:00", "business": true}]}]}"#;
    let error = parse_qetrc(
        Path::new("jinghu.pyetgr"),
        diagram,
        &QetrcOptions::default(),
    )
    .unwrap_err();
    assert!(
        matches!(&error, ImportError::Field { line: 1, field, .. } if field == "trains[0] (G7).timetable[1].ddsj"),
        "{error:?}"
    );

    // A diagram train running past midnight keeps counting minutes (00:10 is 24:10).
    let overnight = r#"{"trains": [{"checi": ["D1"], "timetable": [
        {"zhanming": "南京南京沪场", "ddsj": "23:50:00", "cfsj": "23:50:00", "business": true},
        {"zhanming": "上海虹桥高速场", "ddsj": "00:10:00", "cfsj": "00:10:00", "business": true}]}]}"#;
    let timetable =
        parse_qetrc(Path::new("x.pyetgr"), overnight, &QetrcOptions::default()).unwrap();
    let stops = timetable.stop_times_of(TripId(0));
    assert_eq!(
        (stops[0].departure, stops[1].arrival),
        (23 * 60 + 50, 24 * 60 + 10)
    );
    assert_eq!(timetable.stations()[1].name, "上海虹桥");
}

#[test]
fn import_timetable_recognises_every_format() {
    use corridor_rail::import::import_timetable;
    assert_eq!(
        import_timetable(&shared_data("cn-rail-railwayvis/json_schedulers.json"))
            .unwrap()
            .stations()
            .len(),
        187
    );
    assert!(
        import_timetable(&shared_data("cn-rail-qetrc/jinghu.pyetgr"))
            .unwrap()
            .station_by_name("南京南")
            .is_some()
    );
    assert!(import_timetable(&shared_data("gtfs-hk-xrl"))
        .unwrap()
        .station_by_name("福田")
        .is_some());
    // The RailwayVIS folder itself is the station-level network of its station boards.
    assert!(
        import_timetable(&shared_data("cn-rail-railwayvis"))
            .unwrap()
            .stations()
            .len()
            > 300
    );
}

/// The national station list gives the diagram's stations coordinates (converted from GCJ-02
/// to WGS-84), telegraph codes and cities.
#[test]
fn qetrc_stations_take_coordinates_from_the_station_list() {
    use corridor_rail::import::qetrc::parse_qetrc_with_warnings;
    use corridor_rail::import::station_list::{gcj02_to_wgs84, StationList};
    let list = StationList::read(&shared_data("cn-rail-stations/StationInfo.json")).unwrap();
    assert!(list.len() > 3000);
    let path = shared_data("cn-rail-qetrc/jinghu.pyetgr");
    let imported = parse_qetrc_with_warnings(
        &path,
        &std::fs::read_to_string(&path).unwrap(),
        &QetrcOptions {
            station_list: Some(std::sync::Arc::new(list)),
            ..QetrcOptions::default()
        },
    )
    .unwrap();
    let timetable = &imported.timetable;
    let located = timetable
        .stations()
        .iter()
        .filter(|station| station.coordinates.is_some())
        .count();
    assert!(
        located * 10 >= timetable.stations().len() * 9,
        "{located} of {} located; {:?}",
        timetable.stations().len(),
        imported.warnings
    );
    let nanjing_south = timetable.station(one(timetable, "南京南"));
    assert_eq!(nanjing_south.city_name, "南京");
    assert!(nanjing_south.code.is_some());
    // Nanjing South is at about 31.97 N, 118.80 E; the GCJ-02 shift is a few hundred metres.
    let at = nanjing_south.coordinates.unwrap();
    let expected = Wgs84 {
        latitude: 31.969,
        longitude: 118.797,
    };
    assert!(at.distance_km(expected) < 2.0, "{at:?}");
    let shifted = gcj02_to_wgs84(31.969, 118.797);
    let shift_km = shifted.distance_km(expected);
    assert!((0.2..1.0).contains(&shift_km), "GCJ-02 shift {shift_km} km");
}

/// The station boards of the national timetable join into a station-level network: every
/// boarded station, coordinates from the station list, Shanghai's stations as one city.
#[test]
fn station_boards_make_a_station_level_national_network() {
    use corridor_rail::import::station_boards::{import_station_boards, StationBoardOptions};
    use corridor_rail::import::station_list::StationList;
    let list = StationList::read(&shared_data("cn-rail-stations/StationInfo.json")).unwrap();
    let imported = import_station_boards(
        &shared_data("cn-rail-railwayvis"),
        &StationBoardOptions {
            station_list: Some(std::sync::Arc::new(list)),
            ..StationBoardOptions::default()
        },
    )
    .unwrap();
    let timetable = &imported.timetable;
    println!(
        "{} stations, {} trips, {} stop times; warnings {:?}",
        timetable.stations().len(),
        timetable.trips().len(),
        timetable.stop_time_count(),
        imported.warnings
    );
    assert!(
        timetable.stations().len() >= 315,
        "{}",
        timetable.stations().len()
    );
    assert!(
        timetable.trips().len() > 7000,
        "{}",
        timetable.trips().len()
    );
    let located = timetable
        .stations()
        .iter()
        .filter(|station| station.coordinates.is_some())
        .count();
    assert!(located >= 300, "{located} located");
    let shanghai = timetable.find_place("上海").unwrap();
    assert!(shanghai.len() >= 3, "{shanghai:?}");
    // Hongqiao to Nanjing South: about an hour by the fastest train in the morning.
    let index = RoutingIndex::build(timetable, ServiceDay::EveryDay);
    let mut workspace = ScanWorkspace::new();
    let answer = earliest_arrival(
        &index,
        &mut workspace,
        &EarliestArrivalQuery {
            origins: &[one(timetable, "上海虹桥")],
            departure: 7 * 60,
            horizon_minutes: 600,
        },
    );
    let minutes = answer.travel_minutes(one(timetable, "南京南")).unwrap();
    assert!(
        (55..=120).contains(&minutes),
        "Hongqiao → Nanjing South {minutes} min"
    );
}

/// The city-level timetable's cities take their position from the national station list.
#[test]
fn railwayvis_cities_take_positions_from_the_station_list() {
    use corridor_rail::import::station_list::StationList;
    let list = StationList::read(&shared_data("cn-rail-stations/StationInfo.json")).unwrap();
    let timetable = import_railwayvis(
        &shared_data("cn-rail-railwayvis/json_schedulers.json"),
        &RailwayVisOptions {
            station_list: Some(std::sync::Arc::new(list)),
            ..RailwayVisOptions::default()
        },
    )
    .unwrap();
    let placed = timetable
        .stations()
        .iter()
        .filter(|station| station.coordinates.is_some())
        .count();
    assert!(
        placed * 10 >= timetable.stations().len() * 9,
        "{placed} of {}",
        timetable.stations().len()
    );
    let shanghai = timetable
        .station(one(&timetable, "上海"))
        .coordinates
        .unwrap();
    let people_square = Wgs84 {
        latitude: 31.23,
        longitude: 121.47,
    };
    assert!(shanghai.distance_km(people_square) < 30.0, "{shanghai:?}");
}
