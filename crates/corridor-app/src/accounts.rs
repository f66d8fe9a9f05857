//! Accounts: who someone is and how they prove it. Passwords (argon2id), sign-in with its
//! limiter, web sessions and API tokens, and the audit trail's reading.
//!
//! Passwords are hashed with argon2id (the `argon2` crate's defaults, OWASP's minimum: 19 MiB,
//! two passes). Session tokens and API tokens are 256-bit random strings; only their SHA-256
//! is stored, so a copy of the database cannot be replayed as a sign-in.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use base64::Engine;
use corridor_domain::{bounded_text, EmailAddress, PlaintextPassword, Role, User, UserId};
use corridor_store::{
    ApiTokenInfo, AuditContext, AuditEvent, IdentityStore, Page, PageRequest, SessionRecord,
};
use jiff::Timestamp;
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::actor::Actor;
use crate::error::{AppError, AppResult};
use crate::sign_in_limit::SignInLimiter;

/// Every API token starts with this, so that a bearer value can be told from a session token.
pub const API_TOKEN_PREFIX: &str = "crd_";
/// The server ends a web session this long after sign-in, whatever the browser keeps.
pub const SESSION_LIFETIME_HOURS: i64 = 12;
/// The longest name an API token may have.
pub const LONGEST_TOKEN_NAME_CHARS: usize = 100;
/// How long an API token lives when its owner does not say.
pub const DEFAULT_TOKEN_LIFETIME_DAYS: u32 = 90;
/// The longest an API token may live: a year, after which a new one must be made.
pub const LONGEST_TOKEN_LIFETIME_DAYS: u32 = 365;

/// Hashes a password with argon2id and a random salt, in PHC string form.
pub fn hash_password(password: &PlaintextPassword) -> String {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.expose().as_bytes(), &salt)
        .expect("argon2 with default parameters accepts any password up to its length limit")
        .to_string()
}

