//! Campaigns and donations on both databases: raised is the ledger's balance, a retried
//! donation books once, the public page shows only consenting donors (and an amount only
//! with the second consent) and the number of donations only from 5, a campaign not marked
//! public is not found by visitors, and the code is a ledger reference.

use razam_app::campaigns::{CampaignForm, DonationForm};
use razam_app::ledger::AccountSpec;
use razam_app::{Actor, AppError};
use razam_core::Role;
use razam_core::ledger::{AccountKind, AccountRules, Currency};

use crate::api::sql;
use crate::helpers::{TestApp, add_user, client};
use crate::on_both_databases;

pub async fn actor(app: &TestApp, username: &str, role: Role) -> Actor {
    let password = format!("{username}-password-1");
    add_user(&app.app, username, "Тэст", role, &password).await;
    Actor::Account(app.app.log_in(username, &password, None).await.unwrap().user)
}

/// A bank account in EUR the money comes into.
pub async fn bank(app: &TestApp, code: &str) -> i64 {
    app.app
        .create_ledger_account(
            &Actor::Cli,
            AccountSpec {
                code: code.into(),
                name: format!("Bank {code}"),
                kind: AccountKind::Asset,
                currency: Some(Currency::EUR),
                rules: AccountRules::default(),
                iban: None,
            },
        )
        .await
        .unwrap()
}

pub fn campaign(code: &str, goal: &str, public: bool) -> CampaignForm {
    CampaignForm {
        code: code.into(),
        title: format!("Зіма для сем'яў {code}"),
        description: "Цёплыя рэчы і ежа.\nДругі абзац.".into(),
        currency: "EUR".into(),
        goal: goal.into(),
        starts_on: "2026-01-01".into(),
        public: public.then(|| "1".into()),
        ..CampaignForm::default()
    }
}

pub fn donation(key: &str, bank: i64, amount: &str, donor: &str, named: bool, amount_shown: bool) -> DonationForm {
    DonationForm {
        amount: amount.into(),
        account: bank.to_string(),
        booked_on: "2026-01-15".into(),
        donor: donor.into(),
        named: named.then(|| "1".into()),
        amount_shown: amount_shown.then(|| "1".into()),
        idempotency_key: key.into(),
    }
}

