//! The large-facility programme's records: proposal cycles and proposals. The rules of a
//! submission are the domain's (`corridor_domain::facility::proposal`); the store adds what
//! needs the data: the cycle must exist, the beamlines asked for must be the facility's, and
//! only the proposal's principal investigator submits or withdraws it.

pub(crate) mod proposals_sql;
pub(crate) mod review_sql;

use async_trait::async_trait;
use corridor_domain::facility::proposal::{
    Cycle, CycleId, Discipline, ProposalDraft, ProposalStatus, SubmissionRefusal,
};
use corridor_domain::facility::ProposalId;
use corridor_domain::{BeamlineId, UserId};
use jiff::Timestamp;

use crate::{AuditContext, StoreError};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProposalRecord {
    pub id: ProposalId,
    pub cycle: CycleId,
    pub principal: UserId,
    pub draft: ProposalDraft,
    pub status: ProposalStatus,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub submitted_at: Option<Timestamp>,
}

#[async_trait]
pub trait FacilityStore: Send + Sync {
    /// Stores a cycle of `cycle.facility` (its `id` is ignored) and answers it with its id.
    async fn create_cycle(
        &self,
        cycle: &Cycle,
        context: &AuditContext,
    ) -> Result<Cycle, StoreError>;

    async fn cycle(&self, id: CycleId) -> Result<Option<Cycle>, StoreError>;

    /// Starts a draft; its beamlines must belong to the cycle's facility.
    async fn create_proposal(
        &self,
        cycle: CycleId,
        principal: UserId,
        draft: &ProposalDraft,
        now: Timestamp,
        context: &AuditContext,
    ) -> Result<ProposalRecord, StoreError>;

    /// Drafts and submits a proposal in one transaction: refused whole (nothing stored) when
    /// the call is closed or the proposal incomplete.
    async fn create_submitted_proposal(
        &self,
        cycle: CycleId,
        principal: UserId,
        draft: &ProposalDraft,
        now: Timestamp,
        context: &AuditContext,
    ) -> Result<Result<ProposalRecord, SubmissionRefusal>, StoreError>;

    async fn proposal(&self, id: ProposalId) -> Result<Option<ProposalRecord>, StoreError>;

    /// Submits a draft while the call is open (`check_submission`); only its principal may.
    async fn submit_proposal(
        &self,
        id: ProposalId,
        by: UserId,
        now: Timestamp,
        context: &AuditContext,
    ) -> Result<Result<ProposalRecord, SubmissionRefusal>, StoreError>;

    /// Withdraws a draft or a submitted proposal; only its principal may.
    async fn withdraw_proposal(
        &self,
        id: ProposalId,
        by: UserId,
        now: Timestamp,
        context: &AuditContext,
    ) -> Result<ProposalRecord, StoreError>;

    /// Cycles, newest first, of one facility or all.
    async fn cycles(
        &self,
        facility: Option<corridor_domain::InstitutionId>,
    ) -> Result<Vec<Cycle>, StoreError>;

    /// Proposals `user` leads or is a team member of, newest first (at most 500).
    async fn proposals_of_user(&self, user: UserId) -> Result<Vec<ProposalRecord>, StoreError>;

    /// A cycle's proposals, by id, optionally of one status.
    async fn proposals_of_cycle(
        &self,
        cycle: CycleId,
        status: Option<ProposalStatus>,
    ) -> Result<Vec<ProposalRecord>, StoreError>;
}

/// The two checks beamline staff make before review.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CheckKind {
    Feasibility,
    Safety,
}

