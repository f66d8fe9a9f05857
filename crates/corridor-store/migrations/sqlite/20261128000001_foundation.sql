-- Corridor foundation schema, SQLite dialect.
-- Instants are INTEGER microseconds since the Unix epoch, UTC. Lists are JSON text.
-- Money is INTEGER fen. Every table is STRICT so that a wrong type is an error, not a cast.

CREATE TABLE region (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    name TEXT NOT NULL,
    seed INTEGER NOT NULL,
    generator_version TEXT NOT NULL,
    generated_at INTEGER NOT NULL
) STRICT;

CREATE TABLE provinces (
    code TEXT PRIMARY KEY,
    name_en TEXT NOT NULL,
    name_zh TEXT NOT NULL,
    in_region INTEGER NOT NULL CHECK (in_region IN (0, 1))
) STRICT;

CREATE TABLE cities (
    code INTEGER PRIMARY KEY,
    province_code TEXT NOT NULL REFERENCES provinces (code),
    name_en TEXT NOT NULL,
    name_zh TEXT NOT NULL,
    lon REAL NOT NULL,
    lat REAL NOT NULL
) STRICT;

CREATE TABLE instrument_categories (
    code TEXT PRIMARY KEY,
    parent_code TEXT REFERENCES instrument_categories (code),
    name_en TEXT NOT NULL,
    name_zh TEXT NOT NULL
) STRICT;

CREATE TABLE institutions (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    name_en TEXT NOT NULL,
    name_zh TEXT NOT NULL,
    city_code INTEGER NOT NULL REFERENCES cities (code),
    sector TEXT NOT NULL,
    university_tier TEXT
) STRICT;
CREATE INDEX institutions_by_city ON institutions (city_code);
CREATE INDEX institutions_by_kind ON institutions (kind);

CREATE TABLE sites (
    id INTEGER PRIMARY KEY,
    institution_id INTEGER NOT NULL REFERENCES institutions (id),
    name_en TEXT NOT NULL,
    name_zh TEXT NOT NULL,
    city_code INTEGER NOT NULL REFERENCES cities (code),
    lon REAL NOT NULL,
    lat REAL NOT NULL
) STRICT;
CREATE INDEX sites_by_institution ON sites (institution_id);

CREATE TABLE instruments (
    id INTEGER PRIMARY KEY,
    institution_id INTEGER NOT NULL REFERENCES institutions (id),
    site_id INTEGER NOT NULL REFERENCES sites (id),
    category_code TEXT NOT NULL REFERENCES instrument_categories (code),
    name_en TEXT NOT NULL,
    name_zh TEXT NOT NULL,
    techniques TEXT NOT NULL,
    keywords TEXT NOT NULL,
    manufacturer TEXT NOT NULL,
    model TEXT NOT NULL,
    year_of_manufacture INTEGER NOT NULL,
    purchase_value_fen INTEGER NOT NULL CHECK (purchase_value_fen >= 0),
    description_en TEXT NOT NULL,
    description_zh TEXT NOT NULL,
    access_policy TEXT NOT NULL,
    rate_own_institution_fen INTEGER NOT NULL CHECK (rate_own_institution_fen >= 0),
    rate_other_academic_fen INTEGER NOT NULL CHECK (rate_other_academic_fen >= 0),
    rate_industry_fen INTEGER NOT NULL CHECK (rate_industry_fen >= 0),
    booking_mode TEXT NOT NULL,
    training_required INTEGER NOT NULL CHECK (training_required IN (0, 1)),
    opening_hours TEXT NOT NULL,
    time_zone TEXT NOT NULL
) STRICT;
CREATE INDEX instruments_by_institution ON instruments (institution_id);
CREATE INDEX instruments_by_site ON instruments (site_id);
CREATE INDEX instruments_by_category ON instruments (category_code);

CREATE TABLE beamlines (
    id INTEGER PRIMARY KEY,
    facility_institution_id INTEGER NOT NULL REFERENCES institutions (id),
    code TEXT NOT NULL,
    name_en TEXT NOT NULL,
    name_zh TEXT NOT NULL,
    techniques TEXT NOT NULL,
    source TEXT NOT NULL,
    energy_kev_min REAL NOT NULL,
    energy_kev_max REAL NOT NULL,
    UNIQUE (facility_institution_id, code)
) STRICT;

CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    home_institution_id INTEGER NOT NULL REFERENCES institutions (id),
    preferred_language TEXT NOT NULL,
    password_hash TEXT,
    created_at INTEGER NOT NULL
) STRICT;
CREATE INDEX users_by_institution ON users (home_institution_id);

CREATE TABLE role_grants (
    user_id INTEGER NOT NULL REFERENCES users (id),
    role TEXT NOT NULL,
    scope_kind TEXT NOT NULL CHECK (scope_kind IN ('global', 'institution', 'province')),
    scope_institution_id INTEGER REFERENCES institutions (id),
    scope_province_code TEXT REFERENCES provinces (code)
) STRICT;
-- NULLs are distinct in a UNIQUE constraint on both engines, so the scope is coalesced.
CREATE UNIQUE INDEX role_grants_are_unique ON role_grants
    (user_id, role, scope_kind, COALESCE(scope_institution_id, 0), COALESCE(scope_province_code, ''));
CREATE INDEX role_grants_by_role ON role_grants (role);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id),
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    client_address TEXT
) STRICT;
CREATE INDEX sessions_by_user ON sessions (user_id);

CREATE TABLE api_tokens (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id),
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
) STRICT;

-- Append-only: the store never updates or deletes a row here.
CREATE TABLE audit_events (
    id INTEGER PRIMARY KEY,
    occurred_at INTEGER NOT NULL,
    actor_user_id INTEGER REFERENCES users (id),
    action TEXT NOT NULL,
    subject TEXT NOT NULL,
    detail TEXT NOT NULL,
    client_address TEXT
) STRICT;
CREATE TRIGGER audit_events_are_append_only_update BEFORE UPDATE ON audit_events
BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END;
CREATE TRIGGER audit_events_are_append_only_delete BEFORE DELETE ON audit_events
BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END;
