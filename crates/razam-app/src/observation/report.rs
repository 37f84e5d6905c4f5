//! What the pages read: the working view of an election for those who run the observation,
//! and the public report (no observer, no note, small tallies suppressed) with the forensics.

use std::collections::BTreeMap;
use std::sync::Arc;

use razam_core::role::Permission;
use razam_forensics::arithmetic::{self, Failure};
use razam_store::observation::{ElectionId, StationRow};
use serde::Serialize;

use super::counts::{DayCount, VIOLATIONS};
use super::discrepancy::{Discrepancies, discrepancies};
use super::protocols::election_of;
use super::{ElectionView, ForensicsCache};
use crate::figures::Published;
use crate::{Actor, App, AppError};

/// A station as those who run the observation see it.
#[derive(Debug, Clone)]
pub struct StationView {
    pub station: StationRow,
    /// The observers' user names (pseudonyms).
    pub observers: Vec<String>,
    /// Its days with counts, in day order.
    pub days: Vec<DayCount>,
}

/// The working view of an election.
#[derive(Debug, Clone)]
pub struct ElectionOverview {
    pub election: ElectionView,
    pub stations: Vec<StationView>,
    /// Every station and day in conflict.
    pub conflicts: Vec<DayCount>,
    pub discrepancies: Discrepancies,
    pub protocols: Option<ProtocolSummary>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ProtocolSummary {
    pub format: String,
    pub stations: usize,
    pub candidates: Vec<String>,
    pub imported_at_ms: i64,
    pub rows_checked: usize,
    pub failing_stations: usize,
    /// Every failing relation, in file order.
    pub failures: Vec<Failure>,
}

/// How many observed stations reported a violation, per flag.
#[derive(Debug, Clone, Serialize)]
pub struct Tally {
    pub flag: &'static str,
    pub stations: Published,
}

/// The forensics of the imported protocols, and the fingerprint drawn.
#[derive(Debug, Clone, Serialize)]
pub struct Forensics {
    pub report: razam_forensics::Report,
    #[serde(skip)]
    pub svg: String,
    pub options: ForensicsOptions,
}

#[derive(Debug, Clone, Copy, Serialize)]
pub struct ForensicsOptions {
    pub seed: u64,
    pub repetitions: usize,
    pub bootstrap: usize,
    pub pvt_sample: usize,
}

/// An election's protocols as imported, with what is computed from them once.
pub(crate) struct Protocols {
    rows: Vec<razam_store::observation::ProtocolRow>,
    summary: ProtocolSummary,
    forensics: Arc<Forensics>,
}

/// The public report: stations, counts and protocols; never an observer.
#[derive(Debug, Clone, Serialize)]
pub struct PublicReport {
    pub election: ElectionView,
    pub stations: usize,
    /// Stations with at least one count.
    pub observed_stations: usize,
    pub violations: Vec<Tally>,
    pub discrepancies: Discrepancies,
    pub protocols: Option<ProtocolSummary>,
    pub forensics: Option<Arc<Forensics>>,
}

impl App {
    /// An election's protocols with their arithmetic and forensics, computed once per import
    /// and kept: the page is read far more often than protocols are imported.
    async fn protocols_of(&self, election: ElectionId) -> Result<Option<Arc<Protocols>>, AppError> {
        let Some(import) = self.store.protocol_import(election).await? else {
            return Ok(None);
        };
        let ForensicsCache(cache) = &self.observation_forensics;
        let mut cache = cache.lock().await;
        if let Some((id, p)) = cache.get(&election)
            && *id == import.id
        {
            return Ok(Some(p.clone()));
        }
        let rows = self.store.protocols(election).await?;
        let options = razam_forensics::Options::default();
        let p = tokio::task::spawn_blocking(move || {
            let e = election_of(&import.candidates, &rows);
            let check = arithmetic::check(&e);
            let report = razam_forensics::analyse(&e, &options);
            let svg = report
                .fingerprint
                .as_ref()
                .map(|fp| razam_forensics::fingerprint::svg(fp, "turnout × leader's result"))
                .unwrap_or_default();
            Protocols {
                summary: ProtocolSummary {
                    format: import.format,
                    stations: rows.len(),
                    candidates: import.candidates,
                    imported_at_ms: import.imported_at_ms,
                    rows_checked: check.rows_checked,
                    failing_stations: check.failing_rows,
                    failures: arithmetic::failures(&e),
                },
                forensics: Arc::new(Forensics {
                    report,
                    svg,
                    options: ForensicsOptions {
                        seed: options.seed,
                        repetitions: options.repetitions,
                        bootstrap: options.bootstrap,
                        pvt_sample: options.pvt_sample,
                    },
                }),
                rows,
            }
        })
        .await
        .map_err(|e| AppError::BadInput(format!("the forensics stopped: {e}")))?;
        let p = Arc::new(p);
        cache.insert(election, (import.id, p.clone()));
        Ok(Some(p))
    }

