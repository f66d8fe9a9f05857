use std::sync::Arc;

use corridor_domain::{
    CategoryCode, CityCode, Fen, GeoPoint, InstitutionKind, InstrumentId, ProvinceCode, UserClass,
};
use corridor_search::{
    CitySetFilter, Facet, PriceBand, RateBasis, SearchFilters, SearchIndex, SearchRequest,
    SortOrder,
};
use proptest::prelude::*;

use crate::support::full_index;

fn search(
    index: &SearchIndex,
    text: &str,
    filters: SearchFilters,
) -> corridor_search::SearchResults {
    index
        .search(&SearchRequest {
            text: text.to_owned(),
            filters,
            limit: 20,
            ..Default::default()
        })
        .unwrap()
}

#[test]
fn both_languages_and_abbreviations_find_mass_spectrometers() {
    let (_, index) = full_index();
    for query in ["质谱仪", "质谱", "mass spectrometer", "Mass Spectrometers"] {
        let results = search(index, query, SearchFilters::default());
        assert!(results.total > 500, "{query}: {}", results.total);
        assert!(
            results
                .hits
                .iter()
                .all(|hit| hit.document.name_zh.contains("质谱")),
            "{query}: {:?}",
            results
                .hits
                .iter()
                .map(|hit| &hit.document.name_en)
                .collect::<Vec<_>>()
        );
    }
    let mixed = search(index, "XRD 合肥", SearchFilters::default());
    assert!(mixed.total > 0);
    assert!(
        mixed
            .hits
            .iter()
            .all(|hit| hit.document.city == CityCode::new(340100).unwrap()
                && hit.document.name_en.contains("X-ray")),
        "{:?}",
        mixed
            .hits
            .iter()
            .map(|hit| (&hit.document.name_en, &hit.document.city_name_en))
            .collect::<Vec<_>>()
    );
}

#[test]
fn facet_counts_are_what_choosing_the_value_would_give() {
    let (_, index) = full_index();
    let filters = SearchFilters {
        provinces: vec![ProvinceCode::Jiangsu],
        training_required: Some(false),
        ..Default::default()
    };
    let results = search(index, "microscope", filters.clone());
    assert!(results.total > 0);
    // The Anhui count in the province facet equals the total with Anhui chosen instead.
    let anhui_count = results.facets.count(Facet::Province, "AH");
    let anhui = search(
        index,
        "microscope",
        SearchFilters {
            provinces: vec![ProvinceCode::Anhui],
            ..filters.clone()
        },
    );
    assert_eq!(anhui_count, anhui.total);
    // And a facet other than the chosen ones counts within the results.
    let kinds: u64 = results
        .facets
        .get(Facet::InstitutionKind)
        .iter()
        .map(|count| count.count)
        .sum();
    assert_eq!(kinds, results.total);
    let with_training = search(
        index,
        "microscope",
        SearchFilters {
            training_required: Some(true),
            ..filters
        },
    );
    assert_eq!(
        results.facets.count(Facet::TrainingRequired, "true"),
        with_training.total
    );
}

