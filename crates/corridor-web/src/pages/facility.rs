//! The light source's user programme on the web, for teams: the call page (`/facility`) with
//! the cycles and beamlines, a cycle's page with its published schedule (a Gantt chart) and
//! statistics, the proposal form, and "my proposals" with the allocation's decisions. The
//! user office's console and the reviewers' queue are in `facility_office`.
//!
//! The rules are the domain's and the store's, reached through the same functions the API
//! uses; a refused form is shown again with the reason and what was typed, never lost.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use askama::Template;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use corridor_domain::facility::allocation::ProposalType;
use corridor_domain::facility::proposal::{Cycle, CycleId, Discipline, ProposalDraft};
use corridor_domain::facility::ProposalId;
use corridor_domain::{Beamline, BeamlineId, EmailAddress, Role, User};
use serde::Deserialize;

use super::forms::{field_text, read_signed_in_form, see_page, to_sign_in};
use super::gantt::{gantt_svg, GanttBar};
use super::{page_or_error, PageContext, PageError};
use crate::api::facility::{cycle_of, published_schedule, submission_refused, FACILITY_TIME_ZONE};
use crate::auth::Requester;
use crate::extract::{Path, Query};
use crate::problem::ApiError;
use crate::AppState;
use corridor_app::beamtime::{beamlines_of, cycle_statistics, CycleStatistics};

pub struct CycleRow {
    pub id: i64,
    pub name: String,
    pub call: String,
    pub call_open: bool,
    pub beam: String,
    pub user_shifts: u32,
}

