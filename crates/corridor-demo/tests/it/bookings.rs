//! The demo booking history: deterministic, valid by the rules a live request passes, and
//! shaped like real use (busy and quiet kinds, local and cross-provincial bookers).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::OnceLock;

use corridor_demo::bookings::{FUTURE_DAYS, PAST_DAYS, USAGE_RECORDING_LAG_MINUTES};
use corridor_demo::{generate, generate_booking_history, BookingHistory, DemoRegion, DemoScale};
use corridor_domain::{
    price_for_minutes, BookingMode, BookingStatus, Institution, InstitutionId, InstrumentCalendar,
    InstrumentId, ProvinceCode, TimeRange, UserClass, UserId,
};
use jiff::civil::{date, Date};
use jiff::{SignedDuration, Timestamp};

const TODAY: Date = date(2026, 3, 2);

fn small() -> &'static (DemoRegion, BookingHistory) {
    static SMALL: OnceLock<(DemoRegion, BookingHistory)> = OnceLock::new();
    SMALL.get_or_init(|| {
        let region = generate(7, DemoScale::small(), &mut |_, _, _| {});
        let history = generate_booking_history(&region, 7, TODAY, &mut |_, _, _| {});
        (region, history)
    })
}

/// Lookups from the region that the checks need.
struct Index<'a> {
    institutions: HashMap<InstitutionId, &'a Institution>,
    province_of_city: HashMap<corridor_domain::CityCode, ProvinceCode>,
    site_city: HashMap<corridor_domain::SiteId, corridor_domain::CityCode>,
    users: HashMap<UserId, &'a corridor_domain::User>,
    instruments: HashMap<InstrumentId, &'a corridor_domain::Instrument>,
}

impl<'a> Index<'a> {
    fn new(region: &'a DemoRegion) -> Index<'a> {
        Index {
            institutions: region.institutions.iter().map(|i| (i.id, i)).collect(),
            province_of_city: region.cities.iter().map(|c| (c.code, c.province)).collect(),
            site_city: region.sites.iter().map(|s| (s.id, s.city)).collect(),
            users: region.users.iter().map(|u| (u.id, u)).collect(),
            instruments: region.instruments.iter().map(|i| (i.id, i)).collect(),
        }
    }

    fn user_home(&self, user: UserId) -> &'a Institution {
        self.institutions[&self.users[&user].home_institution]
    }

    fn user_province(&self, user: UserId) -> ProvinceCode {
        self.province_of_city[&self.user_home(user).city]
    }

    fn instrument_province(&self, instrument: InstrumentId) -> ProvinceCode {
        self.province_of_city[&self.site_city[&self.instruments[&instrument].site]]
    }
}

fn today_start(zone: &jiff::tz::TimeZone) -> Timestamp {
    TODAY.to_zoned(zone.clone()).unwrap().timestamp()
}

#[test]
fn the_same_inputs_give_the_same_history_and_another_seed_another() {
    let (region, history) = small();
    let again = generate_booking_history(region, 7, TODAY, &mut |_, _, _| {});
    assert!(again == *history, "same region, seed and day");
    let other = generate_booking_history(region, 8, TODAY, &mut |_, _, _| {});
    assert_ne!(other.bookings, history.bookings);
    assert_ne!(other.rules, history.rules);
}

