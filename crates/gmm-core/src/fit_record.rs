//! The one record of a fit's progress, shared by every estimator (EM, VB, CAVI): the bound
//! after every iteration, whether the run converged, the final bound of every restart, and
//! which estimator ran. Estimators fill it through [`FitRecord::push_bound`], which holds the
//! one convergence rule; callers read it through the `FittedModel` trait (scikit-learn's
//! `n_iter_`, `converged_`, `lower_bound_`, `lower_bounds_`).

use serde::{Deserialize, Serialize};

use crate::error::{GmmError, Result};

/// The estimator that produced a fit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Estimator {
    /// Maximum-likelihood EM (`gmm-em`); bounds are mean log-likelihoods per point.
    Em,
    /// MAP-EM (`gmm-em` under a conjugate prior); bounds are mean log posteriors per point
    /// (log-likelihood plus log prior, divided by the total weight).
    Map,
    /// Variational Bayes (`gmm-vb`); bounds are ELBO totals over the training points.
    Vb,
    /// CAVI for the known-variance mixture (`gmm-vb`'s `cavi`); bounds are ELBO totals.
    Cavi,
    /// The Gibbs sampler (`gmm-gibbs`); "bounds" are the log-likelihoods of the kept draws
    /// (totals over the training points, averaged over the chains), not bounds.
    Gibbs,
}

impl Estimator {
    /// The name written in model files (`"em"`, `"map"`, `"vb"`, `"cavi"`, `"gibbs"`).
    pub fn name(self) -> &'static str {
        match self {
            Self::Em => "em",
            Self::Map => "map",
            Self::Vb => "vb",
            Self::Cavi => "cavi",
            Self::Gibbs => "gibbs",
        }
    }
}

impl std::fmt::Display for Estimator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// What a fit records about itself: one type for every estimator.
///
/// ```
/// use gmm_core::{Estimator, FitRecord};
/// let mut record = FitRecord::new(Estimator::Vb);
/// // Bounds are ELBO totals over 100 points; tol 1e-3 applies per point.
/// assert!(!record.push_bound(-500.0, 100.0, 1e-3));
/// assert!(!record.push_bound(-450.0, 100.0, 1e-3));
/// assert!(record.push_bound(-449.95, 100.0, 1e-3));
/// record.finish(true);
/// assert_eq!((record.n_iter(), record.converged()), (3, true));
/// assert_eq!(record.restart_lower_bounds(), &[-449.95]);
/// # Ok::<(), gmm_core::GmmError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "FitRecordFile", into = "FitRecordFile")]
pub struct FitRecord {
    estimator: Estimator,
    lower_bounds: Vec<f64>,
    converged: bool,
    restart_lower_bounds: Vec<f64>,
    best_restart: usize,
    /// The bounds of the run this one continues (a warm start that keeps the history, as
    /// scikit-learn's `warm_start`): seen by the convergence rule, not recorded or saved.
    history: Vec<f64>,
    /// Iterations whose E-step ran (at least in part) in `f32` lanes.
    single_precision_steps: usize,
}

impl FitRecord {
    /// An empty record of a run of `estimator`.
    pub fn new(estimator: Estimator) -> Self {
        Self {
            estimator,
            lower_bounds: Vec::new(),
            converged: false,
            restart_lower_bounds: Vec::new(),
            best_restart: 0,
            history: Vec::new(),
            single_precision_steps: 0,
        }
    }

    /// Iterations of this run whose E-step ran in `f32` lanes (single-precision data and a
    /// model that allowed them; `gmm_core::EStepKernel::e_step_batch`). With `f32` data,
    /// fewer than [`FitRecord::n_iter`] means the rest fell back to `f64` lanes.
    pub fn single_precision_steps(&self) -> usize {
        self.single_precision_steps
    }

    /// An empty record of a run that continues the run recorded in `previous` (scikit-learn's
    /// `warm_start`): its first bound is compared with `previous`'s last, so a fit run one
    /// iteration at a time converges as one long run would. `n_iter`, `lower_bounds` and
    /// `converged` describe the new run only.
    ///
    /// ```
    /// use gmm_core::{Estimator, FitRecord};
    /// let mut first = FitRecord::new(Estimator::Em);
    /// assert!(!first.push_bound(-2.0, 1.0, 1e-3));
    /// first.finish(false);
    /// let mut next = FitRecord::continuing(&first);
    /// assert!(next.push_bound(-1.9995, 1.0, 1e-3)); // within tol of the previous run's last
    /// assert_eq!(next.n_iter(), 1);
    /// ```
    pub fn continuing(previous: &FitRecord) -> Self {
        let mut record = Self::new(previous.estimator);
        record.history = previous.history.clone();
        record.history.extend_from_slice(&previous.lower_bounds);
        record
    }