#[test]
fn removed_instruments_are_never_served_and_new_ones_are_found_at_once() {
    let region = corridor_demo::generate(3, corridor_demo::DemoScale::small(), &mut |_, _, _| {});
    let documents = crate::support::documents(&region);
    let index = SearchIndex::build(documents.clone()).unwrap();
    let victim = documents
        .iter()
        .find(|document| document.name_zh.contains("质谱"))
        .unwrap()
        .clone();
    let before = search(&index, "质谱", SearchFilters::default()).total;
    index.remove(victim.id).unwrap();
    let after = index
        .search(&SearchRequest {
            text: "质谱".into(),
            limit: 10_000,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(after.total, before - 1);
    assert!(after.hits.iter().all(|hit| hit.document.id != victim.id));
    assert!(index.document(victim.id).is_none());
    let everything = index
        .search(&SearchRequest {
            limit: 10_000,
            ..Default::default()
        })
        .unwrap();
    assert!(
        everything
            .hits
            .iter()
            .all(|hit| hit.document.id != victim.id),
        "not even an empty query serves it"
    );

    let mut edited = victim.clone();
    edited.id = InstrumentId(999_999);
    edited.name_en = "Quantum gravimeter prototype".into();
    edited.name_zh = "量子重力仪样机".into();
    index.upsert(edited.clone()).unwrap();
    assert_eq!(
        search(&index, "gravimeter", SearchFilters::default()).hits[0]
            .document
            .id,
        edited.id
    );
    assert_eq!(
        search(&index, "重力仪", SearchFilters::default()).hits[0]
            .document
            .id,
        edited.id
    );
    // Back under its old id after removal: found again (a position map built before the
    // removal must not hide it).
    let without_victim = search(&index, "质谱", SearchFilters::default()).total;
    index.upsert(victim.clone()).unwrap();
    let again = index
        .search(&SearchRequest {
            text: "质谱".into(),
            limit: 10_000,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(again.total, without_victim + 1);
    assert_eq!(
        again
            .hits
            .iter()
            .filter(|hit| hit.document.id == victim.id)
            .count(),
        1,
        "served once, not once per position it ever had"
    );
    assert_eq!(
        index.document(victim.id).map(|document| document.id),
        Some(victim.id)
    );

    edited.name_en = "Atom interferometer".into();
    index.upsert(edited.clone()).unwrap();
    assert_eq!(
        search(&index, "gravimeter", SearchFilters::default()).total,
        0,
        "the old name is gone after an edit"
    );
    assert_eq!(
        search(&index, "interferometer", SearchFilters::default()).hits[0]
            .document
            .id,
        edited.id
    );
}

#[test]
fn distance_price_and_plugged_in_filters_hold_and_sorts_are_ordered() {
    let (_, index) = full_index();
    let shanghai = GeoPoint::new(121.4737, 31.2304).unwrap();
    let near = index
        .search(&SearchRequest {
            text: "NMR".into(),
            filters: SearchFilters {
                near: Some((shanghai, 50.0)),
                ..Default::default()
            },
            sort: SortOrder::Distance,
            limit: 50,
            ..Default::default()
        })
        .unwrap();
    assert!(near.total > 0);
    let distances: Vec<f64> = near
        .hits
        .iter()
        .map(|hit| hit.distance_km.unwrap())
        .collect();
    assert!(distances.windows(2).all(|pair| pair[0] <= pair[1]));
    assert!(near
        .hits
        .iter()
        .all(|hit| hit.document.location.great_circle_km(shanghai) <= 50.0 + 1e-6));

    let basis = RateBasis {
        class: UserClass::Industry,
        home_institution: None,
    };
    let cheap = index
        .search(&SearchRequest {
            text: "microscope".into(),
            filters: SearchFilters {
                max_hourly_rate: Some(Fen::from_yuan(300)),
                ..Default::default()
            },
            rate_basis: basis,
            sort: SortOrder::PriceAscending,
            limit: 100,
            ..Default::default()
        })
        .unwrap();
    assert!(cheap
        .hits
        .iter()
        .all(|hit| hit.hourly_rate == hit.document.rates.industry_fen
            && hit.hourly_rate <= Fen::from_yuan(300)));
    assert!(cheap
        .hits
        .windows(2)
        .all(|pair| pair[0].hourly_rate <= pair[1].hourly_rate));

    let hefei_only = Arc::new(CitySetFilter {
        name: "reach",
        cities: [CityCode::new(340100).unwrap()].into_iter().collect(),
    });
    let reachable = search(
        index,
        "",
        SearchFilters {
            extra: vec![hefei_only],
            ..Default::default()
        },
    );
    assert!(
        reachable.total > 0
            && reachable
                .hits
                .iter()
                .all(|hit| hit.document.city_name_en == "Hefei")
    );
    assert!(
        index
            .search(&SearchRequest {
                sort: SortOrder::Distance,
                ..Default::default()
            })
            .is_err(),
        "distance without a point is refused"
    );
}

#[test]
fn pages_are_slices_of_one_stable_order() {
    let (_, index) = full_index();
    for sort in [SortOrder::Relevance, SortOrder::PriceAscending] {
        let all = index
            .search(&SearchRequest {
                text: "spectrometer".into(),
                sort,
                limit: 60,
                ..Default::default()
            })
            .unwrap();
        let mut paged = Vec::new();
        for page in 0..6 {
            let results = index
                .search(&SearchRequest {
                    text: "spectrometer".into(),
                    sort,
                    offset: page * 10,
                    limit: 10,
                    ..Default::default()
                })
                .unwrap();
            paged.extend(results.hits.into_iter().map(|hit| hit.document.id));
        }
        assert_eq!(
            paged,
            all.hits
                .iter()
                .map(|hit| hit.document.id)
                .collect::<Vec<_>>(),
            "{sort:?}"
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// Whatever the filters, every hit satisfies them and the total is exactly the number of
    /// instruments that do (checked by brute force over the documents).
    #[test]
    fn filters_agree_with_brute_force(
        province in prop::option::of(prop::sample::select(ProvinceCode::ALL.to_vec())),
        kind in prop::option::of(prop::sample::select(InstitutionKind::ALL.to_vec())),
        class in prop::option::of(prop::sample::select(vec!["01", "02", "04", "0102", "0106", "12"])),
        band in prop::option::of(prop::sample::select(PriceBand::ALL.to_vec())),
        training in prop::option::of(any::<bool>()),
        text in prop::sample::select(vec!["", "microscope", "质谱", "NMR", "laser"]),
        // Beijing (110000) is outside the region: a city filter nobody matches.
        city in prop::option::of(prop::sample::select(vec![310000u32, 320100, 320500, 340100, 110000])),
        // 99,999,999 is no institution's id.
        institution in prop::option::of(prop::sample::select(vec![1i64, 2, 500, 99_999_999])),
        home in prop::option::of(prop::sample::select(vec![1i64, 2, 500])),
        class_of_user in prop::sample::select(vec![UserClass::OwnInstitution, UserClass::OtherAcademic, UserClass::Industry]),
    ) {
        let (documents, index) = full_index();
        let filters = SearchFilters {
            cities: city.map(|code| CityCode::new(code).unwrap()).into_iter().collect(),
            institution: institution.map(corridor_domain::InstitutionId),
            provinces: province.into_iter().collect(),
            institution_kinds: kind.into_iter().collect(),
            categories: class.map(|code| CategoryCode::parse(code).unwrap()).into_iter().collect(),
            price_bands: band.into_iter().collect(),
            training_required: training,
            ..Default::default()
        };
        let basis = RateBasis {
            class: class_of_user,
            home_institution: home.map(corridor_domain::InstitutionId),
        };
        let results = index.search(&SearchRequest { text: text.into(), filters, rate_basis: basis, limit: 100_000, ..Default::default() }).unwrap();
        let passes = |document: &corridor_search::SearchDocument| {
            city.is_none_or(|c| document.city.get() == c)
                && institution.is_none_or(|i| document.institution.0 == i)
                && province.is_none_or(|p| document.province == p)
                && kind.is_none_or(|k| document.institution_kind == k)
                && class.is_none_or(|c| if c.len() == 2 { document.category.top_level().as_str() == c } else { document.category.as_str() == c })
                && band.is_none_or(|b| PriceBand::of(basis.rate_of(document)) == b)
                && training.is_none_or(|t| document.training_required == t)
        };
        prop_assert!(results.hits.iter().all(|hit| passes(&hit.document)));
        prop_assert!(results.hits.iter().all(|hit| hit.hourly_rate == basis.rate_of(&hit.document)));
        if text.is_empty() {
            let expected = documents.iter().filter(|document| passes(document)).count() as u64;
            prop_assert_eq!(results.total, expected);
        }
        prop_assert_eq!(results.total, results.hits.len() as u64);
    }
}
