//! What every iterative estimator is told besides its model: K, the covariance type, when to
//! stop, the regularisation, and how to start. [`FitControl`] holds these values with
//! scikit-learn's defaults and validates them in one place; EM's and VB's parameter types
//! embed it.

use crate::covariance::CovarianceType;
use crate::data::{Dataset, MAX_COLUMN_RANGE};
use crate::error::{GmmError, Result};
use crate::fit_record::FitRecord;
use crate::init::{DEFAULT_INIT_SAMPLE, InitMethod, InitialResponsibilities};
use crate::kernel::EStepKernel;
use crate::memory::{FitShape, check_memory, fit_bytes};
use crate::source::{PassSummary, Passes};
use crate::stats::SufficientStats;

/// scikit-learn's default convergence tolerance (EM: on the mean per-point log-likelihood;
/// VB, as scikit-learn's BayesianGaussianMixture, on the total ELBO, here for five changes
/// in a row).
pub const DEFAULT_TOL: f64 = 1e-3;
/// scikit-learn's default maximum number of iterations.
pub const DEFAULT_MAX_ITER: usize = 100;
/// scikit-learn's default regularisation added to the covariance diagonal.
pub const DEFAULT_REG_COVAR: f64 = 1e-6;

/// The settings an iterative mixture estimator shares with every other.
///
/// ```
/// use gmm_core::{Dataset, FitControl, GmmError};
/// let data = Dataset::from_slice_1d(&[0.0, 1.0, 2.0])?;
/// assert!(FitControl::new(2).check(&data).is_ok());
/// let mut bad = FitControl::new(2);
/// bad.tol = f64::NAN;
/// assert!(matches!(bad.check(&data), Err(GmmError::InvalidParameter { name: "tol", .. })));
/// # Ok::<(), GmmError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct FitControl {
    /// Number of components K (at least 1, at most N).
    pub n_components: usize,
    /// Covariance type (default full).
    pub covariance_type: CovarianceType,
    /// Convergence tolerance on the change of the per-point bound between two iterations
    /// (finite, >= 0; 0 runs exactly `max_iter` iterations).
    pub tol: f64,
    /// Maximum number of iterations per run (at least 1).
    pub max_iter: usize,
    /// Non-negative value added to the diagonal of every covariance (or scatter).
    pub reg_covar: f64,
    /// Number of runs from different initialisations (at least 1); the best bound wins.
    pub n_init: usize,
    /// How the initial responsibilities are chosen (default k-means).
    pub init: InitMethod,
    /// Seed of every random choice; run `i` uses `seed.wrapping_add(i)`.
    pub seed: u64,
    /// The memory a fit may use, in bytes (`None`: what the machine, the process's limits and
    /// its cgroup allow). A fit that would need more is refused before it allocates.
    pub max_memory: Option<u64>,
    /// How many points k-means (and k-means++, random-from-data) initialisation samples when
    /// the data come as a stream (default [`DEFAULT_INIT_SAMPLE`]).
    pub init_sample: usize,
}

impl FitControl {
    /// K components with scikit-learn's defaults.
    pub fn new(n_components: usize) -> Self {
        Self {
            n_components,
            covariance_type: CovarianceType::Full,
            tol: DEFAULT_TOL,
            max_iter: DEFAULT_MAX_ITER,
            reg_covar: DEFAULT_REG_COVAR,
            n_init: 1,
            init: InitMethod::KMeans,
            seed: 0,
            max_memory: None,
            init_sample: DEFAULT_INIT_SAMPLE,
        }
    }

    /// Checks every value, and K against the number of points of `data`.
    ///
    /// # Errors
    /// [`GmmError::InvalidParameter`] naming `n_components` (0), `tol` (negative or not
    /// finite), `max_iter` (0), `reg_covar` (negative or not finite) or `n_init` (0);
    /// [`GmmError::TooFewSamples`] when K exceeds the number of points (of positive weight);
    /// [`GmmError::DataRange`] when a column spans so widely that squared deviations
    /// overflow.
    pub fn check(&self, data: &Dataset) -> Result<()> {
        self.check_values()?;
        if self.n_components > data.n_counted() {
            return Err(GmmError::TooFewSamples {
                n_samples: data.n_counted(),
                n_components: self.n_components,
            });
        }
        data.check_observed_columns()?;
        data.check_range()?;
        self.check_memory(data, self.holds_full_matrices())
    }

