//! The VB loop (E-step on the shared kernel, VB M-step, full ELBO), restarts, and the
//! fitted result.

use gmm_core::{
    CovarianceType, DataSource, Dataset, EStepOutput, FitRecord, FittedModel, GaussianMixture,
    InitialResponsibilities, MixtureModel, ModelFile, Passes, Result, best_of_restarts,
};
use nalgebra::{DMatrix, DVector};

use crate::elbo::{ElboTerms, elbo};
use crate::model::VbModel;
use crate::params::{Priors, VbParams};
use crate::predictive::PredictiveDensity;
use crate::state::{Posterior, VariationalState, m_step};
use crate::stepper::VbStepper;

/// Weights above this count as an effective component by default: an emptied component keeps
/// `alpha0 / (K alpha0 + N)` of the weight (not 0), far below 1e-2 for any N above ~100.
pub const DEFAULT_WEIGHT_THRESHOLD: f64 = 1e-2;

/// How many consecutive changes of the total ELBO must each be below `tol` before a VB run
/// counts as converged. scikit-learn stops at the first; on Old Faithful with K = 6 that
/// first small change fell in a lull of a slow tail and stopped 1.9e-7 per point short,
/// where five in a row stop 3.8e-11 short (docs/vb.md, "Convergence", has the table).
pub const STOP_PATIENCE: usize = 5;

/// One VB iteration on `data` from the posterior `state`: the E-step with VB's constants on
/// the shared kernel, the M-step from its statistics, and the full ELBO of the new posterior
/// with the responsibilities that built it. Exposed for benchmarks and custom loops.
///
/// ```
/// use gmm_core::{synthetic, CovarianceType, InitMethod};
/// use gmm_vb::{iterate, m_step, VbParams};
/// let data = synthetic::draw(&synthetic::two_d_three_clusters(), 500, 1)?.data;
/// let params = VbParams::new(3);
/// let priors = params.resolve_priors(&data)?;
/// let init = InitMethod::KMeans.initial_responsibilities(&data, 3, 0)?;
/// let kind = CovarianceType::Full.scatter_kind();
/// let mut state = m_step(&init.sufficient_stats(&data, kind), &priors, CovarianceType::Full, 1e-6)?;
/// let mut previous = f64::NEG_INFINITY;
/// for _ in 0..5 {
///     let (next, bound) = iterate(&data, &state, &priors, 1e-6)?;
///     assert!(bound.total() >= previous - 1e-10 * previous.abs());
///     previous = bound.total();
///     state = next;
/// }
/// # Ok::<(), gmm_core::GmmError>(())
/// ```
///
/// # Errors
/// [`GmmError::SingularComponent`](gmm_core::GmmError::SingularComponent) or [`GmmError::NotPositiveDefinite`](gmm_core::GmmError::NotPositiveDefinite) from the M-step.
pub fn iterate(
    data: &Dataset,
    state: &VariationalState,
    priors: &Priors,
    reg_covar: f64,
) -> Result<(VariationalState, ElboTerms)> {
    // The kernel on the data directly: they were checked when made, and a fresh `Passes`
    // would spend a pass's worth of work tallying their first summary on every call.
    let out = state
        .kernel()?
        .e_step(data, state.covariance_type.scatter_kind())?;
    next_posterior(&out, priors, state.covariance_type, reg_covar)
}

/// The posterior the M-step makes of an E-step's output, with its full ELBO (the bound of
/// one iteration, here and in [`VbStepper::step`]).
pub(crate) fn next_posterior(
    out: &EStepOutput,
    priors: &Priors,
    covariance_type: CovarianceType,
    reg_covar: f64,
) -> Result<(VariationalState, ElboTerms)> {
    let next = m_step(&out.stats, priors, covariance_type, reg_covar)?;
    let bound = elbo(&next, priors, &out.stats, out.resp_log_resp_sum)
        .with_missing_entropy(out.missing_entropy_sum);
    Ok((next, bound))
}

/// A fitted variational Gaussian mixture: the fitted [`VbModel`] (posterior, priors,
/// predictive density) with the record of the fit.
#[derive(Debug, Clone)]
pub struct VbFit {
    params: VbParams,
    model: VbModel,
    record: FitRecord,
    last_terms: ElboTerms,
    /// N, or the sum of the sample weights.
    total_weight: f64,
}

