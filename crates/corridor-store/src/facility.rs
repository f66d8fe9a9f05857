//! The large-facility programme's records: proposal cycles and proposals. The rules of a
//! submission are the domain's (`corridor_domain::facility::proposal`); the store adds what
//! needs the data: the cycle must exist, the beamlines asked for must be the facility's, and
//! only the proposal's principal investigator submits or withdraws it.

use async_trait::async_trait;
use corridor_domain::facility::proposal::{Cycle, CycleId, ProposalDraft, ProposalStatus, SubmissionRefusal};
use corridor_domain::facility::ProposalId;
use corridor_domain::UserId;
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
    async fn create_cycle(&self, cycle: &Cycle, context: &AuditContext) -> Result<Cycle, StoreError>;

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

    /// A cycle's proposals, by id, optionally of one status.
    async fn proposals_of_cycle(
        &self,
        cycle: CycleId,
        status: Option<ProposalStatus>,
    ) -> Result<Vec<ProposalRecord>, StoreError>;
}
