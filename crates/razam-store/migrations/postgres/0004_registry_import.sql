-- Events imports and the indexes that lists and figures need at a million events.

-- Keyed hash of the imported row an event was created from (`razam import events`): the
-- same row imported again is recognised without unsealing anything. NULL for events
-- recorded by hand; unique among the others.
ALTER TABLE events ADD COLUMN import_digest BYTEA;
CREATE UNIQUE INDEX events_by_import_digest ON events(import_digest);
