//! Covariance types, their storage, and the precision Cholesky factors kept beside them.
//!
//! For every component the densities need `P_k` with `P_k P_k^T = Sigma_k^{-1}` (the
//! Cholesky factor of the precision). If `Sigma_k = C_k C_k^T` with `C_k` lower triangular,
//! then `P_k = C_k^{-T}` is upper triangular; it is computed once by a triangular solve, so
//! no density ever inverts a matrix (docs/maths.md, eq. D3).

use nalgebra::{DMatrix, DVector};
use serde::{Deserialize, Serialize};

use crate::error::{GmmError, Result};

/// How the covariance of each component is parameterised.
///
/// Serialised with scikit-learn's names: `"full"`, `"diag"`, `"spherical"`, `"tied"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub enum CovarianceType {
    /// Each component has its own full D x D covariance.
    #[default]
    #[serde(rename = "full")]
    Full,
    /// Each component has its own diagonal covariance (D variances).
    #[serde(rename = "diag")]
    Diagonal,
    /// Each component has one variance shared by all features.
    #[serde(rename = "spherical")]
    Spherical,
    /// All components share one full D x D covariance.
    #[serde(rename = "tied")]
    Tied,
}

impl CovarianceType {
    /// scikit-learn's name of the type.
    pub fn name(self) -> &'static str {
        match self {
            Self::Full => "full",
            Self::Diagonal => "diag",
            Self::Spherical => "spherical",
            Self::Tied => "tied",
        }
    }

    /// All four types, in a fixed order.
    pub const ALL: [CovarianceType; 4] = [Self::Full, Self::Diagonal, Self::Spherical, Self::Tied];

    /// Number of free covariance parameters for `k` components of dimension `d`.
    pub fn n_parameters(self, k: usize, d: usize) -> usize {
        match self {
            Self::Full => k * d * (d + 1) / 2,
            Self::Tied => d * (d + 1) / 2,
            Self::Diagonal => k * d,
            Self::Spherical => k,
        }
    }

    /// Which scatter the sufficient statistics must keep for this type.
    pub fn scatter_kind(self) -> crate::stats::ScatterKind {
        match self {
            Self::Full | Self::Tied => crate::stats::ScatterKind::Full,
            Self::Diagonal | Self::Spherical => crate::stats::ScatterKind::Diagonal,
        }
    }
}

impl std::fmt::Display for CovarianceType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for CovarianceType {
    type Err = GmmError;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "full" => Ok(Self::Full),
            "diag" | "diagonal" => Ok(Self::Diagonal),
            "spherical" => Ok(Self::Spherical),
            "tied" => Ok(Self::Tied),
            other => Err(GmmError::InvalidParameter {
                name: "covariance_type",
                value: other.to_string(),
                reason: "use one of full, diag, spherical, tied".into(),
            }),
        }
    }
}

/// The covariances of a mixture, stored as their type needs.
#[derive(Debug, Clone, PartialEq)]
pub enum Covariances {
    /// One full D x D matrix per component.
    Full(Vec<DMatrix<f64>>),
    /// One vector of D variances per component.
    Diagonal(Vec<DVector<f64>>),
    /// One variance per component.
    Spherical(Vec<f64>),
    /// One D x D matrix shared by all components.
    Tied(DMatrix<f64>),
}

/// Relative tolerance of the symmetry check on full and tied covariances.
pub const SYMMETRY_TOLERANCE: f64 = 1e-10;

