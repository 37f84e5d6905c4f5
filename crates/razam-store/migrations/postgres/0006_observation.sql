-- Election observation (issue 7): elections with their voting days, polling stations,
-- observers assigned to stations, the observers' counts, the resolution of disagreeing
-- counts, and the official protocols imported per election.
--
-- Stations, protocols and counts are public facts about polling stations and hold no personal
-- data. Observers are accounts (pseudonymous user names); an observer's free-text note and a
-- reviewer's reason are sealed. Every change has its audit entry in the same transaction.

CREATE TABLE elections (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name TEXT NOT NULL,
    round BIGINT NOT NULL,
    -- A station is flagged when its protocol and the observers' count differ by more than
    -- this many percent of the count.
    tolerance_pct BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL
);

-- The days of voting: early voting days (`early`) and election day (`election`).
CREATE TABLE election_days (
    election_id BIGINT NOT NULL REFERENCES elections(id),
    day TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('early', 'election')),
    PRIMARY KEY (election_id, day)
);

CREATE TABLE polling_stations (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    election_id BIGINT NOT NULL REFERENCES elections(id),
    code TEXT NOT NULL,
    region TEXT NOT NULL,
    address TEXT,
    registered BIGINT,
    UNIQUE (election_id, code)
);

CREATE TABLE observer_assignments (
    station_id BIGINT NOT NULL REFERENCES polling_stations(id),
    account_id BIGINT NOT NULL REFERENCES accounts(id),
    assigned_by TEXT NOT NULL,
    assigned_at_ms BIGINT NOT NULL,
    PRIMARY KEY (station_id, account_id)
);
CREATE INDEX observer_assignments_by_account ON observer_assignments(account_id);

-- Every count as submitted; an observer's later count for the same station and day
-- supersedes the earlier one (which stays, for the record). `entered_by` is the actor who
-- typed it: the observer, or a coordinator entering the observer's paper form.
CREATE TABLE observer_counts (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    station_id BIGINT NOT NULL REFERENCES polling_stations(id),
    day TEXT NOT NULL,
    account_id BIGINT NOT NULL REFERENCES accounts(id),
    voters BIGINT NOT NULL,
    window_from TEXT NOT NULL,
    window_to TEXT NOT NULL,
    flags BIGINT NOT NULL,
    note_sealed BYTEA,
    paper BIGINT NOT NULL,
    entered_by TEXT NOT NULL,
    submitted_at_ms BIGINT NOT NULL
);
CREATE INDEX observer_counts_by_station ON observer_counts(station_id, day, id);

-- A reviewer's decision on disagreeing counts: the value kept (one of the counts, or one
-- entered) and the reason (sealed). It settles the counts up to `last_count_id`; a later
-- count opens the question again.
CREATE TABLE count_resolutions (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    station_id BIGINT NOT NULL REFERENCES polling_stations(id),
    day TEXT NOT NULL,
    voters BIGINT NOT NULL,
    kept_count_id BIGINT REFERENCES observer_counts(id),
    last_count_id BIGINT NOT NULL,
    reason_sealed BYTEA NOT NULL,
    resolved_by TEXT NOT NULL,
    resolved_at_ms BIGINT NOT NULL
);
CREATE INDEX count_resolutions_by_station ON count_resolutions(station_id, day, id);

-- The official protocols of an election, as last imported (an import replaces them all).
CREATE TABLE protocol_imports (
    election_id BIGINT PRIMARY KEY REFERENCES elections(id),
    id BIGINT NOT NULL,
    format TEXT NOT NULL,
    rows BIGINT NOT NULL,
    skipped BIGINT NOT NULL,
    -- Candidate names, one per line, in the order of `protocols.votes`.
    candidates TEXT NOT NULL,
    imported_by TEXT NOT NULL,
    imported_at_ms BIGINT NOT NULL
);

CREATE TABLE protocols (
    election_id BIGINT NOT NULL REFERENCES elections(id),
    station_code TEXT NOT NULL,
    line BIGINT NOT NULL,
    region TEXT,
    registered BIGINT,
    issued BIGINT NOT NULL,
    cast_ballots BIGINT NOT NULL,
    valid BIGINT,
    invalid BIGINT,
    -- The Russian CEC lines (all or none): received, issued early / in the station / outside,
    -- cancelled, portable and stationary boxes, lost, not accounted for.
    received BIGINT,
    issued_early BIGINT,
    issued_station BIGINT,
    issued_outside BIGINT,
    cancelled BIGINT,
    portable BIGINT,
    stationary BIGINT,
    lost BIGINT,
    unaccounted BIGINT,
    -- Votes per candidate, comma-separated, an empty cell where the protocol gives none.
    votes TEXT NOT NULL,
    PRIMARY KEY (election_id, station_code)
);
-- Read back in file order, a page at a time.
CREATE INDEX protocols_by_line ON protocols(election_id, line);
