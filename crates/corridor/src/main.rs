//! `corridor`: the one binary. Subcommands are thin: they parse arguments, open the store,
//! and call into the library crates. The end-to-end benchmarks are a binary of their own,
//! `corridor-bench` (`crates/corridor-bench`), which is not shipped.

mod catalogue_cli;
mod ledger_cli;
mod reach;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand, ValueEnum};
use corridor::{region, Scale};
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

/// How a serving node mails people, names itself in the links it mails, and which identity
/// providers people may sign in with.
#[derive(clap::Args)]
struct MailArgs {
    /// Deliver notifications by mail through this SMTP relay, `smtp://[user:password@]host[:port]`
    /// (e.g. `smtp://127.0.0.1:2525`; plain SMTP, no TLS). Without it, notifications stay
    /// in the outbox (the platform admin reads them at /admin/mail).
    #[arg(long, env = "CORRIDOR_SMTP_URL")]
    smtp: Option<String>,
    /// The From of the mails; its domain also names their Message-IDs.
    #[arg(
        long,
        env = "CORRIDOR_MAIL_FROM",
        default_value = "Corridor <corridor@localhost>"
    )]
    mail_from: String,
    /// The site's address as people reach it, for the links in mails (verification,
    /// password reset); `http://LISTEN` when not said.
    #[arg(long, env = "CORRIDOR_PUBLIC_URL")]
    public_url: Option<String>,
    /// The identity providers for single sign-on (OpenID Connect), a JSON file (docs/SSO.md);
    /// without it, people sign in with a password only.
    #[arg(long, env = "CORRIDOR_SSO_CONFIG")]
    sso_config: Option<PathBuf>,
}

