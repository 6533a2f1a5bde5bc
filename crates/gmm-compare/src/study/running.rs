//! Running a study: one unit of work per (sample size, replicate), in parallel over units,
//! each from its own derived seed, collected in grid order.

use std::time::Instant;

use rand::{SeedableRng, rngs::StdRng, seq::index::sample};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use gmm_core::{
    Dataset, FittedModel, GmmError, InitMethod, InitialResponsibilities, MixtureModel, Result,
};
use gmm_em::{EmFit, EmParams, MapParams, MapPrior};
use gmm_gibbs::{GibbsFit, GibbsParams};
use gmm_vb::{VbFit, VbParams};

use super::settings::{StudyMethod, StudySettings, TrueScenario};
use super::summary::{StudyReport, summarise};
use crate::metrics::adjusted_rand_index;

/// One fit of a study: the run's place in the grid, its method, and what it measured.
///
/// Measures a failed fit could not give are `None`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StudyRun {
    /// Training points N.
    pub n: usize,
    /// Replicate (0-based).
    pub replicate: usize,
    /// The method.
    pub method: StudyMethod,
    /// The run's seed (data and initialisation), derived from the study's.
    pub seed: u64,
    /// Mean log predictive density of the held-out points (EM: its mixture; VB: the
    /// Student-t posterior predictive).
    pub holdout_log_predictive: Option<f64>,
    /// Adjusted Rand index of the held-out points' predicted components against their true
    /// ones (when the truth is known).
    pub adjusted_rand_index: Option<f64>,
    /// K chosen by EM's BIC over `1..=max_k` (on the `em` runs).
    pub k_bic: Option<usize>,
    /// K chosen by VB's ELBO over `1..=max_k` (on the `vb` runs).
    pub k_elbo: Option<usize>,
    /// VB's effective components (weight above the threshold) at K = `max_k`, or at K
    /// without a choice of K (on the `vb` runs).
    pub k_effective: Option<usize>,
    /// Whether the fit failed on a singular component (or a covariance that is not
    /// positive definite); the study goes on and counts it.
    pub singular: bool,
    /// Whether the fit converged (`None` for a failed fit).
    pub converged: Option<bool>,
    /// Iterations of the fit (`None` for a failed fit).
    pub n_iter: Option<usize>,
    /// Wall time of the fit at K, in seconds (not deterministic).
    pub wall_time_seconds: f64,
    /// Wall time of this method's K-selection fits, in seconds (not deterministic).
    pub selection_seconds: f64,
    /// The error of a failed fit, for people.
    pub failure: Option<String>,
}

/// Runs the study: every (sample size, replicate) unit in parallel (rayon), each method on
/// the same points from the same start, then the per-cell means and bootstrap intervals.
/// `progress` is called once per finished unit (from any thread).
///
/// The report is the same, bit for bit but for the wall times, on any number of threads:
/// each unit's seed is derived from (`seed`, N's index, replicate) and the units are
/// collected in grid order.
///
/// ```
/// use gmm_compare::{run_study, StudySettings, TrueScenario, StudyMethod};
/// let scenario = TrueScenario::synthetic("two-d-three-clusters")?;
/// let settings = StudySettings::new(scenario, vec![30, 100], 3)
///     .replicates(3)
///     .test_size(200)
///     .methods(vec![StudyMethod::Em, StudyMethod::Vb]);
/// let report = run_study(&settings, &|| {})?;
/// assert_eq!(report.runs.len(), 2 * 3 * 2);
/// # Ok::<(), gmm_core::GmmError>(())
/// ```
///
/// # Errors
/// Invalid settings ([`StudySettings::check`]); [`GmmError::FitFailed`] naming the step
/// and K of the first fit (in grid order) that failed for another reason than a singular
/// component.
pub fn run_study(settings: &StudySettings, progress: &(dyn Fn() + Sync)) -> Result<StudyReport> {
    settings.check()?;
    let units: Vec<(usize, usize)> = (0..settings.sizes.len())
        .flat_map(|i| (0..settings.replicates).map(move |r| (i, r)))
        .collect();
    let results: Vec<Result<Vec<StudyRun>>> = units
        .par_iter()
        .map(|&(i, r)| {
            let runs = run_unit(settings, i, r);
            progress();
            runs
        })
        .collect();
    let mut runs = Vec::with_capacity(units.len() * settings.methods.len());
    for unit in results {
        runs.extend(unit?);
    }
    Ok(summarise(settings, runs))
}

