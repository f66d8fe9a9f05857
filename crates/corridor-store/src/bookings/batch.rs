//! Group commit for booking attempts, on both engines.
//!
//! Every durable commit waits for the disk, and on PostgreSQL every statement is a round trip
//! and a slice of the server's CPU. Booking attempts that arrive together are therefore handed
//! to one writer per process, which decides and writes the whole batch in one transaction
//! with a fixed number of statements (lock the batch's instruments, read every attempt's facts
//! at once, insert the bookings, their audit events and change-log entries) and answers all
//! of them after the single commit. No attempt is acknowledged before the commit that holds
//! it is on disk.
//!
//! Attempts that need more than the facts row (an instrument with closures or a weekly quota,
//! a replayed idempotency key, a key repeated inside the batch, joining the waitlist) are run
//! one at a time after the batch's inserts, in the same transaction, through the ordinary
//! path, so they see the batch's bookings. If anything fails with an error, the caller rolls
//! the batch back and runs every attempt on its own.

use crate::bookings::{BookingAttempt, BookingRequest};
use crate::{AuditContext, StoreError};

/// A booking attempt waiting for the group-commit writer.
pub(crate) struct BookingJob {
    pub request: BookingRequest,
    pub now: jiff::Timestamp,
    pub context: AuditContext,
    pub reply: tokio::sync::oneshot::Sender<Result<BookingAttempt, StoreError>>,
}

/// At most this many attempts share one commit; more would only delay the first of them.
pub(crate) const GROUP_COMMIT_MAX_ATTEMPTS: usize = 128;

/// One engine's two ways of running attempts; the writer tries the first and falls back to
/// the second.
#[async_trait::async_trait]
pub(crate) trait GroupCommitEngine: Send {
    /// The whole batch in one transaction (`attempt_bookings_together_in`), committed once.
    /// An `Err` means nothing of the batch was committed.
    async fn run_together(
        &mut self,
        batch: &[BookingJob],
    ) -> Result<Vec<Result<BookingAttempt, StoreError>>, StoreError>;
    /// One attempt in a transaction of its own.
    async fn run_alone(&mut self, job: &BookingJob) -> Result<BookingAttempt, StoreError>;
}

/// Starts the writer on a thread of its own with a single-threaded runtime: each of its
/// statements awaits the database, and on the shared runtime every one of those awaits would
/// queue behind the HTTP tasks, multiplying the time the writer holds its locks. `engine`
/// is built on that runtime (a PostgreSQL connection belongs to the runtime that opened it).
pub(crate) fn spawn_group_commit_writer<Engine, MakeEngine, Making>(
    thread_name: &str,
    make_engine: MakeEngine,
) -> Result<tokio::sync::mpsc::UnboundedSender<BookingJob>, StoreError>
where
    Engine: GroupCommitEngine + 'static,
    MakeEngine: FnOnce() -> Making + Send + 'static,
    Making: std::future::Future<Output = Result<Engine, StoreError>>,
{
    let (sender, jobs) = tokio::sync::mpsc::unbounded_channel();
    std::thread::Builder::new()
        .name(thread_name.to_owned())
        .spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a single-threaded runtime for the booking writer");
            runtime.block_on(async move {
                match make_engine().await {
                    Ok(engine) => run_group_commit_writer(engine, jobs).await,
                    Err(error) => refuse_every_job(jobs, &error.to_string()).await,
                }
            });
        })
        .map_err(|error| StoreError::Database(sqlx::Error::Io(error)))?;
    Ok(sender)
}

/// Hands one attempt to the writer and waits for its answer, which comes after the commit.
pub(crate) async fn book_through_group_commit(
    writer: &tokio::sync::mpsc::UnboundedSender<BookingJob>,
    request: &BookingRequest,
    now: jiff::Timestamp,
    context: &AuditContext,
) -> Result<BookingAttempt, StoreError> {
    let (reply, answer) = tokio::sync::oneshot::channel();
    let job = BookingJob {
        request: request.clone(),
        now,
        context: context.clone(),
        reply,
    };
    writer
        .send(job)
        .map_err(|_| StoreError::Database(sqlx::Error::PoolClosed))?;
    answer
        .await
        .map_err(|_| StoreError::Database(sqlx::Error::PoolClosed))?
}

