//! Books transfers into an instance and imports a generated camt.053 statement, timing each
//! (bench/ledger.sh runs it next to plain INSERTs of the same rows; docs/benchmarks.md).
//!
//! `RAZAM_PASSPHRASE=… cargo run --release -p razam-app --example ledger_bench -- DATA SINGLE BATCHED BATCH_SIZE ENTRIES`
//!
//! Prints one line per measurement: `what count seconds per_second`.

use std::time::Instant;

use razam_app::config::{Config, Overrides};
use razam_app::ledger::{AccountSpec, BookRequest, TransferDetails};
use razam_app::{Actor, Unlock, instance};
use razam_core::ledger::{AccountKind, AccountRules, Currency, Money, Posting};
use razam_core::registry::Day;

fn arg(n: usize) -> Result<usize, Box<dyn std::error::Error>> {
    Ok(std::env::args()
        .nth(n)
        .ok_or("usage: ledger_bench DATA SINGLE BATCHED BATCH_SIZE ENTRIES")?
        .parse()?)
}

/// A camt.053.001.08 statement of `entries` booked credits of 1.00 to 99.99 EUR, none matched.
fn statement(entries: usize) -> String {
    let mut body = String::new();
    let mut total: i64 = 0;
    for i in 0..entries {
        let cents = (i as i64 * 7919) % 9999 + 1;
        total += cents;
        body.push_str(&format!(
            "<Ntry><Amt Ccy=\"EUR\">{}.{:02}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>\
             <BookgDt><Dt>2026-03-01</Dt></BookgDt><ValDt><Dt>2026-03-01</Dt></ValDt><AcctSvcrRef>B{i}</AcctSvcrRef>\
             <NtryDtls><TxDtls><Refs><EndToEndId>E2E-{i}</EndToEndId></Refs><RltdPties><Dbtr><Pty><Nm>Donor {i}</Nm></Pty></Dbtr>\
             </RltdPties><RmtInf><Ustrd>gift {i}</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>",
            cents / 100,
            cents % 100
        ));
    }
    format!(
        "<?xml version=\"1.0\"?><Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.08\"><BkToCstmrStmt>\
         <Stmt><Id>BENCH-{entries}</Id><Acct><Id><IBAN>CH9300762011623852957</IBAN></Id><Ccy>EUR</Ccy></Acct>\
         <Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy=\"EUR\">0.00</Amt><CdtDbtInd>CRDT</CdtDbtInd></Bal>\
         <Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy=\"EUR\">{}.{:02}</Amt><CdtDbtInd>CRDT</CdtDbtInd></Bal>\
         {body}</Stmt></BkToCstmrStmt></Document>",
        total / 100,
        total % 100
    )
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let data = std::path::PathBuf::from(std::env::args().nth(1).ok_or("usage: ledger_bench DATA …")?);
    let (single, batched, batch_size, entries) = (arg(2)?, arg(3)?, arg(4)?, arg(5)?);
    let passphrase = std::env::var("RAZAM_PASSPHRASE")?;
    let config = Config::load(&data, &Overrides::default())?;
    let app = instance::open(config, Unlock::Passphrase(zeroize::Zeroizing::new(passphrase))).await?;
    let cli = Actor::Cli;
    let open = |code: &str, kind| AccountSpec {
        code: code.into(),
        name: code.into(),
        kind,
        currency: Some(Currency::EUR),
        rules: AccountRules {
            no_negative: kind == AccountKind::Asset,
        },
        iban: None,
    };
    let income = app
        .create_ledger_account(&cli, open("bench-income", AccountKind::Income))
        .await?;
    let cash = app
        .create_ledger_account(&cli, open("bench-cash", AccountKind::Asset))
        .await?;
    let day = Day::parse("2026-03-01")?;
    let request = |i: usize| BookRequest {
        idempotency_key: Some(format!("bench {i}")),
        booked_on: day,
        postings: vec![
            Posting {
                account: cash,
                amount: Money::from_minor(100 + i as i64 % 1000, Currency::EUR),
            },
            Posting {
                account: income,
                amount: Money::from_minor(-(100 + i as i64 % 1000), Currency::EUR),
            },
        ],
        details: TransferDetails::memo("bench"),
    };
    let started = Instant::now();
    for i in 0..single {
        app.ledger_book(&cli, &request(i)).await?;
    }
    let s = started.elapsed().as_secs_f64();
    println!("single {single} {s:.3} {:.0}", single as f64 / s);
    let requests: Vec<BookRequest> = (single..single + batched).map(request).collect();
    let started = Instant::now();
    for chunk in requests.chunks(batch_size.max(1)) {
        app.ledger_book_batch(&cli, chunk).await?;
    }
    let s = started.elapsed().as_secs_f64();
    println!("batched {batched} {s:.3} {:.0}", batched as f64 / s);
    let xml = statement(entries);
    let started = Instant::now();
    let report = app.import_statement(&cli, xml.as_bytes(), None).await?;
    let s = started.elapsed().as_secs_f64();
    println!("statement {} {s:.3} {:.0}", report.booked, report.booked as f64 / s);
    let started = Instant::now();
    let check = app.ledger_check(&cli).await?;
    let s = started.elapsed().as_secs_f64();
    println!("check {} {s:.3} {}", check.transfers, check.problems.len());
    app.close().await;
    Ok(())
}
