//! The light source's user programme on the web, for teams: the call page (`/facility`) with
//! the cycles and beamlines, a cycle's page with its published schedule (a Gantt chart) and
//! statistics, the proposal form, and "my proposals" with the allocation's decisions. The
//! user office's console and the reviewers' queue are in `facility_office`.
//!
//! What each visitor may do and the limits of a proposal are the application layer's
//! (`corridor_app::beamtime`), the same operations the API calls; a refused form is shown
//! again with the reason and what was typed, never lost.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use askama::Template;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use corridor_app::beamtime::{ProgrammeAccess, ProposalForm, ProposalView, PublishedSchedule};
use corridor_app::{Actor, AppError};
use corridor_domain::facility::allocation::ProposalType;
use corridor_domain::facility::proposal::{Cycle, CycleId, Discipline, ProposalDraft};
use corridor_domain::facility::ProposalId;
use corridor_domain::{Beamline, BeamlineId, EmailAddress};
use jiff::tz::TimeZone;
use serde::Deserialize;

use super::forms::{field_text, read_signed_in_form, see_page};
use super::gantt::{gantt_svg, GanttBar};
use super::{page_or_error, PageContext, PageError};
use crate::auth::Requester;
use crate::extract::{Path, Query};
use crate::problem::ApiError;
use crate::AppState;
use corridor_app::beamtime::CycleStatistics;

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
pub struct ProgrammeLinks {
    pub signed_in: bool,
    pub reviewer: bool,
    pub user_office: bool,
}

pub fn programme_links(access: ProgrammeAccess) -> ProgrammeLinks {
    ProgrammeLinks {
        signed_in: access.signed_in,
        reviewer: access.reviews_proposals,
        user_office: access.runs_a_user_office,
    }
}

#[derive(Template)]
#[template(path = "facility.html")]
struct FacilityTemplate {
    ctx: PageContext,
    links: ProgrammeLinks,
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
            links: programme_links(programme.access),
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
    let cycle = &schedule.cycle;
    let rows: Vec<String> = schedule
        .beamlines
        .iter()
        .map(|beamline| beamline.code.clone())
        .collect();
    let row_of: HashMap<BeamlineId, usize> = schedule
        .beamlines
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
    links: ProgrammeLinks,
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
            links: programme_links(overview.access),
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

/// What the proposal form sent (and shows again when refused).
#[derive(Debug, Default, Clone, Deserialize)]
pub struct ProposalFields {
    proposal_type: Option<String>,
    discipline: Option<String>,
    title: Option<String>,
    summary: Option<String>,
    techniques: Option<String>,
    samples: Option<String>,
    /// Team members' e-mail addresses, separated by commas or lines.
    team: Option<String>,
    beamline_1: Option<String>,
    shifts_1: Option<String>,
    beamline_2: Option<String>,
    shifts_2: Option<String>,
    /// Dates the team cannot come, separated by commas.
    unavailable_days: Option<String>,
    /// `submit` or `draft`: which button was pressed.
    action: Option<String>,
}

pub struct ChoiceOption {
    pub code: &'static str,
    pub label: &'static str,
    pub chosen: bool,
}

pub struct RequestRow {
    pub beamline_field: &'static str,
    pub shifts_field: &'static str,
    pub chosen: String,
    pub shifts: String,
}

#[derive(Template)]
#[template(path = "facility_propose.html")]
struct ProposeTemplate {
    ctx: PageContext,
    cycle: CycleRow,
    beamlines: Vec<BeamlineRow>,
    types: Vec<ChoiceOption>,
    disciplines: Vec<ChoiceOption>,
    request_rows: Vec<RequestRow>,
    fields: ProposalFields,
    error: Option<String>,
}

fn discipline_label(discipline: Discipline, ctx: &PageContext) -> &'static str {
    let (english, chinese) = match discipline {
        Discipline::LifeSciences => ("Life sciences", "生命科学"),
        Discipline::Chemistry => ("Chemistry", "化学"),
        Discipline::Materials => ("Materials", "材料科学"),
        Discipline::Physics => ("Physics", "物理"),
        Discipline::EarthAndEnvironment => ("Earth and environment", "地球与环境"),
        Discipline::EngineeringAndHeritage => ("Engineering and heritage", "工程与文化遗产"),
    };
    ctx.name(english, chinese)
}

