//! The beamtime service's rules, each covered once: who runs a facility's cycles, who reads
//! and changes a proposal, the limits of a cycle, a draft and a check, the reviewers' queue,
//! the notifications' page size, and the schedule published in the region's own time zone.

use std::sync::Arc;

use corridor_app::beamtime::{
    beamtime_access, cycle_statistics, BeamtimeAccess, NewCycle, LONGEST_CHECK_NOTE_CHARS,
    LONGEST_TECHNIQUE_CHARS, LONGEST_TITLE_CHARS, MOST_BEAMLINE_REQUESTS, MOST_CLOSED_DAYS,
    MOST_TECHNIQUES, MOST_UNAVAILABLE_DAYS,
};
use corridor_app::{Actor, App, AppError, Refusal};
use corridor_domain::facility::allocation::ProposalType;
use corridor_domain::facility::proposal::{
    ClosedDay, ClosedReason, Cycle, Discipline, ProposalDraft, SubmissionRefusal,
};
use corridor_domain::{
    BeamlineId, EmailAddress, InstitutionId, Language, Role, RoleGrant, RoleScope, TimeZoneName,
    User,
};
use corridor_store::beamtime::{CheckKind, StoredBlock, StoredDecision};
use corridor_store::{AuditContext, NewUser, SqliteStore, Store};
use jiff::{SignedDuration, Timestamp};

use crate::support::{actor, region, test_app};

/// The facility of the region's first beamline, and its beamlines' ids.
async fn facility_of(store: &dyn Store) -> (InstitutionId, Vec<BeamlineId>) {
    let mut beamlines = store.beamlines(None).await.unwrap();
    beamlines.sort_by_key(|beamline| beamline.id);
    let facility = beamlines[0].facility;
    let ids = beamlines
        .iter()
        .filter(|beamline| beamline.facility == facility)
        .map(|beamline| beamline.id)
        .collect();
    (facility, ids)
}

/// A member of the facility's user office who is not a platform admin.
fn user_office_of(users: &[User], facility: InstitutionId) -> &User {
    users
        .iter()
        .find(|user| {
            user.runs_user_office_of(facility)
                && user.has_role(Role::FacilityUserOffice)
                && !user.has_role(Role::PlatformAdmin)
        })
        .expect("the test region has a user office")
}

/// A cycle whose call is open now, beam from day 60 to day 69.
fn open_cycle(facility: InstitutionId, name: &str) -> NewCycle {
    let now = Timestamp::now();
    let today = now.to_zoned(jiff::tz::TimeZone::UTC).date();
    let day = |offset: i64| {
        today
            .checked_add(SignedDuration::from_hours(24 * offset))
            .unwrap()
    };
    NewCycle {
        facility,
        name: name.into(),
        call_opens: now - SignedDuration::from_hours(24),
        call_closes: now + SignedDuration::from_hours(240),
        starts_on: day(60),
        ends_on: day(69),
        closed_days: vec![ClosedDay {
            day: day(64),
            reason: ClosedReason::Maintenance,
        }],
    }
}

/// A complete draft asking for nine shifts on `beamline`.
fn draft(beamline: BeamlineId) -> ProposalDraft {
    ProposalDraft {
        proposal_type: ProposalType::General,
        discipline: Discipline::Chemistry,
        title: "Operando XAFS of Pt catalysts".into(),
        summary: "We follow the oxidation state of single atoms under reaction conditions.".into(),
        techniques: vec!["XAFS".into()],
        team: Vec::new(),
        samples: "Pt on ceria powder, 50 mg, no hazards beyond dust.".into(),
        resubmission_of: None,
        declared_conflicts: Vec::new(),
        requests: vec![(beamline, 9)],
        unavailable_days: Vec::new(),
    }
}

fn invalid_field(error: AppError) -> String {
    match error {
        AppError::Invalid { field, .. } => field,
        other => panic!("expected an invalid input, got {other:?}"),
    }
}

fn is_forbidden<T: std::fmt::Debug>(result: Result<T, AppError>) -> bool {
    matches!(result, Err(AppError::Forbidden(_)))
}

