//! Shared set-up of the benchmarks: the problem sizes and their data.
//!
//! Every problem is drawn from `gmm::core::synthetic::separated(K, D)` with a fixed seed, so
//! every run (and the comparison script, which writes the same kind of data to CSV) sees the
//! same points.

#![allow(dead_code)]

use gmm::core::{CovarianceType, Covariances, Dataset, EStepKernel, GaussianMixture, synthetic};
use nalgebra::{DMatrix, DVector};

/// The (N, D, K) sizes of issue 6.
pub const SIZES: [(usize, usize, usize); 4] = [
    (100_000, 2, 8),
    (100_000, 8, 8),
    (20_000, 32, 8),
    (1_000_000, 8, 8),
];

/// The two covariance types the benches time.
pub const TYPES: [CovarianceType; 2] = [CovarianceType::Full, CovarianceType::Diagonal];

/// Seed of the data draw.
pub const DATA_SEED: u64 = 20261123;

/// N points drawn from the separated mixture of K components in D dimensions.
pub fn data(n: usize, d: usize, k: usize) -> Dataset {
    synthetic::draw(&synthetic::separated(k, d), n, DATA_SEED)
        .expect("a valid draw")
        .data
}

/// A mixture in the middle of a fit: the true means shifted by half a unit, the true
/// covariances doubled (so responsibilities are spread over several components, as they are
/// in the first iterations), equal weights, of the requested covariance type.
pub fn mid_fit_model(d: usize, k: usize, kind: CovarianceType) -> GaussianMixture {
    let truth = synthetic::separated(k, d);
    let means = truth.means().map(|v| v + 0.5);
    let full: Vec<DMatrix<f64>> = (0..k)
        .map(|c| truth.covariances().full_matrix(c, d) * 2.0)
        .collect();
    let covariances = match kind {
        CovarianceType::Full => Covariances::Full(full),
        CovarianceType::Diagonal => {
            Covariances::Diagonal(full.iter().map(|m| m.diagonal()).collect())
        }
        other => panic!("benches time full and diagonal covariances, not {other:?}"),
    };
    GaussianMixture::new(DVector::from_element(k, 1.0 / k as f64), means, covariances)
        .expect("a valid mixture")
}

/// The E-step kernel of [`mid_fit_model`].
pub fn mid_fit_kernel(d: usize, k: usize, kind: CovarianceType) -> EStepKernel {
    mid_fit_model(d, k, kind).kernel().clone()
}

/// A short label such as `full/N100000_D8_K8`.
pub fn label(kind: CovarianceType, n: usize, d: usize, k: usize) -> String {
    format!("{}/N{n}_D{d}_K{k}", kind.name())
}

/// Floating-point operations of one E-step (kernel and sufficient statistics) over N points,
/// counting a multiply-add as two flops and `exp` as one (docs/performance.md):
/// - full: `N K (2 D^2 + 9 D + 6)`: the triangular product `D (D + 1)`, the difference and
///   the square sum `3 D`, then for the statistics `N_k`, the mean `2 D + 1`, the centred
///   difference `D`, the scaled difference `D` and the upper triangle of the rank-one update
///   `D (D + 1)`, and 5 for the constant, logsumexp and `r ln r`;
/// - diagonal: `N K (10 D + 6)`: `4 D` for the scaled distance, `2 D + 1` for `N_k` and the
///   mean, `4 D` for the diagonal scatter, and 5 for the rest.
pub fn e_step_flops(n: usize, d: usize, k: usize, kind: CovarianceType) -> f64 {
    let (n, d, k) = (n as f64, d as f64, k as f64);
    match kind {
        CovarianceType::Full => n * k * (2.0 * d * d + 9.0 * d + 6.0),
        _ => n * k * (10.0 * d + 6.0),
    }
}

/// The `reg_covar` of every bench (scikit-learn's default).
pub const REG_COVAR: f64 = 1e-6;

/// What the benches' E-steps expect of their data: the kernel's number of features.
pub const SAME_D: &str = "data of the kernel's dimension";

