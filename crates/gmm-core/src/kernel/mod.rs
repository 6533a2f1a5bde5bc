//! The one E-step kernel both estimators share (docs/maths.md, eqs. E1-E4).
//!
//! Per component the kernel holds a mean `m_k`, an upper triangular factor `P_k` and a
//! constant `c_k`; for a point `x` it computes
//!
//! ```text
//! log rho_k(x) = c_k - 1/2 || P_k^T (x - m_k) ||^2
//! log r_k(x)   = log rho_k(x) - logsumexp_j log rho_j(x)
//! ```
//!
//! EM gives `c_k = ln w_k + sum ln diag(P_k) - D/2 ln 2 pi` with `P_k` the precision Cholesky
//! factor; VB gives `c_k = E[ln pi_k] + 1/2 E[ln |Lambda_k|] - D/2 ln 2 pi - D / (2 beta_k)`
//! with `P_k` the factor of `nu_k W_k`. The kernel does not know which.
//!
//! It runs over fixed-size chunks of points in parallel (rayon), accumulates each chunk's
//! [`SufficientStats`] while the chunk's responsibilities are alive, and merges the chunks'
//! statistics in chunk order. The chunk size depends only on D, so the result is the same
//! bit for bit on any number of threads, and no N x K matrix is ever held while fitting.

mod chunk;
mod factors;
mod lanes;
mod missing;
mod output_wire;
mod precision;
mod queries;
mod responsibilities;
#[cfg(test)]
mod tests;
mod triangular;

use nalgebra::{DMatrix, DVector};
use rayon::prelude::*;

use crate::covariance::PrecisionCholesky;
use crate::data::Dataset;
use crate::error::{GmmError, Result};
use crate::simd::Lane;
use crate::source::{Passes, Points, Precision};
use crate::stats::{ScatterKind, SufficientStats, block_rows};

use factors::Factors;
use lanes::KernelLane;
pub use output_wire::{E_STEP_FORMAT, E_STEP_FORMAT_VERSION};
pub use precision::SINGLE_PRECISION_LIMIT;

/// [`GmmError::ShapeMismatch`] (naming `what`) unless `found == expected`.
fn check_len(what: &str, expected: usize, found: usize) -> Result<()> {
    if found != expected {
        return Err(GmmError::ShapeMismatch {
            what: what.into(),
            expected,
            found,
        });
    }
    Ok(())
}

/// `D/2 ln(2 pi)` for dimension `d`.
pub fn half_log_2pi(d: usize) -> f64 {
    0.5 * d as f64 * (2.0 * std::f64::consts::PI).ln()
}

/// The shared E-step: means, whitening factors and constants of K components.
///
/// # Examples
/// ```
/// use gmm_core::{Dataset, EStepKernel, PrecisionCholesky, ScatterKind};
/// use nalgebra::DMatrix;
/// // Two unit-variance components at -1 and +1 with equal constants.
/// let means = DMatrix::from_row_slice(2, 1, &[-1.0, 1.0]);
/// let factors = PrecisionCholesky::Spherical(vec![1.0, 1.0]);
/// let kernel = EStepKernel::new(&means, &factors, vec![0.0, 0.0])?;
/// let data = Dataset::from_slice_1d(&[0.0, 3.0])?;
/// let out = kernel.e_step(&data, ScatterKind::Full)?;
/// // The point at 0 is shared equally; the point at 3 belongs mostly to component 1.
/// assert!((out.stats.n_k()[0] + out.stats.n_k()[1] - 2.0).abs() < 1e-12);
/// assert!(out.stats.n_k()[1] > 1.4);
/// # Ok::<(), gmm_core::GmmError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct EStepKernel {
    n_features: usize,
    n_components: usize,
    /// K x D, row-major.
    means: Vec<f64>,
    factors: Factors,
    /// `factors` rounded to `f32`, for the single-precision E-step.
    narrow_factors: Factors<f32>,
    log_constants: Vec<f64>,
    /// The factors' norms for [`Self::single_precision_error`], once asked for.
    factor_norms: precision::FactorNorms,
}

