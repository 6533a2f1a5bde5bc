//! `gmm_rs._core.Model`: a fitted or initial EM mixture or VB posterior, its queries, its
//! model file, and the map-reduce step (E-step statistics of a chunk, M-step from merged
//! statistics).

use gmm_core::model_file::check_feature_names;
use gmm_core::{
    Dataset, EStepKernel, EStepOutput, FitRecord, FittedModel, GaussianMixture, MissingPolicy,
    MixtureModel, ModelFile, Passes, Result, ScatterKind, SliceSource,
    check_responsibilities_memory,
};
use gmm_vb::{LoadedModel, ModelKind, Priors, VbModel};
use numpy::{IntoPyArray, PyReadonlyArray1, PyReadonlyArray2};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};

use crate::arrays::{self, Rows};
use crate::errors::guarded;
use crate::params::{mixture_params, posterior_params, record_params};
use crate::settings::missing_policy;
use crate::stats::Statistics;

/// What a [`Model`] holds.
#[derive(Debug, Clone)]
pub enum Inner {
    /// A mixture fitted by EM: maximum likelihood, or MAP-EM under `map_prior`.
    Em {
        /// The mixture.
        mixture: Box<GaussianMixture>,
        /// How it was fitted, if it was.
        record: Option<FitRecord>,
        /// MAP-EM's resolved prior (`None`: maximum likelihood).
        map_prior: Option<Box<Priors>>,
    },
    /// A variational posterior with its priors (VB).
    Vb {
        /// The posterior.
        model: Box<VbModel>,
        /// How it was fitted, if it was.
        record: Option<FitRecord>,
    },
}

impl Inner {
    /// An EM mixture without a record.
    pub fn em(mixture: GaussianMixture) -> Self {
        Self::Em {
            mixture: Box::new(mixture),
            record: None,
            map_prior: None,
        }
    }

    /// A MAP-EM start (no record) under `priors`.
    pub fn map(mixture: GaussianMixture, priors: Priors) -> Self {
        Self::Em {
            mixture: Box::new(mixture),
            record: None,
            map_prior: Some(Box::new(priors)),
        }
    }

    /// A VB posterior without a record.
    pub fn vb(model: VbModel) -> Self {
        Self::Vb {
            model: Box::new(model),
            record: None,
        }
    }

    /// An EM fit's mixture and record.
    pub fn em_fit(fit: gmm_em::EmFit) -> Self {
        let record = Some(fit.fit_record().clone());
        let map_prior = fit.map_prior().cloned().map(Box::new);
        Self::Em {
            mixture: Box::new(fit.into_mixture()),
            record,
            map_prior,
        }
    }

    /// A VB fit's posterior and record.
    pub fn vb_fit(fit: gmm_vb::VbFit) -> Self {
        let record = Some(fit.fit_record().clone());
        Self::Vb {
            model: Box::new(fit.into_model()),
            record,
        }
    }

    fn queries(&self) -> &dyn MixtureModel {
        match self {
            Self::Em { mixture, .. } => mixture.as_ref(),
            Self::Vb { model, .. } => model.as_ref(),
        }
    }

    fn point_estimate(&self) -> &GaussianMixture {
        match self {
            Self::Em { mixture, .. } => mixture.as_ref(),
            Self::Vb { model, .. } => model.point_estimate(),
        }
    }

    /// How the model was fitted, if it was.
    pub fn record(&self) -> Option<&FitRecord> {
        match self {
            Self::Em { record, .. } | Self::Vb { record, .. } => record.as_ref(),
        }
    }

    fn to_model_file(&self) -> ModelFile {
        let mut file = match self {
            Self::Em {
                mixture, map_prior, ..
            } => {
                let mut file = ModelFile::from_mixture(mixture);
                file.prior = map_prior.as_deref().map(gmm_em::map_prior_record);
                file
            }
            Self::Vb { model, .. } => model.to_model_file(),
        };
        file.fit = self.record().cloned();
        file
    }

