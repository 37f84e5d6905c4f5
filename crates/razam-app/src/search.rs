//! Search: one box that finds persons by any spelling of their names, and events by the words
//! of their details and sources.
//!
//! The names and texts are sealed on disk, so the indexes live in memory: built from the store
//! when the instance is unlocked (the server builds them before it answers), kept current by
//! every registry write this process makes (one hook, [`App::apply_changes`] and
//! [`App::apply_batches`]), and caught up before each search with the records another process
//! wrote (a command-line import or edit while the server runs): every record carries the
//! registry generation that last wrote it (`changed_in`), and the indexes remember the one
//! they show every record at. On disk they exist only sealed, as the snapshot
//! (`search.sealed`, written after a build and at close when they changed) that the next
//! start loads and catches up the same way instead of building: after a kill, a command's
//! edits, anything but an erasure (which deletes it) or a database of another history.
//!
//! A search is a read of sealed data: it is audited like opening a person, with the number of
//! persons and events found, never the words asked for.

mod names;
mod snapshot;
mod text;

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use rayon::prelude::*;
use razam_core::registry::{Confidentiality, EventKind, FuzzyDate};
use razam_store::registry::{Change, EventScan, PersonScan, RegistryOp, RegistryPoint, ScanFrom, SourceScan, Target};
use razam_store::{AuditObject, Store, StoreError};

pub use names::{Meet, NameHit, NameIndex, NameMemo, NameResults, PersonNames, PreparedNames, Reason};
pub use text::{PreparedText, Snippet, TextHit, TextIndex, TextResults};

use crate::registry::{EventDetails, Identity, SEAL_DETAILS, SEAL_IDENTITY, level};
use crate::sources::{SEAL_SOURCE, SourceDetails};
use crate::vault::Sealer;
use crate::{Actor, App, AppError};

/// A page of records being read from the store.
type PageFuture<T> = Pin<Box<dyn Future<Output = Result<Vec<T>, StoreError>> + Send>>;

/// The next page of persons, events or sources a scan reads, `BUILD_PAGE` at most.
fn person_pages(store: Arc<dyn Store>, from: ScanFrom) -> PageFuture<PersonScan> {
    Box::pin(async move { store.scan_persons(from, BUILD_PAGE).await })
}
fn event_pages(store: Arc<dyn Store>, from: ScanFrom) -> PageFuture<EventScan> {
    Box::pin(async move { store.scan_events(from, BUILD_PAGE).await })
}
fn source_pages(store: Arc<dyn Store>, from: ScanFrom) -> PageFuture<SourceScan> {
    Box::pin(async move { store.scan_sources(from, BUILD_PAGE).await })
}

/// Records read from the store per page while an index is built.
const BUILD_PAGE: i64 = 5_000;

/// The in-memory indexes and what they cover.
struct Indexes {
    names: NameIndex,
    text: TextIndex,
    /// Loaded from the sealed snapshot rather than built from the records.
    from_snapshot: bool,
    /// The registry generation (`RegistryStore::registry_generation`) these indexes show
    /// every record at: read before a build, kept in the snapshot, raised to the stored one by
    /// each catch-up and by each write of this process that is the next one. The records
    /// changed in a later generation are the catch-up's to read (again, if already shown).
    covered: i64,
    /// They hold nothing the records no longer hold. False once the names or texts an erasure
    /// took were only marked dead in them (their bytes stay until a build), or a record could
    /// not be shown: such indexes are never sealed, and the next start builds.
    sealable: bool,
    /// Changed since the snapshot on disk was written or loaded.
    unsealed: bool,
}

impl Default for Indexes {
    fn default() -> Indexes {
        Indexes {
            names: NameIndex::default(),
            text: TextIndex::default(),
            from_snapshot: false,
            covered: 0,
            sealable: true,
            unsealed: false,
        }
    }
}

