//! GTFS rules on small feeds written for each rule: pickup and drop-off types, frequencies,
//! calendar_dates-only services, every transfer type, block in-seat transfers, time zones,
//! parent stations, road routes, times left out, and the error each malformed file gets.

use crate::brute_force::BruteForce;
use corridor_rail::import::gtfs::{import_gtfs, import_gtfs_with, GtfsOptions};
use corridor_rail::local_time::local_clock;
use corridor_rail::*;
use std::path::Path;

/// A feed of three stations A, B, C on one line, written with `tables` replacing or adding files.
fn write_feed(folder: &Path, tables: &[(&str, &str)]) {
    let defaults = [
        (
            "agency.txt",
            "agency_id,agency_name,agency_url,agency_timezone\nrail,Rail,https://rail.example,Asia/Shanghai\n",
        ),
        (
            "stops.txt",
            "stop_id,stop_code,stop_name,stop_lat,stop_lon,location_type,parent_station\nA,AAA,Alpha,31.0,121.0,1,\nA1,,Alpha,31.0,121.0,0,A\nB,BBB,Bravo,31.5,120.5,1,\nC,CCC,Charlie,32.0,119.0,1,\n",
        ),
        (
            "routes.txt",
            "route_id,agency_id,route_short_name,route_long_name,route_type\nR,rail,G,Line,2\nBUS,rail,B1,Feeder,3\n",
        ),
        ("calendar.txt", "service_id,monday,tuesday,wednesday,thursday,friday,saturday,sunday,start_date,end_date\nall,1,1,1,1,1,1,1,20260101,20261231\n"),
        ("trips.txt", "route_id,service_id,trip_id,trip_short_name\nR,all,T1,G1\n"),
        (
            "stop_times.txt",
            "trip_id,arrival_time,departure_time,stop_id,stop_sequence\nT1,08:00:00,08:00:00,A1,1\nT1,08:30:00,08:32:00,B,2\nT1,09:00:00,09:00:00,C,3\n",
        ),
    ];
    for (name, text) in defaults {
        if !tables.iter().any(|(replaced, _)| *replaced == name) {
            std::fs::write(folder.join(name), text).unwrap();
        }
    }
    for (name, text) in tables {
        std::fs::write(folder.join(name), text).unwrap();
    }
}

fn feed(tables: &[(&str, &str)]) -> Timetable {
    let folder = tempfile::tempdir().unwrap();
    write_feed(folder.path(), tables);
    import_gtfs(folder.path()).unwrap()
}

fn feed_error(tables: &[(&str, &str)]) -> String {
    let folder = tempfile::tempdir().unwrap();
    write_feed(folder.path(), tables);
    match import_gtfs(folder.path()) {
        Ok(_) => panic!("the feed imported though it is malformed: {tables:?}"),
        Err(error) => error.to_string(),
    }
}

fn station(timetable: &Timetable, name: &str) -> StationId {
    timetable.station_by_name(name).unwrap()
}

/// Earliest arrivals (index minutes) from `origin` at `departure` on every day, checked against
/// the brute-force router.
fn arrivals_from(timetable: &Timetable, origin: &str, departure: u16) -> Vec<Option<u16>> {
    let index = RoutingIndex::build(timetable, ServiceDay::EveryDay);
    let mut workspace = ScanWorkspace::new();
    let origins = [station(timetable, origin)];
    let answer = earliest_arrival(
        &index,
        &mut workspace,
        &EarliestArrivalQuery {
            origins: &origins,
            departure,
            horizon_minutes: 1200,
        },
    );
    let reference = BruteForce::new(timetable, ServiceDay::EveryDay).earliest_arrivals(
        &origins,
        i64::from(departure),
        1200,
    );
    let found: Vec<Option<u16>> = (0..timetable.stations().len() as u32)
        .map(|id| answer.arrival(StationId(id)))
        .collect();
    let reference: Vec<Option<u16>> = reference
        .iter()
        .map(|arrival| arrival.map(|minute| minute as u16))
        .collect();
    assert_eq!(found, reference, "scan and brute force disagree");
    found
}

