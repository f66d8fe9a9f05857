//! A whole cycle's plan: from the proposals as reviewed to the published schedule.
//!
//! Stage one ([`allocate_shifts`]) decides who gets how many shifts on which beamline; stage
//! two ([`schedule_grants`]) places them on the cycle's calendar. This module joins them:
//! it turns a cycle's closed days into the beamlines' calendars, the reviewers' grades into
//! one score per proposal, keeps proposals that failed a feasibility or safety check or have
//! no grade out of the ranking (with the reason), and checks the schedule it made with the
//! independent validator. It is pure: the store loads the inputs and keeps the outputs.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::allocation::{
    allocate_shifts, AllocationDecision, AllocationRules, BeamlineCapacity, BeamlineOutcome,
    DecisionReason, ProposalType, ShiftRequest,
};
use super::review::ProposalId;
use super::schedule::{
    replan_without_day, schedule_bound, schedule_grants, schedule_score, validate_schedule,
    BeamlineCalendar, Block, Grant, Schedule, ScheduleViolation, SHIFTS_PER_DAY,
};

/// What a proprietary (industry, results kept private) shift costs its company: ¥24,000 for 8
/// hours of beam, the order of the light sources' published industrial rates.
pub const PROPRIETARY_RATE_PER_SHIFT: crate::Fen = crate::Fen(2_400_000);

/// The fee for `granted` shifts of a proposal of `kind`: proprietary time is paid, the open
/// modes are free at the point of use.
pub fn beamtime_fee(kind: ProposalType, granted: u32) -> crate::Fen {
    if kind == ProposalType::Proprietary {
        crate::Fen(PROPRIETARY_RATE_PER_SHIFT.0 * i64::from(granted))
    } else {
        crate::Fen(0)
    }
}

/// Share of each beamline's shifts kept for its co-builders' teams (the facility's own
/// scientists, who built and run the beamlines).
pub const CO_BUILDER_SHARE: f64 = 0.1;

/// The lowest and highest grade a reviewer gives: 1.0 is outstanding, 5.0 is not fundable.
pub const BEST_GRADE: f64 = 1.0;
pub const WORST_GRADE: f64 = 5.0;

/// Whether a grade is one a reviewer may give: 1.0 to 5.0 in steps of a tenth.
pub fn grade_is_valid(grade: f64) -> bool {
    (BEST_GRADE..=WORST_GRADE).contains(&grade)
        && ((grade * 10.0).round() - grade * 10.0).abs() < 1e-9
}

/// One score per proposal from its reviewers' grades: the mean, to two decimals; none when
/// nobody has graded it yet.
pub fn panel_score(grades: &[f64]) -> Option<f64> {
    if grades.is_empty() {
        return None;
    }
    let mean = grades.iter().sum::<f64>() / grades.len() as f64;
    Some((mean * 100.0).round() / 100.0)
}

/// A proposal as the plan sees it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProposalToPlan {
    pub id: ProposalId,
    pub proposal_type: ProposalType,
    /// (index of the beamline in the plan's list, shifts asked for).
    pub requests: Vec<(usize, u32)>,
    /// The panel's score, if graded.
    pub score: Option<f64>,
    /// A feasibility or safety check that refused it, if any.
    pub failed_check: Option<String>,
    pub cycles_waiting: u32,
    pub co_builder: bool,
    /// Days of the cycle (0-based) the team cannot come.
    pub unavailable_days: BTreeSet<u32>,
}

/// Why a proposal is not in the ranking at all (the allocation's reasons cover the rest).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum PlanDecisionReason {
    Allocation(DecisionReason),
    NotGraded,
    FailedCheck { check: String },
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlanDecision {
    pub proposal: ProposalId,
    pub beamline: usize,
    pub requested: u32,
    pub granted: u32,
    /// The score it was ranked by (grade less the aging bonus); none when not ranked.
    pub effective_score: Option<f64>,
    pub cycles_waiting: u32,
    pub reason: PlanDecisionReason,
}

