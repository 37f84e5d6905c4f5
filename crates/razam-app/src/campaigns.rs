//! Campaigns and donations (issue 6, item 3).
//!
//! A campaign is an appeal with a goal in one currency and its own income account in the
//! ledger; what it has raised is that account's balance, nothing else. Its code is registered
//! as a ledger reference, so a bank payment whose remittance text names it is booked to it by
//! statement import. A donation made here is a ledger transfer (a bank or cash account → the
//! campaign's income account) booked under an idempotency key, with the donor's side beside
//! it: a name, sealed, and what the donor consented to show.
//!
//! Title and description are sealed like every free text (a campaign for one family names
//! it); the public page shows them only when the campaign is marked public, a choice its
//! coordinator makes for the text they wrote for the public. The public page never shows a
//! donor who did not consent to be named, never an amount beside a name without a second
//! consent, and the number of donations only from 5.

use razam_core::campaign::{CampaignCode, CampaignStatus, progress_permille};
use razam_core::ledger::{AccountKind, AccountRules, Currency, Money, Posting, TransferKind};
use razam_core::registry::{Day, PublicCount};
use razam_core::role::Permission;
use razam_store::AuditObject;
use razam_store::campaigns::{CampaignChange, CampaignRow, NewCampaign, NewDonation};
use razam_store::ledger::NewLedgerTransfer;
use serde::{Deserialize, Serialize};

use crate::ledger::AccountSpec;
use crate::{Actor, App, AppError};

const SEAL_CAMPAIGN: &str = "campaign.text";
const SEAL_DONOR: &str = "campaign.donor";
const TITLE_MAX: usize = 200;
const DESCRIPTION_MAX: usize = 10_000;
const DONOR_MAX: usize = 200;
const KEY_MAX: usize = 200;

/// A campaign's texts, sealed together.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CampaignText {
    pub title: String,
    #[serde(default)]
    pub description: String,
}

/// A campaign as typed into the form or sent to the API: text as given, parsed here.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct CampaignForm {
    #[serde(default)]
    pub code: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub currency: String,
    #[serde(default)]
    pub goal: String,
    #[serde(default)]
    pub starts_on: String,
    #[serde(default)]
    pub ends_on: String,
    #[serde(default)]
    pub status: String,
    /// A checkbox: present (any value) when ticked.
    #[serde(default)]
    pub public: Option<String>,
}

/// A campaign as its coordinators see it.
#[derive(Debug, Clone)]
pub struct CampaignView {
    pub id: i64,
    pub code: String,
    pub text: CampaignText,
    pub goal: Money,
    pub raised: Money,
    pub donations: i64,
    pub progress_permille: u32,
    pub starts_on: String,
    pub ends_on: Option<String>,
    pub status: CampaignStatus,
    pub public: bool,
    pub account_id: i64,
}

/// A donation as typed: the amount, where the money came in, the donor's side.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct DonationForm {
    #[serde(default)]
    pub amount: String,
    /// The ledger account (bank or cash) the money came into.
    #[serde(default)]
    pub account: String,
    /// The day it came in (`YYYY-MM-DD`); today when empty.
    #[serde(default)]
    pub booked_on: String,
    #[serde(default)]
    pub donor: String,
    /// The donor consented to be named on the public page.
    #[serde(default)]
    pub named: Option<String>,
    /// The donor consented to show the amount beside the name.
    #[serde(default)]
    pub amount_shown: Option<String>,
    /// A retried request with the same key books nothing more.
    #[serde(default)]
    pub idempotency_key: String,
}

/// A donation as coordinators see it.
#[derive(Debug, Clone)]
pub struct DonationView {
    pub transfer_id: i64,
    pub booked_on: String,
    pub amount: Money,
    /// Empty when anonymous (or booked by statement import without a donor record).
    pub donor: String,
    pub named: bool,
    pub amount_shown: bool,
}

