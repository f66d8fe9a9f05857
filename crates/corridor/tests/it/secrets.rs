//! Secrets never reach the logs: with every log line the server can write (RUST_LOG=debug),
//! signing in, failing to sign in and calling the API with a token leave neither the token nor
//! the passwords in what the server printed.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::{free_port, BINARY};

#[test]
fn tokens_and_passwords_stay_out_of_the_logs() {
    let directory = tempfile::tempdir().unwrap();
    let log_path = directory.path().join("server.log");
    let log = std::fs::File::create(&log_path).unwrap();
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut child = Command::new(BINARY)
        .args(["demo", "--scale", "small", "--data-dir"])
        .arg(directory.path().join("data"))
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .env("RUST_LOG", "debug")
        .stdout(Stdio::from(log.try_clone().unwrap()))
        .stderr(Stdio::from(log))
        .spawn()
        .unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let wrong_password = "Wrong-Secret-7d1f3a";
    let token = runtime.block_on(async {
        let started = Instant::now();
        while reqwest::get(format!("{base}/healthz")).await.map(|r| r.status()) .ok() != Some(reqwest::StatusCode::OK) {
            assert!(started.elapsed() < Duration::from_secs(120), "the demo did not start");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let client = reqwest::Client::new();
        let refused = client
            .post(format!("{base}/api/v1/tokens"))
            .json(&serde_json::json!({"email": "researcher@corridor.demo", "password": wrong_password, "name": "x"}))
            .send()
            .await
            .unwrap();
        assert_eq!(refused.status(), 401);
        let form = client
            .post(format!("{base}/sign-in"))
            .header("cookie", format!("corridor_csrf={}", "c".repeat(40)))
            .form(&[("csrf_token", "c".repeat(40).as_str()), ("email", "researcher@corridor.demo"), ("password", wrong_password)])
            .send()
            .await
            .unwrap();
        assert_eq!(form.status(), 401);
        let created: serde_json::Value = client
            .post(format!("{base}/api/v1/tokens"))
            .json(&serde_json::json!({"email": "admin@corridor.demo", "password": "corridor-demo", "name": "log test"}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let token = created["token"].as_str().unwrap().to_owned();
        let me = client
            .get(format!("{base}/api/v1/me"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(me.status(), 200);
        token
    });
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    child.wait().unwrap();
    let printed = std::fs::read_to_string(&log_path).unwrap();
    assert!(
        printed.lines().count() > 20,
        "debug logging was on:\n{printed}"
    );
    assert!(!printed.contains(&token), "the API token was logged");
    let secret_part = token.rsplit('_').next().unwrap();
    assert!(
        !printed.contains(secret_part),
        "the token's secret was logged"
    );
    assert!(!printed.contains(wrong_password), "a password was logged");
    println!(
        "secrets: {} log lines at debug, no token, no password",
        printed.lines().count()
    );
}
