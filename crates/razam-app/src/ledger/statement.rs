//! Bank statements read into one shape: ISO 20022 camt.053 (versions .001.02 to .001.08,
//! read as a stream of XML events, never as a tree) and CSV with a saved column mapping.
//!
//! Nothing here panics on any input: every limit (size, nesting, entries, text length,
//! amounts) is checked and named in the error, with the entry's number where there is one.
//! Nothing here books: [`super::import`] does, all or nothing.

use std::borrow::Cow;

use quick_xml::events::{BytesStart, Event};
use razam_core::ledger::{Currency, Iban, Money};
use razam_core::registry::Day;
use serde::{Deserialize, Serialize};

use super::ForeignDetails;

/// The largest statement file read.
pub const MAX_BYTES: usize = 64 * 1024 * 1024;
/// The deepest nesting of XML elements read (camt.053 needs about 12).
const MAX_DEPTH: usize = 40;
/// The longest text of one element kept.
const MAX_TEXT: usize = 10_000;

/// One statement of one account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    /// `camt.053.001.02`, `camt.053.001.08`, `csv`.
    pub format: String,
    /// The statement's identity as the bank gives it (`Stmt/Id`, sequence number, creation
    /// time), or for CSV a digest of the file: with the IBAN, what makes it "the same
    /// statement".
    pub identity: String,
    pub iban: Iban,
    pub currency: Currency,
    /// Opening booked balance (OPBD, or PRCD: the previous closing).
    pub opening: Option<Money>,
    /// Closing booked balance (CLBD).
    pub closing: Option<Money>,
    pub entries: Vec<Entry>,
}

/// One entry (`Ntry`) of a statement.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Entry {
    /// Its number in the statement, from 1, for errors and reports.
    pub number: usize,
    /// Signed: positive for money in (CRDT), negative for money out (DBIT).
    pub amount: i64,
    /// `RvslInd` true: this entry reverses an earlier one.
    pub reversal: bool,
    /// `BOOK`: booked; anything else (PDNG, INFO) is not booked.
    pub booked: bool,
    pub booking_date: Option<Day>,
    pub value_date: Option<Day>,
    /// `AcctSvcrRef` of the entry.
    pub bank_reference: String,
    /// The transaction details (`NtryDtls/TxDtls`); several make a batch.
    pub details: Vec<TxDetail>,
}

/// One transaction of an entry.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TxDetail {
    /// Its own amount, signed as the entry, if the bank gave one in the account's currency.
    pub amount: Option<i64>,
    pub end_to_end: String,
    pub bank_reference: String,
    pub counterparty: String,
    pub counterparty_iban: String,
    pub remittance: String,
    pub foreign: Option<ForeignDetails>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum StatementError {
    #[error("the statement is larger than {} MiB", MAX_BYTES / 1024 / 1024)]
    TooLarge,
    #[error("not well-formed XML at byte {position}: {message}")]
    Xml { position: u64, message: String },
    #[error("elements nested deeper than {MAX_DEPTH}")]
    TooDeep,
    /// More entries and transaction details than the import limit allows.
    #[error("more than {0} entries and transaction details ([limits] import_rows in razam.toml)")]
    TooManyEntries(usize),
    #[error("not a camt.053 bank-to-customer statement (namespace {0})")]
    NotCamt053(String),
    #[error("the file holds {0} statements; import each in a file of its own")]
    SeveralStatements(usize),
    #[error("the file holds no statement")]
    NoStatement,
    #[error("the statement names no account IBAN (Stmt/Acct/Id/IBAN)")]
    NoIban,
    #[error("the statement's IBAN is not valid")]
    BadIban,
    #[error("the statement's currency is not known (Stmt/Acct/Ccy or Amt/@Ccy): {0}")]
    NoCurrency(String),
    #[error("{place}: {message}")]
    Bad { place: String, message: String },
}

fn bad(place: impl Into<String>, message: impl Into<String>) -> StatementError {
    StatementError::Bad {
        place: place.into(),
        message: message.into(),
    }
}

/// A text and the currency attribute of its element, as read.
#[derive(Debug, Clone, Default)]
struct Amount {
    text: String,
    currency: String,
}

#[derive(Debug, Default)]
struct RawBalance {
    code: String,
    amount: Amount,
    credit_debit: String,
}

