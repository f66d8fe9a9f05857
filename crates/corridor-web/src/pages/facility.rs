//! The light source's user programme on the web, for teams: the call page (`/facility`) with
//! the cycles and beamlines, a cycle's page with its published schedule (a Gantt chart) and
//! statistics, the proposal form (in `propose`), and "my proposals" with the allocation's
//! decisions. The user office's console and the reviewers' queue are in `facility_office`.
//!
//! What each visitor may do and the limits of a proposal are the application layer's
//! (`corridor_app::beamtime`), the same operations the API calls; a refused form is shown
//! again with the reason and what was typed, never lost.

use std::collections::HashMap;
use std::sync::Arc;

use askama::Template;
use axum::extract::{Request, State};
use axum::response::Response;
use corridor_app::beamtime::{BeamtimeAccess, ProposalView, PublishedSchedule};
use corridor_domain::facility::allocation::ProposalType;
use corridor_domain::facility::proposal::{Cycle, CycleId};
use corridor_domain::facility::ProposalId;
use corridor_domain::{Beamline, BeamlineId};
use jiff::tz::TimeZone;
use serde::Deserialize;

use super::gantt::{gantt_svg, GanttBar};
use super::{page_or_error, PageContext};
use crate::auth::Requester;
use crate::extract::{Path, Query};
use crate::pages::forms::ButtonPress;
use crate::problem::ApiError;
use crate::AppState;
use corridor_app::beamtime::CycleStatistics;

mod propose;

pub use propose::{propose_page, propose_submit};

pub struct CycleRow {
    pub id: i64,
    pub name: String,
    pub call: String,
    pub call_open: bool,
    pub beam: String,
    pub user_shifts: u32,
}

/// A cycle as the pages list it; the call's dates are in the region's time zone.
pub fn cycle_row(cycle: &Cycle, now: jiff::Timestamp, zone: &TimeZone) -> CycleRow {
    let date = |instant: jiff::Timestamp| instant.to_zoned(zone.clone()).date().to_string();
    CycleRow {
        id: cycle.id.0,
        name: cycle.name.clone(),
        call: format!("{} – {}", date(cycle.call_opens), date(cycle.call_closes)),
        call_open: cycle.call_is_open(now),
        beam: format!("{} – {}", cycle.starts_on, cycle.ends_on),
        user_shifts: (cycle.days() - cycle.closed_days.len() as u32) * 3,
    }
}

pub struct BeamlineRow {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub techniques: String,
}

fn beamline_rows(beamlines: &[Beamline], ctx: &PageContext) -> Vec<BeamlineRow> {
    beamlines
        .iter()
        .map(|beamline| BeamlineRow {
            id: beamline.id.0,
            code: beamline.code.clone(),
            name: ctx.name(&beamline.name_en, &beamline.name_zh).to_owned(),
            techniques: beamline.techniques.join(", "),
        })
        .collect()
}

/// Where a signed-in user goes next in the programme, by role.
pub struct BeamtimeLinks {
    pub signed_in: bool,
    pub reviewer: bool,
    pub user_office: bool,
}

pub fn beamtime_links(access: BeamtimeAccess) -> BeamtimeLinks {
    BeamtimeLinks {
        signed_in: access.signed_in,
        reviewer: access.reviews_proposals,
        user_office: access.runs_a_user_office,
    }
}

#[derive(Template)]
#[template(path = "facility.html")]
struct FacilityTemplate {
    ctx: PageContext,
    links: BeamtimeLinks,
    cycles: Vec<CycleRow>,
    beamlines: Vec<BeamlineRow>,
}

/// `GET /facility`: the call page.
pub async fn facility_page(
    State(state): State<Arc<AppState>>,
    requester: Requester,
    request: Request,
) -> Response {
    let ctx = PageContext::new(&requester, request.extensions(), "/facility");
    let built = async {
        let now = corridor_store::now();
        let zone = state.app.region_time_zone();
        let programme = state.app.beamtime().programme(&requester).await?;
        Ok::<_, ApiError>(FacilityTemplate {
            links: beamtime_links(programme.access),
            cycles: programme
                .cycles
                .iter()
                .map(|cycle| cycle_row(cycle, now, zone))
                .collect(),
            beamlines: beamline_rows(&programme.beamlines, &ctx),
            ctx: ctx.clone(),
        })
    }
    .await;
    page_or_error(built, ctx)
}

