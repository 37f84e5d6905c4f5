//! Assistance cases (issue 6, item 4): money for a person persecuted for their views, or for
//! their family, decided by several people.
//!
//! A case is known by an opaque random reference (`A-7K3QX9MZ`). Whom it is for (one or more
//! registry persons) and why are sealed together in its row: the link between the registry
//! and the money exists only inside the vault, and no audit entry, URL or public figure
//! carries it. The rules of its life (who may take which step) are
//! [`razam_core::assistance::step`]; this module adds the permissions, the sealing, the
//! approvals required (from `razam.toml`, fixed on each case when it is requested) and the
//! payment, booked in the ledger in the transaction that marks the case paid.

use razam_core::assistance::{CaseAction, CaseFacts, CaseRef, CaseState, Category};
use razam_core::ledger::{AccountKind, Currency, Money, Posting, TransferKind};
use razam_core::role::Permission;
use razam_store::AuditObject;
use razam_store::campaigns::{AssistanceRow, NewAssistance, NewStep, StepRow};
use razam_store::ledger::NewLedgerTransfer;
use serde::{Deserialize, Serialize};

use crate::campaigns::{parse_amount, parse_currency, parse_day};
use crate::{Actor, App, AppError};

pub(crate) const SEAL_CASE: &str = "assistance.case";
const PURPOSE_MAX: usize = 10_000;
const PERSONS_MAX: usize = 20;
/// What the store calls a case moved by someone else since it was read.
const MOVED: &str = razam_store::campaigns::CASE_MOVED;

/// Whom a case is for and why: sealed whole.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseDetails {
    /// Registry person ids (a family: several).
    pub persons: Vec<i64>,
    #[serde(default)]
    pub purpose: String,
}

/// A request as typed.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct AssistanceForm {
    /// Person labels or ids, separated by commas or spaces (`P-000012, P-000013`).
    #[serde(default)]
    pub persons: String,
    #[serde(default)]
    pub category: String,
    #[serde(default)]
    pub currency: String,
    #[serde(default)]
    pub amount: String,
    #[serde(default)]
    pub purpose: String,
}

/// A case as those who may read it see it.
#[derive(Debug, Clone)]
pub struct AssistanceView {
    pub reference: String,
    pub category: Category,
    pub amount: Money,
    pub state: CaseState,
    pub required: u8,
    /// Who approved, each once (`account:7`).
    pub approvals: Vec<String>,
    pub requested_by: String,
    pub requested_at_ms: i64,
    pub details: CaseDetails,
    pub steps: Vec<StepRow>,
    pub transfer_id: Option<i64>,
}

/// What is needed to pay: the bank or cash account the money leaves from, the day, and a
/// key so that a retried payment books once.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct PaymentForm {
    #[serde(default)]
    pub account: String,
    #[serde(default)]
    pub paid_on: String,
}

fn parse_persons(text: &str) -> Result<Vec<i64>, AppError> {
    let mut ids = Vec::new();
    for part in text.split([',', ' ', ';', '\n']).filter(|p| !p.trim().is_empty()) {
        let t = part.trim();
        let digits = t.strip_prefix("P-").or_else(|| t.strip_prefix("p-")).unwrap_or(t);
        match digits.parse::<i64>() {
            Ok(id) if id > 0 => ids.push(id),
            _ => {
                return Err(AppError::BadInput(format!(
                    "persons: `{}` is not a person label such as P-000012",
                    t.chars().take(30).collect::<String>()
                )));
            }
        }
    }
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() {
        return Err(AppError::BadInput(
            "persons: whom is it for? a person label such as P-000012 (a family: several)".into(),
        ));
    }
    if ids.len() > PERSONS_MAX {
        return Err(AppError::BadInput(format!("persons: at most {PERSONS_MAX}")));
    }
    Ok(ids)
}

/// The ledger code of the liability a case's bank payment waits on until the bank statement
/// shows it leave: `in-transit-a-7k3qx9mz`.
pub fn in_transit_account_code(case: &CaseRef) -> String {
    format!("in-transit-{}", case.as_str().to_ascii_lowercase())
}

