-- What a reliable mail sender needs on each notification of the outbox.
--
-- message_id: the RFC 5322 Message-ID, `<notification-{id}@{host}>`, set on the first claim
--   and never changed, so a message sent twice (a crash between sending and marking it sent)
--   carries the same id and the receiver can drop the second copy.
-- attempts: how often a sender has claimed the row to send it.
-- next_attempt_at: not before this instant; the epoch for a new row, so it is due at once;
--   pushed out by the backoff after a failure.
-- last_error: what the last failed attempt was told by the SMTP server or the network.
-- gave_up_at: set when the sender stopped trying; the row stays, for the platform admin.
-- claimed_by, lease_until: the node sending the row and until when its claim holds; another
--   node claims the row only once the lease has expired, so two nodes never send it at the
--   same time unless one outlives its lease.
ALTER TABLE notifications ADD COLUMN message_id TEXT;
ALTER TABLE notifications ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0);
ALTER TABLE notifications ADD COLUMN next_attempt_at TIMESTAMPTZ NOT NULL DEFAULT 'epoch';
ALTER TABLE notifications ADD COLUMN last_error TEXT;
ALTER TABLE notifications ADD COLUMN gave_up_at TIMESTAMPTZ;
ALTER TABLE notifications ADD COLUMN claimed_by TEXT;
ALTER TABLE notifications ADD COLUMN lease_until TIMESTAMPTZ;

-- The sender's question is "which undelivered rows are due, oldest first": the rows it has
-- finished with (sent or given up) leave the index.
DROP INDEX notifications_unsent;
CREATE INDEX notifications_due ON notifications (next_attempt_at, id)
    WHERE sent_at IS NULL AND gave_up_at IS NULL;
CREATE INDEX notifications_given_up ON notifications (gave_up_at, id)
    WHERE gave_up_at IS NOT NULL;
CREATE UNIQUE INDEX notifications_by_message_id ON notifications (message_id)
    WHERE message_id IS NOT NULL;