/// What one pass of the E-step over a data set returns.
#[derive(Debug, Clone, PartialEq)]
pub struct EStepOutput {
    /// Sufficient statistics of the responsibilities.
    pub stats: SufficientStats,
    /// `sum_n logsumexp_k log rho_nk`: the log-likelihood for EM's constants.
    pub log_norm_sum: f64,
    /// `sum_n sum_k r_nk ln r_nk` (the negative entropy of the responsibilities; VB's
    /// `E[ln q(Z)]`).
    pub resp_log_resp_sum: f64,
    /// `sum_n w_n sum_k r_nk H[q(x_nm | z_n = k)]`: the entropy of the missing coordinates'
    /// conditional Gaussians (docs/vb.md, "Missing values"), 0 without missing values. VB's
    /// ELBO adds it; EM's bound does not need it.
    pub missing_entropy_sum: f64,
    /// Number of points visited.
    pub n_samples: usize,
    /// Sum of the visited points' weights (`n_samples` without weights): the N of per-point
    /// averages.
    pub total_weight: f64,
    /// The lanes the E-step computed in: [`Precision::F32`] when any batch ran in `f32`
    /// lanes (single-precision points and a model that allows them, see
    /// [`EStepKernel::e_step_batch`]), else [`Precision::F64`].
    pub lanes: Precision,
}

impl EStepOutput {
    /// The output of a pass over no points: statistics of K components with means stored
    /// relative to `origin`.
    pub fn zeros(k: usize, origin: &[f64], kind: ScatterKind) -> Self {
        Self {
            stats: SufficientStats::zeros(k, origin, kind),
            log_norm_sum: 0.0,
            resp_log_resp_sum: 0.0,
            missing_entropy_sum: 0.0,
            n_samples: 0,
            total_weight: 0.0,
            lanes: Precision::F64,
        }
    }

    /// Adds the output of a disjoint set of points (the statistics by Chan's update, the
    /// sums by addition).
    pub fn merge(&mut self, other: &EStepOutput) {
        self.stats.merge(&other.stats);
        self.log_norm_sum += other.log_norm_sum;
        self.resp_log_resp_sum += other.resp_log_resp_sum;
        self.missing_entropy_sum += other.missing_entropy_sum;
        self.n_samples += other.n_samples;
        self.total_weight += other.total_weight;
        if other.lanes == Precision::F32 {
            self.lanes = Precision::F32;
        }
    }
}

impl EStepKernel {
    /// Builds a kernel from K x D means, the whitening factors and the constants `c_k`.
    ///
    /// # Errors
    /// [`GmmError::ZeroFeatures`] for means of zero columns, [`GmmError::ShapeMismatch`]
    /// when the sizes disagree, or [`GmmError::InvalidParameter`] when a constant is NaN or
    /// `+inf` (`-inf` is allowed: a component of weight zero).
    pub fn new(
        means: &DMatrix<f64>,
        factors: &PrecisionCholesky,
        log_constants: Vec<f64>,
    ) -> Result<Self> {
        let (k, d) = means.shape();
        if d == 0 {
            return Err(GmmError::ZeroFeatures);
        }
        check_log_constants(&log_constants, k)?;
        let factors = Factors::from_precision(factors, k, d)?;
        let mut flat_means = Vec::with_capacity(k * d);
        for c in 0..k {
            flat_means.extend(means.row(c).iter().copied());
        }
        Ok(Self {
            n_features: d,
            n_components: k,
            means: flat_means,
            narrow_factors: factors.narrowed(k, d),
            factors,
            log_constants,
            factor_norms: Default::default(),
        })
    }

    /// Number of components K.
    pub fn n_components(&self) -> usize {
        self.n_components
    }

    /// Dimension D.
    pub fn n_features(&self) -> usize {
        self.n_features
    }

