//! Political-prisoner lists: the CSV import (all or nothing, idempotent) and the figures
//! "held on a date" and "recognised in total".
//!
//! An imported row becomes a person (identity sealed), a detention event (when
//! `detained_on` is known), a criminal case with its articles (when any), a recognition
//! (when `recognized_on` is known) and status entries: held from the detention (or the
//! recognition), released from `released_on`. The row's `ref` is kept as a keyed hash, so
//! that importing the same list again finds every person it created; a keyed digest of the
//! row tells an unchanged row from a changed one without unsealing anything.

use std::collections::{HashMap, HashSet};

use razam_core::registry::{
    Article, Confidentiality, Day, EventKind, FuzzyDate, PersonRole, PrisonerStatus, parse_articles,
};
use razam_core::role::Permission;
use razam_link::{Model, PersonRecord};
use razam_store::StoreError;
use razam_store::registry::{Change, RegistryOp, Target};
use serde::Serialize;

use crate::duplicates::{
    Candidate, Entry, PROPOSE_AT, agreeing_fields, each_candidate_pair_where, order, person_record,
};
pub use crate::import::{CellError, DuplicateWarning, ImportReport};
use crate::import::{ROWS_PER_BATCH, error, read_rows};
use crate::registry::label_for;
use crate::registry::{EventDetails, EventInput, Identity, PersonInput, date_parts, normalise_region};
use crate::{Actor, App, AppError};

/// The columns of a prisoner list, in the order the documentation gives them.
pub const COLUMNS: [&str; 10] = [
    "ref",
    "given_name",
    "family_name",
    "patronymic",
    "birth_date",
    "region",
    "detained_on",
    "articles",
    "recognized_on",
    "released_on",
];

/// A row, parsed and checked.
#[derive(Debug, Clone)]
struct Row {
    line: u64,
    reference: String,
    identity: Identity,
    region: Option<String>,
    detained_on: Option<FuzzyDate>,
    articles: Vec<Article>,
    recognized_on: Option<Day>,
    released_on: Option<Day>,
}

/// What the import does with a row.
enum Plan {
    Unchanged,
    /// The changes that bring its person up to the row.
    Update(Vec<Change>),
    /// A new person: the row's reference lookup hash and digest.
    Create([u8; 32], [u8; 32]),
}

/// The figures of `razam stats political-prisoners`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PrisonerFigures {
    pub as_of: String,
    pub held: i64,
    pub recognized_total: i64,
}

/// Reads and checks every row; returns the rows or every error found.
fn parse(bytes: &[u8], max_rows: u32) -> Result<Vec<Row>, Vec<CellError>> {
    let mut seen: HashMap<String, u64> = HashMap::new();
    read_rows(bytes, &COLUMNS, max_rows, |cells, errors| {
        let line = cells.line;
        let cell = |i: usize| cells.get(i);
        let reference = cell(0).to_owned();
        if reference.is_empty() {
            errors.push(error(line, "ref", "every row needs a reference".into()));
        } else if let Some(first) = seen.get(&reference) {
            errors.push(error(
                line,
                "ref",
                format!("`{reference}` is already used on line {first}"),
            ));
        } else {
            seen.insert(reference.clone(), line);
        }
        for (i, name) in [(1, "given_name"), (2, "family_name"), (3, "patronymic")] {
            if cell(i).chars().any(char::is_control) {
                errors.push(error(line, name, "control characters are not allowed in a name".into()));
            }
        }
        if cell(1).is_empty() && cell(2).is_empty() {
            errors.push(error(
                line,
                "family_name",
                "a row needs a given name or a family name".into(),
            ));
        }
        let mut fuzzy = |i: usize, name: &str| -> Option<FuzzyDate> {
            let text = cell(i);
            if text.is_empty() {
                return None;
            }
            FuzzyDate::parse(text)
                .map_err(|e| errors.push(error(line, name, e.to_string())))
                .ok()
        };
        let birth_date = fuzzy(4, "birth_date");
        let detained_on = fuzzy(6, "detained_on");
        let mut day = |i: usize, name: &str| -> Option<Day> {
            let text = cell(i);
            if text.is_empty() {
                return None;
            }
            Day::parse(text)
                .map_err(|e| {
                    errors.push(error(
                        line,
                        name,
                        format!("{e} (this column needs a full day, YYYY-MM-DD)"),
                    ))
                })
                .ok()
        };
        let recognized_on = day(8, "recognized_on");
        let released_on = day(9, "released_on");
        let articles = parse_articles(cell(7))
            .map_err(|e| errors.push(error(line, "articles", e.to_string())))
            .unwrap_or_default();
        if let (Some(d), Some(r)) = (detained_on, released_on)
            && r < d.first
        {
            errors.push(error(
                line,
                "released_on",
                format!("released on {r}, before the detention ({d})"),
            ));
        }
        Some(Row {
            line,
            reference,
            identity: Identity {
                given_name: cell(1).to_owned(),
                family_name: cell(2).to_owned(),
                patronymic: cell(3).to_owned(),
                birth_date: birth_date.map(|d| d.to_string()).unwrap_or_default(),
                ..Identity::default()
            },
            region: normalise_region(cell(5)),
            detained_on,
            articles,
            recognized_on,
            released_on,
        })
    })
}

