//! The double-entry ledger every movement of voucher value goes through.
//!
//! The model is TigerBeetle's, because it is the one whose correctness others measure
//! themselves against: accounts and transfers are immutable records, a transfer always debits
//! one account and credits another by the same amount (so the sum of all debits equals the sum
//! of all credits, always), every transfer carries a client-chosen idempotency key, and value
//! can be reserved first and settled later with two-phase transfers (a pending transfer,
//! then a post for at most its amount, or a void). Accounts may carry a balance limit
//! ("debits must not exceed credits") that no sequence of transfers can break.
//!
//! Balances are derived: they are what applying every transfer in order yields. The store keeps
//! them on the account rows only as a cache maintained in the same transaction as the transfer,
//! and `corridor ledger reconcile` replays the whole ledger through [`LedgerReplay`] to prove the
//! cache equals the derivation.
//!
//! Architecture Invariant: the rules of the ledger (which transfer is accepted and what it does
//! to balances) live only here. The store gathers the accounts and pending transfers a batch
//! touches, asks a [`LedgerBook`], and writes what it answered.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::{DomainError, Fen};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct LedgerAccountId(pub i64);

/// The position of a transfer in the ledger. For any one account, the transfers that touch it
/// have increasing ids in the order they were applied, so replaying by id reproduces every
/// account's history exactly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TransferId(pub i64);

/// The client-chosen idempotency key of a transfer: sending the same transfer again with the
/// same key returns the first one instead of moving value twice.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TransferKey(String);

impl TransferKey {
    pub const MAX_LENGTH: usize = 100;

    pub fn parse(key: &str) -> Result<TransferKey, DomainError> {
        if key.is_empty() || key.len() > Self::MAX_LENGTH {
            return Err(DomainError::invalid(
                "transfer_key",
                format!("must be 1 to {} characters", Self::MAX_LENGTH),
            ));
        }
        if !key
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || b"-_.:/".contains(&byte))
        {
            return Err(DomainError::invalid(
                "transfer_key",
                "may hold only ASCII letters, digits and - _ . : /",
            ));
        }
        Ok(TransferKey(key.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for TransferKey {
    type Error = DomainError;
    fn try_from(key: String) -> Result<Self, Self::Error> {
        TransferKey::parse(&key)
    }
}

impl From<TransferKey> for String {
    fn from(key: TransferKey) -> String {
        key.0
    }
}

impl std::fmt::Display for TransferKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The balance limit an account keeps. A voucher or a programme budget must never go below
/// zero, so its debits (what was spent or held) must not exceed its credits (what it received).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct AccountFlags {
    pub debits_must_not_exceed_credits: bool,
    pub credits_must_not_exceed_debits: bool,
}

impl AccountFlags {
    pub const NONE: AccountFlags = AccountFlags {
        debits_must_not_exceed_credits: false,
        credits_must_not_exceed_debits: false,
    };
    pub const NO_OVERDRAFT: AccountFlags = AccountFlags {
        debits_must_not_exceed_credits: true,
        credits_must_not_exceed_debits: false,
    };

    pub fn to_bits(self) -> i64 {
        i64::from(self.debits_must_not_exceed_credits)
            | (i64::from(self.credits_must_not_exceed_debits) << 1)
    }

    pub fn from_bits(bits: i64) -> Result<AccountFlags, DomainError> {
        let flags = AccountFlags {
            debits_must_not_exceed_credits: bits & 1 != 0,
            credits_must_not_exceed_debits: bits & 2 != 0,
        };
        if bits & !3 != 0
            || (flags.debits_must_not_exceed_credits && flags.credits_must_not_exceed_debits)
        {
            return Err(DomainError::invalid(
                "flags",
                format!("{bits} is not a valid set of account flags"),
            ));
        }
        Ok(flags)
    }
}

/// The four running sums of an account, in fen. Pending amounts are reserved by pending
/// transfers that were neither posted nor voided yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct AccountBalances {
    pub debits_pending: i64,
    pub debits_posted: i64,
    pub credits_pending: i64,
    pub credits_posted: i64,
}

impl AccountBalances {
    /// What an account that holds value (a voucher, a budget) still has to spend: credits
    /// posted minus everything debited or reserved.
    pub fn available_credit(&self) -> i64 {
        self.credits_posted - self.debits_posted - self.debits_pending
    }

