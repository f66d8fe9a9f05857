//! The large-facility user programme: cycles and their calls, proposals, feasibility and
//! safety checks, reviewers and reviews, the allocation, the published schedule (JSON and
//! iCal), the cycle's statistics and the notifications to teams.
//!
//! Who may do what: cycles, schedules and statistics are public, like a facility's published
//! beam schedule; any signed-in user proposes, and sees the proposals they lead or are on; the
//! facility's user office (and platform admins) creates cycles, checks proposals, sets
//! reviewer profiles, assigns reviewers and runs the allocation; reviewers see and grade the
//! proposals assigned to them. Proposals are hidden (404) from everyone else.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use corridor_app::beamtime::{BeamlineFeed, NewCycle};
use corridor_domain::facility::allocation::ProposalType;
use corridor_domain::facility::proposal::{
    ClosedDay, ClosedReason, CycleId, Discipline, ProposalDraft, ProposalStatus,
};
use corridor_domain::facility::ProposalId;
use corridor_domain::ical::{render_feed, CalendarFeed, FeedEvent, FeedEventStatus};
use corridor_domain::{BeamlineId, InstitutionId, UserId};
use corridor_store::beamtime::CheckKind;

pub use super::facility_dto::*;
use crate::auth::Requester;
use crate::extract::{Json, Path, Query};
use crate::problem::responses::{
    BadRequest, Conflict, Forbidden, NotFound, Unauthorized, Unprocessable,
};
use crate::problem::{ApiError, Problem};

use super::facility_summaries::{
    AllocationSummary, CycleStatistics, ReplanSummary, ReviewAssignmentSummary,
};
use crate::AppState;

fn parse_date(field: &'static str, text: &str) -> Result<jiff::civil::Date, ApiError> {
    Ok(corridor_domain::instant::parse_date(field, text)?)
}

fn parse_instant(field: &'static str, text: &str) -> Result<jiff::Timestamp, ApiError> {
    Ok(corridor_domain::instant::parse_instant(field, text)?)
}

/// The draft a proposal input describes, as sent: the application layer checks its limits
/// and trims its texts.
pub fn draft_from_input(input: &ProposalInput) -> Result<ProposalDraft, ApiError> {
    Ok(ProposalDraft {
        proposal_type: ProposalType::parse(&input.proposal_type)?,
        discipline: Discipline::parse(&input.discipline)?,
        title: input.title.clone(),
        summary: input.summary.clone(),
        techniques: input.techniques.clone(),
        team: input.team.iter().map(|id| UserId(*id)).collect(),
        samples: input.samples.clone(),
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

/// The cycle a cycle input describes, as sent: the application layer checks the rest.
fn cycle_from_input(input: &CycleInput) -> Result<NewCycle, ApiError> {
    Ok(NewCycle {
        facility: InstitutionId(input.facility_id),
        name: input.name.clone(),
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
    })
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
    responses((status = 200, body = Vec<CycleDto>), BadRequest))]
pub async fn list_cycles(
    State(state): State<Arc<AppState>>,
    Query(params): Query<CycleListParams>,
) -> Result<Json<Vec<CycleDto>>, ApiError> {
    let now = corridor_store::now();
    let cycles = state
        .app
        .beamtime()
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
    responses((status = 200, body = CycleDto), NotFound))]
pub async fn get_cycle(
    State(state): State<Arc<AppState>>,
    Path(id): Path<i64>,
) -> Result<Json<CycleDto>, ApiError> {
    let cycle = state.app.beamtime().cycle(CycleId(id)).await?;
    Ok(Json(CycleDto::new(&cycle, corridor_store::now())))
}

/// Opens a cycle: its call and its beam period with the closed days; the facility's user
/// office only.
#[utoipa::path(post, path = "/facility/cycles", tag = "facility", request_body = CycleInput, security(("bearer" = [])),
    responses((status = 201, body = CycleDto), BadRequest, Unauthorized, Forbidden, Conflict))]
pub async fn create_cycle(
    State(state): State<Arc<AppState>>,
    requester: Requester,
    Json(input): Json<CycleInput>,
) -> Result<Response, ApiError> {
    let new = cycle_from_input(&input)?;
    let stored = state.app.beamtime().create_cycle(&requester, new).await?;
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
    responses((status = 200, body = Vec<ProposalDto>), BadRequest, Unauthorized, Forbidden, NotFound))]
