//! The parameters of an EM fit: a builder with scikit-learn's defaults, validated in one place
//! ([`EmParams::check`]).

pub use gmm_core::control::{DEFAULT_MAX_ITER, DEFAULT_REG_COVAR, DEFAULT_TOL};
use gmm_core::{
    CovarianceType, Covariances, Dataset, FitControl, GaussianMixture, GmmError, MixtureModel,
    Passes, Result, ScatterKind,
};
use nalgebra::{DMatrix, DVector};

use crate::m_step::MStepParameters;
use crate::map::check_map_priors;
use gmm_vb::Priors;

/// Parameters of a maximum-likelihood EM fit of a Gaussian mixture.
///
/// Defaults are scikit-learn's `GaussianMixture`: full covariances, `tol = 1e-3` (absolute
/// change of the mean per-point log-likelihood), `max_iter = 100`, `reg_covar = 1e-6`,
/// `n_init = 1`, k-means initialisation, seed 0, no warm start, no re-seeding of collapsed
/// components. Values are checked once, by [`EmParams::check`], which [`EmParams::fit`] calls.
///
/// # Examples
/// ```
/// use gmm_core::{synthetic, CovarianceType, MixtureModel, FittedModel};
/// use gmm_em::EmParams;
///
/// let sample = synthetic::draw(&synthetic::two_d_three_clusters(), 600, 7)?;
/// let fit = EmParams::new(3)
///     .covariance_type(CovarianceType::Full)
///     .tol(1e-6)
///     .n_init(2)
///     .seed(1)
///     .fit(&sample.data)?;
/// assert!(fit.converged());
/// assert_eq!(fit.mixture().n_components(), 3);
/// // the log-likelihood never decreases from one iteration to the next
/// assert!(fit.lower_bounds().windows(2).all(|w| w[1] >= w[0] - 1e-10 * w[0].abs()));
/// println!("BIC = {:.2}", fit.bic(&sample.data)?);
/// # Ok::<(), gmm_core::GmmError>(())
/// ```
#[derive(Debug, Clone)]
pub struct EmParams {
    pub(crate) control: FitControl,
    pub(crate) warm_start: Option<GaussianMixture>,
    pub(crate) reseed_collapsed: bool,
    pub(crate) given: GivenStart,
    /// The resolved prior of a MAP-EM fit; `None` for maximum likelihood.
    pub(crate) map: Option<Priors>,
}

/// Parts of the first model given by the user, scikit-learn's `weights_init`, `means_init`
/// and `precisions_init` (as covariances): each given part replaces the first M-step's own;
/// when all three are given they are the first model and the data are not used to start.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GivenStart {
    /// K weights, non-negative, summing to 1 (within `1e-6`, as the mixture checks them).
    pub weights: Option<DVector<f64>>,
    /// K x D means.
    pub means: Option<DMatrix<f64>>,
    /// Covariances of the fit's covariance type.
    pub covariances: Option<Covariances>,
}

impl GivenStart {
    /// Whether any part is given.
    pub fn is_empty(&self) -> bool {
        self.weights.is_none() && self.means.is_none() && self.covariances.is_none()
    }

    /// The given parts replace those of `p`.
    pub(crate) fn apply(&self, p: &mut MStepParameters) {
        if let Some(w) = &self.weights {
            p.weights = w.clone();
        }
        if let Some(m) = &self.means {
            p.means = m.clone();
        }
        if let Some(c) = &self.covariances {
            p.covariances = c.clone();
        }
    }

    /// The mixture of the three parts when all are given (`None` otherwise).
    ///
    /// # Errors
    /// [`GmmError::InvalidWeights`] and the like when the parts do not make a mixture.
    pub fn complete_mixture(&self) -> Result<Option<GaussianMixture>> {
        match (&self.weights, &self.means, &self.covariances) {
            (Some(w), Some(m), Some(c)) => {
                GaussianMixture::new(w.clone(), m.clone(), c.clone()).map(Some)
            }
            _ => Ok(None),
        }
    }

