//! The fits behind `GaussianMixture.fit` and `BayesianGaussianMixture.fit`: scikit-learn's
//! parameters mapped onto [`EmParams`] and [`VbParams`], and the initial model of the
//! map-reduce step.

use gmm_core::{
    CovarianceType, Covariances, Dataset, FittedModel, GaussianMixture, GmmError, InitMethod,
    InitialResponsibilities, Result, SliceSource,
};
use gmm_em::EmParams;
use gmm_vb::{VbModel, VbParams, WeightPrior};
use nalgebra::{DMatrix, DVector};
use numpy::{PyReadonlyArray1, PyReadonlyArray2, PyReadonlyArrayDyn};
use pyo3::prelude::*;

use crate::arrays::{self, Rows};
use crate::errors::guarded;
use crate::model::{Inner, Model};

fn invalid(name: &'static str, value: impl ToString, reason: impl Into<String>) -> GmmError {
    GmmError::InvalidParameter {
        name,
        value: value.to_string(),
        reason: reason.into(),
    }
}

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
fn init_method(name: &str) -> Result<InitMethod> {
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

/// The settings both estimators share, as scikit-learn names them.
pub struct Common {
    n_components: usize,
    covariance_type: CovarianceType,
    tol: f64,
    reg_covar: f64,
    max_iter: usize,
    n_init: usize,
    init: InitMethod,
    seed: u64,
}

impl Common {
    fn apply_em(&self) -> EmParams {
        EmParams::new(self.n_components)
            .covariance_type(self.covariance_type)
            .tol(self.tol)
            .reg_covar(self.reg_covar)
            .max_iter(self.max_iter)
            .n_init(self.n_init)
            .init(self.init.clone())
            .seed(self.seed)
    }

    fn apply_vb(&self) -> VbParams {
        VbParams::new(self.n_components)
            .covariance_type(self.covariance_type)
            .tol(self.tol)
            .reg_covar(self.reg_covar)
            .max_iter(self.max_iter)
            .n_init(self.n_init)
            .init(self.init.clone())
            .seed(self.seed)
    }
}

/// The rows (and weights) as a data source borrowed without a copy.
fn borrowed<'a>(rows: &'a Rows<'_>, weights: Option<&'a [f64]>) -> Result<SliceSource<'a>> {
    let source = SliceSource::new(&rows.values, rows.d)?;
    match weights {
        Some(w) => source.with_weights(w),
        None => Ok(source),
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
            format!("{t} precisions need shape {expected:?}"),
        ));
    }
    let not_spd = |c: usize| {
        invalid(
            "precisions_init",
            format!("component {c}"),
            "every precision must be symmetric positive definite (positive for diag and spherical)",
        )
    };
    let inverse = |c: usize, m: DMatrix<f64>| -> Result<DMatrix<f64>> {
        let m = (&m + m.transpose()) * 0.5;
        nalgebra::Cholesky::new(m)
            .map(|ch| ch.inverse())
            .ok_or_else(|| not_spd(c))
    };
    let values: Vec<f64> = a.iter().copied().collect();
    if values.iter().any(|v| !v.is_finite()) {
        return Err(invalid(
            "precisions_init",
            "a non-finite value",
            "give finite precisions",
        ));
    }
    let positive = |c: usize, v: f64| {
        if v > 0.0 {
            Ok(1.0 / v)
        } else {
            Err(not_spd(c))
        }
    };
    Ok(match t {
        CovarianceType::Full => Covariances::Full(
            (0..k)
                .map(|c| {
                    inverse(
                        c,
                        DMatrix::from_row_slice(d, d, &values[c * d * d..(c + 1) * d * d]),
                    )
                })
                .collect::<Result<_>>()?,
        ),
        CovarianceType::Tied => {
            Covariances::Tied(inverse(0, DMatrix::from_row_slice(d, d, &values))?)
        }
        CovarianceType::Diagonal => Covariances::Diagonal(
            (0..k)
                .map(|c| {
                    let v = values[c * d..(c + 1) * d]
                        .iter()
                        .map(|&x| positive(c, x))
                        .collect::<Result<Vec<_>>>()?;
                    Ok(DVector::from_vec(v))
                })
                .collect::<Result<_>>()?,
        ),
        CovarianceType::Spherical => Covariances::Spherical(
            values
                .iter()
                .enumerate()
                .map(|(c, &x)| positive(c, x))
                .collect::<Result<_>>()?,
        ),
    })
}

