-- How far ahead each instrument can be booked (days; the manager sets it, 180 by default).
ALTER TABLE instrument_calendars
    ADD COLUMN booking_horizon_days INTEGER NOT NULL DEFAULT 180
    CHECK (booking_horizon_days BETWEEN 1 AND 3660);

-- API tokens expire. Tokens made before this migration live 90 days from their creation.
ALTER TABLE api_tokens ADD COLUMN expires_at INTEGER;
UPDATE api_tokens SET expires_at = created_at + 90 * 86400 * 1000000;
