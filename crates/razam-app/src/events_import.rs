//! The events import: a CSV of events, each about one person a prisoner list brought in.
//!
//! A row names its person by the list's reference (`person_ref`, found through the same keyed
//! lookup hash as `razam import prisoners`), so nobody's name has to be in the file. Events
//! have no identifier of their own, so a row is known by what it says: a keyed digest of the
//! row is stored with the event it created, and importing the same row again finds it and
//! writes nothing. A row changed in the file is a different event; corrections to an event
//! are made on the event itself.

use std::collections::{HashMap, HashSet};

use razam_core::registry::{Article, Confidentiality, EventKind, FuzzyDate, PersonRole, parse_articles};
use razam_core::role::Permission;
use razam_store::StoreError;
use razam_store::registry::{Change, RegistryOp, Target};

use crate::import::{CellError, Cells, ImportReport, ROWS_PER_BATCH, error, read_rows};
use crate::registry::{EventDetails, EventInput, normalise_region};
use crate::{Actor, App, AppError};

/// The columns of an events file, in the order the documentation gives them.
pub const COLUMNS: [&str; 13] = [
    "person_ref",
    "role",
    "kind",
    "date",
    "region",
    "district",
    "settlement",
    "facility",
    "articles",
    "arrest_days",
    "term_months",
    "confidentiality",
    "description",
];

/// A row, parsed and checked; its person is still the list's reference.
#[derive(Debug, Clone)]
struct Row {
    line: u64,
    person_ref: String,
    role: PersonRole,
    kind: EventKind,
    date: Option<FuzzyDate>,
    region: Option<String>,
    details: EventDetails,
    articles: Vec<Article>,
    arrest_days: Option<i64>,
    term_months: Option<i64>,
    confidentiality: Confidentiality,
}

fn names<T: Copy>(all: &[T], name: impl Fn(T) -> &'static str) -> String {
    all.iter().map(|v| name(*v)).collect::<Vec<_>>().join(", ")
}

/// A count in a cell: empty, or a whole number from 1 to `max`.
fn count(cells: &Cells<'_>, i: usize, max: i64, errors: &mut Vec<CellError>) -> Option<i64> {
    let text = cells.get(i);
    if text.is_empty() {
        return None;
    }
    match text.parse::<i64>() {
        Ok(n) if (1..=max).contains(&n) => Some(n),
        _ => {
            errors.push(error(
                cells.line,
                COLUMNS[i],
                format!("`{text}` is not a whole number from 1 to {max}"),
            ));
            None
        }
    }
}

/// Reads and checks one row; pushes every failing cell.
fn parse_row(cells: &Cells<'_>, errors: &mut Vec<CellError>) -> Option<Row> {
    let line = cells.line;
    let person_ref = cells.get(0).to_owned();
    if person_ref.is_empty() {
        errors.push(error(
            line,
            "person_ref",
            "every row needs the reference of its person".into(),
        ));
    }
    let role = match cells.get(1) {
        "" => Some(PersonRole::Victim),
        text => PersonRole::parse(text).or_else(|| {
            errors.push(error(
                line,
                "role",
                format!(
                    "unknown role `{text}` (one of: {})",
                    names(PersonRole::ALL, PersonRole::as_str)
                ),
            ));
            None
        }),
    };
    let kind = match cells.get(2) {
        "" => {
            errors.push(error(line, "kind", "every row needs the kind of event".into()));
            None
        }
        text => EventKind::parse(text).or_else(|| {
            errors.push(error(
                line,
                "kind",
                format!(
                    "unknown kind of event `{text}` (one of: {})",
                    names(EventKind::ALL, EventKind::as_str)
                ),
            ));
            None
        }),
    };
    let date = match cells.get(3) {
        "" => None,
        text => FuzzyDate::parse(text)
            .map_err(|e| errors.push(error(line, "date", e.to_string())))
            .ok(),
    };
    for (i, column) in [(5, "district"), (6, "settlement"), (7, "facility")] {
        if cells.get(i).chars().any(char::is_control) {
            errors.push(error(line, column, "control characters are not allowed here".into()));
        }
    }
    if cells.get(12).chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        errors.push(error(
            line,
            "description",
            "control characters other than line breaks and tabs are not allowed".into(),
        ));
    }
    let articles = parse_articles(cells.get(8))
        .map_err(|e| errors.push(error(line, "articles", e.to_string())))
        .unwrap_or_default();
    let arrest_days = count(cells, 9, 3_650, errors);
    let term_months = count(cells, 10, 1_200, errors);
    if arrest_days.is_some() && kind.is_some_and(|k| k != EventKind::AdministrativeArrest) {
        errors.push(error(
            line,
            "arrest_days",
            "only an administrative_arrest has days of arrest".into(),
        ));
    }
    if term_months.is_some() && kind.is_some_and(|k| k != EventKind::Sentence) {
        errors.push(error(
            line,
            "term_months",
            "only a sentence has a term in months".into(),
        ));
    }
    let confidentiality = match cells.get(11) {
        "" => Some(Confidentiality::Internal),
        text => Confidentiality::parse(text).or_else(|| {
            errors.push(error(
                line,
                "confidentiality",
                format!(
                    "unknown level `{text}` (one of: {})",
                    names(Confidentiality::ALL, Confidentiality::as_str)
                ),
            ));
            None
        }),
    };
    Some(Row {
        line,
        person_ref,
        role: role?,
        kind: kind?,
        date,
        region: normalise_region(cells.get(4)),
        details: EventDetails {
            district: cells.get(5).to_owned(),
            settlement: cells.get(6).to_owned(),
            facility: cells.get(7).to_owned(),
            description: cells.get(12).to_owned(),
        },
        articles,
        arrest_days,
        term_months,
        confidentiality: confidentiality?,
    })
}

