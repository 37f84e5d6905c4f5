//! Campaign, donation and assistance storage (issue 6). Money itself lives in the ledger's
//! tables: a campaign names its income account, a donation and a case's payment name their
//! ledger transfer, and what a campaign raised or a category paid out is read from the
//! ledger's postings here, never kept twice. The SQL is written once for both databases and
//! compiled into each store by [`impl_campaign_store!`].
//!
//! A case advances only from the version it was read at (`UPDATE … WHERE version = $n`), so
//! two people acting on one case at once cannot both move it from the same state; one
//! approval per person and case is also a unique index.

use crate::ledger::NewLedgerTransfer;
use crate::{AuditEvent, StoreError};

pub type CampaignId = i64;
pub type AssistanceId = i64;

/// A campaign to create; title and description sealed by the caller.
#[derive(Debug, Clone)]
pub struct NewCampaign {
    pub code: String,
    pub sealed: Vec<u8>,
    pub currency: String,
    pub goal: i64,
    /// Its income account in the ledger.
    pub account_id: i64,
    pub starts_on: String,
    pub ends_on: Option<String>,
    pub public: bool,
    pub created_by: String,
    pub created_at_ms: i64,
}

#[derive(Debug, Clone)]
pub struct CampaignRow {
    pub id: CampaignId,
    pub code: String,
    pub sealed: Vec<u8>,
    pub currency: String,
    pub goal: i64,
    pub account_id: i64,
    pub starts_on: String,
    pub ends_on: Option<String>,
    pub status: String,
    pub public: bool,
    /// The income account's balance on its normal (credit) side, in the campaign's currency.
    pub raised: i64,
    /// Transfers booked to the income account (reversed ones and their reversals left out).
    pub donations: i64,
}

/// What can change of a campaign after it is made.
#[derive(Debug, Clone)]
pub struct CampaignChange {
    pub sealed: Vec<u8>,
    pub goal: i64,
    pub ends_on: Option<String>,
    pub status: &'static str,
    pub public: bool,
}

/// The donor side of a donation booked in the ledger.
#[derive(Debug, Clone)]
pub struct NewDonation {
    pub campaign_id: CampaignId,
    pub donor_sealed: Option<Vec<u8>>,
    pub named: bool,
    pub amount_shown: bool,
    pub created_by: String,
    pub created_at_ms: i64,
}

/// A donation as listed: the ledger's amount and day with the donor's record, if any.
#[derive(Debug, Clone)]
pub struct DonationRow {
    pub transfer_id: i64,
    pub booked_on: String,
    pub amount: i64,
    pub currency: String,
    pub donor_sealed: Option<Vec<u8>>,
    pub named: bool,
    pub amount_shown: bool,
}

/// One cell of money moved: a month, an account, a currency; how many transfers and their
/// sum (as posted: credits negative).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowRow {
    pub month: String,
    pub account_id: i64,
    pub currency: String,
    pub count: i64,
    pub amount: i64,
}

/// An assistance case to record; beneficiary and purpose sealed by the caller.
#[derive(Debug, Clone)]
pub struct NewAssistance {
    pub reference: String,
    pub sealed: Vec<u8>,
    pub category: &'static str,
    pub currency: String,
    pub amount: i64,
    pub required: i64,
    pub requested_by: String,
    pub requested_at_ms: i64,
}

#[derive(Debug, Clone)]
pub struct AssistanceRow {
    pub id: AssistanceId,
    pub reference: String,
    pub sealed: Vec<u8>,
    pub category: String,
    pub currency: String,
    pub amount: i64,
    pub state: String,
    pub required: i64,
    pub requested_by: String,
    pub requested_at_ms: i64,
    pub transfer_id: Option<i64>,
    pub version: i64,
}

/// One step of a case's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepRow {
    pub seq: i64,
    pub action: String,
    pub actor: String,
    pub at_ms: i64,
}

/// A step to record: the case moves from `version` to `to`.
#[derive(Debug, Clone)]
pub struct NewStep {
    pub case_id: AssistanceId,
    pub version: i64,
    pub action: &'static str,
    pub to: &'static str,
    pub actor: String,
    pub at_ms: i64,
}

