//! The full-text half of search: the tantivy schema, the tokenizers of both languages, the
//! synonym tokens, and turning a user's query into a tantivy query.
//!
//! English text is lower-cased and stemmed; typos are forgiven by fuzzy alternatives of the
//! longer words. Chinese text is indexed twice: segmented by jieba (precise words, good
//! ranking) and as character bigrams (so `质谱` finds `质谱仪` whatever jieba made of it).
//! Every word of a query must be matched by some alternative (AND of ORs), so `XRD 合肥`
//! means X-ray diffraction in Hefei, not either.

use std::collections::HashMap;
use std::sync::OnceLock;

use tantivy::query::{
    BooleanQuery, BoostQuery, FuzzyTermQuery, Occur, PhraseQuery, Query, TermQuery,
};
use tantivy::schema::{
    Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, FAST, INDEXED,
};
use tantivy::tokenizer::{
    LowerCaser, SimpleTokenizer, Stemmer, TextAnalyzer, Token, TokenStream, Tokenizer,
};
use tantivy::{Index, TantivyDocument, Term};
use tantivy_jieba::jieba_rs::Jieba;

use crate::spelling::{canonical_spelling, CanonicalSpelling};
use crate::synonyms::GROUPS;
use crate::vocabulary::NearWords;
use crate::SearchDocument;

const ENGLISH: &str = "corridor_en";
const CHINESE_WORDS: &str = "corridor_zh_words";
const CHINESE_BIGRAMS: &str = "corridor_zh_bigrams";
/// Jieba's precise mode, without the sub-words of search mode: for class names, so that
/// `分析仪` (analyzer) is not found inside the class `分析仪器` (analytical instruments).
const CHINESE_PRECISE: &str = "corridor_zh_precise";
/// Synonym tokens are separated by spaces; tantivy registers this tokenizer by default.
const SYNONYM_TOKENS: &str = "whitespace";

/// Words that carry no meaning in an instrument search; dropped from English queries so that
/// "mass spectrometer in Hefei" does not require documents to contain "in".
const ENGLISH_STOPWORDS: &[&str] = &[
    "a", "an", "the", "in", "at", "of", "for", "with", "near", "and", "or", "to", "on", "by",
    "from",
];

#[derive(Clone, Copy)]
pub struct Fields {
    pub instrument_id: Field,
    pub name_en: Field,
    pub text_en: Field,
    pub name_zh: Field,
    pub text_zh: Field,
    pub bigrams_zh: Field,
    /// The category's and class's Chinese names, in jieba's precise words.
    pub classes_zh: Field,
    pub synonyms: Field,
    /// The whole names, as [`exact_key`] writes them, one raw token each: a query that is a
    /// kind's exact name ranks that kind above the kinds whose names contain it.
    pub exact_name: Field,
    /// The model, as [`model_key`] writes it (`CT-4008T` → `ct4008t`).
    pub model_key: Field,
}

fn text_field(schema: &mut tantivy::schema::SchemaBuilder, name: &str, tokenizer: &str) -> Field {
    let indexing = TextFieldIndexing::default()
        .set_tokenizer(tokenizer)
        .set_index_option(IndexRecordOption::WithFreqsAndPositions);
    schema.add_text_field(name, TextOptions::default().set_indexing_options(indexing))
}

/// A field whose every value is one token, as given.
fn keyword_field(schema: &mut tantivy::schema::SchemaBuilder, name: &str) -> Field {
    let indexing = TextFieldIndexing::default()
        .set_tokenizer("raw")
        .set_index_option(IndexRecordOption::Basic);
    schema.add_text_field(name, TextOptions::default().set_indexing_options(indexing))
}

