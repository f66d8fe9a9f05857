//! The JSON API over real HTTP: answers, pagination, snapshots, and problem+json for every
//! kind of bad input on every route of the OpenAPI document.

use serde_json::Value;

use crate::support::{
    client, expect_problem, postgres_server, sqlite_server, TestServer, DEMO_PASSWORD,
};

async fn admin_token(server: &TestServer) -> String {
    let response = client()
        .post(server.url("/api/v1/tokens"))
        .json(&serde_json::json!({"email": "admin@corridor.demo", "password": DEMO_PASSWORD, "name": "test"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let body: Value = response.json().await.unwrap();
    body["token"].as_str().unwrap().to_owned()
}

async fn get_json(server: &TestServer, path: &str) -> Value {
    let response = client().get(server.url(path)).send().await.unwrap();
    assert_eq!(response.status(), 200, "GET {path}");
    response.json().await.unwrap()
}

async fn health_lists_and_summary_agree(server: &TestServer, backend: &str) {
    let health = get_json(server, "/healthz").await;
    assert_eq!(health["status"], "ok");
    assert_eq!(health["backend"], backend);
    assert_eq!(health["region_loaded"], true);

    let first = get_json(server, "/api/v1/instruments?limit=1").await;
    assert_eq!(first["total"], 400);
    assert_eq!(first["items"].as_array().unwrap().len(), 1);
    assert_eq!(first["next_cursor"], "1");

    // Walking the pages visits every instrument exactly once.
    let mut seen = Vec::new();
    let mut path = "/api/v1/instruments?limit=150".to_owned();
    loop {
        let page = get_json(server, &path).await;
        seen.extend(
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|item| item["id"].as_i64().unwrap()),
        );
        match page["next_cursor"].as_str() {
            Some(cursor) => path = format!("/api/v1/instruments?limit=150&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(seen, (1..=400).collect::<Vec<i64>>());

    let summary = get_json(server, "/api/v1/stats/summary").await;
    assert_eq!(summary["instruments"], 400);
    let by_province = summary["instruments_by_province"].as_object().unwrap();
    assert_eq!(
        by_province.keys().collect::<Vec<_>>(),
        ["AH", "JS", "OUT", "SH", "ZJ"]
    );
    assert_eq!(
        by_province
            .values()
            .map(|count| count.as_u64().unwrap())
            .sum::<u64>(),
        400
    );
    for kind in [
        "university",
        "research_institute",
        "corporation",
        "hospital",
        "facility_operator",
    ] {
        assert!(
            summary["institutions_by_kind"][kind].as_u64().unwrap() > 0,
            "{kind}"
        );
    }

    let shanghai = get_json(server, "/api/v1/instruments?province=SH&limit=500").await;
    let items = shanghai["items"].as_array().unwrap();
    assert_eq!(items.len() as u64, by_province["SH"].as_u64().unwrap());
    assert!(items.iter().all(|item| item["place"]["province"] == "SH"));

    let nanjing = get_json(server, "/api/v1/cities/320100").await;
    assert_eq!(nanjing["name_zh"], "南京市");
    let beamlines = get_json(server, "/api/v1/beamlines").await;
    assert!(beamlines.as_array().unwrap().len() >= 30);
}

#[tokio::test]
async fn sqlite_health_lists_and_summary_agree() {
    let server = sqlite_server().await;
    health_lists_and_summary_agree(&server, "sqlite").await;
}

#[tokio::test]
async fn every_answer_carries_its_request_id() {
    let server = sqlite_server().await;
    let first = client().get(server.url("/healthz")).send().await.unwrap();
    let second = client()
        .get(server.url("/no/such/page"))
        .send()
        .await
        .unwrap();
    let id = |response: &reqwest::Response| {
        response
            .headers()
            .get("x-request-id")
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned)
    };
    let (first, second) = (id(&first).expect("an id"), id(&second).expect("an id"));
    assert_ne!(first, second, "each request has its own id");
    // A load balancer's id is kept, so one request can be followed through both logs.
    let forwarded = client()
        .get(server.url("/healthz"))
        .header("x-request-id", "lb-7f3a:12")
        .send()
        .await
        .unwrap();
    assert_eq!(id(&forwarded).as_deref(), Some("lb-7f3a:12"));
}

#[tokio::test]
async fn postgres_health_lists_and_summary_agree() {
    let server = postgres_server().await;
    health_lists_and_summary_agree(&server, "postgres").await;
    server.finish().await;
}

/// A value that the parameter's schema type refuses: a word where a number is expected,
/// punctuation where a code is expected.
fn invalid_value_for(parameter: &Value) -> String {
    if parameter["name"] == "q" {
        // Any text is a query; only its length is limited.
        return "x".repeat(201);
    }
    if parameter["name"] == "file_name" {
        // Any text names a catalogue file; only its length is limited.
        return "x".repeat(corridor_app::catalogue::LONGEST_FILE_NAME_CHARS + 1);
    }
    if parameter["name"] == "kind" {
        // Any text is a group's key (an unknown one opens nothing); only its length is limited.
        return "x".repeat(401);
    }
    match parameter["schema"]["type"].as_str() {
        Some("integer") | Some("number") => "not-a-number".to_owned(),
        Some("boolean") => "perhaps".to_owned(),
        _ => "!!bad!!".to_owned(),
    }
}

#[tokio::test]
async fn every_route_answers_bad_input_with_a_problem() {
    let server = sqlite_server().await;
    // Signed in as a platform admin, so that what is checked is the input, not the access.
    let token = admin_token(&server).await;
    let openapi = get_json(&server, "/api/v1/openapi.json").await;
    let paths = openapi["paths"].as_object().unwrap();
    assert!(paths.len() >= 13, "the document lists the routes");
    let mut checked = 0;
    for (path, operations) in paths {
        for (method, operation) in operations.as_object().unwrap() {
            let parameters = operation["parameters"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            let concrete = |value: &str| {
                let mut concrete = format!("/api/v1{path}");
                for parameter in parameters
                    .iter()
                    .filter(|parameter| parameter["in"] == "path")
                {
                    concrete = concrete.replace(
                        &format!("{{{}}}", parameter["name"].as_str().unwrap()),
                        value,
                    );
                }
                concrete
            };
            let request = |url: String| match method.as_str() {
                "get" => client().get(url).bearer_auth(&token),
                "delete" => client().delete(url).bearer_auth(&token),
                "post" => client()
                    .post(url)
                    .bearer_auth(&token)
                    .header("content-type", "application/json")
                    .body("{}"),
                "put" => client()
                    .put(url)
                    .bearer_auth(&token)
                    .header("content-type", "application/json")
                    .body("{}"),
                other => panic!("untested method {other}"),
            };
            // Path parameters that are not what they should be.
            for parameter in parameters
                .iter()
                .filter(|parameter| parameter["in"] == "path")
            {
                let url = server.url(&concrete(&invalid_value_for(parameter)));
                expect_problem(
                    request(url.clone()).send().await.unwrap(),
                    400,
                    &format!("{method} {url}"),
                )
                .await;
                checked += 1;
            }
            // Each query parameter with a value its type refuses, and a parameter that does not exist.
            let valid_path = concrete("1");
            for parameter in parameters
                .iter()
                .filter(|parameter| parameter["in"] == "query")
            {
                let name = parameter["name"].as_str().unwrap();
                let url = server.url(&format!(
                    "{valid_path}?{name}={}",
                    invalid_value_for(parameter)
                ));
                let body = expect_problem(
                    request(url.clone()).send().await.unwrap(),
                    400,
                    &format!("{method} {url}"),
                )
                .await;
                assert_eq!(body["type"], "/problems/invalid-parameter", "{url}");
                checked += 1;
            }
            if parameters
                .iter()
                .any(|parameter| parameter["in"] == "query")
            {
                let url = server.url(&format!("{valid_path}?no_such_parameter=1"));
                expect_problem(
                    request(url.clone()).send().await.unwrap(),
                    400,
                    &format!("{method} {url}"),
                )
                .await;
                checked += 1;
            }
            // A method the route does not have (checked once per route).
            if method == operations.as_object().unwrap().keys().next().unwrap() {
                let missing = ["patch", "put", "delete", "post", "get"]
                    .into_iter()
                    .find(|candidate| !operations.as_object().unwrap().contains_key(*candidate))
                    .unwrap();
                let wrong_method = client()
                    .request(
                        missing.to_uppercase().parse().unwrap(),
                        server.url(&valid_path),
                    )
                    .bearer_auth(&token);
                expect_problem(
                    wrong_method.send().await.unwrap(),
                    405,
                    &format!("{missing} on {path}"),
                )
                .await;
                checked += 1;
            }
        }
    }
    println!("bad-input cases checked over the OpenAPI document: {checked}");
    assert!(checked >= 40, "{checked}");
}

#[tokio::test]
async fn specific_bad_inputs_get_specific_problems() {
    let server = sqlite_server().await;
    let cases: &[(&str, u16, &str)] = &[
        ("/api/v1/instruments?limit=0", 400, "limit"),
        ("/api/v1/instruments?limit=501", 400, "limit"),
        ("/api/v1/instruments?limit=-3", 400, "limit"),
        ("/api/v1/instruments?province=BJ", 400, "province"),
        ("/api/v1/instruments?category=0x", 400, "category"),
        ("/api/v1/instruments?city=12", 400, "city"),
        ("/api/v1/instruments?cursor=abc", 400, "cursor"),
        ("/api/v1/institutions?kind=castle", 400, "kind"),
        ("/api/v1/instruments/99999999", 404, ""),
        ("/api/v1/cities/999999", 400, "city"),
        ("/api/v1/cities/500100", 404, ""),
        ("/api/v1/no-such-route", 404, ""),
        ("/api/v1/me", 401, ""),
        ("/api/v1/audit-events", 401, ""),
    ];
    for (path, status, parameter) in cases {
        let body = expect_problem(
            client().get(server.url(path)).send().await.unwrap(),
            *status,
            path,
        )
        .await;
        if !parameter.is_empty() {
            assert_eq!(body["parameter"], *parameter, "{path}: {body}");
        }
    }
    let garbage_token = client()
        .get(server.url("/api/v1/me"))
        .header("authorization", "Bearer crd_nonsense")
        .send()
        .await
        .unwrap();
    expect_problem(garbage_token, 401, "unknown bearer token").await;
    let not_bearer = client()
        .get(server.url("/api/v1/instruments"))
        .header("authorization", "Basic Zm9vOmJhcg==")
        .send()
        .await
        .unwrap();
    expect_problem(
        not_bearer,
        401,
        "a non-bearer authorization header is not ignored",
    )
    .await;

    let tokens = server.url("/api/v1/tokens");
    let post = |body: &'static str| {
        client()
            .post(tokens.clone())
            .header("content-type", "application/json")
            .body(body)
    };
    expect_problem(
        post("{not json").send().await.unwrap(),
        400,
        "malformed JSON",
    )
    .await;
    expect_problem(
        post(r#"{"email":"a@b.cn"}"#).send().await.unwrap(),
        400,
        "missing fields",
    )
    .await;
    expect_problem(
        post(r#"{"email":"a@b.cn","password":"x","name":"n","extra":1}"#)
            .send()
            .await
            .unwrap(),
        400,
        "unknown field",
    )
    .await;
    let bad_email = expect_problem(
        post(r#"{"email":"nobody","password":"x","name":"n"}"#)
            .send()
            .await
            .unwrap(),
        400,
        "bad address",
    )
    .await;
    assert_eq!(bad_email["parameter"], "email");
    expect_problem(
        post(r#"{"email":"admin@corridor.demo","password":"wrong password","name":"n"}"#)
            .send()
            .await
            .unwrap(),
        401,
        "wrong password",
    )
    .await;
    expect_problem(
        post(r#"{"email":"nobody@corridor.demo","password":"wrong password","name":"n"}"#)
            .send()
            .await
            .unwrap(),
        401,
        "unknown user",
    )
    .await;
    let wrong_type = client()
        .post(tokens.clone())
        .header("content-type", "text/plain")
        .body("hello")
        .send()
        .await
        .unwrap();
    expect_problem(wrong_type, 400, "wrong content type").await;
    let huge = client()
        .post(tokens.clone())
        .header("content-type", "application/json")
        .body(format!(r#"{{"email":"{}"}}"#, "a".repeat(400 * 1024)))
        .send()
        .await
        .unwrap();
    expect_problem(huge, 413, "body over the limit").await;
    // A web form over the limit is too large as well, not malformed (issue 30, finding 13).
    let huge_form = client()
        .post(server.url("/sign-in"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!(
            "email={}&password=x&csrf_token=x",
            "a".repeat(400 * 1024)
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(huge_form.status(), 413, "form over the limit");
}

/// Finding 2 of issue 30: twenty wrong passwords sent at once all got 401 (each passed the
/// limiter before any had failed). Each attempt is now counted before it is checked.
#[tokio::test]
async fn parallel_wrong_passwords_are_limited_like_sequential_ones() {
    let server = sqlite_server().await;
    let url = server.url("/api/v1/tokens");
    let attempts: Vec<_> = (0..20)
        .map(|_| {
            let url = url.clone();
            tokio::spawn(async move {
                client()
                    .post(url)
                    .json(&serde_json::json!({
                        "email": "researcher@corridor.demo",
                        "password": "wrong password",
                        "name": "n"
                    }))
                    .send()
                    .await
                    .unwrap()
                    .status()
                    .as_u16()
            })
        })
        .collect();
    let mut statuses = Vec::new();
    for attempt in attempts {
        statuses.push(attempt.await.unwrap());
    }
    let refused = statuses.iter().filter(|status| **status == 429).count();
    let wrong = statuses.iter().filter(|status| **status == 401).count();
    assert_eq!(
        (wrong, refused),
        (
            corridor_app::sign_in_limit::FAILURES_PER_ADDRESS,
            20 - corridor_app::sign_in_limit::FAILURES_PER_ADDRESS
        ),
        "{statuses:?}"
    );
}

#[tokio::test]
async fn repeated_wrong_passwords_lock_the_address_for_a_while() {
    let server = sqlite_server().await;
    let attempt = |email: &'static str, password: &'static str| {
        let url = server.url("/api/v1/tokens");
        async move {
            client()
                .post(url)
                .json(&serde_json::json!({"email": email, "password": password, "name": "n"}))
                .send()
                .await
                .unwrap()
        }
    };
    for _ in 0..corridor_app::sign_in_limit::FAILURES_PER_ADDRESS {
        expect_problem(
            attempt("manager@corridor.demo", "wrong password").await,
            401,
            "a wrong password",
        )
        .await;
    }
    // Now even the right password is refused, before it is checked, with a time to wait.
    let locked = attempt("manager@corridor.demo", crate::support::DEMO_PASSWORD).await;
    let retry_after: u64 = locked.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=15 * 60).contains(&retry_after), "{retry_after}");
    let problem = expect_problem(locked, 429, "locked address").await;
    assert_eq!(problem["type"], "/problems/too-many-sign-in-attempts");
    // The web form is locked too; other addresses from the same client are not.
    assert_eq!(
        attempt("Manager@Corridor.demo", crate::support::DEMO_PASSWORD)
            .await
            .status(),
        429
    );
    assert_eq!(
        attempt("researcher@corridor.demo", crate::support::DEMO_PASSWORD)
            .await
            .status(),
        201
    );
}

#[tokio::test]
async fn tokens_authenticate_api_calls_and_roles_decide_access() {
    let server = sqlite_server().await;
    let token_for = |email: &'static str| {
        let url = server.url("/api/v1/tokens");
        async move {
            let response = client()
                .post(url)
                .json(
                    &serde_json::json!({"email": email, "password": DEMO_PASSWORD, "name": "test"}),
                )
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 201);
            let body: Value = response.json().await.unwrap();
            body["token"].as_str().unwrap().to_owned()
        }
    };
    let admin = token_for("admin@corridor.demo").await;
    assert!(admin.starts_with("crd_"));
    let me: Value = client()
        .get(server.url("/api/v1/me"))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["email"], "admin@corridor.demo");
    assert_eq!(me["roles"][0]["role"], "platform_admin");

    let events = client()
        .get(server.url("/api/v1/audit-events?limit=5"))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(events.status(), 200);
    let events: Value = events.json().await.unwrap();
    assert_eq!(events["items"][0]["action"], "api_token.created");
    assert_eq!(events["items"][0]["client_address"], "127.0.0.1");

    let researcher = token_for("researcher@corridor.demo").await;
    let forbidden = client()
        .get(server.url("/api/v1/audit-events"))
        .bearer_auth(&researcher)
        .send()
        .await
        .unwrap();
    expect_problem(forbidden, 403, "a researcher reads the audit trail").await;
}

#[tokio::test]
async fn responses_match_their_snapshots() {
    let server = sqlite_server().await;
    let instrument = get_json(&server, "/api/v1/instruments/1").await;
    insta::assert_json_snapshot!("instrument_1", instrument);
    let summary = get_json(&server, "/api/v1/stats/summary").await;
    insta::assert_json_snapshot!("summary", summary);
    let problem: Value = client()
        .get(server.url("/api/v1/instruments?limit=0"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    insta::assert_json_snapshot!("problem_invalid_limit", problem);
    let health = get_json(&server, "/healthz").await;
    insta::assert_json_snapshot!("healthz", health);
}

#[tokio::test]
async fn the_openapi_document_matches_its_snapshot() {
    let document = serde_json::to_value(corridor_web::openapi()).unwrap();
    assert_eq!(document["openapi"], "3.1.0");
    insta::assert_json_snapshot!("openapi", document);
    let server = sqlite_server().await;
    let served = get_json(&server, "/api/v1/openapi.json").await;
    assert_eq!(served, document, "the served document is the generated one");
}
