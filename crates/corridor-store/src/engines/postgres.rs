//! The PostgreSQL store, for `corridor serve` nodes that share one database server.

use std::time::Duration;

use std::sync::Arc;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};

use super::token_holders::{spawn_revocation_listener, LiveTokenHolders, TOKEN_REVOKED_CHANNEL};

pub struct PostgresStore {
    pool: PgPool,
    /// Live API tokens seen recently, forgotten as their revocations are announced.
    token_holders: Arc<LiveTokenHolders>,
    #[cfg(feature = "bench-baselines")]
    booking_strategy: std::sync::atomic::AtomicU8,
    booking_jobs: tokio::sync::mpsc::UnboundedSender<crate::bookings::batch::BookingJob>,
}

/// How often the plain SERIALIZABLE strategy retries an attempt that lost a race.
#[cfg(feature = "bench-baselines")]
const SERIALIZABLE_RETRIES: usize = 20;

/// How an attempt made alone, in its own transaction, is kept from racing another.
#[derive(Debug, Clone, Copy)]
enum AloneAttempt {
    /// Under the instrument's calendar-row lock: the group-commit writer's fallback when a
    /// batch failed.
    Locked,
    /// Unlocked check-then-insert under SERIALIZABLE: the plain strategy the booking
    /// benchmark compares against.
    #[cfg(feature = "bench-baselines")]
    PlainSerializable,
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
        // Named, so that an administrator reading `pg_stat_activity` sees whose connections
        // these are and which one is the booking writer.
        let application_name = options
            .get_application_name()
            .unwrap_or("corridor")
            .to_owned();
        let options = options.application_name(&application_name);
        let writer_options = options
            .clone()
            .application_name(&format!("{application_name} booking writer"));
        let pool = PgPoolOptions::new()
            .max_connections(Self::MAX_CONNECTIONS)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(options.clone())
            .await?;
        // The group-commit writer has one connection of its own, opened on its own thread.
        let booking_jobs = crate::bookings::batch::spawn_group_commit_writer(
            "corridor-booking-writer",
            move || async move {
                // The fallback's pool: attempts that run alone after a failed batch, with the
                // retries of `create_booking_alone_on`. Rarely used, so it connects only when
                // first needed and is not pinged.
                let fallback_pool = PgPoolOptions::new()
                    .max_connections(1)
                    .test_before_acquire(false)
                    .acquire_timeout(Duration::from_secs(30))
                    .connect_lazy_with(options.clone());
                let connection = sqlx::Connection::connect_with(&writer_options).await?;
                Ok(PostgresGroupCommit {
                    options: writer_options,
                    connection: Some(connection),
                    fallback_pool,
                })
            },
        )?;
        let token_holders = Arc::new(LiveTokenHolders::default());
        spawn_revocation_listener(pool.clone(), &token_holders);
        Ok(PostgresStore {
            pool,
            token_holders,
            #[cfg(feature = "bench-baselines")]
            booking_strategy: std::sync::atomic::AtomicU8::new(
                crate::bookings::BookingStrategy::LockedCalendarRow as u8,
            ),
            booking_jobs,
        })
    }

    /// Whether this node hears revocations of API tokens (its listener is connected), and
    /// so answers live tokens from memory; for operators and the tests.
    pub fn hears_token_revocations(&self) -> bool {
        self.token_holders.listening()
    }

    fn read_pool(&self) -> &PgPool {
        &self.pool
    }

    /// The node's memory of live API tokens (`token_holders.rs`), used by the shared code.
    fn token_holders(&self) -> &LiveTokenHolders {
        &self.token_holders
    }

    /// Tells every node (their listeners, `token_holders.rs`) to forget the token; sent when
    /// the revoking transaction commits, and not at all if it rolls back.
    async fn announce_token_revoked(
        transaction: &mut sqlx::Transaction<'static, sqlx::Postgres>,
        token_hash: &str,
    ) -> Result<(), crate::StoreError> {
        sqlx::query("SELECT pg_notify($1, $2)")
            .bind(TOKEN_REVOKED_CHANNEL)
            .bind(token_hash)
            .execute(&mut **transaction)
            .await?;
        Ok(())
    }

    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Postgres>, StoreError> {
        Ok(self.pool.begin().await?)
    }

    async fn refresh_planner_statistics_for_engine(&self) -> Result<(), StoreError> {
        // Outside a transaction, as VACUUM must be.
        sqlx::query("VACUUM (ANALYZE)").execute(&self.pool).await?;
        Ok(())
    }

    /// Batches lock the accounts they touch, in id order so that two batches never wait on
    /// each other in a cycle.
    const LEDGER_LOCK_SUFFIX: &'static str = " FOR UPDATE";
    /// Nodes claim the outbox concurrently: a claim locks its candidates and passes over rows
    /// another claim has locked, so it neither waits for that claim nor takes its rows.
    const OUTBOX_CLAIM_LOCK_SUFFIX: &'static str = " FOR UPDATE OF n SKIP LOCKED";
    /// Server nodes write concurrently: a batch locks its instruments' calendar rows.
    const BATCH_LOCKS_CALENDARS: bool = true;
    const READ_SNAPSHOT: Option<&'static str> =
        Some("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY");

    /// Every using booking for analytics, streamed.
    async fn analytics_bookings_in(
        transaction: &mut sqlx::Transaction<'_, sqlx::Postgres>,
    ) -> Result<Vec<corridor_domain::analytics::BookingFactRow>, StoreError> {
        use futures_util::TryStreamExt;
        let sql = crate::analytics::sql::analytics_bookings_sql(
            "(EXTRACT(EPOCH FROM b.starts_at) * 1000000)::BIGINT",
            "(EXTRACT(EPOCH FROM b.ends_at) * 1000000)::BIGINT",
        );
        let mut rows = sqlx::query_as::<_, (i64, i64, i64, i64, i64, Option<i64>, i64)>(&sql)
            .fetch(&mut **transaction);
        let mut bookings = Vec::new();
        while let Some((instrument, user, home, starts, ends, usage, fee)) = rows.try_next().await?
        {
            bookings.push(crate::analytics::sql::booking_fact([
                Some(instrument),
                Some(user),
                Some(home),
                Some(starts),
                Some(ends),
                usage,
                Some(fee),
            ])?);
        }
        Ok(bookings)
    }

    /// Streams every transfer to the replay inside `transaction`'s snapshot; answers the
    /// replay's first fault.
    async fn replay_transfers_in(
        transaction: &mut sqlx::Transaction<'_, sqlx::Postgres>,
        replay: &mut corridor_domain::ledger::LedgerReplay,
    ) -> Result<Option<String>, StoreError> {
        use futures_util::TryStreamExt;
        let mut transfers = sqlx::query_as::<_, (i64, i64, i64, i64, i64, Option<i64>)>(
            crate::ledger::sql::REPLAY_TRANSFERS_SQL,
        )
        .fetch(&mut **transaction);
        while let Some((id, kind, debit, credit, amount, pending)) = transfers.try_next().await? {
            let transfer = crate::ledger::sql::replayed_transfer([
                Some(id),
                Some(kind),
                Some(debit),
                Some(credit),
                Some(amount),
                pending,
            ])?;
            if let Err(error) = replay.apply(&transfer) {
                return Ok(Some(error.to_string()));
            }
        }
        Ok(None)
    }

    /// Drawn after the batch's accounts are locked: a later batch on the same accounts waits
    /// for this one's commit before drawing, so per account the ids follow the order of
    /// application.
    async fn ledger_transfer_ids(
        transaction: &mut sqlx::Transaction<'_, sqlx::Postgres>,
        count: usize,
    ) -> Result<Vec<i64>, StoreError> {
        let mut ids: Vec<i64> = sqlx::query_scalar(
            "SELECT nextval(pg_get_serial_sequence('ledger_transfers', 'id')) FROM generate_series(1, $1)",
        )
        .bind(count as i64)
        .fetch_all(&mut **transaction)
        .await?;
        ids.sort_unstable();
        Ok(ids)
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

    /// A year of booking history through COPY, which skips the per-statement parsing and
    /// planning of multi-row INSERTs; the exclusion constraint still checks every row.
    async fn insert_historical_bookings_in(
        transaction: &mut sqlx::Transaction<'_, sqlx::Postgres>,
        bookings: &[crate::bookings::HistoricalBooking],
        created_at: crate::timestamp::StoredInstant,
    ) -> Result<(), StoreError> {
        use std::fmt::Write as _;
        let mut copy = transaction
            .copy_in_raw("COPY bookings (instrument_id, user_id, starts_at, ends_at, status, user_class, hourly_rate_fen, price_fen, purpose, created_at, updated_at, usage_minutes, charged_fen) FROM STDIN")
            .await?;
        // COPY's text format: tab-separated columns, \N for NULL; every value here is a
        // number, a code or a timestamp, none of which holds a tab, newline or backslash.
        let optional =
            |value: Option<i64>| value.map_or_else(|| "\\N".to_owned(), |value| value.to_string());
        let mut buffer = String::with_capacity(1 << 20);
        for chunk in bookings.chunks(8_192) {
            buffer.clear();
            for booking in chunk {
                let _ = writeln!(
                    buffer,
                    "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t\t{}\t{}\t{}\t{}",
                    booking.instrument.0,
                    booking.user.0,
                    booking.range.start,
                    booking.range.end,
                    booking.status.as_code(),
                    booking.user_class.as_code(),
                    booking.hourly_rate.0,
                    booking.price.0,
                    booking.created_at,
                    created_at.0,
                    optional(booking.usage_minutes),
                    optional(booking.charged.map(|fen| fen.0)),
                );
            }
            if let Err(error) = copy.send(buffer.as_bytes()).await {
                let _ = copy.abort("the booking history could not be sent").await;
                return Err(error.into());
            }
        }
        copy.finish().await?;
        Ok(())
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

impl PostgresStore {
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
            return Self::create_booking_alone_on(
                &self.pool,
                request,
                now,
                context,
                AloneAttempt::PlainSerializable,
            )
            .await;
        }
        crate::bookings::batch::book_through_group_commit(&self.booking_jobs, request, now, context)
            .await
    }

    /// One attempt in its own transaction, retried when it lost a race: the group-commit
    /// writer's fallback when a batch failed, and (benchmark builds only) the plain strategy's
    /// way.
    async fn create_booking_alone_on(
        pool: &PgPool,
        request: &crate::bookings::BookingRequest,
        now: jiff::Timestamp,
        context: &AuditContext,
        how: AloneAttempt,
    ) -> Result<crate::bookings::BookingAttempt, StoreError> {
        let mut attempts_left = match how {
            AloneAttempt::Locked => 2,
            #[cfg(feature = "bench-baselines")]
            AloneAttempt::PlainSerializable => SERIALIZABLE_RETRIES,
        };
        loop {
            attempts_left -= 1;
            let mut transaction = pool.begin().await?;
            let result = match how {
                AloneAttempt::Locked => {
                    Self::attempt_booking_locked_in(&mut transaction, request, now, context).await
                }
                #[cfg(feature = "bench-baselines")]
                AloneAttempt::PlainSerializable => {
                    Self::attempt_booking_serializable_in(&mut transaction, request, now, context)
                        .await
                }
            };
            let result = match result {
                Ok(attempt) => transaction
                    .commit()
                    .await
                    .map(|()| attempt)
                    .map_err(StoreError::from),
                Err(error) => Err(error),
            };
            match result {
                Err(error) if attempts_left > 0 && is_retryable(&error) => continue,
                other => return other,
            }
        }
    }

    /// One attempt alone on PostgreSQL (the group-commit writer's fallback): the lock, one
    /// facts query, and one statement that writes the booking, its audit event and its
    /// change-log entry together; with BEGIN and COMMIT, five round trips.
    async fn attempt_booking_locked_in(
        transaction: &mut sqlx::Transaction<'_, sqlx::Postgres>,
        request: &crate::bookings::BookingRequest,
        now: jiff::Timestamp,
        context: &AuditContext,
    ) -> Result<crate::bookings::BookingAttempt, StoreError> {
        use crate::bookings::sql::AttemptDecision;
        let evaluation =
            match Self::decide_attempt_in(transaction, request, now, context, true).await? {
                AttemptDecision::Finished(attempt) => return Ok(attempt),
                AttemptDecision::Book(evaluation) => evaluation,
            };
        let id: i64 = sqlx::query_scalar(
            "WITH booking AS ( \
                INSERT INTO bookings (instrument_id, user_id, starts_at, ends_at, status, user_class, hourly_rate_fen, price_fen, purpose, idempotency_key, created_at, updated_at) \
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11) RETURNING id), \
             audit AS ( \
                INSERT INTO audit_events (occurred_at, actor_user_id, action, subject, detail, client_address) \
                SELECT $11, $12, 'booking.created', 'booking:' || booking.id, $13, $14 FROM booking), \
             change AS ( \
                INSERT INTO change_log (entity, entity_id, operation, occurred_at) SELECT 'booking', booking.id, 'upsert', $11 FROM booking) \
             SELECT id FROM booking",
        )
        .bind(request.instrument.0)
        .bind(request.user.0)
        .bind(StoredInstant(request.range.start))
        .bind(StoredInstant(request.range.end))
        .bind(evaluation.status().as_code())
        .bind(evaluation.user_class.as_code())
        .bind(evaluation.hourly_rate.0)
        .bind(evaluation.price.0)
        .bind(&request.purpose)
        .bind(request.idempotency_key.as_deref())
        .bind(StoredInstant(now))
        .bind(context.actor.map(|user| user.0))
        .bind(booking_created_detail(request, &evaluation).to_string())
        .bind(context.client_address.as_deref())
        .fetch_one(&mut **transaction)
        .await
        .map_err(|error| StoreError::from_write(error, "a booking with this idempotency key"))?;
        let booking = evaluation.new_record(request, corridor_domain::BookingId(id), now);
        // Its mail needs the id in its text and calendar, so it follows the insert; this path
        // is the writer's fallback, where one more round trip does not matter.
        Self::notify_new_booking_in(transaction, &booking, evaluation.user_language, false, now)
            .await?;
        Ok(crate::bookings::BookingAttempt::Booked {
            booking,
            replayed: false,
        })
    }

    /// The textbook approach the benchmark compares against: no lock, the same checks and
    /// insert, and SERIALIZABLE isolation to catch the race, paid for with retries.
    #[cfg(feature = "bench-baselines")]
    async fn attempt_booking_serializable_in(
        transaction: &mut sqlx::Transaction<'_, sqlx::Postgres>,
        request: &crate::bookings::BookingRequest,
        now: jiff::Timestamp,
        context: &AuditContext,
    ) -> Result<crate::bookings::BookingAttempt, StoreError> {
        sqlx::query("SET TRANSACTION ISOLATION LEVEL SERIALIZABLE")
            .execute(&mut **transaction)
            .await?;
        Self::attempt_booking_unlocked_in(transaction, request, now, context).await
    }
}