/// A public donor line: a name the donor consented to show, and the amount only with the
/// second consent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PublicDonor {
    pub name: String,
    pub amount: Option<String>,
}

/// What anyone may see of a public campaign.
#[derive(Debug, Clone, Serialize)]
pub struct PublicCampaign {
    pub code: String,
    pub title: String,
    pub description: String,
    pub currency: String,
    /// Decimal text, e.g. `65000.00`.
    pub goal: String,
    pub raised: String,
    pub progress_permille: u32,
    /// The number of donations, or `None` when it is between 1 and 4.
    pub donations: Option<i64>,
    pub donors: Vec<PublicDonor>,
    pub starts_on: String,
    pub ends_on: Option<String>,
    pub status: &'static str,
}

/// A ledger account money can come in through or be paid from: a bank or cash account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FundsAccount {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub currency: Option<String>,
}

fn check_text(what: &str, text: &str, max: usize, one_line: bool) -> Result<String, AppError> {
    let t = text.trim();
    if t.chars().count() > max {
        return Err(AppError::BadInput(format!("{what}: at most {max} characters")));
    }
    if t.chars()
        .any(|c| c.is_control() && (one_line || !matches!(c, '\n' | '\r' | '\t')))
    {
        return Err(AppError::BadInput(format!(
            "{what}: control characters are not allowed"
        )));
    }
    Ok(t.to_owned())
}

pub(crate) fn parse_currency(text: &str) -> Result<Currency, AppError> {
    Currency::parse(text.trim()).map_err(|e| AppError::BadInput(format!("currency: {e}")))
}

/// A positive amount of `currency`, as typed (a decimal comma is read as a point).
pub(crate) fn parse_amount(what: &str, text: &str, currency: Currency) -> Result<Money, AppError> {
    let text = text.trim().replace(',', ".");
    let money = Money::parse(&text, currency).map_err(|e| AppError::BadInput(format!("{what}: {e}")))?;
    if money.minor() <= 0 {
        return Err(AppError::BadInput(format!("{what}: more than zero")));
    }
    Ok(money)
}

pub(crate) fn parse_day(what: &str, text: &str) -> Result<Option<Day>, AppError> {
    let t = text.trim();
    if t.is_empty() {
        return Ok(None);
    }
    Day::parse(t)
        .map(Some)
        .map_err(|_| AppError::BadInput(format!("{what}: a date as YYYY-MM-DD")))
}

fn ticked(value: &Option<String>) -> bool {
    value
        .as_deref()
        .is_some_and(|v| !v.is_empty() && v != "false" && v != "0")
}

/// The ledger account code of a campaign's income account.
fn income_account_code(code: &CampaignCode) -> String {
    format!("campaign-{}", code.as_str().to_ascii_lowercase())
}

impl App {
    fn campaign_view(&self, row: &CampaignRow) -> Result<CampaignView, AppError> {
        let currency = parse_currency(&row.currency)?;
        Ok(CampaignView {
            id: row.id,
            code: row.code.clone(),
            text: self.open_json(SEAL_CAMPAIGN, &row.sealed)?,
            goal: Money::from_minor(row.goal, currency),
            raised: Money::from_minor(row.raised, currency),
            donations: row.donations,
            progress_permille: progress_permille(row.raised, row.goal),
            starts_on: row.starts_on.clone(),
            ends_on: row.ends_on.clone(),
            status: CampaignStatus::parse(&row.status).unwrap_or(CampaignStatus::Closed),
            public: row.public,
            account_id: row.account_id,
        })
    }

