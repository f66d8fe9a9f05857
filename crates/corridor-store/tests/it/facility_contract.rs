//! Proposal cycles and proposals: a draft for the light source's beamlines, submitted while
//! the call is open, refused when it is not or when it is incomplete, withdrawn by its
//! principal only, with an audit event for every change.

use corridor_domain::facility::allocation::ProposalType;
use corridor_domain::facility::proposal::{
    ClosedDay, ClosedReason, Cycle, CycleId, Discipline, ProposalDraft, ProposalStatus,
    SubmissionRefusal,
};
use corridor_domain::facility::ProposalId;
use corridor_domain::Role;
use corridor_domain::{BeamlineId, InstitutionId, UserId};
use corridor_store::beamtime::{
    CheckKind, CheckRecord, NewNotification, StoredBlock, StoredDecision,
};
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
                closed_days: vec![
                    ClosedDay {
                        day: jiff::civil::date(2027, 3, 1),
                        reason: ClosedReason::MachineDevelopment,
                    },
                    ClosedDay {
                        day: jiff::civil::date(2027, 3, 9),
                        reason: ClosedReason::Maintenance,
                    },
                ],
            },
            &actor(UserId(1)),
        )
        .await
        .unwrap();
    assert_eq!(store.cycle(cycle.id).await.unwrap().unwrap(), cycle);
    // A cycle of an institution that runs no facility is refused.
    let refused = store
        .create_cycle(
            &Cycle {
                facility: InstitutionId(-1),
                name: "x".into(),
                ..cycle.clone()
            },
            &actor(UserId(1)),
        )
        .await;
    assert!(
        matches!(
            refused,
            Err(StoreError::InvalidReference {
                field: "facility",
                ..
            })
        ),
        "{refused:?}"
    );

    let (principal, other) = (region.users[0].user.id, region.users[1].user.id);
    let draft = ProposalDraft {
        proposal_type: ProposalType::General,
        discipline: Discipline::Chemistry,
        title: "Operando XAS of single-atom catalysts".into(),
        summary: "We follow the oxidation state of Pt single atoms under reaction.".into(),
        techniques: vec!["xas".into()],
        team: vec![region.users[2].user.id, region.users[3].user.id],
        samples: "Pt on ceria powder, 50 mg; no hazards beyond fine dust.".into(),
        resubmission_of: None,
        declared_conflicts: vec![region.users[4].user.id],
        requests: vec![(beamlines[0].id, 12), (beamlines[1].id, 6)],
        unavailable_days: vec![jiff::civil::date(2027, 4, 5)],
    };
    let proposal = store
        .create_proposal(cycle.id, principal, &draft, now, &actor(principal))
        .await
        .unwrap();
    assert_eq!(proposal.status, ProposalStatus::Draft);
    assert_eq!(proposal.draft.team, draft.team);
    assert_eq!(proposal.draft.declared_conflicts, draft.declared_conflicts);
    assert_eq!(proposal.draft.discipline, Discipline::Chemistry);
    // Team members see it among their proposals; strangers do not.
    let of_member = store
        .proposals_of_user(region.users[3].user.id)
        .await
        .unwrap();
    assert!(of_member.iter().any(|record| record.id == proposal.id));
    assert!(!store
        .proposals_of_user(other)
        .await
        .unwrap()
        .iter()
        .any(|record| record.id == proposal.id));
    assert!(store
        .cycles(Some(facility))
        .await
        .unwrap()
        .iter()
        .any(|listed| listed == &cycle));
    // Unknown people, and a resubmission of someone else's proposal, are refused.
    let ghost = store
        .create_proposal(
            cycle.id,
            principal,
            &ProposalDraft {
                team: vec![UserId(-3)],
                ..draft.clone()
            },
            now,
            &actor(principal),
        )
        .await;
    assert!(
        matches!(
            ghost,
            Err(StoreError::InvalidReference { field: "team", .. })
        ),
        "{ghost:?}"
    );
    let borrowed = store
        .create_proposal(
            cycle.id,
            other,
            &ProposalDraft {
                resubmission_of: Some(proposal.id),
                ..draft.clone()
            },
            now,
            &actor(other),
        )
        .await;
    assert!(
        matches!(
            borrowed,
            Err(StoreError::InvalidReference {
                field: "resubmission_of",
                ..
            })
        ),
        "{borrowed:?}"
    );
    assert_eq!(proposal.draft.requests.len(), 2);
    assert_eq!(
        store.proposal(proposal.id).await.unwrap().unwrap(),
        proposal
    );
    // A beamline of no facility, or too many shifts, is refused at drafting.
    let foreign = store
        .create_proposal(
            cycle.id,
            principal,
            &ProposalDraft {
                requests: vec![(BeamlineId(-5), 3)],
                ..draft.clone()
            },
            now,
            &actor(principal),
        )
        .await;
    assert!(
        matches!(
            foreign,
            Err(StoreError::InvalidReference {
                field: "requests",
                ..
            })
        ),
        "{foreign:?}"
    );

    // Someone else cannot submit it (it does not exist for them).
    assert!(matches!(
        store
            .submit_proposal(proposal.id, other, now, &actor(other))
            .await,
        Err(StoreError::NotFound(_))
    ));
    // After the call closes, no submission.
    let late = store
        .submit_proposal(proposal.id, principal, now + day * 30, &actor(principal))
        .await
        .unwrap();
    assert!(
        matches!(late, Err(SubmissionRefusal::CallNotOpen { .. })),
        "{late:?}"
    );
    // An incomplete draft is refused with the field.
    let thin = store
        .create_proposal(
            cycle.id,
            principal,
            &ProposalDraft {
                summary: "too short".into(),
                ..draft.clone()
            },
            now,
            &actor(principal),
        )
        .await
        .unwrap();
    let refusal = store
        .submit_proposal(thin.id, principal, now, &actor(principal))
        .await
        .unwrap();
    assert!(
        matches!(
            refusal,
            Err(SubmissionRefusal::Incomplete {
                field: "summary",
                ..
            })
        ),
        "{refusal:?}"
    );

    // Drafting and submitting at once is one transaction: refused whole, or stored submitted.
    let before = store
        .proposals_of_cycle(cycle.id, None)
        .await
        .unwrap()
        .len();
    let refused_whole = store
        .create_submitted_proposal(
            cycle.id,
            principal,
            &ProposalDraft {
                samples: String::new(),
                ..draft.clone()
            },
            now,
            &actor(principal),
        )
        .await
        .unwrap();
    assert!(
        matches!(
            refused_whole,
            Err(SubmissionRefusal::Incomplete {
                field: "samples",
                ..
            })
        ),
        "{refused_whole:?}"
    );
    assert_eq!(
        store
            .proposals_of_cycle(cycle.id, None)
            .await
            .unwrap()
            .len(),
        before,
        "nothing stored"
    );
    let at_once = store
        .create_submitted_proposal(cycle.id, principal, &draft, now, &actor(principal))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(at_once.status, ProposalStatus::Submitted);
    assert!(at_once.submitted_at.is_some());
    store
        .withdraw_proposal(at_once.id, principal, now, &actor(principal))
        .await
        .unwrap();

    let submitted = store
        .submit_proposal(proposal.id, principal, now, &actor(principal))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(submitted.status, ProposalStatus::Submitted);
    assert!(submitted.submitted_at.is_some());
    let again = store
        .submit_proposal(proposal.id, principal, now, &actor(principal))
        .await
        .unwrap();
    assert_eq!(again, Err(SubmissionRefusal::NotADraft("submitted")));
    let listed = store
        .proposals_of_cycle(cycle.id, Some(ProposalStatus::Submitted))
        .await
        .unwrap();
    assert_eq!(
        listed.iter().map(|record| record.id).collect::<Vec<_>>(),
        vec![proposal.id]
    );
    assert_eq!(
        store
            .proposals_of_cycle(cycle.id, None)
            .await
            .unwrap()
            .len(),
        3
    );

    let withdrawn = store
        .withdraw_proposal(proposal.id, principal, now, &actor(principal))
        .await
        .unwrap();
    assert_eq!(withdrawn.status, ProposalStatus::Withdrawn);
    assert!(matches!(
        store
            .withdraw_proposal(proposal.id, principal, now, &actor(principal))
            .await,
        Err(StoreError::Conflict(_))
    ));
    let actions: Vec<String> = store
        .audit_events(PageRequest {
            limit: corridor_domain::PageLimit::new(50).unwrap(),
            after: None,
        })
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|event| event.action)
        .filter(|action| action.starts_with("facility."))
        .collect();
    for action in [
        "facility.cycle_created",
        "facility.proposal_drafted",
        "facility.proposal_submitted",
        "facility.proposal_withdrawn",
    ] {
        assert!(
            actions.iter().any(|logged| logged == action),
            "{action} not in {actions:?}"
        );
    }
}

