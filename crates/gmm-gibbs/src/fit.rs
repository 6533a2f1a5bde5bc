//! The result of a Gibbs fit: every relabelled draw, the posterior summary, the diagnostics,
//! the warnings on the summary, and the thinned draws whose posterior predictive answers
//! `predict` and `score`.

use gmm_core::{
    Dataset, Estimator, FitRecord, FittedModel, GaussianMixture, MixtureModel, ModelFile,
    PosteriorDraws, Result, model_file::StoredDraw,
};
use gmm_vb::Priors;
use nalgebra::DMatrix;
use serde::Serialize;

use crate::draw::Draw;
use crate::params::GibbsParams;
use crate::relabel::{inverse_scale, relabel};
use crate::sampler::Sampler;
use crate::summary::{Diagnostics, PosteriorSummary};
use crate::thinning::predictive;
use crate::warnings::{SummaryWarning, summary_warnings};

/// A fitted Gibbs sampler: the relabelled draws of every chain and what they summarise to.
///
/// As a [`MixtureModel`] it is the **posterior predictive** of a thinned set of its draws
/// ([`GibbsFit::predictive_draws`], [`GibbsParams::predictive_draws`], default 200;
/// [`PosteriorDraws`] says exactly what `score_samples`, `predict_proba` and `predict`
/// are), the same draws its model file keeps, so a loaded file answers as the fit. With no
/// draws kept it is the posterior-mean mixture ([`GibbsFit::posterior_mean_mixture`]).
#[derive(Debug, Clone)]
pub struct GibbsFit {
    params: GibbsParams,
    sampler: Sampler,
    draws: Vec<Vec<Draw>>,
    summary: PosteriorSummary,
    diagnostics: Diagnostics,
    warnings: Vec<SummaryWarning>,
    mixture: GaussianMixture,
    kept: Vec<(usize, usize)>,
    predictive: Option<PosteriorDraws>,
    record: FitRecord,
}

impl GibbsFit {
    /// Relabels the chains' draws, summarises them, builds the posterior-mean mixture and
    /// keeps the predictive's draws.
    pub(crate) fn from_chains(
        params: GibbsParams,
        sampler: Sampler,
        data: &Dataset,
        mut draws: Vec<Vec<Draw>>,
    ) -> Result<Self> {
        let scale = column_sd(data);
        let reference = relabel(&mut draws, &scale)?;
        let summary = PosteriorSummary::of(&draws);
        let diagnostics = Diagnostics::of(&draws);
        let nu0 = sampler.priors().degrees_of_freedom;
        let warnings = summary_warnings(&draws, &reference, &inverse_scale(&scale), nu0);
        let total: f64 = summary.weights_mean.sum();
        let mixture = GaussianMixture::new(
            &summary.weights_mean / total,
            summary.means_mean.clone(),
            summary.covariances_mean.clone(),
        )?;
        let (kept, predictive) = predictive(&params, &draws)?;
        let record = fit_record(&draws, params.draws, &diagnostics);
        Ok(Self {
            params,
            sampler,
            draws,
            summary,
            diagnostics,
            warnings,
            mixture,
            kept,
            predictive,
            record,
        })
    }

    /// The posterior-mean mixture (mean weights, means and covariances of the relabelled
    /// draws): what the model file's weights, means and covariances hold. Not the posterior
    /// predictive; see [`GibbsFit::summary_warnings`] for when it is not a usable summary.
    pub fn posterior_mean_mixture(&self) -> &GaussianMixture {
        &self.mixture
    }

    /// The thinned draws whose posterior predictive answers `score`, `predict` and
    /// `predict_proba` (`None` when none are kept), as mixtures.
    pub fn predictive_draws(&self) -> Option<&PosteriorDraws> {
        self.predictive.as_ref()
    }

    /// The `(chain, draw)` index of each of [`GibbsFit::predictive_draws`], in order
    /// (docs/gibbs.md, P1).
    pub fn predictive_draw_indices(&self) -> &[(usize, usize)] {
        &self.kept
    }

    /// The components whose posterior mean is not a usable summary, and why (docs/gibbs.md,
    /// W1-W2); empty when every summary is usable.
    pub fn summary_warnings(&self) -> &[SummaryWarning] {
        &self.warnings
    }