/// The duplicates queue as last computed: the generation, the levels it was computed for,
/// the pairs.
pub(crate) type QueueCache = (u64, Vec<&'static str>, Vec<crate::duplicates::Candidate<i64>>);

/// The app's search state: nothing until first built.
#[derive(Default)]
pub(crate) struct SearchState {
    indexes: RwLock<Option<Indexes>>,
    /// Held across every registry write and its index update, and across a build, so that
    /// the index sees the writes in the order the database committed them.
    writes: tokio::sync::Mutex<()>,
    /// Raised by every registry write of this process and every catch-up that found records:
    /// what is computed from the whole registry (the duplicates queue) is kept until it moves.
    generation: std::sync::atomic::AtomicU64,
    /// The duplicates queue last computed.
    pub(crate) queue: std::sync::Mutex<Option<QueueCache>>,
}

impl SearchState {
    pub(crate) fn generation(&self) -> u64 {
        self.generation.load(std::sync::atomic::Ordering::SeqCst)
    }

    fn moved(&self) {
        self.generation.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }

    fn read(&self) -> RwLockReadGuard<'_, Option<Indexes>> {
        // A panic while the lock was held leaves at worst a stale entry; searching on is
        // better than failing every request.
        self.indexes.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, Option<Indexes>> {
        self.indexes.write().unwrap_or_else(|e| e.into_inner())
    }
}

/// The start of a snapshot's plain tables, before its version.
const SNAPSHOT_MAGIC: &[u8; 8] = b"razamsix";

impl Indexes {
    /// The snapshot's plain tables: where the registry stood (the generation the indexes
    /// show every record at, and an audit entry of its history), then both indexes.
    fn encode(&self, point: &RegistryPoint) -> Vec<u8> {
        let mut e = snapshot::Encoder::default();
        e.buf.extend_from_slice(SNAPSHOT_MAGIC);
        e.u32(snapshot::VERSION);
        e.i64(point.generation);
        e.i64(point.audit_seq);
        e.bytes(&point.audit_hash);
        self.names.encode(&mut e);
        self.text.encode(&mut e);
        e.buf
    }

    /// Reads what [`Indexes::encode`] wrote: the records changed after the point's
    /// generation are the catch-up's to read.
    fn decode(bytes: &[u8]) -> Result<(RegistryPoint, Indexes), snapshot::Refused> {
        let mut d = snapshot::Decoder::new(bytes);
        if &d.fixed::<8>()? != SNAPSHOT_MAGIC || d.u32()? != snapshot::VERSION {
            return Err(snapshot::Refused::Damaged("not a snapshot of this version"));
        }
        let generation = d.i64()?;
        let audit_seq = d.i64()?;
        let audit_hash: [u8; 32] = d
            .bytes()?
            .try_into()
            .map_err(|_| snapshot::Refused::Damaged("an audit hash of another length"))?;
        let names = NameIndex::decode(&mut d)?;
        let text = TextIndex::decode(&mut d)?;
        d.finished()?;
        Ok((
            RegistryPoint {
                generation,
                audit_seq,
                audit_hash,
            },
            Indexes {
                names,
                text,
                from_snapshot: true,
                covered: generation,
                sealable: true,
                unsealed: false,
            },
        ))
    }
}

/// A record a write made, opened for the index.
enum Staged {
    Person {
        id: i64,
        names: PreparedNames,
        region: Option<String>,
        level: Confidentiality,
        merge: PersonMerge,
    },
    /// Person `merged` was merged into `survivor`.
    Merge { survivor: i64, merged: i64 },
    /// Merge `merge` was undone; `merged` is its merged person once looked up.
    Unmerge { merge: i64, merged: Option<i64> },
    Event {
        id: i64,
        text: PreparedText,
        level: Confidentiality,
    },
    Source {
        id: i64,
        event: i64,
        text: PreparedText,
        level: Confidentiality,
    },
}

/// What a staged person says of their merge.
enum PersonMerge {
    /// An edit of this process: the merge stays as the index has it (by id).
    Kept,
    /// As the store's row says: merged into this survivor, or standing alone.
    Row(Option<i64>),
}

/// What the name index keys of an identity.
fn person_names(i: &Identity) -> PreparedNames {
    PreparedNames::of(&names_of(i))
}

fn names_of(i: &Identity) -> PersonNames<'_> {
    PersonNames {
        family_name: &i.family_name,
        given_name: &i.given_name,
        patronymic: &i.patronymic,
        variants: &i.variants,
        birth_date: &i.birth_date,
    }
}

/// What the text index takes of an event: its description, settlement, facility, district.
fn event_text(d: &EventDetails) -> PreparedText {
    PreparedText::of(&[
        d.description.as_str(),
        d.settlement.as_str(),
        d.facility.as_str(),
        d.district.as_str(),
    ])
}

/// What the text index takes of a source: its title, reference and notes.
fn source_text(d: &SourceDetails) -> PreparedText {
    PreparedText::of(&[d.title.as_str(), d.reference.as_str(), d.notes.as_str()])
}

impl Indexes {
    fn add(&mut self, staged: Staged) {
        match staged {
            Staged::Person {
                id,
                names,
                region,
                level,
                merge,
            } => {
                if !self.names.insert(id, names, region.as_deref(), level) {
                    tracing::error!(
                        person = id,
                        "the name index is full: this person cannot be found by search"
                    );
                }
                match merge {
                    PersonMerge::Kept => {}
                    PersonMerge::Row(Some(survivor)) => self.names.merge(survivor, id),
                    PersonMerge::Row(None) => self.names.unmerge(id),
                }
            }
            Staged::Merge { survivor, merged } => self.names.merge(survivor, merged),
            Staged::Unmerge { merged, .. } => {
                if let Some(merged) = merged {
                    self.names.unmerge(merged);
                }
            }
            Staged::Event { id, text, level } => {
                if !self.text.insert_event(id, level, text) {
                    tracing::error!(
                        event = id,
                        "the text index is full: this event cannot be found by search"
                    );
                }
            }
            Staged::Source { id, event, text, level } => {
                if !self.text.insert_source(id, event, level, text) {
                    tracing::error!(
                        source = id,
                        "the text index is full: this source cannot be found by search"
                    );
                }
            }
        }
    }
}

/// The staged record, or `None` with the reason logged: a record that does not open is
/// damaged (its own page says so) and search leaves it out rather than fail every search.
fn left_out(staged: Result<Staged, AppError>, kind: &str, id: i64) -> Option<Staged> {
    staged
        .inspect_err(|e| tracing::error!(error = %e, kind, id, "a record does not open; search leaves it out"))
        .ok()
}

/// What a search's audit entry says: how many persons and events it found and, by id, the
/// restricted ones among those it showed (never the words asked for).
fn search_entry(persons: &NameResults, text: &TextResults) -> String {
    let mut entry = format!("search:{} persons,{} events", persons.any, text.total);
    let restricted_persons = crate::registry::restricted_ids(persons.hits.iter().map(|h| (h.id, h.level)));
    let restricted_events: Vec<i64> = text.hits.iter().filter(|h| h.restricted).map(|h| h.event).collect();
    for (kind, ids) in [("persons", restricted_persons), ("events", restricted_events)] {
        if !ids.is_empty() {
            entry.push_str(&format!("; restricted {kind}:{}", crate::registry::id_list(&ids)));
        }
    }
    entry
}

