//! Records with typed fields, and their values prepared once for comparison.
//!
//! A [`Schema`] says what each field of a [`Record`] is ([`FieldKind`]). Records are stored by
//! column: each field keeps one `u32` value id per record (0 = missing), and each distinct
//! value is prepared once (normalised text, name key, given-name group, masculine surname key,
//! parsed date) and interned, so that a million records with a few hundred thousand distinct
//! names stay small and comparing two records compares integers first.

use std::collections::HashMap;

use crate::compare::patronymic_stem;
use crate::date::PartialDate;
use crate::sim::Profile;
use crate::{given_name_group, masculine_surname_key, name_key, normalise};

/// What a field holds, which decides how it is compared and blocked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FieldKind {
    /// A given name: compared by text, name key, given-name group, similarity of keys.
    GivenName,
    /// A family name: text, key, same name with another gender ending, similarity.
    FamilyName,
    /// A patronymic: text, key, same father's name with another gender ending, similarity.
    Patronymic,
    /// A date (birth date): exact, compatible at a lower precision, day and month swapped,
    /// one digit apart or same year and month.
    Date,
    /// A place: text, key, one name's words within the other's, similarity.
    Place,
    /// Any other column (postcode, address, identity number, occupation, gender…): compared
    /// as a string: exact, same without spaces and punctuation, a typo apart.
    Text,
}

/// One field of a schema.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldSpec {
    /// The name shown in reports (the CSV column).
    pub name: String,
    /// What it holds.
    pub kind: FieldKind,
}

/// The fields of the records, in the order of [`Record::values`]. At most
/// [`Schema::MAX_FIELDS`] fields.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Schema {
    /// The fields.
    pub fields: Vec<FieldSpec>,
}

impl Schema {
    /// Comparison vectors pack four bits per field into a `u64`.
    pub const MAX_FIELDS: usize = 16;

    /// The index of the first field of `kind`.
    pub fn position(&self, kind: FieldKind) -> Option<usize> {
        self.fields.iter().position(|f| f.kind == kind)
    }
}

/// One input record: its id, its source (0 or 1; linkage compares only across sources when
/// both occur) and one value per schema field (empty = missing).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    /// The record's id, unique across all records.
    pub id: String,
    /// 0 for the first input, 1 for the second in a linkage of two inputs.
    pub source: u8,
    /// One value per field of the schema.
    pub values: Vec<String>,
}

/// Distinct strings of one kind, numbered from 1 (0 is "none").
#[derive(Debug)]
pub(crate) struct Interner {
    index: HashMap<Box<str>, u32>,
    strings: Vec<Box<str>>,
}

impl Default for Interner {
    fn default() -> Interner {
        Interner {
            index: HashMap::new(),
            strings: vec![Box::from("")],
        }
    }
}

impl Interner {
    /// The id of `s` (0 for the empty string), adding it when new.
    pub(crate) fn intern(&mut self, s: &str) -> u32 {
        if s.is_empty() {
            return 0;
        }
        if let Some(&id) = self.index.get(s) {
            return id;
        }
        let id = u32::try_from(self.strings.len()).unwrap_or(u32::MAX);
        self.strings.push(Box::from(s));
        self.index.insert(Box::from(s), id);
        id
    }

    pub(crate) fn get(&self, id: u32) -> &str {
        self.strings.get(id as usize).map_or("", |s| s)
    }

    pub(crate) fn len(&self) -> usize {
        self.strings.len()
    }
}

/// One distinct value of a field, prepared.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Value {
    /// Id of the comparable key in the column's key interner: the name key for names and
    /// places, the text without spaces and punctuation for text, the canonical date for dates.
    pub key: u32,
    /// Names: given-name group number (given names), masculine surname key id (family
    /// names), father's-name stem id (patronymics); 0 otherwise.
    pub alt: u32,
    /// The parsed date (dates only).
    pub date: PartialDate,
}

/// One field's values for every record.
#[derive(Debug)]
pub(crate) struct Column {
    pub kind: FieldKind,
    /// Per record: the value id, 0 when missing.
    pub ids: Vec<u32>,
    /// Distinct normalised texts; the id of a value.
    pub texts: Interner,
    /// Per value id: its prepared forms.
    pub values: Vec<Value>,
    /// Distinct keys and alternative keys.
    pub keys: Interner,
    /// Per key id: how many records have it (term frequency).
    pub key_counts: Vec<u32>,
    /// Records with a value in this field.
    pub present: u32,
    /// Per key id (names, places) or text id (text): characters and histogram for similarity.
    pub profiles: Vec<Profile>,
}

