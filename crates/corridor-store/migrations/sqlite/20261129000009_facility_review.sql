-- The rest of a proposal, its cycle's calendar, its checks and review, and the cycle's
-- allocation: the decisions with their reasons, the placed shifts, and the notifications
-- to teams waiting in an outbox.
ALTER TABLE proposals ADD COLUMN discipline TEXT NOT NULL DEFAULT 'materials'
    CHECK (discipline IN ('life_sciences', 'chemistry', 'materials', 'physics', 'earth_environment', 'engineering_heritage'));
ALTER TABLE proposals ADD COLUMN samples TEXT NOT NULL DEFAULT '';
ALTER TABLE proposals ADD COLUMN resubmission_of INTEGER REFERENCES proposals (id);

CREATE TABLE proposal_members (
    proposal_id INTEGER NOT NULL REFERENCES proposals (id),
    user_id INTEGER NOT NULL REFERENCES users (id),
    PRIMARY KEY (proposal_id, user_id)
) STRICT;
CREATE INDEX proposal_members_by_user ON proposal_members (user_id);

CREATE TABLE cycle_closed_days (
    cycle_id INTEGER NOT NULL REFERENCES proposal_cycles (id),
    day TEXT NOT NULL,
    reason TEXT NOT NULL CHECK (reason IN ('maintenance', 'machine_development', 'beam_lost')),
    PRIMARY KEY (cycle_id, day)
) STRICT;

-- Feasibility and safety, by beamline staff before review; one verdict of each per proposal.
CREATE TABLE proposal_checks (
    proposal_id INTEGER NOT NULL REFERENCES proposals (id),
    kind TEXT NOT NULL CHECK (kind IN ('feasibility', 'safety')),
    verdict TEXT NOT NULL CHECK (verdict IN ('approved', 'refused')),
    note TEXT NOT NULL,
    checked_by_user_id INTEGER NOT NULL REFERENCES users (id),
    checked_at INTEGER NOT NULL,
    PRIMARY KEY (proposal_id, kind)
) STRICT;

-- A reviewer's panel (discipline), expertise and load.
CREATE TABLE reviewer_profiles (
    user_id INTEGER PRIMARY KEY REFERENCES users (id),
    discipline TEXT NOT NULL,
    expertise TEXT NOT NULL,
    max_load INTEGER NOT NULL CHECK (max_load BETWEEN 1 AND 100)
) STRICT;

-- Reviewers the team declared a conflict with.
CREATE TABLE proposal_declared_conflicts (
    proposal_id INTEGER NOT NULL REFERENCES proposals (id),
    reviewer_user_id INTEGER NOT NULL REFERENCES users (id),
    PRIMARY KEY (proposal_id, reviewer_user_id)
) STRICT;

CREATE TABLE proposal_reviews (
    proposal_id INTEGER NOT NULL REFERENCES proposals (id),
    reviewer_user_id INTEGER NOT NULL REFERENCES users (id),
    cycle_id INTEGER NOT NULL REFERENCES proposal_cycles (id),
    affinity INTEGER NOT NULL,
    grade REAL CHECK (grade BETWEEN 1.0 AND 5.0),
    comment TEXT NOT NULL DEFAULT '',
    assigned_at INTEGER NOT NULL,
    graded_at INTEGER,
    PRIMARY KEY (proposal_id, reviewer_user_id)
) STRICT;
CREATE INDEX proposal_reviews_by_reviewer ON proposal_reviews (reviewer_user_id, cycle_id);
CREATE INDEX proposal_reviews_by_cycle ON proposal_reviews (cycle_id);

CREATE TABLE allocation_decisions (
    cycle_id INTEGER NOT NULL REFERENCES proposal_cycles (id),
    proposal_id INTEGER NOT NULL REFERENCES proposals (id),
    beamline_id INTEGER NOT NULL REFERENCES beamlines (id),
    requested INTEGER NOT NULL,
    granted INTEGER NOT NULL CHECK (granted BETWEEN 0 AND requested),
    effective_score REAL,
    cycles_waiting INTEGER NOT NULL,
    -- What a proprietary (paid) grant costs its company, in fen; 0 for the open modes.
    fee_fen INTEGER NOT NULL DEFAULT 0 CHECK (fee_fen >= 0),
    reason TEXT NOT NULL,
    explanation TEXT NOT NULL,
    PRIMARY KEY (proposal_id, beamline_id)
) STRICT;
CREATE INDEX allocation_decisions_by_cycle ON allocation_decisions (cycle_id);

CREATE TABLE schedule_blocks (
    id INTEGER PRIMARY KEY,
    cycle_id INTEGER NOT NULL REFERENCES proposal_cycles (id),
    beamline_id INTEGER NOT NULL REFERENCES beamlines (id),
    proposal_id INTEGER NOT NULL REFERENCES proposals (id),
    first_shift INTEGER NOT NULL CHECK (first_shift >= 0),
    shifts INTEGER NOT NULL CHECK (shifts > 0)
) STRICT;
CREATE INDEX schedule_blocks_by_cycle ON schedule_blocks (cycle_id, beamline_id, first_shift);

-- Messages to users, written in the transaction that decides what they say; a mailer
-- delivers them and sets sent_at.
CREATE TABLE notifications (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id),
    kind TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    sent_at INTEGER
) STRICT;
CREATE INDEX notifications_by_user ON notifications (user_id, id);
CREATE INDEX notifications_unsent ON notifications (id) WHERE sent_at IS NULL;
