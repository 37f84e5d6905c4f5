//! The ledger on both databases: accounts, bookings retried with their idempotency key,
//! the no-negative rule (also under concurrent bookings), reversals once, exchanges with
//! their rate, batches all or nothing, reference codes, the reconciliation queue, the
//! whole-ledger check, and who may do what.

use std::sync::Arc;

use razam_app::ledger::{AccountSpec, BookRequest, ExchangeRequest, TransferDetails};
use razam_app::{Actor, App, AppError};
use razam_core::Role;
use razam_core::ledger::{AccountKind, AccountRules, Currency, ExchangeRate, Iban, Money, Posting, TransferKind};
use razam_core::registry::Day;

use crate::helpers::TestApp;
use crate::on_both_databases;

pub fn eur(text: &str) -> Money {
    Money::parse(text, Currency::EUR).unwrap()
}

pub async fn open(app: &App, code: &str, kind: AccountKind, currency: Option<Currency>, no_negative: bool) -> i64 {
    app.create_ledger_account(
        &Actor::Cli,
        AccountSpec {
            code: code.into(),
            name: format!("Account {code}"),
            kind,
            currency,
            rules: AccountRules { no_negative },
            iban: None,
        },
    )
    .await
    .unwrap()
}

pub fn pay(key: Option<&str>, from: i64, to: i64, amount: Money) -> BookRequest {
    BookRequest {
        idempotency_key: key.map(str::to_owned),
        booked_on: Day::parse("2026-03-01").unwrap(),
        postings: vec![
            Posting { account: to, amount },
            Posting {
                account: from,
                amount: amount.checked_neg().unwrap(),
            },
        ],
        details: TransferDetails::memo("test"),
    }
}

async fn balance(app: &App, account: i64) -> String {
    let b = app.ledger_balance(&Actor::Cli, account).await.unwrap();
    b.iter().map(|m| m.to_string()).collect::<Vec<_>>().join(", ")
}

async fn assert_clean(app: &App) {
    let check = app.ledger_check(&Actor::Cli).await.unwrap();
    assert!(check.problems.is_empty(), "{:#?}", check.problems);
}

async fn the_books_keep_their_invariants(t: TestApp) {
    let app = &t.app;
    let cash = open(app, "cash-eur", AccountKind::Asset, Some(Currency::EUR), true).await;
    let donations = open(app, "donations", AccountKind::Income, Some(Currency::EUR), false).await;
    let aid = open(app, "aid-paid", AccountKind::Expense, Some(Currency::EUR), false).await;
    let pln = open(app, "cash-pln", AccountKind::Asset, Some(Currency::PLN), true).await;

    // A donation, retried with the same key: booked once.
    let first = app
        .ledger_book(&Actor::Cli, &pay(Some("d-1"), donations, cash, eur("100.00")))
        .await
        .unwrap();
    let again = app
        .ledger_book(&Actor::Cli, &pay(Some("d-1"), donations, cash, eur("100.00")))
        .await
        .unwrap();
    assert!(first.new && !again.new);
    assert_eq!(first.id, again.id);
    assert_eq!(balance(app, cash).await, "100.00 EUR");
    assert_eq!(balance(app, donations).await, "-100.00 EUR");

    // Cash may not go below zero: refused, nothing booked.
    let err = app
        .ledger_book(&Actor::Cli, &pay(None, cash, aid, eur("100.01")))
        .await
        .unwrap_err();
    assert!(err.is_bad_input(), "{err}");
    assert!(err.to_string().contains("cash-eur would go to -0.01 EUR"), "{err}");
    assert_eq!(balance(app, cash).await, "100.00 EUR");

    // A posting in the wrong currency, or one that does not balance, is refused.
    let wrong = pay(None, donations, cash, Money::parse("5", Currency::PLN).unwrap());
    let err = app.ledger_book(&Actor::Cli, &wrong).await.unwrap_err();
    assert!(err.to_string().contains("keeps EUR, not PLN"), "{err}");
    let mut lopsided = pay(None, donations, cash, eur("5"));
    lopsided.postings[0].amount = eur("6");
    let err = app.ledger_book(&Actor::Cli, &lopsided).await.unwrap_err();
    assert!(err.to_string().contains("EUR is off by 1.00"), "{err}");

    // Paid out, then reversed once; a second reversal answers the first.
    let paid = app
        .ledger_book(&Actor::Cli, &pay(None, cash, aid, eur("60")))
        .await
        .unwrap();
    assert_eq!(balance(app, cash).await, "40.00 EUR");
    let reversal = app
        .ledger_reverse(&Actor::Cli, paid.id, None, "paid twice")
        .await
        .unwrap();
    assert!(reversal.new);
    assert_eq!(balance(app, cash).await, "100.00 EUR");
    assert_eq!(balance(app, aid).await, "0.00 EUR");
    let retry = app.ledger_reverse(&Actor::Cli, paid.id, None, "again").await.unwrap();
    assert_eq!((retry.id, retry.new), (reversal.id, false));
    let err = app
        .ledger_reverse(&Actor::Cli, paid.id, Some("other key"), "")
        .await
        .unwrap_err();
    assert!(matches!(err, AppError::Conflict(_)), "{err}");
    let view = app.ledger_transfer(&Actor::Cli, paid.id).await.unwrap();
    assert_eq!(view.reversed_by, Some(reversal.id));
    let view = app.ledger_transfer(&Actor::Cli, reversal.id).await.unwrap();
    assert_eq!((view.kind, view.reverses), (TransferKind::Reversal, Some(paid.id)));
    assert_eq!(view.details.memo, "paid twice");
    // Reversing the donation would take cash below zero once it is spent.
    app.ledger_book(&Actor::Cli, &pay(None, cash, aid, eur("30")))
        .await
        .unwrap();
    let err = app.ledger_reverse(&Actor::Cli, first.id, None, "").await.unwrap_err();
    assert!(err.to_string().contains("below zero"), "{err}");

    // An exchange: 50 EUR into 214.09 PLN, rate derived and kept.
    let ex = app
        .ledger_exchange(
            &Actor::Cli,
            &ExchangeRequest {
                idempotency_key: Some("x-1".into()),
                booked_on: Day::parse("2026-03-02").unwrap(),
                from_account: cash,
                from: eur("50"),
                to_account: pln,
                to: Money::parse("214.09", Currency::PLN).unwrap(),
                rate: None,
                details: TransferDetails::default(),
            },
        )
        .await
        .unwrap();
    let view = app.ledger_transfer(&Actor::Cli, ex.id).await.unwrap();
    assert_eq!(view.rate.as_deref(), Some("4.2818"));
    assert_eq!(view.postings.len(), 4);
    assert_eq!(balance(app, cash).await, "20.00 EUR");
    assert_eq!(balance(app, pln).await, "214.09 PLN");
    let exchange = app.ledger_account_by_code(&Actor::Cli, "exchange").await.unwrap();
    assert_eq!(
        exchange.balances.iter().map(|m| m.to_string()).collect::<Vec<_>>(),
        ["50.00 EUR", "-214.09 PLN"]
    );
    let quoted = ExchangeRequest {
        idempotency_key: None,
        booked_on: Day::parse("2026-03-02").unwrap(),
        from_account: pln,
        from: Money::parse("14.09", Currency::PLN).unwrap(),
        to_account: cash,
        to: eur("3.29"),
        rate: Some(ExchangeRate::parse("0.2335").unwrap()),
        details: TransferDetails::default(),
    };
    let back = app.ledger_exchange(&Actor::Cli, &quoted).await.unwrap();
    assert_eq!(
        app.ledger_transfer(&Actor::Cli, back.id).await.unwrap().rate.as_deref(),
        Some("0.2335")
    );

    // A batch: the third transfer overdraws, so none is booked.
    let before = balance(app, cash).await;
    let batch = [
        pay(Some("b-1"), donations, cash, eur("1")),
        pay(Some("b-2"), cash, aid, eur("2")),
        pay(Some("b-3"), cash, aid, eur("100")),
    ];
    let err = app.ledger_book_batch(&Actor::Cli, &batch).await.unwrap_err();
    assert!(err.to_string().contains("transfer 3 of the batch"), "{err}");
    assert_eq!(balance(app, cash).await, before);
    // Without it, both are booked; a retried batch books nothing, a repeated key inside a
    // batch is booked once.
    let booked = app.ledger_book_batch(&Actor::Cli, &batch[..2]).await.unwrap();
    assert!(booked.iter().all(|b| b.new));
    let again = app.ledger_book_batch(&Actor::Cli, &batch[..2]).await.unwrap();
    assert_eq!(
        again.iter().map(|b| (b.id, b.new)).collect::<Vec<_>>(),
        booked.iter().map(|b| (b.id, false)).collect::<Vec<_>>()
    );
    let twice = [
        pay(Some("c-1"), donations, cash, eur("1")),
        pay(Some("c-1"), donations, cash, eur("1")),
    ];
    let booked = app.ledger_book_batch(&Actor::Cli, &twice).await.unwrap();
    assert_eq!(booked[0].id, booked[1].id);
    assert_eq!((booked[0].new, booked[1].new), (true, false));

    // A reference code, and the queue: a payment waits in suspense until resolved.
    let code = app
        .register_reference(&Actor::Cli, "free-2026", donations)
        .await
        .unwrap();
    assert_eq!(code, "FREE-2026");
    assert_eq!(
        app.ledger_references(&Actor::Cli).await.unwrap(),
        [("FREE-2026".to_owned(), donations)]
    );
    let other = open(app, "other-income", AccountKind::Income, Some(Currency::EUR), false).await;
    let err = app
        .register_reference(&Actor::Cli, "FREE-2026", other)
        .await
        .unwrap_err();
    assert!(matches!(err, AppError::Conflict(_)), "{err}");

    // Transfers cannot be changed in the database itself.
    assert_clean(app).await;
    let check = app.ledger_check(&Actor::Cli).await.unwrap();
    assert!(
        check.transfers >= 8 && check.postings >= 2 * check.transfers,
        "{check:?}"
    );
}
on_both_databases!(the_books_keep_their_invariants);

