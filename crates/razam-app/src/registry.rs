//! Registry use cases: persons, events, recognition, status, version history.
//!
//! Identity and details are sealed here before they reach the store; what the store keeps in
//! the clear (kinds, dates, regions, articles, levels) names nobody. Every change is one
//! batch of [`Change`]s: one transaction, its audit entries and its sealed version snapshots.

use std::collections::BTreeMap;

use razam_core::registry::{Article, Confidentiality, Day, EventKind, FuzzyDate, PersonRole, PrisonerStatus, Region};
use razam_core::role::Permission;
use razam_store::registry::{
    Change, DateParts, EventRow, EventWrite, PersonCardRow, PersonRow, PersonWrite, RegistryOp, Standing, Target,
};
use serde::{Deserialize, Serialize};

use crate::compartments::{Checked, RecordKind, hide_unseen_persons};
use crate::{Actor, App, AppError};

/// The list filters and the label scheme, as the pages and the API name them.
pub use razam_store::registry::{EventFilter, PersonFilter, label_for};

pub(crate) const SEAL_IDENTITY: &str = "registry.person.identity";
pub(crate) const SEAL_DETAILS: &str = "registry.event.details";
pub(crate) const SEAL_DECISION: &str = "registry.recognition.decision";
pub(crate) const SEAL_VERSION: &str = "registry.version";

/// Who a person is: sealed whole, never in the clear.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    pub given_name: String,
    pub family_name: String,
    pub patronymic: String,
    /// Other spellings and scripts of the name, one per entry.
    #[serde(default)]
    pub variants: Vec<String>,
    /// An imprecise date in [`FuzzyDate`] text, or empty.
    #[serde(default)]
    pub birth_date: String,
    #[serde(default)]
    pub contacts: String,
    #[serde(default)]
    pub notes: String,
}

impl Identity {
    /// The name as a documenter reads it: family name, given name, patronymic.
    pub fn full_name(&self) -> String {
        [&self.family_name, &self.given_name, &self.patronymic]
            .iter()
            .filter(|s| !s.is_empty())
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// Where and how an event happened, below what the store keeps in the clear: sealed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventDetails {
    #[serde(default)]
    pub district: String,
    #[serde(default)]
    pub settlement: String,
    #[serde(default)]
    pub facility: String,
    #[serde(default)]
    pub description: String,
}

/// A person's fields as a form or an import gives them, already parsed.
#[derive(Debug, Clone)]
pub struct PersonInput {
    pub identity: Identity,
    pub region: Option<String>,
    pub confidentiality: Confidentiality,
    pub consent_to_publish: bool,
}

/// What creating a record under an idempotency key gave: its id, and whether it was created
/// now (`false`: one with the same key was there already, and nothing was written).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Created {
    pub id: i64,
    pub new: bool,
}

/// An event's fields as a form gives them, already parsed.
#[derive(Debug, Clone)]
pub struct EventInput {
    pub kind: EventKind,
    pub date: Option<FuzzyDate>,
    pub region: Option<String>,
    pub arrest_days: Option<i64>,
    pub term_months: Option<i64>,
    pub details: EventDetails,
    pub confidentiality: Confidentiality,
    pub articles: Vec<Article>,
    pub persons: Vec<(i64, PersonRole)>,
}

/// A person as a cell naming them shows it (duplicate candidates, the merge queue): the
/// person's own fields, without their group's recognition and status, which are not read.
#[derive(Debug, Clone)]
pub struct PersonCard {
    pub id: i64,
    pub label: String,
    pub identity: Identity,
    pub region: Option<String>,
    pub confidentiality: Confidentiality,
    pub consent_to_publish: bool,
    pub version: i64,
    pub merged_into: Option<i64>,
    pub erased_on: Option<String>,
    pub compartment: Option<i64>,
}

/// A person as a permitted reader sees it.
#[derive(Debug, Clone)]
pub struct PersonView {
    pub id: i64,
    pub label: String,
    pub identity: Identity,
    pub region: Option<String>,
    pub confidentiality: Confidentiality,
    pub consent_to_publish: bool,
    pub version: i64,
    /// The earliest recognition of the person and of the persons merged into them.
    pub recognized_on: Option<String>,
    /// The latest status of the person and of the persons merged into them.
    pub status: Option<(PrisonerStatus, String)>,
    pub merged_into: Option<i64>,
    /// The day the person was erased: the identity is empty ([`crate::erasure`]).
    pub erased_on: Option<String>,
    /// The compartment the person is in, if any (only its members see the person).
    pub compartment: Option<i64>,
}

impl PersonView {
    /// The person's own fields, as a cell naming them shows them.
    pub fn card(&self) -> PersonCard {
        PersonCard {
            id: self.id,
            label: self.label.clone(),
            identity: self.identity.clone(),
            region: self.region.clone(),
            confidentiality: self.confidentiality,
            consent_to_publish: self.consent_to_publish,
            version: self.version,
            merged_into: self.merged_into,
            erased_on: self.erased_on.clone(),
            compartment: self.compartment,
        }
    }
}

