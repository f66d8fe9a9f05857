//! Instrument search: what a researcher types, narrowed by facets, over every instrument of
//! the region, in milliseconds.
//!
//! Two halves work together. tantivy answers the text (`text.rs`): which instruments match
//! the words, and how well. Plain arrays answer everything else (`columns.rs`): filters,
//! facet counts, prices for the caller's user class, distances, sorting and paging, in one
//! pass over the matching instruments.
//!
//! Architecture Invariant: the index is derived data. It is built from the store's
//! instruments and can be dropped and rebuilt at any time; it never holds anything the store
//! does not. A removed instrument is gone from results as soon as `remove` returns.
//!
//! Architecture Invariant: no I/O. The index lives in memory; feeding it is the caller's job.

pub mod availability;
mod columns;
mod groups;
mod page;
mod spelling;
mod synonyms;
mod text;
mod vocabulary;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};

use corridor_domain::{
    AccessPolicy, BookingMode, CategoryCode, CityCode, Fen, GeoPoint, HourlyRates, InstitutionId,
    InstitutionKind, InstrumentId, ProvinceCode, UserClass,
};
use tantivy::collector::{Collector, SegmentCollector};
use tantivy::{
    DocId, Index, IndexReader, IndexWriter, ReloadPolicy, Score, SegmentOrdinal, SegmentReader,
    TantivyDocument, Term,
};

pub use columns::{Facet, FacetCount, Facets, PriceBand};
pub use groups::{Grouping, SearchGroup};
pub use spelling::canonical_spelling;
pub use text::{concepts, is_cjk, Concept};

/// Everything search knows of one instrument: the text it is found by and the attributes it
/// is filtered, faceted and sorted by.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchDocument {
    pub id: InstrumentId,
    pub name_en: String,
    pub name_zh: String,
    pub description_en: String,
    pub description_zh: String,
    pub category: CategoryCode,
    pub category_name_en: String,
    pub category_name_zh: String,
    pub class_name_en: String,
    pub class_name_zh: String,
    pub techniques: Vec<String>,
    pub keywords: Vec<String>,
    pub manufacturer: String,
    pub model: String,
    pub institution: InstitutionId,
    pub institution_name_en: String,
    pub institution_name_zh: String,
    pub institution_kind: InstitutionKind,
    pub city: CityCode,
    pub city_name_en: String,
    pub city_name_zh: String,
    pub province: ProvinceCode,
    pub location: GeoPoint,
    pub access_policy: AccessPolicy,
    pub booking_mode: BookingMode,
    pub training_required: bool,
    pub rates: HourlyRates,
}

/// A filter the search does not know itself, plugged in by another part of the product:
/// "reachable by rail from X within N minutes", "free for k consecutive hours between two
/// dates". It is asked about each candidate that passed the text match, so it must be cheap
/// (a bitmap or a table lookup, never a query).
pub trait CandidateFilter: Send + Sync {
    /// Shown in the response, so that a caller can tell which filters were applied.
    fn name(&self) -> &'static str;
    /// Asked once per candidate: whether it passes, and for a filter that finds free time,
    /// from when (so that results and groups can say it without asking again).
    fn admit(&self, document: &SearchDocument) -> Admission;
}

/// What a plugged-in filter says of one candidate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    Refused,
    Admitted,
    /// Admitted: its earliest free run starts then.
    FreeFrom(jiff::Timestamp),
}

/// Admits the instruments of some cities; the reach filter is this, fed with the cities the
/// rail router found reachable.
pub struct CitySetFilter {
    pub name: &'static str,
    pub cities: std::collections::HashSet<CityCode>,
}

impl CandidateFilter for CitySetFilter {
    fn name(&self) -> &'static str {
        self.name
    }

    fn admit(&self, document: &SearchDocument) -> Admission {
        if self.cities.contains(&document.city) {
            Admission::Admitted
        } else {
            Admission::Refused
        }
    }
}

#[derive(Default, Clone)]
pub struct SearchFilters {
    /// Any of these classes or subclasses.
    pub categories: Vec<CategoryCode>,
    pub provinces: Vec<ProvinceCode>,
    pub cities: Vec<CityCode>,
    pub institution_kinds: Vec<InstitutionKind>,
    pub access_policies: Vec<AccessPolicy>,
    pub booking_modes: Vec<BookingMode>,
    pub price_bands: Vec<PriceBand>,
    pub training_required: Option<bool>,
    pub institution: Option<InstitutionId>,
    /// Within this many kilometres (great circle) of this point.
    pub near: Option<(GeoPoint, f64)>,
    /// At most this hourly rate for the caller's user class.
    pub max_hourly_rate: Option<Fen>,
    /// Only the instruments of one kind, or of one model of a kind: a group's key.
    pub kind: Option<String>,
    pub extra: Vec<Arc<dyn CandidateFilter>>,
}

