//! One-to-all earliest arrival by Connection Scan, and journeys with their legs.
//!
//! The semantics, which the brute-force router of the tests implements independently:
//! at the departure minute the traveller can board at any origin station, and at the
//! departure minute plus the walk at any station a transfer leads to from an origin. A
//! connection can be used when its trip is already boarded, or when its departure station
//! is ready by its departure: ready means arrived on another train plus that station's
//! minimum change time, or arrived on foot. Arriving by train at a station makes every
//! transfer from it usable after the walk. Only arrivals no later than departure + horizon
//! count.
//!
//! Stop rules: a connection can be boarded only where its trip picks up, and it sets a label
//! only where its trip sets down; a traveller on board rides through stops of either kind. At
//! the last stop of a trip that continues in seat as another (an in-seat transfer), the
//! traveller is on board the next trip without changing.

use crate::index::{IndexMinute, RoutingIndex, NO_TRIP_INSTANCE};
use crate::model::{StationId, Timetable, TripId};
use serde::{Deserialize, Serialize};

/// How a station label was reached; cold data, written only when a label improves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub(crate) enum Via {
    #[default]
    Origin,
    /// Walked from an origin station.
    WalkFromOrigin { origin: u32 },
    /// Arrived on the train of this connection.
    Train { connection: u32 },
    /// Arrived on the train of this connection at another station, then walked here.
    TrainThenWalk { connection: u32 },
}

/// The per-station label, 8 bytes so that one cache line holds eight stations.
#[derive(Clone, Copy, Debug, Default)]
struct StationLabel {
    /// The label is valid only when this equals the workspace's current epoch: starting a
    /// new query bumps the epoch instead of clearing every label.
    epoch: u32,
    arrival: IndexMinute,
    /// Earliest minute a train can be boarded here (arrival + change time, or on foot).
    ready: IndexMinute,
}

/// Reusable memory for [`earliest_arrival`]; one per thread. Queries allocate nothing.
#[derive(Clone, Debug, Default)]
pub struct ScanWorkspace {
    epoch: u32,
    stations: Vec<StationLabel>,
    /// Per trip instance: the epoch of the last query that boarded it ("trip reached" flag,
    /// 4 bytes so the whole array stays in L2), and, cold, the connection where it boarded.
    trip_boarded_epoch: Vec<u32>,
    /// The boarding connection, or, with [`REACHED_IN_SEAT`] set, the trip instance whose
    /// passengers stayed seated into this one: one array, so that the common boarding writes
    /// one word.
    trip_boarded_at: Vec<u32>,
    arrival_via: Vec<Via>,
    ready_via: Vec<Via>,
    departure: IndexMinute,
}

impl ScanWorkspace {
    pub fn new() -> ScanWorkspace {
        ScanWorkspace::default()
    }

    /// Starts a query: sizes the arrays for `index` and moves to a fresh epoch. Labels are
    /// cleared only when the 32-bit epoch wraps, once per four billion queries.
    fn begin(&mut self, index: &RoutingIndex) {
        if self.stations.len() != index.station_count + 1
            || self.trip_boarded_epoch.len() != index.trip_instances.len()
            || self.epoch == u32::MAX
        {
            // One slot more than stations: `RoutingIndex::nowhere`, never labelled.
            self.stations = vec![StationLabel::default(); index.station_count + 1];
            self.trip_boarded_epoch = vec![0; index.trip_instances.len()];
            self.trip_boarded_at = vec![0; index.trip_instances.len()];
            self.arrival_via = vec![Via::Origin; index.station_count];
            self.ready_via = vec![Via::Origin; index.station_count];
            self.epoch = 0;
        }
        self.epoch += 1;
    }
}

/// Marks a `trip_boarded_at` entry that names the previous trip instance of an in-seat
/// transfer instead of a boarding connection. Connection and instance numbers stay below 2³¹:
/// a day's index holds a few million connections at most.
const REACHED_IN_SEAT: u32 = 1 << 31;

/// A one-to-all query.
#[derive(Clone, Copy, Debug)]
pub struct EarliestArrivalQuery<'a> {
    /// Start stations; several for a city.
    pub origins: &'a [StationId],
    /// Minutes since midnight of the index's service day.
    pub departure: IndexMinute,
    /// Arrivals later than departure + horizon are not wanted; the scan stops there.
    pub horizon_minutes: u16,
}

