//! The judged query set: for each query, which instruments a correct top 10 consists of,
//! judged from what the instruments are (their names and cities), never from the ranking.

use corridor_search::{SearchDocument, SearchRequest};
use serde_json::Value;

use crate::support::full_index;

fn relevant(document: &SearchDocument, judgement: &Value) -> bool {
    let any = |key: &str, text: &str| {
        judgement[key].as_array().is_none_or(|needles| {
            needles
                .iter()
                .any(|needle| text.contains(needle.as_str().unwrap()))
        })
    };
    any("name_en_any", &document.name_en)
        && any("name_zh_any", &document.name_zh)
        && judgement["city"]
            .as_u64()
            .is_none_or(|city| u64::from(document.city.get()) == city)
}

/// Whether a query is written in Chinese.
fn is_chinese(query: &str) -> bool {
    query
        .chars()
        .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
}

#[test]
fn the_judged_queries_reach_a_recall_at_ten_of_ninety_five_percent_and_never_end_empty() {
    let (documents, index) = full_index();
    let judged: Vec<Value> = serde_json::from_str(include_str!("judged_queries.json")).unwrap();
    let flagged = |flag: &str| {
        judged
            .iter()
            .filter(|entry| entry[flag].as_bool() == Some(true))
            .count()
    };
    let chinese = judged
        .iter()
        .filter(|entry| is_chinese(entry["query"].as_str().unwrap()))
        .count();
    assert!(judged.len() >= 150, "{} judged queries", judged.len());
    assert!(
        chinese * 2 >= judged.len(),
        "at least half the queries are Chinese: {chinese}"
    );
    assert!(flagged("variant") >= 30, "misspellings and variants");
    assert!(flagged("broad") >= 20, "broad queries");
    let mut total = 0.0;
    let mut zero_results = Vec::new();
    let mut report = Vec::new();
    let mut broad_kinds = Vec::new();
    for entry in &judged {
        let query = entry["query"].as_str().unwrap();
        let judgement = &entry["relevant"];
        let relevant_count = documents
            .iter()
            .filter(|document| relevant(document, judgement))
            .count();
        assert!(
            relevant_count > 0,
            "{query}: the judgement matches no instrument"
        );
        let results = index
            .search(&SearchRequest {
                text: query.to_owned(),
                limit: 10,
                ..Default::default()
            })
            .unwrap();
        if results.total == 0 {
            zero_results.push(query);
        }
        let found = results
            .hits
            .iter()
            .filter(|hit| relevant(&hit.document, judgement))
            .count();
        let recall = found as f64 / relevant_count.min(10) as f64;
        total += recall;
        let mut kinds: Vec<&str> = results
            .hits
            .iter()
            .map(|hit| hit.document.name_en.as_str())
            .collect();
        kinds.sort_unstable();
        kinds.dedup();
        if entry["broad"].as_bool() == Some(true) {
            broad_kinds.push(format!("{} {query}", kinds.len()));
        }
        report.push(format!(
            "{recall:.2}  {query}  ({} results, {relevant_count} relevant, {} kinds in the top 10{})",
            results.total,
            kinds.len(),
            if results.relaxation.is_some() { ", relaxed" } else { "" }
        ));
    }
    let mean = total / judged.len() as f64;
    println!(
        "judged queries: {} ({chinese} Chinese, {} misspelt or variant, {} broad)\n{}\n\
         mean recall@10 = {mean:.3}\nzero-result rate = {}/{}\n\
         distinct kinds in the top 10 of the broad queries: {}",
        judged.len(),
        flagged("variant"),
        flagged("broad"),
        report.join("\n"),
        zero_results.len(),
        judged.len(),
        broad_kinds.join(", ")
    );
    assert!(
        zero_results.is_empty(),
        "queries whose kind exists found nothing: {zero_results:?}"
    );
    assert!(
        mean >= 0.95,
        "mean recall@10 {mean:.3}\n{}",
        report.join("\n")
    );
}

#[test]
fn every_broad_judged_query_shows_at_least_five_kinds_in_its_first_ten_rows() {
    let (_, index) = full_index();
    let judged: Vec<Value> = serde_json::from_str(include_str!("judged_queries.json")).unwrap();
    let mut report = Vec::new();
    let mut failures = Vec::new();
    for entry in judged
        .iter()
        .filter(|entry| entry["broad"].as_bool() == Some(true))
    {
        let query = entry["query"].as_str().unwrap();
        let results = index
            .search(&SearchRequest {
                text: query.to_owned(),
                limit: 10,
                grouping: corridor_search::Grouping::Kind,
                ..Default::default()
            })
            .unwrap();
        let kinds: std::collections::HashSet<&str> = results
            .hits
            .iter()
            .map(|hit| hit.document.name_en.as_str())
            .collect();
        report.push(format!("{} {query}", kinds.len()));
        if kinds.len() < 5.min(results.total_groups as usize) {
            failures.push(query);
        }
    }
    println!(
        "distinct kinds in the first ten grouped rows: {}",
        report.join(", ")
    );
    assert!(failures.is_empty(), "{failures:?}\n{}", report.join("\n"));
}
