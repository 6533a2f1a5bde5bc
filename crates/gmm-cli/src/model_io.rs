//! Reading model files: the model `score` and `predict` use (the library's one loader,
//! `gmm_vb::LoadedModel`, whose rule is documented there), and the point estimate `sample`
//! draws from. The library's errors are wrapped with what to do next.

use std::path::Path;

use gmm_core::{GaussianMixture, GmmError, ModelFile, Result};
use gmm_vb::{LoadedModel, ModelKind};

/// What to do with a file that is not a usable model file.
const GIVE_A_MODEL_FILE: &str = "give a model file written by `gmm fit`";

/// What to do with a VB file whose posterior is not usable.
const REFIT_OR_DROP_THE_POSTERIOR: &str = "refit with `gmm fit --method vb`, or delete the \
     \"posterior\" object to use the point estimate alone";

/// The error for an unusable model file, with its path and what to do.
fn unusable(path: &Path, e: &GmmError, advice: &str) -> GmmError {
    GmmError::Io {
        path: path.display().to_string(),
        reason: format!("{e}; {advice}"),
    }
}

/// The model file at `path`, parsed (not yet checked as a model): [`ModelFile::load`], with
/// what to do added to the message of a file that is not a model file.
pub fn read_model_file(path: &Path) -> Result<ModelFile> {
    ModelFile::load(path).map_err(|e| match e {
        GmmError::InvalidModel { reason } => GmmError::InvalidModel {
            reason: format!("{reason}; {GIVE_A_MODEL_FILE}"),
        },
        other => other,
    })
}

/// The point estimate (Gaussian mixture) of a model file, whatever the method (a VB file's
/// posterior is not read, so a damaged one does not stop `gmm sample`), and the file's
/// feature names.
pub fn read_point_estimate(path: &Path) -> Result<(GaussianMixture, Option<Vec<String>>)> {
    let file = read_model_file(path)?;
    let mixture = file
        .to_mixture()
        .map_err(|e| unusable(path, &e, GIVE_A_MODEL_FILE))?;
    Ok((mixture, file.feature_names))
}

/// The model `score` and `predict` use, by the library's rule
/// ([`LoadedModel::from_model_file`]): a file with a posterior is the rebuilt VB model
/// (Student-t posterior predictive, variational responsibilities; an invalid posterior is
/// an error); a VB file without a posterior is its point estimate, with a note on stderr;
/// a Gibbs file answers with the posterior predictive of its kept draws, or without draws
/// with its posterior-mean mixture and a note on stderr; any other file is the Gaussian
/// mixture as written.
pub fn read_model(path: &Path) -> Result<LoadedModel> {
    let file = read_model_file(path)?;
    let model = LoadedModel::from_model_file(&file).map_err(|e| {
        let advice = if file.posterior.is_some() {
            REFIT_OR_DROP_THE_POSTERIOR
        } else {
            GIVE_A_MODEL_FILE
        };
        unusable(path, &e, advice)
    })?;
    if matches!(model.kind(), ModelKind::VbPointEstimate(_)) {
        eprintln!(
            "note: {} is a VB model without a \"posterior\": using its point estimate (a plug-in \
             Gaussian mixture), not the posterior predictive",
            gmm_core::escape_control(&path.display().to_string())
        );
    }
    if matches!(model.kind(), ModelKind::GibbsPosteriorMean(_)) {
        eprintln!(
            "note: {} is a Gibbs model without posterior draws (written by an older gmm, or \
             with --predictive-draws 0): using its posterior-mean mixture, not the posterior \
             predictive; fit it again to keep draws",
            gmm_core::escape_control(&path.display().to_string())
        );
    }
    Ok(model)
}
