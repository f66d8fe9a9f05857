//! The catalogue service's rules, each covered once: who may change an instrument and within
//! which limits, the indexes following every change, the search's limits and filters, and
//! whose prices a search shows.

use corridor_app::catalogue::{
    FreeTimeQuery, InstrumentChange, ReachFilterQuery, SearchQuery, LONGEST_DESCRIPTION_CHARS,
    LONGEST_INSTRUMENT_NAME_CHARS, LONGEST_SEARCH_TEXT_CHARS, LONGEST_TERM_CHARS, MOST_TERMS,
};
use corridor_app::dates::InstantOrDate;
use corridor_app::{Actor, AppError};
use corridor_domain::{
    CityCode, Fen, InstitutionId, InstitutionKind, InstrumentId, Role, RoleGrant, RoleScope, User,
    UserClass, WeeklyOpeningHours,
};
use corridor_search::SortOrder;

use crate::support::{actor, test_app, TestApp};

/// A valid change: a copy of one of `institution`'s instruments under a new name, open
/// every day so that it has free time.
async fn change_at(test: &TestApp, institution: InstitutionId, name: &str) -> InstrumentChange {
    let existing = test
        .store
        .all_instruments()
        .await
        .unwrap()
        .into_iter()
        .find(|item| item.instrument.institution == institution)
        .expect("the institution has an instrument")
        .instrument;
    InstrumentChange {
        institution,
        site: existing.site,
        category: existing.category,
        name_en: name.to_owned(),
        name_zh: "量子重力仪".into(),
        techniques: vec!["inertial sensing".into()],
        keywords: vec!["quantum sensing".into()],
        manufacturer: "Muquans".into(),
        model: "AQG-B".into(),
        year_of_manufacture: 2024,
        purchase_value: Fen(300_000_000),
        description_en: String::new(),
        description_zh: String::new(),
        access_policy: existing.access_policy,
        booking_mode: existing.booking_mode,
        training_required: false,
        own_institution_rate: Fen(20_000),
        other_academic_rate: Fen(40_000),
        industry_rate: Fen(80_000),
        opening_hours: WeeklyOpeningHours::parse("Mon-Sun 08:00-20:00").unwrap(),
        time_zone: None,
    }
}

/// Makes an instrument change break one limit.
type BreakOneLimit = fn(&mut InstrumentChange);

/// Text of `chars` characters.
fn long(chars: usize) -> String {
    "x".repeat(chars)
}

/// `user` as an instrument manager of `institution` only.
fn manager_of(user: &User, institution: InstitutionId) -> User {
    let mut manager = user.clone();
    manager.roles = vec![
        RoleGrant::new(Role::Researcher, RoleScope::Global).unwrap(),
        RoleGrant::new(Role::InstrumentManager, RoleScope::Institution(institution)).unwrap(),
    ];
    manager
}

fn invalid_field(error: AppError) -> String {
    match error {
        AppError::Invalid { field, .. } => field,
        other => panic!("expected an invalid input, got {other:?}"),
    }
}

fn query(text: &str) -> SearchQuery {
    SearchQuery {
        text: text.to_owned(),
        ..SearchQuery::default()
    }
}

