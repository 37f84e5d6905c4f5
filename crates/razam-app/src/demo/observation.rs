//! The demo election: a fictional presidential election with five early voting days, 70 polling
//! stations in the seven regions (more for a larger demo: one per 700 persons, up to 5,600,
//! about as many as Belarus has), two observer accounts at twelve stations (one in twenty of a
//! larger demo's) counting every day,
//! one station where they disagree on election day (a conflict for the reviewer), official
//! protocols in the Russian CEC per-station format where three observed stations were inflated
//! and one does not add up. Deterministic: the same demo every time.

use razam_store::observation::ElectionId;

use crate::observation::ElectionForm;
use crate::{Actor, App, AppError};

/// The demo observers (user names in `DEMO_USERS`).
pub const OBSERVERS: [&str; 2] = ["zmicer", "lesia"];

const REGIONS: [&str; 7] = [
    "Minsk city",
    "Brest",
    "Vitebsk",
    "Gomel",
    "Grodno",
    "Minsk region",
    "Mogilev",
];
const EARLY: [&str; 5] = ["2025-01-21", "2025-01-22", "2025-01-23", "2025-01-24", "2025-01-25"];
const DAY: &str = "2025-01-26";
const STATIONS_PER_REGION: u64 = 10;
/// A larger demo has a station per this many persons, up to [`MOST_PER_REGION`] per region.
const PERSONS_PER_STATION: u64 = 700;
const MOST_PER_REGION: u64 = 800;
/// Observed stations: the first `OBSERVED` of the list (one in twenty of a larger demo's).
const OBSERVED: usize = 12;

/// Stations per region for a demo of `persons` persons.
fn per_region(persons: usize) -> u64 {
    (persons as u64 / PERSONS_PER_STATION / REGIONS.len() as u64).clamp(STATIONS_PER_REGION, MOST_PER_REGION)
}

/// Observed stations among `stations`.
fn observed(stations: usize) -> usize {
    OBSERVED.max(stations / 20)
}
/// Among the observed, the stations whose protocol was inflated and the one in conflict.
const INFLATED: [usize; 3] = [2, 5, 9];
const CONFLICT: usize = 7;
/// An unobserved station whose protocol does not add up.
const BROKEN: usize = 40;

/// The header of a Russian CEC per-station protocol with two candidates, as the demo writes it.
pub const PROTOCOL_HEADER: [&str; 18] = [
    "region",
    "tik",
    "uik",
    "Число избирателей, включенных в список избирателей",
    "Число избирательных бюллетеней, полученных участковой избирательной комиссией",
    "Число избирательных бюллетеней, выданных избирателям, проголосовавшим досрочно",
    "Число избирательных бюллетеней, выданных в помещении для голосования в день голосования",
    "Число избирательных бюллетеней, выданных вне помещения для голосования в день голосования",
    "Число погашенных избирательных бюллетеней",
    "Число избирательных бюллетеней в переносных ящиках для голосования",
    "Число бюллетеней в стационарных ящиках для голосования",
    "Число недействительных избирательных бюллетеней",
    "Число действительных избирательных бюллетеней",
    "Число утраченных избирательных бюллетеней",
    "Число избирательных бюллетеней, не учтенных при получении",
    "Candidate Aleh Prykladny",
    "Candidate Iryna Uzornaja",
    "url",
];

/// A small deterministic generator (SplitMix64): the demo needs no statistical quality.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// One station as the demo invents it: who came on which day, and what its protocol says.
struct DemoStation {
    region: &'static str,
    tik: String,
    uik: u64,
    registered: u64,
    /// Voters who really came, per early day, and on election day.
    early: [u64; 5],
    day: u64,
    outside: u64,
}

impl DemoStation {
    fn code(&self) -> String {
        format!("{} / {} / {}", self.region, self.tik, self.uik)
    }
}

fn stations(per_region: u64) -> Vec<DemoStation> {
    let mut rng = Rng(2025);
    let mut out = Vec::new();
    for region in REGIONS {
        for uik in 1..=per_region {
            let registered = 1200 + rng.below(1800);
            // About 55 % turnout, a fifth of it early. Drawn in hundredths of a percent, so
            // that the honest stations show no integer percentages beyond chance.
            let total = registered * (4500 + rng.below(2000)) / 10_000;
            let early_total = total / 5;
            let mut early = [0u64; 5];
            for (i, e) in early.iter_mut().enumerate() {
                *e = early_total / 5 + if i == 4 { early_total % 5 } else { 0 };
            }
            let outside = 10 + rng.below(30);
            out.push(DemoStation {
                region,
                tik: format!("{region} TIK {}", 1 + (uik - 1) / 5),
                uik,
                registered,
                early,
                day: total - early_total - outside,
                outside,
            });
        }
    }
    out
}

fn csv_cell(text: &str) -> String {
    format!("\"{}\"", text.replace('"', "\"\""))
}

