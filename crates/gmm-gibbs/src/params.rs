//! The sampler's settings (a builder) and `fit`, which validates them against the data and
//! runs the chains.

use gmm_core::{CovarianceType, Dataset, GmmError, InitMethod, Result, check_memory};
use gmm_vb::{PriorSpec, Priors, VbParams, WeightPrior};
use nalgebra::{DMatrix, DVector};
use rayon::prelude::*;

use crate::chain::{ChainPlan, run_chain};
use crate::draw::Draw;
use crate::fit::GibbsFit;
use crate::sampler::Sampler;

/// Default number of kept draws per chain.
pub const DEFAULT_DRAWS: usize = 1000;
/// Default number of discarded sweeps at the start of each chain.
pub const DEFAULT_BURN_IN: usize = 500;
/// Default number of chains.
pub const DEFAULT_CHAINS: usize = 4;
/// Default number of draws kept for the posterior predictive (what `score`, `predict` and
/// `predict_proba` average over, and what the model file keeps).
pub const DEFAULT_PREDICTIVE_DRAWS: usize = 200;
/// The largest model file the predictive's draws may make, about: fewer draws are kept
/// when `predictive_draws` of them would exceed it (a quarter of what a model file may be,
/// [`gmm_core::MAX_SIDE_FILE_BYTES`], so the file always reads back).
pub const MAX_PREDICTIVE_FILE_BYTES: u64 = gmm_core::MAX_SIDE_FILE_BYTES / 4;
/// R-hat above which a fit is flagged as not converged (Vehtari et al. 2021).
pub const RHAT_THRESHOLD: f64 = 1.01;

/// Settings of a Gibbs fit: the model (K, covariance type, VB's priors) and the chains.
///
/// The priors are VB's: one [`PriorSpec`], resolved by [`VbParams::resolve_priors`] into
/// [`gmm_vb::Priors`], so the sampler's defaults are VB's defaults and the two estimators
/// target the same model (docs/gibbs.md). There is no `reg_covar`: the target is the exact
/// posterior (the spec's `reg_covar_rule` only travels into the resolved priors).
///
/// ```
/// use gmm_core::{synthetic, CovarianceType, MixtureModel};
/// use gmm_gibbs::GibbsParams;
/// let sample = synthetic::draw(&synthetic::one_d_three_clusters(), 300, 2)?;
/// let fit = GibbsParams::new(3)
///     .covariance_type(CovarianceType::Spherical)
///     .draws(100)
///     .burn_in(50)
///     .chains(2)
///     .seed(1)
///     .fit(&sample.data)?;
/// assert_eq!(fit.draws().len(), 2);
/// assert_eq!(fit.draws()[0].len(), 100);
/// assert!(fit.score(&sample.data)?.is_finite()); // the posterior predictive of 200 draws
/// # Ok::<(), gmm_core::GmmError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct GibbsParams {
    pub(crate) n_components: usize,
    pub(crate) covariance_type: CovarianceType,
    pub(crate) spec: PriorSpec,
    pub(crate) draws: usize,
    pub(crate) burn_in: usize,
    pub(crate) chains: usize,
    pub(crate) seed: u64,
    pub(crate) init: InitMethod,
    pub(crate) max_memory: Option<u64>,
    pub(crate) predictive_draws: usize,
}

impl GibbsParams {
    /// `n_components` components, full covariances, VB's default priors, 4 chains of 500
    /// burn-in sweeps and 1000 kept draws, 200 of them kept for the posterior predictive,
    /// seed 0, k-means initialisation.
    pub fn new(n_components: usize) -> Self {
        Self {
            n_components,
            covariance_type: CovarianceType::Full,
            spec: PriorSpec::default(),
            draws: DEFAULT_DRAWS,
            burn_in: DEFAULT_BURN_IN,
            chains: DEFAULT_CHAINS,
            seed: 0,
            init: InitMethod::KMeans,
            max_memory: None,
            predictive_draws: DEFAULT_PREDICTIVE_DRAWS,
        }
    }

    /// The number of components K.
    pub fn n_components(mut self, k: usize) -> Self {
        self.n_components = k;
        self
    }

    /// The covariance type (default full).
    pub fn covariance_type(mut self, t: CovarianceType) -> Self {
        self.covariance_type = t;
        self
    }

