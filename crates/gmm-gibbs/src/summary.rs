//! Posterior means and standard deviations of the relabelled draws, and the diagnostics of
//! the log-likelihood, the weights and the means.

use gmm_core::{CovarianceType, Covariances};
use nalgebra::{DMatrix, DVector};
use serde::{Deserialize, Serialize};

use crate::diagnostics::{bulk_ess, split_rhat};
use crate::draw::Draw;
use crate::params::RHAT_THRESHOLD;

/// A covariance draw flattened in its type's storage: K D x D (row-major) for full, D x D
/// for tied, K x D for diag, K for spherical.
fn flat_covariance(c: &Covariances) -> Vec<f64> {
    match c {
        Covariances::Full(m) => m
            .iter()
            .flat_map(|x| x.transpose().iter().copied().collect::<Vec<_>>())
            .collect(),
        Covariances::Tied(m) => m.transpose().iter().copied().collect(),
        Covariances::Diagonal(v) => v.iter().flat_map(|x| x.iter().copied()).collect(),
        Covariances::Spherical(v) => v.clone(),
    }
}

/// Rebuilds covariances of `t` from their flattened storage.
fn unflatten(t: CovarianceType, flat: &[f64], k: usize, d: usize) -> Covariances {
    match t {
        CovarianceType::Full => Covariances::Full(
            flat.chunks(d * d)
                .map(|c| DMatrix::from_row_slice(d, d, c))
                .collect(),
        ),
        CovarianceType::Tied => Covariances::Tied(DMatrix::from_row_slice(d, d, flat)),
        CovarianceType::Diagonal => {
            Covariances::Diagonal(flat.chunks(d).map(DVector::from_row_slice).collect())
        }
        CovarianceType::Spherical => Covariances::Spherical(flat[..k].to_vec()),
    }
}

/// Running mean and sum of squared deviations (Welford), entry by entry.
struct Moments {
    count: f64,
    mean: Vec<f64>,
    m2: Vec<f64>,
}

impl Moments {
    fn new(len: usize) -> Self {
        Self {
            count: 0.0,
            mean: vec![0.0; len],
            m2: vec![0.0; len],
        }
    }

    fn push(&mut self, x: &[f64]) {
        self.count += 1.0;
        for ((m, s), &v) in self.mean.iter_mut().zip(&mut self.m2).zip(x) {
            let delta = v - *m;
            *m += delta / self.count;
            *s += delta * (v - *m);
        }
    }

    /// Standard deviations with divisor `count - 1` (0 for one draw).
    fn sd(&self) -> Vec<f64> {
        let div = (self.count - 1.0).max(1.0);
        self.m2.iter().map(|s| (s / div).sqrt()).collect()
    }
}

/// Posterior means and standard deviations of the relabelled draws of all chains.
#[derive(Debug, Clone, PartialEq)]
pub struct PosteriorSummary {
    /// Posterior mean of the weights (K).
    pub weights_mean: DVector<f64>,
    /// Posterior standard deviation of the weights (K).
    pub weights_sd: DVector<f64>,
    /// Posterior mean of the means (K x D).
    pub means_mean: DMatrix<f64>,
    /// Posterior standard deviation of each mean coordinate (K x D).
    pub means_sd: DMatrix<f64>,
    /// Posterior mean of the covariances (of the type's structure).
    pub covariances_mean: Covariances,
    /// Posterior standard deviation of each stored covariance entry, in the same storage
    /// (a full or tied matrix, a diagonal, one value per component).
    pub covariances_sd: Covariances,
}

impl PosteriorSummary {
    /// The summary of `draws` (every chain, relabelled).
    pub(crate) fn of(draws: &[Vec<Draw>]) -> Self {
        let first = &draws[0][0];
        let (k, d) = (first.n_components(), first.n_features());
        let t = first.covariance_type();
        let mut weights = Moments::new(k);
        let mut means = Moments::new(k * d);
        let mut covs = Moments::new(flat_covariance(first.covariances()).len());
        for draw in draws.iter().flatten() {
            weights.push(draw.weights().as_slice());
            means.push(draw.means().transpose().as_slice());
            covs.push(&flat_covariance(draw.covariances()));
        }
        Self {
            weights_mean: DVector::from_vec(weights.mean.clone()),
            weights_sd: DVector::from_vec(weights.sd()),
            means_mean: DMatrix::from_row_slice(k, d, &means.mean),
            means_sd: DMatrix::from_row_slice(k, d, &means.sd()),
            covariances_mean: unflatten(t, &covs.mean, k, d),
            covariances_sd: unflatten(t, &covs.sd(), k, d),
        }
    }
}

/// R-hat and bulk ESS of one scalar quantity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuantityDiagnostics {
    /// `log_likelihood`, `weight[k]` or `mean[k][j]` (relabelled components).
    pub name: String,
    /// Split R-hat of the rank-normalised and folded draws.
    pub rhat: f64,
    /// Bulk effective sample size.
    pub bulk_ess: f64,
}

/// The convergence diagnostics of a fit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Diagnostics {
    /// The largest R-hat over the quantities.
    pub max_rhat: f64,
    /// The smallest bulk ESS over the quantities.
    pub min_bulk_ess: f64,
    /// The threshold R-hat is held against (1.01).
    pub rhat_threshold: f64,
    /// Whether some quantity's R-hat exceeds the threshold (or is not a number): the chains
    /// have not mixed, and the summaries should not be trusted.
    pub rhat_exceeded: bool,
    /// Every quantity: the log-likelihood, each weight, each mean coordinate.
    pub quantities: Vec<QuantityDiagnostics>,
}

impl Diagnostics {
    /// The diagnostics of the relabelled `draws` (one vector per chain).
    pub(crate) fn of(draws: &[Vec<Draw>]) -> Self {
        let first = &draws[0][0];
        let (k, d) = (first.n_components(), first.n_features());
        let mut quantities = Vec::with_capacity(1 + k * (d + 1));
        let mut push = |name: String, f: &dyn Fn(&Draw) -> f64| {
            let series: Vec<Vec<f64>> = draws.iter().map(|c| c.iter().map(f).collect()).collect();
            let refs: Vec<&[f64]> = series.iter().map(|s| s.as_slice()).collect();
            quantities.push(QuantityDiagnostics {
                name,
                rhat: split_rhat(&refs),
                bulk_ess: bulk_ess(&refs),
            });
        };
        push("log_likelihood".into(), &|x: &Draw| x.log_likelihood());
        for c in 0..k {
            push(format!("weight[{c}]"), &|x: &Draw| x.log_weights()[c].exp());
        }
        for c in 0..k {
            for j in 0..d {
                push(format!("mean[{c}][{j}]"), &|x: &Draw| x.means()[(c, j)]);
            }
        }
        let max_rhat = quantities
            .iter()
            .map(|q| q.rhat)
            .fold(f64::NEG_INFINITY, |a, b| {
                if b.is_nan() || a.is_nan() {
                    f64::NAN
                } else {
                    a.max(b)
                }
            });
        let min_bulk_ess = quantities
            .iter()
            .map(|q| q.bulk_ess)
            .fold(f64::INFINITY, f64::min);
        Self {
            max_rhat,
            min_bulk_ess,
            rhat_threshold: RHAT_THRESHOLD,
            rhat_exceeded: max_rhat.is_nan() || max_rhat > RHAT_THRESHOLD,
            quantities,
        }
    }
}
