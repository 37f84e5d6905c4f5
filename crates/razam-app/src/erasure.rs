//! Erasure of a person (issue 8 item 8): a data-protection request honoured without breaking
//! the ledger, the figures or the audit chain. Anonymise, keep the ids.
//!
//! The whole merge group goes together (a merged record is the same human being). Each
//! member's row stays with its id, marked erased on the day, its identity and every earlier
//! version overwritten by an empty one; its list reference and import digest are cleared. Events
//! keep their ids, kinds, dates, regions, articles and persons (so every figure stays the
//! same); where their sealed text, an earlier version of it, a source of theirs or a
//! recognition's reasoning names the person in any recorded spelling, that word is replaced by
//! [`REDACTED`]. Intake reports that led to the person are blanked. Assistance cases keep their
//! opaque reference, steps and ledger transfer; only the person's id leaves their sealed
//! beneficiaries. The in-memory indexes forget the names at the commit. One audit entry names
//! the person's id and the reason, never a name: a reason that names the person is refused.
//!
//! Nothing here must ever delete a row: an id someone cited (in a report, a court file, the
//! audit chain) still answers, as "erased on DATE".

use std::collections::HashSet;

use razam_core::registry::Confidentiality;
use razam_core::role::Permission;
use razam_store::AuditObject;
use razam_store::erasure::{ApprovalUse, ErasureWrite};
use serde_json::Value;

use crate::approvals::ApprovalState;
use crate::assistance::{CaseDetails, SEAL_CASE};
use crate::intake::{IntakeReport, SEAL_REPORT};
use crate::registry::{
    EventDetails, Identity, SEAL_DECISION, SEAL_DETAILS, SEAL_IDENTITY, SEAL_VERSION, label_for, level,
};
use crate::sources::{SEAL_SOURCE, SourceDetails};
use crate::{Actor, App, AppError};

/// What replaces a word that names an erased person.
pub const REDACTED: &str = "[erased]";
/// The subject of an approval of an erasure is this and the person's label.
pub(crate) const SUBJECT_PREFIX: &str = "erase:";
/// The longest reason taken.
const REASON_MAX: usize = 200;

/// Where the two-person rule stands for one erasure, as the reader sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErasureApproval {
    /// `[two_person] deletions` is off, or the command line acts.
    NotNeeded,
    /// Nobody has asked for it yet (or the last request was refused, used or expired).
    Needed,
    /// Asked for; a second person has not decided. `mine`: the reader asked (and may not decide).
    Waiting { id: i64, mine: bool },
    /// Approved; the requester may erase now, once. `mine` as above.
    Approved { id: i64, mine: bool },
}

/// What an erasure will do, as its confirmation page shows it before anything is written.
#[derive(Debug, Clone)]
pub struct ErasurePreview {
    pub id: i64,
    pub label: String,
    /// The day the person was erased, when they were already: nothing more to do.
    pub erased_on: Option<String>,
    /// Each member of the group: label, name, birth date.
    pub persons: Vec<(String, String, String)>,
    /// Every recorded spelling of the names: each word of them is redacted where it appears.
    pub spellings: Vec<String>,
    /// Members with contacts or notes (sealed), all overwritten.
    pub with_notes: usize,
    /// Ids of the events linking a member: they stay, counted as before.
    pub events: Vec<i64>,
    /// Of those, the events whose text (or an earlier version of it) names the person.
    pub events_redacted: Vec<i64>,
    pub sources_redacted: usize,
    pub recognitions_redacted: usize,
    pub intakes: usize,
    /// References of the assistance cases whose beneficiaries include a member.
    pub cases: Vec<String>,
    pub approval: ErasureApproval,
}

/// The texts an erasure rewrote, for the search index.
#[derive(Debug, Default)]
pub(crate) struct RedactedTexts {
    pub(crate) events: Vec<(i64, Confidentiality, EventDetails)>,
    pub(crate) sources: Vec<(i64, i64, Confidentiality, SourceDetails)>,
}

