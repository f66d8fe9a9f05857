-- The double-entry ledger, SQLite dialect.
--
-- Accounts carry their four running sums as a cache of what their transfers imply; only the
-- store's transfer path writes them, in the same transaction as the transfers, and
-- `corridor ledger reconcile` replays every transfer to prove the cache right. The CHECK on
-- flags is a last line behind the store's own limit check: a voucher or a budget (flag bit 1,
-- "debits must not exceed credits") can never be overdrawn in a committed row.
--
-- Transfers are append-only. A settlement (post or void) names the pending transfer it
-- resolves in pending_id, which is UNIQUE: no pending transfer is ever resolved twice.

CREATE TABLE ledger_accounts (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL,
    owner TEXT,
    label TEXT NOT NULL,
    flags INTEGER NOT NULL CHECK (flags IN (0, 1, 2)),
    debits_pending INTEGER NOT NULL DEFAULT 0 CHECK (debits_pending >= 0),
    debits_posted INTEGER NOT NULL DEFAULT 0 CHECK (debits_posted >= 0),
    credits_pending INTEGER NOT NULL DEFAULT 0 CHECK (credits_pending >= 0),
    credits_posted INTEGER NOT NULL DEFAULT 0 CHECK (credits_posted >= 0),
    created_at INTEGER NOT NULL,
    CHECK ((flags & 1) = 0 OR debits_pending + debits_posted <= credits_posted),
    CHECK ((flags & 2) = 0 OR credits_pending + credits_posted <= debits_posted)
) STRICT;
CREATE UNIQUE INDEX ledger_accounts_by_owner ON ledger_accounts (code, owner) WHERE owner IS NOT NULL;

CREATE TABLE ledger_transfers (
    id INTEGER PRIMARY KEY,
    transfer_key TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL CHECK (kind IN ('posted', 'pending', 'post_pending', 'void_pending')),
    debit_account_id INTEGER NOT NULL REFERENCES ledger_accounts (id),
    credit_account_id INTEGER NOT NULL REFERENCES ledger_accounts (id),
    amount INTEGER NOT NULL CHECK (amount > 0),
    pending_id INTEGER UNIQUE REFERENCES ledger_transfers (id),
    code TEXT NOT NULL,
    reference TEXT,
    created_at INTEGER NOT NULL,
    CHECK (debit_account_id <> credit_account_id),
    CHECK ((kind IN ('posted', 'pending')) = (pending_id IS NULL))
) STRICT;
CREATE INDEX ledger_transfers_by_debit_account ON ledger_transfers (debit_account_id, id);
CREATE INDEX ledger_transfers_by_credit_account ON ledger_transfers (credit_account_id, id);
CREATE INDEX ledger_transfers_by_reference ON ledger_transfers (reference) WHERE reference IS NOT NULL;
