//! Estimating the Fellegi–Sunter parameters without labels.
//!
//! - `u` (how often a level occurs between different persons) is counted on random pairs of
//!   records: almost every random pair is two different persons.
//! - `m` (how often it occurs for the same person) and the share λ of true matches among the
//!   blocked pairs are estimated by expectation–maximisation over the comparison vectors of
//!   the blocked pairs, `u` held fixed. Identical vectors are counted once with their
//!   multiplicity, so an iteration costs the number of distinct vectors, not of pairs.

use std::collections::HashMap;

use rayon::prelude::*;

use crate::block::mix;
use crate::compare::{Agreement, LevelProbabilities};

/// Levels per field.
pub(crate) const LEVELS: usize = 6;
const MISSING: usize = Agreement::Missing as usize;

/// The level of field `f` in a packed comparison vector.
pub(crate) fn level_of(gamma: u64, field: usize) -> usize {
    ((gamma >> (4 * field)) & 0xf) as usize
}

/// Counts the levels of comparison vectors, field by field, into `u` probabilities. Levels
/// never seen get a small floor so that their weight stays finite.
pub(crate) fn u_from_vectors(vectors: &[u64], fields: usize) -> Vec<[f64; LEVELS]> {
    let mut counts = vec![[0u64; LEVELS]; fields];
    for &gamma in vectors {
        for (field, count) in counts.iter_mut().enumerate() {
            count[level_of(gamma, field)] += 1;
        }
    }
    counts
        .iter()
        .map(|count| {
            let present: u64 = count.iter().take(MISSING).sum();
            let mut u = [1.0; LEVELS];
            for level in 0..MISSING {
                u[level] = (count[level] as f64 + 0.5) / (present as f64 + 0.5 * MISSING as f64);
            }
            u
        })
        .collect()
}

/// `count` pseudo-random pairs `(a, b)`, `a != b`, drawn from a fixed seed (runs repeat);
/// `pick` maps a random number to a pair, or `None` to skip it.
pub(crate) fn random_pairs(count: usize, pick: &(dyn Fn(u64) -> Option<(u32, u32)> + Sync)) -> Vec<(u32, u32)> {
    (0..count as u64)
        .into_par_iter()
        .filter_map(|i| pick(mix(i ^ 0x5eed)))
        .collect()
}

/// The result of EM.
#[derive(Clone, Debug, PartialEq)]
pub struct Estimate {
    /// `m` per field and level.
    pub m: Vec<[f64; LEVELS]>,
    /// Share of true matches among the blocked pairs.
    pub lambda: f64,
    /// Iterations run.
    pub iterations: usize,
    /// Whether it stopped because nothing changed by more than the tolerance.
    pub converged: bool,
}

/// Starting `m`: agreement levels likely, disagreement unlikely.
const M_START: [f64; MISSING] = [0.7, 0.1, 0.05, 0.1, 0.05];

