//! The ledger (issue 6): double-entry books in integer minor units ([docs/ledger.md]).
//!
//! Accounts have a kind, one currency (or any, for the system accounts) and rules; a
//! transfer is a set of postings balanced per currency, immutable once booked, corrected only
//! by a reversal. Every booking carries an idempotency key (given, or random): a retried
//! request finds its first transfer and books nothing. Names of accounts, IBANs,
//! counterparties, remittance texts and memos are sealed; amounts, currencies, dates and
//! account ids are in the clear, so that [`App::ledger_check`] proves the invariants in SQL.
//!
//! Who may do what: [`Permission::ManageLedger`] (admins, coordinators) opens accounts,
//! books, reverses, exchanges, imports statements, resolves the reconciliation queue and
//! registers reference codes; [`Permission::ReadLedger`] (the same roles) reads accounts,
//! balances, transfers and the check. The command line (the operator) may do everything.

pub mod import;
pub mod statement;

use razam_core::ledger::{
    AccountKind, AccountRules, Currency, ExchangeRate, Iban, Money, Posting, TransferKind, check_balanced, reversal_of,
};
use razam_core::registry::Day;
use razam_core::role::Permission;
use razam_store::AuditObject;
use razam_store::ledger::{
    AccountPostingRow, LedgerAccountRow, NewLedgerAccount, NewLedgerTransfer, QueueRow, TransferRow,
};
use serde::{Deserialize, Serialize};

pub use razam_store::ledger::{Booked, LedgerCheckRow as LedgerCheck};

use crate::{Actor, App, AppError};

const SEAL_ACCOUNT: &str = "ledger.account";
const SEAL_TRANSFER: &str = "ledger.transfer";

/// The equity account opening balances are booked against (any currency).
pub const OPENING_BALANCES: &str = "opening-balances";
/// The trading account every exchange passes through (any currency).
pub const EXCHANGE: &str = "exchange";
/// Where incoming payments no reference matched wait (any currency).
pub const SUSPENSE: &str = "suspense";

const CODE_MAX: usize = 60;
const TEXT_MAX: usize = 2_000;

/// An account's sealed part.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountDetails {
    pub name: String,
    /// One of our own bank accounts: its IBAN.
    #[serde(default)]
    pub iban: Option<String>,
}

/// Foreign-currency details of a bank entry, as the bank gave them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ForeignDetails {
    /// The amount the payer instructed, e.g. `100.00 USD`.
    #[serde(default)]
    pub instructed: String,
    #[serde(default)]
    pub source_currency: String,
    #[serde(default)]
    pub target_currency: String,
    #[serde(default)]
    pub rate: String,
}

/// A transfer's sealed part: all of it may name a person.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransferDetails {
    #[serde(default)]
    pub memo: String,
    #[serde(default)]
    pub counterparty: String,
    #[serde(default)]
    pub counterparty_iban: String,
    #[serde(default)]
    pub remittance: String,
    /// The bank's reference of the entry (AcctSvcrRef).
    #[serde(default)]
    pub bank_reference: String,
    /// The payer's end-to-end id (what a reversal of the payment names again).
    #[serde(default)]
    pub end_to_end: String,
    #[serde(default)]
    pub foreign: Option<ForeignDetails>,
}

impl TransferDetails {
    pub fn memo(memo: &str) -> TransferDetails {
        TransferDetails {
            memo: memo.to_owned(),
            ..TransferDetails::default()
        }
    }

    fn is_empty(&self) -> bool {
        *self == TransferDetails::default()
    }

    fn check(&self) -> Result<(), AppError> {
        for (what, text) in [
            ("the memo", &self.memo),
            ("the counterparty", &self.counterparty),
            ("the counterparty's IBAN", &self.counterparty_iban),
            ("the remittance text", &self.remittance),
            ("the bank reference", &self.bank_reference),
            ("the end-to-end id", &self.end_to_end),
        ] {
            if text.chars().count() > TEXT_MAX {
                return Err(AppError::BadInput(format!(
                    "{what} is longer than {TEXT_MAX} characters"
                )));
            }
        }
        Ok(())
    }
}