/// A placed block of shifts, in the plan's terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct PlacedBlock {
    pub proposal: ProposalId,
    pub beamline: usize,
    /// Shift index in the cycle: day × 3 + shift of the day.
    pub first_shift: u32,
    pub shifts: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CyclePlan {
    pub decisions: Vec<PlanDecision>,
    pub beamlines: Vec<BeamlineOutcome>,
    pub blocks: Vec<PlacedBlock>,
    /// Granted shifts that found no place on the calendar, per proposal and beamline.
    pub unplaced: Vec<(ProposalId, usize, u32)>,
    /// What the independent validator found; empty for a plan that keeps every hard rule.
    pub violations: Vec<ScheduleViolation>,
    /// Score against the bound no schedule can beat (0 is optimal).
    pub gap: f64,
}

/// The beamlines' calendars for a cycle of `days` days with `closed_days` (0-based) closed
/// on every beamline.
pub fn cycle_calendars(
    beamlines: usize,
    days: u32,
    closed_days: &BTreeSet<u32>,
) -> Vec<BeamlineCalendar> {
    let open: Vec<bool> = (0..days * SHIFTS_PER_DAY)
        .map(|shift| !closed_days.contains(&(shift / SHIFTS_PER_DAY)))
        .collect();
    vec![BeamlineCalendar { open }; beamlines]
}

/// Plans a cycle (see the module comment).
pub fn plan_cycle(
    proposals: &[ProposalToPlan],
    beamline_codes: &[String],
    calendars: &[BeamlineCalendar],
    rules: &AllocationRules,
) -> CyclePlan {
    let capacities: Vec<BeamlineCapacity> = beamline_codes
        .iter()
        .zip(calendars)
        .map(|(code, calendar)| BeamlineCapacity {
            code: code.clone(),
            user_shifts: calendar.open.iter().filter(|open| **open).count() as u32,
            co_builder_share: CO_BUILDER_SHARE,
        })
        .collect();
    let mut decisions = Vec::new();
    let mut requests = Vec::new();
    let mut request_waiting = Vec::new();
    for proposal in proposals {
        for &(beamline, shifts) in &proposal.requests {
            let unranked = |reason| PlanDecision {
                proposal: proposal.id,
                beamline,
                requested: shifts,
                granted: 0,
                effective_score: None,
                cycles_waiting: proposal.cycles_waiting,
                reason,
            };
            if let Some(check) = &proposal.failed_check {
                decisions.push(unranked(PlanDecisionReason::FailedCheck {
                    check: check.clone(),
                }));
            } else if let Some(score) = proposal.score {
                requests.push(ShiftRequest {
                    proposal: proposal.id,
                    proposal_type: proposal.proposal_type,
                    beamline,
                    shifts,
                    score,
                    cycles_waiting: proposal.cycles_waiting,
                    co_builder: proposal.co_builder,
                });
                request_waiting.push(proposal.cycles_waiting);
            } else {
                decisions.push(unranked(PlanDecisionReason::NotGraded));
            }
        }
    }
    let allocation = allocate_shifts(&requests, &capacities, rules);
    // The requests nobody ranked still count as demand on their beamline.
    let mut outcomes = allocation.beamlines.clone();
    for decision in &decisions {
        if let Some(outcome) = outcomes.get_mut(decision.beamline) {
            outcome.requested += decision.requested;
        }
    }
    for (outcome, capacity) in outcomes.iter_mut().zip(&capacities) {
        outcome.oversubscription = if capacity.user_shifts == 0 {
            0.0
        } else {
            f64::from(outcome.requested) / f64::from(capacity.user_shifts)
        };
    }
    let unavailable: BTreeMap<ProposalId, &BTreeSet<u32>> = proposals
        .iter()
        .map(|proposal| (proposal.id, &proposal.unavailable_days))
        .collect();
    let grants: Vec<Grant> = allocation
        .decisions
        .iter()
        .filter(|decision| decision.granted > 0)
        .map(|decision| Grant {
            proposal: decision.proposal,
            beamline: decision.beamline,
            shifts: decision.granted,
            unavailable_days: unavailable
                .get(&decision.proposal)
                .map(|days| (*days).clone())
                .unwrap_or_default(),
        })
        .collect();
    let schedule: Schedule = schedule_grants(&grants, calendars);
    let violations = validate_schedule(&grants, calendars, &schedule);
    let bound = schedule_bound(&grants, calendars);
    let gap = if bound > 0.0 {
        (bound - schedule_score(&schedule, grants.len())) / bound
    } else {
        0.0
    };
    decisions.extend(allocation.decisions.iter().zip(&request_waiting).map(
        |(decision, waiting): (&AllocationDecision, &u32)| PlanDecision {
            proposal: decision.proposal,
            beamline: decision.beamline,
            requested: decision.requested,
            granted: decision.granted,
            effective_score: Some((decision.effective_score * 100.0).round() / 100.0),
            cycles_waiting: *waiting,
            reason: PlanDecisionReason::Allocation(decision.reason.clone()),
        },
    ));
    decisions.sort_by(|a, b| {
        a.proposal
            .cmp(&b.proposal)
            .then(a.beamline.cmp(&b.beamline))
    });
    let blocks = schedule
        .blocks
        .iter()
        .map(|block| PlacedBlock {
            proposal: grants[block.grant].proposal,
            beamline: block.beamline,
            first_shift: block.start,
            shifts: block.length,
        })
        .collect();
    let unplaced = schedule
        .unplaced
        .iter()
        .map(|(grant, shifts)| (grants[*grant].proposal, grants[*grant].beamline, *shifts))
        .collect();
    CyclePlan {
        decisions,
        beamlines: outcomes,
        blocks,
        unplaced,
        violations,
        gap,
    }
}

