//! Sources: where a fact about an event comes from (a media article, a testimony, a
//! document). Title, reference and notes are sealed; the kind and level are not.

use razam_core::registry::{Confidentiality, SourceKind};
use razam_core::role::Permission;
use razam_store::registry::{RegistryOp, Target};
use serde::{Deserialize, Serialize};

use crate::registry::level;
use crate::{Actor, App, AppError};

pub(crate) const SEAL_SOURCE: &str = "registry.source";

/// What a source says about itself: sealed whole.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceDetails {
    pub title: String,
    /// A URL, an archive reference or a file number.
    #[serde(default)]
    pub reference: String,
    #[serde(default)]
    pub notes: String,
}

#[derive(Debug, Clone)]
pub struct SourceInput {
    pub kind: SourceKind,
    pub details: SourceDetails,
    pub confidentiality: Confidentiality,
}

#[derive(Debug, Clone)]
pub struct SourceView {
    pub id: i64,
    pub kind: SourceKind,
    pub details: SourceDetails,
    pub confidentiality: Confidentiality,
    pub created_at_ms: i64,
}

impl App {
    /// Links a new source to an event the actor may read and write.
    pub async fn add_source(&self, actor: &Actor, event: i64, input: &SourceInput) -> Result<i64, AppError> {
        self.require(actor, Permission::WriteRegistry)?;
        let row = self.store.event(event).await?.ok_or(AppError::NotFound("the event"))?;
        self.may_read(actor, &row.confidentiality)?;
        self.in_sight(actor, row.compartment)?;
        if input.details.title.trim().is_empty() {
            return Err(AppError::BadInput("a source needs a title".into()));
        }
        let op = self.source_op(Target::Existing(event), input)?;
        self.apply_single(Self::change(actor, op, Some("source.add"), None))
            .await
    }

    /// The change that records `input` and links it to `event`, its details sealed.
    pub(crate) fn source_op(&self, event: Target, input: &SourceInput) -> Result<RegistryOp, AppError> {
        Ok(RegistryOp::AddSource {
            event,
            kind: input.kind.as_str(),
            sealed: self.seal_json(SEAL_SOURCE, &input.details)?,
            confidentiality: input.confidentiality.as_str(),
        })
    }

    /// The sources of an event that the actor may read, oldest first.
    pub async fn event_sources(&self, actor: &Actor, event: i64) -> Result<Vec<SourceView>, AppError> {
        let row = self.store.event(event).await?.ok_or(AppError::NotFound("the event"))?;
        self.may_read(actor, &row.confidentiality)?;
        self.in_sight(actor, row.compartment)?;
        let levels = self.readable_levels(actor)?;
        let mut out = Vec::new();
        for s in self.store.sources_of_event(event).await? {
            if !levels.contains(&s.confidentiality.as_str()) {
                continue;
            }
            out.push(SourceView {
                id: s.id,
                kind: SourceKind::parse(&s.kind)
                    .ok_or_else(|| AppError::Vault(format!("unknown source kind {}", s.kind)))?,
                details: self.open_json(SEAL_SOURCE, &s.sealed)?,
                confidentiality: level(&s.confidentiality)?,
                created_at_ms: s.created_at_ms,
            });
        }
        Ok(out)
    }
}
