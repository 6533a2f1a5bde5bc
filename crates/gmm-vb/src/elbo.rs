//! The full evidence lower bound (Bishop 10.70-10.77; Blei & Jordan 2006 for the sticks),
//! with every term and constant, and scikit-learn's shortened bound for comparison.
//! docs/vb.md, section "The ELBO".

use gmm_core::half_log_2pi;
use gmm_core::{Covariances, PrecisionCholesky, SufficientStats};
use nalgebra::{DMatrix, DVector};
use special::Gamma;

use crate::params::Priors;
use crate::state::{VariationalState, WeightConcentration, ln_gamma, multi_ln_gamma};

/// The ELBO split into Bishop's terms (each an expectation under `q`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ElboTerms {
    /// `E[ln p(X | Z, mu, Lambda)]` (10.71).
    pub log_likelihood: f64,
    /// `E[ln p(Z | pi)]` (10.72).
    pub log_p_z: f64,
    /// `E[ln p(pi)] - E[ln q(pi)]` (10.73 minus 10.76; for the sticks, the Beta terms).
    pub weights_prior_minus_entropy: f64,
    /// `E[ln p(mu, Lambda)] - E[ln q(mu, Lambda)]` (10.74 minus 10.77).
    pub normal_wishart_prior_minus_entropy: f64,
    /// `-E[ln q(Z)] = -sum_nk r_nk ln r_nk` (minus 10.75).
    pub responsibility_entropy: f64,
    /// Under [`RegCovarRule::PointNoise`](crate::RegCovarRule::PointNoise), the noise's
    /// share of the expected log-likelihood, `-point_noise/2 sum_k N_k tr(E[Lambda_k])`
    /// (docs/vb.md, R1); 0 under scikit-learn's rule. Never positive.
    pub point_noise: f64,
    /// `-E[ln q(X_m)]`: the entropy of the missing coordinates' conditional Gaussians,
    /// `sum_n sum_k r_nk H[N(x̂_nk, C_k)]` (docs/vb.md, "Missing values", V-M3); 0 without
    /// missing values.
    pub missing_entropy: f64,
}

impl ElboTerms {
    /// The ELBO: the sum of the terms.
    pub fn total(&self) -> f64 {
        self.log_likelihood
            + self.log_p_z
            + self.weights_prior_minus_entropy
            + self.normal_wishart_prior_minus_entropy
            + self.responsibility_entropy
            + self.point_noise
            + self.missing_entropy
    }

    /// These terms with the entropy of the missing coordinates (an E-step output's
    /// `missing_entropy_sum`) in [`ElboTerms::missing_entropy`].
    pub fn with_missing_entropy(mut self, missing_entropy: f64) -> Self {
        self.missing_entropy = missing_entropy;
        self
    }
}

/// `ln B(W, nu)` of the Wishart normaliser (Bishop B.79), from `ln |W|`.
pub(crate) fn log_wishart_normaliser(log_det_w: f64, nu: f64, d: usize) -> f64 {
    let df = d as f64;
    -0.5 * nu * log_det_w
        - 0.5 * nu * df * std::f64::consts::LN_2
        - 0.25 * df * (df - 1.0) * std::f64::consts::PI.ln()
        - multi_ln_gamma(nu, d)
}

/// `ln B(a, b)`.
fn ln_beta(a: f64, b: f64) -> f64 {
    ln_gamma(a) + ln_gamma(b) - ln_gamma(a + b)
}

