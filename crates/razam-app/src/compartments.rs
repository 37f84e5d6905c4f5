//! Compartments (need to know): a person or event placed in a compartment is seen only by its
//! members. Not by other admins either: an admin creates compartments and manages membership
//! (audited), and must add themselves to see inside (audited too).
//!
//! This is the one place the rule lives. [`App::scope`] turns the acting account's
//! compartments (read with its session, [`crate::CurrentUser::compartments`]) into the
//! [`Scope`] the store's list queries filter by; [`App::in_sight`] answers for one record, and
//! answers "not found" rather than "forbidden", so that a refusal never confirms that a record
//! exists. The web's route layer calls [`App::record_in_sight`] for every route whose path
//! names a record, before any handler runs.

use razam_core::role::Permission;
use razam_store::AuditObject;
use razam_store::compartments::{CompartmentId, CompartmentRow};
use razam_store::registry::{RegistryOp, Target};

pub use razam_store::compartments::Scope;

use crate::{Actor, App, AppError};

/// Takes out of an event the persons in a compartment out of `scope`: an event page never
/// names a person its reader may not see. The persons' compartments come with the event
/// ([`crate::registry::EventView::person_compartments`]), so this reads nothing.
pub(crate) fn hide_unseen_persons(scope: &Scope, event: &mut crate::registry::EventView) {
    if *scope == Scope::All || event.person_compartments.is_empty() {
        return;
    }
    let unseen: Vec<i64> = event
        .person_compartments
        .iter()
        .filter(|(_, c)| !scope.sees(Some(*c)))
        .map(|(p, _)| *p)
        .collect();
    event.persons.retain(|p| !unseen.contains(&p.0));
    event.person_compartments.retain(|(p, _)| !unseen.contains(p));
}

/// The longest compartment name, in characters: a short label, never personal data.
pub const NAME_MAX: usize = 40;

/// What the `{id}` of a route names, for [`App::record_in_sight`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordKind {
    Person,
    Event,
    /// A merge: in sight when both its persons are.
    Merge,
    /// An evidence item: in the compartment of the person or event it is attached to.
    EvidenceItem,
}

/// A compartment as the admin page shows it.
#[derive(Debug, Clone)]
pub struct CompartmentView {
    pub id: CompartmentId,
    pub name: String,
    /// (account id, display name), by name.
    pub members: Vec<(i64, String)>,
}

/// A compartment name: trimmed, 1 to [`NAME_MAX`] characters, no control characters.
pub fn parse_name(name: &str) -> Result<String, AppError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(AppError::BadInput("a compartment needs a name".into()));
    }
    if name.chars().count() > NAME_MAX {
        return Err(AppError::BadInput(format!(
            "a compartment name has at most {NAME_MAX} characters"
        )));
    }
    if name.chars().any(char::is_control) {
        return Err(AppError::BadInput(
            "a compartment name has no control characters".into(),
        ));
    }
    Ok(name.to_owned())
}

/// The person or event row [`App::record_in_sight`] read to check a record, handed on with
/// the request to the page that shows it (as the session's account is), so that the page
/// does not read the same row again a moment later. Empty for other kinds.
#[derive(Debug, Clone, Default)]
pub struct Checked(Option<CheckedRow>);

#[derive(Debug, Clone)]
enum CheckedRow {
    Person(razam_store::registry::PersonRow),
    Event(razam_store::registry::EventRow),
}

impl Checked {
    /// The person row of `id`, if that is what was checked.
    pub(crate) fn person(self, id: i64) -> Option<razam_store::registry::PersonRow> {
        match self.0 {
            Some(CheckedRow::Person(row)) if row.id == id => Some(row),
            _ => None,
        }
    }

    /// The event row of `id`, if that is what was checked.
    pub(crate) fn event(self, id: i64) -> Option<razam_store::registry::EventRow> {
        match self.0 {
            Some(CheckedRow::Event(row)) if row.id == id => Some(row),
            _ => None,
        }
    }
}

impl App {
    /// The compartments whose records `actor` sees besides those in none: the command line
    /// (which holds the key) sees all, an account its own, a visitor none.
    pub fn scope(&self, actor: &Actor) -> Scope {
        match actor {
            Actor::Cli => Scope::All,
            Actor::Account(user) => Scope::Only(user.compartments().to_vec()),
            Actor::Anonymous => Scope::Only(Vec::new()),
        }
    }

