//! `corridor-bench search`: the search benchmark of issue 3.
//!
//! It generates the demo region into a fresh SQLite file, builds the search index from the
//! store as a server does, and runs a fixed workload of 1,176 queries (English, Chinese and
//! mixed; with and without facets, filters and sorts) three ways: in process on one thread;
//! over HTTP with wrk on loopback, against `corridor serve` on the same file as a child
//! process (see `corridor_binary.rs`); and, side by side, as the same queries and filters
//! answered by SQLite FTS5 and by PostgreSQL full-text search over the same rows.

mod baselines;

use std::fmt::Write as _;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use corridor_domain::{CategoryCode, GeoPoint, InstitutionKind, ProvinceCode, UserClass};
use corridor_search::{Grouping, PriceBand, RateBasis, SearchFilters, SearchRequest, SortOrder};
use serde_json::json;

use crate::corridor_binary;
use baselines::{postgres_fts_baseline, sqlite_fts5_baseline};

const ENGLISH: &[&str] = &[
    "mass spectrometer",
    "scanning electron microscope",
    "XRD",
    "NMR",
    "confocal microscope",
    "flow cytometer",
    "oscilloscope",
    "HPLC",
    "atomic force microscope",
    "laser",
    "spectrometer",
    "microscope",
    "rheometer",
    "sequencer",
    "GPU cluster",
    "lithography",
    "thermal analysis",
    "particle size",
    "micrscope",
    "spectrometr",
    // Spelling variants, typos and broad words (issue 27): the workload pays for them too.
    "thermogravimetric analyzer",
    "particle size analyser",
    "rheomter",
    "difractometer",
    "analyzer",
    "chromatograph",
    "microscope qwxzvbnm",
];
const CHINESE: &[&str] = &[
    "质谱仪",
    "质谱",
    "扫描电镜",
    "核磁共振",
    "流式细胞仪",
    "示波器",
    "液相色谱",
    "原子力显微镜",
    "激光",
    "光谱仪",
    "显微镜",
    "测序仪",
    "高性能计算",
    "光刻机",
    "热重分析",
    "粒度",
    "拉曼光谱",
    "透射电镜",
    "电化学工作站",
    "冷冻电镜",
    "差示扫描量热仪",
    "试验机",
    "分析仪",
];
const MIXED: &[&str] = &[
    "XRD 合肥",
    "NMR 南京",
    "质谱 Shanghai",
    "SEM 苏州",
    "confocal 杭州",
    "LC-MS 上海",
    "HPLC 宁波",
    "激光 Hefei",
    "",
];
const PROVINCES: [ProvinceCode; 4] = [
    ProvinceCode::Shanghai,
    ProvinceCode::Jiangsu,
    ProvinceCode::Zhejiang,
    ProvinceCode::Anhui,
];
/// (code, lon, lat) of cities that distance filters are measured from.
const CITIES: [(u32, f64, f64); 6] = [
    (310000, 121.4737, 31.2304),
    (320100, 118.7969, 32.0603),
    (330100, 120.1551, 30.2741),
    (340100, 117.2272, 31.8206),
    (320500, 120.5853, 31.2989),
    (330200, 121.5440, 29.8683),
];

/// One query of the workload, in the forms each system takes it.
pub struct WorkloadQuery {
    pub request: SearchRequest,
    pub url_query: String,
}

fn encode(text: &str) -> String {
    text.bytes()
        .map(|byte| {
            if byte.is_ascii_alphanumeric() {
                (byte as char).to_string()
            } else {
                format!("%{byte:02X}")
            }
        })
        .collect()
}

