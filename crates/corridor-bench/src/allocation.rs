//! `corridor-bench allocation`: the large-facility programme's solvers at the size of a real
//! cycle. So far the reviewer assignment: 1,500 proposals × 400 reviewers, 3 reviews each,
//! loads of at most 14, conflicts of interest by institution, team membership and
//! declaration. Beside it, in the same run, a greedy baseline (each proposal in turn takes
//! the best reviewers still free) with its total affinity and the proposals it leaves short.
//!
//! Then the cycle: 1,500 proposals asking for shifts on one or two of 34 beamlines (about 4×
//! what the 351-shift calendars offer, maintenance days closed), stage one (ranked grants with
//! quotas) and stage two (placing the grants on the calendars) together as `solve_s`; the
//! score against the bound no schedule can beat as `gap`; the independent validator's count
//! as `violations`; and a lost beam day re-planned (`replan_s`; `replan_moved_pct` is the
//! share of placed shift assignments that moved). Prints
//! one JSON object on its last line.

use std::time::Instant;

use anyhow::{bail, Result};
use corridor_domain::facility::allocation::{
    allocate_shifts, AllocationRules, BeamlineCapacity, ProposalType, ShiftRequest,
};
use corridor_domain::facility::schedule::{
    replan_without_day, schedule_bound, schedule_grants, schedule_score, validate_schedule,
    BeamlineCalendar, Grant, SHIFTS_PER_DAY,
};
use corridor_domain::facility::{
    affinity, assign_reviewers, conflict_between, validate_assignment, ProposalForReview,
    ProposalId, ReviewerId, ReviewerProfile,
};
use corridor_domain::{InstitutionId, UserId};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use serde_json::json;

use crate::statistics::percentile;

const PROPOSALS: usize = 1_500;
const REVIEWERS: usize = 400;
const REVIEWS_PER_PROPOSAL: u32 = 3;
const MAX_LOAD: u32 = 14;
const INSTITUTIONS: i64 = 160;

const TECHNIQUES: [&str; 22] = [
    "saxs",
    "waxs",
    "xas",
    "xanes",
    "exafs",
    "xrd",
    "powder diffraction",
    "crystallography",
    "xrf",
    "xps",
    "arpes",
    "stxm",
    "tomography",
    "ptychography",
    "imaging",
    "xpcs",
    "rixs",
    "ir spectroscopy",
    "lithography",
    "high pressure",
    "microfocus",
    "time resolved",
];
const KEYWORDS: [&str; 40] = [
    "protein",
    "membrane",
    "enzyme",
    "virus",
    "catalysis",
    "battery",
    "perovskite",
    "polymer",
    "alloy",
    "corrosion",
    "thin film",
    "nanoparticle",
    "quantum material",
    "superconductor",
    "magnetism",
    "geology",
    "soil",
    "cultural heritage",
    "semiconductor",
    "2d material",
    "fuel cell",
    "cement",
    "pharmaceutical",
    "food",
    "biomineral",
    "meteorite",
    "glass",
    "ceramic",
    "liquid crystal",
    "colloid",
    "hydrogen storage",
    "photovoltaic",
    "zeolite",
    "mof",
    "graphene",
    "oxide",
    "additive manufacturing",
    "turbine blade",
    "bone",
    "plant",
];

fn pick(rng: &mut StdRng, from: &[&str], count: usize) -> Vec<String> {
    from.choose_multiple(rng, count)
        .map(|term| (*term).to_owned())
        .collect()
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
        bail!(
            "the assignment breaks {} rules: {:?}",
            violations.len(),
            &violations[..violations.len().min(5)]
        );
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
    });
    let mut result = result;
    let cycle = cycle_figures(seed, rounds)?;
    if let (Some(into), Some(from)) = (result.as_object_mut(), cycle.as_object()) {
        into.extend(from.clone());
    }
    println!("{result}");
    Ok(())
}

const BEAMLINES: usize = 34;
const CYCLE_DAYS: u32 = 130;

/// The cycle's calendars: 130 days of three shifts, with a maintenance day and a
/// machine-development day a fortnight closed (the same days on every beamline): 351 user
/// shifts per beamline.
fn calendars() -> Vec<BeamlineCalendar> {
    let closed = |day: u32| day % 14 == 0 || day % 14 == 7 || day == CYCLE_DAYS - 1;
    (0..BEAMLINES)
        .map(|_| BeamlineCalendar {
            open: (0..CYCLE_DAYS * SHIFTS_PER_DAY)
                .map(|shift| !closed(shift / SHIFTS_PER_DAY))
                .collect(),
        })
        .collect()
}

