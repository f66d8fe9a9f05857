//! `corridor backup` while the server takes writes, and `corridor restore`: the restored
//! database holds exactly what the backup reported, a quiet backup restores to a copy equal to
//! the live database table by table, and every bad input is refused without touching anything.

use std::path::Path;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use super::{status, Server, BINARY};

fn corridor(args: &[&str]) -> Output {
    Command::new(BINARY).args(args).output().unwrap()
}

fn report_of(output: &Output, what: &str) -> serde_json::Value {
    assert!(
        output.status.success(),
        "{what}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    serde_json::from_str(stdout.lines().last().unwrap()).unwrap()
}

fn refused(output: &Output, expected: &str) {
    assert!(!output.status.success(), "expected a refusal: {expected}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains(expected), "{expected:?} not in {stderr}");
}

fn sqlite_url(path: &Path) -> String {
    format!("sqlite://{}", path.display())
}

/// Issues API tokens (each one a row and an audit event) until told to stop; counts the
/// acknowledged ones.
fn start_writer(
    server_url: String,
    stop: Arc<AtomicBool>,
    acknowledged: Arc<AtomicU64>,
) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let client = reqwest::Client::new();
            let mut attempt = 0;
            while !stop.load(Ordering::SeqCst) {
                attempt += 1;
                let response = client
                    .post(format!("{server_url}/api/v1/tokens"))
                    .json(&serde_json::json!({
                        "email": "admin@corridor.demo",
                        "password": "corridor-demo",
                        "name": format!("backup-test-{attempt}"),
                    }))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
                acknowledged.fetch_add(1, Ordering::SeqCst);
            }
        });
    })
}

#[test]
fn a_backup_taken_while_serving_restores_to_what_it_reported() {
    let directory = tempfile::tempdir().unwrap();
    let data = directory.path().join("data");
    let live = data.join("corridor.sqlite");
    let live_url = sqlite_url(&live);
    let server = Server::start_demo(&data);

    let stop = Arc::new(AtomicBool::new(false));
    let acknowledged = Arc::new(AtomicU64::new(0));
    let writer = start_writer(server.url(""), stop.clone(), acknowledged.clone());
    while acknowledged.load(Ordering::SeqCst) < 20 {
        std::thread::sleep(Duration::from_millis(20));
    }
    let tokens_before = acknowledged.load(Ordering::SeqCst);
    let during = directory.path().join("during.sqlite");
    let during_report = report_of(
        &corridor(&[
            "backup",
            "--database",
            &live_url,
            "--to",
            during.to_str().unwrap(),
        ]),
        "backup while writing",
    );
    let tokens_after = acknowledged.load(Ordering::SeqCst);
    stop.store(true, Ordering::SeqCst);
    writer.join().unwrap();
    let written = acknowledged.load(Ordering::SeqCst);
    assert!(
        tokens_after > tokens_before,
        "the writer kept writing during the backup"
    );
    let backed_up_tokens = during_report["tables"]["api_tokens"].as_i64().unwrap() as u64;
    assert!(
        (tokens_before..=tokens_after).contains(&backed_up_tokens),
        "the backup is one moment: {backed_up_tokens} tokens, {tokens_before} acknowledged before and {tokens_after} after it"
    );

    // A quiet backup, then the server stops: the restored copy equals the live database.
    let quiet = directory.path().join("quiet.sqlite");
    let quiet_report = report_of(
        &corridor(&[
            "backup",
            "--database",
            &live_url,
            "--to",
            quiet.to_str().unwrap(),
        ]),
        "quiet backup",
    );
    server.stop();
    assert_eq!(
        quiet_report["tables"]["api_tokens"].as_u64().unwrap(),
        written
    );
    let restored = directory.path().join("restored").join("corridor.sqlite");
    std::fs::create_dir_all(restored.parent().unwrap()).unwrap();
    let restored_url = sqlite_url(&restored);
    let restore_report = report_of(
        &corridor(&[
            "restore",
            "--from",
            quiet.to_str().unwrap(),
            "--database",
            &restored_url,
        ]),
        "restore",
    );
    assert_eq!(restore_report["tables"], quiet_report["tables"]);
    assert_eq!(
        restore_report["schema_version"],
        quiet_report["schema_version"]
    );
    let (live_status, restored_status) = (status(&live_url), status(&restored_url));
    assert_eq!(live_status["tables"], restored_status["tables"]);
    assert!(live_status["tables"]["bookings"]["rows"].as_i64().unwrap() > 0);
    println!(
        "backup: {written} tokens written while serving; the mid-write backup held {backed_up_tokens}; {} tables compared after restore",
        live_status["tables"].as_object().unwrap().len()
    );

    // The mid-write backup replaces the restored copy only when asked to.
    refused(
        &corridor(&[
            "restore",
            "--from",
            during.to_str().unwrap(),
            "--database",
            &restored_url,
        ]),
        "--replace",
    );
    assert_eq!(status(&restored_url)["tables"], live_status["tables"]);
    let replaced = report_of(
        &corridor(&[
            "restore",
            "--from",
            during.to_str().unwrap(),
            "--database",
            &restored_url,
            "--replace",
        ]),
        "restore --replace",
    );
    assert_eq!(replaced["tables"], during_report["tables"]);
    let reconcile = corridor(&["ledger", "reconcile", "--database", &restored_url]);
    assert!(
        reconcile.status.success(),
        "{}",
        String::from_utf8_lossy(&reconcile.stdout)
    );

    // Refusals.
    refused(
        &corridor(&[
            "backup",
            "--database",
            &live_url,
            "--to",
            quiet.to_str().unwrap(),
        ]),
        "never overwrites",
    );
    let text = directory.path().join("notes.txt");
    std::fs::write(&text, "not a database").unwrap();
    refused(
        &corridor(&[
            "restore",
            "--from",
            text.to_str().unwrap(),
            "--database",
            &sqlite_url(&directory.path().join("x.sqlite")),
        ]),
        "not a Corridor database",
    );
    assert!(!directory.path().join("x.sqlite").exists());
    refused(
        &corridor(&[
            "backup",
            "--database",
            "postgres://postgres@127.0.0.1/test",
            "--to",
            "/tmp/never.sqlite",
        ]),
        "pg_dump",
    );
    refused(
        &corridor(&[
            "backup",
            "--database",
            &sqlite_url(&directory.path().join("missing.sqlite")),
            "--to",
            directory.path().join("m.sqlite").to_str().unwrap(),
        ]),
        "there is no database",
    );
    // A backup from a newer Corridor: a migration this binary does not know.
    let newer = directory.path().join("newer.sqlite");
    std::fs::copy(&quiet, &newer).unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        use sqlx::Connection;
        let mut connection = sqlx::SqliteConnection::connect(&sqlite_url(&newer)).await.unwrap();
        sqlx::query(
            "INSERT INTO _sqlx_migrations (version, description, installed_on, success, checksum, execution_time) \
             VALUES (29991231000001, 'from the future', CURRENT_TIMESTAMP, 1, x'00', 0)",
        )
        .execute(&mut connection)
        .await
        .unwrap();
        connection.close().await.unwrap();
    });
    refused(
        &corridor(&[
            "restore",
            "--from",
            newer.to_str().unwrap(),
            "--database",
            &sqlite_url(&directory.path().join("y.sqlite")),
        ]),
        "newer Corridor",
    );
}
