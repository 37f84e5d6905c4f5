//! Digit tests of the per-station vote counts, per candidate.
//!
//! **Second digit (2BL; W. Mebane, "Election forensics: vote counts and Benford's law", 2006)**:
//! the second significant digit of every count of 10 or more (one count per station and
//! candidate). Benford's law gives the frequencies `q_d = Σ_{k=1..9} log10(1 + 1/(10k + d))`
//! (0.120 for 0 down to 0.085 for 9) and the mean second digit 4.187. Mebane's statistic is
//! the mean second digit; deviations are read with its interval.
//!
//! **Last digit (Beber & Scacco, "What the numbers say", Political Analysis 2012)**: the last
//! digit of every count of 100 or more (so that it is neither the first nor the second digit),
//! expected uniform (0.1 each, mean 4.5). Invented numbers favour some digits.
//!
//! For both: the observed frequencies, Pearson's chi-square against the expected frequencies
//! (9 degrees of freedom; 16.92 is the 5 % critical value, 21.67 the 1 %), the mean digit and a
//! 95 % bootstrap interval of the mean: `B` resamples of the counts with replacement (drawn as
//! one multinomial of the ten digit counts, which is the same thing for a statistic of the
//! digits alone), the 2.5th and 97.5th percentiles of the resampled means. Seeded; resample
//! set `i` of candidate `c` uses its own stream.
//!
//! What they can show: counts that do not behave like counts, e.g. made up. What they cannot
//! show: fraud as such. Honest counts depart from 2BL when stations are of similar size and the
//! candidate's share is stable (Deckert, Myagkov & Ordeshook, Political Analysis 2011), and
//! with many stations any small departure is "significant": read the size of the departure,
//! not only its significance.

use rand_distr::{Binomial, Distribution};
use serde::Serialize;

use crate::Election;
use crate::stats::{Purpose, quantile, stream};

/// Pearson's chi-square with 9 degrees of freedom: the critical values at 5 % and 1 %.
pub const CHI2_9_CRITICAL_5: f64 = 16.919;
pub const CHI2_9_CRITICAL_1: f64 = 21.666;

