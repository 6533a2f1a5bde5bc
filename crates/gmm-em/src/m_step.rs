//! The EM M-step from sufficient statistics (Bishop 2006, eqs. 9.24-9.26 with scikit-learn's
//! conventions; docs/em.md).
//!
//! With `N_k' = N_k + 10 eps` (scikit-learn adds `10 * f64::EPSILON` so that an emptied
//! component divides by a positive number), `N' = sum_k N_k'`:
//! - weights `w_k = N_k' / N'` (9.26),
//! - means `mu_k = xbar_k`, the responsibility-weighted mean (9.24),
//! - covariances from the centred scatter `S_k = sum_n r_nk (x_n - xbar_k)(x_n - xbar_k)^T`
//!   (9.25): full `S_k / N_k' + reg I`; tied `sum_k S_k / N' + reg I`; diagonal
//!   `diag(S_k) / N_k' + reg`; spherical the mean over features of the diagonal one.

use gmm_core::precision_factor_of;
use gmm_core::{
    CovarianceType, Covariances, GaussianMixture, GmmError, N_K_EPSILON, Result, ScatterKind,
    SufficientStats, symmetrise,
};
use nalgebra::{DMatrix, DVector};

/// The parameters one M-step produces, before they are checked and factorised into a
/// [`GaussianMixture`].
#[derive(Debug, Clone, PartialEq)]
pub struct MStepParameters {
    /// Mixture weights `N_k' / N'`.
    pub weights: DVector<f64>,
    /// K x D means (row k is `xbar_k`).
    pub means: DMatrix<f64>,
    /// Regularised covariances in the storage of their type.
    pub covariances: Covariances,
    /// `N_k` as the statistics hold them (without the `10 eps`).
    pub n_k: Vec<f64>,
    /// The regularisation that was added.
    pub reg_covar: f64,
}

/// One EM M-step: the mixture that maximises the expected complete-data log-likelihood for
/// the responsibilities summarised in `stats` (docs/em.md, eqs. 9.24-9.26).
///
/// # Errors
/// - [`GmmError::InvalidParameter`]: `reg_covar` negative or not finite; statistics that
///   keep only the diagonal scatter for a full or tied covariance.
/// - [`GmmError::SingularComponent`] naming the component, its `N_k` and the fix when a
///   full, diagonal or spherical covariance cannot be factorised.
/// - [`GmmError::NotPositiveDefinite`] when the shared (tied) covariance cannot be factorised.
///
/// # Examples
/// ```
/// use gmm_core::{CovarianceType, Dataset, InitMethod, MixtureModel};
/// use gmm_em::m_step;
/// let data = Dataset::from_slice_1d(&[0.0, 1.0, 2.0, 10.0, 11.0, 12.0])?;
/// let stats = InitMethod::FromLabels(vec![0, 0, 0, 1, 1, 1])
///     .initial_responsibilities(&data, 2, 0)?
///     .sufficient_stats(&data, CovarianceType::Full.scatter_kind());
/// let gm = m_step(&stats, CovarianceType::Full, 1e-6)?;
/// assert!((gm.means()[(1, 0)] - 11.0).abs() < 1e-12);
/// assert!((gm.weights()[0] - 0.5).abs() < 1e-12);
/// // variance 2/3 of each cluster, plus reg_covar
/// assert!((gm.covariances().full_matrix(0, 1)[(0, 0)] - (2.0 / 3.0 + 1e-6)).abs() < 1e-12);
/// # Ok::<(), gmm_core::GmmError>(())
/// ```
pub fn m_step(
    stats: &SufficientStats,
    covariance_type: CovarianceType,
    reg_covar: f64,
) -> Result<GaussianMixture> {
    build_mixture(m_step_parameters(stats, covariance_type, reg_covar)?)
}

