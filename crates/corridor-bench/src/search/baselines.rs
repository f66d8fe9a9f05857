//! The baselines of `corridor-bench search`: the same queries and filters answered by SQLite
//! FTS5 and by PostgreSQL full-text search over the same rows, Chinese indexed as character
//! bigrams (neither engine segments it by itself).

use std::fmt::Write as _;
use std::time::Instant;

use anyhow::{Context, Result};
use corridor_search::{PriceBand, SearchDocument, SearchRequest, SortOrder};

use super::WorkloadQuery;

/// The Chinese text of a document as space-separated character bigrams, the form the two
/// baselines index it in (neither engine segments Chinese by itself).
fn bigram_text(text: &str) -> String {
    let characters: Vec<char> = text.chars().collect();
    let mut out = String::new();
    for window in characters.windows(2) {
        if window.iter().all(|c| corridor_search::is_cjk(*c)) {
            out.push(window[0]);
            out.push(window[1]);
            out.push(' ');
        }
    }
    out
}

/// A baseline's text condition: every Latin word, and every Chinese run as a phrase of its
/// bigrams. (The baselines have no synonym table and no typo tolerance.)
fn baseline_terms(text: &str) -> (Vec<String>, Vec<String>) {
    let mut words = Vec::new();
    let mut phrases = Vec::new();
    for token in text.split(|c: char| c.is_whitespace() || c == '-') {
        if token.is_empty() {
            continue;
        }
        if token.chars().any(corridor_search::is_cjk) {
            let bigrams = bigram_text(token);
            if !bigrams.trim().is_empty() {
                phrases.push(bigrams.trim().to_owned());
            }
        } else {
            words.push(
                token
                    .to_lowercase()
                    .chars()
                    .filter(|c| c.is_alphanumeric())
                    .collect(),
            );
        }
    }
    (words, phrases)
}

/// Appends `AND d.column IN ('a','b')` when `values` is not empty. The values are this
/// program's own codes, never user input, so quoting them inline is safe.
fn push_in(sql: &mut String, column: &str, values: Vec<String>) {
    if !values.is_empty() {
        let quoted: Vec<String> = values.iter().map(|value| format!("'{value}'")).collect();
        let _ = write!(sql, " AND d.{column} IN ({})", quoted.join(","));
    }
}

struct BaselineFilter {
    sql: String,
}

/// The filters of a request as SQL over the baseline's attribute columns (both engines
/// accept this SQL).
fn baseline_filter(request: &SearchRequest) -> BaselineFilter {
    let filters = &request.filters;
    let mut sql = String::new();
    let codes = |values: Vec<&str>| values.into_iter().map(str::to_owned).collect::<Vec<_>>();
    push_in(
        &mut sql,
        "province",
        codes(filters.provinces.iter().map(|p| p.as_code()).collect()),
    );
    push_in(
        &mut sql,
        "class",
        filters
            .categories
            .iter()
            .map(|c| c.top_level().as_str().to_owned())
            .collect(),
    );
    push_in(
        &mut sql,
        "kind",
        codes(
            filters
                .institution_kinds
                .iter()
                .map(|k| k.as_code())
                .collect(),
        ),
    );
    push_in(
        &mut sql,
        "access",
        codes(
            filters
                .access_policies
                .iter()
                .map(|a| a.as_code())
                .collect(),
        ),
    );
    push_in(
        &mut sql,
        "booking",
        codes(filters.booking_modes.iter().map(|b| b.as_code()).collect()),
    );
    if let Some(required) = filters.training_required {
        let _ = write!(sql, " AND d.training = {}", i32::from(required));
    }
    for band in &filters.price_bands {
        let (low, high) = match band {
            PriceBand::Under100 => (0, 10_000),
            PriceBand::From100To300 => (10_000, 30_000),
            PriceBand::From300To600 => (30_000, 60_000),
            PriceBand::From600To1000 => (60_000, 100_000),
            PriceBand::From1000 => (100_000, i64::MAX / 2),
        };
        let _ = write!(sql, " AND d.rate >= {low} AND d.rate < {high}");
    }
    if let Some(ceiling) = filters.max_hourly_rate {
        let _ = write!(sql, " AND d.rate <= {}", ceiling.0);
    }
    if let Some((point, km)) = filters.near {
        // A bounding box on latitude and longitude: cheaper than the index's exact great
        // circle, so the baselines are not handicapped here.
        let dlat = km / 111.0;
        let dlon = km / (111.0 * point.lat.to_radians().cos());
        let _ = write!(
            sql,
            " AND d.lat BETWEEN {} AND {} AND d.lon BETWEEN {} AND {}",
            point.lat - dlat,
            point.lat + dlat,
            point.lon - dlon,
            point.lon + dlon
        );
    }
    BaselineFilter { sql }
}

