//! Integer percentages, as Kobak, Shpilkin & Pshenichnikov define them ("Integer percentages
//! as electoral falsification fingerprints", Annals of Applied Statistics 10(1), 54–73, 2016).
//!
//! **Stations included**: more than 0 ballots cast, at least 100 registered voters, turnout at
//! most 0.99 and the leader's result at most 0.99 (stations without a registered count or
//! without the leader's votes are left out).
//!
//! **Turnout** = ballots issued / registered voters; **result** = the leader's votes / ballots
//! cast (valid + invalid). A percentage `100·a/b` is **integer** when it lies within 0.05 of a
//! whole number, bounds included: `|100·a/b − m| ≤ 0.05` for some integer `m`, decided in
//! exact integer arithmetic (`|2000·a − 20·m·b| ≤ b`).
//!
//! **Observed**: the number of included stations whose result is integer, whose turnout is
//! integer, and whose result or turnout (either) is integer.
//!
//! **Null**: each included station's leader votes are redrawn from Binomial(ballots cast,
//! observed result) and its ballots issued from Binomial(registered, observed turnout),
//! independently, and the three counts are taken again; this is repeated `R` times. Only
//! whether each draw lands on an integer percentage enters the counts, so each repetition
//! draws that event directly: for each station and each of the two draws, an event of the
//! exact binomial probability that the draw lands within 0.05 of a whole percent (the sum of
//! the binomial probabilities of the counts that do). The counts then have exactly the
//! distribution of the literal redraw (checked against it in the tests), at a fraction of the
//! cost. Repetition `r` uses its own ChaCha8 stream (`seed`, stream `r`), so the answer does
//! not depend on the number of threads.
//!
//! **Expected** = the mean of the null counts; **excess** = observed − expected; **p999** = the
//! 99.9th percentile of the null counts (linear interpolation between order statistics, as
//! NumPy's default). An observed count above p999 has less than a 0.1 % chance under the null.
//!
//! What it can show: more whole percentages than the binomial variation of honest counts gives,
//! the fingerprint of results written to a target. What it cannot show: which station was
//! falsified, how many votes were added; a falsifier who does not aim at round numbers leaves
//! no trace here.

use rand::Rng;
use rayon::prelude::*;
use serde::Serialize;

use crate::Election;
use crate::stats::{Purpose, mean, quantile, stream};

/// One count for each of the three definitions.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Counts<T> {
    /// Result or turnout integer.
    pub either: T,
    /// Leader's result integer.
    pub result: T,
    /// Turnout integer.
    pub turnout: T,
}

/// The integer-percentage analysis (serialised with exactly these keys).
#[derive(Debug, Clone, Serialize)]
pub struct IntegerPercentages {
    pub stations_included: usize,
    pub observed: Counts<u64>,
    pub expected: Counts<f64>,
    pub excess: Counts<f64>,
    pub p999: Counts<f64>,
}

/// Whether `100·num/den` lies within 0.05 of a whole number (bounds included); false for
/// `den == 0`.
pub fn is_integer_percentage(num: u64, den: u64) -> bool {
    if den == 0 {
        return false;
    }
    let (num, den) = (i128::from(num), i128::from(den));
    // The nearest whole percent m (a tie at x.5 is 0.5 away from both, never within 0.05).
    let m = (200 * num + den) / (2 * den);
    (2000 * num - 20 * m * den).abs() <= den
}

/// The inclusion rule of the paper, for one station: `Some((leader votes, cast, issued,
/// registered))` when included.
pub fn included(station: &crate::Station, leader: usize) -> Option<(u64, u64, u64, u64)> {
    let registered = station.registered?;
    let votes = station.votes.get(leader).copied().flatten()?;
    let ok = station.cast > 0
        && registered >= 100
        && 100 * u128::from(station.issued) <= 99 * u128::from(registered)
        && 100 * u128::from(votes) <= 99 * u128::from(station.cast);
    ok.then_some((votes, station.cast, station.issued, registered))
}

/// `ln k!` for `k` in `0..=n`.
fn ln_factorials(n: u64) -> Vec<f64> {
    let mut table = Vec::with_capacity(n as usize + 1);
    let mut acc = 0.0f64;
    table.push(0.0);
    for k in 1..=n {
        acc += (k as f64).ln();
        table.push(acc);
    }
    table
}

