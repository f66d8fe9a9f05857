//! A year of booking history for the demo region, plus the weeks ahead.
//!
//! For every instrument this draws the calendar rules its manager would set (by the kind of
//! instrument: slot grid, booking lengths, notice, an occasional weekly quota), and then its
//! bookings over the [`PAST_DAYS`] days before `today` and the [`FUTURE_DAYS`] days from it.
//!
//! Bookings are laid out per instrument as a renewal process over its open time: a booking,
//! an idle gap, the next booking. The gaps are drawn in *demand-weighted* open time, so one
//! open minute counts less on a Saturday, at night, around the Spring Festival, in August,
//! or weeks ahead (most bookings are made a few days before they start). How busy an
//! instrument is follows its kind (mass spectrometers, NMR, electron microscopes and
//! sequencers are busy; routine lab equipment much less), its holder (Project 985
//! universities and large institutes busier) and chance (some instruments sit nearly idle).
//!
//! Every booking passes the checks of a live request except the lead time: it lies on the
//! instrument's slot grid in local time, within the length limits, inside the weekly
//! opening hours, and holding bookings of one instrument never overlap; holding bookings of
//! one user within one quota week stay within the weekly quota. Times are converted through
//! the instrument's own zone: each local day's midnight is computed once per zone, and days
//! whose clocks change (daylight saving) are left without bookings.
//!
//! Like the region generator, this is pure and deterministic: the same region, seed and
//! `today` give the same history. Each instrument draws from its own ChaCha stream, seeded
//! from the seed and the instrument's id.

use std::collections::HashMap;

use corridor_domain::{
    price_for_minutes, AccessPolicy, BookingMode, BookingStatus, CalendarRules, CityCode, Fen,
    Institution, InstitutionId, InstitutionKind, Instrument, InstrumentId, ProvinceCode, Role,
    TimeRange, TimeZoneName, UniversityTier, UserClass, UserId, WeeklyOpeningHours,
    LONGEST_BOOKING_MINUTES,
};
use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp, ToSpan};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::data::instrument_templates::TEMPLATES;
use crate::{DemoRegion, Progress};

mod kinds;
mod open_time;
mod users;

use kinds::*;
use open_time::*;
use users::*;

/// How many days before `today` the history covers.
pub const PAST_DAYS: i64 = 365;
/// How many days from `today` (inclusive) already hold bookings.
pub const FUTURE_DAYS: i64 = 56;
/// Bookings that ended less than this long before `today` may still wait for their manager
/// to record usage (status confirmed, slot over).
pub const USAGE_RECORDING_LAG_MINUTES: i64 = 2 * 24 * 60;

/// Scales every instrument's demand. Calibrated so that the full demo region
/// (`DemoScale::full()`) gets about 1.1 million bookings (21 per instrument a year).
///
/// That count caps utilisation: the busiest kinds (mass spectrometers, NMR, electron
/// microscopes) then hold 3-4.5% of their open hours, routine equipment 0.5-1%. The ratios
/// between kinds and holders do not depend on this value; the absolute level does. At 0.5
/// the busiest kinds reach about 15% (5.3 M bookings), at 1.2 about 33% (12.8 M bookings).
const DEMAND_SCALE: f64 = 0.112;

/// One booking of the demo history.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DemoBooking {
    pub instrument: InstrumentId,
    pub user: UserId,
    pub range: TimeRange,
    pub status: BookingStatus,
    pub user_class: UserClass,
    pub hourly_rate: Fen,
    /// The price quoted at booking time: the booked minutes at `hourly_rate`.
    pub price: Fen,
    /// Minutes actually used; only completed bookings have it.
    pub usage_minutes: Option<i64>,
    /// What was charged for the usage; only completed bookings have it.
    pub charged: Option<Fen>,
    pub created_at: Timestamp,
}

/// The calendar rules, bookings and qualifications of the whole region.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BookingHistory {
    /// One per instrument, in instrument order.
    pub rules: Vec<(InstrumentId, CalendarRules)>,
    /// Sorted by instrument, then start.
    pub bookings: Vec<DemoBooking>,
    /// Unique (instrument, user) pairs, sorted.
    pub qualifications: Vec<(InstrumentId, UserId)>,
}