/// Earliest arrival at every station from the origins. Pure; writes only into `workspace`.
/// Returns a view that reads the labels and reconstructs journeys.
pub fn earliest_arrival<'a>(
    index: &'a RoutingIndex,
    workspace: &'a mut ScanWorkspace,
    query: &EarliestArrivalQuery<'_>,
) -> EarliestArrivals<'a> {
    // A timetable without alighting restrictions or in-seat transfers gets a scan without
    // their code: even a branch that is never taken cost that loop about 15 % (measured on
    // the national city-level timetable), as it keeps more values live across the loop.
    if index.has_rules_after_boarding() {
        earliest_arrival_following::<true>(index, workspace, query)
    } else {
        earliest_arrival_following::<false>(index, workspace, query)
    }
}

fn earliest_arrival_following<'a, const RULES_AFTER_BOARDING: bool>(
    index: &'a RoutingIndex,
    workspace: &'a mut ScanWorkspace,
    query: &EarliestArrivalQuery<'_>,
) -> EarliestArrivals<'a> {
    workspace.begin(index);
    let epoch = workspace.epoch;
    let limit = query.departure.saturating_add(query.horizon_minutes);
    let mut unreached = index.station_count;
    let mut latest_label: IndexMinute = query.departure;
    let stations = &mut workspace.stations[..];
    let trip_boarded_epoch = &mut workspace.trip_boarded_epoch[..];
    let trip_boarded_at = &mut workspace.trip_boarded_at[..];
    let arrival_via = &mut workspace.arrival_via[..];
    let ready_via = &mut workspace.ready_via[..];

    for &origin in query.origins {
        let label = &mut stations[origin.0 as usize];
        if label.epoch != epoch {
            unreached -= 1;
        }
        *label = StationLabel {
            epoch,
            arrival: query.departure,
            ready: query.departure,
        };
        arrival_via[origin.0 as usize] = Via::Origin;
        ready_via[origin.0 as usize] = Via::Origin;
    }
    for &origin in query.origins {
        for footpath in index.footpaths_from(origin) {
            let reached = query.departure.saturating_add(footpath.minutes);
            if reached > limit {
                continue;
            }
            let label = &mut stations[footpath.to as usize];
            if label.epoch != epoch {
                *label = StationLabel {
                    epoch,
                    arrival: IndexMinute::MAX,
                    ready: IndexMinute::MAX,
                };
                unreached -= 1;
            }
            if reached < label.arrival {
                label.arrival = reached;
                arrival_via[footpath.to as usize] = Via::WalkFromOrigin { origin: origin.0 };
            }
            if reached < label.ready {
                label.ready = reached;
                ready_via[footpath.to as usize] = Via::WalkFromOrigin { origin: origin.0 };
            }
            latest_label = latest_label.max(reached);
        }
    }

    let start = index.first_connection_at_or_after(query.departure);
    // Nothing departing after the horizon can arrive within it: one binary search for the end
    // keeps that test out of the loop.
    let end = index
        .first_connection_at_or_after(limit.saturating_add(1))
        .max(start);
    for (offset, connection) in index.connections[start..end].iter().enumerate() {
        // Once every station has a label and this departure is no earlier than all of them,
        // no label can improve.
        if unreached == 0 && connection.departure >= latest_label {
            break;
        }
        let connection_index = (start + offset) as u32;
        let trip = connection.trip_instance as usize;
        let from = connection.departure_station as usize;
        debug_assert!(trip < trip_boarded_epoch.len() && from < stations.len());
        // SAFETY: `RoutingIndex::build` numbers trip instances and stations densely and the
        // workspace was sized to the index in `begin`, so both indices are in bounds. Bounds
        // checks here cost about a tenth of the scan.
        let boarded = unsafe { trip_boarded_epoch.get_unchecked_mut(trip) };
        let from = unsafe { *stations.get_unchecked(from) };
        // Both tests are evaluated without branching; the one branch left is the real
        // decision "is this connection usable".
        let already_on_board = *boarded == epoch;
        // A connection that may not be boarded departs from `nowhere`, whose label is never
        // current: this test refuses it too.
        let can_board_here = (from.epoch == epoch) & (from.ready <= connection.departure);
        if !(already_on_board | can_board_here) {
            continue;
        }
        if !already_on_board {
            *boarded = epoch;
            trip_boarded_at[trip] = connection_index;
        }
        if RULES_AFTER_BOARDING
            && !follow_rules_after_boarding(
                index,
                connection_index as usize,
                trip,
                epoch,
                trip_boarded_epoch,
                trip_boarded_at,
            )
        {
            continue;
        }
        let to_index = connection.arrival_station as usize;
        debug_assert!(to_index < stations.len());
        // SAFETY: as above, stations are numbered densely and the workspace fits the index.
        let label = unsafe { stations.get_unchecked_mut(to_index) };
        let stale = label.epoch != epoch;
        if !(stale | (connection.arrival < label.arrival)) || connection.arrival > limit {
            continue;
        }
        if stale {
            *label = StationLabel {
                epoch,
                arrival: IndexMinute::MAX,
                ready: IndexMinute::MAX,
            };
            unreached -= 1;
        }
        label.arrival = connection.arrival;
        arrival_via[to_index] = Via::Train {
            connection: connection_index,
        };
        latest_label = latest_label.max(connection.arrival);
        let ready = connection
            .arrival
            .saturating_add(index.minimum_change_minutes[to_index]);
        if ready < label.ready {
            label.ready = ready;
            ready_via[to_index] = Via::Train {
                connection: connection_index,
            };
        }
        let footpaths = &index.footpaths[index.footpath_offsets[to_index] as usize
            ..index.footpath_offsets[to_index + 1] as usize];
        for footpath in footpaths {
            let reached = connection.arrival.saturating_add(footpath.minutes);
            if reached > limit {
                continue;
            }
            let neighbour = &mut stations[footpath.to as usize];
            if neighbour.epoch != epoch {
                *neighbour = StationLabel {
                    epoch,
                    arrival: IndexMinute::MAX,
                    ready: IndexMinute::MAX,
                };
                unreached -= 1;
            }
            if reached < neighbour.arrival {
                neighbour.arrival = reached;
                arrival_via[footpath.to as usize] = Via::TrainThenWalk {
                    connection: connection_index,
                };
                latest_label = latest_label.max(reached);
            }
            if reached < neighbour.ready {
                neighbour.ready = reached;
                ready_via[footpath.to as usize] = Via::TrainThenWalk {
                    connection: connection_index,
                };
            }
        }
    }
    workspace.departure = query.departure;
    EarliestArrivals { index, workspace }
}

