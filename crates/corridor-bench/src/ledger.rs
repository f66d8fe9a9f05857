//! `corridor-bench ledger`: durable transfers in batches, the single-transfer baseline beside
//! them, 64 clients racing to spend the same vouchers, and a replay of the whole ledger.
//!
//! The store is called in process (the ledger has no public HTTP endpoint of its own; the
//! voucher API drives it). Durability is the product's: SQLite `synchronous = FULL` in WAL
//! mode on a file under the working directory, PostgreSQL's defaults. The workload is the
//! voucher life cycle: a province issues value to vouchers, bookings hold part of it (pending
//! transfers to providers), and usage posts the holds for the actual amount or cancellations
//! void them.

use std::time::Instant;

use anyhow::{bail, Context, Result};
use corridor_domain::ledger::{
    AccountFlags, LedgerAccountId, Movement, TransferKey, TransferOutcome, TransferRequest,
};
use corridor_domain::Fen;
use corridor_store::{AuditContext, Backend, NewLedgerAccount, Store};
use rand::{Rng, SeedableRng};
use serde_json::json;

use crate::scratch::{drop_scratch, scratch_database};
use crate::statistics::percentile;

pub struct LedgerBenchOptions {
    pub backends: Vec<Backend>,
    /// How many transfers the fill writes on SQLite, then replays.
    pub sqlite_transfers: usize,
    /// The same on PostgreSQL.
    pub postgres_transfers: usize,
    pub batch: usize,
    pub clients: usize,
    pub postgres_admin_url: String,
}

const VOUCHERS: usize = 20_000;
const PROVIDERS: usize = 200;

struct Accounts {
    treasury: LedgerAccountId,
    vouchers: Vec<LedgerAccountId>,
    providers: Vec<LedgerAccountId>,
}

async fn create_accounts(store: &dyn Store, vouchers: usize, tag: &str) -> Result<Accounts> {
    let context = AuditContext::default();
    let mut new = vec![NewLedgerAccount {
        code: "province_treasury".into(),
        owner: Some(format!("province:{tag}")),
        label: "treasury".into(),
        flags: AccountFlags::NONE,
    }];
    new.extend((0..vouchers).map(|index| NewLedgerAccount {
        code: "voucher".into(),
        owner: Some(format!("voucher:{tag}-{index}")),
        label: format!("voucher {index}"),
        flags: AccountFlags::NO_OVERDRAFT,
    }));
    new.extend((0..PROVIDERS).map(|index| NewLedgerAccount {
        code: "provider_receivable".into(),
        owner: Some(format!("provider:{tag}-{index}")),
        label: format!("provider {index}"),
        flags: AccountFlags::NONE,
    }));
    let ids = store.create_ledger_accounts(&new, &context).await?;
    Ok(Accounts {
        treasury: ids[0],
        vouchers: ids[1..=vouchers].to_vec(),
        providers: ids[vouchers + 1..].to_vec(),
    })
}

fn key(text: String) -> TransferKey {
    TransferKey::parse(&text).expect("bench keys are valid")
}

/// Generates the voucher life cycle batch by batch, remembering which holds are open.
struct Workload {
    random: rand::rngs::StdRng,
    open_holds: Vec<String>,
    /// How many vouchers received their first issue.
    funded: usize,
    next: u64,
    prefix: String,
}

impl Workload {
    fn new(seed: u64, prefix: &str) -> Workload {
        Workload {
            random: rand::rngs::StdRng::seed_from_u64(seed),
            open_holds: Vec::new(),
            funded: 0,
            next: 0,
            prefix: prefix.to_owned(),
        }
    }

    fn next_key(&mut self) -> String {
        self.next += 1;
        format!("{}{}", self.prefix, self.next)
    }

