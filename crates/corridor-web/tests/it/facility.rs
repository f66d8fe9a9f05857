//! The facility programme over HTTP: a cycle opened by the user office, proposals submitted
//! (and refused whole), checks, reviewer profiles, the assignment, grades, the allocation with
//! its reasons, the schedule as JSON and as iCal read by a real parser, the statistics
//! cross-checked against the decisions, and the teams' notifications.

use std::collections::HashMap;

use corridor_domain::facility::allocation::ProposalType;
use corridor_domain::facility::proposal::{CycleId, Discipline, ProposalDraft};
use corridor_domain::{BeamlineId, Role, UserId};
use corridor_store::AuditContext;
use icalendar::parser::{read_calendar, unfold};
use reqwest::Method;
use serde_json::{json, Value};

use crate::bookings::{call, json_of, token};
use crate::support::{region_users, sqlite_server};

#[tokio::test]
async fn a_cycle_runs_from_call_to_published_schedule() {
    let server = sqlite_server().await;
    let store = server.store();
    let office = token(&server, "user-office@corridor.demo").await;
    let researcher = token(&server, "researcher@corridor.demo").await;
    let company = token(&server, "company@corridor.demo").await;
    let reviewer = token(&server, "reviewer@corridor.demo").await;
    let beamlines = json_of(
        call(Method::GET, &server, "/api/v1/beamlines", None, None).await,
        200,
        "beamlines",
    )
    .await;
    let facility = beamlines[0]["facility_id"].as_i64().expect("a facility id");
    let beamline_ids: Vec<i64> = beamlines
        .as_array()
        .unwrap()
        .iter()
        .map(|line| line["id"].as_i64().unwrap())
        .collect();
    let now = jiff::Timestamp::now();
    let today = now.to_zoned(jiff::tz::TimeZone::UTC).date();
    let day = |offset: i64| {
        today
            .checked_add(jiff::SignedDuration::from_hours(24 * offset))
            .unwrap()
            .to_string()
    };
    let cycle_input = json!({
        "facility_id": facility,
        "name": "Test cycle",
        "call_opens": (now - jiff::SignedDuration::from_hours(24)).to_string(),
        "call_closes": (now + jiff::SignedDuration::from_hours(240)).to_string(),
        "starts_on": day(60),
        "ends_on": day(69),
        "closed_days": [{"day": day(60), "reason": "machine_development"}, {"day": day(64), "reason": "maintenance"}],
    });
    // Only the user office opens cycles.
    assert_eq!(
        call(
            Method::POST,
            &server,
            "/api/v1/facility/cycles",
            Some(&researcher),
            Some(cycle_input.clone())
        )
        .await
        .status(),
        403
    );
    let cycle = json_of(
        call(
            Method::POST,
            &server,
            "/api/v1/facility/cycles",
            Some(&office),
            Some(cycle_input.clone()),
        )
        .await,
        201,
        "cycle",
    )
    .await;
    let cycle_id = cycle["id"].as_i64().unwrap();
    assert_eq!(
        (
            cycle["days"].as_u64(),
            cycle["user_shifts_per_beamline"].as_u64()
        ),
        (Some(10), Some(24))
    );
    assert_eq!(cycle["call_open"], json!(true));
    let mut bad_cycle = cycle_input.clone();
    bad_cycle["name"] = json!("Backwards");
    bad_cycle["ends_on"] = json!(day(50));
    assert_eq!(
        call(
            Method::POST,
            &server,
            "/api/v1/facility/cycles",
            Some(&office),
            Some(bad_cycle)
        )
        .await
        .status(),
        400
    );

    // A submission that is refused stores nothing; a complete one is submitted at once.
    let proposal = |title: &str, proposal_type: &str, beamline: i64, shifts: u32| {
        json!({
            "proposal_type": proposal_type,
            "discipline": "chemistry",
            "title": title,
            "summary": "We follow the oxidation state of single atoms under reaction conditions.",
            "techniques": ["XAFS"],
            "samples": "Pt on ceria powder, 50 mg, no hazards beyond dust.",
            "requests": [{"beamline_id": beamline, "shifts": shifts}],
            "unavailable_days": [day(61)],
            "submit": true,
        })
    };
    let path = format!("/api/v1/facility/cycles/{cycle_id}/proposals");
    let mut thin = proposal("Thin", "general", beamline_ids[0], 9);
    thin["samples"] = json!("");
    let refused = call(Method::POST, &server, &path, Some(&researcher), Some(thin)).await;
    assert_eq!(refused.status(), 422);
    let refused: Value = refused.json().await.unwrap();
    assert!(
        refused["detail"].as_str().unwrap().contains("samples"),
        "{refused}"
    );
    let mine = json_of(
        call(
            Method::GET,
            &server,
            "/api/v1/me/proposals",
            Some(&researcher),
            None,
        )
        .await,
        200,
        "mine",
    )
    .await;
    assert_eq!(
        mine.as_array().unwrap().len(),
        0,
        "a refused submission leaves no draft"
    );
    let first = json_of(
        call(
            Method::POST,
            &server,
            &path,
            Some(&researcher),
            Some(proposal(
                "Operando XAFS of Pt catalysts",
                "general",
                beamline_ids[0],
                12,
            )),
        )
        .await,
        201,
        "proposal",
    )
    .await;
    assert_eq!(first["status"], json!("submitted"));
    let first_id = first["id"].as_i64().unwrap();
    let paid = json_of(
        call(
            Method::POST,
            &server,
            &path,
            Some(&company),
            Some(proposal(
                "Residual stress in blades",
                "proprietary",
                beamline_ids[0],
                6,
            )),
        )
        .await,
        201,
        "proprietary proposal",
    )
    .await;
    // Proposals are their team's: hidden from others, shown to the user office.
    let first_path = format!("/api/v1/facility/proposals/{first_id}");
    assert_eq!(
        call(Method::GET, &server, &first_path, Some(&company), None)
            .await
            .status(),
        404
    );
    json_of(
        call(Method::GET, &server, &first_path, Some(&office), None).await,
        200,
        "office reads",
    )
    .await;

    // More teams, through the store: twenty proposals on the first two beamlines, asking for
    // far more than the eight days offer.
    let users = region_users();
    let mut reviewers: Vec<UserId> = users
        .iter()
        .filter(|user| user.roles.iter().any(|grant| grant.role == Role::Reviewer))
        .map(|user| user.id)
        .collect();
    // A college of eight: the small region's reviewers and more from other institutions.
    let mut homes: Vec<_> = users.iter().map(|user| user.home_institution).collect();
    homes.sort();
    homes.dedup();
    for (index, home) in homes
        .iter()
        .rev()
        .take(8usize.saturating_sub(reviewers.len()))
        .enumerate()
    {
        let created = store
            .create_user(
                &corridor_store::NewUser {
                    email: corridor_domain::EmailAddress::parse(&format!(
                        "panel-{index}@corridor.demo"
                    ))
                    .unwrap(),
                    display_name: format!("Panel member {index}"),
                    home_institution: *home,
                    preferred_language: corridor_domain::Language::English,
                    password_hash: None,
                    roles: vec![corridor_domain::RoleGrant::new(
                        Role::Reviewer,
                        corridor_domain::RoleScope::Global,
                    )
                    .unwrap()],
                },
                &AuditContext::default(),
            )
            .await
            .unwrap();
        reviewers.push(created.id);
    }
    let proposers: Vec<UserId> = users
        .iter()
        .filter(|user| {
            !user.email.as_str().ends_with("@corridor.demo") && !reviewers.contains(&user.id)
        })
        .map(|user| user.id)
        .take(20)
        .collect();
    let mut quality = HashMap::new();
    for (index, principal) in proposers.iter().enumerate() {
        let draft = ProposalDraft {
            proposal_type: if index % 5 == 0 {
                ProposalType::Proprietary
            } else {
                ProposalType::General
            },
            discipline: Discipline::ALL[index % 6],
            title: format!("Study {index}"),
            summary: "A study that needs a synchrotron to see what it must see.".into(),
            techniques: vec!["saxs".into()],
            team: vec![],
            samples: "Inert powders in sealed capillaries.".into(),
            resubmission_of: None,
            declared_conflicts: vec![],
            requests: vec![(
                BeamlineId(beamline_ids[index % 2]),
                3 * (1 + index as u32 % 4),
            )],
            unavailable_days: vec![],
        };
        let record = store
            .create_proposal(
                CycleId(cycle_id),
                *principal,
                &draft,
                now,
                &AuditContext::default(),
            )
            .await
            .unwrap();
        store
            .submit_proposal(record.id, *principal, now, &AuditContext::default())
            .await
            .unwrap()
            .unwrap();
        quality.insert(record.id.0, 1.0 + (index % 9) as f64 * 0.4);
    }

    // The user office checks one proposal as unsafe, sets the reviewers' panels, assigns.
    let refused_id = paid["id"].as_i64().unwrap();
    json_of(
        call(Method::POST, &server, &format!("/api/v1/facility/proposals/{refused_id}/checks"), Some(&office),
            Some(json!({"kind": "safety", "approved": false, "note": "beryllium windows not allowed"}))).await,
        201,
        "check",
    )
    .await;
    for user in &reviewers {
        json_of(
            call(Method::PUT, &server, &format!("/api/v1/facility/reviewers/{}", user.0), Some(&office),
                Some(json!({"discipline": "chemistry", "expertise": ["xafs", "saxs"], "max_load": 30}))).await,
            200,
            "reviewer profile",
        )
        .await;
    }
    let assignment = json_of(
        call(
            Method::POST,
            &server,
            &format!("/api/v1/facility/cycles/{cycle_id}/review-assignment"),
            Some(&office),
            None,
        )
        .await,
        200,
        "assignment",
    )
    .await;
    assert_eq!(
        assignment["proposals"],
        json!(21),
        "22 submitted, one refused by its check: {assignment}"
    );
    assert_eq!(assignment["reviews"], json!(63));
    // Reviewers grade: the demo reviewer through the API, the others through the store.
    let queue = json_of(
        call(
            Method::GET,
            &server,
            "/api/v1/me/reviews",
            Some(&reviewer),
            None,
        )
        .await,
        200,
        "queue",
    )
    .await;
    for review in queue.as_array().unwrap() {
        let id = review["proposal_id"].as_i64().unwrap();
        let graded = json_of(
            call(
                Method::POST,
                &server,
                &format!("/api/v1/facility/proposals/{id}/review"),
                Some(&reviewer),
                Some(json!({"grade": 1.5, "comment": "clear and feasible"})),
            )
            .await,
            200,
            "grade",
        )
        .await;
        assert_eq!(graded["grade"], json!(1.5));
    }
    assert_eq!(
        call(
            Method::POST,
            &server,
            &format!("/api/v1/facility/proposals/{refused_id}/review"),
            Some(&reviewer),
            Some(json!({"grade": 2.0}))
        )
        .await
        .status(),
        404,
        "not assigned: the refused proposal is out of review"
    );
    for review in store.reviews_of_cycle(CycleId(cycle_id)).await.unwrap() {
        if review.grade.is_none() {
            let grade = quality.get(&review.proposal.0).copied().unwrap_or(2.0);
            store
                .grade_review(
                    review.proposal,
                    review.reviewer,
                    (grade * 10.0_f64).round() / 10.0,
                    "",
                    now,
                    &AuditContext::default(),
                )
                .await
                .unwrap();
        }
    }
    assert_eq!(
        call(
            Method::POST,
            &server,
            &format!("/api/v1/facility/cycles/{cycle_id}/review-assignment"),
            Some(&office),
            None
        )
        .await
        .status(),
        409
    );

    // The allocation: every decision explained, the schedule placed whole and valid.
    let summary = json_of(
        call(
            Method::POST,
            &server,
            &format!("/api/v1/facility/cycles/{cycle_id}/allocation"),
            Some(&office),
            None,
        )
        .await,
        200,
        "allocation",
    )
    .await;
    assert_eq!(summary["violations"], json!(0));
    let decisions = json_of(
        call(
            Method::GET,
            &server,
            &format!("/api/v1/facility/cycles/{cycle_id}/decisions"),
            Some(&office),
            None,
        )
        .await,
        200,
        "decisions",
    )
    .await;
    let decisions = decisions.as_array().unwrap();
    assert_eq!(decisions.len(), 22);
    let refused_decision = decisions
        .iter()
        .find(|decision| decision["proposal_id"] == json!(refused_id))
        .unwrap();
    assert_eq!(
        (
            refused_decision["reason"].as_str(),
            refused_decision["granted"].as_u64()
        ),
        (Some("failed_check"), Some(0))
    );
    let mut granted_per_line: HashMap<i64, u64> = HashMap::new();
    for decision in decisions {
        assert!(decision["granted"].as_u64() <= decision["requested"].as_u64());
        assert!(!decision["explanation"].as_str().unwrap().is_empty());
        *granted_per_line
            .entry(decision["beamline_id"].as_i64().unwrap())
            .or_default() += decision["granted"].as_u64().unwrap();
    }
    for granted in granted_per_line.values() {
        assert!(
            *granted <= 24,
            "no beamline gives more than its 24 user shifts: {granted_per_line:?}"
        );
    }
    assert!(
        decisions
            .iter()
            .any(|decision| decision["reason"] == json!("beamline_full")
                || decision["reason"] == json!("below_cutoff")),
        "demand beyond capacity cuts someone"
    );
    // Proprietary time is paid at the facility's rate per shift; the open modes are free.
    let listed = json_of(
        call(
            Method::GET,
            &server,
            &format!("/api/v1/facility/cycles/{cycle_id}/proposals"),
            Some(&office),
            None,
        )
        .await,
        200,
        "proposals",
    )
    .await;
    let proprietary: std::collections::HashSet<i64> = listed
        .as_array()
        .unwrap()
        .iter()
        .filter(|proposal| proposal["proposal_type"] == json!("proprietary"))
        .map(|proposal| proposal["id"].as_i64().unwrap())
        .collect();
    assert!(proprietary.len() >= 4, "{proprietary:?}");
    for decision in decisions {
        let granted = decision["granted"].as_i64().unwrap();
        let expected = if proprietary.contains(&decision["proposal_id"].as_i64().unwrap()) {
            granted * 2_400_000
        } else {
            0
        };
        assert_eq!(decision["fee_fen"].as_i64(), Some(expected), "{decision}");
    }
    let schedule = json_of(
        call(
            Method::GET,
            &server,
            &format!("/api/v1/facility/cycles/{cycle_id}/schedule"),
            None,
            None,
        )
        .await,
        200,
        "schedule",
    )
    .await;
    let mut placed: HashMap<(i64, i64), u64> = HashMap::new();
    let mut taken: HashMap<(i64, u64), i64> = HashMap::new();
    for block in schedule["blocks"].as_array().unwrap() {
        let (line, proposal) = (
            block["beamline_id"].as_i64().unwrap(),
            block["proposal_id"].as_i64().unwrap(),
        );
        *placed.entry((proposal, line)).or_default() += block["shifts"].as_u64().unwrap();
        let first = block["first_shift"].as_u64().unwrap();
        for shift in first..first + block["shifts"].as_u64().unwrap() {
            assert!(
                taken.insert((line, shift), proposal).is_none(),
                "shift {shift} of beamline {line} given twice"
            );
            let day = shift / 3;
            assert!(day != 0 && day != 4, "closed days stay closed");
            if proposal == first_id {
                assert_ne!(day, 1, "the team cannot come on its unavailable day");
            }
        }
    }
    for decision in decisions {
        let key = (
            decision["proposal_id"].as_i64().unwrap(),
            decision["beamline_id"].as_i64().unwrap(),
        );
        assert_eq!(
            placed.get(&key).copied().unwrap_or(0),
            decision["granted"].as_u64().unwrap(),
            "{decision}"
        );
    }

    // The iCal feed of the first beamline, read by a real parser, in Shanghai time.
    let code = beamlines[0]["code"].as_str().unwrap();
    let response = call(
        Method::GET,
        &server,
        &format!("/api/v1/facility/cycles/{cycle_id}/beamlines/{code}/schedule.ics"),
        None,
        None,
    )
    .await;
    assert_eq!(response.status(), 200);
    let text = response.text().await.unwrap();
    let unfolded = unfold(&text);
    let calendar = read_calendar(&unfolded).unwrap_or_else(|error| panic!("{error}\n{text}"));
    let events: Vec<_> = calendar
        .components
        .iter()
        .filter(|component| component.name.as_str() == "VEVENT")
        .collect();
    let blocks_on_line = schedule["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|block| block["beamline_id"] == beamlines[0]["id"])
        .count();
    assert_eq!(events.len(), blocks_on_line);
    for event in &events {
        let start = event
            .properties
            .iter()
            .find(|property| property.name.as_str() == "DTSTART")
            .unwrap();
        assert!(
            ["T080000", "T160000", "T000000"]
                .iter()
                .any(|time| start.val.as_str().ends_with(time)),
            "{}",
            start.val.as_str()
        );
    }

    // Statistics agree with the decisions.
    let statistics = json_of(
        call(
            Method::GET,
            &server,
            &format!("/api/v1/facility/cycles/{cycle_id}/statistics"),
            None,
            None,
        )
        .await,
        200,
        "statistics",
    )
    .await;
    let requested: u64 = decisions
        .iter()
        .map(|decision| decision["requested"].as_u64().unwrap())
        .sum();
    let granted: u64 = decisions
        .iter()
        .map(|decision| decision["granted"].as_u64().unwrap())
        .sum();
    assert_eq!(
        (
            statistics["requested_shifts"].as_u64(),
            statistics["granted_shifts"].as_u64()
        ),
        (Some(requested), Some(granted))
    );
    assert_eq!(statistics["proposals_submitted"], json!(22));
    let lines = statistics["beamlines"].as_array().unwrap().len() as f64;
    let expected = requested as f64 / (24.0 * lines);
    assert!(
        (statistics["oversubscription"].as_f64().unwrap() - expected).abs() < 1e-3,
        "{statistics}"
    );
    let users_by_origin: u64 = statistics["origins"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row["users"].as_u64().unwrap())
        .sum();
    let users_by_kind: u64 = statistics["institution_kinds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row["users"].as_u64().unwrap())
        .sum();
    assert_eq!(users_by_origin, users_by_kind);
    assert!(users_by_origin >= 20);

    // The analytics figures for the facility agree with a direct SQL computation on the same
    // rows: people by origin (each once) and hours granted by the principal's origin.
    let analytics = json_of(
        call(
            Method::GET,
            &server,
            &format!("/api/v1/analytics/facility?cycle={cycle_id}"),
            None,
            None,
        )
        .await,
        200,
        "facility analytics",
    )
    .await;
    let pool = sqlx::SqlitePool::connect(&server.sqlite_url().unwrap())
        .await
        .unwrap();
    let origin = "CASE WHEN c.province_code IN ('SH', 'JS', 'ZJ', 'AH') THEN c.province_code ELSE 'outside' END";
    let users_by_sql: Vec<(String, i64)> = sqlx::query_as(&format!(
        "SELECT {origin} AS origin, COUNT(DISTINCT people.user_id) FROM ( \
             SELECT id AS proposal_id, principal_user_id AS user_id FROM proposals WHERE cycle_id = $1 AND status = 'submitted' \
             UNION SELECT m.proposal_id, m.user_id FROM proposal_members m JOIN proposals p ON p.id = m.proposal_id WHERE p.cycle_id = $1 AND p.status = 'submitted' \
         ) people JOIN users u ON u.id = people.user_id JOIN institutions i ON i.id = u.home_institution_id \
         JOIN cities c ON c.code = i.city_code GROUP BY origin ORDER BY origin"
    ))
    .bind(cycle_id)
    .fetch_all(&pool)
    .await
    .unwrap();
    let hours_by_sql: HashMap<String, i64> = sqlx::query_as::<_, (String, i64)>(&format!(
        "SELECT {origin} AS origin, SUM(d.granted) * 8 FROM allocation_decisions d JOIN proposals p ON p.id = d.proposal_id \
         JOIN users u ON u.id = p.principal_user_id JOIN institutions i ON i.id = u.home_institution_id \
         JOIN cities c ON c.code = i.city_code WHERE d.cycle_id = $1 GROUP BY origin"
    ))
    .bind(cycle_id)
    .fetch_all(&pool)
    .await
    .unwrap()
    .into_iter()
    .collect();
    let rows = analytics["statistics"]["origins"].as_array().unwrap();
    assert_eq!(rows.len(), users_by_sql.len(), "{analytics}");
    for (origin, users) in &users_by_sql {
        let row = rows
            .iter()
            .find(|row| row["origin"] == json!(origin))
            .unwrap_or_else(|| panic!("{origin} missing"));
        assert_eq!(row["users"].as_i64(), Some(*users), "{origin}");
        assert_eq!(
            row["hours_granted"].as_i64().unwrap(),
            hours_by_sql.get(origin).copied().unwrap_or(0),
            "{origin}"
        );
    }
    let csv = call(
        Method::GET,
        &server,
        &format!("/api/v1/analytics/facility?cycle={cycle_id}&format=csv&table=origins"),
        None,
        None,
    )
    .await
    .text()
    .await
    .unwrap();
    assert_eq!(csv.lines().count(), users_by_sql.len() + 1, "{csv}");
    println!(
        "facility analytics: {} origins cross-checked against SQL",
        users_by_sql.len()
    );

    // The researcher's decision waits in the outbox, with the proposal's reason.
    let notifications = json_of(
        call(
            Method::GET,
            &server,
            "/api/v1/me/notifications",
            Some(&researcher),
            None,
        )
        .await,
        200,
        "notifications",
    )
    .await;
    let decision_note = notifications
        .as_array()
        .unwrap()
        .iter()
        .find(|note| note["kind"] == json!("beamtime_decision"))
        .expect("a decision notification");
    assert!(decision_note["subject"]
        .as_str()
        .unwrap()
        .contains(&first_id.to_string()));
    let mine = json_of(
        call(
            Method::GET,
            &server,
            "/api/v1/me/proposals",
            Some(&researcher),
            None,
        )
        .await,
        200,
        "mine",
    )
    .await;
    assert_eq!(mine[0]["decisions"].as_array().unwrap().len(), 1, "{mine}");

    // A lost beam day: only the shifts on it move, nothing lands on it, the teams are told.
    let lost_day = day(62);
    let before: HashMap<(i64, u64), i64> = taken.clone();
    let on_lost_day: usize = before.keys().filter(|(_, shift)| shift / 3 == 2).count();
    let replan = json_of(
        call(
            Method::POST,
            &server,
            &format!("/api/v1/facility/cycles/{cycle_id}/lost-days"),
            Some(&office),
            Some(json!({"day": lost_day})),
        )
        .await,
        200,
        "lost day",
    )
    .await;
    assert_eq!(
        replan["moved_shifts"].as_u64(),
        Some(on_lost_day as u64),
        "{replan}"
    );
    let after = json_of(
        call(
            Method::GET,
            &server,
            &format!("/api/v1/facility/cycles/{cycle_id}/schedule"),
            None,
            None,
        )
        .await,
        200,
        "schedule",
    )
    .await;
    let mut taken_after: HashMap<(i64, u64), i64> = HashMap::new();
    for block in after["blocks"].as_array().unwrap() {
        let first = block["first_shift"].as_u64().unwrap();
        for shift in first..first + block["shifts"].as_u64().unwrap() {
            assert_ne!(shift / 3, 2, "nothing is left on the lost day");
            assert!(taken_after
                .insert(
                    (block["beamline_id"].as_i64().unwrap(), shift),
                    block["proposal_id"].as_i64().unwrap()
                )
                .is_none());
        }
    }
    let kept = before
        .iter()
        .filter(|(slot, proposal)| taken_after.get(slot) == Some(proposal))
        .count();
    assert_eq!(
        kept,
        before.len() - on_lost_day,
        "every shift not on the lost day stays where it was"
    );
    let cycle_now = json_of(
        call(
            Method::GET,
            &server,
            &format!("/api/v1/facility/cycles/{cycle_id}"),
            None,
            None,
        )
        .await,
        200,
        "cycle",
    )
    .await;
    assert!(cycle_now["closed_days"]
        .as_array()
        .unwrap()
        .iter()
        .any(|closed| closed["day"] == json!(lost_day) && closed["reason"] == json!("beam_lost")));
    assert_eq!(
        call(
            Method::POST,
            &server,
            &format!("/api/v1/facility/cycles/{cycle_id}/lost-days"),
            Some(&office),
            Some(json!({"day": lost_day}))
        )
        .await
        .status(),
        409,
        "a day is lost once"
    );

    // Withdrawing: only the principal, and only once.
    assert_eq!(
        call(
            Method::POST,
            &server,
            &format!("{first_path}/withdraw"),
            Some(&company),
            None
        )
        .await
        .status(),
        404
    );
    json_of(
        call(
            Method::POST,
            &server,
            &format!("{first_path}/withdraw"),
            Some(&researcher),
            None,
        )
        .await,
        200,
        "withdraw",
    )
    .await;
    assert_eq!(
        call(
            Method::POST,
            &server,
            &format!("{first_path}/withdraw"),
            Some(&researcher),
            None
        )
        .await
        .status(),
        409
    );
    server.finish().await;
}
