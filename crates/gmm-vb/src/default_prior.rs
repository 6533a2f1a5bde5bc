//! The default priors `m0` and `W0^{-1}` from the data's summary statistics, and the
//! covariance prior's fallback on degenerate data (docs/vb.md, section "Priors").
//!
//! Both come from one [`SufficientStats`] with K = 1 over the data (every point in the one
//! component, [`gmm_core::data_statistics`], one pass of a stream or of data in memory):
//! `m0` is its mean, `W0^{-1}` its centred scatter divided by `N - 1` (the data covariance,
//! `ddof = 1`, N the sum of the weights; divisor 1 when that is not above 1), reduced to the
//! covariance type. The statistics keep the full scatter for full and tied and only its
//! diagonal for diag and spherical (`CovarianceType::scatter_kind`), so those never form a
//! D x D matrix.
//!
//! When the reduced matrix is not positive definite, or only by rounding (a Cholesky pivot
//! below [`SINGULAR_PIVOT_RATIO`] of its diagonal entry), as for a constant column, collinear
//! columns, fewer points than features, every point the same or a single point, a ridge is
//! added to the diagonal of the data covariance before the reduction: `1e-6 * var_j` on a
//! column with variance `var_j > 0`, and on a constant column `reg_covar`, or, when
//! `reg_covar = 0`, `1e-6` times the mean of the positive variances (1 if every column is
//! constant). Non-degenerate data never reach the fallback.

use gmm_core::cholesky_lower;
use gmm_core::{CovarianceType, Covariances, GmmError, Result, SufficientStats};
use nalgebra::{DMatrix, DVector};

/// The ridge on a column with positive variance, relative to that variance.
pub(crate) const RELATIVE_RIDGE: f64 = 1e-6;

/// Below this ratio of a squared Cholesky pivot to its diagonal entry, the default prior
/// counts as singular: the column is a linear combination of the earlier ones to within
/// `1e-5` of its standard deviation, which is where an exactly collinear column lands by
/// rounding (about `1e-16` to `1e-13`; more only for millions of points).
pub(crate) const SINGULAR_PIVOT_RATIO: f64 = 1e-10;

/// The data covariance (`ddof = 1`) of statistics with one component, as one-component
/// covariances of `covariance_type` before any reduction: a D x D matrix for full and tied,
/// the D variances for diag and spherical.
fn data_covariance(stats: &SufficientStats, covariance_type: CovarianceType) -> Covariances {
    let excess = stats.n_k()[0] - 1.0;
    let denominator = if excess > 0.0 { excess } else { 1.0 };
    match covariance_type {
        CovarianceType::Full => Covariances::Full(vec![stats.scatter(0) / denominator]),
        CovarianceType::Tied => Covariances::Tied(stats.scatter(0) / denominator),
        CovarianceType::Diagonal | CovarianceType::Spherical => {
            Covariances::Diagonal(vec![stats.scatter_diagonal(0) / denominator])
        }
    }
}

/// The diagonal of one-component covariances.
fn diagonal_of(c: &Covariances) -> DVector<f64> {
    match c {
        Covariances::Full(m) => m[0].diagonal(),
        Covariances::Tied(m) => m.diagonal(),
        Covariances::Diagonal(v) => v[0].clone(),
        Covariances::Spherical(s) => DVector::from_element(1, s[0]),
    }
}

/// `c` (one component) with `r` added to its diagonal.
fn add_to_diagonal(mut c: Covariances, r: &DVector<f64>) -> Covariances {
    match &mut c {
        Covariances::Full(m) => add_diag(&mut m[0], r),
        Covariances::Tied(m) => add_diag(m, r),
        Covariances::Diagonal(v) => v[0] += r,
        Covariances::Spherical(s) => s[0] += r[0],
    }
    c
}

fn add_diag(m: &mut DMatrix<f64>, r: &DVector<f64>) {
    for (j, x) in r.iter().enumerate() {
        m[(j, j)] += x;
    }
}

