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
        context: &AuditContext,
    ) -> Result<ApiTokenInfo, StoreError>;
    /// The user an unrevoked API token belongs to.
    async fn api_token_user(&self, token_hash: &str) -> Result<Option<User>, StoreError>;

    /// The most recent audit events, newest first.
    async fn audit_events(&self, page: PageRequest) -> Result<Page<AuditEvent>, StoreError>;
}
