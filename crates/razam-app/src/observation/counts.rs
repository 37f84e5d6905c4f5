//! Observers' counts: the short form, the paper forms a coordinator enters in bulk, the
//! conflicts between observers of one station and day, and their resolution.
//!
//! An observer's later count for the same station and day replaces the earlier one (both
//! stay stored). When the current counts of a station and day differ, the station shows a
//! conflict until a reviewer keeps one value or enters one, with a reason; a count made
//! after the decision opens the question again.

use std::collections::{BTreeMap, HashMap};

use razam_core::Role;
use razam_core::account::Username;
use razam_core::role::Permission;
use razam_store::AuditObject;
use razam_store::observation::{CountId, CountRow, ElectionId, NewCount, NewResolution, ResolutionRow, StationId};
use serde::Deserialize;

use crate::import::{self, ImportReport};
use crate::intake::FieldErrors;
use crate::{Actor, App, AppError};

/// The violation flags an observer can tick, by name; flag `i` is bit `1 << i`.
pub const VIOLATIONS: [&str; 8] = [
    "not_let_in",
    "removed",
    "forced_early",
    "home_voting",
    "opaque_count",
    "stuffing",
    "wrong_numbers",
    "other",
];
const SEAL_NOTE: &str = "observation.count.note";
const SEAL_REASON: &str = "observation.resolution.reason";
pub const NOTE_MAX: usize = 2000;
pub const REASON_MAX: usize = 1000;
/// More voters than any station has in a day.
const VOTERS_MAX: i64 = 100_000;

/// The names of the flags set in `flags`.
pub fn violation_names(flags: i64) -> Vec<&'static str> {
    VIOLATIONS
        .iter()
        .enumerate()
        .filter(|(i, _)| flags & (1 << i) != 0)
        .map(|(_, n)| *n)
        .collect()
}

/// The count form as typed: every field as text, a ticked box as `Some`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct CountForm {
    pub day: String,
    pub voters: String,
    pub window_from: String,
    pub window_to: String,
    pub not_let_in: Option<String>,
    pub removed: Option<String>,
    pub forced_early: Option<String>,
    pub home_voting: Option<String>,
    pub opaque_count: Option<String>,
    pub stuffing: Option<String>,
    pub wrong_numbers: Option<String>,
    pub other: Option<String>,
    pub note: String,
}

/// A count, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CountInput {
    pub day: String,
    pub voters: i64,
    pub window_from: String,
    pub window_to: String,
    pub flags: i64,
    pub note: String,
}

pub const ERROR_REQUIRED: &str = "observe-error-required";
pub const ERROR_DAY: &str = "observe-error-day";
pub const ERROR_VOTERS: &str = "observe-error-voters";
pub const ERROR_TIME: &str = "observe-error-time";
pub const ERROR_WINDOW: &str = "observe-error-window";
pub const ERROR_TOO_LONG: &str = "observe-error-too-long";

fn minutes(text: &str) -> Option<u32> {
    let (h, m) = text.trim().split_once(':')?;
    let (h, m) = (h.parse::<u32>().ok()?, m.parse::<u32>().ok()?);
    (h < 24 && m < 60).then_some(h * 60 + m)
}

/// `HH:MM` of a time typed as `H:MM` or `HH:MM`.
fn clock(minutes: u32) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

impl CountForm {
    pub fn flags(&self) -> i64 {
        let ticked = [
            &self.not_let_in,
            &self.removed,
            &self.forced_early,
            &self.home_voting,
            &self.opaque_count,
            &self.stuffing,
            &self.wrong_numbers,
            &self.other,
        ];
        ticked
            .iter()
            .enumerate()
            .filter(|(_, t)| t.is_some())
            .fold(0, |acc, (i, _)| acc | (1 << i))
    }

    /// Whether the box of flag `name` is ticked (to draw the form again).
    pub fn ticked(&self, name: &str) -> bool {
        VIOLATIONS
            .iter()
            .position(|n| *n == name)
            .is_some_and(|i| self.flags() & (1 << i) != 0)
    }

