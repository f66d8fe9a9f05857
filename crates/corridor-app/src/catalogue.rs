//! The catalogue: the region (provinces, cities, institutions, categories, beamlines), the
//! instruments and their changes by their managers, and instrument search.
//!
//! The region and its instruments are public, like the region's published catalogue: the
//! reads take no actor. Changing an instrument is for the instrument managers of its
//! institution (and platform admins), decided here with the text limits of an instrument
//! (`instruments.rs`); every change reaches this node's search and availability indexes
//! before the operation returns. A search is read and checked once for every front end
//! (`search.rs`).

mod file_import;
mod import_uploads;
mod instruments;
mod search;

use std::collections::HashMap;

use corridor_domain::{
    Beamline, City, CityCode, InstitutionId, InstrumentCategory, InstrumentId, PageLimit,
};
use corridor_store::{
    CityFilter, CityWithCounts, InstitutionFilter, InstitutionWithPlace, InstrumentFilter,
    InstrumentWithPlace, Page, PageRequest, ProvinceSummary, RegionInfo, RegionSummary, Store,
};
use jiff::tz::TimeZone;

pub use self::file_import::plan_digest;
pub use self::import_uploads::{
    sha256_hex, CheckedFile, KEEP_CHECKED_FILES_FOR, KEPT_FILES_PER_INSTITUTION,
    LONGEST_FILE_NAME_CHARS,
};
pub use self::instruments::{
    InstrumentChange, EARLIEST_YEAR_OF_MANUFACTURE, LATEST_YEAR_OF_MANUFACTURE,
    LONGEST_DESCRIPTION_CHARS, LONGEST_INSTRUMENT_NAME_CHARS, LONGEST_TERM_CHARS, MOST_TERMS,
};
pub use self::search::{
    FreeTimeQuery, ReachFilterQuery, SearchAnswer, SearchQuery, DEEPEST_SEARCH_OFFSET,
    DEFAULT_SEARCH_RESULTS, LONGEST_FREE_RUN_HOURS, LONGEST_SEARCH_TEXT_CHARS, MOST_SEARCH_RESULTS,
    WIDEST_DISTANCE_KM,
};

use crate::actor::Actor;
use crate::error::{AppError, AppResult};
use crate::indexes::availability::AvailabilityService;
use crate::indexes::rail::RailService;
use crate::indexes::search::SearchService;

/// Every city of a region fits one page of the store's city list.
pub const MOST_CITIES_IN_A_REGION: u32 = 500;

/// What the region's front page shows: its name, the counts, the provinces, the categories
/// and the cities for the map.
#[derive(Debug, Clone)]
pub struct RegionOverview {
    pub region: Option<RegionInfo>,
    pub summary: RegionSummary,
    pub provinces: Vec<ProvinceSummary>,
    pub categories: Vec<InstrumentCategory>,
    pub cities: Vec<CityWithCounts>,
}

/// How old the front page's figures may be. They count the whole catalogue (several scans of
/// every instrument, about 100 ms on the demo region), which a visitor's request should not
/// pay each time; a change shows on the front page within this time (search and calendars
/// follow the change log as before).
pub const OVERVIEW_MAX_AGE: std::time::Duration = std::time::Duration::from_secs(10);

/// The node's last overview and when it was counted.
#[derive(Default)]
pub(crate) struct OverviewCache(std::sync::Mutex<Option<(std::time::Instant, RegionOverview)>>);

impl OverviewCache {
    fn fresh(&self) -> Option<RegionOverview> {
        let kept = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        kept.as_ref()
            .filter(|(counted_at, _)| counted_at.elapsed() < OVERVIEW_MAX_AGE)
            .map(|(_, overview)| overview.clone())
    }

    fn keep(&self, overview: RegionOverview) {
        *self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) =
            Some((std::time::Instant::now(), overview));
    }
}

/// The catalogue service (see the module's documentation).
pub struct Catalogue<'a> {
    pub(crate) store: &'a dyn Store,
    pub(crate) overview_cache: &'a OverviewCache,
    pub(crate) export_clock: &'a crate::catalogue_export::ExportClock,
    pub(crate) search: &'a SearchService,
    pub(crate) availability: &'a AvailabilityService,
    pub(crate) rail: &'a RailService,
    pub(crate) region_time_zone: &'a TimeZone,
}

pub(crate) fn instrument_not_found(id: InstrumentId) -> AppError {
    AppError::NotFound(format!("no instrument with id {}", id.0))
}

/// Every city of the region with its counts, in code order.
pub(crate) async fn all_cities(store: &dyn Store) -> AppResult<Vec<CityWithCounts>> {
    let page = store
        .cities(
            &CityFilter::default(),
            PageRequest {
                limit: PageLimit::new(MOST_CITIES_IN_A_REGION)?,
                after: None,
            },
        )
        .await?;
    Ok(page.items)
}

