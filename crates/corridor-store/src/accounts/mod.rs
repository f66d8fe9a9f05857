//! People who join by themselves: unverified accounts, the single-use links mailed to them
//! (verify an address, reset a password, confirm a new address) and each account's standing
//! (verified, membership). The SQL, shared by both engines, is in `sql.rs`.
//!
//! Every link is stored as the SHA-256 of its secret, lives until `expires_at`, and is used at
//! most once: redeeming it marks it used and applies its effect in one transaction, so two
//! clicks on one link (or a link mailed twice) change the account once. Issuing a link voids
//! the account's earlier unused links of the same purpose, so only the latest mail works.
//!
//! The mail that carries a link is a row of the notification outbox written in the same
//! transaction as the link, so a link never exists without its mail nor a mail without its
//! link.

pub(crate) mod sql;

use async_trait::async_trait;
use corridor_domain::{EmailAddress, Membership, User, UserId};
use jiff::Timestamp;

use crate::model::NewUser;
use crate::{AuditContext, StoreError};

/// What a mailed link lets its reader do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AccountLinkPurpose {
    VerifyEmail,
    ResetPassword,
    ChangeEmail,
}

impl AccountLinkPurpose {
    pub fn as_code(self) -> &'static str {
        match self {
            AccountLinkPurpose::VerifyEmail => "verify_email",
            AccountLinkPurpose::ResetPassword => "reset_password",
            AccountLinkPurpose::ChangeEmail => "change_email",
        }
    }
}

/// A link about to be mailed: the hash of its secret, what it is for, and until when it works.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAccountLink {
    pub token_hash: String,
    pub purpose: AccountLinkPurpose,
    /// The address a change of e-mail moves to; only for [`AccountLinkPurpose::ChangeEmail`].
    pub new_email: Option<EmailAddress>,
    pub expires_at: Timestamp,
}

/// The mail that carries a link (or tells the account's owner something), already worded in
/// the recipient's language. It goes to the account's address, or to the link's new address
/// for a change of e-mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountMail {
    pub kind: String,
    pub subject: String,
    pub body: String,
}

/// An account as the sign-up, sign-in and reset steps need to see it.
#[derive(Debug, Clone, PartialEq)]
pub struct AccountStanding {
    pub user: User,
    pub email_verified: bool,
    pub membership: Membership,
    pub has_password: bool,
}

/// What a link does when it is redeemed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkEffect {
    /// The address is verified.
    VerifyEmail,
    /// The password becomes this hash, the address counts as verified (the link came by mail
    /// to it), and every web session of the account ends.
    ResetPassword { password_hash: String },
    /// The account's address becomes the link's new address, verified.
    ChangeEmail,
}

impl LinkEffect {
    pub fn purpose(&self) -> AccountLinkPurpose {
        match self {
            LinkEffect::VerifyEmail => AccountLinkPurpose::VerifyEmail,
            LinkEffect::ResetPassword { .. } => AccountLinkPurpose::ResetPassword,
            LinkEffect::ChangeEmail => AccountLinkPurpose::ChangeEmail,
        }
    }
}

/// A link that was redeemed: whose account, and its address afterwards.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedeemedLink {
    pub user: UserId,
    pub email: EmailAddress,
}

/// A message of the outbox as the demo's mail viewer shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxMessage {
    pub id: i64,
    pub recipient_email: String,
    pub kind: String,
    pub subject: String,
    pub body: String,
    pub created_at: Timestamp,
    pub sent_at: Option<Timestamp>,
    pub gave_up_at: Option<Timestamp>,
}

/// A person who asked to be a member of an institution (or was refused).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MembershipRequest {
    pub user: UserId,
    pub display_name: String,
    pub email: EmailAddress,
    pub membership: Membership,
    pub email_verified: bool,
    pub signed_up_at: Timestamp,
}

#[async_trait]
pub trait AccountStore: Send + Sync {
    /// Creates an account whose address is not verified yet and whose membership of its home
    /// institution is requested, with its verification link and the mail carrying it, in one
    /// transaction with an audit event. `Conflict` when the address already has an account
    /// (nothing is written then).
    async fn sign_up(
        &self,
        account: &NewUser,
        link: &NewAccountLink,
        mail: &AccountMail,
        now: Timestamp,
        context: &AuditContext,
    ) -> Result<UserId, StoreError>;

    /// The account whose address this is, if any.
    async fn account_standing(
        &self,
        email: &EmailAddress,
    ) -> Result<Option<AccountStanding>, StoreError>;

    /// The account of this user, if any.
    async fn account_standing_of(
        &self,
        user: UserId,
    ) -> Result<Option<AccountStanding>, StoreError>;

    /// Stores a link for `user` and queues the mail carrying it, voiding the user's earlier
    /// unused links of the same purpose; one audit event. `Conflict` when a change of e-mail
    /// names an address that already has an account.
    async fn issue_account_link(
        &self,
        user: UserId,
        link: &NewAccountLink,
        mail: &AccountMail,
        now: Timestamp,
        context: &AuditContext,
    ) -> Result<(), StoreError>;

    /// Queues a mail to `user` that carries no link (someone tried to sign up with an address
    /// that already has an account: its owner is told, the person signing up is not).
    async fn queue_account_mail(
        &self,
        user: UserId,
        mail: &AccountMail,
        now: Timestamp,
        context: &AuditContext,
    ) -> Result<(), StoreError>;

    /// Redeems the unused, unexpired link whose secret hashes to `token_hash` and whose
    /// purpose is the effect's: marks it used and applies the effect in one transaction with
    /// an audit event. `None` for an unknown, used, expired or other-purpose link (nothing
    /// changes then). `Conflict` when the new address of a change of e-mail was taken since.
    async fn redeem_account_link(
        &self,
        token_hash: &str,
        effect: &LinkEffect,
        now: Timestamp,
        context: &AuditContext,
    ) -> Result<Option<RedeemedLink>, StoreError>;

    /// The people of `institution` whose membership is requested or refused, oldest first,
    /// at most `limit`.
    async fn membership_requests(
        &self,
        institution: corridor_domain::InstitutionId,
        limit: u32,
    ) -> Result<Vec<MembershipRequest>, StoreError>;

    /// Sets the membership of `user` at `institution` to `decision` and queues `mail` to
    /// them, with an audit event, in one transaction. Answers whether anything changed (a
    /// person of another institution, or one already so decided, is left alone).
    async fn decide_membership(
        &self,
        user: UserId,
        institution: corridor_domain::InstitutionId,
        decision: Membership,
        mail: &AccountMail,
        now: Timestamp,
        context: &AuditContext,
    ) -> Result<bool, StoreError>;

    /// The latest messages of the outbox, newest first, for the demo's mail viewer.
    async fn recent_outbox_messages(&self, limit: u32) -> Result<Vec<OutboxMessage>, StoreError>;
}
