//! `gmm_rs._core.Statistics`: the E-step output of one or more chunks (the library's
//! [`EStepOutput`]: sufficient statistics and the sums the bounds need), mergeable, and in
//! bytes for the shuffle (docs/python.md, "The map-reduce step").

use gmm_core::EStepOutput;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyTuple};

use crate::arrays::array1;
use crate::errors::guarded;

/// Mergeable statistics of one or more chunks.
#[pyclass(module = "gmm_rs._core", name = "Statistics", frozen)]
pub struct Statistics {
    /// The E-step output.
    pub inner: EStepOutput,
}

impl Statistics {
    /// Wraps an E-step output.
    pub fn new(inner: EStepOutput) -> Self {
        Self { inner }
    }
}

#[pymethods]
impl Statistics {
    /// The statistics of the union of the chunks of `self` and `other`.
    fn merge(&self, other: &Statistics) -> PyResult<Statistics> {
        guarded(|| {
            let mut merged = self.inner.clone();
            merged.checked_merge(&other.inner)?;
            Ok(Statistics::new(merged))
        })
    }

    fn __add__(&self, other: &Statistics) -> PyResult<Statistics> {
        self.merge(other)
    }

    /// The statistics as bytes (versioned JSON; `Statistics.from_bytes` reads them).
    fn to_bytes<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.inner.to_bytes())
    }

    /// Reads and validates statistics bytes; a malformed byte string raises ValueError.
    #[staticmethod]
    fn from_bytes(bytes: &[u8]) -> PyResult<Statistics> {
        guarded(|| Ok(Statistics::new(EStepOutput::from_bytes(bytes)?)))
    }

    /// `N_k` of every component.
    #[getter]
    fn n_k<'py>(&self, py: Python<'py>) -> Bound<'py, PyAny> {
        array1(py, self.inner.stats.n_k().iter().copied())
    }

    /// The weighted means `xbar_k`, K x D (the origin for an empty component).
    #[getter]
    fn means<'py>(&self, py: Python<'py>) -> Bound<'py, PyAny> {
        let s = &self.inner.stats;
        let d = s.n_features();
        let m = nalgebra::DMatrix::from_fn(s.n_components(), d, |c, j| s.mean(c)[j]);
        crate::arrays::array2(py, &m)
    }

    /// The centred scatter `S_k = sum_n w_n r_nk (x_n - xbar_k)(x_n - xbar_k)^T`, K x D x D
    /// (diagonal matrices when only the diagonal is kept: diag and spherical models).
    #[getter]
    fn scatter<'py>(&self, py: Python<'py>) -> Bound<'py, PyAny> {
        let s = &self.inner.stats;
        let mats: Vec<_> = (0..s.n_components()).map(|c| s.scatter(c)).collect();
        crate::arrays::array3(py, &mats)
    }

    /// The total weight (number of points when unweighted).
    #[getter]
    fn weight(&self) -> f64 {
        self.inner.total_weight
    }

    /// `sum_n w_n ln p(x_n)` under the model that computed the statistics (EM).
    #[getter]
    fn log_likelihood_sum(&self) -> f64 {
        self.inner.log_norm_sum
    }

    fn __reduce__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        let from_bytes = py.get_type::<Statistics>().getattr("from_bytes")?;
        PyTuple::new(
            py,
            [
                from_bytes,
                PyTuple::new(py, [self.to_bytes(py)])?.into_any(),
            ],
        )
    }

    fn __repr__(&self) -> String {
        format!(
            "Statistics(K={}, D={}, weight={})",
            self.inner.stats.n_components(),
            self.inner.stats.n_features(),
            self.inner.total_weight
        )
    }
}
