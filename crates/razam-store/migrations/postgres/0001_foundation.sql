-- Accounts, sessions and the audit log. Personal fields arrive sealed (ciphertext);
-- `username_lookup` is a keyed hash of the user name, so a login can find its row without
-- the name being stored in the clear.
CREATE TABLE accounts (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    username_lookup BYTEA NOT NULL UNIQUE,
    username_sealed BYTEA NOT NULL,
    display_name_sealed BYTEA NOT NULL,
    email_sealed BYTEA,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL,
    locale TEXT,
    disabled BOOLEAN NOT NULL DEFAULT FALSE,
    created_at_ms BIGINT NOT NULL
);

-- A session is found by the hash of its cookie, so a leaked database opens no session.
CREATE TABLE sessions (
    token_hash BYTEA PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts(id),
    created_at_ms BIGINT NOT NULL,
    expires_at_ms BIGINT NOT NULL
);
CREATE INDEX sessions_by_account ON sessions(account_id);

CREATE TABLE audit_log (
    seq BIGINT PRIMARY KEY,
    at_ms BIGINT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    object TEXT NOT NULL,
    prev_hash BYTEA NOT NULL,
    hash BYTEA NOT NULL
);

-- Append-only, as a second line of defence behind the keyed hash chain.
CREATE FUNCTION razam_audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END
$$;
CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION razam_audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION razam_audit_log_append_only();
