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
//!
//! Two edge cases follow scikit-learn's arithmetic rather than the formulas above:
//! - An **empty** component (`N_k = 0`, e.g. left by k-means with fewer distinct points than
//!   K) gets mean 0, as scikit-learn's `sum r x / (0 + 10 eps)`, weight `10 eps / N'` and
//!   covariance `reg I`.
//! - With `reg_covar = 0`, a component whose points are all equal (one point, or copies of
//!   it) has zero centred scatter. scikit-learn's mean `mu_k = sum r x / N_k'` is pulled
//!   towards the coordinate origin by the `10 eps`, so its scatter around `mu_k` is tiny but
//!   positive where `xbar_k` is not zero. Where our variance is exactly zero we take
//!   scikit-learn's value, computed as it computes it (`mu = N_k xbar / N_k'`): full with
//!   D = 1 `N_k (xbar - mu)^2 / N_k'` (about `(10 eps x)^2`, 4.5e-28 for one point at 10);
//!   diagonal, per feature, `N_k xbar^2 / N_k' - mu^2` (its uncentred formula, about
//!   `10 eps x^2`, 2.0e-13 at 10); spherical the mean of those; tied with D = 1 (all the data
//!   on one point per component) `(sum_k N_k xbar_k^2 - sum_k N_k' mu_k^2) / N'`. So the fit
//!   completes where scikit-learn's does: not for a point at 0 (diagonal: any coordinate 0;
//!   spherical: all of them), nor for full or tied covariances in D >= 2, where the added
//!   term has rank one and the factorisation fails in both. Such components are listed in
//!   [`MStepParameters::zero_scatter`] (re-seeding treats them as collapsed).

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
    /// Components with zero scatter and `reg_covar = 0` whose variances are scikit-learn's
    /// tiny ones (see the module documentation): collapsed onto one point in all but name.
    pub zero_scatter: Vec<usize>,
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
    // an empty component stays at 0, scikit-learn's `0 / (0 + 10 eps)`
    for (c, _) in n_k.iter().enumerate().filter(|(_, n)| **n > 0.0) {
        means.row_mut(c).copy_from(&stats.mean(c).transpose());
    }
    let mut covariances = match covariance_type {
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
    let zero_scatter = scikit_learn_shrinkage(&mut covariances, &means, &n_k, &n_k_reg);
    Ok(MStepParameters {
        weights,
        means,
        covariances,
        n_k,
        reg_covar,
        zero_scatter,
    })
}

