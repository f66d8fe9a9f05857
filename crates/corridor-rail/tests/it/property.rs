//! On random small timetables, the Connection Scan answers (one-to-all, journeys, profiles,
//! bit-parallel reachability) agree with the brute-force router on every station, with stops
//! that refuse boarding or alighting and trips that continue in seat as others.

use crate::brute_force::BruteForce;
use corridor_rail::*;
use proptest::prelude::*;

#[derive(Clone, Debug)]
struct RandomTrip {
    stations: Vec<usize>,
    start: u32,
    hops: Vec<(u32, u32)>,
    weekday_mask: u8,
    /// Per stop (cycled): 0 = board and alight, 1 = no boarding, 2 = no alighting, 3 = neither.
    stop_rules: Vec<u8>,
    /// Starts where the previous trip ends, after it arrives, and continues it in seat.
    continues_previous: bool,
}

#[derive(Clone, Debug)]
struct RandomTimetable {
    change_minutes: Vec<u16>,
    trips: Vec<RandomTrip>,
    transfers: Vec<(usize, usize, u16)>,
}

fn random_timetable() -> impl Strategy<Value = RandomTimetable> {
    (2usize..8).prop_flat_map(|station_count| {
        let trip = (
            proptest::collection::vec(0..station_count, 2..6),
            prop_oneof![4 => 0u32..300, 1 => 1300u32..1700],
            proptest::collection::vec((0u32..40, 0u32..4), 5),
            0u8..128,
            proptest::collection::vec(
                prop_oneof![6 => Just(0u8), 1 => Just(1u8), 1 => Just(2u8), 1 => Just(3u8)],
                1..6,
            ),
            proptest::bool::weighted(0.25),
        )
            .prop_map(
                |(stations, start, hops, weekday_mask, stop_rules, continues_previous)| {
                    RandomTrip {
                        stations,
                        start,
                        hops,
                        weekday_mask,
                        stop_rules,
                        continues_previous,
                    }
                },
            );
        (
            proptest::collection::vec(1u16..12, station_count),
            proptest::collection::vec(trip, 1..20),
            proptest::collection::vec((0..station_count, 0..station_count, 1u16..25), 0..4),
        )
            .prop_map(|(change_minutes, trips, transfers)| RandomTimetable {
                change_minutes,
                trips,
                transfers,
            })
    })
}

fn build(random: &RandomTimetable) -> Timetable {
    let mut builder = TimetableBuilder::new();
    for (index, &change) in random.change_minutes.iter().enumerate() {
        builder.add_station(Station {
            name: format!("S{index}"),
            city_name: format!("C{}", index / 2),
            minimum_change_minutes: change,
            ..Station::default()
        });
    }
    let start_date = ServiceDate::from_ymd(2026, 1, 5).unwrap();
    // The previous trip built: its id and its last stop, for in-seat continuations.
    let mut previous: Option<(TripId, StopTime)> = None;
    for (number, trip) in random.trips.iter().enumerate() {
        let mut stations = trip.stations.clone();
        let mut time = trip.start;
        let continued = previous.filter(|_| trip.continues_previous);
        if let Some((_, last)) = continued {
            stations[0] = last.station.0 as usize;
            time = last.arrival + trip.start % 30;
        }
        stations.dedup();
        if stations.len() < 2 {
            continue;
        }
        let service = builder.add_service(ServiceCalendar {
            name: format!("service{number}"),
            weekdays: std::array::from_fn(|day| trip.weekday_mask >> day & 1 == 1),
            start_date: Some(start_date),
            end_date: Some(start_date.add_days(20)),
            added_dates: vec![start_date.add_days(number as i32 % 9)],
            removed_dates: vec![start_date.add_days(number as i32 % 5)],
        });
        let mut stops = Vec::new();
        for (position, &station) in stations.iter().enumerate() {
            let (run, dwell) = trip.hops[position % trip.hops.len()];
            if position > 0 {
                time += run;
            }
            let rule = trip.stop_rules[position % trip.stop_rules.len()];
            stops.push(StopTime {
                boarding_allowed: rule & 1 == 0,
                alighting_allowed: rule & 2 == 0,
                ..StopTime::new(StationId(station as u32), time, time + dwell)
            });
            time += dwell;
        }
        let id = builder
            .add_trip(&format!("T{number}"), Some(service), &stops)
            .unwrap();
        if let Some((from, _)) = continued {
            builder.continue_in_seat(from, id).unwrap();
        }
        previous = Some((id, *stops.last().unwrap()));
    }
    for &(from, to, minutes) in &random.transfers {
        if from != to {
            builder
                .add_transfer(StationId(from as u32), StationId(to as u32), minutes)
                .unwrap();
        }
    }
    builder.build()
}