impl ProposeTemplate {
    fn value<'a>(&self, field: &'a Option<String>) -> &'a str {
        field.as_deref().unwrap_or("")
    }
}

fn render_propose(
    ctx: PageContext,
    form: &ProposalForm,
    zone: &TimeZone,
    fields: ProposalFields,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let chosen_type = fields.proposal_type.clone().unwrap_or_default();
    let chosen_discipline = fields.discipline.clone().unwrap_or_default();
    let types = [
        ("general", "General", "普通"),
        ("rapid_access", "Rapid access", "快速通道"),
        ("long_term", "Long-term / key", "长期/重点课题"),
        (
            "proprietary",
            "Proprietary (paid, industry)",
            "专有（企业付费）",
        ),
    ]
    .into_iter()
    .map(|(code, english, chinese)| ChoiceOption {
        code,
        label: ctx.name(english, chinese),
        chosen: chosen_type == code,
    })
    .collect();
    let disciplines = Discipline::ALL
        .into_iter()
        .map(|discipline| ChoiceOption {
            code: discipline.as_code(),
            label: discipline_label(discipline, &ctx),
            chosen: chosen_discipline == discipline.as_code(),
        })
        .collect();
    let request_rows = vec![
        RequestRow {
            beamline_field: "beamline_1",
            shifts_field: "shifts_1",
            chosen: field_text(&fields.beamline_1).to_owned(),
            shifts: field_text(&fields.shifts_1).to_owned(),
        },
        RequestRow {
            beamline_field: "beamline_2",
            shifts_field: "shifts_2",
            chosen: field_text(&fields.beamline_2).to_owned(),
            shifts: field_text(&fields.shifts_2).to_owned(),
        },
    ];
    let page = ProposeTemplate {
        cycle: cycle_row(&form.cycle, corridor_store::now(), zone),
        beamlines: beamline_rows(&form.beamlines, &ctx),
        types,
        disciplines,
        request_rows,
        fields,
        error,
        ctx,
    };
    super::respond_with_page(status, page, |page| page.ctx)
}

/// `GET /facility/cycles/{id}/propose`: the proposal form.
pub async fn propose_page(
    State(state): State<Arc<AppState>>,
    requester: Requester,
    Path(id): Path<i64>,
    request: Request,
) -> Response {
    let ctx = PageContext::new(
        &requester,
        request.extensions(),
        &format!("/facility/cycles/{id}/propose"),
    );
    match state
        .app
        .beamtime()
        .proposal_form(&requester, CycleId(id))
        .await
    {
        Ok(form) => {
            let fields = ProposalFields {
                proposal_type: Some("general".into()),
                shifts_1: Some("9".into()),
                ..ProposalFields::default()
            };
            render_propose(
                ctx,
                &form,
                state.app.region_time_zone(),
                fields,
                None,
                StatusCode::OK,
            )
        }
        Err(error) => PageError {
            error: error.into(),
            context: ctx,
        }
        .into_response(),
    }
}

/// What the form chose from its lists: the proposal type, the panel and the shift requests.
struct Choices {
    proposal_type: ProposalType,
    discipline: Discipline,
    requests: Vec<(BeamlineId, u32)>,
}