    /// Whether the balances keep the limit the flags set.
    pub fn keep(&self, flags: AccountFlags) -> bool {
        let debits = i128::from(self.debits_pending) + i128::from(self.debits_posted);
        let credits = i128::from(self.credits_pending) + i128::from(self.credits_posted);
        let within_debit_limit =
            !flags.debits_must_not_exceed_credits || debits <= i128::from(self.credits_posted);
        let within_credit_limit =
            !flags.credits_must_not_exceed_debits || credits <= i128::from(self.debits_posted);
        within_debit_limit && within_credit_limit
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct LedgerAccount {
    pub id: LedgerAccountId,
    pub flags: AccountFlags,
    pub balances: AccountBalances,
}

/// What a transfer does. Posted moves value at once; Pending reserves it; PostPending settles
/// a reservation for at most its amount (the rest is released); VoidPending releases it whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TransferKind {
    Posted,
    Pending,
    PostPending,
    VoidPending,
}

impl TransferKind {
    pub fn as_code(self) -> &'static str {
        match self {
            TransferKind::Posted => "posted",
            TransferKind::Pending => "pending",
            TransferKind::PostPending => "post_pending",
            TransferKind::VoidPending => "void_pending",
        }
    }

    pub fn parse(code: &str) -> Result<TransferKind, DomainError> {
        match code {
            "posted" => Ok(TransferKind::Posted),
            "pending" => Ok(TransferKind::Pending),
            "post_pending" => Ok(TransferKind::PostPending),
            "void_pending" => Ok(TransferKind::VoidPending),
            other => Err(DomainError::invalid(
                "kind",
                format!("unknown transfer kind {other:?}; expected posted, pending, post_pending or void_pending"),
            )),
        }
    }
}

/// A transfer as a client asks for it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TransferRequest {
    Posted(Movement),
    Pending(Movement),
    /// Settles the pending transfer `pending` for `amount` (its whole amount when `None`).
    PostPending {
        key: TransferKey,
        pending: TransferKey,
        amount: Option<Fen>,
        code: String,
    },
    VoidPending {
        key: TransferKey,
        pending: TransferKey,
        code: String,
    },
}

/// The fields of a transfer that moves or reserves value between two named accounts.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Movement {
    pub key: TransferKey,
    pub debit_account: LedgerAccountId,
    pub credit_account: LedgerAccountId,
    pub amount: Fen,
    /// What the movement means to the product (e.g. `voucher.issue`); the ledger only keeps it.
    pub code: String,
    /// What the movement belongs to (e.g. `booking:42`), for finding it again.
    pub reference: Option<String>,
}

impl TransferRequest {
    pub fn key(&self) -> &TransferKey {
        match self {
            TransferRequest::Posted(movement) | TransferRequest::Pending(movement) => &movement.key,
            TransferRequest::PostPending { key, .. } | TransferRequest::VoidPending { key, .. } => {
                key
            }
        }
    }

    /// The pending transfer this request settles or releases, if any.
    pub fn pending_key(&self) -> Option<&TransferKey> {
        match self {
            TransferRequest::PostPending { pending, .. }
            | TransferRequest::VoidPending { pending, .. } => Some(pending),
            _ => None,
        }
    }

    /// The accounts named in the request itself (settlements name theirs through the pending
    /// transfer).
    pub fn named_accounts(&self) -> Option<(LedgerAccountId, LedgerAccountId)> {
        match self {
            TransferRequest::Posted(movement) | TransferRequest::Pending(movement) => {
                Some((movement.debit_account, movement.credit_account))
            }
            _ => None,
        }
    }
}

/// A transfer as the ledger holds it: immutable once written.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Transfer {
    pub id: TransferId,
    pub key: TransferKey,
    pub kind: TransferKind,
    pub debit_account: LedgerAccountId,
    pub credit_account: LedgerAccountId,
    /// For a settlement, the amount posted; for a void, the amount released.
    pub amount: Fen,
    /// For a settlement or a void, the pending transfer it resolves.
    pub pending: Option<TransferId>,
    pub code: String,
    pub reference: Option<String>,
}

/// What a pending transfer has become.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PendingState {
    Open,
    Posted,
    Voided,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TransferOutcome {
    Created(Transfer),
    /// A transfer with this key and these fields exists already; nothing moved again.
    AlreadyExists(Transfer),
}

impl TransferOutcome {
    pub fn transfer(&self) -> &Transfer {
        match self {
            TransferOutcome::Created(transfer) | TransferOutcome::AlreadyExists(transfer) => {
                transfer
            }
        }
    }
}

