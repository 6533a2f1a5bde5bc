//! The variational posterior `q(pi) q(mu, Lambda)`, its update from sufficient statistics
//! (the VB M-step, Bishop 10.58-10.63) and the expectations the shared E-step needs
//! (Bishop 10.64-10.66). docs/vb.md, sections "M-step" and "E-step".

use gmm_core::half_log_2pi;
use gmm_core::model_file::{StoredCovariances, StoredMatrix};
use gmm_core::{
    CovarianceType, Covariances, EStepKernel, GaussianMixture, GmmError, N_K_EPSILON,
    PrecisionCholesky, Result, SufficientStats, symmetrise,
};
use nalgebra::{DMatrix, DVector};
use serde::{Deserialize, Serialize};
use special::Gamma;

use crate::params::{Priors, RegCovarRule};

/// The variational posterior of the weights.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum WeightConcentration {
    /// `q(pi) = Dir(pi | alpha)` (Bishop 10.57-10.58).
    Dirichlet {
        /// `alpha_k = alpha0 + N_k`.
        alpha: Vec<f64>,
    },
    /// `q(v_k) = Beta(v_k | a_k, b_k)` for the K sticks (Blei & Jordan 2006).
    StickBreaking {
        /// `a_k = 1 + N_k`.
        a: Vec<f64>,
        /// `b_k = gamma + sum_{j>k} N_j`.
        b: Vec<f64>,
    },
}

impl WeightConcentration {
    /// `E[ln pi_k]` for every component (Bishop 10.66; for the sticks
    /// `E ln v_k + sum_{j<k} E ln(1 - v_j)`).
    pub fn expected_log_weights(&self) -> Vec<f64> {
        match self {
            Self::Dirichlet { alpha } => {
                let total: f64 = alpha.iter().sum();
                let dt = total.digamma();
                alpha.iter().map(|a| a.digamma() - dt).collect()
            }
            Self::StickBreaking { a, b } => {
                let mut acc = 0.0;
                a.iter()
                    .zip(b)
                    .map(|(&a, &b)| {
                        let ds = (a + b).digamma();
                        let v = a.digamma() - ds + acc;
                        acc += b.digamma() - ds;
                        v
                    })
                    .collect()
            }
        }
    }

    /// `E[pi_k]` under `q`. For the sticks, the mass beyond the K-th stick,
    /// `prod_k E[1 - v_k]`, is returned separately (it belongs to components not yet used).
    pub fn expected_weights_with_remainder(&self) -> (Vec<f64>, f64) {
        match self {
            Self::Dirichlet { alpha } => {
                let total: f64 = alpha.iter().sum();
                (alpha.iter().map(|a| a / total).collect(), 0.0)
            }
            Self::StickBreaking { a, b } => {
                let mut rest = 1.0;
                let w = a
                    .iter()
                    .zip(b)
                    .map(|(&a, &b)| {
                        let w = rest * a / (a + b);
                        rest *= b / (a + b);
                        w
                    })
                    .collect();
                (w, rest)
            }
        }
    }

    /// Expected weights normalised to sum to 1 (scikit-learn's `weights_`).
    pub fn expected_weights(&self) -> DVector<f64> {
        let (w, _) = self.expected_weights_with_remainder();
        let s: f64 = w.iter().sum();
        DVector::from_iterator(w.len(), w.iter().map(|x| x / s))
    }
}

/// The variational posterior `q(pi) prod_k N(mu_k | m_k, (beta_k Lambda_k)^{-1})
/// W(Lambda_k | W_k, nu_k)` with the quantities derived from it.
///
/// `W_k^{-1}` is kept in the storage of the covariance type (as [`Covariances`]): K D x D
/// matrices for full, one for tied, K rows of D numbers for diag, K numbers for spherical,
/// so that diag and spherical posteriors never hold a D x D matrix.
#[derive(Debug, Clone, PartialEq)]
pub struct VariationalState {
    /// The covariance type.
    pub(crate) covariance_type: CovarianceType,
    /// `q(pi)`.
    pub(crate) weights: WeightConcentration,
    /// `beta_k`.
    pub(crate) mean_precision: DVector<f64>,
    /// `m_k`, K x D.
    pub(crate) means: DMatrix<f64>,
    /// `nu_k`.
    pub(crate) degrees_of_freedom: DVector<f64>,
    /// `W_k^{-1}`, in the storage of the covariance type.
    pub(crate) scale_inverse: Covariances,
    /// `U_k` with `U_k U_k^T = W_k` (the precision factor of `W_k^{-1}`): upper triangular
    /// for full and tied, `1 / sqrt` of the entries for diag and spherical.
    pub(crate) scale_factor: PrecisionCholesky,
    /// `E[ln |Lambda_k|]` (Bishop 10.65).
    pub(crate) expected_log_det: Vec<f64>,
    /// `E[ln pi_k]`.
    pub(crate) expected_log_weights: Vec<f64>,
    /// The variance of the isotropic noise on every point under
    /// [`RegCovarRule::PointNoise`] (`reg_covar`), 0 under scikit-learn's rule: each point's
    /// expected log-likelihood in component `k` gains `-point_noise tr(E[Lambda_k]) / 2`.
    pub(crate) point_noise: f64,
}

