//! The model restricted to its effective components (docs/vb.md, section "Effective model").

use gmm_core::{Covariances, GmmError, Result};
use nalgebra::DMatrix;

use super::VbModel;
use crate::params::{Priors, WeightPrior};
use crate::state::{VariationalState, WeightConcentration};

impl VbModel {
    /// The model restricted to the components whose expected weight exceeds `threshold`
    /// (in their order), with one column per kept component in `predict_proba`.
    ///
    /// The kept components keep their Normal-Wishart posteriors unchanged. The posterior of
    /// the dropped components is discarded: their expected weight (at most `threshold`
    /// each) is removed and the kept expected weights are renormalised to sum to 1. The
    /// weights' posterior over the kept components is a Dirichlet:
    ///
    /// - for a Dirichlet-distribution prior, the kept concentrations `alpha_k` themselves:
    ///   by the aggregation property of the Dirichlet, this is exactly the posterior of the
    ///   kept weights renormalised;
    /// - for a Dirichlet-process prior, whose stick order has no meaning once components are
    ///   dropped, a Dirichlet with the renormalised expected weights and total concentration
    ///   `gamma + sum_kept N_k` (the prior concentration plus the kept components' counts,
    ///   `N_k = beta_k - beta0`); the priors then record a Dirichlet distribution with
    ///   concentration `gamma`.
    ///
    /// Responsibilities and the predictive density are those of the restricted model, not
    /// the original's columns renormalised (they differ by the removed weight only).
    ///
    /// ```
    /// use gmm_core::{synthetic, MixtureModel};
    /// use gmm_vb::VbParams;
    /// let sample = synthetic::draw(&synthetic::two_d_three_clusters(), 900, 5)?;
    /// let fit = VbParams::new(8).max_iter(500).tol(1e-6).fit(&sample.data)?;
    /// let effective = fit.model().effective_model(0.01)?;
    /// assert_eq!(effective.n_components(), 3);
    /// assert_eq!(effective.predict_proba(&sample.data)?.ncols(), 3);
    /// # Ok::<(), gmm_core::GmmError>(())
    /// ```
    ///
    /// # Errors
    /// [`GmmError::InvalidParameter`] naming `threshold` when it is not in `[0, 1)` or when
    /// no component's weight exceeds it.
    pub fn effective_model(&self, threshold: f64) -> Result<VbModel> {
        let weights = self.point_estimate().weights();
        let invalid = |reason: String| GmmError::InvalidParameter {
            name: "threshold",
            value: threshold.to_string(),
            reason,
        };
        if !(threshold.is_finite() && (0.0..1.0).contains(&threshold)) {
            return Err(invalid("give a weight in [0, 1), for example 0.01".into()));
        }
        let kept: Vec<usize> = (0..weights.len())
            .filter(|&c| weights[c] > threshold)
            .collect();
        if kept.is_empty() {
            return Err(invalid(format!(
                "no component has a weight above it (the largest is {}): lower it",
                weights.max()
            )));
        }
        let (concentration, priors) = self.kept_weights(&kept);
        let state = self.state();
        let rows = |m: &DMatrix<f64>| m.select_rows(kept.iter());
        let restricted = VariationalState::new(
            state.covariance_type(),
            concentration,
            state.mean_precision().select_rows(kept.iter()),
            rows(state.means()),
            state.degrees_of_freedom().select_rows(kept.iter()),
            kept_scales(state.scale_inverse(), &kept),
        )?
        .with_point_noise(state.point_noise());
        VbModel::new(restricted, priors)
    }

    /// The weights' posterior over the `kept` components and the priors that go with it.
    fn kept_weights(&self, kept: &[usize]) -> (WeightConcentration, Priors) {
        let state = self.state();
        match state.weights() {
            WeightConcentration::Dirichlet { alpha } => (
                WeightConcentration::Dirichlet {
                    alpha: kept.iter().map(|&c| alpha[c]).collect(),
                },
                self.priors().clone(),
            ),
            WeightConcentration::StickBreaking { .. } => {
                let priors = self.priors();
                let gamma = priors.weight_concentration;
                let expected = self.point_estimate().weights();
                let kept_mass: f64 = kept.iter().map(|&c| expected[c]).sum();
                let counts: f64 = kept
                    .iter()
                    .map(|&c| state.mean_precision()[c] - priors.mean_precision)
                    .sum();
                let total = gamma + counts;
                let alpha = kept
                    .iter()
                    .map(|&c| expected[c] / kept_mass * total)
                    .collect();
                let mut priors = priors.clone();
                priors.weight_prior = WeightPrior::DirichletDistribution {
                    concentration: Some(gamma),
                };
                (WeightConcentration::Dirichlet { alpha }, priors)
            }
        }
    }
}

/// The `kept` components' scale matrices (the one tied matrix as it is).
fn kept_scales(scales: &Covariances, kept: &[usize]) -> Covariances {
    match scales {
        Covariances::Full(m) => Covariances::Full(kept.iter().map(|&c| m[c].clone()).collect()),
        Covariances::Tied(m) => Covariances::Tied(m.clone()),
        Covariances::Diagonal(v) => {
            Covariances::Diagonal(kept.iter().map(|&c| v[c].clone()).collect())
        }
        Covariances::Spherical(v) => Covariances::Spherical(kept.iter().map(|&c| v[c]).collect()),
    }
}
