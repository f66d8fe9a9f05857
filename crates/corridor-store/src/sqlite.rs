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
    booking_strategy: std::sync::atomic::AtomicU8,
    booking_jobs: tokio::sync::mpsc::UnboundedSender<BookingJob>,
}

/// A booking attempt waiting for the group-commit writer.
struct BookingJob {
    request: crate::booking::BookingRequest,
    now: jiff::Timestamp,
    context: AuditContext,
    reply: tokio::sync::oneshot::Sender<Result<crate::booking::BookingAttempt, StoreError>>,
}

/// At most this many attempts share one commit; more would only delay the first of them.
const GROUP_COMMIT_MAX_ATTEMPTS: usize = 128;

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
        let (booking_jobs, jobs) = tokio::sync::mpsc::unbounded_channel();
        // The writer runs on a thread of its own with its own single-threaded runtime: each
        // of its statements awaits the connection's worker thread, and on the shared runtime
        // every one of those awaits would queue behind the HTTP tasks, multiplying the time
        // the single writer holds the write lock.
        let writer_pool = write_pool.clone();
        std::thread::Builder::new()
            .name("corridor-booking-writer".into())
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("a single-threaded runtime for the booking writer");
                runtime.block_on(run_group_commit_writer(writer_pool, jobs));
            })
            .map_err(|error| StoreError::Database(sqlx::Error::Io(error)))?;
        Ok(SqliteStore {
            write_pool,
            read_pool,
            booking_strategy: std::sync::atomic::AtomicU8::new(
                crate::booking::BookingStrategy::LockedCalendarRow as u8,
            ),
            booking_jobs,
        })
    }

    fn read_pool(&self) -> &SqlitePool {
        &self.read_pool
    }

    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Sqlite>, StoreError> {
        Ok(self.write_pool.begin_with("BEGIN IMMEDIATE").await?)
    }

    /// SQLite serialises write transactions, so reading the accounts is enough.
    const LEDGER_LOCK_SUFFIX: &'static str = "";
    /// A read transaction in WAL mode sees one snapshot from its first read on.
    const READ_SNAPSHOT: Option<&'static str> = None;

    /// Every using booking for analytics, scanned through SQLite's C API (see `sqlite_scan`).
    async fn analytics_bookings_in(
        transaction: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    ) -> Result<Vec<corridor_domain::analytics::BookingFactRow>, StoreError> {
        let mut bookings = Vec::new();
        crate::sqlite_scan::for_each_integer_row(
            transaction,
            &crate::analytics_sql::analytics_bookings_sql("b.starts_at", "b.ends_at"),
            |row| {
                bookings.push(crate::analytics_sql::booking_fact(row)?);
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
        crate::sqlite_scan::for_each_integer_row(
            transaction,
            crate::ledger_sql::REPLAY_TRANSFERS_SQL,
            |row| {
                let transfer = crate::ledger_sql::replayed_transfer(row)?;
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
    /// the disk, so attempts that arrive together are handed to one writer task that runs
    /// them in one transaction, each inside its own savepoint, and answers them all after a
    /// single durable commit: group commit. No attempt is acknowledged before the commit that
    /// holds it is on disk.
    async fn create_booking_for_engine(
        &self,
        request: &crate::booking::BookingRequest,
        now: jiff::Timestamp,
        context: &AuditContext,
    ) -> Result<crate::booking::BookingAttempt, StoreError> {
        let strategy = self
            .booking_strategy
            .load(std::sync::atomic::Ordering::Relaxed);
        if strategy == crate::booking::BookingStrategy::PlainSerializable as u8 {
            let mut transaction = self.begin_write().await?;
            let attempt = Self::attempt_booking_in(&mut transaction, request, now, context).await?;
            transaction.commit().await?;
            return Ok(attempt);
        }
        let (reply, answer) = tokio::sync::oneshot::channel();
        let job = BookingJob {
            request: request.clone(),
            now,
            context: context.clone(),
            reply,
        };
        self.booking_jobs
            .send(job)
            .map_err(|_| StoreError::Database(sqlx::Error::PoolClosed))?;
        answer
            .await
            .map_err(|_| StoreError::Database(sqlx::Error::PoolClosed))?
    }
}

async fn run_group_commit_writer(
    pool: SqlitePool,
    mut jobs: tokio::sync::mpsc::UnboundedReceiver<BookingJob>,
) {
    while let Some(first) = jobs.recv().await {
        let mut batch = vec![first];
        while batch.len() < GROUP_COMMIT_MAX_ATTEMPTS {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let started = std::time::Instant::now();
        let outcome = run_booking_batch(&pool, &batch).await;
        tracing::debug!(
            attempts = batch.len(),
            micros = started.elapsed().as_micros() as u64,
            "booking batch committed"
        );
        match outcome {
            Ok(results) => {
                for (job, result) in batch.into_iter().zip(results) {
                    let _ = job.reply.send(result);
                }
            }
            Err(error) => {
                // Nothing of the batch was committed; every attempt in it hears why.
                let message = error.to_string();
                for job in batch {
                    let _ = job
                        .reply
                        .send(Err(StoreError::Database(sqlx::Error::Protocol(format!(
                            "group commit failed: {message}"
                        )))));
                }
            }
        }
    }
}

/// Runs a batch in one transaction. The hot path costs two statements per attempt (the
/// facts query and the booking insert); the batch's audit events and change-log entries are
/// appended with one multi-row insert each before the single commit. If any attempt fails
/// with an error, the whole batch is rolled back and every attempt is run again in its own
/// transaction, so that one failure cannot leave half of another attempt behind or fail it.
async fn run_booking_batch(
    pool: &SqlitePool,
    batch: &[BookingJob],
) -> Result<Vec<Result<crate::booking::BookingAttempt, StoreError>>, StoreError> {
    match run_booking_batch_together(pool, batch).await {
        Ok(results) => Ok(results),
        Err(_) => {
            let mut results = Vec::with_capacity(batch.len());
            for job in batch {
                let mut transaction = pool.begin_with("BEGIN IMMEDIATE").await?;
                let result = SqliteStore::attempt_booking_in(
                    &mut transaction,
                    &job.request,
                    job.now,
                    &job.context,
                )
                .await;
                match result {
                    Ok(attempt) => {
                        transaction.commit().await?;
                        results.push(Ok(attempt));
                    }
                    Err(error) => {
                        transaction.rollback().await?;
                        results.push(Err(error));
                    }
                }
            }
            Ok(results)
        }
    }
}

async fn run_booking_batch_together(
    pool: &SqlitePool,
    batch: &[BookingJob],
) -> Result<Vec<Result<crate::booking::BookingAttempt, StoreError>>, StoreError> {
    use crate::booking::BookingAttempt;
    use crate::booking_sql::AttemptDecision;

    let mut transaction = pool.begin_with("BEGIN IMMEDIATE").await?;
    let mut results = Vec::with_capacity(batch.len());
    let mut audit_rows: Vec<(i64, &AuditContext, serde_json::Value)> = Vec::new();
    let mut touched_instruments: Vec<i64> = Vec::new();
    for job in batch {
        // A request for an instrument or user that does not exist is refused before anything
        // is written, so it can fail alone without costing the batch its fast path.
        let decision = match SqliteStore::decide_attempt_in(
            &mut transaction,
            &job.request,
            job.now,
            &job.context,
            false,
        )
        .await
        {
            Err(error @ StoreError::NotFound(_)) => {
                results.push(Err(error));
                continue;
            }
            other => other?,
        };
        let attempt = match decision {
            AttemptDecision::Finished(attempt) => attempt,
            AttemptDecision::Book(evaluation) => {
                let id = SqliteStore::insert_booking_row_in(
                    &mut transaction,
                    &job.request,
                    &evaluation,
                    job.now,
                )
                .await?;
                audit_rows.push((
                    id.0,
                    &job.context,
                    booking_created_detail(&job.request, &evaluation),
                ));
                touched_instruments.push(job.request.instrument.0);
                BookingAttempt::Booked {
                    booking: evaluation.new_record(&job.request, id, job.now),
                    replayed: false,
                }
            }
        };
        results.push(Ok(attempt));
    }
    if !audit_rows.is_empty() {
        let occurred_at = StoredInstant(crate::now());
        let mut insert = QueryBuilder::<sqlx::Sqlite>::new("INSERT INTO audit_events (occurred_at, actor_user_id, action, subject, detail, client_address) ");
        insert.push_values(&audit_rows, |mut row, (id, context, detail)| {
            row.push_bind(occurred_at)
                .push_bind(context.actor.map(|user| user.0))
                .push_bind("booking.created")
                .push_bind(format!("booking:{id}"))
                .push_bind(detail.to_string())
                .push_bind(context.client_address.clone());
        });
        insert.build().execute(&mut *transaction).await?;
        touched_instruments.sort_unstable();
        touched_instruments.dedup();
        let mut changes = QueryBuilder::<sqlx::Sqlite>::new(
            "INSERT INTO change_log (entity, entity_id, operation, occurred_at) ",
        );
        changes.push_values(&touched_instruments, |mut row, instrument| {
            row.push_bind("calendar")
                .push_bind(*instrument)
                .push_bind("upsert")
                .push_bind(occurred_at);
        });
        changes.build().execute(&mut *transaction).await?;
    }
    transaction.commit().await?;
    Ok(results)
}

crate::common::shared_store_impl!(SqliteStore, sqlx::Sqlite);
crate::booking_sql::shared_booking_impl!(SqliteStore, sqlx::Sqlite);
crate::booking_store_sql::shared_booking_store_impl!(SqliteStore, sqlx::Sqlite);
crate::ledger_sql::shared_ledger_impl!(SqliteStore, sqlx::Sqlite);
crate::voucher_sql::shared_voucher_impl!(SqliteStore, sqlx::Sqlite);
crate::analytics_sql::shared_analytics_impl!(
    SqliteStore,
    sqlx::Sqlite,
    "(b.ends_at - b.starts_at) / 60000000"
);
crate::voucher_history_sql::shared_voucher_history_impl!(SqliteStore, sqlx::Sqlite);
crate::voucher_expiry_sql::shared_voucher_expiry_impl!(SqliteStore, sqlx::Sqlite);
crate::facility_sql::shared_facility_impl!(SqliteStore, sqlx::Sqlite);
crate::facility_review_sql::shared_programme_impl!(SqliteStore, sqlx::Sqlite);
crate::writes::shared_write_helpers!(SqliteStore, sqlx::Sqlite);
