-- When a voucher expired: its programme's claim grace had passed, its open holds were
-- released and what it had left went back to the programme's budget (transfer
-- voucher:<id>:expire). NULL while the voucher lives.
ALTER TABLE vouchers ADD COLUMN expired_at TIMESTAMPTZ;