    /// [`FitControl::check`] for data read as a stream: the values, then K, the columns'
    /// ranges and the memory from a first pass's summary (the memory counts one batch of
    /// points and the initialisation's sample, not N). Returns the summary.
    ///
    /// # Errors
    /// As [`FitControl::check`], and errors of the pass.
    pub fn check_passes(
        &self,
        passes: &mut Passes<'_>,
        full_matrices: bool,
    ) -> Result<PassSummary> {
        self.check_values()?;
        let summary = passes.summary()?;
        if self.n_components > summary.n_counted {
            return Err(GmmError::TooFewSamples {
                n_samples: summary.n_counted,
                n_components: self.n_components,
            });
        }
        for (j, (low, high)) in summary
            .column_low
            .iter()
            .zip(&summary.column_high)
            .enumerate()
        {
            if low > high {
                // no observed value (every entry missing)
                return Err(GmmError::AllMissingColumn { column: j });
            }
            let range = high - low;
            if range.is_nan() || range > MAX_COLUMN_RANGE {
                return Err(GmmError::DataRange { column: j, range });
            }
        }
        let d = passes.n_features();
        let held = EStepKernel::batch_rows(d) + self.init_sample.min(summary.n_samples);
        self.check_memory_of(held, d, full_matrices)?;
        Ok(summary)
    }

    /// Whether the covariance type keeps D x D matrices (full, tied).
    fn holds_full_matrices(&self) -> bool {
        matches!(
            self.covariance_type,
            CovarianceType::Full | CovarianceType::Tied
        )
    }

    /// Checks the settings' own values.
    fn check_values(&self) -> Result<()> {
        let invalid = |name: &'static str, value: String, reason: &str| {
            Err(GmmError::InvalidParameter {
                name,
                value,
                reason: reason.to_string(),
            })
        };
        if self.n_components == 0 {
            return invalid(
                "n_components",
                "0".into(),
                "a mixture needs at least one component",
            );
        }
        if !(self.tol.is_finite() && self.tol >= 0.0) {
            return invalid(
                "tol",
                self.tol.to_string(),
                "the tolerance must be finite and >= 0 (0 runs exactly max_iter iterations)",
            );
        }
        if self.max_iter == 0 {
            return invalid(
                "max_iter",
                "0".into(),
                "run at least one iteration (max_iter >= 1)",
            );
        }
        if !(self.reg_covar.is_finite() && self.reg_covar >= 0.0) {
            return invalid(
                "reg_covar",
                self.reg_covar.to_string(),
                "the regularisation must be finite and >= 0 (scikit-learn's default is 1e-6)",
            );
        }
        if self.n_init == 0 {
            return invalid(
                "n_init",
                "0".into(),
                "run at least one initialisation (n_init >= 1)",
            );
        }
        if self.init_sample == 0 {
            return invalid(
                "init_sample",
                "0".into(),
                "the initialisation of a stream samples at least one point",
            );
        }
        Ok(())
    }

    /// Refuses a fit whose estimate (`fit_bytes`) exceeds
    /// [`FitControl::max_memory`] (or the machine's limit); `full_matrices`: whether the
    /// estimator holds D x D matrices (EM and VB do for full and tied covariances only: VB's
    /// Wishart posteriors and priors have the storage of the covariance type).
    ///
    /// # Errors
    /// [`GmmError::MemoryLimit`].
    pub fn check_memory(&self, data: &Dataset, full_matrices: bool) -> Result<()> {
        self.check_memory_of(data.n_samples(), data.n_features(), full_matrices)
    }

    /// [`FitControl::check_memory`] for `n` points of dimension `d` held in memory.
    fn check_memory_of(&self, n: usize, d: usize, full_matrices: bool) -> Result<()> {
        let shape = FitShape {
            n,
            d,
            k: self.n_components,
            full_matrices,
            tied: self.covariance_type == CovarianceType::Tied,
        };
        let rows = EStepKernel::chunk_rows(d);
        let needed = fit_bytes(shape, rows, rayon::current_num_threads());
        check_memory(needed, self.max_memory, "the fit")
    }

    /// The seed of run `restart` (0-based): `seed.wrapping_add(restart)`.
    pub fn restart_seed(&self, restart: usize) -> u64 {
        self.seed.wrapping_add(restart as u64)
    }

    /// The initial statistics of run `restart` over the points of `passes` (see
    /// [`InitMethod::initial_stats`]).
    ///
    /// # Errors
    /// As [`InitMethod::initial_stats`].
    pub fn initial_stats(
        &self,
        passes: &mut Passes<'_>,
        restart: usize,
    ) -> Result<SufficientStats> {
        self.init.initial_stats(
            passes,
            self.n_components,
            self.restart_seed(restart),
            self.covariance_type.scatter_kind(),
            self.init_sample,
        )
    }

    /// The initial responsibilities of run `restart`.
    ///
    /// # Errors
    /// As [`InitMethod::initial_responsibilities`].
    pub fn initial_responsibilities(
        &self,
        data: &Dataset,
        restart: usize,
    ) -> Result<InitialResponsibilities> {
        self.init
            .initial_responsibilities(data, self.n_components, self.restart_seed(restart))
    }
}