/// Why the ledger refused a transfer. A refused transfer changes nothing.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Error, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "refusal")]
pub enum TransferRefusal {
    #[error("the amount must be positive")]
    AmountNotPositive,
    #[error("a transfer must debit and credit two different accounts")]
    SameAccount,
    #[error("there is no ledger account {0}")]
    AccountNotFound(i64),
    #[error("the debit would take account {0} beyond its credits")]
    ExceedsCredits(i64),
    #[error("the credit would take account {0} beyond its debits")]
    ExceedsDebits(i64),
    #[error("the sums of account {0} would overflow")]
    Overflow(i64),
    #[error("there is no pending transfer with key {0:?}")]
    PendingNotFound(String),
    #[error("the pending transfer {0:?} was already posted")]
    PendingAlreadyPosted(String),
    #[error("the pending transfer {0:?} was already voided")]
    PendingAlreadyVoided(String),
    #[error("the amount to post exceeds the pending amount {pending_amount}")]
    ExceedsPendingAmount { pending_amount: i64 },
    #[error("the key {0:?} belongs to a different transfer")]
    KeyReusedWithDifferentFields(String),
    #[error("the code must be 1 to 40 characters of a-z, 0-9, '.' and '_'")]
    InvalidCode,
}

impl TransferRefusal {
    pub fn slug(&self) -> &'static str {
        match self {
            TransferRefusal::AmountNotPositive => "amount-not-positive",
            TransferRefusal::SameAccount => "same-account",
            TransferRefusal::AccountNotFound(_) => "account-not-found",
            TransferRefusal::ExceedsCredits(_) => "exceeds-credits",
            TransferRefusal::ExceedsDebits(_) => "exceeds-debits",
            TransferRefusal::Overflow(_) => "overflow",
            TransferRefusal::PendingNotFound(_) => "pending-not-found",
            TransferRefusal::PendingAlreadyPosted(_) => "pending-already-posted",
            TransferRefusal::PendingAlreadyVoided(_) => "pending-already-voided",
            TransferRefusal::ExceedsPendingAmount { .. } => "exceeds-pending-amount",
            TransferRefusal::KeyReusedWithDifferentFields(_) => "key-reused",
            TransferRefusal::InvalidCode => "invalid-code",
        }
    }
}

fn valid_code(code: &str) -> bool {
    !code.is_empty()
        && code.len() <= 40
        && code.bytes().all(|byte| {
            byte.is_ascii_lowercase() || byte.is_ascii_digit() || byte == b'.' || byte == b'_'
        })
}

/// The effect of one transfer on the balances of its two accounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Effect {
    Post(i64),
    Reserve(i64),
    Settle { reserved: i64, posted: i64 },
    Release(i64),
}

fn add(value: i64, amount: i64, account: LedgerAccountId) -> Result<i64, TransferRefusal> {
    value
        .checked_add(amount)
        .ok_or(TransferRefusal::Overflow(account.0))
}

/// Applies an effect to both accounts, or refuses and leaves both unchanged.
fn apply_effect(
    debit: &mut LedgerAccount,
    credit: &mut LedgerAccount,
    effect: Effect,
) -> Result<(), TransferRefusal> {
    let mut debit_balances = debit.balances;
    let mut credit_balances = credit.balances;
    match effect {
        Effect::Post(amount) => {
            debit_balances.debits_posted = add(debit_balances.debits_posted, amount, debit.id)?;
            credit_balances.credits_posted =
                add(credit_balances.credits_posted, amount, credit.id)?;
        }
        Effect::Reserve(amount) => {
            debit_balances.debits_pending = add(debit_balances.debits_pending, amount, debit.id)?;
            credit_balances.credits_pending =
                add(credit_balances.credits_pending, amount, credit.id)?;
        }
        Effect::Settle { reserved, posted } => {
            debit_balances.debits_pending -= reserved;
            debit_balances.debits_posted = add(debit_balances.debits_posted, posted, debit.id)?;
            credit_balances.credits_pending -= reserved;
            credit_balances.credits_posted =
                add(credit_balances.credits_posted, posted, credit.id)?;
        }
        Effect::Release(reserved) => {
            debit_balances.debits_pending -= reserved;
            credit_balances.credits_pending -= reserved;
        }
    }
    if !debit_balances.keep(debit.flags) {
        return Err(TransferRefusal::ExceedsCredits(debit.id.0));
    }
    if !credit_balances.keep(credit.flags) {
        return Err(TransferRefusal::ExceedsDebits(credit.id.0));
    }
    debit.balances = debit_balances;
    credit.balances = credit_balances;
    Ok(())
}