    /// The ledger account with `code`, opened if there is none yet (no negative balance on
    /// its normal side). Opening an account and using it are two transactions: a crash
    /// between them leaves an unused account, which the next attempt takes up.
    pub(crate) async fn solidarity_account(
        &self,
        actor: &Actor,
        code: &str,
        kind: AccountKind,
        currency: Currency,
        name: &str,
    ) -> Result<i64, AppError> {
        if let Some(row) = self.store.ledger_account_by_code(code).await? {
            return Ok(row.id);
        }
        let spec = AccountSpec {
            code: code.to_owned(),
            name: name.to_owned(),
            kind,
            currency: Some(currency),
            rules: AccountRules { no_negative: true },
            iban: None,
        };
        match self.create_ledger_account(actor, spec).await {
            Ok(id) => Ok(id),
            // Opened meanwhile by another request.
            Err(AppError::Conflict(_)) => self
                .store
                .ledger_account_by_code(code)
                .await?
                .map(|row| row.id)
                .ok_or(AppError::NotFound("the ledger account")),
            Err(e) => Err(e),
        }
    }

    /// The bank and cash accounts (assets) money can come in through or go out of.
    pub async fn funds_accounts(&self, actor: &Actor) -> Result<Vec<FundsAccount>, AppError> {
        Ok(self
            .ledger_accounts(actor)
            .await?
            .into_iter()
            .filter(|a| a.kind == AccountKind::Asset)
            .map(|a| FundsAccount {
                id: a.id,
                code: a.code,
                name: a.name,
                currency: a.currency.map(|c| c.code().to_owned()),
            })
            .collect())
    }

    /// Creates a campaign, its income account and its ledger reference.
    pub async fn create_campaign(&self, actor: &Actor, form: &CampaignForm) -> Result<CampaignView, AppError> {
        self.require(actor, Permission::ManageCampaigns)?;
        let code = CampaignCode::parse(&form.code).map_err(|e| AppError::BadInput(format!("code: {e}")))?;
        let title = check_text("title", &form.title, TITLE_MAX, true)?;
        if title.is_empty() {
            return Err(AppError::BadInput("title: required".into()));
        }
        let description = check_text("description", &form.description, DESCRIPTION_MAX, false)?;
        let currency = parse_currency(&form.currency)?;
        let goal = parse_amount("goal", &form.goal, currency)?;
        let starts_on = parse_day("start", &form.starts_on)?.unwrap_or_else(crate::today);
        let ends_on = parse_day("end", &form.ends_on)?;
        if ends_on.is_some_and(|end| end < starts_on) {
            return Err(AppError::BadInput("end: not before the start".into()));
        }
        if self.store.campaign_by_code(code.as_str()).await?.is_some() {
            return Err(AppError::Conflict("a campaign with this code"));
        }
        let account = self
            .solidarity_account(
                actor,
                &income_account_code(&code),
                AccountKind::Income,
                currency,
                &format!("Campaign {code}"),
            )
            .await?;
        self.register_reference(actor, code.as_str(), account).await?;
        let row = NewCampaign {
            code: code.as_str().to_owned(),
            sealed: self.seal_json(SEAL_CAMPAIGN, &CampaignText { title, description })?,
            currency: currency.code().to_owned(),
            goal: goal.minor(),
            account_id: account,
            starts_on: starts_on.to_string(),
            ends_on: ends_on.map(|d| d.to_string()),
            public: ticked(&form.public),
            created_by: actor.audit_name(),
            created_at_ms: crate::now_ms(),
        };
        let audit = self.event(actor, "campaign.create", AuditObject::Created("campaign"));
        let id = self.store.create_campaign(&row, &audit).await?;
        self.campaign(actor, id).await
    }