    fn batch(&mut self, accounts: &Accounts, size: usize) -> Vec<TransferRequest> {
        let mut batch = Vec::with_capacity(size);
        // Every voucher is issued its first value before anything is spent from it.
        while batch.len() < size && self.funded < accounts.vouchers.len() {
            let voucher = accounts.vouchers[self.funded];
            self.funded += 1;
            batch.push(TransferRequest::Posted(Movement {
                key: key(self.next_key()),
                debit_account: accounts.treasury,
                credit_account: voucher,
                amount: Fen(self.random.gen_range(50_000..500_000)),
                code: "voucher.issue".into(),
                reference: None,
            }));
        }
        while batch.len() < size {
            let roll: u32 = self.random.gen_range(0..100);
            let name = self.next_key();
            let voucher = accounts.vouchers[self.random.gen_range(0..accounts.vouchers.len())];
            let provider = accounts.providers[self.random.gen_range(0..accounts.providers.len())];
            let request = if roll < 15 {
                TransferRequest::Posted(Movement {
                    key: key(name),
                    debit_account: accounts.treasury,
                    credit_account: voucher,
                    amount: Fen(self.random.gen_range(50_000..500_000)),
                    code: "voucher.issue".into(),
                    reference: None,
                })
            } else if roll < 55 || self.open_holds.is_empty() {
                self.open_holds.push(name.clone());
                TransferRequest::Pending(Movement {
                    key: key(name),
                    debit_account: voucher,
                    credit_account: provider,
                    amount: Fen(self.random.gen_range(1_000..40_000)),
                    code: "voucher.hold".into(),
                    reference: None,
                })
            } else {
                let index = self.random.gen_range(0..self.open_holds.len());
                let pending = key(self.open_holds.swap_remove(index));
                if roll < 85 {
                    TransferRequest::PostPending {
                        key: key(name),
                        pending,
                        amount: None,
                        code: "voucher.redeem".into(),
                    }
                } else {
                    TransferRequest::VoidPending {
                        key: key(name),
                        pending,
                        code: "voucher.release".into(),
                    }
                }
            };
            batch.push(request);
        }
        batch
    }
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    percentile(values, 0.5)
}

