//! The authorization matrix, generated from the route table: every route of
//! `authz::ROUTE_GATES` × every kind of caller (anonymous, each demo role, a manager of another
//! institution) → allowed or denied, as the route's gate and, for the routes that read one
//! object, the object's owner rules say. Every operation of the OpenAPI document must have an
//! entry in the table, so a new route without one fails here.
//!
//! Requests that write carry an empty body: a caller the gate admits gets 400/422 from the
//! body's extractor (nothing is written), one it refuses gets 401/403 before any extractor
//! runs. Page forms carry a valid CSRF pair for the same reason.

use std::collections::BTreeSet;

use corridor_domain::{
    BookingStatus, EmailAddress, Fen, InstitutionId, InstrumentId, Language, PlaintextPassword,
    Role, RoleGrant, RoleScope, TimeRange, User, UserClass, UserId,
};
use corridor_store::{AuditContext, HistoricalBooking, NewUser};
use corridor_web::authz::{Gate, ROUTE_GATES};
use jiff::{SignedDuration, Timestamp};
use reqwest::Method;
use serde_json::Value;

use crate::bookings::{call, json_of, managed_instrument, token};
use crate::support::{client, sqlite_server, TestServer, DEMO_PASSWORD};

struct Caller {
    name: &'static str,
    token: Option<String>,
    user: Option<User>,
}

/// How a route's objects restrict the callers its gate admits.
#[derive(Clone, Copy, PartialEq, Eq)]
enum ObjectRule {
    /// The gate decides alone.
    None,
    /// Only the managers of the fixture instrument's institution (and platform admins).
    ManagesTheInstrument,
    /// The booking's own user, or the managers of its instrument's institution.
    OwnsOrManagesTheBooking,
    /// Only the admins of the fixture institution (and platform admins).
    AdmitsTheInstitutionsMembers,
}

fn object_rule(method: &str, path: &str) -> ObjectRule {
    match (method, path) {
        ("GET", "/api/v1/bookings/{id}") => ObjectRule::OwnsOrManagesTheBooking,
        // A decision's body is read (and an empty one refused) before the institution is
        // checked, so only the list is an object rule here; the application layer's tests
        // cover the decision.
        ("GET", "/api/v1/institutions/{id}/membership-requests") => {
            ObjectRule::AdmitsTheInstitutionsMembers
        }
        // A catalogue file is checked by the institution's admins (the same people who admit
        // its members, `User::imports_catalogue_of`); the apply reads its body first.
        ("POST", "/api/v1/institutions/{id}/catalogue-imports") => {
            ObjectRule::AdmitsTheInstitutionsMembers
        }
        ("GET", "/api/v1/instruments/{id}/qualifications")
        | ("DELETE", "/api/v1/instruments/{id}")
        | ("DELETE", "/api/v1/instruments/{id}/closures/{closure_id}")
        | ("DELETE", "/api/v1/instruments/{id}/qualifications/{user_id}")
        | ("GET", "/manage/instruments/{id}") => ObjectRule::ManagesTheInstrument,
        // The console's instrument forms check the instrument before reading the form.
        ("POST", path) if path.starts_with("/manage/instruments/{id}/") => {
            ObjectRule::ManagesTheInstrument
        }
        _ => ObjectRule::None,
    }
}

async fn caller(server: &TestServer, name: &'static str, email: Option<&str>) -> Caller {
    let Some(email) = email else {
        return Caller {
            name,
            token: None,
            user: None,
        };
    };
    let token = token(server, email).await;
    let me = json_of(
        call(Method::GET, server, "/api/v1/me", Some(&token), None).await,
        200,
        "me",
    )
    .await;
    let user = server
        .store()
        .user(UserId(me["id"].as_i64().unwrap()))
        .await
        .unwrap()
        .unwrap();
    Caller {
        name,
        token: Some(token),
        user: Some(user),
    }
}

fn is_denial(status: u16, location: Option<&str>) -> bool {
    status == 401
        || status == 403
        || (status == 303 && location.is_some_and(|location| location.starts_with("/sign-in")))
}

