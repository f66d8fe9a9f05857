//! Clock times as a person at a station reads them.
//!
//! The routing core counts minutes from the query day's "noon minus twelve hours" in the
//! timetable's time zone (the GTFS definition, which stays right on the days clocks change).
//! A station in another zone (a GTFS `stop_timezone`) shows its arrivals in its own zone:
//! this module turns a service date and a minute into that station's date and clock. It reads
//! the bundled time-zone database, never the system clock.

use crate::date::ServiceDate;
use crate::model::{StationId, Timetable};
use jiff::civil::{date, Time};
use jiff::tz::TimeZone;
use jiff::Span;

/// A date and clock time at a station.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LocalClock {
    pub date: ServiceDate,
    /// Minutes since that date's midnight, below 1440.
    pub minute_of_day: u32,
    /// The zone the clock is in, when the timetable names one.
    pub time_zone: Option<String>,
}

impl LocalClock {
    /// `HH:MM`, followed by `+N` when the clock is N days after `service_date`.
    pub fn format_after(&self, service_date: ServiceDate) -> String {
        let days = self.date.days_since(service_date);
        let clock = format!(
            "{:02}:{:02}",
            self.minute_of_day / 60,
            self.minute_of_day % 60
        );
        match days {
            0 => clock,
            days if days > 0 => format!("{clock}+{days}"),
            days => format!("{clock}{days}"),
        }
    }
}

/// The clock at `station` when it is `minute` minutes after the start of `service_date` in
/// the timetable's zone. Without zones (or with one zone for both) it is plain arithmetic.
pub fn local_clock(
    timetable: &Timetable,
    station: StationId,
    service_date: ServiceDate,
    minute: u32,
) -> LocalClock {
    let plain = |time_zone: Option<String>| LocalClock {
        date: service_date.add_days((minute / 1440) as i32),
        minute_of_day: minute % 1440,
        time_zone,
    };
    let (Some(feed_zone), Some(station_zone)) =
        (timetable.time_zone(), timetable.time_zone_of(station))
    else {
        return plain(timetable.time_zone_of(station).map(str::to_string));
    };
    let converted = (|| -> Option<LocalClock> {
        let feed = TimeZone::get(feed_zone).ok()?;
        let local = TimeZone::get(station_zone).ok()?;
        let (year, month, day) = service_date.ymd();
        let noon = date(year as i16, month as i8, day as i8)
            .at(12, 0, 0, 0)
            .to_zoned(feed)
            .ok()?;
        let instant = noon
            .checked_sub(Span::new().hours(12))
            .ok()?
            .checked_add(Span::new().minutes(i64::from(minute)))
            .ok()?;
        let there = instant.with_time_zone(local);
        let clock: Time = there.time();
        let there_date = there.date();
        Some(LocalClock {
            date: ServiceDate::from_ymd(
                i32::from(there_date.year()),
                there_date.month() as u32,
                there_date.day() as u32,
            )?,
            minute_of_day: clock.hour() as u32 * 60 + clock.minute() as u32,
            time_zone: Some(station_zone.to_string()),
        })
    })();
    converted.unwrap_or_else(|| plain(Some(feed_zone.to_string())))
}