impl Column {
    pub(crate) fn new(kind: FieldKind) -> Column {
        Column {
            kind,
            ids: Vec::new(),
            texts: Interner::default(),
            values: vec![Value::default()],
            keys: Interner::default(),
            key_counts: vec![0],
            present: 0,
            profiles: vec![Profile::default()],
        }
    }

    /// Adds one record's raw value.
    pub(crate) fn push(&mut self, raw: &str) {
        let text = self.normal_text(raw);
        let id = self.texts.intern(&text);
        if id as usize == self.values.len() {
            let value = self.prepare(&text);
            self.values.push(value);
            // Profiles of the strings compared for similarity: text, or keys.
            if self.kind == FieldKind::Text {
                self.profiles.push(Profile::new(&text));
            } else {
                while self.profiles.len() < self.keys.len() {
                    let key = self.keys.get(self.profiles.len() as u32);
                    self.profiles.push(Profile::new(key));
                }
            }
        }
        if id != 0 {
            self.present += 1;
            let key = self.values[id as usize].key as usize;
            if key >= self.key_counts.len() {
                self.key_counts.resize(key + 1, 0);
            }
            self.key_counts[key] += 1;
        }
        self.ids.push(id);
    }

    /// The text a value is interned by: normalised names, canonical dates, trimmed lower-case
    /// text with single spaces.
    fn normal_text(&self, raw: &str) -> String {
        match self.kind {
            FieldKind::GivenName | FieldKind::FamilyName | FieldKind::Patronymic | FieldKind::Place => normalise(raw),
            FieldKind::Date => match PartialDate::parse_lenient(raw) {
                Some(date) => date.to_string(),
                None => String::new(),
            },
            FieldKind::Text => raw.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase(),
        }
    }

    fn prepare(&mut self, text: &str) -> Value {
        match self.kind {
            FieldKind::GivenName => {
                let key = name_key(text);
                let group = given_name_group(&key).map_or(0, |g| {
                    let id = self.keys.intern(&format!("group:{g}"));
                    id.max(1)
                });
                Value {
                    key: self.keys.intern(&key),
                    alt: group,
                    date: PartialDate::NONE,
                }
            }
            FieldKind::FamilyName => {
                let key = name_key(text);
                let masculine = masculine_surname_key(&key);
                Value {
                    key: self.keys.intern(&key),
                    alt: self.keys.intern(&masculine),
                    date: PartialDate::NONE,
                }
            }
            FieldKind::Patronymic => {
                let key = name_key(text);
                let stem = patronymic_stem(&key).to_owned();
                Value {
                    key: self.keys.intern(&key),
                    alt: self.keys.intern(&stem),
                    date: PartialDate::NONE,
                }
            }
            FieldKind::Place => Value {
                key: self.keys.intern(&name_key(text)),
                alt: 0,
                date: PartialDate::NONE,
            },
            FieldKind::Date => Value {
                key: self.keys.intern(text),
                alt: 0,
                date: PartialDate::parse_lenient(text).unwrap_or_default(),
            },
            FieldKind::Text => {
                let squashed: String = text.chars().filter(|c| c.is_alphanumeric()).collect();
                Value {
                    key: self.keys.intern(&squashed),
                    alt: 0,
                    date: PartialDate::NONE,
                }
            }
        }
    }

    /// The key string of a record's value.
    pub(crate) fn key_of(&self, record: usize) -> &str {
        let value = self.ids.get(record).copied().unwrap_or(0);
        self.keys.get(self.values[value as usize].key)
    }

    /// A record's normalised text and the similarity profile of its key (names and places).
    pub(crate) fn text_and_profile(&self, record: usize) -> (&str, &Profile) {
        let value = self.ids.get(record).copied().unwrap_or(0);
        let key = self.values[value as usize].key as usize;
        (self.texts.get(value), &self.profiles[key])
    }

    /// The prepared value of a record.
    pub(crate) fn value(&self, record: usize) -> Value {
        self.values[self.ids.get(record).copied().unwrap_or(0) as usize]
    }
}
