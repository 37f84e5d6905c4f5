-- In-kind aid and volunteers (issue 6 items 5 and 6).
--
-- Catalogue items, warehouses and places are not personal and are kept in the clear. A
-- donor's name (only when they consented to be named), a recipient's link to a registry
-- person or an assistance case, free-text notes and a volunteer's name and contact are
-- sealed by the app. Volunteers' skills are kept in the clear (vocabulary codes such as
-- `lang:uk`): the coverage view counts them, and without the sealed name they name nobody.
--
-- Stock never goes negative: `aid_stock.quantity` has a CHECK, and every movement takes
-- stock out with a conditional UPDATE (`... WHERE quantity >= n`) in the transaction that
-- records the movement and its audit entry; an UPDATE that changes no row refuses the
-- whole movement. Sign-ups work the same way on `shifts.signed_up`.
CREATE TABLE aid_items (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    category TEXT NOT NULL,
    unit TEXT NOT NULL,
    -- An optional value of one unit, in minor units of `currency` (both or neither).
    unit_value_minor INTEGER,
    currency TEXT,
    created_at_ms INTEGER NOT NULL,
    CHECK ((unit_value_minor IS NULL) = (currency IS NULL))
) STRICT;

CREATE TABLE aid_warehouses (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    place TEXT NOT NULL,
    created_at_ms INTEGER NOT NULL
) STRICT;

CREATE TABLE aid_stock (
    warehouse_id INTEGER NOT NULL REFERENCES aid_warehouses(id),
    item_id INTEGER NOT NULL REFERENCES aid_items(id),
    quantity INTEGER NOT NULL CHECK (quantity >= 0),
    PRIMARY KEY (warehouse_id, item_id)
) STRICT;

-- A shipment to one recipient: an opaque reference; the link behind it, if any, is sealed.
-- `items` counts the units dispatched into it (the row is updated by each dispatch, which
-- also checks the shipment is still packed).
CREATE TABLE aid_shipments (
    id INTEGER PRIMARY KEY,
    recipient TEXT NOT NULL,
    recipient_sealed BLOB,
    status TEXT NOT NULL CHECK (status IN ('packed', 'sent', 'delivered')),
    items INTEGER NOT NULL DEFAULT 0,
    created_by TEXT NOT NULL,
    created_at_ms INTEGER NOT NULL,
    sent_at_ms INTEGER,
    delivered_at_ms INTEGER
) STRICT;

CREATE TABLE aid_movements (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('receipt', 'transfer', 'dispatch', 'write-off')),
    item_id INTEGER NOT NULL REFERENCES aid_items(id),
    quantity INTEGER NOT NULL CHECK (quantity > 0),
    from_warehouse INTEGER REFERENCES aid_warehouses(id),
    to_warehouse INTEGER REFERENCES aid_warehouses(id),
    shipment_id INTEGER REFERENCES aid_shipments(id),
    -- Receipts: the donor's name if they consented to be named, and notes; sealed.
    sealed BLOB,
    reason TEXT,
    -- The movement's value (quantity × the item's unit value when it was recorded), if any.
    value_minor INTEGER,
    currency TEXT,
    -- The ledger transfer this movement was posted as, once posted.
    ledger_transfer INTEGER,
    created_by TEXT NOT NULL,
    at_ms INTEGER NOT NULL
) STRICT;
CREATE INDEX aid_movements_by_item ON aid_movements(item_id, id);
CREATE INDEX aid_movements_by_shipment ON aid_movements(shipment_id) WHERE shipment_id IS NOT NULL;

CREATE TABLE volunteers (
    id INTEGER PRIMARY KEY,
    -- Name and contact, sealed.
    sealed BLOB NOT NULL,
    skills TEXT NOT NULL,
    account_id INTEGER UNIQUE REFERENCES accounts(id),
    created_by TEXT NOT NULL,
    created_at_ms INTEGER NOT NULL
) STRICT;

CREATE TABLE volunteer_places (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL,
    created_at_ms INTEGER NOT NULL
) STRICT;

CREATE TABLE shifts (
    id INTEGER PRIMARY KEY,
    place_id INTEGER NOT NULL REFERENCES volunteer_places(id),
    starts_at_ms INTEGER NOT NULL,
    ends_at_ms INTEGER NOT NULL,
    head_count INTEGER NOT NULL CHECK (head_count > 0),
    -- `lang:uk=2 first-aid`: the skills needed and how many people must have each.
    needs TEXT NOT NULL,
    signed_up INTEGER NOT NULL DEFAULT 0,
    created_by TEXT NOT NULL,
    created_at_ms INTEGER NOT NULL,
    CHECK (ends_at_ms > starts_at_ms),
    CHECK (signed_up >= 0 AND signed_up <= head_count)
) STRICT;
CREATE INDEX shifts_by_start ON shifts(starts_at_ms);

CREATE TABLE shift_signups (
    shift_id INTEGER NOT NULL REFERENCES shifts(id),
    volunteer_id INTEGER NOT NULL REFERENCES volunteers(id),
    signed_up_by TEXT NOT NULL,
    at_ms INTEGER NOT NULL,
    PRIMARY KEY (shift_id, volunteer_id)
) STRICT;
