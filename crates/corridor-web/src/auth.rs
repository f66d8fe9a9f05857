//! Who is asking, as HTTP carries it: session cookies, bearer tokens and CSRF tokens. What
//! they prove is checked by the application layer's accounts service.
//!
//! Architecture Invariant: the JSON API accepts a session cookie only for safe methods
//! (GET, HEAD). A request that changes state through the API must carry a bearer token, which
//! a cross-site form cannot send; web forms carry a CSRF token instead (double submit: a
//! `SameSite=Strict` cookie and a hidden field that must be equal).

use std::net::SocketAddr;
use std::ops::Deref;
use std::sync::Arc;

use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{header, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use corridor_app::{Actor, AppError};
use corridor_domain::User;

use crate::problem::ApiError;
use crate::AppState;

pub use corridor_app::accounts::{new_secret, API_TOKEN_PREFIX, SESSION_LIFETIME_HOURS};

pub const SESSION_COOKIE: &str = "corridor_session";
pub const CSRF_COOKIE: &str = "corridor_csrf";

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
/// safe method or on a web form (whose CSRF token the form handler checks). It is the
/// application layer's [`Actor`], read from the request.
#[derive(Debug, Clone, Default)]
pub struct Requester(pub Actor);

impl Deref for Requester {
    type Target = Actor;

    fn deref(&self) -> &Actor {
        &self.0
    }
}

impl Requester {
    pub fn require_user(&self) -> Result<&User, ApiError> {
        Ok(self.0.require_user()?)
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
    let accounts = state.app.accounts();
    if let Some(authorization) = headers.get(header::AUTHORIZATION) {
        let token = authorization
            .to_str()
            .ok()
            .and_then(|value| value.strip_prefix("Bearer "))
            .map(str::trim)
            .ok_or(ApiError::Unauthenticated)?;
        return match accounts.api_token_user(token).await {
            Ok(user) => Ok(Some(user)),
            Err(AppError::Unauthenticated) => Err(ApiError::Unauthenticated),
            Err(error) => Err(error.into()),
        };
    }
    let is_api = path.starts_with("/api/");
    let safe_method = method == Method::GET || method == Method::HEAD;
    if is_api && !safe_method {
        return Ok(None);
    }
    let jar = CookieJar::from_headers(headers);
    match jar.get(SESSION_COOKIE) {
        Some(cookie) => Ok(accounts.session_user(cookie.value()).await?),
        None => Ok(None),
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Requester {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let user = parts
            .extensions
            .get::<AuthenticatedUser>()
            .and_then(|authenticated| authenticated.0.clone());
        Ok(Requester(Actor {
            user,
            client_address: client_address(parts),
        }))
    }
}
