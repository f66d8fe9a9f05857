//! The derived, in-memory indexes a serving node answers from: the text search index, the
//! availability bitmaps, the analytics facts and the rail routing index. Each is built from
//! the store (or, for the rail, from the demo timetable) and never written back; each follows
//! the store's change log or rebuilds on a timer.

pub mod analytics;
pub mod availability;
pub mod rail;
pub mod search;

use std::future::Future;
use std::time::Duration;

use corridor_store::{ChangeCursor, ChangeRecord, Store, StoreError};

/// Runs `step` now and then every `interval` until the process ends. A failed step is
/// logged (with its cause chain) and the next tick tries again.
pub(crate) fn spawn_every<F, Fut, E>(
    interval: Duration,
    what: &'static str,
    mut step: F,
) -> tokio::task::JoinHandle<()>
where
    F: FnMut() -> Fut + Send + 'static,
    Fut: Future<Output = Result<(), E>> + Send,
    E: std::error::Error,
{
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            if let Err(error) = step().await {
                tracing::warn!(error = %error_chain(&error), "{what} failed; retrying");
            }
        }
    })
}

/// An error and its causes in one line.
pub(crate) fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// A follower's change-log cursor, shared by its refreshes: `read` the entries since the
/// last kept read, apply them, then `keep` the moved cursor.
pub(crate) struct FollowerCursor(std::sync::Mutex<ChangeCursor>);

/// The most change-log entries one refresh of a derived index reads; a writer that logged
/// more (a large catalogue file) refreshes until a read comes back shorter.
pub(crate) const CHANGES_PER_READ: u32 = 10_000;

impl FollowerCursor {
    pub(crate) fn new(cursor: ChangeCursor) -> FollowerCursor {
        FollowerCursor(std::sync::Mutex::new(cursor))
    }

    /// The entries committed since the last kept read (at most 10,000 new ones per read),
    /// and the cursor moved past them.
    pub(crate) async fn read(
        &self,
        store: &dyn Store,
    ) -> Result<(Vec<ChangeRecord>, ChangeCursor), StoreError> {
        let cursor = self.lock().clone();
        cursor
            .read(store, CHANGES_PER_READ, std::time::Instant::now())
            .await
    }

    /// Keeps `moved` unless another refresh has already read further.
    pub(crate) fn keep(&self, moved: ChangeCursor) {
        let mut current = self.lock();
        if moved.high_water() >= current.high_water() {
            *current = moved;
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, ChangeCursor> {
        self.0.lock().expect("the cursor's lock is never poisoned")
    }
}