pub fn schema() -> (Schema, Fields) {
    let mut builder = Schema::builder();
    let fields = Fields {
        instrument_id: builder.add_u64_field("instrument_id", INDEXED | FAST),
        name_en: text_field(&mut builder, "name_en", ENGLISH),
        text_en: text_field(&mut builder, "text_en", ENGLISH),
        name_zh: text_field(&mut builder, "name_zh", CHINESE_WORDS),
        text_zh: text_field(&mut builder, "text_zh", CHINESE_WORDS),
        bigrams_zh: text_field(&mut builder, "bigrams_zh", CHINESE_BIGRAMS),
        classes_zh: text_field(&mut builder, "classes_zh", CHINESE_PRECISE),
        synonyms: text_field(&mut builder, "synonyms", SYNONYM_TOKENS),
        exact_name: keyword_field(&mut builder, "exact_name"),
        model_key: keyword_field(&mut builder, "model_key"),
    };
    (builder.build(), fields)
}

pub fn register_tokenizers(index: &Index) {
    let tokenizers = index.tokenizers();
    tokenizers.register(ENGLISH, english_analyzer());
    tokenizers.register(
        CHINESE_WORDS,
        TextAnalyzer::builder(tantivy_jieba::JiebaTokenizer::new())
            .filter(LowerCaser)
            .build(),
    );
    tokenizers.register(
        CHINESE_PRECISE,
        TextAnalyzer::builder(tantivy_jieba::JiebaTokenizer::with_search_mode(false))
            .filter(LowerCaser)
            .build(),
    );
    tokenizers.register(
        CHINESE_BIGRAMS,
        TextAnalyzer::builder(CjkBigramTokenizer).build(),
    );
}

/// The index's English tokens of a text (lower-cased, canonically spelled, stemmed).
fn english_tokens(english: &mut TextAnalyzer, text: &str) -> Vec<String> {
    let mut stream = english.token_stream(text);
    let mut tokens = Vec::new();
    while stream.advance() {
        tokens.push(stream.token().text.clone());
    }
    tokens
}

/// Whether an English token is in some instrument's name or other English text.
fn english_token_is_indexed(fields: &Fields, searcher: &tantivy::Searcher, token: &str) -> bool {
    [fields.name_en, fields.text_en].into_iter().any(|field| {
        searcher
            .doc_freq(&Term::from_field_text(field, token))
            .unwrap_or(0)
            > 0
    })
}

fn english_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(LowerCaser)
        .filter(CanonicalSpelling)
        .filter(Stemmer::default())
        .build()
}

fn jieba() -> &'static Jieba {
    static JIEBA: OnceLock<Jieba> = OnceLock::new();
    JIEBA.get_or_init(Jieba::new)
}

pub fn is_cjk(c: char) -> bool {
    matches!(c as u32, 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2FFFF)
}

/// Emits each pair of adjacent CJK characters as a token, positioned by its first character,
/// and a lone CJK character (between non-CJK text) as a token of its own.
#[derive(Clone, Default)]
pub struct CjkBigramTokenizer;

pub struct CjkBigramStream {
    tokens: Vec<Token>,
    next: usize,
}

impl Tokenizer for CjkBigramTokenizer {
    type TokenStream<'a> = CjkBigramStream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> CjkBigramStream {
        CjkBigramStream {
            tokens: cjk_bigrams(text),
            next: 0,
        }
    }
}

fn cjk_bigrams(text: &str) -> Vec<Token> {
    let characters: Vec<(usize, char)> = text.char_indices().collect();
    let mut tokens = Vec::new();
    for (index, &(offset, character)) in characters.iter().enumerate() {
        if !is_cjk(character) {
            continue;
        }
        let next = characters.get(index + 1).filter(|(_, next)| is_cjk(*next));
        let previous_is_cjk = index > 0 && is_cjk(characters[index - 1].1);
        let (text, end) = match next {
            Some(&(next_offset, next_character)) => (
                format!("{character}{next_character}"),
                next_offset + next_character.len_utf8(),
            ),
            None if !previous_is_cjk => (character.to_string(), offset + character.len_utf8()),
            None => continue,
        };
        tokens.push(Token {
            offset_from: offset,
            offset_to: end,
            position: index,
            text,
            position_length: 1,
        });
    }
    tokens
}

