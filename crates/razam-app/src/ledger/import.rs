//! Booking a bank statement: all of it in one transaction, or nothing.
//!
//! The bank account is found by its IBAN (opened if new: an asset account in the
//! statement's currency). The same statement again books nothing. An account's first
//! statement books its opening balance against `opening-balances`; a later statement must
//! open at the account's ledger balance. Opening balance plus booked entries must equal the
//! closing booked balance (CLBD), or nothing is booked. Pending entries are not booked; an
//! entry with several transaction details whose amounts add up to it is split into one
//! transfer each; a reversal entry reverses the transfer it names (by end-to-end id or bank
//! reference) where it finds it; foreign-currency details are kept, sealed. An incoming
//! payment whose remittance text holds one registered reference code goes to that code's
//! account. An outgoing payment whose remittance text names an assistance case paid from a
//! bank account (its reference, `A-…`) for exactly what waits in the case's in-transit
//! liability clears that liability: the payment was booked as an expense when it was made,
//! and is not booked or queued again. Every other entry goes to `suspense` and waits in the
//! reconciliation queue.

use std::collections::HashMap;

use razam_core::ledger::{AccountKind, AccountRules, Currency, Iban, Money, Posting, TransferKind};
use razam_core::role::Permission;
use razam_store::ledger::{NewLedgerTransfer, NewStatement};

use super::statement::{CsvMapping, Entry, Statement, TxDetail, parse_camt053, parse_csv};
use super::{AccountSpec, OPENING_BALANCES, SUSPENSE, TransferDetails, match_reference};
use crate::{Actor, App, AppError};

/// What importing a statement did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportReport {
    pub format: String,
    /// The IBAN's last four characters (the report may be shown or logged).
    pub iban_tail: String,
    pub account_id: i64,
    /// The bank account was opened by this import.
    pub account_opened: bool,
    /// The statement had been imported before: nothing was booked.
    pub already_imported: bool,
    pub entries: usize,
    /// Pending (not booked) entries.
    pub pending: usize,
    /// Transfers booked for entries (a split entry counts once per part).
    pub booked: usize,
    /// Parts beyond the first of split entries.
    pub split: usize,
    /// Incoming payments booked to an account by their reference code.
    pub matched: usize,
    /// Outgoing assistance payments that cleared their case's in-transit liability.
    pub cleared: usize,
    /// Payments put into the reconciliation queue.
    pub queued: usize,
    /// Reversal entries booked as reversals of the transfer they name.
    pub reversals: usize,
    /// The opening balance booked (first statement only).
    pub opening_booked: Option<Money>,
    /// The account's ledger balance after the import.
    pub balance: Money,
}

/// One transfer to be, from a part of an entry.
struct Part<'a> {
    entry: &'a Entry,
    index: usize,
    amount: i64,
    detail: TxDetail,
}

/// The parts an entry is booked as: one per transaction detail when there are several and
/// their amounts add up to the entry's, else one.
fn parts(entry: &Entry) -> Vec<Part<'_>> {
    let amounts: Option<Vec<i64>> = entry.details.iter().map(|d| d.amount).collect();
    if entry.details.len() > 1
        && let Some(amounts) = amounts
        && amounts.iter().map(|a| i128::from(*a)).sum::<i128>() == i128::from(entry.amount)
        && amounts.iter().all(|a| *a != 0)
    {
        return entry
            .details
            .iter()
            .zip(amounts)
            .enumerate()
            .map(|(index, (d, amount))| Part {
                entry,
                index,
                amount,
                detail: d.clone(),
            })
            .collect();
    }
    let mut detail = entry.details.first().cloned().unwrap_or_default();
    for more in entry.details.iter().skip(1) {
        for (to, from) in [
            (&mut detail.remittance, &more.remittance),
            (&mut detail.counterparty, &more.counterparty),
        ] {
            if !from.is_empty() {
                if !to.is_empty() {
                    to.push_str("; ");
                }
                to.push_str(from);
            }
        }
    }
    vec![Part {
        entry,
        index: 0,
        amount: entry.amount,
        detail,
    }]
}

