//! Small SVG maps of the region's cities, drawn on the server so that they show without
//! JavaScript: the province outlines of the base map (`base_map.rs`) underneath, one circle
//! per city on top, its area proportional to what it counts. Where a map shows travel times
//! its cities fall into [`Band`]s, told apart by colour, by a mark of their own and by label,
//! never by colour alone.

use std::fmt::Write;

use corridor_domain::{Language, ProvinceCode};
use corridor_store::CityWithCounts;

use crate::base_map::{outlines_svg, Bounds, Frame, Style};
use crate::i18n::Text;

pub const WIDTH: f64 = 560.0;
const MARGIN: f64 = 36.0;
const MAX_RADIUS: f64 = 28.0;
/// The sea around the provinces.
pub const SEA: &str = "#e4eef6";
/// Cities or stations the question did not reach.
pub const UNREACHED_COLOUR: &str = "#aab7b8";

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

/// A travel-time band of the maps that show travel times: a colour, a mark (circle, square,
/// triangle, diamond) and a label each.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Band {
    Hour,
    TwoHours,
    ThreeHours,
    Longer,
}

impl Band {
    pub const ALL: [Band; 4] = [Band::Hour, Band::TwoHours, Band::ThreeHours, Band::Longer];

    pub fn of(minutes: u16) -> Band {
        match minutes {
            0..=60 => Band::Hour,
            61..=120 => Band::TwoHours,
            121..=180 => Band::ThreeHours,
            _ => Band::Longer,
        }
    }

    pub fn colour(self) -> &'static str {
        match self {
            Band::Hour => "#1e8449",
            Band::TwoHours => "#2e86c1",
            Band::ThreeHours => "#b9770e",
            Band::Longer => "#922b21",
        }
    }

    /// The band's place in [`Band::ALL`].
    pub fn index(self) -> usize {
        match self {
            Band::Hour => 0,
            Band::TwoHours => 1,
            Band::ThreeHours => 2,
            Band::Longer => 3,
        }
    }

    /// What `data-band` says: `1h`, `2h`, `3h`, `over-3h`.
    pub fn key(self) -> &'static str {
        match self {
            Band::Hour => "1h",
            Band::TwoHours => "2h",
            Band::ThreeHours => "3h",
            Band::Longer => "over-3h",
        }
    }

    pub fn label(self, t: &Text) -> &'static str {
        match self {
            Band::Hour => t.band_hour,
            Band::TwoHours => t.band_two_hours,
            Band::ThreeHours => t.band_three_hours,
            Band::Longer => t.band_longer,
        }
    }

    /// The band's mark centred on `x`, `y`, about `size` across: a circle, a square, a
    /// triangle or a diamond, in the band's colour with a white edge.
    pub fn mark(self, x: f64, y: f64, size: f64) -> String {
        let half = size / 2.0;
        let style = format!(
            r#"fill="{}" stroke="white" stroke-width="1" data-band="{}""#,
            self.colour(),
            self.key()
        );
        match self {
            Band::Hour => format!(r#"<circle cx="{x:.1}" cy="{y:.1}" r="{half:.1}" {style}/>"#),
            Band::TwoHours => {
                let side = size * 0.9;
                format!(
                    r#"<rect x="{:.1}" y="{:.1}" width="{side:.1}" height="{side:.1}" {style}/>"#,
                    x - side / 2.0,
                    y - side / 2.0
                )
            }
            Band::ThreeHours => {
                let r = half * 1.2;
                format!(
                    r#"<polygon points="{:.1},{:.1} {:.1},{:.1} {:.1},{:.1}" {style}/>"#,
                    x,
                    y - r,
                    x + r * 0.866,
                    y + r * 0.5,
                    x - r * 0.866,
                    y + r * 0.5
                )
            }
            Band::Longer => {
                let r = half * 1.15;
                format!(
                    r#"<polygon points="{:.1},{:.1} {:.1},{:.1} {:.1},{:.1} {:.1},{:.1}" {style}/>"#,
                    x,
                    y - r,
                    x + r,
                    y,
                    x,
                    y + r,
                    x - r,
                    y
                )
            }
        }
    }
}

/// The mark of a city or station the question did not reach: a hollow grey circle.
pub fn unreached_mark(x: f64, y: f64, size: f64) -> String {
    format!(
        r##"<circle cx="{x:.1}" cy="{y:.1}" r="{:.1}" fill="white" stroke="#717d7e" stroke-width="1.2" data-band="none"/>"##,
        size / 2.0 - 0.6
    )
}

/// A small standalone SVG of a band's mark (or of the unreached mark), for legends in HTML.
pub fn mark_icon(band: Option<Band>) -> String {
    let mark = match band {
        Some(band) => band.mark(8.0, 8.0, 11.0),
        None => unreached_mark(8.0, 8.0, 11.0),
    };
    format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 16 16" aria-hidden="true" focusable="false" class="band-mark">{mark}</svg>"#
    )
}