    /// Appends the bound of the iteration just run and applies the convergence rule every
    /// estimator shares: the run has converged when the bound per point moved by less than
    /// `tol` since the previous iteration, `|(bound_t - bound_{t-1}) / points| < tol`
    /// (`points` = 1 for bounds that are already per point, as EM's). The first bound never
    /// converges. The caller decides whether to stop (EM does not after a re-seeded model).
    pub fn push_bound(&mut self, bound: f64, points: f64, tol: f64) -> bool {
        self.push_bound_with_patience(bound, points, tol, 1)
    }

    /// [`FitRecord::push_bound`] with patience: the run has converged when each of the last
    /// `patience` changes of the bound per point was below `tol`,
    /// `|(bound_s - bound_{s-1}) / points| < tol` for `s = t - patience + 1 ..= t`
    /// (`patience` 0 counts as 1). One change under tol can land in a lull of a slow tail
    /// (a component emptying), several in a row rarely do; VB uses
    /// `gmm_vb`'s `STOP_PATIENCE` consecutive changes (docs/vb.md, "Convergence"). With
    /// `tol = 0` no run converges, whatever the patience.
    pub fn push_bound_with_patience(
        &mut self,
        bound: f64,
        points: f64,
        tol: f64,
        patience: usize,
    ) -> bool {
        self.lower_bounds.push(bound);
        let patience = patience.max(1);
        // the last patience + 1 bounds, reaching into the continued run's history
        let own = self.lower_bounds.len().min(patience + 1);
        let borrowed = (patience + 1 - own).min(self.history.len());
        if own + borrowed <= patience {
            return false;
        }
        let tail: Vec<f64> = self.history[self.history.len() - borrowed..]
            .iter()
            .chain(&self.lower_bounds[self.lower_bounds.len() - own..])
            .copied()
            .collect();
        tail.windows(2)
            .all(|w| ((w[1] - w[0]) / points).abs() < tol)
    }

    /// Ends a run: whether it converged, and its final bound as the bound of its one
    /// restart (`best_of_restarts` replaces that with every
    /// restart's bound).
    pub fn finish(&mut self, converged: bool) {
        self.converged = converged;
        self.restart_lower_bounds = self.lower_bounds.last().copied().into_iter().collect();
        self.best_restart = 0;
    }

    /// Records the final bound of every restart and the index of the winning one.
    pub(crate) fn set_restarts(&mut self, bounds: Vec<f64>, best: usize) {
        self.restart_lower_bounds = bounds;
        self.best_restart = best;
    }

    /// The estimator that ran.
    pub fn estimator(&self) -> Estimator {
        self.estimator
    }

    /// Iterations run in the winning run.
    pub fn n_iter(&self) -> usize {
        self.lower_bounds.len()
    }

    /// Whether the bound changed by less than `tol` before `max_iter` was reached.
    pub fn converged(&self) -> bool {
        self.converged
    }

    /// The bound after every iteration of the winning run (EM: mean log-likelihood per
    /// point; VB and CAVI: the ELBO total).
    pub fn lower_bounds(&self) -> &[f64] {
        &self.lower_bounds
    }

    /// The last bound (scikit-learn's `lower_bound_`); `-inf` for a record of no iteration.
    pub fn lower_bound(&self) -> f64 {
        self.lower_bounds
            .last()
            .copied()
            .unwrap_or(f64::NEG_INFINITY)
    }

    /// The final bound of every restart, in restart order (one entry for a single run).
    pub fn restart_lower_bounds(&self) -> &[f64] {
        &self.restart_lower_bounds
    }

    /// Index of the winning restart.
    pub fn best_restart(&self) -> usize {
        self.best_restart
    }
}

/// Where a step-wise run stands, for every estimator's stepper (`gmm_em::EmStepper`,
/// `gmm_vb::VbStepper`): its record, whether the last step met the stopping rule, and its
/// budget of `max_iter` steps.
///
/// ```
/// use gmm_core::{Estimator, FitRecord, RunProgress};
/// let mut run = RunProgress::new(FitRecord::new(Estimator::Em), 3);
/// run.push_bound(-2.0, 1.0, 1e-3, 1, true);
/// assert!(!run.is_done());
/// run.push_bound(-1.9999, 1.0, 1e-3, 1, true);
/// assert!(run.converged() && run.is_done());
/// assert_eq!(run.finished_record().n_iter(), 2);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct RunProgress {
    record: FitRecord,
    converged: bool,
    max_iter: usize,
    /// Whether the E-step of the step being taken ran in `f32` lanes.
    single_precision_step: bool,
}

