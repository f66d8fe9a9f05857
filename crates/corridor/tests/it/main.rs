//! The binary's one integration-test binary: `corridor` run as a process, as a person would.

use std::io::Read;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

mod backup;
mod crash;
mod secrets;

const BINARY: &str = env!("CARGO_BIN_EXE_corridor");

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

struct Server {
    child: Child,
    port: u16,
}

impl Server {
    fn start_demo(data_dir: &Path) -> Server {
        let port = free_port();
        let child = Command::new(BINARY)
            .args(["demo", "--scale", "small", "--data-dir"])
            .arg(data_dir)
            .args(["--listen", &format!("127.0.0.1:{port}")])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the corridor binary starts");
        let server = Server { child, port };
        server.wait_until_healthy();
        server
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    fn wait_until_healthy(&self) {
        let started = Instant::now();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        loop {
            let healthy = runtime.block_on(async {
                reqwest::get(self.url("/healthz"))
                    .await
                    .map(|response| response.status() == 200)
                    .unwrap_or(false)
            });
            if healthy {
                return;
            }
            assert!(
                started.elapsed() < Duration::from_secs(120),
                "the demo did not become healthy within 120 s"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Stops the server as an operator would (SIGTERM) and returns what it printed.
    fn stop(mut self) -> (String, String) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let exit = self.child.wait().unwrap();
        assert!(
            exit.success(),
            "a SIGTERM ends the server cleanly: {exit:?}"
        );
        let (mut stdout, mut stderr) = (String::new(), String::new());
        self.child
            .stdout
            .take()
            .unwrap()
            .read_to_string(&mut stdout)
            .unwrap();
        self.child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut stderr)
            .unwrap();
        (stdout, stderr)
    }
}

fn status(database: &str) -> serde_json::Value {
    let output = Command::new(BINARY)
        .args(["status", "--database", database])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

#[test]
fn restarting_the_demo_keeps_every_row_and_regenerates_nothing() {
    let directory = tempfile::tempdir().unwrap();
    let database = format!(
        "sqlite://{}",
        directory.path().join("corridor.sqlite").display()
    );

    let first = Server::start_demo(directory.path());
    // Write through the running server, so that the restart must keep more than the generated rows.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let token = runtime.block_on(async {
        let response = reqwest::Client::new()
            .post(first.url("/api/v1/tokens"))
            .json(&serde_json::json!({"email": "admin@corridor.demo", "password": "corridor-demo", "name": "restart test"}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201, "the printed demo password signs in");
        response.json::<serde_json::Value>().await.unwrap()["token"].as_str().unwrap().to_owned()
    });
    let (stdout, _) = first.stop();
    assert!(
        stdout.contains("admin@corridor.demo") && stdout.contains("platform_admin"),
        "the demo prints its accounts:\n{stdout}"
    );
    let before = status(&database);
    assert_eq!(before["tables"]["instruments"]["rows"], 2_000);
    assert_eq!(before["tables"]["api_tokens"]["rows"], 1);

    let second = Server::start_demo(directory.path());
    let after_restart = status(&database);
    let me = runtime.block_on(async {
        reqwest::Client::new()
            .get(second.url("/api/v1/me"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .status()
    });
    assert_eq!(me, 200, "the token issued before the restart still works");
    let (_, stderr) = second.stop();
    assert!(stderr.contains("reusing the region"), "{stderr}");
    assert_eq!(
        after_restart["region"], before["region"],
        "the region was not regenerated"
    );
    assert_eq!(
        after_restart["tables"], before["tables"],
        "every table has the same rows after a restart"
    );
}

#[test]
fn generate_refuses_a_database_that_already_holds_a_region() {
    let directory = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}", directory.path().join("g.sqlite").display());
    let first = Command::new(BINARY)
        .args([
            "generate",
            "--scale",
            "small",
            "--seed",
            "5",
            "--database",
            &database,
        ])
        .output()
        .unwrap();
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let before = status(&database);
    let second = Command::new(BINARY)
        .args([
            "generate",
            "--scale",
            "small",
            "--seed",
            "6",
            "--database",
            &database,
        ])
        .output()
        .unwrap();
    assert!(!second.status.success());
    assert!(
        String::from_utf8_lossy(&second.stderr).contains("already holds the region"),
        "{}",
        String::from_utf8_lossy(&second.stderr)
    );
    assert_eq!(status(&database), before, "nothing was written");
    assert_eq!(before["region"]["seed"], 5);
}

#[test]
fn bad_arguments_get_a_clear_error() {
    let output = Command::new(BINARY)
        .args(["serve", "--database", "mysql://somewhere"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("expected sqlite://PATH or postgres://"),
        "{stderr}"
    );
    let output = Command::new(BINARY)
        .args(["demo", "--listen", "not-an-address"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("invalid value"));
}

/// The shipped binary has no way to book other than the product's; the plain baseline and
/// its option exist only in builds with `bench-baselines` (which `corridor-bench` turns on
/// when both are built together, as in `cargo test --workspace`).
#[test]
fn serve_offers_the_plain_booking_strategy_only_with_the_bench_baselines() {
    let output = Command::new(BINARY)
        .args(["serve", "--help"])
        .output()
        .unwrap();
    assert!(output.status.success());
    let help = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        help.contains("--booking-strategy"),
        cfg!(feature = "bench-baselines"),
        "{help}"
    );
    if !cfg!(feature = "bench-baselines") {
        assert!(
            !help.contains("bench"),
            "no benchmark is mentioned to operators: {help}"
        );
    }
    let output = Command::new(BINARY).arg("--help").output().unwrap();
    let help = String::from_utf8_lossy(&output.stdout);
    assert!(
        !help.contains("bench"),
        "the benchmarks are corridor-bench's: {help}"
    );
}

#[test]
fn reach_prints_travel_times_on_the_demo_timetable_and_refuses_unknown_places() {
    let output = Command::new(BINARY)
        .args([
            "reach",
            "--timetable",
            "demo",
            "--from",
            "上海",
            "--depart",
            "07:30",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let result: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let nanjing_south = result["stations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|station| station["station"] == "南京南")
        .expect("Nanjing South is reached");
    assert!(
        nanjing_south["travel_minutes"].as_u64().unwrap() <= 90,
        "{nanjing_south}"
    );
    let unknown = Command::new(BINARY)
        .args([
            "reach",
            "--timetable",
            "demo",
            "--from",
            "Atlantis",
            "--depart",
            "07:30",
        ])
        .output()
        .unwrap();
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("no station or city"));
    let bad_time = Command::new(BINARY)
        .args([
            "reach",
            "--timetable",
            "demo",
            "--from",
            "上海",
            "--depart",
            "7h",
        ])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&bad_time.stderr).contains("not a time"));
}

fn ledger(args: &[&str]) -> std::process::Output {
    Command::new(BINARY)
        .arg("ledger")
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn ledger_reconcile_passes_a_sound_ledger_and_fails_a_tampered_one() {
    let directory = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}", directory.path().join("l.sqlite").display());
    let migrated = Command::new(BINARY)
        .args(["migrate", "--database", &database])
        .output()
        .unwrap();
    assert!(migrated.status.success());
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let write = |sql: &'static str| {
        runtime.block_on(async {
            let pool = sqlx::SqlitePool::connect(&database).await.unwrap();
            sqlx::query(sql).execute(&pool).await.unwrap();
            pool.close().await;
        })
    };
    // A treasury that funded a voucher with 500 fen, with balances that agree.
    write("INSERT INTO ledger_accounts (id, code, label, flags, debits_posted, created_at) VALUES (1, 'province_treasury', 't', 0, 500, 0)");
    write("INSERT INTO ledger_accounts (id, code, label, flags, credits_posted, created_at) VALUES (2, 'voucher', 'v', 1, 500, 0)");
    write("INSERT INTO ledger_transfers (id, transfer_key, kind, debit_account_id, credit_account_id, amount, code, created_at) VALUES (1, 'fund', 'posted', 1, 2, 500, 'test.fund', 0)");
    let sound = ledger(&["reconcile", "--database", &database]);
    assert!(
        sound.status.success(),
        "{}",
        String::from_utf8_lossy(&sound.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&sound.stdout).unwrap();
    assert_eq!(report["transfers"], 1);
    assert_eq!(report["debits_posted_fen"], 500);
    assert_eq!(report["consistent"], true);

    write("UPDATE ledger_accounts SET debits_posted = 400 WHERE id = 1");
    let tampered = ledger(&["reconcile", "--database", &database]);
    assert!(!tampered.status.success());
    let report: serde_json::Value = serde_json::from_slice(&tampered.stdout).unwrap();
    assert_eq!(report["mismatched_accounts"][0]["account_id"], 1);
    assert_eq!(report["balanced"], true, "the replay itself still balances");

    let statement = ledger(&[
        "settlement",
        "--database",
        &database,
        "--from",
        "2030-01-01",
        "--to",
        "2030-02-01",
    ]);
    assert!(
        statement.status.success(),
        "{}",
        String::from_utf8_lossy(&statement.stderr)
    );
    assert!(String::from_utf8_lossy(&statement.stdout)
        .starts_with("payer_province,programme_id,provider_province"));
    let backwards = ledger(&[
        "settlement",
        "--database",
        &database,
        "--from",
        "2030-02-01",
        "--to",
        "2030-01-01",
    ]);
    assert!(!backwards.status.success());
    assert!(String::from_utf8_lossy(&backwards.stderr).contains("--to must be after --from"));
    let nonsense = ledger(&[
        "settlement",
        "--database",
        &database,
        "--from",
        "soon",
        "--to",
        "2030-01-01",
    ]);
    assert!(String::from_utf8_lossy(&nonsense.stderr)
        .contains("neither an RFC 3339 instant nor a date"));
}

#[test]
fn expiring_vouchers_returns_what_is_left_and_keeps_the_ledger_sound() {
    let directory = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}", directory.path().join("x.sqlite").display());
    let generated = Command::new(BINARY)
        .args(["generate", "--scale", "small", "--database", &database])
        .output()
        .unwrap();
    assert!(
        generated.status.success(),
        "{}",
        String::from_utf8_lossy(&generated.stderr)
    );
    let expire = |today: &str| {
        let output = ledger(&["expire-vouchers", "--database", &database, "--today", today]);
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        serde_json::from_slice::<serde_json::Value>(&output.stdout).unwrap()
    };
    // The demo's programmes run through this year: nothing expires today.
    let today = jiff::Zoned::now().date().to_string();
    assert_eq!(expire(&today)["vouchers_expired"], 0);
    // Long after, every demo voucher expires, its holds are released, its rest returned.
    let later = expire("2099-01-01");
    assert!(later["vouchers_expired"].as_u64().unwrap() > 0, "{later}");
    assert!(later["returned_fen"].as_i64().unwrap() > 0, "{later}");
    assert_eq!(expire("2099-01-02")["vouchers_expired"], 0, "once only");
    let reconciled = ledger(&["reconcile", "--database", &database]);
    assert!(
        reconciled.status.success(),
        "{}",
        String::from_utf8_lossy(&reconciled.stdout)
    );
    let report: serde_json::Value = serde_json::from_slice(&reconciled.stdout).unwrap();
    assert_eq!(
        report["open_pending_transfers"], 0,
        "no hold outlives its voucher"
    );
    let bad = ledger(&[
        "expire-vouchers",
        "--database",
        &database,
        "--today",
        "someday",
    ]);
    assert!(!bad.status.success());
}
