//! Parallel vote tabulation (PVT): the leader's result from a sample of stations.
//!
//! Observers at a random sample of stations copy the official count; the sample predicts the
//! national result with a known margin of error. A declared result outside the interval is
//! evidence that counts changed between the stations and the tabulation. Here the sample is
//! drawn from the protocols themselves, to show what a sample of a given size would have said.
//!
//! **Population**: stations with ballots cast above 0 and the leader's votes given.
//! **Result** `R = Σ leader's votes / Σ ballots cast` (the full count over the population).
//!
//! **Simple random sample** of `n` stations without replacement (seeded). Ratio estimator
//! `R̂ = Σ_s y / Σ_s x` (y = leader's votes, x = ballots cast), with
//! `V(R̂) = (1 − n/N) · s_e² / (n · x̄²)`, `s_e² = Σ_s (y − R̂x)² / (n − 1)`, `x̄` the sample
//! mean of x. **Margin of error** at 95 % = `1.96 · √V`; the interval is `R̂ ± margin`.
//!
//! **Stratified by region**, proportional allocation: `n_h = max(2, round(n · N_h / N))`,
//! at most `N_h`, drawn at random within each region (the realised total is reported).
//! Combined ratio estimator `R̂ = Σ_h N_h ȳ_h / Σ_h N_h x̄_h`, with
//! `V(R̂) = Σ_h N_h² (1 − n_h/N_h) s_{e,h}² / n_h / X̂²`, `X̂ = Σ_h N_h x̄_h`,
//! `s_{e,h}²` the sample variance of `e = y − R̂x` within the region (0 for one station).
//!
//! What it can show: whether the declared total agrees with the stations' own protocols
//! (with observers' copies of them, in a real PVT). What it cannot show: falsification
//! written into the station protocols themselves (stuffing, a written-in result): a PVT of
//! falsified protocols reproduces the falsified result. That is what the other analyses are
//! for.

use std::collections::BTreeMap;

use rand::seq::index;
use serde::Serialize;

use crate::Election;
use crate::stats::{Purpose, stream};

/// The normal quantile of a two-sided 95 % interval.
pub const Z95: f64 = 1.959_963_984_540_054;

