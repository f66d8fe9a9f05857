//! The large-facility user programme: cycles and their calls, proposals, feasibility and
//! safety checks, reviewers and reviews, the allocation, the published schedule (JSON and
//! iCal), the cycle's statistics and the notifications to teams.
//!
//! Who may do what: cycles, schedules and statistics are public, like a facility's published
//! beam schedule; any signed-in user proposes, and sees the proposals they lead or are on; the
//! facility's user office (and platform admins) creates cycles, checks proposals, sets
//! reviewer profiles, assigns reviewers and runs the allocation; reviewers see and grade the
//! proposals assigned to them. Proposals are hidden (404) from everyone else.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use corridor_domain::facility::allocation::ProposalType;
use corridor_domain::facility::proposal::{
    ClosedDay, ClosedReason, Cycle, CycleId, Discipline, ProposalDraft, ProposalStatus,
    SubmissionRefusal,
};
use corridor_domain::facility::ProposalId;
use corridor_domain::ical::{render_feed, CalendarFeed, FeedEvent, FeedEventStatus};
use corridor_domain::{BeamlineId, InstitutionId, Role, TimeZoneName, User, UserId};
use corridor_store::facility::{CheckKind, CheckRecord, ProposalRecord};

pub use super::facility_dto::*;
use crate::auth::Requester;
use crate::extract::{Json, Path, Query};
use crate::problem::{ApiError, Problem};
use corridor_app::beamtime as programme;

use super::facility_summaries::{
    AllocationSummary, CycleStatistics, ReplanSummary, ReviewAssignmentSummary,
};
use crate::AppState;

/// The facility's local time zone: shifts are planned in it.
pub const FACILITY_TIME_ZONE: &str = "Asia/Shanghai";

pub async fn cycle_of(state: &AppState, id: i64) -> Result<Cycle, ApiError> {
    state
        .store
        .cycle(CycleId(id))
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no proposal cycle {id}")))
}

/// The cycle `id`, checked to be of a facility whose user office `user` runs.
pub async fn user_office_cycle(state: &AppState, user: &User, id: i64) -> Result<Cycle, ApiError> {
    let cycle = cycle_of(state, id).await?;
    require_user_office(user, cycle.facility)?;
    Ok(cycle)
}

pub fn require_user_office(user: &User, facility: InstitutionId) -> Result<(), ApiError> {
    if user.runs_user_office_of(facility) {
        Ok(())
    } else {
        Err(ApiError::Forbidden(
            "only the facility's user office may do this".into(),
        ))
    }
}

fn parse_date(field: &'static str, text: &str) -> Result<jiff::civil::Date, ApiError> {
    text.trim()
        .parse()
        .map_err(|_| ApiError::invalid(field, format!("{text:?} is not a date like 2027-03-01")))
}

fn parse_instant(field: &'static str, text: &str) -> Result<jiff::Timestamp, ApiError> {
    text.trim().parse().map_err(|_| {
        ApiError::invalid(
            field,
            format!("{text:?} is not an instant like 2026-12-01T00:00:00Z"),
        )
    })
}

pub fn submission_refused(refusal: &SubmissionRefusal) -> ApiError {
    match refusal {
        SubmissionRefusal::NotADraft(_) => ApiError::Refused {
            slug: "wrong-proposal-status",
            detail: refusal.to_string(),
        },
        _ => ApiError::Refused {
            slug: "proposal-not-submittable",
            detail: refusal.to_string(),
        },
    }
}

/// The draft a proposal input describes.
pub fn draft_from_input(input: &ProposalInput) -> Result<ProposalDraft, ApiError> {
    if input.techniques.len() > 20
        || input
            .techniques
            .iter()
            .any(|term| term.trim().is_empty() || term.chars().count() > 60)
    {
        return Err(ApiError::invalid(
            "techniques",
            "at most 20 techniques of 1 to 60 characters",
        ));
    }
    if input.requests.len() > 10 {
        return Err(ApiError::invalid("requests", "at most 10 beamlines"));
    }
    if input.unavailable_days.len() > 366 {
        return Err(ApiError::invalid("unavailable_days", "at most 366 days"));
    }
    Ok(ProposalDraft {
        proposal_type: ProposalType::parse(&input.proposal_type)?,
        discipline: Discipline::parse(&input.discipline)?,
        title: corridor_domain::bounded_text("title", &input.title, 300)?,
        summary: input.summary.trim().to_owned(),
        techniques: input
            .techniques
            .iter()
            .map(|term| term.trim().to_lowercase())
            .collect(),
        team: input.team.iter().map(|id| UserId(*id)).collect(),
        samples: input.samples.trim().to_owned(),
        resubmission_of: input.resubmission_of.map(ProposalId),
        declared_conflicts: input
            .declared_conflicts
            .iter()
            .map(|id| UserId(*id))
            .collect(),
        requests: input
            .requests
            .iter()
            .map(|request| (BeamlineId(request.beamline_id), request.shifts))
            .collect(),
        unavailable_days: input
            .unavailable_days
            .iter()
            .map(|day| parse_date("unavailable_days", day))
            .collect::<Result<_, _>>()?,
    })
}

