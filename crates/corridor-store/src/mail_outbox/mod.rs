//! The notification outbox as a mail sender sees it: rows are claimed in batches under a
//! lease, sent, and marked sent; a failure pushes the row's next attempt out, and a row the
//! sender gives up on stays, visible to the platform admin. The SQL, shared by both engines,
//! is in `sql.rs`.
//!
//! Delivery is at least once. A row is marked sent after the SMTP server accepted it, so a
//! crash in between sends it again on the next claim; its Message-ID, set on the first claim
//! and never changed, lets the receiver drop the second copy.
//!
//! Several server nodes may run senders over one PostgreSQL database: a claim takes only
//! rows whose lease is absent or has expired and gives them a lease of its own, in one
//! transaction (PostgreSQL: the candidate rows are locked with `FOR UPDATE SKIP LOCKED`, so a
//! concurrent claim passes over them instead of waiting; SQLite: the single writer
//! serialises claims). Two claims therefore never hold the same row at the same time.

pub(crate) mod sql;

use async_trait::async_trait;
use corridor_domain::UserId;
use jiff::{SignedDuration, Timestamp};

use crate::beamtime::NewNotification;
use crate::{AuditContext, StoreError};

/// What a sender asks for when it claims a batch.
#[derive(Debug, Clone)]
pub struct NotificationClaim {
    /// Who claims: a name unique to the sending node and process, stored with the claim so
    /// that only the claimer records a failure on the row.
    pub claimer: String,
    /// At most this many rows.
    pub limit: u32,
    /// How long the claim holds. It must outlast sending the batch: once it has expired,
    /// another sender may claim (and send) the rows again.
    pub lease: SignedDuration,
    /// The right-hand side of the Message-IDs set on the first claim
    /// (`<notification-{id}@{host}>`), usually the domain of the sender's address.
    pub message_id_host: String,
}

/// A claimed notification with everything a message needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimedNotification {
    pub id: i64,
    pub user: UserId,
    pub recipient_email: String,
    pub recipient_name: String,
    pub kind: String,
    pub subject: String,
    pub body: String,
    /// An RFC 5545 calendar to attach as `booking.ics`, for a mail about an event.
    pub ics: Option<String>,
    /// The RFC 5322 Message-ID with its angle brackets; the same on every attempt.
    pub message_id: String,
    /// How often the row has been claimed, this claim included.
    pub attempts: u32,
    pub created_at: Timestamp,
    pub lease_until: Timestamp,
}

/// A notification the sender gave up on, for the platform admin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UndeliverableNotification {
    pub id: i64,
    pub user: UserId,
    pub recipient_email: String,
    pub kind: String,
    pub subject: String,
    pub message_id: Option<String>,
    pub attempts: u32,
    pub last_error: Option<String>,
    pub created_at: Timestamp,
    pub gave_up_at: Timestamp,
}

/// How many notifications wait, were sent, or were given up on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OutboxCounts {
    /// Neither sent nor given up: due now, waiting for a retry, or claimed.
    pub pending: u64,
    pub sent: u64,
    pub given_up: u64,
}

/// The outbox's delivery bookkeeping.
#[async_trait]
pub trait MailOutboxStore: Send + Sync {
    /// Queues notifications, due at once, in one transaction with one audit event; answers
    /// their ids in the order given. The product's own notifications are queued inside the
    /// transactions that decide them; this is for operators, tests and benchmarks.
    async fn queue_notifications(
        &self,
        notifications: &[NewNotification],
        now: Timestamp,
        context: &AuditContext,
    ) -> Result<Vec<i64>, StoreError>;

    /// Claims up to `claim.limit` rows that are neither sent nor given up, whose next attempt
    /// is due by `now` and whose lease is absent or expired, oldest due first: each gets the
    /// claimer, a lease until `now + claim.lease`, one more attempt, and its Message-ID if it
    /// has none yet. A row is in at most one unexpired claim at any time.
    async fn claim_due_notifications(
        &self,
        claim: &NotificationClaim,
        now: Timestamp,
    ) -> Result<Vec<ClaimedNotification>, StoreError>;

    /// Marks rows sent (the SMTP server accepted them) and ends their claims, whoever holds
    /// them: the message left, whatever became of the lease. Answers how many rows changed
    /// (rows already sent are left as they are).
    async fn mark_notifications_sent(&self, ids: &[i64], now: Timestamp)
        -> Result<u64, StoreError>;

    /// Records a failed attempt: the error, and the next attempt not before `retry_at`; ends
    /// the claim. Only while `claimer` still holds the row and it is unsent (a sender whose
    /// lease expired and was taken over changes nothing); answers whether it did.
    async fn mark_notification_failed(
        &self,
        id: i64,
        claimer: &str,
        error: &str,
        retry_at: Timestamp,
    ) -> Result<bool, StoreError>;

    /// Gives up on a row after its last failed attempt: it stays, with the error, and is
    /// never claimed again; one audit event. Only while `claimer` holds the unsent row;
    /// answers whether it did.
    async fn give_up_notification(
        &self,
        id: i64,
        claimer: &str,
        error: &str,
        now: Timestamp,
        context: &AuditContext,
    ) -> Result<bool, StoreError>;

    /// The rows given up on, the latest first.
    async fn undeliverable_notifications(
        &self,
        limit: u32,
    ) -> Result<Vec<UndeliverableNotification>, StoreError>;

    async fn outbox_counts(&self) -> Result<OutboxCounts, StoreError>;
}
