//! `razam ledger …`: bank statements in, balances and the whole-ledger check out
//! ([docs/ledger.md](../../../docs/ledger.md)).

use std::path::PathBuf;

use anyhow::Context;
use clap::Subcommand;
use razam_app::config::Overrides;
use razam_app::ledger::AccountSpec;
use razam_app::ledger::statement::{CsvMapping, MAX_BYTES};
use razam_app::{Actor, AppError};
use razam_core::ledger::{AccountKind, AccountRules, Currency, Iban};

use crate::{UnlockArgs, open};

#[derive(Subcommand)]
pub enum LedgerCommand {
    /// Book a bank statement (camt.053 .001.02–.08, or CSV by the account's saved mapping)
    /// into the bank account with its IBAN, all or nothing: pending entries are not booked,
    /// batches are split, reversals reverse, and if the opening balance plus the entries is
    /// not the closing booked balance nothing is booked. The same statement again books
    /// nothing. An account's first statement books its opening balance.
    ImportStatement {
        #[command(flatten)]
        unlock: UnlockArgs,
        /// The account's IBAN: needed for a CSV statement (camt.053 names its own).
        #[arg(long, value_name = "IBAN")]
        iban: Option<String>,
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
    /// Print a bank account's ledger balance.
    Balance {
        #[command(flatten)]
        unlock: UnlockArgs,
        #[arg(long, value_name = "IBAN")]
        iban: String,
        /// text or json (`{"iban": …, "currency": …, "balance": "1234.56"}`).
        #[arg(long, default_value = "text")]
        format: String,
    },
    /// Prove the ledger's invariants over every transfer: balanced per currency, stored
    /// balances equal to the postings, no rule ever broken, reversals paired, audit entries
    /// present. Exit code 1 if any is broken.
    Check {
        #[command(flatten)]
        unlock: UnlockArgs,
    },
    /// Open an account.
    OpenAccount {
        #[command(flatten)]
        unlock: UnlockArgs,
        /// A short unique code (not personal): bank-eur, cash-pln, campaign-12.
        #[arg(long)]
        code: String,
        #[arg(long)]
        name: String,
        /// asset, liability, equity, income or expense.
        #[arg(long)]
        kind: String,
        /// ISO 4217 code; omitted: any currency.
        #[arg(long)]
        currency: Option<String>,
        /// One of our bank accounts (an asset in one currency).
        #[arg(long)]
        iban: Option<String>,
        /// Its balance on its normal side may never go below zero.
        #[arg(long)]
        no_negative: bool,
    },
    /// Save how a bank account's CSV statements are laid out, as JSON, e.g.
    /// `{"date": "Date", "date_format": "DD.MM.YYYY", "amount": "Amount", "counterparty":
    /// "Name", "reference": "Details", "delimiter": ";", "decimal_comma": true}`.
    CsvMapping {
        #[command(flatten)]
        unlock: UnlockArgs,
        #[arg(long, value_name = "IBAN")]
        iban: String,
        #[arg(long, value_name = "JSON")]
        mapping: String,
    },
    /// Register a reference code (e.g. a campaign's): incoming payments whose remittance
    /// text holds it are booked to the account directly.
    RegisterReference {
        #[command(flatten)]
        unlock: UnlockArgs,
        #[arg(long)]
        code: String,
        /// The account's code.
        #[arg(long)]
        account: String,
    },
}

fn iban(text: &str) -> Result<Iban, AppError> {
    Iban::parse(text).map_err(|e| AppError::BadInput(format!("--iban: {e}")))
}

pub async fn run(command: LedgerCommand) -> anyhow::Result<()> {
    match command {
        LedgerCommand::ImportStatement {
            unlock,
            iban: given,
            file,
        } => {
            let given = given.as_deref().map(iban).transpose()?;
            let size = std::fs::metadata(&file)
                .with_context(|| format!("reading {}", file.display()))?
                .len();
            if size > MAX_BYTES as u64 {
                return Err(AppError::BadInput(format!("{} is larger than a statement can be", file.display())).into());
            }
            let bytes = std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
            let app = open(&unlock, &Overrides::default()).await?;
            let report = app.import_statement(&Actor::Cli, &bytes, given.as_ref()).await;
            app.close().await;
            let r = report.with_context(|| format!("importing {}", file.display()))?;
            if r.already_imported {
                println!(
                    "{}: this statement of account …{} was imported before; nothing was booked (balance {})",
                    r.format, r.iban_tail, r.balance
                );
                return Ok(());
            }
            println!(
                "{}: account …{}{}: {} entries, {} booked as {} transfers ({} split parts, {} matched by reference, \
                 {} cleared assistance payments, {} queued for reconciliation, {} reversals), {} pending not booked{}; balance {}",
                r.format,
                r.iban_tail,
                if r.account_opened { " (opened)" } else { "" },
                r.entries,
                r.entries - r.pending,
                r.booked,
                r.split,
                r.matched,
                r.cleared,
                r.queued,
                r.reversals,
                r.pending,
                r.opening_booked
                    .map(|m| format!("; opening balance {m} booked"))
                    .unwrap_or_default(),
                r.balance
            );
            Ok(())
        }
        LedgerCommand::Balance {
            unlock,
            iban: text,
            format,
        } => {
            let iban = iban(&text)?;
            if format != "text" && format != "json" {
                return Err(AppError::BadInput("--format: text or json".into()).into());
            }
            let app = open(&unlock, &Overrides::default()).await?;
            let account = app.ledger_account_by_iban(&Actor::Cli, &iban).await;
            app.close().await;
            let account = account?;
            let currency = account
                .currency
                .ok_or_else(|| AppError::BadInput("the bank account has no currency".into()))?;
            let balance = account
                .balances
                .iter()
                .find(|m| m.currency() == currency)
                .map(|m| m.format())
                .unwrap_or_else(|| razam_core::ledger::Money::zero(currency).format());
            if format == "json" {
                println!(
                    "{}",
                    serde_json::json!({"iban": iban.as_str(), "currency": currency.code(), "balance": balance})
                );
            } else {
                println!("{} {balance} {currency}", iban.as_str());
            }
            Ok(())
        }
        LedgerCommand::Check { unlock } => {
            let app = open(&unlock, &Overrides::default()).await?;
            let check = app.ledger_check(&Actor::Cli).await;
            app.close().await;
            let check = check?;
            println!(
                "{} accounts, {} transfers, {} postings",
                check.accounts, check.transfers, check.postings
            );
            if check.problems.is_empty() {
                println!("every invariant holds");
                Ok(())
            } else {
                for p in &check.problems {
                    println!("broken: {p}");
                }
                anyhow::bail!("the ledger check found {} broken invariants", check.problems.len())
            }
        }
        LedgerCommand::OpenAccount {
            unlock,
            code,
            name,
            kind,
            currency,
            iban: given,
            no_negative,
        } => {
            let kind = AccountKind::parse(&kind).map_err(|e| AppError::BadInput(format!("--kind: {e}")))?;
            let currency = currency
                .as_deref()
                .map(Currency::parse)
                .transpose()
                .map_err(|e| AppError::BadInput(format!("--currency: {e}")))?;
            let spec = AccountSpec {
                code,
                name,
                kind,
                currency,
                rules: AccountRules { no_negative },
                iban: given.as_deref().map(iban).transpose()?,
            };
            let app = open(&unlock, &Overrides::default()).await?;
            let id = app.create_ledger_account(&Actor::Cli, spec).await;
            app.close().await;
            println!("account {} opened", id?);
            Ok(())
        }
        LedgerCommand::CsvMapping {
            unlock,
            iban: text,
            mapping,
        } => {
            let iban = iban(&text)?;
            let mapping: CsvMapping =
                serde_json::from_str(&mapping).map_err(|e| AppError::BadInput(format!("--mapping: {e}")))?;
            let app = open(&unlock, &Overrides::default()).await?;
            let saved = app.set_csv_mapping(&Actor::Cli, &iban, &mapping).await;
            app.close().await;
            saved?;
            println!("CSV mapping saved for account …{}", iban.tail());
            Ok(())
        }
        LedgerCommand::RegisterReference { unlock, code, account } => {
            let app = open(&unlock, &Overrides::default()).await?;
            let result = async {
                let account = app.ledger_account_by_code(&Actor::Cli, &account).await?;
                app.register_reference(&Actor::Cli, &code, account.id).await
            }
            .await;
            app.close().await;
            println!("reference {} registered", result?);
            Ok(())
        }
    }
}
