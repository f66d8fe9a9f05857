//! The large-facility user programme: proposals for beamtime, their review and the allocation
//! of shifts. This first part is the reviewer assignment; calls, cycles, proposals and the
//! shift schedule follow. `allocation` is stage one of the allocation: shifts per proposal
//! and beamline, ranked, with quotas and a reason for every decision.

pub mod allocation;
mod flow;
pub mod proposal;
pub mod review;
pub mod schedule;

pub use review::{
    affinity, assign_reviewers, conflict_between, validate_assignment, AssignmentError,
    AssignmentViolation, Conflict, ProposalForReview, ProposalId, ReviewAssignment,
    ReviewerId, ReviewerProfile,
};
