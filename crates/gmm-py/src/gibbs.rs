//! `gmm_rs._core.GibbsModel`: a Gibbs fit (the library's `GibbsParams::fit`) or a Gibbs
//! model file, its queries (the posterior predictive of the kept draws, as `gmm score`),
//! its draws as arrays, its diagnostics and summary warnings, and its model file.

use gmm_core::{Covariances, Dataset, FittedModel, MissingPolicy, MixtureModel, ModelFile, Result};
use gmm_gibbs::{Diagnostics, Draw, GibbsFit, GibbsParams, SummaryWarning};
use gmm_vb::{LoadedModel, ModelKind, PriorSpec};
use numpy::ndarray::{ArrayD, IxDyn};
use numpy::{IntoPyArray, PyReadonlyArray1, PyReadonlyArray2};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};

use crate::arrays;
use crate::errors::{guarded, invalid};
use crate::params::mixture_params;
use crate::settings::{covariance_type, init_method, weight_prior};

/// Every relabelled draw of a fit, flattened chain by chain, draw by draw.
struct DrawArrays {
    chains: usize,
    per_chain: usize,
    /// The shape of one draw's covariances in scikit-learn's form.
    covariance_shape: Vec<usize>,
    log_likelihood: Vec<f64>,
    weights: Vec<f64>,
    means: Vec<f64>,
    covariances: Vec<f64>,
}

/// A draw's covariances in scikit-learn's layout: full (K, D, D), tied (D, D), diag (K, D),
/// spherical (K,), row-major.
fn flat_covariances(c: &Covariances, out: &mut Vec<f64>) {
    let matrix = |m: &gmm_core::nalgebra::DMatrix<f64>, out: &mut Vec<f64>| {
        out.extend((0..m.nrows()).flat_map(|i| (0..m.ncols()).map(move |j| m[(i, j)])))
    };
    match c {
        Covariances::Full(ms) => ms.iter().for_each(|m| matrix(m, out)),
        Covariances::Tied(m) => matrix(m, out),
        Covariances::Diagonal(vs) => vs.iter().for_each(|v| out.extend(v.iter())),
        Covariances::Spherical(v) => out.extend(v),
    }
}

impl DrawArrays {
    fn of(draws: &[Vec<Draw>]) -> Self {
        let first = &draws[0][0];
        let (k, d) = (first.n_components(), first.n_features());
        let covariance_shape = match first.covariances() {
            Covariances::Full(_) => vec![k, d, d],
            Covariances::Tied(_) => vec![d, d],
            Covariances::Diagonal(_) => vec![k, d],
            Covariances::Spherical(_) => vec![k],
        };
        let mut out = Self {
            chains: draws.len(),
            per_chain: draws[0].len(),
            covariance_shape,
            log_likelihood: Vec::new(),
            weights: Vec::new(),
            means: Vec::new(),
            covariances: Vec::new(),
        };
        for draw in draws.iter().flatten() {
            out.log_likelihood.push(draw.log_likelihood());
            out.weights.extend(draw.weights().iter());
            out.means.extend(draw.means().transpose().iter());
            flat_covariances(draw.covariances(), &mut out.covariances);
        }
        out
    }

    /// An array of shape (chains, draws per chain, *tail) of `values`.
    fn array<'py>(
        &self,
        py: Python<'py>,
        tail: &[usize],
        values: &[f64],
    ) -> PyResult<Bound<'py, PyAny>> {
        let mut shape = vec![self.chains, self.per_chain];
        shape.extend_from_slice(tail);
        let a = ArrayD::from_shape_vec(IxDyn(&shape), values.to_vec())
            .map_err(|e| pyo3::exceptions::PyRuntimeError::new_err(e.to_string()))?;
        Ok(a.into_pyarray(py).into_any())
    }
}

/// A Gibbs fit, or a Gibbs model file read back: it answers with the posterior predictive
/// of its kept draws (the posterior-mean mixture for a file without draws).
#[pyclass(module = "gmm_rs._core", name = "GibbsModel", frozen)]
pub struct GibbsModel {
    model: LoadedModel,
    file: ModelFile,
    draws: Option<DrawArrays>,
    diagnostics: Option<Diagnostics>,
    warnings: Vec<SummaryWarning>,
}

impl GibbsModel {
    fn of_fit(fit: &GibbsFit) -> Result<Self> {
        let file = fit.to_model_file();
        Ok(Self {
            model: LoadedModel::from_model_file(&file)?,
            draws: Some(DrawArrays::of(fit.draws())),
            diagnostics: Some(fit.diagnostics().clone()),
            warnings: fit.summary_warnings().to_vec(),
            file,
        })
    }