/// One line of a map's legend: a swatch of `colour` (or a band's mark) and a label.
pub struct LegendEntry<'a> {
    pub colour: &'static str,
    pub label: &'a str,
    /// Draw this band's mark instead of a plain swatch.
    pub band: Option<Band>,
}

/// The legend of a travel-time map: each of `bands` with its mark and label, then "not
/// reached".
pub fn band_legend<'a>(bands: &[Band], t: &'a Text) -> Vec<LegendEntry<'a>> {
    bands
        .iter()
        .map(|band| LegendEntry {
            colour: band.colour(),
            label: band.label(t),
            band: Some(*band),
        })
        .chain(std::iter::once(LegendEntry {
            colour: UNREACHED_COLOUR,
            label: t.band_unreached,
            band: None,
        }))
        .collect()
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
    /// The travel-time band the city falls in, if the map shows travel times: its mark is
    /// drawn on the circle.
    pub band: Option<Band>,
}

/// What a map says about itself, for people who cannot see it.
pub struct MapText<'a> {
    pub title: &'a str,
    /// A longer description (`<desc>`): the map's figures in words.
    pub description: Option<&'a str>,
    /// `data-testid` and the prefix of the map's element ids.
    pub test_id: &'a str,
    /// The id of an element on the page that describes the map (a table of its figures).
    pub described_by: Option<&'a str>,
}

/// Renders the map of the cities inside the region (cities outside it would stretch the
/// frame to the whole country) on the base map.
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
                band: None,
            }
        })
        .collect();
    let legend: Vec<LegendEntry> = [
        ProvinceCode::Shanghai,
        ProvinceCode::Jiangsu,
        ProvinceCode::Zhejiang,
        ProvinceCode::Anhui,
    ]
    .into_iter()
    .map(|province| LegendEntry {
        colour: province_colour(province),
        label: match language {
            Language::English => province.name_en(),
            Language::Chinese => province.name_zh(),
        },
        band: None,
    })
    .collect();
    let text = MapText {
        title,
        description: None,
        test_id: "region-map",
        described_by: None,
    };
    circles_map_svg(&circles, &legend, &text, language)
}

/// Where a legend's entries go in the strip under a map, and how tall the strip is (the
/// entries flow in rows; the base map's credit takes the last line).
struct LegendLayout {
    positions: Vec<(f64, f64)>,
    height: f64,
}

const LEGEND_ROW: f64 = 18.0;

impl LegendLayout {
    fn of(legend: &[LegendEntry], width: f64) -> LegendLayout {
        let (mut x, mut row) = (12.0, 0.0);
        let mut positions = Vec::with_capacity(legend.len());
        for entry in legend {
            // A wide (CJK) character takes about 11 units at this size, a narrow one 6.5.
            let text: f64 = entry
                .label
                .chars()
                .map(|c| if c >= '\u{2e80}' { 11.0 } else { 6.5 })
                .sum();
            let entry_width = 16.0 + text + 18.0;
            if x > 12.0 && x + entry_width > width - 8.0 {
                x = 12.0;
                row += 1.0;
            }
            positions.push((x, 14.0 + row * LEGEND_ROW));
            x += entry_width;
        }
        let rows = if legend.is_empty() { 0.0 } else { row + 1.0 };
        LegendLayout {
            positions,
            height: 6.0 + rows * LEGEND_ROW + 14.0,
        }
    }
}

/// A map being drawn: its frame, and under it a strip for the legend and the credit.
pub struct MapCanvas<'a> {
    pub svg: String,
    pub frame: Frame,
    legend: &'a [LegendEntry<'a>],
    layout: LegendLayout,
}