    /// VB's prior settings as one specification (default: every prior at VB's default),
    /// replacing every prior setting made before (the builder methods below each set one
    /// field of it).
    pub fn prior_spec(mut self, spec: PriorSpec) -> Self {
        self.spec = spec;
        self
    }

    /// The prior settings (as given; resolved on data by [`GibbsParams::resolve_priors`]).
    pub fn prior_settings(&self) -> &PriorSpec {
        &self.spec
    }

    /// The prior on the weights: a Dirichlet distribution, or the Dirichlet process
    /// truncated at K sticks, sampled by blocked Gibbs (default, as VB's).
    pub fn weight_prior(mut self, p: WeightPrior) -> Self {
        self.spec.weight_prior = p;
        self
    }

    /// `beta0 > 0` (default VB's, 1).
    pub fn mean_precision_prior(mut self, beta0: f64) -> Self {
        self.spec.mean_precision = Some(beta0);
        self
    }

    /// `nu0 > D - 1` (default VB's, D).
    pub fn degrees_of_freedom_prior(mut self, nu0: f64) -> Self {
        self.spec.degrees_of_freedom = Some(nu0);
        self
    }

    /// `m0` (default VB's, the data mean).
    pub fn mean_prior(mut self, m0: DVector<f64>) -> Self {
        self.spec.mean = Some(m0);
        self
    }

    /// `W0^{-1}`, symmetric positive definite D x D (default VB's: the data covariance,
    /// reduced to the covariance type, with a ridge where it is singular).
    pub fn covariance_prior(mut self, c: DMatrix<f64>) -> Self {
        self.spec.covariance = Some(c);
        self
    }

    /// Draws kept per chain after burn-in (default 1000; at least 4, for split R-hat).
    pub fn draws(mut self, n: usize) -> Self {
        self.draws = n;
        self
    }

    /// How many of the relabelled draws the fit keeps for its posterior predictive (default
    /// 200; 0 keeps none): `score`, `predict` and `predict_proba` average over them, and the
    /// model file stores them (docs/gibbs.md, P1-P3). They are spread evenly over the chains
    /// and, within a chain, evenly over its draws; fewer are kept when there are fewer draws
    /// in all, or when the file would exceed [`MAX_PREDICTIVE_FILE_BYTES`]. With none the fit
    /// answers with the posterior-mean mixture.
    pub fn predictive_draws(mut self, n: usize) -> Self {
        self.predictive_draws = n;
        self
    }

    /// Sweeps discarded at the start of each chain (default 500; 0 allowed).
    pub fn burn_in(mut self, n: usize) -> Self {
        self.burn_in = n;
        self
    }

    /// Number of chains, run in parallel (default 4; at least 1). Chain `c` is seeded by a
    /// hash of (`seed`, `c`) ([`GibbsParams::chain_seed`]), for its initialisation and its
    /// draws.
    pub fn chains(mut self, n: usize) -> Self {
        self.chains = n;
        self
    }

    /// Seed of every random choice (default 0).
    pub fn seed(mut self, s: u64) -> Self {
        self.seed = s;
        self
    }

    /// How each chain's initial labels are chosen (default k-means); the first sweep draws
    /// the parameters given them.
    pub fn init(mut self, m: InitMethod) -> Self {
        self.init = m;
        self
    }

    /// The memory the fit may use, in bytes (default: what the machine allows); the kept
    /// draws count.
    pub fn max_memory(mut self, bytes: u64) -> Self {
        self.max_memory = Some(bytes);
        self
    }

    /// The VB parameters that carry the same model (K, covariance type, priors): used to
    /// resolve the priors, so that both estimators' defaults agree.
    pub fn vb_params(&self) -> VbParams {
        let mut vb = VbParams::new(self.n_components)
            .covariance_type(self.covariance_type)
            .prior_spec(self.spec.clone())
            .seed(self.seed)
            .init(self.init.clone());
        if let Some(bytes) = self.max_memory {
            vb = vb.max_memory(bytes);
        }
        vb
    }

    /// The priors on `data`, as VB resolves them.
    ///
    /// # Errors
    /// As [`VbParams::resolve_priors`].
    pub fn resolve_priors(&self, data: &Dataset) -> Result<Priors> {
        self.vb_params().resolve_priors(data)
    }