fn is_not_found<T: std::fmt::Debug>(result: Result<T, AppError>) -> bool {
    matches!(result, Err(AppError::NotFound(_)))
}

/// A user office of another institution than the facility.
async fn office_elsewhere(store: &dyn Store, users: &[User], facility: InstitutionId) -> User {
    let elsewhere = users
        .iter()
        .map(|user| user.home_institution)
        .find(|institution| *institution != facility)
        .unwrap();
    store
        .create_user(
            &NewUser {
                email: EmailAddress::parse("office-elsewhere@corridor.demo").unwrap(),
                display_name: "User office elsewhere".into(),
                home_institution: elsewhere,
                preferred_language: Language::English,
                password_hash: None,
                roles: vec![RoleGrant::new(
                    Role::FacilityUserOffice,
                    RoleScope::Institution(elsewhere),
                )
                .unwrap()],
            },
            &AuditContext::default(),
        )
        .await
        .unwrap()
}

#[tokio::test]
async fn only_the_facilitys_user_office_runs_its_cycles() {
    let test = test_app().await;
    let beamtime = test.app.beamtime();
    let (facility, _) = facility_of(test.store.as_ref()).await;
    let office = user_office_of(&test.users, facility);
    let elsewhere = office_elsewhere(test.store.as_ref(), &test.users, facility).await;
    let plain = test.plain_user();

    // Opening a cycle: the facility's office only, within the cycle's limits.
    for outsider in [plain, &elsewhere] {
        assert!(is_forbidden(
            beamtime
                .create_cycle(&actor(outsider), open_cycle(facility, "Not theirs"))
                .await
        ));
    }
    let mut too_many_closed = open_cycle(facility, "Closed all year");
    too_many_closed.closed_days = vec![too_many_closed.closed_days[0]; MOST_CLOSED_DAYS + 1];
    let mut long_name = open_cycle(facility, "");
    long_name.name = "n".repeat(201);
    let mut backwards = open_cycle(facility, "Backwards");
    backwards.ends_on = backwards.starts_on.yesterday().unwrap();
    backwards.closed_days.clear();
    for (refused, field) in [
        (too_many_closed, "closed_days"),
        (long_name, "name"),
        (backwards, "ends_on"),
    ] {
        let error = beamtime
            .create_cycle(&actor(office), refused)
            .await
            .unwrap_err();
        assert_eq!(invalid_field(error), field);
    }
    let cycle = beamtime
        .create_cycle(&actor(office), open_cycle(facility, "  Test cycle  "))
        .await
        .unwrap();
    assert_eq!(cycle.name, "Test cycle");

    // The cycle's back office: its own user office only (an office elsewhere is refused).
    let day = cycle.starts_on;
    for outsider in [plain, &elsewhere] {
        let outsider = actor(outsider);
        assert!(is_forbidden(
            beamtime.cycle_proposals(&outsider, cycle.id, None).await
        ));
        assert!(is_forbidden(
            beamtime.cycle_checks(&outsider, cycle.id).await
        ));
        assert!(is_forbidden(
            beamtime.cycle_decisions(&outsider, cycle.id).await
        ));
        assert!(is_forbidden(
            beamtime.assign_reviewers(&outsider, cycle.id).await
        ));
        assert!(is_forbidden(
            beamtime.run_allocation(&outsider, cycle.id).await
        ));
        assert!(is_forbidden(
            beamtime.record_lost_day(&outsider, cycle.id, day).await
        ));
    }
    assert!(beamtime
        .cycle_proposals(&actor(office), cycle.id, None)
        .await
        .unwrap()
        .is_empty());
    let conflict = beamtime
        .record_lost_day(&actor(office), cycle.id, day)
        .await
        .unwrap_err();
    assert!(
        matches!(conflict, AppError::Conflict(_)),
        "no allocation to re-plan yet: {conflict:?}"
    );

    // The college of reviewers is kept by any facility's office; the console shows each
    // office its own facility's cycles.
    assert!(is_forbidden(beamtime.reviewers(&actor(plain)).await));
    assert!(is_forbidden(
        beamtime
            .set_reviewer_profile(&actor(plain), plain.id, Discipline::Physics, &[], 5)
            .await
    ));
    beamtime.reviewers(&actor(&elsewhere)).await.unwrap();
    assert!(is_forbidden(
        beamtime.office_console(&actor(plain), None).await
    ));
    let console = beamtime
        .office_console(&actor(office), Some(cycle.id))
        .await
        .unwrap();
    assert_eq!(
        console.chosen.map(|chosen| chosen.schedule.cycle.id),
        Some(cycle.id)
    );
    let console = beamtime
        .office_console(&actor(&elsewhere), Some(cycle.id))
        .await
        .unwrap();
    assert!(console.cycles.is_empty() && console.chosen.is_none());

    // What the roles open, for the front ends' links.
    assert_eq!(
        beamtime_access(&Actor::default()),
        BeamtimeAccess::default()
    );
    let access = beamtime_access(&actor(office));
    assert!(access.signed_in && access.runs_a_user_office && !access.reviews_proposals);
    let access = beamtime_access(&actor(test.user_with_role(Role::Reviewer)));
    assert!(access.reviews_proposals && !access.runs_a_user_office);
    assert_eq!(
        beamtime_access(&actor(plain)),
        BeamtimeAccess {
            signed_in: true,
            ..BeamtimeAccess::default()
        }
    );
}

