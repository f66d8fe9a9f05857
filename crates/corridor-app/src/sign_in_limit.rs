//! Slowing down password guessing: after a few wrong passwords for one address, or many from
//! one client address, sign-in is refused for a while, right or wrong, before any password is
//! checked (which also spares the CPU that Argon2 would burn on a flood).
//!
//! Each key (an e-mail address, a client address) keeps the times of its recent attempts that
//! did not succeed; a key with `limit` of them inside `window` is refused until the oldest
//! leaves the window. An attempt is counted when it begins, in the same critical section that
//! decides whether it may begin at all ([`SignInLimiter::begin`]), so parallel attempts
//! cannot all pass the check before any of them is counted: the limit holds under
//! concurrency. An attempt that then succeeds is taken back ([`SignInLimiter::succeeded`])
//! and clears its address's count (not its client's: one good account must not unlock
//! guessing at others from the same client). The count lives in each node's memory: a
//! cluster of N nodes lets N times the attempts through, still few.

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

/// One counted attempt, with the number that finds it again when it succeeds.
#[derive(Debug, Clone, Copy)]
struct Counted {
    at: Instant,
    attempt: u64,
}

#[derive(Default)]
struct Counts {
    by_key: HashMap<String, VecDeque<Counted>>,
    next_attempt: u64,
}

/// How many attempts a limiter lets through per key within its window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttemptLimits {
    pub per_address: usize,
    pub per_client: usize,
    pub window: Duration,
}

impl Default for AttemptLimits {
    /// The sign-in policy: [`FAILURES_PER_ADDRESS`] and [`FAILURES_PER_CLIENT`] failures in
    /// [`FAILURE_WINDOW`].
    fn default() -> AttemptLimits {
        AttemptLimits {
            per_address: FAILURES_PER_ADDRESS,
            per_client: FAILURES_PER_CLIENT,
            window: FAILURE_WINDOW,
        }
    }
}

/// Attempt times per key, with the policy; pure apart from the mutex (the caller passes the
/// time). The same limiter, with other limits, paces the requests that send mail (sign-up,
/// password reset, a new verification link): there every request counts, as no request
/// "succeeds" in the limiter's sense.
#[derive(Default)]
pub struct SignInLimiter {
    counts: Mutex<Counts>,
    limits: AttemptLimits,
}

/// An attempt that was let through and counted; hand it back with
/// [`SignInLimiter::succeeded`] when the credentials were right. Dropped otherwise: the
/// attempt stays counted as a failure.
#[derive(Debug)]
#[must_use = "a sign-in attempt that succeeded must be handed back, or it counts as a failure"]
pub struct SignInAttempt {
    attempt: u64,
    email: String,
    client: Option<String>,
}

fn address_key(email: &str) -> String {
    format!("email:{}", email.trim().to_lowercase())
}

fn client_key(client: &str) -> String {
    format!("client:{client}")
}

