//! Missing values, measured (issue 25, docs/comparison.md, "Missing values"): EM that
//! marginalises the missing coordinates against the two usual workarounds, dropping the
//! incomplete rows and imputing column means, under MCAR and MAR missingness.
//!
//!     cargo run --release -p gmm-compare --example missing_study [REPLICATES] [N]
//!
//! The truth is a fixed 3-component mixture in D = 4 with correlated full covariances
//! ([`truth`]). Each replicate draws N training points (default 2000) and N complete test
//! points, removes a share of the training values (10, 20, 30, 40 %) by one of two
//! mechanisms ([`Mechanism`]), and fits K = 3, full covariances, 3 restarts, a tolerance
//! of 1e-6 per point ([`TOL_PER_POINT`]), with: EM on the observed coordinates
//! (`MissingPolicy::Marginalise`), the same at scikit-learn's default tolerance 1e-3, EM
//! on the complete rows only, EM on the mean-imputed rows, VB on the observed coordinates,
//! and EM on the training points before any value was removed (the reference); every EM
//! fit of a replicate starts from the same seed. Measured per fit: the mean
//! log-likelihood of the complete test points (VB: its posterior predictive), the matched
//! means' root-mean-square distance to the truth's ([`gmm_compare::parameter_error`]),
//! and, once per cell, the time of an EM iteration on the data with missing values against
//! the same points complete. Prints Markdown tables (mean and standard deviation over
//! REPLICATES, default 20).

use std::time::Instant;

use gmm_compare::parameter_error;
use gmm_core::nalgebra::{DMatrix, DVector};
use gmm_core::{
    CovarianceType, Covariances, Dataset, FittedModel, GaussianMixture, GmmError, MissingPolicy,
    MixtureModel, Result,
};
use gmm_em::EmParams;
use gmm_vb::VbParams;
use rand::{RngExt, SeedableRng, rngs::StdRng};

/// Number of components, of the truth and of every fit.
const K: usize = 3;
/// Dimension.
const D: usize = 4;
/// Shares of the training values removed.
const RATES: [f64; 4] = [0.1, 0.2, 0.3, 0.4];
/// EM iterations timed per measurement of the cost of an iteration.
const TIMED_ITERATIONS: usize = 30;
/// The fits' stopping rule: a change of the bound per point below this (VB: of its total
/// ELBO below this times N, five times in a row), or [`MAX_ITER`] iterations. With many
/// missing values EM converges slowly, and scikit-learn's `tol = 1e-3` stops it far from
/// its optimum (the tables' second column).
const TOL_PER_POINT: f64 = 1e-6;
/// The fits' iteration limit.
const MAX_ITER: usize = 2000;
/// scikit-learn's (and the library's) default `tol`.
const DEFAULT_TOL: f64 = 1e-3;

/// The known mixture: three overlapping components in D = 4, correlated full covariances
/// (so that observed coordinates say something about the missing ones).
fn truth() -> Result<GaussianMixture> {
    let means = DMatrix::from_row_slice(
        K,
        D,
        &[0.0, 0.0, 0.0, 0.0, 3.0, 1.0, 2.5, 0.0, 0.5, 3.5, 0.0, 2.5],
    );
    let correlated = |scale: f64, rho: f64| {
        DMatrix::from_fn(D, D, |i, j| scale * rho.powi((i as i32 - j as i32).abs()))
    };
    let covariances = vec![
        correlated(1.0, 0.7),
        correlated(1.5, -0.5),
        correlated(0.8, 0.6),
    ];
    GaussianMixture::new(
        DVector::from_row_slice(&[0.4, 0.35, 0.25]),
        means,
        Covariances::Full(covariances),
    )
}

/// How the training values go missing.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Mechanism {
    /// Missing completely at random: every value independently with the rate's probability
    /// (a row that loses every value keeps its first).
    Mcar,
    /// Missing at random: coordinate 0 always observed; coordinates 1 to 3 each missing with
    /// probability `c * sigmoid(2 z)`, `z` the point's coordinate 0 standardised (by the
    /// sample's mean and standard deviation), `c` set so that the expected share of missing
    /// values is the rate (probabilities capped at 1). Points far along coordinate 0
    /// (mostly component 1's) lose the most.
    Mar,
}

