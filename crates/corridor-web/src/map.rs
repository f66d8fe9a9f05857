//! A small SVG map of the region's cities, drawn on the server so that it shows without
//! JavaScript: one circle per city, its area proportional to the number of instruments there.

use std::fmt::Write;

use corridor_domain::{Language, ProvinceCode};
use corridor_store::CityWithCounts;

const WIDTH: f64 = 560.0;
const MARGIN: f64 = 36.0;
const MAX_RADIUS: f64 = 28.0;

pub fn province_colour(province: ProvinceCode) -> &'static str {
    match province {
        ProvinceCode::Shanghai => "#c0392b",
        ProvinceCode::Jiangsu => "#2471a3",
        ProvinceCode::Zhejiang => "#1e8449",
        ProvinceCode::Anhui => "#b9770e",
        ProvinceCode::Outside => "#7f8c8d",
    }
}

pub(crate) fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Renders the map of the cities inside the region (cities outside it would stretch the
/// frame to the whole country). Equirectangular, with longitude scaled by the cosine of
/// the mean latitude so that distances look right at this latitude.
pub fn region_map_svg(cities: &[CityWithCounts], language: Language, title: &str) -> String {
    let in_region: Vec<&CityWithCounts> = cities
        .iter()
        .filter(|city| city.city.province.is_in_region())
        .collect();
    if in_region.is_empty() {
        return String::new();
    }
    let (mut min_lon, mut max_lon, mut min_lat, mut max_lat) =
        (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
    for city in &in_region {
        min_lon = min_lon.min(city.city.location.lon);
        max_lon = max_lon.max(city.city.location.lon);
        min_lat = min_lat.min(city.city.location.lat);
        max_lat = max_lat.max(city.city.location.lat);
    }
    let mean_lat = ((min_lat + max_lat) / 2.0).to_radians();
    let span_x = ((max_lon - min_lon) * mean_lat.cos()).max(0.01);
    let span_y = (max_lat - min_lat).max(0.01);
    let scale = (WIDTH - 2.0 * MARGIN) / span_x;
    let height = span_y * scale + 2.0 * MARGIN;
    let most = in_region
        .iter()
        .map(|city| city.instruments)
        .max()
        .unwrap_or(1)
        .max(1) as f64;
    let project = |lon: f64, lat: f64| {
        (
            MARGIN + (lon - min_lon) * mean_lat.cos() * scale,
            MARGIN + (max_lat - lat) * scale,
        )
    };

    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH:.0} {height:.0}" role="img" aria-labelledby="map-title" class="region-map"><title id="map-title">{}</title>"#,
        escape(title)
    );
    let _ = write!(
        svg,
        r##"<rect width="100%" height="100%" fill="#f4f7fa" rx="8"/>"##
    );
    // Largest first, so that small cities stay clickable on top of big neighbours.
    let mut ordered = in_region.clone();
    ordered.sort_by(|a, b| {
        b.instruments
            .cmp(&a.instruments)
            .then(a.city.code.cmp(&b.city.code))
    });
    for city in &ordered {
        let (x, y) = project(city.city.location.lon, city.city.location.lat);
        let radius = (city.instruments as f64 / most).sqrt() * MAX_RADIUS + 2.0;
        let name = match language {
            Language::English => &city.city.name_en,
            Language::Chinese => &city.city.name_zh,
        };
        let _ = write!(
            svg,
            r#"<a href="/instruments?city={code}"><circle cx="{x:.1}" cy="{y:.1}" r="{radius:.1}" fill="{colour}" fill-opacity="0.55" stroke="{colour}" stroke-width="1"><title>{name}: {count}</title></circle></a>"#,
            code = city.city.code.get(),
            colour = province_colour(city.city.province),
            name = escape(name),
            count = city.instruments,
        );
    }
    // Label the cities with the most instruments; labelling all 41 would be unreadable.
    for city in ordered.iter().take(12) {
        let (x, y) = project(city.city.location.lon, city.city.location.lat);
        let name = match language {
            Language::English => &city.city.name_en,
            Language::Chinese => &city.city.name_zh,
        };
        let _ = write!(
            svg,
            r##"<text x="{:.1}" y="{:.1}" font-size="11" text-anchor="middle" fill="#1b2631">{}</text>"##,
            x,
            y + 4.0,
            escape(name)
        );
    }
    let mut legend_y = height - MARGIN / 2.0 - 4.0 * 16.0;
    for province in [
        ProvinceCode::Shanghai,
        ProvinceCode::Jiangsu,
        ProvinceCode::Zhejiang,
        ProvinceCode::Anhui,
    ] {
        let name = match language {
            Language::English => province.name_en(),
            Language::Chinese => province.name_zh(),
        };
        let _ = write!(
            svg,
            r##"<circle cx="{cx}" cy="{legend_y:.1}" r="5" fill="{colour}"/><text x="{tx}" y="{ty:.1}" font-size="11" fill="#1b2631">{name}</text>"##,
            cx = WIDTH - 110.0,
            colour = province_colour(province),
            tx = WIDTH - 100.0,
            ty = legend_y + 4.0,
        );
        legend_y += 16.0;
    }
    svg.push_str("</svg>");
    svg
}
