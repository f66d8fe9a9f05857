use jiff::SignedDuration;
use proptest::prelude::*;

use super::*;
use crate::WeeklyOpeningHours;

const SHANGHAI_CITY: u32 = 310_100;
const HEFEI: u32 = 340_100;
const BEIJING: u32 = 110_100;

fn city(code: u32) -> CityCode {
    CityCode::new(code).unwrap()
}

fn day(offset: i64) -> Timestamp {
    "2026-01-05T00:00:00Z".parse::<Timestamp>().unwrap() + SignedDuration::from_hours(24 * offset)
}

fn institution(id: i64, kind: InstitutionKind, sector: Sector, code: u32) -> InstitutionFact {
    let province = match code {
        SHANGHAI_CITY => ProvinceCode::Shanghai,
        HEFEI => ProvinceCode::Anhui,
        _ => ProvinceCode::Outside,
    };
    InstitutionFact {
        id: InstitutionId(id),
        kind,
        sector,
        city: city(code),
        province,
    }
}

/// Three institutions (a Shanghai university that owns two instruments, a Hefei company, a
/// Beijing institute) and one Hefei instrument of the company's; every instrument is open
/// 08:00-20:00 on weekdays (60 hours a week).
fn world() -> (Vec<InstrumentFact>, Vec<InstitutionFact>) {
    let institutions = vec![
        institution(
            1,
            InstitutionKind::University,
            Sector::HigherEducation,
            SHANGHAI_CITY,
        ),
        institution(2, InstitutionKind::Corporation, Sector::Aerospace, HEFEI),
        institution(
            3,
            InstitutionKind::ResearchInstitute,
            Sector::PublicResearch,
            BEIJING,
        ),
    ];
    let open = WeeklyOpeningHours::parse("Mon-Fri 08:00-20:00")
        .unwrap()
        .open_minutes_per_week();
    assert_eq!(open, 3_600);
    let instrument =
        |id: i64, owner: i64, category: &str, code: u32, value_yuan: i64| InstrumentFact {
            id: InstrumentId(id),
            institution: InstitutionId(owner),
            category: CategoryCode::parse(category).unwrap(),
            city: city(code),
            province: institutions[(owner - 1) as usize].province,
            purchase_value: Fen::from_yuan(value_yuan),
            open_minutes_per_week: open,
        };
    let instruments = vec![
        instrument(10, 1, "0102", SHANGHAI_CITY, 5_000_000),
        instrument(11, 1, "0201", SHANGHAI_CITY, 800_000),
        instrument(12, 2, "0105", HEFEI, 2_000_000),
    ];
    (instruments, institutions)
}

fn booking(
    instrument: i64,
    user: i64,
    home: i64,
    start: Timestamp,
    minutes: i64,
    yuan: i64,
) -> BookingFactRow {
    BookingFactRow {
        instrument: InstrumentId(instrument),
        user: UserId(user),
        home_institution: InstitutionId(home),
        starts_at: start,
        minutes,
        fee: Fen::from_yuan(yuan),
    }
}

fn facts() -> AnalyticsFacts {
    let (instruments, institutions) = world();
    let bookings = vec![
        // Week one: a Hefei engineer twice at the Shanghai mass spectrometer, a Beijing
        // researcher once, and the university's own student at its microscope.
        booking(10, 200, 2, day(0) + SignedDuration::from_hours(9), 120, 600),
        booking(10, 200, 2, day(1) + SignedDuration::from_hours(9), 60, 300),
        booking(10, 300, 3, day(2) + SignedDuration::from_hours(9), 180, 900),
        booking(11, 100, 1, day(3) + SignedDuration::from_hours(9), 240, 200),
        // The company's own instrument, used by the Shanghai student.
        booking(12, 100, 1, day(4) + SignedDuration::from_hours(9), 60, 100),
        // Week two: outside the one-week period below.
        booking(10, 300, 3, day(7), 600, 3_000),
    ];
    AnalyticsFacts::build(instruments, institutions, bookings).unwrap()
}

fn first_week() -> Period {
    Period {
        from: day(0),
        to: day(7),
    }
}

fn row<'a>(rows: &'a [UsageRow], key: &str) -> &'a UsageTotals {
    &rows.iter().find(|row| row.key == key).unwrap().totals
}

#[test]
fn usage_by_origin_counts_users_once_and_splits_by_home() {
    let usage = facts()
        .usage_by_origin(first_week(), &ProviderScope::default())
        .unwrap();
    assert_eq!(usage.total.bookings, 5);
    assert_eq!(usage.total.users, 3);
    assert_eq!(usage.total.hours, 11.0);
    assert_eq!(usage.total.fees, Fen::from_yuan(2_100));
    let anhui = row(&usage.by_province, "AH");
    assert_eq!((anhui.users, anhui.bookings, anhui.hours), (1, 2, 3.0));
    assert_eq!(row(&usage.by_province, "OUT").hours, 3.0);
    assert_eq!(row(&usage.by_province, "JS").bookings, 0);
    assert_eq!(
        row(&usage.by_institution_kind, "corporation").fees,
        Fen::from_yuan(900)
    );
    assert_eq!(row(&usage.by_sector, "higher_education").hours, 5.0);
    // Two of three users and 8 of 11 hours come from the region.
    assert!((usage.region_user_share - 2.0 / 3.0).abs() < 1e-12);
    assert!((usage.region_hour_share - 8.0 / 11.0).abs() < 1e-12);
}

