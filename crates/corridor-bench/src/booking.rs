//! `corridor-bench booking`: the booking hammer, the plain baseline beside it, a crash in the
//! middle of the hammer, and availability search over every instrument.
//!
//! The server under test is `corridor serve`, started as a child process on a fresh database
//! (see `corridor_binary.rs`), so that the load generator (this process) and the server are
//! separate and the crash round can kill the server with SIGKILL. Durability settings are the
//! product's own: SQLite `synchronous = FULL` in WAL mode, PostgreSQL's defaults (`fsync`,
//! synchronous commit). An attempt counts once it is answered: confirmed (201) or rejected
//! (409 slot taken, 422 a calendar rule). Afterwards the store's plain self-join counts
//! overlapping holding bookings, and every acknowledged booking is looked up by id.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use corridor_demo::DemoScale;
use corridor_domain::{
    AccessPolicy, BookingId, BookingMode, CalendarRules, InstrumentId, UserId, WeeklyOpeningHours,
};
use corridor_store::{AuditContext, Store};
use jiff::{SignedDuration, Timestamp};
use rand::{Rng, SeedableRng};
use serde_json::json;

use crate::corridor_binary::{self, ServedCorridor};
use crate::scratch::{drop_scratch, scratch_database};

pub struct BookingBenchOptions {
    pub clients: usize,
    pub attempts: usize,
    pub hot_instruments: usize,
    pub scale: DemoScale,
    pub postgres_admin_url: String,
    pub backends: Vec<corridor_store::Backend>,
    pub crash: bool,
    pub baseline: bool,
    pub availability: bool,
}

/// What one hammer run measured.
#[derive(Debug, Default)]
struct HammerOutcome {
    confirmed: usize,
    rejected: usize,
    errors: usize,
    seconds: f64,
    latencies_micros: Vec<u32>,
    acknowledged: Vec<i64>,
}

impl HammerOutcome {
    fn attempts_per_second(&self) -> f64 {
        (self.confirmed + self.rejected) as f64 / self.seconds
    }

    fn percentile_ms(&mut self, percentile: f64) -> f64 {
        if self.latencies_micros.is_empty() {
            return 0.0;
        }
        self.latencies_micros.sort_unstable();
        let index = ((self.latencies_micros.len() as f64 * percentile).ceil() as usize)
            .clamp(1, self.latencies_micros.len())
            - 1;
        f64::from(self.latencies_micros[index]) / 1000.0
    }
}

/// The hammer's fixture: hot instruments open every day 08:00-20:00 to everyone with instant
/// booking, and one API token per client, each for a different user.
struct Fixture {
    hot: Vec<InstrumentId>,
    tokens: Vec<String>,
}

async fn prepare(database: &str, options: &BookingBenchOptions) -> Result<Fixture> {
    let store = corridor_store::connect(database).await?;
    store.migrate().await?;
    corridor::region::generate_into(store.as_ref(), corridor_demo::DEFAULT_SEED, options.scale)
        .await?;
    let mut hot = Vec::new();
    for id in 1..=options.hot_instruments as i64 {
        let mut item = store
            .instrument(InstrumentId(id))
            .await?
            .with_context(|| format!("the demo region has no instrument {id}"))?
            .instrument;
        item.access_policy = AccessPolicy::Open;
        item.booking_mode = BookingMode::Instant;
        item.training_required = false;
        item.opening_hours = WeeklyOpeningHours::parse("Mon-Sun 08:00-20:00").expect("valid hours");
        store
            .update_instrument(&item, &AuditContext::default())
            .await?;
        store
            .update_calendar_rules(
                item.id,
                &CalendarRules::standard(),
                &AuditContext::default(),
            )
            .await?;
        hot.push(item.id);
    }
    let mut tokens = Vec::new();
    for user in 1..=options.clients as i64 {
        let (token, hash) =
            corridor_app::accounts::new_secret(corridor_app::accounts::API_TOKEN_PREFIX);
        store
            .create_api_token(
                UserId(user),
                "bench",
                &hash,
                jiff::Timestamp::now() + jiff::SignedDuration::from_hours(24),
                &AuditContext::default(),
            )
            .await?;
        tokens.push(token);
    }
    Ok(Fixture { hot, tokens })
}

