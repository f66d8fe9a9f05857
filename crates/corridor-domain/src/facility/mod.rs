//! The large-facility user programme: proposals for beamtime, their review and the allocation
//! of shifts. This first part is the reviewer assignment; calls, cycles, proposals and the
//! shift schedule follow.

mod flow;
pub mod review;

pub use review::{
    affinity, assign_reviewers, conflict_between, validate_assignment, AssignmentError,
    AssignmentViolation, Conflict, ProposalForReview, ProposalId, ReviewAssignment,
    ReviewerId, ReviewerProfile,
};