fn two_accounts_mut(
    accounts: &mut HashMap<LedgerAccountId, LedgerAccount>,
    debit: LedgerAccountId,
    credit: LedgerAccountId,
) -> Result<(LedgerAccount, LedgerAccount), TransferRefusal> {
    let debit_account = *accounts
        .get(&debit)
        .ok_or(TransferRefusal::AccountNotFound(debit.0))?;
    let credit_account = *accounts
        .get(&credit)
        .ok_or(TransferRefusal::AccountNotFound(credit.0))?;
    Ok((debit_account, credit_account))
}

/// A pending transfer the book knows, with what became of it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct KnownPending {
    transfer: Transfer,
    state: PendingState,
}

/// The part of the ledger one batch of requests touches: its accounts, the transfers its keys
/// name, and the pending transfers it settles. The store loads these inside its transaction,
/// applies the batch here in order, and writes the transfers and balances the book answers.
#[derive(Debug, Clone, Default)]
pub struct LedgerBook {
    accounts: HashMap<LedgerAccountId, LedgerAccount>,
    transfers_by_key: HashMap<TransferKey, Transfer>,
    pendings: HashMap<TransferKey, KnownPending>,
    /// The accounts whose balances changed, so the store writes only those back.
    touched: Vec<LedgerAccountId>,
}

impl LedgerBook {
    pub fn new() -> LedgerBook {
        LedgerBook::default()
    }

    pub fn insert_account(&mut self, account: LedgerAccount) {
        self.accounts.insert(account.id, account);
    }

    /// Makes an existing transfer known: for idempotent replays of its key and, when it is a
    /// pending transfer, for settling it (`state` says what became of it).
    pub fn insert_existing_transfer(&mut self, transfer: Transfer, state: Option<PendingState>) {
        if transfer.kind == TransferKind::Pending {
            self.pendings.insert(
                transfer.key.clone(),
                KnownPending {
                    transfer: transfer.clone(),
                    state: state.unwrap_or(PendingState::Open),
                },
            );
        }
        self.transfers_by_key.insert(transfer.key.clone(), transfer);
    }

    pub fn account(&self, id: LedgerAccountId) -> Option<&LedgerAccount> {
        self.accounts.get(&id)
    }

    /// The accounts whose balances this book changed, each once, in the order first changed.
    pub fn touched_accounts(&self) -> impl Iterator<Item = &LedgerAccount> {
        self.touched.iter().filter_map(|id| self.accounts.get(id))
    }

    /// Applies one request as transfer `id`. A refusal leaves the book as it was.
    pub fn apply(
        &mut self,
        request: &TransferRequest,
        id: TransferId,
    ) -> Result<TransferOutcome, TransferRefusal> {
        let transfer = self.transfer_for(request, id)?;
        if let Some(existing) = self.transfers_by_key.get(&transfer.key) {
            return if same_request(existing, &transfer) {
                Ok(TransferOutcome::AlreadyExists(existing.clone()))
            } else {
                Err(TransferRefusal::KeyReusedWithDifferentFields(
                    transfer.key.to_string(),
                ))
            };
        }
        let effect = match transfer.kind {
            TransferKind::Posted => Effect::Post(transfer.amount.0),
            TransferKind::Pending => Effect::Reserve(transfer.amount.0),
            TransferKind::PostPending => {
                let pending = self.open_pending(request)?;
                Effect::Settle {
                    reserved: pending.transfer.amount.0,
                    posted: transfer.amount.0,
                }
            }
            TransferKind::VoidPending => {
                self.open_pending(request)?;
                Effect::Release(transfer.amount.0)
            }
        };
        let (mut debit, mut credit) = two_accounts_mut(
            &mut self.accounts,
            transfer.debit_account,
            transfer.credit_account,
        )?;
        apply_effect(&mut debit, &mut credit, effect)?;
        for account in [debit, credit] {
            if !self.touched.contains(&account.id) {
                self.touched.push(account.id);
            }
            self.accounts.insert(account.id, account);
        }
        if let Some(pending_key) = request.pending_key() {
            let known = self
                .pendings
                .get_mut(pending_key)
                .expect("open_pending found it above");
            known.state = if transfer.kind == TransferKind::PostPending {
                PendingState::Posted
            } else {
                PendingState::Voided
            };
        }
        if transfer.kind == TransferKind::Pending {
            self.pendings.insert(
                transfer.key.clone(),
                KnownPending {
                    transfer: transfer.clone(),
                    state: PendingState::Open,
                },
            );
        }
        self.transfers_by_key
            .insert(transfer.key.clone(), transfer.clone());
        Ok(TransferOutcome::Created(transfer))
    }