    /// The model a file holds, read by the library's one loader
    /// ([`gmm_vb::LoadedModel`]); a VB file without its posterior gives its point estimate,
    /// which answers as a Gaussian mixture (load it with `GaussianMixture.load`), and so
    /// does a Gibbs file without draws; a Gibbs file with draws is refused (it is
    /// `GibbsModel`'s).
    fn from_model_file(file: &ModelFile) -> Result<Self> {
        let record = file.fit.clone();
        Ok(match LoadedModel::from_model_file(file)?.into_kind() {
            ModelKind::Vb(model) => Self::Vb {
                model: Box::new(model),
                record,
            },
            ModelKind::Mixture(mixture)
            | ModelKind::VbPointEstimate(mixture)
            | ModelKind::GibbsPosteriorMean(mixture) => Self::Em {
                mixture: Box::new(mixture),
                record: record.filter(|r| {
                    matches!(
                        r.estimator(),
                        gmm_core::Estimator::Em | gmm_core::Estimator::Map
                    )
                }),
                map_prior: gmm_em::map_prior_of_file(file)?.map(Box::new),
            },
            ModelKind::GibbsDraws { .. } => {
                return Err(gmm_core::GmmError::InvalidModel {
                    reason: "the file holds a Gibbs fit's posterior draws: load it with \
                             gmm_rs.GibbsGaussianMixture.load, which scores with their \
                             posterior predictive"
                        .into(),
                });
            }
        })
    }

    /// The E-step kernel (EM's constants, or VB's expectations) and the scatter the M-step
    /// needs.
    pub fn kernel(&self) -> Result<(EStepKernel, ScatterKind)> {
        let kind = self.point_estimate().covariance_type().scatter_kind();
        Ok(match self {
            Self::Em { mixture, .. } => (mixture.kernel().clone(), kind),
            Self::Vb { model, .. } => (model.state().kernel()?, kind),
        })
    }

