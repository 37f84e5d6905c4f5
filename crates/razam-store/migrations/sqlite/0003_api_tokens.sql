-- Personal API tokens. A token is found by a keyed hash of its text, so a copy of the
-- database opens nothing; its name (free text) is sealed. The last use is kept to the day:
-- enough to spot a forgotten token, too coarse to trace someone's working hours.
CREATE TABLE api_tokens (
    id INTEGER PRIMARY KEY,
    token_hash BLOB NOT NULL UNIQUE,
    account_id INTEGER NOT NULL REFERENCES accounts(id),
    name_sealed BLOB NOT NULL,
    created_at_ms INTEGER NOT NULL,
    expires_at_ms INTEGER,
    last_used_on TEXT,
    revoked_at_ms INTEGER
) STRICT;
CREATE INDEX api_tokens_by_account ON api_tokens(account_id, id);