/// An account to open.
#[derive(Debug, Clone)]
pub struct AccountSpec {
    /// Short, unique, not personal: letters, digits, `-`, `_`, `:`, `.`.
    pub code: String,
    pub name: String,
    pub kind: AccountKind,
    /// `None`: any currency.
    pub currency: Option<Currency>,
    pub rules: AccountRules,
    /// One of our own bank accounts.
    pub iban: Option<Iban>,
}

#[derive(Debug, Clone)]
pub struct LedgerAccount {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub kind: AccountKind,
    pub currency: Option<Currency>,
    pub rules: AccountRules,
    pub iban: Option<String>,
    /// One balance per currency it holds (its own currency always, zero included).
    pub balances: Vec<Money>,
    pub created_at_ms: i64,
}

/// A transfer to book by hand or through the API.
#[derive(Debug, Clone)]
pub struct BookRequest {
    /// The caller's key for this request: a retry with the same key books nothing and
    /// answers the first transfer. `None`: a fresh random key.
    pub idempotency_key: Option<String>,
    pub booked_on: Day,
    pub postings: Vec<Posting>,
    pub details: TransferDetails,
}

/// Money changed from one currency into another.
#[derive(Debug, Clone)]
pub struct ExchangeRequest {
    pub idempotency_key: Option<String>,
    pub booked_on: Day,
    pub from_account: i64,
    /// What left `from_account` (positive).
    pub from: Money,
    pub to_account: i64,
    /// What arrived in `to_account` (positive).
    pub to: Money,
    /// The rate quoted; `None`: derived from the two amounts.
    pub rate: Option<ExchangeRate>,
    pub details: TransferDetails,
}

#[derive(Debug, Clone)]
pub struct TransferView {
    pub id: i64,
    pub kind: TransferKind,
    pub reverses: Option<i64>,
    pub reversed_by: Option<i64>,
    pub booked_on: Day,
    pub value_on: Option<Day>,
    pub rate: Option<String>,
    pub statement_id: Option<i64>,
    pub details: TransferDetails,
    pub created_by: String,
    pub created_at_ms: i64,
    pub postings: Vec<Posting>,
}

/// Checks an account code: 1–60 of letters, digits, `-`, `_`, `:`, `.`.
pub fn parse_code(text: &str) -> Result<String, AppError> {
    let code = text.trim();
    let ok = !code.is_empty()
        && code.len() <= CODE_MAX
        && code
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | ':' | '.'));
    if ok {
        Ok(code.to_owned())
    } else {
        Err(AppError::BadInput(format!(
            "an account code is 1 to {CODE_MAX} letters, digits, '-', '_', ':' or '.'"
        )))
    }
}

/// Checks a reference code (e.g. a campaign's): 3–40 letters, digits or `-`, any case; kept
/// in upper case.
pub fn parse_reference_code(text: &str) -> Result<String, AppError> {
    let code = text.trim().to_ascii_uppercase();
    let ok = (3..=40).contains(&code.len()) && code.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    if ok {
        Ok(code)
    } else {
        Err(AppError::BadInput(
            "a reference code is 3 to 40 letters, digits or '-'".into(),
        ))
    }
}

/// The registered code that occurs in `text` as a whole word (case ignored), if exactly one
/// does: the remittance text "Donation FREE-2025 thanks" matches `FREE-2025`.
pub fn match_reference<'a>(text: &str, codes: &'a [(String, i64)]) -> Option<&'a (String, i64)> {
    let upper = text.to_uppercase();
    let words: std::collections::HashSet<&str> = upper
        .split(|c: char| !(c.is_alphanumeric() || c == '-'))
        .filter(|w| !w.is_empty())
        .collect();
    let mut found = codes.iter().filter(|(code, _)| words.contains(code.as_str()));
    let first = found.next()?;
    found.next().is_none().then_some(first)
}

fn ledger_error(e: razam_core::ledger::LedgerError) -> AppError {
    AppError::BadInput(e.to_string())
}

impl App {
    pub(crate) fn idempotency(&self, key: Option<&str>) -> Result<[u8; 32], AppError> {
        match key {
            Some(key) => self.idempotency_digest("ledger", key),
            None => {
                use rand::RngCore;
                let mut random = [0u8; 32];
                rand::rngs::OsRng.fill_bytes(&mut random);
                Ok(random)
            }
        }
    }

