//! scikit-learn's parameters turned into the library's requests, in one place: a
//! [`Settings`] holds the [`EmParams`] or [`VbParams`] an estimator's constructor arguments
//! make, and everything the Python face does goes through it to the library: the whole fit
//! ([`EmParams::fit_source`], [`VbParams::fit_source`]), the start of a step-wise fit
//! (`initial_model`, `first_model`, priors resolved from statistics) and its
//! [`Stepper`]. No loop, stopping rule, prior or first M-step is written here.

use gmm_core::{
    CovarianceType, Covariances, Dataset, EStepOutput, InitMethod, InitialResponsibilities,
    MissingPolicy, Passes, Result, SliceSource, data_statistics,
};
use gmm_em::{EmParams, GivenStart, MapParams, MapPrior};
use gmm_vb::{PriorSpec, VbParams, WeightPrior};
use numpy::{PyReadonlyArray1, PyReadonlyArray2, PyReadonlyArrayDyn};
use pyo3::prelude::*;

use crate::arrays::{self, Rows};
use crate::errors::{guarded, invalid};
use crate::model::{Inner, Model};
use crate::stats::Statistics;
use crate::stepper::{Run, Stepper};

/// scikit-learn's `covariance_type` names.
pub fn covariance_type(name: &str) -> Result<CovarianceType> {
    CovarianceType::ALL
        .into_iter()
        .find(|t| t.name() == name)
        .ok_or_else(|| {
            invalid(
                "covariance_type",
                name,
                "use 'full', 'tied', 'diag' or 'spherical'",
            )
        })
}

/// scikit-learn's `init_params` names.
pub(crate) fn init_method(name: &str) -> Result<InitMethod> {
    Ok(match name {
        "kmeans" => InitMethod::KMeans,
        "k-means++" => InitMethod::KMeansPlusPlus,
        "random" => InitMethod::Random,
        "random_from_data" => InitMethod::RandomFromData,
        other => {
            return Err(invalid(
                "init_params",
                other,
                "use 'kmeans', 'k-means++', 'random' or 'random_from_data'",
            ));
        }
    })
}

/// The estimators' `missing` names: "refuse" (a NaN is an error, the default) or
/// "marginalise" (a NaN marks a missing coordinate).
pub fn missing_policy(name: &str) -> Result<MissingPolicy> {
    match name {
        "refuse" => Ok(MissingPolicy::Refuse),
        "marginalise" => Ok(MissingPolicy::Marginalise),
        other => Err(invalid("missing", other, "use 'refuse' or 'marginalise'")),
    }
}

pub(crate) fn weight_prior(kind: &str, concentration: Option<f64>) -> Result<WeightPrior> {
    match kind {
        "dirichlet_process" => Ok(WeightPrior::DirichletProcess { concentration }),
        "dirichlet_distribution" => Ok(WeightPrior::DirichletDistribution { concentration }),
        other => Err(invalid(
            "weight_concentration_prior_type",
            other,
            "use 'dirichlet_process' or 'dirichlet_distribution'",
        )),
    }
}

/// What an estimator's parameters ask of the library.
// One value per estimator object, never in collections: the size difference costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum Request {
    /// Maximum-likelihood EM.
    Em(EmParams),
    /// Variational Bayes.
    Vb(VbParams),
    /// MAP-EM: EM's loop with the posterior mode as M-step, its prior resolved on the data
    /// (or on merged statistics) when a run starts.
    Map(MapParams),
}

/// The rows (and weights) as a data source borrowed without a copy.
fn borrowed<'a>(rows: &'a Rows<'_>, weights: Option<&'a [f64]>) -> Result<SliceSource<'a>> {
    let source = SliceSource::new(&rows.values, rows.d)?;
    match weights {
        Some(w) => source.with_weights(w),
        None => Ok(source),
    }
}

