//! Assistance cases on both databases: the requester can never review, approve or refuse;
//! two different approvals are needed (one person counts once); the payment is booked in the
//! ledger in the step that marks the case paid, and the ledger still balances; refusal and
//! withdrawal end a case; the link to the registry is sealed and nothing of it reaches the
//! audit log or the public report, whose small cells are suppressed.

use razam_app::AppError;
use razam_app::assistance::{AssistanceForm, PaymentForm};
use razam_app::campaigns::DonationForm;
use razam_app::registry::{Identity, PersonInput};
use razam_app::transparency::Flow;
use razam_core::Role;
use razam_core::assistance::{CaseAction, CaseState};
use razam_core::registry::Confidentiality;

use crate::api::sql;
use crate::campaigns::{actor, bank, campaign};
use crate::helpers::{Db, TestApp, client, spawn_app_configured};
use crate::on_both_databases;

const SECRET_NAME: &str = "Сакрэтнае Прозвішча";

pub(crate) async fn person(app: &TestApp) -> i64 {
    app.app
        .create_person(
            &razam_app::Actor::Cli,
            &PersonInput {
                identity: Identity {
                    given_name: "Аліна".into(),
                    family_name: SECRET_NAME.into(),
                    patronymic: String::new(),
                    variants: Vec::new(),
                    birth_date: String::new(),
                    contacts: String::new(),
                    notes: String::new(),
                },
                region: None,
                confidentiality: Confidentiality::Internal,
                consent_to_publish: false,
            },
        )
        .await
        .unwrap()
}

fn request(persons: &str, category: &str, amount: &str) -> AssistanceForm {
    AssistanceForm {
        persons: persons.into(),
        category: category.into(),
        currency: "EUR".into(),
        amount: amount.into(),
        purpose: "Адвакат на апеляцыю".into(),
    }
}

/// A bank account with money in it: `amount` EUR given to a public campaign `code`.
async fn funded_bank(app: &TestApp, coordinator: &razam_app::Actor, code: &str, amount: &str) -> i64 {
    let bank = bank(app, "bank-eur").await;
    let fund = app
        .app
        .create_campaign(coordinator, &campaign(code, "5000", true))
        .await
        .unwrap();
    app.app
        .record_donation(
            coordinator,
            fund.id,
            &DonationForm {
                amount: amount.into(),
                account: bank.to_string(),
                booked_on: "2026-01-10".into(),
                idempotency_key: format!("fund {code}"),
                ..DonationForm::default()
            },
        )
        .await
        .unwrap();
    bank
}

/// The people of a case: a documenter who asks, two reviewers, a coordinator who pays.
async fn team(app: &TestApp) -> [razam_app::Actor; 4] {
    [
        actor(app, "ales", Role::Documenter).await,
        actor(app, "hanna", Role::Reviewer).await,
        actor(app, "maks", Role::Reviewer).await,
        actor(app, "volha", Role::Coordinator).await,
    ]
}

