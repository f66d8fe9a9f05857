//! Keeps the in-memory search index of a serving node in step with the store.
//!
//! At start-up the index is built from every instrument in the store. After that, every
//! change made through this node is applied at once, and a background task polls the store's
//! change log twice a second for changes made through other nodes (or other processes), so a
//! change anywhere is searchable everywhere within a second.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use corridor_domain::{InstitutionKind, InstrumentId, User, UserClass};
use corridor_search::{RateBasis, SearchDocument, SearchIndex};
use corridor_store::{ChangeCursor, InstrumentWithPlace, Store, StoreError};

use super::FollowerCursor;

/// How often a node looks for changes made elsewhere.
pub const REFRESH_INTERVAL: Duration = Duration::from_millis(500);

#[derive(Debug, thiserror::Error)]
pub enum SearchServiceError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Index(#[from] corridor_search::SearchError),
}

pub struct SearchService {
    pub index: SearchIndex,
    /// Category code → (English, Chinese) name.
    pub category_names: HashMap<String, (String, String)>,
    /// City code → location, so that a distance filter costs no database read.
    pub city_locations: HashMap<u32, corridor_domain::GeoPoint>,
    /// Where the follower has read the change log to; replaced once a read is applied.
    cursor: FollowerCursor,
}

pub fn search_document(
    item: &InstrumentWithPlace,
    category_names: &HashMap<String, (String, String)>,
) -> SearchDocument {
    let instrument = &item.instrument;
    let name = |code: &str| category_names.get(code).cloned().unwrap_or_default();
    let (category_name_en, category_name_zh) = name(instrument.category.as_str());
    let (class_name_en, class_name_zh) = name(instrument.category.top_level().as_str());
    SearchDocument {
        id: instrument.id,
        name_en: instrument.name_en.clone(),
        name_zh: instrument.name_zh.clone(),
        description_en: instrument.description_en.clone(),
        description_zh: instrument.description_zh.clone(),
        category: instrument.category.clone(),
        category_name_en,
        category_name_zh,
        class_name_en,
        class_name_zh,
        techniques: instrument.techniques.clone(),
        keywords: instrument.keywords.clone(),
        manufacturer: instrument.manufacturer.clone(),
        model: instrument.model.clone(),
        institution: instrument.institution,
        institution_name_en: item.institution_name_en.clone(),
        institution_name_zh: item.institution_name_zh.clone(),
        institution_kind: item.institution_kind,
        city: item.city,
        city_name_en: item.city_name_en.clone(),
        city_name_zh: item.city_name_zh.clone(),
        province: item.province,
        location: item.location,
        access_policy: instrument.access_policy,
        booking_mode: instrument.booking_mode,
        training_required: instrument.training_required,
        rates: instrument.rates,
    }
}

impl SearchService {
    /// Builds the index from every instrument in the store.
    pub async fn build(store: &dyn Store) -> Result<SearchService, SearchServiceError> {
        // The cursor is placed first: a change committed while the instruments are read is
        // then applied again by the first refresh, never lost.
        let started = std::time::Instant::now();
        let cursor = ChangeCursor::at_latest(store, started).await?;
        let category_names: HashMap<String, (String, String)> = store
            .categories()
            .await?
            .into_iter()
            .map(|category| {
                (
                    category.code.as_str().to_owned(),
                    (category.name_en, category.name_zh),
                )
            })
            .collect();
        let documents: Vec<SearchDocument> = store
            .all_instruments()
            .await?
            .iter()
            .filter(|item| !item.withdrawn)
            .map(|item| search_document(item, &category_names))
            .collect();
        let loaded = std::time::Instant::now();
        tracing::debug!(
            documents = documents.len(),
            load_ms = loaded.duration_since(started).as_millis() as u64,
            "read the instruments for the search index"
        );
        // Building takes a second or two of CPU for the full region: off the async workers.
        let index = tokio::task::spawn_blocking(move || SearchIndex::build(documents))
            .await
            .map_err(|error| {
                SearchServiceError::Index(corridor_search::SearchError::Index(tantivy_error(
                    error.to_string(),
                )))
            })??;
        let cities = store
            .cities(
                &corridor_store::CityFilter::default(),
                corridor_store::PageRequest {
                    limit: corridor_domain::PageLimit::new(500).expect("valid"),
                    after: None,
                },
            )
            .await?;
        let city_locations = cities
            .items
            .iter()
            .map(|city| (city.city.code.get(), city.city.location))
            .collect();
        Ok(SearchService {
            index,
            category_names,
            city_locations,
            cursor: FollowerCursor::new(cursor),
        })
    }

    /// Re-reads one instrument from the store into the index (or removes it if it is gone or
    /// withdrawn).
    pub async fn apply(
        &self,
        store: &dyn Store,
        id: InstrumentId,
    ) -> Result<(), SearchServiceError> {
        match store.instrument(id).await? {
            // A withdrawn instrument leaves search like a deleted one; its row stays.
            Some(item) if !item.withdrawn => self
                .index
                .upsert(search_document(&item, &self.category_names))?,
            Some(_) | None => self.index.remove(id)?,
        }
        Ok(())
    }

    /// Applies the store's changes since the last refresh; returns how many were applied.
    pub async fn refresh(&self, store: &dyn Store) -> Result<usize, SearchServiceError> {
        let (changes, moved) = self.cursor.read(store).await?;
        // Each instrument is read once, however often it changed, and the index takes all
        // of them in one commit (a catalogue file changes thousands at once).
        let mut ids: Vec<InstrumentId> = changes
            .iter()
            .filter(|change| change.entity == "instrument")
            .map(|change| InstrumentId(change.entity_id))
            .collect();
        ids.sort_unstable();
        ids.dedup();
        let mut documents = Vec::new();
        let mut removed = Vec::new();
        for id in ids {
            match store.instrument(id).await? {
                // A withdrawn instrument leaves search like a deleted one; its row stays.
                Some(item) if !item.withdrawn => {
                    documents.push(search_document(&item, &self.category_names))
                }
                Some(_) | None => removed.push(id),
            }
        }
        self.index.apply_changes(documents, &removed)?;
        self.cursor.keep(moved);
        Ok(changes.len())
    }

    /// Polls the change log until the process ends.
    pub fn spawn_refresher(self: &Arc<Self>, store: Arc<dyn Store>) -> tokio::task::JoinHandle<()> {
        let service = Arc::clone(self);
        super::spawn_every(REFRESH_INTERVAL, "refreshing the search index", move || {
            let (service, store) = (service.clone(), store.clone());
            async move { service.refresh(store.as_ref()).await.map(drop) }
        })
    }
}

fn tantivy_error(message: String) -> tantivy::TantivyError {
    tantivy::TantivyError::InternalError(message)
}

/// The prices a user sees: their own institution's internal rate at its instruments, else
/// the academic or industry rate by the kind of their home institution.
pub fn rate_basis_for(user: &User, home_kind: InstitutionKind) -> RateBasis {
    let class = if home_kind == InstitutionKind::Corporation {
        UserClass::Industry
    } else {
        UserClass::OtherAcademic
    };
    RateBasis {
        class,
        home_institution: Some(user.home_institution),
    }
}
