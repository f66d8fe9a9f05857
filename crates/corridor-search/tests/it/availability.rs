//! The availability index: worked cases in Shanghai, Berlin across the DST change and
//! Kathmandu (+05:45), updates and snapshots, the search filter over a generated region, and
//! a comparison with a minute-by-minute model read off the local clock.

use std::collections::BTreeSet;
use std::sync::Arc;

use corridor_demo::DemoScale;
use corridor_domain::{InstrumentId, MinuteOfDay, OpeningInterval, WeeklyOpeningHours};
use corridor_search::availability::{
    AvailabilityIndex, AvailabilityQueryError, InstrumentCalendarInput, SharedAvailability,
};
use corridor_search::{CandidateFilter, SearchFilters, SearchIndex, SearchRequest};
use jiff::civil::{DateTime, Weekday};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use proptest::prelude::*;

use crate::support::documents;

fn utc(text: &str) -> Timestamp {
    text.parse().unwrap()
}

fn zone(name: &str) -> TimeZone {
    TimeZone::get(name).unwrap()
}

/// A local wall-clock time in a zone, as an instant.
fn local(zone_name: &str, text: &str) -> Timestamp {
    let time: DateTime = text.parse().unwrap();
    time.to_zoned(zone(zone_name)).unwrap().timestamp()
}

fn hours(minutes: i64) -> SignedDuration {
    SignedDuration::from_mins(minutes * 60)
}

fn input(id: i64, zone_name: &str, opening: &str) -> InstrumentCalendarInput {
    InstrumentCalendarInput {
        instrument: InstrumentId(id),
        time_zone: zone(zone_name),
        opening_hours: WeeklyOpeningHours::parse(opening).unwrap(),
        closures: Vec::new(),
        busy: Vec::new(),
    }
}

const SHANGHAI: &str = "Asia/Shanghai";
const DESK: InstrumentId = InstrumentId(7);

/// Open Mon–Fri 08:00–18:00 in Shanghai, two weeks from Sunday 1 March 2026, booked on
/// Monday 2 March 10:00–12:00.
fn shanghai_desk() -> AvailabilityIndex {
    let mut desk = input(7, SHANGHAI, "Mon-Fri 08:00-18:00");
    desk.busy.push((
        local(SHANGHAI, "2026-03-02T10:00"),
        local(SHANGHAI, "2026-03-02T12:00"),
    ));
    AvailabilityIndex::build(utc("2026-03-01T00:00Z"), 14, [desk])
}

#[test]
fn a_morning_booking_leaves_four_free_hours_in_the_afternoon() {
    let index = shanghai_desk();
    let at = |time: &str| local(SHANGHAI, &format!("2026-03-02T{time}"));
    assert!(index.is_free_for(DESK, at("08:00"), at("16:00"), hours(4)));
    assert!(index.is_free_for(DESK, at("12:00"), at("16:00"), hours(4)));
    assert!(!index.is_free_for(DESK, at("08:00"), at("15:00"), hours(4)));
    assert!(!index.is_free_for(DESK, at("12:00"), at("15:59"), hours(4)));
    assert!(!index.is_free_for(
        DESK,
        at("12:01"),
        at("18:00"),
        SignedDuration::from_mins(6 * 60)
    ));
    assert_eq!(
        index.first_free_run(DESK, at("08:00"), at("18:00"), hours(4)),
        Some(at("12:00"))
    );
    assert_eq!(
        index.first_free_run(DESK, at("08:00"), at("18:00"), hours(2)),
        Some(at("08:00"))
    );
    assert_eq!(
        index.free_intervals(DESK, at("00:00"), local(SHANGHAI, "2026-03-03T00:00")),
        Some(vec![(at("08:00"), at("10:00")), (at("12:00"), at("18:00"))])
    );
    // Saturday and Sunday are closed; Tuesday is whole.
    let saturday = local(SHANGHAI, "2026-03-07T00:00");
    assert!(!index.is_free_for(
        DESK,
        saturday,
        saturday + hours(48),
        SignedDuration::from_mins(30)
    ));
    let tuesday = local(SHANGHAI, "2026-03-03T08:00");
    assert!(index.is_free_for(DESK, tuesday, tuesday + hours(10), hours(10)));
    assert!(!index.is_free_for(InstrumentId(8), at("08:00"), at("18:00"), hours(1)));
}