    /// The rows (and weights) borrowed as a data source, without a copy; the values are
    /// checked batch by batch as they are read (a NaN or infinite value is named by its row
    /// and column), and the dimension against the model's.
    fn source<'a>(
        &self,
        rows: &'a Rows<'_>,
        weights: Option<&'a [f64]>,
    ) -> Result<SliceSource<'a>> {
        let d = self.queries().n_features();
        if rows.d != d {
            return Err(gmm_core::GmmError::ShapeMismatch {
                what: "number of features of the data against the model".into(),
                expected: d,
                found: rows.d,
            });
        }
        let source = SliceSource::new(&rows.values, rows.d)?;
        match weights {
            Some(w) => source.with_weights(w),
            None => Ok(source),
        }
    }

    /// The rows as a data set that marks their missing coordinates, when `policy` reads
    /// NaN as missing and some value is NaN ([`arrays::with_missing`]), checked against the
    /// model's dimension; `None` otherwise (the rows are then read in place, batch by
    /// batch).
    fn with_missing(&self, rows: &Rows<'_>, policy: MissingPolicy) -> Result<Option<Dataset>> {
        let data = arrays::with_missing(&rows.values, rows.d, None, policy)?;
        if let Some(data) = &data {
            data.check_features(self.queries().n_features())?;
        }
        Ok(data)
    }

    /// Log density of every point, batch by batch over the borrowed rows (the same numbers
    /// as on the whole data set: the batches are cut where the E-step's chunks are); the
    /// marginal density of the observed coordinates for a point with missing ones.
    fn score_samples(&self, rows: &Rows<'_>, policy: MissingPolicy) -> Result<Vec<f64>> {
        if let Some(data) = self.with_missing(rows, policy)? {
            return self.queries().score_samples(&data);
        }
        let mut out = Vec::with_capacity(rows.n);
        self.queries()
            .score_samples_source(&mut self.source(rows, None)?, &mut |_, s| {
                out.extend_from_slice(s);
                Ok(())
            })?;
        Ok(out)
    }

    /// Mean log density per point of the point estimate (what BIC and AIC use), and N.
    fn point_score(&self, rows: &Rows<'_>, policy: MissingPolicy) -> Result<(f64, f64)> {
        let score = match self.with_missing(rows, policy)? {
            Some(data) => self.point_estimate().score(&data)?,
            None => self
                .point_estimate()
                .score_source(&mut self.source(rows, None)?)?,
        };
        Ok((score, rows.n as f64))
    }

    /// Responsibilities, N x K row-major, batch by batch over the borrowed rows; the N x K
    /// result is checked against the memory limit before anything is computed.
    fn predict_proba(&self, rows: &Rows<'_>, policy: MissingPolicy) -> Result<Vec<f64>> {
        let model = self.queries();
        let k = model.n_components();
        if let Some(data) = self.with_missing(rows, policy)? {
            let p = model.predict_proba(&data)?;
            let mut out = Vec::with_capacity(rows.n * k);
            for i in 0..rows.n {
                out.extend(p.row(i).iter().copied());
            }
            return Ok(out);
        }
        let mut source = self.source(rows, None)?;
        check_responsibilities_memory(rows.n, k, None)?;
        let mut out = Vec::with_capacity(rows.n * k);
        Passes::new(&mut source).run(EStepKernel::batch_rows(rows.d), &mut |batch| {
            let n = batch.points.len() / rows.d;
            let data =
                gmm_core::Dataset::from_row_major(n, rows.d, batch.points.widened().into_owned())?;
            let p = model.predict_proba_within(&data, None)?;
            for i in 0..n {
                out.extend(p.row(i).iter().copied());
            }
            Ok(())
        })?;
        Ok(out)
    }

    /// The most responsible component of every point, batch by batch over the borrowed
    /// rows.
    fn predict(&self, rows: &Rows<'_>, policy: MissingPolicy) -> Result<Vec<i64>> {
        if let Some(data) = self.with_missing(rows, policy)? {
            let labels = self.queries().predict(&data)?;
            return Ok(labels.into_iter().map(|l| l as i64).collect());
        }
        let mut out = Vec::with_capacity(rows.n);
        self.queries()
            .predict_source(&mut self.source(rows, None)?, &mut |_, labels| {
                out.extend(labels.iter().map(|l| *l as i64));
                Ok(())
            })?;
        Ok(out)
    }

    /// The E-step statistics of the borrowed rows (and weights) in one pass: the same
    /// batches, chunks and merge order as the in-memory E-step, so the same bits.
    /// With missing coordinates, the statistics of the data set that marks them.
    fn e_step(
        &self,
        rows: &Rows<'_>,
        weights: Option<&[f64]>,
        policy: MissingPolicy,
    ) -> Result<EStepOutput> {
        let (kernel, kind) = self.kernel()?;
        if let Some(data) = arrays::with_missing(&rows.values, rows.d, weights, policy)? {
            data.check_features(self.queries().n_features())?;
            return kernel.e_step_pass(&mut Passes::new(&mut &data), kind);
        }
        let mut source = self.source(rows, weights)?;
        kernel.e_step_pass(&mut Passes::new(&mut source), kind)
    }
}

/// A fitted or initial model: an EM mixture or a VB posterior.
#[pyclass(module = "gmm_rs._core", name = "Model", frozen)]
pub struct Model {
    /// The model.
    pub inner: Inner,
    /// The names of its features, when known (a model file's `feature_names`).
    feature_names: Option<Vec<String>>,
}

impl Model {
    /// Wraps a model (without feature names).
    pub fn new(inner: Inner) -> Self {
        Self {
            inner,
            feature_names: None,
        }
    }

    /// The model a parsed model file holds, with its feature names.
    fn from_file(file: &ModelFile) -> Result<Self> {
        Ok(Self {
            inner: Inner::from_model_file(file)?,
            feature_names: file.feature_names.clone(),
        })
    }

    /// The model's file, with its record and feature names.
    fn model_file(&self) -> ModelFile {
        let mut file = self.inner.to_model_file();
        file.feature_names.clone_from(&self.feature_names);
        file
    }
}