/// The protocols as the commission wrote them: honest, except the inflated and the broken.
fn protocols(stations: &[DemoStation]) -> String {
    let mut rng = Rng(26);
    let mut out = PROTOCOL_HEADER
        .iter()
        .map(|h| csv_cell(h))
        .collect::<Vec<_>>()
        .join(",");
    out.push('\n');
    for (i, s) in stations.iter().enumerate() {
        let (mut early, mut day) = (s.early.iter().sum::<u64>(), s.day);
        let issued_honest = early + day + s.outside;
        let mut leader = issued_honest * (5500 + rng.below(1500)) / 10_000;
        if INFLATED.contains(&i) {
            // Ballots added for the leader: early voting by a half, election day by a third.
            let (add_early, add_day) = (early / 2, day / 3);
            early += add_early;
            day += add_day;
            leader += add_early + add_day;
        }
        let issued = early + day + s.outside;
        let other = issued - leader;
        let valid = if i == BROKEN { issued + 25 } else { issued };
        let row = [
            csv_cell(s.region),
            csv_cell(&s.tik),
            s.uik.to_string(),
            s.registered.to_string(),
            (issued + 150).to_string(),
            early.to_string(),
            day.to_string(),
            s.outside.to_string(),
            "150".into(),
            s.outside.to_string(),
            (early + day).to_string(),
            "0".into(),
            valid.to_string(),
            "0".into(),
            "0".into(),
            leader.to_string(),
            other.to_string(),
            "http://demo.invalid".into(),
        ];
        out.push_str(&row.join(","));
        out.push('\n');
    }
    out
}

/// The observers' counts as paper forms: close to who really came, never exact.
fn counts(stations: &[DemoStation]) -> String {
    let mut rng = Rng(9);
    let mut out = String::from("station,day,observer,voters,from,to,flags,note\n");
    for (i, s) in stations.iter().take(observed(stations.len())).enumerate() {
        let code = csv_cell(&s.code());
        let miss = |n: u64, rng: &mut Rng| n - n * rng.below(3) / 100;
        for (day, came) in EARLY.iter().zip(s.early) {
            let flags = if i % 2 == 0 && day == &EARLY[0] {
                "forced_early"
            } else {
                ""
            };
            out.push_str(&format!(
                "{code},{day},{},{},10:00,19:00,{flags},\n",
                OBSERVERS[0],
                miss(came, &mut rng)
            ));
        }
        let flags = if INFLATED.contains(&i) {
            "stuffing;opaque_count"
        } else {
            ""
        };
        out.push_str(&format!(
            "{code},{DAY},{},{},08:00,20:00,{flags},\n",
            OBSERVERS[0],
            miss(s.day, &mut rng)
        ));
        if i == CONFLICT {
            out.push_str(&format!(
                "{code},{DAY},{},{},08:00,20:00,removed,\"Asked to leave at 17:00; counted from the street after\"\n",
                OBSERVERS[1],
                s.day * 4 / 5
            ));
        }
    }
    out
}

impl App {
    /// Writes the demo election: stations, observers' assignments and counts, protocols.
    pub(crate) async fn write_demo_observation(&self, persons: usize) -> Result<ElectionId, AppError> {
        let actor = Actor::Cli;
        let form = ElectionForm {
            name: "Presidential election 2025 (fictional demo)".into(),
            round: "1".into(),
            early_from: EARLY[0].into(),
            early_to: EARLY[4].into(),
            election_day: DAY.into(),
        };
        let id = self.create_election(&actor, &form).await?;
        let list = stations(per_region(persons));
        let mut file = String::from("code,region,registered\n");
        for s in &list {
            file.push_str(&format!(
                "{},{},{}\n",
                csv_cell(&s.code()),
                csv_cell(s.region),
                s.registered
            ));
        }
        let report = self.import_stations(&actor, id, file.as_bytes(), false).await?;
        if let Some(e) = report.errors.first() {
            return Err(AppError::BadInput(format!(
                "demo stations, line {}: {}",
                e.line, e.message
            )));
        }
        let stored = self.stations(id).await?;
        for s in list.iter().take(observed(list.len())) {
            let code = s.code();
            let Some(row) = stored.iter().find(|r| r.code == code) else {
                continue;
            };
            self.assign_observer(&actor, row.id, OBSERVERS[0]).await?;
            if list.get(CONFLICT).is_some_and(|c| c.code() == code) {
                self.assign_observer(&actor, row.id, OBSERVERS[1]).await?;
            }
        }
        let report = self.import_counts(&actor, id, counts(&list).as_bytes(), false).await?;
        if let Some(e) = report.errors.first() {
            return Err(AppError::BadInput(format!(
                "demo counts, line {}: {}",
                e.line, e.message
            )));
        }
        self.import_protocols(&actor, id, protocols(&list).into_bytes(), false)
            .await?;
        Ok(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_protocols_inflate_three_observed_stations_and_break_one() {
        let list = stations(per_region(300));
        assert_eq!(list.len(), 70);
        assert_eq!(stations(per_region(100_000)).len(), 7 * 20);
        assert_eq!(stations(per_region(10_000_000)).len(), 7 * 800);
        let parsed = razam_forensics::protocol::parse(protocols(&list).as_bytes()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(parsed.election.stations.len(), 70);
        let failing = razam_forensics::arithmetic::check(&parsed.election);
        assert_eq!(failing.failing_rows, 1);
        assert_eq!(failing.first_failures[0].station, list[BROKEN].code());
        for i in INFLATED {
            let s = &parsed.election.stations[i];
            let honest: u64 = list[i].early.iter().sum::<u64>() + list[i].day + list[i].outside;
            assert!(s.issued > honest + honest / 5, "station {i} inflated");
        }
    }
}
