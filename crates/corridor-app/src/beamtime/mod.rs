//! The large facility's user programme (beamtime): proposal cycles and their calls,
//! proposals, feasibility and safety checks, reviewers and reviews, the allocation, the
//! published schedule (also as a beamline's calendar feed), a cycle's statistics and the
//! notifications to teams.
//!
//! Who may do what is decided here, once, for every front end:
//! - cycles, published schedules and statistics are public, like a facility's published beam
//!   schedule;
//! - any signed-in user drafts proposals, as their principal investigator, and only the
//!   principal submits or withdraws one;
//! - a proposal is read by its team, the facility's user office and the reviewers assigned to
//!   it; to everyone else it does not exist (`NotFound`), so that ids reveal nothing;
//! - the facility's user office (and platform admins) opens cycles, reads a cycle's
//!   proposals, checks and decisions, records checks, assigns reviewers, runs the allocation
//!   and re-plans after a lost beam day; the reviewers' profiles are kept by the user office of
//!   any facility, because the college of reviewers is shared;
//! - reviewers (and platform admins) read their queue and grade what is assigned to them.
//!
//! Shifts are planned in the region's time zone (the stored region's, not a constant).

pub mod allocation;
mod cache;
mod office;
mod proposals;
mod review;
mod schedule;
pub mod statistics;

use corridor_domain::facility::proposal::{ClosedDay, Cycle, CycleId};
use corridor_domain::{bounded_text, Beamline, InstitutionId, Role, User};
use corridor_store::Store;
use jiff::tz::TimeZone;
use jiff::Timestamp;

use crate::actor::Actor;
use crate::error::{AppError, AppResult};

pub use allocation::{
    assign_cycle_reviewers, beamlines_of, reason_code, replan_cycle_after_lost_day,
    run_cycle_allocation, AllocationSummary, ReplanSummary, ReviewAssignmentSummary,
    REVIEWS_PER_PROPOSAL,
};
pub use cache::CYCLE_FIGURES_MAX_AGE;
pub use office::{OfficeConsole, OfficeCycle};
pub use proposals::{
    ProposalActions, ProposalForm, ProposalView, RequestedShifts, LONGEST_TECHNIQUE_CHARS,
    LONGEST_TITLE_CHARS, MOST_BEAMLINE_REQUESTS, MOST_TECHNIQUES, MOST_UNAVAILABLE_DAYS,
};
pub use review::{AssignedReview, RecordedCheck, LONGEST_CHECK_NOTE_CHARS};
pub use schedule::{
    BeamlineDecision, BeamlineFeed, CycleFigures, FeedBlock, PublishedBlock, PublishedSchedule,
    DEFAULT_NOTIFICATIONS, MOST_NOTIFICATIONS,
};
pub use statistics::{
    cycle_statistics, BeamlineStatistics, CycleStatistics, KindStatistics, OriginStatistics,
};

/// The longest name a cycle may have.
pub const LONGEST_CYCLE_NAME_CHARS: usize = 200;
/// A cycle lists at most this many closed days (a year of them).
pub const MOST_CLOSED_DAYS: usize = 366;

/// The beamtime service (see the module's documentation).
pub struct Beamtime<'a> {
    pub(crate) store: &'a dyn Store,
    pub(crate) region_time_zone: &'a TimeZone,
    pub(crate) statistics_cache: &'a StatisticsCache,
}

/// The node's kept statistics of each cycle (see `cache.rs`).
pub(crate) type StatisticsCache = cache::CycleCache<CycleStatistics>;

/// A cycle as its user office opens it: the call and the beam period with its closed days.
#[derive(Debug, Clone)]
pub struct NewCycle {
    pub facility: InstitutionId,
    /// At most [`LONGEST_CYCLE_NAME_CHARS`].
    pub name: String,
    pub call_opens: Timestamp,
    pub call_closes: Timestamp,
    pub starts_on: jiff::civil::Date,
    pub ends_on: jiff::civil::Date,
    /// At most [`MOST_CLOSED_DAYS`], each within the cycle and listed once.
    pub closed_days: Vec<ClosedDay>,
}

