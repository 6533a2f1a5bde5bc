//! The fitted variational posterior as a model of its own: what a [`VbFit`](crate::VbFit)
//! holds, and what a VB model file rebuilds into (docs/vb.md, section "Model file").

use gmm_core::{
    Dataset, EStepKernel, GaussianMixture, MixtureModel, ModelFile, Result,
    check_responsibilities_memory,
};
use nalgebra::DMatrix;

use crate::params::Priors;
use crate::predictive::PredictiveDensity;
use crate::state::{Posterior, VariationalState};

mod effective;
#[cfg(test)]
mod tests;
mod validate;

pub use validate::POINT_ESTIMATE_TOLERANCE;

/// A variational posterior with its priors, ready to answer queries: `score_samples` is the
/// Student-t posterior predictive (Bishop 10.81), `predict_proba` / `predict` the variational
/// responsibilities (Bishop 10.46-10.49), as for the [`VbFit`](crate::VbFit) it came from.
///
/// Built by a fit ([`VbFit::model`](crate::VbFit::model)), from a posterior and priors
/// ([`VbModel::new`]), or from a model file written by
/// [`VbFit::to_model_file`](gmm_core::FittedModel::to_model_file) ([`VbModel::from_model_file`],
/// [`VbModel::from_json`]), which gives back the fit's densities and responsibilities
/// exactly.
///
/// ```
/// use gmm_core::{synthetic, MixtureModel, FittedModel};
/// use gmm_vb::{VbModel, VbParams};
/// let data = synthetic::draw(&synthetic::two_d_three_clusters(), 300, 1)?.data;
/// let fit = VbParams::new(4).seed(2).fit(&data)?;
/// let text = fit.to_model_file().to_json();
/// let model = VbModel::from_json(&text)?;
/// assert_eq!(model.score_samples(&data)?, fit.score_samples(&data)?);
/// assert_eq!(model.predict(&data)?, fit.predict(&data)?);
/// # Ok::<(), gmm_core::GmmError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct VbModel {
    state: VariationalState,
    priors: Priors,
    posterior: Posterior,
    point_estimate: GaussianMixture,
    kernel: EStepKernel,
    predictive: PredictiveDensity,
}

impl VbModel {
    /// The model of a posterior `state` under `priors`, after checking both as a model file's
    /// posterior is checked (see [`VbModel::from_posterior`]).
    ///
    /// ```
    /// use gmm_core::{synthetic, CovarianceType, InitMethod, MixtureModel};
    /// use gmm_vb::{iterate, m_step, VbModel, VbParams};
    /// let data = synthetic::draw(&synthetic::two_d_three_clusters(), 300, 1)?.data;
    /// let priors = VbParams::new(3).resolve_priors(&data)?;
    /// let init = InitMethod::KMeans.initial_responsibilities(&data, 3, 0)?;
    /// let kind = CovarianceType::Full.scatter_kind();
    /// let state = m_step(&init.sufficient_stats(&data, kind), &priors, CovarianceType::Full, 1e-6)?;
    /// let (state, _) = iterate(&data, &state, &priors, 1e-6)?;
    /// let model = VbModel::new(state, priors)?;
    /// assert!(model.score(&data)?.is_finite());
    /// # Ok::<(), gmm_core::GmmError>(())
    /// ```
    ///
    /// # Errors
    /// [`GmmError::InvalidModel`](gmm_core::GmmError::InvalidModel) naming the offending field, as [`VbModel::from_posterior`].
    pub fn new(state: VariationalState, priors: Priors) -> Result<Self> {
        validate::state_and_priors(&state.to_posterior(&priors))?;
        Self::assemble(state, priors)
    }

    /// The model of a posterior in file form, after checking it: a known weight prior type
    /// whose concentration has the matching form, K and D consistent across every field,
    /// every value finite, concentrations `> 0`, `beta_k > 0`, `nu_k > D - 1`, every
    /// `W_k^{-1}` symmetric positive definite with the structure of the covariance type, and
    /// priors that are valid the same way. The priors' weight prior is rebuilt with its
    /// resolved concentration given explicitly (`Some`).
    ///
    /// # Errors
    /// [`GmmError::InvalidModel`](gmm_core::GmmError::InvalidModel) whose message names the field (`posterior.<field>`).
    pub fn from_posterior(posterior: &Posterior) -> Result<Self> {
        let (state, priors) = validate::state_and_priors(posterior)?;
        Self::assemble(state, priors)
    }

    /// Rebuilds the model from a VB model file ([`VbFit::to_model_file`](gmm_core::FittedModel::to_model_file)).
    ///
    /// Besides the checks of [`VbModel::from_posterior`], the file must hold a posterior, any
    /// fit record must say `"vb"`, the posterior's covariance type, K and D must be the
    /// file's, and the file's point estimate (weights, means, covariances) must be the
    /// posterior's to [`POINT_ESTIMATE_TOLERANCE`] relative: a file whose point estimate was
    /// edited without its posterior is refused rather than scored by a model it no longer
    /// describes.
    ///
    /// # Errors
    /// [`GmmError::InvalidModel`](gmm_core::GmmError::InvalidModel) naming the field at fault; the file's own point estimate
    /// gives the errors of [`ModelFile::to_mixture`].
    pub fn from_model_file(file: &ModelFile) -> Result<Self> {
        let posterior = validate::posterior_of_file(file)?;
        let model =
            Self::from_posterior(&posterior).map_err(gmm_core::model_file::stored_model_error)?;
        validate::point_estimate_matches(&file.to_mixture()?, &model.point_estimate)?;
        Ok(model)
    }

