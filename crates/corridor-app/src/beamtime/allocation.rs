//! The programme's operations that span a whole cycle: assigning its reviewers, running its
//! allocation (stage one and two, the decisions' reasons and the notifications to teams), and
//! re-planning its schedule after a lost beam day. They take the store and a cycle and decide
//! nothing about who calls them: the [`Beamtime`](super::Beamtime) service checks that the
//! actor runs the facility's user office first, and the binary's demo generation calls them
//! directly as the operator. The solvers are the domain's (`corridor_domain::facility`), the
//! records the store's.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::time::Instant;

use corridor_domain::facility::allocation::{AllocationRules, DecisionReason};
use corridor_domain::facility::plan::{
    beamtime_fee, cycle_calendars, cycles_waiting_after, explain, panel_score, plan_cycle,
    replan_after_lost_day, GrantedRequest, PlacedBlock, PlanDecisionReason, ProposalToPlan,
};
use corridor_domain::facility::proposal::{
    ClosedDay, ClosedReason, Cycle, Discipline, ProposalStatus,
};
use corridor_domain::facility::{
    assign_reviewers, ProposalForReview, ProposalId, ReviewerId, ReviewerProfile,
};
use corridor_domain::{Beamline, BeamlineId, UserId};
use corridor_store::beamtime::{NewNotification, ProposalRecord, StoredBlock, StoredDecision};
use corridor_store::{AuditContext, Store};
use serde::Serialize;

use super::statistics::ratio;
use crate::error::AppError;

/// Reviews each proposal gets.
pub const REVIEWS_PER_PROPOSAL: u32 = 3;

/// The facility's beamlines in a fixed order (by id): the plan's beamline indices.
pub async fn beamlines_of(store: &dyn Store, cycle: &Cycle) -> Result<Vec<Beamline>, AppError> {
    let mut beamlines = store.beamlines(Some(cycle.facility)).await?;
    beamlines.sort_by_key(|beamline| beamline.id);
    Ok(beamlines)
}

#[derive(Debug, Clone, Serialize)]
pub struct ReviewAssignmentSummary {
    pub proposals: usize,
    pub reviews: usize,
    pub reviews_per_proposal: u32,
    pub panels: usize,
    /// Panels too small for their proposals, widened to every reviewer with load left.
    pub widened_panels: Vec<String>,
    pub total_affinity: u64,
    /// Proposals left out because a feasibility or safety check refused them.
    pub left_out_by_checks: usize,
    pub solve_ms: f64,
}

/// Terms of the panel's expertise that a proposal names in its techniques, title or summary.
fn proposal_keywords(record: &ProposalRecord, vocabulary: &BTreeSet<String>) -> Vec<String> {
    let text = format!("{} {}", record.draft.title, record.draft.summary).to_lowercase();
    vocabulary
        .iter()
        .filter(|term| text.contains(term.as_str()))
        .cloned()
        .collect()
}

