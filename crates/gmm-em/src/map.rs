//! MAP-EM's parameters: the prior (VB's [`PriorSpec`], or mclust's default prior by name),
//! resolved on the data's statistics into [`Priors`], and the [`EmParams`] that run EM's
//! loop with the MAP M-step (docs/em.md, "MAP-EM").

use gmm_core::{
    CovarianceType, Covariances, DataSource, Dataset, FitControl, GaussianMixture, GmmError,
    MixtureModel, ModelFile, Passes, Result, SufficientStats, data_statistics,
};
use gmm_vb::{PriorRecord, PriorSpec, Priors, VbParams, WeightPrior};

use crate::fit::EmFit;
use crate::params::{EmParams, GivenStart};

/// mclust's default shrinkage `kappa_P`, the prior precision of the means (`beta0`).
pub const MCLUST_SHRINKAGE: f64 = 0.01;

/// The prior of a MAP-EM fit.
#[derive(Debug, Clone, PartialEq)]
pub enum MapPrior {
    /// VB's prior settings, each given or left to VB's default (`beta0 = 1`, `m0` = the data
    /// mean, `nu0 = D`, `W0^{-1}` = the data covariance reduced to the type, with VB's ridge
    /// where it is singular). The weight prior must be a Dirichlet distribution with
    /// concentration `>= 1` (`None` counts as 1 here, not VB's `1/K`).
    Conjugate(PriorSpec),
    /// mclust's `defaultPrior` (Fraley & Raftery 2007): shrinkage `beta0 = 0.01`, `m0` = the
    /// data mean, `nu0 = D + 2`, `W0^{-1}` = the data covariance (reduced to the type as
    /// VB's, with its ridge where singular) divided by `K^{2/D}`, flat weights
    /// (`alpha0 = 1`).
    Mclust,
}

impl Default for MapPrior {
    /// VB's defaults with a flat Dirichlet on the weights.
    fn default() -> Self {
        Self::Conjugate(PriorSpec {
            weight_prior: WeightPrior::DirichletDistribution {
                concentration: Some(1.0),
            },
            ..PriorSpec::default()
        })
    }
}

/// Parameters of a MAP-EM fit: EM's loop and E-step with the posterior mode as M-step.
///
/// Defaults are [`EmParams`]' (scikit-learn's) but `reg_covar = 0`, which MAP-EM requires
/// (the prior regularises the covariances), and the prior [`MapPrior::default`].
/// [`MapParams::fit`] resolves the prior on the data (one pass for its statistics) and runs
/// [`EmParams::fit`] with [`EmParams::map_prior`]; the result is an [`EmFit`] whose record
/// says [`gmm_core::Estimator::Map`] and whose bounds are mean log posteriors.
///
/// ```
/// use gmm_core::{synthetic, FittedModel, MixtureModel};
/// use gmm_em::{MapParams, MapPrior};
/// let data = synthetic::draw(&synthetic::two_d_three_clusters(), 300, 4)?.data;
/// let fit = MapParams::new(3).prior(MapPrior::Mclust).tol(1e-8).fit(&data)?;
/// assert!(fit.lower_bounds().windows(2).all(|w| w[1] >= w[0] - 1e-12 * w[0].abs()));
/// assert_eq!(fit.map_prior().unwrap().degrees_of_freedom, 4.0); // D + 2
/// # Ok::<(), gmm_core::GmmError>(())
/// ```
#[derive(Debug, Clone)]
pub struct MapParams {
    pub(crate) control: FitControl,
    prior: MapPrior,
    warm_start: Option<GaussianMixture>,
    given: GivenStart,
}

impl MapParams {
    /// Parameters for `n_components` components: EM's defaults, `reg_covar = 0`, the
    /// default prior.
    pub fn new(n_components: usize) -> Self {
        let mut control = FitControl::new(n_components);
        control.reg_covar = 0.0;
        Self {
            control,
            prior: MapPrior::default(),
            warm_start: None,
            given: GivenStart::default(),
        }
    }

    gmm_core::fit_control_methods!();

    /// The prior.
    pub fn prior(mut self, prior: MapPrior) -> Self {
        self.prior = prior;
        self
    }

    /// The prior as set.
    pub fn prior_setting(&self) -> &MapPrior {
        &self.prior
    }

    /// Starts from a fitted mixture (as [`EmParams::warm_start`]).
    pub fn warm_start(mut self, model: GaussianMixture) -> Self {
        self.control.n_components = model.n_components();
        self.control.covariance_type = model.covariance_type();
        self.warm_start = Some(model);
        self
    }

    /// Parts of the first model given by the user (as [`EmParams::given_start`]).
    pub fn given_start(mut self, given: GivenStart) -> Self {
        self.given = given;
        self
    }

    /// The [`EmParams`] that run MAP-EM under the resolved `priors` (what [`MapParams::fit`]
    /// runs; for driving the steps yourself: [`EmParams::stepper`], [`EmParams::first_model`]).
    pub fn em_params(&self, priors: Priors) -> EmParams {
        self.em_params_unresolved().map_prior(priors)
    }

