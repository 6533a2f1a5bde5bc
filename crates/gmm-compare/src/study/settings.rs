//! What a study runs: the grid (sample sizes, replicates), the truth the data come from, the
//! methods, and the stopping rules; checked in one place ([`StudySettings::check`]).

use serde::{Deserialize, Serialize};

use gmm_core::{
    CovarianceType, Dataset, GaussianMixture, GmmError, MixtureModel as _, Result, check_memory,
    synthetic,
};

use crate::compare::{COMPARISON_MAX_ITER, COMPARISON_TOL};

/// The names of the built-in synthetic scenarios ([`TrueScenario::synthetic`]).
pub const SYNTHETIC_SCENARIOS: [&str; 2] = ["one-d-three-clusters", "two-d-three-clusters"];

/// The K-selection fits' default tolerance: looser than [`COMPARISON_TOL`], because only
/// the argmax of BIC or of the ELBO over K is kept, and a choice of K does not move between
/// 1e-6 and 1e-10 (docs/comparison.md, "Replicated studies").
pub const SELECTION_TOL: f64 = 1e-6;

/// The K-selection fits' default iteration limit.
pub const SELECTION_MAX_ITER: usize = 1000;

/// The default number of bootstrap resamples of each cell's mean.
pub const DEFAULT_BOOTSTRAP_RESAMPLES: usize = 1000;

/// The Gibbs sampler's draws kept per chain in a study: fewer than `gmm fit`'s 1000, since
/// a study runs it once per (N, replicate) and uses only its held-out density and labels.
pub const STUDY_GIBBS_DRAWS: usize = 250;

/// The Gibbs sampler's burn-in sweeps per chain in a study.
pub const STUDY_GIBBS_BURN_IN: usize = 250;

/// The Gibbs sampler's chains in a study.
pub const STUDY_GIBBS_CHAINS: usize = 2;

/// At most this many fits in one study (sizes x replicates x methods): the run records are
/// kept in memory.
pub const MAX_RUNS: usize = 10_000_000;

/// An estimator a study compares.
///
/// Every method of one (N, replicate) fits the same training points from the same initial
/// responsibilities. New estimators (the Gibbs sampler) join as new variants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum StudyMethod {
    /// EM with the default regularisation `reg_covar = 1e-6`.
    Em,
    /// EM with `reg_covar = 0`: the maximum-likelihood fit as the theory has it, which can
    /// hit a singular component.
    EmNoReg,
    /// MAP-EM (gmm-em [`gmm_em::MapParams`]) under the study's Normal-Wishart prior (VB's
    /// defaults, resolved on the unit's training points as VB and Gibbs resolve theirs) and
    /// a flat Dirichlet distribution on the weights (concentration 1: MAP-EM needs a
    /// Dirichlet distribution with concentration >= 1, where VB and Gibbs use VB's
    /// Dirichlet process with concentration 1/K); `reg_covar = 0`.
    Map,
    /// Variational Bayes with the default priors (Dirichlet-process weights).
    Vb,
    /// The Gibbs sampler (gmm-gibbs) under VB's priors: the exact posterior, its held-out
    /// density the average over the kept draws.
    Gibbs,
}

impl StudyMethod {
    /// Every method, in the order of tables and plots.
    pub const ALL: [StudyMethod; 5] = [Self::Em, Self::EmNoReg, Self::Map, Self::Vb, Self::Gibbs];

    /// The name used in files and on the command line (`em`, `em-noreg`, `map`, `vb`,
    /// `gibbs`).
    pub fn name(self) -> &'static str {
        match self {
            Self::Em => "em",
            Self::EmNoReg => "em-noreg",
            Self::Map => "map",
            Self::Vb => "vb",
            Self::Gibbs => "gibbs",
        }
    }

    /// A label for plots and tables.
    pub fn label(self) -> &'static str {
        match self {
            Self::Em => "EM",
            Self::EmNoReg => "EM, reg_covar 0",
            Self::Map => "MAP-EM",
            Self::Vb => "VB",
            Self::Gibbs => "Gibbs",
        }
    }

    /// The method called `name` ([`StudyMethod::name`]).
    ///
    /// # Errors
    /// [`GmmError::InvalidParameter`] naming the known methods.
    pub fn from_name(name: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|m| m.name() == name)
            .ok_or_else(|| GmmError::InvalidParameter {
                name: "methods",
                value: name.to_string(),
                reason: format!(
                    "unknown method: use {}",
                    Self::ALL.map(StudyMethod::name).join(", ")
                ),
            })
    }

    /// Whether this method is EM (either regularisation).
    pub fn is_em(self) -> bool {
        matches!(self, Self::Em | Self::EmNoReg)
    }
}

