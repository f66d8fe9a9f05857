//! The change log: every change to instruments, calendars and bookings appends an entry in
//! its transaction; serving nodes follow it (through a [`crate::ChangeCursor`]) to keep their
//! derived indexes fresh.

use async_trait::async_trait;

use crate::model::*;
use crate::StoreError;

#[async_trait]
pub trait ChangeLogStore: Send + Sync {
    /// Change-log entries after `after` (oldest first, at most `limit`).
    async fn changes_since(&self, after: i64, limit: u32) -> Result<Vec<ChangeRecord>, StoreError>;
    /// The change-log entries with these numbers that exist (committed), oldest first; a
    /// follower's `ChangeCursor` asks again for numbers it stepped over.
    async fn changes_numbered(&self, numbers: &[i64]) -> Result<Vec<ChangeRecord>, StoreError>;
    /// The number of the newest committed change-log entry; 0 when there is none.
    async fn latest_change_number(&self) -> Result<i64, StoreError>;
}

pub mod cursor;
