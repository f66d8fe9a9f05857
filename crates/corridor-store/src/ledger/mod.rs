//! The ledger half of the store: accounts and the append-only journal of transfers.
//!
//! Architecture Invariant: the only code that changes an account's balances is
//! `create_transfers`, in the same transaction as the transfers that imply them, after a
//! [`LedgerBook`](corridor_domain::ledger::LedgerBook) accepted every one of them. Nothing
//! edits a balance or a transfer afterwards; a correction is another transfer.
//!
//! Concurrency: SQLite serialises write transactions. PostgreSQL locks the accounts a batch
//! touches (`FOR UPDATE`, in id order, so two batches never deadlock), re-reads the pending
//! transfers it settles under those locks, and only then draws transfer ids, so that for any
//! one account the ids of its transfers follow the order they were applied in.

pub(crate) mod sql;

use async_trait::async_trait;
use corridor_domain::ledger::{
    AccountBalances, AccountFlags, LedgerAccount, LedgerAccountId, Transfer, TransferOutcome,
    TransferRefusal, TransferRequest,
};
use jiff::Timestamp;

use crate::{AuditContext, Page, PageRequest, StoreError};

/// At most this many transfers are applied in one transaction; longer batches are split.
pub const LEDGER_BATCH_MAX_TRANSFERS: usize = 8_190;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewLedgerAccount {
    /// What the account is for the product, e.g. `voucher` or `programme_budget`.
    pub code: String,
    /// What the account belongs to, e.g. `voucher:17`; unique per code when present.
    pub owner: Option<String>,
    pub label: String,
    pub flags: AccountFlags,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerAccountRecord {
    pub account: LedgerAccount,
    pub code: String,
    pub owner: Option<String>,
    pub label: String,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransferRecord {
    pub transfer: Transfer,
    pub created_at: Timestamp,
}

/// The verdict of replaying the whole ledger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerReconciliation {
    pub accounts: u64,
    pub transfers: u64,
    pub open_pending_transfers: u64,
    /// The sums of the replayed balances over all accounts.
    pub totals: AccountBalances,
    /// Debits equal credits, posted and pending alike.
    pub balanced: bool,
    /// Accounts whose stored balances differ from the replay: (account, stored, replayed).
    pub mismatched_accounts: Vec<(LedgerAccountId, AccountBalances, AccountBalances)>,
    /// The first transfer the replay could not apply, if any.
    pub fault: Option<String>,
}

impl LedgerReconciliation {
    pub fn is_consistent(&self) -> bool {
        self.balanced && self.mismatched_accounts.is_empty() && self.fault.is_none()
    }
}

#[async_trait]
pub trait LedgerStore: Send + Sync {
    async fn create_ledger_accounts(
        &self,
        accounts: &[NewLedgerAccount],
        context: &AuditContext,
    ) -> Result<Vec<LedgerAccountId>, StoreError>;

    async fn ledger_account(
        &self,
        id: LedgerAccountId,
    ) -> Result<Option<LedgerAccountRecord>, StoreError>;

    async fn ledger_account_by_owner(
        &self,
        code: &str,
        owner: &str,
    ) -> Result<Option<LedgerAccountRecord>, StoreError>;

    /// Applies the requests in order, each accepted or refused on its own (a refusal leaves
    /// nothing behind), and commits every accepted one durably before answering. A key seen
    /// before answers the transfer made the first time.
    async fn create_transfers(
        &self,
        requests: &[TransferRequest],
        now: Timestamp,
        context: &AuditContext,
    ) -> Result<Vec<Result<TransferOutcome, TransferRefusal>>, StoreError>;

    /// The transfers that debit or credit an account, newest first.
    async fn transfers_of_account(
        &self,
        account: LedgerAccountId,
        page: PageRequest,
    ) -> Result<Page<TransferRecord>, StoreError>;

    /// The transfers made for one thing (e.g. `booking:42`), oldest first.
    async fn transfers_by_reference(
        &self,
        reference: &str,
    ) -> Result<Vec<TransferRecord>, StoreError>;

    /// Replays every transfer from a consistent snapshot and compares the result with the
    /// stored balances.
    async fn reconcile_ledger(&self) -> Result<LedgerReconciliation, StoreError>;

    /// Counts the accounts that may not be overdrawn whose transfers, summed directly in SQL
    /// (not from the cached balances and not through the domain's replay), overdraw them.
    /// An independent check for tests and benchmarks; always 0.
    async fn count_overdrawn_accounts(&self) -> Result<u64, StoreError>;
}
