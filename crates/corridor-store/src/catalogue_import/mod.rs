//! The instruments as an institution's catalogue file sees them: the national field set kept
//! beside each instrument (asset number, country of origin, purchase date, location,
//! specifications, services, rates as written, contact, operating status), the withdrawal of
//! instruments a complete file no longer lists, and the public catalogue read page by page
//! for the export. The SQL, shared by both engines, is in `sql.rs`.
//!
//! An import is applied in one transaction: every instrument it creates, changes, withdraws
//! or brings back writes its change-log entry (so every node's search and availability
//! follow) and its audit event there, and nothing is written when any statement fails.

pub(crate) mod sql;

use async_trait::async_trait;
use corridor_domain::{InstitutionId, Instrument, InstrumentId, UserId};

use crate::{AuditContext, StoreError};

/// The national field set's values that are not part of [`Instrument`] itself.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CatalogueFields {
    /// The institution's own key; `None` for instruments not created by an import.
    pub asset_number: Option<String>,
    pub country_of_origin: String,
    pub purchase_date: Option<jiff::civil::Date>,
    pub location: String,
    pub specifications: String,
    pub services: String,
    pub rates_text: String,
    pub contact_name: String,
    pub contact_phone: String,
    pub contact_email: String,
    /// `normal`, `under_repair` or `out_of_service` (the application layer's codes).
    pub operating_status: String,
}

/// One stored instrument with its catalogue fields and what the export writes beside it.
#[derive(Debug, Clone, PartialEq)]
pub struct CatalogueEntry {
    pub instrument: Instrument,
    pub fields: CatalogueFields,
    pub withdrawn: bool,
    pub institution_name_zh: String,
    pub site_name_zh: String,
}

/// What one import writes, decided by the application layer.
#[derive(Debug, Clone, Default)]
pub struct CatalogueImportWrites {
    /// New instruments (their ids are ignored and assigned by the store).
    pub creates: Vec<(Instrument, CatalogueFields)>,
    /// Existing instruments of the institution, replaced whole; withdrawn ones come back.
    pub updates: Vec<(Instrument, CatalogueFields)>,
    /// Instruments of the institution a complete file no longer lists.
    pub withdrawals: Vec<InstrumentId>,
    /// Recorded in the import's own audit event (file name, counts).
    pub summary: serde_json::Value,
}

/// A catalogue file kept between its check and its apply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogueUpload {
    pub institution: InstitutionId,
    /// The lowercase hex SHA-256 of `content`.
    pub sha256: String,
    pub file_name: String,
    pub uploaded_by: Option<UserId>,
    pub uploaded_at: jiff::Timestamp,
    pub content: Vec<u8>,
}

#[async_trait]
pub trait CatalogueImportStore: Send + Sync {
    /// Every instrument of `institution`, withdrawn ones included, in id order.
    async fn catalogue_entries_of(
        &self,
        institution: InstitutionId,
    ) -> Result<Vec<CatalogueEntry>, StoreError>;

    /// Up to `limit` instruments that are not withdrawn, of one institution or all, after
    /// `after` in (institution, id) order: the export reads the catalogue page by page, so it
    /// never holds more than a page. Grouped by institution, an export lists each
    /// institution's instruments in the order they were created, which an import of the
    /// per-institution exports into another database reproduces.
    async fn public_catalogue_page(
        &self,
        institution: Option<InstitutionId>,
        after: Option<(InstitutionId, InstrumentId)>,
        limit: u32,
    ) -> Result<Vec<CatalogueEntry>, StoreError>;

    /// Writes one import in one transaction: every instrument must belong to `institution`
    /// (the store refuses the whole import otherwise), each write logs its change and its
    /// audit event. Answers the ids of the created instruments, in the order given.
    async fn apply_catalogue_import(
        &self,
        institution: InstitutionId,
        writes: &CatalogueImportWrites,
        context: &AuditContext,
    ) -> Result<Vec<InstrumentId>, StoreError>;

    /// Keeps `upload` (replacing the same file of the same institution, which only renews
    /// its time), then forgets every kept file uploaded before `forget_before` and all but
    /// the institution's `keep_at_most` newest; one transaction with its audit event.
    async fn keep_catalogue_upload(
        &self,
        upload: &CatalogueUpload,
        forget_before: jiff::Timestamp,
        keep_at_most: u32,
        context: &AuditContext,
    ) -> Result<(), StoreError>;

    /// The kept file of `institution` with this SHA-256, if it is still kept.
    async fn catalogue_upload(
        &self,
        institution: InstitutionId,
        sha256: &str,
    ) -> Result<Option<CatalogueUpload>, StoreError>;

    /// Forgets a kept file (after its apply); nothing when it is not kept.
    async fn forget_catalogue_upload(
        &self,
        institution: InstitutionId,
        sha256: &str,
    ) -> Result<(), StoreError>;
}
