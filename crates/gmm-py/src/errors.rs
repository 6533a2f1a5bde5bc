//! How a Rust error or panic becomes a Python exception.
//!
//! Every [`GmmError`] keeps its message. Input the user can fix (data, parameters, model
//! files, statistics bytes) raises `ValueError`; an I/O error `OSError`; a refused
//! allocation `MemoryError`. A panic is a bug: [`guarded`] catches it at the boundary and
//! raises `RuntimeError` saying so, so that no panic unwinds into the interpreter. It is the
//! last resort, not how errors are reported.

use std::panic::{AssertUnwindSafe, catch_unwind};

use gmm_core::GmmError;
use pyo3::PyErr;
use pyo3::exceptions::{PyMemoryError, PyOSError, PyRuntimeError, PyValueError};

/// An invalid parameter, named, with its value and what to do.
pub fn invalid(name: &'static str, value: impl ToString, reason: impl Into<String>) -> GmmError {
    GmmError::InvalidParameter {
        name,
        value: value.to_string(),
        reason: reason.into(),
    }
}

/// The message of a gmm error as a Python user reads it: the library's, except that a
/// non-finite value names what a Python user can do (the library's message names its Rust
/// API, `MissingPolicy::Marginalise`): for a NaN, the estimators' `missing="marginalise"`.
fn python_message(e: &GmmError) -> String {
    match e {
        GmmError::NonFinite { row, column, value } => {
            let what_to_do = if value.is_nan() {
                "remove or impute it, or have NaN read as a missing value: \
                 missing=\"marginalise\" (GaussianMixture, BayesianGaussianMixture, \
                 MAPGaussianMixture)"
            } else {
                "remove or impute non-finite values before fitting"
            };
            format!("value at row {row}, column {column} is {value}: {what_to_do}")
        }
        other => other.to_string(),
    }
}

/// The Python exception of a gmm error, carrying its message (`python_message`: a NaN is
/// told to use the estimators' `missing="marginalise"`).
pub fn to_py(e: GmmError) -> PyErr {
    // control characters (a newline or an escape sequence in a file name) escaped
    let message = gmm_core::escape_control(&python_message(&e));
    let root = match &e {
        GmmError::FitFailed { source, .. } => source.as_ref(),
        other => other,
    };
    match root {
        GmmError::Io { .. } => PyOSError::new_err(message),
        GmmError::MemoryLimit { .. } => PyMemoryError::new_err(message),
        _ => PyValueError::new_err(message),
    }
}

/// Runs `f`, turning a panic into `RuntimeError` instead of letting it unwind into Python.
pub fn guarded<T>(f: impl FnOnce() -> Result<T, GmmError>) -> Result<T, PyErr> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(result) => result.map_err(to_py),
        Err(payload) => {
            let what = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            Err(PyRuntimeError::new_err(format!(
                "internal error in gmm_rs (a bug: please report it with the input that caused \
                 it): {what}"
            )))
        }
    }
}
