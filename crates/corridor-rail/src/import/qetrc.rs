//! The train-diagram JSON of qETRC/pyETRC (`*.pyetgr`): a `line` of stations and junctions
//! with kilometre posts, and `trains`, each with a `timetable` of rows (`zhanming` station,
//! `ddsj` arrival, `cfsj` departure as `HH:MM:SS`, `business` true for a commercial stop).
//!
//! Only commercial stops become stop times; junctions (`线路所`) are dropped even when marked
//! commercial; yard suffixes are removed so that `南京南京沪场` and `上海虹桥高速场` become the
//! stations passengers know, `南京南` and `上海虹桥`. The diagram has no calendar: every
//! train runs every day. Seconds are truncated to whole minutes.

use super::{json_error, line_of, read_to_string, ImportError};
use crate::model::{
    estimated_city_transfer_minutes, Station, StopTime, Timetable, TimetableBuilder,
};
use serde::Deserialize;
use std::path::Path;

/// Choices the source leaves open.
#[derive(Clone, Debug)]
pub struct QetrcOptions {
    /// Change time at every station; ten minutes is what a Chinese high-speed station needs
    /// between platforms.
    pub minimum_change_minutes: u16,
}

impl Default for QetrcOptions {
    fn default() -> QetrcOptions {
        QetrcOptions {
            minimum_change_minutes: 10,
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
    let diagram: RawDiagram =
        serde_json::from_str(text).map_err(|error| json_error(path, error))?;
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
            if row.business != Some(true) || is_junction(&row.zhanming) {
                continue;
            }
            if row.zhanming.trim().is_empty() {
                return Err(field_error(field("zhanming"), "empty station name".into()));
            }
            let name = normalise_station_name(&row.zhanming);
            let change = options.minimum_change_minutes;
            let station = builder.station_named(&name, || Station {
                name: name.clone(),
                english_name: None,
                city_name: city_of_station(&name),
                city_admin_code: None,
                coordinates: None,
                minimum_change_minutes: change,
            });
            stops.push(StopTime {
                station,
                arrival,
                departure,
            });
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
    Ok(builder.build())
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