/// `values` (float32, row-major, `d` per point) and their weights as a source, borrowed.
fn borrowed_f32<'a>(
    values: &'a [f32],
    d: usize,
    weights: Option<&'a [f64]>,
) -> Result<SliceSource<'a>> {
    let source = SliceSource::from_f32(values, d)?;
    match weights {
        Some(w) => source.with_weights(w),
        None => Ok(source),
    }
}

fn soft_responsibilities(r: &PyReadonlyArray2<'_, f64>) -> InitialResponsibilities {
    InitialResponsibilities::Soft {
        resp: r.as_array().iter().copied().collect(),
        n_components: r.as_array().ncols(),
    }
}

impl Request {
    fn control(&self) -> &gmm_core::FitControl {
        match self {
            Self::Em(p) => p.control(),
            Self::Vb(p) => p.control(),
            Self::Map(p) => p.control(),
        }
    }

    /// MAP-EM's request as EM's under the prior resolved on `data`; others as they are.
    fn resolved_on(&self, data: &Dataset) -> Result<Self> {
        Ok(match self {
            Self::Map(p) => Self::Em(p.em_params(p.resolve_priors(data)?)),
            other => other.clone(),
        })
    }

    /// The whole fit of the rows: restarts from the initialisation (the rows read in place),
    /// or one run from given responsibilities.
    fn fit(
        &self,
        rows: &Rows<'_>,
        weights: Option<&[f64]>,
        resp: Option<&InitialResponsibilities>,
        policy: MissingPolicy,
    ) -> Result<Inner> {
        match resp {
            None => self.fit_source(&mut borrowed(rows, weights)?),
            Some(_) => {
                let data = arrays::dataset(rows, weights.map(<[f64]>::to_vec), policy)?;
                self.fit_data(&data, resp)
            }
        }
    }

    /// The whole fit of a data set in memory (one with missing coordinates, or one that
    /// given responsibilities name row by row): restarts from the initialisation, or one
    /// run from the responsibilities.
    fn fit_data(&self, data: &Dataset, resp: Option<&InitialResponsibilities>) -> Result<Inner> {
        Ok(match (self, resp) {
            (Self::Map(_), Some(_)) => return self.resolved_on(data)?.fit_data(data, resp),
            (_, None) => {
                let mut source = data;
                self.fit_source(&mut source)?
            }
            (Self::Em(p), Some(r)) => Inner::em_fit(p.fit_from(data, r)?),
            (Self::Vb(p), Some(r)) => Inner::vb_fit(p.fit_from(data, r)?),
        })
    }

    /// The whole fit (restarts from the initialisation) of the points of `source`.
    fn fit_source(&self, source: &mut dyn gmm_core::DataSource) -> Result<Inner> {
        Ok(match self {
            Self::Em(p) => Inner::em_fit(p.fit_source(source)?),
            Self::Vb(p) => Inner::vb_fit(p.fit_source(source)?),
            Self::Map(p) => Inner::em_fit(p.fit_source(source)?),
        })
    }

    /// Runs `run` to its end on the points of `source`: the library's loop.
    fn run_source(&self, run: Run, source: &mut dyn gmm_core::DataSource) -> Result<Inner> {
        Ok(match (self, run) {
            (Self::Em(p), Run::Em(s)) => Inner::em_fit(p.fit_stepper(source, s)?),
            (Self::Vb(p), Run::Vb(s)) => Inner::vb_fit(p.fit_stepper(source, s)?),
            (Self::Map(_), Run::Em(s)) => {
                let params = s.params().clone();
                Inner::em_fit(params.fit_stepper(source, s)?)
            }
            _ => return Err(invalid("stepper", "of the other estimator", "use its own")),
        })
    }

