use proptest::prelude::*;

use super::*;

fn reviewer(id: i64, institution: i64, expertise: &[&str], max_load: u32) -> ReviewerProfile {
    ReviewerProfile {
        id: ReviewerId(id),
        user: UserId(1_000 + id),
        institution: InstitutionId(institution),
        expertise: expertise.iter().map(|term| (*term).to_owned()).collect(),
        max_load,
    }
}

fn proposal(
    id: i64,
    institutions: &[i64],
    techniques: &[&str],
    keywords: &[&str],
) -> ProposalForReview {
    ProposalForReview {
        id: ProposalId(id),
        team: vec![UserId(5_000 + id)],
        team_institutions: institutions.iter().map(|id| InstitutionId(*id)).collect(),
        techniques: techniques.iter().map(|term| (*term).to_owned()).collect(),
        keywords: keywords.iter().map(|term| (*term).to_owned()).collect(),
        declared_conflicts: Vec::new(),
    }
}

#[test]
fn conflicts_are_never_assigned_and_affinity_decides_the_rest() {
    let mut saxs = proposal(1, &[10], &["saxs"], &["protein"]);
    saxs.declared_conflicts.push(ReviewerId(3));
    let xas = proposal(2, &[20], &["xas"], &["catalysis"]);
    let reviewers = vec![
        // Same institution as the SAXS team: may only review the XAS proposal.
        reviewer(1, 10, &["saxs", "protein"], 2),
        reviewer(2, 30, &["saxs"], 2),
        reviewer(3, 40, &["saxs", "protein"], 2),
        reviewer(4, 50, &["xas", "catalysis"], 2),
        reviewer(5, 60, &[], 2),
    ];
    let assignment = assign_reviewers(&[saxs.clone(), xas.clone()], &reviewers, 2).unwrap();
    assert!(
        validate_assignment(&[saxs.clone(), xas.clone()], &reviewers, 2, &assignment).is_empty()
    );
    let of = |proposal: i64| -> Vec<i64> {
        assignment
            .pairs
            .iter()
            .filter(|(p, ..)| p.0 == proposal)
            .map(|(_, r, _)| r.0)
            .collect()
    };
    // Reviewer 1 (same institution) and 3 (declared) are out for SAXS: 2 (saxs, 3) and then
    // the best of the rest.
    assert!(of(1).contains(&2) && !of(1).contains(&1) && !of(1).contains(&3));
    assert!(of(2).contains(&4));
    assert_eq!(
        conflict_between(&saxs, &reviewers[0]),
        Some(Conflict::SameInstitution)
    );
    assert_eq!(
        conflict_between(&saxs, &reviewers[2]),
        Some(Conflict::Declared)
    );
    assert_eq!(affinity(&saxs, &reviewers[1]), 3);
    assert_eq!(affinity(&xas, &reviewers[3]), 4);
}

#[test]
fn too_few_reviewers_is_a_clear_error() {
    let proposals = vec![
        proposal(1, &[10], &["saxs"], &[]),
        proposal(2, &[10], &["saxs"], &[]),
    ];
    let reviewers = vec![reviewer(1, 30, &["saxs"], 1), reviewer(2, 10, &["saxs"], 5)];
    match assign_reviewers(&proposals, &reviewers, 1) {
        Err(AssignmentError::Infeasible {
            needed,
            missing,
            short,
        }) => {
            assert_eq!((needed, missing), (2, 1));
            assert_eq!(short.len(), 1);
        }
        other => panic!("expected infeasible, got {other:?}"),
    }
    assert_eq!(
        assign_reviewers(&proposals, &reviewers, 0),
        Err(AssignmentError::NoReviewsAsked)
    );
}

#[test]
fn the_validator_finds_every_kind_of_violation() {
    let proposals = vec![
        proposal(1, &[10], &["saxs"], &[]),
        proposal(2, &[20], &[], &[]),
    ];
    let reviewers = vec![reviewer(1, 10, &[], 1), reviewer(2, 30, &[], 1)];
    let bad = ReviewAssignment {
        pairs: vec![
            (ProposalId(1), ReviewerId(1), 0),
            (ProposalId(1), ReviewerId(2), 0),
            (ProposalId(1), ReviewerId(2), 0),
            (ProposalId(2), ReviewerId(9), 0),
        ],
        total_affinity: 0,
    };
    let violations = validate_assignment(&proposals, &reviewers, 1, &bad);
    let kinds: Vec<&str> = violations
        .iter()
        .map(|violation| match violation {
            AssignmentViolation::WrongReviewCount { .. } => "count",
            AssignmentViolation::Overloaded { .. } => "load",
            AssignmentViolation::Conflicted { .. } => "conflict",
            AssignmentViolation::UnknownPair { .. } => "unknown",
            AssignmentViolation::RepeatedPair { .. } => "repeated",
        })
        .collect();
    for kind in ["count", "load", "conflict", "unknown", "repeated"] {
        assert!(kinds.contains(&kind), "{kind} not found in {violations:?}");
    }
}