#[test]
fn drop_off_and_pickup_types_are_obeyed() {
    // Drop-off type 1 at Bravo: a passenger from Alpha cannot get off there, but rides on.
    let timetable = feed(&[(
        "stop_times.txt",
        "trip_id,arrival_time,departure_time,stop_id,stop_sequence,pickup_type,drop_off_type\nT1,08:00:00,08:00:00,A1,1,0,1\nT1,08:30:00,08:32:00,B,2,0,1\nT1,09:00:00,09:00:00,C,3,1,0\n",
    )]);
    let arrivals = arrivals_from(&timetable, "Alpha", 7 * 60);
    assert_eq!(arrivals[station(&timetable, "Bravo").0 as usize], None);
    assert_eq!(
        arrivals[station(&timetable, "Charlie").0 as usize],
        Some(9 * 60)
    );
    // Pickup type 1 at Charlie is irrelevant (last stop); set pickup 1 at Bravo instead.
    let timetable = feed(&[(
        "stop_times.txt",
        "trip_id,arrival_time,departure_time,stop_id,stop_sequence,pickup_type,drop_off_type\nT1,08:00:00,08:00:00,A1,1,,\nT1,08:30:00,08:32:00,B,2,1,\nT1,09:00:00,09:00:00,C,3,2,3\n",
    )]);
    let from_bravo = arrivals_from(&timetable, "Bravo", 7 * 60);
    assert_eq!(from_bravo[station(&timetable, "Charlie").0 as usize], None);
    let from_alpha = arrivals_from(&timetable, "Alpha", 7 * 60);
    assert_eq!(
        from_alpha[station(&timetable, "Bravo").0 as usize],
        Some(8 * 60 + 30)
    );

    let error = feed_error(&[(
        "stop_times.txt",
        "trip_id,arrival_time,departure_time,stop_id,stop_sequence,pickup_type\nT1,08:00:00,08:00:00,A1,1,7\nT1,09:00:00,09:00:00,C,2,0\n",
    )]);
    assert!(
        error.contains("stop_times.txt:2: field `pickup_type`: `7` is not 0, 1, 2 or 3"),
        "{error}"
    );
}

#[test]
fn frequencies_run_the_trip_every_headway_in_both_kinds() {
    for exact_times in ["0", "1", ""] {
        let frequencies = format!(
            "trip_id,start_time,end_time,headway_secs,exact_times\nT1,06:00:00,07:00:00,1200,{exact_times}\nT1,18:00:00,18:30:00,900,{exact_times}\n"
        );
        let timetable = feed(&[("frequencies.txt", &frequencies)]);
        // 06:00, 06:20, 06:40, 18:00, 18:15: the template's own 08:00 run is not one of them.
        assert_eq!(timetable.trips().len(), 5, "exact_times {exact_times:?}");
        let arrivals = arrivals_from(&timetable, "Alpha", 6 * 60 + 1);
        // The 06:20 run reaches Charlie an hour later.
        assert_eq!(
            arrivals[station(&timetable, "Charlie").0 as usize],
            Some(7 * 60 + 20)
        );
        let evening = arrivals_from(&timetable, "Alpha", 18 * 60 + 1);
        assert_eq!(
            evening[station(&timetable, "Bravo").0 as usize],
            Some(18 * 60 + 45)
        );
    }
    let error = feed_error(&[(
        "frequencies.txt",
        "trip_id,start_time,end_time,headway_secs\nT1,06:00:00,07:00:00,0\n",
    )]);
    assert!(
        error.contains("frequencies.txt:2: field `headway_secs`"),
        "{error}"
    );
    let error = feed_error(&[(
        "frequencies.txt",
        "trip_id,start_time,end_time,headway_secs\nT9,06:00:00,07:00:00,600\n",
    )]);
    assert!(
        error.contains("frequencies.txt:2: field `trip_id`: unknown trip `T9`"),
        "{error}"
    );
}

#[test]
fn a_feed_with_calendar_dates_only_runs_on_its_dates() {
    let folder = tempfile::tempdir().unwrap();
    write_feed(
        folder.path(),
        &[(
            "calendar_dates.txt",
            "service_id,date,exception_type\nall,20260302,1\nall,20260304,1\n",
        )],
    );
    std::fs::remove_file(folder.path().join("calendar.txt")).unwrap();
    let timetable = import_gtfs(folder.path()).unwrap();
    let runs =
        |day: u32| timetable.trip_runs_on(TripId(0), ServiceDate::from_ymd(2026, 3, day).unwrap());
    assert_eq!((runs(2), runs(3), runs(4)), (true, false, true));
}