/// A one-component matrix as the covariance type uses it: full and tied as given, diag its
/// diagonal, spherical the mean of its diagonal (scikit-learn's per-type defaults).
pub(crate) fn reduce_to_type(c: Covariances, covariance_type: CovarianceType) -> Covariances {
    match covariance_type {
        CovarianceType::Full | CovarianceType::Tied => c,
        CovarianceType::Diagonal => Covariances::Diagonal(vec![diagonal_of(&c)]),
        CovarianceType::Spherical => Covariances::Spherical(vec![diagonal_of(&c).mean()]),
    }
}

/// The one-component covariances of type `covariance_type` of a D x D matrix the user gave
/// (diag keeps its diagonal, spherical the diagonal's mean).
pub(crate) fn given_prior(c: &DMatrix<f64>, covariance_type: CovarianceType) -> Covariances {
    match covariance_type {
        CovarianceType::Tied => Covariances::Tied(c.clone()),
        _ => reduce_to_type(Covariances::Full(vec![c.clone()]), covariance_type),
    }
}

/// Whether the one-component `c` is finite and positive definite (the ELBO needs
/// `log |W0|`).
pub(crate) fn is_positive_definite(c: &Covariances) -> bool {
    c.check_shape(1, dimension(c)).is_ok() && c.precision_cholesky().is_ok()
}

fn dimension(c: &Covariances) -> usize {
    match c {
        Covariances::Full(m) => m[0].nrows(),
        Covariances::Tied(m) => m.nrows(),
        Covariances::Diagonal(v) => v[0].len(),
        Covariances::Spherical(_) => 1,
    }
}

/// Whether `c` is finite, has a Cholesky factor and no pivot is singular by rounding only:
/// every `L_jj^2 > SINGULAR_PIVOT_RATIO * c_jj`. Exactly collinear columns often pass the
/// plain factorisation with a pivot of rounding size, and the fit on such a prior is
/// unreliable (the ELBO can fall); this test sends them to the fallback too. A diagonal
/// matrix's pivots are its entries, so for diag and spherical this is: finite and positive.
pub(crate) fn is_clearly_positive_definite(c: &Covariances) -> bool {
    let matrix = match c {
        Covariances::Full(m) => &m[0],
        Covariances::Tied(m) => m,
        Covariances::Diagonal(v) => return v[0].iter().all(|x| x.is_finite() && *x > 0.0),
        Covariances::Spherical(s) => return s[0].is_finite() && s[0] > 0.0,
    };
    if !matrix.iter().all(|v| v.is_finite()) {
        return false;
    }
    let Ok(l) = cholesky_lower(0, matrix) else {
        return false;
    };
    (0..matrix.nrows()).all(|j| l[(j, j)] * l[(j, j)] > SINGULAR_PIVOT_RATIO * matrix[(j, j)])
}

