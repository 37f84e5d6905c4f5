//! Ledger storage (issue 6): accounts, balances, immutable transfers and their postings,
//! statements, the reconciliation queue, reference codes and CSV layouts. The SQL is written
//! once for both databases and compiled into each store by [`impl_ledger_store!`].
//!
//! Every booking is one transaction: the idempotency keys looked up, the accounts and the
//! balances of rule-bound accounts read (locked on PostgreSQL; SQLite has one writer, and on
//! PostgreSQL every writer first takes the audit table's lock, so bookings never interleave),
//! each transfer applied in order in memory and refused whole if any rule breaks, then
//! transfers, postings, details, queue entries, balances and audit entries written by
//! multi-row statements. Nothing here updates or deletes a transfer or a posting (and
//! triggers refuse it).

use razam_core::ledger::{AccountKind, AccountRules, Currency, Money, Posting, TransferKind};
use razam_core::registry::Day;

use crate::StoreError;

pub type LedgerAccountId = i64;
pub type TransferId = i64;

/// An account to open. Its name (and, for a bank account, its IBAN) are sealed by the
/// caller; a bank account is found by the keyed hash of its IBAN.
#[derive(Debug, Clone)]
pub struct NewLedgerAccount {
    /// A short unique code (`bank-eur`, `campaign-12`); not personal.
    pub code: String,
    pub kind: AccountKind,
    /// `None`: any currency (exchange, opening balances, suspense).
    pub currency: Option<Currency>,
    pub rules: AccountRules,
    pub iban_lookup: Option<[u8; 32]>,
    pub sealed: Vec<u8>,
    pub created_by: String,
    pub created_at_ms: i64,
}

#[derive(Debug, Clone)]
pub struct LedgerAccountRow {
    pub id: LedgerAccountId,
    pub code: String,
    pub kind: AccountKind,
    pub currency: Option<Currency>,
    pub rules: AccountRules,
    pub is_bank: bool,
    pub sealed: Vec<u8>,
    pub created_by: String,
    pub created_at_ms: i64,
}

/// An account's balance in one currency: the sum of its postings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BalanceRow {
    pub account_id: LedgerAccountId,
    pub balance: Money,
}

/// A transfer to book.
#[derive(Debug, Clone)]
pub struct NewLedgerTransfer {
    /// Keyed hash of the idempotency key: a second transfer with the same key is not booked;
    /// the first one's id is returned instead.
    pub idempotency: [u8; 32],
    pub kind: TransferKind,
    /// The transfer this one reverses (at most one reversal per transfer).
    pub reverses: Option<TransferId>,
    pub booked_on: Day,
    pub value_on: Option<Day>,
    /// An exchange's rate as decimal text.
    pub rate: Option<String>,
    /// Counterparty, IBAN, remittance text, memo: sealed by the caller.
    pub details: Option<Vec<u8>>,
    pub postings: Vec<Posting>,
    /// Put into the reconciliation queue, waiting in this (suspense) account.
    pub queue: Option<LedgerAccountId>,
    /// The queued transfer this one books on to its account.
    pub resolves: Option<TransferId>,
    /// The audit action (`ledger.book`, `ledger.reverse`, …); the entry names
    /// `ledger_transfer:<id>`.
    pub audit_action: &'static str,
    pub created_by: String,
    pub created_at_ms: i64,
}

/// What booking a transfer gave: its id, and whether it was booked now (`false`: a transfer
/// with the same idempotency key was already there, and nothing was booked).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Booked {
    pub id: TransferId,
    pub new: bool,
}

/// A bank statement booked with its entries.
#[derive(Debug, Clone)]
pub struct NewStatement {
    pub account_id: LedgerAccountId,
    /// Keyed digest of the account and the statement's identity: the same statement twice is
    /// a conflict.
    pub digest: [u8; 32],
    pub format: &'static str,
    pub entries: i64,
    pub closing_balance: Option<i64>,
    pub created_by: String,
    pub created_at_ms: i64,
}

#[derive(Debug, Clone)]
pub struct TransferRow {
    pub id: TransferId,
    pub kind: TransferKind,
    pub reverses: Option<TransferId>,
    pub reversed_by: Option<TransferId>,
    pub booked_on: Day,
    pub value_on: Option<Day>,
    pub rate: Option<String>,
    pub statement_id: Option<i64>,
    pub details: Option<Vec<u8>>,
    pub created_by: String,
    pub created_at_ms: i64,
    pub postings: Vec<Posting>,
}

/// One posting of an account, with its transfer's date and kind.
#[derive(Debug, Clone)]
pub struct AccountPostingRow {
    pub transfer_id: TransferId,
    pub kind: TransferKind,
    pub booked_on: Day,
    pub amount: Money,
}

/// A payment in the reconciliation queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueRow {
    pub transfer_id: TransferId,
    /// The suspense account it waits in.
    pub account_id: LedgerAccountId,
    pub resolved_by: Option<TransferId>,
}

/// What the whole-ledger check found.
#[derive(Debug, Clone, Default)]
pub struct LedgerCheckRow {
    pub accounts: i64,
    pub transfers: i64,
    pub postings: i64,
    /// Each broken invariant, one line each, naming the rows.
    pub problems: Vec<String>,
}