/// The proposal type, discipline and shift requests the form chose, or the first thing wrong
/// with them in the page's words.
fn chosen_requests(fields: &ProposalFields, ctx: &PageContext) -> Result<Choices, String> {
    let wrong = |english: &str, chinese: &str| ctx.name(english, chinese).to_owned();
    let proposal_type = ProposalType::parse(field_text(&fields.proposal_type))
        .map_err(|_| wrong("Choose a proposal type.", "请选择申请类型。"))?;
    let discipline = Discipline::parse(field_text(&fields.discipline)).map_err(|_| {
        wrong(
            "Choose a discipline (review panel).",
            "请选择学科（评审组）。",
        )
    })?;
    let mut requests = Vec::new();
    for (beamline, shifts) in [
        (&fields.beamline_1, &fields.shifts_1),
        (&fields.beamline_2, &fields.shifts_2),
    ] {
        let beamline = field_text(beamline);
        if beamline.is_empty() {
            continue;
        }
        let beamline: i64 = beamline
            .parse()
            .map_err(|_| wrong("Choose a beamline from the list.", "请从列表中选择光束线。"))?;
        let shifts: u32 = field_text(shifts)
            .parse()
            .map_err(|_| wrong("Shifts must be a whole number.", "机时班次须为整数。"))?;
        requests.push((BeamlineId(beamline), shifts));
    }
    Ok(Choices {
        proposal_type,
        discipline,
        requests,
    })
}

/// The team members the form names by e-mail address, or the first address that is wrong
/// or unknown in the page's words (the outer error is a failure to look them up).
async fn team_of(
    state: &AppState,
    actor: &Actor,
    fields: &ProposalFields,
    ctx: &PageContext,
) -> Result<Result<Vec<corridor_domain::UserId>, String>, ApiError> {
    let wrong = |english: &str, chinese: &str| ctx.name(english, chinese).to_owned();
    let mut team = Vec::new();
    for address in field_text(&fields.team)
        .split([',', '\n', ';'])
        .map(str::trim)
        .filter(|text| !text.is_empty())
    {
        let Ok(email) = EmailAddress::parse(address) else {
            return Ok(Err(format!(
                "{}: {address}",
                wrong("Not an e-mail address", "不是有效的电子邮件地址")
            )));
        };
        match state.app.beamtime().team_member(actor, &email).await? {
            Some(member) => team.push(member),
            None => {
                return Ok(Err(format!(
                    "{}: {address}",
                    wrong(
                        "Nobody on Corridor has this address",
                        "Corridor 上没有此地址的用户"
                    )
                )))
            }
        }
    }
    Ok(Ok(team))
}

/// The days the form says the team cannot come, or the first one that is not a date.
fn unavailable_days_of(
    fields: &ProposalFields,
    ctx: &PageContext,
) -> Result<Vec<jiff::civil::Date>, String> {
    let mut unavailable_days = BTreeSet::new();
    for day in field_text(&fields.unavailable_days)
        .split([',', '\n', ' '])
        .map(str::trim)
        .filter(|text| !text.is_empty())
    {
        unavailable_days.insert(day.parse::<jiff::civil::Date>().map_err(|_| {
            format!(
                "{}: {day}",
                ctx.name("Not a date like 2027-04-05", "日期格式应为 2027-04-05")
            )
        })?);
    }
    Ok(unavailable_days.into_iter().collect())
}

/// The draft the form describes, or the first thing wrong with it in the page's words (the
/// outer error is a failure to look up the team, shown as an error page). Its limits are the
/// application layer's, checked when it is drafted.
async fn draft_from_fields(
    state: &AppState,
    actor: &Actor,
    fields: &ProposalFields,
    ctx: &PageContext,
) -> Result<Result<ProposalDraft, String>, ApiError> {
    let Choices {
        proposal_type,
        discipline,
        requests,
    } = match chosen_requests(fields, ctx) {
        Ok(chosen) => chosen,
        Err(message) => return Ok(Err(message)),
    };
    let team = match team_of(state, actor, fields, ctx).await? {
        Ok(team) => team,
        Err(message) => return Ok(Err(message)),
    };
    let unavailable_days = match unavailable_days_of(fields, ctx) {
        Ok(days) => days,
        Err(message) => return Ok(Err(message)),
    };
    Ok(Ok(ProposalDraft {
        proposal_type,
        discipline,
        title: field_text(&fields.title).to_owned(),
        summary: field_text(&fields.summary).to_owned(),
        techniques: field_text(&fields.techniques)
            .split(',')
            .map(str::trim)
            .filter(|term| !term.is_empty())
            .map(str::to_owned)
            .collect(),
        team,
        samples: field_text(&fields.samples).to_owned(),
        resubmission_of: None,
        declared_conflicts: Vec::new(),
        requests,
        unavailable_days,
    }))
}

