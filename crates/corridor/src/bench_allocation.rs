//! `corridor bench allocation`: the large-facility programme's solvers at the size of a real
//! cycle. So far the reviewer assignment: 1,500 proposals × 400 reviewers, 3 reviews each,
//! loads of at most 14, conflicts of interest by institution, team membership and
//! declaration. Beside it, in the same run, a greedy baseline (each proposal in turn takes
//! the best reviewers still free) with its total affinity and the proposals it leaves short.
//! The schedule figures (`solve_s`, `gap`, `violations`, `replan_s`, `replan_moved_pct`) are
//! null until the shift scheduler exists. Prints one JSON object on its last line.

use std::time::Instant;

use anyhow::{bail, Result};
use corridor_domain::facility::{
    affinity, assign_reviewers, conflict_between, validate_assignment, ProposalForReview,
    ProposalId, ReviewerId, ReviewerProfile,
};
use corridor_domain::{InstitutionId, UserId};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use serde_json::json;

use crate::bench_ledger::percentile;

const PROPOSALS: usize = 1_500;
const REVIEWERS: usize = 400;
const REVIEWS_PER_PROPOSAL: u32 = 3;
const MAX_LOAD: u32 = 14;
const INSTITUTIONS: i64 = 160;

const TECHNIQUES: [&str; 22] = [
    "saxs", "waxs", "xas", "xanes", "exafs", "xrd", "powder diffraction", "crystallography",
    "xrf", "xps", "arpes", "stxm", "tomography", "ptychography", "imaging", "xpcs",
    "rixs", "ir spectroscopy", "lithography", "high pressure", "microfocus", "time resolved",
];
const KEYWORDS: [&str; 40] = [
    "protein", "membrane", "enzyme", "virus", "catalysis", "battery", "perovskite", "polymer",
    "alloy", "corrosion", "thin film", "nanoparticle", "quantum material", "superconductor",
    "magnetism", "geology", "soil", "cultural heritage", "semiconductor", "2d material",
    "fuel cell", "cement", "pharmaceutical", "food", "biomineral", "meteorite", "glass",
    "ceramic", "liquid crystal", "colloid", "hydrogen storage", "photovoltaic", "zeolite",
    "mof", "graphene", "oxide", "additive manufacturing", "turbine blade", "bone", "plant",
];

fn pick(rng: &mut StdRng, from: &[&str], count: usize) -> Vec<String> {
    from.choose_multiple(rng, count).map(|term| (*term).to_owned()).collect()
}

pub fn instance(seed: u64) -> (Vec<ProposalForReview>, Vec<ReviewerProfile>) {
    let mut rng = StdRng::seed_from_u64(seed);
    let reviewers: Vec<ReviewerProfile> = (0..REVIEWERS)
        .map(|index| ReviewerProfile {
            id: ReviewerId(index as i64 + 1),
            user: UserId(100_000 + index as i64),
            institution: InstitutionId(rng.gen_range(1..=INSTITUTIONS)),
            expertise: {
                let techniques = rng.gen_range(2..=5);
                let keywords = rng.gen_range(3..=8);
                let mut terms = pick(&mut rng, &TECHNIQUES, techniques);
                terms.extend(pick(&mut rng, &KEYWORDS, keywords));
                terms
            },
            max_load: MAX_LOAD,
        })
        .collect();
    let proposals = (0..PROPOSALS)
        .map(|index| {
            let members = rng.gen_range(2..=6);
            let team: Vec<UserId> = (0..members)
                .map(|_| {
                    // Now and then a reviewer is on a team.
                    if rng.gen_bool(0.03) {
                        reviewers[rng.gen_range(0..REVIEWERS)].user
                    } else {
                        UserId(rng.gen_range(1..50_000))
                    }
                })
                .collect();
            let team_institutions = (0..members)
                .map(|_| InstitutionId(rng.gen_range(1..=INSTITUTIONS)))
                .collect();
            let techniques_count = rng.gen_range(1..=3);
            let keywords_count = rng.gen_range(2..=5);
            ProposalForReview {
                id: ProposalId(index as i64 + 1),
                team,
                team_institutions,
                techniques: pick(&mut rng, &TECHNIQUES, techniques_count),
                keywords: pick(&mut rng, &KEYWORDS, keywords_count),
                declared_conflicts: if rng.gen_bool(0.05) {
                    vec![ReviewerId(rng.gen_range(1..=REVIEWERS as i64))]
                } else {
                    Vec::new()
                },
            }
        })
        .collect();
    (proposals, reviewers)
}

