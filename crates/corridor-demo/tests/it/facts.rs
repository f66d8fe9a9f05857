//! The typed-in facts, checked against the real data in `../shared/data/`.

use std::collections::HashMap;
use std::path::PathBuf;

use calamine::{open_workbook, Reader, Xls};
use corridor_demo::data;

fn shared_data(relative: &str) -> PathBuf {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data")
        .join(relative);
    assert!(
        path.exists(),
        "the shared data file {} is required for this test",
        path.display()
    );
    path
}

/// County-level names (e.g. 昆山市) to the adcode of their prefecture (e.g. 320500), from the
/// National Bureau of Statistics codes.
fn prefecture_of_county() -> HashMap<String, u32> {
    let text = std::fs::read_to_string(shared_data("cn-admin-divisions/china-division_areas.csv"))
        .unwrap();
    text.lines()
        .skip(1)
        .filter_map(|line| {
            let fields: Vec<&str> = line.split(',').collect();
            let name = fields.get(1)?.trim_matches('"').to_owned();
            let city_code: u32 = fields.get(2)?.parse().ok()?;
            Some((name, city_code * 100))
        })
        .collect()
}

#[test]
fn every_university_is_on_the_ministry_of_education_list_in_its_city() {
    let mut workbook: Xls<_> =
        open_workbook(shared_data("cn-universities/univ_moe.xls")).expect("the MOE list opens");
    let sheet = workbook
        .worksheet_range_at(0)
        .expect("a first sheet")
        .expect("readable");
    let mut located: HashMap<String, String> = HashMap::new();
    for row in sheet.rows() {
        let (Some(name), Some(place)) = (row.get(1), row.get(4)) else {
            continue;
        };
        let (name, place) = (name.to_string(), place.to_string());
        if !name.is_empty() && name != "学校名称" {
            located.insert(name, place);
        }
    }
    assert!(located.len() > 2_800, "the list has {} rows", located.len());
    let counties = prefecture_of_county();
    let cities: HashMap<u32, &str> = data::cities::CITIES
        .iter()
        .chain(data::cities::OUTSIDE_CITIES)
        .map(|city| (city.adcode, city.name_zh))
        .collect();
    let mut checked = 0;
    let mut mismatches = Vec::new();
    for university in data::universities::UNIVERSITIES
        .iter()
        .chain(data::universities::OUTSIDE_UNIVERSITIES)
    {
        let Some(place) = located.get(university.name_zh) else {
            mismatches.push(format!("{} is not on the list", university.name_zh));
            continue;
        };
        let our_city = cities[&university.city_adcode];
        let same_city = place == our_city
            || counties.get(place.as_str()) == Some(&university.city_adcode)
            || (university.city_adcode % 10_000 == 0
                && place.starts_with(our_city.trim_end_matches('市')));
        if !same_city {
            mismatches.push(format!(
                "{} is in {place}, not {our_city}",
                university.name_zh
            ));
        }
        checked += 1;
    }
    assert!(mismatches.is_empty(), "{mismatches:#?}");
    assert!(checked >= 240, "{checked}");
}

#[test]
fn city_codes_and_names_are_the_statistics_bureaus() {
    let text = std::fs::read_to_string(shared_data("cn-admin-divisions/china-division_cities.csv"))
        .unwrap();
    let prefectures: HashMap<u32, String> = text
        .lines()
        .skip(1)
        .filter_map(|line| {
            let fields: Vec<&str> = line.split(',').collect();
            Some((
                fields.first()?.parse::<u32>().ok()? * 100,
                fields.get(1)?.trim_matches('"').to_owned(),
            ))
        })
        .collect();
    for city in data::cities::CITIES {
        if city.adcode % 10_000 == 0 {
            continue; // Shanghai is a province-level city; its prefecture rows are "市辖区".
        }
        assert_eq!(
            prefectures.get(&city.adcode).map(String::as_str),
            Some(city.name_zh),
            "{}",
            city.adcode
        );
    }
}

#[test]
fn city_coordinates_agree_with_the_bureaus_points_within_fifteen_kilometres() {
    // cpca_adcodes.csv gives GCJ-02 points; the offset to WGS-84 in this region is under
    // 700 m, far below the tolerance, so no datum conversion is needed for this check.
    let text = std::fs::read_to_string(shared_data("cn-admin-divisions/cpca_adcodes.csv")).unwrap();
    let header: Vec<&str> = text.lines().next().unwrap().split(',').collect();
    let column = |name: &str| {
        header
            .iter()
            .position(|field| field.trim() == name)
            .unwrap_or_else(|| panic!("column {name} in {header:?}"))
    };
    let (code, lon, lat) = (column("adcode"), column("longitude"), column("latitude"));
    let mut points: HashMap<u32, (f64, f64)> = HashMap::new();
    for line in text.lines().skip(1) {
        let fields: Vec<&str> = line.split(',').collect();
        let Ok(adcode) = fields[code].trim().parse::<u64>() else {
            continue;
        };
        if adcode % 1_000_000 == 0 {
            let six = (adcode / 1_000_000) as u32;
            if let (Ok(lon), Ok(lat)) = (fields[lon].trim().parse(), fields[lat].trim().parse()) {
                points.insert(six, (lon, lat));
            }
        }
    }
    let mut compared = 0;
    for city in data::cities::CITIES {
        let Some(&(lon, lat)) = points.get(&city.adcode) else {
            continue;
        };
        let ours = corridor_domain::GeoPoint::new(city.lon, city.lat).unwrap();
        let theirs = corridor_domain::GeoPoint::new(lon, lat).unwrap();
        let distance = ours.great_circle_km(theirs);
        assert!(
            distance < 15.0,
            "{} is {distance:.1} km from the bureau's point",
            city.name_en
        );
        compared += 1;
    }
    assert!(compared >= 35, "{compared}");
}
