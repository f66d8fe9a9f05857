//! The base map under the web shell's maps: the outlines of China's 34 province-level units,
//! drawn on the server as SVG paths in a map's frame, so that cities and stations sit on a
//! real map rather than on an empty background.
//!
//! The outlines come from Natural Earth (public domain, WGS-84 like every coordinate in
//! Corridor), simplified by `scripts/build-base-map` into `data/provinces.json`; its source,
//! licence and every transformation are in `data/PROVINCES-LICENCE.md`. The file is embedded
//! in the binary and parsed once.
//!
//! A [`Frame`] is the projection every map of the shell uses: equirectangular, longitude
//! scaled by the cosine of the frame's mean latitude, fitted to a width with a margin. The
//! outlines of one frame, style and language are drawn once and kept (the landing and search
//! pages ask for the same frame on every request).

use std::fmt::Write;
use std::sync::{Arc, Mutex, OnceLock};

use corridor_domain::{Language, ProvinceCode};
use serde::Deserialize;

use crate::map::{escape, province_colour};

const DATA: &str = include_str!("../data/provinces.json");

/// How far outside the frame outlines are kept (in SVG units): past the edge, so that no
/// clipped border shows.
const CLIP_PAD: f64 = 4.0;
/// Frames of outlines kept drawn; a handful is all the pages ask for.
const CACHED_FRAMES: usize = 16;

#[derive(Deserialize)]
struct DataFile {
    units: Vec<Unit>,
}

#[derive(Deserialize)]
struct Unit {
    code: String,
    en: String,
    zh: String,
    label: [f64; 2],
    rings: Vec<Vec<[f64; 2]>>,
}

/// One province-level unit of the base map.
pub struct Province {
    /// ISO 3166-2:CN without `CN-`: `SH`, `JS`, …, the same codes as [`ProvinceCode`].
    pub code: String,
    pub name_en: String,
    pub name_zh: String,
    /// Where a label goes, `[lon, lat]`.
    pub label: [f64; 2],
    /// Exterior rings counter-clockwise, holes clockwise, `[lon, lat]`, not closed.
    pub rings: Vec<Vec<[f64; 2]>>,
    pub bounds: Bounds,
    /// The Delta province this is, if it is one.
    pub region: Option<ProvinceCode>,
}

impl Province {
    pub fn name(&self, language: Language) -> &str {
        match language {
            Language::English => &self.name_en,
            Language::Chinese => &self.name_zh,
        }
    }
}

/// A longitude and latitude box.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Bounds {
    pub min_lon: f64,
    pub max_lon: f64,
    pub min_lat: f64,
    pub max_lat: f64,
}

impl Bounds {
    pub const EMPTY: Bounds = Bounds {
        min_lon: f64::MAX,
        max_lon: f64::MIN,
        min_lat: f64::MAX,
        max_lat: f64::MIN,
    };

    pub fn of_points(points: impl IntoIterator<Item = (f64, f64)>) -> Bounds {
        points
            .into_iter()
            .fold(Bounds::EMPTY, |bounds, point| bounds.with(point))
    }

    pub fn with(self, (lon, lat): (f64, f64)) -> Bounds {
        Bounds {
            min_lon: self.min_lon.min(lon),
            max_lon: self.max_lon.max(lon),
            min_lat: self.min_lat.min(lat),
            max_lat: self.max_lat.max(lat),
        }
    }

