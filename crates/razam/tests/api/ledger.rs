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
