//! One VB run, step by step: the posterior, its priors, its [`FitRecord`] and the one
//! stopping rule, fed with E-step outputs however they were computed (a pass over data in
//! memory, a stream, the merged statistics of Spark partitions). [`VbParams::fit`] runs its
//! loop through it; so do the Python estimators and the Spark driver.

use gmm_core::{
    Dataset, EStepKernel, EStepOutput, Estimator, FitRecord, GmmError, InitialResponsibilities,
    Result, RunProgress, SufficientStats,
};

use crate::elbo::ElboTerms;
use crate::fit::{STOP_PATIENCE, VbFit, next_posterior};
use crate::model::VbModel;
use crate::params::{Priors, VbParams};
use crate::state::{VariationalState, m_step};

/// A VB run in progress: the current posterior under fixed priors, the ELBO after every step
/// and whether the last step met the stopping rule. Made by [`VbParams::stepper`]; each
/// [`VbStepper::step`] takes the E-step output of the current posterior
/// ([`VbStepper::kernel`]) over all the data.
///
/// ```
/// use gmm_core::{synthetic, FittedModel};
/// use gmm_vb::VbParams;
/// let data = synthetic::draw(&synthetic::two_d_three_clusters(), 500, 1)?.data;
/// let params = VbParams::new(3).tol(1e-8).max_iter(200);
/// let mut stepper = params.stepper(&params.initial_model(&data)?)?;
/// while !stepper.progress().is_done() {
///     let out = stepper.kernel().e_step(&data, params.control().covariance_type.scatter_kind())?;
///     stepper.step(&out)?;
/// }
/// let fit = stepper.into_fit()?;
/// assert_eq!(fit.lower_bounds(), params.fit(&data)?.lower_bounds());
/// # Ok::<(), gmm_core::GmmError>(())
/// ```
#[derive(Debug, Clone)]
pub struct VbStepper {
    params: VbParams,
    priors: Priors,
    state: VariationalState,
    kernel: EStepKernel,
    progress: RunProgress,
    last_terms: Option<ElboTerms>,
    total_weight: f64,
}

impl VbParams {
    /// A run that starts from `model`'s posterior under `model`'s priors, with an empty
    /// record.
    ///
    /// # Errors
    /// [`GmmError::NotPositiveDefinite`] should the posterior's kernel not factorise (not
    /// expected for a valid model).
    pub fn stepper(&self, model: &VbModel) -> Result<VbStepper> {
        self.stepper_with_record(model, FitRecord::new(Estimator::Vb))
    }

    /// A run that continues the run recorded in `previous` from `model` (scikit-learn's
    /// `warm_start`): the stopping rule looks back into `previous`'s bounds
    /// ([`FitRecord::continuing`]), so fitting a few iterations at a time stops where one
    /// long fit would.
    ///
    /// # Errors
    /// As [`VbParams::stepper`].
    pub fn stepper_continuing(&self, model: &VbModel, previous: &FitRecord) -> Result<VbStepper> {
        self.stepper_with_record(model, FitRecord::continuing(previous))
    }

    fn stepper_with_record(&self, model: &VbModel, record: FitRecord) -> Result<VbStepper> {
        Ok(VbStepper {
            params: self.clone(),
            priors: model.priors().clone(),
            state: model.state().clone(),
            kernel: model.state().kernel()?,
            progress: RunProgress::new(record, self.control.max_iter),
            last_terms: None,
            total_weight: 0.0,
        })
    }

    /// The first posterior of a run from its initial statistics: one VB M-step under
    /// `priors`.
    ///
    /// # Errors
    /// As [`m_step`].
    pub fn first_model(&self, stats: &SufficientStats, priors: &Priors) -> Result<VbModel> {
        let c = &self.control;
        let state = m_step(stats, priors, c.covariance_type, c.reg_covar)?;
        VbModel::assemble(state, priors.clone())
    }

