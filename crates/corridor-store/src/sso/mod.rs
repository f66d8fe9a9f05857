//! Single sign-on: who a person is at an OpenID provider (issuer and subject) and which
//! account that is, and the sign-ins on their way to a provider and back. The SQL, shared by
//! both engines, is in `sql.rs`.
//!
//! A sign-in is stored under the SHA-256 of its state, lives until `expires_at`, and is taken
//! at most once: the callback deletes the row it reads in one statement, so a state replayed
//! (a second callback, a copied URL) finds nothing. Every account made and every identity linked
//! writes its audit event in the same transaction.

pub(crate) mod sql;

use async_trait::async_trait;
use corridor_domain::{Membership, User, UserId};
use jiff::Timestamp;

use crate::model::NewUser;
use crate::{AuditContext, StoreError};

/// A sign-in about to leave for the provider: what the callback will check its answer against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSsoSignIn {
    /// The SHA-256 (hex) of the state sent to the provider; the state itself is never stored.
    pub state_hash: String,
    /// The configured provider's id.
    pub provider: String,
    pub pkce_verifier: String,
    pub nonce: String,
    /// Where to go once signed in (a path of this site).
    pub return_path: Option<String>,
    pub expires_at: Timestamp,
}

/// A sign-in taken by its callback.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SsoSignIn {
    pub provider: String,
    pub pkce_verifier: String,
    pub nonce: String,
    pub return_path: Option<String>,
}

/// A person as an identity provider names them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SsoIdentity {
    pub issuer: String,
    pub subject: String,
    /// The configured provider's id, for the audit trail and the account page.
    pub provider: String,
}

/// An account made by a first sign-in: the user, whether the provider vouched for the
/// address, and the membership the home-institution claim gives.
#[derive(Debug, Clone, PartialEq)]
pub struct NewSsoAccount {
    pub user: NewUser,
    pub email_verified: bool,
    pub membership: Membership,
}

#[async_trait]
pub trait SsoStore: Send + Sync {
    /// Stores a sign-in on its way to the provider, and clears away the sign-ins that expired
    /// by `now` (never taken: the person gave up at the provider).
    async fn begin_sso_sign_in(
        &self,
        sign_in: &NewSsoSignIn,
        now: Timestamp,
    ) -> Result<(), StoreError>;

    /// Takes the unexpired sign-in whose state hashes to `state_hash`: it is deleted, so a
    /// second take of the same state finds nothing. `None` for an unknown, taken or expired
    /// state.
    async fn take_sso_sign_in(
        &self,
        state_hash: &str,
        now: Timestamp,
    ) -> Result<Option<SsoSignIn>, StoreError>;

    /// The account an identity is linked to, if any.
    async fn sso_identity_user(
        &self,
        issuer: &str,
        subject: &str,
    ) -> Result<Option<User>, StoreError>;

    /// Makes the account of a first sign-in and links the identity to it, with an audit event,
    /// in one transaction. `Conflict` when the address already has an account or the identity
    /// is linked already (nothing is written then).
    async fn create_sso_account(
        &self,
        account: &NewSsoAccount,
        identity: &SsoIdentity,
        now: Timestamp,
        context: &AuditContext,
    ) -> Result<User, StoreError>;

    /// Links an identity to an existing account, with an audit event. `Conflict` when the
    /// identity is linked already.
    async fn link_sso_identity(
        &self,
        user: UserId,
        identity: &SsoIdentity,
        now: Timestamp,
        context: &AuditContext,
    ) -> Result<(), StoreError>;

    /// The identities linked to an account (issuer, provider), oldest first.
    async fn sso_identities_of(&self, user: UserId) -> Result<Vec<SsoIdentity>, StoreError>;
}