    pub(crate) fn iban_lookup(&self, iban: &Iban) -> [u8; 32] {
        self.lookup_hash(&format!("ledger iban\0{}", iban.as_str()))
    }

    fn seal_details(&self, details: &TransferDetails) -> Result<Option<Vec<u8>>, AppError> {
        details.check()?;
        if details.is_empty() {
            Ok(None)
        } else {
            Ok(Some(self.seal_json(SEAL_TRANSFER, details)?))
        }
    }

    fn account_view(
        &self,
        row: &LedgerAccountRow,
        balances: &[razam_store::ledger::BalanceRow],
    ) -> Result<LedgerAccount, AppError> {
        let details: AccountDetails = self.open_json(SEAL_ACCOUNT, &row.sealed)?;
        let mut held: Vec<Money> = balances
            .iter()
            .filter(|b| b.account_id == row.id)
            .map(|b| b.balance)
            .collect();
        if let Some(c) = row.currency
            && !held.iter().any(|m| m.currency() == c)
        {
            held.insert(0, Money::zero(c));
        }
        Ok(LedgerAccount {
            id: row.id,
            code: row.code.clone(),
            name: details.name,
            kind: row.kind,
            currency: row.currency,
            rules: row.rules,
            iban: details.iban,
            balances: held,
            created_at_ms: row.created_at_ms,
        })
    }

    fn transfer_view(&self, row: TransferRow) -> Result<TransferView, AppError> {
        let details = match &row.details {
            Some(sealed) => self.open_json(SEAL_TRANSFER, sealed)?,
            None => TransferDetails::default(),
        };
        Ok(TransferView {
            id: row.id,
            kind: row.kind,
            reverses: row.reverses,
            reversed_by: row.reversed_by,
            booked_on: row.booked_on,
            value_on: row.value_on,
            rate: row.rate,
            statement_id: row.statement_id,
            details,
            created_by: row.created_by,
            created_at_ms: row.created_at_ms,
            postings: row.postings,
        })
    }

    /// Opens an account.
    pub async fn create_ledger_account(&self, actor: &Actor, spec: AccountSpec) -> Result<i64, AppError> {
        self.require(actor, Permission::ManageLedger)?;
        let code = parse_code(&spec.code)?;
        let name = spec.name.trim();
        if name.is_empty() || name.chars().count() > 200 {
            return Err(AppError::BadInput(
                "an account needs a name of 1 to 200 characters".into(),
            ));
        }
        if spec.iban.is_some() && (spec.kind != AccountKind::Asset || spec.currency.is_none()) {
            return Err(AppError::BadInput(
                "a bank account (with an IBAN) is an asset account in one currency".into(),
            ));
        }
        let account = NewLedgerAccount {
            code,
            kind: spec.kind,
            currency: spec.currency,
            rules: spec.rules,
            iban_lookup: spec.iban.as_ref().map(|i| self.iban_lookup(i)),
            sealed: self.seal_json(
                SEAL_ACCOUNT,
                &AccountDetails {
                    name: name.to_owned(),
                    iban: spec.iban.as_ref().map(|i| i.as_str().to_owned()),
                },
            )?,
            created_by: actor.audit_name(),
            created_at_ms: crate::now_ms(),
        };
        let audit = self.event(actor, "ledger.account.create", AuditObject::Created("ledger_account"));
        Ok(self.store.create_ledger_account(&account, &audit).await?)
    }

