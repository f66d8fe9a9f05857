//! Importing a demo region's voucher history, shared by both engines and expanded next to
//! `shared_voucher_impl!` (same module: it uses that macro's helpers). Split from
//! `voucher_sql.rs` only to keep each file readable.

macro_rules! shared_voucher_history_impl {
    ($store:ty, $db:ty) => {
        impl $store {
            /// One transaction for the whole history; see `VoucherStore::import_voucher_history`.
            async fn import_voucher_history_whole(&self, grants: &[crate::vouchers::HistoricalVoucherGrant]) -> Result<u64, StoreError> {
                use corridor_domain::ledger::{AccountFlags, Movement, TransferKey, TransferRequest};
                use corridor_domain::voucher::RedemptionMode;
                let mut transaction = self.begin_write().await?;
                let region_zone = Self::region_zone_in(&mut transaction).await?;
                let mut paid = 0u64;
                for grant in grants {
                    let record = Self::programme_in(&mut transaction, grant.programme, false)
                        .await?
                        .ok_or_else(|| StoreError::NotFound(format!("no voucher programme {}", grant.programme.0)))?;
                    if record.budget_available.0 < grant.amount.0 {
                        continue;
                    }
                    let account = Self::new_ledger_account_in(&mut transaction, "voucher", &format!("Voucher of institution {} from {}", grant.enterprise.0, record.programme.name_en), AccountFlags::NO_OVERDRAFT, grant.issued_at).await?;
                    let voucher_id: i64 = sqlx::query_scalar("INSERT INTO vouchers (programme_id, enterprise_id, amount_fen, account_id, issued_at) VALUES ($1, $2, $3, $4, $5) RETURNING id")
                        .bind(grant.programme.0)
                        .bind(grant.enterprise.0)
                        .bind(grant.amount.0)
                        .bind(account.0)
                        .bind(crate::timestamp::StoredInstant(grant.issued_at))
                        .fetch_one(&mut *transaction)
                        .await?;
                    sqlx::query(
                        "INSERT INTO voucher_applications (programme_id, enterprise_id, applicant_user_id, requested_fen, purpose, status, created_at, decided_at, decision_note, voucher_id) \
                         VALUES ($1, $2, $3, $4, 'Testing and analysis services', 'approved', $5, $5, 'imported history', $6)",
                    )
                    .bind(grant.programme.0)
                    .bind(grant.enterprise.0)
                    .bind(grant.applicant.0)
                    .bind(grant.amount.0)
                    .bind(crate::timestamp::StoredInstant(grant.issued_at))
                    .bind(voucher_id)
                    .execute(&mut *transaction)
                    .await?;
                    let issue = TransferRequest::Posted(Movement {
                        key: TransferKey::parse(&format!("voucher:{voucher_id}:issue")).map_err(StoreError::corrupt)?,
                        debit_account: record.budget_account,
                        credit_account: account,
                        amount: grant.amount,
                        code: "voucher.issue".into(),
                        reference: Some(format!("voucher:{voucher_id}")),
                    });
                    Self::voucher_transfer_in(&mut transaction, issue, grant.issued_at)
                        .await?
                        .map_err(|refusal| StoreError::corrupt(format!("issuing a historical voucher was refused: {refusal}")))?;
                    let mut available = grant.amount;
                    for (instrument, user, starts_at) in &grant.bookings {
                        let row: Option<(i64, i64, Option<i64>, i64, String, String, crate::timestamp::StoredInstant, crate::timestamp::StoredInstant, String)> = sqlx::query_as(
                            "SELECT b.id, b.price_fen, b.charged_fen, i.institution_id, i.category_code, c.province_code, b.created_at, b.ends_at, b.status \
                             FROM bookings b JOIN instruments i ON i.id = b.instrument_id JOIN institutions p ON p.id = i.institution_id JOIN cities c ON c.code = p.city_code \
                             WHERE b.instrument_id = $1 AND b.user_id = $2 AND b.starts_at = $3 AND b.status IN ('completed', 'confirmed')",
                        )
                        .bind(instrument.0)
                        .bind(user.0)
                        .bind(crate::timestamp::StoredInstant(*starts_at))
                        .fetch_optional(&mut *transaction)
                        .await?;
                        let Some((booking, price, charged, provider, category, province, created_at, ends_at, status)) = row else { continue };
                        let category = crate::catalogue::sql::stored(corridor_domain::CategoryCode::parse(&category))?;
                        let province = crate::catalogue::sql::stored(corridor_domain::ProvinceCode::parse(&province))?;
                        let Ok(split) = corridor_domain::voucher::split_price(&record.programme, corridor_domain::Fen(price), available, &category, &province, crate::vouchers::sql::region_date(&region_zone, created_at.0)) else { continue };
                        if split.voucher_pays.0 <= 0 {
                            continue;
                        }
                        let claimant = match record.programme.redemption_mode {
                            RedemptionMode::ProviderRedeems => corridor_domain::InstitutionId(provider),
                            RedemptionMode::EnterpriseRedeems => grant.enterprise,
                        };
                        let claim_account = Self::ledger_account_for_owner_in(
                            &mut transaction,
                            "redemption_claim",
                            &format!("programme:{}:institution:{}", record.programme.id.0, claimant.0),
                            &format!("Claims of institution {} on {}", claimant.0, record.programme.name_en),
                            AccountFlags::NONE,
                            created_at.0,
                        )
                        .await?;
                        let booking_id = corridor_domain::BookingId(booking);
                        let hold_key = TransferKey::parse(&crate::vouchers::sql::hold_key(booking_id)).map_err(StoreError::corrupt)?;
                        let hold = TransferRequest::Pending(Movement {
                            key: hold_key.clone(),
                            debit_account: account,
                            credit_account: claim_account,
                            amount: split.voucher_pays,
                            code: "voucher.hold".into(),
                            reference: Some(format!("booking:{booking}")),
                        });
                        if Self::voucher_transfer_in(&mut transaction, hold, created_at.0).await?.is_err() {
                            continue;
                        }
                        if status == "confirmed" {
                            // Usage waits to be recorded: the hold stays, as it would live.
                            Self::insert_booking_voucher_payment_in(&mut transaction, booking, voucher_id, price, split.voucher_pays.0, claimant.0, claim_account.0, created_at).await?;
                            available = corridor_domain::Fen(available.0 - split.voucher_pays.0);
                            paid += 1;
                            continue;
                        }
                        let share = corridor_domain::voucher::settle_share(split.voucher_pays, split.price, corridor_domain::Fen(charged.unwrap_or(price)));
                        let settle = if share.0 > 0 {
                            TransferRequest::PostPending { key: TransferKey::parse(&format!("booking:{booking}:voucher-redeem")).map_err(StoreError::corrupt)?, pending: hold_key, amount: Some(share), code: "voucher.redeem".into() }
                        } else {
                            TransferRequest::VoidPending { key: TransferKey::parse(&format!("booking:{booking}:voucher-release")).map_err(StoreError::corrupt)?, pending: hold_key, code: "voucher.release".into() }
                        };
                        Self::voucher_transfer_in(&mut transaction, settle, ends_at.0)
                            .await?
                            .map_err(|refusal| StoreError::corrupt(format!("settling a historical hold was refused: {refusal}")))?;
                        Self::insert_booking_voucher_payment_in(&mut transaction, booking, voucher_id, price, split.voucher_pays.0, claimant.0, claim_account.0, created_at).await?;
                        available = corridor_domain::Fen(available.0 - share.0);
                        paid += 1;
                    }
                }
                Self::record_audit_event(&mut transaction, &crate::AuditContext::default(), "voucher.history_imported", "vouchers", serde_json::json!({ "grants": grants.len(), "bookings_paid": paid })).await?;
                transaction.commit().await?;
                Ok(paid)
            }

            /// Links an imported booking to the voucher that pays (or holds money) for it.
            #[allow(clippy::too_many_arguments)]
            async fn insert_booking_voucher_payment_in(
                transaction: &mut sqlx::Transaction<'_, $db>,
                booking: i64,
                voucher: i64,
                price_fen: i64,
                voucher_pays_fen: i64,
                claimant: i64,
                claim_account: i64,
                created_at: crate::timestamp::StoredInstant,
            ) -> Result<(), StoreError> {
                sqlx::query(
                    "INSERT INTO booking_voucher_payments (booking_id, voucher_id, price_fen, voucher_pays_fen, claimant_institution_id, claim_account_id, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(booking)
                .bind(voucher)
                .bind(price_fen)
                .bind(voucher_pays_fen)
                .bind(claimant)
                .bind(claim_account)
                .bind(created_at)
                .execute(&mut **transaction)
                .await?;
                Ok(())
            }
        }
    };
}
pub(crate) use shared_voucher_history_impl;