/// A record as the store's scans give it, opened for the index.
trait Scanned: Send + 'static {
    const KIND: &'static str;
    fn id(&self) -> i64;
    /// The generation that last wrote the record.
    fn changed_in(&self) -> i64;
    /// An erased person: a catch-up that reads one found an erasure since the indexes'
    /// generation, whose words may linger in them as dead bytes.
    fn erased(&self) -> bool {
        false
    }
    /// Opens the record; `memo` holds what earlier records of the same build keyed.
    fn open(self, sealer: &Sealer, memo: &NameMemo) -> Result<Staged, AppError>;
}

impl Scanned for PersonScan {
    const KIND: &'static str = "person";
    fn id(&self) -> i64 {
        self.id
    }
    fn changed_in(&self) -> i64 {
        self.changed_in
    }
    fn erased(&self) -> bool {
        self.erased
    }
    fn open(self, sealer: &Sealer, memo: &NameMemo) -> Result<Staged, AppError> {
        let identity: Identity = sealer.open_json(SEAL_IDENTITY, &self.identity_sealed)?;
        Ok(Staged::Person {
            id: self.id,
            names: PreparedNames::of_memo(&names_of(&identity), memo),
            region: self.region,
            level: level(&self.confidentiality)?,
            merge: PersonMerge::Row(self.merged_into),
        })
    }
}

impl Scanned for EventScan {
    const KIND: &'static str = "event";
    fn id(&self) -> i64 {
        self.id
    }
    fn changed_in(&self) -> i64 {
        self.changed_in
    }
    fn open(self, sealer: &Sealer, _: &NameMemo) -> Result<Staged, AppError> {
        Ok(Staged::Event {
            id: self.id,
            text: event_text(&sealer.open_json(SEAL_DETAILS, &self.details_sealed)?),
            level: level(&self.confidentiality)?,
        })
    }
}

impl Scanned for SourceScan {
    const KIND: &'static str = "source";
    fn id(&self) -> i64 {
        self.id
    }
    fn changed_in(&self) -> i64 {
        self.changed_in
    }
    fn open(self, sealer: &Sealer, _: &NameMemo) -> Result<Staged, AppError> {
        Ok(Staged::Source {
            id: self.id,
            event: self.event,
            text: source_text(&sealer.open_json(SEAL_SOURCE, &self.sealed)?),
            level: level(&self.confidentiality)?,
        })
    }
}

/// An event found, as its reader may see it.
#[derive(Debug, Clone)]
pub struct EventHit {
    pub id: i64,
    pub kind: EventKind,
    pub date: Option<FuzzyDate>,
    pub region: Option<String>,
    /// The source whose text matched, when the event's own details did not.
    pub source: Option<i64>,
    pub snippet: Option<Snippet>,
}

/// What one search found.
#[derive(Debug, Clone, Default)]
pub struct SearchResults {
    pub persons: NameResults,
    /// Readable events found, of which `events` are the newest.
    pub events_total: usize,
    pub events: Vec<EventHit>,
}

/// How large the indexes are, for the operator and the benchmarks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SearchStats {
    pub persons: usize,
    pub events: usize,
    pub sources: usize,
    /// An estimate of the memory the indexes hold.
    pub heap_bytes: usize,
    /// The indexes were loaded from the sealed snapshot (and caught up), not built from
    /// every record.
    pub from_snapshot: bool,
}

impl App {
    /// Opens what a batch of changes wrote, for the index. A record that does not open is
    /// logged and left out of search (it is damaged, and its own page will say so); then
    /// returns false, and the write is not counted as shown (the next catch-up reads it).
    fn stage(&self, changes: &[Change], ids: &[i64], out: &mut Vec<Staged>) -> bool {
        let mut shown = true;
        for (change, &id) in changes.iter().zip(ids) {
            let staged = match &change.op {
                RegistryOp::CreatePerson(p) | RegistryOp::UpdatePerson { person: p, .. } => (|| {
                    Ok::<_, AppError>(Staged::Person {
                        id,
                        names: person_names(&self.open_json(SEAL_IDENTITY, &p.identity_sealed)?),
                        region: p.region.clone(),
                        level: level(p.confidentiality)?,
                        // An edit leaves a merge as it is: the index remembers it by id.
                        merge: PersonMerge::Kept,
                    })
                })(),
                RegistryOp::MergePersons { survivor, merged, .. } => Ok(Staged::Merge {
                    survivor: *survivor,
                    merged: *merged,
                }),
                RegistryOp::UndoMerge { merge } => Ok(Staged::Unmerge {
                    merge: *merge,
                    merged: None,
                }),
                RegistryOp::CreateEvent(e) | RegistryOp::UpdateEvent { event: e, .. } => (|| {
                    Ok(Staged::Event {
                        id,
                        text: event_text(&self.open_json(SEAL_DETAILS, &e.details_sealed)?),
                        level: level(e.confidentiality)?,
                    })
                })(),
                RegistryOp::AddSource {
                    event,
                    sealed,
                    confidentiality,
                    ..
                } => (|| {
                    let event = match *event {
                        Target::Existing(e) => e,
                        Target::New(i) => *ids.get(i).ok_or(AppError::NotFound("the event of a source"))?,
                    };
                    Ok(Staged::Source {
                        id,
                        event,
                        text: source_text(&self.open_json(SEAL_SOURCE, sealed)?),
                        level: level(confidentiality)?,
                    })
                })(),
                _ => continue,
            };
            let opened = left_out(staged, change.op.kind(), id);
            shown &= opened.is_some();
            out.extend(opened);
        }
        shown
    }

