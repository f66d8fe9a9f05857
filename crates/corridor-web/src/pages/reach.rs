//! The reach page (an isochrone map of the rail network from a chosen city and time) and the
//! journey shown on an instrument's page.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::Arc;

use askama::Template;
use axum::extract::{Request, State};
use axum::response::Html;
use corridor_app::reach::{PlaceReachQuery, Reach, ReachQuery};
use corridor_rail::{format_minute, JourneyLeg, Station, Wgs84};

use super::{render, PageContext, PageError};
use crate::api::reach::parse_departure;
use crate::auth::Requester;
use crate::base_map::{Bounds, Frame, Style};
use crate::extract::Query;
use crate::map::{escape, mark_icon, unreached_mark, Band, MapCanvas, MapText, WIDTH};
use crate::problem::ApiError;
use crate::AppState;

/// How far the map looks, in minutes of travel.
const MAP_HORIZON_MINUTES: u16 = 360;

#[derive(serde::Deserialize)]
pub struct ReachPageParams {
    from: Option<u32>,
    /// A station (or city) as typed, which wins over `from`: the timetable's own lookup
    /// (code, name in either language, pinyin, unique prefix), as in the API.
    station: Option<String>,
    depart: Option<String>,
    window: Option<u16>,
    #[serde(default)]
    #[allow(dead_code)]
    lang: Option<String>,
}

pub struct CityOption {
    pub code: u32,
    pub name: String,
    pub selected: bool,
}

/// One travel-time band of the map with how many stations fall in it: the map's legend and
/// its figures in words.
pub struct BandRow {
    pub key: &'static str,
    pub mark: String,
    pub label: &'static str,
    pub stations: usize,
}

pub struct ReachedCityRow {
    pub name: String,
    pub minutes: u16,
    pub duration: String,
    pub search_link: String,
}

#[derive(Template)]
#[template(path = "reach.html")]
pub struct ReachTemplate {
    pub ctx: PageContext,
    pub cities: Vec<CityOption>,
    pub depart: String,
    pub window: u16,
    pub map_svg: String,
    pub bands: Vec<BandRow>,
    pub rows: Vec<ReachedCityRow>,
    pub origin_name: String,
    /// The station typed in the form, shown back in it.
    pub station: String,
    /// Every station's name, offered as the form's suggestions.
    pub station_names: Vec<String>,
}

/// A travel time in the page's language (`2 h 03 min`, `2小时3分`).
pub fn duration(minutes: u16, chinese: bool) -> String {
    let language = if chinese {
        corridor_domain::Language::Chinese
    } else {
        corridor_domain::Language::English
    };
    super::readable::duration(i64::from(minutes), language)
}

/// Station marks of the map: larger on the region's frame than on the whole country's.
const REGION_MARK: f64 = 10.0;
const COUNTRY_MARK: f64 = 7.0;
/// A timetable whose stations span more than this (degrees of longitude or latitude) is
/// drawn on the whole country's map.
const REGION_SPAN_LON: f64 = 15.0;
const REGION_SPAN_LAT: f64 = 12.0;

