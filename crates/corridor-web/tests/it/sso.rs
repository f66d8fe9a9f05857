//! Single sign-on end to end against a real OpenID provider: panva's `oidc-provider`, run by
//! `scripts/oidc-provider.js` under node (installed by `npm ci` in scripts/oidc-provider, which
//! scripts/test runs). The test fails, never skips, when node or the package is missing.
//!
//! The browser is played by reqwest with a cookie jar: the sign-in page's button, the
//! provider's sign-in form (its development interactions take a login and any password), the
//! redirect back. First sign-in makes the account (admitted by the home-organisation claim), a
//! later one finds it; an address with a password account is linked only when the provider
//! vouches for it; a replayed state, a forged nonce, a wrong `iss`, a person who cancelled at
//! the provider and an institution nobody mapped are each refused with a page, never a 500.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;

use corridor_app::sso::config::SsoConfig;
use corridor_domain::{EmailAddress, Membership};
use corridor_store::PageRequest;
use reqwest::cookie::Jar;

use crate::support::{region, sqlite_server_with, TestServer};

/// The provider's process, ended when the test is done (or fails).
struct Provider {
    child: Child,
    issuer: String,
}

impl Drop for Provider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts the provider with one client whose callback is `redirect`, and waits until it listens.
fn start_provider(port: u16, redirect: &str) -> Provider {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let script = root.join("scripts/oidc-provider.js");
    let mut child = Command::new("node")
        .arg(&script)
        .args(["--port", &port.to_string(), "--redirect", redirect])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|error| {
            panic!("node is required for the single sign-on test and could not start: {error}")
        });
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    loop {
        match lines.next() {
            Some(Ok(line)) if line.contains("oidc-provider listening") => break,
            Some(Ok(_)) => continue,
            _ => {
                let status = child.wait();
                panic!(
                    "the OpenID provider did not start ({status:?}); run `npm ci` in scripts/oidc-provider"
                );
            }
        }
    }
    // Keep reading its output so that it never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    Provider {
        child,
        issuer: format!("http://127.0.0.1:{port}"),
    }
}

struct Setup {
    server: TestServer,
    _provider: Provider,
    issuer: String,
    institution: corridor_domain::InstitutionId,
}

async fn setup() -> Setup {
    let port = free_port();
    let institution = region().institutions[0].id;
    let issuer = format!("http://127.0.0.1:{port}");
    let mut provider = None;
    let server = sqlite_server_with(|base| {
        let redirect = format!("{base}/sign-in/sso/campus/callback");
        provider = Some(start_provider(port, &redirect));
        let config: SsoConfig = serde_json::from_value(serde_json::json!({
            "providers": [{
                "id": "campus",
                "name_en": "Corridor University",
                "name_zh": "走廊大学",
                "issuer": issuer,
                "client_id": "corridor",
                "client_secret": "corridor-test-secret",
                "scopes": ["email", "profile", "schac"],
                "institution_claim": "schac_home_organization",
                "institutions": { "corridor-university.example": institution.0 }
            }]
        }))
        .unwrap();
        corridor_app::NodeOptions {
            public_base_url: Some(base.to_owned()),
            sso: Some(config),
            ..Default::default()
        }
    })
    .await;
    let provider = provider.unwrap();
    assert_eq!(provider.issuer, issuer);
    Setup {
        server,
        _provider: provider,
        issuer,
        institution,
    }
}

/// A browser: a cookie jar shared by the site and the provider, redirects followed by hand.
fn browser() -> (reqwest::Client, Arc<Jar>) {
    let jar = Arc::new(Jar::default());
    let client = reqwest::Client::builder()
        .cookie_provider(jar.clone())
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    (client, jar)
}

fn attribute_after<'a>(html: &'a str, marker: &str, attribute: &str) -> Option<&'a str> {
    let start = html.find(marker)?;
    let rest = &html[start..];
    let value_start = rest.find(&format!("{attribute}=\""))? + attribute.len() + 2;
    let value = &rest[value_start..];
    Some(&value[..value.find('"')?])
}

fn location(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("location")
        .unwrap_or_else(|| panic!("a redirect, got {}", response.status()))
        .to_str()
        .unwrap()
        .to_owned()
}

