//! Joining through the JSON API over real HTTP: sign up, confirm from the mailed secret,
//! sign in, read one's standing, and be admitted by the institution's admin; the answers to
//! a known and an unknown address are the same.

use reqwest::Method;
use serde_json::json;

use crate::bookings::{call, json_of, token};
use crate::support::{sqlite_server, TestServer};

async fn secret_mailed_to(server: &TestServer, address: &str) -> String {
    let messages = server.store().recent_outbox_messages(100).await.unwrap();
    let message = messages
        .iter()
        .find(|message| message.recipient_email == address && message.body.contains("token="))
        .unwrap_or_else(|| panic!("no link was mailed to {address}"));
    let start = message.body.find("token=").unwrap() + "token=".len();
    message.body[start..]
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn a_newcomer_joins_through_the_api_and_is_admitted() {
    let server = sqlite_server().await;
    let admin = token(&server, "institution-admin@corridor.demo").await;
    let admin_me = json_of(
        call(Method::GET, &server, "/api/v1/me", Some(&admin), None).await,
        200,
        "the institution admin",
    )
    .await;
    let institution = admin_me["home_institution_id"].as_i64().unwrap();

    let body = json!({
        "email": "api.joiner@example.edu.cn",
        "display_name": "Api Joiner",
        "password": "a long enough password",
        "institution_id": institution,
        "language": "zh",
    });
    let new = call(
        Method::POST,
        &server,
        "/api/v1/accounts",
        None,
        Some(body.clone()),
    )
    .await;
    let new_status = new.status().as_u16();
    let new_body: serde_json::Value = new.json().await.unwrap();
    // The same address again answers exactly alike.
    let again = call(Method::POST, &server, "/api/v1/accounts", None, Some(body)).await;
    assert_eq!(new_status, 202);
    assert_eq!(again.status().as_u16(), 202);
    assert_eq!(again.json::<serde_json::Value>().await.unwrap(), new_body);

    let unverified = call(
        Method::POST,
        &server,
        "/api/v1/tokens",
        None,
        Some(json!({"email": "api.joiner@example.edu.cn", "password": "a long enough password", "name": "t"})),
    )
    .await;
    assert_eq!(unverified.status().as_u16(), 403);

    let secret = secret_mailed_to(&server, "api.joiner@example.edu.cn").await;
    let verified = json_of(
        call(
            Method::POST,
            &server,
            "/api/v1/accounts/verification",
            None,
            Some(json!({ "token": secret })),
        )
        .await,
        200,
        "verification",
    )
    .await;
    assert_eq!(verified["email"], "api.joiner@example.edu.cn");
    let reused = call(
        Method::POST,
        &server,
        "/api/v1/accounts/verification",
        None,
        Some(json!({ "token": secret })),
    )
    .await;
    assert_eq!(reused.status().as_u16(), 400);

    let joiner = json_of(
        call(
            Method::POST,
            &server,
            "/api/v1/tokens",
            None,
            Some(json!({"email": "api.joiner@example.edu.cn", "password": "a long enough password", "name": "t"})),
        )
        .await,
        201,
        "token of the new account",
    )
    .await["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let account = json_of(
        call(
            Method::GET,
            &server,
            "/api/v1/me/account",
            Some(&joiner),
            None,
        )
        .await,
        200,
        "my account",
    )
    .await;
    assert_eq!(account["membership"], "requested");
    assert_eq!(account["email_verified"], true);
    let user_id = account["id"].as_i64().unwrap();

    // A researcher cannot see the institution's requests; its admin can, and admits.
    let researcher = token(&server, "researcher@corridor.demo").await;
    let path = format!("/api/v1/institutions/{institution}/membership-requests");
    assert_eq!(
        call(Method::GET, &server, &path, Some(&researcher), None)
            .await
            .status()
            .as_u16(),
        403
    );
    let requests = json_of(
        call(Method::GET, &server, &path, Some(&admin), None).await,
        200,
        "requests",
    )
    .await;
    assert!(requests
        .as_array()
        .unwrap()
        .iter()
        .any(|request| request["user_id"] == user_id));
    let decision = format!("/api/v1/institutions/{institution}/members/{user_id}/decision");
    let decided = call(
        Method::POST,
        &server,
        &decision,
        Some(&admin),
        Some(json!({"decision": "admit"})),
    )
    .await;
    assert_eq!(decided.status().as_u16(), 204);
    let twice = call(
        Method::POST,
        &server,
        &decision,
        Some(&admin),
        Some(json!({"decision": "admit"})),
    )
    .await;
    assert_eq!(twice.status().as_u16(), 409);
    let account = json_of(
        call(
            Method::GET,
            &server,
            "/api/v1/me/account",
            Some(&joiner),
            None,
        )
        .await,
        200,
        "my account after admission",
    )
    .await;
    assert_eq!(account["membership"], "admitted");

    // A reset for an unknown address answers like one for a known address.
    let unknown = call(
        Method::POST,
        &server,
        "/api/v1/accounts/password-reset",
        None,
        Some(json!({"email": "nobody@example.org"})),
    )
    .await;
    let known = call(
        Method::POST,
        &server,
        "/api/v1/accounts/password-reset",
        None,
        Some(json!({"email": "api.joiner@example.edu.cn"})),
    )
    .await;
    assert_eq!(unknown.status().as_u16(), 202);
    assert_eq!(known.status().as_u16(), 202);
    assert_eq!(
        unknown.json::<serde_json::Value>().await.unwrap(),
        known.json::<serde_json::Value>().await.unwrap()
    );
    server.finish().await;
}
