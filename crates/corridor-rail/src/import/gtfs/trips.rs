//! Routes, trips and their stop times: pickup and drop-off rules, times left out between
//! timed stops, `frequencies.txt`, and the in-seat transfers of a `block_id`.

use super::{parse_gtfs_seconds, required_table, table, GtfsFiles, GtfsOptions};
use crate::import::csv::CsvTable;
use crate::import::ImportError;
use crate::model::{ServiceId, StationId, StopTime, TimetableBuilder, TripId};
use std::collections::{HashMap, HashSet};

/// What the trips pass to the transfers: the timetable trip of each feed trip (a trip run by
/// `frequencies.txt` has none: it became many), and how many trips were left out by option.
pub(super) struct ReadTrips {
    pub trip_of: HashMap<String, TripId>,
    /// Feed trips left out by [`GtfsOptions::leave_out_road_routes`].
    pub left_out: HashSet<String>,
    /// Feed trips that `frequencies.txt` runs many times.
    pub run_by_frequencies: HashSet<String>,
}

/// Route types that run on roads: bus, trolleybus, coach and their extended codes.
pub fn is_road_route_type(route_type: u32) -> bool {
    matches!(route_type, 3 | 11 | 200..=299 | 700..=799 | 800..=899)
}

/// One feed trip before it becomes timetable trips.
struct FeedTrip {
    line: usize,
    train_number: String,
    service: ServiceId,
    service_name: String,
    block: String,
}

/// One row of `stop_times.txt`, times in seconds since service-day noon minus twelve hours.
#[derive(Clone, Copy)]
struct Call {
    sequence: u32,
    line: usize,
    station: StationId,
    arrival: Option<u32>,
    departure: Option<u32>,
    boarding_allowed: bool,
    alighting_allowed: bool,
}