/// The full ELBO of `state` given the statistics of the responsibilities that built it and
/// their `sum r ln r` (evaluate it right after the M-step).
///
/// Valid for any `q` of the family (not only the optimal one), so it stays a lower bound on
/// the log evidence when `reg_covar > 0`; under [`RegCovarRule::PointNoise`](crate::RegCovarRule::PointNoise)
/// the noise term ([`ElboTerms::point_noise`], never positive) makes it the bound that the
/// E-step and the M-step both maximise.
pub fn elbo(
    state: &VariationalState,
    priors: &Priors,
    stats: &SufficientStats,
    resp_log_resp_sum: f64,
) -> ElboTerms {
    let k = state.n_components();
    let d = state.n_features();
    let df = d as f64;
    let beta0 = priors.mean_precision;
    let nu0 = priors.degrees_of_freedom;
    let m0 = &priors.mean;
    let ln_2pi = (2.0 * std::f64::consts::PI).ln();
    let log_det_w0 = -log_det_spd(&priors.covariance, d);
    let log_b0 = log_wishart_normaliser(log_det_w0, nu0, d);
    let u = &state.scale_factor; // U_k U_k^T = W_k

    let mut log_likelihood = 0.0;
    let mut normal_wishart = 0.0;
    let mut log_p_z = 0.0;
    let mut point_noise = 0.0;
    for c in 0..k {
        let n = stats.n_k()[c];
        let nu = state.degrees_of_freedom[c];
        let beta = state.mean_precision[c];
        let ln_lambda = state.expected_log_det[c];
        let m = state.means.row(c).transpose();
        // 10.71
        if n > 0.0 {
            let xbar = stats.mean(c);
            let diff = &xbar - &m;
            let quad = quadratic_form(u, c, &diff);
            let trace_sw = trace_with_scatter(stats, c, u);
            log_likelihood +=
                0.5 * (n * (ln_lambda - df / beta - df * ln_2pi) - nu * trace_sw - n * nu * quad);
            log_p_z += n * state.expected_log_weights[c];
            if state.point_noise > 0.0 {
                point_noise -= 0.5 * state.point_noise * n * state.expected_precision_trace(c);
            }
        }
        // 10.74
        let dm = &m - m0;
        let quad0 = quadratic_form(u, c, &dm);
        let prior = 0.5
            * (df * (beta0.ln() - ln_2pi) + ln_lambda - df * beta0 / beta - beta0 * nu * quad0)
            + log_b0
            + 0.5 * (nu0 - df - 1.0) * ln_lambda
            - 0.5 * nu * trace_with_prior(&priors.covariance, u, c, d);
        // 10.77 with H[q(Lambda)] (B.82)
        let log_b = log_wishart_normaliser(state.log_det_scale(c), nu, d);
        let entropy_lambda = -log_b - 0.5 * (nu - df - 1.0) * ln_lambda + 0.5 * nu * df;
        let log_q = 0.5 * ln_lambda + 0.5 * df * (beta.ln() - ln_2pi) - 0.5 * df - entropy_lambda;
        normal_wishart += prior - log_q;
    }
    let weights_prior_minus_entropy = weights_prior_minus_entropy(state, priors);
    ElboTerms {
        log_likelihood,
        log_p_z,
        weights_prior_minus_entropy,
        normal_wishart_prior_minus_entropy: normal_wishart,
        responsibility_entropy: -resp_log_resp_sum,
        point_noise,
        missing_entropy: 0.0,
    }
}

/// `E[ln p(pi)] - E[ln q(pi)]` for a Dirichlet distribution (Bishop 10.73 and 10.76), or
/// the sum over the sticks of `E[ln p(v_k)] - E[ln q(v_k)]` for a Dirichlet process.
fn weights_prior_minus_entropy(state: &VariationalState, priors: &Priors) -> f64 {
    match &state.weights {
        WeightConcentration::Dirichlet { alpha } => {
            let alpha0 = priors.weight_concentration;
            let kf = state.n_components() as f64;
            let ln_c0 = ln_gamma(kf * alpha0) - kf * ln_gamma(alpha0);
            let total: f64 = alpha.iter().sum();
            let ln_c = ln_gamma(total) - alpha.iter().map(|&a| ln_gamma(a)).sum::<f64>();
            ln_c0 - ln_c
                + alpha
                    .iter()
                    .zip(&state.expected_log_weights)
                    .map(|(a, e)| (alpha0 - a) * e)
                    .sum::<f64>()
        }
        WeightConcentration::StickBreaking { a, b } => {
            let gamma = priors.weight_concentration;
            a.iter()
                .zip(b)
                .map(|(&a, &b)| {
                    let ds = (a + b).digamma();
                    let e_ln_v = a.digamma() - ds;
                    let e_ln_1mv = b.digamma() - ds;
                    let prior = gamma.ln() + (gamma - 1.0) * e_ln_1mv;
                    let log_q = -ln_beta(a, b) + (a - 1.0) * e_ln_v + (b - 1.0) * e_ln_1mv;
                    prior - log_q
                })
                .sum()
        }
    }
}