#[test]
fn times_past_midnight_and_untimed_calls_are_read() {
    let timetable = feed(&[(
        "stop_times.txt",
        "trip_id,arrival_time,departure_time,stop_id,stop_sequence\nT1,23:30:00,23:30:00,A1,1\nT1,,,B,2\nT1,25:30:00,25:30:00,C,3\n",
    )]);
    let stops = timetable.stop_times_of(TripId(0));
    // Bravo, untimed, sits halfway in time between its timed neighbours.
    assert_eq!(
        stops
            .iter()
            .map(|stop| (stop.arrival, stop.departure))
            .collect::<Vec<_>>(),
        vec![
            (23 * 60 + 30, 23 * 60 + 30),
            (24 * 60 + 30, 24 * 60 + 30),
            (25 * 60 + 30, 25 * 60 + 30)
        ]
    );
    let error = feed_error(&[(
        "stop_times.txt",
        "trip_id,arrival_time,departure_time,stop_id,stop_sequence\nT1,08:00:00,08:00:00,A1,1\nT1,,,C,2\n",
    )]);
    assert!(error.contains("stop_times.txt:3: field `arrival_time`: trip `T1`: its first and last stop need a time"), "{error}");
}

const TWO_TRIPS_IN_ONE_BLOCK: [(&str, &str); 3] = [
    (
        "trips.txt",
        "route_id,service_id,trip_id,trip_short_name,block_id\nR,all,T1,G1,blk\nR,all,T2,G2,blk\n",
    ),
    (
        "stop_times.txt",
        "trip_id,arrival_time,departure_time,stop_id,stop_sequence\nT1,08:00:00,08:00:00,A1,1\nT1,08:30:00,08:30:00,B,2\nT2,08:31:00,08:31:00,B,1\nT2,09:00:00,09:00:00,C,2\n",
    ),
    // Changing trains at Bravo takes an hour: only staying seated makes the 08:31.
    (
        "transfers.txt",
        "from_stop_id,to_stop_id,transfer_type,min_transfer_time\nB,B,2,3600\n",
    ),
];

#[test]
fn trips_of_one_block_continue_in_seat() {
    let timetable = feed(&TWO_TRIPS_IN_ONE_BLOCK);
    assert_eq!(
        timetable.trip(TripId(0)).continues_in_seat_as,
        Some(TripId(1))
    );
    let arrivals = arrivals_from(&timetable, "Alpha", 7 * 60);
    assert_eq!(
        arrivals[station(&timetable, "Charlie").0 as usize],
        Some(9 * 60)
    );
    let index = RoutingIndex::build(&timetable, ServiceDay::EveryDay);
    let mut workspace = ScanWorkspace::new();
    let answer = earliest_arrival(
        &index,
        &mut workspace,
        &EarliestArrivalQuery {
            origins: &[station(&timetable, "Alpha")],
            departure: 7 * 60,
            horizon_minutes: 600,
        },
    );
    let journey = answer
        .journey_to(&timetable, station(&timetable, "Charlie"))
        .unwrap();
    assert_eq!(journey.legs.len(), 2, "{journey:?}");
    assert!(matches!(
        journey.legs[1],
        JourneyLeg::Train { in_seat: true, .. }
    ));
    assert_eq!(journey.train_changes(), 0);

    // Type 5 says passengers must leave: the block link is undone and Charlie is out of reach.
    let mut tables = TWO_TRIPS_IN_ONE_BLOCK.to_vec();
    tables[2].1 = "from_stop_id,to_stop_id,from_trip_id,to_trip_id,transfer_type,min_transfer_time\nB,B,,,2,3600\n,,T1,T2,5,\n";
    let timetable = feed(&tables);
    assert_eq!(timetable.trip(TripId(0)).continues_in_seat_as, None);
    assert_eq!(
        arrivals_from(&timetable, "Alpha", 7 * 60)[station(&timetable, "Charlie").0 as usize],
        None
    );

    // Type 4 makes the same link without a block.
    let mut tables = TWO_TRIPS_IN_ONE_BLOCK.to_vec();
    tables[0].1 = "route_id,service_id,trip_id,trip_short_name\nR,all,T1,G1\nR,all,T2,G2\n";
    tables[2].1 = "from_stop_id,to_stop_id,from_trip_id,to_trip_id,transfer_type,min_transfer_time\nB,B,,,2,3600\n,,T1,T2,4,\n";
    let timetable = feed(&tables);
    assert_eq!(
        timetable.trip(TripId(0)).continues_in_seat_as,
        Some(TripId(1))
    );
    // A type 4 between trips that do not meet is refused with its line.
    tables[2].1 = "from_trip_id,to_trip_id,transfer_type\nT2,T1,4\n";
    let error = feed_error(&tables);
    assert!(
        error.contains(
            "transfers.txt:2: field `to_trip_id`: in-seat transfer from trip G2 to trip G1"
        ),
        "{error}"
    );
}