/// The ledger code of the expense account of a category in a currency.
fn expense_account_code(category: Category, currency: Currency) -> String {
    format!(
        "assistance-{}-{}",
        category.as_str(),
        currency.code().to_ascii_lowercase()
    )
}

impl App {
    /// The approvals a new case needs (`[assistance] approvals` in razam.toml).
    pub fn approvals_required(&self) -> u8 {
        self.config.assistance.approvals
    }

    fn case_facts(row: &AssistanceRow, steps: &[StepRow]) -> Result<CaseFacts, AppError> {
        Ok(CaseFacts {
            state: CaseState::parse(&row.state)
                .ok_or_else(|| AppError::Vault(format!("case {} has an unknown state", row.id)))?,
            requester: row.requested_by.clone(),
            approvals: steps
                .iter()
                .filter(|s| s.action == CaseAction::Approve.as_str())
                .map(|s| s.actor.clone())
                .collect(),
            required: u8::try_from(row.required).unwrap_or(u8::MAX),
        })
    }

    fn assistance_view(&self, row: &AssistanceRow, steps: Vec<StepRow>) -> Result<AssistanceView, AppError> {
        let facts = Self::case_facts(row, &steps)?;
        let currency = parse_currency(&row.currency)?;
        Ok(AssistanceView {
            reference: row.reference.clone(),
            category: Category::parse(&row.category)
                .ok_or_else(|| AppError::Vault(format!("case {} has an unknown category", row.id)))?,
            amount: Money::from_minor(row.amount, currency),
            state: facts.state,
            required: facts.required,
            approvals: facts.approvals,
            requested_by: row.requested_by.clone(),
            requested_at_ms: row.requested_at_ms,
            details: self.open_json(SEAL_CASE, &row.sealed)?,
            steps,
            transfer_id: row.transfer_id,
        })
    }

    /// Asks for assistance for one or more registry persons; returns the new case's reference.
    pub async fn request_assistance(&self, actor: &Actor, form: &AssistanceForm) -> Result<String, AppError> {
        self.require(actor, Permission::RequestAssistance)?;
        let persons = parse_persons(&form.persons)?;
        for &id in &persons {
            if self.store.person(id).await?.is_none() {
                return Err(AppError::BadInput(format!(
                    "persons: there is no person P-{id:06} in the registry"
                )));
            }
        }
        let category = Category::parse(form.category.trim()).ok_or_else(|| {
            AppError::BadInput("category: legal-aid, prison-parcels, family-support, evacuation or medical".into())
        })?;
        let currency = parse_currency(&form.currency)?;
        let amount = parse_amount("amount", &form.amount, currency)?;
        let purpose = form.purpose.trim();
        if purpose.chars().count() > PURPOSE_MAX {
            return Err(AppError::BadInput(format!("purpose: at most {PURPOSE_MAX} characters")));
        }
        let details = CaseDetails {
            persons,
            purpose: purpose.to_owned(),
        };
        let sealed = self.seal_json(SEAL_CASE, &details)?;
        // 40 random bits: a clash is possible in a large registry, so draw again on one.
        for _ in 0..5 {
            let reference = CaseRef::from_random(rand::random::<[u8; 5]>());
            if self.store.assistance_by_ref(reference.as_str()).await?.is_some() {
                continue;
            }
            let case = NewAssistance {
                reference: reference.as_str().to_owned(),
                sealed: sealed.clone(),
                category: category.as_str(),
                currency: currency.code().to_owned(),
                amount: amount.minor(),
                required: i64::from(self.approvals_required()),
                requested_by: actor.audit_name(),
                requested_at_ms: crate::now_ms(),
            };
            let audit = self.event(actor, "assistance.request", AuditObject::Created("assistance"));
            self.store.create_assistance(&case, &audit).await?;
            return Ok(reference.as_str().to_owned());
        }
        Err(AppError::Vault("could not draw an unused case reference".into()))
    }