impl TokenStream for CjkBigramStream {
    fn advance(&mut self) -> bool {
        self.next += 1;
        self.next <= self.tokens.len()
    }

    fn token(&self) -> &Token {
        &self.tokens[self.next - 1]
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.tokens[self.next - 1]
    }
}

/// The form in which text is indexed and queries are read: Unicode NFKC, so that full-width
/// Latin (`ＨＰＬＣ`), compatibility characters and decomposed accents are searched as their
/// plain forms (case is folded by the analyzers and by [`normalise`]).
pub fn folded(text: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    text.nfkc().collect()
}

/// Lower-cases and turns everything that is not a letter, digit or CJK character into single
/// spaces, with a space at each end, so that " x ray diffraction " can be found as a whole
/// word sequence by a substring search. Latin words take their canonical spelling, so that
/// " thermogravimetric analyser " and " thermogravimetric analyzer " are one text.
fn normalise(text: &str) -> String {
    let mut spaced = String::with_capacity(text.len() + 2);
    let mut last_was_space = true;
    for character in text.chars().flat_map(char::to_lowercase) {
        if character.is_alphanumeric() {
            spaced.push(character);
            last_was_space = false;
        } else if !last_was_space {
            spaced.push(' ');
            last_was_space = true;
        }
    }
    let mut normalised = String::with_capacity(spaced.len() + 2);
    normalised.push(' ');
    for word in spaced.split_whitespace() {
        normalised.push_str(&canonical_spelling(word));
        normalised.push(' ');
    }
    normalised
}

/// The Latin-script words of a text, lower-cased, in their canonical spelling.
pub fn latin_words(text: &str) -> Vec<String> {
    normalise(&folded(text))
        .split_whitespace()
        .filter(|word| !word.chars().any(is_cjk))
        .map(str::to_owned)
        .collect()
}

struct SynonymTable {
    /// Normalised member (" x ray diffraction ") → group index; English and Chinese alike.
    members: Vec<(String, usize)>,
}

fn synonym_table() -> &'static SynonymTable {
    static TABLE: OnceLock<SynonymTable> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut members: Vec<(String, usize)> = GROUPS
            .iter()
            .enumerate()
            .flat_map(|(group, spellings)| {
                spellings
                    .iter()
                    .map(move |spelling| (normalise(&folded(spelling)), group))
            })
            .collect();
        // Longest first, so that a query takes "lc ms" before "ms".
        members.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then(a.1.cmp(&b.1)));
        SynonymTable { members }
    })
}

fn synonym_token(group: usize) -> String {
    format!("syn{group}")
}

fn synonym_name_token(group: usize) -> String {
    format!("synname{group}")
}

/// The synonym groups a document mentions in its name, techniques, keywords or category.
pub fn synonym_groups_of(document: &SearchDocument, cache: &mut HashMap<String, String>) -> String {
    let mut key = String::new();
    for part in [
        &document.name_en,
        &document.name_zh,
        &document.category_name_en,
        &document.category_name_zh,
    ] {
        key.push_str(part);
        key.push('|');
    }
    for part in document.techniques.iter().chain(&document.keywords) {
        key.push_str(part);
        key.push('|');
    }
    if let Some(tokens) = cache.get(&key) {
        return tokens.clone();
    }
    let groups_in = |text: &str| {
        let haystack = normalise(&folded(text));
        let mut groups: Vec<usize> = synonym_table()
            .members
            .iter()
            .filter(|(member, _)| contains_member(&haystack, member))
            .map(|(_, group)| *group)
            .collect();
        groups.sort_unstable();
        groups.dedup();
        groups
    };
    // Every group mentioned anywhere finds the instrument; a group in its name also ranks it
    // first, through a second token, which costs one term lookup instead of phrase queries.
    let anywhere = groups_in(&key.replace('|', " "));
    let in_name = groups_in(&format!("{} {}", document.name_en, document.name_zh));
    let tokens = anywhere
        .into_iter()
        .map(synonym_token)
        .chain(in_name.into_iter().map(synonym_name_token))
        .collect::<Vec<_>>()
        .join(" ");
    cache.insert(key, tokens.clone());
    tokens
}