impl Mechanism {
    /// The mechanism's name in the tables.
    fn name(self) -> &'static str {
        match self {
            Self::Mcar => "MCAR",
            Self::Mar => "MAR",
        }
    }

    /// `complete` (row-major, D per point) with a share `rate` of its values set to NaN.
    fn remove(self, complete: &[f64], rate: f64, rng: &mut StdRng) -> Vec<f64> {
        let mut values = complete.to_vec();
        match self {
            Self::Mcar => {
                for row in values.chunks_exact_mut(D) {
                    let first = row[0];
                    for v in row.iter_mut() {
                        if rng.random::<f64>() < rate {
                            *v = f64::NAN;
                        }
                    }
                    if row.iter().all(|v| v.is_nan()) {
                        row[0] = first;
                    }
                }
            }
            Self::Mar => {
                let x0: Vec<f64> = complete.chunks_exact(D).map(|r| r[0]).collect();
                let n = x0.len() as f64;
                let mean = x0.iter().sum::<f64>() / n;
                let sd = (x0.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n).sqrt();
                let pull: Vec<f64> = x0
                    .iter()
                    .map(|x| 1.0 / (1.0 + (-2.0 * (x - mean) / sd).exp()))
                    .collect();
                let c = rate * D as f64 / (D - 1) as f64 / (pull.iter().sum::<f64>() / n);
                for (row, p) in values.chunks_exact_mut(D).zip(&pull) {
                    for v in &mut row[1..] {
                        if rng.random::<f64>() < (c * p).min(1.0) {
                            *v = f64::NAN;
                        }
                    }
                }
            }
        }
        values
    }
}

/// What one fit scored: the held-out mean log-likelihood and the matched means' RMS error
/// (`None` when the fit failed, e.g. too few complete rows).
type Scored = Option<(f64, f64)>;

/// The fits compared, in the tables' order.
const METHODS: [&str; 6] = [
    "EM, marginalised",
    "EM, marginalised, tol 1e-3",
    "EM, incomplete rows dropped",
    "EM, mean-imputed",
    "VB, marginalised",
    "EM, before removal (reference)",
];

/// One replicate of one cell: the fits' scores, the share of values and of rows missing,
/// and the cost ratio of an EM iteration (missing against complete).
struct Replicate {
    scores: [Scored; METHODS.len()],
    missing_share: f64,
    complete_rows: usize,
    iteration_cost_ratio: f64,
}

/// Held-out log-likelihood and mean error of a fitted mixture (`predictive` scores the test
/// points: the mixture itself for EM, the posterior predictive for VB).
fn scored(
    truth: &GaussianMixture,
    test: &Dataset,
    predictive: &dyn MixtureModel,
    point: &GaussianMixture,
) -> Result<(f64, f64)> {
    Ok((
        predictive.score(test)?,
        parameter_error(truth, point, 0.01)?.rms_mean_distance,
    ))
}

/// The seconds per EM iteration on `data` from the truth ([`TIMED_ITERATIONS`] iterations,
/// the best of three runs: the machine is shared).
fn seconds_per_iteration(data: &Dataset, truth: &GaussianMixture) -> Result<f64> {
    let params = EmParams::new(K)
        .tol(0.0)
        .max_iter(TIMED_ITERATIONS)
        .warm_start(truth.clone());
    let mut best = f64::INFINITY;
    for _ in 0..3 {
        let started = Instant::now();
        let fit = params.fit(data)?;
        best = best.min(started.elapsed().as_secs_f64() / fit.n_iter().max(1) as f64);
    }
    Ok(best)
}

/// The training and test points of replicate `r`: the same in every cell (mechanism and
/// rate), so that the cells compare the same points.
fn replicate_points(truth: &GaussianMixture, n: usize, r: usize) -> Result<(Dataset, Dataset)> {
    let seed = replicate_seed(r);
    Ok((
        truth.sample_seeded(n, seed)?.0,
        truth.sample_seeded(n, seed + 1)?.0,
    ))
}