    /// A count on one of `days`, or each field's error.
    pub fn parse(&self, days: &[String]) -> Result<CountInput, FieldErrors> {
        let mut errors = FieldErrors::default();
        let mut refuse = |field: &'static str, key: &'static str| {
            errors.0.entry(field).or_insert(key);
        };
        let day = self.day.trim();
        if day.is_empty() {
            refuse("day", ERROR_REQUIRED);
        } else if !days.iter().any(|d| d == day) {
            refuse("day", ERROR_DAY);
        }
        let voters = match self.voters.trim() {
            "" => {
                refuse("voters", ERROR_REQUIRED);
                0
            }
            v => match v.parse::<i64>() {
                Ok(n) if (0..=VOTERS_MAX).contains(&n) => n,
                _ => {
                    refuse("voters", ERROR_VOTERS);
                    0
                }
            },
        };
        let mut time = |field: &'static str, text: &str| {
            if text.trim().is_empty() {
                refuse(field, ERROR_REQUIRED);
                None
            } else {
                let m = minutes(text);
                if m.is_none() {
                    refuse(field, ERROR_TIME);
                }
                m
            }
        };
        let from = time("window_from", &self.window_from);
        let to = time("window_to", &self.window_to);
        if let (Some(a), Some(b)) = (from, to)
            && a >= b
        {
            errors.0.entry("window_to").or_insert(ERROR_WINDOW);
        }
        let note = self.note.trim();
        if note.chars().count() > NOTE_MAX {
            errors.0.entry("note").or_insert(ERROR_TOO_LONG);
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(CountInput {
            day: day.to_owned(),
            voters,
            window_from: clock(from.unwrap_or(0)),
            window_to: clock(to.unwrap_or(0)),
            flags: self.flags(),
            note: note.to_owned(),
        })
    }
}

/// A station and a day.
pub type StationDayKey = (StationId, String);

/// The counts of one station and day and what they add up to.
#[derive(Debug, Clone)]
pub struct DayCount {
    pub station_id: StationId,
    pub day: String,
    /// Each observer's latest count, in id order.
    pub current: Vec<CountRow>,
    /// The decision in force, if any.
    pub resolution: Option<ResolutionRow>,
    /// The value the station and day have: the one all observers agree on, or the decision.
    pub value: Option<i64>,
    /// Observers disagree and no decision settles it.
    pub conflict: bool,
    /// The flags any current count ticked.
    pub flags: i64,
}

/// Every station and day with counts: the current count of each observer, conflicts and
/// their resolutions.
pub fn day_counts(counts: &[CountRow], resolutions: &[ResolutionRow]) -> BTreeMap<StationDayKey, DayCount> {
    let mut latest: BTreeMap<StationDayKey, BTreeMap<i64, &CountRow>> = BTreeMap::new();
    for c in counts {
        let of = latest.entry((c.station_id, c.day.clone())).or_default();
        if of.get(&c.account_id).is_none_or(|prev| prev.id < c.id) {
            of.insert(c.account_id, c);
        }
    }
    let mut decided: HashMap<StationDayKey, &ResolutionRow> = HashMap::new();
    for r in resolutions {
        let key = (r.station_id, r.day.clone());
        if decided.get(&key).is_none_or(|prev| prev.id < r.id) {
            decided.insert(key, r);
        }
    }
    latest
        .into_iter()
        .map(|(key, by_observer)| {
            let mut current: Vec<CountRow> = by_observer.into_values().cloned().collect();
            current.sort_by_key(|c| c.id);
            let newest = current.iter().map(|c| c.id).max().unwrap_or(0);
            let resolution = decided
                .get(&key)
                .filter(|r| r.last_count_id >= newest)
                .map(|r| (*r).clone());
            let agreed = current.windows(2).all(|w| w[0].voters == w[1].voters);
            let (value, conflict) = match (&resolution, agreed) {
                (Some(r), _) => (Some(r.voters), false),
                (None, true) => (current.first().map(|c| c.voters), false),
                (None, false) => (None, true),
            };
            let flags = current.iter().fold(0, |acc, c| acc | c.flags);
            let day_count = DayCount {
                station_id: key.0,
                day: key.1.clone(),
                current,
                resolution,
                value,
                conflict,
                flags,
            };
            (key, day_count)
        })
        .collect()
}

/// What a reviewer decides on a conflict.
#[derive(Debug, Clone)]
pub enum Resolution {
    /// Keep the value of one of the current counts.
    Keep(CountId),
    /// A value of one's own (e.g. from the station's video).
    Enter(i64),
}

impl App {
    fn seal_note(&self, note: &str) -> Option<Vec<u8>> {
        (!note.is_empty()).then(|| self.keys.sealer.seal(SEAL_NOTE, note.as_bytes()))
    }

    /// An observer's note, unsealed: only for those who read the observation.
    pub fn count_note(&self, actor: &Actor, count: &CountRow) -> Result<Option<String>, AppError> {
        self.require(actor, Permission::ReadObservation)?;
        count
            .note_sealed
            .as_ref()
            .map(|n| self.keys.sealer.open_string(SEAL_NOTE, n))
            .transpose()
    }