/// Whether `user` may read the proposal: its team, the facility's user office, and the
/// reviewers assigned to it.
async fn may_read_proposal(
    state: &AppState,
    user: &User,
    record: &ProposalRecord,
    facility: InstitutionId,
) -> Result<bool, ApiError> {
    if record.principal == user.id
        || record.draft.team.contains(&user.id)
        || user.runs_user_office_of(facility)
    {
        return Ok(true);
    }
    if user.has_role(Role::Reviewer) {
        let reviews = state.store.reviews_of_reviewer(user.id).await?;
        return Ok(reviews.iter().any(|review| review.proposal == record.id));
    }
    Ok(false)
}

async fn beamline_codes(
    state: &AppState,
    facility: InstitutionId,
) -> Result<HashMap<BeamlineId, String>, ApiError> {
    Ok(state
        .store
        .beamlines(Some(facility))
        .await?
        .into_iter()
        .map(|beamline| (beamline.id, beamline.code))
        .collect())
}

async fn proposal_dto(
    state: &AppState,
    record: &ProposalRecord,
    facility: InstitutionId,
) -> Result<ProposalDto, ApiError> {
    let codes = beamline_codes(state, facility).await?;
    let decisions = state
        .store
        .decisions_of_cycle(record.cycle)
        .await?
        .iter()
        .filter(|decision| decision.proposal == record.id)
        .map(|decision| {
            DecisionDto::new(
                decision,
                codes
                    .get(&decision.beamline)
                    .map(String::as_str)
                    .unwrap_or("?"),
            )
        })
        .collect();
    Ok(ProposalDto::new(record, decisions))
}

const PROBLEM: &str = "application/problem+json";

#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CycleListParams {
    /// Only this facility's cycles (its operating institution's id).
    pub facility: Option<i64>,
}

/// Proposal cycles, newest first.
#[utoipa::path(get, path = "/facility/cycles", tag = "facility", params(CycleListParams),
    responses((status = 200, body = Vec<CycleDto>), (status = 400, body = Problem, content_type = PROBLEM)))]
pub async fn list_cycles(
    State(state): State<Arc<AppState>>,
    Query(params): Query<CycleListParams>,
) -> Result<Json<Vec<CycleDto>>, ApiError> {
    let now = corridor_store::now();
    let cycles = state
        .store
        .cycles(params.facility.map(InstitutionId))
        .await?;
    Ok(Json(
        cycles
            .iter()
            .map(|cycle| CycleDto::new(cycle, now))
            .collect(),
    ))
}

#[utoipa::path(get, path = "/facility/cycles/{id}", tag = "facility", params(("id" = i64, Path, description = "Cycle id")),
    responses((status = 200, body = CycleDto), (status = 404, body = Problem, content_type = PROBLEM)))]
pub async fn get_cycle(
    State(state): State<Arc<AppState>>,
    Path(id): Path<i64>,
) -> Result<Json<CycleDto>, ApiError> {
    Ok(Json(CycleDto::new(
        &cycle_of(&state, id).await?,
        corridor_store::now(),
    )))
}

/// Opens a cycle: its call and its beam period with the closed days; the facility's user
/// office only.
#[utoipa::path(post, path = "/facility/cycles", tag = "facility", request_body = CycleInput, security(("bearer" = [])),
    responses((status = 201, body = CycleDto), (status = 400, body = Problem, content_type = PROBLEM),
        (status = 401, body = Problem, content_type = PROBLEM), (status = 403, body = Problem, content_type = PROBLEM),
        (status = 409, body = Problem, content_type = PROBLEM)))]