#[derive(Debug, Default)]
struct RawDetail {
    amount: Option<Amount>,
    credit_debit: String,
    end_to_end: String,
    bank_reference: String,
    debtor: String,
    creditor: String,
    debtor_iban: String,
    creditor_iban: String,
    remittance: Vec<String>,
    instructed: Option<Amount>,
    source_currency: String,
    target_currency: String,
    rate: String,
}

#[derive(Debug, Default)]
struct RawEntry {
    amount: Amount,
    credit_debit: String,
    reversal: String,
    status: String,
    booking_date: String,
    value_date: String,
    bank_reference: String,
    details: Vec<RawDetail>,
}

#[derive(Debug, Default)]
struct RawStatement {
    id: String,
    sequence: String,
    created: String,
    iban: String,
    currency: String,
    balances: Vec<RawBalance>,
    entries: Vec<RawEntry>,
}

/// Whether `path` (local names, outermost first) ends with `suffix`.
fn ends(path: &[String], suffix: &[&str]) -> bool {
    path.len() >= suffix.len()
        && path[path.len() - suffix.len()..]
            .iter()
            .zip(suffix)
            .all(|(a, b)| a == b)
}

fn currency_attribute(e: &BytesStart<'_>) -> String {
    e.attributes()
        .flatten()
        .find(|a| a.key.local_name().as_ref() == b"Ccy")
        .map(|a| String::from_utf8_lossy(&a.value).chars().take(8).collect())
        .unwrap_or_default()
}

/// Reads a camt.053 document of at most `max_entries` entries and transaction details
/// together (the instance passes `[limits] import_rows`).
pub fn parse_camt053(bytes: &[u8], max_entries: usize) -> Result<Statement, StatementError> {
    if bytes.len() > MAX_BYTES {
        return Err(StatementError::TooLarge);
    }
    let mut reader = quick_xml::Reader::from_reader(bytes);
    // Not trimmed by the reader: "a &amp; b" arrives in three pieces whose spaces count.
    reader.config_mut().trim_text(false);
    let mut path: Vec<String> = Vec::new();
    let mut text = String::new();
    let mut namespace: Option<String> = None;
    let mut statements: Vec<RawStatement> = Vec::new();
    let mut balance: Option<RawBalance> = None;
    let mut entry: Option<RawEntry> = None;
    let mut detail: Option<RawDetail> = None;
    let mut pending_currency = String::new();
    let mut count = 0usize;
    loop {
        let position = reader.buffer_position();
        let event = reader.read_event().map_err(|e| StatementError::Xml {
            position,
            message: e.to_string(),
        })?;
        match event {
            Event::Start(e) => {
                let name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
                if path.len() >= MAX_DEPTH {
                    return Err(StatementError::TooDeep);
                }
                if path.is_empty() {
                    if name != "Document" {
                        return Err(StatementError::NotCamt053(format!("root element {name}")));
                    }
                    let ns = e
                        .attributes()
                        .flatten()
                        .find(|a| a.key.as_ref() == b"xmlns")
                        .map(|a| String::from_utf8_lossy(&a.value).into_owned())
                        .unwrap_or_default();
                    namespace = Some(ns);
                }
                path.push(name);
                text.clear();
                pending_currency = currency_attribute(&e);
                match path.last().map(String::as_str) {
                    Some("Stmt") if ends(&path, &["BkToCstmrStmt", "Stmt"]) => statements.push(RawStatement::default()),
                    Some("Bal") if ends(&path, &["Stmt", "Bal"]) => balance = Some(RawBalance::default()),
                    Some("Ntry") if ends(&path, &["Stmt", "Ntry"]) => {
                        count += 1;
                        if count > max_entries {
                            return Err(StatementError::TooManyEntries(max_entries));
                        }
                        entry = Some(RawEntry::default());
                    }
                    Some("TxDtls") if entry.is_some() => {
                        count += 1;
                        if count > max_entries {
                            return Err(StatementError::TooManyEntries(max_entries));
                        }
                        detail = Some(RawDetail::default());
                    }
                    _ => {}
                }
            }
            Event::Empty(_) => {}
            Event::Text(t) => {
                let piece = t.decode().map_err(|e| StatementError::Xml {
                    position,
                    message: e.to_string(),
                })?;
                push_text(&mut text, &piece);
            }
            Event::CData(t) => push_text(&mut text, &String::from_utf8_lossy(&t)),
            Event::GeneralRef(r) => {
                let resolved: Cow<'_, str> = match r.resolve_char_ref() {
                    Ok(Some(c)) => Cow::Owned(c.to_string()),
                    _ => match &*r {
                        b"amp" => "&".into(),
                        b"lt" => "<".into(),
                        b"gt" => ">".into(),
                        b"quot" => "\"".into(),
                        b"apos" => "'".into(),
                        other => {
                            return Err(StatementError::Xml {
                                position,
                                message: format!("unknown entity &{};", String::from_utf8_lossy(other)),
                            });
                        }
                    },
                };
                push_text(&mut text, &resolved);
            }
            Event::End(_) => {
                let value = std::mem::take(&mut text).trim().to_owned();
                let currency = std::mem::take(&mut pending_currency);
                take_value(
                    &path,
                    value,
                    currency,
                    statements.last_mut(),
                    balance.as_mut(),
                    entry.as_mut(),
                    detail.as_mut(),
                );
                match path.last().map(String::as_str) {
                    Some("Bal") if ends(&path, &["Stmt", "Bal"]) => {
                        if let (Some(b), Some(s)) = (balance.take(), statements.last_mut()) {
                            s.balances.push(b);
                        }
                    }
                    Some("Ntry") if ends(&path, &["Stmt", "Ntry"]) => {
                        if let (Some(n), Some(s)) = (entry.take(), statements.last_mut()) {
                            s.entries.push(n);
                        }
                    }
                    Some("TxDtls") => {
                        if let (Some(d), Some(n)) = (detail.take(), entry.as_mut()) {
                            n.details.push(d);
                        }
                    }
                    _ => {}
                }
                path.pop();
            }
            Event::Eof => break,
            Event::Comment(_) | Event::Decl(_) | Event::PI(_) | Event::DocType(_) => {}
        }
    }
    if !path.is_empty() {
        return Err(StatementError::Xml {
            position: reader.buffer_position(),
            message: "the document ends inside an element".into(),
        });
    }
    let namespace = namespace.ok_or(StatementError::NoStatement)?;
    let format = namespace
        .strip_prefix("urn:iso:std:iso:20022:tech:xsd:")
        .filter(|v| v.starts_with("camt.053.001.0"))
        .ok_or_else(|| StatementError::NotCamt053(namespace.chars().take(100).collect()))?
        .to_owned();
    match statements.len() {
        0 => return Err(StatementError::NoStatement),
        1 => {}
        n => return Err(StatementError::SeveralStatements(n)),
    }
    let raw = statements.pop().ok_or(StatementError::NoStatement)?;
    finish(format, raw)
}

