//! `corridor-bench analytics`: every dashboard question over the demo region's full year of
//! bookings, answered from the analytics facts, beside the same figures computed by plain SQL
//! GROUP BY over the tables (the baseline). Prints one JSON object on its last line.
//!
//! The questions are those the dashboards ask: usage by origin (all instruments, one province,
//! one category), the province and city flow matrices, utilisation by category, institution
//! and city, and the idle expensive instruments, each for a spread of periods (months,
//! quarters, the year). Latency is measured in process, which is the server's share of a
//! dashboard request; the HTTP layer around it adds the same as for any other JSON answer.
//!
//! Cluster reach is asked for every city of the region a station serves, every industrial
//! sector and two instrument categories, and four 2-hour departure windows (3 hours of
//! travel): the figure from one place (`cluster_reach_ms`, the p99), and the figure from every
//! city at once by the many-origin matrices beside one profile per city (the baseline).

use std::time::Instant;

use anyhow::{bail, Context, Result};
use corridor_domain::analytics::{
    AnalyticsFacts, FlowLevel, Period, ProviderScope, UtilisationGroup,
};
use corridor_domain::{CategoryCode, Fen, ProvinceCode};
use jiff::{SignedDuration, Timestamp};
use serde_json::json;

use corridor_app::cluster_reach::{cluster_reach_from, cluster_reached_from_each, TravelBudget};
use corridor_app::indexes::rail::RailService;
use corridor_domain::analytics::{ClusterCity, ClusterTarget};
use corridor_domain::PageLimit;
use corridor_domain::Sector;
use corridor_store::{CityFilter, PageRequest, Store};

use crate::scratch::{drop_scratch, scratch_database};
use crate::statistics::percentile;

pub struct AnalyticsBenchOptions {
    pub backend: corridor_store::Backend,
    pub seed: u64,
    pub rounds: usize,
    pub postgres_admin_url: String,
}

/// The periods each question is asked for: every month and quarter of the past year, and the
/// whole year, ending at the start of `today`.
fn periods(today: Timestamp) -> Vec<Period> {
    let day = SignedDuration::from_hours(24);
    let mut periods = Vec::new();
    for month in 0..12 {
        let to = today - day * (30 * month);
        periods.push(Period {
            from: to - day * 30,
            to,
        });
    }
    for quarter in 0..4 {
        let to = today - day * (91 * quarter);
        periods.push(Period {
            from: to - day * 91,
            to,
        });
    }
    periods.push(Period {
        from: today - day * 365,
        to: today,
    });
    periods
}

type Question<'a> = (
    &'static str,
    Box<dyn Fn(&AnalyticsFacts, Period) -> usize + 'a>,
);

fn questions<'a>() -> Vec<Question<'a>> {
    let category = CategoryCode::parse("01").expect("a valid code");
    vec![
        (
            "usage_by_origin",
            Box::new(|facts: &AnalyticsFacts, period| {
                facts
                    .usage_by_origin(period, &ProviderScope::default())
                    .map(|usage| usage.total.bookings as usize)
                    .unwrap_or(0)
            }),
        ),
        (
            "usage_by_origin_one_province",
            Box::new(|facts: &AnalyticsFacts, period| {
                let scope = ProviderScope {
                    province: Some(ProvinceCode::Anhui),
                    ..ProviderScope::default()
                };
                facts
                    .usage_by_origin(period, &scope)
                    .map(|usage| usage.total.bookings as usize)
                    .unwrap_or(0)
            }),
        ),
        (
            "usage_by_origin_one_category",
            Box::new(move |facts: &AnalyticsFacts, period| {
                let scope = ProviderScope {
                    category: Some(category.clone()),
                    ..ProviderScope::default()
                };
                facts
                    .usage_by_origin(period, &scope)
                    .map(|usage| usage.total.bookings as usize)
                    .unwrap_or(0)
            }),
        ),
        (
            "flows_province",
            Box::new(|facts: &AnalyticsFacts, period| {
                facts
                    .flows(period, FlowLevel::Province)
                    .map(|matrix| matrix.cells.len())
                    .unwrap_or(0)
            }),
        ),
        (
            "flows_city",
            Box::new(|facts: &AnalyticsFacts, period| {
                facts
                    .flows(period, FlowLevel::City)
                    .map(|matrix| matrix.cells.len())
                    .unwrap_or(0)
            }),
        ),
        (
            "utilisation_category",
            Box::new(|facts: &AnalyticsFacts, period| {
                facts
                    .utilisation(period, UtilisationGroup::Category)
                    .map(|rows| rows.len())
                    .unwrap_or(0)
            }),
        ),
        (
            "utilisation_institution",
            Box::new(|facts: &AnalyticsFacts, period| {
                facts
                    .utilisation(period, UtilisationGroup::Institution)
                    .map(|rows| rows.len())
                    .unwrap_or(0)
            }),
        ),
        (
            "utilisation_city",
            Box::new(|facts: &AnalyticsFacts, period| {
                facts
                    .utilisation(period, UtilisationGroup::City)
                    .map(|rows| rows.len())
                    .unwrap_or(0)
            }),
        ),
        (
            "idle_expensive",
            Box::new(|facts: &AnalyticsFacts, period| {
                facts
                    .idle_expensive(period, Fen::from_yuan(1_000_000), 0.01)
                    .map(|items| items.len())
                    .unwrap_or(0)
            }),
        ),
    ]
}