/// The default covariance prior for `covariance_type` from the data's statistics `stats`
/// (one component, [`gmm_core::data_statistics`] with the type's scatter kind): the data covariance reduced to the type, or, when
/// that is not clearly positive definite ([`is_clearly_positive_definite`]), the data
/// covariance with the ridge of [`ridge`] on its diagonal, reduced.
///
/// Returns the prior and whether it is the fallback.
///
/// # Errors
/// [`GmmError::InvalidParameter`] naming `covariance_prior` when even the ridged matrix is
/// not positive definite (not expected for finite data; never a panic).
pub(crate) fn default_covariance_prior(
    stats: &SufficientStats,
    covariance_type: CovarianceType,
    reg_covar: f64,
) -> Result<(Covariances, bool)> {
    let base = data_covariance(stats, covariance_type);
    let plain = reduce_to_type(base.clone(), covariance_type);
    if is_clearly_positive_definite(&plain) {
        return Ok((plain, false));
    }
    let r = ridge(&diagonal_of(&base), reg_covar);
    let ridged = reduce_to_type(add_to_diagonal(base, &r), covariance_type);
    if is_positive_definite(&ridged) {
        return Ok((ridged, true));
    }
    Err(GmmError::InvalidParameter {
        name: "covariance_prior",
        value: "the data covariance (the default)".into(),
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
    use gmm_core::{Dataset, Passes};

    fn prior(data: &Dataset, ct: CovarianceType, reg: f64) -> Covariances {
        let mut source = data;
        let stats =
            gmm_core::data_statistics(&mut Passes::new(&mut source), ct.scatter_kind()).unwrap();
        default_covariance_prior(&stats, ct, reg).unwrap().0
    }

    #[test]
    fn ridge_is_relative_on_varying_columns_and_a_floor_on_constant_ones() {
        let v = DVector::from_vec(vec![4.0, 0.0, 1e-320]);
        assert_eq!(ridge(&v, 1e-3).as_slice(), &[4e-6, 1e-3, 1e-3]);
        assert_eq!(ridge(&v, 0.0).as_slice(), &[4e-6, 2e-6, 2e-6]);
        let zero = DVector::zeros(2);
        assert_eq!(ridge(&zero, 0.0).as_slice(), &[1.0, 1.0]);
        assert_eq!(ridge(&zero, 1e-6).as_slice(), &[1e-6, 1e-6]);
    }

    /// The statistics give the data covariance (`ddof = 1`) to rounding, for every type, and
    /// the diagonal types keep D numbers.
    #[test]
    fn non_degenerate_data_keep_the_data_covariance() {
        let data = Dataset::from_rows(&[[0.0, 1.0], [1.0, 0.5], [3.0, 4.0], [2.0, -1.0]]).unwrap();
        let cov = data.covariance(1);
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-14 * b.abs();
        for ct in CovarianceType::ALL {
            let p = prior(&data, ct, 1e-6);
            for a in 0..2 {
                for b in 0..2 {
                    let want = match ct {
                        CovarianceType::Full | CovarianceType::Tied => cov[(a, b)],
                        CovarianceType::Diagonal if a == b => cov[(a, a)],
                        CovarianceType::Spherical if a == b => cov.diagonal().mean(),
                        _ => 0.0,
                    };
                    let got = match &p {
                        Covariances::Full(m) => m[0][(a, b)],
                        Covariances::Tied(m) => m[(a, b)],
                        other => other.full_matrix(0, 2)[(a, b)],
                    };
                    assert!(close(got, want), "{ct} ({a}, {b}): {got} vs {want}");
                }
            }
        }
        assert!(matches!(
            prior(&data, CovarianceType::Diagonal, 1e-6),
            Covariances::Diagonal(ref v) if v[0].len() == 2
        ));
    }

    #[test]
    fn a_pivot_of_rounding_size_counts_as_singular() {
        let full = |m: DMatrix<f64>| Covariances::Full(vec![m]);
        let exact = full(DMatrix::from_row_slice(2, 2, &[1.0, 2.0, 2.0, 4.0 + 1e-15]));
        assert!(is_positive_definite(&exact));
        assert!(!is_clearly_positive_definite(&exact));
        let correlated = full(DMatrix::from_row_slice(2, 2, &[1.0, 2.0, 2.0, 4.0 + 1e-8]));
        assert!(is_clearly_positive_definite(&correlated));
        assert!(!is_clearly_positive_definite(&full(DMatrix::from_element(
            1,
            1,
            f64::NAN
        ))));
        let zero = Covariances::Diagonal(vec![DVector::from_vec(vec![1.0, 0.0])]);
        assert!(!is_clearly_positive_definite(&zero));
    }

    #[test]
    fn a_constant_column_gets_reg_covar() {
        let data = Dataset::from_rows(&[[0.0, 2.0], [1.0, 2.0], [2.0, 2.0]]).unwrap();
        let Covariances::Full(m) = prior(&data, CovarianceType::Full, 1e-6) else {
            panic!("full")
        };
        assert_eq!(m[0][(0, 0)], 1.0 + 1e-6);
        assert_eq!(m[0][(1, 1)], 1e-6);
        assert_eq!(m[0][(0, 1)], 0.0);
        let diag = prior(&data, CovarianceType::Diagonal, 1e-6);
        assert_eq!(
            diag,
            Covariances::Diagonal(vec![DVector::from_vec(vec![1.0 + 1e-6, 1e-6])])
        );
        // spherical averages the constant column away: no ridge
        let spherical = prior(&data, CovarianceType::Spherical, 1e-6);
        assert_eq!(spherical, Covariances::Spherical(vec![0.5]));
    }
}
