//! Weekly opening hours in an instrument's own time zone.
//!
//! The text form is what a facility manager would write on a door: `Mon-Fri 08:30-17:30;
//! Sat 09:00-12:00`. It is also the stored and the API form, so the database, the JSON and
//! the web form agree without a translation layer.

use std::fmt;

use jiff::civil::Weekday;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::DomainError;

const FIELD: &str = "opening_hours";
const WEEKDAYS: [Weekday; 7] = [
    Weekday::Monday,
    Weekday::Tuesday,
    Weekday::Wednesday,
    Weekday::Thursday,
    Weekday::Friday,
    Weekday::Saturday,
    Weekday::Sunday,
];
const WEEKDAY_NAMES: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/// Minutes since local midnight, 0 to 1440 inclusive (1440 is the end of the day).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MinuteOfDay(u16);

impl MinuteOfDay {
    pub const END_OF_DAY: MinuteOfDay = MinuteOfDay(1440);

    pub fn new(minute: u16) -> Result<MinuteOfDay, DomainError> {
        if minute <= 1440 {
            Ok(MinuteOfDay(minute))
        } else {
            Err(DomainError::invalid(
                FIELD,
                format!("minute {minute} is past the end of the day"),
            ))
        }
    }

    pub fn get(self) -> u16 {
        self.0
    }

    fn parse(text: &str) -> Result<MinuteOfDay, DomainError> {
        let invalid =
            || DomainError::invalid(FIELD, format!("{text:?} is not a time of day like 08:30"));
        let (hours, minutes) = text.split_once(':').ok_or_else(invalid)?;
        if hours.is_empty() || hours.len() > 2 || minutes.len() != 2 {
            return Err(invalid());
        }
        let hours: u16 = hours.parse().map_err(|_| invalid())?;
        let minutes: u16 = minutes.parse().map_err(|_| invalid())?;
        if minutes >= 60 || hours > 24 || (hours == 24 && minutes != 0) {
            return Err(invalid());
        }
        MinuteOfDay::new(hours * 60 + minutes)
    }
}

impl fmt::Display for MinuteOfDay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02}", self.0 / 60, self.0 % 60)
    }
}

/// One open stretch on one weekday; `start < end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct OpeningInterval {
    /// Monday is 0, Sunday is 6.
    weekday_index: u8,
    pub start: MinuteOfDay,
    pub end: MinuteOfDay,
}

impl OpeningInterval {
    pub fn new(
        weekday: Weekday,
        start: MinuteOfDay,
        end: MinuteOfDay,
    ) -> Result<OpeningInterval, DomainError> {
        if start >= end {
            return Err(DomainError::invalid(
                FIELD,
                format!("an interval must end after it starts ({start}-{end})"),
            ));
        }
        Ok(OpeningInterval {
            weekday_index: weekday.to_monday_zero_offset() as u8,
            start,
            end,
        })
    }

    pub fn weekday(&self) -> Weekday {
        WEEKDAYS[self.weekday_index as usize]
    }

    pub fn minutes(&self) -> u32 {
        u32::from(self.end.0 - self.start.0)
    }
}

/// The hours an instrument is open in a normal week: sorted, with overlapping or touching
/// intervals of a day merged, so that two equal schedules are equal values.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct WeeklyOpeningHours {
    intervals: Vec<OpeningInterval>,
}

impl WeeklyOpeningHours {
    pub fn from_intervals(mut intervals: Vec<OpeningInterval>) -> WeeklyOpeningHours {
        intervals.sort();
        let mut merged: Vec<OpeningInterval> = Vec::with_capacity(intervals.len());
        for interval in intervals {
            match merged.last_mut() {
                Some(last)
                    if last.weekday_index == interval.weekday_index
                        && interval.start <= last.end =>
                {
                    last.end = last.end.max(interval.end);
                }
                _ => merged.push(interval),
            }
        }
        WeeklyOpeningHours { intervals: merged }
    }

