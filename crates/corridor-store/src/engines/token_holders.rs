//! The stores' memory of live API tokens: on PostgreSQL kept right by the database's
//! notifications, on SQLite (one serving process) by the process's own revocations.
//!
//! Every API request carries a token, and asking the database about it on every request
//! costs the server one query per request: under the booking hammer that query doubled the
//! statements PostgreSQL ran per booking and cut the throughput by two fifths (BENCHMARKS.md,
//! issue 30). A revoked token must still be refused at once on every node, so the memory is
//! not a cache with a lifetime: revoking a token sends `NOTIFY corridor_api_token_revoked` in
//! the revoking transaction, and every node's listener forgets the token as the notification
//! arrives (milliseconds after the commit). While a node is not listening (before its listener
//! has connected, or after its connection dropped and notifications may have been missed) it
//! remembers nothing and asks the database every time.
//!
//! **Architecture Invariant:** a token is answered from memory only while the node's listener
//! is connected, and only if no revocation arrived between the database's answer and the
//! moment it was remembered (the generation check in [`LiveTokenHolders::remember`]).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use corridor_domain::UserId;
use jiff::Timestamp;
use sqlx::postgres::{PgListener, PgPool};

/// The channel revocations are announced on; the payload is the token's hash.
pub(crate) const TOKEN_REVOKED_CHANNEL: &str = "corridor_api_token_revoked";

/// How long a remembered token is trusted even without any revocation: a bound on what a
/// missed notification could cost if the database lost one.
const REMEMBERED_AT_MOST: Duration = Duration::from_secs(300);

/// How many tokens a node remembers before it starts again from nothing.
const REMEMBERED_TOKENS_AT_MOST: usize = 100_000;

/// Live tokens seen recently: token hash → (holder, expiry, when it was looked up).
#[derive(Default)]
pub(crate) struct LiveTokenHolders {
    entries: Mutex<HashMap<String, (UserId, Timestamp, Instant)>>,
    /// Moves on with every revocation (and every loss of the listener), so that an answer
    /// read before it is not remembered after it.
    generation: AtomicU64,
    listening: AtomicBool,
}

impl LiveTokenHolders {
    /// The remembered holder of a token that is live at `now`, if any.
    pub(crate) fn holder(&self, token_hash: &str, now: Timestamp) -> Option<UserId> {
        if !self.listening.load(Ordering::Acquire) {
            return None;
        }
        let entries = self.entries.lock().ok()?;
        let (user, expires_at, looked_up) = entries.get(token_hash)?;
        (*expires_at > now && looked_up.elapsed() < REMEMBERED_AT_MOST).then_some(*user)
    }

    /// Whether the listener is connected, so that tokens are remembered.
    pub(crate) fn listening(&self) -> bool {
        self.listening.load(Ordering::Acquire)
    }

    /// The generation to pass to [`Self::remember`]: read it before asking the database.
    pub(crate) fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Remembers the database's answer, unless a revocation arrived since `generation` was
    /// read (the answer may predate it) or the listener is not connected.
    pub(crate) fn remember(
        &self,
        token_hash: &str,
        holder: UserId,
        expires_at: Timestamp,
        generation: u64,
    ) {
        if !self.listening.load(Ordering::Acquire) {
            return;
        }
        let Ok(mut entries) = self.entries.lock() else {
            return;
        };
        // Checked under the lock that `forget` also takes, so a revocation cannot slip in
        // between this check and the insert.
        if self.generation.load(Ordering::Acquire) != generation {
            return;
        }
        if entries.len() >= REMEMBERED_TOKENS_AT_MOST {
            entries.clear();
        }
        entries.insert(token_hash.to_owned(), (holder, expires_at, Instant::now()));
    }

    /// For a database only this process serves (SQLite): there is nothing to listen to, and
    /// the process's own revocations forget their tokens.
    pub(crate) fn in_one_process() -> LiveTokenHolders {
        let holders = LiveTokenHolders::default();
        holders.listening.store(true, Ordering::Release);
        holders
    }

    pub(crate) fn forget(&self, token_hash: &str) {
        if let Ok(mut entries) = self.entries.lock() {
            self.generation.fetch_add(1, Ordering::AcqRel);
            entries.remove(token_hash);
        }
    }

    fn forget_all_and_listen(&self, listening: bool) {
        if let Ok(mut entries) = self.entries.lock() {
            self.generation.fetch_add(1, Ordering::AcqRel);
            self.listening.store(listening, Ordering::Release);
            entries.clear();
        }
    }
}

/// Starts the node's listener: it forgets each revoked token as its notification arrives,
/// reconnects after a lost connection (remembering nothing meanwhile), and ends when the
/// store is dropped.
pub(crate) fn spawn_revocation_listener(pool: PgPool, holders: &Arc<LiveTokenHolders>) {
    let holders = Arc::downgrade(holders);
    tokio::spawn(async move {
        loop {
            if holders.strong_count() == 0 {
                return;
            }
            if let Err(error) = listen_until_lost(&pool, &holders).await {
                tracing::warn!(%error, "the API-token revocation listener lost its connection; tokens are checked in the database until it is back");
            }
            if let Some(holders) = holders.upgrade() {
                holders.forget_all_and_listen(false);
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    });
}

async fn listen_until_lost(
    pool: &PgPool,
    holders: &Weak<LiveTokenHolders>,
) -> Result<(), sqlx::Error> {
    let mut listener = PgListener::connect_with(pool).await?;
    listener.listen(TOKEN_REVOKED_CHANNEL).await?;
    match holders.upgrade() {
        Some(holders) => holders.forget_all_and_listen(true),
        None => return Ok(()),
    }
    loop {
        // `try_recv` answers `None` when the connection was lost: notifications sent until
        // it is back would be missed, so the memory is dropped.
        let Some(notification) = listener.try_recv().await? else {
            return Err(sqlx::Error::PoolClosed);
        };
        match holders.upgrade() {
            Some(holders) => holders.forget(notification.payload()),
            None => return Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(second: i64) -> Timestamp {
        Timestamp::from_second(second).unwrap()
    }

    #[test]
    fn nothing_is_remembered_while_not_listening() {
        let holders = LiveTokenHolders::default();
        holders.remember("h", UserId(1), at(100), holders.generation());
        assert_eq!(holders.holder("h", at(0)), None);
    }

    #[test]
    fn a_remembered_token_is_answered_until_it_expires_or_is_revoked() {
        let holders = LiveTokenHolders::default();
        holders.forget_all_and_listen(true);
        holders.remember("h", UserId(1), at(100), holders.generation());
        assert_eq!(holders.holder("h", at(0)), Some(UserId(1)));
        assert_eq!(holders.holder("h", at(100)), None, "expired");
        holders.forget("h");
        assert_eq!(holders.holder("h", at(0)), None, "revoked");
    }

    #[test]
    fn an_answer_read_before_a_revocation_is_not_remembered_after_it() {
        let holders = LiveTokenHolders::default();
        holders.forget_all_and_listen(true);
        let before = holders.generation();
        holders.forget("h");
        holders.remember("h", UserId(1), at(100), before);
        assert_eq!(holders.holder("h", at(0)), None);
    }

    #[test]
    fn losing_the_listener_forgets_everything() {
        let holders = LiveTokenHolders::default();
        holders.forget_all_and_listen(true);
        holders.remember("h", UserId(1), at(100), holders.generation());
        holders.forget_all_and_listen(false);
        assert_eq!(holders.holder("h", at(0)), None);
        holders.forget_all_and_listen(true);
        assert_eq!(holders.holder("h", at(0)), None);
    }
}
