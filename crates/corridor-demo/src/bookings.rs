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

/// How many days before `today` the history covers.
pub const PAST_DAYS: i64 = 365;
/// How many days from `today` (inclusive) already hold bookings.
pub const FUTURE_DAYS: i64 = 56;

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
// Kinds of instruments
// ---------------------------------------------------------------------------------------

/// How a kind of instrument is booked: its slot grid, the lengths users book in office
/// hours and on round-the-clock instruments, and how much it is in demand (a fraction of
/// open time before [`DEMAND_SCALE`]).
#[derive(Debug, Clone, Copy)]
struct Kind {
    slot: u32,
    min: u32,
    day_lengths: (u32, u32),
    day_max: u32,
    run_lengths: (u32, u32),
    run_max: u32,
    demand: f64,
}

const H: u32 = 60;
const DAY: u32 = 1440;

#[allow(clippy::too_many_arguments)]
const fn k(
    slot: u32,
    min: u32,
    day_lengths: (u32, u32),
    day_max: u32,
    run_lengths: (u32, u32),
    run_max: u32,
    demand: f64,
) -> Kind {
    Kind {
        slot,
        min,
        day_lengths,
        day_max,
        run_lengths,
        run_max,
        demand,
    }
}

const DEFAULT_KIND: Kind = k(30, 30, (H, 4 * H), 8 * H, (H, 12 * H), DAY, 0.15);
/// Quick measurements: a spectrum, a plate, a particle size.
const QUICK: Kind = k(15, 15, (15, 2 * H), 4 * H, (15, 4 * H), 8 * H, 0.11);
/// Routine separations and analyses that run a sample sequence, overnight if allowed.
const ROUTINE_RUNS: Kind = k(30, 30, (H, 8 * H), 8 * H, (4 * H, DAY), 2 * DAY, 0.10);
/// Field and long-exposure instruments, deployed for days.
const DEPLOYED: Kind = k(
    60,
    4 * H,
    (8 * H, 8 * H),
    8 * H,
    (DAY, 7 * DAY),
    14 * DAY,
    0.04,
);

