//! Runs the reach benchmark on the national city-level timetable and prints one JSON object
//! on its last line. Usage: `bench_reach [PATH/json_schedulers.json] [--peer scripts/bench-reach-peer]`.
//! The `corridor-bench reach` subcommand does the same through the library.

use corridor_rail::bench::{run_peer, run_reach_benchmark, ReachBenchOptions};
use corridor_rail::import::railwayvis::{import_railwayvis, RailwayVisOptions};
use std::path::PathBuf;

fn main() {
    let arguments: Vec<String> = std::env::args().skip(1).collect();
    let path = arguments
        .iter()
        .find(|argument| !argument.starts_with("--") && argument.ends_with(".json"))
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../../shared/data/cn-rail-railwayvis/json_schedulers.json"
            ))
        });
    let timetable = match import_railwayvis(&path, &RailwayVisOptions::default()) {
        Ok(timetable) => timetable,
        Err(error) => {
            eprintln!("error: {error}");
            std::process::exit(1);
        }
    };
    let options = ReachBenchOptions::default();
    let mut report = run_reach_benchmark(&timetable, &options);
    if let Some(position) = arguments.iter().position(|argument| argument == "--peer") {
        let script = PathBuf::from(
            arguments
                .get(position + 1)
                .expect("--peer needs the path of scripts/bench-reach-peer"),
        );
        let comparison = import_railwayvis(
            &path,
            &RailwayVisOptions {
                minimum_change_minutes: 1,
                ..RailwayVisOptions::default()
            },
        )
        .expect("imported above");
        report = report.with_peer(run_peer(&script, &path, &comparison, &options));
    }
    println!(
        "{}",
        serde_json::to_string(&report).expect("the report serialises")
    );
}