    fn open_pending(&self, request: &TransferRequest) -> Result<&KnownPending, TransferRefusal> {
        let key = request
            .pending_key()
            .expect("only settlements name a pending transfer");
        let known = self
            .pendings
            .get(key)
            .ok_or_else(|| TransferRefusal::PendingNotFound(key.to_string()))?;
        match known.state {
            PendingState::Open => Ok(known),
            PendingState::Posted => Err(TransferRefusal::PendingAlreadyPosted(key.to_string())),
            PendingState::Voided => Err(TransferRefusal::PendingAlreadyVoided(key.to_string())),
        }
    }

    /// The transfer a request would write, with its accounts and amount resolved, before any
    /// balance is checked.
    fn transfer_for(
        &self,
        request: &TransferRequest,
        id: TransferId,
    ) -> Result<Transfer, TransferRefusal> {
        match request {
            TransferRequest::Posted(movement) | TransferRequest::Pending(movement) => {
                if !valid_code(&movement.code) {
                    return Err(TransferRefusal::InvalidCode);
                }
                if movement.amount.0 <= 0 {
                    return Err(TransferRefusal::AmountNotPositive);
                }
                if movement.debit_account == movement.credit_account {
                    return Err(TransferRefusal::SameAccount);
                }
                Ok(Transfer {
                    id,
                    key: movement.key.clone(),
                    kind: if matches!(request, TransferRequest::Posted(_)) {
                        TransferKind::Posted
                    } else {
                        TransferKind::Pending
                    },
                    debit_account: movement.debit_account,
                    credit_account: movement.credit_account,
                    amount: movement.amount,
                    pending: None,
                    code: movement.code.clone(),
                    reference: movement.reference.clone(),
                })
            }
            TransferRequest::PostPending {
                key,
                pending,
                amount,
                code,
            } => {
                let known = self.settled_pending(pending, code)?;
                let posted = amount.unwrap_or(known.amount);
                if posted.0 <= 0 {
                    return Err(TransferRefusal::AmountNotPositive);
                }
                if posted.0 > known.amount.0 {
                    return Err(TransferRefusal::ExceedsPendingAmount {
                        pending_amount: known.amount.0,
                    });
                }
                Ok(Transfer {
                    id,
                    key: key.clone(),
                    kind: TransferKind::PostPending,
                    debit_account: known.debit_account,
                    credit_account: known.credit_account,
                    amount: posted,
                    pending: Some(known.id),
                    code: code.clone(),
                    reference: known.reference.clone(),
                })
            }
            TransferRequest::VoidPending { key, pending, code } => {
                let known = self.settled_pending(pending, code)?;
                Ok(Transfer {
                    id,
                    key: key.clone(),
                    kind: TransferKind::VoidPending,
                    debit_account: known.debit_account,
                    credit_account: known.credit_account,
                    amount: known.amount,
                    pending: Some(known.id),
                    code: code.clone(),
                    reference: known.reference.clone(),
                })
            }
        }
    }

    /// The pending transfer a settlement names. An idempotent replay of a settlement finds its
    /// pending already resolved, so the state is checked later, after the key lookup.
    fn settled_pending(
        &self,
        pending: &TransferKey,
        code: &str,
    ) -> Result<&Transfer, TransferRefusal> {
        if !valid_code(code) {
            return Err(TransferRefusal::InvalidCode);
        }
        self.pendings
            .get(pending)
            .map(|known| &known.transfer)
            .ok_or_else(|| TransferRefusal::PendingNotFound(pending.to_string()))
    }
}

/// Whether a stored transfer is what a repeated request asks for (its id aside).
fn same_request(existing: &Transfer, requested: &Transfer) -> bool {
    existing.kind == requested.kind
        && existing.debit_account == requested.debit_account
        && existing.credit_account == requested.credit_account
        && existing.amount == requested.amount
        && existing.pending == requested.pending
        && existing.code == requested.code
        && existing.reference == requested.reference
}

/// The facts of a stored transfer that replaying needs; what `corridor ledger reconcile`
/// streams out of the database, in id order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReplayedTransfer {
    pub id: TransferId,
    pub kind: TransferKind,
    pub debit_account: LedgerAccountId,
    pub credit_account: LedgerAccountId,
    pub amount: i64,
    pub pending: Option<TransferId>,
}

