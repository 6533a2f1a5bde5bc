//! The parameters of a variational fit (builder with scikit-learn's defaults) and the priors
//! they resolve to on a data set (docs/vb.md, section "Priors").

use gmm_core::{
    Covariances, Dataset, FitControl, GmmError, MixtureModel, Passes, Result, ScatterKind,
    SufficientStats, data_statistics,
};
use nalgebra::{DMatrix, DVector};
use serde::{Deserialize, Serialize};

use crate::default_prior::{default_covariance_prior, given_prior, is_positive_definite};
use crate::model::VbModel;
use crate::prior_spec::{PriorSpec, not_spd_prior};

pub use gmm_core::control::{DEFAULT_MAX_ITER, DEFAULT_REG_COVAR, DEFAULT_TOL};
/// Default prior precision of the means, `beta0` (scikit-learn: 1).
pub const DEFAULT_MEAN_PRECISION_PRIOR: f64 = 1.0;

/// The prior on the mixture weights.
///
/// `concentration: None` means `1 / K` (scikit-learn's default). The default prior is the
/// truncated Dirichlet process, as in scikit-learn.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum WeightPrior {
    /// A symmetric Dirichlet distribution `Dir(pi | alpha0, ..., alpha0)` (Bishop 10.39).
    DirichletDistribution {
        /// `alpha0`; `None` for `1 / K`.
        concentration: Option<f64>,
    },
    /// A Dirichlet process truncated at K sticks, `v_k ~ Beta(1, gamma)` and
    /// `pi_k = v_k prod_{j<k} (1 - v_j)` (Blei & Jordan 2006).
    DirichletProcess {
        /// `gamma`; `None` for `1 / K`.
        concentration: Option<f64>,
    },
}

impl Default for WeightPrior {
    fn default() -> Self {
        Self::DirichletProcess {
            concentration: None,
        }
    }
}

impl WeightPrior {
    /// scikit-learn's name of the prior type (`weight_concentration_prior_type`).
    pub fn name(&self) -> &'static str {
        match self {
            Self::DirichletDistribution { .. } => "dirichlet_distribution",
            Self::DirichletProcess { .. } => "dirichlet_process",
        }
    }

    /// The concentration as given (`None`: `1 / K`).
    pub fn concentration(&self) -> Option<f64> {
        match *self {
            Self::DirichletDistribution { concentration }
            | Self::DirichletProcess { concentration } => concentration,
        }
    }

    /// Whether this is the Dirichlet process (stick-breaking) prior.
    pub fn is_process(&self) -> bool {
        matches!(self, Self::DirichletProcess { .. })
    }
}

/// How `reg_covar` enters a variational fit (docs/vb.md, section "reg_covar and the bound").
///
/// Both rules add `N_k reg_covar I` to each component's Wishart scale in the M-step; they
/// differ in the E-step and in the bound, and coincide when `reg_covar = 0`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RegCovarRule {
    /// scikit-learn's: the E-step and the ELBO do not see `reg_covar`. The M-step then does
    /// not maximise the ELBO exactly, which can fall by up to about `1e-5` relative where a
    /// component's scatter is singular (docs/vb.md); parity with scikit-learn step for step.
    #[default]
    ScikitLearn,
    /// `reg_covar` as the variance of isotropic noise on every point: each point's expected
    /// log-likelihood gains `-reg_covar tr(E[Lambda_k]) / 2`, in the E-step and in the
    /// bound, so that every step maximises the reported bound (which never falls, and stays
    /// a lower bound on the log evidence: the term is never positive).
    PointNoise,
}

impl RegCovarRule {
    /// The rule's name in files and on the command line: `scikit_learn` or `point_noise`.
    pub fn name(&self) -> &'static str {
        match self {
            Self::ScikitLearn => "scikit_learn",
            Self::PointNoise => "point_noise",
        }
    }
}

