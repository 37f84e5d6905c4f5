//! Merging two records of one person, undoing a merge, and saying two persons are not the
//! same person.
//!
//! A merge deletes and rewrites nothing: the merged person keeps its row, identity, events,
//! versions, sources, recognition and statuses; it is only pointed at the survivor. Lists
//! leave it out, the survivor's page shows its records beside the survivor's own, and the
//! figures count the two as one person: recognised from the earlier recognition, with the
//! statuses of both in one history. Undo clears the pointer, so every page and figure is what
//! it was before.
//!
//! Confidentiality: the actor must read both persons, and the survivor must be at least as
//! strict as the merged person; otherwise the merged person's records would show to readers
//! of the survivor who may not read them. A merge the other way round is refused, with the
//! advice to keep the stricter record (or raise the other's level first).

use razam_core::role::Permission;
use razam_store::registry::{PersonRow, RegistryOp};

use crate::duplicates::rank;
use crate::registry::level;
use crate::{Actor, App, AppError};

impl App {
    /// A person the actor may read, or why not.
    async fn readable_person(&self, actor: &Actor, id: i64) -> Result<PersonRow, AppError> {
        let p = self.store.person(id).await?.ok_or(AppError::NotFound("the person"))?;
        self.may_read(actor, &p.confidentiality)?;
        self.in_sight(actor, p.compartment)?;
        Ok(p)
    }

    /// Merges person `merged` into `survivor`, each at the version the actor saw (a stale
    /// version is refused as a conflict). Audited as `person.merge` (`merge:<id>`). Returns
    /// the merge's id, which undoes it.
    pub async fn merge_persons(
        &self,
        actor: &Actor,
        (survivor, survivor_version): (i64, i64),
        (merged, merged_version): (i64, i64),
    ) -> Result<i64, AppError> {
        self.require(actor, Permission::WriteRegistry)?;
        if survivor == merged {
            return Err(AppError::BadInput("a person cannot be merged into itself".into()));
        }
        let s = self.readable_person(actor, survivor).await?;
        let m = self.readable_person(actor, merged).await?;
        if rank(level(&s.confidentiality)?) < rank(level(&m.confidentiality)?) {
            return Err(AppError::BadInput(format!(
                "{} is {} and {} only {}: keep the stricter record, or raise the other's level first",
                m.label, m.confidentiality, s.label, s.confidentiality
            )));
        }
        let op = RegistryOp::MergePersons {
            survivor,
            merged,
            survivor_version,
            merged_version,
        };
        self.apply_single(Self::change(actor, op, Some("person.merge"), None))
            .await
    }

    /// Undoes merge `merge`: the merged person stands alone again, as before the merge.
    /// Audited as `person.unmerge` (`merge:<id>`). Returns (survivor, merged person).
    pub async fn undo_merge(&self, actor: &Actor, merge: i64) -> Result<(i64, i64), AppError> {
        self.require(actor, Permission::WriteRegistry)?;
        let row = self.store.merge(merge).await?.ok_or(AppError::NotFound("the merge"))?;
        self.readable_person(actor, row.survivor_id).await?;
        self.readable_person(actor, row.merged_id).await?;
        let op = RegistryOp::UndoMerge { merge };
        self.apply_single(Self::change(actor, op, Some("person.unmerge"), None))
            .await?;
        Ok((row.survivor_id, row.merged_id))
    }

    /// Records that persons `a` and `b` are not the same person: they are not proposed as
    /// duplicates again. Audited as `person.distinct` (`person:<a>+person:<b>`).
    pub async fn mark_distinct(&self, actor: &Actor, a: i64, b: i64) -> Result<(), AppError> {
        self.require(actor, Permission::WriteRegistry)?;
        if a == b {
            return Err(AppError::BadInput("a person is always the same as itself".into()));
        }
        self.readable_person(actor, a).await?;
        self.readable_person(actor, b).await?;
        let op = RegistryOp::MarkDistinct { a, b };
        self.apply_single(Self::change(actor, op, Some("person.distinct"), None))
            .await
            .map(drop)
    }
}
