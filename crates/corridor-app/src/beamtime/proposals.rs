//! Proposals: drafting one (with its input limits), submitting and withdrawing it (its
//! principal investigator only), reading it (its team, the user office, its reviewers; to
//! anyone else it does not exist), and the lists a team and a user office read, each
//! proposal with what the actor may do with it.

use std::collections::hash_map::Entry;
use std::collections::HashMap;

use corridor_domain::facility::proposal::{
    Cycle, CycleId, ProposalDraft, ProposalStatus, SubmissionRefusal,
};
use corridor_domain::facility::ProposalId;
use corridor_domain::{bounded_text, Beamline, BeamlineId, EmailAddress, User, UserId};
use corridor_store::beamtime::{ProposalRecord, StoredDecision};
use jiff::Timestamp;

use super::schedule::BeamlineDecision;
use super::{beamlines_of, reviews_proposals, Beamtime};
use crate::actor::Actor;
use crate::error::{AppError, AppResult, Refusal};

/// The longest title a proposal may have.
pub const LONGEST_TITLE_CHARS: usize = 300;
/// A proposal names at most this many techniques…
pub const MOST_TECHNIQUES: usize = 20;
/// …of at most this many characters each.
pub const LONGEST_TECHNIQUE_CHARS: usize = 60;
/// A proposal asks for shifts on at most this many beamlines.
pub const MOST_BEAMLINE_REQUESTS: usize = 10;
/// A team lists at most this many days it cannot come.
pub const MOST_UNAVAILABLE_DAYS: usize = 366;

/// What the actor may do with a proposal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ProposalActions {
    /// The actor leads the proposal (else they read it as a team member, reviewer or office).
    pub is_principal: bool,
    /// A draft whose call is open: its principal may submit it now.
    pub may_submit: bool,
    /// Not withdrawn yet: its principal may withdraw it.
    pub may_withdraw: bool,
}

/// Shifts a proposal asks for on one beamline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestedShifts {
    pub beamline: BeamlineId,
    /// The beamline's code, when it is one of the facility's.
    pub beamline_code: Option<String>,
    pub shifts: u32,
}

/// A proposal as the actor may read it: the allocation's decisions on it once the cycle is
/// allocated, and what the actor may do with it.
#[derive(Debug, Clone)]
pub struct ProposalView {
    pub record: ProposalRecord,
    pub cycle: Cycle,
    pub requested: Vec<RequestedShifts>,
    pub decisions: Vec<BeamlineDecision>,
    pub actions: ProposalActions,
}

/// What a proposal form offers: the cycle and its facility's beamlines.
#[derive(Debug, Clone)]
pub struct ProposalForm {
    pub cycle: Cycle,
    /// By id.
    pub beamlines: Vec<Beamline>,
}

/// What the actor may do with `record` of `cycle` at `now`.
fn proposal_actions(
    user: &User,
    record: &ProposalRecord,
    cycle: &Cycle,
    now: Timestamp,
) -> ProposalActions {
    let is_principal = record.principal == user.id;
    ProposalActions {
        is_principal,
        may_submit: is_principal
            && record.status == ProposalStatus::Draft
            && cycle.call_is_open(now),
        may_withdraw: is_principal && record.status != ProposalStatus::Withdrawn,
    }
}

/// The draft within the input limits, its texts trimmed and its techniques lower-cased.
fn checked_draft(draft: ProposalDraft) -> AppResult<ProposalDraft> {
    if draft.techniques.len() > MOST_TECHNIQUES
        || draft
            .techniques
            .iter()
            .any(|term| term.trim().is_empty() || term.chars().count() > LONGEST_TECHNIQUE_CHARS)
    {
        return Err(AppError::invalid(
            "techniques",
            format!(
                "at most {MOST_TECHNIQUES} techniques of 1 to {LONGEST_TECHNIQUE_CHARS} characters"
            ),
        ));
    }
    if draft.requests.len() > MOST_BEAMLINE_REQUESTS {
        return Err(AppError::invalid(
            "requests",
            format!("at most {MOST_BEAMLINE_REQUESTS} beamlines"),
        ));
    }
    if draft.unavailable_days.len() > MOST_UNAVAILABLE_DAYS {
        return Err(AppError::invalid(
            "unavailable_days",
            format!("at most {MOST_UNAVAILABLE_DAYS} days"),
        ));
    }
    Ok(ProposalDraft {
        title: bounded_text("title", &draft.title, LONGEST_TITLE_CHARS)?,
        summary: draft.summary.trim().to_owned(),
        techniques: draft
            .techniques
            .iter()
            .map(|term| term.trim().to_lowercase())
            .collect(),
        samples: draft.samples.trim().to_owned(),
        ..draft
    })
}