    /// Parses `Mon-Fri 08:30-17:30; Sat 09:00-12:00,13:00-16:00`. Groups are separated by
    /// `;`, a group is a day or a day range and one or more comma-separated intervals. An
    /// empty text or `closed` means never open.
    pub fn parse(text: &str) -> Result<WeeklyOpeningHours, DomainError> {
        let text = text.trim();
        if text.is_empty() || text.eq_ignore_ascii_case("closed") {
            return Ok(WeeklyOpeningHours::default());
        }
        if text.len() > 1_000 {
            return Err(DomainError::invalid(
                FIELD,
                "is longer than 1,000 characters",
            ));
        }
        let mut intervals = Vec::new();
        for group in text
            .split(';')
            .map(str::trim)
            .filter(|group| !group.is_empty())
        {
            let (days, times) = group.split_once(char::is_whitespace).ok_or_else(|| {
                DomainError::invalid(
                    FIELD,
                    format!("{group:?} needs days and times, like \"Mon-Fri 08:00-18:00\""),
                )
            })?;
            let day_indices = parse_day_range(days.trim())?;
            for span in times.split(',').map(str::trim) {
                let (start, end) = span.split_once('-').ok_or_else(|| {
                    DomainError::invalid(
                        FIELD,
                        format!("{span:?} is not an interval like 08:00-18:00"),
                    )
                })?;
                let (start, end) = (
                    MinuteOfDay::parse(start.trim())?,
                    MinuteOfDay::parse(end.trim())?,
                );
                for &day in &day_indices {
                    intervals.push(OpeningInterval::new(WEEKDAYS[day], start, end)?);
                }
            }
        }
        Ok(WeeklyOpeningHours::from_intervals(intervals))
    }

    pub fn intervals(&self) -> &[OpeningInterval] {
        &self.intervals
    }

    pub fn is_open_at(&self, weekday: Weekday, minute: MinuteOfDay) -> bool {
        self.intervals.iter().any(|interval| {
            interval.weekday() == weekday && interval.start <= minute && minute < interval.end
        })
    }

    pub fn open_minutes_per_week(&self) -> u32 {
        self.intervals.iter().map(OpeningInterval::minutes).sum()
    }

    fn intervals_of_day(&self, day: usize) -> Vec<(MinuteOfDay, MinuteOfDay)> {
        self.intervals
            .iter()
            .filter(|i| i.weekday_index as usize == day)
            .map(|i| (i.start, i.end))
            .collect()
    }
}

fn parse_day(name: &str) -> Result<usize, DomainError> {
    WEEKDAY_NAMES
        .iter()
        .position(|candidate| candidate.eq_ignore_ascii_case(name))
        .ok_or_else(|| {
            DomainError::invalid(
                FIELD,
                format!("{name:?} is not a weekday (Mon, Tue, Wed, Thu, Fri, Sat, Sun)"),
            )
        })
}

fn parse_day_range(days: &str) -> Result<Vec<usize>, DomainError> {
    match days.split_once('-') {
        None => Ok(vec![parse_day(days)?]),
        Some((first, last)) => {
            let (first, last) = (parse_day(first)?, parse_day(last)?);
            if first > last {
                return Err(DomainError::invalid(
                    FIELD,
                    format!("{days:?} runs backwards; write days from Monday to Sunday"),
                ));
            }
            Ok((first..=last).collect())
        }
    }
}

impl fmt::Display for WeeklyOpeningHours {
    /// Writes the shortest canonical text: consecutive days with the same intervals become
    /// one range, so `parse(display(hours)) == hours` for every value.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.intervals.is_empty() {
            return f.write_str("closed");
        }
        let days: Vec<_> = (0..7).map(|day| self.intervals_of_day(day)).collect();
        let mut first_group = true;
        let mut day = 0;
        while day < 7 {
            if days[day].is_empty() {
                day += 1;
                continue;
            }
            let mut last = day;
            while last + 1 < 7 && days[last + 1] == days[day] {
                last += 1;
            }
            if !first_group {
                f.write_str("; ")?;
            }
            first_group = false;
            if last == day {
                f.write_str(WEEKDAY_NAMES[day])?;
            } else {
                write!(f, "{}-{}", WEEKDAY_NAMES[day], WEEKDAY_NAMES[last])?;
            }
            for (index, (start, end)) in days[day].iter().enumerate() {
                f.write_str(if index == 0 { " " } else { "," })?;
                write!(f, "{start}-{end}")?;
            }
            day = last + 1;
        }
        Ok(())
    }
}

impl Serialize for WeeklyOpeningHours {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for WeeklyOpeningHours {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        WeeklyOpeningHours::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// An IANA time zone name known to the bundled time zone database (e.g. `Asia/Shanghai`).
///
/// The database is compiled into the binary so that the same name means the same rules on
/// every machine, and so that checking a name is pure.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct TimeZoneName(String);

impl TimeZoneName {
    pub fn parse(name: &str) -> Result<TimeZoneName, DomainError> {
        let name = name.trim();
        match jiff::tz::db().get(name) {
            Ok(_) => Ok(TimeZoneName(name.to_owned())),
            Err(_) => Err(DomainError::invalid(
                "time_zone",
                format!("{name:?} is not an IANA time zone name like Asia/Shanghai"),
            )),
        }
    }

