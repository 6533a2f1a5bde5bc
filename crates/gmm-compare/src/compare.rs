//! Running EM and VB on the same data from the same initial responsibilities, and choosing
//! K with both.

use std::time::Instant;

use gmm_core::{
    CovarianceType, Dataset, FittedModel, GaussianMixture, GmmError, InitMethod, MixtureModel,
    ModelFile, Result, check_memory,
};
use gmm_em::{EmFit, EmParams};
use gmm_vb::{DEFAULT_WEIGHT_THRESHOLD, PriorSpec, VbFit, VbParams, WeightPrior};

use crate::matching::{match_components, mixture_of_labels, parameter_error};
use crate::metrics::{adjusted_rand_index, holdout_split, normalized_mutual_info};
use crate::report::{ComparisonReport, MethodSummary, SelectionReport, SelectionRow};

/// The comparison's default tolerance: EM on its bound per point, VB on its total ELBO. The
/// comparison exists to compare converged fits, so it runs both far past scikit-learn's
/// `1e-3` (docs/comparison.md, "Converged fits").
pub const COMPARISON_TOL: f64 = 1e-10;

/// The comparison's default iteration limit; a fit that reaches it is reported as not
/// converged, with a warning in the report.
pub const COMPARISON_MAX_ITER: usize = 10_000;

/// The settings shared by both fits of a comparison: the estimators' defaults, but for the
/// stopping rule, which by default runs both to convergence ([`COMPARISON_TOL`],
/// [`COMPARISON_MAX_ITER`]).
///
/// `tol` and `max_iter` set to `None` take each estimator's own default (scikit-learn's 1e-3
/// and 100: EM's tolerance is on the mean log-likelihood per point, VB's on the total ELBO).
#[derive(Debug, Clone, PartialEq)]
pub struct ComparisonSettings {
    /// Number of components K of both fits.
    pub n_components: usize,
    /// Covariance type of both fits.
    pub covariance_type: CovarianceType,
    /// Convergence tolerance (default [`COMPARISON_TOL`]; `None`: each estimator's default).
    pub tol: Option<f64>,
    /// Iteration limit (default [`COMPARISON_MAX_ITER`]; `None`: each estimator's default).
    pub max_iter: Option<usize>,
    /// Added to the covariance diagonals (both; default 1e-6).
    pub reg_covar: f64,
    /// How the shared initial responsibilities are made (default k-means).
    pub init: InitMethod,
    /// Seed of the initialisation and of the held-out split (default 0).
    pub seed: u64,
    /// Fraction of points held out of fitting, for the held-out log-likelihood (default 0.2).
    pub holdout: f64,
    /// VB's priors, passed whole to the VB fit and to the Gibbs sampler (default: every
    /// prior at VB's default; each field says its own, [`PriorSpec`]).
    pub priors: PriorSpec,
    /// A component counts as effective when its weight exceeds this (default 1e-2).
    pub weight_threshold: f64,
    /// The memory each fit may use, in bytes (`None`: the machine's limit).
    pub max_memory: Option<u64>,
}

impl ComparisonSettings {
    /// Settings for `n_components` components, everything else at its default.
    pub fn new(n_components: usize) -> Self {
        Self {
            n_components,
            covariance_type: CovarianceType::Full,
            tol: Some(COMPARISON_TOL),
            max_iter: Some(COMPARISON_MAX_ITER),
            reg_covar: gmm_em::DEFAULT_REG_COVAR,
            init: InitMethod::KMeans,
            seed: 0,
            holdout: 0.2,
            priors: PriorSpec::default(),
            weight_threshold: DEFAULT_WEIGHT_THRESHOLD,
            max_memory: None,
        }
    }

    /// Sets the covariance type.
    pub fn covariance_type(mut self, t: CovarianceType) -> Self {
        self.covariance_type = t;
        self
    }

    /// Sets the initialisation.
    pub fn init(mut self, init: InitMethod) -> Self {
        self.init = init;
        self
    }

    /// Sets the seed.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Sets the held-out fraction (0 holds nothing out).
    pub fn holdout(mut self, fraction: f64) -> Self {
        self.holdout = fraction;
        self
    }

    /// Sets the convergence tolerance of both fits (EM on its bound per point, VB on its total).
    pub fn tol(mut self, tol: f64) -> Self {
        self.tol = Some(tol);
        self
    }

