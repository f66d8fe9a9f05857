//! The facility programme's summaries as the API answers them: the application layer's
//! values, field for field, with their OpenAPI schemas (the application layer knows nothing
//! of OpenAPI).

use serde::Serialize;
use utoipa::ToSchema;

use corridor_app::beamtime as app;

#[derive(Debug, Clone, Serialize, ToSchema)]
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

impl From<app::ReviewAssignmentSummary> for ReviewAssignmentSummary {
    fn from(value: app::ReviewAssignmentSummary) -> ReviewAssignmentSummary {
        ReviewAssignmentSummary {
            proposals: value.proposals,
            reviews: value.reviews,
            reviews_per_proposal: value.reviews_per_proposal,
            panels: value.panels,
            widened_panels: value.widened_panels,
            total_affinity: value.total_affinity,
            left_out_by_checks: value.left_out_by_checks,
            solve_ms: value.solve_ms,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
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

impl From<app::AllocationSummary> for AllocationSummary {
    fn from(value: app::AllocationSummary) -> AllocationSummary {
        AllocationSummary {
            proposals: value.proposals,
            proposals_granted: value.proposals_granted,
            requested_shifts: value.requested_shifts,
            granted_shifts: value.granted_shifts,
            placed_shifts: value.placed_shifts,
            unplaced_shifts: value.unplaced_shifts,
            gap: value.gap,
            violations: value.violations,
            notifications: value.notifications,
            solve_ms: value.solve_ms,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
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

impl From<app::ReplanSummary> for ReplanSummary {
    fn from(value: app::ReplanSummary) -> ReplanSummary {
        ReplanSummary {
            day: value.day,
            moved_shifts: value.moved_shifts,
            moved_share: value.moved_share,
            unplaced_shifts: value.unplaced_shifts,
            teams_told: value.teams_told,
            solve_ms: value.solve_ms,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
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

impl From<app::BeamlineStatistics> for BeamlineStatistics {
    fn from(value: app::BeamlineStatistics) -> BeamlineStatistics {
        BeamlineStatistics {
            beamline_id: value.beamline_id,
            code: value.code,
            user_shifts: value.user_shifts,
            requested_shifts: value.requested_shifts,
            granted_shifts: value.granted_shifts,
            oversubscription: value.oversubscription,
            proposals: value.proposals,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
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

impl From<app::OriginStatistics> for OriginStatistics {
    fn from(value: app::OriginStatistics) -> OriginStatistics {
        OriginStatistics {
            origin: value.origin,
            in_region: value.in_region,
            users: value.users,
            users_granted: value.users_granted,
            hours_granted: value.hours_granted,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct KindStatistics {
    pub institution_kind: String,
    pub users: usize,
    pub users_granted: usize,
    /// Hours granted to proposals whose principal investigator works at this kind.
    pub hours_granted: u64,
}

impl From<app::KindStatistics> for KindStatistics {
    fn from(value: app::KindStatistics) -> KindStatistics {
        KindStatistics {
            institution_kind: value.institution_kind,
            users: value.users,
            users_granted: value.users_granted,
            hours_granted: value.hours_granted,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
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

impl From<app::CycleStatistics> for CycleStatistics {
    fn from(value: app::CycleStatistics) -> CycleStatistics {
        CycleStatistics {
            cycle_id: value.cycle_id,
            proposals_submitted: value.proposals_submitted,
            proposals_granted: value.proposals_granted,
            allocated: value.allocated,
            requested_shifts: value.requested_shifts,
            granted_shifts: value.granted_shifts,
            user_shifts: value.user_shifts,
            oversubscription: value.oversubscription,
            beamlines: value.beamlines.into_iter().map(Into::into).collect(),
            origins: value.origins.into_iter().map(Into::into).collect(),
            institution_kinds: value
                .institution_kinds
                .into_iter()
                .map(Into::into)
                .collect(),
            share_from_region: value.share_from_region,
            share_from_region_granted: value.share_from_region_granted,
            share_of_hours_from_region: value.share_of_hours_from_region,
        }
    }
}