/// Generates the booking history of `region` for the [`PAST_DAYS`] days before `today` and
/// the [`FUTURE_DAYS`] days from it. `today` is a civil date, read in each instrument's zone.
pub fn generate_booking_history(
    region: &DemoRegion,
    seed: u64,
    today: Date,
    progress: Progress<'_>,
) -> BookingHistory {
    let population = Population::new(region);
    let kinds: HashMap<&str, Kind> = TEMPLATES
        .iter()
        .map(|template| {
            (
                template.name_en,
                kind_of(template.category_code, template.name_en),
            )
        })
        .collect();
    let site_city: HashMap<_, _> = region
        .sites
        .iter()
        .map(|site| (site.id, site.city))
        .collect();

    let mut order: Vec<usize> = (0..region.instruments.len()).collect();
    order.sort_by_key(|&index| region.instruments[index].id);

    // Pass 1: rules, demand and calendar of every instrument.
    let mut zones: HashMap<TimeZoneName, ZoneDays> = HashMap::new();
    let mut calendar_index: HashMap<(TimeZoneName, WeeklyOpeningHours, u32), usize> =
        HashMap::new();
    let mut calendars: Vec<Calendar> = Vec::new();
    let mut plans: Vec<Plan> = Vec::with_capacity(order.len());
    for &index in &order {
        let instrument = &region.instruments[index];
        let mut rng = instrument_rng(seed, instrument.id, 1);
        let kind = kinds
            .get(instrument.name_en.as_str())
            .copied()
            .unwrap_or(DEFAULT_KIND);
        let round_the_clock = instrument.opening_hours.open_minutes_per_week() >= 7 * 1440;
        let provider = population.institution_index(instrument.institution);
        let popularity = kind.demand
            * provider.map_or(1.0, |provider| {
                institution_factor(&region.institutions[provider])
            })
            * (rng.gen_range(-0.7f64..0.7)).exp()
            * if rng.gen_bool(0.10) {
                // Nearly idle: bought for one project, or nobody knows it is there.
                rng.gen_range(0.01..0.12)
            } else {
                1.0
            };
        let rules = draw_rules(&mut rng, kind, round_the_clock, popularity);
        let key = (
            instrument.time_zone.clone(),
            instrument.opening_hours.clone(),
            rules.slot_minutes,
        );
        let calendar = match calendar_index.get(&key) {
            Some(&calendar) => calendar,
            None => {
                let zone = zones
                    .entry(instrument.time_zone.clone())
                    .or_insert_with(|| ZoneDays::new(&instrument.time_zone, today));
                calendars.push(Calendar::new(
                    zone,
                    &instrument.opening_hours,
                    rules.slot_minutes,
                ));
                calendar_index.insert(key, calendars.len() - 1);
                calendars.len() - 1
            }
        };
        let city = site_city
            .get(&instrument.site)
            .copied()
            .or_else(|| provider.map(|provider| region.institutions[provider].city));
        plans.push(Plan {
            index,
            kind,
            rules,
            round_the_clock,
            demand: (popularity * DEMAND_SCALE).min(0.9),
            calendar,
            provider,
            city,
            province: city.and_then(|city| population.province_of_city(city)),
            first_user: None,
        });
    }
    seed_demo_accounts(region, seed, &population, &mut plans);

    // Pass 2: the bookings, instrument by instrument.
    let mut history = BookingHistory {
        rules: Vec::with_capacity(plans.len()),
        bookings: Vec::with_capacity(plans.len() * 21),
        qualifications: Vec::new(),
    };
    let mut scratch = Scratch::default();
    let total = plans.len() as u64;
    for (done, plan) in plans.iter().enumerate() {
        if done % 2_000 == 0 {
            progress("bookings", done as u64, total);
        }
        let instrument = &region.instruments[plan.index];
        history.rules.push((instrument.id, plan.rules));
        let mut generator = InstrumentBookings {
            instrument,
            plan,
            calendar: &calendars[plan.calendar],
            population: &population,
            region,
            rng: instrument_rng(seed, instrument.id, 2),
            scratch: &mut scratch,
        };
        generator.run(&mut history);
    }
    progress("bookings", total, total);
    history
}