    /// Sets the iteration limit of both fits.
    pub fn max_iter(mut self, n: usize) -> Self {
        self.max_iter = Some(n);
        self
    }

    /// Sets VB's weight prior.
    pub fn weight_prior(mut self, prior: WeightPrior) -> Self {
        self.priors.weight_prior = prior;
        self
    }

    /// Sets VB's priors, all of them (replacing the weight prior set before).
    pub fn prior_spec(mut self, spec: PriorSpec) -> Self {
        self.priors = spec;
        self
    }

    /// Sets the regularisation of both fits.
    pub fn reg_covar(mut self, r: f64) -> Self {
        self.reg_covar = r;
        self
    }

    /// The EM parameters these settings give for `k` components.
    pub fn em_params(&self, k: usize) -> EmParams {
        let mut p = EmParams::new(k)
            .covariance_type(self.covariance_type)
            .reg_covar(self.reg_covar)
            .init(self.init.clone())
            .seed(self.seed);
        if let Some(t) = self.tol {
            p = p.tol(t);
        }
        if let Some(m) = self.max_iter {
            p = p.max_iter(m);
        }
        if let Some(bytes) = self.max_memory {
            p = p.max_memory(bytes);
        }
        p
    }

    /// The VB parameters these settings give for `k` components.
    pub fn vb_params(&self, k: usize) -> VbParams {
        let mut p = VbParams::new(k)
            .covariance_type(self.covariance_type)
            .reg_covar(self.reg_covar)
            .init(self.init.clone())
            .seed(self.seed)
            .prior_spec(self.priors.clone());
        if let Some(t) = self.tol {
            p = p.tol(t);
        }
        if let Some(m) = self.max_iter {
            p = p.max_iter(m);
        }
        if let Some(bytes) = self.max_memory {
            p = p.max_memory(bytes);
        }
        p
    }

    fn check(&self) -> Result<()> {
        if !(self.weight_threshold.is_finite() && (0.0..1.0).contains(&self.weight_threshold)) {
            return Err(GmmError::InvalidParameter {
                name: "weight_threshold",
                value: self.weight_threshold.to_string(),
                reason: "give a weight in [0, 1), for example 0.01".into(),
            });
        }
        Ok(())
    }
}

/// A finished comparison: the report and the two fits it describes.
#[derive(Debug, Clone)]
pub struct Comparison {
    /// The report (table, JSON).
    pub report: ComparisonReport,
    /// The EM fit (on the training points).
    pub em: EmFit,
    /// The VB fit (on the training points).
    pub vb: VbFit,
}

/// What is known about the truth, if anything.
#[derive(Debug, Clone, Copy, Default)]
pub struct Truth<'a> {
    /// The true component of every point (all points, training and held out).
    pub labels: Option<&'a [usize]>,
    /// The true mixture. Without it but with labels, the mixture of the labelled classes
    /// (their proportions, means and covariances) is the reference for parameter error.
    pub mixture: Option<&'a GaussianMixture>,
}

/// Refuses a comparison whose model files, or whose parameter errors against the truth (D x D
/// covariance matrices), would exceed the memory limit.
fn check_comparison_memory(
    d: usize,
    settings: &ComparisonSettings,
    truth: Truth<'_>,
) -> Result<()> {
    let (ct, k) = (settings.covariance_type, settings.n_components);
    check_memory(
        ModelFile::estimated_bytes(ct, k, d).saturating_add(gmm_vb::model_file_bytes(ct, k, d)),
        settings.max_memory,
        "the comparison's two model files",
    )?;
    let reference_components = match (truth.mixture, truth.labels) {
        (Some(m), _) => m.n_components(),
        (None, Some(labels)) => labels.iter().max().map_or(0, |m| m + 1),
        (None, None) => 0,
    };
    let reference_needs = if reference_components == 0 {
        0
    } else {
        reference_bytes(reference_components.max(k), d)
    };
    check_memory(
        reference_needs,
        settings.max_memory,
        "the parameter errors against the truth (a D x D covariance matrix per component; \
         compare without true labels)",
    )?;
    Ok(())
}

