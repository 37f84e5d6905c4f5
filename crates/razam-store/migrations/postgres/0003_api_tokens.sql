-- Personal API tokens. A token is found by a keyed hash of its text, so a copy of the
-- database opens nothing; its name (free text) is sealed. The last use is kept to the day:
-- enough to spot a forgotten token, too coarse to trace someone's working hours.
CREATE TABLE api_tokens (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    token_hash BYTEA NOT NULL UNIQUE,
    account_id BIGINT NOT NULL REFERENCES accounts(id),
    name_sealed BYTEA NOT NULL,
    created_at_ms BIGINT NOT NULL,
    expires_at_ms BIGINT,
    last_used_on TEXT,
    revoked_at_ms BIGINT
);
CREATE INDEX api_tokens_by_account ON api_tokens(account_id, id);