    fn of_file(file: ModelFile) -> Result<Self> {
        let model = LoadedModel::from_model_file(&file)?;
        if !matches!(
            model.kind(),
            ModelKind::GibbsDraws { .. } | ModelKind::GibbsPosteriorMean(_)
        ) {
            return Err(invalid(
                "model file",
                "not a Gibbs fit's",
                "load an EM or VB model file with GaussianMixture.load or \
                 BayesianGaussianMixture.load",
            ));
        }
        let gibbs = file.gibbs.as_ref();
        let field = |name: &str| gibbs.and_then(|g| g.get(name)).cloned();
        Ok(Self {
            diagnostics: field("diagnostics").and_then(|v| serde_json::from_value(v).ok()),
            warnings: field("summary_warnings")
                .and_then(|v| serde_json::from_value(v).ok())
                .unwrap_or_default(),
            draws: None,
            model,
            file,
        })
    }

    fn data(&self, rows: &arrays::Rows<'_>) -> Result<Dataset> {
        let data = arrays::dataset(rows, None, MissingPolicy::Refuse)?;
        data.check_features(self.model.n_features())?;
        Ok(data)
    }
}

/// The sampler's settings from the estimator's parameters.
#[allow(clippy::too_many_arguments)]
fn gibbs_params(
    n_components: usize,
    covariance: &str,
    n_draws: usize,
    burn_in: usize,
    n_chains: usize,
    predictive_draws: usize,
    init_params: &str,
    seed: u64,
    priors: PriorSpec,
) -> Result<GibbsParams> {
    Ok(GibbsParams::new(n_components)
        .covariance_type(covariance_type(covariance)?)
        .prior_spec(priors)
        .draws(n_draws)
        .burn_in(burn_in)
        .chains(n_chains)
        .predictive_draws(predictive_draws)
        .init(init_method(init_params)?)
        .seed(seed))
}