/// Checks that a journey is feasible under the stated rules and arrives when the label says.
fn check_journey(
    timetable: &Timetable,
    journey: &Journey,
    origins: &[StationId],
    departure: u16,
    target: StationId,
) {
    let mut at: Option<StationId> = None;
    let mut ready = departure;
    for leg in &journey.legs {
        match leg {
            JourneyLeg::Train {
                from,
                to,
                departure: leg_departure,
                arrival,
                in_seat,
                ..
            } => {
                assert!(
                    at.is_none_or(|station| station == *from)
                        && (at.is_some() || origins.contains(from)),
                    "train leg starts where the traveller is: {journey:?}"
                );
                let seated_since = ready
                    - at.map_or(0, |station| {
                        timetable.station(station).minimum_change_minutes
                    });
                assert!(
                    *leg_departure >= if *in_seat { seated_since } else { ready },
                    "boards after being ready: {journey:?}"
                );
                at = Some(*to);
                ready = arrival + timetable.station(*to).minimum_change_minutes;
                let _ = arrival;
            }
            JourneyLeg::Transfer { from, to, minutes } => {
                assert!(
                    at.is_none_or(|station| station == *from)
                        && (at.is_some() || origins.contains(from)),
                    "walk starts where the traveller is: {journey:?}"
                );
                let arrived = match at {
                    Some(_) => ready - timetable.station(*from).minimum_change_minutes,
                    None => departure,
                };
                at = Some(*to);
                ready = arrived + minutes;
            }
        }
    }
    assert_eq!(
        at.unwrap_or(origins[0]),
        if journey.legs.is_empty() {
            origins[0]
        } else {
            target
        }
    );
}

