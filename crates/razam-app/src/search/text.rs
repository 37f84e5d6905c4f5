//! The full-text index over what events and sources say: an event's description, district,
//! settlement and facility; a source's title, reference and notes.
//!
//! Held in memory only. Words are folded by `razam_link::normalise` (case, accents,
//! apostrophes), then stemmed with Snowball: Cyrillic words by the Russian stemmer (ё read as
//! е), Latin words by the English one; other words (numbers, other scripts) are kept whole.
//! Belarusian has no Snowball stemmer: Belarusian words go through the Russian one, which takes
//! off the endings the two languages share (-ага, -ы, -ая, -ам…) and leaves the rest, so a
//! Belarusian form meets fewer of its inflections than a Russian one does.
//!
//! A document is one event's details or one source; a query's words must all occur in the same
//! document. An edit retires the document's slot and appends a new one, so posting lists stay
//! sorted without being searched.

use std::collections::{HashMap, HashSet};

use razam_core::registry::Confidentiality;
use razam_link::{normalise, normalise_into};
use rust_stemmers::{Algorithm, Stemmer};

use super::snapshot::{Decoder, Encoder, Refused};

/// Words shorter than this (prepositions like в, у, a) are neither indexed nor asked for.
const MIN_WORD_CHARS: usize = 2;
/// Words of a query beyond this many are ignored.
pub const MAX_QUERY_TERMS: usize = 8;

/// The index term of one normalised word.
fn stem(word: &str) -> String {
    if word.chars().any(|c| matches!(c, '\u{0400}'..='\u{04FF}')) {
        let word = word.replace('ё', "е");
        Stemmer::create(Algorithm::Russian).stem(&word).into_owned()
    } else if word.chars().all(|c| c.is_ascii_lowercase()) {
        Stemmer::create(Algorithm::English).stem(word).into_owned()
    } else {
        word.to_owned()
    }
}

/// The distinct terms of a text, in order of first appearance.
pub fn terms(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for word in normalise(text).split(' ') {
        if word.chars().count() < MIN_WORD_CHARS {
            continue;
        }
        let term = stem(word);
        if !out.contains(&term) {
            out.push(term);
        }
    }
    out
}

/// The terms of a query, at most [`MAX_QUERY_TERMS`].
pub fn query_terms(query: &str) -> Vec<String> {
    let mut t = terms(query);
    t.truncate(MAX_QUERY_TERMS);
    t
}

/// A document's texts normalised, one word after another: the part of indexing it that needs
/// no index, so that it can run on several threads while one thread inserts.
#[derive(Debug, Clone)]
pub struct PreparedText(String);

impl PreparedText {
    pub fn of(texts: &[&str]) -> PreparedText {
        // One buffer for the whole document: the texts normalised straight into it.
        let mut all = String::with_capacity(texts.iter().map(|t| t.len() + 1).sum());
        for text in texts {
            normalise_into(text, &mut all);
        }
        PreparedText(all)
    }
}

/// Where a document came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Origin {
    Event,
    /// A source, with the event it is linked to.
    Source {
        event: i64,
    },
}

#[derive(Debug, Clone, Copy)]
struct Doc {
    id: i64,
    origin: Origin,
    level: Confidentiality,
    live: bool,
}

/// An event found: by its own details, or by one of its sources.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextHit {
    pub event: i64,
    /// The source whose text matched, when the event's own details did not.
    pub source: Option<i64>,
    /// The event, or the source shown with it, is restricted: its read is audited by id.
    pub restricted: bool,
}

#[derive(Debug, Clone, Default)]
pub struct TextResults {
    pub terms: Vec<String>,
    /// Readable events found (by their details or a readable source).
    pub total: usize,
    /// Newest event first.
    pub hits: Vec<TextHit>,
}

/// The index of event and source texts. Not thread-safe by itself: the app holds it under a lock.
#[derive(Default)]
pub struct TextIndex {
    terms: HashMap<Box<str>, u32>,
    /// The term of each distinct word seen (inflected forms), so that a word is stemmed once.
    word_terms: HashMap<Box<str>, u32>,
    postings: Vec<Vec<u32>>,
    docs: Vec<Doc>,
    events: HashMap<i64, u32>,
    sources: HashMap<i64, u32>,
}

/// The sorted intersection of two sorted lists.
fn intersect(a: &[u32], b: &[u32]) -> Vec<u32> {
    let mut out = Vec::with_capacity(a.len().min(b.len()));
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                out.push(a[i]);
                i += 1;
                j += 1;
            }
        }
    }
    out
}

