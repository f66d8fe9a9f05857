//! The web shell over real HTTP: the landing page, the language switch, sign-in with CSRF
//! protection, and the headers every page carries. Booking through the pages is in
//! [`booking`].

use crate::support::{client, sqlite_server, TestServer, DEMO_PASSWORD};

mod booking;
mod enrolment;
mod errors;
mod roster;
mod tokens;
mod vouchers;

fn csrf_token_in(html: &str) -> String {
    let marker = r#"name="csrf_token" value=""#;
    let start = html
        .find(marker)
        .expect("the page has a form with a CSRF token")
        + marker.len();
    html[start..start + html[start..].find('"').unwrap()].to_owned()
}

/// Signs in through the form as a browser does: fetches the form for its CSRF token, then
/// posts the demo password, with a return address when `next` is given.
async fn post_sign_in(
    server: &TestServer,
    browser: &reqwest::Client,
    email: &str,
    next: Option<&str>,
) -> reqwest::Response {
    let form_path = match next {
        Some(next) => format!(
            "/sign-in?{}",
            serde_urlencoded::to_string([("next", next)]).unwrap()
        ),
        None => "/sign-in".to_owned(),
    };
    let form = browser
        .get(server.url(&form_path))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = csrf_token_in(&form);
    let mut fields = vec![
        ("email", email),
        ("password", DEMO_PASSWORD),
        ("csrf_token", csrf.as_str()),
    ];
    if let Some(next) = next {
        fields.push(("next", next));
    }
    browser
        .post(server.url("/sign-in"))
        .form(&fields)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_landing_page_summarises_the_region_in_both_languages() {
    let server = sqlite_server().await;
    let browser = client();
    let english = browser.get(server.url("/")).send().await.unwrap();
    assert_eq!(english.status(), 200);
    let headers = english.headers().clone();
    let csp = headers
        .get("content-security-policy")
        .expect("pages carry a CSP")
        .to_str()
        .unwrap();
    assert!(
        csp.contains("default-src 'self'") && csp.contains("frame-ancestors 'none'"),
        "{csp}"
    );
    assert_eq!(headers.get("x-frame-options").unwrap(), "DENY");
    assert_eq!(headers.get("x-content-type-options").unwrap(), "nosniff");
    let html = english.text().await.unwrap();
    assert!(html.contains("Yangtze River Delta"));
    assert!(
        html.contains(r#"<tr data-province="SH">"#) && html.contains(r#"<tr data-province="AH">"#)
    );
    assert!(
        html.contains("<svg") && html.contains("/instruments?city=310000"),
        "the map links its cities"
    );
    assert!(
        html.contains(">400<"),
        "the instrument count is on the page"
    );

    let chinese = browser.get(server.url("/?lang=zh")).send().await.unwrap();
    let set_cookie: Vec<_> = chinese
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|value| value.to_str().unwrap().to_owned())
        .collect();
    assert!(
        set_cookie
            .iter()
            .any(|cookie| cookie.starts_with("corridor_lang=zh")),
        "{set_cookie:?}"
    );
    let html = chinese.text().await.unwrap();
    assert!(html.contains(r#"<html lang="zh">"#));
    assert!(html.contains("区域科研设施与仪器共享"));
    // The choice sticks: the next page without ?lang= is still Chinese.
    let html = browser
        .get(server.url("/instruments"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains(r#"<html lang="zh">"#));
}

#[tokio::test]
async fn signing_in_needs_the_right_password_and_the_forms_csrf_token() {
    let server = sqlite_server().await;
    let browser = client();
    let form = browser
        .get(server.url("/sign-in"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = csrf_token_in(&form);

    let wrong = browser
        .post(server.url("/sign-in"))
        .form(&[
            ("email", "manager@corridor.demo"),
            ("password", "not the password"),
            ("csrf_token", csrf.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    assert!(wrong.text().await.unwrap().contains("sign-in-error"));

    let forged = browser
        .post(server.url("/sign-in"))
        .form(&[
            ("email", "manager@corridor.demo"),
            ("password", DEMO_PASSWORD),
            ("csrf_token", "forged-token-forged-token-forged-token"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(
        forged.status(),
        403,
        "a form without the browser's CSRF token is refused"
    );

    let cookieless = client()
        .post(server.url("/sign-in"))
        .form(&[
            ("email", "manager@corridor.demo"),
            ("password", DEMO_PASSWORD),
            ("csrf_token", csrf.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(
        cookieless.status(),
        403,
        "a token without its cookie (another site's form) is refused"
    );

    let signed_in = browser
        .post(server.url("/sign-in"))
        .form(&[
            ("email", "Manager@Corridor.demo"),
            ("password", DEMO_PASSWORD),
            ("csrf_token", csrf.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(signed_in.status(), 303);
    let session_cookie = signed_in
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|value| value.to_str().unwrap().to_owned())
        .find(|cookie| cookie.starts_with("corridor_session="))
        .expect("a session cookie");
    assert!(
        session_cookie.contains("HttpOnly") && session_cookie.contains("SameSite=Lax"),
        "{session_cookie}"
    );

    let home = browser
        .get(server.url("/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(home.contains(r#"data-testid="signed-in-as""#) && home.contains("Chen Jing"));
    let me: serde_json::Value = browser
        .get(server.url("/api/v1/me"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["email"], "manager@corridor.demo");
    assert!(me["roles"]
        .as_array()
        .unwrap()
        .iter()
        .any(|grant| grant["role"] == "instrument_manager"));

    // A session cookie does not authorise state changes through the API (no CSRF there).
    let via_cookie = browser
        .post(server.url("/api/v1/tokens"))
        .json(&serde_json::json!({"email": "x@y.cn", "password": "p", "name": "n"}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        via_cookie.status(),
        401,
        "the password grant still needs the password"
    );

    let csrf = csrf_token_in(&home);
    // Issue 30, finding 8: a cookie and a field both set to a value of the attacker's choosing
    // no longer pass for a signed-in session (its token is bound to the session) ...
    let session_value = session_cookie
        .split(';')
        .next()
        .unwrap()
        .trim_start_matches("corridor_session=")
        .to_owned();
    let forged = reqwest::Client::new()
        .post(server.url("/sign-out"))
        .header(
            "cookie",
            format!(
                "corridor_session={session_value}; corridor_csrf=attacker-chosen-attacker-chosen-0123"
            ),
        )
        .form(&[("csrf_token", "attacker-chosen-attacker-chosen-0123")])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403, "a forged cookie and field pair");
    // ... and the right token from another site's page is refused by its Origin.
    let cross_site = browser
        .post(server.url("/sign-out"))
        .header("origin", "https://evil.example")
        .form(&[("csrf_token", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(
        cross_site.status(),
        403,
        "a form posted from another origin"
    );
    let signed_out = browser
        .post(server.url("/sign-out"))
        .form(&[("csrf_token", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(signed_out.status(), 303);
    let me = browser.get(server.url("/api/v1/me")).send().await.unwrap();
    assert_eq!(
        me.status(),
        401,
        "the session ended on the server, not only in the browser"
    );
}

#[tokio::test]
async fn instrument_pages_render_and_unknown_ones_are_404_pages() {
    let server = sqlite_server().await;
    let browser = client();
    let list = browser
        .get(server.url("/instruments?province=JS"))
        .send()
        .await
        .unwrap();
    assert_eq!(list.status(), 200);
    let html = list.text().await.unwrap();
    assert!(html.contains(r#"<option value="JS" selected>"#));
    let page = browser
        .get(server.url("/instruments/1"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("Asia/Shanghai"));
    let missing = browser
        .get(server.url("/instruments/99999999"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    assert!(missing
        .headers()
        .get("content-type")
        .unwrap()
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let bad = browser
        .get(server.url("/instruments?province=XX"))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    let problem = browser
        .get(server.url("/problems/invalid-parameter"))
        .send()
        .await
        .unwrap();
    assert_eq!(problem.status(), 200);
}

/// Every form that posts carries the CSRF double-submit field, and every form says its
/// method: a template that forgets either fails here before a browser could.
#[test]
fn every_posting_form_carries_the_csrf_token() {
    let directory = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
    let mut posting_forms = 0;
    for entry in std::fs::read_dir(&directory).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|extension| extension != "html") {
            continue;
        }
        let template = std::fs::read_to_string(&path).unwrap();
        let mut rest = template.as_str();
        while let Some(start) = rest.find("<form") {
            let form = &rest[start..];
            let end = form
                .find("</form>")
                .unwrap_or_else(|| panic!("{}: a <form> without </form>", path.display()));
            let (form, after) = form.split_at(end);
            let tag = &form[..form.find('>').unwrap()];
            let method = tag.to_lowercase();
            assert!(
                method.contains(r#"method="get""#) || method.contains(r#"method="post""#),
                "{}: a form without an explicit method: {tag}",
                path.display()
            );
            if method.contains(r#"method="post""#) {
                posting_forms += 1;
                assert!(
                    form.contains(r#"name="csrf_token" value="{{ ctx.csrf }}""#),
                    "{}: a posting form without the CSRF field: {tag}",
                    path.display()
                );
            }
            rest = after;
        }
    }
    assert!(
        posting_forms >= 10,
        "found only {posting_forms} posting forms"
    );
    println!("csrf: {posting_forms} posting forms, each with the token");
}

/// A page link passed around with tracking tags still opens: pages ignore query parameters
/// they do not know (the API keeps refusing them, as documented), and every page has an icon.
#[tokio::test]
async fn shared_links_with_tracking_tags_render_and_the_icon_is_served() {
    let server = sqlite_server().await;
    for path in [
        "/search?q=XPS&utm_source=wechat&utm_medium=share",
        "/instruments?utm=1",
        "/reach?from=320100&from_share=moments",
        "/analytics?utm_campaign=x",
        "/analytics/reach?utm_source=wechat",
        "/?utm_source=wechat",
    ] {
        let response = client().get(server.url(path)).send().await.unwrap();
        assert_eq!(response.status(), 200, "{path}");
        let html = response.text().await.unwrap();
        assert!(
            html.contains(r#"<link rel="icon" href="/favicon.svg""#),
            "{path}"
        );
    }
    let api = client()
        .get(server.url("/api/v1/search?q=XPS&utm_source=wechat"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        api.status(),
        400,
        "the API still refuses unknown parameters"
    );

    let redirect = client()
        .get(server.url("/favicon.ico"))
        .send()
        .await
        .unwrap();
    assert_eq!(redirect.status(), 308, "/favicon.ico points at the icon");
    assert_eq!(redirect.headers()["location"], "/favicon.svg");
    let icon = client()
        .get(server.url("/favicon.svg"))
        .send()
        .await
        .unwrap();
    assert_eq!(icon.status(), 200);
    assert_eq!(icon.headers()["content-type"], "image/svg+xml");
    assert!(icon.text().await.unwrap().starts_with("<svg"));
}

/// Signing in from an instrument's booking form comes back to that instrument with the slot
/// that was chosen; a return address that would leave the site is ignored.
#[tokio::test]
async fn signing_in_returns_to_the_chosen_slot_and_never_off_the_site() {
    let server = sqlite_server().await;
    let browser = client();
    let search: serde_json::Value = browser
        .get(server.url("/api/v1/search?q=XPS&limit=1"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = search["items"][0]["id"].as_i64().unwrap();
    let slot = format!("/instruments/{id}?date=2030-01-07&start=10%3A00");
    let page = browser
        .get(server.url(&slot))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let expected_link = format!(
        "/sign-in?{}",
        serde_urlencoded::to_string([(
            "next",
            format!("/instruments/{id}?date=2030-01-07&start=10%3A00").as_str()
        )])
        .unwrap()
    );
    assert!(
        page.contains(&format!(
            r#"href="{}""#,
            expected_link.replace('&', "&amp;")
        )) || page.contains(&format!(r#"href="{expected_link}""#)),
        "the sign-in link carries the slot back: {expected_link}"
    );
    let form = browser
        .get(server.url(&expected_link))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(form.contains(r#"name="next""#));
    let next = format!("/instruments/{id}?date=2030-01-07&start=10%3A00");
    let signed_in = post_sign_in(&server, &browser, "researcher@corridor.demo", Some(&next)).await;
    assert_eq!(signed_in.status(), 303);
    assert_eq!(signed_in.headers()["location"], next.as_str());

    for away in [
        "//evil.example/x",
        "https://evil.example/",
        "/\\evil.example",
        "evil",
    ] {
        let response =
            post_sign_in(&server, &client(), "researcher@corridor.demo", Some(away)).await;
        assert_eq!(response.headers()["location"], "/", "{away}");
    }
}

/// The search page says whose rate its prices are: the academic rate for a visitor, who is
/// told to sign in for theirs; a company engineer's own (industry) rate once signed in.
#[tokio::test]
async fn search_prices_say_whose_rate_they_are() {
    let server = sqlite_server().await;
    let visitor = client()
        .get(server.url("/search?q=XPS&lang=en"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        visitor.contains("<strong>Other academic</strong> (sign in to see your own rate)"),
        "a visitor sees which rate and how to get theirs"
    );
    let browser = booking::signed_in_browser(&server, "company@corridor.demo").await;
    let engineer = browser
        .get(server.url("/search?q=XPS&lang=en"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        engineer.contains("<strong>Industry</strong>"),
        "the engineer's own rate"
    );
    assert!(!engineer.contains("sign in to see your own rate"));
}