async fn a_request_needs_two_other_people_and_its_payment_balances_the_ledger(app: TestApp) {
    let a = &app.app;
    let [ales, hanna, maks, volha] = team(&app).await;
    let viewer = actor(&app, "vika", Role::Viewer).await;
    // Money in first: a campaign receives enough to pay from the bank.
    let bank = funded_bank(&app, &volha, "LEGAL26", "2000").await;
    let p = person(&app).await;

    assert!(matches!(
        a.request_assistance(&viewer, &request(&p.to_string(), "legal-aid", "300"))
            .await,
        Err(AppError::Forbidden)
    ));
    assert!(matches!(
        a.request_assistance(&ales, &request("P-999999", "legal-aid", "300"))
            .await,
        Err(AppError::BadInput(_))
    ));
    let reference = a
        .request_assistance(&ales, &request(&format!("P-{p:06}"), "legal-aid", "300"))
        .await
        .unwrap();
    assert!(reference.starts_with("A-") && reference.len() == 10, "{reference}");

    // The requester can take no deciding step on their own request.
    for step in [CaseAction::Review, CaseAction::Approve, CaseAction::Refuse] {
        assert!(a.act_on_assistance(&ales, &reference, step).await.is_err(), "{step:?}");
    }
    // Approval needs a review first.
    assert!(matches!(
        a.act_on_assistance(&hanna, &reference, CaseAction::Approve).await,
        Err(AppError::BadInput(_))
    ));
    assert_eq!(
        a.act_on_assistance(&hanna, &reference, CaseAction::Review)
            .await
            .unwrap(),
        CaseState::InReview
    );
    // The documenter who asked still cannot approve once it is in review.
    assert!(
        a.act_on_assistance(&ales, &reference, CaseAction::Approve)
            .await
            .is_err()
    );
    assert_eq!(
        a.act_on_assistance(&hanna, &reference, CaseAction::Approve)
            .await
            .unwrap(),
        CaseState::InReview
    );
    // One person counts once.
    assert!(matches!(
        a.act_on_assistance(&hanna, &reference, CaseAction::Approve).await,
        Err(AppError::BadInput(_))
    ));
    // Not yet approved twice: no payment.
    let pay = PaymentForm {
        account: bank.to_string(),
        paid_on: "2026-02-03".into(),
    };
    assert!(a.pay_assistance(&volha, &reference, &pay).await.is_err());
    assert_eq!(
        a.act_on_assistance(&maks, &reference, CaseAction::Approve)
            .await
            .unwrap(),
        CaseState::Approved
    );
    // Reviewers approve but do not pay; the coordinator pays.
    assert!(matches!(
        a.pay_assistance(&maks, &reference, &pay).await,
        Err(AppError::Forbidden)
    ));
    assert_eq!(
        a.pay_assistance(&volha, &reference, &pay).await.unwrap(),
        CaseState::Paid
    );
    // Paid once: a second payment is refused and books nothing.
    assert!(a.pay_assistance(&volha, &reference, &pay).await.is_err());

    let case = a.assistance_case(&hanna, &reference).await.unwrap();
    assert_eq!(case.state, CaseState::Paid);
    assert_eq!(case.approvals.len(), 2);
    assert_eq!(case.details.persons, vec![p]);
    let steps: Vec<&str> = case.steps.iter().map(|s| s.action.as_str()).collect();
    assert_eq!(steps, ["request", "review", "approve", "approve", "pay"]);
    let transfer = case.transfer_id.expect("the payment's transfer");
    let booked = a.ledger_transfer(&razam_app::Actor::Cli, transfer).await.unwrap();
    assert_eq!(booked.postings.len(), 2);
    assert_eq!(booked.postings.iter().map(|p| p.amount.minor()).sum::<i64>(), 0);
    let bank_balance = a.ledger_balance(&razam_app::Actor::Cli, bank).await.unwrap();
    assert_eq!(bank_balance.iter().map(|m| m.minor()).sum::<i64>(), 200_000 - 30_000);
    assert!(
        a.ledger_check(&razam_app::Actor::Cli)
            .await
            .unwrap()
            .problems
            .is_empty()
    );

    // The requester sees their own case; a viewer sees none.
    assert!(a.assistance_case(&ales, &reference).await.is_ok());
    assert!(matches!(
        a.assistance_case(&viewer, &reference).await,
        Err(AppError::Forbidden)
    ));

    // Refused and withdrawn end a case.
    let refused = a
        .request_assistance(&ales, &request(&p.to_string(), "medical", "80"))
        .await
        .unwrap();
    assert_eq!(
        a.act_on_assistance(&maks, &refused, CaseAction::Refuse).await.unwrap(),
        CaseState::Refused
    );
    assert!(a.act_on_assistance(&hanna, &refused, CaseAction::Review).await.is_err());
    let withdrawn = a
        .request_assistance(&ales, &request(&p.to_string(), "evacuation", "700"))
        .await
        .unwrap();
    assert!(
        a.act_on_assistance(&hanna, &withdrawn, CaseAction::Withdraw)
            .await
            .is_err()
    );
    assert_eq!(
        a.act_on_assistance(&ales, &withdrawn, CaseAction::Withdraw)
            .await
            .unwrap(),
        CaseState::Withdrawn
    );

    // The audit log holds ids and actions only; the database never the person's name in
    // the clear (the case row is sealed).
    let audit = sql(
        &app,
        "SELECT action, object FROM audit_log WHERE action LIKE 'assistance.%' ORDER BY seq",
    )
    .await;
    let actions: Vec<&str> = audit.iter().map(|(a, _)| a.as_str()).collect();
    assert_eq!(
        actions,
        [
            "assistance.request",
            "assistance.review",
            "assistance.approve",
            "assistance.approve",
            "assistance.pay",
            "assistance.request",
            "assistance.refuse",
            "assistance.request",
            "assistance.withdraw"
        ]
    );
    assert!(audit.iter().all(|(_, o)| o.starts_with("assistance:")), "{audit:?}");
    let rows = sql(&app, "SELECT ref, category FROM assistance_cases").await;
    assert_eq!(rows.len(), 3);

    // The public report: one legal-aid payment is a small cell, suppressed with its amount;
    // no case reference or name anywhere.
    let report = a.transparency_report().await.unwrap();
    let out: Vec<_> = report.rows.iter().filter(|r| r.flow == Flow::Out).collect();
    assert!(!out.is_empty());
    assert!(out.iter().all(|r| r.count.is_none() && r.amount.is_none()), "{out:?}");
    let visitor = client();
    for path in ["/transparency", "/transparency.csv", "/transparency.hxl.csv"] {
        let (status, body) = app.get(&visitor, path).await;
        assert_eq!(status, 200, "{path}");
        assert!(
            !body.contains(&reference) && !body.contains(SECRET_NAME),
            "{path}: {body}"
        );
        assert!(!body.contains("300.00"), "{path}: a single payment's amount: {body}");
    }
    let (_, hxl) = app.get(&visitor, "/transparency.hxl.csv").await;
    let mut lines = hxl.lines();
    assert!(lines.next().unwrap().starts_with("month,"));
    assert!(
        lines
            .next()
            .unwrap()
            .starts_with("#date+month,#activity+code,#sector,#currency,#value+income,")
    );
}
on_both_databases!(a_request_needs_two_other_people_and_its_payment_balances_the_ledger);