#[pymethods]
impl GibbsModel {
    /// Runs the sampler on `x` (N x D): `n_chains` chains of `burn_in` + `n_draws` sweeps,
    /// `predictive_draws` draws kept for the predictive; VB's priors (scikit-learn's
    /// `BayesianGaussianMixture` names; `covariance_prior` already D x D).
    #[staticmethod]
    #[pyo3(signature = (x, n_components, covariance_type, n_draws, burn_in, n_chains,
        predictive_draws, init_params, seed, weight_concentration_prior_type,
        weight_concentration_prior=None, mean_precision_prior=None, mean_prior=None,
        degrees_of_freedom_prior=None, covariance_prior=None))]
    #[allow(clippy::too_many_arguments)]
    fn fit(
        py: Python<'_>,
        x: PyReadonlyArray2<'_, f64>,
        n_components: usize,
        covariance_type: &str,
        n_draws: usize,
        burn_in: usize,
        n_chains: usize,
        predictive_draws: usize,
        init_params: &str,
        seed: u64,
        weight_concentration_prior_type: &str,
        weight_concentration_prior: Option<f64>,
        mean_precision_prior: Option<f64>,
        mean_prior: Option<PyReadonlyArray1<'_, f64>>,
        degrees_of_freedom_prior: Option<f64>,
        covariance_prior: Option<PyReadonlyArray2<'_, f64>>,
    ) -> PyResult<Self> {
        let priors = guarded(|| {
            Ok(PriorSpec {
                weight_prior: weight_prior(
                    weight_concentration_prior_type,
                    weight_concentration_prior,
                )?,
                mean_precision: mean_precision_prior,
                mean: mean_prior.as_ref().map(arrays::vector),
                degrees_of_freedom: degrees_of_freedom_prior,
                covariance: covariance_prior.as_ref().map(arrays::matrix),
                reg_covar_rule: None,
            })
        })?;
        let params = guarded(|| {
            gibbs_params(
                n_components,
                covariance_type,
                n_draws,
                burn_in,
                n_chains,
                predictive_draws,
                init_params,
                seed,
                priors,
            )
        })?;
        let rows = arrays::rows(&x);
        py.detach(|| {
            guarded(|| {
                Self::of_fit(&params.fit(&arrays::dataset(&rows, None, MissingPolicy::Refuse)?)?)
            })
        })
    }

    /// Log posterior predictive density of every point.
    fn score_samples<'py>(
        &self,
        py: Python<'py>,
        x: PyReadonlyArray2<'py, f64>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let rows = arrays::rows(&x);
        let v = py.detach(|| guarded(|| self.model.score_samples(&self.data(&rows)?)))?;
        Ok(v.into_pyarray(py).into_any())
    }

    /// Predictive responsibilities, N x K.
    fn predict_proba<'py>(
        &self,
        py: Python<'py>,
        x: PyReadonlyArray2<'py, f64>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let rows = arrays::rows(&x);
        let p = py.detach(|| guarded(|| self.model.predict_proba(&self.data(&rows)?)))?;
        Ok(arrays::array2(py, &p))
    }

    /// The component of largest predictive responsibility of every point.
    fn predict<'py>(
        &self,
        py: Python<'py>,
        x: PyReadonlyArray2<'py, f64>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let rows = arrays::rows(&x);
        let labels = py.detach(|| guarded(|| self.model.predict(&self.data(&rows)?)))?;
        let labels: Vec<i64> = labels.into_iter().map(|l| l as i64).collect();
        Ok(labels.into_pyarray(py).into_any())
    }

    /// `n` points from the posterior predictive (the posterior-mean mixture for a file
    /// without draws) and their components, as `(X, labels)`.
    fn sample<'py>(&self, py: Python<'py>, n: usize, seed: u64) -> PyResult<Bound<'py, PyTuple>> {
        let (data, labels) = py.detach(|| {
            guarded(|| match self.model.kind() {
                ModelKind::GibbsDraws { draws, .. } => draws.sample_seeded(n, seed),
                ModelKind::GibbsPosteriorMean(m) => m.sample_seeded(n, seed),
                _ => Err(invalid(
                    "model",
                    "not a Gibbs model",
                    "fit or load a Gibbs model",
                )),
            })
        })?;
        let labels: Vec<i64> = labels.into_iter().map(|l| l as i64).collect();
        PyTuple::new(
            py,
            [
                arrays::array2(py, &data.to_matrix()),
                labels.into_pyarray(py).into_any(),
            ],
        )
    }

    /// Number of components K.
    #[getter]
    fn n_components(&self) -> usize {
        self.model.n_components()
    }

    /// Dimension D.
    #[getter]
    fn n_features(&self) -> usize {
        self.model.n_features()
    }

    /// The covariance type ("full", "tied", "diag", "spherical").
    #[getter]
    fn covariance_type(&self) -> &'static str {
        self.file.covariance_type.name()
    }

    /// Number of draws the predictive averages over (0: the posterior-mean mixture).
    #[getter]
    fn n_predictive_draws(&self) -> usize {
        match self.model.kind() {
            ModelKind::GibbsDraws { draws, .. } => draws.len(),
            _ => 0,
        }
    }

    /// The posterior means (`weights_`, `means_`, `covariances_`, precisions) as a dict.
    fn posterior_means<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let out = PyDict::new(py);
        let mixture = guarded(|| self.file.to_mixture())?;
        mixture_params(py, &mixture, &out)?;
        Ok(out)
    }

    /// Every relabelled draw of the fit as arrays: `log_likelihood` (C, S), `weights`
    /// (C, S, K), `means` (C, S, K, D), `covariances` (C, S, *the type's shape*); `None` for
    /// a model read from a file (which keeps only the predictive's draws).
    fn draws<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyDict>>> {
        let Some(d) = &self.draws else {
            return Ok(None);
        };
        let (k, dim) = (self.model.n_components(), self.model.n_features());
        let out = PyDict::new(py);
        out.set_item("log_likelihood", d.array(py, &[], &d.log_likelihood)?)?;
        out.set_item("weights", d.array(py, &[k], &d.weights)?)?;
        out.set_item("means", d.array(py, &[k, dim], &d.means)?)?;
        out.set_item(
            "covariances",
            d.array(py, &d.covariance_shape, &d.covariances)?,
        )?;
        Ok(Some(out))
    }

    /// The convergence diagnostics as JSON (`max_rhat`, `min_bulk_ess`, `rhat_exceeded`,
    /// `quantities`: name, rhat, bulk_ess), or `None` when the file had none.
    fn diagnostics_json(&self) -> Option<String> {
        self.diagnostics
            .as_ref()
            .and_then(|d| serde_json::to_string(d).ok())
    }

    /// The summary warnings as JSON (component, kind, share, message).
    fn summary_warnings_json(&self) -> String {
        serde_json::to_string(&self.warnings).unwrap_or_else(|_| "[]".into())
    }

    /// The model file's JSON, with `names` as its feature names when given.
    #[pyo3(signature = (names=None))]
    fn to_json(&self, names: Option<Vec<String>>) -> PyResult<String> {
        guarded(|| Ok(self.file.clone().with_feature_names(names)?.to_json()))
    }

    /// Writes the model file to `path` atomically, with `names` as its feature names.
    #[pyo3(signature = (path, names=None))]
    fn save(
        &self,
        py: Python<'_>,
        path: std::path::PathBuf,
        names: Option<Vec<String>>,
    ) -> PyResult<()> {
        py.detach(|| guarded(|| self.file.clone().with_feature_names(names)?.save(&path)))
    }

    /// The feature names the file recorded, if any.
    #[getter]
    fn feature_names(&self) -> Option<Vec<String>> {
        self.model.feature_names().map(<[String]>::to_vec)
    }

    /// Reads a Gibbs model file.
    #[staticmethod]
    fn load(py: Python<'_>, path: std::path::PathBuf) -> PyResult<Self> {
        py.detach(|| {
            guarded(|| {
                Self::of_file(ModelFile::load(&path)?)
                    .map_err(|e| gmm_core::model_file::in_model_file(&path, e))
            })
        })
    }

    /// Reads a Gibbs model file's JSON.
    #[staticmethod]
    fn from_json(text: &str) -> PyResult<Self> {
        guarded(|| Self::of_file(ModelFile::from_json(text)?))
    }
}