/// A seed for item `(a, b)` of a stream of seeds named by `seed` (SplitMix64 finaliser on
/// a combination of the three: neighbouring items get unrelated seeds).
pub(crate) fn derive_seed(seed: u64, a: u64, b: u64) -> u64 {
    let mut z = seed
        .wrapping_add(a.wrapping_add(1).wrapping_mul(0x9E37_79B9_7F4A_7C15))
        .wrapping_add(b.wrapping_add(1).wrapping_mul(0xD1B5_4A32_D192_ED03));
    for _ in 0..2 {
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
    }
    z
}

/// The points of one unit of a study: training, held out, and the held-out points' true
/// classes, with the unit's seed (of its points and of every method's k-means start).
#[derive(Debug, Clone)]
pub struct UnitSample {
    /// The unit's seed, derived from the study's seed, N's index and the replicate.
    pub seed: u64,
    /// The N training points.
    pub train: Dataset,
    /// The held-out points.
    pub test: Dataset,
    /// The held-out points' true classes (when known).
    pub test_labels: Option<Vec<usize>>,
}

/// The points a study fits in the unit (N = `settings.sizes[size_index]`, `replicate`):
/// exactly those [`run_study`] draws there, for checking a run against a direct fit.
///
/// # Errors
/// Invalid settings ([`StudySettings::check`]); [`GmmError::InvalidParameter`] naming
/// `size_index` or `replicate` outside the study's grid.
pub fn unit_sample(
    settings: &StudySettings,
    size_index: usize,
    replicate: usize,
) -> Result<UnitSample> {
    settings.check()?;
    let outside = |name, value: usize| GmmError::InvalidParameter {
        name,
        value: value.to_string(),
        reason: "outside the study's grid".into(),
    };
    let Some(&n) = settings.sizes.get(size_index) else {
        return Err(outside("size_index", size_index));
    };
    if replicate >= settings.replicates {
        return Err(outside("replicate", replicate));
    }
    let seed = derive_seed(settings.seed, size_index as u64, replicate as u64);
    draw_sample(&settings.scenario, n, settings.test_size, seed)
}

fn draw_sample(scenario: &TrueScenario, n: usize, test: usize, seed: u64) -> Result<UnitSample> {
    let (all, labels): (Dataset, Option<Vec<usize>>) = match scenario {
        TrueScenario::Synthetic { mixture, .. } => {
            let (data, labels) = mixture.sample_seeded(n + test, seed)?;
            (data, Some(labels))
        }
        TrueScenario::Data { data, labels, .. } => {
            let mut rng = StdRng::seed_from_u64(seed);
            let chosen = sample(&mut rng, data.n_samples(), n + test).into_vec();
            let picked = labels
                .as_ref()
                .map(|l| chosen.iter().map(|&i| l[i]).collect());
            (data.select(&chosen)?, picked)
        }
    };
    let train_idx: Vec<usize> = (0..n).collect();
    let test_idx: Vec<usize> = (n..n + test).collect();
    Ok(UnitSample {
        seed,
        train: all.select(&train_idx)?,
        test: all.select(&test_idx)?,
        test_labels: labels.map(|l| l[n..].to_vec()),
    })
}

/// Every method of the unit (N = `sizes[size_index]`, replicate `replicate`).
fn run_unit(
    settings: &StudySettings,
    size_index: usize,
    replicate: usize,
) -> Result<Vec<StudyRun>> {
    let n = settings.sizes[size_index];
    let seed = derive_seed(settings.seed, size_index as u64, replicate as u64);
    let points = draw_sample(&settings.scenario, n, settings.test_size, seed)?;
    let k = settings.n_components;
    let init = InitMethod::KMeans
        .initial_responsibilities(&points.train, k, seed)
        .map_err(|e| e.in_fit("initialisation", k))?;
    let choice = match settings.max_k {
        Some(max_k) => Some(choose_k(settings, &points.train, max_k, seed)?),
        None => None,
    };
    let mut runs = Vec::with_capacity(settings.methods.len());
    for &method in &settings.methods {
        let mut run = fit_method(settings, method, &points, &init, seed)?;
        run.n = n;
        run.replicate = replicate;
        run.seed = seed;
        if let Some(c) = &choice {
            c.fill(&mut run);
        }
        runs.push(run);
    }
    Ok(runs)
}

/// Whether `e` is a fit's failure on a singular component (the study counts these).
fn is_singular(e: &GmmError) -> bool {
    matches!(
        e,
        GmmError::SingularComponent { .. } | GmmError::NotPositiveDefinite { .. }
    )
}

