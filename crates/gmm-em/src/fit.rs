//! The EM loop and its fitted result.
//!
//! Iteration semantics are scikit-learn's (docs/em.md): the first model is one M-step on the
//! initial responsibilities; iteration `t` is one E-step on model `t - 1` (whose
//! log-likelihood is bound `t`) followed by one M-step on its statistics (model `t`). The fit
//! stops when two consecutive bounds differ by less than `tol`, or after `max_iter`
//! iterations. No N x K matrix is held: each E-step streams the data through the mixture's
//! kernel and keeps only the sufficient statistics.

use gmm_core::{
    DataSource, Dataset, FitRecord, FittedModel, GaussianMixture, InitialResponsibilities,
    MixtureModel, ModelFile, Passes, Result, best_of_restarts,
};
use nalgebra::DMatrix;

#[cfg(doc)]
use gmm_core::GmmError;

use crate::params::EmParams;
use crate::reseed::ReseedEvent;
use crate::stepper::EmStepper;
use gmm_vb::Priors;

/// A fitted EM model: the mixture and the record of how it was reached.
#[derive(Debug, Clone)]
pub struct EmFit {
    mixture: GaussianMixture,
    record: FitRecord,
    reseeds: Vec<ReseedEvent>,
    map_prior: Option<Priors>,
}

impl EmParams {
    /// Fits the mixture: `n_init` runs from the initialisation method (run `i` with seed
    /// `seed + i`), or one run from the warm-start model; the run with the highest final
    /// bound wins (ties to the earliest).
    ///
    /// A fit that reaches `max_iter` without converging is returned with
    /// [`EmFit::converged`] false, not as an error.
    ///
    /// # Errors
    /// Any error of [`EmParams::check`] or of the initialisation; a
    /// [`GmmError::SingularComponent`](gmm_core::GmmError::SingularComponent) (or, for tied covariances,
    /// [`GmmError::NotPositiveDefinite`](gmm_core::GmmError::NotPositiveDefinite)) when a covariance cannot be factorised and
    /// re-seeding is off or exhausted.
    pub fn fit(&self, data: &Dataset) -> Result<EmFit> {
        self.check(data)?;
        let mut source = data;
        self.fit_checked(&mut Passes::new(&mut source))
    }

    /// [`EmParams::fit`] on data read as a stream of batches, pass after pass: the memory
    /// held is one batch and the model, whatever N (docs/architecture.md, "Streaming").
    /// k-means initialisation runs on a sample of `init_sample` points (all of them when
    /// N is at most that); from the same initial means (`InitMethod::FromMeans`) or warm
    /// start, the fit equals the in-memory fit of the same points bit for bit.
    ///
    /// # Errors
    /// As [`EmParams::fit`]; errors of the source (reading, a value that is not finite, a
    /// source that changes between passes); re-seeding is refused for a stream.
    pub fn fit_source(&self, source: &mut dyn DataSource) -> Result<EmFit> {
        let mut passes = Passes::new(source).rescaling_weights();
        self.check_passes(&mut passes)?;
        self.fit_checked(&mut passes)
    }

    /// The fit once the parameters are checked against the data.
    fn fit_checked(&self, passes: &mut Passes<'_>) -> Result<EmFit> {
        if let Some(model) = self.given_model()? {
            return self.run(passes, self.stepper(model));
        }
        best_of_restarts(
            &self.control,
            |restart| {
                let stats = self.control.initial_stats(passes, restart)?;
                let stepper = EmStepper::start(self, &stats, passes.in_memory())?;
                self.run(passes, stepper)
            },
            |fit| &mut fit.record,
        )
    }

    /// One run from the given initial responsibilities (the warm-start model, `n_init`,
    /// `init` and `seed` are not used).
    ///
    /// # Errors
    /// As [`EmParams::fit`], and [`GmmError::ShapeMismatch`](gmm_core::GmmError::ShapeMismatch) / [`GmmError::InvalidLabels`](gmm_core::GmmError::InvalidLabels) /
    /// [`GmmError::InvalidParameter`](gmm_core::GmmError::InvalidParameter) when the responsibilities do not fit the data and K.
    pub fn fit_from(&self, data: &Dataset, init: &InitialResponsibilities) -> Result<EmFit> {
        let cold = self.clone().cold_start();
        let start = cold.initial_model_from(data, init)?;
        let mut source = data;
        cold.run(&mut Passes::new(&mut source), cold.stepper(start))
    }

    /// Runs `stepper` (made by these parameters, from any start: a model read back, the
    /// first model of statistics merged elsewhere, a warm start that continues its record)
    /// to its end on data read pass after pass: the loop of [`EmParams::fit`].
    ///
    /// # Errors
    /// As [`EmParams::fit_source`].
    pub fn fit_stepper(&self, source: &mut dyn DataSource, stepper: EmStepper) -> Result<EmFit> {
        let mut passes = Passes::new(source);
        self.check_passes(&mut passes)?;
        self.run(&mut passes, stepper)
    }

