//! The week calendar of an instrument: Monday to Sunday across, one row per hour of the
//! instrument's opening hours down, in the instrument's own time zone.
//!
//! Each hour cell says what that hour is: outside the opening hours, free, partly open,
//! closed (holiday or maintenance), taken by someone, or taken by the viewer. The instrument's
//! managers see who booked; everyone else sees only "booked", as in the JSON calendar. A free
//! cell far enough ahead links to the same page with the booking form filled in for that
//! hour, so picking a time works without JavaScript.

use corridor_app::bookings::ActorCalendar;
use corridor_domain::{Language, TimeRange, WeeklyOpeningHours};
use corridor_store::BookingRecord;
use jiff::civil::{Date, DateTime, Weekday};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp, ToSpan};

use super::booking_text::{
    closure_kind_label, date_text, local_range_text, rules_summary, status_label, weekday_name,
};
use crate::i18n::Text;

pub struct CalendarDayHeader {
    pub label: String,
    pub date: String,
    pub today: bool,
}

pub struct CalendarCell {
    /// What the hour is, also the cell's CSS class and `data-state`: `free`, `partly-open`,
    /// `busy`, `mine`, `closed` or `shut` (outside the opening hours).
    pub state: &'static str,
    /// What the state is called in the page's language: written in the phone's day list and,
    /// for readers who cannot tell the colours apart, hidden in the cell for screen readers.
    pub state_label: &'static str,
    /// Whether the hour starts too soon to be booked now (in the past or within the lead
    /// time); such cells are greyed and carry no link.
    pub too_soon: bool,
    pub date: String,
    pub time: String,
    /// What is written in the cell: the bookings and closures that begin in it.
    pub lines: Vec<String>,
    /// Everything that touches the hour, for the tooltip.
    pub title: String,
    /// For free time that can still be booked: the page with the form filled in.
    pub prefill_link: Option<String>,
}

pub struct CalendarHourRow {
    pub label: String,
    pub cells: Vec<CalendarCell>,
}

pub struct ClosureLine {
    pub kind: &'static str,
    pub when: String,
    pub reason: String,
}

/// One day of the week as a list, for a phone's width: the hours the instrument is open that
/// day, each with what it is.
pub struct CalendarDayList<'a> {
    pub header: &'a CalendarDayHeader,
    pub hours: Vec<(&'a str, &'a CalendarCell)>,
}

pub struct WeekCalendarView {
    pub time_zone: String,
    pub opening_hours: String,
    pub rules_summary: String,
    pub week_label: String,
    pub previous_week_link: String,
    pub next_week_link: String,
    pub current_week_link: String,
    pub days: Vec<CalendarDayHeader>,
    pub rows: Vec<CalendarHourRow>,
    pub never_open: bool,
    pub closures: Vec<ClosureLine>,
}

impl WeekCalendarView {
    /// The week read day by day instead of hour by hour (the same cells): what a phone shows
    /// in place of the seven-column grid. Hours outside the opening hours are left out.
    pub fn day_lists(&self) -> Vec<CalendarDayList<'_>> {
        self.days
            .iter()
            .enumerate()
            .map(|(index, header)| CalendarDayList {
                header,
                hours: self
                    .rows
                    .iter()
                    .filter_map(|row| Some((row.label.as_str(), row.cells.get(index)?)))
                    .filter(|(_, cell)| cell.state != "shut")
                    .collect(),
            })
            .collect()
    }
}

/// Everything the week calendar is drawn from.
pub struct WeekCalendarInput<'a> {
    pub instrument_id: i64,
    /// The calendar as the viewer may see it (who booked what is decided by the booking
    /// service).
    pub calendar: &'a ActorCalendar,
    pub monday: Date,
    pub zone: &'a TimeZone,
    pub now: Timestamp,
    /// Whether free cells link to the prefilled booking form (only for signed-in users, who
    /// see the form).
    pub offer_prefill_links: bool,
    pub t: &'static Text,
    pub language: Language,
}

/// The Monday of the local week that contains `date`.
pub fn monday_of(date: Date) -> Date {
    let days_since_monday = i64::from(date.weekday().to_monday_zero_offset());
    date.checked_sub(days_since_monday.days()).unwrap_or(date)
}

/// The instants of local midnight at the start of `monday` and of the Monday after, in
/// `zone`: the window the store is asked for.
pub fn week_window(monday: Date, zone: &TimeZone) -> Option<TimeRange> {
    let next_monday = monday.checked_add(7.days()).ok()?;
    let start = monday.to_zoned(zone.clone()).ok()?.timestamp();
    let end = next_monday.to_zoned(zone.clone()).ok()?.timestamp();
    TimeRange::new(start, end).ok()
}

