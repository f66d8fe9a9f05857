//! Grouped results: each group is exactly the instruments its key opens, its figures are
//! those instruments' figures, and a broad query shows many kinds on its first page.

use std::collections::HashSet;

use corridor_domain::GeoPoint;
use corridor_search::{Grouping, SearchFilters, SearchRequest, SearchResults, SortOrder};

use crate::support::full_index;

fn search(request: SearchRequest) -> SearchResults {
    full_index().1.search(&request).unwrap()
}

#[test]
fn every_group_is_the_instruments_its_key_opens_with_their_counts_prices_and_nearest() {
    let origin = GeoPoint {
        lon: 118.8,
        lat: 32.06,
    };
    for text in ["mass spectrometer", "显微镜", "analyzer", "PCR"] {
        let grouped = search(SearchRequest {
            text: text.to_owned(),
            limit: 100,
            grouping: Grouping::Kind,
            origin: Some(origin),
            ..Default::default()
        });
        assert!(
            grouped.total_groups >= 2,
            "{text}: {}",
            grouped.total_groups
        );
        assert_eq!(grouped.groups.len(), grouped.hits.len());
        let mut instruments = 0;
        for (group, best) in grouped.groups.iter().zip(&grouped.hits) {
            instruments += group.instruments;
            let members = search(SearchRequest {
                text: text.to_owned(),
                limit: 10_000,
                origin: Some(origin),
                filters: SearchFilters {
                    kind: Some(group.key.clone()),
                    ..Default::default()
                },
                ..Default::default()
            });
            assert_eq!(members.total, group.instruments, "{text}: {}", group.key);
            assert!(members
                .hits
                .iter()
                .all(|hit| hit.document.name_en == best.document.name_en));
            // The row's instrument is the group's best by the order (relevance here).
            assert_eq!(
                members.hits[0].document.id, best.document.id,
                "{}",
                group.key
            );
            let institutions: HashSet<_> = members
                .hits
                .iter()
                .map(|hit| hit.document.institution)
                .collect();
            assert_eq!(group.institutions, institutions.len() as u64);
            let rates: Vec<_> = members.hits.iter().map(|hit| hit.hourly_rate).collect();
            assert_eq!(group.lowest_rate, *rates.iter().min().unwrap());
            assert_eq!(group.highest_rate, *rates.iter().max().unwrap());
            let nearest = members
                .hits
                .iter()
                .map(|hit| hit.distance_km.unwrap())
                .fold(f64::INFINITY, f64::min);
            let (_, km) = group.nearest.expect("an origin gives a nearest");
            assert!((km - nearest).abs() < 1e-6, "{km} against {nearest}");
            let cities: HashSet<_> = members.hits.iter().map(|hit| hit.document.city).collect();
            assert_eq!(group.cities.len(), cities.len());
        }
        if grouped.total_groups <= 100 {
            assert_eq!(instruments, grouped.total, "{text}: the groups add up");
        }
    }
}

#[test]
fn groups_by_model_split_kinds_and_pages_count_groups() {
    let by_kind = search(SearchRequest {
        text: "scanning electron microscope".into(),
        limit: 100,
        grouping: Grouping::Kind,
        ..Default::default()
    });
    let by_model = search(SearchRequest {
        text: "scanning electron microscope".into(),
        limit: 100,
        grouping: Grouping::Model,
        ..Default::default()
    });
    assert_eq!(by_kind.total, by_model.total);
    assert!(by_model.total_groups > by_kind.total_groups);
    assert!(by_model.groups.iter().all(|group| group.model.is_some()));
    // A model's key opens exactly its instruments: one kind, one model.
    let group = &by_model.groups[0];
    let members = search(SearchRequest {
        text: "scanning electron microscope".into(),
        limit: 10_000,
        filters: SearchFilters {
            kind: Some(group.key.clone()),
            ..Default::default()
        },
        ..Default::default()
    });
    assert_eq!(members.total, group.instruments);
    assert!(members
        .hits
        .iter()
        .all(|hit| Some(&hit.document.model) == group.model.as_ref()));
    // Pages are slices of one order of groups.
    let first = search(SearchRequest {
        text: "microscope".into(),
        limit: 5,
        grouping: Grouping::Kind,
        sort: SortOrder::PriceAscending,
        ..Default::default()
    });
    let second = search(SearchRequest {
        text: "microscope".into(),
        limit: 5,
        offset: 5,
        grouping: Grouping::Kind,
        sort: SortOrder::PriceAscending,
        ..Default::default()
    });
    let both = search(SearchRequest {
        text: "microscope".into(),
        limit: 10,
        grouping: Grouping::Kind,
        sort: SortOrder::PriceAscending,
        ..Default::default()
    });
    let keys = |results: &SearchResults| -> Vec<String> {
        results
            .groups
            .iter()
            .map(|group| group.key.clone())
            .collect()
    };
    assert_eq!([keys(&first), keys(&second)].concat(), keys(&both));
    // Ordered by price, each group's row is its cheapest instrument, and rows rise.
    let lows: Vec<_> = both.groups.iter().map(|group| group.lowest_rate).collect();
    assert!(lows.windows(2).all(|pair| pair[0] <= pair[1]), "{lows:?}");
    for (group, hit) in both.groups.iter().zip(&both.hits) {
        assert_eq!(hit.hourly_rate, group.lowest_rate);
    }
    // An unknown key opens nothing.
    let nothing = search(SearchRequest {
        text: String::new(),
        limit: 10,
        filters: SearchFilters {
            kind: Some("no such kind".into()),
            ..Default::default()
        },
        ..Default::default()
    });
    assert_eq!(nothing.total, 0);
}
