//! The random draws the conditionals are made of: Gamma variates in log space, the Bartlett
//! decomposition of a Wishart draw, and the seeds of the label draws (docs/gibbs.md, G6-G8).

use nalgebra::DMatrix;
use rand::{Rng, RngExt};
use rand_distr::{Distribution, Gamma, StandardNormal};

/// `ln G` for `G ~ Gamma(shape, 1)`, `shape > 0` (G6).
///
/// For `shape < 1` a Gamma variate underflows to 0 as often as `U^(1/shape)` does, so the
/// log is drawn directly: `ln G = ln G' + ln(U) / shape` with `G' ~ Gamma(shape + 1, 1)` and
/// `U ~ U(0, 1]` (Marsaglia & Tsang 2000, section 3). The result is finite for any
/// `shape >= 1e-300`.
pub(crate) fn ln_gamma_variate<R: Rng + ?Sized>(shape: f64, rng: &mut R) -> f64 {
    debug_assert!(shape > 0.0 && shape.is_finite());
    if shape < 1.0 {
        let u = 1.0 - rng.random::<f64>(); // in (0, 1]
        return ln_gamma_variate(shape + 1.0, rng) + u.ln() / shape;
    }
    let g: f64 = Gamma::new(shape, 1.0)
        .expect("a finite shape >= 1 is a valid Gamma shape")
        .sample(rng);
    g.ln()
}

/// `(ln V, ln(1 - V))` for `V ~ Beta(a, b)`, from two Gamma variates in log space:
/// `V = G_a / (G_a + G_b)`.
pub(crate) fn ln_beta_variate<R: Rng + ?Sized>(a: f64, b: f64, rng: &mut R) -> (f64, f64) {
    let ga = ln_gamma_variate(a, rng);
    let gb = ln_gamma_variate(b, rng);
    let total = gmm_core::logsumexp(&[ga, gb]);
    (ga - total, gb - total)
}

/// A standard normal variate.
pub(crate) fn standard_normal<R: Rng + ?Sized>(rng: &mut R) -> f64 {
    StandardNormal.sample(rng)
}

/// The Bartlett factor of a Wishart draw with `nu` degrees of freedom in `d` dimensions
/// (G7): lower triangular `A` with `A_ii = sqrt(chi^2_{nu - i})` (`i = 0..d`) and standard
/// normal entries below the diagonal, so that `L A A^T L^T ~ W(L L^T, nu)`.
/// Requires `nu > d - 1`.
pub(crate) fn bartlett_factor<R: Rng + ?Sized>(nu: f64, d: usize, rng: &mut R) -> DMatrix<f64> {
    let mut a = DMatrix::zeros(d, d);
    for i in 0..d {
        // chi^2_k = 2 Gamma(k/2, 1).
        let half_chi2 = ln_gamma_variate(0.5 * (nu - i as f64), rng).exp();
        a[(i, i)] = (2.0 * half_chi2).sqrt();
        for j in 0..i {
            a[(i, j)] = standard_normal(rng);
        }
    }
    a
}

/// SplitMix64's finaliser: a well-mixed 64-bit value of `x` (Steele, Lea & Flood 2014).
/// A bijection of `u64`: different inputs give different outputs.
fn mix64(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// The seed of the stream `index` under `seed` (the sweeps of a chain under the chain's
/// seed, the chunks of points under a sweep's seed): the label draws of a chunk depend on
/// nothing else, whichever thread runs it (G8).
pub(crate) fn stream_seed(seed: u64, index: u64) -> u64 {
    mix64(mix64(seed) ^ index.wrapping_mul(0xD6E8_FEB8_6659_FD93))
}

/// Domain key of the chain seeds, so that no chain seed is computed the way a sweep's or a
/// chunk's stream seed is.
const CHAIN_KEY: u64 = 0x6368_6169_6e73_6565; // "chainsee"

/// The seed of chain `chain` under the fit's `seed` (G8):
/// `mix64(mix64(seed) + mix64(chain ^ CHAIN_KEY))`. For one chain index the map from `seed`
/// is a bijection (a sum with a constant between two bijections), so two different seeds
/// never give chain `c` the same stream; across chain indices the seeds are hashes of both
/// numbers, as unrelated as two 64-bit hashes (unlike `seed + c`, where chain `c + 1` of seed
/// `s` was chain `c` of seed `s + 1`).
pub(crate) fn chain_seed(seed: u64, chain: u64) -> u64 {
    mix64(mix64(seed).wrapping_add(mix64(chain ^ CHAIN_KEY)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{SeedableRng, rngs::StdRng};

    /// Mean and variance of `n` draws of `f`.
    fn moments(n: usize, mut f: impl FnMut() -> f64) -> (f64, f64) {
        let xs: Vec<f64> = (0..n).map(|_| f()).collect();
        let m = xs.iter().sum::<f64>() / n as f64;
        let v = xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1) as f64;
        (m, v)
    }

    #[test]
    fn log_gamma_variates_have_the_gamma_moments() {
        // E[G] = a, Var[G] = a; |z| < 4 on 40,000 draws for shapes below and above 1.
        let mut rng = StdRng::seed_from_u64(3);
        for a in [0.05, 0.5, 1.0, 3.7] {
            let n = 40_000;
            let (m, v) = moments(n, || ln_gamma_variate(a, &mut rng).exp());
            let z = (m - a) / (a / n as f64).sqrt();
            assert!(z.abs() < 4.0, "shape {a}: mean {m}, z {z}");
            if a >= 0.5 {
                assert!((v / a - 1.0).abs() < 0.1, "shape {a}: variance {v}");
            }
        }
    }

    #[test]
    fn tiny_shapes_give_finite_logs() {
        let mut rng = StdRng::seed_from_u64(1);
        for _ in 0..1000 {
            assert!(ln_gamma_variate(1e-300, &mut rng).is_finite());
        }
    }

    #[test]
    fn stream_seeds_differ_by_each_index() {
        let s = stream_seed(7, 3);
        assert_ne!(s, stream_seed(8, 3));
        assert_ne!(s, stream_seed(7, 4));
        assert_ne!(stream_seed(0, 0), stream_seed(0, 1));
        assert_eq!(s, stream_seed(7, 3));
    }

    #[test]
    fn consecutive_seeds_share_no_chain_seed() {
        // Every chain seed of seeds 0..200 with 8 chains each is different.
        let mut all: Vec<u64> = (0..200u64)
            .flat_map(|s| (0..8u64).map(move |c| chain_seed(s, c)))
            .collect();
        let n = all.len();
        all.sort_unstable();
        all.dedup();
        assert_eq!(all.len(), n);
        assert_eq!(chain_seed(5, 1), chain_seed(5, 1));
    }
}