/// Forty concurrent withdrawals of 10.00 from 250.00 of cash: exactly 25 are booked, the
/// rest refused, and the balance ends at zero.
async fn concurrent_bookings_never_overdraw(t: TestApp) {
    let app = t.app.clone();
    let cash = open(&app, "cash", AccountKind::Asset, Some(Currency::EUR), true).await;
    let income = open(&app, "income", AccountKind::Income, Some(Currency::EUR), false).await;
    let spent = open(&app, "spent", AccountKind::Expense, Some(Currency::EUR), false).await;
    app.ledger_book(&Actor::Cli, &pay(None, income, cash, eur("250")))
        .await
        .unwrap();
    let tasks: Vec<_> = (0..40)
        .map(|i| {
            let app: Arc<App> = app.clone();
            tokio::spawn(async move {
                app.ledger_book(&Actor::Cli, &pay(Some(&format!("w-{i}")), cash, spent, eur("10")))
                    .await
            })
        })
        .collect();
    let mut booked = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(b) => {
                assert!(b.new);
                booked += 1;
            }
            Err(e) => assert!(e.to_string().contains("below zero"), "{e}"),
        }
    }
    assert_eq!(booked, 25);
    assert_eq!(balance(&app, cash).await, "0.00 EUR");
    assert_clean(&app).await;
}
on_both_databases!(concurrent_bookings_never_overdraw);

async fn only_treasurers_keep_the_books(t: TestApp) {
    let app = &t.app;
    let cash = open(app, "cash", AccountKind::Asset, Some(Currency::EUR), false).await;
    let income = open(app, "income", AccountKind::Income, Some(Currency::EUR), false).await;
    for role in Role::ALL {
        let name = format!("{}-1", role.as_str());
        crate::helpers::add_user(app, &name, "Someone", role, "a-password-for-tests").await;
        let actor = Actor::Account(app.log_in(&name, "a-password-for-tests", None).await.unwrap().user);
        let treasurer = matches!(role, Role::Admin | Role::Coordinator);
        let booked = app.ledger_book(&actor, &pay(None, income, cash, eur("1"))).await;
        assert_eq!(booked.is_ok(), treasurer, "{role}");
        assert_eq!(app.ledger_accounts(&actor).await.is_ok(), treasurer, "{role}");
        if !treasurer {
            assert!(matches!(booked, Err(AppError::Forbidden)));
        }
    }
    // A bank account is found by its IBAN, and the IBAN is kept sealed.
    let iban = Iban::parse("DE89 3704 0044 0532 0130 00").unwrap();
    let id = app
        .create_ledger_account(
            &Actor::Cli,
            AccountSpec {
                code: "bank-eur".into(),
                name: "Main account".into(),
                kind: AccountKind::Asset,
                currency: Some(Currency::EUR),
                rules: AccountRules::default(),
                iban: Some(iban.clone()),
            },
        )
        .await
        .unwrap();
    let found = app.ledger_account_by_iban(&Actor::Cli, &iban).await.unwrap();
    assert_eq!((found.id, found.iban.as_deref()), (id, Some("DE89370400440532013000")));
}
on_both_databases!(only_treasurers_keep_the_books);

