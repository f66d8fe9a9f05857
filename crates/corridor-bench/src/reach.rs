//! `corridor-bench reach`: the routing benchmark of issue 5 on the national city-level
//! timetable, with pyraptor beside it when `--peer` names its runner; with `--station-level`,
//! the same figures on the station-level national network of issue 26.

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

/// The routing figures on the station-level national network: the RailwayVIS station boards
/// joined into trips between 320 stations, the stations of one city joined by transfers.
/// Every station is an origin, so the all-pairs figures cover the region's stations and the
/// rest of the country's boarded stations.
pub fn run_station_level(folder: Option<PathBuf>) -> Result<()> {
    use corridor_rail::import::station_boards::{import_station_boards, StationBoardOptions};
    use corridor_rail::import::station_list::StationList;
    let folder = folder.unwrap_or_else(|| PathBuf::from("../shared/data/cn-rail-railwayvis"));
    let list_path = folder.join("../cn-rail-stations/StationInfo.json");
    let list = StationList::read(&list_path)
        .with_context(|| format!("reading the station list {}", list_path.display()))?;
    let imported = import_station_boards(
        &folder,
        &StationBoardOptions {
            station_list: Some(std::sync::Arc::new(list)),
            ..StationBoardOptions::default()
        },
    )
    .with_context(|| format!("importing the station boards of {}", folder.display()))?;
    for warning in &imported.warnings {
        eprintln!("warning: {warning}");
    }
    let report = run_reach_benchmark(&imported.timetable, &ReachBenchOptions::default());
    println!("{}", serde_json::to_string(&report)?);
    Ok(())
}
