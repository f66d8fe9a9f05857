//! Checking credentials, shared by the web sign-in form and API token creation.

use std::sync::Arc;

use corridor_domain::{EmailAddress, PlaintextPassword, User};

use crate::auth::{hash_password, verify_password};
use crate::problem::ApiError;
use crate::AppState;

/// The hash an unknown address is checked against, so that "no such user" takes as long as
/// "wrong password" and the answer time does not reveal which addresses have accounts.
pub(crate) fn timing_equaliser_hash() -> String {
    hash_password(
        &PlaintextPassword::for_sign_in("timing equaliser, never a real password".into())
            .expect("non-empty"),
    )
}

/// The user whose address and password these are, or `BadCredentials`. Accounts without a
/// password (generated demo users, single-sign-on accounts) cannot sign in with one.
///
/// Refused with `TooManyAttempts` before any check once the address or the client has failed
/// too often (see `sign_in_limit`).
pub async fn check_credentials(
    state: &Arc<AppState>,
    email: &EmailAddress,
    password: PlaintextPassword,
    client_address: Option<&str>,
) -> Result<User, ApiError> {
    let started = std::time::Instant::now();
    if let Err(wait) = state
        .sign_in_limiter
        .check(email.as_str(), client_address, started)
    {
        return Err(ApiError::TooManyAttempts {
            retry_after_seconds: wait.as_secs(),
        });
    }
    let candidate = state.store.sign_in_candidate(email).await?;
    let (stored_hash, user) = match candidate {
        Some(candidate) => match candidate.password_hash {
            Some(hash) => (hash, Some(candidate.user)),
            None => (state.timing_equaliser_hash.clone(), None),
        },
        None => (state.timing_equaliser_hash.clone(), None),
    };
    // Argon2 takes tens of milliseconds of CPU on purpose: keep it off the async workers.
    let verified = tokio::task::spawn_blocking(move || verify_password(&stored_hash, &password))
        .await
        .map_err(|error| ApiError::Internal(format!("password check panicked: {error}")))?;
    match (verified, user) {
        (true, Some(user)) => {
            state.sign_in_limiter.record_success(email.as_str());
            Ok(user)
        }
        _ => {
            state
                .sign_in_limiter
                .record_failure(email.as_str(), client_address, started);
            Err(ApiError::BadCredentials)
        }
    }
}