#[tokio::test]
async fn a_proposal_is_read_by_its_team_office_and_reviewers_and_changed_by_its_principal() {
    let test = test_app().await;
    let beamtime = test.app.beamtime();
    let (facility, beamlines) = facility_of(test.store.as_ref()).await;
    let office = user_office_of(&test.users, facility);
    let cycle = beamtime
        .create_cycle(&actor(office), open_cycle(facility, "Read test"))
        .await
        .unwrap();
    let mut plain = test.plain_users();
    let (principal, member, stranger) = (
        plain.next().unwrap(),
        plain.next().unwrap(),
        plain.next().unwrap(),
    );
    let reviewer = test
        .users
        .iter()
        .find(|user| user.has_role(Role::Reviewer) && !user.has_role(Role::PlatformAdmin))
        .unwrap();
    let admin = test.user_with_role(Role::PlatformAdmin);
    let mut with_team = draft(beamlines[0]);
    with_team.team = vec![member.id];
    let submitted = beamtime
        .draft_proposal(&actor(principal), cycle.id, with_team, true)
        .await
        .unwrap();

    // Its team and its facility's office read it, with what each may do.
    let view = beamtime
        .proposal(&actor(principal), submitted.id)
        .await
        .unwrap();
    assert!(view.actions.is_principal && view.actions.may_withdraw && !view.actions.may_submit);
    let view = beamtime
        .proposal(&actor(member), submitted.id)
        .await
        .unwrap();
    assert_eq!(view.actions, Default::default());
    beamtime
        .proposal(&actor(office), submitted.id)
        .await
        .unwrap();
    // Everyone else, reviewers not assigned to it included, is told it does not exist.
    for outsider in [stranger, reviewer] {
        assert!(is_not_found(
            beamtime.proposal(&actor(outsider), submitted.id).await
        ));
    }
    test.store
        .replace_review_assignment(
            cycle.id,
            &[(submitted.id, reviewer.id, 1)],
            Timestamp::now(),
            &AuditContext::default(),
        )
        .await
        .unwrap();
    beamtime
        .proposal(&actor(reviewer), submitted.id)
        .await
        .unwrap();

    // The reviewers' queue is theirs; grading what is not assigned to one is not found.
    let queue = beamtime.my_reviews(&actor(reviewer)).await.unwrap();
    assert_eq!(queue[0].proposal.id, submitted.id);
    assert!(is_forbidden(beamtime.my_reviews(&actor(principal)).await));
    assert!(is_not_found(
        beamtime
            .grade(&actor(admin), submitted.id, 2.0, "not mine")
            .await
    ));
    let graded = beamtime
        .grade(&actor(reviewer), submitted.id, 1.5, "clear")
        .await
        .unwrap();
    assert_eq!(graded.review.grade, Some(1.5));

    // Only the principal submits or withdraws; a team member is told it does not exist.
    let kept = beamtime
        .draft_proposal(&actor(principal), cycle.id, draft(beamlines[0]), false)
        .await
        .unwrap();
    assert!(is_not_found(
        beamtime.submit_proposal(&actor(member), kept.id).await
    ));
    assert!(is_not_found(
        beamtime
            .withdraw_proposal(&actor(member), submitted.id)
            .await
    ));
    let mine = beamtime.my_proposals(&actor(principal)).await.unwrap();
    let draft_view = mine.iter().find(|view| view.record.id == kept.id).unwrap();
    assert!(
        draft_view.actions.may_submit,
        "a draft whose call is open may be submitted"
    );
    assert!(
        draft_view.requested[0].beamline_code.is_some(),
        "the facility's beamlines are named: {:?}",
        draft_view.requested
    );
    beamtime
        .withdraw_proposal(&actor(principal), submitted.id)
        .await
        .unwrap();
    let again = beamtime
        .withdraw_proposal(&actor(principal), submitted.id)
        .await
        .unwrap_err();
    assert!(matches!(again, AppError::Conflict(_)), "{again:?}");
    let view = beamtime
        .proposal(&actor(principal), submitted.id)
        .await
        .unwrap();
    assert!(!view.actions.may_withdraw);
}

