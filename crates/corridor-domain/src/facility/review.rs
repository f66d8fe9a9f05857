//! Reviewer assignment: each proposal gets `k` reviewers, no reviewer more than their load,
//! never a reviewer with a conflict of interest (same institution as a team member, a member
//! of the team, or a declared conflict), and among the assignments that keep those rules the
//! one with the greatest total expertise affinity (technique and keyword overlap).
//!
//! It is a minimum-cost flow: source → proposal (capacity k) → reviewer (capacity 1, cost
//! `MAX_AFFINITY - affinity`, conflicted pairs left out) → sink (capacity the load). Every unit
//! crosses exactly one proposal–reviewer edge, so minimising the cost of the full flow
//! maximises the total affinity. [`validate_assignment`] checks a result independently.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use serde::Serialize;

use super::flow::FlowGraph;
use crate::{InstitutionId, UserId};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct ProposalId(pub i64);

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct ReviewerId(pub i64);

/// A reviewer as the assignment sees them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewerProfile {
    pub id: ReviewerId,
    pub user: UserId,
    pub institution: InstitutionId,
    /// Techniques and keywords the reviewer knows, lower case.
    pub expertise: Vec<String>,
    /// Most proposals this reviewer takes in a cycle.
    pub max_load: u32,
}

/// A proposal as the assignment sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProposalForReview {
    pub id: ProposalId,
    pub team: Vec<UserId>,
    /// The team members' institutions.
    pub team_institutions: Vec<InstitutionId>,
    pub techniques: Vec<String>,
    pub keywords: Vec<String>,
    /// Reviewers the team declared a conflict with.
    pub declared_conflicts: Vec<ReviewerId>,
}

/// Why a reviewer may not review a proposal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Conflict {
    SameInstitution,
    TeamMember,
    Declared,
}

pub fn conflict_between(
    proposal: &ProposalForReview,
    reviewer: &ReviewerProfile,
) -> Option<Conflict> {
    if proposal.team.contains(&reviewer.user) {
        Some(Conflict::TeamMember)
    } else if proposal.team_institutions.contains(&reviewer.institution) {
        Some(Conflict::SameInstitution)
    } else if proposal.declared_conflicts.contains(&reviewer.id) {
        Some(Conflict::Declared)
    } else {
        None
    }
}

/// The most affinity one pair can have; a technique in common counts 3, a keyword 1.
pub const MAX_AFFINITY: i64 = 30;