    /// A reviewer's reason, unsealed: only for those who read the observation.
    pub fn resolution_reason(&self, actor: &Actor, r: &ResolutionRow) -> Result<String, AppError> {
        self.require(actor, Permission::ReadObservation)?;
        self.keys.sealer.open_string(SEAL_REASON, &r.reason_sealed)
    }

    /// An observer's count at a station they are assigned to.
    pub async fn submit_count(
        &self,
        actor: &Actor,
        station: StationId,
        count: &CountInput,
    ) -> Result<CountId, AppError> {
        self.require(actor, Permission::SubmitCounts)?;
        let Actor::Account(user) = actor else {
            return Err(AppError::Forbidden);
        };
        let assigned = self.store.stations_of_observer(user.id).await?;
        let Some(row) = assigned.iter().find(|s| s.id == station) else {
            // Another station is "not found": ids tell an observer nothing.
            return Err(AppError::NotFound("the polling station"));
        };
        let election = self.election(row.election_id).await?;
        if !election.days.iter().any(|(d, _)| *d == count.day) {
            return Err(AppError::BadInput(
                "the day is not a voting day of this election".into(),
            ));
        }
        let new = NewCount {
            station_id: station,
            day: count.day.clone(),
            account_id: user.id,
            voters: count.voters,
            window_from: count.window_from.clone(),
            window_to: count.window_to.clone(),
            flags: count.flags,
            note_sealed: self.seal_note(&count.note),
            paper: false,
            submitted_at_ms: crate::now_ms(),
        };
        let event = self.event(actor, "observer_count.submit", AuditObject::Created("observer_count"));
        let ids = self.store.add_counts(&[new], &event).await?;
        ids.first().copied().ok_or(AppError::NotFound("the count"))
    }

    /// Observers' paper forms entered in bulk by a coordinator: a CSV with the header
    /// `station,day,observer,voters,from,to,flags,note` (`flags`: names separated by `;`;
    /// `observer`: the user name of an observer assigned to the station). All or nothing.
    pub async fn import_counts(
        &self,
        actor: &Actor,
        election: ElectionId,
        bytes: &[u8],
        dry_run: bool,
    ) -> Result<ImportReport, AppError> {
        self.require(actor, Permission::ManageElections)?;
        let view = self.election(election).await?;
        let days: Vec<String> = view.days.iter().map(|(d, _)| d.clone()).collect();
        let stations: HashMap<String, StationId> = self
            .store
            .stations(election)
            .await?
            .into_iter()
            .map(|s| (s.code, s.id))
            .collect();
        let assigned: std::collections::HashSet<(StationId, i64)> =
            self.store.assignments(election).await?.into_iter().collect();
        let mut observers: HashMap<String, i64> = HashMap::new();
        for row in self.store.list_accounts().await? {
            if row.role == Role::Observer && !row.disabled {
                observers.insert(self.unseal_account(&row)?.username, row.id);
            }
        }
        const COLUMNS: [&str; 8] = ["station", "day", "observer", "voters", "from", "to", "flags", "note"];
        let now = crate::now_ms();
        let parsed = import::read_rows_with_optional(
            bytes,
            &COLUMNS,
            &["flags", "note"],
            self.config.limits.import_rows,
            |cells, errors| {
                let line = cells.line;
                let before = errors.len();
                let station = stations.get(cells.get(0)).copied();
                if station.is_none() {
                    errors.push(import::error(
                        line,
                        "station",
                        format!("no station \"{}\" in this election", cells.get(0)),
                    ));
                }
                let observer = Username::parse(cells.get(2))
                    .ok()
                    .and_then(|u| observers.get(u.as_str()).copied());
                match (station, observer) {
                    (_, None) => errors.push(import::error(
                        line,
                        "observer",
                        format!("\"{}\" is not an enabled observer account", cells.get(2)),
                    )),
                    (Some(s), Some(o)) if !assigned.contains(&(s, o)) => errors.push(import::error(
                        line,
                        "observer",
                        "this observer is not assigned to this station".into(),
                    )),
                    _ => {}
                }
                let mut flags = 0i64;
                for name in cells.get(6).split(';').map(str::trim).filter(|n| !n.is_empty()) {
                    match VIOLATIONS.iter().position(|v| *v == name) {
                        Some(i) => flags |= 1 << i,
                        None => errors.push(import::error(
                            line,
                            "flags",
                            format!("unknown flag \"{name}\" (the flags are: {})", VIOLATIONS.join(";")),
                        )),
                    }
                }
                let form = CountForm {
                    day: cells.get(1).to_owned(),
                    voters: cells.get(3).to_owned(),
                    window_from: cells.get(4).to_owned(),
                    window_to: cells.get(5).to_owned(),
                    note: cells.get(7).to_owned(),
                    ..CountForm::default()
                };
                let input = match form.parse(&days) {
                    Ok(input) => Some(input),
                    Err(fields) => {
                        for (field, key) in fields.0 {
                            let column = match field {
                                "window_from" => "from",
                                "window_to" => "to",
                                other => other,
                            };
                            errors.push(import::error(line, column, column_message(key)));
                        }
                        None
                    }
                };
                if errors.len() > before {
                    return None;
                }
                let (input, station, observer) = (input?, station?, observer?);
                Some(NewCount {
                    station_id: station,
                    day: input.day,
                    account_id: observer,
                    voters: input.voters,
                    window_from: input.window_from,
                    window_to: input.window_to,
                    flags,
                    note_sealed: self.seal_note(&input.note),
                    paper: true,
                    submitted_at_ms: now,
                })
            },
        );
        let counts = match parsed {
            Ok(counts) => counts,
            Err(errors) => return Ok(ImportReport::failed(dry_run, errors)),
        };
        if counts.is_empty() {
            return Ok(ImportReport::failed(
                dry_run,
                vec![import::error(1, "", "the file has a header but no counts".into())],
            ));
        }
        if !dry_run {
            let event = self.event(
                actor,
                "observer_count.import",
                AuditObject::Named(format!("election:{election}")),
            );
            self.store.add_counts(&counts, &event).await?;
        }
        Ok(ImportReport {
            rows: counts.len(),
            created: counts.len(),
            dry_run,
            ..ImportReport::default()
        })
    }

