//! The city-level national timetable of RailwayVIS (`json_schedulers.json`): an object of
//! trains keyed by train number, each with its calls at cities (`"H:MM"`, hours past 24 for
//! overnight runs, `"-"` for no arrival or departure). There are no calendars, so every train
//! runs every day, and every station of the model is a city.

use super::{json_error, line_of, read_to_string, ImportError};
use crate::model::{Station, StopTime, Timetable, TimetableBuilder};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;

/// Choices the source leaves open.
#[derive(Clone, Debug)]
pub struct RailwayVisOptions {
    /// Change time at every city. A city-level change may mean crossing town between two
    /// stations, so the default is a cautious 15 minutes.
    pub minimum_change_minutes: u16,
    /// Keep only multiple-unit trains (G, D and C services).
    pub multiple_units_only: bool,
    /// The national station list, which places each city at the mean of its stations.
    pub station_list: Option<std::sync::Arc<super::station_list::StationList>>,
}

impl Default for RailwayVisOptions {
    fn default() -> RailwayVisOptions {
        RailwayVisOptions {
            minimum_change_minutes: 15,
            multiple_units_only: false,
            station_list: None,
        }
    }
}

#[derive(Deserialize)]
struct RawTrain {
    service: String,
    route: Vec<RawCall>,
}

#[derive(Deserialize)]
struct RawCall {
    arrival: String,
    departure: String,
    city: String,
}

/// Reads `json_schedulers.json`.
pub fn import_railwayvis(
    path: &Path,
    options: &RailwayVisOptions,
) -> Result<Timetable, ImportError> {
    let text = read_to_string(path)?;
    parse_railwayvis(path, &text, options)
}

/// Parses the text of `json_schedulers.json`; `path` is only used in error messages.
pub fn parse_railwayvis(
    path: &Path,
    text: &str,
    options: &RailwayVisOptions,
) -> Result<Timetable, ImportError> {
    let trains: BTreeMap<String, RawTrain> =
        serde_json::from_str(text).map_err(|error| json_error(path, error))?;
    let mut builder = TimetableBuilder::new();
    let mut stops = Vec::new();
    for (train_number, train) in &trains {
        if options.multiple_units_only
            && !matches!(train.service.as_str(), "高速动车" | "动车组" | "城际动车")
        {
            continue;
        }
        let field_error = |field: String, message: String| ImportError::Field {
            path: path.to_path_buf(),
            line: line_of(text, &format!("\"{train_number}\":")),
            field,
            message,
        };
        stops.clear();
        for (position, call) in train.route.iter().enumerate() {
            let arrival = parse_call_time(&call.arrival).map_err(|message| {
                field_error(format!("{train_number}.route[{position}].arrival"), message)
            })?;
            let departure = parse_call_time(&call.departure).map_err(|message| {
                field_error(
                    format!("{train_number}.route[{position}].departure"),
                    message,
                )
            })?;
            let (arrival, departure) = match (arrival, departure) {
                (Some(arrival), Some(departure)) => (arrival, departure),
                (None, Some(time)) | (Some(time), None) => (time, time),
                (None, None) => {
                    return Err(field_error(
                        format!("{train_number}.route[{position}]"),
                        "neither arrival nor departure".into(),
                    ))
                }
            };
            if call.city.trim().is_empty() {
                return Err(field_error(
                    format!("{train_number}.route[{position}].city"),
                    "empty city name".into(),
                ));
            }
            let change = options.minimum_change_minutes;
            let station = builder.station_named(&call.city, || Station {
                name: call.city.clone(),
                english_name: None,
                city_name: call.city.clone(),
                city_admin_code: None,
                coordinates: options
                    .station_list
                    .as_ref()
                    .and_then(|list| list.city_position(&call.city)),
                minimum_change_minutes: change,
                ..Station::default()
            });
            stops.push(StopTime::new(station, arrival, departure));
        }
        builder
            .add_trip(train_number, None, &stops)
            .map_err(|error| field_error(format!("{train_number}.route"), error.to_string()))?;
    }
    Ok(builder.build())
}

/// `"H:MM"` to minutes, `"-"` to none.
fn parse_call_time(text: &str) -> Result<Option<u32>, String> {
    if text.trim() == "-" {
        return Ok(None);
    }
    crate::parse_hours_minutes(text)
        .map(Some)
        .ok_or_else(|| format!("`{text}` is not a time of the form H:MM or `-`"))
}
