//! Observers' counts against the protocol, station by station.
//!
//! An observer at the door counts the voters who enter; the protocol counts the ballots
//! issued. They meet like this:
//!
//! - **early voting**: the counts of every early voting day, added up, against the ballots the
//!   protocol says were issued early (Russian CEC line «выданных … досрочно»); compared only
//!   when every early day of the station has a count;
//! - **election day**: the election-day count against the ballots issued in the station on the
//!   day (line «выданных … в помещении для голосования»). Ballots taken to voters' homes
//!   («вне помещения») pass no door and are in neither comparison;
//! - a protocol without that breakdown (the Belarus 2020 platform file) is compared once, all
//!   days added up against the ballots issued (there: cast), home voting included; compared
//!   only when every voting day has a count.
//!
//! A station and day whose observers disagree (an unresolved conflict) is not compared. A
//! comparison is **flagged** when the protocol differs from the count by more than the
//! election's tolerance, in percent of the count (or the count is 0 and the protocol is not).

use std::collections::{BTreeMap, HashMap};

use razam_store::observation::{ProtocolRow, StationRow};
use serde::Serialize;

use super::ElectionView;
use super::counts::{DayCount, StationDayKey};

/// Which part of the voting a comparison covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Comparison {
    Early,
    ElectionDay,
    AllDays,
}

