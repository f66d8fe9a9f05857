//! The timetable model: stations, trips with stop times, service calendars, change times and
//! transfers between the stations of one city.
//!
//! The model is the importers' target and the routing index's source. It keeps everything a
//! person wants to read (train numbers, names) and is validated once when built, so the
//! routing index can trust it without checks in its inner loops.

use crate::date::ServiceDate;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Index of a station in [`Timetable::stations`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct StationId(pub u32);

/// Index of a trip in [`Timetable::trips`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct TripId(pub u32);

/// Index of a service calendar in [`Timetable::services`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ServiceId(pub u32);

/// Minutes since the midnight that starts a trip's service day; values past 1440 are the
/// next calendar day(s), as in GTFS, so an overnight train keeps one service day.
pub type ServiceMinute = u32;

/// A WGS-84 position. Sources in GCJ-02 must be converted before they get here.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Wgs84 {
    pub latitude: f64,
    pub longitude: f64,
}

impl Wgs84 {
    /// Great-circle distance in kilometres (haversine, mean Earth radius).
    pub fn distance_km(self, other: Wgs84) -> f64 {
        let (lat1, lat2) = (self.latitude.to_radians(), other.latitude.to_radians());
        let delta_lat = lat2 - lat1;
        let delta_lon = (other.longitude - self.longitude).to_radians();
        let half_chord = (delta_lat / 2.0).sin().powi(2)
            + lat1.cos() * lat2.cos() * (delta_lon / 2.0).sin().powi(2);
        2.0 * 6371.0088 * half_chord.sqrt().asin()
    }
}

/// The change time the scan assumes where a source gives none. Zero is never used: a change
/// of at least one minute makes the order of connections within one minute irrelevant, which
/// keeps the Connection Scan exact (see `RoutingIndex`).
pub const DEFAULT_MINIMUM_CHANGE_MINUTES: u16 = 5;

/// A station: a place where passengers board and alight.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Station {
    pub name: String,
    pub english_name: Option<String>,
    /// The city the station serves, as the source names it; stations of one city can be used
    /// together as an origin and get transfers between them.
    pub city_name: String,
    /// Six-digit administrative code of the prefecture-level city, when known, so the product
    /// can map its cities to stations.
    pub city_admin_code: Option<u32>,
    pub coordinates: Option<Wgs84>,
    /// Minimum time between arriving on one train and departing on another here, at least 1.
    pub minimum_change_minutes: u16,
    /// The source's own key for the station (a GTFS `stop_id`), which people and other
    /// systems use to name it.
    #[serde(default)]
    pub source_id: Option<String>,
    /// A short public code (a GTFS `stop_code`, or the telegraph code of a Chinese station).
    #[serde(default)]
    pub code: Option<String>,
    /// The station's IANA time zone when it differs from the timetable's (a GTFS
    /// `stop_timezone`); times are shown in it.
    #[serde(default)]
    pub time_zone: Option<String>,
}

/// One call of a trip at a station.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StopTime {
    pub station: StationId,
    pub arrival: ServiceMinute,
    pub departure: ServiceMinute,
    /// Whether passengers may board here (GTFS `pickup_type` other than 1). Long-distance
    /// trains often only set down on their last stops, or only pick up on their first.
    #[serde(default = "allowed")]
    pub boarding_allowed: bool,
    /// Whether passengers may alight here (GTFS `drop_off_type` other than 1).
    #[serde(default = "allowed")]
    pub alighting_allowed: bool,
}

fn allowed() -> bool {
    true
}

impl StopTime {
    /// A call where passengers may board and alight, the common case.
    pub fn new(station: StationId, arrival: ServiceMinute, departure: ServiceMinute) -> StopTime {
        StopTime {
            station,
            arrival,
            departure,
            boarding_allowed: true,
            alighting_allowed: true,
        }
    }
}

