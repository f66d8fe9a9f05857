//! Before the allocation: the feasibility and safety checks the user office records, the
//! college of reviewers and their profiles, the assignment of reviewers to a cycle's
//! proposals, and the reviewers' queues and grades.

use corridor_domain::facility::proposal::{CycleId, Discipline};
use corridor_domain::facility::ProposalId;
use corridor_domain::{optional_bounded_text, UserId};
use corridor_store::beamtime::{
    CheckKind, CheckRecord, ProposalRecord, ReviewRecord, ReviewerRecord,
};

use super::allocation::{assign_cycle_reviewers, ReviewAssignmentSummary};
use super::{require_a_user_office, require_reviewer, require_user_office, Beamtime};
use crate::actor::Actor;
use crate::error::{AppError, AppResult, Refusal};

/// The longest note a check may carry.
pub const LONGEST_CHECK_NOTE_CHARS: usize = 2_000;

/// A check as recorded, with the cycle of the proposal it is about.
#[derive(Debug, Clone)]
pub struct RecordedCheck {
    pub check: CheckRecord,
    pub cycle: CycleId,
}

/// A review assigned to a reviewer, with the proposal it is about.
#[derive(Debug, Clone)]
pub struct AssignedReview {
    pub review: ReviewRecord,
    pub proposal: ProposalRecord,
}

impl Beamtime<'_> {
    /// Records the feasibility or safety verdict on a submitted proposal (a second verdict
    /// of a kind replaces the first); a refused one keeps the proposal out of review and
    /// allocation. The facility's user office only.
    #[tracing::instrument(skip_all, fields(proposal = proposal.0, kind = kind.as_code(), approved))]
    pub async fn record_check(
        &self,
        actor: &Actor,
        proposal: ProposalId,
        kind: CheckKind,
        approved: bool,
        note: &str,
    ) -> AppResult<RecordedCheck> {
        let user = actor.require_user()?;
        let record = self
            .store
            .proposal(proposal)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("no proposal {}", proposal.0)))?;
        let cycle = self.stored_cycle(record.cycle).await?;
        require_user_office(user, cycle.facility)?;
        let check = CheckRecord {
            proposal: record.id,
            kind,
            approved,
            note: optional_bounded_text("note", Some(note), LONGEST_CHECK_NOTE_CHARS)?
                .unwrap_or_default(),
            checked_by: user.id,
            checked_at: corridor_store::now(),
        };
        let check = self
            .store
            .record_check(&check, &actor.audit_context())
            .await;
        self.cycle_changed(cycle.id);
        let check = check?;
        Ok(RecordedCheck {
            check,
            cycle: cycle.id,
        })
    }

    /// The checks of a cycle's proposals. The facility's user office only.
    pub async fn cycle_checks(&self, actor: &Actor, cycle: CycleId) -> AppResult<Vec<CheckRecord>> {
        let cycle = self.user_office_cycle(actor, cycle).await?;
        Ok(self.store.checks_of_cycle(cycle.id).await?)
    }

    /// The reviewers, their panels, expertise and loads. User offices only.
    pub async fn reviewers(&self, actor: &Actor) -> AppResult<Vec<ReviewerRecord>> {
        require_a_user_office(actor.require_user()?)?;
        Ok(self.store.reviewer_profiles().await?)
    }

    /// Sets a reviewer's panel (discipline), expertise and most proposals per cycle; the
    /// user must hold the reviewer role. User offices only.
    #[tracing::instrument(skip_all, fields(reviewer = reviewer.0))]
    pub async fn set_reviewer_profile(
        &self,
        actor: &Actor,
        reviewer: UserId,
        discipline: Discipline,
        expertise: &[String],
        max_load: u32,
    ) -> AppResult<ReviewerRecord> {
        require_a_user_office(actor.require_user()?)?;
        Ok(self
            .store
            .set_reviewer_profile(
                reviewer,
                discipline,
                expertise,
                max_load,
                &actor.audit_context(),
            )
            .await?)
    }

    /// Assigns reviewers to the cycle's submitted proposals that passed their checks,
    /// replacing an earlier assignment until the first grade. The facility's user office
    /// only.
    #[tracing::instrument(skip_all, fields(cycle = cycle.0))]
    pub async fn assign_reviewers(
        &self,
        actor: &Actor,
        cycle: CycleId,
    ) -> AppResult<ReviewAssignmentSummary> {
        let cycle = self.user_office_cycle(actor, cycle).await?;
        let assigned = assign_cycle_reviewers(self.store, &cycle, &actor.audit_context()).await;
        self.cycle_changed(cycle.id);
        assigned
    }

    /// The actor's review queue, newest cycle first. Reviewers only.
    pub async fn my_reviews(&self, actor: &Actor) -> AppResult<Vec<AssignedReview>> {
        let user = actor.require_user()?;
        require_reviewer(user)?;
        let reviews = self.store.reviews_of_reviewer(user.id).await?;
        let mut assigned = Vec::with_capacity(reviews.len());
        for review in reviews {
            if let Some(proposal) = self.store.proposal(review.proposal).await? {
                assigned.push(AssignedReview { review, proposal });
            }
        }
        Ok(assigned)
    }

    /// Grades a proposal assigned to the actor (again, to change the grade); one not
    /// assigned to them is not found. Reviewers only.
    #[tracing::instrument(skip_all, fields(proposal = proposal.0))]
    pub async fn grade(
        &self,
        actor: &Actor,
        proposal: ProposalId,
        grade: f64,
        comment: &str,
    ) -> AppResult<AssignedReview> {
        let user = actor.require_user()?;
        require_reviewer(user)?;
        // Once the allocation ran on the grades, changing one would leave the decisions
        // standing on grades that are no longer the cycle's.
        let cycle = match self.store.proposal(proposal).await? {
            Some(record) => {
                if !self
                    .store
                    .decisions_of_cycle(record.cycle)
                    .await?
                    .is_empty()
                {
                    return Err(Refusal::GradingClosed {
                        cycle: record.cycle.0,
                    }
                    .into());
                }
                Some(record.cycle)
            }
            None => None,
        };
        let review = self
            .store
            .grade_review(
                proposal,
                user.id,
                grade,
                comment,
                corridor_store::now(),
                &actor.audit_context(),
            )
            .await;
        if let Some(cycle) = cycle {
            self.cycle_changed(cycle);
        }
        let review = review?;
        let proposal = self
            .store
            .proposal(review.proposal)
            .await?
            .ok_or_else(|| AppError::internal("a graded proposal is gone"))?;
        Ok(AssignedReview { review, proposal })
    }
}