    /// The id of a system account (`OPENING_BALANCES`, `EXCHANGE`, `SUSPENSE`), opened the
    /// first time it is needed.
    pub(crate) async fn system_account(&self, actor: &Actor, code: &str) -> Result<i64, AppError> {
        if let Some(row) = self.store.ledger_account_by_code(code).await? {
            return Ok(row.id);
        }
        let (kind, name) = match code {
            OPENING_BALANCES => (AccountKind::Equity, "Opening balances"),
            EXCHANGE => (AccountKind::Equity, "Currency exchange"),
            _ => (AccountKind::Liability, "Unmatched payments (suspense)"),
        };
        let spec = AccountSpec {
            code: code.to_owned(),
            name: name.to_owned(),
            kind,
            currency: None,
            rules: AccountRules::default(),
            iban: None,
        };
        match self.create_ledger_account(actor, spec).await {
            Ok(id) => Ok(id),
            // Opened meanwhile by another request.
            Err(AppError::Conflict(_)) => self
                .store
                .ledger_account_by_code(code)
                .await?
                .map(|row| row.id)
                .ok_or(AppError::NotFound("the system account")),
            Err(e) => Err(e),
        }
    }

    /// Every account with its balances.
    pub async fn ledger_accounts(&self, actor: &Actor) -> Result<Vec<LedgerAccount>, AppError> {
        self.require(actor, Permission::ReadLedger)?;
        let balances = self.store.ledger_balances(None).await?;
        self.store
            .ledger_accounts()
            .await?
            .iter()
            .map(|row| self.account_view(row, &balances))
            .collect()
    }

    pub async fn ledger_account(&self, actor: &Actor, id: i64) -> Result<LedgerAccount, AppError> {
        self.require(actor, Permission::ReadLedger)?;
        let row = self
            .store
            .ledger_account(id)
            .await?
            .ok_or(AppError::NotFound("the ledger account"))?;
        let balances = self.store.ledger_balances(Some(id)).await?;
        self.account_view(&row, &balances)
    }

    pub async fn ledger_account_by_code(&self, actor: &Actor, code: &str) -> Result<LedgerAccount, AppError> {
        self.require(actor, Permission::ReadLedger)?;
        let row = self
            .store
            .ledger_account_by_code(code)
            .await?
            .ok_or(AppError::NotFound("a ledger account with this code"))?;
        let balances = self.store.ledger_balances(Some(row.id)).await?;
        self.account_view(&row, &balances)
    }

    /// One of our bank accounts, by its IBAN.
    pub async fn ledger_account_by_iban(&self, actor: &Actor, iban: &Iban) -> Result<LedgerAccount, AppError> {
        self.require(actor, Permission::ReadLedger)?;
        let row = self
            .store
            .ledger_account_by_iban(&self.iban_lookup(iban))
            .await?
            .ok_or(AppError::NotFound("a bank account with this IBAN"))?;
        let balances = self.store.ledger_balances(Some(row.id)).await?;
        self.account_view(&row, &balances)
    }

    /// An account's balances, one per currency.
    pub async fn ledger_balance(&self, actor: &Actor, account: i64) -> Result<Vec<Money>, AppError> {
        Ok(self.ledger_account(actor, account).await?.balances)
    }

    fn new_transfer(
        &self,
        actor: &Actor,
        kind: TransferKind,
        request: &BookRequest,
        audit_action: &'static str,
    ) -> Result<NewLedgerTransfer, AppError> {
        check_balanced(&request.postings).map_err(ledger_error)?;
        Ok(NewLedgerTransfer {
            idempotency: self.idempotency(request.idempotency_key.as_deref())?,
            kind,
            reverses: None,
            booked_on: request.booked_on,
            value_on: None,
            rate: None,
            details: self.seal_details(&request.details)?,
            postings: request.postings.clone(),
            queue: None,
            resolves: None,
            audit_action,
            created_by: actor.audit_name(),
            created_at_ms: crate::now_ms(),
        })
    }

    /// Books one transfer (see [`BookRequest`]).
    pub async fn ledger_book(&self, actor: &Actor, request: &BookRequest) -> Result<Booked, AppError> {
        self.require(actor, Permission::ManageLedger)?;
        let transfer = self.new_transfer(actor, TransferKind::Booking, request, "ledger.book")?;
        self.book_all(&[transfer])
            .await?
            .into_iter()
            .next()
            .ok_or(AppError::NotFound("the booking"))
    }

