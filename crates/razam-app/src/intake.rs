//! Anonymous intake: a relative reports a detention through the public form; a documenter
//! accepts the report (a new person and a detention event), merges it into a person already
//! in the registry, or rejects it.
//!
//! A report is sealed whole before the store sees it; nothing about who sent it is kept: no
//! account, no address, no cookie. The audit entry of a submission says `intake.submit` and
//! the report's id, nothing else. The rate limit counts submissions per network address in
//! memory only, under a keyed hash whose key is drawn at start-up and never leaves the process.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::Mutex;

use razam_core::registry::{Confidentiality, EventKind, FuzzyDate, PersonRole, Region};
use razam_core::role::Permission;
use razam_link::{given_name_group, name_key};
use razam_store::registry::{Change, IntakeRow, RegistryOp, Target};
use serde::{Deserialize, Serialize};

use crate::config::IntakeLimits;
use crate::registry::{EventDetails, EventInput, Identity, PersonInput, PersonView};
use crate::search::Meet;
use crate::{Actor, App, AppError};

pub(crate) const SEAL_REPORT: &str = "intake.report";

/// A report as the reporter gave it: sealed whole, never in the clear.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IntakeReport {
    pub given_name: String,
    pub family_name: String,
    pub patronymic: String,
    /// An approximate year or date of birth, in [`FuzzyDate`] text, or empty.
    pub birth_date: String,
    /// The date of detention in [`FuzzyDate`] text, or empty when the reporter does not know it.
    pub detained_on: String,
    /// A region code ([`Region`]), or empty.
    pub region: String,
    pub settlement: String,
    /// The place or facility, if known (a police station, a detention centre).
    pub facility: String,
    pub what_happened: String,
    /// How the reporter can be reached, if they want to be.
    pub contact: String,
    /// The reporter's relation to the detained person.
    pub relation: String,
    pub consent_to_contact: bool,
}

/// The form as typed, every field as text; [`ReportForm::parse`] makes it a report.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ReportForm {
    pub given_name: String,
    pub family_name: String,
    pub patronymic: String,
    pub birth_date: String,
    pub detained_on: String,
    /// `on` when the reporter ticked "date not known".
    pub date_unknown: Option<String>,
    pub region: String,
    pub settlement: String,
    pub facility: String,
    pub what_happened: String,
    pub contact: String,
    pub relation: String,
    pub consent_to_contact: Option<String>,
}

/// What is wrong with a form: field name → translation key of the error.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldErrors(pub BTreeMap<&'static str, &'static str>);

