//! The user office's console: the cycles of the facilities whose office the actor runs, and
//! for one of them everything the office steers by — its submitted proposals, their checks
//! and reviews, the allocation's decisions and the published schedule.

use corridor_domain::facility::proposal::{Cycle, CycleId, ProposalStatus};
use corridor_domain::InstitutionId;
use corridor_store::beamtime::{CheckRecord, ProposalRecord, ReviewRecord, StoredDecision};

use super::schedule::PublishedSchedule;
use super::{require_a_user_office, Beamtime};
use crate::actor::Actor;
use crate::error::AppResult;

/// One cycle as its user office steers it.
#[derive(Debug, Clone)]
pub struct OfficeCycle {
    /// The cycle's submitted proposals, by id.
    pub submitted: Vec<ProposalRecord>,
    pub checks: Vec<CheckRecord>,
    pub reviews: Vec<ReviewRecord>,
    pub decisions: Vec<StoredDecision>,
    /// The published schedule, with the cycle and its facility's beamlines.
    pub schedule: PublishedSchedule,
}

/// The console: the office's cycles, newest first per facility, and the chosen one.
#[derive(Debug, Clone)]
pub struct OfficeConsole {
    pub cycles: Vec<Cycle>,
    pub chosen: Option<OfficeCycle>,
}

impl Beamtime<'_> {
    /// The user office's console. `chosen` picks one of the office's cycles; without it (or
    /// when it is not the office's) the newest cycle whose call has closed is shown, else
    /// the newest. User offices only; each sees the cycles of its own facilities (platform
    /// admins every facility's).
    pub async fn office_console(
        &self,
        actor: &Actor,
        chosen: Option<CycleId>,
    ) -> AppResult<OfficeConsole> {
        let user = actor.require_user()?;
        require_a_user_office(user)?;
        let mut facilities: Vec<InstitutionId> = self
            .store
            .beamlines(None)
            .await?
            .iter()
            .map(|beamline| beamline.facility)
            .collect();
        facilities.sort();
        facilities.dedup();
        let mut cycles: Vec<Cycle> = Vec::new();
        for facility in facilities {
            if user.runs_user_office_of(facility) {
                cycles.extend(self.store.cycles(Some(facility)).await?);
            }
        }
        let now = corridor_store::now();
        let chosen = chosen
            .and_then(|id| cycles.iter().find(|cycle| cycle.id == id))
            .or_else(|| cycles.iter().find(|cycle| cycle.call_closes <= now))
            .or_else(|| cycles.first())
            .cloned();
        let Some(cycle) = chosen else {
            return Ok(OfficeConsole {
                cycles,
                chosen: None,
            });
        };
        // Every proposal of the cycle, read once: the schedule names its blocks' proposals
        // from them, and the console lists the submitted ones.
        let proposals = self.store.proposals_of_cycle(cycle.id, None).await?;
        let checks = self.store.checks_of_cycle(cycle.id).await?;
        let reviews = self.store.reviews_of_cycle(cycle.id).await?;
        let decisions = self.store.decisions_of_cycle(cycle.id).await?;
        let schedule = self.schedule_with(cycle, Some(&proposals)).await?;
        let submitted = proposals
            .into_iter()
            .filter(|record| record.status == ProposalStatus::Submitted)
            .collect();
        Ok(OfficeConsole {
            cycles,
            chosen: Some(OfficeCycle {
                submitted,
                checks,
                reviews,
                decisions,
                schedule,
            }),
        })
    }
}
