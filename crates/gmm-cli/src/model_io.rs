//! Reading model files: the model `score` and `predict` use, and the point estimate `sample`
//! draws from.

use std::path::Path;

use gmm_core::{Estimator, GaussianMixture, GmmError, MixtureModel, ModelFile, Result};
use gmm_vb::VbModel;

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
            reason: format!("{reason}; give a model file written by `gmm fit`"),
        },
        other => other,
    })
}

/// The point estimate (Gaussian mixture) of a model file, whatever the method.
pub fn read_point_estimate(path: &Path) -> Result<GaussianMixture> {
    read_model_file(path)?
        .to_mixture()
        .map_err(|e| unusable(path, &e, "give a model file written by `gmm fit`"))
}

/// The model `score` and `predict` use: for a file whose `fit.method` is `"vb"` with a
/// posterior, the rebuilt [`VbModel`] (Student-t posterior predictive, variational
/// responsibilities; an invalid posterior is an error); for a VB file without a posterior,
/// its point estimate, with a note on stderr; otherwise the Gaussian mixture as written.
pub fn read_model(path: &Path) -> Result<Box<dyn MixtureModel>> {
    let file = read_model_file(path)?;
    let is_vb = file
        .fit
        .as_ref()
        .is_some_and(|f| f.estimator() == Estimator::Vb);
    if is_vb && file.posterior.is_some() {
        return VbModel::from_model_file(&file)
            .map(|m| Box::new(m) as Box<dyn MixtureModel>)
            .map_err(|e| {
                unusable(
                    path,
                    &e,
                    "refit with `gmm fit --method vb`, or delete the \"posterior\" object to \
                     use the point estimate alone",
                )
            });
    }
    let gm = file
        .to_mixture()
        .map_err(|e| unusable(path, &e, "give a model file written by `gmm fit`"))?;
    if is_vb {
        eprintln!(
            "note: {} is a VB model without a \"posterior\": using its point estimate (a plug-in \
             Gaussian mixture), not the posterior predictive",
            path.display()
        );
    }
    Ok(Box::new(gm))
}
