-- Accounts, sessions and the audit log. Personal fields arrive sealed (ciphertext);
-- `username_lookup` is a keyed hash of the user name, so a login can find its row without
-- the name being stored in the clear.
CREATE TABLE accounts (
    id INTEGER PRIMARY KEY,
    username_lookup BLOB NOT NULL UNIQUE,
    username_sealed BLOB NOT NULL,
    display_name_sealed BLOB NOT NULL,
    email_sealed BLOB,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL,
    locale TEXT,
    disabled INTEGER NOT NULL DEFAULT 0,
    created_at_ms INTEGER NOT NULL
) STRICT;

-- A session is found by the hash of its cookie, so a leaked database opens no session.
CREATE TABLE sessions (
    token_hash BLOB PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts(id),
    created_at_ms INTEGER NOT NULL,
    expires_at_ms INTEGER NOT NULL
) STRICT;
CREATE INDEX sessions_by_account ON sessions(account_id);

CREATE TABLE audit_log (
    seq INTEGER PRIMARY KEY,
    at_ms INTEGER NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    object TEXT NOT NULL,
    prev_hash BLOB NOT NULL,
    hash BLOB NOT NULL
) STRICT;

-- Append-only, as a second line of defence behind the keyed hash chain.
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
