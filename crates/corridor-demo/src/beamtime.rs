//! The light source's user programme for the demo: reviewer panels, one finished cycle (its
//! call closed and its beam period over) and one cycle whose call is open now, each with
//! proposals whose demand per beamline is realistic — the popular techniques (protein
//! crystallography, XAFS, SAXS) asked for most, the whole about four times what the
//! calendar offers, as at real third-generation light sources.
//!
//! Deterministic for a seed. Grades are not generated here: they need the reviewer
//! assignment, which the store's caller runs; each proposal carries a latent `quality` the
//! caller turns into its reviewers' grades.

use std::collections::BTreeSet;

use corridor_domain::facility::allocation::ProposalType;
use corridor_domain::facility::proposal::{
    ClosedDay, ClosedReason, Cycle, CycleId, Discipline, ProposalDraft,
};
use corridor_domain::{Beamline, InstitutionId, InstitutionKind, Role, User, UserId};
use jiff::civil::Date;
use jiff::{SignedDuration, Timestamp};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};

/// Days of beam in a cycle, and the rhythm of closed days: machine development on the
/// first day of every fortnight, maintenance on the eighth.
pub const CYCLE_DAYS: i64 = 130;

#[derive(Debug, Clone, PartialEq)]
pub struct DemoReviewer {
    pub user: UserId,
    pub discipline: Discipline,
    pub expertise: Vec<String>,
    pub max_load: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DemoProposal {
    pub principal: UserId,
    pub draft: ProposalDraft,
    /// When the team submitted it (within the call).
    pub submitted_at: Timestamp,
    /// The proposal's merit, 1.0 (outstanding) to 5.0; reviewers grade around it.
    pub quality: f64,
    /// For a resubmission: the index of its predecessor among the finished cycle's proposals.
    pub resubmission_of_index: Option<usize>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DemoCycle {
    pub cycle: Cycle,
    pub proposals: Vec<DemoProposal>,
    /// Whether its beam period is over (it is reviewed, allocated and scheduled).
    pub finished: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DemoBeamtime {
    pub reviewers: Vec<DemoReviewer>,
    /// The finished cycle first, then the open one.
    pub cycles: Vec<DemoCycle>,
}

const SUBJECTS: [&str; 30] = [
    "Pt single-atom catalysts",
    "lithium-rich cathodes",
    "perovskite solar cells",
    "SARS-CoV-2 spike variants",
    "membrane transporters",
    "high-entropy alloys",
    "additively manufactured turbine blades",
    "zeolite frameworks",
    "metal-organic frameworks",
    "2D transition-metal dichalcogenides",
    "Song dynasty celadon glazes",
    "rice root iron plaques",
    "solid-state electrolytes",
    "kinase–inhibitor complexes",
    "amyloid fibrils",
    "cement hydration products",
    "sodium-ion anodes",
    "topological insulators",
    "quantum spin liquids",
    "fuel-cell membranes",
    "contaminated paddy soils",
    "enzyme active sites",
    "silk fibroin films",
    "nickel superalloys",
    "photoresist polymers",
    "GaN power transistors",
    "meteorite inclusions",
    "bone mineralisation",
    "hydrogen storage alloys",
    "liquid-crystal elastomers",
];

fn discipline_of(techniques: &[&str]) -> Discipline {
    let has = |needle: &str| {
        techniques
            .iter()
            .any(|technique| technique.to_lowercase().contains(needle))
    };
    if has("crystallography") || has("biosaxs") {
        Discipline::LifeSciences
    } else if has("xafs") || has("xps") || has("xanes") {
        Discipline::Chemistry
    } else if has("arpes") || has("rixs") || has("xmcd") {
        Discipline::Physics
    } else if has("xrf") || has("tomography") || has("ct") {
        Discipline::EarthAndEnvironment
    } else if has("lithography") || has("optics") || has("strain") {
        Discipline::EngineeringAndHeritage
    } else {
        Discipline::Materials
    }
}

/// How strongly a beamline draws proposals: protein crystallography, XAFS and SAXS lines are
/// the most oversubscribed at every light source; test lines the least.
fn demand_weight(beamline: &Beamline) -> u32 {
    let text = beamline.techniques.join(" ").to_lowercase();
    if text.contains("crystallography") {
        5
    } else if text.contains("xafs") || text.contains("saxs") {
        4
    } else if text.contains("optics testing") {
        1
    } else {
        3
    }
}

fn closed_days(starts_on: Date, days: i64) -> Vec<ClosedDay> {
    (0..days)
        .filter_map(|offset| {
            let reason = match offset % 14 {
                0 => ClosedReason::MachineDevelopment,
                7 => ClosedReason::Maintenance,
                _ => return None,
            };
            Some(ClosedDay {
                day: starts_on
                    .checked_add(SignedDuration::from_hours(24 * offset))
                    .ok()?,
                reason,
            })
        })
        .collect()
}

fn day_at(date: Date) -> Timestamp {
    date.at(0, 0, 0, 0)
        .to_zoned(jiff::tz::TimeZone::UTC)
        .map(|zoned| zoned.timestamp())
        .unwrap_or(Timestamp::UNIX_EPOCH)
}

fn add_days(date: Date, days: i64) -> Date {
    date.checked_add(SignedDuration::from_hours(24 * days))
        .unwrap_or(date)
}

/// The demo's programme for `facility` with `proposals_per_cycle` proposals in each cycle.
pub fn demo_beamtime(
    users: &[User],
    institution_kinds: &[(InstitutionId, InstitutionKind)],
    beamlines: &[Beamline],
    seed: u64,
    today: Date,
    proposals_per_cycle: usize,
) -> DemoBeamtime {
    let mut rng = StdRng::seed_from_u64(seed ^ 0x5EED_0006);
    let Some(facility) = beamlines.first().map(|beamline| beamline.facility) else {
        return DemoBeamtime {
            reviewers: Vec::new(),
            cycles: Vec::new(),
        };
    };
    let kind_of = |institution: InstitutionId| {
        institution_kinds
            .iter()
            .find(|(id, _)| *id == institution)
            .map(|(_, kind)| *kind)
    };
    // Researchers who propose: academics for the open modes, company staff for proprietary.
    let mut academics = Vec::new();
    let mut companies = Vec::new();
    for user in users {
        match kind_of(user.home_institution) {
            Some(InstitutionKind::Corporation) => companies.push(user.id),
            Some(_) => academics.push(user.id),
            None => {}
        }
    }
    let disciplines_of_beamlines: Vec<Discipline> = beamlines
        .iter()
        .map(|beamline| {
            discipline_of(
                &beamline
                    .techniques
                    .iter()
                    .map(String::as_str)
                    .collect::<Vec<_>>(),
            )
        })
        .collect();

    // Reviewers: every user with the reviewer role, in the panels round-robin, each knowing
    // the techniques of a few beamlines of their discipline and a few subjects.
    let reviewer_users: Vec<UserId> = users
        .iter()
        .filter(|user| user.roles.iter().any(|grant| grant.role == Role::Reviewer))
        .map(|user| user.id)
        .collect();
    let panel_sizes: Vec<usize> = Discipline::ALL
        .iter()
        .enumerate()
        .map(|(index, _)| {
            reviewer_users
                .iter()
                .enumerate()
                .filter(|(position, _)| position % 6 == index)
                .count()
        })
        .collect();
    let mut reviewers = Vec::new();
    for (position, user) in reviewer_users.iter().enumerate() {
        let discipline = Discipline::ALL[position % 6];
        let own_lines: Vec<&Beamline> = beamlines
            .iter()
            .zip(&disciplines_of_beamlines)
            .filter(|(_, line_discipline)| **line_discipline == discipline)
            .map(|(beamline, _)| beamline)
            .collect();
        let mut expertise: BTreeSet<String> = BTreeSet::new();
        for beamline in own_lines.choose_multiple(&mut rng, 2) {
            for technique in beamline.techniques.iter().take(2) {
                expertise.insert(technique.to_lowercase());
            }
        }
        for subject in SUBJECTS.choose_multiple(&mut rng, 3) {
            if let Some(word) = subject.split_whitespace().last() {
                expertise.insert(word.to_lowercase());
            }
        }
        // Enough load for the panel to give every proposal three reviews with room to spare.
        let expected = proposals_per_cycle.div_ceil(6) * 3;
        let panel = panel_sizes[position % 6].max(1);
        let max_load = (expected.div_ceil(panel) as u32 * 3 / 2).clamp(8, 100);
        reviewers.push(DemoReviewer {
            user: *user,
            discipline,
            expertise: expertise.into_iter().collect(),
            max_load,
        });
    }

    let finished_start = add_days(today, -210);
    let open_start = add_days(today, 90);
    let cycle_of =
        |id: i64, name: String, call_opens: Date, call_closes: Date, starts_on: Date| Cycle {
            id: CycleId(id),
            facility,
            name,
            call_opens: day_at(call_opens),
            call_closes: day_at(call_closes),
            starts_on,
            ends_on: add_days(starts_on, CYCLE_DAYS - 1),
            closed_days: closed_days(starts_on, CYCLE_DAYS),
        };
    let finished = cycle_of(
        1,
        format!("{}-A", finished_start.year()),
        add_days(finished_start, -120),
        add_days(finished_start, -60),
        finished_start,
    );
    let open = cycle_of(
        2,
        format!("{}-B", open_start.year()),
        add_days(today, -20),
        add_days(today, 25),
        open_start,
    );

    let weights: Vec<u32> = beamlines.iter().map(demand_weight).collect();
    let total_weight: u32 = weights.iter().sum();
    let pick_beamline = |rng: &mut StdRng| {
        let mut roll = rng.gen_range(0..total_weight);
        for (index, weight) in weights.iter().enumerate() {
            if roll < *weight {
                return index;
            }
            roll -= weight;
        }
        weights.len() - 1
    };
    let mut cycles = Vec::new();
    for (cycle, is_finished) in [(finished, true), (open, false)] {
        let mut proposals = Vec::with_capacity(proposals_per_cycle);
        let call_seconds = cycle.call_closes.as_second().min(day_at(today).as_second())
            - cycle.call_opens.as_second();
        for index in 0..proposals_per_cycle {
            let proposal_type = match rng.gen_range(0..100) {
                0..=69 => ProposalType::General,
                70..=77 => ProposalType::RapidAccess,
                78..=84 => ProposalType::LongTerm,
                _ => ProposalType::Proprietary,
            };
            let pool = if proposal_type == ProposalType::Proprietary && !companies.is_empty() {
                &companies
            } else {
                &academics
            };
            let principal = pool[rng.gen_range(0..pool.len())];
            let first = pick_beamline(&mut rng);
            let mut lines = vec![first];
            if rng.gen_bool(0.3) {
                let second = pick_beamline(&mut rng);
                if second != first {
                    lines.push(second);
                }
            }
            let beamline = &beamlines[first];
            let technique = beamline
                .techniques
                .first()
                .cloned()
                .unwrap_or_else(|| "X-ray".into());
            let subject = SUBJECTS[rng.gen_range(0..SUBJECTS.len())];
            let team: Vec<UserId> = (0..rng.gen_range(0..=4))
                .map(|_| academics[rng.gen_range(0..academics.len())])
                .filter(|member| *member != principal)
                .collect();
            let unavailable_days = if rng.gen_bool(0.3) {
                let mut days: Vec<Date> = (0..rng.gen_range(1..=5))
                    .map(|_| add_days(cycle.starts_on, rng.gen_range(0..CYCLE_DAYS)))
                    .collect();
                days.sort();
                days.dedup();
                days
            } else {
                Vec::new()
            };
            let draft = ProposalDraft {
                proposal_type,
                discipline: disciplines_of_beamlines[first],
                title: format!("{technique} study of {subject}"),
                summary: format!(
                    "We use {} on {} at beamline {} to resolve structure and chemistry that laboratory sources cannot reach.",
                    beamline.techniques.join(", "),
                    subject.to_lowercase(),
                    beamline.code
                ),
                techniques: beamline.techniques.iter().take(2).map(|term| term.to_lowercase()).collect(),
                team,
                samples: format!("{subject}: solid samples in sealed holders; no radioactive, biological level 2 or explosive material."),
                resubmission_of: None,
                declared_conflicts: Vec::new(),
                requests: lines.iter().map(|line| (beamlines[*line].id, 3 * rng.gen_range(2..=13u32))).collect(),
                unavailable_days,
            };
            let quality = (1.0 + 4.0 * rng.gen::<f64>().powf(1.3)).clamp(1.0, 5.0);
            let resubmission_of_index =
                (!is_finished && index % 10 == 0).then(|| rng.gen_range(0..proposals_per_cycle));
            proposals.push(DemoProposal {
                principal,
                draft,
                submitted_at: Timestamp::from_second(
                    cycle.call_opens.as_second() + rng.gen_range(0..call_seconds.max(1)),
                )
                .unwrap_or(cycle.call_opens),
                quality,
                resubmission_of_index,
            });
        }
        cycles.push(DemoCycle {
            cycle,
            proposals,
            finished: is_finished,
        });
    }
    // A resubmission is led by its predecessor's principal.
    let (finished_cycle, open_cycle) = cycles.split_at_mut(1);
    for proposal in &mut open_cycle[0].proposals {
        if let Some(index) = proposal.resubmission_of_index {
            let predecessor = &finished_cycle[0].proposals[index];
            proposal.principal = predecessor.principal;
            proposal
                .draft
                .team
                .retain(|member| *member != predecessor.principal);
            proposal.draft.title = format!("{} (continued)", predecessor.draft.title);
        }
    }
    DemoBeamtime { reviewers, cycles }
}

/// A reviewer's grade for a proposal of merit `quality`: within about half a point of it, in
/// tenths, 1.0 to 5.0. Deterministic for the pair.
pub fn demo_grade(quality: f64, proposal: i64, reviewer: i64, seed: u64) -> f64 {
    let mut rng = StdRng::seed_from_u64(
        seed ^ (proposal as u64).wrapping_mul(0x9E37_79B9) ^ (reviewer as u64).rotate_left(17),
    );
    let grade = quality + rng.gen_range(-0.5..0.5);
    ((grade * 10.0).round() / 10.0).clamp(1.0, 5.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_programme_is_oversubscribed_about_four_times_and_valid() {
        let region = crate::generate(7, crate::DemoScale::small(), &mut |_, _, _| {});
        let kinds: Vec<(InstitutionId, InstitutionKind)> = region
            .institutions
            .iter()
            .map(|institution| (institution.id, institution.kind))
            .collect();
        let today = jiff::civil::date(2026, 11, 29);
        let programme = demo_beamtime(&region.users, &kinds, &region.beamlines, 7, today, 1_500);
        assert_eq!(programme.cycles.len(), 2);
        assert!(!programme.reviewers.is_empty());
        let open = &programme.cycles[1];
        let now = day_at(today);
        assert!(open.cycle.call_is_open(now));
        assert!(open.cycle.check().is_ok() && programme.cycles[0].cycle.check().is_ok());
        assert!(
            programme.cycles[0].cycle.ends_on < today,
            "the first cycle is over"
        );
        let user_shifts = (open.cycle.days() - open.cycle.closed_days.len() as u32)
            * 3
            * region.beamlines.len() as u32;
        let requested: u32 = open
            .proposals
            .iter()
            .flat_map(|proposal| proposal.draft.requests.iter().map(|(_, shifts)| *shifts))
            .sum();
        let oversubscription = f64::from(requested) / f64::from(user_shifts);
        assert!(
            (3.0..5.0).contains(&oversubscription),
            "oversubscribed {oversubscription:.2}×"
        );
        for cycle in &programme.cycles {
            for proposal in &cycle.proposals {
                let at = proposal.submitted_at;
                assert!(
                    corridor_domain::facility::proposal::check_submission(
                        &cycle.cycle,
                        &proposal.draft,
                        at
                    )
                    .is_ok(),
                    "{:?}",
                    corridor_domain::facility::proposal::check_submission(
                        &cycle.cycle,
                        &proposal.draft,
                        at
                    )
                );
            }
        }
        assert!(demo_grade(2.0, 1, 2, 7) >= 1.5 && demo_grade(2.0, 1, 2, 7) <= 2.5);
        assert_eq!(demo_grade(2.0, 1, 2, 7), demo_grade(2.0, 1, 2, 7));
    }
}