/// Assigns each submitted proposal of the cycle that passed its checks
/// [`REVIEWS_PER_PROPOSAL`] reviewers of its discipline's panel, with the domain's min-cost
/// flow, and stores the assignment (replacing an ungraded one).
pub async fn assign_cycle_reviewers(
    store: &dyn Store,
    cycle: &Cycle,
    context: &AuditContext,
) -> Result<ReviewAssignmentSummary, AppError> {
    let proposals = store
        .proposals_of_cycle(cycle.id, Some(ProposalStatus::Submitted))
        .await?;
    let refused: HashSet<ProposalId> = store
        .checks_of_cycle(cycle.id)
        .await?
        .into_iter()
        .filter(|check| !check.approved)
        .map(|check| check.proposal)
        .collect();
    let mut institutions: HashMap<ProposalId, Vec<corridor_domain::InstitutionId>> = HashMap::new();
    for person in store.people_of_cycle(cycle.id).await? {
        institutions
            .entry(person.proposal)
            .or_default()
            .push(person.institution);
    }
    let reviewers = store.reviewer_profiles().await?;
    let started = Instant::now();
    let mut pairs = Vec::new();
    let mut total_affinity = 0;
    let mut panels = 0;
    let mut widened_panels = Vec::new();
    // Loads are per cycle: what a reviewer took in one panel counts in the next.
    let mut load_left: HashMap<UserId, u32> = reviewers
        .iter()
        .map(|reviewer| (reviewer.user, reviewer.max_load))
        .collect();
    let profile = |reviewer: &corridor_store::beamtime::ReviewerRecord,
                   load_left: &HashMap<UserId, u32>| ReviewerProfile {
        id: ReviewerId(reviewer.user.0),
        user: reviewer.user,
        institution: reviewer.institution,
        expertise: reviewer.expertise.clone(),
        max_load: load_left.get(&reviewer.user).copied().unwrap_or(0),
    };
    for discipline in Discipline::ALL {
        let panel: Vec<ReviewerProfile> = reviewers
            .iter()
            .filter(|reviewer| reviewer.discipline == discipline)
            .map(|reviewer| profile(reviewer, &load_left))
            .collect();
        let vocabulary: BTreeSet<String> = reviewers
            .iter()
            .flat_map(|reviewer| reviewer.expertise.iter().cloned())
            .collect();
        let to_review: Vec<ProposalForReview> = proposals
            .iter()
            .filter(|record| record.draft.discipline == discipline && !refused.contains(&record.id))
            .map(|record| {
                let mut team = record.draft.team.clone();
                team.push(record.principal);
                ProposalForReview {
                    id: record.id,
                    team,
                    team_institutions: institutions.get(&record.id).cloned().unwrap_or_default(),
                    techniques: record
                        .draft
                        .techniques
                        .iter()
                        .map(|term| term.to_lowercase())
                        .collect(),
                    keywords: proposal_keywords(record, &vocabulary),
                    declared_conflicts: record
                        .draft
                        .declared_conflicts
                        .iter()
                        .map(|user| ReviewerId(user.0))
                        .collect(),
                }
            })
            .collect();
        if to_review.is_empty() {
            continue;
        }
        panels += 1;
        // A panel too small to give every proposal its reviewers without a conflict or an
        // overload is widened to every reviewer with load left, as a user office would.
        let assignment = match assign_reviewers(&to_review, &panel, REVIEWS_PER_PROPOSAL) {
            Ok(assignment) => assignment,
            Err(_) => {
                widened_panels.push(discipline.as_code().to_owned());
                let everyone: Vec<ReviewerProfile> = reviewers
                    .iter()
                    .map(|reviewer| profile(reviewer, &load_left))
                    .collect();
                assign_reviewers(&to_review, &everyone, REVIEWS_PER_PROPOSAL).map_err(|error| {
                    AppError::Conflict(format!(
                        "even all reviewers together cannot review the {} panel's {} proposals: {error}",
                        discipline.as_code(),
                        to_review.len()
                    ))
                })?
            }
        };
        total_affinity += assignment.total_affinity;
        for (proposal, reviewer, affinity) in assignment.pairs {
            let user = UserId(reviewer.0);
            if let Some(left) = load_left.get_mut(&user) {
                *left = left.saturating_sub(1);
            }
            pairs.push((proposal, user, affinity));
        }
    }
    let solve_ms = started.elapsed().as_secs_f64() * 1_000.0;
    store
        .replace_review_assignment(cycle.id, &pairs, corridor_store::now(), context)
        .await?;
    let proposals_reviewed = pairs
        .iter()
        .map(|(proposal, _, _)| *proposal)
        .collect::<HashSet<_>>()
        .len();
    Ok(ReviewAssignmentSummary {
        proposals: proposals_reviewed,
        reviews: pairs.len(),
        reviews_per_proposal: REVIEWS_PER_PROPOSAL,
        panels,
        widened_panels,
        total_affinity,
        left_out_by_checks: refused.len(),
        solve_ms,
    })
}

