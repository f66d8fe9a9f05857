//! `corridor ledger reconcile`, `corridor ledger settlement` and `corridor ledger
//! expire-vouchers`: the voucher office's commands on a database, outside the web UI.

use anyhow::{bail, Context, Result};
use corridor_store::Store;

/// Replays the whole ledger and prints the verdict as JSON; fails (exit code 1) when the
/// stored balances differ from the replay, debits differ from credits, a transfer could not
/// be replayed, or a voucher has paid for a booking other than its share of the booking's
/// current charge (see `VoucherStore::voucher_payment_mismatches`).
pub async fn reconcile(store: &dyn Store) -> Result<()> {
    let started = std::time::Instant::now();
    let reconciliation = store.reconcile_ledger().await?;
    let overdrawn = store.count_overdrawn_accounts().await?;
    let voucher_mismatches = store.voucher_payment_mismatches().await?;
    let consistent =
        reconciliation.is_consistent() && overdrawn == 0 && voucher_mismatches.is_empty();
    let report = serde_json::json!({
        "accounts": reconciliation.accounts,
        "transfers": reconciliation.transfers,
        "open_pending_transfers": reconciliation.open_pending_transfers,
        "debits_posted_fen": reconciliation.totals.debits_posted,
        "credits_posted_fen": reconciliation.totals.credits_posted,
        "debits_pending_fen": reconciliation.totals.debits_pending,
        "credits_pending_fen": reconciliation.totals.credits_pending,
        "balanced": reconciliation.balanced,
        "mismatched_accounts": reconciliation.mismatched_accounts.iter().map(|(id, stored, replayed)| serde_json::json!({
            "account_id": id.0, "stored": stored, "replayed": replayed,
        })).collect::<Vec<_>>(),
        "fault": reconciliation.fault,
        "overdrawn_accounts": overdrawn,
        "voucher_payment_mismatches": voucher_mismatches.iter().map(|mismatch| serde_json::json!({
            "booking_id": mismatch.booking.0,
            "status": mismatch.status.as_code(),
            "expected_paid_fen": mismatch.expected_paid.0,
            "paid_fen": mismatch.paid.0,
            "hold_open": mismatch.hold_open,
        })).collect::<Vec<_>>(),
        "seconds": started.elapsed().as_secs_f64(),
        "consistent": consistent,
    });
    println!("{}", serde_json::to_string_pretty(&report)?);
    if !consistent {
        bail!("the ledger does not reconcile");
    }
    Ok(())
}

/// Prints the settlement statement of `[from, to)` (RFC 3339 instants or dates, taken as
/// midnight in the region's time zone) as CSV or JSON.
pub async fn settlement(store: &dyn Store, from: &str, to: &str, csv: bool) -> Result<()> {
    let from = parse_instant(from).context("--from")?;
    let to = parse_instant(to).context("--to")?;
    if to <= from {
        bail!("--to must be after --from");
    }
    let rows = store.settlement_statement(from, to).await?;
    if csv {
        write_stdout(&corridor_store::settlement_csv(&rows))?;
    } else {
        let rows: Vec<serde_json::Value> = rows
            .iter()
            .map(|row| {
                serde_json::json!({
                    "payer_province": row.payer_province.as_code(),
                    "programme_id": row.programme.0,
                    "provider_province": row.provider_province.as_code(),
                    "claimant_institution_id": row.claimant.0,
                    "claimant_name_en": row.claimant_name_en,
                    "redemptions": row.redemptions,
                    "amount_fen": row.amount.0,
                })
            })
            .collect();
        println!(
            "{}",
            serde_json::to_string_pretty(
                &serde_json::json!({ "from": from.to_string(), "to": to.to_string(), "rows": rows })
            )?
        );
    }
    Ok(())
}

fn parse_instant(text: &str) -> Result<jiff::Timestamp> {
    if let Ok(instant) = text.parse::<jiff::Timestamp>() {
        return Ok(instant);
    }
    let day: jiff::civil::Date = text
        .parse()
        .with_context(|| format!("{text:?} is neither an RFC 3339 instant nor a date"))?;
    Ok(day
        .to_zoned(jiff::tz::TimeZone::get("Asia/Shanghai")?)?
        .timestamp())
}

/// Writes to standard output; a reader that stopped reading (`| head`) is not an error.
fn write_stdout(text: &str) -> Result<()> {
    use std::io::Write;
    match std::io::stdout().lock().write_all(text.as_bytes()) {
        Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}

/// Expires the vouchers whose programmes' claim grace has passed by `today` (the region's
/// today when absent) and prints what it did as JSON.
pub async fn expire_vouchers(store: &dyn Store, today: Option<jiff::civil::Date>) -> Result<()> {
    let now = corridor_store::now();
    let today = match today {
        Some(today) => today,
        None => now
            .to_zoned(jiff::tz::TimeZone::get("Asia/Shanghai")?)
            .date(),
    };
    let expiry = store
        .expire_vouchers(today, now, &corridor_store::AuditContext::default())
        .await?;
    println!(
        "{}",
        serde_json::json!({
            "today": today.to_string(),
            "vouchers_expired": expiry.vouchers,
            "holds_released": expiry.holds_released,
            "returned_fen": expiry.returned.0,
        })
    );
    Ok(())
}