/// `POST /facility/cycles/{id}/propose`: saves a draft, or submits (refused whole when the
/// proposal is incomplete or the call closed).
pub async fn propose_submit(
    State(state): State<Arc<AppState>>,
    requester: Requester,
    Path(id): Path<i64>,
    request: Request,
) -> Response {
    let page_path = format!("/facility/cycles/{id}/propose");
    let form =
        match read_signed_in_form::<ProposalFields>(&state, requester, request, &page_path).await {
            Ok(form) => form,
            Err(error) => return error.into_response(),
        };
    let (ctx, requester, fields) = (form.ctx, form.requester, form.fields);
    let beamtime = state.app.beamtime();
    let zone = state.app.region_time_zone();
    let proposal_form = match beamtime.proposal_form(&requester, CycleId(id)).await {
        Ok(proposal_form) => proposal_form,
        Err(error) => {
            return PageError {
                error: error.into(),
                context: ctx,
            }
            .into_response()
        }
    };
    let refused = |ctx: PageContext, fields: ProposalFields, message: String| {
        render_propose(
            ctx,
            &proposal_form,
            zone,
            fields,
            Some(message),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
    };
    let draft = match draft_from_fields(&state, &requester, &fields, &ctx).await {
        Ok(Ok(draft)) => draft,
        Ok(Err(message)) => return refused(ctx, fields, message),
        Err(error) => {
            return PageError {
                error,
                context: ctx,
            }
            .into_response()
        }
    };
    let submit = field_text(&fields.action) != "draft";
    match beamtime
        .draft_proposal(&requester, proposal_form.cycle.id, draft, submit)
        .await
    {
        Ok(record) => see_page(&format!(
            "/facility/proposals?notice={}&proposal={}",
            if submit { "submitted" } else { "drafted" },
            record.id.0
        )),
        // A refused submission or a refused field: the form again, with what was typed.
        Err(AppError::Refused(refusal)) => refused(ctx, fields, refusal.to_string()),
        Err(AppError::Invalid { field, reason }) => {
            refused(ctx, fields, format!("{field}: {reason}"))
        }
        Err(error) => PageError {
            error: error.into(),
            context: ctx,
        }
        .into_response(),
    }
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

#[derive(Debug, Deserialize)]
pub struct NoFields {}

/// `POST /facility/proposals/{id}/submit`.
pub async fn submit_submit(
    State(state): State<Arc<AppState>>,
    requester: Requester,
    Path(id): Path<i64>,
    request: Request,
) -> Response {
    let form =
        match read_signed_in_form::<NoFields>(&state, requester, request, "/facility/proposals")
            .await
        {
            Ok(form) => form,
            Err(error) => return error.into_response(),
        };
    match state
        .app
        .beamtime()
        .submit_proposal(&form.requester, ProposalId(id))
        .await
    {
        Ok(_) => see_page(&format!(
            "/facility/proposals?notice=submitted&proposal={id}"
        )),
        Err(error) => PageError {
            error: error.into(),
            context: form.ctx,
        }
        .into_response(),
    }
}

/// `POST /facility/proposals/{id}/withdraw`.
pub async fn withdraw_submit(
    State(state): State<Arc<AppState>>,
    requester: Requester,
    Path(id): Path<i64>,
    request: Request,
) -> Response {
    let form =
        match read_signed_in_form::<NoFields>(&state, requester, request, "/facility/proposals")
            .await
        {
            Ok(form) => form,
            Err(error) => return error.into_response(),
        };
    match state
        .app
        .beamtime()
        .withdraw_proposal(&form.requester, ProposalId(id))
        .await
    {
        Ok(_) => see_page(&format!(
            "/facility/proposals?notice=withdrawn&proposal={id}"
        )),
        Err(error) => PageError {
            error: error.into(),
            context: form.ctx,
        }
        .into_response(),
    }
}