impl App {
    /// Imports a statement file: camt.053 (recognised by its XML), or CSV by the mapping
    /// saved for the account `csv_iban`.
    pub async fn import_statement(
        &self,
        actor: &Actor,
        bytes: &[u8],
        csv_iban: Option<&Iban>,
    ) -> Result<ImportReport, AppError> {
        self.require(actor, Permission::ManageLedger)?;
        let max_entries = usize::try_from(self.config.limits.import_rows).unwrap_or(usize::MAX);
        let start = bytes
            .iter()
            .position(|b| !b.is_ascii_whitespace() && !matches!(b, 0xef | 0xbb | 0xbf));
        let statement = if start.is_some_and(|i| bytes[i] == b'<') {
            parse_camt053(bytes, max_entries).map_err(|e| AppError::BadInput(format!("the statement: {e}")))?
        } else {
            let iban = csv_iban
                .ok_or_else(|| AppError::BadInput("a CSV statement needs the IBAN of its account (--iban)".into()))?;
            let account = self
                .store
                .ledger_account_by_iban(&self.iban_lookup(iban))
                .await?
                .ok_or(AppError::NotFound("a bank account with this IBAN"))?;
            let mapping = self
                .store
                .csv_mapping(account.id)
                .await?
                .ok_or(AppError::NotFound("a CSV mapping for this account"))?;
            let mapping: CsvMapping = serde_json::from_str(&mapping)
                .map_err(|e| AppError::Store(razam_store::StoreError::Damaged(e.to_string())))?;
            let currency = account
                .currency
                .ok_or_else(|| AppError::BadInput("the bank account has no currency".into()))?;
            let identity = hex::encode(self.lookup_hash(&format!("ledger csv\0{}", String::from_utf8_lossy(bytes))));
            parse_csv(bytes, &mapping, iban.clone(), currency, identity, max_entries)
                .map_err(|e| AppError::BadInput(format!("the statement: {e}")))?
        };
        self.book_statement(actor, &statement).await
    }

    /// Saves the CSV layout of a bank account's statements.
    pub async fn set_csv_mapping(&self, actor: &Actor, iban: &Iban, mapping: &CsvMapping) -> Result<(), AppError> {
        self.require(actor, Permission::ManageLedger)?;
        mapping.check().map_err(AppError::BadInput)?;
        let account = self
            .store
            .ledger_account_by_iban(&self.iban_lookup(iban))
            .await?
            .ok_or(AppError::NotFound("a bank account with this IBAN"))?;
        let json = serde_json::to_string(mapping).map_err(|e| AppError::BadInput(e.to_string()))?;
        let audit = self.event(
            actor,
            "ledger.csv_mapping.set",
            razam_store::AuditObject::Named(format!("ledger_account:{}", account.id)),
        );
        Ok(self.store.set_csv_mapping(account.id, &json, &audit).await?)
    }

    /// The bank account of `iban`, opened (in `currency`) if there is none.
    async fn bank_account(&self, actor: &Actor, iban: &Iban, currency: Currency) -> Result<(i64, bool), AppError> {
        if let Some(row) = self.store.ledger_account_by_iban(&self.iban_lookup(iban)).await? {
            if row.currency != Some(currency) {
                return Err(AppError::BadInput(format!(
                    "the statement is in {currency}, the bank account {} in {}",
                    row.code,
                    row.currency.map_or("any currency", |c| c.code())
                )));
            }
            return Ok((row.id, false));
        }
        let spec = AccountSpec {
            code: format!(
                "bank-{}-{}",
                currency.code().to_ascii_lowercase(),
                iban.tail().to_ascii_lowercase()
            ),
            name: format!("Bank account …{}", iban.tail()),
            kind: AccountKind::Asset,
            currency: Some(currency),
            rules: AccountRules::default(),
            iban: Some(iban.clone()),
        };
        Ok((self.create_ledger_account(actor, spec).await?, true))
    }