fn service_day_for(choice: u8) -> ServiceDay {
    match choice {
        0 => ServiceDay::EveryDay,
        day => ServiceDay::Date(
            ServiceDate::from_ymd(2026, 1, 4)
                .unwrap()
                .add_days(day as i32),
        ),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn one_to_all_and_journeys_agree_with_brute_force(
        random in random_timetable(),
        origin_picks in proptest::collection::vec(0usize..8, 1..3),
        departure in 0u16..400,
        horizon in 0u16..1200,
        day_choice in 0u8..25,
    ) {
        let timetable = build(&random);
        let station_count = timetable.stations().len();
        let mut origins: Vec<StationId> = origin_picks.iter().map(|pick| StationId((pick % station_count) as u32)).collect();
        origins.sort();
        origins.dedup();
        let service_day = service_day_for(day_choice);
        let index = RoutingIndex::build(&timetable, service_day);
        let reference = BruteForce::new(&timetable, service_day).earliest_arrivals(&origins, departure as i64, horizon as i64);
        let mut workspace = ScanWorkspace::new();
        // Run a throwaway query first so that stale labels from an earlier epoch are present.
        let _ = earliest_arrival(&index, &mut workspace, &EarliestArrivalQuery { origins: &[StationId(0)], departure: 0, horizon_minutes: 2000 });
        let answer = earliest_arrival(&index, &mut workspace, &EarliestArrivalQuery { origins: &origins, departure, horizon_minutes: horizon });
        for station in 0..station_count {
            let station = StationId(station as u32);
            prop_assert_eq!(answer.arrival(station).map(i64::from), reference[station.0 as usize], "station {:?}", station);
            if let Some(journey) = answer.journey_to(&timetable, station) {
                prop_assert_eq!(Some(journey.arrival), answer.arrival(station));
                check_journey(&timetable, &journey, &origins, departure, station);
            }
        }
    }

    #[test]
    fn profile_agrees_with_brute_force_at_every_minute(
        random in random_timetable(),
        origin in 0usize..8,
        window_start in 0u16..350,
        window_length in 0u16..90,
        horizon in 0u16..600,
        day_choice in 0u8..3,
    ) {
        let timetable = build(&random);
        let station_count = timetable.stations().len();
        let origins = [StationId((origin % station_count) as u32)];
        let service_day = service_day_for(day_choice);
        let index = RoutingIndex::build(&timetable, service_day);
        let brute_force = BruteForce::new(&timetable, service_day);
        let window_end = window_start + window_length;
        let limit = (window_end + horizon) as i64;
        let per_minute: Vec<Vec<Option<i64>>> = (window_start..=window_end)
            .map(|minute| brute_force.earliest_arrivals(&origins, minute as i64, limit - minute as i64))
            .collect();
        let mut workspace = ProfileWorkspace::default();
        let answer = profile(&index, &mut workspace, &ProfileQuery { origins: &origins, window_start, window_end, horizon_minutes: horizon });
        // On foot, every minute of the window is its own Pareto point; the profile reports the
        // minutes at which trains leave, so stations reachable on foot compare on travel time only.
        let mut on_foot = vec![false; station_count];
        on_foot[origins[0].0 as usize] = true;
        for _ in 0..station_count {
            for transfer in timetable.transfers() {
                if on_foot[transfer.from.0 as usize] {
                    on_foot[transfer.to.0 as usize] = true;
                }
            }
        }
        for station in 0..station_count {
            let shortest = per_minute.iter().enumerate().filter_map(|(offset, arrivals)| arrivals[station].map(|arrival| arrival - window_start as i64 - offset as i64)).min();
            prop_assert_eq!(answer.shortest_travel_minutes(StationId(station as u32)).map(i64::from), shortest, "shortest to {}", station);
            let mut pareto = Vec::new();
            for (offset, arrivals) in per_minute.iter().enumerate() {
                let later = per_minute.get(offset + 1).and_then(|next| next[station]);
                if let Some(arrival) = arrivals[station] {
                    if later.is_none_or(|later| later > arrival) {
                        pareto.push((window_start as i64 + offset as i64, arrival));
                    }
                }
            }
            if on_foot[station] {
                continue;
            }
            let found: Vec<(i64, i64)> = answer.pareto_set(StationId(station as u32)).iter().map(|pair| (pair.departure as i64, pair.arrival as i64)).collect();
            prop_assert_eq!(found, pareto, "Pareto set of {}", station);
        }
    }

    #[test]
    fn bit_parallel_reach_agrees_with_brute_force(
        random in random_timetable(),
        departure in 0u16..350,
        horizon in 0u16..400,
    ) {
        let timetable = build(&random);
        let station_count = timetable.stations().len();
        let index = RoutingIndex::build(&timetable, ServiceDay::EveryDay);
        let brute_force = BruteForce::new(&timetable, ServiceDay::EveryDay);
        // Every single station, every pair, repeated past one pass of 256 origins.
        let mut origins: Vec<Vec<StationId>> = Vec::new();
        while origins.len() < 300 {
            let n = origins.len();
            let first = StationId((n % station_count) as u32);
            let second = StationId(((n / station_count) % station_count) as u32);
            origins.push(if n % 3 == 0 { vec![first] } else { vec![first, second] });
        }
        let mut workspace = ReachWorkspace::default();
        let matrix = reachable_within(&index, &mut workspace, &ReachQuery { origins: &origins, departure, horizon_minutes: horizon });
        for (origin_index, origin) in origins.iter().enumerate().take(40).chain(origins.iter().enumerate().skip(256).take(10)) {
            let reference = brute_force.earliest_arrivals(origin, departure as i64, horizon as i64);
            for (station, reached) in reference.iter().enumerate() {
                prop_assert_eq!(matrix.is_reachable(origin_index, StationId(station as u32)), reached.is_some(), "origin {} station {}", origin_index, station);
            }
        }
    }
}

/// A change needs the station's change time: arriving at 10 and leaving at 12 with five
/// minutes to change does not connect, leaving at 15 does.
#[test]
fn a_change_respects_the_minimum_change_time() {
    let random = RandomTimetable {
        change_minutes: vec![1, 5, 1],
        trips: vec![
            RandomTrip {
                stations: vec![0, 1],
                start: 0,
                hops: vec![(10, 0); 5],
                weekday_mask: 127,
                stop_rules: vec![0],
                continues_previous: false,
            },
            RandomTrip {
                stations: vec![1, 2],
                start: 12,
                hops: vec![(10, 0); 5],
                weekday_mask: 127,
                stop_rules: vec![0],
                continues_previous: false,
            },
            RandomTrip {
                stations: vec![1, 2],
                start: 15,
                hops: vec![(20, 0); 5],
                weekday_mask: 127,
                stop_rules: vec![0],
                continues_previous: false,
            },
        ],
        transfers: vec![],
    };
    let timetable = build(&random);
    let index = RoutingIndex::build(&timetable, ServiceDay::EveryDay);
    let mut workspace = ScanWorkspace::new();
    let answer = earliest_arrival(
        &index,
        &mut workspace,
        &EarliestArrivalQuery {
            origins: &[StationId(0)],
            departure: 0,
            horizon_minutes: 600,
        },
    );
    assert_eq!(answer.arrival(StationId(2)), Some(35));
    let journey = answer.journey_to(&timetable, StationId(2)).unwrap();
    assert_eq!(journey.train_changes(), 1);
    let reference = BruteForce::new(&timetable, ServiceDay::EveryDay).earliest_arrivals(
        &[StationId(0)],
        0,
        600,
    );
    assert_eq!(reference[2], Some(35));
}