/// What the actor's roles open in the programme, for a front end's links: every signed-in
/// user proposes; reviewers have a queue; user offices have a console.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BeamtimeAccess {
    pub signed_in: bool,
    pub reviews_proposals: bool,
    pub runs_a_user_office: bool,
}

/// The programme's front page: its cycles, newest first, and the beamlines they allocate.
#[derive(Debug, Clone)]
pub struct BeamtimeOverview {
    pub cycles: Vec<Cycle>,
    /// Every facility's beamlines, by id.
    pub beamlines: Vec<Beamline>,
    pub access: BeamtimeAccess,
}

/// One cycle as the public reads it: its figures and its published schedule.
#[derive(Debug, Clone)]
pub struct CycleOverview {
    pub statistics: CycleStatistics,
    /// The schedule, with the cycle it belongs to.
    pub schedule: PublishedSchedule,
    pub access: BeamtimeAccess,
}

/// `Forbidden` unless `user` runs the user office of `facility` (platform admins run all).
pub fn require_user_office(user: &User, facility: InstitutionId) -> AppResult<()> {
    if user.runs_user_office_of(facility) {
        Ok(())
    } else {
        Err(AppError::Forbidden(
            "only the facility's user office may do this".into(),
        ))
    }
}

/// Whether `user` runs the user office of some facility (or is a platform admin).
pub fn runs_a_user_office(user: &User) -> bool {
    user.has_role(Role::FacilityUserOffice) || user.has_role(Role::PlatformAdmin)
}

/// Whether `user` reviews proposals (or is a platform admin).
pub fn reviews_proposals(user: &User) -> bool {
    user.has_role(Role::Reviewer) || user.has_role(Role::PlatformAdmin)
}

/// `Forbidden` unless `user` runs the user office of some facility.
fn require_a_user_office(user: &User) -> AppResult<()> {
    if runs_a_user_office(user) {
        Ok(())
    } else {
        Err(AppError::Forbidden(
            "only a facility's user office and platform admins may do this".into(),
        ))
    }
}

/// `Forbidden` unless `user` reviews proposals.
fn require_reviewer(user: &User) -> AppResult<()> {
    if reviews_proposals(user) {
        Ok(())
    } else {
        Err(AppError::Forbidden(
            "only proposal reviewers and platform admins may do this".into(),
        ))
    }
}

/// What the actor's roles open in the programme.
pub fn beamtime_access(actor: &Actor) -> BeamtimeAccess {
    match actor.user.as_ref() {
        None => BeamtimeAccess::default(),
        Some(user) => BeamtimeAccess {
            signed_in: true,
            reviews_proposals: reviews_proposals(user),
            runs_a_user_office: runs_a_user_office(user),
        },
    }
}

fn cycle_not_found(id: CycleId) -> AppError {
    AppError::NotFound(format!("no proposal cycle {}", id.0))
}