#[derive(Debug, Clone)]
pub struct EventView {
    pub id: i64,
    pub kind: EventKind,
    pub date: Option<FuzzyDate>,
    pub region: Option<String>,
    pub arrest_days: Option<i64>,
    pub term_months: Option<i64>,
    pub details: EventDetails,
    pub confidentiality: Confidentiality,
    pub version: i64,
    pub articles: Vec<String>,
    /// (person id, label, role)
    pub persons: Vec<(i64, String, String)>,
    /// Those of `persons` that are in a compartment, with it.
    pub person_compartments: Vec<(i64, i64)>,
    /// The compartment the event is in, if any (only its members see the event).
    pub compartment: Option<i64>,
}

#[derive(Debug, Clone)]
pub struct RecognitionView {
    pub recognized_on: String,
    pub criteria: String,
    pub reasoning: String,
    pub reviewer: String,
}

/// Everything the person page shows.
#[derive(Debug, Clone)]
pub struct PersonPage {
    pub person: PersonView,
    /// Oldest first, with the person's role in each.
    pub events: Vec<(EventView, PersonRole)>,
    pub recognition: Option<RecognitionView>,
    /// (status, from day), oldest first.
    pub statuses: Vec<(PrisonerStatus, String)>,
    /// The person this one is merged into: its page is the person's page now.
    pub merged_into: Option<i64>,
    /// The persons merged into this one (that the reader may read), each with its own
    /// records, oldest merge first.
    pub merged_from: Vec<MergedRecord>,
    /// The persons recorded as not the same person as this one, ascending.
    pub distinct_from: Vec<i64>,
}

impl PersonPage {
    /// The persons the page's possible duplicates leave out: the person and those recorded as
    /// not the same person ([`App::probable_matches`]).
    pub fn never_duplicates(&self) -> Vec<i64> {
        let mut ids = self.distinct_from.clone();
        ids.push(self.person.id);
        ids
    }
}

/// A person merged into another, as the survivor's page shows it: nothing of it is lost.
#[derive(Debug, Clone)]
pub struct MergedRecord {
    pub merge_id: i64,
    pub person: PersonView,
    pub events: Vec<(EventView, PersonRole)>,
    pub recognition: Option<RecognitionView>,
    pub statuses: Vec<(PrisonerStatus, String)>,
    /// The display name of who merged it, and when.
    pub merged_by: String,
    pub merged_at_ms: i64,
}

/// One version of a record and what it changed.
#[derive(Debug, Clone)]
pub struct VersionView {
    pub version: i64,
    pub at_ms: i64,
    /// The display name of the account that made the change (or `cli`).
    pub actor: String,
    /// (field, before, after); for the first version every field with a value.
    pub changes: Vec<(String, String, String)>,
}

/// A person's own events (with the person's role), recognition and statuses.
type OwnRecords = (
    Vec<(EventView, PersonRole)>,
    Option<RecognitionView>,
    Vec<(PrisonerStatus, String)>,
);

/// The decision recorded with a recognition: sealed.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Decision {
    criteria: String,
    reasoning: String,
}

