//! The words the catalogue uses, with how many instruments use each: what "did you mean"
//! offers when a word of a query is not in it.
//!
//! English words are kept as they are written (lower-cased, in their canonical spelling), not
//! as the index's stems, because a suggestion is shown to a person. Chinese has no spaces, so
//! its entries are the catalogue's whole names and keywords (`差示扫描量热仪`, `扫描电镜`).

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use crate::text::{is_cjk, latin_words};
use crate::SearchDocument;

#[derive(Default)]
pub struct Vocabulary {
    /// Word → the number of instruments whose text has it.
    latin: HashMap<String, u32>,
    chinese: HashMap<String, u32>,
    /// Models, as [`crate::text::model_key`] writes them.
    models: HashMap<String, u32>,
}

impl Vocabulary {
    pub fn add(&mut self, document: &SearchDocument) {
        self.change(document, true);
    }

    pub fn remove(&mut self, document: &SearchDocument) {
        self.change(document, false);
    }

    fn change(&mut self, document: &SearchDocument, add: bool) {
        let (latin, chinese) = entries_of(document);
        let model = vec![crate::text::model_key(&document.model)];
        for (map, entries) in [
            (&mut self.latin, latin),
            (&mut self.chinese, chinese),
            (&mut self.models, model),
        ] {
            for entry in entries {
                if add {
                    *map.entry(entry).or_default() += 1;
                } else if let Some(count) = map.get_mut(&entry) {
                    *count -= 1;
                    if *count == 0 {
                        map.remove(&entry);
                    }
                }
            }
        }
    }

    pub fn is_model(&self, key: &str) -> bool {
        self.models.contains_key(key)
    }

    pub fn knows(&self, word: &str) -> bool {
        self.latin.contains_key(word) || self.chinese.contains_key(word)
    }

    /// The closest known word to `word`, when one is close enough to be a likely typo: one
    /// edit in words of three to eight letters, two from nine (as Meilisearch counts typos);
    /// for Chinese, one character in names of up to four, two from five. Ties go to the word
    /// more instruments use.
    pub fn closest(&self, word: &str) -> Option<&str> {
        let length = word.chars().count();
        let chinese = word.chars().any(is_cjk);
        let (map, budget) = if chinese {
            (&self.chinese, if length >= 5 { 2 } else { 1 })
        } else {
            if length < 3 {
                return None;
            }
            (&self.latin, if length >= 9 { 2 } else { 1 })
        };
        closest_of(&near(map, word, budget))
    }
}

/// A known word within a typo's reach of a query word.
#[derive(Debug, Clone, Copy)]
pub struct Near<'v> {
    pub word: &'v str,
    pub distance: usize,
    /// How many instruments use it.
    pub instruments: u32,
}

/// Every entry of `map` within `budget` edits of `word` (and not `word` itself).
fn near<'v>(map: &'v HashMap<String, u32>, word: &str, budget: usize) -> Vec<Near<'v>> {
    let length = word.chars().count();
    map.iter()
        .filter(|(candidate, _)| candidate.chars().count().abs_diff(length) <= budget)
        .filter_map(|(candidate, instruments)| {
            let distance = strsim::osa_distance(word, candidate);
            (distance > 0 && distance <= budget).then_some(Near {
                word: candidate,
                distance,
                instruments: *instruments,
            })
        })
        .collect()
}

/// The nearest, then the commonest, then the first in order.
fn closest_of<'v>(near: &[Near<'v>]) -> Option<&'v str> {
    near.iter()
        .min_by(|a, b| {
            (a.distance, b.instruments, a.word).cmp(&(b.distance, a.instruments, b.word))
        })
        .map(|near| near.word)
}

/// The catalogue's Latin words within a typo's reach of each query word, found once per search:
/// every try of a query (the first, each relaxed one) and its did-you-mean share them, where
/// each used to scan the whole vocabulary again.
pub struct NearWords<'v> {
    vocabulary: &'v Vocabulary,
    found: RefCell<HashMap<String, Rc<[Near<'v>]>>>,
}

impl<'v> NearWords<'v> {
    pub fn new(vocabulary: &'v Vocabulary) -> NearWords<'v> {
        NearWords {
            vocabulary,
            found: RefCell::new(HashMap::new()),
        }
    }

    pub fn vocabulary(&self) -> &'v Vocabulary {
        self.vocabulary
    }

    /// The known Latin words within a typo's reach of `word`: one edit from five letters, two
    /// from nine, as Meilisearch counts; none for shorter words or words with digits.
    pub fn latin(&self, word: &str) -> Rc<[Near<'v>]> {
        if let Some(found) = self.found.borrow().get(word) {
            return Rc::clone(found);
        }
        let length = word.chars().count();
        let found: Rc<[Near<'v>]> = if length < 5 || word.chars().any(|c| c.is_ascii_digit()) {
            Rc::from(Vec::new())
        } else {
            let budget = if length >= 9 { 2 } else { 1 };
            Rc::from(near(&self.vocabulary.latin, word, budget))
        };
        self.found
            .borrow_mut()
            .insert(word.to_owned(), Rc::clone(&found));
        found
    }

    /// [`Vocabulary::closest`], from the words already found when the word is long enough to
    /// have typo alternatives.
    pub fn closest(&self, word: &str) -> Option<&'v str> {
        let latin_typos = !word.chars().any(is_cjk)
            && word.chars().count() >= 5
            && !word.chars().any(|c| c.is_ascii_digit());
        if latin_typos {
            closest_of(&self.latin(word))
        } else {
            self.vocabulary.closest(word)
        }
    }
}

/// One instrument's distinct entries: its Latin words and its Chinese names and keywords.
fn entries_of(document: &SearchDocument) -> (Vec<String>, Vec<String>) {
    let mut latin: Vec<String> = [
        &document.name_en,
        &document.category_name_en,
        &document.class_name_en,
        &document.manufacturer,
        &document.model,
        &document.city_name_en,
    ]
    .into_iter()
    .chain(&document.techniques)
    .chain(&document.keywords)
    .flat_map(|text| latin_words(text))
    .filter(|word| word.len() >= 3 && !word.chars().all(|c| c.is_ascii_digit()))
    .collect();
    latin.sort_unstable();
    latin.dedup();
    let mut chinese: Vec<String> = [
        &document.name_zh,
        &document.category_name_zh,
        &document.class_name_zh,
        &document.city_name_zh,
    ]
    .into_iter()
    .chain(&document.techniques)
    .chain(&document.keywords)
    .filter(|text| text.chars().any(is_cjk))
    .map(|text| crate::text::folded(text).trim().to_owned())
    .collect();
    chinese.sort_unstable();
    chinese.dedup();
    (latin, chinese)
}