    /// The relabelled draws, one vector per chain, in sweep order.
    pub fn draws(&self) -> &[Vec<Draw>] {
        &self.draws
    }

    /// Posterior means and standard deviations of the weights, means and covariances.
    pub fn summary(&self) -> &PosteriorSummary {
        &self.summary
    }

    /// Split R-hat and bulk ESS of the log-likelihood, the weights and the means.
    pub fn diagnostics(&self) -> &Diagnostics {
        &self.diagnostics
    }

    /// Whether some R-hat exceeds 1.01: the chains did not mix (more draws, a longer
    /// burn-in, or a model with fewer components).
    pub fn rhat_exceeded(&self) -> bool {
        self.diagnostics.rhat_exceeded
    }

    /// The posterior-mean mixture.
    pub fn mixture(&self) -> &GaussianMixture {
        &self.mixture
    }

    /// The resolved priors the chains sampled under.
    pub fn priors(&self) -> &Priors {
        self.sampler.priors()
    }

    /// The settings of the fit.
    pub fn params(&self) -> &GibbsParams {
        &self.params
    }

    /// The log posterior predictive density of each point of `data`,
    /// `ln (1/S) sum_s p(x | theta_s)` over all `S` kept draws (docs/gibbs.md, D5): the
    /// Monte Carlo estimate of `ln p(x | X)`, which the posterior-mean mixture of
    /// [`MixtureModel::score_samples`] only approximates. Costs one pass of the kernel per
    /// draw; memory O(N).
    ///
    /// # Errors
    /// [`gmm_core::GmmError::ShapeMismatch`] for data of another dimension.
    pub fn log_predictive_density(&self, data: &Dataset) -> Result<Vec<f64>> {
        data.check_features(self.mixture.n_features())?;
        let n = data.n_samples();
        // Streamed log-sum-exp over draws: running maximum and scaled sum per point.
        let mut max = vec![f64::NEG_INFINITY; n];
        let mut sum = vec![0.0; n];
        let mut count = 0usize;
        for draw in self.draws.iter().flatten() {
            let log_density = draw.kernel()?.log_norm(data)?;
            for ((m, s), &v) in max.iter_mut().zip(&mut sum).zip(&log_density) {
                if v > *m {
                    *s = *s * (*m - v).exp() + 1.0;
                    *m = v;
                } else {
                    *s += (v - *m).exp();
                }
            }
            count += 1;
        }
        let ln_count = (count as f64).ln();
        Ok(max
            .iter()
            .zip(&sum)
            .map(|(m, s)| m + s.ln() - ln_count)
            .collect())
    }

    /// The summary written under `"gibbs"` in the model file.
    fn file_summary(&self) -> GibbsFileSummary {
        let rows = |m: &DMatrix<f64>| -> Vec<Vec<f64>> {
            (0..m.nrows())
                .map(|r| m.row(r).iter().copied().collect())
                .collect()
        };
        let p = self.priors();
        GibbsFileSummary {
            chains: self.params.chains,
            draws_per_chain: self.params.draws,
            burn_in: self.params.burn_in,
            seed: self.params.seed,
            weight_prior_type: p.weight_prior.name(),
            priors: FilePriors {
                weight_concentration_prior: p.weight_concentration,
                mean_precision_prior: p.mean_precision,
                mean_prior: p.mean.iter().copied().collect(),
                degrees_of_freedom_prior: p.degrees_of_freedom,
                covariance_prior: rows(&p.covariance_matrix()),
            },
            weights_sd: self.summary.weights_sd.iter().copied().collect(),
            means_sd: rows(&self.summary.means_sd),
            covariances_sd: covariance_storage(&self.summary.covariances_sd),
            diagnostics: self.diagnostics.clone(),
            summary_warnings: self.warnings.clone(),
            predictive_draws_asked: self.params.predictive_draws,
            draws: self.stored_draws(),
        }
    }

    /// The predictive's draws in the model file's form.
    fn stored_draws(&self) -> Vec<StoredDraw> {
        let Some(p) = &self.predictive else {
            return Vec::new();
        };
        self.kept
            .iter()
            .zip(p.draws())
            .map(|(&(chain, draw), m)| StoredDraw::of(m, chain, draw))
            .collect()
    }
}

