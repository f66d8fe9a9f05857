//! The feed is checked the way a calendar app would read it: parsed by an independent
//! iCalendar parser (the `icalendar` crate), with every date-time resolved back to an instant
//! twice, once by the TZID's IANA name (as apps with their own time zone database do) and
//! once by the feed's own VTIMEZONE (as apps that trust the feed do).

use icalendar::parser::{read_calendar, unfold};
use jiff::civil;
use jiff::tz::{Offset, TimeZone};
use jiff::Timestamp;
use proptest::prelude::*;

use super::*;

#[derive(Debug, Clone)]
struct ParsedProperty {
    name: String,
    parameters: Vec<(String, String)>,
    value: String,
}

#[derive(Debug, Clone)]
struct ParsedComponent {
    name: String,
    properties: Vec<ParsedProperty>,
    components: Vec<ParsedComponent>,
}

impl ParsedComponent {
    fn property(&self, name: &str) -> &ParsedProperty {
        let mut matching = self
            .properties
            .iter()
            .filter(|property| property.name == name);
        let property = matching
            .next()
            .unwrap_or_else(|| panic!("{} has no {name}", self.name));
        assert!(matching.next().is_none(), "{} has {name} twice", self.name);
        property
    }

    fn value(&self, name: &str) -> &str {
        &self.property(name).value
    }

    fn children<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a ParsedComponent> + 'a {
        self.components
            .iter()
            .filter(move |component| component.name == name)
    }
}

