//! Instrument search, once for every front end: the text and its length, the filters and
//! facets, the distance filter around a city, the rail-reach filter, the free-time filter on
//! the availability index, the order, the page, and the prices of the person asking (their
//! own institution's internal rate at its instruments, else the rate of their user class).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use corridor_domain::{
    AccessPolicy, BookingMode, CategoryCode, CityCode, Fen, GeoPoint, InstitutionId,
    InstitutionKind, ProvinceCode, UserClass,
};
use corridor_search::{
    CitySetFilter, Grouping, PriceBand, RateBasis, SearchFilters, SearchRequest, SearchResults,
    SortOrder,
};
use jiff::SignedDuration;

use super::Catalogue;
use crate::actor::Actor;
use crate::dates::InstantOrDate;
use crate::error::{AppError, AppResult};
use crate::indexes::search::rate_basis_for;
use crate::reach::{
    departure_window, require_station, travel_minutes_allowed, LONGEST_TRAVEL_MINUTES,
};

/// The longest search text.
pub const LONGEST_SEARCH_TEXT_CHARS: usize = 200;
/// How many results one page may hold, and how many it holds when not asked.
pub const MOST_SEARCH_RESULTS: usize = 100;
pub const DEFAULT_SEARCH_RESULTS: usize = 20;
/// How deep one may page; past this, narrow the search.
pub const DEEPEST_SEARCH_OFFSET: usize = 10_000;
/// The distance filter's radius, in kilometres: 1 to this.
pub const WIDEST_DISTANCE_KM: f64 = 3_000.0;
/// The free-time filter's run, in hours: 1 to this (a week).
pub const LONGEST_FREE_RUN_HOURS: u16 = 168;

/// The rail-reach filter as a front end read it: only instruments in cities reachable from
/// `from` (a city code) within `minutes`, leaving in the window from `departure` (minutes
/// after midnight) lasting `window` minutes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReachFilterQuery {
    pub from: Option<u32>,
    pub minutes: Option<u16>,
    pub departure: Option<u16>,
    pub window: Option<u16>,
}

/// The free-time filter as a front end read it: only instruments free for `hours`
/// consecutive hours between `from` and `to` (a bare date as `to` means through that day).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FreeTimeQuery {
    pub hours: Option<u16>,
    pub from: Option<InstantOrDate>,
    pub to: Option<InstantOrDate>,
}

/// A search as a front end read it (codes parsed, nothing yet checked).
#[derive(Debug, Clone, Default)]
pub struct SearchQuery {
    pub text: String,
    /// Any of these classes or subclasses; likewise for the other lists.
    pub categories: Vec<CategoryCode>,
    pub provinces: Vec<ProvinceCode>,
    pub cities: Vec<CityCode>,
    pub institution_kinds: Vec<InstitutionKind>,
    pub access_policies: Vec<AccessPolicy>,
    pub booking_modes: Vec<BookingMode>,
    pub price_bands: Vec<PriceBand>,
    pub training_required: Option<bool>,
    pub institution: Option<InstitutionId>,
    /// With `within_km`: only instruments within that great-circle distance of this city.
    pub near_city: Option<u32>,
    pub within_km: Option<f64>,
    /// Only instruments whose hourly rate for the asker is at most this.
    pub max_rate: Option<Fen>,
    /// Whose prices to use; the signed-in user's own when not given.
    pub user_class: Option<UserClass>,
    pub sort: SortOrder,
    pub reach: ReachFilterQuery,
    pub free: FreeTimeQuery,
    pub limit: Option<u32>,
    pub offset: Option<u32>,
    /// One row per instrument, per kind or per model; `limit` and `offset` count rows.
    pub grouping: Grouping,
    /// Only one group's instruments: a group's key from a grouped answer.
    pub kind: Option<String>,
}

/// The longest group key a query may name (a kind's name, a bar and a model).
pub const LONGEST_GROUP_KEY_CHARS: usize = 400;

/// A page of results, with the prices' basis and the page that was asked for.
#[derive(Debug, Clone)]
pub struct SearchAnswer {
    pub results: SearchResults,
    /// Whose rates `hourly_rate` and the price bands use.
    pub rate_basis: RateBasis,
    pub offset: usize,
    pub limit: usize,
    /// With the rail-reach filter: the travel minutes to each reachable city, so that a
    /// front end can say how far each result (and each group's nearest city) is by rail.
    pub rail_minutes: Option<HashMap<u32, u16>>,
    /// How the rows were grouped.
    pub request_grouping: Grouping,
    /// The signed-in actor's home institution's city, when the search read it for the
    /// rates (see [`Catalogue::journey_origin_from`]).
    pub home_city: Option<u32>,
}

