//! Missing values made on purpose: each value of a data set missing completely at random
//! (MCAR), from a seed, reproducibly and without a random-number crate.

use gmm_core::{Dataset, MissingPolicy};

/// A uniform number in [0, 1) from `(seed, i)` (SplitMix64's finaliser).
pub fn uniform_from(seed: u64, i: u64) -> f64 {
    let mut z = seed
        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
        .wrapping_add(i.wrapping_mul(0xBF58_476D_1CE4_E5B9));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    (z >> 11) as f64 / (1u64 << 53) as f64
}

/// `data` with each value missing (NaN) with probability `rate`, independently (MCAR),
/// drawn from `seed`; a row that would lose every value keeps its coordinate `n % D`. The
/// result marks its missing values (`MissingPolicy::Marginalise`); weights are dropped.
///
/// # Panics
/// If the data set cannot be made (a test's mistake).
pub fn missing_completely_at_random(data: &Dataset, rate: f64, seed: u64) -> Dataset {
    let d = data.n_features();
    let mut values = data.as_slice().to_vec();
    for (n, row) in values.chunks_exact_mut(d).enumerate() {
        for (j, v) in row.iter_mut().enumerate() {
            if uniform_from(seed, (n * d + j) as u64) < rate {
                *v = f64::NAN;
            }
        }
        if row.iter().all(|v| v.is_nan()) {
            row[n % d] = data.row(n)[n % d];
        }
    }
    Dataset::from_row_major_with_policy(data.n_samples(), d, values, MissingPolicy::Marginalise)
        .expect("the masked data set")
}
