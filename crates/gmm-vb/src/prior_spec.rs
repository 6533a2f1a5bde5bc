//! VB's prior settings as one specification, given or left to their defaults: what
//! [`crate::VbParams`] holds and the Gibbs sampler, the comparison, the CLI and the Python
//! package pass on whole (docs/vb.md, section "Priors").

use gmm_core::{GmmError, Result, cholesky_lower};
use nalgebra::{DMatrix, DVector};

use crate::params::{DEFAULT_MEAN_PRECISION_PRIOR, RegCovarRule, WeightPrior};

/// The prior settings of a variational fit (and of the Gibbs sampler under VB's priors),
/// each given or left to its default (scikit-learn's, but for the fallbacks on degenerate
/// data).
///
/// A `None` is not a number yet: the defaults that depend on the data (`m0`, `nu0`,
/// `W0^{-1}`, the `reg_covar` rule) are filled in when the priors are resolved, by
/// [`crate::VbParams::resolve_priors`] on the data or [`crate::VbParams::priors_from_statistics`]
/// on their statistics, into [`crate::Priors`]. [`PriorSpec::default`] leaves every setting
/// to its default.
///
/// ```
/// use gmm_core::synthetic;
/// use gmm_vb::{PriorSpec, VbParams, WeightPrior};
/// let data = synthetic::draw(&synthetic::two_d_three_clusters(), 300, 2)?.data;
/// let spec = PriorSpec {
///     weight_prior: WeightPrior::DirichletDistribution { concentration: Some(1e-2) },
///     mean_precision: Some(0.5),
///     ..PriorSpec::default()
/// };
/// let params = VbParams::new(3).prior_spec(spec.clone());
/// assert_eq!(params.prior_settings(), &spec);
/// let priors = params.resolve_priors(&data)?;
/// assert_eq!(priors.mean_precision, 0.5);
/// assert_eq!(priors.degrees_of_freedom, 2.0); // nu0 left to its default, D
/// # Ok::<(), gmm_core::GmmError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PriorSpec {
    /// The prior on the weights. Default: the Dirichlet process with concentration `None`,
    /// which resolves to `1 / K` ([`crate::Priors::weight_concentration`]); a concentration
    /// given must be finite and > 0.
    pub weight_prior: WeightPrior,
    /// `beta0`, the prior precision of the means relative to `Lambda_k` (finite, > 0).
    /// `None`: [`DEFAULT_MEAN_PRECISION_PRIOR`] (1), resolved to
    /// [`crate::Priors::mean_precision`].
    pub mean_precision: Option<f64>,
    /// `m0`, the prior mean of the means (D finite numbers). `None`: the (weighted) data
    /// mean, resolved from the data's statistics to [`crate::Priors::mean`].
    pub mean: Option<DVector<f64>>,
    /// `nu0`, the Wishart degrees of freedom (finite, > D - 1). `None`: D, resolved to
    /// [`crate::Priors::degrees_of_freedom`].
    pub degrees_of_freedom: Option<f64>,
    /// `W0^{-1}`, the covariance prior: a symmetric positive definite D x D matrix. Full and
    /// tied use it as given; diag keeps its diagonal; spherical the mean of its diagonal.
    /// `None`: the data covariance (`ddof = 1`) reduced to the covariance type, with a small
    /// ridge on its diagonal where that is singular (docs/vb.md, section "Priors"), resolved
    /// from the data's statistics to [`crate::Priors::covariance`].
    pub covariance: Option<DMatrix<f64>>,
    /// How `reg_covar` enters VB's E-step and bound ([`RegCovarRule`]). `None`:
    /// [`RegCovarRule::PointNoise`] where the default covariance prior falls back to the
    /// ridged data covariance, [`RegCovarRule::ScikitLearn`] otherwise, resolved to
    /// [`crate::Priors::reg_covar_rule`]. The Gibbs sampler has no `reg_covar` and does not
    /// use it.
    pub reg_covar_rule: Option<RegCovarRule>,
}

impl PriorSpec {
    /// `beta0`: the one given, or the default 1.
    pub fn mean_precision_or_default(&self) -> f64 {
        self.mean_precision.unwrap_or(DEFAULT_MEAN_PRECISION_PRIOR)
    }

    /// Checks the settings given against dimension `d` (those left to defaults always
    /// pass). Errors name the parameter as VB's builder does (`weight_concentration_prior`,
    /// `mean_precision_prior`, `degrees_of_freedom_prior`, `mean_prior`, `covariance_prior`).
    ///
    /// # Errors
    /// [`GmmError::InvalidParameter`] naming the offending setting;
    /// [`GmmError::ShapeMismatch`] for `m0` or `W0^{-1}` of the wrong size;
    /// [`GmmError::InvalidParameter`] naming `covariance_prior` for a covariance prior that
    /// is not symmetric positive definite.
    pub fn check(&self, d: usize) -> Result<()> {
        let invalid = |name: &'static str, value: String, reason: &str| {
            Err(GmmError::InvalidParameter {
                name,
                value,
                reason: reason.into(),
            })
        };
        if let Some(c) = self.weight_prior.concentration()
            && !(c.is_finite() && c > 0.0)
        {
            return invalid(
                "weight_concentration_prior",
                c.to_string(),
                "use a finite value > 0 (or None for 1/K)",
            );
        }
        let beta0 = self.mean_precision_or_default();
        if !(beta0.is_finite() && beta0 > 0.0) {
            return invalid(
                "mean_precision_prior",
                beta0.to_string(),
                "use a finite value > 0",
            );
        }
        if let Some(nu0) = self.degrees_of_freedom
            && !(nu0.is_finite() && nu0 > d as f64 - 1.0)
        {
            return Err(GmmError::InvalidParameter {
                name: "degrees_of_freedom_prior",
                value: nu0.to_string(),
                reason: format!("use a finite value > D - 1 = {}", d as f64 - 1.0),
            });
        }
        if let Some(m0) = &self.mean {
            if m0.len() != d {
                return Err(GmmError::ShapeMismatch {
                    what: "length of mean_prior against the data's number of features".into(),
                    expected: d,
                    found: m0.len(),
                });
            }
            if let Some(v) = m0.iter().find(|v| !v.is_finite()) {
                return invalid("mean_prior", v.to_string(), "use finite values");
            }
        }
        if let Some(c) = &self.covariance {
            if c.nrows() != d || c.ncols() != d {
                return Err(GmmError::ShapeMismatch {
                    what: "covariance_prior must be D x D; rows or columns given".into(),
                    expected: d,
                    found: if c.nrows() != d { c.nrows() } else { c.ncols() },
                });
            }
            gmm_core::Covariances::Full(vec![c.clone()])
                .check_shape(1, d)
                .and_then(|()| cholesky_lower(0, c))
                .map_err(|e| match e {
                    GmmError::NotPositiveDefinite { reason, .. } => {
                        not_spd_prior(format!("{c}"), &reason)
                    }
                    other => other,
                })?;
        }
        Ok(())
    }
}

/// The error for a covariance prior given by the user that is not symmetric positive
/// definite (`what` says what failed).
pub(crate) fn not_spd_prior(value: String, what: &str) -> GmmError {
    GmmError::InvalidParameter {
        name: "covariance_prior",
        value,
        reason: format!(
            "the covariance prior must be symmetric positive definite ({what}): give such a \
             matrix, or leave covariance_prior unset for the default (the data covariance, \
             with a small ridge if that is singular)"
        ),
    }
}
