//! The identity aggregate: users and their roles, web sessions, API tokens, and the audit
//! trail every change writes into. Secrets are stored only as hashes.

use async_trait::async_trait;
use corridor_domain::{EmailAddress, User, UserId};

use crate::model::*;
use crate::StoreError;

#[async_trait]
pub trait IdentityStore: Send + Sync {
    async fn user(&self, id: UserId) -> Result<Option<User>, StoreError>;
    /// The user with this address and their password hash, for sign-in.
    async fn sign_in_candidate(
        &self,
        email: &EmailAddress,
    ) -> Result<Option<SignInCandidate>, StoreError>;
    /// Creates a user with a password hash (already hashed by the caller) and roles.
    async fn create_user(&self, user: &NewUser, context: &AuditContext)
        -> Result<User, StoreError>;

    async fn create_session(
        &self,
        session: &SessionRecord,
        context: &AuditContext,
    ) -> Result<(), StoreError>;
    /// The user a live (unexpired) session belongs to.
    async fn session_user(&self, token_hash: &str) -> Result<Option<User>, StoreError>;
    async fn delete_session(
        &self,
        token_hash: &str,
        context: &AuditContext,
    ) -> Result<(), StoreError>;

    async fn create_api_token(
        &self,
        user: UserId,
        name: &str,
        token_hash: &str,
        expires_at: jiff::Timestamp,
        context: &AuditContext,
    ) -> Result<ApiTokenInfo, StoreError>;
    /// A user's API tokens, newest first, revoked and expired ones included.
    async fn api_tokens_of_user(&self, user: UserId) -> Result<Vec<ApiTokenInfo>, StoreError>;
    /// Revokes one of the user's tokens (`NotFound` for another user's or an unknown one);
    /// revoking a revoked token changes nothing.
    async fn revoke_api_token(
        &self,
        user: UserId,
        token: i64,
        context: &AuditContext,
    ) -> Result<ApiTokenInfo, StoreError>;
    /// The user an unrevoked, unexpired API token belongs to.
    async fn api_token_user(&self, token_hash: &str) -> Result<Option<User>, StoreError>;
    /// The holder of the API token with this hash when it is live at `now` (neither revoked
    /// nor expired): one indexed lookup, asked on every request that carries a token.
    async fn live_api_token_holder(
        &self,
        token_hash: &str,
        now: jiff::Timestamp,
    ) -> Result<Option<UserId>, StoreError>;

    /// The most recent audit events, newest first.
    async fn audit_events(&self, page: PageRequest) -> Result<Page<AuditEvent>, StoreError>;
}
