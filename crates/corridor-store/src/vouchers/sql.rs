//! The `VoucherStore` implementation both engines share, expanded next to the ledger's (it
//! writes its transfers through `ledger_apply_in`, inside its own transactions).

pub(crate) const PROGRAMME_COLUMNS: &str = "p.id, p.province_code, p.name_en, p.name_zh, p.budget_fen, p.co_funding_percent, p.annual_cap_fen, \
    p.valid_from, p.valid_until, p.eligible_categories, p.provider_scope, p.redemption_mode, p.budget_account_id, p.created_at, \
    a.debits_pending AS budget_debits_pending, a.debits_posted AS budget_debits_posted, a.credits_posted AS budget_credits_posted";

pub(crate) const APPLICATION_SELECT: &str = "SELECT v.id, v.programme_id, v.enterprise_id, e.name_en AS enterprise_name_en, v.applicant_user_id, \
    v.requested_fen, v.purpose, v.status, v.created_at, v.decided_by, v.decided_at, v.decision_note, v.voucher_id \
    FROM voucher_applications v JOIN institutions e ON e.id = v.enterprise_id";

pub(crate) const VOUCHER_COLUMNS: &str =
    "w.id AS voucher_id, w.enterprise_id, w.amount_fen, w.account_id, w.issued_at, \
    wa.debits_pending, wa.debits_posted, wa.credits_pending, wa.credits_posted";

/// The ledger keys of a booking's voucher payment: derived from the booking, so a retry can
/// never hold, redeem or release twice.
pub(crate) fn hold_key(booking: corridor_domain::BookingId) -> String {
    format!("booking:{}:voucher-hold", booking.0)
}

/// The `LIKE` pattern of the keys of every transfer of a booking's voucher payment
/// (`booking:<id>:voucher-…`). A pattern rather than a key range: PostgreSQL compares text by
/// the database's collation, in which punctuation may not sort by its code.
pub(crate) fn booking_transfer_key_pattern(booking: corridor_domain::BookingId) -> String {
    format!("booking:{}:voucher-%", booking.0)
}

/// The calendar year (in the region's time zone) an instant falls in, as `[start, end)`.
pub(crate) fn year_bounds(
    zone: &jiff::tz::TimeZone,
    now: jiff::Timestamp,
) -> (jiff::Timestamp, jiff::Timestamp) {
    let zone = zone.clone();
    let year = now.to_zoned(zone.clone()).year();
    let start = jiff::civil::date(year, 1, 1)
        .to_zoned(zone.clone())
        .map(|zoned| zoned.timestamp())
        .unwrap_or(now);
    let end = jiff::civil::date(year + 1, 1, 1)
        .to_zoned(zone)
        .map(|zoned| zoned.timestamp())
        .unwrap_or(now);
    (start, end)
}

/// The region's civil date of an instant: what programme validity is judged by.
pub(crate) fn region_date(zone: &jiff::tz::TimeZone, now: jiff::Timestamp) -> jiff::civil::Date {
    now.to_zoned(zone.clone()).date()
}

/// The stored region's time zone (UTC while no region is stored), as the voucher rules judge
/// days and years by it. A database whose region predates the column (migration 0011, which
/// gave such regions its default) is read as in that default zone.
pub(crate) fn region_zone_of(
    stored: Option<Option<String>>,
) -> Result<jiff::tz::TimeZone, crate::StoreError> {
    let name = match stored {
        None => return Ok(jiff::tz::TimeZone::UTC),
        Some(None) => crate::catalogue::sql::ZONE_OF_REGIONS_BEFORE_THE_COLUMN.to_owned(),
        Some(Some(name)) => name,
    };
    Ok(crate::catalogue::sql::stored(corridor_domain::TimeZoneName::parse(&name))?.zone())
}

/// The statement that reads the region (its time zone, where the schema has the column).
pub(crate) const REGION_ZONE_SQL: &str = "SELECT * FROM region WHERE id = 1";

