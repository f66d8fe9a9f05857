//! Speed a person feels (issue 31): every page's server time and weight on the demo region.
//!
//! The benchmark generates the full demo region into a scratch SQLite database, serves it
//! with the real binary, and finds the pages the way a visitor does: each demo role (and a
//! visitor who is not signed in) starts from a few pages and follows the site's own links,
//! taking one page of every route it meets. Each page is then fetched `rounds` times, one at
//! a time, and the time to the last byte (loopback, so the server's time plus a fraction of a
//! millisecond) is summarised as median and p95, with the page's HTML plus the stylesheets it
//! links. `/healthz`, which does no work, is measured the same way as the floor of the method.
//! The targets: p95 ≤ 100 ms and HTML + CSS under 300 KB for every page.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use serde_json::json;

use crate::corridor_binary::{corridor_binary, serve, stop};
use crate::scratch::{drop_scratch, scratch_database};
use crate::statistics::percentile;

pub struct PagesBenchOptions {
    pub seed: u64,
    pub rounds: usize,
    pub max_pages_per_role: usize,
}

const DEMO_PASSWORD: &str = "corridor-demo";
const P95_TARGET_MS: f64 = 100.0;
const WEIGHT_TARGET_BYTES: usize = 300 * 1024;

/// Who visits, and where each starts; the rest is found by following links.
const ROLES: &[(&str, Option<&str>, &[&str])] = &[
    (
        "visitor",
        None,
        &[
            "/",
            "/search?q=XPS",
            "/search?q=mass+spectrometer&group=none",
            "/instruments",
            "/reach",
            "/analytics",
        ],
    ),
    (
        "researcher",
        Some("researcher@corridor.demo"),
        &["/bookings", "/account/tokens", "/facility/proposals"],
    ),
    (
        "company",
        Some("company@corridor.demo"),
        &["/vouchers", "/bookings"],
    ),
    ("manager", Some("manager@corridor.demo"), &["/manage"]),
    (
        "user-office",
        Some("user-office@corridor.demo"),
        &["/facility/office"],
    ),
    (
        "reviewer",
        Some("reviewer@corridor.demo"),
        &["/facility/reviews"],
    ),
    (
        "voucher-office",
        Some("vouchers-sh@corridor.demo"),
        &["/vouchers/office"],
    ),
    (
        "institution-admin",
        Some("institution-admin@corridor.demo"),
        &[
            "/manage",
            "/institution/catalogue",
            "/institution/members",
            "/institution/people",
            "/account/sessions",
        ],
    ),
    (
        "admin",
        Some("admin@corridor.demo"),
        &[
            "/analytics/vouchers",
            "/analytics/facility",
            "/analytics/reach",
            "/admin/institutions",
            "/admin/mail",
        ],
    ),
];