impl VbParams {
    /// Fits the model: `n_init` runs from `init` with seeds `seed + i`, the run with the
    /// largest final ELBO kept (ties: the first).
    ///
    /// # Errors
    /// Invalid parameters ([`VbParams::check`]), initialisation errors, and
    /// [`GmmError::SingularComponent`](gmm_core::GmmError::SingularComponent) should a posterior scale matrix fail to factorise.
    pub fn fit(&self, data: &Dataset) -> Result<VbFit> {
        self.check(data)?;
        let mut source = data;
        self.fit_checked(&mut Passes::new(&mut source))
    }

    /// [`VbParams::fit`] on data read as a stream of batches, pass after pass: the memory
    /// held is one batch and the model, whatever N (docs/architecture.md, "Streaming"). The
    /// default priors take one pass; k-means initialisation runs on a sample of
    /// `init_sample` points (all of them when N is at most that). From the same initial
    /// means (`InitMethod::FromMeans`) or warm start, the fit equals the in-memory fit of
    /// the same points bit for bit.
    ///
    /// # Errors
    /// As [`VbParams::fit`]; errors of the source (reading, a value that is not finite, a
    /// source that changes between passes).
    pub fn fit_source(&self, source: &mut dyn DataSource) -> Result<VbFit> {
        let mut passes = Passes::new(source).rescaling_weights();
        self.check_passes(&mut passes)?;
        self.fit_checked(&mut passes)
    }

    /// The fit once the parameters are checked against the data.
    fn fit_checked(&self, passes: &mut Passes<'_>) -> Result<VbFit> {
        if let Some(model) = &self.warm_start {
            return self.run(passes, self.stepper(model)?);
        }
        let priors = self.priors_of(passes)?;
        best_of_restarts(
            &self.control,
            |restart| {
                let stats = self.control.initial_stats(passes, restart)?;
                let start = self.first_model(&stats, &priors)?;
                self.run(passes, self.stepper(&start)?)
            },
            |fit| &mut fit.record,
        )
    }

    /// Fits from given initial responsibilities (one run; `init`, `seed`, `n_init` and a
    /// warm-start model unused).
    ///
    /// # Errors
    /// As [`VbParams::fit`]; [`GmmError::ShapeMismatch`](gmm_core::GmmError::ShapeMismatch) when the responsibilities do not
    /// have K components or one row per point.
    pub fn fit_from(&self, data: &Dataset, init: &InitialResponsibilities) -> Result<VbFit> {
        let cold = self.clone().cold_start();
        let start = cold.initial_model_from(data, init)?;
        let mut source = data;
        cold.run(&mut Passes::new(&mut source), cold.stepper(&start)?)
    }

    /// Runs `stepper` (made by these parameters, from any start: a model read back, the
    /// first model of statistics merged elsewhere, a warm start that continues its record)
    /// to its end on data read pass after pass: the loop of [`VbParams::fit`].
    ///
    /// # Errors
    /// As [`VbParams::fit_source`].
    pub fn fit_stepper(&self, source: &mut dyn DataSource, stepper: VbStepper) -> Result<VbFit> {
        let mut passes = Passes::new(source);
        self.check_passes(&mut passes)?;
        self.run(&mut passes, stepper)
    }

    /// Steps until the run is done, one pass of the E-step per step.
    fn run(&self, passes: &mut Passes<'_>, mut stepper: VbStepper) -> Result<VbFit> {
        let kind = self.control.covariance_type.scatter_kind();
        while !stepper.progress().is_done() {
            let out = stepper.kernel().e_step_pass(passes, kind)?;
            stepper.step(&out)?;
        }
        stepper.into_fit()
    }
}

impl VbFit {
    pub(crate) fn new(
        params: VbParams,
        model: VbModel,
        record: FitRecord,
        last_terms: ElboTerms,
        total_weight: f64,
    ) -> Self {
        Self {
            params,
            model,
            record,
            last_terms,
            total_weight,
        }
    }

