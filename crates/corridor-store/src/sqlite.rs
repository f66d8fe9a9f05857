//! The embedded store: one SQLite file in WAL mode.
//!
//! Writes go through a pool of exactly one connection and every write transaction starts
//! with `BEGIN IMMEDIATE`: the write lock is taken before the first read, so two writers can
//! never both hold a read snapshot and then deadlock upgrading it (the SQLITE_BUSY that a
//! busy timeout does not cure). Reads use a separate pool of read-only connections, which WAL
//! lets run concurrently with the writer. `synchronous = FULL`, because NORMAL may lose the
//! last commits on power loss, and this file is the authoritative store.

use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

pub struct SqliteStore {
    write_pool: SqlitePool,
    read_pool: SqlitePool,
}

impl SqliteStore {
    const BACKEND: Backend = Backend::Sqlite;
    const READ_CONNECTIONS: u32 = 4;

    /// Opens (creating if missing) the database at `url`, e.g. `sqlite:///var/lib/corridor.db`
    /// or `sqlite://data/corridor.sqlite`.
    pub async fn open(url: &str) -> Result<SqliteStore, StoreError> {
        if url.contains(":memory:") || url.contains("mode=memory") {
            return Err(StoreError::InvalidUrl(format!("{url:?}: an in-memory SQLite database cannot be shared by the read and write pools; use a file")));
        }
        let options = SqliteConnectOptions::from_str(url)
            .map_err(|error| StoreError::InvalidUrl(format!("{url:?}: {error}")))?
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true);
        let write_pool = SqlitePoolOptions::new()
            .max_connections(1)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(options.clone().create_if_missing(true))
            .await?;
        let read_pool = SqlitePoolOptions::new()
            .max_connections(Self::READ_CONNECTIONS)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(options.read_only(true))
            .await?;
        Ok(SqliteStore {
            write_pool,
            read_pool,
        })
    }

    fn read_pool(&self) -> &SqlitePool {
        &self.read_pool
    }

    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Sqlite>, StoreError> {
        Ok(self.write_pool.begin_with("BEGIN IMMEDIATE").await?)
    }

    async fn run_migrations(&self) -> Result<(), StoreError> {
        sqlx::migrate!("./migrations/sqlite")
            .run(&self.write_pool)
            .await?;
        Ok(())
    }

    async fn after_bulk_import(
        _transaction: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    ) -> Result<(), StoreError> {
        // INTEGER PRIMARY KEY continues after the largest id by itself.
        Ok(())
    }

    /// Moves the write-ahead log into the main file, so that the file alone holds everything.
    pub async fn checkpoint(&self) -> Result<(), StoreError> {
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(&self.write_pool)
            .await?;
        Ok(())
    }

    pub async fn close(&self) {
        self.read_pool.close().await;
        self.write_pool.close().await;
    }
}

crate::common::shared_store_impl!(SqliteStore, sqlx::Sqlite);
crate::writes::shared_write_helpers!(SqliteStore, sqlx::Sqlite);