/// Where the points of a study come from.
#[derive(Debug, Clone)]
pub enum TrueScenario {
    /// A known mixture: every run draws fresh training and test points from it.
    Synthetic {
        /// A short name (files, reports).
        name: String,
        /// The mixture.
        mixture: GaussianMixture,
    },
    /// A data set: every run subsamples its training and test points from it without
    /// replacement (disjoint).
    Data {
        /// A short name (files, reports).
        name: String,
        /// The points.
        data: Dataset,
        /// The true class of every point, if known (for the adjusted Rand index).
        labels: Option<Vec<usize>>,
    },
}

impl TrueScenario {
    /// The built-in synthetic scenario called `name` (one of [`SYNTHETIC_SCENARIOS`]).
    ///
    /// # Errors
    /// [`GmmError::InvalidParameter`] naming the scenarios there are.
    pub fn synthetic(name: &str) -> Result<Self> {
        let mixture = match name {
            "one-d-three-clusters" => synthetic::one_d_three_clusters(),
            "two-d-three-clusters" => synthetic::two_d_three_clusters(),
            _ => {
                return Err(GmmError::InvalidParameter {
                    name: "scenario",
                    value: name.to_string(),
                    reason: format!(
                        "unknown scenario: use {}, or give a data file",
                        SYNTHETIC_SCENARIOS.join(", ")
                    ),
                });
            }
        };
        Ok(Self::Synthetic {
            name: name.to_string(),
            mixture,
        })
    }

    /// The scenario's name.
    pub fn name(&self) -> &str {
        match self {
            Self::Synthetic { name, .. } | Self::Data { name, .. } => name,
        }
    }

    /// The dimension D of its points.
    pub fn n_features(&self) -> usize {
        match self {
            Self::Synthetic { mixture, .. } => mixture.n_features(),
            Self::Data { data, .. } => data.n_features(),
        }
    }

    /// Whether the true class of every point is known.
    pub fn has_labels(&self) -> bool {
        match self {
            Self::Synthetic { .. } => true,
            Self::Data { labels, .. } => labels.is_some(),
        }
    }
}

/// The settings of a replicated study ([`crate::run_study`]).
///
/// For every sample size N and replicate r, one run draws N training points and
/// `test_size` held-out points (fresh from a synthetic mixture, or subsampled without
/// replacement from a data set) with a seed derived from (`seed`, N's index, r), and every
/// method fits the same training points with `n_components` components from the same k-means
/// start. With `max_k`, EM also chooses K by BIC and VB by its ELBO over `1..=max_k`, and VB
/// counts its effective components at K = `max_k`.
#[derive(Debug, Clone)]
pub struct StudySettings {
    /// The sample sizes N (training points), in the order of the report.
    pub sizes: Vec<usize>,
    /// Replicates per sample size.
    pub replicates: usize,
    /// K of the fits.
    pub n_components: usize,
    /// The largest K of the choice of K (`None`: no choice of K).
    pub max_k: Option<usize>,
    /// Where the points come from.
    pub scenario: TrueScenario,
    /// The methods compared (no repeats).
    pub methods: Vec<StudyMethod>,
    /// Held-out points per run, for the held-out log predictive density and the ARI.
    pub test_size: usize,
    /// The study's seed; each run's is derived from it.
    pub seed: u64,
    /// Bootstrap resamples of each cell's mean for its 95% interval.
    pub bootstrap_resamples: usize,
    /// Covariance type of every fit (default full).
    pub covariance_type: CovarianceType,
    /// The Gibbs sampler's draws kept per chain (default [`STUDY_GIBBS_DRAWS`]).
    pub gibbs_draws: usize,
    /// The Gibbs sampler's burn-in sweeps per chain (default [`STUDY_GIBBS_BURN_IN`]).
    pub gibbs_burn_in: usize,
    /// The Gibbs sampler's chains (default [`STUDY_GIBBS_CHAINS`]).
    pub gibbs_chains: usize,
    /// Tolerance of the fits at K = `n_components` (default [`COMPARISON_TOL`]).
    pub tol: f64,
    /// Iteration limit of those fits (default [`COMPARISON_MAX_ITER`]).
    pub max_iter: usize,
    /// Tolerance of the K-selection fits (default [`SELECTION_TOL`]).
    pub selection_tol: f64,
    /// Iteration limit of the K-selection fits (default [`SELECTION_MAX_ITER`]).
    pub selection_max_iter: usize,
    /// VB's components count as effective above this weight (default 1e-2).
    pub weight_threshold: f64,
}