#[async_trait::async_trait]
pub trait LedgerStore: Send + Sync {
    /// Opens an account; its audit entry names `ledger_account:<id>`. A second account with
    /// the same code or IBAN is a conflict.
    async fn create_ledger_account(
        &self,
        account: &NewLedgerAccount,
        audit: &crate::AuditEvent,
    ) -> Result<LedgerAccountId, StoreError>;
    async fn ledger_account(&self, id: LedgerAccountId) -> Result<Option<LedgerAccountRow>, StoreError>;
    async fn ledger_account_by_code(&self, code: &str) -> Result<Option<LedgerAccountRow>, StoreError>;
    async fn ledger_account_by_iban(&self, lookup: &[u8; 32]) -> Result<Option<LedgerAccountRow>, StoreError>;
    /// Every account, by id.
    async fn ledger_accounts(&self) -> Result<Vec<LedgerAccountRow>, StoreError>;
    /// Balances of one account, or of every account, by account and currency.
    async fn ledger_balances(&self, account: Option<LedgerAccountId>) -> Result<Vec<BalanceRow>, StoreError>;
    /// Books transfers in order, all in one transaction, each with its audit entry; with a
    /// statement, records it too. All or nothing: an unknown account, a posting in another
    /// currency than its account's, an unbalanced transfer, a second reversal, a resolved
    /// queue entry or a broken account rule (after any transfer, in order) refuses the whole
    /// batch. Transfers whose idempotency key is known are not booked again. The statement
    /// has its own audit entry (`ledger_statement:<id>`), before its transfers'.
    async fn book_transfers(
        &self,
        transfers: &[NewLedgerTransfer],
        statement: Option<&NewStatement>,
    ) -> Result<Vec<Booked>, StoreError>;
    /// The statement with this digest: its id and number of entries.
    async fn statement_by_digest(&self, digest: &[u8; 32]) -> Result<Option<(i64, i64)>, StoreError>;
    /// Whether an account has a statement already.
    async fn account_has_statement(&self, account: LedgerAccountId) -> Result<bool, StoreError>;
    async fn ledger_transfer(&self, id: TransferId) -> Result<Option<TransferRow>, StoreError>;
    /// Up to `limit` transfers with ids below `before` (or the newest), newest first.
    async fn ledger_transfers(&self, before: Option<TransferId>, limit: i64) -> Result<Vec<TransferRow>, StoreError>;
    /// Up to `limit` postings of an account, newest first.
    async fn account_postings(
        &self,
        account: LedgerAccountId,
        limit: i64,
    ) -> Result<Vec<AccountPostingRow>, StoreError>;
    /// The reconciliation queue: open entries only, or all.
    async fn reconciliation_queue(&self, open_only: bool) -> Result<Vec<QueueRow>, StoreError>;
    /// Registers a reference code for an account (a code already registered for another
    /// account is a conflict; for the same account, nothing changes). Audited as
    /// `ledger_reference:<code>`.
    async fn register_reference(
        &self,
        code: &str,
        account: LedgerAccountId,
        audit: &crate::AuditEvent,
    ) -> Result<(), StoreError>;
    /// Every reference code and its account.
    async fn references(&self) -> Result<Vec<(String, LedgerAccountId)>, StoreError>;
    /// Saves (replaces) an account's CSV column mapping (JSON), audited.
    async fn set_csv_mapping(
        &self,
        account: LedgerAccountId,
        mapping: &str,
        audit: &crate::AuditEvent,
    ) -> Result<(), StoreError>;
    async fn csv_mapping(&self, account: LedgerAccountId) -> Result<Option<String>, StoreError>;
    /// Proves the ledger's invariants over every row (see `LedgerCheckRow`).
    async fn ledger_check(&self) -> Result<LedgerCheckRow, StoreError>;
}

pub(crate) const ACCOUNT_SELECT: &str = "SELECT id, code, kind, currency, no_negative, iban_lookup IS NOT NULL AS is_bank, \
     sealed, created_by, created_at_ms FROM ledger_accounts";

pub(crate) const TRANSFER_SELECT: &str = "SELECT t.id, t.kind, t.reverses, r.id AS reversed_by, t.booked_on, t.value_on, t.rate, \
     t.statement_id, d.sealed AS details, t.created_by, t.created_at_ms FROM ledger_transfers t \
     LEFT JOIN ledger_transfers r ON r.reverses = t.id \
     LEFT JOIN ledger_transfer_details d ON d.transfer_id = t.id";

pub(crate) fn currency_of(code: &str) -> Result<Currency, StoreError> {
    Currency::parse(code).map_err(|e| StoreError::Damaged(e.to_string()))
}

pub(crate) fn day_of(text: &str) -> Result<Day, StoreError> {
    Day::parse(text).map_err(|e| StoreError::Damaged(e.to_string()))
}

pub(crate) fn kind_of(text: &str) -> Result<TransferKind, StoreError> {
    TransferKind::parse(text).ok_or_else(|| StoreError::Damaged(format!("unknown transfer kind `{text}`")))
}