/// A route's shape: the path with every number folded (`/instruments/{id}`).
fn route_of(url: &str) -> String {
    let path = url.split(['?', '#']).next().unwrap_or(url);
    path.split('/')
        .map(|segment| {
            if !segment.is_empty() && segment.chars().all(|c| c.is_ascii_digit()) {
                "{id}"
            } else {
                segment
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// The site's own page links of an HTML page (not the API, files or actions).
fn page_links(html: &str) -> Vec<String> {
    html.split("href=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .map(|href| href.replace("&amp;", "&"))
        .filter(|href| href.starts_with('/') && !href.starts_with("//"))
        .map(|href| href.split('#').next().unwrap_or_default().to_owned())
        .filter(|href| {
            let path = href.split('?').next().unwrap_or_default();
            !(path.starts_with("/api")
                || path.starts_with("/static")
                || path.starts_with("/healthz")
                || path.starts_with("/favicon")
                || path.ends_with(".csv")
                || path.ends_with(".ics")
                || path == "/sign-out")
        })
        .collect()
}

/// The stylesheets a page links, to count into its weight.
fn stylesheets(html: &str) -> Vec<String> {
    html.split("<link rel=\"stylesheet\" href=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .map(str::to_owned)
        .collect()
}

struct Visitor {
    role: &'static str,
    token: Option<String>,
}

async fn token_for(client: &reqwest::Client, base: &str, email: &str) -> Result<String> {
    let answer: serde_json::Value = client
        .post(format!("{base}/api/v1/tokens"))
        .json(&json!({ "email": email, "password": DEMO_PASSWORD, "name": "pages bench" }))
        .send()
        .await?
        .error_for_status()
        .with_context(|| format!("signing in as {email}"))?
        .json()
        .await?;
    answer["token"]
        .as_str()
        .map(str::to_owned)
        .context("the token answer has a token")
}

async fn fetch(
    client: &reqwest::Client,
    base: &str,
    path: &str,
    visitor: &Visitor,
) -> Result<(u16, String, f64)> {
    let mut request = client
        .get(format!("{base}{path}"))
        .header("accept", "text/html");
    if let Some(token) = &visitor.token {
        request = request.bearer_auth(token);
    }
    let started = Instant::now();
    let response = request.send().await?;
    let status = response.status().as_u16();
    let body = response.text().await?;
    Ok((status, body, started.elapsed().as_secs_f64() * 1_000.0))
}

struct PageFigures {
    route: String,
    url: String,
    role: &'static str,
    status: u16,
    html_bytes: usize,
    css_bytes: usize,
    samples_ms: Vec<f64>,
}

pub async fn run(options: PagesBenchOptions) -> Result<()> {
    let binary = corridor_binary()?;
    let database = scratch_database(corridor_store::Backend::Sqlite, "", "pages").await?;
    {
        let store = corridor_store::connect(&database.url).await?;
        store.migrate().await?;
        eprintln!("pages bench: generating the demo region with its year of bookings");
        corridor::region::generate_into(
            store.as_ref(),
            options.seed,
            corridor_demo::DemoScale::full(),
        )
        .await?;
    }
    let log = PathBuf::from("target/bench-logs/pages-server.log");
    let server = serve(&binary, &database.url, &[], &log).await?;
    let base = server.base_url();
    let outcome = measure(&base, &options).await;
    stop(server)?;
    drop_scratch(database, "").await?;
    outcome
}

async fn measure(base: &str, options: &PagesBenchOptions) -> Result<()> {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;

    // Find the pages.
    let mut seen_routes = BTreeSet::new();
    let mut pages: Vec<(String, String, usize)> = Vec::new();
    let mut visitors = Vec::new();
    for (role, email, start) in ROLES {
        let token = match email {
            Some(email) => Some(token_for(&client, base, email).await?),
            None => None,
        };
        let visitor = Visitor { role, token };
        let mut queue: VecDeque<String> = start.iter().map(|path| (*path).to_owned()).collect();
        let mut taken = 0;
        while let Some(url) = queue.pop_front() {
            if taken >= options.max_pages_per_role {
                break;
            }
            let route = route_of(&url);
            if !seen_routes.insert(route.clone()) {
                continue;
            }
            let (status, html, _) = fetch(&client, base, &url, &visitor).await?;
            if status != 200 {
                eprintln!("pages bench: {url} answered {status} for {role}; not measured");
                continue;
            }
            taken += 1;
            for link in page_links(&html) {
                if !seen_routes.contains(&route_of(&link)) {
                    queue.push_back(link);
                }
            }
            pages.push((route, url, visitors.len()));
        }
        visitors.push(visitor);
    }
    eprintln!("pages bench: {} pages found; measuring", pages.len());

    let mut css_sizes: BTreeMap<String, usize> = BTreeMap::new();
    let mut figures = Vec::new();
    let floor_visitor = Visitor {
        role: "visitor",
        token: None,
    };
    let mut floor = Vec::new();
    for _ in 0..options.rounds {
        floor.push(fetch(&client, base, "/healthz", &floor_visitor).await?.2);
    }
    for (route, url, visitor_index) in &pages {
        let visitor = &visitors[*visitor_index];
        // One warm-up request, as a page in service has been asked before.
        let (status, html, _) = fetch(&client, base, url, visitor).await?;
        let mut css_bytes = 0;
        for sheet in stylesheets(&html) {
            if !css_sizes.contains_key(&sheet) {
                let (_, body, _) = fetch(&client, base, &sheet, visitor).await?;
                css_sizes.insert(sheet.clone(), body.len());
            }
            css_bytes += css_sizes[&sheet];
        }
        let mut samples = Vec::with_capacity(options.rounds);
        for _ in 0..options.rounds {
            samples.push(fetch(&client, base, url, visitor).await?.2);
        }
        samples.sort_by(f64::total_cmp);
        figures.push(PageFigures {
            route: route.clone(),
            url: url.clone(),
            role: visitor.role,
            status,
            html_bytes: html.len(),
            css_bytes,
            samples_ms: samples,
        });
    }
    floor.sort_by(f64::total_cmp);

    println!(
        "{:<44} {:<14} {:>9} {:>9} {:>10}",
        "route", "as", "p50 ms", "p95 ms", "HTML+CSS"
    );
    let mut over = Vec::new();
    let mut report = Vec::new();
    for page in &figures {
        let p50 = percentile(&page.samples_ms, 0.5);
        let p95 = percentile(&page.samples_ms, 0.95);
        let weight = page.html_bytes + page.css_bytes;
        println!(
            "{:<44} {:<14} {:>9.1} {:>9.1} {:>8.1} KB",
            page.route,
            page.role,
            p50,
            p95,
            weight as f64 / 1024.0
        );
        if p95 > P95_TARGET_MS || weight >= WEIGHT_TARGET_BYTES {
            over.push(format!(
                "{} ({}): p95 {p95:.1} ms, {:.1} KB",
                page.url,
                page.role,
                weight as f64 / 1024.0
            ));
        }
        report.push(json!({
            "route": page.route, "url": page.url, "as": page.role, "status": page.status,
            "p50_ms": p50, "p95_ms": p95, "html_bytes": page.html_bytes, "css_bytes": page.css_bytes,
        }));
    }
    let all_p95: Vec<f64> = {
        let mut values: Vec<f64> = figures
            .iter()
            .map(|page| percentile(&page.samples_ms, 0.95))
            .collect();
        values.sort_by(f64::total_cmp);
        values
    };
    println!(
        "{} pages, {} rounds each; median of the pages' p95 {:.1} ms, worst p95 {:.1} ms; \
         heaviest {:.1} KB; /healthz p50 {:.2} ms, p95 {:.2} ms (the method's floor)",
        figures.len(),
        options.rounds,
        percentile(&all_p95, 0.5),
        all_p95.last().copied().unwrap_or(0.0),
        figures
            .iter()
            .map(|page| page.html_bytes + page.css_bytes)
            .max()
            .unwrap_or(0) as f64
            / 1024.0,
        percentile(&floor, 0.5),
        percentile(&floor, 0.95),
    );
    println!(
        "{}",
        serde_json::to_string(
            &json!({ "pages": report, "healthz_p95_ms": percentile(&floor, 0.95) })
        )?
    );
    if figures.len() < 20 {
        bail!(
            "only {} pages were found; the crawl is broken",
            figures.len()
        );
    }
    if over.is_empty() {
        println!("every page meets p95 ≤ {P95_TARGET_MS} ms and HTML + CSS < 300 KB");
    } else {
        println!("pages over a target:\n  {}", over.join("\n  "));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_fold_ids_and_links_skip_what_is_not_a_page() {
        assert_eq!(
            route_of("/instruments/17?week=2026-12-07#booking"),
            "/instruments/{id}"
        );
        assert_eq!(
            route_of("/facility/cycles/3/propose"),
            "/facility/cycles/{id}/propose"
        );
        let html = r#"<a href="/search?q=a&amp;b=1">x</a><a href="/api/v1/x">y</a><a href="/instruments/4#booking">z</a><a href="https://example.com">w</a>"#;
        assert_eq!(page_links(html), vec!["/search?q=a&b=1", "/instruments/4"]);
    }
}