    /// Fits `data`: the prior resolved on them ([`MapParams::resolve_priors`]), then EM's
    /// loop with the MAP M-step.
    ///
    /// # Errors
    /// As [`MapParams::resolve_priors`] and [`EmParams::fit`].
    pub fn fit(&self, data: &Dataset) -> Result<EmFit> {
        self.em_params(self.resolve_priors(data)?).fit(data)
    }

    /// [`MapParams::fit`] on data read as a stream (one more pass for the prior's
    /// statistics); equal to the in-memory fit bit for bit from the same start.
    ///
    /// # Errors
    /// As [`MapParams::fit`] and [`EmParams::fit_source`].
    pub fn fit_source(&self, source: &mut dyn DataSource) -> Result<EmFit> {
        let priors = {
            let mut passes = Passes::new(source).rescaling_weights();
            self.em_params_unresolved().check_passes(&mut passes)?;
            let kind = self.control.covariance_type.scatter_kind();
            self.priors_from_statistics(&data_statistics(&mut passes, kind)?)?
        };
        self.em_params(priors).fit_source(source)
    }

    /// The prior resolved on `data` (one pass for the mean and covariance).
    ///
    /// # Errors
    /// As [`MapParams::priors_from_statistics`]; [`EmParams::check`]'s errors.
    pub fn resolve_priors(&self, data: &Dataset) -> Result<Priors> {
        self.em_params_unresolved().check(data)?;
        let mut source = data;
        let kind = self.control.covariance_type.scatter_kind();
        self.priors_from_statistics(&data_statistics(&mut Passes::new(&mut source), kind)?)
    }

    /// The prior resolved on the data's statistics with every point in one component
    /// ([`gmm_core::data_statistics`], or merged chunks), as VB resolves its priors
    /// ([`VbParams::priors_from_statistics`]), then scaled for [`MapPrior::Mclust`].
    ///
    /// # Errors
    /// [`GmmError::InvalidParameter`] naming `reg_covar` when it is not 0, or the prior
    /// setting MAP-EM cannot use (a Dirichlet process, a concentration below 1, `nu0 < D`);
    /// VB's errors of the settings and statistics.
    pub fn priors_from_statistics(&self, stats: &SufficientStats) -> Result<Priors> {
        self.check_reg_covar()?;
        let d = stats.n_features();
        let spec = self.spec(d);
        let ct = self.control.covariance_type;
        let mut priors = VbParams::new(self.control.n_components)
            .covariance_type(ct)
            .reg_covar(0.0)
            .prior_spec(spec)
            .priors_from_statistics(stats)?;
        if self.prior == MapPrior::Mclust {
            let factor = (self.control.n_components as f64).powf(-2.0 / d as f64);
            priors.covariance = scaled(priors.covariance, factor);
        }
        check_map_priors(&priors, d, ct)?;
        Ok(priors)
    }

    /// The prior settings in VB's form for dimension `d`.
    fn spec(&self, d: usize) -> PriorSpec {
        match &self.prior {
            MapPrior::Conjugate(spec) => {
                let mut spec = spec.clone();
                if let WeightPrior::DirichletDistribution {
                    concentration: None,
                } = spec.weight_prior
                {
                    spec.weight_prior = WeightPrior::DirichletDistribution {
                        concentration: Some(1.0),
                    };
                }
                spec
            }
            MapPrior::Mclust => PriorSpec {
                weight_prior: WeightPrior::DirichletDistribution {
                    concentration: Some(1.0),
                },
                mean_precision: Some(MCLUST_SHRINKAGE),
                degrees_of_freedom: Some(d as f64 + 2.0),
                ..PriorSpec::default()
            },
        }
    }

    fn check_reg_covar(&self) -> Result<()> {
        if self.control.reg_covar != 0.0 {
            return Err(GmmError::InvalidParameter {
                name: "reg_covar",
                value: self.control.reg_covar.to_string(),
                reason: "MAP-EM adds nothing to its covariances: the prior keeps them positive \
                         definite. Leave reg_covar at 0, and strengthen the prior instead \
                         (a larger covariance_prior or degrees_of_freedom_prior)"
                    .into(),
            });
        }
        Ok(())
    }

    /// EM's parameters without a prior, for the checks of the control and the start.
    fn em_params_unresolved(&self) -> EmParams {
        let mut em = EmParams::new(self.control.n_components);
        em.control = self.control.clone();
        em.given = self.given.clone();
        em.warm_start = self.warm_start.clone();
        em
    }
}

/// `c` (one component) times `factor`.
fn scaled(c: Covariances, factor: f64) -> Covariances {
    match c {
        Covariances::Full(m) => Covariances::Full(m.into_iter().map(|m| m * factor).collect()),
        Covariances::Tied(m) => Covariances::Tied(m * factor),
        Covariances::Diagonal(v) => {
            Covariances::Diagonal(v.into_iter().map(|v| v * factor).collect())
        }
        Covariances::Spherical(s) => Covariances::Spherical(s.iter().map(|s| s * factor).collect()),
    }
}