impl Row {
    /// The canonical text of everything the row says, for its digest.
    fn canonical(&self) -> String {
        let i = &self.identity;
        let articles: Vec<&str> = self.articles.iter().map(Article::as_str).collect();
        [
            self.reference.as_str(),
            &i.given_name,
            &i.family_name,
            &i.patronymic,
            &i.birth_date,
            self.region.as_deref().unwrap_or(""),
            &self.detained_on.map(|d| d.to_string()).unwrap_or_default(),
            &articles.join(";"),
            &self.recognized_on.map(|d| d.to_string()).unwrap_or_default(),
            &self.released_on.map(|d| d.to_string()).unwrap_or_default(),
        ]
        .iter()
        .map(|f| format!("{}:{f}", f.len()))
        .collect()
    }

    fn person_input(&self) -> PersonInput {
        PersonInput {
            identity: self.identity.clone(),
            region: self.region.clone(),
            confidentiality: Confidentiality::Internal,
            consent_to_publish: false,
        }
    }

    /// The event a row describes; `person` is `None` while the person is being created.
    fn event_input(&self, kind: EventKind, person: Option<i64>) -> EventInput {
        EventInput {
            kind,
            date: if kind == EventKind::Detention {
                self.detained_on
            } else {
                None
            },
            region: self.region.clone(),
            arrest_days: None,
            term_months: None,
            details: EventDetails::default(),
            confidentiality: Confidentiality::Internal,
            articles: if kind == EventKind::CriminalCase {
                self.articles.clone()
            } else {
                Vec::new()
            },
            persons: person.map(|p| vec![(p, PersonRole::Victim)]).unwrap_or_default(),
        }
    }

    /// The day from which the person was held: the detention or the recognition, whichever
    /// is earlier (so that "held" is exactly "recognised and not yet released"); never after
    /// the release.
    fn held_from(&self) -> Option<Day> {
        let start = match (self.detained_on.map(|d| d.first), self.recognized_on) {
            (Some(d), Some(r)) => d.min(r),
            (d, r) => d.or(r)?,
        };
        Some(match self.released_on {
            Some(r) if r < start => r,
            _ => start,
        })
    }
}

impl App {
    /// The keyed lookup hash of a list reference (also how an events file names its person).
    pub(crate) fn ref_lookup(&self, reference: &str) -> [u8; 32] {
        self.lookup_hash(&format!("prisoner-list-ref\u{0}{reference}"))
    }