/// `||U_k^T v||^2 = v^T W_k v` for component `k`'s factor, in its storage.
fn quadratic_form(u: &PrecisionCholesky, k: usize, v: &DVector<f64>) -> f64 {
    match u {
        PrecisionCholesky::Full(m) => (m[k].transpose() * v).norm_squared(),
        PrecisionCholesky::Tied(m) => (m.transpose() * v).norm_squared(),
        PrecisionCholesky::Diagonal(s) => s[k]
            .iter()
            .zip(v.iter())
            .map(|(u, x)| (u * x) * (u * x))
            .sum(),
        PrecisionCholesky::Spherical(s) => v.iter().map(|x| (s[k] * x) * (s[k] * x)).sum(),
    }
}

/// `tr(A U U^T)` of a full matrix `A` and an upper triangular `U`, as `tr(U^T A U)`.
fn trace_of_product(a: &DMatrix<f64>, u: &DMatrix<f64>) -> f64 {
    (u.transpose() * a * u).trace()
}

/// `tr(A W_k)` of a diagonal `A` (its entries `a`) and a diagonal or spherical factor:
/// `sum_j u_j a_j u_j`.
fn trace_of_diagonal_product(a: &DVector<f64>, u: &PrecisionCholesky, k: usize) -> f64 {
    match u {
        PrecisionCholesky::Diagonal(s) => s[k].iter().zip(a.iter()).map(|(u, a)| (u * a) * u).sum(),
        PrecisionCholesky::Spherical(s) => a.iter().map(|a| (s[k] * a) * s[k]).sum(),
        PrecisionCholesky::Full(m) => trace_of_product(&DMatrix::from_diagonal(a), &m[k]),
        PrecisionCholesky::Tied(m) => trace_of_product(&DMatrix::from_diagonal(a), m),
    }
}

/// `tr(S_k W_k)` with the centred scatter of component `k` (full for full and tied, its
/// diagonal for diag and spherical).
fn trace_with_scatter(stats: &SufficientStats, k: usize, u: &PrecisionCholesky) -> f64 {
    match u {
        PrecisionCholesky::Full(m) => trace_of_product(&stats.scatter(k), &m[k]),
        PrecisionCholesky::Tied(m) => trace_of_product(&stats.scatter(k), m),
        _ => trace_of_diagonal_product(&stats.scatter_diagonal(k), u, k),
    }
}

/// `tr(W0^{-1} W_k)` with the covariance prior in its storage (one component).
fn trace_with_prior(prior: &Covariances, u: &PrecisionCholesky, k: usize, d: usize) -> f64 {
    match (prior, u) {
        (Covariances::Full(a), PrecisionCholesky::Full(m)) => trace_of_product(&a[0], &m[k]),
        (Covariances::Tied(a), PrecisionCholesky::Tied(m)) => trace_of_product(a, m),
        (Covariances::Diagonal(a), _) => trace_of_diagonal_product(&a[0], u, k),
        (Covariances::Spherical(a), _) => {
            trace_of_diagonal_product(&DVector::from_element(d, a[0]), u, k)
        }
        (prior, u) => trace_of_product(&prior.full_matrix(0, d), &factor_matrix(u, k, d)),
    }
}

