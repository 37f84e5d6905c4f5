//! Election forensics over per-station protocols (issue 7): pure functions, no I/O.
//!
//! The input is an [`Election`]: one [`Station`] per polling station with its registered
//! voters, ballots issued and cast, valid and invalid ballots and per-candidate votes, as an
//! official protocol states them. [`protocol::parse`] reads the two real formats from the
//! bytes of a CSV file (the caller reads the file). Each analysis states its definition in its
//! module documentation; the web page shows the same text:
//!
//! - [`integer`]: integer percentages (Kobak, Shpilkin & Pshenichnikov 2016) with a seeded
//!   binomial Monte Carlo null;
//! - [`fingerprint`]: the turnout × leader-share 2D histogram and its SVG drawing;
//! - [`shpilkin`]: Shpilkin's turnout-bin estimate of anomalous votes;
//! - [`digits`]: second-digit (2BL, Mebane) and last-digit tests with bootstrap intervals;
//! - [`pvt`]: parallel vote tabulation on a random or stratified sample of stations;
//! - [`arithmetic`]: the protocol control relations, row by row.
//!
//! [`analyse`] runs them all into one serialisable [`Report`].

pub mod arithmetic;
pub mod digits;
pub mod fingerprint;
pub mod integer;
pub mod protocol;
pub mod pvt;
pub mod shpilkin;
mod stats;

use serde::Serialize;

/// One election: the candidates (columns of votes), the regions, and the stations.
#[derive(Debug, Clone, Default)]
pub struct Election {
    /// Candidate names in file order; `Station::votes` follows this order.
    pub candidates: Vec<String>,
    /// Region names; `Station::region` indexes this list.
    pub regions: Vec<String>,
    pub stations: Vec<Station>,
}

/// One polling station's protocol.
#[derive(Debug, Clone, Default)]
pub struct Station {
    /// The line of the source file (1 = the header), for messages.
    pub line: u64,
    /// How the file names the station (e.g. `region / tik / uik`, or an id).
    pub label: String,
    /// Index into `Election::regions`.
    pub region: Option<u32>,
    /// Voters on the list; `None` where the protocol does not say.
    pub registered: Option<u64>,
    /// Ballots issued to voters (early, in the station and outside it).
    pub issued: u64,
    /// Ballots cast: found in the boxes (valid + invalid).
    pub cast: u64,
    pub valid: Option<u64>,
    pub invalid: Option<u64>,
    /// Votes per candidate, in `Election::candidates` order; `None` for a cell left empty.
    pub votes: Vec<Option<u64>>,
    /// The remaining lines of a Russian CEC protocol, for the arithmetic checks.
    pub lines: Option<CecLines>,
}

/// The lines of a Russian CEC protocol that only the control relations use.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CecLines {
    pub received: u64,
    pub issued_early: u64,
    pub issued_station: u64,
    pub issued_outside: u64,
    pub cancelled: u64,
    pub portable: u64,
    pub stationary: u64,
    pub lost: u64,
    pub unaccounted: u64,
}

impl Election {
    /// The leader: the candidate with the most votes over all stations (the first such in
    /// file order on a tie). `None` without candidates.
    pub fn leader(&self) -> Option<usize> {
        let mut totals = vec![0u64; self.candidates.len()];
        for s in &self.stations {
            for (t, v) in totals.iter_mut().zip(&s.votes) {
                *t += v.unwrap_or(0);
            }
        }
        let mut best: Option<usize> = None;
        for (i, &t) in totals.iter().enumerate() {
            if best.is_none_or(|b| t > totals[b]) {
                best = Some(i);
            }
        }
        best
    }
}

/// What [`analyse`] needs besides the election.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Seed of every random stream (Monte Carlo, bootstraps, samples).
    pub seed: u64,
    /// Monte Carlo repetitions of the integer-percentage null.
    pub repetitions: usize,
    /// Bootstrap resamples of the digit tests.
    pub bootstrap: usize,
    /// Stations in the parallel-vote-tabulation sample.
    pub pvt_sample: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            seed: 1,
            repetitions: 1000,
            bootstrap: 1000,
            pvt_sample: 1000,
        }
    }
}

/// Every analysis of one election.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub stations: usize,
    pub leader: Option<String>,
    pub integer_percentages: Option<integer::IntegerPercentages>,
    pub fingerprint: Option<fingerprint::Fingerprint>,
    pub shpilkin: Option<shpilkin::Shpilkin>,
    pub digits: digits::Digits,
    pub pvt: Option<pvt::Pvt>,
    pub arithmetic: arithmetic::Arithmetic,
}

/// Runs every analysis. The analyses that need a leader are `None` without candidates.
pub fn analyse(election: &Election, options: &Options) -> Report {
    let leader = election.leader();
    Report {
        stations: election.stations.len(),
        leader: leader.map(|l| election.candidates[l].clone()),
        integer_percentages: leader
            .map(|l| integer::integer_percentages(election, l, options.repetitions, options.seed)),
        fingerprint: leader.map(|l| fingerprint::fingerprint(election, l)),
        shpilkin: leader.and_then(|l| shpilkin::shpilkin(election, l)),
        digits: digits::digits(election, options.bootstrap, options.seed),
        pvt: leader.and_then(|l| pvt::pvt(election, l, options.pvt_sample, options.seed)),
        arithmetic: arithmetic::check(election),
    }
}