fn cycle_requests(seed: u64) -> (Vec<ShiftRequest>, Vec<Vec<u32>>) {
    let mut rng = StdRng::seed_from_u64(seed ^ 0x5EED);
    let mut requests = Vec::new();
    let mut unavailable = Vec::new();
    for proposal in 0..PROPOSALS {
        let kind = match rng.gen_range(0..10) {
            0 => ProposalType::RapidAccess,
            1 => ProposalType::LongTerm,
            2 => ProposalType::Proprietary,
            _ => ProposalType::General,
        };
        let score = rng.gen_range(1.0..4.5);
        let waiting = if rng.gen_bool(0.15) {
            rng.gen_range(1..=2)
        } else {
            0
        };
        let co_builder = rng.gen_bool(0.05);
        let days: Vec<u32> = (0..rng.gen_range(0..=5))
            .map(|_| rng.gen_range(0..CYCLE_DAYS))
            .collect();
        let beamlines = if rng.gen_bool(0.25) { 2 } else { 1 };
        for _ in 0..beamlines {
            requests.push(ShiftRequest {
                proposal: ProposalId(proposal as i64 + 1),
                proposal_type: kind,
                beamline: rng.gen_range(0..BEAMLINES),
                shifts: rng.gen_range(3..=13) * 3,
                score,
                cycles_waiting: waiting,
                co_builder,
            });
            unavailable.push(days.clone());
        }
    }
    (requests, unavailable)
}

fn cycle_figures(seed: u64, rounds: usize) -> Result<serde_json::Value> {
    let calendars = calendars();
    let capacity: Vec<BeamlineCapacity> = calendars
        .iter()
        .enumerate()
        .map(|(index, calendar)| BeamlineCapacity {
            code: format!("BL{:02}", index + 1),
            user_shifts: calendar.open.iter().filter(|open| **open).count() as u32,
            co_builder_share: 0.1,
        })
        .collect();
    let (requests, unavailable) = cycle_requests(seed);
    let requested: u64 = requests
        .iter()
        .map(|request| u64::from(request.shifts))
        .sum();
    let offered: u64 = capacity
        .iter()
        .map(|beamline| u64::from(beamline.user_shifts))
        .sum();
    let mut times = Vec::new();
    let mut outcome = None;
    for _ in 0..rounds.max(1) {
        let started = Instant::now();
        let allocation = allocate_shifts(&requests, &capacity, &AllocationRules::default());
        let grants: Vec<Grant> = allocation
            .decisions
            .iter()
            .zip(&unavailable)
            .filter(|(decision, _)| decision.granted > 0)
            .map(|(decision, days)| Grant {
                proposal: decision.proposal,
                beamline: decision.beamline,
                shifts: decision.granted,
                unavailable_days: days.iter().copied().collect(),
            })
            .collect();
        let schedule = schedule_grants(&grants, &calendars);
        times.push(started.elapsed().as_secs_f64());
        outcome = Some((allocation, grants, schedule));
    }
    let (allocation, grants, schedule) = outcome.expect("at least one round");
    times.sort_by(f64::total_cmp);
    let violations = validate_schedule(&grants, &calendars, &schedule);
    let bound = schedule_bound(&grants, &calendars);
    let score = schedule_score(&schedule, grants.len());
    let granted: u64 = allocation
        .decisions
        .iter()
        .map(|decision| u64::from(decision.granted))
        .sum();
    let general: u64 = allocation
        .beamlines
        .iter()
        .map(|beamline| u64::from(beamline.general))
        .sum();
    let proprietary: u64 = allocation
        .beamlines
        .iter()
        .map(|beamline| u64::from(beamline.proprietary))
        .sum();

    // A lost beam day in the middle of the cycle.
    let mut replanned_calendars = calendars.clone();
    let started = Instant::now();
    let (replanned, moved_shifts) =
        replan_without_day(&grants, &mut replanned_calendars, &schedule, 60);
    let replan_s = started.elapsed().as_secs_f64();
    let replan_violations = validate_schedule(&grants, &replanned_calendars, &replanned);
    if !violations.is_empty() || !replan_violations.is_empty() {
        bail!(
            "the schedule breaks {} rules, the re-plan {}: {:?}",
            violations.len(),
            replan_violations.len(),
            violations
                .iter()
                .chain(&replan_violations)
                .take(5)
                .collect::<Vec<_>>()
        );
    }
    Ok(json!({
        "beamlines": BEAMLINES,
        "shifts_per_beamline": CYCLE_DAYS * SHIFTS_PER_DAY,
        "requests": requests.len(),
        "requested_shifts": requested,
        "offered_shifts": offered,
        "oversubscription": requested as f64 / offered as f64,
        "granted_shifts": granted,
        "general_share": general as f64 / granted.max(1) as f64,
        "proprietary_share": proprietary as f64 / granted.max(1) as f64,
        "grants": grants.len(),
        "placed_shifts": schedule.placed_shifts(),
        "unplaced_shifts": schedule.unplaced.iter().map(|(_, left)| u64::from(*left)).sum::<u64>(),
        "extra_setups": schedule.extra_setups(grants.len()),
        "solve_s": percentile(&times, 0.5),
        "bound": bound,
        "score": score,
        "gap": (bound - score) / bound.max(1.0),
        "violations": violations.len(),
        "replan_s": replan_s,
        "replan_moved_shifts": moved_shifts,
        "replan_moved_pct": 100.0 * moved_shifts as f64 / schedule.placed_shifts().max(1) as f64,
        "replan_unplaced_shifts": replanned.unplaced.iter().map(|(_, left)| u64::from(*left)).sum::<u64>(),
    }))
}
