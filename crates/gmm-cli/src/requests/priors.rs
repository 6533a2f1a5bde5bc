//! VB's prior flags as one [`PriorSpec`]: `--weight-prior`, `--weight-concentration`,
//! `--mean-precision`, `--degrees-of-freedom`, `--reg-covar-rule`, and the prior files
//! `--mean-prior` (m0, one row of D numbers) and `--covariance-prior` (W0^-1, a D x D
//! symmetric positive definite matrix), read and checked against the data's dimension.
//! Every error about a file names the flag and the file.

use std::path::Path;

use nalgebra::{DMatrix, DVector};

use gmm_core::{Covariances, GmmError, Result, cholesky_lower};
use gmm_io::read_means_file;
use gmm_vb::PriorSpec;

use super::{file_error, wrapped};
use crate::args::FitOptions;
use crate::errors::user_message;

/// VB's priors as the flags give them (every prior not given left to its default), the
/// prior files read and checked against the data's dimension `d`. The other settings are
/// checked by the library ([`PriorSpec::check`]) when the fit starts.
pub fn prior_spec(options: &FitOptions, d: usize) -> Result<PriorSpec> {
    let mean = match &options.mean_prior {
        Some(path) => Some(read_mean_prior(path, d)?),
        None => None,
    };
    let covariance = match &options.covariance_prior {
        Some(path) => Some(read_covariance_prior(path, d)?),
        None => None,
    };
    Ok(PriorSpec {
        weight_prior: options.weight_prior(),
        mean_precision: options.mean_precision,
        mean,
        degrees_of_freedom: options.degrees_of_freedom,
        covariance,
        reg_covar_rule: options.reg_covar_rule.map(Into::into),
    })
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