/// The group-commit writer's database access. The batches run on a connection held outside
/// any pool: a pooled connection is pinged by sqlx every time it goes back to the pool, one
/// more round trip per batch that the next batch's `BEGIN` waited for (measured at 0.47 ms
/// per batch on average and 3.2 ms at the 99th percentile under the hammer).
struct PostgresGroupCommit {
    options: PgConnectOptions,
    /// `None` after a batch failed on a connection that no longer answers; the next batch
    /// opens a new one.
    connection: Option<sqlx::PgConnection>,
    fallback_pool: PgPool,
}

impl PostgresGroupCommit {
    async fn connection(&mut self) -> Result<&mut sqlx::PgConnection, StoreError> {
        let connection = match self.connection.take() {
            Some(connection) => connection,
            None => sqlx::Connection::connect_with(&self.options).await?,
        };
        Ok(self.connection.insert(connection))
    }
}

#[async_trait::async_trait]
impl crate::bookings::batch::GroupCommitEngine for PostgresGroupCommit {
    async fn run_together(
        &mut self,
        batch: &[crate::bookings::batch::BookingJob],
    ) -> Result<Vec<Result<crate::bookings::BookingAttempt, StoreError>>, StoreError> {
        let connection = self.connection().await?;
        let outcome = async {
            // Dropped on an error, the transaction rolls back (sent before the connection's
            // next statement).
            let mut transaction = sqlx::Connection::begin(&mut *connection).await?;
            let results =
                PostgresStore::attempt_bookings_together_in(&mut transaction, batch).await?;
            transaction.commit().await?;
            Ok(results)
        }
        .await;
        if outcome.is_err() && sqlx::Connection::ping(&mut *connection).await.is_err() {
            // A lost connection (the server restarted, say) is replaced for the next batch.
            self.connection = None;
        }
        outcome
    }