/// Five payments in a category and month are shown; one in another month is hidden, and so
/// is a partner, so that no total gives it back.
async fn the_report_shows_cells_of_five_and_hides_what_totals_would_give_back(app: TestApp) {
    let a = &app.app;
    let [ales, hanna, maks, volha] = team(&app).await;
    let bank = funded_bank(&app, &volha, "PARCELS", "5000").await;
    let p = person(&app).await;
    let paid = |month: &'static str, category: &'static str| {
        let (a, ales, hanna, maks, volha) = (a.clone(), ales.clone(), hanna.clone(), maks.clone(), volha.clone());
        async move {
            let r = a
                .request_assistance(&ales, &request(&p.to_string(), category, "50"))
                .await
                .unwrap();
            a.act_on_assistance(&hanna, &r, CaseAction::Review).await.unwrap();
            a.act_on_assistance(&hanna, &r, CaseAction::Approve).await.unwrap();
            a.act_on_assistance(&maks, &r, CaseAction::Approve).await.unwrap();
            a.pay_assistance(
                &volha,
                &r,
                &PaymentForm {
                    account: bank.to_string(),
                    paid_on: format!("{month}-10"),
                },
            )
            .await
            .unwrap();
        }
    };
    for _ in 0..5 {
        paid("2026-02", "prison-parcels").await;
    }
    let cell = |report: &razam_app::transparency::TransparencyReport, month: &str, line: &str| {
        report
            .rows
            .iter()
            .find(|r| r.flow == Flow::Out && r.month == month && r.line == line)
            .unwrap()
            .clone()
    };
    // Five payments: shown, with their sum.
    let report = a.transparency_report().await.unwrap();
    assert_eq!(cell(&report, "2026-02", "prison-parcels").count, Some(5));
    assert_eq!(
        cell(&report, "2026-02", "prison-parcels").amount.as_deref(),
        Some("250.00")
    );
    for _ in 0..6 {
        paid("2026-03", "prison-parcels").await;
    }
    paid("2026-03", "medical").await;
    let report = a.transparency_report().await.unwrap();
    let medical = cell(&report, "2026-03", "medical");
    assert_eq!((medical.count, medical.amount), (None, None));
    // The medical total over the months is that one payment: hidden too.
    assert!(cell(&report, "total", "medical").suppressed());
    // No two published figures differ by the one payment: the grand total and the parcels'
    // total, or March's total and March's parcels, are never both shown.
    let shown = |month: &str, line: &str| !cell(&report, month, line).suppressed();
    assert!(
        !(shown("total", "total") && shown("total", "prison-parcels")),
        "{report:#?}"
    );
    assert!(
        !(shown("2026-03", "total") && shown("2026-03", "prison-parcels")),
        "{report:#?}"
    );
    // No shown figure anywhere is a count from 1 to 4.
    assert!(report.rows.iter().all(|r| r.count.is_none_or(|n| n == 0 || n >= 5)));
}
on_both_databases!(the_report_shows_cells_of_five_and_hides_what_totals_would_give_back);