impl MailArgs {
    fn node_options(self, listen: SocketAddr) -> Result<corridor_app::NodeOptions> {
        let sso = match &self.sso_config {
            Some(path) => Some(
                corridor_app::sso::config::SsoConfig::from_file(path)
                    .context("reading the single sign-on configuration")?,
            ),
            None => None,
        };
        Ok(corridor_app::NodeOptions {
            mail: self
                .smtp
                .map(|url| corridor_app::mail::MailerSettings::new(url, self.mail_from)),
            public_base_url: Some(
                self.public_url
                    .unwrap_or_else(|| format!("http://{listen}")),
            ),
            sso,
        })
    }
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
        #[command(flatten)]
        mail: MailArgs,
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
        /// Route on this timetable instead of the demo's generated network: anything
        /// `corridor reach --timetable` reads (a GTFS feed, a qETRC diagram, the RailwayVIS
        /// folder for the station-level national network). Its stations take the region's
        /// city codes by their city's name.
        #[arg(long)]
        timetable: Option<String>,
        /// The national station list (`StationInfo.json`) for the timetable's coordinates.
        #[arg(long, requires = "timetable")]
        stations: Option<std::path::PathBuf>,
        #[command(flatten)]
        mail: MailArgs,
        /// How booking attempts are made safe: `locked` (the product) or `plain` (check-then-
        /// insert under SERIALIZABLE with retries), which only `corridor-bench booking` uses.
        /// Only in builds with the `bench-baselines` feature.
        #[cfg(feature = "bench-baselines")]
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
        /// A GTFS folder or zip, a qETRC `.pyetgr` diagram, a city-level `.json` timetable, a
        /// RailwayVIS folder with station boards (the station-level national network), or
        /// `demo` for the demo region's generated timetable.
        #[arg(long)]
        timetable: String,
        /// A station (its id or code, its name in Chinese or English in any case, its pinyin, or
        /// a prefix only it has), a city name, or a six-digit city code.
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
        /// Leave out a GTFS feed's road routes (buses and coaches feeding the trains).
        #[arg(long)]
        rail_only: bool,
        /// The national station list (`StationInfo.json`), which gives the stations of a qETRC
        /// diagram or of the station boards their coordinates, telegraph codes and cities.
        #[arg(long)]
        stations: Option<std::path::PathBuf>,
        #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
        format: OutputFormat,
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
    /// Imports an institution's catalogue file (CSV or XLSX in the national field set) and
    /// prints the report; exits non-zero when the file is refused or has errors, in which
    /// case nothing is written.
    Import {
        #[arg(long, env = "CORRIDOR_DATABASE_URL")]
        database: String,
        /// The institution whose catalogue the file is.
        #[arg(long)]
        institution: i64,
        /// Report what would change and write nothing.
        #[arg(long)]
        dry_run: bool,
        /// The file lists every instrument of the institution: withdraw the others (hidden
        /// from search and booking, never deleted).
        #[arg(long)]
        complete: bool,
        /// The report's language: en or zh.
        #[arg(long, default_value = "en")]
        lang: String,
        #[arg(long, value_enum, default_value_t = catalogue_cli::ReportFormat::Text)]
        report: catalogue_cli::ReportFormat,
        file: PathBuf,
    },
    /// Writes the public catalogue (every instrument that is not withdrawn, of one
    /// institution or all) in the national field set.
    Export {
        #[arg(long, env = "CORRIDOR_DATABASE_URL")]
        database: String,
        #[arg(long)]
        institution: Option<i64>,
        /// csv, json or xlsx.
        #[arg(long, default_value = "csv")]
        format: String,
        /// The file to write; standard output when absent.
        #[arg(long)]
        to: Option<PathBuf>,
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

/// The booking strategies `corridor serve --booking-strategy` offers in benchmark builds.
#[cfg(feature = "bench-baselines")]
#[derive(Clone, Copy, ValueEnum)]
enum StrategyArg {
    Locked,
    Plain,
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
            mail,
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
            serve(
                store,
                listen,
                false,
                corridor_app::RailSource::Demo,
                mail.node_options(listen)?,
            )
            .await
        }
        Command::Serve {
            database,
            listen,
            secure_cookies,
            timetable,
            stations,
            mail,
            #[cfg(feature = "bench-baselines")]
            booking_strategy,
        } => {
            let store = open(&database).await?;
            #[cfg(feature = "bench-baselines")]
            if let StrategyArg::Plain = booking_strategy {
                tracing::warn!("booking with the plain SERIALIZABLE baseline, not the product's strategy (benchmarks only)");
                store.set_booking_strategy(corridor_store::BookingStrategy::PlainSerializable);
            }
            if store.region().await?.is_none() {
                tracing::warn!("the database holds no region yet; run `corridor generate` to load the demo region");
            }
            let rail = match timetable {
                Some(path) => corridor_app::RailSource::Timetable(reach::load(
                    &path,
                    false,
                    stations.as_deref(),
                )?),
                None => corridor_app::RailSource::Demo,
            };
            let node = mail.node_options(listen)?;
            serve(store, listen, secure_cookies, rail, node).await
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
            rail_only,
            stations,
            format,
        } => reach::run(reach::ReachOptions {
            timetable,
            from,
            depart,
            date,
            window,
            horizon,
            rail_only,
            stations,
            json: matches!(format, OutputFormat::Json),
        }),
        Command::Import {
            database,
            institution,
            dry_run,
            complete,
            lang,
            report,
            file,
        } => {
            let language = corridor_domain::Language::parse(&lang)?;
            let options = corridor_app::catalogue_import::ImportOptions {
                dry_run,
                complete,
                file_name: file.display().to_string(),
            };
            catalogue_cli::import(
                open(&database).await?,
                institution,
                &file,
                options,
                language,
                report,
            )
            .await
        }
        Command::Export {
            database,
            institution,
            format,
            to,
        } => {
            let format = corridor_app::catalogue_export::ExportFormat::parse(&format)
                .map_err(|error| anyhow::anyhow!(error.chain()))?;
            catalogue_cli::export(
                open(&database).await?.as_ref(),
                institution,
                format,
                to.as_deref(),
            )
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

async fn serve(
    store: Arc<dyn Store>,
    listen: SocketAddr,
    secure_cookies: bool,
    rail: corridor_app::RailSource,
    node: corridor_app::NodeOptions,
) -> Result<()> {
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("listening on {listen}"))?;
    let address = listener.local_addr()?;
    let app = corridor_app::App::start_with_options(store, rail, node)
        .await
        .context("starting the node (indexes, background jobs, mailer)")?;
    let app = corridor_web::router(
        Arc::new(app),
        corridor_web::WebConfig {
            secure_cookies,
            request_timeout: None,
        },
    );
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
