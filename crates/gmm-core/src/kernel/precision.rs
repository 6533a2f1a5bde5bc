//! When the E-step may run in `f32` lanes: an estimate of the error of single-precision
//! whitened coordinates for a model and an origin, and the limit above which the kernel
//! falls back to `f64` lanes (docs/performance.md, "float32").
//!
//! In `f32` lanes the kernel rounds `x - o` (computed in `f64`), the means `m_k - o` and the
//! factors `P_k` to `f32`, and forms `y = P_k^T (x - m_k)` in `f32`. Relative to one standard
//! deviation of the component, the rounding of the differences costs about
//! `eps ||P_k|| ||x - o||` and that of the factor about `eps ||P_k|| ||P_k^-1||`, with `eps`
//! = 2^-24 the unit roundoff of `f32`. Both are bounded with Frobenius norms (which bound
//! the spectral ones), the distance `||x - o||` by that of the mean, `||m_k - o||`, plus one
//! spread, `||P_k^-1||`:
//!
//! ```text
//! e_k = eps ||P_k||_F (||m_k - o||_2 + 2 ||P_k^-1||_F)
//! ```
//!
//! The error of `log rho` at a point `t` standard deviations out is then about `t e_k`; at
//! [`SINGLE_PRECISION_LIMIT`] = 1e-4 it stays below 1e-3 for points within 10 deviations.

use super::{EStepKernel, Factors};

/// The largest [`EStepKernel::single_precision_error`] at which `f32` points are processed
/// in `f32` lanes; above it they run in `f64` lanes.
pub const SINGLE_PRECISION_LIMIT: f64 = 1e-4;

/// Unit roundoff of `f32`, `2^-24`.
const F32_ROUNDOFF: f64 = 5.960_464_477_539_063e-8;

/// `||P_k||_F` and `||P_k^-1||_F` of every component, computed on the first call of
/// [`EStepKernel::single_precision_error`] and kept: they depend on the factors only, and the
/// inverse costs `D^3 / 6` per component, which a pass over many batches would otherwise
/// pay once per batch. A cache, so equality ignores it; boxed, so that the kernel (held by
/// every mixture) grows by one pointer.
#[derive(Debug, Clone, Default)]
pub(super) struct FactorNorms(Box<std::sync::OnceLock<Vec<(f64, f64)>>>);

impl PartialEq for FactorNorms {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl EStepKernel {
    /// The estimate `max_k e_k` of the rounding of whitened coordinates in `f32` lanes, in
    /// standard deviations, for points relative to `origin` (see the module's
    /// documentation); `+inf` for a factor that is not invertible.
    pub fn single_precision_error(&self, origin: &[f64]) -> f64 {
        let d = self.n_features;
        let norms = self.factor_norms.0.get_or_init(|| {
            (0..self.n_components)
                .map(|c| self.factor_norms(c))
                .collect()
        });
        let mut worst = 0.0f64;
        for (c, (norm, inverse_norm)) in norms.iter().enumerate() {
            let offset = (0..d)
                .map(|j| (self.means[c * d + j] - origin[j]).powi(2))
                .sum::<f64>()
                .sqrt();
            worst = worst.max(F32_ROUNDOFF * norm * (offset + 2.0 * inverse_norm));
        }
        if worst.is_nan() { f64::INFINITY } else { worst }
    }

    /// `||P_c||_F` and `||P_c^-1||_F` of component `c`'s whitening factor.
    fn factor_norms(&self, c: usize) -> (f64, f64) {
        let d = self.n_features;
        let frobenius = |v: &mut dyn Iterator<Item = f64>| v.map(|x| x * x).sum::<f64>().sqrt();
        match &self.factors {
            Factors::Packed { columns: p, .. } => {
                let packed = &p[c * d * (d + 1) / 2..(c + 1) * d * (d + 1) / 2];
                (
                    frobenius(&mut packed.iter().copied()),
                    frobenius(&mut upper_inverse(packed, d).into_iter()),
                )
            }
            Factors::Diagonal(p) => {
                let p = &p[c * d..(c + 1) * d];
                (
                    frobenius(&mut p.iter().copied()),
                    frobenius(&mut p.iter().map(|x| 1.0 / x)),
                )
            }
            Factors::Spherical(p) => {
                let root_d = (d as f64).sqrt();
                (root_d * p[c].abs(), root_d / p[c].abs())
            }
        }
    }
}

/// The inverse of the upper triangular `P` packed column by column
/// (`packed[j (j + 1) / 2 + i] = P_ij`), as a dense row-major `d x d` matrix: each column of
/// `X` from `P X = I` by back substitution. Entries are infinite or NaN when a diagonal
/// entry is zero.
fn upper_inverse(packed: &[f64], d: usize) -> Vec<f64> {
    let at = |i: usize, j: usize| packed[j * (j + 1) / 2 + i];
    let mut x = vec![0.0; d * d];
    for col in 0..d {
        for i in (0..=col).rev() {
            let mut sum = if i == col { 1.0 } else { 0.0 };
            for j in i + 1..=col {
                sum -= at(i, j) * x[j * d + col];
            }
            x[i * d + col] = sum / at(i, i);
        }
    }
    x
}