    /// Finds the merged person of each undone merge (the op names the merge only). Runs
    /// after the commit: a failed look-up is logged and returns false, the person then still
    /// shows as merged in search until the next catch-up reads their row.
    async fn look_up_unmerged(&self, staged: &mut [Staged]) -> bool {
        let mut shown = true;
        for s in staged {
            if let Staged::Unmerge { merge, merged } = s {
                match self.store.merge(*merge).await {
                    Ok(Some(row)) => *merged = Some(row.merged_id),
                    Ok(None) => tracing::error!(merge = *merge, "an undone merge is not stored"),
                    Err(e) => tracing::error!(error = %e, merge = *merge, "an undone merge does not read"),
                }
                shown &= merged.is_some();
            }
        }
        shown
    }

    fn index_staged(&self, staged: Vec<Staged>) {
        let mut guard = self.search.write();
        if let Some(ix) = guard.as_mut() {
            for s in staged {
                ix.add(s);
            }
        }
    }

    fn search_built(&self) -> bool {
        self.search.read().is_some()
    }

    /// After a registry write of this process, under the registry's write lock: when the
    /// `generation` it wrote is the next one and every change of it was `shown`, the indexes
    /// show every record at it. Otherwise another process wrote in between, or a change could
    /// not be shown, and the catch-up reads what was written since (again).
    fn count_own_write(&self, generation: i64, shown: bool) {
        if let Some(ix) = self.search.write().as_mut() {
            ix.unsealed = true;
            if shown && generation == ix.covered + 1 {
                ix.covered = generation;
            }
        }
    }

    /// The indexes may hold what the records no longer do (an erasure's words as dead
    /// bytes), or lack what they do: never sealed, the next start builds.
    fn forbid_sealing(&self) {
        if let Some(ix) = self.search.write().as_mut() {
            ix.sealable = false;
        }
    }

    /// At close: catches the indexes up and seals them into the snapshot when they changed
    /// since it was written, so that the next start loads them instead of building (issue 9:
    /// a restart after edits at 1,000,000 persons). A generation that moved meanwhile leaves
    /// the snapshot on disk as it is: the next start loads that one and catches up further.
    /// Errors are logged, never raised: the records are safe whatever happens to the
    /// snapshot.
    pub(crate) async fn seal_search(&self) {
        let _writes = self.search.writes.lock().await;
        if !self.search_built() {
            return;
        }
        if let Err(e) = self.catch_up_locked().await {
            tracing::error!(error = %e, "the search index does not catch up: not sealed");
            return;
        }
        let covered = match self.search.read().as_ref() {
            Some(Indexes {
                unsealed: true,
                sealable: true,
                covered,
                ..
            }) => *covered,
            Some(Indexes { unsealed: true, .. }) => {
                tracing::info!(
                    "the search index holds an erasure's words as dead bytes, or lacks a record: not sealed, the next start builds it"
                );
                return;
            }
            _ => return,
        };
        // From the check to the rename: an erasure (of any process) waits, or is seen.
        let _snapshot = match snapshot::lock(&self.config.data_dir).await {
            Ok(lock) => lock,
            Err(e) => {
                tracing::error!(error = %e, "the search snapshot cannot be locked: the search index is not sealed");
                return;
            }
        };
        let point = match self.store.registry_point().await {
            Ok(point) if point.generation == covered => point,
            Ok(_) => {
                tracing::info!(
                    "the registry was written by another process meanwhile: not sealed, the next start catches up from the snapshot on disk"
                );
                return;
            }
            Err(e) => {
                tracing::error!(error = %e, "the registry generation does not read: the search index is not sealed");
                return;
            }
        };
        let Some(ix) = self.search.write().take() else { return };
        match self.write_snapshot(ix, point).await {
            Ok(mut ix) => {
                ix.unsealed = false;
                *self.search.write() = Some(ix);
            }
            Err(e) => tracing::error!(error = %e, "sealing the search index failed"),
        }
    }

    /// Applies one batch of changes in one transaction, and shows them to the search index.
    /// Every registry write of the app goes through here or [`App::apply_batches`].
    pub(crate) async fn apply_changes(&self, changes: &[Change]) -> Result<Vec<i64>, AppError> {
        let _writes = self.search.writes.lock().await;
        let (ids, generation) = self.store.apply(changes).await?;
        self.search.moved();
        if self.search_built() {
            let mut staged = Vec::new();
            let opened = self.stage(changes, &ids, &mut staged);
            let looked_up = self.look_up_unmerged(&mut staged).await;
            self.index_staged(staged);
            self.count_own_write(generation, opened && looked_up);
        }
        Ok(ids)
    }

    /// Writes an erasure in one transaction under the registry's write lock, then makes the
    /// indexes forget the erased persons' names and read the redacted texts again: nothing
    /// of them is found by search from the moment the erasure is committed.
    pub(crate) async fn apply_erasure(
        &self,
        erasure: &razam_store::erasure::ErasureWrite,
        audit: &razam_store::AuditEvent,
        texts: crate::erasure::RedactedTexts,
    ) -> Result<(), AppError> {
        let _writes = self.search.writes.lock().await;
        // Before the erasure commits, and under the snapshot's lock until it has: a snapshot
        // taken earlier holds the names being erased, sealed, and none may stay behind or be
        // written meanwhile by another process (a failed erasure only costs the next start a
        // build).
        let _snapshot = snapshot::lock(&self.config.data_dir)
            .await
            .map_err(AppError::io("locking the search snapshot"))?;
        snapshot::remove(&self.snapshot_path()).map_err(AppError::io("removing the search snapshot"))?;
        self.store.erase_person(erasure, audit).await?;
        self.search.moved();
        // The indexes only mark the erased names dead (their bytes stay until a build): never
        // sealed again from memory, the next start builds.
        self.forbid_sealing();
        if let Some(ix) = self.search.write().as_mut() {
            for (id, _) in &erasure.persons {
                ix.names.remove(*id);
            }
            for (id, level, details) in &texts.events {
                ix.text.insert_event(*id, *level, event_text(details));
            }
            for (id, event, level, details) in &texts.sources {
                ix.text.insert_source(*id, *event, *level, source_text(details));
            }
        }
        Ok(())
    }