/// Bytes the parameter errors against a reference of `k` components of dimension `d` hold:
/// each component's full D x D covariance, its Cholesky factor and a temporary, for the
/// reference and the fit (`matching::parameter_error` compares full matrices).
fn reference_bytes(k: usize, d: usize) -> u64 {
    (k as u64)
        .saturating_mul(d as u64)
        .saturating_mul(d as u64)
        .saturating_mul(8 * 6)
}

/// Fits EM and VB to the training part of `data` from the same initial responsibilities
/// (made once, by `settings.init` with `settings.seed`) and measures both.
///
/// ```
/// use gmm_compare::{compare, ComparisonSettings, Truth};
/// use gmm_core::synthetic;
/// let s = synthetic::draw(&synthetic::two_d_three_clusters(), 600, 1)?;
/// let truth = Truth { labels: Some(&s.labels), mixture: Some(&s.truth) };
/// let c = compare(&s.data, "three clusters", &ComparisonSettings::new(3), truth)?;
/// assert!(c.report.em.adjusted_rand_index.unwrap() > 0.8);
/// println!("{}", c.report);
/// # Ok::<(), gmm_core::GmmError>(())
/// ```
///
/// # Errors
/// Invalid settings; [`GmmError::ShapeMismatch`] for labels of the wrong length; any error
/// of either fit.
pub fn compare(
    data: &Dataset,
    title: &str,
    settings: &ComparisonSettings,
    truth: Truth<'_>,
) -> Result<Comparison> {
    settings.check()?;
    let k = settings.n_components;
    if let Some(labels) = truth.labels
        && labels.len() != data.n_samples()
    {
        return Err(GmmError::ShapeMismatch {
            what: "number of true labels against the number of points".into(),
            expected: data.n_samples(),
            found: labels.len(),
        });
    }
    check_comparison_memory(data.n_features(), settings, truth)?;
    let (train_idx, test_idx) = holdout_split(data.n_samples(), settings.holdout, settings.seed)?;
    let train = data.select(&train_idx)?;
    let test = if test_idx.is_empty() {
        None
    } else {
        Some(data.select(&test_idx)?)
    };
    let ((em, em_time), (vb, vb_time)) = fit_both(&train, settings)?;
    let reference = match (truth.mixture, truth.labels) {
        (Some(m), _) => Some(m.clone()),
        (None, Some(labels)) => Some(mixture_of_labels(data, labels, settings.reg_covar)?),
        (None, None) => None,
    };
    let scoring = Scoring {
        data,
        train: &train,
        test: test.as_ref(),
        labels: truth.labels,
        reference: reference.as_ref(),
        weight_threshold: settings.weight_threshold,
    };
    let mut em_summary = scoring.summarise(&em, em.mixture(), em_time)?;
    em_summary.bound_name = "mean log-likelihood".into();
    em_summary.bic = Some(em.bic(&train)?);
    em_summary.aic = Some(em.aic(&train)?);
    em_summary.icl = Some(em.icl(&train)?);
    let mut vb_summary = scoring.summarise(&vb, vb.point_estimate(), vb_time)?;
    vb_summary.bound_name = "ELBO, total".into();
    let vb_order =
        match_components(em.mixture(), vb.point_estimate(), settings.weight_threshold)?.order;
    let report = ComparisonReport {
        title: title.to_string(),
        n_samples: data.n_samples(),
        n_features: data.n_features(),
        n_train: train.n_samples(),
        n_holdout: test.as_ref().map_or(0, Dataset::n_samples),
        n_components: k,
        covariance_type: settings.covariance_type,
        init: settings.init.name().to_string(),
        seed: settings.seed,
        weight_threshold: settings.weight_threshold,
        em: em_summary,
        vb: vb_summary,
        vb_order,
    };
    Ok(Comparison { report, em, vb })
}

/// EM then VB on `train` from the same initial responsibilities, each with its wall time in
/// seconds.
fn fit_both(
    train: &Dataset,
    settings: &ComparisonSettings,
) -> Result<((EmFit, f64), (VbFit, f64))> {
    let k = settings.n_components;
    let em_params = settings.em_params(k);
    let vb_params = settings.vb_params(k);
    em_params.check(train)?;
    vb_params.check(train)?;
    let init = settings
        .init
        .initial_responsibilities(train, k, settings.seed)?;
    let start = Instant::now();
    let em = em_params.fit_from(train, &init)?;
    let em_time = start.elapsed().as_secs_f64();
    let start = Instant::now();
    let vb = vb_params.fit_from(train, &init)?;
    let vb_time = start.elapsed().as_secs_f64();
    Ok(((em, em_time), (vb, vb_time)))
}

