//! The reach benchmark behind `corridor-bench reach`: one-to-all, profile and all-pairs
//! figures on a timetable, as medians, in one serialisable report.
//!
//! This module reads the clock, so it sits outside the pure core; it calls the same public
//! query functions a user would, on one thread.

use crate::index::{RoutingIndex, ServiceDay};
use crate::model::{StationId, Timetable};
use crate::profile::{profile, ProfileQuery, ProfileWorkspace};
use crate::reach::{reachable_within, ReachQuery, ReachWorkspace};
use crate::scan::{earliest_arrival, EarliestArrivalQuery, ScanWorkspace};
use serde::{Deserialize, Serialize};
use std::hint::black_box;
use std::time::{Duration, Instant};

/// What to measure.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ReachBenchOptions {
    /// Departure of the one-to-all and all-pairs queries, minutes after midnight.
    pub departure_minute: u16,
    /// Horizon of the one-to-all, profile and main all-pairs queries.
    pub horizon_minutes: u16,
    /// Start of the profile window; the window is two hours long.
    pub profile_window_start: u16,
    /// Times every origin is queried (one-to-all) and every all-pairs matrix is computed.
    pub repetitions: usize,
}

impl Default for ReachBenchOptions {
    fn default() -> ReachBenchOptions {
        ReachBenchOptions {
            departure_minute: 8 * 60,
            horizon_minutes: 24 * 60,
            profile_window_start: 7 * 60,
            repetitions: 20,
        }
    }
}

/// The published router measured on the same queries, when one could be run.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PeerMeasurement {
    /// Name and version, e.g. `pyraptor 1.3.3 (PyPI)`.
    pub name: String,
    /// Median wall time of one one-to-all query in microseconds.
    pub one_to_all_us: f64,
    pub queries: usize,
    /// Stations whose earliest arrival the peer and Corridor agree on, out of those compared.
    pub agreeing_answers: usize,
    pub compared_answers: usize,
    /// Answers where the peer arrives earlier than Corridor (or Corridor finds nothing): a
    /// sign of a Corridor bug unless the models differ there.
    pub peer_earlier_answers: usize,
}

/// The benchmark's answer; the binary prints it as one JSON object.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ReachBenchReport {
    pub stations: usize,
    pub trips: usize,
    pub connections: usize,
    pub origins: usize,
    pub departure: String,
    pub horizon_minutes: u16,
    /// Median of one one-to-all earliest-arrival query (µs); target ≤ 100.
    pub one_to_all_us: f64,
    /// Median of one two-hour departure-window profile (µs); target ≤ 1000.
    pub profile_2h_us: f64,
    /// Median time of the full origin × station reachability matrix within the horizon,
    /// bit-parallel (ms); target ≤ 50.
    pub all_pairs_ms: f64,
    /// The same matrix within three hours (the product's "within 3 h").
    pub all_pairs_3h_ms: f64,
    /// The full origin × station matrix of earliest-arrival times, one scan per origin (ms).
    pub all_pairs_earliest_arrival_ms: f64,
    /// Median number of departure minutes in a two-hour profile.
    pub profile_departures: usize,
    /// Index build time for the service day (ms), once.
    pub index_build_ms: f64,
    pub peer: Option<PeerMeasurement>,
    /// Peer's one-to-all median divided by Corridor's (how many times faster Corridor is).
    pub peer_ratio: Option<f64>,
    pub peer_error: Option<String>,
}

impl ReachBenchReport {
    /// Adds the peer's figures and the ratio.
    pub fn with_peer(mut self, peer: Result<PeerMeasurement, String>) -> ReachBenchReport {
        match peer {
            Ok(peer) => {
                self.peer_ratio = Some(peer.one_to_all_us / self.one_to_all_us);
                self.peer = Some(peer);
            }
            Err(error) => self.peer_error = Some(error),
        }
        self
    }
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort_unstable();
    samples.get(samples.len() / 2).copied().unwrap_or_default()
}