/// `[assistance] approvals = 3` asks for a third approval.
#[tokio::test]
async fn three_approvals_when_the_configuration_asks_for_three() {
    let app = spawn_app_configured(Db::Sqlite, "[assistance]\napprovals = 3")
        .await
        .unwrap();
    let a = &app.app;
    let ales = actor(&app, "ales", Role::Documenter).await;
    let reviewers = [
        actor(&app, "hanna", Role::Reviewer).await,
        actor(&app, "maks", Role::Reviewer).await,
        actor(&app, "volha", Role::Coordinator).await,
    ];
    let p = person(&app).await;
    let r = a
        .request_assistance(&ales, &request(&p.to_string(), "family-support", "120"))
        .await
        .unwrap();
    a.act_on_assistance(&reviewers[0], &r, CaseAction::Review)
        .await
        .unwrap();
    let states: Vec<CaseState> = {
        let mut out = Vec::new();
        for who in &reviewers {
            out.push(a.act_on_assistance(who, &r, CaseAction::Approve).await.unwrap());
        }
        out
    };
    assert_eq!(states, [CaseState::InReview, CaseState::InReview, CaseState::Approved]);
    assert_eq!(a.assistance_case(&ales, &r).await.unwrap().required, 3);
}

/// The pages: a documenter requests through the form and sees no deciding button on their own
/// case (and is refused if they post one anyway); two reviewers approve with their buttons; the
/// coordinator pays with the form.
async fn a_case_goes_through_its_pages(app: TestApp) {
    use crate::helpers::add_user;
    for (name, role) in [
        ("ales", Role::Documenter),
        ("hanna", Role::Reviewer),
        ("maks", Role::Reviewer),
        ("volha", Role::Coordinator),
    ] {
        add_user(&app.app, name, "Тэст", role, &format!("{name}-password-1")).await;
    }
    let bank = bank(&app, "bank-eur").await;
    let p = person(&app).await;
    let ales = app.logged_in_client("ales", "ales-password-1").await;
    let (_, page) = app.get(&ales, "/assistance").await;
    assert!(page.contains("id=\"new-request\""), "{page}");
    let r = app
        .post_form(
            &ales,
            "/assistance",
            &page,
            &[
                ("persons", &format!("P-{p:06}")),
                ("category", "prison-parcels"),
                ("amount", "45"),
                ("currency", "EUR"),
                ("purpose", "Перадача"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    let case = r.headers()["location"].to_str().unwrap().to_owned();
    let (_, mine) = app.get(&ales, &case).await;
    assert!(
        mine.contains("do-withdraw") && !mine.contains("do-review") && !mine.contains("do-approve"),
        "{mine}"
    );
    let refused = app.post_form(&ales, &format!("{case}/review"), &mine, &[]).await;
    assert_eq!(refused.status(), 403, "a documenter may not review");

    for reviewer in ["hanna", "maks"] {
        let c = app.logged_in_client(reviewer, &format!("{reviewer}-password-1")).await;
        let (_, page) = app.get(&c, &case).await;
        let step = if page.contains("do-review") {
            "review"
        } else {
            "approve"
        };
        let r = app.post_form(&c, &format!("{case}/{step}"), &page, &[]).await;
        assert_eq!(r.status(), 303, "{reviewer} {step}");
        let (_, page) = app.get(&c, &case).await;
        if step == "review" {
            let r = app.post_form(&c, &format!("{case}/approve"), &page, &[]).await;
            assert_eq!(r.status(), 303);
            let (_, page) = app.get(&c, &case).await;
            assert!(!page.contains("do-approve"), "one approval each: {page}");
        }
    }
    let volha = app.logged_in_client("volha", "volha-password-1").await;
    let (_, page) = app.get(&volha, &case).await;
    assert!(page.contains("id=\"pay-form\""), "{page}");
    let r = app
        .post_form(
            &volha,
            &format!("{case}/pay"),
            &page,
            &[("account", &bank.to_string()), ("paid_on", "2026-02-02")],
        )
        .await;
    assert_eq!(r.status(), 303);
    let (_, page) = app.get(&volha, &case).await;
    assert!(page.contains("id=\"case-transfer\""), "{page}");
    let steps = page.split("id=\"case-steps\">").nth(1).unwrap();
    assert_eq!(steps.matches("<li>").count(), 5, "{steps}");
}
on_both_databases!(a_case_goes_through_its_pages);

/// Two reviewers approve at the same moment: both approvals count (the second is taken on the
/// case as the first left it); two payments at the same moment book one transfer.
async fn simultaneous_steps_count_once_each_and_pay_once(app: TestApp) {
    let a = &app.app;
    let [ales, hanna, maks, volha] = team(&app).await;
    let admin = actor(&app, "olga", Role::Admin).await;
    let bank = funded_bank(&app, &volha, "TOGETHER", "1000").await;
    let p = person(&app).await;
    let r = a
        .request_assistance(&ales, &request(&p.to_string(), "medical", "250"))
        .await
        .unwrap();
    a.act_on_assistance(&hanna, &r, CaseAction::Review).await.unwrap();
    let (one, two) = tokio::join!(
        a.act_on_assistance(&hanna, &r, CaseAction::Approve),
        a.act_on_assistance(&maks, &r, CaseAction::Approve),
    );
    let mut states = [one.unwrap(), two.unwrap()];
    states.sort_by_key(|s| s.as_str());
    assert_eq!(states, [CaseState::Approved, CaseState::InReview]);
    let pay = PaymentForm {
        account: bank.to_string(),
        paid_on: "2026-02-02".into(),
    };
    let (one, two) = tokio::join!(a.pay_assistance(&volha, &r, &pay), a.pay_assistance(&admin, &r, &pay));
    assert_eq!(
        [one.is_ok(), two.is_ok()].iter().filter(|ok| **ok).count(),
        1,
        "{one:?} {two:?}"
    );
    let balance = a.ledger_balance(&razam_app::Actor::Cli, bank).await.unwrap();
    assert_eq!(balance.iter().map(|m| m.minor()).sum::<i64>(), 100_000 - 25_000);
    let case = a.assistance_case(&hanna, &r).await.unwrap();
    assert_eq!((case.state, case.approvals.len()), (CaseState::Paid, 2));
    assert!(
        a.ledger_check(&razam_app::Actor::Cli)
            .await
            .unwrap()
            .problems
            .is_empty()
    );
}
on_both_databases!(simultaneous_steps_count_once_each_and_pay_once);

/// A case paid from a bank account (one with an IBAN) waits in its in-transit liability; the
/// bank statement built here, imported with `razam ledger import-statement`, clears it by the
/// case reference and amount (bank against in-transit, not a second expense, not queued) and
/// matches a donation by its campaign code; a second debit naming the same case is queued,
/// since nothing waits any more. Cash stays direct.
async fn a_bank_payment_waits_in_transit_until_the_statement_clears_it(app: TestApp) {
    use razam_app::Actor;
    use razam_app::ledger::AccountSpec;
    use razam_core::ledger::{AccountKind, AccountRules, Currency, Iban};

    let a = &app.app;
    let [ales, hanna, maks, volha] = team(&app).await;
    let iban = "DE89370400440532013000";
    let bank = a
        .create_ledger_account(
            &Actor::Cli,
            AccountSpec {
                code: "bank-eur".into(),
                name: "Main bank account".into(),
                kind: AccountKind::Asset,
                currency: Some(Currency::EUR),
                rules: AccountRules::default(),
                iban: Some(Iban::parse(iban).unwrap()),
            },
        )
        .await
        .unwrap();
    let cash = crate::campaigns::bank(&app, "cash-eur").await;
    let winter = a
        .create_campaign(&volha, &crate::campaigns::campaign("WINTER26", "5000", true))
        .await
        .unwrap();
    let p = person(&app).await;
    let approved = |amount: &'static str| {
        let (a, ales, hanna, maks) = (a.clone(), ales.clone(), hanna.clone(), maks.clone());
        async move {
            let r = a
                .request_assistance(&ales, &request(&p.to_string(), "legal-aid", amount))
                .await
                .unwrap();
            a.act_on_assistance(&hanna, &r, CaseAction::Review).await.unwrap();
            a.act_on_assistance(&hanna, &r, CaseAction::Approve).await.unwrap();
            a.act_on_assistance(&maks, &r, CaseAction::Approve).await.unwrap();
            r
        }
    };
    let balance = async |code: &str| {
        let account = a.ledger_account_by_code(&Actor::Cli, code).await.unwrap();
        account
            .balances
            .iter()
            .map(|m| m.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let by_bank = approved("300").await;
    let pay = |account: i64| PaymentForm {
        account: account.to_string(),
        paid_on: "2026-03-01".into(),
    };
    assert_eq!(
        a.pay_assistance(&volha, &by_bank, &pay(bank)).await.unwrap(),
        CaseState::Paid
    );
    let in_transit = &format!("in-transit-{}", by_bank.to_ascii_lowercase());
    // Ordered, not yet gone: the bank's ledger balance is still the bank's.
    assert_eq!(balance("bank-eur").await, "0.00 EUR");
    assert_eq!(balance(in_transit).await, "-300.00 EUR");
    assert_eq!(balance("assistance-legal-aid-eur").await, "300.00 EUR");

    // Cash leaves at once: no in-transit account.
    let by_cash = approved("20").await;
    a.pay_assistance(&volha, &by_cash, &pay(cash)).await.unwrap();
    let cash_balance = a.ledger_balance(&Actor::Cli, cash).await.unwrap();
    assert_eq!(cash_balance.iter().map(|m| m.minor()).sum::<i64>(), -2_000);
    let cash_transit = format!("in-transit-{}", by_cash.to_ascii_lowercase());
    assert!(a.ledger_account_by_code(&Actor::Cli, &cash_transit).await.is_err());

    // The bank's statement: the opening balance, a donation naming the campaign, the case's
    // payment (its reference in lower case, as a bank may write it), an invoice.
    let statement = crate::ledger::camt053(
        "S1",
        iban,
        100_000,
        &[
            (25_000, "Spende WINTER26 danke"),
            (-30_000, &format!("Hilfe {}", by_bank.to_lowercase())),
            (-4_000, "Invoice 9"),
        ],
    );
    let file = app.dir.path().join("s1.xml");
    std::fs::write(&file, statement).unwrap();
    let (code, out, err) = crate::ledger::ledger_cli(&app, &["import-statement", file.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains(
            "3 entries, 3 booked as 3 transfers (0 split parts, 1 matched by reference, 1 cleared assistance \
             payments, 1 queued for reconciliation, 0 reversals), 0 pending not booked; opening balance 1000.00 EUR \
             booked; balance 910.00 EUR"
        ),
        "{out}"
    );
    // The bank's closing balance, the expense once, nothing left in transit, the donation raised.
    assert_eq!(balance("bank-eur").await, "910.00 EUR");
    assert_eq!(balance(in_transit).await, "0.00 EUR");
    assert_eq!(balance("assistance-legal-aid-eur").await, "320.00 EUR");
    let raised = a.campaign(&volha, winter.id).await.unwrap();
    assert_eq!(
        (raised.raised.to_string().as_str(), raised.donations),
        ("250.00 EUR", 1)
    );
    let queue = a.reconciliation_queue(&Actor::Cli, true).await.unwrap();
    assert_eq!(queue.len(), 1, "only the invoice waits");
    let cleared = sql(
        &app,
        "SELECT action, object FROM audit_log WHERE action = 'ledger.statement.cleared'",
    )
    .await;
    assert_eq!(cleared.len(), 1, "{cleared:?}");

    // The bank debits the case again: nothing waits in transit any more, so it is queued.
    let again = crate::ledger::camt053("S2", iban, 91_000, &[(-30_000, &format!("Hilfe {by_bank}"))]);
    std::fs::write(&file, again).unwrap();
    let (code, out, err) = crate::ledger::ledger_cli(&app, &["import-statement", file.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("0 matched by reference, 0 cleared assistance payments, 1 queued for reconciliation"),
        "{out}"
    );
    assert_eq!(balance("bank-eur").await, "610.00 EUR");
    assert_eq!(balance(in_transit).await, "0.00 EUR");
    assert_eq!(a.reconciliation_queue(&Actor::Cli, true).await.unwrap().len(), 2);
    assert!(a.ledger_check(&Actor::Cli).await.unwrap().problems.is_empty());
}
on_both_databases!(a_bank_payment_waits_in_transit_until_the_statement_clears_it);