impl Covariances {
    /// The covariances of given precisions (their inverses), from `values` in the row-major
    /// layout of scikit-learn's `precisions_init` for the type: full K x D x D, tied D x D,
    /// diag K x D, spherical K. Matrices are symmetrised (`(P + P^T) / 2`) before inversion.
    ///
    /// ```
    /// use gmm_core::{CovarianceType, Covariances};
    /// let c = Covariances::from_precisions(CovarianceType::Diagonal, 1, 2, &[4.0, 0.5])?;
    /// assert_eq!(c.variances(0, 2).as_slice(), &[0.25, 2.0]);
    /// assert!(Covariances::from_precisions(CovarianceType::Spherical, 1, 2, &[0.0]).is_err());
    /// # Ok::<(), gmm_core::GmmError>(())
    /// ```
    ///
    /// # Errors
    /// [`GmmError::ShapeMismatch`] when `values` has the wrong length;
    /// [`GmmError::NotPositiveDefinite`] naming the component whose precision is not finite
    /// and symmetric positive definite (positive for diag and spherical).
    pub fn from_precisions(
        covariance_type: CovarianceType,
        k: usize,
        d: usize,
        values: &[f64],
    ) -> Result<Self> {
        let expected = match covariance_type {
            CovarianceType::Full => k * d * d,
            CovarianceType::Tied => d * d,
            CovarianceType::Diagonal => k * d,
            CovarianceType::Spherical => k,
        };
        if values.len() != expected {
            return Err(GmmError::ShapeMismatch {
                what: format!("number of {covariance_type} precision values"),
                expected,
                found: values.len(),
            });
        }
        let not_spd = |component: usize| GmmError::NotPositiveDefinite {
            component,
            reason: "a precision must be finite and symmetric positive definite (positive for \
                     diag and spherical)"
                .into(),
        };
        let inverse = |c: usize, v: &[f64]| -> Result<DMatrix<f64>> {
            if v.iter().any(|x| !x.is_finite()) {
                return Err(not_spd(c));
            }
            let m = DMatrix::from_row_slice(d, d, v);
            let m = (&m + m.transpose()) * 0.5;
            nalgebra::Cholesky::new(m)
                .map(|ch| ch.inverse())
                .ok_or_else(|| not_spd(c))
        };
        let reciprocal = |c: usize, x: f64| {
            if x.is_finite() && x > 0.0 {
                Ok(1.0 / x)
            } else {
                Err(not_spd(c))
            }
        };
        Ok(match covariance_type {
            CovarianceType::Full => Self::Full(
                (0..k)
                    .map(|c| inverse(c, &values[c * d * d..(c + 1) * d * d]))
                    .collect::<Result<_>>()?,
            ),
            CovarianceType::Tied => Self::Tied(inverse(0, values)?),
            CovarianceType::Diagonal => Self::Diagonal(
                (0..k)
                    .map(|c| {
                        values[c * d..(c + 1) * d]
                            .iter()
                            .map(|&x| reciprocal(c, x))
                            .collect::<Result<Vec<_>>>()
                            .map(DVector::from_vec)
                    })
                    .collect::<Result<_>>()?,
            ),
            CovarianceType::Spherical => Self::Spherical(
                values
                    .iter()
                    .enumerate()
                    .map(|(c, &x)| reciprocal(c, x))
                    .collect::<Result<_>>()?,
            ),
        })
    }

    /// The type of this storage.
    pub fn covariance_type(&self) -> CovarianceType {
        match self {
            Self::Full(_) => CovarianceType::Full,
            Self::Diagonal(_) => CovarianceType::Diagonal,
            Self::Spherical(_) => CovarianceType::Spherical,
            Self::Tied(_) => CovarianceType::Tied,
        }
    }

    /// Checks shapes against `k` components of dimension `d`, finiteness and symmetry.
    pub fn check_shape(&self, k: usize, d: usize) -> Result<()> {
        let mismatch = |what: &str, expected, found| {
            Err(GmmError::ShapeMismatch {
                what: what.to_string(),
                expected,
                found,
            })
        };
        let count = match self {
            Self::Full(m) => m.len(),
            Self::Diagonal(v) => v.len(),
            Self::Spherical(v) => v.len(),
            Self::Tied(_) => k,
        };
        if count != k {
            return mismatch("number of covariances", k, count);
        }
        match self {
            Self::Full(mats) => {
                for (c, m) in mats.iter().enumerate() {
                    check_square(c, m, d)?;
                }
            }
            Self::Tied(m) => check_square(0, m, d)?,
            Self::Diagonal(vs) => {
                for (c, v) in vs.iter().enumerate() {
                    if v.len() != d {
                        return mismatch("length of a diagonal covariance", d, v.len());
                    }
                    for &x in v.iter() {
                        check_variance(c, x)?;
                    }
                }
            }
            Self::Spherical(vs) => {
                for (c, &x) in vs.iter().enumerate() {
                    check_variance(c, x)?;
                }
            }
        }
        Ok(())
    }

