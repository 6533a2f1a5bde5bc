//! The Gibbs sampler beside EM and VB (`gmm compare --gibbs`): the exact posterior under VB's
//! priors, fitted to the same training points, against which VB's posterior spread is read
//! (docs/comparison.md, "Gibbs beside EM and VB").

use std::fmt::{self, Write as _};
use std::time::Instant;

use gmm_core::{Dataset, MixtureModel, Result};
use gmm_gibbs::{GibbsFit, GibbsParams};
use gmm_vb::VbFit;
use serde::{Deserialize, Serialize};

use crate::compare::{Comparison, ComparisonSettings};
use crate::matching::match_components;
use crate::metrics::holdout_split;

/// The chains of the Gibbs fit of a comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GibbsSettings {
    /// Draws kept per chain.
    pub draws: usize,
    /// Burn-in sweeps per chain.
    pub burn_in: usize,
    /// Number of chains.
    pub chains: usize,
}

impl Default for GibbsSettings {
    fn default() -> Self {
        Self {
            draws: gmm_gibbs::DEFAULT_DRAWS,
            burn_in: gmm_gibbs::DEFAULT_BURN_IN,
            chains: gmm_gibbs::DEFAULT_CHAINS,
        }
    }
}

/// One VB component and the Gibbs component matched to it: the posterior standard deviation
/// of each mean coordinate by both, and VB's over Gibbs's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ComponentSpread {
    /// The VB component (its index in the VB fit).
    pub vb_component: usize,
    /// The Gibbs component matched to it (relabelled index).
    pub gibbs_component: usize,
    /// VB's expected weight.
    pub vb_weight: f64,
    /// Gibbs's posterior mean weight.
    pub gibbs_weight: f64,
    /// VB's posterior standard deviation of each mean coordinate,
    /// `sqrt((W_k^{-1})_jj / (beta_k (nu_k - D - 1)))` (`None` where `nu_k <= D + 1`: the
    /// Student-t marginal has no variance).
    pub vb_mean_sd: Vec<Option<f64>>,
    /// Gibbs's posterior standard deviation of each mean coordinate (over the draws).
    pub gibbs_mean_sd: Vec<f64>,
    /// `vb_mean_sd / gibbs_mean_sd` per coordinate: below 1 where VB is over-confident.
    pub sd_ratio: Vec<Option<f64>>,
}

/// What `gmm compare --gibbs` adds to the comparison.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GibbsReport {
    /// Chains run.
    pub chains: usize,
    /// Draws kept per chain.
    pub draws_per_chain: usize,
    /// Burn-in sweeps per chain.
    pub burn_in: usize,
    /// The largest split R-hat.
    pub max_rhat: f64,
    /// Whether it exceeds 1.01 (the chains have not mixed).
    pub rhat_exceeded: bool,
    /// Wall time of the Gibbs fit, seconds.
    pub wall_time_seconds: f64,
    /// Mean log predictive density of the held-out points (`None` without any): EM's
    /// plug-in mixture, VB's Student-t posterior predictive, Gibbs's posterior predictive
    /// (the average of the draws' densities).
    pub holdout_log_predictive: Option<HoldoutLogPredictive>,
    /// Every VB component with weight above the comparison's threshold, with its Gibbs
    /// partner.
    pub components: Vec<ComponentSpread>,
}

/// Mean held-out log predictive densities.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct HoldoutLogPredictive {
    /// EM (plug-in maximum-likelihood mixture).
    pub em: f64,
    /// VB (posterior predictive of the variational posterior).
    pub vb: f64,
    /// Gibbs (posterior predictive, averaged over the draws).
    pub gibbs: f64,
}

/// A comparison's Gibbs fit and its report.
#[derive(Debug, Clone)]
pub struct GibbsComparison {
    /// The report.
    pub report: GibbsReport,
    /// The Gibbs fit (on the comparison's training points).
    pub fit: GibbsFit,
}

/// VB's posterior standard deviation of each mean coordinate of component `k` (the
/// Student-t marginal of `q(mu_k)`; docs/vb.md).
fn vb_mean_sd(vb: &VbFit, k: usize) -> Vec<Option<f64>> {
    let state = vb.state();
    let d = state.n_features();
    let nu = state.degrees_of_freedom()[k];
    let beta = state.mean_precision()[k];
    let scale_inverse = state.scale_inverse().variances(k, d);
    (0..d)
        .map(|j| {
            let dof_term = nu - d as f64 - 1.0;
            (dof_term > 0.0).then(|| (scale_inverse[j] / (beta * dof_term)).sqrt())
        })
        .collect()
}

impl GibbsReport {
    /// The report as pretty-printed JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a report always serialises")
    }
}