    /// Parses a model file's JSON and rebuilds the model ([`VbModel::from_model_file`]).
    ///
    /// # Errors
    /// As [`ModelFile::from_json`] and [`VbModel::from_model_file`].
    pub fn from_json(text: &str) -> Result<Self> {
        Self::from_model_file(&ModelFile::from_json(text)?)
    }

    /// Builds the derived quantities of a checked (or freshly fitted) posterior.
    /// Reads and rebuilds the VB model file at `path` (as [`VbModel::from_model_file`]).
    ///
    /// # Errors
    /// As [`ModelFile::load`] and [`VbModel::from_model_file`].
    pub fn load(path: impl AsRef<std::path::Path>) -> Result<Self> {
        let path = path.as_ref();
        Self::from_model_file(&ModelFile::load(path)?)
            .map_err(|e| gmm_core::model_file::in_model_file(path, e))
    }

    /// Writes the model file (point estimate and posterior, no fit record) to `path`
    /// atomically.
    ///
    /// # Errors
    /// [`GmmError::Io`](gmm_core::GmmError::Io) naming the path when it cannot be written.
    pub fn save(&self, path: impl AsRef<std::path::Path>) -> Result<()> {
        self.to_model_file().save(path)
    }

    pub(crate) fn assemble(state: VariationalState, priors: Priors) -> Result<Self> {
        Ok(Self {
            posterior: state.to_posterior(&priors),
            point_estimate: state.point_estimate()?,
            kernel: state.kernel()?,
            predictive: PredictiveDensity::new(&state, &priors),
            state,
            priors,
        })
    }

    /// The model file: the point estimate and the posterior, no fit record.
    pub fn to_model_file(&self) -> ModelFile {
        let mut file = ModelFile::from_mixture(&self.point_estimate);
        file.posterior =
            Some(serde_json::to_value(&self.posterior).expect("a posterior always serialises"));
        file
    }

    /// The point estimate: expected weights, means `m_k`, covariances
    /// `E[Lambda_k]^{-1} = W_k^{-1} / nu_k`.
    pub fn point_estimate(&self) -> &GaussianMixture {
        &self.point_estimate
    }

    /// The variational posterior parameters (serialisable).
    pub fn posterior(&self) -> &Posterior {
        &self.posterior
    }

    /// The posterior with its derived quantities.
    pub fn state(&self) -> &VariationalState {
        &self.state
    }

    /// The priors.
    pub fn priors(&self) -> &Priors {
        &self.priors
    }

    /// The posterior predictive density.
    pub fn predictive(&self) -> &PredictiveDensity {
        &self.predictive
    }

    /// Log responsibilities under the variational E-step, N x K.
    ///
    /// # Errors
    /// [`GmmError::ShapeMismatch`](gmm_core::GmmError::ShapeMismatch) for data of another dimension.
    pub fn log_resp(&self, data: &Dataset) -> Result<DMatrix<f64>> {
        self.kernel.log_resp(data)
    }
}

impl MixtureModel for VbModel {
    fn n_components(&self) -> usize {
        self.state.n_components()
    }

    fn n_features(&self) -> usize {
        self.state.n_features()
    }

    /// `ln p(x | X)` under the Student-t posterior predictive (Bishop 10.81), not a plug-in.
    fn score_samples(&self, data: &Dataset) -> Result<Vec<f64>> {
        data.check_features(self.n_features())?;
        Ok(data.rows().map(|x| self.predictive.log_pdf(x)).collect())
    }

    /// Responsibilities of the variational E-step, `exp(E ln pi + E ln N)` normalised.
    fn predict_proba_within(
        &self,
        data: &Dataset,
        max_memory: Option<u64>,
    ) -> Result<DMatrix<f64>> {
        data.check_features(self.n_features())?;
        check_responsibilities_memory(data.n_samples(), self.n_components(), max_memory)?;
        self.kernel.resp(data)
    }

    fn predict(&self, data: &Dataset) -> Result<Vec<usize>> {
        self.kernel.argmax(data)
    }
}

/// About how many bytes the model file of a VB fit of type `covariance_type` with `k`
/// components of dimension `d` takes while it is built and written: the point estimate
/// ([`ModelFile::estimated_bytes`]) and the posterior (K means, K scale matrices `W_k^{-1}`
/// and the covariance prior, each in the form the type stores, and the mean prior), at 33
/// bytes a number as there.
pub fn model_file_bytes(covariance_type: gmm_core::CovarianceType, k: usize, d: usize) -> u64 {
    let (k64, d64) = (k as u64, d as u64);
    let scale = match covariance_type {
        gmm_core::CovarianceType::Full | gmm_core::CovarianceType::Tied => d64.saturating_mul(d64),
        gmm_core::CovarianceType::Diagonal => d64,
        gmm_core::CovarianceType::Spherical => 1,
    };
    let posterior = k64
        .saturating_mul(d64.saturating_add(scale).saturating_add(4))
        .saturating_add(scale)
        .saturating_add(d64);
    ModelFile::estimated_bytes(covariance_type, k, d).saturating_add(posterior.saturating_mul(33))
}
