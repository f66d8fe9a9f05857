//! `corridor-bench import`: the demo region's whole public catalogue exported (the
//! throughput and the memory of the export), then re-imported as an update, institution by
//! institution, as their admins would: every file checked (a dry run, the "validate" figure),
//! every file applied (writes and this node's search index, the "apply" figure), and the same
//! files imported once more, which must change nothing and say so. Prints one JSON object on
//! its last line.
//!
//! The update changes one field of every instrument (a word added to its English name, which
//! search indexes), so that the apply writes every row and every search document: a
//! re-import of the unchanged export would change nothing and measure only the check. Peak memory is the process's high-water mark (`VmHWM`), reset before each
//! phase through `/proc/self/clear_refs`, so each phase's figure is its own.

use std::collections::BTreeMap;
use std::io::Write;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use corridor_app::catalogue_export::{export_catalogue, ExportFormat};
use corridor_app::catalogue_import::{ImportOptions, ImportReport};
use corridor_app::App;
use corridor_domain::{InstitutionId, Language};
use serde_json::json;

use crate::scratch::{drop_scratch, scratch_database};

/// The word the update adds to every English name: found nowhere else, so a search for it
/// counts the updated instruments that search already shows.
const UPDATE_WORD: &str = "Zqxupdated";

pub struct ImportBenchOptions {
    pub backend: corridor_store::Backend,
    pub seed: u64,
    pub scale: corridor_demo::DemoScale,
    pub postgres_admin_url: String,
}

/// The process's peak resident memory so far (`VmHWM`), in MiB.
fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// The current resident memory (`VmRSS`), in MiB.
fn rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmRSS:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// Resets the high-water mark to the current resident memory (Linux 4.0 and later), so the
/// next phase's peak is its own.
fn reset_peak() {
    if let Err(error) = std::fs::write("/proc/self/clear_refs", "5") {
        eprintln!("import bench: cannot reset VmHWM ({error}); peaks include earlier phases");
    }
}

/// A phase's figures: wall time, the resident memory when it started and its peak.
struct Phase {
    seconds: f64,
    rss_before_mib: f64,
    peak_mib: f64,
}

impl Phase {
    fn json(&self) -> serde_json::Value {
        json!({
            "seconds": round(self.seconds, 3),
            "rss_before_mib": round(self.rss_before_mib, 1),
            "peak_rss_mib": round(self.peak_mib, 1),
            "peak_above_start_mib": round(self.peak_mib - self.rss_before_mib, 1),
        })
    }
}

fn round(value: f64, decimals: i32) -> f64 {
    let scale = 10f64.powi(decimals);
    (value * scale).round() / scale
}

async fn measured<T>(work: impl std::future::Future<Output = Result<T>>) -> Result<(T, Phase)> {
    reset_peak();
    let rss_before_mib = rss_mib().unwrap_or(0.0);
    let started = Instant::now();
    let value = work.await?;
    let seconds = started.elapsed().as_secs_f64();
    Ok((
        value,
        Phase {
            seconds,
            rss_before_mib,
            peak_mib: peak_rss_mib().unwrap_or(0.0),
        },
    ))
}

/// The exported CSV split into one file per institution (each with the header row), with
/// the English name of every row given the word [`UPDATE_WORD`] when `update` is set.
fn files_by_institution(export: &[u8], update: bool) -> Result<BTreeMap<i64, Vec<u8>>> {
    let text = std::str::from_utf8(export.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(export))
        .context("the export is UTF-8")?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(text.as_bytes());
    let header = reader.headers()?.clone();
    let institution_column = header
        .iter()
        .position(|name| name == "单位编号")
        .context("the export has the 单位编号 column")?;
    let name_column = header
        .iter()
        .position(|name| name == "英文名称")
        .context("the export has the 英文名称 column")?;
    let mut writers: BTreeMap<i64, csv::Writer<Vec<u8>>> = BTreeMap::new();
    for record in reader.records() {
        let record = record?;
        let institution: i64 = record[institution_column].parse()?;
        let writer = match writers.entry(institution) {
            std::collections::btree_map::Entry::Occupied(entry) => entry.into_mut(),
            std::collections::btree_map::Entry::Vacant(entry) => {
                let mut writer = csv::Writer::from_writer(Vec::new());
                writer.write_record(&header)?;
                entry.insert(writer)
            }
        };
        if update {
            let mut changed: Vec<String> = record.iter().map(str::to_owned).collect();
            changed[name_column] = format!("{} {UPDATE_WORD}", &record[name_column]);
            writer.write_record(&changed)?;
        } else {
            writer.write_record(&record)?;
        }
    }
    writers
        .into_iter()
        .map(|(institution, writer)| Ok((institution, writer.into_inner()?)))
        .collect()
}

/// Imports every institution's file, checking (a dry run) or applying; answers the reports.
async fn import_all(
    app: &App,
    files: &BTreeMap<i64, Vec<u8>>,
    dry_run: bool,
) -> Result<Vec<ImportReport>> {
    let mut reports = Vec::with_capacity(files.len());
    for (institution, bytes) in files {
        let report = app
            .catalogue()
            .import_catalogue_file_as_operator(
                InstitutionId(*institution),
                bytes,
                &ImportOptions {
                    dry_run,
                    complete: true,
                    file_name: format!("bench-{institution}.csv"),
                },
            )
            .await?;
        if !report.acceptable() {
            bail!(
                "institution {institution}'s file was not accepted:\n{}",
                report.to_text(Language::English)
            );
        }
        reports.push(report);
    }
    Ok(reports)
}