/// The Gantt chart of a cycle's published schedule, and how many blocks it shows.
pub fn schedule_chart(schedule: &PublishedSchedule) -> (String, usize) {
    schedule_chart_of(schedule, None)
}

/// The schedule as a Gantt chart of one beamline (`only`), or of all of them. The user
/// office's console draws only the beamline it lists proposals of: the whole facility's
/// chart (a thousand blocks) is most of a page's weight and time, and the cycle's public
/// page draws it already.
pub fn schedule_chart_of(
    schedule: &PublishedSchedule,
    only: Option<BeamlineId>,
) -> (String, usize) {
    let cycle = &schedule.cycle;
    let shown: Vec<&Beamline> = schedule
        .beamlines
        .iter()
        .filter(|beamline| only.is_none_or(|only| beamline.id == only))
        .collect();
    let rows: Vec<String> = shown.iter().map(|beamline| beamline.code.clone()).collect();
    let row_of: HashMap<BeamlineId, usize> = shown
        .iter()
        .enumerate()
        .map(|(index, beamline)| (beamline.id, index))
        .collect();
    let bars: Vec<GanttBar> = schedule
        .blocks
        .iter()
        .filter_map(|block| {
            Some(GanttBar {
                row: *row_of.get(&block.beamline)?,
                first_shift: block.first_shift,
                shifts: block.shifts,
                kind: block.proposal_type.map_or("general", ProposalType::as_code),
                label: format!(
                    "{} · #{} {} · {} → {}",
                    block.beamline_code,
                    block.proposal.0,
                    block.title,
                    block.starts_at,
                    block.ends_at
                ),
            })
        })
        .collect();
    let closed: Vec<u32> = cycle
        .closed_days
        .iter()
        .filter_map(|closed| cycle.day_index(closed.day))
        .collect();
    (gantt_svg(&rows, cycle.days(), &closed, &bars), bars.len())
}

#[derive(Template)]
#[template(path = "facility_cycle.html")]
struct CycleTemplate {
    ctx: PageContext,
    links: BeamtimeLinks,
    cycle: CycleRow,
    statistics: CycleStatistics,
    share_from_region: String,
    share_from_region_granted: String,
    gantt: String,
    blocks: usize,
    time_zone: String,
}

fn percent(share: f64) -> String {
    format!("{:.1}%", share * 100.0)
}

/// `GET /facility/cycles/{id}`: a cycle's schedule and figures.
pub async fn cycle_page(
    State(state): State<Arc<AppState>>,
    requester: Requester,
    Path(id): Path<i64>,
    request: Request,
) -> Response {
    let ctx = PageContext::new(
        &requester,
        request.extensions(),
        &format!("/facility/cycles/{id}"),
    );
    let built = async {
        let overview = state
            .app
            .beamtime()
            .cycle_overview(&requester, CycleId(id))
            .await?;
        let (gantt, blocks) = schedule_chart(&overview.schedule);
        let statistics = overview.statistics;
        Ok::<_, ApiError>(CycleTemplate {
            links: beamtime_links(overview.access),
            cycle: cycle_row(
                &overview.schedule.cycle,
                corridor_store::now(),
                state.app.region_time_zone(),
            ),
            share_from_region: percent(statistics.share_from_region),
            share_from_region_granted: percent(statistics.share_from_region_granted),
            statistics,
            gantt,
            blocks,
            time_zone: overview.schedule.time_zone,
            ctx: ctx.clone(),
        })
    }
    .await;
    page_or_error(built, ctx)
}

pub struct DecisionRow {
    /// What proprietary beamtime costs, when it does.
    pub fee: Option<String>,
    pub beamline: String,
    pub requested: u32,
    pub granted: u32,
    pub reason: String,
    pub explanation: String,
}

pub struct ProposalRow {
    pub id: i64,
    pub cycle: String,
    pub cycle_id: i64,
    pub title: String,
    pub status: &'static str,
    pub proposal_type: &'static str,
    pub requests: String,
    pub decisions: Vec<DecisionRow>,
    pub is_principal: bool,
    pub may_submit: bool,
    pub may_withdraw: bool,
    pub highlighted: bool,
}

pub struct NotificationRow {
    pub subject: String,
    pub body: String,
    pub created_at: String,
}

#[derive(Template)]
#[template(path = "facility_proposals.html")]
struct ProposalsTemplate {
    ctx: PageContext,
    notice: Option<String>,
    rows: Vec<ProposalRow>,
    notifications: Vec<NotificationRow>,
}