#[derive(Debug, Clone, Serialize)]
pub struct Digits {
    pub second_digit: Vec<DigitTest>,
    pub last_digit: Vec<DigitTest>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DigitTest {
    pub candidate: String,
    /// Counts that qualified (10 or more for the second digit, 100 or more for the last).
    pub counts: u64,
    /// How many counts have each digit 0..9.
    pub frequencies: [u64; 10],
    /// The expected share of each digit.
    pub expected: [f64; 10],
    pub mean: f64,
    pub expected_mean: f64,
    /// 95 % bootstrap interval of the mean digit.
    pub mean_ci95: [f64; 2],
    pub chi_square: f64,
}

/// Benford's frequencies of the second significant digit.
pub fn benford_second_digit() -> [f64; 10] {
    let mut q = [0.0; 10];
    for (d, slot) in q.iter_mut().enumerate() {
        *slot = (1..=9).map(|k| (1.0 + 1.0 / (10 * k + d) as f64).log10()).sum();
    }
    q
}

/// The second significant digit of `n` (n ≥ 10).
pub fn second_digit(mut n: u64) -> u8 {
    while n >= 100 {
        n /= 10;
    }
    (n % 10) as u8
}

/// The test on a set of digit frequencies.
pub fn test(
    candidate: &str,
    frequencies: [u64; 10],
    expected: [f64; 10],
    bootstrap: usize,
    rng_index: u64,
    seed: u64,
) -> DigitTest {
    let n: u64 = frequencies.iter().sum();
    let mean_of = |f: &[u64; 10]| {
        let total: u64 = f.iter().sum();
        if total == 0 {
            0.0
        } else {
            f.iter().enumerate().map(|(d, &c)| d as f64 * c as f64).sum::<f64>() / total as f64
        }
    };
    let chi_square = if n == 0 {
        0.0
    } else {
        frequencies
            .iter()
            .zip(expected)
            .map(|(&o, e)| {
                let e = e * n as f64;
                (o as f64 - e).powi(2) / e
            })
            .sum()
    };
    let mut rng = stream(seed, Purpose::Bootstrap, rng_index);
    let mut means = Vec::with_capacity(bootstrap);
    for _ in 0..bootstrap {
        // Multinomial(n, observed shares) by conditional binomials.
        let mut left = n;
        let mut rest = n;
        let mut draw = [0u64; 10];
        for d in 0..10 {
            if left == 0 {
                break;
            }
            let c = if d == 9 || rest == 0 {
                left
            } else {
                let p = (frequencies[d] as f64 / rest as f64).clamp(0.0, 1.0);
                Binomial::new(left, p).map(|b| b.sample(&mut rng)).unwrap_or(0)
            };
            draw[d] = c;
            left -= c;
            rest -= frequencies[d];
        }
        means.push(mean_of(&draw));
    }
    let ci = if means.is_empty() {
        [f64::NAN; 2]
    } else {
        [quantile(&mut means, 0.025), quantile(&mut means, 0.975)]
    };
    DigitTest {
        candidate: candidate.to_string(),
        counts: n,
        frequencies,
        expected,
        mean: mean_of(&frequencies),
        expected_mean: expected.iter().enumerate().map(|(d, q)| d as f64 * q).sum(),
        mean_ci95: ci,
        chi_square,
    }
}

/// Both tests for every candidate.
pub fn digits(election: &Election, bootstrap: usize, seed: u64) -> Digits {
    let benford = benford_second_digit();
    let uniform = [0.1; 10];
    let mut second = Vec::new();
    let mut last = Vec::new();
    for (c, name) in election.candidates.iter().enumerate() {
        let mut f2 = [0u64; 10];
        let mut fl = [0u64; 10];
        for v in election
            .stations
            .iter()
            .filter_map(|s| s.votes.get(c).copied().flatten())
        {
            if v >= 10 {
                f2[second_digit(v) as usize] += 1;
            }
            if v >= 100 {
                fl[(v % 10) as usize] += 1;
            }
        }
        second.push(test(name, f2, benford, bootstrap, 2 * c as u64, seed));
        last.push(test(name, fl, uniform, bootstrap, 2 * c as u64 + 1, seed));
    }
    Digits {
        second_digit: second,
        last_digit: last,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Station;
    use rand::Rng;

    #[test]
    fn benford_second_digit_frequencies_are_the_published_ones() {
        let q = benford_second_digit();
        // The second-digit table as the literature prints it (Nigrini; Mebane 2006): .11968,
        // .11389, .10882, .10433, .10031, .09668, .09337, .09035, .08757, .08500.
        let published = [
            0.11968, 0.11389, 0.10882, 0.10433, 0.10031, 0.09668, 0.09337, 0.09035, 0.08757, 0.08500,
        ];
        for (a, b) in q.iter().zip(published) {
            assert!((a - b).abs() < 5e-6, "{a} vs {b}");
        }
        assert!((q.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        let mean: f64 = q.iter().enumerate().map(|(d, p)| d as f64 * p).sum();
        assert!((mean - 4.187).abs() < 5e-4);
        assert_eq!(second_digit(10), 0);
        assert_eq!(second_digit(1975), 9);
        assert_eq!(second_digit(47), 7);
    }

    /// Counts drawn from Benford's law (10^U, U uniform on [3, 8)) meet the expected second-digit
    /// frequencies, and the interval holds the expected mean.
    #[test]
    fn benford_counts_pass_and_uniform_counts_fail() {
        let mut rng = stream(42, Purpose::Sample, 0);
        let n = 200_000;
        let mut election = Election {
            candidates: vec!["benford".into(), "uniform".into()],
            ..Election::default()
        };
        for _ in 0..n {
            let b = 10f64.powf(rng.gen_range(3.0..8.0)).floor() as u64;
            let u = rng.gen_range(1_000..10_000u64);
            election.stations.push(Station {
                votes: vec![Some(b), Some(u)],
                ..Station::default()
            });
        }
        let d = digits(&election, 200, 1);
        let t = &d.second_digit[0];
        assert_eq!(t.counts, n);
        for (digit, (&o, e)) in t.frequencies.iter().zip(t.expected).enumerate() {
            // Standard error of a share near 0.1 over 200,000 counts: 0.00067; allow 5 of them.
            let share = o as f64 / n as f64;
            assert!((share - e).abs() < 0.0034, "digit {digit}: {share} vs {e}");
        }
        assert!(
            t.mean_ci95[0] <= t.expected_mean && t.expected_mean <= t.mean_ci95[1],
            "{:?}",
            t.mean_ci95
        );
        assert!(t.chi_square < CHI2_9_CRITICAL_1 * 2.0);
        // The interval is about ±1.96 · 2.87 / √200,000 = ±0.0126 wide.
        let half = (t.mean_ci95[1] - t.mean_ci95[0]) / 2.0;
        assert!((0.009..0.016).contains(&half), "half-width {half}");
        // Uniform four-digit numbers have uniform second digits: far from Benford.
        assert!(d.second_digit[1].chi_square > 500.0);
        // Their last digits are uniform, as the last-digit test expects.
        let l = &d.last_digit[1];
        assert!(l.mean_ci95[0] <= 4.5 && 4.5 <= l.mean_ci95[1], "{:?}", l.mean_ci95);
        // Reproducible from the seed.
        assert_eq!(digits(&election, 200, 1).second_digit[0].mean_ci95, t.mean_ci95);
    }
}
