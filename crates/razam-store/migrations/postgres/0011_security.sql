-- Security (issue 8): sessions a person can see and end, two-factor login, and the roles
-- that must use it.

-- When a session was last used (to the minute, no finer) and the browser family it was made
-- with ("Firefox", "Chrome", …): enough to recognise one's own devices. Never an address.
ALTER TABLE sessions ADD COLUMN last_seen_ms BIGINT NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN agent TEXT NOT NULL DEFAULT '';

-- An account's TOTP secret, sealed. Unconfirmed (confirmed_at_ms NULL) until the first code
-- proves the app holds it. `last_step` is the last time step a code was accepted for: a code
-- is taken only for a later step, so none is ever used twice.
CREATE TABLE account_totp (
    account_id BIGINT PRIMARY KEY REFERENCES accounts(id),
    secret_sealed BYTEA NOT NULL,
    created_at_ms BIGINT NOT NULL,
    confirmed_at_ms BIGINT,
    last_step BIGINT NOT NULL DEFAULT 0
);

-- One-time recovery codes, as keyed hashes only; a used code keeps its row, marked used.
CREATE TABLE recovery_codes (
    account_id BIGINT NOT NULL REFERENCES accounts(id),
    code_hash BYTEA NOT NULL,
    used_at_ms BIGINT,
    PRIMARY KEY (account_id, code_hash)
);

-- The roles whose accounts must log in with a second factor (set by an admin).
CREATE TABLE totp_required_roles (
    role TEXT PRIMARY KEY
);
