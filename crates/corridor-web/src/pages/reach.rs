//! The reach page (an isochrone map of the rail network from a chosen city and time) and the
//! journey shown on an instrument's page.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::Arc;

use askama::Template;
use axum::extract::{Request, State};
use axum::response::Html;
use corridor_app::reach::{Reach, ReachQuery};
use corridor_rail::{format_minute, JourneyLeg, Station};

use super::{render, PageContext, PageError};
use crate::api::reach::parse_departure;
use crate::auth::Requester;
use crate::extract::Query;
use crate::problem::ApiError;
use crate::AppState;

/// The city the map starts from when none is chosen: Shanghai.
pub const DEFAULT_ORIGIN: u32 = 310_000;
/// How far the map looks, in minutes of travel.
const MAP_HORIZON_MINUTES: u16 = 360;

/// Travel-time bands of the map, in minutes, with their colours.
const BANDS: [(u16, &str); 4] = [
    (60, "#1e8449"),
    (120, "#2e86c1"),
    (180, "#b9770e"),
    (u16::MAX, "#922b21"),
];

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReachPageParams {
    from: Option<u32>,
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
    pub rows: Vec<ReachedCityRow>,
    pub origin_name: String,
}

pub fn duration(minutes: u16, chinese: bool) -> String {
    match (minutes / 60, minutes % 60, chinese) {
        (0, m, false) => format!("{m} min"),
        (h, m, false) => format!("{h} h {m:02} min"),
        (0, m, true) => format!("{m}分钟"),
        (h, m, true) => format!("{h}小时{m:02}分"),
    }
}

fn isochrone_svg(
    stations: &[Station],
    reach: &corridor_app::indexes::rail::Reach,
    title: &str,
) -> String {
    let points: Vec<(f64, f64)> = stations
        .iter()
        .filter_map(|station| {
            station
                .coordinates
                .map(|point| (point.longitude, point.latitude))
        })
        .collect();
    if points.is_empty() {
        return String::new();
    }
    let (min_lon, max_lon) = points
        .iter()
        .fold((f64::MAX, f64::MIN), |(low, high), (lon, _)| {
            (low.min(*lon), high.max(*lon))
        });
    let (min_lat, max_lat) = points
        .iter()
        .fold((f64::MAX, f64::MIN), |(low, high), (_, lat)| {
            (low.min(*lat), high.max(*lat))
        });
    let (width, margin) = (560.0, 24.0);
    let cos = ((min_lat + max_lat) / 2.0).to_radians().cos();
    let scale = (width - 2.0 * margin) / ((max_lon - min_lon) * cos).max(0.01);
    let height = (max_lat - min_lat) * scale + 2.0 * margin;
    let minutes: HashMap<u32, u16> = reach
        .stations
        .iter()
        .map(|(id, minutes)| (id.0, *minutes))
        .collect();
    let mut svg = format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:.0} {height:.0}" class="region-map" role="img" data-testid="isochrone"><title>{title}</title><rect width="100%" height="100%" fill="#f4f7fa" rx="8"/>"##
    );
    for (position, station) in stations.iter().enumerate() {
        let Some(point) = station.coordinates else {
            continue;
        };
        let x = margin + (point.longitude - min_lon) * cos * scale;
        let y = margin + (max_lat - point.latitude) * scale;
        let (colour, label) = match minutes.get(&(position as u32)) {
            Some(minutes) => (
                BANDS
                    .iter()
                    .find(|(limit, _)| minutes <= limit)
                    .map_or("#7f8c8d", |(_, colour)| colour),
                format!("{} min", minutes),
            ),
            None => ("#d5dbdb", "—".to_owned()),
        };
        let name = station.name.replace('&', "&amp;").replace('<', "&lt;");
        let _ = write!(
            svg,
            r#"<circle cx="{x:.1}" cy="{y:.1}" r="5" fill="{colour}" stroke="white" stroke-width="1"><title>{name}: {label}</title></circle>"#
        );
    }
    svg.push_str("</svg>");
    svg
}

pub async fn reach_page(
    State(state): State<Arc<AppState>>,
    requester: Requester,
    Query(params): Query<ReachPageParams>,
    request: Request,
) -> Result<Html<String>, PageError> {
    let ctx = PageContext::new(&requester, request.extensions(), "/reach");
    let from = params.from.unwrap_or(DEFAULT_ORIGIN);
    let reach = state.app.reach();
    let found = async {
        let found = reach.from_city(ReachQuery {
            from_city: from,
            departure: parse_departure("depart", params.depart.as_deref())?,
            window: params.window,
            max_minutes: Some(MAP_HORIZON_MINUTES),
        })?;
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
    let mut rows: Vec<ReachedCityRow> = found
        .reach
        .cities
        .iter()
        .map(|(city, minutes)| ReachedCityRow {
            name: names.get(city).cloned().unwrap_or_else(|| city.to_string()),
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
            selected: city.city.code.get() == from,
        })
        .collect();
    let map_svg = isochrone_svg(reach.stations(), &found.reach, ctx.t.map_title);
    let page = ReachTemplate {
        origin_name: names.get(&from).cloned().unwrap_or_default(),
        cities: options,
        depart: format_minute(u32::from(found.window.start)),
        window: found.window.minutes(),
        map_svg,
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
