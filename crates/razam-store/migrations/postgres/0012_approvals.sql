-- The two-person rule: an export of the whole registry (and, later, an erasure) waits until a
-- second account approves it. A request names what it is for (`export:persons.csv`), never
-- content; it is used once, within a day of its approval.
CREATE TABLE approvals (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    subject TEXT NOT NULL,
    requested_by BIGINT NOT NULL REFERENCES accounts(id),
    requested_at_ms BIGINT NOT NULL,
    decided_by BIGINT REFERENCES accounts(id),
    decided_at_ms BIGINT,
    approved BIGINT,
    used_at_ms BIGINT,
    CHECK (decided_by IS NULL OR decided_by <> requested_by)
);
CREATE INDEX approvals_by_requester ON approvals(requested_by, id);