/// Writes `total` transfers in batches and reports the rate per batch and overall.
async fn fill(
    store: &dyn Store,
    accounts: &Accounts,
    total: usize,
    batch_size: usize,
) -> Result<serde_json::Value> {
    let mut workload = Workload::new(7, "f");
    let context = AuditContext::default();
    let mut batch_rates = Vec::new();
    let mut batch_millis = Vec::new();
    let mut accepted = 0usize;
    let mut refused = 0usize;
    let started = Instant::now();
    let mut reported = 0usize;
    // Until `total` transfers are in the ledger: refused ones (a hold on a voucher that ran
    // dry) are not written, so they do not count.
    while accepted < total {
        let size = batch_size.min(total - accepted);
        let batch = workload.batch(accounts, size);
        let batch_started = Instant::now();
        let outcomes = store
            .create_transfers(&batch, jiff::Timestamp::now(), &context)
            .await?;
        let seconds = batch_started.elapsed().as_secs_f64();
        let created = outcomes
            .iter()
            .filter(|outcome| matches!(outcome, Ok(TransferOutcome::Created(_))))
            .count();
        accepted += created;
        refused += outcomes.len() - created;
        batch_rates.push(outcomes.len() as f64 / seconds);
        batch_millis.push(seconds * 1000.0);
        if accepted >= reported + 1_000_000 {
            reported = accepted;
            eprintln!(
                "ledger fill: {reported} transfers in {:.1} s",
                started.elapsed().as_secs_f64()
            );
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    batch_millis.sort_by(f64::total_cmp);
    Ok(json!({
        "transfers": accepted + refused,
        "accepted": accepted,
        "refused": refused,
        "batch_size": batch_size,
        "seconds": seconds,
        "transfers_per_s": (accepted + refused) as f64 / seconds,
        "median_batch_transfers_per_s": median(&mut batch_rates),
        "batch_p50_ms": percentile(&batch_millis, 0.5),
        "batch_p99_ms": percentile(&batch_millis, 0.99),
    }))
}

/// The same workload, one transfer per call: what batching buys.
async fn single_transfers(store: &dyn Store, accounts: &Accounts, count: usize) -> Result<f64> {
    let mut workload = Workload::new(11, "s");
    let context = AuditContext::default();
    let started = Instant::now();
    for _ in 0..count {
        let batch = workload.batch(accounts, 1);
        store
            .create_transfers(&batch, jiff::Timestamp::now(), &context)
            .await?;
    }
    Ok(count as f64 / started.elapsed().as_secs_f64())
}

/// `clients` tasks race to hold and spend from the same few vouchers, each funded with less
/// than the clients together ask for.
async fn hammer(store: &dyn Store, clients: usize) -> Result<serde_json::Value> {
    const HOT_VOUCHERS: usize = 20;
    const ROUNDS: usize = 150;
    let accounts = create_accounts(store, HOT_VOUCHERS, "hammer").await?;
    let context = AuditContext::default();
    let funding: Vec<TransferRequest> = accounts
        .vouchers
        .iter()
        .enumerate()
        .map(|(index, voucher)| {
            TransferRequest::Posted(Movement {
                key: key(format!("hammer-fund-{index}")),
                debit_account: accounts.treasury,
                credit_account: *voucher,
                amount: Fen(2_000_000),
                code: "voucher.issue".into(),
                reference: None,
            })
        })
        .collect();
    store
        .create_transfers(&funding, jiff::Timestamp::now(), &context)
        .await?;
    let started = Instant::now();
    let tasks = (0..clients).map(|client| {
        let accounts = &accounts;
        let context = context.clone();
        async move {
            let mut random = rand::rngs::StdRng::seed_from_u64(client as u64);
            let mut held = 0usize;
            let mut refused = 0usize;
            let mut latencies = Vec::with_capacity(ROUNDS * 2);
            for round in 0..ROUNDS {
                let voucher = accounts.vouchers[random.gen_range(0..HOT_VOUCHERS)];
                let provider = accounts.providers[random.gen_range(0..PROVIDERS)];
                let hold_key = format!("hammer-{client}-{round}");
                let hold = TransferRequest::Pending(Movement {
                    key: key(hold_key.clone()),
                    debit_account: voucher,
                    credit_account: provider,
                    amount: Fen(random.gen_range(10_000..30_000)),
                    code: "voucher.hold".into(),
                    reference: None,
                });
                let asked = Instant::now();
                let outcome = store
                    .create_transfers(&[hold], jiff::Timestamp::now(), &context)
                    .await?;
                latencies.push(asked.elapsed().as_secs_f64() * 1000.0);
                if outcome[0].is_err() {
                    refused += 1;
                    continue;
                }
                held += 1;
                // Most holds are used (posted for a little less); some are cancelled.
                let settle = if random.gen_bool(0.8) {
                    TransferRequest::PostPending {
                        key: key(format!("{hold_key}-use")),
                        pending: key(hold_key),
                        amount: Some(Fen(9_000)),
                        code: "voucher.redeem".into(),
                    }
                } else {
                    TransferRequest::VoidPending {
                        key: key(format!("{hold_key}-cancel")),
                        pending: key(hold_key),
                        code: "voucher.release".into(),
                    }
                };
                let asked = Instant::now();
                let outcome = store
                    .create_transfers(&[settle], jiff::Timestamp::now(), &context)
                    .await?;
                latencies.push(asked.elapsed().as_secs_f64() * 1000.0);
                if let Err(refusal) = &outcome[0] {
                    bail!("settling an accepted hold was refused: {refusal}");
                }
            }
            Ok::<_, anyhow::Error>((held, refused, latencies))
        }
    });
    let results = futures_util::future::try_join_all(tasks).await?;
    let seconds = started.elapsed().as_secs_f64();
    let (mut held, mut refused, mut latencies) = (0, 0, Vec::new());
    for (client_held, client_refused, client_latencies) in results {
        held += client_held;
        refused += client_refused;
        latencies.extend(client_latencies);
    }
    latencies.sort_by(f64::total_cmp);
    let overspend = store.count_overdrawn_accounts().await?;
    let reconciliation = store.reconcile_ledger().await?;
    Ok(json!({
        "clients": clients,
        "holds_accepted": held,
        "holds_refused_for_lack_of_funds": refused,
        "requests": latencies.len(),
        "requests_per_s": latencies.len() as f64 / seconds,
        "p50_ms": percentile(&latencies, 0.5),
        "p99_ms": percentile(&latencies, 0.99),
        "overspend": overspend,
        "balanced": reconciliation.is_consistent(),
    }))
}

async fn run_backend(backend: Backend, options: &LedgerBenchOptions) -> Result<serde_json::Value> {
    let database = scratch_database(backend, &options.postgres_admin_url, "ledger").await?;
    let store = corridor_store::connect(&database.url).await?;
    store.migrate().await?;
    let accounts = create_accounts(store.as_ref(), VOUCHERS, "fill").await?;
    let total = match backend {
        Backend::Sqlite => options.sqlite_transfers,
        Backend::Postgres => options.postgres_transfers,
    };
    eprintln!(
        "ledger bench on {}: filling {total} transfers",
        backend.as_str()
    );
    let filled = fill(store.as_ref(), &accounts, total, options.batch).await?;
    let single_per_s = single_transfers(store.as_ref(), &accounts, 2_000).await?;
    eprintln!("ledger bench on {}: replaying", backend.as_str());
    let mut reconcile_seconds = Vec::new();
    let mut reconciliation = None;
    for _ in 0..3 {
        let started = Instant::now();
        reconciliation = Some(store.reconcile_ledger().await?);
        reconcile_seconds.push(started.elapsed().as_secs_f64());
    }
    let reconciliation = reconciliation.expect("three runs");
    if !reconciliation.is_consistent() {
        bail!("the ledger does not reconcile: {reconciliation:?}");
    }
    eprintln!("ledger bench on {}: hammer", backend.as_str());
    let hammered = hammer(store.as_ref(), options.clients).await?;
    let batched_per_s = filled["transfers_per_s"].as_f64().unwrap_or(0.0);
    let result = json!({
        "backend": backend.as_str(),
        "fill": filled,
        "transfers_per_s": batched_per_s,
        "baseline_single_transfer_per_s": single_per_s,
        "batching_speedup": batched_per_s / single_per_s,
        "reconciled_transfers": reconciliation.transfers,
        "reconcile_runs_s": reconcile_seconds.clone(),
        "reconcile_median_s": median(&mut reconcile_seconds),
        "reconcile_consistent": reconciliation.is_consistent(),
        "hammer": hammered,
    });
    drop(store);
    drop_scratch(database, &options.postgres_admin_url).await?;
    Ok(result)
}

pub async fn run(options: LedgerBenchOptions) -> Result<()> {
    if options.batch == 0 || options.batch > corridor_store::LEDGER_BATCH_MAX_TRANSFERS {
        bail!(
            "--batch must be 1 to {}",
            corridor_store::LEDGER_BATCH_MAX_TRANSFERS
        );
    }
    let mut results = serde_json::Map::new();
    for backend in &options.backends {
        let result = run_backend(*backend, &options)
            .await
            .with_context(|| format!("the ledger bench on {}", backend.as_str()))?;
        eprintln!("{}", serde_json::to_string_pretty(&result)?);
        results.insert(backend.as_str().to_owned(), result);
    }
    let sqlite = results.get("sqlite");
    let summary = json!({
        "transfers_per_s": sqlite.and_then(|result| result["transfers_per_s"].as_f64()),
        "reconcile_10m_s": sqlite
            .filter(|result| result["reconciled_transfers"].as_u64().unwrap_or(0) >= 10_000_000)
            .and_then(|result| result["reconcile_median_s"].as_f64()),
        "overspend": results.values().map(|result| result["hammer"]["overspend"].as_u64().unwrap_or(u64::MAX)).max(),
        "balanced": results.values().all(|result| result["hammer"]["balanced"] == json!(true) && result["reconcile_consistent"] == json!(true)),
        "backends": results,
    });
    println!("{summary}");
    Ok(())
}
