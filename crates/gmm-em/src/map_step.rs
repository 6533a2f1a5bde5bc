//! The MAP-EM M-step and the log prior (docs/em.md, "MAP-EM", eqs. P1-P9).
//!
//! The prior is VB's (`gmm_vb::Priors`): a symmetric Dirichlet `Dir(alpha0)` on the weights
//! and a Normal-Wishart on each component's mean and precision `Lambda_k = Sigma_k^{-1}`,
//! `mu_k | Lambda_k ~ N(m0, (beta0 Lambda_k)^{-1})`, `Lambda_k ~ W(W0, nu0)` with
//! `W0^{-1} = Psi0` the covariance prior. The M-step is the mode of the posterior given the
//! merged statistics, in the coordinates `(w, mu, Lambda)`. With `N_k' = N_k + 10 eps` (EM's
//! convention) and `B_k = beta0 N_k / (beta0 + N_k) (xbar_k - m0)(xbar_k - m0)^T`:
//!
//! - (P1) `w_k = (N_k' + alpha0 - 1) / (N' + K (alpha0 - 1))`
//! - (P2) `mu_k = (beta0 m0 + N_k xbar_k) / (beta0 + N_k)`
//! - (P3) full: `Sigma_k = (Psi0 + S_k + B_k) / (nu0 + N_k' - D)`
//! - (P4) tied (one `Lambda ~ W(W0, nu0)`, K means given it):
//!   `Sigma = (Psi0 + sum_k (S_k + B_k)) / (nu0 + N' + K - D - 1)`
//! - (P5) diag (each precision `lambda_kj ~ Gamma((nu0 - D + 1) / 2, Psi0_jj / 2)`, the
//!   Wishart density restricted to diagonal precisions):
//!   `sigma_kj^2 = (Psi0_jj + (S_k)_jj + (B_k)_jj) / (nu0 + N_k' - D)`
//! - (P6) spherical (`lambda_k ~ Gamma(D (nu0 - D + 1) / 2, D psi0 / 2)`):
//!   `sigma_k^2 = (D psi0 + tr S_k + tr B_k) / (D (nu0 + N_k' - D + 2) - 2)`

use gmm_core::{
    CovarianceType, Covariances, GaussianMixture, GmmError, MixtureModel, N_K_EPSILON,
    PrecisionCholesky, Result, ScatterKind, SufficientStats, symmetrise,
};
use gmm_vb::Priors;
use nalgebra::{DMatrix, DVector};
use special::Gamma;

use crate::m_step::MStepParameters;

const LN_2PI: f64 = 1.837_877_066_409_345_5;

