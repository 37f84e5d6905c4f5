//! The person-name index: every word a person is known by, keyed the ways razam-link compares
//! names, so that one search box finds a person however the name is written.
//!
//! Held in memory only (the names it holds are sealed on disk) and built to stay small at a
//! million persons: words and keys are interned once, a person is a fixed-size slot, its names
//! live in one shared text arena, and posting lists are `u32` slots in ascending order. An edit
//! retires the old slot and appends a new one, so every list stays sorted without searching it.

use std::collections::{HashMap, HashSet};

use razam_core::registry::Confidentiality;
use razam_link::{
    Evidence, Model, PersonRecord, PreparedPerson, given_name_group, masculine_surname_key, name_key, normalise,
    normalise_into,
};

use super::snapshot::{Decoder, Encoder, Refused};
use crate::duplicates::{self, BlockKey, Born, Entry, MAX_BLOCK};

/// How one word of a query met a word of a person's names, weakest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum Meet {
    /// The same family name with the other gender's ending (Ціханоўская for Tsikhanouski):
    /// a relative, perhaps, never the same person by the key alone.
    OtherGender = 1,
    /// Given names of one group of equivalents (Алесь, Александр for Aliaksandr).
    GivenName = 2,
    /// The same name key: one name in another script or romanisation (Kalinouski, Каліноўскі).
    Key = 3,
    /// The same word once case, accents and punctuation are set aside.
    Exact = 4,
}

impl Meet {
    /// Its weight in a candidate's score: one meeting outweighs any number (up to
    /// [`MAX_QUERY_WORDS`]) of weaker ones, so that "exact before key before group" holds
    /// between persons, not only between words.
    fn weight(self) -> u16 {
        match self {
            Meet::OtherGender => 1,
            Meet::GivenName => 9,
            Meet::Key => 81,
            Meet::Exact => 729,
        }
    }

    /// The name the pages, the API and the translations use.
    pub fn as_str(self) -> &'static str {
        match self {
            Meet::OtherGender => "other_gender",
            Meet::GivenName => "given_name",
            Meet::Key => "key",
            Meet::Exact => "exact",
        }
    }
}

/// One person's names as the index takes them.
#[derive(Debug, Clone, Copy)]
pub struct PersonNames<'a> {
    pub family_name: &'a str,
    pub given_name: &'a str,
    pub patronymic: &'a str,
    pub variants: &'a [String],
    /// A fuzzy date in its text form; its year is indexed.
    pub birth_date: &'a str,
}

/// A person's names keyed for the index without touching it: the costly part of adding a
/// person (normalising, the duplicate blocking keys), so that it can run on several threads
/// while one thread inserts.
#[derive(Debug, Clone)]
pub struct PreparedNames {
    /// The name fields, `FIELD`-separated, as the arena keeps them.
    text: String,
    normalised: String,
    birth_year: Option<i16>,
    born: Born,
    blocks: Vec<BlockKey>,
}

/// What an index build keys once per distinct name, shared by its threads: the normalised
/// family, given and patronymic names, and the blocking keys' parts. In memory only, dropped
/// with the build.
#[derive(Default)]
pub struct NameMemo {
    normalised: std::sync::RwLock<HashMap<Box<str>, Box<str>>>,
    keys: duplicates::KeyMemo,
}

impl PreparedNames {
    pub fn of(names: &PersonNames<'_>) -> PreparedNames {
        Self::of_with(names, None)
    }

    /// [`PreparedNames::of`], with what repeats across persons taken from `memo`. The same
    /// result: a name's fields are normalised one by one and joined by a space, which is
    /// what normalising them joined by [`FIELD`] gives (a separator becomes one space, an
    /// empty field none).
    pub fn of_memo(names: &PersonNames<'_>, memo: &NameMemo) -> PreparedNames {
        Self::of_with(names, Some(memo))
    }

    fn of_with(names: &PersonNames<'_>, memo: Option<&NameMemo>) -> PreparedNames {
        let mut text =
            String::with_capacity(names.family_name.len() + names.given_name.len() + names.patronymic.len() + 3);
        for (i, field) in [names.family_name, names.given_name, names.patronymic]
            .into_iter()
            .chain(names.variants.iter().map(String::as_str))
            .enumerate()
        {
            if i > 0 {
                text.push(FIELD);
            }
            text.push_str(field.trim());
        }
        let born = Born::of(names.birth_date);
        let record = duplicates::record_of(names.family_name, names.given_name, names.patronymic, born);
        let Some(memo) = memo else {
            return PreparedNames {
                normalised: normalise(&text),
                text,
                birth_year: birth_year(names.birth_date),
                born,
                blocks: duplicates::blocking_keys(&record),
            };
        };
        let mut normalised = String::with_capacity(text.len());
        let mut add = |n: &str| {
            if !n.is_empty() {
                if !normalised.is_empty() {
                    normalised.push(' ');
                }
                normalised.push_str(n);
            }
        };
        for field in [names.family_name, names.given_name, names.patronymic] {
            add(&duplicates::memo(&memo.normalised, field, |f| normalise(f).into()));
        }
        for variant in names.variants {
            normalise_into(variant, &mut normalised);
        }
        PreparedNames {
            normalised,
            text,
            birth_year: birth_year(names.birth_date),
            born,
            blocks: memo.keys.blocking_keys(&record),
        }
    }
}

/// Why a person was found: a word of the query, how it met, and the person's word it met.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reason {
    pub query: String,
    pub meet: Meet,
    pub word: String,
    /// The person merged into the one found whose word it is, when it is not the found
    /// person's own.
    pub merged_from: Option<i64>,
}

/// A person found, with what the result list shows.
#[derive(Debug, Clone)]
pub struct NameHit {
    pub id: i64,
    pub family_name: String,
    pub given_name: String,
    pub patronymic: String,
    pub variants: Vec<String>,
    pub birth_year: Option<i16>,
    pub region: Option<String>,
    pub level: Confidentiality,
    /// How many words of the query met one of the person's words.
    pub matched: usize,
    /// The best meeting of each query word that met, in query order.
    pub reasons: Vec<Reason>,
}