/// The words that name a person, normalised, the name keys of the longer ones (so that a
/// transliteration of a name, Ivanou for Іваноў, is found too), and the stems of the longer
/// Cyrillic ones (so that a declined form, Каваленку or Іванова for Каваленка and Іваноў, is
/// found too).
struct NameWords {
    words: HashSet<String>,
    keys: HashSet<String>,
    stems: HashSet<String>,
}

/// The letters Belarusian and Russian case and gender endings are made of (normalised), and
/// the longest such ending: a word that is a name's stem followed by at most that many of
/// these letters is a declined form of the name (Снапшотаву, Каліноўскага, Івановымі), or
/// its possessive (Алесін).
const ENDING_LETTERS: &[char] = &[
    'а', 'я', 'о', 'е', 'ё', 'ы', 'і', 'и', 'у', 'ю', 'э', 'й', 'ь', 'м', 'х', 'ў', 'г', 'н',
];
const ENDING_MAX: usize = 3;
/// A name's stem is matched only from this many letters on: a shorter one (Ян, Лес) would
/// meet common words.
const STEM_MIN: usize = 4;

/// The stem a Cyrillic name word declines from: without its final vowel letters (at most
/// two: Мікалай → мікал, Снапшотава → снапшотав, Алесь → алес), a final ў read as the в it
/// becomes before an ending (Іваноў → іванов). `None` for other scripts and short names.
fn stem_of(normal: &str) -> Option<String> {
    let mut letters: Vec<char> = normal.chars().collect();
    if !letters
        .iter()
        .all(|c| matches!(c, 'а'..='я' | 'ё' | 'і' | 'ў' | 'ї' | 'є' | 'ґ'))
    {
        return None;
    }
    if letters.last() == Some(&'ў') {
        letters.pop();
        letters.push('в');
    } else {
        for _ in 0..2 {
            match letters.last() {
                Some(c) if letters.len() > STEM_MIN && "аяоеёыіиуюэйь".contains(*c) => {
                    letters.pop();
                }
                _ => break,
            }
        }
    }
    (letters.len() >= STEM_MIN).then(|| letters.into_iter().collect())
}

impl NameWords {
    fn of(identities: &[Identity]) -> NameWords {
        let mut words = HashSet::new();
        let mut keys = HashSet::new();
        let mut stems = HashSet::new();
        for i in identities {
            let spellings = [&i.given_name, &i.family_name, &i.patronymic]
                .into_iter()
                .chain(&i.variants);
            for spelling in spellings {
                for word in words_of(spelling) {
                    let normal = razam_link::normalise(word);
                    if normal.chars().count() < 2 {
                        continue;
                    }
                    if normal.chars().count() >= 4 {
                        keys.insert(razam_link::name_key(&normal));
                    }
                    stems.extend(stem_of(&normal));
                    words.insert(normal);
                }
            }
        }
        keys.remove("");
        NameWords { words, keys, stems }
    }

    /// Whether `normal` is a declined form of a name: one of its stems followed by an
    /// ending.
    fn declines(&self, normal: &str) -> bool {
        let letters: Vec<(usize, char)> = normal.char_indices().collect();
        (1..=ENDING_MAX.min(letters.len())).any(|tail| {
            let cut = letters.len() - tail;
            cut >= STEM_MIN
                && letters[cut..].iter().all(|(_, c)| ENDING_LETTERS.contains(c))
                && self.stems.contains(&normal[..letters[cut].0])
        })
    }

    /// Whether `word` names the person: itself, or a part of it joined by an apostrophe or a
    /// hyphen (Kavalenka's, Kavalenka-Piatrova).
    fn names(&self, word: &str) -> bool {
        let one = |w: &str| {
            let normal = razam_link::normalise(w);
            self.words.contains(&normal)
                || (normal.chars().count() >= 4 && self.keys.contains(&razam_link::name_key(&normal)))
                || self.declines(&normal)
        };
        one(word)
            || word
                .split(['\'', '’', 'ʼ', '-'])
                .any(|part| !part.is_empty() && one(part))
    }