impl Beamtime<'_> {
    /// The IANA name of the region's time zone, in which shifts are planned.
    fn time_zone_name(&self) -> &str {
        self.region_time_zone.iana_name().unwrap_or("UTC")
    }

    async fn stored_cycle(&self, id: CycleId) -> AppResult<Cycle> {
        self.store
            .cycle(id)
            .await?
            .ok_or_else(|| cycle_not_found(id))
    }

    /// The cycle and its statistics, kept on the node between requests (see `cache.rs`).
    async fn cycle_with_statistics(&self, id: CycleId) -> AppResult<(Cycle, CycleStatistics)> {
        // Noted before the cycle is read: its closed days are part of the figures.
        let seen = self.statistics_cache.generation();
        let cycle = self.stored_cycle(id).await?;
        let statistics = self.statistics_of(&cycle, seen).await?;
        Ok((cycle, statistics))
    }

    /// The statistics of `cycle`, read after `seen` was noted: the kept ones while fresh,
    /// else computed and kept.
    async fn statistics_of(
        &self,
        cycle: &Cycle,
        seen: cache::Generation,
    ) -> AppResult<CycleStatistics> {
        if let Some(kept) = self.statistics_cache.fresh(cycle.id) {
            return Ok(kept.as_ref().clone());
        }
        let statistics = cycle_statistics(self.store, cycle).await?;
        self.statistics_cache
            .keep(cycle.id, seen, std::sync::Arc::new(statistics.clone()));
        Ok(statistics)
    }

    /// Forgets the cycle's kept statistics after an operation wrote to the cycle. Called once
    /// the write's transaction has ended, whether it succeeded or not (a commit whose answer
    /// was lost still changed the cycle). Every write to a cycle calls it, also those (checks,
    /// reviews, grades) whose records the statistics do not read today, so that a figure
    /// added later cannot be forgotten here.
    fn cycle_changed(&self, cycle: CycleId) {
        self.statistics_cache.forget(cycle);
    }

    /// The cycle, once the actor is known to run its facility's user office.
    async fn user_office_cycle(&self, actor: &Actor, id: CycleId) -> AppResult<Cycle> {
        let user = actor.require_user()?;
        let cycle = self.stored_cycle(id).await?;
        require_user_office(user, cycle.facility)?;
        Ok(cycle)
    }

    /// Proposal cycles, newest first, of one facility or of all. Public.
    pub async fn cycles(&self, facility: Option<InstitutionId>) -> AppResult<Vec<Cycle>> {
        Ok(self.store.cycles(facility).await?)
    }

    /// One cycle. Public.
    pub async fn cycle(&self, id: CycleId) -> AppResult<Cycle> {
        self.stored_cycle(id).await
    }

    /// Opens a cycle: its call and its beam period with the closed days. The facility's user
    /// office only.
    #[tracing::instrument(skip_all, fields(facility = new.facility.0))]
    pub async fn create_cycle(&self, actor: &Actor, new: NewCycle) -> AppResult<Cycle> {
        let user = actor.require_user()?;
        require_user_office(user, new.facility)?;
        if new.closed_days.len() > MOST_CLOSED_DAYS {
            return Err(AppError::invalid(
                "closed_days",
                format!("at most {MOST_CLOSED_DAYS} days"),
            ));
        }
        let cycle = Cycle {
            id: CycleId(0),
            facility: new.facility,
            name: bounded_text("name", &new.name, LONGEST_CYCLE_NAME_CHARS)?,
            call_opens: new.call_opens,
            call_closes: new.call_closes,
            starts_on: new.starts_on,
            ends_on: new.ends_on,
            closed_days: new.closed_days,
        };
        cycle.check()?;
        Ok(self
            .store
            .create_cycle(&cycle, &actor.audit_context())
            .await?)
    }

    /// The programme's front page: the cycles, the beamlines and what the actor may open.
    pub async fn programme(&self, actor: &Actor) -> AppResult<BeamtimeOverview> {
        let cycles = self.store.cycles(None).await?;
        let mut beamlines = self.store.beamlines(None).await?;
        beamlines.sort_by_key(|beamline| beamline.id);
        Ok(BeamtimeOverview {
            cycles,
            beamlines,
            access: beamtime_access(actor),
        })
    }

    /// A cycle's public page: its figures and its published schedule.
    pub async fn cycle_overview(&self, actor: &Actor, id: CycleId) -> AppResult<CycleOverview> {
        let (cycle, statistics) = self.cycle_with_statistics(id).await?;
        let schedule = self.schedule_of(cycle).await?;
        Ok(CycleOverview {
            statistics,
            schedule,
            access: beamtime_access(actor),
        })
    }
}
