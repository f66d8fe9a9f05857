//! The programme's back office on the web: the reviewers' queue (`/facility/reviews`) with a
//! grade form per proposal, and the user office's console (`/facility/office`): a cycle's
//! progress at a glance, the feasibility and safety checks, the reviewer assignment and the
//! allocation at the press of a button, the decisions per beamline with their reasons, and the
//! schedule as a Gantt chart. Running the allocation again after a check or a grade changed
//! is how the office adjusts the schedule.

use std::collections::HashMap;
use std::sync::Arc;

use askama::Template;
use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use corridor_app::beamtime::OfficeConsole;
use corridor_app::Actor;
use corridor_domain::facility::proposal::CycleId;
use corridor_domain::facility::ProposalId;
use corridor_store::beamtime::CheckKind;
use serde::Deserialize;

use super::facility::{cycle_row, schedule_chart_of, CycleRow};
use super::forms::{field_text, see_page, ticked, FormPage, PageForm, SignedInForm};
use super::{page_or_error, PageContext, PageError};
use crate::auth::Requester;
use crate::extract::{Path, Query};
use crate::pages::forms::ButtonPress;
use crate::pages::page_error;
use crate::problem::ApiError;
use crate::AppState;

pub struct ReviewRow {
    pub proposal_id: i64,
    pub cycle_id: i64,
    pub title: String,
    pub summary: String,
    pub discipline: &'static str,
    pub techniques: String,
    pub affinity: u32,
    pub grade: String,
    pub comment: String,
    pub graded: bool,
}

#[derive(Template)]
#[template(path = "facility_reviews.html")]
struct ReviewsTemplate {
    ctx: PageContext,
    notice: Option<String>,
    rows: Vec<ReviewRow>,
}

#[derive(Debug, Default, Deserialize)]
pub struct NoticeParams {
    notice: Option<String>,
    cycle: Option<String>,
    beamline: Option<String>,
    #[allow(dead_code)]
    lang: Option<String>,
}

/// `GET /facility/reviews`: the proposals assigned to the reviewer.
pub async fn reviews_page(
    State(state): State<Arc<AppState>>,
    requester: Requester,
    Query(params): Query<NoticeParams>,
    request: Request,
) -> Response {
    let ctx = PageContext::new(&requester, request.extensions(), "/facility/reviews");
    let notice = (params.notice.as_deref() == Some("graded"))
        .then(|| ctx.name("Your grade is saved.", "评分已保存。").to_owned());
    let built = async {
        let reviews = state.app.beamtime().my_reviews(&requester).await?;
        let rows = reviews
            .iter()
            .map(|assigned| {
                let (review, proposal) = (&assigned.review, &assigned.proposal);
                ReviewRow {
                    proposal_id: review.proposal.0,
                    cycle_id: review.cycle.0,
                    title: proposal.draft.title.clone(),
                    summary: proposal.draft.summary.clone(),
                    discipline: proposal.draft.discipline.as_code(),
                    techniques: proposal.draft.techniques.join(", "),
                    affinity: review.affinity,
                    grade: review
                        .grade
                        .map(|grade| format!("{grade:.1}"))
                        .unwrap_or_default(),
                    comment: review.comment.clone(),
                    graded: review.grade.is_some(),
                }
            })
            .collect();
        Ok::<_, ApiError>(ReviewsTemplate {
            notice: notice.clone(),
            rows,
            ctx: ctx.clone(),
        })
    }
    .await;
    page_or_error(built, ctx)
}

#[derive(Debug, Deserialize)]
pub struct GradeFields {
    grade: Option<String>,
    comment: Option<String>,
}

impl PageForm for GradeFields {
    const PAGE: FormPage = FormPage::Fixed("/facility/reviews");
}

/// `POST /facility/reviews/{id}`: grades a proposal assigned to the reviewer.
pub async fn grade_submit(
    State(state): State<Arc<AppState>>,
    Path(id): Path<i64>,
    form: SignedInForm<GradeFields>,
) -> Response {
    let grade: f64 = match field_text(&form.fields.grade).replace(',', ".").parse() {
        Ok(grade) => grade,
        Err(_) => {
            let message = form
                .ctx
                .name(
                    "A grade is a number from 1.0 (outstanding) to 5.0.",
                    "评分为1.0（优秀）至5.0之间的数字。",
                )
                .to_owned();
            return PageError {
                error: ApiError::invalid("grade", message),
                context: form.ctx,
            }
            .into_response();
        }
    };
    match state
        .app
        .beamtime()
        .grade(
            &form.requester,
            ProposalId(id),
            grade,
            field_text(&form.fields.comment),
        )
        .await
    {
        Ok(_) => see_page("/facility/reviews?notice=graded"),
        Err(error) => page_error(error, form.ctx),
    }
}

pub struct OfficeProposalRow {
    pub id: i64,
    pub title: String,
    pub proposal_type: &'static str,
    pub asked: u32,
    pub granted: u32,
    pub score: String,
    pub reason: String,
    pub explanation: String,
    pub checks: String,
    pub reviews: String,
}