/// Each instrument's own random stream: independent of every other instrument's, so that a
/// change to one kind's rules does not reshuffle the whole region.
fn instrument_rng(seed: u64, instrument: InstrumentId, stream: u64) -> ChaCha8Rng {
    let mut x = seed
        ^ (instrument.0 as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)
        ^ stream.wrapping_mul(0xD1B5_4A32_D192_ED03);
    // splitmix64 finaliser
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    ChaCha8Rng::seed_from_u64(x ^ (x >> 31))
}

// ---------------------------------------------------------------------------------------
// Bookings of one instrument
// ---------------------------------------------------------------------------------------

struct Plan {
    /// Index into `region.instruments`.
    index: usize,
    kind: Kind,
    rules: CalendarRules,
    round_the_clock: bool,
    /// Target share of (demand-weighted) open time in holding or cancelled bookings.
    demand: f64,
    calendar: usize,
    provider: Option<usize>,
    city: Option<CityCode>,
    province: Option<ProvinceCode>,
    /// A demo account that is this instrument's first regular.
    first_user: Option<u32>,
}

#[derive(Default)]
struct Scratch {
    /// The user (index) of every booking of the current instrument so far.
    booking_users: Vec<u32>,
    /// Minutes each user holds in the current quota week.
    week_minutes: Vec<(u32, u32)>,
    qualified: Vec<u32>,
}

struct InstrumentBookings<'a> {
    instrument: &'a Instrument,
    plan: &'a Plan,
    calendar: &'a Calendar,
    population: &'a Population,
    region: &'a DemoRegion,
    rng: ChaCha8Rng,
    scratch: &'a mut Scratch,
}

