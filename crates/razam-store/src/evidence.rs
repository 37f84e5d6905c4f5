//! Evidence storage: cases, items and each item's custody log. The files themselves live
//! sealed in the data folder (razam-app writes them); here are only their opaque names and
//! sealed descriptions. The SQL is written once for both databases and compiled into each
//! store by [`impl_evidence_store!`].
//!
//! Every custody entry is written in the transaction that also appends its audit entry, and
//! advances the item's `custody_len` and `custody_head` by an UPDATE, which locks the item's
//! row: two entries for one item never take the same place in its chain.

use razam_core::custody::{CUSTODY_GENESIS, CustodyRecord, custody_link};

use crate::{AuditEvent, StoreError};

pub type CaseId = i64;
pub type ItemId = i64;

/// A case to create: its reference as a keyed lookup hash and sealed.
#[derive(Debug, Clone)]
pub struct NewCase {
    pub ref_lookup: [u8; 32],
    pub sealed: Vec<u8>,
    pub created_by: String,
    pub created_at_ms: i64,
}

#[derive(Debug, Clone)]
pub struct CaseRow {
    pub id: CaseId,
    pub sealed: Vec<u8>,
    pub created_by: String,
    pub created_at_ms: i64,
    pub items: i64,
}

/// An item to record; its intake is the first entry of its custody log.
#[derive(Debug, Clone)]
pub struct NewItem {
    pub case_id: CaseId,
    /// The file's opaque name in the data folder.
    pub blob: String,
    /// Original name, size, hashes, capture metadata: sealed by the caller.
    pub sealed: Vec<u8>,
    pub person_id: Option<i64>,
    pub event_id: Option<i64>,
    pub source_id: Option<i64>,
    pub confidentiality: &'static str,
    pub created_by: String,
    pub created_at_ms: i64,
}

#[derive(Debug, Clone)]
pub struct ItemRow {
    pub id: ItemId,
    pub case_id: CaseId,
    pub blob: String,
    pub sealed: Vec<u8>,
    pub person_id: Option<i64>,
    pub event_id: Option<i64>,
    pub source_id: Option<i64>,
    pub confidentiality: String,
    pub created_by: String,
    pub created_at_ms: i64,
    pub custody_len: i64,
}

/// A custody entry to append to an item's log.
#[derive(Debug, Clone)]
pub struct NewCustody {
    pub item: ItemId,
    pub at_ms: i64,
    pub actor: String,
    pub action: &'static str,
    pub detail: String,
}

/// A package handed on outside Razam: its recipient and notes sealed by the caller.
#[derive(Debug, Clone)]
pub struct NewTransfer {
    /// A random reference the custody entries name.
    pub reference: String,
    pub package: String,
    pub sealed: Vec<u8>,
    pub created_by: String,
    pub created_at_ms: i64,
}

/// A custody entry as stored.
#[derive(Debug, Clone)]
pub struct CustodyRow {
    pub record: CustodyRecord,
    pub prev_hash: [u8; 32],
    pub hash: [u8; 32],
}

#[async_trait::async_trait]
pub trait EvidenceStore: Send + Sync {
    /// Creates a case; its audit entry names `evidence_case:<id>`. A second case with the
    /// same reference is a conflict.
    async fn create_case(&self, case: &NewCase, audit: &AuditEvent) -> Result<CaseId, StoreError>;
    async fn case_by_lookup(&self, lookup: &[u8; 32]) -> Result<Option<CaseRow>, StoreError>;
    async fn case(&self, id: CaseId) -> Result<Option<CaseRow>, StoreError>;
    /// Every case, oldest first, with its number of items.
    async fn cases(&self) -> Result<Vec<CaseRow>, StoreError>;
    /// Records an item and its intake (custody entry 1, action `intake`); the audit entry
    /// names `evidence:<id>`.
    async fn add_item(&self, item: &NewItem, audit: &AuditEvent) -> Result<ItemId, StoreError>;
    async fn item(&self, id: ItemId) -> Result<Option<ItemRow>, StoreError>;
    async fn items_of_case(&self, case: CaseId) -> Result<Vec<ItemRow>, StoreError>;
    async fn items_of_person(&self, person: i64) -> Result<Vec<ItemRow>, StoreError>;
    /// Items attached to the event or to one of its sources.
    async fn items_of_event(&self, event: i64) -> Result<Vec<ItemRow>, StoreError>;
    /// Appends custody entries (each to its item's chain) and audit entries, all in one
    /// transaction.
    async fn record_custody(&self, entries: &[NewCustody], audit: &[AuditEvent]) -> Result<(), StoreError>;
    /// Records a transfer with one custody entry per item it concerns and their audit
    /// entries, in one transaction.
    async fn record_transfer(
        &self,
        transfer: &NewTransfer,
        entries: &[NewCustody],
        audit: &[AuditEvent],
    ) -> Result<(), StoreError>;
    /// A transfer's sealed record, by its reference.
    async fn transfer_sealed(&self, reference: &str) -> Result<Option<Vec<u8>>, StoreError>;
    /// An item's custody log, oldest first.
    async fn custody_of(&self, item: ItemId) -> Result<Vec<CustodyRow>, StoreError>;
}

