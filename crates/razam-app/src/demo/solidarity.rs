//! The demo's solidarity: a bank and a cash account, two campaigns (one with a goal of
//! 65,000 EUR, most of it raised), donations with and without consent to be named, and
//! assistance cases in every state. All fictional; deterministic (no randomness but the
//! case references).

use razam_core::assistance::CaseAction;
use razam_core::ledger::{AccountKind, AccountRules, Currency};

use crate::assistance::{AssistanceForm, PaymentForm};
use crate::campaigns::{CampaignForm, DonationForm};
use crate::ledger::AccountSpec;
use crate::{Actor, App, AppError};

/// What the demo wrote.
#[derive(Debug, Clone, Copy, Default)]
pub struct DemoSolidarity {
    pub campaigns: usize,
    pub donations: usize,
    pub cases: usize,
}

/// Fictional donors: (name, consented to be named, consented to show the amount).
const DONORS: &[(&str, bool, bool)] = &[
    ("Янка Купала-Дэма", true, true),
    ("Марта Прыклад", true, false),
    ("", false, false),
    ("Ціхі Дабрадзей", false, false),
    ("Diaspora Choir Vilnius (demo)", true, true),
    ("", false, false),
];

impl App {
    /// Writes the demo's accounts, campaigns, donations and cases; `persons` are registry
    /// person ids the cases are for, `actors` the demo's coordinator, documenter and two
    /// reviewers, logged in.
    pub(crate) async fn write_demo_solidarity(
        &self,
        coordinator: &Actor,
        documenter: &Actor,
        reviewers: [&Actor; 2],
        persons: &[i64],
    ) -> Result<DemoSolidarity, AppError> {
        let mut out = DemoSolidarity::default();
        let bank = self
            .create_ledger_account(
                &Actor::Cli,
                AccountSpec {
                    code: "bank-eur-campaigns".into(),
                    name: "Foundation current account (demo)".into(),
                    kind: AccountKind::Asset,
                    currency: Some(Currency::EUR),
                    rules: AccountRules::default(),
                    iban: None,
                },
            )
            .await?;
        let cash = self
            .create_ledger_account(
                &Actor::Cli,
                AccountSpec {
                    code: "cash-eur".into(),
                    name: "Cash box, Vilnius office (demo)".into(),
                    kind: AccountKind::Asset,
                    currency: Some(Currency::EUR),
                    rules: AccountRules { no_negative: true },
                    iban: None,
                },
            )
            .await?;
        let big = self
            .create_campaign(
                coordinator,
                &CampaignForm {
                    code: "FREEDOM-65".into(),
                    title: "Families of political prisoners, winter 2025/26 (demo)".into(),
                    description: "Support for the families of people jailed for their views: lawyers, parcels to \
                                  prison, rent and school things for the children.\nA fictional campaign."
                        .into(),
                    currency: "EUR".into(),
                    goal: "65000".into(),
                    starts_on: "2025-10-01".into(),
                    ends_on: "2026-03-31".into(),
                    public: Some("1".into()),
                    ..CampaignForm::default()
                },
            )
            .await?;
        let small = self
            .create_campaign(
                coordinator,
                &CampaignForm {
                    code: "EVAC-2026".into(),
                    title: "Evacuation fund (demo)".into(),
                    description: "Tickets and first weeks' rent for people who must leave at once.".into(),
                    currency: "EUR".into(),
                    goal: "12000".into(),
                    starts_on: "2026-01-15".into(),
                    public: Some("1".into()),
                    ..CampaignForm::default()
                },
            )
            .await?;
        out.campaigns = 2;
        // 140 donations to the big campaign over five months, amounts from a fixed cycle, and
        // fourteen large ones, together 59,360 EUR; a handful to the evacuation fund.
        let amounts = [25, 50, 100, 20, 250, 75, 40, 500, 30, 150];
        let mut n = 0;
        for i in 0..140usize {
            let month = 10 + i % 5;
            let (year, month) = if month > 12 { (2026, month - 12) } else { (2025, month) };
            let (donor, named, shown) = DONORS[i % DONORS.len()];
            let large = if i % 10 == 7 { 3_000 } else { 0 };
            let amount = amounts[i % amounts.len()] + large;
            self.record_donation(
                coordinator,
                big.id,
                &DonationForm {
                    amount: amount.to_string(),
                    account: if i % 9 == 4 { cash } else { bank }.to_string(),
                    booked_on: format!("{year}-{month:02}-{:02}", 1 + (i * 7) % 28),
                    donor: donor.into(),
                    named: named.then(|| "1".into()),
                    amount_shown: shown.then(|| "1".into()),
                    idempotency_key: format!("demo-donation-{i}"),
                },
            )
            .await?;
            n += 1;
        }
        for (i, amount) in [300, 120, 80].iter().enumerate() {
            self.record_donation(
                coordinator,
                small.id,
                &DonationForm {
                    amount: amount.to_string(),
                    account: bank.to_string(),
                    booked_on: format!("2026-02-{:02}", 3 + i),
                    idempotency_key: format!("demo-evac-{i}"),
                    ..DonationForm::default()
                },
            )
            .await?;
            n += 1;
        }
        out.donations = n;
        // Cases: paid (eight across categories and months), approved, in review, requested,
        // refused, withdrawn.
        let person = |i: usize| persons.get(i % persons.len().max(1)).copied().unwrap_or(1);
        let plan: &[(&str, &str, &str, &[CaseAction])] = &[
            (
                "legal-aid",
                "600",
                "2026-01-12",
                &[CaseAction::Review, CaseAction::Approve, CaseAction::Pay],
            ),
            (
                "legal-aid",
                "450",
                "2026-01-13",
                &[CaseAction::Review, CaseAction::Approve, CaseAction::Pay],
            ),
            (
                "legal-aid",
                "800",
                "2026-01-19",
                &[CaseAction::Review, CaseAction::Approve, CaseAction::Pay],
            ),
            (
                "legal-aid",
                "500",
                "2026-01-08",
                &[CaseAction::Review, CaseAction::Approve, CaseAction::Pay],
            ),
            (
                "legal-aid",
                "700",
                "2026-01-21",
                &[CaseAction::Review, CaseAction::Approve, CaseAction::Pay],
            ),
            (
                "prison-parcels",
                "120",
                "2025-12-05",
                &[CaseAction::Review, CaseAction::Approve, CaseAction::Pay],
            ),
            (
                "family-support",
                "300",
                "2026-01-14",
                &[CaseAction::Review, CaseAction::Approve, CaseAction::Pay],
            ),
            (
                "evacuation",
                "950",
                "2026-02-09",
                &[CaseAction::Review, CaseAction::Approve, CaseAction::Pay],
            ),
            ("medical", "400", "", &[CaseAction::Review, CaseAction::Approve]),
            ("family-support", "250", "", &[CaseAction::Review]),
            ("prison-parcels", "90", "", &[]),
            ("evacuation", "1200", "", &[CaseAction::Refuse]),
            ("medical", "150", "", &[CaseAction::Withdraw]),
        ];
        // The evacuation is paid by bank transfer from the account with an IBAN (the demo
        // books' `bank-eur`), so the demo shows a payment waiting in its case's in-transit
        // liability until a statement clears it; the others leave the campaigns' account.
        let by_bank_transfer = self.ledger_account_by_code(&Actor::Cli, "bank-eur").await?.id;
        for (i, (category, amount, paid_on, steps)) in plan.iter().enumerate() {
            let reference = self
                .request_assistance(
                    documenter,
                    &AssistanceForm {
                        persons: person(i * 7).to_string(),
                        category: (*category).into(),
                        currency: "EUR".into(),
                        amount: (*amount).into(),
                        purpose: "Demo request (fictional).".into(),
                    },
                )
                .await?;
            for step in *steps {
                match step {
                    CaseAction::Approve => {
                        for reviewer in reviewers {
                            self.act_on_assistance(reviewer, &reference, CaseAction::Approve)
                                .await?;
                        }
                    }
                    CaseAction::Pay => {
                        self.pay_assistance(
                            coordinator,
                            &reference,
                            &PaymentForm {
                                account: if *category == "evacuation" {
                                    by_bank_transfer
                                } else {
                                    bank
                                }
                                .to_string(),
                                paid_on: (*paid_on).into(),
                            },
                        )
                        .await?;
                    }
                    CaseAction::Withdraw => {
                        self.act_on_assistance(documenter, &reference, CaseAction::Withdraw)
                            .await?;
                    }
                    other => {
                        self.act_on_assistance(reviewers[0], &reference, *other).await?;
                    }
                }
            }
            out.cases += 1;
        }
        Ok(out)
    }
}