impl TextIndex {
    pub fn new() -> TextIndex {
        TextIndex::default()
    }

    /// Events and sources in the index.
    pub fn len(&self) -> (usize, usize) {
        (self.events.len(), self.sources.len())
    }

    /// The term id of a normalised word: stemmed once per distinct word (the stem is cached
    /// by word for letters; numbers are their own term).
    fn term_id(&mut self, word: &str) -> u32 {
        let letters = !word.chars().all(|c| c.is_ascii_digit());
        if letters && let Some(&t) = self.word_terms.get(word) {
            return t;
        }
        let term = if letters { stem(word) } else { word.to_owned() };
        let t = match self.terms.get(term.as_str()) {
            Some(&t) => t,
            None => {
                let t = self.postings.len() as u32;
                self.terms.insert(term.into(), t);
                self.postings.push(Vec::new());
                t
            }
        };
        if letters {
            self.word_terms.insert(word.into(), t);
        }
        t
    }

    fn add(&mut self, id: i64, origin: Origin, level: Confidentiality, text: PreparedText) -> bool {
        let Ok(slot) = u32::try_from(self.docs.len()) else {
            return false;
        };
        let mut terms: Vec<u32> = Vec::new();
        for word in text.0.split(' ') {
            if word.chars().count() >= MIN_WORD_CHARS {
                terms.push(self.term_id(word));
            }
        }
        terms.sort_unstable();
        terms.dedup();
        for t in terms {
            self.postings[t as usize].push(slot);
        }
        self.docs.push(Doc {
            id,
            origin,
            level,
            live: true,
        });
        true
    }

    /// Adds an event's texts, or replaces what the index held of them. False when the index
    /// is full (four billion documents).
    pub fn upsert_event(&mut self, id: i64, level: Confidentiality, texts: &[&str]) -> bool {
        self.insert_event(id, level, PreparedText::of(texts))
    }

    /// [`Self::upsert_event`] with the texts already normalised ([`PreparedText::of`]).
    pub fn insert_event(&mut self, id: i64, level: Confidentiality, text: PreparedText) -> bool {
        if let Some(old) = self.events.remove(&id) {
            self.docs[old as usize].live = false;
        }
        let slot = self.docs.len() as u32;
        let added = self.add(id, Origin::Event, level, text);
        if added {
            self.events.insert(id, slot);
        }
        added
    }

    /// Adds a source linked to `event`, or replaces what the index held of it.
    pub fn upsert_source(&mut self, id: i64, event: i64, level: Confidentiality, texts: &[&str]) -> bool {
        self.insert_source(id, event, level, PreparedText::of(texts))
    }

    /// [`Self::upsert_source`] with the texts already normalised ([`PreparedText::of`]).
    pub fn insert_source(&mut self, id: i64, event: i64, level: Confidentiality, text: PreparedText) -> bool {
        if let Some(old) = self.sources.remove(&id) {
            self.docs[old as usize].live = false;
        }
        let slot = self.docs.len() as u32;
        let added = self.add(id, Origin::Source { event }, level, text);
        if added {
            self.sources.insert(id, slot);
        }
        added
    }

    fn event_level(&self, event: i64) -> Option<Confidentiality> {
        self.events.get(&event).map(|&slot| self.docs[slot as usize].level)
    }

    fn source_level(&self, source: i64) -> Option<Confidentiality> {
        self.sources.get(&source).map(|&slot| self.docs[slot as usize].level)
    }

    /// Events whose details, or one of whose sources, hold every term of the query, newest
    /// first. A source counts only when the reader may read both it and its event.
    pub fn search(&self, query: &str, may_read: impl Fn(Confidentiality) -> bool, limit: usize) -> TextResults {
        self.search_hiding(query, may_read, &HashSet::new(), limit)
    }