impl StudySettings {
    /// A study of `scenario` at `sizes` with K = `n_components`: 50 replicates, EM and VB,
    /// 1000 held-out points, seed 0, no choice of K, the comparison's stopping rule.
    pub fn new(scenario: TrueScenario, sizes: Vec<usize>, n_components: usize) -> Self {
        Self {
            sizes,
            replicates: 50,
            n_components,
            max_k: None,
            scenario,
            methods: vec![StudyMethod::Em, StudyMethod::Vb],
            test_size: 1000,
            seed: 0,
            bootstrap_resamples: DEFAULT_BOOTSTRAP_RESAMPLES,
            covariance_type: CovarianceType::Full,
            gibbs_draws: STUDY_GIBBS_DRAWS,
            gibbs_burn_in: STUDY_GIBBS_BURN_IN,
            gibbs_chains: STUDY_GIBBS_CHAINS,
            tol: COMPARISON_TOL,
            max_iter: COMPARISON_MAX_ITER,
            selection_tol: SELECTION_TOL,
            selection_max_iter: SELECTION_MAX_ITER,
            weight_threshold: gmm_vb::DEFAULT_WEIGHT_THRESHOLD,
        }
    }

    /// Sets the number of replicates.
    pub fn replicates(mut self, r: usize) -> Self {
        self.replicates = r;
        self
    }

    /// Sets the largest K of the choice of K.
    pub fn max_k(mut self, k: usize) -> Self {
        self.max_k = Some(k);
        self
    }

    /// Sets the methods.
    pub fn methods(mut self, methods: Vec<StudyMethod>) -> Self {
        self.methods = methods;
        self
    }

    /// Sets the number of held-out points per run.
    pub fn test_size(mut self, n: usize) -> Self {
        self.test_size = n;
        self
    }

    /// Sets the seed.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Sets the number of bootstrap resamples.
    pub fn bootstrap_resamples(mut self, b: usize) -> Self {
        self.bootstrap_resamples = b;
        self
    }

    /// Checks every setting.
    ///
    /// # Errors
    /// [`GmmError::InvalidParameter`] naming the setting (`sizes`, `replicates`,
    /// `n_components`, `max_k`, `methods`, `test_size`, `bootstrap_resamples`, `tol`,
    /// `max_iter`, `weight_threshold`): empty or repeated sizes, a size below K or `max_k`,
    /// zero replicates, no methods or a repeated one, more runs than [`MAX_RUNS`]; for a
    /// data set, a size plus `test_size` above its number of points, or labels of another
    /// length ([`GmmError::ShapeMismatch`]); [`GmmError::MemoryLimit`] when the points of
    /// the concurrent runs would not fit in memory.
    pub fn check(&self) -> Result<()> {
        self.check_sizes()?;
        self.check_counts()?;
        self.check_stopping()?;
        self.check_scenario()?;
        let largest = self.sizes.iter().max().copied().unwrap_or(0);
        let per_run = (largest as u64)
            .saturating_add(self.test_size as u64)
            .saturating_mul(self.scenario.n_features() as u64)
            .saturating_mul(8);
        check_memory(
            per_run.saturating_mul(4 * rayon::current_num_threads() as u64),
            None,
            "the study's concurrent runs (points and their copies)",
        )
    }

    fn check_sizes(&self) -> Result<()> {
        let invalid = |name, value: String, reason: &str| GmmError::InvalidParameter {
            name,
            value,
            reason: reason.into(),
        };
        if self.n_components == 0 {
            return Err(invalid(
                "n_components",
                "0".into(),
                "use 1 or more components",
            ));
        }
        if let Some(k) = self.max_k
            && k == 0
        {
            return Err(invalid(
                "max_k",
                "0".into(),
                "give a largest K of 1 or more",
            ));
        }
        if self.sizes.is_empty() {
            return Err(invalid(
                "sizes",
                "[]".into(),
                "give at least one sample size",
            ));
        }
        let needed = self.n_components.max(self.max_k.unwrap_or(0));
        for (i, &n) in self.sizes.iter().enumerate() {
            if n < needed {
                return Err(invalid(
                    "sizes",
                    n.to_string(),
                    &format!(
                        "every sample size must be at least K and the largest K ({needed}): \
                         raise it or lower K"
                    ),
                ));
            }
            if self.sizes[..i].contains(&n) {
                return Err(invalid(
                    "sizes",
                    n.to_string(),
                    "give each sample size once",
                ));
            }
        }
        Ok(())
    }