/// Replaces every variance that is exactly zero (zero scatter, `reg_covar = 0`) with
/// scikit-learn's value from its shrunk mean `mu = N_k xbar / N_k'` (module documentation);
/// returns the components concerned. Full and tied covariances only in D = 1 (in D >= 2 the
/// added term has rank one and cannot save them); a tied one is zero only when every
/// component's points are one point each, and is not listed (re-seeding cannot help it).
fn scikit_learn_shrinkage(
    covariances: &mut Covariances,
    means: &DMatrix<f64>,
    n_k: &[f64],
    n_k_reg: &[f64],
) -> Vec<usize> {
    let d = means.ncols();
    let shrunk = |c: usize, j: usize| (n_k[c] * means[(c, j)]) / n_k_reg[c];
    // scikit-learn's diagonal formula: the mean of x^2 minus the square of the mean
    let uncentred = |c: usize, j: usize| {
        let mu = shrunk(c, j);
        (n_k[c] * (means[(c, j)] * means[(c, j)])) / n_k_reg[c] - mu * mu
    };
    let mut touched = Vec::new();
    match covariances {
        Covariances::Full(mats) if d == 1 => {
            for (c, m) in mats.iter_mut().enumerate() {
                if m[(0, 0)] == 0.0 {
                    let diff = means[(c, 0)] - shrunk(c, 0);
                    m[(0, 0)] = (n_k[c] * (diff * diff)) / n_k_reg[c];
                    touched.push(c);
                }
            }
        }
        Covariances::Diagonal(vs) => {
            for (c, v) in vs.iter_mut().enumerate() {
                for j in 0..d {
                    if v[j] == 0.0 {
                        v[j] = uncentred(c, j);
                        // components come in increasing order: a look at the last one
                        // (not a search of the list, quadratic in K) avoids a repeat
                        if touched.last() != Some(&c) {
                            touched.push(c);
                        }
                    }
                }
            }
        }
        Covariances::Spherical(vs) => {
            for (c, v) in vs.iter_mut().enumerate() {
                if *v == 0.0 {
                    *v = (0..d).map(|j| uncentred(c, j)).sum::<f64>() / d as f64;
                    touched.push(c);
                }
            }
        }
        Covariances::Tied(m) if d == 1 && m[(0, 0)] == 0.0 => {
            // scikit-learn: (X^T X - sum_k N_k' mu_k^2) / N', every point on its mean
            let total: f64 = n_k_reg.iter().sum();
            let x2: f64 = (0..n_k.len())
                .map(|c| n_k[c] * (means[(c, 0)] * means[(c, 0)]))
                .sum();
            let mu2: f64 = (0..n_k.len())
                .map(|c| n_k_reg[c] * (shrunk(c, 0) * shrunk(c, 0)))
                .sum();
            m[(0, 0)] = (x2 - mu2) / total;
        }
        Covariances::Full(_) | Covariances::Tied(_) => {}
    }
    touched
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
        ..
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

    fn labelled_stats(rows: &[Vec<f64>], labels: Vec<usize>, k: usize) -> SufficientStats {
        let data = Dataset::from_rows(rows).unwrap();
        InitMethod::FromLabels(labels)
            .initial_responsibilities(&data, k, 0)
            .unwrap()
            .sufficient_stats(&data, ScatterKind::Full)
    }

    fn rows_1d(xs: &[f64]) -> Vec<Vec<f64>> {
        xs.iter().map(|&x| vec![x]).collect()
    }

    /// Component 1 is one point (or copies of one point) and reg_covar is 0. Every expected
    /// value is scikit-learn 1.9.1's `_estimate_gaussian_parameters` on the same labels
    /// (one-hot responsibilities, reg_covar 0), and "fails" is its
    /// `_compute_precision_cholesky` raising "ill-defined empirical covariance".
    #[test]
    fn zero_scatter_without_regularisation_follows_scikit_learn() {
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * b.abs();
        // 1-D, one point at 10
        let one = labelled_stats(
            &rows_1d(&[0.0, 0.1, 0.2, 0.3, 10.0]),
            vec![0, 0, 0, 0, 1],
            2,
        );
        let expected = [
            (CovarianceType::Full, 4.543838814073018e-28),
            (CovarianceType::Diagonal, 1.9895196601282805e-13),
            (CovarianceType::Spherical, 1.9895196601282805e-13),
        ];
        for (t, want) in expected {
            let p = m_step_parameters(&one, t, 0.0).unwrap();
            let got = p.covariances.full_matrix(1, 1)[(0, 0)];
            assert!(close(got, want), "{t}: {got:e} against {want:e}");
            assert_eq!(p.zero_scatter, vec![1], "{t}");
            // the other component keeps its centred variance
            assert!(
                close(p.covariances.full_matrix(0, 1)[(0, 0)], 0.0125),
                "{t}"
            );
            assert!(m_step(&one, t, 0.0).is_ok());
        }
        // two copies of 5
        let two = labelled_stats(&rows_1d(&[0.0, 1.0, 2.0, 5.0, 5.0]), vec![0, 0, 0, 1, 1], 2);
        for (t, want) in [
            (CovarianceType::Full, 2.839899258795639e-29),
            (CovarianceType::Diagonal, 2.4868995751603507e-14),
        ] {
            let got = m_step_parameters(&two, t, 0.0)
                .unwrap()
                .covariances
                .full_matrix(1, 1);
            assert!(close(got[(0, 0)], want), "{t}: {:e}", got[(0, 0)]);
        }
        // 2-D, one point at (10, 7): diagonal and spherical complete, full does not
        let mut rows = vec![
            vec![0.0, 0.0],
            vec![0.1, 0.3],
            vec![0.2, 0.1],
            vec![0.3, 0.2],
        ];
        rows.push(vec![10.0, 7.0]);
        let s = labelled_stats(&rows, vec![0, 0, 0, 0, 1], 2);
        let dg = m_step_parameters(&s, CovarianceType::Diagonal, 0.0).unwrap();
        let v = dg.covariances.full_matrix(1, 2);
        assert!(close(v[(0, 0)], 1.9895196601282805e-13), "{v}");
        assert!(close(v[(1, 1)], 1.0658141036401503e-13), "{v}");
        let sp = m_step_parameters(&s, CovarianceType::Spherical, 0.0).unwrap();
        let v = sp.covariances.full_matrix(1, 2)[(0, 0)];
        assert!(close(v, 1.5276668818842154e-13), "{v:e}");
        let err = m_step(&s, CovarianceType::Full, 0.0).unwrap_err();
        assert_eq!(
            err,
            GmmError::SingularComponent {
                component: 1,
                n_k: 1.0,
                reg_covar: 0.0
            }
        );
        // 2-D, one point at (10, 0): a zero coordinate fails the diagonal, not the spherical
        rows[4] = vec![10.0, 0.0];
        let s = labelled_stats(&rows, vec![0, 0, 0, 0, 1], 2);
        assert!(matches!(
            m_step(&s, CovarianceType::Diagonal, 0.0),
            Err(GmmError::SingularComponent { component: 1, .. })
        ));
        let sp = m_step_parameters(&s, CovarianceType::Spherical, 0.0).unwrap();
        let v = sp.covariances.full_matrix(1, 2)[(0, 0)];
        assert!(close(v, 9.947598300641403e-14), "{v:e}");
        // tied, 1-D, every component on one point: scikit-learn's 8.9e-15 is the
        // cancellation of 36 - 36 (1 - 1e-15) in its uncentred formula, so only its size
        // can agree (about 10 eps x^2 / 2 = 1e-14)
        let same = labelled_stats(&rows_1d(&[3.0; 4]), vec![0, 0, 1, 1], 2);
        let tied = m_step_parameters(&same, CovarianceType::Tied, 0.0).unwrap();
        let v = tied.covariances.full_matrix(0, 1)[(0, 0)];
        assert!(v > 1e-15 && v < 1e-13, "{v:e}");
        assert!(tied.zero_scatter.is_empty());
    }

    #[test]
    fn a_singular_component_is_named_with_its_size() {
        // component 1 is two copies of a point at 0: zero scatter, and scikit-learn's shrunk
        // mean is 0 too, so nothing saves it (scikit-learn raises as well)
        let stats = labelled_stats(&rows_1d(&[1.0, 2.0, 3.0, 0.0, 0.0]), vec![0, 0, 0, 1, 1], 2);
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
        // tied: pooled scatter is fine here, but not when every point is the same in 2-D
        assert!(m_step(&stats, CovarianceType::Tied, 0.0).is_ok());
        let stats = labelled_stats(&vec![vec![3.0, 1.0]; 4], vec![0, 0, 1, 1], 2);
        assert!(matches!(
            m_step(&stats, CovarianceType::Tied, 0.0),
            Err(GmmError::NotPositiveDefinite { .. })
        ));
    }

    #[test]
    fn an_empty_component_sits_at_the_origin_with_reg_covar() {
        // scikit-learn: mean sum r x / (0 + 10 eps) = 0, covariance reg I, weight 10 eps / N'
        let data = Dataset::from_slice_1d(&[4.0, 5.0, 6.0]).unwrap();
        let stats = gmm_core::InitialResponsibilities::Hard {
            labels: vec![0, 0, 0],
            n_components: 2,
        }
        .sufficient_stats(&data, ScatterKind::Full);
        for t in CovarianceType::ALL {
            let p = m_step_parameters(&stats, t, 1e-6).unwrap();
            assert_eq!(p.means[(1, 0)], 0.0, "{t}");
            assert!((p.means[(0, 0)] - 5.0).abs() < 1e-15);
            assert!((p.weights[1] - N_K_EPSILON / (3.0 + 2.0 * N_K_EPSILON)).abs() < 1e-30);
            if t != CovarianceType::Tied {
                assert_eq!(p.covariances.full_matrix(1, 1)[(0, 0)], 1e-6, "{t}");
            }
            assert!(m_step(&stats, t, 1e-6).is_ok());
        }
    }
}
