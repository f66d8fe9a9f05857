//! `/analytics/facility`: the light source's users and hours by where they come from, for a
//! cycle — the "share of users from the region" figure planners quote — with the demand per
//! beamline. The same figures as `GET /api/v1/analytics/facility`, drawn as SVG.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Request, State};
use axum::response::Response;
use corridor_domain::{Language, ProvinceCode};
use serde::Deserialize;

use super::facility::{cycle_row, CycleRow};
use super::{page_or_error, province_name, PageContext};
use crate::api::facility_analytics::facility_analytics_dto;
use crate::api::facility_summaries::CycleStatistics;
use crate::auth::Requester;
use crate::charts::{bar_chart, Bar};
use crate::extract::Query;
use crate::problem::ApiError;
use crate::AppState;

#[derive(Debug, Deserialize)]
pub struct FacilityDashboardParams {
    cycle: Option<i64>,
    #[allow(dead_code)]
    lang: Option<String>,
}

#[derive(Template)]
#[template(path = "analytics_facility.html")]
struct FacilityDashboardTemplate {
    ctx: PageContext,
    english: bool,
    cycles: Vec<CycleRow>,
    cycle: Option<CycleRow>,
    statistics: Option<CycleStatistics>,
    share_users: String,
    share_granted: String,
    share_hours: String,
    users_svg: String,
    hours_svg: String,
    demand_svg: String,
}

fn percent(share: f64) -> String {
    format!("{:.1}%", share * 100.0)
}

/// `GET /analytics/facility`.
pub async fn facility_dashboard_page(
    State(state): State<Arc<AppState>>,
    requester: Requester,
    Query(params): Query<FacilityDashboardParams>,
    request: Request,
) -> Response {
    let ctx = PageContext::new(&requester, request.extensions(), "/analytics/facility");
    let built = facility_dashboard(&state, &ctx, &params).await;
    page_or_error(built, ctx)
}

async fn facility_dashboard(
    state: &AppState,
    ctx: &PageContext,
    params: &FacilityDashboardParams,
) -> Result<FacilityDashboardTemplate, ApiError> {
    let english = ctx.language == Language::English;
    let now = corridor_store::now();
    let zone = state.app.region_time_zone();
    let cycles = state.app.beamtime().cycles(None).await?;
    let figures = facility_analytics_dto(state, params.cycle).await?;
    let mut page = FacilityDashboardTemplate {
        ctx: ctx.clone(),
        english,
        cycles: cycles
            .iter()
            .map(|cycle| cycle_row(cycle, now, zone))
            .collect(),
        cycle: None,
        statistics: None,
        share_users: String::new(),
        share_granted: String::new(),
        share_hours: String::new(),
        users_svg: String::new(),
        hours_svg: String::new(),
        demand_svg: String::new(),
    };
    let Some(figures) = figures else {
        return Ok(page);
    };
    let statistics = figures.statistics;
    let origin_label = |origin: &str| match ProvinceCode::parse(origin) {
        Ok(province) if province.is_in_region() => province_name(province, ctx.language).to_owned(),
        _ => ctx.name("Outside the region", "区域外").to_owned(),
    };
    let users: Vec<Bar> = statistics
        .origins
        .iter()
        .map(|row| Bar {
            key: row.origin.clone(),
            label: origin_label(&row.origin),
            value: row.users as f64,
            text: format!(
                "{} ({} {})",
                row.users,
                row.users_granted,
                ctx.name("granted", "获机时")
            ),
        })
        .collect();
    let hours: Vec<Bar> = statistics
        .origins
        .iter()
        .map(|row| Bar {
            key: row.origin.clone(),
            label: origin_label(&row.origin),
            value: row.hours_granted as f64,
            text: format!("{} h", super::readable::grouped(row.hours_granted)),
        })
        .collect();
    let mut demand: Vec<&crate::api::facility_summaries::BeamlineStatistics> =
        statistics.beamlines.iter().collect();
    demand.sort_by(|a, b| b.oversubscription.total_cmp(&a.oversubscription));
    let demand: Vec<Bar> = demand
        .iter()
        .map(|row| Bar {
            key: row.code.clone(),
            label: row.code.clone(),
            value: row.oversubscription,
            text: format!(
                "{:.2}× ({} / {})",
                row.oversubscription, row.requested_shifts, row.user_shifts
            ),
        })
        .collect();
    page.users_svg = bar_chart(
        &users,
        ctx.name(
            "People on proposals, by home province",
            "申请人员（按所在省份）",
        ),
        "facility-users-chart",
    );
    page.hours_svg = bar_chart(
        &hours,
        ctx.name(
            "Hours granted, by the principal's province",
            "获批机时（按负责人所在省份）",
        ),
        "facility-hours-chart",
    );
    page.demand_svg = bar_chart(
        &demand,
        ctx.name("Oversubscription per beamline", "各光束线超额申请倍数"),
        "facility-demand-chart",
    );
    page.share_users = percent(statistics.share_from_region);
    page.share_granted = percent(statistics.share_from_region_granted);
    page.share_hours = percent(statistics.share_of_hours_from_region);
    page.cycle = cycles
        .iter()
        .find(|cycle| cycle.id.0 == figures.cycle.id)
        .map(|cycle| cycle_row(cycle, now, zone));
    page.statistics = Some(statistics);
    Ok(page)
}
