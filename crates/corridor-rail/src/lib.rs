//! Corridor's rail timetables and routing.
//!
//! Timetables come in through importers (GTFS, the qETRC/pyETRC train-diagram JSON, the
//! RailwayVIS city-level national timetable) or the demo generator, become a validated
//! [`Timetable`], and are compiled per service day into a [`RoutingIndex`]: all connections of
//! the day in one array sorted by departure. Queries scan that array (Connection Scan):
//! one-to-all earliest arrival with journeys, profiles over a departure window, and
//! bit-parallel reachability from many origins at once.
//!
//! **Architecture Invariant:** the routing core (`index`, `scan`, `profile`, `reach`) is pure:
//! no I/O, no async, no clock, no global state. Only the `import` module reads files, and only
//! the benchmark reads the clock.
//!
//! **Architecture Invariant:** a query allocates nothing per scanned connection; labels live in
//! caller-owned workspaces and are invalidated by epoch counters, not cleared.
//!
//! **Architecture Invariant:** every minimum change time and transfer is at least one minute.
//! Connections of one minute are ordered by arrival and trip position, so with that rule one
//! forward scan sees every feasible change in time order and the scan is exact; the
//! brute-force router of the tests checks it on random timetables.
//!
//! **Architecture Invariant:** the demo timetable generator is deterministic: the same seed
//! gives the same timetable, value for value.

pub mod bench;
pub mod date;
pub mod demo;
mod demo_data;
pub mod import;
pub mod index;
pub mod local_time;
pub mod lookup;
pub mod model;
pub mod profile;
pub mod reach;
pub mod scan;

pub use date::{ServiceDate, Weekday};
pub use index::{Connection, IndexMinute, RoutingIndex, ServiceDay};
pub use model::{
    ServiceCalendar, ServiceId, ServiceMinute, Station, StationId, StopTime, Timetable,
    TimetableBuilder, Transfer, Trip, TripId, Wgs84,
};
pub use profile::{profile, DepartureArrival, Profile, ProfileQuery, ProfileWorkspace};
pub use reach::{reachable_within, ReachMatrix, ReachQuery, ReachWorkspace, ORIGINS_PER_PASS};
pub use scan::{
    earliest_arrival, EarliestArrivalQuery, EarliestArrivals, Journey, JourneyLeg, ScanWorkspace,
};

/// Formats index minutes as `HH:MM`, with hours past 24 for the next day(s).
pub fn format_minute(minute: u32) -> String {
    format!("{:02}:{:02}", minute / 60, minute % 60)
}

/// Parses `HH:MM` or `H:MM` (hours may pass 24) into minutes.
pub fn parse_hours_minutes(text: &str) -> Option<u32> {
    let (hours, minutes) = text.trim().split_once(':')?;
    let hours: u32 = hours.parse().ok()?;
    let minutes: u32 = minutes.parse().ok()?;
    (minutes < 60 && !hours.to_string().is_empty()).then_some(hours * 60 + minutes)
}