pub async fn run(options: AnalyticsBenchOptions) -> Result<()> {
    let database =
        scratch_database(options.backend, &options.postgres_admin_url, "analytics").await?;
    let store = corridor_store::connect(&database.url).await?;
    store.migrate().await?;
    eprintln!("analytics bench: generating the demo region with its year of bookings");
    corridor::region::generate_into(
        store.as_ref(),
        options.seed,
        corridor_demo::DemoScale::full(),
    )
    .await?;
    let zone = jiff::tz::TimeZone::get("Asia/Shanghai")?;
    let today = corridor_store::now()
        .to_zoned(zone.clone())
        .date()
        .to_zoned(zone)?
        .timestamp();

    let started = Instant::now();
    let snapshot = store.analytics_snapshot().await?;
    let snapshot_s = started.elapsed().as_secs_f64();
    let started = Instant::now();
    let facts = AnalyticsFacts::build(
        snapshot.instruments,
        snapshot.institutions,
        snapshot.bookings,
    )
    .context("building the analytics facts")?;
    let build_s = started.elapsed().as_secs_f64();
    eprintln!(
        "analytics bench: {} bookings read in {snapshot_s:.2} s, facts built in {build_s:.2} s",
        facts.booking_count()
    );

    let periods = periods(today);
    let mut per_question = serde_json::Map::new();
    let mut max_p99: f64 = 0.0;
    let mut all = Vec::new();
    for (name, question) in questions() {
        let mut samples = Vec::new();
        let mut answered = 0usize;
        for _ in 0..options.rounds {
            for period in &periods {
                let started = Instant::now();
                answered = answered.max(question(&facts, *period));
                samples.push(started.elapsed().as_secs_f64() * 1_000.0);
            }
        }
        if answered == 0 {
            bail!("{name} answered nothing over the demo year");
        }
        samples.sort_by(f64::total_cmp);
        let p99 = percentile(&samples, 0.99);
        max_p99 = max_p99.max(p99);
        all.extend_from_slice(&samples);
        per_question.insert(
            name.to_owned(),
            json!({
                "samples": samples.len(),
                "p50_ms": percentile(&samples, 0.5),
                "p99_ms": p99,
                "max_ms": samples.last().copied().unwrap_or(0.0),
            }),
        );
    }
    // The light source's usage by origin: each cycle's figures, read from the store (they are
    // not in the facts), as the facility dashboard asks them.
    let cycles = store.cycles(None).await?;
    if cycles.is_empty() {
        bail!("the demo region has no proposal cycle");
    }
    let mut facility_samples = Vec::new();
    for _ in 0..options.rounds.max(1) {
        for cycle in &cycles {
            let started = Instant::now();
            let statistics = corridor_app::beamtime::cycle_statistics(store.as_ref(), cycle)
                .await
                .map_err(|error| anyhow::anyhow!("{error}"))?;
            facility_samples.push(started.elapsed().as_secs_f64() * 1_000.0);
            if statistics.proposals_submitted == 0 {
                bail!("cycle {} has no proposals", cycle.name);
            }
        }
    }
    facility_samples.sort_by(f64::total_cmp);
    let facility_p99 = percentile(&facility_samples, 0.99);
    max_p99 = max_p99.max(facility_p99);
    all.extend_from_slice(&facility_samples);
    per_question.insert(
        "facility_usage_by_origin".to_owned(),
        json!({
            "samples": facility_samples.len(),
            "p50_ms": percentile(&facility_samples, 0.5),
            "p99_ms": facility_p99,
            "max_ms": facility_samples.last().copied().unwrap_or(0.0),
        }),
    );
    all.sort_by(f64::total_cmp);

    // The baseline: the same flow matrix, distinct users and category minutes by plain SQL,
    // for the year and for the latest month, three times each.
    let mut baseline = Vec::new();
    for period in [periods[0], *periods.last().expect("a year")] {
        for _ in 0..3 {
            let started = Instant::now();
            let by_sql = store.analytics_by_sql(period.from, period.to).await?;
            baseline.push(started.elapsed().as_secs_f64() * 1_000.0);
            if by_sql.province_flows.is_empty() {
                bail!("the SQL baseline found no bookings");
            }
        }
    }
    baseline.sort_by(f64::total_cmp);
    let baseline_median = percentile(&baseline, 0.5);
    // The facts answer the three questions the baseline's one call answers.
    let mut facts_trio = Vec::new();
    for period in [periods[0], *periods.last().expect("a year")] {
        for _ in 0..3 {
            let started = Instant::now();
            let _ = facts.flows(period, FlowLevel::Province);
            let _ = facts.usage_by_origin(period, &ProviderScope::default());
            let _ = facts.utilisation(period, UtilisationGroup::Category);
            facts_trio.push(started.elapsed().as_secs_f64() * 1_000.0);
        }
    }
    facts_trio.sort_by(f64::total_cmp);
    let facts_trio_median = percentile(&facts_trio, 0.5);

    let cluster = cluster_reach_figures(store.as_ref(), &facts).await?;

    let result = json!({
        "backend": options.backend.as_str(),
        "bookings": facts.booking_count(),
        "periods": periods.len(),
        "rounds": options.rounds,
        "snapshot_read_s": snapshot_s,
        "facts_build_s": build_s,
        "questions": per_question,
        "all_p50_ms": percentile(&all, 0.5),
        "all_p99_ms": percentile(&all, 0.99),
        "max_dashboard_p99_ms": max_p99,
        "baseline_sql_trio_median_ms": baseline_median,
        "facts_trio_median_ms": facts_trio_median,
        "speedup_over_sql": baseline_median / facts_trio_median.max(1e-9),
        "cluster_reach": cluster,
        "cluster_reach_ms": cluster["one_origin_p99_ms"],
    });
    drop(store);
    drop_scratch(database, &options.postgres_admin_url).await?;
    println!("{result}");
    Ok(())
}

