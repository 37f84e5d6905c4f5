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
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    category TEXT NOT NULL,
    unit TEXT NOT NULL,
    -- An optional value of one unit, in minor units of `currency` (both or neither).
    unit_value_minor BIGINT,
    currency TEXT,
    created_at_ms BIGINT NOT NULL,
    CHECK ((unit_value_minor IS NULL) = (currency IS NULL))
);

CREATE TABLE aid_warehouses (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    place TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL
);

CREATE TABLE aid_stock (
    warehouse_id BIGINT NOT NULL REFERENCES aid_warehouses(id),
    item_id BIGINT NOT NULL REFERENCES aid_items(id),
    quantity BIGINT NOT NULL CHECK (quantity >= 0),
    PRIMARY KEY (warehouse_id, item_id)
);

-- A shipment to one recipient: an opaque reference; the link behind it, if any, is sealed.
-- `items` counts the units dispatched into it (the row is updated by each dispatch, which
-- also checks the shipment is still packed).
CREATE TABLE aid_shipments (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    recipient TEXT NOT NULL,
    recipient_sealed BYTEA,
    status TEXT NOT NULL CHECK (status IN ('packed', 'sent', 'delivered')),
    items BIGINT NOT NULL DEFAULT 0,
    created_by TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL,
    sent_at_ms BIGINT,
    delivered_at_ms BIGINT
);

CREATE TABLE aid_movements (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('receipt', 'transfer', 'dispatch', 'write-off')),
    item_id BIGINT NOT NULL REFERENCES aid_items(id),
    quantity BIGINT NOT NULL CHECK (quantity > 0),
    from_warehouse BIGINT REFERENCES aid_warehouses(id),
    to_warehouse BIGINT REFERENCES aid_warehouses(id),
    shipment_id BIGINT REFERENCES aid_shipments(id),
    -- Receipts: the donor's name if they consented to be named, and notes; sealed.
    sealed BYTEA,
    reason TEXT,
    -- The movement's value (quantity × the item's unit value when it was recorded), if any.
    value_minor BIGINT,
    currency TEXT,
    -- The ledger transfer this movement was posted as, once posted.
    ledger_transfer BIGINT,
    created_by TEXT NOT NULL,
    at_ms BIGINT NOT NULL
);
CREATE INDEX aid_movements_by_item ON aid_movements(item_id, id);
CREATE INDEX aid_movements_by_shipment ON aid_movements(shipment_id) WHERE shipment_id IS NOT NULL;

CREATE TABLE volunteers (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- Name and contact, sealed.
    sealed BYTEA NOT NULL,
    skills TEXT NOT NULL,
    account_id BIGINT UNIQUE REFERENCES accounts(id),
    created_by TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL
);

CREATE TABLE volunteer_places (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL
);

CREATE TABLE shifts (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    place_id BIGINT NOT NULL REFERENCES volunteer_places(id),
    starts_at_ms BIGINT NOT NULL,
    ends_at_ms BIGINT NOT NULL,
    head_count BIGINT NOT NULL CHECK (head_count > 0),
    -- `lang:uk=2 first-aid`: the skills needed and how many people must have each.
    needs TEXT NOT NULL,
    signed_up BIGINT NOT NULL DEFAULT 0,
    created_by TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL,
    CHECK (ends_at_ms > starts_at_ms),
    CHECK (signed_up >= 0 AND signed_up <= head_count)
);
CREATE INDEX shifts_by_start ON shifts(starts_at_ms);

CREATE TABLE shift_signups (
    shift_id BIGINT NOT NULL REFERENCES shifts(id),
    volunteer_id BIGINT NOT NULL REFERENCES volunteers(id),
    signed_up_by TEXT NOT NULL,
    at_ms BIGINT NOT NULL,
    PRIMARY KEY (shift_id, volunteer_id)
);
