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
    id INTEGER PRIMARY KEY,
    ref_lookup BLOB NOT NULL UNIQUE,
    sealed BLOB NOT NULL,
    created_by TEXT NOT NULL,
    created_at_ms INTEGER NOT NULL
) STRICT;

CREATE TABLE evidence_items (
    id INTEGER PRIMARY KEY,
    case_id INTEGER NOT NULL REFERENCES evidence_cases(id),
    blob TEXT NOT NULL UNIQUE,
    sealed BLOB NOT NULL,
    person_id INTEGER REFERENCES persons(id),
    event_id INTEGER REFERENCES events(id),
    source_id INTEGER REFERENCES sources(id),
    confidentiality TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at_ms INTEGER NOT NULL,
    custody_len INTEGER NOT NULL,
    custody_head BLOB NOT NULL
) STRICT;
CREATE INDEX evidence_items_by_case ON evidence_items(case_id, id);
CREATE INDEX evidence_items_by_person ON evidence_items(person_id) WHERE person_id IS NOT NULL;
CREATE INDEX evidence_items_by_event ON evidence_items(event_id) WHERE event_id IS NOT NULL;
CREATE INDEX evidence_items_by_source ON evidence_items(source_id) WHERE source_id IS NOT NULL;

CREATE TABLE evidence_custody (
    item_id INTEGER NOT NULL REFERENCES evidence_items(id),
    seq INTEGER NOT NULL,
    at_ms INTEGER NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    detail TEXT NOT NULL,
    prev_hash BLOB NOT NULL,
    hash BLOB NOT NULL,
    PRIMARY KEY (item_id, seq)
) STRICT;

-- A package handed to someone outside Razam: whom to and any notes are sealed; the items'
-- custody entries name the transfer by its random reference.
CREATE TABLE evidence_transfers (
    id INTEGER PRIMARY KEY,
    ref TEXT NOT NULL UNIQUE,
    package TEXT NOT NULL,
    sealed BLOB NOT NULL,
    created_by TEXT NOT NULL,
    created_at_ms INTEGER NOT NULL
) STRICT;