    /// The full D x D covariance of component `k`, whatever the storage.
    ///
    /// # Panics
    /// If `k` is out of range.
    pub fn full_matrix(&self, k: usize, d: usize) -> DMatrix<f64> {
        match self {
            Self::Full(m) => m[k].clone(),
            Self::Tied(m) => m.clone(),
            Self::Diagonal(v) => DMatrix::from_diagonal(&v[k]),
            Self::Spherical(v) => DMatrix::from_diagonal_element(d, d, v[k]),
        }
    }

    /// The D variances (the diagonal) of component `k`, without forming a D x D matrix.
    ///
    /// # Panics
    /// If `k` is out of range.
    pub fn variances(&self, k: usize, d: usize) -> DVector<f64> {
        match self {
            Self::Full(m) => m[k].diagonal(),
            Self::Tied(m) => m.diagonal(),
            Self::Diagonal(v) => v[k].clone(),
            Self::Spherical(v) => DVector::from_element(d, v[k]),
        }
    }

    /// Rebuilds storage of type `kind` from one full matrix per component, checking that the
    /// matrices have the structure the type requires (equal for tied, diagonal for diag, a
    /// multiple of the identity for spherical). Values are taken as they are, bit for bit.
    pub fn from_full_matrices(kind: CovarianceType, mats: Vec<DMatrix<f64>>) -> Result<Self> {
        let invalid = |reason: String| Err(GmmError::InvalidModel { reason });
        let Some(d) = mats.first().map(|m| m.nrows()) else {
            return invalid("no covariance matrices".into());
        };
        for (c, m) in mats.iter().enumerate() {
            check_square(c, m, d)?;
        }
        let off_diagonal_zero =
            |m: &DMatrix<f64>| (0..d).all(|a| (0..d).all(|b| a == b || m[(a, b)] == 0.0));
        match kind {
            CovarianceType::Full => Ok(Self::Full(mats)),
            CovarianceType::Tied => {
                if let Some(c) = mats.iter().position(|m| m != &mats[0]) {
                    return invalid(format!(
                        "covariance type is tied but covariance {c} differs from covariance 0"
                    ));
                }
                Ok(Self::Tied(mats[0].clone()))
            }
            CovarianceType::Diagonal => {
                if let Some(c) = mats.iter().position(|m| !off_diagonal_zero(m)) {
                    return invalid(format!(
                        "covariance type is diag but covariance {c} has non-zero off-diagonal entries"
                    ));
                }
                Ok(Self::Diagonal(mats.iter().map(|m| m.diagonal()).collect()))
            }
            CovarianceType::Spherical => {
                if let Some(c) = mats
                    .iter()
                    .position(|m| !off_diagonal_zero(m) || (0..d).any(|a| m[(a, a)] != m[(0, 0)]))
                {
                    return invalid(format!(
                        "covariance type is spherical but covariance {c} is not a multiple of the identity"
                    ));
                }
                Ok(Self::Spherical(mats.iter().map(|m| m[(0, 0)]).collect()))
            }
        }
    }

    /// Computes the precision Cholesky factor of every component.
    ///
    /// # Errors
    /// [`GmmError::NotPositiveDefinite`] naming the first component whose covariance has no
    /// Cholesky factorisation.
    pub fn precision_cholesky(&self) -> Result<PrecisionCholesky> {
        Ok(match self {
            Self::Full(mats) => PrecisionCholesky::Full(
                mats.iter()
                    .enumerate()
                    .map(|(c, m)| precision_factor_of(c, m))
                    .collect::<Result<_>>()?,
            ),
            Self::Tied(m) => PrecisionCholesky::Tied(precision_factor_of(0, m)?),
            Self::Diagonal(vs) => PrecisionCholesky::Diagonal(
                vs.iter()
                    .enumerate()
                    .map(|(c, v)| {
                        v.iter().try_for_each(|&x| check_variance(c, x))?;
                        Ok(v.map(|x| 1.0 / x.sqrt()))
                    })
                    .collect::<Result<_>>()?,
            ),
            Self::Spherical(vs) => PrecisionCholesky::Spherical(
                vs.iter()
                    .enumerate()
                    .map(|(c, &x)| check_variance(c, x).map(|_| 1.0 / x.sqrt()))
                    .collect::<Result<_>>()?,
            ),
        })
    }
}

