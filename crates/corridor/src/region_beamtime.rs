//! Writes the demo's light-source programme into a store through the same operations the
//! user office and the teams use: reviewer profiles, the two cycles, the proposals submitted
//! within their calls; for the finished cycle also the checks, the reviewer assignment, the
//! reviewers' grades and the allocation with its schedule.

use std::collections::HashMap;

use anyhow::{Context, Result};
use corridor_demo::beamtime::{demo_grade, DemoBeamtime};
use corridor_domain::facility::ProposalId;
use corridor_store::beamtime::{CheckKind, CheckRecord};
use corridor_store::{AuditContext, Store};

pub struct BeamtimeReport {
    pub proposals: usize,
    pub reviews: usize,
    pub granted_shifts: u64,
    pub oversubscription: f64,
}

pub async fn load_beamtime(
    store: &dyn Store,
    programme: DemoBeamtime,
    seed: u64,
) -> Result<BeamtimeReport> {
    let context = AuditContext::default();
    for reviewer in &programme.reviewers {
        store
            .set_reviewer_profile(
                reviewer.user,
                reviewer.discipline,
                &reviewer.expertise,
                reviewer.max_load,
                &context,
            )
            .await
            .context("setting the demo reviewers' profiles")?;
    }
    let mut finished_ids: Vec<ProposalId> = Vec::new();
    let mut report = BeamtimeReport {
        proposals: 0,
        reviews: 0,
        granted_shifts: 0,
        oversubscription: 0.0,
    };
    for demo_cycle in programme.cycles {
        let cycle = store
            .create_cycle(&demo_cycle.cycle, &context)
            .await
            .context("creating a demo cycle")?;
        let mut ids = Vec::with_capacity(demo_cycle.proposals.len());
        let mut quality: HashMap<ProposalId, f64> = HashMap::new();
        for proposal in &demo_cycle.proposals {
            let mut draft = proposal.draft.clone();
            draft.resubmission_of = proposal
                .resubmission_of_index
                .and_then(|index| finished_ids.get(index).copied());
            let record = store
                .create_submitted_proposal(
                    cycle.id,
                    proposal.principal,
                    &draft,
                    proposal.submitted_at,
                    &context,
                )
                .await
                .context("submitting a demo proposal")?
                .map_err(|refusal| anyhow::anyhow!("a demo proposal was refused: {refusal}"))?;
            quality.insert(record.id, proposal.quality);
            ids.push(record.id);
        }
        report.proposals += ids.len();
        if demo_cycle.finished {
            // One proposal in fifty fails its safety check, as samples sometimes do.
            for id in ids.iter().step_by(50) {
                let check = CheckRecord {
                    proposal: *id,
                    kind: CheckKind::Safety,
                    approved: false,
                    note: "The sample environment asked for is not approved for this beamline."
                        .into(),
                    checked_by: corridor_domain::UserId(1),
                    checked_at: cycle.call_closes,
                };
                store
                    .record_check(&check, &context)
                    .await
                    .context("recording a demo check")?;
            }
            corridor_app::beamtime::assign_cycle_reviewers(store, &cycle, &context)
                .await
                .map_err(|error| anyhow::anyhow!("assigning the demo reviewers: {error}"))?;
            let reviews = store.reviews_of_cycle(cycle.id).await?;
            for review in &reviews {
                let grade = demo_grade(
                    quality[&review.proposal],
                    review.proposal.0,
                    review.reviewer.0,
                    seed,
                );
                store
                    .grade_review(
                        review.proposal,
                        review.reviewer,
                        grade,
                        "",
                        cycle.call_closes,
                        &context,
                    )
                    .await
                    .context("grading a demo review")?;
            }
            report.reviews += reviews.len();
            let summary = corridor_app::beamtime::run_cycle_allocation(store, &cycle, &context)
                .await
                .map_err(|error| anyhow::anyhow!("allocating the demo cycle: {error}"))?;
            report.granted_shifts = summary.granted_shifts;
            finished_ids = ids;
        } else {
            let statistics = corridor_app::beamtime::cycle_statistics(store, &cycle)
                .await
                .map_err(|error| anyhow::anyhow!("the open cycle's statistics: {error}"))?;
            report.oversubscription = statistics.oversubscription;
        }
    }
    Ok(report)
}
