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

use corridor_domain::analytics::{tally_cluster_reach, ClusterCity, ClusterReach, ClusterTarget};
use corridor_domain::{CategoryCode, City, InstitutionId, InstrumentCategory, Sector};
use corridor_rail::{reachable_within, ReachQuery, ReachWorkspace, StationId};

use crate::analytics::Analytics;
use crate::error::{AppError, AppResult};
use crate::indexes::rail::RailService;
use crate::reach::{
    departure_window, require_station, travel_minutes_allowed, LONGEST_TRAVEL_MINUTES,
};

/// The travel-time budget when none is given.
pub const DEFAULT_WITHIN_MINUTES: u16 = 180;

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

/// The cluster as a front end read it: the firms of a sector or the instruments of a
/// category; exactly one of them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClusterChoice {
    pub sector: Option<Sector>,
    pub category: Option<CategoryCode>,
}

/// The cluster named by exactly one of the sector and the category.
pub fn cluster_target(choice: &ClusterChoice) -> AppResult<ClusterTarget> {
    match (choice.sector, &choice.category) {
        (Some(sector), None) => Ok(ClusterTarget::SectorFirms(sector)),
        (None, Some(category)) => Ok(ClusterTarget::InstrumentCategory(category.clone())),
        (Some(_), Some(_)) => Err(AppError::invalid(
            "category",
            "give either sector or category, not both",
        )),
        (None, None) => Err(AppError::invalid(
            "sector",
            "name the cluster with sector (firms) or category (instruments)",
        )),
    }
}

/// The departure window (minutes after midnight, as read) and the travel budget, with their
/// defaults and limits.
pub fn travel_budget(
    departure: Option<u16>,
    window: Option<u16>,
    within: Option<u16>,
) -> AppResult<TravelBudget> {
    let window = departure_window("depart", departure, window)?;
    let within_minutes = within.unwrap_or(DEFAULT_WITHIN_MINUTES);
    if !travel_minutes_allowed(within_minutes) {
        return Err(AppError::invalid(
            "within",
            format!("must be between 1 and {LONGEST_TRAVEL_MINUTES} minutes"),
        ));
    }
    Ok(TravelBudget {
        window_start: window.start,
        window_end: window.end,
        within_minutes,
    })
}

/// A cluster-reach question from one place, as a front end read it: the origin is a city or
/// an institution (whose city it is; it is left out of its own cluster), exactly one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClusterReachQuery {
    pub from_city: Option<u32>,
    pub from_institution: Option<InstitutionId>,
    pub cluster: ClusterChoice,
    /// The earliest departure, minutes after midnight.
    pub departure: Option<u16>,
    pub window: Option<u16>,
    pub within: Option<u16>,
}

/// The same question from every city of the region a station serves.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClusterOriginsQuery {
    pub cluster: ClusterChoice,
    pub departure: Option<u16>,
    pub window: Option<u16>,
    pub within: Option<u16>,
}

/// The share of a cluster reached from one place, with every city of the region by code to
/// name the cluster's cities.
#[derive(Debug, Clone)]
pub struct ClusterReachFigure {
    pub from_city: u32,
    pub from_institution: Option<InstitutionId>,
    pub target: ClusterTarget,
    pub budget: TravelBudget,
    pub reach: ClusterReach,
    pub cities: HashMap<u32, City>,
}

/// How much of a cluster one origin city reaches.
#[derive(Debug, Clone)]
pub struct ClusterOrigin {
    pub city: City,
    pub reached: u64,
    /// `reached` over the cluster's members; 0 for an empty cluster.
    pub share: f64,
}

/// The share of a cluster reached from every city of the region a station serves, best
/// reach first (then by city code).
#[derive(Debug, Clone)]
pub struct ClusterOriginsFigure {
    pub target: ClusterTarget,
    pub budget: TravelBudget,
    pub members: u64,
    pub origins: Vec<ClusterOrigin>,
}

/// The cluster-reach dashboard: the figure from one place, from every origin, and the
/// categories (the clusters one may pick).
#[derive(Debug, Clone)]
pub struct ClusterReachDashboard {
    pub figure: ClusterReachFigure,
    pub origins: ClusterOriginsFigure,
    pub categories: Vec<InstrumentCategory>,
}

