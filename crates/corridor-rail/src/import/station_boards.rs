//! The station-level national timetable: RailwayVIS's station boards (`station_boards_gbk/`,
//! one GBK-encoded CSV per station without a header: service type, origin/pass/terminus flag
//! `始`/`过`/`终`, train number, origin, terminus, arrival, departure as `HH:MM` or `-`),
//! joined by train number into trips between stations.
//!
//! A board gives clock times only, so a train's calls are put in order by its city-level
//! schedule (`json_schedulers.json`, whose hours run past 24) where it has one: each call
//! takes the day of the schedule's call at the same city with the same clock time. A train
//! without a schedule is ordered from its origin board (or back from its terminus board), and
//! assumed to take less than a day between two boarded calls. Trains that still cannot be
//! ordered, or that call at fewer than two boarded stations, are left out and counted in a
//! warning. Stations take their city from `json_station2city.json` (else from the national
//! station list, else from their name) and their coordinates and telegraph code from the
//! station list when one is given; the stations of one city are joined by transfers estimated
//! from their distance. Every train runs every day.

use super::station_list::StationList;
use super::{json_error, read_to_string, ImportError, ImportWarning, Imported};
use crate::model::{
    estimated_city_transfer_minutes, Station, StationId, StopTime, TimetableBuilder,
};
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Choices the source leaves open.
#[derive(Clone, Debug)]
pub struct StationBoardOptions {
    /// Change time at every station: ten minutes, as for the qETRC diagrams.
    pub minimum_change_minutes: u16,
    /// The national station list, for coordinates, telegraph codes and cities.
    pub station_list: Option<Arc<StationList>>,
}

impl Default for StationBoardOptions {
    fn default() -> StationBoardOptions {
        StationBoardOptions {
            minimum_change_minutes: 10,
            station_list: None,
        }
    }
}

#[derive(Deserialize)]
struct ScheduledTrain {
    route: Vec<ScheduledCall>,
}

#[derive(Deserialize)]
struct ScheduledCall {
    arrival: String,
    departure: String,
    city: String,
}

/// One row of a board.
struct BoardCall {
    station: String,
    flag: CallFlag,
    arrival: Option<u32>,
    departure: Option<u32>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum CallFlag {
    Origin,
    Passing,
    Terminus,
}

/// Reads the station boards of a RailwayVIS folder (`station_boards_gbk/`, with
/// `json_schedulers.json` and `json_station2city.json` beside it when present).
pub fn import_station_boards(
    folder: &Path,
    options: &StationBoardOptions,
) -> Result<Imported, ImportError> {
    let boards_folder = folder.join("station_boards_gbk");
    let entries = std::fs::read_dir(&boards_folder).map_err(|source| ImportError::Io {
        path: boards_folder.clone(),
        source,
    })?;
    let mut board_paths: Vec<PathBuf> = entries
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.extension().is_some_and(|extension| extension == "csv"))
        .collect();
    board_paths.sort();
    if board_paths.is_empty() {
        return Err(ImportError::Missing {
            path: boards_folder,
            name: "*.csv station boards".into(),
        });
    }
    let mut calls_of: BTreeMap<String, Vec<BoardCall>> = BTreeMap::new();
    for path in &board_paths {
        read_board(path, &mut calls_of)?;
    }
    let schedules = read_schedules(&folder.join("json_schedulers.json"))?;
    let city_of_station = read_station_cities(&folder.join("json_station2city.json"))?;