fn totals(reports: &[ImportReport]) -> serde_json::Value {
    let sum = |count: fn(&ImportReport) -> usize| reports.iter().map(count).sum::<usize>();
    json!({
        "files": reports.len(),
        "rows": sum(|report| report.rows as usize),
        "created": sum(|report| report.created.len()),
        "changed": sum(|report| report.changed.len()),
        "withdrawn": sum(|report| report.withdrawn.len()),
        "unchanged": sum(|report| report.unchanged as usize),
        "warnings": sum(ImportReport::warnings),
    })
}

pub async fn run(options: ImportBenchOptions) -> Result<()> {
    let database = scratch_database(options.backend, &options.postgres_admin_url, "import").await?;
    let store = corridor_store::connect(&database.url).await?;
    store.migrate().await?;
    eprintln!("import bench: generating the demo region");
    corridor::region::generate_into(store.as_ref(), options.seed, options.scale).await?;
    let app = App::start(store.clone())
        .await
        .context("starting the application")?;

    // The export, to a file beside the database (written, as a download would be).
    let export_path =
        std::env::current_dir()?.join(format!("corridor-bench-export-{}.csv", std::process::id()));
    let ((summary, export), export_phase) = measured(async {
        let file = std::fs::File::create(&export_path)?;
        let summary = export_catalogue(store.as_ref(), None, ExportFormat::Csv, file).await?;
        Ok((summary, std::fs::read(&export_path)?))
    })
    .await?;
    std::fs::remove_file(&export_path).ok();
    let export_mb_per_s = summary.bytes as f64 / 1e6 / export_phase.seconds;
    eprintln!(
        "import bench: exported {} instruments, {:.1} MB in {:.2} s ({export_mb_per_s:.0} MB/s)",
        summary.instruments,
        summary.bytes as f64 / 1e6,
        export_phase.seconds
    );
    // The JSON export, for its throughput too.
    let (json_summary, json_phase) = measured(async {
        Ok(export_catalogue(store.as_ref(), None, ExportFormat::Json, std::io::sink()).await?)
    })
    .await?;

    // The export itself, imported back unchanged, changes nothing.
    let unchanged = files_by_institution(&export, false)?;
    let as_exported = import_all(&app, &unchanged, true).await?;
    drop(unchanged);
    if !as_exported.iter().all(ImportReport::changes_nothing) {
        bail!("the unchanged export, imported back, would change something");
    }
    let update = files_by_institution(&export, true)?;
    drop(export);
    let (checked, validate_phase) = measured(import_all(&app, &update, true)).await?;
    eprintln!(
        "import bench: checked {} files in {:.2} s",
        update.len(),
        validate_phase.seconds
    );
    let (applied, apply_phase) = measured(import_all(&app, &update, false)).await?;
    eprintln!(
        "import bench: applied {} files in {:.2} s",
        update.len(),
        apply_phase.seconds
    );
    let changed: usize = applied.iter().map(|report| report.changed.len()).sum();
    if changed != summary.instruments as usize {
        bail!(
            "the update changed {changed} instruments, not all {}",
            summary.instruments
        );
    }
    // Every change is searchable once the apply has returned.
    let probe = corridor_search::SearchRequest {
        text: UPDATE_WORD.to_owned(),
        limit: 1,
        ..Default::default()
    };
    let searchable = app.search_index().index.search(&probe)?.total;
    if searchable != summary.instruments {
        bail!(
            "search shows {searchable} updated instruments once the apply has returned, not all {}",
            summary.instruments
        );
    }

    let (again, reimport_phase) = measured(import_all(&app, &update, false)).await?;
    let changes_nothing = again.iter().all(ImportReport::changes_nothing);
    let says_so = again.iter().all(|report| {
        report
            .to_text(Language::English)
            .ends_with("the file changes nothing.\n")
    });
    if !changes_nothing || !says_so {
        bail!(
            "the re-import of the same files changed something, or did not say it changed nothing"
        );
    }
    drop(app);
    drop(store);
    drop_scratch(database, &options.postgres_admin_url).await?;

    let result = json!({
        "benchmark": "import",
        "backend": options.backend.as_str(),
        "instruments": summary.instruments,
        "institutions": update.len(),
        "export_bytes": summary.bytes,
        "export": export_phase.json(),
        "export_mb_per_s": round(export_mb_per_s, 1),
        "json_export_bytes": json_summary.bytes,
        "json_export": json_phase.json(),
        "json_export_mb_per_s": round(json_summary.bytes as f64 / 1e6 / json_phase.seconds, 1),
        "export_reimported_changes_nothing": true,
        "validate": validate_phase.json(),
        "validate_totals": totals(&checked),
        "apply": apply_phase.json(),
        "apply_totals": totals(&applied),
        "searchable_after_apply": searchable,
        "reimport": reimport_phase.json(),
        "reimport_totals": totals(&again),
        "reimport_changes_nothing": changes_nothing,
    });
    println!("{result}");
    let mut stdout = std::io::stdout();
    stdout.flush()?;
    Ok(())
}