/// A train run on the days of its service calendar (every day when it has none).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trip {
    /// The public train number, e.g. `G7`.
    pub train_number: String,
    pub service: Option<ServiceId>,
    /// Range in [`Timetable::stop_times`]; kept flat so all stop times share one allocation.
    pub first_stop_time: u32,
    pub stop_time_count: u32,
    /// The trip this one becomes at its last stop without passengers leaving their seats (an
    /// in-seat transfer: GTFS trips of one `block_id`, or a `transfers.txt` type 4). Set with
    /// [`TimetableBuilder::continue_in_seat`], which checks that the two meet.
    #[serde(default)]
    pub continues_in_seat_as: Option<TripId>,
}

/// The days a trip runs: GTFS `calendar.txt` (weekdays within a date range) plus
/// `calendar_dates.txt` exceptions, which win over the weekly pattern.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceCalendar {
    pub name: String,
    /// Monday first; all false for a service defined only by added dates.
    pub weekdays: [bool; 7],
    pub start_date: Option<ServiceDate>,
    pub end_date: Option<ServiceDate>,
    pub added_dates: Vec<ServiceDate>,
    pub removed_dates: Vec<ServiceDate>,
}

impl ServiceCalendar {
    /// Whether the service runs on `date`.
    pub fn runs_on(&self, date: ServiceDate) -> bool {
        if self.removed_dates.contains(&date) {
            return false;
        }
        if self.added_dates.contains(&date) {
            return true;
        }
        let within_range = self.start_date.is_none_or(|start| date >= start)
            && self.end_date.is_none_or(|end| date <= end);
        within_range
            && self.start_date.is_some()
            && self.weekdays[date.weekday().index_from_monday()]
    }
}

/// A walk or metro ride from one station to another, door to platform, in minutes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transfer {
    pub from: StationId,
    pub to: StationId,
    pub minutes: u16,
}

/// Refusals when a timetable is assembled; the importers wrap them with the file and line.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ModelError {
    #[error("trip {train_number}: needs at least two stop times, has {count}")]
    TooFewStops { train_number: String, count: usize },
    #[error("trip {train_number}: stop {position} departs before it arrives or before the previous stop")]
    TimesGoBackwards {
        train_number: String,
        position: usize,
    },
    #[error("trip {train_number}: unknown station index {station}")]
    UnknownStation { train_number: String, station: u32 },
    #[error("trip {train_number}: unknown service index {service}")]
    UnknownService { train_number: String, service: u32 },
    #[error("trip {train_number}: time {minutes} min is beyond the supported {limit} min after service-day midnight")]
    TimeTooLate {
        train_number: String,
        minutes: u32,
        limit: u32,
    },
    #[error("transfer from station {from} to {to}: unknown station")]
    UnknownTransferStation { from: u32, to: u32 },
    #[error("in-seat transfer from trip {from} to trip {to}: {reason}")]
    InSeatTransferImpossible {
        from: String,
        to: String,
        reason: String,
    },
}

/// The latest stop time the model accepts: seven days after service-day midnight, which
/// covers every overnight run and keeps the index's 16-bit minutes in range.
pub const LATEST_SERVICE_MINUTE: u32 = 7 * 1440;

/// A validated timetable. Build one with [`TimetableBuilder`].
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Timetable {
    pub(crate) stations: Vec<Station>,
    pub(crate) trips: Vec<Trip>,
    pub(crate) stop_times: Vec<StopTime>,
    pub(crate) services: Vec<ServiceCalendar>,
    pub(crate) transfers: Vec<Transfer>,
    /// The IANA time zone the stop times are counted in (a GTFS feed's `agency_timezone`);
    /// none when the source does not say (the Chinese sources: Beijing time).
    #[serde(default)]
    pub(crate) time_zone: Option<String>,
}