#[test]
fn a_provider_scope_keeps_only_its_instruments() {
    let facts = facts();
    let shanghai = facts
        .usage_by_origin(
            first_week(),
            &ProviderScope {
                province: Some(ProvinceCode::Shanghai),
                ..ProviderScope::default()
            },
        )
        .unwrap();
    assert_eq!(shanghai.total.bookings, 4);
    let category = facts
        .usage_by_origin(
            first_week(),
            &ProviderScope {
                category: Some(CategoryCode::parse("01").unwrap()),
                ..ProviderScope::default()
            },
        )
        .unwrap();
    // "01" covers 0102 and 0105: four bookings (three at 10, one at 12).
    assert_eq!(category.total.bookings, 4);
    let company = facts
        .usage_by_origin(
            first_week(),
            &ProviderScope {
                institution: Some(InstitutionId(2)),
                ..ProviderScope::default()
            },
        )
        .unwrap();
    assert_eq!((company.total.bookings, company.total.users), (1, 1));
}

#[test]
fn flows_sum_to_the_usage_and_count_crossings() {
    let facts = facts();
    let matrix = facts.flows(first_week(), FlowLevel::Province).unwrap();
    let cell = |origin: &str, provider: &str| {
        matrix
            .cells
            .iter()
            .find(|cell| cell.origin == origin && cell.provider == provider)
            .map(|cell| (cell.bookings, cell.hours))
    };
    assert_eq!(cell("AH", "SH"), Some((2, 3.0)));
    assert_eq!(cell("OUT", "SH"), Some((1, 3.0)));
    assert_eq!(cell("SH", "SH"), Some((1, 4.0)));
    assert_eq!(cell("SH", "AH"), Some((1, 1.0)));
    assert_eq!(cell("JS", "SH"), None, "empty cells are left out");
    assert!((matrix.crossing_hour_share - 7.0 / 11.0).abs() < 1e-12);
    let cities = facts.flows(first_week(), FlowLevel::City).unwrap();
    assert_eq!(
        cities.cells.iter().map(|cell| cell.bookings).sum::<u64>(),
        5
    );
    assert!(cities
        .cells
        .iter()
        .any(|cell| cell.origin == "340100" && cell.provider == "310100"));
}

#[test]
fn utilisation_and_idle_instruments_use_open_hours_of_the_period() {
    let facts = facts();
    let by_category = facts
        .utilisation(first_week(), UtilisationGroup::Category)
        .unwrap();
    // One week of 60 open hours per instrument; "01" holds instruments 10 and 12.
    let chemistry = by_category.iter().find(|row| row.key == "01").unwrap();
    assert_eq!(chemistry.instruments, 2);
    assert!((chemistry.open_hours - 120.0).abs() < 1e-9);
    assert!((chemistry.booked_hours - 7.0).abs() < 1e-9);
    let by_institution = facts
        .utilisation(first_week(), UtilisationGroup::Institution)
        .unwrap();
    assert_eq!(
        by_institution
            .iter()
            .map(|row| row.instruments)
            .sum::<u64>(),
        3
    );
    // Worth at least a million yuan and used at most 5%: the mass spectrometer (6 of 60
    // hours, 10%) is not idle, the company's instrument (1 of 60) is.
    let idle = facts
        .idle_expensive(first_week(), Fen::from_yuan(1_000_000), 0.05)
        .unwrap();
    assert_eq!(
        idle.iter().map(|item| item.instrument).collect::<Vec<_>>(),
        vec![InstrumentId(12)]
    );
    let all = facts
        .idle_expensive(first_week(), Fen::from_yuan(0), 1.0)
        .unwrap();
    assert_eq!(
        all.iter().map(|item| item.instrument.0).collect::<Vec<_>>(),
        vec![10, 12, 11],
        "most valuable first"
    );
}

#[test]
fn periods_are_half_open_and_bad_input_is_refused() {
    let facts = facts();
    let exact = Period {
        from: day(7),
        to: day(7) + SignedDuration::from_secs(1),
    };
    assert_eq!(
        facts.flows(exact, FlowLevel::Province).unwrap().cells.len(),
        1
    );
    let before = Period {
        from: day(6),
        to: day(7),
    };
    assert!(facts
        .flows(before, FlowLevel::Province)
        .unwrap()
        .cells
        .is_empty());
    assert_eq!(
        facts.flows(
            Period {
                from: day(1),
                to: day(1)
            },
            FlowLevel::Province
        ),
        Err(AnalyticsError::EmptyPeriod)
    );
    let (instruments, institutions) = world();
    assert_eq!(
        AnalyticsFacts::build(
            instruments,
            institutions,
            vec![booking(99, 1, 1, day(0), 60, 1)]
        )
        .unwrap_err(),
        AnalyticsError::UnknownInstrument(99)
    );
}