/// Whether resolved priors can serve MAP-EM for dimension `d` and `covariance_type`.
///
/// # Errors
/// [`GmmError::InvalidParameter`] naming the setting: a Dirichlet process
/// (`weight_concentration_prior_type`), a concentration below 1
/// (`weight_concentration_prior`: a Dirichlet below 1 has no interior mode), `nu0 < D`
/// (`degrees_of_freedom_prior`), a prior of another dimension or covariance type.
pub(crate) fn check_map_priors(priors: &Priors, d: usize, ct: CovarianceType) -> Result<()> {
    let invalid = |name: &'static str, value: String, reason: String| {
        Err(GmmError::InvalidParameter {
            name,
            value,
            reason,
        })
    };
    if priors.weight_prior.is_process() {
        return invalid(
            "weight_concentration_prior_type",
            "dirichlet_process".into(),
            "MAP-EM takes a Dirichlet distribution on the weights: use \
             dirichlet_distribution (the stick-breaking prior's mode is not a mixture's)"
                .into(),
        );
    }
    let a0 = priors.weight_concentration;
    if !(a0.is_finite() && a0 >= 1.0) {
        return invalid(
            "weight_concentration_prior",
            a0.to_string(),
            "a Dirichlet with concentration below 1 has no interior mode (its density is \
             infinite where a weight is 0), so MAP-EM has no M-step for it: use a \
             concentration >= 1 (1 is flat: maximum-likelihood weights), or VB for a \
             sparse weight prior"
                .into(),
        );
    }
    let nu0 = priors.degrees_of_freedom;
    if !(nu0.is_finite() && nu0 >= d as f64) {
        return invalid(
            "degrees_of_freedom_prior",
            nu0.to_string(),
            format!(
                "the posterior mode of a precision exists for every component only when \
                 nu0 >= D = {d}: use degrees_of_freedom_prior >= {d} (default D)"
            ),
        );
    }
    let prior_type = priors.covariance.covariance_type();
    if priors.n_features() != d || prior_type != ct {
        return invalid(
            "priors",
            format!("{prior_type} prior of dimension {}", priors.n_features()),
            format!("resolve the prior for {ct} covariances and D = {d}"),
        );
    }
    Ok(())
}

/// The resolved prior a MAP-EM model file records (its `"prior"`), or `None` for a file
/// without one: what a warm start from the file continues under.
///
/// # Errors
/// [`GmmError::InvalidModel`] when the prior is not VB's `PriorRecord` with a known weight
/// prior type, or cannot serve MAP-EM for the file's covariance type and dimension.
pub fn map_prior_of_file(file: &ModelFile) -> Result<Option<Priors>> {
    let Some(value) = &file.prior else {
        return Ok(None);
    };
    let bad = |reason: String| GmmError::InvalidModel {
        reason: format!("prior: {reason}"),
    };
    let record: PriorRecord =
        serde_json::from_value(value.clone()).map_err(|e| bad(e.to_string()))?;
    let c = record.weight_concentration_prior;
    let weight_prior = match value.get("weight_prior_type").and_then(|t| t.as_str()) {
        Some("dirichlet_distribution") | None => WeightPrior::DirichletDistribution {
            concentration: Some(c),
        },
        Some(other) => return Err(bad(format!("weight_prior_type {other:?} is not MAP-EM's"))),
    };
    let d = record.mean_prior.len();
    let covariance = record
        .covariance_prior
        .to_covariances(file.covariance_type, d)
        .map_err(|e| bad(e.to_string()))?;
    let priors = Priors {
        weight_prior,
        weight_concentration: c,
        mean_precision: record.mean_precision_prior,
        mean: nalgebra::DVector::from_vec(record.mean_prior),
        degrees_of_freedom: record.degrees_of_freedom_prior,
        covariance,
        reg_covar_rule: record.reg_covar_rule,
    };
    check_map_priors(&priors, d, file.covariance_type).map_err(|e| bad(e.to_string()))?;
    Ok(Some(priors))
}

/// The file form of a MAP-EM fit's prior (the model file's `"prior"`): VB's
/// [`PriorRecord`] with the weight prior's type.
pub fn map_prior_record(priors: &Priors) -> serde_json::Value {
    let record = PriorRecord {
        weight_concentration_prior: priors.weight_concentration,
        mean_precision_prior: priors.mean_precision,
        mean_prior: priors.mean.iter().copied().collect(),
        degrees_of_freedom_prior: priors.degrees_of_freedom,
        covariance_prior: gmm_core::model_file::StoredMatrix::of(&priors.covariance),
        reg_covar_rule: priors.reg_covar_rule,
    };
    let mut value = serde_json::to_value(record).unwrap_or(serde_json::Value::Null);
    if let serde_json::Value::Object(map) = &mut value {
        map.insert(
            "weight_prior_type".into(),
            priors.weight_prior.name().into(),
        );
    }
    value
}