#[derive(Debug, Clone, Serialize)]
pub struct AllocationSummary {
    pub proposals: usize,
    pub proposals_granted: usize,
    pub requested_shifts: u64,
    pub granted_shifts: u64,
    pub placed_shifts: u64,
    pub unplaced_shifts: u64,
    /// Score against the bound no schedule can beat (0 is optimal).
    pub gap: f64,
    /// Hard-rule violations the independent validator found (always 0 when stored).
    pub violations: usize,
    pub notifications: usize,
    pub solve_ms: f64,
}

/// The reason's code, as stored and as the API answers it.
pub fn reason_code(reason: &PlanDecisionReason) -> &'static str {
    match reason {
        PlanDecisionReason::NotGraded => "not_graded",
        PlanDecisionReason::FailedCheck { .. } => "failed_check",
        PlanDecisionReason::Allocation(reason) => match reason {
            DecisionReason::Granted => "granted",
            DecisionReason::PartlyGranted { .. } => "partly_granted",
            DecisionReason::BelowCutoff { .. } => "below_cutoff",
            DecisionReason::BeamlineFull { .. } => "beamline_full",
            DecisionReason::ProprietaryCapReached { .. } => "proprietary_cap_reached",
            DecisionReason::Invalid => "invalid",
        },
    }
}