fn order_by(request: &SearchRequest, rank: &str) -> String {
    match request.sort {
        SortOrder::Relevance => format!("{rank}, d.id"),
        SortOrder::PriceAscending => "d.rate, d.id".to_owned(),
        SortOrder::PriceDescending => "d.rate DESC, d.id".to_owned(),
        SortOrder::Distance => {
            let point = request.origin.expect("distance has an origin");
            format!(
                "((d.lat - {0}) * (d.lat - {0}) + (d.lon - {1}) * (d.lon - {1})), d.id",
                point.lat, point.lon
            )
        }
    }
}

pub(super) async fn sqlite_fts5_baseline(
    path: &std::path::Path,
    documents: &[std::sync::Arc<SearchDocument>],
    queries: &[WorkloadQuery],
) -> Result<Vec<f64>> {
    let url = format!("sqlite://{}?mode=rwc", path.display());
    let pool = sqlx::sqlite::SqlitePoolOptions::new()
        .max_connections(1)
        .connect(&url)
        .await?;
    sqlx::query("CREATE TABLE d (id INTEGER PRIMARY KEY, province TEXT, class TEXT, kind TEXT, access TEXT, booking TEXT, training INTEGER, rate INTEGER, lat REAL, lon REAL)").execute(&pool).await?;
    sqlx::query("CREATE VIRTUAL TABLE fts USING fts5(en, zh, tokenize = 'porter unicode61')")
        .execute(&pool)
        .await?;
    let mut transaction = pool.begin().await?;
    for document in documents {
        sqlx::query("INSERT INTO d VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)")
            .bind(document.id.0)
            .bind(document.province.as_code())
            .bind(document.category.top_level().as_str())
            .bind(document.institution_kind.as_code())
            .bind(document.access_policy.as_code())
            .bind(document.booking_mode.as_code())
            .bind(document.training_required)
            .bind(document.rates.other_academic_fen.0)
            .bind(document.location.lat)
            .bind(document.location.lon)
            .execute(&mut *transaction)
            .await?;
        sqlx::query("INSERT INTO fts (rowid, en, zh) VALUES ($1, $2, $3)")
            .bind(document.id.0)
            .bind(english_text(document))
            .bind(bigram_text(&chinese_text(document)))
            .execute(&mut *transaction)
            .await?;
    }
    transaction.commit().await?;
    let mut samples = Vec::new();
    for round in 0..2 {
        for query in queries {
            let (words, phrases) = baseline_terms(&query.request.text);
            let mut terms: Vec<String> = words.iter().map(|word| format!("\"{word}\"")).collect();
            terms.extend(phrases.iter().map(|phrase| format!("zh : \"{phrase}\"")));
            let filter = baseline_filter(&query.request).sql;
            let started = Instant::now();
            if terms.is_empty() {
                let order = order_by(&query.request, "d.id");
                sqlx::query(&format!(
                    "SELECT d.id FROM d WHERE 1 = 1 {filter} ORDER BY {order} LIMIT 20"
                ))
                .fetch_all(&pool)
                .await?;
                sqlx::query(&format!("SELECT COUNT(*) FROM d WHERE 1 = 1 {filter}"))
                    .fetch_one(&pool)
                    .await?;
            } else {
                let matching = terms.join(" AND ").replace('\'', "''");
                let order = order_by(&query.request, "fts.rank");
                sqlx::query(&format!("SELECT d.id FROM fts JOIN d ON d.id = fts.rowid WHERE fts MATCH '{matching}' {filter} ORDER BY {order} LIMIT 20")).fetch_all(&pool).await?;
                sqlx::query(&format!("SELECT COUNT(*) FROM fts JOIN d ON d.id = fts.rowid WHERE fts MATCH '{matching}' {filter}")).fetch_one(&pool).await?;
            }
            if round > 0 {
                samples.push(started.elapsed().as_secs_f64() * 1000.0);
            }
        }
    }
    pool.close().await;
    Ok(samples)
}