impl Timetable {
    /// The time zone the stop times are counted in, when the source gives one.
    pub fn time_zone(&self) -> Option<&str> {
        self.time_zone.as_deref()
    }
    /// The time zone a station's times are shown in: its own, else the timetable's.
    pub fn time_zone_of(&self, station: StationId) -> Option<&str> {
        self.station(station)
            .time_zone
            .as_deref()
            .or(self.time_zone.as_deref())
    }
    pub fn stations(&self) -> &[Station] {
        &self.stations
    }
    pub fn station(&self, id: StationId) -> &Station {
        &self.stations[id.0 as usize]
    }
    pub fn trips(&self) -> &[Trip] {
        &self.trips
    }
    pub fn trip(&self, id: TripId) -> &Trip {
        &self.trips[id.0 as usize]
    }
    pub fn services(&self) -> &[ServiceCalendar] {
        &self.services
    }
    pub fn transfers(&self) -> &[Transfer] {
        &self.transfers
    }
    /// Total number of stop times over all trips.
    pub fn stop_time_count(&self) -> usize {
        self.stop_times.len()
    }
    /// The stop times of one trip, in order.
    pub fn stop_times_of(&self, id: TripId) -> &[StopTime] {
        let trip = self.trip(id);
        &self.stop_times
            [trip.first_stop_time as usize..(trip.first_stop_time + trip.stop_time_count) as usize]
    }
    /// Whether the trip runs on `date` (trips without a calendar run every day).
    pub fn trip_runs_on(&self, id: TripId, date: ServiceDate) -> bool {
        match self.trip(id).service {
            None => true,
            Some(service) => self.services[service.0 as usize].runs_on(date),
        }
    }
    /// The latest stop time of any trip, which tells how many earlier service days can still
    /// have trains running on a given date.
    pub fn latest_service_minute(&self) -> ServiceMinute {
        self.stop_times
            .iter()
            .map(|stop| stop.arrival.max(stop.departure))
            .max()
            .unwrap_or(0)
    }
    /// First station whose name is exactly `name`.
    pub fn station_by_name(&self, name: &str) -> Option<StationId> {
        self.stations
            .iter()
            .position(|station| station.name == name)
            .map(|index| StationId(index as u32))
    }

    /// Gives each station that has no city code the one `code_of` finds for it (for example
    /// by its city's name among the region's cities), so that the product can map its cities
    /// to the stations of an imported timetable.
    pub fn assign_city_codes(&mut self, code_of: impl Fn(&Station) -> Option<u32>) {
        for station in &mut self.stations {
            if station.city_admin_code.is_none() {
                station.city_admin_code = code_of(station);
            }
        }
    }

    /// Resolves what a person types as an origin: a station's id, code or name (Chinese or
    /// English, any case, pinyin, a unique prefix), a city name, or a six-digit city code. A
    /// city gives all its stations, so "上海" starts from Shanghai, Shanghai Hongqiao and
    /// Shanghai South at once. Empty when nothing or several stations match; use
    /// [`Timetable::find_place`] for the reason and the closest names.
    pub fn resolve_place(&self, text: &str) -> Vec<StationId> {
        self.find_place(text).unwrap_or_default()
    }
}

/// Assembles a [`Timetable`], checking every trip as it is added.
#[derive(Debug, Default)]
pub struct TimetableBuilder {
    timetable: Timetable,
    station_by_name: HashMap<String, StationId>,
    forbidden_transfers: Vec<(StationId, StationId)>,
}

impl TimetableBuilder {
    pub fn new() -> TimetableBuilder {
        TimetableBuilder::default()
    }

    /// Adds a station; a change time of 0 is raised to 1 (see [`DEFAULT_MINIMUM_CHANGE_MINUTES`]).
    pub fn add_station(&mut self, mut station: Station) -> StationId {
        station.minimum_change_minutes = station.minimum_change_minutes.max(1);
        let id = StationId(self.timetable.stations.len() as u32);
        self.station_by_name
            .entry(station.name.clone())
            .or_insert(id);
        self.timetable.stations.push(station);
        id
    }

    /// The station named `name`, added with `make` if it is not there yet.
    pub fn station_named(&mut self, name: &str, make: impl FnOnce() -> Station) -> StationId {
        if let Some(&id) = self.station_by_name.get(name) {
            return id;
        }
        self.add_station(make())
    }

