//! `corridor-bench mail`: delivery of the notification outbox to a real SMTP server.
//!
//! Per run and backend: a scratch database with a small region and a backlog of N
//! notifications (50,000 by default), the product's mailer (`corridor_app::mail`, in this
//! process, as a serving node runs it) delivering to `scripts/smtp-sink` (aiosmtpd writing a
//! maildir), timed from the first claim to the last mark: the sustained rate. Then a second
//! backlog in a fresh database, with the sink killed with SIGKILL once a share of it arrived,
//! restarted on the same port after a pause, and the mailer left to finish: every queued
//! Message-ID is looked for in the maildir (lost must be 0) and the extra copies are counted
//! (duplicates, by Message-ID).
//!
//! The baseline, measured in the same run against a fresh sink: `scripts/smtp-blast`, Python's
//! smtplib sending messages of the same shape over as many connections, with no database at
//! all: how fast the sink itself accepts mail.

use std::collections::HashMap;
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use corridor_app::mail::{Mailer, MailerSettings, RetryPolicy};
use corridor_store::beamtime::NewNotification;
use corridor_store::{AuditContext, Backend, RegionData, RegionUser, Store};
use jiff::SignedDuration;

use crate::scratch::{drop_scratch, scratch_database};

pub struct MailBenchOptions {
    pub backends: Vec<Backend>,
    pub notifications: usize,
    pub runs: usize,
    pub batch: u32,
    pub concurrent_sends: usize,
    /// The share of the backlog delivered before the sink is killed.
    pub kill_at: f64,
    /// How long the sink stays down.
    pub down_for: Duration,
    pub python: Option<PathBuf>,
    pub postgres_admin_url: String,
}

const SENDER: &str = "Corridor <noreply@corridor.test>";

pub async fn run(options: MailBenchOptions) -> Result<()> {
    let python = python_with_aiosmtpd(options.python.as_deref())?;
    let mut report = serde_json::Map::new();
    report.insert("notifications".into(), options.notifications.into());
    report.insert("batch".into(), options.batch.into());
    report.insert("concurrent_sends".into(), options.concurrent_sends.into());
    report.insert("python".into(), python.display().to_string().into());
    for backend in &options.backends {
        let mut rates = Vec::new();
        let mut baseline_rates = Vec::new();
        let mut rounds = Vec::new();
        for run in 1..=options.runs {
            let baseline = baseline_rate(&python, &options).await?;
            eprintln!(
                "[{} run {run}] baseline: smtplib into the sink at {baseline:.0} messages/s",
                backend.as_str()
            );
            baseline_rates.push(baseline);
            let throughput = throughput_round(*backend, &python, &options, run).await?;
            eprintln!(
                "[{} run {run}] mailer: {} messages in {:.2} s, {:.0} messages/s",
                backend.as_str(),
                options.notifications,
                throughput.seconds,
                throughput.rate
            );
            rates.push(throughput.rate);
            let crash = crash_round(*backend, &python, &options, run).await?;
            eprintln!(
                "[{} run {run}] kill -9 of the sink: {} lost, {} duplicates by Message-ID ({} delivered before the kill, down {:.1} s, finished {:.2} s after the restart)",
                backend.as_str(),
                crash.lost,
                crash.duplicates,
                crash.delivered_before_kill,
                options.down_for.as_secs_f64(),
                crash.seconds_after_restart
            );
            rounds.push(serde_json::json!({
                "run": run,
                "baseline_messages_per_second": round1(baseline),
                "messages_per_second": round1(throughput.rate),
                "seconds": round1(throughput.seconds),
                "crash": {
                    "delivered_before_kill": crash.delivered_before_kill,
                    "lost": crash.lost,
                    "duplicates": crash.duplicates,
                    "seconds_after_restart": round1(crash.seconds_after_restart),
                },
            }));
            if crash.lost > 0 {
                bail!("{} messages were lost in the kill round", crash.lost);
            }
        }
        report.insert(
            backend.as_str().into(),
            serde_json::json!({
                "median_messages_per_second": round1(median(&mut rates)),
                "median_baseline_messages_per_second": round1(median(&mut baseline_rates)),
                "runs": rounds,
            }),
        );
    }
    println!("{}", serde_json::Value::Object(report));
    Ok(())
}

