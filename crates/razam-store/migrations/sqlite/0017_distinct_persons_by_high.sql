-- A person page reads only the "not the same person" pairs that name its person
-- (`distinct_from`): low_id is the primary key's first column, high_id needs its own index,
-- so that neither half of the lookup walks the whole table.
CREATE INDEX distinct_persons_by_high ON distinct_persons (high_id, low_id);