#[test]
fn a_closure_takes_the_whole_day_and_part_of_a_cell_takes_the_cell() {
    let mut desk = input(7, SHANGHAI, "Mon-Fri 08:00-18:00");
    desk.closures.push((
        local(SHANGHAI, "2026-03-03T00:00"),
        local(SHANGHAI, "2026-03-04T00:00"),
    ));
    desk.closures.push((
        local(SHANGHAI, "2026-03-05T08:00"),
        local(SHANGHAI, "2026-03-05T12:10"),
    ));
    let index = AvailabilityIndex::build(utc("2026-03-01T00:00Z"), 14, [desk]);
    let day = |date: &str| local(SHANGHAI, &format!("{date}T00:00"));
    let half_hour = SignedDuration::from_mins(30);
    assert!(!index.is_free_for(DESK, day("2026-03-03"), day("2026-03-04"), half_hour));
    assert!(index.is_free_for(DESK, day("2026-03-04"), day("2026-03-05"), hours(10)));
    assert_eq!(
        index.first_free_run(DESK, day("2026-03-05"), day("2026-03-06"), half_hour),
        Some(local(SHANGHAI, "2026-03-05T12:30"))
    );
}

#[test]
fn only_whole_cells_are_free_and_runs_start_on_cell_boundaries() {
    let mut desk = input(7, "UTC", "Mon 08:15-10:45");
    desk.busy
        .push((utc("2026-03-02T09:10Z"), utc("2026-03-02T09:20Z")));
    let index = AvailabilityIndex::build(utc("2026-03-01T00:00Z"), 7, [desk]);
    assert_eq!(
        index.free_intervals(DESK, utc("2026-03-02T00:00Z"), utc("2026-03-03T00:00Z")),
        Some(vec![
            (utc("2026-03-02T08:30Z"), utc("2026-03-02T09:00Z")),
            (utc("2026-03-02T09:30Z"), utc("2026-03-02T10:30Z")),
        ])
    );
    let half_hour = SignedDuration::from_mins(30);
    assert_eq!(
        index.first_free_run(
            DESK,
            utc("2026-03-02T08:40Z"),
            utc("2026-03-02T12:00Z"),
            half_hour
        ),
        Some(utc("2026-03-02T09:30Z"))
    );
    // 45 minutes take two cells, but may end before the second one does.
    let three_quarters = SignedDuration::from_mins(45);
    assert!(index.is_free_for(
        DESK,
        utc("2026-03-02T09:30Z"),
        utc("2026-03-02T10:15Z"),
        three_quarters
    ));
    assert!(!index.is_free_for(
        DESK,
        utc("2026-03-02T09:30Z"),
        utc("2026-03-02T10:14Z"),
        three_quarters
    ));
    assert!(!index.is_free_for(
        DESK,
        utc("2026-03-02T08:30Z"),
        utc("2026-03-02T09:15Z"),
        three_quarters
    ));
}