    fn row_digest(&self, row: &Row) -> [u8; 32] {
        self.lookup_hash(&format!("prisoner-list-row\u{0}{}", row.canonical()))
    }

    /// Imports a political-prisoner list: every row or none. A dry run checks and counts
    /// without writing. Rows already imported unchanged are left alone.
    pub async fn import_prisoners(&self, actor: &Actor, csv: &[u8], dry_run: bool) -> Result<ImportReport, AppError> {
        self.require(actor, Permission::BulkData)?;
        let rows = match parse(csv, self.config.limits.import_rows) {
            Ok(rows) => rows,
            Err(errors) => return Ok(ImportReport::failed(dry_run, errors)),
        };
        let known: HashMap<[u8; 32], (i64, Option<[u8; 32]>)> = self
            .store
            .person_refs()
            .await?
            .into_iter()
            .map(|r| (r.ref_lookup, (r.person, r.import_digest)))
            .collect();
        let mut report = ImportReport {
            rows: rows.len(),
            dry_run,
            ..ImportReport::default()
        };
        // What each row needs. The changes of updated rows are worked out here (they read
        // what is stored); those of new rows are sealed batch by batch while writing.
        let mut plans = Vec::with_capacity(rows.len());
        for row in &rows {
            let lookup = self.ref_lookup(&row.reference);
            let digest = self.row_digest(row);
            plans.push(match known.get(&lookup) {
                Some((_, Some(d))) if *d == digest => {
                    report.unchanged += 1;
                    Plan::Unchanged
                }
                Some((person, _)) => {
                    report.updated += 1;
                    let mut changes = Vec::new();
                    if !dry_run {
                        self.update_from_row(actor, *person, row, lookup, digest, &mut changes)
                            .await?;
                    }
                    Plan::Update(changes)
                }
                None => {
                    report.created += 1;
                    Plan::Create(lookup, digest)
                }
            });
        }
        report.warnings = self.probable_duplicates_in(actor, &rows, &known).await?;
        if dry_run || report.created + report.updated == 0 {
            return Ok(report);
        }
        let mut work = rows.iter().zip(plans).peekable();
        let mut next = || -> Result<Option<Vec<Change>>, StoreError> {
            if work.peek().is_none() {
                return Ok(None);
            }
            let mut changes = Vec::new();
            for (row, plan) in work.by_ref().take(ROWS_PER_BATCH) {
                match plan {
                    Plan::Unchanged => {}
                    Plan::Update(update) => changes.extend(update),
                    Plan::Create(lookup, digest) => self
                        .create_from_row(actor, row, lookup, digest, &mut changes)
                        .map_err(|e| StoreError::Abandoned(e.to_string()))?,
                }
            }
            Ok(Some(changes))
        };
        self.apply_batches(&mut next).await?;
        Ok(report)
    }

