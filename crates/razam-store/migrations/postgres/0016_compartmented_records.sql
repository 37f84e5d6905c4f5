-- The persons and events in a compartment, found without reading every row: a search leaves
-- those out of a reader's sight out of its counts as well as its hits, and reads them on
-- every search. Few records are in a compartment, so the indexes stay small.
CREATE INDEX persons_in_compartments ON persons (compartment_id) WHERE compartment_id IS NOT NULL;
CREATE INDEX events_in_compartments ON events (compartment_id) WHERE compartment_id IS NOT NULL;
