//! Sign-in stays cheap under a password-guessing flood (issue 23): the p99 of other requests
//! during a flood of wrong passwords, beside the quiet p99 of the same requests.
//!
//! The benchmark generates the full demo region into a scratch SQLite database and serves it
//! with the real binary. Four "people" fetch a fixed mix of other requests one after another
//! (a search, an instrument's API record, its HTML page, `/api/v1/me` with a token) and every
//! answer time is kept. Three phases follow one another, each `seconds` long:
//!
//! 1. quiet: only the people;
//! 2. one-source flood: `attackers` tasks post wrong passwords to `/api/v1/tokens` from one
//!    client address as fast as the server answers, for demo addresses and made-up ones;
//! 3. many-source flood: the same from `sources` loopback addresses (127.0.0.2 …), so that
//!    each source stays within its own per-client allowance for longer and the flood reaches
//!    the password check (argon2) as a distributed attack would.
//!
//! Reported per phase: the people's p50 and p99 and the p99 ratio to the quiet phase (target
//! ≤ 2), the attackers' answers by status (401 reached argon2; 429 was turned away by the
//! limiter or by the password workers' bound), and the number of attempts per second.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use serde_json::json;

use crate::corridor_binary::{corridor_binary, serve, stop};
use crate::scratch::{drop_scratch, scratch_database};
use crate::statistics::percentile;

pub struct SignInFloodOptions {
    pub seed: u64,
    pub seconds: u64,
    pub attackers: usize,
    pub sources: u8,
    pub people: usize,
}

const DEMO_PASSWORD: &str = "corridor-demo";
const RATIO_TARGET: f64 = 2.0;

pub async fn run(options: SignInFloodOptions) -> Result<()> {
    let binary = corridor_binary()?;
    let database = scratch_database(corridor_store::Backend::Sqlite, "", "flood").await?;
    {
        let store = corridor_store::connect(&database.url).await?;
        store.migrate().await?;
        eprintln!("sign-in flood bench: generating the demo region");
        corridor::region::generate_into(
            store.as_ref(),
            options.seed,
            corridor_demo::DemoScale::full(),
        )
        .await?;
    }
    let log = PathBuf::from("target/bench-logs/sign-in-flood-server.log");
    let server = serve(&binary, &database.url, &[], &log).await?;
    let base = server.base_url();
    let outcome = measure(&base, &options).await;
    stop(server)?;
    drop_scratch(database, "").await?;
    outcome
}

/// The requests the people make, in turn.
async fn people_requests(base: &str) -> Result<(Vec<String>, String)> {
    let client = reqwest::Client::new();
    let token: serde_json::Value = client
        .post(format!("{base}/api/v1/tokens"))
        .json(&json!({ "email": "researcher@corridor.demo", "password": DEMO_PASSWORD, "name": "flood bench" }))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let token = token["token"].as_str().context("a token")?.to_owned();
    let found: serde_json::Value = client
        .get(format!("{base}/api/v1/search?q=XPS&limit=1"))
        .send()
        .await?
        .json()
        .await?;
    let instrument = found["items"][0]["id"]
        .as_i64()
        .or_else(|| found["groups"][0]["instruments"][0]["id"].as_i64())
        .or_else(|| found["groups"][0]["items"][0]["id"].as_i64())
        .context("the search finds an XPS instrument")?;
    Ok((
        vec![
            "/api/v1/search?q=X-ray+photoelectron&limit=10".to_owned(),
            format!("/api/v1/instruments/{instrument}"),
            format!("/instruments/{instrument}"),
            "/api/v1/me".to_owned(),
        ],
        token,
    ))
}

/// The people's loops until `stop`; each answer time in milliseconds.
async fn people(
    base: &str,
    count: usize,
    paths: &[String],
    token: &str,
    stop: Arc<AtomicBool>,
) -> Vec<f64> {
    let samples = Arc::new(Mutex::new(Vec::new()));
    let mut tasks = Vec::new();
    for person in 0..count {
        let (base, paths, token, stop, samples) = (
            base.to_owned(),
            paths.to_vec(),
            token.to_owned(),
            stop.clone(),
            samples.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let client = reqwest::Client::new();
            let mut turn = person;
            while !stop.load(Ordering::Relaxed) {
                let path = &paths[turn % paths.len()];
                turn += 1;
                let started = Instant::now();
                let answer = client
                    .get(format!("{base}{path}"))
                    .bearer_auth(&token)
                    .send()
                    .await;
                if let Ok(response) = answer {
                    let ok = response.status().is_success();
                    let _ = response.bytes().await;
                    if ok {
                        samples
                            .lock()
                            .unwrap()
                            .push(started.elapsed().as_secs_f64() * 1_000.0);
                    }
                }
            }
        }));
    }
    for task in tasks {
        let _ = task.await;
    }
    let mut samples = std::mem::take(&mut *samples.lock().unwrap());
    samples.sort_by(f64::total_cmp);
    samples
}