/// The seed of replicate `r` (its points, its missing values, the fits' restarts).
fn replicate_seed(r: usize) -> u64 {
    1000 * r as u64 + 7
}

/// Replicate `r` of one cell: removes values from its training points by `mechanism` at
/// `rate`, runs the fits and times an EM iteration.
fn replicate(
    truth: &GaussianMixture,
    mechanism: Mechanism,
    rate: f64,
    n: usize,
    r: usize,
) -> Result<Replicate> {
    let (train, test) = replicate_points(truth, n, r)?;
    let seed = replicate_seed(r);
    let mut rng = StdRng::seed_from_u64(seed + 2);
    let values = mechanism.remove(train.as_slice(), rate, &mut rng);
    let missing_share = values.iter().filter(|v| v.is_nan()).count() as f64 / values.len() as f64;
    let holed = Dataset::from_row_major_with_policy(n, D, values, MissingPolicy::Marginalise)?;
    let complete_rows = holed.complete_rows().map_or(n, <[usize]>::len);

    let em = EmParams::new(K)
        .covariance_type(CovarianceType::Full)
        .tol(TOL_PER_POINT)
        .max_iter(MAX_ITER)
        .n_init(3)
        .seed(seed);
    let em_scored = |em: &EmParams, data: &Dataset| -> Scored {
        let fit = em.fit(data).ok()?;
        scored(truth, &test, fit.mixture(), fit.mixture()).ok()
    };
    let dropped = holed
        .complete_rows()
        .and_then(|rows| holed.select(rows).ok());
    let vb = VbParams::new(K)
        .covariance_type(CovarianceType::Full)
        .tol(TOL_PER_POINT * n as f64)
        .max_iter(MAX_ITER)
        .n_init(3)
        .seed(seed);
    let vb_scored = vb
        .fit(&holed)
        .ok()
        .and_then(|fit| scored(truth, &test, fit.model(), fit.point_estimate()).ok());
    let scores = [
        em_scored(&em, &holed),
        em_scored(&em.clone().tol(DEFAULT_TOL), &holed),
        dropped.as_ref().and_then(|data| em_scored(&em, data)),
        em_scored(&em, &holed.mean_imputed()),
        vb_scored,
        em_scored(&em, &train),
    ];
    let iteration_cost_ratio =
        seconds_per_iteration(&holed, truth)? / seconds_per_iteration(&train, truth)?;
    Ok(Replicate {
        scores,
        missing_share,
        complete_rows,
        iteration_cost_ratio,
    })
}

/// Mean and standard deviation of `values` (NaN for none).
fn mean_sd(values: &[f64]) -> (f64, f64) {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0).max(1.0);
    (mean, var.sqrt())
}

/// A mean and standard deviation as a table cell, with the number of failed fits if any.
fn cell(values: &[f64], replicates: usize, digits: usize) -> String {
    let (m, s) = mean_sd(values);
    let failed = replicates - values.len();
    let failures = if failed > 0 {
        format!(" ({failed} failed)")
    } else {
        String::new()
    };
    format!("{m:.digits$} ± {s:.digits$}{failures}")
}

/// The argument at `index` parsed as a count, or `default`.
fn count_argument(index: usize, name: &'static str, default: usize) -> Result<usize> {
    match std::env::args().nth(index) {
        None => Ok(default),
        Some(a) => a.parse().map_err(|_| GmmError::InvalidParameter {
            name,
            value: a.clone(),
            reason: "give a whole number".into(),
        }),
    }
}

