-- People who join by themselves (issue 23).
--
-- users.email_verified: whether the person has shown they read mail at the address (a
--   verification or reset link was followed). Accounts made by an operator, the demo or an
--   identity provider are verified from the start; a self sign-up is not until its link is
--   followed, and cannot sign in before.
-- users.membership: whether the home institution has admitted the person. The price of a
--   booking follows it: only an admitted member gets the own-institution or academic rate; a
--   person whose membership is requested or refused pays as an outside (industry) user and
--   passes no "own institution only" policy.
-- notifications.recipient_email: where the mail goes when it is not the user's address (the
--   new address of a change of e-mail, which must be verified before it replaces the old one).
-- account_links: single-use, expiring links mailed to people (verify an address, reset a
--   password, confirm a new address). Only the SHA-256 of the secret is stored.
ALTER TABLE users ADD COLUMN email_verified INTEGER NOT NULL DEFAULT 1 CHECK (email_verified IN (0, 1));
ALTER TABLE users ADD COLUMN membership TEXT NOT NULL DEFAULT 'admitted'
    CHECK (membership IN ('requested', 'admitted', 'refused'));
ALTER TABLE notifications ADD COLUMN recipient_email TEXT;

CREATE TABLE account_links (
    token_hash TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id),
    purpose TEXT NOT NULL CHECK (purpose IN ('verify_email', 'reset_password', 'change_email')),
    new_email TEXT,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at INTEGER,
    CHECK ((purpose = 'change_email') = (new_email IS NOT NULL))
) STRICT;
CREATE INDEX account_links_by_user ON account_links (user_id, purpose);
CREATE INDEX users_by_membership ON users (home_institution_id, membership)
    WHERE membership <> 'admitted';