    /// `text` with every word that names the person replaced, or `None` when none does.
    fn redact(&self, text: &str) -> Option<String> {
        let mut out = String::with_capacity(text.len());
        let mut changed = false;
        let mut rest = text;
        while let Some(start) = rest.find(is_word_char) {
            out.push_str(&rest[..start]);
            let tail = &rest[start..];
            let end = tail.find(|c: char| !is_word_char(c)).unwrap_or(tail.len());
            let word = &tail[..end];
            if self.names(word) {
                out.push_str(REDACTED);
                changed = true;
            } else {
                out.push_str(word);
            }
            rest = &tail[end..];
        }
        out.push_str(rest);
        changed.then_some(out)
    }

    /// Redacts every string inside a JSON value; whether anything changed.
    fn redact_json(&self, value: &mut Value) -> bool {
        match value {
            Value::String(s) => match self.redact(s) {
                Some(r) => {
                    *s = r;
                    true
                }
                None => false,
            },
            Value::Array(items) => items.iter_mut().fold(false, |any, v| self.redact_json(v) | any),
            Value::Object(map) => map.values_mut().fold(false, |any, v| self.redact_json(v) | any),
            _ => false,
        }
    }
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '\'' || c == '’' || c == 'ʼ' || c == '-'
}

fn words_of(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !is_word_char(c)).filter(|w| !w.is_empty())
}

/// A reason as the audit entry records it: one line, short, naming nobody.
fn parse_reason(reason: &str, names: &NameWords) -> Result<String, AppError> {
    let reason = reason.split_whitespace().collect::<Vec<_>>().join(" ");
    if reason.is_empty() {
        return Err(AppError::BadInput(
            "reason: why is the person erased? e.g. \"request of 3 December (data protection)\"".into(),
        ));
    }
    if reason.chars().count() > REASON_MAX {
        return Err(AppError::BadInput(format!("reason: at most {REASON_MAX} characters")));
    }
    if names.redact(&reason).is_some() {
        return Err(AppError::BadInput(
            "reason: it names the person; the audit log keeps no names, give the reason without one".into(),
        ));
    }
    Ok(reason)
}

/// An erasure read and sealed, ready to write; its preview alongside.
struct Plan {
    preview: ErasurePreview,
    write: ErasureWrite,
    texts: RedactedTexts,
    names: NameWords,
}

fn subject(id: i64) -> String {
    format!("{SUBJECT_PREFIX}{}", label_for(id))
}

impl App {
    /// Whether `actor`'s erasures wait for a second person's approval.
    fn erasure_needs_approval(&self, actor: &Actor) -> bool {
        self.config.two_person_deletions && matches!(actor, Actor::Account(_))
    }

    async fn erasure_approval(&self, actor: &Actor, id: i64) -> Result<ErasureApproval, AppError> {
        if !self.erasure_needs_approval(actor) {
            return Ok(ErasureApproval::NotNeeded);
        }
        let mine = |requested_by: i64| matches!(actor, Actor::Account(u) if u.id == requested_by);
        Ok(match self.latest_request(&subject(id)).await? {
            Some((row, ApprovalState::Waiting)) => ErasureApproval::Waiting {
                id: row.id,
                mine: mine(row.requested_by),
            },
            Some((row, ApprovalState::Approved)) => ErasureApproval::Approved {
                id: row.id,
                mine: mine(row.requested_by),
            },
            _ => ErasureApproval::Needed,
        })
    }

    /// What erasing person `id` (and the persons merged with them) would overwrite. Shows
    /// names to the administrator who confirms, so it is audited as a read.
    pub async fn erasure_preview(&self, actor: &Actor, id: i64) -> Result<ErasurePreview, AppError> {
        let plan = self.plan_erasure(actor, id).await?;
        self.audit_read(self.event(actor, "person.read", AuditObject::Named(format!("person:{id}"))))
            .await?;
        Ok(plan.preview)
    }