/// Times cluster reach from every region city with a station (see the module comment).
async fn cluster_reach_figures(
    store: &dyn Store,
    facts: &AnalyticsFacts,
) -> Result<serde_json::Value> {
    let rail = RailService::demo();
    let cities = store
        .cities(
            &CityFilter::default(),
            PageRequest {
                limit: PageLimit::new(500)?,
                after: None,
            },
        )
        .await?;
    let origins: Vec<u32> = cities
        .items
        .iter()
        .map(|city| city.city.code.get())
        .filter(|code| rail.has_stations(*code))
        .filter(|code| {
            cities
                .items
                .iter()
                .any(|city| city.city.code.get() == *code && city.city.province.is_in_region())
        })
        .collect();
    let mut targets: Vec<ClusterTarget> = [
        Sector::IntegratedCircuits,
        Sector::Biomedicine,
        Sector::ArtificialIntelligence,
        Sector::Aerospace,
        Sector::NewMaterials,
        Sector::Automotive,
    ]
    .into_iter()
    .map(ClusterTarget::SectorFirms)
    .collect();
    for category in ["01", "02"] {
        targets.push(ClusterTarget::InstrumentCategory(CategoryCode::parse(
            category,
        )?));
    }
    let budgets: Vec<TravelBudget> = [6 * 60, 8 * 60, 12 * 60, 17 * 60]
        .into_iter()
        .map(|start| TravelBudget {
            window_start: start,
            window_end: start + 120,
            within_minutes: 180,
        })
        .collect();

    let mut one_origin = Vec::new();
    let mut shares = Vec::new();
    for target in &targets {
        for budget in &budgets {
            for origin in &origins {
                // The whole figure: the cluster's members by city, the profile, the tally.
                let started = Instant::now();
                let members: Vec<ClusterCity> = facts.cluster_members(target, None);
                let reach = cluster_reach_from(&rail, *origin, &members, *budget);
                one_origin.push(started.elapsed().as_secs_f64() * 1_000.0);
                shares.push(reach.share);
            }
        }
    }
    if shares.iter().all(|share| *share == 0.0) {
        bail!("cluster reach found no member within reach of any city");
    }
    one_origin.sort_by(f64::total_cmp);

    let mut all_by_matrix = Vec::new();
    let mut all_by_profiles = Vec::new();
    for target in &targets {
        let members = facts.cluster_members(target, None);
        let budget = budgets[1];
        let started = Instant::now();
        let by_matrix = cluster_reached_from_each(&rail, &origins, &members, budget);
        all_by_matrix.push(started.elapsed().as_secs_f64() * 1_000.0);
        let started = Instant::now();
        let by_profiles: Vec<u64> = origins
            .iter()
            .map(|origin| cluster_reach_from(&rail, *origin, &members, budget).reached)
            .collect();
        all_by_profiles.push(started.elapsed().as_secs_f64() * 1_000.0);
        if by_matrix != by_profiles {
            bail!("the matrices and the profiles disagree on cluster reach");
        }
    }
    all_by_matrix.sort_by(f64::total_cmp);
    all_by_profiles.sort_by(f64::total_cmp);
    let mean_share = shares.iter().sum::<f64>() / shares.len() as f64;
    Ok(json!({
        "origins": origins.len(),
        "targets": targets.len(),
        "windows": budgets.len(),
        "samples": one_origin.len(),
        "mean_share": mean_share,
        "one_origin_p50_ms": percentile(&one_origin, 0.5),
        "one_origin_p99_ms": percentile(&one_origin, 0.99),
        "one_origin_max_ms": one_origin.last().copied().unwrap_or(0.0),
        "all_origins_matrix_median_ms": percentile(&all_by_matrix, 0.5),
        "all_origins_profiles_median_ms": percentile(&all_by_profiles, 0.5),
    }))
}
