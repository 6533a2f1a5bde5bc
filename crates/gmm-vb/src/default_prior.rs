//! The default covariance prior `W0^{-1}` and its fallback on degenerate data (docs/vb.md,
//! section "Priors").
//!
//! The default is the data covariance (`ddof = 1`), reduced to the covariance type. When that
//! reduced matrix is not positive definite, or only by rounding (a Cholesky pivot below
//! [`SINGULAR_PIVOT_RATIO`] of its diagonal entry), as for a constant column, collinear
//! columns, fewer points than features, every point the same or a single point, a ridge is
//! added to the
//! diagonal of the data covariance before the reduction: `1e-6 * var_j` on a column with
//! variance `var_j > 0`, and on a constant column `reg_covar`, or, when `reg_covar = 0`,
//! `1e-6` times the mean of the positive variances (1 if every column is constant).
//! Non-degenerate data never reach the fallback, so their prior is the data covariance bit
//! for bit.

use gmm_core::cholesky_lower;
use gmm_core::{CovarianceType, GmmError, Result};
use nalgebra::{DMatrix, DVector};

/// The ridge on a column with positive variance, relative to that variance.
pub(crate) const RELATIVE_RIDGE: f64 = 1e-6;

/// `c` as the covariance type uses it: full and tied as given, diag its diagonal, spherical
/// the mean of its diagonal times I (scikit-learn's per-type defaults).
pub(crate) fn reduce_to_type(c: DMatrix<f64>, covariance_type: CovarianceType) -> DMatrix<f64> {
    let d = c.nrows();
    match covariance_type {
        CovarianceType::Full | CovarianceType::Tied => c,
        CovarianceType::Diagonal => DMatrix::from_diagonal(&c.diagonal()),
        CovarianceType::Spherical => DMatrix::from_diagonal_element(d, d, c.diagonal().mean()),
    }
}

/// Below this ratio of a squared Cholesky pivot to its diagonal entry, the default prior
/// counts as singular: the column is a linear combination of the earlier ones to within
/// `1e-5` of its standard deviation, which is where an exactly collinear column lands by
/// rounding (about `1e-16` to `1e-13`; more only for millions of points).
pub(crate) const SINGULAR_PIVOT_RATIO: f64 = 1e-10;

/// Whether `c` is finite and has a Cholesky factor (the ELBO needs `log |W0|`).
pub(crate) fn is_positive_definite(c: &DMatrix<f64>) -> bool {
    c.iter().all(|v| v.is_finite()) && cholesky_lower(0, c).is_ok()
}

/// Whether `c` is finite, has a Cholesky factor and no pivot is singular by rounding only:
/// every `L_jj^2 > SINGULAR_PIVOT_RATIO * c_jj`. Exactly collinear columns often pass the
/// plain factorisation with a pivot of rounding size, and the fit on such a prior is
/// unreliable (the ELBO can fall); this test sends them to the fallback too.
pub(crate) fn is_clearly_positive_definite(c: &DMatrix<f64>) -> bool {
    if !c.iter().all(|v| v.is_finite()) {
        return false;
    }
    let Ok(l) = cholesky_lower(0, c) else {
        return false;
    };
    (0..c.nrows()).all(|j| l[(j, j)] * l[(j, j)] > SINGULAR_PIVOT_RATIO * c[(j, j)])
}

/// The default covariance prior for `covariance_type` from the data covariance `base`:
/// `base` reduced to the type, or, when that is not clearly positive definite
/// ([`is_clearly_positive_definite`]), `base` with the ridge of [`ridge`] on its diagonal.
///
/// # Errors
/// [`GmmError::InvalidParameter`] naming `covariance_prior` when even the ridged matrix is
/// not positive definite (not expected for finite data; never a panic).
pub(crate) fn default_covariance_prior(
    base: DMatrix<f64>,
    covariance_type: CovarianceType,
    reg_covar: f64,
) -> Result<DMatrix<f64>> {
    let plain = reduce_to_type(base.clone(), covariance_type);
    if is_clearly_positive_definite(&plain) {
        return Ok(plain);
    }
    let mut ridged = base;
    for (j, r) in ridge(&ridged.diagonal(), reg_covar).iter().enumerate() {
        ridged[(j, j)] += r;
    }
    let ridged = reduce_to_type(ridged, covariance_type);
    if is_positive_definite(&ridged) {
        return Ok(ridged);
    }
    Err(GmmError::InvalidParameter {
        name: "covariance_prior",
        value: format!("{ridged}"),
        reason: "the data covariance (the default prior) is singular and stays so with a \
                 ridge on its diagonal: give covariance_prior, or standardise the data"
            .into(),
    })
}