    let mut builder = TimetableBuilder::new();
    let mut station_ids: HashMap<String, StationId> = HashMap::new();
    let mut unordered = 0usize;
    let mut single_station = 0usize;
    let mut backwards = 0usize;
    let mut stops: Vec<StopTime> = Vec::new();
    for (train_number, calls) in &calls_of {
        let Some(mut timed) = order_calls(calls, schedules.get(train_number), &city_of_station)
        else {
            unordered += 1;
            continue;
        };
        timed.sort_by_key(|(_, arrival, departure)| (*arrival, *departure));
        // A station boarded twice for one call (two names of one place) is one call.
        timed.dedup_by(|later, earlier| calls[later.0].station == calls[earlier.0].station);
        if timed.len() < 2 {
            single_station += 1;
            continue;
        }
        stops.clear();
        for (call, arrival, departure) in &timed {
            let name = &calls[*call].station;
            let station = *station_ids.entry(name.clone()).or_insert_with(|| {
                builder.add_station(board_station(name, &city_of_station, options))
            });
            stops.push(StopTime::new(station, *arrival, *departure));
        }
        if builder.add_trip(train_number, None, &stops).is_err() {
            backwards += 1;
        }
    }
    builder.add_city_transfers(estimated_city_transfer_minutes);
    let mut warnings = Vec::new();
    if unordered > 0 {
        warnings.push(ImportWarning(format!(
            "{}: {unordered} trains were left out: their calls could not be put in order (no city-level schedule and no origin or terminus board)",
            boards_folder.display()
        )));
    }
    if backwards > 0 {
        warnings.push(ImportWarning(format!(
            "{}: {backwards} trains were left out: read without a schedule as runs of under a day, their times went backwards",
            boards_folder.display()
        )));
    }
    if single_station > 0 {
        warnings.push(ImportWarning(format!(
            "{}: {single_station} trains call at only one boarded station and carry nobody between two",
            boards_folder.display()
        )));
    }
    Ok(Imported {
        timetable: builder.build(),
        warnings,
    })
}

fn board_station(
    name: &str,
    city_of_station: &HashMap<String, String>,
    options: &StationBoardOptions,
) -> Station {
    let listed = options
        .station_list
        .as_ref()
        .and_then(|list| list.get(name).cloned());
    let city = city_of_station
        .get(name)
        .cloned()
        .or_else(|| listed.as_ref().and_then(|listed| listed.city.clone()))
        .unwrap_or_else(|| super::qetrc::city_of_station(name));
    Station {
        name: name.to_string(),
        city_name: city,
        coordinates: listed.as_ref().and_then(|listed| listed.coordinates),
        code: listed.and_then(|listed| listed.telegraph_code),
        minimum_change_minutes: options.minimum_change_minutes,
        ..Station::default()
    }
}

/// `HH:MM` to minutes, `-` to none.
fn board_time(text: &str) -> Option<Option<u32>> {
    let text = text.trim();
    if text == "-" || text.is_empty() {
        return Some(None);
    }
    let (hours, minutes) = text.split_once(':')?;
    let (hours, minutes): (u32, u32) = (hours.parse().ok()?, minutes.parse().ok()?);
    (hours < 48 && minutes < 60).then_some(Some(hours * 60 + minutes))
}