/// The MAP-EM M-step: the mode of the posterior given `stats` under `priors` (module
/// documentation, eqs. P1-P6), as parameters not yet factorised.
///
/// # Errors
/// [`GmmError::InvalidParameter`] for statistics without the scatter the covariance type
/// needs, or priors of another dimension or covariance type than the statistics.
pub fn map_m_step_parameters(
    stats: &SufficientStats,
    covariance_type: CovarianceType,
    priors: &Priors,
) -> Result<MStepParameters> {
    check_stats(stats, covariance_type, priors)?;
    let (k, d) = (stats.n_components(), stats.n_features());
    let (beta0, m0) = (priors.mean_precision, &priors.mean);
    let n_k = stats.n_k().to_vec();
    let n_k_reg: Vec<f64> = n_k.iter().map(|n| n + N_K_EPSILON).collect();
    let total: f64 = n_k_reg.iter().sum();
    let a = priors.weight_concentration - 1.0;
    let weights =
        DVector::from_iterator(k, n_k_reg.iter().map(|n| (n + a) / (total + k as f64 * a)));
    let mut means = DMatrix::zeros(k, d);
    // the centred deviation of each component's data mean from m0, and its weight in B_k
    let mut dev = Vec::with_capacity(k);
    for (c, &n) in n_k.iter().enumerate() {
        let xbar = if n > 0.0 { stats.mean(c) } else { m0.clone() };
        let mu = (m0 * beta0 + &xbar * n) / (beta0 + n);
        means.row_mut(c).copy_from(&mu.transpose());
        dev.push((xbar - m0, beta0 * n / (beta0 + n)));
    }
    let dof = priors.degrees_of_freedom - d as f64;
    let covariances = match (&priors.covariance, covariance_type) {
        (Covariances::Full(psi), CovarianceType::Full) => Covariances::Full(
            (0..k)
                .map(|c| full_numerator(&psi[0], stats, c, &dev[c]) / (dof + n_k_reg[c]))
                .collect(),
        ),
        (Covariances::Tied(psi), CovarianceType::Tied) => {
            let mut sum = psi.clone();
            for (c, dc) in dev.iter().enumerate() {
                sum += full_numerator(&DMatrix::zeros(d, d), stats, c, dc);
            }
            Covariances::Tied(sum / (dof + total + k as f64 - 1.0))
        }
        (Covariances::Diagonal(psi), CovarianceType::Diagonal) => Covariances::Diagonal(
            (0..k)
                .map(|c| diagonal_numerator(&psi[0], stats, c, &dev[c]) / (dof + n_k_reg[c]))
                .collect(),
        ),
        (Covariances::Spherical(psi), CovarianceType::Spherical) => {
            let psi = DVector::from_element(d, psi[0]);
            let df = d as f64;
            Covariances::Spherical(
                (0..k)
                    .map(|c| {
                        diagonal_numerator(&psi, stats, c, &dev[c]).sum()
                            / (df * (dof + n_k_reg[c] + 2.0) - 2.0)
                    })
                    .collect(),
            )
        }
        _ => unreachable!("check_stats compares the prior's type with the fit's"),
    };
    Ok(MStepParameters {
        weights,
        means,
        covariances,
        n_k,
        reg_covar: 0.0,
        zero_scatter: Vec::new(),
    })
}

/// `Psi + S_k + B_k` (symmetrised).
fn full_numerator(
    psi: &DMatrix<f64>,
    stats: &SufficientStats,
    c: usize,
    (dev, shrink): &(DVector<f64>, f64),
) -> DMatrix<f64> {
    let mut m = psi + stats.scatter(c) + dev * dev.transpose() * *shrink;
    symmetrise(&mut m);
    m
}

/// The diagonal of `Psi + S_k + B_k`, with `psi` the diagonal of `Psi`.
fn diagonal_numerator(
    psi: &DVector<f64>,
    stats: &SufficientStats,
    c: usize,
    (dev, shrink): &(DVector<f64>, f64),
) -> DVector<f64> {
    psi + stats.scatter_diagonal(c) + dev.component_mul(dev) * *shrink
}

fn check_stats(
    stats: &SufficientStats,
    covariance_type: CovarianceType,
    priors: &Priors,
) -> Result<()> {
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
    let prior_type = priors.covariance.covariance_type();
    if priors.n_features() != stats.n_features() || prior_type != covariance_type {
        return Err(GmmError::InvalidParameter {
            name: "priors",
            value: format!("{prior_type} prior of dimension {}", priors.n_features()),
            reason: format!(
                "the prior was resolved for other data: resolve it for {covariance_type} \
                 covariances and D = {} (MapParams does)",
                stats.n_features()
            ),
        });
    }
    Ok(())
}

/// `ln p(w, mu, Lambda)`: the log density of the prior at the mixture `gm`, with every
/// normalising constant (docs/em.md, eqs. P7-P9), in the coordinates `(w, mu, Lambda)`.
/// `-inf` when a weight is 0 and `alpha0 > 1`.
///
/// # Errors
/// [`GmmError::InvalidParameter`] naming `priors` when they were resolved for another
/// dimension or covariance type than the mixture's.
pub fn log_prior(gm: &GaussianMixture, priors: &Priors) -> Result<f64> {
    let (k, d) = (gm.n_components(), gm.n_features());
    let prior_type = priors.covariance.covariance_type();
    if priors.n_features() != d || prior_type != gm.covariance_type() {
        return Err(GmmError::InvalidParameter {
            name: "priors",
            value: format!("{prior_type} prior of dimension {}", priors.n_features()),
            reason: format!(
                "the prior does not match the mixture ({} covariances, D = {d}): resolve it \
                 for the mixture's covariance type and dimension",
                gm.covariance_type()
            ),
        });
    }
    let a0 = priors.weight_concentration;
    let dirichlet = ln_gamma(k as f64 * a0) - k as f64 * ln_gamma(a0)
        + if a0 == 1.0 {
            0.0
        } else {
            (a0 - 1.0) * gm.weights().iter().map(|w| w.ln()).sum::<f64>()
        };
    let pc = gm.precision_cholesky();
    let df = d as f64;
    let beta0 = priors.mean_precision;
    // one Normal N(mu_k | m0, (beta0 Lambda_k)^{-1}) per component
    let normal: f64 = (0..k)
        .map(|c| {
            let v = gm.means().row(c).transpose() - &priors.mean;
            0.5 * df * (beta0.ln() - LN_2PI) + pc.log_det(c, d) - 0.5 * beta0 * whitened(pc, c, &v)
        })
        .sum();
    Ok(normal + dirichlet + precision_prior(pc, priors, d))
}