impl SearchAnswer {
    /// The group's city nearest by rail from the reach filter's origin, and its minutes.
    pub fn nearest_by_rail(&self, cities: &[CityCode]) -> Option<(CityCode, u16)> {
        let minutes = self.rail_minutes.as_ref()?;
        cities
            .iter()
            .filter_map(|city| Some((*city, *minutes.get(&city.get())?)))
            .min_by_key(|(city, minutes)| (*minutes, city.get()))
    }
}

impl Catalogue<'_> {
    /// Searches every instrument of the region for the actor (signed in or not).
    pub async fn search(&self, actor: &Actor, query: SearchQuery) -> AppResult<SearchAnswer> {
        let (request, rail_minutes, home_city) = self.search_request(actor, query).await?;
        let results = self
            .search
            .index
            .search(&request)
            .map_err(|error| AppError::internal_because("searching the index", error))?;
        Ok(SearchAnswer {
            results,
            rate_basis: request.rate_basis,
            offset: request.offset,
            limit: request.limit,
            rail_minutes,
            request_grouping: request.grouping,
            home_city,
        })
    }

    /// The index's request for a query, once every limit is met.
    async fn search_request(
        &self,
        actor: &Actor,
        query: SearchQuery,
    ) -> AppResult<(SearchRequest, Option<HashMap<u32, u16>>, Option<u32>)> {
        if query.text.chars().count() > LONGEST_SEARCH_TEXT_CHARS {
            return Err(AppError::invalid(
                "q",
                format!("must be at most {LONGEST_SEARCH_TEXT_CHARS} characters"),
            ));
        }
        if query.max_rate.is_some_and(|rate| rate.0 < 0) {
            return Err(AppError::invalid("max_rate_fen", "must not be negative"));
        }
        let mut filters = SearchFilters {
            categories: query.categories,
            provinces: query.provinces,
            cities: query.cities,
            institution_kinds: query.institution_kinds,
            access_policies: query.access_policies,
            booking_modes: query.booking_modes,
            price_bands: query.price_bands,
            training_required: query.training_required,
            institution: query.institution,
            near: None,
            max_hourly_rate: query.max_rate,
            kind: query.kind,
            extra: Vec::new(),
        };
        if filters
            .kind
            .as_ref()
            .is_some_and(|key| key.chars().count() > LONGEST_GROUP_KEY_CHARS)
        {
            return Err(AppError::invalid(
                "kind",
                format!("must be at most {LONGEST_GROUP_KEY_CHARS} characters"),
            ));
        }
        let near_point = match query.near_city {
            Some(code) => Some(self.city_location(code).await?),
            None => None,
        };
        match (near_point, query.within_km) {
            (Some(point), Some(km)) => {
                if !(1.0..=WIDEST_DISTANCE_KM).contains(&km) {
                    return Err(AppError::invalid(
                        "within_km",
                        format!("must be between 1 and {WIDEST_DISTANCE_KM}"),
                    ));
                }
                filters.near = Some((point, km));
            }
            (None, Some(_)) => return Err(AppError::invalid("within_km", "needs near_city")),
            _ => {}
        }
        let mut rail_minutes = None;
        if let Some((filter, minutes)) = self.reach_filter(query.reach)? {
            filters.extra.push(Arc::new(filter));
            rail_minutes = Some(minutes);
        }
        if let Some(filter) = self.free_time_filter(query.free)? {
            filters.extra.push(Arc::new(filter));
        }
        if query.sort == SortOrder::Distance && near_point.is_none() {
            return Err(AppError::invalid("sort", "distance needs near_city"));
        }
        let (rate_basis, home_city) = self.rate_basis(actor, query.user_class).await?;
        let limit = query
            .limit
            .map_or(DEFAULT_SEARCH_RESULTS, |limit| limit as usize);
        if !(1..=MOST_SEARCH_RESULTS).contains(&limit) {
            return Err(AppError::invalid(
                "limit",
                format!("must be between 1 and {MOST_SEARCH_RESULTS}"),
            ));
        }
        let offset = query.offset.unwrap_or(0) as usize;
        if offset > DEEPEST_SEARCH_OFFSET {
            return Err(AppError::invalid(
                "offset",
                format!("must be at most {DEEPEST_SEARCH_OFFSET}; narrow the search instead"),
            ));
        }
        let request = SearchRequest {
            text: query.text,
            filters,
            rate_basis,
            sort: query.sort,
            origin: near_point,
            offset,
            limit,
            grouping: query.grouping,
        };
        Ok((request, rail_minutes, home_city))
    }

    /// Where a city is: from the index's table (no read), else from the store.
    async fn city_location(&self, code: u32) -> AppResult<GeoPoint> {
        if let Some(location) = self.search.city_locations.get(&code) {
            return Ok(*location);
        }
        let city = self
            .store
            .city(CityCode::new(code)?)
            .await?
            .ok_or_else(|| AppError::invalid("near_city", format!("no city with code {code}")))?;
        Ok(city.location)
    }

    /// The cities reachable by rail as the reach filter asks, or `None` without one. The
    /// origin and the horizon go together; the departure and the window need them.
    fn reach_filter(
        &self,
        query: ReachFilterQuery,
    ) -> AppResult<Option<(CitySetFilter, HashMap<u32, u16>)>> {
        match (query.from, query.minutes) {
            (Some(from), Some(minutes)) => {
                if !travel_minutes_allowed(minutes) {
                    return Err(AppError::invalid(
                        "reach_minutes",
                        format!("must be between 1 and {LONGEST_TRAVEL_MINUTES}"),
                    ));
                }
                require_station(self.rail, "reach_from", from)?;
                let window = departure_window("reach_depart", query.departure, query.window)?;
                let reach = self.rail.reach(from, window.start, window.end, minutes);
                let cities: HashSet<CityCode> = reach
                    .cities
                    .keys()
                    .filter_map(|code| CityCode::new(*code).ok())
                    .collect();
                Ok(Some((
                    CitySetFilter {
                        name: "reach",
                        cities,
                    },
                    reach.cities,
                )))
            }
            (None, None) if query.departure.is_some() => Err(AppError::invalid(
                "reach_depart",
                "needs reach_from and reach_minutes",
            )),
            (None, None) if query.window.is_some() => Err(AppError::invalid(
                "reach_window",
                "needs reach_from and reach_minutes",
            )),
            (None, None) => Ok(None),
            _ => Err(AppError::invalid(
                "reach_minutes",
                "reach_from and reach_minutes go together",
            )),
        }
    }

    /// The instruments free for the run in the window, by this node's availability index,
    /// or `None` without the filter. Dates are read in the region's time zone.
    fn free_time_filter(
        &self,
        query: FreeTimeQuery,
    ) -> AppResult<Option<corridor_search::availability::AvailableFilter>> {
        match (query.hours, query.from, query.to) {
            (Some(hours), Some(from), Some(to)) => {
                if !(1..=LONGEST_FREE_RUN_HOURS).contains(&hours) {
                    return Err(AppError::invalid(
                        "free_hours",
                        format!("must be between 1 and {LONGEST_FREE_RUN_HOURS}"),
                    ));
                }
                let start = from.start_in(self.region_time_zone, "free_from")?;
                let end = to.end_in(self.region_time_zone, "free_to")?;
                let run = SignedDuration::from_hours(i64::from(hours));
                let filter = self
                    .availability
                    .shared
                    .free_filter(start, end, run)
                    .map_err(|error| AppError::invalid("free_hours", error.to_string()))?;
                Ok(Some(filter))
            }
            (None, None, None) => Ok(None),
            _ => Err(AppError::invalid(
                "free_hours",
                "free_hours, free_from and free_to go together",
            )),
        }
    }

    /// Whose prices the actor sees: the class asked for (with their own institution's
    /// internal rate kept), else a signed-in user's own, else other academics'.
    /// The rates the actor pays, and, when the home institution had to be read for them,
    /// the city it is in (so that a front end need not read it again).
    async fn rate_basis(
        &self,
        actor: &Actor,
        class: Option<UserClass>,
    ) -> AppResult<(RateBasis, Option<u32>)> {
        Ok(match (class, &actor.user) {
            (Some(class), _) => (
                RateBasis {
                    class,
                    home_institution: actor.user.as_ref().map(|user| user.home_institution),
                },
                None,
            ),
            (None, Some(user)) => {
                let home = self.store.institution(user.home_institution).await?;
                let kind = home
                    .as_ref()
                    .map_or(InstitutionKind::University, |home| home.institution.kind);
                let city = home.map(|home| home.institution.city.get());
                (rate_basis_for(user, kind), city)
            }
            (None, None) => (RateBasis::default(), None),
        })
    }
}