    /// Checks the sampler's own settings and the memory of the kept draws.
    ///
    /// # Errors
    /// [`GmmError::InvalidParameter`] naming `draws` (< 4) or `chains` (0);
    /// [`GmmError::MemoryLimit`] when the kept draws would not fit.
    pub fn check(&self, data: &Dataset) -> Result<()> {
        if data.has_missing() {
            return Err(GmmError::InvalidParameter {
                name: "data",
                value: "points with missing coordinates".into(),
                reason: "the Gibbs sampler does not marginalise missing values yet: fit EM \
                         or VB, or impute them"
                    .into(),
            });
        }
        if self.draws < 4 {
            return Err(GmmError::InvalidParameter {
                name: "draws",
                value: self.draws.to_string(),
                reason: "keep at least 4 draws per chain (split R-hat halves each chain)".into(),
            });
        }
        if self.chains == 0 {
            return Err(GmmError::InvalidParameter {
                name: "chains",
                value: "0".into(),
                reason: "run at least one chain".into(),
            });
        }
        let per_draw = Draw::f64s(self.covariance_type, self.n_components, data.n_features());
        let draws = (self.draws as u64).saturating_mul(self.chains as u64);
        let labels = (data.n_samples() as u64).saturating_mul(self.chains as u64);
        // the predictive's draws are mixtures: parameters, precision factors and kernel
        let predictive = per_draw.saturating_mul(3 * self.predictive_draws.min(1 << 20) as u64);
        let needed = per_draw
            .saturating_mul(draws)
            .saturating_add(predictive)
            .saturating_add(labels)
            .saturating_mul(8);
        check_memory(needed, self.max_memory, "the Gibbs draws")
    }

    /// Runs the chains on `data` and summarises them (docs/gibbs.md, G9, R1-R2, D1-D4).
    ///
    /// # Errors
    /// Any error of [`GibbsParams::check`] and [`GibbsParams::resolve_priors`] (bad settings
    /// named); [`GmmError::TooFewSamples`] when K exceeds N; errors of the initialisation;
    /// [`GmmError::InvalidParameter`] naming `data` when a draw overflows.
    pub fn fit(&self, data: &Dataset) -> Result<GibbsFit> {
        let priors = self.resolve_priors(data)?;
        self.check(data)?;
        let sampler = Sampler::new(priors, self.covariance_type, self.n_components)?;
        let inits = (0..self.chains)
            .map(|c| {
                self.init
                    .initial_responsibilities(data, self.n_components, self.chain_seed(c))
            })
            .collect::<Result<Vec<_>>>()?;
        let draws = inits
            .par_iter()
            .enumerate()
            .map(|(c, init)| {
                let plan = ChainPlan {
                    seed: self.chain_seed(c),
                    burn_in: self.burn_in,
                    draws: self.draws,
                };
                run_chain(&sampler, data, init, plan)
            })
            .collect::<Result<Vec<_>>>()?;
        GibbsFit::from_chains(self.clone(), sampler, data, draws)
    }

    /// The seed of chain `c`, a hash of (`seed`, `c`) (docs/gibbs.md, G8): for one chain
    /// index, different seeds give different chain seeds, so fits with seeds `s` and `s + 1`
    /// share no chain.
    pub fn chain_seed(&self, c: usize) -> u64 {
        crate::random::chain_seed(self.seed, c as u64)
    }

    /// Draws asked to be kept for the posterior predictive.
    pub fn predictive_draws_setting(&self) -> usize {
        self.predictive_draws
    }

    /// Draws kept per chain.
    pub fn draws_per_chain(&self) -> usize {
        self.draws
    }

    /// Burn-in sweeps per chain.
    pub fn burn_in_sweeps(&self) -> usize {
        self.burn_in
    }

    /// Number of chains.
    pub fn n_chains(&self) -> usize {
        self.chains
    }

    /// The seed.
    pub fn seed_value(&self) -> u64 {
        self.seed
    }

    /// The covariance type.
    pub fn covariance_type_setting(&self) -> CovarianceType {
        self.covariance_type
    }

    /// K.
    pub fn n_components_setting(&self) -> usize {
        self.n_components
    }
}