pub(super) fn read_trips(
    files: &GtfsFiles,
    options: &GtfsOptions,
    builder: &mut TimetableBuilder,
    station_of_stop: &HashMap<String, StationId>,
    service_of: &HashMap<String, ServiceId>,
    agencies: &HashSet<String>,
) -> Result<ReadTrips, ImportError> {
    // Routes give a train number when a trip has no short name, and their type.
    let mut route_names: HashMap<String, String> = HashMap::new();
    let mut road_routes: HashSet<String> = HashSet::new();
    if let Some(routes) = table(files, "routes.txt")? {
        let (id, short, long) = (
            routes.column("route_id"),
            routes.column("route_short_name"),
            routes.column("route_long_name"),
        );
        let (type_column, agency_column) =
            (routes.column("route_type"), routes.column("agency_id"));
        for (line, record) in &routes.records {
            let route_id = CsvTable::field(record, id);
            let type_text = CsvTable::field(record, type_column);
            let route_type = type_text.parse::<u32>().map_err(|_| {
                routes.error(
                    *line,
                    "route_type",
                    format!("`{type_text}` is not a route type (0–12 or an extended code)"),
                )
            })?;
            let agency = CsvTable::field(record, agency_column);
            if !agency.is_empty() && !agencies.is_empty() && !agencies.contains(agency) {
                return Err(routes.error(*line, "agency_id", format!("unknown agency `{agency}`")));
            }
            if agency.is_empty() && agencies.len() > 1 {
                return Err(routes.error(
                    *line,
                    "agency_id",
                    "required when the feed has several agencies",
                ));
            }
            if is_road_route_type(route_type) {
                road_routes.insert(route_id.to_string());
            }
            let name = Some(CsvTable::field(record, short))
                .filter(|name| !name.is_empty())
                .unwrap_or(CsvTable::field(record, long));
            route_names.insert(route_id.to_string(), name.to_string());
        }
    }

    let trips = required_table(files, "trips.txt")?;
    let (trip_id_column, service_column) = (
        trips.required_column("trip_id")?,
        trips.required_column("service_id")?,
    );
    let (route_column, short_name_column, block_column) = (
        trips.column("route_id"),
        trips.column("trip_short_name"),
        trips.column("block_id"),
    );
    let mut feed_trips: HashMap<String, FeedTrip> = HashMap::new();
    let mut trip_order = Vec::new();
    let mut left_out: HashSet<String> = HashSet::new();
    for (line, record) in &trips.records {
        let trip_id = CsvTable::field(record, Some(trip_id_column)).to_string();
        if trip_id.is_empty() {
            return Err(trips.error(*line, "trip_id", "empty"));
        }
        let route_id = CsvTable::field(record, route_column);
        if !route_names.is_empty() && !route_names.contains_key(route_id) {
            return Err(trips.error(*line, "route_id", format!("unknown route `{route_id}`")));
        }
        if options.leave_out_road_routes && road_routes.contains(route_id) {
            left_out.insert(trip_id);
            continue;
        }
        let service_name = CsvTable::field(record, Some(service_column));
        let service = *service_of.get(service_name).ok_or_else(|| {
            trips.error(
                *line,
                "service_id",
                format!("unknown service `{service_name}`"),
            )
        })?;
        let short_name = CsvTable::field(record, short_name_column);
        let train_number = if !short_name.is_empty() {
            short_name.to_string()
        } else {
            route_names
                .get(route_id)
                .filter(|name| !name.is_empty())
                .cloned()
                .unwrap_or_else(|| trip_id.clone())
        };
        let feed_trip = FeedTrip {
            line: *line,
            train_number,
            service,
            service_name: service_name.to_string(),
            block: CsvTable::field(record, block_column).to_string(),
        };
        if feed_trips.insert(trip_id.clone(), feed_trip).is_some() {
            return Err(trips.error(*line, "trip_id", format!("`{trip_id}` appears twice")));
        }
        trip_order.push(trip_id);
    }

    let stop_times = required_table(files, "stop_times.txt")?;
    let calls_of = read_stop_times(&stop_times, &feed_trips, &left_out, station_of_stop)?;
    let frequencies = read_frequencies(files, &feed_trips, &left_out)?;

    let mut trip_of: HashMap<String, TripId> = HashMap::new();
    // Per block and service: (first departure, trip) of its trips not run by frequencies.
    let mut blocks: HashMap<(String, String), Vec<(u32, TripId)>> = HashMap::new();
    let mut stops_buffer: Vec<StopTime> = Vec::new();
    for trip_id in &trip_order {
        let feed_trip = &feed_trips[trip_id];
        let Some(calls) = calls_of.get(trip_id) else {
            continue;
        };
        let seconds = timed_calls(&stop_times, trip_id, calls)?;
        let starts: Vec<u32> = match frequencies.get(trip_id) {
            None => vec![seconds[0].1],
            Some(runs) => runs.clone(),
        };
        let first_line = calls.first().map_or(feed_trip.line, |call| call.line);
        for start in starts {
            stops_buffer.clear();
            let shift = i64::from(start) - i64::from(seconds[0].1);
            for (call, (arrival, departure)) in calls.iter().zip(&seconds) {
                let minute = |time: u32| ((i64::from(time) + shift) / 60) as u32;
                stops_buffer.push(StopTime {
                    boarding_allowed: call.boarding_allowed,
                    alighting_allowed: call.alighting_allowed,
                    ..StopTime::new(call.station, minute(*arrival), minute(*departure))
                });
            }
            // Consecutive platforms of one station (a train changing track) are one call.
            stops_buffer.dedup_by(|later, earlier| {
                let same = later.station == earlier.station;
                if same {
                    earlier.departure = later.departure;
                    earlier.boarding_allowed |= later.boarding_allowed;
                    earlier.alighting_allowed |= later.alighting_allowed;
                }
                same
            });
            if stops_buffer.len() < 2 {
                continue;
            }
            let id = builder
                .add_trip(
                    &feed_trip.train_number,
                    Some(feed_trip.service),
                    &stops_buffer,
                )
                .map_err(|error| stop_times.error(first_line, "arrival_time", error.to_string()))?;
            if !frequencies.contains_key(trip_id) {
                trip_of.insert(trip_id.clone(), id);
                if !feed_trip.block.is_empty() {
                    blocks
                        .entry((feed_trip.block.clone(), feed_trip.service_name.clone()))
                        .or_default()
                        .push((stops_buffer[0].departure, id));
                }
            }
        }
    }
    link_blocks(builder, blocks);
    Ok(ReadTrips {
        trip_of,
        left_out,
        run_by_frequencies: frequencies.into_keys().collect(),
    })
}