/// The parameters of one M-step, not yet factorised (see [`m_step`]).
///
/// # Errors
/// [`GmmError::InvalidParameter`] for a bad `reg_covar` or statistics without the scatter the
/// covariance type needs.
pub fn m_step_parameters(
    stats: &SufficientStats,
    covariance_type: CovarianceType,
    reg_covar: f64,
) -> Result<MStepParameters> {
    if !(reg_covar.is_finite() && reg_covar >= 0.0) {
        return Err(GmmError::InvalidParameter {
            name: "reg_covar",
            value: reg_covar.to_string(),
            reason: "the regularisation must be finite and >= 0".into(),
        });
    }
    if matches!(covariance_type, CovarianceType::Full | CovarianceType::Tied)
        && stats.scatter_kind() != ScatterKind::Full
    {
        return Err(GmmError::InvalidParameter {
            name: "stats",
            value: "diagonal scatter".into(),
            reason: format!(
                "{covariance_type} covariances need the full scatter: compute the statistics \
                 with ScatterKind::Full (CovarianceType::scatter_kind())"
            ),
        });
    }
    let k = stats.n_components();
    let d = stats.n_features();
    let n_k = stats.n_k().to_vec();
    let n_k_reg: Vec<f64> = n_k.iter().map(|n| n + N_K_EPSILON).collect();
    let total: f64 = n_k_reg.iter().sum();
    let weights = DVector::from_iterator(k, n_k_reg.iter().map(|n| n / total));
    let mut means = DMatrix::zeros(k, d);
    for c in 0..k {
        means.row_mut(c).copy_from(&stats.mean(c).transpose());
    }
    let covariances = match covariance_type {
        CovarianceType::Full => Covariances::Full(
            (0..k)
                .map(|c| regularised(symmetrised(stats.scatter(c)) / n_k_reg[c], reg_covar))
                .collect(),
        ),
        CovarianceType::Tied => Covariances::Tied(regularised(
            symmetrised(stats.pooled_scatter()) / total,
            reg_covar,
        )),
        CovarianceType::Diagonal => Covariances::Diagonal(
            (0..k)
                .map(|c| diagonal_variances(stats, c, n_k_reg[c], reg_covar))
                .collect(),
        ),
        CovarianceType::Spherical => Covariances::Spherical(
            (0..k)
                .map(|c| diagonal_variances(stats, c, n_k_reg[c], reg_covar).sum() / d as f64)
                .collect(),
        ),
    };
    Ok(MStepParameters {
        weights,
        means,
        covariances,
        n_k,
        reg_covar,
    })
}

/// Builds the mixture from M-step parameters, turning a failed factorisation into an error
/// that names the component, its `N_k` and the fix.
///
/// # Errors
/// As [`m_step`].
pub fn build_mixture(params: MStepParameters) -> Result<GaussianMixture> {
    let MStepParameters {
        weights,
        means,
        covariances,
        n_k,
        reg_covar,
    } = params;
    let tied = covariances.covariance_type() == CovarianceType::Tied;
    GaussianMixture::new(weights, means, covariances).map_err(|e| match e {
        GmmError::NotPositiveDefinite { component, reason } if tied => {
            GmmError::NotPositiveDefinite {
                component,
                reason: format!(
                    "the tied covariance shared by all components ({reason}; pooled scatter of \
                     N = {:.3e} points with reg_covar = {reg_covar:e}): the data span fewer \
                     dimensions than D",
                    n_k.iter().sum::<f64>()
                ),
            }
        }
        GmmError::NotPositiveDefinite { component, .. } => GmmError::SingularComponent {
            component,
            n_k: n_k.get(component).copied().unwrap_or(0.0),
            reg_covar,
        },
        other => other,
    })
}

/// Components whose covariance has no Cholesky factorisation (full, diagonal, spherical);
/// for tied covariances, every component when the shared covariance fails.
pub fn unfactorisable_components(covariances: &Covariances) -> Vec<usize> {
    let bad_variance = |x: f64| !(x.is_finite() && x > 0.0);
    match covariances {
        Covariances::Full(mats) => mats
            .iter()
            .enumerate()
            .filter(|(c, m)| precision_factor_of(*c, m).is_err())
            .map(|(c, _)| c)
            .collect(),
        Covariances::Diagonal(vs) => vs
            .iter()
            .enumerate()
            .filter(|(_, v)| v.iter().any(|&x| bad_variance(x)))
            .map(|(c, _)| c)
            .collect(),
        Covariances::Spherical(vs) => vs
            .iter()
            .enumerate()
            .filter(|(_, x)| bad_variance(**x))
            .map(|(c, _)| c)
            .collect(),
        Covariances::Tied(m) => {
            if precision_factor_of(0, m).is_err() {
                vec![0]
            } else {
                Vec::new()
            }
        }
    }
}

fn diagonal_variances(stats: &SufficientStats, c: usize, n_k: f64, reg: f64) -> DVector<f64> {
    stats.scatter_diagonal(c).map(|s| s / n_k + reg)
}

/// `(A + A^T) / 2`: the merged scatter is symmetric only up to rounding.
fn symmetrised(mut a: DMatrix<f64>) -> DMatrix<f64> {
    symmetrise(&mut a);
    a
}
fn regularised(mut a: DMatrix<f64>, reg: f64) -> DMatrix<f64> {
    for j in 0..a.nrows() {
        a[(j, j)] += reg;
    }
    a
}

#[cfg(test)]
mod tests {
    use super::*;
    use gmm_core::{Dataset, InitMethod};

