//! Shpilkin's turnout-bin estimate of anomalous votes.
//!
//! The idea (S. Shpilkin, 2009–2011): in an honest election the leader's share hardly depends
//! on turnout, so stations with turnout above the bulk of the country should vote like the
//! bulk. Ballots added for the leader raise turnout and the leader's share together; the
//! leader's votes beyond what the bulk's share predicts are counted as anomalous.
//!
//! **Our variant ("other candidates as honest", one-point bins, mode by registered voters)**:
//! 1. Stations: at least one registered voter, ballots cast above 0, ballots issued not above
//!    the registered voters, the leader's votes given.
//! 2. Turnout (ballots issued / registered) in bins of one percentage point, `[i %, (i+1) %)`,
//!    100 % in the last bin; the **mode** is the bin with the most registered voters.
//! 3. **Reference**: the stations in the mode bin and below. There the ratio
//!    `k = leader's votes / other candidates' votes` (sums over the stations; "other
//!    candidates" = every other vote column, e.g. "against all" too; invalid ballots are not
//!    votes).
//! 4. In every bin above the mode, the other candidates' votes are taken as honest and the
//!    leader's honest votes as `k · others`; **anomalous** = leader's votes − `k · others`
//!    (signed, per bin), and the estimate is the sum over the bins above the mode.
//!
//! Also given: the leader's share of the candidates' votes as counted and with the anomalous
//! votes removed from the leader and from the total.
//!
//! What it can show: the order of magnitude of votes that do not fit the low-turnout bulk.
//! What it cannot show: fraud as such. Regions differ honestly in turnout and preference (a
//! region that both votes more and likes the leader more inflates the estimate), and ballots
//! taken from other candidates or written in without raising turnout escape it. It is a
//! yardstick, not a count.

use serde::Serialize;

use crate::Election;

