//! Following the change log without missing a late commit.
//!
//! Change-log numbers are taken when an entry is written, not when its transaction commits.
//! On PostgreSQL a transaction that took number 100 can commit after others took and
//! committed 101 to 300, so a follower that read up to 300 in between never saw 100, and
//! reading only above its high-water mark would skip it for good. The cursor therefore
//! remembers every number it stepped over and asks for those again on each read, until they
//! appear or `LATE_COMMIT_PATIENCE` has passed (a rolled-back transaction leaves its numbers
//! unused for ever). SQLite commits one writer at a time, so there its reads skip nothing
//! but the numbers of rolled-back writes.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use crate::{ChangeRecord, Store, StoreError};

/// How long a skipped number is asked for again. A transaction of this product that writes
/// the change log commits within seconds; a number still missing after this is taken to
/// belong to a transaction that rolled back.
pub const LATE_COMMIT_PATIENCE: Duration = Duration::from_secs(60);

/// A new cursor looks this many numbers below the newest entry for ones still missing.
const STARTUP_LOOK_BACK: i64 = 10_000;

/// The most skipped numbers remembered at once; beyond it the oldest are given up (with a
/// warning), so that one enormous rolled-back import cannot make every read ask for
/// millions of numbers.
const MOST_SKIPPED_REMEMBERED: usize = 100_000;

/// Where a follower has read the change log to, and the numbers below that it has not seen.
///
/// `read` does not move the cursor itself: it returns the entries and the cursor moved past
/// them, which the follower keeps once it has applied the entries, so that a failure to apply
/// them reads them again.
#[derive(Debug, Clone)]
pub struct ChangeCursor {
    high_water: i64,
    /// Skipped numbers, each with the moment it was first found missing.
    skipped: BTreeMap<i64, Instant>,
}

impl ChangeCursor {
    /// A cursor after `high_water`: it reads the entries numbered above it.
    pub fn after(high_water: i64) -> ChangeCursor {
        ChangeCursor {
            high_water,
            skipped: BTreeMap::new(),
        }
    }

    /// A cursor after the newest entry in the store, still asking for the numbers missing
    /// among the `STARTUP_LOOK_BACK` below it (transactions that had not committed yet).
    pub async fn at_latest(store: &dyn Store, now: Instant) -> Result<ChangeCursor, StoreError> {
        let latest = store.latest_change_number().await?;
        let look_back = ChangeCursor::after((latest - STARTUP_LOOK_BACK).max(0));
        let (_, cursor) = look_back.read(store, STARTUP_LOOK_BACK as u32, now).await?;
        Ok(cursor)
    }

    /// The highest number read.
    pub fn high_water(&self) -> i64 {
        self.high_water
    }

    /// How many skipped numbers the cursor still asks for.
    pub fn skipped_numbers(&self) -> usize {
        self.skipped.len()
    }

    /// The entries committed since the cursor was made (at most `limit` above its high-water
    /// mark, then the skipped numbers that have committed since), oldest number first, and the
    /// cursor moved past them. `now` dates the numbers found missing in this read.
    pub async fn read(
        &self,
        store: &dyn Store,
        limit: u32,
        now: Instant,
    ) -> Result<(Vec<ChangeRecord>, ChangeCursor), StoreError> {
        let mut moved = self.clone();
        moved.skipped.retain(|_, first_missed| {
            now.saturating_duration_since(*first_missed) < LATE_COMMIT_PATIENCE
        });
        let mut changes = if moved.skipped.is_empty() {
            Vec::new()
        } else {
            let wanted: Vec<i64> = moved.skipped.keys().copied().collect();
            let late = store.changes_numbered(&wanted).await?;
            for change in &late {
                moved.skipped.remove(&change.seq);
            }
            late
        };
        let newer = store.changes_since(self.high_water, limit).await?;
        let mut given_up = 0;
        for change in &newer {
            let first_missing = moved.high_water + 1;
            let remembered_from = first_missing.max(change.seq - MOST_SKIPPED_REMEMBERED as i64);
            given_up += remembered_from - first_missing;
            for missing in remembered_from..change.seq {
                moved.skipped.insert(missing, now);
            }
            moved.high_water = moved.high_water.max(change.seq);
        }
        while moved.skipped.len() > MOST_SKIPPED_REMEMBERED {
            moved.skipped.pop_first();
            given_up += 1;
        }
        if given_up > 0 {
            tracing::warn!(
                given_up,
                "more change-log numbers skipped than a follower remembers; the oldest are no longer asked for"
            );
        }
        changes.extend(newer);
        Ok((changes, moved))
    }
}