fn proposal_not_found(id: ProposalId) -> AppError {
    AppError::NotFound(format!("no proposal {}", id.0))
}

/// A cycle with what its proposals' views need: its beamlines' codes and its decisions.
struct CycleDecisions {
    cycle: Cycle,
    codes: HashMap<BeamlineId, String>,
    decisions: HashMap<ProposalId, Vec<StoredDecision>>,
}

impl CycleDecisions {
    fn view(&self, user: &User, record: ProposalRecord, now: Timestamp) -> ProposalView {
        let code = |beamline: &BeamlineId| self.codes.get(beamline).cloned();
        ProposalView {
            requested: record
                .draft
                .requests
                .iter()
                .map(|(beamline, shifts)| RequestedShifts {
                    beamline: *beamline,
                    beamline_code: code(beamline),
                    shifts: *shifts,
                })
                .collect(),
            decisions: self
                .decisions
                .get(&record.id)
                .into_iter()
                .flatten()
                .map(|decision| BeamlineDecision {
                    beamline_code: code(&decision.beamline),
                    decision: decision.clone(),
                })
                .collect(),
            actions: proposal_actions(user, &record, &self.cycle, now),
            cycle: self.cycle.clone(),
            record,
        }
    }
}

impl Beamtime<'_> {
    async fn cycle_decisions_of(&self, cycle: Cycle) -> AppResult<CycleDecisions> {
        let codes = self
            .store
            .beamlines(Some(cycle.facility))
            .await?
            .into_iter()
            .map(|beamline| (beamline.id, beamline.code))
            .collect();
        let mut decisions: HashMap<ProposalId, Vec<StoredDecision>> = HashMap::new();
        for decision in self.store.decisions_of_cycle(cycle.id).await? {
            decisions
                .entry(decision.proposal)
                .or_default()
                .push(decision);
        }
        Ok(CycleDecisions {
            cycle,
            codes,
            decisions,
        })
    }

    /// Whether `user` may read the proposal: its team, the facility's user office, and the
    /// reviewers assigned to it.
    async fn may_read_proposal(
        &self,
        user: &User,
        record: &ProposalRecord,
        cycle: &Cycle,
    ) -> AppResult<bool> {
        if record.principal == user.id
            || record.draft.team.contains(&user.id)
            || user.runs_user_office_of(cycle.facility)
        {
            return Ok(true);
        }
        if reviews_proposals(user) {
            let reviews = self.store.reviews_of_reviewer(user.id).await?;
            return Ok(reviews.iter().any(|review| review.proposal == record.id));
        }
        Ok(false)
    }

    /// The proposal, if `user` leads it; others' are not found (as the store answers).
    async fn led_proposal(&self, user: &User, id: ProposalId) -> AppResult<ProposalRecord> {
        match self.store.proposal(id).await? {
            Some(record) if record.principal == user.id => Ok(record),
            _ => Err(AppError::NotFound(format!("proposal {}", id.0))),
        }
    }

    /// What a proposal form for the cycle offers. Signed-in users only.
    pub async fn proposal_form(&self, actor: &Actor, cycle: CycleId) -> AppResult<ProposalForm> {
        actor.require_user()?;
        let cycle = self.stored_cycle(cycle).await?;
        let beamlines = beamlines_of(self.store, &cycle).await?;
        Ok(ProposalForm { cycle, beamlines })
    }

    /// The user with this e-mail address, to put on a proposal's team. Signed-in users only.
    pub async fn team_member(
        &self,
        actor: &Actor,
        email: &EmailAddress,
    ) -> AppResult<Option<UserId>> {
        actor.require_user()?;
        Ok(self
            .store
            .sign_in_candidate(email)
            .await?
            .map(|candidate| candidate.user.id))
    }

    /// Drafts a proposal to the cycle with the actor as its principal investigator; with
    /// `submit`, drafts and submits it in one transaction, so that a refused (or interrupted)
    /// submission leaves no stray draft. Signed-in users only.
    #[tracing::instrument(skip_all, fields(cycle = cycle.0, submit))]
    pub async fn draft_proposal(
        &self,
        actor: &Actor,
        cycle: CycleId,
        draft: ProposalDraft,
        submit: bool,
    ) -> AppResult<ProposalRecord> {
        let user = actor.require_user()?;
        let cycle = self.stored_cycle(cycle).await?;
        let draft = checked_draft(draft)?;
        let now = corridor_store::now();
        // Drafts may be prepared before the call opens, not after it closed: nothing could
        // become of them.
        if cycle.call_closes <= now {
            return Err(Refusal::Submission(SubmissionRefusal::CallNotOpen {
                opens: cycle.call_opens.to_string(),
                closes: cycle.call_closes.to_string(),
            })
            .into());
        }
        let context = actor.audit_context();
        if submit {
            let created = self
                .store
                .create_submitted_proposal(cycle.id, user.id, &draft, now, &context)
                .await;
            self.cycle_changed(cycle.id);
            created?.map_err(|refusal| Refusal::Submission(refusal).into())
        } else {
            let created = self
                .store
                .create_proposal(cycle.id, user.id, &draft, now, &context)
                .await;
            self.cycle_changed(cycle.id);
            Ok(created?)
        }
    }

    /// Submits a draft while its call is open. Its principal investigator only.
    #[tracing::instrument(skip_all, fields(proposal = id.0))]
    pub async fn submit_proposal(
        &self,
        actor: &Actor,
        id: ProposalId,
    ) -> AppResult<ProposalRecord> {
        let user = actor.require_user()?;
        let record = self.led_proposal(user, id).await?;
        let submitted = self
            .store
            .submit_proposal(id, user.id, corridor_store::now(), &actor.audit_context())
            .await;
        self.cycle_changed(record.cycle);
        submitted?.map_err(|refusal| Refusal::Submission(refusal).into())
    }

    /// Withdraws a draft or a submitted proposal, once. Its principal investigator only.
    #[tracing::instrument(skip_all, fields(proposal = id.0))]
    pub async fn withdraw_proposal(
        &self,
        actor: &Actor,
        id: ProposalId,
    ) -> AppResult<ProposalRecord> {
        let user = actor.require_user()?;
        let record = self.led_proposal(user, id).await?;
        let withdrawn = self
            .store
            .withdraw_proposal(id, user.id, corridor_store::now(), &actor.audit_context())
            .await;
        self.cycle_changed(record.cycle);
        Ok(withdrawn?)
    }

    /// A proposal with the allocation's decisions on it, for its team, the facility's user
    /// office and its reviewers; to anyone else it does not exist.
    pub async fn proposal(&self, actor: &Actor, id: ProposalId) -> AppResult<ProposalView> {
        let user = actor.require_user()?;
        let record = self
            .store
            .proposal(id)
            .await?
            .ok_or_else(|| proposal_not_found(id))?;
        let cycle = self.stored_cycle(record.cycle).await?;
        if !self.may_read_proposal(user, &record, &cycle).await? {
            return Err(proposal_not_found(id));
        }
        let context = self.cycle_decisions_of(cycle).await?;
        Ok(context.view(user, record, corridor_store::now()))
    }

    /// The proposals the actor leads or is on, newest first, each with its decisions and
    /// what the actor may do with it.
    pub async fn my_proposals(&self, actor: &Actor) -> AppResult<Vec<ProposalView>> {
        let user = actor.require_user()?;
        let now = corridor_store::now();
        let records = self.store.proposals_of_user(user.id).await?;
        let mut cycles: HashMap<CycleId, CycleDecisions> = HashMap::new();
        let mut views = Vec::with_capacity(records.len());
        for record in records {
            if let Entry::Vacant(entry) = cycles.entry(record.cycle) {
                let cycle = self.stored_cycle(record.cycle).await?;
                entry.insert(self.cycle_decisions_of(cycle).await?);
            }
            let context = &cycles[&record.cycle];
            views.push(context.view(user, record, now));
        }
        Ok(views)
    }

    /// A cycle's proposals (of one status, if asked), each with its decisions. The
    /// facility's user office only.
    pub async fn cycle_proposals(
        &self,
        actor: &Actor,
        cycle: CycleId,
        status: Option<ProposalStatus>,
    ) -> AppResult<Vec<ProposalView>> {
        let user = actor.require_user()?;
        let cycle = self.user_office_cycle(actor, cycle).await?;
        let records = self.store.proposals_of_cycle(cycle.id, status).await?;
        let context = self.cycle_decisions_of(cycle).await?;
        let now = corridor_store::now();
        Ok(records
            .into_iter()
            .map(|record| context.view(user, record, now))
            .collect())
    }
}