async fn a_campaign_raises_what_its_ledger_account_holds_and_shows_only_consenting_donors(app: TestApp) {
    let a = &app.app;
    let coordinator = actor(&app, "volha", Role::Coordinator).await;
    let documenter = actor(&app, "ales", Role::Documenter).await;
    let bank = bank(&app, "bank-eur").await;

    // Only those who run campaigns create them.
    assert!(matches!(
        a.create_campaign(&documenter, &campaign("WINTER26", "65000", true))
            .await,
        Err(AppError::Forbidden)
    ));
    let c = a
        .create_campaign(&coordinator, &campaign("winter26", "65000", true))
        .await
        .unwrap();
    assert_eq!(c.code, "WINTER26");
    assert_eq!(c.goal.format(), "65000.00");
    // The code is a ledger reference to the campaign's own income account.
    let references = a.ledger_references(&Actor::Cli).await.unwrap();
    assert!(
        references.contains(&("WINTER26".to_owned(), c.account_id)),
        "{references:?}"
    );
    // A second campaign with the same code is refused.
    assert!(matches!(
        a.create_campaign(&coordinator, &campaign("WINTER26", "10", true)).await,
        Err(AppError::Conflict(_))
    ));

    let first = a
        .record_donation(
            &coordinator,
            c.id,
            &donation("k1", bank, "100.50", "Ганна Шчодрая", true, true),
        )
        .await
        .unwrap();
    // The same request again (a retry) books nothing more.
    let again = a
        .record_donation(
            &coordinator,
            c.id,
            &donation("k1", bank, "100.50", "Ганна Шчодрая", true, true),
        )
        .await
        .unwrap();
    assert_eq!(first, again);
    a.record_donation(
        &coordinator,
        c.id,
        &donation("k2", bank, "40", "Пятро Сціплы", true, false),
    )
    .await
    .unwrap();
    a.record_donation(
        &coordinator,
        c.id,
        &donation("k3", bank, "9.50", "Тайны Ахвярадавец", false, true),
    )
    .await
    .unwrap();

    let c = a.campaign(&coordinator, c.id).await.unwrap();
    assert_eq!(c.raised.format(), "150.00");
    assert_eq!(c.donations, 3);
    // One truth: the campaign's ledger account holds exactly what it raised.
    let balance = a.ledger_balance(&Actor::Cli, c.account_id).await.unwrap();
    assert_eq!(balance.iter().map(|m| m.minor()).sum::<i64>(), -15_000);
    let bank_balance = a.ledger_balance(&Actor::Cli, bank).await.unwrap();
    assert_eq!(bank_balance.iter().map(|m| m.minor()).sum::<i64>(), 15_000);
    assert!(a.ledger_check(&Actor::Cli).await.unwrap().problems.is_empty());

    // The coordinators see every donor, consenting or not.
    let donations = a.donations(&coordinator, c.id).await.unwrap();
    assert_eq!(donations.len(), 3);
    assert!(donations.iter().any(|d| d.donor == "Тайны Ахвярадавец" && !d.named));

    // The public page, without a login.
    let visitor = client();
    let (status, page) = app.get(&visitor, "/campaigns/WINTER26").await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("<h1>Зіма для сем&#39;яў winter26</h1>"), "{page}");
    assert!(page.contains("150.00 EUR") && page.contains("65000.00 EUR"), "{page}");
    assert!(page.contains("Ганна Шчодрая") && page.contains("100.50"), "{page}");
    assert!(page.contains("Пятро Сціплы"), "{page}");
    assert!(
        !page.contains("40.00"),
        "an amount beside a name needs its own consent: {page}"
    );
    assert!(
        !page.contains("Тайны Ахвярадавец"),
        "a donor without consent is never shown: {page}"
    );
    assert!(!page.contains("9.50"), "{page}");
    assert!(page.contains("<svg") && !page.contains("<script"), "{page}");
    // Three donations: the number is suppressed.
    let count = page
        .split("id=\"donations\">")
        .nth(1)
        .unwrap()
        .split("</dd>")
        .next()
        .unwrap();
    assert!(!count.contains('3'), "{count}");
    let json = a.public_campaign("WINTER26").await.unwrap();
    assert_eq!(json.donations, None);
    assert_eq!(json.donors.len(), 2);

    for (key, donor) in [("k4", ""), ("k5", "")] {
        a.record_donation(&coordinator, c.id, &donation(key, bank, "10", donor, false, false))
            .await
            .unwrap();
    }
    let json = a.public_campaign("winter26").await.unwrap();
    assert_eq!(json.donations, Some(5));
    assert_eq!(json.raised, "170.00");
    assert_eq!(json.progress_permille, 2);

    // A campaign not marked public is not found by visitors.
    let hidden = a
        .create_campaign(&coordinator, &campaign("FAMILY-K", "3000", false))
        .await
        .unwrap();
    let (status, _) = app.get(&visitor, "/campaigns/FAMILY-K").await;
    assert_eq!(status, 404);
    assert!(matches!(
        a.public_campaign("FAMILY-K").await,
        Err(AppError::NotFound(_))
    ));
    // Closed, it takes no more donations.
    let mut close = campaign("FAMILY-K", "3000", false);
    close.status = "closed".into();
    a.update_campaign(&coordinator, hidden.id, &close).await.unwrap();
    assert!(matches!(
        a.record_donation(&coordinator, hidden.id, &donation("k6", bank, "1", "", false, false))
            .await,
        Err(AppError::BadInput(_))
    ));

    // The audit log names campaigns by id and actions only.
    let audit = sql(&app, "SELECT action, object FROM audit_log ORDER BY seq").await;
    assert!(audit.contains(&("campaign.create".to_owned(), format!("campaign:{}", c.id))));
    assert!(audit.contains(&("donation.record".to_owned(), format!("campaign:{}", c.id))));
    let text = format!("{audit:?}");
    assert!(!text.contains("Ганна") && !text.contains("Зіма"), "{text}");
}
on_both_databases!(a_campaign_raises_what_its_ledger_account_holds_and_shows_only_consenting_donors);

