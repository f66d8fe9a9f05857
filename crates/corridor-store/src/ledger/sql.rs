//! The `LedgerStore` implementation both engines share. Engine differences are four items
//! each engine defines on its store: `LEDGER_LOCK_SUFFIX` (how a read locks the accounts),
//! `ledger_transfer_ids` (how ids are drawn), `READ_SNAPSHOT` (how a read sees one
//! consistent snapshot) and `replay_transfers_in` (how the replay reads every transfer).

/// Bound parameters per statement stay well below SQLite's 32,766 and PostgreSQL's 65,535.
pub(crate) const LEDGER_CHUNK_ROWS: usize = 1_000;

pub(crate) const TRANSFER_COLUMNS: &str = "t.id, t.transfer_key, t.kind, t.debit_account_id, t.credit_account_id, t.amount, t.pending_id, t.code, t.reference, t.created_at";

/// What became of a pending transfer, read with it: the kind of the transfer that resolved it.
pub(crate) const RESOLUTION_COLUMN: &str =
    "(SELECT r.kind FROM ledger_transfers r WHERE r.pending_id = t.id) AS resolution";

/// Every transfer in id order as six integers, for the replay: the kind travels as a small
/// integer (see [`replayed_transfer`]), since ten million strings would cost more than the
/// replay itself.
pub(crate) const REPLAY_TRANSFERS_SQL: &str = "SELECT id, CAST(CASE kind WHEN 'posted' THEN 0 WHEN 'pending' THEN 1 WHEN 'post_pending' THEN 2 ELSE 3 END AS BIGINT), \
     debit_account_id, credit_account_id, amount, pending_id FROM ledger_transfers ORDER BY id";

/// One row of [`REPLAY_TRANSFERS_SQL`] as the replay takes it.
pub(crate) fn replayed_transfer(
    row: [Option<i64>; 6],
) -> Result<corridor_domain::ledger::ReplayedTransfer, crate::StoreError> {
    use corridor_domain::ledger::{LedgerAccountId, ReplayedTransfer, TransferId, TransferKind};
    let [Some(id), Some(kind), Some(debit), Some(credit), Some(amount), pending] = row else {
        return Err(crate::StoreError::corrupt(format!(
            "a ledger transfer has a NULL where a value belongs: {row:?}"
        )));
    };
    Ok(ReplayedTransfer {
        id: TransferId(id),
        kind: match kind {
            0 => TransferKind::Posted,
            1 => TransferKind::Pending,
            2 => TransferKind::PostPending,
            _ => TransferKind::VoidPending,
        },
        debit_account: LedgerAccountId(debit),
        credit_account: LedgerAccountId(credit),
        amount,
        pending: pending.map(TransferId),
    })
}

pub(crate) const ACCOUNT_COLUMNS: &str = "id, code, owner, label, flags, debits_pending, debits_posted, credits_pending, credits_posted, created_at";

