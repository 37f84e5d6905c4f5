//! Official protocols imported into an election: a CSV (or a .zip holding one) in one of the
//! formats `razam-forensics` recognises, the protocol arithmetic checked and every failing
//! station listed. An import replaces the election's protocols as a whole, in one transaction.

use std::collections::{BTreeMap, HashMap};
use std::io::Read;

use razam_core::role::Permission;
use razam_forensics::arithmetic::{self, Failure};
use razam_forensics::protocol::{self, Parsed};
use razam_forensics::{CecLines, Election, Station};
use razam_store::AuditObject;
use razam_store::observation::{ElectionId, ProtocolImport, ProtocolRow};
use serde::Serialize;

use crate::{Actor, App, AppError};

/// What a protocol import did, or would do on a dry run.
#[derive(Debug, Clone, Serialize)]
pub struct ProtocolImportReport {
    pub format: String,
    pub format_name: String,
    /// Data rows in the file, stations read from them, rows left out.
    pub rows: usize,
    pub stations: usize,
    pub skipped: usize,
    pub candidates: Vec<String>,
    /// Each role and the columns it was read from.
    pub columns: BTreeMap<&'static str, Vec<String>>,
    pub notes: Vec<String>,
    /// Stations on which a control relation could be checked, and those failing one.
    pub rows_checked: usize,
    pub failing_stations: usize,
    /// Every failing relation, in file order.
    pub failures: Vec<Failure>,
    /// The election's polling stations that have no protocol in the file.
    pub stations_without_protocol: usize,
    /// Protocols of stations the election does not list (kept all the same).
    pub protocols_without_station: usize,
    pub dry_run: bool,
}

/// The bytes of a CSV, or of the one CSV inside a .zip.
pub fn protocol_bytes(bytes: Vec<u8>) -> Result<Vec<u8>, AppError> {
    if !bytes.starts_with(b"PK\x03\x04") {
        return Ok(bytes);
    }
    let bad = |what: String| AppError::BadInput(what);
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes))
        .map_err(|e| bad(format!("not a readable zip archive: {e}")))?;
    let csvs: Vec<String> = archive
        .file_names()
        .filter_map(Result::ok)
        .filter(|n| n.to_lowercase().ends_with(".csv") && !n.starts_with("__MACOSX/"))
        .map(|n| n.into_owned())
        .collect();
    let [name] = csvs.as_slice() else {
        return Err(bad(format!(
            "the archive holds {} CSV files; one is needed",
            csvs.len()
        )));
    };
    let mut entry = archive
        .by_name(name)
        .map_err(|e| bad(format!("cannot open {name} in the archive: {e}")))?;
    let mut out = Vec::with_capacity(usize::try_from(entry.size()).unwrap_or(0).min(1 << 30));
    entry
        .read_to_end(&mut out)
        .map_err(|e| bad(format!("cannot unpack {name}: {e}")))?;
    Ok(out)
}

fn votes_text(votes: &[Option<u64>]) -> String {
    let mut out = String::with_capacity(votes.len() * 5);
    for (i, v) in votes.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        if let Some(v) = v {
            out.push_str(&v.to_string());
        }
    }
    out
}

fn to_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn row_of(s: &Station, regions: &[String]) -> ProtocolRow {
    ProtocolRow {
        station_code: s.label.clone(),
        line: to_i64(s.line),
        region: s.region.and_then(|r| regions.get(r as usize)).cloned(),
        registered: s.registered.map(to_i64),
        issued: to_i64(s.issued),
        cast: to_i64(s.cast),
        valid: s.valid.map(to_i64),
        invalid: s.invalid.map(to_i64),
        lines: s.lines.map(|l| {
            [
                l.received,
                l.issued_early,
                l.issued_station,
                l.issued_outside,
                l.cancelled,
                l.portable,
                l.stationary,
                l.lost,
                l.unaccounted,
            ]
            .map(to_i64)
        }),
        votes: votes_text(&s.votes),
    }
}