/// Whether a normalised member occurs in a normalised text: as whole words for Latin
/// spellings, anywhere for Chinese ones (Chinese has no spaces between words).
fn contains_member(haystack: &str, member: &str) -> bool {
    if member.chars().any(is_cjk) {
        haystack.contains(member.trim())
    } else {
        haystack.contains(member)
    }
}

pub fn tantivy_document(
    fields: &Fields,
    document: &SearchDocument,
    synonym_cache: &mut HashMap<String, String>,
) -> TantivyDocument {
    let mut doc = TantivyDocument::default();
    doc.add_u64(fields.instrument_id, document.id.0 as u64);
    doc.add_text(fields.name_en, folded(&document.name_en));
    let english = [
        document.description_en.as_str(),
        &document.category_name_en,
        &document.class_name_en,
        &document.manufacturer,
        &document.model,
        &document.institution_name_en,
        &document.city_name_en,
        document.province.name_en(),
    ]
    .join(" ");
    doc.add_text(fields.text_en, folded(&english));
    for term in document.techniques.iter().chain(&document.keywords) {
        if term.chars().any(is_cjk) {
            doc.add_text(fields.text_zh, folded(term));
        } else {
            doc.add_text(fields.text_en, folded(term));
        }
    }
    doc.add_text(fields.name_zh, folded(&document.name_zh));
    doc.add_text(
        fields.classes_zh,
        folded(&format!(
            "{} {}",
            document.category_name_zh, document.class_name_zh
        )),
    );
    let chinese = [
        document.description_zh.as_str(),
        &document.institution_name_zh,
        &document.city_name_zh,
        document.province.name_zh(),
    ]
    .join(" ");
    // Bigrams of the name and keywords only: they find a name however jieba cut it. Over the
    // class names and descriptions they made `分析仪` match every instrument of the class
    // `分析仪器` (44,548 of 56,000, and 11 ms a query); those texts are searched by their words.
    doc.add_text(
        fields.bigrams_zh,
        folded(&format!(
            "{} {}",
            document.name_zh,
            document.keywords.join(" ")
        )),
    );
    doc.add_text(fields.text_zh, folded(&chinese));
    doc.add_text(fields.synonyms, synonym_groups_of(document, synonym_cache));
    doc.add_text(fields.exact_name, exact_key(&document.name_en));
    doc.add_text(fields.exact_name, exact_key(&document.name_zh));
    doc.add_text(fields.model_key, model_key(&document.model));
    doc
}

/// A name as an exact-name token: folded, lower-cased, canonically spelled, single-spaced.
pub fn exact_key(text: &str) -> String {
    normalise(&folded(text)).trim().to_owned()
}

/// A model as one token: its letters and digits, lower-cased (`CT-4008T`, `ct 4008t` →
/// `ct4008t`), so that however a user spaces or hyphenates it, it is one thing.
pub fn model_key(text: &str) -> String {
    folded(text)
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// The longest model, in words, a query is searched for (`1260 Infinity II Preparative LC`).
const MODEL_WORDS_AT_MOST: usize = 6;

/// A query as search reads it: the models it names, the concepts of the rest, and the exact
/// names it could be (the whole query, and the query without its model).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Understood {
    pub concepts: Vec<Concept>,
    pub exact_names: Vec<String>,
    /// The whole query as concepts are cut from it: folded, lower-cased, canonically spelled,
    /// words separated by single spaces.
    pub normalised: String,
}

