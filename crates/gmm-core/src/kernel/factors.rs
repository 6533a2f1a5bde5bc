//! The whitening factors `P_k` in the layout the kernel reads, built from the precision
//! Cholesky factors of the mixture (or of VB's `nu_k W_k`).

use nalgebra::DMatrix;

use super::triangular::blocked_layout;
use crate::covariance::PrecisionCholesky;
use crate::error::{GmmError, Result};
use crate::simd::Lane;

/// Per-component whitening factors in the layout the kernel reads, in `f64` or (for the
/// single-precision E-step) rounded to `f32`.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Factors<T = f64> {
    /// Upper triangular factors packed column by column: column j of component k holds
    /// `P[0..=j, j]` at `k * D(D+1)/2 + j(j+1)/2` (`columns`), and the same values in the
    /// order the E-step's triangular product reads them (`blocks`, see
    /// `triangular::blocked_layout`).
    Packed {
        /// Column by column.
        columns: Vec<T>,
        /// In blocks of columns.
        blocks: Vec<T>,
    },
    /// K x D inverse standard deviations.
    Diagonal(Vec<T>),
    /// One inverse standard deviation per component.
    Spherical(Vec<T>),
}

impl<T: Lane> Factors<T> {
    /// Full factors of `k` components in `d` dimensions from their columns.
    fn packed(columns: Vec<T>, (k, d): (usize, usize)) -> Self {
        let blocks = blocked_layout(&columns, k, d);
        Self::Packed { columns, blocks }
    }
}

impl Factors {
    /// The same factors of `k` components in `d` dimensions rounded to `f32`.
    pub(super) fn narrowed(&self, k: usize, d: usize) -> Factors<f32> {
        let narrow = |v: &[f64]| v.iter().map(|&x| x as f32).collect();
        match self {
            Self::Packed { columns, .. } => Factors::packed(narrow(columns), (k, d)),
            Self::Diagonal(p) => Factors::Diagonal(narrow(p)),
            Self::Spherical(p) => Factors::Spherical(narrow(p)),
        }
    }

    /// The factors of `k` components in `d` dimensions (a tied factor repeated K times).
    ///
    /// # Errors
    /// [`GmmError::ShapeMismatch`] when the number or the size of the factors is not K or D.
    pub(super) fn from_precision(factors: &PrecisionCholesky, k: usize, d: usize) -> Result<Self> {
        match factors {
            PrecisionCholesky::Full(ps) => {
                if ps.len() != k {
                    return Err(mismatch("number of precision factors", k, ps.len()));
                }
                Ok(Self::packed(pack_upper(ps.iter(), k, d)?, (k, d)))
            }
            PrecisionCholesky::Tied(p) => Ok(Self::packed(
                pack_upper(std::iter::repeat_n(p, k), k, d)?,
                (k, d),
            )),
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
                Ok(Self::Diagonal(out))
            }
            PrecisionCholesky::Spherical(v) => {
                if v.len() != k {
                    return Err(mismatch("number of precision factors", k, v.len()));
                }
                Ok(Self::Spherical(v.clone()))
            }
        }
    }
}

/// The upper triangles of `k` D x D factors packed column by column, one after the other.
fn pack_upper<'a>(
    factors: impl Iterator<Item = &'a DMatrix<f64>>,
    k: usize,
    d: usize,
) -> Result<Vec<f64>> {
    let mut out = Vec::with_capacity(k * (d * (d + 1) / 2));
    for p in factors {
        if p.shape() != (d, d) {
            return Err(mismatch("size of a precision factor", d, p.nrows()));
        }
        for j in 0..d {
            out.extend((0..=j).map(|i| p[(i, j)]));
        }
    }
    Ok(out)
}

/// The error for two sizes that disagree.
fn mismatch(what: &str, expected: usize, found: usize) -> GmmError {
    GmmError::ShapeMismatch {
        what: what.into(),
        expected,
        found,
    }
}
