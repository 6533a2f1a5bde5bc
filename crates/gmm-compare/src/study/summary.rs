//! The per-cell summaries of a study (N x method x measure): the mean over replicates and a
//! 95% percentile bootstrap interval, seeded.

use rand::{RngExt, SeedableRng, rngs::StdRng};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::running::{StudyRun, derive_seed};
use super::settings::{StudyDescription, StudyMethod, StudySettings};

/// A quantity measured on every run of a study.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Measure {
    /// Mean log predictive density of the held-out points.
    HoldoutLogPredictive,
    /// Adjusted Rand index on the held-out points.
    AdjustedRandIndex,
    /// K chosen by EM's BIC.
    KBic,
    /// K chosen by VB's ELBO.
    KElbo,
    /// VB's effective components.
    KEffective,
    /// 1 for a fit that hit a singular component, else 0 (the mean is the share).
    Singular,
    /// 1 for a converged fit, else 0 (failed fits left out).
    Converged,
    /// Wall time of the fit at K, in seconds.
    WallTime,
}

impl Measure {
    /// Every measure, in the order of the report.
    pub const ALL: [Measure; 8] = [
        Self::HoldoutLogPredictive,
        Self::AdjustedRandIndex,
        Self::KBic,
        Self::KElbo,
        Self::KEffective,
        Self::Singular,
        Self::Converged,
        Self::WallTime,
    ];

    /// The name in files (`holdout_log_predictive`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Self::HoldoutLogPredictive => "holdout_log_predictive",
            Self::AdjustedRandIndex => "adjusted_rand_index",
            Self::KBic => "k_bic",
            Self::KElbo => "k_elbo",
            Self::KEffective => "k_effective",
            Self::Singular => "singular",
            Self::Converged => "converged",
            Self::WallTime => "wall_time_seconds",
        }
    }

    /// A label for plot axes and tables.
    pub fn label(self) -> &'static str {
        match self {
            Self::HoldoutLogPredictive => "held-out mean log predictive density",
            Self::AdjustedRandIndex => "adjusted Rand index (held out)",
            Self::KBic => "K chosen by BIC",
            Self::KElbo => "K chosen by the ELBO",
            Self::KEffective => "VB's effective components",
            Self::Singular => "share of fits with a singular component",
            Self::Converged => "share of fits converged",
            Self::WallTime => "wall time of a fit (s)",
        }
    }

    /// The value of this measure on `run`, if it has one.
    pub fn of(self, run: &StudyRun) -> Option<f64> {
        let flag = |b: bool| if b { 1.0 } else { 0.0 };
        match self {
            Self::HoldoutLogPredictive => run.holdout_log_predictive,
            Self::AdjustedRandIndex => run.adjusted_rand_index,
            Self::KBic => run.k_bic.map(|k| k as f64),
            Self::KElbo => run.k_elbo.map(|k| k as f64),
            Self::KEffective => run.k_effective.map(|k| k as f64),
            Self::Singular => Some(flag(run.singular)),
            Self::Converged => run.converged.map(flag),
            Self::WallTime => Some(run.wall_time_seconds),
        }
    }
}

/// One cell of a study: a measure of a method at a sample size, over the replicates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CellSummary {
    /// Training points N.
    pub n: usize,
    /// The method.
    pub method: StudyMethod,
    /// The measure.
    pub measure: Measure,
    /// Replicates with a value (failed fits have no held-out density, for example).
    pub count: usize,
    /// Mean over those replicates (`None` when none has a value).
    pub mean: Option<f64>,
    /// Lower end of the 95% percentile bootstrap interval of the mean.
    pub lower: Option<f64>,
    /// Upper end of the interval.
    pub upper: Option<f64>,
}

/// A finished study: its settings, every run in grid order (N, then replicate, then
/// method), and every cell.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StudyReport {
    /// The settings (without the points).
    pub settings: StudyDescription,
    /// Every run.
    pub runs: Vec<StudyRun>,
    /// Every cell with at least one value, in the order N, method, measure.
    pub cells: Vec<CellSummary>,
}

impl StudyReport {
    /// The cell of `measure` for `method` at `n`, if it has values.
    pub fn cell(&self, n: usize, method: StudyMethod, measure: Measure) -> Option<&CellSummary> {
        self.cells
            .iter()
            .find(|c| c.n == n && c.method == method && c.measure == measure)
    }

    /// The cells of one measure and method, in increasing N... in the order of the sizes.
    pub fn series(&self, method: StudyMethod, measure: Measure) -> Vec<&CellSummary> {
        self.cells
            .iter()
            .filter(|c| c.method == method && c.measure == measure)
            .collect()
    }
}