    pub fn union(self, other: Bounds) -> Bounds {
        Bounds {
            min_lon: self.min_lon.min(other.min_lon),
            max_lon: self.max_lon.max(other.max_lon),
            min_lat: self.min_lat.min(other.min_lat),
            max_lat: self.max_lat.max(other.max_lat),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.min_lon > self.max_lon || self.min_lat > self.max_lat
    }

    pub fn lon_span(&self) -> f64 {
        self.max_lon - self.min_lon
    }

    pub fn lat_span(&self) -> f64 {
        self.max_lat - self.min_lat
    }
}

/// Every unit of the base map, parsed on first use.
pub fn provinces() -> &'static [Province] {
    static PROVINCES: OnceLock<Vec<Province>> = OnceLock::new();
    PROVINCES.get_or_init(|| {
        let file: DataFile = serde_json::from_str(DATA)
            .expect("data/provinces.json is valid (scripts/build-base-map writes it)");
        file.units
            .into_iter()
            .map(|unit| Province {
                bounds: Bounds::of_points(
                    unit.rings.iter().flatten().map(|&[lon, lat]| (lon, lat)),
                ),
                region: ProvinceCode::parse(&unit.code)
                    .ok()
                    .filter(|province| province.is_in_region()),
                code: unit.code,
                name_en: unit.en,
                name_zh: unit.zh,
                label: unit.label,
                rings: unit.rings,
            })
            .collect()
    })
}

/// The box around every unit: the whole country.
pub fn country_bounds() -> Bounds {
    provinces()
        .iter()
        .fold(Bounds::EMPTY, |all, province| all.union(province.bounds))
}

/// The projection and size of one map.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Frame {
    min_lon: f64,
    max_lat: f64,
    cos: f64,
    scale: f64,
    pub width: f64,
    pub height: f64,
}

impl Frame {
    /// The frame in which `bounds` fills `width` less a margin on each side; the height
    /// follows. Equirectangular, longitude scaled by the cosine of the mean latitude so that
    /// distances look right at that latitude.
    pub fn fit(bounds: Bounds, width: f64, margin: f64) -> Frame {
        let cos = ((bounds.min_lat + bounds.max_lat) / 2.0).to_radians().cos();
        let span_x = (bounds.lon_span() * cos).max(0.01);
        let span_y = bounds.lat_span().max(0.01);
        let scale = (width - 2.0 * margin) / span_x;
        Frame {
            min_lon: bounds.min_lon - margin / (cos * scale),
            max_lat: bounds.max_lat + margin / scale,
            cos,
            scale,
            width,
            height: span_y * scale + 2.0 * margin,
        }
    }

    /// The whole country (and `also`, if it reaches beyond) at `width`.
    pub fn country(also: Bounds, width: f64, margin: f64) -> Frame {
        let bounds = if also.is_empty() {
            country_bounds()
        } else {
            country_bounds().union(also)
        };
        Frame::fit(bounds, width, margin)
    }

    /// Where `lon`, `lat` lands, in SVG units from the top left.
    pub fn project(&self, lon: f64, lat: f64) -> (f64, f64) {
        (
            (lon - self.min_lon) * self.cos * self.scale,
            (self.max_lat - lat) * self.scale,
        )
    }

    /// The longitudes and latitudes the frame shows, with the clipping pad.
    fn visible(&self) -> Bounds {
        let pad = CLIP_PAD / self.scale;
        Bounds {
            min_lon: self.min_lon - pad / self.cos,
            max_lon: self.min_lon + (self.width + CLIP_PAD) / (self.cos * self.scale),
            min_lat: self.max_lat - (self.height + CLIP_PAD) / self.scale,
            max_lat: self.max_lat + pad,
        }
    }

    fn key(&self) -> [u64; 6] {
        [
            self.min_lon.to_bits(),
            self.max_lat.to_bits(),
            self.cos.to_bits(),
            self.scale.to_bits(),
            self.width.to_bits(),
            self.height.to_bits(),
        ]
    }
}

/// How the outlines are drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    /// The region's map: the Delta's provinces lightly filled in their colours and named,
    /// the neighbours outlined.
    Region,
    /// The whole country: every unit outlined, the Delta's lightly filled, no names.
    Country,
}

