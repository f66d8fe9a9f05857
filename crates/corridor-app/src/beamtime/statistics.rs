//! A cycle's figures: demand and grants per beamline, and the people on its proposals by
//! origin province (in the region or outside) and institution kind. Public, like a facility's
//! published statistics; the web's cycle page, its analytics dashboard and the binary's demo
//! report read them.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use corridor_domain::facility::proposal::{Cycle, ProposalStatus};
use corridor_domain::facility::ProposalId;
use corridor_domain::{BeamlineId, ProvinceCode, UserId};
use corridor_store::Store;
use serde::Serialize;

use super::allocation::beamlines_of;
use crate::error::AppError;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BeamlineStatistics {
    pub beamline_id: i64,
    pub code: String,
    pub user_shifts: u32,
    pub requested_shifts: u32,
    pub granted_shifts: u32,
    /// Requested over user shifts.
    pub oversubscription: f64,
    pub proposals: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OriginStatistics {
    /// Province code, or `outside` for the provinces outside the region together.
    pub origin: String,
    pub in_region: bool,
    /// People on submitted proposals (principals and team members, each once).
    pub users: usize,
    /// Of those, people on proposals granted shifts.
    pub users_granted: usize,
    /// Hours of beamtime granted (shifts × 8) to proposals whose principal investigator
    /// comes from here.
    pub hours_granted: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KindStatistics {
    pub institution_kind: String,
    pub users: usize,
    pub users_granted: usize,
    /// Hours granted to proposals whose principal investigator works at this kind.
    pub hours_granted: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CycleStatistics {
    pub cycle_id: i64,
    pub proposals_submitted: usize,
    pub proposals_granted: usize,
    /// Whether an allocation was run (grants are zero before).
    pub allocated: bool,
    pub requested_shifts: u64,
    pub granted_shifts: u64,
    pub user_shifts: u64,
    pub oversubscription: f64,
    pub beamlines: Vec<BeamlineStatistics>,
    pub origins: Vec<OriginStatistics>,
    pub institution_kinds: Vec<KindStatistics>,
    /// Share of the people on submitted proposals whose institution is in the region.
    pub share_from_region: f64,
    /// The same among the people on proposals granted shifts.
    pub share_from_region_granted: f64,
    /// Share of the hours granted that went to proposals led from the region.
    pub share_of_hours_from_region: f64,
}

/// The cycle's figures: demand and grants per beamline, people by origin and institution kind.
pub async fn cycle_statistics(
    store: &dyn Store,
    cycle: &Cycle,
) -> Result<CycleStatistics, AppError> {
    let decisions = store.decisions_of_cycle(cycle.id).await?;
    let people_of_cycle = store.people_of_cycle(cycle.id).await?;
    // The principals say which proposals were submitted and who leads them; the proposals'
    // own records are read only before an allocation, for what they ask.
    let principals: HashMap<ProposalId, UserId> = people_of_cycle
        .iter()
        .filter(|person| person.principal)
        .map(|person| (person.proposal, person.user))
        .collect();
    let beamlines = beamlines_of(store, cycle).await?;
    let closed: BTreeSet<u32> = cycle
        .closed_days
        .iter()
        .filter_map(|closed| cycle.day_index(closed.day))
        .collect();
    let user_shifts_each =
        (cycle.days() - closed.len() as u32) * corridor_domain::facility::schedule::SHIFTS_PER_DAY;
    let allocated = !decisions.is_empty();
    let mut per_beamline: HashMap<BeamlineId, (u32, u32, usize)> = HashMap::new();
    if allocated {
        for decision in &decisions {
            let entry = per_beamline.entry(decision.beamline).or_default();
            entry.0 += decision.requested;
            entry.1 += decision.granted;
            entry.2 += 1;
        }
    } else {
        for record in store
            .proposals_of_cycle(cycle.id, Some(ProposalStatus::Submitted))
            .await?
        {
            for (beamline, shifts) in &record.draft.requests {
                let entry = per_beamline.entry(*beamline).or_default();
                entry.0 += shifts;
                entry.2 += 1;
            }
        }
    }
    let beamline_rows: Vec<BeamlineStatistics> = beamlines
        .iter()
        .map(|beamline| {
            let (requested, granted, count) =
                per_beamline.get(&beamline.id).copied().unwrap_or_default();
            BeamlineStatistics {
                beamline_id: beamline.id.0,
                code: beamline.code.clone(),
                user_shifts: user_shifts_each,
                requested_shifts: requested,
                granted_shifts: granted,
                oversubscription: ratio(f64::from(requested), f64::from(user_shifts_each)),
                proposals: count,
            }
        })
        .collect();
    let granted: HashSet<ProposalId> = decisions
        .iter()
        .filter(|decision| decision.granted > 0)
        .map(|decision| decision.proposal)
        .collect();
    let mut granted_shifts_of: HashMap<ProposalId, u64> = HashMap::new();
    for decision in &decisions {
        *granted_shifts_of.entry(decision.proposal).or_default() += u64::from(decision.granted);
    }
    let origin_of = |province: &str| {
        let in_region = ProvinceCode::parse(province).is_ok_and(|code| code.is_in_region());
        (
            if in_region {
                province.to_owned()
            } else {
                "outside".to_owned()
            },
            in_region,
        )
    };
    // Each person once: granted if on any granted proposal. Hours go to the principal's origin.
    let mut people: HashMap<UserId, (String, String, bool)> = HashMap::new();
    let mut origins: BTreeMap<String, (bool, usize, usize, u64)> = BTreeMap::new();
    let mut kinds: BTreeMap<String, (usize, usize, u64)> = BTreeMap::new();
    for person in people_of_cycle {
        if person.principal {
            let hours = granted_shifts_of
                .get(&person.proposal)
                .copied()
                .unwrap_or(0)
                * 8;
            let (origin, in_region) = origin_of(&person.province);
            origins.entry(origin).or_insert((in_region, 0, 0, 0)).3 += hours;
            kinds.entry(person.institution_kind.clone()).or_default().2 += hours;
        }
        let entry = people.entry(person.user).or_insert_with(|| {
            (
                person.province.clone(),
                person.institution_kind.clone(),
                false,
            )
        });
        entry.2 |= granted.contains(&person.proposal);
    }
    for (province, kind, was_granted) in people.values() {
        let (origin, in_region) = origin_of(province);
        let entry = origins.entry(origin).or_insert((in_region, 0, 0, 0));
        entry.1 += 1;
        entry.2 += usize::from(*was_granted);
        let entry = kinds.entry(kind.clone()).or_default();
        entry.0 += 1;
        entry.1 += usize::from(*was_granted);
    }
    let hours_in_region: u64 = origins.values().filter(|row| row.0).map(|row| row.3).sum();
    let hours_all: u64 = origins.values().map(|row| row.3).sum();
    let in_region_users: usize = origins.values().filter(|row| row.0).map(|row| row.1).sum();
    let in_region_granted: usize = origins.values().filter(|row| row.0).map(|row| row.2).sum();
    let all_users: usize = origins.values().map(|row| row.1).sum();
    let all_granted: usize = origins.values().map(|row| row.2).sum();
    let requested_shifts: u64 = beamline_rows
        .iter()
        .map(|row| u64::from(row.requested_shifts))
        .sum();
    let user_shifts = u64::from(user_shifts_each) * beamlines.len() as u64;
    Ok(CycleStatistics {
        cycle_id: cycle.id.0,
        proposals_submitted: principals.len(),
        proposals_granted: granted.len(),
        allocated,
        requested_shifts,
        granted_shifts: beamline_rows
            .iter()
            .map(|row| u64::from(row.granted_shifts))
            .sum(),
        user_shifts,
        oversubscription: ratio(requested_shifts as f64, user_shifts as f64),
        beamlines: beamline_rows,
        origins: origins
            .into_iter()
            .map(
                |(origin, (in_region, users, users_granted, hours_granted))| OriginStatistics {
                    origin,
                    in_region,
                    users,
                    users_granted,
                    hours_granted,
                },
            )
            .collect(),
        institution_kinds: kinds
            .into_iter()
            .map(
                |(institution_kind, (users, users_granted, hours_granted))| KindStatistics {
                    institution_kind,
                    users,
                    users_granted,
                    hours_granted,
                },
            )
            .collect(),
        share_from_region: ratio(in_region_users as f64, all_users as f64),
        share_from_region_granted: ratio(in_region_granted as f64, all_granted as f64),
        share_of_hours_from_region: ratio(hours_in_region as f64, hours_all as f64),
    })
}

/// `part / whole` rounded to four decimals; 0 when there is no whole.
pub(crate) fn ratio(part: f64, whole: f64) -> f64 {
    if whole > 0.0 {
        (part / whole * 10_000.0).round() / 10_000.0
    } else {
        0.0
    }
}