/// A granted request as the re-planning sees it: what stage one gave, where the team cannot be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrantedRequest {
    pub proposal: ProposalId,
    pub beamline: usize,
    pub shifts: u32,
    pub unavailable_days: BTreeSet<u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Replan {
    pub blocks: Vec<PlacedBlock>,
    /// Shifts the lost day took and that were placed again (or not, see `unplaced`).
    pub moved_shifts: u64,
    pub placed_shifts: u64,
    pub unplaced: Vec<(ProposalId, usize, u32)>,
    /// Proposals whose shifts moved: their teams are told.
    pub moved_proposals: Vec<ProposalId>,
    pub violations: Vec<ScheduleViolation>,
}

/// Re-plans a published schedule after `day` (0-based) is lost on every beamline: blocks that
/// touch the day keep their shifts before and after it, only the lost shifts are placed again
/// in what is free, and every other block stays where it was. `calendars` are the cycle's
/// calendars before the loss.
pub fn replan_after_lost_day(
    granted: &[GrantedRequest],
    placed: &[PlacedBlock],
    calendars: &[BeamlineCalendar],
    day: u32,
) -> Replan {
    let grants: Vec<Grant> = granted
        .iter()
        .map(|request| Grant {
            proposal: request.proposal,
            beamline: request.beamline,
            shifts: request.shifts,
            unavailable_days: request.unavailable_days.clone(),
        })
        .collect();
    let index_of: BTreeMap<(ProposalId, usize), usize> = granted
        .iter()
        .enumerate()
        .map(|(index, request)| ((request.proposal, request.beamline), index))
        .collect();
    let blocks: Vec<Block> = placed
        .iter()
        .filter_map(|block| {
            Some(Block {
                beamline: block.beamline,
                start: block.first_shift,
                length: block.shifts,
                grant: *index_of.get(&(block.proposal, block.beamline))?,
            })
        })
        .collect();
    let before = Schedule {
        blocks,
        unplaced: Vec::new(),
    };
    let mut calendars = calendars.to_vec();
    let (after, moved_shifts) = replan_without_day(&grants, &mut calendars, &before, day);
    let violations = validate_schedule(&grants, &calendars, &after);
    let lost = day * SHIFTS_PER_DAY..(day + 1) * SHIFTS_PER_DAY;
    let mut moved_proposals: Vec<ProposalId> = before
        .blocks
        .iter()
        .filter(|block| block.start < lost.end && lost.start < block.start + block.length)
        .map(|block| grants[block.grant].proposal)
        .collect();
    moved_proposals.sort();
    moved_proposals.dedup();
    Replan {
        placed_shifts: after.placed_shifts(),
        blocks: after
            .blocks
            .iter()
            .map(|block| PlacedBlock {
                proposal: grants[block.grant].proposal,
                beamline: block.beamline,
                first_shift: block.start,
                shifts: block.length,
            })
            .collect(),
        moved_shifts,
        unplaced: after
            .unplaced
            .iter()
            .map(|(grant, shifts)| (grants[*grant].proposal, grants[*grant].beamline, *shifts))
            .collect(),
        moved_proposals,
        violations,
    }
}