    async fn current_balance(&self, account: i64, currency: Currency) -> Result<i64, AppError> {
        Ok(self
            .store
            .ledger_balances(Some(account))
            .await?
            .into_iter()
            .find(|b| b.balance.currency() == currency)
            .map_or(0, |b| b.balance.minor()))
    }

    /// Books a parsed statement (see the module's description).
    pub async fn book_statement(&self, actor: &Actor, statement: &Statement) -> Result<ImportReport, AppError> {
        self.require(actor, Permission::ManageLedger)?;
        let currency = statement.currency;
        let (bank, account_opened) = self.bank_account(actor, &statement.iban, currency).await?;
        let digest = self.lookup_hash(&format!(
            "ledger statement\0{}\0{}",
            statement.iban.as_str(),
            statement.identity
        ));
        let pending = statement.entries.iter().filter(|e| !e.booked).count();
        let mut report = ImportReport {
            format: statement.format.clone(),
            iban_tail: statement.iban.tail().to_owned(),
            account_id: bank,
            account_opened,
            already_imported: false,
            entries: statement.entries.len(),
            pending,
            booked: 0,
            split: 0,
            matched: 0,
            cleared: 0,
            queued: 0,
            reversals: 0,
            opening_booked: None,
            balance: Money::zero(currency),
        };
        let before = self.current_balance(bank, currency).await?;
        if self.store.statement_by_digest(&digest).await?.is_some() {
            report.already_imported = true;
            report.balance = Money::from_minor(before, currency);
            return Ok(report);
        }
        let first = !self.store.account_has_statement(bank).await?;
        let show = |minor: i128| match i64::try_from(minor) {
            Ok(m) => Money::from_minor(m, currency).to_string(),
            Err(_) => format!("{minor} minor units of {currency}"),
        };
        // The balance the entries start from.
        let opening = match statement.opening {
            Some(o) => o.minor(),
            None => before,
        };
        if !first && opening != before {
            return Err(AppError::BadInput(format!(
                "the statement opens at {}, but the account's ledger balance is {}: an earlier statement is \
                 missing, or something was booked to the bank account by hand; nothing was booked",
                show(opening.into()),
                show(before.into())
            )));
        }
        let booked_sum: i128 = statement
            .entries
            .iter()
            .filter(|e| e.booked)
            .map(|e| i128::from(e.amount))
            .sum();
        let end = i128::from(opening) + booked_sum;
        if let Some(closing) = statement.closing
            && end != i128::from(closing.minor())
        {
            return Err(AppError::BadInput(format!(
                "the opening balance {} plus the booked entries {} make {}, but the closing booked balance \
                 (CLBD) is {}; nothing was booked",
                show(opening.into()),
                show(booked_sum),
                show(end),
                show(closing.minor().into())
            )));
        }
        let first_day = statement
            .entries
            .iter()
            .filter_map(|e| e.booking_date.or(e.value_date))
            .min()
            .unwrap_or_else(crate::today);
        let key = |what: &str| self.lookup_hash(&format!("ledger statement entry\0{}\0{what}", hex::encode(digest)));
        let now = crate::now_ms();
        let mut transfers: Vec<NewLedgerTransfer> = Vec::new();
        let posting = |account: i64, minor: i64| Posting {
            account,
            amount: Money::from_minor(minor, currency),
        };
        if first && opening != before {
            let delta = opening
                .checked_sub(before)
                .ok_or_else(|| AppError::BadInput("the opening balance is too large".into()))?;
            let equity = self.system_account(actor, OPENING_BALANCES).await?;
            transfers.push(NewLedgerTransfer {
                idempotency: key("opening"),
                kind: TransferKind::Opening,
                reverses: None,
                booked_on: first_day,
                value_on: None,
                rate: None,
                details: self.seal_details(&TransferDetails::memo("opening balance from the first statement"))?,
                postings: vec![posting(bank, delta), posting(equity, -delta)],
                queue: None,
                resolves: None,
                audit_action: "ledger.statement.opening",
                created_by: actor.audit_name(),
                created_at_ms: now,
            });
            report.opening_booked = Some(Money::from_minor(delta, currency));
        }
        let references = self.store.references().await?;
        let accounts = self.store.ledger_accounts().await?;
        let currencies: HashMap<i64, Option<Currency>> = accounts.iter().map(|a| (a.id, a.currency)).collect();
        let mut in_transit = InTransit::new(self, &accounts, currency).await?;
        let references: Vec<(String, i64)> = references
            .into_iter()
            .filter(|(_, a)| {
                matches!(currencies.get(a), Some(Some(c)) if *c == currency) || matches!(currencies.get(a), Some(None))
            })
            .collect();
        let mut suspense = None;
        for entry in statement.entries.iter().filter(|e| e.booked) {
            let entry_parts = parts(entry);
            report.split += entry_parts.len().saturating_sub(1);
            for part in entry_parts {
                let details = TransferDetails {
                    memo: String::new(),
                    counterparty: part.detail.counterparty.clone(),
                    counterparty_iban: part.detail.counterparty_iban.clone(),
                    remittance: part.detail.remittance.clone(),
                    bank_reference: if part.detail.bank_reference.is_empty() {
                        part.entry.bank_reference.clone()
                    } else {
                        part.detail.bank_reference.clone()
                    },
                    end_to_end: part.detail.end_to_end.clone(),
                    foreign: part.detail.foreign.clone(),
                };
                let booked_on = part.entry.booking_date.or(part.entry.value_date).unwrap_or(first_day);
                let mut transfer = NewLedgerTransfer {
                    idempotency: key(&format!("{}\0{}", part.entry.number, part.index)),
                    kind: TransferKind::Statement,
                    reverses: None,
                    booked_on,
                    value_on: part.entry.value_date,
                    rate: None,
                    details: self.seal_details(&details)?,
                    postings: Vec::new(),
                    queue: None,
                    resolves: None,
                    audit_action: "ledger.statement.entry",
                    created_by: actor.audit_name(),
                    created_at_ms: now,
                };
                if part.entry.reversal
                    && let Some(original) = self.reversed_transfer(bank, &part).await?
                {
                    transfer.kind = TransferKind::Reversal;
                    transfer.reverses = Some(original.id);
                    transfer.postings = razam_core::ledger::reversal_of(&original.postings)
                        .map_err(|e| AppError::BadInput(e.to_string()))?;
                    report.reversals += 1;
                } else {
                    let matched = (part.amount > 0)
                        .then(|| match_reference(&part.detail.remittance, &references))
                        .flatten();
                    let cleared = if part.amount < 0 {
                        in_transit.clear(&part.detail.remittance, part.amount)
                    } else {
                        None
                    };
                    let counter = match (matched, cleared) {
                        (Some((_, account)), _) => {
                            report.matched += 1;
                            *account
                        }
                        (None, Some(account)) => {
                            transfer.audit_action = "ledger.statement.cleared";
                            report.cleared += 1;
                            account
                        }
                        (None, None) => {
                            let id = match suspense {
                                Some(id) => id,
                                None => {
                                    let id = self.system_account(actor, SUSPENSE).await?;
                                    suspense = Some(id);
                                    id
                                }
                            };
                            transfer.queue = Some(id);
                            report.queued += 1;
                            id
                        }
                    };
                    let negated = part.amount.checked_neg().ok_or_else(|| {
                        AppError::BadInput(format!("entry {}: the amount is too large", part.entry.number))
                    })?;
                    transfer.postings = vec![posting(bank, part.amount), posting(counter, negated)];
                }
                transfers.push(transfer);
                report.booked += 1;
            }
        }
        let record = NewStatement {
            account_id: bank,
            digest,
            format: if statement.format == "csv" { "csv" } else { "camt.053" },
            entries: statement.entries.len() as i64,
            closing_balance: statement.closing.map(Money::minor),
            created_by: actor.audit_name(),
            created_at_ms: now,
        };
        match self.store.book_transfers(&transfers, Some(&record)).await {
            Ok(_) => {}
            // Imported meanwhile by another request: nothing was booked here.
            Err(razam_store::StoreError::Conflict(_)) => {
                report.already_imported = true;
                report.booked = 0;
            }
            Err(e) => return Err(e.into()),
        }
        report.balance = Money::from_minor(self.current_balance(bank, currency).await?, currency);
        Ok(report)
    }