    /// The rows that probably are a person already in the registry (other than the one their
    /// reference brought in) or another row of the file, each with the likeliest candidate.
    async fn probable_duplicates_in(
        &self,
        actor: &Actor,
        rows: &[Row],
        known: &HashMap<[u8; 32], (i64, Option<[u8; 32]>)>,
    ) -> Result<Vec<DuplicateWarning>, AppError> {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        enum Who {
            Person(i64),
            Row(usize),
        }
        let records: Vec<PersonRecord> = rows.iter().map(|r| person_record(&r.identity)).collect();
        let persons = self.persons_sharing_blocks(actor, &records).await?;
        let own: Vec<Option<i64>> = rows
            .iter()
            .map(|r| known.get(&self.ref_lookup(&r.reference)).map(|(p, _)| *p))
            .collect();
        let mut entries: Vec<Entry<Who>> = persons
            .into_iter()
            .map(|p| Entry {
                id: Who::Person(p.id),
                record: p.record,
                level: p.level,
            })
            .collect();
        entries.extend(records.into_iter().enumerate().map(|(i, record)| Entry {
            id: Who::Row(i),
            record,
            level: Confidentiality::Internal,
        }));
        // One warning per row: its likeliest candidate, kept as the pairs are found (a file
        // full of duplicates has millions of pairs; a row keeps one). Pairs of two registry
        // persons are the duplicates queue's business, not the import's.
        let mut best: Vec<Option<(Candidate<Who>, Who)>> = vec![None; rows.len()];
        let wanted = |a, b| matches!(a, Who::Row(_)) || matches!(b, Who::Row(_));
        each_candidate_pair_where(&entries, &Model::default(), PROPOSE_AT, wanted, |c| {
            let (row, other) = match (c.survivor, c.merged) {
                (Who::Row(a), Who::Row(b)) => (a.max(b), Who::Row(a.min(b))),
                (Who::Row(r), p @ Who::Person(_)) | (p @ Who::Person(_), Who::Row(r)) => (r, p),
                (Who::Person(_), Who::Person(_)) => return,
            };
            match other {
                Who::Person(id) if own[row] == Some(id) => return,
                Who::Row(o) if own[row].is_some() && own[row] == own[o] => return,
                _ => {}
            }
            let kept = &mut best[row];
            if kept.as_ref().is_none_or(|(k, _)| order(&c, k).is_lt()) {
                *kept = Some((c, other));
            }
        });
        let mut warnings: Vec<DuplicateWarning> = best
            .into_iter()
            .enumerate()
            .filter_map(|(row, kept)| {
                let (c, other) = kept?;
                Some(DuplicateWarning {
                    line: rows[row].line,
                    candidate: match other {
                        Who::Person(id) => label_for(id),
                        Who::Row(o) => format!("line {}", rows[o].line),
                    },
                    probability: c.evidence.probability,
                    agreeing: agreeing_fields(&c.evidence),
                })
            })
            .collect();
        warnings.sort_by_key(|w| w.line);
        Ok(warnings)
    }

    fn create_from_row(
        &self,
        actor: &Actor,
        row: &Row,
        lookup: [u8; 32],
        digest: [u8; 32],
        changes: &mut Vec<Change>,
    ) -> Result<(), AppError> {
        let who = actor.audit_name();
        let person_input = row.person_input();
        let mut write = self.person_write(&person_input)?;
        write.ref_lookup = Some(lookup);
        write.import_digest = Some(digest);
        let person = Target::New(changes.len());
        changes.push(Change {
            op: RegistryOp::CreatePerson(write),
            actor: who.clone(),
            audit: Some("person.import"),
            snapshot_sealed: Some(self.person_snapshot(&person_input)?),
        });
        if row.detained_on.is_some() {
            let input = row.event_input(EventKind::Detention, None);
            changes.push(self.event_change(actor, &input, person, None)?);
        }
        if !row.articles.is_empty() {
            let input = row.event_input(EventKind::CriminalCase, None);
            changes.push(self.event_change(actor, &input, person, None)?);
        }
        self.recognition_changes(actor, person, row, &[], changes)?;
        Ok(())
    }

    fn event_change(
        &self,
        actor: &Actor,
        input: &EventInput,
        person: Target,
        id: Option<(i64, i64)>,
    ) -> Result<Change, AppError> {
        let write = self.event_write(input, vec![(person, PersonRole::Victim.as_str())])?;
        let op = match id {
            None => RegistryOp::CreateEvent(write),
            Some((id, version)) => RegistryOp::UpdateEvent {
                id: Target::Existing(id),
                expected_version: Some(version),
                event: write,
            },
        };
        Ok(Change {
            op,
            actor: actor.audit_name(),
            audit: Some("event.import"),
            snapshot_sealed: Some(self.event_snapshot(input)?),
        })
    }

