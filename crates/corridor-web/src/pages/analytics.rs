//! The analytics dashboard (`/analytics`): headline figures, the province-to-province flow
//! heat map, users' origins, utilisation by category and the idle expensive instruments, for a
//! period picked by dates. Every figure comes from the same computations as
//! `/api/v1/analytics/*` (whose CSV each section links to), drawn as server-side SVG.

use std::collections::HashMap;
use std::sync::Arc;

use askama::Template;
use axum::extract::{Request, State};
use axum::response::Response;
use corridor_app::analytics::Dashboard;
use corridor_domain::{Language, ProvinceCode};
use serde::Deserialize;

use super::readable::{grouped, grouped_decimal, money_sum};
use super::{page_or_error, province_name, PageContext};
use crate::api::analytics::period_query;
use crate::auth::Requester;
use crate::charts::{bar_chart, heat_map, Bar, HeatMap};
use crate::extract::Query;
use crate::problem::ApiError;
use crate::AppState;

/// How many idle instruments and utilisation bars the page shows.
const IDLE_LISTED: usize = 20;
const CATEGORIES_CHARTED: usize = 15;
/// The city × city heat map shows the busiest cities only; the CSV has them all.
const CITIES_CHARTED: usize = 10;

#[derive(Debug, Deserialize)]
pub struct DashboardParams {
    from: Option<String>,
    to: Option<String>,
    #[allow(dead_code)]
    lang: Option<String>,
}

pub struct IdleRow {
    pub id: i64,
    pub name: String,
    pub province: &'static str,
    pub value: String,
    pub booked_hours: String,
    pub utilisation: String,
}

#[derive(Template)]
#[template(path = "analytics.html")]
struct DashboardTemplate {
    ctx: PageContext,
    english: bool,
    from: String,
    to: String,
    as_of: String,
    query: String,
    bookings: String,
    users: String,
    hours: String,
    fees: String,
    region_user_share: String,
    crossing_share: String,
    flow_svg: String,
    city_flow_svg: String,
    origin_svg: String,
    utilisation_svg: String,
    idle_total: String,
    idle: Vec<IdleRow>,
}

fn percent(share: f64) -> String {
    format!("{:.1}%", share * 100.0)
}

/// `GET /analytics`.
pub async fn dashboard_page(
    State(state): State<Arc<AppState>>,
    requester: Requester,
    Query(params): Query<DashboardParams>,
    request: Request,
) -> Response {
    let ctx = PageContext::new(&requester, request.extensions(), "/analytics");
    let built = dashboard(&state, &ctx, &params).await;
    page_or_error(built, ctx)
}