/// Parses with the `icalendar` crate and copies the result out of its borrowed form.
fn parse_calendar(text: &str) -> ParsedComponent {
    fn own(component: &icalendar::parser::Component<'_>) -> ParsedComponent {
        ParsedComponent {
            name: component.name.as_str().to_owned(),
            properties: component.properties.iter().map(own_property).collect(),
            components: component.components.iter().map(own).collect(),
        }
    }
    fn own_property(property: &icalendar::parser::Property<'_>) -> ParsedProperty {
        ParsedProperty {
            name: property.name.as_str().to_owned(),
            parameters: property
                .params
                .iter()
                .map(|parameter| {
                    let value = parameter
                        .val
                        .as_ref()
                        .map(|value| value.as_str().to_owned());
                    (parameter.key.as_str().to_owned(), value.unwrap_or_default())
                })
                .collect(),
            value: property.val.as_str().to_owned(),
        }
    }
    let unfolded = unfold(text);
    let calendar = read_calendar(&unfolded).unwrap_or_else(|error| panic!("{error}\n{text}"));
    ParsedComponent {
        name: "VCALENDAR".to_owned(),
        properties: calendar.properties.iter().map(own_property).collect(),
        components: calendar.components.iter().map(own).collect(),
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Observance {
    kind: String,
    onset: civil::DateTime,
    offset_from: Offset,
    offset_to: Offset,
    abbreviation: String,
}

impl Observance {
    fn onset_instant(&self) -> Timestamp {
        self.offset_from.to_timestamp(self.onset).unwrap()
    }
}

fn parse_date_time(value: &str) -> civil::DateTime {
    civil::DateTime::strptime("%Y%m%dT%H%M%S", value).unwrap()
}

fn parse_utc_offset(value: &str) -> Offset {
    let sign = match &value[..1] {
        "+" => 1,
        "-" => -1,
        _ => panic!("{value} has no sign"),
    };
    let digit_pair = |at: usize| {
        value
            .get(at..at + 2)
            .map_or(0, |pair| pair.parse::<i32>().unwrap())
    };
    Offset::from_seconds(sign * (digit_pair(1) * 3600 + digit_pair(3) * 60 + digit_pair(5)))
        .unwrap()
}

/// The observances of the one VTIMEZONE, which must describe the zone named `time_zone_name`.
fn observances(calendar: &ParsedComponent, time_zone_name: &str) -> Vec<Observance> {
    let time_zones: Vec<_> = calendar.children("VTIMEZONE").collect();
    assert_eq!(time_zones.len(), 1, "one VTIMEZONE per feed");
    assert_eq!(time_zones[0].value("TZID"), time_zone_name);
    time_zones[0]
        .components
        .iter()
        .map(|observance| Observance {
            kind: observance.name.clone(),
            onset: parse_date_time(observance.value("DTSTART")),
            offset_from: parse_utc_offset(observance.value("TZOFFSETFROM")),
            offset_to: parse_utc_offset(observance.value("TZOFFSETTO")),
            abbreviation: observance.value("TZNAME").to_owned(),
        })
        .collect()
}

/// How a date-time property was written, and the instant it stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Resolved {
    LocalTime(Timestamp),
    Utc(Timestamp),
}

impl Resolved {
    fn instant(self) -> Timestamp {
        match self {
            Resolved::LocalTime(instant) | Resolved::Utc(instant) => instant,
        }
    }
}

/// Resolves a DTSTART or DTEND to an instant, both by the IANA database and by the feed's own
/// VTIMEZONE, and insists that the two agree and that a local time is not ambiguous.
fn resolve(property: &ParsedProperty, calendar: &ParsedComponent) -> Resolved {
    if let Some(utc) = property.value.strip_suffix('Z') {
        assert!(property.parameters.is_empty(), "a UTC time takes no TZID");
        return Resolved::Utc(Offset::UTC.to_timestamp(parse_date_time(utc)).unwrap());
    }
    let [(key, time_zone_name)] = property.parameters.as_slice() else {
        panic!("a local time needs exactly a TZID: {property:?}");
    };
    assert_eq!(key, "TZID");
    let local = parse_date_time(&property.value);

    // RFC 5545 section 3.3.5 reads a repeated local time as its first occurrence, which is
    // what jiff's "compatible" disambiguation does.
    let time_zone = jiff::tz::db().get(time_zone_name).unwrap();
    let by_name = time_zone
        .to_ambiguous_timestamp(local)
        .compatible()
        .unwrap();

    let observances = observances(calendar, time_zone_name);
    let offset_at = |instant: Timestamp| {
        observances
            .iter()
            .filter(|observance| observance.onset_instant() <= instant)
            .max_by_key(|observance| observance.onset_instant())
            .map(|observance| observance.offset_to)
    };
    let mut candidates: Vec<Timestamp> = observances
        .iter()
        .filter_map(|observance| {
            let instant = observance.offset_to.to_timestamp(local).unwrap();
            (offset_at(instant) == Some(observance.offset_to)).then_some(instant)
        })
        .collect();
    candidates.sort();
    candidates.dedup();
    assert_eq!(
        candidates.len(),
        1,
        "{local} must name one instant under the VTIMEZONE"
    );
    assert_eq!(
        candidates[0], by_name,
        "VTIMEZONE and IANA database disagree on {local}"
    );
    Resolved::LocalTime(by_name)
}

fn instant(text: &str) -> Timestamp {
    text.parse().unwrap()
}

fn booking(uid: &str, starts_at: Timestamp, ends_at: Timestamp) -> FeedEvent {
    FeedEvent {
        uid: uid.to_owned(),
        starts_at,
        ends_at,
        summary: "Beamtime".to_owned(),
        description: None,
        location: None,
        status: FeedEventStatus::Confirmed,
        last_modified: instant("2026-01-05T08:00:00Z"),
        sequence: 0,
    }
}

fn feed_in(time_zone: &str, events: Vec<FeedEvent>) -> CalendarFeed {
    CalendarFeed {
        product_id: "-//Corridor//Bookings//EN".to_owned(),
        name: "Corridor bookings".to_owned(),
        time_zone: TimeZoneName::parse(time_zone).unwrap(),
        events,
    }
}

/// Renders, parses and checks that every event comes back with its own instants; returns how
/// each event's start and end were written, in feed order.
fn assert_round_trip(feed: &CalendarFeed) -> Vec<(Resolved, Option<Resolved>)> {
    let text = render_feed(feed);
    let calendar = parse_calendar(&text);
    let parsed_events: Vec<_> = calendar.children("VEVENT").collect();
    assert_eq!(parsed_events.len(), feed.events.len());
    feed.events
        .iter()
        .zip(parsed_events)
        .map(|(event, parsed)| {
            assert_eq!(parsed.value("UID"), event.uid);
            let start = resolve(parsed.property("DTSTART"), &calendar);
            assert_eq!(start.instant(), event.starts_at, "start of {}", event.uid);
            let end = parsed
                .properties
                .iter()
                .find(|property| property.name == "DTEND");
            let end = end.map(|property| resolve(property, &calendar));
            if event.ends_at > event.starts_at {
                assert_eq!(
                    end.map(Resolved::instant),
                    Some(event.ends_at),
                    "end of {}",
                    event.uid
                );
            } else {
                assert_eq!(end, None);
            }
            (start, end)
        })
        .collect()
}

#[test]
fn berlin_events_across_both_2026_transitions_keep_their_instants() {
    let berlin = TimeZone::get("Europe/Berlin").unwrap();
    let local = |text: &str| {
        text.parse::<civil::DateTime>()
            .unwrap()
            .to_zoned(berlin.clone())
            .unwrap()
            .timestamp()
    };
    let feed = feed_in(
        "Europe/Berlin",
        vec![
            booking(
                "winter",
                local("2026-03-28T09:00"),
                local("2026-03-28T17:00"),
            ),
            // 01:30 CET to 03:30 CEST, across the skipped hour of 29 March.
            booking(
                "over-the-gap",
                instant("2026-03-29T00:30Z"),
                instant("2026-03-29T01:30Z"),
            ),
            booking(
                "summer",
                local("2026-07-01T08:00"),
                local("2026-07-01T12:00"),
            ),
            // 00:30 CEST to 03:30 CET on 25 October, across the repeated hour.
            booking(
                "over-the-fold",
                instant("2026-10-24T22:30Z"),
                instant("2026-10-25T02:30Z"),
            ),
            // 02:30 local happens twice on 25 October: first at 00:30 UTC, then at 01:30 UTC.
            booking(
                "first-0230",
                instant("2026-10-25T00:30Z"),
                instant("2026-10-25T04:00Z"),
            ),
            booking(
                "second-0230",
                instant("2026-10-25T01:30Z"),
                instant("2026-10-25T04:00Z"),
            ),
        ],
    );
    let forms = assert_round_trip(&feed);
    let in_local_time = |(start, end): &(Resolved, Option<Resolved>)| {
        matches!(start, Resolved::LocalTime(_)) && matches!(end, Some(Resolved::LocalTime(_)))
    };
    let in_utc = |(start, end): &(Resolved, Option<Resolved>)| {
        matches!(start, Resolved::Utc(_)) && matches!(end, Some(Resolved::Utc(_)))
    };
    assert!(forms[..4].iter().all(in_local_time), "{forms:?}");
    assert!(forms[4..].iter().all(in_utc), "{forms:?}");

    let text = render_feed(&feed);
    assert!(text.contains("DTSTART;TZID=Europe/Berlin:20261025T003000\r\n"));
    assert!(text.contains("DTEND;TZID=Europe/Berlin:20261025T033000\r\n"));
    assert!(text.contains("DTSTART:20261025T013000Z\r\n"));
}

#[test]
fn new_york_events_across_both_2026_transitions_keep_their_instants() {
    let feed = feed_in(
        "America/New_York",
        vec![
            // 01:30 EST to 03:30 EDT on 8 March.
            booking(
                "over-the-gap",
                instant("2026-03-08T06:30Z"),
                instant("2026-03-08T07:30Z"),
            ),
            // 00:30 EDT to 01:45 EST on 1 November: the end lies in the repeated hour.
            booking(
                "into-the-fold",
                instant("2026-11-01T04:30Z"),
                instant("2026-11-01T06:45Z"),
            ),
            booking(
                "after",
                instant("2026-11-01T15:00Z"),
                instant("2026-11-01T17:00Z"),
            ),
        ],
    );
    let forms = assert_round_trip(&feed);
    assert!(matches!(
        forms[0],
        (Resolved::LocalTime(_), Some(Resolved::LocalTime(_)))
    ));
    assert!(matches!(
        forms[1],
        (Resolved::Utc(_), Some(Resolved::Utc(_)))
    ));
    assert!(matches!(
        forms[2],
        (Resolved::LocalTime(_), Some(Resolved::LocalTime(_)))
    ));
}

#[test]
fn shanghai_feed_has_one_standard_observance_at_plus_0800() {
    let feed = feed_in(
        "Asia/Shanghai",
        vec![
            booking(
                "morning",
                instant("2026-03-29T01:00Z"),
                instant("2026-03-29T03:00Z"),
            ),
            booking(
                "autumn",
                instant("2026-10-25T01:30Z"),
                instant("2026-10-25T02:30Z"),
            ),
        ],
    );
    assert_round_trip(&feed);
    let text = render_feed(&feed);
    assert!(text.contains("DTSTART;TZID=Asia/Shanghai:20260329T090000\r\n"));
    let calendar = parse_calendar(&text);
    let observances = observances(&calendar, "Asia/Shanghai");
    assert_eq!(observances.len(), 1, "{observances:?}");
    assert_eq!(observances[0].kind, "STANDARD");
    assert_eq!(observances[0].offset_from, Offset::from_hours(8).unwrap());
    assert_eq!(observances[0].offset_to, Offset::from_hours(8).unwrap());
    assert_eq!(observances[0].abbreviation, "CST");
}

#[test]
fn berlin_vtimezone_switches_offsets_on_29_march_and_25_october_2026() {
    let feed = feed_in(
        "Europe/Berlin",
        vec![booking(
            "year",
            instant("2026-01-10T09:00Z"),
            instant("2026-12-10T09:00Z"),
        )],
    );
    let calendar = parse_calendar(&render_feed(&feed));
    let observances = observances(&calendar, "Europe/Berlin");
    let plus = |hours| Offset::from_hours(hours).unwrap();
    let observance = |kind: &str, onset: &str, from, to, abbreviation: &str| Observance {
        kind: kind.to_owned(),
        onset: onset.parse().unwrap(),
        offset_from: plus(from),
        offset_to: plus(to),
        abbreviation: abbreviation.to_owned(),
    };
    assert_eq!(
        observances,
        vec![
            observance("STANDARD", "2026-01-03T10:00", 1, 1, "CET"),
            observance("DAYLIGHT", "2026-03-29T02:00", 1, 2, "CEST"),
            observance("STANDARD", "2026-10-25T03:00", 2, 1, "CET"),
        ]
    );
}

#[test]
fn calendar_header_names_the_feed_and_its_zone() {
    let feed = feed_in("Europe/Berlin", vec![]);
    let calendar = parse_calendar(&render_feed(&feed));
    assert_eq!(calendar.value("VERSION"), "2.0");
    assert_eq!(calendar.value("PRODID"), "-//Corridor//Bookings//EN");
    assert_eq!(calendar.value("CALSCALE"), "GREGORIAN");
    assert_eq!(calendar.value("METHOD"), "PUBLISH");
    assert_eq!(calendar.value("X-WR-CALNAME"), "Corridor bookings");
    assert_eq!(calendar.value("X-WR-TIMEZONE"), "Europe/Berlin");
    assert_eq!(
        calendar.children("VTIMEZONE").count(),
        0,
        "no TZID is referred to"
    );
}

#[test]
fn event_properties_come_back_from_the_parser() {
    let mut event = booking(
        "booking-123@corridor",
        instant("2026-05-04T01:00Z"),
        instant("2026-05-04T05:00Z"),
    );
    event.description = Some("Bring your own samples.".to_owned());
    event.location = Some("Shanghai Synchrotron, BL09B".to_owned());
    event.status = FeedEventStatus::Tentative;
    event.sequence = 3;
    let mut cancelled = booking("booking-124@corridor", event.starts_at, event.ends_at);
    cancelled.status = FeedEventStatus::Cancelled;
    let feed = feed_in("Asia/Shanghai", vec![event, cancelled]);
    let calendar = parse_calendar(&render_feed(&feed));
    let events: Vec<_> = calendar.children("VEVENT").collect();
    assert_eq!(events[0].value("SUMMARY"), "Beamtime");
    assert_eq!(events[0].value("DESCRIPTION"), "Bring your own samples.");
    assert_eq!(events[0].value("LOCATION"), "Shanghai Synchrotron, BL09B");
    assert_eq!(events[0].value("STATUS"), "TENTATIVE");
    assert_eq!(events[0].value("SEQUENCE"), "3");
    assert_eq!(events[0].value("DTSTAMP"), "20260105T080000Z");
    assert_eq!(events[0].value("LAST-MODIFIED"), "20260105T080000Z");
    assert_eq!(events[1].value("STATUS"), "CANCELLED");
    assert!(events[1]
        .properties
        .iter()
        .all(|property| property.name != "DESCRIPTION"));
}

#[test]
fn an_event_that_does_not_end_after_it_starts_has_no_dtend() {
    let at = instant("2026-05-04T01:00Z");
    let feed = feed_in("Asia/Shanghai", vec![booking("instant", at, at)]);
    assert_eq!(assert_round_trip(&feed)[0].1, None);
}

#[test]
fn long_chinese_summary_folds_at_75_octets_and_unfolds_back() {
    let summary: String = "同步辐射光源线站机时预约"
        .chars()
        .cycle()
        .take(300)
        .collect();
    let mut event = booking(
        "long",
        instant("2026-05-04T01:00Z"),
        instant("2026-05-04T05:00Z"),
    );
    event.summary = summary.clone();
    let text = render_feed(&feed_in("Asia/Shanghai", vec![event]));
    assert!(text.ends_with("\r\n"));
    let lines: Vec<&str> = text.strip_suffix("\r\n").unwrap().split("\r\n").collect();
    assert!(lines
        .iter()
        .all(|line| line.len() <= 75 && !line.contains('\n')));
    let summary_lines = lines
        .iter()
        .skip_while(|line| !line.starts_with("SUMMARY:"));
    let continuations = summary_lines
        .skip(1)
        .take_while(|line| line.starts_with(' '))
        .count();
    // 900 octets of summary need at least 12 lines of at most 75 octets.
    assert!(continuations >= 12, "{continuations} continuation lines");
    let calendar = parse_calendar(&text);
    assert_eq!(
        calendar.children("VEVENT").next().unwrap().value("SUMMARY"),
        summary
    );
}

#[test]
fn special_characters_in_text_round_trip_through_the_parser() {
    let summary = "Calibration; phase 1, run 2 \\ backup\nsecond line, with; more";
    let mut event = booking(
        "special",
        instant("2026-05-04T01:00Z"),
        instant("2026-05-04T05:00Z"),
    );
    event.summary = summary.to_owned();
    event.description = Some("a,b;c\\d\r\ne".to_owned());
    let text = render_feed(&feed_in("Asia/Shanghai", vec![event]));
    assert!(text.contains(
        "SUMMARY:Calibration\\; phase 1\\, run 2 \\\\ backup\\nsecond line\\, with\\; more\r\n"
    ));
    let calendar = parse_calendar(&text);
    let parsed = calendar.children("VEVENT").next().unwrap();
    assert_eq!(parsed.value("SUMMARY"), summary);
    assert_eq!(parsed.value("DESCRIPTION"), "a,b;c\\d\ne");
}

#[test]
fn escaping_writes_the_rfc_sequences() {
    // The `icalendar` parser unescapes by repeated replacement, so it reads an escaped
    // backslash followed by "n" as a line break; this case is checked on the bytes instead.
    assert_eq!(escape_text("C:\\new"), "C:\\\\new");
    assert_eq!(escape_text("a\r\nb\rc\nd"), "a\\nb\\nc\\nd");
    assert_eq!(escape_text("tab\there\u{7}bell"), "tab\therebell");
    assert_eq!(escape_text(";,\\"), "\\;\\,\\\\");
}

#[test]
fn utc_offsets_are_written_with_sign_and_optional_seconds() {
    assert_eq!(utc_offset_value(Offset::from_seconds(0).unwrap()), "+0000");
    assert_eq!(
        utc_offset_value(Offset::from_seconds(5 * 3600 + 1800).unwrap()),
        "+0530"
    );
    assert_eq!(
        utc_offset_value(Offset::from_seconds(-(3 * 3600 + 1800)).unwrap()),
        "-0330"
    );
    assert_eq!(
        utc_offset_value(Offset::from_seconds(-(17 * 60 + 30)).unwrap()),
        "-001730"
    );
}

#[test]
fn rendering_is_deterministic() {
    let feed = feed_in(
        "Europe/Berlin",
        vec![booking(
            "a",
            instant("2026-10-25T00:30Z"),
            instant("2026-10-25T04:00Z"),
        )],
    );
    assert_eq!(render_feed(&feed), render_feed(&feed.clone()));
}

const PROPERTY_TEST_ZONES: [&str; 5] = [
    "Europe/Berlin",
    "America/New_York",
    "Australia/Sydney",
    "Asia/Shanghai",
    "Asia/Kolkata",
];

/// An instant from 2025 to 2028: half of them uniformly spread, half within two hours of one
/// of the zone's transitions, since uniform instants would almost never meet a fold.
fn instant_in(time_zone: &TimeZone) -> impl Strategy<Value = Timestamp> {
    let start = instant("2025-01-01T00:00Z").as_second();
    let end = instant("2029-01-01T00:00Z").as_second();
    let transitions: Vec<i64> = time_zone
        .following(instant("2025-01-01T00:00Z"))
        .take_while(|transition| transition.timestamp().as_second() < end)
        .map(|transition| transition.timestamp().as_second())
        .collect();
    let uniform = (start..end).boxed();
    let near_transition = if transitions.is_empty() {
        uniform.clone()
    } else {
        (prop::sample::select(transitions), -7200i64..=7200)
            .prop_map(|(transition, shift)| transition + shift)
            .boxed()
    };
    prop_oneof![uniform, near_transition].prop_map(|second| Timestamp::from_second(second).unwrap())
}

fn arbitrary_feed() -> impl Strategy<Value = CalendarFeed> {
    prop::sample::select(PROPERTY_TEST_ZONES.to_vec()).prop_flat_map(|zone_name| {
        let time_zone = TimeZone::get(zone_name).unwrap();
        let event =
            (instant_in(&time_zone), 1i64..=3 * 24 * 3600).prop_map(|(starts_at, length)| {
                let ends_at = Timestamp::from_second(starts_at.as_second() + length).unwrap();
                booking("property", starts_at, ends_at)
            });
        prop::collection::vec(event, 1..6).prop_map(move |events| feed_in(zone_name, events))
    })
}

proptest! {
    #[test]
    fn random_instants_round_trip_through_a_parser(feed in arbitrary_feed()) {
        assert_round_trip(&feed);
    }

    #[test]
    fn folding_never_splits_a_character_and_unfolds_back(text in "\\PC{0,400}") {
        let mut folded = String::new();
        push_folded_line(&mut folded, &text);
        let lines: Vec<&str> = folded.strip_suffix("\r\n").unwrap().split("\r\n").collect();
        prop_assert!(lines.iter().all(|line| line.len() <= 75));
        prop_assert!(lines[1..].iter().all(|line| line.starts_with(' ')));
        let unfolded = unfold(&folded);
        prop_assert_eq!(unfolded.strip_suffix("\r\n").unwrap(), text.as_str());
    }
}