/// What a fit is measured against: all the points, the training and held-out parts, the
/// true labels and the reference mixture.
struct Scoring<'a> {
    data: &'a Dataset,
    train: &'a Dataset,
    test: Option<&'a Dataset>,
    labels: Option<&'a [usize]>,
    reference: Option<&'a GaussianMixture>,
    weight_threshold: f64,
}

impl Scoring<'_> {
    /// The summary of one fit, read through its fit record; `point` is its point estimate.
    /// The estimator-specific fields (`bound_name`, BIC, AIC) are left for the caller.
    fn summarise<F: MixtureModel + FittedModel>(
        &self,
        fit: &F,
        point: &GaussianMixture,
        seconds: f64,
    ) -> Result<MethodSummary> {
        let predicted = fit.predict(self.data)?;
        let record = fit.fit_record();
        let mut file = fit.to_model_file();
        file.posterior = None;
        file.fit = None;
        Ok(MethodSummary {
            fit: record.clone(),
            bound_name: String::new(),
            train_mean_log_likelihood: fit.score(self.train)?,
            holdout_mean_log_likelihood: self.test.map(|t| fit.score(t)).transpose()?,
            bic: None,
            aic: None,
            icl: None,
            effective_components: point.effective_components(self.weight_threshold),
            wall_time_seconds: seconds,
            adjusted_rand_index: self
                .labels
                .map(|l| adjusted_rand_index(l, &predicted))
                .transpose()?,
            normalized_mutual_info: self
                .labels
                .map(|l| normalized_mutual_info(l, &predicted))
                .transpose()?,
            parameter_error: self
                .reference
                .map(|r| parameter_error(r, point, self.weight_threshold))
                .transpose()?,
            model: file,
        })
    }
}

/// `ln K!`.
pub fn ln_factorial(k: usize) -> f64 {
    (2..=k).map(|i| (i as f64).ln()).sum()
}