/// The isochrone map: every station of the timetable on the base map, marked by its band
/// of travel time (colour, mark and label) or as not reached; with its legend, and the
/// counts per band for the table beside it.
fn isochrone_svg(
    stations: &[Station],
    reach: &corridor_app::indexes::rail::Reach,
    ctx: &PageContext,
    title: &str,
) -> (String, Vec<BandRow>) {
    let minutes: HashMap<u32, u16> = reach
        .stations
        .iter()
        .map(|(id, minutes)| (id.0, *minutes))
        .collect();
    let placed: Vec<(&Station, Wgs84, Option<u16>)> = stations
        .iter()
        .enumerate()
        .filter_map(|(position, station)| {
            let point = station.coordinates?;
            Some((station, point, minutes.get(&(position as u32)).copied()))
        })
        .collect();
    let mut counts = [0usize; 4];
    let mut unreached = 0usize;
    for (_, _, minutes) in &placed {
        match minutes {
            Some(minutes) => counts[Band::of(*minutes).index()] += 1,
            None => unreached += 1,
        }
    }
    let t = ctx.t;
    let mut rows: Vec<BandRow> = Band::ALL
        .iter()
        .zip(counts)
        .map(|(band, stations)| BandRow {
            key: band.key(),
            mark: mark_icon(Some(*band)),
            label: band.label(t),
            stations,
        })
        .collect();
    rows.push(BandRow {
        key: "none",
        mark: mark_icon(None),
        label: t.band_unreached,
        stations: unreached,
    });
    if placed.is_empty() {
        return (String::new(), rows);
    }

    let bounds = Bounds::of_points(
        placed
            .iter()
            .map(|(_, point, _)| (point.longitude, point.latitude)),
    );
    let whole_country = bounds.lon_span() > REGION_SPAN_LON || bounds.lat_span() > REGION_SPAN_LAT;
    let (frame, style, size) = if whole_country {
        (
            Frame::country(bounds, WIDTH, 12.0),
            Style::Country,
            COUNTRY_MARK,
        )
    } else {
        (Frame::fit(bounds, WIDTH, 24.0), Style::Region, REGION_MARK)
    };
    let separator = if ctx.is_chinese() { "；" } else { "; " };
    let description = format!(
        "{}{}{}",
        t.isochrone_bands_caption,
        if ctx.is_chinese() { "：" } else { ": " },
        rows.iter()
            .map(|row| format!("{} {}", row.label, row.stations))
            .collect::<Vec<_>>()
            .join(separator)
    );
    let text = MapText {
        title,
        description: Some(&description),
        test_id: "isochrone",
        described_by: Some("isochrone-bands"),
    };
    let legend = crate::map::band_legend(&Band::ALL, t);
    let mut canvas = MapCanvas::open(frame, style, &text, &legend, ctx.language);
    let svg = &mut canvas.svg;
    // The stations not reached first, then the farthest, so that the nearest stay on top.
    let mut ordered = placed;
    ordered.sort_by_key(|(_, _, minutes)| std::cmp::Reverse(minutes.map_or(u32::MAX, u32::from)));
    for (station, point, minutes) in ordered {
        let (x, y) = frame.project(point.longitude, point.latitude);
        let name = match (ctx.is_chinese(), &station.english_name) {
            (false, Some(english)) => english.as_str(),
            _ => station.name.as_str(),
        };
        let (mark, label) = match minutes {
            Some(minutes) => {
                let mut mark = Band::of(minutes).mark(x, y, size);
                if minutes == 0 {
                    // The origin's stations are ringed.
                    let _ = write!(
                        mark,
                        r##"<circle cx="{x:.1}" cy="{y:.1}" r="{:.1}" fill="none" stroke="#1b2631" stroke-width="2"/>"##,
                        size * 0.85
                    );
                }
                (mark, duration(minutes, ctx.is_chinese()))
            }
            None => (
                unreached_mark(x, y, size * 0.8),
                t.band_unreached.to_owned(),
            ),
        };
        let _ = write!(
            svg,
            r#"<g class="station"><title>{}: {}</title>{mark}</g>"#,
            escape(name),
            escape(&label)
        );
    }
    (canvas.finish(t), rows)
}