/// The origins the benchmark uses: every station of the timetable (on the city-level
/// national timetable, every city).
pub fn benchmark_origins(timetable: &Timetable) -> Vec<StationId> {
    (0..timetable.stations().len() as u32)
        .map(StationId)
        .collect()
}

/// Runs the benchmark on `timetable`, calendars ignored (every trip every day).
pub fn run_reach_benchmark(timetable: &Timetable, options: &ReachBenchOptions) -> ReachBenchReport {
    let build_started = Instant::now();
    let index = RoutingIndex::build(timetable, ServiceDay::EveryDay);
    let index_build = build_started.elapsed();
    let origins = benchmark_origins(timetable);

    let mut scan = ScanWorkspace::new();
    let mut one_to_all = Vec::with_capacity(origins.len() * options.repetitions);
    for _ in 0..options.repetitions {
        for origin in &origins {
            let started = Instant::now();
            let answer = earliest_arrival(
                &index,
                &mut scan,
                &EarliestArrivalQuery {
                    origins: std::slice::from_ref(origin),
                    departure: options.departure_minute,
                    horizon_minutes: options.horizon_minutes,
                },
            );
            black_box(answer.arrival(StationId(0)));
            one_to_all.push(started.elapsed());
        }
    }

    let mut profile_workspace = ProfileWorkspace::default();
    let mut profiles = Vec::with_capacity(origins.len());
    let mut departures = Vec::with_capacity(origins.len());
    for origin in &origins {
        let started = Instant::now();
        let answer = profile(
            &index,
            &mut profile_workspace,
            &ProfileQuery {
                origins: std::slice::from_ref(origin),
                window_start: options.profile_window_start,
                window_end: options.profile_window_start + 120,
                horizon_minutes: options.horizon_minutes,
            },
        );
        black_box(answer.shortest_travel_minutes(StationId(0)));
        profiles.push(started.elapsed());
        departures.push(answer.departures.len());
    }
    departures.sort_unstable();

    let groups: Vec<Vec<StationId>> = origins.iter().map(|&origin| vec![origin]).collect();
    let mut reach = ReachWorkspace::default();
    let mut matrix_times = |horizon_minutes: u16| {
        let mut samples = Vec::with_capacity(options.repetitions);
        for _ in 0..options.repetitions {
            let started = Instant::now();
            let matrix = reachable_within(
                &index,
                &mut reach,
                &ReachQuery {
                    origins: &groups,
                    departure: options.departure_minute,
                    horizon_minutes,
                },
            );
            black_box(matrix.reachable_count(0));
            samples.push(started.elapsed());
        }
        median(samples)
    };
    let all_pairs = matrix_times(options.horizon_minutes);
    let all_pairs_3h = matrix_times(180);

    let mut earliest_arrival_matrices = Vec::with_capacity(options.repetitions);
    let mut times = vec![0u16; origins.len() * origins.len()];
    for _ in 0..options.repetitions.max(1) {
        let started = Instant::now();
        for (row, origin) in origins.iter().enumerate() {
            let answer = earliest_arrival(
                &index,
                &mut scan,
                &EarliestArrivalQuery {
                    origins: std::slice::from_ref(origin),
                    departure: options.departure_minute,
                    horizon_minutes: options.horizon_minutes,
                },
            );
            for (column, station) in origins.iter().enumerate() {
                times[row * origins.len() + column] = answer.arrival(*station).unwrap_or(u16::MAX);
            }
        }
        black_box(&times);
        earliest_arrival_matrices.push(started.elapsed());
    }

    ReachBenchReport {
        stations: timetable.stations().len(),
        trips: timetable.trips().len(),
        connections: index.connections().len(),
        origins: origins.len(),
        departure: crate::format_minute(u32::from(options.departure_minute)),
        horizon_minutes: options.horizon_minutes,
        one_to_all_us: median(one_to_all).as_secs_f64() * 1e6,
        profile_2h_us: median(profiles).as_secs_f64() * 1e6,
        all_pairs_ms: all_pairs.as_secs_f64() * 1e3,
        all_pairs_3h_ms: all_pairs_3h.as_secs_f64() * 1e3,
        all_pairs_earliest_arrival_ms: median(earliest_arrival_matrices).as_secs_f64() * 1e3,
        profile_departures: departures.get(departures.len() / 2).copied().unwrap_or(0),
        index_build_ms: index_build.as_secs_f64() * 1e3,
        peer: None,
        peer_ratio: None,
        peer_error: None,
    }
}