/// EM over the distinct comparison vectors with their counts, `u` fixed.
pub(crate) fn estimate_m(
    patterns: &HashMap<u64, u64>,
    u: &[[f64; LEVELS]],
    max_iterations: usize,
    tolerance: f64,
) -> Estimate {
    let fields = u.len();
    let mut m: Vec<[f64; LEVELS]> = vec![[M_START[0], M_START[1], M_START[2], M_START[3], M_START[4], 1.0]; fields];
    let mut lambda: f64 = 0.1;
    let patterns: Vec<(u64, f64)> = patterns.iter().map(|(&g, &c)| (g, c as f64)).collect();
    let total: f64 = patterns.iter().map(|p| p.1).sum();
    if total == 0.0 {
        return Estimate {
            m,
            lambda: 0.0,
            iterations: 0,
            converged: true,
        };
    }
    let mut iterations = 0;
    let mut converged = false;
    while iterations < max_iterations {
        iterations += 1;
        let mut counts = vec![[0.0f64; LEVELS]; fields];
        let mut matched = 0.0;
        for &(gamma, count) in &patterns {
            let mut log_ratio = (lambda / (1.0 - lambda)).ln();
            for field in 0..fields {
                let level = level_of(gamma, field);
                if level != MISSING {
                    log_ratio += (m[field][level].max(1e-12) / u[field][level].max(1e-12)).ln();
                }
            }
            let posterior = 1.0 / (1.0 + (-log_ratio).exp());
            let weight = posterior * count;
            matched += weight;
            for (field, row) in counts.iter_mut().enumerate() {
                row[level_of(gamma, field)] += weight;
            }
        }
        let new_lambda = (matched / total).clamp(1e-9, 1.0 - 1e-9);
        let mut change = (new_lambda - lambda).abs();
        for (row, old) in counts.iter().zip(m.iter_mut()) {
            let present: f64 = row.iter().take(MISSING).sum();
            if present <= 0.0 {
                continue;
            }
            for level in 0..MISSING {
                let value = (row[level] / present).max(1e-6);
                change = change.max((value - old[level]).abs());
                old[level] = value;
            }
        }
        lambda = new_lambda;
        if change < tolerance {
            converged = true;
            break;
        }
    }
    Estimate {
        m,
        lambda,
        iterations,
        converged,
    }
}

/// Estimates `m` rule by rule, as Splink does: EM on the pairs one blocking rule gives, with the
/// fields that rule selects for left out (they agree by construction there, whoever the
/// persons are). A field's `m` is the mean over the rules that leave it in; a field every rule
/// uses keeps the starting values. Then λ, the share of matches among all blocked pairs, is
/// estimated by EM with `m` and `u` fixed.
pub(crate) fn estimate_by_rule(
    per_rule: &[(HashMap<u64, u64>, Vec<usize>)],
    all: &HashMap<u64, u64>,
    u: &[[f64; LEVELS]],
    max_iterations: usize,
    tolerance: f64,
) -> Estimate {
    let fields = u.len();
    let mut sum = vec![[0.0f64; LEVELS]; fields];
    let mut rules_per_field = vec![0usize; fields];
    let mut iterations = 0;
    let mut converged = true;
    for (patterns, used) in per_rule {
        let mut masked: HashMap<u64, u64> = HashMap::new();
        let mask = used.iter().fold(0u64, |mask, &f| mask | (0xf << (4 * f)));
        let missing = used.iter().fold(0u64, |g, &f| g | ((MISSING as u64) << (4 * f)));
        for (&gamma, &count) in patterns {
            *masked.entry((gamma & !mask) | missing).or_insert(0) += count;
        }
        let estimate = estimate_m(&masked, u, max_iterations, tolerance);
        iterations += estimate.iterations;
        converged &= estimate.converged;
        for field in (0..fields).filter(|f| !used.contains(f)) {
            rules_per_field[field] += 1;
            for (total, m) in sum[field].iter_mut().zip(estimate.m[field]) {
                *total += m;
            }
        }
    }
    let m: Vec<[f64; LEVELS]> = (0..fields)
        .map(|field| match rules_per_field[field] {
            0 => [M_START[0], M_START[1], M_START[2], M_START[3], M_START[4], 1.0],
            n => std::array::from_fn(|level| {
                if level == MISSING {
                    1.0
                } else {
                    sum[field][level] / n as f64
                }
            }),
        })
        .collect();
    let lambda = estimate_lambda(all, &m, u, max_iterations, tolerance);
    Estimate {
        m,
        lambda,
        iterations,
        converged,
    }
}

