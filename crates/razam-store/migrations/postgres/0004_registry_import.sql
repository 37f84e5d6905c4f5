-- Events imports, and indexes the figures need at a million events.

-- Keyed hash of the imported row an event was created from (`razam import events`): the
-- same row imported again is recognised without unsealing anything. NULL for events
-- recorded by hand; unique among the others.
ALTER TABLE events ADD COLUMN import_digest BYTEA;
CREATE UNIQUE INDEX events_by_import_digest ON events(import_digest);

-- Detentions per month reads kind and both date bounds: all three in the index, so the
-- figure never visits the events table.
DROP INDEX events_by_kind_date;
CREATE INDEX events_by_kind_date ON events(kind, date_first, date_last);
-- Persons held by article reaches the articles of each criminal case by its event.
CREATE INDEX event_articles_by_event ON event_articles(event_id, base);
