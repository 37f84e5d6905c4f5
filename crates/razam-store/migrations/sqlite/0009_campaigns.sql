-- Campaigns, donations and assistance cases (issue 6, items 3 and 4).
--
-- One truth about money: the ledger. A campaign has its own income account there
-- (`account_id`), and what it has raised is that account's balance; a donation is a ledger
-- transfer (`transfer_id`) and its row here holds only what the ledger does not know: the
-- donor's name, sealed, and what the donor consented to show. A campaign's code is also a
-- ledger reference (`ledger_references`), so a bank payment that names it books to it.
-- Title and description are sealed: a campaign for one family can name it.
CREATE TABLE campaigns (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    sealed BLOB NOT NULL,
    currency TEXT NOT NULL,
    goal INTEGER NOT NULL CHECK (goal > 0),
    account_id INTEGER NOT NULL UNIQUE REFERENCES ledger_accounts(id),
    starts_on TEXT NOT NULL,
    ends_on TEXT,
    status TEXT NOT NULL CHECK (status IN ('active', 'closed')),
    public INTEGER NOT NULL CHECK (public IN (0, 1)),
    created_by TEXT NOT NULL,
    created_at_ms INTEGER NOT NULL
) STRICT;

-- `named`: the donor consented to be named on the public page; `amount_shown`: and to show
-- the amount beside the name. Without consent `donor_sealed` may still hold the name for
-- thanks and receipts, never shown publicly.
CREATE TABLE donations (
    transfer_id INTEGER PRIMARY KEY REFERENCES ledger_transfers(id),
    campaign_id INTEGER NOT NULL REFERENCES campaigns(id),
    donor_sealed BLOB,
    named INTEGER NOT NULL CHECK (named IN (0, 1)),
    amount_shown INTEGER NOT NULL CHECK (amount_shown IN (0, 1)),
    created_by TEXT NOT NULL,
    created_at_ms INTEGER NOT NULL
) STRICT;
CREATE INDEX donations_by_campaign ON donations(campaign_id, transfer_id);

-- An assistance case: an opaque random reference (`ref`, e.g. A-7K3QX9MZ); who it is for
-- (registry person ids, a family's several) and why are sealed together, so the link to the
-- registry exists only inside the vault. `required` is the number of approvals in force when
-- it was requested; `version` advances with every step, so two people acting at once cannot
-- both move it from the same state. The payment is a ledger transfer (`transfer_id`).
CREATE TABLE assistance_cases (
    id INTEGER PRIMARY KEY,
    ref TEXT NOT NULL UNIQUE,
    sealed BLOB NOT NULL,
    category TEXT NOT NULL,
    currency TEXT NOT NULL,
    amount INTEGER NOT NULL CHECK (amount > 0),
    state TEXT NOT NULL CHECK (state IN ('requested', 'in_review', 'approved', 'paid', 'refused', 'withdrawn')),
    required INTEGER NOT NULL CHECK (required >= 1),
    requested_by TEXT NOT NULL,
    requested_at_ms INTEGER NOT NULL,
    transfer_id INTEGER UNIQUE REFERENCES ledger_transfers(id),
    version INTEGER NOT NULL
) STRICT;
CREATE INDEX assistance_cases_by_state ON assistance_cases(state, id);

-- Every step of a case, in order: who did what when (ids and actions only). One approval per
-- person and case, enforced here as well as in the rules.
CREATE TABLE assistance_steps (
    case_id INTEGER NOT NULL REFERENCES assistance_cases(id),
    seq INTEGER NOT NULL,
    action TEXT NOT NULL,
    actor TEXT NOT NULL,
    at_ms INTEGER NOT NULL,
    PRIMARY KEY (case_id, seq)
) STRICT;
CREATE UNIQUE INDEX assistance_one_approval_each ON assistance_steps(case_id, actor) WHERE action = 'approve';
