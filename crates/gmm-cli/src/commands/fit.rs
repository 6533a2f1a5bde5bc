//! `gmm fit`: EM or VB (the sampler in `fit_gibbs`, MAP-EM in `fit_map`) on the data in memory or read again on
//! every pass (`--stream`); the model file to `-o` (or stdout) and a summary.

use gmm_core::model_file::check_feature_names;
use gmm_core::{
    CovarianceType, DataSource, Dataset, FitRecord, FittedModel, GmmError, MixtureModel, ModelFile,
    Passes, Result, check_memory,
};
use gmm_em::{EmFit, EmParams};
use gmm_io::{
    NamedSource, SourceOptions, open_named_source, read_single_precision, read_table, write_atomic,
};
use gmm_vb::{VbFit, VbParams};

use super::fit_gibbs::fit_gibbs;
use super::fit_map::{fit_map, fit_map_streamed};
use super::print_out;
use crate::args::{Dtype, FitArgs, Method};
use crate::errors::CliResult;
use crate::requests::{
    Start, check_fit_flags, fit_source_options, fit_start, map_params, responsibilities_of,
    settings, source_options,
};

/// `gmm fit`.
pub fn fit(a: &FitArgs) -> CliResult {
    check_fit_flags(a)?;
    if a.input.stream {
        return fit_streamed(a);
    }
    if a.dtype == Dtype::F32 {
        return fit_single_precision(a);
    }
    let options = SourceOptions {
        max_memory: a.options.max_memory,
        ..source_options(&a.input)
    };
    let table = read_table(&a.data, &options)?;
    let data = &table.data;
    let start = fit_start(a, data.n_features(), &mut || Ok(data.n_samples()))?;
    let k = start.n_components();
    let covariance_type = start.covariance_type(&a.options);
    let d = data.n_features();
    check_model_file_memory(a.method, covariance_type, k, d, a.options.max_memory)?;
    let s = settings(k, covariance_type, &a.options, d, false)?;
    let (file, summary) = match a.method {
        Method::Em => fit_em(s.em_params(k).n_init(a.n_init), start, data)?,
        Method::Map => fit_map(map_params(a, k, covariance_type, d)?, start, data)?,
        Method::Vb => fit_vb(s.vb_params(k).n_init(a.n_init), start, data)?,
        Method::Gibbs => fit_gibbs(a, &s, start, data)?,
    };
    write_model(a, &named(file, table.column_names), &summary)
}

/// The model file with the names of the columns it was fitted on (when the data file named
/// them); names that cannot be recorded (two columns of the same name, which would not say
/// which to read) are left out, with a warning.
fn named(mut file: ModelFile, names: Option<Vec<String>>) -> ModelFile {
    let d = file.means.first().map_or(0, Vec::len);
    match names.map(|n| check_feature_names(&n, d).map(|()| n)) {
        Some(Ok(names)) => file.feature_names = Some(names),
        Some(Err(_)) => eprintln!(
            "warning: two of the columns read share a name, so the model file records no \
             feature names: predict and score will read its columns by position"
        ),
        None => {}
    }
    file
}

/// Refuses a fit whose model file would not fit in memory (the file holds what the
/// covariance type stores; a VB file also its posterior: `gmm_vb::model_file_bytes`).
fn check_model_file_memory(
    method: Method,
    covariance_type: CovarianceType,
    k: usize,
    d: usize,
    max_memory: Option<u64>,
) -> Result<()> {
    let (bytes, what) = match method {
        Method::Em | Method::Map => (
            ModelFile::estimated_bytes(covariance_type, k, d),
            "the model file",
        ),
        Method::Vb => (
            gmm_vb::model_file_bytes(covariance_type, k, d),
            "the model file with its posterior",
        ),
        // the posterior-mean mixture and, beside it, a standard deviation per number
        Method::Gibbs => (
            2 * ModelFile::estimated_bytes(covariance_type, k, d),
            "the model file with its posterior standard deviations",
        ),
    };
    let what = if matches!(covariance_type, CovarianceType::Full | CovarianceType::Tied) {
        format!("{what} ({covariance_type} covariances: D x D numbers per component)")
    } else {
        what.to_string()
    };
    check_memory(bytes, max_memory, &what)
}