fn data_file(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

/// Runs `razam ledger ARGS --data DIR` against the test instance: (exit code, stdout, stderr).
pub(crate) fn ledger_cli(t: &TestApp, args: &[&str]) -> (i32, String, String) {
    let data = t.data_dir();
    let o = crate::cli::razam()
        .arg("ledger")
        .args(args)
        .arg("--data")
        .arg(&data)
        .env("RAZAM_PASSPHRASE", crate::helpers::PASSPHRASE)
        .env("RAZAM_LOG", "warn")
        .output()
        .unwrap();
    (
        o.status.code().unwrap(),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

const IBAN: &str = "DE89370400440532013000";

/// A camt.053.001.08 statement of one day for `iban` in EUR, built for a test: its id, the
/// opening balance (OPBD) and each booked entry as (amount in cents, positive = credit, the
/// remittance text). The closing booked balance (CLBD) is what they add up to.
pub(crate) fn camt053(id: &str, iban: &str, opening_cents: i64, entries: &[(i64, &str)]) -> Vec<u8> {
    let money = |cents: i64| format!("{}.{:02}", cents.abs() / 100, cents.abs() % 100);
    let side = |cents: i64| if cents < 0 { "DBIT" } else { "CRDT" };
    let closing = opening_cents + entries.iter().map(|(c, _)| c).sum::<i64>();
    let balance = |code: &str, cents: i64| {
        format!(
            "<Bal><Tp><CdOrPrtry><Cd>{code}</Cd></CdOrPrtry></Tp><Amt Ccy=\"EUR\">{}</Amt>\
             <CdtDbtInd>{}</CdtDbtInd><Dt><Dt>2026-03-02</Dt></Dt></Bal>",
            money(cents),
            side(cents)
        )
    };
    let mut xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.08\"><BkToCstmrStmt>\
         <GrpHdr><MsgId>MSG-{id}</MsgId><CreDtTm>2026-03-03T06:00:00+01:00</CreDtTm></GrpHdr>\
         <Stmt><Id>{id}</Id><CreDtTm>2026-03-03T06:00:00+01:00</CreDtTm>\
         <Acct><Id><IBAN>{iban}</IBAN></Id><Ccy>EUR</Ccy></Acct>{}{}",
        balance("OPBD", opening_cents),
        balance("CLBD", closing)
    );
    for (n, (cents, remittance)) in entries.iter().enumerate() {
        xml.push_str(&format!(
            "<Ntry><NtryRef>{n}</NtryRef><Amt Ccy=\"EUR\">{amount}</Amt><CdtDbtInd>{side}</CdtDbtInd>\
             <Sts><Cd>BOOK</Cd></Sts><BookgDt><Dt>2026-03-02</Dt></BookgDt><ValDt><Dt>2026-03-02</Dt></ValDt>\
             <AcctSvcrRef>{id}-{n}</AcctSvcrRef><NtryDtls><TxDtls><Refs><EndToEndId>E2E-{id}-{n}</EndToEndId></Refs>\
             <Amt Ccy=\"EUR\">{amount}</Amt><CdtDbtInd>{side}</CdtDbtInd><RmtInf><Ustrd>{remittance}</Ustrd></RmtInf>\
             </TxDtls></NtryDtls></Ntry>",
            amount = money(*cents),
            side = side(*cents),
        ));
    }
    xml.push_str("</Stmt></BkToCstmrStmt></Document>\n");
    xml.into_bytes()
}

async fn transfers(app: &App) -> i64 {
    app.ledger_check(&Actor::Cli).await.unwrap().transfers
}

/// The two hand-written camt.053 files (.001.02, then .001.08) through `razam ledger`:
/// the opening balance, a campaign code matched, a batch split, a payment out and the rest
/// queued, pending entries left, foreign-currency details kept, the same file again booking
/// nothing, a file whose closing balance does not add up refused whole, a reversal reversing.
async fn camt053_statements_are_booked_whole_or_not_at_all(t: TestApp) {
    let app = &t.app;
    let campaign = open(app, "campaign-free", AccountKind::Income, Some(Currency::EUR), false).await;
    app.register_reference(&Actor::Cli, "FREE-2026", campaign)
        .await
        .unwrap();

    let first = data_file("camt.053.001.02.xml");
    let (code, out, err) = ledger_cli(&t, &["import-statement", first.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("camt.053.001.02: account …3000 (opened): 5 entries, 4 booked as 5 transfers (1 split parts, 2 matched by reference, 0 cleared assistance payments, 3 queued for reconciliation, 0 reversals), 1 pending not booked; opening balance 1000.00 EUR booked; balance 1062.50 EUR"), "{out}");
    let (code, out, _) = ledger_cli(&t, &["balance", "--iban", IBAN, "--format", "json"]);
    assert_eq!(code, 0);
    let json: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(
        json,
        serde_json::json!({"iban": IBAN, "currency": "EUR", "balance": "1062.50"})
    );
    assert_eq!(balance(app, campaign).await, "-142.50 EUR");
    let opening = app
        .ledger_account_by_code(&Actor::Cli, "opening-balances")
        .await
        .unwrap();
    assert_eq!(
        opening.balances.iter().map(|m| m.to_string()).collect::<Vec<_>>(),
        ["-1000.00 EUR"]
    );
    let count = transfers(app).await;
    assert_eq!(count, 6);

    // The same statement again: nothing.
    let (code, out, _) = ledger_cli(&t, &["import-statement", first.to_str().unwrap()]);
    assert_eq!(code, 0);
    assert!(
        out.contains("was imported before; nothing was booked (balance 1062.50 EUR)"),
        "{out}"
    );
    assert_eq!(transfers(app).await, count);

    // The second day's statement with its closing balance altered by one cent: refused whole.
    let second = std::fs::read_to_string(data_file("camt.053.001.08.xml")).unwrap();
    let altered = t.dir.path().join("altered.xml");
    std::fs::write(&altered, second.replace("1022.50", "1022.49")).unwrap();
    let (code, _, err) = ledger_cli(&t, &["import-statement", altered.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("the opening balance 1062.50 EUR plus the booked entries -40.00 EUR make 1022.50 EUR, but the closing booked balance (CLBD) is 1022.49 EUR; nothing was booked"),
        "{err}"
    );
    assert_eq!(transfers(app).await, count);

    // Cut short anywhere: refused, nothing booked.
    for end in [second.len() / 3, second.len() / 2, second.len() - 20] {
        let cut = t.dir.path().join("cut.xml");
        std::fs::write(&cut, &second.as_bytes()[..end]).unwrap();
        let (code, _, err) = ledger_cli(&t, &["import-statement", cut.to_str().unwrap()]);
        assert_eq!(code, 2, "{err}");
        assert!(err.contains("not well-formed XML"), "{err}");
    }
    assert_eq!(transfers(app).await, count);
    let (code, out, err) = ledger_cli(
        &t,
        &["import-statement", data_file("camt.053.001.08.xml").to_str().unwrap()],
    );
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("camt.053.001.08: account …3000: 3 entries, 2 booked as 2 transfers (0 split parts, 0 matched by reference, 0 cleared assistance payments, 1 queued for reconciliation, 1 reversals), 1 pending not booked; balance 1022.50 EUR"), "{out}");
    assert_eq!(balance(app, campaign).await, "-92.50 EUR");

    // What each transfer holds: the reversal names the donation, the foreign payment keeps
    // its instructed amount and rate, the split parts their own counterparties.
    let all = app.ledger_transfers(&Actor::Cli, None, 100).await.unwrap();
    let donation = all
        .iter()
        .find(|v| v.details.end_to_end == "E2E-DON-1" && v.kind == TransferKind::Statement)
        .unwrap();
    let reversal = all.iter().find(|v| v.kind == TransferKind::Reversal).unwrap();
    assert_eq!(
        (donation.reversed_by, reversal.reverses),
        (Some(reversal.id), Some(donation.id))
    );
    assert_eq!(donation.details.counterparty, "Alesia Testovich");
    assert_eq!(donation.details.counterparty_iban, "PL61109010140000071219812874");
    let foreign = all.iter().find(|v| v.details.end_to_end == "E2E-US-9").unwrap();
    let fx = foreign.details.foreign.as_ref().unwrap();
    assert_eq!(
        (fx.instructed.as_str(), fx.rate.as_str(), fx.source_currency.as_str()),
        ("100.00 USD", "0.925", "USD")
    );
    assert_eq!(foreign.value_on, Some(Day::parse("2026-03-02").unwrap()));
    let split: Vec<_> = all
        .iter()
        .filter(|v| v.details.bank_reference == "2026030100002")
        .collect();
    assert_eq!(split.len(), 2);
    assert!(
        split
            .iter()
            .any(|v| v.details.counterparty == "Jan Przykładowy" && v.details.remittance == "Spende & Dank")
    );

    // The queue: the two batch credits, the payment out, the unmatched credit. Resolving the
    // payment out books it to the lawyers' account and leaves three.
    let queue = app.reconciliation_queue(&Actor::Cli, true).await.unwrap();
    assert_eq!(queue.len(), 4);
    let fees = open(app, "legal-fees", AccountKind::Expense, Some(Currency::EUR), false).await;
    let invoice = all.iter().find(|v| v.details.remittance == "Invoice 17").unwrap();
    let resolved = app
        .resolve_payment(&Actor::Cli, invoice.id, fees, "lawyer for case 12")
        .await
        .unwrap();
    assert_eq!(balance(app, fees).await, "200.00 EUR");
    assert_eq!(app.reconciliation_queue(&Actor::Cli, true).await.unwrap().len(), 3);
    // Resolving it again answers the first resolution and books nothing.
    let again = app.resolve_payment(&Actor::Cli, invoice.id, fees, "").await.unwrap();
    assert_eq!((again.id, again.new), (resolved.id, false));
    assert_eq!(balance(app, fees).await, "200.00 EUR");

    let (code, out, _) = ledger_cli(&t, &["check"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("every invariant holds"), "{out}");

    // Names and IBANs of counterparties never reach the disk in the clear.
    if t.db == crate::helpers::Db::Sqlite {
        for file in crate::helpers::files_below(&t.data_dir()) {
            let bytes = std::fs::read(&file).unwrap();
            for secret in ["Alesia Testovich", "PL61109010140000071219812874", "Invoice 17"] {
                assert!(
                    !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
                    "{secret} in {}",
                    file.display()
                );
            }
        }
    }
}
on_both_databases!(camt053_statements_are_booked_whole_or_not_at_all);

/// A CSV statement by a saved mapping (semicolons, decimal commas, day-first dates): booked,
/// not booked twice, and a bad cell named by line and column with nothing booked.
async fn csv_statements_follow_their_saved_mapping(t: TestApp) {
    let app = &t.app;
    let pl = "PL61109010140000071219812874";
    let (code, out, err) = ledger_cli(
        &t,
        &[
            "open-account",
            "--code",
            "bank-pln",
            "--name",
            "Konto",
            "--kind",
            "asset",
            "--currency",
            "PLN",
            "--iban",
            pl,
        ],
    );
    assert_eq!(code, 0, "{out}{err}");
    let mapping = r#"{"delimiter": ";", "date": "Data", "date_format": "DD.MM.YYYY", "amount": "Kwota", "counterparty": "Kontrahent", "reference": "Tytuł", "decimal_comma": true}"#;
    let (code, _, err) = ledger_cli(&t, &["csv-mapping", "--iban", pl, "--mapping", mapping]);
    assert_eq!(code, 0, "{err}");
    let csv = "Data;Kwota;Kontrahent;Tytuł\n01.03.2026;1.250,00;Fundacja;darowizna\n02.03.2026;-99,99;Sklep;buty\n";
    let file = t.dir.path().join("wyciag.csv");
    std::fs::write(&file, csv).unwrap();
    let (code, out, err) = ledger_cli(&t, &["import-statement", "--iban", pl, file.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("2 entries, 2 booked as 2 transfers"), "{out}");
    let (_, out, _) = ledger_cli(&t, &["balance", "--iban", pl, "--format", "json"]);
    assert_eq!(
        out.trim(),
        format!(r#"{{"balance":"1150.01","currency":"PLN","iban":"{pl}"}}"#)
    );
    let (_, out, _) = ledger_cli(&t, &["import-statement", "--iban", pl, file.to_str().unwrap()]);
    assert!(out.contains("nothing was booked"), "{out}");
    let before = transfers(app).await;
    std::fs::write(&file, format!("{csv}03.03.2026;12,345;X;y\n")).unwrap();
    let (code, _, err) = ledger_cli(&t, &["import-statement", "--iban", pl, file.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("line 4, column `Kwota`"), "{err}");
    assert_eq!(transfers(app).await, before);
}
on_both_databases!(csv_statements_follow_their_saved_mapping);

/// One step of a random sequence.
#[derive(Debug, Clone)]
enum Op {
    /// From account index, to account index (0..3 are EUR), cents, idempotency key (a small
    /// pool, so keys repeat: a retry).
    Book(usize, usize, i64, Option<u8>),
    /// Reverse the n-th transfer booked so far (modulo), with or without a key.
    Reverse(usize, bool),
    /// EUR cents out of account index, PLN groszy in.
    Exchange(usize, i64, i64),
    /// Several bookings in one batch.
    Batch(Vec<(usize, usize, i64)>),
}

fn op() -> impl proptest::strategy::Strategy<Value = Op> {
    use proptest::prelude::*;
    let book = (0..4usize, 0..4usize, 1..20_000i64, proptest::option::of(0..6u8))
        .prop_map(|(a, b, c, k)| Op::Book(a, b, c, k));
    prop_oneof![
        4 => book,
        2 => (0..50usize, any::<bool>()).prop_map(|(n, k)| Op::Reverse(n, k)),
        1 => (0..4usize, 1..10_000i64, 1..50_000i64).prop_map(|(a, e, p)| Op::Exchange(a, e, p)),
        1 => proptest::collection::vec((0..4usize, 0..4usize, 1..20_000i64), 1..6).prop_map(Op::Batch),
    ]
}

/// Runs random sequences of bookings, retries, reversals, exchanges and batches against a
/// model of the balances: every answer as the model predicts (a booking that would take a
/// no-negative account below zero refused whole, a retry booking nothing, a transfer
/// reversed at most once), and after each sequence the whole-ledger check finds nothing.
async fn random_operations_keep_every_invariant(t: TestApp, cases: u32) {
    use proptest::strategy::{Strategy, ValueTree};
    use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
    let app = &t.app;
    let mut runner = TestRunner::new_with_rng(Config::default(), TestRng::from_seed(RngAlgorithm::ChaCha, &[7; 32]));
    let ops = proptest::collection::vec(op(), 5..30);
    for case in 0..cases {
        let sequence = ops.new_tree(&mut runner).unwrap().current();
        // Accounts: 0 cash (no negative), 1 bank, 2 income, 3 expense, all EUR; 4 cash PLN.
        let kinds = [
            (AccountKind::Asset, true),
            (AccountKind::Asset, false),
            (AccountKind::Income, false),
            (AccountKind::Expense, false),
        ];
        let mut ids = Vec::new();
        for (i, (kind, rule)) in kinds.iter().enumerate() {
            ids.push(open(app, &format!("c{case}-{i}"), *kind, Some(Currency::EUR), *rule).await);
        }
        let pln = open(
            app,
            &format!("c{case}-pln"),
            AccountKind::Asset,
            Some(Currency::PLN),
            true,
        )
        .await;
        let mut model = [0i64; 5];
        // Each transfer booked: its id, what it did to the model's accounts, whether reversed.
        type Done = (i64, Vec<(usize, i64)>, bool);
        let mut booked: Vec<Done> = Vec::new();
        let mut keys: std::collections::HashMap<u8, i64> = std::collections::HashMap::new();
        let mut keys_used: std::collections::HashMap<String, i64> = std::collections::HashMap::new();
        let allowed = |m: &[i64; 5]| m[0] >= 0 && m[4] >= 0;
        for op in sequence {
            match op {
                Op::Book(a, b, cents, key) => {
                    let key_text = key.map(|k| format!("case {case} key {k}"));
                    let request = pay(
                        key_text.as_deref(),
                        ids[a],
                        ids[b],
                        Money::from_minor(cents, Currency::EUR),
                    );
                    let result = app.ledger_book(&Actor::Cli, &request).await;
                    if let Some(first) = key.and_then(|k| keys.get(&k)) {
                        let b = result.unwrap();
                        assert_eq!((b.id, b.new), (*first, false));
                        continue;
                    }
                    let mut next = model;
                    next[b] += cents;
                    next[a] -= cents;
                    if a == b || !allowed(&next) {
                        // Same account twice is fine (it nets to zero) only if allowed.
                        if a == b {
                            let b2 = result.unwrap();
                            booked.push((b2.id, vec![], false));
                            if let Some(k) = key {
                                keys.insert(k, b2.id);
                            }
                        } else {
                            assert!(result.unwrap_err().to_string().contains("below zero"));
                        }
                        continue;
                    }
                    let b2 = result.unwrap();
                    assert!(b2.new);
                    model = next;
                    booked.push((b2.id, vec![(b, cents), (a, -cents)], false));
                    if let Some(k) = key {
                        keys.insert(k, b2.id);
                    }
                }
                Op::Reverse(n, with_key) => {
                    if booked.is_empty() {
                        continue;
                    }
                    let i = n % booked.len();
                    let (id, deltas, reversed) = booked[i].clone();
                    let key = with_key.then(|| format!("case {case} reversal {n}"));
                    let result = app.ledger_reverse(&Actor::Cli, id, key.as_deref(), "").await;
                    // A key used before answers its first reversal, whatever it names now.
                    if let Some(first) = key.as_ref().and_then(|k| keys_used.get(k)) {
                        let b = result.unwrap();
                        assert_eq!((b.id, b.new), (*first, false));
                        continue;
                    }
                    let mut next = model;
                    for (acct, d) in &deltas {
                        next[*acct] -= d;
                    }
                    match result {
                        Ok(b) if b.new => {
                            assert!(!reversed && allowed(&next), "reversal of {id} booked");
                            if let Some(k) = key {
                                keys_used.insert(k, b.id);
                            }
                            model = next;
                            booked[i].2 = true;
                            let undo = deltas.iter().map(|(a, d)| (*a, -d)).collect();
                            booked.push((b.id, undo, false));
                        }
                        Ok(_) => assert!(reversed && !with_key, "a retried reversal"),
                        Err(e) => assert!(reversed || !allowed(&next), "reversal of {id} refused: {e}"),
                    }
                }
                Op::Exchange(a, eur, groszy) => {
                    let request = ExchangeRequest {
                        idempotency_key: None,
                        booked_on: Day::parse("2026-03-05").unwrap(),
                        from_account: ids[a],
                        from: Money::from_minor(eur, Currency::EUR),
                        to_account: pln,
                        to: Money::from_minor(groszy, Currency::PLN),
                        rate: None,
                        details: TransferDetails::default(),
                    };
                    let mut next = model;
                    next[a] -= eur;
                    next[4] += groszy;
                    match app.ledger_exchange(&Actor::Cli, &request).await {
                        Ok(b) => {
                            assert!(allowed(&next));
                            model = next;
                            booked.push((b.id, vec![(a, -eur), (4, groszy)], false));
                        }
                        Err(e) => assert!(!allowed(&next), "{e}"),
                    }
                }
                Op::Batch(items) => {
                    let requests: Vec<BookRequest> = items
                        .iter()
                        .map(|(a, b, c)| pay(None, ids[*a], ids[*b], Money::from_minor(*c, Currency::EUR)))
                        .collect();
                    let mut next = model;
                    let mut ok = true;
                    for (a, b, c) in &items {
                        next[*b] += c;
                        next[*a] -= c;
                        ok &= allowed(&next);
                    }
                    match app.ledger_book_batch(&Actor::Cli, &requests).await {
                        Ok(bs) => {
                            assert!(ok, "a batch that overdraws was booked");
                            model = next;
                            for (b, (a, to, c)) in bs.iter().zip(&items) {
                                let deltas = if a == to { vec![] } else { vec![(*to, *c), (*a, -c)] };
                                booked.push((b.id, deltas, false));
                            }
                        }
                        Err(e) => assert!(!ok, "{e}"),
                    }
                }
            }
            for (i, id) in ids.iter().chain([&pln]).enumerate() {
                let b = app.ledger_balance(&Actor::Cli, *id).await.unwrap();
                assert_eq!(b[0].minor(), model[i], "case {case}, account {i}");
            }
        }
        assert_clean(app).await;
    }
}

async fn random_operations_sqlite(t: TestApp) {
    random_operations_keep_every_invariant(t, 24).await
}
async fn random_operations_postgres(t: TestApp) {
    random_operations_keep_every_invariant(t, 8).await
}

#[tokio::test]
async fn random_operations_keep_every_invariant_on_sqlite() {
    random_operations_sqlite(crate::helpers::spawn_app().await).await
}

#[tokio::test]
async fn random_operations_keep_every_invariant_on_postgres() {
    if let Some(t) = crate::helpers::spawn_app_on(crate::helpers::Db::Postgres).await {
        random_operations_postgres(t).await
    }
}

#[tokio::test]
async fn the_demo_books_balance_and_pass_the_check() {
    let dir = tempfile::tempdir().unwrap();
    let app = razam_app::demo::prepare(&dir.path().join("demo"), &razam_app::config::Overrides::default())
        .await
        .unwrap();
    let shown = |code: &'static str| {
        let app = &app;
        async move {
            let a = app.ledger_account_by_code(&Actor::Cli, code).await.unwrap();
            a.balances.iter().map(|m| m.to_string()).collect::<Vec<_>>().join(", ")
        }
    };
    assert_eq!(shown("bank-eur").await, "12830.10 EUR");
    assert_eq!(shown("bank-pln").await, "12216.00 PLN");
    assert_eq!(shown("cash-pln").await, "1100.00 PLN");
    let eur = app
        .ledger_account_by_iban(&Actor::Cli, &Iban::parse(razam_app::demo::DEMO_IBAN_EUR).unwrap())
        .await
        .unwrap();
    assert_eq!(eur.code, "bank-eur");
    // The evacuation was paid from the account with an IBAN: it waits in transit (the bank's
    // balance above unchanged until a statement shows it leave).
    let cases = app.assistance_cases(&Actor::Cli).await.unwrap();
    let evacuation = cases
        .iter()
        .find(|c| c.transfer_id.is_some() && c.amount.to_string() == "950.00 EUR")
        .unwrap();
    let in_transit = format!("in-transit-{}", evacuation.reference.to_ascii_lowercase());
    let waiting = app.ledger_account_by_code(&Actor::Cli, &in_transit).await.unwrap();
    assert_eq!(
        waiting.balances.iter().map(|m| m.to_string()).collect::<Vec<_>>(),
        ["-950.00 EUR"]
    );
    let check = app.ledger_check(&Actor::Cli).await.unwrap();
    assert!(check.problems.is_empty(), "{:?}", check.problems);
    // The demo books' 10 transfers, then the solidarity demo's 143 donations (140 to the big
    // campaign, 3 to the evacuation fund) and its 8 paid assistance cases, then the aid
    // demo's valued movements: 10 receipts, 1 write-off and 12 dispatches (a transfer between
    // warehouses posts nothing).
    assert_eq!(check.transfers, 10 + 143 + 8 + 10 + 1 + 12);
}

/// The ledger over `/api/v1`: accounts and balances as decimal strings, a booking retried
/// with its key, a refusal with its reason, a reversal, the check; a documenter's token is
/// refused.
async fn the_ledger_api_books_and_reads(t: TestApp) {
    let app = &t.app;
    let cash = open(app, "cash", AccountKind::Asset, Some(Currency::EUR), true).await;
    let income = open(app, "income", AccountKind::Income, Some(Currency::EUR), false).await;
    let token = crate::api::token_for(&t, "treasurer", Role::Coordinator).await;
    let c = reqwest::Client::new();
    let url = |path: &str| t.url(&format!("/api/v1/ledger{path}"));
    let body = serde_json::json!({
        "idempotency_key": "api-1",
        "booked_on": "2026-03-01",
        "memo": "donation",
        "postings": [
            {"account_id": cash, "currency": "EUR", "amount": "25.50"},
            {"account_id": income, "currency": "EUR", "amount": "-25.50"}
        ]
    });
    let r = c
        .post(url("/transfers"))
        .bearer_auth(&token)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let first: serde_json::Value = r.json().await.unwrap();
    assert_eq!(first["postings"][0]["amount"], "25.50");
    let r = c
        .post(url("/transfers"))
        .bearer_auth(&token)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let again: serde_json::Value = r.json().await.unwrap();
    assert_eq!(
        (again["id"].clone(), again["new"].clone()),
        (first["id"].clone(), serde_json::json!(false))
    );

    let mut overdraw = body.clone();
    overdraw["idempotency_key"] = "api-2".into();
    overdraw["postings"][0]["amount"] = "-30.00".into();
    overdraw["postings"][1]["amount"] = "30.00".into();
    let r = c
        .post(url("/transfers"))
        .bearer_auth(&token)
        .json(&overdraw)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let e: serde_json::Value = r.json().await.unwrap();
    assert!(
        e["error"].as_str().unwrap().contains("cash would go to -4.50 EUR"),
        "{e}"
    );
    let mut bad = body.clone();
    bad["postings"][0]["amount"] = 25.5.into();
    let r = c
        .post(url("/transfers"))
        .bearer_auth(&token)
        .json(&bad)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);

    let accounts: serde_json::Value = c
        .get(url("/accounts"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let found = accounts["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == cash)
        .unwrap();
    assert_eq!(
        found["balances"],
        serde_json::json!([{"currency": "EUR", "amount": "25.50"}])
    );
    let id = first["id"].as_i64().unwrap();
    let r = c
        .post(url(&format!("/transfers/{id}/reversal")))
        .bearer_auth(&token)
        .json(&serde_json::json!({"memo": "returned"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let reversal: serde_json::Value = r.json().await.unwrap();
    assert_eq!(reversal["reverses"], id);
    let account: serde_json::Value = c
        .get(url(&format!("/accounts/{cash}")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        account["balances"],
        serde_json::json!([{"currency": "EUR", "amount": "0.00"}])
    );
    assert_eq!(account["postings"].as_array().unwrap().len(), 2);
    let check: serde_json::Value = c
        .get(url("/check"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (check["transfers"].as_i64(), check["problems"].as_array().map(Vec::len)),
        (Some(2), Some(0))
    );

    let documenter = crate::api::token_for(&t, "doc", Role::Documenter).await;
    let r = c.get(url("/accounts")).bearer_auth(&documenter).send().await.unwrap();
    assert_eq!(r.status(), 403);
}
on_both_databases!(the_ledger_api_books_and_reads);

/// A statement sent to `/api/v1/ledger/statements` is imported whole (the same file again
/// books nothing); its unmatched payment is in `/api/v1/ledger/queue` and is resolved once by
/// `/api/v1/ledger/queue/{id}/resolution`; a documenter may do none of it.
async fn statements_and_the_queue_over_the_api(t: TestApp) {
    let app = &t.app;
    let general = open(
        app,
        "donations-general",
        AccountKind::Income,
        Some(Currency::EUR),
        false,
    )
    .await;
    let token = crate::api::token_for(&t, "treasurer", Role::Coordinator).await;
    let documenter = crate::api::token_for(&t, "writer", Role::Documenter).await;
    let c = reqwest::Client::new();
    let url = |path: &str| t.url(&format!("/api/v1/ledger{path}"));
    let statement = camt053(
        "API1",
        IBAN,
        10_000,
        &[(2_500, "for the families"), (-1_000, "bank fee")],
    );
    let send = async |token: &str| {
        let r = c
            .post(url("/statements"))
            .bearer_auth(token)
            .header("content-type", "application/xml")
            .body(statement.clone())
            .send()
            .await
            .unwrap();
        (r.status(), r.json::<serde_json::Value>().await.unwrap())
    };
    assert_eq!(send(&documenter).await.0, 403);
    let (status, report) = send(&token).await;
    assert_eq!(status, 201, "{report}");
    assert_eq!(
        (report["booked"].as_u64(), report["queued"].as_u64()),
        (Some(2), Some(2))
    );
    assert_eq!(report["balance"]["amount"], "115.00");
    let (status, again) = send(&token).await;
    assert_eq!(
        (status.as_u16(), again["already_imported"].as_bool()),
        (200, Some(true))
    );

    let queue = async || -> Vec<serde_json::Value> {
        let r = c.get(url("/queue")).bearer_auth(&token).send().await.unwrap();
        let body: serde_json::Value = r.json().await.unwrap();
        body["queue"].as_array().unwrap().clone()
    };
    let waiting = queue().await;
    assert_eq!(waiting.len(), 2);
    let credit = waiting
        .iter()
        .find(|q| q["transfer"]["remittance"] == "for the families")
        .unwrap();
    let id = credit["transfer_id"].as_i64().unwrap();
    let resolve = async || {
        let r = c
            .post(url(&format!("/queue/{id}/resolution")))
            .bearer_auth(&token)
            .json(&serde_json::json!({"account": "donations-general", "memo": "general fund"}))
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.json::<serde_json::Value>().await.unwrap())
    };
    let (status, first) = resolve().await;
    assert_eq!(status, 201, "{first}");
    let (status, second) = resolve().await;
    assert_eq!((status, &second["id"]), (200, &first["id"]));
    assert_eq!(balance(app, general).await, "-25.00 EUR");
    assert_eq!(queue().await.len(), 1);
    assert_clean(app).await;
}
on_both_databases!(statements_and_the_queue_over_the_api);

/// The pages, with JavaScript off: a statement uploaded as a form, its report, the accounts,
/// the queue with a form per payment, a transfer and its reversal button; a documenter is
/// refused.
async fn the_ledger_pages_work_with_forms_alone(t: TestApp) {
    let c = t
        .logged_in_client(crate::helpers::ADMIN, crate::helpers::ADMIN_PASSWORD)
        .await;
    let (status, page) = t.get(&c, "/ledger").await;
    assert_eq!(status, 200);
    assert!(page.contains("id=\"upload-statement\""));
    let bytes = std::fs::read(data_file("camt.053.001.02.xml")).unwrap();
    let form = reqwest::multipart::Form::new()
        .text("csrf", crate::helpers::csrf_from(&page))
        .part(
            "file",
            reqwest::multipart::Part::bytes(bytes).file_name("statement.xml"),
        );
    let r = c
        .post(t.url("/ledger/statements"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let report = r.text().await.unwrap();
    assert!(report.contains("<td id=\"balance\">1062.50 EUR</td>"), "{report}");
    let (_, page) = t.get(&c, "/ledger").await;
    assert!(page.contains("bank-eur-3000"), "{page}");
    assert!(page.contains("Law Office Example") && page.contains("Invoice 17"));
    assert!(page.contains("Every invariant holds"));
    // Book the payment out to a new expense account from the queue's form.
    open(&t.app, "legal", AccountKind::Expense, Some(Currency::EUR), false).await;
    let queued = t.app.reconciliation_queue(&Actor::Cli, true).await.unwrap();
    let all = t.app.ledger_transfers(&Actor::Cli, None, 50).await.unwrap();
    let invoice = all.iter().find(|v| v.details.remittance == "Invoice 17").unwrap().id;
    assert!(queued.iter().any(|q| q.transfer_id == invoice));
    let r = t
        .post_form(
            &c,
            &format!("/ledger/queue/{invoice}/resolve"),
            &page,
            &[("account", "legal"), ("memo", "")],
        )
        .await;
    let (_, resolution) = followed(&t, &c, r).await;
    assert!(resolution.contains("(resolution)"), "{resolution}");
    // Reverse it from its page.
    let id = r_id(&resolution);
    let r = t
        .post_form(
            &c,
            &format!("/ledger/transfers/{id}/reverse"),
            &page,
            &[("memo", "wrong account")],
        )
        .await;
    let (_, reversal) = followed(&t, &c, r).await;
    assert!(
        reversal.contains("(reversal)") && reversal.contains("wrong account"),
        "{reversal}"
    );
    let (_, original) = t.get(&c, &format!("/ledger/transfers/{id}")).await;
    assert!(original.contains("id=\"reversed-by\"") && !original.contains("id=\"reverse\""));
    let (status, _) = t.get(&c, "/ledger/transfers/999999").await;
    assert_eq!(status, 404);

    // The booking form; sent twice (the same hidden key), booked once.
    let (_, page) = t.get(&c, "/ledger").await;
    let key_at = page.find("name=\"key\" value=\"").unwrap() + 19;
    let key = page[key_at..].split('"').next().unwrap().to_owned();
    let fields = [
        ("key", key.as_str()),
        ("booked_on", "2026-03-05"),
        ("debit", "legal"),
        ("credit", "bank-eur-3000"),
        ("amount", "12.34"),
        ("currency", "EUR"),
        ("memo", "court fee"),
    ];
    let before = transfers(&t.app).await;
    let r = t.post_form(&c, "/ledger/transfers", &page, &fields).await;
    let (_, booked) = followed(&t, &c, r).await;
    assert!(
        booked.contains("(booking)") && booked.contains("-12.34 EUR"),
        "{booked}"
    );
    let r = t.post_form(&c, "/ledger/transfers", &page, &fields).await;
    assert_eq!(r.status(), 303);
    assert_eq!(transfers(&t.app).await, before + 1);
    let r = t
        .post_form(
            &c,
            "/ledger/transfers",
            &page,
            &[
                ("key", ""),
                ("booked_on", "2026-03-05"),
                ("debit", "legal"),
                ("credit", "bank-eur-3000"),
                ("amount", "1,5"),
                ("currency", "EUR"),
            ],
        )
        .await;
    assert_eq!(r.status(), 400);

    crate::helpers::add_user(&t.app, "doc", "Doc", Role::Documenter, "doc-password-12").await;
    let d = t.logged_in_client("doc", "doc-password-12").await;
    let (status, _) = t.get(&d, "/ledger").await;
    assert_eq!(status, 403);
}
on_both_databases!(the_ledger_pages_work_with_forms_alone);

/// The page a form's 303 leads to.
async fn followed(t: &TestApp, c: &reqwest::Client, r: reqwest::Response) -> (reqwest::StatusCode, String) {
    assert_eq!(r.status(), 303);
    let to = r.headers()["location"].to_str().unwrap().to_owned();
    t.get(c, &to).await
}

/// The transfer id in a transfer page's heading.
fn r_id(page: &str) -> i64 {
    let at = page.find("<h1>").unwrap();
    page[at..].split_whitespace().find_map(|w| w.parse().ok()).unwrap()
}

/// Runs one statement as an operator with a database shell would; its error, if any.
async fn raw_sql(t: &TestApp, statement: &str) -> Option<String> {
    use sqlx::Connection;
    let result = match t.db {
        crate::helpers::Db::Sqlite => {
            let options = sqlx::sqlite::SqliteConnectOptions::new().filename(t.data_dir().join("razam.db"));
            let mut conn = sqlx::SqliteConnection::connect_with(&options).await.unwrap();
            sqlx::query(statement).execute(&mut conn).await.map(|_| ())
        }
        crate::helpers::Db::Postgres => {
            let mut conn = sqlx::PgConnection::connect(t.database_url.as_deref().unwrap())
                .await
                .unwrap();
            sqlx::query(statement).execute(&mut conn).await.map(|_| ())
        }
    };
    result.err().map(|e| e.to_string())
}

/// Transfers and postings cannot be changed even with a database shell, and what can be
/// changed (a stored balance) is named by the check.
async fn the_database_refuses_changes_and_the_check_finds_tampering(t: TestApp) {
    let app = &t.app;
    let cash = open(app, "cash", AccountKind::Asset, Some(Currency::EUR), true).await;
    let income = open(app, "income", AccountKind::Income, Some(Currency::EUR), false).await;
    app.ledger_book(&Actor::Cli, &pay(None, income, cash, eur("10")))
        .await
        .unwrap();
    for statement in [
        "UPDATE ledger_postings SET amount = 2000",
        "DELETE FROM ledger_postings",
        "UPDATE ledger_transfers SET booked_on = '2020-01-01'",
        "DELETE FROM ledger_transfers",
    ] {
        let err = raw_sql(&t, statement)
            .await
            .unwrap_or_else(|| panic!("{statement} was allowed"));
        assert!(err.contains("immutable"), "{statement}: {err}");
    }
    if t.db == crate::helpers::Db::Postgres {
        let err = raw_sql(&t, "TRUNCATE ledger_postings CASCADE").await.unwrap();
        assert!(err.contains("immutable"), "{err}");
    }
    assert_clean(app).await;
    assert!(
        raw_sql(
            &t,
            &format!("UPDATE ledger_balances SET balance = 999 WHERE account_id = {cash}")
        )
        .await
        .is_none()
    );
    let check = app.ledger_check(&Actor::Cli).await.unwrap();
    assert_eq!(
        check.problems,
        [format!(
            "account {cash} holds 999 EUR but its postings sum to 1000 (invariant: every stored balance is the sum of its postings)"
        )]
    );
}
on_both_databases!(the_database_refuses_changes_and_the_check_finds_tampering);
