-- Proposal cycles of a large facility (the call, and the beam period it allocates), the
-- proposals teams write for them, and the shifts each asks for per beamline.
CREATE TABLE proposal_cycles (
    id INTEGER PRIMARY KEY,
    facility_institution_id INTEGER NOT NULL REFERENCES institutions (id),
    name TEXT NOT NULL,
    call_opens_at INTEGER NOT NULL,
    call_closes_at INTEGER NOT NULL,
    starts_on TEXT NOT NULL,
    ends_on TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    CHECK (call_opens_at < call_closes_at),
    CHECK (starts_on <= ends_on),
    UNIQUE (facility_institution_id, name)
) STRICT;

CREATE TABLE proposals (
    id INTEGER PRIMARY KEY,
    cycle_id INTEGER NOT NULL REFERENCES proposal_cycles (id),
    principal_user_id INTEGER NOT NULL REFERENCES users (id),
    proposal_type TEXT NOT NULL CHECK (proposal_type IN ('general', 'rapid_access', 'long_term', 'proprietary')),
    title TEXT NOT NULL,
    summary TEXT NOT NULL,
    techniques TEXT NOT NULL,
    unavailable_days TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('draft', 'submitted', 'withdrawn')),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    submitted_at INTEGER
) STRICT;
CREATE INDEX proposals_by_cycle ON proposals (cycle_id, status, id);

CREATE TABLE proposal_requests (
    proposal_id INTEGER NOT NULL REFERENCES proposals (id),
    beamline_id INTEGER NOT NULL REFERENCES beamlines (id),
    shifts INTEGER NOT NULL CHECK (shifts BETWEEN 1 AND 90),
    PRIMARY KEY (proposal_id, beamline_id)
) STRICT;