macro_rules! shared_voucher_impl {
    ($store:ty, $db:ty) => {
        mod voucher_rows {
            use corridor_domain::ledger::{AccountBalances, LedgerAccountId};
            use corridor_domain::voucher::{
                ApplicationStatus, ProviderScope, RedemptionMode, VoucherApplicationId, VoucherId,
                VoucherProgramme, VoucherProgrammeId,
            };
            use corridor_domain::{CategoryCode, Fen, InstitutionId, ProvinceCode, UserId};
            use sqlx::Row;

            use crate::catalogue::sql::{parse_json_list, stored};
            use crate::timestamp::StoredInstant;
            use crate::vouchers::{ProgrammeRecord, VoucherApplication};
            use crate::StoreError;

            pub(super) type DbRow = <$db as sqlx::Database>::Row;

            fn date(row: &DbRow, column: &str) -> Result<jiff::civil::Date, StoreError> {
                let text: String = row.try_get(column)?;
                text.parse().map_err(|error| StoreError::corrupt(format!("{column}: {error}")))
            }

            pub(super) fn programme_from_row(row: &DbRow) -> Result<ProgrammeRecord, StoreError> {
                let categories = parse_json_list(&row.try_get::<String, _>("eligible_categories")?, "eligible_categories")?
                    .iter()
                    .map(|code| stored(CategoryCode::parse(code)))
                    .collect::<Result<Vec<_>, _>>()?;
                let percent: i64 = row.try_get("co_funding_percent")?;
                let programme = VoucherProgramme {
                    id: VoucherProgrammeId(row.try_get("id")?),
                    province: stored(ProvinceCode::parse(row.try_get("province_code")?))?,
                    name_en: row.try_get("name_en")?,
                    name_zh: row.try_get("name_zh")?,
                    budget: Fen(row.try_get("budget_fen")?),
                    co_funding_percent: u8::try_from(percent).map_err(StoreError::corrupt)?,
                    annual_cap_per_enterprise: Fen(row.try_get("annual_cap_fen")?),
                    valid_from: date(row, "valid_from")?,
                    valid_until: date(row, "valid_until")?,
                    eligible_categories: categories,
                    provider_scope: stored(ProviderScope::parse(row.try_get("provider_scope")?))?,
                    redemption_mode: stored(RedemptionMode::parse(row.try_get("redemption_mode")?))?,
                };
                let debits_pending: i64 = row.try_get("budget_debits_pending")?;
                let debits_posted: i64 = row.try_get("budget_debits_posted")?;
                let credits_posted: i64 = row.try_get("budget_credits_posted")?;
                Ok(ProgrammeRecord {
                    programme,
                    budget_account: LedgerAccountId(row.try_get("budget_account_id")?),
                    budget_available: Fen(credits_posted - debits_posted - debits_pending),
                    issued: Fen(debits_posted),
                    created_at: row.try_get::<StoredInstant, _>("created_at")?.0,
                })
            }

            pub(super) fn application_from_row(row: &DbRow) -> Result<VoucherApplication, StoreError> {
                Ok(VoucherApplication {
                    id: VoucherApplicationId(row.try_get("id")?),
                    programme: VoucherProgrammeId(row.try_get("programme_id")?),
                    enterprise: InstitutionId(row.try_get("enterprise_id")?),
                    enterprise_name_en: row.try_get("enterprise_name_en")?,
                    applicant: UserId(row.try_get("applicant_user_id")?),
                    requested: Fen(row.try_get("requested_fen")?),
                    purpose: row.try_get("purpose")?,
                    status: stored(ApplicationStatus::parse(row.try_get("status")?))?,
                    created_at: row.try_get::<StoredInstant, _>("created_at")?.0,
                    decided_by: row.try_get::<Option<i64>, _>("decided_by")?.map(UserId),
                    decided_at: row.try_get::<Option<StoredInstant>, _>("decided_at")?.map(|instant| instant.0),
                    decision_note: row.try_get("decision_note")?,
                    voucher: row.try_get::<Option<i64>, _>("voucher_id")?.map(VoucherId),
                })
            }

            pub(super) fn voucher_parts_from_row(row: &DbRow) -> Result<(VoucherId, InstitutionId, Fen, LedgerAccountId, jiff::Timestamp, AccountBalances), StoreError> {
                Ok((
                    VoucherId(row.try_get("voucher_id")?),
                    InstitutionId(row.try_get("enterprise_id")?),
                    Fen(row.try_get("amount_fen")?),
                    LedgerAccountId(row.try_get("account_id")?),
                    row.try_get::<StoredInstant, _>("issued_at")?.0,
                    AccountBalances {
                        debits_pending: row.try_get("debits_pending")?,
                        debits_posted: row.try_get("debits_posted")?,
                        credits_pending: row.try_get("credits_pending")?,
                        credits_posted: row.try_get("credits_posted")?,
                    },
                ))
            }
        }

        impl $store {
            /// The account with this code and owner, created (with `flags`) when missing.
            async fn ledger_account_for_owner_in(
                transaction: &mut sqlx::Transaction<'_, $db>,
                code: &str,
                owner: &str,
                label: &str,
                flags: corridor_domain::ledger::AccountFlags,
                now: jiff::Timestamp,
            ) -> Result<corridor_domain::ledger::LedgerAccountId, StoreError> {
                sqlx::query(
                    "INSERT INTO ledger_accounts (code, owner, label, flags, created_at) VALUES ($1, $2, $3, $4, $5) \
                     ON CONFLICT (code, owner) WHERE owner IS NOT NULL DO NOTHING",
                )
                .bind(code)
                .bind(owner)
                .bind(label)
                .bind(flags.to_bits())
                .bind(crate::timestamp::StoredInstant(now))
                .execute(&mut **transaction)
                .await?;
                let id: i64 = sqlx::query_scalar("SELECT id FROM ledger_accounts WHERE code = $1 AND owner = $2")
                    .bind(code)
                    .bind(owner)
                    .fetch_one(&mut **transaction)
                    .await?;
                Ok(corridor_domain::ledger::LedgerAccountId(id))
            }

            /// A new account that only the row referring to it names.
            async fn new_ledger_account_in(
                transaction: &mut sqlx::Transaction<'_, $db>,
                code: &str,
                label: &str,
                flags: corridor_domain::ledger::AccountFlags,
                now: jiff::Timestamp,
            ) -> Result<corridor_domain::ledger::LedgerAccountId, StoreError> {
                let id: i64 = sqlx::query_scalar("INSERT INTO ledger_accounts (code, label, flags, created_at) VALUES ($1, $2, $3, $4) RETURNING id")
                    .bind(code)
                    .bind(label)
                    .bind(flags.to_bits())
                    .bind(crate::timestamp::StoredInstant(now))
                    .fetch_one(&mut **transaction)
                    .await?;
                Ok(corridor_domain::ledger::LedgerAccountId(id))
            }

            /// Applies one transfer the caller's logic requires; a refusal is returned for
            /// the caller to turn into its answer (and roll back).
            async fn voucher_transfer_in(
                transaction: &mut sqlx::Transaction<'_, $db>,
                request: corridor_domain::ledger::TransferRequest,
                now: jiff::Timestamp,
            ) -> Result<Result<corridor_domain::ledger::Transfer, corridor_domain::ledger::TransferRefusal>, StoreError> {
                let outcomes = Self::ledger_apply_in(transaction, std::slice::from_ref(&request), now)
                    .await?
                    .ok_or_else(|| StoreError::Conflict(format!("the transfer {} is being made concurrently; retry", request.key())))?;
                Ok(outcomes.into_iter().next().expect("one outcome per request").map(|outcome| outcome.transfer().clone()))
            }

            async fn programme_in(
                transaction: &mut sqlx::Transaction<'_, $db>,
                id: corridor_domain::voucher::VoucherProgrammeId,
                lock: bool,
            ) -> Result<Option<crate::vouchers::ProgrammeRecord>, StoreError> {
                let suffix = if lock { Self::LEDGER_LOCK_SUFFIX } else { "" };
                let row = sqlx::query(&format!(
                    "SELECT {} FROM voucher_programmes p JOIN ledger_accounts a ON a.id = p.budget_account_id WHERE p.id = $1{suffix}",
                    crate::vouchers::sql::PROGRAMME_COLUMNS
                ))
                .bind(id.0)
                .fetch_optional(&mut **transaction)
                .await?;
                row.as_ref().map(voucher_rows::programme_from_row).transpose()
            }

            async fn voucher_in(
                transaction: &mut sqlx::Transaction<'_, $db>,
                id: corridor_domain::voucher::VoucherId,
            ) -> Result<Option<crate::vouchers::VoucherRecord>, StoreError> {
                let row = sqlx::query(&format!(
                    "SELECT {}, w.programme_id FROM vouchers w JOIN ledger_accounts wa ON wa.id = w.account_id WHERE w.id = $1",
                    crate::vouchers::sql::VOUCHER_COLUMNS
                ))
                .bind(id.0)
                .fetch_optional(&mut **transaction)
                .await?;
                let Some(row) = row else { return Ok(None) };
                let programme: i64 = sqlx::Row::try_get(&row, "programme_id")?;
                let (id, enterprise, amount, account, issued_at, balances) = voucher_rows::voucher_parts_from_row(&row)?;
                let programme = Self::programme_in(transaction, corridor_domain::voucher::VoucherProgrammeId(programme), false)
                    .await?
                    .ok_or_else(|| StoreError::corrupt("a voucher's programme is missing"))?;
                Ok(Some(crate::vouchers::VoucherRecord { id, programme: programme.programme, enterprise, amount, account, balances, issued_at }))
            }

            async fn application_in(
                transaction: &mut sqlx::Transaction<'_, $db>,
                id: corridor_domain::voucher::VoucherApplicationId,
            ) -> Result<Option<crate::vouchers::VoucherApplication>, StoreError> {
                let row = sqlx::query(&format!("{} WHERE v.id = $1", crate::vouchers::sql::APPLICATION_SELECT))
                    .bind(id.0)
                    .fetch_optional(&mut **transaction)
                    .await?;
                row.as_ref().map(voucher_rows::application_from_row).transpose()
            }

            /// The kind and province of an institution.
            async fn institution_standing_in(
                transaction: &mut sqlx::Transaction<'_, $db>,
                institution: corridor_domain::InstitutionId,
            ) -> Result<Option<(corridor_domain::InstitutionKind, corridor_domain::ProvinceCode)>, StoreError> {
                let row: Option<(String, String)> = sqlx::query_as(
                    "SELECT i.kind, c.province_code FROM institutions i JOIN cities c ON c.code = i.city_code WHERE i.id = $1",
                )
                .bind(institution.0)
                .fetch_optional(&mut **transaction)
                .await?;
                row.map(|(kind, province)| {
                    Ok((
                        crate::catalogue::sql::stored(corridor_domain::InstitutionKind::parse(&kind))?,
                        crate::catalogue::sql::stored(corridor_domain::ProvinceCode::parse(&province))?,
                    ))
                })
                .transpose()
            }

            /// The stored region's time zone, read inside the transaction.
            async fn region_zone_in(
                transaction: &mut sqlx::Transaction<'_, $db>,
            ) -> Result<jiff::tz::TimeZone, StoreError> {
                let row = sqlx::query(crate::vouchers::sql::REGION_ZONE_SQL).fetch_optional(&mut **transaction).await?;
                crate::vouchers::sql::region_zone_of(row.map(|row| row.try_get::<String, _>("time_zone").ok()))
            }

            async fn issued_this_year_in(
                transaction: &mut sqlx::Transaction<'_, $db>,
                programme: corridor_domain::voucher::VoucherProgrammeId,
                enterprise: corridor_domain::InstitutionId,
                now: jiff::Timestamp,
            ) -> Result<corridor_domain::Fen, StoreError> {
                let zone = Self::region_zone_in(transaction).await?;
                let (start, end) = crate::vouchers::sql::year_bounds(&zone, now);
                let issued: i64 = sqlx::query_scalar(
                    "SELECT CAST(COALESCE(SUM(amount_fen), 0) AS BIGINT) FROM vouchers WHERE programme_id = $1 AND enterprise_id = $2 AND issued_at >= $3 AND issued_at < $4",
                )
                .bind(programme.0)
                .bind(enterprise.0)
                .bind(crate::timestamp::StoredInstant(start))
                .bind(crate::timestamp::StoredInstant(end))
                .fetch_one(&mut **transaction)
                .await?;
                Ok(corridor_domain::Fen(issued))
            }

            /// The category and provider province of an instrument, for the voucher's rules.
            async fn instrument_standing_in(
                transaction: &mut sqlx::Transaction<'_, $db>,
                instrument: corridor_domain::InstrumentId,
            ) -> Result<Option<(corridor_domain::CategoryCode, corridor_domain::ProvinceCode)>, StoreError> {
                let row: Option<(String, String)> = sqlx::query_as(
                    "SELECT i.category_code, c.province_code FROM instruments i JOIN institutions p ON p.id = i.institution_id \
                     JOIN cities c ON c.code = p.city_code WHERE i.id = $1",
                )
                .bind(instrument.0)
                .fetch_optional(&mut **transaction)
                .await?;
                row.map(|(category, province)| {
                    Ok((
                        crate::catalogue::sql::stored(corridor_domain::CategoryCode::parse(&category))?,
                        crate::catalogue::sql::stored(corridor_domain::ProvinceCode::parse(&province))?,
                    ))
                })
                .transpose()
            }

            async fn voucher_payment_in(
                transaction: &mut sqlx::Transaction<'_, $db>,
                booking: corridor_domain::BookingId,
            ) -> Result<Option<crate::vouchers::VoucherPayment>, StoreError> {
                use crate::vouchers::VoucherPaymentState;
                let row: Option<(i64, i64, i64, i64)> = sqlx::query_as(
                    "SELECT p.voucher_id, p.price_fen, p.voucher_pays_fen, v.account_id FROM booking_voucher_payments p JOIN vouchers v ON v.id = p.voucher_id WHERE p.booking_id = $1",
                )
                .bind(booking.0)
                .fetch_optional(&mut **transaction)
                .await?;
                let Some((voucher, price, voucher_pays, voucher_account)) = row else { return Ok(None) };
                let hold_key = crate::vouchers::sql::hold_key(booking);
                let resolution: Option<String> = sqlx::query_scalar(
                    "SELECT r.kind FROM ledger_transfers r JOIN ledger_transfers h ON r.pending_id = h.id WHERE h.transfer_key = $1",
                )
                .bind(&hold_key)
                .fetch_optional(&mut **transaction)
                .await?;
                let state = match resolution {
                    None => VoucherPaymentState::Held,
                    Some(kind) => {
                        // What the voucher paid, net of the corrections of usage recorded again.
                        let (paid, corrections) = Self::voucher_paid_for_booking_in(transaction, booking, voucher_account).await?;
                        if kind == "post_pending" || corrections > 0 {
                            VoucherPaymentState::Redeemed { amount: paid }
                        } else {
                            VoucherPaymentState::Released
                        }
                    }
                };
                Ok(Some(crate::vouchers::VoucherPayment {
                    voucher: corridor_domain::voucher::VoucherId(voucher),
                    split: corridor_domain::voucher::PriceSplit {
                        price: corridor_domain::Fen(price),
                        voucher_pays: corridor_domain::Fen(voucher_pays),
                        enterprise_pays: corridor_domain::Fen(price - voucher_pays),
                    },
                    state,
                }))
            }

            /// What the voucher has paid for a booking so far, net: the redemption plus the
            /// corrections to it (a correction back to the voucher counts negative).
            async fn voucher_paid_for_booking_in(
                transaction: &mut sqlx::Transaction<'_, $db>,
                booking: corridor_domain::BookingId,
                voucher_account: i64,
            ) -> Result<(corridor_domain::Fen, i64), StoreError> {
                // Through the voucher account's transfers (indexed; a voucher has few), then by key.
                let rows: Vec<(String, i64, i64)> = sqlx::query_as(
                    "SELECT kind, amount, debit_account_id FROM ledger_transfers \
                     WHERE (debit_account_id = $2 OR credit_account_id = $2) AND transfer_key LIKE $1 AND kind IN ('posted', 'post_pending')",
                )
                .bind(crate::vouchers::sql::booking_transfer_key_pattern(booking))
                .bind(voucher_account)
                .fetch_all(&mut **transaction)
                .await?;
                let mut paid = 0i64;
                let mut corrections = 0i64;
                for (kind, amount, debit) in rows {
                    if kind == "posted" {
                        corrections += 1;
                    }
                    // Value leaving the voucher pays; value coming back to it is a refund.
                    paid = if debit == voucher_account { paid.checked_add(amount) } else { paid.checked_sub(amount) }
                        .ok_or_else(|| StoreError::corrupt(format!("the voucher payments of booking {} overflow", booking.0)))?;
                }
                Ok((corridor_domain::Fen(paid), corrections))
            }

            /// Called by every booking change that can end or change a booking's claim on its
            /// slot. Keeps the invariant that what a voucher has paid for a booking is, at every
            /// moment: nothing while the booking holds its time (the share is held), nothing
            /// once it was cancelled or rejected (the hold released), and the programme's share
            /// of the booking's current charge once usage was recorded — also when usage is
            /// recorded again, by a compensating transfer for the difference (never by editing
            /// a transfer). `Ok(Err(_))` when a correction upwards finds the voucher without the
            /// value for it; the caller then rolls back.
            pub(crate) async fn settle_voucher_payment_in(
                transaction: &mut sqlx::Transaction<'_, $db>,
                booking: &crate::bookings::BookingRecord,
                now: jiff::Timestamp,
                context: &crate::AuditContext,
            ) -> Result<Result<(), corridor_domain::ledger::TransferRefusal>, StoreError> {
                use corridor_domain::ledger::{Movement, TransferKey, TransferRequest};
                use corridor_domain::BookingStatus;
                use crate::vouchers::VoucherPaymentState;
                let Some(payment) = Self::voucher_payment_in(transaction, booking.id).await? else { return Ok(Ok(())) };
                let key = |suffix: &str| TransferKey::parse(&format!("booking:{}:voucher-{suffix}", booking.id.0)).map_err(StoreError::corrupt);
                let pending = key("hold")?;
                let target = match booking.status {
                    BookingStatus::Completed => corridor_domain::voucher::settle_share(payment.split.voucher_pays, payment.split.price, booking.charged.unwrap_or_default()),
                    BookingStatus::Cancelled | BookingStatus::Rejected => corridor_domain::Fen::ZERO,
                    BookingStatus::Pending | BookingStatus::Confirmed => return Ok(Ok(())),
                };
                let request = if payment.state == VoucherPaymentState::Held {
                    // The hold ends: redeemed for the share, or released when there is none.
                    if target.0 > 0 {
                        TransferRequest::PostPending { key: key("redeem")?, pending, amount: Some(target), code: "voucher.redeem".into() }
                    } else {
                        TransferRequest::VoidPending { key: key("release")?, pending, code: "voucher.release".into() }
                    }
                } else {
                    // The hold ended before: correct what was paid to the share of the charge.
                    let (voucher_account, claim_account, expired): (i64, i64, bool) = sqlx::query_as(
                        "SELECT v.account_id, p.claim_account_id, v.expired_at IS NOT NULL FROM booking_voucher_payments p JOIN vouchers v ON v.id = p.voucher_id WHERE p.booking_id = $1",
                    )
                    .bind(booking.id.0)
                    .fetch_one(&mut **transaction)
                    .await?;
                    // An expired voucher's payments are final: what it had not paid went back
                    // to the programme's budget, and a refund would land on a closed voucher.
                    if expired {
                        return Ok(Ok(()));
                    }
                    let (paid, corrections) = Self::voucher_paid_for_booking_in(transaction, booking.id, voucher_account).await?;
                    let difference = target
                        .checked_sub(paid)
                        .ok_or_else(|| StoreError::corrupt(format!("the voucher payment of booking {} overflows", booking.id.0)))?;
                    if difference.0 == 0 {
                        return Ok(Ok(()));
                    }
                    let (debit, credit, amount) = if difference.0 > 0 {
                        (voucher_account, claim_account, difference)
                    } else {
                        (claim_account, voucher_account, corridor_domain::Fen(-difference.0))
                    };
                    TransferRequest::Posted(Movement {
                        key: key(&format!("correction-{}", corrections + 1))?,
                        debit_account: corridor_domain::ledger::LedgerAccountId(debit),
                        credit_account: corridor_domain::ledger::LedgerAccountId(credit),
                        amount,
                        code: "voucher.correction".into(),
                        reference: Some(format!("booking:{}", booking.id.0)),
                    })
                };
                let transfer = match Self::voucher_transfer_in(transaction, request, now).await? {
                    Ok(transfer) => transfer,
                    Err(refusal) => return Ok(Err(refusal)),
                };
                let action = match transfer.kind {
                    corridor_domain::ledger::TransferKind::PostPending => "voucher.redeemed",
                    corridor_domain::ledger::TransferKind::VoidPending => "voucher.released",
                    _ => "voucher.corrected",
                };
                Self::record_audit_event(
                    transaction,
                    context,
                    action,
                    &format!("booking:{}", booking.id.0),
                    serde_json::json!({ "voucher_id": payment.voucher.0, "amount_fen": transfer.amount.0, "transfer_id": transfer.id.0, "share_fen": target.0 }),
                )
                .await?;
                Ok(Ok(()))
            }
        }

        #[async_trait::async_trait]
        impl crate::vouchers::VoucherStore for $store {
            async fn create_voucher_programme(
                &self,
                programme: &corridor_domain::voucher::VoucherProgramme,
                context: &crate::AuditContext,
            ) -> Result<corridor_domain::voucher::VoucherProgrammeId, StoreError> {
                use corridor_domain::ledger::{AccountFlags, Movement, TransferKey, TransferRequest};
                programme.validate().map_err(|error| StoreError::InvalidReference { field: error.field, reason: error.reason })?;
                let now = crate::now();
                let mut transaction = self.begin_write().await?;
                let province = programme.province.as_code();
                let treasury = Self::ledger_account_for_owner_in(&mut transaction, "province_treasury", &format!("province:{province}"), &format!("Treasury of {province}"), AccountFlags::NONE, now).await?;
                let budget = Self::new_ledger_account_in(&mut transaction, "programme_budget", &format!("Budget of {}", programme.name_en), AccountFlags::NO_OVERDRAFT, now).await?;
                let categories: Vec<String> = programme.eligible_categories.iter().map(|code| code.as_str().to_owned()).collect();
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO voucher_programmes (province_code, name_en, name_zh, budget_fen, co_funding_percent, annual_cap_fen, valid_from, valid_until, \
                     eligible_categories, provider_scope, redemption_mode, budget_account_id, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id",
                )
                .bind(province)
                .bind(programme.name_en.trim())
                .bind(programme.name_zh.trim())
                .bind(programme.budget.0)
                .bind(i64::from(programme.co_funding_percent))
                .bind(programme.annual_cap_per_enterprise.0)
                .bind(programme.valid_from.to_string())
                .bind(programme.valid_until.to_string())
                .bind(crate::catalogue::sql::json_list(&categories))
                .bind(programme.provider_scope.as_code())
                .bind(programme.redemption_mode.as_code())
                .bind(budget.0)
                .bind(crate::timestamp::StoredInstant(now))
                .fetch_one(&mut *transaction)
                .await?;
                let fund = TransferRequest::Posted(Movement {
                    key: TransferKey::parse(&format!("programme:{id}:fund")).map_err(StoreError::corrupt)?,
                    debit_account: treasury,
                    credit_account: budget,
                    amount: programme.budget,
                    code: "programme.fund".into(),
                    reference: Some(format!("programme:{id}")),
                });
                Self::voucher_transfer_in(&mut transaction, fund, now)
                    .await?
                    .map_err(|refusal| StoreError::corrupt(format!("funding a new programme was refused: {refusal}")))?;
                Self::record_audit_event(&mut transaction, context, "voucher.programme_created", &format!("programme:{id}"), serde_json::to_value(programme).unwrap_or_default()).await?;
                transaction.commit().await?;
                Ok(corridor_domain::voucher::VoucherProgrammeId(id))
            }

            async fn voucher_programmes(&self, province: Option<corridor_domain::ProvinceCode>) -> Result<Vec<crate::vouchers::ProgrammeRecord>, StoreError> {
                let rows = sqlx::query(&format!(
                    "SELECT {} FROM voucher_programmes p JOIN ledger_accounts a ON a.id = p.budget_account_id WHERE ($1 IS NULL OR p.province_code = $1) ORDER BY p.id",
                    crate::vouchers::sql::PROGRAMME_COLUMNS
                ))
                .bind(province.map(|province| province.as_code()))
                .fetch_all(self.read_pool())
                .await?;
                rows.iter().map(voucher_rows::programme_from_row).collect()
            }

            async fn voucher_programme(&self, id: corridor_domain::voucher::VoucherProgrammeId) -> Result<Option<crate::vouchers::ProgrammeRecord>, StoreError> {
                let mut transaction = self.read_pool().begin().await?;
                Self::programme_in(&mut transaction, id, false).await
            }

            async fn apply_for_voucher(
                &self,
                application: &crate::vouchers::NewVoucherApplication,
                now: jiff::Timestamp,
                context: &crate::AuditContext,
            ) -> Result<Result<crate::vouchers::VoucherApplication, corridor_domain::voucher::VoucherRefusal>, StoreError> {
                let crate::vouchers::NewVoucherApplication { programme, enterprise, applicant, requested, purpose } = application;
                let (programme, enterprise, applicant, requested) = (*programme, *enterprise, *applicant, *requested);
                if purpose.trim().is_empty() || purpose.len() > 2_000 {
                    return Err(StoreError::InvalidReference { field: "purpose", reason: "must be 1 to 2,000 characters".into() });
                }
                if requested.0 <= 0 {
                    return Err(StoreError::InvalidReference { field: "requested_fen", reason: "must be positive".into() });
                }
                let mut transaction = self.begin_write().await?;
                let record = Self::programme_in(&mut transaction, programme, false)
                    .await?
                    .ok_or_else(|| StoreError::NotFound(format!("no voucher programme {}", programme.0)))?;
                let (kind, province) = Self::institution_standing_in(&mut transaction, enterprise)
                    .await?
                    .ok_or_else(|| StoreError::InvalidReference { field: "enterprise_id", reason: format!("there is no institution {}", enterprise.0) })?;
                let issued = Self::issued_this_year_in(&mut transaction, programme, enterprise, now).await?;
                if let Err(refusal) = corridor_domain::voucher::check_issuance(&record.programme, kind, &province, issued, requested, crate::vouchers::sql::region_date(&Self::region_zone_in(&mut transaction).await?, now)) {
                    return Ok(Err(refusal));
                }
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO voucher_applications (programme_id, enterprise_id, applicant_user_id, requested_fen, purpose, status, created_at) \
                     VALUES ($1, $2, $3, $4, $5, 'submitted', $6) RETURNING id",
                )
                .bind(programme.0)
                .bind(enterprise.0)
                .bind(applicant.0)
                .bind(requested.0)
                .bind(purpose.trim())
                .bind(crate::timestamp::StoredInstant(now))
                .fetch_one(&mut *transaction)
                .await
                .map_err(|error| StoreError::from_write(error, "the application"))?;
                Self::record_audit_event(&mut transaction, context, "voucher.applied", &format!("voucher_application:{id}"), serde_json::json!({ "programme_id": programme.0, "enterprise_id": enterprise.0, "requested_fen": requested.0 })).await?;
                let application = Self::application_in(&mut transaction, corridor_domain::voucher::VoucherApplicationId(id))
                    .await?
                    .ok_or_else(|| StoreError::corrupt("an application vanished inside its own transaction"))?;
                transaction.commit().await?;
                Ok(Ok(application))
            }

            async fn voucher_application(&self, id: corridor_domain::voucher::VoucherApplicationId) -> Result<Option<crate::vouchers::VoucherApplication>, StoreError> {
                let mut transaction = self.read_pool().begin().await?;
                Self::application_in(&mut transaction, id).await
            }

            async fn voucher_applications(
                &self,
                programme: Option<corridor_domain::voucher::VoucherProgrammeId>,
                status: Option<corridor_domain::voucher::ApplicationStatus>,
                page: crate::PageRequest,
            ) -> Result<crate::Page<crate::vouchers::VoucherApplication>, StoreError> {
                let filter = "($1 IS NULL OR v.programme_id = $1) AND ($2 IS NULL OR v.status = $2)";
                let total: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM voucher_applications v WHERE {filter}"))
                    .bind(programme.map(|id| id.0))
                    .bind(status.map(|status| status.as_code()))
                    .fetch_one(self.read_pool())
                    .await?;
                let rows = sqlx::query(&format!("{} WHERE {filter} AND v.id > $3 ORDER BY v.id LIMIT $4", crate::vouchers::sql::APPLICATION_SELECT))
                    .bind(programme.map(|id| id.0))
                    .bind(status.map(|status| status.as_code()))
                    .bind(page.after.unwrap_or(0))
                    .bind(i64::from(page.limit.get()))
                    .fetch_all(self.read_pool())
                    .await?;
                let items = rows.iter().map(voucher_rows::application_from_row).collect::<Result<Vec<_>, _>>()?;
                Ok(crate::Page::from_items(crate::catalogue::sql::count(total), items, page.limit, |application| application.id.0))
            }

            async fn voucher_applications_of_enterprise(
                &self,
                enterprise: corridor_domain::InstitutionId,
            ) -> Result<Vec<crate::vouchers::VoucherApplication>, StoreError> {
                let rows = sqlx::query(&format!(
                    "{} WHERE v.enterprise_id = $1 ORDER BY v.id DESC",
                    crate::vouchers::sql::APPLICATION_SELECT
                ))
                .bind(enterprise.0)
                .fetch_all(self.read_pool())
                .await?;
                rows.iter().map(voucher_rows::application_from_row).collect()
            }

            async fn decide_voucher_application(
                &self,
                id: corridor_domain::voucher::VoucherApplicationId,
                approve: bool,
                amount: Option<corridor_domain::Fen>,
                note: Option<&str>,
                now: jiff::Timestamp,
                context: &crate::AuditContext,
            ) -> Result<crate::vouchers::VoucherDecision, StoreError> {
                use corridor_domain::ledger::{AccountFlags, Movement, TransferKey, TransferRefusal, TransferRequest};
                use corridor_domain::voucher::ApplicationStatus;
                use crate::vouchers::VoucherDecision;
                let mut transaction = self.begin_write().await?;
                let application = Self::application_in(&mut transaction, id)
                    .await?
                    .ok_or_else(|| StoreError::NotFound(format!("no voucher application {}", id.0)))?;
                // Decisions on one programme run one after another (the programme row is
                // locked on PostgreSQL), so two approvals cannot both fit under one cap.
                let record = Self::programme_in(&mut transaction, application.programme, true)
                    .await?
                    .ok_or_else(|| StoreError::corrupt("an application's programme is missing"))?;
                let application = Self::application_in(&mut transaction, id).await?.ok_or_else(|| StoreError::corrupt("an application vanished"))?;
                if application.status != ApplicationStatus::Submitted {
                    return Ok(VoucherDecision::AlreadyDecided(application.status));
                }
                let actor = context.actor.map(|user| user.0);
                if !approve {
                    sqlx::query("UPDATE voucher_applications SET status = 'rejected', decided_by = $1, decided_at = $2, decision_note = $3 WHERE id = $4")
                        .bind(actor)
                        .bind(crate::timestamp::StoredInstant(now))
                        .bind(note)
                        .bind(id.0)
                        .execute(&mut *transaction)
                        .await?;
                    Self::record_audit_event(&mut transaction, context, "voucher.application_rejected", &format!("voucher_application:{}", id.0), serde_json::json!({ "note": note })).await?;
                    let application = Self::application_in(&mut transaction, id).await?.ok_or_else(|| StoreError::corrupt("an application vanished"))?;
                    transaction.commit().await?;
                    return Ok(VoucherDecision::Rejected(application));
                }
                let amount = amount.unwrap_or(application.requested);
                if amount.0 <= 0 || amount.0 > application.requested.0 {
                    return Err(StoreError::InvalidReference { field: "amount_fen", reason: format!("must be positive and at most the requested {}", application.requested) });
                }
                let (kind, province) = Self::institution_standing_in(&mut transaction, application.enterprise)
                    .await?
                    .ok_or_else(|| StoreError::corrupt("an application's enterprise is missing"))?;
                let issued = Self::issued_this_year_in(&mut transaction, application.programme, application.enterprise, now).await?;
                if let Err(refusal) = corridor_domain::voucher::check_issuance(&record.programme, kind, &province, issued, amount, crate::vouchers::sql::region_date(&Self::region_zone_in(&mut transaction).await?, now)) {
                    return Ok(VoucherDecision::Refused(refusal));
                }
                let account = Self::new_ledger_account_in(&mut transaction, "voucher", &format!("Voucher of {} from {}", application.enterprise_name_en, record.programme.name_en), AccountFlags::NO_OVERDRAFT, now).await?;
                let voucher_id: i64 = sqlx::query_scalar("INSERT INTO vouchers (programme_id, enterprise_id, amount_fen, account_id, issued_at) VALUES ($1, $2, $3, $4, $5) RETURNING id")
                    .bind(application.programme.0)
                    .bind(application.enterprise.0)
                    .bind(amount.0)
                    .bind(account.0)
                    .bind(crate::timestamp::StoredInstant(now))
                    .fetch_one(&mut *transaction)
                    .await?;
                let issue = TransferRequest::Posted(Movement {
                    key: TransferKey::parse(&format!("voucher:{voucher_id}:issue")).map_err(StoreError::corrupt)?,
                    debit_account: record.budget_account,
                    credit_account: account,
                    amount,
                    code: "voucher.issue".into(),
                    reference: Some(format!("voucher:{voucher_id}")),
                });
                match Self::voucher_transfer_in(&mut transaction, issue, now).await? {
                    Ok(_) => {}
                    Err(TransferRefusal::ExceedsCredits(_)) => {
                        transaction.rollback().await?;
                        return Ok(VoucherDecision::BudgetExhausted { available: record.budget_available });
                    }
                    Err(refusal) => return Err(StoreError::corrupt(format!("issuing a voucher was refused: {refusal}"))),
                }
                sqlx::query("UPDATE voucher_applications SET status = 'approved', decided_by = $1, decided_at = $2, decision_note = $3, voucher_id = $4 WHERE id = $5")
                    .bind(actor)
                    .bind(crate::timestamp::StoredInstant(now))
                    .bind(note)
                    .bind(voucher_id)
                    .bind(id.0)
                    .execute(&mut *transaction)
                    .await?;
                Self::record_audit_event(&mut transaction, context, "voucher.issued", &format!("voucher:{voucher_id}"), serde_json::json!({ "application_id": id.0, "amount_fen": amount.0, "note": note })).await?;
                let application = Self::application_in(&mut transaction, id).await?.ok_or_else(|| StoreError::corrupt("an application vanished"))?;
                let voucher = Self::voucher_in(&mut transaction, corridor_domain::voucher::VoucherId(voucher_id)).await?.ok_or_else(|| StoreError::corrupt("a voucher vanished"))?;
                transaction.commit().await?;
                Ok(VoucherDecision::Issued { application, voucher })
            }

            async fn voucher(&self, id: corridor_domain::voucher::VoucherId) -> Result<Option<crate::vouchers::VoucherRecord>, StoreError> {
                let mut transaction = self.read_pool().begin().await?;
                Self::voucher_in(&mut transaction, id).await
            }

            async fn vouchers_of_enterprise(&self, enterprise: corridor_domain::InstitutionId) -> Result<Vec<crate::vouchers::VoucherRecord>, StoreError> {
                let mut transaction = self.read_pool().begin().await?;
                let ids: Vec<i64> = sqlx::query_scalar("SELECT id FROM vouchers WHERE enterprise_id = $1 ORDER BY id")
                    .bind(enterprise.0)
                    .fetch_all(&mut *transaction)
                    .await?;
                let mut vouchers = Vec::with_capacity(ids.len());
                for id in ids {
                    if let Some(voucher) = Self::voucher_in(&mut transaction, corridor_domain::voucher::VoucherId(id)).await? {
                        vouchers.push(voucher);
                    }
                }
                Ok(vouchers)
            }

            async fn quote_voucher_split(
                &self,
                voucher: corridor_domain::voucher::VoucherId,
                instrument: corridor_domain::InstrumentId,
                price: corridor_domain::Fen,
                service_at: jiff::Timestamp,
            ) -> Result<Result<corridor_domain::voucher::PriceSplit, corridor_domain::voucher::VoucherRefusal>, StoreError> {
                let mut transaction = self.read_pool().begin().await?;
                let voucher = Self::voucher_in(&mut transaction, voucher).await?.ok_or_else(|| StoreError::NotFound(format!("no voucher {}", voucher.0)))?;
                let (category, provider_province) = Self::instrument_standing_in(&mut transaction, instrument)
                    .await?
                    .ok_or_else(|| StoreError::NotFound(format!("no instrument with id {}", instrument.0)))?;
                Ok(corridor_domain::voucher::split_price(&voucher.programme, price, voucher.available(), &category, &provider_province, crate::vouchers::sql::region_date(&Self::region_zone_in(&mut transaction).await?, service_at)))
            }

            async fn create_booking_with_voucher(
                &self,
                request: &crate::bookings::BookingRequest,
                voucher: corridor_domain::voucher::VoucherId,
                now: jiff::Timestamp,
                context: &crate::AuditContext,
            ) -> Result<crate::vouchers::VoucherBookingAttempt, StoreError> {
                use corridor_domain::ledger::{Movement, TransferKey, TransferRequest};
                use corridor_domain::voucher::{RedemptionMode, VoucherRefusal};
                use crate::bookings::BookingAttempt;
                use crate::vouchers::{VoucherBookingAttempt, VoucherPayment, VoucherPaymentState};
                // A waitlisted request would later become a booking without its voucher.
                let mut request = request.clone();
                request.join_waitlist_if_taken = false;
                let mut transaction = self.begin_write().await?;
                let record = Self::voucher_in(&mut transaction, voucher)
                    .await?
                    .ok_or_else(|| StoreError::NotFound(format!("no voucher {}", voucher.0)))?;
                let home: Option<i64> = sqlx::query_scalar("SELECT home_institution_id FROM users WHERE id = $1")
                    .bind(request.user.0)
                    .fetch_optional(&mut *transaction)
                    .await?;
                if home != Some(record.enterprise.0) {
                    return Ok(VoucherBookingAttempt::Refused(VoucherRefusal::NotYourVoucher));
                }
                let attempt = Self::attempt_booking_in(&mut transaction, &request, now, context).await?;
                let booking = match attempt {
                    BookingAttempt::Booked { booking, replayed: false } => booking,
                    BookingAttempt::Booked { booking, replayed: true } => {
                        let payment = Self::voucher_payment_in(&mut transaction, booking.id).await?;
                        transaction.rollback().await?;
                        return Ok(match payment {
                            Some(payment) if payment.voucher == voucher => VoucherBookingAttempt::Booked { booking, payment, replayed: true },
                            _ => VoucherBookingAttempt::NotBooked(BookingAttempt::Booked { booking, replayed: true }),
                        });
                    }
                    other => {
                        transaction.rollback().await?;
                        return Ok(VoucherBookingAttempt::NotBooked(other));
                    }
                };
                let (category, provider_province) = Self::instrument_standing_in(&mut transaction, request.instrument)
                    .await?
                    .ok_or_else(|| StoreError::corrupt("a booked instrument is missing"))?;
                // The programme pays for services on the days it is valid: the day of the service
                // decides, not the day it was booked (a hold for a later service would outlive
                // the programme's grace).
                let split = match corridor_domain::voucher::split_price(&record.programme, booking.price, record.available(), &category, &provider_province, crate::vouchers::sql::region_date(&Self::region_zone_in(&mut transaction).await?, booking.range.start)) {
                    Ok(split) if split.voucher_pays.0 > 0 => split,
                    Ok(_) => {
                        transaction.rollback().await?;
                        return Ok(VoucherBookingAttempt::Refused(VoucherRefusal::NothingToPay));
                    }
                    Err(refusal) => {
                        transaction.rollback().await?;
                        return Ok(VoucherBookingAttempt::Refused(refusal));
                    }
                };
                let claimant = match record.programme.redemption_mode {
                    RedemptionMode::ProviderRedeems => booking.institution,
                    RedemptionMode::EnterpriseRedeems => record.enterprise,
                };
                let claim_account = Self::ledger_account_for_owner_in(
                    &mut transaction,
                    "redemption_claim",
                    &format!("programme:{}:institution:{}", record.programme.id.0, claimant.0),
                    &format!("Claims of institution {} on {}", claimant.0, record.programme.name_en),
                    corridor_domain::ledger::AccountFlags::NONE,
                    now,
                )
                .await?;
                let hold = TransferRequest::Pending(Movement {
                    key: TransferKey::parse(&crate::vouchers::sql::hold_key(booking.id)).map_err(StoreError::corrupt)?,
                    debit_account: record.account,
                    credit_account: claim_account,
                    amount: split.voucher_pays,
                    code: "voucher.hold".into(),
                    reference: Some(format!("booking:{}", booking.id.0)),
                });
                if let Err(refusal) = Self::voucher_transfer_in(&mut transaction, hold, now).await? {
                    transaction.rollback().await?;
                    return Ok(VoucherBookingAttempt::HoldRefused(refusal));
                }
                sqlx::query(
                    "INSERT INTO booking_voucher_payments (booking_id, voucher_id, price_fen, voucher_pays_fen, claimant_institution_id, claim_account_id, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(booking.id.0)
                .bind(voucher.0)
                .bind(split.price.0)
                .bind(split.voucher_pays.0)
                .bind(claimant.0)
                .bind(claim_account.0)
                .bind(crate::timestamp::StoredInstant(now))
                .execute(&mut *transaction)
                .await?;
                Self::record_audit_event(&mut transaction, context, "voucher.held", &format!("booking:{}", booking.id.0), serde_json::json!({ "voucher_id": voucher.0, "voucher_pays_fen": split.voucher_pays.0, "enterprise_pays_fen": split.enterprise_pays.0 })).await?;
                transaction.commit().await?;
                Ok(VoucherBookingAttempt::Booked { booking, payment: VoucherPayment { voucher, split, state: VoucherPaymentState::Held }, replayed: false })
            }

            async fn voucher_programme_totals(&self) -> Result<Vec<crate::vouchers::ProgrammeTotals>, StoreError> {
                self.voucher_programme_totals_by_sql().await
            }

            async fn expire_vouchers(&self, today: jiff::civil::Date, now: jiff::Timestamp, context: &crate::AuditContext) -> Result<crate::vouchers::VoucherExpiry, StoreError> {
                self.expire_vouchers_whole(today, now, context).await
            }

            async fn import_voucher_history(&self, grants: &[crate::vouchers::HistoricalVoucherGrant]) -> Result<u64, StoreError> {
                self.import_voucher_history_whole(grants).await
            }

            async fn voucher_payment_of_booking(&self, booking: corridor_domain::BookingId) -> Result<Option<crate::vouchers::VoucherPayment>, StoreError> {
                let mut transaction = self.read_pool().begin().await?;
                Self::voucher_payment_in(&mut transaction, booking).await
            }

            async fn voucher_payment_mismatches(&self) -> Result<Vec<crate::vouchers::VoucherPaymentMismatch>, StoreError> {
                let rows: Vec<(i64, i64, i64, String, Option<i64>, i64, i64, bool)> = sqlx::query_as(
                    "SELECT p.booking_id, p.price_fen, p.voucher_pays_fen, b.status, b.charged_fen, \
                       CAST((SELECT COALESCE(SUM(CASE WHEN t.debit_account_id = v.account_id THEN t.amount ELSE -t.amount END), 0) \
                          FROM ledger_transfers t \
                         WHERE (t.debit_account_id = v.account_id OR t.credit_account_id = v.account_id) \
                           AND t.transfer_key LIKE 'booking:' || CAST(p.booking_id AS TEXT) || ':voucher-%' \
                           AND t.kind IN ('posted', 'post_pending')) AS BIGINT) AS paid, \
                       (SELECT COUNT(*) FROM ledger_transfers h \
                         WHERE h.transfer_key = 'booking:' || CAST(p.booking_id AS TEXT) || ':voucher-hold' \
                           AND NOT EXISTS (SELECT 1 FROM ledger_transfers r WHERE r.pending_id = h.id)) AS open_holds, \
                       v.expired_at IS NOT NULL AS expired \
                     FROM booking_voucher_payments p JOIN bookings b ON b.id = p.booking_id JOIN vouchers v ON v.id = p.voucher_id \
                     ORDER BY p.booking_id",
                )
                .fetch_all(self.read_pool())
                .await?;
                let mut mismatches = Vec::new();
                for (booking, price, voucher_pays, status, charged, paid, open_holds, expired) in rows {
                    let status = crate::catalogue::sql::stored(corridor_domain::BookingStatus::parse(&status))?;
                    let (expected_paid, hold_expected) = match status {
                        corridor_domain::BookingStatus::Completed => (
                            corridor_domain::voucher::settle_share(corridor_domain::Fen(voucher_pays), corridor_domain::Fen(price), corridor_domain::Fen(charged.unwrap_or_default())),
                            false,
                        ),
                        corridor_domain::BookingStatus::Cancelled | corridor_domain::BookingStatus::Rejected => (corridor_domain::Fen::ZERO, false),
                        corridor_domain::BookingStatus::Pending | corridor_domain::BookingStatus::Confirmed => (corridor_domain::Fen::ZERO, true),
                    };
                    let hold_open = open_holds > 0;
                    // An expired voucher's payments are final as they were at expiry (see
                    // `settle_voucher_payment_in`); only its holds must all be released.
                    let wrong = if expired {
                        hold_open
                    } else {
                        paid != expected_paid.0 || hold_open != hold_expected
                    };
                    if wrong {
                        mismatches.push(crate::vouchers::VoucherPaymentMismatch {
                            booking: corridor_domain::BookingId(booking),
                            status,
                            expected_paid,
                            paid: corridor_domain::Fen(paid),
                            hold_open,
                        });
                    }
                }
                Ok(mismatches)
            }

            async fn settlement_statement(&self, from: jiff::Timestamp, to: jiff::Timestamp) -> Result<Vec<crate::vouchers::SettlementRow>, StoreError> {
                let rows: Vec<(String, i64, String, i64, String, i64, i64)> = sqlx::query_as(
                    // Redemptions, and the corrections of usage recorded again (signed: towards
                    // the claimant adds, back to the voucher takes away), in the period.
                    "SELECT p.province_code, p.id, pc.province_code, pay.claimant_institution_id, ci.name_en, \
                            CAST(SUM(m.redemptions) AS BIGINT), CAST(SUM(m.amount) AS BIGINT) \
                     FROM ( \
                        SELECT r.booking_id AS booking_id, 1 AS redemptions, t.amount AS amount \
                        FROM ledger_transfers t \
                        JOIN ledger_transfers h ON h.id = t.pending_id \
                        JOIN booking_voucher_payments r ON h.reference = 'booking:' || CAST(r.booking_id AS TEXT) AND h.credit_account_id = r.claim_account_id \
                        WHERE t.kind = 'post_pending' AND t.code = 'voucher.redeem' AND t.created_at >= $1 AND t.created_at < $2 \
                        UNION ALL \
                        SELECT c.booking_id, 0, CASE WHEN t.credit_account_id = c.claim_account_id THEN t.amount ELSE -t.amount END \
                        FROM ledger_transfers t \
                        JOIN booking_voucher_payments c ON t.reference = 'booking:' || CAST(c.booking_id AS TEXT) \
                        WHERE t.kind = 'posted' AND t.code = 'voucher.correction' AND t.created_at >= $1 AND t.created_at < $2 \
                     ) m \
                     JOIN booking_voucher_payments pay ON pay.booking_id = m.booking_id \
                     JOIN vouchers w ON w.id = pay.voucher_id \
                     JOIN voucher_programmes p ON p.id = w.programme_id \
                     JOIN bookings b ON b.id = pay.booking_id \
                     JOIN instruments i ON i.id = b.instrument_id \
                     JOIN institutions provider ON provider.id = i.institution_id \
                     JOIN cities pc ON pc.code = provider.city_code \
                     JOIN institutions ci ON ci.id = pay.claimant_institution_id \
                     GROUP BY p.province_code, p.id, pc.province_code, pay.claimant_institution_id, ci.name_en \
                     ORDER BY p.province_code, pc.province_code, p.id, pay.claimant_institution_id",
                )
                .bind(crate::timestamp::StoredInstant(from))
                .bind(crate::timestamp::StoredInstant(to))
                .fetch_all(self.read_pool())
                .await?;
                rows.into_iter()
                    .map(|(payer, programme, provider_province, claimant, claimant_name_en, redemptions, amount)| {
                        Ok(crate::vouchers::SettlementRow {
                            payer_province: crate::catalogue::sql::stored(corridor_domain::ProvinceCode::parse(&payer))?,
                            programme: corridor_domain::voucher::VoucherProgrammeId(programme),
                            provider_province: crate::catalogue::sql::stored(corridor_domain::ProvinceCode::parse(&provider_province))?,
                            claimant: corridor_domain::InstitutionId(claimant),
                            claimant_name_en,
                            redemptions: crate::catalogue::sql::count(redemptions),
                            amount: corridor_domain::Fen(amount),
                        })
                    })
                    .collect()
            }
        }
    };
}
pub(crate) use shared_voucher_impl;
