//! The large-facility user programme: proposals for beamtime, their review and the allocation
//! of shifts. `proposal` holds cycles and what a submission must keep; `review` the reviewer
//! assignment; `allocation` stage one of the allocation (shifts per proposal and beamline,
//! ranked, with quotas and a reason for every decision); `schedule` stage two (placing the
//! shifts on the calendar); `plan` joins them for a whole cycle.

pub mod allocation;
mod flow;
pub mod plan;
pub mod proposal;
pub mod review;
pub mod schedule;

pub use review::{
    affinity, assign_reviewers, conflict_between, validate_assignment, AssignmentError,
    AssignmentViolation, Conflict, ProposalForReview, ProposalId, ReviewAssignment, ReviewerId,
    ReviewerProfile,
};