/// The fixed workload: every text × 8 filter patterns × 3 variants.
pub fn workload() -> Vec<WorkloadQuery> {
    let texts: Vec<&str> = ENGLISH
        .iter()
        .chain(CHINESE)
        .chain(MIXED)
        .copied()
        .collect();
    let mut queries = Vec::new();
    for variant in 0..3usize {
        for (index, text) in texts.iter().enumerate() {
            for pattern in 0..8usize {
                let cycle = index + variant + pattern;
                let province = PROVINCES[cycle % PROVINCES.len()];
                let (city_code, lon, lat) = CITIES[cycle % CITIES.len()];
                let mut filters = SearchFilters::default();
                let mut sort = SortOrder::Relevance;
                let mut params = vec![format!("q={}", encode(text))];
                match pattern {
                    0 => {}
                    1 => {
                        filters.provinces = vec![province];
                        params.push(format!("province={}", province.as_code()));
                    }
                    2 => {
                        let class = ["01", "02", "04", "12"][cycle % 4];
                        filters.categories = vec![CategoryCode::parse(class).expect("valid")];
                        params.push(format!("category={class}"));
                    }
                    3 => {
                        let band = PriceBand::ALL[cycle % 3 + 1];
                        filters.price_bands = vec![band];
                        filters.training_required = Some(cycle % 2 == 0);
                        params.push(format!(
                            "price_band={}&training_required={}",
                            band.as_code(),
                            cycle % 2 == 0
                        ));
                    }
                    4 => {
                        filters.near = Some((GeoPoint::new(lon, lat).expect("valid"), 100.0));
                        sort = SortOrder::Distance;
                        params.push(format!("near_city={city_code}&within_km=100&sort=distance"));
                    }
                    5 => {
                        filters.institution_kinds = vec![
                            [
                                InstitutionKind::University,
                                InstitutionKind::Corporation,
                                InstitutionKind::ResearchInstitute,
                            ][cycle % 3],
                        ];
                        filters.access_policies = vec![corridor_domain::AccessPolicy::Open];
                        params.push(format!(
                            "institution_kind={}&access_policy=open",
                            filters.institution_kinds[0].as_code()
                        ));
                    }
                    6 => {
                        filters.max_hourly_rate = Some(corridor_domain::Fen::from_yuan(500));
                        sort = SortOrder::PriceAscending;
                        params.push("max_rate_fen=50000&sort=price".to_owned());
                    }
                    _ => {
                        filters.provinces = vec![province];
                        filters.institution_kinds = vec![InstitutionKind::University];
                        filters.booking_modes = vec![corridor_domain::BookingMode::Instant];
                        params.push(format!(
                            "province={}&institution_kind=university&booking_mode=instant",
                            province.as_code()
                        ));
                    }
                }
                let origin = filters.near.map(|(point, _)| point);
                let request = SearchRequest {
                    text: (*text).to_owned(),
                    filters,
                    rate_basis: RateBasis {
                        class: UserClass::OtherAcademic,
                        home_institution: None,
                    },
                    sort,
                    origin,
                    offset: 0,
                    limit: 20,
                    grouping: Grouping::Kind,
                };
                queries.push(WorkloadQuery {
                    request,
                    url_query: params.join("&"),
                });
            }
        }
    }
    queries
}