    /// With the retries of a lost race.
    async fn run_alone(
        &mut self,
        job: &crate::bookings::batch::BookingJob,
    ) -> Result<crate::bookings::BookingAttempt, StoreError> {
        PostgresStore::create_booking_alone_on(
            &self.fallback_pool,
            &job.request,
            job.now,
            &job.context,
            AloneAttempt::Locked,
        )
        .await
    }
}

/// Serialization failures, deadlocks and (for concurrent retries with one idempotency key)
/// unique violations are worth another try; the next try sees the winner's commit.
fn is_retryable(error: &StoreError) -> bool {
    match error {
        StoreError::Database(sqlx::Error::Database(database_error)) => matches!(
            database_error.code().as_deref(),
            Some("40001") | Some("40P01") | Some("23P01")
        ),
        StoreError::Conflict(_) => true,
        _ => false,
    }
}

crate::catalogue::sql::shared_store_impl!(PostgresStore, sqlx::Postgres);
crate::bookings::sql::shared_booking_impl!(PostgresStore, sqlx::Postgres);
crate::bookings::batch::shared_booking_batch_impl!(PostgresStore, sqlx::Postgres);
crate::bookings::notify_sql::shared_booking_notify_impl!(PostgresStore, sqlx::Postgres);
crate::bookings::store_sql::shared_booking_store_impl!(PostgresStore, sqlx::Postgres);
crate::ledger::sql::shared_ledger_impl!(PostgresStore, sqlx::Postgres);
crate::vouchers::sql::shared_voucher_impl!(PostgresStore, sqlx::Postgres);
crate::analytics::sql::shared_analytics_impl!(
    PostgresStore,
    sqlx::Postgres,
    "CAST(EXTRACT(EPOCH FROM (b.ends_at - b.starts_at)) / 60 AS BIGINT)"
);
crate::vouchers::history::shared_voucher_history_impl!(PostgresStore, sqlx::Postgres);
crate::vouchers::expiry::shared_voucher_expiry_impl!(PostgresStore, sqlx::Postgres);
crate::beamtime::proposals_sql::shared_facility_impl!(PostgresStore, sqlx::Postgres);
crate::beamtime::review_sql::shared_facility_review_impl!(PostgresStore, sqlx::Postgres);
crate::catalogue::import::shared_write_helpers!(PostgresStore, sqlx::Postgres);
crate::catalogue_import::sql::shared_catalogue_import_impl!(PostgresStore, sqlx::Postgres);
crate::mail_outbox::sql::shared_mail_outbox_impl!(PostgresStore, sqlx::Postgres);
crate::accounts::sql::shared_account_impl!(PostgresStore, sqlx::Postgres);
crate::roster::sql::shared_roster_impl!(PostgresStore, sqlx::Postgres);
crate::sso::sql::shared_sso_impl!(PostgresStore, sqlx::Postgres);
