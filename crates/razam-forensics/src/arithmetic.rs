//! Protocol arithmetic: the control relations a correct protocol satisfies, row by row.
//!
//! For a Russian CEC per-station protocol (each relation where its lines are given):
//! 1. ballots received = issued early + issued in the station + issued outside + cancelled +
//!    lost − not accounted for at receipt;
//! 2. valid + invalid = ballots in portable boxes + ballots in stationary boxes;
//! 3. valid = the sum of the candidates' votes.
//!
//! For a file that gives ballots cast and invalid ballots but no valid count (the Belarus 2020
//! platform file):
//! 4. ballots cast = the sum of the candidates' votes (with "against all") + invalid.
//!
//! A relation is checked on a row only when every number it needs is there. What it can show:
//! protocols that do not add up, i.e. numbers written without counting, or errors of entry.
//! What it cannot show: a protocol made to add up (stuffed ballots are counted everywhere).

use serde::Serialize;

use crate::{Election, Station};

pub const RECEIVED: &str =
    "received = issued early + issued in the station + issued outside + cancelled + lost − not accounted for";
pub const BOXES: &str = "valid + invalid = ballots in portable boxes + ballots in stationary boxes";
pub const VALID: &str = "valid = sum of the candidates' votes";
pub const CAST: &str = "ballots cast = sum of the candidates' votes + invalid";

/// How many failing rows the report lists.
pub const LISTED: usize = 20;

#[derive(Debug, Clone, Serialize)]
pub struct Arithmetic {
    /// Rows on which at least one relation could be checked.
    pub rows_checked: usize,
    /// Rows failing at least one relation.
    pub failing_rows: usize,
    /// The first failures (at most [`LISTED`]), in file order.
    pub first_failures: Vec<Failure>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Failure {
    pub line: u64,
    pub station: String,
    pub relation: &'static str,
    pub left: i128,
    pub right: i128,
}

/// Every relation that fails on one station.
pub fn station_failures(s: &Station) -> (bool, Vec<Failure>) {
    let mut checked = false;
    let mut out = Vec::new();
    let mut relation = |name: &'static str, left: i128, right: i128| {
        checked = true;
        if left != right {
            out.push(Failure {
                line: s.line,
                station: s.label.clone(),
                relation: name,
                left,
                right,
            });
        }
    };
    let all_votes: Option<i128> = s.votes.iter().map(|v| v.map(i128::from)).sum();
    if let Some(l) = &s.lines {
        let i = i128::from;
        relation(
            RECEIVED,
            i(l.received),
            i(l.issued_early) + i(l.issued_station) + i(l.issued_outside) + i(l.cancelled) + i(l.lost)
                - i(l.unaccounted),
        );
        if let (Some(valid), Some(invalid)) = (s.valid, s.invalid) {
            relation(BOXES, i(valid) + i(invalid), i(l.portable) + i(l.stationary));
        }
    }
    match (s.valid, s.invalid, all_votes) {
        (Some(valid), _, Some(sum)) => relation(VALID, i128::from(valid), sum),
        (None, Some(invalid), Some(sum)) => relation(CAST, i128::from(s.cast), sum + i128::from(invalid)),
        _ => {}
    }
    (checked, out)
}

/// All failures, in file order.
pub fn failures(election: &Election) -> Vec<Failure> {
    election.stations.iter().flat_map(|s| station_failures(s).1).collect()
}

pub fn check(election: &Election) -> Arithmetic {
    let mut rows_checked = 0;
    let mut failing_rows = 0;
    let mut first = Vec::new();
    for s in &election.stations {
        let (checked, f) = station_failures(s);
        rows_checked += usize::from(checked);
        failing_rows += usize::from(!f.is_empty());
        for failure in f {
            if first.len() < LISTED {
                first.push(failure);
            }
        }
    }
    Arithmetic {
        rows_checked,
        failing_rows,
        first_failures: first,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::CecLines;

    fn good() -> Station {
        // The first row of the 2012 file (Adygea, TIK 1, UIK 1).
        Station {
            line: 2,
            label: "Адыгея / 1 / 1".into(),
            registered: Some(2383),
            issued: 1590,
            cast: 1590,
            valid: Some(1571),
            invalid: Some(19),
            votes: vec![Some(24), Some(382), Some(28), Some(71), Some(1066)],
            lines: Some(CecLines {
                received: 2147,
                issued_early: 0,
                issued_station: 1513,
                issued_outside: 77,
                cancelled: 557,
                portable: 77,
                stationary: 1513,
                lost: 0,
                unaccounted: 0,
            }),
            ..Station::default()
        }
    }

    #[test]
    fn a_correct_protocol_passes_and_each_broken_line_is_named() {
        assert_eq!(station_failures(&good()), (true, vec![]));
        let mut s = good();
        s.votes[4] = Some(1067);
        let (_, f) = station_failures(&s);
        assert_eq!(f.len(), 1);
        assert_eq!(
            (f[0].relation, f[0].left, f[0].right, f[0].line),
            (VALID, 1571, 1572, 2)
        );
        let mut s = good();
        if let Some(l) = s.lines.as_mut() {
            l.cancelled = 500;
            l.portable = 70;
        }
        let relations: Vec<_> = station_failures(&s).1.iter().map(|f| f.relation).collect();
        assert_eq!(relations, vec![RECEIVED, BOXES]);
        let election = Election {
            candidates: vec![],
            regions: vec![],
            stations: vec![good(), s.clone(), s],
        };
        let a = check(&election);
        assert_eq!((a.rows_checked, a.failing_rows, a.first_failures.len()), (3, 2, 4));
    }

    #[test]
    fn a_file_without_a_valid_count_checks_cast_against_the_votes_and_invalid() {
        let s = Station {
            cast: 1319,
            invalid: Some(5),
            votes: vec![Some(464), Some(701), Some(96), Some(16), Some(21), Some(16)],
            ..Station::default()
        };
        assert_eq!(station_failures(&s), (true, vec![]));
        let mut missing = s.clone();
        missing.votes[2] = None;
        assert_eq!(station_failures(&missing), (false, vec![]));
    }
}