async fn dashboard(
    state: &AppState,
    ctx: &PageContext,
    params: &DashboardParams,
) -> Result<DashboardTemplate, ApiError> {
    let language = ctx.language;
    let english = language == Language::English;
    let period = period_query(params.from.as_deref(), params.to.as_deref())?;
    let figures = state.app.analytics().dashboard(period, IDLE_LISTED).await?;
    let zone = figures.time_zone.clone();
    let from_date = figures
        .period
        .from
        .to_zoned(zone.clone())
        .date()
        .to_string();
    let to_date = figures.period.to.to_zoned(zone.clone()).date().to_string();
    let usage = &figures.usage;
    let flows = &figures.province_flows;

    // The flow heat map: hours from each home province to each provider province.
    let provinces: Vec<ProvinceCode> = ProvinceCode::ALL.to_vec();
    let keys: Vec<String> = provinces.iter().map(|p| p.as_code().to_owned()).collect();
    let labels: Vec<String> = provinces
        .iter()
        .map(|p| province_name(*p, language).to_owned())
        .collect();
    let mut values = vec![vec![0.0; provinces.len()]; provinces.len()];
    for cell in &flows.cells {
        let row = keys.iter().position(|key| *key == cell.origin);
        let column = keys.iter().position(|key| *key == cell.provider);
        if let (Some(row), Some(column)) = (row, column) {
            values[row][column] = cell.hours;
        }
    }
    let hours_text = |hours: f64| {
        if english {
            format!("{} h", grouped_decimal(hours, 0))
        } else {
            format!("{} 小时", grouped_decimal(hours, 0))
        }
    };
    let flow_svg = heat_map(
        &HeatMap {
            keys: &keys,
            labels: &labels,
            values: &values,
            format: &hours_text,
            row_caption: if english {
                "Users from ↓"
            } else {
                "用户来自 ↓"
            },
            column_caption: if english {
                "Instruments in →"
            } else {
                "仪器所在 →"
            },
        },
        if english {
            "Hours booked by users of each province at instruments of each province"
        } else {
            "各省用户在各省仪器上的预约机时"
        },
        "flow-heatmap",
    );
    let city_flow_svg = city_heat_map(ctx, &figures, &hours_text);
    let origin_bars: Vec<Bar> = usage
        .by_province
        .iter()
        .map(|row| {
            let province = ProvinceCode::parse(&row.key).unwrap_or(ProvinceCode::Outside);
            Bar {
                key: row.key.clone(),
                label: province_name(province, language).to_owned(),
                value: row.totals.hours,
                text: format!(
                    "{} · {}",
                    hours_text(row.totals.hours),
                    if english {
                        format!("{} users", grouped(row.totals.users))
                    } else {
                        format!("{} 位用户", grouped(row.totals.users))
                    }
                ),
            }
        })
        .collect();
    let origin_svg = bar_chart(
        &origin_bars,
        if english {
            "Hours by the users' home province"
        } else {
            "按用户所在省份的机时"
        },
        "origin-bars",
    );
    let category_names: HashMap<String, String> = figures
        .categories
        .iter()
        .map(|category| {
            let name = ctx.name(&category.name_en, &category.name_zh).to_owned();
            (category.code.as_str().to_owned(), name)
        })
        .collect();
    let mut busiest = figures.utilisation_by_category.clone();
    busiest.sort_by(|a, b| {
        b.utilisation
            .total_cmp(&a.utilisation)
            .then(a.key.cmp(&b.key))
    });
    let utilisation_bars: Vec<Bar> = busiest
        .iter()
        .take(CATEGORIES_CHARTED)
        .map(|row| Bar {
            key: row.key.clone(),
            label: category_names
                .get(&row.key)
                .cloned()
                .unwrap_or_else(|| row.key.clone()),
            value: row.utilisation,
            text: format!(
                "{:.2}% · {}",
                row.utilisation * 100.0,
                grouped(row.instruments)
            ),
        })
        .collect();
    let utilisation_svg = bar_chart(
        &utilisation_bars,
        if english {
            "Booked share of open hours by category"
        } else {
            "各类仪器开放机时的预约比例"
        },
        "utilisation-bars",
    );
    let idle_rows = figures
        .idle_listed
        .iter()
        .map(|listed| {
            let item = &listed.idle;
            IdleRow {
                id: item.instrument.0,
                name: match &listed.instrument {
                    Some(found) => ctx
                        .name(&found.instrument.name_en, &found.instrument.name_zh)
                        .to_owned(),
                    None => format!("#{}", item.instrument.0),
                },
                province: province_name(item.province, language),
                value: item.purchase_value.to_string(),
                booked_hours: grouped_decimal(item.booked_hours, 1),
                utilisation: format!("{:.2}%", item.utilisation * 100.0),
            }
        })
        .collect();
    let query = format!("from={from_date}&to={to_date}");
    // The language switch keeps the period.
    let mut ctx = ctx.clone();
    ctx.path = format!("/analytics?{query}");
    Ok(DashboardTemplate {
        ctx,
        english,
        from: from_date,
        to: to_date,
        as_of: figures
            .as_of
            .to_zoned(zone)
            .strftime("%Y-%m-%d %H:%M")
            .to_string(),
        query,
        bookings: grouped(usage.total.bookings),
        users: grouped(usage.total.users),
        hours: grouped_decimal(usage.total.hours, 0),
        fees: money_sum(usage.total.fees, language),
        region_user_share: percent(usage.region_user_share),
        crossing_share: percent(flows.crossing_hour_share),
        flow_svg,
        city_flow_svg,
        origin_svg,
        utilisation_svg,
        idle_total: grouped(figures.idle_total),
        idle: idle_rows,
    })
}

/// Hours between the busiest cities (by hours booked from or at them), users' cities as rows.
fn city_heat_map(
    ctx: &PageContext,
    figures: &Dashboard,
    hours_text: &(dyn Fn(f64) -> String + Sync),
) -> String {
    let english = ctx.language == Language::English;
    let flows = &figures.city_flows;
    let mut activity: HashMap<&str, f64> = HashMap::new();
    for cell in &flows.cells {
        *activity.entry(cell.origin.as_str()).or_default() += cell.hours;
        *activity.entry(cell.provider.as_str()).or_default() += cell.hours;
    }
    let mut busiest: Vec<(&str, f64)> = activity.into_iter().collect();
    busiest.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(b.0)));
    let keys: Vec<String> = busiest
        .iter()
        .take(CITIES_CHARTED)
        .map(|(key, _)| (*key).to_owned())
        .collect();
    let cities = &figures.cities;
    let labels: Vec<String> = keys
        .iter()
        .map(|key| {
            key.parse::<u32>()
                .ok()
                .and_then(|code| cities.get(&code))
                .map(|city| ctx.name(&city.name_en, &city.name_zh).to_owned())
                .unwrap_or_else(|| key.clone())
        })
        .collect();
    let mut values = vec![vec![0.0; keys.len()]; keys.len()];
    for cell in &flows.cells {
        let row = keys.iter().position(|key| *key == cell.origin);
        let column = keys.iter().position(|key| *key == cell.provider);
        if let (Some(row), Some(column)) = (row, column) {
            values[row][column] = cell.hours;
        }
    }
    heat_map(
        &HeatMap {
            keys: &keys,
            labels: &labels,
            values: &values,
            format: hours_text,
            row_caption: if english {
                "Users from ↓"
            } else {
                "用户来自 ↓"
            },
            column_caption: if english {
                "Instruments in →"
            } else {
                "仪器所在 →"
            },
        },
        if english {
            "Hours booked between the busiest cities"
        } else {
            "最繁忙城市之间的预约机时"
        },
        "city-flow-heatmap",
    )
}
