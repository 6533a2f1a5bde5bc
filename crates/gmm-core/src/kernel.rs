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

use nalgebra::{DMatrix, DVector};
use rayon::prelude::*;

use crate::covariance::PrecisionCholesky;
use crate::data::Dataset;
use crate::error::{GmmError, Result};
use crate::stats::{ScatterKind, SufficientStats};

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

    /// Number of points per chunk for dimension `d`: about 32 KiB of points, between 64 and
    /// 4096 rows. It depends on D only, never on the number of threads.
    pub fn chunk_rows(d: usize) -> usize {
        (4096 / d.max(1)).clamp(64, 4096)
    }

    /// Writes `log rho_nk` for the points of `chunk` (row-major, D per point) into `out`
    /// (row-major, K per point). Allocation-free.
    ///
    /// # Panics
    /// If `out.len() != rows * K` or `chunk.len()` is not a multiple of D.
    pub fn log_rho_into(&self, chunk: &[f64], out: &mut [f64]) {
        let (d, k) = (self.n_features, self.n_components);
        assert_eq!(chunk.len() % d, 0, "chunk is not a whole number of points");
        let rows = chunk.len() / d;
        assert_eq!(out.len(), rows * k, "output buffer has the wrong size");
        let packed_len = d * (d + 1) / 2;
        for n in 0..rows {
            let x = &chunk[n * d..(n + 1) * d];
            let o = &mut out[n * k..(n + 1) * k];
            for c in 0..k {
                let m = &self.means[c * d..(c + 1) * d];
                let q = match &self.factors {
                    Factors::Packed(p) => {
                        let p = &p[c * packed_len..(c + 1) * packed_len];
                        mahalanobis_packed(x, m, p)
                    }
                    Factors::Diagonal(p) => {
                        let p = &p[c * d..(c + 1) * d];
                        let mut q = 0.0;
                        for j in 0..d {
                            let y = (x[j] - m[j]) * p[j];
                            q += y * y;
                        }
                        q
                    }
                    Factors::Spherical(p) => {
                        let mut q = 0.0;
                        for j in 0..d {
                            let y = x[j] - m[j];
                            q += y * y;
                        }
                        q * p[c] * p[c]
                    }
                };
                o[c] = self.log_constants[c] - 0.5 * q;
            }
        }
    }

    /// Runs the E-step over `data`: responsibilities chunk by chunk, their sufficient
    /// statistics (merged in chunk order), the sum of per-point log normalisers and of
    /// `r ln r`. Means in the statistics are stored relative to the data's first point.
    pub fn e_step(&self, data: &Dataset, kind: ScatterKind) -> EStepOutput {
        assert_eq!(
            data.n_features(),
            self.n_features,
            "data dimension differs from the kernel's"
        );
        let d = self.n_features;
        let origin = data.row(0).to_vec();
        let rows = Self::chunk_rows(d);
        let parts: Vec<EStepOutput> = data
            .as_slice()
            .par_chunks(rows * d)
            .map_init(Vec::new, |buf, chunk| {
                self.e_step_chunk(chunk, &origin, kind, buf)
            })
            .collect();
        let mut total = EStepOutput {
            stats: SufficientStats::zeros(self.n_components, &origin, kind),
            log_norm_sum: 0.0,
            resp_log_resp_sum: 0.0,
            n_samples: 0,
        };
        for part in &parts {
            total.stats.merge(&part.stats);
            total.log_norm_sum += part.log_norm_sum;
            total.resp_log_resp_sum += part.resp_log_resp_sum;
            total.n_samples += part.n_samples;
        }
        total
    }

    /// The E-step over one chunk of points, reusing `buf` for its responsibilities.
    pub fn e_step_chunk(
        &self,
        chunk: &[f64],
        origin: &[f64],
        kind: ScatterKind,
        buf: &mut Vec<f64>,
    ) -> EStepOutput {
        let k = self.n_components;
        let rows = chunk.len() / self.n_features;
        buf.resize(rows * k, 0.0);
        self.log_rho_into(chunk, buf);
        let mut log_norm_sum = 0.0;
        let mut resp_log_resp_sum = 0.0;
        for row in buf.chunks_exact_mut(k) {
            let lse = logsumexp(row);
            log_norm_sum += lse;
            for v in row.iter_mut() {
                let log_r = *v - lse;
                let r = log_r.exp();
                if r > 0.0 {
                    resp_log_resp_sum += r * log_r;
                }
                *v = r;
            }
        }
        EStepOutput {
            stats: SufficientStats::from_chunk(chunk, buf, k, origin, kind),
            log_norm_sum,
            resp_log_resp_sum,
            n_samples: rows,
        }
    }

    /// `logsumexp_k log rho_nk` for every point: with EM's constants, the log density.
    pub fn log_norm(&self, data: &Dataset) -> Vec<f64> {
        self.map_rows(data, logsumexp)
    }

    /// Log responsibilities `log r_nk`, N x K (computed on request; fitting never holds it).
    pub fn log_resp(&self, data: &Dataset) -> DMatrix<f64> {
        let k = self.n_components;
        let rows = self.map_rows(data, |row| {
            let lse = logsumexp(row);
            row.iter().map(|v| v - lse).collect::<Vec<f64>>()
        });
        DMatrix::from_fn(data.n_samples(), k, |n, c| rows[n][c])
    }

    /// Index of the largest `log rho_nk` for every point (ties to the lowest index).
    pub fn argmax(&self, data: &Dataset) -> Vec<usize> {
        self.map_rows(data, |row| {
            let mut best = 0;
            for (c, v) in row.iter().enumerate() {
                if *v > row[best] {
                    best = c;
                }
            }
            best
        })
    }

    fn map_rows<T: Send, F: Fn(&[f64]) -> T + Sync>(&self, data: &Dataset, f: F) -> Vec<T> {
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
                buf.chunks_exact(k).map(&f).collect::<Vec<T>>()
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

/// `|| P^T (x - m) ||^2` with `P` upper triangular, packed column by column.
#[inline]
fn mahalanobis_packed(x: &[f64], m: &[f64], packed: &[f64]) -> f64 {
    let d = x.len();
    let mut diff = [0.0f64; 64];
    let mut q = 0.0;
    if d <= 64 {
        for j in 0..d {
            diff[j] = x[j] - m[j];
        }
        let mut off = 0;
        for j in 0..d {
            let col = &packed[off..off + j + 1];
            let y: f64 = col.iter().zip(&diff[..=j]).map(|(p, v)| p * v).sum();
            q += y * y;
            off += j + 1;
        }
    } else {
        let mut off = 0;
        for j in 0..d {
            let col = &packed[off..off + j + 1];
            let y: f64 = col.iter().enumerate().map(|(i, p)| p * (x[i] - m[i])).sum();
            q += y * y;
            off += j + 1;
        }
    }
    q
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
