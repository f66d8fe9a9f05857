-- Innovation vouchers, SQLite dialect. The value lives in the ledger; these tables hold the
-- programmes' rules, the applications and decisions, which ledger account is whose, and which
-- booking a voucher pays for.

CREATE TABLE voucher_programmes (
    id INTEGER PRIMARY KEY,
    province_code TEXT NOT NULL,
    name_en TEXT NOT NULL,
    name_zh TEXT NOT NULL,
    budget_fen INTEGER NOT NULL CHECK (budget_fen > 0),
    co_funding_percent INTEGER NOT NULL CHECK (co_funding_percent BETWEEN 1 AND 100),
    annual_cap_fen INTEGER NOT NULL CHECK (annual_cap_fen > 0),
    valid_from TEXT NOT NULL,
    valid_until TEXT NOT NULL,
    eligible_categories TEXT NOT NULL,
    provider_scope TEXT NOT NULL CHECK (provider_scope IN ('own_province', 'whole_region')),
    redemption_mode TEXT NOT NULL CHECK (redemption_mode IN ('enterprise_redeems', 'provider_redeems')),
    budget_account_id INTEGER NOT NULL UNIQUE REFERENCES ledger_accounts (id),
    created_at INTEGER NOT NULL,
    CHECK (valid_from <= valid_until)
) STRICT;

CREATE TABLE vouchers (
    id INTEGER PRIMARY KEY,
    programme_id INTEGER NOT NULL REFERENCES voucher_programmes (id),
    enterprise_id INTEGER NOT NULL REFERENCES institutions (id),
    amount_fen INTEGER NOT NULL CHECK (amount_fen > 0),
    account_id INTEGER NOT NULL UNIQUE REFERENCES ledger_accounts (id),
    issued_at INTEGER NOT NULL
) STRICT;
CREATE INDEX vouchers_by_enterprise ON vouchers (enterprise_id, programme_id);

CREATE TABLE voucher_applications (
    id INTEGER PRIMARY KEY,
    programme_id INTEGER NOT NULL REFERENCES voucher_programmes (id),
    enterprise_id INTEGER NOT NULL REFERENCES institutions (id),
    applicant_user_id INTEGER NOT NULL REFERENCES users (id),
    requested_fen INTEGER NOT NULL CHECK (requested_fen > 0),
    purpose TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('submitted', 'approved', 'rejected')),
    created_at INTEGER NOT NULL,
    decided_by INTEGER REFERENCES users (id),
    decided_at INTEGER,
    decision_note TEXT,
    voucher_id INTEGER UNIQUE REFERENCES vouchers (id),
    CHECK ((status = 'approved') = (voucher_id IS NOT NULL))
) STRICT;
CREATE INDEX voucher_applications_by_programme ON voucher_applications (programme_id, status, id);

CREATE TABLE booking_voucher_payments (
    booking_id INTEGER PRIMARY KEY REFERENCES bookings (id),
    voucher_id INTEGER NOT NULL REFERENCES vouchers (id),
    price_fen INTEGER NOT NULL CHECK (price_fen >= 0),
    voucher_pays_fen INTEGER NOT NULL CHECK (voucher_pays_fen > 0),
    claimant_institution_id INTEGER NOT NULL REFERENCES institutions (id),
    claim_account_id INTEGER NOT NULL REFERENCES ledger_accounts (id),
    created_at INTEGER NOT NULL,
    CHECK (voucher_pays_fen <= price_fen)
) STRICT;
CREATE INDEX booking_voucher_payments_by_voucher ON booking_voucher_payments (voucher_id);
