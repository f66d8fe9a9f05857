//! The rail timetable a node routes on, and the questions the product asks of it: which
//! cities can I reach from here within N minutes, leaving in this window; and how do I get
//! from this city to that instrument.
//!
//! The demo serves the generated timetable of the Delta's high-speed network (the same seed
//! always gives the same timetable), compiled into a routing index once at start-up. The
//! index is derived data, like the search index.

use std::collections::HashMap;

use corridor_rail::{
    earliest_arrival, profile, EarliestArrivalQuery, Journey, ProfileQuery, ProfileWorkspace,
    RoutingIndex, ScanWorkspace, ServiceDay, StationId, Timetable,
};

/// The seed of the demo timetable every node serves (the demo region's default seed).
pub const DEMO_TIMETABLE_SEED: u64 = 2026;

pub struct RailService {
    pub timetable: Timetable,
    pub index: RoutingIndex,
    stations_by_city: HashMap<u32, Vec<StationId>>,
}

/// What a reach query found: for each station reached, the shortest travel time in minutes.
pub struct Reach {
    pub stations: Vec<(StationId, u16)>,
    /// Per city code, the shortest travel time to any of its stations (0 for the origin city).
    pub cities: HashMap<u32, u16>,
}

impl RailService {
    pub fn new(timetable: Timetable) -> RailService {
        let index = RoutingIndex::build(&timetable, ServiceDay::EveryDay);
        let mut stations_by_city: HashMap<u32, Vec<StationId>> = HashMap::new();
        for (position, station) in timetable.stations().iter().enumerate() {
            if let Some(city) = station.city_admin_code {
                stations_by_city
                    .entry(city)
                    .or_default()
                    .push(StationId(position as u32));
            }
        }
        RailService {
            timetable,
            index,
            stations_by_city,
        }
    }

    /// Routes on an imported timetable: a station without a city code takes the code of the
    /// region's city of its city's name (`cities`: Chinese name without `市`, code), so
    /// that the product's cities map to its stations.
    pub fn with_region_cities(mut timetable: Timetable, cities: &[(String, u32)]) -> RailService {
        timetable.assign_city_codes(|station| {
            let name = station.city_name.trim_end_matches('市');
            cities
                .iter()
                .find(|(city, _)| city == name)
                .map(|(_, code)| *code)
        });
        RailService::new(timetable)
    }

    pub fn demo() -> RailService {
        RailService::new(corridor_rail::demo::demo_timetable(DEMO_TIMETABLE_SEED))
    }

    pub fn stations_of(&self, city: u32) -> &[StationId] {
        self.stations_by_city.get(&city).map_or(&[], Vec::as_slice)
    }

    pub fn has_stations(&self, city: u32) -> bool {
        !self.stations_of(city).is_empty()
    }

    /// Shortest travel times from `from_city` to every station, for any departure between
    /// `window_start` and `window_end` (minutes after midnight), up to `max_minutes`.
    pub fn reach(
        &self,
        from_city: u32,
        window_start: u16,
        window_end: u16,
        max_minutes: u16,
    ) -> Reach {
        self.reach_from(
            self.stations_of(from_city),
            window_start,
            window_end,
            max_minutes,
        )
    }

    /// Shortest travel times from any of `origins` (a city's stations, or the one station a
    /// person starts at) to every station, as [`RailService::reach`]. The origins' cities
    /// count as reached in no time.
    pub fn reach_from(
        &self,
        origins: &[StationId],
        window_start: u16,
        window_end: u16,
        max_minutes: u16,
    ) -> Reach {
        let mut workspace = ProfileWorkspace::default();
        let result = profile(
            &self.index,
            &mut workspace,
            &ProfileQuery {
                origins,
                window_start,
                window_end,
                horizon_minutes: max_minutes,
            },
        );
        let mut stations = Vec::new();
        let mut cities: HashMap<u32, u16> = HashMap::new();
        for origin in origins {
            if let Some(city) = self.timetable.station(*origin).city_admin_code {
                cities.insert(city, 0);
            }
        }
        for (position, station) in self.timetable.stations().iter().enumerate() {
            let id = StationId(position as u32);
            let minutes = if origins.contains(&id) {
                Some(0)
            } else {
                result.shortest_travel_minutes(id)
            };
            if let Some(minutes) = minutes.filter(|minutes| *minutes <= max_minutes) {
                stations.push((id, minutes));
                if let Some(city) = station.city_admin_code {
                    let best = cities.entry(city).or_insert(minutes);
                    *best = (*best).min(minutes);
                }
            }
        }
        stations.sort_by_key(|(id, minutes)| (*minutes, id.0));
        Reach { stations, cities }
    }

    /// The earliest-arriving journey from `from_city` to `to_city` leaving at or after
    /// `departure`, or `None` when the cities have no stations or no train connects them today.
    pub fn journey(&self, from_city: u32, to_city: u32, departure: u16) -> Option<Journey> {
        let origins = self.stations_of(from_city);
        if origins.is_empty() || from_city == to_city {
            return None;
        }
        let mut workspace = ScanWorkspace::new();
        let arrivals = earliest_arrival(
            &self.index,
            &mut workspace,
            &EarliestArrivalQuery {
                origins,
                departure,
                horizon_minutes: 18 * 60,
            },
        );
        let best = self
            .stations_of(to_city)
            .iter()
            .filter_map(|station| {
                arrivals
                    .arrival(*station)
                    .map(|arrival| (arrival, *station))
            })
            .min()?;
        arrivals.journey_to(&self.timetable, best.1)
    }
}