    /// The earlier statement transfer of this bank account that a reversal entry undoes:
    /// the opposite amount, not yet reversed, with the same end-to-end id (or, when the entry
    /// gives none, the same remittance text). Transfers of the same
    /// statement are not looked at (they have no id yet): such a reversal is booked as an
    /// entry of its own.
    async fn reversed_transfer(
        &self,
        bank: i64,
        part: &Part<'_>,
    ) -> Result<Option<razam_store::ledger::TransferRow>, AppError> {
        let wanted = part.amount.checked_neg();
        let candidates = self.store.account_postings(bank, 10_000).await?;
        for p in candidates
            .iter()
            .filter(|p| p.kind == TransferKind::Statement && Some(p.amount.minor()) == wanted)
        {
            let Some(row) = self.store.ledger_transfer(p.transfer_id).await? else {
                continue;
            };
            if row.reversed_by.is_some() {
                continue;
            }
            let details: TransferDetails = match &row.details {
                Some(sealed) => self.open_json(super::SEAL_TRANSFER, sealed)?,
                None => TransferDetails::default(),
            };
            let e2e = &part.detail.end_to_end;
            let same = if !e2e.is_empty() && e2e != "NOTPROVIDED" {
                details.end_to_end == *e2e
            } else {
                !part.detail.remittance.is_empty() && details.remittance == part.detail.remittance
            };
            if same {
                return Ok(Some(row));
            }
        }
        Ok(None)
    }
}