pub async fn list_cycle_proposals(
    State(state): State<Arc<AppState>>,
    requester: Requester,
    Path(id): Path<i64>,
    Query(params): Query<ProposalListParams>,
) -> Result<Json<Vec<ProposalDto>>, ApiError> {
    let status = params
        .status
        .as_deref()
        .map(ProposalStatus::parse)
        .transpose()?;
    let proposals = state
        .app
        .beamtime()
        .cycle_proposals(&requester, CycleId(id), status)
        .await?;
    Ok(Json(proposals.iter().map(ProposalDto::of_view).collect()))
}

/// Drafts a proposal to the cycle with the caller as principal investigator; with
/// `submit: true` it is submitted at once (while the call is open).
#[utoipa::path(post, path = "/facility/cycles/{id}/proposals", tag = "facility", request_body = ProposalInput, security(("bearer" = [])),
    params(("id" = i64, Path, description = "Cycle id")),
    responses((status = 201, body = ProposalDto), BadRequest, Unauthorized, NotFound,
        (status = 422, body = Problem, content_type = PROBLEM, description = "submission refused: the call is closed or the proposal incomplete; nothing was stored")))]
pub async fn create_proposal(
    State(state): State<Arc<AppState>>,
    requester: Requester,
    Path(id): Path<i64>,
    Json(input): Json<ProposalInput>,
) -> Result<Response, ApiError> {
    let draft = draft_from_input(&input)?;
    let record = state
        .app
        .beamtime()
        .draft_proposal(&requester, CycleId(id), draft, input.submit)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(ProposalDto::new(&record, Vec::new())),
    )
        .into_response())
}

/// A proposal, with the allocation's decisions on it once the cycle is allocated; its team,
/// the user office and its reviewers only.
#[utoipa::path(get, path = "/facility/proposals/{id}", tag = "facility", params(("id" = i64, Path, description = "Proposal id")),
    security(("bearer" = [])),
    responses((status = 200, body = ProposalDto), BadRequest, Unauthorized, NotFound))]
pub async fn get_proposal(
    State(state): State<Arc<AppState>>,
    requester: Requester,
    Path(id): Path<i64>,
) -> Result<Json<ProposalDto>, ApiError> {
    let view = state
        .app
        .beamtime()
        .proposal(&requester, ProposalId(id))
        .await?;
    Ok(Json(ProposalDto::of_view(&view)))
}

/// Submits a draft while the call is open; its principal investigator only.
#[utoipa::path(post, path = "/facility/proposals/{id}/submit", tag = "facility", params(("id" = i64, Path, description = "Proposal id")),
    security(("bearer" = [])),
    responses((status = 200, body = ProposalDto), BadRequest, Unauthorized, NotFound, Conflict, Unprocessable))]
pub async fn submit_proposal(
    State(state): State<Arc<AppState>>,
    requester: Requester,
    Path(id): Path<i64>,
) -> Result<Json<ProposalDto>, ApiError> {
    let record = state
        .app
        .beamtime()
        .submit_proposal(&requester, ProposalId(id))
        .await?;
    Ok(Json(ProposalDto::new(&record, Vec::new())))
}

/// Withdraws a draft or a submitted proposal; its principal investigator only.
#[utoipa::path(post, path = "/facility/proposals/{id}/withdraw", tag = "facility", params(("id" = i64, Path, description = "Proposal id")),
    security(("bearer" = [])),
    responses((status = 200, body = ProposalDto), BadRequest, Unauthorized, NotFound, Conflict))]
pub async fn withdraw_proposal(
    State(state): State<Arc<AppState>>,
    requester: Requester,
    Path(id): Path<i64>,
) -> Result<Json<ProposalDto>, ApiError> {
    let record = state
        .app
        .beamtime()
        .withdraw_proposal(&requester, ProposalId(id))
        .await?;
    Ok(Json(ProposalDto::new(&record, Vec::new())))
}

/// The proposals the caller leads or is on, newest first.
#[utoipa::path(get, path = "/me/proposals", tag = "facility", security(("bearer" = [])),
    responses((status = 200, body = Vec<ProposalDto>), Unauthorized))]