impl Analytics<'_> {
    /// The share of a cluster within the travel budget by rail from a city or an
    /// institution, for some departure in the window; per city, its members and the shortest
    /// travel time.
    pub async fn cluster_reach(&self, query: &ClusterReachQuery) -> AppResult<ClusterReachFigure> {
        let cities = crate::catalogue::cities_by_code(self.store).await?;
        self.cluster_reach_among(query, cities).await
    }

    async fn cluster_reach_among(
        &self,
        query: &ClusterReachQuery,
        cities: HashMap<u32, City>,
    ) -> AppResult<ClusterReachFigure> {
        let target = cluster_target(&query.cluster)?;
        let budget = travel_budget(query.departure, query.window, query.within)?;
        let (from_city, excluded) = match (query.from_city, query.from_institution) {
            (Some(city), None) => (city, None),
            (None, Some(id)) => {
                let institution = self
                    .store
                    .institution(id)
                    .await?
                    .ok_or_else(|| AppError::NotFound(format!("institution {}", id.0)))?;
                (institution.institution.city.get(), Some(id))
            }
            (Some(_), Some(_)) => {
                return Err(AppError::invalid(
                    "from_institution",
                    "give either from_city or from_institution, not both",
                ))
            }
            (None, None) => {
                return Err(AppError::invalid(
                    "from_city",
                    "name the origin with from_city or from_institution",
                ))
            }
        };
        require_station(self.rail, "from_city", from_city)?;
        let build = self.facts.facts().await?;
        let members = build.facts.cluster_members(&target, excluded);
        let reach = cluster_reach_from(self.rail, from_city, &members, budget);
        Ok(ClusterReachFigure {
            from_city,
            from_institution: query.from_institution,
            target,
            budget,
            reach,
            cities,
        })
    }

    /// The same figure from every city of the region a station serves: where a cluster is
    /// best reached from. Answered by the many-origin reachability matrices.
    pub async fn cluster_reach_by_origin(
        &self,
        query: &ClusterOriginsQuery,
    ) -> AppResult<ClusterOriginsFigure> {
        let cities = crate::catalogue::cities_by_code(self.store).await?;
        self.cluster_reach_by_origin_among(query, &cities).await
    }

    async fn cluster_reach_by_origin_among(
        &self,
        query: &ClusterOriginsQuery,
        cities: &HashMap<u32, City>,
    ) -> AppResult<ClusterOriginsFigure> {
        let target = cluster_target(&query.cluster)?;
        let budget = travel_budget(query.departure, query.window, query.within)?;
        let build = self.facts.facts().await?;
        let members: Vec<ClusterCity> = build.facts.cluster_members(&target, None);
        let total: u64 = members.iter().map(|city| city.members.len() as u64).sum();
        let mut origins: Vec<&City> = cities
            .values()
            .filter(|city| city.province.is_in_region() && self.rail.has_stations(city.code.get()))
            .collect();
        origins.sort_by_key(|city| city.code);
        let codes: Vec<u32> = origins.iter().map(|city| city.code.get()).collect();
        // One sweep per departure minute (a few milliseconds for the region's cities, more
        // with more origins): off the request threads.
        let rail = self.rail.clone();
        let reached = tokio::task::spawn_blocking(move || {
            cluster_reached_from_each(&rail, &codes, &members, budget)
        })
        .await
        .map_err(|error| AppError::internal_because("sweeping the rail network", error))?;
        let mut rows: Vec<ClusterOrigin> = origins
            .into_iter()
            .zip(reached)
            .map(|(city, reached)| ClusterOrigin {
                city: city.clone(),
                reached,
                share: if total == 0 {
                    0.0
                } else {
                    reached as f64 / total as f64
                },
            })
            .collect();
        rows.sort_by(|a, b| {
            b.reached
                .cmp(&a.reached)
                .then(a.city.code.get().cmp(&b.city.code.get()))
        });
        Ok(ClusterOriginsFigure {
            target,
            budget,
            members: total,
            origins: rows,
        })
    }

    /// The cluster-reach dashboard: the figure from one place and from every origin, for the
    /// same cluster and budget, with the region's cities read once.
    pub async fn cluster_reach_dashboard(
        &self,
        query: &ClusterReachQuery,
    ) -> AppResult<ClusterReachDashboard> {
        let cities = crate::catalogue::cities_by_code(self.store).await?;
        let origins_query = ClusterOriginsQuery {
            cluster: query.cluster.clone(),
            departure: query.departure,
            window: query.window,
            within: query.within,
        };
        let figure = self.cluster_reach_among(query, cities).await?;
        let origins = self
            .cluster_reach_by_origin_among(&origins_query, &figure.cities)
            .await?;
        Ok(ClusterReachDashboard {
            figure,
            origins,
            categories: self.store.categories().await?,
        })
    }
}
