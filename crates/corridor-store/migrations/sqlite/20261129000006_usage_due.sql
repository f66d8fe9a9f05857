-- The managers' "usage to record" list: confirmed bookings whose slot is over. Confirmed
-- bookings are the future ones and the few of the last days, so the index stays small.
CREATE INDEX bookings_confirmed_by_end ON bookings (ends_at) WHERE status = 'confirmed';