    /// Books many transfers in one transaction, all or none, in order (the rules are checked
    /// after each).
    pub async fn ledger_book_batch(&self, actor: &Actor, requests: &[BookRequest]) -> Result<Vec<Booked>, AppError> {
        self.require(actor, Permission::ManageLedger)?;
        let transfers = requests
            .iter()
            .enumerate()
            .map(|(i, r)| {
                self.new_transfer(actor, TransferKind::Booking, r, "ledger.book")
                    .map_err(|e| AppError::BadInput(format!("transfer {} of the batch: {e}", i + 1)))
            })
            .collect::<Result<Vec<_>, _>>()?;
        self.book_all(&transfers).await
    }

    pub(crate) async fn book_all(&self, transfers: &[NewLedgerTransfer]) -> Result<Vec<Booked>, AppError> {
        Ok(self.store.book_transfers(transfers, None).await?)
    }

    /// Books the reversal of a transfer: every posting negated, naming the original. A
    /// transfer is reversed at most once; a retry (same key, or none given) answers the
    /// first reversal.
    pub async fn ledger_reverse(
        &self,
        actor: &Actor,
        transfer: i64,
        idempotency_key: Option<&str>,
        memo: &str,
    ) -> Result<Booked, AppError> {
        self.require(actor, Permission::ManageLedger)?;
        let original = self
            .store
            .ledger_transfer(transfer)
            .await?
            .ok_or(AppError::NotFound("the transfer"))?;
        let key = match idempotency_key {
            Some(k) => k.to_owned(),
            None => format!("reversal of transfer {transfer}"),
        };
        let reversal = NewLedgerTransfer {
            idempotency: self.idempotency(Some(&key))?,
            kind: TransferKind::Reversal,
            reverses: Some(transfer),
            booked_on: crate::today(),
            value_on: None,
            rate: None,
            details: self.seal_details(&TransferDetails::memo(memo))?,
            postings: reversal_of(&original.postings).map_err(ledger_error)?,
            queue: None,
            resolves: None,
            audit_action: "ledger.reverse",
            created_by: actor.audit_name(),
            created_at_ms: crate::now_ms(),
        };
        self.book_all(&[reversal])
            .await?
            .into_iter()
            .next()
            .ok_or(AppError::NotFound("the reversal"))
    }

    /// Books an exchange: one transfer, `from` out of `from_account` and `to` into
    /// `to_account`, both through the exchange account, with the rate recorded.
    pub async fn ledger_exchange(&self, actor: &Actor, request: &ExchangeRequest) -> Result<Booked, AppError> {
        self.require(actor, Permission::ManageLedger)?;
        if request.from.currency() == request.to.currency() {
            return Err(AppError::BadInput(
                "an exchange is between two different currencies".into(),
            ));
        }
        let rate = match &request.rate {
            Some(rate) => rate.clone(),
            None => ExchangeRate::between(request.from, request.to).map_err(ledger_error)?,
        };
        if request.from.minor() <= 0 || request.to.minor() <= 0 {
            return Err(AppError::BadInput("an exchange needs two positive amounts".into()));
        }
        let exchange = self.system_account(actor, EXCHANGE).await?;
        let neg = |m: Money| m.checked_neg().map_err(ledger_error);
        let postings = vec![
            Posting {
                account: request.from_account,
                amount: neg(request.from)?,
            },
            Posting {
                account: exchange,
                amount: request.from,
            },
            Posting {
                account: exchange,
                amount: neg(request.to)?,
            },
            Posting {
                account: request.to_account,
                amount: request.to,
            },
        ];
        let book = BookRequest {
            idempotency_key: request.idempotency_key.clone(),
            booked_on: request.booked_on,
            postings,
            details: request.details.clone(),
        };
        let mut transfer = self.new_transfer(actor, TransferKind::Exchange, &book, "ledger.exchange")?;
        transfer.rate = Some(rate.as_str().to_owned());
        self.book_all(&[transfer])
            .await?
            .into_iter()
            .next()
            .ok_or(AppError::NotFound("the exchange"))
    }

    /// A transfer with its postings and (opened) details.
    pub async fn ledger_transfer(&self, actor: &Actor, id: i64) -> Result<TransferView, AppError> {
        self.require(actor, Permission::ReadLedger)?;
        let row = self
            .store
            .ledger_transfer(id)
            .await?
            .ok_or(AppError::NotFound("the transfer"))?;
        self.transfer_view(row)
    }