/// Runs `attempts` booking attempts from `clients` concurrent keep-alive HTTP clients. When
/// `kill_after` is set, the server is killed with SIGKILL after that many answers, and the
/// clients stop at their first failed request.
async fn hammer(
    server: &mut ServedCorridor,
    fixture: &Fixture,
    attempts: usize,
    kill_after: Option<usize>,
) -> Result<HammerOutcome> {
    let issued = Arc::new(AtomicUsize::new(0));
    let answered = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let outcome = Arc::new(Mutex::new(HammerOutcome::default()));
    let base_day = Timestamp::now();
    let started = Instant::now();
    let mut tasks = Vec::new();
    for (index, token) in fixture.tokens.iter().enumerate() {
        let (issued, answered, stop, outcome) = (
            issued.clone(),
            answered.clone(),
            stop.clone(),
            outcome.clone(),
        );
        let token = token.clone();
        let hot = fixture.hot.clone();
        let url = format!("http://{}/api/v1/bookings", server.address);
        tasks.push(tokio::spawn(async move {
            let client = reqwest::Client::builder().pool_max_idle_per_host(1).build().expect("a client");
            let mut random = rand::rngs::StdRng::seed_from_u64(index as u64);
            let mut local = HammerOutcome::default();
            while !stop.load(Ordering::Relaxed) && issued.fetch_add(1, Ordering::Relaxed) < attempts {
                let instrument = hot[random.gen_range(0..hot.len())];
                let (start, end) = random_slot(&mut random, base_day);
                let body = json!({"instrument_id": instrument.0, "starts_at": start.to_string(), "ends_at": end.to_string()});
                let sent = Instant::now();
                let response = client
                    .post(&url)
                    .bearer_auth(&token)
                    .header("Idempotency-Key", format!("bench-{index}-{}", random.gen::<u64>()))
                    .json(&body)
                    .send()
                    .await;
                let status = match response {
                    Ok(response) => {
                        let status = response.status().as_u16();
                        if status == 201 {
                            let created: serde_json::Value = match response.json().await {
                                Ok(value) => value,
                                Err(_) => {
                                    local.errors += 1;
                                    continue;
                                }
                            };
                            local.acknowledged.push(created["id"].as_i64().unwrap_or_default());
                        } else {
                            let _ = response.bytes().await;
                        }
                        status
                    }
                    Err(_) => {
                        local.errors += 1;
                        if kill_after.is_some() {
                            break;
                        }
                        continue;
                    }
                };
                local.latencies_micros.push(sent.elapsed().as_micros().min(u128::from(u32::MAX)) as u32);
                match status {
                    201 => local.confirmed += 1,
                    409 | 422 => local.rejected += 1,
                    _ => local.errors += 1,
                }
                answered.fetch_add(1, Ordering::Relaxed);
            }
            let mut shared = outcome.lock().expect("not poisoned");
            shared.confirmed += local.confirmed;
            shared.rejected += local.rejected;
            shared.errors += local.errors;
            shared.latencies_micros.extend(local.latencies_micros);
            shared.acknowledged.extend(local.acknowledged);
        }));
    }
    if let Some(kill_after) = kill_after {
        while answered.load(Ordering::Relaxed) < kill_after {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        server.child.kill().context("killing the server")?;
        server.child.wait()?;
        stop.store(true, Ordering::Relaxed);
    }
    for task in tasks {
        task.await?;
    }
    let mut outcome = std::mem::take(&mut *outcome.lock().expect("not poisoned"));
    outcome.seconds = started.elapsed().as_secs_f64();
    Ok(outcome)
}

/// A start on the half-hour between 08:00 and 18:00 Shanghai time on one of the next 28
/// days, lasting 30 minutes to 2 hours.
fn random_slot(random: &mut impl Rng, now: Timestamp) -> (Timestamp, Timestamp) {
    let zone = jiff::tz::db().get("Asia/Shanghai").expect("bundled zone");
    let day =
        now.to_zoned(zone.clone()).date() + jiff::Span::new().days(random.gen_range(1..=28i64));
    let midnight = day
        .to_zoned(zone)
        .expect("a Shanghai midnight exists")
        .timestamp();
    let start = midnight + SignedDuration::from_mins(8 * 60 + 30 * random.gen_range(0..20i64));
    let end = start + SignedDuration::from_mins(30 * random.gen_range(1..=4i64));
    (start, end)
}

/// Acknowledged bookings that the store no longer has, or no longer holds their time (nothing
/// in the hammer cancels one). Read by id in chunks: one read per booking took longer than
/// the hammer itself on PostgreSQL.
async fn lost_bookings(store: &dyn Store, acknowledged: &[i64]) -> Result<usize> {
    let ids: Vec<BookingId> = acknowledged.iter().map(|id| BookingId(*id)).collect();
    let held = store
        .booking_spans(&ids)
        .await?
        .into_iter()
        .filter(|span| span.holding)
        .map(|span| span.booking)
        .collect::<std::collections::HashSet<_>>();
    Ok(ids.iter().filter(|id| !held.contains(id)).count())
}

/// The arguments that make `corridor serve` book with `strategy`: none for the product's
/// (`locked`, the default, and the only one a shipped binary has).
fn strategy_arguments(strategy: &str) -> Vec<&str> {
    if strategy == "locked" {
        Vec::new()
    } else {
        vec!["--booking-strategy", strategy]
    }
}

async fn run_round(
    corridor: &Path,
    backend: corridor_store::Backend,
    strategy: &str,
    options: &BookingBenchOptions,
    label: &str,
) -> Result<serde_json::Value> {
    let database = scratch_database(backend, &options.postgres_admin_url, label).await?;
    let fixture = prepare(&database.url, options).await?;
    let log = PathBuf::from(format!("target/bench-booking-{label}.log"));
    let mut server =
        corridor_binary::serve(corridor, &database.url, &strategy_arguments(strategy), &log)
            .await?;
    let mut outcome = hammer(&mut server, &fixture, options.attempts, None).await?;
    corridor_binary::stop(server)?;
    let store = corridor_store::connect(&database.url).await?;
    let overlaps = store.count_overlapping_bookings().await?;
    let lost = lost_bookings(store.as_ref(), &outcome.acknowledged).await?;
    drop(store);
    drop_scratch(database, &options.postgres_admin_url).await?;
    let result = json!({
        "backend": backend.as_str(), "strategy": strategy, "clients": options.clients, "attempts": outcome.confirmed + outcome.rejected,
        "confirmed": outcome.confirmed, "rejected": outcome.rejected, "errors": outcome.errors,
        "seconds": round(outcome.seconds), "attempts_per_s": round(outcome.attempts_per_second()),
        "p50_ms": round(outcome.percentile_ms(0.50)), "p99_ms": round(outcome.percentile_ms(0.99)),
        "overlaps": overlaps, "lost": lost,
    });
    eprintln!("{result}");
    Ok(result)
}

async fn crash_round(
    corridor: &Path,
    backend: corridor_store::Backend,
    options: &BookingBenchOptions,
) -> Result<serde_json::Value> {
    let label = format!("{}_crash", backend.as_str());
    let database = scratch_database(backend, &options.postgres_admin_url, &label).await?;
    let fixture = prepare(&database.url, options).await?;
    let log = PathBuf::from(format!("target/bench-booking-{label}.log"));
    let mut server = corridor_binary::serve(corridor, &database.url, &[], &log).await?;
    let attempts = options.attempts;
    let outcome = hammer(&mut server, &fixture, attempts, Some(attempts / 3)).await?;
    // The restarted server recovers the database; everything acknowledged must be there.
    let restarted = corridor_binary::serve(
        corridor,
        &database.url,
        &[],
        &log.with_extension("restart.log"),
    )
    .await?;
    let store = corridor_store::connect(&database.url).await?;
    let lost = lost_bookings(store.as_ref(), &outcome.acknowledged).await?;
    let overlaps = store.count_overlapping_bookings().await?;
    drop(store);
    corridor_binary::stop(restarted)?;
    drop_scratch(database, &options.postgres_admin_url).await?;
    let result = json!({
        "backend": backend.as_str(), "acknowledged_before_kill": outcome.acknowledged.len(),
        "failed_in_flight": outcome.errors, "lost": lost, "overlaps": overlaps,
    });
    eprintln!("{result}");
    Ok(result)
}

/// "Free for 4 consecutive hours next week, category X, province Y" over every instrument:
/// the search index and the availability index built from a served store, as a node builds
/// them, then every top-level class × every region province, the same queries without the
/// availability filter beside them.
async fn availability_round(options: &BookingBenchOptions) -> Result<serde_json::Value> {
    use corridor_search::{RateBasis, SearchFilters, SearchRequest, SortOrder};
    let database = scratch_database(
        corridor_store::Backend::Sqlite,
        &options.postgres_admin_url,
        "availability",
    )
    .await?;
    let store = corridor_store::connect(&database.url).await?;
    store.migrate().await?;
    corridor::region::generate_into(store.as_ref(), corridor_demo::DEFAULT_SEED, options.scale)
        .await?;
    let search = corridor_app::indexes::search::SearchService::build(store.as_ref()).await?;
    let started = Instant::now();
    let availability =
        corridor_app::indexes::availability::AvailabilityService::build(store.as_ref()).await?;
    let availability_build_ms = started.elapsed().as_secs_f64() * 1000.0;
    let classes: Vec<corridor_domain::CategoryCode> = store
        .categories()
        .await?
        .into_iter()
        .filter(|category| category.code.is_top_level())
        .map(|category| category.code)
        .collect();
    let zone = jiff::tz::db().get("Asia/Shanghai").expect("bundled zone");
    let today = Timestamp::now().to_zoned(zone.clone()).date();
    let next_monday =
        today + jiff::Span::new().days(7 - i64::from(today.weekday().to_monday_zero_offset()));
    let week_start = next_monday.to_zoned(zone).expect("a midnight").timestamp();
    let week_end = week_start + SignedDuration::from_hours(24 * 7);
    let filter = Arc::new(availability.shared.free_filter(
        week_start,
        week_end,
        SignedDuration::from_hours(4),
    )?);
    let mut with_filter = Vec::new();
    let mut without_filter = Vec::new();
    let mut matched = 0u64;
    let mut matched_without_filter = 0u64;
    for round in 0..17 {
        for class in &classes {
            for province in [
                corridor_domain::ProvinceCode::Shanghai,
                corridor_domain::ProvinceCode::Jiangsu,
                corridor_domain::ProvinceCode::Zhejiang,
                corridor_domain::ProvinceCode::Anhui,
            ] {
                for (samples, extra) in [
                    (
                        &mut with_filter,
                        vec![filter.clone() as Arc<dyn corridor_search::CandidateFilter>],
                    ),
                    (&mut without_filter, Vec::new()),
                ] {
                    let request = SearchRequest {
                        text: String::new(),
                        filters: SearchFilters {
                            categories: vec![class.clone()],
                            provinces: vec![province],
                            extra,
                            ..SearchFilters::default()
                        },
                        rate_basis: RateBasis {
                            class: corridor_domain::UserClass::OtherAcademic,
                            home_institution: None,
                        },
                        sort: SortOrder::Relevance,
                        origin: None,
                        offset: 0,
                        limit: 20,
                        grouping: corridor_search::Grouping::Flat,
                    };
                    let started = Instant::now();
                    let results = search.index.search(&request)?;
                    samples.push(started.elapsed().as_secs_f64() * 1000.0);
                    if round == 0 {
                        if request.filters.extra.is_empty() {
                            matched_without_filter += results.total;
                        } else {
                            matched += results.total;
                        }
                    }
                }
            }
        }
    }
    drop(store);
    drop_scratch(database, &options.postgres_admin_url).await?;
    let percentile = |samples: &mut Vec<f64>, fraction: f64| {
        samples.sort_by(|a, b| a.total_cmp(b));
        let index = ((samples.len() as f64 * fraction).ceil() as usize).clamp(1, samples.len()) - 1;
        (samples[index] * 1000.0).round() / 1000.0
    };
    let result = json!({
        "queries": with_filter.len(),
        "availability_p50_ms": percentile(&mut with_filter, 0.5),
        "availability_p99_ms": percentile(&mut with_filter, 0.99),
        "same_queries_without_availability_p50_ms": percentile(&mut without_filter, 0.5),
        "same_queries_without_availability_p99_ms": percentile(&mut without_filter, 0.99),
        "instruments_free_for_4_hours_next_week": matched,
        "instruments_matching_without_the_availability_filter": matched_without_filter,
        "availability_index_build_ms": round(availability_build_ms),
        "availability_index_bytes": availability.shared.snapshot().memory_bytes(),
    });
    eprintln!("{result}");
    Ok(result)
}

fn round(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}

pub async fn run(options: BookingBenchOptions) -> Result<()> {
    // Checked before anything is generated: a missing binary, or one without the plain
    // strategy, fails at once rather than minutes into the run.
    let corridor = corridor_binary::corridor_binary()?;
    if options.baseline {
        corridor_binary::require_plain_booking_strategy(&corridor)?;
    }
    let mut summary = serde_json::Map::new();
    let mut rounds = Vec::new();
    if options.availability {
        let availability = availability_round(&options).await?;
        summary.insert(
            "availability_p99_ms".into(),
            availability["availability_p99_ms"].clone(),
        );
        summary.insert("availability".into(), availability);
    }
    let mut total_lost = 0;
    let mut total_overlaps = 0;
    for backend in options.backends.clone() {
        let name = backend.as_str();
        let mut locked = run_round(
            &corridor,
            backend,
            "locked",
            &options,
            &format!("{name}_locked"),
        )
        .await?;
        summary.insert(
            format!("{name}_attempts_per_s"),
            locked["attempts_per_s"].clone(),
        );
        summary.insert(format!("{name}_p99_ms"), locked["p99_ms"].clone());
        total_lost += locked["lost"].as_u64().unwrap_or(0);
        total_overlaps += locked["overlaps"].as_u64().unwrap_or(0);
        if options.baseline {
            let plain = run_round(
                &corridor,
                backend,
                "plain",
                &options,
                &format!("{name}_plain"),
            )
            .await?;
            summary.insert(
                format!("{name}_plain_attempts_per_s"),
                plain["attempts_per_s"].clone(),
            );
            summary.insert(format!("{name}_plain_p99_ms"), plain["p99_ms"].clone());
            let ratio = locked["attempts_per_s"].as_f64().unwrap_or(0.0)
                / plain["attempts_per_s"].as_f64().unwrap_or(1.0).max(0.001);
            summary.insert(format!("{name}_ratio_to_plain"), json!(round(ratio)));
            total_lost += plain["lost"].as_u64().unwrap_or(0);
            total_overlaps += plain["overlaps"].as_u64().unwrap_or(0);
            rounds.push(plain);
        }
        if options.crash {
            let crash = crash_round(&corridor, backend, &options).await?;
            summary.insert(format!("{name}_crash_lost"), crash["lost"].clone());
            total_lost += crash["lost"].as_u64().unwrap_or(0);
            total_overlaps += crash["overlaps"].as_u64().unwrap_or(0);
            rounds.push(crash);
        }
        locked["role"] = json!("product");
        rounds.push(locked);
    }
    summary.insert("overlaps".into(), json!(total_overlaps));
    summary.insert("lost".into(), json!(total_lost));
    summary.insert("rounds".into(), json!(rounds));
    println!("{}", serde_json::Value::Object(summary));
    Ok(())
}
