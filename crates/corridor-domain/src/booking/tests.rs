use jiff::civil::date;
use proptest::prelude::*;

use super::*;

fn calendar(zone: &str, hours: &str, rules: CalendarRules) -> InstrumentCalendar {
    InstrumentCalendar {
        time_zone: TimeZoneName::parse(zone).unwrap(),
        opening_hours: WeeklyOpeningHours::parse(hours).unwrap(),
        rules,
        closures: Vec::new(),
    }
}

fn at(zone: &str, y: i16, m: i8, d: i8, h: i8, min: i8) -> Timestamp {
    date(y, m, d)
        .at(h, min, 0, 0)
        .to_zoned(jiff::tz::db().get(zone).unwrap())
        .unwrap()
        .timestamp()
}

fn range(start: Timestamp, end: Timestamp) -> TimeRange {
    TimeRange::new(start, end).unwrap()
}

const SHANGHAI: &str = "Asia/Shanghai";

/// Monday 2026-12-07, a week after "now" in these tests.
fn monday(h: i8, m: i8) -> Timestamp {
    at(SHANGHAI, 2026, 12, 7, h, m)
}

fn now() -> Timestamp {
    at(SHANGHAI, 2026, 11, 30, 9, 0)
}

#[test]
fn a_request_inside_the_hours_on_the_grid_is_accepted() {
    let calendar = calendar(
        SHANGHAI,
        "Mon-Fri 08:30-12:00,13:00-17:30",
        CalendarRules::standard(),
    );
    assert_eq!(
        calendar.check_request(range(monday(9, 0), monday(11, 30)), now()),
        Ok(())
    );
}

#[test]
fn each_rule_refuses_what_it_should() {
    let rules = CalendarRules::new(30, 60, 240, 120, 1440, Some(300)).unwrap();
    let mut calendar = calendar(SHANGHAI, "Mon-Fri 08:30-12:00,13:00-17:30", rules);
    let refusal = |calendar: &InstrumentCalendar, start, end| {
        calendar
            .check_request(range(start, end), now())
            .unwrap_err()
            .slug()
    };
    assert_eq!(
        refusal(&calendar, monday(9, 15), monday(10, 15)),
        "booking-off-slot-grid"
    );
    assert_eq!(
        refusal(&calendar, monday(9, 0), monday(9, 30)),
        "booking-length-not-allowed"
    );
    assert_eq!(
        refusal(&calendar, monday(8, 30), monday(12, 30)),
        "booking-outside-opening-hours"
    );
    assert_eq!(
        refusal(&calendar, monday(13, 0), monday(17, 30)),
        "booking-length-not-allowed"
    );
    assert_eq!(
        refusal(&calendar, monday(11, 0), monday(13, 30)),
        "booking-outside-opening-hours"
    );
    assert_eq!(
        refusal(&calendar, monday(7, 30), monday(9, 0)),
        "booking-outside-opening-hours"
    );
    // Lead time: two hours before now + 2h is too soon, exactly at it is fine.
    let soon = now() + SignedDuration::from_mins(90);
    let calendar_every_day = InstrumentCalendar {
        opening_hours: WeeklyOpeningHours::parse("Mon-Sun 00:00-24:00").unwrap(),
        ..calendar.clone()
    };
    assert_eq!(
        refusal(
            &calendar_every_day,
            soon,
            soon + SignedDuration::from_hours(1)
        ),
        "booking-too-soon"
    );
    let lead = now() + SignedDuration::from_mins(120);
    assert_eq!(
        calendar_every_day.check_request(range(lead, lead + SignedDuration::from_hours(1)), now()),
        Ok(())
    );
    calendar.closures.push(Closure {
        id: ClosureId(1),
        kind: ClosureKind::Maintenance,
        range: range(monday(10, 0), monday(10, 30)),
        reason: "detector cooling".into(),
    });
    assert_eq!(
        refusal(&calendar, monday(9, 0), monday(11, 0)),
        "instrument-closed"
    );
    // Touching a closure is not overlapping it.
    assert_eq!(
        calendar.check_request(range(monday(10, 30), monday(11, 30)), now()),
        Ok(())
    );
}

#[test]
fn the_quota_counts_the_local_week() {
    let rules = CalendarRules::new(30, 30, 480, 0, 0, Some(240)).unwrap();
    let calendar = calendar(SHANGHAI, "Mon-Sun 00:00-24:00", rules);
    let week = calendar.quota_week_of(at(SHANGHAI, 2026, 12, 9, 15, 0));
    assert_eq!(week.start, monday(0, 0));
    assert_eq!(week.end, at(SHANGHAI, 2026, 12, 14, 0, 0));
    // Sunday 23:30 local belongs to the week that started the Monday before.
    let sunday_late = at(SHANGHAI, 2026, 12, 13, 23, 30);
    assert_eq!(calendar.quota_week_of(sunday_late), week);
    let booking = range(monday(9, 0), monday(11, 0));
    assert_eq!(calendar.check_quota(booking, 120), Ok(()));
    assert_eq!(
        calendar.check_quota(booking, 150).unwrap_err().slug(),
        "booking-quota-exceeded"
    );
}