/// Every city of the region by its code.
pub(crate) async fn cities_by_code(store: &dyn Store) -> AppResult<HashMap<u32, City>> {
    Ok(all_cities(store)
        .await?
        .into_iter()
        .map(|city| (city.city.code.get(), city.city))
        .collect())
}

impl Catalogue<'_> {
    /// The region's provinces (and "outside the region") with their counts.
    pub async fn provinces(&self) -> AppResult<Vec<ProvinceSummary>> {
        Ok(self.store.provinces().await?)
    }

    /// A page of cities, by administrative code.
    pub async fn cities(
        &self,
        filter: &CityFilter,
        page: PageRequest,
    ) -> AppResult<Page<CityWithCounts>> {
        Ok(self.store.cities(filter, page).await?)
    }

    /// Every city of the region, by code (for maps and pickers).
    pub async fn all_cities(&self) -> AppResult<Vec<CityWithCounts>> {
        all_cities(self.store).await
    }

    /// Every city of the region by its code, to name cities.
    pub async fn cities_by_code(&self) -> AppResult<HashMap<u32, City>> {
        cities_by_code(self.store).await
    }

    /// One city by its code.
    pub async fn city(&self, code: CityCode) -> AppResult<City> {
        self.store
            .city(code)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("no city with code {}", code.get())))
    }

    /// A page of institutions, by id.
    pub async fn institutions(
        &self,
        filter: &InstitutionFilter,
        page: PageRequest,
    ) -> AppResult<Page<InstitutionWithPlace>> {
        Ok(self.store.institutions(filter, page).await?)
    }

    /// The city an actor's rail journeys start from when they name none: a signed-in
    /// person's home institution's city, when a railway station serves it; otherwise
    /// [`crate::reach::DEFAULT_ORIGIN_CITY`].
    pub async fn journey_origin(&self, actor: &Actor) -> u32 {
        let home = match &actor.user {
            Some(user) => self
                .store
                .institution(user.home_institution)
                .await
                .ok()
                .flatten()
                .map(|institution| institution.institution.city.get()),
            None => None,
        };
        self.journey_origin_from(home)
    }

    /// [`Catalogue::journey_origin`] for a home city already known (a search reads it).
    pub fn journey_origin_from(&self, home_city: Option<u32>) -> u32 {
        home_city
            .filter(|city| self.rail.has_stations(*city))
            .unwrap_or(crate::reach::DEFAULT_ORIGIN_CITY)
    }

    /// One institution with where it is.
    pub async fn institution(&self, id: InstitutionId) -> AppResult<InstitutionWithPlace> {
        self.store
            .institution(id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("no institution with id {}", id.0)))
    }

    /// A page of instruments, by id, with where they are.
    pub async fn instruments(
        &self,
        filter: &InstrumentFilter,
        page: PageRequest,
    ) -> AppResult<Page<InstrumentWithPlace>> {
        Ok(self.store.instruments(filter, page).await?)
    }

    /// One instrument with where it is.
    pub async fn instrument(&self, id: InstrumentId) -> AppResult<InstrumentWithPlace> {
        self.store
            .instrument(id)
            .await?
            .ok_or_else(|| instrument_not_found(id))
    }

    /// The instrument taxonomy: classes and their subclasses.
    pub async fn categories(&self) -> AppResult<Vec<InstrumentCategory>> {
        Ok(self.store.categories().await?)
    }

    /// Category code → (English, Chinese) name, as the search index knows them (no read).
    pub fn category_names(&self) -> &HashMap<String, (String, String)> {
        &self.search.category_names
    }

    /// The beamlines of one large facility, or of all.
    pub async fn beamlines(&self, facility: Option<InstitutionId>) -> AppResult<Vec<Beamline>> {
        Ok(self.store.beamlines(facility).await?)
    }

    /// Counts of the region's instruments and institutions by province, kind and category.
    pub async fn summary(&self) -> AppResult<RegionSummary> {
        Ok(self.store.region_summary().await?)
    }

    /// What the region's front page shows.
    /// The region's front page: counted at most [`OVERVIEW_MAX_AGE`] ago.
    pub async fn overview(&self) -> AppResult<RegionOverview> {
        if let Some(overview) = self.overview_cache.fresh() {
            return Ok(overview);
        }
        let overview = RegionOverview {
            region: self.store.region().await?,
            summary: self.store.region_summary().await?,
            provinces: self.store.provinces().await?,
            categories: self.store.categories().await?,
            cities: all_cities(self.store).await?,
        };
        self.overview_cache.keep(overview.clone());
        Ok(overview)
    }
}