#[test]
fn berlin_opening_hours_follow_the_change_to_summer_time() {
    let berlin = "Europe/Berlin";
    let weekdays = input(1, berlin, "Mon-Fri 08:00-18:00");
    let spring_sunday = input(2, berlin, "Sun 01:00-04:00");
    let opens_in_the_gap = input(3, berlin, "Sun 02:30-05:00");
    let autumn_sunday = input(4, berlin, "Sun 01:00-04:00");
    let index = AvailabilityIndex::build(
        utc("2026-03-23T00:00Z"),
        14,
        [weekdays, spring_sunday, opens_in_the_gap],
    );
    let day_of = |id: i64, from: &str, to: &str| {
        index
            .free_intervals(InstrumentId(id), utc(from), utc(to))
            .unwrap()
    };
    // Friday 27 March, still CET (+01:00): 08:00 local is 07:00 UTC.
    assert_eq!(
        day_of(1, "2026-03-27T00:00Z", "2026-03-28T00:00Z"),
        vec![(utc("2026-03-27T07:00Z"), utc("2026-03-27T17:00Z"))]
    );
    // Monday 30 March, CEST (+02:00): 08:00 local is 06:00 UTC.
    assert_eq!(
        day_of(1, "2026-03-30T00:00Z", "2026-03-31T00:00Z"),
        vec![(utc("2026-03-30T06:00Z"), utc("2026-03-30T16:00Z"))]
    );
    assert_eq!(
        index.first_free_run(
            InstrumentId(1),
            utc("2026-03-30T00:00Z"),
            utc("2026-03-31T00:00Z"),
            hours(10)
        ),
        Some(utc("2026-03-30T06:00Z"))
    );
    // The night of the change has one hour less: 01:00–04:00 local is two hours long.
    assert_eq!(
        day_of(2, "2026-03-28T12:00Z", "2026-03-29T12:00Z"),
        vec![(utc("2026-03-29T00:00Z"), utc("2026-03-29T02:00Z"))]
    );
    // 02:30 does not exist that night; read with the offset before the gap it is 03:30 CEST.
    assert_eq!(
        day_of(3, "2026-03-28T12:00Z", "2026-03-29T12:00Z"),
        vec![(utc("2026-03-29T01:30Z"), utc("2026-03-29T03:00Z"))]
    );
    // The night back to winter time has one hour more.
    let autumn = AvailabilityIndex::build(utc("2026-10-19T00:00Z"), 14, [autumn_sunday]);
    assert_eq!(
        autumn
            .free_intervals(
                InstrumentId(4),
                utc("2026-10-24T12:00Z"),
                utc("2026-10-25T12:00Z")
            )
            .unwrap(),
        vec![(utc("2026-10-24T23:00Z"), utc("2026-10-25T03:00Z"))]
    );
}

#[test]
fn opening_through_local_midnight_is_one_stretch_where_midnight_is_not_a_cell_boundary() {
    let kathmandu = "Asia/Kathmandu";
    let index = AvailabilityIndex::build(
        utc("2026-03-01T00:00Z"),
        7,
        [input(5, kathmandu, "Mon 22:00-24:00; Tue 00:00-02:00")],
    );
    // 22:00 at +05:45 is 16:15 UTC, 02:00 the next day is 20:15 UTC, and local midnight,
    // 18:15 UTC, falls inside a cell that is open on both sides of it.
    assert_eq!(
        index
            .free_intervals(
                InstrumentId(5),
                utc("2026-03-02T00:00Z"),
                utc("2026-03-04T00:00Z")
            )
            .unwrap(),
        vec![(utc("2026-03-02T16:30Z"), utc("2026-03-02T20:00Z"))]
    );
    assert!(index.is_free_for(
        InstrumentId(5),
        utc("2026-03-02T00:00Z"),
        utc("2026-03-04T00:00Z"),
        SignedDuration::from_mins(210)
    ));
}

#[test]
fn windows_are_clipped_to_the_horizon() {
    let index = AvailabilityIndex::build(
        utc("2026-03-01T00:10Z"),
        2,
        [input(9, "UTC", "Mon-Sun 00:00-24:00")],
    );
    let (start, end) = index.horizon();
    assert_eq!(
        (start, end),
        (utc("2026-03-01T00:00Z"), utc("2026-03-03T00:00Z"))
    );
    let id = InstrumentId(9);
    assert!(!index.is_free_for(id, start - hours(5), start, hours(1)));
    assert!(!index.is_free_for(id, end, end + hours(5), hours(1)));
    assert!(!index.is_free_for(id, end - hours(1), end + hours(5), hours(2)));
    assert!(index.is_free_for(id, end - hours(1), end + hours(5), hours(1)));
    assert_eq!(
        index.first_free_run(id, start - hours(5), end, hours(48)),
        Some(start)
    );
}