impl NameHit {
    /// Family name, given name, patronymic, as the registry writes a name.
    pub fn full_name(&self) -> String {
        [&self.family_name, &self.given_name, &self.patronymic]
            .iter()
            .filter(|s| !s.is_empty())
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// The answer to a query: the best `limit` persons and how many matched at all.
#[derive(Debug, Clone, Default)]
pub struct NameResults {
    /// The query's words as they were compared (normalised), at most [`MAX_QUERY_WORDS`].
    pub words: Vec<String>,
    /// Readable persons meeting every word.
    pub all: usize,
    /// Readable persons meeting at least one word (including those meeting all).
    pub any: usize,
    pub hits: Vec<NameHit>,
}

/// Words of a query beyond this many are ignored: names have few words, and each word costs
/// a merge of its posting lists.
pub const MAX_QUERY_WORDS: usize = 8;

/// Marks "no such key or group" in a word's record.
const NONE: u32 = u32::MAX;
/// The bit of a slot's meta byte that says it is live; the low bits are the level's index.
const LIVE: u8 = 0x80;
/// The bit of a slot's meta byte that says the person is merged into another: search finds
/// the survivor in their place, and duplicate candidates leave them out.
const MERGED: u8 = 0x40;
const LEVEL: u8 = 0x0f;

fn level_index(level: Confidentiality) -> u8 {
    Confidentiality::ALL.iter().position(|l| *l == level).unwrap_or(0) as u8
}

fn level_of(meta: u8) -> Confidentiality {
    Confidentiality::ALL
        .get(usize::from(meta & LEVEL))
        .copied()
        .unwrap_or(Confidentiality::Restricted)
}

/// Separates a person's name fields in the arena (family, given, patronymic, variants…).
const FIELD: char = '\u{1f}';

/// What a distinct word keys to, computed once however many persons carry it.
#[derive(Debug, Clone, Copy)]
struct WordKeys {
    key: u32,
    /// The masculine form's key when it differs from `key` (a feminine surname), else `NONE`.
    masc: u32,
    group: u32,
}

/// A word of a query and its ids in the index's tables.
#[derive(Debug, Clone)]
struct QueryWord {
    text: String,
    word: u32,
    key: u32,
    masc: u32,
    group: u32,
}

/// A person's place in the index: fixed size, no allocation of its own.
#[derive(Debug, Clone, Copy)]
struct Slot {
    id: i64,
    /// The person's name fields in `arena`, `FIELD`-separated.
    start: u32,
    len: u32,
    /// The year search matches: the first four digits of the birth date's text.
    birth_year: i16,
    region: u16,
    /// The birth date as duplicate candidates compare it. The level and whether the slot is
    /// live are in `meta`; the slot stays at 24 bytes.
    born: Born,
}

/// The index of persons by name. Not thread-safe by itself: the app holds it under a lock.
#[derive(Default)]
pub struct NameIndex {
    words: HashMap<Box<str>, u32>,
    word_keys: Vec<WordKeys>,
    keys: HashMap<Box<str>, u32>,
    groups: HashMap<Box<str>, u32>,
    /// Persons per word, per key, per masculine key of a feminine surname, per given-name group.
    by_word: Vec<Vec<u32>>,
    by_key: Vec<Vec<u32>>,
    by_masc: Vec<Vec<u32>>,
    by_group: Vec<Vec<u32>>,
    slots: Vec<Slot>,
    /// Per slot, what a search filters on, packed in a byte so that filtering a hundred
    /// thousand candidates stays in the cache: [`LIVE`] and the level's index.
    meta: Vec<u8>,
    slot_of: HashMap<i64, u32>,
    arena: String,
    /// Bytes of `arena` that belong to retired slots.
    arena_garbage: usize,
    regions: Vec<Box<str>>,
    region_ids: HashMap<Box<str>, u16>,
    /// Duplicate candidates' blocking keys ([`duplicates::blocking_keys`]) and their persons.
    blocks: HashMap<BlockKey, u32>,
    by_block: Vec<Vec<u32>>,
    /// Merged person to survivor, and survivor to the persons merged into it.
    merged_into: HashMap<i64, i64>,
    members: HashMap<i64, Vec<i64>>,
    /// What a person page's duplicate candidates compare of each slot, prepared the first
    /// time the slot is a candidate. A slot's names never change (an edit takes a new slot,
    /// a removal retires it), so nothing here goes stale; at most [`PREPARED_KEPT`] are kept.
    prepared: std::sync::Mutex<Prepared>,
}

/// The prepared persons by slot, at most [`PREPARED_KEPT`]: looked up by index, where a
/// hash map's SipHash of every candidate's slot cost 3 % of a person page.
#[derive(Default)]
struct Prepared {
    by_slot: Vec<Option<std::sync::Arc<PreparedPerson>>>,
    kept: usize,
}

impl Prepared {
    fn get(&self, slot: u32) -> Option<std::sync::Arc<PreparedPerson>> {
        self.by_slot.get(slot as usize).and_then(Option::clone)
    }

    fn insert(&mut self, slot: u32, person: std::sync::Arc<PreparedPerson>) {
        let i = slot as usize;
        if i >= self.by_slot.len() {
            self.by_slot.resize(i + 1, None);
        }
        if self.by_slot[i].replace(person).is_none() {
            self.kept += 1;
        }
    }

    fn remove(&mut self, slot: u32) {
        if let Some(kept) = self.by_slot.get_mut(slot as usize)
            && kept.take().is_some()
        {
            self.kept -= 1;
        }
    }

    fn clear(&mut self) {
        self.by_slot.clear();
        self.kept = 0;
    }
}

/// Prepared candidates kept (about half a kilobyte each); when full the cache starts again.
const PREPARED_KEPT: usize = 100_000;

/// The year of a fuzzy date's text (`1985`, `1985-03`, `1985-03-02`, `1985-01-01/1986-12-31`).
fn birth_year(date: &str) -> Option<i16> {
    let year = date.get(..4)?;
    if !year.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    year.parse().ok()
}

/// The query's words, normalised, each once, in order, at most [`MAX_QUERY_WORDS`].
/// One-letter words (initials) are dropped: they would meet half the registry.
pub fn query_words(query: &str) -> Vec<String> {
    let normalised = normalise(query);
    let mut words: Vec<String> = Vec::new();
    for w in normalised.split(' ') {
        if w.chars().count() < 2 || words.iter().any(|seen| seen == w) {
            continue;
        }
        words.push(w.to_owned());
        if words.len() == MAX_QUERY_WORDS {
            break;
        }
    }
    words
}

/// Which meta bytes a duplicate search takes: live, not merged, of a level the reader may read.
fn candidates_visible(may_read: impl Fn(Confidentiality) -> bool) -> [bool; 256] {
    let mut visible = [false; 256];
    for (i, level) in Confidentiality::ALL.iter().enumerate() {
        visible[usize::from(LIVE) | i] = may_read(*level);
    }
    visible
}

/// Merges a sorted posting list into a sorted (slot, meet) list, keeping the best meet.
fn merge_best(acc: Vec<(u32, Meet)>, list: &[u32], meet: Meet) -> Vec<(u32, Meet)> {
    if list.is_empty() {
        return acc;
    }
    let mut out = Vec::with_capacity(acc.len() + list.len());
    let (mut i, mut j) = (0, 0);
    while i < acc.len() && j < list.len() {
        let (slot, m) = acc[i];
        match slot.cmp(&list[j]) {
            std::cmp::Ordering::Less => {
                out.push((slot, m));
                i += 1;
            }
            std::cmp::Ordering::Greater => {
                out.push((list[j], meet));
                j += 1;
            }
            std::cmp::Ordering::Equal => {
                out.push((slot, m.max(meet)));
                i += 1;
                j += 1;
            }
        }
    }
    out.extend_from_slice(&acc[i..]);
    out.extend(list[j..].iter().map(|&s| (s, meet)));
    out
}

/// A candidate while the query's words are combined: slot, words met, sum of the meets'
/// weights.
#[derive(Debug, Clone, Copy)]
struct Candidate {
    slot: u32,
    matched: u8,
    score: u16,
}

/// Adds one query word's (slot, meet) list to the candidates, both sorted by slot.
fn merge_word(acc: Vec<Candidate>, word: &[(u32, Meet)]) -> Vec<Candidate> {
    let mut out = Vec::with_capacity(acc.len() + word.len());
    let (mut i, mut j) = (0, 0);
    let met = |(slot, meet): (u32, Meet)| Candidate {
        slot,
        matched: 1,
        score: meet.weight(),
    };
    while i < acc.len() && j < word.len() {
        let c = acc[i];
        match c.slot.cmp(&word[j].0) {
            std::cmp::Ordering::Less => {
                out.push(c);
                i += 1;
            }
            std::cmp::Ordering::Greater => {
                out.push(met(word[j]));
                j += 1;
            }
            std::cmp::Ordering::Equal => {
                out.push(Candidate {
                    slot: c.slot,
                    matched: c.matched + 1,
                    score: c.score + word[j].1.weight(),
                });
                i += 1;
                j += 1;
            }
        }
    }
    out.extend_from_slice(&acc[i..]);
    out.extend(word[j..].iter().map(|&w| met(w)));
    out
}

/// Appends `slot` to a posting list unless it is already its last entry (a word twice in
/// one person's names).
fn post(list: &mut Vec<u32>, slot: u32) {
    if list.last() != Some(&slot) {
        list.push(slot);
    }
}

impl NameIndex {
    pub fn new() -> NameIndex {
        NameIndex::default()
    }

    /// Persons in the index.
    pub fn len(&self) -> usize {
        self.slot_of.len()
    }

    pub fn is_empty(&self) -> bool {
        self.slot_of.is_empty()
    }

    fn key_id(&mut self, key: &str) -> u32 {
        if let Some(&id) = self.keys.get(key) {
            return id;
        }
        let id = self.by_key.len() as u32;
        self.keys.insert(key.into(), id);
        self.by_key.push(Vec::new());
        self.by_masc.push(Vec::new());
        id
    }

    /// The id of a normalised word, keyed on first sight.
    fn word_id(&mut self, word: &str) -> u32 {
        if let Some(&id) = self.words.get(word) {
            return id;
        }
        let key = name_key(word);
        let masc = masculine_surname_key(word);
        let key_id = if key.is_empty() { NONE } else { self.key_id(&key) };
        let masc_id = if masc.is_empty() || masc == key {
            NONE
        } else {
            self.key_id(&masc)
        };
        let group = match given_name_group(word) {
            Some(g) => match self.groups.get(g) {
                Some(&id) => id,
                None => {
                    let id = self.by_group.len() as u32;
                    self.groups.insert(g.into(), id);
                    self.by_group.push(Vec::new());
                    id
                }
            },
            None => NONE,
        };
        let id = self.word_keys.len() as u32;
        self.words.insert(word.into(), id);
        self.word_keys.push(WordKeys {
            key: key_id,
            masc: masc_id,
            group,
        });
        self.by_word.push(Vec::new());
        id
    }

    fn region_id(&mut self, region: Option<&str>) -> u16 {
        let Some(region) = region.filter(|r| !r.is_empty()) else {
            return 0;
        };
        if let Some(&id) = self.region_ids.get(region) {
            return id;
        }
        // Regions are a short vocabulary plus what lists wrote by hand; should there ever be
        // more than fit, the overflow shows as "no region" in results, never as another.
        let Ok(id) = u16::try_from(self.regions.len() + 1) else {
            return 0;
        };
        self.regions.push(region.into());
        self.region_ids.insert(region.into(), id);
        id
    }

    /// Adds a person, or replaces what the index held of them. Returns false when the index
    /// is full (four gigabytes of names), in which case the person is not searchable.
    pub fn upsert(&mut self, id: i64, names: &PersonNames<'_>, region: Option<&str>, level: Confidentiality) -> bool {
        self.insert(id, PreparedNames::of(names), region, level)
    }

    /// [`Self::upsert`] with the names already keyed ([`PreparedNames::of`], on any thread).
    pub fn insert(&mut self, id: i64, prepared: PreparedNames, region: Option<&str>, level: Confidentiality) -> bool {
        self.remove(id);
        let PreparedNames {
            text,
            normalised,
            birth_year,
            born,
            blocks,
        } = prepared;
        if u32::try_from(self.arena.len() + text.len()).is_err() {
            self.compact_arena();
            if u32::try_from(self.arena.len() + text.len()).is_err() {
                return false;
            }
        }
        let Ok(slot) = u32::try_from(self.slots.len()) else {
            return false;
        };
        for key in blocks {
            let block = match self.blocks.get(&key) {
                Some(&b) => b,
                None => {
                    let b = self.by_block.len() as u32;
                    self.blocks.insert(key, b);
                    self.by_block.push(Vec::new());
                    b
                }
            };
            post(&mut self.by_block[block as usize], slot);
        }
        let mut word_ids: Vec<u32> = Vec::with_capacity(8);
        for w in normalised.split(' ').filter(|w| !w.is_empty()) {
            word_ids.push(self.word_id(w));
        }
        if let Some(y) = birth_year {
            word_ids.push(self.word_id(&y.to_string()));
        }
        word_ids.sort_unstable();
        word_ids.dedup();
        for w in word_ids {
            let keys = self.word_keys[w as usize];
            post(&mut self.by_word[w as usize], slot);
            if keys.key != NONE {
                post(&mut self.by_key[keys.key as usize], slot);
            }
            if keys.masc != NONE {
                post(&mut self.by_masc[keys.masc as usize], slot);
            }
            if keys.group != NONE {
                post(&mut self.by_group[keys.group as usize], slot);
            }
        }
        let start = self.arena.len() as u32;
        self.arena.push_str(&text);
        let region = self.region_id(region);
        self.slots.push(Slot {
            id,
            start,
            len: text.len() as u32,
            birth_year: birth_year.unwrap_or(0),
            region,
            born,
        });
        let merged = if self.merged_into.contains_key(&id) { MERGED } else { 0 };
        self.meta.push(LIVE | merged | level_index(level));
        self.slot_of.insert(id, slot);
        true
    }

    /// Notes that person `merged` is merged into `survivor`: search finds the survivor in
    /// their place (the merged person's words still find it), duplicate candidates leave
    /// the merged person out.
    pub fn merge(&mut self, survivor: i64, merged: i64) {
        if let Some(old) = self.merged_into.insert(merged, survivor)
            && let Some(m) = self.members.get_mut(&old)
        {
            m.retain(|&p| p != merged);
        }
        let members = self.members.entry(survivor).or_default();
        if !members.contains(&merged) {
            members.push(merged);
        }
        if let Some(&slot) = self.slot_of.get(&merged) {
            self.meta[slot as usize] |= MERGED;
        }
    }

    /// Undoes [`Self::merge`]: the person is found on their own again.
    pub fn unmerge(&mut self, merged: i64) {
        if let Some(survivor) = self.merged_into.remove(&merged)
            && let Some(m) = self.members.get_mut(&survivor)
        {
            m.retain(|&p| p != merged);
            if m.is_empty() {
                self.members.remove(&survivor);
            }
        }
        if let Some(&slot) = self.slot_of.get(&merged) {
            self.meta[slot as usize] &= !MERGED;
        }
    }

    /// Forgets a person: their slot is retired and no longer found.
    pub fn remove(&mut self, id: i64) {
        if let Some(slot) = self.slot_of.remove(&id) {
            self.prepared
                .get_mut()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .remove(slot);
            self.meta[slot as usize] = 0;
            self.arena_garbage += self.slots[slot as usize].len as usize;
        }
    }

    /// Rewrites the arena with the names of live slots only.
    fn compact_arena(&mut self) {
        let mut arena = String::with_capacity(self.arena.len() - self.arena_garbage);
        for (s, meta) in self.slots.iter_mut().zip(&self.meta) {
            if meta & LIVE != 0 {
                let start = arena.len() as u32;
                arena.push_str(&self.arena[s.start as usize..(s.start + s.len) as usize]);
                s.start = start;
            } else {
                s.len = 0;
                s.start = 0;
            }
        }
        self.arena = arena;
        self.arena_garbage = 0;
    }

    fn fields(&self, slot: &Slot) -> impl Iterator<Item = &str> {
        self.arena[slot.start as usize..(slot.start + slot.len) as usize].split(FIELD)
    }

    /// A query word's ids in the index's tables (`NONE` where the index has no such entry).
    fn query_word(&self, word: &str) -> QueryWord {
        let id = |k: &str| {
            if k.is_empty() {
                NONE
            } else {
                self.keys.get(k).copied().unwrap_or(NONE)
            }
        };
        let key = name_key(word);
        let masc = masculine_surname_key(word);
        QueryWord {
            text: word.to_owned(),
            word: self.words.get(word).copied().unwrap_or(NONE),
            key: id(&key),
            masc: if masc == key { NONE } else { id(&masc) },
            group: given_name_group(word)
                .and_then(|g| self.groups.get(g).copied())
                .unwrap_or(NONE),
        }
    }

    /// The persons met by one query word, sorted by slot, each with its best meet.
    fn word_postings(&self, q: &QueryWord) -> Vec<(u32, Meet)> {
        let mut lists: Vec<(&[u32], Meet)> = Vec::new();
        if q.word != NONE {
            lists.push((&self.by_word[q.word as usize], Meet::Exact));
        }
        if q.key != NONE {
            lists.push((&self.by_key[q.key as usize], Meet::Key));
            lists.push((&self.by_masc[q.key as usize], Meet::OtherGender));
        }
        if q.masc != NONE {
            lists.push((&self.by_key[q.masc as usize], Meet::OtherGender));
            lists.push((&self.by_masc[q.masc as usize], Meet::OtherGender));
        }
        if q.group != NONE {
            lists.push((&self.by_group[q.group as usize], Meet::GivenName));
        }
        // Strongest first, so that a slot in several lists keeps the best meet cheaply.
        lists.sort_by_key(|l| std::cmp::Reverse(l.1));
        let met = lists
            .into_iter()
            .fold(Vec::new(), |acc, (list, meet)| merge_best(acc, list, meet));
        self.to_survivors(met)
    }

    /// Puts the survivor in the place of each merged person (once, with the best meet).
    fn to_survivors(&self, met: Vec<(u32, Meet)>) -> Vec<(u32, Meet)> {
        if self.merged_into.is_empty() || !met.iter().any(|(slot, _)| self.meta[*slot as usize] & MERGED != 0) {
            return met;
        }
        let mut out: Vec<(u32, Meet)> = met
            .into_iter()
            .filter_map(|(slot, meet)| {
                if self.meta[slot as usize] & MERGED == 0 {
                    return Some((slot, meet));
                }
                let survivor = self.merged_into.get(&self.slots[slot as usize].id)?;
                Some((*self.slot_of.get(survivor)?, meet))
            })
            .collect();
        // By slot, the best meet first, then one per slot.
        out.sort_unstable_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
        out.dedup_by_key(|(slot, _)| *slot);
        out
    }

    /// How a person's word (by its id) meets a query word, as [`Self::word_postings`] sees it.
    fn meet(&self, word: u32, q: &QueryWord) -> Option<Meet> {
        let k = self.word_keys[word as usize];
        let same = |a: u32, b: u32| a != NONE && a == b;
        if word == q.word {
            Some(Meet::Exact)
        } else if same(k.key, q.key) {
            Some(Meet::Key)
        } else if same(k.group, q.group) {
            Some(Meet::GivenName)
        } else if same(k.masc, q.key) || same(k.key, q.masc) || same(k.masc, q.masc) {
            Some(Meet::OtherGender)
        } else {
            None
        }
    }

    /// The persons whose names meet the query's words, best first: those meeting every word
    /// before those meeting some, then by the strength of the meetings (same spelling, same
    /// key, same given-name group, other gender), then in id order. Only persons whose level
    /// `may_read` allows are counted or returned.
    pub fn search(&self, query: &str, may_read: impl Fn(Confidentiality) -> bool, limit: usize) -> NameResults {
        self.search_hiding(query, may_read, &HashSet::new(), limit)
    }

    /// [`NameIndex::search`] leaving out, from the hits and the counts alike, the persons in
    /// `hidden` (those in a compartment out of the reader's sight).
    pub fn search_hiding(
        &self,
        query: &str,
        may_read: impl Fn(Confidentiality) -> bool,
        hidden: &HashSet<i64>,
        limit: usize,
    ) -> NameResults {
        let words = query_words(query);
        let qs: Vec<QueryWord> = words.iter().map(|w| self.query_word(w)).collect();
        let mut candidates: Vec<Candidate> = Vec::new();
        for q in &qs {
            candidates = merge_word(candidates, &self.word_postings(q));
        }
        // What the reader may see, per level index, with the live bit: one byte to compare.
        let visible = candidates_visible(may_read);
        // Best first as one number: more words met, then a higher score, then the lower slot
        // (the order the index learned of the persons: id order, an edit moving a person to
        // the end until the next start).
        let mut ranked: Vec<u64> = candidates
            .iter()
            .filter(|c| visible[usize::from(self.meta[c.slot as usize])])
            .filter(|c| hidden.is_empty() || !hidden.contains(&self.slots[c.slot as usize].id))
            .map(|c| (u64::from(u8::MAX - c.matched) << 56) | (u64::from(u16::MAX - c.score) << 32) | u64::from(c.slot))
            .collect();
        let any = ranked.len();
        let all_rank = u64::from(u8::MAX - words.len() as u8);
        let all = ranked.iter().filter(|r| *r >> 56 == all_rank).count();
        if ranked.len() > limit && limit > 0 {
            ranked.select_nth_unstable(limit - 1);
        }
        ranked.truncate(limit);
        ranked.sort_unstable();
        let hits = ranked
            .iter()
            .map(|r| {
                let matched = usize::from(u8::MAX - (r >> 56) as u8);
                self.hit((r & u64::from(u32::MAX)) as u32, &qs, matched)
            })
            .collect();
        NameResults { words, all, any, hits }
    }

    /// How each query word met this person: the best of their words for it.
    fn reasons(&self, slot: &Slot, qs: &[QueryWord]) -> Vec<Reason> {
        // The person's words as written, with their id in the index, then those of the
        // persons merged into them.
        let mut written: Vec<(String, u32, Option<i64>)> = Vec::new();
        let merged = self.members.get(&slot.id).map(Vec::as_slice).unwrap_or_default();
        let whose = std::iter::once((slot, None)).chain(
            merged
                .iter()
                .filter_map(|m| Some((&self.slots[*self.slot_of.get(m)? as usize], Some(*m)))),
        );
        for (slot, from) in whose {
            for field in self.fields(slot) {
                for raw in field.split(|c: char| c.is_whitespace() || c == '-') {
                    let raw = raw.trim_matches(|c: char| !c.is_alphanumeric());
                    for n in normalise(raw).split(' ').filter(|n| !n.is_empty()) {
                        if let Some(&id) = self.words.get(n) {
                            written.push((raw.to_owned(), id, from));
                        }
                    }
                }
            }
            if slot.birth_year != 0 {
                let year = slot.birth_year.to_string();
                if let Some(&id) = self.words.get(year.as_str()) {
                    written.push((year, id, from));
                }
            }
        }
        let mut reasons = Vec::new();
        for q in qs {
            let best = written
                .iter()
                .filter_map(|(raw, id, from)| self.meet(*id, q).map(|m| (m, raw, *from)))
                // The first of equal meetings: the registry's own spelling before a variant,
                // the person's own words before those of persons merged into them.
                .fold(
                    None,
                    |best: Option<(Meet, &String, Option<i64>)>, (meet, raw, from)| match best {
                        Some((b, _, _)) if b >= meet => best,
                        _ => Some((meet, raw, from)),
                    },
                );
            if let Some((meet, raw, merged_from)) = best {
                reasons.push(Reason {
                    query: q.text.clone(),
                    meet,
                    word: raw.clone(),
                    merged_from,
                });
            }
        }
        reasons
    }

    fn hit(&self, slot_id: u32, qs: &[QueryWord], matched: usize) -> NameHit {
        let slot = &self.slots[slot_id as usize];
        let mut fields = self.fields(slot).map(str::to_owned);
        let family_name = fields.next().unwrap_or_default();
        let given_name = fields.next().unwrap_or_default();
        let patronymic = fields.next().unwrap_or_default();
        NameHit {
            id: slot.id,
            family_name,
            given_name,
            patronymic,
            variants: fields.collect(),
            birth_year: (slot.birth_year != 0).then_some(slot.birth_year),
            region: (slot.region != 0).then(|| self.regions[slot.region as usize - 1].to_string()),
            level: level_of(self.meta[slot_id as usize]),
            matched,
            reasons: self.reasons(slot, qs),
        }
    }

    /// The ids of live persons whose words meet `word` at least as well as `at_least` (the
    /// survivor in the place of a merged person).
    pub fn persons_meeting(&self, word: &str, at_least: Meet) -> Vec<i64> {
        let normalised = normalise(word);
        let mut out: Vec<i64> = Vec::new();
        for w in normalised.split(' ').filter(|w| !w.is_empty()) {
            for (slot, meet) in self.word_postings(&self.query_word(w)) {
                if self.meta[slot as usize] & LIVE != 0 && meet >= at_least {
                    out.push(self.slots[slot as usize].id);
                }
            }
        }
        out.sort_unstable();
        out.dedup();
        out
    }

    /// A person as the index holds them: (id, level, family name, given name).
    pub fn person(&self, id: i64) -> Option<(i64, Confidentiality, String, String)> {
        let slot_id = *self.slot_of.get(&id)?;
        let mut fields = self.fields(&self.slots[slot_id as usize]);
        let family = fields.next().unwrap_or_default().to_owned();
        let given = fields.next().unwrap_or_default().to_owned();
        Some((id, level_of(self.meta[slot_id as usize]), family, given))
    }

    /// Whether a slot takes part in duplicate candidates for a reader: live, not merged, of
    /// a level the reader may read (`visible`, indexed by the meta byte).
    fn candidate(&self, slot: u32, visible: &[bool; 256]) -> bool {
        visible[usize::from(self.meta[slot as usize])]
    }

    /// What razam-link compares of the person in a slot, and its level.
    fn entry(&self, slot: u32) -> Entry<i64> {
        let s = &self.slots[slot as usize];
        let mut fields = self.fields(s);
        let family = fields.next().unwrap_or_default();
        let given = fields.next().unwrap_or_default();
        let patronymic = fields.next().unwrap_or_default();
        Entry {
            id: s.id,
            record: duplicates::record_of(family, given, patronymic, s.born),
            level: level_of(self.meta[slot as usize]),
        }
    }

    /// The blocks of duplicate candidates for a reader: the persons they may read (not merged
    /// into another) that share a blocking key, each block of two to [`MAX_BLOCK`] of them as
    /// indexes into the entries given. Only the persons of such blocks are opened; comparing
    /// them ([`duplicates::pairs_in_blocks`]) is the caller's, outside the index's lock.
    pub fn duplicate_blocks(&self, may_read: impl Fn(Confidentiality) -> bool) -> (Vec<Entry<i64>>, Vec<Vec<usize>>) {
        let visible = candidates_visible(may_read);
        let mut local: HashMap<u32, usize> = HashMap::new();
        let mut entries: Vec<Entry<i64>> = Vec::new();
        let mut blocks: Vec<Vec<usize>> = Vec::new();
        let mut members: Vec<u32> = Vec::new();
        for list in &self.by_block {
            members.clear();
            members.extend(list.iter().copied().filter(|&s| self.candidate(s, &visible)));
            if members.len() < 2 || members.len() > MAX_BLOCK {
                continue;
            }
            blocks.push(
                members
                    .iter()
                    .map(|&slot| {
                        *local.entry(slot).or_insert_with(|| {
                            entries.push(self.entry(slot));
                            entries.len() - 1
                        })
                    })
                    .collect(),
            );
        }
        (entries, blocks)
    }

    /// The persons a reader may read (not merged into another) that share a blocking key
    /// with `record`, for [`duplicates::matches_of`] and the like; `keep` turns persons down
    /// by id.
    pub fn sharing_a_block(
        &self,
        record: &PersonRecord,
        may_read: impl Fn(Confidentiality) -> bool,
        keep: impl Fn(i64) -> bool,
    ) -> Vec<Entry<i64>> {
        self.block_slots(record, may_read, keep)
            .into_iter()
            .map(|s| self.entry(s))
            .collect()
    }

    /// The slots of [`Self::sharing_a_block`], in order.
    fn block_slots(
        &self,
        record: &PersonRecord,
        may_read: impl Fn(Confidentiality) -> bool,
        keep: impl Fn(i64) -> bool,
    ) -> Vec<u32> {
        let visible = candidates_visible(may_read);
        // As in the queue, a block larger than MAX_BLOCK (a very common family name) is not
        // compared within: the other keys (given name with birth year) still bring the
        // likely persons. Comparing a person page's person with thousands of namesakes took
        // a third of a second at 100,000 persons.
        let mut slots: Vec<u32> = duplicates::blocking_keys(record)
            .iter()
            .filter_map(|k| self.blocks.get(k))
            .map(|&b| &self.by_block[b as usize])
            .filter(|block| block.len() <= MAX_BLOCK)
            .flat_map(|block| block.iter().copied())
            .filter(|&s| self.candidate(s, &visible))
            .collect();
        slots.sort_unstable();
        slots.dedup();
        slots.retain(|&s| keep(self.slots[s as usize].id));
        slots
    }

    /// The prepared persons of `slots`: those kept, the rest prepared (outside the lock)
    /// and kept.
    fn prepared_of(&self, slots: &[u32]) -> Vec<std::sync::Arc<PreparedPerson>> {
        let lock = || self.prepared.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut found: Vec<Option<std::sync::Arc<PreparedPerson>>> = {
            let kept = lock();
            slots.iter().map(|&s| kept.get(s)).collect()
        };
        let missing: Vec<(usize, std::sync::Arc<PreparedPerson>)> = found
            .iter()
            .enumerate()
            .filter(|(_, p)| p.is_none())
            .map(|(i, _)| {
                (
                    i,
                    std::sync::Arc::new(PreparedPerson::new(&self.entry(slots[i]).record)),
                )
            })
            .collect();
        if !missing.is_empty() {
            let mut kept = lock();
            if kept.kept + missing.len() > PREPARED_KEPT {
                kept.clear();
            }
            for (i, p) in missing {
                kept.insert(slots[i], p.clone());
                found[i] = Some(p);
            }
        }
        found.into_iter().flatten().collect()
    }

    /// The persons a reader may read that `record` probably is, most likely first:
    /// [`duplicates::matches_of`] over the persons sharing a blocking key with it, each
    /// prepared once and kept for the next page.
    pub fn matches_of(
        &self,
        record: &PersonRecord,
        may_read: impl Fn(Confidentiality) -> bool,
        keep: impl Fn(i64) -> bool,
        model: &Model,
        threshold: f64,
    ) -> Vec<(i64, Evidence)> {
        let slots = self.block_slots(record, may_read, keep);
        let me = PreparedPerson::new(record);
        let screen = model.screen(threshold);
        let mut found: Vec<(i64, Evidence)> = slots
            .iter()
            .zip(self.prepared_of(&slots))
            .filter_map(|(&s, p)| Some((self.slots[s as usize].id, screen.compare(&me, &p)?)))
            .collect();
        duplicates::most_likely_first(&mut found);
        found
    }

    /// The duplicate blocks: how many, the heap they hold (part of [`Self::heap_bytes`]),
    /// the largest's size.
    pub fn block_stats(&self) -> (usize, usize, usize) {
        (
            self.by_block.len(),
            self.block_heap_bytes(),
            self.by_block.iter().map(Vec::len).max().unwrap_or(0),
        )
    }

    fn block_heap_bytes(&self) -> usize {
        let keys: usize = self
            .blocks
            .keys()
            .map(|k| match k {
                BlockKey::Family(s) | BlockKey::Masculine(s) | BlockKey::GivenYear(s, _) => s.len(),
            })
            .sum();
        self.by_block.capacity() * std::mem::size_of::<Vec<u32>>()
            + self.by_block.iter().map(|l| l.capacity() * 4).sum::<usize>()
            + self.blocks.capacity() * (std::mem::size_of::<(BlockKey, u32)>() + 1)
            + keys
    }

    /// Writes the index's tables for the sealed snapshot (what is derived from them, the
    /// maps from ids to slots and from regions to their numbers, is rebuilt when read).
    pub(crate) fn encode(&self, e: &mut Encoder) {
        e.dense_keys(self.words.iter().map(|(k, &v)| (&**k, v)), self.word_keys.len());
        for k in &self.word_keys {
            e.u32(k.key);
            e.u32(k.masc);
            e.u32(k.group);
        }
        e.dense_keys(self.keys.iter().map(|(k, &v)| (&**k, v)), self.by_key.len());
        e.dense_keys(self.groups.iter().map(|(k, &v)| (&**k, v)), self.by_group.len());
        e.len(self.slots.len());
        for s in &self.slots {
            e.i64(s.id);
            e.u32(s.start);
            e.u32(s.len);
            e.u16(s.birth_year as u16);
            e.u16(s.region);
            let (year, month, day) = s.born.parts();
            e.u16(year);
            e.u8(month);
            e.u8(day);
        }
        e.bytes(&self.meta);
        for lists in [&self.by_word, &self.by_key, &self.by_masc, &self.by_group] {
            e.lists(lists);
        }
        e.str(&self.arena);
        e.len(self.arena_garbage);
        e.len(self.regions.len());
        for r in &self.regions {
            e.str(r);
        }
        let mut blocks: Vec<Option<&BlockKey>> = vec![None; self.by_block.len()];
        for (k, &b) in &self.blocks {
            if let Some(slot) = blocks.get_mut(b as usize) {
                *slot = Some(k);
            }
        }
        e.len(blocks.len());
        for k in blocks {
            match k {
                Some(BlockKey::Family(s)) => {
                    e.u8(0);
                    e.str(s);
                }
                Some(BlockKey::Masculine(s)) => {
                    e.u8(1);
                    e.str(s);
                }
                Some(BlockKey::GivenYear(s, year)) => {
                    e.u8(2);
                    e.str(s);
                    e.u16(*year);
                }
                None => e.u8(3),
            }
        }
        e.lists(&self.by_block);
        e.len(self.merged_into.len());
        for (&merged, &survivor) in &self.merged_into {
            e.i64(merged);
            e.i64(survivor);
        }
        e.len(self.members.len());
        for (&survivor, merged) in &self.members {
            e.i64(survivor);
            e.len(merged.len());
            for &m in merged {
                e.i64(m);
            }
        }
    }

    /// Reads what [`Self::encode`] wrote, checking that every number points inside its table
    /// (a slot's names inside the arena, a posting at a slot, a word at its keys).
    pub(crate) fn decode(d: &mut Decoder<'_>) -> Result<NameIndex, Refused> {
        let words = d.dense_keys()?;
        let mut word_keys = Vec::with_capacity(words.len());
        for _ in 0..words.len() {
            word_keys.push(WordKeys {
                key: d.u32()?,
                masc: d.u32()?,
                group: d.u32()?,
            });
        }
        let keys = d.dense_keys()?;
        let groups = d.dense_keys()?;
        let n = d.len()?;
        let mut slots = Vec::with_capacity(n);
        for _ in 0..n {
            slots.push(Slot {
                id: d.i64()?,
                start: d.u32()?,
                len: d.u32()?,
                birth_year: d.u16()? as i16,
                region: d.u16()?,
                born: Born::from_parts((d.u16()?, d.u8()?, d.u8()?)),
            });
        }
        let meta = d.bytes()?.to_vec();
        let (by_word, by_key, by_masc, by_group) = (d.lists(n)?, d.lists(n)?, d.lists(n)?, d.lists(n)?);
        let arena = d.str()?.to_owned();
        let arena_garbage = d.len()?;
        let mut regions: Vec<Box<str>> = Vec::new();
        for _ in 0..d.len()? {
            regions.push(d.str()?.into());
        }
        let mut blocks = HashMap::new();
        let n_blocks = d.len()?;
        for b in 0..n_blocks {
            let key = match d.u8()? {
                0 => BlockKey::Family(d.str()?.into()),
                1 => BlockKey::Masculine(d.str()?.into()),
                2 => BlockKey::GivenYear(d.str()?.into(), d.u16()?),
                3 => continue,
                _ => return Err(Refused::Damaged("a blocking key of no kind")),
            };
            blocks.insert(key, b as u32);
        }
        let by_block = d.lists(n)?;
        let mut merged_into = HashMap::new();
        for _ in 0..d.len()? {
            merged_into.insert(d.i64()?, d.i64()?);
        }
        let mut members = HashMap::new();
        for _ in 0..d.len()? {
            let survivor = d.i64()?;
            let mut merged = Vec::new();
            for _ in 0..d.len()? {
                merged.push(d.i64()?);
            }
            members.insert(survivor, merged);
        }
        let within = |id: u32, len: usize| id == NONE || (id as usize) < len;
        let consistent = meta.len() == n
            && by_word.len() == words.len()
            && by_key.len() == keys.len()
            && by_masc.len() == keys.len()
            && by_group.len() == groups.len()
            && by_block.len() == n_blocks
            && word_keys
                .iter()
                .all(|k| within(k.key, keys.len()) && within(k.masc, keys.len()) && within(k.group, groups.len()))
            && slots.iter().all(|s| {
                let end = s.start as usize + s.len as usize;
                end <= arena.len()
                    && arena.is_char_boundary(s.start as usize)
                    && arena.is_char_boundary(end)
                    && usize::from(s.region) <= regions.len()
            });
        if !consistent {
            return Err(Refused::Damaged("the name index's tables do not agree"));
        }
        let mut slot_of = HashMap::with_capacity(n);
        for (i, (s, m)) in slots.iter().zip(&meta).enumerate() {
            if m & LIVE != 0 {
                slot_of.insert(s.id, i as u32);
            }
        }
        let region_ids = regions
            .iter()
            .enumerate()
            .map(|(i, r)| (r.clone(), i as u16 + 1))
            .collect();
        Ok(NameIndex {
            words,
            word_keys,
            keys,
            groups,
            by_word,
            by_key,
            by_masc,
            by_group,
            slots,
            meta,
            slot_of,
            arena,
            arena_garbage,
            regions,
            region_ids,
            blocks,
            by_block,
            merged_into,
            members,
            prepared: Default::default(),
        })
    }

    /// An estimate of the heap the index holds, in bytes (capacities, not just lengths).
    pub fn heap_bytes(&self) -> usize {
        let lists = |v: &Vec<Vec<u32>>| {
            v.capacity() * std::mem::size_of::<Vec<u32>>() + v.iter().map(|l| l.capacity() * 4).sum::<usize>()
        };
        // A hash map entry: the key and value, one control byte, at the table's capacity.
        let map = |cap: usize, entry: usize| cap * (entry + 1);
        let boxed: usize =
            self.words.keys().map(|k| k.len()).sum::<usize>() + self.keys.keys().map(|k| k.len()).sum::<usize>();
        lists(&self.by_word)
            + self.block_heap_bytes()
            + map(self.merged_into.capacity(), std::mem::size_of::<(i64, i64)>())
            + map(self.members.capacity(), std::mem::size_of::<(i64, Vec<i64>)>())
            + self.members.values().map(|m| m.capacity() * 8).sum::<usize>()
            + lists(&self.by_key)
            + lists(&self.by_masc)
            + lists(&self.by_group)
            + map(self.words.capacity(), std::mem::size_of::<(Box<str>, u32)>())
            + map(self.keys.capacity(), std::mem::size_of::<(Box<str>, u32)>())
            + boxed
            + self.word_keys.capacity() * std::mem::size_of::<WordKeys>()
            + self.slots.capacity() * std::mem::size_of::<Slot>()
            + self.meta.capacity()
            + map(self.slot_of.capacity(), std::mem::size_of::<(i64, u32)>())
            + self.arena.capacity()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    fn person<'a>(family: &'a str, given: &'a str, patronymic: &'a str, variants: &'a [String]) -> PersonNames<'a> {
        PersonNames {
            family_name: family,
            given_name: given,
            patronymic,
            variants,
            birth_date: "",
        }
    }

    fn index() -> NameIndex {
        let mut ix = NameIndex::new();
        let none: &[String] = &[];
        let variants = vec!["Kalinouski Aliaksandr".to_owned()];
        ix.upsert(
            1,
            &person("Каліноўскі", "Аляксандр", "Іванавіч", &variants),
            Some("minsk"),
            Confidentiality::Internal,
        );
        ix.upsert(
            2,
            &person("Калиновский", "Алесь", "", none),
            None,
            Confidentiality::Internal,
        );
        ix.upsert(
            3,
            &person("Ціханоўская", "Святлана", "Георгіеўна", none),
            None,
            Confidentiality::Public,
        );
        ix.upsert(
            4,
            &person("Ціханоўскі", "Сяргей", "", none),
            None,
            Confidentiality::Internal,
        );
        ix.upsert(5, &person("Лосік", "Ігар", "", none), None, Confidentiality::Restricted);
        ix.upsert(6, &person("Петров", "Иван", "", none), None, Confidentiality::Internal);
        ix
    }

    fn ids(r: &NameResults) -> Vec<i64> {
        r.hits.iter().map(|h| h.id).collect()
    }

    const EVERY_LEVEL: fn(Confidentiality) -> bool = |_| true;

    #[test]
    fn a_latin_spelling_finds_the_cyrillic_record_and_all_words_rank_first() {
        let ix = index();
        let r = ix.search("Aliaksandr Kalinouski", EVERY_LEVEL, 10);
        // 1 meets both words exactly (its variant) ; 2 meets the family name by key and
        // Алесь by the given-name group.
        assert_eq!(ids(&r), vec![1, 2]);
        assert_eq!((r.all, r.any), (2, 2));
        assert_eq!(r.hits[0].reasons[0].meet, Meet::Exact);
        let r = ix.search("Калиновский Александр", EVERY_LEVEL, 10);
        assert_eq!(ids(&r), vec![2, 1]);
        assert_eq!(r.hits[0].reasons[0].meet, Meet::Exact);
        assert_eq!(r.hits[0].reasons[1].meet, Meet::GivenName);
        assert_eq!(
            r.hits[1].reasons[0],
            Reason {
                query: "калиновский".into(),
                meet: Meet::Key,
                word: "Каліноўскі".into(),
                merged_from: None,
            }
        );
    }

    #[test]
    fn other_gender_ranks_below_the_same_key() {
        let ix = index();
        let r = ix.search("Tsikhanouskaya", EVERY_LEVEL, 10);
        assert_eq!(ids(&r), vec![3, 4]);
        assert_eq!(r.hits[0].reasons[0].meet, Meet::Key);
        assert_eq!(r.hits[1].reasons[0].meet, Meet::OtherGender);
        assert_eq!(r.hits[1].reasons[0].word, "Ціханоўскі");
        let r = ix.search("Тихановский", EVERY_LEVEL, 10);
        assert_eq!(ids(&r), vec![4, 3]);
    }

    #[test]
    fn levels_the_reader_may_not_read_are_neither_found_nor_counted() {
        let ix = index();
        assert_eq!(ids(&ix.search("LOSIK Ihar", EVERY_LEVEL, 10)), vec![5]);
        let r = ix.search("LOSIK Ihar", |l| l != Confidentiality::Restricted, 10);
        assert!(r.hits.is_empty());
        assert_eq!((r.all, r.any), (0, 0));
    }

    #[test]
    fn some_words_are_found_below_all_and_the_limit_keeps_the_best() {
        let ix = index();
        let r = ix.search("Ivan Kalinouski", EVERY_LEVEL, 10);
        assert_eq!(r.all, 0);
        assert_eq!(r.any, 3);
        // Ties (one word met by key) break by id.
        assert_eq!(ids(&r), vec![1, 2, 6]);
        let r = ix.search("Ivan Kalinouski", EVERY_LEVEL, 1);
        assert_eq!(ids(&r), vec![1]);
        assert_eq!(r.any, 3);
    }

    #[test]
    fn an_edit_replaces_the_old_names_and_a_removal_forgets() {
        let mut ix = index();
        ix.upsert(6, &person("Сидоров", "Иван", "", &[]), None, Confidentiality::Internal);
        assert!(ix.search("Petrov", EVERY_LEVEL, 10).hits.is_empty());
        assert_eq!(ids(&ix.search("Sidorov", EVERY_LEVEL, 10)), vec![6]);
        ix.remove(6);
        assert!(ix.search("Sidorov", EVERY_LEVEL, 10).hits.is_empty());
        assert_eq!(ix.len(), 5);
        ix.compact_arena();
        assert_eq!(ix.search("Лосік", EVERY_LEVEL, 10).hits[0].full_name(), "Лосік Ігар");
    }

    #[test]
    fn the_birth_year_is_a_word_of_the_person() {
        let mut ix = NameIndex::new();
        let p = PersonNames {
            birth_date: "1985-03-02",
            ..person("Лосік", "Ігар", "", &[])
        };
        ix.upsert(9, &p, None, Confidentiality::Internal);
        ix.upsert(10, &person("Лосік", "Ігар", "", &[]), None, Confidentiality::Internal);
        let r = ix.search("Losik 1985", EVERY_LEVEL, 10);
        assert_eq!(ids(&r), vec![9, 10]);
        assert_eq!(r.all, 1);
        assert_eq!(r.hits[0].birth_year, Some(1985));
    }

    #[test]
    fn query_words_are_normalised_deduplicated_and_initials_dropped() {
        assert_eq!(query_words("  LOSIK, Ihar  I. losik"), vec!["losik", "ihar"]);
        assert_eq!(query_words("a b c").len(), 0);
        assert_eq!(query_words("aa bb cc dd ee ff gg hh ii jj").len(), MAX_QUERY_WORDS);
    }

    #[test]
    fn persons_meeting_a_word_at_a_strength() {
        let ix = index();
        assert_eq!(ix.persons_meeting("Kalinowski", Meet::Key), vec![1, 2]);
        assert_eq!(ix.persons_meeting("Aleksandr", Meet::GivenName), vec![1, 2]);
        assert_eq!(ix.persons_meeting("Aleksandr", Meet::Key), vec![1]);
    }

    /// A registry of namesakes and spellings: family names in Cyrillic and Latin, feminine
    /// forms, given names of one group, birth dates at every precision, every level.
    fn registry() -> Vec<(i64, [String; 4], Confidentiality)> {
        let families = [
            "Лосік",
            "Losik",
            "Лосик",
            "Іваноў",
            "Іванова",
            "Ivanou",
            "Иванов",
            "Каліноўскі",
            "Kalinouski",
            "Бяляцкі",
        ];
        let givens = ["Ігар", "Ihar", "Игорь", "Іван", "Ivan", "Алесь", "Aliaksandr", "Марыя"];
        let births = [
            "1992-06-12",
            "1992",
            "1992-06",
            "1971-02-03",
            "",
            "1992-01-01/1992-12-31",
            "1989-12-01/1990-01-31",
        ];
        let levels = Confidentiality::ALL;
        let mut out = Vec::new();
        let mut id = 0;
        for (f, family) in families.iter().enumerate() {
            for (g, given) in givens.iter().enumerate() {
                // Not every combination: about a third, varied by position.
                if (f + 2 * g) % 3 != 0 {
                    continue;
                }
                id += 1;
                let birth = births[(f + g) % births.len()];
                let patronymic = if g % 2 == 0 { "Іванавіч" } else { "" };
                let level = levels[(f * 7 + g) % levels.len()];
                out.push((
                    id,
                    [
                        family.to_string(),
                        given.to_string(),
                        patronymic.to_string(),
                        birth.to_string(),
                    ],
                    level,
                ));
            }
        }
        out
    }

    fn indexed(persons: &[(i64, [String; 4], Confidentiality)]) -> NameIndex {
        let mut ix = NameIndex::new();
        for (id, [family, given, patronymic, birth], level) in persons {
            let names = PersonNames {
                family_name: family,
                given_name: given,
                patronymic,
                variants: &[],
                birth_date: birth,
            };
            assert!(ix.upsert(*id, &names, None, *level));
        }
        ix
    }

    fn entries(
        persons: &[(i64, [String; 4], Confidentiality)],
        may_read: impl Fn(Confidentiality) -> bool,
        merged: &[i64],
    ) -> Vec<Entry<i64>> {
        persons
            .iter()
            .filter(|(id, _, level)| may_read(*level) && !merged.contains(id))
            .map(|(id, [family, given, patronymic, birth], level)| Entry {
                id: *id,
                record: duplicates::person_record(&crate::registry::Identity {
                    family_name: family.clone(),
                    given_name: given.clone(),
                    patronymic: patronymic.clone(),
                    birth_date: birth.clone(),
                    ..Default::default()
                }),
                level: *level,
            })
            .collect()
    }

    fn pair_ids(found: &[duplicates::Candidate<i64>]) -> Vec<(i64, i64, u64)> {
        found
            .iter()
            .map(|c| (c.survivor, c.merged, c.evidence.probability.to_bits()))
            .collect()
    }

    #[test]
    fn the_index_proposes_the_pairs_blocking_over_every_person_proposes() {
        let persons = registry();
        let mut ix = indexed(&persons);
        let model = Model::default();
        let not_restricted = |l| l != Confidentiality::Restricted;
        let excluded: HashSet<(i64, i64)> = [(2, 1)].into_iter().collect();
        for merged in [&[][..], &[3, 5]] {
            for &m in merged {
                ix.merge(1, m);
            }
            for reader in [EVERY_LEVEL, not_restricted] {
                let expected = duplicates::candidate_pairs(
                    &entries(&persons, reader, merged),
                    &model,
                    &excluded,
                    duplicates::PROPOSE_AT,
                );
                assert!(expected.len() > 5, "{}", expected.len());
                let (opened, blocks) = ix.duplicate_blocks(reader);
                let found = duplicates::pairs_in_blocks(
                    blocks.iter().map(Vec::as_slice),
                    &opened,
                    &model,
                    &excluded,
                    duplicates::PROPOSE_AT,
                    |_, _| true,
                );
                assert_eq!(pair_ids(&found), pair_ids(&expected));
                // One person against the rest: the same as matches_of over every person.
                for (id, _, _) in persons.iter().take(12) {
                    let all = entries(&persons, reader, merged);
                    let Some(me) = all.iter().find(|e| e.id == *id) else {
                        continue;
                    };
                    let others: Vec<Entry<i64>> = all.iter().filter(|e| e.id != *id).cloned().collect();
                    let expected = duplicates::matches_of(&me.record, &others, &model, duplicates::PROPOSE_AT);
                    let found = ix.matches_of(&me.record, reader, |p| p != *id, &model, duplicates::PROPOSE_AT);
                    let bits = |v: &[(i64, Evidence)]| {
                        v.iter().map(|(i, e)| (*i, e.probability.to_bits())).collect::<Vec<_>>()
                    };
                    assert_eq!(bits(&found), bits(&expected), "person {id}");
                }
            }
        }
    }

    #[test]
    fn a_merged_person_is_found_as_the_survivor_with_the_reason_and_undo_restores_them() {
        let mut ix = index();
        // 2 (Калиновский Алесь) merged into 1 (Каліноўскі Аляксандр).
        let before = ix.search("Калиновский Алесь", EVERY_LEVEL, 10);
        assert_eq!(ids(&before), vec![2, 1]);
        ix.merge(1, 2);
        let r = ix.search("Калиновский Алесь", EVERY_LEVEL, 10);
        assert_eq!(ids(&r), vec![1]);
        assert_eq!((r.all, r.any), (1, 1));
        assert_eq!(
            r.hits[0].reasons,
            vec![
                Reason {
                    query: "калиновский".into(),
                    meet: Meet::Exact,
                    word: "Калиновский".into(),
                    merged_from: Some(2),
                },
                Reason {
                    query: "алесь".into(),
                    meet: Meet::Exact,
                    word: "Алесь".into(),
                    merged_from: Some(2),
                },
            ]
        );
        // Its own words first when they meet as well.
        let r = ix.search("Каліноўскі", EVERY_LEVEL, 10);
        assert_eq!(ids(&r), vec![1]);
        assert_eq!(r.hits[0].reasons[0].merged_from, None);
        assert_eq!(ix.persons_meeting("Kalinowski", Meet::Key), vec![1]);
        // An edit of the merged person keeps the merge.
        ix.upsert(
            2,
            &person("Калиновский", "Алесь", "Петрович", &[]),
            None,
            Confidentiality::Internal,
        );
        assert_eq!(ids(&ix.search("Петрович", EVERY_LEVEL, 10)), vec![1]);
        ix.unmerge(2);
        let after = ix.search("Калиновский Алесь", EVERY_LEVEL, 10);
        assert_eq!(ids(&after), ids(&before));
        assert_eq!(after.hits[0].reasons, before.hits[0].reasons);
        assert_eq!(ix.persons_meeting("Kalinowski", Meet::Key), vec![1, 2]);
    }

    #[test]
    fn a_slot_stays_at_24_bytes() {
        assert_eq!(std::mem::size_of::<Slot>(), 24);
    }
}