/// With `--dtype f32`: a warning when some iterations ran the E-step in f64 lanes (a model
/// too ill-conditioned for f32, or data too far apart; `gmm_core::SINGLE_PRECISION_LIMIT`).
fn warn_f64_lanes(file: &ModelFile) {
    if let Some(record) = &file.fit {
        let wide = record.n_iter() - record.single_precision_steps().min(record.n_iter());
        if wide > 0 {
            eprintln!(
                "warning: {wide} of {} iterations ran the E-step in f64 lanes: the model was \
                 too ill-conditioned for f32 (or the data too far apart); their results are \
                 the f64 fit's",
                record.n_iter()
            );
        }
    }
}

/// Writes the model to `-o` (or stdout) and the summary to the other stream.
fn write_model(a: &FitArgs, file: &ModelFile, summary: &str) -> CliResult {
    if a.model_to_stdout() {
        eprintln!("{summary}");
        print_out(&format!("{}\n", file.to_json()))
    } else {
        write_atomic(&a.output, file.to_json().as_bytes())?;
        print_out(&format!("{summary}\nwrote {}\n", a.output.display()))
    }
}

/// `gmm fit --stream`: EM or VB reading the file again on every pass; EM's summary score
/// and BIC from one more pass.
fn fit_streamed(a: &FitArgs) -> CliResult {
    // every pass reads the files again: a pipe is refused before anything is read
    gmm_io::check_rereadable(&a.data)?;
    if let Some(weights) = &a.input.weights {
        gmm_io::check_rereadable(weights)?;
    }
    let NamedSource {
        mut source,
        column_names,
    } = open_named_source(&a.data, &fit_source_options(a))?;
    fit_on_source(a, source.as_mut(), column_names)
}

/// `gmm fit --dtype f32` without `--stream`: the file read whole into memory as `f32`, then
/// the fit of [`fit_on_source`] over it.
fn fit_single_precision(a: &FitArgs) -> CliResult {
    let options = SourceOptions {
        max_memory: a.options.max_memory,
        ..fit_source_options(a)
    };
    let table = read_single_precision(&a.data, &options)?;
    fit_on_source(a, &mut table.source()?, table.column_names.clone())
}

/// EM or VB on `source` (a file read pass after pass, or points in memory as `f32`), the
/// model written with the names of its columns.
fn fit_on_source(
    a: &FitArgs,
    source: &mut dyn DataSource,
    column_names: Option<Vec<String>>,
) -> CliResult {
    let d = source.n_features();
    let start = fit_start(a, d, &mut || Ok(Passes::new(source).summary()?.n_samples))?;
    let k = start.n_components();
    let covariance_type = start.covariance_type(&a.options);
    check_model_file_memory(a.method, covariance_type, k, d, a.options.max_memory)?;
    let s = settings(k, covariance_type, &a.options, d, false)?;
    let sample = a.init_sample.unwrap_or(gmm_core::DEFAULT_INIT_SAMPLE);
    let em = || s.em_params(k).n_init(a.n_init).init_sample(sample);
    let vb = || s.vb_params(k).n_init(a.n_init).init_sample(sample);
    let (file, summary) = match a.method {
        Method::Em => fit_em_streamed(em(), start, source)?,
        Method::Map => fit_map_streamed(
            map_params(a, k, covariance_type, d)?.init_sample(sample),
            start,
            source,
        )?,
        Method::Vb => fit_vb_streamed(a, vb(), start, source)?,
        Method::Gibbs => {
            return Err(GmmError::InvalidParameter {
                name: "stream",
                value: "gibbs".into(),
                reason: "the Gibbs sampler holds its data in memory: leave out --stream".into(),
            }
            .into());
        }
    };
    if a.dtype == Dtype::F32 {
        warn_f64_lanes(&file);
    }
    write_model(a, &named(file, column_names), &summary)
}