fn read_board(
    path: &Path,
    calls_of: &mut BTreeMap<String, Vec<BoardCall>>,
) -> Result<(), ImportError> {
    let bytes = std::fs::read(path).map_err(|source| ImportError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let (text, _, malformed) = encoding_rs::GBK.decode(&bytes);
    if malformed {
        return Err(ImportError::Field {
            path: path.to_path_buf(),
            line: 0,
            field: "encoding".into(),
            message: "not valid GBK text".into(),
        });
    }
    let station = path
        .file_stem()
        .and_then(|stem| stem.to_str())
        .unwrap_or_default()
        .trim()
        .to_string();
    for (index, line) in text.lines().enumerate() {
        let line_number = index + 1;
        if line.trim().is_empty() {
            continue;
        }
        let error = |field: &str, message: String| ImportError::Field {
            path: path.to_path_buf(),
            line: line_number,
            field: field.to_string(),
            message,
        };
        let fields: Vec<&str> = line.split(',').collect();
        if fields.len() != 7 {
            return Err(error(
                "record",
                format!("{} fields, expected 7 (type, flag, train, origin, terminus, arrival, departure)", fields.len()),
            ));
        }
        let flag = match fields[1].trim() {
            "始" => CallFlag::Origin,
            "过" => CallFlag::Passing,
            "终" => CallFlag::Terminus,
            other => return Err(error("flag", format!("`{other}` is not 始, 过 or 终"))),
        };
        let train_number = fields[2].trim();
        if train_number.is_empty() {
            return Err(error("train number", "empty".into()));
        }
        let arrival = board_time(fields[5])
            .ok_or_else(|| error("arrival", format!("`{}` is not HH:MM or -", fields[5])))?;
        let departure = board_time(fields[6])
            .ok_or_else(|| error("departure", format!("`{}` is not HH:MM or -", fields[6])))?;
        if arrival.is_none() && departure.is_none() {
            return Err(error(
                "arrival",
                "neither an arrival nor a departure".into(),
            ));
        }
        calls_of
            .entry(train_number.to_string())
            .or_default()
            .push(BoardCall {
                station: station.clone(),
                flag,
                arrival,
                departure,
            });
    }
    Ok(())
}

/// Train number → its city-level schedule, when the file is there.
fn read_schedules(path: &Path) -> Result<HashMap<String, ScheduledTrain>, ImportError> {
    if !path.exists() {
        return Ok(HashMap::new());
    }
    let text = read_to_string(path)?;
    serde_json::from_str(&text).map_err(|error| json_error(path, error))
}

/// Station name → city name. The file holds a JSON object encoded once more as a string.
fn read_station_cities(path: &Path) -> Result<HashMap<String, String>, ImportError> {
    if !path.exists() {
        return Ok(HashMap::new());
    }
    let text = read_to_string(path)?;
    let value: serde_json::Value =
        serde_json::from_str(&text).map_err(|error| json_error(path, error))?;
    let object = match value {
        serde_json::Value::String(inner) => {
            serde_json::from_str(&inner).map_err(|error| json_error(path, error))?
        }
        other => other,
    };
    serde_json::from_value(object).map_err(|error| json_error(path, error))
}

/// The calls of one train as (call, arrival, departure) in minutes since its service day's
/// midnight, or none when they cannot be put in order.
///
/// The frame is the train's own day: its origin board's departure, else its schedule's first
/// departure. A call its schedule also times at the same city takes the schedule's minute
/// (exact for runs of several days); any other call is the first occurrence of its clock time
/// at or after the start. A train with neither is placed back from its terminus board.
fn order_calls(
    calls: &[BoardCall],
    schedule: Option<&ScheduledTrain>,
    city_of_station: &HashMap<String, String>,
) -> Option<Vec<(usize, u32, u32)>> {
    let clock = |call: &BoardCall| call.departure.or(call.arrival).expect("one time");
    let origin_board = calls.iter().find(|call| call.flag == CallFlag::Origin);
    let schedule_start = schedule
        .and_then(|schedule| schedule.route.first())
        .and_then(|first| crate::parse_hours_minutes(&first.departure));
    let start = origin_board.map(clock).or(schedule_start);
    let terminus_base = calls
        .iter()
        .find(|call| call.flag == CallFlag::Terminus)
        .map(|terminus| clock(terminus) + 2 * 1440);
    let mut timed = Vec::with_capacity(calls.len());
    for (position, call) in calls.iter().enumerate() {
        let scheduled = schedule.filter(|_| start.is_some()).and_then(|schedule| {
            let city = city_of_station.get(&call.station)?;
            schedule.route.iter().find_map(|stop| {
                if &stop.city != city {
                    return None;
                }
                [&stop.departure, &stop.arrival]
                    .into_iter()
                    .find_map(|time| {
                        let minute = crate::parse_hours_minutes(time)?;
                        (minute % 1440 == clock(call)).then_some(minute)
                    })
            })
        });
        let minute = match (scheduled, start, terminus_base) {
            (Some(minute), _, _) => minute,
            (None, Some(start), _) => start + (clock(call) + 2 * 1440 - start % 1440) % 1440,
            (None, None, Some(base)) => base - (base - clock(call)) % 1440,
            (None, None, None) => return None,
        };
        let (arrival, departure) = match (call.arrival, call.departure) {
            // The minute found is the departure's; the arrival is less than a day before.
            (Some(arrival), Some(departure)) => (
                minute.checked_sub((departure + 1440 - arrival) % 1440)?,
                minute,
            ),
            _ => (minute, minute),
        };
        timed.push((position, arrival, departure));
    }
    // Placed back from the terminus, the minutes sit days late: bring the first call into
    // the service day's first 24 hours.
    let earliest = timed.iter().map(|(_, arrival, _)| *arrival).min()?;
    let shift = earliest / 1440 * 1440;
    Some(
        timed
            .into_iter()
            .map(|(position, arrival, departure)| (position, arrival - shift, departure - shift))
            .collect(),
    )
}