#[test]
fn transfer_types_between_stops() {
    // Two lines meeting at stations Bravo and Delta, 10 km apart.
    let stops = "stop_id,stop_name,stop_lat,stop_lon,location_type,parent_station\nA,Alpha,31.0,121.0,,\nB,Bravo,31.5,120.5,,\nC,Charlie,32.0,119.0,,\nD,Delta,31.59,120.5,,\n";
    let trips = "route_id,service_id,trip_id\nR,all,T1\nR,all,T2\n";
    let stop_times = "trip_id,arrival_time,departure_time,stop_id,stop_sequence\nT1,08:00:00,08:00:00,A,1\nT1,08:30:00,08:30:00,B,2\nT2,08:40:00,08:40:00,D,1\nT2,09:10:00,09:10:00,C,2\n";
    let with = |transfers: &str| {
        feed(&[
            ("stops.txt", stops),
            ("trips.txt", trips),
            ("stop_times.txt", stop_times),
            ("transfers.txt", transfers),
        ])
    };
    let charlie = |timetable: &Timetable| {
        arrivals_from(timetable, "Alpha", 7 * 60)[station(timetable, "Charlie").0 as usize]
    };
    // Type 2 with five minutes makes the 08:40; type 2 with twenty does not.
    let timetable = with("from_stop_id,to_stop_id,transfer_type,min_transfer_time\nB,D,2,300\n");
    assert_eq!(charlie(&timetable), Some(9 * 60 + 10));
    let timetable = with("from_stop_id,to_stop_id,transfer_type,min_transfer_time\nB,D,2,1200\n");
    assert_eq!(charlie(&timetable), None);
    // Type 1 (timed: the train waits) is the shortest change, even without a time.
    let timetable = with("from_stop_id,to_stop_id,transfer_type,min_transfer_time\nB,D,1,\n");
    assert_eq!(timetable.transfers()[0].minutes, 1);
    // Type 0 without a time is estimated from the distance (30 min + 2 min/km: too slow here).
    let timetable = with("from_stop_id,to_stop_id,transfer_type\nB,D,0\n");
    assert!(timetable.transfers()[0].minutes >= 30);
    // Type 3 removes the walk stated before it.
    let timetable =
        with("from_stop_id,to_stop_id,transfer_type,min_transfer_time\nB,D,2,300\nB,D,3,\n");
    assert!(timetable.transfers().is_empty());
    assert_eq!(charlie(&timetable), None);
    // Per-route rules are left out with a warning.
    let folder = tempfile::tempdir().unwrap();
    write_feed(
        folder.path(),
        &[
            ("stops.txt", stops),
            ("trips.txt", trips),
            ("stop_times.txt", stop_times),
            ("transfers.txt", "from_stop_id,to_stop_id,from_route_id,to_route_id,transfer_type,min_transfer_time\nB,D,R,R,2,300\n"),
        ],
    );
    let imported = import_gtfs_with(folder.path(), &GtfsOptions::default()).unwrap();
    assert!(imported.timetable.transfers().is_empty());
    assert!(
        imported.warnings[0]
            .0
            .contains("1 rules of types 0–3 between particular routes or trips"),
        "{:?}",
        imported.warnings
    );

    for (transfers, expected) in [
        (
            "from_stop_id,to_stop_id,transfer_type\nB,D,2\n",
            "transfers.txt:2: field `min_transfer_time`: required for a transfer of type 2",
        ),
        (
            "from_stop_id,to_stop_id,transfer_type\nB,X,0\n",
            "transfers.txt:2: field `to_stop_id`: unknown stop `X`",
        ),
        (
            "from_stop_id,to_stop_id,transfer_type\nB,D,9\n",
            "transfers.txt:2: field `transfer_type`: `9` is not 0 to 5",
        ),
        (
            "from_trip_id,transfer_type\nT1,4\n",
            "transfers.txt:2: field `to_trip_id`: an in-seat rule (type 4 or 5) needs both trips",
        ),
    ] {
        let error = feed_error(&[
            ("stops.txt", stops),
            ("trips.txt", trips),
            ("stop_times.txt", stop_times),
            ("transfers.txt", transfers),
        ]);
        assert!(error.contains(expected), "{error} (wanted {expected})");
    }
}

