//! The `corridor` binary under test. The benchmarks that need a server start `corridor serve`
//! as a child process on their scratch database, so that the load generator (this process)
//! and the server are separate, as in service, and the crash round can kill the server with
//! SIGKILL.
//!
//! The binary is the one next to `corridor-bench` (the same target directory), where
//! `cargo build --release -p corridor -p corridor-bench` puts both; `CORRIDOR_BINARY` names
//! another one. Built together, the two unify features and `corridor` gets `bench-baselines`
//! (its `serve --booking-strategy plain`); a `corridor` built alone is the shipped binary and
//! has no plain strategy, which `require_plain_booking_strategy` detects.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

/// The build command that gives both binaries, the server with the benchmark baselines.
pub const BUILD_BOTH: &str = "cargo build --release -p corridor -p corridor-bench";

/// How long a server may take to answer `/healthz`, and then to build its analytics facts.
const START_TIMEOUT: Duration = Duration::from_secs(180);

/// The `corridor` binary to serve with: `CORRIDOR_BINARY`, or the one next to this binary.
pub fn corridor_binary() -> Result<PathBuf> {
    let path = match std::env::var_os("CORRIDOR_BINARY") {
        Some(path) => PathBuf::from(path),
        None => std::env::current_exe()
            .context("locating the corridor-bench binary")?
            .with_file_name(format!("corridor{}", std::env::consts::EXE_SUFFIX)),
    };
    if !path.is_file() {
        bail!(
            "there is no corridor binary at {}: this benchmark starts `corridor serve` as a child \
             process; build both with `{BUILD_BOTH}` (or name one with CORRIDOR_BINARY)",
            path.display()
        );
    }
    Ok(path)
}

/// Fails unless `binary`'s `serve` offers `--booking-strategy`, that is, unless it was built
/// with the `bench-baselines` feature. Without this check the plain round would fail only
/// after the region was generated, or, worse, measure the product's strategy under the
/// baseline's name.
pub fn require_plain_booking_strategy(binary: &Path) -> Result<()> {
    let output = Command::new(binary)
        .args(["serve", "--help"])
        .output()
        .with_context(|| format!("running {} serve --help", binary.display()))?;
    let help = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() || !help.contains("--booking-strategy") {
        bail!(
            "{} was built without the plain booking strategy (its `serve` has no \
             --booking-strategy; `cargo build --release -p corridor` alone builds the shipped \
             binary, which leaves it out), so the plain baseline round cannot run. Build both \
             together with `{BUILD_BOTH}`, or skip the round with --no-baseline.",
            binary.display()
        );
    }
    Ok(())
}

/// A `corridor serve` child process that answers on `address`.
pub struct ServedCorridor {
    pub child: Child,
    pub address: SocketAddr,
}

impl ServedCorridor {
    pub fn base_url(&self) -> String {
        format!("http://{}", self.address)
    }
}

fn free_port() -> Result<SocketAddr> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?)
}

/// Starts `binary serve --database DATABASE` with `extra_arguments` on a free loopback port,
/// its log (`CORRIDOR_BENCH_SERVER_LOG`, `warn` by default) in `log`, and returns once it is
/// healthy and warm. A server that exits first is an error that quotes the end of its log.
pub async fn serve(
    binary: &Path,
    database: &str,
    extra_arguments: &[&str],
    log: &Path,
) -> Result<ServedCorridor> {
    let address = free_port()?;
    if let Some(directory) = log.parent().filter(|parent| !parent.as_os_str().is_empty()) {
        std::fs::create_dir_all(directory)
            .with_context(|| format!("creating {}", directory.display()))?;
    }
    let log_file = std::fs::File::create(log)
        .with_context(|| format!("creating the server log {}", log.display()))?;
    let listen = address.to_string();
    let mut arguments = vec!["serve", "--database", database, "--listen", &listen];
    arguments.extend_from_slice(extra_arguments);
    let mut child = Command::new(binary)
        .args(&arguments)
        .env(
            "RUST_LOG",
            std::env::var("CORRIDOR_BENCH_SERVER_LOG").unwrap_or_else(|_| "warn".into()),
        )
        .stdout(Stdio::null())
        .stderr(log_file)
        .spawn()
        .with_context(|| format!("starting {} serve", binary.display()))?;
    let client = reqwest::Client::new();
    let started = Instant::now();
    while started.elapsed() < START_TIMEOUT {
        if let Some(status) = child.try_wait()? {
            bail!(
                "`{} {}` exited ({status}) before it answered; the end of its log ({}):\n{}",
                binary.display(),
                arguments.join(" "),
                log.display(),
                log_tail(log)
            );
        }
        if let Ok(response) = client.get(format!("http://{address}/healthz")).send().await {
            if response.status().is_success() {
                wait_until_warm(&format!("http://{address}")).await?;
                return Ok(ServedCorridor { child, address });
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let _ = child.kill();
    let _ = child.wait();
    bail!(
        "the server did not answer /healthz within 3 minutes; see {}",
        log.display()
    )
}

/// Stops the server as an operator would (SIGTERM) and waits for it to exit.
pub fn stop(mut server: ServedCorridor) -> Result<()> {
    let _ = Command::new("kill")
        .args(["-TERM", &server.child.id().to_string()])
        .status();
    server.child.wait()?;
    Ok(())
}

/// Waits until the server at `base` has built its analytics facts. A server that has just
/// started spends its first seconds building them from the year of bookings (both cores);
/// one in service has long finished, and the benchmarks measure that one. The analytics API
/// itself waits for the first build, so one request to it is the wait.
async fn wait_until_warm(base: &str) -> Result<()> {
    reqwest::Client::new()
        .get(format!("{base}/api/v1/analytics/utilisation"))
        .timeout(START_TIMEOUT)
        .send()
        .await?
        .error_for_status()
        .context("waiting for the server's analytics facts")?;
    Ok(())
}

/// The last lines of a server's log, for an error message.
fn log_tail(log: &Path) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(20)..].join("\n")
}