impl FieldErrors {
    pub fn get(&self, field: &str) -> Option<&'static str> {
        self.0.get(field).copied()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The first field with an error, in the order the form shows them.
    pub fn first(&self, order: &[&'static str]) -> Option<&'static str> {
        order.iter().copied().find(|f| self.0.contains_key(f))
    }

    fn add(&mut self, field: &'static str, key: &'static str) {
        self.0.entry(field).or_insert(key);
    }
}

/// The fields of the form in the order it shows them.
pub const REPORT_FIELDS: [&str; 11] = [
    "given_name",
    "family_name",
    "patronymic",
    "birth_date",
    "detained_on",
    "region",
    "settlement",
    "facility",
    "what_happened",
    "relation",
    "contact",
];

/// The longest text each field takes, in characters.
pub fn max_len(field: &str) -> usize {
    match field {
        "given_name" | "family_name" | "patronymic" | "relation" => 100,
        "birth_date" | "detained_on" | "region" => 32,
        "settlement" | "facility" => 200,
        "contact" => 500,
        "what_happened" => 5000,
        _ => 0,
    }
}

pub const ERROR_REQUIRED: &str = "intake-error-required";
pub const ERROR_NAME: &str = "intake-error-name";
pub const ERROR_TOO_LONG: &str = "intake-error-too-long";
pub const ERROR_DATE: &str = "intake-error-date";
pub const ERROR_DATE_OR_UNKNOWN: &str = "intake-error-date-or-unknown";
pub const ERROR_INVALID: &str = "intake-error-invalid";

impl ReportForm {
    /// The text of `field`, as typed.
    pub fn value(&self, field: &str) -> &str {
        match field {
            "given_name" => &self.given_name,
            "family_name" => &self.family_name,
            "patronymic" => &self.patronymic,
            "birth_date" => &self.birth_date,
            "detained_on" => &self.detained_on,
            "region" => &self.region,
            "settlement" => &self.settlement,
            "facility" => &self.facility,
            "what_happened" => &self.what_happened,
            "contact" => &self.contact,
            "relation" => &self.relation,
            _ => "",
        }
    }

    /// A report, or every field's error. Required: a name (given or family), a date of
    /// detention or "not known", what happened.
    pub fn parse(&self) -> Result<IntakeReport, FieldErrors> {
        let mut errors = FieldErrors::default();
        for field in REPORT_FIELDS {
            if self.value(field).trim().chars().count() > max_len(field) {
                errors.add(field, ERROR_TOO_LONG);
            }
        }
        let t = |s: &str| s.trim().to_owned();
        if self.given_name.trim().is_empty() && self.family_name.trim().is_empty() {
            errors.add("given_name", ERROR_NAME);
        }
        let birth_date = self.birth_date.trim();
        if !birth_date.is_empty() && FuzzyDate::parse(birth_date).is_err() {
            errors.add("birth_date", ERROR_DATE);
        }
        let detained_on = self.detained_on.trim();
        let unknown = self.date_unknown.is_some() || detained_on.eq_ignore_ascii_case("unknown");
        let detained_on = if unknown { "" } else { detained_on };
        if !detained_on.is_empty() && FuzzyDate::parse(detained_on).is_err() {
            errors.add("detained_on", ERROR_DATE);
        } else if detained_on.is_empty() && !unknown {
            errors.add("detained_on", ERROR_DATE_OR_UNKNOWN);
        }
        let region = self.region.trim();
        if !region.is_empty() && Region::parse(region).is_none() {
            errors.add("region", ERROR_INVALID);
        }
        if self.what_happened.trim().is_empty() {
            errors.add("what_happened", ERROR_REQUIRED);
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(IntakeReport {
            given_name: t(&self.given_name),
            family_name: t(&self.family_name),
            patronymic: t(&self.patronymic),
            birth_date: FuzzyDate::parse(birth_date).map(|d| d.to_string()).unwrap_or_default(),
            detained_on: FuzzyDate::parse(detained_on).map(|d| d.to_string()).unwrap_or_default(),
            region: region.to_owned(),
            settlement: t(&self.settlement),
            facility: t(&self.facility),
            what_happened: t(&self.what_happened),
            contact: t(&self.contact),
            relation: t(&self.relation),
            consent_to_contact: self.consent_to_contact.is_some(),
        })
    }
}

impl IntakeReport {
    /// The name as a documenter reads it: family name, given name, patronymic.
    pub fn full_name(&self) -> String {
        self.identity().full_name()
    }

    fn identity(&self) -> Identity {
        let contacts = match (self.relation.is_empty(), self.contact.is_empty()) {
            (_, true) => String::new(),
            (true, false) => self.contact.clone(),
            (false, false) => format!("{}: {}", self.relation, self.contact),
        };
        Identity {
            given_name: self.given_name.clone(),
            family_name: self.family_name.clone(),
            patronymic: self.patronymic.clone(),
            variants: Vec::new(),
            birth_date: self.birth_date.clone(),
            contacts,
            notes: String::new(),
        }
    }

    /// The person an accepted report proposes; the documenter may correct it first.
    pub fn person_input(&self) -> PersonInput {
        PersonInput {
            identity: self.identity(),
            region: (!self.region.is_empty()).then(|| self.region.clone()),
            confidentiality: Confidentiality::Restricted,
            consent_to_publish: false,
        }
    }

    /// The detention event a report proposes (without its person, which accept or merge
    /// supply); the documenter may correct it first.
    pub fn event_input(&self) -> EventInput {
        EventInput {
            kind: EventKind::Detention,
            date: FuzzyDate::parse(&self.detained_on).ok(),
            region: (!self.region.is_empty()).then(|| self.region.clone()),
            arrest_days: None,
            term_months: None,
            details: EventDetails {
                district: String::new(),
                settlement: self.settlement.clone(),
                facility: self.facility.clone(),
                description: self.what_happened.clone(),
            },
            confidentiality: Confidentiality::Restricted,
            articles: Vec::new(),
            persons: Vec::new(),
        }
    }
}

/// The documenter's decision form: the person and the detention as they will be recorded,
/// prefilled from the report ([`DecisionForm::from_report`]) and corrected by hand.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct DecisionForm {
    pub given_name: String,
    pub family_name: String,
    pub patronymic: String,
    pub birth_date: String,
    pub contacts: String,
    pub region: String,
    pub detained_on: String,
    pub settlement: String,
    pub facility: String,
    pub description: String,
    pub confidentiality: String,
    /// For a merge: the person chosen among the candidates…
    pub person: String,
    /// …or typed by number.
    pub person_other: String,
}

/// The fields of the decision form in the order it shows them.
pub const DECISION_FIELDS: [&str; 11] = [
    "given_name",
    "family_name",
    "patronymic",
    "birth_date",
    "contacts",
    "region",
    "detained_on",
    "settlement",
    "facility",
    "description",
    "confidentiality",
];

/// The longest text each field of the decision form takes, in characters.
pub fn decision_max_len(field: &str) -> usize {
    match field {
        "contacts" => 500,
        "description" => 5000,
        "birth_date" | "detained_on" => 32,
        _ => 200,
    }
}

impl DecisionForm {
    pub fn from_report(r: &IntakeReport) -> DecisionForm {
        let person = r.person_input();
        DecisionForm {
            given_name: r.given_name.clone(),
            family_name: r.family_name.clone(),
            patronymic: r.patronymic.clone(),
            birth_date: r.birth_date.clone(),
            contacts: person.identity.contacts,
            region: r.region.clone(),
            detained_on: r.detained_on.clone(),
            settlement: r.settlement.clone(),
            facility: r.facility.clone(),
            description: r.what_happened.clone(),
            confidentiality: Confidentiality::Restricted.as_str().to_owned(),
            person: String::new(),
            person_other: String::new(),
        }
    }

    pub fn value(&self, field: &str) -> &str {
        match field {
            "given_name" => &self.given_name,
            "family_name" => &self.family_name,
            "patronymic" => &self.patronymic,
            "birth_date" => &self.birth_date,
            "contacts" => &self.contacts,
            "region" => &self.region,
            "detained_on" => &self.detained_on,
            "settlement" => &self.settlement,
            "facility" => &self.facility,
            "description" => &self.description,
            "confidentiality" => &self.confidentiality,
            _ => "",
        }
    }

    fn date(&self, field: &'static str, errors: &mut FieldErrors) -> Option<FuzzyDate> {
        let text = self.value(field).trim();
        if text.is_empty() {
            return None;
        }
        FuzzyDate::parse(text).map_err(|_| errors.add(field, ERROR_DATE)).ok()
    }

    /// The person and the detention event to record; the event names no person yet.
    pub fn parse(&self) -> Result<(PersonInput, EventInput), FieldErrors> {
        let mut errors = FieldErrors::default();
        for field in DECISION_FIELDS {
            if self.value(field).trim().chars().count() > decision_max_len(field) {
                errors.add(field, ERROR_TOO_LONG);
            }
        }
        if self.given_name.trim().is_empty() && self.family_name.trim().is_empty() {
            errors.add("given_name", ERROR_NAME);
        }
        let birth = self.date("birth_date", &mut errors);
        let detained_on = self.date("detained_on", &mut errors);
        let confidentiality = Confidentiality::parse(self.confidentiality.trim()).unwrap_or_else(|| {
            errors.add("confidentiality", ERROR_INVALID);
            Confidentiality::Restricted
        });
        if !errors.is_empty() {
            return Err(errors);
        }
        let region = crate::registry::normalise_region(&self.region);
        let t = |s: &str| s.trim().to_owned();
        let person = PersonInput {
            identity: Identity {
                given_name: t(&self.given_name),
                family_name: t(&self.family_name),
                patronymic: t(&self.patronymic),
                variants: Vec::new(),
                birth_date: birth.map(|d| d.to_string()).unwrap_or_default(),
                contacts: t(&self.contacts),
                notes: String::new(),
            },
            region: region.clone(),
            confidentiality,
            consent_to_publish: false,
        };
        let event = EventInput {
            kind: EventKind::Detention,
            date: detained_on,
            region,
            arrest_days: None,
            term_months: None,
            details: EventDetails {
                district: String::new(),
                settlement: t(&self.settlement),
                facility: t(&self.facility),
                description: t(&self.description),
            },
            confidentiality,
            articles: Vec::new(),
            persons: Vec::new(),
        };
        Ok((person, event))
    }

    /// The person a merge goes into: the number typed, else the candidate chosen.
    pub fn chosen_person(&self) -> Option<i64> {
        let typed = self.person_other.trim().trim_start_matches(['#', 'P', 'p', '-']);
        if !typed.is_empty() {
            return typed.parse().ok();
        }
        self.person.trim().parse().ok()
    }
}

/// A report as a documenter sees it in the queue.
#[derive(Debug, Clone)]
pub struct IntakeView {
    pub id: i64,
    pub received_at_ms: i64,
    pub state: String,
    pub person_id: Option<i64>,
    pub report: IntakeReport,
}

/// A page of the queue, oldest first.
#[derive(Debug, Clone)]
pub struct IntakeQueuePage {
    pub reports: Vec<IntakeView>,
    pub page: u32,
    pub more: bool,
}

pub const QUEUE_PAGE: u32 = 25;

/// Counts recent submissions in memory: per address (under a keyed hash, never the address
/// itself) and in total, over a sliding hour. Nothing here is ever written anywhere.
pub(crate) struct SubmissionLimiter {
    key: [u8; 32],
    limits: IntakeLimits,
    state: Mutex<LimiterState>,
}

#[derive(Default)]
struct LimiterState {
    /// The times (ms) of recent submissions, oldest first.
    all: VecDeque<i64>,
    by_address: HashMap<[u8; 16], VecDeque<i64>>,
}

const WINDOW_MS: i64 = 3_600_000;

impl SubmissionLimiter {
    pub(crate) fn new(limits: IntakeLimits) -> SubmissionLimiter {
        SubmissionLimiter {
            key: rand::random(),
            limits,
            state: Mutex::new(LimiterState::default()),
        }
    }

    /// Counts one submission at `now` from `peer`, unless a limit is reached: then `false`.
    pub(crate) fn admit(&self, peer: Option<IpAddr>, now: i64) -> bool {
        let address = peer.map(|ip| crate::throttle::address_key(&self.key, ip));
        // A poisoned lock only means another request panicked mid-count; the counts stay usable.
        let mut state = self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let since = now - WINDOW_MS;
        while state.all.front().is_some_and(|&t| t <= since) {
            state.all.pop_front();
        }
        state.by_address.retain(|_, times| {
            while times.front().is_some_and(|&t| t <= since) {
                times.pop_front();
            }
            !times.is_empty()
        });
        if state.all.len() >= self.limits.per_hour as usize {
            return false;
        }
        if let Some(address) = address {
            let times = state.by_address.entry(address).or_default();
            if times.len() >= self.limits.per_address_per_hour as usize {
                return false;
            }
            times.push_back(now);
        }
        state.all.push_back(now);
        true
    }
}

/// How many merge candidates are shown, at most.
const CANDIDATES_SHOWN: usize = 20;

impl App {
    /// Files a report from the public form. Refused with [`AppError::RateLimited`] when the
    /// form has taken its share for the hour, from this address or in total. `peer` is used
    /// only for the count in memory and is never stored.
    pub async fn submit_report(&self, peer: Option<IpAddr>, report: &IntakeReport) -> Result<(), AppError> {
        if !self.intake_limiter.admit(peer, crate::now_ms()) {
            return Err(AppError::RateLimited);
        }
        let change = Change {
            op: RegistryOp::CreateIntake {
                report_sealed: self.seal_json(SEAL_REPORT, report)?,
            },
            actor: Actor::Anonymous.audit_name(),
            audit: Some("intake.submit"),
            snapshot_sealed: None,
        };
        self.apply_changes(&[change]).await?;
        Ok(())
    }

    fn intake_view(&self, row: &IntakeRow) -> Result<IntakeView, AppError> {
        Ok(IntakeView {
            id: row.id,
            received_at_ms: row.received_at_ms,
            state: row.state.clone(),
            person_id: row.person_id,
            report: self.open_json(SEAL_REPORT, &row.report_sealed)?,
        })
    }

    /// New reports, oldest first, `QUEUE_PAGE` to a page (`page` from 0).
    pub async fn intake_queue(&self, actor: &Actor, page: u32) -> Result<IntakeQueuePage, AppError> {
        self.require(actor, Permission::WriteRegistry)?;
        let skip = i64::from(page) * i64::from(QUEUE_PAGE);
        // The store pages from the oldest; the queue is short-lived, so skipping is cheap.
        let rows = self.store.intake_queue("new", skip + i64::from(QUEUE_PAGE) + 1).await?;
        let mut reports = rows
            .iter()
            .skip(skip as usize)
            .map(|r| self.intake_view(r))
            .collect::<Result<Vec<_>, _>>()?;
        let more = reports.len() > QUEUE_PAGE as usize;
        reports.truncate(QUEUE_PAGE as usize);
        Ok(IntakeQueuePage { reports, page, more })
    }

    /// One report, opened; the read is recorded in the audit log.
    pub async fn intake_report(&self, actor: &Actor, id: i64) -> Result<IntakeView, AppError> {
        self.require(actor, Permission::WriteRegistry)?;
        let row = self.store.intake(id).await?.ok_or(AppError::NotFound("the report"))?;
        self.audit_read(self.event(
            actor,
            "intake.read",
            razam_store::AuditObject::Named(format!("intake:{id}")),
        ))
        .await?;
        self.intake_view(&row)
    }

    /// A new report, or refused: decisions are taken once.
    async fn undecided(&self, id: i64) -> Result<(), AppError> {
        let row = self.store.intake(id).await?.ok_or(AppError::NotFound("the report"))?;
        if row.state != "new" {
            return Err(AppError::Conflict("a decision on this report"));
        }
        Ok(())
    }

    /// Accepts a report: creates the person and the detention event (as the documenter
    /// corrected them) and marks the report accepted, in one transaction. Returns the person.
    pub async fn accept_report(
        &self,
        actor: &Actor,
        id: i64,
        person: &PersonInput,
        event: &EventInput,
    ) -> Result<i64, AppError> {
        self.require(actor, Permission::WriteRegistry)?;
        self.undecided(id).await?;
        let mut event = event.clone();
        event.kind = EventKind::Detention;
        // The person's id is known only once the batch runs; the snapshot names it "new".
        event.persons = Vec::new();
        let changes = [
            Change {
                op: RegistryOp::CreatePerson(self.person_write(person)?),
                actor: actor.audit_name(),
                audit: Some("person.create"),
                snapshot_sealed: Some(self.person_snapshot(person)?),
            },
            Change {
                op: RegistryOp::CreateEvent(
                    self.event_write(&event, vec![(Target::New(0), PersonRole::Victim.as_str())])?,
                ),
                actor: actor.audit_name(),
                audit: Some("event.create"),
                snapshot_sealed: Some(self.event_snapshot(&event)?),
            },
            Change {
                op: RegistryOp::DecideIntake {
                    id,
                    state: "accepted",
                    person: Some(Target::New(0)),
                },
                actor: actor.audit_name(),
                audit: Some("intake.accept"),
                snapshot_sealed: None,
            },
        ];
        let ids = self.apply_changes(&changes).await?;
        ids.first()
            .copied()
            .ok_or_else(|| AppError::Store(razam_store::StoreError::Damaged("a change returned no id".into())))
    }

    /// Merges a report into person `person`: adds the detention event to them and marks the
    /// report merged, in one transaction.
    pub async fn merge_report(&self, actor: &Actor, id: i64, person: i64, event: &EventInput) -> Result<(), AppError> {
        self.require(actor, Permission::WriteRegistry)?;
        self.undecided(id).await?;
        let p = self
            .store
            .person(person)
            .await?
            .ok_or(AppError::NotFound("the person"))?;
        if !self.readable_levels(actor)?.contains(&p.confidentiality.as_str()) {
            return Err(AppError::Forbidden);
        }
        self.in_sight(actor, p.compartment)?;
        let mut event = event.clone();
        event.kind = EventKind::Detention;
        event.persons = vec![(person, PersonRole::Victim)];
        let changes = [
            Change {
                op: RegistryOp::CreateEvent(
                    self.event_write(&event, vec![(Target::Existing(person), PersonRole::Victim.as_str())])?,
                ),
                actor: actor.audit_name(),
                audit: Some("event.create"),
                snapshot_sealed: Some(self.event_snapshot(&event)?),
            },
            Change {
                op: RegistryOp::DecideIntake {
                    id,
                    state: "merged",
                    person: Some(Target::Existing(person)),
                },
                actor: actor.audit_name(),
                audit: Some("intake.merge"),
                snapshot_sealed: None,
            },
        ];
        self.apply_changes(&changes).await?;
        Ok(())
    }

    /// Rejects a report: it leaves the queue; its sealed text stays for the record.
    pub async fn reject_report(&self, actor: &Actor, id: i64) -> Result<(), AppError> {
        self.require(actor, Permission::WriteRegistry)?;
        self.undecided(id).await?;
        let change = Change {
            op: RegistryOp::DecideIntake {
                id,
                state: "rejected",
                person: None,
            },
            actor: actor.audit_name(),
            audit: Some("intake.reject"),
            snapshot_sealed: None,
        };
        self.apply_changes(&[change]).await?;
        Ok(())
    }

    /// Persons the actor may read whose family name has the report's name key (any script,
    /// any romanisation: `razam_link::name_key`) and whose given name, when both have one,
    /// has its key or belongs to the same given-name group (Алесь = Аляксандр = Alexander);
    /// newest first. The search index gives the persons with a word of that key, so only
    /// they are compared, however large the registry.
    pub async fn merge_candidates(&self, actor: &Actor, report: &IntakeReport) -> Result<Vec<PersonView>, AppError> {
        self.require(actor, Permission::WriteRegistry)?;
        let levels = self.readable_levels(actor)?;
        let family = name_key(&report.family_name);
        let given = name_key(&report.given_name);
        let given_group = given_name_group(&report.given_name);
        if family.is_empty() && given.is_empty() {
            return Ok(Vec::new());
        }
        let mut candidates = if family.is_empty() {
            self.persons_by_name(actor, &report.given_name, Meet::GivenName).await?
        } else {
            self.persons_by_name(actor, &report.family_name, Meet::Key).await?
        };
        candidates.retain(|(_, level, family_name, given_name)| {
            let (pf, pg) = (name_key(family_name), name_key(given_name));
            let same_given = pg == given || given_group.is_some() && given_name_group(given_name) == given_group;
            let given_matches = given.is_empty() || pg.is_empty() || same_given;
            // With no family name reported, the given name alone must match.
            let matches = if family.is_empty() {
                same_given
            } else {
                pf == family && given_matches
            };
            matches && levels.contains(&level.as_str())
        });
        candidates.sort_unstable_by_key(|c| std::cmp::Reverse(c.0));
        candidates.truncate(CANDIDATES_SHOWN);
        let scope = self.scope(actor);
        let mut found = Vec::with_capacity(candidates.len());
        for (id, ..) in candidates {
            if let Some(row) = self.store.person(id).await?
                && scope.sees(row.compartment)
            {
                found.push(self.person_view(&row)?);
            }
        }
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(fields: &[(&str, &str)]) -> ReportForm {
        let mut f = ReportForm::default();
        for (k, v) in fields {
            let v = (*v).to_owned();
            match *k {
                "given_name" => f.given_name = v,
                "family_name" => f.family_name = v,
                "detained_on" => f.detained_on = v,
                "date_unknown" => f.date_unknown = Some(v),
                "what_happened" => f.what_happened = v,
                "birth_date" => f.birth_date = v,
                "region" => f.region = v,
                _ => panic!("{k}"),
            }
        }
        f
    }

    fn check(fields: &[(&str, &str)], expected: &[(&str, &str)]) {
        let got = match form(fields).parse() {
            Ok(_) => Vec::new(),
            Err(e) => e.0.into_iter().collect::<Vec<_>>(),
        };
        let expected: Vec<(&str, &str)> = expected.to_vec();
        assert_eq!(got, expected, "{fields:?}");
    }

    #[test]
    fn a_report_needs_a_name_a_date_or_unknown_and_what_happened() {
        let ok = [
            ("family_name", "Ivanova"),
            ("detained_on", "2024-03"),
            ("what_happened", "taken"),
        ];
        check(&ok, &[]);
        check(
            &[("given_name", "Ala"), ("date_unknown", "on"), ("what_happened", "x")],
            &[],
        );
        check(
            &[
                ("given_name", "Ala"),
                ("detained_on", "unknown"),
                ("what_happened", "x"),
            ],
            &[],
        );
        check(
            &[],
            &[
                ("detained_on", ERROR_DATE_OR_UNKNOWN),
                ("given_name", ERROR_NAME),
                ("what_happened", ERROR_REQUIRED),
            ],
        );
        check(
            &[
                ("family_name", "I"),
                ("detained_on", "last week"),
                ("what_happened", "x"),
                ("birth_date", "60s"),
            ],
            &[("birth_date", ERROR_DATE), ("detained_on", ERROR_DATE)],
        );
        check(
            &[
                ("family_name", "I"),
                ("date_unknown", "on"),
                ("what_happened", "x"),
                ("region", "mars"),
            ],
            &[("region", ERROR_INVALID)],
        );
        let long = "я".repeat(101);
        check(
            &[("family_name", &long), ("date_unknown", "on"), ("what_happened", "x")],
            &[("family_name", ERROR_TOO_LONG)],
        );
    }

    #[test]
    fn dates_are_kept_in_their_canonical_text() {
        let r = form(&[
            ("family_name", " I "),
            ("detained_on", "2024-03-05 "),
            ("what_happened", "x"),
            ("birth_date", "1980"),
        ])
        .parse()
        .unwrap();
        assert_eq!(
            (r.family_name.as_str(), r.detained_on.as_str(), r.birth_date.as_str()),
            ("I", "2024-03-05", "1980")
        );
    }

    #[test]
    fn a_decision_is_prefilled_from_the_report_and_parsed_back() {
        let report = form(&[
            ("family_name", "Ivanova"),
            ("detained_on", "2024-03"),
            ("what_happened", "taken"),
            ("region", "brest"),
        ])
        .parse()
        .unwrap();
        let mut decision = DecisionForm::from_report(&report);
        assert_eq!(decision.confidentiality, "restricted");
        let (person, event) = decision.parse().unwrap();
        assert_eq!(person.identity.family_name, "Ivanova");
        assert_eq!(
            (person.region.as_deref(), event.region.as_deref()),
            (Some("brest"), Some("brest"))
        );
        assert_eq!(event.date.map(|d| d.to_string()).as_deref(), Some("2024-03"));
        assert_eq!(event.details.description, "taken");
        decision.family_name.clear();
        decision.detained_on = "soon".into();
        decision.confidentiality = "secret".into();
        let errors = decision.parse().unwrap_err();
        assert_eq!(errors.first(&DECISION_FIELDS), Some("given_name"));
        assert_eq!(errors.get("detained_on"), Some(ERROR_DATE));
        assert_eq!(errors.get("confidentiality"), Some(ERROR_INVALID));
        decision.person = "7".into();
        assert_eq!(decision.chosen_person(), Some(7));
        decision.person_other = "#12".into();
        assert_eq!(decision.chosen_person(), Some(12));
    }

    #[test]
    fn the_limiter_counts_per_address_and_in_total_over_an_hour() {
        let limiter = SubmissionLimiter::new(IntakeLimits {
            per_address_per_hour: 2,
            per_hour: 3,
        });
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "2001:db8::1".parse().unwrap();
        assert!(limiter.admit(Some(a), 0));
        assert!(limiter.admit(Some(a), 1));
        assert!(!limiter.admit(Some(a), 2), "third from one address");
        assert!(limiter.admit(Some(b), 3));
        assert!(!limiter.admit(Some(b), 4), "fourth in total");
        assert!(limiter.admit(Some(a), WINDOW_MS + 1), "an hour later");
    }
}
