//! `corridor`: the one binary. Subcommands are thin: they parse arguments, open the store,
//! and call into the library crates.

mod bench_allocation;
mod bench_analytics;
mod bench_booking;
mod bench_ledger;
mod bench_search;
mod ledger_cli;
mod reach;
mod region;
mod region_programme;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand, ValueEnum};
use corridor_demo::DemoScale;
use corridor_store::Store;
use tracing_subscriber::EnvFilter;

#[derive(Parser)]
#[command(
    name = "corridor",
    version,
    about = "Shared research infrastructure across a region's provinces"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Generates the demo region into a data directory (once) and serves it.
    Demo {
        /// Where the demo keeps its SQLite database; reused on every start.
        #[arg(long, default_value = "corridor-data")]
        data_dir: PathBuf,
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
        #[arg(long, default_value_t = corridor_demo::DEFAULT_SEED)]
        seed: u64,
        /// `small` is for tests that start many servers; the demo region is `full`.
        #[arg(long, value_enum, default_value_t = Scale::Full)]
        scale: Scale,
    },
    /// Serves an existing database.
    Serve {
        /// `sqlite://PATH` or `postgres://USER@HOST/DB`.
        #[arg(long, env = "CORRIDOR_DATABASE_URL")]
        database: String,
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
        /// Mark cookies `Secure`; set this when the server is behind HTTPS.
        #[arg(long)]
        secure_cookies: bool,
        /// How booking attempts are made safe: `locked` (the product) or `plain` (check-then-
        /// insert under SERIALIZABLE with retries), which only `bench booking` uses.
        #[arg(long, value_enum, default_value_t = StrategyArg::Locked)]
        booking_strategy: StrategyArg,
    },
    /// Generates the demo region into a database that holds none yet.
    Generate {
        #[arg(long, env = "CORRIDOR_DATABASE_URL")]
        database: String,
        #[arg(long, default_value_t = corridor_demo::DEFAULT_SEED)]
        seed: u64,
        #[arg(long, value_enum, default_value_t = Scale::Full)]
        scale: Scale,
    },
    /// Applies the database migrations that have not run yet.
    Migrate {
        #[arg(long, env = "CORRIDOR_DATABASE_URL")]
        database: String,
    },
    /// Earliest arrival by rail at every station from a station or city.
    Reach {
        /// A GTFS folder or zip, a qETRC `.pyetgr` diagram, a city-level `.json` timetable, or
        /// `demo` for the demo region's generated timetable.
        #[arg(long)]
        timetable: String,
        /// A station name (Chinese or English), a city name, or a six-digit city code.
        #[arg(long)]
        from: String,
        /// Departure, HH:MM.
        #[arg(long)]
        depart: String,
        /// Only trains running on this date (YYYY-MM-DD); every train when absent.
        #[arg(long)]
        date: Option<String>,
        /// Leave any time in this many minutes after --depart and report the shortest travel time.
        #[arg(long)]
        window: Option<u16>,
        /// Ignore arrivals more than this many minutes after departure.
        #[arg(long, default_value_t = 24 * 60)]
        horizon: u16,
        #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
        format: OutputFormat,
    },
    /// Benchmarks; each prints one JSON object on its last line.
    Bench {
        #[command(subcommand)]
        which: BenchCommand,
    },
    /// The voucher ledger: replay and verify it, or print a settlement statement.
    Ledger {
        #[command(subcommand)]
        which: LedgerCommand,
    },
    /// Writes a consistent copy of a SQLite database to a new file, safe while a server
    /// uses it; prints the backup's size, schema version and rows per table as JSON.
    Backup {
        #[arg(long, env = "CORRIDOR_DATABASE_URL")]
        database: String,
        /// The backup file to create; an existing file is never overwritten.
        #[arg(long)]
        to: PathBuf,
    },
    /// Restores a backup made by `corridor backup` as the database (stop the server first).
    Restore {
        /// The backup file.
        #[arg(long)]
        from: PathBuf,
        #[arg(long, env = "CORRIDOR_DATABASE_URL")]
        database: String,
        /// Replace the database if it exists.
        #[arg(long)]
        replace: bool,
    },
    /// Prints the region a database holds and its row counts, as JSON.
    Status {
        #[arg(long, env = "CORRIDOR_DATABASE_URL")]
        database: String,
    },
}

