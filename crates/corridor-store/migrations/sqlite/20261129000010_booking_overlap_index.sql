-- The overlap check (a holding booking of this instrument ending after the requested start
-- and starting before its end) walks the instrument's bookings that end after the start. With
-- only (instrument_id, ends_at) indexed, each of them cost a lookup in the table for its start
-- and status; a busy instrument has hundreds of future bookings, so a booking attempt paid
-- hundreds of lookups. Carrying the start and the status in the index answers the check from
-- the index alone. The new index serves every query the old one did.
CREATE INDEX bookings_overlap ON bookings (instrument_id, ends_at, starts_at, status);
DROP INDEX bookings_by_instrument;
