//! Corridor's storage: the [`Store`] trait and its two implementations, [`SqliteStore`]
//! (embedded, the default) and [`PostgresStore`] (for serving from a shared server).
//!
//! Architecture Invariant: the two implementations pass one contract test suite
//! (`tests/it/contract.rs`). Queries that read the same on both engines are written once, in
//! `common.rs`, and expanded for each; only what truly differs (connection set-up, the
//! write-transaction discipline, sequences) lives in `sqlite.rs` and `postgres.rs`.
//!
//! Architecture Invariant: every method that changes state writes its audit event in the
//! same transaction as the change, so a change without its audit event cannot be committed.
//!
//! Architecture Invariant: each engine has its own migrations (`migrations/sqlite`,
//! `migrations/postgres`), embedded in the binary and applied by [`Store::migrate`].

// One module per aggregate, each with its trait, its records and its SQL; the engines'
// connection set-up and their few differences in `engines/`.
pub mod accounts;
pub mod analytics;
pub mod backup;
pub mod beamtime;
pub mod bookings;
pub mod catalogue;
pub mod catalogue_import;
pub mod change_log;
mod engines;
mod error;
pub mod identity;
pub mod ledger;
pub mod mail_outbox;
mod model;
pub mod roster;
pub mod sso;
mod timestamp;
pub mod vouchers;

use std::sync::Arc;

use async_trait::async_trait;

pub use accounts::{
    AccountLinkPurpose, AccountMail, AccountStanding, AccountStore, LinkEffect, MembershipRequest,
    NewAccountLink, OutboxMessage, RedeemedLink,
};
pub use analytics::{AnalyticsBySql, AnalyticsSnapshot, AnalyticsStore};
pub use bookings::notify_sql::REMINDER_LEAD;
#[cfg(feature = "bench-baselines")]
pub use bookings::BookingStrategy;
pub use bookings::{
    AvailabilityFacts, BookingActor, BookingAttempt, BookingChange, BookingDenial, BookingQuote,
    BookingRecord, BookingRequest, BookingSpan, BookingStore, CalendarView, HistoricalBooking,
    Qualification, WaitlistEntry,
};
pub use catalogue::CatalogueStore;
pub use catalogue_import::{
    CatalogueEntry, CatalogueFields, CatalogueImportStore, CatalogueImportWrites, CatalogueUpload,
};
pub use change_log::cursor::ChangeCursor;
pub use change_log::ChangeLogStore;
pub use engines::postgres::PostgresStore;
pub use engines::sqlite::SqliteStore;
pub use error::StoreError;
pub use identity::IdentityStore;
pub use ledger::{
    LedgerAccountRecord, LedgerReconciliation, LedgerStore, NewLedgerAccount, TransferRecord,
    LEDGER_BATCH_MAX_TRANSFERS,
};
pub use mail_outbox::{
    ClaimedNotification, MailOutboxStore, NotificationClaim, OutboxCounts,
    UndeliverableNotification,
};
pub use model::{
    ApiTokenInfo, AuditContext, AuditEvent, ChangeRecord, CityFilter, CityWithCounts, ImportReport,
    InstitutionFilter, InstitutionWithPlace, InstrumentFilter, InstrumentWithPlace, NewUser, Page,
    PageRequest, ProvinceSummary, RegionData, RegionInfo, RegionSummary, RegionUser, SessionRecord,
    SignInCandidate, TableCounts,
};
pub use roster::{NewInstitution, RosterEntry, RosterStore, SessionInfo};
pub use sso::{NewSsoAccount, NewSsoSignIn, SsoIdentity, SsoSignIn, SsoStore};
pub use timestamp::now;
pub use vouchers::{
    settlement_csv, HistoricalVoucherGrant, NewVoucherApplication, ProgrammeRecord,
    ProgrammeTotals, SettlementRow, VoucherApplication, VoucherBookingAttempt, VoucherDecision,
    VoucherExpiry, VoucherPayment, VoucherPaymentMismatch, VoucherPaymentState, VoucherRecord,
    VoucherStore, SETTLEMENT_CSV_HEADER,
};

/// Which engine a store runs on; shown by `/healthz` and `corridor status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// Everything Corridor keeps. Reads take `&self` and may run concurrently; writes are
/// transactions that either happen whole, with their audit event, or not at all.
#[async_trait]
pub trait Store:
    catalogue::CatalogueStore
    + catalogue_import::CatalogueImportStore
    + identity::IdentityStore
    + change_log::ChangeLogStore
    + analytics::AnalyticsStore
    + bookings::BookingStore
    + ledger::LedgerStore
    + vouchers::VoucherStore
    + beamtime::FacilityStore
    + beamtime::FacilityReviewStore
    + mail_outbox::MailOutboxStore
    + accounts::AccountStore
    + roster::RosterStore
    + sso::SsoStore
    + Send
    + Sync
    + 'static
{
    fn backend(&self) -> Backend;

    /// Applies the embedded migrations of this engine that have not run yet.
    async fn migrate(&self) -> Result<(), StoreError>;

    /// Brings the engine's planner statistics and visibility information up to date after a
    /// bulk load (the demo region writes over a million rows at once). On PostgreSQL this is
    /// `VACUUM (ANALYZE)`, which autovacuum would run some time later, or never where it is
    /// switched off; until then the planner guesses row counts and every first read of a
    /// loaded row rewrites its page's hint bits. SQLite's plans do not depend on statistics
    /// it has not been asked to gather, so there it does nothing.
    async fn refresh_planner_statistics(&self) -> Result<(), StoreError>;

    /// Cheap liveness check used by `/healthz`.
    async fn ping(&self) -> Result<(), StoreError>;

    /// Writes a whole region in one transaction. Refuses with [`StoreError::Conflict`] when
    /// the database already holds one: nothing stored is ever overwritten.
    async fn import_region(&self, region: &RegionData) -> Result<ImportReport, StoreError>;

    /// Row counts and a content checksum per table: what the restart test compares.
    async fn table_counts(&self) -> Result<TableCounts, StoreError>;
}

/// Opens the store a URL names: `sqlite://PATH` (created if missing) or `postgres://…`.
/// It does not migrate; callers decide when to.
pub async fn connect(url: &str) -> Result<Arc<dyn Store>, StoreError> {
    if url.starts_with("sqlite:") {
        Ok(Arc::new(SqliteStore::open(url).await?))
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Arc::new(PostgresStore::connect(url).await?))
    } else {
        Err(StoreError::InvalidUrl(format!(
            "{url:?}: expected sqlite://PATH or postgres://…"
        )))
    }
}
