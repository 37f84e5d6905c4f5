//! Duplicate candidates: pairs of registry persons that are probably one person written
//! twice (another script, another romanisation, another source), each with the evidence.
//!
//! [`candidate_pairs`] and [`matches_of`] are pure: they take persons as `(id, PersonRecord,
//! level)` and give pairs scored by `razam_link::Model`. Only persons sharing a blocking key
//! are compared (family-name key, family name with a feminine ending made masculine, given-name
//! group with the birth year), so the work follows the sizes of the blocks, not the square of
//! the registry. Where the persons come from (today every readable person, opened one by one)
//! is the caller's business; this never stores anything.
//!
//! Nothing here decides: a documenter reads the evidence and merges, or says "not the same
//! person". Linkage is for documenters deduplicating their own records, never for finding
//! people.

use std::collections::{HashMap, HashSet};
use std::hash::Hash;
use std::sync::RwLock;

use razam_core::registry::{Confidentiality, FuzzyDate, Precision};
pub use razam_link::{Agreement, Evidence, Field, FieldEvidence};
use razam_link::{Model, PersonRecord, PreparedPerson, given_name_group, masculine_surname_key, name_key};

use razam_core::role::Permission;

use crate::registry::{Identity, PersonCard};
use crate::{Actor, App, AppError};

/// The probability at and above which a pair is proposed. With the model's priors the same
/// full name alone scores about 0.7 and the same full name with another birth date about
/// 0.1: namesakes born on other days are not proposed.
pub const PROPOSE_AT: f64 = 0.5;

/// Blocks larger than this are not compared within (a very common family name); the other
/// keys (given name with birth year) still bring its likely pairs together.
pub const MAX_BLOCK: usize = 400;

/// One person as the duplicate search sees it.
#[derive(Debug, Clone)]
pub struct Entry<K> {
    pub id: K,
    pub record: PersonRecord,
    pub level: Confidentiality,
}

/// A likely pair: `survivor` is the one suggested to keep (the stricter level, else the
/// older record), `merged` the one suggested to merge into it.
#[derive(Debug, Clone)]
pub struct Candidate<K> {
    pub survivor: K,
    pub merged: K,
    pub evidence: Evidence,
}

/// A birth date as far as razam-link compares it, packed in four bytes (the name index holds
/// one per person): a day, a month (`day` 0) or a year (`month` 0); `year` 0 when unknown.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Born {
    year: u16,
    month: u8,
    day: u8,
}

impl Born {
    /// The birth date of a registry identity's text. A date known only as a range counts as
    /// its year when the range lies within one year, else as unknown.
    pub fn of(text: &str) -> Born {
        let Ok(d) = FuzzyDate::parse(text.trim()) else {
            return Born::default();
        };
        let (year, month) = (d.first.year(), d.first.month());
        match d.precision {
            Precision::Day => Born {
                year,
                month,
                // `YYYY-MM-DD`: the day is the last two digits.
                day: d.first.to_string().get(8..10).and_then(|s| s.parse().ok()).unwrap_or(0),
            },
            Precision::Month => Born { year, month, day: 0 },
            Precision::Year => Born { year, month: 0, day: 0 },
            Precision::Range if year == d.last.year() => Born { year, month: 0, day: 0 },
            Precision::Range => Born::default(),
        }
    }

    /// Year, month and day as the name index's snapshot keeps them.
    pub(crate) fn parts(self) -> (u16, u8, u8) {
        (self.year, self.month, self.day)
    }

    pub(crate) fn from_parts((year, month, day): (u16, u8, u8)) -> Born {
        Born { year, month, day }
    }

    /// The text razam-link reads: `YYYY-MM-DD`, `YYYY-MM`, `YYYY` or empty.
    pub fn text(self) -> String {
        match (self.year, self.month, self.day) {
            (0, _, _) => String::new(),
            (y, 0, _) => format!("{y:04}"),
            (y, m, 0) => format!("{y:04}-{m:02}"),
            (y, m, d) => format!("{y:04}-{m:02}-{d:02}"),
        }
    }
}

/// What razam-link compares of a person's names and birth date. The registry keeps no place
/// of birth.
pub fn record_of(family_name: &str, given_name: &str, patronymic: &str, born: Born) -> PersonRecord {
    PersonRecord {
        given_name: given_name.to_owned(),
        family_name: family_name.to_owned(),
        patronymic: patronymic.to_owned(),
        birth_date: born.text(),
        birth_place: String::new(),
    }
}