/// Reads a query. Runs of up to [`MODEL_WORDS_AT_MOST`] words that spell a known model (`is_model` of their
/// [`model_key`]) become one model concept before anything else is read, so that the `CT` of
/// `CT-4008T` is not taken for computed tomography; a single word counts only if it has a
/// digit, so that a model called like a common word does not swallow the word.
pub fn understand(query: &str, is_model: impl Fn(&str) -> bool) -> Understood {
    let normalised = normalise(&folded(query));
    let words: Vec<&str> = normalised.split_whitespace().collect();
    let mut taken = vec![false; words.len()];
    let mut models = Vec::new();
    for length in (1..=MODEL_WORDS_AT_MOST.min(words.len())).rev() {
        for start in 0..=(words.len() - length) {
            let window = &words[start..start + length];
            if taken[start..start + length].iter().any(|taken| *taken)
                || window.iter().any(|word| word.chars().any(is_cjk))
            {
                continue;
            }
            let key: String = window.concat();
            let plausible = length > 1 || key.chars().any(|c| c.is_ascii_digit());
            if plausible && is_model(&key) {
                taken[start..start + length].fill(true);
                models.push(key);
            }
        }
    }
    let rest: Vec<&str> = words
        .iter()
        .zip(&taken)
        .filter(|(_, taken)| !**taken)
        .map(|(word, _)| *word)
        .collect();
    let rest = rest.join(" ");
    let mut concepts = concepts(&rest);
    concepts.extend(models.into_iter().map(Concept::Model));
    let mut exact_names = vec![normalised.trim().to_owned()];
    if rest != exact_names[0] && !rest.is_empty() {
        exact_names.push(rest);
    }
    exact_names.retain(|name| !name.is_empty());
    Understood {
        concepts,
        exact_names,
        normalised,
    }
}

/// One thing the user asked for; each must be matched by at least one of its alternatives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Concept {
    /// A synonym group, with the spelling the user wrote (normalised), which ranks instruments
    /// named with exactly that spelling first.
    /// Most spellings belong to one group; an ambiguous one (`核磁`: NMR or MRI) to several,
    /// any of which matches.
    Synonym(Vec<usize>, String),
    English(String),
    Chinese(String),
    /// A model the catalogue knows, as [`model_key`] writes it.
    Model(String),
}

impl Concept {
    /// The words of the query this concept stands for.
    pub fn word(&self) -> &str {
        match self {
            Concept::Synonym(_, spelling) => spelling,
            Concept::English(word) | Concept::Chinese(word) | Concept::Model(word) => word,
        }
    }
}

/// Whether an English word, as the analyzer reads it, is in some instrument's text.
pub fn english_word_is_indexed(fields: &Fields, searcher: &tantivy::Searcher, word: &str) -> bool {
    let tokens = english_tokens(&mut english_analyzer(), word);
    !tokens.is_empty()
        && tokens
            .iter()
            .all(|token| english_token_is_indexed(fields, searcher, token))
}

/// Whether a Chinese word is one of the words of some instrument's text, or all its
/// character pairs are in some name or keyword: term lookups only.
pub fn chinese_word_is_indexed(fields: &Fields, searcher: &tantivy::Searcher, word: &str) -> bool {
    let lower = word.to_lowercase();
    let frequency = |field: Field, text: &str| {
        searcher
            .doc_freq(&Term::from_field_text(field, text))
            .unwrap_or(0)
    };
    if [fields.name_zh, fields.text_zh, fields.classes_zh]
        .into_iter()
        .any(|field| frequency(field, &lower) > 0)
    {
        return true;
    }
    let bigrams = cjk_bigrams(word);
    !bigrams.is_empty()
        && bigrams
            .iter()
            .all(|token| frequency(fields.bigrams_zh, &token.text) > 0)
}