/// The trips of one block and service follow each other in the vehicle: each continues in
/// seat as the next one when it starts where the first ends, no earlier than it arrives.
fn link_blocks(
    builder: &mut TimetableBuilder,
    blocks: HashMap<(String, String), Vec<(u32, TripId)>>,
) {
    let mut blocks: Vec<_> = blocks.into_iter().collect();
    blocks.sort_by(|a, b| a.0.cmp(&b.0));
    for (_, mut trips) in blocks {
        trips.sort_unstable();
        for pair in trips.windows(2) {
            // A pair that does not meet is a vehicle repositioning empty: no in-seat transfer.
            let _ = builder.continue_in_seat(pair[0].1, pair[1].1);
        }
    }
}

fn read_stop_times(
    stop_times: &CsvTable,
    feed_trips: &HashMap<String, FeedTrip>,
    left_out: &HashSet<String>,
    station_of_stop: &HashMap<String, StationId>,
) -> Result<HashMap<String, Vec<Call>>, ImportError> {
    let [trip_column, arrival_column, departure_column, stop_column, sequence_column] = [
        "trip_id",
        "arrival_time",
        "departure_time",
        "stop_id",
        "stop_sequence",
    ]
    .map(|name| stop_times.required_column(name));
    let (trip_column, arrival_column, departure_column, stop_column, sequence_column) = (
        trip_column?,
        arrival_column?,
        departure_column?,
        stop_column?,
        sequence_column?,
    );
    let (pickup_column, drop_off_column) = (
        stop_times.column("pickup_type"),
        stop_times.column("drop_off_type"),
    );
    let rule = |record: &[String], line: usize, column: Option<usize>, field: &str| {
        // 0 = regular, 1 = none, 2 = phone the agency, 3 = ask the driver: a passenger who
        // asks can use the last two, so only 1 refuses.
        match CsvTable::field(record, column) {
            "" | "0" | "2" | "3" => Ok(true),
            "1" => Ok(false),
            other => Err(stop_times.error(line, field, format!("`{other}` is not 0, 1, 2 or 3"))),
        }
    };
    let mut calls_of: HashMap<String, Vec<Call>> = HashMap::new();
    for (line, record) in &stop_times.records {
        let trip_id = CsvTable::field(record, Some(trip_column));
        if !feed_trips.contains_key(trip_id) {
            if left_out.contains(trip_id) {
                continue;
            }
            return Err(stop_times.error(*line, "trip_id", format!("unknown trip `{trip_id}`")));
        }
        let stop_id = CsvTable::field(record, Some(stop_column));
        let station = *station_of_stop.get(stop_id).ok_or_else(|| {
            stop_times.error(*line, "stop_id", format!("unknown stop `{stop_id}`"))
        })?;
        let sequence_text = CsvTable::field(record, Some(sequence_column));
        let sequence = sequence_text.parse::<u32>().map_err(|_| {
            stop_times.error(
                *line,
                "stop_sequence",
                format!("`{sequence_text}` is not a whole number"),
            )
        })?;
        let arrival = parse_gtfs_seconds(CsvTable::field(record, Some(arrival_column)))
            .map_err(|message| stop_times.error(*line, "arrival_time", message))?;
        let departure = parse_gtfs_seconds(CsvTable::field(record, Some(departure_column)))
            .map_err(|message| stop_times.error(*line, "departure_time", message))?;
        calls_of.entry(trip_id.to_string()).or_default().push(Call {
            sequence,
            line: *line,
            station,
            arrival,
            departure,
            boarding_allowed: rule(record, *line, pickup_column, "pickup_type")?,
            alighting_allowed: rule(record, *line, drop_off_column, "drop_off_type")?,
        });
    }
    for calls in calls_of.values_mut() {
        calls.sort_by_key(|call| call.sequence);
        if let Some(pair) = calls
            .windows(2)
            .find(|pair| pair[0].sequence == pair[1].sequence)
        {
            return Err(stop_times.error(
                pair[1].line,
                "stop_sequence",
                format!("`{}` appears twice in the trip", pair[1].sequence),
            ));
        }
    }
    Ok(calls_of)
}