    /// Changes a campaign's texts, goal, end, status and whether it is public. The code,
    /// currency and account never change: bank payments and the ledger name them.
    pub async fn update_campaign(&self, actor: &Actor, id: i64, form: &CampaignForm) -> Result<CampaignView, AppError> {
        self.require(actor, Permission::ManageCampaigns)?;
        let current = self.campaign(actor, id).await?;
        let title = check_text("title", &form.title, TITLE_MAX, true)?;
        if title.is_empty() {
            return Err(AppError::BadInput("title: required".into()));
        }
        let description = check_text("description", &form.description, DESCRIPTION_MAX, false)?;
        let goal = parse_amount("goal", &form.goal, current.goal.currency())?;
        let ends_on = parse_day("end", &form.ends_on)?;
        let status = match form.status.trim() {
            "" => current.status,
            s => CampaignStatus::parse(s).ok_or_else(|| AppError::BadInput("status: active or closed".into()))?,
        };
        let change = CampaignChange {
            sealed: self.seal_json(SEAL_CAMPAIGN, &CampaignText { title, description })?,
            goal: goal.minor(),
            ends_on: ends_on.map(|d| d.to_string()),
            status: status.as_str(),
            public: ticked(&form.public),
        };
        let audit = self.event(actor, "campaign.update", AuditObject::Named(format!("campaign:{id}")));
        self.store.update_campaign(id, &change, &audit).await?;
        self.campaign(actor, id).await
    }

    pub async fn campaign(&self, actor: &Actor, id: i64) -> Result<CampaignView, AppError> {
        self.require(actor, Permission::ManageCampaigns)?;
        let row = self
            .store
            .campaign(id)
            .await?
            .ok_or(AppError::NotFound("the campaign"))?;
        self.campaign_view(&row)
    }

    pub async fn campaign_by_code(&self, actor: &Actor, code: &str) -> Result<CampaignView, AppError> {
        self.require(actor, Permission::ManageCampaigns)?;
        let code = CampaignCode::parse(code).map_err(|_| AppError::NotFound("the campaign"))?;
        let row = self
            .store
            .campaign_by_code(code.as_str())
            .await?
            .ok_or(AppError::NotFound("the campaign"))?;
        self.campaign_view(&row)
    }

    /// Every campaign, newest first.
    pub async fn campaigns(&self, actor: &Actor) -> Result<Vec<CampaignView>, AppError> {
        self.require(actor, Permission::ManageCampaigns)?;
        self.store
            .campaigns()
            .await?
            .iter()
            .map(|row| self.campaign_view(row))
            .collect()
    }

    /// Books a donation: from a bank or cash account into the campaign's income account.
    /// The same idempotency key twice books once; returns the transfer's id.
    pub async fn record_donation(&self, actor: &Actor, campaign: i64, form: &DonationForm) -> Result<i64, AppError> {
        self.require(actor, Permission::ManageCampaigns)?;
        let c = self.campaign(actor, campaign).await?;
        if c.status != CampaignStatus::Active {
            return Err(AppError::BadInput(
                "the campaign is closed: it takes no more donations".into(),
            ));
        }
        let amount = parse_amount("amount", &form.amount, c.goal.currency())?;
        let from: i64 =
            form.account.trim().parse().map_err(|_| {
                AppError::BadInput("account: choose the bank or cash account the money came into".into())
            })?;
        let funds = self.funds_accounts(actor).await?;
        if !funds.iter().any(|f| f.id == from) {
            return Err(AppError::BadInput(
                "account: choose the bank or cash account the money came into".into(),
            ));
        }
        let booked_on = parse_day("date", &form.booked_on)?.unwrap_or_else(crate::today);
        let donor = check_text("donor", &form.donor, DONOR_MAX, true)?;
        let named = ticked(&form.named);
        if named && donor.is_empty() {
            return Err(AppError::BadInput("donor: a name to show needs a name".into()));
        }
        let key = check_text("idempotency key", &form.idempotency_key, KEY_MAX, true)?;
        if key.is_empty() {
            return Err(AppError::BadInput(
                "idempotency key: required, so that a retried request books once".into(),
            ));
        }
        let now = crate::now_ms();
        let transfer = NewLedgerTransfer {
            idempotency: self.idempotency(Some(&key))?,
            kind: TransferKind::Booking,
            reverses: None,
            booked_on,
            value_on: None,
            rate: None,
            details: None,
            postings: vec![
                Posting { account: from, amount },
                Posting {
                    account: c.account_id,
                    amount: amount.checked_neg().map_err(|e| AppError::BadInput(e.to_string()))?,
                },
            ],
            queue: None,
            resolves: None,
            audit_action: "ledger.book",
            created_by: actor.audit_name(),
            created_at_ms: now,
        };
        let donation = NewDonation {
            campaign_id: c.id,
            donor_sealed: if donor.is_empty() {
                None
            } else {
                Some(self.seal_json(SEAL_DONOR, &donor)?)
            },
            named,
            amount_shown: named && ticked(&form.amount_shown),
            created_by: actor.audit_name(),
            created_at_ms: now,
        };
        let audit = self.event(
            actor,
            "donation.record",
            AuditObject::Named(format!("campaign:{}", c.id)),
        );
        Ok(self.store.record_donation(&transfer, &donation, &audit).await?)
    }

