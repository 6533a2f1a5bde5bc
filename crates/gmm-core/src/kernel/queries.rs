//! Per-point queries of the kernel outside fitting: log normalisers, log responsibilities,
//! the most responsible component, and the limit for points too far for `f64` distances.
//!
//! Points with missing coordinates (NaN in a data set built with
//! `MissingPolicy::Marginalise`) are answered with their marginal densities over the
//! observed coordinates (docs/em.md, "Missing values").
//!
//! Like [`EStepKernel::e_step`], each query returns [`GmmError::ShapeMismatch`] when the
//! data's dimension differs from the kernel's.

use nalgebra::DMatrix;
use rayon::prelude::*;

use super::{EStepKernel, Factors, logsumexp};
use crate::data::Dataset;
#[cfg(doc)]
use crate::error::GmmError;
use crate::error::Result;

impl EStepKernel {
    /// `logsumexp_k log rho_nk` for every point: with EM's constants, the log density.
    ///
    /// # Errors
    /// [`GmmError::ShapeMismatch`] if `data` has another number of features than the
    /// kernel.
    pub fn log_norm(&self, data: &Dataset) -> Result<Vec<f64>> {
        self.map_rows(data, |_, row| logsumexp(row))
    }

    /// Log responsibilities `log r_nk`, N x K (computed on request; fitting never holds it).
    ///
    /// A point so far from every component that all its `log rho_nk` underflow to `-inf`
    /// (squared distances beyond `f64`) gets the limit of its responsibilities as the point
    /// moves away: all of it on the component nearest in the limit (see
    /// [`EStepKernel::nearest_in_the_limit`]), never NaN.
    ///
    /// # Errors
    /// [`GmmError::ShapeMismatch`] if `data` has another number of features than the
    /// kernel.
    pub fn log_resp(&self, data: &Dataset) -> Result<DMatrix<f64>> {
        self.log_resp_then(data, |v| v)
    }

    /// Responsibilities `r_nk = exp(log r_nk)`, N x K, as [`EStepKernel::log_resp`] (the
    /// exponentials taken in the same parallel pass): what `predict_proba` returns.
    ///
    /// ```
    /// use gmm_core::{synthetic, MixtureModel};
    /// let truth = synthetic::two_d_three_clusters();
    /// let data = synthetic::draw(&truth, 200, 1)?.data;
    /// let resp = truth.kernel().resp(&data)?;
    /// assert_eq!(resp.shape(), (200, 3));
    /// assert!(resp.row_iter().all(|r| (r.sum() - 1.0).abs() < 1e-12));
    /// assert_eq!(resp, truth.predict_proba(&data)?);
    /// # Ok::<(), gmm_core::GmmError>(())
    /// ```
    ///
    /// # Errors
    /// [`GmmError::ShapeMismatch`] if `data` has another number of features than the
    /// kernel.
    pub fn resp(&self, data: &Dataset) -> Result<DMatrix<f64>> {
        self.log_resp_then(data, f64::exp)
    }

    /// `then(log r_nk)` for every point and component, N x K.
    fn log_resp_then(
        &self,
        data: &Dataset,
        then: impl Fn(f64) -> f64 + Sync,
    ) -> Result<DMatrix<f64>> {
        let k = self.n_components;
        let rows = self.map_rows_into(data, k, |x, row, out| {
            let lse = logsumexp(row);
            if lse.is_finite() {
                for (o, v) in out.iter_mut().zip(row) {
                    *o = then(v - lse);
                }
            } else {
                out.fill(then(f64::NEG_INFINITY));
                out[self.nearest_in_the_limit_of(x)] = then(0.0);
            }
        })?;
        Ok(DMatrix::from_row_slice(data.n_samples(), k, &rows))
    }

