//! Slowing down password guessing: after a few wrong passwords for one address, or many from
//! one client address, sign-in is refused for a while, right or wrong, before any password is
//! checked (which also spares the CPU that Argon2 would burn on a flood).
//!
//! Each key (an e-mail address, a client address) keeps the times of its recent failures; a
//! key with `limit` failures inside `window` is refused until the oldest of them leaves the
//! window. A successful sign-in clears its address's failures (not its client's: one good
//! account must not unlock guessing at others from the same client). The count lives in each
//! node's memory: a cluster of N nodes lets N times the attempts through, still few.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failures allowed per e-mail address within the window.
pub const FAILURES_PER_ADDRESS: usize = 5;
/// Failures allowed per client address (an institution's NAT may carry many people).
pub const FAILURES_PER_CLIENT: usize = 50;
pub const FAILURE_WINDOW: Duration = Duration::from_secs(15 * 60);
/// Keys kept before old ones are swept, so that a flood of made-up addresses cannot grow the
/// map without bound.
const SWEEP_ABOVE_KEYS: usize = 100_000;

/// Failure times per key, with the policy; pure apart from the mutex (the caller passes the
/// time).
#[derive(Default)]
pub struct SignInLimiter {
    failures: Mutex<HashMap<String, VecDeque<Instant>>>,
}

fn address_key(email: &str) -> String {
    format!("email:{}", email.trim().to_lowercase())
}

fn client_key(client: &str) -> String {
    format!("client:{client}")
}

impl SignInLimiter {
    /// `Err(wait)` when either key has used up its failures: the time until one expires.
    pub fn check(&self, email: &str, client: Option<&str>, now: Instant) -> Result<(), Duration> {
        let mut failures = self
            .failures
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let mut wait = Duration::ZERO;
        let keys = [
            Some((address_key(email), FAILURES_PER_ADDRESS)),
            client.map(|client| (client_key(client), FAILURES_PER_CLIENT)),
        ];
        for (key, limit) in keys.into_iter().flatten() {
            if let Some(times) = failures.get_mut(&key) {
                forget_before(times, now);
                if times.len() >= limit {
                    let oldest = times[times.len() - limit];
                    wait = wait.max(FAILURE_WINDOW.saturating_sub(now.duration_since(oldest)));
                }
            }
        }
        if wait.is_zero() {
            Ok(())
        } else {
            // Whole seconds, at least one: what Retry-After can say.
            Err(Duration::from_secs(wait.as_secs().max(1)))
        }
    }

    pub fn record_failure(&self, email: &str, client: Option<&str>, now: Instant) {
        let mut failures = self
            .failures
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if failures.len() > SWEEP_ABOVE_KEYS {
            failures.retain(|_, times| {
                forget_before(times, now);
                !times.is_empty()
            });
        }
        let keys = [Some(address_key(email)), client.map(client_key)];
        for key in keys.into_iter().flatten() {
            let times = failures.entry(key).or_default();
            forget_before(times, now);
            times.push_back(now);
            // More than the larger limit is never needed to decide.
            while times.len() > FAILURES_PER_CLIENT {
                times.pop_front();
            }
        }
    }

    pub fn record_success(&self, email: &str) {
        let mut failures = self
            .failures
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        failures.remove(&address_key(email));
    }
}

fn forget_before(times: &mut VecDeque<Instant>, now: Instant) {
    while times
        .front()
        .is_some_and(|time| now.duration_since(*time) >= FAILURE_WINDOW)
    {
        times.pop_front();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_is_refused_after_its_failures_until_the_oldest_expires() {
        let limiter = SignInLimiter::default();
        let start = Instant::now();
        for minute in 0..FAILURES_PER_ADDRESS as u64 {
            let now = start + Duration::from_secs(60 * minute);
            assert!(limiter.check("a@x.cn", Some("10.0.0.1"), now).is_ok());
            limiter.record_failure("A@x.cn ", Some("10.0.0.1"), now);
        }
        let now = start + Duration::from_secs(60 * 5);
        let wait = limiter.check("a@x.cn", Some("10.0.0.2"), now).unwrap_err();
        assert_eq!(wait, FAILURE_WINDOW - Duration::from_secs(300));
        // Another address from the same client is still fine; the first one frees up when
        // its oldest failure is fifteen minutes old.
        assert!(limiter.check("b@x.cn", Some("10.0.0.1"), now).is_ok());
        assert!(limiter
            .check("a@x.cn", None, start + FAILURE_WINDOW)
            .is_ok());
        // A success clears the address.
        limiter.record_success("a@x.cn");
        assert!(limiter.check("a@x.cn", None, now).is_ok());
    }

    #[test]
    fn a_client_is_refused_after_many_failures_across_addresses() {
        let limiter = SignInLimiter::default();
        let now = Instant::now();
        for attempt in 0..FAILURES_PER_CLIENT {
            assert!(limiter
                .check(&format!("user{attempt}@x.cn"), Some("10.9.9.9"), now)
                .is_ok());
            limiter.record_failure(&format!("user{attempt}@x.cn"), Some("10.9.9.9"), now);
        }
        assert!(limiter.check("fresh@x.cn", Some("10.9.9.9"), now).is_err());
        assert!(limiter.check("fresh@x.cn", Some("10.9.9.10"), now).is_ok());
        // A success does not unlock the client.
        limiter.record_success("fresh@x.cn");
        assert!(limiter.check("fresh@x.cn", Some("10.9.9.9"), now).is_err());
    }
}
