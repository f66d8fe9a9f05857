//! The cluster-reach dashboard (`/analytics/reach`): from a city (or a firm), the share of an
//! industrial cluster or of a category of instruments within a travel time by rail, as a
//! headline, a map and a table; beside it, where in the region that cluster is best reached
//! from. Every figure comes from the same code as `/api/v1/analytics/cluster-reach*`.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Request, State};
use axum::response::Response;
use corridor_app::cluster_reach::{ClusterReachQuery, DEFAULT_WITHIN_MINUTES};
use corridor_domain::{Language, ProvinceCode, Sector};
use serde::Deserialize;

use super::{page_or_error, PageContext};
use crate::api::cluster_reach::{cluster_choice, ClusterReachByOriginDto, ClusterReachDto};
use crate::api::reach::parse_departure;
use crate::auth::Requester;
use crate::charts::{bar_chart, Bar};
use crate::extract::Query;
use crate::map::{circles_map_svg, Band, MapCircle, MapText, UNREACHED_COLOUR};
use crate::problem::ApiError;
use crate::AppState;

/// Hefei: the aircraft cluster's home and the demo's default origin.
const DEFAULT_ORIGIN: u32 = 340_100;
const ORIGINS_CHARTED: usize = 15;
/// The dashboard asks about departures from 07:00, in a two-hour window.
const DEFAULT_DEPARTURE: &str = "07:00";
const WINDOW_MINUTES: u16 = 120;

#[derive(Debug, Deserialize)]
pub struct ReachDashboardParams {
    from_city: Option<u32>,
    /// `sector:<code>` or `category:<code>`.
    cluster: Option<String>,
    depart: Option<String>,
    within: Option<u16>,
    #[allow(dead_code)]
    lang: Option<String>,
}

pub struct Choice {
    pub value: String,
    pub name: String,
    pub selected: bool,
}

pub struct CityRow {
    pub code: u32,
    pub name: String,
    pub members: u64,
    pub minutes: String,
    pub reached: bool,
}

#[derive(Template)]
#[template(path = "analytics_reach.html")]
struct ReachDashboardTemplate {
    ctx: PageContext,
    english: bool,
    origins: Vec<Choice>,
    clusters: Vec<Choice>,
    budgets: Vec<Choice>,
    depart: String,
    origin_name: String,
    cluster_name: String,
    members: u64,
    reached: u64,
    share: String,
    within_text: String,
    window_text: String,
    map_svg: String,
    origins_svg: String,
    rows: Vec<CityRow>,
    query: String,
}

fn sector_name(sector: Sector, english: bool) -> &'static str {
    match (sector, english) {
        (Sector::IntegratedCircuits, true) => "Integrated-circuit firms",
        (Sector::IntegratedCircuits, false) => "集成电路企业",
        (Sector::Biomedicine, true) => "Biomedicine firms",
        (Sector::Biomedicine, false) => "生物医药企业",
        (Sector::ArtificialIntelligence, true) => "Artificial-intelligence firms",
        (Sector::ArtificialIntelligence, false) => "人工智能企业",
        (Sector::Aerospace, true) => "Aerospace firms",
        (Sector::Aerospace, false) => "航空航天企业",
        (Sector::NewMaterials, true) => "New-materials firms",
        (Sector::NewMaterials, false) => "新材料企业",
        (Sector::Automotive, true) => "Automotive firms",
        (Sector::Automotive, false) => "汽车企业",
        (_, true) => "Firms",
        (_, false) => "企业",
    }
}

const CLUSTER_SECTORS: [Sector; 6] = [
    Sector::Aerospace,
    Sector::IntegratedCircuits,
    Sector::Biomedicine,
    Sector::ArtificialIntelligence,
    Sector::NewMaterials,
    Sector::Automotive,
];

/// `GET /analytics/reach`.
pub async fn reach_dashboard_page(
    State(state): State<Arc<AppState>>,
    requester: Requester,
    Query(params): Query<ReachDashboardParams>,
    request: Request,
) -> Response {
    let ctx = PageContext::new(&requester, request.extensions(), "/analytics/reach");
    let built = reach_dashboard(&state, &ctx, &params).await;
    page_or_error(built, ctx)
}

