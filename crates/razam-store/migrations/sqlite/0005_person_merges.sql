-- Duplicates: merging two records of one person, undoing a merge, and pairs a documenter
-- said are two different people.
--
-- A merge deletes and rewrites nothing of either person: the merged person's row, events,
-- versions, sources, recognition and statuses stay as they were. It only points the merged
-- person at the survivor (`merged_into`) and records who merged when; an undo clears the
-- pointer and stamps the merge row. Lists leave out persons with a `merged_into`; pages and
-- figures take a person together with the persons merged into them (the group, whose id is
-- `COALESCE(merged_into, id)`).

ALTER TABLE persons ADD COLUMN merged_into INTEGER REFERENCES persons(id);
-- The members of a group: the figures find them once per recognised person.
CREATE INDEX persons_by_group ON persons(COALESCE(merged_into, id));

-- Every merge, undone or not; the one not undone is the one `merged_into` reflects.
CREATE TABLE person_merges (
    id INTEGER PRIMARY KEY,
    survivor_id INTEGER NOT NULL REFERENCES persons(id),
    merged_id INTEGER NOT NULL REFERENCES persons(id),
    merged_by TEXT NOT NULL,
    merged_at_ms INTEGER NOT NULL,
    undone_by TEXT,
    undone_at_ms INTEGER
);
CREATE INDEX person_merges_by_survivor ON person_merges(survivor_id, id);
CREATE INDEX person_merges_by_merged ON person_merges(merged_id, id);

-- "Not the same person": a pair of persons (lower id first) never proposed as duplicates again.
CREATE TABLE distinct_persons (
    low_id INTEGER NOT NULL REFERENCES persons(id),
    high_id INTEGER NOT NULL REFERENCES persons(id),
    decided_by TEXT NOT NULL,
    decided_at_ms INTEGER NOT NULL,
    PRIMARY KEY (low_id, high_id)
);