    pub fn utc() -> TimeZoneName {
        TimeZoneName("UTC".to_owned())
    }

    pub fn asia_shanghai() -> TimeZoneName {
        TimeZoneName("Asia/Shanghai".to_owned())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The zone's rules from the bundled database (the name was checked when parsed).
    pub fn zone(&self) -> jiff::tz::TimeZone {
        jiff::tz::db()
            .get(&self.0)
            .expect("a TimeZoneName is a name the bundled database knows")
    }
}

/// UTC: the zone of a region that named none.
impl Default for TimeZoneName {
    fn default() -> TimeZoneName {
        TimeZoneName::utc()
    }
}

impl<'de> Deserialize<'de> for TimeZoneName {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        TimeZoneName::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn parses_the_usual_door_sign() {
        let hours =
            WeeklyOpeningHours::parse("Mon-Fri 08:30-12:00,13:00-17:30; Sat 09:00-12:00").unwrap();
        assert_eq!(hours.intervals().len(), 11);
        assert_eq!(hours.open_minutes_per_week(), 5 * (210 + 270) + 180);
        assert!(hours.is_open_at(Weekday::Tuesday, MinuteOfDay::new(8 * 60 + 30).unwrap()));
        assert!(!hours.is_open_at(Weekday::Tuesday, MinuteOfDay::new(12 * 60 + 30).unwrap()));
        assert!(!hours.is_open_at(Weekday::Sunday, MinuteOfDay::new(10 * 60).unwrap()));
        assert_eq!(
            hours.to_string(),
            "Mon-Fri 08:30-12:00,13:00-17:30; Sat 09:00-12:00"
        );
    }

    #[test]
    fn merges_overlaps_and_accepts_whole_days() {
        let hours =
            WeeklyOpeningHours::parse("Mon 08:00-12:00; Mon 11:00-14:00; Sun 00:00-24:00").unwrap();
        assert_eq!(hours.to_string(), "Mon 08:00-14:00; Sun 00:00-24:00");
        assert_eq!(
            WeeklyOpeningHours::parse("closed")
                .unwrap()
                .open_minutes_per_week(),
            0
        );
    }

    #[test]
    fn refuses_malformed_text_with_a_reason() {
        for bad in [
            "Mon",
            "Funday 08:00-09:00",
            "Fri-Mon 08:00-09:00",
            "Mon 09:00-08:00",
            "Mon 25:00-26:00",
            "Mon 08:00",
            "Mon 8:0-9:00",
            "Mon 24:30-24:45",
        ] {
            let error = WeeklyOpeningHours::parse(bad).unwrap_err();
            assert_eq!(error.field, "opening_hours", "{bad}");
        }
    }

    #[test]
    fn time_zone_names_come_from_the_bundled_database() {
        assert_eq!(
            TimeZoneName::parse("Europe/Berlin").unwrap().as_str(),
            "Europe/Berlin"
        );
        assert!(TimeZoneName::parse("Mars/Olympus").is_err());
    }

    fn arbitrary_interval() -> impl Strategy<Value = OpeningInterval> {
        (0usize..7, 0u16..1440, 1u16..=1440).prop_filter_map("start before end", |(day, a, b)| {
            let (start, end) = (a.min(b), a.max(b));
            (start < end).then(|| {
                OpeningInterval::new(WEEKDAYS[day], MinuteOfDay(start), MinuteOfDay(end)).unwrap()
            })
        })
    }

    proptest! {
        #[test]
        fn text_form_round_trips(intervals in prop::collection::vec(arbitrary_interval(), 0..20)) {
            let hours = WeeklyOpeningHours::from_intervals(intervals);
            let reparsed = WeeklyOpeningHours::parse(&hours.to_string()).unwrap();
            prop_assert_eq!(reparsed, hours);
        }

        #[test]
        fn normalised_intervals_never_overlap_and_keep_every_open_minute(intervals in prop::collection::vec(arbitrary_interval(), 0..20)) {
            let hours = WeeklyOpeningHours::from_intervals(intervals.clone());
            for pair in hours.intervals().windows(2) {
                prop_assert!(pair[0].weekday_index < pair[1].weekday_index || pair[0].end < pair[1].start);
            }
            for interval in &intervals {
                for minute in [interval.start.0, interval.end.0 - 1] {
                    prop_assert!(hours.is_open_at(interval.weekday(), MinuteOfDay(minute)));
                }
            }
        }
    }
}