/// Every call's (arrival, departure) in seconds. A call with one time uses it for both; calls
/// without times between two timed ones get times spread evenly by position, as GTFS readers
/// do when `shape_dist_traveled` is not given. The first and last call must be timed.
fn timed_calls(
    stop_times: &CsvTable,
    trip_id: &str,
    calls: &[Call],
) -> Result<Vec<(u32, u32)>, ImportError> {
    let own = |call: &Call| match (call.arrival, call.departure) {
        (Some(arrival), Some(departure)) => Some((arrival, departure)),
        (Some(time), None) | (None, Some(time)) => Some((time, time)),
        (None, None) => None,
    };
    for call in [calls.first(), calls.last()].into_iter().flatten() {
        if own(call).is_none() {
            return Err(stop_times.error(
                call.line,
                "arrival_time",
                format!("trip `{trip_id}`: its first and last stop need a time"),
            ));
        }
    }
    let mut times: Vec<Option<(u32, u32)>> = calls.iter().map(own).collect();
    let mut previous_timed = 0;
    for position in 1..calls.len() {
        if times[position].is_none() {
            continue;
        }
        let gap = position - previous_timed;
        if gap > 1 {
            let from = times[previous_timed].expect("timed").1;
            let to = times[position].expect("timed").0;
            for step in 1..gap {
                let time = from + (to.saturating_sub(from)) * step as u32 / gap as u32;
                times[previous_timed + step] = Some((time, time));
            }
        }
        previous_timed = position;
    }
    Ok(times
        .into_iter()
        .map(|time| time.expect("filled"))
        .collect())
}

/// The first departures of each trip that `frequencies.txt` runs, in seconds: every headway
/// from `start_time` while before `end_time`. Both `exact_times` kinds give the same list: a
/// frequency-based trip (0) has no published times, and spreading its trips evenly over the
/// window from its start is the reading that keeps the stated headway.
fn read_frequencies(
    files: &GtfsFiles,
    feed_trips: &HashMap<String, FeedTrip>,
    left_out: &HashSet<String>,
) -> Result<HashMap<String, Vec<u32>>, ImportError> {
    let mut runs: HashMap<String, Vec<u32>> = HashMap::new();
    let Some(frequencies) = table(files, "frequencies.txt")? else {
        return Ok(runs);
    };
    let [trip_column, start_column, end_column, headway_column] =
        ["trip_id", "start_time", "end_time", "headway_secs"]
            .map(|name| frequencies.required_column(name));
    let (trip_column, start_column, end_column, headway_column) =
        (trip_column?, start_column?, end_column?, headway_column?);
    let exact_column = frequencies.column("exact_times");
    for (line, record) in &frequencies.records {
        let trip_id = CsvTable::field(record, Some(trip_column));
        if !feed_trips.contains_key(trip_id) {
            if left_out.contains(trip_id) {
                continue;
            }
            return Err(frequencies.error(*line, "trip_id", format!("unknown trip `{trip_id}`")));
        }
        let time = |column: usize, field: &str| {
            parse_gtfs_seconds(CsvTable::field(record, Some(column)))
                .map_err(|message| frequencies.error(*line, field, message))?
                .ok_or_else(|| frequencies.error(*line, field, "required"))
        };
        let (start, end) = (
            time(start_column, "start_time")?,
            time(end_column, "end_time")?,
        );
        if end <= start {
            return Err(frequencies.error(*line, "end_time", "must be after start_time"));
        }
        let headway_text = CsvTable::field(record, Some(headway_column));
        let headway = headway_text
            .parse::<u32>()
            .ok()
            .filter(|headway| *headway > 0)
            .ok_or_else(|| {
                frequencies.error(
                    *line,
                    "headway_secs",
                    format!("`{headway_text}` is not a positive number of seconds"),
                )
            })?;
        match CsvTable::field(record, exact_column) {
            "" | "0" | "1" => {}
            other => {
                return Err(frequencies.error(
                    *line,
                    "exact_times",
                    format!("`{other}` is not 0 or 1"),
                ))
            }
        }
        let starts = runs.entry(trip_id.to_string()).or_default();
        starts.extend((start..end).step_by(headway as usize));
    }
    for starts in runs.values_mut() {
        starts.sort_unstable();
        starts.dedup();
    }
    Ok(runs)
}
