//! GTFS static feeds, from a folder or a zip archive, as the reference describes them.
//!
//! Read: `agency.txt` (the feed's time zone: every agency must share one, as the reference
//! says), `stops.txt` (stations and their platforms: a platform's trains stop at its parent
//! station; entrances, nodes and boarding areas are not stations; `stop_id`, `stop_code` and
//! `stop_timezone` are kept), `routes.txt` (route types: road routes can be left out),
//! `trips.txt` (`block_id` in-seat transfers), `stop_times.txt` (pickup and drop-off types:
//! 1 refuses, 0, 2 and 3 allow, since a passenger who phones or asks can use them; calls
//! without times between timed calls get times spread evenly), `frequencies.txt` (both
//! `exact_times` kinds), `calendar.txt` and `calendar_dates.txt` (either may be absent, not
//! both), `transfers.txt` (every type, see `transfers`) and `translations.txt` (English
//! station names). Times are kept in the feed's time zone as minutes since the service day's
//! noon minus twelve hours, hours past 24 included; seconds are truncated to whole minutes
//! after frequencies are applied. Stations show times in their own `stop_timezone`
//! (see [`crate::local_time`]).

mod transfers;
mod trips;

pub use trips::is_road_route_type;

use super::csv::CsvTable;
use super::{ImportError, ImportWarning, Imported};
use crate::date::ServiceDate;
use crate::model::{
    ServiceCalendar, ServiceId, Station, StationId, Timetable, TimetableBuilder, Wgs84,
    DEFAULT_MINIMUM_CHANGE_MINUTES,
};
use std::collections::{HashMap, HashSet};
use std::io::Read;
use std::path::{Path, PathBuf};

/// Choices the feed leaves to the reader.
#[derive(Clone, Debug, Default)]
pub struct GtfsOptions {
    /// Leave out routes that run on roads (buses and coaches feeding the trains), so that
    /// reach is by rail alone.
    pub leave_out_road_routes: bool,
}

/// Reads a GTFS feed from a folder or a `.zip` file with default options.
pub fn import_gtfs(path: &Path) -> Result<Timetable, ImportError> {
    Ok(import_gtfs_with(path, &GtfsOptions::default())?.timetable)
}

/// Reads a GTFS feed from a folder or a `.zip` file, with what it had to leave out.
pub fn import_gtfs_with(path: &Path, options: &GtfsOptions) -> Result<Imported, ImportError> {
    let files = if path.is_dir() {
        read_folder(path)?
    } else {
        read_zip(path)?
    };
    parse_gtfs_with(&files, options)
}

/// The feed's tables as text, keyed by file name, with the path to name in errors.
pub struct GtfsFiles {
    pub tables: HashMap<String, (PathBuf, String)>,
    pub origin: PathBuf,
}