/// Fits the Gibbs sampler to the training points of `comparison` (the same split, K,
/// covariance type, priors, initialisation and seed as its VB fit) and reads it beside EM
/// and VB.
///
/// # Errors
/// Any error of the Gibbs fit (invalid settings named) or of the matching.
pub fn compare_gibbs(
    data: &Dataset,
    comparison: &Comparison,
    settings: &ComparisonSettings,
    gibbs: GibbsSettings,
) -> Result<GibbsComparison> {
    let (train_idx, test_idx) = holdout_split(data.n_samples(), settings.holdout, settings.seed)?;
    let train = data.select(&train_idx)?;
    let params = gibbs_params(settings, gibbs);
    let start = Instant::now();
    let fit = params.fit(&train)?;
    let seconds = start.elapsed().as_secs_f64();
    let holdout_log_predictive = if test_idx.is_empty() {
        None
    } else {
        let test = data.select(&test_idx)?;
        let lpd = fit.log_predictive_density(&test)?;
        Some(HoldoutLogPredictive {
            em: comparison.em.score(&test)?,
            vb: comparison.vb.score(&test)?,
            gibbs: lpd.iter().sum::<f64>() / lpd.len() as f64,
        })
    };
    let vb = &comparison.vb;
    let vb_point = vb.point_estimate();
    let matching = match_components(vb_point, fit.mixture(), settings.weight_threshold)?;
    let summary = fit.summary();
    let components = (0..vb_point.n_components())
        .filter(|&k| vb_point.weights()[k] > settings.weight_threshold)
        .filter_map(|k| matching.partner_of_reference[k].map(|g| (k, g)))
        .map(|(k, g)| {
            let vb_sd = vb_mean_sd(vb, k);
            let gibbs_sd: Vec<f64> = summary.means_sd.row(g).iter().copied().collect();
            let sd_ratio = vb_sd
                .iter()
                .zip(&gibbs_sd)
                .map(|(v, g)| v.filter(|_| *g > 0.0).map(|v| v / g))
                .collect();
            ComponentSpread {
                vb_component: k,
                gibbs_component: g,
                vb_weight: vb_point.weights()[k],
                gibbs_weight: summary.weights_mean[g],
                vb_mean_sd: vb_sd,
                gibbs_mean_sd: gibbs_sd,
                sd_ratio,
            }
        })
        .collect();
    let report = GibbsReport {
        chains: gibbs.chains,
        draws_per_chain: gibbs.draws,
        burn_in: gibbs.burn_in,
        max_rhat: fit.diagnostics().max_rhat,
        rhat_exceeded: fit.rhat_exceeded(),
        wall_time_seconds: seconds,
        holdout_log_predictive,
        components,
    };
    Ok(GibbsComparison { report, fit })
}

/// The Gibbs parameters of a comparison: VB's model and priors, the comparison's
/// initialisation and seed.
fn gibbs_params(s: &ComparisonSettings, g: GibbsSettings) -> GibbsParams {
    let mut p = GibbsParams::new(s.n_components)
        .covariance_type(s.covariance_type)
        .prior_spec(s.priors.clone())
        .init(s.init.clone())
        .seed(s.seed)
        .draws(g.draws)
        .burn_in(g.burn_in)
        .chains(g.chains);
    if let Some(bytes) = s.max_memory {
        p = p.max_memory(bytes);
    }
    p
}

/// A number, or `-` for none.
fn cell(v: Option<f64>) -> String {
    v.map_or_else(|| "-".into(), |v| format!("{v:.4}"))
}

impl fmt::Display for GibbsReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "Gibbs: {} chains x {} draws after {} burn-in sweeps, {:.2} s, max R-hat {:.4}{}",
            self.chains,
            self.draws_per_chain,
            self.burn_in,
            self.wall_time_seconds,
            self.max_rhat,
            if self.rhat_exceeded {
                " (WARNING: > 1.01, the chains have not mixed)"
            } else {
                ""
            }
        );
        if let Some(h) = &self.holdout_log_predictive {
            let _ = writeln!(
                out,
                "held-out mean log predictive density: EM {:.4}, VB {:.4}, Gibbs {:.4}",
                h.em, h.vb, h.gibbs
            );
        }
        let _ = writeln!(
            out,
            "posterior sd of the means (VB component / Gibbs component, coordinate): VB, Gibbs, VB / Gibbs"
        );
        for c in &self.components {
            let _ = writeln!(
                out,
                "  {} / {}: weight VB {:.4}, Gibbs {:.4}",
                c.vb_component, c.gibbs_component, c.vb_weight, c.gibbs_weight
            );
            for (j, ((v, g), r)) in c
                .vb_mean_sd
                .iter()
                .zip(&c.gibbs_mean_sd)
                .zip(&c.sd_ratio)
                .enumerate()
            {
                let _ = writeln!(
                    out,
                    "  {} / {}, {j}: {}  {:.4}  {}",
                    c.vb_component,
                    c.gibbs_component,
                    cell(*v),
                    g,
                    cell(*r)
                );
            }
        }
        f.write_str(&out)
    }
}
