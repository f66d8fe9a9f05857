//! GTFS static feeds, from a folder or a zip archive.
//!
//! Read: `stops.txt` (stations and their platforms: a platform's trains stop at its parent
//! station; entrances and nodes are ignored), `routes.txt`, `trips.txt`, `stop_times.txt`,
//! `calendar.txt` and `calendar_dates.txt` (either may be absent, not both),
//! `transfers.txt` (minimum transfer times; a transfer from a station to itself sets its
//! change time) and `translations.txt` (English station names). A call whose arrival and
//! departure are both empty (a non-timepoint) is skipped; when one is empty the other is used.
//! Seconds are truncated to whole minutes. The agency time zone is not applied: times stay
//! minutes since the service day's local midnight, as in the feed.

use super::csv::CsvTable;
use super::ImportError;
use crate::date::ServiceDate;
use crate::model::{
    estimated_city_transfer_minutes, ServiceCalendar, ServiceId, Station, StationId, StopTime,
    Timetable, TimetableBuilder, Wgs84, DEFAULT_MINIMUM_CHANGE_MINUTES,
};
use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};

/// Reads a GTFS feed from a folder or a `.zip` file.
pub fn import_gtfs(path: &Path) -> Result<Timetable, ImportError> {
    let files = if path.is_dir() {
        read_folder(path)?
    } else {
        read_zip(path)?
    };
    parse_gtfs(&files)
}

/// The feed's tables as text, keyed by file name, with the path to name in errors.
pub struct GtfsFiles {
    pub tables: HashMap<String, (PathBuf, String)>,
    pub origin: PathBuf,
}

const TABLES: [&str; 8] = [
    "stops.txt",
    "routes.txt",
    "trips.txt",
    "stop_times.txt",
    "calendar.txt",
    "calendar_dates.txt",
    "transfers.txt",
    "translations.txt",
];

fn read_folder(folder: &Path) -> Result<GtfsFiles, ImportError> {
    let mut tables = HashMap::new();
    for name in TABLES {
        let path = folder.join(name);
        if path.exists() {
            tables.insert(
                name.to_string(),
                (path.clone(), super::read_to_string(&path)?),
            );
        }
    }
    Ok(GtfsFiles {
        tables,
        origin: folder.to_path_buf(),
    })
}