#[tokio::test]
async fn only_the_institutions_managers_change_its_instruments_within_the_limits() {
    let test = test_app().await;
    let (manager, institution) = test.manager();
    let other_institution = test
        .store
        .all_instruments()
        .await
        .unwrap()
        .into_iter()
        .map(|item| item.instrument.institution)
        .find(|owner| *owner != institution)
        .unwrap();
    let elsewhere = manager_of(test.plain_user(), other_institution);
    let catalogue = test.app.catalogue();

    let anonymous = catalogue
        .create_instrument(
            &Actor::default(),
            change_at(&test, institution, "Gravimeter").await,
        )
        .await
        .unwrap_err();
    assert!(
        matches!(anonymous, AppError::Unauthenticated),
        "{anonymous:?}"
    );
    for stranger in [test.plain_user(), &elsewhere] {
        let refused = catalogue
            .create_instrument(
                &actor(stranger),
                change_at(&test, institution, "Gravimeter").await,
            )
            .await
            .unwrap_err();
        assert!(matches!(refused, AppError::Forbidden(_)), "{refused:?}");
    }

    // Each limit refuses its field, and nothing is stored.
    let limits: Vec<(&str, BreakOneLimit)> = vec![
        ("name_en", |change| {
            change.name_en = long(LONGEST_INSTRUMENT_NAME_CHARS + 1)
        }),
        ("name_zh", |change| change.name_zh = "  ".into()),
        ("model", |change| {
            change.model = long(LONGEST_INSTRUMENT_NAME_CHARS + 1)
        }),
        ("techniques", |change| {
            change.techniques = vec!["XRD".into(); MOST_TERMS + 1]
        }),
        ("keywords", |change| {
            change.keywords = vec![long(LONGEST_TERM_CHARS + 1)]
        }),
        ("description_en", |change| {
            change.description_en = long(LONGEST_DESCRIPTION_CHARS + 1)
        }),
        ("year_of_manufacture", |change| {
            change.year_of_manufacture = 1949
        }),
        ("purchase_value_fen", |change| {
            change.purchase_value = Fen(-1)
        }),
        ("rate_industry_fen", |change| change.industry_rate = Fen(-1)),
    ];
    let before = test.store.all_instruments().await.unwrap().len();
    for (field, break_it) in &limits {
        let mut change = change_at(&test, institution, "Gravimeter").await;
        break_it(&mut change);
        let refused = catalogue
            .create_instrument(&actor(manager), change)
            .await
            .unwrap_err();
        assert_eq!(invalid_field(refused), *field);
    }
    assert_eq!(test.store.all_instruments().await.unwrap().len(), before);

    // The text is stored trimmed; the time zone is Shanghai's when none is given.
    let mut change = change_at(&test, institution, "  Quantum gravimeter  ").await;
    change.description_en = long(LONGEST_DESCRIPTION_CHARS);
    let created = catalogue
        .create_instrument(&actor(manager), change)
        .await
        .unwrap();
    let id = created.instrument.id;
    assert_eq!(created.instrument.name_en, "Quantum gravimeter");
    assert_eq!(created.instrument.time_zone.as_str(), "Asia/Shanghai");

    // A manager elsewhere may neither change nor remove it, nor move an instrument into an
    // institution they do not manage; unknown instruments are not found.
    let moved = catalogue
        .update_instrument(
            &actor(&elsewhere),
            id,
            change_at(&test, other_institution, "Moved").await,
        )
        .await
        .unwrap_err();
    assert!(matches!(moved, AppError::Forbidden(_)), "{moved:?}");
    let own = test
        .store
        .all_instruments()
        .await
        .unwrap()
        .into_iter()
        .find(|item| item.instrument.institution == other_institution)
        .unwrap()
        .instrument
        .id;
    let into_foreign = catalogue
        .update_instrument(
            &actor(&elsewhere),
            own,
            change_at(&test, institution, "Moved").await,
        )
        .await
        .unwrap_err();
    assert!(
        matches!(into_foreign, AppError::Forbidden(_)),
        "{into_foreign:?}"
    );
    let removed = catalogue
        .delete_instrument(&actor(&elsewhere), id)
        .await
        .unwrap_err();
    assert!(matches!(removed, AppError::Forbidden(_)), "{removed:?}");
    let unknown = catalogue
        .delete_instrument(&actor(manager), InstrumentId(987_654_321))
        .await
        .unwrap_err();
    assert!(matches!(unknown, AppError::NotFound(_)), "{unknown:?}");
}