    /// A reviewer settles the counts of one station and day, with a reason (sealed).
    pub async fn resolve_counts(
        &self,
        actor: &Actor,
        station: StationId,
        day: &str,
        decision: Resolution,
        reason: &str,
    ) -> Result<i64, AppError> {
        self.require(actor, Permission::ResolveCounts)?;
        let reason = reason.trim();
        if reason.is_empty() || reason.chars().count() > REASON_MAX {
            return Err(AppError::BadInput(format!(
                "a reason of 1 to {REASON_MAX} characters is needed"
            )));
        }
        let row = self.station(station).await?;
        let counts = self.store.counts(row.election_id).await?;
        let resolutions = self.store.resolutions(row.election_id).await?;
        let all = day_counts(&counts, &resolutions);
        let Some(state) = all.get(&(station, day.to_owned())) else {
            return Err(AppError::NotFound("a count of this station and day"));
        };
        let last_count_id = counts
            .iter()
            .filter(|c| c.station_id == station && c.day == day)
            .map(|c| c.id)
            .max()
            .unwrap_or(0);
        let (voters, kept) = match decision {
            Resolution::Keep(id) => {
                let kept = state
                    .current
                    .iter()
                    .find(|c| c.id == id)
                    .ok_or_else(|| AppError::BadInput("keep one of the station's current counts".into()))?;
                (kept.voters, Some(id))
            }
            Resolution::Enter(n) if (0..=VOTERS_MAX).contains(&n) => (n, None),
            Resolution::Enter(_) => {
                return Err(AppError::BadInput(format!("a number of voters from 0 to {VOTERS_MAX}")));
            }
        };
        let new = NewResolution {
            station_id: station,
            day: day.to_owned(),
            voters,
            kept_count_id: kept,
            last_count_id,
            reason_sealed: self.keys.sealer.seal(SEAL_REASON, reason.as_bytes()),
            resolved_at_ms: crate::now_ms(),
        };
        let event = self.event(
            actor,
            "observer_count.resolve",
            AuditObject::Created("count_resolution"),
        );
        Ok(self.store.resolve_counts(&new, &event).await?)
    }

    /// Every station and day with counts in an election, with its conflict state; for those
    /// who read the observation.
    pub async fn election_counts(
        &self,
        actor: &Actor,
        election: ElectionId,
    ) -> Result<BTreeMap<StationDayKey, DayCount>, AppError> {
        self.require(actor, Permission::ReadObservation)?;
        self.counts_of(election).await
    }

