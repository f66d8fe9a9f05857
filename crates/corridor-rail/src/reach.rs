//! Reachability from many origins at once, bit-parallel: "which places are within 3 hours of
//! each of these cities, leaving at 08:00".
//!
//! One bit per origin, 256 origins per pass (four 64-bit words). Each trip carries the set of
//! origins whose travellers are on board, each station the set whose travellers can board
//! there now. A traveller who arrives at a station can board there only after the change
//! time (or after a walk to a neighbouring station); the index's ready events, sorted by that
//! minute, hand each connection's origin set to the station just before the first connection
//! that departs late enough. One sweep over the horizon thus answers every origin of the pass
//! exactly as the one-to-all scan would, for the price of a few word operations per
//! connection.

use crate::index::{IndexMinute, RoutingIndex};
use crate::model::StationId;
use serde::{Deserialize, Serialize};

const WORDS: usize = 4;
/// Origins per pass.
pub const ORIGINS_PER_PASS: usize = WORDS * 64;

type Bits = [u64; WORDS];

/// A many-origin reachability query.
#[derive(Clone, Copy, Debug)]
pub struct ReachQuery<'a> {
    /// Each origin is a set of stations (a city's stations, or one station).
    pub origins: &'a [Vec<StationId>],
    pub departure: IndexMinute,
    /// A station counts as reached when some journey arrives no later than departure + horizon.
    pub horizon_minutes: u16,
}

/// Reusable memory for [`reachable_within`].
#[derive(Clone, Debug, Default)]
pub struct ReachWorkspace {
    epoch: u32,
    ready: Vec<Bits>,
    reached: Vec<Bits>,
    trips: Vec<(u32, Bits)>,
    connection_bits: Vec<Bits>,
    origin_walks: Vec<(IndexMinute, u32, usize)>,
}

/// Which stations each origin reaches: origin-major bit rows over stations.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReachMatrix {
    pub origin_count: usize,
    pub station_count: usize,
    words_per_origin: usize,
    bits: Vec<u64>,
}

impl ReachMatrix {
    pub fn is_reachable(&self, origin: usize, station: StationId) -> bool {
        let word = self.bits[origin * self.words_per_origin + station.0 as usize / 64];
        word >> (station.0 % 64) & 1 == 1
    }

    /// Number of stations `origin` reaches (its own stations included).
    pub fn reachable_count(&self, origin: usize) -> usize {
        self.bits[origin * self.words_per_origin..(origin + 1) * self.words_per_origin]
            .iter()
            .map(|word| word.count_ones() as usize)
            .sum()
    }

    /// The stations `origin` reaches.
    pub fn reachable_stations(&self, origin: usize) -> Vec<StationId> {
        (0..self.station_count as u32)
            .map(StationId)
            .filter(|&station| self.is_reachable(origin, station))
            .collect()
    }
}

#[inline]
fn or_into(target: &mut Bits, source: &Bits) {
    for word in 0..WORDS {
        target[word] |= source[word];
    }
}

#[inline]
fn is_empty(bits: &Bits) -> bool {
    bits.iter().all(|&word| word == 0)
}