/// The probability that a Binomial(`n`, `x/n`) draw `k` makes `100·k/n` an integer
/// percentage. Counts farther than 15 standard deviations (+2) from the mean are left out
/// (their mass is below 1e-30).
fn landing_probability(x: u64, n: u64, ln_fact: &[f64]) -> f64 {
    if n == 0 {
        return 0.0;
    }
    if x == 0 || x >= n {
        // The draw is certain: 0 % or 100 %, both whole.
        return 1.0;
    }
    let p = x as f64 / n as f64;
    let (lp, lq) = (p.ln(), (1.0 - p).ln());
    let mean = n as f64 * p;
    let spread = 15.0 * (mean * (1.0 - p)).sqrt() + 2.0;
    let lo = (mean - spread).floor().max(0.0) as u64;
    let hi = ((mean + spread).ceil() as u64).min(n);
    let ln_n = ln_fact[n as usize];
    let (n_i, lo_i, hi_i) = (i128::from(n), i128::from(lo), i128::from(hi));
    let mut total = 0.0;
    // Whole percents m whose window [n(m − 0.05)/100, n(m + 0.05)/100] meets [lo, hi].
    let m_lo = (100 * lo_i / n_i - 1).max(0);
    let m_hi = (100 * hi_i / n_i + 1).min(100);
    for m in m_lo..=m_hi {
        // k with |2000k − 20mn| ≤ n: 20mn − n ≤ 2000k ≤ 20mn + n.
        let from = (20 * m * n_i - n_i + 1999).div_euclid(2000).max(lo_i);
        let to = (20 * m * n_i + n_i).div_euclid(2000).min(hi_i);
        for k in from..=to {
            let k = k as u64;
            let ln_pmf = ln_n - ln_fact[k as usize] - ln_fact[(n - k) as usize] + k as f64 * lp + (n - k) as f64 * lq;
            total += ln_pmf.exp();
        }
    }
    total.min(1.0)
}

/// For each included station, the probability that the redrawn leader votes land on an
/// integer result and that the redrawn ballots issued land on an integer turnout.
pub fn landing_probabilities(election: &Election, leader: usize) -> Vec<(f64, f64)> {
    let rows: Vec<_> = election.stations.iter().filter_map(|s| included(s, leader)).collect();
    let max_n = rows.iter().map(|&(_, c, _, r)| c.max(r)).max().unwrap_or(0);
    let ln_fact = ln_factorials(max_n);
    rows.par_iter()
        .map(|&(votes, cast, issued, registered)| {
            (
                landing_probability(votes, cast, &ln_fact),
                landing_probability(issued, registered, &ln_fact),
            )
        })
        .collect()
}

/// The probability as a threshold on a uniform 32-bit draw: `draw < threshold` has
/// probability `q` to within 2⁻³³.
fn threshold(q: f64) -> u64 {
    (q * 4_294_967_296.0).round().clamp(0.0, 4_294_967_296.0) as u64
}

/// The null counts of `repetitions` Monte Carlo repetitions (see the module documentation),
/// each `[either, result, turnout]`.
pub fn null_counts(probabilities: &[(f64, f64)], repetitions: usize, seed: u64) -> Vec<[u32; 3]> {
    let thresholds: Vec<(u64, u64)> = probabilities
        .iter()
        .map(|&(r, t)| (threshold(r), threshold(t)))
        .collect();
    (0..repetitions)
        .into_par_iter()
        .map_init(
            || vec![0u32; 2 * thresholds.len()],
            |draws, rep| {
                stream(seed, Purpose::IntegerNull, rep as u64).fill(&mut draws[..]);
                let mut counts = [0u32; 3];
                for (&(tr, tt), pair) in thresholds.iter().zip(draws.chunks_exact(2)) {
                    let r = u64::from(pair[0]) < tr;
                    let t = u64::from(pair[1]) < tt;
                    counts[0] += u32::from(r || t);
                    counts[1] += u32::from(r);
                    counts[2] += u32::from(t);
                }
                counts
            },
        )
        .collect()
}

