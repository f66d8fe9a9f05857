//! Rail reach: travel times by high-speed rail from a city, and the journey to an instrument.
//!
//! The limits of a travel-time question are decided here, once, for the reach API and page,
//! the search's reach filter and the cluster-reach figures: a departure window starts at a
//! time of day (08:00 when not given) and lasts at most [`LONGEST_WINDOW_MINUTES`]; a
//! travel-time horizon is 1 to [`LONGEST_TRAVEL_MINUTES`] minutes.

use corridor_rail::{Journey, Station, StationId};

use crate::error::{AppError, AppResult};
use crate::indexes::rail::{self, RailService};

/// When a departure window starts if no time is given: 08:00.
pub const DEFAULT_DEPARTURE_MINUTE: u16 = 8 * 60;
/// How long a departure window lasts if no length is given.
pub const DEFAULT_WINDOW_MINUTES: u16 = 120;
/// The longest departure window a question may ask about.
pub const LONGEST_WINDOW_MINUTES: u16 = 720;
/// The longest travel time a question may ask about.
pub const LONGEST_TRAVEL_MINUTES: u16 = 720;
/// The travel-time horizon of the reach question when none is given.
pub const DEFAULT_TRAVEL_MINUTES: u16 = 240;
const MINUTES_PER_DAY: u16 = 24 * 60;

/// Where a journey or a reach map starts when nobody says: Shanghai, the region's hub.
pub const DEFAULT_ORIGIN_CITY: u32 = 310_000;

/// When the journey shown with an instrument leaves: 08:00, a working day's first trains.
pub const JOURNEY_DEPARTURE_MINUTE: u16 = 8 * 60;

/// A departure window in minutes after midnight: any departure from `start` to `end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DepartureWindow {
    pub start: u16,
    pub end: u16,
}

impl DepartureWindow {
    /// How long the window lasts, in minutes.
    pub fn minutes(self) -> u16 {
        self.end - self.start
    }
}

/// The departure window from a start time of day (minutes after midnight, as a front end
/// read it; `departure_field` names it) and a length, with the defaults and the length limit.
pub fn departure_window(
    departure_field: &str,
    departure: Option<u16>,
    window: Option<u16>,
) -> AppResult<DepartureWindow> {
    let start = departure.unwrap_or(DEFAULT_DEPARTURE_MINUTE);
    if start >= MINUTES_PER_DAY {
        return Err(AppError::invalid(
            departure_field,
            "must be a time of day before 24:00",
        ));
    }
    let length = window.unwrap_or(DEFAULT_WINDOW_MINUTES);
    if length > LONGEST_WINDOW_MINUTES {
        return Err(AppError::invalid(
            "window",
            format!("must be at most {LONGEST_WINDOW_MINUTES} minutes"),
        ));
    }
    Ok(DepartureWindow {
        start,
        end: start + length,
    })
}

/// Whether a travel-time horizon is within the limits (1 to [`LONGEST_TRAVEL_MINUTES`]).
pub fn travel_minutes_allowed(minutes: u16) -> bool {
    (1..=LONGEST_TRAVEL_MINUTES).contains(&minutes)
}

/// `Invalid` on `field` unless a railway station serves `city`.
pub(crate) fn require_station(rail: &RailService, field: &str, city: u32) -> AppResult<()> {
    if rail.has_stations(city) {
        Ok(())
    } else {
        Err(AppError::invalid(
            field,
            format!("no railway station serves the city {city}"),
        ))
    }
}

/// A reach question as a front end read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReachQuery {
    /// The origin city's six-digit code.
    pub from_city: u32,
    /// The earliest departure, minutes after midnight.
    pub departure: Option<u16>,
    /// The window's length in minutes.
    pub window: Option<u16>,
    /// The travel-time horizon in minutes.
    pub max_minutes: Option<u16>,
}

/// A reach question from a place as a person types it: a six-digit city code, a city's
/// name, or one station (its id, code, name in either language, pinyin, or a prefix only it
/// has), resolved by the timetable's own lookup (`Timetable::find_place`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlaceReachQuery {
    pub from: String,
    pub departure: Option<u16>,
    pub window: Option<u16>,
    pub max_minutes: Option<u16>,
}