    /// A campaign's donations with the donors' names, for its coordinators.
    pub async fn donations(&self, actor: &Actor, campaign: i64) -> Result<Vec<DonationView>, AppError> {
        self.require(actor, Permission::ManageCampaigns)?;
        let c = self.campaign(actor, campaign).await?;
        self.donation_views(c.id, c.goal.currency()).await
    }

    async fn donation_views(&self, campaign: i64, currency: Currency) -> Result<Vec<DonationView>, AppError> {
        self.store
            .donations(campaign)
            .await?
            .into_iter()
            .map(|d| {
                Ok(DonationView {
                    transfer_id: d.transfer_id,
                    booked_on: d.booked_on,
                    amount: Money::from_minor(d.amount, currency),
                    donor: match &d.donor_sealed {
                        Some(sealed) => self.open_json(SEAL_DONOR, sealed)?,
                        None => String::new(),
                    },
                    named: d.named,
                    amount_shown: d.amount_shown,
                })
            })
            .collect()
    }

    /// The public page of a campaign: only a campaign marked public, only consented names.
    pub async fn public_campaign(&self, code: &str) -> Result<PublicCampaign, AppError> {
        let code = CampaignCode::parse(code).map_err(|_| AppError::NotFound("the campaign"))?;
        let row = self
            .store
            .campaign_by_code(code.as_str())
            .await?
            .filter(|row| row.public)
            .ok_or(AppError::NotFound("the campaign"))?;
        let c = self.campaign_view(&row)?;
        let donors = self
            .donation_views(c.id, c.goal.currency())
            .await?
            .into_iter()
            .filter(|d| d.named && !d.donor.is_empty())
            .map(|d| PublicDonor {
                name: d.donor,
                amount: d.amount_shown.then(|| d.amount.format()),
            })
            .collect();
        Ok(PublicCampaign {
            code: c.code,
            title: c.text.title,
            description: c.text.description,
            currency: c.goal.currency().code().to_owned(),
            goal: c.goal.format(),
            raised: c.raised.format(),
            progress_permille: c.progress_permille,
            donations: match PublicCount::of(c.donations) {
                PublicCount::Shown(n) => Some(n),
                PublicCount::Suppressed => None,
            },
            donors,
            starts_on: c.starts_on,
            ends_on: c.ends_on,
            status: c.status.as_str(),
        })
    }

    /// The codes and titles of public campaigns, newest first.
    pub async fn public_campaigns(&self) -> Result<Vec<(String, String, String)>, AppError> {
        let mut out = Vec::new();
        for row in self.store.campaigns().await?.iter().filter(|r| r.public) {
            let c = self.campaign_view(row)?;
            out.push((c.code, c.text.title, c.status.as_str().to_owned()));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_and_checkboxes_read_as_typed() {
        let eur = Currency::EUR;
        assert_eq!(parse_amount("a", " 65000 ", eur).unwrap().minor(), 6_500_000);
        assert_eq!(parse_amount("a", "12,50", eur).unwrap().minor(), 1250);
        assert!(parse_amount("a", "0", eur).is_err());
        assert!(parse_amount("a", "-3", eur).is_err());
        assert!(ticked(&Some("on".into())));
        assert!(!ticked(&Some("false".into())));
        assert!(!ticked(&None));
    }
}
