//! `corridor-bench`: Corridor's end-to-end benchmarks, a binary of their own so that the
//! shipped `corridor` carries neither them nor what only they need (an HTTP client, scratch
//! directories, the plain booking strategy). Each prints one JSON object on its last line;
//! BENCHMARKS.md records what they measured.
//!
//! The benchmarks that need a server start `corridor serve` as a child process, the binary
//! next to this one: build both with `cargo build --release -p corridor -p corridor-bench`
//! (see `corridor_binary.rs`).

mod allocation;
mod analytics;
mod booking;
mod corridor_binary;
mod import;
mod ledger;
mod mail;
mod pages;
mod reach;
mod scratch;
mod search;
mod sign_in_flood;
mod statistics;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand, ValueEnum};
use corridor::Scale;
use tracing_subscriber::EnvFilter;

#[derive(Parser)]
#[command(
    name = "corridor-bench",
    version,
    about = "Corridor's end-to-end benchmarks; each prints one JSON object on its last line"
)]
struct Cli {
    #[command(subcommand)]
    command: BenchCommand,
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
        /// Route on the station-level national network instead: the RailwayVIS folder with
        /// its station boards, and the national station list for coordinates (issue 26).
        #[arg(long)]
        station_level: bool,
    },
    /// Search latency in process and over HTTP (wrk against `corridor serve`), beside SQLite
    /// FTS5 and PostgreSQL full-text search on the same rows.
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
    /// Every page's server time (median, p95) and weight (HTML + CSS) on the demo region,
    /// found by crawling the site as each demo role (issue 31).
    Pages {
        #[arg(long, default_value_t = corridor_demo::DEFAULT_SEED)]
        seed: u64,
        /// How many times each page is fetched (one at a time).
        #[arg(long, default_value_t = 40)]
        rounds: usize,
        #[arg(long, default_value_t = 30)]
        max_pages_per_role: usize,
    },
    /// Sign-in under a password-guessing flood: the p99 of other requests during a flood of
    /// wrong passwords from one client address and from many, beside the quiet p99.
    SignInFlood {
        #[arg(long, default_value_t = corridor_demo::DEFAULT_SEED)]
        seed: u64,
        /// How long each phase (quiet, one-source flood, many-source flood) lasts.
        #[arg(long, default_value_t = 60)]
        seconds: u64,
        /// Concurrent guessing tasks.
        #[arg(long, default_value_t = 32)]
        attackers: usize,
        /// Loopback addresses the many-source flood comes from (127.0.0.2 …).
        #[arg(long, default_value_t = 200)]
        sources: u8,
        /// Concurrent people making other requests.
        #[arg(long, default_value_t = 4)]
        people: usize,
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
    /// The catalogue file import and export at the demo region's size: the whole catalogue
    /// exported (CSV and JSON throughput, memory), then re-imported institution by
    /// institution as an update (validate, apply with the search index, peak memory), and
    /// once more, which changes nothing.
    Import {
        #[arg(long, default_value_t = corridor_demo::DEFAULT_SEED)]
        seed: u64,
        #[arg(long, value_enum, default_value_t = Scale::Full)]
        scale: Scale,
        /// sqlite or postgres (one region generation per run).
        #[arg(long, value_enum, default_value_t = BackendArg::Sqlite)]
        backend: BackendArg,
        #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432/postgres")]
        postgres: String,
    },
    /// Mail delivery of a backlog of notifications to a real SMTP server (scripts/smtp-sink,
    /// aiosmtpd): the sustained rate beside Python's smtplib into the same sink, then a round
    /// with the sink killed with SIGKILL and restarted (lost, duplicates by Message-ID).
    Mail {
        #[arg(long, default_value_t = 50_000)]
        notifications: usize,
        #[arg(long, default_value_t = 3)]
        runs: usize,
        /// Notifications claimed per round.
        #[arg(long, default_value_t = 100)]
        batch: u32,
        /// Messages in flight at once (SMTP connections), also the baseline's connections.
        #[arg(long, default_value_t = 8)]
        concurrent_sends: usize,
        /// The share of the backlog delivered before the sink is killed.
        #[arg(long, default_value_t = 0.4)]
        kill_at: f64,
        /// How long the sink stays down, in milliseconds.
        #[arg(long, default_value_t = 2_000)]
        down_ms: u64,
        /// A Python with aiosmtpd (default: CORRIDOR_TEST_SMTP_PYTHON, target/smtp-sink-venv,
        /// python3).
        #[arg(long)]
        python: Option<std::path::PathBuf>,
        #[arg(long, value_enum, default_value_t = BackendArg::Sqlite)]
        backend: BackendArg,
        #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432/postgres")]
        postgres: String,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum BackendArg {
    Sqlite,
    Postgres,
    Both,
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

async fn run(command: BenchCommand) -> Result<()> {
    match command {
        BenchCommand::Reach {
            timetable,
            peer,
            station_level: false,
        } => reach::run(timetable, peer),
        BenchCommand::Reach {
            timetable,
            station_level: true,
            ..
        } => reach::run_station_level(timetable),
        BenchCommand::Search {
            seed,
            http_seconds,
            postgres,
        } => {
            search::run(search::SearchBenchOptions {
                seed,
                http_seconds,
                postgres_url: postgres,
            })
            .await
        }
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
        } => {
            booking::run(booking::BookingBenchOptions {
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
        BenchCommand::Ledger {
            transfers,
            postgres_transfers,
            batch,
            clients,
            backend,
            postgres,
        } => {
            ledger::run(ledger::LedgerBenchOptions {
                backends: backend.backends(),
                sqlite_transfers: transfers,
                postgres_transfers,
                batch,
                clients,
                postgres_admin_url: postgres,
            })
            .await
        }
        BenchCommand::Allocation { seed, rounds } => allocation::run(seed, rounds),
        BenchCommand::SignInFlood {
            seed,
            seconds,
            attackers,
            sources,
            people,
        } => {
            sign_in_flood::run(sign_in_flood::SignInFloodOptions {
                seed,
                seconds,
                attackers,
                sources,
                people,
            })
            .await
        }
        BenchCommand::Pages {
            seed,
            rounds,
            max_pages_per_role,
        } => {
            pages::run(pages::PagesBenchOptions {
                seed,
                rounds,
                max_pages_per_role,
            })
            .await
        }
        BenchCommand::Mail {
            notifications,
            runs,
            batch,
            concurrent_sends,
            kill_at,
            down_ms,
            python,
            backend,
            postgres,
        } => {
            mail::run(mail::MailBenchOptions {
                backends: backend.backends(),
                notifications,
                runs,
                batch,
                concurrent_sends,
                kill_at,
                down_for: std::time::Duration::from_millis(down_ms),
                python,
                postgres_admin_url: postgres,
            })
            .await
        }
        BenchCommand::Import {
            seed,
            scale,
            backend,
            postgres,
        } => {
            let backend = match backend {
                BackendArg::Sqlite => corridor_store::Backend::Sqlite,
                BackendArg::Postgres => corridor_store::Backend::Postgres,
                BackendArg::Both => {
                    anyhow::bail!("corridor-bench import runs on one backend at a time")
                }
            };
            import::run(import::ImportBenchOptions {
                backend,
                seed,
                scale: scale.demo_scale(),
                postgres_admin_url: postgres,
            })
            .await
        }
        BenchCommand::Analytics {
            seed,
            rounds,
            backend,
            postgres,
        } => {
            let backend = match backend {
                BackendArg::Sqlite => corridor_store::Backend::Sqlite,
                BackendArg::Postgres => corridor_store::Backend::Postgres,
                BackendArg::Both => {
                    anyhow::bail!("corridor-bench analytics runs on one backend at a time")
                }
            };
            analytics::run(analytics::AnalyticsBenchOptions {
                backend,
                seed,
                rounds,
                postgres_admin_url: postgres,
            })
            .await
        }
    }
}