/// What a reach question found: the question with its defaults applied, and for each
/// station and city reached the shortest travel time.
pub struct ReachFound {
    /// The city the origin stations serve.
    pub from_city: u32,
    /// The stations the question starts from: all of the city's, or the one named.
    pub origins: Vec<StationId>,
    pub window: DepartureWindow,
    pub max_minutes: u16,
    pub reach: rail::Reach,
}

/// The reach service (see the module's documentation).
pub struct Reach<'a> {
    pub(crate) rail: &'a RailService,
}

impl<'a> Reach<'a> {
    /// Shortest rail travel times from a city to every station and city, for departures in
    /// the window, up to the horizon ([`DEFAULT_TRAVEL_MINUTES`] when not given).
    pub fn from_city(&self, query: ReachQuery) -> AppResult<ReachFound> {
        let window = departure_window("depart", query.departure, query.window)?;
        let max_minutes = query.max_minutes.unwrap_or(DEFAULT_TRAVEL_MINUTES);
        if !travel_minutes_allowed(max_minutes) {
            return Err(AppError::invalid(
                "max_minutes",
                format!("must be between 1 and {LONGEST_TRAVEL_MINUTES}"),
            ));
        }
        require_station(self.rail, "from", query.from_city)?;
        let origins = self.rail.stations_of(query.from_city).to_vec();
        let reach = self
            .rail
            .reach_from(&origins, window.start, window.end, max_minutes);
        Ok(ReachFound {
            from_city: query.from_city,
            origins,
            window,
            max_minutes,
            reach,
        })
    }

    /// As [`Reach::from_city`], from a place as typed: a city code or name gives all the
    /// city's stations, a station only itself. A place that names nothing, or several
    /// stations, is refused on `from` with the closest names.
    pub fn from_place(&self, query: PlaceReachQuery) -> AppResult<ReachFound> {
        if let Ok(city) = query.from.trim().parse::<u32>() {
            return self.from_city(ReachQuery {
                from_city: city,
                departure: query.departure,
                window: query.window,
                max_minutes: query.max_minutes,
            });
        }
        let window = departure_window("depart", query.departure, query.window)?;
        let max_minutes = query.max_minutes.unwrap_or(DEFAULT_TRAVEL_MINUTES);
        if !travel_minutes_allowed(max_minutes) {
            return Err(AppError::invalid(
                "max_minutes",
                format!("must be between 1 and {LONGEST_TRAVEL_MINUTES}"),
            ));
        }
        let origins = self
            .rail
            .timetable
            .find_place(&query.from)
            .map_err(|error| AppError::invalid("from", error.to_string()))?;
        let from_city = origins
            .iter()
            .find_map(|origin| self.rail.timetable.station(*origin).city_admin_code)
            .ok_or_else(|| AppError::invalid("from", "the station serves no city of the region"))?;
        let reach = self
            .rail
            .reach_from(&origins, window.start, window.end, max_minutes);
        Ok(ReachFound {
            from_city,
            origins,
            window,
            max_minutes,
            reach,
        })
    }

    /// The fastest journey from one city to another leaving at
    /// [`JOURNEY_DEPARTURE_MINUTE`], or `None` when the cities are the same, either has no
    /// station, or no train connects them.
    pub fn journey(&self, from_city: u32, to_city: u32) -> Option<Journey> {
        self.rail
            .journey(from_city, to_city, JOURNEY_DEPARTURE_MINUTE)
    }

    /// Whether a railway station serves the city (only such cities can be an origin).
    pub fn serves(&self, city: u32) -> bool {
        self.rail.has_stations(city)
    }

    /// One station of the timetable, to name it.
    pub fn station(&self, id: StationId) -> &'a Station {
        self.rail.timetable.station(id)
    }

    /// Every station of the timetable (a station's position is its [`StationId`]).
    pub fn stations(&self) -> &'a [Station] {
        self.rail.timetable.stations()
    }
}