/// Component `k`'s factor as a D x D matrix (only for a prior stored in another form than
/// the posterior, which the fits never produce).
fn factor_matrix(u: &PrecisionCholesky, k: usize, d: usize) -> DMatrix<f64> {
    match u {
        PrecisionCholesky::Full(m) => m[k].clone(),
        PrecisionCholesky::Tied(m) => m.clone(),
        PrecisionCholesky::Diagonal(s) => DMatrix::from_diagonal(&s[k]),
        PrecisionCholesky::Spherical(s) => DMatrix::from_diagonal_element(d, d, s[k]),
    }
}

/// `ln |A|` of the one-component symmetric positive definite `A` in its storage, of
/// dimension `d`: `2 sum_j ln L_jj` of its Cholesky factor `L` (`sqrt(a_j)` on a diagonal;
/// NaN when it has no factor).
fn log_det_spd(a: &Covariances, d: usize) -> f64 {
    let diagonal_log_det = |entries: &mut dyn Iterator<Item = f64>| -> f64 {
        2.0 * entries.map(|x| x.sqrt().ln()).sum::<f64>()
    };
    let matrix = match a {
        Covariances::Full(m) => &m[0],
        Covariances::Tied(m) => m,
        Covariances::Diagonal(v) => return diagonal_log_det(&mut v[0].iter().copied()),
        Covariances::Spherical(s) => return diagonal_log_det(&mut (0..d).map(|_| s[0])),
    };
    match gmm_core::cholesky_lower(0, matrix) {
        Ok(c) => 2.0 * c.diagonal().iter().map(|x| x.ln()).sum::<f64>(),
        Err(_) => f64::NAN,
    }
}

/// scikit-learn's bound (`_compute_lower_bound`): the ELBO right after an exact M-step with
/// the constants dropped. `-sum r ln r - sum_k ln B(W_k, nu_k) - D/2 sum_k ln beta_k`
/// minus the weight normaliser terms (without the `pi^{D(D-1)/4}` of `B`).
pub fn sklearn_bound(state: &VariationalState, resp_log_resp_sum: f64) -> f64 {
    let d = state.n_features();
    let df = d as f64;
    let k = state.n_components();
    let pi_term = 0.25 * df * (df - 1.0) * std::f64::consts::PI.ln();
    let wishart: f64 = (0..k)
        .map(|c| {
            -log_wishart_normaliser(state.log_det_scale(c), state.degrees_of_freedom[c], d)
                - pi_term
        })
        .sum();
    let weights = match &state.weights {
        WeightConcentration::Dirichlet { alpha } => {
            let total: f64 = alpha.iter().sum();
            -(ln_gamma(total) - alpha.iter().map(|&a| ln_gamma(a)).sum::<f64>())
        }
        WeightConcentration::StickBreaking { a, b } => {
            a.iter().zip(b).map(|(&a, &b)| ln_beta(a, b)).sum()
        }
    };
    -resp_log_resp_sum + wishart + weights
        - 0.5 * df * state.mean_precision.iter().map(|b| b.ln()).sum::<f64>()
}

/// The constant scikit-learn's bound drops: full ELBO = [`sklearn_bound`] + this, right after
/// an exact M-step (reg_covar 0). Weight prior normaliser (`ln C(alpha0)`, or `K ln gamma`
/// for the sticks) + `K ln B(W0, nu0)` + `K D(D-1)/4 ln pi` + `(K D / 2) ln beta0`
/// - `(N D / 2) ln 2 pi`.
pub fn sklearn_dropped_constant(priors: &Priors, k: usize, n_samples: f64) -> f64 {
    let d = priors.n_features();
    let df = d as f64;
    let kf = k as f64;
    let c = priors.weight_concentration;
    let weights = if priors.weight_prior.is_process() {
        kf * c.ln()
    } else {
        ln_gamma(kf * c) - kf * ln_gamma(c)
    };
    let log_det_w0 = -log_det_spd(&priors.covariance, d);
    weights
        + kf * (log_wishart_normaliser(log_det_w0, priors.degrees_of_freedom, d)
            + 0.25 * df * (df - 1.0) * std::f64::consts::PI.ln())
        + 0.5 * kf * df * priors.mean_precision.ln()
        - n_samples * half_log_2pi(d)
}
