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

use std::cell::RefCell;

use nalgebra::{DMatrix, DVector};
use rayon::prelude::*;

use crate::covariance::PrecisionCholesky;
use crate::data::Dataset;
use crate::error::{GmmError, Result};
use crate::stats::{
    LANES, ScatterKind, SufficientStats, TransposedChunk, block_rows, hsum, mul_add,
};

/// `D/2 ln(2 pi)` for dimension `d`.
pub fn half_log_2pi(d: usize) -> f64 {
    0.5 * d as f64 * (2.0 * std::f64::consts::PI).ln()
}

/// Per-component whitening factors in the layout the kernel reads.
#[derive(Debug, Clone, PartialEq)]
enum Factors {
    /// Upper triangular factors packed column by column: column j of component k holds
    /// `P[0..=j, j]` at `k * D(D+1)/2 + j(j+1)/2`.
    Packed(Vec<f64>),
    /// K x D inverse standard deviations.
    Diagonal(Vec<f64>),
    /// One inverse standard deviation per component.
    Spherical(Vec<f64>),
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
/// let out = kernel.e_step(&data, ScatterKind::Full);
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
    log_constants: Vec<f64>,
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
    /// Number of points visited.
    pub n_samples: usize,
}

impl EStepKernel {
    /// Builds a kernel from K x D means, the whitening factors and the constants `c_k`.
    ///
    /// # Errors
    /// [`GmmError::ShapeMismatch`] when the sizes disagree, or [`GmmError::InvalidParameter`]
    /// when a constant is NaN or `+inf` (`-inf` is allowed: a component of weight zero).
    pub fn new(
        means: &DMatrix<f64>,
        factors: &PrecisionCholesky,
        log_constants: Vec<f64>,
    ) -> Result<Self> {
        let (k, d) = means.shape();
        let mismatch = |what: &str, expected, found| GmmError::ShapeMismatch {
            what: what.into(),
            expected,
            found,
        };
        if log_constants.len() != k {
            return Err(mismatch(
                "number of kernel constants",
                k,
                log_constants.len(),
            ));
        }
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
        let mut flat_means = Vec::with_capacity(k * d);
        for c in 0..k {
            flat_means.extend(means.row(c).iter().copied());
        }
        let packed_len = d * (d + 1) / 2;
        let pack = |p: &DMatrix<f64>, out: &mut Vec<f64>| -> Result<()> {
            if p.shape() != (d, d) {
                return Err(mismatch("size of a precision factor", d, p.nrows()));
            }
            for j in 0..d {
                out.extend((0..=j).map(|i| p[(i, j)]));
            }
            Ok(())
        };
        let factors = match factors {
            PrecisionCholesky::Full(ps) => {
                if ps.len() != k {
                    return Err(mismatch("number of precision factors", k, ps.len()));
                }
                let mut out = Vec::with_capacity(k * packed_len);
                for p in ps {
                    pack(p, &mut out)?;
                }
                Factors::Packed(out)
            }
            PrecisionCholesky::Tied(p) => {
                let mut out = Vec::with_capacity(k * packed_len);
                for _ in 0..k {
                    pack(p, &mut out)?;
                }
                Factors::Packed(out)
            }
            PrecisionCholesky::Diagonal(vs) => {
                if vs.len() != k {
                    return Err(mismatch("number of precision factors", k, vs.len()));
                }
                let mut out = Vec::with_capacity(k * d);
                for v in vs {
                    if v.len() != d {
                        return Err(mismatch(
                            "length of a diagonal precision factor",
                            d,
                            v.len(),
                        ));
                    }
                    out.extend(v.iter().copied());
                }
                Factors::Diagonal(out)
            }
            PrecisionCholesky::Spherical(v) => {
                if v.len() != k {
                    return Err(mismatch("number of precision factors", k, v.len()));
                }
                Factors::Spherical(v.clone())
            }
        };
        Ok(Self {
            n_features: d,
            n_components: k,
            means: flat_means,
            factors,
            log_constants,
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

    /// Number of points per chunk for dimension `d`: about 128 KiB of points, between 64 and
    /// 2048 rows (a multiple of 64), so that a chunk and its responsibilities stay in the L2
    /// cache. It depends on D only, never on the number of threads.
    pub fn chunk_rows(d: usize) -> usize {
        block_rows(d)
    }

    /// Writes `log rho_nk` for the points of `chunk` (row-major, D per point) into `out`
    /// (row-major, K per point). Allocation-free after the first call on a thread (it reuses
    /// a per-thread workspace of the chunk's size).
    ///
    /// # Panics
    /// If `out.len() != rows * K` or `chunk.len()` is not a multiple of D.
    pub fn log_rho_into(&self, chunk: &[f64], out: &mut [f64]) {
        let (d, k) = (self.n_features, self.n_components);
        assert_eq!(chunk.len() % d, 0, "chunk is not a whole number of points");
        let rows = chunk.len() / d;
        assert_eq!(out.len(), rows * k, "output buffer has the wrong size");
        if rows == 0 {
            return;
        }
        // Densities need no origin: `x - m` directly is as precise as `(x - o) - (m - o)`,
        // and a far-away first point would make the latter lose the others' digits.
        let origin = vec![0.0; d];
        with_workspace(|work| {
            self.load_log_rho(chunk, &origin, work);
            let stride = work.stride;
            for (n, o) in out.chunks_exact_mut(k).enumerate() {
                for (c, v) in o.iter_mut().enumerate() {
                    *v = work.resp[c * stride + n];
                }
            }
        })
    }

    /// Runs the E-step over `data`: responsibilities chunk by chunk (in parallel), their
    /// sufficient statistics merged in chunk order, the sum of per-point log normalisers and
    /// of `r ln r`. Means in the statistics are stored relative to the data's first point.
    ///
    /// The chunks are taken in batches of a fixed number, so that at most one batch of
    /// chunk statistics is alive at a time: the memory beyond the data is
    /// `O(threads x chunk x (D + K) + batch x K x D^2)`, whatever N.
    pub fn e_step(&self, data: &Dataset, kind: ScatterKind) -> EStepOutput {
        assert_eq!(
            data.n_features(),
            self.n_features,
            "data dimension differs from the kernel's"
        );
        let d = self.n_features;
        let origin = data.row(0).to_vec();
        let chunk_len = Self::chunk_rows(d) * d;
        let mut total = EStepOutput {
            stats: SufficientStats::zeros(self.n_components, &origin, kind),
            log_norm_sum: 0.0,
            resp_log_resp_sum: 0.0,
            n_samples: 0,
        };
        for batch in data.as_slice().chunks(chunk_len * CHUNKS_PER_BATCH) {
            let parts: Vec<EStepOutput> = batch
                .par_chunks(chunk_len)
                .map(|chunk| with_workspace(|work| self.chunk_e_step(chunk, &origin, kind, work)))
                .collect();
            for part in &parts {
                total.stats.merge(&part.stats);
                total.log_norm_sum += part.log_norm_sum;
                total.resp_log_resp_sum += part.resp_log_resp_sum;
                total.n_samples += part.n_samples;
            }
        }
        total
    }

    /// The E-step over one chunk of points, reusing `buf` as its workspace.
    pub fn e_step_chunk(
        &self,
        chunk: &[f64],
        origin: &[f64],
        kind: ScatterKind,
        buf: &mut Vec<f64>,
    ) -> EStepOutput {
        let mut work = TransposedChunk {
            xt: std::mem::take(buf),
            ..TransposedChunk::default()
        };
        let out = self.chunk_e_step(chunk, origin, kind, &mut work);
        *buf = work.xt;
        out
    }

    /// The E-step over one chunk, on the widest instructions the processor has.
    fn chunk_e_step(
        &self,
        chunk: &[f64],
        origin: &[f64],
        kind: ScatterKind,
        work: &mut TransposedChunk,
    ) -> EStepOutput {
        #[cfg(target_arch = "x86_64")]
        if has_avx2_fma() {
            // SAFETY: the processor supports AVX2 and FMA (checked at run time just above),
            // which is all `chunk_e_step_avx2_fma` requires.
            return unsafe { self.chunk_e_step_avx2_fma(chunk, origin, kind, work) };
        }
        self.chunk_e_step_generic::<false>(chunk, origin, kind, work)
    }

    /// [`Self::chunk_e_step_generic`] compiled for AVX2 and FMA.
    ///
    /// # Safety
    /// The processor must support AVX2 and FMA.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn chunk_e_step_avx2_fma(
        &self,
        chunk: &[f64],
        origin: &[f64],
        kind: ScatterKind,
        work: &mut TransposedChunk,
    ) -> EStepOutput {
        self.chunk_e_step_generic::<true>(chunk, origin, kind, work)
    }

    /// [`Self::load_log_rho`] on the widest instructions the processor has.
    fn load_log_rho(&self, chunk: &[f64], origin: &[f64], work: &mut TransposedChunk) {
        #[cfg(target_arch = "x86_64")]
        if has_avx2_fma() {
            // SAFETY: the processor supports AVX2 and FMA (checked at run time just above).
            return unsafe { self.load_log_rho_avx2_fma(chunk, origin, work) };
        }
        self.load_log_rho_generic::<false>(chunk, origin, work)
    }

    /// [`Self::load_log_rho_generic`] compiled for AVX2 and FMA.
    ///
    /// # Safety
    /// The processor must support AVX2 and FMA.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn load_log_rho_avx2_fma(
        &self,
        chunk: &[f64],
        origin: &[f64],
        work: &mut TransposedChunk,
    ) {
        self.load_log_rho_generic::<true>(chunk, origin, work)
    }

    /// The E-step over one chunk: load it feature-major, `log rho`, then per point the
    /// logsumexp, the responsibilities and `r ln r` (one `exp` per point and component),
    /// then the statistics, all on the chunk while it is in cache.
    #[inline(always)]
    fn chunk_e_step_generic<const FMA: bool>(
        &self,
        chunk: &[f64],
        origin: &[f64],
        kind: ScatterKind,
        work: &mut TransposedChunk,
    ) -> EStepOutput {
        let k = self.n_components;
        self.load_log_rho_generic::<FMA>(chunk, origin, work);
        let (rows, stride) = (work.rows, work.stride);
        let resp = &mut work.resp;
        let mut log_norm_lanes = [0.0; LANES];
        let mut resp_log_resp_lanes = [0.0; LANES];
        let mut exps = vec![0.0; k * LANES];
        for t0 in (0..stride).step_by(LANES) {
            let mut max = [f64::NEG_INFINITY; LANES];
            for c in 0..k {
                let v = &resp[c * stride + t0..c * stride + t0 + LANES];
                for l in 0..LANES {
                    max[l] = max[l].max(v[l]);
                }
            }
            let mut sum = [0.0; LANES];
            for (c, e) in exps.chunks_exact_mut(LANES).enumerate() {
                let v = &resp[c * stride + t0..c * stride + t0 + LANES];
                let mut shifted = [0.0; LANES];
                for l in 0..LANES {
                    shifted[l] = v[l] - max[l];
                }
                let ex = exp_lanes::<FMA>(shifted);
                e.copy_from_slice(&ex);
                for l in 0..LANES {
                    sum[l] += ex[l];
                }
            }
            // Padding points (past the last row) get responsibility 0 and add nothing.
            let valid = LANES.min(rows - t0);
            let mut lse = [0.0; LANES];
            let mut inv = [0.0; LANES];
            for l in 0..valid {
                lse[l] = max[l] + sum[l].ln();
                inv[l] = 1.0 / sum[l];
                log_norm_lanes[l] += lse[l];
            }
            for (c, e) in exps.chunks_exact(LANES).enumerate() {
                let v = &mut resp[c * stride + t0..c * stride + t0 + LANES];
                for l in 0..LANES {
                    let r = e[l] * inv[l];
                    let term = r * (v[l] - lse[l]);
                    resp_log_resp_lanes[l] += if r > 0.0 { term } else { 0.0 };
                    v[l] = r;
                }
            }
        }
        let log_norm_sum = hsum(log_norm_lanes);
        let resp_log_resp_sum = hsum(resp_log_resp_lanes);
        let stats = SufficientStats::from_transposed::<FMA>(
            &work.xt,
            &work.resp,
            stride,
            k,
            origin,
            kind,
            &mut work.scratch,
        );
        EStepOutput {
            stats,
            log_norm_sum,
            resp_log_resp_sum,
            n_samples: rows,
        }
    }

    /// Loads `chunk` feature-major relative to `origin` into `work.xt` and writes
    /// `log rho` into `work.resp` (`c * stride + n`): per component, [`LANES`] points at a
    /// time, the differences `x - m_k` of those points then the triangular product with
    /// `P_k`, vectorised across the points.
    #[inline(always)]
    fn load_log_rho_generic<const FMA: bool>(
        &self,
        chunk: &[f64],
        origin: &[f64],
        work: &mut TransposedChunk,
    ) {
        let (d, k) = (self.n_features, self.n_components);
        work.load(chunk, origin);
        let stride = work.stride;
        work.resp.clear();
        work.resp.resize(k * stride, 0.0);
        let xt = &work.xt;
        let mut shifted_mean = vec![0.0; d];
        let mut diff = vec![0.0; d * LANES];
        let packed_len = d * (d + 1) / 2;
        for c in 0..k {
            for (j, m) in shifted_mean.iter_mut().enumerate() {
                *m = self.means[c * d + j] - origin[j];
            }
            let constant = self.log_constants[c];
            let out = &mut work.resp[c * stride..(c + 1) * stride];
            for (t, o) in out.chunks_exact_mut(LANES).enumerate() {
                let t0 = t * LANES;
                let mut q = [0.0; LANES];
                match &self.factors {
                    Factors::Packed(p) => {
                        let p = &p[c * packed_len..(c + 1) * packed_len];
                        for ((i, dg), m) in
                            diff.chunks_exact_mut(LANES).enumerate().zip(&shifted_mean)
                        {
                            let x = lanes(xt, i * stride + t0);
                            for l in 0..LANES {
                                dg[l] = x[l] - m;
                            }
                        }
                        let mut off = 0;
                        for j in 0..d {
                            let mut y = [0.0; LANES];
                            for (pij, dg) in
                                p[off..off + j + 1].iter().zip(diff.chunks_exact(LANES))
                            {
                                for l in 0..LANES {
                                    y[l] = mul_add::<FMA>(*pij, dg[l], y[l]);
                                }
                            }
                            for l in 0..LANES {
                                q[l] = mul_add::<FMA>(y[l], y[l], q[l]);
                            }
                            off += j + 1;
                        }
                    }
                    Factors::Diagonal(p) => {
                        let p = &p[c * d..(c + 1) * d];
                        for (i, (m, p)) in shifted_mean.iter().zip(p).enumerate() {
                            let x = lanes(xt, i * stride + t0);
                            for l in 0..LANES {
                                let y = (x[l] - m) * p;
                                q[l] = mul_add::<FMA>(y, y, q[l]);
                            }
                        }
                    }
                    Factors::Spherical(p) => {
                        let p2 = p[c] * p[c];
                        for (i, m) in shifted_mean.iter().enumerate() {
                            let x = lanes(xt, i * stride + t0);
                            for l in 0..LANES {
                                let y = x[l] - m;
                                q[l] = mul_add::<FMA>(y, y, q[l]);
                            }
                        }
                        for v in q.iter_mut() {
                            *v *= p2;
                        }
                    }
                }
                for l in 0..LANES {
                    o[l] = constant - 0.5 * q[l];
                }
            }
        }
    }

    /// `logsumexp_k log rho_nk` for every point: with EM's constants, the log density.
    pub fn log_norm(&self, data: &Dataset) -> Vec<f64> {
        self.map_rows(data, |_, row| logsumexp(row))
    }

    /// Log responsibilities `log r_nk`, N x K (computed on request; fitting never holds it).
    ///
    /// A point so far from every component that all its `log rho_nk` underflow to `-inf`
    /// (squared distances beyond `f64`) gets the limit of its responsibilities as the point
    /// moves away: all of it on the component nearest in the limit (see
    /// [`EStepKernel::nearest_in_the_limit`]), never NaN.
    pub fn log_resp(&self, data: &Dataset) -> DMatrix<f64> {
        let k = self.n_components;
        let rows = self.map_rows(data, |x, row| {
            let lse = logsumexp(row);
            if lse.is_finite() {
                row.iter().map(|v| v - lse).collect::<Vec<f64>>()
            } else {
                let winner = self.nearest_in_the_limit(x);
                (0..k)
                    .map(|c| if c == winner { 0.0 } else { f64::NEG_INFINITY })
                    .collect()
            }
        });
        DMatrix::from_fn(data.n_samples(), k, |n, c| rows[n][c])
    }

    /// Index of the largest `log rho_nk` for every point (ties to the lowest index); for a
    /// point whose `log rho` all underflow, the component nearest in the limit.
    pub fn argmax(&self, data: &Dataset) -> Vec<usize> {
        self.map_rows(data, |x, row| {
            let mut best = 0;
            for (c, v) in row.iter().enumerate() {
                if *v > row[best] {
                    best = c;
                }
            }
            if row[best].is_finite() {
                best
            } else {
                self.nearest_in_the_limit(x)
            }
        })
    }

    /// The component that takes all the responsibility for `x` as `x` moves away from every
    /// component along its direction: the smallest squared whitened distance
    /// `|| P_k^T (x - m_k) / s ||^2`, computed with everything divided by the common scale
    /// `s = max(|x_j|, |m_kj|)` so that nothing overflows; ties go to the larger constant
    /// `c_k`, then to the lowest index.
    pub fn nearest_in_the_limit(&self, x: &[f64]) -> usize {
        let d = self.n_features;
        let scale = x
            .iter()
            .chain(&self.means)
            .fold(f64::MIN_POSITIVE, |a, v| a.max(v.abs()));
        let packed_len = d * (d + 1) / 2;
        let mut diff = vec![0.0; d];
        let mut best = (0, f64::INFINITY, f64::NEG_INFINITY);
        for c in 0..self.n_components {
            for j in 0..d {
                diff[j] = x[j] / scale - self.means[c * d + j] / scale;
            }
            let q: f64 = match &self.factors {
                Factors::Packed(p) => {
                    let p = &p[c * packed_len..(c + 1) * packed_len];
                    let mut off = 0;
                    let mut q = 0.0;
                    for j in 0..d {
                        let y: f64 = p[off..off + j + 1]
                            .iter()
                            .zip(&diff)
                            .map(|(a, b)| a * b)
                            .sum();
                        q += y * y;
                        off += j + 1;
                    }
                    q
                }
                Factors::Diagonal(p) => diff
                    .iter()
                    .zip(&p[c * d..(c + 1) * d])
                    .map(|(v, p)| (v * p) * (v * p))
                    .sum(),
                Factors::Spherical(p) => diff.iter().map(|v| (v * p[c]) * (v * p[c])).sum(),
            };
            let constant = self.log_constants[c];
            if q < best.1 || (q == best.1 && constant > best.2) {
                best = (c, q, constant);
            }
        }
        best.0
    }

    fn map_rows<T: Send, F: Fn(&[f64], &[f64]) -> T + Sync>(&self, data: &Dataset, f: F) -> Vec<T> {
        assert_eq!(
            data.n_features(),
            self.n_features,
            "data dimension differs from the kernel's"
        );
        let d = self.n_features;
        let k = self.n_components;
        let rows = Self::chunk_rows(d);
        data.as_slice()
            .par_chunks(rows * d)
            .map_init(Vec::new, |buf, chunk| {
                buf.resize(chunk.len() / d * k, 0.0);
                self.log_rho_into(chunk, buf);
                chunk
                    .chunks_exact(d)
                    .zip(buf.chunks_exact(k))
                    .map(|(x, row)| f(x, row))
                    .collect::<Vec<T>>()
            })
            .flatten()
            .collect()
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

/// The [`LANES`] values of `v` from `at`.
#[inline(always)]
fn lanes(v: &[f64], at: usize) -> &[f64; LANES] {
    v[at..at + LANES]
        .try_into()
        .expect("a whole group of lanes")
}

/// Chunks of one parallel batch of the E-step: enough for both threads of a small machine
/// to stay busy, few enough that the batch's statistics are small.
const CHUNKS_PER_BATCH: usize = 32;

/// Whether the processor has AVX2 and FMA (cached by the standard library).
#[cfg(target_arch = "x86_64")]
fn has_avx2_fma() -> bool {
    std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma")
}

thread_local! {
    /// Per-thread workspace of the E-step, reused from chunk to chunk.
    static WORKSPACE: RefCell<TransposedChunk> = RefCell::new(TransposedChunk::default());
}

/// Values a per-thread workspace may keep between calls (8 MiB); a larger one, left by a call
/// on an unusually large chunk, is released.
const WORKSPACE_KEEP: usize = 1 << 20;

/// Runs `f` on this thread's workspace (or on a fresh one if it is already in use).
fn with_workspace<T>(f: impl FnOnce(&mut TransposedChunk) -> T) -> T {
    WORKSPACE.with(|cell| match cell.try_borrow_mut() {
        Ok(mut work) => {
            let out = f(&mut work);
            if work.xt.capacity() + work.resp.capacity() + work.scratch.capacity() > WORKSPACE_KEEP
            {
                *work = TransposedChunk::default();
            }
            out
        }
        Err(_) => f(&mut TransposedChunk::default()),
    })
}

/// `exp` of [`LANES`] arguments at once, vectorisable: `2^n p(r)` with `n` the nearest
/// integer to `x / ln 2`, `r = x - n ln 2` (Cody-Waite: `ln 2` split into a high part with trailing zero bits and the remainder, as in
/// fdlibm) and `p` the
/// degree-13 Taylor polynomial, whose truncation error on `|r| <= ln 2 / 2` is below 1e-17
/// relative; the result is within a few ulp of the correctly rounded one. Arguments below
/// -708.39 (results under 2^-1022, about 2.2e-308) give 0 instead of a subnormal number,
/// `-inf` gives 0, NaN gives NaN; arguments above 709 give `+inf` (the E-step only asks for
/// arguments <= 0).
#[inline(always)]
fn exp_lanes<const FMA: bool>(x: [f64; LANES]) -> [f64; LANES] {
    const LOG2_E: f64 = std::f64::consts::LOG2_E;
    const LN2_HI: f64 = f64::from_bits(0x3fe6_2e42_fee0_0000);
    const LN2_LO: f64 = f64::from_bits(0x3dea_39ef_3579_3c76);
    // 1.5 * 2^52: adding it rounds to an integer held in the low bits of the mantissa.
    const SHIFTER: f64 = 6_755_399_441_055_744.0;
    const MIN_ARG: f64 = -708.39;
    const MAX_ARG: f64 = 709.0;
    // One loop per stage, so that each stage vectorises across the lanes.
    let mut n = [0.0; LANES];
    let mut r = [0.0; LANES];
    let mut scale = [0.0; LANES];
    for l in 0..LANES {
        let xl = x[l].clamp(MIN_ARG, MAX_ARG);
        let shifted = mul_add::<FMA>(xl, LOG2_E, SHIFTER);
        n[l] = shifted - SHIFTER;
        r[l] = mul_add::<FMA>(-n[l], LN2_LO, mul_add::<FMA>(-n[l], LN2_HI, xl));
        let int_n = shifted.to_bits().wrapping_sub(SHIFTER.to_bits());
        scale[l] = f64::from_bits(int_n.wrapping_add(1023) << 52);
    }
    const COEFFICIENTS: [f64; 13] = [
        1.0 / 479_001_600.0,
        1.0 / 39_916_800.0,
        1.0 / 3_628_800.0,
        1.0 / 362_880.0,
        1.0 / 40_320.0,
        1.0 / 5_040.0,
        1.0 / 720.0,
        1.0 / 120.0,
        1.0 / 24.0,
        1.0 / 6.0,
        0.5,
        1.0,
        1.0,
    ];
    let mut p = [1.0 / 6_227_020_800.0; LANES];
    for c in COEFFICIENTS {
        for l in 0..LANES {
            p[l] = mul_add::<FMA>(p[l], r[l], c);
        }
    }
    let mut out = [0.0; LANES];
    for l in 0..LANES {
        let v = p[l] * scale[l];
        out[l] = if x[l] < MIN_ARG {
            0.0
        } else if x[l] > MAX_ARG {
            f64::INFINITY
        } else {
            v
        };
    }
    out
}

/// `ln sum_i exp(v_i)`, stable: the maximum is taken out first. `-inf` for an empty slice or
/// when every entry is `-inf`.
pub fn logsumexp(v: &[f64]) -> f64 {
    let max = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if max == f64::NEG_INFINITY {
        return f64::NEG_INFINITY;
    }
    max + v.iter().map(|x| (x - max).exp()).sum::<f64>().ln()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logsumexp_is_stable() {
        assert_eq!(logsumexp(&[]), f64::NEG_INFINITY);
        assert_eq!(
            logsumexp(&[f64::NEG_INFINITY, f64::NEG_INFINITY]),
            f64::NEG_INFINITY
        );
        let v = logsumexp(&[-1000.0, -1000.0]);
        assert!((v - (-1000.0 + 2f64.ln())).abs() < 1e-12);
        assert!((logsumexp(&[1000.0, 0.0]) - 1000.0).abs() < 1e-12);
    }

    #[test]
    fn log_rho_matches_a_direct_computation_for_every_factor_type() {
        // D = 5 and 37 points: neither is a multiple of the lane count, so the padding is used.
        let (n, d, k) = (37, 5, 3);
        let pts: Vec<f64> = (0..n * d)
            .map(|i| 1e3 + ((i * 7919) % 997) as f64 / 97.0)
            .collect();
        let means = DMatrix::from_fn(k, d, |c, j| 1e3 + (c * 3 + j) as f64);
        let upper = |s: f64| {
            DMatrix::from_fn(d, d, |i, j| {
                if i <= j {
                    s * (1.0 + (i + 2 * j) as f64 / 7.0)
                } else {
                    0.0
                }
            })
        };
        let constants = vec![-1.0, -2.5, f64::NEG_INFINITY];
        let kinds = [
            PrecisionCholesky::Full((0..k).map(|c| upper(0.3 + c as f64 * 0.1)).collect()),
            PrecisionCholesky::Tied(upper(0.4)),
            PrecisionCholesky::Diagonal(
                (0..k)
                    .map(|c| DVector::from_fn(d, |j, _| 0.5 + (c + j) as f64 / 9.0))
                    .collect(),
            ),
            PrecisionCholesky::Spherical(vec![0.7, 1.3, 0.2]),
        ];
        for factors in kinds {
            let kernel = EStepKernel::new(&means, &factors, constants.clone()).unwrap();
            let mut got = vec![0.0; n * k];
            kernel.log_rho_into(&pts, &mut got);
            for p in 0..n {
                let x = DVector::from_row_slice(&pts[p * d..(p + 1) * d]);
                for c in 0..k {
                    let diff = &x - means.row(c).transpose();
                    let factor = match &factors {
                        PrecisionCholesky::Full(ps) => ps[c].clone(),
                        PrecisionCholesky::Tied(pm) => pm.clone(),
                        PrecisionCholesky::Diagonal(vs) => DMatrix::from_diagonal(&vs[c]),
                        PrecisionCholesky::Spherical(v) => DMatrix::identity(d, d) * v[c],
                    };
                    let want = constants[c] - 0.5 * (factor.transpose() * diff).norm_squared();
                    let g = got[p * k + c];
                    assert!(
                        g == want || (g - want).abs() <= 1e-12 * want.abs().max(1.0),
                        "{factors:?} point {p} component {c}: {g} vs {want}"
                    );
                }
            }
            // The E-step's responsibilities are those of the log densities.
            let data = Dataset::from_row_major(n, d, pts.clone()).unwrap();
            let out = kernel.e_step(&data, ScatterKind::Full);
            let direct: f64 = got.chunks_exact(k).map(logsumexp).sum();
            assert!((out.log_norm_sum - direct).abs() <= 1e-12 * direct.abs());
            assert!((out.stats.total() - n as f64).abs() < 1e-12 * n as f64);
            assert_eq!(
                out.stats.n_k()[2],
                0.0,
                "a component of weight zero gets nothing"
            );
            // The portable path (no FMA) agrees with the one the processor runs.
            let mut work = TransposedChunk::default();
            let plain = kernel.chunk_e_step_generic::<false>(
                &pts,
                data.row(0),
                ScatterKind::Full,
                &mut work,
            );
            assert!((plain.log_norm_sum - out.log_norm_sum).abs() <= 1e-12 * direct.abs());
            for c in 0..2 {
                let (a, b) = (plain.stats.scatter(c), out.stats.scatter(c));
                assert!((&a - &b).abs().max() <= 1e-10 * b.abs().max());
            }
        }
    }

    #[test]
    fn vector_exp_matches_the_standard_library() {
        let mut worst = 0.0f64;
        for i in 0..20_000 {
            let x = -708.0 + 1417.0 * i as f64 / 19_999.0;
            let mut lanes = [0.0; LANES];
            for (l, v) in lanes.iter_mut().enumerate() {
                *v = x - l as f64 * 1e-3;
            }
            for (fused, got) in [
                (false, exp_lanes::<false>(lanes)),
                (true, exp_lanes::<true>(lanes)),
            ] {
                for l in 0..LANES {
                    let want = lanes[l].exp();
                    let rel = ((got[l] - want) / want).abs();
                    assert!(
                        rel < 1e-15,
                        "exp({}) fused={fused}: {} vs {want}",
                        lanes[l],
                        got[l]
                    );
                    worst = worst.max(rel);
                }
            }
        }
        assert!(worst > 0.0, "the comparison ran");
        let edge = exp_lanes::<false>([
            f64::NEG_INFINITY,
            -800.0,
            -708.5,
            0.0,
            1.0,
            800.0,
            f64::NAN,
            -1e-300,
        ]);
        assert_eq!(&edge[..4], &[0.0, 0.0, 0.0, 1.0]);
        assert!((edge[4] - std::f64::consts::E).abs() < 1e-15);
        assert_eq!(edge[5], f64::INFINITY);
        assert!(edge[6].is_nan());
        assert_eq!(edge[7], 1.0);
    }

    #[test]
    fn chunked_e_step_equals_one_chunk() {
        // More points than one chunk holds, so the parallel path and the merge are used.
        let d = 2;
        let n = EStepKernel::chunk_rows(d) * 3 + 17;
        let pts: Vec<f64> = (0..n * d)
            .map(|i| ((i * 7919) % 1000) as f64 / 100.0)
            .collect();
        let data = Dataset::from_row_major(n, d, pts.clone()).unwrap();
        let means = DMatrix::from_row_slice(2, 2, &[2.0, 2.0, 7.0, 7.0]);
        let p = DMatrix::from_row_slice(2, 2, &[0.5, 0.1, 0.0, 0.4]);
        let kernel =
            EStepKernel::new(&means, &PrecisionCholesky::Tied(p), vec![-1.0, -1.5]).unwrap();
        let all = kernel.e_step(&data, ScatterKind::Full);
        let mut buf = Vec::new();
        let one = kernel.e_step_chunk(&pts, data.row(0), ScatterKind::Full, &mut buf);
        assert_eq!(all.n_samples, n);
        assert!((all.log_norm_sum - one.log_norm_sum).abs() < 1e-10 * one.log_norm_sum.abs());
        for c in 0..2 {
            assert!((all.stats.n_k()[c] - one.stats.n_k()[c]).abs() < 1e-9);
            assert!(
                (all.stats.scatter(c) - one.stats.scatter(c)).abs().max()
                    < 1e-9 * one.stats.scatter(c).abs().max()
            );
        }
        let log_norm = kernel.log_norm(&data);
        assert!(
            (log_norm.iter().sum::<f64>() - all.log_norm_sum).abs() < 1e-9 * all.log_norm_sum.abs()
        );
    }
}