#[test]
fn a_station_where_changing_is_impossible_refuses_changes() {
    let timetable = feed(&[
        (
            "trips.txt",
            "route_id,service_id,trip_id\nR,all,T1\nR,all,T2\n",
        ),
        (
            "stop_times.txt",
            "trip_id,arrival_time,departure_time,stop_id,stop_sequence\nT1,08:00:00,08:00:00,A1,1\nT1,08:30:00,08:30:00,B,2\nT2,10:00:00,10:00:00,B,1\nT2,11:00:00,11:00:00,C,2\n",
        ),
        ("transfers.txt", "from_stop_id,to_stop_id,transfer_type\nB,B,3\n"),
    ]);
    let arrivals = arrivals_from(&timetable, "Alpha", 7 * 60);
    assert_eq!(
        arrivals[station(&timetable, "Bravo").0 as usize],
        Some(8 * 60 + 30)
    );
    assert_eq!(arrivals[station(&timetable, "Charlie").0 as usize], None);
    // Starting at Bravo is not a change: the 10:00 is boarded.
    let from_bravo = arrivals_from(&timetable, "Bravo", 9 * 60);
    assert_eq!(
        from_bravo[station(&timetable, "Charlie").0 as usize],
        Some(11 * 60)
    );
}

#[test]
fn time_zones_are_checked_and_shown_at_each_station() {
    let stops = "stop_id,stop_name,stop_lat,stop_lon,location_type,parent_station,stop_timezone\nA,Alpha,51.5,-0.1,1,,\nA1,Alpha,51.5,-0.1,0,A,\nB,Bravo,48.8,2.3,1,,Europe/Paris\nC,Charlie,48.9,2.4,1,,\nC1,Charlie,48.9,2.4,0,C,Europe/Paris\n";
    let agency = "agency_id,agency_name,agency_url,agency_timezone\nrail,Rail,https://rail.example,Europe/London\n";
    let timetable = feed(&[("stops.txt", stops), ("agency.txt", agency)]);
    assert_eq!(timetable.time_zone(), Some("Europe/London"));
    let (alpha, bravo, charlie) = (
        station(&timetable, "Alpha"),
        station(&timetable, "Bravo"),
        station(&timetable, "Charlie"),
    );
    assert_eq!(timetable.time_zone_of(alpha), Some("Europe/London"));
    // A station takes its platform's zone when it states none itself.
    assert_eq!(timetable.time_zone_of(charlie), Some("Europe/Paris"));
    let summer = ServiceDate::from_ymd(2026, 7, 1).unwrap();
    // 08:30 London (BST) is 09:30 in Paris (CEST).
    let at_bravo = local_clock(&timetable, bravo, summer, 8 * 60 + 30);
    assert_eq!(
        (at_bravo.date, at_bravo.minute_of_day),
        (summer, 9 * 60 + 30)
    );
    assert_eq!(at_bravo.time_zone.as_deref(), Some("Europe/Paris"));
    // 23:30 London is 00:30 next day in Paris.
    assert_eq!(
        local_clock(&timetable, bravo, summer, 23 * 60 + 30).format_after(summer),
        "00:30+1"
    );
    // On the day clocks go forward, service time counts from noon minus twelve hours, which
    // is 23:00 of the day before in London: minute 60 is 00:00 on the day itself.
    let spring = ServiceDate::from_ymd(2026, 3, 29).unwrap();
    let clock = local_clock(&timetable, alpha, spring, 60);
    assert_eq!((clock.date, clock.minute_of_day), (spring, 0));

    let error = feed_error(&[(
        "agency.txt",
        "agency_id,agency_name,agency_url,agency_timezone\na,A,https://a.example,Asia/Shanghai\nb,B,https://b.example,Asia/Tokyo\n",
    )]);
    assert!(error.contains("agency.txt:3: field `agency_timezone`: `Asia/Tokyo` differs from `Asia/Shanghai` on line 2"), "{error}");
    let error = feed_error(&[(
        "agency.txt",
        "agency_id,agency_name,agency_url,agency_timezone\na,A,https://a.example,Mars/Olympus\n",
    )]);
    assert!(
        error.contains(
            "agency.txt:2: field `agency_timezone`: `Mars/Olympus` is not an IANA time zone"
        ),
        "{error}"
    );
    let error = feed_error(&[(
        "stops.txt",
        "stop_id,stop_name,location_type,stop_timezone\nA,Alpha,1,Asia/Nowhere\n",
    )]);
    assert!(
        error.contains("stops.txt:2: field `stop_timezone`"),
        "{error}"
    );
}

