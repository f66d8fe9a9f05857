//! Profiles: "leaving between t0 and t1, how soon can I be everywhere".
//!
//! Only the minutes at which a train leaves an origin (or a station one walk away, less the
//! walk) can change the answer, plus t0 (for walks) and t1 (for trains after the window). With
//! those K departure minutes τ₀ < … < τ_{K-1}, each station carries K arrival labels, one per
//! departure, in one forward scan. A later departure never arrives earlier, so the labels of
//! a station are nondecreasing in k; the departures that can board a connection are therefore
//! a prefix 0..=m found by binary search, and an arrival improves a suffix of that prefix
//! that ends at the first label it does not beat. The scan costs one pass over the window
//! plus the horizon, not K passes. Stop rules and in-seat transfers are those of `scan.rs`.

use crate::index::{IndexMinute, RoutingIndex};
use crate::model::StationId;
use serde::{Deserialize, Serialize};

/// A profile query.
#[derive(Clone, Copy, Debug)]
pub struct ProfileQuery<'a> {
    pub origins: &'a [StationId],
    /// First departure minute of the window (index minutes).
    pub window_start: IndexMinute,
    /// Last departure minute of the window.
    pub window_end: IndexMinute,
    /// Only arrivals no later than `window_end + horizon_minutes` count.
    pub horizon_minutes: u16,
}

/// Reusable memory for [`profile`]; trip labels are epoch-stamped like the one-to-all scan's.
#[derive(Clone, Debug, Default)]
pub struct ProfileWorkspace {
    epoch: u32,
    /// Per trip instance: epoch and the latest departure index on board.
    trips: Vec<(u32, u32)>,
    origin_walk: Vec<u16>,
}

/// Arrival labels per station and departure minute.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    /// The candidate departure minutes τ₀ < … < τ_{K-1}.
    pub departures: Vec<IndexMinute>,
    station_count: usize,
    /// Station-major: `arrivals[station * K + k]`, `u16::MAX` when unreached.
    arrivals: Vec<IndexMinute>,
}

/// One Pareto-optimal way to travel: leave the origin at `departure`, arrive at `arrival`;
/// no later departure arrives as early.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct DepartureArrival {
    pub departure: IndexMinute,
    pub arrival: IndexMinute,
}

impl Profile {
    fn labels(&self, station: StationId) -> &[IndexMinute] {
        let width = self.departures.len();
        &self.arrivals[station.0 as usize * width..(station.0 as usize + 1) * width]
    }

    pub fn station_count(&self) -> usize {
        self.station_count
    }

    /// The shortest door-to-door time over all departures in the window (waiting at the
    /// origin counts: one who leaves at τ and boards later travels from τ).
    pub fn shortest_travel_minutes(&self, station: StationId) -> Option<u16> {
        self.labels(station)
            .iter()
            .zip(&self.departures)
            .filter(|(arrival, _)| **arrival != IndexMinute::MAX)
            .map(|(arrival, departure)| arrival - departure)
            .min()
    }

    /// Earliest arrival at `station` when leaving at the window's start.
    pub fn earliest_arrival(&self, station: StationId) -> Option<IndexMinute> {
        self.labels(station)
            .first()
            .copied()
            .filter(|&arrival| arrival != IndexMinute::MAX)
    }

    /// The Pareto set of (departure, arrival) pairs, by departure.
    pub fn pareto_set(&self, station: StationId) -> Vec<DepartureArrival> {
        let labels = self.labels(station);
        let mut set = Vec::new();
        for k in 0..labels.len() {
            let dominated_by_later = k + 1 < labels.len() && labels[k + 1] <= labels[k];
            if labels[k] != IndexMinute::MAX && !dominated_by_later {
                set.push(DepartureArrival {
                    departure: self.departures[k],
                    arrival: labels[k],
                });
            }
        }
        set
    }
}

