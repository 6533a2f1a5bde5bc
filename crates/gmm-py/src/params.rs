//! A fitted model's parameters as NumPy arrays with scikit-learn's names and shapes.

use gmm_core::{Covariances, FitRecord, GaussianMixture, PrecisionCholesky};
use gmm_vb::{VbModel, WeightConcentration};
use nalgebra::DMatrix;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};

use crate::arrays::{array1, array2, array3, rows_of};

/// `covariances_` in scikit-learn's shape: full (K, D, D), tied (D, D), diag (K, D),
/// spherical (K,).
fn covariances<'py>(py: Python<'py>, c: &Covariances) -> Bound<'py, PyAny> {
    match c {
        Covariances::Full(ms) => array3(py, ms),
        Covariances::Tied(m) => array2(py, m),
        Covariances::Diagonal(vs) => rows_of(py, vs),
        Covariances::Spherical(v) => array1(py, v.iter().copied()),
    }
}

/// `precisions_cholesky_` (upper triangular factors, or inverse standard deviations).
fn precisions_cholesky<'py>(py: Python<'py>, p: &PrecisionCholesky) -> Bound<'py, PyAny> {
    match p {
        PrecisionCholesky::Full(ms) => array3(py, ms),
        PrecisionCholesky::Tied(m) => array2(py, m),
        PrecisionCholesky::Diagonal(vs) => rows_of(py, vs),
        PrecisionCholesky::Spherical(v) => array1(py, v.iter().copied()),
    }
}

/// `precisions_ = P P^T` from the factors (squares for diag and spherical).
fn precisions<'py>(py: Python<'py>, p: &PrecisionCholesky) -> Bound<'py, PyAny> {
    let square = |m: &DMatrix<f64>| m * m.transpose();
    match p {
        PrecisionCholesky::Full(ms) => array3(py, &ms.iter().map(square).collect::<Vec<_>>()),
        PrecisionCholesky::Tied(m) => array2(py, &square(m)),
        PrecisionCholesky::Diagonal(vs) => {
            rows_of(py, &vs.iter().map(|v| v.map(|x| x * x)).collect::<Vec<_>>())
        }
        PrecisionCholesky::Spherical(v) => array1(py, v.iter().map(|x| x * x)),
    }
}

/// The point-estimate attributes every model has.
pub fn mixture_params<'py>(
    py: Python<'py>,
    gm: &GaussianMixture,
    out: &Bound<'py, PyDict>,
) -> PyResult<()> {
    out.set_item("weights_", array1(py, gm.weights().iter().copied()))?;
    out.set_item("means_", array2(py, gm.means()))?;
    out.set_item("covariances_", covariances(py, gm.covariances()))?;
    out.set_item(
        "precisions_cholesky_",
        precisions_cholesky(py, gm.precision_cholesky()),
    )?;
    out.set_item("precisions_", precisions(py, gm.precision_cholesky()))?;
    Ok(())
}

/// `n_iter_`, `converged_`, `lower_bound_`, `lower_bounds_` of a fit record.
pub fn record_params<'py>(
    py: Python<'py>,
    record: &FitRecord,
    out: &Bound<'py, PyDict>,
) -> PyResult<()> {
    out.set_item("n_iter_", record.n_iter())?;
    out.set_item("converged_", record.converged())?;
    out.set_item("lower_bound_", record.lower_bound())?;
    out.set_item(
        "lower_bounds_",
        array1(py, record.lower_bounds().iter().copied()),
    )?;
    Ok(())
}

/// A value per component, or one value when the covariance is tied (scikit-learn keeps one
/// number of degrees of freedom for the shared precision).
fn per_component_or_tied<'py>(
    py: Python<'py>,
    v: &[f64],
    tied: bool,
) -> PyResult<Bound<'py, PyAny>> {
    if tied {
        Ok(v[0].into_pyobject(py)?.into_any())
    } else {
        Ok(array1(py, v.iter().copied()))
    }
}

/// The covariance prior in scikit-learn's form for the type: the D x D matrix for full and
/// tied, the D variances for diag, one variance for spherical.
fn prior_matrix<'py>(
    py: Python<'py>,
    prior: &gmm_core::Covariances,
    d: usize,
) -> PyResult<Bound<'py, PyAny>> {
    use gmm_core::Covariances::*;
    Ok(match prior {
        Full(m) => array2(py, &m[0]),
        Tied(m) => array2(py, m),
        Diagonal(_) => array1(py, prior.variances(0, d).iter().copied()),
        Spherical(s) => s[0].into_pyobject(py)?.into_any(),
    })
}

/// VB's posterior and prior attributes with scikit-learn's names.
pub fn posterior_params<'py>(
    py: Python<'py>,
    model: &VbModel,
    out: &Bound<'py, PyDict>,
) -> PyResult<()> {
    let state = model.state();
    let priors = model.priors();
    let cov = state.covariance_type();
    let tied = cov == gmm_core::CovarianceType::Tied;
    let concentration = match state.weights() {
        WeightConcentration::Dirichlet { alpha } => array1(py, alpha.iter().copied()),
        WeightConcentration::StickBreaking { a, b } => PyTuple::new(
            py,
            [array1(py, a.iter().copied()), array1(py, b.iter().copied())],
        )?
        .into_any(),
    };
    out.set_item("weight_concentration_", concentration)?;
    out.set_item(
        "mean_precision_",
        array1(py, state.mean_precision().iter().copied()),
    )?;
    let dof: Vec<f64> = state.degrees_of_freedom().iter().copied().collect();
    out.set_item(
        "degrees_of_freedom_",
        per_component_or_tied(py, &dof, tied)?,
    )?;
    out.set_item("weight_concentration_prior_", priors.weight_concentration)?;
    out.set_item("mean_precision_prior_", priors.mean_precision)?;
    out.set_item("mean_prior_", array1(py, priors.mean.iter().copied()))?;
    out.set_item("degrees_of_freedom_prior_", priors.degrees_of_freedom)?;
    out.set_item(
        "covariance_prior_",
        prior_matrix(py, &priors.covariance, priors.n_features())?,
    )?;
    Ok(())
}