#[test]
fn cluster_members_group_by_city_and_leave_out_the_asker() {
    let facts = facts();
    let firms = facts.cluster_members(&ClusterTarget::SectorFirms(Sector::Aerospace), None);
    assert_eq!(firms.len(), 1);
    assert_eq!(firms[0].city, city(HEFEI));
    assert_eq!(firms[0].members, vec![2]);
    assert!(facts
        .cluster_members(
            &ClusterTarget::SectorFirms(Sector::Aerospace),
            Some(InstitutionId(2))
        )
        .is_empty());
    // Universities are not firms, whatever their sector.
    assert!(facts
        .cluster_members(&ClusterTarget::SectorFirms(Sector::HigherEducation), None)
        .is_empty());
    // A top-level category takes in its subcategories: 0102 in Shanghai and 0105 in Hefei.
    let top = ClusterTarget::InstrumentCategory(CategoryCode::parse("01").unwrap());
    let instruments = facts.cluster_members(&top, None);
    let by_city: Vec<(u32, Vec<i64>)> = instruments
        .iter()
        .map(|city| (city.city.get(), city.members.clone()))
        .collect();
    assert_eq!(by_city, vec![(SHANGHAI_CITY, vec![10]), (HEFEI, vec![12])]);
    let without_company = facts.cluster_members(&top, Some(InstitutionId(2)));
    assert_eq!(without_company.len(), 1);
}

#[test]
fn cluster_reach_counts_members_of_reached_cities() {
    let facts = facts();
    let top = ClusterTarget::InstrumentCategory(CategoryCode::parse("01").unwrap());
    let members = facts.cluster_members(&top, None);
    let reach = tally_cluster_reach(&members, |code| (code == city(HEFEI)).then_some(95));
    assert_eq!((reach.members, reach.reached), (2, 1));
    assert!((reach.share - 0.5).abs() < 1e-12);
    assert_eq!(reach.cities[0].city, city(HEFEI));
    assert_eq!(reach.cities[0].minutes, Some(95));
    assert_eq!(reach.cities[1].minutes, None);
    let nothing = tally_cluster_reach(&[], |_| Some(0));
    assert_eq!((nothing.members, nothing.share), (0, 0.0));
}

proptest! {
    /// Whatever the bookings and the period, every breakdown adds up to the same totals.
    #[test]
    fn every_breakdown_adds_up(
        raw in proptest::collection::vec((0usize..3, 0i64..40, 0usize..3, 0i64..30, 1i64..600, 0i64..5_000), 0..200),
        from in 0i64..20,
        length in 1i64..20,
    ) {
        let (instruments, institutions) = world();
        let bookings: Vec<BookingFactRow> = raw
            .iter()
            .map(|(instrument, user, home, start, minutes, yuan)| {
                booking(10 + *instrument as i64, *user, 1 + *home as i64, day(*start), *minutes, *yuan)
            })
            .collect();
        let facts = AnalyticsFacts::build(instruments, institutions, bookings.clone()).unwrap();
        let period = Period { from: day(from), to: day(from + length) };
        let inside: Vec<&BookingFactRow> = bookings
            .iter()
            .filter(|booking| booking.starts_at >= period.from && booking.starts_at < period.to)
            .collect();
        let usage = facts.usage_by_origin(period, &ProviderScope::default()).unwrap();
        prop_assert_eq!(usage.total.bookings, inside.len() as u64);
        prop_assert_eq!(usage.total.fees.0, inside.iter().map(|booking| booking.fee.0).sum::<i64>());
        let mut users: Vec<i64> = inside.iter().map(|booking| booking.user.0).collect();
        users.sort_unstable();
        users.dedup();
        prop_assert_eq!(usage.total.users, users.len() as u64);
        for rows in [&usage.by_province, &usage.by_institution_kind, &usage.by_sector] {
            prop_assert_eq!(rows.iter().map(|row| row.totals.bookings).sum::<u64>(), usage.total.bookings);
            prop_assert_eq!(rows.iter().map(|row| row.totals.fees.0).sum::<i64>(), usage.total.fees.0);
        }
        for level in [FlowLevel::Province, FlowLevel::City] {
            let matrix = facts.flows(period, level).unwrap();
            prop_assert_eq!(matrix.cells.iter().map(|cell| cell.bookings).sum::<u64>(), usage.total.bookings);
            prop_assert!((0.0..=1.0).contains(&matrix.crossing_hour_share));
        }
        let utilisation = facts.utilisation(period, UtilisationGroup::City).unwrap();
        let booked: f64 = utilisation.iter().map(|row| row.booked_hours).sum();
        prop_assert!((booked - usage.total.hours).abs() < 1e-6);
    }
}