    pub fn station_count(&self) -> usize {
        self.timetable.stations.len()
    }

    pub fn station_mut(&mut self, id: StationId) -> &mut Station {
        &mut self.timetable.stations[id.0 as usize]
    }

    pub fn set_time_zone(&mut self, time_zone: Option<String>) {
        self.timetable.time_zone = time_zone;
    }

    pub fn add_service(&mut self, service: ServiceCalendar) -> ServiceId {
        self.timetable.services.push(service);
        ServiceId(self.timetable.services.len() as u32 - 1)
    }

    pub fn service_mut(&mut self, id: ServiceId) -> &mut ServiceCalendar {
        &mut self.timetable.services[id.0 as usize]
    }

    /// Adds a trip after checking that it has two or more stops, known stations and service,
    /// and times that never go backwards.
    pub fn add_trip(
        &mut self,
        train_number: &str,
        service: Option<ServiceId>,
        stops: &[StopTime],
    ) -> Result<TripId, ModelError> {
        let name = || train_number.to_string();
        if stops.len() < 2 {
            return Err(ModelError::TooFewStops {
                train_number: name(),
                count: stops.len(),
            });
        }
        if let Some(service) = service {
            if service.0 as usize >= self.timetable.services.len() {
                return Err(ModelError::UnknownService {
                    train_number: name(),
                    service: service.0,
                });
            }
        }
        let mut previous_departure = 0;
        for (position, stop) in stops.iter().enumerate() {
            if stop.station.0 as usize >= self.timetable.stations.len() {
                return Err(ModelError::UnknownStation {
                    train_number: name(),
                    station: stop.station.0,
                });
            }
            if stop.departure < stop.arrival || (position > 0 && stop.arrival < previous_departure)
            {
                return Err(ModelError::TimesGoBackwards {
                    train_number: name(),
                    position,
                });
            }
            if stop.departure > LATEST_SERVICE_MINUTE {
                return Err(ModelError::TimeTooLate {
                    train_number: name(),
                    minutes: stop.departure,
                    limit: LATEST_SERVICE_MINUTE,
                });
            }
            previous_departure = stop.departure;
        }
        let trip = Trip {
            train_number: train_number.to_string(),
            service,
            first_stop_time: self.timetable.stop_times.len() as u32,
            stop_time_count: stops.len() as u32,
            continues_in_seat_as: None,
        };
        self.timetable.stop_times.extend_from_slice(stops);
        self.timetable.trips.push(trip);
        Ok(TripId(self.timetable.trips.len() as u32 - 1))
    }

    /// Lets passengers of `from` stay on board as it becomes `to` (an in-seat transfer). The
    /// two must meet: `to` starts at the station where `from` ends, no earlier than `from`
    /// arrives there. A trip continues as at most one trip; a later call replaces it.
    pub fn continue_in_seat(&mut self, from: TripId, to: TripId) -> Result<(), ModelError> {
        let trips = &self.timetable.trips;
        let impossible = |reason: &str| ModelError::InSeatTransferImpossible {
            from: trips
                .get(from.0 as usize)
                .map_or_else(|| format!("#{}", from.0), |trip| trip.train_number.clone()),
            to: trips
                .get(to.0 as usize)
                .map_or_else(|| format!("#{}", to.0), |trip| trip.train_number.clone()),
            reason: reason.to_string(),
        };
        if from.0 as usize >= trips.len() || to.0 as usize >= trips.len() {
            return Err(impossible("unknown trip"));
        }
        if from == to {
            return Err(impossible("a trip cannot continue as itself"));
        }
        let last = *self
            .timetable
            .stop_times_of(from)
            .last()
            .expect("two stops");
        let first = self.timetable.stop_times_of(to)[0];
        if last.station != first.station {
            return Err(impossible(
                "the second trip does not start where the first one ends",
            ));
        }
        if first.departure < last.arrival {
            return Err(impossible(
                "the second trip leaves before the first one arrives",
            ));
        }
        self.timetable.trips[from.0 as usize].continues_in_seat_as = Some(to);
        Ok(())
    }