/// The ridge added to each diagonal entry of a singular data covariance with diagonal
/// `variances`: `1e-6 * var_j` where that is a positive normal number; elsewhere (a constant
/// column, or a variance so small that the relative ridge underflows) `reg_covar` if it is
/// positive, else `1e-6` times the mean of the positive variances, else 1.
pub(crate) fn ridge(variances: &DVector<f64>, reg_covar: f64) -> DVector<f64> {
    let positive: Vec<f64> = variances
        .iter()
        .copied()
        .filter(|v| v.is_finite() && *v > 0.0)
        .collect();
    let mean_positive = positive.iter().sum::<f64>() / positive.len().max(1) as f64;
    let floor = if reg_covar > 0.0 {
        reg_covar
    } else if RELATIVE_RIDGE * mean_positive >= f64::MIN_POSITIVE {
        RELATIVE_RIDGE * mean_positive
    } else {
        1.0
    };
    variances.map(|v| {
        let relative = RELATIVE_RIDGE * v;
        if relative.is_finite() && relative >= f64::MIN_POSITIVE {
            relative
        } else {
            floor
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use gmm_core::Dataset;

    #[test]
    fn ridge_is_relative_on_varying_columns_and_a_floor_on_constant_ones() {
        let v = DVector::from_vec(vec![4.0, 0.0, 1e-320]);
        assert_eq!(ridge(&v, 1e-3).as_slice(), &[4e-6, 1e-3, 1e-3]);
        assert_eq!(ridge(&v, 0.0).as_slice(), &[4e-6, 2e-6, 2e-6]);
        let zero = DVector::zeros(2);
        assert_eq!(ridge(&zero, 0.0).as_slice(), &[1.0, 1.0]);
        assert_eq!(ridge(&zero, 1e-6).as_slice(), &[1e-6, 1e-6]);
    }

    #[test]
    fn non_degenerate_data_keep_the_data_covariance() {
        let data = Dataset::from_rows(&[[0.0, 1.0], [1.0, 0.5], [3.0, 4.0], [2.0, -1.0]]).unwrap();
        for ct in CovarianceType::ALL {
            let prior = default_covariance_prior(data.covariance(1), ct, 1e-6).unwrap();
            assert_eq!(prior, reduce_to_type(data.covariance(1), ct), "{ct}");
        }
    }

    #[test]
    fn a_pivot_of_rounding_size_counts_as_singular() {
        let exact = DMatrix::from_row_slice(2, 2, &[1.0, 2.0, 2.0, 4.0 + 1e-15]);
        assert!(is_positive_definite(&exact));
        assert!(!is_clearly_positive_definite(&exact));
        let correlated = DMatrix::from_row_slice(2, 2, &[1.0, 2.0, 2.0, 4.0 + 1e-8]);
        assert!(is_clearly_positive_definite(&correlated));
        assert!(!is_clearly_positive_definite(&DMatrix::from_element(
            1,
            1,
            f64::NAN
        )));
    }

    #[test]
    fn a_constant_column_gets_reg_covar() {
        let data = Dataset::from_rows(&[[0.0, 2.0], [1.0, 2.0], [2.0, 2.0]]).unwrap();
        let prior =
            default_covariance_prior(data.covariance(1), CovarianceType::Full, 1e-6).unwrap();
        assert_eq!(prior[(0, 0)], 1.0 + 1e-6);
        assert_eq!(prior[(1, 1)], 1e-6);
        assert_eq!(prior[(0, 1)], 0.0);
        // spherical averages the constant column away: no ridge
        let prior =
            default_covariance_prior(data.covariance(1), CovarianceType::Spherical, 1e-6).unwrap();
        assert_eq!(prior[(0, 0)], 0.5);
    }
}
