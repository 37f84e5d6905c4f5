-- The registry generation (0018) of the transaction that last wrote each record: created,
-- edited, merged or unmerged, redacted by an erasure. A search index that shows every record
-- as of generation G reads only the records changed in a later one to be current again,
-- whichever process changed them (a command-line edit, a server killed before it sealed its
-- index). Rows from before this migration keep 0: no index of theirs is older.
ALTER TABLE persons ADD COLUMN changed_in BIGINT NOT NULL DEFAULT 0;
ALTER TABLE events ADD COLUMN changed_in BIGINT NOT NULL DEFAULT 0;
ALTER TABLE sources ADD COLUMN changed_in BIGINT NOT NULL DEFAULT 0;
CREATE INDEX persons_by_change ON persons (changed_in, id);
CREATE INDEX events_by_change ON events (changed_in, id);
CREATE INDEX sources_by_change ON sources (changed_in, id);