/// What razam-link compares of a registry identity.
pub fn person_record(identity: &Identity) -> PersonRecord {
    record_of(
        &identity.family_name,
        &identity.given_name,
        &identity.patronymic,
        Born::of(&identity.birth_date),
    )
}

/// The evidence that two registry identities are one person.
pub fn evidence_between(a: &Identity, b: &Identity) -> Evidence {
    Model::default().compare(&person_record(a), &person_record(b))
}

/// A blocking key: two persons are compared when they share one. The one definition of
/// blocking, used by [`candidate_pairs`] over a list and by the name index over the registry.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum BlockKey {
    /// The family name's key.
    Family(Box<str>),
    /// The family name's key with a feminine ending made masculine.
    Masculine(Box<str>),
    /// The given name's group of equivalents (else its key) with the birth year.
    GivenYear(Box<str>, u16),
}

/// The blocking keys of a record: two persons are compared when they share one.
pub fn blocking_keys(r: &PersonRecord) -> Vec<BlockKey> {
    let (family, masculine) = family_keys(&r.family_name);
    assemble(&family, &masculine, || given_key(&r.given_name), &r.birth_date)
}

/// The family name's key and its masculine key (empty when the key is).
fn family_keys(family_name: &str) -> (String, String) {
    let family = name_key(family_name);
    if family.is_empty() {
        return (family, String::new());
    }
    // Every family name has this key too, so that Іванова (whose masculine key is Іваноў's
    // key) meets Іваноў.
    (family, masculine_surname_key(family_name))
}

/// The given name's group, else its key.
fn given_key(given_name: &str) -> String {
    given_name_group(given_name)
        .map(|g| format!("group{g}"))
        .unwrap_or_else(|| name_key(given_name))
}

fn assemble(family: &str, masculine: &str, given: impl FnOnce() -> String, birth_date: &str) -> Vec<BlockKey> {
    let mut keys = Vec::new();
    if !family.is_empty() {
        keys.push(BlockKey::Family(family.into()));
        if !masculine.is_empty() {
            keys.push(BlockKey::Masculine(masculine.into()));
        }
    }
    let year = birth_date
        .get(..4)
        .filter(|y| y.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|y| y.parse::<u16>().ok());
    if let Some(year) = year {
        let given = given();
        if !given.is_empty() {
            keys.push(BlockKey::GivenYear(given.into(), year));
        }
    }
    keys
}

/// A family name's key and masculine key.
type FamilyKeys = (Box<str>, Box<str>);

/// [`blocking_keys`] of many persons, each distinct family and given name keyed once (names
/// repeat heavily: a million persons carry some tens of thousands of family names). Shared
/// by the threads of an index build and dropped with it; it holds names, so it lives in
/// memory only, like the index.
#[derive(Default)]
pub struct KeyMemo {
    family: RwLock<HashMap<Box<str>, FamilyKeys>>,
    given: RwLock<HashMap<Box<str>, Box<str>>>,
}

impl KeyMemo {
    /// The same keys as [`blocking_keys`].
    pub fn blocking_keys(&self, r: &PersonRecord) -> Vec<BlockKey> {
        let (family, masculine) = memo(&self.family, &r.family_name, |f| {
            let (k, m) = family_keys(f);
            (k.into(), m.into())
        });
        assemble(
            &family,
            &masculine,
            || memo(&self.given, &r.given_name, |g| given_key(g).into()).into(),
            &r.birth_date,
        )
    }
}

/// The value of `key` in `map`, computed by `make` (outside the lock) the first time.
pub(crate) fn memo<V: Clone>(map: &RwLock<HashMap<Box<str>, V>>, key: &str, make: impl FnOnce(&str) -> V) -> V {
    // A panic while the lock was held leaves at worst a missing entry, which is recomputed.
    if let Some(v) = map.read().unwrap_or_else(|e| e.into_inner()).get(key) {
        return v.clone();
    }
    let v = make(key);
    map.write()
        .unwrap_or_else(|e| e.into_inner())
        .insert(key.into(), v.clone());
    v
}