/// Splits a query into concepts: synonym phrases first (longest first), then the remaining
/// Latin words and jieba-segmented Chinese words.
pub fn concepts(query: &str) -> Vec<Concept> {
    let mut remaining = normalise(&folded(query));
    let mut concepts = Vec::new();
    for (member, _) in &synonym_table().members {
        if member.trim().is_empty() {
            continue;
        }
        let pattern = if member.chars().any(is_cjk) {
            member.trim().to_owned()
        } else {
            member.clone()
        };
        if remaining.contains(&pattern) {
            remaining = remaining.replacen(&pattern, " ", 1);
            let spelling = member.trim().to_owned();
            let groups: Vec<usize> = synonym_table()
                .members
                .iter()
                .filter(|(other, _)| other == member)
                .map(|(_, group)| *group)
                .collect();
            let known = concepts.iter().any(|concept| {
                matches!(concept, Concept::Synonym(known, _) if known.iter().any(|g| groups.contains(g)))
            });
            if !known {
                concepts.push(Concept::Synonym(groups, spelling));
            }
        }
    }
    for word in remaining.split_whitespace() {
        if word.chars().any(is_cjk) {
            // A word may mix scripts ("pcr仪"); split it into runs of one script.
            let mut run = String::new();
            let mut run_is_cjk = None;
            for character in word.chars().chain(std::iter::once(' ')) {
                let cjk = is_cjk(character);
                if run_is_cjk.is_some_and(|previous| previous != cjk) || character == ' ' {
                    push_run(&mut concepts, &run, run_is_cjk == Some(true));
                    run.clear();
                }
                if character != ' ' {
                    run.push(character);
                    run_is_cjk = Some(cjk);
                }
            }
        } else if !ENGLISH_STOPWORDS.contains(&word) {
            concepts.push(Concept::English(word.to_owned()));
        }
    }
    concepts
}

fn push_run(concepts: &mut Vec<Concept>, run: &str, cjk: bool) {
    if run.is_empty() {
        return;
    }
    if cjk {
        for word in jieba().cut(run, true) {
            let word = word.word.trim();
            if !word.is_empty() && !matches!(word, "的" | "和" | "在" | "与") {
                concepts.push(Concept::Chinese(word.to_owned()));
            }
        }
    } else if !ENGLISH_STOPWORDS.contains(&run) {
        concepts.push(Concept::English(run.to_owned()));
    }
}

fn boosted(query: Box<dyn Query>, boost: f32) -> (Occur, Box<dyn Query>) {
    (Occur::Should, Box::new(BoostQuery::new(query, boost)))
}

fn term_query(field: Field, text: &str) -> Box<dyn Query> {
    Box::new(TermQuery::new(
        Term::from_field_text(field, text),
        IndexRecordOption::WithFreqs,
    ))
}

/// What one text query is made of: its concepts, which words get typo alternatives, and the
/// exact names it could be.
#[derive(Clone, Copy)]
pub struct QueryParts<'a> {
    pub concepts: &'a [Concept],
    pub typos: Typos,
    pub exact_names: &'a [String],
}

/// Which words of a query get typo alternatives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Typos {
    /// Only words the index does not know: correctly spelled queries stay fast and exact.
    ForUnknownWords,
    /// Every word long enough: the second try of a query that found nothing, for a typo that
    /// happens to make another known word.
    ForEveryWord,
}

