//! The ledger's vocabulary (issue 6): currencies, money in integer minor units, account
//! kinds and rules, transfers as postings balanced per currency, exchange rates as decimal
//! text, IBANs. No floating point anywhere: an amount is an `i64` count of the currency's
//! minor unit (cents, groszy, kopecks; yen have none), and every sum is checked.
//!
//! Signs: a posting's amount is positive for a debit and negative for a credit, so the
//! postings of a transfer add up to zero in each currency, and an account's balance is the
//! sum of its postings. An asset or expense account normally has a positive balance; a
//! liability, equity or income account a negative one ([`AccountKind::normal_sign`]).

use std::collections::BTreeMap;
use std::fmt;

/// A currency: its ISO 4217 code and how many decimal places its minor unit has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Currency {
    code: &'static str,
    exponent: u8,
}

/// The currencies Razam knows, with their ISO 4217 minor-unit exponents.
const CURRENCIES: &[(&str, u8)] = &[
    ("AMD", 2),
    ("AUD", 2),
    ("AZN", 2),
    ("BGN", 2),
    ("BHD", 3),
    ("BYN", 2),
    ("CAD", 2),
    ("CHF", 2),
    ("CNY", 2),
    ("CZK", 2),
    ("DKK", 2),
    ("EUR", 2),
    ("GBP", 2),
    ("GEL", 2),
    ("HUF", 2),
    ("ILS", 2),
    ("ISK", 0),
    ("JOD", 3),
    ("JPY", 0),
    ("KRW", 0),
    ("KWD", 3),
    ("KZT", 2),
    ("LTL", 2),
    ("MDL", 2),
    ("NOK", 2),
    ("NZD", 2),
    ("PLN", 2),
    ("RON", 2),
    ("RSD", 2),
    ("RUB", 2),
    ("SEK", 2),
    ("TRY", 2),
    ("UAH", 2),
    ("USD", 2),
];

impl Currency {
    pub const EUR: Currency = Currency {
        code: "EUR",
        exponent: 2,
    };
    pub const USD: Currency = Currency {
        code: "USD",
        exponent: 2,
    };
    pub const PLN: Currency = Currency {
        code: "PLN",
        exponent: 2,
    };
    pub const JPY: Currency = Currency {
        code: "JPY",
        exponent: 0,
    };

    /// The currency with this ISO 4217 code (upper case, as banks write it).
    pub fn parse(code: &str) -> Result<Currency, LedgerError> {
        CURRENCIES
            .iter()
            .find(|(c, _)| *c == code)
            .map(|&(code, exponent)| Currency { code, exponent })
            .ok_or_else(|| LedgerError::UnknownCurrency(code.chars().take(10).collect()))
    }

    /// Every currency known, by code.
    pub fn all() -> impl Iterator<Item = Currency> {
        CURRENCIES.iter().map(|&(code, exponent)| Currency { code, exponent })
    }

    pub fn code(self) -> &'static str {
        self.code
    }

    /// Decimal places of the minor unit: 2 for EUR, 0 for JPY, 3 for KWD.
    pub fn exponent(self) -> u8 {
        self.exponent
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.code)
    }
}

/// An amount of one currency, as a signed count of its minor unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Money {
    minor: i64,
    currency: Currency,
}

impl Money {
    pub fn from_minor(minor: i64, currency: Currency) -> Money {
        Money { minor, currency }
    }

    pub fn zero(currency: Currency) -> Money {
        Money { minor: 0, currency }
    }

    pub fn minor(self) -> i64 {
        self.minor
    }

    pub fn currency(self) -> Currency {
        self.currency
    }

    pub fn is_zero(self) -> bool {
        self.minor == 0
    }