fn singular(component: usize, n_k: f64, reg_covar: f64) -> impl Fn(GmmError) -> GmmError {
    move |_| GmmError::SingularComponent {
        component,
        n_k,
        reg_covar,
    }
}

/// `sum_{i=0}^{D-1} psi((nu - i) / 2)`.
pub(crate) fn multi_digamma(nu: f64, d: usize) -> f64 {
    (0..d).map(|i| (0.5 * (nu - i as f64)).digamma()).sum()
}

/// `sum_{i=0}^{D-1} ln Gamma((nu - i) / 2)`.
pub(crate) fn multi_ln_gamma(nu: f64, d: usize) -> f64 {
    (0..d).map(|i| ln_gamma(0.5 * (nu - i as f64))).sum()
}

/// One VB M-step: the posterior given the sufficient statistics of the responsibilities
/// (Bishop 10.58, 10.60-10.63; Blei & Jordan 2006 for the sticks), with scikit-learn's
/// per-type Wishart analogues (docs/vb.md, eqs. M1-M7):
///
/// - `N'_k = N_k + 10 eps`; `beta_k = beta0 + N'_k`; `m_k = (beta0 m0 + N_k xbar_k) / beta_k`;
/// - full: `nu_k = nu0 + N'_k`, `W_k^{-1} = W0^{-1} + S_k + N'_k reg I
///   + (beta0 N'_k / beta_k)(xbar_k - m0)(xbar_k - m0)^T`, `S_k` the centred scatter;
/// - diag: the diagonal of the full update; spherical: the mean of that diagonal times I;
/// - tied: `nu = nu0 + N'/K`, `W^{-1} = W0^{-1} + (sum_k S_k + N' reg I) / K
///   + (beta0 / K) sum_k (N'_k / beta_k)(xbar_k - m0)(xbar_k - m0)^T`.
///
/// # Errors
/// [`GmmError::SingularComponent`] when a `W_k^{-1}` has no Cholesky factor (only possible
/// for a covariance prior at the edge of positive definiteness).
pub fn m_step(
    stats: &SufficientStats,
    priors: &Priors,
    covariance_type: CovarianceType,
    reg_covar: f64,
) -> Result<VariationalState> {
    let k = stats.n_components();
    let n_k: Vec<f64> = stats.n_k().to_vec();
    let n_eps: Vec<f64> = n_k.iter().map(|n| n + N_K_EPSILON).collect();
    let weights = weight_posterior(&n_eps, priors);
    let beta0 = priors.mean_precision;
    let beta = DVector::from_iterator(k, n_eps.iter().map(|n| beta0 + n));
    let (means, between) = mean_posterior(stats, priors, &n_eps, &beta, covariance_type);
    let (nu, scale_inverse) =
        wishart_posterior(stats, priors, covariance_type, reg_covar, &n_eps, &between);
    let point_noise = match priors.reg_covar_rule {
        RegCovarRule::PointNoise => reg_covar,
        RegCovarRule::ScikitLearn => 0.0,
    };
    VariationalState::new(
        covariance_type,
        weights,
        beta,
        means,
        DVector::from_vec(nu),
        scale_inverse,
    )
    .map(|state| state.with_point_noise(point_noise))
    .map_err(|e| match e {
        GmmError::NotPositiveDefinite { component, .. } => {
            singular(component, n_k[component.min(k - 1)], reg_covar)(e)
        }
        other => other,
    })
}

