//! Proposal cycles and proposals: a draft for the light source's beamlines, submitted while
//! the call is open, refused when it is not or when it is incomplete, withdrawn by its
//! principal only, with an audit event for every change.

use corridor_domain::facility::allocation::ProposalType;
use corridor_domain::facility::proposal::{Cycle, CycleId, ProposalDraft, ProposalStatus, SubmissionRefusal};
use corridor_domain::{BeamlineId, InstitutionId, UserId};
use corridor_store::{PageRequest, Store, StoreError};
use jiff::{SignedDuration, Timestamp};

use crate::booking_contract::actor;
use crate::support::tiny_region;

pub async fn proposals_are_drafted_submitted_and_withdrawn_by_their_principal(store: &dyn Store) {
    let region = tiny_region(17);
    store.import_region(&region).await.unwrap();
    let beamlines = store.beamlines(None).await.unwrap();
    assert!(beamlines.len() >= 2, "the region has a light source");
    let facility = beamlines[0].facility;
    let now = Timestamp::now();
    let day = SignedDuration::from_hours(24);
    let cycle = store
        .create_cycle(
            &Cycle {
                id: CycleId(0),
                facility,
                name: "2027-I".into(),
                call_opens: now - day * 10,
                call_closes: now + day * 20,
                starts_on: jiff::civil::date(2027, 3, 1),
                ends_on: jiff::civil::date(2027, 7, 31),
            },
            &actor(UserId(1)),
        )
        .await
        .unwrap();
    assert_eq!(store.cycle(cycle.id).await.unwrap().unwrap(), cycle);
    // A cycle of an institution that runs no facility is refused.
    let refused = store
        .create_cycle(&Cycle { facility: InstitutionId(-1), name: "x".into(), ..cycle.clone() }, &actor(UserId(1)))
        .await;
    assert!(matches!(refused, Err(StoreError::InvalidReference { field: "facility", .. })), "{refused:?}");

    let (principal, other) = (region.users[0].user.id, region.users[1].user.id);
    let draft = ProposalDraft {
        proposal_type: ProposalType::General,
        title: "Operando XAS of single-atom catalysts".into(),
        summary: "We follow the oxidation state of Pt single atoms under reaction.".into(),
        techniques: vec!["xas".into()],
        requests: vec![(beamlines[0].id, 12), (beamlines[1].id, 6)],
        unavailable_days: vec![jiff::civil::date(2027, 4, 5)],
    };
    let proposal = store.create_proposal(cycle.id, principal, &draft, now, &actor(principal)).await.unwrap();
    assert_eq!(proposal.status, ProposalStatus::Draft);
    assert_eq!(proposal.draft.requests.len(), 2);
    assert_eq!(store.proposal(proposal.id).await.unwrap().unwrap(), proposal);
    // A beamline of no facility, or too many shifts, is refused at drafting.
    let foreign = store
        .create_proposal(cycle.id, principal, &ProposalDraft { requests: vec![(BeamlineId(-5), 3)], ..draft.clone() }, now, &actor(principal))
        .await;
    assert!(matches!(foreign, Err(StoreError::InvalidReference { field: "requests", .. })), "{foreign:?}");

    // Someone else cannot submit it (it does not exist for them).
    assert!(matches!(store.submit_proposal(proposal.id, other, now, &actor(other)).await, Err(StoreError::NotFound(_))));
    // After the call closes, no submission.
    let late = store.submit_proposal(proposal.id, principal, now + day * 30, &actor(principal)).await.unwrap();
    assert!(matches!(late, Err(SubmissionRefusal::CallNotOpen { .. })), "{late:?}");
    // An incomplete draft is refused with the field.
    let thin = store
        .create_proposal(cycle.id, principal, &ProposalDraft { summary: "too short".into(), ..draft.clone() }, now, &actor(principal))
        .await
        .unwrap();
    let refusal = store.submit_proposal(thin.id, principal, now, &actor(principal)).await.unwrap();
    assert!(matches!(refusal, Err(SubmissionRefusal::Incomplete { field: "summary", .. })), "{refusal:?}");

    let submitted = store.submit_proposal(proposal.id, principal, now, &actor(principal)).await.unwrap().unwrap();
    assert_eq!(submitted.status, ProposalStatus::Submitted);
    assert!(submitted.submitted_at.is_some());
    let again = store.submit_proposal(proposal.id, principal, now, &actor(principal)).await.unwrap();
    assert_eq!(again, Err(SubmissionRefusal::NotADraft("submitted")));
    let listed = store.proposals_of_cycle(cycle.id, Some(ProposalStatus::Submitted)).await.unwrap();
    assert_eq!(listed.iter().map(|record| record.id).collect::<Vec<_>>(), vec![proposal.id]);
    assert_eq!(store.proposals_of_cycle(cycle.id, None).await.unwrap().len(), 2);

    let withdrawn = store.withdraw_proposal(proposal.id, principal, now, &actor(principal)).await.unwrap();
    assert_eq!(withdrawn.status, ProposalStatus::Withdrawn);
    assert!(matches!(store.withdraw_proposal(proposal.id, principal, now, &actor(principal)).await, Err(StoreError::Conflict(_))));
    let actions: Vec<String> = store
        .audit_events(PageRequest { limit: corridor_domain::PageLimit::new(50).unwrap(), after: None })
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|event| event.action)
        .filter(|action| action.starts_with("facility."))
        .collect();
    for action in ["facility.cycle_created", "facility.proposal_drafted", "facility.proposal_submitted", "facility.proposal_withdrawn"] {
        assert!(actions.iter().any(|logged| logged == action), "{action} not in {actions:?}");
    }
}