/// Answers the query, 256 origins per pass. Pure; writes only into `workspace`.
pub fn reachable_within(
    index: &RoutingIndex,
    workspace: &mut ReachWorkspace,
    query: &ReachQuery<'_>,
) -> ReachMatrix {
    let station_count = index.station_count;
    let words_per_origin = station_count.div_ceil(64);
    let mut matrix = ReachMatrix {
        origin_count: query.origins.len(),
        station_count,
        words_per_origin,
        bits: vec![0; query.origins.len() * words_per_origin],
    };
    if workspace.trips.len() != index.trip_instances.len() || workspace.epoch == u32::MAX {
        workspace.trips = vec![(0, [0; WORDS]); index.trip_instances.len()];
        workspace.epoch = 0;
    }
    workspace
        .connection_bits
        .resize(index.connections.len(), [0; WORDS]);
    let limit = query.departure.saturating_add(query.horizon_minutes);
    let start = index.first_connection_at_or_after(query.departure);
    let first_event = index
        .ready_events
        .partition_point(|event| event.ready < query.departure);

    let follow_rules = index.has_rules_after_boarding;
    for (pass, origins) in query.origins.chunks(ORIGINS_PER_PASS).enumerate() {
        workspace.epoch += 1;
        let epoch = workspace.epoch;
        workspace.ready.clear();
        // One slot more than stations: `RoutingIndex::nowhere`, never ready.
        workspace.ready.resize(station_count + 1, [0; WORDS]);
        workspace.reached.clear();
        workspace.reached.resize(station_count, [0; WORDS]);
        workspace.origin_walks.clear();
        for (bit, stations) in origins.iter().enumerate() {
            for &station in stations {
                workspace.ready[station.0 as usize][bit / 64] |= 1 << (bit % 64);
                workspace.reached[station.0 as usize][bit / 64] |= 1 << (bit % 64);
                for footpath in index.footpaths_from(station) {
                    let reached = query.departure.saturating_add(footpath.minutes);
                    if reached <= limit {
                        workspace.reached[footpath.to as usize][bit / 64] |= 1 << (bit % 64);
                        workspace.origin_walks.push((reached, footpath.to, bit));
                    }
                }
            }
        }
        workspace.origin_walks.sort_unstable();

        let mut next_event = first_event;
        let mut next_walk = 0;
        for (offset, connection) in index.connections[start..].iter().enumerate() {
            if connection.departure > limit {
                break;
            }
            let connection_index = start + offset;
            // Hand over every arrival that makes a station boardable by this departure.
            while let Some(event) = index.ready_events.get(next_event) {
                if event.ready > connection.departure {
                    break;
                }
                let source = event.connection as usize;
                if source >= start && source < connection_index {
                    let bits = workspace.connection_bits[source];
                    or_into(&mut workspace.ready[event.station as usize], &bits);
                }
                next_event += 1;
            }
            while let Some(&(ready, station, bit)) = workspace.origin_walks.get(next_walk) {
                if ready > connection.departure {
                    break;
                }
                workspace.ready[station as usize][bit / 64] |= 1 << (bit % 64);
                next_walk += 1;
            }
            let trip_instance = connection.trip_instance as usize;
            let trip = &mut workspace.trips[trip_instance];
            let mut bits = workspace.ready[connection.departure_station as usize];
            if trip.0 == epoch {
                or_into(&mut bits, &trip.1);
            }
            workspace.connection_bits[connection_index] = bits;
            if is_empty(&bits) {
                continue;
            }
            *trip = (epoch, bits);
            if follow_rules && index.continues_in_seat(connection_index) {
                // Whoever rides this trip to its end rides on as the next one.
                let next = index.trip_instances[trip_instance].continues_in_seat_as as usize;
                let next_trip = &mut workspace.trips[next];
                if next_trip.0 != epoch {
                    *next_trip = (epoch, [0; WORDS]);
                }
                or_into(&mut next_trip.1, &bits);
            }
            if connection.arrival > limit
                || (follow_rules && !index.alighting_allowed(connection_index))
            {
                continue;
            }
            let to = connection.arrival_station as usize;
            or_into(&mut workspace.reached[to], &bits);
            for footpath in &index.footpaths
                [index.footpath_offsets[to] as usize..index.footpath_offsets[to + 1] as usize]
            {
                if connection.arrival.saturating_add(footpath.minutes) <= limit {
                    or_into(&mut workspace.reached[footpath.to as usize], &bits);
                }
            }
        }

        for (station, bits) in workspace.reached.iter().enumerate() {
            for (word_index, &word) in bits.iter().enumerate() {
                let mut remaining = word;
                while remaining != 0 {
                    let bit = word_index * 64 + remaining.trailing_zeros() as usize;
                    remaining &= remaining - 1;
                    let origin = pass * ORIGINS_PER_PASS + bit;
                    matrix.bits[origin * words_per_origin + station / 64] |= 1 << (station % 64);
                }
            }
        }
    }
    matrix
}
