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
    #[cfg(feature = "bench-baselines")]
    booking_strategy: std::sync::atomic::AtomicU8,
    booking_jobs: tokio::sync::mpsc::UnboundedSender<crate::bookings::batch::BookingJob>,
    /// Dropped with the store, which stops the checkpointer thread.
    _stop_checkpoints: std::sync::mpsc::Sender<()>,
    /// Live API tokens seen recently; a SQLite database is served by one process, whose
    /// revocations forget the token after they commit.
    token_holders: super::token_holders::LiveTokenHolders,
}

impl SqliteStore {
    const BACKEND: Backend = Backend::Sqlite;
    const READ_CONNECTIONS: u32 = 4;
    /// Page caches in KiB (negative, as SQLite takes them): 64 MiB for the writer, 16 MiB
    /// for each reader.
    const WRITER_CACHE_SIZE: &'static str = "-65536";
    const READER_CACHE_SIZE: &'static str = "-16384";

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
        // SQLite's default page cache is 2 MiB per connection; with a year of bookings the
        // writer's indexes are far larger, and every page it misses is a read() system call.
        // The writer's one connection is not pinged before each use: a ping is one more
        // round trip to the connection's worker thread per group commit, and a broken file
        // fails the next statement anyway.
        let write_pool = SqlitePoolOptions::new()
            .max_connections(1)
            .test_before_acquire(false)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(
                options
                    .clone()
                    .create_if_missing(true)
                    .pragma("cache_size", Self::WRITER_CACHE_SIZE)
                    .pragma("wal_autocheckpoint", "0"),
            )
            .await?;
        let read_pool = SqlitePoolOptions::new()
            .max_connections(Self::READ_CONNECTIONS)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(
                options
                    .clone()
                    .read_only(true)
                    .pragma("cache_size", Self::READER_CACHE_SIZE),
            )
            .await?;
        // SQLite's connections run on worker threads of their own, so the writer's thread can
        // share the write pool.
        let writer_pool = write_pool.clone();
        let booking_jobs = crate::bookings::batch::spawn_group_commit_writer(
            "corridor-booking-writer",
            move || async move { Ok(SqliteGroupCommit { pool: writer_pool }) },
        )?;
        let checkpoint_pool = SqlitePoolOptions::new()
            .max_connections(1)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(options.clone())
            .await?;
        let stop_checkpoints = spawn_checkpointer(checkpoint_pool)?;
        Ok(SqliteStore {
            write_pool,
            read_pool,
            #[cfg(feature = "bench-baselines")]
            booking_strategy: std::sync::atomic::AtomicU8::new(
                crate::bookings::BookingStrategy::LockedCalendarRow as u8,
            ),
            booking_jobs,
            _stop_checkpoints: stop_checkpoints,
            token_holders: super::token_holders::LiveTokenHolders::in_one_process(),
        })
    }

    fn read_pool(&self) -> &SqlitePool {
        &self.read_pool
    }

    /// Nothing to do: see `Store::refresh_planner_statistics`. Gathering statistics here
    /// (`ANALYZE`) would change the plans every SQLite query was measured with.
    async fn refresh_planner_statistics_for_engine(&self) -> Result<(), StoreError> {
        Ok(())
    }

    /// The process's memory of live API tokens (`token_holders.rs`), used by the shared code.
    fn token_holders(&self) -> &super::token_holders::LiveTokenHolders {
        &self.token_holders
    }

    /// Nothing to announce: no other process serves this file.
    async fn announce_token_revoked(
        _transaction: &mut sqlx::Transaction<'static, sqlx::Sqlite>,
        _token_hash: &str,
    ) -> Result<(), StoreError> {
        Ok(())
    }

    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Sqlite>, StoreError> {
        Ok(self.write_pool.begin_with("BEGIN IMMEDIATE").await?)
    }

    /// SQLite serialises write transactions, so reading the accounts is enough.
    const LEDGER_LOCK_SUFFIX: &'static str = "";
    /// The single writer already serialises every booking transaction.
    const BATCH_LOCKS_CALENDARS: bool = false;
    /// The single writer serialises claims of the outbox, so its candidates need no lock.
    const OUTBOX_CLAIM_LOCK_SUFFIX: &'static str = "";
    /// A read transaction in WAL mode sees one snapshot from its first read on.
    const READ_SNAPSHOT: Option<&'static str> = None;

    /// Every using booking for analytics, scanned through SQLite's C API (see `sqlite_scan`).
    async fn analytics_bookings_in(
        transaction: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    ) -> Result<Vec<corridor_domain::analytics::BookingFactRow>, StoreError> {
        let mut bookings = Vec::new();
        crate::engines::sqlite_scan::for_each_integer_row(
            transaction,
            &crate::analytics::sql::analytics_bookings_sql("b.starts_at", "b.ends_at"),
            |row| {
                bookings.push(crate::analytics::sql::booking_fact(row)?);
                Ok(true)
            },
        )
        .await?;
        Ok(bookings)
    }

    /// Feeds every transfer to the replay through SQLite's C API (see `sqlite_scan` for why),
    /// inside `transaction`'s snapshot; answers the replay's first fault.
    async fn replay_transfers_in(
        transaction: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
        replay: &mut corridor_domain::ledger::LedgerReplay,
    ) -> Result<Option<String>, StoreError> {
        let mut fault = None;
        crate::engines::sqlite_scan::for_each_integer_row(
            transaction,
            crate::ledger::sql::REPLAY_TRANSFERS_SQL,
            |row| {
                let transfer = crate::ledger::sql::replayed_transfer(row)?;
                match replay.apply(&transfer) {
                    Ok(()) => Ok(true),
                    Err(error) => {
                        fault = Some(error.to_string());
                        Ok(false)
                    }
                }
            },
        )
        .await?;
        Ok(fault)
    }

    /// Inside the single writer's transaction the next ids are simply the ones after the
    /// largest; refused transfers leave gaps, which replay does not mind.
    async fn ledger_transfer_ids(
        transaction: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
        count: usize,
    ) -> Result<Vec<i64>, StoreError> {
        let largest: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) FROM ledger_transfers")
            .fetch_one(&mut **transaction)
            .await?;
        Ok((largest + 1..=largest + count as i64).collect())
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

    /// A year of booking history, in multi-row INSERTs.
    async fn insert_historical_bookings_in(
        transaction: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
        bookings: &[crate::bookings::HistoricalBooking],
        created_at: crate::timestamp::StoredInstant,
    ) -> Result<(), StoreError> {
        use crate::timestamp::StoredInstant;
        for chunk in bookings.chunks(crate::catalogue::sql::IMPORT_CHUNK_ROWS) {
            let mut insert = sqlx::QueryBuilder::<sqlx::Sqlite>::new("INSERT INTO bookings (instrument_id, user_id, starts_at, ends_at, status, user_class, hourly_rate_fen, price_fen, purpose, created_at, updated_at, usage_minutes, charged_fen) ");
            insert.push_values(chunk, |mut row, booking| {
                row.push_bind(booking.instrument.0)
                    .push_bind(booking.user.0)
                    .push_bind(StoredInstant(booking.range.start))
                    .push_bind(StoredInstant(booking.range.end))
                    .push_bind(booking.status.as_code())
                    .push_bind(booking.user_class.as_code())
                    .push_bind(booking.hourly_rate.0)
                    .push_bind(booking.price.0)
                    .push_bind("")
                    .push_bind(StoredInstant(booking.created_at))
                    .push_bind(created_at)
                    .push_bind(booking.usage_minutes)
                    .push_bind(booking.charged.map(|fen| fen.0));
            });
            insert.build().execute(&mut **transaction).await?;
        }
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

impl SqliteStore {
    /// Booking attempts are the hot write. With `synchronous = FULL` every commit waits for
    /// the disk, so attempts go through the group-commit writer (see `booking_batch_sql`).
    async fn create_booking_for_engine(
        &self,
        request: &crate::bookings::BookingRequest,
        now: jiff::Timestamp,
        context: &AuditContext,
    ) -> Result<crate::bookings::BookingAttempt, StoreError> {
        #[cfg(feature = "bench-baselines")]
        if self
            .booking_strategy
            .load(std::sync::atomic::Ordering::Relaxed)
            == crate::bookings::BookingStrategy::PlainSerializable as u8
        {
            return self.create_booking_plain(request, now, context).await;
        }
        crate::bookings::batch::book_through_group_commit(&self.booking_jobs, request, now, context)
            .await
    }

    /// The plain strategy the booking benchmark compares against: one transaction and one
    /// durable commit per attempt, no group commit (SQLite's single writer already
    /// serialises the check and the insert).
    #[cfg(feature = "bench-baselines")]
    async fn create_booking_plain(
        &self,
        request: &crate::bookings::BookingRequest,
        now: jiff::Timestamp,
        context: &AuditContext,
    ) -> Result<crate::bookings::BookingAttempt, StoreError> {
        let mut transaction = self.begin_write().await?;
        let attempt = Self::attempt_booking_in(&mut transaction, request, now, context).await?;
        transaction.commit().await?;
        Ok(attempt)
    }
}

/// How often the checkpointer copies committed pages from the write-ahead log into the file.
const CHECKPOINT_INTERVAL: Duration = Duration::from_secs(1);

/// Checkpoints the write-ahead log on a connection and thread of their own. SQLite's automatic
/// checkpoint runs inside the commit that crosses 1,000 pages of log, so one booking batch in
/// about thirty paid for copying and syncing the pages of all of them while every attempt in
/// it waited (the booking hammer's slowest commits); the writer therefore has the automatic
/// checkpoint turned off, and this thread runs a PASSIVE checkpoint every second, which never
/// waits for the writer or the readers. Durability does not depend on it: a commit is durable
/// once its log frames are synced.
fn spawn_checkpointer(pool: SqlitePool) -> Result<std::sync::mpsc::Sender<()>, StoreError> {
    let (stop, stopped) = std::sync::mpsc::channel::<()>();
    std::thread::Builder::new()
        .name("corridor-wal-checkpointer".into())
        .spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a single-threaded runtime for the checkpointer");
            while let Err(std::sync::mpsc::RecvTimeoutError::Timeout) =
                stopped.recv_timeout(CHECKPOINT_INTERVAL)
            {
                if let Err(error) =
                    runtime.block_on(sqlx::query("PRAGMA wal_checkpoint(PASSIVE)").execute(&pool))
                {
                    tracing::warn!(%error, "checkpointing the write-ahead log failed; retrying");
                }
            }
            runtime.block_on(pool.close());
        })
        .map_err(|error| StoreError::Database(sqlx::Error::Io(error)))?;
    Ok(stop)
}