/// Expertise affinity of a reviewer for a proposal: shared techniques weigh three times a
/// shared keyword; capped at [`MAX_AFFINITY`].
pub fn affinity(proposal: &ProposalForReview, reviewer: &ReviewerProfile) -> u32 {
    let knows = |term: &String| reviewer.expertise.iter().any(|known| known == term);
    let techniques = proposal
        .techniques
        .iter()
        .filter(|term| knows(term))
        .count() as i64;
    let keywords = proposal.keywords.iter().filter(|term| knows(term)).count() as i64;
    (3 * techniques + keywords).min(MAX_AFFINITY) as u32
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReviewAssignment {
    /// (proposal, reviewer, affinity), by proposal then reviewer.
    pub pairs: Vec<(ProposalId, ReviewerId, u32)>,
    pub total_affinity: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AssignmentError {
    #[error("every proposal needs at least one review")]
    NoReviewsAsked,
    #[error("{0:?} appears twice")]
    DuplicateProposal(ProposalId),
    #[error("{0:?} appears twice")]
    DuplicateReviewer(ReviewerId),
    #[error("the reviewers cannot cover {missing} of the {needed} reviews asked without a conflict or an overload; first short: {short:?}")]
    Infeasible {
        needed: u64,
        missing: u64,
        short: Vec<ProposalId>,
    },
}

/// Assigns `reviews_per_proposal` reviewers to every proposal (see the module comment).
pub fn assign_reviewers(
    proposals: &[ProposalForReview],
    reviewers: &[ReviewerProfile],
    reviews_per_proposal: u32,
) -> Result<ReviewAssignment, AssignmentError> {
    if reviews_per_proposal == 0 {
        return Err(AssignmentError::NoReviewsAsked);
    }
    let mut seen = HashSet::new();
    for proposal in proposals {
        if !seen.insert(proposal.id) {
            return Err(AssignmentError::DuplicateProposal(proposal.id));
        }
    }
    let mut seen = HashSet::new();
    for reviewer in reviewers {
        if !seen.insert(reviewer.id) {
            return Err(AssignmentError::DuplicateReviewer(reviewer.id));
        }
    }
    let source = 0;
    let sink = 1;
    let proposal_node = |index: usize| 2 + index;
    let reviewer_node = |index: usize| 2 + proposals.len() + index;
    let mut graph = FlowGraph::new(2 + proposals.len() + reviewers.len());
    for (index, _) in proposals.iter().enumerate() {
        graph.add_edge(source, proposal_node(index), reviews_per_proposal as i32, 0);
    }
    // Expertise is compared as sets of interned terms: the pairs are the hot loop.
    let mut terms: BTreeMap<String, u32> = BTreeMap::new();
    let mut intern = |term: &String| -> u32 {
        if let Some(id) = terms.get(term) {
            return *id;
        }
        let next = terms.len() as u32;
        terms.insert(term.clone(), next);
        next
    };
    let reviewer_terms: Vec<Vec<u32>> = reviewers
        .iter()
        .map(|reviewer| {
            let mut ids: Vec<u32> = reviewer.expertise.iter().map(&mut intern).collect();
            ids.sort_unstable();
            ids.dedup();
            ids
        })
        .collect();
    let mut pair_edges = Vec::new();
    for (p, proposal) in proposals.iter().enumerate() {
        let techniques: Vec<u32> = proposal.techniques.iter().map(&mut intern).collect();
        let keywords: Vec<u32> = proposal.keywords.iter().map(&mut intern).collect();
        for (r, reviewer) in reviewers.iter().enumerate() {
            if conflict_between(proposal, reviewer).is_some() {
                continue;
            }
            let known = &reviewer_terms[r];
            let shared = |list: &[u32]| {
                list.iter()
                    .filter(|term| known.binary_search(term).is_ok())
                    .count() as i64
            };
            let score = (3 * shared(&techniques) + shared(&keywords)).min(MAX_AFFINITY);
            let edge = graph.add_edge(proposal_node(p), reviewer_node(r), 1, MAX_AFFINITY - score);
            pair_edges.push((edge, p, r, score as u32));
        }
    }
    for (index, reviewer) in reviewers.iter().enumerate() {
        graph.add_edge(reviewer_node(index), sink, reviewer.max_load as i32, 0);
    }
    let needed = u64::from(reviews_per_proposal) * proposals.len() as u64;
    let (flow, _) = graph.min_cost_flow(source, sink, needed as i64);
    let mut pairs: Vec<(ProposalId, ReviewerId, u32)> = pair_edges
        .iter()
        .filter(|(edge, ..)| graph.flow_on(*edge) > 0)
        .map(|(_, p, r, score)| (proposals[*p].id, reviewers[*r].id, *score))
        .collect();
    if (flow as u64) < needed {
        let mut count: BTreeMap<ProposalId, u32> = BTreeMap::new();
        for (proposal, ..) in &pairs {
            *count.entry(*proposal).or_default() += 1;
        }
        let short = proposals
            .iter()
            .filter(|proposal| count.get(&proposal.id).copied().unwrap_or(0) < reviews_per_proposal)
            .map(|proposal| proposal.id)
            .take(10)
            .collect();
        return Err(AssignmentError::Infeasible {
            needed,
            missing: needed - flow as u64,
            short,
        });
    }
    pairs.sort_unstable();
    let total_affinity = pairs.iter().map(|(.., score)| u64::from(*score)).sum();
    Ok(ReviewAssignment {
        pairs,
        total_affinity,
    })
}

/// A hard rule an assignment breaks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum AssignmentViolation {
    WrongReviewCount {
        proposal: ProposalId,
        reviews: u32,
    },
    Overloaded {
        reviewer: ReviewerId,
        load: u32,
    },
    Conflicted {
        proposal: ProposalId,
        reviewer: ReviewerId,
        conflict: Conflict,
    },
    UnknownPair {
        proposal: ProposalId,
        reviewer: ReviewerId,
    },
    RepeatedPair {
        proposal: ProposalId,
        reviewer: ReviewerId,
    },
}

/// Checks an assignment against the rules, without trusting the solver.
pub fn validate_assignment(
    proposals: &[ProposalForReview],
    reviewers: &[ReviewerProfile],
    reviews_per_proposal: u32,
    assignment: &ReviewAssignment,
) -> Vec<AssignmentViolation> {
    let mut violations = Vec::new();
    let mut per_proposal: BTreeMap<ProposalId, u32> = BTreeMap::new();
    let mut per_reviewer: BTreeMap<ReviewerId, u32> = BTreeMap::new();
    let mut pairs = BTreeSet::new();
    for (proposal_id, reviewer_id, _) in &assignment.pairs {
        if !pairs.insert((*proposal_id, *reviewer_id)) {
            violations.push(AssignmentViolation::RepeatedPair {
                proposal: *proposal_id,
                reviewer: *reviewer_id,
            });
        }
        let proposal = proposals
            .iter()
            .find(|proposal| proposal.id == *proposal_id);
        let reviewer = reviewers
            .iter()
            .find(|reviewer| reviewer.id == *reviewer_id);
        let (Some(proposal), Some(reviewer)) = (proposal, reviewer) else {
            violations.push(AssignmentViolation::UnknownPair {
                proposal: *proposal_id,
                reviewer: *reviewer_id,
            });
            continue;
        };
        if let Some(conflict) = conflict_between(proposal, reviewer) {
            violations.push(AssignmentViolation::Conflicted {
                proposal: *proposal_id,
                reviewer: *reviewer_id,
                conflict,
            });
        }
        *per_proposal.entry(*proposal_id).or_default() += 1;
        *per_reviewer.entry(*reviewer_id).or_default() += 1;
    }
    for proposal in proposals {
        let reviews = per_proposal.get(&proposal.id).copied().unwrap_or(0);
        if reviews != reviews_per_proposal {
            violations.push(AssignmentViolation::WrongReviewCount {
                proposal: proposal.id,
                reviews,
            });
        }
    }
    for reviewer in reviewers {
        let load = per_reviewer.get(&reviewer.id).copied().unwrap_or(0);
        if load > reviewer.max_load {
            violations.push(AssignmentViolation::Overloaded {
                reviewer: reviewer.id,
                load,
            });
        }
    }
    violations
}

#[cfg(test)]
mod tests;
