//! Every word of a query treated alike: catalogue names in both languages find their kind
//! first, spelling variants and typos do not sink a query, and a query that matches nothing
//! is answered by its best partial match, with the words it dropped and a "did you mean".

use std::collections::BTreeMap;

use corridor_search::{SearchDocument, SearchRequest, SearchResults};

use crate::support::full_index;

fn search(text: &str, limit: usize) -> SearchResults {
    full_index()
        .1
        .search(&SearchRequest {
            text: text.to_owned(),
            limit,
            ..Default::default()
        })
        .unwrap()
}

/// The catalogue's kinds of instrument (its distinct names), each with the models it comes in.
fn kinds() -> BTreeMap<(String, String), Vec<String>> {
    let mut kinds: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    for document in &full_index().0 {
        let models = kinds
            .entry((document.name_en.clone(), document.name_zh.clone()))
            .or_default();
        if !models.contains(&document.model) {
            models.push(document.model.clone());
        }
    }
    kinds
}

fn same_kind(document: &SearchDocument, kind: &(String, String)) -> bool {
    document.name_en == kind.0 && document.name_zh == kind.1
}

#[test]
fn every_kind_is_found_first_by_its_name_in_either_language_with_or_without_its_model() {
    let kinds = kinds();
    assert!(kinds.len() >= 100, "{} kinds", kinds.len());
    let mut failures = Vec::new();
    let mut queries = 0;
    for (kind, models) in &kinds {
        let mut texts = vec![kind.0.clone(), kind.1.clone()];
        for model in models {
            texts.push(format!("{} {model}", kind.0));
            texts.push(format!("{} {model}", kind.1));
        }
        for text in texts {
            queries += 1;
            let results = search(&text, 1);
            match results.hits.first() {
                Some(hit) if same_kind(&hit.document, kind) => {}
                Some(hit) => failures.push(format!(
                    "{text:?} → first {:?} / {:?}",
                    hit.document.name_en, hit.document.name_zh
                )),
                None => failures.push(format!("{text:?} → nothing")),
            }
        }
    }
    println!("{queries} name queries over {} kinds", kinds.len());
    assert!(
        failures.is_empty(),
        "{} of {queries} name queries did not find their kind first:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// A typo a person makes: the longest word of the name with one letter dropped, or two
/// neighbours swapped.
fn with_typo(name: &str, swap: bool) -> Option<String> {
    let words: Vec<&str> = name.split_whitespace().collect();
    let (index, word) = words
        .iter()
        .enumerate()
        .filter(|(_, word)| word.chars().all(|c| c.is_ascii_alphabetic()) && word.len() >= 6)
        .max_by_key(|(_, word)| word.len())?;
    let mut letters: Vec<char> = word.chars().collect();
    let middle = letters.len() / 2;
    if swap {
        letters.swap(middle, middle + 1);
    } else {
        letters.remove(middle);
    }
    let misspelt: String = letters.into_iter().collect();
    let mut words: Vec<String> = words.iter().map(|word| (*word).to_owned()).collect();
    words[index] = misspelt;
    Some(words.join(" "))
}

#[test]
fn a_typo_in_any_word_of_a_kind_name_still_finds_that_kind_first() {
    let kinds = kinds();
    let mut failures = Vec::new();
    let mut queries = 0;
    for kind in kinds.keys() {
        for swap in [false, true] {
            let Some(text) = with_typo(&kind.0, swap) else {
                continue;
            };
            queries += 1;
            let results = search(&text, 1);
            if !results
                .hits
                .first()
                .is_some_and(|hit| same_kind(&hit.document, kind))
            {
                failures.push(format!(
                    "{text:?} (for {:?}) → {:?}",
                    kind.0,
                    results.hits.first().map(|hit| &hit.document.name_en)
                ));
            }
        }
    }
    assert!(queries >= 150, "{queries}");
    // Some typos make another word of the catalogue; those may rank another kind first.
    assert!(
        failures.len() * 20 <= queries,
        "{} of {queries} misspelt names did not find their kind first:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn british_and_american_spellings_find_the_same_instruments_in_any_company() {
    for (british, american) in [
        ("thermogravimetric analyser", "thermogravimetric analyzer"),
        ("particle size analyser", "particle size analyzer"),
        ("multicolour fluorescence", "multicolor fluorescence"),
        ("sulphur analyser", "sulfur analyzer"),
        (
            "total organic carbon analyser Nanjing",
            "total organic carbon analyzer Nanjing",
        ),
    ] {
        let one = search(british, 10);
        let other = search(american, 10);
        assert_eq!(one.total, other.total, "{british} / {american}");
        let ids = |results: &SearchResults| -> Vec<_> {
            results.hits.iter().map(|hit| hit.document.id).collect()
        };
        assert_eq!(ids(&one), ids(&other), "{british} / {american}");
        assert!(one.relaxation.is_none(), "{british} matched as written");
    }
    assert!(search("thermogravimetric analyzer", 10).total > 0);
    assert!(search("particle size analyzer", 10).total > 0);
}

#[test]
fn a_query_that_matches_nothing_answers_its_best_part_and_says_what_it_dropped() {
    let results = search("mass spectrometer qwxzvbnm", 10);
    assert!(results.total > 0, "relaxed results");
    let relaxation = results.relaxation.expect("the query was relaxed");
    assert_eq!(relaxation.dropped_words, ["qwxzvbnm"]);
    assert!(results.hits.iter().all(|hit| hit
        .document
        .name_en
        .to_lowercase()
        .contains("mass spectrometer")
        || hit.document.keywords.iter().any(|k| k.contains("MS"))));

    // Two words that each match, but never together, keep the first and drop the last.
    let both = search("cryo-electron microscope rheometer", 10);
    assert!(both.total > 0);
    let dropped = both.relaxation.expect("relaxed").dropped_words;
    assert_eq!(dropped.len(), 1, "{dropped:?}");

    // A query that matches as written is not relaxed.
    assert!(search("mass spectrometer", 10).relaxation.is_none());
    // Nothing to relax: no words at all.
    assert!(search("", 10).relaxation.is_none());
}

#[test]
fn an_unknown_word_gets_a_did_you_mean_from_the_catalogue() {
    let results = search("spectromter", 10);
    assert_eq!(results.did_you_mean.as_deref(), Some("spectrometer"));
    assert!(results.total > 0, "the typo still finds spectrometers");
    let results = search("rheomter Hefei", 10);
    assert_eq!(results.did_you_mean.as_deref(), Some("rheometer hefei"));
    // Correct words get no suggestion.
    assert_eq!(search("mass spectrometer", 10).did_you_mean, None);
    assert_eq!(search("质谱仪", 10).did_you_mean, None);
}