const TABLES: [&str; 10] = [
    "agency.txt",
    "frequencies.txt",
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

/// `H:MM:SS` with hours possibly past 24, to seconds; empty to none.
pub(crate) fn parse_gtfs_seconds(text: &str) -> Result<Option<u32>, String> {
    if text.is_empty() {
        return Ok(None);
    }
    let parts: Vec<&str> = text.split(':').collect();
    let numbers: Option<Vec<u32>> = parts
        .iter()
        .map(|part| {
            (!part.is_empty() && part.len() <= 3)
                .then(|| part.parse().ok())
                .flatten()
        })
        .collect();
    match numbers.as_deref() {
        Some([hours, minutes, seconds]) if *minutes < 60 && *seconds < 60 => {
            Ok(Some(hours * 3600 + minutes * 60 + seconds))
        }
        _ => Err(format!("`{text}` is not a time of the form H:MM:SS")),
    }
}

/// Whether `name` is a time zone of the IANA database Corridor carries.
fn is_known_time_zone(name: &str) -> bool {
    jiff::tz::TimeZone::get(name).is_ok()
}

/// Builds the timetable from the tables of a feed, with default options.
pub fn parse_gtfs(files: &GtfsFiles) -> Result<Timetable, ImportError> {
    Ok(parse_gtfs_with(files, &GtfsOptions::default())?.timetable)
}

/// Builds the timetable from the tables of a feed.
pub fn parse_gtfs_with(files: &GtfsFiles, options: &GtfsOptions) -> Result<Imported, ImportError> {
    let mut builder = TimetableBuilder::new();
    let mut warnings = Vec::new();
    let agencies = read_agencies(files, &mut builder)?;

    let station_of_stop = read_stations(files, &mut builder)?;

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

    let trips = trips::read_trips(
        files,
        options,
        &mut builder,
        &station_of_stop,
        &service_of,
        &agencies,
    )?;
    if !trips.left_out.is_empty() {
        warnings.push(ImportWarning(format!(
            "{} trips of road routes (bus, coach) were left out as asked",
            trips.left_out.len()
        )));
    }
    transfers::read_transfers(files, &mut builder, &station_of_stop, &trips, &mut warnings)?;
    Ok(Imported {
        timetable: builder.build(),
        warnings,
    })
}

/// Stations: stops of location_type 1, and stops of type 0 without a parent. Platforms
/// resolve to their parent in a second pass, since a parent may come after its platform.
fn read_stations(
    files: &GtfsFiles,
    builder: &mut TimetableBuilder,
) -> Result<HashMap<String, StationId>, ImportError> {
    let stops = required_table(files, "stops.txt")?;
    let id_column = stops.required_column("stop_id")?;
    let [name_column, code_column, latitude_column, longitude_column, type_column, parent_column, zone_column] =
        [
            "stop_name",
            "stop_code",
            "stop_lat",
            "stop_lon",
            "location_type",
            "parent_station",
            "stop_timezone",
        ]
        .map(|name| stops.column(name));
    let mut station_of_stop: HashMap<String, StationId> = HashMap::new();
    let mut seen: HashSet<String> = HashSet::new();
    let mut parents: HashSet<String> = HashSet::new();
    let mut platforms: Vec<(usize, String, String, String)> = Vec::new();
    for (line, record) in &stops.records {
        let line = *line;
        let stop_id = CsvTable::field(record, Some(id_column)).to_string();
        if stop_id.is_empty() {
            return Err(stops.error(line, "stop_id", "empty"));
        }
        if !seen.insert(stop_id.clone()) {
            return Err(stops.error(line, "stop_id", format!("`{stop_id}` appears twice")));
        }
        let location_type = match CsvTable::field(record, type_column) {
            "" => 0,
            text => text
                .parse::<u8>()
                .ok()
                .filter(|kind| *kind <= 4)
                .ok_or_else(|| {
                    stops.error(line, "location_type", format!("`{text}` is not 0–4"))
                })?,
        };
        let time_zone = CsvTable::field(record, zone_column).to_string();
        if !time_zone.is_empty() && !is_known_time_zone(&time_zone) {
            return Err(stops.error(
                line,
                "stop_timezone",
                format!("`{time_zone}` is not an IANA time zone"),
            ));
        }
        let parent = CsvTable::field(record, parent_column).to_string();
        if location_type == 1 && !parent.is_empty() {
            return Err(stops.error(
                line,
                "parent_station",
                "a station (location_type 1) cannot have a parent",
            ));
        }
        if location_type == 0 && !parent.is_empty() {
            platforms.push((line, stop_id, parent, time_zone));
            continue;
        }
        if location_type == 1 {
            parents.insert(stop_id.clone());
        }
        if location_type >= 2 {
            continue; // entrances, generic nodes and boarding areas are not where trains stop
        }
        let name = CsvTable::field(record, name_column);
        if name.is_empty() {
            return Err(stops.error(line, "stop_name", "a station needs a name"));
        }
        let coordinate =
            |column: Option<usize>, field: &str, range: f64| -> Result<Option<f64>, ImportError> {
                match CsvTable::field(record, column) {
                    "" => Ok(None),
                    text => match text.parse::<f64>() {
                        Ok(value) if value.abs() <= range => Ok(Some(value)),
                        _ => Err(stops.error(line, field, format!("`{text}` is not a coordinate"))),
                    },
                }
            };
        let latitude = coordinate(latitude_column, "stop_lat", 90.0)?;
        let longitude = coordinate(longitude_column, "stop_lon", 180.0)?;
        let code = CsvTable::field(record, code_column);
        let station = builder.add_station(Station {
            name: name.to_string(),
            city_name: super::qetrc::city_of_station(name),
            coordinates: latitude.zip(longitude).map(|(latitude, longitude)| Wgs84 {
                latitude,
                longitude,
            }),
            minimum_change_minutes: DEFAULT_MINIMUM_CHANGE_MINUTES,
            source_id: Some(stop_id.clone()),
            code: (!code.is_empty()).then(|| code.to_string()),
            time_zone: (!time_zone.is_empty()).then_some(time_zone),
            ..Station::default()
        });
        station_of_stop.insert(stop_id, station);
    }
    for (line, stop_id, parent, time_zone) in platforms {
        let station = *station_of_stop
            .get(&parent)
            .filter(|_| parents.contains(&parent))
            .ok_or_else(|| {
                let message = if seen.contains(&parent) {
                    format!("`{parent}` is not a station (location_type 1)")
                } else {
                    format!("unknown station `{parent}`")
                };
                stops.error(line, "parent_station", message)
            })?;
        let station_record = builder.station_mut(station);
        if station_record.time_zone.is_none() && !time_zone.is_empty() {
            station_record.time_zone = Some(time_zone);
        }
        station_of_stop.insert(stop_id, station);
    }
    Ok(station_of_stop)
}

/// `agency.txt`: the agencies, which must share one valid time zone; that zone becomes the
/// timetable's. A feed without the file is read with no zone (times as they are).
fn read_agencies(
    files: &GtfsFiles,
    builder: &mut TimetableBuilder,
) -> Result<HashSet<String>, ImportError> {
    let mut agencies = HashSet::new();
    let Some(agency) = table(files, "agency.txt")? else {
        return Ok(agencies);
    };
    let zone_column = agency.required_column("agency_timezone")?;
    let id_column = agency.column("agency_id");
    let mut feed_zone: Option<(String, usize)> = None;
    for (line, record) in &agency.records {
        let zone = CsvTable::field(record, Some(zone_column));
        if !is_known_time_zone(zone) {
            return Err(agency.error(
                *line,
                "agency_timezone",
                format!("`{zone}` is not an IANA time zone"),
            ));
        }
        match &feed_zone {
            Some((first, first_line)) if first != zone => {
                return Err(agency.error(
                    *line,
                    "agency_timezone",
                    format!("`{zone}` differs from `{first}` on line {first_line}: GTFS requires every agency of a feed to share one time zone"),
                ))
            }
            Some(_) => {}
            None => feed_zone = Some((zone.to_string(), *line)),
        }
        let id = CsvTable::field(record, id_column);
        if !agencies.insert(id.to_string()) {
            return Err(agency.error(*line, "agency_id", format!("`{id}` appears twice")));
        }
    }
    if agencies.len() > 1 && agencies.contains("") {
        return Err(agency.error(
            agency.records.first().map_or(1, |record| record.0),
            "agency_id",
            "required when the feed has several agencies",
        ));
    }
    agencies.remove("");
    builder.set_time_zone(feed_zone.map(|(zone, _)| zone));
    Ok(agencies)
}