#[tokio::test]
async fn drafts_checks_and_notifications_keep_their_limits() {
    let test = test_app().await;
    let beamtime = test.app.beamtime();
    let (facility, beamlines) = facility_of(test.store.as_ref()).await;
    let office = user_office_of(&test.users, facility);
    let cycle = beamtime
        .create_cycle(&actor(office), open_cycle(facility, "Limits"))
        .await
        .unwrap();
    let principal = actor(test.plain_user());

    // A draft's limits, checked before anything is stored.
    let with = |change: &dyn Fn(&mut ProposalDraft)| {
        let mut refused = draft(beamlines[0]);
        change(&mut refused);
        refused
    };
    let refused_drafts = [
        (
            with(&|draft| draft.techniques = vec!["saxs".into(); MOST_TECHNIQUES + 1]),
            "techniques",
        ),
        (
            with(&|draft| draft.techniques = vec!["t".repeat(LONGEST_TECHNIQUE_CHARS + 1)]),
            "techniques",
        ),
        (
            with(&|draft| draft.techniques = vec!["  ".into()]),
            "techniques",
        ),
        (
            with(&|draft| {
                draft.requests = (0..=MOST_BEAMLINE_REQUESTS as i64)
                    .map(|id| (BeamlineId(id), 3))
                    .collect()
            }),
            "requests",
        ),
        (
            with(&|draft| {
                draft.unavailable_days = vec![cycle.starts_on; MOST_UNAVAILABLE_DAYS + 1]
            }),
            "unavailable_days",
        ),
        (
            with(&|draft| draft.title = "t".repeat(LONGEST_TITLE_CHARS + 1)),
            "title",
        ),
    ];
    for (refused, field) in refused_drafts {
        let error = beamtime
            .draft_proposal(&principal, cycle.id, refused, false)
            .await
            .unwrap_err();
        assert_eq!(invalid_field(error), field);
    }
    // A refused submission stores nothing and says why, as a typed refusal.
    let refusal = beamtime
        .draft_proposal(
            &principal,
            cycle.id,
            with(&|draft| draft.samples = String::new()),
            true,
        )
        .await
        .unwrap_err();
    match refusal {
        AppError::Refused(refusal @ Refusal::Submission(SubmissionRefusal::Incomplete { .. })) => {
            assert_eq!(refusal.slug(), "proposal-not-submittable")
        }
        other => panic!("expected an incomplete submission, got {other:?}"),
    }
    assert!(beamtime.my_proposals(&principal).await.unwrap().is_empty());
    // Texts are kept trimmed, techniques in lower case.
    let stored = beamtime
        .draft_proposal(
            &principal,
            cycle.id,
            with(&|draft| {
                draft.title = "  Spaced title ".into();
                draft.techniques = vec![" XAFS ".into()];
            }),
            true,
        )
        .await
        .unwrap();
    assert_eq!(
        (stored.draft.title.as_str(), stored.draft.techniques.clone()),
        ("Spaced title", vec!["xafs".to_owned()])
    );
    match beamtime.submit_proposal(&principal, stored.id).await {
        Err(AppError::Refused(refusal)) => assert_eq!(refusal.slug(), "wrong-proposal-status"),
        other => panic!("a submitted proposal is submitted once: {other:?}"),
    }

    // A check: the facility's office only, its note at most 2,000 characters.
    let long_note = "n".repeat(LONGEST_CHECK_NOTE_CHARS + 1);
    let error = beamtime
        .record_check(
            &actor(office),
            stored.id,
            CheckKind::Safety,
            false,
            &long_note,
        )
        .await
        .unwrap_err();
    assert_eq!(invalid_field(error), "note");
    assert!(is_forbidden(
        beamtime
            .record_check(&principal, stored.id, CheckKind::Safety, true, "")
            .await
    ));
    assert!(is_not_found(
        beamtime
            .record_check(
                &actor(office),
                corridor_domain::facility::ProposalId(999_999),
                CheckKind::Safety,
                true,
                ""
            )
            .await
    ));
    let recorded = beamtime
        .record_check(
            &actor(office),
            stored.id,
            CheckKind::Feasibility,
            true,
            " fine ",
        )
        .await
        .unwrap();
    assert_eq!(
        (recorded.cycle, recorded.check.note.as_str()),
        (cycle.id, "fine")
    );

    // Notifications come 1 to 500 at a time.
    for limit in [0, 501] {
        let error = beamtime
            .my_notifications(&principal, Some(limit))
            .await
            .unwrap_err();
        assert_eq!(invalid_field(error), "limit");
    }
    beamtime.my_notifications(&principal, None).await.unwrap();
    assert!(matches!(
        beamtime.my_notifications(&Actor::default(), None).await,
        Err(AppError::Unauthenticated)
    ));
}