/// scikit-learn's `weights_init`, `means_init` and `precisions_init`.
pub struct EmInit {
    weights: Option<DVector<f64>>,
    means: Option<DMatrix<f64>>,
    covariances: Option<Covariances>,
}

impl EmInit {
    fn any(&self) -> bool {
        self.weights.is_some() || self.means.is_some() || self.covariances.is_some()
    }

    /// scikit-learn's start: when all three are given, that model; when some are, one M-step
    /// on the responsibilities of the initialisation method (seed `seed`) with the given
    /// parts replacing its own.
    fn start(&self, params: &EmParams, c: &Common, data: &Dataset) -> Result<GaussianMixture> {
        if let (Some(w), Some(m), Some(cov)) = (&self.weights, &self.means, &self.covariances) {
            return GaussianMixture::new(w.clone(), m.clone(), cov.clone());
        }
        params.check(data)?;
        let init = params.control().initial_responsibilities(data, 0)?;
        let stats = init.sufficient_stats(data, c.covariance_type.scatter_kind());
        let mut p = gmm_em::m_step_parameters(&stats, c.covariance_type, c.reg_covar)?;
        if let Some(w) = &self.weights {
            p.weights = w.clone();
        }
        if let Some(m) = &self.means {
            p.means = m.clone();
        }
        if let Some(cov) = &self.covariances {
            p.covariances = cov.clone();
        }
        GaussianMixture::new(p.weights, p.means, p.covariances)
    }
}

fn check_init_shapes(init: &EmInit, k: usize, d: usize) -> Result<()> {
    if let Some(w) = &init.weights
        && w.len() != k
    {
        return Err(GmmError::ShapeMismatch {
            what: "length of weights_init against n_components".into(),
            expected: k,
            found: w.len(),
        });
    }
    if let Some(m) = &init.means
        && m.shape() != (k, d)
    {
        return Err(invalid(
            "means_init",
            format!("an array of shape ({}, {})", m.nrows(), m.ncols()),
            format!("give n_components x n_features = ({k}, {d}) means"),
        ));
    }
    Ok(())
}

/// Fits EM with scikit-learn's `GaussianMixture` parameters.
#[pyfunction]
#[pyo3(signature = (x, sample_weight, n_components, covariance_type, tol, reg_covar, max_iter,
    n_init, init_params, seed, weights_init=None, means_init=None, precisions_init=None,
    warm_start=None, resp_init=None, iterate=true))]
