//! The posterior draws a Gibbs model file keeps under `"gibbs"` / `"draws"`
//! (docs/model-format.md): each draw's chain and index, weights, means and covariances in the
//! form the file's covariance type stores, read back into a [`PosteriorDraws`].

use serde::{Deserialize, Serialize};

use super::{ModelFile, StoredCovariances};
use crate::covariance::CovarianceType;
use crate::draws::PosteriorDraws;
use crate::error::{GmmError, Result};
use crate::fit_record::Estimator;
use crate::mixture::{GaussianMixture, MixtureModel};

/// One kept draw as a model file stores it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredDraw {
    /// The chain it came from (0-based).
    pub chain: usize,
    /// Its index among the chain's kept draws (0-based, after burn-in).
    pub draw: usize,
    /// K weights (summing to 1).
    pub weights: Vec<f64>,
    /// K means of length D.
    pub means: Vec<Vec<f64>>,
    /// The covariances in the form the file's covariance type stores.
    pub covariances: StoredCovariances,
}

impl StoredDraw {
    /// The stored form of the draw `m`, the `draw`-th kept draw of chain `chain`.
    pub fn of(m: &GaussianMixture, chain: usize, draw: usize) -> Self {
        let file = ModelFile::from_mixture(m);
        Self {
            chain,
            draw,
            weights: file.weights,
            means: file.means,
            covariances: file.covariances,
        }
    }

    /// The draw as a mixture of type `covariance_type`, validated as a model file's mixture.
    ///
    /// # Errors
    /// The errors of [`ModelFile::to_mixture`].
    pub fn to_mixture(&self, covariance_type: CovarianceType) -> Result<GaussianMixture> {
        ModelFile {
            format_version: super::FORMAT_VERSION,
            covariance_type,
            weights: self.weights.clone(),
            means: self.means.clone(),
            covariances: self.covariances.clone(),
            fit: None,
            posterior: None,
            gibbs: None,
            feature_names: None,
            prior: None,
        }
        .to_mixture()
    }
}

impl ModelFile {
    /// Whether a Gibbs fit wrote the file (its fit record says `"gibbs"`, or it has a
    /// `"gibbs"` object): its weights, means and covariances are then posterior means.
    pub fn is_gibbs(&self) -> bool {
        self.gibbs.is_some()
            || self
                .fit
                .as_ref()
                .is_some_and(|f| f.estimator() == Estimator::Gibbs)
    }

    /// The posterior draws the file keeps under `"gibbs"` / `"draws"`, `None` when it keeps
    /// none (not a Gibbs file, a file written before draws were kept, or one written with no
    /// draws kept).
    ///
    /// # Errors
    /// [`GmmError::InvalidModel`] naming `gibbs.draws` (and the draw) when the draws are not
    /// a list of draws of the file's model (K, D and covariance type), or a draw is not a
    /// valid mixture.
    pub fn posterior_draws(&self) -> Result<Option<PosteriorDraws>> {
        let Some(value) = self.gibbs.as_ref().and_then(|g| g.get("draws")) else {
            return Ok(None);
        };
        let invalid = |reason: String| GmmError::InvalidModel {
            reason: format!("gibbs.draws{reason}; fit the model again"),
        };
        let stored = Vec::<StoredDraw>::deserialize(value)
            .map_err(|e| invalid(format!(" is not a list of draws ({e})")))?;
        if stored.is_empty() {
            return Ok(None);
        }
        let (k, d) = (self.weights.len(), self.means.first().map_or(0, Vec::len));
        let mut draws = Vec::with_capacity(stored.len());
        for (i, s) in stored.iter().enumerate() {
            let m = s
                .to_mixture(self.covariance_type)
                .map_err(|e| invalid(format!("[{i}]: {e}")))?;
            if (m.n_components(), m.n_features()) != (k, d) {
                return Err(invalid(format!(
                    "[{i}] has K = {}, D = {} but the file's model has K = {k}, D = {d}",
                    m.n_components(),
                    m.n_features()
                )));
            }
            draws.push(m);
        }
        PosteriorDraws::new(draws).map(Some)
    }
}
