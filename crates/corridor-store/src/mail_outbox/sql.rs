//! `MailOutboxStore` for both engines: the same SQL, expanded per engine. Each engine supplies
//! `OUTBOX_CLAIM_LOCK_SUFFIX`, what the claim's candidate query ends with (PostgreSQL locks
//! the candidates and skips rows another claim has locked; SQLite's single writer needs
//! nothing).

/// Ids per `IN (…)` list when marking rows sent: far below either engine's parameter limit.
pub(crate) const OUTBOX_CHUNK_ROWS: usize = 500;

/// The longest error text kept on a row; the rest of a long SMTP transcript is cut off.
pub(crate) const LAST_ERROR_MAX_CHARS: usize = 2_000;

pub(crate) fn bounded_error(error: &str) -> String {
    error.chars().take(LAST_ERROR_MAX_CHARS).collect()
}

macro_rules! shared_mail_outbox_impl {
    ($store:ty, $db:ty) => {
        #[async_trait::async_trait]
        impl crate::mail_outbox::MailOutboxStore for $store {
            async fn queue_notifications(
                &self,
                notifications: &[crate::beamtime::NewNotification],
                now: jiff::Timestamp,
                context: &AuditContext,
            ) -> Result<Vec<i64>, StoreError> {
                use sqlx::Row;
                let mut transaction = self.begin_write().await?;
                let mut ids = Vec::with_capacity(notifications.len());
                for chunk in notifications.chunks(crate::mail_outbox::sql::OUTBOX_CHUNK_ROWS) {
                    let mut insert = sqlx::QueryBuilder::<$db>::new(
                        "INSERT INTO notifications (user_id, kind, subject, body, created_at) ",
                    );
                    insert.push_values(chunk, |mut row, notification| {
                        row.push_bind(notification.user.0)
                            .push_bind(notification.kind.clone())
                            .push_bind(notification.subject.clone())
                            .push_bind(notification.body.clone())
                            .push_bind(crate::timestamp::StoredInstant(now));
                    });
                    insert.push(" RETURNING id");
                    let rows = insert
                        .build()
                        .fetch_all(&mut *transaction)
                        .await
                        .map_err(|error| StoreError::from_write(error, "a notification"))?;
                    let mut chunk_ids = rows
                        .iter()
                        .map(|row| row.try_get::<i64, _>(0))
                        .collect::<Result<Vec<_>, _>>()?;
                    // RETURNING lists the rows in no promised order; ids grow with the VALUES
                    // list in both engines, so sorting gives them in the order given.
                    chunk_ids.sort_unstable();
                    ids.extend(chunk_ids);
                }
                Self::record_audit_event(
                    &mut transaction,
                    context,
                    "notifications.queued",
                    "notifications",
                    serde_json::json!({ "notifications": notifications.len() }),
                )
                .await?;
                transaction.commit().await?;
                Ok(ids)
            }

            async fn claim_due_notifications(
                &self,
                claim: &crate::mail_outbox::NotificationClaim,
                now: jiff::Timestamp,
            ) -> Result<Vec<crate::mail_outbox::ClaimedNotification>, StoreError> {
                use crate::timestamp::StoredInstant;
                use sqlx::Row;
                let lease_until = crate::timestamp::truncate_to_micros(
                    now.checked_add(claim.lease).map_err(|error| StoreError::InvalidReference {
                        field: "lease",
                        reason: error.to_string(),
                    })?,
                );
                let mut transaction = self.begin_write().await?;
                let candidates = sqlx::query(&format!(
                    "SELECT n.id, n.user_id, COALESCE(n.recipient_email, u.email) AS email, u.display_name, n.kind, n.subject, n.body, n.ics, n.created_at \
                     FROM notifications n JOIN users u ON u.id = n.user_id \
                     WHERE n.sent_at IS NULL AND n.gave_up_at IS NULL AND n.next_attempt_at <= $1 \
                       AND (n.lease_until IS NULL OR n.lease_until <= $1) \
                     ORDER BY n.next_attempt_at, n.id LIMIT $2{}",
                    Self::OUTBOX_CLAIM_LOCK_SUFFIX
                ))
                .bind(StoredInstant(now))
                .bind(i64::from(claim.limit))
                .fetch_all(&mut *transaction)
                .await?;
                if candidates.is_empty() {
                    transaction.rollback().await?;
                    return Ok(Vec::new());
                }
                let mut update = sqlx::QueryBuilder::<$db>::new("UPDATE notifications SET claimed_by = ");
                update
                    .push_bind(claim.claimer.clone())
                    .push(", lease_until = ")
                    .push_bind(StoredInstant(lease_until))
                    .push(", attempts = attempts + 1, message_id = COALESCE(message_id, '<notification-' || CAST(id AS TEXT) || '@' || ")
                    .push_bind(claim.message_id_host.clone())
                    // The claim's condition again: on PostgreSQL without the candidates'
                    // locks (or with a lock waited for), a row another claim took meanwhile
                    // is re-read here and left out, so correctness never rests on the lock.
                    .push(" || '>') WHERE sent_at IS NULL AND gave_up_at IS NULL AND (lease_until IS NULL OR lease_until <= ")
                    .push_bind(StoredInstant(now))
                    .push(") AND id IN (");
                let mut ids = update.separated(", ");
                for row in &candidates {
                    ids.push_bind(row.try_get::<i64, _>("id")?);
                }
                update.push(") RETURNING id, message_id, attempts");
                let claimed: std::collections::HashMap<i64, (String, i32)> = update
                    .build()
                    .fetch_all(&mut *transaction)
                    .await?
                    .iter()
                    .map(|row| {
                        Ok((
                            row.try_get::<i64, _>("id")?,
                            (row.try_get::<String, _>("message_id")?, row.try_get::<i32, _>("attempts")?),
                        ))
                    })
                    .collect::<Result<_, StoreError>>()?;
                transaction.commit().await?;
                let mut batch = Vec::with_capacity(claimed.len());
                for row in &candidates {
                    let id: i64 = row.try_get("id")?;
                    let Some((message_id, attempts)) = claimed.get(&id).cloned() else {
                        continue;
                    };
                    batch.push(crate::mail_outbox::ClaimedNotification {
                        id,
                        user: corridor_domain::UserId(row.try_get("user_id")?),
                        recipient_email: row.try_get("email")?,
                        recipient_name: row.try_get("display_name")?,
                        kind: row.try_get("kind")?,
                        subject: row.try_get("subject")?,
                        body: row.try_get("body")?,
                        ics: row.try_get("ics")?,
                        message_id,
                        attempts: attempts.max(0) as u32,
                        created_at: row.try_get::<StoredInstant, _>("created_at")?.0,
                        lease_until,
                    });
                }
                Ok(batch)
            }

            async fn mark_notifications_sent(
                &self,
                ids: &[i64],
                now: jiff::Timestamp,
            ) -> Result<u64, StoreError> {
                if ids.is_empty() {
                    return Ok(0);
                }
                let mut transaction = self.begin_write().await?;
                let mut changed = 0;
                for chunk in ids.chunks(crate::mail_outbox::sql::OUTBOX_CHUNK_ROWS) {
                    let mut update = sqlx::QueryBuilder::<$db>::new("UPDATE notifications SET sent_at = ");
                    update
                        .push_bind(crate::timestamp::StoredInstant(now))
                        .push(", claimed_by = NULL, lease_until = NULL WHERE sent_at IS NULL AND id IN (");
                    let mut separated = update.separated(", ");
                    for id in chunk {
                        separated.push_bind(*id);
                    }
                    update.push(")");
                    changed += update.build().execute(&mut *transaction).await?.rows_affected();
                }
                transaction.commit().await?;
                Ok(changed)
            }

            async fn mark_notification_failed(
                &self,
                id: i64,
                claimer: &str,
                error: &str,
                retry_at: jiff::Timestamp,
            ) -> Result<bool, StoreError> {
                let mut transaction = self.begin_write().await?;
                let changed = sqlx::query(
                    "UPDATE notifications SET last_error = $1, next_attempt_at = $2, claimed_by = NULL, lease_until = NULL \
                     WHERE id = $3 AND claimed_by = $4 AND sent_at IS NULL AND gave_up_at IS NULL",
                )
                .bind(crate::mail_outbox::sql::bounded_error(error))
                .bind(crate::timestamp::StoredInstant(crate::timestamp::truncate_to_micros(retry_at)))
                .bind(id)
                .bind(claimer)
                .execute(&mut *transaction)
                .await?
                .rows_affected();
                transaction.commit().await?;
                Ok(changed == 1)
            }

            async fn give_up_notification(
                &self,
                id: i64,
                claimer: &str,
                error: &str,
                now: jiff::Timestamp,
                context: &AuditContext,
            ) -> Result<bool, StoreError> {
                let mut transaction = self.begin_write().await?;
                let changed = sqlx::query(
                    "UPDATE notifications SET last_error = $1, gave_up_at = $2, claimed_by = NULL, lease_until = NULL \
                     WHERE id = $3 AND claimed_by = $4 AND sent_at IS NULL AND gave_up_at IS NULL",
                )
                .bind(crate::mail_outbox::sql::bounded_error(error))
                .bind(crate::timestamp::StoredInstant(now))
                .bind(id)
                .bind(claimer)
                .execute(&mut *transaction)
                .await?
                .rows_affected();
                if changed == 1 {
                    Self::record_audit_event(
                        &mut transaction,
                        context,
                        "notification.undeliverable",
                        &format!("notification:{id}"),
                        serde_json::json!({ "error": crate::mail_outbox::sql::bounded_error(error) }),
                    )
                    .await?;
                }
                transaction.commit().await?;
                Ok(changed == 1)
            }

            async fn undeliverable_notifications(
                &self,
                limit: u32,
            ) -> Result<Vec<crate::mail_outbox::UndeliverableNotification>, StoreError> {
                use crate::timestamp::StoredInstant;
                use sqlx::Row;
                let rows = sqlx::query(
                    "SELECT n.id, n.user_id, u.email, n.kind, n.subject, n.message_id, n.attempts, n.last_error, n.created_at, n.gave_up_at \
                     FROM notifications n JOIN users u ON u.id = n.user_id \
                     WHERE n.gave_up_at IS NOT NULL ORDER BY n.gave_up_at DESC, n.id DESC LIMIT $1",
                )
                .bind(i64::from(limit.min(1_000)))
                .fetch_all(self.read_pool())
                .await?;
                rows.iter()
                    .map(|row| {
                        Ok(crate::mail_outbox::UndeliverableNotification {
                            id: row.try_get("id")?,
                            user: corridor_domain::UserId(row.try_get("user_id")?),
                            recipient_email: row.try_get("email")?,
                            kind: row.try_get("kind")?,
                            subject: row.try_get("subject")?,
                            message_id: row.try_get("message_id")?,
                            attempts: row.try_get::<i32, _>("attempts")?.max(0) as u32,
                            last_error: row.try_get("last_error")?,
                            created_at: row.try_get::<StoredInstant, _>("created_at")?.0,
                            gave_up_at: row.try_get::<StoredInstant, _>("gave_up_at")?.0,
                        })
                    })
                    .collect()
            }

            async fn outbox_counts(&self) -> Result<crate::mail_outbox::OutboxCounts, StoreError> {
                let (pending, sent, given_up): (i64, i64, i64) = sqlx::query_as(
                    "SELECT \
                       CAST(COALESCE(SUM(CASE WHEN sent_at IS NULL AND gave_up_at IS NULL THEN 1 ELSE 0 END), 0) AS BIGINT), \
                       CAST(COALESCE(SUM(CASE WHEN sent_at IS NOT NULL THEN 1 ELSE 0 END), 0) AS BIGINT), \
                       CAST(COALESCE(SUM(CASE WHEN gave_up_at IS NOT NULL AND sent_at IS NULL THEN 1 ELSE 0 END), 0) AS BIGINT) \
                     FROM notifications",
                )
                .fetch_one(self.read_pool())
                .await?;
                Ok(crate::mail_outbox::OutboxCounts {
                    pending: crate::catalogue::sql::count(pending),
                    sent: crate::catalogue::sql::count(sent),
                    given_up: crate::catalogue::sql::count(given_up),
                })
            }
        }
    };
}
pub(crate) use shared_mail_outbox_impl;
