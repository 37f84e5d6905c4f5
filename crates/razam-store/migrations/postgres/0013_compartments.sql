-- Compartments (need to know): a person or event in a compartment is seen only by the
-- compartment's members, admins included. Names are short labels an admin gives ("Legal
-- team"), never personal data. A record without a compartment is seen as before. Evidence
-- items take the compartment of the person or event they are attached to (no column of
-- their own, so the two can never disagree).
CREATE TABLE compartments (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    created_at_ms BIGINT NOT NULL
);
CREATE TABLE compartment_members (
    compartment_id BIGINT NOT NULL REFERENCES compartments(id),
    account_id BIGINT NOT NULL REFERENCES accounts(id),
    PRIMARY KEY (compartment_id, account_id)
);
CREATE INDEX compartment_members_by_account ON compartment_members(account_id);
ALTER TABLE persons ADD COLUMN compartment_id BIGINT REFERENCES compartments(id);
ALTER TABLE events ADD COLUMN compartment_id BIGINT REFERENCES compartments(id);
