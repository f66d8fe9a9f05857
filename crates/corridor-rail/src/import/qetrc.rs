//! The train-diagram JSON of qETRC/pyETRC (`*.pyetgr`): a `line` of stations and junctions
//! with kilometre posts, and `trains`, each with a `timetable` of rows (`zhanming` station,
//! `ddsj` arrival, `cfsj` departure as `HH:MM:SS`, `business` true for a commercial stop).
//!
//! Only commercial stops become stop times. A diagram whose rows carry no `business` flag at
//! all (drawn without commercial stops marked) has every row taken as a stop, with a warning
//! that says so. Junctions (`线路所`) are dropped even when marked
//! commercial; yard suffixes are removed so that `南京南京沪场` and `上海虹桥高速场` become the
//! stations passengers know, `南京南` and `上海虹桥`. The diagram has no calendar: every
//! train runs every day. Seconds are truncated to whole minutes.

use super::station_list::StationList;
use super::{json_error, line_of, read_to_string, ImportError, ImportWarning, Imported};
use crate::model::{
    estimated_city_transfer_minutes, Station, StopTime, Timetable, TimetableBuilder,
};
use serde::Deserialize;
use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;

/// Choices the source leaves open.
#[derive(Clone, Debug)]
pub struct QetrcOptions {
    /// Change time at every station; ten minutes is what a Chinese high-speed station needs
    /// between platforms.
    pub minimum_change_minutes: u16,
    /// The national station list, which gives stations their coordinates, telegraph code
    /// and city (a diagram has names only). Stations it does not list are counted in a warning.
    pub station_list: Option<Arc<StationList>>,
}

impl Default for QetrcOptions {
    fn default() -> QetrcOptions {
        QetrcOptions {
            minimum_change_minutes: 10,
            station_list: None,
        }
    }
}

#[derive(Deserialize)]
struct RawDiagram {
    trains: Vec<RawTrain>,
}

#[derive(Deserialize)]
struct RawTrain {
    checi: Vec<String>,
    timetable: Vec<RawRow>,
}

#[derive(Deserialize)]
struct RawRow {
    zhanming: String,
    ddsj: String,
    cfsj: String,
    #[serde(default)]
    business: Option<bool>,
}

/// Yard designations seen in qETRC diagrams; the station is the name without them.
const YARD_SUFFIXES: [&str; 8] = [
    "高速场",
    "京沪场",
    "沪宁场",
    "沪杭场",
    "普速场",
    "城际场",
    "动车场",
    "客车场",
];

/// The passenger station a diagram row names: without its yard suffix.
pub fn normalise_station_name(name: &str) -> String {
    let name = name.trim();
    for suffix in YARD_SUFFIXES {
        if let Some(stripped) = name.strip_suffix(suffix) {
            if stripped.chars().count() >= 2 {
                return stripped.to_string();
            }
        }
    }
    name.to_string()
}

/// Junctions and block posts are not stations.
pub fn is_junction(name: &str) -> bool {
    name.ends_with("线路所") || name.ends_with("线路所站") || name.ends_with("信号所")
}

/// The city a station serves, from its name: the name without a trailing compass point or
/// district (`南京南` → `南京`, `上海虹桥` → `上海`), keeping at least two characters.
pub fn city_of_station(name: &str) -> String {
    for suffix in ["虹桥", "南", "北", "东", "西"] {
        if let Some(stripped) = name.strip_suffix(suffix) {
            if stripped.chars().count() >= 2 {
                return stripped.to_string();
            }
        }
    }
    name.to_string()
}

/// Reads a `*.pyetgr` diagram.
pub fn import_qetrc(path: &Path, options: &QetrcOptions) -> Result<Timetable, ImportError> {
    let text = read_to_string(path)?;
    parse_qetrc(path, &text, options)
}

/// Parses the text of a diagram; `path` is only used in error messages.
pub fn parse_qetrc(
    path: &Path,
    text: &str,
    options: &QetrcOptions,
) -> Result<Timetable, ImportError> {
    Ok(parse_qetrc_with_warnings(path, text, options)?.timetable)
}

