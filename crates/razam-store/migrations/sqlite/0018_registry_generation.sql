-- One number raised by every transaction that writes the registry (`apply`, `apply_batches`,
-- an erasure), whichever process makes it. A server whose own writes account for every step
-- since its search index was read knows that no other process changed a record under it,
-- and may seal the index at shutdown.
CREATE TABLE registry_generation (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    n BIGINT NOT NULL
);
INSERT INTO registry_generation (id, n) VALUES (1, 0);