/// The weights' posterior (Bishop 10.58; Blei & Jordan 2006 for the sticks) from the
/// regularised counts `N_k + 10 eps`.
fn weight_posterior(n_eps: &[f64], priors: &Priors) -> WeightConcentration {
    let gamma = priors.weight_concentration;
    if priors.weight_prior.is_process() {
        let k = n_eps.len();
        let mut b = vec![gamma; k];
        let mut tail = 0.0;
        for c in (0..k).rev() {
            b[c] += tail;
            tail += n_eps[c];
        }
        WeightConcentration::StickBreaking {
            a: n_eps.iter().map(|n| 1.0 + n).collect(),
            b,
        }
    } else {
        WeightConcentration::Dirichlet {
            alpha: n_eps.iter().map(|n| gamma + n).collect(),
        }
    }
}

/// Each component's between-means term `(beta0 N'_k / beta_k)(xbar_k - m0)(xbar_k - m0)^T`
/// of the Wishart update: the D x D matrices for full and tied, only their diagonals for
/// diag and spherical.
enum BetweenMeans {
    Matrices(Vec<DMatrix<f64>>),
    Diagonals(Vec<DVector<f64>>),
}

/// The means `m_k` (Bishop 10.61) and each component's between-means term of the Wishart
/// update.
fn mean_posterior(
    stats: &SufficientStats,
    priors: &Priors,
    n_eps: &[f64],
    beta: &DVector<f64>,
    covariance_type: CovarianceType,
) -> (DMatrix<f64>, BetweenMeans) {
    let (k, d) = (stats.n_components(), stats.n_features());
    let (beta0, m0) = (priors.mean_precision, &priors.mean);
    let full = matches!(covariance_type, CovarianceType::Full | CovarianceType::Tied);
    let mut means = DMatrix::zeros(k, d);
    let mut matrices = Vec::new();
    let mut diagonals = Vec::new();
    for c in 0..k {
        let xbar = stats.mean(c);
        let m = (m0 * beta0 + &xbar * stats.n_k()[c]) / beta[c];
        means.row_mut(c).copy_from(&m.transpose());
        let diff = &xbar - m0;
        let coefficient = beta0 * n_eps[c] / beta[c];
        if full {
            matrices.push(&diff * diff.transpose() * coefficient);
        } else {
            diagonals.push(diff.map(|x| x * x) * coefficient);
        }
    }
    let between = if full {
        BetweenMeans::Matrices(matrices)
    } else {
        BetweenMeans::Diagonals(diagonals)
    };
    (means, between)
}

/// The Wishart posteriors' degrees of freedom `nu_k` and scale inverses `W_k^{-1}`
/// (Bishop 10.62-10.63), in the storage of the covariance type.
fn wishart_posterior(
    stats: &SufficientStats,
    priors: &Priors,
    covariance_type: CovarianceType,
    reg_covar: f64,
    n_eps: &[f64],
    between: &BetweenMeans,
) -> (Vec<f64>, Covariances) {
    let k = stats.n_components();
    let nu0 = priors.degrees_of_freedom;
    let nu = || n_eps.iter().map(|n| nu0 + n).collect::<Vec<f64>>();
    match (&priors.covariance, between) {
        (Covariances::Tied(w0_inv), BetweenMeans::Matrices(between)) => {
            let n_total: f64 = n_eps.iter().sum();
            let kf = k as f64;
            let mut a = stats.pooled_scatter();
            for j in 0..a.nrows() {
                a[(j, j)] += n_total * reg_covar;
            }
            let mut w_inv = w0_inv + a / kf;
            for b in between {
                w_inv += b / kf;
            }
            symmetrise(&mut w_inv);
            (vec![nu0 + n_total / kf; k], Covariances::Tied(w_inv))
        }
        (Covariances::Full(w0_inv), BetweenMeans::Matrices(between)) => {
            let w_inv = (0..k)
                .map(|c| {
                    let mut a = stats.scatter(c) + &between[c];
                    for j in 0..a.nrows() {
                        a[(j, j)] += n_eps[c] * reg_covar;
                    }
                    let mut w = &w0_inv[0] + a;
                    symmetrise(&mut w);
                    w
                })
                .collect();
            (nu(), Covariances::Full(w_inv))
        }
        (prior, BetweenMeans::Diagonals(between)) => {
            // diag: the diagonal of the full update; spherical: its mean
            let diagonal = |c: usize| -> DVector<f64> {
                let mut a = stats.scatter_diagonal(c) + &between[c];
                a.iter_mut().for_each(|x| *x += n_eps[c] * reg_covar);
                match prior {
                    Covariances::Diagonal(w0) => &w0[0] + a,
                    Covariances::Spherical(s0) => a.map(|x| s0[0] + x),
                    _ => unreachable!("the prior has the fit's covariance type"),
                }
            };
            let w_inv = if covariance_type == CovarianceType::Spherical {
                Covariances::Spherical((0..k).map(|c| diagonal(c).mean()).collect())
            } else {
                Covariances::Diagonal((0..k).map(diagonal).collect())
            };
            (nu(), w_inv)
        }
        _ => unreachable!("the between-means terms have the fit's covariance type"),
    }
}