/// Without a connection the writer cannot book; every attempt hears why.
async fn refuse_every_job(
    mut jobs: tokio::sync::mpsc::UnboundedReceiver<BookingJob>,
    message: &str,
) {
    while let Some(job) = jobs.recv().await {
        let _ = job
            .reply
            .send(Err(StoreError::Database(sqlx::Error::Protocol(format!(
                "the booking writer could not connect: {message}"
            )))));
    }
}

async fn run_group_commit_writer<Engine: GroupCommitEngine>(
    mut engine: Engine,
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
        let results = match engine.run_together(&batch).await {
            Ok(results) => results,
            Err(error) => {
                // Nothing of the batch was committed (a deadlock with another node's writer,
                // say): every attempt runs on its own, so that one failure cannot fail another.
                tracing::debug!(%error, attempts = batch.len(), "booking batch failed; running its attempts alone");
                let mut results = Vec::with_capacity(batch.len());
                for job in &batch {
                    results.push(engine.run_alone(job).await);
                }
                results
            }
        };
        tracing::debug!(
            attempts = batch.len(),
            micros = started.elapsed().as_micros() as u64,
            "booking batch committed"
        );
        for (job, result) in batch.into_iter().zip(results) {
            let _ = job.reply.send(result);
        }
    }
}

/// The number of rows a batch statement is written for: `rows` rounded up to a power of two,
/// the rest padding that matches nothing. A batch's statements then come in eight sizes, so
/// each connection prepares and plans each of them once and reuses it, where a statement
/// written for the exact count was parsed and planned anew for every batch (on PostgreSQL a
/// fifth of a batch's time, measured with `log_min_duration_statement`).
pub(crate) fn padded_len(rows: usize) -> usize {
    rows.max(1).next_power_of_two()
}

/// What the batch decided for one attempt from its facts row.
// The plans of one batch live for the batch only (at most 128 of them); boxing the answered
// variant would allocate once per refused attempt on the hottest path for no gain.
#[allow(clippy::large_enum_variant)]
pub(crate) enum BatchPlan<Evaluation> {
    Answered(Result<BookingAttempt, StoreError>),
    Book(Evaluation),
    /// Needs more than the facts row: run through the ordinary path after the inserts.
    OneByOne,
}