/// The record and hash of the entry that follows `len` entries ending in `head`.
pub(crate) fn next_custody(entry: &NewCustody, len: i64, head: &[u8; 32]) -> (CustodyRecord, [u8; 32]) {
    let record = CustodyRecord {
        item: entry.item,
        seq: len + 1,
        at_ms: entry.at_ms,
        actor: entry.actor.clone(),
        action: entry.action.to_owned(),
        detail: entry.detail.clone(),
    };
    let hash = custody_link(head, &record);
    (record, hash)
}

pub(crate) const GENESIS_HEAD: [u8; 32] = CUSTODY_GENESIS;

pub(crate) const ITEM_COLUMNS: &str = "id, case_id, blob, sealed, person_id, event_id, source_id, confidentiality, \
     created_by, created_at_ms, custody_len";

pub(crate) const CASE_SELECT: &str = "SELECT c.id, c.sealed, c.created_by, c.created_at_ms, \
     (SELECT COUNT(*) FROM evidence_items i WHERE i.case_id = c.id) AS items FROM evidence_cases c";

macro_rules! impl_evidence_store {
    ($store:ty, $db:ty) => {
        mod evidence_sql {
            use super::*;
            use crate::evidence::*;
            use sqlx::Row;

            type DbRow = <$db as sqlx::Database>::Row;
            pub(super) type Tx = sqlx::Transaction<'static, $db>;

            pub(super) fn case_from(row: &DbRow) -> Result<CaseRow, StoreError> {
                Ok(CaseRow {
                    id: row.try_get("id")?,
                    sealed: row.try_get("sealed")?,
                    created_by: row.try_get("created_by")?,
                    created_at_ms: row.try_get("created_at_ms")?,
                    items: row.try_get("items")?,
                })
            }

            pub(super) fn item_from(row: &DbRow) -> Result<ItemRow, StoreError> {
                Ok(ItemRow {
                    id: row.try_get("id")?,
                    case_id: row.try_get("case_id")?,
                    blob: row.try_get("blob")?,
                    sealed: row.try_get("sealed")?,
                    person_id: row.try_get("person_id")?,
                    event_id: row.try_get("event_id")?,
                    source_id: row.try_get("source_id")?,
                    confidentiality: row.try_get("confidentiality")?,
                    created_by: row.try_get("created_by")?,
                    created_at_ms: row.try_get("created_at_ms")?,
                    custody_len: row.try_get("custody_len")?,
                })
            }

            /// Appends one custody entry inside `tx`: advancing the item's head first locks it.
            pub(super) async fn append_custody(tx: &mut Tx, entry: &NewCustody) -> Result<(), StoreError> {
                let row: Option<(i64, Vec<u8>)> = sqlx::query_as(
                    "UPDATE evidence_items SET custody_len = custody_len + 1 WHERE id = $1 \
                     RETURNING custody_len - 1, custody_head",
                )
                .bind(entry.item)
                .fetch_optional(&mut **tx)
                .await?;
                let (len, head) = row.ok_or(StoreError::NotFound("the evidence item"))?;
                let head = crate::hash32(head, "a custody hash")?;
                let (record, hash) = next_custody(entry, len, &head);
                sqlx::query("UPDATE evidence_items SET custody_head = $1 WHERE id = $2")
                    .bind(&hash[..])
                    .bind(entry.item)
                    .execute(&mut **tx)
                    .await?;
                sqlx::query(
                    "INSERT INTO evidence_custody (item_id, seq, at_ms, actor, action, detail, prev_hash, hash) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                )
                .bind(record.item)
                .bind(record.seq)
                .bind(record.at_ms)
                .bind(&record.actor)
                .bind(&record.action)
                .bind(&record.detail)
                .bind(&head[..])
                .bind(&hash[..])
                .execute(&mut **tx)
                .await?;
                Ok(())
            }

            pub(super) async fn items_where(
                store: &$store,
                condition: &str,
                id: i64,
            ) -> Result<Vec<ItemRow>, StoreError> {
                let rows = sqlx::query(&format!(
                    "SELECT {} FROM evidence_items WHERE {condition} ORDER BY id",
                    ITEM_COLUMNS
                ))
                .bind(id)
                .fetch_all(&mut *store.reader().await?)
                .await?;
                rows.iter().map(item_from).collect()
            }
        }

        #[async_trait::async_trait]
        impl $crate::evidence::EvidenceStore for $store {
            async fn create_case(
                &self,
                case: &$crate::evidence::NewCase,
                audit: &$crate::AuditEvent,
            ) -> Result<$crate::evidence::CaseId, StoreError> {
                let mut tx = self.begin().await?;
                let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM evidence_cases WHERE ref_lookup = $1")
                    .bind(&case.ref_lookup[..])
                    .fetch_optional(&mut *tx)
                    .await?;
                if exists.is_some() {
                    return Err(StoreError::Conflict("a case with this reference"));
                }
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO evidence_cases (ref_lookup, sealed, created_by, created_at_ms) \
                     VALUES ($1, $2, $3, $4) RETURNING id",
                )
                .bind(&case.ref_lookup[..])
                .bind(&case.sealed)
                .bind(&case.created_by)
                .bind(case.created_at_ms)
                .fetch_one(&mut *tx)
                .await?;
                self.append(&mut tx, audit, Some(id)).await?;
                tx.commit().await?;
                Ok(id)
            }

            async fn case_by_lookup(&self, lookup: &[u8; 32]) -> Result<Option<$crate::evidence::CaseRow>, StoreError> {
                let row = sqlx::query(&format!(
                    "{} WHERE c.ref_lookup = $1",
                    $crate::evidence::CASE_SELECT
                ))
                .bind(&lookup[..])
                .fetch_optional(&mut *self.reader().await?)
                .await?;
                row.as_ref().map(evidence_sql::case_from).transpose()
            }

            async fn case(
                &self,
                id: $crate::evidence::CaseId,
            ) -> Result<Option<$crate::evidence::CaseRow>, StoreError> {
                let row = sqlx::query(&format!("{} WHERE c.id = $1", $crate::evidence::CASE_SELECT))
                    .bind(id)
                    .fetch_optional(&mut *self.reader().await?)
                    .await?;
                row.as_ref().map(evidence_sql::case_from).transpose()
            }

            async fn cases(&self) -> Result<Vec<$crate::evidence::CaseRow>, StoreError> {
                let rows = sqlx::query(&format!("{} ORDER BY c.id", $crate::evidence::CASE_SELECT))
                    .fetch_all(&mut *self.reader().await?)
                    .await?;
                rows.iter().map(evidence_sql::case_from).collect()
            }

            async fn add_item(
                &self,
                item: &$crate::evidence::NewItem,
                audit: &$crate::AuditEvent,
            ) -> Result<$crate::evidence::ItemId, StoreError> {
                let mut tx = self.begin().await?;
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO evidence_items (case_id, blob, sealed, person_id, event_id, source_id, \
                     confidentiality, created_by, created_at_ms, custody_len, custody_head) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 0, $10) RETURNING id",
                )
                .bind(item.case_id)
                .bind(&item.blob)
                .bind(&item.sealed)
                .bind(item.person_id)
                .bind(item.event_id)
                .bind(item.source_id)
                .bind(item.confidentiality)
                .bind(&item.created_by)
                .bind(item.created_at_ms)
                .bind(&$crate::evidence::GENESIS_HEAD[..])
                .fetch_one(&mut *tx)
                .await?;
                let intake = $crate::evidence::NewCustody {
                    item: id,
                    at_ms: item.created_at_ms,
                    actor: item.created_by.clone(),
                    action: "intake",
                    detail: String::new(),
                };
                evidence_sql::append_custody(&mut tx, &intake).await?;
                self.append(&mut tx, audit, Some(id)).await?;
                tx.commit().await?;
                Ok(id)
            }

            async fn item(
                &self,
                id: $crate::evidence::ItemId,
            ) -> Result<Option<$crate::evidence::ItemRow>, StoreError> {
                Ok(evidence_sql::items_where(self, "id = $1", id)
                    .await?
                    .into_iter()
                    .next())
            }

            async fn items_of_case(
                &self,
                case: $crate::evidence::CaseId,
            ) -> Result<Vec<$crate::evidence::ItemRow>, StoreError> {
                evidence_sql::items_where(self, "case_id = $1", case).await
            }

            async fn items_of_person(&self, person: i64) -> Result<Vec<$crate::evidence::ItemRow>, StoreError> {
                evidence_sql::items_where(self, "person_id = $1", person).await
            }

            async fn items_of_event(&self, event: i64) -> Result<Vec<$crate::evidence::ItemRow>, StoreError> {
                evidence_sql::items_where(
                    self,
                    "event_id = $1 OR source_id IN (SELECT source_id FROM event_sources WHERE event_id = $1)",
                    event,
                )
                .await
            }

            async fn record_custody(
                &self,
                entries: &[$crate::evidence::NewCustody],
                audit: &[$crate::AuditEvent],
            ) -> Result<(), StoreError> {
                let mut tx = self.begin().await?;
                for entry in entries {
                    evidence_sql::append_custody(&mut tx, entry).await?;
                }
                for event in audit {
                    self.append(&mut tx, event, None).await?;
                }
                tx.commit().await?;
                Ok(())
            }

            async fn record_transfer(
                &self,
                transfer: &$crate::evidence::NewTransfer,
                entries: &[$crate::evidence::NewCustody],
                audit: &[$crate::AuditEvent],
            ) -> Result<(), StoreError> {
                let mut tx = self.begin().await?;
                sqlx::query(
                    "INSERT INTO evidence_transfers (ref, package, sealed, created_by, created_at_ms) \
                     VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(&transfer.reference)
                .bind(&transfer.package)
                .bind(&transfer.sealed)
                .bind(&transfer.created_by)
                .bind(transfer.created_at_ms)
                .execute(&mut *tx)
                .await?;
                for entry in entries {
                    evidence_sql::append_custody(&mut tx, entry).await?;
                }
                for event in audit {
                    self.append(&mut tx, event, None).await?;
                }
                tx.commit().await?;
                Ok(())
            }

            async fn transfer_sealed(&self, reference: &str) -> Result<Option<Vec<u8>>, StoreError> {
                Ok(
                    sqlx::query_scalar("SELECT sealed FROM evidence_transfers WHERE ref = $1")
                        .bind(reference)
                        .fetch_optional(&mut *self.reader().await?)
                        .await?,
                )
            }

            async fn custody_of(
                &self,
                item: $crate::evidence::ItemId,
            ) -> Result<Vec<$crate::evidence::CustodyRow>, StoreError> {
                let rows = sqlx::query(
                    "SELECT item_id, seq, at_ms, actor, action, detail, prev_hash, hash FROM evidence_custody \
                     WHERE item_id = $1 ORDER BY seq",
                )
                .bind(item)
                .fetch_all(&mut *self.reader().await?)
                .await?;
                rows.iter()
                    .map(|row| {
                        Ok($crate::evidence::CustodyRow {
                            record: razam_core::custody::CustodyRecord {
                                item: row.try_get("item_id")?,
                                seq: row.try_get("seq")?,
                                at_ms: row.try_get("at_ms")?,
                                actor: row.try_get("actor")?,
                                action: row.try_get("action")?,
                                detail: row.try_get("detail")?,
                            },
                            prev_hash: crate::hash32(row.try_get("prev_hash")?, "a custody hash")?,
                            hash: crate::hash32(row.try_get("hash")?, "a custody hash")?,
                        })
                    })
                    .collect()
            }
        }
    };
}
pub(crate) use impl_evidence_store;