impl VariationalState {
    /// Builds a state from the posterior parameters and computes the derived quantities.
    ///
    /// `scale_inverse` holds the `W_k^{-1}` in the storage of `covariance_type`.
    ///
    /// # Errors
    /// [`GmmError::NotPositiveDefinite`] when a `W_k^{-1}` is not SPD; [`GmmError::ShapeMismatch`]
    /// for inconsistent sizes; [`GmmError::InvalidModel`] when `scale_inverse` has another
    /// covariance type.
    pub fn new(
        covariance_type: CovarianceType,
        weights: WeightConcentration,
        mean_precision: DVector<f64>,
        means: DMatrix<f64>,
        degrees_of_freedom: DVector<f64>,
        scale_inverse: Covariances,
    ) -> Result<Self> {
        let (k, d) = means.shape();
        if scale_inverse.covariance_type() != covariance_type {
            return Err(GmmError::InvalidModel {
                reason: format!(
                    "the scale matrices are stored as {} but the covariance type is \
                     {covariance_type}",
                    scale_inverse.covariance_type()
                ),
            });
        }
        for (what, found) in [
            ("number of mean precisions", mean_precision.len()),
            ("number of degrees of freedom", degrees_of_freedom.len()),
        ] {
            if found != k {
                return Err(GmmError::ShapeMismatch {
                    what: what.into(),
                    expected: k,
                    found,
                });
            }
        }
        scale_inverse.check_shape(k, d)?;
        let scale_factor = scale_inverse.precision_cholesky()?;
        let expected_log_det = (0..k)
            .map(|c| {
                let log_det_w = 2.0 * half_log_det(&scale_factor, c, d);
                multi_digamma(degrees_of_freedom[c], d)
                    + d as f64 * std::f64::consts::LN_2
                    + log_det_w
            })
            .collect();
        let expected_log_weights = weights.expected_log_weights();
        Ok(Self {
            covariance_type,
            weights,
            mean_precision,
            means,
            degrees_of_freedom,
            scale_inverse,
            scale_factor,
            expected_log_det,
            expected_log_weights,
            point_noise: 0.0,
        })
    }

    /// This state with `point_noise` as the variance of the noise on every point (set by
    /// [`m_step`] under [`RegCovarRule::PointNoise`]; a model file records it).
    pub(crate) fn with_point_noise(mut self, point_noise: f64) -> Self {
        self.point_noise = point_noise;
        self
    }

    /// The variance of the isotropic noise on every point that the E-step and the bound
    /// account for: `reg_covar` under [`RegCovarRule::PointNoise`], else 0.
    pub fn point_noise(&self) -> f64 {
        self.point_noise
    }

    /// `tr(E[Lambda_k]) = nu_k tr(W_k)`, from the factor (`tr(U U^T)` is the sum of the
    /// squares of `U`'s entries).
    pub fn expected_precision_trace(&self, k: usize) -> f64 {
        let squares = |it: &mut dyn Iterator<Item = &f64>| it.map(|u| u * u).sum::<f64>();
        let trace_w = match &self.scale_factor {
            PrecisionCholesky::Full(m) => squares(&mut m[k].iter()),
            PrecisionCholesky::Tied(m) => squares(&mut m.iter()),
            PrecisionCholesky::Diagonal(s) => squares(&mut s[k].iter()),
            PrecisionCholesky::Spherical(s) => self.n_features() as f64 * s[k] * s[k],
        };
        self.degrees_of_freedom[k] * trace_w
    }

    /// The covariance type.
    pub fn covariance_type(&self) -> CovarianceType {
        self.covariance_type
    }