/// [`parse_qetrc`], keeping the warnings.
pub fn parse_qetrc_with_warnings(
    path: &Path,
    text: &str,
    options: &QetrcOptions,
) -> Result<Imported, ImportError> {
    let mut trains_without_flags = 0usize;
    let mut unlisted: BTreeSet<String> = BTreeSet::new();
    let diagram: RawDiagram =
        serde_json::from_str(text).map_err(|error| json_error(path, error))?;
    // A diagram without a single `business` flag was drawn without commercial stops marked:
    // every row is taken as a stop rather than none. Where the diagram marks them, a row
    // without the flag is not a commercial stop.
    let flags_absent = diagram
        .trains
        .iter()
        .all(|train| train.timetable.iter().all(|row| row.business.is_none()));
    let mut builder = TimetableBuilder::new();
    let mut stops: Vec<StopTime> = Vec::new();
    for (train_position, train) in diagram.trains.iter().enumerate() {
        let train_number = train
            .checi
            .iter()
            .find(|number| !number.is_empty())
            .cloned()
            .unwrap_or_else(|| format!("#{train_position}"));
        let field_error = |field: String, message: String| ImportError::Field {
            path: path.to_path_buf(),
            line: line_of(text, &format!("\"{train_number}\"")),
            field,
            message,
        };
        stops.clear();
        if flags_absent && !train.timetable.is_empty() {
            trains_without_flags += 1;
        }
        let mut day_offset = 0;
        let mut previous_minute = 0;
        for (row_position, row) in train.timetable.iter().enumerate() {
            let field = |name: &str| {
                format!(
                    "trains[{train_position}] ({train_number}).timetable[{row_position}].{name}"
                )
            };
            let mut arrival = parse_clock(&row.ddsj).ok_or_else(|| {
                field_error(field("ddsj"), format!("`{}` is not HH:MM:SS", row.ddsj))
            })?;
            let mut departure = parse_clock(&row.cfsj).ok_or_else(|| {
                field_error(field("cfsj"), format!("`{}` is not HH:MM:SS", row.cfsj))
            })?;
            // Diagram times are clock times; a train running past midnight wraps to 00:xx, which
            // is the next day of the same service day.
            if row_position > 0 && arrival + day_offset < previous_minute {
                day_offset += 1440;
            }
            arrival += day_offset;
            if departure + day_offset < arrival {
                day_offset += 1440;
            }
            departure += day_offset;
            previous_minute = departure;
            let commercial = row.business.unwrap_or(flags_absent);
            if !commercial || is_junction(&row.zhanming) {
                continue;
            }
            if row.zhanming.trim().is_empty() {
                return Err(field_error(field("zhanming"), "empty station name".into()));
            }
            let name = normalise_station_name(&row.zhanming);
            let change = options.minimum_change_minutes;
            let listed = options
                .station_list
                .as_ref()
                .and_then(|list| list.get(&name).cloned());
            if options.station_list.is_some() && listed.is_none() {
                unlisted.insert(name.clone());
            }
            let station = builder.station_named(&name, || Station {
                name: name.clone(),
                city_name: listed
                    .as_ref()
                    .and_then(|listed| listed.city.clone())
                    .unwrap_or_else(|| city_of_station(&name)),
                coordinates: listed.as_ref().and_then(|listed| listed.coordinates),
                code: listed.and_then(|listed| listed.telegraph_code),
                minimum_change_minutes: change,
                ..Station::default()
            });
            stops.push(StopTime::new(station, arrival, departure));
        }
        if stops.len() < 2 {
            // A train with fewer than two commercial stops on this line carries no passenger
            // between two of its stations: nothing to route on.
            continue;
        }
        builder
            .add_trip(&train_number, None, &stops)
            .map_err(|error| {
                field_error(
                    format!("trains[{train_position}] ({train_number}).timetable"),
                    error.to_string(),
                )
            })?;
    }
    builder.add_city_transfers(estimated_city_transfer_minutes);
    let mut warnings = Vec::new();
    if trains_without_flags > 0 {
        warnings.push(ImportWarning(format!(
            "{}: the diagram marks no commercial stops (`business`): every station on the timetables of its {trains_without_flags} trains was taken as a stop",
            path.display()
        )));
    }
    if !unlisted.is_empty() {
        warnings.push(ImportWarning(format!(
            "{}: {} stations are not in the station list and have no coordinates: {}",
            path.display(),
            unlisted.len(),
            unlisted.into_iter().collect::<Vec<_>>().join(", ")
        )));
    }
    Ok(Imported {
        timetable: builder.build(),
        warnings,
    })
}

/// `HH:MM:SS` (or `HH:MM`) to whole minutes since midnight.
fn parse_clock(text: &str) -> Option<u32> {
    let mut parts = text.trim().split(':');
    let hours: u32 = parts.next()?.parse().ok()?;
    let minutes: u32 = parts.next()?.parse().ok()?;
    if let Some(seconds) = parts.next() {
        let seconds: u32 = seconds.parse().ok()?;
        if seconds >= 60 {
            return None;
        }
    }
    (parts.next().is_none() && hours < 48 && minutes < 60).then_some(hours * 60 + minutes)
}
