//! Station lookup: ids, codes, names in either language and any case, pinyin, unique prefixes,
//! cities, and errors that list the closest names.

use crate::real_data::shared_data;
use corridor_rail::import::gtfs::import_gtfs;
use corridor_rail::lookup::{pinyin_of, PlaceLookupError};
use corridor_rail::*;

fn names(timetable: &Timetable, found: &[StationId]) -> Vec<String> {
    found
        .iter()
        .map(|&id| timetable.station(id).name.clone())
        .collect()
}

#[test]
fn demo_stations_are_found_by_name_pinyin_prefix_and_city() {
    let timetable = demo::demo_timetable(2026);
    let hongqiao = vec!["上海虹桥".to_string()];
    for typed in [
        "上海虹桥",
        "Shanghai Hongqiao",
        "shanghai hongqiao",
        "SHANGHAIHONGQIAO",
        "shanghaihongqiao",
        "shanghai-hongqiao",
        "上海虹",
        "shanghaihong",
    ] {
        let found = timetable
            .find_place(typed)
            .unwrap_or_else(|error| panic!("{typed}: {error}"));
        assert_eq!(names(&timetable, &found), hongqiao, "{typed}");
    }
    // A city, by name or pinyin, gives all its stations.
    let shanghai = timetable.find_place("上海").unwrap();
    assert!(shanghai.len() >= 3, "{:?}", names(&timetable, &shanghai));
    assert_eq!(timetable.find_place("shanghai").unwrap(), shanghai);
    assert_eq!(pinyin_of("南京南"), "nanjingnan");
}

#[test]
fn misses_and_ambiguities_list_the_closest_names() {
    let timetable = demo::demo_timetable(2026);
    match timetable.find_place("shanghai hongqaio") {
        Err(PlaceLookupError::NotFound { closest, .. }) => {
            assert!(closest[0].starts_with("上海虹桥"), "{closest:?}");
        }
        other => panic!("{other:?}"),
    }
    let message = timetable
        .find_place("Nanjing Sooth")
        .unwrap_err()
        .to_string();
    assert!(
        message.contains("no station or city \"Nanjing Sooth\"")
            && message.contains("the closest names are 南京南"),
        "{message}"
    );
    // "nan" starts several station names: the error lists them instead of picking one.
    match timetable.find_place("nan") {
        Err(PlaceLookupError::Ambiguous { candidates, .. }) => {
            assert!(
                candidates.len() >= 2 && candidates.iter().any(|name| name.starts_with("南京")),
                "{candidates:?}"
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        Timetable::default().find_place("上海"),
        Err(PlaceLookupError::EmptyTimetable)
    );
}

#[test]
fn gtfs_stations_are_found_by_stop_id_and_code() {
    let timetable = import_gtfs(&shared_data("gtfs-hk-xrl")).unwrap();
    let west_kowloon = timetable.station_by_name("香港西九龍").unwrap();
    assert_eq!(timetable.find_place("WEK").unwrap(), vec![west_kowloon]);
    // A platform's id is not a station's; the station's own id and its names are.
    assert_eq!(
        timetable.find_place("hong kong west").unwrap(),
        vec![west_kowloon]
    );
    assert_eq!(
        timetable.find_place("Hong Kong West Kowloon").unwrap(),
        vec![west_kowloon]
    );
    let futian = timetable.station_by_name("福田").unwrap();
    assert_eq!(timetable.find_place("futian").unwrap(), vec![futian]);
    assert_eq!(timetable.find_place("FUT").unwrap(), vec![futian]);
}