/// Parameters of a variational Bayesian Gaussian mixture fit (Bishop 10.2).
///
/// Defaults follow scikit-learn's `BayesianGaussianMixture`: full covariances, tol `1e-3`
/// (on the total ELBO change, five times in a row: docs/vb.md), reg_covar `1e-6`, 100
/// iterations, one initialisation by k-means, seed 0, a Dirichlet-process weight prior with
/// concentration `1/K`, `beta0 = 1`, `m0` = data mean, `nu0 = D` and the data covariance
/// (per type) as covariance prior `W0^{-1}`; where that is singular (constant or collinear
/// features, every point the same), the data covariance with a small ridge on its diagonal,
/// so that degenerate data fit as in scikit-learn (see [`VbParams::resolve_priors`]), and
/// then with `reg_covar` as point noise ([`RegCovarRule::PointNoise`]) so that the bound
/// never falls; otherwise scikit-learn's rule ([`VbParams::reg_covar_rule`]).
///
/// ```
/// use gmm_core::synthetic;
/// use gmm_vb::{VbParams, WeightPrior};
/// let sample = synthetic::draw(&synthetic::one_d_three_clusters(), 600, 3)?;
/// let fit = VbParams::new(8)
///     .weight_prior(WeightPrior::DirichletProcess { concentration: None })
///     .tol(1e-6)
///     .max_iter(1000)
///     .seed(1)
///     .fit(&sample.data)?;
/// assert!(fit.effective_components(gmm_vb::DEFAULT_WEIGHT_THRESHOLD) <= 4);
/// # Ok::<(), gmm_core::GmmError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct VbParams {
    pub(crate) control: FitControl,
    pub(crate) spec: PriorSpec,
    pub(crate) resolved_priors: Option<Priors>,
    pub(crate) warm_start: Option<VbModel>,
}

impl VbParams {
    /// Parameters for `n_components` components with every other setting at its default.
    pub fn new(n_components: usize) -> Self {
        Self {
            control: FitControl::new(n_components),
            spec: PriorSpec::default(),
            resolved_priors: None,
            warm_start: None,
        }
    }

    /// Priors already resolved (by [`VbParams::priors_from_statistics`] on the whole data
    /// set, or read from a model): the fit uses them as they are, whatever data it sees, in
    /// place of the prior settings and their defaults. A distributed fit resolves its
    /// priors once from the statistics of all the data and starts on a sample with them.
    pub fn resolved_priors(mut self, priors: Priors) -> Self {
        self.resolved_priors = Some(priors);
        self
    }

    gmm_core::fit_control_methods!();

    /// Continues from a fitted model's posterior instead of an initialisation: one run (n_init
    /// and init are ignored) whose first E-step uses `model`'s posterior, under `model`'s
    /// priors (those resolved on its own training data; the prior settings of these
    /// parameters are not used). K, the covariance type and the weight prior are taken from
    /// the model. Fitting the same data for `a` iterations, then warm-starting for `b` more,
    /// gives the fit of `a + b` iterations bit for bit.
    pub fn warm_start(mut self, model: VbModel) -> Self {
        self.control.n_components = model.n_components();
        self.control.covariance_type = model.state().covariance_type();
        self.spec.weight_prior = model.priors().weight_prior;
        self.warm_start = Some(model);
        self
    }

    /// Removes a warm-start model set before.
    pub fn cold_start(mut self) -> Self {
        self.warm_start = None;
        self
    }

    /// The warm-start model, if any.
    pub fn warm_start_model(&self) -> Option<&VbModel> {
        self.warm_start.as_ref()
    }

    /// The prior settings as one specification ([`PriorSpec`]), replacing every prior
    /// setting made before (the builder methods below each set one field of it).
    pub fn prior_spec(mut self, spec: PriorSpec) -> Self {
        self.spec = spec;
        self
    }

    /// The prior settings (as given; resolved on data by [`VbParams::resolve_priors`]).
    pub fn prior_settings(&self) -> &PriorSpec {
        &self.spec
    }

    /// The prior on the weights (default: Dirichlet process with concentration `1/K`).
    pub fn weight_prior(mut self, p: WeightPrior) -> Self {
        self.spec.weight_prior = p;
        self
    }

    /// The prior precision of the means relative to `Lambda_k`, `beta0 > 0` (default 1).
    pub fn mean_precision_prior(mut self, beta0: f64) -> Self {
        self.spec.mean_precision = Some(beta0);
        self
    }

    /// The Wishart degrees of freedom `nu0 > D - 1` (default `D`).
    pub fn degrees_of_freedom_prior(mut self, nu0: f64) -> Self {
        self.spec.degrees_of_freedom = Some(nu0);
        self
    }

