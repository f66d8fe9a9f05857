//! The catalogue aggregate: the region (provinces, cities, institutions and their sites,
//! categories, beamlines) and the instruments, which their managers change. Its SQL is shared
//! by both engines (`common.rs`); every change of an instrument writes its audit event and a
//! change-log entry in its transaction.

pub(crate) mod import;
pub(crate) mod sql;

use async_trait::async_trait;
use corridor_domain::{Beamline, City, InstitutionId, InstrumentCategory, InstrumentId, Site};

use crate::model::*;
use crate::StoreError;

#[async_trait]
pub trait CatalogueStore: Send + Sync {
    /// The region this database holds, or `None` when none was generated or imported yet.
    async fn region(&self) -> Result<Option<RegionInfo>, StoreError>;

    async fn provinces(&self) -> Result<Vec<ProvinceSummary>, StoreError>;
    async fn cities(
        &self,
        filter: &CityFilter,
        page: PageRequest,
    ) -> Result<Page<CityWithCounts>, StoreError>;
    async fn city(&self, code: corridor_domain::CityCode) -> Result<Option<City>, StoreError>;
    async fn institutions(
        &self,
        filter: &InstitutionFilter,
        page: PageRequest,
    ) -> Result<Page<InstitutionWithPlace>, StoreError>;
    async fn institution(
        &self,
        id: InstitutionId,
    ) -> Result<Option<InstitutionWithPlace>, StoreError>;
    async fn sites_of(&self, institution: InstitutionId) -> Result<Vec<Site>, StoreError>;
    async fn categories(&self) -> Result<Vec<InstrumentCategory>, StoreError>;
    async fn instruments(
        &self,
        filter: &InstrumentFilter,
        page: PageRequest,
    ) -> Result<Page<InstrumentWithPlace>, StoreError>;
    /// Every instrument, in id order, in one read: what derived indexes are built from.
    async fn all_instruments(&self) -> Result<Vec<InstrumentWithPlace>, StoreError>;
    async fn instrument(&self, id: InstrumentId)
        -> Result<Option<InstrumentWithPlace>, StoreError>;
    /// Adds an instrument (its `id` is ignored and assigned by the store) and returns its id.
    /// The site must belong to the institution and the category must exist.
    async fn create_instrument(
        &self,
        instrument: &corridor_domain::Instrument,
        context: &AuditContext,
    ) -> Result<InstrumentId, StoreError>;
    /// Replaces every field of an existing instrument.
    async fn update_instrument(
        &self,
        instrument: &corridor_domain::Instrument,
        context: &AuditContext,
    ) -> Result<(), StoreError>;
    async fn delete_instrument(
        &self,
        id: InstrumentId,
        context: &AuditContext,
    ) -> Result<(), StoreError>;
    async fn beamlines(&self, facility: Option<InstitutionId>)
        -> Result<Vec<Beamline>, StoreError>;
    async fn region_summary(&self) -> Result<RegionSummary, StoreError>;
}
