//! The demo region's timetable, generated over the real high-speed stations and lines of the
//! Yangtze River Delta (`demo_data.rs`). Pure and deterministic: the same seed gives the same
//! timetable, value for value.
//!
//! Each line runs both ways from 06:00 until trains would arrive after midnight (no departure
//! after 23:00), every `peak_headway` minutes at the peaks (07–09 and 17–19) and every
//! `off_peak_headway` otherwise. Departures alternate between expresses (stopping at the
//! line's express stops), locals (every station) and skip-stop trains (express stops plus a
//! random half of the rest). Running times come from the track distance (the straight line
//! times 1.12) at 90% of the line's top speed, plus three minutes to brake and accelerate at
//! each stop; dwell is two minutes, three at express stops. The seed moves departures by up
//! to three minutes and draws the skip-stop patterns.

use crate::demo_data::{LineSpec, LINES, STATIONS};
use crate::model::{
    estimated_city_transfer_minutes, Station, StationId, StopTime, Timetable, TimetableBuilder,
    Wgs84,
};
use std::collections::HashMap;

/// SplitMix64: a tiny, well-mixed, seedable generator; enough for jitter and stop patterns,
/// and free of any dependency whose output could change between versions.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut mixed = self.0;
        mixed = (mixed ^ (mixed >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        mixed = (mixed ^ (mixed >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        mixed ^ (mixed >> 31)
    }
    fn below(&mut self, bound: u64) -> u64 {
        self.next() % bound
    }
}

/// Track length is longer than the straight line between stations.
const TRACK_DETOUR_FACTOR: f64 = 1.12;
/// Trains average this share of their top speed between stops.
const CRUISE_SHARE_OF_TOP_SPEED: f64 = 0.9;
/// Braking into and accelerating out of a stop.
const STOP_PENALTY_MINUTES: f64 = 3.0;
const FIRST_DEPARTURE: u32 = 6 * 60;
const LAST_DEPARTURE: u32 = 23 * 60;
const LAST_ARRIVAL: u32 = 24 * 60;

/// Stations served by three or more lines get a longer change time: more platforms to cross.
fn change_minutes(lines_serving: usize) -> u16 {
    if lines_serving >= 3 {
        10
    } else {
        6
    }
}

fn is_peak(minute: u32) -> bool {
    (7 * 60..9 * 60).contains(&minute) || (17 * 60..19 * 60).contains(&minute)
}

/// Generates the demo timetable. Every station carries the six-digit code of its
/// prefecture-level city; stations of one city get transfers estimated from their distance.
pub fn demo_timetable(seed: u64) -> Timetable {
    let mut builder = TimetableBuilder::new();
    let mut station_by_name: HashMap<&str, StationId> = HashMap::new();
    let mut lines_serving: HashMap<&str, usize> = HashMap::new();
    for line in LINES {
        for station in line.stations {
            *lines_serving.entry(station).or_default() += 1;
        }
    }
    for &(name, english, code, city, latitude, longitude) in STATIONS {
        let id = builder.add_station(Station {
            name: name.to_string(),
            english_name: Some(english.to_string()),
            city_name: city.to_string(),
            city_admin_code: Some(code),
            coordinates: Some(Wgs84 {
                latitude,
                longitude,
            }),
            minimum_change_minutes: change_minutes(lines_serving.get(name).copied().unwrap_or(0)),
            ..Station::default()
        });
        station_by_name.insert(name, id);
    }
    let coordinates: Vec<Wgs84> = STATIONS
        .iter()
        .map(|&(_, _, _, _, latitude, longitude)| Wgs84 {
            latitude,
            longitude,
        })
        .collect();

    for (line_index, line) in LINES.iter().enumerate() {
        let mut random =
            SplitMix64(seed ^ (line_index as u64 + 1).wrapping_mul(0xA076_1D64_78BD_642F));
        let down: Vec<StationId> = line
            .stations
            .iter()
            .map(|name| {
                *station_by_name
                    .get(name)
                    .unwrap_or_else(|| panic!("line {} names unknown station {name}", line.name))
            })
            .collect();
        let mut up = down.clone();
        up.reverse();
        for (direction, stations) in [down, up].iter().enumerate() {
            generate_direction(
                &mut builder,
                line,
                stations,
                direction,
                &coordinates,
                &mut random,
            );
        }
    }
    builder.add_city_transfers(estimated_city_transfer_minutes);
    builder.build()
}

fn generate_direction(
    builder: &mut TimetableBuilder,
    line: &LineSpec,
    stations: &[StationId],
    direction: usize,
    coordinates: &[Wgs84],
    random: &mut SplitMix64,
) {
    let express: Vec<bool> = stations
        .iter()
        .enumerate()
        .map(|(position, &station)| {
            position == 0
                || position + 1 == stations.len()
                || line.express_stops.contains(&STATIONS[station.0 as usize].0)
        })
        .collect();
    let cruise_kmh = line.top_speed_kmh * CRUISE_SHARE_OF_TOP_SPEED;
    let mut departure =
        FIRST_DEPARTURE + random.below(u64::from(line.off_peak_headway.min(20))) as u32;
    let mut number = line.first_number + direction as u32;
    let mut sequence = 0u32;
    let mut stops = Vec::new();
    while departure <= LAST_DEPARTURE {
        let pattern = sequence % 3;
        let calls: Vec<bool> = (0..stations.len())
            .map(|position| match pattern {
                0 => express[position],
                1 => true,
                _ => express[position] || random.below(2) == 0,
            })
            .collect();
        stops.clear();
        let mut clock = departure as f64;
        let mut distance_since_stop = 0.0;
        for position in 0..stations.len() {
            if position > 0 {
                let from = coordinates[stations[position - 1].0 as usize];
                let to = coordinates[stations[position].0 as usize];
                distance_since_stop += from.distance_km(to) * TRACK_DETOUR_FACTOR;
            }
            if !calls[position] {
                continue;
            }
            if position > 0 {
                clock += distance_since_stop / cruise_kmh * 60.0 + STOP_PENALTY_MINUTES;
                distance_since_stop = 0.0;
            }
            let arrival = clock.round() as u32;
            let last = position + 1 == stations.len();
            let dwell = if position == 0 || last {
                0
            } else if express[position] {
                3
            } else {
                2
            };
            stops.push(StopTime::new(stations[position], arrival, arrival + dwell));
            clock = f64::from(arrival + dwell);
        }
        if stops.last().is_some_and(|stop| stop.arrival > LAST_ARRIVAL) {
            break;
        }
        let train_number = format!("{}{}", line.prefix, number);
        builder
            .add_trip(&train_number, None, &stops)
            .expect("generated stop times run forward");
        number += 2;
        sequence += 1;
        let headway = if is_peak(departure) {
            line.peak_headway
        } else {
            line.off_peak_headway
        };
        let jitter = random.below(7) as i64 - 3;
        departure = (i64::from(departure) + i64::from(headway) + jitter)
            .max(i64::from(departure) + 5) as u32;
    }
}
