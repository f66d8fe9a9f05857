//! The allocation and what it publishes: running it and re-planning after a lost beam day
//! (the user office's), the decisions with their reasons, the published schedule (also as one
//! beamline's calendar feed, in the region's time zone), a cycle's figures, and the
//! notifications the allocation leaves for teams.

use std::collections::HashMap;

use corridor_domain::facility::allocation::ProposalType;
use corridor_domain::facility::proposal::{Cycle, CycleId, ProposalStatus};
use corridor_domain::facility::ProposalId;
use corridor_domain::{Beamline, BeamlineId, TimeZoneName};
use corridor_store::beamtime::{NotificationRecord, ProposalRecord, StoredDecision};
use jiff::Timestamp;

use super::allocation::{
    beamlines_of, replan_cycle_after_lost_day, run_cycle_allocation, AllocationSummary,
    ReplanSummary,
};
use super::statistics::CycleStatistics;
use super::Beamtime;
use crate::actor::Actor;
use crate::error::{AppError, AppResult};

/// How many notifications a user reads at once unless they ask for another number…
pub const DEFAULT_NOTIFICATIONS: u32 = 50;
/// …which is at most this.
pub const MOST_NOTIFICATIONS: u32 = 500;

/// An allocation decision with its beamline's code.
#[derive(Debug, Clone)]
pub struct BeamlineDecision {
    pub decision: StoredDecision,
    /// The beamline's code, when it is one of the facility's.
    pub beamline_code: Option<String>,
}

/// A placed block of shifts as the schedule publishes it.
#[derive(Debug, Clone)]
pub struct PublishedBlock {
    pub beamline: BeamlineId,
    /// The beamline's code (empty if the beamline is not the facility's any more).
    pub beamline_code: String,
    pub proposal: ProposalId,
    /// The proposal's title while it is submitted (empty once withdrawn).
    pub title: String,
    pub proposal_type: Option<ProposalType>,
    pub first_shift: u32,
    pub shifts: u32,
    /// Local time at the facility (the region's time zone).
    pub starts_at: jiff::civil::DateTime,
    pub ends_at: jiff::civil::DateTime,
}

/// A cycle's published schedule: who is on which beamline when.
#[derive(Debug, Clone)]
pub struct PublishedSchedule {
    pub cycle: Cycle,
    /// The IANA name of the zone the local times are in.
    pub time_zone: String,
    /// The facility's beamlines by id: the rows of a chart.
    pub beamlines: Vec<Beamline>,
    pub blocks: Vec<PublishedBlock>,
}

/// A placed block with its instants, for a calendar feed.
#[derive(Debug, Clone)]
pub struct FeedBlock {
    pub block: PublishedBlock,
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
}

/// One beamline's published schedule for a cycle, for its calendar feed.
#[derive(Debug, Clone)]
pub struct BeamlineFeed {
    pub cycle: Cycle,
    pub beamline: Beamline,
    pub time_zone: TimeZoneName,
    pub blocks: Vec<FeedBlock>,
}

/// A cycle with its figures.
#[derive(Debug, Clone)]
pub struct CycleFigures {
    pub cycle: Cycle,
    pub statistics: CycleStatistics,
}