    /// Asks a second administrator to approve the erasure of person `id` (`[two_person]
    /// deletions`). Returns the request's id.
    pub async fn request_erasure(&self, actor: &Actor, id: i64) -> Result<i64, AppError> {
        self.require(actor, Permission::ErasePersons)?;
        let row = self.store.person(id).await?.ok_or(AppError::NotFound("the person"))?;
        if let Some(day) = row.erased_on {
            return Err(AppError::BadInput(format!(
                "{} was erased on {day} already",
                label_for(id)
            )));
        }
        match self.erasure_approval(actor, id).await? {
            ErasureApproval::NotNeeded => Err(AppError::BadInput(
                "this erasure needs no second person's approval: erase directly".into(),
            )),
            ErasureApproval::Waiting { .. } | ErasureApproval::Approved { .. } => Err(AppError::BadInput(
                "an approval of this erasure has been asked for already".into(),
            )),
            ErasureApproval::Needed => self.request_approval(actor, &subject(id)).await,
        }
    }

    /// A second administrator approves or refuses the waiting request to erase person `id`;
    /// the one who asked never decides it (the approvals' rule and the table's CHECK).
    pub async fn decide_erasure(&self, actor: &Actor, id: i64, approve: bool) -> Result<(), AppError> {
        self.require(actor, Permission::ErasePersons)?;
        match self.latest_request(&subject(id)).await? {
            Some((row, ApprovalState::Waiting)) => self.decide_export_approval(actor, row.id, approve).await,
            _ => Err(AppError::BadInput(
                "there is no request waiting for a decision on this erasure".into(),
            )),
        }
    }

    /// Erases person `id` and every person merged into them, for `reason` (recorded in the
    /// audit entry; it may not name the person). With `[two_person] deletions` an account
    /// needs an approval a second administrator gave, spent in the same transaction.
    pub async fn erase_person(&self, actor: &Actor, id: i64, reason: &str) -> Result<(), AppError> {
        let mut plan = self.plan_erasure(actor, id).await?;
        if let Some(day) = &plan.preview.erased_on {
            return Err(AppError::BadInput(format!(
                "{} was erased on {day} already: nothing is left to erase",
                plan.preview.label
            )));
        }
        let reason = parse_reason(reason, &plan.names)?;
        if self.erasure_needs_approval(actor) {
            let Actor::Account(user) = actor else {
                return Err(AppError::Forbidden);
            };
            if !matches!(plan.preview.approval, ErasureApproval::Approved { mine: true, .. }) {
                return Err(AppError::BadInput(NEEDS_APPROVAL.into()));
            }
            plan.write.approval = Some(ApprovalUse {
                subject: subject(id),
                by: user.id,
                decided_after_ms: crate::now_ms() - crate::approvals::VALID_FOR_MS,
            });
        }
        let audit = self.event(
            actor,
            "person.erase",
            AuditObject::Named(format!("person:{id} reason:{reason}")),
        );
        self.apply_erasure(&plan.write, &audit, plan.texts).await
    }