/// The schedule is published in the stored region's time zone, not in a constant: a region
/// in Berlin gets Berlin times.
#[tokio::test]
async fn the_schedule_is_published_in_the_regions_time_zone() {
    let directory = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", directory.path().join("app.sqlite").display());
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&url).await.unwrap());
    store.migrate().await.unwrap();
    let mut berlin = region();
    berlin.time_zone = TimeZoneName::parse("Europe/Berlin").unwrap();
    let users: Vec<User> = berlin.users.iter().map(|user| user.user.clone()).collect();
    store.import_region(&berlin).await.unwrap();
    let app = App::start(store.clone()).await.unwrap();
    let beamtime = app.beamtime();
    let (facility, beamlines) = facility_of(store.as_ref()).await;
    let office = user_office_of(&users, facility);
    let principal = users
        .iter()
        .find(|user| {
            user.roles
                .iter()
                .all(|grant| grant.role == Role::Researcher)
        })
        .unwrap();
    let cycle: Cycle = beamtime
        .create_cycle(&actor(office), open_cycle(facility, "Berlin"))
        .await
        .unwrap();
    let proposal = beamtime
        .draft_proposal(&actor(principal), cycle.id, draft(beamlines[0]), true)
        .await
        .unwrap();
    store
        .replace_allocation(
            cycle.id,
            &[StoredDecision {
                proposal: proposal.id,
                beamline: beamlines[0],
                requested: 9,
                granted: 3,
                effective_score: Some(1.5),
                cycles_waiting: 0,
                fee_fen: 0,
                reason: "partly_granted".into(),
                explanation: "three of nine".into(),
            }],
            &[StoredBlock {
                beamline: beamlines[0],
                proposal: proposal.id,
                first_shift: 3,
                shifts: 3,
            }],
            &[],
            Timestamp::now(),
            &AuditContext::default(),
        )
        .await
        .unwrap();

    let schedule = beamtime.published_schedule(cycle.id).await.unwrap();
    assert_eq!(schedule.time_zone, "Europe/Berlin");
    assert_eq!(schedule.blocks[0].starts_at, cycle.shift_starts_at(3));
    assert_eq!(schedule.blocks[0].title, proposal.draft.title);
    let code = &schedule.blocks[0].beamline_code;
    let feed = beamtime
        .beamline_feed(cycle.id, &code.to_lowercase())
        .await
        .unwrap();
    assert_eq!(feed.time_zone.as_str(), "Europe/Berlin");
    let berlin_zone = jiff::tz::TimeZone::get("Europe/Berlin").unwrap();
    assert_eq!(
        feed.blocks[0].starts_at,
        cycle
            .shift_starts_at(3)
            .to_zoned(berlin_zone)
            .unwrap()
            .timestamp()
    );
    assert!(is_not_found(beamtime.beamline_feed(cycle.id, "NOPE").await));
    // The figures default to the newest allocated cycle.
    let figures = beamtime.cycle_figures(None).await.unwrap().unwrap();
    assert_eq!(
        (figures.cycle.id, figures.statistics.granted_shifts),
        (cycle.id, 3)
    );
}

