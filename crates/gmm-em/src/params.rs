//! The parameters of an EM fit: a builder with scikit-learn's defaults, validated in one place
//! ([`EmParams::check`]).

pub use gmm_core::control::{DEFAULT_MAX_ITER, DEFAULT_REG_COVAR, DEFAULT_TOL};
use gmm_core::{
    Dataset, FitControl, GaussianMixture, GmmError, MixtureModel, Passes, Result, ScatterKind,
};

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
}

impl EmParams {
    /// Parameters for `n_components` components with scikit-learn's defaults.
    pub fn new(n_components: usize) -> Self {
        Self {
            control: FitControl::new(n_components),
            warm_start: None,
            reseed_collapsed: false,
        }
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
    pub fn check(&self, data: &Dataset) -> Result<()> {
        self.control.check(data)?;
        self.check_warm_start(data.n_features())
    }

    /// [`EmParams::check`] for data read as a stream (see [`FitControl::check_passes`]);
    /// re-seeding collapsed components needs the data in memory, so it is refused here.
    ///
    /// # Errors
    /// As [`EmParams::check`]; [`GmmError::InvalidParameter`] naming `reseed_collapsed`.
    pub fn check_passes(&self, passes: &mut Passes<'_>) -> Result<()> {
        let full = self.control.covariance_type.scatter_kind() == ScatterKind::Full;
        self.control.check_passes(passes, full)?;
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