impl App {
    /// The confidentiality levels `actor` may read.
    pub(crate) fn readable_levels(&self, actor: &Actor) -> Result<Vec<&'static str>, AppError> {
        self.require(actor, Permission::ReadRegistry)?;
        let mut levels = vec![Confidentiality::Public.as_str(), Confidentiality::Internal.as_str()];
        if self.may(actor, Permission::ReadRestricted) {
            levels.push(Confidentiality::Restricted.as_str());
        }
        Ok(levels)
    }

    pub(crate) fn may(&self, actor: &Actor, permission: Permission) -> bool {
        self.require(actor, permission).is_ok()
    }

    pub(crate) fn may_read(&self, actor: &Actor, level: &str) -> Result<(), AppError> {
        if self.readable_levels(actor)?.contains(&level) {
            Ok(())
        } else {
            Err(AppError::Forbidden)
        }
    }

    pub(crate) fn person_write(&self, input: &PersonInput) -> Result<PersonWrite, AppError> {
        Ok(PersonWrite {
            identity_sealed: self.seal_json(SEAL_IDENTITY, &input.identity)?,
            ref_lookup: None,
            region: input.region.clone(),
            confidentiality: input.confidentiality.as_str(),
            consent_to_publish: input.consent_to_publish,
            import_digest: None,
        })
    }

    pub(crate) fn event_write(
        &self,
        input: &EventInput,
        persons: Vec<(Target, &'static str)>,
    ) -> Result<EventWrite, AppError> {
        Ok(EventWrite {
            kind: input.kind.as_str(),
            date: input.date.map(date_parts),
            region: input.region.clone(),
            arrest_days: input.arrest_days,
            term_months: input.term_months,
            details_sealed: self.seal_json(SEAL_DETAILS, &input.details)?,
            confidentiality: input.confidentiality.as_str(),
            articles: input
                .articles
                .iter()
                .map(|a| (a.as_str().to_owned(), a.base().to_owned()))
                .collect(),
            persons,
            import_digest: None,
        })
    }

    pub(crate) fn seal_json<T: Serialize>(&self, context: &str, value: &T) -> Result<Vec<u8>, AppError> {
        let json = zeroize::Zeroizing::new(serde_json::to_vec(value).map_err(|e| AppError::Vault(e.to_string()))?);
        Ok(self.keys.sealer.seal(context, &json))
    }

    pub(crate) fn open_json<T: for<'de> Deserialize<'de>>(&self, context: &str, sealed: &[u8]) -> Result<T, AppError> {
        self.keys.sealer.open_json(context, sealed)
    }

    pub(crate) fn person_snapshot(&self, input: &PersonInput) -> Result<Vec<u8>, AppError> {
        let i = &input.identity;
        let fields = BTreeMap::from([
            ("given_name", i.given_name.clone()),
            ("family_name", i.family_name.clone()),
            ("patronymic", i.patronymic.clone()),
            ("variants", i.variants.join("; ")),
            ("birth_date", i.birth_date.clone()),
            ("contacts", i.contacts.clone()),
            ("notes", i.notes.clone()),
            ("region", input.region.clone().unwrap_or_default()),
            ("confidentiality", input.confidentiality.as_str().to_owned()),
            ("consent_to_publish", input.consent_to_publish.to_string()),
        ]);
        self.seal_json(SEAL_VERSION, &fields)
    }

    pub(crate) fn event_snapshot(&self, input: &EventInput) -> Result<Vec<u8>, AppError> {
        let d = &input.details;
        let persons: Vec<String> = input.persons.iter().map(|(id, role)| format!("{id}:{role}")).collect();
        let fields = BTreeMap::from([
            ("kind", input.kind.as_str().to_owned()),
            ("date", input.date.map(|d| d.to_string()).unwrap_or_default()),
            ("region", input.region.clone().unwrap_or_default()),
            (
                "arrest_days",
                input.arrest_days.map(|n| n.to_string()).unwrap_or_default(),
            ),
            (
                "term_months",
                input.term_months.map(|n| n.to_string()).unwrap_or_default(),
            ),
            ("district", d.district.clone()),
            ("settlement", d.settlement.clone()),
            ("facility", d.facility.clone()),
            ("description", d.description.clone()),
            ("confidentiality", input.confidentiality.as_str().to_owned()),
            (
                "articles",
                input
                    .articles
                    .iter()
                    .map(Article::as_str)
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
            ("persons", persons.join("; ")),
        ]);
        self.seal_json(SEAL_VERSION, &fields)
    }

    pub(crate) fn change(
        actor: &Actor,
        op: RegistryOp,
        audit: Option<&'static str>,
        snapshot: Option<Vec<u8>>,
    ) -> Change {
        Change {
            op,
            actor: actor.audit_name(),
            audit,
            snapshot_sealed: snapshot,
        }
    }

    /// Applies one change; returns the id it created or affected.
    pub(crate) async fn apply_single(&self, change: Change) -> Result<i64, AppError> {
        let ids = self.apply_changes(std::slice::from_ref(&change)).await?;
        ids.first()
            .copied()
            .ok_or_else(|| AppError::Store(razam_store::StoreError::Damaged("a change returned no id".into())))
    }

    /// The persons an event names, each checked to exist and to be readable by `actor`.
    async fn event_persons(&self, actor: &Actor, input: &EventInput) -> Result<Vec<(Target, &'static str)>, AppError> {
        let ids: Vec<i64> = input.persons.iter().map(|(id, _)| *id).collect();
        let found = self.store.person_cards(&ids).await?;
        let mut persons = Vec::with_capacity(input.persons.len());
        for (id, role) in &input.persons {
            let p = found
                .iter()
                .find(|p| p.id == *id)
                .ok_or(AppError::NotFound("the person"))?;
            self.may_read(actor, &p.confidentiality)?;
            // Out of sight is the same as not there.
            self.in_sight(actor, p.compartment)
                .map_err(|_| AppError::NotFound("the person"))?;
            persons.push((Target::Existing(*id), role.as_str()));
        }
        Ok(persons)
    }

    pub async fn create_person(&self, actor: &Actor, input: &PersonInput) -> Result<i64, AppError> {
        self.create_person_in(actor, input, None).await
    }

    /// Creates a person in `compartment` (one `actor` is a member of), in one transaction.
    pub async fn create_person_in(
        &self,
        actor: &Actor,
        input: &PersonInput,
        compartment: Option<i64>,
    ) -> Result<i64, AppError> {
        self.require(actor, Permission::WriteRegistry)?;
        let compartment = self.compartment_for_write(actor, compartment).await?;
        let op = RegistryOp::CreatePerson(self.person_write(input)?);
        let mut changes = vec![Self::change(
            actor,
            op,
            Some("person.create"),
            Some(self.person_snapshot(input)?),
        )];
        if compartment.is_some() {
            changes.push(Self::compartment_change(
                actor,
                RecordKind::Person,
                Target::New(0),
                compartment,
            ));
        }
        self.first_id(self.apply_changes(&changes).await?)
    }

    fn first_id(&self, ids: Vec<i64>) -> Result<i64, AppError> {
        ids.first()
            .copied()
            .ok_or_else(|| AppError::Store(razam_store::StoreError::Damaged("a change returned no id".into())))
    }

    /// Refused with a conflict when someone saved a newer version since `expected_version`.
    /// The person stays in its compartment.
    pub async fn update_person(
        &self,
        actor: &Actor,
        id: i64,
        expected_version: i64,
        input: &PersonInput,
    ) -> Result<(), AppError> {
        self.update_person_in(actor, id, expected_version, input, None).await
    }

    /// [`App::update_person`], moving the person into compartment `to` (`Some(None)`: out of
    /// any) in the same transaction, audited as `person.compartment`.
    pub async fn update_person_in(
        &self,
        actor: &Actor,
        id: i64,
        expected_version: i64,
        input: &PersonInput,
        to: Option<Option<i64>>,
    ) -> Result<(), AppError> {
        self.require(actor, Permission::WriteRegistry)?;
        let existing = self.store.person(id).await?.ok_or(AppError::NotFound("the person"))?;
        self.may_read(actor, &existing.confidentiality)?;
        self.in_sight(actor, existing.compartment)?;
        let op = RegistryOp::UpdatePerson {
            id: Target::Existing(id),
            expected_version: Some(expected_version),
            person: self.person_write(input)?,
        };
        let mut changes = vec![Self::change(
            actor,
            op,
            Some("person.update"),
            Some(self.person_snapshot(input)?),
        )];
        self.push_move(actor, &mut changes, RecordKind::Person, id, existing.compartment, to)
            .await?;
        self.apply_changes(&changes).await.map(drop)
    }

    /// Adds the move of record `id` from compartment `from` to `to`, if it is one.
    async fn push_move(
        &self,
        actor: &Actor,
        changes: &mut Vec<Change>,
        kind: RecordKind,
        id: i64,
        from: Option<i64>,
        to: Option<Option<i64>>,
    ) -> Result<(), AppError> {
        if let Some(to) = to {
            let to = self.compartment_for_write(actor, to).await?;
            if to != from {
                changes.push(Self::compartment_change(actor, kind, Target::Existing(id), to));
            }
        }
        Ok(())
    }

    pub async fn create_event(&self, actor: &Actor, input: &EventInput) -> Result<i64, AppError> {
        self.create_event_in(actor, input, None).await
    }

    /// Creates an event in `compartment` (one `actor` is a member of), in one transaction.
    pub async fn create_event_in(
        &self,
        actor: &Actor,
        input: &EventInput,
        compartment: Option<i64>,
    ) -> Result<i64, AppError> {
        Ok(self.create_event_once(actor, input, compartment, None).await?.id)
    }

    /// [`App::create_event_in`] under an idempotency key (a form's, a client's): an event sent
    /// again with the same key is not created a second time, and the first one's id is
    /// returned (`new: false`). The key's keyed hash is the event's import digest, unique in
    /// the store, so two sends at once create one event as well.
    pub async fn create_event_once(
        &self,
        actor: &Actor,
        input: &EventInput,
        compartment: Option<i64>,
        key: Option<&str>,
    ) -> Result<Created, AppError> {
        self.require(actor, Permission::WriteRegistry)?;
        let Some(key) = key else {
            let id = self.create_event_with_digest(actor, input, compartment, None).await?;
            return Ok(Created { id, new: true });
        };
        let digest = self.idempotency_digest("event", key)?;
        if let Some(id) = self.store.event_by_digest(&digest).await? {
            return Ok(Created { id, new: false });
        }
        match self
            .create_event_with_digest(actor, input, compartment, Some(digest))
            .await
        {
            Ok(id) => Ok(Created { id, new: true }),
            // The other send of the same key won the race: its event is the answer.
            Err(e) => match self.store.event_by_digest(&digest).await? {
                Some(id) => Ok(Created { id, new: false }),
                None => Err(e),
            },
        }
    }

    async fn create_event_with_digest(
        &self,
        actor: &Actor,
        input: &EventInput,
        compartment: Option<i64>,
        digest: Option<[u8; 32]>,
    ) -> Result<i64, AppError> {
        let compartment = self.compartment_for_write(actor, compartment).await?;
        let persons = self.event_persons(actor, input).await?;
        let mut write = self.event_write(input, persons)?;
        write.import_digest = digest;
        let op = RegistryOp::CreateEvent(write);
        let mut changes = vec![Self::change(
            actor,
            op,
            Some("event.create"),
            Some(self.event_snapshot(input)?),
        )];
        if compartment.is_some() {
            changes.push(Self::compartment_change(
                actor,
                RecordKind::Event,
                Target::New(0),
                compartment,
            ));
        }
        self.first_id(self.apply_changes(&changes).await?)
    }

    pub async fn update_event(
        &self,
        actor: &Actor,
        id: i64,
        expected_version: i64,
        input: &EventInput,
    ) -> Result<(), AppError> {
        self.update_event_in(actor, id, expected_version, input, None).await
    }

    /// [`App::update_event`], moving the event into compartment `to` (`Some(None)`: out of
    /// any) in the same transaction, audited as `event.compartment`.
    pub async fn update_event_in(
        &self,
        actor: &Actor,
        id: i64,
        expected_version: i64,
        input: &EventInput,
        to: Option<Option<i64>>,
    ) -> Result<(), AppError> {
        self.require(actor, Permission::WriteRegistry)?;
        let existing = self.store.event(id).await?.ok_or(AppError::NotFound("the event"))?;
        self.may_read(actor, &existing.confidentiality)?;
        self.in_sight(actor, existing.compartment)?;
        let mut persons = self.event_persons(actor, input).await?;
        // The persons the event names that are out of the editor's sight were never shown to
        // them (an event page leaves them out), so an edit keeps them as they are.
        let scope = self.scope(actor);
        let mut input = input.clone();
        for (person, _, role) in &existing.persons {
            let unseen = existing
                .person_compartments
                .iter()
                .any(|(p, c)| p == person && !scope.sees(Some(*c)));
            if unseen {
                let role = PersonRole::parse(role).unwrap_or(PersonRole::Victim);
                persons.push((Target::Existing(*person), role.as_str()));
                input.persons.push((*person, role));
            }
        }
        let op = RegistryOp::UpdateEvent {
            id: Target::Existing(id),
            expected_version: Some(expected_version),
            event: self.event_write(&input, persons)?,
        };
        let mut changes = vec![Self::change(
            actor,
            op,
            Some("event.update"),
            Some(self.event_snapshot(&input)?),
        )];
        self.push_move(actor, &mut changes, RecordKind::Event, id, existing.compartment, to)
            .await?;
        self.apply_changes(&changes).await.map(drop)
    }

    /// Recognises a person as a political prisoner on `on` (or changes the date), and marks
    /// them held from that day unless their status history already says otherwise.
    pub async fn recognise(
        &self,
        actor: &Actor,
        person: i64,
        on: Day,
        criteria: &str,
        reasoning: &str,
    ) -> Result<(), AppError> {
        self.require(actor, Permission::Recognise)?;
        let p = self
            .store
            .person(person)
            .await?
            .ok_or(AppError::NotFound("the person"))?;
        self.may_read(actor, &p.confidentiality)?;
        self.in_sight(actor, p.compartment)?;
        let mut changes = vec![Self::change(
            actor,
            self.recognise_op(Target::Existing(person), on, criteria, reasoning, actor.audit_name())?,
            Some("person.recognise"),
            None,
        )];
        if self.store.statuses_of(person).await?.is_empty() {
            changes.push(Self::change(
                actor,
                RegistryOp::AddStatus {
                    person: Target::Existing(person),
                    status: PrisonerStatus::Held.as_str(),
                    on_date: on.to_string(),
                },
                None,
                None,
            ));
        }
        self.apply_changes(&changes).await?;
        Ok(())
    }

    /// The change that recognises `person` on `on`, its criteria and reasoning sealed.
    pub(crate) fn recognise_op(
        &self,
        person: Target,
        on: Day,
        criteria: &str,
        reasoning: &str,
        reviewer: String,
    ) -> Result<RegistryOp, AppError> {
        let decision = Decision {
            criteria: criteria.trim().to_owned(),
            reasoning: reasoning.trim().to_owned(),
        };
        Ok(RegistryOp::Recognise {
            person,
            recognized_on: on.to_string(),
            decision_sealed: self.seal_json(SEAL_DECISION, &decision)?,
            reviewer,
        })
    }

    /// Records that a person is held, released, pardoned or has died, from `on`.
    pub async fn add_status(
        &self,
        actor: &Actor,
        person: i64,
        status: PrisonerStatus,
        on: Day,
    ) -> Result<(), AppError> {
        self.require(actor, Permission::Recognise)?;
        let p = self
            .store
            .person(person)
            .await?
            .ok_or(AppError::NotFound("the person"))?;
        self.may_read(actor, &p.confidentiality)?;
        self.in_sight(actor, p.compartment)?;
        let op = RegistryOp::AddStatus {
            person: Target::Existing(person),
            status: status.as_str(),
            on_date: on.to_string(),
        };
        self.apply_single(Self::change(actor, op, Some("person.status"), None))
            .await?;
        Ok(())
    }

    /// A person's status history, oldest first.
    pub(crate) async fn statuses(&self, person: i64) -> Result<Vec<(PrisonerStatus, String)>, AppError> {
        Ok(status_views(self.store.statuses_of(person).await?))
    }

    pub(crate) fn person_view(&self, row: &PersonRow) -> Result<PersonView, AppError> {
        Ok(PersonView {
            id: row.id,
            label: row.label.clone(),
            identity: self.open_json(SEAL_IDENTITY, &row.identity_sealed)?,
            region: row.region.clone(),
            confidentiality: level(&row.confidentiality)?,
            consent_to_publish: row.consent_to_publish,
            version: row.version,
            recognized_on: row.recognized_on.clone(),
            status: row
                .status
                .as_ref()
                .and_then(|(s, d)| PrisonerStatus::parse(s).map(|s| (s, d.clone()))),
            merged_into: row.merged_into,
            erased_on: row.erased_on.clone(),
            compartment: row.compartment,
        })
    }

    pub(crate) fn person_card(&self, row: &PersonCardRow) -> Result<PersonCard, AppError> {
        Ok(PersonCard {
            id: row.id,
            label: row.label.clone(),
            identity: self.open_json(SEAL_IDENTITY, &row.identity_sealed)?,
            region: row.region.clone(),
            confidentiality: level(&row.confidentiality)?,
            consent_to_publish: row.consent_to_publish,
            version: row.version,
            merged_into: row.merged_into,
            erased_on: row.erased_on.clone(),
            compartment: row.compartment,
        })
    }

    pub(crate) fn event_view(&self, row: &EventRow) -> Result<EventView, AppError> {
        Ok(EventView {
            id: row.id,
            kind: EventKind::parse(&row.kind)
                .ok_or_else(|| AppError::Vault(format!("unknown event kind {}", row.kind)))?,
            date: row
                .date
                .as_ref()
                .map(|d| FuzzyDate::from_parts(&d.first, &d.last, d.precision))
                .transpose()
                .map_err(|e| AppError::Vault(e.to_string()))?,
            region: row.region.clone(),
            arrest_days: row.arrest_days,
            term_months: row.term_months,
            details: self.open_json(SEAL_DETAILS, &row.details_sealed)?,
            confidentiality: level(&row.confidentiality)?,
            version: row.version,
            articles: row.articles.clone(),
            persons: row.persons.clone(),
            person_compartments: row.person_compartments.clone(),
            compartment: row.compartment,
        })
    }

    /// The person page. Reading a person's identity is recorded in the audit log.
    pub async fn person_page(&self, actor: &Actor, id: i64) -> Result<PersonPage, AppError> {
        self.person_page_checked(actor, id, Checked::default()).await
    }

    /// [`App::person_page`], with the row its route's check read, if it did.
    pub async fn person_page_checked(&self, actor: &Actor, id: i64, checked: Checked) -> Result<PersonPage, AppError> {
        let row = match checked.person(id) {
            Some(row) => row,
            None => self.store.person(id).await?.ok_or(AppError::NotFound("the person"))?,
        };
        self.may_read(actor, &row.confidentiality)?;
        self.in_sight(actor, row.compartment)?;
        let levels = self.readable_levels(actor)?;
        let scope = self.scope(actor);
        let ((events, recognition, statuses), standing) = self.records_of(actor, id, &levels).await?;
        let mut merged_from = Vec::new();
        for merge in standing.merged_in {
            let Some(member) = self.store.person(merge.merged_id).await? else {
                continue;
            };
            if !levels.contains(&member.confidentiality.as_str()) || !scope.sees(member.compartment) {
                continue;
            }
            let ((events, recognition, statuses), _) = self.records_of(actor, member.id, &levels).await?;
            merged_from.push(MergedRecord {
                merge_id: merge.id,
                person: self.person_view(&member)?,
                events,
                recognition,
                statuses,
                merged_by: self.actor_name(&merge.merged_by).await?,
                merged_at_ms: merge.merged_at_ms,
            });
        }
        self.audit_read(self.event(
            actor,
            "person.read",
            razam_store::AuditObject::Named(format!("person:{id}")),
        ))
        .await?;
        Ok(PersonPage {
            merged_into: row.merged_into,
            person: self.person_view(&row)?,
            events,
            recognition,
            statuses,
            merged_from,
            distinct_from: standing.distinct_from,
        })
    }

    /// A person's own events (of the levels given, in `actor`'s sight), recognition and
    /// statuses, and the rest of their [`Standing`] as read (the merges into them, the persons
    /// said to be someone else).
    async fn records_of(
        &self,
        actor: &Actor,
        id: i64,
        levels: &[&'static str],
    ) -> Result<(OwnRecords, Standing), AppError> {
        let scope = self.scope(actor);
        let mut events = Vec::new();
        for (event, role) in self.store.events_of_person(id).await? {
            if levels.contains(&event.confidentiality.as_str()) && scope.sees(event.compartment) {
                let role = PersonRole::parse(&role).unwrap_or(PersonRole::Victim);
                events.push((self.event_view(&event)?, role));
            }
        }
        for (event, _) in &mut events {
            hide_unseen_persons(&scope, event);
        }
        let mut standing = self.store.standing_of(id).await?;
        let statuses = std::mem::take(&mut standing.statuses);
        let recognition = match standing.recognition.take() {
            Some(r) => {
                let decision: Decision = self.open_json(SEAL_DECISION, &r.decision_sealed)?;
                Some(RecognitionView {
                    recognized_on: r.recognized_on,
                    criteria: decision.criteria,
                    reasoning: decision.reasoning,
                    reviewer: r.reviewer,
                })
            }
            None => None,
        };
        Ok(((events, recognition, status_views(statuses)), standing))
    }

    pub async fn event_page(&self, actor: &Actor, id: i64) -> Result<EventView, AppError> {
        self.event_page_checked(actor, id, Checked::default()).await
    }

    /// [`App::event_page`], with the row its route's check read, if it did.
    pub async fn event_page_checked(&self, actor: &Actor, id: i64, checked: Checked) -> Result<EventView, AppError> {
        let row = match checked.event(id) {
            Some(row) => row,
            None => self.store.event(id).await?.ok_or(AppError::NotFound("the event"))?,
        };
        self.may_read(actor, &row.confidentiality)?;
        self.in_sight(actor, row.compartment)?;
        let mut view = self.event_view(&row)?;
        hide_unseen_persons(&self.scope(actor), &mut view);
        self.audit_restricted_reads(actor, "event", restricted_ids([(view.id, view.confidentiality)]))
            .await?;
        Ok(view)
    }

    /// Records that `actor` was shown the restricted records `ids` (of `kind`), ids only, in
    /// one read entry before they are returned; nothing when none is restricted. Person pages
    /// audit every read of theirs (`person.read`) and searches theirs (`registry.search`);
    /// this covers the lists, event pages, histories and duplicate candidates, so that every
    /// read of a restricted record leaves a trace (SECURITY.md, threat 4).
    pub(crate) async fn audit_restricted_reads(
        &self,
        actor: &Actor,
        kind: &str,
        ids: Vec<i64>,
    ) -> Result<(), AppError> {
        if ids.is_empty() {
            return Ok(());
        }
        self.audit_read(self.event(
            actor,
            RESTRICTED_READ,
            razam_store::AuditObject::Named(format!("{kind}:{}", id_list(&ids))),
        ))
        .await
    }

    /// A page of persons, newest first; `before` is the last id of the previous page.
    pub async fn list_persons(
        &self,
        actor: &Actor,
        mut filter: PersonFilter,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<PersonView>, AppError> {
        filter.levels = self.readable_levels(actor)?;
        filter.compartments = self.scope(actor);
        let rows = self.store.list_persons(&filter, before, limit.clamp(1, 500)).await?;
        let views = rows
            .iter()
            .map(|r| self.person_view(r))
            .collect::<Result<Vec<_>, _>>()?;
        self.audit_restricted_reads(
            actor,
            "person",
            restricted_ids(views.iter().map(|v| (v.id, v.confidentiality))),
        )
        .await?;
        Ok(views)
    }

    pub async fn list_events(
        &self,
        actor: &Actor,
        mut filter: EventFilter,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<EventView>, AppError> {
        filter.levels = self.readable_levels(actor)?;
        filter.compartments = self.scope(actor);
        let rows = self.store.list_events(&filter, before, limit.clamp(1, 500)).await?;
        let mut views = rows.iter().map(|r| self.event_view(r)).collect::<Result<Vec<_>, _>>()?;
        for view in &mut views {
            hide_unseen_persons(&filter.compartments, view);
        }
        self.audit_restricted_reads(
            actor,
            "event",
            restricted_ids(views.iter().map(|v| (v.id, v.confidentiality))),
        )
        .await?;
        Ok(views)
    }

    /// A record's versions, each with what it changed against the one before.
    pub async fn history(&self, actor: &Actor, kind: &str, id: i64) -> Result<Vec<VersionView>, AppError> {
        let (level, compartment) = match kind {
            "person" => self.store.person(id).await?.map(|p| (p.confidentiality, p.compartment)),
            "event" => self.store.event(id).await?.map(|e| (e.confidentiality, e.compartment)),
            _ => None,
        }
        .ok_or(AppError::NotFound("the record"))?;
        self.may_read(actor, &level)?;
        self.in_sight(actor, compartment)?;
        if level == Confidentiality::Restricted.as_str() {
            self.audit_restricted_reads(actor, kind, vec![id]).await?;
        }
        let mut previous: BTreeMap<String, String> = BTreeMap::new();
        let mut names: BTreeMap<String, String> = BTreeMap::new();
        let mut out = Vec::new();
        let mut snapshots = Vec::new();
        for v in self.store.versions(kind, id).await? {
            let fields: BTreeMap<String, String> = self.open_json(SEAL_VERSION, &v.snapshot_sealed)?;
            snapshots.push((v, fields));
        }
        // An event's versions name its persons (`id:role; …`): those in a compartment out of
        // the reader's sight are left out, as the event's page leaves them out.
        let named: Vec<i64> = snapshots
            .iter()
            .filter_map(|(_, f)| f.get("persons"))
            .flat_map(|p| p.split("; ").filter_map(|e| e.split_once(':')?.0.parse().ok()))
            .collect();
        let unseen = self.unseen_persons(&self.scope(actor), &named).await?;
        for (v, mut fields) in snapshots {
            if !unseen.is_empty()
                && let Some(persons) = fields.get_mut("persons")
            {
                *persons = persons
                    .split("; ")
                    .filter(|e| {
                        let id = e.split_once(':').and_then(|(id, _)| id.parse::<i64>().ok());
                        !id.is_some_and(|id| unseen.contains(&id))
                    })
                    .collect::<Vec<_>>()
                    .join("; ");
            }
            let mut changes = Vec::new();
            for (field, value) in &fields {
                let before = previous.get(field).cloned().unwrap_or_default();
                if &before != value {
                    changes.push((field.clone(), before, value.clone()));
                }
            }
            let actor = match names.get(&v.actor) {
                Some(name) => name.clone(),
                None => {
                    let name = self.actor_name(&v.actor).await?;
                    names.insert(v.actor.clone(), name.clone());
                    name
                }
            };
            out.push(VersionView {
                version: v.version,
                at_ms: v.at_ms,
                actor,
                changes,
            });
            previous = fields;
        }
        Ok(out)
    }
}

impl App {
    /// Who made a change, as colleagues know them: an account's display name, else the
    /// audit name (`cli`, `anonymous`, or an account that no longer exists).
    pub(crate) async fn actor_name(&self, audit_name: &str) -> Result<String, AppError> {
        let Some(id) = audit_name.strip_prefix("account:").and_then(|n| n.parse().ok()) else {
            return Ok(audit_name.to_owned());
        };
        match self.store.account_by_id(id).await? {
            Some(row) => Ok(self.unseal_account(&row)?.display_name),
            None => Ok(audit_name.to_owned()),
        }
    }
}

/// Stored statuses as pages show them, oldest first (an unknown status is left out).
fn status_views(rows: Vec<razam_store::registry::StatusRow>) -> Vec<(PrisonerStatus, String)> {
    rows.into_iter()
        .filter_map(|s| PrisonerStatus::parse(&s.status).map(|st| (st, s.on_date)))
        .collect()
}

/// The audit action of a read of restricted records shown in a list, an event page, a history
/// or the duplicate candidates. It is a read: the public figures' change mark passes over it.
pub const RESTRICTED_READ: &str = "restricted.read";

/// The ids of the restricted records among those shown.
pub(crate) fn restricted_ids(records: impl IntoIterator<Item = (i64, Confidentiality)>) -> Vec<i64> {
    records
        .into_iter()
        .filter(|(_, level)| *level == Confidentiality::Restricted)
        .map(|(id, _)| id)
        .collect()
}

/// Ids as an audit entry names them: `3,17,42`.
pub(crate) fn id_list(ids: &[i64]) -> String {
    ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",")
}

pub(crate) fn date_parts(d: FuzzyDate) -> DateParts {
    DateParts {
        first: d.first.to_string(),
        last: d.last.to_string(),
        precision: d.precision.as_str(),
    }
}

pub(crate) fn level(s: &str) -> Result<Confidentiality, AppError> {
    Confidentiality::parse(s).ok_or_else(|| AppError::Vault(format!("unknown confidentiality level {s}")))
}

/// A region as stored: its code when recognised, else the text as written (trimmed).
pub fn normalise_region(text: &str) -> Option<String> {
    let t = text.trim();
    if t.is_empty() {
        return None;
    }
    Some(Region::recognise(t).map_or_else(|| t.to_owned(), |r| r.as_str().to_owned()))
}