    /// `Ok` when a record in `compartment` is in sight of `actor`; otherwise the same
    /// "not found" a missing record gets.
    pub(crate) fn in_sight(&self, actor: &Actor, compartment: Option<CompartmentId>) -> Result<(), AppError> {
        if self.scope(actor).sees(compartment) {
            Ok(())
        } else {
            Err(AppError::NotFound("the record"))
        }
    }

    /// `Ok` when the record `id` of `kind` is in sight of `actor`, or does not exist (its
    /// handler then says so), with the person or event row read to tell; "not found" when it
    /// is in a compartment `actor` is not in.
    pub async fn record_in_sight(&self, actor: &Actor, kind: RecordKind, id: i64) -> Result<Checked, AppError> {
        let (compartments, checked) = match kind {
            RecordKind::Person => {
                let row = self.store.person(id).await?;
                let compartment = row.as_ref().and_then(|p| p.compartment);
                (vec![compartment], Checked(row.map(CheckedRow::Person)))
            }
            RecordKind::Event => {
                let row = self.store.event(id).await?;
                let compartment = row.as_ref().and_then(|e| e.compartment);
                (vec![compartment], Checked(row.map(CheckedRow::Event)))
            }
            RecordKind::EvidenceItem => (
                vec![self.store.evidence_item_compartment(id).await?],
                Checked::default(),
            ),
            RecordKind::Merge => match self.store.merge(id).await? {
                None => (Vec::new(), Checked::default()),
                Some(m) => {
                    let mut both = Vec::with_capacity(2);
                    for person in [m.survivor_id, m.merged_id] {
                        both.push(self.store.person(person).await?.and_then(|p| p.compartment));
                    }
                    (both, Checked::default())
                }
            },
        };
        compartments.into_iter().try_for_each(|c| self.in_sight(actor, c))?;
        Ok(checked)
    }

    /// Those of the persons `ids` that are in a compartment out of `scope`.
    pub(crate) async fn unseen_persons(
        &self,
        scope: &Scope,
        ids: &[i64],
    ) -> Result<std::collections::HashSet<i64>, AppError> {
        if *scope == Scope::All || ids.is_empty() {
            return Ok(Default::default());
        }
        Ok(self
            .store
            .person_compartments(ids)
            .await?
            .into_iter()
            .filter(|(_, c)| !scope.sees(Some(*c)))
            .map(|(id, _)| id)
            .collect())
    }

    /// The compartment a record may be written into by `actor`: one it is a member of (the
    /// command line: one that exists). A clear refusal otherwise, nothing written.
    pub(crate) async fn compartment_for_write(
        &self,
        actor: &Actor,
        compartment: Option<CompartmentId>,
    ) -> Result<Option<CompartmentId>, AppError> {
        let Some(id) = compartment else {
            return Ok(None);
        };
        let known = match actor {
            Actor::Cli => self.store.compartments().await?.iter().any(|c| c.id == id),
            _ => self.scope(actor).sees(Some(id)),
        };
        if known {
            Ok(Some(id))
        } else {
            Err(AppError::BadInput(
                "a record can only be put into a compartment you are a member of".into(),
            ))
        }
    }

    /// The change that moves a person or event into `to` (or out of any), audited as
    /// `person.compartment` / `event.compartment`.
    pub(crate) fn compartment_change(
        actor: &Actor,
        kind: RecordKind,
        record: Target,
        to: Option<CompartmentId>,
    ) -> razam_store::registry::Change {
        let (kind, action) = match kind {
            RecordKind::Event => ("event", "event.compartment"),
            _ => ("person", "person.compartment"),
        };
        Self::change(
            actor,
            RegistryOp::SetCompartment {
                kind,
                record,
                compartment: to,
            },
            Some(action),
            None,
        )
    }

    /// The compartments `actor` is a member of, (id, name) by name: what a record form offers.
    pub async fn own_compartments(&self, actor: &Actor) -> Result<Vec<(CompartmentId, String)>, AppError> {
        let scope = self.scope(actor);
        Ok(self
            .store
            .compartments()
            .await?
            .into_iter()
            .filter(|c| scope.sees(Some(c.id)))
            .map(|c| (c.id, c.name))
            .collect())
    }

