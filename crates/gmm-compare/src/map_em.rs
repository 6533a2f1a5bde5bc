//! MAP-EM beside EM and VB (`gmm compare --map`): the posterior mode under VB's prior,
//! fitted to the comparison's training points from the same start
//! (docs/comparison.md, "MAP-EM beside EM and VB").

use std::fmt;
use std::time::Instant;

use gmm_core::{Dataset, FittedModel as _, GmmError, MixtureModel as _, Result};
use gmm_em::{EmFit, MapParams, MapPrior};
use gmm_vb::{PriorSpec, WeightPrior};
use serde::{Deserialize, Serialize};

use crate::compare::ComparisonSettings;
use crate::metrics::{adjusted_rand_index, holdout_split};

/// What `gmm compare --map` adds to the comparison.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MapReport {
    /// The Dirichlet concentration on the weights MAP-EM used: the comparison's when it is a
    /// Dirichlet distribution with concentration >= 1, else 1 (flat; MAP-EM has no mode
    /// under a Dirichlet process or a concentration below 1).
    pub weight_concentration: f64,
    /// Iterations of the fit.
    pub n_iter: usize,
    /// Whether it converged.
    pub converged: bool,
    /// Wall time of the fit, seconds.
    pub wall_time_seconds: f64,
    /// The final mean log posterior per training point (the fit's last bound).
    pub mean_log_posterior: Option<f64>,
    /// Mean log-likelihood per training point of the MAP mixture.
    pub train_log_likelihood: f64,
    /// BIC of the MAP mixture on the training points (lower is better).
    pub bic: f64,
    /// ICL of the MAP mixture on the training points (lower is better).
    pub icl: f64,
    /// Mean log density of the held-out points under the MAP mixture (`None` without any).
    pub holdout_log_predictive: Option<f64>,
    /// Adjusted Rand index of every point's predicted component against the true labels
    /// (when given).
    pub adjusted_rand_index: Option<f64>,
    /// The fitted weights.
    pub weights: Vec<f64>,
}

impl MapReport {
    /// The report as pretty-printed JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a report always serialises")
    }
}

impl fmt::Display for MapReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "MAP-EM (VB's Normal-Wishart prior, Dirichlet weights {}): {} iterations{}, {:.2} s",
            self.weight_concentration,
            self.n_iter,
            if self.converged {
                ""
            } else {
                " (not converged)"
            },
            self.wall_time_seconds
        )?;
        let holdout = self
            .holdout_log_predictive
            .map_or("-".to_string(), |v| format!("{v:.4}"));
        writeln!(
            f,
            "MAP-EM: held-out mean log density {holdout}, training mean log-likelihood {:.4}, \
             BIC {:.2}, ICL {:.2}",
            self.train_log_likelihood, self.bic, self.icl
        )?;
        if let Some(ari) = self.adjusted_rand_index {
            writeln!(f, "MAP-EM: adjusted Rand index {ari:.4}")?;
        }
        let w: Vec<String> = self.weights.iter().map(|w| format!("{w:.4}")).collect();
        writeln!(f, "MAP-EM: weights {}", w.join(" "))
    }
}

/// A comparison's MAP-EM fit and its report.
#[derive(Debug, Clone)]
pub struct MapComparison {
    /// The report.
    pub report: MapReport,
    /// The MAP-EM fit (on the comparison's training points).
    pub fit: EmFit,
}

/// The MAP-EM parameters of a comparison: its K, covariance type, stopping rule, and VB's
/// prior settings with the weights' Dirichlet concentration made >= 1 (the concentration it
/// uses is returned); `reg_covar = 0`, as MAP-EM requires.
pub fn map_params(settings: &ComparisonSettings) -> (MapParams, f64) {
    let mut spec: PriorSpec = settings.priors.clone();
    let concentration = match spec.weight_prior {
        WeightPrior::DirichletDistribution {
            concentration: Some(c),
        } if c >= 1.0 => c,
        _ => 1.0,
    };
    spec.weight_prior = WeightPrior::DirichletDistribution {
        concentration: Some(concentration),
    };
    let mut p = MapParams::new(settings.n_components)
        .covariance_type(settings.covariance_type)
        .prior(MapPrior::Conjugate(spec));
    if let Some(t) = settings.tol {
        p = p.tol(t);
    }
    if let Some(m) = settings.max_iter {
        p = p.max_iter(m);
    }
    (p, concentration)
}

/// Fits MAP-EM to the training points of the comparison of `data` under `settings` (the
/// same split, K, covariance type, initial responsibilities and seed as its EM and VB fits;
/// VB's prior, see [`map_params`]) and measures it as EM is measured.
///
/// # Errors
/// Any error of the MAP-EM fit (invalid prior settings named);
/// [`GmmError::ShapeMismatch`] for labels of another length than the points.
pub fn compare_map(
    data: &Dataset,
    settings: &ComparisonSettings,
    labels: Option<&[usize]>,
) -> Result<MapComparison> {
    if let Some(l) = labels
        && l.len() != data.n_samples()
    {
        return Err(GmmError::ShapeMismatch {
            what: "number of true labels against the number of points".into(),
            expected: data.n_samples(),
            found: l.len(),
        });
    }
    let (train_idx, test_idx) = holdout_split(data.n_samples(), settings.holdout, settings.seed)?;
    let train = data.select(&train_idx)?;
    let (params, weight_concentration) = map_params(settings);
    let priors = params.resolve_priors(&train)?;
    let init =
        settings
            .init
            .initial_responsibilities(&train, settings.n_components, settings.seed)?;
    let start = Instant::now();
    let fit = params.em_params(priors).fit_from(&train, &init)?;
    let wall_time_seconds = start.elapsed().as_secs_f64();
    let holdout_log_predictive = if test_idx.is_empty() {
        None
    } else {
        Some(fit.score(&data.select(&test_idx)?)?)
    };
    let adjusted_rand_index = match labels {
        Some(l) => Some(adjusted_rand_index(l, &fit.predict(data)?)?),
        None => None,
    };
    let report = MapReport {
        weight_concentration,
        n_iter: fit.n_iter(),
        converged: fit.converged(),
        wall_time_seconds,
        mean_log_posterior: fit.lower_bounds().last().copied(),
        train_log_likelihood: fit.log_likelihood(&train)?,
        bic: fit.bic(&train)?,
        icl: fit.icl(&train)?,
        holdout_log_predictive,
        adjusted_rand_index,
        weights: fit.mixture().weights().iter().copied().collect(),
    };
    Ok(MapComparison { report, fit })
}