    /// Reads everything the erasure of `id` touches, redacts and seals it.
    async fn plan_erasure(&self, actor: &Actor, id: i64) -> Result<Plan, AppError> {
        self.require(actor, Permission::ErasePersons)?;
        let row = self.store.person(id).await?.ok_or(AppError::NotFound("the person"))?;
        let root = row.merged_into.unwrap_or(id);
        let scope = self.store.erasure_scope(root).await?;
        let rows = self.store.persons_by_ids(&scope.persons).await?;
        let mut members = Vec::with_capacity(scope.persons.len());
        for pid in &scope.persons {
            let row = rows
                .iter()
                .find(|r| r.id == *pid)
                .ok_or(AppError::NotFound("a person of the group"))?;
            members.push((
                row.clone(),
                self.open_json::<Identity>(SEAL_IDENTITY, &row.identity_sealed)?,
            ));
        }
        let identities: Vec<Identity> = members.iter().map(|(_, i)| i.clone()).collect();
        let names = NameWords::of(&identities);
        let erased_on = crate::today().to_string();
        let empty_snapshot = std::collections::BTreeMap::from([("erased_on", erased_on.clone())]);

        let mut texts = RedactedTexts::default();
        let mut event_details = Vec::new();
        let mut event_versions = Vec::new();
        let mut events = Vec::with_capacity(scope.events.len());
        let mut sources = Vec::new();
        for &event in &scope.events {
            let e = self.store.event(event).await?.ok_or(AppError::NotFound("an event"))?;
            events.push((event, e.version));
            let event_level = level(&e.confidentiality)?;
            let mut details: Value = self.open_json(SEAL_DETAILS, &e.details_sealed)?;
            if names.redact_json(&mut details) {
                event_details.push((event, self.seal_json(SEAL_DETAILS, &details)?));
                let details: EventDetails =
                    serde_json::from_value(details).map_err(|e| AppError::Vault(e.to_string()))?;
                texts.events.push((event, event_level, details));
            }
            for v in self.store.versions("event", event).await? {
                let mut snapshot: Value = self.open_json(SEAL_VERSION, &v.snapshot_sealed)?;
                if names.redact_json(&mut snapshot) {
                    event_versions.push((event, v.version, self.seal_json(SEAL_VERSION, &snapshot)?));
                }
            }
            for s in self.store.sources_of_event(event).await? {
                let mut source: Value = self.open_json(SEAL_SOURCE, &s.sealed)?;
                if names.redact_json(&mut source) {
                    sources.push((s.id, self.seal_json(SEAL_SOURCE, &source)?));
                    let details: SourceDetails =
                        serde_json::from_value(source).map_err(|e| AppError::Vault(e.to_string()))?;
                    texts.sources.push((s.id, event, level(&s.confidentiality)?, details));
                }
            }
        }
        let events_redacted: Vec<i64> = {
            let mut ids: Vec<i64> = event_details
                .iter()
                .map(|(id, _)| *id)
                .chain(event_versions.iter().map(|(id, _, _)| *id))
                .collect();
            ids.sort_unstable();
            ids.dedup();
            ids
        };

        let mut recognitions = Vec::new();
        for (member, _) in &members {
            if let Some(r) = self.store.recognition(member.id).await? {
                let mut decision: Value = self.open_json(SEAL_DECISION, &r.decision_sealed)?;
                if names.redact_json(&mut decision) {
                    recognitions.push((member.id, self.seal_json(SEAL_DECISION, &decision)?));
                }
            }
        }
        let blank_report = self.seal_json(SEAL_REPORT, &IntakeReport::default())?;
        let intakes: Vec<(i64, Vec<u8>)> = scope.intakes.iter().map(|r| (r.id, blank_report.clone())).collect();

        let mut cases = Vec::new();
        let mut case_refs = Vec::new();
        for case in self.store.assistance_cases().await? {
            let mut details: CaseDetails = self.open_json(SEAL_CASE, &case.sealed)?;
            if !details.persons.iter().any(|p| scope.persons.contains(p)) {
                continue;
            }
            details.persons.retain(|p| !scope.persons.contains(p));
            if let Some(purpose) = names.redact(&details.purpose) {
                details.purpose = purpose;
            }
            cases.push((case.id, self.seal_json(SEAL_CASE, &details)?));
            case_refs.push(case.reference);
        }

        let preview = ErasurePreview {
            id: root,
            label: label_for(root),
            erased_on: row.erased_on.clone(),
            persons: members
                .iter()
                .map(|(r, i)| (r.label.clone(), i.full_name(), i.birth_date.clone()))
                .collect(),
            spellings: identities
                .iter()
                .flat_map(|i| std::iter::once(i.full_name()).chain(i.variants.iter().cloned()))
                .filter(|s| !s.is_empty())
                .collect(),
            with_notes: identities
                .iter()
                .filter(|i| !i.notes.is_empty() || !i.contacts.is_empty())
                .count(),
            events: scope.events.clone(),
            events_redacted,
            sources_redacted: sources.len(),
            recognitions_redacted: recognitions.len(),
            intakes: intakes.len(),
            cases: case_refs,
            approval: self.erasure_approval(actor, root).await?,
        };
        let write = ErasureWrite {
            root,
            persons: members.iter().map(|(r, _)| (r.id, r.version)).collect(),
            identity_sealed: self.seal_json(SEAL_IDENTITY, &Identity::default())?,
            snapshot_sealed: self.seal_json(SEAL_VERSION, &empty_snapshot)?,
            erased_on,
            events,
            event_details,
            event_versions,
            recognitions,
            sources,
            intakes,
            cases,
            approval: None,
        };
        Ok(Plan {
            preview,
            write,
            texts,
            names,
        })
    }
}