#[test]
fn updates_change_the_live_index_and_never_a_snapshot() {
    let mut index = shanghai_desk();
    index.replace(input(8, SHANGHAI, "Mon-Fri 08:00-18:00"));
    assert_eq!(index.instrument_count(), 2);
    let monday = local(SHANGHAI, "2026-03-02T08:00");
    let tuesday = local(SHANGHAI, "2026-03-03T08:00");
    let before = index
        .free_filter(tuesday, tuesday + hours(10), hours(10))
        .unwrap();
    assert_eq!(before.name(), "available");

    assert!(index.mark_busy(DESK, tuesday + hours(3), tuesday + hours(4)));
    assert!(!index.mark_busy(InstrumentId(99), tuesday, tuesday + hours(1)));
    assert!(!index.is_free_for(DESK, tuesday, tuesday + hours(10), hours(10)));
    assert!(index.is_free_for(InstrumentId(8), tuesday, tuesday + hours(10), hours(10)));
    assert!(
        before.admits_instrument(DESK),
        "a filter keeps the snapshot it was made from"
    );
    let after = index
        .free_filter(tuesday, tuesday + hours(10), hours(10))
        .unwrap();
    assert!(!after.admits_instrument(DESK) && after.admits_instrument(InstrumentId(8)));

    // Replacing with the whole calendar frees what is no longer booked, Monday included.
    index.replace(input(7, SHANGHAI, "Mon-Fri 08:00-18:00"));
    assert!(index.is_free_for(DESK, tuesday, tuesday + hours(10), hours(10)));
    assert!(index.is_free_for(DESK, monday, monday + hours(10), hours(10)));

    assert!(index.remove(DESK) && !index.remove(DESK));
    assert!(!index.contains(DESK) && index.instrument_count() == 1);
    assert!(!index.is_free_for(DESK, monday, monday + hours(10), hours(1)));
    // A new instrument takes the vacant slot and none of its old calendar.
    index.replace(input(10, SHANGHAI, "Sat 09:00-10:00"));
    assert!(!index.is_free_for(InstrumentId(10), monday, monday + hours(10), hours(1)));
    assert_eq!(index.instrument_count(), 2);
    assert!(index.memory_bytes() > 0);

    let shared = SharedAvailability::new(index);
    let snapshot = shared.snapshot();
    assert!(shared.update(|live| live.mark_busy(InstrumentId(8), tuesday, tuesday + hours(1))));
    assert!(snapshot.is_free_for(InstrumentId(8), tuesday, tuesday + hours(10), hours(10)));
    assert!(!shared.snapshot().is_free_for(
        InstrumentId(8),
        tuesday,
        tuesday + hours(10),
        hours(10)
    ));
    let filter = shared
        .free_filter(tuesday, tuesday + hours(10), hours(1))
        .unwrap();
    assert!(filter.admits_instrument(InstrumentId(8)) && !filter.admits_instrument(DESK));
    let old = shared.install(AvailabilityIndex::new(utc("2026-03-15T00:00Z"), 14));
    assert_eq!(old.instrument_count(), 2);
    assert_eq!(shared.snapshot().instrument_count(), 0);
}

#[test]
fn queries_are_refused_with_a_reason() {
    let index = shanghai_desk();
    let start = utc("2026-03-02T00:00Z");
    let refusal = |end: Timestamp, run: SignedDuration| {
        index.free_filter(start, end, run).map(|_| ()).unwrap_err()
    };
    assert_eq!(
        refusal(start, hours(1)),
        AvailabilityQueryError::EmptyWindow { start, end: start }
    );
    assert_eq!(
        refusal(start + hours(5), SignedDuration::ZERO),
        AvailabilityQueryError::NonPositiveRun {
            run: SignedDuration::ZERO
        }
    );
    assert_eq!(
        refusal(start + hours(24 * 30), hours(24 * 7 + 1)),
        AvailabilityQueryError::RunTooLong {
            run: hours(24 * 7 + 1)
        }
    );
    let too_long = refusal(start + hours(3), hours(4));
    assert_eq!(
        too_long,
        AvailabilityQueryError::RunLongerThanWindow {
            run: hours(4),
            window: hours(3)
        }
    );
    assert_eq!(
        too_long.to_string(),
        "a run of 4h does not fit in a window of 3h"
    );
    assert!(index
        .free_filter(start, start + hours(24 * 7), hours(24 * 7))
        .is_ok());
}

