//! Local days and open time: each zone's days in the window, their demand weights, and the open pieces of an instrument's calendar.

use super::*;

/// The days of the history window in one time zone.
pub(super) struct ZoneDays {
    /// `PAST_DAYS + FUTURE_DAYS` days, the first `PAST_DAYS` before `today`.
    pub(super) days: Vec<ZoneDay>,
    /// Monday-zero weekday of the first day, to number quota weeks.
    pub(super) first_weekday: u8,
    /// The minute (since the Unix epoch) at which `today` starts in this zone.
    pub(super) today_start: i64,
}

pub(super) struct ZoneDay {
    /// Minute (since the Unix epoch) of local midnight; `None` on days whose clocks change.
    pub(super) midnight: Option<i64>,
    pub(super) weekday: u8,
    /// Demand weight of the day: season, weekday and, for days ahead, how far ahead.
    pub(super) weight: f64,
}

impl ZoneDays {
    pub(super) fn new(name: &TimeZoneName, today: Date) -> ZoneDays {
        let zone = jiff::tz::db().get(name.as_str()).unwrap_or(TimeZone::UTC);
        let start_of = |date: Date| -> Option<Timestamp> {
            let zoned = date.to_zoned(zone.clone()).ok()?;
            (zoned.hour() == 0 && zoned.minute() == 0 && zoned.second() == 0)
                .then(|| zoned.timestamp())
        };
        let first = today
            .checked_sub(PAST_DAYS.days())
            .expect("dates a year back exist");
        let total = (PAST_DAYS + FUTURE_DAYS) as usize;
        let mut days = Vec::with_capacity(total);
        let mut date = first;
        let mut midnight = start_of(date);
        for index in 0..total {
            let next = date.tomorrow().expect("dates exist");
            let next_midnight = start_of(next);
            let regular = match (midnight, next_midnight) {
                (Some(start), Some(end)) => {
                    end.as_second() - start.as_second() == 86_400
                        && start.as_second() % 60 == 0
                        && zone.to_offset(start)
                            == zone.to_offset(end - SignedDuration::from_secs(1))
                }
                _ => false,
            };
            let weekday = date.weekday().to_monday_zero_offset() as u8;
            let ahead = index as i64 - PAST_DAYS;
            let horizon = if ahead >= 0 {
                // Most bookings are made days, not weeks, ahead.
                0.9 * (-(ahead as f64) / 16.0).exp() + 0.04
            } else {
                1.0
            };
            days.push(ZoneDay {
                midnight: if regular {
                    midnight.map(|start| start.as_second() / 60)
                } else {
                    None
                },
                weekday,
                weight: season_weight(date) * WEEKDAY_WEIGHTS[weekday as usize] * horizon,
            });
            date = next;
            midnight = next_midnight;
        }
        let today_start = today
            .to_zoned(zone.clone())
            .map(|zoned| zoned.timestamp().as_second().div_euclid(60))
            .expect("today exists in every zone");
        ZoneDays {
            days,
            first_weekday: first.weekday().to_monday_zero_offset() as u8,
            today_start,
        }
    }
}

pub(super) const WEEKDAY_WEIGHTS: [f64; 7] = [1.0, 1.05, 1.05, 1.0, 0.95, 0.45, 0.3];

/// Spring Festival (Chinese New Year's Day) by Gregorian year.
pub(super) const SPRING_FESTIVALS: [(i16, i8, i8); 25] = [
    (2016, 2, 8),
    (2017, 1, 28),
    (2018, 2, 16),
    (2019, 2, 5),
    (2020, 1, 25),
    (2021, 2, 12),
    (2022, 2, 1),
    (2023, 1, 22),
    (2024, 2, 10),
    (2025, 1, 29),
    (2026, 2, 17),
    (2027, 2, 6),
    (2028, 1, 26),
    (2029, 2, 13),
    (2030, 2, 3),
    (2031, 1, 23),
    (2032, 2, 11),
    (2033, 1, 31),
    (2034, 2, 19),
    (2035, 2, 8),
    (2036, 1, 28),
    (2037, 2, 15),
    (2038, 2, 4),
    (2039, 1, 24),
    (2040, 2, 12),
];