    /// `q(pi)`: the weights' Dirichlet or stick-breaking concentrations.
    pub fn weights(&self) -> &WeightConcentration {
        &self.weights
    }

    /// `beta_k`.
    pub fn mean_precision(&self) -> &DVector<f64> {
        &self.mean_precision
    }

    /// `m_k`, K x D.
    pub fn means(&self) -> &DMatrix<f64> {
        &self.means
    }

    /// `nu_k`.
    pub fn degrees_of_freedom(&self) -> &DVector<f64> {
        &self.degrees_of_freedom
    }

    /// `W_k^{-1}`, in the storage of the covariance type (one matrix when tied).
    pub fn scale_inverse(&self) -> &Covariances {
        &self.scale_inverse
    }

    /// `U_k` with `U_k U_k^T = W_k`, in the storage of the covariance type.
    pub fn scale_factor(&self) -> &PrecisionCholesky {
        &self.scale_factor
    }

    /// `E[ln |Lambda_k|]` (Bishop 10.65).
    pub fn expected_log_det(&self) -> &[f64] {
        &self.expected_log_det
    }

    /// `E[ln pi_k]` (Bishop 10.66, or the stick-breaking form).
    pub fn expected_log_weights(&self) -> &[f64] {
        &self.expected_log_weights
    }

    /// Number of components K.
    pub fn n_components(&self) -> usize {
        self.means.nrows()
    }

    /// Dimension D.
    pub fn n_features(&self) -> usize {
        self.means.ncols()
    }

    /// `ln |W_k|`.
    pub fn log_det_scale(&self, k: usize) -> f64 {
        2.0 * half_log_det(&self.scale_factor, k, self.n_features())
    }

    /// `E[Lambda_k]^{-1} = W_k^{-1} / nu_k` in the storage of the covariance type.
    pub fn expected_covariances(&self) -> Covariances {
        let nu = &self.degrees_of_freedom;
        match &self.scale_inverse {
            Covariances::Full(w) => {
                Covariances::Full(w.iter().zip(nu.iter()).map(|(w, n)| w / *n).collect())
            }
            Covariances::Tied(w) => Covariances::Tied(w / nu[0]),
            Covariances::Diagonal(w) => {
                Covariances::Diagonal(w.iter().zip(nu.iter()).map(|(w, n)| w / *n).collect())
            }
            Covariances::Spherical(w) => {
                Covariances::Spherical(w.iter().zip(nu.iter()).map(|(w, n)| w / n).collect())
            }
        }
    }

    /// The E-step constants
    /// `c_k = E[ln pi_k] + 1/2 E[ln |Lambda_k|] - D/2 ln 2 pi - D / (2 beta_k)` (Bishop
    /// 10.46, 10.64-10.66), and under [`RegCovarRule::PointNoise`] also
    /// `-point_noise tr(E[Lambda_k]) / 2` (docs/vb.md, R2).
    pub fn e_step_constants(&self) -> Vec<f64> {
        let d = self.n_features();
        (0..self.n_components())
            .map(|c| {
                let constant = self.expected_log_weights[c] + 0.5 * self.expected_log_det[c]
                    - half_log_2pi(d)
                    - 0.5 * d as f64 / self.mean_precision[c];
                if self.point_noise > 0.0 {
                    constant - 0.5 * self.point_noise * self.expected_precision_trace(c)
                } else {
                    constant
                }
            })
            .collect()
    }

    /// The shared E-step kernel with VB's constants: factor `P_k` of `(nu_k W_k)^{-1}`, so
    /// `||P_k^T (x - m_k)||^2 = nu_k (x - m_k)^T W_k (x - m_k)`.
    ///
    /// # Errors
    /// [`GmmError::NotPositiveDefinite`] if an expected covariance cannot be factorised.
    pub fn kernel(&self) -> Result<EStepKernel> {
        let factors: PrecisionCholesky = self.expected_covariances().precision_cholesky()?;
        EStepKernel::new(&self.means, &factors, self.e_step_constants())
    }

    /// The point estimate: expected weights, means `m_k`, covariances `E[Lambda_k]^{-1}`.
    ///
    /// # Errors
    /// Any error of [`GaussianMixture::new`] (not expected for a valid state).
    pub fn point_estimate(&self) -> Result<GaussianMixture> {
        GaussianMixture::new(
            self.weights.expected_weights(),
            self.means.clone(),
            self.expected_covariances(),
        )
    }

