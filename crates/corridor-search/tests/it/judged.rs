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

#[test]
fn the_judged_queries_reach_a_recall_at_ten_of_at_least_ninety_percent() {
    let (documents, index) = full_index();
    let judged: Vec<Value> = serde_json::from_str(include_str!("judged_queries.json")).unwrap();
    assert!(judged.len() >= 40);
    let chinese = judged
        .iter()
        .filter(|entry| {
            entry["query"]
                .as_str()
                .unwrap()
                .chars()
                .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
        })
        .count();
    assert!(
        chinese * 2 >= judged.len(),
        "at least half the queries are Chinese: {chinese}"
    );
    let mut total = 0.0;
    let mut report = Vec::new();
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
        let found = results
            .hits
            .iter()
            .filter(|hit| relevant(&hit.document, judgement))
            .count();
        let recall = found as f64 / relevant_count.min(10) as f64;
        total += recall;
        report.push(format!(
            "{recall:.2}  {query}  ({} results, {relevant_count} relevant)",
            results.total
        ));
    }
    let mean = total / judged.len() as f64;
    println!(
        "judged queries: {}\n{}\nmean recall@10 = {mean:.3}",
        judged.len(),
        report.join("\n")
    );
    assert!(
        mean >= 0.9,
        "mean recall@10 {mean:.3}\n{}",
        report.join("\n")
    );
}