    /// [`TextIndex::search`] leaving out, from the hits and the count alike, the events in
    /// `hidden` (those in a compartment out of the reader's sight) and their sources.
    pub fn search_hiding(
        &self,
        query: &str,
        may_read: impl Fn(Confidentiality) -> bool,
        hidden: &HashSet<i64>,
        limit: usize,
    ) -> TextResults {
        let terms = query_terms(query);
        let mut lists: Vec<&[u32]> = Vec::with_capacity(terms.len());
        for t in &terms {
            match self.terms.get(t.as_str()) {
                Some(&id) => lists.push(&self.postings[id as usize]),
                None => {
                    return TextResults {
                        terms,
                        ..TextResults::default()
                    };
                }
            }
        }
        // Shortest list first: every intersection is at most as long as it.
        lists.sort_by_key(|l| l.len());
        let Some((first, rest)) = lists.split_first() else {
            return TextResults::default();
        };
        let mut narrowed: Vec<u32>;
        let mut docs: &[u32] = first;
        for l in rest {
            narrowed = intersect(docs, l);
            docs = &narrowed;
        }
        // Which levels the reader may read, asked once rather than per document.
        let visible: Vec<bool> = Confidentiality::ALL.iter().map(|l| may_read(*l)).collect();
        let readable = |l: Confidentiality| {
            Confidentiality::ALL
                .iter()
                .position(|x| *x == l)
                .is_some_and(|i| visible[i])
        };
        // Events met by their own details (each once: an event has one live document), and
        // events met by a source only.
        let mut own: Vec<i64> = Vec::new();
        let mut via: Vec<(i64, i64)> = Vec::new();
        for &slot in docs {
            let d = &self.docs[slot as usize];
            if !d.live || !readable(d.level) {
                continue;
            }
            match d.origin {
                Origin::Event => {
                    if !hidden.contains(&d.id) {
                        own.push(d.id);
                    }
                }
                Origin::Source { event } => {
                    if self.event_level(event).is_some_and(readable) && !hidden.contains(&event) {
                        via.push((event, d.id));
                    }
                }
            }
        }
        // Slots follow the order the index learned of the events (id order but for edits):
        // nearly sorted already.
        own.sort_unstable();
        if !via.is_empty() {
            // An event once, by its first source, and not at all when its own details met.
            via.sort_unstable();
            via.dedup_by_key(|v| v.0);
            via.retain(|(event, _)| own.binary_search(event).is_err());
        }
        let total = own.len() + via.len();
        // The newest `limit`, taken from the ends of the two sorted lists.
        let mut hits = Vec::with_capacity(limit.min(total));
        let (mut i, mut j) = (own.len(), via.len());
        while hits.len() < limit && (i > 0 || j > 0) {
            let by_own = j == 0 || (i > 0 && own[i - 1] > via[j - 1].0);
            if by_own {
                i -= 1;
                hits.push(TextHit {
                    event: own[i],
                    source: None,
                    restricted: self.event_level(own[i]) == Some(Confidentiality::Restricted),
                });
            } else {
                j -= 1;
                let (event, source) = via[j];
                let restricted =
                    [self.event_level(event), self.source_level(source)].contains(&Some(Confidentiality::Restricted));
                hits.push(TextHit {
                    event,
                    source: Some(source),
                    restricted,
                });
            }
        }
        TextResults { terms, total, hits }
    }

    /// Writes the index's tables for the sealed snapshot (the maps from ids to documents are
    /// rebuilt from the live documents when read).
    pub(crate) fn encode(&self, e: &mut Encoder) {
        e.dense_keys(self.terms.iter().map(|(k, &v)| (&**k, v)), self.postings.len());
        e.len(self.word_terms.len());
        for (word, &term) in &self.word_terms {
            e.str(word);
            e.u32(term);
        }
        e.lists(&self.postings);
        e.len(self.docs.len());
        for d in &self.docs {
            e.i64(d.id);
            match d.origin {
                Origin::Event => e.u8(0),
                Origin::Source { event } => {
                    e.u8(1);
                    e.i64(event);
                }
            }
            e.u8(Confidentiality::ALL.iter().position(|l| *l == d.level).unwrap_or(0) as u8);
            e.u8(u8::from(d.live));
        }
    }

