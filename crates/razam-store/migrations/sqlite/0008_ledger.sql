-- The ledger (issue 6): double-entry bookkeeping in integer minor units.
--
-- An account has a kind (asset, liability, equity, income, expense), one currency or none
-- (NULL: any currency, for the exchange, opening-balance and suspense accounts) and rules
-- (`no_negative`: its balance on its normal side never goes below zero). Its name and, for
-- one of our bank accounts, its IBAN are sealed; the bank account is found by a keyed hash
-- of its IBAN. Amounts, currencies, dates and account ids are in the clear, so that every
-- invariant can be checked in SQL.
--
-- A transfer is immutable (triggers refuse UPDATE and DELETE of transfers and postings); it
-- is corrected only by a reversing transfer that names it (`reverses`, unique: a transfer is
-- reversed at most once). Its postings sum to zero in each currency (positive = debit). A
-- retried request finds its transfer by the keyed hash of its idempotency key. Its audit
-- entry's number is kept on it (`audit_seq`), so the check finds each entry by its key.
-- Counterparty, IBAN, remittance text and memo are sealed in `ledger_transfer_details`, a
-- row of its own, so that erasing them never touches the books.
--
-- `ledger_balances` holds each account's balance per currency, updated in the transaction
-- that books; the check compares it with the sum of postings.
CREATE TABLE ledger_accounts (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL CHECK (kind IN ('asset', 'liability', 'equity', 'income', 'expense')),
    currency TEXT,
    no_negative INTEGER NOT NULL CHECK (no_negative IN (0, 1)),
    iban_lookup BLOB UNIQUE,
    sealed BLOB NOT NULL,
    created_by TEXT NOT NULL,
    created_at_ms INTEGER NOT NULL
) STRICT;

CREATE TABLE ledger_balances (
    account_id INTEGER NOT NULL REFERENCES ledger_accounts(id),
    currency TEXT NOT NULL,
    balance INTEGER NOT NULL,
    PRIMARY KEY (account_id, currency)
) STRICT;

-- A bank statement once imported: found again by a keyed digest of its account, identity
-- and period, so that the same statement books nothing the second time.
CREATE TABLE ledger_statements (
    id INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES ledger_accounts(id),
    digest BLOB NOT NULL UNIQUE,
    format TEXT NOT NULL,
    entries INTEGER NOT NULL,
    closing_balance INTEGER,
    created_by TEXT NOT NULL,
    created_at_ms INTEGER NOT NULL
) STRICT;

CREATE TABLE ledger_transfers (
    id INTEGER PRIMARY KEY,
    idempotency BLOB NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    reverses INTEGER UNIQUE REFERENCES ledger_transfers(id),
    booked_on TEXT NOT NULL,
    value_on TEXT,
    rate TEXT,
    statement_id INTEGER REFERENCES ledger_statements(id),
    audit_seq INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    created_at_ms INTEGER NOT NULL
) STRICT;
CREATE INDEX ledger_transfers_by_statement ON ledger_transfers(statement_id) WHERE statement_id IS NOT NULL;

CREATE TABLE ledger_postings (
    transfer_id INTEGER NOT NULL REFERENCES ledger_transfers(id),
    seq INTEGER NOT NULL,
    account_id INTEGER NOT NULL REFERENCES ledger_accounts(id),
    currency TEXT NOT NULL,
    amount INTEGER NOT NULL CHECK (amount <> 0),
    PRIMARY KEY (transfer_id, seq)
) STRICT;
CREATE INDEX ledger_postings_by_account ON ledger_postings(account_id, transfer_id);

CREATE TABLE ledger_transfer_details (
    transfer_id INTEGER PRIMARY KEY REFERENCES ledger_transfers(id),
    sealed BLOB NOT NULL
) STRICT;

CREATE TRIGGER ledger_transfers_immutable BEFORE UPDATE ON ledger_transfers
BEGIN SELECT RAISE(ABORT, 'ledger transfers are immutable: book a reversal'); END;
CREATE TRIGGER ledger_transfers_kept BEFORE DELETE ON ledger_transfers
BEGIN SELECT RAISE(ABORT, 'ledger transfers are immutable: book a reversal'); END;
CREATE TRIGGER ledger_postings_immutable BEFORE UPDATE ON ledger_postings
BEGIN SELECT RAISE(ABORT, 'ledger postings are immutable: book a reversal'); END;
CREATE TRIGGER ledger_postings_kept BEFORE DELETE ON ledger_postings
BEGIN SELECT RAISE(ABORT, 'ledger postings are immutable: book a reversal'); END;

-- Incoming payments no reference matched: booked to a suspense account and waiting here
-- until someone books them on (`resolved_by`, the transfer from suspense to the account).
CREATE TABLE ledger_reconciliation (
    transfer_id INTEGER PRIMARY KEY REFERENCES ledger_transfers(id),
    account_id INTEGER NOT NULL REFERENCES ledger_accounts(id),
    resolved_by INTEGER UNIQUE REFERENCES ledger_transfers(id)
) STRICT;
CREATE INDEX ledger_reconciliation_open ON ledger_reconciliation(transfer_id) WHERE resolved_by IS NULL;

-- Reference codes (e.g. a campaign's) that, found in a payment's remittance text, book it
-- to their account directly. Codes are public (printed on campaign pages).
CREATE TABLE ledger_references (
    code TEXT PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES ledger_accounts(id),
    created_by TEXT NOT NULL,
    created_at_ms INTEGER NOT NULL
) STRICT;

-- A bank account's CSV statement layout: which column holds what (JSON; column names only).
CREATE TABLE ledger_csv_mappings (
    account_id INTEGER PRIMARY KEY REFERENCES ledger_accounts(id),
    mapping TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at_ms INTEGER NOT NULL
) STRICT;