fn percentile(sorted: &[f64], fraction: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((sorted.len() as f64 - 1.0) * fraction).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

fn mean(samples: &[f64]) -> f64 {
    samples.iter().sum::<f64>() / samples.len().max(1) as f64
}

/// How many times the HTTP load runs; `http_qps` and `http_p99_ms` are the medians.
const HTTP_ROUNDS: usize = 3;

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn summarise(mut samples: Vec<f64>) -> (f64, f64) {
    samples.sort_by(f64::total_cmp);
    (percentile(&samples, 0.5), percentile(&samples, 0.99))
}

fn round3(value: f64) -> f64 {
    (value * 1000.0).round() / 1000.0
}

/// Latency of every workload query answered by the index, in milliseconds, after a warm-up
/// pass; `rounds` passes.
fn in_process(
    index: &corridor_search::SearchIndex,
    queries: &[WorkloadQuery],
    rounds: usize,
) -> Result<Vec<f64>> {
    for query in queries {
        index.search(&query.request)?;
    }
    let mut samples = Vec::with_capacity(queries.len() * rounds);
    let mut per_query = vec![Vec::with_capacity(rounds); queries.len()];
    for _ in 0..rounds {
        for (position, query) in queries.iter().enumerate() {
            let started = Instant::now();
            let results = index.search(&query.request)?;
            let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
            samples.push(elapsed_ms);
            per_query[position].push(elapsed_ms);
            std::hint::black_box(results);
        }
    }
    print_slowest_queries(queries, per_query);
    Ok(samples)
}

/// Prints the ten queries with the slowest median and the share of all time they take, so
/// that a change to the index can be aimed at what the workload actually pays for.
fn print_slowest_queries(queries: &[WorkloadQuery], per_query: Vec<Vec<f64>>) {
    let total_ms: f64 = per_query.iter().flatten().sum();
    let mut medians: Vec<(f64, f64, &str)> = per_query
        .into_iter()
        .zip(queries)
        .map(|(mut times, query)| {
            let sum: f64 = times.iter().sum();
            times.sort_by(f64::total_cmp);
            (times[times.len() / 2], sum, query.url_query.as_str())
        })
        .collect();
    medians.sort_by(|a, b| b.0.total_cmp(&a.0));
    let slowest_share: f64 = medians.iter().take(10).map(|(_, sum, _)| sum).sum::<f64>() / total_ms;
    println!(
        "slowest queries in process (median ms; together {:.1}% of all time):",
        slowest_share * 100.0
    );
    for (median_ms, _, url_query) in medians.iter().take(10) {
        println!("  {median_ms:.3} ms  {url_query}");
    }
}

/// Runs wrk against the server for `seconds`, cycling through the workload's URLs.
fn http_load(
    base: &str,
    url_queries: &[String],
    work_dir: &std::path::Path,
    seconds: u64,
    connections: u32,
) -> Result<(f64, f64)> {
    let mut script = String::from("local paths = {\n");
    for url_query in url_queries {
        let _ = writeln!(script, "  \"/api/v1/search?{url_query}\",");
    }
    script.push_str("}\nlocal counter = 0\nrequest = function()\n  counter = counter + 1\n  return wrk.format(\"GET\", paths[(counter % #paths) + 1])\nend\n");
    script.push_str("response = function(status, headers, body)\n  if status ~= 200 then wrk.thread:stop() end\nend\n");
    let script_path = work_dir.join("search.lua");
    std::fs::write(&script_path, script)?;
    let output = std::process::Command::new("wrk")
        .args([
            "-t2",
            &format!("-c{connections}"),
            &format!("-d{seconds}s"),
            "--latency",
            "-s",
        ])
        .arg(&script_path)
        .arg(base)
        .output()
        .context("running wrk (install it with `apt-get install wrk`)")?;
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    if !output.status.success() {
        bail!(
            "wrk failed: {}{}",
            text,
            String::from_utf8_lossy(&output.stderr)
        );
    }
    if text.contains("Non-2xx") {
        bail!("some searches over HTTP did not answer 200:\n{text}");
    }
    let qps = text
        .lines()
        .find_map(|line| line.trim().strip_prefix("Requests/sec:"))
        .and_then(|value| value.trim().parse::<f64>().ok())
        .context("wrk printed no Requests/sec")?;
    let p99 = text
        .lines()
        .find_map(|line| line.trim().strip_prefix("99%"))
        .map(|value| parse_wrk_duration(value.trim()))
        .transpose()?
        .context("wrk printed no 99% latency")?;
    println!("{text}");
    Ok((qps, p99))
}

fn parse_wrk_duration(text: &str) -> Result<f64> {
    let (number, factor) = if let Some(number) = text.strip_suffix("us") {
        (number, 0.001)
    } else if let Some(number) = text.strip_suffix("ms") {
        (number, 1.0)
    } else if let Some(number) = text.strip_suffix('s') {
        (number, 1000.0)
    } else {
        bail!("unexpected wrk duration {text:?}")
    };
    Ok(number.parse::<f64>()? * factor)
}

pub struct SearchBenchOptions {
    pub seed: u64,
    pub http_seconds: u64,
    pub postgres_url: String,
}

pub async fn run(options: SearchBenchOptions) -> Result<()> {
    let work_dir =
        std::env::temp_dir().join(format!("corridor-bench-search-{}", std::process::id()));
    std::fs::create_dir_all(&work_dir)?;
    let result = run_in(&work_dir, options).await;
    let _ = std::fs::remove_dir_all(&work_dir);
    result
}

async fn run_in(work_dir: &std::path::Path, options: SearchBenchOptions) -> Result<()> {
    // Found before anything is generated, so that a missing binary fails at once.
    let corridor = corridor_binary::corridor_binary()?;
    let url = format!("sqlite://{}", work_dir.join("bench.sqlite").display());
    let store = corridor_store::connect(&url).await?;
    store.migrate().await?;
    corridor::region::generate_into(
        store.as_ref(),
        options.seed,
        corridor_demo::DemoScale::full(),
    )
    .await?;
    let started = Instant::now();
    let service = corridor_app::indexes::search::SearchService::build(store.as_ref()).await?;
    let build_ms = started.elapsed().as_secs_f64() * 1000.0;
    // The server opens the file itself; this process needs it no more.
    drop(store);
    let queries = workload();
    println!(
        "workload: {} queries over {} instruments; index built from the store in {build_ms:.0} ms",
        queries.len(),
        service.index.len()
    );

    let samples = in_process(&service.index, &queries, 3)?;
    let mean_ms = mean(&samples);
    let (p50, p99) = summarise(samples);
    println!("in process, one thread, grouped by kind (the default): p50 {p50:.3} ms, p99 {p99:.3} ms, mean {mean_ms:.3} ms");
    // The same workload as a flat list, side by side: what grouping costs.
    let flat_queries: Vec<WorkloadQuery> = queries
        .iter()
        .map(|query| WorkloadQuery {
            request: SearchRequest {
                grouping: Grouping::Flat,
                ..query.request.clone()
            },
            url_query: format!("{}&group=none", query.url_query),
        })
        .collect();
    let flat_samples = in_process(&service.index, &flat_queries, 3)?;
    let (flat_p50, flat_p99) = summarise(flat_samples);
    println!("in process, one thread, flat: p50 {flat_p50:.3} ms, p99 {flat_p99:.3} ms");

    let server = corridor_binary::serve(&corridor, &url, &[], &work_dir.join("server.log")).await?;
    let base = server.base_url();
    let seconds = options.http_seconds;
    let http_rounds = tokio::task::spawn_blocking({
        let base = base.clone();
        let work_dir = work_dir.to_owned();
        let url_queries: Vec<String> = queries
            .iter()
            .map(|query| query.url_query.clone())
            .collect();
        let flat_url_queries: Vec<String> = flat_queries
            .iter()
            .map(|query| query.url_query.clone())
            .collect();
        move || {
            // Two seconds of the same load first, not counted: the server's index and the
            // connections are then warm, as on a server that has been up for a while.
            println!("warm-up (not counted):");
            http_load(&base, &url_queries, &work_dir, 2, 32)?;
            // Three rounds of each, alternating grouped and flat, and the medians reported:
            // this machine is shared, and one round can land on a neighbour's busy second.
            let mut grouped = Vec::new();
            let mut flat = Vec::new();
            for _ in 0..HTTP_ROUNDS {
                println!("grouped:");
                grouped.push(http_load(&base, &url_queries, &work_dir, seconds, 32)?);
                println!("flat:");
                flat.push(http_load(&base, &flat_url_queries, &work_dir, seconds, 32)?);
            }
            Ok::<_, anyhow::Error>((grouped, flat))
        }
    })
    .await;
    // Stopped whether the load ran or not: a server left running would outlive the bench.
    corridor_binary::stop(server)?;
    let (http_rounds, flat_http_rounds) = http_rounds??;
    let http_qps = median(http_rounds.iter().map(|(qps, _)| *qps).collect());
    let http_p99 = median(http_rounds.iter().map(|(_, p99)| *p99).collect());
    let flat_http_qps = median(flat_http_rounds.iter().map(|(qps, _)| *qps).collect());
    let flat_http_p99 = median(flat_http_rounds.iter().map(|(_, p99)| *p99).collect());

    // The baselines run after the HTTP round so that what they leave behind (PostgreSQL
    // checkpointing the rows it indexed) does not land on Corridor's measurement.
    let documents: Vec<_> = (1..=56_000)
        .filter_map(|id| service.index.document(corridor_domain::InstrumentId(id)))
        .collect();
    let (fts5_p50, fts5_p99) =
        summarise(sqlite_fts5_baseline(&work_dir.join("fts5.sqlite"), &documents, &queries).await?);
    println!("SQLite FTS5 baseline: p50 {fts5_p50:.3} ms, p99 {fts5_p99:.3} ms");
    let (pg_p50, pg_p99) =
        summarise(postgres_fts_baseline(&options.postgres_url, &documents, &queries).await?);
    println!("PostgreSQL full-text baseline: p50 {pg_p50:.3} ms, p99 {pg_p99:.3} ms");

    drop(service);

    let report = json!({
        "queries": workload().len(),
        "p50_ms": round3(p50),
        "p99_ms": round3(p99),
        "mean_ms": round3(mean_ms),
        "http_qps": http_qps.round(),
        "http_p99_ms": round3(http_p99),
        "http_rounds": http_rounds
            .iter()
            .map(|(qps, p99)| json!({"qps": qps.round(), "p99_ms": round3(*p99)}))
            .collect::<Vec<_>>(),
        "flat_p50_ms": round3(flat_p50),
        "flat_p99_ms": round3(flat_p99),
        "flat_http_qps": flat_http_qps.round(),
        "flat_http_p99_ms": round3(flat_http_p99),
        "flat_http_rounds": flat_http_rounds
            .iter()
            .map(|(qps, p99)| json!({"qps": qps.round(), "p99_ms": round3(*p99)}))
            .collect::<Vec<_>>(),
        "baseline_sqlite_fts5_p50_ms": round3(fts5_p50),
        "baseline_sqlite_fts5_p99_ms": round3(fts5_p99),
        "baseline_postgres_fts_p50_ms": round3(pg_p50),
        "baseline_postgres_fts_p99_ms": round3(pg_p99),
        "p99_ratio_sqlite_fts5": round3(fts5_p99 / p99),
        "p99_ratio_postgres_fts": round3(pg_p99 / p99),
        "index_build_ms": build_ms.round(),
    });
    println!("{report}");
    Ok(())
}