    /// The serialisable form of this posterior, with its priors.
    pub fn to_posterior(&self, priors: &Priors) -> Posterior {
        let k = self.n_components();
        let to_rows = |m: &DMatrix<f64>| -> Vec<Vec<f64>> {
            (0..m.nrows())
                .map(|a| m.row(a).iter().copied().collect())
                .collect()
        };
        Posterior {
            covariance_type: self.covariance_type,
            weight_prior_type: priors.weight_prior.name().to_string(),
            weight_concentration: self.weights.clone(),
            mean_precision: self.mean_precision.iter().copied().collect(),
            means: to_rows(&self.means),
            degrees_of_freedom: self.degrees_of_freedom.iter().copied().collect(),
            scale_inverse: StoredCovariances::of(&self.scale_inverse, k),
            point_noise: self.point_noise,
            priors: PriorRecord {
                weight_concentration_prior: priors.weight_concentration,
                mean_precision_prior: priors.mean_precision,
                mean_prior: priors.mean.iter().copied().collect(),
                degrees_of_freedom_prior: priors.degrees_of_freedom,
                covariance_prior: StoredMatrix::of(&priors.covariance),
                reg_covar_rule: priors.reg_covar_rule,
            },
        }
    }
}

/// The variational posterior in its file form (the `"posterior"` of a VB model file).
///
/// Matrices are rows of columns. `scale_inverse` holds the K matrices `W_k^{-1}` in the
/// form the model file's `covariances` use (format 2): K D x D matrices for full and tied
/// (tied repeats its matrix), K rows of D numbers for diag, K numbers for spherical; the
/// covariance prior likewise as one matrix, D numbers or one number. Files of format 1
/// wrote full D x D matrices for every type and still read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Posterior {
    /// The covariance type.
    pub covariance_type: CovarianceType,
    /// `"dirichlet_distribution"` or `"dirichlet_process"`.
    pub weight_prior_type: String,
    /// `alpha_k`, or the sticks' `a_k`, `b_k`.
    pub weight_concentration: WeightConcentration,
    /// `beta_k`.
    pub mean_precision: Vec<f64>,
    /// `m_k`.
    pub means: Vec<Vec<f64>>,
    /// `nu_k`.
    pub degrees_of_freedom: Vec<f64>,
    /// `W_k^{-1}`.
    pub scale_inverse: StoredCovariances,
    /// The variance of the noise on every point that the E-step accounts for
    /// ([`VariationalState::point_noise`]); absent (0) under scikit-learn's rule.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub point_noise: f64,
    /// The resolved priors.
    pub priors: PriorRecord,
}

fn is_zero(v: &f64) -> bool {
    *v == 0.0
}

fn is_scikit_learn(rule: &RegCovarRule) -> bool {
    *rule == RegCovarRule::ScikitLearn
}

/// The resolved priors in file form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PriorRecord {
    /// `alpha0` or `gamma`.
    pub weight_concentration_prior: f64,
    /// `beta0`.
    pub mean_precision_prior: f64,
    /// `m0`.
    pub mean_prior: Vec<f64>,
    /// `nu0`.
    pub degrees_of_freedom_prior: f64,
    /// `W0^{-1}`.
    pub covariance_prior: StoredMatrix,
    /// How `reg_covar` enters the E-step and the bound; absent for scikit-learn's rule.
    #[serde(default, skip_serializing_if = "is_scikit_learn")]
    pub reg_covar_rule: RegCovarRule,
}

/// `sum_j ln (U_k)_jj = 1/2 ln |W_k|` of the factor `U_k` of component `k` (`d` features;
/// a spherical factor's one entry counts `d` times, summed as the D x D matrix's would be).
pub(crate) fn half_log_det(u: &PrecisionCholesky, k: usize, d: usize) -> f64 {
    match u {
        PrecisionCholesky::Full(m) => m[k].diagonal().iter().map(|x| x.ln()).sum(),
        PrecisionCholesky::Tied(m) => m.diagonal().iter().map(|x| x.ln()).sum(),
        PrecisionCholesky::Diagonal(v) => v[k].iter().map(|x| x.ln()).sum(),
        PrecisionCholesky::Spherical(v) => (0..d).map(|_| v[k].ln()).sum(),
    }
}

/// `ln Gamma(x)` for `x > 0`.
pub(crate) fn ln_gamma(x: f64) -> f64 {
    Gamma::ln_gamma(x).0
}