impl InstrumentBookings<'_> {
    fn run(&mut self, history: &mut BookingHistory) {
        self.scratch.booking_users.clear();
        self.scratch.week_minutes.clear();
        self.scratch.qualified.clear();
        let pieces = &self.calendar.pieces;
        let demand = self.plan.demand;
        if pieces.is_empty() || demand <= 0.0 || self.plan.provider.is_none() {
            return;
        }
        let rules = self.plan.rules;
        let slot = i64::from(rules.slot_minutes);
        let min = i64::from(rules.min_booking_minutes);
        let mut current_week = i64::MIN;
        let mut p = 0usize;
        let mut t = pieces[0].start;
        'bookings: loop {
            let length = self.draw_length();
            // Idle time before the booking, in demand-weighted open minutes.
            let mean_gap = length as f64 * (1.0 - demand) / demand;
            let mut gap = -mean_gap * (1.0 - self.rng.gen::<f64>()).ln();
            loop {
                let piece = &pieces[p];
                let available = (piece.end - t) as f64 * piece.weight;
                if gap < available {
                    t += (gap / piece.weight) as i64;
                    break;
                }
                gap -= available;
                p += 1;
                if p == pieces.len() {
                    break 'bookings;
                }
                t = pieces[p].start;
            }
            // Onto the slot grid; people like to start on the hour.
            let piece = pieces[p];
            let local = t - piece.midnight;
            let mut aligned = (local + slot - 1) / slot * slot;
            if slot < 60 && self.rng.gen_bool(0.5) {
                let on_hour = (local + 59) / 60 * 60;
                if piece.midnight + on_hour < piece.end {
                    aligned = on_hour;
                }
            }
            t = piece.midnight + aligned;
            if t >= piece.end {
                // Rounded up to the end of the piece (ends are on the grid): the next one.
                p += 1;
                if p == pieces.len() {
                    break;
                }
                t = pieces[p].start;
            }
            let piece = pieces[p];
            let mut length = length;
            if t + length > piece.run_end {
                length = piece.run_end - t;
            }
            if length >= min {
                self.emit(history, t, length, piece.day, &mut current_week);
                t += length;
            } else {
                t = piece.run_end;
            }
            while p < pieces.len() && pieces[p].end <= t {
                p += 1;
            }
            if p == pieces.len() {
                break;
            }
            t = t.max(pieces[p].start);
        }
        self.finish_qualifications(history);
    }

    /// A booking length on the grid within the rules, in the kind's usual range.
    fn draw_length(&mut self) -> i64 {
        let kind = self.plan.kind;
        let (low, high) = if self.plan.round_the_clock {
            kind.run_lengths
        } else {
            kind.day_lengths
        };
        let rules = self.plan.rules;
        let slot = f64::from(rules.slot_minutes);
        let (low, high) = (f64::from(low), f64::from(high));
        let raw = if high > low {
            (low.ln() + self.rng.gen::<f64>() * (high.ln() - low.ln())).exp()
        } else {
            low
        };
        let mut minutes = (raw / slot).round() * slot;
        if minutes >= 60.0 && slot <= 60.0 && self.rng.gen_bool(0.6) {
            minutes = (minutes / 60.0).round() * 60.0;
        }
        (minutes as i64).clamp(
            i64::from(rules.min_booking_minutes),
            i64::from(rules.max_booking_minutes),
        )
    }

    fn emit(
        &mut self,
        history: &mut BookingHistory,
        start_minute: i64,
        minutes: i64,
        day: u16,
        current_week: &mut i64,
    ) {
        let plan = self.plan;
        let instrument = self.instrument;
        let calendar = self.calendar;
        let end_minute = start_minute + minutes;
        let past = end_minute <= calendar.today_start;
        let needs_approval = instrument.booking_mode == BookingMode::NeedsApproval;
        // Booked 1 to 30 days ahead, mostly a few days, and never after today began. Bookings
        // more than 30 days ahead were made in the last two weeks.
        let day_minutes = i64::from(DAY);
        // One minute of margin for the seconds added below.
        let latest = (start_minute - day_minutes - 1).min(calendar.today_start - 1);
        let earliest = start_minute - 30 * day_minutes;
        let u: f64 = self.rng.gen();
        let created_minute = if earliest <= latest {
            latest - (u * u * (latest - earliest) as f64) as i64
        } else {
            latest - (u * (14 * day_minutes) as f64) as i64
        };
        let created_at =
            minute_instant(created_minute) + SignedDuration::from_secs(self.rng.gen_range(0..60));
        let status = if past {
            let roll: f64 = self.rng.gen();
            if needs_approval && roll < 0.05 {
                BookingStatus::Rejected
            } else if roll > 0.92 {
                BookingStatus::Cancelled
            } else if calendar.today_start - end_minute < USAGE_RECORDING_LAG_MINUTES
                && self.rng.gen_bool(0.5)
            {
                // Managers record usage a day or two after the slot, so half of the last
                // days' bookings still wait for it: the console's "usage to record" list.
                BookingStatus::Confirmed
            } else {
                BookingStatus::Completed
            }
        } else if needs_approval && calendar.today_start - created_minute < 3 * i64::from(DAY) {
            // Approvals take a few days: recent requests still wait for the manager.
            BookingStatus::Pending
        } else {
            BookingStatus::Confirmed
        };
        let holding = status.holds_slot();

        // Quota weeks are local Monday-to-Sunday weeks; only holding bookings count.
        let quota = if holding {
            plan.rules.weekly_quota_minutes
        } else {
            None
        };
        if quota.is_some() {
            let week = (i64::from(day) + i64::from(calendar.first_weekday)) / 7;
            if week != *current_week {
                *current_week = week;
                self.scratch.week_minutes.clear();
            }
        }
        let Some(user) = self.choose_user(minutes, quota) else {
            return;
        };
        if quota.is_some() {
            match self
                .scratch
                .week_minutes
                .iter_mut()
                .find(|(candidate, _)| *candidate == user)
            {
                Some((_, used)) => *used += minutes as u32,
                None => self.scratch.week_minutes.push((user, minutes as u32)),
            }
        }
        self.scratch.booking_users.push(user);
        if holding && instrument.training_required {
            self.scratch.qualified.push(user);
        }

        let home = &self.region.institutions[self.population.user_home[user as usize] as usize];
        let user_class = UserClass::of(home, instrument.institution);
        let hourly_rate = instrument.rates.for_class(user_class);
        let (usage_minutes, charged) = if status == BookingStatus::Completed {
            let usage = self.draw_usage(minutes);
            (Some(usage), Some(price_for_minutes(hourly_rate, usage)))
        } else {
            (None, None)
        };
        history.bookings.push(DemoBooking {
            instrument: instrument.id,
            user: self.region.users[user as usize].id,
            range: TimeRange {
                start: minute_instant(start_minute),
                end: minute_instant(end_minute),
            },
            status,
            user_class,
            hourly_rate,
            price: price_for_minutes(hourly_rate, minutes),
            usage_minutes,
            charged,
            created_at,
        });
    }

    /// The booker: a regular of the instrument most of the time (regulars book again in
    /// proportion to how often they have), sometimes someone new. Never one who would go
    /// over the weekly quota.
    fn choose_user(&mut self, minutes: i64, quota: Option<u32>) -> Option<u32> {
        const NEWCOMERS: f64 = 5.0;
        for _ in 0..6 {
            let known = self.scratch.booking_users.len();
            let candidate = if known == 0 && self.plan.first_user.is_some() {
                self.plan.first_user
            } else if known == 0 || self.rng.gen_bool(NEWCOMERS / (known as f64 + NEWCOMERS)) {
                self.population
                    .draw(&mut self.rng, self.plan, self.instrument.access_policy)
            } else {
                Some(self.scratch.booking_users[self.rng.gen_range(0..known)])
            };
            let candidate = candidate?;
            let fits = match quota {
                None => true,
                Some(quota) => {
                    let used = self
                        .scratch
                        .week_minutes
                        .iter()
                        .find(|(user, _)| *user == candidate)
                        .map_or(0, |(_, used)| *used);
                    i64::from(used) + minutes <= i64::from(quota)
                }
            };
            if fits {
                return Some(candidate);
            }
        }
        None
    }

    /// Minutes used: usually as booked, often a little less, occasionally a little more.
    fn draw_usage(&mut self, minutes: i64) -> i64 {
        let roll: f64 = self.rng.gen();
        let usage = if roll < 0.55 {
            minutes
        } else if roll < 0.80 {
            minutes - self.rng.gen_range(1..=6) * 5
        } else if roll < 0.95 {
            (minutes as f64 * self.rng.gen_range(0.5..0.9)) as i64 / 5 * 5
        } else {
            minutes + self.rng.gen_range(1..=6) * 5
        };
        usage.max(5)
    }

    fn finish_qualifications(&mut self, history: &mut BookingHistory) {
        if !self.instrument.training_required {
            return;
        }
        // A few more people were trained than have booked yet.
        if let Some(provider) = self.plan.provider {
            let own = &self.population.by_institution[provider];
            for _ in 0..self.rng.gen_range(0..=2) {
                if let Some(user) = pick(&mut self.rng, own) {
                    self.scratch.qualified.push(user);
                }
            }
        }
        let qualified = &mut self.scratch.qualified;
        let instrument = self.instrument.id;
        let users = &self.region.users;
        let first = history.qualifications.len();
        history.qualifications.extend(
            qualified
                .iter()
                .map(|&user| (instrument, users[user as usize].id)),
        );
        history.qualifications[first..].sort_unstable();
        let mut kept = first;
        for index in first..history.qualifications.len() {
            if kept == first || history.qualifications[kept - 1] != history.qualifications[index] {
                history.qualifications[kept] = history.qualifications[index];
                kept += 1;
            }
        }
        history.qualifications.truncate(kept);
    }
}

fn minute_instant(minute: i64) -> Timestamp {
    Timestamp::from_second(minute * 60).expect("demo times are in range")
}