/// Each invariant of the check: what it proves, and a query that finds the rows breaking
/// it (each row one text column, `what`, naming them).
pub(crate) const CHECKS: &[(&str, &str)] = &[
    (
        "every transfer has at least two postings",
        "SELECT 'transfer ' || t.id AS what FROM ledger_transfers t \
         WHERE (SELECT COUNT(*) FROM ledger_postings p WHERE p.transfer_id = t.id) < 2",
    ),
    (
        "every transfer is balanced in each currency",
        "SELECT 'transfer ' || transfer_id || ' in ' || currency || ' is off by ' || SUM(amount) AS what \
         FROM ledger_postings GROUP BY transfer_id, currency HAVING SUM(amount) <> 0",
    ),
    (
        "every posting is in its account's currency",
        "SELECT 'transfer ' || p.transfer_id || ' posts ' || p.currency || ' to account ' || a.code AS what \
         FROM ledger_postings p JOIN ledger_accounts a ON a.id = p.account_id \
         WHERE a.currency IS NOT NULL AND a.currency <> p.currency",
    ),
    (
        "every stored balance is the sum of its postings",
        "SELECT 'account ' || b.account_id || ' holds ' || b.balance || ' ' || b.currency || ' but its postings sum to ' \
         || COALESCE(s.total, 0) AS what FROM ledger_balances b LEFT JOIN \
         (SELECT account_id, currency, SUM(amount) AS total FROM ledger_postings GROUP BY account_id, currency) s \
         ON s.account_id = b.account_id AND s.currency = b.currency WHERE b.balance <> COALESCE(s.total, 0) \
         UNION ALL \
         SELECT 'account ' || s.account_id || ' has postings in ' || s.currency || ' but no stored balance' AS what \
         FROM (SELECT DISTINCT account_id, currency FROM ledger_postings) s WHERE NOT EXISTS \
         (SELECT 1 FROM ledger_balances b WHERE b.account_id = s.account_id AND b.currency = s.currency)",
    ),
    (
        "no rule-bound account ever went below zero on its normal side",
        "SELECT 'account ' || code || ' went to ' || running || ' ' || currency || ' after transfer ' || transfer_id AS what \
         FROM (SELECT a.code, d.currency, d.transfer_id, \
         SUM(d.delta) OVER (PARTITION BY d.account_id, d.currency ORDER BY d.transfer_id) AS running, \
         CASE WHEN a.kind IN ('asset', 'expense') THEN 1 ELSE -1 END AS sign \
         FROM (SELECT account_id, currency, transfer_id, SUM(amount) AS delta FROM ledger_postings \
         GROUP BY account_id, currency, transfer_id) d \
         JOIN ledger_accounts a ON a.id = d.account_id WHERE a.no_negative) w \
         WHERE running * sign < 0",
    ),
    (
        "every reversal undoes exactly the transfer it names",
        "SELECT 'reversal ' || t.id || ' of transfer ' || t.reverses || ' leaves ' || SUM(p.amount) || ' ' \
         || p.currency || ' on account ' || p.account_id AS what \
         FROM ledger_transfers t JOIN ledger_postings p ON p.transfer_id = t.id OR p.transfer_id = t.reverses \
         WHERE t.reverses IS NOT NULL GROUP BY t.id, t.reverses, p.account_id, p.currency HAVING SUM(p.amount) <> 0",
    ),
    (
        "every transfer has its audit entry",
        "SELECT 'transfer ' || t.id || ' has no audit entry' AS what FROM ledger_transfers t \
         LEFT JOIN audit_log a ON a.seq = t.audit_seq \
         WHERE a.seq IS NULL OR a.object <> 'ledger_transfer:' || t.id",
    ),
    (
        "every exchange has its rate and two currencies",
        "SELECT 'exchange ' || t.id || ' lacks its rate or its two currencies' AS what FROM ledger_transfers t \
         WHERE t.kind = 'exchange' AND (t.rate IS NULL OR \
         (SELECT COUNT(DISTINCT p.currency) FROM ledger_postings p WHERE p.transfer_id = t.id) <> 2)",
    ),
    (
        "every resolved queue entry is resolved by a transfer from its suspense account",
        "SELECT 'queue entry ' || q.transfer_id || ' is resolved by transfer ' || q.resolved_by \
         || ', which does not take it out of suspense' AS what FROM ledger_reconciliation q \
         WHERE q.resolved_by IS NOT NULL AND NOT EXISTS (SELECT 1 FROM ledger_postings p \
         WHERE p.transfer_id = q.resolved_by AND p.account_id = q.account_id)",
    ),
];