/// Fits EM and VB for every K in `k_min..=k_max` on all of `data` (no hold-out), each K's
/// pair from the same initial responsibilities, and tabulates EM's BIC and AIC beside VB's
/// ELBO and effective components. `on_fit` is called after each K (for progress display).
///
/// ```
/// use gmm_compare::{select, ComparisonSettings};
/// use gmm_core::synthetic;
/// let s = synthetic::draw(&synthetic::one_d_three_clusters(), 500, 2)?;
/// let r = select(&s.data, "1-D", 1, 5, &ComparisonSettings::new(1), &mut || {})?;
/// assert_eq!(r.rows.len(), 5);
/// assert_eq!(r.best_k_bic, 3);
/// # Ok::<(), gmm_core::GmmError>(())
/// ```
///
/// # Errors
/// [`GmmError::InvalidParameter`] for an empty range or `k_min = 0`;
/// [`GmmError::TooFewSamples`] when `k_max` exceeds N; [`GmmError::FitFailed`] naming K and
/// the step (initialisation, EM fit, VB fit) around the error of a fit that failed.
pub fn select(
    data: &Dataset,
    title: &str,
    k_min: usize,
    k_max: usize,
    settings: &ComparisonSettings,
    on_fit: &mut dyn FnMut(),
) -> Result<SelectionReport> {
    settings.check()?;
    if k_min == 0 || k_min > k_max {
        return Err(GmmError::InvalidParameter {
            name: "k range",
            value: format!("{k_min}..={k_max}"),
            reason: "give 1 <= k-min <= k-max".into(),
        });
    }
    if k_max > data.n_samples() {
        return Err(GmmError::TooFewSamples {
            n_samples: data.n_samples(),
            n_components: k_max,
        });
    }
    let mut rows = Vec::with_capacity(k_max - k_min + 1);
    for k in k_min..=k_max {
        let init = settings
            .init
            .initial_responsibilities(data, k, settings.seed)
            .map_err(|e| e.in_fit("initialisation", k))?;
        let em = settings
            .em_params(k)
            .fit_from(data, &init)
            .map_err(|e| e.in_fit("EM fit", k))?;
        let vb = settings
            .vb_params(k)
            .fit_from(data, &init)
            .map_err(|e| e.in_fit("VB fit", k))?;
        rows.push(SelectionRow {
            k,
            em_bic: em.bic(data)?,
            em_aic: em.aic(data)?,
            em_icl: em.icl(data)?,
            em_mean_log_likelihood: em.score(data)?,
            em_converged: em.converged(),
            vb_elbo: vb.elbo(),
            vb_elbo_plus_ln_k_factorial: vb.elbo() + ln_factorial(k),
            vb_effective_components: vb.effective_components(settings.weight_threshold),
            vb_converged: vb.converged(),
        });
        on_fit();
    }
    Ok(SelectionReport::new(
        title.to_string(),
        data.n_samples(),
        data.n_features(),
        settings.covariance_type,
        settings.weight_threshold,
        rows,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use gmm_core::synthetic;

    #[test]
    fn both_fits_start_from_the_same_responsibilities() {
        let s = synthetic::draw(&synthetic::two_d_three_clusters(), 400, 5).unwrap();
        let settings = ComparisonSettings::new(3).holdout(0.25).seed(3);
        let c = compare(&s.data, "t", &settings, Truth::default()).unwrap();
        // the same responsibilities, fitted directly, give the same fits
        let (train_idx, _) = holdout_split(400, 0.25, 3).unwrap();
        let train = s.data.select(&train_idx).unwrap();
        let init = InitMethod::KMeans
            .initial_responsibilities(&train, 3, 3)
            .unwrap();
        let em = settings.em_params(3).fit_from(&train, &init).unwrap();
        let vb = settings.vb_params(3).fit_from(&train, &init).unwrap();
        assert_eq!(em.lower_bounds(), c.em.lower_bounds());
        assert_eq!(vb.lower_bounds(), c.vb.lower_bounds());
        assert_eq!((c.report.n_train, c.report.n_holdout), (300, 100));
        assert!(c.report.em.holdout_mean_log_likelihood.is_some());
        assert!(c.report.em.adjusted_rand_index.is_none());
        let mut order = c.report.vb_order.clone();
        order.sort_unstable();
        assert_eq!(order, vec![0, 1, 2]);
        // the JSON report reads back to the same value
        let back: ComparisonReport = serde_json::from_str(&c.report.to_json()).unwrap();
        assert_eq!(back, c.report);
    }

    #[test]
    fn surplus_components_are_pruned_by_vb_not_em() {
        let s = synthetic::draw(&synthetic::two_d_three_clusters(), 600, 8).unwrap();
        let truth = Truth {
            labels: Some(&s.labels),
            mixture: Some(&s.truth),
        };
        let c = compare(&s.data, "t", &ComparisonSettings::new(10), truth).unwrap();
        assert!(c.report.vb.effective_components < c.report.em.effective_components);
        let table = c.report.to_string();
        assert!(table.contains("ARI vs truth"), "{table}");
        assert_eq!(
            table
                .lines()
                .filter(|l| l.trim_start().starts_with("10 "))
                .count(),
            1
        );
    }

    #[test]
    fn bad_inputs_are_rejected() {
        let s = synthetic::draw(&synthetic::one_d_three_clusters(), 50, 8).unwrap();
        let labels = vec![0; 3];
        let truth = Truth {
            labels: Some(&labels),
            mixture: None,
        };
        assert!(compare(&s.data, "t", &ComparisonSettings::new(2), truth).is_err());
        assert!(matches!(
            compare(&s.data, "t", &ComparisonSettings::new(60), Truth::default()),
            Err(GmmError::TooFewSamples { .. })
        ));
        let mut nothing = || {};
        assert!(
            select(
                &s.data,
                "t",
                0,
                3,
                &ComparisonSettings::new(1),
                &mut nothing
            )
            .is_err()
        );
        assert!(
            select(
                &s.data,
                "t",
                4,
                3,
                &ComparisonSettings::new(1),
                &mut nothing
            )
            .is_err()
        );
        assert!(matches!(
            select(
                &s.data,
                "t",
                1,
                51,
                &ComparisonSettings::new(1),
                &mut nothing
            ),
            Err(GmmError::TooFewSamples { .. })
        ));
        assert!((ln_factorial(4) - 24f64.ln()).abs() < 1e-14);
        assert_eq!(ln_factorial(0), 0.0);
    }
}
