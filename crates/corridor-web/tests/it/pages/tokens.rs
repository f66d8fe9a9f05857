//! The API tokens page over real HTTP: a token made there works against the API, is listed,
//! and once revoked there is refused at once by every node serving the same database.

use super::booking::signed_in_browser;
use super::csrf_token_in;
use crate::support::{client, second_node, sqlite_server};

#[tokio::test]
async fn a_token_made_on_the_page_works_until_it_is_revoked_there() {
    let server = sqlite_server().await;
    let other_node = second_node(&server).await;
    let browser = signed_in_browser(&server, "researcher@corridor.demo").await;
    let page = browser
        .get(server.url("/account/tokens"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let page = page.text().await.unwrap();
    assert!(page.contains(r#"data-testid="no-tokens""#), "{page}");
    let csrf = csrf_token_in(&page);

    // A lifetime beyond the longest is refused with the form's own message.
    let too_long = browser
        .post(server.url("/account/tokens"))
        .form(&[
            ("name", "laptop"),
            ("lifetime_days", "3650"),
            ("csrf_token", csrf.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(too_long.status(), 400);
    assert!(too_long.text().await.unwrap().contains("page-error"));

    let created = browser
        .post(server.url("/account/tokens"))
        .form(&[
            ("name", "laptop"),
            ("lifetime_days", "30"),
            ("csrf_token", csrf.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let created = created.text().await.unwrap();
    let marker = r#"data-testid="token-secret">"#;
    let start = created.find(marker).expect("the secret is shown once") + marker.len();
    let secret = created[start..start + created[start..].find('<').unwrap()].to_owned();
    assert!(created.contains(r#"data-active="true""#));

    let me = |node: &crate::support::TestServer| {
        client()
            .get(node.url("/api/v1/me"))
            .bearer_auth(&secret)
            .send()
    };
    assert_eq!(me(&server).await.unwrap().status(), 200);
    assert_eq!(me(&other_node).await.unwrap().status(), 200);
    // The listing never shows the secret again.
    let listed = browser
        .get(server.url("/account/tokens"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!listed.contains(&secret));
    let marker = r#"action="/account/tokens/"#;
    let start = listed.find(marker).expect("a revoke button") + marker.len();
    let id = &listed[start..start + listed[start..].find('/').unwrap()];

    let revoked = browser
        .post(server.url(&format!("/account/tokens/{id}/revoke")))
        .form(&[("csrf_token", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 303);
    assert_eq!(
        me(&server).await.unwrap().status(),
        401,
        "refused at once on the node that revoked it"
    );
    assert_eq!(
        me(&other_node).await.unwrap().status(),
        401,
        "and at once on every other node"
    );
    let listed = browser
        .get(server.url("/account/tokens?notice=revoked"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        listed.contains(r#"data-active="false""#) && listed.contains(r#"data-testid="notice""#)
    );

    // Someone else cannot revoke a token that is not theirs: it does not exist for them.
    let manager = signed_in_browser(&server, "manager@corridor.demo").await;
    let manager_page = manager
        .get(server.url("/account/tokens"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let refused = manager
        .post(server.url(&format!("/account/tokens/{id}/revoke")))
        .form(&[("csrf_token", csrf_token_in(&manager_page).as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 404);
    other_node.finish().await;
    server.finish().await;
}
