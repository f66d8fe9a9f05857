//! The analytics service's rules, each covered once: the period (its default, its limits, its
//! dates read in the region's time zone), the idle-instrument thresholds, the dashboard, and
//! the cluster-reach question (the cluster, the origin and the travel budget).

use corridor_app::analytics::{
    resolve_period, IdleQuery, PeriodQuery, DEFAULT_PERIOD_DAYS, LONGEST_PERIOD_DAYS,
};
use corridor_app::cluster_reach::{ClusterChoice, ClusterOriginsQuery, ClusterReachQuery};
use corridor_app::dates::InstantOrDate;
use corridor_app::AppError;
use corridor_domain::{CategoryCode, InstitutionId, Sector};
use jiff::civil::date;
use jiff::SignedDuration;

use crate::support::test_app;

const SHANGHAI: u32 = 310_000;

fn invalid_field(error: AppError) -> String {
    match error {
        AppError::Invalid { field, .. } => field,
        other => panic!("expected an invalid input, got {other:?}"),
    }
}

fn dates(from: jiff::civil::Date, to: jiff::civil::Date) -> PeriodQuery {
    PeriodQuery {
        from: Some(InstantOrDate::Date(from)),
        to: Some(InstantOrDate::Date(to)),
    }
}

#[tokio::test]
async fn a_period_is_read_in_the_regions_time_zone_within_its_limits() {
    let test = test_app().await;
    let analytics = test.app.analytics();
    let zone = test.app.region_time_zone().clone();
    assert_eq!(zone.iana_name(), Some("Asia/Shanghai"));

    // Dates are midnights in the region's zone, not in UTC.
    let april = analytics
        .period(dates(date(2026, 4, 1), date(2026, 5, 1)))
        .unwrap();
    assert_eq!(april.from.to_string(), "2026-03-31T16:00:00Z");
    assert_eq!(april.to.to_string(), "2026-04-30T16:00:00Z");
    let berlin = resolve_period(
        dates(date(2026, 4, 1), date(2026, 5, 1)),
        &jiff::tz::TimeZone::get("Europe/Berlin").unwrap(),
    )
    .unwrap();
    assert_ne!(berlin.from, april.from);

    // Without dates: a year up to the end of today, in the region's zone.
    let default = analytics.period(PeriodQuery::default()).unwrap();
    let end = default.to.to_zoned(zone.clone());
    assert_eq!((end.hour(), end.minute(), end.second()), (0, 0, 0));
    let today = jiff::Timestamp::now().to_zoned(zone).date();
    assert_eq!(end.date(), today.tomorrow().unwrap());
    assert_eq!(
        default.to.duration_since(default.from),
        SignedDuration::from_hours(24 * DEFAULT_PERIOD_DAYS)
    );

    let backwards = analytics
        .period(dates(date(2026, 5, 1), date(2026, 4, 1)))
        .unwrap_err();
    assert_eq!(invalid_field(backwards), "to");
    let empty = analytics
        .period(dates(date(2026, 5, 1), date(2026, 5, 1)))
        .unwrap_err();
    assert_eq!(invalid_field(empty), "to");
    let longest = date(2016, 1, 1)
        .checked_add(jiff::Span::new().days(LONGEST_PERIOD_DAYS))
        .unwrap();
    analytics.period(dates(date(2016, 1, 1), longest)).unwrap();
    let too_long = analytics
        .period(dates(date(2016, 1, 1), longest.tomorrow().unwrap()))
        .unwrap_err();
    assert_eq!(invalid_field(too_long), "to");
    // A figure refuses a bad period before it reads anything.
    let refused = analytics
        .utilisation(
            dates(date(2026, 5, 1), date(2026, 4, 1)),
            corridor_domain::analytics::UtilisationGroup::Category,
        )
        .await
        .unwrap_err();
    assert_eq!(invalid_field(refused), "to");
}