impl Row {
    /// The canonical text of everything the row says, for its digest.
    fn canonical(&self) -> String {
        let articles: Vec<&str> = self.articles.iter().map(Article::as_str).collect();
        let d = &self.details;
        [
            self.person_ref.as_str(),
            self.role.as_str(),
            self.kind.as_str(),
            &self.date.map(|d| d.to_string()).unwrap_or_default(),
            self.region.as_deref().unwrap_or(""),
            &d.district,
            &d.settlement,
            &d.facility,
            &articles.join(";"),
            &self.arrest_days.map(|n| n.to_string()).unwrap_or_default(),
            &self.term_months.map(|n| n.to_string()).unwrap_or_default(),
            self.confidentiality.as_str(),
            &d.description,
        ]
        .iter()
        .map(|f| format!("{}:{f}", f.len()))
        .collect()
    }

    fn input(&self, person: i64) -> EventInput {
        EventInput {
            kind: self.kind,
            date: self.date,
            region: self.region.clone(),
            arrest_days: self.arrest_days,
            term_months: self.term_months,
            details: self.details.clone(),
            confidentiality: self.confidentiality,
            articles: self.articles.clone(),
            persons: vec![(person, self.role)],
        }
    }
}

impl App {
    fn event_row_digest(&self, row: &Row) -> [u8; 32] {
        self.lookup_hash(&format!("events-file-row\u{0}{}", row.canonical()))
    }