    async fn case_row(&self, reference: &str) -> Result<AssistanceRow, AppError> {
        let reference = CaseRef::parse(reference).ok_or(AppError::NotFound("the case"))?;
        self.store
            .assistance_by_ref(reference.as_str())
            .await?
            .ok_or(AppError::NotFound("the case"))
    }

    /// A case, for those who may read cases, and for its requester.
    pub async fn assistance_case(&self, actor: &Actor, reference: &str) -> Result<AssistanceView, AppError> {
        let row = self.case_row(reference).await?;
        if !self.may(actor, Permission::ReadAssistance) && row.requested_by != actor.audit_name() {
            return Err(AppError::Forbidden);
        }
        let steps = self.store.assistance_steps(row.id).await?;
        self.assistance_view(&row, steps)
    }

    /// Every case the actor may see, newest first: all of them with `ReadAssistance`, else
    /// the actor's own requests.
    pub async fn assistance_cases(&self, actor: &Actor) -> Result<Vec<AssistanceView>, AppError> {
        let all = self.may(actor, Permission::ReadAssistance);
        if !all && !self.may(actor, Permission::RequestAssistance) {
            return Err(AppError::Forbidden);
        }
        let me = actor.audit_name();
        let mut out = Vec::new();
        for row in self.store.assistance_cases().await? {
            if all || row.requested_by == me {
                let steps = self.store.assistance_steps(row.id).await?;
                out.push(self.assistance_view(&row, steps)?);
            }
        }
        Ok(out)
    }

    /// Takes one step on a case: review, approve, refuse, withdraw. Paying is
    /// [`App::pay_assistance`].
    pub async fn act_on_assistance(
        &self,
        actor: &Actor,
        reference: &str,
        action: CaseAction,
    ) -> Result<CaseState, AppError> {
        let permission = match action {
            CaseAction::Review | CaseAction::Approve | CaseAction::Refuse => Permission::ApproveAssistance,
            CaseAction::Withdraw => Permission::RequestAssistance,
            CaseAction::Pay => Permission::PayAssistance,
        };
        self.require(actor, permission)?;
        if action == CaseAction::Pay {
            return Err(AppError::BadInput("a payment names the account it is paid from".into()));
        }
        self.take_step(actor, reference, action, None).await
    }

    /// Pays an approved case: books the amount to the category's expense account, in the
    /// transaction that marks the case paid. From cash it leaves the cash account at once.
    /// From a bank account (one with an IBAN) the money has only been ordered: it is credited
    /// to the case's `in-transit-…` liability, and the bank statement that shows it leave
    /// (the case reference in the remittance text, the same amount) clears that liability
    /// against the bank account (`App::book_statement`). So the bank account's ledger
    /// balance stays the bank's, and the payment is not booked a second time.
    pub async fn pay_assistance(
        &self,
        actor: &Actor,
        reference: &str,
        form: &PaymentForm,
    ) -> Result<CaseState, AppError> {
        self.require(actor, Permission::PayAssistance)?;
        let row = self.case_row(reference).await?;
        let from: i64 = form
            .account
            .trim()
            .parse()
            .map_err(|_| AppError::BadInput("account: choose the bank or cash account it is paid from".into()))?;
        if !self.funds_accounts(actor).await?.iter().any(|f| f.id == from) {
            return Err(AppError::BadInput(
                "account: choose the bank or cash account it is paid from".into(),
            ));
        }
        let currency = parse_currency(&row.currency)?;
        let category = Category::parse(&row.category).ok_or(AppError::NotFound("the case's category"))?;
        let amount = Money::from_minor(row.amount, currency);
        let paid_on = parse_day("date", &form.paid_on)?.unwrap_or_else(crate::today);
        let expense = self
            .solidarity_account(
                actor,
                &expense_account_code(category, currency),
                AccountKind::Expense,
                currency,
                &format!("Assistance: {} ({currency})", category.as_str()),
            )
            .await?;
        let bank = self
            .store
            .ledger_account(from)
            .await?
            .ok_or(AppError::NotFound("the account it is paid from"))?;
        let case = CaseRef::parse(&row.reference).ok_or(AppError::NotFound("the case"))?;
        let credited = if bank.is_bank {
            self.in_transit_account(actor, &case, currency).await?
        } else {
            from
        };
        let transfer = NewLedgerTransfer {
            // One payment per case, however often the request is retried.
            idempotency: self.idempotency(Some(&format!("assistance payment {}", row.reference)))?,
            kind: TransferKind::Booking,
            reverses: None,
            booked_on: paid_on,
            value_on: None,
            rate: None,
            details: None,
            postings: vec![
                Posting {
                    account: expense,
                    amount,
                },
                Posting {
                    account: credited,
                    amount: amount.checked_neg().map_err(|e| AppError::BadInput(e.to_string()))?,
                },
            ],
            queue: None,
            resolves: None,
            audit_action: "ledger.book",
            created_by: actor.audit_name(),
            created_at_ms: crate::now_ms(),
        };
        self.take_step(actor, reference, CaseAction::Pay, Some(transfer)).await
    }