struct Throughput {
    seconds: f64,
    rate: f64,
}

struct CrashRound {
    delivered_before_kill: usize,
    lost: usize,
    duplicates: usize,
    seconds_after_restart: f64,
}

fn settings(options: &MailBenchOptions, url: String) -> MailerSettings {
    MailerSettings {
        batch_size: options.batch,
        concurrent_sends: options.concurrent_sends,
        smtp_timeout: Duration::from_secs(10),
        idle_wait: Duration::from_millis(50),
        retry: RetryPolicy {
            first_delay: SignedDuration::from_millis(200),
            longest_delay: SignedDuration::from_secs(2),
            max_attempts: 1_000,
        },
        ..MailerSettings::new(url, SENDER)
    }
}

async fn throughput_round(
    backend: Backend,
    python: &Path,
    options: &MailBenchOptions,
    run: usize,
) -> Result<Throughput> {
    let database =
        scratch_database(backend, &options.postgres_admin_url, &format!("mail_{run}")).await?;
    let store = backlog(&database.url, options.notifications).await?;
    let maildir = scratch_maildir()?;
    let sink = SmtpSink::start(python, maildir.path(), 0)?;
    let mailer = Mailer::new(store.clone(), settings(options, sink.url()))?;
    let started = Instant::now();
    let delivered = mailer.deliver_until_nothing_is_due().await?;
    let seconds = started.elapsed().as_secs_f64();
    if delivered.sent != options.notifications {
        bail!(
            "the mailer sent {} of {} ({delivered:?})",
            delivered.sent,
            options.notifications
        );
    }
    let copies = message_ids(maildir.path())?;
    if copies.len() != options.notifications {
        bail!(
            "the sink holds {} distinct messages, not {}",
            copies.len(),
            options.notifications
        );
    }
    drop(sink);
    drop(store);
    drop_scratch(database, &options.postgres_admin_url).await?;
    Ok(Throughput {
        seconds,
        rate: options.notifications as f64 / seconds,
    })
}

