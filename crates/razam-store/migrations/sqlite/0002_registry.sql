-- The registry: persons, events, sources, political-prisoner recognition, anonymous intake,
-- and every record's version history.
--
-- What is in the clear is what lists, filters and public figures need and what names nobody:
-- kinds, dates, regions, articles, terms, confidentiality. Everything that can identify a
-- person (names, birth dates, contacts, places below the region, descriptions, testimony,
-- every version snapshot) is sealed by razam-app before it arrives here.

-- A person's public label (P-000123) is derived from the id, never a name, never stored.
CREATE TABLE persons (
    id INTEGER PRIMARY KEY,
    -- JSON of names (any script, with variants), patronymic, birth date, contacts, notes.
    identity_sealed BLOB NOT NULL,
    -- Keyed hash of an external list's reference (prisoner-list imports), for idempotency.
    ref_lookup BLOB UNIQUE,
    -- Keyed hash of the imported row the person was last written from: a re-import of an
    -- unchanged row is recognised without unsealing anything.
    import_digest BLOB,
    region TEXT,
    confidentiality TEXT NOT NULL,
    consent_to_publish INTEGER NOT NULL DEFAULT 0,
    version INTEGER NOT NULL,
    created_at_ms INTEGER NOT NULL,
    updated_at_ms INTEGER NOT NULL
);
CREATE INDEX persons_by_region ON persons(region, id);

CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    -- An imprecise date as its first and last possible day (ISO 8601) and its precision.
    date_first TEXT,
    date_last TEXT,
    date_precision TEXT,
    region TEXT,
    -- Administrative arrest in days; sentence term in months.
    arrest_days INTEGER,
    term_months INTEGER,
    -- JSON of district, settlement, facility, description.
    details_sealed BLOB NOT NULL,
    confidentiality TEXT NOT NULL,
    version INTEGER NOT NULL,
    created_at_ms INTEGER NOT NULL,
    updated_at_ms INTEGER NOT NULL
);
CREATE INDEX events_by_kind_date ON events(kind, date_first);
CREATE INDEX events_by_date ON events(date_first, id);

CREATE TABLE event_articles (
    event_id INTEGER NOT NULL REFERENCES events(id) ON DELETE CASCADE,
    article TEXT NOT NULL,
    base TEXT NOT NULL,
    PRIMARY KEY (event_id, article)
);
CREATE INDEX event_articles_by_base ON event_articles(base);

CREATE TABLE event_persons (
    event_id INTEGER NOT NULL REFERENCES events(id) ON DELETE CASCADE,
    person_id INTEGER NOT NULL REFERENCES persons(id),
    role TEXT NOT NULL,
    PRIMARY KEY (event_id, person_id, role)
);
CREATE INDEX event_persons_by_person ON event_persons(person_id);

CREATE TABLE sources (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    -- JSON of title, URL or reference, notes.
    sealed BLOB NOT NULL,
    confidentiality TEXT NOT NULL,
    created_at_ms INTEGER NOT NULL
);

CREATE TABLE event_sources (
    event_id INTEGER NOT NULL REFERENCES events(id) ON DELETE CASCADE,
    source_id INTEGER NOT NULL REFERENCES sources(id),
    PRIMARY KEY (event_id, source_id)
);

-- A person is recognised as a political prisoner once; the decision's criteria and
-- reasoning are sealed.
CREATE TABLE recognitions (
    person_id INTEGER PRIMARY KEY REFERENCES persons(id),
    recognized_on TEXT NOT NULL,
    decision_sealed BLOB NOT NULL,
    reviewer TEXT NOT NULL,
    decided_at_ms INTEGER NOT NULL
);
CREATE INDEX recognitions_by_date ON recognitions(recognized_on);

-- Held, released, pardoned, died: each from a day on. The latest entry on or before a day
-- is the status on that day; on the same day an ending status wins.
CREATE TABLE prisoner_status (
    id INTEGER PRIMARY KEY,
    person_id INTEGER NOT NULL REFERENCES persons(id),
    status TEXT NOT NULL,
    on_date TEXT NOT NULL,
    recorded_at_ms INTEGER NOT NULL
);
CREATE INDEX prisoner_status_by_person ON prisoner_status(person_id, on_date);

-- Reports from the public intake form: no account, no address, sealed whole.
CREATE TABLE intake_reports (
    id INTEGER PRIMARY KEY,
    received_at_ms INTEGER NOT NULL,
    report_sealed BLOB NOT NULL,
    state TEXT NOT NULL,
    decided_by TEXT,
    decided_at_ms INTEGER,
    person_id INTEGER REFERENCES persons(id)
);
CREATE INDEX intake_reports_by_state ON intake_reports(state, id);

-- Every version of every registry record, sealed: who changed it, when, and what it was.
CREATE TABLE record_versions (
    kind TEXT NOT NULL,
    record_id INTEGER NOT NULL,
    version INTEGER NOT NULL,
    at_ms INTEGER NOT NULL,
    actor TEXT NOT NULL,
    snapshot_sealed BLOB NOT NULL,
    PRIMARY KEY (kind, record_id, version)
);