impl CheckKind {
    pub fn as_code(self) -> &'static str {
        match self {
            CheckKind::Feasibility => "feasibility",
            CheckKind::Safety => "safety",
        }
    }

    pub fn parse(code: &str) -> Result<CheckKind, corridor_domain::DomainError> {
        match code {
            "feasibility" => Ok(CheckKind::Feasibility),
            "safety" => Ok(CheckKind::Safety),
            other => Err(corridor_domain::DomainError::invalid(
                "kind",
                format!("{other:?}: expected feasibility or safety"),
            )),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckRecord {
    pub proposal: ProposalId,
    pub kind: CheckKind,
    pub approved: bool,
    pub note: String,
    pub checked_by: UserId,
    pub checked_at: Timestamp,
}

/// A reviewer as the programme keeps them: their panel, expertise and load.
#[derive(Debug, Clone, PartialEq)]
pub struct ReviewerRecord {
    pub user: UserId,
    pub display_name: String,
    pub institution: corridor_domain::InstitutionId,
    pub discipline: Discipline,
    pub expertise: Vec<String>,
    pub max_load: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ReviewRecord {
    pub proposal: ProposalId,
    pub reviewer: UserId,
    pub cycle: CycleId,
    pub affinity: u32,
    pub grade: Option<f64>,
    pub comment: String,
    pub assigned_at: Timestamp,
    pub graded_at: Option<Timestamp>,
}

/// One allocation decision as stored: the domain's decision in the store's terms.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredDecision {
    pub proposal: ProposalId,
    pub beamline: BeamlineId,
    pub requested: u32,
    pub granted: u32,
    pub effective_score: Option<f64>,
    pub cycles_waiting: u32,
    /// What the grant costs (proprietary time only), in fen.
    pub fee_fen: i64,
    /// The reason's code (e.g. `granted`, `below_cutoff`).
    pub reason: String,
    /// The reason in a sentence for the team.
    pub explanation: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoredBlock {
    pub beamline: BeamlineId,
    pub proposal: ProposalId,
    pub first_shift: u32,
    pub shifts: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewNotification {
    pub user: UserId,
    pub kind: String,
    pub subject: String,
    pub body: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotificationRecord {
    pub id: i64,
    pub user: UserId,
    pub kind: String,
    pub subject: String,
    pub body: String,
    pub created_at: Timestamp,
    pub sent_at: Option<Timestamp>,
    /// The booking the mail is about, if any.
    pub booking: Option<corridor_domain::BookingId>,
    /// The iCalendar attachment, for a mail about an event.
    pub ics: Option<String>,
}

/// A person on a proposal of a cycle, with where they come from (for the statistics).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProposalPersonOrigin {
    pub proposal: ProposalId,
    pub user: UserId,
    pub institution: corridor_domain::InstitutionId,
    pub institution_kind: String,
    pub province: String,
    /// Whether this person leads the proposal (else a team member).
    pub principal: bool,
}

/// What a resubmitted proposal's predecessor got: its best score, shifts granted and the
/// cycles it had already waited.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PredecessorOutcome {
    pub proposal: ProposalId,
    pub best_score: Option<f64>,
    pub granted: u32,
    pub cycles_waiting: u32,
}

/// The programme's review and allocation records.
#[async_trait]
pub trait FacilityReviewStore: Send + Sync {
    /// Records (or replaces) a check of a submitted proposal.
    async fn record_check(
        &self,
        check: &CheckRecord,
        context: &AuditContext,
    ) -> Result<CheckRecord, StoreError>;

    async fn checks_of_cycle(&self, cycle: CycleId) -> Result<Vec<CheckRecord>, StoreError>;

    /// Sets a reviewer's panel, expertise and load; the user must hold the reviewer role.
    async fn set_reviewer_profile(
        &self,
        user: UserId,
        discipline: Discipline,
        expertise: &[String],
        max_load: u32,
        context: &AuditContext,
    ) -> Result<ReviewerRecord, StoreError>;

    async fn reviewer_profiles(&self) -> Result<Vec<ReviewerRecord>, StoreError>;

    /// Replaces a cycle's reviewer assignment with `pairs` (proposal, reviewer, affinity);
    /// refused once any review of the cycle has a grade.
    async fn replace_review_assignment(
        &self,
        cycle: CycleId,
        pairs: &[(ProposalId, UserId, u32)],
        now: Timestamp,
        context: &AuditContext,
    ) -> Result<(), StoreError>;

    async fn reviews_of_cycle(&self, cycle: CycleId) -> Result<Vec<ReviewRecord>, StoreError>;

    /// A reviewer's queue: their reviews in every cycle, newest cycle first.
    async fn reviews_of_reviewer(&self, reviewer: UserId) -> Result<Vec<ReviewRecord>, StoreError>;

    /// Grades a proposal the reviewer was assigned; not found otherwise.
    async fn grade_review(
        &self,
        proposal: ProposalId,
        reviewer: UserId,
        grade: f64,
        comment: &str,
        now: Timestamp,
        context: &AuditContext,
    ) -> Result<ReviewRecord, StoreError>;

    /// Replaces a cycle's allocation (decisions and placed shifts) and queues the
    /// notifications, all in one transaction.
    async fn replace_allocation(
        &self,
        cycle: CycleId,
        decisions: &[StoredDecision],
        blocks: &[StoredBlock],
        notifications: &[NewNotification],
        now: Timestamp,
        context: &AuditContext,
    ) -> Result<(), StoreError>;

    /// Records a lost beam day of the cycle and replaces its placed blocks with the ones
    /// re-planned around it, queuing the notifications, in one transaction; refused when the
    /// day is already closed or the cycle has no allocation.
    async fn record_lost_day(
        &self,
        cycle: CycleId,
        day: corridor_domain::facility::proposal::ClosedDay,
        blocks: &[StoredBlock],
        notifications: &[NewNotification],
        context: &AuditContext,
    ) -> Result<(), StoreError>;

    async fn decisions_of_cycle(&self, cycle: CycleId) -> Result<Vec<StoredDecision>, StoreError>;

    async fn schedule_of_cycle(&self, cycle: CycleId) -> Result<Vec<StoredBlock>, StoreError>;

    /// What each of `proposals` got in its own cycle (for the aging of resubmissions).
    async fn predecessor_outcomes(
        &self,
        proposals: &[ProposalId],
    ) -> Result<Vec<PredecessorOutcome>, StoreError>;

    /// The principals and team members of a cycle's submitted proposals, with origins.
    async fn people_of_cycle(
        &self,
        cycle: CycleId,
    ) -> Result<Vec<ProposalPersonOrigin>, StoreError>;

    /// A user's notifications, newest first.
    async fn notifications_of_user(
        &self,
        user: UserId,
        limit: u32,
    ) -> Result<Vec<NotificationRecord>, StoreError>;
}
