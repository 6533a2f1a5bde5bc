//! The map-reduce step: statistics of one chunk under a model (the map), their merge and
//! byte form (the shuffle and reduce), and the M-step that turns merged statistics into the
//! next model (docs/python.md, "The map-reduce step").

use gmm_core::{GmmError, Result, SufficientStats};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyTuple};
use serde::{Deserialize, Serialize};

use crate::arrays::array1;
use crate::model::Inner;

/// The format name of a chunk's statistics in bytes.
const CHUNK_FORMAT: &str = "gmm-chunk-statistics";
/// Its version.
const CHUNK_FORMAT_VERSION: u32 = 1;

/// What one chunk's E-step gives: the sufficient statistics of its (weighted)
/// responsibilities, `sum_n w_n ln p(x_n)` (EM's log-likelihood), `sum_n w_n sum_k r_nk ln
/// r_nk` (VB's entropy term) and the total weight.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChunkStats {
    format: String,
    version: u32,
    /// The sufficient statistics (versioned and validated by gmm-core on read).
    pub stats: SufficientStats,
    /// `sum_n w_n logsumexp_k ln rho_nk`.
    pub log_norm_sum: f64,
    /// `sum_n w_n sum_k r_nk ln r_nk`.
    pub resp_log_resp_sum: f64,
    /// `sum_n w_n` (the number of points when unweighted).
    pub weight: f64,
}

impl ChunkStats {
    /// Statistics with their sums and total weight.
    pub fn new(
        stats: SufficientStats,
        log_norm_sum: f64,
        resp_log_resp_sum: f64,
        weight: f64,
    ) -> Self {
        Self {
            format: CHUNK_FORMAT.into(),
            version: CHUNK_FORMAT_VERSION,
            stats,
            log_norm_sum,
            resp_log_resp_sum,
            weight,
        }
    }

    /// Adds the statistics of a disjoint chunk.
    ///
    /// # Errors
    /// [`GmmError::ShapeMismatch`] when K, D or the scatter kind differ.
    pub fn merge(&mut self, other: &ChunkStats) -> Result<()> {
        self.stats.check_mergeable(&other.stats)?;
        self.stats.merge(&other.stats);
        self.log_norm_sum += other.log_norm_sum;
        self.resp_log_resp_sum += other.resp_log_resp_sum;
        self.weight += other.weight;
        Ok(())
    }

    /// The statistics as bytes (versioned JSON).
    pub fn to_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("statistics always serialise")
    }

    /// Reads bytes written by [`ChunkStats::to_bytes`], validating them.
    ///
    /// # Errors
    /// [`GmmError::InvalidParameter`] naming `statistics bytes` and the cause.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let bad = |reason: String| GmmError::InvalidParameter {
            name: "statistics bytes",
            value: "(byte string)".into(),
            reason,
        };
        let s: Self = serde_json::from_slice(bytes).map_err(|e| bad(e.to_string()))?;
        if s.format != CHUNK_FORMAT || s.version != CHUNK_FORMAT_VERSION {
            return Err(bad(format!(
                "format {:?} version {} is not {CHUNK_FORMAT:?} version {CHUNK_FORMAT_VERSION}",
                s.format, s.version
            )));
        }
        if !(s.weight.is_finite() && s.weight >= 0.0) {
            return Err(bad(format!(
                "the total weight {} must be finite and >= 0",
                s.weight
            )));
        }
        // log_norm_sum may be -inf for a point beyond f64 distances; never NaN or +inf.
        for (what, v) in [
            ("log_norm_sum", s.log_norm_sum),
            ("resp_log_resp_sum", s.resp_log_resp_sum),
        ] {
            if v.is_nan() || v == f64::INFINITY {
                return Err(bad(format!("{what} is {v}")));
            }
        }
        Ok(s)
    }
}

/// The next model from merged statistics, and the bound they give.
///
/// # Errors
/// Statistics of another K, D or scatter kind than the model; a zero total weight; the
/// M-step's errors (a collapsed component, a bad `reg_covar`).
pub fn m_step(model: &Inner, stats: &ChunkStats, reg_covar: f64) -> Result<(Inner, f64)> {
    let (kernel, kind) = model.kernel()?;
    let expected =
        SufficientStats::zeros(kernel.n_components(), &vec![0.0; kernel.n_features()], kind);
    expected.check_mergeable(&stats.stats)?;
    if stats.weight <= 0.0 {
        return Err(GmmError::InvalidParameter {
            name: "statistics",
            value: "total weight 0".into(),
            reason: "merge the statistics of at least one point of positive weight".into(),
        });
    }
    match model {
        Inner::Em { mixture, .. } => {
            let next = gmm_em::m_step(&stats.stats, mixture.covariance_type(), reg_covar)?;
            let bound = stats.log_norm_sum / stats.weight;
            Ok((
                Inner::Em {
                    mixture: Box::new(next),
                    record: None,
                },
                bound,
            ))
        }
        Inner::Vb { model, .. } => {
            let priors = model.priors();
            let cov = model.state().covariance_type();
            let state = gmm_vb::m_step(&stats.stats, priors, cov, reg_covar)?;
            let bound = gmm_vb::elbo(&state, priors, &stats.stats, stats.resp_log_resp_sum).total();
            let next = gmm_vb::VbModel::new(state, priors.clone())?;
            Ok((
                Inner::Vb {
                    model: Box::new(next),
                    record: None,
                },
                bound,
            ))
        }
    }
}

/// Mergeable statistics of one or more chunks (see [`ChunkStats`]).
#[pyclass(module = "gmm_rs._core", name = "Statistics", frozen)]
pub struct Statistics {
    /// The statistics.
    pub inner: ChunkStats,
}

impl Statistics {
    /// Wraps statistics.
    pub fn new(inner: ChunkStats) -> Self {
        Self { inner }
    }
}

#[pymethods]
impl Statistics {
    /// The statistics of the union of the chunks of `self` and `other`.
    fn merge(&self, other: &Statistics) -> PyResult<Statistics> {
        crate::errors::guarded(|| {
            let mut merged = self.inner.clone();
            merged.merge(&other.inner)?;
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
        crate::errors::guarded(|| Ok(Statistics::new(ChunkStats::from_bytes(bytes)?)))
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
        self.inner.weight
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
            self.inner.weight
        )
    }
}