#[test]
fn every_booking_passes_the_rules_of_a_live_request() {
    let (region, history) = small();
    let index = Index::new(region);

    // One rule set per instrument, in instrument order.
    assert_eq!(history.rules.len(), region.instruments.len());
    let rules: HashMap<_, _> = history.rules.iter().copied().collect();
    assert_eq!(rules.len(), region.instruments.len());
    let quota_share = rules
        .values()
        .filter(|rules| rules.weekly_quota_minutes.is_some())
        .count() as f64
        / rules.len() as f64;
    assert!((0.08..=0.25).contains(&quota_share), "{quota_share}");

    // Sorted by (instrument, start).
    assert!(history
        .bookings
        .windows(2)
        .all(|pair| (pair[0].instrument, pair[0].range.start)
            <= (pair[1].instrument, pair[1].range.start)));

    let mut calendars: HashMap<InstrumentId, InstrumentCalendar> = HashMap::new();
    let mut holding: Vec<(InstrumentId, TimeRange)> = Vec::new();
    let mut usage_due = 0u64;
    // (instrument, user, quota week start) -> holding minutes
    let mut quota_use: HashMap<(InstrumentId, UserId, Timestamp), i64> = HashMap::new();
    for booking in &history.bookings {
        let instrument = index.instruments[&booking.instrument];
        let rules = rules[&booking.instrument];
        let calendar = calendars
            .entry(booking.instrument)
            .or_insert_with(|| InstrumentCalendar {
                time_zone: instrument.time_zone.clone(),
                opening_hours: instrument.opening_hours.clone(),
                rules,
                closures: vec![],
            });
        let zone = calendar.zone();
        let start_of_today = today_start(&zone);
        // Asked as it was, when it was made: the lead time and the booking horizon hold too.
        if let Err(refusal) = calendar.check_request(booking.range, booking.created_at) {
            panic!("{booking:?} refused: {refusal}");
        }
        let minutes = booking.range.minutes();
        assert!(
            minutes >= i64::from(rules.min_booking_minutes)
                && minutes <= i64::from(rules.max_booking_minutes)
                && minutes % i64::from(rules.slot_minutes) == 0,
            "{booking:?} {rules:?}"
        );

        // The booker may book it, and pays the rate of their class.
        let user = index.users[&booking.user];
        let home = index.user_home(booking.user);
        assert!(
            instrument.access_policy.admits(
                home.id,
                index.user_province(booking.user),
                instrument.institution
            ),
            "{booking:?} {:?}",
            instrument.access_policy
        );
        assert!(user.has_role(corridor_domain::Role::Researcher));
        assert_eq!(
            booking.user_class,
            UserClass::of(home, instrument.institution)
        );
        assert_eq!(
            booking.hourly_rate,
            instrument.rates.for_class(booking.user_class)
        );
        assert_eq!(
            booking.price,
            price_for_minutes(booking.hourly_rate, minutes)
        );

        // Made 1 to 30 days ahead (bookings more than 30 days ahead: before today), never
        // after today began.
        let ahead = booking.range.start.duration_since(booking.created_at);
        assert!(booking.created_at < start_of_today, "{booking:?}");
        assert!(ahead >= SignedDuration::from_hours(24), "{booking:?}");
        let far_ahead = booking.range.start >= start_of_today + SignedDuration::from_hours(30 * 24);
        assert!(
            far_ahead || ahead <= SignedDuration::from_hours(30 * 24 + 1),
            "{booking:?}"
        );
        assert!(
            booking.range.start >= start_of_today - SignedDuration::from_hours(24 * PAST_DAYS + 1)
                && booking.range.end
                    <= start_of_today + SignedDuration::from_hours(24 * FUTURE_DAYS + 1),
            "{booking:?}"
        );

        // Past bookings are done with; later ones are not.
        let past = booking.range.end <= start_of_today;
        match booking.status {
            BookingStatus::Completed => {
                assert!(past, "{booking:?}");
                let usage = booking
                    .usage_minutes
                    .expect("completed bookings record usage");
                assert!(usage > 0 && usage <= minutes + 30, "{booking:?}");
                assert_eq!(
                    booking.charged,
                    Some(price_for_minutes(booking.hourly_rate, usage))
                );
            }
            BookingStatus::Cancelled | BookingStatus::Rejected | BookingStatus::Confirmed => {
                assert_eq!((booking.usage_minutes, booking.charged), (None, None));
                if booking.status == BookingStatus::Confirmed {
                    // Either still ahead, or over so recently that usage waits to be recorded.
                    assert!(
                        booking.range.end
                            > start_of_today
                                - SignedDuration::from_mins(USAGE_RECORDING_LAG_MINUTES),
                        "{booking:?}"
                    );
                    if past {
                        usage_due += 1;
                    }
                } else {
                    assert!(past, "{booking:?}");
                }
                if booking.status == BookingStatus::Rejected {
                    assert_eq!(instrument.booking_mode, BookingMode::NeedsApproval);
                }
            }
            BookingStatus::Pending => {
                assert!(!past);
                assert_eq!(instrument.booking_mode, BookingMode::NeedsApproval);
                assert_eq!((booking.usage_minutes, booking.charged), (None, None));
            }
        }

        if booking.status.holds_slot() {
            holding.push((booking.instrument, booking.range));
            if rules.weekly_quota_minutes.is_some() {
                let week = calendar.quota_week_of(booking.range.start).start;
                let used = quota_use
                    .entry((booking.instrument, booking.user, week))
                    .or_default();
                if let Err(refusal) = calendar.check_quota(booking.range, *used) {
                    panic!("{booking:?}: {refusal}");
                }
                *used += minutes;
            }
        }
    }

    // Sweep: holding bookings of one instrument never overlap.
    holding.sort();
    for pair in holding.windows(2) {
        if pair[0].0 == pair[1].0 {
            assert!(
                pair[0].1.end <= pair[1].1.start,
                "overlap on {:?}: {:?} and {:?}",
                pair[0].0,
                pair[0].1,
                pair[1].1
            );
        }
    }

    // Both kinds of past failure and both kinds of future booking occur.
    let count = |status| {
        history
            .bookings
            .iter()
            .filter(|booking| booking.status == status)
            .count() as f64
    };
    let past_total = count(BookingStatus::Completed)
        + count(BookingStatus::Cancelled)
        + count(BookingStatus::Rejected);
    let cancelled = count(BookingStatus::Cancelled) / past_total;
    assert!((0.06..=0.10).contains(&cancelled), "{cancelled}");
    assert!(count(BookingStatus::Rejected) > 0.0);
    assert!(count(BookingStatus::Pending) > 0.0 && count(BookingStatus::Confirmed) > 0.0);
    // The managers' "usage to record" list is not empty, and it is the recent tail only.
    assert!(usage_due > 0 && (usage_due as f64) < count(BookingStatus::Completed) / 20.0);

    // Qualifications are unique pairs.
    let unique: HashSet<_> = history.qualifications.iter().collect();
    assert_eq!(unique.len(), history.qualifications.len());
}

