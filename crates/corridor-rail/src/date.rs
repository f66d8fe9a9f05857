//! Calendar dates of service days.
//!
//! A timetable only needs proleptic Gregorian dates, their weekday and day arithmetic, so a
//! small day-number type keeps the crate free of a date-time dependency and keeps the core pure.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A calendar date, stored as the number of days since 1970-01-01 so that comparisons and
/// "the day before" are integer operations.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ServiceDate {
    days_since_unix_epoch: i32,
}

/// Day of the week, Monday first as in GTFS `calendar.txt`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Weekday {
    Monday,
    Tuesday,
    Wednesday,
    Thursday,
    Friday,
    Saturday,
    Sunday,
}

impl Weekday {
    /// Index 0 for Monday through 6 for Sunday, the column order of GTFS `calendar.txt`.
    pub fn index_from_monday(self) -> usize {
        self as usize
    }
}

impl ServiceDate {
    /// Builds a date from year, month and day, refusing impossible dates.
    pub fn from_ymd(year: i32, month: u32, day: u32) -> Option<ServiceDate> {
        if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
            return None;
        }
        Some(ServiceDate {
            days_since_unix_epoch: days_from_civil(year, month, day),
        })
    }

    /// Parses the GTFS form `YYYYMMDD`.
    pub fn parse_gtfs(text: &str) -> Option<ServiceDate> {
        let text = text.trim();
        if text.len() != 8 || !text.bytes().all(|byte| byte.is_ascii_digit()) {
            return None;
        }
        let year = text[0..4].parse().ok()?;
        let month = text[4..6].parse().ok()?;
        let day = text[6..8].parse().ok()?;
        ServiceDate::from_ymd(year, month, day)
    }

    /// Parses the ISO form `YYYY-MM-DD` used on the command line and in the HTTP API.
    pub fn parse_iso(text: &str) -> Option<ServiceDate> {
        let text = text.trim();
        let mut parts = text.split('-');
        let year = parts.next()?.parse().ok()?;
        let month = parts.next()?.parse().ok()?;
        let day = parts.next()?.parse().ok()?;
        if parts.next().is_some() {
            return None;
        }
        ServiceDate::from_ymd(year, month, day)
    }

    /// The date `days` later (or earlier when negative).
    pub fn add_days(self, days: i32) -> ServiceDate {
        ServiceDate {
            days_since_unix_epoch: self.days_since_unix_epoch + days,
        }
    }

    /// Whole days from `other` to `self`.
    pub fn days_since(self, other: ServiceDate) -> i32 {
        self.days_since_unix_epoch - other.days_since_unix_epoch
    }

    /// The weekday; 1970-01-01 was a Thursday.
    pub fn weekday(self) -> Weekday {
        const FROM_THURSDAY: [Weekday; 7] = [
            Weekday::Thursday,
            Weekday::Friday,
            Weekday::Saturday,
            Weekday::Sunday,
            Weekday::Monday,
            Weekday::Tuesday,
            Weekday::Wednesday,
        ];
        FROM_THURSDAY[self.days_since_unix_epoch.rem_euclid(7) as usize]
    }

    /// Year, month and day.
    pub fn ymd(self) -> (i32, u32, u32) {
        civil_from_days(self.days_since_unix_epoch)
    }
}

impl fmt::Display for ServiceDate {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (year, month, day) = self.ymd();
        write!(formatter, "{year:04}-{month:02}-{day:02}")
    }
}

fn is_leap_year(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap_year(year) => 29,
        2 => 28,
        _ => 0,
    }
}

/// Howard Hinnant's `days_from_civil`: exact for the whole proleptic Gregorian calendar.
fn days_from_civil(year: i32, month: u32, day: u32) -> i32 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month = month as i32;
    let day_of_year =
        (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + day as i32 - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The inverse of [`days_from_civil`].
fn civil_from_days(days: i32) -> (i32, u32, u32) {
    let shifted = days + 719_468;
    let era = shifted.div_euclid(146_097);
    let day_of_era = shifted - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * month_index + 2) / 5 + 1) as u32;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    } as u32;
    let year = year_of_era + era * 400 + if month <= 2 { 1 } else { 0 };
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_weekdays_are_right() {
        let date = ServiceDate::parse_gtfs("20260126").unwrap();
        assert_eq!(date.ymd(), (2026, 1, 26));
        assert_eq!(date.weekday(), Weekday::Monday);
        assert_eq!(date.add_days(6).weekday(), Weekday::Sunday);
        assert_eq!(
            ServiceDate::parse_iso("2024-02-29").unwrap().to_string(),
            "2024-02-29"
        );
        assert!(ServiceDate::parse_iso("2023-02-29").is_none());
        assert_eq!(
            ServiceDate::from_ymd(1970, 1, 1).unwrap().weekday(),
            Weekday::Thursday
        );
    }
}