    /// The case's in-transit liability, opened on its first use. It may never hold more than
    /// was paid: a statement cannot clear a payment twice.
    async fn in_transit_account(&self, actor: &Actor, case: &CaseRef, currency: Currency) -> Result<i64, AppError> {
        self.solidarity_account(
            actor,
            &in_transit_account_code(case),
            AccountKind::Liability,
            currency,
            &format!("In transit: assistance {case}"),
        )
        .await
    }

    /// Takes the step against the case as it is now. Two people acting at once both read the
    /// same version; the second one's write is refused by the store and it is tried again on
    /// the case as the first one left it (where it may no longer be allowed).
    async fn take_step(
        &self,
        actor: &Actor,
        reference: &str,
        action: CaseAction,
        payment: Option<NewLedgerTransfer>,
    ) -> Result<CaseState, AppError> {
        let mut attempts = 0;
        loop {
            attempts += 1;
            match self.try_step(actor, reference, action, payment.as_ref()).await {
                Err(AppError::Conflict(MOVED)) if attempts < 5 => continue,
                other => return other,
            }
        }
    }

    async fn try_step(
        &self,
        actor: &Actor,
        reference: &str,
        action: CaseAction,
        payment: Option<&NewLedgerTransfer>,
    ) -> Result<CaseState, AppError> {
        let row = self.case_row(reference).await?;
        let steps = self.store.assistance_steps(row.id).await?;
        let facts = Self::case_facts(&row, &steps)?;
        let me = actor.audit_name();
        let step = razam_core::assistance::step(&facts, &me, action).map_err(|e| AppError::BadInput(e.to_string()))?;
        let new = NewStep {
            case_id: row.id,
            version: row.version,
            action: action.as_str(),
            to: step.to.as_str(),
            actor: me,
            at_ms: crate::now_ms(),
        };
        let audit_action = match action {
            CaseAction::Review => "assistance.review",
            CaseAction::Approve => "assistance.approve",
            CaseAction::Refuse => "assistance.refuse",
            CaseAction::Withdraw => "assistance.withdraw",
            CaseAction::Pay => "assistance.pay",
        };
        let audit = self.event(
            actor,
            audit_action,
            AuditObject::Named(format!("assistance:{}", row.id)),
        );
        self.store.step_assistance(&new, payment, &audit).await?;
        Ok(step.to)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn persons_are_read_as_labels_or_ids() {
        assert_eq!(parse_persons("P-000012, p-13 12").unwrap(), vec![12, 13]);
        assert!(parse_persons("").is_err());
        assert!(parse_persons("Ivan").is_err());
        assert_eq!(
            expense_account_code(Category::LegalAid, Currency::EUR),
            "assistance-legal-aid-eur"
        );
    }
}
