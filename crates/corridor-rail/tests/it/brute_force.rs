//! An independent reference router: Dijkstra on a time-dependent graph built straight from the
//! timetable (not from the routing index), with the semantics stated in `scan.rs`. Slow and
//! obvious on purpose. Stop rules: boarding only where the trip picks up, alighting only
//! where it sets down; at the end of a trip that continues in seat, the traveller stays on
//! board of the next trip of the same service day.

use corridor_rail::{ServiceDay, StationId, Timetable, TripId};
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// Stop calls of every trip instance that can matter for a query on the service day.
pub struct BruteForce<'a> {
    timetable: &'a Timetable,
    /// Per instance: the calls in minutes relative to the query day.
    instances: Vec<Vec<Call>>,
    /// Per instance: the instance it continues in seat as.
    continues_as: Vec<Option<usize>>,
    /// Per station: (instance, position) of every call.
    calls_at: Vec<Vec<(usize, usize)>>,
}

#[derive(Clone, Copy, Debug)]
struct Call {
    station: usize,
    arrival: i64,
    departure: i64,
    boarding: bool,
    alighting: bool,
}

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
enum Node {
    /// Arrived by train: may walk now, may board another train after the change time.
    TrainArrival(usize),
    /// Arrived on foot (or starting here): may board or walk now.
    OnFoot(usize),
    /// Sitting in an instance's train as it reaches the stop at this position.
    OnBoard(usize, usize),
}

impl<'a> BruteForce<'a> {
    pub fn new(timetable: &'a Timetable, service_day: ServiceDay) -> BruteForce<'a> {
        let lookback = (timetable.latest_service_minute() as i64 + 1439) / 1440;
        let mut instances = Vec::new();
        let mut instance_of = std::collections::HashMap::new();
        let mut calls_at = vec![Vec::new(); timetable.stations().len()];
        for day in -lookback..=1 {
            for trip in 0..timetable.trips().len() {
                let runs = match service_day {
                    ServiceDay::EveryDay => true,
                    ServiceDay::Date(date) => {
                        timetable.trip_runs_on(TripId(trip as u32), date.add_days(day as i32))
                    }
                };
                if !runs {
                    continue;
                }
                let calls: Vec<Call> = timetable
                    .stop_times_of(TripId(trip as u32))
                    .iter()
                    .map(|stop| Call {
                        station: stop.station.0 as usize,
                        arrival: stop.arrival as i64 + day * 1440,
                        departure: stop.departure as i64 + day * 1440,
                        boarding: stop.boarding_allowed,
                        alighting: stop.alighting_allowed,
                    })
                    .collect();
                for (position, call) in calls.iter().enumerate() {
                    calls_at[call.station].push((instances.len(), position));
                }
                instance_of.insert((trip, day), instances.len());
                instances.push((trip, day, calls));
            }
        }
        let continues_as = instances
            .iter()
            .map(|(trip, day, _)| {
                let next = timetable.trip(TripId(*trip as u32)).continues_in_seat_as?;
                instance_of.get(&(next.0 as usize, *day)).copied()
            })
            .collect();
        let instances = instances.into_iter().map(|(_, _, calls)| calls).collect();
        BruteForce {
            timetable,
            instances,
            continues_as,
            calls_at,
        }
    }

    /// Earliest arrival at every station leaving `origins` at `departure`, counting only
    /// arrivals no later than `departure + horizon`.
    pub fn earliest_arrivals(
        &self,
        origins: &[StationId],
        departure: i64,
        horizon: i64,
    ) -> Vec<Option<i64>> {
        let limit = departure + horizon;
        let station_count = self.timetable.stations().len();
        let mut best: std::collections::HashMap<Node, i64> = std::collections::HashMap::new();
        let mut heap = BinaryHeap::new();
        for origin in origins {
            heap.push(Reverse((departure, Node::OnFoot(origin.0 as usize))));
        }
        while let Some(Reverse((time, node))) = heap.pop() {
            if time > limit || best.get(&node).is_some_and(|&known| known <= time) {
                continue;
            }
            best.insert(node, time);
            let mut push = |when: i64, next: Node| {
                if when <= limit {
                    heap.push(Reverse((when, next)));
                }
            };
            match node {
                Node::TrainArrival(station) | Node::OnFoot(station) => {
                    for transfer in self.timetable.transfers() {
                        if transfer.from.0 as usize == station {
                            push(
                                time + transfer.minutes as i64,
                                Node::OnFoot(transfer.to.0 as usize),
                            );
                        }
                    }
                    let ready = match node {
                        Node::TrainArrival(_) => {
                            time + self
                                .timetable
                                .station(StationId(station as u32))
                                .minimum_change_minutes as i64
                        }
                        _ => time,
                    };
                    for &(instance, position) in &self.calls_at[station] {
                        let calls = &self.instances[instance];
                        if position + 1 < calls.len()
                            && calls[position].boarding
                            && calls[position].departure >= ready
                        {
                            push(
                                calls[position + 1].arrival,
                                Node::OnBoard(instance, position + 1),
                            );
                        }
                    }
                }
                Node::OnBoard(instance, position) => {
                    let calls = &self.instances[instance];
                    // Position 0 is reached only by staying seated from the previous trip,
                    // which set the traveller down here already if it could.
                    if position > 0 && calls[position].alighting {
                        push(time, Node::TrainArrival(calls[position].station));
                    }
                    if position + 1 < calls.len() {
                        push(
                            calls[position + 1].arrival,
                            Node::OnBoard(instance, position + 1),
                        );
                    } else if let Some(next) = self.continues_as[instance] {
                        push(self.instances[next][0].departure, Node::OnBoard(next, 0));
                    }
                }
            }
        }
        (0..station_count)
            .map(|station| {
                let by_train = best.get(&Node::TrainArrival(station)).copied();
                let on_foot = best.get(&Node::OnFoot(station)).copied();
                match (by_train, on_foot) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                }
            })
            .collect()
    }
}