/// Implements [`LedgerStore`] for a store type over one sqlx database. Besides what
/// `impl_registry_store!` needs, the store has `LOCK_ROWS` (what a SELECT says to lock the
/// rows it reads: nothing on SQLite, whose one writer holds the database) and
/// `READ_SNAPSHOT` (the statement that makes a read transaction see one snapshot: nothing on
/// SQLite, where a read transaction always does).
macro_rules! impl_ledger_store {
    ($store:ty, $db:ty) => {
        mod ledger_sql {
            use std::collections::{BTreeMap, HashMap, HashSet};

            use super::*;
            use crate::ledger::*;
            use razam_core::ledger::{AccountKind, AccountRules, Money, Posting, check_balanced};
            use sqlx::Row;

            type DbRow = <$db as sqlx::Database>::Row;
            pub(super) type Tx = sqlx::Transaction<'static, $db>;

            pub(super) fn account_from(row: &DbRow) -> Result<LedgerAccountRow, StoreError> {
                let currency: Option<String> = row.try_get("currency")?;
                let kind: String = row.try_get("kind")?;
                Ok(LedgerAccountRow {
                    id: row.try_get("id")?,
                    code: row.try_get("code")?,
                    kind: AccountKind::parse(&kind).map_err(|e| StoreError::Damaged(e.to_string()))?,
                    currency: currency.as_deref().map(currency_of).transpose()?,
                    rules: AccountRules {
                        no_negative: row.try_get("no_negative")?,
                    },
                    is_bank: row.try_get("is_bank")?,
                    sealed: row.try_get("sealed")?,
                    created_by: row.try_get("created_by")?,
                    created_at_ms: row.try_get("created_at_ms")?,
                })
            }

            pub(super) fn transfer_from(row: &DbRow) -> Result<TransferRow, StoreError> {
                let kind: String = row.try_get("kind")?;
                let booked_on: String = row.try_get("booked_on")?;
                let value_on: Option<String> = row.try_get("value_on")?;
                Ok(TransferRow {
                    id: row.try_get("id")?,
                    kind: kind_of(&kind)?,
                    reverses: row.try_get("reverses")?,
                    reversed_by: row.try_get("reversed_by")?,
                    booked_on: day_of(&booked_on)?,
                    value_on: value_on.as_deref().map(day_of).transpose()?,
                    rate: row.try_get("rate")?,
                    statement_id: row.try_get("statement_id")?,
                    details: row.try_get("details")?,
                    created_by: row.try_get("created_by")?,
                    created_at_ms: row.try_get("created_at_ms")?,
                    postings: Vec::new(),
                })
            }

            /// Fills in the postings of `transfers`, 500 transfers per query.
            pub(super) async fn with_postings(
                conn: &mut <$db as sqlx::Database>::Connection,
                mut transfers: Vec<TransferRow>,
            ) -> Result<Vec<TransferRow>, StoreError> {
                let mut postings: HashMap<i64, Vec<Posting>> = HashMap::new();
                let ids: Vec<i64> = transfers.iter().map(|t| t.id).collect();
                for chunk in ids.chunks(500) {
                    let mut q = sqlx::QueryBuilder::<$db>::new(
                        "SELECT transfer_id, account_id, currency, amount FROM ledger_postings WHERE transfer_id IN (",
                    );
                    let mut list = q.separated(", ");
                    for id in chunk {
                        list.push_bind(*id);
                    }
                    q.push(") ORDER BY transfer_id, seq");
                    for row in q.build().fetch_all(&mut *conn).await? {
                        let currency: String = row.try_get("currency")?;
                        postings.entry(row.try_get("transfer_id")?).or_default().push(Posting {
                            account: row.try_get("account_id")?,
                            amount: Money::from_minor(row.try_get("amount")?, currency_of(&currency)?),
                        });
                    }
                }
                for t in &mut transfers {
                    t.postings = postings.remove(&t.id).unwrap_or_default();
                }
                Ok(transfers)
            }

            /// The rows `select` (ending in `IN (`) gives for `ids`, then `tail`, 500 at a time.
            async fn rows_in(tx: &mut Tx, select: &str, ids: &[i64], tail: &str) -> Result<Vec<DbRow>, StoreError> {
                let mut rows = Vec::new();
                for chunk in ids.chunks(500) {
                    let mut q = sqlx::QueryBuilder::<$db>::new(select);
                    let mut list = q.separated(", ");
                    for id in chunk {
                        list.push_bind(*id);
                    }
                    q.push(")");
                    q.push(tail);
                    rows.extend(q.build().fetch_all(&mut **tx).await?);
                }
                Ok(rows)
            }

            fn refused(message: String) -> StoreError {
                StoreError::Refused(message)
            }

            /// Books `transfers` inside `tx` (see `LedgerStore::book_transfers`).
            pub(super) async fn book(
                store: &$store,
                tx: &mut Tx,
                transfers: &[NewLedgerTransfer],
                statement: Option<i64>,
            ) -> Result<Vec<Booked>, StoreError> {
                // 1. Idempotency: keys already booked, and repeats within the batch.
                let mut known: HashMap<[u8; 32], i64> = HashMap::new();
                for chunk in transfers.chunks(500) {
                    let mut q = sqlx::QueryBuilder::<$db>::new(
                        "SELECT idempotency, id FROM ledger_transfers WHERE idempotency IN (",
                    );
                    let mut list = q.separated(", ");
                    for t in chunk {
                        list.push_bind(t.idempotency.to_vec());
                    }
                    q.push(")");
                    for row in q.build().fetch_all(&mut **tx).await? {
                        let key = crate::hash32(row.try_get("idempotency")?, "an idempotency key")?;
                        known.insert(key, row.try_get("id")?);
                    }
                }
                let mut fresh: Vec<&NewLedgerTransfer> = Vec::new();
                // Per transfer: (already booked as, or the fresh one it is), and whether new.
                let mut slots: Vec<(Result<i64, usize>, bool)> = Vec::with_capacity(transfers.len());
                let mut in_batch: HashMap<[u8; 32], usize> = HashMap::new();
                for t in transfers {
                    if let Some(id) = known.get(&t.idempotency) {
                        slots.push((Ok(*id), false));
                    } else if let Some(i) = in_batch.get(&t.idempotency) {
                        slots.push((Err(*i), false));
                    } else {
                        in_batch.insert(t.idempotency, fresh.len());
                        slots.push((Err(fresh.len()), true));
                        fresh.push(t);
                    }
                }
                if fresh.is_empty() {
                    return Ok(slots
                        .into_iter()
                        .filter_map(|(s, _)| s.ok())
                        .map(|id| Booked { id, new: false })
                        .collect());
                }
                // 2. The accounts, and the balances of the rule-bound ones (locked).
                let account_ids: Vec<i64> = fresh
                    .iter()
                    .flat_map(|t| t.postings.iter().map(|p| p.account))
                    .collect::<HashSet<_>>()
                    .into_iter()
                    .collect();
                let mut accounts: HashMap<i64, LedgerAccountRow> = HashMap::new();
                for row in rows_in(tx, &format!("{ACCOUNT_SELECT} WHERE id IN ("), &account_ids, "").await? {
                    let account = account_from(&row)?;
                    accounts.insert(account.id, account);
                }
                let bound: Vec<i64> = accounts.values().filter(|a| a.rules.no_negative).map(|a| a.id).collect();
                let mut balances: HashMap<(i64, &'static str), i64> = HashMap::new();
                for row in rows_in(
                    tx,
                    "SELECT account_id, currency, balance FROM ledger_balances WHERE account_id IN (",
                    &bound,
                    <$store>::LOCK_ROWS,
                )
                .await?
                {
                    let currency: String = row.try_get("currency")?;
                    balances.insert(
                        (row.try_get("account_id")?, currency_of(&currency)?.code()),
                        row.try_get("balance")?,
                    );
                }
                // 3. Reversals and queue entries named.
                let reversed: Vec<i64> = fresh.iter().filter_map(|t| t.reverses).collect();
                let mut originals: HashMap<i64, (Option<i64>, Vec<Posting>)> = HashMap::new();
                if !reversed.is_empty() {
                    let rows = rows_in(tx, &format!("{TRANSFER_SELECT} WHERE t.id IN ("), &reversed, "").await?;
                    let rows = rows.iter().map(transfer_from).collect::<Result<Vec<_>, _>>()?;
                    for t in with_postings(&mut **tx, rows).await? {
                        originals.insert(t.id, (t.reversed_by, t.postings));
                    }
                }
                let resolved: Vec<i64> = fresh.iter().filter_map(|t| t.resolves).collect();
                let mut queue: HashMap<i64, (i64, Option<i64>)> = HashMap::new();
                for row in rows_in(
                    tx,
                    "SELECT transfer_id, account_id, resolved_by FROM ledger_reconciliation WHERE transfer_id IN (",
                    &resolved,
                    "",
                )
                .await?
                {
                    queue.insert(
                        row.try_get("transfer_id")?,
                        (row.try_get("account_id")?, row.try_get("resolved_by")?),
                    );
                }
                // 4. Each transfer checked and applied in order.
                let mut deltas: BTreeMap<(i64, &'static str), i64> = BTreeMap::new();
                let mut reversed_now: HashSet<i64> = HashSet::new();
                let mut resolved_now: HashSet<i64> = HashSet::new();
                for (n, t) in fresh.iter().enumerate() {
                    let which = || {
                        if transfers.len() == 1 {
                            "the transfer".to_owned()
                        } else {
                            format!("transfer {} of the batch", n + 1)
                        }
                    };
                    check_balanced(&t.postings).map_err(|e| refused(format!("{}: {e}", which())))?;
                    for p in &t.postings {
                        let account = accounts.get(&p.account).ok_or(StoreError::NotFound("a ledger account"))?;
                        if let Some(c) = account.currency
                            && c != p.amount.currency()
                        {
                            return Err(refused(format!(
                                "{}: account {} keeps {c}, not {}",
                                which(),
                                account.code,
                                p.amount.currency()
                            )));
                        }
                    }
                    if let Some(original) = t.reverses {
                        let (reversed_by, postings) = originals
                            .get(&original)
                            .ok_or(StoreError::NotFound("the transfer to reverse"))?;
                        if reversed_by.is_some() || !reversed_now.insert(original) {
                            return Err(StoreError::Conflict("a reversal of this transfer"));
                        }
                        let undone = razam_core::ledger::reversal_of(postings)
                            .map_err(|e| refused(format!("{}: {e}", which())))?;
                        if undone != t.postings {
                            return Err(refused(format!(
                                "{}: a reversal must undo exactly the postings of transfer {original}",
                                which()
                            )));
                        }
                    }
                    if let Some(entry) = t.resolves {
                        let (suspense, resolved_by) =
                            queue.get(&entry).ok_or(StoreError::NotFound("the reconciliation entry"))?;
                        if resolved_by.is_some() || !resolved_now.insert(entry) {
                            return Err(StoreError::Conflict("a resolution of this payment"));
                        }
                        if !t.postings.iter().any(|p| p.account == *suspense) {
                            return Err(refused(format!(
                                "{}: a resolution takes the payment out of its suspense account",
                                which()
                            )));
                        }
                    }
                    for p in &t.postings {
                        let key = (p.account, p.amount.currency().code());
                        let delta = deltas.entry(key).or_default();
                        *delta = delta
                            .checked_add(p.amount.minor())
                            .ok_or_else(|| refused(format!("{}: the amounts are too large", which())))?;
                        let account = &accounts[&p.account];
                        if account.rules.no_negative {
                            let balance = balances.entry(key).or_default();
                            *balance = balance
                                .checked_add(p.amount.minor())
                                .ok_or_else(|| refused(format!("{}: the amounts are too large", which())))?;
                        }
                    }
                    for p in &t.postings {
                        let key = (p.account, p.amount.currency().code());
                        let account = &accounts[&p.account];
                        if let Some(balance) = balances.get(&key)
                            && !account.rules.allows(account.kind, *balance)
                        {
                            return Err(refused(format!(
                                "{}: account {} would go to {} {} (it may not go below zero)",
                                which(),
                                account.code,
                                Money::from_minor(*balance, p.amount.currency()).format(),
                                p.amount.currency()
                            )));
                        }
                    }
                }
                // 5. Written: transfers, postings, details, queue, balances, audit.
                let ids = store.reserve_ids(tx, "ledger_transfers", fresh.len()).await?;
                let head = super::registry_sql::chain_head(tx).await?;
                let audit = super::registry_sql::link_entries(
                    store,
                    head,
                    fresh.iter().zip(&ids).map(|(t, id)| {
                        (
                            t.created_at_ms,
                            t.created_by.clone(),
                            t.audit_action.to_owned(),
                            format!("ledger_transfer:{id}"),
                        )
                    }),
                );
                let rows: Vec<(i64, &NewLedgerTransfer, i64)> = fresh
                    .iter()
                    .zip(&ids)
                    .zip(&audit)
                    .map(|((t, id), (record, _, _))| (*id, *t, record.seq))
                    .collect();
                let head = format!(
                    "INSERT INTO ledger_transfers (id, idempotency, kind, reverses, booked_on, value_on, rate, \
                     statement_id, audit_seq, created_by, created_at_ms){} ",
                    <$store>::EXPLICIT_ID
                );
                super::registry_sql::insert_rows(tx, &head, &rows, "", |mut b, (id, t, seq)| {
                    b.push_bind(*id)
                        .push_bind(t.idempotency.to_vec())
                        .push_bind(t.kind.as_str())
                        .push_bind(t.reverses)
                        .push_bind(t.booked_on.to_string())
                        .push_bind(t.value_on.map(|d| d.to_string()))
                        .push_bind(t.rate.clone())
                        .push_bind(statement)
                        .push_bind(*seq)
                        .push_bind(t.created_by.clone())
                        .push_bind(t.created_at_ms);
                })
                .await?;
                let postings: Vec<(i64, i64, &Posting)> = rows
                    .iter()
                    .flat_map(|(id, t, _)| t.postings.iter().enumerate().map(move |(i, p)| (*id, i as i64 + 1, p)))
                    .collect();
                super::registry_sql::insert_rows(
                    tx,
                    "INSERT INTO ledger_postings (transfer_id, seq, account_id, currency, amount) ",
                    &postings,
                    "",
                    |mut b, (id, seq, p)| {
                        b.push_bind(*id)
                            .push_bind(*seq)
                            .push_bind(p.account)
                            .push_bind(p.amount.currency().code())
                            .push_bind(p.amount.minor());
                    },
                )
                .await?;
                let details: Vec<(i64, &Vec<u8>)> =
                    rows.iter().filter_map(|(id, t, _)| t.details.as_ref().map(|d| (*id, d))).collect();
                super::registry_sql::insert_rows(
                    tx,
                    "INSERT INTO ledger_transfer_details (transfer_id, sealed) ",
                    &details,
                    "",
                    |mut b, (id, sealed)| {
                        b.push_bind(*id).push_bind(sealed.as_slice());
                    },
                )
                .await?;
                let queued: Vec<(i64, i64)> =
                    rows.iter().filter_map(|(id, t, _)| t.queue.map(|a| (*id, a))).collect();
                super::registry_sql::insert_rows(
                    tx,
                    "INSERT INTO ledger_reconciliation (transfer_id, account_id) ",
                    &queued,
                    "",
                    |mut b, (id, account)| {
                        b.push_bind(*id).push_bind(*account);
                    },
                )
                .await?;
                for (id, t, _) in &rows {
                    if let Some(entry) = t.resolves {
                        sqlx::query("UPDATE ledger_reconciliation SET resolved_by = $1 WHERE transfer_id = $2")
                            .bind(*id)
                            .bind(entry)
                            .execute(&mut **tx)
                            .await?;
                    }
                }
                // Zero deltas too: every account and currency with postings has its balance row.
                let deltas: Vec<((i64, &'static str), i64)> = deltas.into_iter().collect();
                super::registry_sql::insert_rows(
                    tx,
                    "INSERT INTO ledger_balances (account_id, currency, balance) ",
                    &deltas,
                    " ON CONFLICT (account_id, currency) DO UPDATE SET balance = ledger_balances.balance + excluded.balance",
                    |mut b, ((account, currency), delta)| {
                        b.push_bind(*account).push_bind(*currency).push_bind(*delta);
                    },
                )
                .await?;
                super::registry_sql::insert_audit_rows(tx, &audit).await?;
                Ok(slots
                    .into_iter()
                    .map(|(s, new)| match s {
                        Ok(id) => Booked { id, new },
                        Err(i) => Booked { id: ids[i], new },
                    })
                    .collect())
            }
        }

        #[async_trait::async_trait]
        impl $crate::ledger::LedgerStore for $store {
            async fn create_ledger_account(
                &self,
                account: &$crate::ledger::NewLedgerAccount,
                audit: &$crate::AuditEvent,
            ) -> Result<$crate::ledger::LedgerAccountId, StoreError> {
                let mut tx = self.begin().await?;
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO ledger_accounts (code, kind, currency, no_negative, iban_lookup, sealed, created_by, \
                     created_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
                )
                .bind(&account.code)
                .bind(account.kind.as_str())
                .bind(account.currency.map(|c| c.code()))
                .bind(account.rules.no_negative)
                .bind(account.iban_lookup.map(|l| l.to_vec()))
                .bind(&account.sealed)
                .bind(&account.created_by)
                .bind(account.created_at_ms)
                .fetch_one(&mut *tx)
                .await
                .map_err(|e| conflict_or(e, "a ledger account with this code or IBAN"))?;
                self.append(&mut tx, audit, Some(id)).await?;
                tx.commit().await?;
                Ok(id)
            }

            async fn ledger_account(
                &self,
                id: $crate::ledger::LedgerAccountId,
            ) -> Result<Option<$crate::ledger::LedgerAccountRow>, StoreError> {
                let row = sqlx::query(&format!("{} WHERE id = $1", $crate::ledger::ACCOUNT_SELECT))
                    .bind(id)
                    .fetch_optional(&mut *self.reader().await?)
                    .await?;
                row.as_ref().map(ledger_sql::account_from).transpose()
            }

            async fn ledger_account_by_code(
                &self,
                code: &str,
            ) -> Result<Option<$crate::ledger::LedgerAccountRow>, StoreError> {
                let row = sqlx::query(&format!("{} WHERE code = $1", $crate::ledger::ACCOUNT_SELECT))
                    .bind(code)
                    .fetch_optional(&mut *self.reader().await?)
                    .await?;
                row.as_ref().map(ledger_sql::account_from).transpose()
            }

            async fn ledger_account_by_iban(
                &self,
                lookup: &[u8; 32],
            ) -> Result<Option<$crate::ledger::LedgerAccountRow>, StoreError> {
                let row = sqlx::query(&format!("{} WHERE iban_lookup = $1", $crate::ledger::ACCOUNT_SELECT))
                    .bind(&lookup[..])
                    .fetch_optional(&mut *self.reader().await?)
                    .await?;
                row.as_ref().map(ledger_sql::account_from).transpose()
            }

            async fn ledger_accounts(&self) -> Result<Vec<$crate::ledger::LedgerAccountRow>, StoreError> {
                let rows = sqlx::query(&format!("{} ORDER BY id", $crate::ledger::ACCOUNT_SELECT))
                    .fetch_all(&mut *self.reader().await?)
                    .await?;
                rows.iter().map(ledger_sql::account_from).collect()
            }

            async fn ledger_balances(
                &self,
                account: Option<$crate::ledger::LedgerAccountId>,
            ) -> Result<Vec<$crate::ledger::BalanceRow>, StoreError> {
                use sqlx::Row;
                let rows = sqlx::query(
                    "SELECT account_id, currency, balance FROM ledger_balances \
                     WHERE $1 IS NULL OR account_id = $1 ORDER BY account_id, currency",
                )
                .bind(account)
                .fetch_all(&mut *self.reader().await?)
                .await?;
                rows.iter()
                    .map(|row| {
                        let currency: String = row.try_get("currency")?;
                        Ok($crate::ledger::BalanceRow {
                            account_id: row.try_get("account_id")?,
                            balance: razam_core::ledger::Money::from_minor(
                                row.try_get("balance")?,
                                $crate::ledger::currency_of(&currency)?,
                            ),
                        })
                    })
                    .collect()
            }

            async fn book_transfers(
                &self,
                transfers: &[$crate::ledger::NewLedgerTransfer],
                statement: Option<&$crate::ledger::NewStatement>,
            ) -> Result<Vec<$crate::ledger::Booked>, StoreError> {
                let mut tx = self.begin().await?;
                let statement_id = match statement {
                    None => None,
                    Some(s) => {
                        let exists: Option<i64> =
                            sqlx::query_scalar("SELECT id FROM ledger_statements WHERE digest = $1")
                                .bind(&s.digest[..])
                                .fetch_optional(&mut *tx)
                                .await?;
                        if exists.is_some() {
                            return Err(StoreError::Conflict("this statement"));
                        }
                        let id: i64 = sqlx::query_scalar(
                            "INSERT INTO ledger_statements (account_id, digest, format, entries, closing_balance, \
                             created_by, created_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
                        )
                        .bind(s.account_id)
                        .bind(&s.digest[..])
                        .bind(s.format)
                        .bind(s.entries)
                        .bind(s.closing_balance)
                        .bind(&s.created_by)
                        .bind(s.created_at_ms)
                        .fetch_one(&mut *tx)
                        .await?;
                        let audit = $crate::AuditEvent {
                            at_ms: s.created_at_ms,
                            actor: s.created_by.clone(),
                            action: "ledger.statement.import",
                            object: $crate::AuditObject::Created("ledger_statement"),
                        };
                        self.append(&mut tx, &audit, Some(id)).await?;
                        Some(id)
                    }
                };
                let booked = ledger_sql::book(self, &mut tx, transfers, statement_id).await?;
                tx.commit().await?;
                Ok(booked)
            }

            async fn statement_by_digest(&self, digest: &[u8; 32]) -> Result<Option<(i64, i64)>, StoreError> {
                Ok(sqlx::query_as("SELECT id, entries FROM ledger_statements WHERE digest = $1")
                    .bind(&digest[..])
                    .fetch_optional(&mut *self.reader().await?)
                    .await?)
            }

            async fn account_has_statement(&self, account: $crate::ledger::LedgerAccountId) -> Result<bool, StoreError> {
                let found: Option<i64> =
                    sqlx::query_scalar("SELECT id FROM ledger_statements WHERE account_id = $1 LIMIT 1")
                        .bind(account)
                        .fetch_optional(&mut *self.reader().await?)
                        .await?;
                Ok(found.is_some())
            }

            async fn ledger_transfer(
                &self,
                id: $crate::ledger::TransferId,
            ) -> Result<Option<$crate::ledger::TransferRow>, StoreError> {
                let mut conn = self.reader().await?;
                let row = sqlx::query(&format!("{} WHERE t.id = $1", $crate::ledger::TRANSFER_SELECT))
                    .bind(id)
                    .fetch_optional(&mut *conn)
                    .await?;
                let Some(row) = row else { return Ok(None) };
                let transfer = ledger_sql::transfer_from(&row)?;
                Ok(ledger_sql::with_postings(&mut conn, vec![transfer])
                    .await?
                    .into_iter()
                    .next())
            }

            async fn ledger_transfers(
                &self,
                before: Option<$crate::ledger::TransferId>,
                limit: i64,
            ) -> Result<Vec<$crate::ledger::TransferRow>, StoreError> {
                let mut conn = self.reader().await?;
                let rows = sqlx::query(&format!(
                    "{} WHERE t.id < $1 ORDER BY t.id DESC LIMIT $2",
                    $crate::ledger::TRANSFER_SELECT
                ))
                .bind(before.unwrap_or(i64::MAX))
                .bind(limit)
                .fetch_all(&mut *conn)
                .await?;
                let transfers = rows.iter().map(ledger_sql::transfer_from).collect::<Result<Vec<_>, _>>()?;
                ledger_sql::with_postings(&mut conn, transfers).await
            }

            async fn account_postings(
                &self,
                account: $crate::ledger::LedgerAccountId,
                limit: i64,
            ) -> Result<Vec<$crate::ledger::AccountPostingRow>, StoreError> {
                use sqlx::Row;
                let rows = sqlx::query(
                    "SELECT p.transfer_id, t.kind, t.booked_on, p.currency, p.amount FROM ledger_postings p \
                     JOIN ledger_transfers t ON t.id = p.transfer_id WHERE p.account_id = $1 \
                     ORDER BY p.transfer_id DESC, p.seq DESC LIMIT $2",
                )
                .bind(account)
                .bind(limit)
                .fetch_all(&mut *self.reader().await?)
                .await?;
                rows.iter()
                    .map(|row| {
                        let kind: String = row.try_get("kind")?;
                        let booked_on: String = row.try_get("booked_on")?;
                        let currency: String = row.try_get("currency")?;
                        Ok($crate::ledger::AccountPostingRow {
                            transfer_id: row.try_get("transfer_id")?,
                            kind: $crate::ledger::kind_of(&kind)?,
                            booked_on: $crate::ledger::day_of(&booked_on)?,
                            amount: razam_core::ledger::Money::from_minor(
                                row.try_get("amount")?,
                                $crate::ledger::currency_of(&currency)?,
                            ),
                        })
                    })
                    .collect()
            }

            async fn reconciliation_queue(&self, open_only: bool) -> Result<Vec<$crate::ledger::QueueRow>, StoreError> {
                let rows: Vec<(i64, i64, Option<i64>)> = sqlx::query_as(
                    "SELECT transfer_id, account_id, resolved_by FROM ledger_reconciliation \
                     WHERE resolved_by IS NULL OR NOT $1 ORDER BY transfer_id",
                )
                .bind(open_only)
                .fetch_all(&mut *self.reader().await?)
                .await?;
                Ok(rows
                    .into_iter()
                    .map(|(transfer_id, account_id, resolved_by)| $crate::ledger::QueueRow {
                        transfer_id,
                        account_id,
                        resolved_by,
                    })
                    .collect())
            }

            async fn register_reference(
                &self,
                code: &str,
                account: $crate::ledger::LedgerAccountId,
                audit: &$crate::AuditEvent,
            ) -> Result<(), StoreError> {
                let mut tx = self.begin().await?;
                let existing: Option<i64> =
                    sqlx::query_scalar("SELECT account_id FROM ledger_references WHERE code = $1")
                        .bind(code)
                        .fetch_optional(&mut *tx)
                        .await?;
                match existing {
                    Some(a) if a == account => return Ok(()),
                    Some(_) => return Err(StoreError::Conflict("this reference code, for another account")),
                    None => {}
                }
                sqlx::query(
                    "INSERT INTO ledger_references (code, account_id, created_by, created_at_ms) VALUES ($1, $2, $3, $4)",
                )
                .bind(code)
                .bind(account)
                .bind(&audit.actor)
                .bind(audit.at_ms)
                .execute(&mut *tx)
                .await?;
                self.append(&mut tx, audit, None).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn references(&self) -> Result<Vec<(String, $crate::ledger::LedgerAccountId)>, StoreError> {
                Ok(
                    sqlx::query_as("SELECT code, account_id FROM ledger_references ORDER BY code")
                        .fetch_all(&mut *self.reader().await?)
                        .await?,
                )
            }

            async fn set_csv_mapping(
                &self,
                account: $crate::ledger::LedgerAccountId,
                mapping: &str,
                audit: &$crate::AuditEvent,
            ) -> Result<(), StoreError> {
                let mut tx = self.begin().await?;
                sqlx::query(
                    "INSERT INTO ledger_csv_mappings (account_id, mapping, created_by, created_at_ms) \
                     VALUES ($1, $2, $3, $4) ON CONFLICT (account_id) DO UPDATE SET mapping = excluded.mapping, \
                     created_by = excluded.created_by, created_at_ms = excluded.created_at_ms",
                )
                .bind(account)
                .bind(mapping)
                .bind(&audit.actor)
                .bind(audit.at_ms)
                .execute(&mut *tx)
                .await?;
                self.append(&mut tx, audit, None).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn csv_mapping(&self, account: $crate::ledger::LedgerAccountId) -> Result<Option<String>, StoreError> {
                Ok(
                    sqlx::query_scalar("SELECT mapping FROM ledger_csv_mappings WHERE account_id = $1")
                        .bind(account)
                        .fetch_optional(&mut *self.reader().await?)
                        .await?,
                )
            }

            async fn ledger_check(&self) -> Result<$crate::ledger::LedgerCheckRow, StoreError> {
                // One read transaction, so every query sees the same ledger.
                let mut conn = self.reader().await?;
                let mut tx = sqlx::Connection::begin(&mut *conn).await?;
                if !<$store>::READ_SNAPSHOT.is_empty() {
                    sqlx::query(<$store>::READ_SNAPSHOT).execute(&mut *tx).await?;
                }
                let count = |table: &str| format!("SELECT COUNT(*) FROM {table}");
                let accounts: i64 = sqlx::query_scalar(&count("ledger_accounts")).fetch_one(&mut *tx).await?;
                let transfers: i64 = sqlx::query_scalar(&count("ledger_transfers")).fetch_one(&mut *tx).await?;
                let postings: i64 = sqlx::query_scalar(&count("ledger_postings")).fetch_one(&mut *tx).await?;
                let mut problems = Vec::new();
                for (what, sql) in $crate::ledger::CHECKS {
                    let found: Vec<String> = sqlx::query_scalar(&format!("{sql} LIMIT 100"))
                        .fetch_all(&mut *tx)
                        .await?;
                    problems.extend(found.into_iter().map(|f| format!("{f} (invariant: {what})")));
                }
                tx.rollback().await?;
                Ok($crate::ledger::LedgerCheckRow {
                    accounts,
                    transfers,
                    postings,
                    problems,
                })
            }
        }
    };
}
pub(crate) use impl_ledger_store;
