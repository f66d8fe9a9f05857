//! An RFC 5545 iCalendar feed of bookings, rendered as text so that a calendar app can
//! subscribe to an instrument's or a user's bookings.
//!
//! Rendering is pure: the same [`CalendarFeed`] always gives the same bytes, because nothing
//! here reads a clock or the machine's time zone settings. Calendar apps compare feeds they
//! poll, and a feed that changed on every poll would make them rewrite every event each time.
//!
//! Events are written in the feed's time zone (`DTSTART;TZID=Europe/Berlin:20260329T093000`)
//! so that an app shows the instrument's own wall-clock time, which is what a user travelling
//! to it needs. The feed carries a `VTIMEZONE` generated from the bundled time zone database's
//! real transitions, because RFC 5545 requires one for every TZID used and some apps trust it
//! rather than their own copy of the IANA rules.

use std::fmt::Write as _;

use jiff::civil::{self, DateTime};
use jiff::tz::{AmbiguousOffset, Dst, Offset, TimeZone};
use jiff::{SignedDuration, Timestamp};

use crate::TimeZoneName;

#[cfg(test)]
mod tests;

/// A whole calendar: its identity, the time zone its events are written in, and its events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarFeed {
    /// The `PRODID` naming the software that wrote the feed, e.g. `-//Corridor//Bookings//EN`.
    pub product_id: String,
    /// The `X-WR-CALNAME` that calendar apps show as the subscribed calendar's title.
    pub name: String,
    /// The IANA time zone the events' local times are written in, normally the instrument's.
    pub time_zone: TimeZoneName,
    /// The events, written in this order.
    pub events: Vec<FeedEvent>,
}

/// One booking as a calendar event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedEvent {
    /// A globally unique and stable identifier, e.g. `booking-123@corridor`; apps use it to
    /// recognise the same event across polls.
    pub uid: String,
    /// The instant the event starts. Sub-second parts are dropped, as iCalendar has none.
    pub starts_at: Timestamp,
    /// The instant the event ends. When it is not after `starts_at`, no `DTEND` is written,
    /// which RFC 5545 reads as an event that ends when it starts.
    pub ends_at: Timestamp,
    pub summary: String,
    pub description: Option<String>,
    pub location: Option<String>,
    pub status: FeedEventStatus,
    /// When the booking last changed; written as both `DTSTAMP` and `LAST-MODIFIED`.
    pub last_modified: Timestamp,
    /// The revision number, raised on each change that the attendee should notice.
    pub sequence: u32,
}

/// The `STATUS` of an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FeedEventStatus {
    Tentative,
    Confirmed,
    Cancelled,
}

impl FeedEventStatus {
    /// The RFC 5545 `STATUS` value for an event in this state.
    pub fn ical_status_value(self) -> &'static str {
        match self {
            FeedEventStatus::Tentative => "TENTATIVE",
            FeedEventStatus::Confirmed => "CONFIRMED",
            FeedEventStatus::Cancelled => "CANCELLED",
        }
    }
}

/// How far before the earliest and after the latest event instant the `VTIMEZONE` describes the
/// zone's offsets. A week is generous: apps only need the offsets at the events' own times,
/// and the margin merely keeps an event at the very edge from falling outside the description.
const TIME_ZONE_DESCRIPTION_MARGIN: SignedDuration = SignedDuration::from_hours(7 * 24);

/// RFC 5545 section 3.1: a content line SHOULD NOT be longer than 75 octets, excluding the
/// line break.
const MAXIMUM_LINE_OCTETS: usize = 75;

/// Renders the feed as an RFC 5545 `VCALENDAR` with CRLF line endings and folded lines.
pub fn render_feed(feed: &CalendarFeed) -> String {
    let time_zone_name = feed.time_zone.as_str();
    // `TimeZoneName` is only ever built after a successful lookup in this same bundled
    // database, so the lookup cannot fail; UTC keeps rendering total rather than panicking.
    let time_zone = jiff::tz::db().get(time_zone_name).unwrap_or(TimeZone::UTC);
    let mut output = String::new();

    push_line(&mut output, "BEGIN", "VCALENDAR");
    push_line(&mut output, "VERSION", "2.0");
    push_line(&mut output, "PRODID", &escape_text(&feed.product_id));
    push_line(&mut output, "CALSCALE", "GREGORIAN");
    push_line(&mut output, "METHOD", "PUBLISH");
    push_line(&mut output, "X-WR-CALNAME", &escape_text(&feed.name));
    push_line(&mut output, "X-WR-TIMEZONE", &escape_text(time_zone_name));

    // A feed without events refers to no TZID, and RFC 5545 only asks for a VTIMEZONE for
    // each TZID that is referred to.
    let event_instants = feed
        .events
        .iter()
        .flat_map(|event| [event.starts_at, event.ends_at]);
    if let (Some(earliest), Some(latest)) = (event_instants.clone().min(), event_instants.max()) {
        push_time_zone_component(
            &mut output,
            time_zone_name,
            &time_zone,
            earliest
                .saturating_sub(TIME_ZONE_DESCRIPTION_MARGIN)
                .unwrap_or(earliest),
            latest
                .saturating_add(TIME_ZONE_DESCRIPTION_MARGIN)
                .unwrap_or(latest),
        );
    }

    for event in &feed.events {
        push_event(&mut output, event, time_zone_name, &time_zone);
    }
    push_line(&mut output, "END", "VCALENDAR");
    output
}