/// Runs the cycle's allocation from its proposals as reviewed and checked, and stores the
/// decisions, the placed shifts and a notification to each team, replacing an earlier run.
pub async fn run_cycle_allocation(
    store: &dyn Store,
    cycle: &Cycle,
    context: &AuditContext,
) -> Result<AllocationSummary, AppError> {
    let rules = AllocationRules::default();
    let proposals = store
        .proposals_of_cycle(cycle.id, Some(ProposalStatus::Submitted))
        .await?;
    let beamlines = beamlines_of(store, cycle).await?;
    let beamline_index: HashMap<BeamlineId, usize> = beamlines
        .iter()
        .enumerate()
        .map(|(index, beamline)| (beamline.id, index))
        .collect();
    let mut grades: HashMap<ProposalId, Vec<f64>> = HashMap::new();
    for review in store.reviews_of_cycle(cycle.id).await? {
        if let Some(grade) = review.grade {
            grades.entry(review.proposal).or_default().push(grade);
        }
    }
    let mut failed: HashMap<ProposalId, String> = HashMap::new();
    for check in store.checks_of_cycle(cycle.id).await? {
        if !check.approved {
            failed
                .entry(check.proposal)
                .or_insert_with(|| check.kind.as_code().to_owned());
        }
    }
    let predecessors: Vec<ProposalId> = proposals
        .iter()
        .filter_map(|record| record.draft.resubmission_of)
        .collect();
    let outcomes: HashMap<ProposalId, corridor_store::beamtime::PredecessorOutcome> = store
        .predecessor_outcomes(&predecessors)
        .await?
        .into_iter()
        .map(|outcome| (outcome.proposal, outcome))
        .collect();
    let principal_institution: HashMap<(ProposalId, UserId), corridor_domain::InstitutionId> =
        store
            .people_of_cycle(cycle.id)
            .await?
            .into_iter()
            .map(|person| ((person.proposal, person.user), person.institution))
            .collect();
    let closed: BTreeSet<u32> = cycle
        .closed_days
        .iter()
        .filter_map(|closed| cycle.day_index(closed.day))
        .collect();
    let calendars = cycle_calendars(beamlines.len(), cycle.days(), &closed);
    let to_plan: Vec<ProposalToPlan> = proposals
        .iter()
        .map(|record| ProposalToPlan {
            id: record.id,
            proposal_type: record.draft.proposal_type,
            requests: record
                .draft
                .requests
                .iter()
                .filter_map(|(beamline, shifts)| {
                    beamline_index.get(beamline).map(|index| (*index, *shifts))
                })
                .collect(),
            score: grades
                .get(&record.id)
                .and_then(|grades| panel_score(grades)),
            failed_check: failed.get(&record.id).cloned(),
            cycles_waiting: record
                .draft
                .resubmission_of
                .and_then(|earlier| outcomes.get(&earlier))
                .map(|outcome| {
                    cycles_waiting_after(
                        outcome.cycles_waiting,
                        outcome.best_score,
                        outcome.granted,
                        &rules,
                    )
                })
                .unwrap_or(0),
            co_builder: principal_institution.get(&(record.id, record.principal))
                == Some(&cycle.facility),
            unavailable_days: record
                .draft
                .unavailable_days
                .iter()
                .filter_map(|day| cycle.day_index(*day))
                .collect(),
        })
        .collect();
    let codes: Vec<String> = beamlines
        .iter()
        .map(|beamline| beamline.code.clone())
        .collect();
    let started = Instant::now();
    let plan = plan_cycle(&to_plan, &codes, &calendars, &rules);
    let solve_ms = started.elapsed().as_secs_f64() * 1_000.0;
    if !plan.violations.is_empty() {
        return Err(AppError::internal(format!(
            "the schedule breaks {} hard rules ({:?}); nothing was stored",
            plan.violations.len(),
            &plan.violations[..plan.violations.len().min(3)]
        )));
    }
    let kind_of: HashMap<ProposalId, corridor_domain::facility::allocation::ProposalType> =
        proposals
            .iter()
            .map(|record| (record.id, record.draft.proposal_type))
            .collect();
    let decisions: Vec<StoredDecision> = plan
        .decisions
        .iter()
        .map(|decision| StoredDecision {
            proposal: decision.proposal,
            beamline: beamlines[decision.beamline].id,
            requested: decision.requested,
            granted: decision.granted,
            effective_score: decision.effective_score,
            cycles_waiting: decision.cycles_waiting,
            fee_fen: kind_of
                .get(&decision.proposal)
                .map_or(0, |kind| beamtime_fee(*kind, decision.granted).0),
            reason: reason_code(&decision.reason).to_owned(),
            explanation: explain(&decision.reason),
        })
        .collect();
    let blocks: Vec<StoredBlock> = plan
        .blocks
        .iter()
        .map(|block| StoredBlock {
            beamline: beamlines[block.beamline].id,
            proposal: block.proposal,
            first_shift: block.first_shift,
            shifts: block.shifts,
        })
        .collect();
    let notifications = decision_notifications(cycle, &proposals, &decisions, &blocks, &beamlines);
    store
        .replace_allocation(
            cycle.id,
            &decisions,
            &blocks,
            &notifications,
            corridor_store::now(),
            context,
        )
        .await?;
    let granted_proposals: HashSet<ProposalId> = decisions
        .iter()
        .filter(|decision| decision.granted > 0)
        .map(|decision| decision.proposal)
        .collect();
    Ok(AllocationSummary {
        proposals: proposals.len(),
        proposals_granted: granted_proposals.len(),
        requested_shifts: decisions
            .iter()
            .map(|decision| u64::from(decision.requested))
            .sum(),
        granted_shifts: decisions
            .iter()
            .map(|decision| u64::from(decision.granted))
            .sum(),
        placed_shifts: blocks.iter().map(|block| u64::from(block.shifts)).sum(),
        unplaced_shifts: plan
            .unplaced
            .iter()
            .map(|(_, _, shifts)| u64::from(*shifts))
            .sum(),
        gap: plan.gap,
        violations: plan.violations.len(),
        notifications: notifications.len(),
        solve_ms,
    })
}

