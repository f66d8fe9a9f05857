//! The routing index: one service day's connections in one array sorted by departure.
//!
//! A query asks about a departure on one date. Trains that started on earlier service days
//! can still be running then (an overnight train's stop at 24:23 is 00:23 today), and a long
//! journey may need tomorrow's trains, so the index holds every trip instance of the days from
//! `date - lookback` to `date + 1`, with times shifted to minutes since the query date's
//! midnight, and drops connections that depart before that midnight. Those minutes fit in
//! 16 bits, which with 32-bit station and trip numbers packs a connection into 16 bytes: the
//! national city-level timetable's ~50,000 connections stay within a core's L2 cache.

use crate::date::ServiceDate;
use crate::model::{StationId, Timetable, TripId};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Which trips run: those of one date (calendars applied) or every trip every day.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ServiceDay {
    /// Calendars are ignored: every trip runs every day (sources without calendars).
    EveryDay,
    /// Only trips whose calendar includes the date (and the days around it, see the module).
    Date(ServiceDate),
}

/// Minutes since midnight of the query's service day, as stored in the index.
pub type IndexMinute = u16;

/// The hot record of the scan: 16 bytes, no pointers.
///
/// The stop rules cost a timetable without them nothing: a connection that may not be
/// boarded departs from [`RoutingIndex::nowhere`], a label slot no traveller ever reaches, so
/// the scan's usual "is the departure station ready" test refuses it; the rarer rules after
/// boarding (no alighting at the arrival, the trip continuing in seat as another) sit in a
/// parallel array of one byte per connection that only a timetable with such rules reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[repr(C)]
pub struct Connection {
    /// The departure station, or [`RoutingIndex::nowhere`] where boarding is refused.
    pub departure_station: u32,
    pub arrival_station: u32,
    pub departure: IndexMinute,
    pub arrival: IndexMinute,
    /// Index into the index's trip instances (a trip on one service day).
    pub trip_instance: u32,
}

/// Per connection, in [`RoutingIndex`]'s `connection_rules`: passengers may not get off at
/// the arrival.
const ALIGHTING_REFUSED: u8 = 1;
/// Per connection: the trip's last hop, after which its passengers stay seated as the trip
/// instance named by [`TripInstance::continues_in_seat_as`].
const CONTINUES_IN_SEAT: u8 = 2;

/// Marks "no instance" in [`TripInstance::continues_in_seat_as`].
pub const NO_TRIP_INSTANCE: u32 = u32::MAX;

/// A trip on one service day; cold data, read to describe journeys and, rarely, to follow an
/// in-seat transfer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TripInstance {
    pub trip: TripId,
    /// Service day of the instance relative to the query date (-1 = started yesterday).
    pub day_offset: i8,
    /// The instance this one becomes at its last stop with passengers on board, or
    /// [`NO_TRIP_INSTANCE`].
    pub continues_in_seat_as: u32,
}

/// A walk from one station to another, in a compressed adjacency list.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Footpath {
    pub to: u32,
    pub minutes: u16,
}

/// When an arrival makes a station usable for boarding: a train's arrival plus the change
/// time there, or plus a walk to a neighbouring station. Sorted by `ready`, these events let
/// the bit-parallel scan hand arrivals to boardings in time order without a priority queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadyEvent {
    pub ready: IndexMinute,
    pub station: u32,
    pub connection: u32,
}

/// The scan-ready form of a timetable for one [`ServiceDay`].
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RoutingIndex {
    pub(crate) service_day: ServiceDay,
    pub(crate) station_count: usize,
    pub(crate) connections: Vec<Connection>,
    pub(crate) trip_instances: Vec<TripInstance>,
    pub(crate) minimum_change_minutes: Vec<u16>,
    pub(crate) footpath_offsets: Vec<u32>,
    pub(crate) footpaths: Vec<Footpath>,
    pub(crate) ready_events: Vec<ReadyEvent>,
    /// Per connection: [`ALIGHTING_REFUSED`] and [`CONTINUES_IN_SEAT`].
    pub(crate) connection_rules: Vec<u8>,
    /// Whether any connection refuses alighting or continues in seat; the scans leave the
    /// code for them out of their loops when none does.
    pub(crate) has_rules_after_boarding: bool,
}

