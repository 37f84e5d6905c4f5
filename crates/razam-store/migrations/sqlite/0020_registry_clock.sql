-- The registry generation moves to a table of another name: a razam from before 0019 (which
-- writes records without `changed_in`) still running beside a newer one then has every
-- registry write refused, its raise naming the old table, instead of writing records that a
-- search catch-up would never read (an erasure among them). Stop every razam process before
-- running a newer one; this makes a forgotten one fail safe.
CREATE TABLE registry_clock (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    n BIGINT NOT NULL
);
INSERT INTO registry_clock (id, n) SELECT id, n FROM registry_generation;
DROP TABLE registry_generation;
-- From a source to its events: the search index's scans of sources (a build's pages, a
-- catch-up's) start from the sources and join their links by source.
CREATE INDEX event_sources_by_source ON event_sources (source_id, event_id);