async fn crash_round(
    backend: Backend,
    python: &Path,
    options: &MailBenchOptions,
    run: usize,
) -> Result<CrashRound> {
    let database = scratch_database(
        backend,
        &options.postgres_admin_url,
        &format!("mail_crash_{run}"),
    )
    .await?;
    let store = backlog(&database.url, options.notifications).await?;
    let maildir = scratch_maildir()?;
    let mut sink = SmtpSink::start(python, maildir.path(), 0)?;
    let port = sink.port;
    let job =
        corridor_app::mail::spawn_mail_delivery(store.clone(), settings(options, sink.url()))?;
    let kill_at = ((options.notifications as f64) * options.kill_at) as usize;
    let waiting = Instant::now();
    while delivered_files(maildir.path()) < kill_at {
        if waiting.elapsed() > Duration::from_secs(600) {
            bail!("{kill_at} messages did not arrive within ten minutes");
        }
        // Not more often: listing a directory of tens of thousands of files takes CPU from
        // the sender and the sink.
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    sink.kill()?;
    let delivered_before_kill = delivered_files(maildir.path());
    tokio::time::sleep(options.down_for).await;
    let sink = SmtpSink::start(python, maildir.path(), port)?;
    let restarted = Instant::now();
    loop {
        let counts = store.outbox_counts().await?;
        if counts.pending == 0 {
            if counts.given_up > 0 {
                bail!("the mailer gave up on {} messages", counts.given_up);
            }
            break;
        }
        if restarted.elapsed() > Duration::from_secs(600) {
            bail!("the outbox did not drain within ten minutes of the restart: {counts:?}");
        }
        // The counts scan the whole outbox: asked rarely, they leave the CPU to the sender.
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let seconds_after_restart = restarted.elapsed().as_secs_f64();
    job.abort();
    let copies = message_ids(maildir.path())?;
    // `backlog` numbers the notifications 1..=N, so these are every queued Message-ID.
    let lost = (1..=options.notifications)
        .filter(|id| !copies.contains_key(&format!("<notification-{id}@corridor.test>")))
        .count();
    let duplicates = copies.values().map(|count| count - 1).sum();
    drop(sink);
    drop(store);
    drop_scratch(database, &options.postgres_admin_url).await?;
    Ok(CrashRound {
        delivered_before_kill,
        lost,
        duplicates,
        seconds_after_restart,
    })
}

/// A migrated database with a small region (its users are the recipients) and `count`
/// notifications queued.
async fn backlog(url: &str, count: usize) -> Result<Arc<dyn Store>> {
    let store = corridor_store::connect(url).await?;
    store.migrate().await?;
    let region = corridor_demo::generate(
        corridor_demo::DEFAULT_SEED,
        corridor_demo::DemoScale {
            instruments: 300,
            users: 500,
            corporations: 20,
        },
        &mut |_, _, _| {},
    );
    let users: Vec<_> = region.users.iter().map(|user| user.id).collect();
    store
        .import_region(&RegionData {
            name: region.name,
            seed: region.seed,
            generator_version: region.generator_version,
            time_zone: region.time_zone,
            cities: region.cities,
            categories: region.categories,
            institutions: region.institutions,
            sites: region.sites,
            instruments: region.instruments,
            beamlines: region.beamlines,
            users: region
                .users
                .into_iter()
                .map(|user| RegionUser {
                    user,
                    password_hash: None,
                })
                .collect(),
        })
        .await?;
    let notifications: Vec<NewNotification> = (0..count)
        .map(|number| notification(users[number % users.len()], number))
        .collect();
    let ids = store
        .queue_notifications(
            &notifications,
            corridor_store::now(),
            &AuditContext::default(),
        )
        .await?;
    if ids.first() != Some(&1) || ids.last() != Some(&(count as i64)) {
        bail!("the backlog's ids are not 1..={count}");
    }
    Ok(store)
}

/// A notification of the size the product writes (a proposal decision: a subject line and a
/// few hundred characters of text).
fn notification(user: corridor_domain::UserId, number: usize) -> NewNotification {
    NewNotification {
        user,
        kind: "proposal_decision".to_owned(),
        subject: format!("Beamtime decision on proposal {number}"),
        body: notification_body(number),
    }
}

fn notification_body(number: usize) -> String {
    format!(
        "Dear colleague,\n\nthe user office has decided on proposal {number} of the current cycle: \
         12 of the 15 shifts you asked for were granted on beamline BL09B, to be scheduled in \
         the second half of the cycle. The reasons and the placed shifts are on the proposal's \
         page.\n\nShanghai Synchrotron Radiation Facility user office\n"
    )
}

/// The Python baseline: `scripts/smtp-blast` into a fresh sink, messages/s.
async fn baseline_rate(python: &Path, options: &MailBenchOptions) -> Result<f64> {
    let maildir = scratch_maildir()?;
    let sink = SmtpSink::start(python, maildir.path(), 0)?;
    let output = tokio::task::spawn_blocking({
        let python = python.to_owned();
        let port = sink.port;
        let count = options.notifications;
        let connections = options.concurrent_sends;
        move || {
            std::process::Command::new(python)
                .arg(scripts_dir().join("smtp-blast"))
                .args(["--port", &port.to_string()])
                .args(["--count", &count.to_string()])
                .args(["--connections", &connections.to_string()])
                .output()
        }
    })
    .await?
    .context("running scripts/smtp-blast")?;
    if !output.status.success() {
        bail!(
            "scripts/smtp-blast failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let stdout = String::from_utf8(output.stdout)?;
    let result: serde_json::Value = serde_json::from_str(
        stdout
            .lines()
            .last()
            .context("scripts/smtp-blast printed nothing")?,
    )?;
    let delivered = delivered_files(maildir.path());
    if delivered != options.notifications {
        bail!(
            "the baseline delivered {delivered} of {}",
            options.notifications
        );
    }
    drop(sink);
    result["messages_per_second"]
        .as_f64()
        .context("scripts/smtp-blast's rate")
}

fn scripts_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts")
}

/// A Python that has aiosmtpd: `--python`, else `CORRIDOR_TEST_SMTP_PYTHON`, else the virtual
/// environment scripts/test makes, else `python3`.
fn python_with_aiosmtpd(chosen: Option<&Path>) -> Result<PathBuf> {
    let candidates: Vec<PathBuf> = match chosen {
        Some(path) => vec![path.to_owned()],
        None => std::env::var_os("CORRIDOR_TEST_SMTP_PYTHON")
            .map(PathBuf::from)
            .into_iter()
            .chain([
                Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("../../target/smtp-sink-venv/bin/python"),
                PathBuf::from("python3"),
            ])
            .collect(),
    };
    for candidate in &candidates {
        let works = std::process::Command::new(candidate)
            .args(["-c", "import aiosmtpd"])
            .output()
            .is_ok_and(|output| output.status.success());
        if works {
            return Ok(candidate.clone());
        }
    }
    bail!("no Python with aiosmtpd among {candidates:?}; run scripts/test once (it makes target/smtp-sink-venv) or pass --python")
}

fn scratch_maildir() -> Result<tempfile::TempDir> {
    // Under the working directory, like the scratch databases: /tmp may be a RAM disk.
    tempfile::Builder::new()
        .prefix("corridor-bench-maildir-")
        .tempdir_in(".")
        .context("creating a scratch maildir")
}

fn delivered_files(maildir: &Path) -> usize {
    std::fs::read_dir(maildir.join("new")).map_or(0, |entries| entries.count())
}

/// How many copies of each Message-ID the maildir holds.
fn message_ids(maildir: &Path) -> Result<HashMap<String, usize>> {
    let mut copies = HashMap::new();
    for entry in std::fs::read_dir(maildir.join("new"))? {
        let path = entry?.path();
        let file = std::io::BufReader::new(std::fs::File::open(&path)?);
        let mut found = None;
        for line in file.lines() {
            let line = line?;
            if line.is_empty() {
                break;
            }
            if let Some(value) = line
                .split_once(':')
                .filter(|(name, _)| name.eq_ignore_ascii_case("message-id"))
                .map(|(_, value)| value.trim().to_owned())
            {
                found = Some(value);
                break;
            }
        }
        let id = found.with_context(|| format!("{} has no Message-ID", path.display()))?;
        *copies.entry(id).or_insert(0) += 1;
    }
    Ok(copies)
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(f64::NAN)
}

fn round1(value: f64) -> f64 {
    (value * 10.0).round() / 10.0
}

/// A running `scripts/smtp-sink`.
struct SmtpSink {
    child: std::process::Child,
    port: u16,
}

impl SmtpSink {
    fn start(python: &Path, maildir: &Path, port: u16) -> Result<SmtpSink> {
        let mut child = std::process::Command::new(python)
            .arg(scripts_dir().join("smtp-sink"))
            .args(["--port", &port.to_string()])
            .arg("--maildir")
            .arg(maildir)
            .stdout(std::process::Stdio::piped())
            .spawn()
            .context("starting scripts/smtp-sink")?;
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().context("the sink's stdout")?)
            .read_line(&mut line)?;
        let Some(port) = line
            .strip_prefix("ready ")
            .and_then(|port| port.trim().parse().ok())
        else {
            let _ = child.kill();
            bail!("scripts/smtp-sink did not start: {line:?}");
        };
        Ok(SmtpSink { child, port })
    }

    fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// SIGKILL.
    fn kill(&mut self) -> Result<()> {
        self.child.kill()?;
        self.child.wait()?;
        Ok(())
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