impl RoutingIndex {
    /// Builds the index of `timetable` for `service_day`. Transfers are closed transitively
    /// (shortest walks), because the scan relaxes only one walk after each arrival.
    pub fn build(timetable: &Timetable, service_day: ServiceDay) -> RoutingIndex {
        let station_count = timetable.stations().len();

        let lookback_days = timetable.latest_service_minute().div_ceil(1440) as i32;
        let mut connections = Vec::new();
        let mut trip_instances = Vec::new();
        // Per (trip, day offset): the instance index, to join in-seat transfers afterwards.
        let mut instance_of: HashMap<(u32, i32), u32> = HashMap::new();
        let mut last_connection_of_instance: Vec<usize> = Vec::new();
        for day_offset in -lookback_days..=1 {
            for (trip_index, _) in timetable.trips().iter().enumerate() {
                let trip = TripId(trip_index as u32);
                let runs = match service_day {
                    ServiceDay::EveryDay => true,
                    ServiceDay::Date(date) => {
                        timetable.trip_runs_on(trip, date.add_days(day_offset))
                    }
                };
                if !runs {
                    continue;
                }
                let shift = day_offset * 1440;
                let instance_index = trip_instances.len() as u32;
                let mut kept_any = false;
                let mut last_hop = usize::MAX;
                let stops = timetable.stop_times_of(trip);
                for (position, pair) in stops.windows(2).enumerate() {
                    let departure = pair[0].departure as i32 + shift;
                    let arrival = pair[1].arrival as i32 + shift;
                    if departure < 0 || arrival > i32::from(u16::MAX) {
                        continue;
                    }
                    kept_any = true;
                    if position + 2 == stops.len() {
                        last_hop = connections.len();
                    }
                    let rules = if pair[1].alighting_allowed {
                        0
                    } else {
                        ALIGHTING_REFUSED
                    };
                    connections.push((
                        Connection {
                            departure_station: if pair[0].boarding_allowed {
                                pair[0].station.0
                            } else {
                                station_count as u32
                            },
                            arrival_station: pair[1].station.0,
                            departure: departure as u16,
                            arrival: arrival as u16,
                            trip_instance: instance_index,
                        },
                        rules,
                    ));
                }
                if kept_any {
                    last_connection_of_instance.push(last_hop);
                    instance_of.insert((trip.0, day_offset), instance_index);
                    trip_instances.push(TripInstance {
                        trip,
                        day_offset: day_offset as i8,
                        continues_in_seat_as: NO_TRIP_INSTANCE,
                    });
                }
            }
        }
        // In-seat transfers join instances of one service day; the flag goes on the first
        // trip's last hop, where the scan hands its passengers to the second trip.
        for (instance_index, instance) in trip_instances.iter_mut().enumerate() {
            let Some(next_trip) = timetable.trip(instance.trip).continues_in_seat_as else {
                continue;
            };
            let last = last_connection_of_instance[instance_index];
            let Some(&next) = instance_of.get(&(next_trip.0, i32::from(instance.day_offset)))
            else {
                continue;
            };
            if last != usize::MAX {
                instance.continues_in_seat_as = next;
                connections[last].1 |= CONTINUES_IN_SEAT;
            }
        }
        // Ties are broken by arrival, then by trip and position (the push order), which keeps
        // a trip's own connections in travel order even when one lasts zero minutes.
        connections.sort_by_key(|(connection, _)| (connection.departure, connection.arrival));
        let (connections, connection_rules): (Vec<Connection>, Vec<u8>) =
            connections.into_iter().unzip();
        let minimum_change_minutes: Vec<u16> = timetable
            .stations()
            .iter()
            .map(|station| station.minimum_change_minutes.max(1))
            .collect();
        let (footpath_offsets, footpaths) = closed_footpaths(timetable, station_count);
        let mut ready_events = Vec::with_capacity(connections.len() * 2);
        for (connection_index, connection) in connections.iter().enumerate() {
            // Nobody gets off here, so this arrival makes no station ready.
            if connection_rules[connection_index] & ALIGHTING_REFUSED != 0 {
                continue;
            }
            let station = connection.arrival_station as usize;
            ready_events.push(ReadyEvent {
                ready: connection
                    .arrival
                    .saturating_add(minimum_change_minutes[station]),
                station: connection.arrival_station,
                connection: connection_index as u32,
            });
            for footpath in &footpaths
                [footpath_offsets[station] as usize..footpath_offsets[station + 1] as usize]
            {
                ready_events.push(ReadyEvent {
                    ready: connection.arrival.saturating_add(footpath.minutes),
                    station: footpath.to,
                    connection: connection_index as u32,
                });
            }
        }
        ready_events.sort_by_key(|event| (event.ready, event.connection));
        let has_rules_after_boarding = connection_rules.iter().any(|rules| *rules != 0);
        RoutingIndex {
            has_rules_after_boarding,
            connection_rules,
            service_day,
            station_count,
            connections,
            trip_instances,
            minimum_change_minutes,
            footpath_offsets,
            footpaths,
            ready_events,
        }
    }

