//! The registry's storage: persons, events, recognition, status, intake, versions.
//!
//! The SQL here is written once for both databases (`$N` placeholders, types both know) and
//! compiled into each store by [`impl_registry_store!`]. A write is a batch of [`Change`]s
//! applied in one transaction, each with its audit entry and, for records, its sealed version
//! snapshot: an import of 100,000 rows and a single form submission take the same path.

use crate::StoreError;
use crate::compartments::{CompartmentId, Scope};

pub type PersonId = i64;
pub type EventId = i64;
pub type IntakeId = i64;
pub type MergeId = i64;

/// The record a change is about: one that exists, or one an earlier change of the same batch
/// creates (by its index in the batch).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Existing(i64),
    New(usize),
}

/// A person's stored fields; the identity is sealed by the caller.
#[derive(Debug, Clone)]
pub struct PersonWrite {
    pub identity_sealed: Vec<u8>,
    pub ref_lookup: Option<[u8; 32]>,
    pub region: Option<String>,
    pub confidentiality: &'static str,
    pub consent_to_publish: bool,
    /// Keyed hash of the imported row this person was last written from.
    pub import_digest: Option<[u8; 32]>,
}

/// An imprecise date as stored: first day, last day (ISO 8601), precision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DateParts {
    pub first: String,
    pub last: String,
    pub precision: &'static str,
}

/// An event's stored fields; the details are sealed by the caller.
#[derive(Debug, Clone)]
pub struct EventWrite {
    pub kind: &'static str,
    pub date: Option<DateParts>,
    pub region: Option<String>,
    pub arrest_days: Option<i64>,
    pub term_months: Option<i64>,
    pub details_sealed: Vec<u8>,
    pub confidentiality: &'static str,
    /// (article as written, its base)
    pub articles: Vec<(String, String)>,
    /// (person, role)
    pub persons: Vec<(Target, &'static str)>,
    /// Keyed hash of the imported row the event was created from (events imports), or of the
    /// idempotency key of the form or request that created it, so that the same row or form
    /// sent again is recognised. Kept as it is by an update.
    pub import_digest: Option<[u8; 32]>,
}

/// One change to the registry.
#[derive(Debug, Clone)]
pub enum RegistryOp {
    CreatePerson(PersonWrite),
    /// Refused with a conflict when `expected_version` is given and is not the stored one.
    /// A `None` list reference or import digest keeps the stored one.
    UpdatePerson {
        id: Target,
        expected_version: Option<i64>,
        person: PersonWrite,
    },
    CreateEvent(EventWrite),
    UpdateEvent {
        id: Target,
        expected_version: Option<i64>,
        event: EventWrite,
    },
    /// Records or replaces a person's recognition as a political prisoner.
    Recognise {
        person: Target,
        recognized_on: String,
        decision_sealed: Vec<u8>,
        reviewer: String,
    },
    AddStatus {
        person: Target,
        status: &'static str,
        on_date: String,
    },
    /// Records a source (its title, reference and notes sealed by the caller) and links it to
    /// an event. Returns the source's id.
    AddSource {
        event: Target,
        kind: &'static str,
        sealed: Vec<u8>,
        confidentiality: &'static str,
    },
    CreateIntake {
        report_sealed: Vec<u8>,
    },
    /// Marks a report accepted, merged or rejected; `person` is the record it led to.
    DecideIntake {
        id: IntakeId,
        state: &'static str,
        person: Option<Target>,
    },
    /// Merges person `merged` into `survivor`: points it at the survivor and records the
    /// merge; nothing of either person is deleted or rewritten. Refused with a conflict when
    /// either version is not the stored one, when either person is merged already, or when
    /// persons are merged into `merged` (merge into it instead). Returns the merge's id.
    MergePersons {
        survivor: PersonId,
        merged: PersonId,
        survivor_version: i64,
        merged_version: i64,
    },
    /// Undoes merge `merge`: the merged person stands alone again, exactly as before; the
    /// merge row stays, stamped undone. Refused with a conflict when it is undone already.
    UndoMerge {
        merge: MergeId,
    },
    /// Records that two persons are not the same person, so they are not proposed again.
    /// Returns the lower id.
    MarkDistinct {
        a: PersonId,
        b: PersonId,
    },
    /// Puts a person or an event (`kind`) into a compartment, or into none. Returns the
    /// record's id; the audit entry names the record (the compartment is in the caller's
    /// action, never content).
    SetCompartment {
        kind: &'static str,
        record: Target,
        compartment: Option<CompartmentId>,
    },
}

/// A change, who makes it, the audit action it is recorded under (`None` when an earlier
/// change of the same batch already records it, e.g. the parts of one imported row), and,
/// for persons and events, the sealed snapshot of the record after it, for its history.
/// The audit entry names the object the change returns: `person:<id>`, `event:<id>` or
/// `intake:<id>`.
#[derive(Debug, Clone)]
pub struct Change {
    pub op: RegistryOp,
    pub actor: String,
    pub audit: Option<&'static str>,
    pub snapshot_sealed: Option<Vec<u8>>,
}

impl RegistryOp {
    /// The kind of record the change is about.
    pub fn kind(&self) -> &'static str {
        match self {
            RegistryOp::CreatePerson(_)
            | RegistryOp::UpdatePerson { .. }
            | RegistryOp::Recognise { .. }
            | RegistryOp::AddStatus { .. } => "person",
            RegistryOp::CreateEvent(_) | RegistryOp::UpdateEvent { .. } => "event",
            RegistryOp::AddSource { .. } => "source",
            RegistryOp::CreateIntake { .. } | RegistryOp::DecideIntake { .. } => "intake",
            RegistryOp::MergePersons { .. } | RegistryOp::UndoMerge { .. } => "merge",
            RegistryOp::MarkDistinct { .. } => "person",
            RegistryOp::SetCompartment { kind, .. } => kind,
        }
    }

    /// What the audit entry names: `<kind>:<id>` of the record the change returns, except
    /// that a "not the same person" names both persons.
    pub fn audit_object(&self, id: i64) -> String {
        match self {
            RegistryOp::MarkDistinct { a, b } => format!("person:{}+person:{}", a.min(b), a.max(b)),
            op => format!("{}:{id}", op.kind()),
        }
    }
}

/// One person's own standing and links ([`RegistryStore::standing_of`]).
#[derive(Debug, Clone, Default)]
pub struct Standing {
    /// The person's own recognition (not their group's), if any.
    pub recognition: Option<RecognitionRow>,
    /// The person's own status entries, oldest first.
    pub statuses: Vec<StatusRow>,
    /// The merges of other persons into this one that are not undone, oldest first.
    pub merged_in: Vec<MergeRow>,
    /// The persons recorded as "not the same person" as this one, in ascending order.
    pub distinct_from: Vec<PersonId>,
}

/// A merge of one person into another, as recorded; undone when `undone_at_ms` is set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MergeRow {
    pub id: MergeId,
    pub survivor_id: PersonId,
    pub merged_id: PersonId,
    pub merged_by: String,
    pub merged_at_ms: i64,
    pub undone_by: Option<String>,
    pub undone_at_ms: Option<i64>,
}

/// A person's own columns, without what is read of their group (recognition, status): what a
/// cell naming the person shows, and what deciding whether a reader may see them needs.
#[derive(Debug, Clone)]
pub struct PersonCardRow {
    pub id: PersonId,
    pub label: String,
    pub identity_sealed: Vec<u8>,
    pub region: Option<String>,
    pub confidentiality: String,
    pub consent_to_publish: bool,
    pub version: i64,
    pub merged_into: Option<PersonId>,
    pub erased_on: Option<String>,
    pub compartment: Option<CompartmentId>,
}

#[derive(Debug, Clone)]
pub struct PersonRow {
    pub id: PersonId,
    pub label: String,
    pub identity_sealed: Vec<u8>,
    pub region: Option<String>,
    pub confidentiality: String,
    pub consent_to_publish: bool,
    pub version: i64,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
    /// The earliest recognition of the person and of the persons merged into them.
    pub recognized_on: Option<String>,
    /// The latest status entry (by day; an ending status wins the same day) of the person and
    /// of the persons merged into them, if any.
    pub status: Option<(String, String)>,
    /// The person this one is merged into, if it is.
    pub merged_into: Option<PersonId>,
    /// The day (YYYY-MM-DD) the person was erased, if they were: nothing of them is left
    /// but the id ([`crate::erasure`]).
    pub erased_on: Option<String>,
    /// The compartment the person is in, if any: only its members see the person.
    pub compartment: Option<CompartmentId>,
}

#[derive(Debug, Clone)]
pub struct EventRow {
    pub id: EventId,
    pub kind: String,
    pub date: Option<DateParts>,
    pub region: Option<String>,
    pub arrest_days: Option<i64>,
    pub term_months: Option<i64>,
    pub details_sealed: Vec<u8>,
    pub confidentiality: String,
    pub version: i64,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
    pub articles: Vec<String>,
    /// (person id, label, role)
    pub persons: Vec<(PersonId, String, String)>,
    /// Those of `persons` that are in a compartment, with it: read with them, so that hiding
    /// the persons out of a reader's sight needs no other read.
    pub person_compartments: Vec<(PersonId, CompartmentId)>,
    /// The compartment the event is in, if any: only its members see the event.
    pub compartment: Option<CompartmentId>,
}

#[derive(Debug, Clone)]
pub struct RecognitionRow {
    pub person_id: PersonId,
    pub recognized_on: String,
    pub decision_sealed: Vec<u8>,
    pub reviewer: String,
    pub decided_at_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusRow {
    pub person_id: PersonId,
    pub status: String,
    pub on_date: String,
}

#[derive(Debug, Clone)]
pub struct VersionRow {
    pub version: i64,
    pub at_ms: i64,
    pub actor: String,
    pub snapshot_sealed: Vec<u8>,
}

/// A source linked to an event; its title, reference and notes are sealed.
#[derive(Debug, Clone)]
pub struct SourceRow {
    pub id: i64,
    pub kind: String,
    pub sealed: Vec<u8>,
    pub confidentiality: String,
    pub created_at_ms: i64,
}

#[derive(Debug, Clone)]
pub struct IntakeRow {
    pub id: IntakeId,
    pub received_at_ms: i64,
    pub report_sealed: Vec<u8>,
    pub state: String,
    pub decided_by: Option<String>,
    pub decided_at_ms: Option<i64>,
    pub person_id: Option<PersonId>,
}

#[derive(Debug, Clone)]
pub struct ImportedRef {
    pub ref_lookup: [u8; 32],
    pub person: PersonId,
    pub import_digest: Option<[u8; 32]>,
}

/// A person as the in-memory search index reads it at unlock: no more than it needs.
#[derive(Debug, Clone)]
pub struct PersonScan {
    pub id: PersonId,
    pub identity_sealed: Vec<u8>,
    pub region: Option<String>,
    pub confidentiality: String,
    /// The person this one is merged into, if it is.
    pub merged_into: Option<PersonId>,
    pub compartment: Option<CompartmentId>,
    /// The registry generation that last wrote the person (migration 0019).
    pub changed_in: i64,
    /// Erased: the identity is the erasure's, and the names it had must leave the index.
    pub erased: bool,
}

/// An event as the search index reads it.
#[derive(Debug, Clone)]
pub struct EventScan {
    pub id: EventId,
    pub details_sealed: Vec<u8>,
    pub confidentiality: String,
    pub compartment: Option<CompartmentId>,
    pub changed_in: i64,
}

/// A source with the event it is linked to, as the search index reads it.
#[derive(Debug, Clone)]
pub struct SourceScan {
    pub id: i64,
    pub event: EventId,
    pub sealed: Vec<u8>,
    pub confidentiality: String,
    pub changed_in: i64,
}

/// Which records a scan for the search index reads, and where it goes on from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScanFrom {
    /// Every record with an id above this one, in id order: a build.
    Id(i64),
    /// Every record changed in a later generation than `changed_in`, or in that one with a
    /// higher id, in that order: a catch-up. [`ScanFrom::changed_since`] starts one.
    Changed { changed_in: i64, id: i64 },
}

