//! The PostgreSQL store, for `corridor serve` nodes that share one database server.

use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};

pub struct PostgresStore {
    pool: PgPool,
}

/// Tables whose ids come from an identity column; after an import with explicit ids, their
/// sequences are moved past the largest id so that the next insert does not collide.
const IDENTITY_TABLES: &[&str] = &[
    "institutions",
    "sites",
    "instruments",
    "beamlines",
    "users",
    "api_tokens",
    "audit_events",
];

impl PostgresStore {
    const BACKEND: Backend = Backend::Postgres;
    const MAX_CONNECTIONS: u32 = 16;

    pub async fn connect(url: &str) -> Result<PostgresStore, StoreError> {
        let options: PgConnectOptions = url
            .parse()
            .map_err(|error| StoreError::InvalidUrl(format!("{url:?}: {error}")))?;
        PostgresStore::connect_with(options).await
    }

    /// Connects with prepared options; the contract tests use it to put each test in a
    /// schema of its own.
    pub async fn connect_with(options: PgConnectOptions) -> Result<PostgresStore, StoreError> {
        let pool = PgPoolOptions::new()
            .max_connections(Self::MAX_CONNECTIONS)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(options)
            .await?;
        Ok(PostgresStore { pool })
    }

    fn read_pool(&self) -> &PgPool {
        &self.pool
    }

    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Postgres>, StoreError> {
        Ok(self.pool.begin().await?)
    }

    async fn run_migrations(&self) -> Result<(), StoreError> {
        sqlx::migrate!("./migrations/postgres")
            .run(&self.pool)
            .await?;
        Ok(())
    }

    async fn after_bulk_import(
        transaction: &mut sqlx::Transaction<'_, sqlx::Postgres>,
    ) -> Result<(), StoreError> {
        for table in IDENTITY_TABLES {
            sqlx::query(&format!("SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"))
                .execute(&mut **transaction)
                .await?;
        }
        Ok(())
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

crate::common::shared_store_impl!(PostgresStore, sqlx::Postgres);
crate::writes::shared_write_helpers!(PostgresStore, sqlx::Postgres);