    /// Up to `limit` transfers before `before` (or the newest), newest first.
    pub async fn ledger_transfers(
        &self,
        actor: &Actor,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<TransferView>, AppError> {
        self.require(actor, Permission::ReadLedger)?;
        self.store
            .ledger_transfers(before, limit.clamp(1, 1000))
            .await?
            .into_iter()
            .map(|row| self.transfer_view(row))
            .collect()
    }

    /// An account's latest postings, newest first.
    pub async fn ledger_postings(
        &self,
        actor: &Actor,
        account: i64,
        limit: i64,
    ) -> Result<Vec<AccountPostingRow>, AppError> {
        self.require(actor, Permission::ReadLedger)?;
        Ok(self.store.account_postings(account, limit.clamp(1, 10_000)).await?)
    }

    /// Proves every invariant over the whole ledger; `problems` is empty when all hold.
    pub async fn ledger_check(&self, actor: &Actor) -> Result<LedgerCheck, AppError> {
        self.require(actor, Permission::ReadLedger)?;
        Ok(self.store.ledger_check().await?)
    }

    /// Registers a reference code (e.g. a campaign's) for an income account: incoming
    /// payments whose remittance text holds the code as a word are booked to that account
    /// directly when a statement is imported.
    pub async fn register_reference(&self, actor: &Actor, code: &str, account: i64) -> Result<String, AppError> {
        self.require(actor, Permission::ManageLedger)?;
        let code = parse_reference_code(code)?;
        self.store
            .ledger_account(account)
            .await?
            .ok_or(AppError::NotFound("the ledger account"))?;
        let audit = self.event(
            actor,
            "ledger.reference.register",
            AuditObject::Named(format!("ledger_reference:{code}")),
        );
        self.store.register_reference(&code, account, &audit).await?;
        Ok(code)
    }

    /// Every reference code and its account.
    pub async fn ledger_references(&self, actor: &Actor) -> Result<Vec<(String, i64)>, AppError> {
        self.require(actor, Permission::ReadLedger)?;
        Ok(self.store.references().await?)
    }

    /// The reconciliation queue: open entries, or all.
    pub async fn reconciliation_queue(&self, actor: &Actor, open_only: bool) -> Result<Vec<QueueRow>, AppError> {
        self.require(actor, Permission::ReadLedger)?;
        Ok(self.store.reconciliation_queue(open_only).await?)
    }

    /// Books a queued payment on to `account`: a transfer out of its suspense account,
    /// marking the entry resolved, in one transaction.
    pub async fn resolve_payment(
        &self,
        actor: &Actor,
        queued: i64,
        account: i64,
        memo: &str,
    ) -> Result<Booked, AppError> {
        self.require(actor, Permission::ManageLedger)?;
        let entry = self
            .store
            .reconciliation_queue(false)
            .await?
            .into_iter()
            .find(|q| q.transfer_id == queued)
            .ok_or(AppError::NotFound("the payment in the reconciliation queue"))?;
        let original = self
            .store
            .ledger_transfer(queued)
            .await?
            .ok_or(AppError::NotFound("the transfer"))?;
        let mut postings = Vec::new();
        for p in original.postings.iter().filter(|p| p.account == entry.account_id) {
            postings.push(Posting {
                account: entry.account_id,
                amount: p.amount.checked_neg().map_err(ledger_error)?,
            });
            postings.push(Posting {
                account,
                amount: p.amount,
            });
        }
        let transfer = NewLedgerTransfer {
            idempotency: self.idempotency(Some(&format!("resolution of transfer {queued}")))?,
            kind: TransferKind::Resolution,
            reverses: None,
            booked_on: crate::today(),
            value_on: None,
            rate: None,
            details: self.seal_details(&TransferDetails::memo(memo))?,
            postings,
            queue: None,
            resolves: Some(queued),
            audit_action: "ledger.resolve",
            created_by: actor.audit_name(),
            created_at_ms: crate::now_ms(),
        };
        self.book_all(&[transfer])
            .await?
            .into_iter()
            .next()
            .ok_or(AppError::NotFound("the resolution"))
    }
}
