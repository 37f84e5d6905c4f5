//! The two-person rule's requests: asked by one account, approved or refused by another (the
//! table's CHECK refuses the same account), used once. Each change carries its audit entry in
//! the same transaction. The SQL is written once for both databases ([`impl_approval_store!`]).

use crate::{AccountId, AuditEvent, StoreError};

pub type ApprovalId = i64;

/// A request as stored. `subject` names what it is for (`export:persons.csv`), never content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApprovalRow {
    pub id: ApprovalId,
    pub subject: String,
    pub requested_by: AccountId,
    pub requested_at_ms: i64,
    pub decided_by: Option<AccountId>,
    pub decided_at_ms: Option<i64>,
    /// `Some(true)` approved, `Some(false)` refused, `None` waiting.
    pub approved: Option<bool>,
    pub used_at_ms: Option<i64>,
}

#[async_trait::async_trait]
pub trait ApprovalStore: Send + Sync {
    /// Records a request; its audit entry names `approval:<id>`.
    async fn request_approval(
        &self,
        subject: &str,
        by: AccountId,
        at_ms: i64,
        audit: &AuditEvent,
    ) -> Result<ApprovalId, StoreError>;
    async fn approval(&self, id: ApprovalId) -> Result<Option<ApprovalRow>, StoreError>;
    /// Requests asked since `since_ms`, newest first.
    async fn approvals_since(&self, since_ms: i64) -> Result<Vec<ApprovalRow>, StoreError>;
    /// Decides a waiting request made by another account; `false` (nothing written) when it
    /// was decided already or `by` asked for it.
    async fn decide_approval(
        &self,
        id: ApprovalId,
        by: AccountId,
        approved: bool,
        at_ms: i64,
        audit: &AuditEvent,
    ) -> Result<bool, StoreError>;
    /// Uses an approved, unused request of `by` for `subject` decided after `decided_after_ms`,
    /// with the audit entry of what it allowed, in one transaction; `None` (nothing written)
    /// when there is none.
    async fn use_approval(
        &self,
        subject: &str,
        by: AccountId,
        decided_after_ms: i64,
        at_ms: i64,
        audit: &AuditEvent,
    ) -> Result<Option<ApprovalId>, StoreError>;
}

pub(crate) const APPROVAL_COLUMNS: &str =
    "id, subject, requested_by, requested_at_ms, decided_by, decided_at_ms, approved, used_at_ms";

macro_rules! impl_approval_store {
    ($store:ty, $db:ty) => {
        mod approval_sql {
            use super::*;
            use crate::approvals::*;
            use sqlx::Row;

            type DbRow = <$db as sqlx::Database>::Row;

            pub(super) fn approval_from(row: &DbRow) -> Result<ApprovalRow, StoreError> {
                let approved: Option<i64> = row.try_get("approved")?;
                Ok(ApprovalRow {
                    id: row.try_get("id")?,
                    subject: row.try_get("subject")?,
                    requested_by: row.try_get("requested_by")?,
                    requested_at_ms: row.try_get("requested_at_ms")?,
                    decided_by: row.try_get("decided_by")?,
                    decided_at_ms: row.try_get("decided_at_ms")?,
                    approved: approved.map(|a| a != 0),
                    used_at_ms: row.try_get("used_at_ms")?,
                })
            }

            /// Marks an approved, unused request of `by` for `subject` decided after
            /// `decided_after_ms` used, inside `tx`; its id, or `None` when there is none. The
            /// caller's transaction holds what the approval allowed (an export's audit entry,
            /// an erasure).
            pub(super) async fn take_approval(
                tx: &mut sqlx::Transaction<'static, $db>,
                subject: &str,
                by: $crate::AccountId,
                decided_after_ms: i64,
                at_ms: i64,
            ) -> Result<Option<i64>, StoreError> {
                Ok(sqlx::query_scalar(
                    "UPDATE approvals SET used_at_ms = $1 WHERE id = (\
                         SELECT id FROM approvals WHERE subject = $2 AND requested_by = $3 AND approved = 1 \
                         AND used_at_ms IS NULL AND decided_at_ms >= $4 ORDER BY id LIMIT 1\
                     ) AND used_at_ms IS NULL RETURNING id",
                )
                .bind(at_ms)
                .bind(subject)
                .bind(by)
                .bind(decided_after_ms)
                .fetch_optional(&mut **tx)
                .await?)
            }
        }

        #[async_trait::async_trait]
        impl $crate::approvals::ApprovalStore for $store {
            async fn request_approval(
                &self,
                subject: &str,
                by: $crate::AccountId,
                at_ms: i64,
                audit: &$crate::AuditEvent,
            ) -> Result<$crate::approvals::ApprovalId, StoreError> {
                let mut tx = self.begin().await?;
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO approvals (subject, requested_by, requested_at_ms) VALUES ($1, $2, $3) RETURNING id",
                )
                .bind(subject)
                .bind(by)
                .bind(at_ms)
                .fetch_one(&mut *tx)
                .await?;
                self.append(&mut tx, audit, Some(id)).await?;
                tx.commit().await?;
                Ok(id)
            }

            async fn approval(
                &self,
                id: $crate::approvals::ApprovalId,
            ) -> Result<Option<$crate::approvals::ApprovalRow>, StoreError> {
                let row = sqlx::query(&format!(
                    "SELECT {} FROM approvals WHERE id = $1",
                    $crate::approvals::APPROVAL_COLUMNS
                ))
                .bind(id)
                .fetch_optional(&mut *self.reader().await?)
                .await?;
                row.as_ref().map(approval_sql::approval_from).transpose()
            }

            async fn approvals_since(&self, since_ms: i64) -> Result<Vec<$crate::approvals::ApprovalRow>, StoreError> {
                let rows = sqlx::query(&format!(
                    "SELECT {} FROM approvals WHERE requested_at_ms >= $1 ORDER BY id DESC",
                    $crate::approvals::APPROVAL_COLUMNS
                ))
                .bind(since_ms)
                .fetch_all(&mut *self.reader().await?)
                .await?;
                rows.iter().map(approval_sql::approval_from).collect()
            }

            async fn decide_approval(
                &self,
                id: $crate::approvals::ApprovalId,
                by: $crate::AccountId,
                approved: bool,
                at_ms: i64,
                audit: &$crate::AuditEvent,
            ) -> Result<bool, StoreError> {
                let mut tx = self.begin().await?;
                let changed = sqlx::query(
                    "UPDATE approvals SET decided_by = $1, decided_at_ms = $2, approved = $3 \
                     WHERE id = $4 AND decided_by IS NULL AND requested_by <> $1",
                )
                .bind(by)
                .bind(at_ms)
                .bind(i64::from(approved))
                .bind(id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if changed == 0 {
                    tx.rollback().await?;
                    return Ok(false);
                }
                self.append(&mut tx, audit, None).await?;
                tx.commit().await?;
                Ok(true)
            }

            async fn use_approval(
                &self,
                subject: &str,
                by: $crate::AccountId,
                decided_after_ms: i64,
                at_ms: i64,
                audit: &$crate::AuditEvent,
            ) -> Result<Option<$crate::approvals::ApprovalId>, StoreError> {
                let mut tx = self.begin().await?;
                let id = approval_sql::take_approval(&mut tx, subject, by, decided_after_ms, at_ms).await?;
                let Some(id) = id else {
                    tx.rollback().await?;
                    return Ok(None);
                };
                self.append(&mut tx, audit, None).await?;
                tx.commit().await?;
                Ok(Some(id))
            }
        }
    };
}
pub(crate) use impl_approval_store;
