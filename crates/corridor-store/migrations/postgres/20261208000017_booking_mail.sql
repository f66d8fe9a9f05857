-- Booking mails (issue 23, "E-mail that arrives").
--
-- notifications.booking_id: the booking a mail is about (none for other mails). It numbers
--   the attached events' SEQUENCE (the calendar-bearing mails of a booking before this one)
--   and keys the reminder's uniqueness.
-- notifications.ics: the RFC 5545 calendar the mailer attaches as booking.ics, rendered in
--   the transaction that wrote the mail; NULL for a mail with no event.
-- notifications_one_reminder: at most one 24-hour reminder per booking, so two nodes or a
--   restarted job never queue it twice (the job inserts with ON CONFLICT DO NOTHING).
-- bookings_confirmed_by_start: the reminder job's question, "which confirmed bookings start
--   within the next day", reads only those.
ALTER TABLE notifications ADD COLUMN booking_id BIGINT REFERENCES bookings (id);
ALTER TABLE notifications ADD COLUMN ics TEXT;
CREATE INDEX notifications_by_booking ON notifications (booking_id, id)
    WHERE booking_id IS NOT NULL;
CREATE UNIQUE INDEX notifications_one_reminder ON notifications (booking_id)
    WHERE kind = 'booking_reminder';
CREATE INDEX bookings_confirmed_by_start ON bookings (starts_at) WHERE status = 'confirmed';