    pub(crate) async fn counts_of(&self, election: ElectionId) -> Result<BTreeMap<StationDayKey, DayCount>, AppError> {
        let counts = self.store.counts(election).await?;
        let resolutions = self.store.resolutions(election).await?;
        Ok(day_counts(&counts, &resolutions))
    }

    /// Observers' user names by account id (pseudonyms), for those who read the observation.
    pub async fn observer_pseudonyms(&self, actor: &Actor) -> Result<HashMap<i64, String>, AppError> {
        self.require(actor, Permission::ReadObservation)?;
        self.observer_names().await
    }
}

fn column_message(key: &str) -> String {
    match key {
        ERROR_REQUIRED => "empty; this column is required",
        ERROR_DAY => "not a voting day of this election (YYYY-MM-DD)",
        ERROR_VOTERS => "not a whole number of voters from 0 to 100000",
        ERROR_TIME => "not a time of day as HH:MM",
        ERROR_WINDOW => "the window must end after it begins",
        ERROR_TOO_LONG => "too long",
        _ => "not valid",
    }
    .to_owned()
}

/// A count as stored, for the tests of this module and its neighbours: the account is the id.
#[cfg(test)]
pub(crate) fn count_row(id: i64, station: i64, day: &str, voters: i64) -> CountRow {
    CountRow {
        id,
        station_id: station,
        day: day.into(),
        account_id: id,
        voters,
        window_from: "08:00".into(),
        window_to: "20:00".into(),
        flags: 0,
        note_sealed: None,
        paper: false,
        entered_by: String::new(),
        submitted_at_ms: 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(id: i64, station: i64, account: i64, voters: i64) -> CountRow {
        CountRow {
            account_id: account,
            ..count_row(id, station, "2020-08-09", voters)
        }
    }

    fn resolution(id: i64, last: i64, voters: i64) -> ResolutionRow {
        ResolutionRow {
            id,
            station_id: 1,
            day: "2020-08-09".into(),
            voters,
            kept_count_id: None,
            last_count_id: last,
            reason_sealed: Vec::new(),
            resolved_by: String::new(),
            resolved_at_ms: 0,
        }
    }

    #[test]
    fn observers_who_disagree_make_a_conflict_until_a_decision_and_a_later_count_reopens_it() {
        let key = (1, "2020-08-09".to_string());
        let agree = day_counts(&[count(1, 1, 10, 800), count(2, 1, 11, 800)], &[]);
        assert_eq!((agree[&key].value, agree[&key].conflict), (Some(800), false));
        // An observer's later count replaces their earlier one.
        let corrected = day_counts(&[count(1, 1, 10, 800), count(2, 1, 11, 750), count(3, 1, 11, 800)], &[]);
        assert_eq!((corrected[&key].value, corrected[&key].current.len()), (Some(800), 2));
        let conflict = [count(1, 1, 10, 800), count(2, 1, 11, 750)];
        let open = day_counts(&conflict, &[]);
        assert_eq!((open[&key].value, open[&key].conflict), (None, true));
        let settled = day_counts(&conflict, &[resolution(1, 2, 790)]);
        assert_eq!((settled[&key].value, settled[&key].conflict), (Some(790), false));
        let mut later = conflict.to_vec();
        later.push(count(5, 1, 12, 700));
        let reopened = day_counts(&later, &[resolution(1, 2, 790)]);
        assert!(reopened[&key].conflict);
    }

    #[test]
    fn the_form_names_each_bad_field() {
        let days = vec!["2020-08-09".to_string()];
        let good = CountForm {
            day: "2020-08-09".into(),
            voters: "812".into(),
            window_from: "8:00".into(),
            window_to: "20:00".into(),
            removed: Some("on".into()),
            ..CountForm::default()
        };
        let input = good.parse(&days).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(
            (input.voters, input.window_from.as_str(), input.flags),
            (812, "08:00", 2)
        );
        assert_eq!(violation_names(input.flags), vec!["removed"]);
        let bad = CountForm {
            day: "2020-08-10".into(),
            voters: "-1".into(),
            window_from: "20:00".into(),
            window_to: "08:00".into(),
            ..CountForm::default()
        };
        let errors = bad.parse(&days).err().unwrap_or_default();
        assert_eq!(errors.get("day"), Some(ERROR_DAY));
        assert_eq!(errors.get("voters"), Some(ERROR_VOTERS));
        assert_eq!(errors.get("window_to"), Some(ERROR_WINDOW));
        assert_eq!(
            CountForm::default()
                .parse(&days)
                .err()
                .unwrap_or_default()
                .get("window_from"),
            Some(ERROR_REQUIRED)
        );
    }
}