    /// The model the fit of the rows starts from (no iteration), from the initialisation or
    /// from given responsibilities; `max_iter = 0` (scikit-learn's "initialise only") is
    /// accepted here.
    fn initial_model(
        &self,
        data: &Dataset,
        resp: Option<&InitialResponsibilities>,
    ) -> Result<Inner> {
        let at_least_one = self.control().max_iter.max(1);
        let this = match self {
            Self::Map(p) => Self::Map(p.clone().max_iter(at_least_one)),
            other => other.clone(),
        };
        let this = match this.resolved_on(data)? {
            Self::Em(p) => Self::Em(p.clone().max_iter(at_least_one)),
            Self::Vb(p) => Self::Vb(p.clone().max_iter(at_least_one)),
            Self::Map(_) => unreachable!("resolved_on makes MAP-EM's request EM's"),
        };
        Ok(match (&this, resp) {
            (Self::Em(p), None) => em_inner(p, p.initial_model(data)?),
            (Self::Vb(p), None) => Inner::vb(p.initial_model(data)?),
            (Self::Em(p), Some(r)) => em_inner(p, p.initial_model_from(data, r)?),
            (Self::Vb(p), Some(r)) => Inner::vb(p.initial_model_from(data, r)?),
            (Self::Map(_), _) => unreachable!("resolved_on makes MAP-EM's request EM's"),
        })
    }

    /// A run from `model`, continuing its record when `continuing` and it has one.
    fn stepper(&self, model: &Inner, continuing: bool) -> Result<Run> {
        let previous = model.record().filter(|_| continuing);
        Ok(match (self, model) {
            (Self::Em(p), Inner::Em { mixture, .. }) => Run::Em(match previous {
                Some(r) => p.stepper_continuing(mixture.as_ref().clone(), r),
                None => p.stepper(mixture.as_ref().clone()),
            }),
            (Self::Vb(p), Inner::Vb { model, .. }) => Run::Vb(match previous {
                Some(r) => p.stepper_continuing(model, r)?,
                None => p.stepper(model)?,
            }),
            (
                Self::Map(p),
                Inner::Em {
                    mixture,
                    map_prior: Some(priors),
                    ..
                },
            ) => {
                let em = p.em_params(priors.as_ref().clone());
                Run::Em(match previous {
                    Some(r) => em.stepper_continuing(mixture.as_ref().clone(), r),
                    None => em.stepper(mixture.as_ref().clone()),
                })
            }
            _ => {
                return Err(invalid(
                    "model",
                    "of the other estimator",
                    "an EM model continues with GaussianMixture, a MAP-EM model with \
                     MAPGaussianMixture, a VB model with BayesianGaussianMixture",
                ));
            }
        })
    }
}

/// A MAP prior specification with no setting given.
fn no_settings() -> PriorSpec {
    PriorSpec {
        weight_prior: WeightPrior::DirichletDistribution {
            concentration: None,
        },
        ..PriorSpec::default()
    }
}

/// An EM start as the model the Python face holds (with MAP-EM's prior, if any).
fn em_inner(params: &EmParams, mixture: gmm_core::GaussianMixture) -> Inner {
    match params.map_priors() {
        Some(priors) => Inner::map(mixture, priors.clone()),
        None => Inner::em(mixture),
    }
}

/// Covariances from scikit-learn's `precisions_init` of the type's shape.
fn covariances_of_precisions(
    p: &PyReadonlyArrayDyn<'_, f64>,
    t: CovarianceType,
    k: usize,
    d: usize,
) -> Result<Covariances> {
    let a = p.as_array();
    let shape = a.shape().to_vec();
    let expected: Vec<usize> = match t {
        CovarianceType::Full => vec![k, d, d],
        CovarianceType::Tied => vec![d, d],
        CovarianceType::Diagonal => vec![k, d],
        CovarianceType::Spherical => vec![k],
    };
    if shape != expected {
        return Err(invalid(
            "precisions_init",
            format!("an array of shape {shape:?}"),
            format!(
                "The parameter 'precisions' should have the shape of {expected:?}, but got \
                 {shape:?}"
            ),
        ));
    }
    let values: Vec<f64> = a.iter().copied().collect();
    Covariances::from_precisions(t, k, d, &values).map_err(|e| match e {
        gmm_core::GmmError::NotPositiveDefinite { component, .. } => invalid(
            "precisions_init",
            format!("component {component}"),
            match t {
                CovarianceType::Full | CovarianceType::Tied => {
                    format!("'{t} precision' should be symmetric, positive-definite")
                }
                _ => format!("'{t} precision' should be positive"),
            },
        ),
        other => other,
    })
}

