//! The benchmarks' one integration-test binary: `corridor-bench` run as a process. The
//! benchmarks themselves take minutes and are run by hand (BENCHMARKS.md); these tests pin
//! what must hold without running one: every subcommand and its options are there, and a
//! benchmark that needs `corridor serve` refuses, at once and with the build command, a
//! `corridor` binary that is missing or lacks the plain booking strategy.

use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

const BINARY: &str = env!("CARGO_BIN_EXE_corridor-bench");

const BUILD_BOTH: &str = "cargo build --release -p corridor -p corridor-bench";

fn bench(args: &[&str], corridor_binary: Option<&Path>) -> Output {
    let mut command = Command::new(BINARY);
    command.args(args);
    match corridor_binary {
        Some(path) => command.env("CORRIDOR_BINARY", path),
        None => command.env_remove("CORRIDOR_BINARY"),
    };
    command.output().unwrap()
}

#[test]
fn every_benchmark_is_a_subcommand_with_its_options() {
    let output = bench(&["--help"], None);
    assert!(output.status.success());
    let help = String::from_utf8_lossy(&output.stdout);
    for subcommand in [
        "search",
        "reach",
        "booking",
        "allocation",
        "analytics",
        "ledger",
    ] {
        assert!(
            help.contains(subcommand),
            "{subcommand} missing from:\n{help}"
        );
    }
    for (subcommand, options) in [
        ("search", &["--seed", "--http-seconds", "--postgres"][..]),
        ("reach", &["--timetable", "--peer"][..]),
        (
            "booking",
            &[
                "--clients",
                "--attempts",
                "--hot",
                "--backend",
                "--scale",
                "--no-baseline",
                "--no-crash",
                "--no-availability",
                "--postgres",
            ][..],
        ),
        ("allocation", &["--seed", "--rounds"][..]),
        (
            "analytics",
            &["--seed", "--rounds", "--backend", "--postgres"][..],
        ),
        (
            "ledger",
            &[
                "--transfers",
                "--postgres-transfers",
                "--batch",
                "--clients",
                "--backend",
                "--postgres",
            ][..],
        ),
    ] {
        let output = bench(&[subcommand, "--help"], None);
        assert!(output.status.success(), "{subcommand} --help failed");
        let help = String::from_utf8_lossy(&output.stdout);
        for option in options {
            assert!(
                help.contains(option),
                "{subcommand}: {option} missing from:\n{help}"
            );
        }
    }
}

#[test]
fn a_benchmark_that_serves_refuses_a_missing_corridor_binary_at_once() {
    let directory = tempfile::tempdir().unwrap();
    let missing = directory.path().join("corridor");
    for arguments in [
        &["booking", "--scale", "small"][..],
        &["search", "--http-seconds", "1"][..],
    ] {
        let started = Instant::now();
        let output = bench(arguments, Some(&missing));
        assert!(!output.status.success());
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("there is no corridor binary"), "{stderr}");
        assert!(stderr.contains(BUILD_BOTH), "{stderr}");
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "refused before generating anything"
        );
    }
}

/// A `corridor` built alone (`cargo build -p corridor`) is the shipped binary: its `serve`
/// has no `--booking-strategy`. The booking bench must not run its plain round against it
/// (it would fail minutes in, or measure the product under the baseline's name). The
/// stand-in here answers `serve --help` as such a binary does.
#[cfg(unix)]
#[test]
fn the_booking_bench_refuses_a_corridor_without_the_plain_strategy() {
    use std::os::unix::fs::PermissionsExt;
    let directory = tempfile::tempdir().unwrap();
    let shipped = directory.path().join("corridor");
    std::fs::write(
        &shipped,
        "#!/bin/sh\necho 'Usage: corridor serve [OPTIONS] --database <DATABASE>'\n\
         echo '      --secure-cookies'\nexit 0\n",
    )
    .unwrap();
    std::fs::set_permissions(&shipped, std::fs::Permissions::from_mode(0o755)).unwrap();
    let started = Instant::now();
    let output = bench(&["booking", "--scale", "small"], Some(&shipped));
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("built without the plain booking strategy"),
        "{stderr}"
    );
    assert!(stderr.contains(BUILD_BOTH), "{stderr}");
    assert!(stderr.contains("--no-baseline"), "{stderr}");
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "refused before generating anything"
    );
}