/// Runs `run(restart)` once per restart of `control` (run `i` starts from
/// [`FitControl::initial_stats`] or [`FitControl::initial_responsibilities`] of restart `i`)
/// and keeps the result with the largest final bound (ties: the earliest), recording every
/// restart's final bound and the winner's index in its [`FitRecord`] (reached through
/// `record`). The first error of a run is returned as it is.
///
/// # Errors
/// Whatever `run` returns.
pub fn best_of_restarts<T>(
    control: &FitControl,
    mut run: impl FnMut(usize) -> Result<T>,
    record: impl Fn(&mut T) -> &mut FitRecord,
) -> Result<T> {
    let n_restarts = control.n_init.max(1);
    let mut bounds = Vec::with_capacity(n_restarts);
    let mut best: Option<(T, usize)> = None;
    for restart in 0..n_restarts {
        let mut fit = run(restart)?;
        let bound = record(&mut fit).lower_bound();
        bounds.push(bound);
        if best.as_ref().is_none_or(|(_, b)| bound > bounds[*b]) {
            best = Some((fit, restart));
        }
    }
    let (mut fit, winner) = best.expect("at least one restart ran");
    record(&mut fit).set_restarts(bounds, winner);
    Ok(fit)
}

/// The builder methods of the [`FitControl`] settings, and `control()` to read them, written
/// once for every estimator's parameters type that holds them in a field named `control` (`gmm-em`'s
/// `EmParams`, `gmm-vb`'s `VbParams`). Invoke it inside the type's `impl` block.
#[macro_export]
macro_rules! fit_control_methods {
    () => {
        /// The number of components K.
        pub fn n_components(mut self, k: usize) -> Self {
            self.control.n_components = k;
            self
        }

        /// The covariance type (default full).
        pub fn covariance_type(mut self, t: $crate::CovarianceType) -> Self {
            self.control.covariance_type = t;
            self
        }

        /// Convergence tolerance (default 1e-3): the fit stops when its bound (EM: the mean
        /// log-likelihood per point; VB: the total ELBO, as scikit-learn) changes by less than
        /// `tol` between two iterations (VB: five times in a row). Finite and `>= 0`; 0 runs
        /// exactly `max_iter` iterations.
        pub fn tol(mut self, tol: f64) -> Self {
            self.control.tol = tol;
            self
        }

        /// Maximum number of iterations (E-step then M-step) per run; at least 1 (default 100).
        pub fn max_iter(mut self, n: usize) -> Self {
            self.control.max_iter = n;
            self
        }

        /// Non-negative regularisation (default 1e-6) added to the diagonal of every
        /// covariance (EM) or of every component's scatter per point (VB, as scikit-learn);
        /// to the variances for diagonal and spherical covariances.
        pub fn reg_covar(mut self, r: f64) -> Self {
            self.control.reg_covar = r;
            self
        }

        /// Number of runs from different initialisations (default 1); the run with the best
        /// final bound wins. Run `i` (0-based) uses seed `seed.wrapping_add(i)`.
        pub fn n_init(mut self, n: usize) -> Self {
            self.control.n_init = n;
            self
        }

        /// How the initial responsibilities are chosen (default k-means).
        pub fn init(mut self, m: $crate::InitMethod) -> Self {
            self.control.init = m;
            self
        }

        /// Seed of every random choice (default 0).
        pub fn seed(mut self, s: u64) -> Self {
            self.control.seed = s;
            self
        }

        /// The memory the fit may use, in bytes (default: what the machine, the process's
        /// limits and its cgroup allow); a fit that would need more is refused before it
        /// allocates.
        pub fn max_memory(mut self, bytes: u64) -> Self {
            self.control.max_memory = Some(bytes);
            self
        }

        /// How many points k-means initialisation samples when the data come as a stream
        /// (default [`DEFAULT_INIT_SAMPLE`]($crate::DEFAULT_INIT_SAMPLE)); data in memory
        /// are always initialised from every point.
        pub fn init_sample(mut self, n: usize) -> Self {
            self.control.init_sample = n;
            self
        }

        /// The shared settings.
        pub fn control(&self) -> &$crate::FitControl {
            &self.control
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_bad_value_is_named() {
        let data = Dataset::from_slice_1d(&[0.0, 1.0, 2.0]).unwrap();
        type Spoil = fn(&mut FitControl);
        let cases: [(&str, Spoil); 6] = [
            ("n_components", |c| c.n_components = 0),
            ("tol", |c| c.tol = -1.0),
            ("tol", |c| c.tol = f64::NAN),
            ("max_iter", |c| c.max_iter = 0),
            ("reg_covar", |c| c.reg_covar = f64::INFINITY),
            ("n_init", |c| c.n_init = 0),
        ];
        for (name, spoil) in cases {
            let mut c = FitControl::new(2);
            spoil(&mut c);
            match c.check(&data) {
                Err(GmmError::InvalidParameter { name: got, .. }) => assert_eq!(got, name),
                other => panic!("{name}: expected InvalidParameter, got {other:?}"),
            }
        }
        assert!(matches!(
            FitControl::new(4).check(&data),
            Err(GmmError::TooFewSamples {
                n_samples: 3,
                n_components: 4
            })
        ));
    }

    #[test]
    fn the_best_restart_wins_and_seeds_follow_the_restart() {
        let data = Dataset::from_slice_1d(&[0.0, 1.0, 2.0, 5.0]).unwrap();
        let mut control = FitControl::new(2);
        control.n_init = 4;
        control.init = InitMethod::Random;
        let mut seen = Vec::new();
        let (best, record) = best_of_restarts(
            &control,
            |restart| {
                seen.push(control.initial_responsibilities(&data, restart).unwrap());
                // Run i's bound is -|i - 3|: the fourth run (index 2) wins, ties to the earlier.
                let mut record = FitRecord::new(crate::Estimator::Em);
                record.push_bound(-((seen.len() as f64) - 3.0).abs(), 1.0, 0.0);
                record.finish(false);
                Ok((seen.len(), record))
            },
            |fit| &mut fit.1,
        )
        .unwrap();
        assert_eq!(best, 3);
        assert_eq!(record.restart_lower_bounds(), &[-2.0, -1.0, 0.0, -1.0]);
        assert_eq!(record.best_restart(), 2);
        assert_eq!(
            seen[1],
            InitMethod::Random
                .initial_responsibilities(&data, 2, 1)
                .unwrap()
        );
        assert_ne!(seen[0], seen[1]);
    }
}