    /// Applies the batches `next` gives in one transaction (a long import), then shows what
    /// they wrote to the search index. Returns the number of changes applied.
    pub(crate) async fn apply_batches(
        &self,
        next: &mut (dyn FnMut() -> Result<Option<Vec<Change>>, razam_store::StoreError> + Send),
    ) -> Result<usize, AppError> {
        self.apply_batches_seeing(next, &mut |_, _| {}).await
    }

    /// [`App::apply_batches`], telling `seen` each batch's ids once written (inside the
    /// transaction), so that a later batch can name what an earlier one created.
    pub(crate) async fn apply_batches_seeing(
        &self,
        next: &mut (dyn FnMut() -> Result<Option<Vec<Change>>, razam_store::StoreError> + Send),
        seen: &mut (dyn for<'c> FnMut(&'c [Change], &'c [i64]) + Send),
    ) -> Result<usize, AppError> {
        let _writes = self.search.writes.lock().await;
        let indexing = self.search_built();
        let mut staged = Vec::new();
        let mut opened = true;
        let (applied, generation) = self
            .store
            .apply_batches(next, &mut |changes, ids| {
                seen(changes, ids);
                if indexing {
                    opened &= self.stage(changes, ids, &mut staged);
                }
            })
            .await?;
        self.search.moved();
        // Only now, after the commit: a failed import leaves the index as it was.
        let looked_up = self.look_up_unmerged(&mut staged).await;
        self.index_staged(staged);
        if indexing {
            self.count_own_write(generation, opened && looked_up);
        }
        Ok(applied)
    }

    /// Builds the search indexes if they are not built yet (the server calls this before it
    /// answers, so that it is ready when it listens), or catches them up with what another
    /// process wrote. Returns their size.
    pub async fn prepare_search(&self) -> Result<SearchStats, AppError> {
        self.catch_up_search(None).await?;
        Ok(self.search_stats())
    }

    pub fn search_stats(&self) -> SearchStats {
        match self.search.read().as_ref() {
            Some(ix) => {
                let (events, sources) = ix.text.len();
                SearchStats {
                    persons: ix.names.len(),
                    events,
                    sources,
                    heap_bytes: ix.names.heap_bytes() + ix.text.heap_bytes(),
                    from_snapshot: ix.from_snapshot,
                }
            }
            None => SearchStats::default(),
        }
    }

    /// Brings the indexes to the stored generation: nothing to read when nothing moved
    /// (before each search), else [`App::catch_up_locked`] under the registry's write lock.
    /// `seen` is the generation a request's session check read ([`Actor::registry_generation`]):
    /// the request needs every write committed before it began, and those are at or below it;
    /// without it (a command, an API call, the server's start) the clock is read here.
    async fn catch_up_search(&self, seen: Option<i64>) -> Result<(), AppError> {
        let stored = match seen {
            Some(read) => read,
            None => self.store.registry_generation().await?,
        };
        if self.search.read().as_ref().is_some_and(|ix| ix.covered >= stored) {
            return Ok(());
        }
        let _writes = self.search.writes.lock().await;
        self.catch_up_locked().await
    }

    /// Loads the indexes from the snapshot, or builds them, if there are none yet; then reads
    /// every record changed after the generation they show (by another process: a command,
    /// or this instance before a kill) and shows it. Runs under the registry's write lock.
    async fn catch_up_locked(&self) -> Result<(), AppError> {
        let started = std::time::Instant::now();
        let mut opened = false;
        if !self.search_built() {
            // Loaded or built whole, and caught up, off the lock, then put in place: nothing
            // searches a half-built index.
            let mut ready = match self.load_snapshot().await {
                Some(loaded) => loaded,
                None => self.build_and_seal().await?,
            };
            let stored = self.store.registry_generation().await?;
            if ready.covered != stored {
                ready = self.read_into(ready).await?;
                if ready.from_snapshot && !ready.sealable {
                    // Never search with a snapshot older than an erasure: its words would
                    // stay in memory, if not found; nor keep it on disk.
                    tracing::info!("an erasure since the search snapshot: building the indexes from the records");
                    self.remove_snapshot_after_erasure().await;
                    ready = self.build_and_seal().await?;
                    ready = self.read_into(ready).await?;
                }
                ready.covered = ready.covered.max(stored);
            }
            *self.search.write() = Some(ready);
            opened = true;
        }
        // Read before the records: a write after it is read again by the next catch-up.
        let stored = self.store.registry_generation().await?;
        let covered = match self.search.read().as_ref() {
            Some(ix) => ix.covered,
            None => return Err(AppError::NotFound("the search index")),
        };
        if stored != covered {
            let from = ScanFrom::changed_since(covered);
            let (found, erased) = self.catch_up_pages(from).await?;
            if erased {
                self.remove_snapshot_after_erasure().await;
            }
            self.search.moved();
            if let Some(ix) = self.search.write().as_mut() {
                ix.covered = ix.covered.max(stored);
                ix.unsealed |= found > 0;
                ix.sealable &= !erased;
            }
        }
        if opened {
            let stats = self.search_stats();
            tracing::info!(
                persons = stats.persons,
                events = stats.events,
                sources = stats.sources,
                heap_mib = stats.heap_bytes / (1024 * 1024),
                from_snapshot = stats.from_snapshot,
                ms = started.elapsed().as_millis() as u64,
                "search index ready"
            );
        }
        Ok(())
    }

    /// Builds the indexes from every record, showing them at the generation read before the
    /// build, and seals them unless the registry was written during it (an erasure of
    /// another process above all), as checked under the snapshot's lock.
    async fn build_and_seal(&self) -> Result<Indexes, AppError> {
        let generation = self.store.registry_generation().await?;
        let mut built = self.build_indexes().await?;
        built.covered = generation;
        match snapshot::lock(&self.config.data_dir).await {
            Ok(_snapshot) => {
                let point = self.store.registry_point().await?;
                if point.generation == generation {
                    built = self.write_snapshot(built, point).await?;
                } else {
                    tracing::info!("the registry was written during the build: no snapshot until the close");
                    built.unsealed = true;
                }
            }
            Err(e) => tracing::error!(error = %e, "the search snapshot cannot be locked: not written"),
        }
        Ok(built)
    }

    /// A catch-up read an erasure made by another process: the snapshot on disk may be older
    /// and hold the erased names (an erasure removes the one of its own data folder only, and
    /// a copy may have been put back), so it is removed, under the snapshot's lock. Errors
    /// are logged: the indexes in memory are never sealed after it either way.
    async fn remove_snapshot_after_erasure(&self) {
        let removed = match snapshot::lock(&self.config.data_dir).await {
            Ok(_lock) => snapshot::remove(&self.snapshot_path()),
            Err(e) => Err(e),
        };
        if let Err(e) = removed {
            tracing::error!(error = %e, "the search snapshot from before an erasure could not be removed");
        }
    }

    fn snapshot_path(&self) -> std::path::PathBuf {
        self.config.data_dir.join(snapshot::FILE)
    }

    /// The indexes from the sealed snapshot, if there is one and it is of this registry: it
    /// decrypts and decodes, the registry's generation is not below the snapshot's, and the
    /// audit chain holds the entry the snapshot names (a database restored from an older
    /// dump does not). The records changed since are the caller's to read. Otherwise
    /// `None`, with the reason logged: the caller builds from the records.
    async fn load_snapshot(&self) -> Option<Indexes> {
        let path = self.snapshot_path();
        if !path.exists() {
            tracing::info!("no search snapshot: building the indexes from the records");
            return None;
        }
        let started = std::time::Instant::now();
        let key = self.keys.search_snapshot.clone();
        let opened = tokio::task::spawn_blocking(move || Indexes::decode(&snapshot::read(&path, &key)?)).await;
        let (point, indexes) = match opened {
            Ok(Ok(loaded)) => loaded,
            Ok(Err(reason)) => {
                tracing::warn!(%reason, "the search snapshot is refused: building the indexes from the records");
                return None;
            }
            Err(e) => {
                tracing::error!(error = %e, "reading the search snapshot failed: building the indexes from the records");
                return None;
            }
        };
        let (generation, hash) = match (
            self.store.registry_generation().await,
            self.store.audit_hash_at(point.audit_seq).await,
        ) {
            (Ok(generation), Ok(hash)) => (generation, hash),
            (Err(e), _) | (_, Err(e)) => {
                tracing::error!(error = %e, "the registry does not read: building the indexes from the records");
                return None;
            }
        };
        if generation < point.generation || hash != Some(point.audit_hash) {
            tracing::warn!(
                snapshot = point.generation,
                registry = generation,
                "the search snapshot is of another history of the registry (a restored database?): building the indexes from the records"
            );
            return None;
        }
        tracing::info!(
            ms = started.elapsed().as_millis() as u64,
            changes_since = generation - point.generation,
            "search snapshot loaded; reading the records changed since"
        );
        Some(indexes)
    }

    /// Seals the indexes into the snapshot, with the point they show the registry at, and
    /// gives them back. Runs under the registry's write lock and the snapshot's lock, so that
    /// no write (an erasure above all) falls between the point and the file. A snapshot that
    /// cannot be written is logged: the next start loads the older one, or builds.
    async fn write_snapshot(&self, built: Indexes, point: RegistryPoint) -> Result<Indexes, AppError> {
        let path = self.snapshot_path();
        let key = self.keys.search_snapshot.clone();
        let started = std::time::Instant::now();
        let (built, written) = tokio::task::spawn_blocking(move || {
            let plain = built.encode(&point);
            let written = snapshot::write(&path, &key, &plain).map(|()| plain.len());
            (built, written)
        })
        .await
        .map_err(|e| AppError::Store(StoreError::Damaged(e.to_string())))?;
        match written {
            Ok(bytes) => tracing::info!(
                mib = bytes / (1024 * 1024),
                ms = started.elapsed().as_millis() as u64,
                "search snapshot sealed"
            ),
            Err(e) => {
                tracing::error!(error = %e, "the search snapshot could not be written; the next start loads the older one or builds")
            }
        }
        Ok(built)
    }

    /// Builds both indexes from every stored record, on two tasks: persons into the name
    /// index, events and then sources into the text index. Each reads its next page while a
    /// blocking thread opens and indexes the page before, so the database's work, the
    /// unsealing and the indexing of the two overlap on the machine's cores.
    async fn build_indexes(&self) -> Result<Indexes, AppError> {
        let store = &self.store;
        let sealer = &self.keys.sealer;
        let start = ScanFrom::Id(0);
        let persons = tokio::spawn(scan_into(
            store.clone(),
            sealer.clone(),
            Indexes::default(),
            start,
            person_pages,
        ));
        let (store2, sealer2) = (store.clone(), sealer.clone());
        let texts = tokio::spawn(async move {
            let ix = scan_into(store2.clone(), sealer2.clone(), Indexes::default(), start, event_pages).await?;
            scan_into(store2, sealer2, ix, start, source_pages).await
        });
        let joined = |r: Result<Result<Indexes, AppError>, tokio::task::JoinError>| {
            r.map_err(|e| AppError::Store(StoreError::Damaged(e.to_string())))?
        };
        let (persons, texts) = (joined(persons.await)?, joined(texts.await)?);
        Ok(Indexes {
            names: persons.names,
            text: texts.text,
            sealable: persons.sealable && texts.sealable,
            ..Indexes::default()
        })
    }

    /// Reads the records changed after `ix`'s generation into it before it is in place (a
    /// start's catch-up): persons, then events, then sources.
    async fn read_into(&self, ix: Indexes) -> Result<Indexes, AppError> {
        let (store, sealer) = (&self.store, &self.keys.sealer);
        let from = ScanFrom::changed_since(ix.covered);
        let ix = scan_into(store.clone(), sealer.clone(), ix, from, person_pages).await?;
        let ix = scan_into(store.clone(), sealer.clone(), ix, from, event_pages).await?;
        scan_into(store.clone(), sealer.clone(), ix, from, source_pages).await
    }

    /// Reads the records `from` names into the indexes in place, page by page: persons, then
    /// events, then sources. Returns how many it read and whether one was an erased person.
    async fn catch_up_pages(&self, from: ScanFrom) -> Result<(usize, bool), AppError> {
        let (persons, erased) = self.scan_pages(from, person_pages).await?;
        let (events, _) = self.scan_pages(from, event_pages).await?;
        let (sources, _) = self.scan_pages(from, source_pages).await?;
        Ok((persons + events + sources, erased))
    }

    /// Reads the records `from` names page by page, opens them and shows them to the
    /// indexes in place, reading the next page on another task meanwhile. Returns how many it
    /// read and whether one was an erased person.
    async fn scan_pages<T: Scanned>(
        &self,
        mut from: ScanFrom,
        fetch: impl Fn(Arc<dyn Store>, ScanFrom) -> PageFuture<T>,
    ) -> Result<(usize, bool), AppError> {
        let (mut read, mut erased) = (0, false);
        let memo = NameMemo::default();
        let mut next = tokio::spawn(fetch(self.store.clone(), from));
        loop {
            let page = next
                .await
                .map_err(|e| AppError::Store(StoreError::Damaged(e.to_string())))??;
            let Some(last) = page.last() else { break };
            from = from.after(last.changed_in(), last.id());
            read += page.len();
            next = tokio::spawn(fetch(self.store.clone(), from));
            let mut left_out_any = false;
            let staged = page
                .into_iter()
                .filter_map(|r| {
                    erased |= r.erased();
                    let (kind, id) = (T::KIND, r.id());
                    let opened = left_out(r.open(&self.keys.sealer, &memo), kind, id);
                    left_out_any |= opened.is_none();
                    opened
                })
                .collect();
            self.index_staged(staged);
            if left_out_any {
                self.forbid_sealing();
            }
        }
        Ok((read, erased))
    }

    /// Persons whose names meet the query in any script or spelling, and events whose
    /// details or sources hold all its words; only what `actor` may read, at most `limit` of
    /// each. The search is audited with what it found, never with what was asked.
    pub async fn search(&self, actor: &Actor, query: &str, limit: usize) -> Result<SearchResults, AppError> {
        let levels = self.readable_levels(actor)?;
        let may_read = |l: Confidentiality| levels.contains(&l.as_str());
        let query = query.trim();
        if query.is_empty() {
            return Ok(SearchResults::default());
        }
        let started = std::time::Instant::now();
        self.catch_up_search(actor.registry_generation()).await?;
        let (hidden_persons, hidden_events) = self.out_of_sight(actor).await?;
        let caught_up = started.elapsed();
        let (persons, text) = {
            let guard = self.search.read();
            let Some(ix) = guard.as_ref() else {
                return Err(AppError::NotFound("the search index"));
            };
            (
                ix.names.search_hiding(query, may_read, &hidden_persons, limit),
                ix.text.search_hiding(query, may_read, &hidden_events, limit),
            )
        };
        let searched = started.elapsed();
        // The audit entry is written while the events shown are opened; the results are
        // returned only once it is durable.
        let entry = self.event(
            actor,
            "registry.search",
            AuditObject::Named(search_entry(&persons, &text)),
        );
        let (audited, events) = tokio::join!(
            async {
                let r = self.audit_read(entry).await;
                (r, started.elapsed())
            },
            async {
                let r = self.event_hits(&text).await;
                (r, started.elapsed())
            }
        );
        let ((audited, audited_at), (events, opened_at)) = (audited, events);
        audited?;
        let events = events?;
        // Times and counts only: never the words asked for.
        tracing::debug!(
            persons = persons.any,
            events = text.total,
            catch_up_us = caught_up.as_micros() as u64,
            index_us = (searched - caught_up).as_micros() as u64,
            events_us = (opened_at - searched).as_micros() as u64,
            audit_us = (audited_at - searched).as_micros() as u64,
            "search"
        );
        Ok(SearchResults {
            persons,
            events_total: text.total,
            events,
        })
    }

    /// The persons and the events in a compartment out of `actor`'s sight: the indexes know
    /// levels, not compartments, so a search leaves these out of its hits and its counts alike
    /// (a count that took them in would tell an outsider they exist).
    async fn out_of_sight(
        &self,
        actor: &Actor,
    ) -> Result<(std::collections::HashSet<i64>, std::collections::HashSet<i64>), AppError> {
        let scope = self.scope(actor);
        if scope == crate::compartments::Scope::All {
            return Ok(Default::default());
        }
        let (persons, events) = self.store.compartmented_records().await?;
        let unseen = |records: Vec<(i64, razam_store::compartments::CompartmentId)>| {
            records
                .into_iter()
                .filter(|(_, c)| !scope.sees(Some(*c)))
                .map(|(id, _)| id)
                .collect()
        };
        Ok((unseen(persons), unseen(events)))
    }

    /// The events of text hits with a snippet of what matched, in the hits' order.
    async fn event_hits(&self, text: &TextResults) -> Result<Vec<EventHit>, AppError> {
        let ids: Vec<i64> = text.hits.iter().map(|h| h.event).collect();
        let rows = self.store.events_for_list(&ids).await?;
        let source_ids: Vec<i64> = text.hits.iter().filter_map(|h| h.source).collect();
        let sources = if source_ids.is_empty() {
            Vec::new()
        } else {
            self.store.sources_by_ids(&source_ids).await?
        };
        let mut out = Vec::with_capacity(text.hits.len());
        for hit in &text.hits {
            // A record gone since the index saw it (none are deleted today) is left out.
            let Some(row) = rows.iter().find(|r| r.id == hit.event) else {
                continue;
            };
            let view = self.event_view(row)?;
            let snippet = match hit.source {
                None => {
                    let d = &view.details;
                    text::snippet(&[&d.description, &d.settlement, &d.facility, &d.district], &text.terms)
                }
                Some(source) => match sources.iter().find(|(_, s)| s.id == source) {
                    Some((_, s)) => {
                        let d: SourceDetails = self.open_json(SEAL_SOURCE, &s.sealed)?;
                        text::snippet(&[&d.title, &d.notes, &d.reference], &text.terms)
                    }
                    None => None,
                },
            };
            out.push(EventHit {
                id: view.id,
                kind: view.kind,
                date: view.date,
                region: view.region,
                source: hit.source,
                snippet,
            });
        }
        Ok(out)
    }

    /// Runs `f` over the person-name index, built or caught up first (a process that has not
    /// built it builds it here) to what `actor`'s request must see.
    pub(crate) async fn with_names<R>(&self, actor: &Actor, f: impl FnOnce(&NameIndex) -> R) -> Result<R, AppError> {
        self.catch_up_search(actor.registry_generation()).await?;
        let guard = self.search.read();
        let Some(ix) = guard.as_ref() else {
            return Err(AppError::NotFound("the search index"));
        };
        Ok(f(&ix.names))
    }

    /// Runs `f` over the person-name index if this process has built it.
    pub(crate) fn if_names_built<R>(&self, f: impl FnOnce(&NameIndex) -> R) -> Option<R> {
        self.search.read().as_ref().map(|ix| f(&ix.names))
    }

    /// The persons whose names hold a word meeting `word` at least as well as `at_least`,
    /// with their family and given names as the index holds them: (id, level, family, given).
    pub(crate) async fn persons_by_name(
        &self,
        actor: &Actor,
        word: &str,
        at_least: Meet,
    ) -> Result<Vec<(i64, Confidentiality, String, String)>, AppError> {
        self.catch_up_search(actor.registry_generation()).await?;
        let guard = self.search.read();
        let Some(ix) = guard.as_ref() else {
            return Ok(Vec::new());
        };
        Ok(ix
            .names
            .persons_meeting(word, at_least)
            .into_iter()
            .filter_map(|id| ix.names.person(id))
            .collect())
    }
}

/// Reads every record `fetch` gives from `from` on, page by page, into `ix`: the next page is
/// read while a blocking thread opens and indexes this one. An erased person read by a
/// catch-up (not a build, which never held their names) leaves `ix` not sealable.
async fn scan_into<T: Scanned>(
    store: Arc<dyn Store>,
    sealer: Arc<Sealer>,
    mut ix: Indexes,
    mut from: ScanFrom,
    fetch: impl Fn(Arc<dyn Store>, ScanFrom) -> PageFuture<T>,
) -> Result<Indexes, AppError> {
    let catching_up = matches!(from, ScanFrom::Changed { .. });
    let memo = Arc::new(NameMemo::default());
    let mut next = tokio::spawn(fetch(store.clone(), from));
    loop {
        let page = next
            .await
            .map_err(|e| AppError::Store(StoreError::Damaged(e.to_string())))??;
        let Some(last) = page.last() else { break };
        from = from.after(last.changed_in(), last.id());
        next = tokio::spawn(fetch(store.clone(), from));
        if catching_up && page.iter().any(Scanned::erased) {
            ix.sealable = false;
        }
        let (sealer, memo) = (sealer.clone(), memo.clone());
        ix = tokio::task::spawn_blocking(move || {
            // Opening and keying on every core; inserting, in the scan's order, on this thread.
            let read = page.len();
            let staged: Vec<Staged> = page
                .into_par_iter()
                .filter_map(|r| {
                    let (kind, id) = (T::KIND, r.id());
                    left_out(r.open(&sealer, &memo), kind, id)
                })
                .collect();
            // A catch-up that leaves a record out may keep its older words: not sealed.
            if catching_up && staged.len() < read {
                ix.sealable = false;
            }
            for s in staged {
                ix.add(s);
            }
            ix
        })
        .await
        .map_err(|e| AppError::Store(StoreError::Damaged(e.to_string())))?;
    }
    Ok(ix)
}
