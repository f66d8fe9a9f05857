//! `corridor-bench reach`: the routing benchmark of issue 5 on the national city-level
//! timetable, with pyraptor beside it when `--peer` names its runner.

use std::path::PathBuf;

use anyhow::{Context, Result};
use corridor_rail::bench::{run_peer, run_reach_benchmark, ReachBenchOptions};
use corridor_rail::import::railwayvis::{import_railwayvis, RailwayVisOptions};

pub fn run(timetable: Option<PathBuf>, peer: Option<PathBuf>) -> Result<()> {
    let path = timetable
        .unwrap_or_else(|| PathBuf::from("../shared/data/cn-rail-railwayvis/json_schedulers.json"));
    let loaded = import_railwayvis(&path, &RailwayVisOptions::default())
        .with_context(|| format!("importing {}", path.display()))?;
    let options = ReachBenchOptions::default();
    let mut report = run_reach_benchmark(&loaded, &options);
    if let Some(script) = peer {
        let comparison = import_railwayvis(
            &path,
            &RailwayVisOptions {
                minimum_change_minutes: 1,
                ..RailwayVisOptions::default()
            },
        )?;
        report = report.with_peer(run_peer(&script, &path, &comparison, &options));
    }
    println!("{}", serde_json::to_string(&report)?);
    Ok(())
}