/// Why a replay found the stored ledger inconsistent.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ReplayFault {
    #[error("transfer {transfer} was refused on replay: {refusal}")]
    Refused {
        transfer: i64,
        refusal: TransferRefusal,
    },
    #[error("transfer {transfer} resolves {pending}, which is not an open pending transfer")]
    NotAnOpenPending { transfer: i64, pending: i64 },
    #[error("transfer {transfer} does not follow transfer {previous} in id order")]
    OutOfOrder { transfer: i64, previous: i64 },
}

/// Rebuilds every balance from nothing by applying the stored transfers in id order, checking
/// each account's limit after every transfer, exactly as the ledger did when it accepted it.
#[derive(Debug, Default)]
pub struct LedgerReplay {
    accounts: HashMap<LedgerAccountId, LedgerAccount>,
    open_pendings: HashMap<TransferId, i64>,
    last_transfer: Option<TransferId>,
    transfers: u64,
}

impl LedgerReplay {
    /// Starts from the accounts with every balance zero.
    pub fn new(
        accounts: impl IntoIterator<Item = (LedgerAccountId, AccountFlags)>,
    ) -> LedgerReplay {
        LedgerReplay {
            accounts: accounts
                .into_iter()
                .map(|(id, flags)| {
                    (
                        id,
                        LedgerAccount {
                            id,
                            flags,
                            balances: AccountBalances::default(),
                        },
                    )
                })
                .collect(),
            ..LedgerReplay::default()
        }
    }

    pub fn apply(&mut self, transfer: &ReplayedTransfer) -> Result<(), ReplayFault> {
        if let Some(previous) = self.last_transfer {
            if transfer.id <= previous {
                return Err(ReplayFault::OutOfOrder {
                    transfer: transfer.id.0,
                    previous: previous.0,
                });
            }
        }
        let refused = |refusal| ReplayFault::Refused {
            transfer: transfer.id.0,
            refusal,
        };
        if transfer.debit_account == transfer.credit_account {
            return Err(refused(TransferRefusal::SameAccount));
        }
        if transfer.amount <= 0 {
            return Err(refused(TransferRefusal::AmountNotPositive));
        }
        let effect = match transfer.kind {
            TransferKind::Posted => Effect::Post(transfer.amount),
            TransferKind::Pending => Effect::Reserve(transfer.amount),
            TransferKind::PostPending | TransferKind::VoidPending => {
                let not_open = ReplayFault::NotAnOpenPending {
                    transfer: transfer.id.0,
                    pending: transfer.pending.map_or(0, |pending| pending.0),
                };
                let pending = transfer.pending.ok_or(not_open.clone())?;
                let reserved = self.open_pendings.remove(&pending).ok_or(not_open)?;
                if transfer.kind == TransferKind::PostPending {
                    if transfer.amount > reserved {
                        return Err(refused(TransferRefusal::ExceedsPendingAmount {
                            pending_amount: reserved,
                        }));
                    }
                    Effect::Settle {
                        reserved,
                        posted: transfer.amount,
                    }
                } else {
                    Effect::Release(reserved)
                }
            }
        };
        let (mut debit, mut credit) = two_accounts_mut(
            &mut self.accounts,
            transfer.debit_account,
            transfer.credit_account,
        )
        .map_err(refused)?;
        apply_effect(&mut debit, &mut credit, effect).map_err(refused)?;
        self.accounts.insert(debit.id, debit);
        self.accounts.insert(credit.id, credit);
        if transfer.kind == TransferKind::Pending {
            self.open_pendings.insert(transfer.id, transfer.amount);
        }
        self.last_transfer = Some(transfer.id);
        self.transfers += 1;
        Ok(())
    }

    pub fn transfers_applied(&self) -> u64 {
        self.transfers
    }

    pub fn open_pending_count(&self) -> usize {
        self.open_pendings.len()
    }

    pub fn balances_of(&self, account: LedgerAccountId) -> Option<AccountBalances> {
        self.accounts.get(&account).map(|account| account.balances)
    }

    /// The sums over every account; in a balanced ledger debits equal credits, posted and
    /// pending alike.
    pub fn totals(&self) -> AccountBalances {
        let mut totals = AccountBalances::default();
        for account in self.accounts.values() {
            totals.debits_pending += account.balances.debits_pending;
            totals.debits_posted += account.balances.debits_posted;
            totals.credits_pending += account.balances.credits_pending;
            totals.credits_posted += account.balances.credits_posted;
        }
        totals
    }
}

#[cfg(test)]
mod tests;