    /// Checks the parts against K, D and the covariance type.
    fn check(&self, k: usize, d: usize, covariance_type: CovarianceType) -> Result<()> {
        if let Some(w) = &self.weights {
            if w.len() != k {
                return Err(GmmError::ShapeMismatch {
                    what: "length of weights_init against n_components".into(),
                    expected: k,
                    found: w.len(),
                });
            }
            if let Some(v) = w.iter().find(|v| !(v.is_finite() && **v >= 0.0)) {
                return Err(invalid(
                    "weights_init",
                    v,
                    "every initial weight must be finite and >= 0",
                ));
            }
        }
        if let Some(m) = &self.means {
            if m.shape() != (k, d) {
                return Err(invalid(
                    "means_init",
                    format!("an array of shape ({}, {})", m.nrows(), m.ncols()),
                    &format!("give n_components x n_features = ({k}, {d}) means"),
                ));
            }
            if let Some(v) = m.iter().find(|v| !v.is_finite()) {
                return Err(invalid("means_init", v, "give finite means"));
            }
        }
        if let Some(c) = &self.covariances {
            if c.covariance_type() != covariance_type {
                return Err(invalid(
                    "precisions_init",
                    c.covariance_type(),
                    &format!("give precisions of the fit's covariance type, {covariance_type}"),
                ));
            }
            c.check_shape(k, d)?;
        }
        Ok(())
    }
}

impl EmParams {
    /// Parameters for `n_components` components with scikit-learn's defaults.
    pub fn new(n_components: usize) -> Self {
        Self {
            control: FitControl::new(n_components),
            warm_start: None,
            reseed_collapsed: false,
            given: GivenStart::default(),
            map: None,
        }
    }

    /// MAP-EM under the resolved prior `priors` instead of maximum likelihood: the M-step
    /// becomes the posterior mode (docs/em.md, "MAP-EM"), the bound the mean log posterior
    /// per unit of weight, and the record's estimator [`gmm_core::Estimator::Map`]. The
    /// prior must have been resolved for the fit's covariance type and dimension, with a
    /// Dirichlet-distribution weight prior of concentration `>= 1` and `nu0 >= D`
    /// ([`EmParams::check`] checks it). [`crate::MapParams`] resolves a prior
    /// specification on the data and sets this.
    pub fn map_prior(mut self, priors: Priors) -> Self {
        self.map = Some(priors);
        self
    }

    /// The resolved prior of a MAP-EM fit (`None`: maximum likelihood).
    pub fn map_priors(&self) -> Option<&Priors> {
        self.map.as_ref()
    }

    /// Parts of the first model given by the user (scikit-learn's `weights_init`,
    /// `means_init`, `precisions_init`): see [`GivenStart`]. With all three every restart
    /// starts from that mixture; with some, each restart's first M-step has them replaced.
    pub fn given_start(mut self, given: GivenStart) -> Self {
        self.given = given;
        self
    }

    /// The parts of the first model given by the user.
    pub fn given_start_parts(&self) -> &GivenStart {
        &self.given
    }

    gmm_core::fit_control_methods!();

    /// Starts from a fitted mixture instead of an initialisation: one run (n_init and init
    /// are ignored), whose first E-step uses `model`. K and the covariance type are taken
    /// from the model; its dimension must be the data's.
    pub fn warm_start(mut self, model: GaussianMixture) -> Self {
        self.control.n_components = model.n_components();
        self.control.covariance_type = model.covariance_type();
        self.warm_start = Some(model);
        self
    }

    /// Removes a warm-start model set before.
    pub fn cold_start(mut self) -> Self {
        self.warm_start = None;
        self
    }

    /// When on, a collapsed component (its covariance cannot be factorised, or it holds less
    /// than one point's worth of responsibility) is re-seeded at the worst-explained point
    /// instead of failing the fit. Off by default (scikit-learn's behaviour).
    pub fn reseed_collapsed(mut self, on: bool) -> Self {
        self.reseed_collapsed = on;
        self
    }

    /// The warm-start model, if any.
    pub fn warm_start_model(&self) -> Option<&GaussianMixture> {
        self.warm_start.as_ref()
    }