#[async_trait::async_trait]
pub trait CampaignStore: Send + Sync {
    /// Creates a campaign; its audit entry names `campaign:<id>`. A second campaign with the
    /// same code, or on the same account, is a conflict.
    async fn create_campaign(&self, campaign: &NewCampaign, audit: &AuditEvent) -> Result<CampaignId, StoreError>;
    async fn update_campaign(
        &self,
        id: CampaignId,
        change: &CampaignChange,
        audit: &AuditEvent,
    ) -> Result<(), StoreError>;
    async fn campaign(&self, id: CampaignId) -> Result<Option<CampaignRow>, StoreError>;
    async fn campaign_by_code(&self, code: &str) -> Result<Option<CampaignRow>, StoreError>;
    /// Every campaign, newest first.
    async fn campaigns(&self) -> Result<Vec<CampaignRow>, StoreError>;
    /// Books a donation's transfer in the ledger and records its donor side, in one
    /// transaction; returns the transfer's id. A transfer whose idempotency key is known is
    /// not booked again and its donor side is left as it was (a retried request).
    async fn record_donation(
        &self,
        transfer: &NewLedgerTransfer,
        donation: &NewDonation,
        audit: &AuditEvent,
    ) -> Result<i64, StoreError>;
    /// The donations to a campaign's account, newest first: every transfer booked to it
    /// (bank imports included), with the donor's record where there is one.
    async fn donations(&self, campaign: CampaignId) -> Result<Vec<DonationRow>, StoreError>;
    /// Money moved per month on each of `accounts`: transfers that were not reversed and are
    /// no reversal.
    async fn monthly_flows(&self, accounts: &[i64]) -> Result<Vec<FlowRow>, StoreError>;

    /// Records a new case and its first step (`request`); the audit entry names `assistance:<id>`.
    async fn create_assistance(&self, case: &NewAssistance, audit: &AuditEvent) -> Result<AssistanceId, StoreError>;
    async fn assistance(&self, id: AssistanceId) -> Result<Option<AssistanceRow>, StoreError>;
    async fn assistance_by_ref(&self, reference: &str) -> Result<Option<AssistanceRow>, StoreError>;
    /// Every case, newest first.
    async fn assistance_cases(&self) -> Result<Vec<AssistanceRow>, StoreError>;
    async fn assistance_steps(&self, id: AssistanceId) -> Result<Vec<StepRow>, StoreError>;
    /// Moves a case one step, if it is still at `step.version`; a case moved meanwhile (or
    /// a second approval by the same person) is a conflict and nothing is written. A payment
    /// books its ledger transfer in the same transaction.
    async fn step_assistance(
        &self,
        step: &NewStep,
        payment: Option<&NewLedgerTransfer>,
        audit: &AuditEvent,
    ) -> Result<(), StoreError>;
}

pub(crate) const CAMPAIGN_SELECT: &str = "SELECT c.id, c.code, c.sealed, c.currency, c.goal, c.account_id, \
     c.starts_on, c.ends_on, c.status, c.public, \
     COALESCE((SELECT -b.balance FROM ledger_balances b WHERE b.account_id = c.account_id AND b.currency = c.currency), 0) AS raised, \
     (SELECT COUNT(*) FROM ledger_postings p JOIN ledger_transfers t ON t.id = p.transfer_id \
        WHERE p.account_id = c.account_id AND t.reverses IS NULL \
        AND NOT EXISTS (SELECT 1 FROM ledger_transfers r WHERE r.reverses = t.id)) AS donations \
     FROM campaigns c";

/// The conflict of a case step whose case moved since it was read (try again).
pub const CASE_MOVED: &str = "a newer step of this case";

pub(crate) const CASE_COLUMNS: &str = "id, ref, sealed, category, currency, amount, state, required, requested_by, \
     requested_at_ms, transfer_id, version";