    /// Undoes an in-seat transfer from `from` to `to`, if there is one (GTFS transfer type 5).
    pub fn forbid_in_seat(&mut self, from: TripId, to: TripId) {
        if let Some(trip) = self.timetable.trips.get_mut(from.0 as usize) {
            if trip.continues_in_seat_as == Some(to) {
                trip.continues_in_seat_as = None;
            }
        }
    }

    /// Removes the walk from `from` to `to` and keeps [`Self::add_city_transfers`] from
    /// adding one (GTFS transfer type 3 between two stations).
    pub fn forbid_transfer(&mut self, from: StationId, to: StationId) {
        self.timetable
            .transfers
            .retain(|transfer| !(transfer.from == from && transfer.to == to));
        self.forbidden_transfers.push((from, to));
    }

    /// Adds a one-way transfer; a zero-minute transfer is raised to 1 for the reason given at
    /// [`DEFAULT_MINIMUM_CHANGE_MINUTES`]. A transfer from a station to itself sets its
    /// minimum change time instead, as GTFS `transfers.txt` does.
    pub fn add_transfer(
        &mut self,
        from: StationId,
        to: StationId,
        minutes: u16,
    ) -> Result<(), ModelError> {
        let station_count = self.timetable.stations.len() as u32;
        if from.0 >= station_count || to.0 >= station_count {
            return Err(ModelError::UnknownTransferStation {
                from: from.0,
                to: to.0,
            });
        }
        let minutes = minutes.max(1);
        if from == to {
            self.timetable.stations[from.0 as usize].minimum_change_minutes = minutes;
            return Ok(());
        }
        match self
            .timetable
            .transfers
            .iter_mut()
            .find(|transfer| transfer.from == from && transfer.to == to)
        {
            Some(existing) => existing.minutes = minutes,
            None => self
                .timetable
                .transfers
                .push(Transfer { from, to, minutes }),
        }
        Ok(())
    }

    /// Adds transfers both ways between every pair of stations of the same city that has no
    /// explicit transfer yet, taking `minutes_for(from, to)` as the time (e.g. a metro ride
    /// estimated from the distance).
    pub fn add_city_transfers(&mut self, mut minutes_for: impl FnMut(&Station, &Station) -> u16) {
        let mut by_city: HashMap<&str, Vec<usize>> = HashMap::new();
        for (index, station) in self.timetable.stations.iter().enumerate() {
            by_city
                .entry(station.city_name.as_str())
                .or_default()
                .push(index);
        }
        let mut new_transfers = Vec::new();
        for members in by_city.values() {
            for &from in members {
                for &to in members {
                    let exists = self.timetable.transfers.iter().any(|transfer| {
                        transfer.from.0 as usize == from && transfer.to.0 as usize == to
                    }) || self
                        .forbidden_transfers
                        .contains(&(StationId(from as u32), StationId(to as u32)));
                    if from != to && !exists {
                        let minutes = minutes_for(
                            &self.timetable.stations[from],
                            &self.timetable.stations[to],
                        )
                        .max(1);
                        new_transfers.push(Transfer {
                            from: StationId(from as u32),
                            to: StationId(to as u32),
                            minutes,
                        });
                    }
                }
            }
        }
        new_transfers.sort_by_key(|transfer| (transfer.from, transfer.to));
        self.timetable.transfers.extend(new_transfers);
    }

    pub fn build(self) -> Timetable {
        self.timetable
    }
}

/// A city transfer time estimated from the straight-line distance: 30 minutes of access and
/// egress plus a metro at 30 km/h; 60 minutes when a station has no coordinates.
pub fn estimated_city_transfer_minutes(from: &Station, to: &Station) -> u16 {
    match (from.coordinates, to.coordinates) {
        (Some(a), Some(b)) => (30.0 + a.distance_km(b) * 2.0).round().min(240.0) as u16,
        _ => 60,
    }
}