/// The in-transit liabilities of assistance cases in the statement's currency, with what each
/// still waits for (a credit, so negative), lowered as this statement's entries clear them.
struct InTransit {
    /// Case reference → (account, what waits in minor units).
    waiting: HashMap<String, (i64, i64)>,
}

impl InTransit {
    async fn new(
        app: &App,
        accounts: &[razam_store::ledger::LedgerAccountRow],
        currency: Currency,
    ) -> Result<InTransit, AppError> {
        let mut waiting = HashMap::new();
        for a in accounts.iter().filter(|a| a.currency == Some(currency)) {
            let Some(case) = a
                .code
                .strip_prefix("in-transit-")
                .and_then(razam_core::assistance::CaseRef::parse)
            else {
                continue;
            };
            let balance = app.current_balance(a.id, currency).await?;
            if balance < 0 {
                waiting.insert(case.as_str().to_owned(), (a.id, balance));
            }
        }
        Ok(InTransit { waiting })
    }

    /// The in-transit account an outgoing `amount` (negative) clears: the remittance text
    /// names exactly one case whose liability waits for exactly this amount.
    fn clear(&mut self, remittance: &str, amount: i64) -> Option<i64> {
        if self.waiting.is_empty() {
            return None;
        }
        let mut named = remittance
            .split(|c: char| !(c.is_alphanumeric() || c == '-'))
            .filter_map(razam_core::assistance::CaseRef::parse)
            .map(|c| c.as_str().to_owned())
            .collect::<Vec<_>>();
        named.sort_unstable();
        named.dedup();
        let [case] = named.as_slice() else {
            return None;
        };
        let (account, left) = self.waiting.get_mut(case)?;
        if *left != amount {
            return None;
        }
        *left = 0;
        Some(*account)
    }
}