pub async fn reach_page(
    State(state): State<Arc<AppState>>,
    requester: Requester,
    Query(params): Query<ReachPageParams>,
    request: Request,
) -> Result<Html<String>, PageError> {
    let ctx = PageContext::new(&requester, request.extensions(), "/reach");
    // A signed-in person's map starts from their home institution's city.
    let from = match params.from {
        Some(city) => city,
        None => state.app.catalogue().journey_origin(&requester).await,
    };
    let reach = state.app.reach();
    let typed_station = params
        .station
        .as_deref()
        .map(str::trim)
        .filter(|typed| !typed.is_empty());
    let found = async {
        let departure = parse_departure("depart", params.depart.as_deref())?;
        let found = match typed_station {
            Some(typed) => reach.from_place(PlaceReachQuery {
                from: typed.to_string(),
                departure,
                window: params.window,
                max_minutes: Some(MAP_HORIZON_MINUTES),
            })?,
            None => reach.from_city(ReachQuery {
                from_city: from,
                departure,
                window: params.window,
                max_minutes: Some(MAP_HORIZON_MINUTES),
            })?,
        };
        let cities = state.app.catalogue().all_cities().await?;
        Ok::<_, ApiError>((found, cities))
    }
    .await;
    let (found, cities) = match found {
        Ok(values) => values,
        Err(error) => {
            return Err(PageError {
                error,
                context: ctx,
            })
        }
    };
    let names: HashMap<u32, String> = cities
        .iter()
        .map(|city| {
            (
                city.city.code.get(),
                ctx.name(&city.city.name_en, &city.city.name_zh).to_owned(),
            )
        })
        .collect();
    // Cities outside the catalogue (the timetable reaches beyond the region) go by the name
    // their stations give them.
    let mut timetable_names: HashMap<u32, String> = HashMap::new();
    for station in reach.stations() {
        if let Some(code) = station.city_admin_code {
            timetable_names
                .entry(code)
                .or_insert_with(|| station.city_name.clone());
        }
    }
    let mut rows: Vec<ReachedCityRow> = found
        .reach
        .cities
        .iter()
        .map(|(city, minutes)| ReachedCityRow {
            name: names
                .get(city)
                .or_else(|| timetable_names.get(city))
                .cloned()
                .unwrap_or_else(|| city.to_string()),
            minutes: *minutes,
            duration: duration(*minutes, ctx.is_chinese()),
            search_link: format!("/search?city={city}"),
        })
        .collect();
    rows.sort_by(|a, b| a.minutes.cmp(&b.minutes).then_with(|| a.name.cmp(&b.name)));
    let options = cities
        .iter()
        .filter(|city| reach.serves(city.city.code.get()))
        .map(|city| CityOption {
            code: city.city.code.get(),
            name: ctx.name(&city.city.name_en, &city.city.name_zh).to_owned(),
            selected: city.city.code.get() == found.from_city,
        })
        .collect();
    // From one station, the title names it; from a city, the city.
    let origin_name = match (typed_station, found.origins.as_slice()) {
        (Some(_), [only]) => {
            let station = reach.station(*only);
            match (&station.english_name, ctx.is_chinese()) {
                (Some(english), false) => english.clone(),
                _ => station.name.clone(),
            }
        }
        _ => names.get(&found.from_city).cloned().unwrap_or_default(),
    };
    let station_names: Vec<String> = reach
        .stations()
        .iter()
        .map(|station| match (&station.english_name, ctx.is_chinese()) {
            (Some(english), false) => english.clone(),
            _ => station.name.clone(),
        })
        .collect();
    let title = format!(
        "{}{origin_name}{}",
        ctx.t.isochrone_title_before, ctx.t.isochrone_title_after
    );
    let (map_svg, bands) = isochrone_svg(reach.stations(), &found.reach, &ctx, &title);
    let page = ReachTemplate {
        origin_name,
        cities: options,
        station: typed_station.unwrap_or_default().to_string(),
        station_names,
        depart: format_minute(u32::from(found.window.start)),
        window: found.window.minutes(),
        map_svg,
        bands,
        rows,
        ctx,
    };
    render(&page).map_err(|error| PageError {
        error,
        context: page.ctx,
    })
}

/// One line of a journey as the instrument page shows it.
pub struct LegView {
    pub text: String,
}

/// The fastest journey from `from_city` to the instrument's city (leaving when the reach
/// service says), as lines.
pub fn journey_lines(
    reach: &Reach<'_>,
    from_city: u32,
    to_city: u32,
    chinese: bool,
) -> Option<(String, Vec<LegView>)> {
    let journey = reach.journey(from_city, to_city)?;
    let name = |id: corridor_rail::StationId| {
        let station = reach.station(id);
        if chinese {
            station.name.clone()
        } else {
            station
                .english_name
                .clone()
                .unwrap_or_else(|| station.name.clone())
        }
    };
    let legs = journey
        .legs
        .iter()
        .map(|leg| LegView {
            text: match leg {
                JourneyLeg::Train {
                    train_number,
                    from,
                    to,
                    departure,
                    arrival,
                    ..
                } => {
                    format!(
                        "{train_number}  {} {} → {} {}",
                        format_minute(u32::from(*departure)),
                        name(*from),
                        format_minute(u32::from(*arrival)),
                        name(*to)
                    )
                }
                JourneyLeg::Transfer { from, to, minutes } => {
                    if chinese {
                        format!("换乘 {} → {}（{minutes} 分钟）", name(*from), name(*to))
                    } else {
                        format!("transfer {} → {} ({minutes} min)", name(*from), name(*to))
                    }
                }
            },
        })
        .collect();
    Some((duration(journey.arrival - journey.departure, chinese), legs))
}