#[derive(Subcommand)]
enum LedgerCommand {
    /// Replays every transfer, compares every balance, checks debits equal credits; exits
    /// non-zero when anything differs.
    Reconcile {
        #[arg(long, env = "CORRIDOR_DATABASE_URL")]
        database: String,
    },
    /// What each province's programmes owe claimants, per provider province, for the
    /// redemptions posted in [from, to).
    Settlement {
        #[arg(long, env = "CORRIDOR_DATABASE_URL")]
        database: String,
        /// An RFC 3339 instant or a date (midnight, Asia/Shanghai).
        #[arg(long)]
        from: String,
        #[arg(long)]
        to: String,
        #[arg(long, value_enum, default_value_t = StatementFormat::Csv)]
        format: StatementFormat,
    },
    /// Expires the vouchers of programmes whose claim grace (30 days after their last day)
    /// has passed: releases their open holds and returns what is left to the budgets. The
    /// server does the same every hour; this runs it now.
    ExpireVouchers {
        #[arg(long, env = "CORRIDOR_DATABASE_URL")]
        database: String,
        /// The day to expire as of (YYYY-MM-DD); today in the region when absent.
        #[arg(long)]
        today: Option<jiff::civil::Date>,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum StatementFormat {
    Csv,
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
enum OutputFormat {
    Json,
    Table,
}

#[derive(Subcommand)]
enum BenchCommand {
    /// Routing on the national city-level timetable: one-to-all, 2-hour profile, all pairs;
    /// with `--peer scripts/bench-reach-peer`, pyraptor on the same queries.
    Reach {
        /// The city-level timetable (json_schedulers.json).
        #[arg(long)]
        timetable: Option<std::path::PathBuf>,
        #[arg(long)]
        peer: Option<std::path::PathBuf>,
    },
    /// Search latency in process and over HTTP (wrk), beside SQLite FTS5 and PostgreSQL
    /// full-text search on the same rows.
    Search {
        #[arg(long, default_value_t = corridor_demo::DEFAULT_SEED)]
        seed: u64,
        /// How long each of the three rounds of wrk loads the server (medians are reported).
        #[arg(long, default_value_t = 10)]
        http_seconds: u64,
        /// The PostgreSQL server the baseline creates a scratch database on.
        #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432/postgres")]
        postgres: String,
    },
    /// The booking hammer: concurrent HTTP clients booking hot instruments on a served
    /// database, with the plain SERIALIZABLE baseline, a kill -9 round, and an overlap check.
    Booking {
        #[arg(long, default_value_t = 64)]
        clients: usize,
        #[arg(long, default_value_t = 100_000)]
        attempts: usize,
        #[arg(long, default_value_t = 100)]
        hot: usize,
        #[arg(long, value_enum, default_value_t = BackendArg::Both)]
        backend: BackendArg,
        #[arg(long, value_enum, default_value_t = Scale::Full)]
        scale: Scale,
        /// Skip the plain baseline round.
        #[arg(long)]
        no_baseline: bool,
        /// Skip the kill -9 round.
        #[arg(long)]
        no_crash: bool,
        /// Skip the availability-search round.
        #[arg(long)]
        no_availability: bool,
        /// The PostgreSQL server the rounds create scratch databases on.
        #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432/postgres")]
        postgres: String,
    },
    /// The ledger: durable transfers in batches beside one per commit, 64 clients racing to
    /// spend the same vouchers, and a replay of every transfer.
    Ledger {
        /// Transfers written (then replayed) on SQLite.
        #[arg(long, default_value_t = 10_000_000)]
        transfers: usize,
        /// Transfers written (then replayed) on PostgreSQL.
        #[arg(long, default_value_t = 1_000_000)]
        postgres_transfers: usize,
        #[arg(long, default_value_t = 4_096)]
        batch: usize,
        #[arg(long, default_value_t = 64)]
        clients: usize,
        #[arg(long, value_enum, default_value_t = BackendArg::Both)]
        backend: BackendArg,
        #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432/postgres")]
        postgres: String,
    },
    /// The facility programme's solvers at the size of a cycle: reviewer assignment for 1,500
    /// proposals × 400 reviewers beside a greedy baseline.
    Allocation {
        #[arg(long, default_value_t = 2026)]
        seed: u64,
        /// How many times the assignment is solved (the median is reported).
        #[arg(long, default_value_t = 5)]
        rounds: usize,
    },
    /// Every dashboard question over the demo region's year of bookings, from the analytics
    /// facts, beside plain SQL GROUP BY over the same tables.
    Analytics {
        #[arg(long, default_value_t = corridor_demo::DEFAULT_SEED)]
        seed: u64,
        /// How many times each question is asked for each of the 17 periods.
        #[arg(long, default_value_t = 12)]
        rounds: usize,
        /// sqlite or postgres (both is not offered: one region generation per run).
        #[arg(long, value_enum, default_value_t = BackendArg::Sqlite)]
        backend: BackendArg,
        #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432/postgres")]
        postgres: String,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum StrategyArg {
    Locked,
    Plain,
}

#[derive(Clone, Copy, ValueEnum)]
enum BackendArg {
    Sqlite,
    Postgres,
    Both,
}

#[derive(Clone, Copy, ValueEnum)]
enum Scale {
    Full,
    Small,
}

impl BackendArg {
    fn backends(self) -> Vec<corridor_store::Backend> {
        use corridor_store::Backend;
        match self {
            BackendArg::Sqlite => vec![Backend::Sqlite],
            BackendArg::Postgres => vec![Backend::Postgres],
            BackendArg::Both => vec![Backend::Sqlite, Backend::Postgres],
        }
    }
}

impl Scale {
    fn demo_scale(self) -> DemoScale {
        match self {
            Scale::Full => DemoScale::full(),
            Scale::Small => DemoScale::small(),
        }
    }
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,tower_http=warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(run(cli.command))
}

async fn open(database: &str) -> Result<Arc<dyn Store>> {
    let store = corridor_store::connect(database)
        .await
        .with_context(|| format!("opening the database {database}"))?;
    store.migrate().await.context("migrating the database")?;
    Ok(store)
}

async fn run(command: Command) -> Result<()> {
    match command {
        Command::Demo {
            data_dir,
            listen,
            seed,
            scale,
        } => {
            std::fs::create_dir_all(&data_dir)
                .with_context(|| format!("creating the data directory {}", data_dir.display()))?;
            let path = data_dir.join("corridor.sqlite");
            let url = format!("sqlite://{}", path.display());
            let store = open(&url).await?;
            match store.region().await? {
                Some(existing) => {
                    tracing::info!(region = %existing.name, seed = existing.seed, generated_at = %existing.generated_at, "reusing the region in {}", path.display());
                }
                None => {
                    region::generate_into(store.as_ref(), seed, scale.demo_scale()).await?;
                }
            }
            region::print_demo_accounts(store.as_ref(), listen).await?;
            serve(store, listen, false).await
        }
        Command::Serve {
            database,
            listen,
            secure_cookies,
            booking_strategy,
        } => {
            let store = open(&database).await?;
            if let StrategyArg::Plain = booking_strategy {
                store.set_booking_strategy(corridor_store::BookingStrategy::PlainSerializable);
            }
            if store.region().await?.is_none() {
                tracing::warn!("the database holds no region yet; run `corridor generate` to load the demo region");
            }
            serve(store, listen, secure_cookies).await
        }
        Command::Generate {
            database,
            seed,
            scale,
        } => {
            let store = open(&database).await?;
            if let Some(existing) = store.region().await? {
                bail!("the database already holds the region {:?} (seed {}, generated {}); nothing was written", existing.name, existing.seed, existing.generated_at);
            }
            region::generate_into(store.as_ref(), seed, scale.demo_scale()).await?;
            Ok(())
        }
        Command::Reach {
            timetable,
            from,
            depart,
            date,
            window,
            horizon,
            format,
        } => reach::run(reach::ReachOptions {
            timetable,
            from,
            depart,
            date,
            window,
            horizon,
            json: matches!(format, OutputFormat::Json),
        }),
        Command::Bench {
            which: BenchCommand::Reach { timetable, peer },
        } => reach::bench(timetable, peer),
        Command::Bench {
            which:
                BenchCommand::Search {
                    seed,
                    http_seconds,
                    postgres,
                },
        } => {
            bench_search::run(bench_search::SearchBenchOptions {
                seed,
                http_seconds,
                postgres_url: postgres,
            })
            .await
        }
        Command::Bench {
            which:
                BenchCommand::Booking {
                    clients,
                    attempts,
                    hot,
                    backend,
                    scale,
                    no_baseline,
                    no_crash,
                    no_availability,
                    postgres,
                },
        } => {
            bench_booking::run(bench_booking::BookingBenchOptions {
                clients,
                attempts,
                hot_instruments: hot,
                scale: scale.demo_scale(),
                postgres_admin_url: postgres,
                backends: backend.backends(),
                crash: !no_crash,
                baseline: !no_baseline,
                availability: !no_availability,
            })
            .await
        }
        Command::Bench {
            which:
                BenchCommand::Ledger {
                    transfers,
                    postgres_transfers,
                    batch,
                    clients,
                    backend,
                    postgres,
                },
        } => {
            bench_ledger::run(bench_ledger::LedgerBenchOptions {
                backends: backend.backends(),
                sqlite_transfers: transfers,
                postgres_transfers,
                batch,
                clients,
                postgres_admin_url: postgres,
            })
            .await
        }
        Command::Bench {
            which: BenchCommand::Allocation { seed, rounds },
        } => bench_allocation::run(seed, rounds),
        Command::Bench {
            which:
                BenchCommand::Analytics {
                    seed,
                    rounds,
                    backend,
                    postgres,
                },
        } => {
            let backend = match backend {
                BackendArg::Sqlite => corridor_store::Backend::Sqlite,
                BackendArg::Postgres => corridor_store::Backend::Postgres,
                BackendArg::Both => anyhow::bail!("bench analytics runs on one backend at a time"),
            };
            bench_analytics::run(bench_analytics::AnalyticsBenchOptions {
                backend,
                seed,
                rounds,
                postgres_admin_url: postgres,
            })
            .await
        }
        Command::Migrate { database } => {
            open(&database).await?;
            println!("migrations applied to {database}");
            Ok(())
        }
        Command::Ledger {
            which: LedgerCommand::Reconcile { database },
        } => ledger_cli::reconcile(open(&database).await?.as_ref()).await,
        Command::Ledger {
            which:
                LedgerCommand::Settlement {
                    database,
                    from,
                    to,
                    format,
                },
        } => {
            let store = open(&database).await?;
            ledger_cli::settlement(
                store.as_ref(),
                &from,
                &to,
                matches!(format, StatementFormat::Csv),
            )
            .await
        }
        Command::Ledger {
            which: LedgerCommand::ExpireVouchers { database, today },
        } => ledger_cli::expire_vouchers(open(&database).await?.as_ref(), today).await,
        Command::Backup { database, to } => {
            refuse_postgres_backup(&database)?;
            let report = corridor_store::backup::backup_sqlite(&database, &to)
                .await
                .with_context(|| format!("backing up {database}"))?;
            print_backup_report("backup", &report);
            Ok(())
        }
        Command::Restore {
            from,
            database,
            replace,
        } => {
            refuse_postgres_backup(&database)?;
            let report = corridor_store::backup::restore_sqlite(&from, &database, replace)
                .await
                .with_context(|| format!("restoring {} as {database}", from.display()))?;
            print_backup_report("restore", &report);
            Ok(())
        }
        Command::Status { database } => {
            let store = corridor_store::connect(&database).await?;
            let region = store.region().await?;
            let counts = store.table_counts().await?;
            let tables: serde_json::Map<String, serde_json::Value> = counts
                .tables
                .iter()
                .map(|(table, (rows, key_sum))| {
                    (
                        (*table).to_owned(),
                        serde_json::json!({ "rows": rows, "key_sum": key_sum }),
                    )
                })
                .collect();
            let status = serde_json::json!({
                "backend": store.backend().as_str(),
                "region": region.map(|region| serde_json::json!({
                    "name": region.name, "seed": region.seed, "generator_version": region.generator_version,
                    "generated_at": region.generated_at.to_string(),
                })),
                "tables": tables,
            });
            println!("{}", serde_json::to_string_pretty(&status)?);
            Ok(())
        }
    }
}

async fn serve(store: Arc<dyn Store>, listen: SocketAddr, secure_cookies: bool) -> Result<()> {
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("listening on {listen}"))?;
    let address = listener.local_addr()?;
    let app = corridor_web::app(store, corridor_web::WebConfig {
            secure_cookies,
            request_timeout: None,
        })
        .await
        .context("building the search index")?;
    tracing::info!("serving on http://{address}");
    println!("Corridor is serving on http://{address}");
    corridor_web::serve(listener, app, shutdown_signal())
        .await
        .context("serving HTTP")?;
    tracing::info!("stopped");
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM, after which the server finishes the requests in flight.
async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
}

/// Backups of PostgreSQL are `pg_dump`'s job; the procedure is in docs/OPERATIONS.md.
fn refuse_postgres_backup(database: &str) -> Result<()> {
    if database.starts_with("postgres:") || database.starts_with("postgresql:") {
        anyhow::bail!(
            "corridor backup and restore handle SQLite; back up PostgreSQL with pg_dump and restore with pg_restore (docs/OPERATIONS.md gives the procedure)"
        );
    }
    Ok(())
}

fn print_backup_report(action: &str, report: &corridor_store::backup::BackupReport) {
    println!(
        "{}",
        serde_json::json!({
            "action": action,
            "path": report.path.display().to_string(),
            "bytes": report.bytes,
            "schema_version": report.schema_version,
            "tables": report.tables,
        })
    );
}