    /// The recognition and status entries a row asks for, given the statuses already stored.
    fn recognition_changes(
        &self,
        actor: &Actor,
        person: Target,
        row: &Row,
        stored: &[(PrisonerStatus, String)],
        changes: &mut Vec<Change>,
    ) -> Result<(), AppError> {
        let who = actor.audit_name();
        if let Some(on) = row.recognized_on {
            changes.push(Change {
                op: self.recognise_op(person, on, "", "imported from a political-prisoner list", who.clone())?,
                actor: who.clone(),
                audit: None,
                snapshot_sealed: None,
            });
        }
        let mut wanted: Vec<(PrisonerStatus, Day)> = Vec::new();
        if let Some(from) = row.held_from() {
            wanted.push((PrisonerStatus::Held, from));
        }
        if let Some(r) = row.released_on {
            wanted.push((PrisonerStatus::Released, r));
        }
        for (status, on) in wanted {
            let on = on.to_string();
            let present = match status {
                // Held is already recorded if any held entry exists on or before that day.
                PrisonerStatus::Held => stored.iter().any(|(s, d)| *s == PrisonerStatus::Held && *d <= on),
                _ => stored.iter().any(|(s, d)| s.ends_detention() && *d == on),
            };
            if !present {
                changes.push(Change {
                    op: RegistryOp::AddStatus {
                        person,
                        status: status.as_str(),
                        on_date: on,
                    },
                    actor: who.clone(),
                    audit: None,
                    snapshot_sealed: None,
                });
            }
        }
        Ok(())
    }

    /// The changes that bring an imported person up to a changed row: identity and region,
    /// the detention, the criminal case's articles, the recognition date, a release.
    async fn update_from_row(
        &self,
        actor: &Actor,
        id: i64,
        row: &Row,
        lookup: [u8; 32],
        digest: [u8; 32],
        changes: &mut Vec<Change>,
    ) -> Result<(), AppError> {
        let existing = self.store.person(id).await?.ok_or(AppError::NotFound("the person"))?;
        let current = self.person_view(&existing)?;
        let mut input = row.person_input();
        // What the list does not carry stays as documenters wrote it.
        input.identity.variants = current.identity.variants.clone();
        input.identity.contacts = current.identity.contacts.clone();
        input.identity.notes = current.identity.notes.clone();
        input.confidentiality = current.confidentiality;
        input.consent_to_publish = current.consent_to_publish;
        let mut write = self.person_write(&input)?;
        write.ref_lookup = Some(lookup);
        write.import_digest = Some(digest);
        changes.push(Change {
            op: RegistryOp::UpdatePerson {
                id: Target::Existing(id),
                expected_version: None,
                person: write,
            },
            actor: actor.audit_name(),
            audit: Some("person.import"),
            snapshot_sealed: Some(self.person_snapshot(&input)?),
        });
        let events = self.store.events_of_person(id).await?;
        let find = |kind: EventKind| {
            events
                .iter()
                .find(|(e, role)| e.kind == kind.as_str() && role == PersonRole::Victim.as_str())
                .map(|(e, _)| e)
        };
        if let Some(detained) = row.detained_on {
            match find(EventKind::Detention) {
                Some(e) if e.date == Some(date_parts(detained)) && e.region == row.region => {}
                Some(e) => {
                    let mut input = self.event_view(e).map(|v| event_input_of(&v))?;
                    input.date = Some(detained);
                    input.region = row.region.clone();
                    changes.push(self.event_change(actor, &input, Target::Existing(id), Some((e.id, e.version)))?);
                }
                None => {
                    let input = row.event_input(EventKind::Detention, Some(id));
                    changes.push(self.event_change(actor, &input, Target::Existing(id), None)?);
                }
            }
        }
        if !row.articles.is_empty() {
            let wanted: HashSet<&str> = row.articles.iter().map(Article::as_str).collect();
            match find(EventKind::CriminalCase) {
                Some(e) if e.articles.iter().map(String::as_str).collect::<HashSet<_>>() == wanted => {}
                Some(e) => {
                    let mut input = self.event_view(e).map(|v| event_input_of(&v))?;
                    input.articles = row.articles.clone();
                    changes.push(self.event_change(actor, &input, Target::Existing(id), Some((e.id, e.version)))?);
                }
                None => {
                    let input = row.event_input(EventKind::CriminalCase, Some(id));
                    changes.push(self.event_change(actor, &input, Target::Existing(id), None)?);
                }
            }
        }
        let stored = self.statuses(id).await?;
        let mut recognition_row = row.clone();
        if current.recognized_on.as_deref() == row.recognized_on.map(|d| d.to_string()).as_deref() {
            recognition_row.recognized_on = None;
        }
        self.recognition_changes(actor, Target::Existing(id), &recognition_row, &stored, changes)?;
        Ok(())
    }