    /// Whether collapsed components are re-seeded.
    pub fn reseeds_collapsed(&self) -> bool {
        self.reseed_collapsed
    }

    /// Checks every parameter, and their agreement with `data`.
    ///
    /// # Errors
    /// - [`GmmError::InvalidParameter`]: `n_components = 0`, `tol` negative or not finite,
    ///   `max_iter = 0`, `reg_covar` negative or not finite, `n_init = 0`, a warm-start
    ///   model of another covariance type.
    /// - [`GmmError::TooFewSamples`]: more components than points.
    /// - [`GmmError::ShapeMismatch`]: a warm-start model with another K or dimension.
    /// - [`GmmError::InvalidParameter`] naming the prior setting that MAP-EM cannot use
    ///   (see [`EmParams::map_prior`]), or `reseed_collapsed` for data with missing
    ///   coordinates.
    pub fn check(&self, data: &Dataset) -> Result<()> {
        self.control.check(data)?;
        if self.reseed_collapsed && data.has_missing() {
            return Err(invalid(
                "reseed_collapsed",
                true,
                "re-seeding moves a component to the worst-explained point, which is not \
                 defined for points with missing coordinates: turn re-seeding off",
            ));
        }
        self.check_warm_start(data.n_features())
    }

    /// The MAP prior, if any, against dimension `d` and the covariance type.
    fn check_map(&self, d: usize) -> Result<()> {
        match &self.map {
            Some(priors) => check_map_priors(priors, d, self.control.covariance_type),
            None => Ok(()),
        }
    }

    /// [`EmParams::check`] for data read as a stream (see [`FitControl::check_passes`]);
    /// re-seeding collapsed components needs the data in memory, so it is refused here.
    ///
    /// # Errors
    /// As [`EmParams::check`]; [`GmmError::InvalidParameter`] naming `reseed_collapsed`.
    pub fn check_passes(&self, passes: &mut Passes<'_>) -> Result<()> {
        let full = self.control.covariance_type.scatter_kind() == ScatterKind::Full;
        self.control.check_passes(passes, full)?;
        if let Some(data) = passes.in_memory().filter(|data| data.has_missing()) {
            self.check(data)?;
        }
        if self.reseed_collapsed && passes.in_memory().is_none() {
            return Err(invalid(
                "reseed_collapsed",
                true,
                "re-seeding moves a component to the worst-explained point, which needs the \
                 data in memory: fit a Dataset, or turn re-seeding off for a stream",
            ));
        }
        self.check_warm_start(passes.n_features())
    }

    /// Checks the warm-start model against K, the covariance type and dimension `d`.
    fn check_warm_start(&self, d: usize) -> Result<()> {
        self.check_map(d)?;
        let c = &self.control;
        self.given.check(c.n_components, d, c.covariance_type)?;
        if let Some(model) = &self.warm_start {
            if model.n_components() != self.control.n_components {
                return Err(GmmError::ShapeMismatch {
                    what: "number of components of the warm-start model against n_components"
                        .into(),
                    expected: self.control.n_components,
                    found: model.n_components(),
                });
            }
            if model.n_features() != d {
                return Err(GmmError::ShapeMismatch {
                    what: "number of features of the data against the model".into(),
                    expected: model.n_features(),
                    found: d,
                });
            }
            if model.covariance_type() != self.control.covariance_type {
                return Err(invalid(
                    "warm_start",
                    model.covariance_type(),
                    &format!(
                        "the warm-start model has {} covariances but the fit asks for {}: \
                         leave covariance_type to the model",
                        model.covariance_type(),
                        self.control.covariance_type
                    ),
                ));
            }
        }
        Ok(())
    }
}

impl Default for EmParams {
    /// One component with scikit-learn's defaults.
    fn default() -> Self {
        Self::new(1)
    }
}

fn invalid(name: &'static str, value: impl std::fmt::Display, reason: &str) -> GmmError {
    GmmError::InvalidParameter {
        name,
        value: value.to_string(),
        reason: reason.to_string(),
    }
}