    /// Parses `1234.56`, `-0.5`, `1234` exactly: an optional minus, digits, and at most the
    /// currency's decimal places after a point. No plus sign, spaces, grouping or exponent.
    pub fn parse(text: &str, currency: Currency) -> Result<Money, LedgerError> {
        let bad = || LedgerError::BadAmount {
            text: text.chars().take(40).collect(),
            currency,
        };
        let (negative, digits) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let (whole, fraction) = match digits.split_once('.') {
            Some((w, f)) => (w, Some(f)),
            None => (digits, None),
        };
        let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if whole.is_empty() || !all_digits(whole) {
            return Err(bad());
        }
        let fraction = fraction.unwrap_or("");
        if !all_digits(fraction) || digits.ends_with('.') {
            return Err(bad());
        }
        let places = usize::from(currency.exponent);
        if fraction.len() > places {
            return Err(LedgerError::TooManyDecimals {
                text: text.chars().take(40).collect(),
                currency,
            });
        }
        let mut minor: i64 = 0;
        for b in whole.bytes().chain(fraction.bytes()) {
            minor = minor
                .checked_mul(10)
                .and_then(|m| m.checked_add(i64::from(b - b'0')))
                .ok_or_else(bad)?;
        }
        for _ in fraction.len()..places {
            minor = minor.checked_mul(10).ok_or_else(bad)?;
        }
        Ok(Money {
            minor: if negative { -minor } else { minor },
            currency,
        })
    }

    /// The amount as `1234.56` (`-1234.56`, `1234` for yen): what [`Money::parse`] reads.
    pub fn format(self) -> String {
        format_minor(self.minor, self.currency.exponent)
    }

    pub fn checked_add(self, other: Money) -> Result<Money, LedgerError> {
        self.same_currency(other)?;
        self.minor
            .checked_add(other.minor)
            .map(|minor| Money { minor, ..self })
            .ok_or(LedgerError::Overflow)
    }

    pub fn checked_sub(self, other: Money) -> Result<Money, LedgerError> {
        self.same_currency(other)?;
        self.minor
            .checked_sub(other.minor)
            .map(|minor| Money { minor, ..self })
            .ok_or(LedgerError::Overflow)
    }

    pub fn checked_neg(self) -> Result<Money, LedgerError> {
        self.minor
            .checked_neg()
            .map(|minor| Money { minor, ..self })
            .ok_or(LedgerError::Overflow)
    }

    fn same_currency(self, other: Money) -> Result<(), LedgerError> {
        if self.currency == other.currency {
            Ok(())
        } else {
            Err(LedgerError::CurrencyMismatch(self.currency, other.currency))
        }
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.format(), self.currency)
    }
}

/// `minor` with `exponent` decimal places, exactly.
pub fn format_minor(minor: i64, exponent: u8) -> String {
    let digits = minor.unsigned_abs().to_string();
    let places = usize::from(exponent);
    let sign = if minor < 0 { "-" } else { "" };
    if places == 0 {
        return format!("{sign}{digits}");
    }
    let padded = format!("{digits:0>width$}", width = places + 1);
    let (whole, fraction) = padded.split_at(padded.len() - places);
    format!("{sign}{whole}.{fraction}")
}

/// The five kinds of account of double-entry bookkeeping.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AccountKind {
    Asset,
    Liability,
    Equity,
    Income,
    Expense,
}

impl AccountKind {
    pub const ALL: [AccountKind; 5] = [
        AccountKind::Asset,
        AccountKind::Liability,
        AccountKind::Equity,
        AccountKind::Income,
        AccountKind::Expense,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AccountKind::Asset => "asset",
            AccountKind::Liability => "liability",
            AccountKind::Equity => "equity",
            AccountKind::Income => "income",
            AccountKind::Expense => "expense",
        }
    }

    pub fn parse(s: &str) -> Result<AccountKind, LedgerError> {
        AccountKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| LedgerError::UnknownKind(s.chars().take(20).collect()))
    }

    /// +1 where the balance is normally a debit (assets, expenses), −1 where it is normally
    /// a credit (liabilities, equity, income). The balance "on the normal side" is the sum of
    /// postings times this sign.
    pub fn normal_sign(self) -> i64 {
        match self {
            AccountKind::Asset | AccountKind::Expense => 1,
            AccountKind::Liability | AccountKind::Equity | AccountKind::Income => -1,
        }
    }
}

/// Rules an account's balance must keep after every transfer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AccountRules {
    /// The balance on the account's normal side never goes below zero (cash cannot be
    /// spent twice; a campaign fund cannot pay out more than it received).
    pub no_negative: bool,
}

impl AccountRules {
    /// Whether `balance` (the sum of postings) keeps the rules of an account of `kind`.
    pub fn allows(self, kind: AccountKind, balance: i64) -> bool {
        !self.no_negative || balance.saturating_mul(kind.normal_sign()) >= 0
    }
}

/// One line of a transfer: an amount debited (positive) or credited (negative) to an
/// account, in one currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Posting {
    pub account: i64,
    pub amount: Money,
}