/// Runs every cell and prints the tables (progress and the wall time on stderr).
fn main() -> Result<()> {
    let replicates = count_argument(1, "replicates", 20)?;
    let n = count_argument(2, "n", 2000)?;
    let truth = truth()?;
    let started = Instant::now();
    let mut rows = Vec::new();
    for mechanism in [Mechanism::Mcar, Mechanism::Mar] {
        for rate in RATES {
            let runs = (0..replicates)
                .map(|r| replicate(&truth, mechanism, rate, n, r))
                .collect::<Result<Vec<_>>>()?;
            eprintln!(
                "{} {:.0} %: done ({:.1} s)",
                mechanism.name(),
                rate * 100.0,
                started.elapsed().as_secs_f64()
            );
            rows.push((mechanism, rate, runs));
        }
    }
    let oracle = (0..replicates)
        .map(|r| truth.score(&replicate_points(&truth, n, r)?.1))
        .collect::<Result<Vec<_>>>()?;
    println!(
        "N = {n} training and {n} complete test points per replicate (the same points in \
         every row), {replicates} replicates, K = {K}, D = {D}, full covariances, 3 \
         restarts, tol {TOL_PER_POINT:e} per point (the second column: {DEFAULT_TOL:e}), at \
         most {MAX_ITER} iterations; the truth itself scores {} on the test points.\n",
        cell(&oracle, replicates, 3)
    );
    print_table(
        "Held-out mean log-likelihood of the complete test points (higher is better)",
        &rows,
        replicates,
        |(ll, _)| ll,
        3,
    );
    print_table(
        "Matched means' RMS distance to the truth's (lower is better)",
        &rows,
        replicates,
        |(_, err)| err,
        3,
    );
    println!("### Marginalising against the workarounds, replicate by replicate\n");
    println!(
        "| mechanism | missing | marginalised EM scores higher than dropping rows | \
         than mean imputation | cost of an EM iteration, missing / complete |"
    );
    println!("|---|---|---|---|---|");
    for (mechanism, rate, runs) in &rows {
        let beats = |other: usize| {
            let pairs: Vec<bool> = runs
                .iter()
                .filter_map(|r| Some(r.scores[0]?.0 > r.scores[other]?.0))
                .collect();
            format!(
                "{} of {}",
                pairs.iter().filter(|w| **w).count(),
                pairs.len()
            )
        };
        let ratios: Vec<f64> = runs.iter().map(|r| r.iteration_cost_ratio).collect();
        println!(
            "| {} | {} | {} | {} | {} |",
            mechanism.name(),
            missing_cell(*rate, runs),
            beats(2),
            beats(3),
            cell(&ratios, runs.len(), 2)
        );
    }
    eprintln!("total {:.1} s", started.elapsed().as_secs_f64());
    Ok(())
}

/// The nominal rate, the realised share of missing values and the number of complete rows,
/// as a table cell.
fn missing_cell(rate: f64, runs: &[Replicate]) -> String {
    let shares: Vec<f64> = runs.iter().map(|r| r.missing_share).collect();
    let complete: Vec<f64> = runs.iter().map(|r| r.complete_rows as f64).collect();
    format!(
        "{:.0} % ({:.1} % realised, {:.0} complete rows)",
        100.0 * rate,
        100.0 * mean_sd(&shares).0,
        mean_sd(&complete).0
    )
}

/// One Markdown table: a row per cell (mechanism and rate), a column per method, the
/// measure `pick` takes from each fit's scores.
fn print_table(
    title: &str,
    rows: &[(Mechanism, f64, Vec<Replicate>)],
    replicates: usize,
    pick: impl Fn((f64, f64)) -> f64,
    digits: usize,
) {
    println!("### {title}\n");
    println!("| mechanism | missing | {} |", METHODS.join(" | "));
    println!("|---|---|{}", "---|".repeat(METHODS.len()));
    for (mechanism, rate, runs) in rows {
        let cells: Vec<String> = (0..METHODS.len())
            .map(|m| {
                let values: Vec<f64> = runs.iter().filter_map(|r| r.scores[m].map(&pick)).collect();
                cell(&values, replicates, digits)
            })
            .collect();
        println!(
            "| {} | {} | {} |",
            mechanism.name(),
            missing_cell(*rate, runs),
            cells.join(" | ")
        );
    }
    println!();
}