/// The pairs among `persons` that share a blocking key and score at least `threshold`,
/// except those in `excluded` (either order): highest probability first, then by ids.
pub fn candidate_pairs<K: Copy + Eq + Hash + Ord>(
    persons: &[Entry<K>],
    model: &Model,
    excluded: &HashSet<(K, K)>,
    threshold: f64,
) -> Vec<Candidate<K>> {
    let blocks = blocks_of(persons);
    pairs_in_blocks(
        blocks.values().map(Vec::as_slice),
        persons,
        model,
        excluded,
        threshold,
        |_, _| true,
    )
}

/// The blocks of `persons`: for each blocking key, the indexes of the persons that have it.
fn blocks_of<K>(persons: &[Entry<K>]) -> HashMap<BlockKey, Vec<usize>> {
    let mut blocks: HashMap<BlockKey, Vec<usize>> = HashMap::new();
    for (i, p) in persons.iter().enumerate() {
        for key in blocking_keys(&p.record) {
            blocks.entry(key).or_default().push(i);
        }
    }
    blocks
}

/// Each pair among `persons` that shares a blocking key, scores at least `threshold` and that
/// `wanted` takes (the others are not compared), given to `found` as it is found, in no
/// particular order: for a caller that keeps a few of them (an import keeps each row's
/// likeliest), so that memory does not grow with the number of pairs.
pub fn each_candidate_pair_where<K: Copy + Eq + Hash + Ord>(
    persons: &[Entry<K>],
    model: &Model,
    threshold: f64,
    wanted: impl Fn(K, K) -> bool,
    found: impl FnMut(Candidate<K>),
) {
    let blocks = blocks_of(persons);
    each_pair_in_blocks(
        blocks.values().map(Vec::as_slice),
        persons,
        model,
        &HashSet::new(),
        threshold,
        wanted,
        found,
    )
}

/// The pairs within `blocks` (each a list of indexes into `persons`, one block per key)
/// that score at least `threshold`, except those in `excluded` and those `wanted` turns
/// down, each pair compared once: highest probability first, then by ids. Blocks larger than
/// [`MAX_BLOCK`] are skipped.
pub fn pairs_in_blocks<'b, K: Copy + Eq + Hash + Ord>(
    blocks: impl Iterator<Item = &'b [usize]>,
    persons: &[Entry<K>],
    model: &Model,
    excluded: &HashSet<(K, K)>,
    threshold: f64,
    wanted: impl Fn(K, K) -> bool,
) -> Vec<Candidate<K>> {
    let mut found = Vec::new();
    each_pair_in_blocks(blocks, persons, model, excluded, threshold, wanted, |c| found.push(c));
    sort(&mut found);
    found
}

/// The pairs of [`pairs_in_blocks`], given to `found` one by one as they are found.
fn each_pair_in_blocks<'b, K: Copy + Eq + Hash + Ord>(
    blocks: impl Iterator<Item = &'b [usize]>,
    persons: &[Entry<K>],
    model: &Model,
    excluded: &HashSet<(K, K)>,
    threshold: f64,
    wanted: impl Fn(K, K) -> bool,
    mut found: impl FnMut(Candidate<K>),
) {
    let blocks: Vec<&[usize]> = blocks.filter(|m| m.len() > 1 && m.len() <= MAX_BLOCK).collect();
    // Each person's keys are worked out once, not once per pair it is in.
    let mut prepared: Vec<Option<PreparedPerson>> = vec![None; persons.len()];
    for &i in blocks.iter().flat_map(|m| m.iter()) {
        if prepared[i].is_none() {
            prepared[i] = Some(PreparedPerson::new(&persons[i].record));
        }
    }
    // A pair that shares several blocks is compared in the first of them only. Each person's
    // blocks, in order, instead of a set of every pair compared (which at 200,000 imported
    // rows held tens of millions of pairs: gigabytes).
    let in_blocks = BlocksOf::new(&blocks, persons.len());
    let screen = model.screen(threshold);
    for (block, members) in blocks.iter().enumerate() {
        for (n, &i) in members.iter().enumerate() {
            for &j in &members[n + 1..] {
                let pair = (i.min(j), i.max(j));
                if in_blocks.first_shared(i, j) != Some(block) {
                    continue;
                }
                let (a, b) = (&persons[pair.0], &persons[pair.1]);
                if a.id == b.id
                    || excluded.contains(&(a.id, b.id))
                    || excluded.contains(&(b.id, a.id))
                    || !wanted(a.id, b.id)
                {
                    continue;
                }
                let (Some(pa), Some(pb)) = (&prepared[pair.0], &prepared[pair.1]) else {
                    continue;
                };
                if let Some(evidence) = screen.compare(pa, pb) {
                    found(suggest(a, b, evidence));
                }
            }
        }
    }
}