    /// Political prisoners held on `as_of` and recognised on or before it.
    pub async fn prisoner_figures(&self, as_of: Day) -> Result<PrisonerFigures, AppError> {
        let counts = self.store.held_counts(&as_of.to_string()).await?;
        Ok(PrisonerFigures {
            as_of: as_of.to_string(),
            held: counts.held,
            recognized_total: counts.recognized_total,
        })
    }
}

/// The input that rewrites an event as it is (to change a part of it).
fn event_input_of(v: &crate::registry::EventView) -> EventInput {
    EventInput {
        kind: v.kind,
        date: v.date,
        region: v.region.clone(),
        arrest_days: v.arrest_days,
        term_months: v.term_months,
        details: v.details.clone(),
        confidentiality: v.confidentiality,
        articles: v.articles.iter().filter_map(|a| Article::parse(a).ok()).collect(),
        persons: v
            .persons
            .iter()
            .filter_map(|(id, _, role)| PersonRole::parse(role).map(|r| (*id, r)))
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_bad_cell_is_named_with_its_line_and_column() {
        let csv = "ref,given_name,family_name,patronymic,birth_date,region,detained_on,articles,recognized_on,released_on\n\
                   1,Ales,Bialiatski,Viktaravich,1962,Minsk,2021-07-14,228,2021-07-15,\n\
                   2,,,,,Minsk,2021-13-01,,2021-07-15,\n\
                   1,Maria,K,,,Minsk,2020-09-07,murder,07.09.2020,2020-01-01\n";
        let errors = parse(csv.as_bytes(), u32::MAX).unwrap_err();
        let cells: Vec<(u64, &str)> = errors.iter().map(|e| (e.line, e.column.as_str())).collect();
        assert_eq!(
            cells,
            [
                (3, "family_name"),
                (3, "detained_on"),
                (4, "ref"),
                (4, "recognized_on"),
                (4, "articles"),
                (4, "released_on"),
            ],
            "{errors:#?}"
        );
    }

    #[test]
    fn a_wrong_header_names_the_missing_and_the_unknown_columns() {
        let errors = parse(b"ref,name,family_name\n1,a,b\n", u32::MAX).unwrap_err();
        assert!(
            errors
                .iter()
                .any(|e| e.column == "given_name" && e.message.contains("missing"))
        );
        assert!(
            errors
                .iter()
                .any(|e| e.column == "name" && e.message.contains("unknown"))
        );
    }

    #[test]
    fn held_from_is_the_detention_else_the_recognition_never_after_the_release() {
        let csv = "ref,given_name,family_name,patronymic,birth_date,region,detained_on,articles,recognized_on,released_on\n\
                   a,X,Y,,,,2021-03,,2021-05-01,\n\
                   b,X,Y,,,,,,2021-05-01,2021-04-01\n";
        let rows = parse(csv.as_bytes(), u32::MAX).unwrap();
        assert_eq!(rows[0].held_from().unwrap().to_string(), "2021-03-01");
        assert_eq!(rows[1].held_from().unwrap().to_string(), "2021-04-01");
    }
}
