//! Joining through the pages over real HTTP: sign up naming an institution (a name that fits
//! several asks which), the mailed link opens a page whose button confirms (a GET changes
//! nothing, so link scanners cannot use the link up), then sign-in works; the mail viewer is
//! the platform admins'.

use corridor_domain::EmailAddress;

use super::booking::signed_in_browser;
use super::csrf_token_in;
use crate::support::{client, sqlite_server, TestServer};

async fn latest_token_mailed_to(server: &TestServer, address: &str) -> String {
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
async fn a_newcomer_signs_up_confirms_by_button_and_signs_in() {
    let server = sqlite_server().await;
    let store = server.store();
    let institution = store
        .institution(crate::support::region_users()[0].home_institution)
        .await
        .unwrap()
        .unwrap()
        .institution;
    let browser = client();
    let form = browser
        .get(server.url("/sign-up?lang=en"))
        .send()
        .await
        .unwrap();
    assert_eq!(form.status(), 200);
    let csrf = csrf_token_in(&form.text().await.unwrap());

    // A name that fits several institutions asks which one is meant, and signs nobody up.
    let ambiguous = browser
        .post(server.url("/sign-up"))
        .form(&[
            ("display_name", "Lin Xiaoyu"),
            ("email", "lin@example.edu.cn"),
            ("password", "a long enough password"),
            ("institution", "University"),
            ("csrf_token", csrf.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(ambiguous.status(), 200);
    let page = ambiguous.text().await.unwrap();
    assert!(
        page.contains(r#"data-testid="institution-choices""#),
        "{page}"
    );
    let address = EmailAddress::parse("lin@example.edu.cn").unwrap();
    assert!(store.account_standing(&address).await.unwrap().is_none());

    let signed_up = browser
        .post(server.url("/sign-up"))
        .form(&[
            ("display_name", "Lin Xiaoyu"),
            ("email", "lin@example.edu.cn"),
            ("password", "a long enough password"),
            ("institution", institution.name_en.as_str()),
            ("language", "en"),
            ("csrf_token", csrf.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(signed_up.status(), 200);
    assert!(signed_up
        .text()
        .await
        .unwrap()
        .contains("lin@example.edu.cn"));
    let standing = store.account_standing(&address).await.unwrap().unwrap();
    assert_eq!(standing.user.home_institution, institution.id);
    assert!(!standing.email_verified);

    let token = latest_token_mailed_to(&server, "lin@example.edu.cn").await;
    let landing = browser
        .get(server.url(&format!("/verify-email?token={token}")))
        .send()
        .await
        .unwrap();
    assert_eq!(landing.status(), 200);
    let landing = landing.text().await.unwrap();
    assert!(
        landing.contains(r#"data-testid="verify-form""#),
        "{landing}"
    );
    assert!(
        !store
            .account_standing(&address)
            .await
            .unwrap()
            .unwrap()
            .email_verified,
        "opening the link alone confirms nothing"
    );
    let confirmed = browser
        .post(server.url("/verify-email"))
        .form(&[
            ("token", token.as_str()),
            ("csrf_token", csrf_token_in(&landing).as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(confirmed.status(), 200);
    assert!(
        store
            .account_standing(&address)
            .await
            .unwrap()
            .unwrap()
            .email_verified
    );

    let sign_in = browser
        .get(server.url("/sign-in"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let signed_in = browser
        .post(server.url("/sign-in"))
        .form(&[
            ("email", "lin@example.edu.cn"),
            ("password", "a long enough password"),
            ("csrf_token", csrf_token_in(&sign_in).as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(signed_in.status(), 303);
    let account = browser
        .get(server.url("/account?lang=en"))
        .send()
        .await
        .unwrap();
    assert_eq!(account.status(), 200);
    let account = account.text().await.unwrap();
    assert!(account.contains("lin@example.edu.cn"), "{account}");
    assert!(account.contains("waiting for the institution"), "{account}");
    server.finish().await;
}

#[tokio::test]
async fn a_form_without_its_csrf_token_signs_nobody_up() {
    let server = sqlite_server().await;
    let forged = client()
        .post(server.url("/sign-up"))
        .form(&[
            ("display_name", "Mallory"),
            ("email", "mallory@example.org"),
            ("password", "a long enough password"),
            ("institution", "University"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
    let address = EmailAddress::parse("mallory@example.org").unwrap();
    assert!(server
        .store()
        .account_standing(&address)
        .await
        .unwrap()
        .is_none());
    server.finish().await;
}

#[tokio::test]
async fn the_mail_viewer_shows_the_outbox_to_platform_admins_only() {
    let server = sqlite_server().await;
    let browser = client();
    let csrf = csrf_token_in(
        &browser
            .get(server.url("/reset-password"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
    );
    let asked = browser
        .post(server.url("/reset-password"))
        .form(&[
            ("email", "researcher@corridor.demo"),
            ("csrf_token", csrf.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(asked.status(), 200);

    let researcher = signed_in_browser(&server, "researcher@corridor.demo").await;
    assert_eq!(
        researcher
            .get(server.url("/admin/mail"))
            .send()
            .await
            .unwrap()
            .status(),
        403
    );
    let admin = signed_in_browser(&server, "admin@corridor.demo").await;
    let viewer = admin
        .get(server.url("/admin/mail?lang=en"))
        .send()
        .await
        .unwrap();
    assert_eq!(viewer.status(), 200);
    let viewer = viewer.text().await.unwrap();
    assert!(viewer.contains("Reset your Corridor password"), "{viewer}");
    assert!(viewer.contains("/reset-password/new?token="), "{viewer}");
    assert!(viewer.contains("No SMTP server is configured"), "{viewer}");
    server.finish().await;
}