/// Cholesky factors of the precisions, `P_k P_k^T = Sigma_k^{-1}`, stored per type.
///
/// Full and tied factors are upper triangular (`P = C^{-T}` for `Sigma = C C^T`), as in
/// scikit-learn's `precisions_cholesky_`; diagonal ones hold `1 / sigma`; spherical ones one
/// `1 / sigma` per component.
#[derive(Debug, Clone, PartialEq)]
pub enum PrecisionCholesky {
    /// Upper triangular D x D factor per component.
    Full(Vec<DMatrix<f64>>),
    /// Inverse standard deviations per component.
    Diagonal(Vec<DVector<f64>>),
    /// One inverse standard deviation per component.
    Spherical(Vec<f64>),
    /// One upper triangular factor shared by all components.
    Tied(DMatrix<f64>),
}

impl PrecisionCholesky {
    /// `sum ln diag(P_k) = -1/2 ln |Sigma_k|` for component `k` of dimension `d`.
    pub fn log_det(&self, k: usize, d: usize) -> f64 {
        match self {
            Self::Full(m) => m[k].diagonal().iter().map(|x| x.ln()).sum(),
            Self::Tied(m) => m.diagonal().iter().map(|x| x.ln()).sum(),
            Self::Diagonal(v) => v[k].iter().map(|x| x.ln()).sum(),
            Self::Spherical(v) => d as f64 * v[k].ln(),
        }
    }
}

fn check_square(component: usize, m: &DMatrix<f64>, d: usize) -> Result<()> {
    if m.nrows() != d || m.ncols() != d {
        return Err(GmmError::ShapeMismatch {
            what: format!("shape of covariance {component} (rows and columns)"),
            expected: d,
            found: if m.nrows() != d { m.nrows() } else { m.ncols() },
        });
    }
    for a in 0..d {
        for b in 0..d {
            let x = m[(a, b)];
            if !x.is_finite() {
                return Err(GmmError::NotPositiveDefinite {
                    component,
                    reason: format!("entry ({a}, {b}) is {x}"),
                });
            }
            if b > a {
                let y = m[(b, a)];
                let scale = (m[(a, a)].abs() * m[(b, b)].abs())
                    .sqrt()
                    .max(f64::MIN_POSITIVE);
                if (x - y).abs() > SYMMETRY_TOLERANCE * scale {
                    return Err(GmmError::NotPositiveDefinite {
                        component,
                        reason: format!(
                            "not symmetric: entry ({a}, {b}) = {x} but ({b}, {a}) = {y}"
                        ),
                    });
                }
            }
        }
    }
    Ok(())
}

fn check_variance(component: usize, x: f64) -> Result<()> {
    if x.is_finite() && x > 0.0 {
        Ok(())
    } else {
        Err(GmmError::NotPositiveDefinite {
            component,
            reason: format!("variance {x} is not positive"),
        })
    }
}

/// Makes a square matrix exactly symmetric in place: each off-diagonal pair becomes its mean
/// `(a_ij + a_ji) / 2` (the M-steps' scatter matrices differ from symmetric by rounding).
pub fn symmetrise(m: &mut DMatrix<f64>) {
    let d = m.nrows();
    for a in 0..d {
        for b in 0..a {
            let v = 0.5 * (m[(a, b)] + m[(b, a)]);
            m[(a, b)] = v;
            m[(b, a)] = v;
        }
    }
}

/// Lower Cholesky factor `C` of a symmetric matrix (`A = C C^T`), reading the lower triangle.
///
/// # Errors
/// [`GmmError::NotPositiveDefinite`] for `component` when a pivot is not positive.
pub fn cholesky_lower(component: usize, a: &DMatrix<f64>) -> Result<DMatrix<f64>> {
    let d = a.nrows();
    let mut c = DMatrix::zeros(d, d);
    for j in 0..d {
        let mut pivot = a[(j, j)];
        for p in 0..j {
            pivot -= c[(j, p)] * c[(j, p)];
        }
        if pivot.is_nan() || pivot <= 0.0 || pivot.is_infinite() {
            return Err(GmmError::NotPositiveDefinite {
                component,
                reason: format!("Cholesky pivot {j} is {pivot:e}"),
            });
        }
        let root = pivot.sqrt();
        c[(j, j)] = root;
        for i in j + 1..d {
            let mut s = a[(i, j)];
            for p in 0..j {
                s -= c[(i, p)] * c[(j, p)];
            }
            c[(i, j)] = s / root;
        }
    }
    Ok(c)
}