/// The booking profile of a template, from its subclass and name.
#[rustfmt::skip]
fn kind_of(category: &str, name: &str) -> Kind {
    let has = |text: &str| name.contains(text);
    match category {
        "0101" if has("cryo") => k(60, 4 * H, (4 * H, 8 * H), 8 * H, (8 * H, 2 * DAY), 2 * DAY, 0.7),
        "0101" if has("Aberration") => k(60, 2 * H, (3 * H, 8 * H), 8 * H, (4 * H, DAY), DAY, 0.6),
        "0101" if has("Biological") => k(60, H, (2 * H, 6 * H), 8 * H, (2 * H, 12 * H), DAY, 0.4),
        "0101" if has("transmission") => k(60, H, (2 * H, 8 * H), 8 * H, (2 * H, 12 * H), DAY, 0.5),
        "0101" if has("ion beam") => k(60, H, (2 * H, 8 * H), 8 * H, (4 * H, 16 * H), DAY, 0.5),
        "0101" if has("Field-emission") => k(30, 30, (H, 4 * H), 8 * H, (H, 8 * H), 12 * H, 0.5),
        "0101" if has("probe") => k(60, H, (2 * H, 8 * H), 8 * H, (4 * H, 12 * H), DAY, 0.35),
        "0101" => k(30, 30, (30, 3 * H), 8 * H, (H, 6 * H), 12 * H, 0.35),
        "0102" if has("liquid chromatography") => k(30, H, (2 * H, 8 * H), 8 * H, (4 * H, DAY), 2 * DAY, 0.55),
        "0102" if has("Gas chromatography") => k(30, H, (H, 6 * H), 8 * H, (4 * H, DAY), 2 * DAY, 0.45),
        "0102" if has("plasma") => k(30, 30, (H, 5 * H), 8 * H, (2 * H, 12 * H), DAY, 0.45),
        "0102" if has("MALDI") => k(30, 30, (30, 3 * H), 4 * H, (30, 6 * H), 8 * H, 0.4),
        "0102" => k(60, H, (2 * H, 8 * H), 8 * H, (4 * H, DAY), DAY, 0.45),
        "0103" if has("Powder") => k(30, 30, (30, 3 * H), 8 * H, (H, 12 * H), DAY, 0.3),
        "0103" if has("Single-crystal") => k(60, H, (2 * H, 8 * H), 8 * H, (4 * H, DAY), 2 * DAY, 0.35),
        "0103" if has("photoelectron") => k(60, H, (2 * H, 8 * H), 8 * H, (4 * H, DAY), DAY, 0.4),
        "0103" if has("fluorescence") => k(15, 15, (30, 2 * H), 4 * H, (30, 4 * H), 8 * H, 0.2),
        "0103" if has("micro-CT") => k(60, H, (2 * H, 8 * H), 8 * H, (4 * H, DAY), 2 * DAY, 0.35),
        "0103" => k(60, H, (2 * H, 8 * H), 8 * H, (4 * H, DAY), DAY, 0.3),
        "0104" if has("Raman") => k(30, 30, (H, 4 * H), 8 * H, (H, 8 * H), 12 * H, 0.25),
        "0104" if has("Femtosecond") => k(60, H, (4 * H, 8 * H), 8 * H, (4 * H, DAY), DAY, 0.3),
        "0104" if has("optical emission") => k(30, 30, (H, 4 * H), 8 * H, (H, 8 * H), DAY, 0.18),
        "0104" if has("Steady-state") => k(30, 30, (30, 3 * H), 8 * H, (30, 6 * H), 12 * H, 0.12),
        "0104" if has("Atomic absorption") => Kind { demand: 0.09, ..QUICK },
        "0104" => QUICK,
        "0105" if has("Ultra-high") => Kind { demand: 0.12, ..ROUTINE_RUNS },
        "0105" => ROUTINE_RUNS,
        "0106" if has("400 MHz") => k(60, H, (H, 4 * H), 8 * H, (H, 12 * H), DAY, 0.5),
        "0106" if has("500 MHz") => k(60, H, (H, 6 * H), 8 * H, (2 * H, DAY), DAY, 0.55),
        "0106" if has("600 MHz") => k(60, H, (2 * H, 8 * H), 8 * H, (4 * H, 2 * DAY), 2 * DAY, 0.6),
        "0106" if has("800 MHz") => k(60, 2 * H, (4 * H, 8 * H), 8 * H, (12 * H, 3 * DAY), 3 * DAY, 0.7),
        "0106" => k(30, 30, (H, 4 * H), 8 * H, (2 * H, 12 * H), DAY, 0.3),
        "0107" => k(30, 30, (H, 8 * H), 8 * H, (4 * H, 2 * DAY), 3 * DAY, 0.08),
        "0108" if has("Confocal") => k(30, 30, (H, 4 * H), 8 * H, (H, 8 * H), 12 * H, 0.35),
        "0108" if has("Super-resolution") || has("Multiphoton") => k(60, H, (2 * H, 8 * H), 8 * H, (2 * H, 12 * H), DAY, 0.38),
        "0108" if has("Atomic force") => k(30, 30, (H, 4 * H), 8 * H, (H, 12 * H), DAY, 0.3),
        "0108" => k(15, 15, (30, 3 * H), 4 * H, (30, 4 * H), 8 * H, 0.1),
        "0109" if has("Simultaneous") => k(30, H, (2 * H, 8 * H), 8 * H, (4 * H, DAY), DAY, 0.15),
        "0109" => k(30, 30, (H, 6 * H), 8 * H, (2 * H, DAY), DAY, 0.1),
        "0110" if has("Flow cytometer") => k(30, 30, (30, 3 * H), 4 * H, (30, 4 * H), 8 * H, 0.35),
        "0110" if has("cell sorter") => k(60, H, (2 * H, 6 * H), 8 * H, (2 * H, 8 * H), 12 * H, 0.4),
        "0110" if has("Mass cytometer") => k(60, H, (2 * H, 8 * H), 8 * H, (4 * H, DAY), DAY, 0.45),
        "0110" if has("Production-scale") => k(60, 4 * H, (4 * H, 8 * H), 8 * H, (DAY, 2 * DAY), 3 * DAY, 0.65),
        "0110" if has("sequencer") => k(60, 2 * H, (4 * H, 8 * H), 8 * H, (8 * H, 2 * DAY), 2 * DAY, 0.5),
        "0110" if has("Single-cell") => k(30, H, (2 * H, 6 * H), 8 * H, (2 * H, 8 * H), 12 * H, 0.35),
        "0110" if has("plasmon") => k(60, H, (2 * H, 8 * H), 8 * H, (4 * H, DAY), 2 * DAY, 0.3),
        "0110" if has("ultracentrifuge") => k(30, H, (2 * H, 8 * H), 8 * H, (4 * H, DAY), DAY, 0.1),
        "0110" if has("protein liquid") => k(30, 30, (2 * H, 8 * H), 8 * H, (4 * H, DAY), DAY, 0.12),
        "0110" if has("PCR") => k(30, 30, (H, 3 * H), 4 * H, (H, 4 * H), 8 * H, 0.1),
        "0110" => Kind { demand: 0.1, ..QUICK },
        "0111" => k(30, 30, (H, 4 * H), 8 * H, (2 * H, 12 * H), DAY, 0.08),
        "0112" if has("Freeze") => k(60, H, (4 * H, 8 * H), 8 * H, (12 * H, 2 * DAY), 3 * DAY, 0.12),
        "0112" => k(30, 30, (H, 3 * H), 4 * H, (H, 6 * H), 8 * H, 0.08),
        "0201" if has("fatigue") => k(60, H, (4 * H, 8 * H), 8 * H, (DAY, 3 * DAY), 7 * DAY, 0.2),
        "0201" if has("Nanoindenter") => k(60, H, (2 * H, 8 * H), 8 * H, (4 * H, DAY), DAY, 0.25),
        "0201" if has("rheometer") => k(30, 30, (H, 4 * H), 8 * H, (H, 12 * H), DAY, 0.15),
        "0201" => k(30, 30, (H, 4 * H), 8 * H, (H, 8 * H), DAY, 0.12),
        "0205" if has("porosity") => k(60, H, (4 * H, 8 * H), 8 * H, (12 * H, 2 * DAY), 2 * DAY, 0.15),
        "0205" => Kind { demand: 0.12, ..QUICK },
        "0206" => k(60, H, (2 * H, 8 * H), 8 * H, (4 * H, DAY), DAY, 0.2),
        "0207" => k(60, H, (4 * H, 8 * H), 8 * H, (DAY, 4 * DAY), 7 * DAY, 0.45),
        "0301" if has("Coordinate") => k(30, 30, (H, 4 * H), 8 * H, (H, 8 * H), DAY, 0.1),
        "0301" => Kind { demand: 0.08, ..QUICK },
        "0401" | "0402" => k(30, 30, (H, 4 * H), 8 * H, (2 * H, DAY), DAY, 0.065),
        "0405" if has("wafer") || has("test system") => k(60, H, (4 * H, 8 * H), 8 * H, (8 * H, 2 * DAY), 2 * DAY, 0.32),
        "0405" => k(30, 30, (H, 4 * H), 8 * H, (2 * H, DAY), DAY, 0.12),
        "0605" => k(30, H, (2 * H, 8 * H), 8 * H, (4 * H, DAY), DAY, 0.4),
        "0603" => k(60, 4 * H, (8 * H, 8 * H), 8 * H, (3 * DAY, 14 * DAY), 14 * DAY, 0.04),
        "0801" if has("climatic") => k(60, H, (4 * H, 8 * H), 8 * H, (DAY, 5 * DAY), 7 * DAY, 0.15),
        "0801" => k(60, H, (2 * H, 8 * H), 8 * H, (4 * H, DAY), DAY, 0.15),
        "0802" => k(60, H, (4 * H, 8 * H), 8 * H, (8 * H, 2 * DAY), 2 * DAY, 0.2),
        "0803" if has("vacuum") => k(60, 4 * H, (8 * H, 8 * H), 8 * H, (DAY, 5 * DAY), 7 * DAY, 0.15),
        "0803" => k(60, H, (4 * H, 8 * H), 8 * H, (8 * H, DAY), DAY, 0.15),
        "0901" => k(60, H, (2 * H, 8 * H), 8 * H, (8 * H, DAY), DAY, 0.2),
        "1002" if has("MRI") || has("PET") => k(60, H, (H, 4 * H), 8 * H, (H, 8 * H), 12 * H, 0.3),
        "1002" if has("optical") => k(30, 30, (30, 2 * H), 4 * H, (30, 4 * H), 8 * H, 0.25),
        "1002" => k(30, 30, (H, 3 * H), 4 * H, (H, 4 * H), 8 * H, 0.2),
        "1003" => k(60, H, (4 * H, 8 * H), 8 * H, (4 * H, 12 * H), DAY, 0.3),
        "1101" => k(60, H, (4 * H, 8 * H), 8 * H, (DAY, 3 * DAY), 7 * DAY, 0.15),
        "1102" => k(60, 2 * H, (4 * H, 8 * H), 8 * H, (8 * H, DAY), 2 * DAY, 0.35),
        "1201" if has("Electron-beam") => k(60, H, (2 * H, 8 * H), 8 * H, (4 * H, DAY), DAY, 0.4),
        "1201" if has("mask aligner") => k(30, 30, (H, 3 * H), 4 * H, (H, 4 * H), 8 * H, 0.25),
        "1201" if has("Maskless") => k(60, H, (2 * H, 6 * H), 8 * H, (2 * H, 12 * H), DAY, 0.3),
        "1201" => k(30, 30, (H, 4 * H), 8 * H, (H, 8 * H), DAY, 0.3),
        "1202" if has("Molecular beam") => k(60, 4 * H, (8 * H, 8 * H), 8 * H, (DAY, 5 * DAY), 7 * DAY, 0.45),
        "1202" if has("Magnetron") => k(60, H, (2 * H, 6 * H), 8 * H, (2 * H, 12 * H), DAY, 0.25),
        "1202" => k(60, H, (2 * H, 8 * H), 8 * H, (4 * H, DAY), DAY, 0.3),
        "1203" => k(60, H, (2 * H, 8 * H), 8 * H, (8 * H, 2 * DAY), 3 * DAY, 0.1),
        "1204" => k(60, H, (4 * H, 8 * H), 8 * H, (12 * H, 2 * DAY), 3 * DAY, 0.25),
        "1205" => k(60, 4 * H, (8 * H, 8 * H), 8 * H, (DAY, 7 * DAY), 14 * DAY, 0.15),
        "1301" if has("GPU") => k(60, H, (4 * H, 8 * H), 8 * H, (4 * H, 3 * DAY), 7 * DAY, 0.5),
        "1301" => k(60, H, (4 * H, 8 * H), 8 * H, (4 * H, 3 * DAY), 7 * DAY, 0.4),
        "1401" => k(30, 30, (H, 4 * H), 8 * H, (H, 8 * H), DAY, 0.15),
        "1402" => k(60, H, (4 * H, 8 * H), 8 * H, (4 * H, DAY), DAY, 0.3),
        "9902" => k(60, 4 * H, (8 * H, 8 * H), 8 * H, (2 * DAY, 10 * DAY), 14 * DAY, 0.5),
        _ if category.starts_with("05") || category.starts_with("07") => DEPLOYED,
        _ => DEFAULT_KIND,
    }
}