pub async fn my_proposals(
    State(state): State<Arc<AppState>>,
    requester: Requester,
) -> Result<Json<Vec<ProposalDto>>, ApiError> {
    let views = state.app.beamtime().my_proposals(&requester).await?;
    Ok(Json(views.iter().map(ProposalDto::of_view).collect()))
}

/// Records the feasibility or safety verdict on a submitted proposal (a second verdict of a
/// kind replaces the first); a refused one keeps the proposal out of review and allocation.
#[utoipa::path(post, path = "/facility/proposals/{id}/checks", tag = "facility", request_body = CheckInput, security(("bearer" = [])),
    params(("id" = i64, Path, description = "Proposal id")),
    responses((status = 201, body = CheckDto), BadRequest, Unauthorized, Forbidden, NotFound, Conflict))]
pub async fn record_check(
    State(state): State<Arc<AppState>>,
    requester: Requester,
    Path(id): Path<i64>,
    Json(input): Json<CheckInput>,
) -> Result<Response, ApiError> {
    let kind = CheckKind::parse(&input.kind)?;
    let recorded = state
        .app
        .beamtime()
        .record_check(
            &requester,
            ProposalId(id),
            kind,
            input.approved,
            &input.note,
        )
        .await?;
    Ok((StatusCode::CREATED, Json(CheckDto::from(recorded.check))).into_response())
}

/// The checks of a cycle's proposals; the facility's user office only.
#[utoipa::path(get, path = "/facility/cycles/{id}/checks", tag = "facility", params(("id" = i64, Path, description = "Cycle id")),
    security(("bearer" = [])),
    responses((status = 200, body = Vec<CheckDto>), BadRequest, Unauthorized, Forbidden, NotFound))]
pub async fn list_checks(
    State(state): State<Arc<AppState>>,
    requester: Requester,
    Path(id): Path<i64>,
) -> Result<Json<Vec<CheckDto>>, ApiError> {
    let checks = state
        .app
        .beamtime()
        .cycle_checks(&requester, CycleId(id))
        .await?;
    Ok(Json(checks.into_iter().map(CheckDto::from).collect()))
}

/// The reviewers, their panels, expertise and loads; user offices only.
#[utoipa::path(get, path = "/facility/reviewers", tag = "facility", security(("bearer" = [])),
    responses((status = 200, body = Vec<ReviewerDto>), Unauthorized, Forbidden))]
pub async fn list_reviewers(
    State(state): State<Arc<AppState>>,
    requester: Requester,
) -> Result<Json<Vec<ReviewerDto>>, ApiError> {
    let reviewers = state.app.beamtime().reviewers(&requester).await?;
    Ok(Json(reviewers.into_iter().map(ReviewerDto::from).collect()))
}

/// Sets a reviewer's panel (discipline), expertise and most proposals per cycle; user
/// offices only. The user must hold the reviewer role.
#[utoipa::path(put, path = "/facility/reviewers/{user_id}", tag = "facility", request_body = ReviewerProfileInput, security(("bearer" = [])),
    params(("user_id" = i64, Path, description = "The reviewer's user id")),
    responses((status = 200, body = ReviewerDto), BadRequest, Unauthorized, Forbidden))]
pub async fn set_reviewer(
    State(state): State<Arc<AppState>>,
    requester: Requester,
    Path(user_id): Path<i64>,
    Json(input): Json<ReviewerProfileInput>,
) -> Result<Json<ReviewerDto>, ApiError> {
    let discipline = Discipline::parse(&input.discipline)?;
    let stored = state
        .app
        .beamtime()
        .set_reviewer_profile(
            &requester,
            UserId(user_id),
            discipline,
            &input.expertise,
            input.max_load,
        )
        .await?;
    Ok(Json(stored.into()))
}

/// Assigns reviewers to the cycle's submitted proposals: three each from the panel of the
/// proposal's discipline, loads bounded, no conflicts of interest, greatest total expertise
/// affinity (a min-cost flow). Replaces an earlier assignment until the first grade.
#[utoipa::path(post, path = "/facility/cycles/{id}/review-assignment", tag = "facility", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Cycle id")),
    responses((status = 200, body = ReviewAssignmentSummary), BadRequest, Unauthorized, Forbidden, NotFound,
        (status = 409, body = Problem, content_type = PROBLEM, description = "grades exist, or a panel is too small")))]
