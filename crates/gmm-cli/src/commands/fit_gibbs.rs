//! `gmm fit --method gibbs`: the sampler under VB's priors, its draws to `--draws-out`, and
//! a warning when the chains have not mixed.

use std::path::Path;

use gmm_compare::ComparisonSettings;
use gmm_core::{Dataset, FittedModel, MixtureModel, ModelFile, Result};
use gmm_gibbs::GibbsFit;
use gmm_io::write_atomic;

use crate::args::FitArgs;
use crate::requests::{Start, gibbs_params};

/// The Gibbs sampler from `start` under the priors of `s`: the model file and the summary;
/// writes `--draws-out` (atomically) and warns on stderr when R-hat exceeds 1.01.
pub fn fit_gibbs(
    a: &FitArgs,
    s: &ComparisonSettings,
    start: Start,
    data: &Dataset,
) -> Result<(ModelFile, String)> {
    let Start::Init(k, init) = start else {
        unreachable!("--init-model is refused for Gibbs before the start is read")
    };
    let params = gibbs_params(a, s, k, init);
    let fit = params.fit(data)?;
    if let Some(path) = &a.draws_out {
        write_draws(&fit, path)?;
    }
    let d = fit.diagnostics();
    if fit.rhat_exceeded() {
        eprintln!(
            "warning: the largest R-hat is {:.4} (> {}): the chains have not mixed; run more \
             --draws or a longer --burn-in, or use fewer components",
            d.max_rhat, d.rhat_threshold
        );
    }
    let summary = format!(
        "Gibbs, K = {k}: {} chains x {} draws after {} burn-in sweeps, max R-hat {:.4}, \
         min bulk ESS {:.0}, mean log-likelihood of the posterior-mean mixture {:.6}",
        params.n_chains(),
        params.draws_per_chain(),
        params.burn_in_sweeps(),
        d.max_rhat,
        d.min_bulk_ess,
        fit.score(data)?
    );
    Ok((fit.to_model_file(), summary))
}

/// Writes every relabelled draw to `path` atomically: JSON for a `.json` name, CSV
/// otherwise.
fn write_draws(fit: &GibbsFit, path: &Path) -> Result<()> {
    let json = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"));
    let text = if json {
        fit.draws_to_json()
    } else {
        fit.draws_to_csv()
    };
    write_atomic(path, text.as_bytes())
}