    /// Number of points per chunk for dimension `d`: about 256 KiB of points, between 64 and
    /// 2048 rows (a multiple of 64), so that a chunk and its responsibilities stay in the L2
    /// cache. It depends on D only, never on the number of threads.
    pub fn chunk_rows(d: usize) -> usize {
        block_rows(d)
    }

    /// Writes `log rho_nk` for the points of `chunk` (row-major, D per point) into `out`
    /// (row-major, K per point). Allocation-free after the first call on a thread (it reuses
    /// a per-thread workspace of the chunk's size).
    ///
    /// # Errors
    /// [`GmmError::ShapeMismatch`] if `chunk.len()` is not a whole number of points of D
    /// features, or `out.len()` is not K per point.
    pub fn log_rho_into(&self, chunk: &[f64], out: &mut [f64]) -> Result<()> {
        let rows = self.whole_points(chunk.len(), "values of the chunk")?;
        check_len(
            "values of the output buffer (K per point)",
            rows * self.n_components,
            out.len(),
        )?;
        self.log_rho_rows(chunk, out);
        Ok(())
    }

    /// [`Self::log_rho_into`] on sizes the caller has checked (`chunk` whole points, `out`
    /// K per point).
    fn log_rho_rows(&self, chunk: &[f64], out: &mut [f64]) {
        let k = self.n_components;
        debug_assert_eq!(chunk.len() % self.n_features, 0);
        debug_assert_eq!(out.len(), chunk.len() / self.n_features * k);
        if chunk.is_empty() {
            return;
        }
        // Densities need no origin: `x - m` directly is as precise as `(x - o) - (m - o)`,
        // and a far-away first point would make the latter lose the others' digits.
        let origin = vec![0.0; self.n_features];
        f64::with_workspace(|work| {
            self.load_log_rho(chunk, &origin, work);
            let stride = work.stride;
            for (n, o) in out.chunks_exact_mut(k).enumerate() {
                for (c, v) in o.iter_mut().enumerate() {
                    *v = work.resp[c * stride + n];
                }
            }
        })
    }

    /// The number of points in `len` values of D features each.
    ///
    /// # Errors
    /// [`GmmError::ShapeMismatch`] (naming `what`) when `len` is not a multiple of D.
    fn whole_points(&self, len: usize, what: &str) -> Result<usize> {
        let d = self.n_features;
        check_len(
            &format!("{what} (a whole number of points of {d} features)"),
            len.div_ceil(d) * d,
            len,
        )?;
        Ok(len / d)
    }

    /// Runs the E-step over `data`: responsibilities chunk by chunk (in parallel), their
    /// sufficient statistics merged in chunk order, the sum of per-point log normalisers and
    /// of `r ln r`. Means in the statistics are stored relative to the data's first point.
    ///
    /// The chunks are taken in batches of a fixed number, so that at most one batch of
    /// chunk statistics is alive at a time: the memory beyond the data is
    /// `O(threads x chunk x (D + K) + batch x K x D^2)`, whatever N.
    ///
    /// # Errors
    /// [`GmmError::ShapeMismatch`] if `data` has another number of features than the
    /// kernel.
    pub fn e_step(&self, data: &Dataset, kind: ScatterKind) -> Result<EStepOutput> {
        data.check_features(self.n_features)?;
        Ok(self.e_step_in_memory(data, kind))
    }

    /// [`Self::e_step`] on data of the kernel's dimension.
    fn e_step_in_memory(&self, data: &Dataset, kind: ScatterKind) -> EStepOutput {
        // Data with missing coordinates run the same batches, each through
        // `e_step_batch_with_missing` (docs/em.md, "Missing values"), the one E-step a
        // stream with missing values runs too; their means are stored relative to the first
        // complete row (the observed column means when there is none).
        let missing = data.has_missing();
        let d = self.n_features;
        let origin = data.finite_origin();
        let mut total = EStepOutput::zeros(self.n_components, &origin, kind);
        let batch_rows = Self::batch_rows(d);
        for (b, batch) in data.as_slice().chunks(batch_rows * d).enumerate() {
            let weights = data
                .weights()
                .map(|w| &w[b * batch_rows..b * batch_rows + batch.len() / d]);
            if missing {
                self.e_step_batch_with_missing(batch, weights, &origin, kind, &mut total);
            } else {
                self.e_step_points(Points::F64(batch), weights, &origin, kind, &mut total);
            }
        }
        total
    }

