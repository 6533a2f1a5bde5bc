//! Where `gmm fit` starts and VB's prior files: `--init-model` (a warm start, or a mixture's
//! responsibilities), `--init-means`, `--init-labels` or `--init`; `--mean-prior` and
//! `--covariance-prior`. Every error names the flag and the file.

use std::path::Path;

use nalgebra::{DMatrix, DVector};

use gmm_core::{
    CovarianceType, Covariances, Dataset, GaussianMixture, GmmError, InitMethod,
    InitialResponsibilities, MixtureModel, ModelFile, Result, cholesky_lower,
};
use gmm_io::{read_labels_file, read_means_file};
use gmm_vb::VbModel;

use crate::args::{FitArgs, FitOptions, Method};
use crate::errors::user_message;
use crate::model_io::read_model_file;

/// How a fit starts.
pub enum Start {
    /// An initialisation of K components.
    Init(usize, InitMethod),
    /// A mixture: EM's first E-step uses it; VB's first M-step uses its responsibilities.
    Mixture(GaussianMixture),
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

/// An error of the flag `flag` given the file `path`.
fn file_error(flag: &'static str, path: &Path, reason: String) -> GmmError {
    GmmError::InvalidParameter {
        name: flag,
        value: path.display().to_string(),
        reason,
    }
}

/// A library error about the file `path` given with `flag`, the path said once.
fn wrapped(flag: &'static str, path: &Path, e: &GmmError) -> GmmError {
    let message = user_message(e);
    let prefix = format!("{}: ", path.display());
    let reason = message
        .strip_prefix(&prefix)
        .unwrap_or(&message)
        .to_string();
    file_error(flag, path, reason)
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
        Start::Mixture(point_estimate(&file, path)?)
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

/// `m0` of `--mean-prior` and `W0^-1` of `--covariance-prior`, each when given.
pub type PriorFiles = (Option<DVector<f64>>, Option<DMatrix<f64>>);

/// The priors of `--mean-prior` and `--covariance-prior`, read and checked against the
/// data's dimension `d`.
pub fn prior_files(options: &FitOptions, d: usize) -> Result<PriorFiles> {
    let mean = match &options.mean_prior {
        Some(path) => Some(read_mean_prior(path, d)?),
        None => None,
    };
    let covariance = match &options.covariance_prior {
        Some(path) => Some(read_covariance_prior(path, d)?),
        None => None,
    };
    Ok((mean, covariance))
}

/// "2 rows of 3 numbers", "1 row of 1 number".
fn shape(m: &DMatrix<f64>) -> String {
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    format!(
        "{} of {}",
        plural(m.nrows(), "row"),
        plural(m.ncols(), "number")
    )
}

fn read_matrix(flag: &'static str, path: &Path) -> Result<DMatrix<f64>> {
    read_means_file(path).map_err(|e| wrapped(flag, path, &e))
}

fn read_mean_prior(path: &Path, d: usize) -> Result<DVector<f64>> {
    let m = read_matrix("--mean-prior", path)?;
    if m.nrows() != 1 || m.ncols() != d {
        return Err(file_error(
            "--mean-prior",
            path,
            format!(
                "give one row of D = {d} numbers (the data's number of columns); the file has \
                 {}",
                shape(&m)
            ),
        ));
    }
    Ok(m.row(0).transpose())
}

fn read_covariance_prior(path: &Path, d: usize) -> Result<DMatrix<f64>> {
    let flag = "--covariance-prior";
    let c = read_matrix(flag, path)?;
    if c.nrows() != d || c.ncols() != d {
        return Err(file_error(
            flag,
            path,
            format!(
                "give a square D x D matrix, D = {d} (the data's number of columns); the file \
                 has {}",
                shape(&c)
            ),
        ));
    }
    let spd = Covariances::Full(vec![c.clone()])
        .check_shape(1, d)
        .and_then(|()| cholesky_lower(0, &c).map(|_| ()));
    if let Err(e) = spd {
        let why = match e {
            GmmError::NotPositiveDefinite { reason, .. } => reason,
            other => user_message(&other),
        };
        return Err(file_error(
            flag,
            path,
            format!(
                "the matrix is not symmetric positive definite ({why}): give a covariance \
                 matrix (D x D, symmetric, positive definite)"
            ),
        ));
    }
    Ok(c)
}
