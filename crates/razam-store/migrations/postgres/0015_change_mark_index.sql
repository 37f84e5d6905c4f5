-- The change mark (the newest audit entry that is not a read; the public figures are counted
-- again when it moves) read through an index of the entries that are changes, instead of
-- walking back past every read since the last change: after many page views with no write
-- that walk was the cost of each /figures request. The WHERE clause must stay the query's
-- own (`CHANGE_ENTRIES` in src/registry.rs; a test checks that they are the same text).
CREATE INDEX audit_log_changes ON audit_log (seq)
    WHERE action NOT IN ('person.read', 'registry.search', 'intake.read', 'restricted.read');