    /// Reads what [`Self::encode`] wrote, checking that every posting is a document and every
    /// word's term a term.
    pub(crate) fn decode(d: &mut Decoder<'_>) -> Result<TextIndex, Refused> {
        let terms = d.dense_keys()?;
        let n_words = d.len()?;
        let mut word_terms = HashMap::with_capacity(n_words);
        for _ in 0..n_words {
            let word: Box<str> = d.str()?.into();
            let term = d.u32()?;
            if term as usize >= terms.len() {
                return Err(Refused::Damaged("a word of no term"));
            }
            word_terms.insert(word, term);
        }
        // The documents come after the postings: their count bounds the postings once read.
        let postings = d.lists(u32::MAX as usize)?;
        let n = d.len()?;
        let mut docs = Vec::with_capacity(n);
        let (mut events, mut sources) = (HashMap::new(), HashMap::new());
        for slot in 0..n {
            let id = d.i64()?;
            let origin = match d.u8()? {
                0 => Origin::Event,
                1 => Origin::Source { event: d.i64()? },
                _ => return Err(Refused::Damaged("a document of no kind")),
            };
            let level = *Confidentiality::ALL
                .get(usize::from(d.u8()?))
                .ok_or(Refused::Damaged("a level of no kind"))?;
            let live = d.u8()? != 0;
            if live {
                match origin {
                    Origin::Event => events.insert(id, slot as u32),
                    Origin::Source { .. } => sources.insert(id, slot as u32),
                };
            }
            docs.push(Doc {
                id,
                origin,
                level,
                live,
            });
        }
        if postings.len() != terms.len() || postings.iter().flatten().any(|&s| s as usize >= n) {
            return Err(Refused::Damaged("the text index's tables do not agree"));
        }
        Ok(TextIndex {
            terms,
            word_terms,
            postings,
            docs,
            events,
            sources,
        })
    }

    /// An estimate of the heap the index holds, in bytes.
    pub fn heap_bytes(&self) -> usize {
        let map = |cap: usize, entry: usize| cap * (entry + 1);
        self.postings.capacity() * std::mem::size_of::<Vec<u32>>()
            + self.postings.iter().map(|l| l.capacity() * 4).sum::<usize>()
            + map(self.terms.capacity(), std::mem::size_of::<(Box<str>, u32)>())
            + self.terms.keys().map(|k| k.len()).sum::<usize>()
            + map(self.word_terms.capacity(), std::mem::size_of::<(Box<str>, u32)>())
            + self.word_terms.keys().map(|k| k.len()).sum::<usize>()
            + self.docs.capacity() * std::mem::size_of::<Doc>()
            + map(self.events.capacity(), std::mem::size_of::<(i64, u32)>())
            + map(self.sources.capacity(), std::mem::size_of::<(i64, u32)>())
    }
}

/// A piece of text around its first word that meets one of `terms`: the words before it, the
/// word, the words after, with an ellipsis where the text was cut.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snippet {
    pub before: String,
    pub hit: String,
    pub after: String,
}

/// Words shown before and after the word that met.
const SNIPPET_BEFORE: usize = 6;
const SNIPPET_AFTER: usize = 10;

/// The snippet of the first of `texts` that holds a word meeting one of `terms`.
pub fn snippet(texts: &[&str], terms: &[String]) -> Option<Snippet> {
    texts.iter().find_map(|text| snippet_of(text, terms))
}