/// The tantivy query for a list of concepts, or `None` for an empty query (everything).
/// `searcher` tells which words the index knows, for [`Typos::ForUnknownWords`].
///
/// Every concept must match, except a lone Chinese character beside other concepts: it is
/// what is left when a longer name was taken as a synonym (`差示扫描量热` + `仪`), and it
/// carries too little meaning to sink the query; it still ranks the instruments that have it.
pub fn build_query(
    fields: &Fields,
    concepts: &[Concept],
    searcher: &tantivy::Searcher,
    typos: Typos,
    exact_names: &[String],
    near_words: &NearWords<'_>,
) -> Option<Box<dyn Query>> {
    if concepts.is_empty() {
        return None;
    }
    let mut english = english_analyzer();
    let mut clauses: Vec<(Occur, Box<dyn Query>)> = concepts
        .iter()
        .map(|concept| {
            let alternatives: Vec<(Occur, Box<dyn Query>)> = match concept {
                Concept::Synonym(groups, spelling) => {
                    // The group's token finds every instrument that mentions the technique
                    // anywhere; the name token ranks those named with it first; the words
                    // the user wrote, when they are in a name, rank the closest spelling first.
                    let mut alternatives: Vec<(Occur, Box<dyn Query>)> = groups
                        .iter()
                        .flat_map(|group| {
                            [
                                boosted(term_query(fields.synonyms, &synonym_token(*group)), 2.0),
                                boosted(
                                    term_query(fields.synonyms, &synonym_name_token(*group)),
                                    3.0,
                                ),
                            ]
                        })
                        .collect();
                    if !spelling.chars().any(is_cjk) {
                        // All the words the user wrote, as a phrase: `mass spectrometer`
                        // ranks names with that phrase first, and `spectrometer` alone never
                        // stands in for mass spectrometry.
                        let mut terms: Vec<Term> = english_tokens(&mut english, spelling)
                            .iter()
                            .map(|token| Term::from_field_text(fields.name_en, token))
                            .collect();
                        let spelled: Box<dyn Query> = match terms.len() {
                            0 => Box::new(BooleanQuery::new(Vec::new())),
                            1 => Box::new(TermQuery::new(
                                terms.remove(0),
                                IndexRecordOption::WithFreqs,
                            )),
                            _ => {
                                // A word or two may stand between (`GPU computing cluster`
                                // for `gpu cluster`), in the order written.
                                let mut phrase = PhraseQuery::new(terms);
                                phrase.set_slop(2);
                                Box::new(phrase)
                            }
                        };
                        alternatives.push(boosted(spelled, 1.0));
                    }
                    alternatives
                }
                Concept::English(word) => {
                    let tokens = english_tokens(&mut english, word);
                    english_alternatives(fields, word, &tokens, searcher, typos, near_words)
                }
                Concept::Chinese(word) => chinese_alternatives(fields, word),
                Concept::Model(key) => vec![boosted(term_query(fields.model_key, key), 4.0)],
            };
            let optional = concepts.len() > 1
                && matches!(concept, Concept::Chinese(word) if word.chars().count() == 1);
            (
                if optional { Occur::Should } else { Occur::Must },
                Box::new(BooleanQuery::new(alternatives)) as Box<dyn Query>,
            )
        })
        .collect();
    // A query that is a kind's whole name puts that kind first (`高效液相色谱仪` above the
    // LC-MS whose name contains it, `High-performance liquid chromatograph` above UHPLC).
    clauses.extend(
        exact_names
            .iter()
            .map(|name| boosted(term_query(fields.exact_name, name), 20.0)),
    );
    Some(Box::new(BooleanQuery::new(clauses)))
}

fn english_alternatives(
    fields: &Fields,
    word: &str,
    tokens: &[String],
    searcher: &tantivy::Searcher,
    typos: Typos,
    near_words: &NearWords<'_>,
) -> Vec<(Occur, Box<dyn Query>)> {
    match tokens {
        [] => vec![],
        [token] => {
            let mut alternatives = vec![
                boosted(term_query(fields.name_en, token), 3.0),
                boosted(term_query(fields.text_en, token), 1.0),
            ];
            let length = word.chars().count();
            let known = typos == Typos::ForUnknownWords
                && english_token_is_indexed(fields, searcher, token);
            if !known && length >= 5 && !word.chars().any(|c| c.is_ascii_digit()) {
                // Typos: one edit in a word of five or more letters, two from nine. The
                // catalogue's own words within reach come first, as they are written, through
                // the analyzer: term lookups, and right where fuzzy matching on stems is not
                // (`rheomter` is two edits from the stem `rheomet`). Fuzzy automata, costly
                // at two edits, are the fallback for a word only other text has.
                let mut english = english_analyzer();
                let mut corrected = false;
                for correction in near_words.latin(word).iter() {
                    if let [term] = english_tokens(&mut english, correction.word).as_slice() {
                        alternatives.push(boosted(term_query(fields.name_en, term), 0.6));
                        alternatives.push(boosted(term_query(fields.text_en, term), 0.2));
                        corrected = true;
                    }
                }
                if !corrected {
                    let distance = if length >= 9 { 2 } else { 1 };
                    for (field, boost) in [(fields.name_en, 0.6), (fields.text_en, 0.2)] {
                        let fuzzy = FuzzyTermQuery::new(
                            Term::from_field_text(field, token),
                            distance,
                            true,
                        );
                        alternatives.push(boosted(Box::new(fuzzy), boost));
                    }
                }
            }
            alternatives
        }
        tokens => [(fields.name_en, 3.0), (fields.text_en, 1.0)]
            .into_iter()
            .map(|(field, boost)| {
                let terms = tokens
                    .iter()
                    .map(|token| Term::from_field_text(field, token))
                    .collect();
                boosted(Box::new(PhraseQuery::new(terms)), boost)
            })
            .collect(),
    }
}