/// One message per proposal to its principal investigator: what each request got, why, and
/// when the shifts are.
fn decision_notifications(
    cycle: &Cycle,
    proposals: &[ProposalRecord],
    decisions: &[StoredDecision],
    blocks: &[StoredBlock],
    beamlines: &[Beamline],
) -> Vec<NewNotification> {
    let code_of: HashMap<BeamlineId, &str> = beamlines
        .iter()
        .map(|beamline| (beamline.id, beamline.code.as_str()))
        .collect();
    let mut by_proposal: BTreeMap<ProposalId, Vec<&StoredDecision>> = BTreeMap::new();
    for decision in decisions {
        by_proposal
            .entry(decision.proposal)
            .or_default()
            .push(decision);
    }
    let mut blocks_of: HashMap<(ProposalId, BeamlineId), Vec<&StoredBlock>> = HashMap::new();
    for block in blocks {
        blocks_of
            .entry((block.proposal, block.beamline))
            .or_default()
            .push(block);
    }
    proposals
        .iter()
        .filter_map(|record| {
            let decisions = by_proposal.get(&record.id)?;
            let granted: u32 = decisions.iter().map(|decision| decision.granted).sum();
            let requested: u32 = decisions.iter().map(|decision| decision.requested).sum();
            let mut body = format!(
                "Proposal {} \"{}\" in cycle {}: {granted} of {requested} shifts granted.\n",
                record.id.0, record.draft.title, cycle.name
            );
            for decision in decisions {
                let code = code_of.get(&decision.beamline).copied().unwrap_or("?");
                body.push_str(&format!(
                    "\n{code}: {} of {} shifts — {}.",
                    decision.granted, decision.requested, decision.explanation
                ));
                if decision.fee_fen > 0 {
                    body.push_str(&format!(
                        " Proprietary beamtime: {} at {} per shift.",
                        corridor_domain::Fen(decision.fee_fen),
                        corridor_domain::facility::plan::PROPRIETARY_RATE_PER_SHIFT
                    ));
                }
                for block in blocks_of
                    .get(&(record.id, decision.beamline))
                    .into_iter()
                    .flatten()
                {
                    body.push_str(&format!(
                        "\n  scheduled {} to {} (local time)",
                        cycle.shift_starts_at(block.first_shift),
                        cycle.shift_starts_at(block.first_shift + block.shifts)
                    ));
                }
            }
            Some(NewNotification {
                user: record.principal,
                kind: "beamtime_decision".into(),
                subject: format!(
                    "Beamtime decision for proposal {}: {granted} shifts",
                    record.id.0
                ),
                body,
            })
        })
        .collect()
}

#[derive(Debug, Clone, Serialize)]
pub struct ReplanSummary {
    pub day: String,
    /// Shifts the lost day took from the schedule, placed again where there was room.
    pub moved_shifts: u64,
    /// Those as a share of all placed shifts before the loss.
    pub moved_share: f64,
    /// Shifts that found no room after the loss.
    pub unplaced_shifts: u64,
    /// Teams whose shifts moved; each is told.
    pub teams_told: usize,
    pub solve_ms: f64,
}