/// Computes the profile. Pure; allocates the label matrix once per query.
pub fn profile(
    index: &RoutingIndex,
    workspace: &mut ProfileWorkspace,
    query: &ProfileQuery<'_>,
) -> Profile {
    let station_count = index.station_count;
    if workspace.trips.len() != index.trip_instances.len() || workspace.epoch == u32::MAX {
        workspace.trips = vec![(0, 0); index.trip_instances.len()];
        workspace.epoch = 0;
    }
    workspace.epoch += 1;
    let epoch = workspace.epoch;
    let window_end = query.window_end.max(query.window_start);
    let limit = window_end.saturating_add(query.horizon_minutes);

    // Minutes of walking from the nearest origin, for every station (0 at the origins).
    workspace.origin_walk.clear();
    // One slot more than stations: `RoutingIndex::nowhere`, where unboardable hops depart.
    workspace.origin_walk.resize(station_count + 1, u16::MAX);
    for &origin in query.origins {
        workspace.origin_walk[origin.0 as usize] = 0;
    }
    for &origin in query.origins {
        for footpath in index.footpaths_from(origin) {
            let walk = &mut workspace.origin_walk[footpath.to as usize];
            *walk = (*walk).min(footpath.minutes);
        }
    }
    let max_walk = workspace
        .origin_walk
        .iter()
        .copied()
        .filter(|&walk| walk != u16::MAX)
        .max()
        .unwrap_or(0);

    // Candidate departures: leaving the origin just in time for a train in the window.
    let mut departures = Vec::new();
    let first = index.first_connection_at_or_after(query.window_start);
    for connection in &index.connections[first..] {
        if connection.departure > window_end.saturating_add(max_walk) {
            break;
        }
        let walk = workspace.origin_walk[connection.departure_station as usize];
        if walk != u16::MAX {
            let leave = connection.departure.saturating_sub(walk);
            if leave >= query.window_start && leave <= window_end {
                departures.push(leave);
            }
        }
    }
    // The window's ends matter too: leaving at its start reaches places on foot soonest, and
    // leaving at its end catches trains that depart after the window.
    departures.push(query.window_start);
    departures.push(window_end);
    departures.sort_unstable();
    departures.dedup();
    let width = departures.len();

    let mut arrivals = vec![IndexMinute::MAX; station_count * width];
    let mut ready = vec![IndexMinute::MAX; (station_count + 1) * width];
    for (station, &walk) in workspace.origin_walk.iter().enumerate() {
        if walk == u16::MAX {
            continue;
        }
        for (k, &departure) in departures.iter().enumerate() {
            let reached = departure.saturating_add(walk);
            if reached <= limit {
                arrivals[station * width + k] = reached;
                ready[station * width + k] = reached;
            }
        }
    }

    let start = index.first_connection_at_or_after(departures[0]);
    let follow_rules = index.has_rules_after_boarding;
    for (offset, connection) in index.connections[start..].iter().enumerate() {
        if connection.departure > limit {
            break;
        }
        let from = connection.departure_station as usize;
        let from_ready = &ready[from * width..(from + 1) * width];
        let boardable = if from_ready[0] <= connection.departure {
            from_ready.partition_point(|&minute| minute <= connection.departure)
        } else {
            0
        };
        let trip_instance = connection.trip_instance as usize;
        let trip = &mut workspace.trips[trip_instance];
        let on_board = if trip.0 == epoch {
            trip.1 as usize + 1
        } else {
            0
        };
        let count = boardable.max(on_board);
        if count == 0 {
            continue;
        }
        *trip = (epoch, count as u32 - 1);
        if follow_rules && index.continues_in_seat(start + offset) {
            // Whoever rides this trip to its end rides on as the next one.
            let next = index.trip_instances[trip_instance].continues_in_seat_as as usize;
            let next_trip = &mut workspace.trips[next];
            if next_trip.0 != epoch || next_trip.1 < count as u32 - 1 {
                *next_trip = (epoch, count as u32 - 1);
            }
        }
        if follow_rules && !index.alighting_allowed(start + offset) {
            continue;
        }
        if connection.arrival > limit {
            continue;
        }
        let to = connection.arrival_station as usize;
        if !improve_prefix(
            &mut arrivals[to * width..to * width + count],
            connection.arrival,
        ) {
            continue;
        }
        improve_prefix(
            &mut ready[to * width..to * width + count],
            connection
                .arrival
                .saturating_add(index.minimum_change_minutes[to]),
        );
        for footpath in &index.footpaths
            [index.footpath_offsets[to] as usize..index.footpath_offsets[to + 1] as usize]
        {
            let reached = connection.arrival.saturating_add(footpath.minutes);
            if reached <= limit {
                let neighbour = footpath.to as usize;
                improve_prefix(
                    &mut arrivals[neighbour * width..neighbour * width + count],
                    reached,
                );
                improve_prefix(
                    &mut ready[neighbour * width..neighbour * width + count],
                    reached,
                );
            }
        }
    }
    Profile {
        departures,
        station_count,
        arrivals,
    }
}

/// Lowers the nondecreasing `labels` to at most `minute`, from the end, stopping at the first
/// label already at or below it. Returns whether anything changed.
#[inline]
fn improve_prefix(labels: &mut [IndexMinute], minute: IndexMinute) -> bool {
    let mut changed = false;
    for label in labels.iter_mut().rev() {
        if *label <= minute {
            break;
        }
        *label = minute;
        changed = true;
    }
    changed
}