    fn two_clusters() -> (Dataset, SufficientStats, SufficientStats) {
        let data = Dataset::from_rows(&[
            vec![0.0, 1.0],
            vec![1.0, 3.0],
            vec![2.0, 2.0],
            vec![10.0, 0.0],
            vec![12.0, 1.0],
        ])
        .unwrap();
        let init = InitMethod::FromLabels(vec![0, 0, 0, 1, 1])
            .initial_responsibilities(&data, 2, 0)
            .unwrap();
        let full = init.sufficient_stats(&data, ScatterKind::Full);
        let diag = init.sufficient_stats(&data, ScatterKind::Diagonal);
        (data, full, diag)
    }

    #[test]
    fn every_type_matches_the_textbook_formulas() {
        let (_, full, diag) = two_clusters();
        let reg = 1e-3;
        // cluster 0: mean (1, 2), scatter [[2, 1], [1, 2]]; cluster 1: mean (11, 0.5),
        // scatter [[2, 1], [1, 0.5]].
        let gm = m_step(&full, CovarianceType::Full, reg).unwrap();
        let c0 = gm.covariances().full_matrix(0, 2);
        assert!((c0[(0, 0)] - (2.0 / 3.0 + reg)).abs() < 1e-14);
        assert!((c0[(0, 1)] - 1.0 / 3.0).abs() < 1e-14);
        assert!((gm.weights()[0] - 0.6).abs() < 1e-14);
        assert!((gm.means()[(1, 1)] - 0.5).abs() < 1e-14);
        let tied = m_step(&full, CovarianceType::Tied, reg).unwrap();
        let t = tied.covariances().full_matrix(0, 2);
        assert!((t[(0, 0)] - (4.0 / 5.0 + reg)).abs() < 1e-14);
        assert!((t[(1, 1)] - (2.5 / 5.0 + reg)).abs() < 1e-14);
        assert!((t[(0, 1)] - 2.0 / 5.0).abs() < 1e-14);
        for stats in [&full, &diag] {
            let dg = m_step(stats, CovarianceType::Diagonal, reg).unwrap();
            let v1 = dg.covariances().full_matrix(1, 2);
            assert!((v1[(0, 0)] - (1.0 + reg)).abs() < 1e-14);
            assert!((v1[(1, 1)] - (0.25 + reg)).abs() < 1e-14);
            let sp = m_step(stats, CovarianceType::Spherical, reg).unwrap();
            let s1 = sp.covariances().full_matrix(1, 2)[(0, 0)];
            assert!((s1 - (0.625 + reg)).abs() < 1e-14);
        }
    }

    #[test]
    fn diagonal_statistics_cannot_give_full_covariances() {
        let (_, _, diag) = two_clusters();
        for t in [CovarianceType::Full, CovarianceType::Tied] {
            assert!(matches!(
                m_step(&diag, t, 1e-6),
                Err(GmmError::InvalidParameter { name: "stats", .. })
            ));
        }
        let (_, full, _) = two_clusters();
        assert!(matches!(
            m_step(&full, CovarianceType::Full, -1.0),
            Err(GmmError::InvalidParameter {
                name: "reg_covar",
                ..
            })
        ));
    }

    #[test]
    fn a_singular_component_is_named_with_its_size() {
        // component 1 holds two copies of the same point: zero scatter
        let data = Dataset::from_slice_1d(&[0.0, 1.0, 2.0, 5.0, 5.0]).unwrap();
        let stats = InitMethod::FromLabels(vec![0, 0, 0, 1, 1])
            .initial_responsibilities(&data, 2, 0)
            .unwrap()
            .sufficient_stats(&data, ScatterKind::Full);
        for t in [
            CovarianceType::Full,
            CovarianceType::Diagonal,
            CovarianceType::Spherical,
        ] {
            let err = m_step(&stats, t, 0.0).unwrap_err();
            assert_eq!(
                err,
                GmmError::SingularComponent {
                    component: 1,
                    n_k: 2.0,
                    reg_covar: 0.0
                }
            );
            assert!(err.to_string().contains("Increase reg_covar"));
            assert!(m_step(&stats, t, 1e-6).is_ok());
        }
        // tied: pooled scatter is fine here, but not when every point is the same
        assert!(m_step(&stats, CovarianceType::Tied, 0.0).is_ok());
        let same = Dataset::from_slice_1d(&[3.0; 4]).unwrap();
        let stats = InitMethod::FromLabels(vec![0, 0, 1, 1])
            .initial_responsibilities(&same, 2, 0)
            .unwrap()
            .sufficient_stats(&same, ScatterKind::Full);
        assert!(matches!(
            m_step(&stats, CovarianceType::Tied, 0.0),
            Err(GmmError::NotPositiveDefinite { .. })
        ));
    }
}
