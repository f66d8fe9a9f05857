-- How far ahead each instrument can be booked (days; the manager sets it, 180 by default).
ALTER TABLE instrument_calendars
    ADD COLUMN booking_horizon_days BIGINT NOT NULL DEFAULT 180
    CHECK (booking_horizon_days BETWEEN 1 AND 3660);

-- API tokens expire. Tokens made before this migration live 90 days from their creation.
ALTER TABLE api_tokens ADD COLUMN expires_at TIMESTAMPTZ;
UPDATE api_tokens SET expires_at = created_at + INTERVAL '90 days';
ALTER TABLE api_tokens ALTER COLUMN expires_at SET NOT NULL;
