//! `corridor reach`: earliest arrival at every station from a place. (The routing benchmark
//! of issue 5 is `corridor-bench reach`.)

use std::path::Path;

use anyhow::{Context, Result};
use corridor_rail::local_time::local_clock;
use corridor_rail::{
    earliest_arrival, format_minute, parse_hours_minutes, profile, EarliestArrivalQuery,
    ProfileQuery, ProfileWorkspace, RoutingIndex, ScanWorkspace, ServiceDate, ServiceDay,
    StationId, Timetable,
};
use serde_json::json;

pub struct ReachOptions {
    pub timetable: String,
    pub from: String,
    pub depart: String,
    pub date: Option<String>,
    pub window: Option<u16>,
    pub horizon: u16,
    pub rail_only: bool,
    pub stations: Option<std::path::PathBuf>,
    pub json: bool,
}

/// `demo` is the generated timetable of the demo region; anything else is a path. The
/// importer's warnings go to standard error.
pub fn load(timetable: &str, rail_only: bool, stations: Option<&Path>) -> Result<Timetable> {
    if timetable == "demo" {
        return Ok(corridor_rail::demo::demo_timetable(
            corridor_demo::DEFAULT_SEED,
        ));
    }
    let path = Path::new(timetable);
    let imported = if let Some(list) = stations {
        let station_list = std::sync::Arc::new(
            corridor_rail::import::station_list::StationList::read(list)
                .with_context(|| format!("reading the station list {}", list.display()))?,
        );
        if path.join("station_boards_gbk").is_dir() {
            corridor_rail::import::station_boards::import_station_boards(
                path,
                &corridor_rail::import::station_boards::StationBoardOptions {
                    station_list: Some(station_list),
                    ..Default::default()
                },
            )
        } else {
            corridor_rail::import::qetrc::parse_qetrc_with_warnings(
                path,
                &std::fs::read_to_string(path).with_context(|| format!("reading {timetable}"))?,
                &corridor_rail::import::qetrc::QetrcOptions {
                    station_list: Some(station_list),
                    ..Default::default()
                },
            )
        }
    } else if rail_only {
        corridor_rail::import::gtfs::import_gtfs_with(
            path,
            &corridor_rail::import::gtfs::GtfsOptions {
                leave_out_road_routes: true,
            },
        )
    } else {
        corridor_rail::import::import_timetable_with_warnings(path)
    }
    .with_context(|| format!("importing the timetable {timetable}"))?;
    for warning in &imported.warnings {
        eprintln!("warning: {warning}");
    }
    Ok(imported.timetable)
}

pub fn run(options: ReachOptions) -> Result<()> {
    let timetable = load(
        &options.timetable,
        options.rail_only,
        options.stations.as_deref(),
    )?;
    let origins = timetable
        .find_place(&options.from)
        .with_context(|| format!("--from {:?}", options.from))?;
    let departure = parse_hours_minutes(&options.depart)
        .filter(|minute| *minute < 48 * 60)
        .with_context(|| format!("--depart {:?} is not a time like 08:00", options.depart))?
        as u16;
    let service_day = match &options.date {
        Some(text) => ServiceDay::Date(
            ServiceDate::parse_iso(text)
                .with_context(|| format!("--date {text:?} is not a date like 2026-11-28"))?,
        ),
        None => ServiceDay::EveryDay,
    };
    let index = RoutingIndex::build(&timetable, service_day);
    // With a date and a timetable that names its zone, arrivals are shown in each station's
    // own zone (GTFS `stop_timezone`); otherwise as the timetable counts them.
    let arrival_text = |station: StationId, arrival: u16| match service_day {
        ServiceDay::Date(date) if timetable.time_zone().is_some() => {
            let clock = local_clock(&timetable, station, date, u32::from(arrival));
            match clock.time_zone.as_deref() {
                Some(zone) if Some(zone) != timetable.time_zone() => {
                    format!("{} {zone}", clock.format_after(date))
                }
                _ => clock.format_after(date),
            }
        }
        _ => format_minute(u32::from(arrival)),
    };
    let name = |id: StationId| {
        let station = timetable.station(id);
        station.english_name.clone().map_or_else(
            || station.name.clone(),
            |english| format!("{} ({english})", station.name),
        )
    };
    let mut rows: Vec<(StationId, u16, u16, Option<String>)> = Vec::new();
    match options.window {
        None => {
            let mut workspace = ScanWorkspace::new();
            let arrivals = earliest_arrival(
                &index,
                &mut workspace,
                &EarliestArrivalQuery {
                    origins: &origins,
                    departure,
                    horizon_minutes: options.horizon,
                },
            );
            for (station, arrival) in arrivals.reached() {
                let trains = arrivals.journey_to(&timetable, station).map(|journey| {
                    journey
                        .legs
                        .iter()
                        .filter_map(|leg| match leg {
                            corridor_rail::JourneyLeg::Train { train_number, .. } => {
                                Some(train_number.clone())
                            }
                            corridor_rail::JourneyLeg::Transfer { .. } => None,
                        })
                        .collect::<Vec<_>>()
                        .join(" + ")
                });
                rows.push((station, arrival, arrival.saturating_sub(departure), trains));
            }
        }
        Some(window) => {
            let mut workspace = ProfileWorkspace::default();
            let result = profile(
                &index,
                &mut workspace,
                &ProfileQuery {
                    origins: &origins,
                    window_start: departure,
                    window_end: departure + window,
                    horizon_minutes: options.horizon,
                },
            );
            for position in 0..timetable.stations().len() {
                let station = StationId(position as u32);
                if let (Some(minutes), Some(arrival)) = (
                    result.shortest_travel_minutes(station),
                    result.earliest_arrival(station),
                ) {
                    rows.push((station, arrival, minutes, None));
                }
            }
        }
    }
    rows.sort_by_key(|(station, _, minutes, _)| (*minutes, station.0));
    if options.json {
        let stations: Vec<_> = rows
            .iter()
            .map(|(station, arrival, minutes, trains)| {
                let record = timetable.station(*station);
                json!({ "station": record.name, "english_name": record.english_name, "city": record.city_name, "city_code": record.city_admin_code,
                        "earliest_arrival": arrival_text(*station, *arrival), "travel_minutes": minutes, "trains": trains })
            })
            .collect();
        println!(
            "{}",
            serde_json::to_string_pretty(
                &json!({ "from": options.from, "depart": format_minute(u32::from(departure)), "window": options.window, "stations": stations })
            )?
        );
    } else {
        println!(
            "{:<36} {:>8} {:>8}  trains",
            "station", "arrival", "minutes"
        );
        for (station, arrival, minutes, trains) in &rows {
            println!(
                "{:<36} {:>8} {:>8}  {}",
                name(*station),
                arrival_text(*station, *arrival),
                minutes,
                trains.as_deref().unwrap_or("")
            );
        }
    }
    Ok(())
}
