-- Erasure of a person (a data-protection request): the person's row stays with its id, so
-- events, figures, merges, assistance cases and the audit chain keep every reference; what
-- could identify them is overwritten. `erased_on` (YYYY-MM-DD) marks the row as erased; it
-- names nobody.
ALTER TABLE persons ADD COLUMN erased_on TEXT;
