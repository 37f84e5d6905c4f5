//! Estimating the Fellegi–Sunter parameters without labels.
//!
//! - `u` (how often a level occurs between different persons) is counted on random pairs of
//!   records: almost every random pair is two different persons.
//! - `m` (how often it occurs for the same person) and the share λ of true matches among the
//!   blocked pairs are estimated by expectation–maximisation over the comparison vectors of
//!   the blocked pairs, rule by rule, the non-matches' level probabilities within the blocks
//!   left free (they are not the random pairs' `u`). Identical vectors are counted once with their
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

/// What EM may change besides λ and `m`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Free {
    /// Nothing: `u` is held at the values given.
    M,
    /// Both `m` and `u` (the values given are the start).
    Both,
}

/// EM over the distinct comparison vectors with their counts, from `m` and `u` as given; what
/// is re-estimated is said by `free`.
///
/// `u` is best left free on blocked pairs: the non-matches a blocking rule selects are not a
/// random sample of non-matches (two records in a block of one family name and one town share
/// a father's name or a given name far more often than two records taken at random), and a
/// `u` held at its random-pair value makes EM put that excess of agreement into the match
/// class: its `m` of a differing birth date comes out near 0.9 and λ far too large.
pub(crate) fn estimate(
    patterns: &HashMap<u64, u64>,
    start: (&[[f64; LEVELS]], &[[f64; LEVELS]]),
    lambda_start: f64,
    free: Free,
    max_iterations: usize,
    tolerance: f64,
) -> (Estimate, Vec<[f64; LEVELS]>) {
    let fields = start.1.len();
    let mut m: Vec<[f64; LEVELS]> = start.0.to_vec();
    let mut u: Vec<[f64; LEVELS]> = start.1.to_vec();
    let mut lambda: f64 = lambda_start;
    let patterns: Vec<(u64, f64)> = patterns.iter().map(|(&g, &c)| (g, c as f64)).collect();
    let total: f64 = patterns.iter().map(|p| p.1).sum();
    if total == 0.0 {
        let estimate = Estimate {
            m,
            lambda: 0.0,
            iterations: 0,
            converged: true,
        };
        return (estimate, u);
    }
    let mut iterations = 0;
    let mut converged = false;
    while iterations < max_iterations {
        iterations += 1;
        let mut matched_counts = vec![[0.0f64; LEVELS]; fields];
        let mut other_counts = vec![[0.0f64; LEVELS]; fields];
        let mut matched = 0.0;
        // ln(m/u) of every field and level, once per iteration; 0 for missing.
        let table: Vec<[f64; LEVELS]> = (0..fields)
            .map(|f| {
                std::array::from_fn(|l| {
                    if l == MISSING {
                        0.0
                    } else {
                        (m[f][l].max(1e-12) / u[f][l].max(1e-12)).ln()
                    }
                })
            })
            .collect();
        let prior = (lambda / (1.0 - lambda)).ln();
        for &(gamma, count) in &patterns {
            let log_ratio = prior
                + table
                    .iter()
                    .enumerate()
                    .map(|(f, row)| row[level_of(gamma, f)])
                    .sum::<f64>();
            let posterior = 1.0 / (1.0 + (-log_ratio).exp());
            let weight = posterior * count;
            matched += weight;
            for field in 0..fields {
                let level = level_of(gamma, field);
                matched_counts[field][level] += weight;
                other_counts[field][level] += count - weight;
            }
        }
        let new_lambda = (matched / total).clamp(1e-9, 1.0 - 1e-9);
        let mut change = (new_lambda - lambda).abs();
        let mut update = |counts: &[[f64; LEVELS]], values: &mut [[f64; LEVELS]]| {
            for (row, old) in counts.iter().zip(values.iter_mut()) {
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
        };
        update(&matched_counts, &mut m);
        if free == Free::Both {
            update(&other_counts, &mut u);
        }
        lambda = new_lambda;
        if change < tolerance {
            converged = true;
            break;
        }
    }
    let estimate = Estimate {
        m,
        lambda,
        iterations,
        converged,
    };
    (estimate, u)
}

/// EM for `m` and λ with `u` fixed (see [`estimate`]).
#[cfg(test)]
fn estimate_m(patterns: &HashMap<u64, u64>, u: &[[f64; LEVELS]], max_iterations: usize, tolerance: f64) -> Estimate {
    let m = vec![M_START_ROW; u.len()];
    estimate(patterns, (&m, u), 0.1, Free::M, max_iterations, tolerance).0
}

/// The fewest pairs a rule must give for its EM to estimate the blocks' own `u`. With a
/// handful of vectors, two free distributions fit them either way round (the "match" class may
/// as well be the non-matches), so a small input keeps the random pairs' `u` and estimates `m`
/// alone, as the ten records of a test file need.
const MIN_PAIRS_U_FREE: u64 = 1_000;

/// The starting `m` of a field.
const M_START_ROW: [f64; LEVELS] = [M_START[0], M_START[1], M_START[2], M_START[3], M_START[4], 1.0];

/// The comparison vectors of the blocked pairs, counted by vector and by the set of rules
/// that gave the pair (bit `r` for rule `r`).
pub(crate) type RulePatterns = HashMap<(u64, u32), u64>;

/// Estimates `m` rule by rule: EM on the pairs one blocking rule gives, with the fields that
/// rule selects for left out (they agree by construction there, whoever the persons are), and
/// `u` free, started at the random-pair `u` (the non-matches of a block are not random ones;
/// see [`estimate`]), when the rule gives at least [`MIN_PAIRS_U_FREE`] pairs. A field's `m` is the mean over the rules that leave it in; a field every
/// rule uses keeps the starting values. `uses` lists the fields of each rule.
///
/// λ, the share of matches among all blocked pairs: each pair's match probability under the
/// model fitted on the first rule that gave it, summed over the pairs, over their number. (An
/// EM for λ alone over all blocked pairs with `m` fixed does worse: with `u` fixed it takes
/// the blocks' excess agreement for matches, λ 240 times too large on the synthetic set; with
/// `u` free it gives 10 times too few.)
pub(crate) fn estimate_by_rule(
    patterns: &RulePatterns,
    uses: &[Vec<usize>],
    u: &[[f64; LEVELS]],
    max_iterations: usize,
    tolerance: f64,
) -> Estimate {
    let fields = u.len();
    let mut sum = vec![[0.0f64; LEVELS]; fields];
    let mut rules_per_field = vec![0usize; fields];
    let mut iterations = 0;
    let mut converged = true;
    let mut fitted = Vec::with_capacity(uses.len());
    for (rule, used) in uses.iter().enumerate() {
        let mut masked: HashMap<u64, u64> = HashMap::new();
        for (&(gamma, rules), &count) in patterns {
            if rules & (1 << rule) != 0 {
                *masked.entry(mask(gamma, used)).or_insert(0) += count;
            }
        }
        let start = vec![M_START_ROW; fields];
        let pairs: u64 = masked.values().sum();
        let free = if pairs >= MIN_PAIRS_U_FREE { Free::Both } else { Free::M };
        let (estimate, u_block) = estimate(&masked, (&start, u), 0.1, free, max_iterations, tolerance);
        iterations += estimate.iterations;
        converged &= estimate.converged;
        for field in (0..fields).filter(|f| !used.contains(f)) {
            rules_per_field[field] += 1;
            for (total, m) in sum[field].iter_mut().zip(estimate.m[field]) {
                *total += m;
            }
        }
        fitted.push((estimate, u_block));
    }
    let m: Vec<[f64; LEVELS]> = (0..fields)
        .map(|field| match rules_per_field[field] {
            0 => M_START_ROW,
            n => std::array::from_fn(|level| {
                if level == MISSING {
                    1.0
                } else {
                    sum[field][level] / n as f64
                }
            }),
        })
        .collect();
    let (mut matches, mut total) = (0.0, 0.0);
    for (&(gamma, rules), &count) in patterns {
        let first = rules.trailing_zeros() as usize;
        let (Some((estimate, u_block)), Some(used)) = (fitted.get(first), uses.get(first)) else {
            continue;
        };
        let log_odds = log_odds(mask(gamma, used), &estimate.m, u_block, estimate.lambda);
        matches += count as f64 / (1.0 + (-log_odds).exp());
        total += count as f64;
    }
    let lambda = if total > 0.0 { matches / total } else { 0.0 };
    Estimate {
        m,
        lambda,
        iterations,
        converged,
    }
}

/// `gamma` with the fields of `used` set to Missing.
fn mask(gamma: u64, used: &[usize]) -> u64 {
    used.iter()
        .fold(gamma, |g, &f| (g & !(0xf << (4 * f))) | ((MISSING as u64) << (4 * f)))
}

/// The natural-log posterior odds of a match for vector `gamma`.
fn log_odds(gamma: u64, m: &[[f64; LEVELS]], u: &[[f64; LEVELS]], lambda: f64) -> f64 {
    let lambda = lambda.clamp(1e-12, 1.0 - 1e-12);
    (lambda / (1.0 - lambda)).ln()
        + (0..u.len())
            .map(|f| {
                let level = level_of(gamma, f);
                if level == MISSING {
                    0.0
                } else {
                    (m[f][level].max(1e-12) / u[f][level].max(1e-12)).ln()
                }
            })
            .sum::<f64>()
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
    fn em_with_u_free_is_not_fooled_by_a_block_whose_non_matches_agree_often() {
        // Three fields. Matches (5%): Exact with m = 0.9. Non-matches of this block: Exact with
        // 0.3 each (they share a block), while random pairs agree with u = 0.05.
        let (e, d) = (Agreement::Exact as usize, Agreement::Different as usize);
        let n = 1_000_000.0;
        let mut patterns = HashMap::new();
        for bits in 0..8u32 {
            let levels: Vec<usize> = (0..3).map(|f| if bits & (1 << f) != 0 { e } else { d }).collect();
            let agreeing = bits.count_ones() as i32;
            let p = |q: f64| q.powi(agreeing) * (1.0 - q).powi(3 - agreeing);
            patterns.insert(vector(&levels), ((0.05 * p(0.9) + 0.95 * p(0.3)) * n) as u64);
        }
        let mut u = [1e-6; LEVELS];
        u[e] = 0.05;
        u[d] = 0.95;
        let start = vec![M_START_ROW; 3];
        let (free, u_block) = estimate(&patterns, (&start, &[u, u, u]), 0.1, Free::Both, 1000, 1e-9);
        assert!((free.lambda - 0.05).abs() < 0.01, "{free:?}");
        assert!((free.m[0][e] - 0.9).abs() < 0.02, "{free:?}");
        assert!((u_block[0][e] - 0.3).abs() < 0.02, "{u_block:?}");
        // With u held at the random pairs' value, the block's agreement is taken for matches.
        let fixed = estimate_m(&patterns, &[u, u, u], 1000, 1e-9);
        assert!(fixed.lambda > 0.2, "{fixed:?}");
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
