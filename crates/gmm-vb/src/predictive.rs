//! The posterior predictive density, a mixture of Student-t distributions (Bishop
//! 10.78-10.82; docs/vb.md, section "Predictive density").

use crate::state::ln_gamma;
use gmm_core::kernel::logsumexp;
use nalgebra::{DMatrix, DVector};

use crate::params::Priors;
use crate::state::VariationalState;

/// `p(x | X) = sum_k E[pi_k] St(x | m_k, L_k, nu_k + 1 - D)` with
/// `L_k = ((nu_k + 1 - D) beta_k / (1 + beta_k)) W_k` (Bishop 10.81-10.82).
///
/// For the Dirichlet process the sticks leave mass `prod_k E[1 - v_k]` to components beyond
/// the K-th, which are still at their prior: that mass goes to the prior predictive
/// `St(x | m0, L0, nu0 + 1 - D)`, so the density integrates to 1.
#[derive(Debug, Clone, PartialEq)]
pub struct PredictiveDensity {
    log_weights: Vec<f64>,
    means: Vec<DVector<f64>>,
    /// Upper triangular `F` with `F F^T = L` (the precision factor of the t scale).
    factors: Vec<DMatrix<f64>>,
    dof: Vec<f64>,
    log_norm: Vec<f64>,
}

impl PredictiveDensity {
    /// The predictive density of a posterior with its priors.
    pub fn new(state: &VariationalState, priors: &Priors) -> Self {
        let d = state.n_features();
        let df = d as f64;
        let (weights, rest) = state.weights.expected_weights_with_remainder();
        let mut out = Self {
            log_weights: Vec::new(),
            means: Vec::new(),
            factors: Vec::new(),
            dof: Vec::new(),
            log_norm: Vec::new(),
        };
        let mut push =
            |w: f64, m: DVector<f64>, u: &DMatrix<f64>, log_det_w: f64, nu: f64, beta: f64| {
                if w <= 0.0 {
                    return;
                }
                let dof = nu + 1.0 - df;
                let c = dof * beta / (1.0 + beta);
                out.log_weights.push(w.ln());
                out.means.push(m);
                out.factors.push(u * c.sqrt());
                out.dof.push(dof);
                out.log_norm.push(
                    ln_gamma(0.5 * (dof + df)) - ln_gamma(0.5 * dof)
                        + 0.5 * (df * c.ln() + log_det_w)
                        - 0.5 * df * (dof * std::f64::consts::PI).ln(),
                );
            };
        for (c, &w) in weights.iter().enumerate() {
            push(
                w,
                state.means.row(c).transpose(),
                &state.scale_factor[c],
                state.log_det_scale(c),
                state.degrees_of_freedom[c],
                state.mean_precision[c],
            );
        }
        if rest > 0.0
            && let Ok(u0) = gmm_core::covariance::precision_factor_of(0, &priors.covariance)
        {
            let log_det_w0 = 2.0 * u0.diagonal().iter().map(|x| x.ln()).sum::<f64>();
            push(
                rest,
                priors.mean.clone(),
                &u0,
                log_det_w0,
                priors.degrees_of_freedom,
                priors.mean_precision,
            );
        }
        out
    }

    /// `ln p(x | X)` at one point of dimension D.
    pub fn log_pdf(&self, x: &[f64]) -> f64 {
        let mut terms = Vec::with_capacity(self.log_weights.len());
        let mut diff = DVector::zeros(x.len());
        for c in 0..self.log_weights.len() {
            for j in 0..x.len() {
                diff[j] = x[j] - self.means[c][j];
            }
            let delta2 = (self.factors[c].transpose() * &diff).norm_squared();
            let dof = self.dof[c];
            let df = x.len() as f64;
            terms.push(
                self.log_weights[c] + self.log_norm[c] - 0.5 * (dof + df) * (delta2 / dof).ln_1p(),
            );
        }
        logsumexp(&terms)
    }
}
