//! The roster over real HTTP, through the API and the pages: an institution admin lists its
//! people, appoints and removes an instrument manager (who can then use the managers' API),
//! grants qualifications in bulk; a researcher is refused; the platform admin creates an
//! institution; a person sees their sessions and ends one, which signs that browser out.

use reqwest::Method;
use serde_json::json;

use super::booking::signed_in_browser;
use super::csrf_token_in;
use crate::bookings::{call, json_of, token};
use crate::support::sqlite_server;

#[tokio::test]
async fn admins_steer_roles_and_qualifications_and_people_end_their_own_sessions() {
    let server = sqlite_server().await;
    let admin = token(&server, "institution-admin@corridor.demo").await;
    let me = json_of(
        call(Method::GET, &server, "/api/v1/me", Some(&admin), None).await,
        200,
        "the institution admin",
    )
    .await;
    let institution = me["home_institution_id"].as_i64().unwrap();
    let admin_id = me["id"].as_i64().unwrap();
    let people_path = format!("/api/v1/institutions/{institution}/people");
    let people = json_of(
        call(Method::GET, &server, &people_path, Some(&admin), None).await,
        200,
        "the roster",
    )
    .await;
    let member = people
        .as_array()
        .unwrap()
        .iter()
        .find(|person| {
            person["home_here"] == true
                && person["membership"] == "admitted"
                && person["roles"].as_array().unwrap().is_empty()
        })
        .expect("the admin's institution has a member without a role")
        .clone();
    let member_id = member["user_id"].as_i64().unwrap();
    let member_email = member["email"].as_str().unwrap().to_owned();

    let researcher = token(&server, "researcher@corridor.demo").await;
    assert_eq!(
        call(Method::GET, &server, &people_path, Some(&researcher), None)
            .await
            .status()
            .as_u16(),
        403
    );

    // Appoint, see the role, remove; an admin cannot remove their own admin role.
    let role_path =
        format!("/api/v1/institutions/{institution}/people/{member_id}/roles/instrument_manager");
    let appointed = call(Method::PUT, &server, &role_path, Some(&admin), None).await;
    assert_eq!(appointed.status().as_u16(), 204);
    let people = json_of(
        call(Method::GET, &server, &people_path, Some(&admin), None).await,
        200,
        "the roster after the appointment",
    )
    .await;
    let roles = people
        .as_array()
        .unwrap()
        .iter()
        .find(|person| person["user_id"] == member_id)
        .unwrap()["roles"]
        .clone();
    assert_eq!(roles, json!(["instrument_manager"]));
    let own =
        format!("/api/v1/institutions/{institution}/people/{admin_id}/roles/institution_admin");
    assert_eq!(
        call(Method::DELETE, &server, &own, Some(&admin), None)
            .await
            .status()
            .as_u16(),
        409
    );
    assert_eq!(
        call(
            Method::PUT,
            &server,
            &format!("/api/v1/institutions/{institution}/people/{member_id}/roles/platform_admin"),
            Some(&admin),
            None
        )
        .await
        .status()
        .as_u16(),
        400
    );

    // Bulk qualifications on two of the institution's instruments.
    let instruments: Vec<i64> = server
        .store()
        .all_instruments()
        .await
        .unwrap()
        .iter()
        .filter(|found| found.instrument.institution.0 == institution)
        .take(2)
        .map(|found| found.instrument.id.0)
        .collect();
    let outcome = json_of(
        call(
            Method::POST,
            &server,
            "/api/v1/qualifications/bulk",
            Some(&admin),
            Some(
                json!({"instrument_ids": instruments, "emails": [member_email], "action": "grant"}),
            ),
        )
        .await,
        200,
        "bulk qualifications",
    )
    .await;
    assert_eq!(outcome["changed"], 2);
    let unknown = call(
        Method::POST,
        &server,
        "/api/v1/qualifications/bulk",
        Some(&admin),
        Some(json!({"instrument_ids": instruments, "emails": ["nobody-here@example.org"], "action": "revoke"})),
    )
    .await;
    assert_eq!(unknown.status().as_u16(), 400);
    assert_eq!(
        server
            .store()
            .qualifications(corridor_domain::InstrumentId(instruments[0]))
            .await
            .unwrap()
            .iter()
            .filter(|held| held.user.0 == member_id)
            .count(),
        1
    );
    assert_eq!(
        call(Method::DELETE, &server, &role_path, Some(&admin), None)
            .await
            .status()
            .as_u16(),
        204
    );

    // Institutions are the platform admin's to create.
    let new_institution = json!({"kind": "research_institute", "name_en": "Institute of Roster Tests", "name_zh": "名册测试研究所", "city_code": "310000", "sector": "public_research"});
    assert_eq!(
        call(
            Method::POST,
            &server,
            "/api/v1/institutions",
            Some(&admin),
            Some(new_institution.clone())
        )
        .await
        .status()
        .as_u16(),
        403
    );
    let platform = token(&server, "admin@corridor.demo").await;
    let created = json_of(
        call(
            Method::POST,
            &server,
            "/api/v1/institutions",
            Some(&platform),
            Some(new_institution),
        )
        .await,
        201,
        "a new institution",
    )
    .await;
    let created_id = created["id"].as_i64().unwrap();
    let listed = json_of(
        call(
            Method::GET,
            &server,
            &format!("/api/v1/institutions/{created_id}"),
            None,
            None,
        )
        .await,
        200,
        "the new institution",
    )
    .await;
    assert_eq!(listed["name_zh"], "名册测试研究所");

    // The pages: the roster shows the member; the sessions page ends another browser's session.
    let admin_browser = signed_in_browser(&server, "institution-admin@corridor.demo").await;
    let page = admin_browser
        .get(server.url("/institution/people?lang=en"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains(&member_email), "the roster lists the member");
    assert!(html.contains(r#"data-testid="qualifications-form""#));
    let researcher_browser = signed_in_browser(&server, "researcher@corridor.demo").await;
    assert_eq!(
        researcher_browser
            .get(server.url("/institution/people"))
            .send()
            .await
            .unwrap()
            .status(),
        403
    );

    let phone = signed_in_browser(&server, "researcher@corridor.demo").await;
    let sessions_page = researcher_browser
        .get(server.url("/account/sessions?lang=en"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(sessions_page.contains(r#"data-current="true""#));
    let other_session = sessions_page
        .split(r#"name="session" value=""#)
        .nth(1)
        .expect("the other browser's session has an End button")
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    assert_eq!(
        phone
            .get(server.url("/account"))
            .send()
            .await
            .unwrap()
            .status(),
        200,
        "the other browser is signed in"
    );
    let ended = researcher_browser
        .post(server.url("/account/sessions/end"))
        .form(&[
            ("session", other_session.as_str()),
            ("csrf_token", csrf_token_in(&sessions_page).as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(ended.status(), 303);
    let after = phone.get(server.url("/account")).send().await.unwrap();
    assert_ne!(after.status(), 200, "the ended session no longer signs in");
    assert_eq!(
        researcher_browser
            .get(server.url("/account"))
            .send()
            .await
            .unwrap()
            .status(),
        200,
        "the browser that ended it stays signed in"
    );
    server.finish().await;
}