/// Presses the provider's button on the sign-in page; answers the provider's address.
async fn press_button(client: &reqwest::Client, server: &TestServer) -> String {
    let page = client
        .get(server.url("/sign-in?next=/account"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("data-testid=\"sso-campus\"")
            && page.contains("Sign in with Corridor University"),
        "the sign-in page offers the provider"
    );
    let href = attribute_after(&page, "<ul class=\"sso-buttons\"", "href")
        .expect("the provider's button")
        .replace("&amp;", "&");
    assert_eq!(href, "/sign-in/sso/campus?next=%2Faccount");
    let response = client.get(server.url(&href)).send().await.unwrap();
    assert_eq!(response.status(), 303, "the button sends the browser on");
    let authorize = location(&response);
    assert!(
        authorize.contains("code_challenge_method=S256"),
        "{authorize}"
    );
    assert!(authorize.contains("nonce="), "{authorize}");
    authorize
}

/// At the provider: follows its redirects, signs in as `login` when it asks, and answers the
/// address it sends the browser back to (the site's callback).
async fn at_provider(client: &reqwest::Client, issuer: &str, start: &str, login: &str) -> String {
    let mut url = start.to_owned();
    for _ in 0..10 {
        if !url.starts_with(issuer) {
            return url;
        }
        let response = client.get(&url).send().await.unwrap();
        if response.status().is_redirection() {
            let next = location(&response);
            url = if next.starts_with('/') {
                format!("{issuer}{next}")
            } else {
                next
            };
            continue;
        }
        let page = response.text().await.unwrap();
        let action = attribute_after(&page, "<form", "action")
            .unwrap_or_else(|| panic!("the provider's sign-in form: {page}"));
        let action = if action.starts_with('/') {
            format!("{issuer}{action}")
        } else {
            action.to_owned()
        };
        let response = client
            .post(action)
            .form(&[("prompt", "login"), ("login", login), ("password", "any")])
            .send()
            .await
            .unwrap();
        let next = location(&response);
        url = if next.starts_with('/') {
            format!("{issuer}{next}")
        } else {
            next
        };
    }
    panic!("the provider never sent the browser back");
}

/// Signs `login` in from the sign-in page; answers the callback's response.
async fn sign_in(client: &reqwest::Client, setup: &Setup, login: &str) -> reqwest::Response {
    let authorize = press_button(client, &setup.server).await;
    let callback = at_provider(client, &setup.issuer, &authorize, login).await;
    assert!(
        callback.starts_with(&setup.server.url("/sign-in/sso/campus/callback")),
        "{callback}"
    );
    assert!(
        callback.contains("iss="),
        "the provider names itself (RFC 9207): {callback}"
    );
    client.get(&callback).send().await.unwrap()
}

async fn failure_of(response: reqwest::Response) -> (u16, String) {
    let status = response.status().as_u16();
    let page = response.text().await.unwrap();
    let failure = attribute_after(&page, "data-testid=\"sso-failed\"", "data-failure")
        .unwrap_or_else(|| panic!("a failure page, got {status}: {page}"))
        .to_owned();
    (status, failure)
}

#[tokio::test]
async fn people_sign_in_through_a_real_openid_provider() {
    let setup = setup().await;
    let store = setup.server.store();
    let alice = EmailAddress::parse("alice@corridor-university.example").unwrap();

    // First sign-in: the account is made, admitted to the mapped institution, and signed in.
    let (client, jar) = browser();
    let response = sign_in(&client, &setup, "alice").await;
    assert_eq!(response.status(), 303);
    assert_eq!(location(&response), "/account");
    let account = client
        .get(setup.server.url("/account"))
        .send()
        .await
        .unwrap();
    assert_eq!(account.status(), 200);
    let page = account.text().await.unwrap();
    assert!(page.contains(alice.as_str()), "{page}");
    let standing = store.account_standing(&alice).await.unwrap().unwrap();
    assert_eq!(standing.user.home_institution, setup.institution);
    assert_eq!(standing.membership, Membership::Admitted);
    assert!(
        standing.email_verified,
        "the provider vouched for the address"
    );
    assert!(!standing.has_password);
    let alice_id = standing.user.id;
    let identities = store.sso_identities_of(alice_id).await.unwrap();
    assert_eq!(identities.len(), 1);
    assert_eq!(identities[0].issuer, setup.issuer);
    assert_eq!(identities[0].subject, "alice");

    // The same callback again, with the state cookie put back: the state was taken.
    let authorize = press_button(&client, &setup.server).await;
    let callback = at_provider(&client, &setup.issuer, &authorize, "alice").await;
    let state = callback
        .split(['?', '&'])
        .find_map(|pair| pair.strip_prefix("state="))
        .unwrap()
        .to_owned();
    assert_eq!(client.get(&callback).send().await.unwrap().status(), 303);
    let site: reqwest::Url = setup.server.url("/sign-in/sso").parse().unwrap();
    jar.add_cookie_str(
        &format!("corridor_sso_state={state}; Path=/sign-in/sso"),
        &site,
    );
    let (status, failure) = failure_of(client.get(&callback).send().await.unwrap()).await;
    assert_eq!((status, failure.as_str()), (400, "sso-expired"));

    // A later sign-in in another browser finds the same account by its identity.
    let (other, _) = browser();
    let response = sign_in(&other, &setup, "alice").await;
    assert_eq!(response.status(), 303);
    let again = store.account_standing(&alice).await.unwrap().unwrap();
    assert_eq!(again.user.id, alice_id);
    let created = store
        .audit_events(PageRequest::default())
        .await
        .unwrap()
        .items
        .iter()
        .filter(|event| event.action == "sso.account_created")
        .count();
    assert_eq!(created, 1, "one account, made once");

    // A forged nonce: the ID token carries the provider's copy, which is not the sign-in's.
    let (forger, _) = browser();
    let authorize = press_button(&forger, &setup.server).await;
    let forged: String = authorize
        .split('&')
        .map(|pair| {
            if pair.starts_with("nonce=") {
                "nonce=forged-nonce".to_owned()
            } else {
                pair.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("&");
    let callback = at_provider(&forger, &setup.issuer, &forged, "alice").await;
    let (status, failure) = failure_of(forger.get(&callback).send().await.unwrap()).await;
    assert_eq!((status, failure.as_str()), (400, "sso-rejected"));

    // A callback naming another issuer (a mix-up) is refused before the code is redeemed.
    let (mixed, _) = browser();
    let authorize = press_button(&mixed, &setup.server).await;
    let callback = at_provider(&mixed, &setup.issuer, &authorize, "alice").await;
    let elsewhere: String = callback
        .split('&')
        .map(|pair| {
            if pair.starts_with("iss=") {
                "iss=http%3A%2F%2Fevil.example".to_owned()
            } else {
                pair.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("&");
    assert_ne!(elsewhere, callback);
    let (status, failure) = failure_of(mixed.get(&elsewhere).send().await.unwrap()).await;
    assert_eq!((status, failure.as_str()), (400, "sso-rejected"));

    // A callback without the browser's state cookie (a sign-in started elsewhere).
    let (victim, _) = browser();
    let (attacker, _) = browser();
    let authorize = press_button(&attacker, &setup.server).await;
    let callback = at_provider(&attacker, &setup.issuer, &authorize, "alice").await;
    let (status, failure) = failure_of(victim.get(&callback).send().await.unwrap()).await;
    assert_eq!((status, failure.as_str()), (400, "sso-state-mismatch"));

    // Someone whose home organisation nobody mapped gets no account, and is told why.
    let (bob, _) = browser();
    let (status, failure) = failure_of(sign_in(&bob, &setup, "bob").await).await;
    assert_eq!((status, failure.as_str()), (403, "sso-unknown-institution"));
    let bob_address = EmailAddress::parse("bob@unknown-college.example").unwrap();
    assert!(store
        .account_standing(&bob_address)
        .await
        .unwrap()
        .is_none());

    // An address that has a password account: linked when the provider vouches for it,
    // refused when it does not (and the account is left alone).
    let password_account = |address: &str| corridor_store::NewUser {
        email: EmailAddress::parse(address).unwrap(),
        display_name: "Has a password".into(),
        home_institution: setup.institution,
        preferred_language: corridor_domain::Language::English,
        password_hash: Some("not-a-real-hash".into()),
        roles: Vec::new(),
    };
    let context = corridor_store::AuditContext::default();
    let dave = store
        .create_user(
            &password_account("dave@corridor-university.example"),
            &context,
        )
        .await
        .unwrap();
    let carol = store
        .create_user(
            &password_account("carol@corridor-university.example"),
            &context,
        )
        .await
        .unwrap();
    let (dave_browser, _) = browser();
    let response = sign_in(&dave_browser, &setup, "dave").await;
    assert_eq!(response.status(), 303, "a vouched-for address links");
    let linked = store.sso_identities_of(dave.id).await.unwrap();
    assert_eq!(linked.len(), 1);
    assert_eq!(linked[0].subject, "dave");
    let (carol_browser, _) = browser();
    let (status, failure) = failure_of(sign_in(&carol_browser, &setup, "carol").await).await;
    assert_eq!((status, failure.as_str()), (409, "sso-address-taken"));
    assert!(store.sso_identities_of(carol.id).await.unwrap().is_empty());
    let actions: Vec<String> = store
        .audit_events(PageRequest::default())
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|event| event.action)
        .filter(|action| action.starts_with("sso."))
        .collect();
    assert_eq!(actions, vec!["sso.identity_linked", "sso.account_created"]);

    // Someone who cancels at the provider comes back refused.
    let (quitter, _) = browser();
    let authorize = press_button(&quitter, &setup.server).await;
    let interaction = quitter.get(&authorize).send().await.unwrap();
    let interaction = format!("{}{}", setup.issuer, location(&interaction));
    let abort = quitter
        .get(format!("{interaction}/abort"))
        .send()
        .await
        .unwrap();
    let next = location(&abort);
    let next = if next.starts_with('/') {
        format!("{}{next}", setup.issuer)
    } else {
        next
    };
    let callback = at_provider(&quitter, &setup.issuer, &next, "alice").await;
    let (status, failure) = failure_of(quitter.get(&callback).send().await.unwrap()).await;
    assert_eq!((status, failure.as_str()), (403, "sso-denied"));

    // The Chinese page words the failure in Chinese.
    let (reader, _) = browser();
    let response = reader
        .get(
            setup
                .server
                .url("/sign-in/sso/campus/callback?state=x&code=y&lang=zh"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    assert!(response.text().await.unwrap().contains("其他浏览器"));
    setup.server.finish().await;
}