    /// The E-step over one pass of a stream: the same batches, chunks and merge order as
    /// [`Self::e_step`] on the same points in memory, so the same result bit for bit. Means
    /// in the statistics are stored relative to the pass's first point; when some
    /// coordinates are missing ([`Passes::has_missing`]), relative to
    /// [`PassSummary::finite_origin`](crate::PassSummary::finite_origin), each batch through
    /// `e_step_batch_with_missing` as in memory. Data in memory with missing
    /// coordinates run [`Self::e_step`] (no pass).
    ///
    /// # Errors
    /// [`GmmError::ShapeMismatch`] when the source's dimension differs from the kernel's;
    /// errors of the pass (reading, validation, a source that changed).
    pub fn e_step_pass(&self, passes: &mut Passes<'_>, kind: ScatterKind) -> Result<EStepOutput> {
        let d = self.n_features;
        if let Some(data) = passes.in_memory().filter(|data| data.has_missing()) {
            data.check_features(d)?;
            return Ok(self.e_step_in_memory(data, kind));
        }
        check_len(
            "number of features of the data against the model",
            d,
            passes.n_features(),
        )?;
        if passes.has_missing()? {
            let origin = passes.summary()?.finite_origin();
            let mut total = EStepOutput::zeros(self.n_components, &origin, kind);
            passes.run(Self::batch_rows(d), &mut |batch| {
                let values = batch.points.widened();
                self.e_step_batch_with_missing(&values, batch.weights, &origin, kind, &mut total);
                Ok(())
            })?;
            return Ok(total);
        }
        let mut total: Option<(Vec<f64>, EStepOutput)> = None;
        passes.run(Self::batch_rows(d), &mut |batch| {
            let (origin, out) = total.get_or_insert_with(|| {
                let origin = batch.points.widened_prefix(d);
                let out = EStepOutput::zeros(self.n_components, &origin, kind);
                (origin, out)
            });
            self.e_step_points(batch.points, batch.weights, origin, kind, out);
            Ok(())
        })?;
        Ok(total.expect("a pass that succeeded saw a point").1)
    }

    /// Number of points the E-step hands to the threads at a time: whole chunks (a number
    /// depending on D only), about 4 MiB of `f64` points and at most 32 chunks. A pass over
    /// data in memory and a pass over a stream cut the points into the same batches, so their
    /// results agree bit for bit.
    pub fn batch_rows(d: usize) -> usize {
        let chunk_rows = Self::chunk_rows(d);
        let chunk_bytes = chunk_rows * d.max(1) * std::mem::size_of::<f64>();
        chunk_rows * (BATCH_BYTES / chunk_bytes).clamp(1, MAX_CHUNKS_PER_BATCH)
    }

    /// The E-step over one batch of points (row-major, with optional weights): its chunks in
    /// parallel, their statistics merged into `total` in chunk order.
    ///
    /// `f64` points run in `f64` lanes. `f32` points run in `f32` lanes (sums leaving a tile
    /// of points in `f64`) when [`Self::single_precision_error`] is at most
    /// [`SINGLE_PRECISION_LIMIT`] for this batch's `origin`, and otherwise in `f64` lanes
    /// (the points widened exactly): a model too ill-conditioned, or data too far from
    /// their first point, for `f32` differences falls back to `f64` arithmetic on the same
    /// values. [`EStepOutput::lanes`] says which ran.
    ///
    /// # Errors
    /// [`GmmError::ShapeMismatch`] if the batch is not a whole number of points of D
    /// features, `weights` has not one value per point, or `origin` or `total` is of
    /// another dimension or number of components than the kernel.
    pub fn e_step_batch(
        &self,
        batch: Points<'_>,
        weights: Option<&[f64]>,
        origin: &[f64],
        kind: ScatterKind,
        total: &mut EStepOutput,
    ) -> Result<()> {
        let rows = self.whole_points(batch.len(), "values of the batch")?;
        if let Some(w) = weights {
            check_len("weights of the batch (one per point)", rows, w.len())?;
        }
        check_len("coordinates of the origin", self.n_features, origin.len())?;
        let shape = (self.n_components, self.n_features, kind);
        total
            .stats
            .check_shape(shape, "of the running total against the kernel")?;
        self.e_step_points(batch, weights, origin, kind, total);
        Ok(())
    }

