//! The proposal form (`/facility/cycles/{id}/propose`): a draft or a submission, shown again
//! with the reason and what was typed when it is refused. The form's text is parsed here;
//! its limits and who may propose are the application layer's.

use std::collections::BTreeSet;
use std::sync::Arc;

use askama::Template;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::Response;
use corridor_app::beamtime::ProposalForm;
use corridor_app::{Actor, AppError};
use corridor_domain::facility::allocation::ProposalType;
use corridor_domain::facility::proposal::{CycleId, Discipline, ProposalDraft};
use corridor_domain::{BeamlineId, EmailAddress};
use jiff::tz::TimeZone;
use serde::Deserialize;

use super::{beamline_rows, cycle_row, BeamlineRow, CycleRow};
use crate::auth::Requester;
use crate::extract::Path;
use crate::pages::forms::{field_text, see_page, FormPage, PageForm, SignedInForm};
use crate::pages::page_error;
use crate::pages::PageContext;
use crate::problem::ApiError;
use crate::AppState;

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

impl PageForm for ProposalFields {
    const PAGE: FormPage = FormPage::FirstSegments(4);
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
    crate::pages::respond_with_page(status, page, |page| page.ctx)
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
        Err(error) => page_error(error, ctx),
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
    Path(id): Path<i64>,
    form: SignedInForm<ProposalFields>,
) -> Response {
    let (ctx, requester, fields) = (form.ctx, form.requester, form.fields);
    let beamtime = state.app.beamtime();
    let zone = state.app.region_time_zone();
    let proposal_form = match beamtime.proposal_form(&requester, CycleId(id)).await {
        Ok(proposal_form) => proposal_form,
        Err(error) => return page_error(error, ctx),
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
        Err(error) => return page_error(error, ctx),
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
        Err(error) => page_error(error, ctx),
    }
}