/// The outlines of every unit that shows in `frame`, as one SVG group of `<path>`s (each
/// with `data-province` and a `<title>`), followed in the region style by the Delta
/// provinces' names. Drawn once per frame, style and language.
pub fn outlines_svg(frame: &Frame, style: Style, language: Language) -> Arc<str> {
    type Key = ([u64; 6], Style, Language);
    static CACHE: Mutex<Vec<(Key, Arc<str>)>> = Mutex::new(Vec::new());
    let key = (frame.key(), style, language);
    if let Ok(cache) = CACHE.lock() {
        if let Some((_, drawn)) = cache.iter().find(|(cached, _)| *cached == key) {
            return drawn.clone();
        }
    }
    let drawn: Arc<str> = draw_outlines(frame, style, language).into();
    if let Ok(mut cache) = CACHE.lock() {
        if cache.len() >= CACHED_FRAMES {
            cache.remove(0);
        }
        cache.push((key, drawn.clone()));
    }
    drawn
}

fn draw_outlines(frame: &Frame, style: Style, language: Language) -> String {
    let visible = frame.visible();
    let mut svg = String::from(r#"<g class="base-map">"#);
    for province in provinces() {
        let bounds = province.bounds;
        if bounds.max_lon < visible.min_lon
            || bounds.min_lon > visible.max_lon
            || bounds.max_lat < visible.min_lat
            || bounds.min_lat > visible.max_lat
        {
            continue;
        }
        let path = path_data(frame, &province.rings);
        if path.is_empty() {
            continue;
        }
        let (fill, opacity, stroke, width) = match (province.region, style) {
            (Some(region), Style::Region) => (province_colour(region), "0.13", "#5d6d7e", "1"),
            (Some(region), Style::Country) => (province_colour(region), "0.2", "#5d6d7e", "0.6"),
            (None, Style::Region) => ("#ffffff", "1", "#99a3a4", "0.8"),
            (None, Style::Country) => ("#ffffff", "1", "#99a3a4", "0.5"),
        };
        let _ = write!(
            svg,
            r#"<path d="{path}" fill="{fill}" fill-opacity="{opacity}" fill-rule="evenodd" stroke="{stroke}" stroke-width="{width}" stroke-linejoin="round" data-province="{code}"><title>{name}</title></path>"#,
            code = escape(&province.code),
            name = escape(province.name(language)),
        );
    }
    if style == Style::Region {
        for province in provinces() {
            let Some(region) = province.region else {
                continue;
            };
            // Shanghai is a city as much as a province: its city label says it already.
            if region == ProvinceCode::Shanghai {
                continue;
            }
            let [lon, lat] = region_label_point(region).unwrap_or(province.label);
            let (x, y) = frame.project(lon, lat);
            if !(0.0..=frame.width).contains(&x) || !(0.0..=frame.height).contains(&y) {
                continue;
            }
            let _ = write!(
                svg,
                r##"<text x="{x:.1}" y="{y:.1}" font-size="13" font-style="italic" letter-spacing="1" text-anchor="middle" fill="#566573" class="province-label">{}</text>"##,
                escape(province.name(language))
            );
        }
    }
    svg.push_str("</g>");
    svg
}

/// Where the Delta provinces' names go on the region map: away from the big cities' circles
/// and labels, which Natural Earth's label points (near each capital) would collide with.
fn region_label_point(province: ProvinceCode) -> Option<[f64; 2]> {
    match province {
        ProvinceCode::Jiangsu => Some([119.9, 33.9]),
        ProvinceCode::Zhejiang => Some([119.6, 28.6]),
        ProvinceCode::Anhui => Some([116.6, 30.6]),
        _ => None,
    }
}

/// The SVG path of `rings` in `frame`, clipped to the frame (with a pad) so that a
/// province much larger than the frame costs only what shows.
fn path_data(frame: &Frame, rings: &[Vec<[f64; 2]>]) -> String {
    let (low_x, low_y) = (-CLIP_PAD, -CLIP_PAD);
    let (high_x, high_y) = (frame.width + CLIP_PAD, frame.height + CLIP_PAD);
    let mut path = String::new();
    for ring in rings {
        let projected: Vec<(f64, f64)> = ring
            .iter()
            .map(|&[lon, lat]| frame.project(lon, lat))
            .collect();
        let clipped = clip(projected, low_x, low_y, high_x, high_y);
        // Points that land on the same tenth of a unit are drawn once.
        let mut last: Option<(i64, i64)> = None;
        let mut points = Vec::with_capacity(clipped.len());
        for (x, y) in clipped {
            let at = ((x * 10.0).round() as i64, (y * 10.0).round() as i64);
            if last != Some(at) {
                points.push(at);
                last = Some(at);
            }
        }
        if points.len() > 1 && points.first() == points.last() {
            points.pop();
        }
        if points.len() < 3 {
            continue;
        }
        for (index, (x, y)) in points.into_iter().enumerate() {
            path.push(if index == 0 { 'M' } else { ' ' });
            let _ = write!(path, "{},{}", tenths(x), tenths(y));
        }
        path.push('Z');
    }
    path
}

/// A coordinate in tenths written shortest: `123.4`, `-5`, `0.5`.
fn tenths(value: i64) -> String {
    let (whole, tenth) = (value / 10, (value % 10).abs());
    match (tenth, value < 0 && whole == 0) {
        (0, _) => whole.to_string(),
        (_, true) => format!("-0.{tenth}"),
        (_, false) => format!("{whole}.{tenth}"),
    }
}

/// Sutherland–Hodgman: the part of a ring inside the box. Exact for filling (the edges it
/// adds run along the box, which is outside the frame by the pad).
fn clip(
    ring: Vec<(f64, f64)>,
    low_x: f64,
    low_y: f64,
    high_x: f64,
    high_y: f64,
) -> Vec<(f64, f64)> {
    #[derive(Clone, Copy)]
    enum Edge {
        Left(f64),
        Right(f64),
        Top(f64),
        Bottom(f64),
    }
    let inside = |edge: Edge, (x, y): (f64, f64)| match edge {
        Edge::Left(limit) => x >= limit,
        Edge::Right(limit) => x <= limit,
        Edge::Top(limit) => y >= limit,
        Edge::Bottom(limit) => y <= limit,
    };
    let cross = |edge: Edge, (x0, y0): (f64, f64), (x1, y1): (f64, f64)| match edge {
        Edge::Left(limit) | Edge::Right(limit) => {
            let t = (limit - x0) / (x1 - x0);
            (limit, y0 + t * (y1 - y0))
        }
        Edge::Top(limit) | Edge::Bottom(limit) => {
            let t = (limit - y0) / (y1 - y0);
            (x0 + t * (x1 - x0), limit)
        }
    };
    let mut points = ring;
    for edge in [
        Edge::Left(low_x),
        Edge::Right(high_x),
        Edge::Top(low_y),
        Edge::Bottom(high_y),
    ] {
        if points.is_empty() {
            break;
        }
        let mut out = Vec::with_capacity(points.len() + 4);
        let mut previous = points[points.len() - 1];
        for &point in &points {
            match (inside(edge, previous), inside(edge, point)) {
                (true, true) => out.push(point),
                (true, false) => out.push(cross(edge, previous, point)),
                (false, true) => {
                    out.push(cross(edge, previous, point));
                    out.push(point);
                }
                (false, false) => {}
            }
            previous = point;
        }
        points = out;
    }
    points
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_data_has_the_34_units_with_the_deltas_four() {
        let all = provinces();
        assert_eq!(all.len(), 34);
        let mut codes: Vec<&str> = all.iter().map(|province| province.code.as_str()).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), 34, "codes are unique");
        let region: Vec<ProvinceCode> = all.iter().filter_map(|province| province.region).collect();
        assert_eq!(region.len(), 4);
        for province in all {
            assert!(!province.rings.is_empty(), "{}", province.code);
            assert!(province.rings.iter().all(|ring| ring.len() >= 3));
        }
        // Shanghai's outline holds the city of Shanghai, in WGS-84.
        let shanghai = all.iter().find(|province| province.code == "SH").unwrap();
        assert!(contains(&shanghai.rings, 121.47, 31.23));
        assert!(
            !contains(&shanghai.rings, 120.62, 31.30),
            "Suzhou is in Jiangsu"
        );
        let jiangsu = all.iter().find(|province| province.code == "JS").unwrap();
        assert!(contains(&jiangsu.rings, 120.62, 31.30));
        let country = country_bounds();
        assert!(country.min_lon < 75.0 && country.max_lon > 134.0);
        assert!(country.min_lat < 19.0 && country.max_lat > 53.0);
    }

    fn contains(rings: &[Vec<[f64; 2]>], lon: f64, lat: f64) -> bool {
        let mut inside = false;
        for ring in rings {
            for (index, &[x1, y1]) in ring.iter().enumerate() {
                let [x0, y0] = ring[(index + ring.len() - 1) % ring.len()];
                if (y1 > lat) != (y0 > lat) && lon < x0 + (lat - y0) * (x1 - x0) / (y1 - y0) {
                    inside = !inside;
                }
            }
        }
        inside
    }

    #[test]
    fn a_frame_projects_its_corners_to_the_margins() {
        let bounds = Bounds::of_points([(118.0, 30.0), (122.0, 33.0)]);
        let frame = Frame::fit(bounds, 560.0, 36.0);
        let (x, y) = frame.project(118.0, 33.0);
        assert!((x - 36.0).abs() < 1e-9 && (y - 36.0).abs() < 1e-9);
        let (x, y) = frame.project(122.0, 30.0);
        assert!((x - 524.0).abs() < 1e-9 && (y - (frame.height - 36.0)).abs() < 1e-9);
    }

    #[test]
    fn outlines_are_clipped_to_the_frame_and_named() {
        let delta = Frame::fit(
            Bounds::of_points([(116.0, 28.0), (122.0, 34.0)]),
            560.0,
            36.0,
        );
        let svg = outlines_svg(&delta, Style::Region, Language::Chinese);
        for code in ["SH", "JS", "ZJ", "AH", "SD"] {
            assert!(
                svg.contains(&format!(r#"data-province="{code}""#)),
                "{code}"
            );
        }
        assert!(
            !svg.contains(r#"data-province="XJ""#),
            "Xinjiang is far off the frame"
        );
        assert!(svg.contains("<title>江苏省</title>"));
        assert!(svg.contains(">浙江省</text>"));
        // Every coordinate is within the frame and its pad.
        let numbers = svg
            .split(" d=\"")
            .skip(1)
            .flat_map(|rest| rest.split('"').next().unwrap().split(['M', ' ', ',', 'Z']))
            .filter(|part| !part.is_empty())
            .map(|part| part.parse::<f64>().unwrap());
        for number in numbers {
            assert!((-CLIP_PAD..=delta.height.max(560.0) + CLIP_PAD).contains(&number));
        }
        let country = Frame::country(Bounds::EMPTY, 560.0, 12.0);
        let all = outlines_svg(&country, Style::Country, Language::English);
        assert_eq!(all.matches("<path ").count(), 34);
        assert!(all.contains("<title>Xinjiang</title>"));
        assert!(!all.contains("province-label"));
        // Kept, not drawn again.
        assert!(Arc::ptr_eq(
            &all,
            &outlines_svg(&country, Style::Country, Language::English)
        ));
    }

    #[test]
    fn clipping_a_square_to_a_box_keeps_the_overlap() {
        let square = vec![(-10.0, -10.0), (10.0, -10.0), (10.0, 10.0), (-10.0, 10.0)];
        let clipped = clip(square, 0.0, 0.0, 5.0, 20.0);
        let area: f64 = clipped
            .iter()
            .zip(clipped.iter().cycle().skip(1))
            .map(|((x0, y0), (x1, y1))| x0 * y1 - x1 * y0)
            .sum::<f64>()
            / 2.0;
        assert!((area.abs() - 50.0).abs() < 1e-9, "{area}");
        assert_eq!(tenths(-5), "-0.5");
        assert_eq!(tenths(1234), "123.4");
        assert_eq!(tenths(-20), "-2");
    }
}