#[test]
fn the_filter_narrows_a_search_to_the_instruments_free_on_saturday() {
    let region = corridor_demo::generate(
        corridor_demo::DEFAULT_SEED,
        DemoScale::small(),
        &mut |_, _, _| {},
    );
    let search = SearchIndex::build(documents(&region)).unwrap();
    let saturday = local(SHANGHAI, "2026-03-07T10:00");
    // Every tenth instrument is booked 08:00–13:00, which leaves three hours of the window.
    let index = AvailabilityIndex::build(
        utc("2026-03-01T00:00Z"),
        14,
        region.instruments.iter().map(|instrument| {
            let mut input = InstrumentCalendarInput::new(
                instrument.id,
                &instrument.time_zone,
                instrument.opening_hours.clone(),
            );
            if instrument.id.0 % 10 == 0 {
                input.busy.push((saturday - hours(2), saturday + hours(3)));
            }
            input
        }),
    );
    assert_eq!(index.instrument_count(), region.instruments.len());
    let filter = index
        .free_filter(saturday, saturday + hours(6), hours(4))
        .unwrap();
    let expected: BTreeSet<InstrumentId> = region
        .instruments
        .iter()
        .filter(|instrument| {
            let open_saturday = instrument.opening_hours.intervals().iter().any(|interval| {
                interval.weekday() == Weekday::Saturday
                    && interval.start.get() <= 10 * 60
                    && interval.end.get() >= 14 * 60
            });
            open_saturday && instrument.id.0 % 10 != 0
        })
        .map(|instrument| instrument.id)
        .collect();
    assert!(!expected.is_empty() && expected.len() < region.instruments.len() / 2);
    let results = search
        .search(&SearchRequest {
            filters: SearchFilters {
                extra: vec![Arc::new(filter)],
                ..Default::default()
            },
            limit: region.instruments.len(),
            ..Default::default()
        })
        .unwrap();
    let found: BTreeSet<InstrumentId> = results.hits.iter().map(|hit| hit.document.id).collect();
    assert_eq!(results.total as usize, expected.len());
    assert_eq!(found, expected);
    // Every result says when its free run starts: the index's first run for it.
    for hit in &results.hits {
        assert_eq!(
            hit.earliest_free,
            index.first_free_run(hit.document.id, saturday, saturday + hours(6), hours(4)),
            "{:?}",
            hit.document.id
        );
        assert!(hit.earliest_free.is_some());
    }
    // Grouped, each kind says the earliest start among its free instruments.
    let grouped = search
        .search(&SearchRequest {
            filters: SearchFilters {
                extra: vec![Arc::new(
                    index
                        .free_filter(saturday, saturday + hours(6), hours(4))
                        .unwrap(),
                )],
                ..Default::default()
            },
            limit: 100,
            grouping: corridor_search::Grouping::Kind,
            ..Default::default()
        })
        .unwrap();
    assert!(!grouped.groups.is_empty());
    for (group, hit) in grouped.groups.iter().zip(&grouped.hits) {
        let earliest = results
            .hits
            .iter()
            .filter(|member| member.document.name_en == hit.document.name_en)
            .filter_map(|member| member.earliest_free)
            .min();
        assert_eq!(group.earliest_free, earliest, "{}", group.key);
    }
}

/// Zones with fractional offsets and DST changes of one hour and of half an hour, each with
/// horizons that contain a change.
const ZONES: [(&str, bool, [&str; 2]); 5] = [
    (SHANGHAI, false, ["2026-03-01T00:00Z", "2026-10-20T00:00Z"]),
    (
        "Asia/Kathmandu",
        false,
        ["2026-03-01T00:00Z", "2026-10-20T00:00Z"],
    ),
    (
        "Europe/Berlin",
        true,
        ["2026-03-26T00:00Z", "2026-10-22T00:00Z"],
    ),
    (
        "America/St_Johns",
        true,
        ["2026-03-05T00:00Z", "2026-10-29T00:00Z"],
    ),
    (
        "Australia/Lord_Howe",
        true,
        ["2026-04-02T00:00Z", "2026-10-01T00:00Z"],
    ),
];

/// What the index should say, computed the slow way: every minute of the horizon read off the
/// local clock, a cell free when its 30 minutes are, runs tried from every cell.
struct Model {
    start_minute: i64,
    free: Vec<bool>,
}