/// Attackers posting wrong passwords from `sources` client addresses until `stop`; answers by
/// status.
async fn attackers(
    base: &str,
    count: usize,
    sources: u8,
    stop: Arc<AtomicBool>,
) -> BTreeMap<u16, u64> {
    let statuses = Arc::new(Mutex::new(BTreeMap::<u16, u64>::new()));
    let mut tasks = Vec::new();
    for attacker in 0..count {
        let (base, stop, statuses) = (base.to_owned(), stop.clone(), statuses.clone());
        let source = 2 + (attacker % usize::from(sources.max(1))) as u8;
        tasks.push(tokio::spawn(async move {
            let client = reqwest::Client::builder()
                .local_address(IpAddr::V4(Ipv4Addr::new(127, 0, 0, source)))
                .build()
                .expect("a client bound to a loopback address");
            let mut guess = 0u64;
            while !stop.load(Ordering::Relaxed) {
                guess += 1;
                // Half the guesses aim at real demo accounts, half at made-up addresses.
                let email = if guess % 2 == 0 {
                    ["researcher@corridor.demo", "company@corridor.demo", "admin@corridor.demo"][(guess / 2 % 3) as usize].to_owned()
                } else {
                    format!("guess-{attacker}-{guess}@example.org")
                };
                let answer = client
                    .post(format!("{base}/api/v1/tokens"))
                    .json(&json!({ "email": email, "password": format!("wrong password {guess}"), "name": "guess" }))
                    .send()
                    .await;
                let status = match answer {
                    Ok(response) => {
                        let status = response.status().as_u16();
                        let _ = response.bytes().await;
                        status
                    }
                    Err(_) => 0,
                };
                *statuses.lock().unwrap().entry(status).or_default() += 1;
            }
        }));
    }
    for task in tasks {
        let _ = task.await;
    }
    let statuses = statuses.lock().unwrap().clone();
    statuses
}

async fn phase(
    base: &str,
    options: &SignInFloodOptions,
    paths: &[String],
    token: &str,
    sources: Option<u8>,
) -> (Vec<f64>, BTreeMap<u16, u64>) {
    let stop = Arc::new(AtomicBool::new(false));
    let people = people(base, options.people, paths, token, stop.clone());
    let flood = async {
        match sources {
            Some(sources) => attackers(base, options.attackers, sources, stop.clone()).await,
            None => BTreeMap::new(),
        }
    };
    let timer = async {
        tokio::time::sleep(Duration::from_secs(options.seconds)).await;
        stop.store(true, Ordering::Relaxed);
    };
    let (samples, statuses, ()) = tokio::join!(people, flood, timer);
    (samples, statuses)
}

async fn measure(base: &str, options: &SignInFloodOptions) -> Result<()> {
    let (paths, token) = people_requests(base).await?;
    println!(
        "sign-in flood: {} people fetching {:?}; {} attackers; {} s per phase",
        options.people, paths, options.attackers, options.seconds
    );
    let (quiet, _) = phase(base, options, &paths, &token, None).await;
    let quiet_p99 = percentile(&quiet, 0.99);
    let mut report = vec![json!({
        "phase": "quiet", "requests": quiet.len(),
        "p50_ms": percentile(&quiet, 0.50), "p99_ms": quiet_p99,
    })];
    println!(
        "{:<22} {:>9} {:>9} {:>9} {:>10} {:>12}  attackers' answers",
        "phase", "requests", "p50 ms", "p99 ms", "p99 ratio", "guesses/s"
    );
    println!(
        "{:<22} {:>9} {:>9.2} {:>9.2} {:>10} {:>12}",
        "quiet",
        quiet.len(),
        percentile(&quiet, 0.50),
        quiet_p99,
        "1.00",
        "-"
    );
    let mut met = true;
    for (name, sources) in [
        ("flood, one source", 1u8),
        ("flood, many sources", options.sources),
    ] {
        let (samples, statuses) = phase(base, options, &paths, &token, Some(sources)).await;
        let p99 = percentile(&samples, 0.99);
        let ratio = if quiet_p99 > 0.0 {
            p99 / quiet_p99
        } else {
            f64::NAN
        };
        let guesses: u64 = statuses.values().sum();
        met &= ratio <= RATIO_TARGET;
        println!(
            "{:<22} {:>9} {:>9.2} {:>9.2} {:>10.2} {:>12.0}  {:?}",
            name,
            samples.len(),
            percentile(&samples, 0.50),
            p99,
            ratio,
            guesses as f64 / options.seconds as f64,
            statuses
        );
        report.push(json!({
            "phase": name, "sources": sources, "requests": samples.len(),
            "p50_ms": percentile(&samples, 0.50), "p99_ms": p99, "p99_ratio": ratio,
            "guesses": guesses, "statuses": statuses,
        }));
    }
    println!(
        "{}",
        serde_json::to_string(&json!({ "sign_in_flood": report }))?
    );
    if met {
        println!(
            "the other requests' p99 stays within {RATIO_TARGET}× of the quiet p99 in both floods"
        );
    } else {
        println!("a flood pushed the other requests' p99 beyond {RATIO_TARGET}× of the quiet p99");
    }
    Ok(())
}
