//! # gmm-py
//!
//! The compiled part (`gmm_rs._core`) of the Python package `gmm-rs` (import `gmm_rs`):
//! scikit-learn's parameters as the library's requests ([`settings::Settings`]: whole fits,
//! starts, runs), a fit in progress ([`stepper::Stepper`], the library's own stepper), a
//! fitted model's queries and model file ([`model::Model`]), the Gibbs sampler's fit and
//! model file ([`gibbs::GibbsModel`]), and the map-reduce step
//! ([`stats::Statistics`], `Model.e_step`, `Stepper.step`). The estimator
//! classes are Python (`python/gmm_rs/`); docs/python.md is the guide.
//!
//! Every entry point converts a [`gmm_core::GmmError`] into `ValueError` (or `OSError`,
//! `MemoryError`) with its message, and catches a panic at the boundary
//! ([`errors::guarded`]); the GIL is released while Rust computes.
#![warn(missing_docs)]

pub mod arrays;
pub mod errors;
pub mod gibbs;
pub mod model;
mod params;
pub mod settings;
pub mod stats;
pub mod stepper;

use pyo3::prelude::*;

/// The module `gmm_rs._core`.
#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<model::Model>()?;
    m.add_class::<gibbs::GibbsModel>()?;
    m.add_class::<stats::Statistics>()?;
    m.add_class::<settings::Settings>()?;
    m.add_class::<stepper::Stepper>()?;
    m.add_function(wrap_pyfunction!(arrays::rows_to_array, m)?)?;
    m.add_function(wrap_pyfunction!(settings::moments, m)?)?;
    m.add_function(wrap_pyfunction!(settings::nearest_mean_statistics, m)?)?;
    m.add("STATS_FORMAT_VERSION", gmm_core::E_STEP_FORMAT_VERSION)?;
    Ok(())
}