/// Issue 30's rules for the programme: a grade cannot change once the cycle's allocation ran
/// on the grades (409), and no draft is made for a cycle whose call has closed.
#[tokio::test]
async fn grades_close_with_the_allocation_and_drafts_with_the_call() {
    let test = test_app().await;
    let beamtime = test.app.beamtime();
    let (facility, beamlines) = facility_of(test.store.as_ref()).await;
    let office = user_office_of(&test.users, facility);
    let cycle = beamtime
        .create_cycle(&actor(office), open_cycle(facility, "Grading test"))
        .await
        .unwrap();
    let principal = test.plain_user();
    let reviewer = test
        .users
        .iter()
        .find(|user| user.has_role(Role::Reviewer) && !user.has_role(Role::PlatformAdmin))
        .unwrap();
    let submitted = beamtime
        .draft_proposal(&actor(principal), cycle.id, draft(beamlines[0]), true)
        .await
        .unwrap();
    test.store
        .replace_review_assignment(
            cycle.id,
            &[(submitted.id, reviewer.id, 1)],
            Timestamp::now(),
            &AuditContext::default(),
        )
        .await
        .unwrap();
    beamtime
        .grade(&actor(reviewer), submitted.id, 1.5, "clear")
        .await
        .unwrap();
    // Before the allocation, a reviewer may still change their mind.
    beamtime
        .grade(&actor(reviewer), submitted.id, 1.2, "clearer")
        .await
        .unwrap();
    beamtime
        .run_allocation(&actor(office), cycle.id)
        .await
        .unwrap();
    let closed = beamtime
        .grade(
            &actor(reviewer),
            submitted.id,
            4.0,
            "changed after the allocation",
        )
        .await
        .unwrap_err();
    assert!(
        matches!(closed, AppError::Refused(Refusal::GradingClosed { .. })),
        "{closed:?}"
    );

    // A cycle whose call closed yesterday takes no drafts.
    let mut past = open_cycle(facility, "Closed call");
    past.call_opens = Timestamp::now() - SignedDuration::from_hours(24 * 10);
    past.call_closes = Timestamp::now() - SignedDuration::from_hours(24);
    let closed_call = beamtime.create_cycle(&actor(office), past).await.unwrap();
    let refused = beamtime
        .draft_proposal(
            &actor(principal),
            closed_call.id,
            draft(beamlines[0]),
            false,
        )
        .await
        .unwrap_err();
    assert!(
        matches!(
            refused,
            AppError::Refused(Refusal::Submission(SubmissionRefusal::CallNotOpen { .. }))
        ),
        "{refused:?}"
    );
}