pub struct BeamlineChoice {
    pub id: i64,
    pub code: String,
    pub chosen: bool,
}

#[derive(Template)]
#[template(path = "facility_office.html")]
struct OfficeTemplate {
    ctx: PageContext,
    notice: Option<String>,
    cycles: Vec<CycleRow>,
    cycle: Option<CycleRow>,
    submitted: usize,
    refused_by_checks: usize,
    reviews_assigned: usize,
    reviews_graded: usize,
    allocated: bool,
    granted_shifts: u64,
    beamlines: Vec<BeamlineChoice>,
    rows: Vec<OfficeProposalRow>,
    gantt: String,
}

async fn office_content(
    state: &AppState,
    actor: &Actor,
    params: &NoticeParams,
    ctx: &PageContext,
) -> Result<OfficeTemplate, ApiError> {
    let chosen_id: Option<i64> = params
        .cycle
        .as_deref()
        .and_then(|text| text.trim().parse().ok());
    let OfficeConsole { cycles, chosen } = state
        .app
        .beamtime()
        .office_console(actor, chosen_id.map(CycleId))
        .await?;
    let now = corridor_store::now();
    let zone = state.app.region_time_zone();
    let notice = match params.notice.as_deref() {
        Some("assigned") => Some(
            ctx.name("Reviewers are assigned.", "评审人已分配。")
                .to_owned(),
        ),
        Some("allocated") => Some(
            ctx.name(
                "The allocation ran; the schedule is published.",
                "机时已分配，排程已公布。",
            )
            .to_owned(),
        ),
        Some("checked") => Some(
            ctx.name("The check is recorded.", "审查结果已记录。")
                .to_owned(),
        ),
        Some("replanned") => Some(
            ctx.name(
                "The lost day is closed and its shifts are re-planned; the teams are told.",
                "已关闭失光日并重新排程，已通知相关团队。",
            )
            .to_owned(),
        ),
        _ => None,
    };
    let mut page = OfficeTemplate {
        ctx: ctx.clone(),
        notice,
        cycles: cycles
            .iter()
            .map(|cycle| cycle_row(cycle, now, zone))
            .collect(),
        cycle: None,
        submitted: 0,
        refused_by_checks: 0,
        reviews_assigned: 0,
        reviews_graded: 0,
        allocated: false,
        granted_shifts: 0,
        beamlines: Vec::new(),
        rows: Vec::new(),
        gantt: String::new(),
    };
    let Some(chosen) = chosen else {
        return Ok(page);
    };
    let (proposals, checks, reviews, decisions) = (
        &chosen.submitted,
        &chosen.checks,
        &chosen.reviews,
        &chosen.decisions,
    );
    let beamlines = &chosen.schedule.beamlines;
    let chosen_line = params
        .beamline
        .as_deref()
        .and_then(|text| text.trim().parse::<i64>().ok())
        .or_else(|| beamlines.first().map(|beamline| beamline.id.0));
    page.submitted = proposals.len();
    page.refused_by_checks = checks.iter().filter(|check| !check.approved).count();
    page.reviews_assigned = reviews.len();
    page.reviews_graded = reviews
        .iter()
        .filter(|review| review.grade.is_some())
        .count();
    page.allocated = !decisions.is_empty();
    page.granted_shifts = decisions
        .iter()
        .map(|decision| u64::from(decision.granted))
        .sum();
    page.beamlines = beamlines
        .iter()
        .map(|beamline| BeamlineChoice {
            id: beamline.id.0,
            code: beamline.code.clone(),
            chosen: Some(beamline.id.0) == chosen_line,
        })
        .collect();
    let mut grades: HashMap<ProposalId, Vec<f64>> = HashMap::new();
    let mut assigned: HashMap<ProposalId, usize> = HashMap::new();
    for review in reviews {
        *assigned.entry(review.proposal).or_default() += 1;
        if let Some(grade) = review.grade {
            grades.entry(review.proposal).or_default().push(grade);
        }
    }
    let mut checks_of: HashMap<ProposalId, Vec<String>> = HashMap::new();
    for check in checks {
        checks_of.entry(check.proposal).or_default().push(format!(
            "{} {}",
            check.kind.as_code(),
            if check.approved { "✓" } else { "✗" }
        ));
    }
    let decision_of: HashMap<(ProposalId, i64), &corridor_store::beamtime::StoredDecision> =
        decisions
            .iter()
            .map(|decision| ((decision.proposal, decision.beamline.0), decision))
            .collect();
    let mut rows: Vec<OfficeProposalRow> = proposals
        .iter()
        .filter_map(|record| {
            let (_, asked) = record
                .draft
                .requests
                .iter()
                .find(|(beamline, _)| Some(beamline.0) == chosen_line)?;
            let decision = decision_of.get(&(record.id, chosen_line?));
            let graded = grades.get(&record.id).map(Vec::as_slice).unwrap_or(&[]);
            Some(OfficeProposalRow {
                id: record.id.0,
                title: record.draft.title.clone(),
                proposal_type: record.draft.proposal_type.as_code(),
                asked: *asked,
                granted: decision.map_or(0, |decision| decision.granted),
                score: decision
                    .and_then(|decision| decision.effective_score)
                    .or_else(|| corridor_domain::facility::plan::panel_score(graded))
                    .map(|score| format!("{score:.2}"))
                    .unwrap_or_else(|| "—".into()),
                reason: decision
                    .map(|decision| decision.reason.clone())
                    .unwrap_or_default(),
                explanation: decision
                    .map(|decision| decision.explanation.clone())
                    .unwrap_or_default(),
                checks: checks_of
                    .get(&record.id)
                    .map(|list| list.join(", "))
                    .unwrap_or_default(),
                reviews: format!(
                    "{} / {}",
                    graded.len(),
                    assigned.get(&record.id).copied().unwrap_or(0)
                ),
            })
        })
        .collect();
    rows.sort_by(|a, b| {
        b.granted
            .cmp(&a.granted)
            .then(a.score.cmp(&b.score))
            .then(a.id.cmp(&b.id))
    });
    page.rows = rows;
    page.gantt = schedule_chart_of(
        &chosen.schedule,
        chosen_line.map(corridor_domain::BeamlineId),
    )
    .0;
    page.cycle = Some(cycle_row(&chosen.schedule.cycle, now, zone));
    Ok(page)
}