/// Checks, reviewer profiles, the review assignment and grades, the allocation with its
/// notifications, and the statistics' origins — and what each refuses.
pub async fn reviews_and_allocations_are_kept_whole(store: &dyn Store) {
    let region = tiny_region(19);
    store.import_region(&region).await.unwrap();
    let beamlines = store.beamlines(None).await.unwrap();
    let facility = beamlines[0].facility;
    let now = Timestamp::now();
    let day = SignedDuration::from_hours(24);
    let cycle = store
        .create_cycle(
            &Cycle {
                id: CycleId(0),
                facility,
                name: "2027-II".into(),
                call_opens: now - day * 10,
                call_closes: now + day * 20,
                starts_on: jiff::civil::date(2027, 9, 1),
                ends_on: jiff::civil::date(2027, 12, 20),
                closed_days: vec![],
            },
            &actor(UserId(1)),
        )
        .await
        .unwrap();
    let reviewer = region
        .users
        .iter()
        .find(|user| {
            user.user
                .roles
                .iter()
                .any(|grant| grant.role == Role::Reviewer)
        })
        .expect("the demo has a reviewer")
        .user
        .id;
    let not_a_reviewer = region
        .users
        .iter()
        .find(|user| {
            user.user
                .roles
                .iter()
                .all(|grant| grant.role != Role::Reviewer)
        })
        .unwrap()
        .user
        .id;
    let principal = region.users[10].user.id;
    let draft = ProposalDraft {
        proposal_type: ProposalType::Proprietary,
        discipline: Discipline::Materials,
        title: "Residual stress in turbine blades".into(),
        summary: "Strain mapping of additively manufactured blades under load.".into(),
        techniques: vec!["xrd".into()],
        team: vec![],
        samples: "Nickel superalloy coupons, inert, 40 mm.".into(),
        resubmission_of: None,
        declared_conflicts: vec![],
        requests: vec![(beamlines[0].id, 9)],
        unavailable_days: vec![],
    };
    let first = store
        .create_proposal(cycle.id, principal, &draft, now, &actor(principal))
        .await
        .unwrap();
    let draft_only = store
        .create_proposal(cycle.id, principal, &draft, now, &actor(principal))
        .await
        .unwrap();
    store
        .submit_proposal(first.id, principal, now, &actor(principal))
        .await
        .unwrap()
        .unwrap();

    // Checks: only of submitted proposals; a second verdict of a kind replaces the first.
    let check = |proposal: ProposalId, approved: bool| CheckRecord {
        proposal,
        kind: CheckKind::Safety,
        approved,
        note: " dust ".into(),
        checked_by: UserId(1),
        checked_at: now,
    };
    let refused = store
        .record_check(&check(draft_only.id, true), &actor(UserId(1)))
        .await;
    assert!(
        matches!(refused, Err(StoreError::Conflict(_))),
        "{refused:?}"
    );
    store
        .record_check(&check(first.id, false), &actor(UserId(1)))
        .await
        .unwrap();
    let kept = store
        .record_check(&check(first.id, true), &actor(UserId(1)))
        .await
        .unwrap();
    assert_eq!(kept.note, "dust");
    assert_eq!(store.checks_of_cycle(cycle.id).await.unwrap(), vec![kept]);

    // Reviewer profiles: only for reviewers; loads are bounded.
    let profile = store
        .set_reviewer_profile(
            reviewer,
            Discipline::Materials,
            &["XRD".into(), "alloy".into()],
            12,
            &actor(UserId(1)),
        )
        .await
        .unwrap();
    assert_eq!(
        profile.expertise,
        vec!["xrd".to_owned(), "alloy".to_owned()]
    );
    assert!(store.reviewer_profiles().await.unwrap().contains(&profile));
    let stranger = store
        .set_reviewer_profile(
            not_a_reviewer,
            Discipline::Materials,
            &[],
            12,
            &actor(UserId(1)),
        )
        .await;
    assert!(
        matches!(
            stranger,
            Err(StoreError::InvalidReference { field: "user", .. })
        ),
        "{stranger:?}"
    );
    let heavy = store
        .set_reviewer_profile(reviewer, Discipline::Materials, &[], 0, &actor(UserId(1)))
        .await;
    assert!(
        matches!(
            heavy,
            Err(StoreError::InvalidReference {
                field: "max_load",
                ..
            })
        ),
        "{heavy:?}"
    );

    // The assignment: only submitted proposals of the cycle; replaced until the first grade.
    let drafted = store
        .replace_review_assignment(
            cycle.id,
            &[(draft_only.id, reviewer, 3)],
            now,
            &actor(UserId(1)),
        )
        .await;
    assert!(
        matches!(drafted, Err(StoreError::InvalidReference { .. })),
        "{drafted:?}"
    );
    store
        .replace_review_assignment(cycle.id, &[(first.id, reviewer, 3)], now, &actor(UserId(1)))
        .await
        .unwrap();
    store
        .replace_review_assignment(cycle.id, &[(first.id, reviewer, 4)], now, &actor(UserId(1)))
        .await
        .unwrap();
    let reviews = store.reviews_of_cycle(cycle.id).await.unwrap();
    assert_eq!(reviews.len(), 1);
    assert_eq!((reviews[0].affinity, reviews[0].grade), (4, None));
    assert_eq!(store.reviews_of_reviewer(reviewer).await.unwrap(), reviews);
    let unassigned = store
        .grade_review(
            first.id,
            not_a_reviewer,
            2.0,
            "",
            now,
            &actor(not_a_reviewer),
        )
        .await;
    assert!(
        matches!(unassigned, Err(StoreError::NotFound(_))),
        "{unassigned:?}"
    );
    let bad_grade = store
        .grade_review(first.id, reviewer, 2.05, "", now, &actor(reviewer))
        .await;
    assert!(
        matches!(
            bad_grade,
            Err(StoreError::InvalidReference { field: "grade", .. })
        ),
        "{bad_grade:?}"
    );
    let graded = store
        .grade_review(
            first.id,
            reviewer,
            1.7,
            " strong case ",
            now,
            &actor(reviewer),
        )
        .await
        .unwrap();
    assert_eq!(
        (graded.grade, graded.comment.as_str()),
        (Some(1.7), "strong case")
    );
    let late = store
        .replace_review_assignment(cycle.id, &[], now, &actor(UserId(1)))
        .await;
    assert!(matches!(late, Err(StoreError::Conflict(_))), "{late:?}");

    // The allocation: decisions, blocks and notifications together; a rerun replaces them.
    let decision = StoredDecision {
        proposal: first.id,
        beamline: beamlines[0].id,
        requested: 9,
        granted: 6,
        effective_score: Some(1.7),
        cycles_waiting: 0,
        fee_fen: 6 * 2_400_000,
        reason: "partly_granted".into(),
        explanation: "partly granted".into(),
    };
    let block = StoredBlock {
        beamline: beamlines[0].id,
        proposal: first.id,
        first_shift: 3,
        shifts: 6,
    };
    let note = NewNotification {
        user: principal,
        kind: "allocation".into(),
        subject: "Beamtime".into(),
        body: "6 shifts".into(),
    };
    for _ in 0..2 {
        store
            .replace_allocation(
                cycle.id,
                std::slice::from_ref(&decision),
                &[block],
                std::slice::from_ref(&note),
                now,
                &actor(UserId(1)),
            )
            .await
            .unwrap();
    }
    assert_eq!(
        store.decisions_of_cycle(cycle.id).await.unwrap(),
        vec![decision.clone()]
    );
    assert_eq!(
        store.schedule_of_cycle(cycle.id).await.unwrap(),
        vec![block]
    );
    assert_eq!(
        store
            .notifications_of_user(principal, 10)
            .await
            .unwrap()
            .len(),
        2
    );
    let outcome = store
        .predecessor_outcomes(&[first.id, draft_only.id])
        .await
        .unwrap();
    assert_eq!(outcome.len(), 1);
    assert_eq!((outcome[0].best_score, outcome[0].granted), (Some(1.7), 6));
    // Granting more than asked is refused whole: the earlier allocation stays.
    let greedy = StoredDecision {
        granted: 10,
        ..decision.clone()
    };
    assert!(store
        .replace_allocation(cycle.id, &[greedy], &[], &[], now, &actor(UserId(1)))
        .await
        .is_err());
    assert_eq!(
        store.decisions_of_cycle(cycle.id).await.unwrap(),
        vec![decision]
    );
    assert_eq!(
        store.schedule_of_cycle(cycle.id).await.unwrap(),
        vec![block]
    );

    // A lost beam day closes the day and replaces the blocks whole; a day is lost once.
    let lost = ClosedDay {
        day: jiff::civil::date(2027, 9, 2),
        reason: ClosedReason::BeamLost,
    };
    let moved = StoredBlock {
        first_shift: 6,
        ..block
    };
    store
        .record_lost_day(
            cycle.id,
            lost,
            &[moved],
            std::slice::from_ref(&note),
            &actor(UserId(1)),
        )
        .await
        .unwrap();
    assert_eq!(
        store.schedule_of_cycle(cycle.id).await.unwrap(),
        vec![moved]
    );
    assert!(store
        .cycle(cycle.id)
        .await
        .unwrap()
        .unwrap()
        .closed_days
        .contains(&lost));
    let again = store
        .record_lost_day(cycle.id, lost, &[], &[], &actor(UserId(1)))
        .await;
    assert!(matches!(again, Err(StoreError::Conflict(_))), "{again:?}");
    assert_eq!(
        store.schedule_of_cycle(cycle.id).await.unwrap(),
        vec![moved],
        "a refused re-plan changes nothing"
    );
    let outside = ClosedDay {
        day: jiff::civil::date(2028, 1, 1),
        reason: ClosedReason::BeamLost,
    };
    assert!(matches!(
        store
            .record_lost_day(cycle.id, outside, &[], &[], &actor(UserId(1)))
            .await,
        Err(StoreError::InvalidReference { .. })
    ));
    assert_eq!(
        store
            .notifications_of_user(principal, 10)
            .await
            .unwrap()
            .len(),
        3
    );

    // Origins: the submitted proposal's principal, with a province and institution kind.
    let people = store.people_of_cycle(cycle.id).await.unwrap();
    assert_eq!(people.len(), 1);
    assert_eq!(people[0].user, principal);
    assert!(people[0].principal, "the principal is marked as such");
    assert!(!people[0].province.is_empty() && !people[0].institution_kind.is_empty());
}