#[derive(Debug, Default, Deserialize)]
pub struct ProposalsParams {
    notice: Option<String>,
    proposal: Option<String>,
    #[allow(dead_code)]
    lang: Option<String>,
}

/// `GET /facility/proposals`: the proposals the user leads or is on, with decisions.
pub async fn my_proposals_page(
    State(state): State<Arc<AppState>>,
    requester: Requester,
    Query(params): Query<ProposalsParams>,
    request: Request,
) -> Response {
    let ctx = PageContext::new(&requester, request.extensions(), "/facility/proposals");
    let highlighted: Option<i64> = params
        .proposal
        .as_deref()
        .and_then(|text| text.trim().parse().ok());
    let notice = match params.notice.as_deref() {
        Some("submitted") => Some(
            ctx.name("Your proposal is submitted.", "申请已提交。")
                .to_owned(),
        ),
        Some("drafted") => Some(ctx.name("Your draft is saved.", "草稿已保存。").to_owned()),
        Some("withdrawn") => Some(
            ctx.name("The proposal is withdrawn.", "申请已撤回。")
                .to_owned(),
        ),
        _ => None,
    };
    let built = async {
        let beamtime = state.app.beamtime();
        let views = beamtime.my_proposals(&requester).await?;
        let notifications = beamtime
            .my_notifications(&requester, Some(NOTIFICATIONS_SHOWN))
            .await?;
        let zone = state.app.region_time_zone();
        Ok::<_, ApiError>(ProposalsTemplate {
            notice: notice.clone(),
            rows: views
                .iter()
                .map(|view| proposal_row(view, highlighted))
                .collect(),
            notifications: notifications
                .into_iter()
                .map(|note| NotificationRow {
                    subject: note.subject,
                    body: note.body,
                    created_at: note
                        .created_at
                        .to_zoned(zone.clone())
                        .strftime("%Y-%m-%d %H:%M")
                        .to_string(),
                })
                .collect(),
            ctx: ctx.clone(),
        })
    }
    .await;
    page_or_error(built, ctx)
}

/// How many of the user's messages the page shows.
const NOTIFICATIONS_SHOWN: u32 = 20;

/// A proposal as "my proposals" lists it, with the buttons the user may press.
fn proposal_row(view: &ProposalView, highlighted: Option<i64>) -> ProposalRow {
    let code = |code: &Option<String>, beamline: BeamlineId| {
        code.clone().unwrap_or_else(|| format!("#{}", beamline.0))
    };
    let record = &view.record;
    ProposalRow {
        id: record.id.0,
        cycle: view.cycle.name.clone(),
        cycle_id: view.cycle.id.0,
        title: record.draft.title.clone(),
        status: record.status.as_code(),
        proposal_type: record.draft.proposal_type.as_code(),
        requests: view
            .requested
            .iter()
            .map(|request| {
                format!(
                    "{} × {}",
                    code(&request.beamline_code, request.beamline),
                    request.shifts
                )
            })
            .collect::<Vec<_>>()
            .join(", "),
        decisions: view
            .decisions
            .iter()
            .map(|with_code| {
                let decision = &with_code.decision;
                DecisionRow {
                    fee: (decision.fee_fen > 0)
                        .then(|| corridor_domain::Fen(decision.fee_fen).to_string()),
                    beamline: code(&with_code.beamline_code, decision.beamline),
                    requested: decision.requested,
                    granted: decision.granted,
                    reason: decision.reason.clone(),
                    explanation: decision.explanation.clone(),
                }
            })
            .collect(),
        is_principal: view.actions.is_principal,
        may_submit: view.actions.may_submit,
        may_withdraw: view.actions.may_withdraw,
        highlighted: highlighted == Some(record.id.0),
    }
}

/// `POST /facility/proposals/{id}/submit`.
pub async fn submit_submit(press: ButtonPress) -> Response {
    let next = format!("/facility/proposals?notice=submitted&proposal={}", press.id);
    let proposal = ProposalId(press.id);
    press
        .act("/facility/proposals", &next, async |app, requester| {
            app.beamtime().submit_proposal(requester, proposal).await
        })
        .await
}

/// `POST /facility/proposals/{id}/withdraw`.
pub async fn withdraw_submit(press: ButtonPress) -> Response {
    let next = format!("/facility/proposals?notice=withdrawn&proposal={}", press.id);
    let proposal = ProposalId(press.id);
    press
        .act("/facility/proposals", &next, async |app, requester| {
            app.beamtime().withdraw_proposal(requester, proposal).await
        })
        .await
}