/// Checks a password against a stored PHC hash; a malformed hash never verifies.
pub fn verify_password(stored_hash: &str, password: &PlaintextPassword) -> bool {
    match PasswordHash::new(stored_hash) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.expose().as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// A fresh random secret (URL-safe base64 of 32 bytes) and the hash under which it is stored.
pub fn new_secret(prefix: &str) -> (String, String) {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let secret = format!(
        "{prefix}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    );
    let hash = secret_hash(&secret);
    (secret, hash)
}

/// The hash under which a secret is stored (SHA-256, hex).
pub fn secret_hash(secret: &str) -> String {
    let digest = Sha256::digest(secret.as_bytes());
    digest.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// A token's lifetime as asked: 1 to a year, [`DEFAULT_TOKEN_LIFETIME_DAYS`] when not said.
fn checked_lifetime(lifetime_days: Option<u32>) -> AppResult<u32> {
    let days = lifetime_days.unwrap_or(DEFAULT_TOKEN_LIFETIME_DAYS);
    if !(1..=LONGEST_TOKEN_LIFETIME_DAYS).contains(&days) {
        return Err(AppError::invalid(
            "lifetime_days",
            format!("must be 1 to {LONGEST_TOKEN_LIFETIME_DAYS} days"),
        ));
    }
    Ok(days)
}

/// The hash an unknown address is checked against, so that "no such user" takes as long as
/// "wrong password" and the answer time does not reveal which addresses have accounts.
fn timing_equaliser_hash() -> String {
    hash_password(
        &PlaintextPassword::for_sign_in("timing equaliser, never a real password".into())
            .expect("non-empty"),
    )
}

/// A new API token: the secret is shown to its owner once and never stored.
#[derive(Debug, Clone)]
pub struct CreatedApiToken {
    pub id: i64,
    pub name: String,
    pub token: String,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
}

/// A new web session: the secret goes into the browser's cookie.
#[derive(Debug, Clone)]
pub struct StartedSession {
    pub user: User,
    pub token: String,
}

/// Starts a web session for `user`, who has proved who they are (a password, an identity
/// provider): the same session whichever way they signed in.
pub(crate) async fn open_session(
    store: &dyn IdentityStore,
    actor: &Actor,
    user: User,
) -> AppResult<StartedSession> {
    let (token, token_hash) = new_secret("");
    let now = corridor_store::now();
    let session = SessionRecord {
        token_hash,
        user: user.id,
        created_at: now,
        expires_at: now
            .checked_add(jiff::SignedDuration::from_hours(SESSION_LIFETIME_HOURS))
            .unwrap_or(now),
        client_address: actor.client_address.clone(),
    };
    let context = AuditContext {
        actor: Some(user.id),
        client_address: actor.client_address.clone(),
    };
    store.create_session(&session, &context).await?;
    Ok(StartedSession { user, token })
}

/// How long the user (profile and roles) behind an API token is reused without asking the
/// store again. The token itself is checked on every request.
pub const TOKEN_HOLDER_CACHE_SECONDS: u64 = 2;
const TOKEN_HOLDER_CACHE_ENTRIES: usize = 10_000;

/// Users recently found behind API tokens, by id, for [`TOKEN_HOLDER_CACHE_SECONDS`]. A busy
/// API client sends the same token hundreds of times a second. Whether the token is still
/// live (not revoked, not expired) is asked of the store on every request, one indexed
/// lookup, so that a revoked token is refused at once on every node; only the user's profile
/// and roles, a second query, are reused, so a change of roles reaches a token's calls up to
/// that long later.
#[derive(Default)]
struct TokenHolderCache {
    entries: Mutex<HashMap<UserId, (User, Instant)>>,
}

impl TokenHolderCache {
    fn get(&self, user: UserId) -> Option<User> {
        let entries = self.entries.lock().ok()?;
        entries
            .get(&user)
            .filter(|(_, seen)| seen.elapsed().as_secs() < TOKEN_HOLDER_CACHE_SECONDS)
            .map(|(user, _)| user.clone())
    }

    fn put(&self, user: User) {
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() >= TOKEN_HOLDER_CACHE_ENTRIES {
                entries
                    .retain(|_, (_, seen)| seen.elapsed().as_secs() < TOKEN_HOLDER_CACHE_SECONDS);
                if entries.len() >= TOKEN_HOLDER_CACHE_ENTRIES {
                    entries.clear();
                }
            }
            entries.insert(user.id, (user, Instant::now()));
        }
    }
}

/// How long a password check waits for one of the node's password workers before the
/// attempt is turned away with "try again in a second".
pub const PASSWORD_WORK_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

/// The password hashing and checking a node runs at once: half its cores, at least one.
///
/// Argon2 takes tens of milliseconds of a core on purpose. The sign-in limiter bounds the
/// guesses per address and per client, but a flood from many client addresses, each within
/// its own allowance, would still keep every core hashing and starve every other request;
/// with this bound, password work never takes more than its share of the node, and what
/// waits longer than [`PASSWORD_WORK_WAIT`] is refused at once (429) instead of queueing
/// without end.
#[derive(Clone)]
pub struct PasswordWorkers {
    permits: Arc<tokio::sync::Semaphore>,
}

impl PasswordWorkers {
    pub fn for_this_machine() -> PasswordWorkers {
        let cores = std::thread::available_parallelism()
            .map(std::num::NonZeroUsize::get)
            .unwrap_or(2);
        PasswordWorkers::new((cores / 2).max(1))
    }

    pub fn new(workers: usize) -> PasswordWorkers {
        PasswordWorkers {
            permits: Arc::new(tokio::sync::Semaphore::new(workers.max(1))),
        }
    }

    /// Runs `work` (hashing or checking a password) on a blocking thread once a worker is
    /// free; `TooManySignInAttempts` when none frees up within [`PASSWORD_WORK_WAIT`].
    pub async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> AppResult<T> {
        let permit = tokio::time::timeout(PASSWORD_WORK_WAIT, self.permits.clone().acquire_owned())
            .await
            .map_err(|_| AppError::TooManySignInAttempts {
                retry_after: std::time::Duration::from_secs(1),
            })?
            .map_err(|error| AppError::internal_because("waiting for a password worker", error))?;
        tokio::task::spawn_blocking(move || {
            let answer = work();
            drop(permit);
            answer
        })
        .await
        .map_err(|error| AppError::internal_because("hashing or checking a password", error))
    }
}

/// The state accounts keep between requests: the sign-in limiter, the users behind recently
/// seen API tokens, the timing equaliser's hash and the password workers.
pub(crate) struct AccountsState {
    sign_in_limiter: SignInLimiter,
    token_holders: TokenHolderCache,
    timing_equaliser_hash: String,
    pub(crate) password_workers: PasswordWorkers,
}

impl AccountsState {
    pub(crate) fn new() -> AccountsState {
        AccountsState {
            sign_in_limiter: SignInLimiter::default(),
            token_holders: TokenHolderCache::default(),
            timing_equaliser_hash: timing_equaliser_hash(),
            password_workers: PasswordWorkers::for_this_machine(),
        }
    }
}

/// The accounts service (see the module's documentation).
pub struct Accounts<'a> {
    pub(crate) store: &'a dyn IdentityStore,
    pub(crate) state: &'a AccountsState,
}

impl Accounts<'_> {
    /// The user whose address and password these are, or `BadCredentials`. Accounts without
    /// a password (generated demo users, single-sign-on accounts) cannot sign in with one.
    ///
    /// Refused with `TooManySignInAttempts` before any check once the address or the client
    /// has failed too often (see `sign_in_limit`).
    #[tracing::instrument(skip_all, fields(client = actor.client_address.as_deref()))]
    pub async fn check_credentials(
        &self,
        actor: &Actor,
        email: &EmailAddress,
        password: PlaintextPassword,
    ) -> AppResult<User> {
        let client_address = actor.client_address.as_deref();
        // Counted before anything is checked, so that parallel guesses cannot all pass the
        // limiter before any of them has failed.
        let attempt = self
            .state
            .sign_in_limiter
            .begin(email.as_str(), client_address, Instant::now())
            .map_err(|wait| AppError::TooManySignInAttempts { retry_after: wait })?;
        let candidate = self.store.sign_in_candidate(email).await?;
        let (stored_hash, user) = match candidate {
            Some(candidate) => match candidate.password_hash {
                Some(hash) => (hash, Some((candidate.user, candidate.email_verified))),
                None => (self.state.timing_equaliser_hash.clone(), None),
            },
            None => (self.state.timing_equaliser_hash.clone(), None),
        };
        // Argon2 takes tens of milliseconds of CPU on purpose: keep it off the async workers,
        // and within the node's share for password work.
        let verified = self
            .state
            .password_workers
            .run(move || verify_password(&stored_hash, &password))
            .await?;
        match (verified, user) {
            (true, Some((user, true))) => {
                self.state.sign_in_limiter.succeeded(attempt);
                Ok(user)
            }
            // Said only to someone who knows the password, so it reveals nothing new.
            (true, Some((_, false))) => {
                self.state.sign_in_limiter.succeeded(attempt);
                Err(AppError::EmailNotVerified)
            }
            // The attempt stays counted.
            _ => Err(AppError::BadCredentials),
        }
    }

    /// Checks the credentials and creates a named API token for their user, living
    /// `lifetime_days` (1 to a year; [`DEFAULT_TOKEN_LIFETIME_DAYS`] when not said).
    pub async fn create_api_token(
        &self,
        actor: &Actor,
        email: &str,
        password: String,
        name: &str,
        lifetime_days: Option<u32>,
    ) -> AppResult<CreatedApiToken> {
        bounded_text("name", name, LONGEST_TOKEN_NAME_CHARS)?;
        checked_lifetime(lifetime_days)?;
        let password = PlaintextPassword::for_sign_in(password)?;
        let email = EmailAddress::parse(email)?;
        let user = self.check_credentials(actor, &email, password).await?;
        self.issue_api_token(actor, &user, name, lifetime_days)
            .await
    }

    async fn issue_api_token(
        &self,
        actor: &Actor,
        user: &User,
        name: &str,
        lifetime_days: Option<u32>,
    ) -> AppResult<CreatedApiToken> {
        let name = bounded_text("name", name, LONGEST_TOKEN_NAME_CHARS)?;
        let lifetime_days = checked_lifetime(lifetime_days)?;
        let (token, token_hash) = new_secret(API_TOKEN_PREFIX);
        let context = AuditContext {
            actor: Some(user.id),
            client_address: actor.client_address.clone(),
        };
        let expires_at =
            corridor_store::now() + jiff::SignedDuration::from_hours(24 * i64::from(lifetime_days));
        let info = self
            .store
            .create_api_token(user.id, &name, &token_hash, expires_at, &context)
            .await?;
        Ok(CreatedApiToken {
            id: info.id,
            name: info.name,
            token,
            created_at: info.created_at,
            expires_at: info.expires_at,
        })
    }

    /// Creates an API token for the signed-in user (a web session proves who they are, so no
    /// password is asked again), living `lifetime_days` as in [`Self::create_api_token`].
    pub async fn create_my_api_token(
        &self,
        actor: &Actor,
        name: &str,
        lifetime_days: Option<u32>,
    ) -> AppResult<CreatedApiToken> {
        let user = actor.require_user()?.clone();
        self.issue_api_token(actor, &user, name, lifetime_days)
            .await
    }

    /// The signed-in user's API tokens, newest first (their secrets are never shown again).
    pub async fn my_api_tokens(&self, actor: &Actor) -> AppResult<Vec<ApiTokenInfo>> {
        let user = actor.require_user()?;
        Ok(self.store.api_tokens_of_user(user.id).await?)
    }

    /// Revokes one of the signed-in user's API tokens; refused at once on every node from
    /// then on. Another user's token is not found.
    #[tracing::instrument(skip_all, fields(token))]
    pub async fn revoke_my_api_token(&self, actor: &Actor, token: i64) -> AppResult<ApiTokenInfo> {
        let user = actor.require_user()?;
        Ok(self
            .store
            .revoke_api_token(user.id, token, &actor.audit_context())
            .await?)
    }

    /// Checks the credentials and starts a web session for their user. A malformed address
    /// or an empty password is answered like any wrong credential.
    pub async fn start_session(
        &self,
        actor: &Actor,
        email: &str,
        password: String,
    ) -> AppResult<StartedSession> {
        let credentials = EmailAddress::parse(email)
            .ok()
            .zip(PlaintextPassword::for_sign_in(password).ok());
        let Some((email, password)) = credentials else {
            return Err(AppError::BadCredentials);
        };
        let user = self.check_credentials(actor, &email, password).await?;
        open_session(self.store, actor, user).await
    }

    /// Ends the web session whose secret this is (nothing happens for an unknown one).
    pub async fn end_session(&self, actor: &Actor, session_token: &str) -> AppResult<()> {
        self.store
            .delete_session(&secret_hash(session_token), &actor.audit_context())
            .await?;
        Ok(())
    }

    /// The user of a live web session, if the secret names one.
    pub async fn session_user(&self, session_token: &str) -> AppResult<Option<User>> {
        if session_token.len() >= 200 {
            return Ok(None);
        }
        Ok(self.store.session_user(&secret_hash(session_token)).await?)
    }

    /// The user of an API token, or `Unauthenticated` for a token that does not check out.
    pub async fn api_token_user(&self, token: &str) -> AppResult<User> {
        if !token.starts_with(API_TOKEN_PREFIX) || token.len() >= 200 {
            return Err(AppError::Unauthenticated);
        }
        let holder = self
            .store
            .live_api_token_holder(&secret_hash(token), corridor_store::now())
            .await?
            .ok_or(AppError::Unauthenticated)?;
        if let Some(user) = self.state.token_holders.get(holder) {
            return Ok(user);
        }
        let user = self
            .store
            .user(holder)
            .await?
            .ok_or(AppError::Unauthenticated)?;
        self.state.token_holders.put(user.clone());
        Ok(user)
    }

    /// The audit trail, newest first: platform admins only.
    pub async fn audit_events(
        &self,
        actor: &Actor,
        page: PageRequest,
    ) -> AppResult<Page<AuditEvent>> {
        let user = actor.require_user()?;
        if !user.has_role(Role::PlatformAdmin) {
            return Err(AppError::Forbidden(
                "the audit trail is visible to platform admins only".into(),
            ));
        }
        Ok(self.store.audit_events(page).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_hashes_verify_only_the_same_password() {
        let password = PlaintextPassword::for_sign_in("a long enough secret".into()).unwrap();
        let hash = hash_password(&password);
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert!(verify_password(&hash, &password));
        assert!(!verify_password(
            &hash,
            &PlaintextPassword::for_sign_in("another secret!".into()).unwrap()
        ));
        assert!(!verify_password("not a hash", &password));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn password_work_beyond_the_workers_is_turned_away_not_queued_forever() {
        let workers = PasswordWorkers::new(1);
        let (release, held) = std::sync::mpsc::channel::<()>();
        let (started, running) = tokio::sync::oneshot::channel::<()>();
        let busy = workers.clone();
        let first = tokio::spawn(async move {
            busy.run(move || {
                let _ = started.send(());
                held.recv().ok();
                "first"
            })
            .await
        });
        running.await.unwrap();
        // The only worker is busy past the wait: the next attempt is refused with a retry.
        let refused = workers.run(|| "second").await.unwrap_err();
        assert!(
            matches!(refused, AppError::TooManySignInAttempts { .. }),
            "{refused:?}"
        );
        release.send(()).unwrap();
        assert_eq!(first.await.unwrap().unwrap(), "first");
        // Once it is free, work runs again.
        assert_eq!(workers.run(|| "third").await.unwrap(), "third");
    }

    #[test]
    fn secrets_are_random_and_stored_as_their_hash() {
        let (first, first_hash) = new_secret(API_TOKEN_PREFIX);
        let (second, _) = new_secret(API_TOKEN_PREFIX);
        assert_ne!(first, second);
        assert!(first.starts_with(API_TOKEN_PREFIX));
        assert_eq!(first_hash, secret_hash(&first));
        assert_eq!(first_hash.len(), 64);
        assert!(!first_hash.contains(&first));
    }
}