impl Model {
    fn new(
        start_minute: i64,
        days: i64,
        zone: &TimeZone,
        opening: &WeeklyOpeningHours,
        unavailable: &[(i64, i64)],
    ) -> Model {
        let start_minute = start_minute.div_euclid(30) * 30;
        let minutes = days * 1440;
        let free = (start_minute..start_minute + minutes)
            .map(|minute| {
                let clock = zone.to_datetime(Timestamp::from_second(minute * 60).unwrap());
                let of_day = clock.hour() as u16 * 60 + clock.minute() as u16;
                opening.is_open_at(clock.weekday(), MinuteOfDay::new(of_day).unwrap())
                    && !unavailable
                        .iter()
                        .any(|&(start, end)| start <= minute && minute < end)
            })
            .collect();
        Model { start_minute, free }
    }

    fn cell_free(&self, cell: usize) -> bool {
        self.free[cell * 30..cell * 30 + 30]
            .iter()
            .all(|&free| free)
    }

    fn cells(&self) -> usize {
        self.free.len() / 30
    }

    fn first_free_run(&self, window_start: i64, window_end: i64, run: i64) -> Option<i64> {
        let horizon_end = self.start_minute + self.free.len() as i64;
        let run_cells = (run as usize).div_ceil(30);
        (0..self.cells())
            .map(|cell| (cell, self.start_minute + cell as i64 * 30))
            .find(|&(cell, start)| {
                start >= window_start
                    && start + run <= window_end.min(horizon_end)
                    && (cell..cell + run_cells).all(|cell| self.cell_free(cell))
            })
            .map(|(_, start)| start)
    }

    fn free_stretches(&self) -> Vec<(i64, i64)> {
        let mut stretches: Vec<(i64, i64)> = Vec::new();
        for cell in (0..self.cells()).filter(|&cell| self.cell_free(cell)) {
            let start = self.start_minute + cell as i64 * 30;
            match stretches.last_mut() {
                Some(last) if last.1 == start => last.1 = start + 30,
                _ => stretches.push((start, start + 30)),
            }
        }
        stretches
    }
}

fn minute(minute: i64) -> Timestamp {
    Timestamp::from_second(minute * 60).unwrap()
}

fn interval_list(avoid_small_hours: bool) -> impl Strategy<Value = Vec<OpeningInterval>> {
    let bounds = prop_oneof![
        1 => Just((0u16, 1440u16)),
        3 => (0u16..1440, 1u16..=1440),
    ];
    prop::collection::vec((0u8..7, bounds), 0..8).prop_map(move |raw| {
        raw.into_iter()
            .filter_map(|(day, (a, b))| {
                let (start, end) = (a.min(b), a.max(b));
                // The model reads the local clock, the index converts local times: the two
                // agree except for a bound inside a DST gap or fold (01:00–04:00 locally in
                // these zones), which the worked Berlin case pins down instead.
                let in_small_hours = |m: u16| (60..240).contains(&m);
                let skip = start >= end
                    || (avoid_small_hours && (in_small_hours(start) || in_small_hours(end)));
                let weekday = Weekday::from_monday_zero_offset(day as i8).unwrap();
                (!skip).then(|| {
                    OpeningInterval::new(
                        weekday,
                        MinuteOfDay::new(start).unwrap(),
                        MinuteOfDay::new(end).unwrap(),
                    )
                    .unwrap()
                })
            })
            .collect()
    })
}

#[derive(Debug, Clone)]
struct Case {
    zone: &'static str,
    start_minute: i64,
    days: i64,
    opening: WeeklyOpeningHours,
    busy: Vec<(i64, i64)>,
    closures: Vec<(i64, i64)>,
    extra_busy: (i64, i64),
    queries: Vec<(i64, i64, i64)>,
}