/// The first and the last hour (exclusive) any day of the week is open, so that every
/// opening interval fits in the rows; `None` for an instrument that is never open.
fn hour_rows_of(hours: &WeeklyOpeningHours) -> Option<(u16, u16)> {
    let first_minute = hours
        .intervals()
        .iter()
        .map(|interval| interval.start.get())
        .min()?;
    let last_minute = hours
        .intervals()
        .iter()
        .map(|interval| interval.end.get())
        .max()?;
    Some((first_minute / 60, last_minute.div_ceil(60).min(24)))
}

/// The minutes of `[from, to)` (minutes of the local day) that lie in the opening hours of
/// `weekday`, and the first of them.
fn open_minutes_within(
    hours: &WeeklyOpeningHours,
    weekday: Weekday,
    from: u16,
    to: u16,
) -> (u16, Option<u16>) {
    let mut open = 0;
    let mut first = None;
    for interval in hours
        .intervals()
        .iter()
        .filter(|interval| interval.weekday() == weekday)
    {
        let start = interval.start.get().max(from);
        let end = interval.end.get().min(to);
        if start < end {
            open += end - start;
            first = Some(first.map_or(start, |earlier: u16| earlier.min(start)));
        }
    }
    (open, first)
}

fn clock(local: DateTime) -> String {
    format!("{:02}:{:02}", local.hour(), local.minute())
}

/// How one booking reads in a cell: its times, and who holds it as far as the viewer may
/// know.
fn booking_line(booking: &BookingRecord, input: &WeekCalendarInput<'_>) -> String {
    let t = input.t;
    let start = booking.range.start.to_zoned(input.zone.clone()).datetime();
    let end = booking.range.end.to_zoned(input.zone.clone()).datetime();
    let times = format!("{}–{}", clock(start), clock(end));
    let status = status_label(booking.status, t);
    if Some(booking.user) == input.calendar.viewer {
        format!("{times} · {} ({status})", t.cal_yours)
    } else if input.calendar.shows_who_booked(booking) {
        format!("{times} · {} ({status})", booking.user_display_name)
    } else {
        format!("{times} · {}", t.cal_booked)
    }
}

pub fn build_week_calendar(input: &WeekCalendarInput<'_>) -> WeekCalendarView {
    let t = input.t;
    let calendar = &input.calendar.view.calendar;
    let hours = &calendar.opening_hours;
    let monday = input.monday;
    let week_link =
        |date: Date| format!("/instruments/{}?week={date}#booking", input.instrument_id);
    let shift = |days: i64| monday.checked_add(days.days()).unwrap_or(monday);
    let today = input.now.to_zoned(input.zone.clone()).date();
    let days: Vec<Date> = (0..7).map(shift).collect();
    let earliest_bookable_start =
        input.now + SignedDuration::from_mins(i64::from(calendar.rules.lead_time_minutes));

    let rows = match hour_rows_of(hours) {
        None => Vec::new(),
        Some((first_hour, last_hour)) => (first_hour..last_hour)
            .map(|hour| CalendarHourRow {
                label: format!("{hour:02}:00"),
                cells: days
                    .iter()
                    .map(|date| hour_cell(input, *date, hour, first_hour, earliest_bookable_start))
                    .collect(),
            })
            .collect(),
    };

    let closures = calendar
        .closures
        .iter()
        .map(|closure| ClosureLine {
            kind: closure_kind_label(closure.kind, t),
            when: local_range_text(closure.range, input.zone, t, input.language),
            reason: closure.reason.clone(),
        })
        .collect();

    WeekCalendarView {
        time_zone: calendar.time_zone.as_str().to_owned(),
        opening_hours: hours.to_string(),
        rules_summary: rules_summary(&calendar.rules, input.language),
        week_label: format!(
            "{} – {}",
            date_text(monday, t, input.language),
            date_text(shift(6), t, input.language)
        ),
        previous_week_link: week_link(shift(-7)),
        next_week_link: week_link(shift(7)),
        current_week_link: week_link(monday_of(today)),
        days: days
            .iter()
            .map(|date| CalendarDayHeader {
                label: format!(
                    "{} {:02}-{:02}",
                    weekday_name(date.weekday(), t),
                    date.month(),
                    date.day()
                ),
                date: date.to_string(),
                today: *date == today,
            })
            .collect(),
        never_open: rows.is_empty(),
        rows,
        closures,
    }
}