#[pymethods]
impl Model {
    /// "em", "map" (EM under a prior: MAP-EM) or "vb".
    #[getter]
    fn kind(&self) -> &'static str {
        match &self.inner {
            Inner::Em {
                map_prior: Some(_), ..
            } => "map",
            Inner::Em { .. } => "em",
            Inner::Vb { .. } => "vb",
        }
    }

    /// The names of the features (a list of str) when known: read from a model file that
    /// recorded them, or given by `with_feature_names`; None otherwise.
    #[getter]
    fn feature_names(&self) -> Option<Vec<String>> {
        self.feature_names.clone()
    }

    /// The same model with the feature names `names` (None: none), which its model file
    /// then records.
    #[pyo3(signature = (names))]
    fn with_feature_names(&self, names: Option<Vec<String>>) -> PyResult<Self> {
        guarded(|| {
            if let Some(names) = &names {
                check_feature_names(names, self.inner.queries().n_features())?;
            }
            Ok(Self {
                inner: self.inner.clone(),
                feature_names: names,
            })
        })
    }

    /// Number of components K.
    #[getter]
    fn n_components(&self) -> usize {
        self.inner.queries().n_components()
    }

    /// Dimension D.
    #[getter]
    fn n_features(&self) -> usize {
        self.inner.queries().n_features()
    }

    /// The covariance type ("full", "tied", "diag", "spherical").
    #[getter]
    fn covariance_type(&self) -> &'static str {
        self.inner.point_estimate().covariance_type().name()
    }

    /// Log density of every point: EM's mixture density; VB's Student-t posterior
    /// predictive. `missing` ("refuse" or "marginalise", the estimators' option) says
    /// whether a NaN is refused or marks a missing coordinate, here and in every query:
    /// a point with missing coordinates gets the marginal density of its observed ones.
    #[pyo3(signature = (x, missing="refuse"))]
    fn score_samples<'py>(
        &self,
        py: Python<'py>,
        x: PyReadonlyArray2<'py, f64>,
        missing: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        let rows = arrays::rows(&x);
        let policy = guarded(|| missing_policy(missing))?;
        let v = py.detach(|| guarded(|| self.inner.score_samples(&rows, policy)))?;
        Ok(v.into_pyarray(py).into_any())
    }

    /// Responsibilities, N x K.
    #[pyo3(signature = (x, missing="refuse"))]
    fn predict_proba<'py>(
        &self,
        py: Python<'py>,
        x: PyReadonlyArray2<'py, f64>,
        missing: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        let rows = arrays::rows(&x);
        let k = self.inner.queries().n_components();
        let policy = guarded(|| missing_policy(missing))?;
        let p = py.detach(|| guarded(|| self.inner.predict_proba(&rows, policy)))?;
        let p =
            numpy::ndarray::Array2::from_shape_vec((rows.n, k), p).expect("N x K responsibilities");
        Ok(p.into_pyarray(py).into_any())
    }

    /// The most responsible component of every point.
    #[pyo3(signature = (x, missing="refuse"))]
    fn predict<'py>(
        &self,
        py: Python<'py>,
        x: PyReadonlyArray2<'py, f64>,
        missing: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        let rows = arrays::rows(&x);
        let policy = guarded(|| missing_policy(missing))?;
        let labels = py.detach(|| guarded(|| self.inner.predict(&rows, policy)))?;
        Ok(labels.into_pyarray(py).into_any())
    }

    /// `n` points drawn from the point estimate with seed `seed`, and their components.
    fn sample<'py>(&self, py: Python<'py>, n: usize, seed: u64) -> PyResult<Bound<'py, PyTuple>> {
        let (data, labels) =
            py.detach(|| guarded(|| self.inner.point_estimate().sample_seeded(n, seed)))?;
        let labels: Vec<i64> = labels.into_iter().map(|l| l as i64).collect();
        PyTuple::new(
            py,
            [
                arrays::array2(py, &data.to_matrix()),
                labels.into_pyarray(py).into_any(),
            ],
        )
    }

    /// Bayesian information criterion of the point estimate on `x`,
    /// `-2 N mean_log_likelihood + p ln N` (lower is better).
    #[pyo3(signature = (x, missing="refuse"))]
    fn bic(&self, py: Python<'_>, x: PyReadonlyArray2<'_, f64>, missing: &str) -> PyResult<f64> {
        let rows = arrays::rows(&x);
        let p = self.inner.point_estimate().n_parameters() as f64;
        let policy = guarded(|| missing_policy(missing))?;
        // GaussianMixture::bic's formula, with the score of the borrowed rows
        py.detach(|| {
            guarded(|| {
                let (score, n) = self.inner.point_score(&rows, policy)?;
                Ok(-2.0 * n * score + p * n.ln())
            })
        })
    }

    /// Integrated completed likelihood of the point estimate on `x`, mclust's with lower
    /// better: BIC - 2 sum_n ln max_k r_nk ([`GaussianMixture::icl`]).
    #[pyo3(signature = (x, missing="refuse"))]
    fn icl(&self, py: Python<'_>, x: PyReadonlyArray2<'_, f64>, missing: &str) -> PyResult<f64> {
        let rows = arrays::rows(&x);
        let policy = guarded(|| missing_policy(missing))?;
        py.detach(|| {
            guarded(|| {
                let data = arrays::dataset(&rows, None, policy)?;
                self.inner.point_estimate().icl(&data)
            })
        })
    }

    /// Akaike information criterion of the point estimate on `x`,
    /// `-2 N mean_log_likelihood + 2 p` (lower is better).
    #[pyo3(signature = (x, missing="refuse"))]
    fn aic(&self, py: Python<'_>, x: PyReadonlyArray2<'_, f64>, missing: &str) -> PyResult<f64> {
        let rows = arrays::rows(&x);
        let p = self.inner.point_estimate().n_parameters() as f64;
        let policy = guarded(|| missing_policy(missing))?;
        // GaussianMixture::aic's formula, with the score of the borrowed rows
        py.detach(|| {
            guarded(|| {
                let (score, n) = self.inner.point_score(&rows, policy)?;
                Ok(-2.0 * n * score + 2.0 * p)
            })
        })
    }

    /// Number of free parameters of the point estimate (what BIC and AIC count).
    fn n_parameters(&self) -> usize {
        self.inner.point_estimate().n_parameters()
    }

    /// The fitted attributes with scikit-learn's names, as a dict of arrays and numbers.
    fn params<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let out = PyDict::new(py);
        mixture_params(py, self.inner.point_estimate(), &out)?;
        if let Some(record) = self.inner.record() {
            record_params(py, record, &out)?;
        }
        if let Inner::Vb { model, .. } = &self.inner {
            posterior_params(py, model, &out)?;
        }
        Ok(out)
    }

    /// The model in gmm's JSON model format (what `gmm` on the command line reads).
    fn to_json(&self) -> String {
        self.model_file().to_json()
    }

    /// Reads a model from gmm's JSON model format (a VB file gives a VB model).
    #[staticmethod]
    fn from_json(text: &str) -> PyResult<Self> {
        guarded(|| Self::from_file(&ModelFile::from_json(text)?))
    }

    /// Writes the model file to `path` atomically.
    fn save(&self, py: Python<'_>, path: std::path::PathBuf) -> PyResult<()> {
        py.detach(|| guarded(|| self.model_file().save(&path)))
    }

    /// Reads the model file at `path`.
    #[staticmethod]
    fn load(py: Python<'_>, path: std::path::PathBuf) -> PyResult<Self> {
        py.detach(|| {
            guarded(|| {
                Self::from_file(&ModelFile::load(&path)?)
                    .map_err(|e| gmm_core::model_file::in_model_file(&path, e))
            })
        })
    }

    /// Pickles as the model file's JSON.
    fn __reduce__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        let from_json = py.get_type::<Model>().getattr("from_json")?;
        PyTuple::new(
            py,
            [from_json, PyTuple::new(py, [self.to_json()])?.into_any()],
        )
    }

    /// The map step: the sufficient statistics of the chunk `x` (with optional weights)
    /// under this model, with the sums the bound needs (`missing` as for the queries).
    #[pyo3(signature = (x, sample_weight=None, missing="refuse"))]
    fn e_step(
        &self,
        py: Python<'_>,
        x: PyReadonlyArray2<'_, f64>,
        sample_weight: Option<PyReadonlyArray1<'_, f64>>,
        missing: &str,
    ) -> PyResult<Statistics> {
        let rows = arrays::rows(&x);
        let weights = sample_weight.as_ref().map(arrays::weight_slice);
        let policy = guarded(|| missing_policy(missing))?;
        let stats = py.detach(|| {
            guarded(|| {
                let weights = weights.as_ref().map(|w| w.as_ref());
                self.inner.e_step(&rows, weights, policy)
            })
        })?;
        Ok(Statistics::new(stats))
    }
}