impl RunProgress {
    /// A run that fills `record` for at most `max_iter` steps.
    pub fn new(record: FitRecord, max_iter: usize) -> Self {
        Self {
            record,
            converged: false,
            max_iter,
            single_precision_step: false,
        }
    }

    /// Notes the lanes the E-step of the step being taken ran in (its
    /// `EStepOutput::lanes`), counted by the next [`RunProgress::push_bound`] in
    /// [`FitRecord::single_precision_steps`].
    pub fn note_lanes(&mut self, lanes: crate::source::Precision) {
        self.single_precision_step = lanes == crate::source::Precision::F32;
    }

    /// Records the bound of the step just taken under the one stopping rule
    /// ([`FitRecord::push_bound_with_patience`]); the run counts as converged when the rule
    /// holds and `may_stop` (EM never stops right after a re-seeded model). Returns whether
    /// it converged.
    pub fn push_bound(
        &mut self,
        bound: f64,
        points: f64,
        tol: f64,
        patience: usize,
        may_stop: bool,
    ) -> bool {
        let within_tol = self
            .record
            .push_bound_with_patience(bound, points, tol, patience);
        if self.single_precision_step {
            self.record.single_precision_steps += 1;
        }
        self.converged = within_tol && may_stop;
        self.converged
    }

    /// The record so far.
    pub fn record(&self) -> &FitRecord {
        &self.record
    }

    /// Steps taken.
    pub fn n_iter(&self) -> usize {
        self.record.n_iter()
    }

    /// Whether the last step met the stopping rule.
    pub fn converged(&self) -> bool {
        self.converged
    }

    /// Whether the run should stop: converged, or `max_iter` steps taken.
    pub fn is_done(&self) -> bool {
        self.converged || self.record.n_iter() >= self.max_iter
    }

    /// The record as it would end now ([`FitRecord::finish`] with the last verdict).
    pub fn finished_record(&self) -> FitRecord {
        let mut record = self.record.clone();
        record.finish(self.converged);
        record
    }
}

/// The file form of a [`FitRecord`]: `method` and `n_iter` as files written before the
/// record had restarts; the restart fields are optional when reading.
#[derive(Serialize, Deserialize)]
struct FitRecordFile {
    method: String,
    n_iter: usize,
    converged: bool,
    lower_bounds: Vec<f64>,
    #[serde(default)]
    restart_lower_bounds: Option<Vec<f64>>,
    #[serde(default)]
    best_restart: Option<usize>,
    #[serde(default, skip_serializing_if = "is_zero")]
    single_precision_steps: usize,
}

/// Whether a count is zero (left out of model files).
fn is_zero(n: &usize) -> bool {
    *n == 0
}

impl TryFrom<FitRecordFile> for FitRecord {
    type Error = GmmError;

    fn try_from(file: FitRecordFile) -> Result<Self> {
        let invalid = |reason: String| GmmError::InvalidModel {
            reason: format!("fit.{reason}"),
        };
        let estimator = match file.method.as_str() {
            "em" => Estimator::Em,
            "map" => Estimator::Map,
            "vb" => Estimator::Vb,
            "cavi" => Estimator::Cavi,
            "gibbs" => Estimator::Gibbs,
            other => {
                return Err(invalid(format!(
                    "method is {other:?}: expected \"em\", \"map\", \"vb\", \"cavi\" or \"gibbs\""
                )));
            }
        };
        if file.n_iter != file.lower_bounds.len() {
            return Err(invalid(format!(
                "n_iter is {} but lower_bounds has {} entries: one bound per iteration",
                file.n_iter,
                file.lower_bounds.len()
            )));
        }
        let restart_lower_bounds = file
            .restart_lower_bounds
            .unwrap_or_else(|| file.lower_bounds.last().copied().into_iter().collect());
        let best_restart = file.best_restart.unwrap_or(0);
        if best_restart >= restart_lower_bounds.len().max(1) {
            return Err(invalid(format!(
                "best_restart is {best_restart} but there are {} restarts",
                restart_lower_bounds.len()
            )));
        }
        Ok(Self {
            estimator,
            lower_bounds: file.lower_bounds,
            converged: file.converged,
            restart_lower_bounds,
            best_restart,
            history: Vec::new(),
            single_precision_steps: file.single_precision_steps.min(file.n_iter),
        })
    }
}