/// Whose prices to show: a user class, and the caller's home institution, at whose own
/// instruments the internal rate applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateBasis {
    pub class: UserClass,
    pub home_institution: Option<InstitutionId>,
}

impl Default for RateBasis {
    fn default() -> Self {
        RateBasis {
            class: UserClass::OtherAcademic,
            home_institution: None,
        }
    }
}

impl RateBasis {
    pub fn rate_of(&self, document: &SearchDocument) -> Fen {
        if self.home_institution == Some(document.institution) {
            document.rates.own_institution_fen
        } else {
            document.rates.for_class(self.class)
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortOrder {
    #[default]
    Relevance,
    PriceAscending,
    PriceDescending,
    /// Nearest first; needs `near` or `origin`.
    Distance,
}

#[derive(Clone, Default)]
pub struct SearchRequest {
    pub text: String,
    pub filters: SearchFilters,
    pub rate_basis: RateBasis,
    pub sort: SortOrder,
    /// The point distances are measured from, when not filtering by `near`.
    pub origin: Option<GeoPoint>,
    /// With grouping, `offset` and `limit` count groups.
    pub offset: usize,
    pub limit: usize,
    pub grouping: Grouping,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SearchHit {
    pub document: Arc<SearchDocument>,
    pub score: f32,
    pub hourly_rate: Fen,
    pub distance_km: Option<f64>,
    /// With a free-time filter: when the instrument's earliest free run starts.
    pub earliest_free: Option<jiff::Timestamp>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SearchResults {
    /// Instruments that match, whatever the grouping.
    pub total: u64,
    /// One per instrument, or when grouped, the best instrument of each group of the page.
    pub hits: Vec<SearchHit>,
    /// When grouped: the groups of the page, in the order of `hits`, and how many there are.
    pub groups: Vec<SearchGroup>,
    pub total_groups: u64,
    pub facets: Facets,
    /// How the query was understood, for display and debugging.
    pub concepts: Vec<Concept>,
    /// Set when nothing matched the query as written and these results answer a relaxed
    /// form of it: what was relaxed, so that the user is told.
    pub relaxation: Option<Relaxation>,
    /// The query with its unknown words replaced by the closest words of the catalogue, when
    /// some word is unknown and a close one exists.
    pub did_you_mean: Option<String>,
}

/// How a query that matched nothing was relaxed to answer something.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Relaxation {
    /// Typo alternatives were tried for every word, not only for unknown ones.
    pub typos_for_every_word: bool,
    /// The words left out, as the query understood them (lower-cased, canonical spelling).
    pub dropped_words: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error("search index failure: {0}")]
    Index(#[from] tantivy::TantivyError),
    #[error("the sort order {0} needs a point to measure distance from (near_city or origin)")]
    DistanceWithoutOrigin(&'static str),
}

/// The search index of all instruments.
pub struct SearchIndex {
    index: Index,
    reader: IndexReader,
    writer: Mutex<IndexWriter<TantivyDocument>>,
    fields: text::Fields,
    columns: RwLock<columns::Columns>,
    synonym_cache: Mutex<HashMap<String, String>>,
    vocabulary: RwLock<vocabulary::Vocabulary>,
    /// Per segment, each document's position in the columns (`u32::MAX` for none): looking
    /// the instrument id up in the segment's fast field for every match took a tenth of a
    /// query's time. A position never changes once given, and a segment's documents never
    /// change, so an entry stays right for as long as its segment lives.
    positions_by_segment: Mutex<HashMap<tantivy::index::SegmentId, Arc<Vec<u32>>>>,
}

const WRITER_MEMORY_BYTES: usize = 64 * 1024 * 1024;

impl SearchIndex {
    /// Builds the index of `documents` in memory.
    pub fn build(documents: Vec<SearchDocument>) -> Result<SearchIndex, SearchError> {
        let (schema, fields) = text::schema();
        let index = Index::create_in_ram(schema);
        text::register_tokenizers(&index);
        let threads = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .clamp(1, 4);
        let mut writer: IndexWriter<TantivyDocument> =
            index.writer_with_num_threads(threads, WRITER_MEMORY_BYTES * threads)?;
        let mut synonym_cache = HashMap::new();
        let mut vocabulary = vocabulary::Vocabulary::default();
        for document in &documents {
            vocabulary.add(document);
            writer.add_document(text::tantivy_document(
                &fields,
                document,
                &mut synonym_cache,
            ))?;
        }
        writer.commit()?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        let columns = columns::Columns::new(documents);
        Ok(SearchIndex {
            index,
            reader,
            writer: Mutex::new(writer),
            fields,
            columns: RwLock::new(columns),
            synonym_cache: Mutex::new(synonym_cache),
            vocabulary: RwLock::new(vocabulary),
            positions_by_segment: Mutex::new(HashMap::new()),
        })
    }

    pub fn len(&self) -> usize {
        self.columns.read().expect("columns lock").live_count()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Adds an instrument, or replaces the one with the same id. Visible to the next search.
    pub fn upsert(&self, document: SearchDocument) -> Result<(), SearchError> {
        let mut columns = self.columns.write().expect("columns lock");
        let mut writer = self.writer.lock().expect("writer lock");
        writer.delete_term(Term::from_field_u64(
            self.fields.instrument_id,
            document.id.0 as u64,
        ));
        let mut cache = self.synonym_cache.lock().expect("cache lock");
        writer.add_document(text::tantivy_document(&self.fields, &document, &mut cache))?;
        writer.commit()?;
        self.reader.reload()?;
        let mut vocabulary = self.vocabulary.write().expect("vocabulary lock");
        if let Some(previous) = columns.document(document.id) {
            vocabulary.remove(&previous);
        }
        vocabulary.add(&document);
        columns.upsert(document);
        Ok(())
    }

    /// Adds or replaces `documents` and removes `removed` with one commit, visible together
    /// to the next search. A bulk change (an institution's catalogue file changes thousands
    /// of instruments) pays one commit and one reader reload instead of one per instrument.
    pub fn apply_changes(
        &self,
        documents: Vec<SearchDocument>,
        removed: &[InstrumentId],
    ) -> Result<(), SearchError> {
        if documents.is_empty() && removed.is_empty() {
            return Ok(());
        }
        // The same order of locks as `upsert`; `columns` first, so no other change runs
        // between the commit and the columns catching up with it.
        let mut columns = self.columns.write().expect("columns lock");
        let mut writer = self.writer.lock().expect("writer lock");
        let mut cache = self.synonym_cache.lock().expect("cache lock");
        for id in removed {
            writer.delete_term(Term::from_field_u64(self.fields.instrument_id, id.0 as u64));
        }
        for document in &documents {
            writer.delete_term(Term::from_field_u64(
                self.fields.instrument_id,
                document.id.0 as u64,
            ));
            writer.add_document(text::tantivy_document(&self.fields, document, &mut cache))?;
        }
        writer.commit()?;
        self.reader.reload()?;
        let mut vocabulary = self.vocabulary.write().expect("vocabulary lock");
        for id in removed {
            if let Some(previous) = columns.document(*id) {
                vocabulary.remove(&previous);
            }
            columns.remove(*id);
        }
        for document in documents {
            if let Some(previous) = columns.document(document.id) {
                vocabulary.remove(&previous);
            }
            vocabulary.add(&document);
            columns.upsert(document);
        }
        Ok(())
    }

    /// Removes an instrument. It is gone from every search that starts after this returns.
    pub fn remove(&self, id: InstrumentId) -> Result<(), SearchError> {
        let mut columns = self.columns.write().expect("columns lock");
        if let Some(previous) = columns.document(id) {
            self.vocabulary
                .write()
                .expect("vocabulary lock")
                .remove(&previous);
        }
        columns.remove(id);
        let mut writer = self.writer.lock().expect("writer lock");
        writer.delete_term(Term::from_field_u64(self.fields.instrument_id, id.0 as u64));
        writer.commit()?;
        self.reader.reload()?;
        Ok(())
    }

    pub fn document(&self, id: InstrumentId) -> Option<Arc<SearchDocument>> {
        self.columns.read().expect("columns lock").document(id)
    }

    pub fn search(&self, request: &SearchRequest) -> Result<SearchResults, SearchError> {
        if request.sort == SortOrder::Distance
            && request.filters.near.is_none()
            && request.origin.is_none()
        {
            return Err(SearchError::DistanceWithoutOrigin("distance"));
        }
        let vocabulary = self.vocabulary.read().expect("vocabulary lock");
        let text::Understood {
            concepts,
            exact_names,
            normalised,
        } = text::understand(&request.text, |key| vocabulary.is_model(key));
        let near_words = vocabulary::NearWords::new(&vocabulary);
        let columns = self.columns.read().expect("columns lock");
        let searcher = self.reader.searcher();
        let run = |concepts: &[Concept], typos: text::Typos| {
            let query = text::QueryParts {
                concepts,
                typos,
                exact_names: &exact_names,
            };
            self.select(&searcher, &columns, &near_words, query, request)
        };
        let mut selected = run(&concepts, text::Typos::ForUnknownWords)?;
        let mut relaxation = None;
        if selected.total == 0 && !concepts.is_empty() {
            if let Some((relaxed, how)) = self.relaxed(&searcher, &near_words, &concepts, run)? {
                selected = relaxed;
                relaxation = Some(how);
            }
        }
        let columns::Selection {
            total,
            hits,
            facets,
            groups,
            total_groups,
        } = selected;
        let did_you_mean = self.did_you_mean(&normalised, &concepts, &searcher, &near_words);
        Ok(SearchResults {
            total,
            hits,
            groups,
            total_groups,
            facets,
            concepts,
            relaxation,
            did_you_mean,
        })
    }

    /// One text query through the columns: total, page and facets.
    fn select(
        &self,
        searcher: &tantivy::Searcher,
        columns: &columns::Columns,
        near_words: &vocabulary::NearWords<'_>,
        query: text::QueryParts<'_>,
        request: &SearchRequest,
    ) -> Result<columns::Selection, SearchError> {
        let matches = match text::build_query(
            &self.fields,
            query.concepts,
            searcher,
            query.typos,
            query.exact_names,
            near_words,
        ) {
            None => None,
            Some(query) => {
                // Scores are only worth computing when they decide the order.
                let collector = MatchCollector {
                    positions_by_doc: self.positions_by_segment(searcher, columns)?,
                    scoring: request.sort == SortOrder::Relevance,
                };
                Some(searcher.search(query.as_ref(), &collector)?)
            }
        };
        Ok(columns.select(matches.as_deref(), request))
    }

    /// A query that found nothing, tried again more loosely, as a person would: without the
    /// words that match no instrument at all (not even with typos), or when every word matches
    /// something, with typo alternatives for every word (a typo that made another known word);
    /// then without words from the end, one at a time, until something is found (at least one
    /// word is always kept). `None` when no relaxation finds anything (the filters exclude
    /// everything, for instance).
    ///
    /// Each word alone is counted with the typos of the first try: a word that matches nothing
    /// that way cannot be helped by its neighbours' typos, so the costly try with typos for
    /// every word (fuzzy automata of distance two) is only made when it can help.
    fn relaxed(
        &self,
        searcher: &tantivy::Searcher,
        near_words: &vocabulary::NearWords<'_>,
        concepts: &[Concept],
        run: impl Fn(&[Concept], text::Typos) -> Result<columns::Selection, SearchError>,
    ) -> Result<Option<(columns::Selection, Relaxation)>, SearchError> {
        let unknown_words = text::Typos::ForUnknownWords;
        let mut how = Relaxation::default();
        let mut kept = Vec::new();
        for concept in concepts {
            let alone = text::build_query(
                &self.fields,
                std::slice::from_ref(concept),
                searcher,
                unknown_words,
                &[],
                near_words,
            );
            let matches_alone = match alone {
                None => true,
                Some(query) => searcher.search(query.as_ref(), &tantivy::collector::Count)? > 0,
            };
            if matches_alone {
                kept.push(concept.clone());
            } else {
                how.dropped_words.push(concept.word().to_owned());
            }
        }
        let mut typos = unknown_words;
        if kept.len() == concepts.len() {
            typos = text::Typos::ForEveryWord;
            how.typos_for_every_word = true;
            let widened = run(concepts, typos)?;
            if widened.total > 0 {
                return Ok(Some((widened, how)));
            }
        }
        while !kept.is_empty() {
            if kept.len() < concepts.len() {
                let selection = run(&kept, typos)?;
                if selection.total > 0 {
                    // The words were dropped in query order; say them in that order.
                    how.dropped_words
                        .sort_by_key(|word| concepts.iter().position(|c| c.word() == word));
                    return Ok(Some((selection, how)));
                }
            }
            if kept.len() == 1 {
                break;
            }
            if let Some(last) = kept.pop() {
                how.dropped_words.push(last.word().to_owned());
            }
        }
        Ok(None)
    }

    /// The query with each word the catalogue does not know replaced by its closest known
    /// word; `None` when every word is known or no close word exists.
    fn did_you_mean(
        &self,
        normalised_query: &str,
        concepts: &[Concept],
        searcher: &tantivy::Searcher,
        near_words: &vocabulary::NearWords<'_>,
    ) -> Option<String> {
        let mut suggestion = normalised_query.to_owned();
        let mut changed = false;
        for concept in concepts {
            let word = match concept {
                Concept::Synonym(..) | Concept::Model(_) => continue,
                Concept::English(word) => word,
                // A Chinese word is a piece jieba cut; it is unknown only when no field has it
                // (a few term lookups, not a search).
                Concept::Chinese(word) => {
                    if text::chinese_word_is_indexed(&self.fields, searcher, word) {
                        continue;
                    }
                    word
                }
            };
            let english = matches!(concept, Concept::English(_));
            if near_words.vocabulary().knows(word)
                || (english && text::english_word_is_indexed(&self.fields, searcher, word))
            {
                continue;
            }
            if let Some(closest) = near_words.closest(word) {
                suggestion = suggestion.replacen(word.as_str(), closest, 1);
                changed = true;
            }
        }
        changed.then(|| suggestion.trim().to_owned())
    }

    /// The analysers in use, for a test that wants to see what the index made of a text.
    pub fn index(&self) -> &Index {
        &self.index
    }
}

impl SearchIndex {
    /// The document → position map of every segment the searcher sees, building the ones not
    /// seen before. Called with the columns read-locked: a writer changes the columns and the
    /// segments under one write lock, so a map never sees a segment whose instruments have no
    /// position yet.
    fn positions_by_segment(
        &self,
        searcher: &tantivy::Searcher,
        columns: &columns::Columns,
    ) -> tantivy::Result<Vec<Arc<Vec<u32>>>> {
        let mut cache = self
            .positions_by_segment
            .lock()
            .expect("positions cache lock");
        let mut by_ordinal = Vec::with_capacity(searcher.segment_readers().len());
        let mut built_any = false;
        for segment in searcher.segment_readers() {
            let positions = match cache.get(&segment.segment_id()) {
                Some(positions) => positions.clone(),
                None => {
                    built_any = true;
                    let ids = segment.fast_fields().u64("instrument_id")?;
                    let positions = Arc::new(
                        (0..segment.max_doc())
                            .map(|doc| {
                                ids.first(doc)
                                    .and_then(|id| columns.position_of(id))
                                    .unwrap_or(u32::MAX)
                            })
                            .collect::<Vec<u32>>(),
                    );
                    cache.insert(segment.segment_id(), positions.clone());
                    positions
                }
            };
            by_ordinal.push(positions);
        }
        if built_any {
            // Segments merged away are gone for good; forget their maps.
            let live: std::collections::HashSet<_> = searcher
                .segment_readers()
                .iter()
                .map(|segment| segment.segment_id())
                .collect();
            cache.retain(|segment, _| live.contains(segment));
        }
        Ok(by_ordinal)
    }
}

/// Collects every matching document as (position in the columns, score).
struct MatchCollector {
    /// Indexed by segment ordinal.
    positions_by_doc: Vec<Arc<Vec<u32>>>,
    scoring: bool,
}

struct MatchSegmentCollector {
    positions: Arc<Vec<u32>>,
    matches: Vec<(u32, Score)>,
}

impl Collector for MatchCollector {
    type Fruit = Vec<(u32, Score)>;
    type Child = MatchSegmentCollector;

    fn for_segment(
        &self,
        segment: SegmentOrdinal,
        _reader: &SegmentReader,
    ) -> tantivy::Result<MatchSegmentCollector> {
        let positions = self
            .positions_by_doc
            .get(segment as usize)
            .cloned()
            .ok_or_else(|| {
                tantivy::TantivyError::InternalError(format!(
                    "segment {segment} has no position map"
                ))
            })?;
        Ok(MatchSegmentCollector {
            positions,
            matches: Vec::new(),
        })
    }

    fn requires_scoring(&self) -> bool {
        self.scoring
    }

    fn merge_fruits(&self, fruits: Vec<Vec<(u32, Score)>>) -> tantivy::Result<Vec<(u32, Score)>> {
        Ok(fruits.into_iter().flatten().collect())
    }
}

impl SegmentCollector for MatchSegmentCollector {
    type Fruit = Vec<(u32, Score)>;

    fn collect(&mut self, doc: DocId, score: Score) {
        if let Some(&position) = self.positions.get(doc as usize) {
            if position != u32::MAX {
                self.matches.push((position, score));
            }
        }
    }

    fn harvest(self) -> Vec<(u32, Score)> {
        self.matches
    }
}