    fn check_counts(&self) -> Result<()> {
        let invalid = |name, value: String, reason: &str| GmmError::InvalidParameter {
            name,
            value,
            reason: reason.into(),
        };
        if self.replicates == 0 {
            return Err(invalid(
                "replicates",
                "0".into(),
                "run at least one replicate",
            ));
        }
        if self.test_size == 0 {
            return Err(invalid(
                "test_size",
                "0".into(),
                "hold out at least one point (for example 1000)",
            ));
        }
        if self.bootstrap_resamples == 0 || self.bootstrap_resamples > 1_000_000 {
            return Err(invalid(
                "bootstrap_resamples",
                self.bootstrap_resamples.to_string(),
                "use between 1 and 1000000 resamples (for example 1000)",
            ));
        }
        if self.methods.is_empty() {
            return Err(invalid(
                "methods",
                "none".into(),
                "give at least one method",
            ));
        }
        for (i, m) in self.methods.iter().enumerate() {
            if self.methods[..i].contains(m) {
                return Err(invalid("methods", m.name().into(), "give each method once"));
            }
        }
        let runs = self
            .sizes
            .len()
            .saturating_mul(self.replicates)
            .saturating_mul(self.methods.len());
        if runs > MAX_RUNS {
            return Err(invalid(
                "replicates",
                self.replicates.to_string(),
                &format!("{runs} fits exceed the study's limit of {MAX_RUNS}: use fewer"),
            ));
        }
        Ok(())
    }

    fn check_stopping(&self) -> Result<()> {
        for (name, tol) in [("tol", self.tol), ("tol", self.selection_tol)] {
            if !(tol.is_finite() && tol >= 0.0) {
                return Err(GmmError::InvalidParameter {
                    name,
                    value: tol.to_string(),
                    reason: "use a finite value >= 0".into(),
                });
            }
        }
        if self.max_iter == 0 || self.selection_max_iter == 0 {
            return Err(GmmError::InvalidParameter {
                name: "max_iter",
                value: "0".into(),
                reason: "run at least one iteration".into(),
            });
        }
        if !(self.weight_threshold.is_finite() && (0.0..1.0).contains(&self.weight_threshold)) {
            return Err(GmmError::InvalidParameter {
                name: "weight_threshold",
                value: self.weight_threshold.to_string(),
                reason: "give a weight in [0, 1), for example 0.01".into(),
            });
        }
        Ok(())
    }

    fn check_scenario(&self) -> Result<()> {
        let TrueScenario::Data { data, labels, .. } = &self.scenario else {
            return Ok(());
        };
        if let Some(l) = labels
            && l.len() != data.n_samples()
        {
            return Err(GmmError::ShapeMismatch {
                what: "number of true labels against the number of points".into(),
                expected: data.n_samples(),
                found: l.len(),
            });
        }
        let largest = self.sizes.iter().max().copied().unwrap_or(0);
        if largest.saturating_add(self.test_size) > data.n_samples() {
            return Err(GmmError::InvalidParameter {
                name: "sizes",
                value: largest.to_string(),
                reason: format!(
                    "the data set has {} points, fewer than the largest sample size plus the \
                     {} held-out points: subsampling is without replacement, so lower the \
                     sizes or test_size",
                    data.n_samples(),
                    self.test_size
                ),
            });
        }
        Ok(())
    }
}

/// The settings as the report records them (no points).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StudyDescription {
    /// The scenario's name.
    pub scenario: String,
    /// `"synthetic"` or `"data"`.
    pub scenario_kind: String,
    /// Dimension D.
    pub n_features: usize,
    /// The sample sizes.
    pub sizes: Vec<usize>,
    /// Replicates per size.
    pub replicates: usize,
    /// K of the fits.
    pub n_components: usize,
    /// Largest K of the choice of K.
    pub max_k: Option<usize>,
    /// The methods.
    pub methods: Vec<StudyMethod>,
    /// Held-out points per run.
    pub test_size: usize,
    /// The study's seed.
    pub seed: u64,
    /// Bootstrap resamples.
    pub bootstrap_resamples: usize,
    /// Covariance type.
    pub covariance_type: CovarianceType,
    /// Tolerance of the fits at K.
    pub tol: f64,
    /// Iteration limit of the fits at K.
    pub max_iter: usize,
    /// Tolerance of the K-selection fits.
    pub selection_tol: f64,
    /// Iteration limit of the K-selection fits.
    pub selection_max_iter: usize,
    /// Weight threshold of VB's effective components.
    pub weight_threshold: f64,
}

impl StudySettings {
    /// The settings as a report records them.
    pub fn describe(&self) -> StudyDescription {
        StudyDescription {
            scenario: self.scenario.name().to_string(),
            scenario_kind: match self.scenario {
                TrueScenario::Synthetic { .. } => "synthetic",
                TrueScenario::Data { .. } => "data",
            }
            .into(),
            n_features: self.scenario.n_features(),
            sizes: self.sizes.clone(),
            replicates: self.replicates,
            n_components: self.n_components,
            max_k: self.max_k,
            methods: self.methods.clone(),
            test_size: self.test_size,
            seed: self.seed,
            bootstrap_resamples: self.bootstrap_resamples,
            covariance_type: self.covariance_type,
            tol: self.tol,
            max_iter: self.max_iter,
            selection_tol: self.selection_tol,
            selection_max_iter: self.selection_max_iter,
            weight_threshold: self.weight_threshold,
        }
    }
}