#[tokio::test]
async fn a_change_reaches_search_and_availability_before_the_operation_returns() {
    let test = test_app().await;
    let (manager, institution) = test.manager();
    let catalogue = test.app.catalogue();
    let anyone = Actor::default();
    let free_this_week = |institution: InstitutionId| SearchQuery {
        institution: Some(institution),
        free: FreeTimeQuery {
            hours: Some(4),
            from: Some(InstantOrDate::Instant(jiff::Timestamp::now())),
            to: Some(InstantOrDate::Instant(
                jiff::Timestamp::now() + jiff::SignedDuration::from_hours(24 * 7),
            )),
        },
        limit: Some(100),
        ..SearchQuery::default()
    };
    let found = |answer: &corridor_app::catalogue::SearchAnswer, id: InstrumentId| {
        answer.results.hits.iter().any(|hit| hit.document.id == id)
    };

    let created = catalogue
        .create_instrument(
            &actor(manager),
            change_at(&test, institution, "Quantum gravimeter").await,
        )
        .await
        .unwrap();
    let id = created.instrument.id;
    let by_name = catalogue
        .search(&anyone, query("gravimeter"))
        .await
        .unwrap();
    assert_eq!(by_name.results.hits[0].document.id, id);
    let free = catalogue
        .search(&anyone, free_this_week(institution))
        .await
        .unwrap();
    assert!(
        found(&free, id),
        "the new instrument's free time is known at once"
    );

    catalogue
        .update_instrument(
            &actor(manager),
            id,
            change_at(&test, institution, "Atom interferometer").await,
        )
        .await
        .unwrap();
    assert_eq!(
        catalogue
            .search(&anyone, query("gravimeter"))
            .await
            .unwrap()
            .results
            .total,
        0
    );
    assert_eq!(
        catalogue
            .search(&anyone, query("interferometer"))
            .await
            .unwrap()
            .results
            .hits[0]
            .document
            .id,
        id
    );

    catalogue
        .delete_instrument(&actor(manager), id)
        .await
        .unwrap();
    assert!(!found(
        &catalogue
            .search(&anyone, query("interferometer"))
            .await
            .unwrap(),
        id
    ));
    assert!(!found(
        &catalogue
            .search(&anyone, free_this_week(institution))
            .await
            .unwrap(),
        id
    ));
    let gone = catalogue.instrument(id).await.unwrap_err();
    assert!(matches!(gone, AppError::NotFound(_)), "{gone:?}");
}

#[tokio::test]
async fn a_search_keeps_its_limits_and_its_filters_go_together() {
    let test = test_app().await;
    let catalogue = test.app.catalogue();
    let anyone = Actor::default();
    let shanghai = 310_000;
    let refusals: Vec<(&str, SearchQuery)> = vec![
        ("q", query(&"质".repeat(LONGEST_SEARCH_TEXT_CHARS + 1))),
        (
            "max_rate_fen",
            SearchQuery {
                max_rate: Some(Fen(-1)),
                ..query("")
            },
        ),
        (
            "within_km",
            SearchQuery {
                within_km: Some(5.0),
                ..query("")
            },
        ),
        (
            "within_km",
            SearchQuery {
                near_city: Some(shanghai),
                within_km: Some(3_001.0),
                ..query("")
            },
        ),
        (
            "near_city",
            SearchQuery {
                near_city: Some(500_100),
                within_km: Some(5.0),
                ..query("")
            },
        ),
        (
            "sort",
            SearchQuery {
                sort: SortOrder::Distance,
                ..query("")
            },
        ),
        (
            "limit",
            SearchQuery {
                limit: Some(101),
                ..query("")
            },
        ),
        (
            "limit",
            SearchQuery {
                limit: Some(0),
                ..query("")
            },
        ),
        (
            "offset",
            SearchQuery {
                offset: Some(10_001),
                ..query("")
            },
        ),
        (
            "reach_minutes",
            SearchQuery {
                reach: ReachFilterQuery {
                    minutes: Some(40),
                    ..Default::default()
                },
                ..query("")
            },
        ),
        (
            "reach_minutes",
            SearchQuery {
                reach: ReachFilterQuery {
                    from: Some(shanghai),
                    minutes: Some(721),
                    ..Default::default()
                },
                ..query("")
            },
        ),
        (
            "reach_from",
            SearchQuery {
                reach: ReachFilterQuery {
                    from: Some(999_999),
                    minutes: Some(40),
                    ..Default::default()
                },
                ..query("")
            },
        ),
        (
            "reach_depart",
            SearchQuery {
                reach: ReachFilterQuery {
                    departure: Some(480),
                    ..Default::default()
                },
                ..query("")
            },
        ),
        (
            "window",
            SearchQuery {
                reach: ReachFilterQuery {
                    from: Some(shanghai),
                    minutes: Some(40),
                    window: Some(721),
                    ..Default::default()
                },
                ..query("")
            },
        ),
        (
            "free_hours",
            SearchQuery {
                free: FreeTimeQuery {
                    hours: Some(4),
                    ..Default::default()
                },
                ..query("")
            },
        ),
        (
            "free_hours",
            SearchQuery {
                free: FreeTimeQuery {
                    hours: Some(169),
                    from: Some(InstantOrDate::Date(jiff::civil::date(2026, 1, 1))),
                    to: Some(InstantOrDate::Date(jiff::civil::date(2026, 1, 9))),
                },
                ..query("")
            },
        ),
    ];
    for (field, refused) in refusals {
        let error = catalogue.search(&anyone, refused).await.unwrap_err();
        assert_eq!(invalid_field(error), field);
    }

    // The distance filter around a city and its order.
    let near = catalogue
        .search(
            &anyone,
            SearchQuery {
                near_city: Some(320_100),
                within_km: Some(60.0),
                sort: SortOrder::Distance,
                limit: Some(30),
                ..query("")
            },
        )
        .await
        .unwrap();
    let distances: Vec<f64> = near
        .results
        .hits
        .iter()
        .filter_map(|hit| hit.distance_km)
        .collect();
    assert!(!distances.is_empty() && distances.iter().all(|km| *km <= 60.0));
    assert!(distances.windows(2).all(|pair| pair[0] <= pair[1]));
    assert_eq!((near.offset, near.limit), (0, 30));

    // The reach filter keeps the cities the reach service finds within the horizon.
    let reachable = test
        .app
        .reach()
        .from_city(corridor_app::reach::ReachQuery {
            from_city: shanghai,
            departure: None,
            window: None,
            max_minutes: Some(40),
        })
        .unwrap()
        .reach
        .cities;
    let within = catalogue
        .search(
            &anyone,
            SearchQuery {
                reach: ReachFilterQuery {
                    from: Some(shanghai),
                    minutes: Some(40),
                    ..Default::default()
                },
                limit: Some(100),
                ..query("")
            },
        )
        .await
        .unwrap();
    assert!(within.results.total > 0);
    assert!(within
        .results
        .hits
        .iter()
        .all(|hit| reachable.contains_key(&hit.document.city.get())));
    assert!(!reachable.contains_key(&CityCode::new(340_100).unwrap().get()));
}