macro_rules! shared_ledger_impl {
    ($store:ty, $db:ty) => {
        mod ledger_rows {
            use corridor_domain::ledger::{
                AccountBalances, AccountFlags, LedgerAccount, LedgerAccountId, PendingState,
                Transfer, TransferId, TransferKey, TransferKind,
            };
            use corridor_domain::Fen;
            use sqlx::Row;

            use crate::catalogue::sql::stored;
            use crate::ledger::{LedgerAccountRecord, TransferRecord};
            use crate::timestamp::StoredInstant;
            use crate::StoreError;

            pub(super) type DbRow = <$db as sqlx::Database>::Row;

            pub(super) fn balances_from_row(row: &DbRow) -> Result<AccountBalances, StoreError> {
                Ok(AccountBalances {
                    debits_pending: row.try_get("debits_pending")?,
                    debits_posted: row.try_get("debits_posted")?,
                    credits_pending: row.try_get("credits_pending")?,
                    credits_posted: row.try_get("credits_posted")?,
                })
            }

            pub(super) fn account_from_row(row: &DbRow) -> Result<LedgerAccount, StoreError> {
                Ok(LedgerAccount {
                    id: LedgerAccountId(row.try_get("id")?),
                    flags: stored(AccountFlags::from_bits(row.try_get("flags")?))?,
                    balances: balances_from_row(row)?,
                })
            }

            pub(super) fn account_record_from_row(row: &DbRow) -> Result<LedgerAccountRecord, StoreError> {
                Ok(LedgerAccountRecord {
                    account: account_from_row(row)?,
                    code: row.try_get("code")?,
                    owner: row.try_get("owner")?,
                    label: row.try_get("label")?,
                    created_at: row.try_get::<StoredInstant, _>("created_at")?.0,
                })
            }

            pub(super) fn transfer_record_from_row(row: &DbRow) -> Result<TransferRecord, StoreError> {
                Ok(TransferRecord {
                    transfer: Transfer {
                        id: TransferId(row.try_get("id")?),
                        key: stored(TransferKey::parse(row.try_get("transfer_key")?))?,
                        kind: stored(TransferKind::parse(row.try_get("kind")?))?,
                        debit_account: LedgerAccountId(row.try_get("debit_account_id")?),
                        credit_account: LedgerAccountId(row.try_get("credit_account_id")?),
                        amount: Fen(row.try_get("amount")?),
                        pending: row.try_get::<Option<i64>, _>("pending_id")?.map(TransferId),
                        code: row.try_get("code")?,
                        reference: row.try_get("reference")?,
                    },
                    created_at: row.try_get::<StoredInstant, _>("created_at")?.0,
                })
            }

            pub(super) fn resolution_from_row(row: &DbRow) -> Result<Option<PendingState>, StoreError> {
                let resolution: Option<String> = row.try_get("resolution")?;
                Ok(match resolution.as_deref() {
                    None => None,
                    Some("post_pending") => Some(PendingState::Posted),
                    Some("void_pending") => Some(PendingState::Voided),
                    Some(other) => return Err(StoreError::corrupt(format!("a {other} transfer names a pending transfer"))),
                })
            }
        }

        impl $store {
            /// The transfers whose keys a batch names (its own keys and the pending keys it
            /// settles), with what became of each pending one.
            async fn ledger_known_transfers_in(
                transaction: &mut sqlx::Transaction<'_, $db>,
                keys: &[&str],
            ) -> Result<Vec<(corridor_domain::ledger::Transfer, Option<corridor_domain::ledger::PendingState>)>, StoreError> {
                let mut known = Vec::new();
                for chunk in keys.chunks(crate::ledger::sql::LEDGER_CHUNK_ROWS) {
                    let mut query = sqlx::QueryBuilder::<$db>::new(format!(
                        "SELECT {}, {} FROM ledger_transfers t WHERE t.transfer_key IN (",
                        crate::ledger::sql::TRANSFER_COLUMNS,
                        crate::ledger::sql::RESOLUTION_COLUMN
                    ));
                    let mut keys = query.separated(", ");
                    for key in chunk {
                        keys.push_bind(key.to_string());
                    }
                    query.push(")");
                    for row in query.build().fetch_all(&mut **transaction).await? {
                        let record = ledger_rows::transfer_record_from_row(&row)?;
                        known.push((record.transfer, ledger_rows::resolution_from_row(&row)?));
                    }
                }
                Ok(known)
            }

            /// Reads (and on PostgreSQL locks, in id order) the accounts a batch touches.
            async fn ledger_accounts_in(
                transaction: &mut sqlx::Transaction<'_, $db>,
                ids: &std::collections::BTreeSet<i64>,
            ) -> Result<Vec<corridor_domain::ledger::LedgerAccount>, StoreError> {
                let ids: Vec<i64> = ids.iter().copied().collect();
                let mut accounts = Vec::with_capacity(ids.len());
                for chunk in ids.chunks(crate::ledger::sql::LEDGER_CHUNK_ROWS) {
                    let mut query = sqlx::QueryBuilder::<$db>::new(format!(
                        "SELECT {} FROM ledger_accounts WHERE id IN (",
                        crate::ledger::sql::ACCOUNT_COLUMNS
                    ));
                    let mut list = query.separated(", ");
                    for id in chunk {
                        list.push_bind(*id);
                    }
                    query.push(") ORDER BY id");
                    query.push(Self::LEDGER_LOCK_SUFFIX);
                    for row in query.build().fetch_all(&mut **transaction).await? {
                        accounts.push(ledger_rows::account_from_row(&row)?);
                    }
                }
                Ok(accounts)
            }

            /// One attempt at a batch in its own transaction: apply, then record one audit
            /// event and commit. Returns `None` when another transaction inserted one of the
            /// batch's new keys first (only possible on PostgreSQL); the caller runs the batch
            /// again, and then finds it.
            async fn ledger_batch_once(
                &self,
                requests: &[corridor_domain::ledger::TransferRequest],
                now: jiff::Timestamp,
                context: &crate::AuditContext,
            ) -> Result<Option<Vec<Result<corridor_domain::ledger::TransferOutcome, corridor_domain::ledger::TransferRefusal>>>, StoreError> {
                use corridor_domain::ledger::TransferOutcome;

                let mut transaction = self.begin_write().await?;
                let Some(outcomes) = Self::ledger_apply_in(&mut transaction, requests, now).await? else {
                    return Ok(None);
                };
                let created: Vec<i64> = outcomes
                    .iter()
                    .filter_map(|outcome| match outcome {
                        Ok(TransferOutcome::Created(transfer)) => Some(transfer.id.0),
                        _ => None,
                    })
                    .collect();
                if created.is_empty() {
                    transaction.rollback().await?;
                    return Ok(Some(outcomes));
                }
                Self::record_audit_event(
                    &mut transaction,
                    context,
                    "ledger.transfers_created",
                    "ledger",
                    serde_json::json!({ "count": created.len(), "first_transfer_id": created.first(), "last_transfer_id": created.last() }),
                )
                .await?;
                transaction.commit().await?;
                Ok(Some(outcomes))
            }

            /// Applies a batch inside a transaction the caller owns and commits: read the
            /// transfers its keys name and the accounts it touches, decide in a `LedgerBook`,
            /// write the accepted transfers and the changed balances. `None` when a new key
            /// collided with a concurrent insert (the transaction is then unusable on
            /// PostgreSQL, and the caller starts over).
            pub(crate) async fn ledger_apply_in(
                transaction: &mut sqlx::Transaction<'_, $db>,
                requests: &[corridor_domain::ledger::TransferRequest],
                now: jiff::Timestamp,
            ) -> Result<Option<Vec<Result<corridor_domain::ledger::TransferOutcome, corridor_domain::ledger::TransferRefusal>>>, StoreError> {
                use corridor_domain::ledger::{LedgerBook, TransferId, TransferOutcome};

                let mut keys: Vec<&str> = requests.iter().map(|request| request.key().as_str()).collect();
                keys.extend(requests.iter().filter_map(|request| request.pending_key()).map(|key| key.as_str()));
                keys.sort_unstable();
                keys.dedup();

                let known = Self::ledger_known_transfers_in(transaction, &keys).await?;
                let mut account_ids = std::collections::BTreeSet::new();
                for request in requests {
                    if let Some((debit, credit)) = request.named_accounts() {
                        account_ids.insert(debit.0);
                        account_ids.insert(credit.0);
                    }
                }
                for (transfer, _) in &known {
                    account_ids.insert(transfer.debit_account.0);
                    account_ids.insert(transfer.credit_account.0);
                }
                let accounts = Self::ledger_accounts_in(transaction, &account_ids).await?;
                // Under the account locks, what became of the pending transfers is current:
                // whoever settles one must hold the same locks.
                let known = if Self::LEDGER_LOCK_SUFFIX.is_empty() {
                    known
                } else {
                    Self::ledger_known_transfers_in(transaction, &keys).await?
                };

                let mut book = LedgerBook::new();
                for account in accounts {
                    book.insert_account(account);
                }
                for (transfer, state) in known {
                    book.insert_existing_transfer(transfer, state);
                }
                let ids = Self::ledger_transfer_ids(transaction, requests.len()).await?;
                let mut outcomes = Vec::with_capacity(requests.len());
                let mut created = Vec::new();
                for (request, id) in requests.iter().zip(ids) {
                    let outcome = book.apply(request, TransferId(id));
                    if let Ok(TransferOutcome::Created(transfer)) = &outcome {
                        created.push(transfer.clone());
                    }
                    outcomes.push(outcome);
                }
                if created.is_empty() {
                    return Ok(Some(outcomes));
                }

                for chunk in created.chunks(crate::ledger::sql::LEDGER_CHUNK_ROWS) {
                    let mut insert = sqlx::QueryBuilder::<$db>::new(
                        "INSERT INTO ledger_transfers (id, transfer_key, kind, debit_account_id, credit_account_id, amount, pending_id, code, reference, created_at) ",
                    );
                    insert.push_values(chunk, |mut row, transfer| {
                        row.push_bind(transfer.id.0)
                            .push_bind(transfer.key.as_str().to_owned())
                            .push_bind(transfer.kind.as_code())
                            .push_bind(transfer.debit_account.0)
                            .push_bind(transfer.credit_account.0)
                            .push_bind(transfer.amount.0)
                            .push_bind(transfer.pending.map(|pending| pending.0))
                            .push_bind(transfer.code.clone())
                            .push_bind(transfer.reference.clone())
                            .push_bind(crate::timestamp::StoredInstant(now));
                    });
                    if let Err(error) = insert.build().execute(&mut **transaction).await {
                        if let sqlx::Error::Database(database_error) = &error {
                            if database_error.is_unique_violation() {
                                return Ok(None);
                            }
                        }
                        return Err(error.into());
                    }
                }

                let touched: Vec<corridor_domain::ledger::LedgerAccount> = book.touched_accounts().copied().collect();
                for chunk in touched.chunks(crate::ledger::sql::LEDGER_CHUNK_ROWS) {
                    let mut update = sqlx::QueryBuilder::<$db>::new(
                        "WITH changed (id, debits_pending, debits_posted, credits_pending, credits_posted) AS (",
                    );
                    update.push_values(chunk, |mut row, account| {
                        row.push("CAST(").push_bind_unseparated(account.id.0).push_unseparated(" AS BIGINT)")
                            .push("CAST(").push_bind_unseparated(account.balances.debits_pending).push_unseparated(" AS BIGINT)")
                            .push("CAST(").push_bind_unseparated(account.balances.debits_posted).push_unseparated(" AS BIGINT)")
                            .push("CAST(").push_bind_unseparated(account.balances.credits_pending).push_unseparated(" AS BIGINT)")
                            .push("CAST(").push_bind_unseparated(account.balances.credits_posted).push_unseparated(" AS BIGINT)");
                    });
                    update.push(
                        ") UPDATE ledger_accounts SET debits_pending = changed.debits_pending, debits_posted = changed.debits_posted, \
                         credits_pending = changed.credits_pending, credits_posted = changed.credits_posted \
                         FROM changed WHERE ledger_accounts.id = changed.id",
                    );
                    let updated = update.build().execute(&mut **transaction).await?;
                    if updated.rows_affected() != chunk.len() as u64 {
                        return Err(StoreError::corrupt("a ledger account vanished inside its own transaction"));
                    }
                }

                Ok(Some(outcomes))
            }
        }

        #[async_trait::async_trait]
        impl crate::ledger::LedgerStore for $store {
            async fn create_ledger_accounts(
                &self,
                accounts: &[crate::ledger::NewLedgerAccount],
                context: &crate::AuditContext,
            ) -> Result<Vec<corridor_domain::ledger::LedgerAccountId>, StoreError> {
                let mut transaction = self.begin_write().await?;
                let mut ids = Vec::with_capacity(accounts.len());
                let now = crate::timestamp::StoredInstant(crate::now());
                for account in accounts {
                    if account.code.is_empty() || account.label.trim().is_empty() {
                        return Err(StoreError::InvalidReference { field: "code", reason: "a ledger account needs a code and a label".into() });
                    }
                    let id: i64 = sqlx::query_scalar(
                        "INSERT INTO ledger_accounts (code, owner, label, flags, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
                    )
                    .bind(&account.code)
                    .bind(account.owner.as_deref())
                    .bind(&account.label)
                    .bind(account.flags.to_bits())
                    .bind(now)
                    .fetch_one(&mut *transaction)
                    .await
                    .map_err(|error| StoreError::from_write(error, &format!("a {} account of {}", account.code, account.owner.as_deref().unwrap_or("nobody"))))?;
                    ids.push(corridor_domain::ledger::LedgerAccountId(id));
                }
                Self::record_audit_event(
                    &mut transaction,
                    context,
                    "ledger.accounts_created",
                    "ledger",
                    serde_json::json!({ "ids": ids.iter().map(|id| id.0).collect::<Vec<_>>() }),
                )
                .await?;
                transaction.commit().await?;
                Ok(ids)
            }

            async fn ledger_account(
                &self,
                id: corridor_domain::ledger::LedgerAccountId,
            ) -> Result<Option<crate::ledger::LedgerAccountRecord>, StoreError> {
                let row = sqlx::query(&format!("SELECT {} FROM ledger_accounts WHERE id = $1", crate::ledger::sql::ACCOUNT_COLUMNS))
                    .bind(id.0)
                    .fetch_optional(self.read_pool())
                    .await?;
                row.as_ref().map(ledger_rows::account_record_from_row).transpose()
            }

            async fn ledger_account_by_owner(
                &self,
                code: &str,
                owner: &str,
            ) -> Result<Option<crate::ledger::LedgerAccountRecord>, StoreError> {
                let row = sqlx::query(&format!("SELECT {} FROM ledger_accounts WHERE code = $1 AND owner = $2", crate::ledger::sql::ACCOUNT_COLUMNS))
                    .bind(code)
                    .bind(owner)
                    .fetch_optional(self.read_pool())
                    .await?;
                row.as_ref().map(ledger_rows::account_record_from_row).transpose()
            }

            async fn create_transfers(
                &self,
                requests: &[corridor_domain::ledger::TransferRequest],
                now: jiff::Timestamp,
                context: &crate::AuditContext,
            ) -> Result<Vec<Result<corridor_domain::ledger::TransferOutcome, corridor_domain::ledger::TransferRefusal>>, StoreError> {
                let mut outcomes = Vec::with_capacity(requests.len());
                for batch in requests.chunks(crate::ledger::LEDGER_BATCH_MAX_TRANSFERS) {
                    let mut attempts = 0;
                    loop {
                        attempts += 1;
                        if let Some(answered) = self.ledger_batch_once(batch, now, context).await? {
                            outcomes.extend(answered);
                            break;
                        }
                        if attempts >= 5 {
                            return Err(StoreError::Conflict("the same transfer keys kept arriving concurrently; retry".into()));
                        }
                    }
                }
                Ok(outcomes)
            }

            async fn transfers_of_account(
                &self,
                account: corridor_domain::ledger::LedgerAccountId,
                page: crate::PageRequest,
            ) -> Result<crate::Page<crate::ledger::TransferRecord>, StoreError> {
                let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM ledger_transfers WHERE debit_account_id = $1 OR credit_account_id = $1")
                    .bind(account.0)
                    .fetch_one(self.read_pool())
                    .await?;
                let rows = sqlx::query(&format!(
                    "SELECT {} FROM ledger_transfers t WHERE (t.debit_account_id = $1 OR t.credit_account_id = $1) AND t.id < $2 ORDER BY t.id DESC LIMIT $3",
                    crate::ledger::sql::TRANSFER_COLUMNS
                ))
                .bind(account.0)
                .bind(page.after.unwrap_or(i64::MAX))
                .bind(i64::from(page.limit.get()))
                .fetch_all(self.read_pool())
                .await?;
                let items = rows.iter().map(ledger_rows::transfer_record_from_row).collect::<Result<Vec<_>, _>>()?;
                Ok(crate::Page::from_items(total.max(0) as u64, items, page.limit, |record| record.transfer.id.0))
            }

            async fn transfers_by_reference(&self, reference: &str) -> Result<Vec<crate::ledger::TransferRecord>, StoreError> {
                let rows = sqlx::query(&format!("SELECT {} FROM ledger_transfers t WHERE t.reference = $1 ORDER BY t.id", crate::ledger::sql::TRANSFER_COLUMNS))
                    .bind(reference)
                    .fetch_all(self.read_pool())
                    .await?;
                rows.iter().map(ledger_rows::transfer_record_from_row).collect()
            }

            async fn reconcile_ledger(&self) -> Result<crate::ledger::LedgerReconciliation, StoreError> {
                use corridor_domain::ledger::LedgerReplay;

                let mut transaction = self.read_pool().begin().await?;
                if let Some(snapshot) = Self::READ_SNAPSHOT {
                    sqlx::query(snapshot).execute(&mut *transaction).await?;
                }
                let rows = sqlx::query(&format!("SELECT {} FROM ledger_accounts ORDER BY id", crate::ledger::sql::ACCOUNT_COLUMNS))
                    .fetch_all(&mut *transaction)
                    .await?;
                let stored_accounts = rows.iter().map(ledger_rows::account_from_row).collect::<Result<Vec<_>, _>>()?;
                let mut replay = LedgerReplay::new(stored_accounts.iter().map(|account| (account.id, account.flags)));
                let fault = Self::replay_transfers_in(&mut transaction, &mut replay).await?;
                transaction.rollback().await?;
                let mismatched_accounts = stored_accounts
                    .iter()
                    .filter_map(|account| {
                        let replayed = replay.balances_of(account.id).unwrap_or_default();
                        (replayed != account.balances).then_some((account.id, account.balances, replayed))
                    })
                    .collect();
                let totals = replay.totals();
                Ok(crate::ledger::LedgerReconciliation {
                    accounts: stored_accounts.len() as u64,
                    transfers: replay.transfers_applied(),
                    open_pending_transfers: replay.open_pending_count() as u64,
                    totals,
                    balanced: totals.debits_posted == totals.credits_posted && totals.debits_pending == totals.credits_pending,
                    mismatched_accounts,
                    fault,
                })
            }

            async fn count_overdrawn_accounts(&self) -> Result<u64, StoreError> {
                let overdrawn: i64 = sqlx::query_scalar(
                    "SELECT COUNT(*) FROM ledger_accounts a WHERE (a.flags & 1) = 1 AND \
                     (SELECT COALESCE(SUM(t.amount), 0) FROM ledger_transfers t WHERE t.debit_account_id = a.id AND \
                        (t.kind IN ('posted', 'post_pending') OR (t.kind = 'pending' AND NOT EXISTS (SELECT 1 FROM ledger_transfers r WHERE r.pending_id = t.id)))) \
                     > (SELECT COALESCE(SUM(t.amount), 0) FROM ledger_transfers t WHERE t.credit_account_id = a.id AND t.kind IN ('posted', 'post_pending'))",
                )
                .fetch_one(self.read_pool())
                .await?;
                Ok(overdrawn.max(0) as u64)
            }
        }
    };
}
pub(crate) use shared_ledger_impl;
