//! `gmm fit --method gibbs`: the sampler under VB's priors, its draws to `--draws-out`, and
//! warnings when the chains have not mixed or a component's posterior mean is not a usable
//! summary.

use std::path::Path;

use gmm_compare::ComparisonSettings;
use gmm_core::{Dataset, FittedModel, MixtureModel, ModelFile, Result};
use gmm_gibbs::GibbsFit;
use gmm_io::write_atomic;

use crate::args::FitArgs;
use crate::requests::{Start, gibbs_params};

/// The Gibbs sampler from `start` under the priors of `s`: the model file and the summary;
/// writes `--draws-out` (atomically) and warns on stderr when R-hat exceeds 1.01 and for
/// each summary warning.
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
    warn_about_summaries(&fit);
    if fit.rhat_exceeded() {
        eprintln!(
            "warning: the largest R-hat is {:.4} (> {}): the chains have not mixed; run more \
             --draws or a longer --burn-in, or use fewer components",
            d.max_rhat, d.rhat_threshold
        );
    }
    let kept = fit.predictive_draws().map_or(0, |p| p.len());
    let answer = if kept > 0 {
        format!("mean log posterior predictive density ({kept} kept draws)")
    } else {
        "mean log-likelihood of the posterior-mean mixture (no draws kept)".into()
    };
    let summary = format!(
        "Gibbs, K = {k}: {} chains x {} draws after {} burn-in sweeps, max R-hat {:.4}, \
         min bulk ESS {:.0}, {answer} {:.6}",
        params.n_chains(),
        params.draws_per_chain(),
        params.burn_in_sweeps(),
        d.max_rhat,
        d.min_bulk_ess,
        fit.score(data)?
    );
    Ok((fit.to_model_file(), summary))
}

/// Prints each of the fit's summary warnings on stderr, and a note when fewer draws were
/// kept for the predictive than asked because the file would have been too large.
fn warn_about_summaries(fit: &GibbsFit) {
    for w in fit.summary_warnings() {
        eprintln!("warning: {}", w.message);
    }
    let p = fit.params();
    let asked = p
        .predictive_draws_setting()
        .min(p.n_chains() * p.draws_per_chain());
    let kept = fit.predictive_draws().map_or(0, |d| d.len());
    if kept < asked {
        eprintln!(
            "note: {kept} of the {asked} draws asked for by --predictive-draws are kept: more \
             would make the model file larger than {} MiB",
            gmm_gibbs::MAX_PREDICTIVE_FILE_BYTES >> 20
        );
    }
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
