//! `gmm_rs._core.Stepper`: a fit in progress, the library's [`EmStepper`] or [`VbStepper`]
//! (model, record, stopping rule), driven from Python by merged statistics (the map-reduce
//! step and Spark) or run to its end by `Settings.run`.

use std::sync::Mutex;

use gmm_core::{Result, RunProgress};
use gmm_em::EmStepper;
use gmm_vb::VbStepper;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

use crate::errors::guarded;
use crate::model::{Inner, Model};
use crate::stats::Statistics;

/// A run of either estimator.
// One value per estimator object, never in collections: the size difference costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum Run {
    /// EM.
    Em(EmStepper),
    /// VB.
    Vb(VbStepper),
}

impl Run {
    fn progress(&self) -> &RunProgress {
        match self {
            Self::Em(s) => s.progress(),
            Self::Vb(s) => s.progress(),
        }
    }

    /// The current model with the record so far (finished with the last step's verdict).
    fn model(&self) -> Result<Inner> {
        let record = self.progress().finished_record();
        Ok(match self {
            Self::Em(s) => Inner::Em {
                mixture: Box::new(s.model().clone()),
                record: Some(record),
                map_prior: s.params().map_priors().cloned().map(Box::new),
            },
            Self::Vb(s) => Inner::Vb {
                model: Box::new(s.model()?),
                record: Some(record),
            },
        })
    }
}

/// A fit in progress (see the module documentation).
#[pyclass(module = "gmm_rs._core", name = "Stepper", frozen)]
pub struct Stepper {
    run: Mutex<Option<Run>>,
}

impl Stepper {
    /// Wraps a run.
    pub fn new(run: Run) -> Self {
        Self {
            run: Mutex::new(Some(run)),
        }
    }

    /// Takes the run out (for `Settings.run`, which consumes it).
    pub fn take(&self) -> PyResult<Run> {
        self.run
            .lock()
            .map_err(|_| PyValueError::new_err("the stepper is unusable after an error"))?
            .take()
            .ok_or_else(|| PyValueError::new_err("the stepper was used up by Settings.run"))
    }

    fn with<T>(&self, f: impl FnOnce(&mut Run) -> Result<T>) -> PyResult<T> {
        let mut guard = self
            .run
            .lock()
            .map_err(|_| PyValueError::new_err("the stepper is unusable after an error"))?;
        let run = guard
            .as_mut()
            .ok_or_else(|| PyValueError::new_err("the stepper was used up by Settings.run"))?;
        guarded(|| f(run))
    }
}

#[pymethods]
impl Stepper {
    /// The current model, with the record so far (`n_iter_`, `converged_`,
    /// `lower_bounds_` among its params).
    fn model(&self) -> PyResult<Model> {
        self.with(|r| r.model()).map(Model::new)
    }

    /// One iteration from the statistics of the current model merged over all the data;
    /// returns whether the stopping rule is met.
    fn step(&self, py: Python<'_>, statistics: &Statistics) -> PyResult<bool> {
        let out = &statistics.inner;
        py.detach(|| {
            self.with(|r| match r {
                Run::Em(s) => s.step(out),
                Run::Vb(s) => s.step(out),
            })
        })
    }

    /// Whether the last step met the stopping rule.
    #[getter]
    fn converged(&self) -> PyResult<bool> {
        self.with(|r| Ok(r.progress().converged()))
    }

    /// Whether the run should stop (converged, or max_iter steps taken).
    #[getter]
    fn done(&self) -> PyResult<bool> {
        self.with(|r| Ok(r.progress().is_done()))
    }

    /// Steps taken.
    #[getter]
    fn n_iter(&self) -> PyResult<usize> {
        self.with(|r| Ok(r.progress().n_iter()))
    }

    /// An independent copy (`copy.copy`, `copy.deepcopy` of an estimator in progress).
    fn __copy__(&self) -> PyResult<Stepper> {
        self.with(|r| Ok(r.clone())).map(Stepper::new)
    }

    fn __deepcopy__(&self, _memo: &Bound<'_, PyAny>) -> PyResult<Stepper> {
        self.__copy__()
    }
}
