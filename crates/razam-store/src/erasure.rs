//! Erasure of a person (a data-protection request): one transaction that overwrites what could
//! identify them and keeps every id, so that events, figures, merges, assistance cases, the
//! ledger and the audit chain lose no reference.
//!
//! Everything written here arrives sealed: the store never decides what names the person (it
//! cannot read it); razam-app opens, redacts and seals again. What the store does decide is
//! that nothing moved between the app's reading and this transaction: the group's members, their
//! versions, the events linking them and the events' versions are checked again inside it, and a
//! difference refuses the whole erasure. Nothing is deleted: rows are overwritten in place.
//! The SQL is written once for both databases ([`impl_erasure_store!`]).

use crate::registry::{EventId, IntakeId, IntakeRow, PersonId};
use crate::{AccountId, AuditEvent, StoreError};

/// An approval under the two-person rule that the erasure spends in its own transaction.
#[derive(Debug, Clone)]
pub struct ApprovalUse {
    pub subject: String,
    pub by: AccountId,
    /// Only an approval decided after this is good.
    pub decided_after_ms: i64,
}

/// One erasure, sealed and ready to write.
#[derive(Debug, Clone)]
pub struct ErasureWrite {
    /// The group's root (the person not merged into anyone), erased with its members.
    pub root: PersonId,
    /// Every person of the group with the version the app read.
    pub persons: Vec<(PersonId, i64)>,
    /// The identity every member gets instead of theirs: sealed, empty.
    pub identity_sealed: Vec<u8>,
    /// The snapshot that replaces every earlier version of the members and is their new version.
    pub snapshot_sealed: Vec<u8>,
    /// YYYY-MM-DD.
    pub erased_on: String,
    /// Every event linking a member, with the version the app read.
    pub events: Vec<(EventId, i64)>,
    /// Events whose sealed details named the person, redacted.
    pub event_details: Vec<(EventId, Vec<u8>)>,
    /// Earlier versions of those events whose snapshots named the person: (event, version,
    /// redacted snapshot).
    pub event_versions: Vec<(EventId, i64, Vec<u8>)>,
    /// Recognition decisions of members, redacted.
    pub recognitions: Vec<(PersonId, Vec<u8>)>,
    /// Sources of the linked events that named the person, redacted.
    pub sources: Vec<(i64, Vec<u8>)>,
    /// Intake reports that led to a member, blanked.
    pub intakes: Vec<(IntakeId, Vec<u8>)>,
    /// Assistance cases whose sealed beneficiaries named a member: their details without
    /// the member (the case, its steps and its ledger transfer stay as they are).
    pub cases: Vec<(i64, Vec<u8>)>,
    pub approval: Option<ApprovalUse>,
}

/// What the erasure of a group touches, as stored: read before the app seals its write.
#[derive(Debug, Clone, Default)]
pub struct ErasureScope {
    /// The root first, then the persons merged into it.
    pub persons: Vec<PersonId>,
    /// Every event linking a member.
    pub events: Vec<EventId>,
    pub intakes: Vec<IntakeRow>,
}

/// The conflict of an erasure whose records changed after they were read.
pub const ERASURE_MOVED: &str =
    "a change to this person's records meanwhile (someone edited, linked or merged them); reload and erase again";

#[async_trait::async_trait]
pub trait ErasureStore: Send + Sync {
    /// The group of `root` (which must not be merged into another) and what links to it.
    async fn erasure_scope(&self, root: PersonId) -> Result<ErasureScope, StoreError>;
    /// Writes the erasure and its one audit entry in one transaction, or nothing.
    async fn erase_person(&self, erasure: &ErasureWrite, audit: &AuditEvent) -> Result<(), StoreError>;
}