#[derive(Debug, Clone, Serialize)]
pub struct Pvt {
    /// Stations in the population.
    pub population: usize,
    /// The leader's result over all of them.
    pub full_count: f64,
    pub simple: PvtEstimate,
    /// `None` when the file names no regions.
    pub stratified: Option<PvtEstimate>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PvtEstimate {
    pub sample: usize,
    pub estimate: f64,
    pub margin95: f64,
    pub interval95: [f64; 2],
    pub contains_full_count: bool,
}

/// One stratum of the sample: its size in the population and its sampled `(y, x)` pairs.
pub struct Stratum {
    pub population: usize,
    pub sample: Vec<(f64, f64)>,
}

/// The combined ratio estimate and its 95 % margin over strata (one stratum = simple random
/// sampling).
pub fn ratio_estimate(strata: &[Stratum]) -> (f64, f64) {
    let mut y_hat = 0.0;
    let mut x_hat = 0.0;
    for s in strata {
        let n = s.sample.len() as f64;
        if n == 0.0 {
            continue;
        }
        let big_n = s.population as f64;
        y_hat += big_n * s.sample.iter().map(|p| p.0).sum::<f64>() / n;
        x_hat += big_n * s.sample.iter().map(|p| p.1).sum::<f64>() / n;
    }
    if x_hat == 0.0 {
        return (0.0, 0.0);
    }
    let r = y_hat / x_hat;
    let mut variance = 0.0;
    for s in strata {
        let n = s.sample.len();
        if n < 2 {
            continue;
        }
        let big_n = s.population as f64;
        let nf = n as f64;
        let e: Vec<f64> = s.sample.iter().map(|&(y, x)| y - r * x).collect();
        let e_mean = e.iter().sum::<f64>() / nf;
        let s2 = e.iter().map(|v| (v - e_mean).powi(2)).sum::<f64>() / (nf - 1.0);
        variance += big_n * big_n * (1.0 - nf / big_n) * s2 / nf;
    }
    (r, Z95 * variance.sqrt() / x_hat)
}

fn estimate(strata: &[Stratum], full: f64) -> PvtEstimate {
    let (r, margin) = ratio_estimate(strata);
    PvtEstimate {
        sample: strata.iter().map(|s| s.sample.len()).sum(),
        estimate: r,
        margin95: margin,
        interval95: [r - margin, r + margin],
        contains_full_count: (r - margin..=r + margin).contains(&full),
    }
}

/// Both designs with `n` stations from `seed`. `None` when no station qualifies.
pub fn pvt(election: &Election, leader: usize, n: usize, seed: u64) -> Option<Pvt> {
    let population: Vec<(f64, f64, Option<u32>)> = election
        .stations
        .iter()
        .filter(|s| s.cast > 0)
        .filter_map(|s| {
            let y = s.votes.get(leader).copied().flatten()?;
            Some((y as f64, s.cast as f64, s.region))
        })
        .collect();
    if population.is_empty() || n == 0 {
        return None;
    }
    let big_n = population.len();
    let full = population.iter().map(|p| p.0).sum::<f64>() / population.iter().map(|p| p.1).sum::<f64>();
    let mut rng = stream(seed, Purpose::Sample, 0);
    let picked = index::sample(&mut rng, big_n, n.min(big_n));
    let simple = Stratum {
        population: big_n,
        sample: picked.iter().map(|i| (population[i].0, population[i].1)).collect(),
    };
    let simple = estimate(&[simple], full);

    let stratified = if population.iter().any(|p| p.2.is_some()) {
        let mut groups: BTreeMap<Option<u32>, Vec<usize>> = BTreeMap::new();
        for (i, p) in population.iter().enumerate() {
            groups.entry(p.2).or_default().push(i);
        }
        let mut rng = stream(seed, Purpose::Sample, 1);
        let strata: Vec<Stratum> = groups
            .values()
            .map(|members| {
                let share = (n as f64 * members.len() as f64 / big_n as f64).round() as usize;
                let take = share.max(2).min(members.len());
                let picked = index::sample(&mut rng, members.len(), take);
                Stratum {
                    population: members.len(),
                    sample: picked
                        .iter()
                        .map(|i| (population[members[i]].0, population[members[i]].1))
                        .collect(),
                }
            })
            .collect();
        Some(estimate(&strata, full))
    } else {
        None
    };
    Some(Pvt {
        population: big_n,
        full_count: full,
        simple,
        stratified,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_margin_of_a_hand_case() {
        // N = 10 stations, a sample of 4: (y, x) = (30, 50), (20, 50), (60, 100), (40, 100).
        // R̂ = 150 / 300 = 0.5. e = y − 0.5x = 5, −5, 10, −10; mean 0; s_e² = 250 / 3.
        // x̄ = 75. V = (1 − 4/10) · (250/3) / (4 · 75²) = 0.6 · 83.333 / 22,500 = 0.0022222.
        // Margin = 1.96 · √0.0022222 = 1.96 · 0.047140 = 0.092394.
        let strata = [Stratum {
            population: 10,
            sample: vec![(30.0, 50.0), (20.0, 50.0), (60.0, 100.0), (40.0, 100.0)],
        }];
        let (r, margin) = ratio_estimate(&strata);
        assert!((r - 0.5).abs() < 1e-12);
        let v: f64 = 0.6 * (250.0 / 3.0) / (4.0 * 75.0 * 75.0);
        assert!((margin - Z95 * v.sqrt()).abs() < 1e-12);
        assert!((margin - 0.092394).abs() < 1e-5);
        // A census has no sampling error.
        let census = [Stratum {
            population: 4,
            sample: strata[0].sample.clone(),
        }];
        assert_eq!(ratio_estimate(&census).1, 0.0);
    }

    #[test]
    fn two_strata_combine_by_their_sizes() {
        // Stratum A: N = 100, sample (10, 20), (12, 20) → ȳ = 11, x̄ = 20.
        // Stratum B: N = 300, sample (5, 20), (7, 20) → ȳ = 6, x̄ = 20.
        // R̂ = (100·11 + 300·6) / (100·20 + 300·20) = 2900 / 8000 = 0.3625.
        let strata = [
            Stratum {
                population: 100,
                sample: vec![(10.0, 20.0), (12.0, 20.0)],
            },
            Stratum {
                population: 300,
                sample: vec![(5.0, 20.0), (7.0, 20.0)],
            },
        ];
        let (r, margin) = ratio_estimate(&strata);
        assert!((r - 0.3625).abs() < 1e-12);
        // e in A: 10 − 7.25 = 2.75, 12 − 7.25 = 4.75 → s² = 2; in B: −2.25, −0.25 → s² = 2.
        // V = (100² · 0.98 · 2 / 2 + 300² · (1 − 2/300) · 2 / 2) / 8000².
        let v = (100.0f64.powi(2) * 0.98 + 300.0f64.powi(2) * (1.0 - 2.0 / 300.0)) / 8000.0f64.powi(2);
        assert!((margin - Z95 * v.sqrt()).abs() < 1e-12);
    }
}