#[test]
fn several_agencies_and_road_routes() {
    let agency = "agency_id,agency_name,agency_url,agency_timezone\nrail,Rail,https://rail.example,Asia/Shanghai\nbus,Bus,https://bus.example,Asia/Shanghai\n";
    let routes = "route_id,agency_id,route_short_name,route_long_name,route_type\nR,rail,G,Line,2\nBUS,bus,B1,Feeder,3\nCOACH,bus,C1,Coach,202\n";
    let trips = "route_id,service_id,trip_id,trip_short_name\nR,all,T1,G1\nBUS,all,T2,B1\nCOACH,all,T3,C1\n";
    let stop_times = "trip_id,arrival_time,departure_time,stop_id,stop_sequence\nT1,08:00:00,08:00:00,A1,1\nT1,09:00:00,09:00:00,C,2\nT2,08:00:00,08:00:00,A1,1\nT2,08:40:00,08:40:00,B,2\nT3,10:00:00,10:00:00,B,1\nT3,11:00:00,11:00:00,C,2\n";
    let tables = [
        ("agency.txt", agency),
        ("routes.txt", routes),
        ("trips.txt", trips),
        ("stop_times.txt", stop_times),
    ];
    let folder = tempfile::tempdir().unwrap();
    write_feed(folder.path(), &tables);
    let everything = import_gtfs(folder.path()).unwrap();
    assert_eq!(everything.trips().len(), 3);
    let rail_only = import_gtfs_with(
        folder.path(),
        &GtfsOptions {
            leave_out_road_routes: true,
        },
    )
    .unwrap();
    assert_eq!(rail_only.timetable.trips().len(), 1);
    assert!(rail_only.warnings[0].0.contains("2 trips of road routes"));
    assert!(is_road_route_type_all());

    let error = feed_error(&[
        ("agency.txt", agency),
        (
            "routes.txt",
            "route_id,route_short_name,route_long_name,route_type\nR,G,Line,2\n",
        ),
    ]);
    assert!(
        error.contains(
            "routes.txt:2: field `agency_id`: required when the feed has several agencies"
        ),
        "{error}"
    );
    let error = feed_error(&[(
        "routes.txt",
        "route_id,agency_id,route_short_name,route_long_name,route_type\nR,nope,G,Line,2\n",
    )]);
    assert!(
        error.contains("routes.txt:2: field `agency_id`: unknown agency `nope`"),
        "{error}"
    );
}

fn is_road_route_type_all() -> bool {
    use corridor_rail::import::gtfs::is_road_route_type;
    [3, 11, 200, 204, 700, 715, 800]
        .into_iter()
        .all(is_road_route_type)
        && [0, 1, 2, 4, 100, 101, 102, 400]
            .into_iter()
            .all(|kind| !is_road_route_type(kind))
}

#[test]
fn parent_stations_must_be_stations() {
    let timetable = feed(&[]);
    // Platform A1 folds into station A; the station keeps its id and code for lookups.
    assert_eq!(timetable.stations().len(), 3);
    let alpha = timetable.station(station(&timetable, "Alpha"));
    assert_eq!(
        (alpha.source_id.as_deref(), alpha.code.as_deref()),
        (Some("A"), Some("AAA"))
    );
    let error = feed_error(&[(
        "stops.txt",
        "stop_id,stop_name,location_type,parent_station\nA,Alpha,0,\nA1,Alpha,0,A\nB,Bravo,1,\nC,Charlie,1,\n",
    )]);
    assert!(
        error.contains(
            "stops.txt:3: field `parent_station`: `A` is not a station (location_type 1)"
        ),
        "{error}"
    );
    let error = feed_error(&[(
        "stops.txt",
        "stop_id,stop_name,location_type,parent_station\nA,Alpha,1,B\nB,Bravo,1,\n",
    )]);
    assert!(
        error.contains(
            "stops.txt:2: field `parent_station`: a station (location_type 1) cannot have a parent"
        ),
        "{error}"
    );
    let error = feed_error(&[(
        "stops.txt",
        "stop_id,stop_name,location_type\nA,Alpha,1\nA,Again,1\n",
    )]);
    assert!(
        error.contains("stops.txt:3: field `stop_id`: `A` appears twice"),
        "{error}"
    );
}