/// Origin cities of the peer comparison: big hubs spread over the country. A few are enough,
/// because the peer takes a third of a second per query.
pub const PEER_ORIGINS: [&str; 10] = [
    "上海", "北京", "广州", "南京", "杭州", "合肥", "武汉", "成都", "西安", "郑州",
];

/// RAPTOR rounds the peer runs (trips per journey).
pub const PEER_ROUNDS: u32 = 6;

#[derive(Deserialize)]
struct PeerOutput {
    name: String,
    one_to_all_us: f64,
    queries: usize,
    answers: std::collections::BTreeMap<String, std::collections::BTreeMap<String, u32>>,
}

/// Runs the peer script (`scripts/bench-reach-peer`: pyraptor from PyPI) on the RailwayVIS
/// file and checks its answers against Corridor's on `comparison`, which should be the same
/// file imported with a one-minute change time: pyraptor lets a traveller board at the
/// platform where they alighted without any change time. Only arrivals within the horizon
/// are compared. Starting a process is I/O: this lives in the benchmark, not the core.
pub fn run_peer(
    script: &std::path::Path,
    schedulers_json: &std::path::Path,
    comparison: &Timetable,
    options: &ReachBenchOptions,
) -> Result<PeerMeasurement, String> {
    let origins: Vec<&str> = PEER_ORIGINS
        .iter()
        .copied()
        .filter(|name| comparison.station_by_name(name).is_some())
        .collect();
    let output = std::process::Command::new(script)
        .arg(schedulers_json)
        .arg(options.departure_minute.to_string())
        .arg(PEER_ROUNDS.to_string())
        .arg(origins.join(","))
        .output()
        .map_err(|error| format!("cannot start {}: {error}", script.display()))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let tail: String = stderr
            .lines()
            .rev()
            .take(5)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect::<Vec<_>>()
            .join(" | ");
        return Err(format!(
            "{} failed ({}): {tail}",
            script.display(),
            output.status
        ));
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    let last_line = stdout.lines().last().unwrap_or_default();
    let peer: PeerOutput = serde_json::from_str(last_line)
        .map_err(|error| format!("peer printed no JSON result ({error}): {last_line}"))?;

    let index = RoutingIndex::build(comparison, ServiceDay::EveryDay);
    let mut scan = ScanWorkspace::new();
    let limit = u32::from(options.departure_minute) + u32::from(options.horizon_minutes);
    let (mut agreeing, mut compared, mut peer_earlier) = (0, 0, 0);
    for (origin, peer_arrivals) in &peer.answers {
        let Some(origin_station) = comparison.station_by_name(origin) else {
            continue;
        };
        let ours = earliest_arrival(
            &index,
            &mut scan,
            &EarliestArrivalQuery {
                origins: &[origin_station],
                departure: options.departure_minute,
                horizon_minutes: options.horizon_minutes,
            },
        );
        for (id, station) in comparison.stations().iter().enumerate() {
            let our_arrival = ours.arrival(StationId(id as u32)).map(u32::from);
            let peer_arrival = peer_arrivals
                .get(&station.name)
                .copied()
                .filter(|&arrival| arrival <= limit);
            if our_arrival.is_some() || peer_arrival.is_some() {
                compared += 1;
                agreeing += usize::from(our_arrival == peer_arrival);
                peer_earlier += usize::from(
                    peer_arrival.is_some_and(|peer| our_arrival.is_none_or(|ours| peer < ours)),
                );
            }
        }
    }
    Ok(PeerMeasurement {
        name: peer.name,
        one_to_all_us: peer.one_to_all_us,
        queries: peer.queries,
        agreeing_answers: agreeing,
        compared_answers: compared,
        peer_earlier_answers: peer_earlier,
    })
}