/// The pages, as a coordinator and a visitor use them: a campaign made through the form, a
/// donation through the form (sent twice, booked once), the public page without a login.
async fn a_coordinator_runs_a_campaign_from_the_pages(app: TestApp) {
    add_user(&app.app, "volha", "Вольга", Role::Coordinator, "volha-password-1").await;
    let bank = bank(&app, "bank-eur").await;
    let c = app.logged_in_client("volha", "volha-password-1").await;
    let (status, page) = app.get(&c, "/campaigns").await;
    assert_eq!(status, 200);
    assert!(page.contains("id=\"new-campaign\""), "{page}");
    let bad = app
        .post_form(
            &c,
            "/campaigns",
            &page,
            &[("code", "1X"), ("title", "T"), ("currency", "EUR"), ("goal", "10")],
        )
        .await;
    assert_eq!(bad.status(), 422);
    assert!(bad.text().await.unwrap().contains("campaign code"));
    let r = app
        .post_form(
            &c,
            "/campaigns",
            &page,
            &[
                ("code", "boots25"),
                ("title", "Boots for the winter"),
                ("currency", "EUR"),
                ("goal", "65000"),
                ("public", "1"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/campaigns/BOOTS25/manage");
    let (_, manage) = app.get(&c, "/campaigns/BOOTS25/manage").await;
    assert!(manage.contains("id=\"donation-form\""), "{manage}");
    // The form's own key, as a browser sends it back: the same form sent twice books once.
    let key = manage
        .split("name=\"idempotency_key\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_owned();
    let fields = [
        ("idempotency_key", key.as_str()),
        ("amount", "12,50"),
        ("account", &bank.to_string()),
        ("booked_on", "2026-02-01"),
        ("donor", "Ала Вядомая"),
        ("named", "1"),
    ];
    for _ in 0..2 {
        let r = app
            .post_form(&c, "/campaigns/BOOTS25/donations", &manage, &fields)
            .await;
        assert_eq!(r.status(), 303);
    }
    let (_, manage) = app.get(&c, "/campaigns/BOOTS25/manage").await;
    assert!(
        manage.contains("12.50 EUR") && !manage.contains("25.00 EUR"),
        "one donation: {manage}"
    );

    let visitor = client();
    let (status, public) = app.get(&visitor, "/campaigns/BOOTS25").await;
    assert_eq!(status, 200);
    assert!(
        public.contains("Ала Вядомая") && !public.contains("12.50 EUR · "),
        "{public}"
    );
    assert!(public.contains("12.50 EUR") && public.contains("65000.00 EUR"));
    let (_, list) = app.get(&visitor, "/campaigns").await;
    assert!(list.contains("/campaigns/BOOTS25") && !list.contains("new-campaign"));
    let (status, _) = app.get(&visitor, "/campaigns/BOOTS25/manage").await;
    assert_eq!(status, 303, "to the login");
}
on_both_databases!(a_coordinator_runs_a_campaign_from_the_pages);

/// A bank payment whose remittance text names the campaign's code finds its account among
/// the ledger's references (the matching statement import uses).
async fn a_remittance_text_naming_the_code_finds_the_campaign(app: TestApp) {
    let coordinator = actor(&app, "volha", Role::Coordinator).await;
    let c = app
        .app
        .create_campaign(&coordinator, &campaign("EVAC-2026", "12000", true))
        .await
        .unwrap();
    app.app
        .create_campaign(&coordinator, &campaign("WINTER24", "100", true))
        .await
        .unwrap();
    let references = app.app.ledger_references(&Actor::Cli).await.unwrap();
    let found = razam_app::ledger::match_reference("Darowizna evac-2026 dla rodziny, dziękuję", &references);
    assert_eq!(found, Some(&("EVAC-2026".to_owned(), c.account_id)));
    assert_eq!(
        razam_app::ledger::match_reference("Donation EVAC 2026", &references),
        None
    );
}
on_both_databases!(a_remittance_text_naming_the_code_finds_the_campaign);

/// The demo (SQLite only) holds two campaigns, one with a 65,000 EUR goal, donations, and
/// assistance cases in every state, and its report shows one full cell.
#[tokio::test]
async fn the_demo_holds_campaigns_donations_and_cases_in_every_state() {
    let dir = tempfile::tempdir().unwrap();
    let app = razam_app::demo::prepare(&dir.path().join("demo"), &razam_app::config::Overrides::default())
        .await
        .unwrap();
    let big = app.public_campaign("FREEDOM-65").await.unwrap();
    assert_eq!((big.goal.as_str(), big.raised.as_str()), ("65000.00", "59360.00"));
    assert_eq!(big.donations, Some(140));
    assert!(!big.donors.is_empty() && big.donors.iter().all(|d| !d.name.is_empty()));
    assert!(
        !big.donors.iter().any(|d| d.name == "Ціхі Дабрадзей"),
        "no consent, never named"
    );
    let small = app.public_campaign("EVAC-2026").await.unwrap();
    assert_eq!(small.donations, None, "three donations: fewer than 5");
    let cases = app.assistance_cases(&Actor::Cli).await.unwrap();
    let mut states: Vec<&str> = cases.iter().map(|c| c.state.as_str()).collect();
    states.sort_unstable();
    states.dedup();
    assert_eq!(
        states,
        ["approved", "in_review", "paid", "refused", "requested", "withdrawn"]
    );
    let report = app.transparency_report().await.unwrap();
    let legal = report
        .rows
        .iter()
        .find(|r| r.month == "2026-01" && r.line == "legal-aid")
        .unwrap();
    assert_eq!((legal.count, legal.amount.as_deref()), (Some(5), Some("3050.00")));
    assert!(app.ledger_check(&Actor::Cli).await.unwrap().problems.is_empty());
    app.close().await;
}

/// The API: a campaign and a donation (retried with its key: booked once), a case requested,
/// approved twice and paid by tokens of different people, the report without a token.
async fn the_api_runs_campaigns_and_cases(app: TestApp) {
    use crate::api::{Api, token_for};
    use serde_json::json;
    let bank = bank(&app, "bank-eur").await;
    let coordinator = Api::new(&app, Some(&token_for(&app, "volha", Role::Coordinator).await));
    let documenter = Api::new(&app, Some(&token_for(&app, "ales", Role::Documenter).await));
    let reviewers = [
        Api::new(&app, Some(&token_for(&app, "hanna", Role::Reviewer).await)),
        Api::new(&app, Some(&token_for(&app, "maks", Role::Reviewer).await)),
    ];
    let (status, c) = coordinator
        .post(
            "/campaigns",
            json!({"code": "API-26", "title": "Через API", "currency": "EUR", "goal": "1000", "public": true}),
        )
        .await;
    assert_eq!(status, 201, "{c}");
    assert_eq!(c["raised"], "0.00");
    let (status, _) = documenter
        .post("/campaigns", json!({"code": "NOPE", "title": "x"}))
        .await;
    assert_eq!(status, 403);
    let donation = json!({"amount": "250", "account": bank, "donor": "Хтосьці", "idempotency_key": "api-1"});
    for _ in 0..2 {
        let (status, body) = coordinator.post("/campaigns/API-26/donations", donation.clone()).await;
        assert_eq!(status, 201, "{body}");
        assert_eq!(body["campaign"]["raised"], "250.00");
    }
    let (_, list) = coordinator.get("/campaigns/API-26/donations").await;
    assert_eq!(list["donations"].as_array().unwrap().len(), 1);

    let person = crate::assistance::person(&app).await;
    let (status, case) = documenter
        .post(
            "/assistance",
            json!({"persons": [person], "category": "legal-aid", "currency": "EUR", "amount": "100"}),
        )
        .await;
    assert_eq!(status, 201, "{case}");
    let reference = case["reference"].as_str().unwrap().to_owned();
    let (status, _) = documenter
        .post(&format!("/assistance/{reference}/review"), json!({}))
        .await;
    assert_eq!(status, 403);
    let (status, body) = reviewers[0]
        .post(&format!("/assistance/{reference}/approve"), json!({}))
        .await;
    assert_eq!(status, 422, "approval before review: {body}");
    for (i, step) in ["review", "approve"].iter().enumerate() {
        let (status, body) = reviewers[0]
            .post(&format!("/assistance/{reference}/{step}"), json!({}))
            .await;
        assert_eq!(status, 200, "{i} {body}");
    }
    let (_, body) = reviewers[1]
        .post(&format!("/assistance/{reference}/approve"), json!({}))
        .await;
    assert_eq!(body["state"], "approved");
    let (status, body) = coordinator
        .post(
            &format!("/assistance/{reference}/pay"),
            json!({"account": bank, "paid_on": "2026-03-01"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["state"], "paid");
    assert!(body["transfer"].is_i64());

    let (status, report) = Api::new(&app, None).get("/transparency").await;
    assert_eq!(status, 200);
    let text = report.to_string();
    assert!(!text.contains(&reference) && !text.contains("Сакрэтнае"), "{text}");
}
on_both_databases!(the_api_runs_campaigns_and_cases);