fn push_text(text: &mut String, piece: &str) {
    let room = MAX_TEXT.saturating_sub(text.len());
    text.extend(piece.chars().take(room));
}

/// Stores the text of the element that just ended where it belongs.
#[allow(clippy::too_many_arguments)]
fn take_value(
    path: &[String],
    value: String,
    currency: String,
    statement: Option<&mut RawStatement>,
    balance: Option<&mut RawBalance>,
    entry: Option<&mut RawEntry>,
    detail: Option<&mut RawDetail>,
) {
    // A container's end (e.g. `Sts` after `Sts/Cd`) has no text of its own.
    if value.is_empty() {
        return;
    }
    if let Some(d) = detail {
        let amount = || Amount {
            text: value.clone(),
            currency: currency.clone(),
        };
        if ends(path, &["TxDtls", "Amt"]) || ends(path, &["AmtDtls", "TxAmt", "Amt"]) {
            d.amount = Some(amount());
        } else if ends(path, &["AmtDtls", "InstdAmt", "Amt"]) {
            d.instructed = Some(amount());
        } else if ends(path, &["TxDtls", "CdtDbtInd"]) {
            d.credit_debit = value;
        } else if ends(path, &["Refs", "EndToEndId"]) {
            d.end_to_end = value;
        } else if ends(path, &["Refs", "AcctSvcrRef"]) {
            d.bank_reference = value;
        } else if ends(path, &["Dbtr", "Nm"]) || ends(path, &["Dbtr", "Pty", "Nm"]) {
            d.debtor = value;
        } else if ends(path, &["Cdtr", "Nm"]) || ends(path, &["Cdtr", "Pty", "Nm"]) {
            d.creditor = value;
        } else if ends(path, &["DbtrAcct", "Id", "IBAN"]) {
            d.debtor_iban = value;
        } else if ends(path, &["CdtrAcct", "Id", "IBAN"]) {
            d.creditor_iban = value;
        } else if ends(path, &["RmtInf", "Ustrd"]) || ends(path, &["CdtrRefInf", "Ref"]) {
            d.remittance.push(value);
        } else if ends(path, &["CcyXchg", "SrcCcy"]) {
            d.source_currency = value;
        } else if ends(path, &["CcyXchg", "TrgtCcy"]) {
            d.target_currency = value;
        } else if ends(path, &["CcyXchg", "XchgRate"]) {
            d.rate = value;
        }
        return;
    }
    if let Some(n) = entry {
        if ends(path, &["Ntry", "Amt"]) {
            n.amount = Amount { text: value, currency };
        } else if ends(path, &["Ntry", "CdtDbtInd"]) {
            n.credit_debit = value;
        } else if ends(path, &["Ntry", "RvslInd"]) {
            n.reversal = value;
        } else if ends(path, &["Ntry", "Sts"]) || ends(path, &["Ntry", "Sts", "Cd"]) {
            n.status = value;
        } else if ends(path, &["BookgDt", "Dt"]) || ends(path, &["BookgDt", "DtTm"]) {
            n.booking_date = value;
        } else if ends(path, &["ValDt", "Dt"]) || ends(path, &["ValDt", "DtTm"]) {
            n.value_date = value;
        } else if ends(path, &["Ntry", "AcctSvcrRef"]) {
            n.bank_reference = value;
        }
        return;
    }
    if let Some(b) = balance {
        if ends(path, &["Tp", "CdOrPrtry", "Cd"]) {
            b.code = value;
        } else if ends(path, &["Bal", "Amt"]) {
            b.amount = Amount { text: value, currency };
        } else if ends(path, &["Bal", "CdtDbtInd"]) {
            b.credit_debit = value;
        }
        return;
    }
    if let Some(s) = statement {
        if ends(path, &["Stmt", "Id"]) {
            s.id = value;
        } else if ends(path, &["Stmt", "ElctrncSeqNb"]) {
            s.sequence = value;
        } else if ends(path, &["Stmt", "CreDtTm"]) {
            s.created = value;
        } else if ends(path, &["Stmt", "Acct", "Id", "IBAN"]) {
            s.iban = value;
        } else if ends(path, &["Stmt", "Acct", "Ccy"]) {
            s.currency = value;
        }
    }
}