/// Checks that postings form a transfer: at least two, none zero, and summing to zero in
/// each currency (the sums are taken in `i128`, so no sum overflows).
pub fn check_balanced(postings: &[Posting]) -> Result<(), LedgerError> {
    if postings.len() < 2 {
        return Err(LedgerError::TooFewPostings);
    }
    if postings.iter().any(|p| p.amount.is_zero()) {
        return Err(LedgerError::ZeroPosting);
    }
    let mut sums: BTreeMap<Currency, i128> = BTreeMap::new();
    for p in postings {
        *sums.entry(p.amount.currency()).or_default() += i128::from(p.amount.minor());
    }
    match sums.into_iter().find(|(_, sum)| *sum != 0) {
        Some((currency, sum)) => Err(LedgerError::Unbalanced {
            currency,
            off: format_minor(
                sum.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64,
                currency.exponent,
            ),
        }),
        None => Ok(()),
    }
}

/// The postings that undo `postings`: each negated.
pub fn reversal_of(postings: &[Posting]) -> Result<Vec<Posting>, LedgerError> {
    postings
        .iter()
        .map(|p| {
            Ok(Posting {
                account: p.account,
                amount: p.amount.checked_neg()?,
            })
        })
        .collect()
}

/// What a transfer is, as recorded with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TransferKind {
    /// Booked by hand or through the API.
    Booking,
    /// Money changed from one currency into another through an exchange account.
    Exchange,
    /// The reversal of an earlier transfer.
    Reversal,
    /// A bank account's opening balance, from its first statement.
    Opening,
    /// An entry of a bank statement.
    Statement,
    /// A payment moved out of the reconciliation queue to the account it belongs to.
    Resolution,
}

