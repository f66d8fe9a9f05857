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

/// One city drawn on a map: a circle whose area follows `weight`, with a tooltip, an optional
/// link and an optional ring (the origin of a question, say).
pub struct MapCircle {
    pub code: u32,
    pub lon: f64,
    pub lat: f64,
    pub weight: f64,
    pub colour: &'static str,
    pub name: String,
    pub tooltip: String,
    pub href: Option<String>,
    pub ringed: bool,
}

/// Renders the map of the cities inside the region (cities outside it would stretch the
/// frame to the whole country). Equirectangular, with longitude scaled by the cosine of
/// the mean latitude so that distances look right at this latitude.
pub fn region_map_svg(cities: &[CityWithCounts], language: Language, title: &str) -> String {
    let circles: Vec<MapCircle> = cities
        .iter()
        .filter(|city| city.city.province.is_in_region())
        .map(|city| {
            let name = match language {
                Language::English => &city.city.name_en,
                Language::Chinese => &city.city.name_zh,
            };
            MapCircle {
                code: city.city.code.get(),
                lon: city.city.location.lon,
                lat: city.city.location.lat,
                weight: city.instruments as f64,
                colour: province_colour(city.city.province),
                name: name.clone(),
                tooltip: format!("{name}: {}", city.instruments),
                href: Some(format!("/instruments?city={}", city.city.code.get())),
                ringed: false,
            }
        })
        .collect();
    let legend: Vec<(&'static str, &'static str)> = [
        ProvinceCode::Shanghai,
        ProvinceCode::Jiangsu,
        ProvinceCode::Zhejiang,
        ProvinceCode::Anhui,
    ]
    .into_iter()
    .map(|province| {
        let name = match language {
            Language::English => province.name_en(),
            Language::Chinese => province.name_zh(),
        };
        (province_colour(province), name)
    })
    .collect();
    circles_map_svg(&circles, &legend, title, "region-map")
}

/// Draws `circles` on the region's frame with a colour legend.
pub fn circles_map_svg(
    circles: &[MapCircle],
    legend: &[(&'static str, &str)],
    title: &str,
    test_id: &str,
) -> String {
    if circles.is_empty() {
        return String::new();
    }
    let (mut min_lon, mut max_lon, mut min_lat, mut max_lat) =
        (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
    for city in circles {
        min_lon = min_lon.min(city.lon);
        max_lon = max_lon.max(city.lon);
        min_lat = min_lat.min(city.lat);
        max_lat = max_lat.max(city.lat);
    }
    let mean_lat = ((min_lat + max_lat) / 2.0).to_radians();
    let span_x = ((max_lon - min_lon) * mean_lat.cos()).max(0.01);
    let span_y = (max_lat - min_lat).max(0.01);
    let scale = (WIDTH - 2.0 * MARGIN) / span_x;
    let height = span_y * scale + 2.0 * MARGIN;
    let most = circles
        .iter()
        .map(|city| city.weight)
        .fold(0.0, f64::max)
        .max(1.0);
    let project = |lon: f64, lat: f64| {
        (
            MARGIN + (lon - min_lon) * mean_lat.cos() * scale,
            MARGIN + (max_lat - lat) * scale,
        )
    };

    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH:.0} {height:.0}" role="img" aria-labelledby="{test_id}-title" class="region-map" data-testid="{test_id}"><title id="{test_id}-title">{}</title>"#,
        escape(title)
    );
    let _ = write!(
        svg,
        r##"<rect width="100%" height="100%" fill="#f4f7fa" rx="8"/>"##
    );
    // Largest first, so that small cities stay clickable on top of big neighbours.
    let mut ordered: Vec<&MapCircle> = circles.iter().collect();
    ordered.sort_by(|a, b| b.weight.total_cmp(&a.weight).then(a.code.cmp(&b.code)));
    for city in &ordered {
        let (x, y) = project(city.lon, city.lat);
        let radius = (city.weight / most).sqrt() * MAX_RADIUS + 2.0;
        let circle = format!(
            r#"<circle cx="{x:.1}" cy="{y:.1}" r="{radius:.1}" fill="{colour}" fill-opacity="0.55" stroke="{stroke}" stroke-width="{width}" data-city="{code}"><title>{tooltip}</title></circle>"#,
            colour = city.colour,
            stroke = if city.ringed { "#1b2631" } else { city.colour },
            width = if city.ringed { 3 } else { 1 },
            code = city.code,
            tooltip = escape(&city.tooltip),
        );
        match &city.href {
            Some(href) => {
                let _ = write!(svg, r#"<a href="{}">{circle}</a>"#, escape(href));
            }
            None => svg.push_str(&circle),
        }
    }
    // Label the largest cities (and any ringed one); labelling all 41 would be unreadable.
    let mut labelled: Vec<&MapCircle> = ordered.iter().take(12).copied().collect();
    labelled.extend(ordered.iter().skip(12).filter(|city| city.ringed).copied());
    for city in labelled {
        let (x, y) = project(city.lon, city.lat);
        let _ = write!(
            svg,
            r##"<text x="{:.1}" y="{:.1}" font-size="11" text-anchor="middle" fill="#1b2631">{}</text>"##,
            x,
            y + 4.0,
            escape(&city.name)
        );
    }
    let mut legend_y = height - MARGIN / 2.0 - legend.len() as f64 * 16.0;
    for (colour, name) in legend {
        let _ = write!(
            svg,
            r##"<circle cx="{cx}" cy="{legend_y:.1}" r="5" fill="{colour}"/><text x="{tx}" y="{ty:.1}" font-size="11" fill="#1b2631">{name}</text>"##,
            cx = WIDTH - 150.0,
            tx = WIDTH - 140.0,
            ty = legend_y + 4.0,
            name = escape(name),
        );
        legend_y += 16.0;
    }
    svg.push_str("</svg>");
    svg
}