    /// The fitted model: what [`VbModel::from_model_file`] rebuilds from
    /// [`VbFit::to_model_file`], and what answers this fit's queries.
    pub fn model(&self) -> &VbModel {
        &self.model
    }

    /// The fitted model, without the record of the fit.
    pub fn into_model(self) -> VbModel {
        self.model
    }

    /// The point estimate: expected weights, means `m_k`, covariances
    /// `E[Lambda_k]^{-1} = W_k^{-1} / nu_k`.
    pub fn point_estimate(&self) -> &GaussianMixture {
        self.model.point_estimate()
    }

    /// The variational posterior parameters (serialisable).
    pub fn posterior(&self) -> &Posterior {
        self.model.posterior()
    }

    /// The posterior with its derived quantities, for further computation.
    pub fn state(&self) -> &VariationalState {
        self.model.state()
    }

    /// The priors, resolved on the training data.
    pub fn priors(&self) -> &Priors {
        self.model.priors()
    }

    /// The parameters of the fit.
    pub fn params(&self) -> &VbParams {
        &self.params
    }

    /// The final full ELBO (a lower bound on `ln p(X)`), total over the training points.
    pub fn elbo(&self) -> f64 {
        self.last_terms.total()
    }

    /// The final ELBO's terms.
    pub fn elbo_terms(&self) -> &ElboTerms {
        &self.last_terms
    }

    /// The final ELBO per training point (per unit of weight with sample weights).
    pub fn elbo_per_point(&self) -> f64 {
        self.elbo() / self.total_weight
    }

    /// Expected weights `E[pi_k]`, normalised (scikit-learn's `weights_`).
    pub fn weights(&self) -> DVector<f64> {
        self.point_estimate().weights().clone()
    }

    /// Number of components whose expected weight exceeds `threshold` (see
    /// [`DEFAULT_WEIGHT_THRESHOLD`]).
    pub fn effective_components(&self, threshold: f64) -> usize {
        self.point_estimate().effective_components(threshold)
    }

    /// The fitted model restricted to the components whose expected weight exceeds
    /// `threshold`, weights renormalised: see [`VbModel::effective_model`].
    ///
    /// # Errors
    /// As [`VbModel::effective_model`].
    pub fn effective_model(&self, threshold: f64) -> Result<VbModel> {
        self.model.effective_model(threshold)
    }

    /// The posterior predictive density.
    pub fn predictive(&self) -> &PredictiveDensity {
        self.model.predictive()
    }

    /// Log responsibilities under the variational E-step, N x K.
    ///
    /// # Errors
    /// [`GmmError::ShapeMismatch`](gmm_core::GmmError::ShapeMismatch) for data of another dimension.
    pub fn log_resp(&self, data: &Dataset) -> Result<DMatrix<f64>> {
        self.model.log_resp(data)
    }
}

/// The record's bounds are full ELBO totals over the training points (not per point).
impl FittedModel for VbFit {
    fn fit_record(&self) -> &FitRecord {
        &self.record
    }

    /// The model file: point estimate, fit record and the posterior
    /// ([`VbModel::from_model_file`] rebuilds the fitted model from it).
    fn to_model_file(&self) -> ModelFile {
        let mut file = self.model.to_model_file();
        file.fit = Some(self.record.clone());
        file
    }
}

/// Delegates to the fitted [`VbModel`].
impl MixtureModel for VbFit {
    fn n_components(&self) -> usize {
        self.model.n_components()
    }

    fn n_features(&self) -> usize {
        self.model.n_features()
    }

    /// `ln p(x | X)` under the Student-t posterior predictive (Bishop 10.81), not a plug-in.
    fn score_samples(&self, data: &Dataset) -> Result<Vec<f64>> {
        self.model.score_samples(data)
    }

    /// Responsibilities of the variational E-step, `exp(E ln pi + E ln N)` normalised.
    fn predict_proba_within(
        &self,
        data: &Dataset,
        max_memory: Option<u64>,
    ) -> Result<DMatrix<f64>> {
        self.model.predict_proba_within(data, max_memory)
    }

    fn predict(&self, data: &Dataset) -> Result<Vec<usize>> {
        self.model.predict(data)
    }
}
