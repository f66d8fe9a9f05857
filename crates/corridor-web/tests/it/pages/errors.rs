//! Errors a person can read (issue 31): a request that asks for HTML and fails gets a page in
//! the reader's language with a way back and the same status code; the API and clients that
//! ask for JSON keep problem+json.

use crate::support::{client, sqlite_server};

const BROWSER_ACCEPT: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

async fn fetch(
    server: &crate::support::TestServer,
    method: reqwest::Method,
    path: &str,
    accept: &str,
) -> (u16, String, String) {
    let response = client()
        .request(method, server.url(path))
        .header("accept", accept)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|value| value.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, content_type, response.text().await.unwrap())
}

#[tokio::test]
async fn a_mistyped_address_shows_a_page_with_a_way_back_in_the_readers_language() {
    let server = sqlite_server().await;
    let (status, content_type, html) = fetch(
        &server,
        reqwest::Method::GET,
        "/instrumnets?lang=en",
        BROWSER_ACCEPT,
    )
    .await;
    assert_eq!(status, 404);
    assert!(content_type.starts_with("text/html"), "{content_type}");
    assert!(html.contains(r#"<html lang="en">"#));
    assert!(html.contains(r#"data-testid="error-page" data-status="404""#));
    assert!(html.contains("Page not found"));
    assert!(html.contains(r#"action="/search""#) && html.contains(r#"href="/""#));
    assert!(!html.contains("/problems/not-found"), "no raw problem+json");

    let (status, content_type, html) = fetch(
        &server,
        reqwest::Method::GET,
        "/instrumnets?lang=zh",
        BROWSER_ACCEPT,
    )
    .await;
    assert_eq!(status, 404);
    assert!(content_type.starts_with("text/html"));
    assert!(html.contains(r#"<html lang="zh">"#));
    assert!(html.contains("找不到页面") && html.contains("返回首页"));

    // The language also comes from the browser's Accept-Language, as on every page.
    let response = client()
        .get(server.url("/no/such/page"))
        .header("accept", BROWSER_ACCEPT)
        .header("accept-language", "zh-CN,zh;q=0.9")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    assert!(response.text().await.unwrap().contains("找不到页面"));
}

#[tokio::test]
async fn clients_that_ask_for_json_and_the_api_keep_problem_json() {
    let server = sqlite_server().await;
    for (path, accept) in [
        ("/instrumnets", "application/json"),
        ("/instrumnets", "*/*"),
        // A browser's Accept header on the API still gets the documented shape.
        ("/api/v1/no-such-route", BROWSER_ACCEPT),
        ("/api/v1/instruments/99999999", BROWSER_ACCEPT),
    ] {
        let (status, content_type, body) = fetch(&server, reqwest::Method::GET, path, accept).await;
        assert_eq!(status, 404, "{path}");
        assert_eq!(content_type, "application/problem+json", "{path} {accept}");
        let problem: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(problem["type"], "/problems/not-found");
    }
}

#[tokio::test]
async fn other_failures_of_a_page_request_keep_their_status_as_pages() {
    let server = sqlite_server().await;
    // A method the route does not take.
    let (status, content_type, html) =
        fetch(&server, reqwest::Method::DELETE, "/search", BROWSER_ACCEPT).await;
    assert_eq!(status, 405);
    assert!(content_type.starts_with("text/html"), "{content_type}");
    assert!(html.contains(r#"data-status="405""#));
    // A form posted without its CSRF token.
    let response = client()
        .post(server.url("/sign-in"))
        .header("accept", BROWSER_ACCEPT)
        .form(&[("email", "researcher@corridor.demo"), ("password", "x")])
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    assert!(
        (400..500).contains(&status),
        "a form without its token is refused: {status}"
    );
    assert!(response
        .headers()
        .get("content-type")
        .unwrap()
        .to_str()
        .unwrap()
        .starts_with("text/html"));
}