pub async fn assign_reviewers(
    State(state): State<Arc<AppState>>,
    requester: Requester,
    Path(id): Path<i64>,
) -> Result<Json<ReviewAssignmentSummary>, ApiError> {
    let summary = state
        .app
        .beamtime()
        .assign_reviewers(&requester, CycleId(id))
        .await?;
    Ok(Json(summary.into()))
}

/// The caller's review queue, newest cycle first.
#[utoipa::path(get, path = "/me/reviews", tag = "facility", security(("bearer" = [])),
    responses((status = 200, body = Vec<ReviewDto>), Unauthorized, Forbidden))]
pub async fn my_reviews(
    State(state): State<Arc<AppState>>,
    requester: Requester,
) -> Result<Json<Vec<ReviewDto>>, ApiError> {
    let reviews = state.app.beamtime().my_reviews(&requester).await?;
    Ok(Json(
        reviews
            .iter()
            .map(|assigned| ReviewDto::new(&assigned.review, &assigned.proposal))
            .collect(),
    ))
}

/// Grades a proposal assigned to the caller (again, to change the grade).
#[utoipa::path(post, path = "/facility/proposals/{id}/review", tag = "facility", request_body = GradeInput, security(("bearer" = [])),
    params(("id" = i64, Path, description = "Proposal id")),
    responses((status = 200, body = ReviewDto), BadRequest, Unauthorized, Forbidden,
        (status = 404, body = Problem, content_type = PROBLEM, description = "not assigned to you"),
        (status = 409, body = Problem, content_type = PROBLEM, description = "grading closed: the cycle's allocation has run")))]
pub async fn grade_proposal(
    State(state): State<Arc<AppState>>,
    requester: Requester,
    Path(id): Path<i64>,
    Json(input): Json<GradeInput>,
) -> Result<Json<ReviewDto>, ApiError> {
    let graded = state
        .app
        .beamtime()
        .grade(&requester, ProposalId(id), input.grade, &input.comment)
        .await?;
    Ok(Json(ReviewDto::new(&graded.review, &graded.proposal)))
}

/// Runs the cycle's allocation: shifts per proposal and beamline by grade with cutoffs, aging
/// and quotas, then placed on the calendar; stores the decisions with their reasons, the
/// schedule and a notification to each team, replacing an earlier run.
#[utoipa::path(post, path = "/facility/cycles/{id}/allocation", tag = "facility", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Cycle id")),
    responses((status = 200, body = AllocationSummary), BadRequest, Unauthorized, Forbidden, NotFound))]
pub async fn run_allocation(
    State(state): State<Arc<AppState>>,
    requester: Requester,
    Path(id): Path<i64>,
) -> Result<Json<AllocationSummary>, ApiError> {
    let summary = state
        .app
        .beamtime()
        .run_allocation(&requester, CycleId(id))
        .await?;
    Ok(Json(summary.into()))
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
    responses((status = 200, body = ReplanSummary), BadRequest, Unauthorized, Forbidden, NotFound,
        (status = 409, body = Problem, content_type = PROBLEM, description = "the day is already closed, or the cycle has no allocation")))]
pub async fn record_lost_day(
    State(state): State<Arc<AppState>>,
    requester: Requester,
    Path(id): Path<i64>,
    Json(input): Json<LostDayInput>,
) -> Result<Json<ReplanSummary>, ApiError> {
    let day = parse_date("day", &input.day)?;
    let summary = state
        .app
        .beamtime()
        .record_lost_day(&requester, CycleId(id), day)
        .await?;
    Ok(Json(summary.into()))
}

/// Every allocation decision of the cycle with its reason; the facility's user office only.
#[utoipa::path(get, path = "/facility/cycles/{id}/decisions", tag = "facility", params(("id" = i64, Path, description = "Cycle id")),
    security(("bearer" = [])),
    responses((status = 200, body = Vec<DecisionDto>), BadRequest, Unauthorized, Forbidden, NotFound))]
