//! The trait every estimator's fitted result implements: the record of the fit and the model
//! file, read the same way whichever estimator ran.

use crate::fit_record::FitRecord;
use crate::model_file::ModelFile;

/// A model returned by an estimator's fit, with the record of how it was reached: what the
/// comparison and the command line read, whichever estimator ran.
pub trait FittedModel {
    /// The record of the fit.
    fn fit_record(&self) -> &FitRecord;

    /// The model file of the fitted model, with its fit record.
    fn to_model_file(&self) -> ModelFile;

    /// Writes the model file (with the fit record) to `path` atomically; `gmm::load_model`
    /// reads it back into a model that answers as this one.
    ///
    /// # Errors
    /// [`GmmError::Io`](crate::GmmError::Io) naming the path when it cannot be written.
    fn save(&self, path: &std::path::Path) -> crate::Result<()> {
        self.to_model_file().save(path)
    }

    /// Iterations run in the winning run.
    fn n_iter(&self) -> usize {
        self.fit_record().n_iter()
    }

    /// Whether the winning run converged before `max_iter`.
    fn converged(&self) -> bool {
        self.fit_record().converged()
    }

    /// The bound after every iteration of the winning run (see [`FitRecord::lower_bounds`]).
    fn lower_bounds(&self) -> &[f64] {
        self.fit_record().lower_bounds()
    }

    /// The final bound of the winning run.
    fn lower_bound(&self) -> f64 {
        self.fit_record().lower_bound()
    }
}
