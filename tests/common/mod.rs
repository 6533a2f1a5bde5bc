//! Shared generators and checks of the property suite (see docs/testing.md).
//!
//! Every random choice inside a property comes from a seed that proptest generates, so a
//! failing case shrinks and replays exactly.
#![allow(dead_code)]

use gmm::core::{
    CovarianceType, Covariances, Dataset, GaussianMixture, InitMethod, SufficientStats,
};
use nalgebra::{DMatrix, DVector};
use proptest::prelude::*;
use rand::{RngExt, SeedableRng, rngs::StdRng, seq::SliceRandom};

/// Environment variable that sets the number of cases of every property.
pub const CASES_VAR: &str = "GMM_PROPTEST_CASES";

/// Default number of cases per property: small, so that `cargo test --workspace` stays quick.
pub const DEFAULT_CASES: u32 = 64;

/// Number of cases per property: `GMM_PROPTEST_CASES` if set, else [`DEFAULT_CASES`].
pub fn cases() -> u32 {
    std::env::var(CASES_VAR)
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .filter(|&n: &u32| n > 0)
        .unwrap_or(DEFAULT_CASES)
}

/// Proptest configuration with [`cases`] cases.
pub fn config() -> ProptestConfig {
    ProptestConfig {
        cases: cases(),
        // A failure prints its minimal input; set PROPTEST_RNG_SEED to replay a run.
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Proptest configuration for expensive properties (whole fits): `cases / divisor`, at least 4.
pub fn config_expensive(divisor: u32) -> ProptestConfig {
    ProptestConfig {
        cases: (cases() / divisor).max(4),
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// A covariance type from an index (generated as `0..4`).
pub fn covariance_type(i: usize) -> CovarianceType {
    CovarianceType::ALL[i % 4]
}

/// Strategy over the four covariance types.
pub fn any_covariance_type() -> impl Strategy<Value = CovarianceType> {
    (0usize..4).prop_map(covariance_type)
}

/// What a generated mixture is made from: its shape, type and the seed of its numbers.
#[derive(Debug, Clone, Copy)]
pub struct MixtureSpec {
    /// Dimension D (1 to 6).
    pub d: usize,
    /// Number of components K.
    pub k: usize,
    /// Covariance type.
    pub covariance_type: CovarianceType,
    /// Seed of the weights, means and covariances.
    pub seed: u64,
}

/// Strategy over mixtures of dimension 1-6, `k_max` components at most, every type.
pub fn mixture_spec(k_max: usize) -> impl Strategy<Value = MixtureSpec> {
    (
        1usize..=6,
        1usize..=k_max,
        any_covariance_type(),
        any::<u64>(),
    )
        .prop_map(|(d, k, covariance_type, seed)| MixtureSpec {
            d,
            k,
            covariance_type,
            seed,
        })
}

/// A random symmetric positive definite matrix `s A A^T + 0.2 I` with `A` in `[-1, 1]`.
pub fn random_spd(rng: &mut StdRng, d: usize) -> DMatrix<f64> {
    let a = DMatrix::from_fn(d, d, |_, _| rng.random_range(-1.0..1.0));
    let s: f64 = rng.random_range(0.1..0.5);
    let m = &a * a.transpose() * s + DMatrix::identity(d, d) * 0.2;
    // exactly symmetric
    DMatrix::from_fn(d, d, |i, j| if i <= j { m[(i, j)] } else { m[(j, i)] })
}

/// Random covariances of type `ct` for `k` components in `d` dimensions.
pub fn random_covariances(rng: &mut StdRng, ct: CovarianceType, k: usize, d: usize) -> Covariances {
    match ct {
        CovarianceType::Full => Covariances::Full((0..k).map(|_| random_spd(rng, d)).collect()),
        CovarianceType::Tied => Covariances::Tied(random_spd(rng, d)),
        CovarianceType::Diagonal => Covariances::Diagonal(
            (0..k)
                .map(|_| DVector::from_fn(d, |_, _| rng.random_range(0.2..3.0)))
                .collect(),
        ),
        CovarianceType::Spherical => {
            Covariances::Spherical((0..k).map(|_| rng.random_range(0.2..3.0)).collect())
        }
    }
}

/// Random weights in `[0.2, 1]`, normalised.
pub fn random_weights(rng: &mut StdRng, k: usize) -> DVector<f64> {
    let w = DVector::from_fn(k, |_, _| rng.random_range(0.2..1.0));
    let s = w.sum();
    w / s
}

impl MixtureSpec {
    /// The mixture: means uniform in `[-spread, spread]`.
    pub fn build(&self, spread: f64) -> GaussianMixture {
        let mut rng = StdRng::seed_from_u64(self.seed);
        let weights = random_weights(&mut rng, self.k);
        let means = DMatrix::from_fn(self.k, self.d, |_, _| rng.random_range(-spread..spread));
        let covs = random_covariances(&mut rng, self.covariance_type, self.k, self.d);
        GaussianMixture::new(weights, means, covs).expect("generated mixtures are valid")
    }

    /// A well-separated mixture: component `c` has its mean at `30 c` along the first axis
    /// (plus a small offset in the others); the largest standard deviation [`random_spd`]
    /// can give is below 4.3 (typically below 2), so neighbours are more than 7 (typically
    /// 15) standard deviations apart.
    pub fn build_separated(&self) -> GaussianMixture {
        let mut rng = StdRng::seed_from_u64(self.seed);
        let weights = random_weights(&mut rng, self.k);
        let means = DMatrix::from_fn(self.k, self.d, |c, j| {
            if j == 0 {
                30.0 * c as f64
            } else {
                rng.random_range(-2.0..2.0)
            }
        });
        let covs = random_covariances(&mut rng, self.covariance_type, self.k, self.d);
        GaussianMixture::new(weights, means, covs).expect("generated mixtures are valid")
    }
}

/// `n` points drawn from `gm` with `seed`.
pub fn sample(gm: &GaussianMixture, n: usize, seed: u64) -> Dataset {
    gm.sample(n, &mut StdRng::seed_from_u64(seed))
        .expect("sampling a valid mixture")
        .0
}

/// A random permutation of `0..n` from `seed`.
pub fn permutation(n: usize, seed: u64) -> Vec<usize> {
    let mut p: Vec<usize> = (0..n).collect();
    p.shuffle(&mut StdRng::seed_from_u64(seed));
    p
}

/// The mixture with its components reordered: new component `i` is old component `perm[i]`.
pub fn permute_components(gm: &GaussianMixture, perm: &[usize]) -> GaussianMixture {
    let d = gm.means().ncols();
    let weights = DVector::from_fn(perm.len(), |i, _| gm.weights()[perm[i]]);
    let means = DMatrix::from_fn(perm.len(), d, |i, j| gm.means()[(perm[i], j)]);
    let covs = match gm.covariances() {
        Covariances::Full(m) => Covariances::Full(perm.iter().map(|&p| m[p].clone()).collect()),
        Covariances::Diagonal(v) => {
            Covariances::Diagonal(perm.iter().map(|&p| v[p].clone()).collect())
        }
        Covariances::Spherical(v) => Covariances::Spherical(perm.iter().map(|&p| v[p]).collect()),
        Covariances::Tied(m) => Covariances::Tied(m.clone()),
    };
    GaussianMixture::new(weights, means, covs).expect("a permuted valid mixture is valid")
}

/// Random responsibilities, N x K row-major, rows summing to 1; about a third of the entries
/// are exact zeros (hard-ish assignments), every row keeps at least one positive entry.
pub fn random_responsibilities(n: usize, k: usize, seed: u64) -> Vec<f64> {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut resp = Vec::with_capacity(n * k);
    for _ in 0..n {
        let keep = rng.random_range(0..k);
        let row: Vec<f64> = (0..k)
            .map(|c| {
                if c != keep && rng.random_bool(0.33) {
                    0.0
                } else {
                    rng.random_range(0.01..1.0)
                }
            })
            .collect();
        let s: f64 = row.iter().sum();
        resp.extend(row.iter().map(|v| v / s));
    }
    resp
}

/// Largest absolute entry of a matrix (0 for an empty one).
pub fn max_abs(m: &DMatrix<f64>) -> f64 {
    m.iter().fold(0.0, |a, v| a.max(v.abs()))
}

/// Checks two statistics describe the same soft partition: `N_k`, means and scatter agree
/// within `rel` of their scale. Means are compared through `mean(k)`, so the origins may
/// differ.
pub fn stats_close(a: &SufficientStats, b: &SufficientStats, rel: f64) -> Result<(), String> {
    if a.n_components() != b.n_components() || a.n_features() != b.n_features() {
        return Err("shapes differ".into());
    }
    for k in 0..a.n_components() {
        let (na, nb) = (a.n_k()[k], b.n_k()[k]);
        if (na - nb).abs() > rel * nb.abs().max(1.0) {
            return Err(format!("N_{k}: {na} vs {nb}"));
        }
        if nb == 0.0 {
            continue;
        }
        let (ma, mb) = (a.mean(k), b.mean(k));
        let mscale = mb.iter().fold(1.0f64, |s, v| s.max(v.abs()));
        let merr = (&ma - &mb).abs().max();
        if merr > rel * mscale {
            return Err(format!("mean {k}: {ma} vs {mb} (error {merr:e})"));
        }
        let (sa, sb) = (a.scatter(k), b.scatter(k));
        // Rounding in the centred scatter is relative to N_k times the squared spread of
        // the coordinates around their common origin, not to the scatter itself.
        let sscale = max_abs(&sb).max(nb * mscale * mscale * 1e-6);
        let serr = max_abs(&(&sa - &sb));
        if serr > rel * sscale {
            return Err(format!("scatter {k}: error {serr:e} of scale {sscale:e}"));
        }
    }
    Ok(())
}

/// FNV-1a hash of the bits of a sequence of floats (for bit-for-bit comparisons across
/// processes).
pub fn fingerprint<I: IntoIterator<Item = f64>>(values: I) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for v in values {
        for b in v.to_bits().to_le_bytes() {
            h ^= b as u64;
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

/// `|a - b| <= rel * max(|a|, |b|, floor)`.
pub fn close(a: f64, b: f64, rel: f64, floor: f64) -> bool {
    (a - b).abs() <= rel * a.abs().max(b.abs()).max(floor)
}

/// Checks that `estimate` (fitted on `n` points drawn from `truth`, a mixture from
/// [`MixtureSpec::build_separated`]) recovers `truth`. Components are matched by the first
/// coordinate of their means (the truth's are 30 apart). With `w` a true weight and `Sigma`
/// the true covariance, the tolerances are sampling standard errors:
/// weights `5 sqrt(w (1 - w) / n) + 1e-3`; means `5 sqrt(Sigma_jj / (n w))`; covariance
/// entries `6 sqrt((Sigma_ii Sigma_jj + Sigma_ij^2) / (n w)) + 1e-3` (the standard error of a
/// sample covariance entry; tied covariances pool all `n` points).
pub fn check_recovery(
    truth: &GaussianMixture,
    estimate: &GaussianMixture,
    n: usize,
) -> Result<(), String> {
    let (k, d) = (truth.means().nrows(), truth.means().ncols());
    if estimate.means().shape() != (k, d) {
        return Err("shapes differ".into());
    }
    let mut order: Vec<usize> = (0..k).collect();
    order.sort_by(|&a, &b| estimate.means()[(a, 0)].total_cmp(&estimate.means()[(b, 0)]));
    let nf = n as f64;
    let tied = matches!(truth.covariances(), Covariances::Tied(_));
    for (c, &e) in order.iter().enumerate() {
        let w = truth.weights()[c];
        let we = estimate.weights()[e];
        let tol_w = 5.0 * (w * (1.0 - w) / nf).sqrt() + 1e-3;
        if (we - w).abs() > tol_w {
            return Err(format!("weight {c}: {we} vs {w} (tolerance {tol_w:e})"));
        }
        let sigma = truth.covariances().full_matrix(c, d);
        let sigma_e = estimate.covariances().full_matrix(e, d);
        let n_c = if tied { nf } else { nf * w };
        for j in 0..d {
            let (m, me) = (truth.means()[(c, j)], estimate.means()[(e, j)]);
            let tol_m = 5.0 * (sigma[(j, j)] / (nf * w)).sqrt();
            if (me - m).abs() > tol_m {
                return Err(format!("mean {c}[{j}]: {me} vs {m} (tolerance {tol_m:e})"));
            }
            for i in 0..d {
                let s = sigma[(i, j)];
                let tol_s = 6.0 * ((sigma[(i, i)] * sigma[(j, j)] + s * s) / n_c).sqrt() + 1e-3;
                if (sigma_e[(i, j)] - s).abs() > tol_s {
                    return Err(format!(
                        "covariance {c}[{i}, {j}]: {} vs {s} (tolerance {tol_s:e})",
                        sigma_e[(i, j)]
                    ));
                }
            }
        }
    }
    Ok(())
}

/// One of the four initialisation methods that need no extra input, by index (`i % 4`).
pub fn init_method(i: usize) -> InitMethod {
    [
        InitMethod::KMeans,
        InitMethod::KMeansPlusPlus,
        InitMethod::Random,
        InitMethod::RandomFromData,
    ][i % 4]
        .clone()
}

/// Data for a fit: `n` points from an overlapping mixture (so EM takes many iterations).
pub fn fit_data(spec: &MixtureSpec, per_component: usize, seed: u64) -> Dataset {
    let gm = spec.build(3.0);
    sample(&gm, per_component * spec.k + 4 * spec.d, seed)
}
