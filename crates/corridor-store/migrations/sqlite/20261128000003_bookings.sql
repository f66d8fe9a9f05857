-- Booking engine, SQLite dialect: calendars, closures, bookings, waitlist, qualifications.
--
-- No double booking: every change to an instrument's bookings first updates that
-- instrument's row in instrument_calendars (booking_sequence = booking_sequence + 1), then
-- checks for overlaps, then writes. On PostgreSQL and on Postgres-compatible distributed
-- engines the UPDATE takes the row's write lock, so changes to one instrument's bookings
-- run one after another; in SQLite the single writer already serialises them.

CREATE TABLE instrument_calendars (
    instrument_id INTEGER PRIMARY KEY REFERENCES instruments (id),
    slot_minutes INTEGER NOT NULL CHECK (slot_minutes BETWEEN 5 AND 240),
    min_booking_minutes INTEGER NOT NULL CHECK (min_booking_minutes > 0),
    max_booking_minutes INTEGER NOT NULL CHECK (max_booking_minutes >= min_booking_minutes),
    lead_time_minutes INTEGER NOT NULL CHECK (lead_time_minutes >= 0),
    cancellation_deadline_minutes INTEGER NOT NULL CHECK (cancellation_deadline_minutes >= 0),
    weekly_quota_minutes INTEGER CHECK (weekly_quota_minutes > 0),
    booking_sequence INTEGER NOT NULL DEFAULT 0
) STRICT;

-- Instruments that existed before this migration get the standard rules.
INSERT INTO instrument_calendars (instrument_id, slot_minutes, min_booking_minutes,
    max_booking_minutes, lead_time_minutes, cancellation_deadline_minutes)
SELECT id, 30, 30, 480, 60, 1440 FROM instruments;

CREATE TABLE calendar_closures (
    id INTEGER PRIMARY KEY,
    instrument_id INTEGER NOT NULL REFERENCES instruments (id),
    kind TEXT NOT NULL CHECK (kind IN ('holiday', 'maintenance')),
    starts_at INTEGER NOT NULL,
    ends_at INTEGER NOT NULL,
    reason TEXT NOT NULL,
    created_by INTEGER REFERENCES users (id),
    created_at INTEGER NOT NULL,
    CHECK (starts_at < ends_at)
) STRICT;
CREATE INDEX calendar_closures_by_instrument ON calendar_closures (instrument_id, ends_at);

CREATE TABLE bookings (
    id INTEGER PRIMARY KEY,
    instrument_id INTEGER NOT NULL REFERENCES instruments (id),
    user_id INTEGER NOT NULL REFERENCES users (id),
    starts_at INTEGER NOT NULL,
    ends_at INTEGER NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'confirmed', 'completed', 'rejected', 'cancelled')),
    user_class TEXT NOT NULL,
    hourly_rate_fen INTEGER NOT NULL CHECK (hourly_rate_fen >= 0),
    price_fen INTEGER NOT NULL CHECK (price_fen >= 0),
    purpose TEXT NOT NULL,
    idempotency_key TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    decided_by INTEGER REFERENCES users (id),
    decision_note TEXT,
    usage_minutes INTEGER CHECK (usage_minutes >= 0),
    charged_fen INTEGER CHECK (charged_fen >= 0),
    CHECK (starts_at < ends_at)
) STRICT;
CREATE UNIQUE INDEX bookings_idempotency ON bookings (user_id, idempotency_key)
    WHERE idempotency_key IS NOT NULL;
CREATE INDEX bookings_by_instrument ON bookings (instrument_id, ends_at);
CREATE INDEX bookings_by_user ON bookings (user_id, starts_at);
CREATE INDEX bookings_pending ON bookings (instrument_id) WHERE status = 'pending';

CREATE TABLE waitlist_entries (
    id INTEGER PRIMARY KEY,
    instrument_id INTEGER NOT NULL REFERENCES instruments (id),
    user_id INTEGER NOT NULL REFERENCES users (id),
    starts_at INTEGER NOT NULL,
    ends_at INTEGER NOT NULL,
    purpose TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('waiting', 'promoted', 'withdrawn')),
    created_at INTEGER NOT NULL,
    promoted_booking_id INTEGER REFERENCES bookings (id),
    CHECK (starts_at < ends_at)
) STRICT;
CREATE INDEX waitlist_waiting ON waitlist_entries (instrument_id, id) WHERE status = 'waiting';
CREATE INDEX waitlist_by_user ON waitlist_entries (user_id, id);

CREATE TABLE qualifications (
    id INTEGER PRIMARY KEY,
    instrument_id INTEGER NOT NULL REFERENCES instruments (id),
    user_id INTEGER NOT NULL REFERENCES users (id),
    granted_by INTEGER REFERENCES users (id),
    granted_at INTEGER NOT NULL,
    revoked_by INTEGER REFERENCES users (id),
    revoked_at INTEGER
) STRICT;
CREATE UNIQUE INDEX qualifications_one_active ON qualifications (instrument_id, user_id)
    WHERE revoked_at IS NULL;
CREATE INDEX qualifications_by_user ON qualifications (user_id);