impl Comparison {
    pub fn key(self) -> &'static str {
        match self {
            Comparison::Early => "early",
            Comparison::ElectionDay => "election_day",
            Comparison::AllDays => "all_days",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct StationDiscrepancy {
    pub station_id: i64,
    pub code: String,
    pub region: String,
    pub comparison: Comparison,
    /// Voters the observers counted.
    pub observed: i64,
    /// Ballots the protocol says were issued.
    pub protocol: i64,
    /// protocol − observed.
    pub difference: i64,
    /// The difference in percent of the count (`None` for a count of 0).
    pub percent: Option<f64>,
    pub flagged: bool,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct RegionTotals {
    pub region: String,
    pub comparisons: usize,
    pub flagged: usize,
    pub observed: i64,
    pub protocol: i64,
    pub difference: i64,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Discrepancies {
    pub tolerance_pct: i64,
    /// Every comparison, flagged ones first, then by the size of the difference.
    pub rows: Vec<StationDiscrepancy>,
    pub regions: Vec<RegionTotals>,
    pub total: RegionTotals,
    /// Stations with counts left out: a day in conflict, no protocol, or a day not counted.
    pub in_conflict: usize,
    pub without_protocol: usize,
    pub incomplete: usize,
}

/// Whether a difference of `protocol` against `observed` exceeds `tolerance_pct`.
pub fn exceeds(observed: i64, protocol: i64, tolerance_pct: i64) -> bool {
    let difference = (protocol - observed).abs();
    if observed == 0 {
        return difference > 0;
    }
    i128::from(difference) * 100 > i128::from(tolerance_pct) * i128::from(observed)
}

pub fn discrepancies(
    election: &ElectionView,
    stations: &[StationRow],
    counts: &BTreeMap<StationDayKey, DayCount>,
    protocols: &[ProtocolRow],
) -> Discrepancies {
    let by_code: HashMap<&str, &ProtocolRow> = protocols.iter().map(|p| (p.station_code.as_str(), p)).collect();
    let early: Vec<&str> = election.early_days().collect();
    let day = election.election_day();
    let tolerance = election.tolerance_pct;
    let mut out = Discrepancies {
        tolerance_pct: tolerance,
        ..Discrepancies::default()
    };
    let mut regions: BTreeMap<String, RegionTotals> = BTreeMap::new();
    for s in stations {
        let of = |d: &str| counts.get(&(s.id, d.to_owned()));
        let any = election.days.iter().any(|(d, _)| of(d).is_some());
        if !any {
            continue;
        }
        if election.days.iter().any(|(d, _)| of(d).is_some_and(|c| c.conflict)) {
            out.in_conflict += 1;
            continue;
        }
        let Some(p) = by_code.get(s.code.as_str()) else {
            out.without_protocol += 1;
            continue;
        };
        let value = |d: &str| of(d).and_then(|c| c.value);
        let sum = |days: &[&str]| days.iter().map(|d| value(d)).sum::<Option<i64>>();
        let mut compared = Vec::new();
        match p.lines {
            Some(l) => {
                if !early.is_empty()
                    && let Some(observed) = sum(&early)
                {
                    compared.push((Comparison::Early, observed, l[1]));
                }
                if let Some(observed) = day.and_then(value) {
                    compared.push((Comparison::ElectionDay, observed, l[2]));
                }
            }
            None => {
                let all: Vec<&str> = election.days.iter().map(|(d, _)| d.as_str()).collect();
                if let Some(observed) = sum(&all) {
                    compared.push((Comparison::AllDays, observed, p.issued));
                }
            }
        }
        if compared.is_empty() {
            out.incomplete += 1;
            continue;
        }
        for (comparison, observed, protocol) in compared {
            let flagged = exceeds(observed, protocol, tolerance);
            let difference = protocol - observed;
            for totals in [
                regions.entry(s.region.clone()).or_insert_with(|| RegionTotals {
                    region: s.region.clone(),
                    ..RegionTotals::default()
                }),
                &mut out.total,
            ] {
                totals.comparisons += 1;
                totals.flagged += usize::from(flagged);
                totals.observed += observed;
                totals.protocol += protocol;
                totals.difference += difference;
            }
            out.rows.push(StationDiscrepancy {
                station_id: s.id,
                code: s.code.clone(),
                region: s.region.clone(),
                comparison,
                observed,
                protocol,
                difference,
                percent: (observed > 0).then(|| 100.0 * difference as f64 / observed as f64),
                flagged,
            });
        }
    }
    out.rows.sort_by(|a, b| {
        b.flagged
            .cmp(&a.flagged)
            .then(b.difference.abs().cmp(&a.difference.abs()))
            .then(a.code.cmp(&b.code))
    });
    out.regions = regions.into_values().collect();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::observation::counts::{count_row as count, day_counts};

    #[test]
    fn the_tolerance_is_a_share_of_the_count() {
        assert!(!exceeds(1000, 1100, 10));
        assert!(exceeds(1000, 1101, 10));
        assert!(exceeds(1000, 899, 10));
        assert!(!exceeds(0, 0, 10));
        assert!(exceeds(0, 1, 10));
    }

    #[test]
    fn early_days_meet_ballots_issued_early_and_election_day_those_issued_in_the_station() {
        let election = ElectionView {
            id: 1,
            name: "e".into(),
            round: 1,
            tolerance_pct: 10,
            days: vec![
                ("2020-08-08".into(), "early".into()),
                ("2020-08-09".into(), "election".into()),
            ],
        };
        let station = |id: i64, code: &str| StationRow {
            id,
            election_id: 1,
            code: code.into(),
            region: "Minsk".into(),
            address: None,
            registered: None,
        };
        let stations = vec![station(1, "A"), station(2, "B"), station(3, "C")];
        let counts = day_counts(
            &[
                count(1, 1, "2020-08-08", 100),
                count(2, 1, "2020-08-09", 500),
                count(3, 2, "2020-08-09", 500),
                count(4, 3, "2020-08-09", 500),
                count(5, 3, "2020-08-09", 400),
            ],
            &[],
        );
        let protocol = |code: &str, early: i64, station: i64| ProtocolRow {
            station_code: code.into(),
            issued: early + station + 30,
            lines: Some([0, early, station, 30, 0, 0, 0, 0, 0]),
            ..ProtocolRow::default()
        };
        let d = discrepancies(
            &election,
            &stations,
            &counts,
            &[protocol("A", 300, 520), protocol("B", 0, 900), protocol("C", 0, 0)],
        );
        let rows: Vec<(&str, Comparison, i64, bool)> = d
            .rows
            .iter()
            .map(|r| (r.code.as_str(), r.comparison, r.difference, r.flagged))
            .collect();
        assert_eq!(
            rows,
            vec![
                ("B", Comparison::ElectionDay, 400, true),
                ("A", Comparison::Early, 200, true),
                ("A", Comparison::ElectionDay, 20, false),
            ]
        );
        assert_eq!((d.in_conflict, d.without_protocol, d.incomplete), (1, 0, 0));
        assert_eq!((d.total.comparisons, d.total.flagged, d.total.difference), (3, 2, 620));
        assert_eq!(d.regions.len(), 1);
    }
}