/// An estimator's parameters as the library's request (EM or VB), and what a NaN in its
/// data means.
#[pyclass(module = "gmm_rs._core", name = "Settings", frozen)]
pub struct Settings {
    /// The request.
    pub request: Request,
    /// The estimator's `missing`: whether a NaN is refused or marks a missing coordinate.
    pub missing: MissingPolicy,
}

#[pymethods]
impl Settings {
    /// `GaussianMixture`'s parameters (`random_state` already a seed).
    #[staticmethod]
    #[pyo3(signature = (n_components, covariance_type, tol, reg_covar, max_iter, n_init,
        init_params, seed, n_features, weights_init=None, means_init=None, precisions_init=None,
        missing="refuse"))]
    #[allow(clippy::too_many_arguments)]
    fn em(
        n_components: usize,
        covariance_type: &str,
        tol: f64,
        reg_covar: f64,
        max_iter: usize,
        n_init: usize,
        init_params: &str,
        seed: u64,
        n_features: usize,
        weights_init: Option<PyReadonlyArray1<'_, f64>>,
        means_init: Option<PyReadonlyArray2<'_, f64>>,
        precisions_init: Option<PyReadonlyArrayDyn<'_, f64>>,
        missing: &str,
    ) -> PyResult<Self> {
        guarded(|| {
            let t = self::covariance_type(covariance_type)?;
            let missing = missing_policy(missing)?;
            let given = GivenStart {
                weights: weights_init.as_ref().map(arrays::vector),
                means: means_init.as_ref().map(arrays::matrix),
                covariances: precisions_init
                    .as_ref()
                    .map(|p| covariances_of_precisions(p, t, n_components, n_features))
                    .transpose()?,
            };
            let params = EmParams::new(n_components)
                .covariance_type(t)
                .tol(tol)
                .reg_covar(reg_covar)
                .max_iter(max_iter)
                .n_init(n_init)
                .init(init_method(init_params)?)
                .seed(seed)
                .given_start(given);
            Ok(Self {
                request: Request::Em(params),
                missing,
            })
        })
    }

    /// `BayesianGaussianMixture`'s parameters (`covariance_prior` already D x D; `means_init`
    /// starts from those means: each point to its nearest, then the first M-step).
    #[staticmethod]
    #[pyo3(signature = (n_components, covariance_type, tol, reg_covar, max_iter, n_init,
        init_params, seed, weight_concentration_prior_type, weight_concentration_prior=None,
        mean_precision_prior=None, mean_prior=None, degrees_of_freedom_prior=None,
        covariance_prior=None, means_init=None, missing="refuse"))]
    #[allow(clippy::too_many_arguments)]
    fn vb(
        n_components: usize,
        covariance_type: &str,
        tol: f64,
        reg_covar: f64,
        max_iter: usize,
        n_init: usize,
        init_params: &str,
        seed: u64,
        weight_concentration_prior_type: &str,
        weight_concentration_prior: Option<f64>,
        mean_precision_prior: Option<f64>,
        mean_prior: Option<PyReadonlyArray1<'_, f64>>,
        degrees_of_freedom_prior: Option<f64>,
        covariance_prior: Option<PyReadonlyArray2<'_, f64>>,
        means_init: Option<PyReadonlyArray2<'_, f64>>,
        missing: &str,
    ) -> PyResult<Self> {
        guarded(|| {
            let missing = missing_policy(missing)?;
            let init = match &means_init {
                Some(m) => InitMethod::FromMeans(arrays::matrix(m)),
                None => init_method(init_params)?,
            };
            // The covariance type is checked before the weight prior's type, as always.
            let t = self::covariance_type(covariance_type)?;
            let priors = PriorSpec {
                weight_prior: weight_prior(
                    weight_concentration_prior_type,
                    weight_concentration_prior,
                )?,
                mean_precision: mean_precision_prior,
                mean: mean_prior.as_ref().map(arrays::vector),
                degrees_of_freedom: degrees_of_freedom_prior,
                covariance: covariance_prior.as_ref().map(arrays::matrix),
                reg_covar_rule: None,
            };
            let p = VbParams::new(n_components)
                .covariance_type(t)
                .tol(tol)
                .reg_covar(reg_covar)
                .max_iter(max_iter)
                .n_init(n_init)
                .init(init)
                .seed(seed)
                .prior_spec(priors);
            Ok(Self {
                request: Request::Vb(p),
                missing,
            })
        })
    }

    /// `MAPGaussianMixture`'s parameters (`covariance_prior` already D x D): MAP-EM under
    /// VB's conjugate prior (`prior = "conjugate"`, the prior settings given or left to
    /// their defaults, the weights' Dirichlet concentration 1 unless given) or mclust's
    /// default prior (`prior = "mclust"`, which takes no prior settings).
    #[staticmethod]
    #[pyo3(signature = (n_components, covariance_type, tol, max_iter, n_init, init_params,
        seed, n_features, prior, weight_concentration_prior=None, mean_precision_prior=None,
        mean_prior=None, degrees_of_freedom_prior=None, covariance_prior=None,
        weights_init=None, means_init=None, precisions_init=None, missing="refuse"))]
    #[allow(clippy::too_many_arguments)]
    fn map(
        n_components: usize,
        covariance_type: &str,
        tol: f64,
        max_iter: usize,
        n_init: usize,
        init_params: &str,
        seed: u64,
        n_features: usize,
        prior: &str,
        weight_concentration_prior: Option<f64>,
        mean_precision_prior: Option<f64>,
        mean_prior: Option<PyReadonlyArray1<'_, f64>>,
        degrees_of_freedom_prior: Option<f64>,
        covariance_prior: Option<PyReadonlyArray2<'_, f64>>,
        weights_init: Option<PyReadonlyArray1<'_, f64>>,
        means_init: Option<PyReadonlyArray2<'_, f64>>,
        precisions_init: Option<PyReadonlyArrayDyn<'_, f64>>,
        missing: &str,
    ) -> PyResult<Self> {
        guarded(|| {
            let t = self::covariance_type(covariance_type)?;
            let missing = missing_policy(missing)?;
            let spec = PriorSpec {
                weight_prior: WeightPrior::DirichletDistribution {
                    concentration: weight_concentration_prior,
                },
                mean_precision: mean_precision_prior,
                mean: mean_prior.as_ref().map(arrays::vector),
                degrees_of_freedom: degrees_of_freedom_prior,
                covariance: covariance_prior.as_ref().map(arrays::matrix),
                reg_covar_rule: None,
            };
            let prior = match prior {
                "conjugate" => MapPrior::Conjugate(spec),
                "mclust" if spec == no_settings() => MapPrior::Mclust,
                "mclust" => {
                    return Err(invalid(
                        "prior",
                        "mclust",
                        "mclust's default prior sets every prior setting itself: leave \
                         weight_concentration_prior, mean_precision_prior, mean_prior, \
                         degrees_of_freedom_prior and covariance_prior at None, or use \
                         prior='conjugate'",
                    ));
                }
                other => return Err(invalid("prior", other, "use 'conjugate' or 'mclust'")),
            };
            let given = GivenStart {
                weights: weights_init.as_ref().map(arrays::vector),
                means: means_init.as_ref().map(arrays::matrix),
                covariances: precisions_init
                    .as_ref()
                    .map(|p| covariances_of_precisions(p, t, n_components, n_features))
                    .transpose()?,
            };
            let params = MapParams::new(n_components)
                .covariance_type(t)
                .tol(tol)
                .max_iter(max_iter)
                .n_init(n_init)
                .init(init_method(init_params)?)
                .seed(seed)
                .prior(prior)
                .given_start(given);
            Ok(Self {
                request: Request::Map(params),
                missing,
            })
        })
    }

    /// The whole fit of `x` (restarts), or one run from the responsibilities `resp`. A
    /// float32 `x` is read in place (no copy) and fitted with the E-step in f32 lanes (the
    /// library falls back to f64 lanes where the model is too ill-conditioned for f32);
    /// with `resp` it is widened to f64. Under `missing="marginalise"`, an `x` with a NaN
    /// is copied into a data set that marks its missing coordinates (float32 widened).
    #[pyo3(signature = (x, sample_weight=None, resp=None))]
    fn fit(
        &self,
        py: Python<'_>,
        x: &Bound<'_, PyAny>,
        sample_weight: Option<PyReadonlyArray1<'_, f64>>,
        resp: Option<PyReadonlyArray2<'_, f64>>,
    ) -> PyResult<Model> {
        let weights = sample_weight.as_ref().map(arrays::weight_slice);
        let resp = resp.as_ref().map(soft_responsibilities);
        let inner = match arrays::single_precision(x)? {
            Some(x) if resp.is_none() => {
                let values = arrays::values_f32(&x);
                let d = x.as_array().ncols();
                py.detach(|| {
                    guarded(|| {
                        let w = weights.as_deref();
                        match arrays::with_missing(&values, d, w, self.missing)? {
                            Some(data) => self.request.fit_data(&data, None),
                            None => self.request.fit_source(&mut borrowed_f32(&values, d, w)?),
                        }
                    })
                })?
            }
            _ => {
                let x = arrays::double_precision(x)?;
                let rows = arrays::rows(&x);
                py.detach(|| {
                    guarded(|| {
                        let w = weights.as_deref();
                        match arrays::with_missing(&rows.values, rows.d, w, self.missing)? {
                            Some(data) => self.request.fit_data(&data, resp.as_ref()),
                            None => self.request.fit(&rows, w, resp.as_ref(), self.missing),
                        }
                    })
                })?
            }
        };
        Ok(Model::new(inner))
    }

    /// A run of these settings from the start on `x` (the initialisation's first model, or
    /// one M-step on the responsibilities `resp`), not yet stepped.
    #[pyo3(signature = (x, sample_weight=None, resp=None))]
    fn start(
        &self,
        py: Python<'_>,
        x: PyReadonlyArray2<'_, f64>,
        sample_weight: Option<PyReadonlyArray1<'_, f64>>,
        resp: Option<PyReadonlyArray2<'_, f64>>,
    ) -> PyResult<Stepper> {
        let rows = arrays::rows(&x);
        let weights = arrays::weights(sample_weight.as_ref());
        let resp = resp.as_ref().map(soft_responsibilities);
        let run = py.detach(|| {
            guarded(|| {
                let data = arrays::dataset(&rows, weights, self.missing)?;
                let start = self.request.initial_model(&data, resp.as_ref())?;
                self.request.stepper(&start, false)
            })
        })?;
        Ok(Stepper::new(run))
    }

    /// A run of these settings from `model`; `continuing`: its record's bounds are the
    /// history the stopping rule looks back into (scikit-learn's `warm_start`).
    #[pyo3(signature = (model, continuing=false))]
    fn stepper(&self, model: &Model, continuing: bool) -> PyResult<Stepper> {
        guarded(|| self.request.stepper(&model.inner, continuing)).map(Stepper::new)
    }

    /// Runs `stepper` to its end on `x` (one E-step pass per step): the library's loop. A
    /// float32 `x` is read in place, and an `x` with missing values copied, as by `fit`.
    #[pyo3(signature = (stepper, x, sample_weight=None))]
    fn run(
        &self,
        py: Python<'_>,
        stepper: &Stepper,
        x: &Bound<'_, PyAny>,
        sample_weight: Option<PyReadonlyArray1<'_, f64>>,
    ) -> PyResult<Model> {
        let weights = sample_weight.as_ref().map(arrays::weight_slice);
        let run = stepper.take()?;
        let inner = match arrays::single_precision(x)? {
            Some(x) => {
                let values = arrays::values_f32(&x);
                let d = x.as_array().ncols();
                py.detach(|| {
                    guarded(|| {
                        let w = weights.as_deref();
                        match arrays::with_missing(&values, d, w, self.missing)? {
                            Some(data) => self.request.run_source(run, &mut &data),
                            None => self
                                .request
                                .run_source(run, &mut borrowed_f32(&values, d, w)?),
                        }
                    })
                })?
            }
            None => {
                let x = arrays::double_precision(x)?;
                let rows = arrays::rows(&x);
                py.detach(|| {
                    guarded(|| {
                        let w = weights.as_deref();
                        match arrays::with_missing(&rows.values, rows.d, w, self.missing)? {
                            Some(data) => self.request.run_source(run, &mut &data),
                            None => self.request.run_source(run, &mut borrowed(&rows, w)?),
                        }
                    })
                })?
            }
        };
        Ok(Model::new(inner))
    }

    /// A run from statistics merged over every chunk: `moments` (VB: the priors, resolved
    /// once from them) and `initial` (the first M-step's statistics); EM with all three of
    /// `weights_init`, `means_init`, `precisions_init` needs neither.
    #[pyo3(signature = (moments=None, initial=None))]
    fn start_from_statistics(
        &self,
        moments: Option<&Statistics>,
        initial: Option<&Statistics>,
    ) -> PyResult<Stepper> {
        guarded(|| {
            let need = |s: Option<&Statistics>, what: &str| {
                s.map(|s| s.inner.stats.clone()).ok_or_else(|| {
                    invalid(
                        "statistics",
                        "missing",
                        format!("give the {what} statistics"),
                    )
                })
            };
            let model = match &self.request {
                Request::Em(p) => match p.given_start_parts().clone() {
                    GivenStart {
                        weights: Some(w),
                        means: Some(m),
                        covariances: Some(c),
                    } => Inner::em(gmm_core::GaussianMixture::new(w, m, c)?),
                    _ => Inner::em(p.first_model(&need(initial, "initial")?)?),
                },
                Request::Vb(p) => {
                    let priors = p.priors_from_statistics(&need(moments, "moments")?)?;
                    Inner::vb(p.first_model(&need(initial, "initial")?, &priors)?)
                }
                Request::Map(p) => {
                    let em = p.em_params(p.priors_from_statistics(&need(moments, "moments")?)?);
                    let start = match em.given_start_parts().complete_mixture()? {
                        Some(gm) => gm,
                        None => em.first_model(&need(initial, "initial")?)?,
                    };
                    em_inner(&em, start)
                }
            };
            self.request.stepper(&model, false)
        })
        .map(Stepper::new)
    }

    /// These settings with VB's priors resolved from `moments` (the whole data's, merged
    /// over every chunk): a fit on a sample then starts under the whole data's priors.
    fn with_priors_from(&self, moments: &Statistics) -> PyResult<Settings> {
        guarded(|| match &self.request {
            Request::Vb(p) => {
                let priors = p.priors_from_statistics(&moments.inner.stats)?;
                Ok(Settings {
                    request: Request::Vb(p.clone().resolved_priors(priors)),
                    missing: self.missing,
                })
            }
            Request::Map(p) => {
                let priors = p.priors_from_statistics(&moments.inner.stats)?;
                Ok(Settings {
                    request: Request::Em(p.em_params(priors)),
                    missing: self.missing,
                })
            }
            Request::Em(_) => Ok(Settings {
                request: self.request.clone(),
                missing: self.missing,
            }),
        })
    }

    /// These settings with `n_init` restarts and without a given start (for a start on a
    /// sample that keeps the estimator's own settings).
    fn with_n_init(&self, n_init: usize) -> Settings {
        let request = match &self.request {
            Request::Em(p) => Request::Em(p.clone().n_init(n_init)),
            Request::Vb(p) => Request::Vb(p.clone().n_init(n_init)),
            Request::Map(p) => Request::Map(p.clone().n_init(n_init)),
        };
        Settings {
            request,
            missing: self.missing,
        }
    }
}