fn case() -> impl Strategy<Value = Case> {
    (0..ZONES.len(), 0usize..2, 0i64..96 * 30, 1i64..=6).prop_flat_map(
        |(zone, anchor, offset, days)| {
            let (name, has_dst, anchors) = ZONES[zone];
            let start_minute = utc(anchors[anchor]).as_second() / 60 + offset;
            let span = days * 1440;
            let stretch = move |longest: i64| {
                (-600..span + 600, 1..longest).prop_map(move |(from, length)| {
                    (start_minute + from, start_minute + from + length)
                })
            };
            let query = (-300..span + 300, 1..span + 60, 1i64..3000).prop_map(
                move |(from, length, run)| (start_minute + from, start_minute + from + length, run),
            );
            (
                interval_list(has_dst),
                prop::collection::vec(stretch(600), 0..6),
                prop::collection::vec(stretch(3000), 0..3),
                stretch(300),
                prop::collection::vec(query, 1..8),
            )
                .prop_map(move |(intervals, busy, closures, extra_busy, queries)| {
                    Case {
                        zone: name,
                        start_minute,
                        days,
                        opening: WeeklyOpeningHours::from_intervals(intervals),
                        busy,
                        closures,
                        extra_busy,
                        queries,
                    }
                })
        },
    )
}

fn agrees(
    index: &AvailabilityIndex,
    id: InstrumentId,
    model: &Model,
    queries: &[(i64, i64, i64)],
) -> Result<(), TestCaseError> {
    let (start, end) = index.horizon();
    let stretches: Vec<(i64, i64)> = index
        .free_intervals(id, start - hours(24), end + hours(24))
        .unwrap()
        .into_iter()
        .map(|(from, to)| (from.as_second() / 60, to.as_second() / 60))
        .collect();
    prop_assert_eq!(stretches, model.free_stretches());
    for &(window_start, window_end, run) in queries {
        let expected = model.first_free_run(window_start, window_end, run);
        let (from, to, run_length) = (
            minute(window_start),
            minute(window_end),
            SignedDuration::from_mins(run),
        );
        let found = index.first_free_run(id, from, to, run_length);
        prop_assert_eq!(found.map(|at| at.as_second() / 60), expected);
        prop_assert_eq!(
            index.is_free_for(id, from, to, run_length),
            expected.is_some()
        );
        match index.free_filter(from, to, run_length) {
            Ok(filter) => prop_assert_eq!(filter.admits_instrument(id), expected.is_some()),
            Err(_) => prop_assert!(run > window_end - window_start || run > 7 * 1440),
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn agrees_with_a_minute_by_minute_model(case in case()) {
        let time_zone = zone(case.zone);
        let target = InstrumentId(1);
        let twin = InstrumentId(2);
        let other = InstrumentId(3);
        let inputs = [
            InstrumentCalendarInput {
                instrument: target,
                time_zone: time_zone.clone(),
                opening_hours: case.opening.clone(),
                closures: case.closures.iter().map(|&(a, b)| (minute(a), minute(b))).collect(),
                busy: case.busy.iter().map(|&(a, b)| (minute(a), minute(b))).collect(),
            },
            // Shares the target's open cells, none of its bookings.
            InstrumentCalendarInput {
                instrument: twin,
                time_zone: time_zone.clone(),
                opening_hours: case.opening.clone(),
                closures: Vec::new(),
                busy: Vec::new(),
            },
            input(3, "UTC", "Mon-Sun 00:00-24:00"),
        ];
        let mut index = AvailabilityIndex::build(minute(case.start_minute), case.days as u32, inputs);
        prop_assert_eq!(index.instrument_count(), 3);
        let mut unavailable: Vec<(i64, i64)> =
            case.busy.iter().chain(&case.closures).copied().collect();
        let model = Model::new(case.start_minute, case.days, &time_zone, &case.opening, &unavailable);
        agrees(&index, target, &model, &case.queries)?;
        let open = Model::new(case.start_minute, case.days, &time_zone, &case.opening, &[]);
        agrees(&index, twin, &open, &case.queries)?;
        let always = Model::new(case.start_minute, case.days, &TimeZone::UTC, &WeeklyOpeningHours::parse("Mon-Sun 00:00-24:00").unwrap(), &[]);
        agrees(&index, other, &always, &case.queries)?;

        let (from, to) = case.extra_busy;
        prop_assert!(index.mark_busy(target, minute(from), minute(to)));
        unavailable.push(case.extra_busy);
        let model = Model::new(case.start_minute, case.days, &time_zone, &case.opening, &unavailable);
        agrees(&index, target, &model, &case.queries)?;
        agrees(&index, twin, &open, &case.queries)?;
    }
}
