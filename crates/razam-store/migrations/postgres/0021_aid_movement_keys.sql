-- A movement sent twice (a form posted again after a lost answer, a client's retry) is
-- recorded once: each carries the keyed hash of its idempotency key, and a second one with
-- the same key finds the first. Movements recorded before this migration have none.
ALTER TABLE aid_movements ADD COLUMN idempotency BYTEA;
CREATE UNIQUE INDEX aid_movements_by_idempotency ON aid_movements (idempotency);
