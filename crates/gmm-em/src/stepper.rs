//! One EM run, step by step: the model, its [`FitRecord`] and the one stopping rule, fed with
//! E-step outputs however they were computed (a pass over data in memory, a stream, the
//! merged statistics of Spark partitions). [`EmParams::fit`] runs its loop through it; so do
//! the Python estimators and the Spark driver (docs/python.md, "The map-reduce step").

use gmm_core::{
    Dataset, EStepKernel, EStepOutput, Estimator, FitRecord, GaussianMixture, GmmError,
    InitialResponsibilities, MixtureModel, Result, RunProgress, SufficientStats,
};

use crate::fit::EmFit;
use crate::m_step::{build_mixture, m_step_parameters};
use crate::map_step::{log_prior, map_m_step_parameters};
use crate::params::EmParams;
use crate::reseed::{ReseedEvent, collapsed_components, reseed};

/// An EM run in progress: the current mixture, the bounds so far and whether the last step
/// met the stopping rule. Made by [`EmParams::stepper`]; each [`EmStepper::step`] takes the
/// E-step output of the current model ([`EmStepper::kernel`]) over all the data.
///
/// ```
/// use gmm_core::{synthetic, Dataset, FittedModel};
/// use gmm_em::EmParams;
/// let data = synthetic::draw(&synthetic::two_d_three_clusters(), 500, 1)?.data;
/// let params = EmParams::new(3).tol(1e-8).max_iter(200);
/// let mut stepper = params.stepper(params.initial_model(&data)?);
/// while !stepper.progress().is_done() {
///     let out = stepper.kernel().e_step(&data, params.control().covariance_type.scatter_kind())?;
///     stepper.step(&out)?;
/// }
/// let fit = stepper.into_fit();
/// assert_eq!(fit.lower_bounds(), params.fit(&data)?.lower_bounds());
/// # Ok::<(), gmm_core::GmmError>(())
/// ```
#[derive(Debug, Clone)]
pub struct EmStepper {
    params: EmParams,
    model: GaussianMixture,
    progress: RunProgress,
    reseeds: Vec<ReseedEvent>,
}

impl EmParams {
    /// A run that starts from `model` (its first E-step uses it), with an empty record.
    pub fn stepper(&self, model: GaussianMixture) -> EmStepper {
        let estimator = if self.map.is_some() {
            Estimator::Map
        } else {
            Estimator::Em
        };
        self.stepper_with_record(model, FitRecord::new(estimator))
    }

    /// A run that continues the run recorded in `previous` from `model` (scikit-learn's
    /// `warm_start`): the first bound is compared with `previous`'s last, so fitting one
    /// iteration at a time converges when one long fit would
    /// ([`FitRecord::continuing`]).
    pub fn stepper_continuing(&self, model: GaussianMixture, previous: &FitRecord) -> EmStepper {
        self.stepper_with_record(model, FitRecord::continuing(previous))
    }

    fn stepper_with_record(&self, model: GaussianMixture, record: FitRecord) -> EmStepper {
        EmStepper {
            params: self.clone(),
            model,
            progress: RunProgress::new(record, self.control.max_iter),
            reseeds: Vec::new(),
        }
    }

    /// The first model of a run from its initial statistics: one M-step, then the parts
    /// given by [`EmParams::given_start`] replace the M-step's own (scikit-learn's
    /// `weights_init`, `means_init`, `precisions_init`).
    ///
    /// # Errors
    /// As [`crate::m_step`]; [`GmmError::InvalidWeights`] and the like when the given parts
    /// do not make a valid mixture.
    pub fn first_model(&self, stats: &SufficientStats) -> Result<GaussianMixture> {
        m_step_or_reseed(self, &mut Vec::new(), stats, 0, None)
    }

    /// The model the fit of `data` starts from (run 0): the warm-start model, the mixture
    /// of [`EmParams::given_start`] when all its parts are given, or [`EmParams::first_model`]
    /// of the initial responsibilities.
    ///
    /// # Errors
    /// As [`EmParams::check`] and [`EmParams::first_model`]; errors of the initialisation.
    pub fn initial_model(&self, data: &Dataset) -> Result<GaussianMixture> {
        self.check(data)?;
        if let Some(model) = self.given_model()? {
            return Ok(model);
        }
        let start = self
            .control
            .init
            .start_rows(data, self.control.n_components);
        let init = self.control.initial_responsibilities(&start, 0)?;
        self.first_model(
            &init.sufficient_stats(&start, self.control.covariance_type.scatter_kind()),
        )
    }

    /// The model a run from given initial responsibilities starts from: one M-step on them
    /// (the warm-start model, `n_init`, `init` and `seed` are not used; the given parts of
    /// [`EmParams::given_start`] apply as in [`EmParams::first_model`]).
    ///
    /// # Errors
    /// As [`EmParams::check`] and [`EmParams::first_model`], and
    /// [`GmmError::ShapeMismatch`] / [`GmmError::InvalidLabels`] /
    /// [`GmmError::InvalidParameter`] when the responsibilities do not fit the data and K.
    pub fn initial_model_from(
        &self,
        data: &Dataset,
        init: &InitialResponsibilities,
    ) -> Result<GaussianMixture> {
        let cold = self.clone().cold_start();
        cold.check(data)?;
        init.check(data.n_samples(), self.control.n_components)?;
        cold.first_model(&init.sufficient_stats(data, self.control.covariance_type.scatter_kind()))
    }