macro_rules! shared_booking_batch_impl {
    ($store:ty, $db:ty) => {
        impl $store {
            /// The one statement that reads every attempt's facts (`REQUEST_FACTS_COLUMNS` and
            /// the attempt's `ord`); an attempt whose instrument or user does not exist has no
            /// row.
            fn batch_facts_query(batch: &[crate::bookings::batch::BookingJob]) -> QueryBuilder<'_, $db> {
                let mut facts = QueryBuilder::<$db>::new("WITH a (ord, instrument_id, user_id, starts_at, ends_at, idempotency_key) AS (");
                // Padding rows name no instrument, so the join drops them.
                facts.push_values(0..crate::bookings::batch::padded_len(batch.len()), |mut row, ord| match batch.get(ord) {
                    Some(job) => {
                        row.push_bind(ord as i64)
                            .push_bind(Some(job.request.instrument.0))
                            .push_bind(Some(job.request.user.0))
                            .push_bind(Some(StoredInstant(job.request.range.start)))
                            .push_bind(Some(StoredInstant(job.request.range.end)))
                            .push_bind(job.request.idempotency_key.clone());
                    }
                    None => {
                        row.push_bind(-1_i64)
                            .push_bind(None::<i64>)
                            .push_bind(None::<i64>)
                            .push_bind(None::<StoredInstant>)
                            .push_bind(None::<StoredInstant>)
                            .push_bind(None::<String>);
                    }
                });
                facts.push(") ");
                facts.push(request_facts_columns("a.starts_at", "a.ends_at", "0", "a.idempotency_key"));
                // The batch is the outer loop: CROSS JOIN keeps SQLite's planner from
                // starting at the instruments. A withdrawn instrument gives no facts row,
                // so its attempts are answered "no instrument".
                facts.push(", a.ord FROM a CROSS JOIN instrument_calendars c JOIN instruments i ON i.id = c.instrument_id \
                    JOIN users u ON u.id = a.user_id JOIN institutions hi ON hi.id = u.home_institution_id \
                    JOIN cities hc ON hc.code = hi.city_code WHERE c.instrument_id = a.instrument_id \
                    AND i.withdrawn_at IS NULL");
                facts
            }

            /// Decides every attempt of `batch` from its facts row (`rows` as
            /// `batch_facts_query` returns them, in any order), in the batch's order: an
            /// attempt that overlaps one accepted before it in the batch is refused as if
            /// that one were stored.
            fn plan_batch(
                batch: &[crate::bookings::batch::BookingJob],
                rows: &[DbRow],
            ) -> Result<Vec<crate::bookings::batch::BatchPlan<RequestEvaluation>>, StoreError> {
                use crate::bookings::batch::BatchPlan;
                use std::collections::{HashMap, HashSet};

                let mut row_of_attempt: Vec<Option<&DbRow>> = vec![None; batch.len()];
                for row in rows {
                    let ord: i64 = row.try_get("ord")?;
                    if let Some(slot) = usize::try_from(ord).ok().and_then(|ord| row_of_attempt.get_mut(ord)) {
                        *slot = Some(row);
                    }
                }

                let mut plans = Vec::with_capacity(batch.len());
                let mut held: HashMap<i64, Vec<TimeRange>> = HashMap::new();
                let mut keys_in_batch: HashSet<(i64, &str)> = HashSet::new();
                for (job, row) in batch.iter().zip(&row_of_attempt) {
                    let request = &job.request;
                    let Some(row) = row else {
                        plans.push(BatchPlan::Answered(Err(StoreError::NotFound(format!("no instrument {} or no user {}", request.instrument.0, request.user.0)))));
                        continue;
                    };
                    if let Some(key) = request.idempotency_key.as_deref() {
                        if !keys_in_batch.insert((request.user.0, key)) {
                            plans.push(BatchPlan::OneByOne);
                            continue;
                        }
                    }
                    let evaluation = match evaluation_from_facts_row(row, request, None, job.now)? {
                        FactsVerdict::Complete(evaluation) => evaluation,
                        FactsVerdict::NeedsClosuresOrQuota { .. } => {
                            plans.push(BatchPlan::OneByOne);
                            continue;
                        }
                    };
                    if evaluation.replayed.is_some() {
                        plans.push(BatchPlan::OneByOne);
                    } else if let Some(denial) = evaluation.denial {
                        plans.push(BatchPlan::Answered(Ok(BookingAttempt::Denied(denial))));
                    } else if evaluation.slot_taken
                        || held.get(&request.instrument.0).is_some_and(|ranges| ranges.iter().any(|range| range.overlaps(&request.range)))
                    {
                        plans.push(if request.join_waitlist_if_taken {
                            BatchPlan::OneByOne
                        } else {
                            BatchPlan::Answered(Ok(BookingAttempt::SlotTaken { waitlisted: None }))
                        });
                    } else {
                        held.entry(request.instrument.0).or_default().push(request.range);
                        plans.push(BatchPlan::Book(evaluation));
                    }
                }

                Ok(plans)
            }

            /// Decides and writes `batch` inside `transaction` (which the caller commits), with
            /// a fixed number of statements for the attempts the facts row decides; answers
            /// each attempt in order. An `Err` leaves the transaction to be rolled back.
            pub(crate) async fn attempt_bookings_together_in(
                transaction: &mut WriteTransaction<'_>,
                batch: &[crate::bookings::batch::BookingJob],
            ) -> Result<Vec<Result<BookingAttempt, StoreError>>, StoreError> {
                use crate::bookings::batch::BatchPlan;
                use std::collections::HashMap;

                if batch.is_empty() {
                    return Ok(Vec::new());
                }
                if Self::BATCH_LOCKS_CALENDARS {
                    // Locked in id order, so that two writers (two server nodes) never wait
                    // on each other in a cycle.
                    let mut instruments: Vec<i64> = batch.iter().map(|job| job.request.instrument.0).collect();
                    instruments.sort_unstable();
                    instruments.dedup();
                    // Repeating an id in the list changes nothing and keeps the statement's
                    // text to a few sizes (see `padded_len`).
                    let last = instruments[instruments.len() - 1];
                    instruments.resize(crate::bookings::batch::padded_len(instruments.len()), last);
                    let mut lock = QueryBuilder::<$db>::new(
                        "UPDATE instrument_calendars SET booking_sequence = booking_sequence + 1 WHERE instrument_id IN (SELECT instrument_id FROM instrument_calendars WHERE instrument_id IN (",
                    );
                    let mut separated = lock.separated(", ");
                    for instrument in &instruments {
                        separated.push_bind(*instrument);
                    }
                    lock.push(") ORDER BY instrument_id FOR UPDATE)");
                    lock.build().execute(&mut **transaction).await?;
                }

                let rows = Self::batch_facts_query(batch).build().fetch_all(&mut **transaction).await?;
                let plans = Self::plan_batch(batch, &rows)?;

                let to_book: Vec<(&crate::bookings::batch::BookingJob, &RequestEvaluation)> = batch
                    .iter()
                    .zip(&plans)
                    .filter_map(|(job, plan)| match plan {
                        BatchPlan::Book(evaluation) => Some((job, evaluation)),
                        _ => None,
                    })
                    .collect();
                let mut booked_ids: HashMap<(i64, i64), BookingId> = HashMap::new();
                if !to_book.is_empty() {
                    const BOOKING_COLUMNS: &str = "instrument_id, user_id, starts_at, ends_at, status, user_class, hourly_rate_fen, price_fen, purpose, idempotency_key, created_at, updated_at";
                    let mut insert = QueryBuilder::<$db>::new(format!("WITH v ({BOOKING_COLUMNS}) AS ("));
                    insert.push_values(0..crate::bookings::batch::padded_len(to_book.len()), |mut row, index| match to_book.get(index) {
                        Some((job, evaluation)) => {
                            row.push_bind(Some(job.request.instrument.0))
                                .push_bind(Some(job.request.user.0))
                                .push_bind(Some(StoredInstant(job.request.range.start)))
                                .push_bind(Some(StoredInstant(job.request.range.end)))
                                .push_bind(Some(evaluation.status().as_code()))
                                .push_bind(Some(evaluation.user_class.as_code()))
                                .push_bind(Some(evaluation.hourly_rate.0))
                                .push_bind(Some(evaluation.price.0))
                                .push_bind(job.request.purpose.clone())
                                .push_bind(job.request.idempotency_key.clone())
                                .push_bind(Some(StoredInstant(job.now)))
                                .push_bind(Some(StoredInstant(job.now)));
                        }
                        None => {
                            row.push_bind(None::<i64>)
                                .push_bind(None::<i64>)
                                .push_bind(None::<StoredInstant>)
                                .push_bind(None::<StoredInstant>)
                                .push_bind(None::<&str>)
                                .push_bind(None::<&str>)
                                .push_bind(None::<i64>)
                                .push_bind(None::<i64>)
                                .push_bind(None::<String>)
                                .push_bind(None::<String>)
                                .push_bind(None::<StoredInstant>)
                                .push_bind(None::<StoredInstant>);
                        }
                    });
                    insert.push(format!(") INSERT INTO bookings ({BOOKING_COLUMNS}) SELECT {BOOKING_COLUMNS} FROM v WHERE v.instrument_id IS NOT NULL RETURNING id, instrument_id, starts_at"));
                    let inserted = insert
                        .build()
                        .fetch_all(&mut **transaction)
                        .await
                        .map_err(|error| StoreError::from_write(error, "a booking with this idempotency key"))?;
                    // The batch's bookings of one instrument never overlap, so the instrument
                    // and the start name each of them.
                    for row in &inserted {
                        let starts_at: StoredInstant = row.try_get("starts_at")?;
                        booked_ids.insert((row.try_get("instrument_id")?, starts_at.0.as_microsecond()), BookingId(row.try_get("id")?));
                    }
                    let occurred_at = StoredInstant(crate::now());
                    const AUDIT_COLUMNS: &str = "occurred_at, actor_user_id, action, subject, detail, client_address";
                    let mut audit = QueryBuilder::<$db>::new(format!("WITH v ({AUDIT_COLUMNS}) AS ("));
                    let mut missing = None;
                    audit.push_values(0..crate::bookings::batch::padded_len(to_book.len()), |mut row, index| match to_book.get(index) {
                        Some((job, evaluation)) => {
                            let key = (job.request.instrument.0, job.request.range.start.as_microsecond());
                            let id = booked_ids.get(&key).map_or_else(|| { missing = Some(key); 0 }, |id| id.0);
                            row.push_bind(Some(occurred_at))
                                .push_bind(job.context.actor.map(|user| user.0))
                                .push_bind(Some("booking.created"))
                                .push_bind(Some(format!("booking:{id}")))
                                .push_bind(Some(booking_created_detail(&job.request, evaluation).to_string()))
                                .push_bind(job.context.client_address.clone());
                        }
                        None => {
                            row.push_bind(None::<StoredInstant>)
                                .push_bind(None::<i64>)
                                .push_bind(None::<&str>)
                                .push_bind(None::<String>)
                                .push_bind(None::<String>)
                                .push_bind(None::<String>);
                        }
                    });
                    if let Some((instrument, start)) = missing {
                        return Err(StoreError::corrupt(format!("the batch insert returned no booking for instrument {instrument} at {start}")));
                    }
                    audit.push(format!(") INSERT INTO audit_events ({AUDIT_COLUMNS}) SELECT {AUDIT_COLUMNS} FROM v WHERE v.occurred_at IS NOT NULL"));
                    audit.build().execute(&mut **transaction).await?;
                    // One entry per new booking (see `record_new_booking`).
                    let new_bookings: Vec<i64> = inserted.iter().map(|row| row.try_get("id")).collect::<Result<_, _>>()?;
                    const CHANGE_COLUMNS: &str = "entity, entity_id, operation, occurred_at";
                    let mut changes = QueryBuilder::<$db>::new(format!("WITH v ({CHANGE_COLUMNS}) AS ("));
                    changes.push_values(0..crate::bookings::batch::padded_len(new_bookings.len()), |mut row, index| match new_bookings.get(index) {
                        Some(booking) => {
                            row.push_bind(Some("booking")).push_bind(Some(*booking)).push_bind(Some("upsert")).push_bind(Some(occurred_at));
                        }
                        None => {
                            row.push_bind(None::<&str>).push_bind(None::<i64>).push_bind(None::<&str>).push_bind(None::<StoredInstant>);
                        }
                    });
                    changes.push(format!(") INSERT INTO change_log ({CHANGE_COLUMNS}) SELECT {CHANGE_COLUMNS} FROM v WHERE v.entity_id IS NOT NULL"));
                    changes.build().execute(&mut **transaction).await?;
                    // Each new booking's mail to its user, in the language the facts row read:
                    // one more multi-row insert, like the audit events and change-log entries.
                    let mut mails = Vec::with_capacity(to_book.len());
                    for (job, evaluation) in &to_book {
                        let id = booked_ids[&(job.request.instrument.0, job.request.range.start.as_microsecond())];
                        let booking = evaluation.new_record(&job.request, id, job.now);
                        mails.push(crate::bookings::notify_sql::new_booking_mail(&booking, evaluation.user_language, false)?);
                    }
                    Self::insert_booking_mails_in(transaction, &mails, occurred_at.0, "").await?;
                }

                let mut results = Vec::with_capacity(batch.len());
                for (job, plan) in batch.iter().zip(plans) {
                    let result = match plan {
                        BatchPlan::Answered(result) => result,
                        BatchPlan::Book(evaluation) => {
                            let id = booked_ids[&(job.request.instrument.0, job.request.range.start.as_microsecond())];
                            Ok(BookingAttempt::Booked { booking: evaluation.new_record(&job.request, id, job.now), replayed: false })
                        }
                        BatchPlan::OneByOne => match Self::attempt_booking_in(transaction, &job.request, job.now, &job.context).await {
                            // Refused before anything was written: the transaction is intact.
                            Err(error @ StoreError::NotFound(_)) => Err(error),
                            other => Ok(other?),
                        },
                    };
                    results.push(result);
                }
                Ok(results)
            }
        }
    };
}
pub(crate) use shared_booking_batch_impl;
