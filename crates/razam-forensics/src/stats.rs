//! Seeded random streams and small statistics shared by the analyses.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// What a stream is for; each purpose has its own key, so no two analyses share draws.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Purpose {
    IntegerNull = 1,
    Bootstrap = 2,
    Sample = 3,
}

/// The ChaCha8 stream `index` of the key made from `seed` and `purpose`.
pub(crate) fn stream(seed: u64, purpose: Purpose, index: u64) -> ChaCha8Rng {
    let mut key = [0u8; 32];
    key[..8].copy_from_slice(&seed.to_le_bytes());
    key[8..16].copy_from_slice(&(purpose as u64).to_le_bytes());
    let mut rng = ChaCha8Rng::from_seed(key);
    rng.set_stream(index);
    rng
}

/// The `q`-th quantile (0 ≤ q ≤ 1) of `values`, interpolating linearly between order
/// statistics at position `q·(len − 1)` (NumPy's default). 0 for no values.
pub fn quantile(values: &mut [f64], q: f64) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    values.sort_by(f64::total_cmp);
    let h = q * (values.len() - 1) as f64;
    let (lo, hi) = (h.floor() as usize, h.ceil() as usize);
    values[lo] + (h - lo as f64) * (values[hi] - values[lo])
}

/// The arithmetic mean; 0 for no values.
pub(crate) fn mean(values: &[f64]) -> f64 {
    if values.is_empty() {
        0.0
    } else {
        values.iter().sum::<f64>() / values.len() as f64
    }
}