/// The in-seat transfer and alighting rules of a boarded connection: hands the trip's
/// passengers to the trip it continues as, and says whether they may get off here.
#[inline]
fn follow_rules_after_boarding(
    index: &RoutingIndex,
    connection: usize,
    trip: usize,
    epoch: u32,
    trip_boarded_epoch: &mut [u32],
    trip_boarded_at: &mut [u32],
) -> bool {
    if index.continues_in_seat(connection) {
        let next = index.trip_instances[trip].continues_in_seat_as as usize;
        if trip_boarded_epoch[next] != epoch {
            trip_boarded_epoch[next] = epoch;
            trip_boarded_at[next] = REACHED_IN_SEAT | trip as u32;
        }
    }
    index.alighting_allowed(connection)
}

/// The answer of [`earliest_arrival`], borrowing the workspace until the next query.
pub struct EarliestArrivals<'a> {
    index: &'a RoutingIndex,
    workspace: &'a ScanWorkspace,
}

/// One leg of a journey.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum JourneyLeg {
    Train {
        trip: TripId,
        train_number: String,
        from: StationId,
        to: StationId,
        /// Minutes since midnight of the query's service day.
        departure: IndexMinute,
        arrival: IndexMinute,
        /// Reached from the previous train leg without leaving the seat (an in-seat
        /// transfer): not a change.
        #[serde(default, skip_serializing_if = "is_false")]
        in_seat: bool,
    },
    /// A walk or metro ride between two stations of one city.
    Transfer {
        from: StationId,
        to: StationId,
        minutes: u16,
    },
}

/// A journey from the origins to one station.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Journey {
    pub departure: IndexMinute,
    pub arrival: IndexMinute,
    pub legs: Vec<JourneyLeg>,
}

fn is_false(value: &bool) -> bool {
    !*value
}

impl Journey {
    /// Number of changes between trains (an in-seat transfer is not one).
    pub fn train_changes(&self) -> usize {
        self.legs
            .iter()
            .filter(|leg| matches!(leg, JourneyLeg::Train { in_seat: false, .. }))
            .count()
            .saturating_sub(1)
    }
}

#[derive(Clone, Copy)]
enum CallEnd {
    First,
    Last,
}

/// The first departure or last arrival of a trip instance, in index minutes.
fn instance_call(
    index: &RoutingIndex,
    timetable: &Timetable,
    instance: u32,
    end: CallEnd,
) -> (u32, IndexMinute) {
    let instance = index.trip_instances[instance as usize];
    let stops = timetable.stop_times_of(instance.trip);
    let shift = i32::from(instance.day_offset) * 1440;
    let (station, minute) = match end {
        CallEnd::First => (stops[0].station, stops[0].departure),
        CallEnd::Last => {
            let last = stops[stops.len() - 1];
            (last.station, last.arrival)
        }
    };
    let minute = (minute as i32 + shift).clamp(0, i32::from(IndexMinute::MAX));
    (station.0, minute as IndexMinute)
}

