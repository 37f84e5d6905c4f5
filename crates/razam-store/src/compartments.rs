//! Compartments (need to know): named groups of accounts, and which of them may see a person
//! or an event placed in one. Membership changes carry their audit entry in the same
//! transaction. Which records a reader sees is decided by [`Scope`], pushed into the list
//! queries of the registry (`registry::impl_registry_store!`) so that a list never fetches
//! what it may not show. The SQL is written once for both databases
//! ([`impl_compartment_store!`]).

use crate::{AccountId, AuditEvent, StoreError};

pub type CompartmentId = i64;

/// A compartment as stored; its name is a short label, never personal data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompartmentRow {
    pub id: CompartmentId,
    pub name: String,
    pub created_at_ms: i64,
    /// The accounts in it, by id.
    pub members: Vec<AccountId>,
}

/// Compartment ids aggregated into one text column (`1,4,7`), in ascending order; none is
/// an empty list. A cell that is not such a list is an error, never a smaller list.
pub(crate) fn id_list(cell: Option<String>) -> Result<Vec<CompartmentId>, StoreError> {
    let mut ids = cell
        .as_deref()
        .unwrap_or("")
        .split(',')
        .filter(|part| !part.is_empty())
        .map(|part| {
            part.trim()
                .parse::<CompartmentId>()
                .map_err(|_| StoreError::Damaged(format!("a compartment id list holds {part:?}")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    ids.sort_unstable();
    Ok(ids)
}

/// Which compartments' records a reader sees, besides the records in none. The default sees
/// only records in no compartment: a filter built without a scope shows less, never more.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Every record (the operator at the command line, who holds the key anyway; the public
    /// figures, which count and name nobody).
    All,
    /// Records in no compartment and in these.
    Only(Vec<CompartmentId>),
}

impl Default for Scope {
    fn default() -> Scope {
        Scope::Only(Vec::new())
    }
}

impl Scope {
    /// Whether a record in `compartment` (`None`: in none) is in sight.
    pub fn sees(&self, compartment: Option<CompartmentId>) -> bool {
        match (self, compartment) {
            (_, None) | (Scope::All, _) => true,
            (Scope::Only(ids), Some(c)) => ids.contains(&c),
        }
    }
}

#[async_trait::async_trait]
pub trait CompartmentStore: Send + Sync {
    /// Creates a compartment; a conflict when the name is taken. Its audit entry names
    /// `compartment:<id>`.
    async fn create_compartment(&self, name: &str, at_ms: i64, audit: &AuditEvent)
    -> Result<CompartmentId, StoreError>;
    /// Every compartment with its members, by name.
    async fn compartments(&self) -> Result<Vec<CompartmentRow>, StoreError>;
    /// The compartments `account` is a member of, ascending.
    async fn compartments_of(&self, account: AccountId) -> Result<Vec<CompartmentId>, StoreError>;
    /// Adds (`true`) or removes an account; `false` (nothing written) when that changes nothing.
    async fn set_member(
        &self,
        compartment: CompartmentId,
        account: AccountId,
        member: bool,
        audit: &AuditEvent,
    ) -> Result<bool, StoreError>;
    /// The compartment of the person or event an evidence item is attached to (for a source,
    /// of the event the source is linked to).
    async fn evidence_item_compartment(&self, item: i64) -> Result<Option<CompartmentId>, StoreError>;
    /// Every person and every event in a compartment, each with it: `(persons, events)`.
    /// Read through the partial indexes of migration 0016 (few records are in one).
    async fn compartmented_records(&self)
    -> Result<(Vec<(i64, CompartmentId)>, Vec<(i64, CompartmentId)>), StoreError>;
}

macro_rules! impl_compartment_store {
    ($store:ty, $db:ty) => {
        #[async_trait::async_trait]
        impl $crate::compartments::CompartmentStore for $store {
            async fn create_compartment(
                &self,
                name: &str,
                at_ms: i64,
                audit: &$crate::AuditEvent,
            ) -> Result<$crate::compartments::CompartmentId, StoreError> {
                let mut tx = self.begin().await?;
                let id: i64 =
                    sqlx::query_scalar("INSERT INTO compartments (name, created_at_ms) VALUES ($1, $2) RETURNING id")
                        .bind(name)
                        .bind(at_ms)
                        .fetch_one(&mut *tx)
                        .await
                        .map_err(|e| conflict_or(e, "a compartment of this name"))?;
                self.append(&mut tx, audit, Some(id)).await?;
                tx.commit().await?;
                Ok(id)
            }

            async fn compartments(&self) -> Result<Vec<$crate::compartments::CompartmentRow>, StoreError> {
                use sqlx::Row;
                let rows = sqlx::query("SELECT id, name, created_at_ms FROM compartments ORDER BY name")
                    .fetch_all(&mut *self.reader().await?)
                    .await?;
                let members: Vec<(i64, i64)> = sqlx::query_as(
                    "SELECT compartment_id, account_id FROM compartment_members ORDER BY compartment_id, account_id",
                )
                .fetch_all(&mut *self.reader().await?)
                .await?;
                rows.iter()
                    .map(|row| {
                        let id: i64 = row.try_get("id")?;
                        Ok($crate::compartments::CompartmentRow {
                            id,
                            name: row.try_get("name")?,
                            created_at_ms: row.try_get("created_at_ms")?,
                            members: members
                                .iter()
                                .filter(|(c, _)| *c == id)
                                .map(|(_, a)| *a)
                                .collect(),
                        })
                    })
                    .collect()
            }

            async fn compartments_of(
                &self,
                account: $crate::AccountId,
            ) -> Result<Vec<$crate::compartments::CompartmentId>, StoreError> {
                Ok(sqlx::query_scalar(
                    "SELECT compartment_id FROM compartment_members WHERE account_id = $1 ORDER BY compartment_id",
                )
                .bind(account)
                .fetch_all(&mut *self.reader().await?)
                .await?)
            }

            async fn set_member(
                &self,
                compartment: $crate::compartments::CompartmentId,
                account: $crate::AccountId,
                member: bool,
                audit: &$crate::AuditEvent,
            ) -> Result<bool, StoreError> {
                let mut tx = self.begin().await?;
                let statement = if member {
                    "INSERT INTO compartment_members (compartment_id, account_id) \
                     SELECT c.id, a.id FROM compartments c, accounts a WHERE c.id = $1 AND a.id = $2 \
                     ON CONFLICT DO NOTHING"
                } else {
                    "DELETE FROM compartment_members WHERE compartment_id = $1 AND account_id = $2"
                };
                let changed = sqlx::query(statement)
                    .bind(compartment)
                    .bind(account)
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

            async fn evidence_item_compartment(
                &self,
                item: i64,
            ) -> Result<Option<$crate::compartments::CompartmentId>, StoreError> {
                let compartment: Option<Option<i64>> = sqlx::query_scalar(
                    "SELECT COALESCE(p.compartment_id, e.compartment_id, \
                     (SELECT MIN(se.compartment_id) FROM event_sources es JOIN events se ON se.id = es.event_id \
                     WHERE es.source_id = i.source_id)) FROM evidence_items i \
                     LEFT JOIN persons p ON p.id = i.person_id LEFT JOIN events e ON e.id = i.event_id \
                     WHERE i.id = $1",
                )
                .bind(item)
                .fetch_optional(&mut *self.reader().await?)
                .await?;
                Ok(compartment.flatten())
            }

            async fn compartmented_records(
                &self,
            ) -> Result<
                (
                    Vec<(i64, $crate::compartments::CompartmentId)>,
                    Vec<(i64, $crate::compartments::CompartmentId)>,
                ),
                StoreError,
            > {
                // One statement for both: every logged-in search asks this first.
                let rows = self
                    .read_rows(
                        "SELECT 'p' AS part, id, compartment_id FROM persons WHERE compartment_id IS NOT NULL \
                         UNION ALL \
                         SELECT 'e' AS part, id, compartment_id FROM events WHERE compartment_id IS NOT NULL",
                        &[],
                        |row| Ok((row.text("part")? == "p", row.i64("id")?, row.i64("compartment_id")?)),
                    )
                    .await?;
                let (persons, events): (Vec<_>, Vec<_>) = rows.into_iter().partition(|(person, _, _)| *person);
                let pairs = |rows: Vec<(bool, i64, i64)>| rows.into_iter().map(|(_, id, c)| (id, c)).collect();
                Ok((pairs(persons), pairs(events)))
            }
        }
    };
}
pub(crate) use impl_compartment_store;