/// How much busier an institution's instruments are than the kind alone says.
fn institution_factor(institution: &Institution) -> f64 {
    match institution.kind {
        InstitutionKind::University => match institution.university_tier {
            Some(UniversityTier::Project985) => 1.6,
            Some(UniversityTier::Project211) => 1.15,
            _ => 0.7,
        },
        InstitutionKind::ResearchInstitute => 1.35,
        InstitutionKind::FacilityOperator => 1.3,
        InstitutionKind::Hospital => 0.9,
        InstitutionKind::Corporation => 0.65,
    }
}

fn draw_rules(
    rng: &mut ChaCha8Rng,
    kind: Kind,
    round_the_clock: bool,
    popularity: f64,
) -> CalendarRules {
    let max = if round_the_clock {
        kind.run_max
    } else {
        kind.day_max
    }
    .min(LONGEST_BOOKING_MINUTES);
    // Big instruments want more notice; bench instruments can be booked on the spot.
    let (lead, cancellation) = if kind.slot >= 60 {
        (
            [60, 120, 240, 720, 1440][rng.gen_range(0..5)],
            [720, 1440, 1440, 2880][rng.gen_range(0..4)],
        )
    } else {
        (
            [0, 0, 30, 60, 60, 120, 240][rng.gen_range(0..7)],
            [120, 240, 720, 1440, 1440][rng.gen_range(0..5)],
        )
    };
    // Popular instruments get a weekly quota so that one group cannot take them over.
    let quota = if rng.gen_bool((popularity * 0.85).clamp(0.01, 0.8)) {
        let wanted = if round_the_clock {
            [DAY, 2 * DAY, 3 * DAY][rng.gen_range(0..3)]
        } else {
            [8 * H, 12 * H, 16 * H, 20 * H][rng.gen_range(0..4)]
        };
        Some(wanted.max(max))
    } else {
        None
    };
    CalendarRules::new(kind.slot, kind.min, max, lead, cancellation, quota)
        .expect("kind tables give valid rules")
}