fn chinese_alternatives(fields: &Fields, word: &str) -> Vec<(Occur, Box<dyn Query>)> {
    let lower = word.to_lowercase();
    let mut alternatives = vec![
        boosted(term_query(fields.name_zh, &lower), 3.0),
        boosted(term_query(fields.text_zh, &lower), 1.0),
        boosted(term_query(fields.classes_zh, &lower), 1.0),
    ];
    let bigrams: Vec<Term> = cjk_bigrams(word)
        .into_iter()
        .map(|token| Term::from_field_text(fields.bigrams_zh, &token.text))
        .collect();
    match bigrams.len() {
        0 => {}
        1 => alternatives.push(boosted(
            Box::new(TermQuery::new(
                bigrams[0].clone(),
                IndexRecordOption::WithFreqs,
            )),
            0.8,
        )),
        _ => alternatives.push(boosted(Box::new(PhraseQuery::new(bigrams)), 0.8)),
    }
    alternatives
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_width_and_decomposed_text_reads_as_its_plain_form() {
        // Issue 30, finding 10: `ＨＰＬＣ` found nothing where `HPLC` found thousands.
        assert_eq!(concepts("ＨＰＬＣ"), concepts("HPLC"));
        assert_eq!(concepts("ｇｃ－ｍｓ"), concepts("gc-ms"));
        // "é" written as e + U+0301 is the same word as the composed "é".
        assert_eq!(folded("caf\u{65}\u{301}"), "café");
        // Full-width digits and ideographic spaces too.
        assert_eq!(concepts("ＸＲＤ\u{3000}２０２６"), concepts("XRD 2026"));
    }

    #[test]
    fn bigrams_cover_cjk_runs_and_skip_latin() {
        let texts: Vec<String> = cjk_bigrams("质谱仪 XRD 镜")
            .into_iter()
            .map(|token| token.text)
            .collect();
        assert_eq!(texts, ["质谱", "谱仪", "镜"]);
    }

    #[test]
    fn queries_split_into_synonyms_and_words() {
        let xrd = GROUPS.iter().position(|group| group[0] == "xrd").unwrap();
        assert_eq!(
            concepts("XRD 合肥"),
            [
                Concept::Synonym(vec![xrd], "xrd".into()),
                Concept::Chinese("合肥".into())
            ]
        );
        assert_eq!(
            concepts("x-ray diffraction"),
            [Concept::Synonym(vec![xrd], "x ray diffraction".into())]
        );
        assert_eq!(
            concepts("X射线衍射仪"),
            [Concept::Synonym(vec![xrd], "x射线衍射仪".into())]
        );
        assert_eq!(
            concepts("spectrometer in Nanjing"),
            [
                Concept::English("spectrometer".into()),
                Concept::English("nanjing".into())
            ]
        );
        assert!(concepts("  ").is_empty());
    }
}