/// The cells of `runs` (grid order), each with its bootstrap interval.
pub(crate) fn summarise(settings: &StudySettings, runs: Vec<StudyRun>) -> StudyReport {
    let mut keys = Vec::new();
    for &n in &settings.sizes {
        for &method in &settings.methods {
            for measure in Measure::ALL {
                keys.push((n, method, measure));
            }
        }
    }
    let cells: Vec<CellSummary> = keys
        .par_iter()
        .enumerate()
        .filter_map(|(index, &(n, method, measure))| {
            let values: Vec<f64> = runs
                .iter()
                .filter(|r| r.n == n && r.method == method)
                .filter_map(|r| measure.of(r))
                .collect();
            if values.is_empty() {
                return None;
            }
            let seed = derive_seed(settings.seed ^ BOOTSTRAP_STREAM, index as u64, 0);
            let (lower, upper) = bootstrap_interval(&values, settings.bootstrap_resamples, seed);
            Some(CellSummary {
                n,
                method,
                measure,
                count: values.len(),
                mean: Some(mean(&values)),
                lower: Some(lower),
                upper: Some(upper),
            })
        })
        .collect();
    StudyReport {
        settings: settings.describe(),
        runs,
        cells,
    }
}

/// Keeps the bootstrap's seeds apart from the runs'.
const BOOTSTRAP_STREAM: u64 = 0xB007_5724_9000_0001;

fn mean(values: &[f64]) -> f64 {
    values.iter().sum::<f64>() / values.len() as f64
}

/// The 95% percentile bootstrap interval of the mean of `values` (non-empty): the 2.5% and
/// 97.5% quantiles (linear interpolation) of the means of `resamples` resamples with
/// replacement, drawn from a generator seeded with `seed`.
pub(crate) fn bootstrap_interval(values: &[f64], resamples: usize, seed: u64) -> (f64, f64) {
    let mut rng = StdRng::seed_from_u64(seed);
    let n = values.len();
    let mut means: Vec<f64> = (0..resamples.max(1))
        .map(|_| (0..n).map(|_| values[rng.random_range(0..n)]).sum::<f64>() / n as f64)
        .collect();
    means.sort_by(f64::total_cmp);
    (quantile(&means, 0.025), quantile(&means, 0.975))
}

/// The `q` quantile of sorted, non-empty `sorted` by linear interpolation (type 7).
fn quantile(sorted: &[f64], q: f64) -> f64 {
    let position = q * (sorted.len() - 1) as f64;
    let below = position.floor() as usize;
    let above = (below + 1).min(sorted.len() - 1);
    let fraction = position - below as f64;
    sorted[below] + fraction * (sorted[above] - sorted[below])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_interpolate() {
        let v = [1.0, 2.0, 3.0, 4.0, 5.0];
        assert_eq!(quantile(&v, 0.0), 1.0);
        assert_eq!(quantile(&v, 1.0), 5.0);
        assert!((quantile(&v, 0.5) - 3.0).abs() < 1e-15);
        assert!((quantile(&v, 0.1) - 1.4).abs() < 1e-12);
        assert_eq!(quantile(&[7.0], 0.975), 7.0);
    }

    #[test]
    fn bootstrap_interval_covers_the_mean_and_shrinks_with_n() {
        // values 0..n: the mean's standard error is about sd / sqrt(n)
        let small: Vec<f64> = (0..20).map(f64::from).collect();
        let large: Vec<f64> = (0..2000).map(|i| f64::from(i % 20)).collect();
        let (lo_s, hi_s) = bootstrap_interval(&small, 2000, 1);
        let (lo_l, hi_l) = bootstrap_interval(&large, 2000, 1);
        assert!(lo_s < 9.5 && 9.5 < hi_s, "({lo_s}, {hi_s})");
        assert!(lo_l < 9.5 && 9.5 < hi_l, "({lo_l}, {hi_l})");
        // width about 2 x 1.96 x 5.77 / sqrt(n): 5.06 for n = 20, 0.51 for n = 2000 (20%)
        assert!((hi_s - lo_s - 5.06).abs() < 1.0, "{}", hi_s - lo_s);
        assert!((hi_l - lo_l - 0.506).abs() < 0.1, "{}", hi_l - lo_l);
        // seeded: the same interval again, another with another seed
        assert_eq!(bootstrap_interval(&small, 2000, 1), (lo_s, hi_s));
        assert_ne!(bootstrap_interval(&small, 2000, 2), (lo_s, hi_s));
        // a constant sample has a zero-width interval
        assert_eq!(bootstrap_interval(&[3.0; 10], 100, 5), (3.0, 3.0));
    }
}