/// The baseline: proposals in order, each taking the highest-affinity reviewers that are
/// free of conflict and under their load. Answers (total affinity, proposals left short).
fn greedy(proposals: &[ProposalForReview], reviewers: &[ReviewerProfile]) -> (u64, usize) {
    let mut load = vec![0u32; reviewers.len()];
    let mut total = 0u64;
    let mut short = 0;
    for proposal in proposals {
        let mut candidates: Vec<(u32, usize)> = reviewers
            .iter()
            .enumerate()
            .filter(|(index, reviewer)| {
                load[*index] < reviewer.max_load && conflict_between(proposal, reviewer).is_none()
            })
            .map(|(index, reviewer)| (affinity(proposal, reviewer), index))
            .collect();
        candidates.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        let taken = candidates.iter().take(REVIEWS_PER_PROPOSAL as usize);
        let mut count = 0;
        for (score, index) in taken {
            load[*index] += 1;
            total += u64::from(*score);
            count += 1;
        }
        if count < REVIEWS_PER_PROPOSAL {
            short += 1;
        }
    }
    (total, short)
}

pub fn run(seed: u64, rounds: usize) -> Result<()> {
    let (proposals, reviewers) = instance(seed);
    let mut times = Vec::new();
    let mut assignment = None;
    for _ in 0..rounds.max(1) {
        let started = Instant::now();
        let solved = assign_reviewers(&proposals, &reviewers, REVIEWS_PER_PROPOSAL)?;
        times.push(started.elapsed().as_secs_f64());
        assignment = Some(solved);
    }
    let assignment = assignment.expect("at least one round");
    let violations = validate_assignment(&proposals, &reviewers, REVIEWS_PER_PROPOSAL, &assignment);
    if !violations.is_empty() {
        bail!("the assignment breaks {} rules: {:?}", violations.len(), &violations[..violations.len().min(5)]);
    }
    times.sort_by(f64::total_cmp);
    let started = Instant::now();
    let (greedy_total, greedy_short) = greedy(&proposals, &reviewers);
    let greedy_s = started.elapsed().as_secs_f64();
    let mean_affinity = assignment.total_affinity as f64 / assignment.pairs.len() as f64;
    let result = json!({
        "proposals": PROPOSALS,
        "reviewers": REVIEWERS,
        "reviews_per_proposal": REVIEWS_PER_PROPOSAL,
        "max_load": MAX_LOAD,
        "rounds": times.len(),
        "review_assign_s": percentile(&times, 0.5),
        "review_assign_max_s": times.last().copied().unwrap_or(0.0),
        "review_violations": violations.len(),
        "review_total_affinity": assignment.total_affinity,
        "review_mean_affinity": mean_affinity,
        "greedy_total_affinity": greedy_total,
        "greedy_proposals_short": greedy_short,
        "greedy_s": greedy_s,
        "affinity_over_greedy": assignment.total_affinity as f64 / greedy_total.max(1) as f64,
        "solve_s": serde_json::Value::Null,
        "gap": serde_json::Value::Null,
        "violations": serde_json::Value::Null,
        "replan_s": serde_json::Value::Null,
        "replan_moved_pct": serde_json::Value::Null,
    });
    println!("{result}");
    Ok(())
}
