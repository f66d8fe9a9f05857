//! Expiring vouchers and summing programmes, shared by both engines and expanded next to
//! `shared_voucher_impl!` (same module: it uses that macro's helpers). See
//! `VoucherStore::expire_vouchers` and `VoucherStore::voucher_programme_totals`.

macro_rules! shared_voucher_expiry_impl {
    ($store:ty, $db:ty) => {
        impl $store {
            /// `VoucherStore::voucher_programme_totals`: held is the vouchers' pending debits,
            /// redeemed the posted settlements of their holds, returned the expiry transfers.
            async fn voucher_programme_totals_by_sql(
                &self,
            ) -> Result<Vec<crate::vouchers::ProgrammeTotals>, StoreError> {
                let rows: Vec<(i64, i64, i64, i64, i64, i64)> = sqlx::query_as(
                    "SELECT w.programme_id, COUNT(*), CAST(SUM(w.amount_fen) AS BIGINT), \
                     CAST(SUM(a.debits_pending) AS BIGINT), \
                     CAST(COALESCE(SUM((SELECT SUM(CASE WHEN t.debit_account_id = w.account_id THEN t.amount ELSE -t.amount END) \
                         FROM ledger_transfers t \
                         WHERE (t.debit_account_id = w.account_id OR t.credit_account_id = w.account_id) \
                           AND ((t.kind = 'post_pending' AND t.code = 'voucher.redeem') \
                             OR (t.kind = 'posted' AND t.code = 'voucher.correction')))), 0) AS BIGINT), \
                     CAST(COALESCE(SUM((SELECT SUM(t.amount) FROM ledger_transfers t \
                         WHERE t.debit_account_id = w.account_id AND t.kind = 'posted' AND t.code = 'voucher.expire')), 0) AS BIGINT) \
                     FROM vouchers w JOIN ledger_accounts a ON a.id = w.account_id \
                     GROUP BY w.programme_id ORDER BY w.programme_id",
                )
                .fetch_all(self.read_pool())
                .await?;
                Ok(rows
                    .into_iter()
                    .map(|(programme, vouchers, issued, held, redeemed, returned)| {
                        crate::vouchers::ProgrammeTotals {
                            programme: corridor_domain::voucher::VoucherProgrammeId(programme),
                            vouchers: crate::catalogue::sql::count(vouchers),
                            issued: corridor_domain::Fen(issued),
                            held: corridor_domain::Fen(held),
                            redeemed: corridor_domain::Fen(redeemed),
                            returned: corridor_domain::Fen(returned),
                        }
                    })
                    .collect())
            }

            /// One transaction for every voucher that expires; see
            /// `VoucherStore::expire_vouchers`.
            async fn expire_vouchers_whole(
                &self,
                today: jiff::civil::Date,
                now: jiff::Timestamp,
                context: &crate::AuditContext,
            ) -> Result<crate::vouchers::VoucherExpiry, StoreError> {
                use corridor_domain::ledger::{Movement, TransferKey, TransferRequest};
                use corridor_domain::voucher::{VoucherId, VOUCHER_CLAIM_GRACE_DAYS};
                let mut expiry = crate::vouchers::VoucherExpiry::default();
                // Dates are stored as YYYY-MM-DD, so text order is date order; the domain's
                // rule decides for each candidate.
                let cutoff = today
                    .checked_sub(jiff::Span::new().days(VOUCHER_CLAIM_GRACE_DAYS))
                    .map_err(StoreError::corrupt)?;
                let mut transaction = self.begin_write().await?;
                let candidates: Vec<(i64,)> = sqlx::query_as(
                    "SELECT w.id FROM vouchers w JOIN voucher_programmes p ON p.id = w.programme_id \
                     WHERE w.expired_at IS NULL AND p.valid_until < $1 ORDER BY w.id",
                )
                .bind(cutoff.to_string())
                .fetch_all(&mut *transaction)
                .await?;
                for (voucher_id,) in candidates {
                    let voucher = Self::voucher_in(&mut transaction, VoucherId(voucher_id))
                        .await?
                        .ok_or_else(|| StoreError::corrupt("a voucher vanished inside its transaction"))?;
                    if !voucher.programme.has_expired_by(today) {
                        continue;
                    }
                    // Release every hold still open on a booking the voucher pays for.
                    let bookings: Vec<(i64,)> = sqlx::query_as("SELECT booking_id FROM booking_voucher_payments WHERE voucher_id = $1 ORDER BY booking_id")
                        .bind(voucher_id)
                        .fetch_all(&mut *transaction)
                        .await?;
                    let mut released = 0u64;
                    for (booking,) in bookings {
                        let booking = corridor_domain::BookingId(booking);
                        let Some(payment) = Self::voucher_payment_in(&mut transaction, booking).await? else { continue };
                        if payment.state != crate::vouchers::VoucherPaymentState::Held {
                            continue;
                        }
                        let release = TransferRequest::VoidPending {
                            key: TransferKey::parse(&format!("booking:{}:voucher-release", booking.0)).map_err(StoreError::corrupt)?,
                            pending: TransferKey::parse(&crate::vouchers::sql::hold_key(booking)).map_err(StoreError::corrupt)?,
                            code: "voucher.expire_release".into(),
                        };
                        Self::voucher_transfer_in(&mut transaction, release, now)
                            .await?
                            .map_err(|refusal| StoreError::corrupt(format!("releasing the hold of booking {} at expiry was refused: {refusal}", booking.0)))?;
                        released += 1;
                    }
                    // What is left goes back to the programme's budget.
                    let left = Self::voucher_in(&mut transaction, VoucherId(voucher_id))
                        .await?
                        .ok_or_else(|| StoreError::corrupt("a voucher vanished inside its transaction"))?
                        .available();
                    if left.0 > 0 {
                        let record = Self::programme_in(&mut transaction, voucher.programme.id, true)
                            .await?
                            .ok_or_else(|| StoreError::corrupt("a voucher's programme is missing"))?;
                        let give_back = TransferRequest::Posted(Movement {
                            key: TransferKey::parse(&format!("voucher:{voucher_id}:expire")).map_err(StoreError::corrupt)?,
                            debit_account: voucher.account,
                            credit_account: record.budget_account,
                            amount: left,
                            code: "voucher.expire".into(),
                            reference: Some(format!("voucher:{voucher_id}")),
                        });
                        Self::voucher_transfer_in(&mut transaction, give_back, now)
                            .await?
                            .map_err(|refusal| StoreError::corrupt(format!("returning voucher {voucher_id}'s balance at expiry was refused: {refusal}")))?;
                    }
                    sqlx::query("UPDATE vouchers SET expired_at = $1 WHERE id = $2")
                        .bind(crate::timestamp::StoredInstant(now))
                        .bind(voucher_id)
                        .execute(&mut *transaction)
                        .await?;
                    Self::record_audit_event(
                        &mut transaction,
                        context,
                        "voucher.expired",
                        &format!("voucher:{voucher_id}"),
                        serde_json::json!({ "holds_released": released, "returned_fen": left.0, "programme_id": voucher.programme.id.0 }),
                    )
                    .await?;
                    expiry.vouchers += 1;
                    expiry.holds_released += released;
                    expiry.returned = corridor_domain::Fen(expiry.returned.0 + left.0);
                }
                transaction.commit().await?;
                Ok(expiry)
            }
        }
    };
}
pub(crate) use shared_voucher_expiry_impl;