#[test]
fn use_varies_by_kind_and_season_and_bookers_come_from_near_and_far() {
    let (region, history) = small();
    let index = Index::new(region);
    let zone = jiff::tz::TimeZone::get("Asia/Shanghai").unwrap();
    let start_of_today = today_start(&zone);

    // Enough bookings that the full region (56,000 instruments) has over a million.
    let per_instrument = history.bookings.len() as f64 / region.instruments.len() as f64;
    assert!(per_instrument >= 18.0, "{per_instrument}");

    // Utilisation over the past year: held minutes over open minutes, by subclass.
    let mut held: HashMap<InstrumentId, i64> = HashMap::new();
    for booking in &history.bookings {
        if booking.status.holds_slot() && booking.range.end <= start_of_today {
            *held.entry(booking.instrument).or_default() += booking.range.minutes();
        }
    }
    let mut by_category: BTreeMap<&str, (f64, usize)> = BTreeMap::new();
    for instrument in &region.instruments {
        let open = f64::from(instrument.opening_hours.open_minutes_per_week()) * 365.0 / 7.0;
        let utilisation = held.get(&instrument.id).copied().unwrap_or(0) as f64 / open;
        let entry = by_category.entry(instrument.category.as_str()).or_default();
        entry.0 += utilisation;
        entry.1 += 1;
    }
    let means: Vec<(&str, f64)> = by_category
        .iter()
        .filter(|(_, (_, count))| *count >= 25)
        .map(|(code, (sum, count))| (*code, sum / *count as f64))
        .collect();
    assert!(means.len() >= 10, "{means:?}");
    let busiest = means.iter().map(|(_, mean)| *mean).fold(0.0, f64::max);
    let quietest = means.iter().map(|(_, mean)| *mean).fold(1.0, f64::min);
    assert!(busiest >= 3.0 * quietest, "{means:?}");
    let mean_of = |code: &str| means.iter().find(|(c, _)| *c == code).unwrap().1;
    // Mass spectrometers and electron microscopes are busier than chromatographs.
    assert!(mean_of("0102") > 2.0 * mean_of("0105"), "{means:?}");
    assert!(mean_of("0101") > 2.0 * mean_of("0105"), "{means:?}");

    // Quieter in August and around the Spring Festival (2026-02-17) than in the usual month.
    let mut per_month: BTreeMap<(i16, i8), usize> = BTreeMap::new();
    for booking in &history.bookings {
        let day = booking.range.start.to_zoned(zone.clone()).date();
        *per_month.entry((day.year(), day.month())).or_default() += 1;
    }
    let usual = per_month[&(2025, 11)].min(per_month[&(2025, 4)]) as f64;
    assert!(
        (per_month[&(2025, 8)] as f64) < 0.8 * usual,
        "{per_month:?}"
    );
    assert!(
        (per_month[&(2026, 2)] as f64) < 0.6 * usual,
        "{per_month:?}"
    );

    // Most use is local; 10-20% crosses a provincial border, 3-5% comes from outside.
    let total = history.bookings.len() as f64;
    let crossing = history
        .bookings
        .iter()
        .filter(|booking| {
            index.user_province(booking.user) != index.instrument_province(booking.instrument)
        })
        .count() as f64
        / total;
    let outside = history
        .bookings
        .iter()
        .filter(|booking| !index.user_province(booking.user).is_in_region())
        .count() as f64
        / total;
    assert!((0.10..=0.20).contains(&crossing), "{crossing}");
    assert!((0.03..=0.05).contains(&outside), "{outside}");
    let own = history
        .bookings
        .iter()
        .filter(|booking| booking.user_class == UserClass::OwnInstitution)
        .count() as f64
        / total;
    let industry = history
        .bookings
        .iter()
        .filter(|booking| booking.user_class == UserClass::Industry)
        .count() as f64
        / total;
    assert!(
        own > 0.3 && industry > 0.08,
        "own {own}, industry {industry}"
    );

    // Whoever holds a booking on an instrument that needs training is qualified for it.
    let qualified: HashSet<(InstrumentId, UserId)> =
        history.qualifications.iter().copied().collect();
    for booking in &history.bookings {
        if booking.status.holds_slot() && index.instruments[&booking.instrument].training_required {
            assert!(
                qualified.contains(&(booking.instrument, booking.user)),
                "{booking:?}"
            );
        }
    }
    assert!(qualified.len() > history.bookings.len() / 20);
}