/// Every assignment that keeps the rules, by brute force; the best total affinity, if any.
fn best_by_brute_force(
    proposals: &[ProposalForReview],
    reviewers: &[ReviewerProfile],
    k: u32,
) -> Option<u64> {
    fn subsets(n: usize, k: usize) -> Vec<Vec<usize>> {
        (0u32..(1 << n))
            .filter(|mask| mask.count_ones() as usize == k)
            .map(|mask| (0..n).filter(|bit| mask >> bit & 1 == 1).collect())
            .collect()
    }
    let choices = subsets(reviewers.len(), k as usize);
    let mut best = None;
    let mut pick = vec![0usize; proposals.len()];
    loop {
        let mut load = vec![0u32; reviewers.len()];
        let mut total = 0u64;
        let mut valid = true;
        for (p, choice) in pick.iter().enumerate() {
            for &r in &choices[*choice] {
                if conflict_between(&proposals[p], &reviewers[r]).is_some() {
                    valid = false;
                }
                load[r] += 1;
                total += u64::from(affinity(&proposals[p], &reviewers[r]));
            }
        }
        valid &= load
            .iter()
            .zip(reviewers)
            .all(|(load, reviewer)| *load <= reviewer.max_load);
        if valid {
            best = Some(best.map_or(total, |best: u64| best.max(total)));
        }
        // Next combination.
        let mut position = 0;
        loop {
            if position == pick.len() {
                return best;
            }
            pick[position] += 1;
            if pick[position] < choices.len() {
                break;
            }
            pick[position] = 0;
            position += 1;
        }
    }
}

const VOCABULARY: [&str; 5] = ["saxs", "xas", "xrd", "protein", "catalysis"];

fn small_instance() -> impl Strategy<Value = (Vec<ProposalForReview>, Vec<ReviewerProfile>, u32)> {
    let proposal = (
        prop::collection::vec(0..3i64, 1..3),
        prop::collection::vec(0..5usize, 0..3),
        prop::collection::vec(0..5usize, 0..3),
        prop::collection::vec(1..6i64, 0..2),
    );
    let reviewer = (0..4i64, prop::collection::vec(0..5usize, 0..4), 1..4u32);
    (
        prop::collection::vec(proposal, 1..4),
        prop::collection::vec(reviewer, 2..6),
        1..3u32,
    )
        .prop_map(|(proposals, reviewers, k)| {
            let proposals = proposals
                .into_iter()
                .enumerate()
                .map(
                    |(index, (institutions, techniques, keywords, declared))| ProposalForReview {
                        id: ProposalId(index as i64 + 1),
                        team: vec![UserId(1_000 + index as i64)],
                        team_institutions: institutions.into_iter().map(InstitutionId).collect(),
                        techniques: techniques
                            .into_iter()
                            .map(|t| VOCABULARY[t].to_owned())
                            .collect(),
                        keywords: keywords
                            .into_iter()
                            .map(|t| VOCABULARY[t].to_owned())
                            .collect(),
                        declared_conflicts: declared.into_iter().map(ReviewerId).collect(),
                    },
                )
                .collect();
            let reviewers = reviewers
                .into_iter()
                .enumerate()
                .map(
                    |(index, (institution, expertise, max_load))| ReviewerProfile {
                        id: ReviewerId(index as i64 + 1),
                        user: UserId(2_000 + index as i64),
                        institution: InstitutionId(institution),
                        expertise: expertise
                            .into_iter()
                            .map(|t| VOCABULARY[t].to_owned())
                            .collect(),
                        max_load,
                    },
                )
                .collect();
            (proposals, reviewers, k)
        })
}

proptest! {
    /// On every small instance the solver finds an assignment exactly when one exists, it
    /// keeps every rule, and its total affinity is the best there is.
    #[test]
    fn the_solver_is_feasible_valid_and_optimal((proposals, reviewers, k) in small_instance()) {
        prop_assume!(k as usize <= reviewers.len());
        let best = best_by_brute_force(&proposals, &reviewers, k);
        match (assign_reviewers(&proposals, &reviewers, k), best) {
            (Ok(assignment), Some(best)) => {
                prop_assert!(validate_assignment(&proposals, &reviewers, k, &assignment).is_empty());
                prop_assert_eq!(assignment.total_affinity, best);
            }
            (Err(AssignmentError::Infeasible { .. }), None) => {}
            (result, best) => prop_assert!(false, "solver {:?}, brute force {:?}", result, best),
        }
    }
}