    /// The posterior the fit of `data` starts from (run 0): the warm-start model, or
    /// [`VbParams::first_model`] of the initial responsibilities under the priors resolved
    /// on `data`.
    ///
    /// # Errors
    /// As [`VbParams::check`], [`VbParams::resolve_priors`] and [`VbParams::first_model`].
    pub fn initial_model(&self, data: &Dataset) -> Result<VbModel> {
        if let Some(model) = &self.warm_start {
            self.check(data)?;
            return Ok(model.clone());
        }
        let priors = self.resolve_priors(data)?;
        let start = self
            .control
            .init
            .start_rows(data, self.control.n_components);
        let init = self.control.initial_responsibilities(&start, 0)?;
        let kind = self.control.covariance_type.scatter_kind();
        self.first_model(&init.sufficient_stats(&start, kind), &priors)
    }

    /// The posterior a run from given initial responsibilities starts from: one VB M-step
    /// on them under the priors resolved on `data` (the warm-start model, `n_init`, `init`
    /// and `seed` are not used).
    ///
    /// # Errors
    /// As [`VbParams::resolve_priors`] and [`VbParams::first_model`];
    /// [`GmmError::ShapeMismatch`] when the responsibilities do not have K components or
    /// one row per point.
    pub fn initial_model_from(
        &self,
        data: &Dataset,
        init: &InitialResponsibilities,
    ) -> Result<VbModel> {
        let cold = self.clone().cold_start();
        let priors = cold.resolve_priors(data)?;
        init.check(data.n_samples(), self.control.n_components)?;
        let kind = self.control.covariance_type.scatter_kind();
        cold.first_model(&init.sufficient_stats(data, kind), &priors)
    }
}

impl VbStepper {
    /// The current posterior with its priors (built on request: the stepper keeps the
    /// posterior's state and kernel).
    ///
    /// # Errors
    /// As [`VbModel::new`]'s derived quantities (not expected for a valid posterior).
    pub fn model(&self) -> Result<VbModel> {
        VbModel::assemble(self.state.clone(), self.priors.clone())
    }

    /// The priors of the run.
    pub fn priors(&self) -> &Priors {
        &self.priors
    }

    /// The E-step kernel of the current posterior (VB's expectations).
    pub fn kernel(&self) -> &EStepKernel {
        &self.kernel
    }

    /// Where the run stands: its record (bounds are ELBO totals), the last step's verdict
    /// (each of the last [`STOP_PATIENCE`] changes of the ELBO below `tol`: docs/vb.md,
    /// "Convergence"), whether it is done.
    pub fn progress(&self) -> &RunProgress {
        &self.progress
    }

    /// One iteration from the E-step output of the current posterior over all the data: the
    /// M-step on its statistics gives the next posterior, whose full ELBO is recorded and
    /// tested.
    ///
    /// # Errors
    /// [`GmmError::InvalidParameter`] when the output holds no weight or does not match the
    /// posterior (K, D); the M-step's errors.
    pub fn step(&mut self, out: &EStepOutput) -> Result<bool> {
        out.check_for_model(self.kernel.n_components(), self.kernel.n_features())?;
        let c = &self.params.control;
        let (next, terms) = next_posterior(out, &self.priors, c.covariance_type, c.reg_covar)?;
        self.kernel = next.kernel()?;
        self.state = next;
        // scikit-learn's rule on the total bound, held for STOP_PATIENCE changes in a row
        // (docs/vb.md, "Convergence").
        self.progress.note_lanes(out.lanes);
        let converged = self
            .progress
            .push_bound(terms.total(), 1.0, c.tol, STOP_PATIENCE, true);
        self.last_terms = Some(terms);
        self.total_weight = out.total_weight;
        Ok(converged)
    }

    /// Ends the run: its fitted result.
    ///
    /// # Errors
    /// [`GmmError::InvalidParameter`] naming `max_iter` for a run of no step (it has no
    /// bound).
    pub fn into_fit(self) -> Result<VbFit> {
        let Some(last_terms) = self.last_terms else {
            return Err(GmmError::InvalidParameter {
                name: "max_iter",
                value: "0 steps".into(),
                reason: "a VB fit needs at least one iteration for its bound".into(),
            });
        };
        Ok(VbFit::new(
            self.params,
            VbModel::assemble(self.state, self.priors)?,
            self.progress.finished_record(),
            last_terms,
            self.total_weight,
        ))
    }
}