/// The whole analysis for the candidate `leader`, with `repetitions` Monte Carlo repetitions
/// from `seed`.
pub fn integer_percentages(election: &Election, leader: usize, repetitions: usize, seed: u64) -> IntegerPercentages {
    let mut observed = Counts {
        either: 0,
        result: 0,
        turnout: 0,
    };
    let mut included_count = 0;
    for s in &election.stations {
        if let Some((votes, cast, issued, registered)) = included(s, leader) {
            included_count += 1;
            let r = is_integer_percentage(votes, cast);
            let t = is_integer_percentage(issued, registered);
            observed.either += u64::from(r || t);
            observed.result += u64::from(r);
            observed.turnout += u64::from(t);
        }
    }
    let probabilities = landing_probabilities(election, leader);
    let null = null_counts(&probabilities, repetitions, seed);
    let column = |i: usize| -> Vec<f64> { null.iter().map(|c| f64::from(c[i])).collect() };
    let (mut e, mut r, mut t) = (column(0), column(1), column(2));
    let expected = Counts {
        either: mean(&e),
        result: mean(&r),
        turnout: mean(&t),
    };
    IntegerPercentages {
        stations_included: included_count,
        observed,
        expected,
        excess: Counts {
            either: observed.either as f64 - expected.either,
            result: observed.result as f64 - expected.result,
            turnout: observed.turnout as f64 - expected.turnout,
        },
        p999: Counts {
            either: quantile(&mut e, 0.999),
            result: quantile(&mut r, 0.999),
            turnout: quantile(&mut t, 0.999),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;
    use rand_distr::{Binomial, Distribution};

    #[test]
    fn whole_percentages_are_recognised_in_exact_arithmetic() {
        assert!(is_integer_percentage(50, 100));
        assert!(is_integer_percentage(0, 250));
        assert!(is_integer_percentage(250, 250));
        // 100·901/2000 = 45.05: on the bound, included.
        assert!(is_integer_percentage(901, 2000));
        // 100·899/2000 = 44.95: on the other bound.
        assert!(is_integer_percentage(899, 2000));
        // 100·9011/20000 = 45.055: just outside.
        assert!(!is_integer_percentage(9011, 20000));
        // 100·1/3 = 33.33…
        assert!(!is_integer_percentage(1, 3));
        // 1658 of 1950 is 85.03 %, 1619 of 1905 is 84.99 %, 263 of 309 is 85.11 %.
        assert!(is_integer_percentage(1658, 1950));
        assert!(is_integer_percentage(1619, 1905));
        assert!(!is_integer_percentage(263, 309));
        assert!(!is_integer_percentage(5, 0));
    }

    /// The landing probability by brute force: every k from 0 to n, ln C(n, k) by the
    /// multiplicative recurrence, the test by floating-point distance to the nearest integer.
    fn brute_force(x: u64, n: u64) -> f64 {
        let p = x as f64 / n as f64;
        let (lp, lq) = (p.ln(), (1.0 - p).ln());
        let mut ln_choose = 0.0;
        let mut total = 0.0;
        for k in 0..=n {
            let pct = 100.0 * k as f64 / n as f64;
            if (pct - pct.round()).abs() <= 0.05 + 1e-9 {
                total += (ln_choose + k as f64 * lp + (n - k) as f64 * lq).exp();
            }
            if k < n {
                ln_choose += ((n - k) as f64).ln() - ((k + 1) as f64).ln();
            }
        }
        total
    }

    #[test]
    fn the_landing_probability_sums_the_right_binomial_masses() {
        let ln_fact = ln_factorials(1000);
        for &(x, n) in &[
            (50, 100),
            (33, 100),
            (61, 137),
            (500, 999),
            (700, 1000),
            (1, 120),
            (119, 120),
        ] {
            let fast = landing_probability(x, n, &ln_fact);
            let slow = brute_force(x, n);
            assert!((fast - slow).abs() < 1e-12, "{x}/{n}: {fast} vs {slow}");
        }
        assert_eq!(landing_probability(0, 500, &ln_fact), 1.0);
        assert_eq!(landing_probability(500, 500, &ln_fact), 1.0);
    }

    fn synthetic(seed: u64, stations: usize) -> Election {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut election = Election {
            candidates: vec!["A".into(), "B".into()],
            ..Election::default()
        };
        for i in 0..stations {
            let registered: u64 = rng.gen_range(80..3000);
            let issued = Binomial::new(registered, rng.gen_range(0.3..0.9))
                .map(|b| b.sample(&mut rng))
                .unwrap_or(0);
            let cast = issued - issued / 100;
            let a = Binomial::new(cast, rng.gen_range(0.4..0.8))
                .map(|b| b.sample(&mut rng))
                .unwrap_or(0);
            election.stations.push(crate::Station {
                line: i as u64 + 2,
                registered: Some(registered),
                issued,
                cast,
                votes: vec![Some(a), Some(cast - a)],
                ..crate::Station::default()
            });
        }
        election
    }

    #[test]
    fn the_fast_null_has_the_distribution_of_the_literal_binomial_redraw() {
        let election = synthetic(7, 3000);
        let leader = 0;
        let rows: Vec<_> = election.stations.iter().filter_map(|s| included(s, leader)).collect();
        // The literal procedure: redraw both counts, recount.
        let reps = 400;
        let mut rng = ChaCha8Rng::seed_from_u64(99);
        let mut literal = [0f64; 3];
        for _ in 0..reps {
            for &(v, c, i, r) in &rows {
                let v2 = Binomial::new(c, v as f64 / c as f64)
                    .map(|b| b.sample(&mut rng))
                    .unwrap_or(0);
                let i2 = Binomial::new(r, i as f64 / r as f64)
                    .map(|b| b.sample(&mut rng))
                    .unwrap_or(0);
                let (a, b) = (is_integer_percentage(v2, c), is_integer_percentage(i2, r));
                literal[0] += f64::from(u8::from(a || b));
                literal[1] += f64::from(u8::from(a));
                literal[2] += f64::from(u8::from(b));
            }
        }
        let fast = null_counts(&landing_probabilities(&election, leader), reps, 5);
        for (i, lit) in literal.iter().enumerate() {
            let fast_mean = fast.iter().map(|c| f64::from(c[i])).sum::<f64>() / reps as f64;
            let lit_mean = lit / reps as f64;
            // Each mean has a standard error below sqrt(stations · 1/4 / reps) ≈ 1.4; the
            // difference of two independent means stays within 5 · 1.4 · √2 ≈ 10.
            assert!(
                (fast_mean - lit_mean).abs() < 10.0,
                "count {i}: fast {fast_mean}, literal {lit_mean}"
            );
        }
    }

    #[test]
    fn the_null_is_reproducible_and_thread_independent() {
        let election = synthetic(3, 500);
        let p = landing_probabilities(&election, 0);
        let a = null_counts(&p, 50, 11);
        let b = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .map(|pool| pool.install(|| null_counts(&p, 50, 11)))
            .unwrap_or_default();
        assert_eq!(a, b);
        assert_ne!(a, null_counts(&p, 50, 12));
    }

    #[test]
    fn quantiles_interpolate_like_numpy() {
        use crate::stats::quantile;
        let mut v: Vec<f64> = (1..=1000).map(f64::from).collect();
        // position 0.999 · 999 = 998.001 → 999 + 0.001 · (1000 − 999)
        assert!((quantile(&mut v, 0.999) - 999.001).abs() < 1e-9);
        let mut w = vec![3.0, 1.0, 2.0];
        assert_eq!(quantile(&mut w, 0.5), 2.0);
    }

    #[test]
    fn inclusion_follows_the_paper() {
        let s = |registered, issued, cast, leader| crate::Station {
            registered: Some(registered),
            issued,
            cast,
            votes: vec![Some(leader)],
            ..crate::Station::default()
        };
        assert!(included(&s(100, 50, 50, 25), 0).is_some());
        assert!(included(&s(99, 50, 50, 25), 0).is_none(), "fewer than 100 registered");
        assert!(included(&s(100, 50, 0, 0), 0).is_none(), "no ballots cast");
        assert!(included(&s(100, 99, 99, 25), 0).is_some(), "turnout 0.99 exactly");
        assert!(included(&s(100, 100, 99, 25), 0).is_none(), "turnout above 0.99");
        assert!(included(&s(1000, 500, 100, 99), 0).is_some(), "result 0.99 exactly");
        assert!(included(&s(1000, 500, 100, 100), 0).is_none(), "result above 0.99");
    }
}