struct SqliteGroupCommit {
    pool: SqlitePool,
}

#[async_trait::async_trait]
impl crate::bookings::batch::GroupCommitEngine for SqliteGroupCommit {
    async fn run_together(
        &mut self,
        batch: &[crate::bookings::batch::BookingJob],
    ) -> Result<Vec<Result<crate::bookings::BookingAttempt, StoreError>>, StoreError> {
        // Dropped on an error, the transaction rolls back.
        let mut transaction = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let results = SqliteStore::attempt_bookings_together_in(&mut transaction, batch).await?;
        transaction.commit().await?;
        Ok(results)
    }

    async fn run_alone(
        &mut self,
        job: &crate::bookings::batch::BookingJob,
    ) -> Result<crate::bookings::BookingAttempt, StoreError> {
        let mut transaction = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let attempt =
            SqliteStore::attempt_booking_in(&mut transaction, &job.request, job.now, &job.context)
                .await?;
        transaction.commit().await?;
        Ok(attempt)
    }
}

crate::catalogue::sql::shared_store_impl!(SqliteStore, sqlx::Sqlite);
crate::bookings::sql::shared_booking_impl!(SqliteStore, sqlx::Sqlite);
crate::bookings::batch::shared_booking_batch_impl!(SqliteStore, sqlx::Sqlite);
crate::bookings::notify_sql::shared_booking_notify_impl!(SqliteStore, sqlx::Sqlite);
crate::bookings::store_sql::shared_booking_store_impl!(SqliteStore, sqlx::Sqlite);
crate::ledger::sql::shared_ledger_impl!(SqliteStore, sqlx::Sqlite);
crate::vouchers::sql::shared_voucher_impl!(SqliteStore, sqlx::Sqlite);
crate::analytics::sql::shared_analytics_impl!(
    SqliteStore,
    sqlx::Sqlite,
    "(b.ends_at - b.starts_at) / 60000000"
);
crate::vouchers::history::shared_voucher_history_impl!(SqliteStore, sqlx::Sqlite);
crate::vouchers::expiry::shared_voucher_expiry_impl!(SqliteStore, sqlx::Sqlite);
crate::beamtime::proposals_sql::shared_facility_impl!(SqliteStore, sqlx::Sqlite);
crate::beamtime::review_sql::shared_facility_review_impl!(SqliteStore, sqlx::Sqlite);
crate::catalogue::import::shared_write_helpers!(SqliteStore, sqlx::Sqlite);
crate::catalogue_import::sql::shared_catalogue_import_impl!(SqliteStore, sqlx::Sqlite);
crate::mail_outbox::sql::shared_mail_outbox_impl!(SqliteStore, sqlx::Sqlite);
crate::accounts::sql::shared_account_impl!(SqliteStore, sqlx::Sqlite);
crate::roster::sql::shared_roster_impl!(SqliteStore, sqlx::Sqlite);
crate::sso::sql::shared_sso_impl!(SqliteStore, sqlx::Sqlite);