/// Re-plans the cycle's published schedule after the beam of `day` was lost: only the
/// shifts on that day move (the rest of every block stays), the day is closed, and the teams
/// whose shifts moved are told their new times.
pub async fn replan_cycle_after_lost_day(
    store: &dyn Store,
    cycle: &Cycle,
    day: jiff::civil::Date,
    context: &AuditContext,
) -> Result<ReplanSummary, AppError> {
    let Some(day_index) = cycle.day_index(day) else {
        return Err(AppError::invalid(
            "day",
            format!(
                "{day} is outside the cycle ({} to {})",
                cycle.starts_on, cycle.ends_on
            ),
        ));
    };
    if cycle.closed_days.iter().any(|closed| closed.day == day) {
        return Err(AppError::Conflict(format!("{day} is already closed")));
    }
    let beamlines = beamlines_of(store, cycle).await?;
    let index_of: HashMap<BeamlineId, usize> = beamlines
        .iter()
        .enumerate()
        .map(|(index, beamline)| (beamline.id, index))
        .collect();
    let proposals = store.proposals_of_cycle(cycle.id, None).await?;
    let unavailable: HashMap<ProposalId, BTreeSet<u32>> = proposals
        .iter()
        .map(|record| {
            (
                record.id,
                record
                    .draft
                    .unavailable_days
                    .iter()
                    .filter_map(|day| cycle.day_index(*day))
                    .collect(),
            )
        })
        .collect();
    let decisions = store.decisions_of_cycle(cycle.id).await?;
    if decisions.is_empty() {
        return Err(AppError::Conflict(
            "the cycle has no allocation to re-plan".into(),
        ));
    }
    let granted: Vec<GrantedRequest> = decisions
        .iter()
        .filter(|decision| decision.granted > 0)
        .filter_map(|decision| {
            Some(GrantedRequest {
                proposal: decision.proposal,
                beamline: *index_of.get(&decision.beamline)?,
                shifts: decision.granted,
                unavailable_days: unavailable
                    .get(&decision.proposal)
                    .cloned()
                    .unwrap_or_default(),
            })
        })
        .collect();
    let before = store.schedule_of_cycle(cycle.id).await?;
    let placed: Vec<PlacedBlock> = before
        .iter()
        .filter_map(|block| {
            Some(PlacedBlock {
                proposal: block.proposal,
                beamline: *index_of.get(&block.beamline)?,
                first_shift: block.first_shift,
                shifts: block.shifts,
            })
        })
        .collect();
    let placed_before: u64 = placed.iter().map(|block| u64::from(block.shifts)).sum();
    let closed: BTreeSet<u32> = cycle
        .closed_days
        .iter()
        .filter_map(|closed| cycle.day_index(closed.day))
        .collect();
    let calendars = cycle_calendars(beamlines.len(), cycle.days(), &closed);
    let started = Instant::now();
    let replan = replan_after_lost_day(&granted, &placed, &calendars, day_index);
    let solve_ms = started.elapsed().as_secs_f64() * 1_000.0;
    if !replan.violations.is_empty() {
        return Err(AppError::internal(format!(
            "the re-planned schedule breaks {} hard rules; nothing was stored",
            replan.violations.len()
        )));
    }
    let blocks: Vec<StoredBlock> = replan
        .blocks
        .iter()
        .map(|block| StoredBlock {
            beamline: beamlines[block.beamline].id,
            proposal: block.proposal,
            first_shift: block.first_shift,
            shifts: block.shifts,
        })
        .collect();
    let principal: HashMap<ProposalId, (UserId, &str)> = proposals
        .iter()
        .map(|record| (record.id, (record.principal, record.draft.title.as_str())))
        .collect();
    let notifications: Vec<NewNotification> = replan
        .moved_proposals
        .iter()
        .filter_map(|proposal| {
            let (user, title) = principal.get(proposal)?;
            let mut body = format!(
                "The beam of {day} was lost. The shifts of proposal {} \"{title}\" on that day were moved; your schedule in cycle {} is now:\n",
                proposal.0, cycle.name
            );
            for block in blocks.iter().filter(|block| block.proposal == *proposal) {
                let code = beamlines.iter().find(|beamline| beamline.id == block.beamline).map_or("?", |beamline| beamline.code.as_str());
                body.push_str(&format!(
                    "\n{code}: {} to {} (local time)",
                    cycle.shift_starts_at(block.first_shift),
                    cycle.shift_starts_at(block.first_shift + block.shifts)
                ));
            }
            Some(NewNotification { user: *user, kind: "schedule_changed".into(), subject: format!("Beamtime moved for proposal {}", proposal.0), body })
        })
        .collect();
    store
        .record_lost_day(
            cycle.id,
            ClosedDay {
                day,
                reason: ClosedReason::BeamLost,
            },
            &blocks,
            &notifications,
            context,
        )
        .await?;
    Ok(ReplanSummary {
        day: day.to_string(),
        moved_shifts: replan.moved_shifts,
        moved_share: ratio(replan.moved_shifts as f64, placed_before as f64),
        unplaced_shifts: replan
            .unplaced
            .iter()
            .map(|(_, _, shifts)| u64::from(*shifts))
            .sum(),
        teams_told: notifications.len(),
        solve_ms,
    })
}
