//! Background jobs a serving node runs on a timer.

use std::sync::Arc;
use std::time::Duration;

use corridor_store::{AuditContext, Store};
use jiff::tz::TimeZone;

/// How often vouchers are checked for expiry.
pub const VOUCHER_EXPIRY_INTERVAL: Duration = Duration::from_secs(3_600);

/// Expires vouchers whose programmes' claim grace has passed, now and every hour (see
/// `VoucherStore::expire_vouchers`); "today" is the region's date. A failure is logged and
/// retried the next hour.
pub fn spawn_voucher_expiry(
    store: Arc<dyn Store>,
    region_time_zone: TimeZone,
) -> tokio::task::JoinHandle<()> {
    crate::indexes::spawn_every(VOUCHER_EXPIRY_INTERVAL, "expiring vouchers", move || {
        let (store, zone) = (store.clone(), region_time_zone.clone());
        async move {
            let now = corridor_store::now();
            let today = now.to_zoned(zone).date();
            let expiry = store
                .expire_vouchers(today, now, &AuditContext::default())
                .await?;
            if expiry.vouchers > 0 {
                tracing::info!(
                    vouchers = expiry.vouchers,
                    holds_released = expiry.holds_released,
                    returned_fen = expiry.returned.0,
                    "expired vouchers"
                );
            }
            Ok::<(), corridor_store::StoreError>(())
        }
    })
}