/// A signed amount: `text` in `currency` (which must be the statement's), negated for DBIT.
fn signed(amount: &Amount, credit_debit: &str, currency: Currency, place: &str) -> Result<i64, StatementError> {
    if !amount.currency.is_empty() && amount.currency != currency.code() {
        return Err(bad(
            place,
            format!("the amount is in {}, the account in {currency}", amount.currency),
        ));
    }
    let money = Money::parse(amount.text.trim(), currency).map_err(|e| bad(place, e.to_string()))?;
    if money.minor() < 0 {
        return Err(bad(place, "amounts are written without a sign (CdtDbtInd gives it)"));
    }
    match credit_debit {
        "CRDT" => Ok(money.minor()),
        "DBIT" => Ok(-money.minor()),
        other => Err(bad(
            place,
            format!(
                "CdtDbtInd is `{}`, not CRDT or DBIT",
                other.chars().take(10).collect::<String>()
            ),
        )),
    }
}

fn date(text: &str, place: &str) -> Result<Option<Day>, StatementError> {
    if text.is_empty() {
        return Ok(None);
    }
    let day = text.get(..10).unwrap_or(text);
    Day::parse(day).map(Some).map_err(|e| bad(place, e.to_string()))
}

fn finish(format: String, raw: RawStatement) -> Result<Statement, StatementError> {
    if raw.iban.is_empty() {
        return Err(StatementError::NoIban);
    }
    let iban = Iban::parse(&raw.iban).map_err(|_| StatementError::BadIban)?;
    let code = if raw.currency.is_empty() {
        raw.balances
            .iter()
            .map(|b| b.amount.currency.clone())
            .chain(raw.entries.iter().map(|e| e.amount.currency.clone()))
            .find(|c| !c.is_empty())
            .unwrap_or_default()
    } else {
        raw.currency.clone()
    };
    let currency = Currency::parse(&code).map_err(|_| StatementError::NoCurrency(code.chars().take(10).collect()))?;
    let mut opening = None;
    let mut closing = None;
    for b in &raw.balances {
        let place = format!("balance {}", b.code);
        let value = || signed(&b.amount, &b.credit_debit, currency, &place).map(|m| Money::from_minor(m, currency));
        match b.code.as_str() {
            "OPBD" => opening = Some(value()?),
            "PRCD" if opening.is_none() => opening = Some(value()?),
            "CLBD" => closing = Some(value()?),
            _ => {}
        }
    }
    let mut entries = Vec::with_capacity(raw.entries.len());
    for (i, n) in raw.entries.iter().enumerate() {
        let number = i + 1;
        let place = format!("entry {number}");
        let amount = signed(&n.amount, &n.credit_debit, currency, &place)?;
        let reversal = match n.reversal.as_str() {
            "" | "false" => false,
            "true" => true,
            other => {
                return Err(bad(
                    &place,
                    format!("RvslInd is `{}`", other.chars().take(10).collect::<String>()),
                ));
            }
        };
        let mut details = Vec::with_capacity(n.details.len());
        for (j, d) in n.details.iter().enumerate() {
            let place = format!("entry {number}, transaction {}", j + 1);
            let credit_debit = if d.credit_debit.is_empty() {
                n.credit_debit.as_str()
            } else {
                d.credit_debit.as_str()
            };
            // An amount in another currency than the account's is a foreign detail, kept as given.
            let amount = match &d.amount {
                Some(a) if a.currency.is_empty() || a.currency == currency.code() => {
                    Some(signed(a, credit_debit, currency, &place)?)
                }
                _ => None,
            };
            let incoming = amount.unwrap_or(amount_sign(n)) >= 0;
            let (counterparty, counterparty_iban) = if incoming {
                (&d.debtor, &d.debtor_iban)
            } else {
                (&d.creditor, &d.creditor_iban)
            };
            let foreign_amount = d.instructed.as_ref().or(d
                .amount
                .as_ref()
                .filter(|a| !a.currency.is_empty() && a.currency != currency.code()));
            let foreign = (foreign_amount.is_some() || !d.rate.is_empty()).then(|| ForeignDetails {
                instructed: foreign_amount
                    .map(|a| format!("{} {}", a.text, a.currency))
                    .unwrap_or_default(),
                source_currency: d.source_currency.clone(),
                target_currency: d.target_currency.clone(),
                rate: d.rate.clone(),
            });
            details.push(TxDetail {
                amount,
                end_to_end: d.end_to_end.clone(),
                bank_reference: d.bank_reference.clone(),
                counterparty: counterparty.clone(),
                counterparty_iban: counterparty_iban.clone(),
                remittance: d.remittance.join(" "),
                foreign,
            });
        }
        entries.push(Entry {
            number,
            amount,
            reversal,
            booked: n.status == "BOOK",
            booking_date: date(&n.booking_date, &place)?,
            value_date: date(&n.value_date, &place)?,
            bank_reference: n.bank_reference.clone(),
            details,
        });
    }
    let identity = format!("{format}\0{}\0{}\0{}", raw.id, raw.sequence, raw.created);
    Ok(Statement {
        format,
        identity,
        iban,
        currency,
        opening,
        closing,
        entries,
    })
}