/// `GET /facility/office`: the user office's console.
pub async fn office_page(
    State(state): State<Arc<AppState>>,
    requester: Requester,
    Query(params): Query<NoticeParams>,
    request: Request,
) -> Response {
    let ctx = PageContext::new(&requester, request.extensions(), "/facility/office");
    let built = office_content(&state, &requester, &params, &ctx).await;
    page_or_error(built, ctx)
}

/// `POST /facility/office/cycles/{id}/assign`: assigns the cycle's reviewers.
pub async fn assign_submit(press: ButtonPress) -> Response {
    let next = format!("/facility/office?cycle={}&notice=assigned", press.id);
    let cycle = CycleId(press.id);
    press
        .act("/facility/office", &next, async |app, requester| {
            app.beamtime().assign_reviewers(requester, cycle).await
        })
        .await
}

/// `POST /facility/office/cycles/{id}/allocate`: runs (or runs again) the allocation.
pub async fn allocate_submit(press: ButtonPress) -> Response {
    let next = format!("/facility/office?cycle={}&notice=allocated", press.id);
    let cycle = CycleId(press.id);
    press
        .act("/facility/office", &next, async |app, requester| {
            app.beamtime().run_allocation(requester, cycle).await
        })
        .await
}

#[derive(Debug, Deserialize)]
pub struct CheckFields {
    kind: Option<String>,
    /// Ticked to approve; unticked refuses.
    approved: Option<String>,
    note: Option<String>,
}

impl PageForm for CheckFields {
    const PAGE: FormPage = FormPage::Fixed("/facility/office");
}

/// `POST /facility/office/proposals/{id}/check`: records a feasibility or safety verdict.
pub async fn check_submit(
    State(state): State<Arc<AppState>>,
    Path(id): Path<i64>,
    form: SignedInForm<CheckFields>,
) -> Response {
    let result = async {
        let kind = CheckKind::parse(field_text(&form.fields.kind))?;
        let recorded = state
            .app
            .beamtime()
            .record_check(
                &form.requester,
                ProposalId(id),
                kind,
                ticked(&form.fields.approved),
                field_text(&form.fields.note),
            )
            .await?;
        Ok::<_, ApiError>(recorded.cycle)
    }
    .await;
    match result {
        Ok(cycle) => see_page(&format!(
            "/facility/office?cycle={}&notice=checked",
            cycle.0
        )),
        Err(error) => page_error(error, form.ctx),
    }
}

#[derive(Debug, Deserialize)]
pub struct LostDayFields {
    day: Option<String>,
}

impl PageForm for LostDayFields {
    const PAGE: FormPage = FormPage::Fixed("/facility/office");
}

/// `POST /facility/office/cycles/{id}/lost-day`: closes a day whose beam was lost and
/// re-plans the shifts that were on it.
pub async fn lost_day_submit(
    State(state): State<Arc<AppState>>,
    Path(id): Path<i64>,
    form: SignedInForm<LostDayFields>,
) -> Response {
    let result = async {
        let text = field_text(&form.fields.day);
        let day: jiff::civil::Date = text.parse().map_err(|_| {
            ApiError::invalid("day", format!("{text:?} is not a date like 2027-04-05"))
        })?;
        state
            .app
            .beamtime()
            .record_lost_day(&form.requester, CycleId(id), day)
            .await
            .map_err(ApiError::from)
    }
    .await;
    match result {
        Ok(_) => see_page(&format!("/facility/office?cycle={id}&notice=replanned")),
        Err(error) => page_error(error, form.ctx),
    }
}