pub async fn create_cycle(
    State(state): State<Arc<AppState>>,
    requester: Requester,
    Json(input): Json<CycleInput>,
) -> Result<Response, ApiError> {
    let user = requester.require_user()?;
    let facility = InstitutionId(input.facility_id);
    require_user_office(user, facility)?;
    if input.closed_days.len() > 366 {
        return Err(ApiError::invalid("closed_days", "at most 366 days"));
    }
    let cycle = Cycle {
        id: CycleId(0),
        facility,
        name: corridor_domain::bounded_text("name", &input.name, 200)?,
        call_opens: parse_instant("call_opens", &input.call_opens)?,
        call_closes: parse_instant("call_closes", &input.call_closes)?,
        starts_on: parse_date("starts_on", &input.starts_on)?,
        ends_on: parse_date("ends_on", &input.ends_on)?,
        closed_days: input
            .closed_days
            .iter()
            .map(|closed| {
                Ok(ClosedDay {
                    day: parse_date("closed_days", &closed.day)?,
                    reason: ClosedReason::parse(&closed.reason)?,
                })
            })
            .collect::<Result<_, ApiError>>()?,
    };
    cycle.check()?;
    let stored = state
        .store
        .create_cycle(&cycle, &requester.audit_context())
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(CycleDto::new(&stored, corridor_store::now())),
    )
        .into_response())
}

#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ProposalListParams {
    /// `draft`, `submitted` or `withdrawn`.
    pub status: Option<String>,
}

/// A cycle's proposals; the facility's user office only.
#[utoipa::path(get, path = "/facility/cycles/{id}/proposals", tag = "facility", params(("id" = i64, Path, description = "Cycle id"), ProposalListParams),
    security(("bearer" = [])),
    responses((status = 200, body = Vec<ProposalDto>), (status = 400, body = Problem, content_type = PROBLEM),
        (status = 401, body = Problem, content_type = PROBLEM), (status = 403, body = Problem, content_type = PROBLEM),
        (status = 404, body = Problem, content_type = PROBLEM)))]
pub async fn list_cycle_proposals(
    State(state): State<Arc<AppState>>,
    requester: Requester,
    Path(id): Path<i64>,
    Query(params): Query<ProposalListParams>,
) -> Result<Json<Vec<ProposalDto>>, ApiError> {
    let user = requester.require_user()?;
    let status = params
        .status
        .as_deref()
        .map(ProposalStatus::parse)
        .transpose()?;
    let cycle = user_office_cycle(&state, user, id).await?;
    let codes = beamline_codes(&state, cycle.facility).await?;
    let mut decisions: HashMap<ProposalId, Vec<DecisionDto>> = HashMap::new();
    for decision in state.store.decisions_of_cycle(cycle.id).await? {
        let code = codes
            .get(&decision.beamline)
            .map(String::as_str)
            .unwrap_or("?");
        decisions
            .entry(decision.proposal)
            .or_default()
            .push(DecisionDto::new(&decision, code));
    }
    let proposals = state.store.proposals_of_cycle(cycle.id, status).await?;
    Ok(Json(
        proposals
            .iter()
            .map(|record| {
                ProposalDto::new(record, decisions.remove(&record.id).unwrap_or_default())
            })
            .collect(),
    ))
}

/// Drafts a proposal to the cycle with the caller as principal investigator; with
/// `submit: true` it is submitted at once (while the call is open).
#[utoipa::path(post, path = "/facility/cycles/{id}/proposals", tag = "facility", request_body = ProposalInput, security(("bearer" = [])),
    params(("id" = i64, Path, description = "Cycle id")),
    responses((status = 201, body = ProposalDto), (status = 400, body = Problem, content_type = PROBLEM),
        (status = 401, body = Problem, content_type = PROBLEM), (status = 404, body = Problem, content_type = PROBLEM),
        (status = 422, body = Problem, content_type = PROBLEM, description = "submission refused: the call is closed or the proposal incomplete; nothing was stored")))]
pub async fn create_proposal(
    State(state): State<Arc<AppState>>,
    requester: Requester,
    Path(id): Path<i64>,
    Json(input): Json<ProposalInput>,
) -> Result<Response, ApiError> {
    let user = requester.require_user()?;
    let cycle = cycle_of(&state, id).await?;
    let draft = draft_from_input(&input)?;
    let now = corridor_store::now();
    let context = requester.audit_context();
    // Drafted and submitted in one transaction: a refused (or interrupted) submission leaves
    // no stray draft.
    let record = if input.submit {
        state
            .store
            .create_submitted_proposal(cycle.id, user.id, &draft, now, &context)
            .await?
            .map_err(|refusal| submission_refused(&refusal))?
    } else {
        state
            .store
            .create_proposal(cycle.id, user.id, &draft, now, &context)
            .await?
    };
    Ok((
        StatusCode::CREATED,
        Json(ProposalDto::new(&record, Vec::new())),
    )
        .into_response())
}

