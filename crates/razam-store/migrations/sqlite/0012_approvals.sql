-- The two-person rule: an export of the whole registry (and, later, an erasure) waits until a
-- second account approves it. A request names what it is for (`export:persons.csv`), never
-- content; it is used once, within a day of its approval.
CREATE TABLE approvals (
    id INTEGER PRIMARY KEY,
    subject TEXT NOT NULL,
    requested_by INTEGER NOT NULL REFERENCES accounts(id),
    requested_at_ms INTEGER NOT NULL,
    decided_by INTEGER REFERENCES accounts(id),
    decided_at_ms INTEGER,
    approved INTEGER,
    used_at_ms INTEGER,
    CHECK (decided_by IS NULL OR decided_by <> requested_by)
) STRICT;
CREATE INDEX approvals_by_requester ON approvals(requested_by, id);
