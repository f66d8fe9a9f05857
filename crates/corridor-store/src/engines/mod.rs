//! The two engines: SQLite (embedded, one writer) and PostgreSQL. Each opens its pools,
//! runs its migrations, keeps its write-transaction discipline and supplies the few pieces
//! whose SQL or mechanics differ; the aggregates' shared SQL is expanded into both.

pub(crate) mod postgres;
pub(crate) mod sqlite;
pub(crate) mod sqlite_scan;
pub(crate) mod token_holders;