pub fn cycle_row(cycle: &Cycle, now: jiff::Timestamp) -> CycleRow {
    let zone = super::vouchers::region_zone();
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

pub fn programme_links(user: Option<&User>) -> ProgrammeLinks {
    ProgrammeLinks {
        signed_in: user.is_some(),
        reviewer: user.is_some_and(|user| {
            user.has_role(Role::Reviewer) || user.has_role(Role::PlatformAdmin)
        }),
        user_office: user.is_some_and(|user| {
            user.has_role(Role::FacilityUserOffice) || user.has_role(Role::PlatformAdmin)
        }),
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
        let cycles = state.store.cycles(None).await?;
        let mut beamlines = state.store.beamlines(None).await?;
        beamlines.sort_by_key(|beamline| beamline.id);
        Ok::<_, ApiError>(FacilityTemplate {
            links: programme_links(requester.user.as_ref()),
            cycles: cycles.iter().map(|cycle| cycle_row(cycle, now)).collect(),
            beamlines: beamline_rows(&beamlines, &ctx),
            ctx: ctx.clone(),
        })
    }
    .await;
    page_or_error(built, ctx)
}

/// The Gantt chart of a cycle's published schedule.
pub async fn schedule_chart(state: &AppState, cycle: &Cycle) -> Result<(String, usize), ApiError> {
    let beamlines = beamlines_of(state.store.as_ref(), cycle).await?;
    let rows: Vec<String> = beamlines
        .iter()
        .map(|beamline| beamline.code.clone())
        .collect();
    let row_of: HashMap<i64, usize> = beamlines
        .iter()
        .enumerate()
        .map(|(index, beamline)| (beamline.id.0, index))
        .collect();
    let kinds: HashMap<ProposalId, ProposalType> = state
        .store
        .proposals_of_cycle(cycle.id, None)
        .await?
        .into_iter()
        .map(|record| (record.id, record.draft.proposal_type))
        .collect();
    let schedule = published_schedule(state, cycle).await?;
    let bars: Vec<GanttBar> = schedule
        .blocks
        .iter()
        .filter_map(|block| {
            Some(GanttBar {
                row: *row_of.get(&block.beamline_id)?,
                first_shift: block.first_shift,
                shifts: block.shifts,
                kind: kinds
                    .get(&ProposalId(block.proposal_id))
                    .map_or("general", |kind| kind.as_code()),
                label: format!(
                    "{} · #{} {} · {} → {}",
                    block.beamline_code,
                    block.proposal_id,
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
    Ok((gantt_svg(&rows, cycle.days(), &closed, &bars), bars.len()))
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
    time_zone: &'static str,
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
        let cycle = cycle_of(&state, id).await?;
        let statistics = cycle_statistics(state.store.as_ref(), &cycle).await?;
        let (gantt, blocks) = schedule_chart(&state, &cycle).await?;
        Ok::<_, ApiError>(CycleTemplate {
            links: programme_links(requester.user.as_ref()),
            cycle: cycle_row(&cycle, corridor_store::now()),
            share_from_region: percent(statistics.share_from_region),
            share_from_region_granted: percent(statistics.share_from_region_granted),
            statistics,
            gantt,
            blocks,
            time_zone: FACILITY_TIME_ZONE,
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

async fn render_propose(
    state: &AppState,
    ctx: PageContext,
    cycle: &Cycle,
    fields: ProposalFields,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let beamlines = match beamlines_of(state.store.as_ref(), cycle).await {
        Ok(beamlines) => beamlines,
        Err(error) => {
            return PageError {
                error: error.into(),
                context: ctx,
            }
            .into_response()
        }
    };
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
        cycle: cycle_row(cycle, corridor_store::now()),
        beamlines: beamline_rows(&beamlines, &ctx),
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
    if requester.user.is_none() {
        return to_sign_in();
    }
    match cycle_of(&state, id).await {
        Ok(cycle) => {
            let fields = ProposalFields {
                proposal_type: Some("general".into()),
                shifts_1: Some("9".into()),
                ..ProposalFields::default()
            };
            render_propose(&state, ctx, &cycle, fields, None, StatusCode::OK).await
        }
        Err(error) => PageError {
            error,
            context: ctx,
        }
        .into_response(),
    }
}

/// The draft the form describes, or the first thing wrong with it.
async fn draft_from_fields(
    state: &AppState,
    fields: &ProposalFields,
    ctx: &PageContext,
) -> Result<ProposalDraft, String> {
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
    let mut team = Vec::new();
    for address in field_text(&fields.team)
        .split([',', '\n', ';'])
        .map(str::trim)
        .filter(|text| !text.is_empty())
    {
        let email = EmailAddress::parse(address).map_err(|_| {
            format!(
                "{}: {address}",
                wrong("Not an e-mail address", "不是有效的电子邮件地址")
            )
        })?;
        let member = state
            .store
            .sign_in_candidate(&email)
            .await
            .map_err(|error| error.to_string())?
            .ok_or_else(|| {
                format!(
                    "{}: {address}",
                    wrong(
                        "Nobody on Corridor has this address",
                        "Corridor 上没有此地址的用户"
                    )
                )
            })?;
        team.push(member.user.id);
    }
    let mut unavailable_days = BTreeSet::new();
    for day in field_text(&fields.unavailable_days)
        .split([',', '\n', ' '])
        .map(str::trim)
        .filter(|text| !text.is_empty())
    {
        unavailable_days.insert(day.parse::<jiff::civil::Date>().map_err(|_| {
            format!(
                "{}: {day}",
                wrong("Not a date like 2027-04-05", "日期格式应为 2027-04-05")
            )
        })?);
    }
    Ok(ProposalDraft {
        proposal_type,
        discipline,
        title: field_text(&fields.title).to_owned(),
        summary: field_text(&fields.summary).to_owned(),
        techniques: field_text(&fields.techniques)
            .split(',')
            .map(|term| term.trim().to_lowercase())
            .filter(|term| !term.is_empty())
            .collect(),
        team,
        samples: field_text(&fields.samples).to_owned(),
        resubmission_of: None,
        declared_conflicts: Vec::new(),
        requests,
        unavailable_days: unavailable_days.into_iter().collect(),
    })
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
    let (ctx, requester, user, fields) = (form.ctx, form.requester, form.user, form.fields);
    let cycle = match cycle_of(&state, id).await {
        Ok(cycle) => cycle,
        Err(error) => {
            return PageError {
                error,
                context: ctx,
            }
            .into_response()
        }
    };
    let draft = match draft_from_fields(&state, &fields, &ctx).await {
        Ok(draft) => draft,
        Err(message) => {
            return render_propose(
                &state,
                ctx,
                &cycle,
                fields,
                Some(message),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    };
    let submit = field_text(&fields.action) != "draft";
    let now = corridor_store::now();
    let context = requester.audit_context();
    let result = if submit {
        match state
            .store
            .create_submitted_proposal(cycle.id, user.id, &draft, now, &context)
            .await
        {
            Ok(Ok(record)) => Ok(record.id),
            Ok(Err(refusal)) => {
                let message = submission_refused(&refusal).to_string();
                return render_propose(
                    &state,
                    ctx,
                    &cycle,
                    fields,
                    Some(message),
                    StatusCode::UNPROCESSABLE_ENTITY,
                )
                .await;
            }
            Err(error) => Err(ApiError::from(error)),
        }
    } else {
        state
            .store
            .create_proposal(cycle.id, user.id, &draft, now, &context)
            .await
            .map(|record| record.id)
            .map_err(ApiError::from)
    };
    match result {
        Ok(proposal) => see_page(&format!(
            "/facility/proposals?notice={}&proposal={}",
            if submit { "submitted" } else { "drafted" },
            proposal.0
        )),
        Err(ApiError::InvalidParameter { parameter, reason }) => {
            render_propose(
                &state,
                ctx,
                &cycle,
                fields,
                Some(format!("{parameter}: {reason}")),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(error) => PageError {
            error,
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
    let Some(user) = requester.user.as_ref() else {
        return to_sign_in();
    };
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
        let now = corridor_store::now();
        let records = state.store.proposals_of_user(user.id).await?;
        let mut cycles: HashMap<CycleId, Cycle> = HashMap::new();
        let mut codes: HashMap<BeamlineId, String> = HashMap::new();
        let mut decisions_of: HashMap<CycleId, Vec<corridor_store::facility::StoredDecision>> =
            HashMap::new();
        let mut rows = Vec::new();
        for record in &records {
            if let std::collections::hash_map::Entry::Vacant(entry) = cycles.entry(record.cycle) {
                let cycle = cycle_of(&state, record.cycle.0).await?;
                for beamline in state.store.beamlines(Some(cycle.facility)).await? {
                    codes.insert(beamline.id, beamline.code);
                }
                decisions_of.insert(
                    record.cycle,
                    state.store.decisions_of_cycle(record.cycle).await?,
                );
                entry.insert(cycle);
            }
            let cycle = &cycles[&record.cycle];
            let code = |beamline: &BeamlineId| {
                codes
                    .get(beamline)
                    .cloned()
                    .unwrap_or_else(|| format!("#{}", beamline.0))
            };
            let is_principal = record.principal == user.id;
            rows.push(ProposalRow {
                id: record.id.0,
                cycle: cycle.name.clone(),
                cycle_id: cycle.id.0,
                title: record.draft.title.clone(),
                status: record.status.as_code(),
                proposal_type: record.draft.proposal_type.as_code(),
                requests: record
                    .draft
                    .requests
                    .iter()
                    .map(|(beamline, shifts)| format!("{} × {shifts}", code(beamline)))
                    .collect::<Vec<_>>()
                    .join(", "),
                decisions: decisions_of[&record.cycle]
                    .iter()
                    .filter(|decision| decision.proposal == record.id)
                    .map(|decision| DecisionRow {
                        fee: (decision.fee_fen > 0)
                            .then(|| corridor_domain::Fen(decision.fee_fen).to_string()),
                        beamline: code(&decision.beamline),
                        requested: decision.requested,
                        granted: decision.granted,
                        reason: decision.reason.clone(),
                        explanation: decision.explanation.clone(),
                    })
                    .collect(),
                is_principal,
                may_submit: is_principal
                    && record.status.as_code() == "draft"
                    && cycle.call_is_open(now),
                may_withdraw: is_principal && record.status.as_code() != "withdrawn",
                highlighted: highlighted == Some(record.id.0),
            });
        }
        let notifications = state
            .store
            .notifications_of_user(user.id, 20)
            .await?
            .into_iter()
            .map(|note| NotificationRow {
                subject: note.subject,
                body: note.body,
                created_at: super::vouchers::region_time_text(note.created_at),
            })
            .collect();
        Ok::<_, ApiError>(ProposalsTemplate {
            notice: notice.clone(),
            rows,
            notifications,
            ctx: ctx.clone(),
        })
    }
    .await;
    page_or_error(built, ctx)
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
    let result = state
        .store
        .submit_proposal(
            ProposalId(id),
            form.user.id,
            corridor_store::now(),
            &form.requester.audit_context(),
        )
        .await
        .map_err(ApiError::from)
        .and_then(|outcome| outcome.map_err(|refusal| submission_refused(&refusal)));
    match result {
        Ok(_) => see_page(&format!(
            "/facility/proposals?notice=submitted&proposal={id}"
        )),
        Err(error) => PageError {
            error,
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
        .store
        .withdraw_proposal(
            ProposalId(id),
            form.user.id,
            corridor_store::now(),
            &form.requester.audit_context(),
        )
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