#[test]
fn opening_hours_follow_local_time_across_daylight_saving() {
    // Berlin moves from +01:00 to +02:00 on 29 March 2026. An instrument open 08:00-18:00
    // local opens at 07:00 UTC before and 06:00 UTC after.
    let calendar = calendar(
        "Europe/Berlin",
        "Mon-Fri 08:00-18:00",
        CalendarRules::standard(),
    );
    let now: Timestamp = "2026-03-01T00:00:00Z".parse().unwrap();
    let before: Timestamp = "2026-03-27T07:00:00Z".parse().unwrap();
    let after: Timestamp = "2026-03-30T06:00:00Z".parse().unwrap();
    let hour = SignedDuration::from_hours(1);
    assert_eq!(
        calendar.check_request(range(before, before + hour), now),
        Ok(())
    );
    assert_eq!(
        calendar.check_request(range(after, after + hour), now),
        Ok(())
    );
    let too_early_after = after - hour;
    assert_eq!(
        calendar
            .check_request(range(too_early_after, too_early_after + hour), now)
            .unwrap_err()
            .slug(),
        "booking-outside-opening-hours"
    );
    // The quota week of the change is one hour shorter.
    let week = calendar.quota_week_of(after - SignedDuration::from_hours(30));
    assert_eq!(
        week.end.duration_since(week.start),
        SignedDuration::from_hours(167)
    );
}

#[test]
fn a_round_the_clock_instrument_takes_bookings_across_midnight() {
    let rules = CalendarRules::new(60, 60, 24 * 60, 0, 0, None).unwrap();
    let calendar = calendar(SHANGHAI, "Mon-Sun 00:00-24:00", rules);
    assert_eq!(
        calendar.check_request(
            range(monday(22, 0), monday(22, 0) + SignedDuration::from_hours(4)),
            now()
        ),
        Ok(())
    );
    let weekdays = InstrumentCalendar {
        opening_hours: WeeklyOpeningHours::parse("Mon 00:00-24:00; Wed 00:00-24:00").unwrap(),
        ..calendar
    };
    assert_eq!(
        weekdays
            .check_request(
                range(monday(22, 0), monday(22, 0) + SignedDuration::from_hours(4)),
                now()
            )
            .unwrap_err()
            .slug(),
        "booking-outside-opening-hours"
    );
}

#[test]
fn cancellation_respects_the_deadline() {
    let rules = CalendarRules::standard();
    let booking = range(monday(9, 0), monday(10, 0));
    let day_before = monday(9, 0) - SignedDuration::from_hours(24);
    assert_eq!(check_user_may_cancel(&rules, booking, day_before), Ok(()));
    assert_eq!(
        check_user_may_cancel(&rules, booking, day_before + SignedDuration::from_mins(1))
            .unwrap_err()
            .slug(),
        "cancellation-deadline-passed"
    );
    assert_eq!(
        check_user_may_cancel(&rules, booking, monday(9, 0)),
        Err(BookingRefusal::AlreadyStarted)
    );
}

#[test]
fn rules_refuse_nonsense() {
    assert!(
        CalendarRules::new(7, 7, 14, 0, 0, None).is_err(),
        "7 does not divide a day"
    );
    assert!(
        CalendarRules::new(30, 45, 60, 0, 0, None).is_err(),
        "minimum off the grid"
    );
    assert!(
        CalendarRules::new(30, 60, 30, 0, 0, None).is_err(),
        "maximum below minimum"
    );
    assert!(
        CalendarRules::new(30, 60, 60, 0, 0, Some(30)).is_err(),
        "quota below minimum"
    );
    assert!(
        CalendarRules::new(30, 30, 30 * 24 * 60, 0, 0, None).is_err(),
        "too long"
    );
    assert!(CalendarRules::new(15, 15, 60, 0, 0, Some(60)).is_ok());
}

#[test]
fn prices_round_half_up_to_the_fen() {
    assert_eq!(price_for_minutes(Fen(10_000), 90), Fen(15_000));
    assert_eq!(price_for_minutes(Fen(1), 30), Fen(1));
    assert_eq!(price_for_minutes(Fen(1), 29), Fen(0));
    assert_eq!(price_for_minutes(Fen(0), 600), Fen(0));
}