/// A run with nothing measured yet.
fn empty_run(method: StudyMethod) -> StudyRun {
    StudyRun {
        n: 0,
        replicate: 0,
        method,
        seed: 0,
        holdout_log_predictive: None,
        adjusted_rand_index: None,
        k_bic: None,
        k_elbo: None,
        k_effective: None,
        singular: false,
        converged: None,
        n_iter: None,
        wall_time_seconds: 0.0,
        selection_seconds: 0.0,
        failure: None,
    }
}

fn em_params(settings: &StudySettings, k: usize, reg_covar: f64) -> EmParams {
    EmParams::new(k)
        .covariance_type(settings.covariance_type)
        .reg_covar(reg_covar)
        .tol(settings.tol)
        .max_iter(settings.max_iter)
}

/// The MAP-EM parameters of a study at K: the study's covariance type and stopping rule,
/// the default [`MapPrior`] (VB's Normal-Wishart defaults, flat Dirichlet weights).
pub(crate) fn map_params(settings: &StudySettings, k: usize) -> MapParams {
    MapParams::new(k)
        .covariance_type(settings.covariance_type)
        .tol(settings.tol)
        .max_iter(settings.max_iter)
        .prior(MapPrior::default())
}

/// MAP-EM at K on `train` from `init`, its prior resolved on `train` (as VB's).
fn fit_map(
    settings: &StudySettings,
    k: usize,
    train: &Dataset,
    init: &InitialResponsibilities,
) -> Result<EmFit> {
    let params = map_params(settings, k);
    let priors = params.resolve_priors(train)?;
    params.em_params(priors).fit_from(train, init)
}

fn vb_params(settings: &StudySettings, k: usize) -> VbParams {
    VbParams::new(k)
        .covariance_type(settings.covariance_type)
        .tol(settings.tol)
        .max_iter(settings.max_iter)
}

/// `method` fitted at K on the unit's training points from `init` (the Gibbs sampler from
/// the same k-means start, made again from the unit's seed), and measured.
fn fit_method(
    settings: &StudySettings,
    method: StudyMethod,
    points: &UnitSample,
    init: &InitialResponsibilities,
    seed: u64,
) -> Result<StudyRun> {
    let k = settings.n_components;
    let start = Instant::now();
    let fitted: Result<Box<dyn FittedAndScored>> = match method {
        StudyMethod::Em | StudyMethod::EmNoReg => {
            let reg = if method == StudyMethod::Em {
                gmm_em::DEFAULT_REG_COVAR
            } else {
                0.0
            };
            em_params(settings, k, reg)
                .fit_from(&points.train, init)
                .map(|f| Box::new(f) as Box<dyn FittedAndScored>)
        }
        StudyMethod::Map => fit_map(settings, k, &points.train, init)
            .map(|f| Box::new(f) as Box<dyn FittedAndScored>),
        StudyMethod::Vb => vb_params(settings, k)
            .fit_from(&points.train, init)
            .map(|f| Box::new(f) as Box<dyn FittedAndScored>),
        StudyMethod::Gibbs => GibbsParams::new(k)
            .covariance_type(settings.covariance_type)
            .draws(settings.gibbs_draws)
            .burn_in(settings.gibbs_burn_in)
            .chains(settings.gibbs_chains)
            .seed(seed)
            .init(InitMethod::KMeans)
            .fit(&points.train)
            .map(|f| Box::new(f) as Box<dyn FittedAndScored>),
    };
    let seconds = start.elapsed().as_secs_f64();
    let mut run = empty_run(method);
    run.wall_time_seconds = seconds;
    let fit = match fitted {
        Ok(fit) => fit,
        Err(e) if is_singular(&e) => {
            run.singular = true;
            run.failure = Some(e.to_string());
            return Ok(run);
        }
        Err(e) => return Err(e.in_fit(method_step(method), k)),
    };
    run.converged = Some(fit.converged());
    run.n_iter = Some(fit.n_iter());
    run.holdout_log_predictive = Some(fit.holdout_log_predictive(&points.test)?);
    if let Some(labels) = &points.test_labels {
        let predicted = fit.predict(&points.test)?;
        run.adjusted_rand_index = Some(adjusted_rand_index(labels, &predicted)?);
    }
    Ok(run)
}

/// The step named in the error of a failed fit.
fn method_step(method: StudyMethod) -> &'static str {
    match method {
        StudyMethod::Em => "EM fit",
        StudyMethod::EmNoReg => "EM fit with reg_covar 0",
        StudyMethod::Map => "MAP-EM fit",
        StudyMethod::Vb => "VB fit",
        StudyMethod::Gibbs => "Gibbs sampler",
    }
}