/// Which of a list of blocks each person is in, ascending: one flat list, each person's part
/// starting at `start[person]`.
struct BlocksOf {
    start: Vec<usize>,
    blocks: Vec<usize>,
}

impl BlocksOf {
    fn new(blocks: &[&[usize]], persons: usize) -> BlocksOf {
        let mut start = vec![0usize; persons + 1];
        for &i in blocks.iter().flat_map(|m| m.iter()) {
            start[i + 1] += 1;
        }
        for p in 0..persons {
            start[p + 1] += start[p];
        }
        let mut next = start.clone();
        let mut flat = vec![0usize; start[persons]];
        for (b, members) in blocks.iter().enumerate() {
            for &i in *members {
                flat[next[i]] = b;
                next[i] += 1;
            }
        }
        BlocksOf { start, blocks: flat }
    }

    fn of(&self, person: usize) -> &[usize] {
        &self.blocks[self.start[person]..self.start[person + 1]]
    }

    /// The first block both persons are in.
    fn first_shared(&self, a: usize, b: usize) -> Option<usize> {
        let (mut x, mut y) = (self.of(a).iter().peekable(), self.of(b).iter().peekable());
        while let (Some(&&p), Some(&&q)) = (x.peek(), y.peek()) {
            match p.cmp(&q) {
                std::cmp::Ordering::Equal => return Some(p),
                std::cmp::Ordering::Less => _ = x.next(),
                std::cmp::Ordering::Greater => _ = y.next(),
            }
        }
        None
    }
}

/// The persons among `persons` that `record` probably is (at least `threshold`), with the
/// evidence, most likely first: the warning when a person is entered or imported.
pub fn matches_of<K: Copy + Eq + Hash + Ord>(
    record: &PersonRecord,
    persons: &[Entry<K>],
    model: &Model,
    threshold: f64,
) -> Vec<(K, Evidence)> {
    let keys: HashSet<BlockKey> = blocking_keys(record).into_iter().collect();
    let me = PreparedPerson::new(record);
    let screen = model.screen(threshold);
    let mut found: Vec<(K, Evidence)> = persons
        .iter()
        .filter(|p| blocking_keys(&p.record).iter().any(|k| keys.contains(k)))
        .filter_map(|p| Some((p.id, screen.compare(&me, &PreparedPerson::new(&p.record))?)))
        .collect();
    most_likely_first(&mut found);
    found
}

/// Matches by probability, highest first, then by id.
pub(crate) fn most_likely_first<K: Ord>(found: &mut [(K, Evidence)]) {
    found.sort_by(|a, b| b.1.probability.total_cmp(&a.1.probability).then(a.0.cmp(&b.0)));
}

fn suggest<K: Copy + Ord>(a: &Entry<K>, b: &Entry<K>, evidence: Evidence) -> Candidate<K> {
    // A merged person must not be stricter than its survivor (its records would show to
    // readers of the survivor), so the stricter one survives; between equals, the older.
    let a_first = match rank(a.level).cmp(&rank(b.level)) {
        std::cmp::Ordering::Greater => true,
        std::cmp::Ordering::Less => false,
        std::cmp::Ordering::Equal => a.id < b.id,
    };
    let (survivor, merged) = if a_first { (a.id, b.id) } else { (b.id, a.id) };
    Candidate {
        survivor,
        merged,
        evidence,
    }
}

fn sort<K: Ord + Copy>(found: &mut [Candidate<K>]) {
    found.sort_by(order);
}

/// The order candidates are shown in: highest probability first, then by ids.
pub fn order<K: Ord + Copy>(a: &Candidate<K>, b: &Candidate<K>) -> std::cmp::Ordering {
    b.evidence
        .probability
        .total_cmp(&a.evidence.probability)
        .then(a.survivor.min(a.merged).cmp(&b.survivor.min(b.merged)))
        .then(a.survivor.max(a.merged).cmp(&b.survivor.max(b.merged)))
}

/// How strict a confidentiality level is: public 0, internal 1, restricted 2.
pub fn rank(level: Confidentiality) -> u8 {
    match level {
        Confidentiality::Public => 0,
        Confidentiality::Internal => 1,
        Confidentiality::Restricted => 2,
    }
}