fn amount_sign(n: &RawEntry) -> i64 {
    if n.credit_debit == "DBIT" { -1 } else { 1 }
}

/// How a bank's CSV export is laid out, saved per account. Columns are named by their
/// header text.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CsvMapping {
    /// The field separator: `,` (default) or `;` or a tab.
    #[serde(default)]
    pub delimiter: Option<char>,
    /// The booking date column.
    pub date: String,
    /// `YYYY-MM-DD` (default), `DD.MM.YYYY` or `DD/MM/YYYY`.
    #[serde(default)]
    pub date_format: Option<String>,
    /// One signed amount column, or a debit and a credit column.
    #[serde(default)]
    pub amount: Option<String>,
    #[serde(default)]
    pub debit: Option<String>,
    #[serde(default)]
    pub credit: Option<String>,
    /// A currency column; without it, the account's currency.
    #[serde(default)]
    pub currency: Option<String>,
    #[serde(default)]
    pub counterparty: Option<String>,
    #[serde(default)]
    pub counterparty_iban: Option<String>,
    /// The remittance text or reference column.
    #[serde(default)]
    pub reference: Option<String>,
    /// Amounts written `1.234,56`.
    #[serde(default)]
    pub decimal_comma: bool,
}

impl CsvMapping {
    pub fn check(&self) -> Result<(), String> {
        if self.date.trim().is_empty() {
            return Err("a CSV mapping names its date column".into());
        }
        match (&self.amount, &self.debit, &self.credit) {
            (Some(_), None, None) | (None, Some(_), Some(_)) => {}
            _ => return Err("a CSV mapping names either an amount column or a debit and a credit column".into()),
        }
        if let Some(f) = &self.date_format
            && !matches!(f.as_str(), "YYYY-MM-DD" | "DD.MM.YYYY" | "DD/MM/YYYY")
        {
            return Err("the date format is YYYY-MM-DD, DD.MM.YYYY or DD/MM/YYYY".into());
        }
        Ok(())
    }
}