    /// Steps until the run is done, one pass of the E-step per step.
    fn run(&self, passes: &mut Passes<'_>, mut stepper: EmStepper) -> Result<EmFit> {
        let kind = self.control.covariance_type.scatter_kind();
        while !stepper.progress().is_done() {
            let out = stepper.kernel().e_step_pass(passes, kind)?;
            stepper.advance(&out, passes.in_memory())?;
        }
        Ok(stepper.into_fit())
    }
}

impl EmFit {
    pub(crate) fn new(
        mixture: GaussianMixture,
        record: FitRecord,
        reseeds: Vec<ReseedEvent>,
    ) -> Self {
        Self {
            mixture,
            record,
            reseeds,
            map_prior: None,
        }
    }

    pub(crate) fn with_map_prior(mut self, priors: Option<Priors>) -> Self {
        self.map_prior = priors;
        self
    }

    /// The resolved prior of a MAP-EM fit (`None` for maximum likelihood).
    pub fn map_prior(&self) -> Option<&Priors> {
        self.map_prior.as_ref()
    }

    /// The log prior density of the final parameters (docs/em.md, eqs. P7-P9); `None` for
    /// maximum likelihood. `N * score(data) + log_prior()` is the log posterior (up to
    /// the evidence) that MAP-EM maximises.
    pub fn log_prior(&self) -> Option<f64> {
        let priors = self.map_prior.as_ref()?;
        crate::map_step::log_prior(&self.mixture, priors).ok()
    }

    /// Integrated completed likelihood of the final parameters on `data`, mclust's
    /// definition with lower better: `BIC - 2 sum_n w_n ln max_k r_nk`
    /// ([`GaussianMixture::icl`]).
    ///
    /// # Errors
    /// [`GmmError::ShapeMismatch`](gmm_core::GmmError::ShapeMismatch) when the dimension differs.
    pub fn icl(&self, data: &Dataset) -> Result<f64> {
        self.mixture.icl(data)
    }

    /// The fitted mixture (the parameters after the last M-step).
    pub fn mixture(&self) -> &GaussianMixture {
        &self.mixture
    }

    /// Consumes the fit and returns the mixture.
    pub fn into_mixture(self) -> GaussianMixture {
        self.mixture
    }

    /// Collapsed components re-seeded in the winning run (empty unless re-seeding is on).
    pub fn reseeds(&self) -> &[ReseedEvent] {
        &self.reseeds
    }

    /// Mean per-point log-likelihood of the final parameters on `data`.
    ///
    /// # Errors
    /// [`GmmError::ShapeMismatch`](gmm_core::GmmError::ShapeMismatch) when the dimension differs.
    pub fn log_likelihood(&self, data: &Dataset) -> Result<f64> {
        self.mixture.score(data)
    }

    /// Bayesian information criterion `-2 N score + p ln N` of the final parameters on
    /// `data` (lower is better); `p` counts weights, means and covariance parameters.
    ///
    /// # Errors
    /// [`GmmError::ShapeMismatch`](gmm_core::GmmError::ShapeMismatch) when the dimension differs.
    pub fn bic(&self, data: &Dataset) -> Result<f64> {
        self.mixture.bic(data)
    }

    /// Akaike information criterion `-2 N score + 2 p` (lower is better).
    ///
    /// # Errors
    /// [`GmmError::ShapeMismatch`](gmm_core::GmmError::ShapeMismatch) when the dimension differs.
    pub fn aic(&self, data: &Dataset) -> Result<f64> {
        self.mixture.aic(data)
    }
}

/// The record's bounds are scikit-learn's `lower_bounds_`: entry `t - 1` is the mean per-point
/// log-likelihood of the parameters *before* M-step `t` (computed by E-step `t`), so the first
/// entry is that of the initial model and the last lags the final parameters by one M-step.
impl FittedModel for EmFit {
    fn fit_record(&self) -> &FitRecord {
        &self.record
    }

    /// The model file of the mixture with its fit record.
    fn to_model_file(&self) -> ModelFile {
        let mut file = ModelFile::from_mixture(&self.mixture);
        file.fit = Some(self.record.clone());
        file.prior = self.map_prior.as_ref().map(crate::map::map_prior_record);
        file
    }
}

impl MixtureModel for EmFit {
    fn n_components(&self) -> usize {
        self.mixture.n_components()
    }

    fn n_features(&self) -> usize {
        self.mixture.n_features()
    }

    fn score_samples(&self, data: &Dataset) -> Result<Vec<f64>> {
        self.mixture.score_samples(data)
    }

    fn predict_proba_within(
        &self,
        data: &Dataset,
        max_memory: Option<u64>,
    ) -> Result<DMatrix<f64>> {
        self.mixture.predict_proba_within(data, max_memory)
    }

    fn score(&self, data: &Dataset) -> Result<f64> {
        self.mixture.score(data)
    }

    fn predict(&self, data: &Dataset) -> Result<Vec<usize>> {
        self.mixture.predict(data)
    }
}