/// Writes one `VEVENT`.
fn push_event(output: &mut String, event: &FeedEvent, time_zone_name: &str, time_zone: &TimeZone) {
    push_line(output, "BEGIN", "VEVENT");
    push_line(output, "UID", &escape_text(&event.uid));
    // With METHOD:PUBLISH, DTSTAMP is when this copy of the event was made. Using the last
    // modification instead of the rendering time keeps the feed byte-for-byte stable between
    // polls, and the event did not change after that instant anyway.
    let stamp = utc_date_time_value(event.last_modified);
    push_line(output, "DTSTAMP", &stamp);
    push_line(output, "LAST-MODIFIED", &stamp);
    push_line(output, "SEQUENCE", &event.sequence.to_string());

    let has_end = event.ends_at > event.starts_at;
    let start_local = whole_second_local_time(time_zone, event.starts_at);
    let end_local = whole_second_local_time(time_zone, event.ends_at);
    // A timestamp always has exactly one local time, but a local time read back with a TZID
    // can stand for two instants when it lies in a fold (the hour repeated when clocks go
    // back, e.g. 02:30 on 25 October 2026 in Berlin). RFC 5545 says a reader must then take
    // the first occurrence, which is wrong for an event in the second one, and not every app
    // even follows that rule. Such an event is therefore written in UTC, which has no folds.
    // Both ends switch together so that an event is written in a single form. A gap (the hour
    // skipped in spring) never arises from a real instant, but would be just as unreadable, so
    // anything other than an unambiguous local time takes the UTC form.
    let is_unambiguous = |local: DateTime| {
        matches!(
            time_zone.to_ambiguous_timestamp(local).offset(),
            AmbiguousOffset::Unambiguous { .. }
        )
    };
    let write_in_local_time =
        is_unambiguous(start_local) && (!has_end || is_unambiguous(end_local));
    let date_time_property = |name: &str, instant: Timestamp, local: DateTime| {
        if write_in_local_time {
            let parameters = format!("{name};TZID={}", parameter_value(time_zone_name));
            (parameters, date_time_value(local))
        } else {
            (name.to_owned(), utc_date_time_value(instant))
        }
    };
    let (name, value) = date_time_property("DTSTART", event.starts_at, start_local);
    push_line(output, &name, &value);
    if has_end {
        let (name, value) = date_time_property("DTEND", event.ends_at, end_local);
        push_line(output, &name, &value);
    }

    push_line(output, "SUMMARY", &escape_text(&event.summary));
    if let Some(description) = &event.description {
        push_line(output, "DESCRIPTION", &escape_text(description));
    }
    if let Some(location) = &event.location {
        push_line(output, "LOCATION", &escape_text(location));
    }
    push_line(output, "STATUS", event.status.ical_status_value());
    push_line(output, "END", "VEVENT");
}

/// Writes the `VTIMEZONE` that describes `time_zone` from `window_start` to `window_end`.
///
/// The first observance states the offset already in effect at `window_start`, so that every
/// instant in the window is covered. Then each real transition inside the window gets its own
/// `STANDARD` or `DAYLIGHT` observance without a recurrence rule: listing the transitions
/// themselves is exactly right for every year, including years in which a government moved
/// the dates, where a rule copied from the current year would be wrong.
fn push_time_zone_component(
    output: &mut String,
    time_zone_name: &str,
    time_zone: &TimeZone,
    window_start: Timestamp,
    window_end: Timestamp,
) {
    push_line(output, "BEGIN", "VTIMEZONE");
    push_line(output, "TZID", &escape_text(time_zone_name));

    let offset_info = time_zone.to_offset_info(window_start);
    let mut offset_before = offset_info.offset();
    push_observance(
        output,
        offset_info.dst(),
        offset_before.to_datetime(window_start),
        offset_before,
        offset_before,
        offset_info.abbreviation(),
    );
    for transition in time_zone
        .following(window_start)
        .take_while(|transition| transition.timestamp() <= window_end)
    {
        // RFC 5545 gives an observance's onset as the local time under the offset that was in
        // force before it, e.g. 02:00 for the spring change in Berlin.
        push_observance(
            output,
            transition.dst(),
            offset_before.to_datetime(transition.timestamp()),
            offset_before,
            transition.offset(),
            transition.abbreviation(),
        );
        offset_before = transition.offset();
    }
    push_line(output, "END", "VTIMEZONE");
}

