//! Where `gmm fit` starts: `--init-model` (a warm start, or a mixture's responsibilities),
//! `--init-means`, `--init-labels` or `--init`. Every error names the flag and the file.

use std::path::Path;

use gmm_core::{
    CovarianceType, Dataset, GaussianMixture, GmmError, InitMethod, InitialResponsibilities,
    MixtureModel, ModelFile, Result,
};
use gmm_io::{read_labels_file, read_means_file};
use gmm_vb::VbModel;

use super::{file_error, wrapped};
use crate::args::{FitArgs, FitOptions, Method};
use crate::model_io::read_model_file;

/// How a fit starts.
pub enum Start {
    /// An initialisation of K components.
    Init(usize, InitMethod),
    /// A mixture: EM's first E-step uses it; VB's first M-step uses its responsibilities.
    Mixture(Box<GaussianMixture>),
    /// A VB posterior, continued under its own priors (VB only).
    Posterior(Box<VbModel>),
}

impl Start {
    /// Number of components K.
    pub fn n_components(&self) -> usize {
        match self {
            Self::Init(k, _) => *k,
            Self::Mixture(gm) => gm.n_components(),
            Self::Posterior(m) => m.n_components(),
        }
    }

    /// The covariance type: the model's, or the one `options` ask for.
    pub fn covariance_type(&self, options: &FitOptions) -> CovarianceType {
        match self {
            Self::Init(..) => options.covariance_type(),
            Self::Mixture(gm) => gm.covariance_type(),
            Self::Posterior(m) => m.state().covariance_type(),
        }
    }
}

/// Where `gmm fit` starts, checked against the data's dimension `d` and the other flags;
/// `n_points` counts the points (asked only for `--init-labels`).
pub fn fit_start(
    a: &FitArgs,
    d: usize,
    n_points: &mut dyn FnMut() -> Result<usize>,
) -> Result<Start> {
    if let Some(path) = &a.init_model {
        return model_start(a, path, d);
    }
    let k = a.k.expect("clap requires -k without --init-model");
    let init = if let Some(path) = &a.init_means {
        let means = read_means_file(path)?;
        if means.nrows() != k || means.ncols() != d {
            return Err(GmmError::InvalidParameter {
                name: "--init-means",
                value: format!("{} means of dimension {}", means.nrows(), means.ncols()),
                reason: format!(
                    "give K = {k} means of dimension {d} (one per row of {})",
                    path.display()
                ),
            });
        }
        InitMethod::FromMeans(means)
    } else if let Some(path) = &a.init_labels {
        InitMethod::FromLabels(read_labels_file(path, n_points()?)?.indices()?)
    } else {
        a.options.init.into()
    };
    Ok(Start::Init(k, init))
}

/// The start of `--init-model`: for EM the file's mixture (a VB file's point estimate), for
/// VB a VB file's posterior or else the file's mixture.
fn model_start(a: &FitArgs, path: &Path, d: usize) -> Result<Start> {
    let flag = "--init-model";
    let file = read_model_file(path).map_err(|e| wrapped(flag, path, &e))?;
    let start = if a.method == Method::Vb && file.posterior.is_some() {
        let model = VbModel::from_model_file(&file).map_err(|e| wrapped(flag, path, &e))?;
        let priors = a.options.vb_flags_given();
        if !priors.is_empty() {
            return Err(file_error(
                flag,
                path,
                format!(
                    "the file holds a VB posterior, which continues under its own priors: drop {}",
                    priors.join(", ")
                ),
            ));
        }
        Start::Posterior(Box::new(model))
    } else {
        Start::Mixture(Box::new(point_estimate(&file, path)?))
    };
    check_model_agrees(a, path, &start, d)?;
    Ok(start)
}

fn point_estimate(file: &ModelFile, path: &Path) -> Result<GaussianMixture> {
    file.to_mixture()
        .map_err(|e| wrapped("--init-model", path, &e))
}

/// The model's K, covariance type and dimension against -k, --covariance and the data's
/// dimension `data_d`.
fn check_model_agrees(a: &FitArgs, path: &Path, start: &Start, data_d: usize) -> Result<()> {
    let (k, cov) = (start.n_components(), start.covariance_type(&a.options));
    let shown = path.display();
    if let Some(given) = a.k.filter(|&given| given != k) {
        return Err(GmmError::InvalidParameter {
            name: "-k",
            value: given.to_string(),
            reason: format!(
                "--init-model {shown} has K = {k}: drop -k (K comes from the model) or give -k {k}"
            ),
        });
    }
    if let Some(given) = a.options.covariance {
        let given = CovarianceType::from(given);
        if given != cov {
            return Err(GmmError::InvalidParameter {
                name: "--covariance",
                value: given.name().into(),
                reason: format!(
                    "--init-model {shown} has {cov} covariances: drop --covariance (the type \
                     comes from the model) or give --covariance {cov}"
                ),
            });
        }
    }
    let d = match start {
        Start::Posterior(m) => m.n_features(),
        Start::Mixture(gm) => gm.n_features(),
        Start::Init(..) => data_d,
    };
    if d != data_d {
        return Err(file_error(
            "--init-model",
            path,
            format!(
                "the model has dimension {d} but the data have {data_d} columns: give a model \
                 fitted on data like these"
            ),
        ));
    }
    Ok(())
}

/// VB's responsibilities of `gm` on `data`: the soft start of a VB fit from a mixture.
pub fn responsibilities_of(
    gm: &GaussianMixture,
    data: &Dataset,
) -> Result<InitialResponsibilities> {
    let p = gm.predict_proba(data)?;
    Ok(InitialResponsibilities::Soft {
        resp: p.transpose().as_slice().to_vec(),
        n_components: gm.n_components(),
    })
}