    /// Creates a compartment (admins); audited.
    pub async fn create_compartment(&self, actor: &Actor, name: &str) -> Result<CompartmentId, AppError> {
        self.require(actor, Permission::ManageAccounts)?;
        let name = parse_name(name)?;
        let audit = self.event(actor, "compartment.create", AuditObject::Created("compartment"));
        Ok(self.store.create_compartment(&name, crate::now_ms(), &audit).await?)
    }

    /// Every compartment with its members (admins): names and membership only, never records.
    pub async fn compartments(&self, actor: &Actor) -> Result<Vec<CompartmentView>, AppError> {
        self.require(actor, Permission::ManageAccounts)?;
        let users = self.list_users(actor).await?;
        let rows: Vec<CompartmentRow> = self.store.compartments().await?;
        Ok(rows
            .into_iter()
            .map(|c| CompartmentView {
                id: c.id,
                name: c.name,
                members: users
                    .iter()
                    .filter(|u| c.members.contains(&u.id))
                    .map(|u| (u.id, u.display_name.clone()))
                    .collect(),
            })
            .collect())
    }

    /// Adds an account to a compartment or removes it (admins, themselves included: an admin
    /// sees inside only after adding themselves). Audited as `compartment.member.add` /
    /// `.remove`, naming the compartment and the account; takes effect with the account's
    /// next request.
    pub async fn set_compartment_member(
        &self,
        actor: &Actor,
        compartment: CompartmentId,
        account: i64,
        member: bool,
    ) -> Result<(), AppError> {
        self.require(actor, Permission::ManageAccounts)?;
        if !self.store.compartments().await?.iter().any(|c| c.id == compartment) {
            return Err(AppError::NotFound("the compartment"));
        }
        let action = if member {
            "compartment.member.add"
        } else {
            "compartment.member.remove"
        };
        let audit = self.event(
            actor,
            action,
            AuditObject::Named(format!("compartment:{compartment}+account:{account}")),
        );
        if !self.store.set_member(compartment, account, member, &audit).await? && member {
            // Nothing written: a member already, or no such account.
            if self.store.account_by_id(account).await?.is_none() {
                return Err(AppError::NotFound("the account"));
            }
        }
        Ok(())
    }

    /// Moves a person or an event into compartment `to` (or out of any): only a member of
    /// both may; audited as `person.compartment` / `event.compartment`.
    pub async fn move_to_compartment(
        &self,
        actor: &Actor,
        kind: RecordKind,
        id: i64,
        to: Option<CompartmentId>,
    ) -> Result<(), AppError> {
        self.require(actor, Permission::WriteRegistry)?;
        if !matches!(kind, RecordKind::Person | RecordKind::Event) {
            return Err(AppError::BadInput(
                "only persons and events are put into compartments".into(),
            ));
        }
        let from = match kind {
            RecordKind::Person => self.store.person(id).await?.map(|p| p.compartment),
            _ => self.store.event(id).await?.map(|e| e.compartment),
        };
        let from = from.ok_or(AppError::NotFound("the record"))?;
        self.in_sight(actor, from)?;
        let to = self.compartment_for_write(actor, to).await?;
        if from == to {
            return Ok(());
        }
        self.apply_single(Self::compartment_change(actor, kind, Target::Existing(id), to))
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person(id: i64) -> razam_store::registry::PersonRow {
        razam_store::registry::PersonRow {
            id,
            label: format!("P-{id:06}"),
            identity_sealed: Vec::new(),
            region: None,
            confidentiality: "internal".into(),
            consent_to_publish: false,
            version: 1,
            created_at_ms: 0,
            updated_at_ms: 0,
            recognized_on: None,
            status: None,
            merged_into: None,
            erased_on: None,
            compartment: None,
        }
    }

    /// A page takes the checked row only when it is the record it shows: the same kind and
    /// the same id; anything else is read again.
    #[test]
    fn a_checked_row_serves_only_its_own_record() {
        let checked = Checked(Some(CheckedRow::Person(person(5))));
        assert_eq!(checked.clone().person(5).map(|p| p.id), Some(5));
        assert!(checked.clone().person(6).is_none(), "another person");
        assert!(checked.event(5).is_none(), "an event of the same id");
        assert!(Checked::default().person(5).is_none());
    }
}
