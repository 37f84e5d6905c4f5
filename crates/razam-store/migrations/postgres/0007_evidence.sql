-- Evidence and chain of custody (issue 5).
--
-- A case is a reference that groups evidence items (e.g. the file of one person or one
-- trial); it is found by a keyed hash of its reference, and the reference itself is sealed.
-- An item is one original file, sealed in the data folder's `evidence/` under an opaque
-- random name (`blob`); its original name, size, SHA-256, BLAKE3 and capture metadata are
-- sealed here. An item may be attached to a person, an event or a source.
--
-- The custody log of each item is a hash chain of its own (plain BLAKE3, so that anyone
-- holding an exported manifest can recheck it); each entry is also in the keyed audit chain.
-- `custody_len` and `custody_head` on the item are the chain's length and last hash: the
-- UPDATE that advances them locks the item, so two entries never take the same place.
CREATE TABLE evidence_cases (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    ref_lookup BYTEA NOT NULL UNIQUE,
    sealed BYTEA NOT NULL,
    created_by TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL
);

CREATE TABLE evidence_items (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    case_id BIGINT NOT NULL REFERENCES evidence_cases(id),
    blob TEXT NOT NULL UNIQUE,
    sealed BYTEA NOT NULL,
    person_id BIGINT REFERENCES persons(id),
    event_id BIGINT REFERENCES events(id),
    source_id BIGINT REFERENCES sources(id),
    confidentiality TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL,
    custody_len BIGINT NOT NULL,
    custody_head BYTEA NOT NULL
);
CREATE INDEX evidence_items_by_case ON evidence_items(case_id, id);
CREATE INDEX evidence_items_by_person ON evidence_items(person_id) WHERE person_id IS NOT NULL;
CREATE INDEX evidence_items_by_event ON evidence_items(event_id) WHERE event_id IS NOT NULL;
CREATE INDEX evidence_items_by_source ON evidence_items(source_id) WHERE source_id IS NOT NULL;

CREATE TABLE evidence_custody (
    item_id BIGINT NOT NULL REFERENCES evidence_items(id),
    seq BIGINT NOT NULL,
    at_ms BIGINT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    detail TEXT NOT NULL,
    prev_hash BYTEA NOT NULL,
    hash BYTEA NOT NULL,
    PRIMARY KEY (item_id, seq)
);

-- A package handed to someone outside Razam: whom to and any notes are sealed; the items'
-- custody entries name the transfer by its random reference.
CREATE TABLE evidence_transfers (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    ref TEXT NOT NULL UNIQUE,
    package TEXT NOT NULL,
    sealed BYTEA NOT NULL,
    created_by TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL
);