/// The minute-by-minute definition the slot walk must agree with: every minute of the range
/// is inside an opening interval of its local weekday.
fn brute_force_open(calendar: &InstrumentCalendar, range: TimeRange) -> bool {
    let zone = calendar.zone();
    let mut minute = range.start;
    while minute < range.end {
        let local = minute.to_zoned(zone.clone()).datetime();
        let open = calendar.opening_hours.is_open_at(
            local.weekday(),
            MinuteOfDay::new(minute_of_day(local)).unwrap(),
        );
        if !open {
            return false;
        }
        minute += SignedDuration::from_mins(1);
    }
    true
}

fn opening_hours_strategy() -> impl Strategy<Value = WeeklyOpeningHours> {
    prop::collection::vec((0usize..7, 0u16..48, 1u16..24), 0..8).prop_map(|spans| {
        let intervals = spans
            .into_iter()
            .map(|(day, start_half_hour, length_half_hours)| {
                let start = start_half_hour * 30;
                let end = (start + length_half_hours * 30).min(1440);
                crate::OpeningInterval::new(
                    [
                        Weekday::Monday,
                        Weekday::Tuesday,
                        Weekday::Wednesday,
                        Weekday::Thursday,
                        Weekday::Friday,
                        Weekday::Saturday,
                        Weekday::Sunday,
                    ][day],
                    MinuteOfDay::new(start).unwrap(),
                    MinuteOfDay::new(end).unwrap(),
                )
                .unwrap()
            })
            .collect();
        WeeklyOpeningHours::from_intervals(intervals)
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// Without daylight saving, the slot walk and the minute-by-minute definition agree on
    /// every request on the grid with an allowed length.
    #[test]
    fn opening_check_matches_minute_by_minute_in_shanghai(
        hours in opening_hours_strategy(),
        start_slot in 0i64..(14 * 48),
        slots in 1i64..16,
    ) {
        let rules = CalendarRules::new(30, 30, 16 * 30, 0, 0, None).unwrap();
        let calendar = InstrumentCalendar {
            time_zone: TimeZoneName::parse(SHANGHAI).unwrap(),
            opening_hours: hours,
            rules,
            closures: vec![],
        };
        let start = monday(0, 0) + SignedDuration::from_mins(30 * start_slot);
        let requested = range(start, start + SignedDuration::from_mins(30 * slots));
        let accepted = calendar.check_request(requested, now()).is_ok();
        prop_assert_eq!(accepted, brute_force_open(&calendar, requested));
    }

    /// Across daylight-saving changes the walk may be stricter than minute-by-minute, but it
    /// never accepts a request with a closed minute in it, and every accepted request is on
    /// the local grid with an allowed length.
    #[test]
    fn accepted_requests_are_always_open_and_on_the_grid_in_berlin(
        hours in opening_hours_strategy(),
        start_quarter in 0i64..(3 * 96),
        quarters in 1i64..40,
        slot in prop::sample::select(vec![15u32, 30, 60]),
        day in prop::sample::select(vec!["2026-03-28T00:00:00Z", "2026-10-24T00:00:00Z", "2026-07-01T00:00:00Z"]),
    ) {
        let rules = CalendarRules::new(slot, slot, 10 * 60, 0, 0, None).unwrap();
        let calendar = InstrumentCalendar {
            time_zone: TimeZoneName::parse("Europe/Berlin").unwrap(),
            opening_hours: hours,
            rules,
            closures: vec![],
        };
        let origin: Timestamp = day.parse().unwrap();
        let start = origin + SignedDuration::from_mins(15 * start_quarter);
        let requested = range(start, start + SignedDuration::from_mins(15 * quarters));
        if calendar.check_request(requested, origin).is_ok() {
            prop_assert!(brute_force_open(&calendar, requested));
            prop_assert!(requested.minutes() >= i64::from(slot));
            prop_assert!(requested.minutes() <= 600);
            for instant in [requested.start, requested.end] {
                let local = instant.to_zoned(calendar.zone()).datetime();
                prop_assert_eq!(u32::from(minute_of_day(local)) % slot, 0);
            }
        }
    }

    /// The quota week always contains the instant, starts on a local Monday at midnight and
    /// lasts a week give or take a daylight-saving hour.
    #[test]
    fn quota_week_contains_the_instant(
        seconds in 1_700_000_000i64..1_900_000_000,
        zone in prop::sample::select(vec![SHANGHAI, "Europe/Berlin", "America/New_York", "Australia/Sydney"]),
    ) {
        let calendar = calendar(zone, "Mon-Sun 00:00-24:00", CalendarRules::standard());
        let instant = Timestamp::from_second(seconds).unwrap();
        let week = calendar.quota_week_of(instant);
        prop_assert!(week.start <= instant && instant < week.end);
        let local_start = week.start.to_zoned(calendar.zone()).datetime();
        prop_assert_eq!(local_start.weekday(), Weekday::Monday);
        prop_assert_eq!((local_start.hour(), local_start.minute()), (0, 0));
        let hours = week.end.duration_since(week.start).as_hours();
        prop_assert!((167..=169).contains(&hours), "{hours}");
    }
}