/// EM for λ alone, `m` and `u` fixed.
fn estimate_lambda(
    patterns: &HashMap<u64, u64>,
    m: &[[f64; LEVELS]],
    u: &[[f64; LEVELS]],
    max_iterations: usize,
    tolerance: f64,
) -> f64 {
    let total: f64 = patterns.values().map(|&c| c as f64).sum();
    if total == 0.0 {
        return 0.0;
    }
    // The log Bayes factor of each pattern does not change; compute it once.
    let factors: Vec<(f64, f64)> = patterns
        .iter()
        .map(|(&gamma, &count)| {
            let log_factor: f64 = (0..u.len())
                .map(|f| level_of(gamma, f))
                .enumerate()
                .filter(|(_, level)| *level != MISSING)
                .map(|(f, level)| (m[f][level].max(1e-12) / u[f][level].max(1e-12)).ln())
                .sum();
            (log_factor, count as f64)
        })
        .collect();
    let mut lambda: f64 = 0.1;
    for _ in 0..max_iterations {
        let prior = (lambda / (1.0 - lambda)).ln();
        let matched: f64 = factors
            .iter()
            .map(|&(factor, count)| count / (1.0 + (-(prior + factor)).exp()))
            .sum();
        let next = (matched / total).clamp(1e-12, 1.0 - 1e-9);
        let change = (next - lambda).abs();
        lambda = next;
        if change < tolerance {
            break;
        }
    }
    lambda
}

/// `m` and `u` of each field as [`LevelProbabilities`].
pub(crate) fn levels(m: &[[f64; LEVELS]], u: &[[f64; LEVELS]]) -> Vec<LevelProbabilities> {
    m.iter().zip(u).map(|(&m, &u)| LevelProbabilities { m, u }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vector(levels: &[usize]) -> u64 {
        levels
            .iter()
            .enumerate()
            .fold(0, |g, (f, &l)| g | (l as u64) << (4 * f))
    }

    #[test]
    fn em_recovers_m_and_lambda_of_a_known_mixture() {
        // Two fields. Matches (30%): field levels Exact with m = 0.9, Different 0.1.
        // Non-matches: Exact with u = 0.05, Different 0.95. Counts are the expected ones.
        let (e, d) = (Agreement::Exact as usize, Agreement::Different as usize);
        let n = 100_000.0;
        let p = |m0: f64, m1: f64, u0: f64, u1: f64| (0.3 * m0 * m1 + 0.7 * u0 * u1) * n;
        let mut patterns = HashMap::new();
        patterns.insert(vector(&[e, e]), p(0.9, 0.9, 0.05, 0.05) as u64);
        patterns.insert(vector(&[e, d]), p(0.9, 0.1, 0.05, 0.95) as u64);
        patterns.insert(vector(&[d, e]), p(0.1, 0.9, 0.95, 0.05) as u64);
        patterns.insert(vector(&[d, d]), p(0.1, 0.1, 0.95, 0.95) as u64);
        let mut u = [1e-6; LEVELS];
        u[e] = 0.05;
        u[d] = 0.95;
        let estimate = estimate_m(&patterns, &[u, u], 200, 1e-9);
        assert!((estimate.lambda - 0.3).abs() < 0.01, "{estimate:?}");
        assert!((estimate.m[0][e] - 0.9).abs() < 0.01, "{estimate:?}");
        assert!((estimate.m[1][d] - 0.1).abs() < 0.01, "{estimate:?}");
    }

    #[test]
    fn u_counts_levels_and_ignores_missing() {
        let (e, d, x) = (Agreement::Exact as usize, Agreement::Different as usize, MISSING);
        let vectors = [vector(&[e]), vector(&[d]), vector(&[d]), vector(&[d]), vector(&[x])];
        let u = u_from_vectors(&vectors, 1);
        assert!((u[0][e] - 1.5 / 6.5).abs() < 1e-9);
        assert!((u[0][d] - 3.5 / 6.5).abs() < 1e-9);
        assert_eq!(u[0][x], 1.0);
    }

    #[test]
    fn random_pairs_repeat() {
        let pick = |r: u64| {
            let (a, b) = ((r % 100) as u32, ((r >> 32) % 100) as u32);
            (a != b).then_some((a, b))
        };
        assert_eq!(random_pairs(1000, &pick), random_pairs(1000, &pick));
        assert!(random_pairs(1000, &pick).len() > 900);
    }
}