#[allow(clippy::too_many_arguments)]
pub fn fit_em(
    py: Python<'_>,
    x: PyReadonlyArray2<'_, f64>,
    sample_weight: Option<PyReadonlyArray1<'_, f64>>,
    n_components: usize,
    covariance_type: &str,
    tol: f64,
    reg_covar: f64,
    max_iter: usize,
    n_init: usize,
    init_params: &str,
    seed: u64,
    weights_init: Option<PyReadonlyArray1<'_, f64>>,
    means_init: Option<PyReadonlyArray2<'_, f64>>,
    precisions_init: Option<PyReadonlyArrayDyn<'_, f64>>,
    warm_start: Option<PyRef<'_, Model>>,
    resp_init: Option<PyReadonlyArray2<'_, f64>>,
    iterate: bool,
) -> PyResult<Model> {
    let rows = arrays::rows(&x);
    let weights = arrays::weights(sample_weight.as_ref());
    let (common, init) = guarded(|| {
        let t = self::covariance_type(covariance_type)?;
        let common = Common {
            n_components,
            covariance_type: t,
            tol,
            reg_covar,
            max_iter,
            n_init,
            init: init_method(init_params)?,
            seed,
        };
        let init = EmInit {
            weights: weights_init.as_ref().map(arrays::vector),
            means: means_init.as_ref().map(arrays::matrix),
            covariances: precisions_init
                .as_ref()
                .map(|p| covariances_of_precisions(p, t, n_components, rows.d))
                .transpose()?,
        };
        check_init_shapes(&init, n_components, rows.d)?;
        Ok((common, init))
    })?;
    let warm = warm_start.map(|m| m.inner.clone());
    let resp = resp_init.as_ref().map(|r| soft_responsibilities(r));
    let inner = py.detach(|| {
        guarded(|| {
            let mut params = common.apply_em();
            if let Some(Inner::Em { mixture, .. }) = &warm {
                params = params.warm_start(mixture.as_ref().clone());
            }
            let fit = if (warm.is_some() || !init.any()) && resp.is_none() && iterate {
                // the array itself is the source: no copy
                params.fit_source(&mut borrowed(&rows, weights.as_deref())?)?
            } else {
                // given initial parameters or responsibilities need the data set
                let data = arrays::dataset(&rows, weights)?;
                if warm.is_none() && init.any() {
                    params = params
                        .clone()
                        .warm_start(init.start(&params, &common, &data)?);
                }
                if !iterate {
                    return em_initial_model(&params, &common, &data, resp.as_ref());
                }
                match &resp {
                    Some(r) => params.fit_from(&data, r)?,
                    None => params.fit(&data)?,
                }
            };
            let record = Some(fit.fit_record().clone());
            Ok(Inner::Em {
                mixture: Box::new(fit.into_mixture()),
                record,
            })
        })
    })?;
    Ok(Model::new(inner))
}

/// The model before the first E-step: the warm-start model, or one M-step on the initial
/// responsibilities.
fn em_initial_model(
    params: &EmParams,
    c: &Common,
    data: &Dataset,
    resp: Option<&InitialResponsibilities>,
) -> Result<Inner> {
    let mixture = match (params.warm_start_model(), resp) {
        (Some(m), None) => m.clone(),
        (_, r) => {
            let params = params.clone().cold_start();
            params.check(data)?;
            let init = match r {
                Some(r) => {
                    r.check(data.n_samples(), c.n_components)?;
                    r.clone()
                }
                None => params.control().initial_responsibilities(data, 0)?,
            };
            let stats = init.sufficient_stats(data, c.covariance_type.scatter_kind());
            gmm_em::m_step(&stats, c.covariance_type, c.reg_covar)?
        }
    };
    Ok(Inner::Em {
        mixture: Box::new(mixture),
        record: None,
    })
}

fn soft_responsibilities(r: &PyReadonlyArray2<'_, f64>) -> InitialResponsibilities {
    InitialResponsibilities::Soft {
        resp: r.as_array().iter().copied().collect(),
        n_components: r.as_array().ncols(),
    }
}

/// VB's priors as scikit-learn names them (`covariance_prior` already a D x D matrix).
pub struct VbPriors {
    weight_prior: WeightPrior,
    mean_precision_prior: Option<f64>,
    mean_prior: Option<DVector<f64>>,
    degrees_of_freedom_prior: Option<f64>,
    covariance_prior: Option<DMatrix<f64>>,
}

impl VbPriors {
    fn apply(&self, mut p: VbParams) -> VbParams {
        p = p.weight_prior(self.weight_prior);
        if let Some(b) = self.mean_precision_prior {
            p = p.mean_precision_prior(b);
        }
        if let Some(m) = &self.mean_prior {
            p = p.mean_prior(m.clone());
        }
        if let Some(nu) = self.degrees_of_freedom_prior {
            p = p.degrees_of_freedom_prior(nu);
        }
        if let Some(c) = &self.covariance_prior {
            p = p.covariance_prior(c.clone());
        }
        p
    }
}