    /// Imports a file of events about imported persons: every row or none. A dry run checks
    /// and counts without writing. Rows imported before are left alone.
    pub async fn import_events(&self, actor: &Actor, csv: &[u8], dry_run: bool) -> Result<ImportReport, AppError> {
        self.require(actor, Permission::BulkData)?;
        let rows = match read_rows(csv, &COLUMNS, self.config.limits.import_rows, parse_row) {
            Ok(rows) => rows,
            Err(errors) => return Ok(ImportReport::failed(dry_run, errors)),
        };
        let persons: HashMap<[u8; 32], i64> = self
            .store
            .person_refs()
            .await?
            .into_iter()
            .map(|r| (r.ref_lookup, r.person))
            .collect();
        let mut errors = Vec::new();
        let mut first_line: HashMap<[u8; 32], u64> = HashMap::with_capacity(rows.len());
        let mut work = Vec::with_capacity(rows.len());
        for row in &rows {
            let Some(&person) = persons.get(&self.ref_lookup(&row.person_ref)) else {
                errors.push(error(
                    row.line,
                    "person_ref",
                    format!(
                        "no person was imported with the reference `{}` (import the prisoner list first)",
                        row.person_ref
                    ),
                ));
                continue;
            };
            let digest = self.event_row_digest(row);
            if let Some(first) = first_line.insert(digest, row.line) {
                errors.push(error(
                    row.line,
                    "",
                    format!(
                        "this row repeats line {first}; one event is imported once (tell two events apart, e.g. by their description)"
                    ),
                ));
                continue;
            }
            work.push((row, person, digest));
        }
        if !errors.is_empty() {
            return Ok(ImportReport::failed(dry_run, errors));
        }
        let digests: Vec<[u8; 32]> = work.iter().map(|(_, _, d)| *d).collect();
        let known: HashSet<[u8; 32]> = self.store.known_event_digests(&digests).await?.into_iter().collect();
        drop(digests);
        work.retain(|(_, _, d)| !known.contains(d));
        let report = ImportReport {
            rows: rows.len(),
            created: work.len(),
            unchanged: rows.len() - work.len(),
            dry_run,
            ..ImportReport::default()
        };
        if dry_run || work.is_empty() {
            return Ok(report);
        }
        let mut work = work.into_iter().peekable();
        let mut next = || -> Result<Option<Vec<Change>>, StoreError> {
            if work.peek().is_none() {
                return Ok(None);
            }
            work.by_ref()
                .take(ROWS_PER_BATCH)
                .map(|(row, person, digest)| self.event_import_change(actor, row, person, digest))
                .collect::<Result<Vec<_>, _>>()
                .map(Some)
                .map_err(|e| StoreError::Abandoned(e.to_string()))
        };
        self.apply_batches(&mut next).await?;
        Ok(report)
    }

    fn event_import_change(&self, actor: &Actor, row: &Row, person: i64, digest: [u8; 32]) -> Result<Change, AppError> {
        let input = row.input(person);
        let mut write = self.event_write(&input, vec![(Target::Existing(person), row.role.as_str())])?;
        write.import_digest = Some(digest);
        Ok(Change {
            op: RegistryOp::CreateEvent(write),
            actor: actor.audit_name(),
            audit: Some("event.import"),
            snapshot_sealed: Some(self.event_snapshot(&input)?),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(csv_rows: &str, expected: &[(u64, &str, &str)]) {
        let csv = format!("{}\n{csv_rows}", COLUMNS.join(","));
        let errors = read_rows(csv.as_bytes(), &COLUMNS, u32::MAX, parse_row).unwrap_err();
        let got: Vec<(u64, &str, &str)> = errors
            .iter()
            .map(|e| (e.line, e.column.as_str(), e.message.as_str()))
            .collect();
        assert_eq!(got, expected, "{errors:#?}");
    }

    #[test]
    fn every_bad_cell_is_named_with_its_line_and_column() {
        check(
            "A1,victim,detention,2021-03-05,Minsk,,,,,,,,\n\
             ,judge,arrest,2021-13,,,,,,,,secret,\n\
             A2,,sentence,,,,,,theft,5,abc,,\n",
            &[
                (3, "person_ref", "every row needs the reference of its person"),
                (
                    3,
                    "role",
                    "unknown role `judge` (one of: victim, witness, official_responsible, lawyer)",
                ),
                (
                    3,
                    "kind",
                    "unknown kind of event `arrest` (one of: detention, search, interrogation, administrative_arrest, \
                     criminal_case, trial, sentence, release, pardon, ill_treatment, forced_departure, dismissal, \
                     extremist_designation, death_in_custody, pressure_on_relatives)",
                ),
                (3, "date", &FuzzyDate::parse("2021-13").unwrap_err().to_string()),
                (
                    3,
                    "confidentiality",
                    "unknown level `secret` (one of: public, internal, restricted)",
                ),
                (4, "articles", &parse_articles("theft").unwrap_err().to_string()),
                (4, "term_months", "`abc` is not a whole number from 1 to 1200"),
                (4, "arrest_days", "only an administrative_arrest has days of arrest"),
            ],
        );
    }

    #[test]
    fn empty_role_and_level_mean_victim_and_internal() {
        let csv = format!("{}\nA1,,search,2021,,,,,,,,,\n", COLUMNS.join(","));
        let rows = read_rows(csv.as_bytes(), &COLUMNS, u32::MAX, parse_row).unwrap();
        assert_eq!(
            (rows[0].role, rows[0].confidentiality),
            (PersonRole::Victim, Confidentiality::Internal)
        );
    }
}