    /// `ln max_k r_nk` for every point: the log responsibility of its most responsible
    /// component (ICL's hard classification; `0` for a point whose `log rho` all underflow,
    /// which the limit gives wholly to one component).
    ///
    /// # Errors
    /// [`GmmError::ShapeMismatch`] if `data` has another number of features than the
    /// kernel.
    pub fn log_max_resp(&self, data: &Dataset) -> Result<Vec<f64>> {
        self.map_rows(data, |_, row| {
            let lse = logsumexp(row);
            let best = row.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            if lse.is_finite() { best - lse } else { 0.0 }
        })
    }

    /// Index of the largest `log rho_nk` for every point (ties to the lowest index); for a
    /// point whose `log rho` all underflow, the component nearest in the limit.
    ///
    /// # Errors
    /// [`GmmError::ShapeMismatch`] if `data` has another number of features than the
    /// kernel.
    pub fn argmax(&self, data: &Dataset) -> Result<Vec<usize>> {
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
                self.nearest_in_the_limit_of(x)
            }
        })
    }

    /// The component that takes all the responsibility for `x` as `x` moves away from every
    /// component along its direction: the smallest squared whitened distance
    /// `|| P_k^T (x - m_k) / s ||^2`, computed with everything divided by the common scale
    /// `s = max(|x_j|, |m_kj|)` so that nothing overflows; ties go to the larger constant
    /// `c_k`, then to the lowest index.
    ///
    /// # Errors
    /// [`GmmError::ShapeMismatch`] if `x` has another number of coordinates than the
    /// kernel's features.
    pub fn nearest_in_the_limit(&self, x: &[f64]) -> Result<usize> {
        super::check_len(
            "coordinates of the point against the kernel's features",
            self.n_features,
            x.len(),
        )?;
        Ok(self.nearest_in_the_limit_of(x))
    }

    /// [`Self::nearest_in_the_limit`] of a point of the kernel's dimension.
    fn nearest_in_the_limit_of(&self, x: &[f64]) -> usize {
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
                Factors::Packed { columns: p, .. } => {
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

    /// `f(x, log rho)` for every point, in the data's order (chunk by chunk in parallel).
    fn map_rows<T, F>(&self, data: &Dataset, f: F) -> Result<Vec<T>>
    where
        T: Send + Copy + Default,
        F: Fn(&[f64], &[f64]) -> T + Sync,
    {
        self.map_rows_into(data, 1, |x, row, out| out[0] = f(x, row))
    }

    /// `width` values for every point, written by `f(x, log rho, out)` into the point's row
    /// of one N x `width` row-major buffer (nothing allocated per point).
    ///
    /// # Errors
    /// [`GmmError::ShapeMismatch`] if `data` has another number of features than the
    /// kernel.
    fn map_rows_into<T, F>(&self, data: &Dataset, width: usize, f: F) -> Result<Vec<T>>
    where
        T: Send + Copy + Default,
        F: Fn(&[f64], &[f64], &mut [T]) + Sync,
    {
        data.check_features(self.n_features)?;
        let d = self.n_features;
        let k = self.n_components;
        let mut out = vec![T::default(); data.n_samples() * width];
        if data.has_missing() {
            let log_rho = self.log_rho_with_missing(data);
            data.as_slice()
                .par_chunks(d)
                .zip(log_rho.par_chunks(k))
                .zip(out.par_chunks_mut(width))
                .for_each(|((x, row), out)| f(x, row, out));
            return Ok(out);
        }
        let rows = Self::chunk_rows(d);
        data.as_slice()
            .par_chunks(rows * d)
            .zip(out.par_chunks_mut(rows * width))
            .for_each_init(Vec::new, |buf, (chunk, out)| {
                buf.resize(chunk.len() / d * k, 0.0);
                self.log_rho_rows(chunk, buf);
                for ((x, row), out) in chunk
                    .chunks_exact(d)
                    .zip(buf.chunks_exact(k))
                    .zip(out.chunks_exact_mut(width))
                {
                    f(x, row, out);
                }
            });
        Ok(out)
    }
}