    pub fn service_day(&self) -> ServiceDay {
        self.service_day
    }
    pub fn station_count(&self) -> usize {
        self.station_count
    }
    /// Whether passengers may get off at the arrival of connection `connection`.
    #[inline]
    pub fn alighting_allowed(&self, connection: usize) -> bool {
        self.connection_rules[connection] & ALIGHTING_REFUSED == 0
    }
    /// Whether connection `connection` is its trip's last hop and its passengers stay on
    /// board as the instance named by [`TripInstance::continues_in_seat_as`].
    #[inline]
    pub fn continues_in_seat(&self, connection: usize) -> bool {
        self.connection_rules[connection] & CONTINUES_IN_SEAT != 0
    }
    /// Whether any connection refuses alighting or continues in seat.
    pub fn has_rules_after_boarding(&self) -> bool {
        self.has_rules_after_boarding
    }
    /// The label slot after the last station, where connections that may not be boarded
    /// depart: nothing ever arrives there, so label arrays of `station_count + 1` slots
    /// refuse them without a test of their own.
    pub fn nowhere(&self) -> u32 {
        self.station_count as u32
    }
    pub fn connections(&self) -> &[Connection] {
        &self.connections
    }
    pub fn trip_instances(&self) -> &[TripInstance] {
        &self.trip_instances
    }
    /// Walks leaving `station` (after transitive closure).
    pub fn footpaths_from(&self, station: StationId) -> &[Footpath] {
        let index = station.0 as usize;
        &self.footpaths
            [self.footpath_offsets[index] as usize..self.footpath_offsets[index + 1] as usize]
    }
    pub fn minimum_change_minutes(&self, station: StationId) -> u16 {
        self.minimum_change_minutes[station.0 as usize]
    }
    /// Position of the first connection departing at or after `minute` (binary search).
    pub fn first_connection_at_or_after(&self, minute: IndexMinute) -> usize {
        self.connections
            .partition_point(|connection| connection.departure < minute)
    }
}

/// Shortest walks between stations, by a Dijkstra from each station with a transfer, in a
/// compressed adjacency list. City transfer graphs are tiny, so the simple O(n²) form is fine.
fn closed_footpaths(timetable: &Timetable, station_count: usize) -> (Vec<u32>, Vec<Footpath>) {
    let mut direct: Vec<Vec<(usize, u32)>> = vec![Vec::new(); station_count];
    for transfer in timetable.transfers() {
        direct[transfer.from.0 as usize]
            .push((transfer.to.0 as usize, u32::from(transfer.minutes)));
    }
    let mut offsets = Vec::with_capacity(station_count + 1);
    let mut footpaths = Vec::new();
    for source in 0..station_count {
        offsets.push(footpaths.len() as u32);
        if direct[source].is_empty() {
            continue;
        }
        let mut best: Vec<(usize, u32)> = vec![(source, 0)];
        let mut settled: Vec<usize> = Vec::new();
        while let Some(position) = best
            .iter()
            .enumerate()
            .filter(|(_, (station, _))| !settled.contains(station))
            .min_by_key(|(_, (_, minutes))| *minutes)
            .map(|(position, _)| position)
        {
            let (station, minutes) = best[position];
            settled.push(station);
            for &(next, walk) in &direct[station] {
                let candidate = minutes + walk;
                match best.iter_mut().find(|(known, _)| *known == next) {
                    Some(entry) if entry.1 <= candidate => {}
                    Some(entry) => entry.1 = candidate,
                    None => best.push((next, candidate)),
                }
            }
        }
        best.sort_unstable();
        for (station, minutes) in best {
            if station != source {
                footpaths.push(Footpath {
                    to: station as u32,
                    minutes: minutes.min(u32::from(u16::MAX)) as u16,
                });
            }
        }
    }
    offsets.push(footpaths.len() as u32);
    (offsets, footpaths)
}
