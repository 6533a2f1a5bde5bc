//! `gmm fit --method map`: MAP-EM on the data in memory or read again on every pass; the
//! model file (method "map", with its prior) and a summary.

use gmm_core::{DataSource, Dataset, FittedModel, MixtureModel, ModelFile, Result};
use gmm_em::{EmFit, MapParams};

use crate::requests::Start;

/// MAP-EM from `start` on data in memory: the model file and the summary.
pub fn fit_map(params: MapParams, start: Start, data: &Dataset) -> Result<(ModelFile, String)> {
    let fit = match start {
        Start::Init(_, init) => params.init(init).fit(data)?,
        Start::Mixture(gm) => params.warm_start(*gm).fit(data)?,
        Start::Posterior(_) => unreachable!("MAP-EM starts from a VB file's point estimate"),
    };
    let summary = map_summary(&fit, fit.score(data)?, fit.bic(data)?);
    Ok((fit.to_model_file(), summary))
}

/// MAP-EM from `start` on `source` (the score and BIC of the summary from one more pass).
pub fn fit_map_streamed(
    params: MapParams,
    start: Start,
    source: &mut dyn DataSource,
) -> Result<(ModelFile, String)> {
    let fit = match start {
        Start::Init(_, init) => params.init(init).fit_source(source)?,
        Start::Mixture(gm) => params.warm_start(*gm).fit_source(source)?,
        Start::Posterior(_) => unreachable!("MAP-EM starts from a VB file's point estimate"),
    };
    let sums = fit.mixture().score_sums_source(source)?;
    let bic = fit.mixture().bic_from(sums.total_weight, sums.mean());
    Ok((fit.to_model_file(), map_summary(&fit, sums.mean(), bic)))
}

/// "MAP-EM, K = ...: iterations, mean log posterior, mean log-likelihood, BIC".
fn map_summary(fit: &EmFit, score: f64, bic: f64) -> String {
    let state = if fit.converged() {
        "converged"
    } else {
        "not converged"
    };
    format!(
        "MAP-EM, K = {}: {} iterations, {state}, mean log posterior {:.6} (before the last \
         M-step), mean log-likelihood {score:.6}, BIC {bic:.3}",
        fit.mixture().n_components(),
        fit.n_iter(),
        fit.lower_bound(),
    )
}
