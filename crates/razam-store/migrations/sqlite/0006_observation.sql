-- Election observation (issue 7): elections with their voting days, polling stations,
-- observers assigned to stations, the observers' counts, the resolution of disagreeing
-- counts, and the official protocols imported per election.
--
-- Stations, protocols and counts are public facts about polling stations and hold no personal
-- data. Observers are accounts (pseudonymous user names); an observer's free-text note and a
-- reviewer's reason are sealed. Every change has its audit entry in the same transaction.

CREATE TABLE elections (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    round INTEGER NOT NULL,
    -- A station is flagged when its protocol and the observers' count differ by more than
    -- this many percent of the count.
    tolerance_pct INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    created_at_ms INTEGER NOT NULL
) STRICT;

-- The days of voting: early voting days (`early`) and election day (`election`).
CREATE TABLE election_days (
    election_id INTEGER NOT NULL REFERENCES elections(id),
    day TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('early', 'election')),
    PRIMARY KEY (election_id, day)
) STRICT;

CREATE TABLE polling_stations (
    id INTEGER PRIMARY KEY,
    election_id INTEGER NOT NULL REFERENCES elections(id),
    code TEXT NOT NULL,
    region TEXT NOT NULL,
    address TEXT,
    registered INTEGER,
    UNIQUE (election_id, code)
) STRICT;

CREATE TABLE observer_assignments (
    station_id INTEGER NOT NULL REFERENCES polling_stations(id),
    account_id INTEGER NOT NULL REFERENCES accounts(id),
    assigned_by TEXT NOT NULL,
    assigned_at_ms INTEGER NOT NULL,
    PRIMARY KEY (station_id, account_id)
) STRICT;
CREATE INDEX observer_assignments_by_account ON observer_assignments(account_id);

-- Every count as submitted; an observer's later count for the same station and day
-- supersedes the earlier one (which stays, for the record). `entered_by` is the actor who
-- typed it: the observer, or a coordinator entering the observer's paper form.
CREATE TABLE observer_counts (
    id INTEGER PRIMARY KEY,
    station_id INTEGER NOT NULL REFERENCES polling_stations(id),
    day TEXT NOT NULL,
    account_id INTEGER NOT NULL REFERENCES accounts(id),
    voters INTEGER NOT NULL,
    window_from TEXT NOT NULL,
    window_to TEXT NOT NULL,
    flags INTEGER NOT NULL,
    note_sealed BLOB,
    paper INTEGER NOT NULL,
    entered_by TEXT NOT NULL,
    submitted_at_ms INTEGER NOT NULL
) STRICT;
CREATE INDEX observer_counts_by_station ON observer_counts(station_id, day, id);

-- A reviewer's decision on disagreeing counts: the value kept (one of the counts, or one
-- entered) and the reason (sealed). It settles the counts up to `last_count_id`; a later
-- count opens the question again.
CREATE TABLE count_resolutions (
    id INTEGER PRIMARY KEY,
    station_id INTEGER NOT NULL REFERENCES polling_stations(id),
    day TEXT NOT NULL,
    voters INTEGER NOT NULL,
    kept_count_id INTEGER REFERENCES observer_counts(id),
    last_count_id INTEGER NOT NULL,
    reason_sealed BLOB NOT NULL,
    resolved_by TEXT NOT NULL,
    resolved_at_ms INTEGER NOT NULL
) STRICT;
CREATE INDEX count_resolutions_by_station ON count_resolutions(station_id, day, id);

-- The official protocols of an election, as last imported (an import replaces them all).
CREATE TABLE protocol_imports (
    election_id INTEGER PRIMARY KEY REFERENCES elections(id),
    id INTEGER NOT NULL,
    format TEXT NOT NULL,
    rows INTEGER NOT NULL,
    skipped INTEGER NOT NULL,
    -- Candidate names, one per line, in the order of `protocols.votes`.
    candidates TEXT NOT NULL,
    imported_by TEXT NOT NULL,
    imported_at_ms INTEGER NOT NULL
) STRICT;

CREATE TABLE protocols (
    election_id INTEGER NOT NULL REFERENCES elections(id),
    station_code TEXT NOT NULL,
    line INTEGER NOT NULL,
    region TEXT,
    registered INTEGER,
    issued INTEGER NOT NULL,
    cast_ballots INTEGER NOT NULL,
    valid INTEGER,
    invalid INTEGER,
    -- The Russian CEC lines (all or none): received, issued early / in the station / outside,
    -- cancelled, portable and stationary boxes, lost, not accounted for.
    received INTEGER,
    issued_early INTEGER,
    issued_station INTEGER,
    issued_outside INTEGER,
    cancelled INTEGER,
    portable INTEGER,
    stationary INTEGER,
    lost INTEGER,
    unaccounted INTEGER,
    -- Votes per candidate, comma-separated, an empty cell where the protocol gives none.
    votes TEXT NOT NULL,
    PRIMARY KEY (election_id, station_code)
) STRICT;
-- Read back in file order, a page at a time.
CREATE INDEX protocols_by_line ON protocols(election_id, line);
