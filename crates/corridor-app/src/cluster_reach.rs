//! Cluster reach on the rail network: from one place, which cities of a cluster can be
//! reached within N minutes for some departure in a window; and the same from every city of
//! the region at once, for the map of where a cluster is best reached from.
//!
//! One origin asks the profile scan (exact shortest door-to-door times over the window). Every
//! origin at once asks the many-origin reachability matrices, one sweep per departure minute of
//! the window, 256 origins per sweep: a city counts as reached from an origin when it is
//! reached for at least one departure minute. Leaving at minute τ and arriving by τ + N is the
//! same question the profile answers with its shortest time, so the two engines must agree;
//! a test holds them to it.

use std::collections::HashMap;

use corridor_domain::analytics::{tally_cluster_reach, ClusterCity, ClusterReach};
use corridor_rail::{reachable_within, ReachQuery, ReachWorkspace, StationId};

use crate::indexes::rail::RailService;

/// A departure window and a travel-time budget, in minutes after midnight and minutes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TravelBudget {
    pub window_start: u16,
    pub window_end: u16,
    pub within_minutes: u16,
}

/// Shortest travel minutes from `origin_city` to every city reached within the budget.
pub fn minutes_from(
    rail: &RailService,
    origin_city: u32,
    budget: TravelBudget,
) -> HashMap<u32, u16> {
    rail.reach(
        origin_city,
        budget.window_start,
        budget.window_end,
        budget.within_minutes,
    )
    .cities
}

/// The share of `members` reached from one city.
pub fn cluster_reach_from(
    rail: &RailService,
    origin_city: u32,
    members: &[ClusterCity],
    budget: TravelBudget,
) -> ClusterReach {
    let minutes = minutes_from(rail, origin_city, budget);
    tally_cluster_reach(members, |city| minutes.get(&city.get()).copied())
}

/// For each origin city, how many of `members` it reaches within the budget (same order as
/// `origins`). Origins without a station reach only their own city.
pub fn cluster_reached_from_each(
    rail: &RailService,
    origins: &[u32],
    members: &[ClusterCity],
    budget: TravelBudget,
) -> Vec<u64> {
    let origin_stations: Vec<Vec<StationId>> = origins
        .iter()
        .map(|city| rail.stations_of(*city).to_vec())
        .collect();
    let member_stations: Vec<&[StationId]> = members
        .iter()
        .map(|city| rail.stations_of(city.city.get()))
        .collect();
    // reached[origin * members + member]
    let mut reached = vec![false; origins.len() * members.len()];
    for (origin, city) in origins.iter().enumerate() {
        for (member, target) in members.iter().enumerate() {
            if target.city.get() == *city {
                reached[origin * members.len() + member] = true;
            }
        }
    }
    let mut workspace = ReachWorkspace::default();
    for departure in budget.window_start..=budget.window_end {
        let matrix = reachable_within(
            &rail.index,
            &mut workspace,
            &ReachQuery {
                origins: &origin_stations,
                departure,
                horizon_minutes: budget.within_minutes,
            },
        );
        for origin in 0..origins.len() {
            let row = &mut reached[origin * members.len()..(origin + 1) * members.len()];
            for (member, stations) in member_stations.iter().enumerate() {
                if !row[member]
                    && stations
                        .iter()
                        .any(|station| matrix.is_reachable(origin, *station))
                {
                    row[member] = true;
                }
            }
        }
    }
    (0..origins.len())
        .map(|origin| {
            members
                .iter()
                .enumerate()
                .filter(|(member, _)| reached[origin * members.len() + member])
                .map(|(_, city)| city.members.len() as u64)
                .sum()
        })
        .collect()
}