impl<'a> MapCanvas<'a> {
    /// Opens a map's SVG: the root element with its title and description, the sea and the
    /// base map's outlines in `frame`, clipped to the map's rounded corners. What is drawn
    /// next goes on top of the outlines; [`MapCanvas::finish`] adds the legend.
    pub fn open(
        frame: Frame,
        style: Style,
        text: &MapText,
        legend: &'a [LegendEntry<'a>],
        language: Language,
    ) -> MapCanvas<'a> {
        let layout = LegendLayout::of(legend, frame.width);
        let id = text.test_id;
        let width = frame.width;
        let map_height = frame.height;
        let height = map_height + layout.height;
        let described = match (text.description, text.described_by) {
            (Some(_), Some(other)) => {
                format!(r#" aria-describedby="{id}-desc {}""#, escape(other))
            }
            (Some(_), None) => format!(r#" aria-describedby="{id}-desc""#),
            (None, Some(other)) => format!(r#" aria-describedby="{}""#, escape(other)),
            (None, None) => String::new(),
        };
        let mut svg = String::new();
        let _ = write!(
            svg,
            r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:.0} {height:.0}" role="group" aria-labelledby="{id}-title"{described} class="region-map" data-testid="{id}"><title id="{id}-title">{}</title>"#,
            escape(text.title)
        );
        if let Some(description) = text.description {
            let _ = write!(
                svg,
                r#"<desc id="{id}-desc">{}</desc>"#,
                escape(description)
            );
        }
        let _ = write!(
            svg,
            r#"<defs><clipPath id="{id}-clip"><rect width="{width:.0}" height="{map_height:.0}" rx="8"/></clipPath></defs><rect width="{width:.0}" height="{map_height:.0}" fill="{SEA}" rx="8"/><g clip-path="url(#{id}-clip)">"#
        );
        svg.push_str(&outlines_svg(&frame, style, language));
        svg.push_str("</g>");
        MapCanvas {
            svg,
            frame,
            legend,
            layout,
        }
    }

    /// Closes the map: the legend in the strip under it, entries in rows, each a swatch or a
    /// band's mark and its label, and the base map's credit.
    pub fn finish(mut self, t: &Text) -> String {
        let top = self.frame.height;
        let svg = &mut self.svg;
        svg.push_str(r#"<g class="map-legend">"#);
        for (entry, (x, y)) in self.legend.iter().zip(&self.layout.positions) {
            let (x, y) = (x + 6.0, top + y);
            let mark = match entry.band {
                Some(band) => band.mark(x, y, 11.0),
                None if entry.colour == UNREACHED_COLOUR => unreached_mark(x, y, 11.0),
                None => format!(
                    r#"<circle cx="{x:.1}" cy="{y:.1}" r="5.5" fill="{}"/>"#,
                    entry.colour
                ),
            };
            let _ = write!(
                svg,
                r##"{mark}<text x="{:.1}" y="{:.1}" font-size="11" fill="#1b2631">{}</text>"##,
                x + 11.0,
                y + 4.0,
                escape(entry.label)
            );
        }
        let _ = write!(
            svg,
            r##"</g><text x="{:.1}" y="{:.1}" font-size="9" text-anchor="end" fill="#566573">{}</text></svg>"##,
            self.frame.width - 8.0,
            top + self.layout.height - 5.0,
            escape(t.base_map_credit)
        );
        self.svg
    }
}

/// Draws `circles` on the base map of their region's frame, with a legend.
pub fn circles_map_svg(
    circles: &[MapCircle],
    legend: &[LegendEntry],
    text: &MapText,
    language: Language,
) -> String {
    if circles.is_empty() {
        return String::new();
    }
    let frame = Frame::fit(
        Bounds::of_points(circles.iter().map(|city| (city.lon, city.lat))),
        WIDTH,
        MARGIN,
    );
    let most = circles
        .iter()
        .map(|city| city.weight)
        .fold(0.0, f64::max)
        .max(1.0);

    let mut canvas = MapCanvas::open(frame, Style::Region, text, legend, language);
    let svg = &mut canvas.svg;
    // Largest first, so that small cities stay clickable on top of big neighbours.
    let mut ordered: Vec<&MapCircle> = circles.iter().collect();
    ordered.sort_by(|a, b| b.weight.total_cmp(&a.weight).then(a.code.cmp(&b.code)));
    for city in &ordered {
        let (x, y) = frame.project(city.lon, city.lat);
        let radius = (city.weight / most).sqrt() * MAX_RADIUS + 2.0;
        let mut circle = format!(
            r#"<circle cx="{x:.1}" cy="{y:.1}" r="{radius:.1}" fill="{colour}" fill-opacity="0.55" stroke="{stroke}" stroke-width="{width}" data-city="{code}"><title>{tooltip}</title></circle>"#,
            colour = city.colour,
            stroke = if city.ringed { "#1b2631" } else { city.colour },
            width = if city.ringed { 3 } else { 1 },
            code = city.code,
            tooltip = escape(&city.tooltip),
        );
        if let Some(band) = city.band {
            circle.push_str(&band.mark(x, y, 8.0));
        }
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
        let (x, y) = frame.project(city.lon, city.lat);
        // Below a banded city's mark rather than on it.
        let dy = if city.band.is_some() { 16.0 } else { 4.0 };
        let _ = write!(
            svg,
            r##"<text x="{:.1}" y="{:.1}" font-size="11" text-anchor="middle" fill="#1b2631" stroke="white" stroke-width="2.5" paint-order="stroke">{}</text>"##,
            x,
            y + dy,
            escape(&city.name)
        );
    }
    canvas.finish(crate::i18n::text(language))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bands_split_at_the_hours_and_differ_by_more_than_colour() {
        assert_eq!(Band::of(0), Band::Hour);
        assert_eq!(Band::of(60), Band::Hour);
        assert_eq!(Band::of(61), Band::TwoHours);
        assert_eq!(Band::of(180), Band::ThreeHours);
        assert_eq!(Band::of(181), Band::Longer);
        // Each band's mark is an element of its own shape: a circle, a square, a triangle
        // (three points) and a diamond (four).
        let shapes: Vec<String> = Band::ALL
            .iter()
            .map(|band| {
                let mark = band.mark(10.0, 10.0, 8.0);
                let element = mark[1..].split(' ').next().unwrap().to_owned();
                match element.as_str() {
                    "polygon" => format!("polygon of {}", mark.matches(',').count()),
                    _ => element,
                }
            })
            .collect();
        assert_eq!(shapes, ["circle", "rect", "polygon of 3", "polygon of 4"]);
    }
}