async fn reach_dashboard(
    state: &AppState,
    ctx: &PageContext,
    params: &ReachDashboardParams,
) -> Result<ReachDashboardTemplate, ApiError> {
    let english = ctx.language == Language::English;
    let from_city = params.from_city.unwrap_or(DEFAULT_ORIGIN);
    let cluster = params
        .cluster
        .clone()
        .unwrap_or_else(|| "sector:aerospace".to_owned());
    let (sector, category) = match cluster.split_once(':') {
        Some(("sector", code)) => (Some(code.to_owned()), None),
        Some(("category", code)) => (None, Some(code.to_owned())),
        _ => {
            return Err(ApiError::invalid(
                "cluster",
                "expected sector:<code> or category:<code>",
            ))
        }
    };
    let depart = params.depart.as_deref().unwrap_or(DEFAULT_DEPARTURE);
    let within = params.within.unwrap_or(DEFAULT_WITHIN_MINUTES);
    let dashboard = state
        .app
        .analytics()
        .cluster_reach_dashboard(&ClusterReachQuery {
            from_city: Some(from_city),
            from_institution: None,
            cluster: cluster_choice(sector.as_deref(), category.as_deref())?,
            departure: parse_departure("depart", Some(depart))?,
            window: Some(WINDOW_MINUTES),
            within: Some(within),
        })
        .await?;
    let cities = &dashboard.figure.cities;
    let figure = ClusterReachDto::from(&dashboard.figure);
    let by_origin = ClusterReachByOriginDto::from(&dashboard.origins);
    let name_of = |code: u32| {
        cities
            .get(&code)
            .map(|city| ctx.name(&city.name_en, &city.name_zh).to_owned())
            .unwrap_or_else(|| code.to_string())
    };

    let mut origins: Vec<Choice> = by_origin
        .origins
        .iter()
        .map(|origin| Choice {
            value: origin.city.to_string(),
            name: ctx.name(&origin.name_en, &origin.name_zh).to_owned(),
            selected: origin.city == from_city,
        })
        .collect();
    origins.sort_by(|a, b| a.value.cmp(&b.value));
    let categories = &dashboard.categories;
    let mut clusters: Vec<Choice> = CLUSTER_SECTORS
        .iter()
        .map(|sector| {
            let value = format!("sector:{}", sector.as_code());
            Choice {
                selected: value == cluster,
                name: sector_name(*sector, english).to_owned(),
                value,
            }
        })
        .collect();
    for category in categories
        .iter()
        .filter(|category| category.code.is_top_level())
    {
        let value = format!("category:{}", category.code.as_str());
        clusters.push(Choice {
            selected: value == cluster,
            name: format!(
                "{}{}",
                if english {
                    "Instruments: "
                } else {
                    "仪器："
                },
                ctx.name(&category.name_en, &category.name_zh)
            ),
            value,
        });
    }
    let cluster_name = clusters
        .iter()
        .find(|choice| choice.selected)
        .map(|choice| choice.name.clone())
        .unwrap_or_else(|| cluster.clone());
    let budgets = [60u16, 90, 120, 180, 240]
        .into_iter()
        .map(|minutes| Choice {
            value: minutes.to_string(),
            name: hours_text(minutes, english),
            selected: minutes == within,
        })
        .collect();

    // Reached cities by their band of travel time (colour and mark), the others grey and
    // unmarked; the counts per band describe the map in words.
    let mut band_counts = [0usize; 4];
    let mut beyond = 0usize;
    let circles: Vec<MapCircle> = figure
        .cities
        .iter()
        .filter(|city| ProvinceCode::parse(&city.province).is_ok_and(ProvinceCode::is_in_region))
        .map(|city| {
            let name = ctx.name(&city.name_en, &city.name_zh).to_owned();
            let band = city.minutes.map(Band::of);
            match band {
                Some(band) => band_counts[band.index()] += 1,
                None => beyond += 1,
            }
            MapCircle {
                code: city.city,
                lon: city.lon,
                lat: city.lat,
                weight: city.members as f64,
                colour: band.map_or(UNREACHED_COLOUR, Band::colour),
                tooltip: format!(
                    "{name}: {} · {}",
                    city.members,
                    city.minutes
                        .map(|minutes| minutes_text(minutes, english))
                        .unwrap_or_else(|| "—".to_owned())
                ),
                name,
                href: None,
                ringed: city.city == from_city,
                band,
            }
        })
        .collect();
    // The bands a journey within the budget can fall in, and the cities beyond it.
    let t = ctx.t;
    let bands: Vec<Band> = Band::ALL
        .into_iter()
        .filter(|band| band.index() == 0 || within > 60 * band.index() as u16)
        .collect();
    let legend = crate::map::band_legend(&bands, t);
    let (colon, separator, stop) = if english {
        (": ", "; ", ". ")
    } else {
        ("：", "；", "。")
    };
    let description = format!(
        "{}{colon}{}{separator}{} {beyond}{stop}{}",
        t.map_cities_by_band,
        bands
            .iter()
            .map(|band| format!("{} {}", band.label(t), band_counts[band.index()]))
            .collect::<Vec<_>>()
            .join(separator),
        t.band_unreached,
        t.map_see_table
    );
    let title = format!("{cluster_name} · {}", name_of(from_city));
    let map_svg = circles_map_svg(
        &circles,
        &legend,
        &MapText {
            title: &title,
            description: Some(&description),
            test_id: "cluster-map",
            described_by: None,
        },
        ctx.language,
    );
    let origin_bars: Vec<Bar> = by_origin
        .origins
        .iter()
        .take(ORIGINS_CHARTED)
        .map(|origin| Bar {
            key: origin.city.to_string(),
            label: ctx.name(&origin.name_en, &origin.name_zh).to_owned(),
            value: origin.share,
            text: format!(
                "{:.1}% · {}",
                origin.share * 100.0,
                super::readable::grouped(origin.reached)
            ),
        })
        .collect();
    let origins_svg = bar_chart(
        &origin_bars,
        if english {
            "Share of the cluster within reach, by departure city"
        } else {
            "从各城市出发可达的集群比例"
        },
        "cluster-origins",
    );
    let rows = figure
        .cities
        .iter()
        .map(|city| CityRow {
            code: city.city,
            name: ctx.name(&city.name_en, &city.name_zh).to_owned(),
            members: city.members,
            minutes: city
                .minutes
                .map(|minutes| minutes_text(minutes, english))
                .unwrap_or_else(|| "—".to_owned()),
            reached: city.minutes.is_some(),
        })
        .collect();
    let cluster_query = match cluster.split_once(':') {
        Some((kind, code)) => format!("{kind}={code}"),
        None => String::new(),
    };
    let query = format!(
        "from_city={from_city}&{cluster_query}&depart={}&window={WINDOW_MINUTES}&within={within}",
        figure.depart
    );
    let mut ctx = ctx.clone();
    ctx.path = format!(
        "/analytics/reach?from_city={from_city}&cluster={cluster}&depart={}&within={within}",
        figure.depart
    );
    let window_end = u32::from(dashboard.figure.budget.window_end);
    Ok(ReachDashboardTemplate {
        ctx,
        english,
        origins,
        clusters,
        budgets,
        window_text: format!(
            "{}–{}",
            figure.depart,
            corridor_rail::format_minute(window_end)
        ),
        depart: figure.depart,
        origin_name: name_of(from_city),
        cluster_name,
        members: figure.members,
        reached: figure.reached,
        share: format!("{:.1}%", figure.share * 100.0),
        within_text: hours_text(within, english),
        map_svg,
        origins_svg,
        rows,
        query,
    })
}

fn minutes_text(minutes: u16, english: bool) -> String {
    super::reach::duration(minutes, !english)
}

fn hours_text(minutes: u16, english: bool) -> String {
    let hours = f64::from(minutes) / 60.0;
    if english {
        format!("{hours} h")
    } else {
        format!("{hours} 小时")
    }
}