impl EarliestArrivals<'_> {
    fn index(&self) -> &RoutingIndex {
        self.index
    }

    /// The departure minute of the query.
    pub fn departure(&self) -> IndexMinute {
        self.workspace.departure
    }

    /// Earliest arrival at `station` within the horizon, in index minutes.
    pub fn arrival(&self, station: StationId) -> Option<IndexMinute> {
        let label = self.workspace.stations[station.0 as usize];
        (label.epoch == self.workspace.epoch && label.arrival != IndexMinute::MAX)
            .then_some(label.arrival)
    }

    /// Minutes from the departure to the earliest arrival at `station`.
    pub fn travel_minutes(&self, station: StationId) -> Option<u16> {
        self.arrival(station)
            .map(|arrival| arrival - self.workspace.departure)
    }

    /// All reached stations with their arrival, in station order.
    pub fn reached(&self) -> Vec<(StationId, IndexMinute)> {
        (0..self.index.station_count as u32)
            .filter_map(|id| {
                self.arrival(StationId(id))
                    .map(|arrival| (StationId(id), arrival))
            })
            .collect()
    }

    /// The journey realising the earliest arrival at `station`, with train numbers taken
    /// from `timetable` (the one the index was built from).
    pub fn journey_to(&self, timetable: &Timetable, station: StationId) -> Option<Journey> {
        let arrival = self.arrival(station)?;
        let index = self.index();
        let mut legs = Vec::new();
        let mut via = self.workspace.arrival_via[station.0 as usize];
        let mut here = station.0;
        // Each step moves to a strictly earlier boarding, so the loop ends; the guard only
        // protects against a corrupted workspace.
        for _ in 0..=index.connections.len() {
            match via {
                Via::Origin => break,
                Via::WalkFromOrigin { origin } => {
                    let minutes = footpath_minutes(index, origin, here);
                    legs.push(JourneyLeg::Transfer {
                        from: StationId(origin),
                        to: StationId(here),
                        minutes,
                    });
                    break;
                }
                Via::Train { connection } | Via::TrainThenWalk { connection } => {
                    let alighting = index.connections[connection as usize];
                    if matches!(via, Via::TrainThenWalk { .. }) {
                        let minutes = footpath_minutes(index, alighting.arrival_station, here);
                        legs.push(JourneyLeg::Transfer {
                            from: StationId(alighting.arrival_station),
                            to: StationId(here),
                            minutes,
                        });
                    }
                    // Walk back through in-seat transfers to the trip actually boarded,
                    // one leg per trip.
                    let mut instance = alighting.trip_instance;
                    let mut leg_end = (alighting.arrival_station, alighting.arrival);
                    loop {
                        let trip = index.trip_instances[instance as usize].trip;
                        let boarded_at = self.workspace.trip_boarded_at[instance as usize];
                        let previous = if boarded_at & REACHED_IN_SEAT != 0 {
                            boarded_at & !REACHED_IN_SEAT
                        } else {
                            NO_TRIP_INSTANCE
                        };
                        let leg_start = if previous == NO_TRIP_INSTANCE {
                            let boarding = index.connections[boarded_at as usize];
                            (boarding.departure_station, boarding.departure)
                        } else {
                            instance_call(index, timetable, instance, CallEnd::First)
                        };
                        legs.push(JourneyLeg::Train {
                            trip,
                            train_number: timetable.trip(trip).train_number.clone(),
                            from: StationId(leg_start.0),
                            to: StationId(leg_end.0),
                            departure: leg_start.1,
                            arrival: leg_end.1,
                            in_seat: previous != NO_TRIP_INSTANCE,
                        });
                        if previous == NO_TRIP_INSTANCE {
                            here = leg_start.0;
                            break;
                        }
                        leg_end = instance_call(index, timetable, previous, CallEnd::Last);
                        instance = previous;
                    }
                    via = self.workspace.ready_via[here as usize];
                }
            }
        }
        legs.reverse();
        let departure = legs
            .first()
            .map(|leg| match leg {
                JourneyLeg::Train { departure, .. } => *departure,
                JourneyLeg::Transfer { .. } => self.workspace.departure,
            })
            .unwrap_or(self.workspace.departure);
        Some(Journey {
            departure,
            arrival,
            legs,
        })
    }
}

fn footpath_minutes(index: &RoutingIndex, from: u32, to: u32) -> u16 {
    index
        .footpaths_from(StationId(from))
        .iter()
        .find(|footpath| footpath.to == to)
        .map_or(0, |footpath| footpath.minutes)
}
