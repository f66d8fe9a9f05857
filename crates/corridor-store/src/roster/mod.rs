//! An institution's people as its admins steer them — who is a member, who manages its
//! instruments, who administers it, who is qualified on which instrument — the platform
//! admin's new institutions, and each person's own web sessions. The SQL, shared by both
//! engines, is in `sql.rs`.
//!
//! Every change of a role, a qualification or an institution writes its audit event in the
//! same transaction as the change, so the trail never misses a change nor names one that did
//! not happen.

pub(crate) mod sql;

use async_trait::async_trait;
use corridor_domain::{EmailAddress, InstitutionId, InstrumentId, Membership, Role, UserId};
use jiff::Timestamp;

use crate::{AuditContext, StoreError};

/// One person of an institution's roster: a member (admitted or not) or someone who holds a
/// role scoped to the institution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RosterEntry {
    pub user: UserId,
    pub display_name: String,
    pub email: EmailAddress,
    /// Whether the person's home institution is this one.
    pub home_here: bool,
    pub membership: Membership,
    /// The roles the person holds at this institution, sorted.
    pub roles: Vec<Role>,
}

/// A web session as its owner sees it: never the secret, only the hash that names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionInfo {
    /// SHA-256 of the cookie's secret, hex: names the session in forms without revealing it.
    pub token_hash: String,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    pub client_address: Option<String>,
}

/// A new institution as the platform admin creates it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewInstitution {
    pub kind: corridor_domain::InstitutionKind,
    pub name_en: String,
    pub name_zh: String,
    pub city_code: corridor_domain::CityCode,
    pub sector: corridor_domain::Sector,
}

#[async_trait]
pub trait RosterStore: Send + Sync {
    /// The people whose home is `institution` or who hold a role there, by name, at most
    /// `limit`.
    async fn institution_roster(
        &self,
        institution: InstitutionId,
        limit: u32,
    ) -> Result<Vec<RosterEntry>, StoreError>;

    /// Grants (`held`) or takes away `role` at `institution` from `user`, with an audit event
    /// when anything changed; answers whether it did. `InvalidReference` for an unknown
    /// person or institution.
    async fn set_institution_role(
        &self,
        user: UserId,
        institution: InstitutionId,
        role: Role,
        held: bool,
        context: &AuditContext,
    ) -> Result<bool, StoreError>;

    /// Grants (`granted`) or revokes the qualification of every one of `people` on every one
    /// of `instruments`, in one transaction with one audit event per change; answers how many
    /// qualifications changed (one already so is left alone). `InvalidReference` for an
    /// unknown instrument or person, and then nothing is written.
    async fn set_qualifications(
        &self,
        instruments: &[InstrumentId],
        people: &[UserId],
        granted: bool,
        now: Timestamp,
        context: &AuditContext,
    ) -> Result<u64, StoreError>;

    /// The people with these addresses, in the order asked; `None` where no account has one.
    async fn users_by_email(
        &self,
        addresses: &[EmailAddress],
    ) -> Result<Vec<Option<UserId>>, StoreError>;

    /// The live web sessions of `user` (unexpired at `now`), newest first.
    async fn sessions_of_user(
        &self,
        user: UserId,
        now: Timestamp,
    ) -> Result<Vec<SessionInfo>, StoreError>;

    /// Ends the session of `user` named by `token_hash`, with an audit event; answers whether
    /// there was one (another person's session is never ended).
    async fn end_session_of_user(
        &self,
        user: UserId,
        token_hash: &str,
        context: &AuditContext,
    ) -> Result<bool, StoreError>;

    /// Creates an institution with an audit event. `InvalidReference` for an unknown city.
    async fn create_institution(
        &self,
        institution: &NewInstitution,
        context: &AuditContext,
    ) -> Result<InstitutionId, StoreError>;
}