#[tokio::test]
async fn every_route_admits_exactly_whom_its_rule_says() {
    let server = sqlite_server().await;
    let store = server.store();

    // The table covers every operation of the OpenAPI document, and names no API route the
    // document lacks.
    let document: Value = client()
        .get(server.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut documented = BTreeSet::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            documented.insert((method.to_uppercase(), format!("/api/v1{path}")));
        }
    }
    let tabled: BTreeSet<(String, String)> = ROUTE_GATES
        .iter()
        .filter(|(_, path, _)| path.starts_with("/api/v1/") && *path != "/api/v1/openapi.json")
        .map(|(method, path, _)| ((*method).to_owned(), (*path).to_owned()))
        .collect();
    let missing: Vec<_> = documented.difference(&tabled).collect();
    assert!(
        missing.is_empty(),
        "routes without an access rule: {missing:?}"
    );
    let stale: Vec<_> = tabled.difference(&documented).collect();
    assert!(
        stale.is_empty(),
        "access rules for routes that do not exist: {stale:?}"
    );

    // The fixture: the manager's instrument, a booking of the researcher's on it, and a
    // manager of another institution.
    let manager_token = token(&server, "manager@corridor.demo").await;
    let (instrument, institution) = managed_instrument(&server, &manager_token).await;
    let researcher_me = json_of(
        call(
            Method::GET,
            &server,
            "/api/v1/me",
            Some(&token(&server, "researcher@corridor.demo").await),
            None,
        )
        .await,
        200,
        "me",
    )
    .await;
    let researcher = UserId(researcher_me["id"].as_i64().unwrap());
    let start = Timestamp::now() + SignedDuration::from_hours(24 * 9);
    store
        .import_booking_history(
            &[],
            &[HistoricalBooking {
                instrument: InstrumentId(instrument),
                user: researcher,
                range: TimeRange::new(start, start + SignedDuration::from_hours(2)).unwrap(),
                status: BookingStatus::Confirmed,
                user_class: UserClass::OtherAcademic,
                hourly_rate: Fen::from_yuan(100),
                price: Fen::from_yuan(200),
                usage_minutes: None,
                charged: None,
                created_at: Timestamp::now(),
            }],
            &[],
        )
        .await
        .unwrap();
    let other_institution = store
        .institutions(
            &corridor_store::InstitutionFilter::default(),
            corridor_store::PageRequest {
                limit: corridor_domain::PageLimit::new(5).unwrap(),
                after: None,
            },
        )
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|place| place.institution.id)
        .find(|id| *id != InstitutionId(institution))
        .unwrap();
    store
        .create_user(
            &NewUser {
                email: EmailAddress::parse("elsewhere-manager@corridor.demo").unwrap(),
                display_name: "Manager elsewhere".into(),
                home_institution: other_institution,
                preferred_language: Language::English,
                password_hash: Some(corridor_app::accounts::hash_password(
                    &PlaintextPassword::new_choice(DEMO_PASSWORD.into()).unwrap(),
                )),
                roles: vec![
                    RoleGrant::new(Role::Researcher, RoleScope::Global).unwrap(),
                    RoleGrant::new(
                        Role::InstrumentManager,
                        RoleScope::Institution(other_institution),
                    )
                    .unwrap(),
                ],
            },
            &AuditContext::default(),
        )
        .await
        .unwrap();

    let callers = vec![
        caller(&server, "anonymous", None).await,
        caller(&server, "researcher", Some("researcher@corridor.demo")).await,
        caller(&server, "company", Some("company@corridor.demo")).await,
        caller(&server, "manager", Some("manager@corridor.demo")).await,
        caller(
            &server,
            "institution admin",
            Some("institution-admin@corridor.demo"),
        )
        .await,
        caller(&server, "user office", Some("user-office@corridor.demo")).await,
        caller(&server, "reviewer", Some("reviewer@corridor.demo")).await,
        caller(&server, "voucher office", Some("vouchers-sh@corridor.demo")).await,
        caller(&server, "platform admin", Some("admin@corridor.demo")).await,
        caller(
            &server,
            "manager elsewhere",
            Some("elsewhere-manager@corridor.demo"),
        )
        .await,
    ];
    let booking = json_of(
        call(
            Method::GET,
            &server,
            "/api/v1/me/bookings",
            callers[1].token.as_deref(),
            None,
        )
        .await,
        200,
        "my bookings",
    )
    .await["items"][0]["id"]
        .as_i64()
        .expect("the researcher's booking");

    let csrf = "c".repeat(40);
    let mut checked = 0;
    let mut object_checked = 0;
    let mut mismatches = Vec::new();
    for (method, path, gate) in ROUTE_GATES {
        let concrete = path
            .replace("/instruments/{id}", &format!("/instruments/{instrument}"))
            .replace("/bookings/{id}", &format!("/bookings/{booking}"))
            .replace(
                "/institutions/{id}",
                &format!("/institutions/{institution}"),
            )
            .replace("{code}", "310000")
            .replace("{slug}", "not-found")
            .replace("{closure_id}", "999999")
            .replace("{user_id}", "999999")
            .replace("{id}", "999999");
        let rule = object_rule(method, path);
        for caller in &callers {
            let mut request = client().request(method.parse().unwrap(), server.url(&concrete));
            if let Some(token) = &caller.token {
                request = request.bearer_auth(token);
            }
            if *method != "GET" && *method != "DELETE" {
                request = if path.starts_with("/api/") {
                    request.json(&serde_json::json!({}))
                } else {
                    request
                        .header(
                            "cookie",
                            format!("{}={csrf}", corridor_web::auth::CSRF_COOKIE),
                        )
                        .form(&[("csrf_token", csrf.as_str())])
                };
            }
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            let location = response
                .headers()
                .get("location")
                .and_then(|value| value.to_str().ok())
                .map(str::to_owned);
            let admitted = gate.admits(caller.user.as_ref()).is_ok();
            let expected_allowed = admitted
                && match rule {
                    ObjectRule::None => true,
                    ObjectRule::ManagesTheInstrument => caller.user.as_ref().is_some_and(|user| {
                        user.may_manage_instruments_of(InstitutionId(institution))
                    }),
                    ObjectRule::AdmitsTheInstitutionsMembers => caller
                        .user
                        .as_ref()
                        .is_some_and(|user| user.admits_members_of(InstitutionId(institution))),
                    ObjectRule::OwnsOrManagesTheBooking => {
                        caller.user.as_ref().is_some_and(|user| {
                            user.id == researcher
                                || user.may_manage_instruments_of(InstitutionId(institution))
                        })
                    }
                };
            // A booking is hidden from those who may not see it: 404, as if it did not exist.
            // Instruments are public, so refusing to manage one is 403 (404 is a missing
            // closure or qualification, past every check).
            let denied = is_denial(status, location.as_deref())
                || (rule == ObjectRule::OwnsOrManagesTheBooking && status == 404);
            if denied == expected_allowed {
                mismatches.push(format!(
                    "{method} {path} as {}: {status}, expected {}",
                    caller.name,
                    if expected_allowed {
                        "allowed"
                    } else {
                        "denied"
                    }
                ));
            }
            // Someone else's booking is not refused but unknown: exactly 404, never a 403 that
            // would tell the id exists (issue 30, finding 9).
            if admitted
                && rule == ObjectRule::OwnsOrManagesTheBooking
                && !expected_allowed
                && status != 404
            {
                mismatches.push(format!(
                    "{method} {path} as {}: {status}, expected 404 for someone else's booking",
                    caller.name
                ));
            }
            if *gate == Gate::Public {
                assert_ne!(status, 500, "{method} {concrete} as {}", caller.name);
            }
            checked += 1;
            object_checked += usize::from(rule != ObjectRule::None);
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
    println!(
        "authorization matrix: {} routes × {} callers = {checked} checks ({object_checked} on object rules), all as the rules say",
        ROUTE_GATES.len(),
        callers.len()
    );
}