async fn readable_proposal(
    state: &AppState,
    user: &User,
    id: i64,
) -> Result<(ProposalRecord, Cycle), ApiError> {
    let not_found = || ApiError::NotFound(format!("no proposal {id}"));
    let record = state
        .store
        .proposal(ProposalId(id))
        .await?
        .ok_or_else(not_found)?;
    let cycle = cycle_of(state, record.cycle.0).await?;
    if !may_read_proposal(state, user, &record, cycle.facility).await? {
        return Err(not_found());
    }
    Ok((record, cycle))
}

/// A proposal, with the allocation's decisions on it once the cycle is allocated; its team,
/// the user office and its reviewers only.
#[utoipa::path(get, path = "/facility/proposals/{id}", tag = "facility", params(("id" = i64, Path, description = "Proposal id")),
    security(("bearer" = [])),
    responses((status = 200, body = ProposalDto), (status = 400, body = Problem, content_type = PROBLEM),
        (status = 401, body = Problem, content_type = PROBLEM), (status = 404, body = Problem, content_type = PROBLEM)))]
pub async fn get_proposal(
    State(state): State<Arc<AppState>>,
    requester: Requester,
    Path(id): Path<i64>,
) -> Result<Json<ProposalDto>, ApiError> {
    let user = requester.require_user()?;
    let (record, cycle) = readable_proposal(&state, user, id).await?;
    Ok(Json(proposal_dto(&state, &record, cycle.facility).await?))
}

/// Submits a draft while the call is open; its principal investigator only.
#[utoipa::path(post, path = "/facility/proposals/{id}/submit", tag = "facility", params(("id" = i64, Path, description = "Proposal id")),
    security(("bearer" = [])),
    responses((status = 200, body = ProposalDto), (status = 400, body = Problem, content_type = PROBLEM),
        (status = 401, body = Problem, content_type = PROBLEM), (status = 404, body = Problem, content_type = PROBLEM),
        (status = 409, body = Problem, content_type = PROBLEM), (status = 422, body = Problem, content_type = PROBLEM)))]
pub async fn submit_proposal(
    State(state): State<Arc<AppState>>,
    requester: Requester,
    Path(id): Path<i64>,
) -> Result<Json<ProposalDto>, ApiError> {
    let user = requester.require_user()?;
    let record = state
        .store
        .submit_proposal(
            ProposalId(id),
            user.id,
            corridor_store::now(),
            &requester.audit_context(),
        )
        .await?
        .map_err(|refusal| submission_refused(&refusal))?;
    Ok(Json(ProposalDto::new(&record, Vec::new())))
}

/// Withdraws a draft or a submitted proposal; its principal investigator only.
#[utoipa::path(post, path = "/facility/proposals/{id}/withdraw", tag = "facility", params(("id" = i64, Path, description = "Proposal id")),
    security(("bearer" = [])),
    responses((status = 200, body = ProposalDto), (status = 400, body = Problem, content_type = PROBLEM),
        (status = 401, body = Problem, content_type = PROBLEM), (status = 404, body = Problem, content_type = PROBLEM),
        (status = 409, body = Problem, content_type = PROBLEM)))]
pub async fn withdraw_proposal(
    State(state): State<Arc<AppState>>,
    requester: Requester,
    Path(id): Path<i64>,
) -> Result<Json<ProposalDto>, ApiError> {
    let user = requester.require_user()?;
    let record = state
        .store
        .withdraw_proposal(
            ProposalId(id),
            user.id,
            corridor_store::now(),
            &requester.audit_context(),
        )
        .await?;
    Ok(Json(ProposalDto::new(&record, Vec::new())))
}

/// The proposals the caller leads or is on, newest first.
#[utoipa::path(get, path = "/me/proposals", tag = "facility", security(("bearer" = [])),
    responses((status = 200, body = Vec<ProposalDto>), (status = 401, body = Problem, content_type = PROBLEM)))]
pub async fn my_proposals(
    State(state): State<Arc<AppState>>,
    requester: Requester,
) -> Result<Json<Vec<ProposalDto>>, ApiError> {
    let user = requester.require_user()?;
    let records = state.store.proposals_of_user(user.id).await?;
    let mut cycles: HashMap<CycleId, Cycle> = HashMap::new();
    let mut dtos = Vec::with_capacity(records.len());
    for record in &records {
        let facility = match cycles.get(&record.cycle) {
            Some(cycle) => cycle.facility,
            None => {
                let cycle = cycle_of(&state, record.cycle.0).await?;
                let facility = cycle.facility;
                cycles.insert(record.cycle, cycle);
                facility
            }
        };
        dtos.push(proposal_dto(&state, record, facility).await?);
    }
    Ok(Json(dtos))
}