    /// [`Self::e_step_batch`] on arguments the caller has checked.
    fn e_step_points(
        &self,
        batch: Points<'_>,
        weights: Option<&[f64]>,
        origin: &[f64],
        kind: ScatterKind,
        total: &mut EStepOutput,
    ) {
        match batch {
            Points::F64(points) => {
                self.e_step_lanes::<f64, f64>(points, weights, origin, kind, total);
            }
            Points::F32(points)
                if self.single_precision_error(origin) <= SINGLE_PRECISION_LIMIT =>
            {
                self.e_step_lanes::<f32, f32>(points, weights, origin, kind, total);
            }
            Points::F32(points) => {
                self.e_step_lanes::<f32, f64>(points, weights, origin, kind, total);
            }
        }
    }

    /// [`Self::e_step_batch`] on points of type `S` in lanes of `T`.
    fn e_step_lanes<S: Lane, T: KernelLane>(
        &self,
        batch: &[S],
        weights: Option<&[f64]>,
        origin: &[f64],
        kind: ScatterKind,
        total: &mut EStepOutput,
    ) {
        let d = self.n_features;
        let chunk_rows = Self::chunk_rows(d);
        let parts: Vec<EStepOutput> = batch
            .par_chunks(chunk_rows * d)
            .enumerate()
            .map(|(c, chunk)| {
                let w = weights.map(|w| &w[c * chunk_rows..c * chunk_rows + chunk.len() / d]);
                T::with_workspace(|work| self.chunk_e_step(chunk, w, origin, kind, work))
            })
            .collect();
        for part in &parts {
            total.merge(part);
        }
    }

    /// The means as a K x D matrix.
    pub fn means(&self) -> DMatrix<f64> {
        DMatrix::from_row_slice(self.n_components, self.n_features, &self.means)
    }

    /// The constants `c_k`.
    pub fn log_constants(&self) -> DVector<f64> {
        DVector::from_column_slice(&self.log_constants)
    }
}

/// Checks that there are `k` kernel constants, none NaN or `+inf`.
fn check_log_constants(log_constants: &[f64], k: usize) -> Result<()> {
    check_len("number of kernel constants", k, log_constants.len())?;
    if let Some(c) = log_constants
        .iter()
        .find(|c| c.is_nan() || **c == f64::INFINITY)
    {
        return Err(GmmError::InvalidParameter {
            name: "log_constants",
            value: c.to_string(),
            reason: "kernel constants must be finite or -inf".into(),
        });
    }
    Ok(())
}

/// The size of one parallel batch of the E-step in `f64` points (4 MiB: 32 chunks of 128 KiB
/// at D = 8, 16 of 256 KiB from D = 16): a stream holds one batch at a time, and its queries
/// copy it once.
const BATCH_BYTES: usize = 4 << 20;

/// Most chunks of one parallel batch (the batch of small D is smaller than [`BATCH_BYTES`]):
/// enough for both threads of a small machine to stay busy, few enough that the batch's
/// statistics are small.
const MAX_CHUNKS_PER_BATCH: usize = 32;

/// `ln sum_i exp(v_i)`, stable: the maximum is taken out first. `-inf` for an empty slice or
/// when every entry is `-inf`.
pub fn logsumexp(v: &[f64]) -> f64 {
    let max = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if max == f64::NEG_INFINITY {
        return f64::NEG_INFINITY;
    }
    max + v.iter().map(|x| (x - max).exp()).sum::<f64>().ln()
}