/// What the study asks of a fit: its record, its labels and its held-out density.
trait FittedAndScored: MixtureModel + FittedModel {
    /// The mean log predictive density of `test` (the fit's own `score`, but for Gibbs).
    fn holdout_log_predictive(&self, test: &Dataset) -> Result<f64> {
        self.score(test)
    }
}

impl FittedAndScored for EmFit {}
impl FittedAndScored for VbFit {}

impl FittedAndScored for GibbsFit {
    /// The Monte Carlo posterior predictive, averaged over the kept draws (not the
    /// posterior-mean mixture's density).
    fn holdout_log_predictive(&self, test: &Dataset) -> Result<f64> {
        let densities = self.log_predictive_density(test)?;
        Ok(densities.iter().sum::<f64>() / densities.len() as f64)
    }
}

/// The choice of K of one unit.
struct KChoice {
    k_bic: Option<usize>,
    k_elbo: Option<usize>,
    k_effective: Option<usize>,
    em_seconds: f64,
    vb_seconds: f64,
}

impl KChoice {
    /// Puts the choices that belong to `run`'s method into it.
    fn fill(&self, run: &mut StudyRun) {
        match run.method {
            StudyMethod::Em => {
                run.k_bic = self.k_bic;
                run.selection_seconds = self.em_seconds;
            }
            StudyMethod::Vb => {
                run.k_elbo = self.k_elbo;
                run.k_effective = self.k_effective;
                run.selection_seconds = self.vb_seconds;
            }
            StudyMethod::EmNoReg | StudyMethod::Map | StudyMethod::Gibbs => {}
        }
    }
}

/// EM by BIC and VB by its ELBO over `1..=max_k` (the lean stopping rule of
/// `selection_tol`), each K from its own k-means start; VB's effective components at
/// `max_k`. Only the methods the study runs are fitted; an EM fit that hits a singular
/// component leaves its K out of the choice.
fn choose_k(settings: &StudySettings, train: &Dataset, max_k: usize, seed: u64) -> Result<KChoice> {
    let want_em = settings.methods.contains(&StudyMethod::Em);
    let want_vb = settings.methods.contains(&StudyMethod::Vb);
    let mut best_bic: Option<(usize, f64)> = None;
    let mut best_elbo: Option<(usize, f64)> = None;
    let mut k_effective = None;
    let (mut em_seconds, mut vb_seconds) = (0.0, 0.0);
    for k in 1..=max_k {
        if !(want_em || want_vb) {
            break;
        }
        let init = InitMethod::KMeans
            .initial_responsibilities(train, k, seed)
            .map_err(|e| e.in_fit("initialisation", k))?;
        if want_em {
            let start = Instant::now();
            let fit = EmParams::new(k)
                .covariance_type(settings.covariance_type)
                .tol(settings.selection_tol)
                .max_iter(settings.selection_max_iter)
                .fit_from(train, &init);
            match fit {
                Ok(fit) => {
                    let bic = fit.bic(train)?;
                    if best_bic.is_none_or(|(_, b)| bic < b) {
                        best_bic = Some((k, bic));
                    }
                }
                Err(e) if is_singular(&e) => {}
                Err(e) => return Err(e.in_fit("EM fit", k)),
            }
            em_seconds += start.elapsed().as_secs_f64();
        }
        if want_vb {
            let start = Instant::now();
            let fit = selection_vb(settings, k, train, &init)?;
            if best_elbo.is_none_or(|(_, b)| fit.elbo() > b) {
                best_elbo = Some((k, fit.elbo()));
            }
            if k == max_k {
                k_effective = Some(fit.effective_components(settings.weight_threshold));
            }
            vb_seconds += start.elapsed().as_secs_f64();
        }
    }
    Ok(KChoice {
        k_bic: best_bic.map(|(k, _)| k),
        k_elbo: best_elbo.map(|(k, _)| k),
        k_effective,
        em_seconds,
        vb_seconds,
    })
}

fn selection_vb(
    settings: &StudySettings,
    k: usize,
    train: &Dataset,
    init: &InitialResponsibilities,
) -> Result<VbFit> {
    VbParams::new(k)
        .covariance_type(settings.covariance_type)
        .tol(settings.selection_tol)
        .max_iter(settings.selection_max_iter)
        .fit_from(train, init)
        .map_err(|e| e.in_fit("VB fit", k))
}