/// The log prior density of the precisions (Wishart, or its restriction to diagonal or
/// isotropic precisions: eqs. P7-P9).
fn precision_prior(pc: &PrecisionCholesky, priors: &Priors, d: usize) -> f64 {
    let (nu0, df) = (priors.degrees_of_freedom, d as f64);
    let gamma = |a: f64, b: f64, ln_lambda: f64, lambda: f64| {
        a * b.ln() - ln_gamma(a) + (a - 1.0) * ln_lambda - b * lambda
    };
    match (&priors.covariance, pc) {
        (Covariances::Full(psi), PrecisionCholesky::Full(p)) => {
            p.iter().map(|p| wishart(&psi[0], p, nu0)).sum()
        }
        (Covariances::Tied(psi), PrecisionCholesky::Tied(p)) => wishart(psi, p, nu0),
        (Covariances::Diagonal(psi), PrecisionCholesky::Diagonal(p)) => {
            let a = 0.5 * (nu0 - df + 1.0);
            p.iter()
                .map(|p| {
                    (0..d)
                        .map(|j| gamma(a, 0.5 * psi[0][j], 2.0 * p[j].ln(), p[j] * p[j]))
                        .sum::<f64>()
                })
                .sum()
        }
        (Covariances::Spherical(psi), PrecisionCholesky::Spherical(p)) => {
            let a = 0.5 * df * (nu0 - df + 1.0);
            p.iter()
                .map(|p| gamma(a, 0.5 * df * psi[0], 2.0 * p.ln(), p * p))
                .sum()
        }
        _ => unreachable!("log_prior compares the prior's type with the mixture's"),
    }
}

/// `ln W(Lambda | Psi^{-1}, nu)` for `Lambda = P P^T` (Bishop B.78-B.79).
fn wishart(psi: &DMatrix<f64>, p: &DMatrix<f64>, nu: f64) -> f64 {
    let d = psi.nrows();
    let df = d as f64;
    let ln_det_psi = psi.clone().cholesky().map_or(f64::NAN, |l| {
        2.0 * l.l().diagonal().iter().map(|x| x.ln()).sum::<f64>()
    });
    let ln_det_lambda = 2.0 * p.diagonal().iter().map(|x| x.ln()).sum::<f64>();
    let trace = (psi * p).component_mul(p).sum();
    let ln_b = 0.5 * nu * ln_det_psi
        - 0.5 * nu * df * std::f64::consts::LN_2
        - 0.25 * df * (df - 1.0) * std::f64::consts::PI.ln()
        - (0..d).map(|i| ln_gamma(0.5 * (nu - i as f64))).sum::<f64>();
    ln_b + 0.5 * (nu - df - 1.0) * ln_det_lambda - 0.5 * trace
}

/// `v^T Lambda_k v = ||P_k^T v||^2`.
fn whitened(pc: &PrecisionCholesky, c: usize, v: &DVector<f64>) -> f64 {
    match pc {
        PrecisionCholesky::Full(p) => (p[c].transpose() * v).norm_squared(),
        PrecisionCholesky::Tied(p) => (p.transpose() * v).norm_squared(),
        PrecisionCholesky::Diagonal(p) => p[c].component_mul(v).norm_squared(),
        PrecisionCholesky::Spherical(p) => p[c] * p[c] * v.norm_squared(),
    }
}

fn ln_gamma(x: f64) -> f64 {
    Gamma::ln_gamma(x).0
}