    /// The prior mean of the means `m0` (default: the data mean).
    pub fn mean_prior(mut self, m0: DVector<f64>) -> Self {
        self.spec.mean = Some(m0);
        self
    }

    /// The covariance prior `W0^{-1}`, a symmetric positive definite D x D matrix (default:
    /// the data covariance, `ddof = 1`, with a small ridge on its diagonal when it is
    /// singular). Full and tied use it as given; diag keeps its diagonal; spherical the mean
    /// of its diagonal (as scikit-learn derives its defaults).
    pub fn covariance_prior(mut self, c: DMatrix<f64>) -> Self {
        self.spec.covariance = Some(c);
        self
    }

    /// How `reg_covar` enters the E-step and the bound ([`RegCovarRule`]). Default
    /// (unset): [`RegCovarRule::PointNoise`] when the default covariance prior falls back to
    /// the ridged data covariance (degenerate data, where the prior already differs from
    /// scikit-learn's), [`RegCovarRule::ScikitLearn`] otherwise. A warm start keeps its
    /// model's rule.
    ///
    /// ```
    /// use gmm_core::{Dataset, FittedModel};
    /// use gmm_vb::{RegCovarRule, VbParams};
    /// // a constant third column: the default prior falls back, and with it point noise
    /// let rows: Vec<[f64; 3]> = (0..100)
    ///     .map(|i| [(i as f64 * 0.37) % 5.0, (i as f64 * 0.61) % 3.0, 7.5])
    ///     .collect();
    /// let data = Dataset::from_rows(&rows)?;
    /// let fit = VbParams::new(3).reg_covar(1e-2).fit(&data)?;
    /// assert_eq!(fit.priors().reg_covar_rule, RegCovarRule::PointNoise);
    /// assert!(fit.elbo_terms().point_noise < 0.0);
    /// let bounds = fit.lower_bounds();
    /// assert!(bounds.windows(2).all(|w| w[1] >= w[0] - 1e-8 * w[0].abs()));
    /// // scikit-learn's rule, asked for: the same M-step, no noise term
    /// let sk = VbParams::new(3)
    ///     .reg_covar(1e-2)
    ///     .reg_covar_rule(RegCovarRule::ScikitLearn)
    ///     .fit(&data)?;
    /// assert_eq!(sk.elbo_terms().point_noise, 0.0);
    /// # Ok::<(), gmm_core::GmmError>(())
    /// ```
    pub fn reg_covar_rule(mut self, rule: RegCovarRule) -> Self {
        self.spec.reg_covar_rule = Some(rule);
        self
    }

    /// The weight prior.
    pub fn weight_prior_setting(&self) -> WeightPrior {
        self.spec.weight_prior
    }

    /// Checks every parameter against the data: the one place where input is validated.
    ///
    /// # Errors
    /// [`GmmError::InvalidParameter`] naming the offending parameter; [`GmmError::TooFewSamples`]
    /// when K exceeds N; [`GmmError::ShapeMismatch`] for priors of the wrong size;
    /// [`GmmError::InvalidParameter`] naming `covariance_prior` for a covariance prior that
    /// is not symmetric positive definite.
    pub fn check(&self, data: &Dataset) -> Result<()> {
        // The memory check of `control.check` holds for VB too: its Wishart posteriors and
        // priors have the storage of the covariance type (D x D only for full and tied).
        self.control.check(data)?;
        self.check_settings(data.n_features())
    }

    /// [`VbParams::check`] for data read as a stream (see `FitControl::check_passes`); in
    /// memory data with missing coordinates have their columns checked as by
    /// [`VbParams::check`] (one without an observed value refused before the default priors
    /// are resolved on it).
    ///
    /// # Errors
    /// As [`VbParams::check`], and errors of the pass.
    pub fn check_passes(&self, passes: &mut Passes<'_>) -> Result<()> {
        let full = self.control.covariance_type.scatter_kind() == ScatterKind::Full;
        self.control.check_passes(passes, full)?;
        if let Some(data) = passes.in_memory() {
            data.check_observed_columns()?;
        }
        self.check_settings(passes.n_features())
    }

    /// Checks the priors ([`PriorSpec::check`]) and the warm-start model against dimension
    /// `d`.
    fn check_settings(&self, d: usize) -> Result<()> {
        self.spec.check(d)?;
        self.check_warm_start(d)
    }

