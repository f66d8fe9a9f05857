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

/// How often the reminder job looks for bookings starting within a day. Ten minutes keeps a
/// reminder within ten minutes of the 24-hour mark and costs one indexed query per run.
pub const BOOKING_REMINDER_INTERVAL: Duration = Duration::from_secs(600);

/// Queues the 24-hour reminder of every confirmed booking that starts within a day and has
/// none yet (see `BookingStore::queue_booking_reminders`); answers how many it queued. Each
/// booking is reminded once, whichever node runs this and however often.
pub async fn queue_booking_reminders(
    store: &dyn Store,
    now: jiff::Timestamp,
) -> Result<u64, corridor_store::StoreError> {
    let queued = store.queue_booking_reminders(now).await?;
    if queued > 0 {
        tracing::info!(reminders = queued, "queued booking reminders");
    }
    Ok(queued)
}

/// Runs `queue_booking_reminders` now and every ten minutes. A failure is logged and retried
/// at the next run.
pub fn spawn_booking_reminders(store: Arc<dyn Store>) -> tokio::task::JoinHandle<()> {
    crate::indexes::spawn_every(
        BOOKING_REMINDER_INTERVAL,
        "queueing booking reminders",
        move || {
            let store = store.clone();
            async move {
                queue_booking_reminders(store.as_ref(), corridor_store::now())
                    .await
                    .map(|_| ())
            }
        },
    )
}