impl SignInLimiter {
    pub fn with_limits(limits: AttemptLimits) -> SignInLimiter {
        SignInLimiter {
            counts: Mutex::default(),
            limits,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Counts> {
        self.counts
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Lets an attempt begin and counts it, or `Err(wait)` when the address or the client has
    /// used up its attempts: the time until the oldest counted one leaves the window.
    pub fn begin(
        &self,
        email: &str,
        client: Option<&str>,
        now: Instant,
    ) -> Result<SignInAttempt, Duration> {
        let limits = self.limits;
        let mut counts = self.lock();
        if counts.by_key.len() > SWEEP_ABOVE_KEYS {
            counts.by_key.retain(|_, times| {
                forget_before(times, now, limits.window);
                !times.is_empty()
            });
        }
        let keys = [
            Some((address_key(email), limits.per_address)),
            client.map(|client| (client_key(client), limits.per_client)),
        ];
        let mut wait = Duration::ZERO;
        for (key, limit) in keys.iter().flatten() {
            if let Some(times) = counts.by_key.get_mut(key) {
                forget_before(times, now, limits.window);
                if times.len() >= *limit {
                    let oldest = times[times.len() - limit].at;
                    wait = wait.max(limits.window.saturating_sub(now.duration_since(oldest)));
                }
            }
        }
        if !wait.is_zero() {
            // Whole seconds, at least one: what Retry-After can say.
            return Err(Duration::from_secs(wait.as_secs().max(1)));
        }
        let attempt = counts.next_attempt;
        counts.next_attempt += 1;
        for (key, _) in keys.into_iter().flatten() {
            let times = counts.by_key.entry(key).or_default();
            times.push_back(Counted { at: now, attempt });
            // More than the larger limit is never needed to decide.
            while times.len() > limits.per_client.max(limits.per_address) {
                times.pop_front();
            }
        }
        Ok(SignInAttempt {
            attempt,
            email: email.to_owned(),
            client: client.map(str::to_owned),
        })
    }

    /// The attempt's credentials were right: it no longer counts, and its address starts
    /// afresh.
    pub fn succeeded(&self, attempt: SignInAttempt) {
        let mut counts = self.lock();
        counts.by_key.remove(&address_key(&attempt.email));
        if let Some(client) = &attempt.client {
            if let Some(times) = counts.by_key.get_mut(&client_key(client)) {
                times.retain(|counted| counted.attempt != attempt.attempt);
            }
        }
    }
}

fn forget_before(times: &mut VecDeque<Counted>, now: Instant, window: Duration) {
    while times
        .front()
        .is_some_and(|counted| now.duration_since(counted.at) >= window)
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
            let case = if minute % 2 == 0 { "a@x.cn" } else { "A@x.cn " };
            drop(limiter.begin(case, Some("10.0.0.1"), now).unwrap());
        }
        let now = start + Duration::from_secs(60 * 5);
        let wait = limiter.begin("a@x.cn", Some("10.0.0.2"), now).unwrap_err();
        assert_eq!(wait, FAILURE_WINDOW - Duration::from_secs(300));
        // Another address from the same client is still fine; the first one frees up when
        // its oldest failure is fifteen minutes old.
        let other = limiter.begin("b@x.cn", Some("10.0.0.1"), now).unwrap();
        limiter.succeeded(other);
        let freed = limiter
            .begin("a@x.cn", None, start + FAILURE_WINDOW)
            .unwrap();
        // A success clears the address.
        limiter.succeeded(freed);
        assert!(limiter.begin("a@x.cn", None, now).is_ok());
    }

    #[test]
    fn a_client_is_refused_after_many_failures_across_addresses() {
        let limiter = SignInLimiter::default();
        let now = Instant::now();
        for attempt in 0..FAILURES_PER_CLIENT {
            drop(
                limiter
                    .begin(&format!("user{attempt}@x.cn"), Some("10.9.9.9"), now)
                    .unwrap(),
            );
        }
        assert!(limiter.begin("fresh@x.cn", Some("10.9.9.9"), now).is_err());
        let elsewhere = limiter.begin("fresh@x.cn", Some("10.9.9.10"), now).unwrap();
        // A success does not unlock the client it did not come from.
        limiter.succeeded(elsewhere);
        assert!(limiter.begin("fresh@x.cn", Some("10.9.9.9"), now).is_err());
    }

    #[test]
    fn attempts_in_flight_count_before_they_are_decided() {
        // Twenty attempts begin before any of them is decided (as parallel requests do): only
        // the address's allowance may begin.
        let limiter = SignInLimiter::default();
        let now = Instant::now();
        let begun: Vec<_> = (0..20)
            .map(|_| limiter.begin("target@x.cn", Some("10.1.1.1"), now))
            .collect();
        let let_through = begun.iter().filter(|attempt| attempt.is_ok()).count();
        assert_eq!(let_through, FAILURES_PER_ADDRESS);
    }
}
