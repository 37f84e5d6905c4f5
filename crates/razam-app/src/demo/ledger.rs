//! The demo books: a foundation's bank account in EUR and one in PLN (fictional IBANs with
//! valid check digits), a cash box, opening balances, donations, payments for lawyers and
//! families, an exchange and a reversal. Deterministic: the same books every time. The campaigns add their donations on top.

use razam_core::ledger::{AccountKind, AccountRules, Currency, Iban, Money, Posting};
use razam_core::registry::Day;

use crate::ledger::{AccountSpec, BookRequest, ExchangeRequest, TransferDetails};
use crate::{Actor, App, AppError};

/// The demo's bank accounts (fictional; the check digits are valid).
pub const DEMO_IBAN_EUR: &str = "DE89370400440532013000";
pub const DEMO_IBAN_PLN: &str = "PL61109010140000071219812874";

fn money(text: &str, currency: Currency) -> Result<Money, AppError> {
    Money::parse(text, currency).map_err(|e| AppError::BadInput(e.to_string()))
}

fn day(text: &str) -> Result<Day, AppError> {
    Day::parse(text).map_err(|e| AppError::BadInput(e.to_string()))
}

fn iban(text: &str) -> Result<Iban, AppError> {
    Iban::parse(text).map_err(|e| AppError::BadInput(e.to_string()))
}

impl App {
    /// Writes the demo books; returns how many transfers were booked.
    pub(crate) async fn write_demo_ledger(&self) -> Result<usize, AppError> {
        let cli = Actor::Cli;
        let eur = Currency::EUR;
        let pln = Currency::PLN;
        let account = |code: &str, name: &str, kind, currency, no_negative, iban: Option<Iban>| AccountSpec {
            code: code.into(),
            name: name.into(),
            kind,
            currency: Some(currency),
            rules: AccountRules { no_negative },
            iban,
        };
        let bank_eur = self
            .create_ledger_account(
                &cli,
                account(
                    "bank-eur",
                    "Foundation account (EUR)",
                    AccountKind::Asset,
                    eur,
                    false,
                    Some(iban(DEMO_IBAN_EUR)?),
                ),
            )
            .await?;
        let bank_pln = self
            .create_ledger_account(
                &cli,
                account(
                    "bank-pln",
                    "Foundation account (PLN)",
                    AccountKind::Asset,
                    pln,
                    false,
                    Some(iban(DEMO_IBAN_PLN)?),
                ),
            )
            .await?;
        let cash = self
            .create_ledger_account(
                &cli,
                account(
                    "cash-pln",
                    "Cash box, Warsaw office",
                    AccountKind::Asset,
                    pln,
                    true,
                    None,
                ),
            )
            .await?;
        let donations = self
            .create_ledger_account(
                &cli,
                account(
                    "donations-eur",
                    "General donations",
                    AccountKind::Income,
                    eur,
                    false,
                    None,
                ),
            )
            .await?;
        let legal = self
            .create_ledger_account(
                &cli,
                account("legal-aid", "Lawyers' fees", AccountKind::Expense, pln, false, None),
            )
            .await?;
        let families = self
            .create_ledger_account(
                &cli,
                account(
                    "family-aid",
                    "Support for families",
                    AccountKind::Expense,
                    pln,
                    false,
                    None,
                ),
            )
            .await?;
        let fees = self
            .create_ledger_account(
                &cli,
                account("bank-fees", "Bank fees", AccountKind::Expense, eur, false, None),
            )
            .await?;
        let opening = self.system_account(&cli, crate::ledger::OPENING_BALANCES).await?;

        let post = |account, amount| Posting { account, amount };
        let book = |key: &str, on: &str, memo: &str, postings: Vec<Posting>| -> Result<BookRequest, AppError> {
            Ok(BookRequest {
                idempotency_key: Some(format!("demo {key}")),
                booked_on: day(on)?,
                postings,
                details: TransferDetails::memo(memo),
            })
        };
        let m = money;
        let requests = vec![
            book(
                "opening eur",
                "2026-01-01",
                "opening balance",
                vec![post(bank_eur, m("12500.00", eur)?), post(opening, m("-12500.00", eur)?)],
            )?,
            book(
                "opening pln",
                "2026-01-01",
                "opening balance",
                vec![post(bank_pln, m("8400.00", pln)?), post(opening, m("-8400.00", pln)?)],
            )?,
            book(
                "cash",
                "2026-01-05",
                "cash for the office",
                vec![post(cash, m("1500.00", pln)?), post(bank_pln, m("-1500.00", pln)?)],
            )?,
            book(
                "donation 1",
                "2026-01-12",
                "monthly donors, January",
                vec![post(bank_eur, m("2340.00", eur)?), post(donations, m("-2340.00", eur)?)],
            )?,
            book(
                "lawyer 1",
                "2026-01-20",
                "lawyer, case 2026-014",
                vec![post(legal, m("3200.00", pln)?), post(bank_pln, m("-3200.00", pln)?)],
            )?,
            book(
                "family 1",
                "2026-01-28",
                "parcel money, case 2026-009",
                vec![post(families, m("400.00", pln)?), post(cash, m("-400.00", pln)?)],
            )?,
            book(
                "fee 1",
                "2026-01-31",
                "account fee",
                vec![post(fees, m("9.90", eur)?), post(bank_eur, m("-9.90", eur)?)],
            )?,
        ];
        let booked = self.ledger_book_batch(&cli, &requests).await?;
        self.ledger_exchange(
            &cli,
            &ExchangeRequest {
                idempotency_key: Some("demo exchange 1".into()),
                booked_on: day("2026-02-10")?,
                from_account: bank_eur,
                from: m("2000.00", eur)?,
                to_account: bank_pln,
                to: m("8516.00", pln)?,
                rate: None,
                details: TransferDetails::memo("exchange for payments in Poland"),
            },
        )
        .await?;
        // A payment booked twice by mistake, and its reversal.
        let twice = book(
            "family 2",
            "2026-02-12",
            "parcel money, case 2026-011",
            vec![post(families, m("250.00", pln)?), post(cash, m("-250.00", pln)?)],
        )?;
        let mistaken = self.ledger_book(&cli, &twice).await?;
        self.ledger_reverse(&cli, mistaken.id, None, "booked twice").await?;
        Ok(booked.len() + 3)
    }
}