/// Statistics without the E-step's sums (a start's or the data's).
fn statistics_only(stats: gmm_core::SufficientStats) -> EStepOutput {
    let total = stats.n_k().iter().sum();
    EStepOutput {
        stats,
        log_norm_sum: 0.0,
        resp_log_resp_sum: 0.0,
        missing_entropy_sum: 0.0,
        n_samples: 0,
        total_weight: total,
        lanes: gmm_core::Precision::F64,
    }
}

/// The statistics `compute` gives on the chunk `x` (with its weights), read in place.
fn chunk_statistics(
    py: Python<'_>,
    x: PyReadonlyArray2<'_, f64>,
    sample_weight: Option<PyReadonlyArray1<'_, f64>>,
    covariance_type: &str,
    compute: impl FnOnce(&mut Passes<'_>, gmm_core::ScatterKind) -> Result<gmm_core::SufficientStats>
    + Send,
) -> PyResult<Statistics> {
    let rows = arrays::rows(&x);
    let weights = sample_weight.as_ref().map(arrays::weight_slice);
    let kind = guarded(|| self::covariance_type(covariance_type))?.scatter_kind();
    let out = py.detach(|| {
        guarded(|| {
            let mut source = borrowed(&rows, weights.as_deref())?;
            Ok(statistics_only(compute(
                &mut Passes::new(&mut source),
                kind,
            )?))
        })
    })?;
    Ok(Statistics::new(out))
}

/// The statistics of the chunk `x` with every point in one component (the data's weighted
/// mean and scatter, kept full or diagonal as `covariance_type` needs): what VB's default
/// priors come from. Merged over every chunk, they go to `Settings.start_from_statistics`
/// or `Settings.with_priors_from`.
#[pyfunction]
#[pyo3(signature = (x, sample_weight, covariance_type))]
pub fn moments(
    py: Python<'_>,
    x: PyReadonlyArray2<'_, f64>,
    sample_weight: Option<PyReadonlyArray1<'_, f64>>,
    covariance_type: &str,
) -> PyResult<Statistics> {
    chunk_statistics(py, x, sample_weight, covariance_type, data_statistics)
}

/// The initial statistics of the chunk `x` for a start from the K x D `means` (each point
/// to its nearest mean): merged over every chunk, the start of the whole data, for
/// `Settings.start_from_statistics`.
#[pyfunction]
#[pyo3(signature = (x, sample_weight, means, covariance_type))]
pub fn nearest_mean_statistics(
    py: Python<'_>,
    x: PyReadonlyArray2<'_, f64>,
    sample_weight: Option<PyReadonlyArray1<'_, f64>>,
    means: PyReadonlyArray2<'_, f64>,
    covariance_type: &str,
) -> PyResult<Statistics> {
    let means = arrays::matrix(&means);
    chunk_statistics(py, x, sample_weight, covariance_type, |passes, kind| {
        gmm_core::nearest_mean_statistics(passes, &means, kind)
    })
}