fn hour_cell(
    input: &WeekCalendarInput<'_>,
    date: Date,
    hour: u16,
    first_hour: u16,
    earliest_bookable_start: Timestamp,
) -> CalendarCell {
    let t = input.t;
    let calendar = &input.calendar.view.calendar;
    let from_minute = hour * 60;
    let (open_minutes, first_open_minute) = open_minutes_within(
        &calendar.opening_hours,
        date.weekday(),
        from_minute,
        from_minute + 60,
    );
    let local_start = date.at(hour as i8, 0, 0, 0);
    let cell_range = local_start
        .to_zoned(input.zone.clone())
        .ok()
        .map(|zoned| zoned.timestamp())
        .and_then(|start| TimeRange::new(start, start + SignedDuration::from_hours(1)).ok());
    let time = format!("{hour:02}:00");
    let Some(cell_range) = cell_range else {
        // An hour that does not exist on this day (clocks skipped it) is drawn as closed.
        return CalendarCell {
            state: "shut",
            state_label: t.cal_outside_hours,
            too_soon: true,
            date: date.to_string(),
            time,
            lines: Vec::new(),
            title: String::new(),
            prefill_link: None,
        };
    };
    // A booking or closure is written out in the cell it begins in, or in the day's first
    // row when it began before; the other cells it covers only take its colour.
    let begins_here = |range: &TimeRange| {
        cell_range.start <= range.start && range.start < cell_range.end
            || (hour == first_hour && range.start < cell_range.start)
    };
    let bookings: Vec<&BookingRecord> = input
        .calendar
        .view
        .bookings
        .iter()
        .filter(|booking| booking.range.overlaps(&cell_range))
        .collect();
    let closures: Vec<_> = calendar
        .closures
        .iter()
        .filter(|closure| closure.range.overlaps(&cell_range))
        .collect();
    let mut lines = Vec::new();
    let mut all = Vec::new();
    for booking in &bookings {
        let line = booking_line(booking, input);
        if begins_here(&booking.range) {
            lines.push(line.clone());
        }
        all.push(line);
    }
    for closure in &closures {
        let line = format!(
            "{}: {}",
            closure_kind_label(closure.kind, t),
            closure.reason
        );
        if begins_here(&closure.range) {
            lines.push(line.clone());
        }
        all.push(line);
    }
    let state = if bookings
        .iter()
        .any(|booking| Some(booking.user) == input.calendar.viewer)
    {
        "mine"
    } else if !bookings.is_empty() {
        "busy"
    } else if !closures.is_empty() {
        "closed"
    } else if open_minutes == 0 {
        "shut"
    } else if open_minutes < 60 {
        "partly-open"
    } else {
        "free"
    };
    let too_soon = cell_range.start < earliest_bookable_start;
    let prefill_link = match (state, first_open_minute) {
        ("free" | "partly-open", Some(first)) if input.offer_prefill_links && !too_soon => {
            Some(format!(
                "/instruments/{}?week={}&date={date}&start={:02}:{:02}#booking-form",
                input.instrument_id,
                input.monday,
                first / 60,
                first % 60
            ))
        }
        _ => None,
    };
    if all.is_empty() {
        all.push(match state {
            "shut" => t.cal_outside_hours.to_owned(),
            _ if too_soon => t.cal_too_soon.to_owned(),
            _ => t.cal_free.to_owned(),
        });
    }
    let state_label = match state {
        "mine" => t.cal_yours,
        "busy" => t.cal_booked,
        "closed" => t.cal_closed,
        "shut" => t.cal_outside_hours,
        _ if too_soon => t.cal_too_soon,
        _ => t.cal_free,
    };
    CalendarCell {
        state,
        state_label,
        too_soon,
        date: date.to_string(),
        time,
        lines,
        title: all.join("; "),
        prefill_link,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weeks_start_on_monday_whatever_day_is_given() {
        let sunday: Date = "2026-12-13".parse().unwrap();
        assert_eq!(monday_of(sunday).to_string(), "2026-12-07");
        let monday: Date = "2026-12-07".parse().unwrap();
        assert_eq!(monday_of(monday), monday);
    }

    #[test]
    fn hour_rows_cover_every_opening_interval() {
        let hours = WeeklyOpeningHours::parse("Mon-Fri 08:30-17:30; Sat 09:00-12:00").unwrap();
        assert_eq!(hour_rows_of(&hours), Some((8, 18)));
        assert_eq!(hour_rows_of(&WeeklyOpeningHours::default()), None);
        let (open, first) = open_minutes_within(&hours, Weekday::Monday, 8 * 60, 9 * 60);
        assert_eq!((open, first), (30, Some(8 * 60 + 30)));
        assert_eq!(
            open_minutes_within(&hours, Weekday::Sunday, 600, 660),
            (0, None)
        );
    }
}