/// Writes one `STANDARD` or `DAYLIGHT` sub-component.
fn push_observance(
    output: &mut String,
    dst: Dst,
    onset_local_time: DateTime,
    offset_from: Offset,
    offset_to: Offset,
    abbreviation: &str,
) {
    let kind = if dst.is_dst() { "DAYLIGHT" } else { "STANDARD" };
    push_line(output, "BEGIN", kind);
    push_line(output, "DTSTART", &date_time_value(onset_local_time));
    push_line(output, "TZOFFSETFROM", &utc_offset_value(offset_from));
    push_line(output, "TZOFFSETTO", &utc_offset_value(offset_to));
    push_line(output, "TZNAME", &escape_text(abbreviation));
    push_line(output, "END", kind);
}

/// The local time of `instant` in `time_zone`, without the sub-second part that iCalendar
/// cannot express. Dropping it before checking for folds keeps the check about the very
/// local time that is written.
fn whole_second_local_time(time_zone: &TimeZone, instant: Timestamp) -> DateTime {
    let local = time_zone.to_datetime(instant);
    DateTime::from_parts(
        local.date(),
        civil::time(local.hour(), local.minute(), local.second(), 0),
    )
}

/// A `DATE-TIME` value in local form, `YYYYMMDDTHHMMSS`.
fn date_time_value(local: DateTime) -> String {
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}",
        local.year(),
        local.month(),
        local.day(),
        local.hour(),
        local.minute(),
        local.second()
    )
}

/// A `DATE-TIME` value in UTC form, `YYYYMMDDTHHMMSSZ`.
fn utc_date_time_value(instant: Timestamp) -> String {
    format!("{}Z", date_time_value(Offset::UTC.to_datetime(instant)))
}

/// A `UTC-OFFSET` value, `+HHMM` or `+HHMMSS` when the offset has seconds (as some historical
/// local mean times do). RFC 5545 forbids `-0000`, so a zero offset is written `+0000`.
fn utc_offset_value(offset: Offset) -> String {
    let total_seconds = offset.seconds();
    let sign = if total_seconds < 0 { '-' } else { '+' };
    let magnitude = total_seconds.unsigned_abs();
    let (hours, minutes, seconds) = (magnitude / 3600, magnitude / 60 % 60, magnitude % 60);
    if seconds == 0 {
        format!("{sign}{hours:02}{minutes:02}")
    } else {
        format!("{sign}{hours:02}{minutes:02}{seconds:02}")
    }
}

/// A parameter value, quoted when it holds a character that would end the parameter. IANA
/// zone names never do, but quoting costs nothing and keeps the line parseable regardless.
fn parameter_value(value: &str) -> String {
    if value.contains([';', ':', ',']) {
        format!("\"{}\"", value.replace('"', ""))
    } else {
        value.to_owned()
    }
}

/// Escapes a `TEXT` value as RFC 5545 section 3.3.11 requires: backslash, semicolon and comma
/// are preceded by a backslash, and a line break becomes `\n`.
///
/// A carriage return, alone or before a line feed, counts as one line break, so that text typed
/// on any platform keeps its lines. Other control characters are not allowed in `TEXT` at all,
/// so they are dropped, except the tab, which is.
fn escape_text(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    let mut characters = text.chars().peekable();
    while let Some(character) = characters.next() {
        match character {
            '\\' => escaped.push_str("\\\\"),
            ';' => escaped.push_str("\\;"),
            ',' => escaped.push_str("\\,"),
            '\n' => escaped.push_str("\\n"),
            '\r' => {
                characters.next_if_eq(&'\n');
                escaped.push_str("\\n");
            }
            '\t' => escaped.push('\t'),
            control if control.is_control() && control.is_ascii() => {}
            other => escaped.push(other),
        }
    }
    escaped
}

/// Writes the content line `name:value`, folded, ending in CRLF.
fn push_line(output: &mut String, name: &str, value: &str) {
    let mut line = String::with_capacity(name.len() + 1 + value.len());
    let _ = write!(line, "{name}:{value}");
    push_folded_line(output, &line);
}

/// Writes `line` folded into pieces of at most 75 octets, each ending in CRLF.
///
/// A continuation starts with one space, which counts towards its 75 octets. Lines are only
/// split between characters: RFC 5545 allows splitting a multi-octet UTF-8 character, but
/// many readers then produce replacement characters, and a split between characters is never
/// worse.
fn push_folded_line(output: &mut String, line: &str) {
    let mut remaining = line;
    let mut room = MAXIMUM_LINE_OCTETS;
    while remaining.len() > room {
        let mut split_at = room;
        while !remaining.is_char_boundary(split_at) {
            split_at -= 1;
        }
        output.push_str(&remaining[..split_at]);
        output.push_str("\r\n ");
        remaining = &remaining[split_at..];
        room = MAXIMUM_LINE_OCTETS - 1;
    }
    output.push_str(remaining);
    output.push_str("\r\n");
}