/// A field's name as pages, the API and reports give it.
pub fn field_name(field: Field) -> &'static str {
    match field {
        Field::GivenName => "given_name",
        Field::FamilyName => "family_name",
        Field::Patronymic => "patronymic",
        Field::BirthDate => "birth_date",
        Field::BirthPlace => "birth_place",
    }
}

/// An agreement level's name as pages, the API and reports give it.
pub fn agreement_name(level: Agreement) -> &'static str {
    match level {
        Agreement::Exact => "exact",
        Agreement::SameKey => "same_key",
        Agreement::Equivalent => "equivalent",
        Agreement::Similar => "similar",
        Agreement::Different => "different",
        Agreement::Missing => "missing",
    }
}

/// The fields that speak for the pair, as `field: level` (for a one-line report).
pub fn agreeing_fields(evidence: &Evidence) -> String {
    evidence
        .fields
        .iter()
        .filter(|f| f.weight > 0.0)
        .map(|f| format!("{}: {}", field_name(f.field), agreement_name(f.agreement)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A likely pair as the duplicates queue shows it.
#[derive(Debug, Clone)]
pub struct DuplicatePair {
    /// The one suggested to keep.
    pub survivor: PersonCard,
    /// The one suggested to merge into it.
    pub merged: PersonCard,
    pub evidence: Evidence,
}

/// The most pairs the queue shows at once.
pub const QUEUE_LIMIT: usize = 100;

impl App {
    /// Which levels the actor may read, as a test on a level.
    fn level_reader(&self, actor: &Actor) -> Result<impl Fn(Confidentiality) -> bool + use<>, AppError> {
        let levels = self.readable_levels(actor)?;
        Ok(move |l: Confidentiality| levels.contains(&l.as_str()))
    }

    /// The persons of `ids` the actor may read (not merged into another), opened, by id: their
    /// own fields, what a candidate's cell shows.
    async fn cards_of(&self, actor: &Actor, ids: &[i64]) -> Result<HashMap<i64, PersonCard>, AppError> {
        let may_read = self.level_reader(actor)?;
        let scope = self.scope(actor);
        let mut views = HashMap::with_capacity(ids.len());
        for row in self.store.person_cards(ids).await? {
            let view = self.person_card(&row)?;
            if may_read(view.confidentiality) && view.merged_into.is_none() && scope.sees(view.compartment) {
                views.insert(view.id, view);
            }
        }
        let restricted = crate::registry::restricted_ids(views.values().map(|v| (v.id, v.confidentiality)));
        self.audit_restricted_reads(actor, "person", restricted).await?;
        Ok(views)
    }

    /// The persons the actor may read (not merged into another) that share a blocking key
    /// with one of `records`: from the name index when this process has built it (the
    /// server), else read once from the store, each identity opened and only those sharing a
    /// key kept (a command-line import: building the whole index, events and sources too,
    /// would cost more than the one pass it replaces).
    pub(crate) async fn persons_sharing_blocks(
        &self,
        actor: &Actor,
        records: &[PersonRecord],
    ) -> Result<Vec<Entry<i64>>, AppError> {
        let may_read = self.level_reader(actor)?;
        let from_index = self.if_names_built(|ix| {
            let mut seen: HashSet<i64> = HashSet::new();
            let mut found = Vec::new();
            for r in records {
                for e in ix.sharing_a_block(r, &may_read, |_| true) {
                    if seen.insert(e.id) {
                        found.push(e);
                    }
                }
            }
            found
        });
        if let Some(found) = from_index {
            return self.in_scope(actor, found).await;
        }
        let keys: HashSet<BlockKey> = records.iter().flat_map(blocking_keys).collect();
        let mut found = Vec::new();
        let mut after = 0;
        loop {
            let page = self
                .store
                .scan_persons(razam_store::registry::ScanFrom::Id(after), 5_000)
                .await?;
            let Some(last) = page.last() else { break };
            after = last.id;
            for p in page {
                let level = crate::registry::level(&p.confidentiality)?;
                if p.merged_into.is_some() || !may_read(level) || !self.scope(actor).sees(p.compartment) {
                    continue;
                }
                let identity: Identity = self.open_json(crate::registry::SEAL_IDENTITY, &p.identity_sealed)?;
                let record = person_record(&identity);
                if blocking_keys(&record).iter().any(|k| keys.contains(k)) {
                    found.push(Entry {
                        id: p.id,
                        record,
                        level,
                    });
                }
            }
        }
        Ok(found)
    }

    /// The entries whose persons are in `actor`'s sight: the name index knows levels, not
    /// compartments, so those in a compartment are looked up and left out here.
    async fn in_scope(&self, actor: &Actor, mut found: Vec<Entry<i64>>) -> Result<Vec<Entry<i64>>, AppError> {
        let ids: Vec<i64> = found.iter().map(|e| e.id).collect();
        let unseen = self.unseen_persons(&self.scope(actor), &ids).await?;
        found.retain(|e| !unseen.contains(&e.id));
        Ok(found)
    }

    /// Likely duplicate pairs among the persons the actor may read, most likely first (at
    /// most [`QUEUE_LIMIT`]), leaving out pairs said to be two people. The candidates come
    /// from the in-memory name index (its blocks); only the pairs shown are read from the
    /// store.
    pub async fn duplicate_candidates(&self, actor: &Actor) -> Result<Vec<DuplicatePair>, AppError> {
        self.require(actor, Permission::WriteRegistry)?;
        let may_read = self.level_reader(actor)?;
        let excluded: HashSet<(i64, i64)> = self.store.distinct_pairs().await?.into_iter().collect();
        let levels = self.readable_levels(actor)?;
        let found = self.queue_pairs(actor, may_read, levels, excluded).await?;
        let ids: Vec<i64> = found.iter().flat_map(|c| [c.survivor, c.merged]).collect();
        let views = self.cards_of(actor, &ids).await?;
        Ok(found
            .into_iter()
            .filter_map(|c| {
                Some(DuplicatePair {
                    survivor: views.get(&c.survivor)?.clone(),
                    merged: views.get(&c.merged)?.clone(),
                    evidence: c.evidence,
                })
            })
            .collect())
    }

    /// The [`QUEUE_LIMIT`] likeliest pairs among the persons of `levels`, computed again
    /// only when the registry moved since the last time (the first view after a change pays
    /// for comparing the whole registry's blocks, the next ones do not).
    async fn queue_pairs(
        &self,
        actor: &Actor,
        may_read: impl Fn(Confidentiality) -> bool,
        levels: Vec<&'static str>,
        excluded: HashSet<(i64, i64)>,
    ) -> Result<Vec<Candidate<i64>>, AppError> {
        self.with_names(actor, |_| ()).await?;
        // Read before the blocks: what is cached is at least as new as its generation.
        let generation = self.search.generation();
        if let Ok(cached) = self.search.queue.lock()
            && let Some((g, l, pairs)) = cached.as_ref()
            && *g == generation
            && *l == levels
        {
            return Ok(pairs.clone());
        }
        // The blocks are read under the index's lock; the comparing, the bulk of the work,
        // runs after it is released, on a blocking thread.
        let (entries, blocks) = self.with_names(actor, |ix| ix.duplicate_blocks(may_read)).await?;
        let mut found = tokio::task::spawn_blocking(move || {
            pairs_in_blocks(
                blocks.iter().map(Vec::as_slice),
                &entries,
                &Model::default(),
                &excluded,
                PROPOSE_AT,
                |_, _| true,
            )
        })
        .await
        .map_err(|e| AppError::Store(razam_store::StoreError::Damaged(e.to_string())))?;
        found.truncate(QUEUE_LIMIT);
        if let Ok(mut cached) = self.search.queue.lock() {
            *cached = Some((generation, levels, found.clone()));
        }
        Ok(found)
    }

    /// The persons the actor may read that `identity` probably is, most likely first,
    /// leaving out the persons `except`: the warning on the person form (nothing left out) and
    /// the "possible duplicates" of a person page (the person and those said to be someone
    /// else: [`crate::registry::PersonPage::never_duplicates`]). The candidates are the
    /// persons sharing a blocking key with it in the in-memory name index.
    pub async fn probable_matches(
        &self,
        actor: &Actor,
        identity: &Identity,
        except: &[i64],
    ) -> Result<Vec<(PersonCard, Evidence)>, AppError> {
        self.require(actor, Permission::WriteRegistry)?;
        let may_read = self.level_reader(actor)?;
        // A few ids, sorted: a binary search per candidate, where a SipHash set cost more.
        let mut distinct = except.to_vec();
        distinct.sort_unstable();
        let record = person_record(identity);
        let found = self
            .with_names(actor, |ix| {
                ix.matches_of(
                    &record,
                    may_read,
                    |id| distinct.binary_search(&id).is_err(),
                    &Model::default(),
                    PROPOSE_AT,
                )
            })
            .await?;
        let ids: Vec<i64> = found.iter().map(|(id, _)| *id).collect();
        let views = self.cards_of(actor, &ids).await?;
        Ok(found
            .into_iter()
            .filter_map(|(id, e)| Some((views.get(&id)?.clone(), e)))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(id: i64, family: &str, given: &str, patronymic: &str, birth: &str, level: Confidentiality) -> Entry<i64> {
        Entry {
            id,
            record: person_record(&Identity {
                family_name: family.into(),
                given_name: given.into(),
                patronymic: patronymic.into(),
                birth_date: birth.into(),
                ..Identity::default()
            }),
            level,
        }
    }

    fn pairs(persons: &[Entry<i64>], excluded: &[(i64, i64)]) -> Vec<(i64, i64, f64)> {
        let excluded = excluded.iter().copied().collect();
        candidate_pairs(persons, &Model::default(), &excluded, PROPOSE_AT)
            .into_iter()
            .map(|c| (c.survivor, c.merged, c.evidence.probability))
            .collect()
    }

    const I: Confidentiality = Confidentiality::Internal;

    #[test]
    fn cyrillic_and_latin_spellings_of_one_person_pair_up_with_their_evidence() {
        let persons = [
            entry(1, "Каліноўскі", "Кастусь", "", "1988-02-02", I),
            entry(2, "Kalinowski", "Konstantin", "", "1988-02-02", I),
            entry(3, "Лосік", "Ігар", "", "1992", I),
        ];
        let found = candidate_pairs(&persons, &Model::default(), &HashSet::new(), PROPOSE_AT);
        assert_eq!(found.len(), 1);
        let c = &found[0];
        assert_eq!((c.survivor, c.merged), (1, 2));
        assert!(c.evidence.probability > 0.99, "{}", c.evidence.probability);
        let levels: Vec<_> = c.evidence.fields.iter().map(|f| (f.field, f.agreement)).collect();
        assert!(levels.contains(&(Field::FamilyName, Agreement::SameKey)), "{levels:?}");
        assert!(
            levels.contains(&(Field::GivenName, Agreement::Equivalent)),
            "{levels:?}"
        );
        assert!(levels.contains(&(Field::BirthDate, Agreement::Exact)), "{levels:?}");
        assert_eq!(
            agreeing_fields(&c.evidence),
            "given_name: equivalent, family_name: same_key, birth_date: exact"
        );
    }

    #[test]
    fn namesakes_born_on_other_days_are_not_proposed_and_score_lower() {
        let persons = [
            entry(1, "Іваноў", "Іван", "", "1980-01-01", I),
            entry(2, "Иванов", "Иван", "", "1980-01-01", I),
            entry(3, "Іваноў", "Іван", "", "1995-07-30", I),
        ];
        let found = pairs(&persons, &[]);
        assert_eq!(found.iter().map(|p| (p.0, p.1)).collect::<Vec<_>>(), [(1, 2)]);
        // With the same patronymic too, a namesake may be proposed, but below the true pair.
        let model = Model::default();
        let with = |birth| entry(0, "Іваноў", "Іван", "Іванавіч", birth, I).record;
        let same = model.compare(&with("1980-01-01"), &with("1980-01-01")).probability;
        let namesake = model.compare(&with("1980-01-01"), &with("1995-07-30")).probability;
        assert!(namesake < same, "{namesake} vs {same}");
    }

    /// Persons who share several blocks (spellings of one name, namesakes, the same person
    /// three times) give each pair once, and the same pairs as comparing every pair that
    /// shares any block.
    #[test]
    fn a_pair_in_several_blocks_is_compared_once_and_none_is_lost() {
        let persons = [
            entry(1, "Каліноўскі", "Кастусь", "", "1988-02-02", I),
            entry(2, "Kalinowski", "Konstantin", "", "1988-02-02", I),
            entry(3, "Калиновский", "Константин", "", "1988-02-02", I),
            entry(4, "Каліноўскі", "Кастусь", "Сымонавіч", "1988", I),
            entry(5, "Лосік", "Ігар", "", "1992-06-12", I),
            entry(6, "Losik", "Ihar", "", "1992-06-12", I),
            entry(7, "Лосік", "Ігар", "", "1992-06-12", I),
            entry(8, "Іваноў", "Іван", "", "1980-01-01", I),
        ];
        let model = Model::default();
        let got = candidate_pairs(&persons, &model, &HashSet::new(), PROPOSE_AT);
        let mut ids: Vec<(i64, i64)> = got
            .iter()
            .map(|c| (c.survivor.min(c.merged), c.survivor.max(c.merged)))
            .collect();
        let count = ids.len();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), count, "a pair given twice: {ids:?}");
        // Every pair that shares a blocking key, compared directly.
        let mut expected = Vec::new();
        for (n, a) in persons.iter().enumerate() {
            for b in &persons[n + 1..] {
                let keys: HashSet<BlockKey> = blocking_keys(&a.record).into_iter().collect();
                if blocking_keys(&b.record).iter().any(|k| keys.contains(k))
                    && model.compare(&a.record, &b.record).probability >= PROPOSE_AT
                {
                    expected.push((a.id, b.id));
                }
            }
        }
        assert_eq!(ids, expected);
        assert!(ids.contains(&(1, 3)) && ids.contains(&(5, 7)), "{ids:?}");
    }

    #[test]
    fn a_pair_said_to_be_two_people_is_not_proposed_again_in_either_order() {
        let persons = [
            entry(4, "Лосік", "Ігар", "", "1992-06-12", I),
            entry(9, "Losik", "Ihar", "", "1992-06-12", I),
        ];
        assert_eq!(pairs(&persons, &[]).len(), 1);
        assert!(pairs(&persons, &[(9, 4)]).is_empty());
        assert!(pairs(&persons, &[(4, 9)]).is_empty());
    }

    #[test]
    fn the_stricter_record_is_suggested_to_survive_else_the_older() {
        let persons = [
            entry(1, "Losik", "Ihar", "", "1992-06-12", I),
            entry(2, "Лосік", "Ігар", "", "1992-06-12", Confidentiality::Restricted),
            entry(3, "Лосик", "Игорь", "", "1992-06-12", I),
        ];
        let found: Vec<_> = pairs(&persons, &[]).into_iter().map(|p| (p.0, p.1)).collect();
        assert!(
            found.contains(&(2, 1)) && found.contains(&(2, 3)) && found.contains(&(1, 3)),
            "{found:?}"
        );
    }

    #[test]
    fn a_feminine_surname_meets_its_masculine_form_in_a_block() {
        let a = person_record(&Identity {
            family_name: "Іванова".into(),
            ..Identity::default()
        });
        let b = person_record(&Identity {
            family_name: "Іваноў".into(),
            ..Identity::default()
        });
        let shared: Vec<_> = blocking_keys(&a)
            .into_iter()
            .filter(|k| blocking_keys(&b).contains(k))
            .collect();
        assert_eq!(shared.len(), 1, "{shared:?}");
    }

    #[test]
    fn a_new_entry_finds_the_person_it_probably_is() {
        let persons = [
            entry(1, "Бяляцкі", "Алесь", "", "1962-09-25", I),
            entry(2, "Бяляцкі", "Алесь", "", "1990-01-01", I),
        ];
        let new = person_record(&Identity {
            family_name: "Bialiatski".into(),
            given_name: "Aleksandr".into(),
            birth_date: "1962-09-25".into(),
            ..Identity::default()
        });
        let found = matches_of(&new, &persons, &Model::default(), PROPOSE_AT);
        assert_eq!(found.iter().map(|f| f.0).collect::<Vec<_>>(), [1]);
    }

    #[test]
    fn birth_dates_reach_the_model_as_far_as_they_are_known() {
        let record = |birth: &str| {
            person_record(&Identity {
                birth_date: birth.into(),
                ..Identity::default()
            })
            .birth_date
        };
        assert_eq!(record("1990-05-12"), "1990-05-12");
        assert_eq!(record("1990-05"), "1990-05");
        assert_eq!(record("1990-03-01/1990-06-30"), "1990");
        assert_eq!(record("1989-12-01/1990-06-30"), "");
        assert_eq!(record("soon"), "");
    }
}