/// The refusal of an account's erasure without its approval.
pub const NEEDS_APPROVAL: &str = "this erasure needs a second administrator's approval: ask for it on this page, \
     then erase once it is approved (within a day)";

#[cfg(test)]
mod tests {
    use super::*;

    fn names(family: &str, given: &str, variants: &[&str]) -> NameWords {
        NameWords::of(&[Identity {
            family_name: family.into(),
            given_name: given.into(),
            variants: variants.iter().map(|v| (*v).into()).collect(),
            ..Identity::default()
        }])
    }

    #[test]
    fn every_recorded_spelling_is_redacted_and_nothing_else() {
        let n = names("Каваленка", "Алесь", &["Kavalenka Ales", "Коваленко Алесь"]);
        let check = |text: &str, expected: Option<&str>| assert_eq!(n.redact(text).as_deref(), expected, "{text}");
        check(
            "Алесь Каваленка затрыманы ў Мінску.",
            Some("[erased] [erased] затрыманы ў Мінску."),
        );
        check("KAVALENKA, Ales: detained", Some("[erased], [erased]: detained"));
        check("Коваленко detained", Some("[erased] detained"));
        // A transliteration not recorded meets a recorded one under the name key.
        check("Kavalenko was detained", Some("[erased] was detained"));
        check(
            "Kavalenka's mother, Kavalenka-Piatrova",
            Some("[erased] mother, [erased]"),
        );
        check("Nobody named here; Minsk, 2021.", None);
        check("", None);
    }

    #[test]
    fn declined_forms_of_the_names_are_redacted_and_common_words_not() {
        let n = names("Каваленка", "Алесь", &["Іваноў Мікалай", "Снапшотава"]);
        let check = |text: &str, expected: Option<&str>| assert_eq!(n.redact(text).as_deref(), expected, "{text}");
        check(
            "Алеся Каваленку затрымалі; суд над Каваленкам.",
            Some("[erased] [erased] затрымалі; суд над [erased]."),
        );
        check(
            "Іванова і Мікалая вызвалілі, Снапшотаву — не.",
            Some("[erased] і [erased] вызвалілі, [erased] — не."),
        );
        check(
            "Іванову Мікалаю Снапшотавай Алесіна",
            Some("[erased] [erased] [erased] [erased]"),
        );
        // A stem followed by more than an ending, or a short common word: kept.
        check("Кава, Каваленкаўскі раён, алея, Мікалаевічы", None);
    }

    #[test]
    fn a_reason_naming_the_person_is_refused() {
        let n = names("Kavalenka", "Ales", &[]);
        assert_eq!(
            parse_reason("  request   of 3 December ", &n).unwrap(),
            "request of 3 December"
        );
        assert!(parse_reason("Kavalenka asked", &n).is_err());
        assert!(parse_reason("   ", &n).is_err());
        assert!(parse_reason(&"x".repeat(REASON_MAX + 1), &n).is_err());
    }

    #[test]
    fn strings_deep_in_json_are_redacted() {
        let n = names("Kavalenka", "Ales", &[]);
        let mut v = serde_json::json!({"description": "Ales detained", "list": ["kavalenka"], "n": 3});
        assert!(n.redact_json(&mut v));
        assert_eq!(
            v,
            serde_json::json!({"description": "[erased] detained", "list": ["[erased]"], "n": 3})
        );
        assert!(!n.redact_json(&mut v));
    }
}