/// Records the feasibility or safety verdict on a submitted proposal (a second verdict of a
/// kind replaces the first); a refused one keeps the proposal out of review and allocation.
#[utoipa::path(post, path = "/facility/proposals/{id}/checks", tag = "facility", request_body = CheckInput, security(("bearer" = [])),
    params(("id" = i64, Path, description = "Proposal id")),
    responses((status = 201, body = CheckDto), (status = 400, body = Problem, content_type = PROBLEM),
        (status = 401, body = Problem, content_type = PROBLEM), (status = 403, body = Problem, content_type = PROBLEM),
        (status = 404, body = Problem, content_type = PROBLEM), (status = 409, body = Problem, content_type = PROBLEM)))]
pub async fn record_check(
    State(state): State<Arc<AppState>>,
    requester: Requester,
    Path(id): Path<i64>,
    Json(input): Json<CheckInput>,
) -> Result<Response, ApiError> {
    let user = requester.require_user()?;
    let record = state
        .store
        .proposal(ProposalId(id))
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no proposal {id}")))?;
    let cycle = cycle_of(&state, record.cycle.0).await?;
    require_user_office(user, cycle.facility)?;
    let check = CheckRecord {
        proposal: record.id,
        kind: CheckKind::parse(&input.kind)?,
        approved: input.approved,
        note: corridor_domain::optional_bounded_text("note", Some(&input.note), 2_000)?
            .unwrap_or_default(),
        checked_by: user.id,
        checked_at: corridor_store::now(),
    };
    let stored = state
        .store
        .record_check(&check, &requester.audit_context())
        .await?;
    Ok((StatusCode::CREATED, Json(CheckDto::from(stored))).into_response())
}

/// The checks of a cycle's proposals; the facility's user office only.
#[utoipa::path(get, path = "/facility/cycles/{id}/checks", tag = "facility", params(("id" = i64, Path, description = "Cycle id")),
    security(("bearer" = [])),
    responses((status = 200, body = Vec<CheckDto>), (status = 400, body = Problem, content_type = PROBLEM),
        (status = 401, body = Problem, content_type = PROBLEM), (status = 403, body = Problem, content_type = PROBLEM),
        (status = 404, body = Problem, content_type = PROBLEM)))]
pub async fn list_checks(
    State(state): State<Arc<AppState>>,
    requester: Requester,
    Path(id): Path<i64>,
) -> Result<Json<Vec<CheckDto>>, ApiError> {
    let user = requester.require_user()?;
    let cycle = user_office_cycle(&state, user, id).await?;
    Ok(Json(
        state
            .store
            .checks_of_cycle(cycle.id)
            .await?
            .into_iter()
            .map(CheckDto::from)
            .collect(),
    ))
}

/// The reviewers, their panels, expertise and loads; user offices only.
#[utoipa::path(get, path = "/facility/reviewers", tag = "facility", security(("bearer" = [])),
    responses((status = 200, body = Vec<ReviewerDto>), (status = 401, body = Problem, content_type = PROBLEM),
        (status = 403, body = Problem, content_type = PROBLEM)))]
pub async fn list_reviewers(
    State(state): State<Arc<AppState>>,
) -> Result<Json<Vec<ReviewerDto>>, ApiError> {
    Ok(Json(
        state
            .store
            .reviewer_profiles()
            .await?
            .into_iter()
            .map(ReviewerDto::from)
            .collect(),
    ))
}

/// Sets a reviewer's panel (discipline), expertise and most proposals per cycle; user
/// offices only. The user must hold the reviewer role.
#[utoipa::path(put, path = "/facility/reviewers/{user_id}", tag = "facility", request_body = ReviewerProfileInput, security(("bearer" = [])),
    params(("user_id" = i64, Path, description = "The reviewer's user id")),
    responses((status = 200, body = ReviewerDto), (status = 400, body = Problem, content_type = PROBLEM),
        (status = 401, body = Problem, content_type = PROBLEM), (status = 403, body = Problem, content_type = PROBLEM)))]
pub async fn set_reviewer(
    State(state): State<Arc<AppState>>,
    requester: Requester,
    Path(user_id): Path<i64>,
    Json(input): Json<ReviewerProfileInput>,
) -> Result<Json<ReviewerDto>, ApiError> {
    let discipline = Discipline::parse(&input.discipline)?;
    let stored = state
        .store
        .set_reviewer_profile(
            UserId(user_id),
            discipline,
            &input.expertise,
            input.max_load,
            &requester.audit_context(),
        )
        .await?;
    Ok(Json(stored.into()))
}