pub(super) async fn postgres_fts_baseline(
    admin_url: &str,
    documents: &[std::sync::Arc<SearchDocument>],
    queries: &[WorkloadQuery],
) -> Result<Vec<f64>> {
    let admin = sqlx::PgPool::connect(admin_url)
        .await
        .with_context(|| format!("connecting to PostgreSQL at {admin_url} for the baseline"))?;
    sqlx::query("DROP DATABASE IF EXISTS corridor_bench_search WITH (FORCE)")
        .execute(&admin)
        .await?;
    sqlx::query("CREATE DATABASE corridor_bench_search")
        .execute(&admin)
        .await?;
    let options: sqlx::postgres::PgConnectOptions = admin_url.parse()?;
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .connect_with(options.database("corridor_bench_search"))
        .await?;
    sqlx::query("CREATE TABLE d (id BIGINT PRIMARY KEY, province TEXT, class TEXT, kind TEXT, access TEXT, booking TEXT, training INT, rate BIGINT, lat DOUBLE PRECISION, lon DOUBLE PRECISION, document TSVECTOR)").execute(&pool).await?;
    for chunk in documents.chunks(1_000) {
        let mut insert = sqlx::QueryBuilder::<sqlx::Postgres>::new("INSERT INTO d (id, province, class, kind, access, booking, training, rate, lat, lon, document) ");
        insert.push_values(chunk, |mut row, document| {
            row.push_bind(document.id.0)
                .push_bind(document.province.as_code())
                .push_bind(document.category.top_level().as_str().to_owned())
                .push_bind(document.institution_kind.as_code())
                .push_bind(document.access_policy.as_code())
                .push_bind(document.booking_mode.as_code())
                .push_bind(i32::from(document.training_required))
                .push_bind(document.rates.other_academic_fen.0)
                .push_bind(document.location.lat)
                .push_bind(document.location.lon)
                .push_unseparated(", to_tsvector('english', ")
                .push_bind_unseparated(english_text(document))
                .push_unseparated(") || to_tsvector('simple', ")
                .push_bind_unseparated(bigram_text(&chinese_text(document)))
                .push_unseparated(")");
        });
        insert.build().execute(&pool).await?;
    }
    sqlx::query("CREATE INDEX d_document ON d USING GIN (document)")
        .execute(&pool)
        .await?;
    sqlx::query("ANALYZE d").execute(&pool).await?;
    let mut samples = Vec::new();
    for round in 0..2 {
        for query in queries {
            let (words, phrases) = baseline_terms(&query.request.text);
            let mut parts: Vec<String> = words
                .iter()
                .map(|word| format!("plainto_tsquery('english', '{word}')"))
                .collect();
            parts.extend(
                phrases
                    .iter()
                    .map(|phrase| format!("phraseto_tsquery('simple', '{phrase}')")),
            );
            let filter = baseline_filter(&query.request).sql;
            let started = Instant::now();
            if parts.is_empty() {
                let order = order_by(&query.request, "d.id");
                sqlx::query(&format!(
                    "SELECT d.id FROM d WHERE 1 = 1 {filter} ORDER BY {order} LIMIT 20"
                ))
                .fetch_all(&pool)
                .await?;
                sqlx::query(&format!("SELECT COUNT(*) FROM d WHERE 1 = 1 {filter}"))
                    .fetch_one(&pool)
                    .await?;
            } else {
                let tsquery = parts.join(" && ");
                let order = order_by(
                    &query.request,
                    &format!("ts_rank(d.document, {tsquery}) DESC"),
                );
                sqlx::query(&format!("SELECT d.id FROM d WHERE d.document @@ ({tsquery}) {filter} ORDER BY {order} LIMIT 20")).fetch_all(&pool).await?;
                sqlx::query(&format!(
                    "SELECT COUNT(*) FROM d WHERE d.document @@ ({tsquery}) {filter}"
                ))
                .fetch_one(&pool)
                .await?;
            }
            if round > 0 {
                samples.push(started.elapsed().as_secs_f64() * 1000.0);
            }
        }
    }
    pool.close().await;
    sqlx::query("DROP DATABASE IF EXISTS corridor_bench_search WITH (FORCE)")
        .execute(&admin)
        .await?;
    Ok(samples)
}

fn english_text(document: &SearchDocument) -> String {
    let mut text = [
        document.name_en.as_str(),
        &document.description_en,
        &document.category_name_en,
        &document.manufacturer,
        &document.model,
        &document.institution_name_en,
        &document.city_name_en,
    ]
    .join(" ");
    for term in document
        .techniques
        .iter()
        .chain(&document.keywords)
        .filter(|term| !term.chars().any(corridor_search::is_cjk))
    {
        text.push(' ');
        text.push_str(term);
    }
    text
}

fn chinese_text(document: &SearchDocument) -> String {
    let mut text = [
        document.name_zh.as_str(),
        &document.description_zh,
        &document.category_name_zh,
        &document.institution_name_zh,
        &document.city_name_zh,
    ]
    .join(" ");
    for term in document
        .keywords
        .iter()
        .filter(|term| term.chars().any(corridor_search::is_cjk))
    {
        text.push(' ');
        text.push_str(term);
    }
    text
}