    /// A warm-start model must have the fit's K and covariance type and dimension `d`.
    fn check_warm_start(&self, d: usize) -> Result<()> {
        let Some(model) = &self.warm_start else {
            return Ok(());
        };
        if model.n_components() != self.control.n_components {
            return Err(GmmError::ShapeMismatch {
                what: "number of components of the warm-start model against n_components".into(),
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
        let model_type = model.state().covariance_type();
        if model_type != self.control.covariance_type {
            return Err(GmmError::InvalidParameter {
                name: "warm_start",
                value: model_type.to_string(),
                reason: format!(
                    "the warm-start model has {model_type} covariances but the fit asks for {}: \
                     leave covariance_type to the model",
                    self.control.covariance_type
                ),
            });
        }
        Ok(())
    }

    /// The priors these parameters give on `data` (defaults filled in from the data).
    ///
    /// The default covariance prior is the data covariance (`ddof = 1`) reduced to the
    /// covariance type; when that is not positive definite, or only by rounding (a constant
    /// feature, collinear features, a single point, every point the same), the data
    /// covariance with a small
    /// ridge on its diagonal (docs/vb.md, section "Priors"). The returned
    /// [`Priors::covariance`] is the prior actually used.
    ///
    /// # Errors
    /// As [`VbParams::check`]; [`GmmError::InvalidParameter`] naming `covariance_prior` if
    /// even the ridged default is not positive definite (not expected for finite data).
    pub fn resolve_priors(&self, data: &Dataset) -> Result<Priors> {
        self.check(data)?;
        let mut source = data;
        self.priors_of(&mut Passes::new(&mut source))
    }

    /// The priors on the points of `passes` (checked already); one pass for the data's
    /// mean and covariance when a default needs them ([`gmm_core::data_statistics`]: the
    /// same numbers for a stream as in memory).
    pub(crate) fn priors_of(&self, passes: &mut Passes<'_>) -> Result<Priors> {
        if let Some(priors) = &self.resolved_priors {
            if priors.n_features() != passes.n_features() {
                return Err(GmmError::ShapeMismatch {
                    what: "number of features of the data against the resolved priors".into(),
                    expected: priors.n_features(),
                    found: passes.n_features(),
                });
            }
            let prior_type = priors.covariance.covariance_type();
            if prior_type != self.control.covariance_type {
                return Err(GmmError::InvalidParameter {
                    name: "resolved_priors",
                    value: prior_type.to_string(),
                    reason: format!(
                        "the priors were resolved for {prior_type} covariances but the fit asks \
                         for {}",
                        self.control.covariance_type
                    ),
                });
            }
            return Ok(priors.clone());
        }
        let stats = match (&self.spec.mean, &self.spec.covariance) {
            (Some(_), Some(_)) => None,
            _ => Some(data_statistics(
                passes,
                self.control.covariance_type.scatter_kind(),
            )?),
        };
        self.priors_given(passes.n_features(), stats.as_ref())
    }

    /// The priors these parameters give on data whose statistics with every point in one
    /// component are `stats` (K = 1, weighted, the scatter kind of the covariance type:
    /// [`gmm_core::data_statistics`], or the merged statistics of the chunks of a
    /// distributed data set). The same priors, fallback and `reg_covar` rule as
    /// [`VbParams::resolve_priors`] on the data themselves.
    ///
    /// ```
    /// use gmm_core::{synthetic, data_statistics, CovarianceType, Passes};
    /// use gmm_vb::VbParams;
    /// let data = synthetic::draw(&synthetic::two_d_three_clusters(), 300, 2)?.data;
    /// let params = VbParams::new(3);
    /// let mut source = &data;
    /// let stats = data_statistics(&mut Passes::new(&mut source), CovarianceType::Full.scatter_kind())?;
    /// assert_eq!(params.priors_from_statistics(&stats)?, params.resolve_priors(&data)?);
    /// # Ok::<(), gmm_core::GmmError>(())
    /// ```
    ///
    /// # Errors
    /// [`GmmError::ShapeMismatch`] for statistics of more than one component or of another
    /// scatter kind; [`GmmError::InvalidParameter`] for statistics of no weight; the errors
    /// of the prior settings as [`VbParams::check`] gives them.
    pub fn priors_from_statistics(&self, stats: &SufficientStats) -> Result<Priors> {
        let kind = self.control.covariance_type.scatter_kind();
        if stats.n_components() != 1 || stats.scatter_kind() != kind {
            return Err(GmmError::ShapeMismatch {
                what: "components of the data statistics (one, with the covariance type's \
                       scatter)"
                    .into(),
                expected: 1,
                found: stats.n_components(),
            });
        }
        if stats.n_k()[0].is_nan() || stats.n_k()[0] <= 0.0 {
            return Err(GmmError::InvalidParameter {
                name: "statistics",
                value: format!("total weight {}", stats.n_k()[0]),
                reason: "the priors need the statistics of at least one point".into(),
            });
        }
        let d = stats.n_features();
        self.check_settings(d)?;
        self.priors_given(d, Some(stats))
    }

    /// The priors from the settings and, where a default needs them, the data's statistics.
    fn priors_given(&self, d: usize, stats: Option<&SufficientStats>) -> Result<Priors> {
        let k = self.control.n_components;
        let covariance_type = self.control.covariance_type;
        let (covariance, fell_back) = match (&self.spec.covariance, stats) {
            // SPD (checked above), so its diagonal and the diagonal's mean are positive.
            (Some(c), _) => (given_prior(c, covariance_type), false),
            (None, Some(stats)) => {
                default_covariance_prior(stats, covariance_type, self.control.reg_covar)?
            }
            (None, None) => unreachable!("statistics are computed when a default needs them"),
        };
        let reg_covar_rule = self.spec.reg_covar_rule.unwrap_or(if fell_back {
            RegCovarRule::PointNoise
        } else {
            RegCovarRule::ScikitLearn
        });
        if !is_positive_definite(&covariance) {
            return Err(not_spd_prior(
                "the covariance prior".into(),
                "its reduction to the covariance type",
            ));
        }
        let mean = match (&self.spec.mean, stats) {
            (Some(m0), _) => m0.clone(),
            (None, Some(stats)) => stats.mean(0),
            (None, None) => unreachable!("statistics are computed when a default needs them"),
        };
        Ok(Priors {
            weight_prior: self.spec.weight_prior,
            weight_concentration: self
                .spec
                .weight_prior
                .concentration()
                .unwrap_or(1.0 / k as f64),
            mean_precision: self.spec.mean_precision_or_default(),
            mean,
            degrees_of_freedom: self.spec.degrees_of_freedom.unwrap_or(d as f64),
            covariance,
            reg_covar_rule,
        })
    }
}

/// The priors of a fit and the rule by which `reg_covar` enters its bound, resolved on its
/// data (docs/vb.md, eqs. V1-V3). Their file form is [`crate::PriorRecord`].
#[derive(Debug, Clone, PartialEq)]
pub struct Priors {
    /// The weight prior as asked for.
    pub weight_prior: WeightPrior,
    /// `alpha0` (Dirichlet distribution) or `gamma` (Dirichlet process), resolved.
    pub weight_concentration: f64,
    /// `beta0`.
    pub mean_precision: f64,
    /// `m0`.
    pub mean: DVector<f64>,
    /// `nu0`.
    pub degrees_of_freedom: f64,
    /// `W0^{-1}` in the storage of the covariance type, as one component: a D x D matrix for
    /// full (`Covariances::Full` of one matrix) and tied (`Covariances::Tied`), D variances
    /// for diag, one variance for spherical. The prior actually used, with the fallback's
    /// ridge where the data covariance is singular.
    pub covariance: Covariances,
    /// How `reg_covar` enters the E-step and the bound (resolved: see
    /// [`VbParams::reg_covar_rule`]).
    pub reg_covar_rule: RegCovarRule,
}

impl Priors {
    /// Dimension D.
    pub fn n_features(&self) -> usize {
        self.mean.len()
    }

    /// `W0^{-1}` as a full D x D matrix (diagonal for diag, a multiple of I for spherical).
    /// It has D x D numbers: for small D (display, tests), not for wide data.
    pub fn covariance_matrix(&self) -> DMatrix<f64> {
        self.covariance.full_matrix(0, self.n_features())
    }
}
