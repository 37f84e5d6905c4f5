//! Recognising the columns of a table of person records by their usual names.
//!
//! Header names are compared trimmed, in lower case, with spaces and hyphens as `_`. The
//! first column with a recognised name takes the role; the truth columns of benchmark sets
//! are never compared; every other column is compared as text.

use crate::compare::patronymic_stem;
use crate::name_key;
use crate::record::{FieldKind, FieldSpec, Record, Schema};

/// What a column is used for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// The record id.
    Id,
    /// A compared field of this kind.
    Field(FieldKind),
    /// A full name, split into given name, family name and patronymic (when the table has no
    /// separate name columns).
    FullName,
    /// Not compared: a full name next to separate name columns.
    IgnoredFullName,
    /// Not compared: a truth column (`cluster`, `cluster_id`, `truth`) of a benchmark set.
    Truth,
    /// Not compared: a second column for a role already taken, or beyond the field limit.
    Ignored,
}

/// The columns of a table and what each is used for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layout {
    /// Per column: its trimmed header and role.
    pub columns: Vec<(String, Role)>,
    /// The compared fields, in record order.
    pub schema: Schema,
    /// Per compared field: the column it comes from (for a split full name, that column).
    sources: Vec<Source>,
    id: Option<usize>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Source {
    Column(usize),
    Split(usize, NamePart),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum NamePart {
    Given,
    Family,
    Patronymic,
}

fn canonical(header: &str) -> String {
    header.trim().to_lowercase().replace([' ', '-'], "_")
}

fn role_of(name: &str) -> Role {
    match name {
        "id" | "unique_id" | "rec_id" | "record_id" | "uid" => Role::Id,
        "cluster" | "cluster_id" | "truth" | "true_id" | "true_cluster" => Role::Truth,
        "given_name" | "first_name" | "forename" | "givenname" | "firstname" => Role::Field(FieldKind::GivenName),
        "family_name" | "surname" | "last_name" | "lastname" | "familyname" => Role::Field(FieldKind::FamilyName),
        "patronymic" | "middle_name" | "middlename" => Role::Field(FieldKind::Patronymic),
        "full_name" | "name" | "fullname" | "first_and_surname" => Role::FullName,
        "birth_date" | "dob" | "date_of_birth" | "birthdate" => Role::Field(FieldKind::Date),
        "birth_place" | "place" | "place_of_birth" | "city" | "birthplace" => Role::Field(FieldKind::Place),
        _ => Role::Field(FieldKind::Text),
    }
}

impl Layout {
    /// Recognises the columns of `headers`.
    pub fn recognise<S: AsRef<str>>(headers: &[S]) -> Layout {
        let names: Vec<String> = headers.iter().map(|h| canonical(h.as_ref())).collect();
        let mut roles: Vec<Role> = names.iter().map(|n| role_of(n)).collect();
        let mut taken: Vec<Role> = Vec::new();
        for role in roles.iter_mut() {
            let unique = matches!(role, Role::Id | Role::FullName)
                || matches!(role, Role::Field(kind) if *kind != FieldKind::Text);
            if unique && taken.contains(role) {
                *role = Role::Ignored;
            } else {
                taken.push(*role);
            }
        }
        let has_parts = roles
            .iter()
            .any(|r| matches!(r, Role::Field(FieldKind::GivenName | FieldKind::FamilyName)));
        let mut fields = Vec::new();
        let mut sources = Vec::new();
        for (column, role) in roles.iter_mut().enumerate() {
            match *role {
                Role::FullName if has_parts => *role = Role::IgnoredFullName,
                Role::FullName => {
                    for (part, kind, label) in [
                        (NamePart::Given, FieldKind::GivenName, "given name"),
                        (NamePart::Family, FieldKind::FamilyName, "family name"),
                        (NamePart::Patronymic, FieldKind::Patronymic, "patronymic"),
                    ] {
                        fields.push(FieldSpec {
                            name: format!("{} ({label})", headers[column].as_ref().trim()),
                            kind,
                        });
                        sources.push(Source::Split(column, part));
                    }
                }
                Role::Field(kind) if fields.len() < Schema::MAX_FIELDS => {
                    fields.push(FieldSpec {
                        name: headers[column].as_ref().trim().to_owned(),
                        kind,
                    });
                    sources.push(Source::Column(column));
                }
                Role::Field(_) => *role = Role::Ignored,
                _ => {}
            }
        }
        let id = roles.iter().position(|r| *r == Role::Id);
        let columns = headers
            .iter()
            .zip(roles)
            .map(|(h, r)| (h.as_ref().trim().to_owned(), r))
            .collect();
        Layout {
            columns,
            schema: Schema { fields },
            sources,
            id,
        }
    }

    /// The id column, if there is one.
    pub fn id_column(&self) -> Option<usize> {
        self.id
    }

    /// The record of one row (cells trimmed); its id from the id column, else `fallback_id`.
    pub fn record<S: AsRef<str>>(&self, row: &[S], source: u8, fallback_id: impl FnOnce() -> String) -> Record {
        let cell = |column: usize| row.get(column).map_or("", |c| c.as_ref().trim());
        let id = match self.id {
            Some(column) => cell(column).to_owned(),
            None => fallback_id(),
        };
        let mut split_cache: Option<(usize, [String; 3])> = None;
        let values = self
            .sources
            .iter()
            .map(|source| match *source {
                Source::Column(column) => cell(column).to_owned(),
                Source::Split(column, part) => {
                    if split_cache.as_ref().is_none_or(|(c, _)| *c != column) {
                        split_cache = Some((column, split_full_name(cell(column))));
                    }
                    let parts = split_cache.as_ref().map(|(_, p)| p);
                    let index = match part {
                        NamePart::Given => 0,
                        NamePart::Family => 1,
                        NamePart::Patronymic => 2,
                    };
                    parts.map_or(String::new(), |p| p[index].clone())
                }
            })
            .collect();
        Record { id, source, values }
    }
}

/// Splits a full name into `[given, family, patronymic]`:
/// - `Family, Given [Patronymic]` when there is a comma;
/// - `Family Given Patronymic` when there are three words or more and the last is a
///   patronymic (Иванов Иван Иванович, Lukashenka Alyaksandr Ryhoravich);
/// - otherwise `Given … Family`: the first word and the last (the words between are dropped);
///   one word is a family name.
pub fn split_full_name(full: &str) -> [String; 3] {
    if let Some((family, rest)) = full.split_once(',') {
        let mut words = rest.split_whitespace();
        let given = words.next().unwrap_or("").to_owned();
        let patronymic = words.collect::<Vec<_>>().join(" ");
        return [given, family.trim().to_owned(), patronymic];
    }
    let words: Vec<&str> = full.split_whitespace().collect();
    match words.as_slice() {
        [] => [String::new(), String::new(), String::new()],
        [family] => [String::new(), (*family).to_owned(), String::new()],
        [family, given, .., last] if is_patronymic(last) => {
            [(*given).to_owned(), (*family).to_owned(), (*last).to_owned()]
        }
        [given, .., family] => [(*given).to_owned(), (*family).to_owned(), String::new()],
    }
}

/// Whether a word ends like a patronymic (-ovich, -авіч, -ovna, -аўна, -ichna…).
fn is_patronymic(word: &str) -> bool {
    let key = name_key(word);
    key.chars().count() >= 6 && patronymic_stem(&key) != key && (key.ends_with("іх") || key.ends_with("на"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usual_names_are_recognised_and_truth_is_excluded() {
        let layout = Layout::recognise(&[
            "rec_id",
            " given_name",
            " Surname",
            "DOB",
            "place_of_birth",
            "postcode",
            "cluster",
            "full_name",
        ]);
        let roles: Vec<Role> = layout.columns.iter().map(|c| c.1).collect();
        assert_eq!(
            roles,
            vec![
                Role::Id,
                Role::Field(FieldKind::GivenName),
                Role::Field(FieldKind::FamilyName),
                Role::Field(FieldKind::Date),
                Role::Field(FieldKind::Place),
                Role::Field(FieldKind::Text),
                Role::Truth,
                Role::IgnoredFullName,
            ]
        );
        assert_eq!(layout.id_column(), Some(0));
        assert_eq!(layout.schema.fields.len(), 5);
        let record = layout.record(
            &["r1", " Ivan ", "Ivanov", "1990", "Minsk", "220000", "7", "x"],
            0,
            String::new,
        );
        assert_eq!(record.id, "r1");
        assert_eq!(record.values, vec!["Ivan", "Ivanov", "1990", "Minsk", "220000"]);
    }

    #[test]
    fn a_full_name_alone_is_split() {
        let layout = Layout::recognise(&["name", "dob"]);
        assert_eq!(layout.id_column(), None);
        let kinds: Vec<FieldKind> = layout.schema.fields.iter().map(|f| f.kind).collect();
        assert_eq!(
            kinds,
            vec![
                FieldKind::GivenName,
                FieldKind::FamilyName,
                FieldKind::Patronymic,
                FieldKind::Date
            ]
        );
        let record = layout.record(&["Иванов Иван Иванович", "1990"], 1, || {
            "line 2".into()
        });
        assert_eq!(record.id, "line 2");
        assert_eq!(record.source, 1);
        assert_eq!(record.values, vec!["Иван", "Иванов", "Иванович", "1990"]);
    }

    #[test]
    fn full_names_split_by_their_form() {
        let s = |a: &str, b: &str, c: &str| [a.to_owned(), b.to_owned(), c.to_owned()];
        assert_eq!(split_full_name("Ihar Losik"), s("Ihar", "Losik", ""));
        assert_eq!(split_full_name("Losik, Ihar"), s("Ihar", "Losik", ""));
        assert_eq!(
            split_full_name("Лукашэнка Аляксандр Рыгоравіч"),
            s("Аляксандр", "Лукашэнка", "Рыгоравіч")
        );
        assert_eq!(
            split_full_name("Ціханоўская Святлана Георгіеўна"),
            s("Святлана", "Ціханоўская", "Георгіеўна")
        );
        assert_eq!(split_full_name("frank edward brightman"), s("frank", "brightman", ""));
        assert_eq!(split_full_name("Losik"), s("", "Losik", ""));
        assert_eq!(split_full_name("  "), s("", "", ""));
    }
}