/// Implements [`ErasureStore`] for a store type over one sqlx database, beside
/// `impl_registry_store!` (whose `intake_from` it uses) and `impl_approval_store!` (whose
/// `take_approval` spends the approval).
macro_rules! impl_erasure_store {
    ($store:ty, $db:ty) => {
        mod erasure_sql {
            use super::*;
            use crate::erasure::*;

            type Tx = sqlx::Transaction<'static, $db>;

            /// The members of `root`'s group, root first; `NotFound` or a conflict when root
            /// does not exist or is merged into another.
            pub(super) async fn members<'c, E>(exec: E, root: i64) -> Result<Vec<i64>, StoreError>
            where
                E: sqlx::Executor<'c, Database = $db>,
            {
                let rows: Vec<(i64, Option<i64>)> = sqlx::query_as(
                    "SELECT id, merged_into FROM persons WHERE id = $1 OR merged_into = $1 \
                     ORDER BY CASE WHEN id = $1 THEN 0 ELSE 1 END, id",
                )
                .bind(root)
                .fetch_all(exec)
                .await?;
                match rows.first() {
                    None => Err(StoreError::NotFound("the person")),
                    Some((id, Some(_))) if *id == root => Err(StoreError::Conflict(
                        "an erasure of a merged person on its own (erase the person it is merged into: the whole group goes)",
                    )),
                    _ => Ok(rows.into_iter().map(|(id, _)| id).collect()),
                }
            }

            /// Every event linking one of `persons`, ascending.
            pub(super) async fn linked_events<'c, E>(exec: E, persons: &[i64]) -> Result<Vec<i64>, StoreError>
            where
                E: sqlx::Executor<'c, Database = $db>,
            {
                let mut q =
                    sqlx::QueryBuilder::<$db>::new("SELECT DISTINCT event_id FROM event_persons WHERE person_id IN (");
                let mut list = q.separated(", ");
                for id in persons {
                    list.push_bind(*id);
                }
                q.push(") ORDER BY event_id");
                Ok(q.build_query_scalar::<i64>().fetch_all(exec).await?)
            }

            /// Refuses the erasure when the group, a member's version, the linked events or an
            /// event's version differ from what the app read.
            pub(super) async fn check_unmoved(tx: &mut Tx, e: &ErasureWrite) -> Result<(), StoreError> {
                let members = members(&mut **tx, e.root).await?;
                let read: Vec<i64> = e.persons.iter().map(|(id, _)| *id).collect();
                if members != read || linked_events(&mut **tx, &members).await? != e.events.iter().map(|(id, _)| *id).collect::<Vec<_>>() {
                    return Err(StoreError::Conflict(ERASURE_MOVED));
                }
                let erased: Option<String> = sqlx::query_scalar("SELECT erased_on FROM persons WHERE id = $1")
                    .bind(e.root)
                    .fetch_one(&mut **tx)
                    .await?;
                if erased.is_some() {
                    return Err(StoreError::Conflict("an erasure of this person (they are erased already)"));
                }
                for (table, rows) in [("persons", &e.persons), ("events", &e.events)] {
                    for (id, version) in rows {
                        let now: i64 = sqlx::query_scalar(&format!("SELECT version FROM {table} WHERE id = $1"))
                            .bind(*id)
                            .fetch_one(&mut **tx)
                            .await?;
                        if now != *version {
                            return Err(StoreError::Conflict(ERASURE_MOVED));
                        }
                    }
                }
                Ok(())
            }

            /// Overwrites one sealed column of the rows of `table` named by id; a registry
            /// record (an event, a source) also carries the erasure's generation as changed in.
            pub(super) async fn overwrite(
                tx: &mut Tx,
                table: &str,
                column: &str,
                key: &str,
                rows: &[(i64, Vec<u8>)],
                changed_in: Option<i64>,
            ) -> Result<(), StoreError> {
                let stamp = if changed_in.is_some() { ", changed_in = $3" } else { "" };
                let sql = format!("UPDATE {table} SET {column} = $1{stamp} WHERE {key} = $2");
                for (id, sealed) in rows {
                    let mut q = sqlx::query(&sql).bind(&sealed[..]).bind(*id);
                    if let Some(g) = changed_in {
                        q = q.bind(g);
                    }
                    let changed = q
                        .execute(&mut **tx)
                        .await?
                        .rows_affected();
                    if changed != 1 {
                        return Err(StoreError::Conflict(ERASURE_MOVED));
                    }
                }
                Ok(())
            }
        }

        #[async_trait::async_trait]
        impl $crate::erasure::ErasureStore for $store {
            async fn erasure_scope(&self, root: i64) -> Result<$crate::erasure::ErasureScope, StoreError> {
                let persons = erasure_sql::members(&mut *self.reader().await?, root).await?;
                let events = erasure_sql::linked_events(&mut *self.reader().await?, &persons).await?;
                let mut q = sqlx::QueryBuilder::<$db>::new(format!(
                    "SELECT {} FROM intake_reports WHERE person_id IN (",
                    $crate::registry::INTAKE_COLUMNS
                ));
                let mut list = q.separated(", ");
                for id in &persons {
                    list.push_bind(*id);
                }
                q.push(") ORDER BY id");
                let intakes = q
                    .build_query_as::<(i64, i64, Vec<u8>, String, Option<String>, Option<i64>, Option<i64>)>()
                    .fetch_all(&mut *self.reader().await?)
                    .await?
                    .into_iter()
                    .map(intake_from)
                    .collect();
                Ok($crate::erasure::ErasureScope {
                    persons,
                    events,
                    intakes,
                })
            }

            async fn erase_person(
                &self,
                e: &$crate::erasure::ErasureWrite,
                audit: &$crate::AuditEvent,
            ) -> Result<(), StoreError> {
                let mut tx = self.begin().await?;
                let generation: i64 = sqlx::query_scalar($crate::registry::RAISE_GENERATION)
                    .fetch_one(&mut *tx)
                    .await?;
                erasure_sql::check_unmoved(&mut tx, e).await?;
                if let Some(approval) = &e.approval
                    && approval_sql::take_approval(
                        &mut tx,
                        &approval.subject,
                        approval.by,
                        approval.decided_after_ms,
                        audit.at_ms,
                    )
                    .await?
                    .is_none()
                {
                    return Err(StoreError::Conflict(
                        "a use of this erasure's approval (there is none approved and unused; ask for it again)",
                    ));
                }
                for (id, _) in &e.persons {
                    // The list reference and import digest are keyed hashes of what named the
                    // person: gone too, so that nobody holding the key can confirm a guess.
                    let version: i64 = sqlx::query_scalar(
                        "UPDATE persons SET identity_sealed = $1, ref_lookup = NULL, import_digest = NULL, \
                         consent_to_publish = 0, erased_on = $2, updated_at_ms = $3, version = version + 1, \
                         changed_in = $4 WHERE id = $5 RETURNING version",
                    )
                    .bind(&e.identity_sealed[..])
                    .bind(&e.erased_on)
                    .bind(audit.at_ms)
                    .bind(generation)
                    .bind(*id)
                    .fetch_one(&mut *tx)
                    .await?;
                    sqlx::query(
                        "UPDATE record_versions SET snapshot_sealed = $1 WHERE kind = 'person' AND record_id = $2",
                    )
                    .bind(&e.snapshot_sealed[..])
                    .bind(*id)
                    .execute(&mut *tx)
                    .await?;
                    sqlx::query(
                        "INSERT INTO record_versions (kind, record_id, version, at_ms, actor, snapshot_sealed) \
                         VALUES ('person', $1, $2, $3, $4, $5)",
                    )
                    .bind(*id)
                    .bind(version)
                    .bind(audit.at_ms)
                    .bind(&audit.actor)
                    .bind(&e.snapshot_sealed[..])
                    .execute(&mut *tx)
                    .await?;
                }
                erasure_sql::overwrite(&mut tx, "events", "details_sealed", "id", &e.event_details, Some(generation))
                    .await?;
                for (event, version, sealed) in &e.event_versions {
                    sqlx::query(
                        "UPDATE record_versions SET snapshot_sealed = $1 \
                         WHERE kind = 'event' AND record_id = $2 AND version = $3",
                    )
                    .bind(&sealed[..])
                    .bind(*event)
                    .bind(*version)
                    .execute(&mut *tx)
                    .await?;
                }
                erasure_sql::overwrite(&mut tx, "recognitions", "decision_sealed", "person_id", &e.recognitions, None)
                    .await?;
                erasure_sql::overwrite(&mut tx, "sources", "sealed", "id", &e.sources, Some(generation)).await?;
                erasure_sql::overwrite(&mut tx, "intake_reports", "report_sealed", "id", &e.intakes, None).await?;
                erasure_sql::overwrite(&mut tx, "assistance_cases", "sealed", "id", &e.cases, None).await?;
                self.append(&mut tx, audit, None).await?;
                tx.commit().await?;
                Ok(())
            }
        }
    };
}
pub(crate) use impl_erasure_store;