/// Reads a CSV statement of the account `iban` (in `currency`) by `mapping`. Every row is a
/// booked entry; the statement has no balances. `identity` should tell this file from others
/// (the caller passes a digest of its bytes). At most `max_entries` rows are read.
pub fn parse_csv(
    bytes: &[u8],
    mapping: &CsvMapping,
    iban: Iban,
    currency: Currency,
    identity: String,
    max_entries: usize,
) -> Result<Statement, StatementError> {
    if bytes.len() > MAX_BYTES {
        return Err(StatementError::TooLarge);
    }
    mapping.check().map_err(|m| bad("the CSV mapping", m))?;
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(
            mapping
                .delimiter
                .map_or(b',', |c| if c.is_ascii() { c as u8 } else { b',' }),
        )
        .flexible(false)
        .from_reader(bytes);
    let headers = reader
        .headers()
        .map_err(|e| bad("the header row", e.to_string()))?
        .clone();
    let column = |name: &Option<String>| -> Result<Option<usize>, StatementError> {
        match name {
            None => Ok(None),
            Some(n) => headers
                .iter()
                .position(|h| h.trim() == n.trim())
                .map(Some)
                .ok_or_else(|| bad("the header row", format!("it has no column `{n}`"))),
        }
    };
    let date_col = column(&Some(mapping.date.clone()))?;
    let amount_col = column(&mapping.amount)?;
    let debit_col = column(&mapping.debit)?;
    let credit_col = column(&mapping.credit)?;
    let currency_col = column(&mapping.currency)?;
    let party_col = column(&mapping.counterparty)?;
    let party_iban_col = column(&mapping.counterparty_iban)?;
    let reference_col = column(&mapping.reference)?;
    let mut entries = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let line = i + 2;
        let record = record.map_err(|e| bad(format!("line {line}"), e.to_string()))?;
        if entries.len() >= max_entries {
            return Err(StatementError::TooManyEntries(max_entries));
        }
        let cell = |col: Option<usize>| col.and_then(|c| record.get(c)).unwrap_or("").trim();
        let at = |name: &str| format!("line {line}, column `{name}`");
        if let Some(c) = currency_col
            && !cell(Some(c)).is_empty()
            && cell(Some(c)) != currency.code()
        {
            return Err(bad(
                at(mapping.currency.as_deref().unwrap_or("")),
                format!("the row is in {}, the account in {currency}", cell(Some(c))),
            ));
        }
        let amount_of = |text: &str, name: &str| -> Result<i64, StatementError> {
            let normal = normalise_amount(text, mapping.decimal_comma);
            Money::parse(&normal, currency)
                .map(Money::minor)
                .map_err(|e| bad(at(name), e.to_string()))
        };
        let amount = match (amount_col, debit_col, credit_col) {
            (Some(c), _, _) => amount_of(cell(Some(c)), mapping.amount.as_deref().unwrap_or(""))?,
            (None, Some(d), Some(c)) => {
                let debit = cell(Some(d));
                let credit = cell(Some(c));
                let debit = if debit.is_empty() {
                    0
                } else {
                    amount_of(debit, mapping.debit.as_deref().unwrap_or(""))?.abs()
                };
                let credit = if credit.is_empty() {
                    0
                } else {
                    amount_of(credit, mapping.credit.as_deref().unwrap_or(""))?.abs()
                };
                credit
                    .checked_sub(debit)
                    .ok_or_else(|| bad(format!("line {line}"), "the amount is too large"))?
            }
            _ => return Err(bad("the CSV mapping", "no amount column")),
        };
        if amount == 0 {
            continue;
        }
        let day = parse_csv_date(cell(date_col), mapping.date_format.as_deref())
            .ok_or_else(|| bad(at(&mapping.date), format!("`{}` is not a date", cell(date_col))))?;
        entries.push(Entry {
            number: entries.len() + 1,
            amount,
            reversal: false,
            booked: true,
            booking_date: Some(day),
            value_date: None,
            bank_reference: String::new(),
            details: vec![TxDetail {
                amount: Some(amount),
                counterparty: cell(party_col).to_owned(),
                counterparty_iban: cell(party_iban_col).to_owned(),
                remittance: cell(reference_col).to_owned(),
                ..TxDetail::default()
            }],
        });
    }
    Ok(Statement {
        format: "csv".into(),
        identity,
        iban,
        currency,
        opening: None,
        closing: None,
        entries,
    })
}

