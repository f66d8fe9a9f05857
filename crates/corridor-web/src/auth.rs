//! Who is asking: passwords, sessions, API tokens and CSRF tokens.
//!
//! Passwords are hashed with argon2id (the `argon2` crate's defaults, OWASP's minimum: 19 MiB,
//! two passes). Session cookies and API tokens are 256-bit random strings; only their SHA-256
//! is stored, so a copy of the database cannot be replayed as a login.
//!
//! Architecture Invariant: the JSON API accepts a session cookie only for safe methods
//! (GET, HEAD). A request that changes state through the API must carry a bearer token, which
//! a cross-site form cannot send; web forms carry a CSRF token instead (double submit: a
//! `SameSite=Strict` cookie and a hidden field that must be equal).

use std::net::SocketAddr;
use std::sync::Arc;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{header, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use base64::Engine;
use corridor_domain::{PlaintextPassword, User};
use corridor_store::AuditContext;
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::problem::ApiError;
use crate::AppState;

pub const SESSION_COOKIE: &str = "corridor_session";
pub const CSRF_COOKIE: &str = "corridor_csrf";
pub const API_TOKEN_PREFIX: &str = "crd_";
pub const SESSION_LIFETIME_HOURS: i64 = 12;

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

pub fn secret_hash(secret: &str) -> String {
    let digest = Sha256::digest(secret.as_bytes());
    digest.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// The session cookie lives as long as the browser session; the server ends it after
/// [`SESSION_LIFETIME_HOURS`] whatever the browser keeps.
pub fn session_cookie(value: String, secure: bool) -> Cookie<'static> {
    Cookie::build((SESSION_COOKIE, value))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure)
        .build()
}

pub fn csrf_cookie(value: String, secure: bool) -> Cookie<'static> {
    Cookie::build((CSRF_COOKIE, value))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(secure)
        .build()
}

/// The requester, if they proved who they are: by bearer token, or by session cookie on a
/// safe method or on a web form (whose CSRF token the form handler checks).
pub struct Requester {
    pub user: Option<User>,
    pub client_address: Option<String>,
}

impl Requester {
    pub fn audit_context(&self) -> AuditContext {
        AuditContext {
            actor: self.user.as_ref().map(|user| user.id),
            client_address: self.client_address.clone(),
        }
    }

    pub fn require_user(&self) -> Result<&User, ApiError> {
        self.user.as_ref().ok_or(ApiError::Unauthenticated)
    }
}

pub fn client_address(parts: &Parts) -> Option<String> {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|info| info.0.ip().to_string())
}

/// The user the `authenticate` middleware found for this request; absent for anonymous.
#[derive(Clone)]
pub(crate) struct AuthenticatedUser(pub(crate) Option<User>);

/// Establishes who is asking, once per request, before any handler runs: a bearer token, or
/// a session cookie on a safe API method or on a page. A bearer token that does not check out
/// is refused here with 401, on every route, never silently treated as anonymous: the caller
/// believes it is authenticated.
pub async fn authenticate(
    State(state): State<Arc<AppState>>,
    mut request: Request,
    next: Next,
) -> Response {
    // Only the parts are borrowed across the await: a request body is not `Sync`.
    let identified = identify(
        &state,
        request.headers(),
        request.method(),
        request.uri().path(),
    )
    .await;
    match identified {
        Ok(user) => {
            request.extensions_mut().insert(AuthenticatedUser(user));
            next.run(request).await
        }
        Err(error) => error.into_response(),
    }
}

async fn identify(
    state: &AppState,
    headers: &axum::http::HeaderMap,
    method: &Method,
    path: &str,
) -> Result<Option<User>, ApiError> {
    if let Some(authorization) = headers.get(header::AUTHORIZATION) {
        let token = authorization
            .to_str()
            .ok()
            .and_then(|value| value.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|token| token.starts_with(API_TOKEN_PREFIX) && token.len() < 200)
            .ok_or(ApiError::Unauthenticated)?;
        let token_hash = secret_hash(token);
        if let Some(user) = state.api_token_cache.get(&token_hash) {
            return Ok(Some(user));
        }
        let user = state
            .store
            .api_token_user(&token_hash)
            .await?
            .ok_or(ApiError::Unauthenticated)?;
        state.api_token_cache.put(token_hash, user.clone());
        return Ok(Some(user));
    }
    let is_api = path.starts_with("/api/");
    let safe_method = method == Method::GET || method == Method::HEAD;
    if is_api && !safe_method {
        return Ok(None);
    }
    let jar = CookieJar::from_headers(headers);
    match jar.get(SESSION_COOKIE) {
        Some(cookie) if cookie.value().len() < 200 => Ok(state
            .store
            .session_user(&secret_hash(cookie.value()))
            .await?),
        _ => Ok(None),
    }
}

/// Users of recently seen API tokens, for [`API_TOKEN_CACHE_SECONDS`]. A busy API client
/// sends the same token hundreds of times a second; looking it up once per few seconds
/// instead of per request takes two queries off every call. The price is that a change of
/// the user's roles (or a revocation) reaches a token's calls up to that long later. Unknown
/// tokens are never cached, so a new token works at once and a wrong one is refused at once.
pub struct ApiTokenCache {
    entries: std::sync::Mutex<std::collections::HashMap<String, (User, std::time::Instant)>>,
}

pub const API_TOKEN_CACHE_SECONDS: u64 = 2;
const API_TOKEN_CACHE_ENTRIES: usize = 10_000;

impl Default for ApiTokenCache {
    fn default() -> Self {
        ApiTokenCache {
            entries: std::sync::Mutex::new(std::collections::HashMap::new()),
        }
    }
}

impl ApiTokenCache {
    fn get(&self, token_hash: &str) -> Option<User> {
        let entries = self.entries.lock().ok()?;
        entries
            .get(token_hash)
            .filter(|(_, seen)| seen.elapsed().as_secs() < API_TOKEN_CACHE_SECONDS)
            .map(|(user, _)| user.clone())
    }

    fn put(&self, token_hash: String, user: User) {
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() >= API_TOKEN_CACHE_ENTRIES {
                entries.retain(|_, (_, seen)| seen.elapsed().as_secs() < API_TOKEN_CACHE_SECONDS);
                if entries.len() >= API_TOKEN_CACHE_ENTRIES {
                    entries.clear();
                }
            }
            entries.insert(token_hash, (user, std::time::Instant::now()));
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Requester {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let user = parts
            .extensions
            .get::<AuthenticatedUser>()
            .and_then(|authenticated| authenticated.0.clone());
        Ok(Requester {
            user,
            client_address: client_address(parts),
        })
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