impl Beamtime<'_> {
    /// Runs the cycle's allocation and stores the decisions, the schedule and a notification
    /// to each team, replacing an earlier run. The facility's user office only.
    #[tracing::instrument(skip_all, fields(cycle = cycle.0))]
    pub async fn run_allocation(
        &self,
        actor: &Actor,
        cycle: CycleId,
    ) -> AppResult<AllocationSummary> {
        let cycle = self.user_office_cycle(actor, cycle).await?;
        let run = run_cycle_allocation(self.store, &cycle, &actor.audit_context()).await;
        self.cycle_changed(cycle.id);
        run
    }

    /// Records a lost beam day and re-plans the published schedule around it: only the
    /// shifts on that day move, the day closes, and the teams whose shifts moved are told.
    /// The facility's user office only.
    #[tracing::instrument(skip_all, fields(cycle = cycle.0, %day))]
    pub async fn record_lost_day(
        &self,
        actor: &Actor,
        cycle: CycleId,
        day: jiff::civil::Date,
    ) -> AppResult<ReplanSummary> {
        let cycle = self.user_office_cycle(actor, cycle).await?;
        let replan =
            replan_cycle_after_lost_day(self.store, &cycle, day, &actor.audit_context()).await;
        self.cycle_changed(cycle.id);
        replan
    }

    /// Every allocation decision of the cycle with its reason. The facility's user office
    /// only.
    pub async fn cycle_decisions(
        &self,
        actor: &Actor,
        cycle: CycleId,
    ) -> AppResult<Vec<BeamlineDecision>> {
        let cycle = self.user_office_cycle(actor, cycle).await?;
        let codes: HashMap<BeamlineId, String> = self
            .store
            .beamlines(Some(cycle.facility))
            .await?
            .into_iter()
            .map(|beamline| (beamline.id, beamline.code))
            .collect();
        Ok(self
            .store
            .decisions_of_cycle(cycle.id)
            .await?
            .into_iter()
            .map(|decision| BeamlineDecision {
                beamline_code: codes.get(&decision.beamline).cloned(),
                decision,
            })
            .collect())
    }

    pub(super) async fn schedule_of(&self, cycle: Cycle) -> AppResult<PublishedSchedule> {
        self.schedule_with(cycle, None).await
    }

    /// The cycle's published schedule, naming its blocks' proposals from `proposals` (every
    /// proposal of the cycle) when the caller has read them already. Reading a cycle's
    /// proposals is most of a schedule's time (a cycle holds a thousand or two, with their
    /// summaries and teams), so they are read at most once per request, and not at all while
    /// nothing is placed.
    pub(super) async fn schedule_with(
        &self,
        cycle: Cycle,
        proposals: Option<&[ProposalRecord]>,
    ) -> AppResult<PublishedSchedule> {
        let beamlines = beamlines_of(self.store, &cycle).await?;
        let codes: HashMap<BeamlineId, &str> = beamlines
            .iter()
            .map(|beamline| (beamline.id, beamline.code.as_str()))
            .collect();
        let stored_blocks = self.store.schedule_of_cycle(cycle.id).await?;
        let read;
        let proposals = match proposals {
            Some(proposals) => proposals,
            None if stored_blocks.is_empty() => &[],
            None => {
                read = self.store.proposals_of_cycle(cycle.id, None).await?;
                &read[..]
            }
        };
        let proposals: HashMap<ProposalId, (ProposalStatus, ProposalType, &str)> = proposals
            .iter()
            .map(|record| {
                (
                    record.id,
                    (
                        record.status,
                        record.draft.proposal_type,
                        record.draft.title.as_str(),
                    ),
                )
            })
            .collect();
        let blocks = stored_blocks
            .into_iter()
            .map(|block| {
                let proposal = proposals.get(&block.proposal);
                PublishedBlock {
                    beamline: block.beamline,
                    beamline_code: codes
                        .get(&block.beamline)
                        .map(|code| (*code).to_owned())
                        .unwrap_or_default(),
                    proposal: block.proposal,
                    // Only a submitted proposal's title is published.
                    title: proposal
                        .filter(|(status, _, _)| *status == ProposalStatus::Submitted)
                        .map(|(_, _, title)| (*title).to_owned())
                        .unwrap_or_default(),
                    proposal_type: proposal.map(|(_, kind, _)| *kind),
                    first_shift: block.first_shift,
                    shifts: block.shifts,
                    starts_at: cycle.shift_starts_at(block.first_shift),
                    ends_at: cycle.shift_starts_at(block.first_shift + block.shifts),
                }
            })
            .collect();
        Ok(PublishedSchedule {
            time_zone: self.time_zone_name().to_owned(),
            cycle,
            beamlines,
            blocks,
        })
    }

    /// The cycle's published schedule: every placed block of shifts. Public.
    pub async fn published_schedule(&self, cycle: CycleId) -> AppResult<PublishedSchedule> {
        let cycle = self.stored_cycle(cycle).await?;
        self.schedule_of(cycle).await
    }

    /// One beamline's published schedule for the cycle, with the instants of its blocks in
    /// the region's time zone, for a calendar feed. `code` is matched without regard to
    /// case. Public.
    pub async fn beamline_feed(&self, cycle: CycleId, code: &str) -> AppResult<BeamlineFeed> {
        let cycle = self.stored_cycle(cycle).await?;
        let beamline = self
            .store
            .beamlines(Some(cycle.facility))
            .await?
            .into_iter()
            .find(|beamline| beamline.code.eq_ignore_ascii_case(code.trim()))
            .ok_or_else(|| AppError::NotFound(format!("no beamline {code:?} at this facility")))?;
        let time_zone = TimeZoneName::parse(self.time_zone_name())?;
        let instant = |local: jiff::civil::DateTime| -> AppResult<Timestamp> {
            Ok(local
                .to_zoned(self.region_time_zone.clone())
                .map_err(|error| {
                    AppError::internal_because("placing a shift in the region's time zone", error)
                })?
                .timestamp())
        };
        let schedule = self.schedule_of(cycle).await?;
        let mut blocks = Vec::new();
        for block in schedule.blocks {
            if block.beamline != beamline.id {
                continue;
            }
            blocks.push(FeedBlock {
                starts_at: instant(block.starts_at)?,
                ends_at: instant(block.ends_at)?,
                block,
            });
        }
        Ok(BeamlineFeed {
            cycle: schedule.cycle,
            beamline,
            time_zone,
            blocks,
        })
    }

    /// The cycle's figures: demand per beamline, people by origin and institution kind.
    /// Public.
    pub async fn statistics(&self, cycle: CycleId) -> AppResult<CycleStatistics> {
        Ok(self.cycle_with_statistics(cycle).await?.1)
    }

    /// The figures of `cycle`, or, when none is asked for, of the newest cycle with an
    /// allocation (else the newest); none while no cycle exists. Public.
    pub async fn cycle_figures(&self, cycle: Option<CycleId>) -> AppResult<Option<CycleFigures>> {
        if let Some(id) = cycle {
            let (cycle, statistics) = self.cycle_with_statistics(id).await?;
            return Ok(Some(CycleFigures { cycle, statistics }));
        }
        // Noted before the cycles are read (see `cycle_with_statistics`).
        let seen = self.statistics_cache.generation();
        let cycles = self.store.cycles(None).await?;
        // Whether a cycle was allocated is one of its kept figures, so finding the newest
        // allocated cycle reads no decisions while the figures are kept.
        let mut newest = None;
        for candidate in cycles {
            let statistics = self.statistics_of(&candidate, seen).await?;
            if statistics.allocated {
                return Ok(Some(CycleFigures {
                    cycle: candidate,
                    statistics,
                }));
            }
            newest.get_or_insert(CycleFigures {
                cycle: candidate,
                statistics,
            });
        }
        Ok(newest)
    }

    /// The actor's notifications (beamtime decisions, moved shifts), newest first: `limit`
    /// of them (1 to [`MOST_NOTIFICATIONS`]; [`DEFAULT_NOTIFICATIONS`] when not given).
    pub async fn my_notifications(
        &self,
        actor: &Actor,
        limit: Option<u32>,
    ) -> AppResult<Vec<NotificationRecord>> {
        let user = actor.require_user()?;
        let limit = limit.unwrap_or(DEFAULT_NOTIFICATIONS);
        if !(1..=MOST_NOTIFICATIONS).contains(&limit) {
            return Err(AppError::invalid(
                "limit",
                format!("1 to {MOST_NOTIFICATIONS}"),
            ));
        }
        Ok(self.store.notifications_of_user(user.id, limit).await?)
    }
}