/// EM from `start` on `source`: the model file and the summary (the score and BIC from one
/// more pass).
fn fit_em_streamed(
    params: EmParams,
    start: Start,
    source: &mut dyn DataSource,
) -> Result<(ModelFile, String)> {
    let fit = match start {
        Start::Init(_, init) => params.init(init).fit_source(source)?,
        Start::Mixture(gm) => params.warm_start(*gm).fit_source(source)?,
        Start::Posterior(_) => unreachable!("EM starts from a VB file's point estimate"),
    };
    let sums = fit.mixture().score_sums_source(source)?;
    let bic = fit.mixture().bic_from(sums.total_weight, sums.mean());
    Ok((fit.to_model_file(), em_summary(&fit, sums.mean(), bic)))
}

/// VB from `start` on `source`: the model file and the summary.
fn fit_vb_streamed(
    a: &FitArgs,
    params: VbParams,
    start: Start,
    source: &mut dyn DataSource,
) -> Result<(ModelFile, String)> {
    let fit = match start {
        Start::Init(_, init) => params.init(init).fit_source(source)?,
        Start::Posterior(model) => params.warm_start(*model).fit_source(source)?,
        Start::Mixture(_) => return Err(vb_from_mixture_streamed(a)),
    };
    Ok((fit.to_model_file(), vb_summary(&fit)))
}

/// The error of `--method vb --stream --init-model` with a mixture (an EM file): VB starts
/// from the mixture's responsibilities on the data, which are not held.
fn vb_from_mixture_streamed(a: &FitArgs) -> GmmError {
    GmmError::InvalidParameter {
        name: "--init-model",
        value: a
            .init_model
            .as_ref()
            .map_or_else(String::new, |p| p.display().to_string()),
        reason: "with --method vb --stream or --dtype f32, give a VB model file (its posterior \
                 is continued) or --init-means; VB's start from a mixture needs the data in \
                 memory as f64 (drop --stream and --dtype f32)"
            .into(),
    }
}

/// EM from `start`: the model file and the summary.
fn fit_em(params: EmParams, start: Start, data: &Dataset) -> Result<(ModelFile, String)> {
    let fit = match start {
        Start::Init(_, init) => params.init(init).fit(data)?,
        Start::Mixture(gm) => params.warm_start(*gm).fit(data)?,
        Start::Posterior(_) => unreachable!("EM starts from a VB file's point estimate"),
    };
    let summary = em_summary(&fit, fit.score(data)?, fit.bic(data)?);
    Ok((fit.to_model_file(), summary))
}

/// VB from `start`: the model file and the summary.
fn fit_vb(params: VbParams, start: Start, data: &Dataset) -> Result<(ModelFile, String)> {
    let fit = match start {
        Start::Init(_, init) => params.init(init).fit(data)?,
        Start::Mixture(gm) => params.fit_from(data, &responsibilities_of(&gm, data)?)?,
        Start::Posterior(model) => params.warm_start(*model).fit(data)?,
    };
    Ok((fit.to_model_file(), vb_summary(&fit)))
}

/// "EM, K = ...: iterations, mean log-likelihood, BIC".
fn em_summary(fit: &EmFit, score: f64, bic: f64) -> String {
    format!(
        "EM, K = {}: {}, mean log-likelihood {score:.6}, BIC {bic:.3}",
        fit.mixture().n_components(),
        iterations_summary(fit.fit_record()),
    )
}

/// "VB, K = ...: iterations, ELBO, effective components".
fn vb_summary(fit: &VbFit) -> String {
    format!(
        "VB, K = {}: {}, ELBO {:.6}, {} components with weight > {}",
        fit.model().n_components(),
        iterations_summary(fit.fit_record()),
        fit.elbo(),
        fit.effective_components(gmm_vb::DEFAULT_WEIGHT_THRESHOLD),
        gmm_vb::DEFAULT_WEIGHT_THRESHOLD
    )
}

/// "N iterations, converged" (or "not converged"), and how many ran the E-step in f32
/// lanes when any did.
fn iterations_summary(record: &FitRecord) -> String {
    let state = if record.converged() {
        "converged"
    } else {
        "not converged"
    };
    let n_iter = record.n_iter();
    match record.single_precision_steps() {
        0 => format!("{n_iter} iterations, {state}"),
        f32_steps => format!("{n_iter} iterations ({f32_steps} in f32 lanes), {state}"),
    }
}