    /// The warm-start model, or the given start when it is complete: a start that needs no
    /// data.
    pub(crate) fn given_model(&self) -> Result<Option<GaussianMixture>> {
        if let Some(model) = &self.warm_start {
            return Ok(Some(model.clone()));
        }
        self.given.complete_mixture()
    }
}

impl EmStepper {
    /// The parameters the run was made by (with its MAP prior, if any).
    pub fn params(&self) -> &EmParams {
        &self.params
    }

    /// The current mixture: the start before the first step, then the last M-step's.
    pub fn model(&self) -> &GaussianMixture {
        &self.model
    }

    /// The E-step kernel of the current mixture (what the next step's statistics come from).
    pub fn kernel(&self) -> &EStepKernel {
        self.model.kernel()
    }

    /// Where the run stands: its record, the last step's verdict, whether it is done.
    pub fn progress(&self) -> &RunProgress {
        &self.progress
    }

    /// One iteration from the E-step output of the current model over all the data: its
    /// bound (the mean log-likelihood per unit of weight of the current model) is recorded
    /// and tested against `tol`, and the M-step on its statistics gives the next model.
    ///
    /// # Errors
    /// [`GmmError::InvalidParameter`] when the output holds no weight or its bound is not
    /// finite, or its statistics do not match the model (K, D); the M-step's errors (a
    /// collapsed component).
    pub fn step(&mut self, out: &EStepOutput) -> Result<bool> {
        self.advance(out, None)
    }

    /// [`EmStepper::step`] with the data in memory, for re-seeding collapsed components.
    pub(crate) fn advance(&mut self, out: &EStepOutput, data: Option<&Dataset>) -> Result<bool> {
        out.check_for_model(self.model.n_components(), self.model.n_features())?;
        let iteration = self.progress.n_iter() + 1;
        // per point: with sample weights, per unit of weight; MAP-EM adds the log prior
        let log_prior = match &self.params.map {
            Some(priors) => log_prior(&self.model, priors)?,
            None => 0.0,
        };
        let bound = (out.log_norm_sum + log_prior) / out.total_weight;
        if !bound.is_finite() {
            return Err(GmmError::InvalidParameter {
                name: "data",
                value: format!("log-likelihood {bound} at iteration {iteration}"),
                reason: "the log-likelihood is not finite: rescale the data (values too \
                         large for f64 densities) or raise reg_covar"
                    .into(),
            });
        }
        let model_was_reseeded = self
            .reseeds
            .last()
            .is_some_and(|e| e.iteration + 1 == iteration);
        // EM's bound is already per point; scikit-learn's rule (patience 1).
        let tol = self.params.control.tol;
        self.progress.note_lanes(out.lanes);
        let converged = self
            .progress
            .push_bound(bound, 1.0, tol, 1, !model_was_reseeded);
        self.model =
            m_step_or_reseed(&self.params, &mut self.reseeds, &out.stats, iteration, data)?;
        Ok(converged)
    }

    /// The first model from initial statistics (re-seeding collapsed components when asked
    /// and `data` is in memory), or the start that needs none.
    pub(crate) fn start(
        params: &EmParams,
        stats: &SufficientStats,
        data: Option<&Dataset>,
    ) -> Result<Self> {
        if let Some(model) = params.given_model()? {
            return Ok(params.stepper(model));
        }
        let mut reseeds = Vec::new();
        let model = m_step_or_reseed(params, &mut reseeds, stats, 0, data)?;
        let mut stepper = params.stepper(model);
        stepper.reseeds = reseeds;
        Ok(stepper)
    }

    /// Ends the run: its fitted result.
    pub fn into_fit(self) -> EmFit {
        EmFit::new(self.model, self.progress.finished_record(), self.reseeds)
            .with_map_prior(self.params.map)
    }
}

/// One M-step (the given parts of the start replacing its own at iteration 0), with
/// collapsed components re-seeded at the worst-explained points when asked and `data` is in
/// memory.
fn m_step_or_reseed(
    params: &EmParams,
    reseeds: &mut Vec<ReseedEvent>,
    stats: &SufficientStats,
    iteration: usize,
    data: Option<&Dataset>,
) -> Result<GaussianMixture> {
    let c = &params.control;
    let mut p = match &params.map {
        Some(priors) => map_m_step_parameters(stats, c.covariance_type, priors)?,
        None => m_step_parameters(stats, c.covariance_type, c.reg_covar)?,
    };
    if iteration == 0 {
        params.given.apply(&mut p);
    }
    let budget = c.n_components.saturating_sub(reseeds.len());
    if params.reseed_collapsed && budget > 0 {
        let mut collapsed = collapsed_components(&p);
        collapsed.truncate(budget);
        // checked before the fit: re-seeding is on only for data in memory
        if let (false, Some(data)) = (collapsed.is_empty(), data) {
            reseeds.extend(reseed(data, &mut p, &collapsed, iteration)?);
        }
    }
    build_mixture(p)
}