macro_rules! impl_campaign_store {
    ($store:ty, $db:ty) => {
        mod campaign_sql {
            use super::*;
            use crate::campaigns::*;
            use sqlx::Row;

            type DbRow = <$db as sqlx::Database>::Row;

            pub(super) fn campaign_from(row: &DbRow) -> Result<CampaignRow, StoreError> {
                Ok(CampaignRow {
                    id: row.try_get("id")?,
                    code: row.try_get("code")?,
                    sealed: row.try_get("sealed")?,
                    currency: row.try_get("currency")?,
                    goal: row.try_get("goal")?,
                    account_id: row.try_get("account_id")?,
                    starts_on: row.try_get("starts_on")?,
                    ends_on: row.try_get("ends_on")?,
                    status: row.try_get("status")?,
                    public: row.try_get("public")?,
                    raised: row.try_get("raised")?,
                    donations: row.try_get("donations")?,
                })
            }

            pub(super) fn case_from(row: &DbRow) -> Result<AssistanceRow, StoreError> {
                Ok(AssistanceRow {
                    id: row.try_get("id")?,
                    reference: row.try_get("ref")?,
                    sealed: row.try_get("sealed")?,
                    category: row.try_get("category")?,
                    currency: row.try_get("currency")?,
                    amount: row.try_get("amount")?,
                    state: row.try_get("state")?,
                    required: row.try_get("required")?,
                    requested_by: row.try_get("requested_by")?,
                    requested_at_ms: row.try_get("requested_at_ms")?,
                    transfer_id: row.try_get("transfer_id")?,
                    version: row.try_get("version")?,
                })
            }

            pub(super) async fn cases_where(
                store: &$store,
                condition: &str,
                bind: Option<&str>,
                id: Option<i64>,
            ) -> Result<Vec<AssistanceRow>, StoreError> {
                let sql = format!(
                    "SELECT {} FROM assistance_cases {condition} ORDER BY id DESC",
                    CASE_COLUMNS
                );
                let mut query = sqlx::query(&sql);
                if let Some(text) = bind {
                    query = query.bind(text);
                }
                if let Some(id) = id {
                    query = query.bind(id);
                }
                let rows = query.fetch_all(&mut *store.reader().await?).await?;
                rows.iter().map(case_from).collect()
            }
        }

        #[async_trait::async_trait]
        impl $crate::campaigns::CampaignStore for $store {
            async fn create_campaign(
                &self,
                c: &$crate::campaigns::NewCampaign,
                audit: &$crate::AuditEvent,
            ) -> Result<$crate::campaigns::CampaignId, StoreError> {
                let mut tx = self.begin().await?;
                let exists: Option<i64> =
                    sqlx::query_scalar("SELECT id FROM campaigns WHERE code = $1 OR account_id = $2")
                        .bind(&c.code)
                        .bind(c.account_id)
                        .fetch_optional(&mut *tx)
                        .await?;
                if exists.is_some() {
                    return Err(StoreError::Conflict("a campaign with this code"));
                }
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO campaigns (code, sealed, currency, goal, account_id, starts_on, ends_on, status, \
                     public, created_by, created_at_ms) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, 'active', $8, $9, $10) RETURNING id",
                )
                .bind(&c.code)
                .bind(&c.sealed)
                .bind(&c.currency)
                .bind(c.goal)
                .bind(c.account_id)
                .bind(&c.starts_on)
                .bind(&c.ends_on)
                .bind(c.public)
                .bind(&c.created_by)
                .bind(c.created_at_ms)
                .fetch_one(&mut *tx)
                .await?;
                self.append(&mut tx, audit, Some(id)).await?;
                tx.commit().await?;
                Ok(id)
            }

            async fn update_campaign(
                &self,
                id: $crate::campaigns::CampaignId,
                change: &$crate::campaigns::CampaignChange,
                audit: &$crate::AuditEvent,
            ) -> Result<(), StoreError> {
                let mut tx = self.begin().await?;
                let done = sqlx::query(
                    "UPDATE campaigns SET sealed = $1, goal = $2, ends_on = $3, status = $4, public = $5 WHERE id = $6",
                )
                .bind(&change.sealed)
                .bind(change.goal)
                .bind(&change.ends_on)
                .bind(change.status)
                .bind(change.public)
                .bind(id)
                .execute(&mut *tx)
                .await?;
                if done.rows_affected() == 0 {
                    return Err(StoreError::NotFound("the campaign"));
                }
                self.append(&mut tx, audit, None).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn campaign(
                &self,
                id: $crate::campaigns::CampaignId,
            ) -> Result<Option<$crate::campaigns::CampaignRow>, StoreError> {
                let row = sqlx::query(&format!("{} WHERE c.id = $1", $crate::campaigns::CAMPAIGN_SELECT))
                    .bind(id)
                    .fetch_optional(&mut *self.reader().await?)
                    .await?;
                row.as_ref().map(campaign_sql::campaign_from).transpose()
            }

            async fn campaign_by_code(&self, code: &str) -> Result<Option<$crate::campaigns::CampaignRow>, StoreError> {
                let row = sqlx::query(&format!("{} WHERE c.code = $1", $crate::campaigns::CAMPAIGN_SELECT))
                    .bind(code)
                    .fetch_optional(&mut *self.reader().await?)
                    .await?;
                row.as_ref().map(campaign_sql::campaign_from).transpose()
            }

            async fn campaigns(&self) -> Result<Vec<$crate::campaigns::CampaignRow>, StoreError> {
                let rows = sqlx::query(&format!("{} ORDER BY c.id DESC", $crate::campaigns::CAMPAIGN_SELECT))
                    .fetch_all(&mut *self.reader().await?)
                    .await?;
                rows.iter().map(campaign_sql::campaign_from).collect()
            }

            async fn record_donation(
                &self,
                transfer: &$crate::ledger::NewLedgerTransfer,
                d: &$crate::campaigns::NewDonation,
                audit: &$crate::AuditEvent,
            ) -> Result<i64, StoreError> {
                let mut tx = self.begin().await?;
                let booked = ledger_sql::book(self, &mut tx, std::slice::from_ref(transfer), None).await?;
                let Some(booked) = booked.first().copied() else {
                    return Err(StoreError::Damaged("booking gave no transfer".into()));
                };
                if booked.new {
                    sqlx::query(
                        "INSERT INTO donations (transfer_id, campaign_id, donor_sealed, named, amount_shown, created_by, \
                         created_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                    )
                    .bind(booked.id)
                    .bind(d.campaign_id)
                    .bind(&d.donor_sealed)
                    .bind(d.named)
                    .bind(d.amount_shown)
                    .bind(&d.created_by)
                    .bind(d.created_at_ms)
                    .execute(&mut *tx)
                    .await?;
                    self.append(&mut tx, audit, None).await?;
                }
                tx.commit().await?;
                Ok(booked.id)
            }

            async fn donations(
                &self,
                campaign: $crate::campaigns::CampaignId,
            ) -> Result<Vec<$crate::campaigns::DonationRow>, StoreError> {
                let rows = sqlx::query(
                    "SELECT t.id, t.booked_on, -p.amount AS amount, p.currency, d.donor_sealed, \
                     COALESCE(d.named, $2) AS named, COALESCE(d.amount_shown, $2) AS amount_shown \
                     FROM campaigns c JOIN ledger_postings p ON p.account_id = c.account_id \
                     JOIN ledger_transfers t ON t.id = p.transfer_id \
                     LEFT JOIN donations d ON d.transfer_id = t.id \
                     WHERE c.id = $1 AND t.reverses IS NULL \
                     AND NOT EXISTS (SELECT 1 FROM ledger_transfers r WHERE r.reverses = t.id) \
                     ORDER BY t.id DESC",
                )
                .bind(campaign)
                .bind(false)
                .fetch_all(&mut *self.reader().await?)
                .await?;
                rows.iter()
                    .map(|row| {
                        Ok($crate::campaigns::DonationRow {
                            transfer_id: row.try_get("id")?,
                            booked_on: row.try_get("booked_on")?,
                            amount: row.try_get("amount")?,
                            currency: row.try_get("currency")?,
                            donor_sealed: row.try_get("donor_sealed")?,
                            named: row.try_get("named")?,
                            amount_shown: row.try_get("amount_shown")?,
                        })
                    })
                    .collect()
            }

            async fn monthly_flows(&self, accounts: &[i64]) -> Result<Vec<$crate::campaigns::FlowRow>, StoreError> {
                let mut out = Vec::new();
                // A few dozen accounts at most (campaigns and categories): one query each.
                for &account in accounts {
                    let rows = sqlx::query(
                        "SELECT SUBSTR(t.booked_on, 1, 7) AS month, p.currency, COUNT(*) AS n, CAST(SUM(p.amount) AS BIGINT) AS amount \
                         FROM ledger_postings p JOIN ledger_transfers t ON t.id = p.transfer_id \
                         WHERE p.account_id = $1 AND t.reverses IS NULL \
                         AND NOT EXISTS (SELECT 1 FROM ledger_transfers r WHERE r.reverses = t.id) \
                         GROUP BY SUBSTR(t.booked_on, 1, 7), p.currency ORDER BY 1, 2",
                    )
                    .bind(account)
                    .fetch_all(&mut *self.reader().await?)
                    .await?;
                    for row in &rows {
                        out.push($crate::campaigns::FlowRow {
                            month: row.try_get("month")?,
                            account_id: account,
                            currency: row.try_get("currency")?,
                            count: row.try_get("n")?,
                            amount: row.try_get("amount")?,
                        });
                    }
                }
                Ok(out)
            }

            async fn create_assistance(
                &self,
                c: &$crate::campaigns::NewAssistance,
                audit: &$crate::AuditEvent,
            ) -> Result<$crate::campaigns::AssistanceId, StoreError> {
                let mut tx = self.begin().await?;
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO assistance_cases (ref, sealed, category, currency, amount, state, required, \
                     requested_by, requested_at_ms, version) \
                     VALUES ($1, $2, $3, $4, $5, 'requested', $6, $7, $8, 1) RETURNING id",
                )
                .bind(&c.reference)
                .bind(&c.sealed)
                .bind(c.category)
                .bind(&c.currency)
                .bind(c.amount)
                .bind(c.required)
                .bind(&c.requested_by)
                .bind(c.requested_at_ms)
                .fetch_one(&mut *tx)
                .await?;
                sqlx::query(
                    "INSERT INTO assistance_steps (case_id, seq, action, actor, at_ms) VALUES ($1, 1, 'request', $2, $3)",
                )
                .bind(id)
                .bind(&c.requested_by)
                .bind(c.requested_at_ms)
                .execute(&mut *tx)
                .await?;
                self.append(&mut tx, audit, Some(id)).await?;
                tx.commit().await?;
                Ok(id)
            }

            async fn assistance(
                &self,
                id: $crate::campaigns::AssistanceId,
            ) -> Result<Option<$crate::campaigns::AssistanceRow>, StoreError> {
                Ok(campaign_sql::cases_where(self, "WHERE id = $1", None, Some(id))
                    .await?
                    .into_iter()
                    .next())
            }

            async fn assistance_by_ref(
                &self,
                reference: &str,
            ) -> Result<Option<$crate::campaigns::AssistanceRow>, StoreError> {
                Ok(campaign_sql::cases_where(self, "WHERE ref = $1", Some(reference), None)
                    .await?
                    .into_iter()
                    .next())
            }

            async fn assistance_cases(&self) -> Result<Vec<$crate::campaigns::AssistanceRow>, StoreError> {
                campaign_sql::cases_where(self, "", None, None).await
            }

            async fn assistance_steps(
                &self,
                id: $crate::campaigns::AssistanceId,
            ) -> Result<Vec<$crate::campaigns::StepRow>, StoreError> {
                let rows = sqlx::query(
                    "SELECT seq, action, actor, at_ms FROM assistance_steps WHERE case_id = $1 ORDER BY seq",
                )
                .bind(id)
                .fetch_all(&mut *self.reader().await?)
                .await?;
                rows.iter()
                    .map(|row| {
                        Ok($crate::campaigns::StepRow {
                            seq: row.try_get("seq")?,
                            action: row.try_get("action")?,
                            actor: row.try_get("actor")?,
                            at_ms: row.try_get("at_ms")?,
                        })
                    })
                    .collect()
            }

            async fn step_assistance(
                &self,
                step: &$crate::campaigns::NewStep,
                payment: Option<&$crate::ledger::NewLedgerTransfer>,
                audit: &$crate::AuditEvent,
            ) -> Result<(), StoreError> {
                let mut tx = self.begin().await?;
                let transfer_id = match payment {
                    None => None,
                    Some(t) => ledger_sql::book(self, &mut tx, std::slice::from_ref(t), None)
                        .await?
                        .first()
                        .map(|b| b.id),
                };
                let moved = sqlx::query(
                    "UPDATE assistance_cases SET state = $1, version = version + 1, \
                     transfer_id = COALESCE($2, transfer_id) WHERE id = $3 AND version = $4",
                )
                .bind(step.to)
                .bind(transfer_id)
                .bind(step.case_id)
                .bind(step.version)
                .execute(&mut *tx)
                .await?;
                if moved.rows_affected() == 0 {
                    return Err(StoreError::Conflict($crate::campaigns::CASE_MOVED));
                }
                let inserted = sqlx::query(
                    "INSERT INTO assistance_steps (case_id, seq, action, actor, at_ms) \
                     SELECT $1, COALESCE(MAX(seq), 0) + 1, $2, $3, $4 FROM assistance_steps WHERE case_id = $1 \
                     ON CONFLICT DO NOTHING",
                )
                .bind(step.case_id)
                .bind(step.action)
                .bind(&step.actor)
                .bind(step.at_ms)
                .execute(&mut *tx)
                .await?;
                if inserted.rows_affected() == 0 {
                    // The unique index of one approval per person: the transaction is dropped,
                    // so the state change above is not written either.
                    return Err(StoreError::Conflict("an approval by this person"));
                }
                self.append(&mut tx, audit, None).await?;
                tx.commit().await?;
                Ok(())
            }
        }
    };
}
pub(crate) use impl_campaign_store;