    /// The working view of an election: stations with their observers and counts, the
    /// conflicts, the discrepancies.
    pub async fn election_overview(&self, actor: &Actor, election: ElectionId) -> Result<ElectionOverview, AppError> {
        self.require(actor, Permission::ReadObservation)?;
        let view = self.election(election).await?;
        let stations = self.store.stations(election).await?;
        let counts = self.counts_of(election).await?;
        let names = self.observer_names().await?;
        let mut observers: BTreeMap<i64, Vec<String>> = BTreeMap::new();
        for (station, account) in self.store.assignments(election).await? {
            observers.entry(station).or_default().push(
                names
                    .get(&account)
                    .cloned()
                    .unwrap_or_else(|| format!("account:{account}")),
            );
        }
        let protocols = self.protocols_of(election).await?;
        let rows = protocols.as_ref().map_or(&[][..], |p| &p.rows[..]);
        let discrepancies = discrepancies(&view, &stations, &counts, rows);
        let conflicts = counts.values().filter(|d| d.conflict).cloned().collect();
        let views = stations
            .iter()
            .map(|s| StationView {
                station: s.clone(),
                observers: observers.remove(&s.id).unwrap_or_default(),
                days: counts
                    .range((s.id, String::new())..(s.id + 1, String::new()))
                    .map(|(_, d)| d.clone())
                    .collect(),
            })
            .collect();
        Ok(ElectionOverview {
            election: view,
            stations: views,
            conflicts,
            discrepancies,
            protocols: protocols.map(|p| p.summary.clone()),
        })
    }

    /// The public report of an election. Names no observer and shows no note; tallies of
    /// violation flags from 1 to 4 are suppressed.
    pub async fn public_report(&self, election: ElectionId) -> Result<PublicReport, AppError> {
        let view = self.election(election).await?;
        let stations = self.store.stations(election).await?;
        let counts = self.counts_of(election).await?;
        let protocols = self.protocols_of(election).await?;
        let rows = protocols.as_ref().map_or(&[][..], |p| &p.rows[..]);
        let discrepancies = discrepancies(&view, &stations, &counts, rows);
        let mut flagged_stations = vec![std::collections::BTreeSet::new(); VIOLATIONS.len()];
        let mut observed = std::collections::BTreeSet::new();
        for d in counts.values() {
            observed.insert(d.station_id);
            for (i, set) in flagged_stations.iter_mut().enumerate() {
                if d.flags & (1 << i) != 0 {
                    set.insert(d.station_id);
                }
            }
        }
        let violations = VIOLATIONS
            .iter()
            .zip(&flagged_stations)
            .map(|(flag, set)| Tally {
                flag,
                stations: Published::of(set.len() as i64),
            })
            .collect();
        Ok(PublicReport {
            election: view,
            stations: stations.len(),
            observed_stations: observed.len(),
            violations,
            discrepancies,
            protocols: protocols.as_ref().map(|p| p.summary.clone()),
            forensics: protocols.map(|p| p.forensics.clone()),
        })
    }
}