/// Assigns reviewers to the cycle's submitted proposals: three each from the panel of the
/// proposal's discipline, loads bounded, no conflicts of interest, greatest total expertise
/// affinity (a min-cost flow). Replaces an earlier assignment until the first grade.
#[utoipa::path(post, path = "/facility/cycles/{id}/review-assignment", tag = "facility", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Cycle id")),
    responses((status = 200, body = ReviewAssignmentSummary), (status = 400, body = Problem, content_type = PROBLEM),
        (status = 401, body = Problem, content_type = PROBLEM), (status = 403, body = Problem, content_type = PROBLEM),
        (status = 404, body = Problem, content_type = PROBLEM),
        (status = 409, body = Problem, content_type = PROBLEM, description = "grades exist, or a panel is too small")))]
pub async fn assign_reviewers(
    State(state): State<Arc<AppState>>,
    requester: Requester,
    Path(id): Path<i64>,
) -> Result<Json<ReviewAssignmentSummary>, ApiError> {
    let user = requester.require_user()?;
    let cycle = user_office_cycle(&state, user, id).await?;
    Ok(Json(
        programme::assign_cycle_reviewers(state.store.as_ref(), &cycle, &requester.audit_context())
            .await?
            .into(),
    ))
}

/// The caller's review queue, newest cycle first.
#[utoipa::path(get, path = "/me/reviews", tag = "facility", security(("bearer" = [])),
    responses((status = 200, body = Vec<ReviewDto>), (status = 401, body = Problem, content_type = PROBLEM),
        (status = 403, body = Problem, content_type = PROBLEM)))]
pub async fn my_reviews(
    State(state): State<Arc<AppState>>,
    requester: Requester,
) -> Result<Json<Vec<ReviewDto>>, ApiError> {
    let user = requester.require_user()?;
    let reviews = state.store.reviews_of_reviewer(user.id).await?;
    let mut dtos = Vec::with_capacity(reviews.len());
    for review in &reviews {
        if let Some(proposal) = state.store.proposal(review.proposal).await? {
            dtos.push(ReviewDto::new(review, &proposal));
        }
    }
    Ok(Json(dtos))
}

/// Grades a proposal assigned to the caller (again, to change the grade).
#[utoipa::path(post, path = "/facility/proposals/{id}/review", tag = "facility", request_body = GradeInput, security(("bearer" = [])),
    params(("id" = i64, Path, description = "Proposal id")),
    responses((status = 200, body = ReviewDto), (status = 400, body = Problem, content_type = PROBLEM),
        (status = 401, body = Problem, content_type = PROBLEM), (status = 403, body = Problem, content_type = PROBLEM),
        (status = 404, body = Problem, content_type = PROBLEM, description = "not assigned to you")))]
pub async fn grade_proposal(
    State(state): State<Arc<AppState>>,
    requester: Requester,
    Path(id): Path<i64>,
    Json(input): Json<GradeInput>,
) -> Result<Json<ReviewDto>, ApiError> {
    let user = requester.require_user()?;
    let review = state
        .store
        .grade_review(
            ProposalId(id),
            user.id,
            input.grade,
            &input.comment,
            corridor_store::now(),
            &requester.audit_context(),
        )
        .await?;
    let proposal = state
        .store
        .proposal(review.proposal)
        .await?
        .ok_or_else(|| ApiError::internal("a graded proposal is gone"))?;
    Ok(Json(ReviewDto::new(&review, &proposal)))
}

/// Runs the cycle's allocation: shifts per proposal and beamline by grade with cutoffs, aging
/// and quotas, then placed on the calendar; stores the decisions with their reasons, the
/// schedule and a notification to each team, replacing an earlier run.
#[utoipa::path(post, path = "/facility/cycles/{id}/allocation", tag = "facility", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Cycle id")),
    responses((status = 200, body = AllocationSummary), (status = 400, body = Problem, content_type = PROBLEM),
        (status = 401, body = Problem, content_type = PROBLEM), (status = 403, body = Problem, content_type = PROBLEM),
        (status = 404, body = Problem, content_type = PROBLEM)))]
pub async fn run_allocation(
    State(state): State<Arc<AppState>>,
    requester: Requester,
    Path(id): Path<i64>,
) -> Result<Json<AllocationSummary>, ApiError> {
    let user = requester.require_user()?;
    let cycle = user_office_cycle(&state, user, id).await?;
    Ok(Json(
        programme::run_cycle_allocation(state.store.as_ref(), &cycle, &requester.audit_context())
            .await?
            .into(),
    ))
}

#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LostDayInput {
    /// The day whose beam was lost, e.g. `2027-04-05`.
    pub day: String,
}