impl From<FitRecord> for FitRecordFile {
    fn from(record: FitRecord) -> Self {
        Self {
            method: record.estimator.name().to_string(),
            n_iter: record.n_iter(),
            converged: record.converged,
            lower_bounds: record.lower_bounds,
            restart_lower_bounds: Some(record.restart_lower_bounds),
            best_restart: Some(record.best_restart),
            single_precision_steps: record.single_precision_steps,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn convergence_is_the_change_per_point_against_tol() {
        let mut em = FitRecord::new(Estimator::Em);
        assert!(!em.push_bound(-2.0, 1.0, 1e-3));
        assert!(!em.push_bound(-1.9, 1.0, 1e-3));
        assert!(em.push_bound(-1.8995, 1.0, 1e-3));
        // A drop counts by its size, as scikit-learn's abs(change) < tol.
        assert!(em.push_bound(-1.8999, 1.0, 1e-3));
        let mut vb = FitRecord::new(Estimator::Vb);
        vb.push_bound(-1000.0, 1000.0, 1e-3);
        assert!(!vb.push_bound(-998.0, 1000.0, 1e-3));
        assert!(vb.push_bound(-997.5, 1000.0, 1e-3));
        // tol 0 never converges.
        assert!(!vb.push_bound(-997.5, 1000.0, 0.0));
    }

    #[test]
    fn patience_asks_for_that_many_changes_under_tol_in_a_row() {
        let mut vb = FitRecord::new(Estimator::Vb);
        let bounds = [-10.0, -9.0, -8.9995, -8.999, -8.0, -7.9995, -7.9991, -7.999];
        let stops: Vec<bool> = bounds
            .iter()
            .map(|&b| vb.push_bound_with_patience(b, 1.0, 1e-3, 3))
            .collect();
        // changes: 1, 5e-4, 5e-4, 1, 5e-4, 4e-4, 1e-4: three in a row only at the end
        assert_eq!(
            stops,
            [false, false, false, false, false, false, false, true]
        );
        let mut one = FitRecord::new(Estimator::Vb);
        let single: Vec<bool> = bounds
            .iter()
            .map(|&b| one.push_bound_with_patience(b, 1.0, 1e-3, 0))
            .collect();
        assert_eq!(single, [false, false, true, true, false, true, true, true]);
        let mut zero = FitRecord::new(Estimator::Vb);
        assert!(
            [1.0; 10]
                .iter()
                .all(|&b| !zero.push_bound_with_patience(b, 1.0, 0.0, 3))
        );
    }

    #[test]
    fn a_continued_record_tests_its_first_bounds_against_the_history() {
        let mut first = FitRecord::new(Estimator::Vb);
        for b in [-10.0, -9.0, -8.9995] {
            first.push_bound_with_patience(b, 1.0, 1e-3, 3);
        }
        first.finish(false);
        let mut next = FitRecord::continuing(&first);
        // changes 5e-4 (history), 4e-4, 3e-4: three in a row on the second new bound
        assert!(!next.push_bound_with_patience(-8.9991, 1.0, 1e-3, 3));
        assert!(next.push_bound_with_patience(-8.9988, 1.0, 1e-3, 3));
        assert_eq!(next.lower_bounds(), &[-8.9991, -8.9988]);
        // a fresh record would need three changes of its own
        let mut fresh = FitRecord::new(Estimator::Vb);
        assert!(!fresh.push_bound_with_patience(-8.9991, 1.0, 1e-3, 3));
        assert!(!fresh.push_bound_with_patience(-8.9988, 1.0, 1e-3, 3));
        // the history does not reach the file
        let back: FitRecord = serde_json::from_str(&serde_json::to_string(&next).unwrap()).unwrap();
        assert_eq!(back.lower_bounds(), next.lower_bounds());
    }

    #[test]
    fn files_written_before_restarts_still_read() {
        let old =
            r#"{"method": "em", "n_iter": 2, "converged": true, "lower_bounds": [-3.0, -2.5]}"#;
        let record: FitRecord = serde_json::from_str(old).unwrap();
        assert_eq!(record.estimator(), Estimator::Em);
        assert_eq!(record.lower_bounds(), &[-3.0, -2.5]);
        assert_eq!(record.restart_lower_bounds(), &[-2.5]);
        assert_eq!(record.best_restart(), 0);
        let back: FitRecord =
            serde_json::from_str(&serde_json::to_string(&record).unwrap()).unwrap();
        assert_eq!(back, record);
    }

    #[test]
    fn inconsistent_records_are_refused_naming_the_field() {
        for (text, field) in [
            (
                r#"{"method": "ml", "n_iter": 1, "converged": true, "lower_bounds": [1.0]}"#,
                "fit.method",
            ),
            (
                r#"{"method": "vb", "n_iter": 3, "converged": true, "lower_bounds": [1.0]}"#,
                "fit.n_iter",
            ),
            (
                r#"{"method": "vb", "n_iter": 1, "converged": true, "lower_bounds": [1.0],
                    "restart_lower_bounds": [1.0, 0.5], "best_restart": 2}"#,
                "fit.best_restart",
            ),
        ] {
            let err = serde_json::from_str::<FitRecord>(text).unwrap_err();
            assert!(err.to_string().contains(field), "{err}");
        }
    }
}
