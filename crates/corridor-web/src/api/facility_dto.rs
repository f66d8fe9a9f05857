//! The large-facility programme's API shapes.

use corridor_app::beamtime::{BeamlineDecision, ProposalView, PublishedSchedule};
use corridor_domain::facility::proposal::{Cycle, ProposalDraft};
use corridor_store::beamtime::{
    CheckRecord, NotificationRecord, ProposalRecord, ReviewRecord, ReviewerRecord, StoredDecision,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClosedDayDto {
    /// A day of the cycle, e.g. `2027-03-09`.
    pub day: String,
    /// `maintenance` or `machine_development`.
    pub reason: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CycleDto {
    pub id: i64,
    pub facility_id: i64,
    pub name: String,
    pub call_opens: String,
    pub call_closes: String,
    /// Whether proposals may be submitted now.
    pub call_open: bool,
    pub starts_on: String,
    pub ends_on: String,
    pub days: u32,
    /// Shifts open to users on each beamline (three a day, closed days excluded).
    pub user_shifts_per_beamline: u32,
    pub closed_days: Vec<ClosedDayDto>,
}

impl CycleDto {
    pub fn new(cycle: &Cycle, now: jiff::Timestamp) -> CycleDto {
        let closed = cycle.closed_days.len() as u32;
        CycleDto {
            id: cycle.id.0,
            facility_id: cycle.facility.0,
            name: cycle.name.clone(),
            call_opens: cycle.call_opens.to_string(),
            call_closes: cycle.call_closes.to_string(),
            call_open: cycle.call_is_open(now),
            starts_on: cycle.starts_on.to_string(),
            ends_on: cycle.ends_on.to_string(),
            days: cycle.days(),
            user_shifts_per_beamline: cycle.days().saturating_sub(closed)
                * corridor_domain::facility::schedule::SHIFTS_PER_DAY,
            closed_days: cycle
                .closed_days
                .iter()
                .map(|closed| ClosedDayDto {
                    day: closed.day.to_string(),
                    reason: closed.reason.as_code().to_owned(),
                })
                .collect(),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CycleInput {
    pub facility_id: i64,
    pub name: String,
    /// RFC 3339 instant, e.g. `2026-12-01T00:00:00Z`.
    pub call_opens: String,
    pub call_closes: String,
    /// First and last day of the beam period.
    pub starts_on: String,
    pub ends_on: String,
    #[serde(default)]
    pub closed_days: Vec<ClosedDayDto>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShiftRequestDto {
    pub beamline_id: i64,
    pub shifts: u32,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProposalInput {
    /// `general`, `rapid_access`, `long_term` or `proprietary`.
    pub proposal_type: String,
    /// The review panel: `life_sciences`, `chemistry`, `materials`, `physics`,
    /// `earth_environment` or `engineering_heritage`.
    pub discipline: String,
    pub title: String,
    pub summary: String,
    #[serde(default)]
    pub techniques: Vec<String>,
    /// User ids of the team besides the principal investigator (the caller).
    #[serde(default)]
    pub team: Vec<i64>,
    /// Samples and their hazards, for the safety check.
    #[serde(default)]
    pub samples: String,
    /// The caller's proposal of an earlier cycle this one asks again for.
    pub resubmission_of: Option<i64>,
    /// User ids of reviewers the team has a conflict of interest with.
    #[serde(default)]
    pub declared_conflicts: Vec<i64>,
    pub requests: Vec<ShiftRequestDto>,
    /// Days of the cycle the team cannot come, e.g. `2027-04-05`.
    #[serde(default)]
    pub unavailable_days: Vec<String>,
    /// Submit right away instead of keeping a draft.
    #[serde(default)]
    pub submit: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProposalDto {
    pub id: i64,
    pub cycle_id: i64,
    pub principal_id: i64,
    /// `draft`, `submitted` or `withdrawn`.
    pub status: String,
    pub proposal_type: String,
    pub discipline: String,
    pub title: String,
    pub summary: String,
    pub techniques: Vec<String>,
    pub team: Vec<i64>,
    pub samples: String,
    pub resubmission_of: Option<i64>,
    pub declared_conflicts: Vec<i64>,
    pub requests: Vec<ShiftRequestDto>,
    pub unavailable_days: Vec<String>,
    pub created_at: String,
    pub updated_at: String,
    pub submitted_at: Option<String>,
    /// The allocation's decisions on this proposal, once the cycle is allocated.
    pub decisions: Vec<DecisionDto>,
}

impl ProposalDto {
    pub fn new(record: &ProposalRecord, decisions: Vec<DecisionDto>) -> ProposalDto {
        let ProposalDraft {
            proposal_type,
            discipline,
            title,
            summary,
            techniques,
            team,
            samples,
            resubmission_of,
            declared_conflicts,
            requests,
            unavailable_days,
        } = &record.draft;
        ProposalDto {
            id: record.id.0,
            cycle_id: record.cycle.0,
            principal_id: record.principal.0,
            status: record.status.as_code().to_owned(),
            proposal_type: proposal_type.as_code().to_owned(),
            discipline: discipline.as_code().to_owned(),
            title: title.clone(),
            summary: summary.clone(),
            techniques: techniques.clone(),
            team: team.iter().map(|user| user.0).collect(),
            samples: samples.clone(),
            resubmission_of: resubmission_of.map(|earlier| earlier.0),
            declared_conflicts: declared_conflicts.iter().map(|user| user.0).collect(),
            requests: requests
                .iter()
                .map(|(beamline, shifts)| ShiftRequestDto {
                    beamline_id: beamline.0,
                    shifts: *shifts,
                })
                .collect(),
            unavailable_days: unavailable_days.iter().map(ToString::to_string).collect(),
            created_at: record.created_at.to_string(),
            updated_at: record.updated_at.to_string(),
            submitted_at: record.submitted_at.map(|instant| instant.to_string()),
            decisions,
        }
    }

    /// A proposal as the application layer let the caller read it, with its decisions.
    pub fn of_view(view: &ProposalView) -> ProposalDto {
        ProposalDto::new(
            &view.record,
            view.decisions.iter().map(DecisionDto::of).collect(),
        )
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DecisionDto {
    pub proposal_id: i64,
    pub beamline_id: i64,
    pub beamline_code: String,
    pub requested: u32,
    pub granted: u32,
    /// The score it was ranked by: the panel's mean grade less the aging bonus.
    pub effective_score: Option<f64>,
    pub cycles_waiting: u32,
    /// What the grant costs the company (proprietary time, at the facility's rate per
    /// shift), in fen; 0 for the open modes.
    pub fee_fen: i64,
    /// `granted`, `partly_granted`, `below_cutoff`, `beamline_full`,
    /// `proprietary_cap_reached`, `not_graded`, `failed_check` or `invalid`.
    pub reason: String,
    /// The reason in a sentence.
    pub explanation: String,
}

impl DecisionDto {
    pub fn new(decision: &StoredDecision, beamline_code: &str) -> DecisionDto {
        DecisionDto {
            proposal_id: decision.proposal.0,
            beamline_id: decision.beamline.0,
            beamline_code: beamline_code.to_owned(),
            requested: decision.requested,
            granted: decision.granted,
            effective_score: decision.effective_score,
            cycles_waiting: decision.cycles_waiting,
            fee_fen: decision.fee_fen,
            reason: decision.reason.clone(),
            explanation: decision.explanation.clone(),
        }
    }

    /// A decision with its beamline's code (`?` for a beamline the facility no longer has).
    pub fn of(decision: &BeamlineDecision) -> DecisionDto {
        DecisionDto::new(
            &decision.decision,
            decision.beamline_code.as_deref().unwrap_or("?"),
        )
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckInput {
    /// `feasibility` or `safety`.
    pub kind: String,
    pub approved: bool,
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CheckDto {
    pub proposal_id: i64,
    pub kind: String,
    pub approved: bool,
    pub note: String,
    pub checked_by: i64,
    pub checked_at: String,
}

impl From<CheckRecord> for CheckDto {
    fn from(check: CheckRecord) -> CheckDto {
        CheckDto {
            proposal_id: check.proposal.0,
            kind: check.kind.as_code().to_owned(),
            approved: check.approved,
            note: check.note,
            checked_by: check.checked_by.0,
            checked_at: check.checked_at.to_string(),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewerProfileInput {
    pub discipline: String,
    pub expertise: Vec<String>,
    pub max_load: u32,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReviewerDto {
    pub user_id: i64,
    pub display_name: String,
    pub institution_id: i64,
    pub discipline: String,
    pub expertise: Vec<String>,
    pub max_load: u32,
}

impl From<ReviewerRecord> for ReviewerDto {
    fn from(reviewer: ReviewerRecord) -> ReviewerDto {
        ReviewerDto {
            user_id: reviewer.user.0,
            display_name: reviewer.display_name,
            institution_id: reviewer.institution.0,
            discipline: reviewer.discipline.as_code().to_owned(),
            expertise: reviewer.expertise,
            max_load: reviewer.max_load,
        }
    }
}

/// A review in a reviewer's queue, with what the reviewer reads.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReviewDto {
    pub proposal_id: i64,
    pub cycle_id: i64,
    pub title: String,
    pub summary: String,
    pub discipline: String,
    pub techniques: Vec<String>,
    pub affinity: u32,
    pub grade: Option<f64>,
    pub comment: String,
    pub assigned_at: String,
    pub graded_at: Option<String>,
}

impl ReviewDto {
    pub fn new(review: &ReviewRecord, proposal: &ProposalRecord) -> ReviewDto {
        ReviewDto {
            proposal_id: review.proposal.0,
            cycle_id: review.cycle.0,
            title: proposal.draft.title.clone(),
            summary: proposal.draft.summary.clone(),
            discipline: proposal.draft.discipline.as_code().to_owned(),
            techniques: proposal.draft.techniques.clone(),
            affinity: review.affinity,
            grade: review.grade,
            comment: review.comment.clone(),
            assigned_at: review.assigned_at.to_string(),
            graded_at: review.graded_at.map(|instant| instant.to_string()),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GradeInput {
    /// 1.0 (outstanding) to 5.0 (not fundable), in tenths.
    pub grade: f64,
    #[serde(default)]
    pub comment: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ScheduledBlockDto {
    pub beamline_id: i64,
    pub beamline_code: String,
    pub proposal_id: i64,
    pub title: String,
    pub first_shift: u32,
    pub shifts: u32,
    /// Local time at the facility (Asia/Shanghai), e.g. `2027-03-04T08:00:00`.
    pub starts_at: String,
    pub ends_at: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ScheduleDto {
    pub cycle_id: i64,
    pub time_zone: String,
    pub blocks: Vec<ScheduledBlockDto>,
}

impl From<&PublishedSchedule> for ScheduleDto {
    fn from(schedule: &PublishedSchedule) -> ScheduleDto {
        ScheduleDto {
            cycle_id: schedule.cycle.id.0,
            time_zone: schedule.time_zone.clone(),
            blocks: schedule
                .blocks
                .iter()
                .map(|block| ScheduledBlockDto {
                    beamline_id: block.beamline.0,
                    beamline_code: block.beamline_code.clone(),
                    proposal_id: block.proposal.0,
                    title: block.title.clone(),
                    first_shift: block.first_shift,
                    shifts: block.shifts,
                    starts_at: block.starts_at.to_string(),
                    ends_at: block.ends_at.to_string(),
                })
                .collect(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationDto {
    pub id: i64,
    pub kind: String,
    pub subject: String,
    pub body: String,
    pub created_at: String,
    pub sent_at: Option<String>,
}

impl From<NotificationRecord> for NotificationDto {
    fn from(notification: NotificationRecord) -> NotificationDto {
        NotificationDto {
            id: notification.id,
            kind: notification.kind,
            subject: notification.subject,
            body: notification.body,
            created_at: notification.created_at.to_string(),
            sent_at: notification.sent_at.map(|instant| instant.to_string()),
        }
    }
}