impl ScanFrom {
    /// Every record written by a registry transaction after generation `generation`.
    pub fn changed_since(generation: i64) -> ScanFrom {
        ScanFrom::Changed {
            changed_in: generation,
            id: i64::MAX,
        }
    }

    /// The same scan, going on after a record read.
    pub fn after(self, changed_in: i64, id: i64) -> ScanFrom {
        match self {
            ScanFrom::Id(_) => ScanFrom::Id(id),
            ScanFrom::Changed { .. } => ScanFrom::Changed { changed_in, id },
        }
    }

    /// The condition and order of the scan over table alias `t`, with the first placeholder
    /// free for the limit after them, and the values to bind.
    pub(crate) fn clause(self, t: &str, then: &str) -> (String, Vec<i64>) {
        match self {
            ScanFrom::Id(id) => (format!("WHERE {t}.id > $1 ORDER BY {t}.id{then} LIMIT $2"), vec![id]),
            ScanFrom::Changed { changed_in, id } => (
                format!("WHERE ({t}.changed_in, {t}.id) > ($1, $2) ORDER BY {t}.changed_in, {t}.id{then} LIMIT $3"),
                vec![changed_in, id],
            ),
        }
    }
}

/// Where the registry stands: its generation (raised by every transaction that writes it),
/// and the audit chain's last entry, which names the history the registry is of (a database
/// restored from an older dump is at another, whatever its generation).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RegistryPoint {
    pub generation: i64,
    pub audit_seq: i64,
    pub audit_hash: [u8; 32],
}

/// Which persons a list shows. Confidentiality levels are those the reader may see.
#[derive(Debug, Clone, Default)]
pub struct PersonFilter {
    pub region: Option<String>,
    /// `held`, `released` (any ending status), `recognised`, `not_recognised`
    pub status: Option<&'static str>,
    pub levels: Vec<&'static str>,
    /// The compartments whose persons the reader sees (besides those in none).
    pub compartments: Scope,
    /// For `held`/`released`: the day the status is taken on.
    pub as_of: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct EventFilter {
    pub kind: Option<&'static str>,
    pub region: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub levels: Vec<&'static str>,
    /// The compartments whose events the reader sees (besides those in none).
    pub compartments: Scope,
}

/// Figures counted by the database for the public page.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HeldCounts {
    pub held: i64,
    pub recognized_total: i64,
}

/// The held counts and how the held persons divide, on one day.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HeldBreakdown {
    pub counts: HeldCounts,
    /// Per region (`None` = unknown region), largest first, then by region.
    pub by_region: Vec<(Option<String>, i64)>,
    /// Per article base, largest first, then by article.
    pub by_article: Vec<(String, i64)>,
}

#[async_trait::async_trait]
pub trait RegistryStore: Send + Sync {
    /// Applies every change or none; returns the id each change created or affected, and the
    /// registry generation the write raised the clock to (its own: a search index that showed
    /// the one before and is shown these changes shows this one).
    async fn apply(&self, changes: &[Change]) -> Result<(Vec<i64>, i64), StoreError>;
    /// Applies the batches `next` gives, one after another, in one transaction: every change
    /// or none. A batch's `Target::New` refer to changes of that batch. Each batch is dropped
    /// once written, so a long import needs the memory of one batch, not of the whole file.
    /// An error from `next` undoes everything. Returns the number of changes applied and the
    /// registry generation written (as [`RegistryStore::apply`]). `applied` is told each batch
    /// and its ids once written (inside the transaction).
    async fn apply_batches(
        &self,
        next: &mut (dyn FnMut() -> Result<Option<Vec<Change>>, StoreError> + Send),
        applied: &mut (dyn for<'c> FnMut(&'c [Change], &'c [i64]) + Send),
    ) -> Result<(usize, i64), StoreError>;

    async fn person(&self, id: PersonId) -> Result<Option<PersonRow>, StoreError>;
    /// The persons of `ids` that exist, in no particular order.
    async fn persons_by_ids(&self, ids: &[PersonId]) -> Result<Vec<PersonRow>, StoreError>;
    /// The persons of `ids` that exist, their own columns only ([`PersonCardRow`]), in no
    /// particular order: cheaper than [`RegistryStore::persons_by_ids`], which reads each
    /// one's group for its recognition and status.
    async fn person_cards(&self, ids: &[PersonId]) -> Result<Vec<PersonCardRow>, StoreError>;
    /// The persons of `ids` that are in a compartment, each with it, in no particular order:
    /// what leaving the duplicate candidates out of a reader's sight needs, without their rows.
    async fn person_compartments(&self, ids: &[PersonId]) -> Result<Vec<(PersonId, CompartmentId)>, StoreError>;
    /// Every imported person: reference lookup hash, id, digest of the row last imported.
    async fn person_refs(&self) -> Result<Vec<ImportedRef>, StoreError>;
    /// Newest first: persons with `id < before` (all when `None`), at most `limit`.
    async fn list_persons(
        &self,
        filter: &PersonFilter,
        before: Option<PersonId>,
        limit: i64,
    ) -> Result<Vec<PersonRow>, StoreError>;
    async fn count_persons(&self) -> Result<i64, StoreError>;

    async fn event(&self, id: EventId) -> Result<Option<EventRow>, StoreError>;
    /// Which of these import digests an event already carries.
    async fn known_event_digests(&self, digests: &[[u8; 32]]) -> Result<Vec<[u8; 32]>, StoreError>;
    /// The event that carries this import digest (an imported row's, or a form's idempotency
    /// key's), if any.
    async fn event_by_digest(&self, digest: &[u8; 32]) -> Result<Option<EventId>, StoreError>;
    /// A person's events with the person's role in each, oldest first; an event once per role the
    /// person has in it, the roles in the order of their names.
    async fn events_of_person(&self, person: PersonId) -> Result<Vec<(EventRow, String)>, StoreError>;
    /// Newest first by date, then id.
    async fn list_events(
        &self,
        filter: &EventFilter,
        before: Option<EventId>,
        limit: i64,
    ) -> Result<Vec<EventRow>, StoreError>;

    async fn recognition(&self, person: PersonId) -> Result<Option<RecognitionRow>, StoreError>;
    async fn statuses_of(&self, person: PersonId) -> Result<Vec<StatusRow>, StoreError>;
    /// What a person page shows of a person besides their row and events, in one statement:
    /// their own recognition and status history, the merges into them that stand, and the
    /// persons recorded as not the same person ([`Standing`]).
    async fn standing_of(&self, person: PersonId) -> Result<Standing, StoreError>;
    /// Every recognition (person, day) and every status entry: the input of time series.
    async fn prisoner_history(&self) -> Result<(Vec<(PersonId, String)>, Vec<StatusRow>), StoreError>;
    async fn held_counts(&self, as_of: &str) -> Result<HeldCounts, StoreError>;
    /// The held counts of `as_of` and the persons held then per region and per article base of
    /// any criminal case of theirs: one statement that finds the held set once.
    async fn held_breakdown(&self, as_of: &str) -> Result<HeldBreakdown, StoreError>;
    /// Detention events per month (`YYYY-MM`), counting those dated within one month.
    async fn detentions_per_month(&self) -> Result<Vec<(String, i64)>, StoreError>;

    /// The sources linked to an event, oldest first.
    async fn sources_of_event(&self, event: EventId) -> Result<Vec<SourceRow>, StoreError>;
    async fn versions(&self, kind: &str, record: i64) -> Result<Vec<VersionRow>, StoreError>;

    /// A number that moves with every change: the audit chain's last entry that is not a read
    /// (every change appends one). What was computed at one mark holds until the mark moves.
    async fn change_mark(&self) -> Result<i64, StoreError>;

    async fn intake(&self, id: IntakeId) -> Result<Option<IntakeRow>, StoreError>;
    async fn merge(&self, id: MergeId) -> Result<Option<MergeRow>, StoreError>;
    /// Every pair recorded as "not the same person", lower id first.
    async fn distinct_pairs(&self) -> Result<Vec<(PersonId, PersonId)>, StoreError>;
    /// Oldest first: reports in `state`.
    async fn intake_queue(&self, state: &str, limit: i64) -> Result<Vec<IntakeRow>, StoreError>;

    /// For the in-memory search index: the persons `from` names, in its order, at most `limit`.
    async fn scan_persons(&self, from: ScanFrom, limit: i64) -> Result<Vec<PersonScan>, StoreError>;
    /// The events `from` names, in its order, at most `limit`.
    async fn scan_events(&self, from: ScanFrom, limit: i64) -> Result<Vec<EventScan>, StoreError>;
    /// The sources `from` names, each with the event it is linked to, at most `limit`.
    async fn scan_sources(&self, from: ScanFrom, limit: i64) -> Result<Vec<SourceScan>, StoreError>;
    /// How many transactions have written the registry, by any process ([`RAISE_GENERATION`]).
    async fn registry_generation(&self) -> Result<i64, StoreError>;
    /// The generation and the audit chain's last entry, in one statement.
    async fn registry_point(&self) -> Result<RegistryPoint, StoreError>;
    /// The hash of audit entry `seq`, if the chain holds it.
    async fn audit_hash_at(&self, seq: i64) -> Result<Option<[u8; 32]>, StoreError>;
    /// The events of these ids that exist, in no particular order, as a list of results shows
    /// them: one query, without their persons and articles (`persons` and `articles` empty).
    async fn events_for_list(&self, ids: &[EventId]) -> Result<Vec<EventRow>, StoreError>;
    /// The sources of these ids that exist, each with the event it is linked to.
    async fn sources_by_ids(&self, ids: &[i64]) -> Result<Vec<(EventId, SourceRow)>, StoreError>;
}

/// Raises the registry generation by one: the first statement of every transaction that
/// writes the registry (migration 0018; its table is `registry_clock` since 0020). Such
/// transactions already follow one another (SQLite's `BEGIN IMMEDIATE`, PostgreSQL's lock on
/// the audit log taken by `begin`), so it waits for nothing. It returns the new generation, which every record the transaction writes carries
/// as its `changed_in` (migration 0019).
pub(crate) const RAISE_GENERATION: &str = "UPDATE registry_clock SET n = n + 1 WHERE id = 1 RETURNING n";

/// The group a person row `p` belongs to: the person it is merged into, else itself. Written
/// as the expression index `persons_by_group` (migration 0005) says it, so that it is used.
pub(crate) fn group_of(p: &str) -> String {
    format!("COALESCE({p}.merged_into, {p}.id)")
}

/// The start of the status subquery of group `group` on a day, and its end: the latest entry
/// of any of its persons on or before the day, where an ending status wins the same day. The
/// day goes between the two (a `$N` placeholder or a bound value).
pub(crate) fn status_on(group: &str) -> String {
    format!(
        "(SELECT s.status FROM persons m JOIN prisoner_status s ON s.person_id = m.id \
         WHERE {} = {group} AND s.on_date <= ",
        group_of("m")
    )
}

/// The recognitions counted, one per group: the earliest recognition of any of its persons.
pub(crate) fn group_recognitions() -> String {
    format!(
        "(SELECT {g} AS person_id, MIN(rr.recognized_on) AS recognized_on FROM recognitions rr \
         JOIN persons m ON m.id = rr.person_id GROUP BY {g})",
        g = group_of("m")
    )
}
pub(crate) const LATEST_FIRST: &str =
    " ORDER BY s.on_date DESC, CASE WHEN s.status = 'held' THEN 0 ELSE 1 END DESC, s.id DESC LIMIT 1)";

/// The condition "recognised on or before `$1` and held on `$1`", over the group recognitions
/// `r` ([`group_recognitions`]).
pub(crate) fn held_on_param_1() -> String {
    format!(
        "r.recognized_on <= $1 AND {}$1{LATEST_FIRST} = 'held'",
        status_on("r.person_id")
    )
}

/// The person columns of lists and pages, with the recognition and the latest status ever of
/// the person's group (the person and those merged into it).
pub(crate) fn person_columns() -> String {
    let g = group_of("p");
    format!(
        "p.id, p.identity_sealed, p.region, p.confidentiality, p.consent_to_publish, p.version, \
         p.created_at_ms, p.updated_at_ms, p.merged_into, p.erased_on, p.compartment_id, {} AS recognized_on, \
         (SELECT s.status || ' ' || s.on_date FROM persons m JOIN prisoner_status s ON s.person_id = m.id \
         WHERE {} = {g}{LATEST_FIRST} AS status",
        recognized_of(&g),
        group_of("m")
    )
}

/// The earliest recognition of group `group`, a scalar subquery.
pub(crate) fn recognized_of(group: &str) -> String {
    format!(
        "(SELECT MIN(rr.recognized_on) FROM persons m JOIN recognitions rr ON rr.person_id = m.id WHERE {} = {group})",
        group_of("m")
    )
}

pub(crate) const MERGE_COLUMNS: &str = "id, survivor_id, merged_id, merged_by, merged_at_ms, undone_by, undone_at_ms";

pub(crate) const INTAKE_COLUMNS: &str =
    "id, received_at_ms, report_sealed, state, decided_by, decided_at_ms, person_id";

pub(crate) const EVENT_COLUMNS: &str = "e.id, e.kind, e.date_first, e.date_last, e.date_precision, e.region, \
     e.arrest_days, e.term_months, e.details_sealed, e.confidentiality, e.version, e.created_at_ms, e.updated_at_ms, e.compartment_id";

/// The static name of a stored precision.
pub(crate) fn precision_name(s: &str) -> &'static str {
    match s {
        "month" => "month",
        "year" => "year",
        "range" => "range",
        _ => "day",
    }
}

