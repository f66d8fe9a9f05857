//! Crash consistency: the server is killed with SIGKILL while clients book instruments, pay
//! bookings with a voucher (each a pending transfer on the ledger) and submit beamtime
//! proposals, then started again. Every acknowledged booking must be there with its voucher
//! hold, every acknowledged proposal submitted with its requests, no proposal half-written (a
//! draft left by a submission), no two confirmed bookings may overlap, no account may be
//! overdrawn and the ledger must replay to the stored balances.
//! Three kills per engine: SQLite (the demo's data directory) and PostgreSQL (a scratch
//! database).

use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use corridor_domain::facility::proposal::ProposalStatus;
use corridor_domain::facility::ProposalId;
use corridor_domain::{BookingId, UserId};
use corridor_store::VoucherPaymentState;
use serde_json::{json, Value};

use super::{free_port, BINARY};

const DEMO_PASSWORD: &str = "corridor-demo";
/// Acknowledged writes to wait for before the kill.
const ACKNOWLEDGED_BEFORE_KILL: usize = 60;

struct Node {
    child: Child,
    base: String,
}

fn start(args: &[&str]) -> Node {
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let child = Command::new(BINARY)
        .args(args)
        .args(["--listen", &listen])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the corridor binary starts");
    Node {
        child,
        base: format!("http://{listen}"),
    }
}

