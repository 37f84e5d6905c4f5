//! Election observation (issue 7): elections and their voting days, polling stations,
//! observers assigned to stations, their counts of voters entering, the conflicts between
//! observers and their resolution, official protocols and the discrepancies between the two;
//! the public report with the forensics of `razam-forensics`.
//!
//! Observers are accounts with the `observer` role (pseudonymous user names). Nothing public
//! ever names an observer or shows a note: the public report holds stations, counts, protocols
//! and tallies of violation flags with small counts suppressed. An observer's note and a
//! reviewer's reason are sealed.

mod counts;
mod discrepancy;
mod protocols;
mod report;
mod stations;

use std::collections::HashMap;
use std::sync::Arc;

use razam_core::registry::Day;
use razam_core::role::Permission;
use razam_store::AuditObject;
use razam_store::observation::{ElectionId, ElectionRow, NewElection};
use serde::Serialize;

pub use counts::{
    CountForm, CountInput, DayCount, NOTE_MAX, Resolution, StationDayKey, VIOLATIONS, day_counts, violation_names,
};
pub use discrepancy::{Comparison, Discrepancies, RegionTotals, StationDiscrepancy, discrepancies};
pub use protocols::{ProtocolImportReport, protocol_bytes};
pub use razam_forensics;
pub use report::{ElectionOverview, Forensics, PublicReport, StationView, Tally};
pub use stations::STATION_COLUMNS;

use crate::{Actor, App, AppError};

/// The tolerance a new election starts with: a station is flagged when protocol and count
/// differ by more than this many percent of the count.
pub const DEFAULT_TOLERANCE_PCT: i64 = 10;
/// Early voting lasts at most this many days (Belarus: five).
pub const MAX_EARLY_DAYS: i64 = 14;

/// What a coordinator types to create an election.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct ElectionForm {
    pub name: String,
    pub round: String,
    /// First and last early voting day (both empty: no early voting).
    pub early_from: String,
    pub early_to: String,
    pub election_day: String,
}

/// An election as the pages show it.
#[derive(Debug, Clone, Serialize)]
pub struct ElectionView {
    pub id: ElectionId,
    pub name: String,
    pub round: i64,
    pub tolerance_pct: i64,
    /// `(day, "early" | "election")`, in order.
    pub days: Vec<(String, String)>,
}

impl ElectionView {
    fn of(row: ElectionRow) -> ElectionView {
        ElectionView {
            id: row.id,
            name: row.name,
            round: row.round,
            tolerance_pct: row.tolerance_pct,
            days: row.days,
        }
    }

    pub fn election_day(&self) -> Option<&str> {
        self.days.iter().find(|(_, k)| k == "election").map(|(d, _)| d.as_str())
    }

    pub fn early_days(&self) -> impl Iterator<Item = &str> {
        self.days.iter().filter(|(_, k)| k == "early").map(|(d, _)| d.as_str())
    }
}

/// The protocols and their forensics last computed per election, with the import they came
/// from: the Monte Carlo over 95,000 stations takes seconds, the page is read far more often.
#[derive(Default)]
pub(crate) struct ForensicsCache(tokio::sync::Mutex<HashMap<ElectionId, (i64, Arc<report::Protocols>)>>);

/// A parsed election: name, round, and `(day, kind)` of each voting day.
pub type ParsedElection = (String, i64, Vec<(String, &'static str)>);

impl ElectionForm {
    /// The election to create, or what is wrong (a sentence naming the field).
    pub fn parse(&self) -> Result<ParsedElection, AppError> {
        let name = self.name.trim();
        if name.is_empty() || name.chars().count() > 200 || name.chars().any(char::is_control) {
            return Err(AppError::BadInput("name: 1 to 200 characters".into()));
        }
        let round = match self.round.trim() {
            "" => 1,
            r => r
                .parse::<i64>()
                .ok()
                .filter(|r| (1..=9).contains(r))
                .ok_or_else(|| AppError::BadInput("round: a whole number from 1 to 9".into()))?,
        };
        let day = |field: &str, text: &str| {
            Day::parse(text.trim()).map_err(|_| AppError::BadInput(format!("{field}: a date as YYYY-MM-DD")))
        };
        let election = day("election day", &self.election_day)?;
        let mut days = Vec::new();
        match (self.early_from.trim(), self.early_to.trim()) {
            ("", "") => {}
            (from, to) => {
                let from = day("first early voting day", from)?;
                let to = if to.is_empty() {
                    from
                } else {
                    day("last early voting day", to)?
                };
                let (a, b) = (from.days_since_epoch(), to.days_since_epoch());
                if a > b || b >= election.days_since_epoch() || b - a >= MAX_EARLY_DAYS {
                    return Err(AppError::BadInput(format!(
                        "early voting: from one day to the other, before election day, at most {MAX_EARLY_DAYS} days"
                    )));
                }
                for d in a..=b {
                    if let Some(d) = Day::from_days_since_epoch(d) {
                        days.push((d.to_string(), "early"));
                    }
                }
            }
        }
        days.push((election.to_string(), "election"));
        Ok((name.to_owned(), round, days))
    }
}

impl App {
    pub async fn create_election(&self, actor: &Actor, form: &ElectionForm) -> Result<ElectionId, AppError> {
        self.require(actor, Permission::ManageElections)?;
        let (name, round, days) = form.parse()?;
        let row = NewElection {
            name,
            round,
            tolerance_pct: DEFAULT_TOLERANCE_PCT,
            days,
            created_at_ms: crate::now_ms(),
        };
        let event = self.event(actor, "election.create", AuditObject::Created("election"));
        Ok(self.store.create_election(&row, &event).await?)
    }

    /// Every election, newest first: names and days are public.
    pub async fn elections(&self) -> Result<Vec<ElectionView>, AppError> {
        Ok(self
            .store
            .elections()
            .await?
            .into_iter()
            .map(ElectionView::of)
            .collect())
    }

    pub async fn election(&self, id: ElectionId) -> Result<ElectionView, AppError> {
        self.store
            .election(id)
            .await?
            .map(ElectionView::of)
            .ok_or(AppError::NotFound("the election"))
    }

    /// Sets the tolerance above which a station's discrepancy is flagged (0 to 100 %).
    pub async fn set_tolerance(&self, actor: &Actor, election: ElectionId, pct: i64) -> Result<(), AppError> {
        self.require(actor, Permission::ManageElections)?;
        if !(0..=100).contains(&pct) {
            return Err(AppError::BadInput(
                "tolerance: a whole number of percent from 0 to 100".into(),
            ));
        }
        let event = self.event(
            actor,
            "election.tolerance",
            AuditObject::Named(format!("election:{election}")),
        );
        Ok(self.store.set_tolerance(election, pct, &event).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_election_has_its_early_days_then_election_day() {
        let form = ElectionForm {
            name: " Presidential ".into(),
            round: String::new(),
            early_from: "2020-08-04".into(),
            early_to: "2020-08-08".into(),
            election_day: "2020-08-09".into(),
        };
        let (name, round, days) = form.parse().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((name.as_str(), round), ("Presidential", 1));
        assert_eq!(days.len(), 6);
        assert_eq!(days[0], ("2020-08-04".to_string(), "early"));
        assert_eq!(days[5], ("2020-08-09".to_string(), "election"));
        let late = ElectionForm {
            early_to: "2020-08-09".into(),
            ..form.clone()
        };
        assert!(late.parse().is_err());
        let none = ElectionForm {
            early_from: String::new(),
            early_to: String::new(),
            ..form
        };
        assert_eq!(none.parse().map(|p| p.2.len()).ok(), Some(1));
    }
}