impl TransferKind {
    pub const ALL: [TransferKind; 6] = [
        TransferKind::Booking,
        TransferKind::Exchange,
        TransferKind::Reversal,
        TransferKind::Opening,
        TransferKind::Statement,
        TransferKind::Resolution,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TransferKind::Booking => "booking",
            TransferKind::Exchange => "exchange",
            TransferKind::Reversal => "reversal",
            TransferKind::Opening => "opening",
            TransferKind::Statement => "statement",
            TransferKind::Resolution => "resolution",
        }
    }

    pub fn parse(s: &str) -> Option<TransferKind> {
        TransferKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// An exchange rate as exact decimal text: how many units of the target currency one unit
/// of the source currency bought (`4.2817`). Never a float.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExchangeRate(String);

/// Decimal places a derived rate is given with.
const RATE_PLACES: u32 = 8;

impl ExchangeRate {
    /// A positive decimal such as `4.2817` or `0.2335`; at most 30 characters.
    pub fn parse(text: &str) -> Result<ExchangeRate, LedgerError> {
        let bad = || LedgerError::BadRate(text.chars().take(40).collect());
        let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
        let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if text.len() > 30 || whole.is_empty() || !digits(whole) || !digits(fraction) || text.ends_with('.') {
            return Err(bad());
        }
        if whole.bytes().chain(fraction.bytes()).all(|b| b == b'0') {
            return Err(bad());
        }
        Ok(ExchangeRate(text.to_owned()))
    }

    /// The rate `to / from` in major units, to eight decimal places (rounded half up), from
    /// the two amounts of an exchange; both must be positive.
    pub fn between(from: Money, to: Money) -> Result<ExchangeRate, LedgerError> {
        if from.minor() <= 0 || to.minor() <= 0 {
            return Err(LedgerError::BadRate("an exchange needs two positive amounts".into()));
        }
        // to/10^et ÷ from/10^ef = to·10^ef / (from·10^et); times 10^8, in i128.
        let scale = 10_i128.pow(RATE_PLACES);
        let numerator = i128::from(to.minor()) * 10_i128.pow(u32::from(from.currency().exponent())) * scale;
        let denominator = i128::from(from.minor()) * 10_i128.pow(u32::from(to.currency().exponent()));
        let scaled = (2 * numerator + denominator) / (2 * denominator);
        if scaled == 0 {
            return Err(LedgerError::BadRate("the rate rounds to zero".into()));
        }
        let whole = scaled / scale;
        let fraction = format!("{:0>8}", scaled % scale);
        let fraction = fraction.trim_end_matches('0');
        Ok(ExchangeRate(if fraction.is_empty() {
            whole.to_string()
        } else {
            format!("{whole}.{fraction}")
        }))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An International Bank Account Number, upper case without spaces, its check digits
/// verified (ISO 13616, mod 97).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Iban(String);

impl Iban {
    pub fn parse(text: &str) -> Result<Iban, LedgerError> {
        let compact: String = text
            .chars()
            .filter(|c| !c.is_whitespace())
            .map(|c| c.to_ascii_uppercase())
            .collect();
        let b = compact.as_bytes();
        let shaped = (15..=34).contains(&b.len())
            && b[..2].iter().all(u8::is_ascii_uppercase)
            && b[2..4].iter().all(u8::is_ascii_digit)
            && b.iter().all(u8::is_ascii_alphanumeric);
        if !shaped {
            return Err(LedgerError::BadIban);
        }
        let mut remainder: u32 = 0;
        for &c in b[4..].iter().chain(&b[..4]) {
            let value = if c.is_ascii_digit() {
                u32::from(c - b'0')
            } else {
                u32::from(c - b'A') + 10
            };
            remainder = if value >= 10 {
                (remainder * 100 + value) % 97
            } else {
                (remainder * 10 + value) % 97
            };
        }
        if remainder != 1 {
            return Err(LedgerError::BadIban);
        }
        Ok(Iban(compact))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The last four characters, for showing which account without showing the number.
    pub fn tail(&self) -> &str {
        &self.0[self.0.len().saturating_sub(4)..]
    }
}

/// An IBAN is personal data when it is a counterparty's: it never prints in `Debug`.
impl fmt::Debug for Iban {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Iban(…)")
    }
}

/// Why an amount, a transfer or an account is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LedgerError {
    #[error("unknown currency `{0}` (expected an ISO 4217 code such as EUR, USD, PLN, UAH, BYN)")]
    UnknownCurrency(String),
    #[error(
        "`{text}` is not an amount of {currency} (expected digits with an optional minus and decimal point, e.g. 1234.56)"
    )]
    BadAmount { text: String, currency: Currency },
    #[error("`{text}` has more decimal places than {currency} has")]
    TooManyDecimals { text: String, currency: Currency },
    #[error("unknown account kind `{0}` (expected asset, liability, equity, income or expense)")]
    UnknownKind(String),
    #[error("the amount is too large")]
    Overflow,
    #[error("{0} and {1} cannot be added")]
    CurrencyMismatch(Currency, Currency),
    #[error("a transfer needs at least two postings")]
    TooFewPostings,
    #[error("a posting of zero books nothing")]
    ZeroPosting,
    #[error("the postings do not balance: {currency} is off by {off}")]
    Unbalanced { currency: Currency, off: String },
    #[error("`{0}` is not an exchange rate (expected a positive decimal such as 4.2817)")]
    BadRate(String),
    #[error("not a valid IBAN (country, check digits and account number; the check digits must agree)")]
    BadIban,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_parse_and_format_exactly_in_each_currency() {
        let eur = Currency::parse("EUR").unwrap();
        for (text, minor, back) in [
            ("1234.56", 123_456, "1234.56"),
            ("0.5", 50, "0.50"),
            ("-0.05", -5, "-0.05"),
            ("7", 700, "7.00"),
            ("92233720368547758.07", i64::MAX, "92233720368547758.07"),
        ] {
            let m = Money::parse(text, eur).unwrap();
            assert_eq!(m.minor(), minor, "{text}");
            assert_eq!(m.format(), back);
        }
        let jpy = Currency::parse("JPY").unwrap();
        assert_eq!(Money::parse("1500", jpy).unwrap().format(), "1500");
        assert!(matches!(
            Money::parse("1500.5", jpy),
            Err(LedgerError::TooManyDecimals { .. })
        ));
        let kwd = Currency::parse("KWD").unwrap();
        assert_eq!(Money::parse("1.5", kwd).unwrap().minor(), 1500);
        for bad in [
            "",
            "-",
            ".5",
            "5.",
            "1,5",
            "+1",
            "1e3",
            " 1",
            "92233720368547758.08",
            "1.2.3",
            "--1",
        ] {
            assert!(Money::parse(bad, eur).is_err(), "{bad}");
        }
        assert!(Money::parse("1.234", eur).is_err());
        assert!(Currency::parse("XXX").is_err());
        assert!(Currency::parse("eur").is_err());
    }

    #[test]
    fn arithmetic_is_checked_and_keeps_currencies_apart() {
        let a = Money::from_minor(i64::MAX, Currency::EUR);
        assert_eq!(
            a.checked_add(Money::from_minor(1, Currency::EUR)),
            Err(LedgerError::Overflow)
        );
        assert_eq!(
            Money::from_minor(i64::MIN, Currency::EUR).checked_neg(),
            Err(LedgerError::Overflow)
        );
        assert!(matches!(
            Money::from_minor(1, Currency::EUR).checked_add(Money::from_minor(1, Currency::PLN)),
            Err(LedgerError::CurrencyMismatch(..))
        ));
        assert_eq!(
            Money::from_minor(150, Currency::EUR)
                .checked_sub(Money::from_minor(200, Currency::EUR))
                .unwrap()
                .format(),
            "-0.50"
        );
    }

    #[test]
    fn a_transfer_balances_in_each_currency_or_is_refused() {
        let p = |account, minor, currency| Posting {
            account,
            amount: Money::from_minor(minor, currency),
        };
        assert!(check_balanced(&[p(1, 100, Currency::EUR), p(2, -100, Currency::EUR)]).is_ok());
        // An exchange: two currencies, each balanced through the exchange account 9.
        assert!(
            check_balanced(&[
                p(1, -100, Currency::EUR),
                p(9, 100, Currency::EUR),
                p(9, -428, Currency::PLN),
                p(2, 428, Currency::PLN),
            ])
            .is_ok()
        );
        assert!(matches!(
            check_balanced(&[p(1, 100, Currency::EUR), p(2, -100, Currency::PLN)]),
            Err(LedgerError::Unbalanced { .. })
        ));
        assert_eq!(
            check_balanced(&[p(1, 0, Currency::EUR), p(2, 0, Currency::EUR)]),
            Err(LedgerError::ZeroPosting)
        );
        assert_eq!(
            check_balanced(&[p(1, 5, Currency::EUR)]),
            Err(LedgerError::TooFewPostings)
        );
        // Sums are taken wide: two maximal debits against two maximal credits balance.
        assert!(
            check_balanced(&[
                p(1, i64::MAX, Currency::EUR),
                p(1, i64::MAX, Currency::EUR),
                p(2, -i64::MAX, Currency::EUR),
                p(2, -i64::MAX, Currency::EUR),
            ])
            .is_ok()
        );
    }

    #[test]
    fn no_negative_is_judged_on_the_accounts_normal_side() {
        let rules = AccountRules { no_negative: true };
        assert!(rules.allows(AccountKind::Asset, 0));
        assert!(rules.allows(AccountKind::Asset, 5));
        assert!(!rules.allows(AccountKind::Asset, -1));
        assert!(rules.allows(AccountKind::Income, -5));
        assert!(!rules.allows(AccountKind::Income, 1));
        assert!(AccountRules::default().allows(AccountKind::Asset, -1));
    }

    #[test]
    fn rates_are_decimal_text_derived_exactly() {
        let eur = Money::from_minor(10_000, Currency::EUR);
        let pln = Money::from_minor(42_817, Currency::PLN);
        assert_eq!(ExchangeRate::between(eur, pln).unwrap().as_str(), "4.2817");
        let jpy = Money::from_minor(16_250, Currency::JPY);
        assert_eq!(ExchangeRate::between(eur, jpy).unwrap().as_str(), "162.5");
        assert_eq!(ExchangeRate::between(jpy, eur).unwrap().as_str(), "0.00615385");
        assert!(ExchangeRate::parse("4.2817").is_ok());
        for bad in ["", "0", "0.000", "-1", "1e2", "4,28", "4.", ".4"] {
            assert!(ExchangeRate::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn ibans_are_checked_by_their_digits() {
        let iban = Iban::parse("de89 3704 0044 0532 0130 00").unwrap();
        assert_eq!(iban.as_str(), "DE89370400440532013000");
        assert_eq!(iban.tail(), "3000");
        assert_eq!(format!("{iban:?}"), "Iban(…)");
        assert!(Iban::parse("PL61109010140000071219812874").is_ok());
        assert!(Iban::parse("CH9300762011623852957").is_ok());
        assert_eq!(Iban::parse("DE88370400440532013000"), Err(LedgerError::BadIban));
        assert_eq!(Iban::parse("DE89"), Err(LedgerError::BadIban));
        assert_eq!(Iban::parse("ДE89370400440532013000"), Err(LedgerError::BadIban));
    }
}