pub async fn list_decisions(
    State(state): State<Arc<AppState>>,
    requester: Requester,
    Path(id): Path<i64>,
) -> Result<Json<Vec<DecisionDto>>, ApiError> {
    let decisions = state
        .app
        .beamtime()
        .cycle_decisions(&requester, CycleId(id))
        .await?;
    Ok(Json(decisions.iter().map(DecisionDto::of).collect()))
}

/// The cycle's published schedule: every placed block of shifts, per beamline in time order.
#[utoipa::path(get, path = "/facility/cycles/{id}/schedule", tag = "facility", params(("id" = i64, Path, description = "Cycle id")),
    responses((status = 200, body = ScheduleDto), NotFound))]
pub async fn get_schedule(
    State(state): State<Arc<AppState>>,
    Path(id): Path<i64>,
) -> Result<Json<ScheduleDto>, ApiError> {
    let schedule = state.app.beamtime().published_schedule(CycleId(id)).await?;
    Ok(Json(ScheduleDto::from(&schedule)))
}

/// One beamline's schedule for the cycle as an iCalendar feed, in the facility's time zone.
#[utoipa::path(get, path = "/facility/cycles/{id}/beamlines/{code}/schedule.ics", tag = "facility",
    params(("id" = i64, Path, description = "Cycle id"), ("code" = String, Path, description = "Beamline code, e.g. BL14B1")),
    responses((status = 200, content_type = "text/calendar", body = String), NotFound))]
pub async fn beamline_schedule_feed(
    State(state): State<Arc<AppState>>,
    Path((id, code)): Path<(i64, String)>,
) -> Result<Response, ApiError> {
    let feed = state
        .app
        .beamtime()
        .beamline_feed(CycleId(id), &code)
        .await?;
    Ok((
        [(header::CONTENT_TYPE, "text/calendar; charset=utf-8")],
        render_feed(&calendar_feed(feed)),
    )
        .into_response())
}

/// A beamline's schedule in iCalendar's terms: an event per placed block of shifts.
fn calendar_feed(feed: BeamlineFeed) -> CalendarFeed {
    let BeamlineFeed {
        cycle,
        beamline,
        time_zone,
        blocks,
    } = feed;
    let last_modified = cycle.call_closes;
    let events = blocks
        .into_iter()
        .map(|placed| FeedEvent {
            uid: format!(
                "cycle-{}-{}-shift-{}@corridor",
                cycle.id.0, beamline.code, placed.block.first_shift
            ),
            starts_at: placed.starts_at,
            ends_at: placed.ends_at,
            summary: format!(
                "{} · proposal {}: {}",
                beamline.code, placed.block.proposal.0, placed.block.title
            ),
            description: Some(format!(
                "{} shifts of beamtime, cycle {}",
                placed.block.shifts, cycle.name
            )),
            location: Some(format!("{} {}", beamline.code, beamline.name_en)),
            status: FeedEventStatus::Confirmed,
            last_modified,
            sequence: 0,
        })
        .collect();
    CalendarFeed {
        product_id: "-//Corridor//Beamtime//EN".into(),
        name: format!("{} schedule, cycle {}", beamline.code, cycle.name),
        time_zone,
        events,
    }
}

/// The cycle's figures: oversubscription per beamline, and the people on its proposals by
/// origin province (in the region or outside) and institution kind.
#[utoipa::path(get, path = "/facility/cycles/{id}/statistics", tag = "facility", params(("id" = i64, Path, description = "Cycle id")),
    responses((status = 200, body = CycleStatistics), NotFound))]
pub async fn get_statistics(
    State(state): State<Arc<AppState>>,
    Path(id): Path<i64>,
) -> Result<Json<CycleStatistics>, ApiError> {
    let statistics = state.app.beamtime().statistics(CycleId(id)).await?;
    Ok(Json(statistics.into()))
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
    responses((status = 200, body = Vec<NotificationDto>), BadRequest, Unauthorized))]
pub async fn my_notifications(
    State(state): State<Arc<AppState>>,
    requester: Requester,
    Query(params): Query<NotificationParams>,
) -> Result<Json<Vec<NotificationDto>>, ApiError> {
    let notifications = state
        .app
        .beamtime()
        .my_notifications(&requester, params.limit)
        .await?;
    Ok(Json(notifications.into_iter().map(Into::into).collect()))
}