/// Records a lost beam day and re-plans the published schedule around it: only the shifts on
/// that day move, the day closes, and the teams whose shifts moved are told.
#[utoipa::path(post, path = "/facility/cycles/{id}/lost-days", tag = "facility", request_body = LostDayInput, security(("bearer" = [])),
    params(("id" = i64, Path, description = "Cycle id")),
    responses((status = 200, body = ReplanSummary), (status = 400, body = Problem, content_type = PROBLEM),
        (status = 401, body = Problem, content_type = PROBLEM), (status = 403, body = Problem, content_type = PROBLEM),
        (status = 404, body = Problem, content_type = PROBLEM),
        (status = 409, body = Problem, content_type = PROBLEM, description = "the day is already closed, or the cycle has no allocation")))]
pub async fn record_lost_day(
    State(state): State<Arc<AppState>>,
    requester: Requester,
    Path(id): Path<i64>,
    Json(input): Json<LostDayInput>,
) -> Result<Json<ReplanSummary>, ApiError> {
    let user = requester.require_user()?;
    let day = parse_date("day", &input.day)?;
    let cycle = user_office_cycle(&state, user, id).await?;
    Ok(Json(
        programme::replan_cycle_after_lost_day(
            state.store.as_ref(),
            &cycle,
            day,
            &requester.audit_context(),
        )
        .await?
        .into(),
    ))
}

/// Every allocation decision of the cycle with its reason; the facility's user office only.
#[utoipa::path(get, path = "/facility/cycles/{id}/decisions", tag = "facility", params(("id" = i64, Path, description = "Cycle id")),
    security(("bearer" = [])),
    responses((status = 200, body = Vec<DecisionDto>), (status = 400, body = Problem, content_type = PROBLEM),
        (status = 401, body = Problem, content_type = PROBLEM), (status = 403, body = Problem, content_type = PROBLEM),
        (status = 404, body = Problem, content_type = PROBLEM)))]
pub async fn list_decisions(
    State(state): State<Arc<AppState>>,
    requester: Requester,
    Path(id): Path<i64>,
) -> Result<Json<Vec<DecisionDto>>, ApiError> {
    let user = requester.require_user()?;
    let cycle = user_office_cycle(&state, user, id).await?;
    let codes = beamline_codes(&state, cycle.facility).await?;
    Ok(Json(
        state
            .store
            .decisions_of_cycle(cycle.id)
            .await?
            .iter()
            .map(|decision| {
                DecisionDto::new(
                    decision,
                    codes
                        .get(&decision.beamline)
                        .map(String::as_str)
                        .unwrap_or("?"),
                )
            })
            .collect(),
    ))
}

/// The cycle's schedule as published: who is on which beamline when.
pub async fn published_schedule(state: &AppState, cycle: &Cycle) -> Result<ScheduleDto, ApiError> {
    let codes = beamline_codes(state, cycle.facility).await?;
    let titles: HashMap<ProposalId, String> = state
        .store
        .proposals_of_cycle(cycle.id, Some(ProposalStatus::Submitted))
        .await?
        .into_iter()
        .map(|record| (record.id, record.draft.title))
        .collect();
    let blocks = state
        .store
        .schedule_of_cycle(cycle.id)
        .await?
        .into_iter()
        .map(|block| ScheduledBlockDto {
            beamline_id: block.beamline.0,
            beamline_code: codes.get(&block.beamline).cloned().unwrap_or_default(),
            proposal_id: block.proposal.0,
            title: titles.get(&block.proposal).cloned().unwrap_or_default(),
            first_shift: block.first_shift,
            shifts: block.shifts,
            starts_at: cycle.shift_starts_at(block.first_shift).to_string(),
            ends_at: cycle
                .shift_starts_at(block.first_shift + block.shifts)
                .to_string(),
        })
        .collect();
    Ok(ScheduleDto {
        cycle_id: cycle.id.0,
        time_zone: FACILITY_TIME_ZONE.into(),
        blocks,
    })
}

/// The cycle's published schedule: every placed block of shifts, per beamline in time order.
#[utoipa::path(get, path = "/facility/cycles/{id}/schedule", tag = "facility", params(("id" = i64, Path, description = "Cycle id")),
    responses((status = 200, body = ScheduleDto), (status = 404, body = Problem, content_type = PROBLEM)))]
pub async fn get_schedule(
    State(state): State<Arc<AppState>>,
    Path(id): Path<i64>,
) -> Result<Json<ScheduleDto>, ApiError> {
    let cycle = cycle_of(&state, id).await?;
    Ok(Json(published_schedule(&state, &cycle).await?))
}