async fn wait_healthy(node: &Node) {
    let started = Instant::now();
    loop {
        if let Ok(response) = reqwest::get(format!("{}/healthz", node.base)).await {
            if response.status() == 200 {
                return;
            }
        }
        assert!(
            started.elapsed() < Duration::from_secs(180),
            "the server did not become healthy within 180 s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn kill(mut node: Node, signal: &str) {
    let status = Command::new("kill")
        .args([signal, &node.child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    node.child.wait().unwrap();
}

async fn call(
    base: &str,
    token: Option<&str>,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> reqwest::Result<reqwest::Response> {
    let mut request = reqwest::Client::new().request(method, format!("{base}{path}"));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    request.send().await
}

async fn json_ok(response: reqwest::Response, status: u16, what: &str) -> Value {
    let actual = response.status().as_u16();
    let body: Value = response.json().await.unwrap();
    assert_eq!(actual, status, "{what}: {body}");
    body
}

async fn token(base: &str, email: &str) -> String {
    let created = call(
        base,
        None,
        reqwest::Method::POST,
        "/api/v1/tokens",
        Some(json!({"email": email, "password": DEMO_PASSWORD, "name": "crash test"})),
    )
    .await
    .unwrap();
    json_ok(created, 201, email).await["token"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// A programme of the company's province, the company's application, the admin's approval:
/// the company's voucher id.
async fn company_voucher(base: &str, admin: &str, company: &str) -> i64 {
    let get = |path: String, token: String| async move {
        json_ok(
            call(base, Some(&token), reqwest::Method::GET, &path, None)
                .await
                .unwrap(),
            200,
            "read",
        )
        .await
    };
    let me = get("/api/v1/me".into(), company.to_owned()).await;
    let institution = get(
        format!("/api/v1/institutions/{}", me["home_institution_id"]),
        company.to_owned(),
    )
    .await;
    let year = jiff::Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::get("Asia/Shanghai").unwrap())
        .year();
    let programme = json_ok(
        call(
            base,
            Some(admin),
            reqwest::Method::POST,
            "/api/v1/voucher-programmes",
            Some(json!({
                "province": institution["province"], "name_en": "Crash test vouchers", "name_zh": "崩溃测试创新券",
                "budget_fen": 100_000_000, "co_funding_percent": 50, "annual_cap_per_enterprise_fen": 50_000_000,
                "valid_from": format!("{year}-01-01"), "valid_until": format!("{}-12-31", year + 1),
                "provider_scope": "whole_region", "redemption_mode": "provider_redeems",
            })),
        )
        .await
        .unwrap(),
        201,
        "programme",
    )
    .await;
    let application = json_ok(
        call(
            base,
            Some(company),
            reqwest::Method::POST,
            &format!(
                "/api/v1/voucher-programmes/{}/applications",
                programme["id"]
            ),
            Some(json!({"requested_fen": 40_000_000, "purpose": "crash test"})),
        )
        .await
        .unwrap(),
        201,
        "apply",
    )
    .await;
    json_ok(
        call(
            base,
            Some(admin),
            reqwest::Method::POST,
            &format!(
                "/api/v1/voucher-applications/{}/decision",
                application["id"]
            ),
            Some(json!({"approve": true})),
        )
        .await
        .unwrap(),
        200,
        "approve",
    )
    .await;
    let wallet = get("/api/v1/me/vouchers".into(), company.to_owned()).await;
    wallet
        .as_array()
        .unwrap()
        .iter()
        .find(|voucher| voucher["programme_id"] == programme["id"])
        .expect("the voucher is in the wallet")["id"]
        .as_i64()
        .unwrap()
}

#[derive(Debug, Clone)]
struct Acknowledged {
    booking: i64,
    instrument: i64,
    starts_at: String,
    with_voucher: bool,
}

/// Books random hours on `instruments` until a request fails (the server is gone).
async fn client_loop(
    base: String,
    token: String,
    voucher: Option<i64>,
    instruments: Arc<Vec<i64>>,
    seed: u64,
    acknowledged: Arc<Mutex<Vec<Acknowledged>>>,
    gone: Arc<AtomicBool>,
) {
    let zone = jiff::tz::TimeZone::get("Asia/Shanghai").unwrap();
    let today = jiff::Timestamp::now().to_zoned(zone.clone()).date();
    let mut state = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    let mut next = |bound: u64| {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 33) % bound
    };
    while !gone.load(Ordering::SeqCst) {
        let instrument = instruments[next(instruments.len() as u64) as usize];
        let day = today
            .checked_add(jiff::Span::new().days(3 + next(25) as i64))
            .unwrap();
        let hour = 9 + next(7) as i8;
        let start = day
            .at(hour, 0, 0, 0)
            .to_zoned(zone.clone())
            .unwrap()
            .timestamp();
        let end = start + jiff::SignedDuration::from_hours(1);
        let mut body = json!({"instrument_id": instrument, "starts_at": start.to_string(), "ends_at": end.to_string(), "purpose": "crash test"});
        if let Some(voucher) = voucher {
            body["voucher_id"] = json!(voucher);
        }
        match call(
            &base,
            Some(&token),
            reqwest::Method::POST,
            "/api/v1/bookings",
            Some(body),
        )
        .await
        {
            Ok(response) if response.status() == 201 => {
                let Ok(booked) = response.json::<Value>().await else {
                    // The answer was cut by the kill: not acknowledged.
                    break;
                };
                acknowledged.lock().unwrap().push(Acknowledged {
                    booking: booked["id"].as_i64().unwrap(),
                    instrument,
                    starts_at: booked["starts_at"].as_str().unwrap().to_owned(),
                    with_voucher: voucher.is_some() && !booked["voucher_payment"].is_null(),
                });
            }
            Ok(response) => {
                let status = response.status();
                assert!(
                    status.is_client_error() || gone.load(Ordering::SeqCst),
                    "a booking attempt failed with {status}: {}",
                    response.text().await.unwrap_or_default()
                );
            }
            Err(_) => break,
        }
    }
}

/// Submits proposals to the open cycle (drafted and submitted at once) until a request fails.
async fn proposal_loop(
    base: String,
    token: String,
    cycle: i64,
    beamline: i64,
    acknowledged: Arc<Mutex<Vec<i64>>>,
    gone: Arc<AtomicBool>,
) {
    let mut count = 0u32;
    while !gone.load(Ordering::SeqCst) {
        count += 1;
        let body = json!({
            "proposal_type": "general", "discipline": "materials",
            "title": format!("Crash test proposal {count}"),
            "summary": "Strain mapping of welded joints, submitted while the server may die.",
            "samples": "Steel coupons, inert, 20 mm.",
            "requests": [{"beamline_id": beamline, "shifts": 3 + count % 9}],
            "submit": true,
        });
        match call(
            &base,
            Some(&token),
            reqwest::Method::POST,
            &format!("/api/v1/facility/cycles/{cycle}/proposals"),
            Some(body),
        )
        .await
        {
            Ok(response) if response.status() == 201 => {
                let Ok(created) = response.json::<Value>().await else {
                    break;
                };
                acknowledged
                    .lock()
                    .unwrap()
                    .push(created["id"].as_i64().unwrap());
            }
            Ok(response) => {
                let status = response.status();
                assert!(
                    gone.load(Ordering::SeqCst),
                    "a proposal was refused with {status}: {}",
                    response.text().await.unwrap_or_default()
                );
            }
            Err(_) => break,
        }
    }
}

/// Kills the server `CRASH_ROUNDS` times under load; after each restart, every write
/// acknowledged in any round so far must be there.
const CRASH_ROUNDS: usize = 3;

async fn crash_rounds(serve_args: Vec<String>, database_url: &str, label: &str) {
    let args: Vec<&str> = serve_args.iter().map(String::as_str).collect();
    let mut node = start(&args);
    wait_healthy(&node).await;
    let base = node.base.clone();
    let admin = token(&base, "admin@corridor.demo").await;
    let company = token(&base, "company@corridor.demo").await;
    let researcher = token(&base, "researcher@corridor.demo").await;
    let manager = token(&base, "manager@corridor.demo").await;
    let voucher = company_voucher(&base, &admin, &company).await;
    let listed = json_ok(
        call(
            &base,
            None,
            reqwest::Method::GET,
            "/api/v1/instruments?limit=200",
            None,
        )
        .await
        .unwrap(),
        200,
        "instruments",
    )
    .await;
    let instruments: Arc<Vec<i64>> = Arc::new(
        listed["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|item| item["id"].as_i64().unwrap())
            .collect(),
    );
    let open_cycle = json_ok(
        call(
            &base,
            None,
            reqwest::Method::GET,
            "/api/v1/facility/cycles",
            None,
        )
        .await
        .unwrap(),
        200,
        "cycles",
    )
    .await
    .as_array()
    .unwrap()
    .iter()
    .find(|cycle| cycle["call_open"] == json!(true))
    .expect("the demo has an open call")["id"]
        .as_i64()
        .unwrap();
    let beamline = json_ok(
        call(&base, None, reqwest::Method::GET, "/api/v1/beamlines", None)
            .await
            .unwrap(),
        200,
        "beamlines",
    )
    .await[0]["id"]
        .as_i64()
        .unwrap();
    let proposer = token(&base, "reviewer@corridor.demo").await;
    let proposer_id = UserId(
        json_ok(
            call(
                &base,
                Some(&proposer),
                reqwest::Method::GET,
                "/api/v1/me",
                None,
            )
            .await
            .unwrap(),
            200,
            "me",
        )
        .await["id"]
            .as_i64()
            .unwrap(),
    );
    let proposals = Arc::new(Mutex::new(Vec::new()));
    let acknowledged = Arc::new(Mutex::new(Vec::new()));
    for round in 0..CRASH_ROUNDS {
        let gone = Arc::new(AtomicBool::new(false));
        let clients = [
            (researcher.clone(), None),
            (researcher.clone(), None),
            (manager.clone(), None),
            (manager.clone(), None),
            (company.clone(), Some(voucher)),
            (company.clone(), Some(voucher)),
        ];
        let mut tasks = Vec::new();
        for (client, (token, voucher)) in clients.into_iter().enumerate() {
            tasks.push(tokio::spawn(client_loop(
                node.base.clone(),
                token,
                voucher,
                instruments.clone(),
                (round * 100 + client + 1) as u64,
                acknowledged.clone(),
                gone.clone(),
            )));
        }
        tasks.push(tokio::spawn(proposal_loop(
            node.base.clone(),
            proposer.clone(),
            open_cycle,
            beamline,
            proposals.clone(),
            gone.clone(),
        )));
        let (before_all, before_paid) = counts(&acknowledged);
        let started = Instant::now();
        loop {
            let (all, paid) = counts(&acknowledged);
            if all >= before_all + ACKNOWLEDGED_BEFORE_KILL && paid >= before_paid + 5 {
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(120),
                "round {round}: only {} bookings ({} with the voucher) acknowledged in 120 s",
                all - before_all,
                paid - before_paid
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        // Kill while the clients are still writing.
        gone.store(true, Ordering::SeqCst);
        kill(node, "-KILL");
        for task in tasks {
            task.await.unwrap();
        }
        node = start(&args);
        wait_healthy(&node).await;
        let acknowledged = acknowledged.lock().unwrap().clone();
        let proposals = proposals.lock().unwrap().clone();
        verify(database_url, &acknowledged, label, round).await;
        verify_proposals(database_url, &proposals, proposer_id, label, round).await;
    }
    kill(node, "-TERM");
}

fn counts(acknowledged: &Mutex<Vec<Acknowledged>>) -> (usize, usize) {
    let acked = acknowledged.lock().unwrap();
    (acked.len(), acked.iter().filter(|a| a.with_voucher).count())
}

/// Every acknowledged booking is stored as acknowledged (voucher holds included), nothing
/// overlaps, nothing is overdrawn, the ledger replays.
async fn verify(database_url: &str, acknowledged: &[Acknowledged], label: &str, round: usize) {
    let store = corridor_store::connect(database_url).await.unwrap();
    let mut lost = Vec::new();
    for acked in acknowledged {
        match store.booking(BookingId(acked.booking)).await.unwrap() {
            Some(record) => {
                assert_eq!(record.instrument.0, acked.instrument);
                let acknowledged_start: jiff::Timestamp =
                    acked.starts_at.parse().expect("an RFC 3339 instant");
                assert_eq!(record.range.start, acknowledged_start);
                if acked.with_voucher {
                    let payment = store
                        .voucher_payment_of_booking(BookingId(acked.booking))
                        .await
                        .unwrap()
                        .expect("an acknowledged voucher booking keeps its payment");
                    assert_eq!(payment.state, VoucherPaymentState::Held);
                }
            }
            None => lost.push(acked.booking),
        }
    }
    let overlaps = store.count_overlapping_bookings().await.unwrap();
    let overdrawn = store.count_overdrawn_accounts().await.unwrap();
    let reconciliation = store.reconcile_ledger().await.unwrap();
    drop(store);
    println!(
        "crash ({label}) round {}: {} acknowledged so far ({} paid with the voucher), lost {}, overlaps {overlaps}, overdrawn {overdrawn}, ledger consistent {}",
        round + 1,
        acknowledged.len(),
        acknowledged.iter().filter(|a| a.with_voucher).count(),
        lost.len(),
        reconciliation.is_consistent()
    );
    assert!(lost.is_empty(), "acknowledged bookings lost: {lost:?}");
    assert_eq!(overlaps, 0);
    assert_eq!(overdrawn, 0);
    assert!(reconciliation.is_consistent(), "{reconciliation:?}");
}

/// Every acknowledged proposal is stored submitted with its request; the proposer has no
/// draft (each submission was drafted and submitted in one transaction, or not at all).
async fn verify_proposals(
    database_url: &str,
    acknowledged: &[i64],
    proposer: UserId,
    label: &str,
    round: usize,
) {
    let store = corridor_store::connect(database_url).await.unwrap();
    let mut lost = Vec::new();
    for id in acknowledged {
        match store.proposal(ProposalId(*id)).await.unwrap() {
            Some(record) => {
                assert_eq!(record.status, ProposalStatus::Submitted, "proposal {id}");
                assert_eq!(
                    record.draft.requests.len(),
                    1,
                    "proposal {id} keeps its request"
                );
            }
            None => lost.push(*id),
        }
    }
    let drafts = store
        .proposals_of_user(proposer)
        .await
        .unwrap()
        .iter()
        .filter(|record| record.status == ProposalStatus::Draft)
        .count();
    drop(store);
    println!(
        "crash ({label}) round {}: {} proposals acknowledged so far, lost {}, half-written drafts {drafts}",
        round + 1,
        acknowledged.len(),
        lost.len()
    );
    assert!(lost.is_empty(), "acknowledged proposals lost: {lost:?}");
    assert_eq!(drafts, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_keeps_every_acknowledged_write_through_a_kill() {
    let directory = tempfile::tempdir().unwrap();
    let data = directory.path().to_str().unwrap().to_owned();
    let url = format!("sqlite://{}/corridor.sqlite", data);
    crash_rounds(
        vec![
            "demo".into(),
            "--scale".into(),
            "small".into(),
            "--data-dir".into(),
            data,
        ],
        &url,
        "sqlite",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_keeps_every_acknowledged_write_through_a_kill() {
    use sqlx::Connection;
    let admin_url = std::env::var("CORRIDOR_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    let name = format!("corridor_crash_{}", std::process::id());
    let mut admin = sqlx::PgConnection::connect(&admin_url)
        .await
        .unwrap_or_else(|error| panic!("PostgreSQL at {admin_url} is required: {error}"));
    sqlx::query(&format!("DROP DATABASE IF EXISTS {name}"))
        .execute(&mut admin)
        .await
        .unwrap();
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut admin)
        .await
        .unwrap();
    let url = match admin_url.rsplit_once('/') {
        Some((server, _)) => format!("{server}/{name}"),
        None => panic!("{admin_url} names no database"),
    };
    let generated = Command::new(BINARY)
        .args(["generate", "--scale", "small", "--database", &url])
        .output()
        .unwrap();
    assert!(
        generated.status.success(),
        "{}",
        String::from_utf8_lossy(&generated.stderr)
    );
    crash_rounds(
        vec!["serve".into(), "--database".into(), url.clone()],
        &url,
        "postgresql",
    )
    .await;
    sqlx::query(&format!("DROP DATABASE {name} WITH (FORCE)"))
        .execute(&mut admin)
        .await
        .unwrap();
}