/// Upper triangular `P = C^{-T}` with `P P^T = A^{-1}` for a symmetric positive definite `A`.
///
/// # Errors
/// [`GmmError::NotPositiveDefinite`] for `component` when `A` has no Cholesky factor.
pub fn precision_factor_of(component: usize, a: &DMatrix<f64>) -> Result<DMatrix<f64>> {
    let c = cholesky_lower(component, a)?;
    let d = a.nrows();
    // Solve C X = I by forward substitution; X = C^{-1} is lower triangular.
    let mut inv = DMatrix::zeros(d, d);
    for col in 0..d {
        for i in col..d {
            let mut s = if i == col { 1.0 } else { 0.0 };
            for p in col..i {
                s -= c[(i, p)] * inv[(p, col)];
            }
            inv[(i, col)] = s / c[(i, i)];
        }
    }
    Ok(inv.transpose())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn precision_factor_inverts_the_covariance() {
        let a = DMatrix::from_row_slice(3, 3, &[4.0, 1.0, 0.5, 1.0, 3.0, 0.2, 0.5, 0.2, 2.0]);
        let p = precision_factor_of(0, &a).unwrap();
        for i in 0..3 {
            for j in 0..i {
                assert_eq!(p[(i, j)], 0.0, "P must be upper triangular");
            }
        }
        let prod = &a * (&p * p.transpose());
        assert!((prod - DMatrix::<f64>::identity(3, 3)).abs().max() < 1e-13);
    }

    #[test]
    fn non_spd_and_asymmetric_matrices_are_rejected() {
        let indefinite = DMatrix::from_row_slice(2, 2, &[1.0, 2.0, 2.0, 1.0]);
        assert!(matches!(
            Covariances::Full(vec![indefinite]).precision_cholesky(),
            Err(GmmError::NotPositiveDefinite { component: 0, .. })
        ));
        let asym = DMatrix::from_row_slice(2, 2, &[1.0, 0.1, 0.2, 1.0]);
        assert!(matches!(
            Covariances::Full(vec![DMatrix::identity(2, 2), asym]).check_shape(2, 2),
            Err(GmmError::NotPositiveDefinite { component: 1, .. })
        ));
        assert!(
            Covariances::Spherical(vec![1.0, 0.0])
                .check_shape(2, 3)
                .is_err()
        );
        assert!(
            Covariances::Diagonal(vec![DVector::from_vec(vec![1.0, -1.0])])
                .check_shape(1, 2)
                .is_err()
        );
        assert!(matches!(
            Covariances::Spherical(vec![1.0]).check_shape(2, 1),
            Err(GmmError::ShapeMismatch { .. })
        ));
    }

    #[test]
    fn full_matrices_round_trip_for_every_type() {
        let d = 2;
        let cases = [
            Covariances::Full(vec![
                DMatrix::from_row_slice(2, 2, &[2.0, 0.3, 0.3, 1.0]);
                2
            ]),
            Covariances::Tied(DMatrix::from_row_slice(2, 2, &[2.0, 0.3, 0.3, 1.0])),
            Covariances::Diagonal(vec![DVector::from_vec(vec![1.5, 0.5]); 2]),
            Covariances::Spherical(vec![0.7, 1.1]),
        ];
        for cov in cases {
            let mats: Vec<_> = (0..2).map(|k| cov.full_matrix(k, d)).collect();
            let back = Covariances::from_full_matrices(cov.covariance_type(), mats).unwrap();
            assert_eq!(back, cov);
        }
        let not_diag = vec![DMatrix::from_row_slice(2, 2, &[2.0, 0.3, 0.3, 1.0])];
        assert!(Covariances::from_full_matrices(CovarianceType::Diagonal, not_diag).is_err());
    }

    #[test]
    fn type_names_parse_and_print() {
        for t in CovarianceType::ALL {
            assert_eq!(t.name().parse::<CovarianceType>().unwrap(), t);
        }
        assert!("banana".parse::<CovarianceType>().is_err());
    }
}