#[tokio::test]
async fn a_search_shows_the_prices_of_the_person_asking() {
    let test = test_app().await;
    let catalogue = test.app.catalogue();
    let mut corporate = None;
    let mut academic = None;
    for user in &test.users {
        let home = test
            .store
            .institution(user.home_institution)
            .await
            .unwrap()
            .unwrap();
        match home.institution.kind {
            InstitutionKind::Corporation => corporate = corporate.or(Some(user)),
            InstitutionKind::University => academic = academic.or(Some(user)),
            _ => {}
        }
    }
    let (corporate, academic) = (corporate.unwrap(), academic.unwrap());
    let basis = |answer: corridor_app::catalogue::SearchAnswer| answer.rate_basis;

    let anonymous = basis(
        catalogue
            .search(&Actor::default(), query(""))
            .await
            .unwrap(),
    );
    assert_eq!(anonymous.class, UserClass::OtherAcademic);
    assert_eq!(anonymous.home_institution, None);
    let firm = basis(
        catalogue
            .search(&actor(corporate), query(""))
            .await
            .unwrap(),
    );
    assert_eq!(firm.class, UserClass::Industry);
    assert_eq!(firm.home_institution, Some(corporate.home_institution));
    let university = basis(catalogue.search(&actor(academic), query("")).await.unwrap());
    assert_eq!(university.class, UserClass::OtherAcademic);
    // A class asked for replaces the user's own, and their own institution's rate stays.
    let asked = basis(
        catalogue
            .search(
                &actor(academic),
                SearchQuery {
                    user_class: Some(UserClass::Industry),
                    ..query("")
                },
            )
            .await
            .unwrap(),
    );
    assert_eq!(asked.class, UserClass::Industry);
    assert_eq!(asked.home_institution, Some(academic.home_institution));
}

#[tokio::test]
async fn unknown_places_are_not_found() {
    let test = test_app().await;
    let catalogue = test.app.catalogue();
    for error in [
        catalogue
            .city(CityCode::new(500_100).unwrap())
            .await
            .unwrap_err(),
        catalogue
            .institution(InstitutionId(987_654_321))
            .await
            .unwrap_err(),
        catalogue
            .instrument(InstrumentId(987_654_321))
            .await
            .unwrap_err(),
    ] {
        assert!(matches!(error, AppError::NotFound(_)), "{error:?}");
    }
    let overview = catalogue.overview().await.unwrap();
    assert_eq!(overview.summary.instruments, 300);
    assert_eq!(overview.cities.len() as u64, overview.summary.cities);
}
