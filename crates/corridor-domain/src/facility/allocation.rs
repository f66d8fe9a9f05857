//! Stage one of beamtime allocation: who gets how many shifts on which beamline.
//!
//! Per beamline, requests are ranked by their panel score (1.0 best … 5.0 worst), improved by
//! an aging bonus for well-graded proposals that were cut in earlier cycles. Requests scored
//! worse than the cutoff are refused. Then, in rank order within each pool:
//! 1. the co-builders' share of the beamline's shifts goes to co-builders' requests that fit
//!    in it whole (a larger one competes with the rest);
//! 2. general access gets at least `general_min_share` of the shifts while it has demand
//!    (the request that crosses that line is served whole if the beamline has room);
//! 3. everything else competes in rank order, proprietary (paid industry) time capped at
//!    `proprietary_max_share`.
//!
//! A request gets all it asked for, or what is left when that is at least
//! `min_useful_shifts`, or nothing; every decision says why, so that the user office can
//! answer "why was my proposal cut".

use std::collections::BTreeMap;

use serde::Serialize;

use super::review::ProposalId;

/// The kinds of proposal a cycle accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum ProposalType {
    General,
    RapidAccess,
    LongTerm,
    /// Industry, paid at a rate; results stay with the company.
    Proprietary,
}

/// One proposal's request for shifts on one beamline.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ShiftRequest {
    pub proposal: ProposalId,
    pub proposal_type: ProposalType,
    /// Index of the beamline in the allocation's list.
    pub beamline: usize,
    pub shifts: u32,
    /// The panel's aggregated grade, 1.0 (best) to 5.0.
    pub score: f64,
    /// Earlier cycles in which this proposal was graded within the cutoff but not allocated.
    pub cycles_waiting: u32,
    /// Whether the team belongs to one of the beamline's co-builders.
    pub co_builder: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BeamlineCapacity {
    pub code: String,
    /// Shifts the cycle's calendar offers for users on this beamline.
    pub user_shifts: u32,
    /// Share of those reserved for the beamline's co-builders.
    pub co_builder_share: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct AllocationRules {
    /// Scores worse than this are not allocated.
    pub score_cutoff: f64,
    /// Score bonus per cycle waited.
    pub aging_bonus_per_cycle: f64,
    pub max_aging_bonus: f64,
    pub general_min_share: f64,
    pub proprietary_max_share: f64,
    /// A partial grant smaller than this is no grant.
    pub min_useful_shifts: u32,
}

impl Default for AllocationRules {
    fn default() -> Self {
        AllocationRules {
            score_cutoff: 3.0,
            aging_bonus_per_cycle: 0.2,
            max_aging_bonus: 0.4,
            general_min_share: 0.5,
            proprietary_max_share: 0.15,
            min_useful_shifts: 3,
        }
    }
}

/// Why a request got what it got.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum DecisionReason {
    Granted,
    /// The beamline had only this much left at the request's rank.
    PartlyGranted {
        left: u32,
    },
    /// Scored worse than the cutoff.
    BelowCutoff {
        score: f64,
        cutoff: f64,
    },
    /// Better-ranked requests took the beamline's shifts; `rank` is this one's place.
    BeamlineFull {
        rank: usize,
        left: u32,
    },
    /// The cap on proprietary time was reached.
    ProprietaryCapReached {
        cap: u32,
    },
    /// The request names a beamline that is not in the cycle, or asks for no shifts.
    Invalid,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AllocationDecision {
    pub proposal: ProposalId,
    pub beamline: usize,
    pub requested: u32,
    pub granted: u32,
    pub effective_score: f64,
    pub reason: DecisionReason,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct BeamlineOutcome {
    pub requested: u32,
    pub granted: u32,
    pub general: u32,
    pub proprietary: u32,
    pub co_builder: u32,
    /// Requested over available shifts.
    pub oversubscription: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ShiftAllocation {
    /// One per request, in the order given.
    pub decisions: Vec<AllocationDecision>,
    pub beamlines: Vec<BeamlineOutcome>,
}

fn effective_score(request: &ShiftRequest, rules: &AllocationRules) -> f64 {
    let bonus = (f64::from(request.cycles_waiting) * rules.aging_bonus_per_cycle)
        .min(rules.max_aging_bonus);
    request.score - bonus
}

/// Allocates shifts per beamline (see the module comment).
pub fn allocate_shifts(
    requests: &[ShiftRequest],
    beamlines: &[BeamlineCapacity],
    rules: &AllocationRules,
) -> ShiftAllocation {
    let mut decisions: Vec<AllocationDecision> = requests
        .iter()
        .map(|request| AllocationDecision {
            proposal: request.proposal,
            beamline: request.beamline,
            requested: request.shifts,
            granted: 0,
            effective_score: effective_score(request, rules),
            reason: DecisionReason::Invalid,
        })
        .collect();
    let mut outcomes = vec![BeamlineOutcome::default(); beamlines.len()];
    let mut by_beamline: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (index, request) in requests.iter().enumerate() {
        if request.beamline < beamlines.len() && request.shifts > 0 {
            by_beamline.entry(request.beamline).or_default().push(index);
            outcomes[request.beamline].requested += request.shifts;
        }
    }
    for (beamline, mut indices) in by_beamline {
        let capacity = beamlines[beamline].user_shifts;
        // Rank: effective score, then the earlier-submitted (lower id) proposal.
        indices.sort_by(|a, b| {
            decisions[*a]
                .effective_score
                .total_cmp(&decisions[*b].effective_score)
                .then(requests[*a].proposal.cmp(&requests[*b].proposal))
        });
        let mut eligible = Vec::new();
        for index in indices {
            if decisions[index].effective_score > rules.score_cutoff {
                decisions[index].reason = DecisionReason::BelowCutoff {
                    score: decisions[index].effective_score,
                    cutoff: rules.score_cutoff,
                };
            } else {
                eligible.push(index);
            }
        }
        let rank_of = |index: usize, eligible: &[usize]| {
            eligible.iter().position(|i| *i == index).unwrap_or(0) + 1
        };
        let proprietary_cap = (f64::from(capacity) * rules.proprietary_max_share).floor() as u32;
        let co_builder_reserve =
            (f64::from(capacity) * beamlines[beamline].co_builder_share).floor() as u32;
        let general_demand: u32 = eligible
            .iter()
            .filter(|index| requests[**index].proposal_type == ProposalType::General)
            .map(|index| requests[*index].shifts)
            .sum();
        let general_reserve =
            ((f64::from(capacity) * rules.general_min_share).ceil() as u32).min(general_demand);
        let mut left = capacity;
        let mut proprietary_used = 0u32;
        let mut general_used = 0u32;
        let mut decided = vec![false; requests.len()];
        let grant = |index: usize,
                     budget: u32,
                     decisions: &mut Vec<AllocationDecision>,
                     left: &mut u32|
         -> u32 {
            let wanted = requests[index].shifts;
            let available = budget.min(*left);
            let given = if wanted <= available {
                decisions[index].reason = DecisionReason::Granted;
                wanted
            } else if available >= rules.min_useful_shifts {
                decisions[index].reason = DecisionReason::PartlyGranted { left: available };
                available
            } else {
                0
            };
            decisions[index].granted = given;
            *left -= given;
            given
        };
        // 1. Co-builders within their share.
        let mut co_builder_left = co_builder_reserve;
        for &index in &eligible {
            let request = &requests[index];
            if !request.co_builder || co_builder_left == 0 {
                continue;
            }
            let mut budget = co_builder_left.min(left);
            if request.proposal_type == ProposalType::Proprietary {
                budget = budget.min(proprietary_cap - proprietary_used);
            }
            // The share serves whole requests; a larger one competes with everyone else,
            // where it may get all it asked for.
            if request.shifts > budget {
                continue;
            }
            let given = grant(index, budget, &mut decisions, &mut left);
            if given > 0 {
                decided[index] = true;
                co_builder_left -= given;
                outcomes[beamline].co_builder += given;
                match request.proposal_type {
                    ProposalType::General => general_used += given,
                    ProposalType::Proprietary => proprietary_used += given,
                    _ => {}
                }
            }
        }
        // 2. General access up to its guaranteed share.
        for &index in &eligible {
            if decided[index] || requests[index].proposal_type != ProposalType::General {
                continue;
            }
            if general_used >= general_reserve {
                break;
            }
            // The request that crosses the guaranteed share is served whole when the
            // beamline has room: cutting it at the line would split one experiment.
            let given = grant(index, left, &mut decisions, &mut left);
            if given > 0 {
                decided[index] = true;
                general_used += given;
            }
        }
        // 3. Everyone left, in rank order, with what the general reserve does not hold back.
        for &index in &eligible {
            if decided[index] {
                continue;
            }
            let request = &requests[index];
            let held_back = if request.proposal_type == ProposalType::General {
                0
            } else {
                general_reserve.saturating_sub(general_used)
            };
            let mut budget = left.saturating_sub(held_back);
            if request.proposal_type == ProposalType::Proprietary {
                let cap_left = proprietary_cap - proprietary_used;
                if cap_left < rules.min_useful_shifts.min(request.shifts) {
                    decisions[index].reason = DecisionReason::ProprietaryCapReached {
                        cap: proprietary_cap,
                    };
                    decided[index] = true;
                    continue;
                }
                budget = budget.min(cap_left);
            }
            let given = grant(index, budget, &mut decisions, &mut left);
            decided[index] = true;
            if given == 0 {
                decisions[index].reason = DecisionReason::BeamlineFull {
                    rank: rank_of(index, &eligible),
                    left: budget,
                };
                continue;
            }
            match request.proposal_type {
                ProposalType::General => general_used += given,
                ProposalType::Proprietary => proprietary_used += given,
                _ => {}
            }
        }
        // Requests the general pass reached but could not fit.
        for &index in &eligible {
            if !decided[index] {
                decisions[index].reason = DecisionReason::BeamlineFull {
                    rank: rank_of(index, &eligible),
                    left,
                };
            }
        }
        let outcome = &mut outcomes[beamline];
        outcome.granted = capacity - left;
        outcome.general = general_used;
        outcome.proprietary = proprietary_used;
        outcome.oversubscription = if capacity == 0 {
            0.0
        } else {
            f64::from(outcome.requested) / f64::from(capacity)
        };
    }
    ShiftAllocation {
        decisions,
        beamlines: outcomes,
    }
}

#[cfg(test)]
mod tests;