// ---------------------------------------------------------------------------------------
// Local days and open time
// ---------------------------------------------------------------------------------------

/// The days of the history window in one time zone.
struct ZoneDays {
    /// `PAST_DAYS + FUTURE_DAYS` days, the first `PAST_DAYS` before `today`.
    days: Vec<ZoneDay>,
    /// Monday-zero weekday of the first day, to number quota weeks.
    first_weekday: u8,
    /// The minute (since the Unix epoch) at which `today` starts in this zone.
    today_start: i64,
}

struct ZoneDay {
    /// Minute (since the Unix epoch) of local midnight; `None` on days whose clocks change.
    midnight: Option<i64>,
    weekday: u8,
    /// Demand weight of the day: season, weekday and, for days ahead, how far ahead.
    weight: f64,
}

impl ZoneDays {
    fn new(name: &TimeZoneName, today: Date) -> ZoneDays {
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

const WEEKDAY_WEIGHTS: [f64; 7] = [1.0, 1.05, 1.05, 1.0, 0.95, 0.45, 0.3];

/// Spring Festival (Chinese New Year's Day) by Gregorian year.
const SPRING_FESTIVALS: [(i16, i8, i8); 25] = [
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

fn spring_festival(year: i16) -> Date {
    SPRING_FESTIVALS
        .iter()
        .find(|(candidate, _, _)| *candidate == year)
        .map(|&(year, month, day)| Date::new(year, month, day))
        .unwrap_or_else(|| Date::new(year, 2, 5))
        .expect("typed-in dates are valid")
}

/// Days from `a` to `b` (positive when `b` is later).
fn days_between(a: Date, b: Date) -> i64 {
    civil_day_number(b) - civil_day_number(a)
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn civil_day_number(date: Date) -> i64 {
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
fn season_weight(date: Date) -> f64 {
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
struct Piece {
    /// Minutes since the Unix epoch.
    start: i64,
    end: i64,
    /// Where the open time that continues from this piece without a gap ends.
    run_end: i64,
    /// Local midnight of the piece's day.
    midnight: i64,
    /// Index of the day in the window.
    day: u16,
    weight: f64,
}

/// Open time over the whole window for one (zone, weekly hours, slot).
struct Calendar {
    pieces: Vec<Piece>,
    first_weekday: u8,
    today_start: i64,
}

/// Demand by local time of day: evenings and nights are quieter than the working day.
const BANDS: [(u16, u16, f64); 3] = [(0, 480, 0.25), (480, 1200, 1.0), (1200, 1440, 0.4)];

impl Calendar {
    fn new(zone: &ZoneDays, hours: &WeeklyOpeningHours, slot: u32) -> Calendar {
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

// ---------------------------------------------------------------------------------------
// Users
// ---------------------------------------------------------------------------------------

/// The region's researchers, grouped the ways bookers are drawn: by institution, city and
/// province, academic and industry apart.
struct Population {
    institution_index: HashMap<InstitutionId, usize>,
    city_province: HashMap<CityCode, ProvinceCode>,
    /// Per user (index into `region.users`): home institution index and province.
    user_home: Vec<u32>,
    user_province: Vec<ProvinceCode>,
    by_institution: Vec<Vec<u32>>,
    /// Researchers by city, academic `[0]` and industry `[1]`.
    by_city: HashMap<CityCode, [Vec<u32>; 2]>,
    by_province: [[Vec<u32>; 2]; 5],
    /// Every researcher inside the region, academic and industry.
    in_region: [Vec<u32>; 2],
    outside: Vec<u32>,
    institution_kind: Vec<InstitutionKind>,
    institution_id: Vec<InstitutionId>,
}

fn province_slot(province: ProvinceCode) -> usize {
    match province {
        ProvinceCode::Shanghai => 0,
        ProvinceCode::Jiangsu => 1,
        ProvinceCode::Zhejiang => 2,
        ProvinceCode::Anhui => 3,
        ProvinceCode::Outside => 4,
    }
}

impl Population {
    fn new(region: &DemoRegion) -> Population {
        let institution_index: HashMap<_, _> = region
            .institutions
            .iter()
            .enumerate()
            .map(|(index, institution)| (institution.id, index))
            .collect();
        let city_province: HashMap<_, _> = region
            .cities
            .iter()
            .map(|city| (city.code, city.province))
            .collect();
        let mut population = Population {
            institution_index,
            city_province,
            user_home: vec![u32::MAX; region.users.len()],
            user_province: vec![ProvinceCode::Outside; region.users.len()],
            by_institution: vec![Vec::new(); region.institutions.len()],
            by_city: HashMap::new(),
            by_province: Default::default(),
            in_region: Default::default(),
            outside: Vec::new(),
            institution_kind: region
                .institutions
                .iter()
                .map(|institution| institution.kind)
                .collect(),
            institution_id: region
                .institutions
                .iter()
                .map(|institution| institution.id)
                .collect(),
        };
        for (index, user) in region.users.iter().enumerate() {
            if !user.has_role(Role::Researcher) {
                continue;
            }
            let Some(&home) = population.institution_index.get(&user.home_institution) else {
                continue;
            };
            let institution = &region.institutions[home];
            let province = population
                .city_province
                .get(&institution.city)
                .copied()
                .unwrap_or(ProvinceCode::Outside);
            let index = index as u32;
            let sector = usize::from(!institution.kind.is_academic());
            population.user_home[index as usize] = home as u32;
            population.user_province[index as usize] = province;
            population.by_institution[home].push(index);
            population.by_city.entry(institution.city).or_default()[sector].push(index);
            population.by_province[province_slot(province)][sector].push(index);
            if province.is_in_region() {
                population.in_region[sector].push(index);
            } else {
                population.outside.push(index);
            }
        }
        population
    }

    fn institution_index(&self, id: InstitutionId) -> Option<usize> {
        self.institution_index.get(&id).copied()
    }

    fn province_of_city(&self, city: CityCode) -> Option<ProvinceCode> {
        self.city_province.get(&city).copied()
    }

    /// Draws a new booker for an instrument: mostly its own institution's and its city's
    /// researchers, some from elsewhere in the province and the region, a few from outside.
    fn draw(&self, rng: &mut ChaCha8Rng, plan: &Plan, policy: AccessPolicy) -> Option<u32> {
        let provider = plan.provider?;
        let own = &self.by_institution[provider];
        if policy == AccessPolicy::OwnInstitution {
            return pick(rng, own);
        }
        let corporate = self.institution_kind[provider] == InstitutionKind::Corporation;
        let (p_own, p_city, p_province, p_region) = if corporate {
            (0.50, 0.24, 0.11, 0.11)
        } else {
            (0.40, 0.27, 0.15, 0.12)
        };
        let industry_share = if corporate { 0.5 } else { 0.32 };
        let sector = usize::from(rng.gen_bool(industry_share));
        let roll: f64 = rng.gen();
        let province = plan.province.unwrap_or(ProvinceCode::Outside);
        let mut origin = if roll < p_own {
            0
        } else if roll < p_own + p_city {
            1
        } else if roll < p_own + p_city + p_province {
            2
        } else if roll < p_own + p_city + p_province + p_region {
            3
        } else {
            4
        };
        if origin == 4 && policy == AccessPolicy::Region {
            origin = 3;
        }
        // Falls back to wider circles when a narrower one has nobody (small regions).
        for origin in origin..=5 {
            let found = match origin {
                0 => pick(rng, own),
                1 => plan.city.and_then(|city| {
                    self.by_city
                        .get(&city)
                        .and_then(|lists| self.pick_other(rng, lists, sector, provider))
                }),
                2 => self.pick_other(
                    rng,
                    &self.by_province[province_slot(province)],
                    sector,
                    provider,
                ),
                3 => (0..6).find_map(|_| {
                    pick(rng, &self.in_region[sector])
                        .or_else(|| pick(rng, &self.in_region[1 - sector]))
                        .filter(|&user| self.user_province[user as usize] != province)
                }),
                4 => pick(rng, &self.outside),
                _ => pick(rng, own).or_else(|| pick(rng, &self.in_region[0])),
            };
            if let Some(user) = found {
                if self.admits(policy, user, provider) {
                    return Some(user);
                }
            }
        }
        None
    }

    fn admits(&self, policy: AccessPolicy, user: u32, provider: usize) -> bool {
        policy.admits(
            self.institution_id[self.user_home[user as usize] as usize],
            self.user_province[user as usize],
            self.institution_id[provider],
        )
    }

    /// A user of the lists, preferring `sector`, who is not at the provider.
    fn pick_other(
        &self,
        rng: &mut ChaCha8Rng,
        lists: &[Vec<u32>; 2],
        sector: usize,
        provider: usize,
    ) -> Option<u32> {
        for list in [&lists[sector], &lists[1 - sector]] {
            for _ in 0..4 {
                match pick(rng, list) {
                    Some(user) if self.user_home[user as usize] as usize != provider => {
                        return Some(user)
                    }
                    Some(_) => continue,
                    None => break,
                }
            }
        }
        None
    }
}

fn pick(rng: &mut ChaCha8Rng, list: &[u32]) -> Option<u32> {
    (!list.is_empty()).then(|| list[rng.gen_range(0..list.len())])
}

/// The demo accounts that book (researchers) become regulars of a few instruments near
/// them, so that signing in as one shows a history.
fn seed_demo_accounts(region: &DemoRegion, seed: u64, population: &Population, plans: &mut [Plan]) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x00DE_30AC_C047);
    for account in &region.demo_accounts {
        let Some(index) = region.users.iter().position(|user| user.id == account.user) else {
            continue;
        };
        if population.user_home[index] == u32::MAX {
            continue; // not a researcher
        }
        let home = population.user_home[index] as usize;
        let home_city = region.institutions[home].city;
        let province = population.user_province[index];
        let mut candidates: Vec<usize> = plans
            .iter()
            .enumerate()
            .filter(|(_, plan)| plan.first_user.is_none() && plan.city == Some(home_city))
            .filter(|(_, plan)| {
                let instrument = &region.instruments[plan.index];
                instrument.access_policy.admits(
                    region.institutions[home].id,
                    province,
                    instrument.institution,
                )
            })
            .map(|(position, _)| position)
            .collect();
        // Own institution's instruments first, then the city's.
        candidates.sort_by_key(|&position| plans[position].provider != Some(home));
        let own = candidates
            .iter()
            .filter(|&&position| plans[position].provider == Some(home))
            .count();
        for _ in 0..24.min(candidates.len()) {
            let range = if own > 0 && rng.gen_bool(0.6) {
                0..own
            } else {
                0..candidates.len()
            };
            let chosen = candidates[rng.gen_range(range)];
            plans[chosen].first_user = Some(index as u32);
        }
    }
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