/// The node keeps each cycle's statistics between requests (issue 31); every write to the
/// cycle through the service must forget them, or the public figures would lag the cycle.
/// Each step below changes what the statistics count (or, for checks and grades, writes to
/// the cycle), and every way of reading the figures must then equal a fresh computation.
#[tokio::test]
async fn kept_cycle_statistics_follow_every_write_to_the_cycle() {
    let test = test_app().await;
    let beamtime = test.app.beamtime();
    let store = test.store.as_ref();
    let (facility, beamlines) = facility_of(store).await;
    let office = user_office_of(&test.users, facility);
    let mut principals = test.plain_users();
    let first = principals.next().unwrap();
    let second = principals.next().unwrap();
    let reviewer = test
        .users
        .iter()
        .find(|user| user.has_role(Role::Reviewer) && !user.has_role(Role::PlatformAdmin))
        .unwrap();
    let cycle = beamtime
        .create_cycle(&actor(office), open_cycle(facility, "Kept figures"))
        .await
        .unwrap();

    // Reads the figures every way the service offers (each of which keeps them), checks
    // that they equal the figures computed afresh from the store, and answers them.
    let figures = || async {
        let fresh = cycle_statistics(store, &store.cycle(cycle.id).await.unwrap().unwrap())
            .await
            .unwrap();
        for _ in 0..2 {
            let kept = beamtime.statistics(cycle.id).await.unwrap();
            assert_eq!(kept, fresh, "the statistics API's figures are stale");
            let overview = beamtime
                .cycle_overview(&Actor::default(), cycle.id)
                .await
                .unwrap();
            assert_eq!(
                overview.statistics, fresh,
                "the cycle page's figures are stale"
            );
            let chosen = beamtime.cycle_figures(Some(cycle.id)).await.unwrap();
            assert_eq!(chosen.unwrap().statistics, fresh);
            let newest = beamtime.cycle_figures(None).await.unwrap().unwrap();
            assert_eq!(newest.cycle.id, cycle.id);
            assert_eq!(
                newest.statistics, fresh,
                "the dashboard's figures are stale"
            );
        }
        fresh
    };

    let empty = figures().await;
    assert_eq!((empty.proposals_submitted, empty.allocated), (0, false));

    // Drafting and submitting in one step.
    let submitted = beamtime
        .draft_proposal(&actor(first), cycle.id, draft(beamlines[0]), true)
        .await
        .unwrap();
    let one = figures().await;
    assert_eq!(one.proposals_submitted, 1);
    assert_eq!(one.requested_shifts, 9);

    // A draft counts nothing; its submission does, and its withdrawal undoes it.
    let drafted = beamtime
        .draft_proposal(&actor(second), cycle.id, draft(beamlines[0]), false)
        .await
        .unwrap();
    assert_eq!(figures().await, one);
    beamtime
        .submit_proposal(&actor(second), drafted.id)
        .await
        .unwrap();
    let two = figures().await;
    assert_eq!((two.proposals_submitted, two.requested_shifts), (2, 18));
    beamtime
        .withdraw_proposal(&actor(second), drafted.id)
        .await
        .unwrap();
    assert_eq!(figures().await, one);

    // A check and a grade write to the cycle without changing its figures today.
    beamtime
        .record_check(
            &actor(office),
            submitted.id,
            CheckKind::Feasibility,
            true,
            "",
        )
        .await
        .unwrap();
    assert_eq!(figures().await, one);
    store
        .replace_review_assignment(
            cycle.id,
            &[(submitted.id, reviewer.id, 1)],
            Timestamp::now(),
            &AuditContext::default(),
        )
        .await
        .unwrap();
    beamtime
        .grade(&actor(reviewer), submitted.id, 1.5, "clear")
        .await
        .unwrap();
    assert_eq!(figures().await, one);

    // The allocation grants shifts.
    beamtime
        .run_allocation(&actor(office), cycle.id)
        .await
        .unwrap();
    let allocated = figures().await;
    assert!(
        allocated.allocated && allocated.granted_shifts > 0,
        "{allocated:?}"
    );

    // A lost beam day closes the day: fewer user shifts on every beamline.
    beamtime
        .record_lost_day(&actor(office), cycle.id, cycle.starts_on)
        .await
        .unwrap();
    let replanned = figures().await;
    assert!(
        replanned.user_shifts < allocated.user_shifts,
        "{} then {}",
        allocated.user_shifts,
        replanned.user_shifts
    );
}
