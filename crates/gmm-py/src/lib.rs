//! # gmm-py
//!
//! The compiled part (`gmm_rs._core`) of the Python package `gmm-rs` (import `gmm_rs`):
//! fits by gmm-em and gmm-vb with scikit-learn's parameters ([`fit::fit_em`],
//! [`fit::fit_vb`]), a fitted model's queries and model file ([`model::Model`]), and the
//! map-reduce step ([`stats::Statistics`], `Model.e_step`, `Model.m_step`). The estimator
//! classes are Python (`python/gmm_rs/`); docs/python.md is the guide.
//!
//! Every entry point converts a [`gmm_core::GmmError`] into `ValueError` (or `OSError`,
//! `MemoryError`) with its message, and catches a panic at the boundary
//! ([`errors::guarded`]); the GIL is released while Rust computes.
#![warn(missing_docs)]

pub mod arrays;
pub mod errors;
pub mod fit;
pub mod model;
mod params;
pub mod stats;

use pyo3::prelude::*;

/// The module `gmm_rs._core`.
#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<model::Model>()?;
    m.add_class::<stats::Statistics>()?;
    m.add_function(wrap_pyfunction!(fit::fit_em, m)?)?;
    m.add_function(wrap_pyfunction!(fit::fit_vb, m)?)?;
    m.add_function(wrap_pyfunction!(arrays::rows_to_array, m)?)?;
    m.add("STATS_FORMAT_VERSION", gmm_core::STATS_FORMAT_VERSION)?;
    Ok(())
}