/// The starting means of whole fits and of the comparison script: the true means shifted by
/// half a unit (the means of [`mid_fit_model`]).
pub fn initial_means(d: usize, k: usize) -> DMatrix<f64> {
    synthetic::separated(k, d).means().map(|v| v + 0.5)
}

/// One EM iteration: the E-step with the model's kernel, then the M-step.
pub fn em_iteration(data: &Dataset, model: &GaussianMixture) -> GaussianMixture {
    let kind = model.covariance_type();
    let out = model
        .kernel()
        .e_step(data, kind.scatter_kind())
        .expect(SAME_D);
    gmm::em::m_step(&out.stats, kind, REG_COVAR).expect("a valid M-step")
}

/// The points of `data` rounded to `f32`, row-major (the single-precision benches).
pub fn narrowed(data: &Dataset) -> Vec<f32> {
    data.as_slice().iter().map(|&x| x as f32).collect()
}

/// Passes over single-precision points as a fit holds them, their first pass (the one
/// that checks every value of a borrowed slice) already run: the E-steps timed on them are
/// those of a fit's later iterations, as [`e_step`] on a checked `Dataset` is.
pub fn checked_passes<'s>(source: &'s mut gmm::core::SliceSource<'_>) -> gmm::core::Passes<'s> {
    let mut passes = gmm::core::Passes::new(source);
    passes.summary().expect("a valid first pass");
    passes
}

/// The E-step over single-precision points (`f32` lanes where the model allows; one pass
/// through `Passes`, as a fit reads them; see [`checked_passes`]).
pub fn e_step_f32(
    passes: &mut gmm::core::Passes<'_>,
    model: &GaussianMixture,
    kind: CovarianceType,
) -> gmm::core::EStepOutput {
    model
        .kernel()
        .e_step_pass(passes, kind.scatter_kind())
        .expect("a valid pass")
}

/// [`em_iteration`] on single-precision points.
pub fn em_iteration_f32(
    passes: &mut gmm::core::Passes<'_>,
    model: &GaussianMixture,
) -> GaussianMixture {
    let kind = model.covariance_type();
    let out = e_step_f32(passes, model, kind);
    gmm::em::m_step(&out.stats, kind, REG_COVAR).expect("a valid M-step")
}

/// The VB priors (scikit-learn's defaults for the data) and the state after an M-step from
/// the responsibilities of [`mid_fit_model`].
pub fn vb_start(
    data: &Dataset,
    d: usize,
    k: usize,
    kind: CovarianceType,
) -> (gmm::vb::Priors, gmm::vb::VariationalState) {
    let priors = gmm::vb::VbParams::new(k)
        .covariance_type(kind)
        .resolve_priors(data)
        .expect("valid priors");
    let out = mid_fit_kernel(d, k, kind)
        .e_step(data, kind.scatter_kind())
        .expect(SAME_D);
    let state = gmm::vb::m_step(&out.stats, &priors, kind, REG_COVAR).expect("a valid M-step");
    (priors, state)
}

/// One VB iteration: the E-step with the state's kernel, the M-step and the full ELBO.
pub fn vb_iteration(
    data: &Dataset,
    state: &gmm::vb::VariationalState,
    priors: &gmm::vb::Priors,
) -> gmm::vb::VariationalState {
    gmm::vb::iterate(data, state, priors, REG_COVAR)
        .expect("a valid iteration")
        .0
}

/// EM parameters of the whole-fit bench: tol 0, `max_iter` iterations from [`initial_means`].
pub fn em_params(d: usize, k: usize, kind: CovarianceType, max_iter: usize) -> gmm::em::EmParams {
    gmm::em::EmParams::new(k)
        .covariance_type(kind)
        .tol(0.0)
        .max_iter(max_iter)
        .init(gmm::core::InitMethod::FromMeans(initial_means(d, k)))
}

/// VB parameters of the whole-fit bench, as [`em_params`].
pub fn vb_params(d: usize, k: usize, kind: CovarianceType, max_iter: usize) -> gmm::vb::VbParams {
    gmm::vb::VbParams::new(k)
        .covariance_type(kind)
        .tol(0.0)
        .max_iter(max_iter)
        .init(gmm::core::InitMethod::FromMeans(initial_means(d, k)))
}