/// `1.234,56` (decimal comma) or `1,234.56` into `1234.56`; a leading `+` dropped.
fn normalise_amount(text: &str, decimal_comma: bool) -> String {
    let text = text.trim().trim_start_matches('+');
    let (group, point) = if decimal_comma { ('.', ',') } else { (',', '.') };
    text.chars()
        .filter(|c| *c != group && *c != ' ' && *c != '\u{a0}' && *c != '\'')
        .map(|c| if c == point { '.' } else { c })
        .collect()
}

fn parse_csv_date(text: &str, format: Option<&str>) -> Option<Day> {
    match format.unwrap_or("YYYY-MM-DD") {
        "DD.MM.YYYY" | "DD/MM/YYYY" => {
            let parts: Vec<&str> = text.split(['.', '/']).collect();
            if parts.len() != 3 {
                return None;
            }
            Day::new(parts[2].parse().ok()?, parts[1].parse().ok()?, parts[0].parse().ok()?)
        }
        _ => Day::parse(text).ok(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const V02: &str = include_str!("../../../razam/tests/data/camt.053.001.02.xml");
    const V08: &str = include_str!("../../../razam/tests/data/camt.053.001.08.xml");
    /// The default `[limits] import_rows`.
    const LIMIT: usize = 2_000_000;

    #[test]
    fn more_entries_than_the_import_limit_are_refused_naming_the_setting() {
        let all = parse_camt053(V02.as_bytes(), LIMIT).unwrap();
        let counted: usize = all.entries.iter().map(|e| 1 + e.details.len()).sum();
        assert!(parse_camt053(V02.as_bytes(), counted).is_ok(), "at the limit it reads");
        let err = parse_camt053(V02.as_bytes(), counted - 1).unwrap_err();
        assert_eq!(err, StatementError::TooManyEntries(counted - 1));
        assert!(err.to_string().contains("[limits] import_rows"), "{err}");

        let mapping = CsvMapping {
            delimiter: Some(';'),
            date: "d".into(),
            amount: Some("a".into()),
            ..CsvMapping::default()
        };
        let iban = Iban::parse("DE89370400440532013000").unwrap();
        let csv = "d;a\n2024-01-02;1.00\n2024-01-03;2.00\n2024-01-04;3.00\n";
        let read = |limit| {
            parse_csv(
                csv.as_bytes(),
                &mapping,
                iban.clone(),
                Currency::EUR,
                String::new(),
                limit,
            )
        };
        assert_eq!(read(3).unwrap().entries.len(), 3);
        assert_eq!(read(2).unwrap_err(), StatementError::TooManyEntries(2));
    }

    #[test]
    fn both_versions_read_into_the_same_shape() {
        let s = parse_camt053(V02.as_bytes(), LIMIT).unwrap();
        assert_eq!(s.format, "camt.053.001.02");
        assert_eq!(s.iban.as_str(), "DE89370400440532013000");
        assert_eq!(
            (s.opening.unwrap().format(), s.closing.unwrap().format()),
            ("1000.00".into(), "1062.50".into())
        );
        assert_eq!(
            s.entries
                .iter()
                .map(|e| (e.amount, e.booked, e.details.len()))
                .collect::<Vec<_>>(),
            [
                (5000, true, 1),
                (12_000, true, 2),
                (-20_000, true, 1),
                (3000, false, 1),
                (9250, true, 1)
            ]
        );
        assert_eq!(s.entries[1].details[0].remittance, "Spende & Dank");
        assert_eq!(s.entries[1].details[1].amount, Some(5000));
        assert_eq!(s.entries[2].details[0].counterparty, "Law Office Example");
        let fx = s.entries[4].details[0].foreign.clone().unwrap();
        assert_eq!((fx.instructed.as_str(), fx.rate.as_str()), ("100.00 USD", "0.925"));
        let s = parse_camt053(V08.as_bytes(), LIMIT).unwrap();
        assert_eq!(s.format, "camt.053.001.08");
        assert_eq!(s.opening.unwrap().format(), "1062.50");
        assert!(s.entries[0].reversal && s.entries[0].booked && s.entries[0].amount == -5000);
        assert_eq!(s.entries[1].booking_date, Day::parse("2026-03-02").ok());
        assert!(!s.entries[2].booked);
    }

    #[test]
    fn every_truncation_is_refused_and_none_panics() {
        let full = parse_camt053(V02.as_bytes(), LIMIT).unwrap();
        for end in 0..V02.len() {
            match parse_camt053(&V02.as_bytes()[..end], LIMIT) {
                Err(_) => {}
                Ok(s) => assert_eq!(s, full, "a truncation at {end} read as another statement"),
            }
        }
    }

    #[test]
    fn hostile_documents_are_refused_with_their_reason() {
        let deep = format!("<Document>{}", "<a>".repeat(100_000));
        assert_eq!(parse_camt053(deep.as_bytes(), LIMIT), Err(StatementError::TooDeep));
        let huge = V02.replace(
            "<Amt Ccy=\"EUR\">50.00</Amt>",
            "<Amt Ccy=\"EUR\">99999999999999999999.99</Amt>",
        );
        let err = parse_camt053(huge.as_bytes(), LIMIT).unwrap_err().to_string();
        assert!(err.starts_with("entry 1: "), "{err}");
        let decimals = V02.replace("<Amt Ccy=\"EUR\">50.00</Amt>", "<Amt Ccy=\"EUR\">50.001</Amt>");
        assert!(
            parse_camt053(decimals.as_bytes(), LIMIT)
                .unwrap_err()
                .to_string()
                .contains("more decimal places")
        );
        let other = V02.replace("<Amt Ccy=\"EUR\">50.00</Amt>", "<Amt Ccy=\"USD\">50.00</Amt>");
        assert!(
            parse_camt053(other.as_bytes(), LIMIT)
                .unwrap_err()
                .to_string()
                .contains("in USD, the account in EUR")
        );
        let entity = V02.replace("Invoice 17", "&bomb;");
        assert!(
            parse_camt053(entity.as_bytes(), LIMIT)
                .unwrap_err()
                .to_string()
                .contains("unknown entity")
        );
        let two = V02.replace("</Stmt>", "</Stmt><Stmt><Acct><Id><IBAN>X</IBAN></Id></Acct></Stmt>");
        assert_eq!(
            parse_camt053(two.as_bytes(), LIMIT),
            Err(StatementError::SeveralStatements(2))
        );
        let pain = V02.replace("camt.053.001.02", "pain.001.001.03");
        assert!(matches!(
            parse_camt053(pain.as_bytes(), LIMIT),
            Err(StatementError::NotCamt053(_))
        ));
        let mismatched = V02.replace("</Ntry>", "</Ntri>");
        assert!(matches!(
            parse_camt053(mismatched.as_bytes(), LIMIT),
            Err(StatementError::Xml { .. })
        ));
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

        #[test]
        fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2000)) {
            let _ = parse_camt053(&bytes, LIMIT);
        }

        #[test]
        fn a_valid_statement_with_one_byte_changed_never_panics(at in 0..V08.len(), byte in any::<u8>()) {
            let mut bytes = V08.as_bytes().to_vec();
            bytes[at] = byte;
            let _ = parse_camt053(&bytes, LIMIT);
        }

        #[test]
        fn random_csv_never_panics(text in "[0-9a-z;,.\\-\n\" ]{0,400}") {
            let mapping = CsvMapping {
                delimiter: Some(';'),
                date: "d".into(),
                date_format: Some("DD.MM.YYYY".into()),
                amount: Some("a".into()),
                decimal_comma: true,
                ..CsvMapping::default()
            };
            let iban = Iban::parse("DE89370400440532013000").unwrap();
            let _ = parse_csv(format!("d;a\n{text}").as_bytes(), &mapping, iban, Currency::EUR, String::new(), LIMIT);
        }
    }
}