#[derive(Debug, Clone, Serialize)]
pub struct Shpilkin {
    /// Stations used.
    pub stations: usize,
    /// The turnout bin with the most registered voters (its lower edge, in %).
    pub mode_turnout: u32,
    /// Leader's share of the candidates' votes in the reference stations (mode and below).
    pub reference_share: f64,
    /// Leader's votes above the reference prediction, summed over the bins above the mode.
    pub anomalous_votes: f64,
    /// Leader's votes over all stations used.
    pub leader_votes: u64,
    /// All candidates' votes over all stations used.
    pub candidate_votes: u64,
    /// Leader's share of the candidates' votes as counted.
    pub leader_share: f64,
    /// The same with the anomalous votes taken out of the leader's and the total.
    pub leader_share_without_anomalous: f64,
    /// Per turnout bin above the mode.
    pub bins: Vec<ShpilkinBin>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ShpilkinBin {
    /// Lower edge of the bin, in %.
    pub turnout: u32,
    pub stations: u32,
    pub leader: u64,
    pub others: u64,
    /// `k · others`.
    pub expected_leader: f64,
    /// `leader − k · others`.
    pub anomalous: f64,
}

const BINS: usize = 100;

/// `None` when no station qualifies or the reference has no other candidates' votes.
pub fn shpilkin(election: &Election, leader: usize) -> Option<Shpilkin> {
    let mut registered_by_bin = [0u64; BINS];
    let mut stations = [0u32; BINS];
    let mut leader_by_bin = [0u64; BINS];
    let mut others_by_bin = [0u64; BINS];
    let mut used = 0;
    for s in &election.stations {
        let (Some(registered), Some(Some(votes))) = (s.registered, s.votes.get(leader)) else {
            continue;
        };
        if registered == 0 || s.cast == 0 || s.issued > registered {
            continue;
        }
        let bin = ((u128::from(s.issued) * BINS as u128 / u128::from(registered)) as usize).min(BINS - 1);
        let others: u64 = s
            .votes
            .iter()
            .enumerate()
            .filter(|&(i, _)| i != leader)
            .map(|(_, v)| v.unwrap_or(0))
            .sum();
        registered_by_bin[bin] += registered;
        stations[bin] += 1;
        leader_by_bin[bin] += votes;
        others_by_bin[bin] += others;
        used += 1;
    }
    if used == 0 {
        return None;
    }
    let mode = (0..BINS).fold(0, |best, b| {
        if registered_by_bin[b] > registered_by_bin[best] {
            b
        } else {
            best
        }
    });
    let ref_leader: u64 = leader_by_bin[..=mode].iter().sum();
    let ref_others: u64 = others_by_bin[..=mode].iter().sum();
    if ref_others == 0 {
        return None;
    }
    let k = ref_leader as f64 / ref_others as f64;
    let bins: Vec<ShpilkinBin> = (mode + 1..BINS)
        .filter(|&b| stations[b] > 0)
        .map(|b| {
            let expected = k * others_by_bin[b] as f64;
            ShpilkinBin {
                turnout: b as u32,
                stations: stations[b],
                leader: leader_by_bin[b],
                others: others_by_bin[b],
                expected_leader: expected,
                anomalous: leader_by_bin[b] as f64 - expected,
            }
        })
        .collect();
    let anomalous: f64 = bins.iter().map(|b| b.anomalous).sum();
    let leader_votes: u64 = leader_by_bin.iter().sum();
    let candidate_votes = leader_votes + others_by_bin.iter().sum::<u64>();
    let share = |l: f64, t: f64| if t > 0.0 { l / t } else { 0.0 };
    Some(Shpilkin {
        stations: used,
        mode_turnout: mode as u32,
        reference_share: k / (1.0 + k),
        anomalous_votes: anomalous,
        leader_votes,
        candidate_votes,
        leader_share: share(leader_votes as f64, candidate_votes as f64),
        leader_share_without_anomalous: share(leader_votes as f64 - anomalous, candidate_votes as f64 - anomalous),
        bins,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Station;

    fn station(registered: u64, issued: u64, leader: u64, other: u64) -> Station {
        Station {
            registered: Some(registered),
            issued,
            cast: leader + other,
            votes: vec![Some(leader), Some(other)],
            ..Station::default()
        }
    }

    #[test]
    fn stuffed_ballots_above_the_mode_are_found_exactly() {
        // Bulk: ten stations of 1,000 voters at 50 % turnout, the leader 60 % of the votes.
        let mut stations: Vec<Station> = (0..10).map(|_| station(1000, 500, 300, 200)).collect();
        // A low-turnout station votes like the bulk (reference 600 : 400 at 40 %).
        stations.push(station(1000, 400, 240, 160));
        // Two stations with 300 ballots added for the leader each: 800 issued, 600 + 200.
        stations.push(station(1000, 800, 600, 200));
        stations.push(station(1000, 800, 600, 200));
        let election = Election {
            candidates: vec!["L".into(), "O".into()],
            regions: vec![],
            stations,
        };
        let s = shpilkin(&election, 0).unwrap_or_else(|| panic!("no estimate"));
        assert_eq!(s.mode_turnout, 50);
        assert!((s.reference_share - 0.6).abs() < 1e-12);
        // k = 1.5: honest leader votes in the 80 % bin = 1.5 · 400 = 600; counted 1,200.
        assert!((s.anomalous_votes - 600.0).abs() < 1e-9);
        assert_eq!(s.bins.len(), 1);
        assert_eq!(s.bins[0].turnout, 80);
        // Without the 600, the leader has 3,000 + 240 + 600 of 5,000 + 400 + 800 → 0.6.
        assert!((s.leader_share_without_anomalous - 0.6).abs() < 1e-12);
    }

    #[test]
    fn an_election_without_other_votes_in_the_reference_has_no_estimate() {
        let election = Election {
            candidates: vec!["L".into(), "O".into()],
            regions: vec![],
            stations: vec![station(100, 50, 50, 0)],
        };
        assert!(shpilkin(&election, 0).is_none());
    }
}