/// Waiting cycles of a resubmission: one more than its predecessor's when the predecessor
/// was graded within the cutoff but got no shifts at all; none otherwise.
pub fn cycles_waiting_after(
    predecessor_waiting: u32,
    predecessor_best_score: Option<f64>,
    predecessor_granted: u32,
    rules: &AllocationRules,
) -> u32 {
    match predecessor_best_score {
        Some(score) if score <= rules.score_cutoff && predecessor_granted == 0 => {
            predecessor_waiting + 1
        }
        _ => 0,
    }
}

/// Explains a decision in a sentence a team reads.
pub fn explain(reason: &PlanDecisionReason) -> String {
    match reason {
        PlanDecisionReason::NotGraded => {
            "not allocated: the proposal has no grade from the review panel".into()
        }
        PlanDecisionReason::FailedCheck { check } => {
            format!("not allocated: the {check} check refused it")
        }
        PlanDecisionReason::Allocation(reason) => match reason {
            DecisionReason::Granted => "granted in full".into(),
            DecisionReason::PartlyGranted { left } => {
                format!("partly granted: the beamline had {left} shifts left at this rank")
            }
            DecisionReason::BelowCutoff { score, cutoff } => {
                format!("not allocated: the score {score:.2} is worse than the cutoff {cutoff:.2}")
            }
            DecisionReason::BeamlineFull { rank, left } => {
                format!("not allocated: ranked {rank} on the beamline, better-ranked proposals took the shifts ({left} left)")
            }
            DecisionReason::ProprietaryCapReached { cap } => {
                format!("not allocated: the beamline's proprietary time ({cap} shifts) is used up")
            }
            DecisionReason::Invalid => {
                "not allocated: the request names no beamline of this cycle".into()
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn proposal(id: i64, score: Option<f64>, requests: Vec<(usize, u32)>) -> ProposalToPlan {
        ProposalToPlan {
            id: ProposalId(id),
            proposal_type: ProposalType::General,
            requests,
            score,
            failed_check: None,
            cycles_waiting: 0,
            co_builder: false,
            unavailable_days: BTreeSet::new(),
        }
    }

    #[test]
    fn grades_make_one_score_and_only_tenths_from_one_to_five_are_grades() {
        assert_eq!(panel_score(&[]), None);
        assert_eq!(panel_score(&[1.0, 2.0, 2.5]), Some(1.83));
        assert!(grade_is_valid(1.0) && grade_is_valid(2.7) && grade_is_valid(5.0));
        assert!(
            !grade_is_valid(0.9)
                && !grade_is_valid(5.1)
                && !grade_is_valid(2.25)
                && !grade_is_valid(f64::NAN)
        );
    }

    #[test]
    fn a_plan_ranks_the_graded_keeps_the_others_out_with_a_reason_and_places_every_grant() {
        let closed: BTreeSet<u32> = [0].into();
        // Ten days, the first closed: 27 user shifts on each of two beamlines.
        let calendars = cycle_calendars(2, 10, &closed);
        let mut refused = proposal(4, Some(1.0), vec![(0, 6)]);
        refused.failed_check = Some("safety".into());
        let mut away = proposal(2, Some(1.5), vec![(1, 9)]);
        away.unavailable_days = [1, 2, 3].into();
        let proposals = vec![
            proposal(1, Some(1.2), vec![(0, 21), (1, 6)]),
            away,
            proposal(3, None, vec![(0, 3)]),
            refused,
            proposal(5, Some(2.0), vec![(0, 12)]),
            proposal(6, Some(4.2), vec![(1, 3)]),
        ];
        let codes = vec!["BL01".to_owned(), "BL02".to_owned()];
        let plan = plan_cycle(&proposals, &codes, &calendars, &AllocationRules::default());
        let reason_of = |id: i64, beamline: usize| {
            plan.decisions
                .iter()
                .find(|decision| {
                    decision.proposal == ProposalId(id) && decision.beamline == beamline
                })
                .map(|decision| (decision.granted, decision.reason.clone()))
                .unwrap()
        };
        assert_eq!(reason_of(1, 0).0, 21);
        assert_eq!(reason_of(3, 0), (0, PlanDecisionReason::NotGraded));
        assert_eq!(
            reason_of(4, 0),
            (
                0,
                PlanDecisionReason::FailedCheck {
                    check: "safety".into()
                }
            )
        );
        assert!(matches!(
            reason_of(5, 0),
            (
                6,
                PlanDecisionReason::Allocation(DecisionReason::PartlyGranted { left: 6 })
            )
        ));
        assert!(matches!(
            reason_of(6, 1).1,
            PlanDecisionReason::Allocation(DecisionReason::BelowCutoff { .. })
        ));
        // Demand counts everything asked for: 21 + 3 + 6 + 12 on a beamline of 27 shifts.
        assert_eq!(plan.beamlines[0].requested, 42);
        assert!((plan.beamlines[0].oversubscription - 42.0 / 27.0).abs() < 1e-9);
        assert!(plan.violations.is_empty(), "{:?}", plan.violations);
        assert!(plan.unplaced.is_empty());
        let placed: u32 = plan.blocks.iter().map(|block| block.shifts).sum();
        assert_eq!(placed, 21 + 6 + 6 + 9);
        // The team that cannot come on days 1 to 3 is not placed on them.
        for block in plan
            .blocks
            .iter()
            .filter(|block| block.proposal == ProposalId(2))
        {
            assert!((block.first_shift..block.first_shift + block.shifts)
                .all(|shift| !(1..=3).contains(&(shift / 3))));
        }
        assert!(plan.gap.abs() < 1e-9);
        assert!(explain(&reason_of(6, 1).1).contains("cutoff"));
    }

    #[test]
    fn a_lost_day_moves_only_the_shifts_on_it_and_keeps_every_rule() {
        let calendars = cycle_calendars(1, 10, &BTreeSet::new());
        let granted = vec![
            GrantedRequest {
                proposal: ProposalId(1),
                beamline: 0,
                shifts: 6,
                unavailable_days: BTreeSet::new(),
            },
            GrantedRequest {
                proposal: ProposalId(2),
                beamline: 0,
                shifts: 9,
                unavailable_days: [6].into(),
            },
        ];
        // Proposal 1 on days 0–1, proposal 2 on days 2–4; day 3 is lost.
        let placed = vec![
            PlacedBlock {
                proposal: ProposalId(1),
                beamline: 0,
                first_shift: 0,
                shifts: 6,
            },
            PlacedBlock {
                proposal: ProposalId(2),
                beamline: 0,
                first_shift: 6,
                shifts: 9,
            },
        ];
        let replan = replan_after_lost_day(&granted, &placed, &calendars, 3);
        assert!(replan.violations.is_empty(), "{:?}", replan.violations);
        assert_eq!(replan.moved_shifts, 3);
        assert_eq!(replan.moved_proposals, vec![ProposalId(2)]);
        assert_eq!(replan.placed_shifts, 15);
        assert!(
            replan.blocks.contains(&placed[0]),
            "the untouched block stays"
        );
        for block in &replan.blocks {
            let days: Vec<u32> = (block.first_shift..block.first_shift + block.shifts)
                .map(|shift| shift / 3)
                .collect();
            assert!(!days.contains(&3), "nothing on the lost day");
            if block.proposal == ProposalId(2) {
                assert!(!days.contains(&6), "nor on a day the team cannot come");
            }
        }
    }

    #[test]
    fn waiting_grows_only_for_well_graded_proposals_that_got_nothing() {
        let rules = AllocationRules::default();
        assert_eq!(cycles_waiting_after(0, Some(2.0), 0, &rules), 1);
        assert_eq!(cycles_waiting_after(1, Some(2.0), 0, &rules), 2);
        assert_eq!(cycles_waiting_after(1, Some(2.0), 6, &rules), 0);
        assert_eq!(cycles_waiting_after(1, Some(3.5), 0, &rules), 0);
        assert_eq!(cycles_waiting_after(1, None, 0, &rules), 0);
    }
}