#[tokio::test]
async fn idle_instruments_keep_their_thresholds_and_the_dashboard_names_the_first() {
    let test = test_app().await;
    let analytics = test.app.analytics();
    for (field, query) in [
        (
            "min_value_yuan",
            IdleQuery {
                min_value_yuan: Some(-1),
                ..IdleQuery::default()
            },
        ),
        (
            "min_value_yuan",
            IdleQuery {
                min_value_yuan: Some(100_000_000_001),
                ..IdleQuery::default()
            },
        ),
        (
            "max_utilisation",
            IdleQuery {
                max_utilisation: Some(2.0),
                ..IdleQuery::default()
            },
        ),
        (
            "max_utilisation",
            IdleQuery {
                max_utilisation: Some(f64::NAN),
                ..IdleQuery::default()
            },
        ),
        (
            "limit",
            IdleQuery {
                limit: Some(0),
                ..IdleQuery::default()
            },
        ),
        (
            "limit",
            IdleQuery {
                limit: Some(501),
                ..IdleQuery::default()
            },
        ),
    ] {
        let error = analytics
            .idle_instruments(PeriodQuery::default(), query)
            .await
            .unwrap_err();
        assert_eq!(invalid_field(error), field);
    }

    // The test region has no bookings: every instrument worth a million yuan is idle.
    let idle = analytics
        .idle_instruments(
            PeriodQuery::default(),
            IdleQuery {
                limit: Some(5),
                ..IdleQuery::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(idle.figures.items.len(), 5);
    assert!(idle.figures.total > 5);
    assert!(idle
        .figures
        .items
        .iter()
        .all(|item| item.purchase_value >= idle.figures.min_value));

    let dashboard = analytics
        .dashboard(PeriodQuery::default(), 3)
        .await
        .unwrap();
    assert_eq!(dashboard.idle_total as u64, idle.figures.total);
    assert_eq!(dashboard.idle_listed.len(), 3);
    assert!(dashboard.idle_listed.iter().all(|listed| listed
        .instrument
        .as_ref()
        .map(|item| item.instrument.id)
        == Some(listed.idle.instrument)));
    assert_eq!(dashboard.time_zone, *test.app.region_time_zone());
}

#[tokio::test]
async fn cluster_reach_asks_for_one_cluster_one_origin_and_a_budget_within_limits() {
    let test = test_app().await;
    let analytics = test.app.analytics();
    let instruments = ClusterChoice {
        sector: None,
        category: Some(CategoryCode::parse("01").unwrap()),
    };
    let from_shanghai = ClusterReachQuery {
        from_city: Some(SHANGHAI),
        cluster: instruments.clone(),
        ..ClusterReachQuery::default()
    };
    let refusals: Vec<(&str, ClusterReachQuery)> = vec![
        (
            "sector",
            ClusterReachQuery {
                cluster: ClusterChoice::default(),
                ..from_shanghai.clone()
            },
        ),
        (
            "category",
            ClusterReachQuery {
                cluster: ClusterChoice {
                    sector: Some(Sector::Aerospace),
                    ..instruments.clone()
                },
                ..from_shanghai.clone()
            },
        ),
        (
            "within",
            ClusterReachQuery {
                within: Some(0),
                ..from_shanghai.clone()
            },
        ),
        (
            "within",
            ClusterReachQuery {
                within: Some(721),
                ..from_shanghai.clone()
            },
        ),
        (
            "window",
            ClusterReachQuery {
                window: Some(721),
                ..from_shanghai.clone()
            },
        ),
        (
            "from_city",
            ClusterReachQuery {
                from_city: None,
                ..from_shanghai.clone()
            },
        ),
        (
            "from_city",
            ClusterReachQuery {
                from_city: Some(999_999),
                ..from_shanghai.clone()
            },
        ),
        (
            "from_institution",
            ClusterReachQuery {
                from_institution: Some(test.users[0].home_institution),
                ..from_shanghai.clone()
            },
        ),
    ];
    for (field, query) in refusals {
        let error = analytics.cluster_reach(&query).await.unwrap_err();
        assert_eq!(invalid_field(error), field);
    }
    let unknown = analytics
        .cluster_reach(&ClusterReachQuery {
            from_city: None,
            from_institution: Some(InstitutionId(987_654_321)),
            ..from_shanghai.clone()
        })
        .await
        .unwrap_err();
    assert!(matches!(unknown, AppError::NotFound(_)), "{unknown:?}");

    // The defaults: from 08:00 for two hours, within three hours.
    let figure = analytics.cluster_reach(&from_shanghai).await.unwrap();
    assert_eq!(
        (
            figure.budget.window_start,
            figure.budget.window_end,
            figure.budget.within_minutes
        ),
        (480, 600, 180)
    );
    assert!(figure.reach.members > 0 && figure.reach.reached <= figure.reach.members);
    assert!(figure
        .reach
        .cities
        .iter()
        .all(|city| figure.cities.contains_key(&city.city.get())));

    // Every origin: best reach first, and Shanghai's count is the one-origin figure's.
    let origins = analytics
        .cluster_reach_by_origin(&ClusterOriginsQuery {
            cluster: instruments.clone(),
            ..ClusterOriginsQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(origins.members, figure.reach.members);
    assert!(origins
        .origins
        .windows(2)
        .all(|pair| pair[0].reached >= pair[1].reached));
    let shanghai = origins
        .origins
        .iter()
        .find(|origin| origin.city.code.get() == SHANGHAI)
        .unwrap();
    assert_eq!(shanghai.reached, figure.reach.reached);

    let dashboard = analytics
        .cluster_reach_dashboard(&from_shanghai)
        .await
        .unwrap();
    assert_eq!(dashboard.figure.reach, figure.reach);
    assert_eq!(dashboard.origins.origins.len(), origins.origins.len());
    assert!(!dashboard.categories.is_empty());
}