fn weight_prior(kind: &str, concentration: Option<f64>) -> Result<WeightPrior> {
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

/// Fits VB with scikit-learn's `BayesianGaussianMixture` parameters; `means_init` is the
/// command line's `--init-means` (each point to its nearest mean, then the first M-step).
#[pyfunction]
#[pyo3(signature = (x, sample_weight, n_components, covariance_type, tol, reg_covar, max_iter,
    n_init, init_params, seed, weight_concentration_prior_type, weight_concentration_prior=None,
    mean_precision_prior=None, mean_prior=None, degrees_of_freedom_prior=None,
    covariance_prior=None, means_init=None, warm_start=None, resp_init=None, iterate=true))]
#[allow(clippy::too_many_arguments)]
pub fn fit_vb(
    py: Python<'_>,
    x: PyReadonlyArray2<'_, f64>,
    sample_weight: Option<PyReadonlyArray1<'_, f64>>,
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
    warm_start: Option<PyRef<'_, Model>>,
    resp_init: Option<PyReadonlyArray2<'_, f64>>,
    iterate: bool,
) -> PyResult<Model> {
    let rows = arrays::rows(&x);
    let weights = arrays::weights(sample_weight.as_ref());
    let (common, priors) = guarded(|| {
        let mut init = init_method(init_params)?;
        if let Some(m) = &means_init {
            init = InitMethod::FromMeans(arrays::matrix(m));
        }
        let common = Common {
            n_components,
            covariance_type: self::covariance_type(covariance_type)?,
            tol,
            reg_covar,
            max_iter,
            n_init,
            init,
            seed,
        };
        let priors = VbPriors {
            weight_prior: weight_prior(
                weight_concentration_prior_type,
                weight_concentration_prior,
            )?,
            mean_precision_prior,
            mean_prior: mean_prior.as_ref().map(arrays::vector),
            degrees_of_freedom_prior,
            covariance_prior: covariance_prior.as_ref().map(arrays::matrix),
        };
        Ok((common, priors))
    })?;
    let warm = warm_start.map(|m| m.inner.clone());
    let resp = resp_init.as_ref().map(|r| soft_responsibilities(r));
    let inner = py.detach(|| {
        guarded(|| {
            let mut params = priors.apply(common.apply_vb());
            if let Some(Inner::Vb { model, .. }) = &warm {
                params = params.warm_start(model.as_ref().clone());
            }
            let fit = if resp.is_none() && iterate {
                // the array itself is the source: no copy
                params.fit_source(&mut borrowed(&rows, weights.as_deref())?)?
            } else {
                let data = arrays::dataset(&rows, weights)?;
                if !iterate {
                    return vb_initial_model(&params, &data, resp.as_ref());
                }
                match &resp {
                    Some(r) => params.fit_from(&data, r)?,
                    None => params.fit(&data)?,
                }
            };
            let record = Some(fit.fit_record().clone());
            Ok(Inner::Vb {
                model: Box::new(fit.into_model()),
                record,
            })
        })
    })?;
    Ok(Model::new(inner))
}

/// The posterior before the first E-step: the warm-start posterior, or the VB M-step on the
/// initial responsibilities under the priors resolved on `data`.
fn vb_initial_model(
    params: &VbParams,
    data: &Dataset,
    resp: Option<&InitialResponsibilities>,
) -> Result<Inner> {
    if let (Some(m), None) = (params.warm_start_model(), resp) {
        return Ok(Inner::Vb {
            model: Box::new(m.clone()),
            record: None,
        });
    }
    let params = params.clone().cold_start();
    let priors = params.resolve_priors(data)?;
    let control = params.control();
    let init = match resp {
        Some(r) => {
            r.check(data.n_samples(), control.n_components)?;
            r.clone()
        }
        None => control.initial_responsibilities(data, 0)?,
    };
    let t = control.covariance_type;
    let stats = init.sufficient_stats(data, t.scatter_kind());
    let state = gmm_vb::m_step(&stats, &priors, t, control.reg_covar)?;
    Ok(Inner::Vb {
        model: Box::new(VbModel::new(state, priors)?),
        record: None,
    })
}