fn to_u64(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

/// The stored protocols as `razam-forensics` reads them.
pub(crate) fn election_of(candidates: &[String], rows: &[ProtocolRow]) -> Election {
    let mut regions: Vec<String> = Vec::new();
    let mut index: HashMap<&str, u32> = HashMap::new();
    let mut stations = Vec::with_capacity(rows.len());
    for p in rows {
        let region = p.region.as_deref().map(|r| {
            *index.entry(r).or_insert_with(|| {
                regions.push(r.to_owned());
                (regions.len() - 1) as u32
            })
        });
        let mut votes: Vec<Option<u64>> = p.votes.split(',').map(|v| v.parse::<u64>().ok()).collect();
        votes.resize(candidates.len(), None);
        stations.push(Station {
            line: to_u64(p.line),
            label: p.station_code.clone(),
            region,
            registered: p.registered.map(to_u64),
            issued: to_u64(p.issued),
            cast: to_u64(p.cast),
            valid: p.valid.map(to_u64),
            invalid: p.invalid.map(to_u64),
            votes,
            lines: p.lines.map(|l| {
                let l = l.map(to_u64);
                CecLines {
                    received: l[0],
                    issued_early: l[1],
                    issued_station: l[2],
                    issued_outside: l[3],
                    cancelled: l[4],
                    portable: l[5],
                    stationary: l[6],
                    lost: l[7],
                    unaccounted: l[8],
                }
            }),
        });
    }
    Election {
        candidates: candidates.to_vec(),
        regions,
        stations,
    }
}

fn format_code(parsed: &Parsed) -> String {
    serde_json::to_value(parsed.format)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

impl App {
    /// Imports an election's official protocols from a CSV or a .zip holding one; replaces
    /// the protocols imported before. A bad file is refused whole, its bad cell named.
    pub async fn import_protocols(
        &self,
        actor: &Actor,
        election: ElectionId,
        bytes: Vec<u8>,
        dry_run: bool,
    ) -> Result<ProtocolImportReport, AppError> {
        self.require(actor, Permission::ManageElections)?;
        self.election(election).await?;
        let (parsed, rows, failures, rows_checked, failing) = tokio::task::spawn_blocking(move || {
            let bytes = protocol_bytes(bytes)?;
            let parsed = protocol::parse(&bytes).map_err(|e| AppError::BadInput(e.to_string()))?;
            drop(bytes);
            let mut first_line: HashMap<&str, u64> = HashMap::with_capacity(parsed.election.stations.len());
            for s in &parsed.election.stations {
                if let Some(first) = first_line.insert(&s.label, s.line) {
                    return Err(AppError::BadInput(format!(
                        "line {}: station \"{}\" has a protocol on line {first} already",
                        s.line, s.label
                    )));
                }
            }
            let rows: Vec<ProtocolRow> = parsed
                .election
                .stations
                .iter()
                .map(|s| row_of(s, &parsed.election.regions))
                .collect();
            let summary = arithmetic::check(&parsed.election);
            let failures = arithmetic::failures(&parsed.election);
            Ok::<_, AppError>((parsed, rows, failures, summary.rows_checked, summary.failing_rows))
        })
        .await
        .map_err(|e| AppError::BadInput(format!("the import stopped: {e}")))??;
        let known: std::collections::HashSet<String> = self
            .store
            .stations(election)
            .await?
            .into_iter()
            .map(|s| s.code)
            .collect();
        let codes: std::collections::HashSet<&str> = rows.iter().map(|r| r.station_code.as_str()).collect();
        let report = ProtocolImportReport {
            format: format_code(&parsed),
            format_name: parsed.format.describe().to_owned(),
            rows: parsed.rows,
            stations: rows.len(),
            skipped: parsed.skipped,
            candidates: parsed.election.candidates.clone(),
            columns: parsed.columns.clone(),
            notes: parsed.notes.clone(),
            rows_checked,
            failing_stations: failing,
            failures,
            stations_without_protocol: known.iter().filter(|c| !codes.contains(c.as_str())).count(),
            protocols_without_station: codes.iter().filter(|c| !known.contains(**c)).count(),
            dry_run,
        };
        if !dry_run {
            let import = ProtocolImport {
                id: 0,
                format: report.format.clone(),
                rows: report.rows as i64,
                skipped: report.skipped as i64,
                candidates: report.candidates.clone(),
                imported_by: actor.audit_name(),
                imported_at_ms: crate::now_ms(),
            };
            let event = self.event(
                actor,
                "election.import_protocols",
                AuditObject::Named(format!("election:{election}")),
            );
            self.store.replace_protocols(election, &import, &rows, &event).await?;
        }
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_protocol_row_reads_back_as_the_same_station() {
        let s = Station {
            line: 7,
            label: "A / 1 / 2".into(),
            region: Some(1),
            registered: Some(2383),
            issued: 1590,
            cast: 1590,
            valid: Some(1571),
            invalid: Some(19),
            votes: vec![Some(24), None, Some(1066)],
            lines: Some(CecLines {
                received: 2147,
                issued_station: 1513,
                issued_outside: 77,
                cancelled: 557,
                portable: 77,
                stationary: 1513,
                ..CecLines::default()
            }),
        };
        let regions = vec!["X".to_string(), "A".to_string()];
        let row = row_of(&s, &regions);
        assert_eq!(row.votes, "24,,1066");
        let candidates = vec!["a".to_string(), "b".to_string(), "c".to_string()];
        let back = election_of(&candidates, &[row]);
        let t = &back.stations[0];
        assert_eq!(back.regions, vec!["A"]);
        assert_eq!(
            (t.line, t.registered, t.issued, t.valid, &t.votes, t.lines),
            (7, Some(2383), 1590, Some(1571), &s.votes, s.lines)
        );
    }
}