/// Resolves a batch target to an id, given the ids the batch has produced so far.
pub(crate) fn resolve(target: Target, ids: &[i64]) -> Result<i64, StoreError> {
    match target {
        Target::Existing(id) => Ok(id),
        Target::New(i) => ids
            .get(i)
            .copied()
            .ok_or_else(|| StoreError::Damaged(format!("change refers to change {i}, which comes later"))),
    }
}

/// A person's public label: P- and at least six digits of its id. Derived, never stored.
pub fn label_for(id: i64) -> String {
    format!("P-{id:06}")
}

/// The audit entries that are changes, for the change mark: every action but the reads. The
/// partial index `audit_log_changes` (migration 0015) has this same WHERE clause; a new read
/// action goes here and into a new migration that makes the index again.
pub const CHANGE_ENTRIES: &str = "action NOT IN ('person.read', 'registry.search', 'intake.read', 'restricted.read')";

/// Implements [`RegistryStore`] for a store type over one sqlx database. The store must have
/// `begin()` (a write transaction that serialises writers), `reader()` (a pool for reads),
/// `link` (the audit chain's link function), `reserve_ids(tx, table, n)` (ids for new rows),
/// `refresh_statistics(rows)` (what a bulk write of `rows` records needs after its commit),
/// `EXPLICIT_ID` (what an INSERT with its own ids needs to say) and `ID_LIST` (a subquery of
/// the ids in `$1`, a comma-separated text).
macro_rules! impl_registry_store {
    ($store:ty, $db:ty) => {
        mod registry_sql {
            use super::*;
            use crate::registry::*;
            use crate::rows::{Cols, Sql, Value};
            use sqlx::Transaction;

            type Tx = Transaction<'static, $db>;

            /// The rows `select` (which ends in `IN (`) gives for `ids`. The ids are one bound
            /// text (see [`id_list`]), so the statement's text is the same for any number of
            /// ids and is prepared once per connection; a single id is bound as itself (a second
            /// text, prepared once too).
            pub(super) async fn rows_by_ids<T: Send>(
                store: &$store,
                select: &str,
                ids: &[i64],
                map: impl FnMut(&dyn Cols) -> Result<T, StoreError> + Send,
            ) -> Result<Vec<T>, StoreError> {
                match ids {
                    [] => Ok(Vec::new()),
                    // One id bound as itself: PostgreSQL keeps one plan for the statement, where
                    // it plans a list of ids anew each time it is a short one.
                    [id] => store.read_rows(&format!("{select}$1)"), &[Value::I64(*id)], map).await,
                    _ => {
                        store
                            .read_rows(&format!("{select}{})", <$store>::ID_LIST), &[Value::Text(id_list(ids))], map)
                            .await
                    }
                }
            }

            /// A scan's WHERE, ORDER BY and LIMIT ([`ScanFrom::clause`]) and its values.
            pub(super) fn scan_clause(from: ScanFrom, t: &str, then: &str, limit: i64) -> (String, Vec<Value>) {
                let (clause, binds) = from.clause(t, then);
                (clause, binds.into_iter().chain([limit]).map(Value::I64).collect())
            }

            /// `ids` as the comma-separated text that `ID_LIST` reads from `$1`.
            pub(super) fn id_list(ids: &[i64]) -> String {
                let mut list = String::with_capacity(ids.len() * 8);
                for (i, id) in ids.iter().enumerate() {
                    if i > 0 {
                        list.push(',');
                    }
                    list.push_str(&id.to_string());
                }
                list
            }

            pub(super) fn person_from(row: &dyn Cols) -> Result<PersonRow, StoreError> {
                let status = row.opt_text("status")?;
                let id = row.i64("id")?;
                Ok(PersonRow {
                    id,
                    label: label_for(id),
                    identity_sealed: row.blob("identity_sealed")?,
                    region: row.opt_text("region")?,
                    confidentiality: row.text("confidentiality")?,
                    consent_to_publish: row.i64("consent_to_publish")? != 0,
                    version: row.i64("version")?,
                    created_at_ms: row.i64("created_at_ms")?,
                    updated_at_ms: row.i64("updated_at_ms")?,
                    recognized_on: row.opt_text("recognized_on")?,
                    merged_into: row.opt_i64("merged_into")?,
                    erased_on: row.opt_text("erased_on")?,
                    compartment: row.opt_i64("compartment_id")?,
                    status: status.and_then(|s| s.split_once(' ').map(|(a, b)| (a.to_owned(), b.to_owned()))),
                })
            }

            pub(super) fn event_from(row: &dyn Cols) -> Result<EventRow, StoreError> {
                let first = row.opt_text("date_first")?;
                let last = row.opt_text("date_last")?;
                let precision = row.opt_text("date_precision")?;
                let date = match (first, last, precision) {
                    (Some(first), Some(last), Some(p)) => Some(DateParts {
                        first,
                        last,
                        precision: precision_name(&p),
                    }),
                    _ => None,
                };
                Ok(EventRow {
                    id: row.i64("id")?,
                    kind: row.text("kind")?,
                    date,
                    region: row.opt_text("region")?,
                    arrest_days: row.opt_i64("arrest_days")?,
                    term_months: row.opt_i64("term_months")?,
                    details_sealed: row.blob("details_sealed")?,
                    confidentiality: row.text("confidentiality")?,
                    version: row.i64("version")?,
                    created_at_ms: row.i64("created_at_ms")?,
                    updated_at_ms: row.i64("updated_at_ms")?,
                    articles: Vec::new(),
                    persons: Vec::new(),
                    person_compartments: Vec::new(),
                    compartment: row.opt_i64("compartment_id")?,
                })
            }

            /// Fills in the articles and persons of events, and the compartments of the
            /// persons in one.
            pub(super) async fn complete_events(store: &$store, events: &mut [EventRow]) -> Result<(), StoreError> {
                if events.is_empty() {
                    return Ok(());
                }
                let ids: Vec<i64> = events.iter().map(|e| e.id).collect();
                // Articles and persons in one statement (one round trip): `part` tells them
                // apart, and the order keeps each part's own (article; role, person). The ids
                // are bound, so the text is prepared once per connection.
                let rows = store
                    .read_rows(
                        &format!(
                            "SELECT event_id, 'a' AS part, article AS value, 0 AS person_id, \
                             CAST(NULL AS BIGINT) AS compartment_id FROM event_articles \
                             WHERE event_id IN ({list}) \
                             UNION ALL SELECT ep.event_id, 'p' AS part, ep.role AS value, ep.person_id, \
                             p.compartment_id FROM event_persons ep LEFT JOIN persons p ON p.id = ep.person_id \
                             WHERE ep.event_id IN ({list}) ORDER BY event_id, part, value, person_id",
                            list = <$store>::ID_LIST
                        ),
                        &[Value::Text(id_list(&ids))],
                        |row| {
                            let person = (row.text("part")? != "a").then(|| row.i64("person_id")).transpose()?;
                            Ok((
                                row.i64("event_id")?,
                                person,
                                row.text("value")?,
                                row.opt_i64("compartment_id")?,
                            ))
                        },
                    )
                    .await?;
                // Every place of an event in `events`: a person's events hold an event once
                // per role the person has in it.
                let mut at: std::collections::HashMap<i64, Vec<usize>> = std::collections::HashMap::new();
                for (i, e) in events.iter().enumerate() {
                    at.entry(e.id).or_default().push(i);
                }
                for (event, person, value, compartment) in rows {
                    for &i in at.get(&event).map_or(&[][..], Vec::as_slice) {
                        match person {
                            None => events[i].articles.push(value.clone()),
                            Some(person) => {
                                events[i].persons.push((person, label_for(person), value.clone()));
                                if let Some(c) = compartment {
                                    events[i].person_compartments.push((person, c));
                                }
                            }
                        }
                    }
                }
                Ok(())
            }

            /// Rows of a batch waiting for their multi-row statements, in the order of the
            /// changes. They are written before anything that could read them (an update, a
            /// version check) and at the end of the batch.
            #[derive(Default)]
            pub(super) struct Pending<'a> {
                persons: Vec<(i64, &'a PersonWrite, i64)>,
                events: Vec<(i64, &'a EventWrite, i64)>,
                articles: Vec<(i64, &'a str, &'a str)>,
                event_persons: Vec<(i64, i64, &'static str)>,
                recognitions: Vec<(i64, &'a str, &'a [u8], &'a str)>,
                /// The persons in `recognitions`: a second recognition of one of them waits
                /// for the first to be written (one upsert may not touch a row twice).
                recognised: std::collections::HashSet<i64>,
                statuses: Vec<(i64, &'static str, &'a str)>,
                intakes: Vec<(i64, &'a [u8])>,
                versions: Vec<(&'static str, i64, i64, &'a str, &'a [u8])>,
                audit: Vec<(crate::AuditRecord, [u8; 32], [u8; 32])>,
            }

            /// Rows per multi-row statement: the same few statement texts are prepared once
            /// and reused, and the widest (events, 13 columns) stays far below both
            /// databases' limits on bound values.
            const ROWS: usize = 500;

            /// `head (…), (…), … tail`, `ROWS` rows at a time.
            pub(super) async fn insert_rows<'q, T>(
                tx: &mut Tx,
                head: &str,
                rows: &'q [T],
                tail: &str,
                mut bind: impl FnMut(sqlx::query_builder::Separated<'_, 'q, $db, &'static str>, &'q T),
            ) -> Result<(), sqlx::Error> {
                for chunk in rows.chunks(ROWS) {
                    let mut q = sqlx::QueryBuilder::<$db>::new(head);
                    q.push_values(chunk, &mut bind);
                    q.push(tail);
                    q.build().execute(&mut **tx).await?;
                }
                Ok(())
            }

            impl Pending<'_> {
                /// Writes every pending row, parents before the rows that refer to them.
                pub(super) async fn flush(&mut self, tx: &mut Tx, now: i64, generation: i64) -> Result<(), StoreError> {
                    let head = format!(
                        "INSERT INTO persons (id, identity_sealed, ref_lookup, region, confidentiality, \
                         consent_to_publish, import_digest, version, created_at_ms, updated_at_ms, changed_in){} ",
                        <$store>::EXPLICIT_ID
                    );
                    insert_rows(tx, &head, &self.persons, "", |mut b, (id, p, version)| {
                        b.push_bind(*id)
                            .push_bind(&p.identity_sealed[..])
                            .push_bind(p.ref_lookup.as_ref().map(|h| &h[..]))
                            .push_bind(p.region.as_deref())
                            .push_bind(p.confidentiality)
                            .push_bind(i64::from(p.consent_to_publish))
                            .push_bind(p.import_digest.as_ref().map(|h| &h[..]))
                            .push_bind(*version)
                            .push_bind(now)
                            .push_bind(now)
                            .push_bind(generation);
                    })
                    .await
                    .map_err(|e| conflict_or(e, "a person with this list reference"))?;
                    let head = format!(
                        "INSERT INTO events (id, kind, date_first, date_last, date_precision, region, arrest_days, \
                         term_months, details_sealed, confidentiality, import_digest, version, created_at_ms, updated_at_ms, \
                         changed_in){} ",
                        <$store>::EXPLICIT_ID
                    );
                    insert_rows(tx, &head, &self.events, "", |mut b, (id, e, version)| {
                        let d = e.date.as_ref();
                        b.push_bind(*id)
                            .push_bind(e.kind)
                            .push_bind(d.map(|d| d.first.as_str()))
                            .push_bind(d.map(|d| d.last.as_str()))
                            .push_bind(d.map(|d| d.precision))
                            .push_bind(e.region.as_deref())
                            .push_bind(e.arrest_days)
                            .push_bind(e.term_months)
                            .push_bind(&e.details_sealed[..])
                            .push_bind(e.confidentiality)
                            .push_bind(e.import_digest.as_ref().map(|h| &h[..]))
                            .push_bind(*version)
                            .push_bind(now)
                            .push_bind(now)
                            .push_bind(generation);
                    })
                    .await
                    .map_err(|e| conflict_or(e, "an event imported from this row"))?;
                    insert_rows(
                        tx,
                        "INSERT INTO event_articles (event_id, article, base) ",
                        &self.articles,
                        "",
                        |mut b, (event, article, base)| {
                            b.push_bind(*event).push_bind(*article).push_bind(*base);
                        },
                    )
                    .await?;
                    insert_rows(
                        tx,
                        "INSERT INTO event_persons (event_id, person_id, role) ",
                        &self.event_persons,
                        " ON CONFLICT DO NOTHING",
                        |mut b, (event, person, role)| {
                            b.push_bind(*event).push_bind(*person).push_bind(*role);
                        },
                    )
                    .await?;
                    insert_rows(
                        tx,
                        "INSERT INTO recognitions (person_id, recognized_on, decision_sealed, reviewer, decided_at_ms) ",
                        &self.recognitions,
                        " ON CONFLICT (person_id) DO UPDATE SET recognized_on = excluded.recognized_on, \
                         decision_sealed = excluded.decision_sealed, reviewer = excluded.reviewer, \
                         decided_at_ms = excluded.decided_at_ms",
                        |mut b, (person, on, decision, reviewer)| {
                            b.push_bind(*person)
                                .push_bind(*on)
                                .push_bind(*decision)
                                .push_bind(*reviewer)
                                .push_bind(now);
                        },
                    )
                    .await?;
                    // Status rows keep the order of the changes: their id breaks same-day ties.
                    insert_rows(
                        tx,
                        "INSERT INTO prisoner_status (person_id, status, on_date, recorded_at_ms) ",
                        &self.statuses,
                        "",
                        |mut b, (person, status, on)| {
                            b.push_bind(*person).push_bind(*status).push_bind(*on).push_bind(now);
                        },
                    )
                    .await?;
                    let head = format!(
                        "INSERT INTO intake_reports (id, received_at_ms, report_sealed, state){} ",
                        <$store>::EXPLICIT_ID
                    );
                    insert_rows(tx, &head, &self.intakes, "", |mut b, (id, report)| {
                        b.push_bind(*id).push_bind(now).push_bind(*report).push_bind("new");
                    })
                    .await?;
                    insert_rows(
                        tx,
                        "INSERT INTO record_versions (kind, record_id, version, at_ms, actor, snapshot_sealed) ",
                        &self.versions,
                        "",
                        |mut b, (kind, id, version, actor, snapshot)| {
                            b.push_bind(*kind)
                                .push_bind(*id)
                                .push_bind(*version)
                                .push_bind(now)
                                .push_bind(*actor)
                                .push_bind(*snapshot);
                        },
                    )
                    .await?;
                    insert_audit_rows(tx, &self.audit).await?;
                    self.persons.clear();
                    self.events.clear();
                    self.articles.clear();
                    self.event_persons.clear();
                    self.recognitions.clear();
                    self.recognised.clear();
                    self.statuses.clear();
                    self.intakes.clear();
                    self.versions.clear();
                    self.audit.clear();
                    Ok(())
                }
            }

            impl<'a> Pending<'a> {
                /// An event's articles and persons, written with the next flush.
                fn push_event_links(&mut self, id: i64, event: &'a EventWrite, ids: &[i64]) -> Result<(), StoreError> {
                    for (article, base) in &event.articles {
                        self.articles.push((id, article, base));
                    }
                    for (person, role) in &event.persons {
                        self.event_persons.push((id, resolve(*person, ids)?, *role));
                    }
                    Ok(())
                }
            }

            async fn check_version(tx: &mut Tx, table: &str, id: i64, expected: Option<i64>) -> Result<(), StoreError> {
                let found: Option<i64> = sqlx::query_scalar(&format!("SELECT version FROM {table} WHERE id = $1"))
                    .bind(id)
                    .fetch_optional(&mut **tx)
                    .await?;
                match (found, expected) {
                    (None, _) => Err(StoreError::NotFound(if table == "persons" { "the person" } else { "the event" })),
                    (Some(v), Some(e)) if v != e => Err(StoreError::Conflict(
                        "a newer version of this record (someone changed it meanwhile; reload and redo your change)",
                    )),
                    _ => Ok(()),
                }
            }

            /// Rewrites event `id`'s fields and drops its articles and persons (the new ones
            /// are pending).
            async fn update_event_row(
                tx: &mut Tx,
                id: i64,
                event: &EventWrite,
                now: i64,
                generation: i64,
            ) -> Result<(), StoreError> {
                let d = event.date.as_ref();
                sqlx::query(
                    "UPDATE events SET kind = $1, date_first = $2, date_last = $3, date_precision = $4, \
                     region = $5, arrest_days = $6, term_months = $7, details_sealed = $8, \
                     confidentiality = $9, updated_at_ms = $10, changed_in = $11 WHERE id = $12",
                )
                .bind(event.kind)
                .bind(d.map(|d| d.first.as_str()))
                .bind(d.map(|d| d.last.as_str()))
                .bind(d.map(|d| d.precision))
                .bind(event.region.as_deref())
                .bind(event.arrest_days)
                .bind(event.term_months)
                .bind(&event.details_sealed[..])
                .bind(event.confidentiality)
                .bind(now)
                .bind(generation)
                .bind(id)
                .execute(&mut **tx)
                .await?;
                for table in ["event_articles", "event_persons"] {
                    sqlx::query(&format!("DELETE FROM {table} WHERE event_id = $1"))
                        .bind(id)
                        .execute(&mut **tx)
                        .await?;
                }
                Ok(())
            }

            /// Points `merged` at `survivor` and records the merge; returns the merge's id. Each
            /// person comes with the version the actor saw.
            async fn merge_persons(
                tx: &mut Tx,
                (survivor, survivor_version): (i64, i64),
                (merged, merged_version): (i64, i64),
                actor: &str,
                now: i64,
                generation: i64,
            ) -> Result<i64, StoreError> {
                check_version(tx, "persons", survivor, Some(survivor_version)).await?;
                check_version(tx, "persons", merged, Some(merged_version)).await?;
                let already: i64 = sqlx::query_scalar(
                    "SELECT COUNT(*) FROM persons WHERE id IN ($1, $2) AND merged_into IS NOT NULL",
                )
                .bind(survivor)
                .bind(merged)
                .fetch_one(&mut **tx)
                .await?;
                if already > 0 {
                    return Err(StoreError::Conflict(
                        "a merge of one of these persons (someone merged it meanwhile; reload the page)",
                    ));
                }
                let members: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM persons WHERE merged_into = $1")
                    .bind(merged)
                    .fetch_one(&mut **tx)
                    .await?;
                if members > 0 {
                    return Err(StoreError::Conflict(
                        "a merge into the person to be merged (merge the other way round, or undo that merge first)",
                    ));
                }
                sqlx::query("UPDATE persons SET merged_into = $1, changed_in = $2 WHERE id = $3")
                    .bind(survivor)
                    .bind(generation)
                    .bind(merged)
                    .execute(&mut **tx)
                    .await?;
                Ok(sqlx::query_scalar(
                    "INSERT INTO person_merges (survivor_id, merged_id, merged_by, merged_at_ms) \
                     VALUES ($1, $2, $3, $4) RETURNING id",
                )
                .bind(survivor)
                .bind(merged)
                .bind(actor)
                .bind(now)
                .fetch_one(&mut **tx)
                .await?)
            }

            /// Lets the merged person of merge `merge` stand alone again and stamps the merge undone.
            async fn undo_merge(tx: &mut Tx, merge: i64, actor: &str, now: i64, generation: i64) -> Result<(), StoreError> {
                let row: Option<(i64, i64)> = sqlx::query_as(
                    "UPDATE person_merges SET undone_by = $1, undone_at_ms = $2 \
                     WHERE id = $3 AND undone_at_ms IS NULL RETURNING survivor_id, merged_id",
                )
                .bind(actor)
                .bind(now)
                .bind(merge)
                .fetch_optional(&mut **tx)
                .await?;
                let Some((survivor, merged)) = row else {
                    let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM person_merges WHERE id = $1")
                        .bind(merge)
                        .fetch_optional(&mut **tx)
                        .await?;
                    return Err(match exists {
                        Some(_) => StoreError::Conflict("an undo of this merge (it is undone already)"),
                        None => StoreError::NotFound("the merge"),
                    });
                };
                let changed = sqlx::query(
                    "UPDATE persons SET merged_into = NULL, changed_in = $1 WHERE id = $2 AND merged_into = $3",
                )
                .bind(generation)
                .bind(merged)
                    .bind(survivor)
                    .execute(&mut **tx)
                    .await?
                    .rows_affected();
                if changed != 1 {
                    return Err(StoreError::Damaged(format!("merge {merge} does not match its persons")));
                }
                Ok(())
            }

            /// Raises the stored version of a person or an event by one; returns it.
            async fn next_version(tx: &mut Tx, kind: &'static str, id: i64) -> Result<i64, StoreError> {
                let table = match kind {
                    "person" => "persons",
                    "event" => "events",
                    other => return Err(StoreError::Damaged(format!("no versions are kept of {other}"))),
                };
                Ok(sqlx::query_scalar(&format!(
                    "UPDATE {table} SET version = version + 1 WHERE id = $1 RETURNING version"
                ))
                .bind(id)
                .fetch_one(&mut **tx)
                .await?)
            }

            /// Audit entries with the hash they link to and their own, in one statement per
            /// `ROWS`.
            pub(super) async fn insert_audit_rows(tx: &mut Tx, rows: &[(crate::AuditRecord, [u8; 32], [u8; 32])]) -> Result<(), sqlx::Error> {
                insert_rows(
                    tx,
                    "INSERT INTO audit_log (seq, at_ms, actor, action, object, prev_hash, hash) ",
                    rows,
                    "",
                    |mut b, (record, prev, hash)| {
                        b.push_bind(record.seq)
                            .push_bind(record.at_ms)
                            .push_bind(record.actor.as_str())
                            .push_bind(record.action.as_str())
                            .push_bind(record.object.as_str())
                            .push_bind(&prev[..])
                            .push_bind(&hash[..]);
                    },
                )
                .await
            }

            /// Appends `events` to the chain in the order given, each with the id of the new
            /// row its object names, if any: the chain's head read once and the entries written
            /// together. A group commit of reads appended one by one read the head and inserted
            /// for each, two statements an entry, each a crossing to SQLite's thread.
            pub(super) async fn append_entries<'e>(
                store: &$store,
                tx: &mut Tx,
                events: impl IntoIterator<Item = (&'e crate::AuditEvent, Option<i64>)>,
            ) -> Result<(), StoreError> {
                let head = chain_head(tx).await?;
                let rows = link_entries(
                    store,
                    head,
                    events.into_iter().map(|(e, created)| {
                        (
                            e.at_ms,
                            e.actor.clone(),
                            e.action.to_owned(),
                            crate::audit_object(&e.object, created),
                        )
                    }),
                );
                insert_audit_rows(tx, &rows).await?;
                Ok(())
            }

            /// Entries `(at_ms, actor, action, object)` numbered and linked in order after the
            /// chain's `head` (its last seq and hash), each with the hash it links to and its own.
            pub(super) fn link_entries(
                store: &$store,
                head: (i64, [u8; 32]),
                entries: impl Iterator<Item = (i64, String, String, String)>,
            ) -> Vec<(crate::AuditRecord, [u8; 32], [u8; 32])> {
                let (mut seq, mut prev) = head;
                entries
                    .map(|(at_ms, actor, action, object)| {
                        seq += 1;
                        let record = crate::AuditRecord {
                            seq,
                            at_ms,
                            actor,
                            action,
                            object,
                        };
                        let hash = store.link.link(&prev, &record);
                        let row = (record, prev, hash);
                        prev = hash;
                        row
                    })
                    .collect()
            }

            /// The last audit entry's number and hash, which the batch's first entry links to.
            pub(super) async fn chain_head(tx: &mut Tx) -> Result<(i64, [u8; 32]), StoreError> {
                let last: Option<(i64, Vec<u8>)> =
                    sqlx::query_as("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
                        .fetch_optional(&mut **tx)
                        .await?;
                Ok(match last {
                    Some((seq, hash)) => (seq, crate::hash32(hash, "an audit hash")?),
                    None => (0, razam_core::audit::GENESIS),
                })
            }

            /// Ids for the records a batch creates, in the order of its changes.
            async fn new_ids(
                store: &$store,
                tx: &mut Tx,
                changes: &[Change],
                table: &'static str,
                creates: fn(&RegistryOp) -> bool,
            ) -> Result<std::vec::IntoIter<i64>, StoreError> {
                let n = changes.iter().filter(|c| creates(&c.op)).count();
                Ok(store.reserve_ids(tx, table, n).await?.into_iter())
            }

            /// Applies a batch inside `tx`; returns the id each change created or affected.
            ///
            /// Rows are gathered and written by multi-row statements: ids of new records are
            /// reserved up front (so a batch can refer to what it creates), the audit entries
            /// are linked here from the chain's head, and a created record's first version is
            /// known without asking. What reads stored state (an update's version check, a
            /// version number of an existing record) first writes what is pending.
            pub(super) async fn apply_batch(
                store: &$store,
                tx: &mut Tx,
                changes: &[Change],
                generation: i64,
            ) -> Result<Vec<i64>, StoreError> {
                let now = crate::now_ms();
                let mut new_persons =
                    new_ids(store, tx, changes, "persons", |op| matches!(op, RegistryOp::CreatePerson(_))).await?;
                let mut new_events =
                    new_ids(store, tx, changes, "events", |op| matches!(op, RegistryOp::CreateEvent(_))).await?;
                let mut new_intakes = new_ids(store, tx, changes, "intake_reports", |op| {
                    matches!(op, RegistryOp::CreateIntake { .. })
                })
                .await?;
                let reserved = |id: Option<i64>| id.ok_or_else(|| StoreError::Damaged("an id was not reserved".into()));
                let (mut seq, mut prev) = chain_head(tx).await?;
                let mut pending = Pending::default();
                let mut ids = Vec::with_capacity(changes.len());
                for change in changes {
                    // An edit raises its record's version only with its snapshot, and every
                    // edit must leave its version in the record's history (and raise the
                    // version that a stale form is refused by): one without is refused.
                    if matches!(change.op, RegistryOp::UpdatePerson { .. } | RegistryOp::UpdateEvent { .. })
                        && change.snapshot_sealed.is_none()
                    {
                        return Err(StoreError::Damaged(
                            "an edit of a person or an event without its version snapshot".into(),
                        ));
                    }
                    // A record created with a snapshot starts at version 1, else at 0.
                    let first_version = i64::from(change.snapshot_sealed.is_some());
                    let mut created = true;
                    let id = match &change.op {
                        RegistryOp::CreatePerson(p) => {
                            let id = reserved(new_persons.next())?;
                            pending.persons.push((id, p, first_version));
                            id
                        }
                        RegistryOp::CreateEvent(e) => {
                            let id = reserved(new_events.next())?;
                            pending.events.push((id, e, first_version));
                            pending.push_event_links(id, e, &ids)?;
                            id
                        }
                        RegistryOp::CreateIntake { report_sealed } => {
                            let id = reserved(new_intakes.next())?;
                            pending.intakes.push((id, report_sealed));
                            id
                        }
                        RegistryOp::Recognise {
                            person,
                            recognized_on,
                            decision_sealed,
                            reviewer,
                        } => {
                            created = false;
                            let id = resolve(*person, &ids)?;
                            if !pending.recognised.insert(id) {
                                pending.flush(tx, now, generation).await?;
                                pending.recognised.insert(id);
                            }
                            pending.recognitions.push((id, recognized_on, decision_sealed, reviewer));
                            id
                        }
                        RegistryOp::AddStatus {
                            person,
                            status,
                            on_date,
                        } => {
                            created = false;
                            let id = resolve(*person, &ids)?;
                            pending.statuses.push((id, *status, on_date));
                            id
                        }
                        RegistryOp::UpdatePerson {
                            id,
                            expected_version,
                            person: p,
                        } => {
                            created = false;
                            pending.flush(tx, now, generation).await?;
                            let id = resolve(*id, &ids)?;
                            check_version(tx, "persons", id, *expected_version).await?;
                            sqlx::query(
                                "UPDATE persons SET identity_sealed = $1, ref_lookup = COALESCE($2, ref_lookup), \
                                 region = $3, confidentiality = $4, consent_to_publish = $5, \
                                 import_digest = COALESCE($6, import_digest), updated_at_ms = $7, changed_in = $8 \
                                 WHERE id = $9",
                            )
                            .bind(&p.identity_sealed[..])
                            .bind(p.ref_lookup.as_ref().map(|h| &h[..]))
                            .bind(p.region.as_deref())
                            .bind(p.confidentiality)
                            .bind(i64::from(p.consent_to_publish))
                            .bind(p.import_digest.as_ref().map(|h| &h[..]))
                            .bind(now)
                            .bind(generation)
                            .bind(id)
                            .execute(&mut **tx)
                            .await
                            .map_err(|e| conflict_or(e, "a person with this list reference"))?;
                            id
                        }
                        RegistryOp::UpdateEvent {
                            id,
                            expected_version,
                            event,
                        } => {
                            created = false;
                            pending.flush(tx, now, generation).await?;
                            let id = resolve(*id, &ids)?;
                            check_version(tx, "events", id, *expected_version).await?;
                            update_event_row(tx, id, event, now, generation).await?;
                            pending.push_event_links(id, event, &ids)?;
                            id
                        }
                        RegistryOp::AddSource {
                            event,
                            kind,
                            sealed,
                            confidentiality,
                        } => {
                            created = false;
                            pending.flush(tx, now, generation).await?;
                            let event = resolve(*event, &ids)?;
                            let source: i64 = sqlx::query_scalar(
                                "INSERT INTO sources (kind, sealed, confidentiality, created_at_ms, changed_in) \
                                 VALUES ($1, $2, $3, $4, $5) RETURNING id",
                            )
                            .bind(*kind)
                            .bind(&sealed[..])
                            .bind(*confidentiality)
                            .bind(now)
                            .bind(generation)
                            .fetch_one(&mut **tx)
                            .await?;
                            sqlx::query("INSERT INTO event_sources (event_id, source_id) VALUES ($1, $2)")
                                .bind(event)
                                .bind(source)
                                .execute(&mut **tx)
                                .await?;
                            source
                        }
                        RegistryOp::DecideIntake { id, state, person } => {
                            created = false;
                            pending.flush(tx, now, generation).await?;
                            let person = person.map(|p| resolve(p, &ids)).transpose()?;
                            let changed = sqlx::query(
                                "UPDATE intake_reports SET state = $1, decided_by = $2, decided_at_ms = $3, \
                                 person_id = $4 WHERE id = $5 AND state = 'new'",
                            )
                            .bind(*state)
                            .bind(&change.actor)
                            .bind(now)
                            .bind(person)
                            .bind(*id)
                            .execute(&mut **tx)
                            .await?
                            .rows_affected();
                            if changed == 0 {
                                return Err(StoreError::Conflict("a decision on this report (it is no longer new)"));
                            }
                            *id
                        }
                        RegistryOp::MergePersons {
                            survivor,
                            merged,
                            survivor_version,
                            merged_version,
                        } => {
                            created = false;
                            pending.flush(tx, now, generation).await?;
                            merge_persons(
                                tx,
                                (*survivor, *survivor_version),
                                (*merged, *merged_version),
                                &change.actor,
                                now,
                                generation,
                            )
                                .await?
                        }
                        RegistryOp::UndoMerge { merge } => {
                            created = false;
                            pending.flush(tx, now, generation).await?;
                            undo_merge(tx, *merge, &change.actor, now, generation).await?;
                            *merge
                        }
                        RegistryOp::MarkDistinct { a, b } => {
                            created = false;
                            pending.flush(tx, now, generation).await?;
                            let (low, high) = ((*a).min(*b), (*a).max(*b));
                            sqlx::query(
                                "INSERT INTO distinct_persons (low_id, high_id, decided_by, decided_at_ms) \
                                 VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                            )
                            .bind(low)
                            .bind(high)
                            .bind(&change.actor)
                            .bind(now)
                            .execute(&mut **tx)
                            .await?;
                            low
                        }
                        RegistryOp::SetCompartment {
                            kind,
                            record,
                            compartment,
                        } => {
                            created = false;
                            pending.flush(tx, now, generation).await?;
                            let id = resolve(*record, &ids)?;
                            let table = match *kind {
                                "person" => "persons",
                                "event" => "events",
                                other => return Err(StoreError::Damaged(format!("no compartments for {other}"))),
                            };
                            let changed = sqlx::query(&format!(
                                "UPDATE {table} SET compartment_id = $1, updated_at_ms = $2, changed_in = $3 WHERE id = $4"
                            ))
                            .bind(*compartment)
                            .bind(now)
                            .bind(generation)
                            .bind(id)
                            .execute(&mut **tx)
                            .await?
                            .rows_affected();
                            if changed == 0 {
                                return Err(StoreError::NotFound(if table == "persons" { "person" } else { "event" }));
                            }
                            id
                        }
                    };
                    ids.push(id);
                    if let Some(snapshot) = &change.snapshot_sealed {
                        let kind = change.op.kind();
                        if kind == "intake" {
                            return Err(StoreError::Damaged("no versions are kept of intake".into()));
                        }
                        let version = if created {
                            first_version
                        } else {
                            pending.flush(tx, now, generation).await?;
                            next_version(tx, kind, id).await?
                        };
                        pending.versions.push((kind, id, version, &change.actor, snapshot));
                    }
                    if let Some(action) = change.audit {
                        seq += 1;
                        let record = crate::AuditRecord {
                            seq,
                            at_ms: now,
                            actor: change.actor.clone(),
                            action: action.to_owned(),
                            object: change.op.audit_object(id),
                        };
                        let hash = store.link.link(&prev, &record);
                        pending.audit.push((record, prev, hash));
                        prev = hash;
                    }
                }
                pending.flush(tx, now, generation).await?;
                Ok(ids)
            }

            /// `AND column IN (levels…)`: only the confidentiality levels the reader may see.
            pub(super) fn push_levels(q: &mut Sql, column: &str, levels: &[&'static str]) {
                if levels.is_empty() {
                    return;
                }
                q.push(" AND ").push(column).push(" IN (").bind_list(levels.iter().copied()).push(")");
            }

            /// `AND (column IS NULL OR column IN (…))`: only records in no compartment or in
            /// one the reader is a member of.
            pub(super) fn push_compartments(q: &mut Sql, column: &str, scope: &crate::compartments::Scope) {
                let crate::compartments::Scope::Only(ids) = scope else {
                    return;
                };
                q.push(" AND (").push(column).push(" IS NULL");
                if !ids.is_empty() {
                    q.push(" OR ").push(column).push(" IN (").bind_list(ids.iter().copied()).push(")");
                }
                q.push(")");
            }

            pub(super) fn push_person_filter(q: &mut Sql, f: &PersonFilter) {
                // Persons merged into another are shown as part of it, never on their own.
                q.push(" WHERE p.merged_into IS NULL");
                push_levels(q, "p.confidentiality", &f.levels);
                push_compartments(q, "p.compartment_id", &f.compartments);
                if let Some(region) = &f.region {
                    q.push(" AND p.region = ").bind(region.as_str());
                }
                let day = f.as_of.clone().unwrap_or_else(|| "9999-12-31".to_owned());
                // A listed person is never merged, so its group is its own id.
                let recognized = recognized_of("p.id");
                match f.status {
                    Some("recognised") => {
                        q.push(" AND ").push(&recognized).push(" IS NOT NULL");
                    }
                    Some("not_recognised") => {
                        q.push(" AND ").push(&recognized).push(" IS NULL");
                    }
                    Some("held") => {
                        q.push(" AND ").push(&recognized).push(" <= ").bind(day.clone());
                        q.push(" AND ").push(&status_on("p.id")).bind(day);
                        q.push(LATEST_FIRST).push(" = 'held'");
                    }
                    Some("released") => {
                        q.push(" AND ").push(&status_on("p.id")).bind(day);
                        q.push(LATEST_FIRST).push(" <> 'held'");
                    }
                    _ => {}
                }
            }
        }

        #[async_trait::async_trait]
        impl $crate::registry::RegistryStore for $store {
            async fn apply(&self, changes: &[$crate::registry::Change]) -> Result<(Vec<i64>, i64), StoreError> {
                let mut tx = self.begin().await?;
                let generation: i64 = sqlx::query_scalar($crate::registry::RAISE_GENERATION)
                    .fetch_one(&mut *tx)
                    .await?;
                let ids = registry_sql::apply_batch(self, &mut tx, changes, generation).await?;
                tx.commit().await?;
                Ok((ids, generation))
            }

            async fn apply_batches(
                &self,
                next: &mut (dyn FnMut() -> Result<Option<Vec<$crate::registry::Change>>, StoreError> + Send),
                applied: &mut (dyn for<'c> FnMut(&'c [$crate::registry::Change], &'c [i64]) + Send),
            ) -> Result<(usize, i64), StoreError> {
                let mut tx = self.begin().await?;
                let generation: i64 = sqlx::query_scalar($crate::registry::RAISE_GENERATION)
                    .fetch_one(&mut *tx)
                    .await?;
                let mut count = 0;
                while let Some(batch) = next()? {
                    let ids = registry_sql::apply_batch(self, &mut tx, &batch, generation).await?;
                    applied(&batch, &ids);
                    count += ids.len();
                }
                tx.commit().await?;
                self.refresh_statistics(count).await;
                Ok((count, generation))
            }

            async fn person(
                &self,
                id: $crate::registry::PersonId,
            ) -> Result<Option<$crate::registry::PersonRow>, StoreError> {
                let sql = format!("SELECT {} FROM persons p WHERE p.id = $1", $crate::registry::person_columns());
                Ok(self.read_rows(&sql, &[id.into()], registry_sql::person_from).await?.pop())
            }

            async fn persons_by_ids(
                &self,
                ids: &[$crate::registry::PersonId],
            ) -> Result<Vec<$crate::registry::PersonRow>, StoreError> {
                let select = format!(
                    "SELECT {} FROM persons p WHERE p.id IN (",
                    $crate::registry::person_columns()
                );
                registry_sql::rows_by_ids(self, &select, ids, registry_sql::person_from).await
            }

            async fn person_cards(
                &self,
                ids: &[$crate::registry::PersonId],
            ) -> Result<Vec<$crate::registry::PersonCardRow>, StoreError> {
                registry_sql::rows_by_ids(
                    self,
                    "SELECT id, identity_sealed, region, confidentiality, consent_to_publish, version, \
                     merged_into, erased_on, compartment_id FROM persons WHERE id IN (",
                    ids,
                    |row| {
                        let id = row.i64("id")?;
                        Ok($crate::registry::PersonCardRow {
                            id,
                            label: $crate::registry::label_for(id),
                            identity_sealed: row.blob("identity_sealed")?,
                            region: row.opt_text("region")?,
                            confidentiality: row.text("confidentiality")?,
                            consent_to_publish: row.i64("consent_to_publish")? != 0,
                            version: row.i64("version")?,
                            merged_into: row.opt_i64("merged_into")?,
                            erased_on: row.opt_text("erased_on")?,
                            compartment: row.opt_i64("compartment_id")?,
                        })
                    },
                )
                .await
            }

            async fn person_compartments(
                &self,
                ids: &[$crate::registry::PersonId],
            ) -> Result<Vec<($crate::registry::PersonId, $crate::compartments::CompartmentId)>, StoreError> {
                registry_sql::rows_by_ids(
                    self,
                    "SELECT id, compartment_id FROM persons WHERE compartment_id IS NOT NULL AND id IN (",
                    ids,
                    |row| Ok((row.i64("id")?, row.i64("compartment_id")?)),
                )
                .await
            }

            async fn person_refs(&self) -> Result<Vec<$crate::registry::ImportedRef>, StoreError> {
                let rows: Vec<(Vec<u8>, i64, Option<Vec<u8>>)> = sqlx::query_as(
                    "SELECT ref_lookup, id, import_digest FROM persons WHERE ref_lookup IS NOT NULL",
                )
                .fetch_all(&mut *self.reader().await?)
                .await?;
                rows.into_iter()
                    .map(|(h, person, digest)| {
                        Ok($crate::registry::ImportedRef {
                            ref_lookup: crate::hash32(h, "a reference hash")?,
                            person,
                            import_digest: digest.map(|d| crate::hash32(d, "an import digest")).transpose()?,
                        })
                    })
                    .collect()
            }

            async fn list_persons(
                &self,
                filter: &$crate::registry::PersonFilter,
                before: Option<$crate::registry::PersonId>,
                limit: i64,
            ) -> Result<Vec<$crate::registry::PersonRow>, StoreError> {
                let mut q = $crate::rows::Sql::new(format!(
                    "SELECT {} FROM persons p",
                    $crate::registry::person_columns()
                ));
                registry_sql::push_person_filter(&mut q, filter);
                if let Some(before) = before {
                    q.push(" AND p.id < ").bind(before);
                }
                q.push(" ORDER BY p.id DESC").limit(limit);
                self.read_rows(&q.text, &q.args, registry_sql::person_from).await
            }

            async fn count_persons(&self) -> Result<i64, StoreError> {
                Ok(sqlx::query_scalar("SELECT COUNT(*) FROM persons")
                    .fetch_one(&mut *self.reader().await?)
                    .await?)
            }

            async fn event(
                &self,
                id: $crate::registry::EventId,
            ) -> Result<Option<$crate::registry::EventRow>, StoreError> {
                let sql = format!("SELECT {} FROM events e WHERE e.id = $1", $crate::registry::EVENT_COLUMNS);
                let mut events = self.read_rows(&sql, &[id.into()], registry_sql::event_from).await?;
                registry_sql::complete_events(self, &mut events).await?;
                Ok(events.pop())
            }

            async fn event_by_digest(&self, digest: &[u8; 32]) -> Result<Option<$crate::registry::EventId>, StoreError> {
                let ids = self
                    .read_rows(
                        "SELECT id FROM events WHERE import_digest = $1",
                        &[$crate::rows::Value::Blob(digest.to_vec())],
                        |row| row.i64("id"),
                    )
                    .await?;
                Ok(ids.into_iter().next())
            }

            async fn known_event_digests(&self, digests: &[[u8; 32]]) -> Result<Vec<[u8; 32]>, StoreError> {
                let mut known = Vec::new();
                for chunk in digests.chunks(500) {
                    let mut q = sqlx::QueryBuilder::<$db>::new("SELECT import_digest FROM events WHERE import_digest IN (");
                    let mut list = q.separated(", ");
                    for d in chunk {
                        list.push_bind(&d[..]);
                    }
                    q.push(")");
                    let rows: Vec<(Vec<u8>,)> = q.build_query_as().fetch_all(&mut *self.reader().await?).await?;
                    for (d,) in rows {
                        known.push(crate::hash32(d, "an import digest")?);
                    }
                }
                Ok(known)
            }

            async fn events_of_person(
                &self,
                person: $crate::registry::PersonId,
            ) -> Result<Vec<($crate::registry::EventRow, String)>, StoreError> {
                let sql = format!(
                    "SELECT {}, ep.role FROM events e JOIN event_persons ep ON ep.event_id = e.id \
                     WHERE ep.person_id = $1 ORDER BY e.date_first, e.id, ep.role",
                    $crate::registry::EVENT_COLUMNS
                );
                let (mut events, roles): (Vec<_>, Vec<_>) = self
                    .read_rows(&sql, &[person.into()], |row| Ok((registry_sql::event_from(row)?, row.text("role")?)))
                    .await?
                    .into_iter()
                    .unzip();
                registry_sql::complete_events(self, &mut events).await?;
                Ok(events.into_iter().zip(roles).collect())
            }

            async fn list_events(
                &self,
                filter: &$crate::registry::EventFilter,
                before: Option<$crate::registry::EventId>,
                limit: i64,
            ) -> Result<Vec<$crate::registry::EventRow>, StoreError> {
                let mut q = $crate::rows::Sql::new(format!(
                    "SELECT {} FROM events e WHERE 1 = 1",
                    $crate::registry::EVENT_COLUMNS
                ));
                registry_sql::push_levels(&mut q, "e.confidentiality", &filter.levels);
                registry_sql::push_compartments(&mut q, "e.compartment_id", &filter.compartments);
                if let Some(kind) = filter.kind {
                    q.push(" AND e.kind = ").bind(kind);
                }
                if let Some(region) = &filter.region {
                    q.push(" AND e.region = ").bind(region.as_str());
                }
                if let Some(from) = &filter.from {
                    q.push(" AND e.date_last >= ").bind(from.as_str());
                }
                if let Some(to) = &filter.to {
                    q.push(" AND e.date_first <= ").bind(to.as_str());
                }
                if let Some(before) = before {
                    q.push(" AND e.id < ").bind(before);
                }
                q.push(" ORDER BY e.id DESC").limit(limit);
                let mut events = self.read_rows(&q.text, &q.args, registry_sql::event_from).await?;
                registry_sql::complete_events(self, &mut events).await?;
                Ok(events)
            }

            async fn recognition(
                &self,
                person: $crate::registry::PersonId,
            ) -> Result<Option<$crate::registry::RecognitionRow>, StoreError> {
                let row: Option<(String, Vec<u8>, String, i64)> = sqlx::query_as(
                    "SELECT recognized_on, decision_sealed, reviewer, decided_at_ms FROM recognitions \
                     WHERE person_id = $1",
                )
                .bind(person)
                .fetch_optional(&mut *self.reader().await?)
                .await?;
                Ok(row.map(
                    |(recognized_on, decision_sealed, reviewer, decided_at_ms)| $crate::registry::RecognitionRow {
                        person_id: person,
                        recognized_on,
                        decision_sealed,
                        reviewer,
                        decided_at_ms,
                    },
                ))
            }

            async fn statuses_of(
                &self,
                person: $crate::registry::PersonId,
            ) -> Result<Vec<$crate::registry::StatusRow>, StoreError> {
                let rows: Vec<(String, String)> = sqlx::query_as(
                    "SELECT status, on_date FROM prisoner_status WHERE person_id = $1 ORDER BY on_date, id",
                )
                .bind(person)
                .fetch_all(&mut *self.reader().await?)
                .await?;
                Ok(rows
                    .into_iter()
                    .map(|(status, on_date)| $crate::registry::StatusRow {
                        person_id: person,
                        status,
                        on_date,
                    })
                    .collect())
            }

            async fn standing_of(
                &self,
                person: $crate::registry::PersonId,
            ) -> Result<$crate::registry::Standing, StoreError> {
                // Four parts as rows of one shape, told apart by `part`: the recognition ('r',
                // at most one), the statuses ('s'; `second` is the day, so the order is theirs),
                // the merges into the person that stand ('m'; `id` the merge, `other` the
                // merged person) and the persons said to be someone else ('d', `other`).
                let rows = self
                    .read_rows(
                        "SELECT 'r' AS part, recognized_on AS first, reviewer AS second, decision_sealed AS sealed, \
                         decided_at_ms AS at_ms, 0 AS id, 0 AS other FROM recognitions WHERE person_id = $1 \
                         UNION ALL SELECT 's', status, on_date, NULL, 0, id, 0 FROM prisoner_status \
                         WHERE person_id = $1 \
                         UNION ALL SELECT 'm', merged_by, '', NULL, merged_at_ms, id, merged_id FROM person_merges \
                         WHERE survivor_id = $1 AND undone_at_ms IS NULL \
                         UNION ALL SELECT 'd', '', '', NULL, 0, 0, high_id FROM distinct_persons WHERE low_id = $1 \
                         UNION ALL SELECT 'd', '', '', NULL, 0, 0, low_id FROM distinct_persons WHERE high_id = $1 \
                         ORDER BY part, second, id, other",
                        &[person.into()],
                        |row| {
                            Ok((
                                row.text("part")?,
                                row.text("first")?,
                                row.text("second")?,
                                row.opt_blob("sealed")?,
                                row.i64("at_ms")?,
                                row.i64("id")?,
                                row.i64("other")?,
                            ))
                        },
                    )
                    .await?;
                let mut standing = $crate::registry::Standing::default();
                for (part, first, second, sealed, at_ms, id, other) in rows {
                    match part.as_str() {
                        "r" => {
                            standing.recognition = Some($crate::registry::RecognitionRow {
                                person_id: person,
                                recognized_on: first,
                                decision_sealed: sealed.unwrap_or_default(),
                                reviewer: second,
                                decided_at_ms: at_ms,
                            })
                        }
                        "s" => standing.statuses.push($crate::registry::StatusRow {
                            person_id: person,
                            status: first,
                            on_date: second,
                        }),
                        "m" => standing.merged_in.push($crate::registry::MergeRow {
                            id,
                            survivor_id: person,
                            merged_id: other,
                            merged_by: first,
                            merged_at_ms: at_ms,
                            undone_by: None,
                            undone_at_ms: None,
                        }),
                        _ => standing.distinct_from.push(other),
                    }
                }
                Ok(standing)
            }

            async fn prisoner_history(
                &self,
            ) -> Result<
                (
                    Vec<($crate::registry::PersonId, String)>,
                    Vec<$crate::registry::StatusRow>,
                ),
                StoreError,
            > {
                let recognitions: Vec<(i64, String)> =
                    sqlx::query_as("SELECT person_id, recognized_on FROM recognitions ORDER BY person_id")
                        .fetch_all(&mut *self.reader().await?)
                        .await?;
                let statuses: Vec<(i64, String, String)> = sqlx::query_as(
                    "SELECT person_id, status, on_date FROM prisoner_status ORDER BY person_id, on_date, id",
                )
                .fetch_all(&mut *self.reader().await?)
                .await?;
                Ok((
                    recognitions,
                    statuses
                        .into_iter()
                        .map(|(person_id, status, on_date)| $crate::registry::StatusRow {
                            person_id,
                            status,
                            on_date,
                        })
                        .collect(),
                ))
            }

            async fn held_counts(&self, as_of: &str) -> Result<$crate::registry::HeldCounts, StoreError> {
                let (held, recognized_total): (i64, i64) = sqlx::query_as(&format!(
                    "SELECT COUNT(CASE WHEN {} THEN 1 END), COUNT(*) FROM {} r WHERE r.recognized_on <= $1",
                    $crate::registry::held_on_param_1(),
                    $crate::registry::group_recognitions()
                ))
                .bind(as_of)
                .fetch_one(&mut *self.reader().await?)
                .await?;
                Ok($crate::registry::HeldCounts {
                    held,
                    recognized_total,
                })
            }

            async fn held_breakdown(&self, as_of: &str) -> Result<$crate::registry::HeldBreakdown, StoreError> {
                // The held set first, once (materialised): the latest-status subquery must not
                // run again per figure or per joined row.
                let rows: Vec<(String, Option<String>, i64)> = sqlx::query_as(&format!(
                    "WITH recognised AS MATERIALIZED {groups}, \
                     held AS MATERIALIZED (SELECT r.person_id FROM recognised r WHERE {held}) \
                     SELECT 'held' AS part, NULL AS k, COUNT(*) AS n FROM held \
                     UNION ALL SELECT 'recognised', NULL, COUNT(*) FROM recognised r WHERE r.recognized_on <= $1 \
                     UNION ALL SELECT 'region', p.region, COUNT(*) FROM held h \
                       JOIN persons p ON p.id = h.person_id GROUP BY p.region \
                     UNION ALL SELECT 'article', a.base, COUNT(DISTINCT h.person_id) FROM held h \
                       JOIN persons m ON {member} = h.person_id \
                       JOIN event_persons ep ON ep.person_id = m.id AND ep.role = 'victim' \
                       JOIN events e ON e.id = ep.event_id AND e.kind = 'criminal_case' \
                       JOIN event_articles a ON a.event_id = e.id GROUP BY a.base",
                    groups = $crate::registry::group_recognitions(),
                    held = $crate::registry::held_on_param_1(),
                    member = $crate::registry::group_of("m"),
                ))
                .bind(as_of)
                .fetch_all(&mut *self.reader().await?)
                .await?;
                let mut out = $crate::registry::HeldBreakdown::default();
                for (part, key, n) in rows {
                    match (part.as_str(), key) {
                        ("held", _) => out.counts.held = n,
                        ("recognised", _) => out.counts.recognized_total = n,
                        ("region", region) => out.by_region.push((region, n)),
                        ("article", Some(base)) => out.by_article.push((base, n)),
                        _ => {}
                    }
                }
                out.by_region.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
                out.by_article.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
                Ok(out)
            }

            async fn detentions_per_month(&self) -> Result<Vec<(String, i64)>, StoreError> {
                Ok(sqlx::query_as(
                    "SELECT substr(date_first, 1, 7) AS month, COUNT(*) FROM events \
                     WHERE kind = 'detention' AND date_first IS NOT NULL \
                     AND substr(date_first, 1, 7) = substr(date_last, 1, 7) \
                     GROUP BY substr(date_first, 1, 7) ORDER BY month",
                )
                .fetch_all(&mut *self.reader().await?)
                .await?)
            }

            async fn sources_of_event(
                &self,
                event: $crate::registry::EventId,
            ) -> Result<Vec<$crate::registry::SourceRow>, StoreError> {
                use sqlx::Row;
                let rows = sqlx::query(
                    "SELECT s.id, s.kind, s.sealed, s.confidentiality, s.created_at_ms FROM sources s \
                     JOIN event_sources es ON es.source_id = s.id WHERE es.event_id = $1 ORDER BY s.id",
                )
                .bind(event)
                .fetch_all(&mut *self.reader().await?)
                .await?;
                rows.iter()
                    .map(|r| {
                        Ok($crate::registry::SourceRow {
                            id: r.try_get("id")?,
                            kind: r.try_get("kind")?,
                            sealed: r.try_get("sealed")?,
                            confidentiality: r.try_get("confidentiality")?,
                            created_at_ms: r.try_get("created_at_ms")?,
                        })
                    })
                    .collect()
            }

            async fn scan_persons(
                &self,
                from: $crate::registry::ScanFrom,
                limit: i64,
            ) -> Result<Vec<$crate::registry::PersonScan>, StoreError> {
                let (clause, args) = registry_sql::scan_clause(from, "p", "", limit);
                let sql = format!(
                    "SELECT p.id, p.identity_sealed, p.region, p.confidentiality, p.merged_into, p.compartment_id, \
                     p.changed_in, p.erased_on FROM persons p {clause}"
                );
                self.read_rows(&sql, &args, |r| {
                    Ok($crate::registry::PersonScan {
                        id: r.i64("id")?,
                        identity_sealed: r.blob("identity_sealed")?,
                        region: r.opt_text("region")?,
                        confidentiality: r.text("confidentiality")?,
                        merged_into: r.opt_i64("merged_into")?,
                        compartment: r.opt_i64("compartment_id")?,
                        changed_in: r.i64("changed_in")?,
                        erased: r.opt_text("erased_on")?.is_some(),
                    })
                })
                .await
            }

            async fn scan_events(
                &self,
                from: $crate::registry::ScanFrom,
                limit: i64,
            ) -> Result<Vec<$crate::registry::EventScan>, StoreError> {
                let (clause, args) = registry_sql::scan_clause(from, "e", "", limit);
                let sql = format!(
                    "SELECT e.id, e.details_sealed, e.confidentiality, e.compartment_id, e.changed_in FROM events e {clause}"
                );
                self.read_rows(&sql, &args, |r| {
                    Ok($crate::registry::EventScan {
                        id: r.i64("id")?,
                        details_sealed: r.blob("details_sealed")?,
                        confidentiality: r.text("confidentiality")?,
                        compartment: r.opt_i64("compartment_id")?,
                        changed_in: r.i64("changed_in")?,
                    })
                })
                .await
            }

            async fn scan_sources(
                &self,
                from: $crate::registry::ScanFrom,
                limit: i64,
            ) -> Result<Vec<$crate::registry::SourceScan>, StoreError> {
                let (clause, args) = registry_sql::scan_clause(from, "s", ", es.event_id", limit);
                let sql = format!(
                    "SELECT s.id, es.event_id, s.sealed, s.confidentiality, s.changed_in FROM sources s \
                     JOIN event_sources es ON es.source_id = s.id {clause}"
                );
                self.read_rows(&sql, &args, |r| {
                    Ok($crate::registry::SourceScan {
                        id: r.i64("id")?,
                        event: r.i64("event_id")?,
                        sealed: r.blob("sealed")?,
                        confidentiality: r.text("confidentiality")?,
                        changed_in: r.i64("changed_in")?,
                    })
                })
                .await
            }

            async fn registry_generation(&self) -> Result<i64, StoreError> {
                let n = self.read_rows("SELECT n FROM registry_clock WHERE id = 1", &[], |row| row.i64("n"));
                n.await?.pop().ok_or(StoreError::Damaged("the registry clock is missing".into()))
            }

            async fn registry_point(&self) -> Result<$crate::registry::RegistryPoint, StoreError> {
                let (generation, audit_seq, audit_hash) = self
                    .read_rows(
                        "SELECT g.n, a.seq, a.hash FROM registry_clock g \
                         LEFT JOIN (SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1) a ON TRUE WHERE g.id = 1",
                        &[],
                        |row| Ok((row.i64("n")?, row.opt_i64("seq")?, row.opt_blob("hash")?)),
                    )
                    .await?
                    .pop()
                    .ok_or(StoreError::Damaged("the registry clock is missing".into()))?;
                Ok($crate::registry::RegistryPoint {
                    generation,
                    audit_seq: audit_seq.unwrap_or(0),
                    audit_hash: match audit_hash {
                        Some(h) => crate::hash32(h, "an audit hash")?,
                        None => razam_core::audit::GENESIS,
                    },
                })
            }

            async fn audit_hash_at(&self, seq: i64) -> Result<Option<[u8; 32]>, StoreError> {
                let hash: Option<Vec<u8>> = sqlx::query_scalar("SELECT hash FROM audit_log WHERE seq = $1")
                    .bind(seq)
                    .fetch_optional(&mut *self.reader().await?)
                    .await?;
                hash.map(|h| crate::hash32(h, "an audit hash")).transpose()
            }

            async fn events_for_list(
                &self,
                ids: &[$crate::registry::EventId],
            ) -> Result<Vec<$crate::registry::EventRow>, StoreError> {
                let select = format!(
                    "SELECT {} FROM events e WHERE e.id IN (",
                    $crate::registry::EVENT_COLUMNS
                );
                registry_sql::rows_by_ids(self, &select, ids, registry_sql::event_from).await
            }

            async fn sources_by_ids(
                &self,
                ids: &[i64],
            ) -> Result<Vec<($crate::registry::EventId, $crate::registry::SourceRow)>, StoreError> {
                let select = "SELECT s.id, es.event_id, s.kind, s.sealed, s.confidentiality, s.created_at_ms \
                              FROM sources s JOIN event_sources es ON es.source_id = s.id WHERE s.id IN (";
                registry_sql::rows_by_ids(self, select, ids, |r| {
                    Ok((
                        r.i64("event_id")?,
                        $crate::registry::SourceRow {
                            id: r.i64("id")?,
                            kind: r.text("kind")?,
                            sealed: r.blob("sealed")?,
                            confidentiality: r.text("confidentiality")?,
                            created_at_ms: r.i64("created_at_ms")?,
                        },
                    ))
                })
                .await
            }

            async fn change_mark(&self) -> Result<i64, StoreError> {
                // The newest entry that is not a read: reads (person pages, searches, reports
                // opened in triage) append entries too, and must not make every figure be
                // counted again. Read through the partial index `audit_log_changes`
                // (migration 0015), whose WHERE clause is this one: no walk past the reads.
                let sql = format!(
                    "SELECT COALESCE((SELECT seq FROM audit_log WHERE {} ORDER BY seq DESC LIMIT 1), 0) AS seq",
                    $crate::registry::CHANGE_ENTRIES
                );
                let seq = self.read_rows(&sql, &[], |row| row.i64("seq")).await?;
                Ok(seq.first().copied().unwrap_or(0))
            }

            async fn versions(
                &self,
                kind: &str,
                record: i64,
            ) -> Result<Vec<$crate::registry::VersionRow>, StoreError> {
                let rows: Vec<(i64, i64, String, Vec<u8>)> = sqlx::query_as(
                    "SELECT version, at_ms, actor, snapshot_sealed FROM record_versions \
                     WHERE kind = $1 AND record_id = $2 ORDER BY version",
                )
                .bind(kind)
                .bind(record)
                .fetch_all(&mut *self.reader().await?)
                .await?;
                Ok(rows
                    .into_iter()
                    .map(|(version, at_ms, actor, snapshot_sealed)| $crate::registry::VersionRow {
                        version,
                        at_ms,
                        actor,
                        snapshot_sealed,
                    })
                    .collect())
            }

            async fn merge(
                &self,
                id: $crate::registry::MergeId,
            ) -> Result<Option<$crate::registry::MergeRow>, StoreError> {
                let row: Option<MergeTuple> = sqlx::query_as(&format!(
                    "SELECT {} FROM person_merges WHERE id = $1",
                    $crate::registry::MERGE_COLUMNS
                ))
                .bind(id)
                .fetch_optional(&mut *self.reader().await?)
                .await?;
                Ok(row.map(merge_from))
            }

            async fn distinct_pairs(
                &self,
            ) -> Result<Vec<($crate::registry::PersonId, $crate::registry::PersonId)>, StoreError> {
                Ok(
                    sqlx::query_as("SELECT low_id, high_id FROM distinct_persons ORDER BY low_id, high_id")
                        .fetch_all(&mut *self.reader().await?)
                        .await?,
                )
            }

            async fn intake(
                &self,
                id: $crate::registry::IntakeId,
            ) -> Result<Option<$crate::registry::IntakeRow>, StoreError> {
                let row: Option<(i64, i64, Vec<u8>, String, Option<String>, Option<i64>, Option<i64>)> =
                    sqlx::query_as(
                        &format!("SELECT {} FROM intake_reports WHERE id = $1", $crate::registry::INTAKE_COLUMNS),
                    )
                    .bind(id)
                    .fetch_optional(&mut *self.reader().await?)
                    .await?;
                Ok(row.map(intake_from))
            }

            async fn intake_queue(
                &self,
                state: &str,
                limit: i64,
            ) -> Result<Vec<$crate::registry::IntakeRow>, StoreError> {
                let rows: Vec<(i64, i64, Vec<u8>, String, Option<String>, Option<i64>, Option<i64>)> =
                    sqlx::query_as(
                        &format!(
                            "SELECT {} FROM intake_reports WHERE state = $1 ORDER BY id LIMIT $2",
                            $crate::registry::INTAKE_COLUMNS
                        ),
                    )
                    .bind(state)
                    .bind(limit)
                    .fetch_all(&mut *self.reader().await?)
                    .await?;
                Ok(rows.into_iter().map(intake_from).collect())
            }
        }

        type MergeTuple = (i64, i64, i64, String, i64, Option<String>, Option<i64>);

        fn merge_from(
            (id, survivor_id, merged_id, merged_by, merged_at_ms, undone_by, undone_at_ms): MergeTuple,
        ) -> $crate::registry::MergeRow {
            $crate::registry::MergeRow {
                id,
                survivor_id,
                merged_id,
                merged_by,
                merged_at_ms,
                undone_by,
                undone_at_ms,
            }
        }

        fn intake_from(
            (id, received_at_ms, report_sealed, state, decided_by, decided_at_ms, person_id): (
                i64,
                i64,
                Vec<u8>,
                String,
                Option<String>,
                Option<i64>,
                Option<i64>,
            ),
        ) -> $crate::registry::IntakeRow {
            $crate::registry::IntakeRow {
                id,
                received_at_ms,
                report_sealed,
                state,
                decided_by,
                decided_at_ms,
                person_id,
            }
        }
    };
}
pub(crate) use impl_registry_store;