/// One beamline's schedule for the cycle as an iCalendar feed, in the facility's time zone.
#[utoipa::path(get, path = "/facility/cycles/{id}/beamlines/{code}/schedule.ics", tag = "facility",
    params(("id" = i64, Path, description = "Cycle id"), ("code" = String, Path, description = "Beamline code, e.g. BL14B1")),
    responses((status = 200, content_type = "text/calendar", body = String), (status = 404, body = Problem, content_type = PROBLEM)))]
pub async fn beamline_schedule_feed(
    State(state): State<Arc<AppState>>,
    Path((id, code)): Path<(i64, String)>,
) -> Result<Response, ApiError> {
    let cycle = cycle_of(&state, id).await?;
    let beamline = state
        .store
        .beamlines(Some(cycle.facility))
        .await?
        .into_iter()
        .find(|beamline| beamline.code.eq_ignore_ascii_case(code.trim()))
        .ok_or_else(|| ApiError::NotFound(format!("no beamline {code:?} at this facility")))?;
    let time_zone = TimeZoneName::parse(FACILITY_TIME_ZONE)?;
    let zone = jiff::tz::TimeZone::get(FACILITY_TIME_ZONE)
        .map_err(|error| ApiError::internal(error.to_string()))?;
    let schedule = published_schedule(&state, &cycle).await?;
    let at = |shift: u32| -> Result<jiff::Timestamp, ApiError> {
        Ok(cycle
            .shift_starts_at(shift)
            .to_zoned(zone.clone())
            .map_err(|error| ApiError::internal(error.to_string()))?
            .timestamp())
    };
    let last_modified = cycle.call_closes;
    let mut events = Vec::new();
    for block in schedule
        .blocks
        .iter()
        .filter(|block| block.beamline_id == beamline.id.0)
    {
        events.push(FeedEvent {
            uid: format!(
                "cycle-{}-{}-shift-{}@corridor",
                cycle.id.0, beamline.code, block.first_shift
            ),
            starts_at: at(block.first_shift)?,
            ends_at: at(block.first_shift + block.shifts)?,
            summary: format!(
                "{} · proposal {}: {}",
                beamline.code, block.proposal_id, block.title
            ),
            description: Some(format!(
                "{} shifts of beamtime, cycle {}",
                block.shifts, cycle.name
            )),
            location: Some(format!("{} {}", beamline.code, beamline.name_en)),
            status: FeedEventStatus::Confirmed,
            last_modified,
            sequence: 0,
        });
    }
    let feed = CalendarFeed {
        product_id: "-//Corridor//Beamtime//EN".into(),
        name: format!("{} schedule, cycle {}", beamline.code, cycle.name),
        time_zone,
        events,
    };
    Ok((
        [(header::CONTENT_TYPE, "text/calendar; charset=utf-8")],
        render_feed(&feed),
    )
        .into_response())
}

/// The cycle's figures: oversubscription per beamline, and the people on its proposals by
/// origin province (in the region or outside) and institution kind.
#[utoipa::path(get, path = "/facility/cycles/{id}/statistics", tag = "facility", params(("id" = i64, Path, description = "Cycle id")),
    responses((status = 200, body = CycleStatistics), (status = 404, body = Problem, content_type = PROBLEM)))]
pub async fn get_statistics(
    State(state): State<Arc<AppState>>,
    Path(id): Path<i64>,
) -> Result<Json<CycleStatistics>, ApiError> {
    let cycle = cycle_of(&state, id).await?;
    Ok(Json(
        programme::cycle_statistics(state.store.as_ref(), &cycle)
            .await?
            .into(),
    ))
}

#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct NotificationParams {
    /// At most this many, newest first (1 to 500; 50 by default).
    pub limit: Option<u32>,
}

/// The caller's notifications (beamtime decisions…), newest first.
#[utoipa::path(get, path = "/me/notifications", tag = "facility", params(NotificationParams), security(("bearer" = [])),
    responses((status = 200, body = Vec<NotificationDto>), (status = 400, body = Problem, content_type = PROBLEM),
        (status = 401, body = Problem, content_type = PROBLEM)))]
pub async fn my_notifications(
    State(state): State<Arc<AppState>>,
    requester: Requester,
    Query(params): Query<NotificationParams>,
) -> Result<Json<Vec<NotificationDto>>, ApiError> {
    let user = requester.require_user()?;
    let limit = params.limit.unwrap_or(50);
    if !(1..=500).contains(&limit) {
        return Err(ApiError::invalid("limit", "1 to 500"));
    }
    Ok(Json(
        state
            .store
            .notifications_of_user(user.id, limit)
            .await?
            .into_iter()
            .map(Into::into)
            .collect(),
    ))
}
