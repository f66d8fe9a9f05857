-- Single sign-on with OpenID Connect (issue 23).
--
-- sso_identities: who a person is at an identity provider (the issuer and the provider's
--   subject, which OpenID Connect promises never to reassign within an issuer) and which
--   Corridor account that is. Unique per (issuer, subject): a second sign-in finds the account
--   by them, never by the e-mail address, which a provider may let a person change.
-- sso_sign_ins: a sign-in on its way to the provider and back. The state sent to the provider
--   is stored only as its SHA-256; the PKCE verifier and the nonce are what the callback checks
--   the provider's answer against. A row is deleted when the callback takes it, so a state
--   works once, and it works only until expires_at.
CREATE TABLE sso_identities (
    issuer TEXT NOT NULL,
    subject TEXT NOT NULL,
    user_id INTEGER NOT NULL REFERENCES users (id),
    provider TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (issuer, subject)
) STRICT;
CREATE INDEX sso_identities_by_user ON sso_identities (user_id);

CREATE TABLE sso_sign_ins (
    state_hash TEXT PRIMARY KEY,
    provider TEXT NOT NULL,
    pkce_verifier TEXT NOT NULL,
    nonce TEXT NOT NULL,
    return_path TEXT,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
) STRICT;
CREATE INDEX sso_sign_ins_by_expiry ON sso_sign_ins (expires_at);