fn read_zip(path: &Path) -> Result<GtfsFiles, ImportError> {
    let zip_error = |error: zip::result::ZipError| ImportError::Zip {
        path: path.to_path_buf(),
        message: error.to_string(),
    };
    let file = std::fs::File::open(path).map_err(|source| ImportError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let mut archive = zip::ZipArchive::new(file).map_err(zip_error)?;
    let mut tables = HashMap::new();
    for position in 0..archive.len() {
        let mut entry = archive.by_index(position).map_err(zip_error)?;
        // Feeds are sometimes zipped with a top folder; the table is known by its file name.
        let entry_name = entry
            .name()
            .rsplit('/')
            .next()
            .unwrap_or_default()
            .to_string();
        if !TABLES.contains(&entry_name.as_str()) {
            continue;
        }
        let entry_path = path.join(entry.name());
        let mut text = String::new();
        entry
            .read_to_string(&mut text)
            .map_err(|source| ImportError::Io {
                path: entry_path.clone(),
                source,
            })?;
        tables.insert(entry_name, (entry_path, text));
    }
    Ok(GtfsFiles {
        tables,
        origin: path.to_path_buf(),
    })
}

fn table(files: &GtfsFiles, name: &str) -> Result<Option<CsvTable>, ImportError> {
    files
        .tables
        .get(name)
        .map(|(path, text)| CsvTable::parse(path, text))
        .transpose()
}

fn required_table(files: &GtfsFiles, name: &str) -> Result<CsvTable, ImportError> {
    table(files, name)?.ok_or_else(|| ImportError::Missing {
        path: files.origin.clone(),
        name: name.to_string(),
    })
}

/// `H:MM:SS` with hours possibly past 24, to whole minutes; empty to none.
fn parse_gtfs_time(text: &str) -> Result<Option<u32>, String> {
    if text.is_empty() {
        return Ok(None);
    }
    let parts: Vec<&str> = text.split(':').collect();
    let numbers: Option<Vec<u32>> = parts.iter().map(|part| part.parse().ok()).collect();
    match numbers.as_deref() {
        Some([hours, minutes, seconds]) if *minutes < 60 && *seconds < 60 => {
            Ok(Some(hours * 60 + minutes))
        }
        _ => Err(format!("`{text}` is not a time of the form H:MM:SS")),
    }
}

/// Builds the timetable from the tables of a feed.
pub fn parse_gtfs(files: &GtfsFiles) -> Result<Timetable, ImportError> {
    let mut builder = TimetableBuilder::new();

    // Stations: stops of location_type 1, and stops of type 0 without a parent. Platforms
    // resolve to their parent in a second pass, since a parent may come after its platform.
    let stops = required_table(files, "stops.txt")?;
    let id_column = stops.required_column("stop_id")?;
    let name_column = stops.column("stop_name");
    let (latitude_column, longitude_column) = (stops.column("stop_lat"), stops.column("stop_lon"));
    let type_column = stops.column("location_type");
    let parent_column = stops.column("parent_station");
    let mut station_of_stop: HashMap<String, StationId> = HashMap::new();
    let mut platforms: Vec<(usize, String, String)> = Vec::new();
    for (line, record) in &stops.records {
        let stop_id = CsvTable::field(record, Some(id_column)).to_string();
        if stop_id.is_empty() {
            return Err(stops.error(*line, "stop_id", "empty"));
        }
        let location_type = match CsvTable::field(record, type_column) {
            "" => 0,
            text => text
                .parse::<u8>()
                .map_err(|_| stops.error(*line, "location_type", format!("`{text}` is not 0–4")))?,
        };
        let parent = CsvTable::field(record, parent_column).to_string();
        if location_type == 0 && !parent.is_empty() || location_type >= 2 {
            if location_type == 0 {
                platforms.push((*line, stop_id, parent));
            }
            continue;
        }
        let name = CsvTable::field(record, name_column);
        if name.is_empty() {
            return Err(stops.error(*line, "stop_name", "a station needs a name"));
        }
        let coordinate = |column: Option<usize>,
                          field: &str,
                          range: f64|
         -> Result<Option<f64>, ImportError> {
            match CsvTable::field(record, column) {
                "" => Ok(None),
                text => match text.parse::<f64>() {
                    Ok(value) if value.abs() <= range => Ok(Some(value)),
                    _ => Err(stops.error(*line, field, format!("`{text}` is not a coordinate"))),
                },
            }
        };
        let latitude = coordinate(latitude_column, "stop_lat", 90.0)?;
        let longitude = coordinate(longitude_column, "stop_lon", 180.0)?;
        let station = builder.add_station(Station {
            name: name.to_string(),
            english_name: None,
            city_name: super::qetrc::city_of_station(name),
            city_admin_code: None,
            coordinates: latitude.zip(longitude).map(|(latitude, longitude)| Wgs84 {
                latitude,
                longitude,
            }),
            minimum_change_minutes: DEFAULT_MINIMUM_CHANGE_MINUTES,
        });
        station_of_stop.insert(stop_id, station);
    }
    for (line, stop_id, parent) in platforms {
        let station = *station_of_stop.get(&parent).ok_or_else(|| {
            stops.error(
                line,
                "parent_station",
                format!("unknown station `{parent}`"),
            )
        })?;
        station_of_stop.insert(stop_id, station);
    }

    // English names from translations (record_id form, and the older field_value form).
    if let Some(translations) = table(files, "translations.txt")? {
        let columns = [
            "table_name",
            "field_name",
            "language",
            "translation",
            "record_id",
            "field_value",
        ]
        .map(|name| translations.column(name));
        for (_, record) in &translations.records {
            let [table_name, field_name, language, translation, record_id, field_value] =
                columns.map(|column| CsvTable::field(record, column));
            let english = language == "en" || language.starts_with("en-");
            if table_name != "stops"
                || field_name != "stop_name"
                || !english
                || translation.is_empty()
            {
                continue;
            }
            let stations: Vec<StationId> = if !record_id.is_empty() {
                station_of_stop
                    .get(record_id)
                    .copied()
                    .into_iter()
                    .collect()
            } else {
                let count = builder.station_count() as u32;
                (0..count)
                    .map(StationId)
                    .filter(|&station| builder.station_mut(station).name == field_value)
                    .collect()
            };
            for station in stations {
                builder.station_mut(station).english_name = Some(translation.to_string());
            }
        }
    }

    // Services.
    let mut service_of: HashMap<String, ServiceId> = HashMap::new();
    let calendar = table(files, "calendar.txt")?;
    let calendar_dates = table(files, "calendar_dates.txt")?;
    if calendar.is_none() && calendar_dates.is_none() {
        return Err(ImportError::Missing {
            path: files.origin.clone(),
            name: "calendar.txt or calendar_dates.txt".into(),
        });
    }
    let date_field = |table: &CsvTable,
                      record: &[String],
                      line: usize,
                      name: &str|
     -> Result<ServiceDate, ImportError> {
        let text = CsvTable::field(record, table.column(name));
        ServiceDate::parse_gtfs(text)
            .ok_or_else(|| table.error(line, name, format!("`{text}` is not a date YYYYMMDD")))
    };
    if let Some(calendar) = &calendar {
        let id_column = calendar.required_column("service_id")?;
        const DAYS: [&str; 7] = [
            "monday",
            "tuesday",
            "wednesday",
            "thursday",
            "friday",
            "saturday",
            "sunday",
        ];
        for (line, record) in &calendar.records {
            let mut weekdays = [false; 7];
            for (day, name) in DAYS.iter().enumerate() {
                weekdays[day] = match CsvTable::field(record, Some(calendar.required_column(name)?))
                {
                    "1" => true,
                    "0" => false,
                    other => {
                        return Err(calendar.error(*line, name, format!("`{other}` is not 0 or 1")))
                    }
                };
            }
            let name = CsvTable::field(record, Some(id_column)).to_string();
            let service = builder.add_service(ServiceCalendar {
                name: name.clone(),
                weekdays,
                start_date: Some(date_field(calendar, record, *line, "start_date")?),
                end_date: Some(date_field(calendar, record, *line, "end_date")?),
                added_dates: Vec::new(),
                removed_dates: Vec::new(),
            });
            service_of.insert(name, service);
        }
    }
    if let Some(dates) = &calendar_dates {
        let id_column = dates.required_column("service_id")?;
        let type_column = dates.required_column("exception_type")?;
        for (line, record) in &dates.records {
            let name = CsvTable::field(record, Some(id_column)).to_string();
            let date = date_field(dates, record, *line, "date")?;
            let service = *service_of.entry(name.clone()).or_insert_with(|| {
                builder.add_service(ServiceCalendar {
                    name,
                    weekdays: [false; 7],
                    start_date: None,
                    end_date: None,
                    added_dates: Vec::new(),
                    removed_dates: Vec::new(),
                })
            });
            match CsvTable::field(record, Some(type_column)) {
                "1" => builder.service_mut(service).added_dates.push(date),
                "2" => builder.service_mut(service).removed_dates.push(date),
                other => {
                    return Err(dates.error(
                        *line,
                        "exception_type",
                        format!("`{other}` is not 1 or 2"),
                    ))
                }
            }
        }
    }

    // Routes give a train number when a trip has no short name.
    let mut route_names: HashMap<String, String> = HashMap::new();
    if let Some(routes) = table(files, "routes.txt")? {
        let (id, short, long) = (
            routes.column("route_id"),
            routes.column("route_short_name"),
            routes.column("route_long_name"),
        );
        for (_, record) in &routes.records {
            let name = Some(CsvTable::field(record, short))
                .filter(|name| !name.is_empty())
                .unwrap_or(CsvTable::field(record, long));
            route_names.insert(CsvTable::field(record, id).to_string(), name.to_string());
        }
    }

    let trips = required_table(files, "trips.txt")?;
    let (trip_id_column, service_column) = (
        trips.required_column("trip_id")?,
        trips.required_column("service_id")?,
    );
    let (route_column, short_name_column) =
        (trips.column("route_id"), trips.column("trip_short_name"));
    let mut trip_info: HashMap<String, (usize, String, ServiceId)> = HashMap::new();
    let mut trip_order = Vec::new();
    for (line, record) in &trips.records {
        let trip_id = CsvTable::field(record, Some(trip_id_column)).to_string();
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
                .get(CsvTable::field(record, route_column))
                .filter(|name| !name.is_empty())
                .cloned()
                .unwrap_or_else(|| trip_id.clone())
        };
        if trip_info
            .insert(trip_id.clone(), (*line, train_number, service))
            .is_some()
        {
            return Err(trips.error(*line, "trip_id", format!("`{trip_id}` appears twice")));
        }
        trip_order.push(trip_id);
    }

    let stop_times = required_table(files, "stop_times.txt")?;
    let columns = [
        "trip_id",
        "arrival_time",
        "departure_time",
        "stop_id",
        "stop_sequence",
    ]
    .map(|name| stop_times.required_column(name));
    let [trip_column, arrival_column, departure_column, stop_column, sequence_column] = columns;
    let (trip_column, arrival_column, departure_column, stop_column, sequence_column) = (
        trip_column?,
        arrival_column?,
        departure_column?,
        stop_column?,
        sequence_column?,
    );
    let mut calls_of: HashMap<String, Vec<(u32, usize, StopTime)>> = HashMap::new();
    for (line, record) in &stop_times.records {
        let trip_id = CsvTable::field(record, Some(trip_column));
        if !trip_info.contains_key(trip_id) {
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
        let arrival = parse_gtfs_time(CsvTable::field(record, Some(arrival_column)))
            .map_err(|message| stop_times.error(*line, "arrival_time", message))?;
        let departure = parse_gtfs_time(CsvTable::field(record, Some(departure_column)))
            .map_err(|message| stop_times.error(*line, "departure_time", message))?;
        let (arrival, departure) = match (arrival, departure) {
            (Some(arrival), Some(departure)) => (arrival, departure),
            (Some(time), None) | (None, Some(time)) => (time, time),
            (None, None) => continue,
        };
        calls_of.entry(trip_id.to_string()).or_default().push((
            sequence,
            *line,
            StopTime {
                station,
                arrival,
                departure,
            },
        ));
    }
    let mut stops_buffer = Vec::new();
    for trip_id in &trip_order {
        let (line, train_number, service) = &trip_info[trip_id];
        let Some(calls) = calls_of.get_mut(trip_id) else {
            continue;
        };
        calls.sort_by_key(|(sequence, _, _)| *sequence);
        stops_buffer.clear();
        stops_buffer.extend(calls.iter().map(|(_, _, stop)| *stop));
        // Consecutive platforms of one station (a train changing track) are one call.
        stops_buffer.dedup_by(|later, earlier| {
            let same = later.station == earlier.station;
            if same {
                earlier.departure = later.departure;
            }
            same
        });
        if stops_buffer.len() < 2 {
            continue;
        }
        builder
            .add_trip(train_number, Some(*service), &stops_buffer)
            .map_err(|error| {
                stop_times.error(
                    calls.first().map_or(*line, |call| call.1),
                    "arrival_time",
                    error.to_string(),
                )
            })?;
    }

    if let Some(transfers) = table(files, "transfers.txt")? {
        let (from_column, to_column) = (
            transfers.column("from_stop_id"),
            transfers.column("to_stop_id"),
        );
        let (type_column, time_column) = (
            transfers.column("transfer_type"),
            transfers.column("min_transfer_time"),
        );
        for (line, record) in &transfers.records {
            let from_id = CsvTable::field(record, from_column);
            let to_id = CsvTable::field(record, to_column);
            if from_id.is_empty() || to_id.is_empty() {
                continue; // trip-to-trip or route-to-route transfers are not modelled
            }
            let from = *station_of_stop.get(from_id).ok_or_else(|| {
                transfers.error(*line, "from_stop_id", format!("unknown stop `{from_id}`"))
            })?;
            let to = *station_of_stop.get(to_id).ok_or_else(|| {
                transfers.error(*line, "to_stop_id", format!("unknown stop `{to_id}`"))
            })?;
            if CsvTable::field(record, type_column) == "3" {
                continue; // transfers impossible
            }
            let minutes = match CsvTable::field(record, time_column) {
                "" if from == to => DEFAULT_MINIMUM_CHANGE_MINUTES,
                "" => {
                    let (from_station, to_station) = (
                        builder.station_mut(from).clone(),
                        builder.station_mut(to).clone(),
                    );
                    estimated_city_transfer_minutes(&from_station, &to_station)
                }
                text => text
                    .parse::<u32>()
                    .map(|seconds| seconds.div_ceil(60).min(u32::from(u16::MAX)) as u16)
                    .map_err(|_| {
                        transfers.error(
                            *line,
                            "min_transfer_time",
                            format!("`{text}` is not seconds"),
                        )
                    })?,
            };
            builder
                .add_transfer(from, to, minutes)
                .map_err(|error| transfers.error(*line, "from_stop_id", error.to_string()))?;
        }
    }
    Ok(builder.build())
}