fn snippet_of(text: &str, terms: &[String]) -> Option<Snippet> {
    // Words as byte ranges of the text: runs of letters, digits and apostrophes.
    let mut words: Vec<(usize, usize)> = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices() {
        let in_word = c.is_alphanumeric() || matches!(c, '\'' | '’' | 'ʼ');
        match (in_word, start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                words.push((s, i));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        words.push((s, text.len()));
    }
    let at = words.iter().position(|&(s, e)| {
        let n = normalise(&text[s..e]);
        n.split(' ')
            .any(|w| w.chars().count() >= MIN_WORD_CHARS && terms.contains(&stem(w)))
    })?;
    let (hit_start, hit_end) = words[at];
    let from = words[at.saturating_sub(SNIPPET_BEFORE)].0;
    let to = words[(at + SNIPPET_AFTER).min(words.len() - 1)].1;
    let mut before = String::new();
    if from > 0 {
        before.push('…');
    }
    before.push_str(&text[from..hit_start]);
    let mut after = text[hit_end..to].to_owned();
    if to < text.len() {
        after.push('…');
    }
    Some(Snippet {
        before,
        hit: text[hit_start..hit_end].to_owned(),
        after,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const EVERY_LEVEL: fn(Confidentiality) -> bool = |_| true;

    fn events(r: &TextResults) -> Vec<(i64, Option<i64>)> {
        r.hits.iter().map(|h| (h.event, h.source)).collect()
    }

    #[test]
    fn russian_words_meet_their_inflections_as_snowball_stems_them() {
        // What the Snowball Russian stemmer really does with these forms.
        assert_eq!(stem("задержали"), "задержа");
        assert_eq!(stem("задержания"), "задержан");
        assert_eq!(stem("задержан"), "задержа");
        assert_eq!(stem("задержанный"), "задержа");
        assert_eq!(stem("суда"), "суд");
        assert_eq!(stem("суде"), "суд");
        assert_eq!(stem("обыском"), "обыск");
        assert_eq!(stem("ёлка"), stem("елка"));
        assert_eq!(stem("arrested"), "arrest");
        assert_eq!(stem("arrests"), "arrest");
        assert_eq!(stem("342"), "342");
    }

    #[test]
    fn all_terms_must_occur_in_one_document_and_levels_filter() {
        let mut ix = TextIndex::new();
        ix.upsert_event(
            1,
            Confidentiality::Internal,
            &["Задержали у дома на улице Ленина", "Минск"],
        );
        ix.upsert_event(2, Confidentiality::Restricted, &["После задержания избит в РУВД"]);
        ix.upsert_event(3, Confidentiality::Internal, &["Обыск в квартире"]);
        ix.upsert_source(
            10,
            3,
            Confidentiality::Internal,
            &["Наша Ніва: затрымалі журналіста", "https://example.org/a"],
        );
        ix.upsert_source(11, 2, Confidentiality::Public, &["Report on the arrests in Minsk"]);

        assert_eq!(events(&ix.search("задержан", EVERY_LEVEL, 10)), vec![(1, None)]);
        assert_eq!(events(&ix.search("задержании", EVERY_LEVEL, 10)), vec![(2, None)]);
        assert_eq!(events(&ix.search("задержали Минск", EVERY_LEVEL, 10)), vec![(1, None)]);
        assert!(ix.search("задержали РУВД", EVERY_LEVEL, 10).hits.is_empty());
        assert_eq!(events(&ix.search("журналиста", EVERY_LEVEL, 10)), vec![]);
        assert_eq!(events(&ix.search("журналіста", EVERY_LEVEL, 10)), vec![(3, Some(10))]);
        assert_eq!(events(&ix.search("arrested", EVERY_LEVEL, 10)), vec![(2, Some(11))]);
        // A public source of a restricted event is not found by whom may not read the event.
        let not_restricted = |l| l != Confidentiality::Restricted;
        assert!(ix.search("arrested", not_restricted, 10).hits.is_empty());
        assert!(ix.search("задержании", not_restricted, 10).hits.is_empty());
        assert_eq!(ix.search("в", EVERY_LEVEL, 10).total, 0);
    }

    #[test]
    fn newest_first_an_event_once_and_edits_replace() {
        let mut ix = TextIndex::new();
        ix.upsert_event(1, Confidentiality::Internal, &["суд над Лосиком"]);
        ix.upsert_event(2, Confidentiality::Internal, &["суд в Гомеле"]);
        ix.upsert_source(5, 2, Confidentiality::Internal, &["приговор суда"]);
        let r = ix.search("суд", EVERY_LEVEL, 10);
        assert_eq!(events(&r), vec![(2, None), (1, None)]);
        assert_eq!(r.total, 2);
        assert_eq!(events(&ix.search("суд", EVERY_LEVEL, 1)), vec![(2, None)]);
        ix.upsert_event(2, Confidentiality::Internal, &["обыск в Гомеле"]);
        assert_eq!(
            events(&ix.search("суд", EVERY_LEVEL, 10)),
            vec![(2, Some(5)), (1, None)]
        );
        assert_eq!(events(&ix.search("обыске", EVERY_LEVEL, 10)), vec![(2, None)]);
        // Events met only by sources fall in among those met by their own details, newest
        // first, each by its first source; the limit cuts across both, the total counts both.
        ix.upsert_event(3, Confidentiality::Internal, &["допрос"]);
        ix.upsert_event(4, Confidentiality::Internal, &["суд перенёс заседание"]);
        ix.upsert_source(7, 3, Confidentiality::Internal, &["суд и допрос"]);
        ix.upsert_source(6, 3, Confidentiality::Internal, &["суд отложил"]);
        let r = ix.search("суд", EVERY_LEVEL, 3);
        assert_eq!(events(&r), vec![(4, None), (3, Some(6)), (2, Some(5))]);
        assert_eq!(r.total, 4);
    }

    #[test]
    fn a_snippet_marks_the_first_word_that_meets() {
        let terms = query_terms("задержан");
        let s = snippet(
            &[
                "",
                "Вечером 9 августа его задержали у дома номер 5 на улице Ленина в Минске, затем увезли в РУВД",
            ],
            &terms,
        );
        assert_eq!(
            s,
            Some(Snippet {
                before: "Вечером 9 августа его ".into(),
                hit: "задержали".into(),
                after: " у дома номер 5 на улице Ленина в Минске, затем…".into(),
            })
        );
        assert_eq!(snippet(&["ничего такого"], &terms), None);
    }
}
