//! The base map under the pages' maps (province outlines from Natural Earth) and the
//! travel-time bands of the maps that show travel times: a legend told apart by more than
//! colour, and a text alternative in both languages.

use serde_json::Value;

use crate::support::{client, sqlite_server};

/// The SVG element of the page whose `data-testid` is `test_id`.
fn svg_with_test_id<'a>(html: &'a str, test_id: &str) -> &'a str {
    let marker = format!(r#"data-testid="{test_id}""#);
    let at = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no {marker} on the page"));
    let start = html[..at]
        .rfind("<svg")
        .expect("the test id is on an <svg>");
    let end = at + html[at..].find("</svg>").expect("the map is closed") + "</svg>".len();
    &html[start..end]
}

/// The `data-province` codes of the map's outlines, each on a `<path>` with a `<title>`.
fn provinces_drawn(svg: &str) -> Vec<String> {
    svg.split("<path ")
        .skip(1)
        .filter_map(|path| {
            let code = path.split(r#"data-province=""#).nth(1)?.split('"').next()?;
            let (attributes, rest) = path.split_once('>')?;
            assert!(
                attributes.starts_with(r#"d="M"#),
                "the outline of {code} has a path"
            );
            assert!(
                rest.starts_with("<title>"),
                "the outline of {code} is named"
            );
            Some(code.to_owned())
        })
        .collect()
}

#[tokio::test]
async fn the_landing_and_search_maps_draw_the_province_outlines_under_the_cities() {
    let server = sqlite_server().await;
    for (path, test_id, jiangsu) in [
        ("/?lang=en", "region-map", "<title>Jiangsu</title>"),
        ("/?lang=zh", "region-map", "<title>江苏省</title>"),
        (
            "/search?q=microscope&lang=en",
            "region-map",
            "<title>Jiangsu</title>",
        ),
    ] {
        let page = client().get(server.url(path)).send().await.unwrap();
        assert_eq!(page.status(), 200, "{path}");
        let html = page.text().await.unwrap();
        let map = svg_with_test_id(&html, test_id);
        let drawn = provinces_drawn(map);
        for code in ["SH", "JS", "ZJ", "AH"] {
            assert!(
                drawn.iter().any(|drawn| drawn == code),
                "{path}: {code} is not outlined ({drawn:?})"
            );
        }
        // The neighbours in the frame are outlined too, the far provinces are not drawn.
        assert!(drawn.iter().any(|code| code == "SD"), "{path}: {drawn:?}");
        assert!(!drawn.iter().any(|code| code == "XJ"), "{path}: {drawn:?}");
        assert!(map.contains(jiangsu), "{path}");
        // The outlines are under the cities: every province path comes before the first city.
        let last_outline = map.rfind("<path ").unwrap();
        let first_city = map.find("data-city=").expect("the cities are drawn");
        assert!(last_outline < first_city, "{path}");
        assert!(
            map.contains("Natural Earth"),
            "{path}: the base map is credited"
        );
    }
}

#[tokio::test]
async fn the_reach_map_has_a_band_legend_and_a_text_alternative_in_both_languages() {
    let server = sqlite_server().await;
    let reach: Value = client()
        .get(server.url("/api/v1/reach?from=320100&depart=08:00&window=60&max_minutes=360"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    // The stations per band, as the API counts them.
    let mut expected = [0usize; 4];
    for station in reach["stations"].as_array().unwrap() {
        let minutes = station["minutes"].as_u64().unwrap();
        expected[match minutes {
            0..=60 => 0,
            61..=120 => 1,
            121..=180 => 2,
            _ => 3,
        }] += 1;
    }
    assert!(expected[0] > 0 && expected[1] > 0, "{expected:?}");

    for (lang, labels, caption) in [
        (
            "en",
            [
                "up to 1 h",
                "1 to 2 h",
                "2 to 3 h",
                "over 3 h",
                "not reached",
            ],
            "Stations by travel time",
        ),
        (
            "zh",
            ["1小时以内", "1至2小时", "2至3小时", "3小时以上", "未到达"],
            "按旅行时间统计的车站数",
        ),
    ] {
        let page = client()
            .get(server.url(&format!(
                "/reach?from=320100&depart=08:00&window=60&lang={lang}"
            )))
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), 200);
        let html = page.text().await.unwrap();
        let map = svg_with_test_id(&html, "isochrone");

        // On the base map.
        let drawn = provinces_drawn(map);
        assert!(drawn.iter().any(|code| code == "JS"), "{drawn:?}");

        // The legend: every band with its own mark shape and its label, in the map.
        let legend = &map[map.find(r#"class="map-legend""#).expect("a legend")..];
        for (key, shape) in [
            ("1h", "<circle"),
            ("2h", "<rect"),
            ("3h", "<polygon"),
            ("over-3h", "<polygon"),
        ] {
            let mark = legend
                .find(&format!(r#"data-band="{key}""#))
                .unwrap_or_else(|| panic!("{lang}: no legend mark for {key}"));
            let element = &legend[legend[..mark].rfind('<').unwrap()..];
            assert!(element.starts_with(shape), "{lang}: {key} is a {shape}");
        }
        let diamond = legend.find(r#"data-band="over-3h""#).unwrap();
        let triangle = legend.find(r#"data-band="3h""#).unwrap();
        let points = |at: usize| {
            legend[legend[..at].rfind("points=\"").unwrap()..at]
                .split(' ')
                .count()
        };
        assert_ne!(
            points(diamond),
            points(triangle),
            "{lang}: the two polygons differ"
        );
        for label in labels {
            assert!(
                legend.contains(&format!(">{label}</text>")),
                "{lang}: the legend says {label}"
            );
        }

        // The stations carry their band's mark, not only its colour.
        for (index, key) in ["1h", "2h"].into_iter().enumerate() {
            let marks = map.matches(&format!(r#"data-band="{key}""#)).count();
            assert_eq!(
                marks,
                expected[index] + 1,
                "{lang}: {key} marks, legend included"
            );
        }

        // The text alternative: a description on the map, and the table it points to with
        // the counts per band.
        assert!(map.contains(r#"aria-describedby="isochrone-desc isochrone-bands""#));
        let description = &map[map.find("<desc").expect("a description")..];
        assert!(description.contains(caption), "{lang}");
        assert!(description.contains(&format!("{} {}", labels[0], expected[0])));
        let table = &html[html
            .find(r#"id="isochrone-bands""#)
            .expect("the table of the map's figures")..];
        let table = &table[..table.find("</table>").unwrap()];
        assert!(table.contains(&format!("<caption>{caption}")), "{lang}");
        for (index, key) in ["1h", "2h", "3h", "over-3h"].into_iter().enumerate() {
            let row = &table[table
                .find(&format!(r#"<tr data-band="{key}">"#))
                .unwrap_or_else(|| panic!("{lang}: no row for {key}"))..];
            let row = &row[..row.find("</tr>").unwrap()];
            assert!(row.contains(labels[index]), "{lang}: {row}");
            assert!(
                row.contains(&format!(r#"<td class="num">{}</td>"#, expected[index])),
                "{lang}: {row} should count {}",
                expected[index]
            );
        }
    }
}

#[tokio::test]
async fn the_cluster_reach_map_marks_its_cities_by_band_on_the_base_map() {
    let server = sqlite_server().await;
    // Within one hour the legend has one band, within four hours all four.
    for (within, legend_bands) in [(60, 1), (240, 4)] {
        let page = client()
            .get(server.url(&format!("/analytics/reach?lang=en&within={within}")))
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), 200);
        let html = page.text().await.unwrap();
        let map = svg_with_test_id(&html, "cluster-map");
        let drawn = provinces_drawn(map);
        for code in ["SH", "JS", "ZJ", "AH"] {
            assert!(drawn.iter().any(|drawn| drawn == code), "{drawn:?}");
        }
        // Every city reached carries its band's mark (the grey cities are beyond reach and
        // carry none), and the legend one mark per band the budget allows.
        let cities = map.matches("data-city=").count();
        let grey = map
            .matches(r##"fill="#aab7b8" fill-opacity="0.55""##)
            .count();
        assert!(
            cities > grey,
            "{within}: {cities} cities, {grey} beyond reach"
        );
        let marked: usize = ["1h", "2h", "3h", "over-3h"]
            .iter()
            .map(|key| map.matches(&format!(r#"data-band="{key}""#)).count())
            .sum();
        assert_eq!(marked, cities - grey + legend_bands, "{within}");
        assert_eq!(map.matches(r#"data-band="none""#).count(), 1, "{within}");
        assert!(map.contains(r#"aria-describedby="cluster-map-desc""#));
        assert!(map.contains(r#"<desc id="cluster-map-desc">Cities by travel time: up to 1 h "#));
        assert!(
            map.contains(&format!("not reached {grey}. Every city")),
            "{within}"
        );
    }
}