pub(super) fn spring_festival(year: i16) -> Date {
    SPRING_FESTIVALS
        .iter()
        .find(|(candidate, _, _)| *candidate == year)
        .map(|&(year, month, day)| Date::new(year, month, day))
        .unwrap_or_else(|| Date::new(year, 2, 5))
        .expect("typed-in dates are valid")
}

/// Days from `a` to `b` (positive when `b` is later).
pub(super) fn days_between(a: Date, b: Date) -> i64 {
    civil_day_number(b) - civil_day_number(a)
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
pub(super) fn civil_day_number(date: Date) -> i64 {
    let (year, month, day) = (
        i64::from(date.year()),
        i64::from(date.month()),
        i64::from(date.day()),
    );
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_index = (month + 9) % 12;
    let day_of_year = (153 * month_index + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// How busy labs are on a date, 1.0 being an ordinary term-time day: quiet over the Spring
/// Festival and the winter break around it, in the summer holidays (August most), and in
/// the National Day and May Day holidays.
pub(super) fn season_weight(date: Date) -> f64 {
    let festival_offset = (date.year() - 1..=date.year() + 1)
        .map(|year| days_between(spring_festival(year), date))
        .min_by_key(|offset| offset.abs())
        .unwrap_or(i64::MAX);
    let mut weight = match festival_offset {
        -7..=8 => 0.2,
        -21..=21 => 0.7,
        _ => 1.0,
    };
    weight *= match (date.month(), date.day()) {
        (8, _) => 0.6,
        (7, day) if day > 10 => 0.8,
        (10, 1..=7) => 0.35,
        (5, 1..=5) => 0.55,
        (1, 1) => 0.4,
        _ => 1.0,
    };
    weight
}

/// A stretch of open time on one local day, on the slot grid, within one demand band.
#[derive(Debug, Clone, Copy)]
pub(super) struct Piece {
    /// Minutes since the Unix epoch.
    pub(super) start: i64,
    pub(super) end: i64,
    /// Where the open time that continues from this piece without a gap ends.
    pub(super) run_end: i64,
    /// Local midnight of the piece's day.
    pub(super) midnight: i64,
    /// Index of the day in the window.
    pub(super) day: u16,
    pub(super) weight: f64,
}

/// Open time over the whole window for one (zone, weekly hours, slot).
pub(super) struct Calendar {
    pub(super) pieces: Vec<Piece>,
    pub(super) first_weekday: u8,
    pub(super) today_start: i64,
}

/// Demand by local time of day: evenings and nights are quieter than the working day.
pub(super) const BANDS: [(u16, u16, f64); 3] =
    [(0, 480, 0.25), (480, 1200, 1.0), (1200, 1440, 0.4)];

impl Calendar {
    pub(super) fn new(zone: &ZoneDays, hours: &WeeklyOpeningHours, slot: u32) -> Calendar {
        let slot = slot as u16;
        let mut per_weekday: [Vec<(u16, u16)>; 7] = Default::default();
        for interval in hours.intervals() {
            let start = interval.start.get().div_ceil(slot) * slot;
            let end = interval.end.get() / slot * slot;
            if start < end {
                per_weekday[interval.weekday().to_monday_zero_offset() as usize].push((start, end));
            }
        }
        let mut pieces = Vec::new();
        for (index, day) in zone.days.iter().enumerate() {
            let Some(midnight) = day.midnight else {
                continue;
            };
            for &(start, end) in &per_weekday[day.weekday as usize] {
                for &(band_start, band_end, band_weight) in &BANDS {
                    let (start, end) = (start.max(band_start), end.min(band_end));
                    if start < end {
                        pieces.push(Piece {
                            start: midnight + i64::from(start),
                            end: midnight + i64::from(end),
                            run_end: 0,
                            midnight,
                            day: index as u16,
                            weight: (day.weight * band_weight).max(0.005),
                        });
                    }
                }
            }
        }
        for index in (0..pieces.len()).rev() {
            pieces[index].run_end = match pieces.get(index + 1) {
                Some(next) if next.start == pieces[index].end => next.run_end,
                _ => pieces[index].end,
            };
        }
        Calendar {
            pieces,
            first_weekday: zone.first_weekday,
            today_start: zone.today_start,
        }
    }
}