/// A covariance summary in its type's storage, as JSON: K D x D matrices (full), one D x D
/// matrix (tied), K vectors of D (diag), K numbers (spherical).
fn covariance_storage(c: &gmm_core::Covariances) -> serde_json::Value {
    use gmm_core::Covariances::*;
    let rows = |m: &DMatrix<f64>| -> Vec<Vec<f64>> {
        (0..m.nrows())
            .map(|r| m.row(r).iter().copied().collect())
            .collect()
    };
    match c {
        Full(ms) => serde_json::json!(ms.iter().map(rows).collect::<Vec<_>>()),
        Tied(m) => serde_json::json!(rows(m)),
        Diagonal(vs) => {
            serde_json::json!(
                vs.iter()
                    .map(|v| v.iter().copied().collect::<Vec<_>>())
                    .collect::<Vec<_>>()
            )
        }
        Spherical(v) => serde_json::json!(v),
    }
}

/// The record: the log-likelihood of each kept sweep averaged over the chains, converged
/// when no R-hat exceeds the threshold.
fn fit_record(draws: &[Vec<Draw>], per_chain: usize, diagnostics: &Diagnostics) -> FitRecord {
    let mut record = FitRecord::new(Estimator::Gibbs);
    for t in 0..per_chain {
        let mean_ll = draws.iter().map(|c| c[t].log_likelihood()).sum::<f64>() / draws.len() as f64;
        record.push_bound(mean_ll, 1.0, 0.0);
    }
    record.finish(!diagnostics.rhat_exceeded);
    record
}

/// The standard deviation of each column of the data (divisor N).
fn column_sd(data: &Dataset) -> Vec<f64> {
    let d = data.n_features();
    let n = data.n_samples() as f64;
    let mean = data.mean();
    let mut ss = vec![0.0; d];
    for i in 0..data.n_samples() {
        for (j, (s, x)) in ss.iter_mut().zip(data.row(i)).enumerate() {
            *s += (x - mean[j]).powi(2);
        }
    }
    ss.iter().map(|s| (s / n).sqrt()).collect()
}

/// The `"gibbs"` object of a model file (docs/model-format.md).
#[derive(Serialize)]
struct GibbsFileSummary {
    chains: usize,
    draws_per_chain: usize,
    burn_in: usize,
    seed: u64,
    weight_prior_type: &'static str,
    priors: FilePriors,
    weights_sd: Vec<f64>,
    means_sd: Vec<Vec<f64>>,
    covariances_sd: serde_json::Value,
    diagnostics: Diagnostics,
    summary_warnings: Vec<SummaryWarning>,
    predictive_draws_asked: usize,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    draws: Vec<StoredDraw>,
}

/// The resolved priors in a model file (the names of VB's `posterior.priors`).
#[derive(Serialize)]
struct FilePriors {
    weight_concentration_prior: f64,
    mean_precision_prior: f64,
    mean_prior: Vec<f64>,
    degrees_of_freedom_prior: f64,
    covariance_prior: Vec<Vec<f64>>,
}

impl GibbsFit {
    /// What answers the queries: the predictive's draws, or the posterior-mean mixture
    /// when none are kept.
    fn answering(&self) -> &dyn MixtureModel {
        match &self.predictive {
            Some(p) => p,
            None => &self.mixture,
        }
    }
}

/// The posterior predictive of the kept draws (or the posterior-mean mixture without them).
impl MixtureModel for GibbsFit {
    fn n_components(&self) -> usize {
        self.mixture.n_components()
    }

    fn n_features(&self) -> usize {
        self.mixture.n_features()
    }

    fn score_samples(&self, data: &Dataset) -> Result<Vec<f64>> {
        self.answering().score_samples(data)
    }

    fn predict_proba_within(
        &self,
        data: &Dataset,
        max_memory: Option<u64>,
    ) -> Result<DMatrix<f64>> {
        self.answering().predict_proba_within(data, max_memory)
    }

    fn predict(&self, data: &Dataset) -> Result<Vec<usize>> {
        self.answering().predict(data)
    }
}

impl FittedModel for GibbsFit {
    fn fit_record(&self) -> &FitRecord {
        &self.record
    }

    fn to_model_file(&self) -> ModelFile {
        let mut file = ModelFile::from_mixture(&self.mixture);
        file.fit = Some(self.record.clone());
        file.gibbs =
            Some(serde_json::to_value(self.file_summary()).expect("the Gibbs summary serialises"));
        file
    }
}
