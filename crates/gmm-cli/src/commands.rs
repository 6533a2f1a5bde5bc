//! What each subcommand does.

use std::io::Write;
use std::path::Path;

use rand::{SeedableRng, rngs::StdRng};

use gmm_compare::{
    self as cmp, ComparisonSettings, Truth, comparison_figures, demo as scenarios,
    selection_figures,
};
use gmm_core::{
    CovarianceType, DataSource, Dataset, FittedModel, GmmError, MixtureModel, ModelFile, Passes,
    Result, check_memory, for_each_batch_dataset, predict_proba_bytes,
};
use gmm_em::EmParams;
use gmm_gibbs::{GibbsFit, GibbsParams};
use gmm_io::{
    NpyDtype, NpyWriter, read_data_file, read_labels_file, write_all_atomic, write_atomic,
};
use gmm_vb::VbParams;

use crate::args::{
    CompareArgs, DataOptions, DemoArgs, FitArgs, FitOptions, Method, PredictArgs, SampleArgs,
    ScoreArgs, SelectArgs,
};
use crate::errors::CliResult;
use crate::input::{check_dimension, open_source, read_data};
use crate::model_io::{read_model, read_point_estimate};
use crate::numbers::{csv_rows, csv_table, shortest};
use crate::output::Sink;
use crate::progress::Progress;
use crate::selection::select_k;
use crate::start::{Start, fit_start, prior_files, responsibilities_of};

/// Prints to stdout; a closed pipe (`gmm predict ... | head`) is not an error.
pub fn print_out(text: &str) -> CliResult {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(GmmError::Io {
            path: "<stdout>".into(),
            reason: e.to_string(),
        }
        .into()),
    }
}

/// Bytes of a printed table of `rows` x `columns` numbers: each number held as an `f64` in
/// a row's copy and as up to 25 characters of text with its separator.
fn printed_bytes(rows: usize, columns: usize) -> u64 {
    (rows as u64)
        .saturating_mul(columns as u64)
        .saturating_mul(8 + 25)
}

/// Refuses the VB-only flags with another method.
fn vb_only(options: &FitOptions) -> Result<()> {
    refuse_flags(
        &options.vb_flags_given(),
        "VB-only options set VB's priors and its use of reg_covar: use them with --method vb, \
         or drop them",
    )
}

/// The error naming the first of the flags `given` (and the others after it), when any was
/// given where it does not apply.
fn refuse_flags(given: &[&'static str], reason: &str) -> Result<()> {
    if let Some((first, rest)) = given.split_first() {
        let value = if rest.is_empty() {
            "given".to_string()
        } else {
            format!("(and {})", rest.join(", "))
        };
        return Err(GmmError::InvalidParameter {
            name: first,
            value,
            reason: reason.into(),
        });
    }
    Ok(())
}

/// The settings of `options` for K = `k` and the covariance type `cov`, with VB's prior files
/// read and checked against the data's dimension `d`. Without `--tol` / `--max-iter`, `runs_to_convergence`
/// takes the comparison's defaults (`compare`, `select`: converged fits), else the
/// estimators' (`fit`: scikit-learn's).
fn settings(
    k: usize,
    cov: CovarianceType,
    options: &FitOptions,
    d: usize,
    runs_to_convergence: bool,
) -> Result<ComparisonSettings> {
    let mut s = ComparisonSettings::new(k)
        .covariance_type(cov)
        .init(options.init.into())
        .seed(options.seed)
        .reg_covar(options.reg_covar);
    if options.tol.is_some() || !runs_to_convergence {
        s.tol = options.tol;
    }
    if options.max_iter.is_some() || !runs_to_convergence {
        s.max_iter = options.max_iter;
    }
    s.weight_prior = options.weight_prior();
    s.max_memory = options.max_memory;
    s.mean_precision_prior = options.mean_precision;
    s.degrees_of_freedom_prior = options.degrees_of_freedom;
    (s.mean_prior, s.covariance_prior) = prior_files(options, d)?;
    s.reg_covar_rule = options.reg_covar_rule.map(Into::into);
    Ok(s)
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
        Method::Em => (
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

/// `gmm fit`.
pub fn fit(a: &FitArgs) -> CliResult {
    if a.method == Method::Em {
        vb_only(&a.options)?;
    }
    if a.method != Method::Gibbs {
        gibbs_only(a)?;
    } else {
        gibbs_start_flags(a)?;
    }
    if a.input.stream {
        return fit_streamed(a);
    }
    let data = &read_data(&a.data, &a.input)?;
    let start = fit_start(a, data.n_features(), &mut || Ok(data.n_samples()))?;
    let k = start.n_components();
    let covariance_type = start.covariance_type(&a.options);
    let d = data.n_features();
    check_model_file_memory(a.method, covariance_type, k, d, a.options.max_memory)?;
    let s = settings(k, covariance_type, &a.options, d, false)?;
    let (file, summary) = match a.method {
        Method::Em => fit_em(s.em_params(k).n_init(a.n_init), start, data)?,
        Method::Vb => fit_vb(s.vb_params(k).n_init(a.n_init), start, data)?,
        Method::Gibbs => fit_gibbs(a, &s, start, data)?,
    };
    write_model(a, &file, &summary)
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
    let mut source = open_source(&a.data, &a.input)?;
    let d = source.n_features();
    let start = fit_start(a, d, &mut || {
        Ok(Passes::new(source.as_mut()).summary()?.n_samples)
    })?;
    let k = start.n_components();
    let covariance_type = start.covariance_type(&a.options);
    check_model_file_memory(a.method, covariance_type, k, d, a.options.max_memory)?;
    let s = settings(k, covariance_type, &a.options, d, false)?;
    let (file, summary) = match a.method {
        Method::Em => {
            let params = s.em_params(k).n_init(a.n_init);
            let fit = match start {
                Start::Init(_, init) => params.init(init).fit_source(source.as_mut())?,
                Start::Mixture(gm) => params.warm_start(gm).fit_source(source.as_mut())?,
                Start::Posterior(_) => unreachable!("EM starts from a VB file's point estimate"),
            };
            let sums = fit.mixture().score_sums_source(source.as_mut())?;
            let bic = fit.mixture().bic_from(sums.total_weight, sums.mean());
            (fit.to_model_file(), em_summary(&fit, sums.mean(), bic))
        }
        Method::Vb => {
            let params = s.vb_params(k).n_init(a.n_init);
            let fit = match start {
                Start::Init(_, init) => params.init(init).fit_source(source.as_mut())?,
                Start::Posterior(model) => params.warm_start(*model).fit_source(source.as_mut())?,
                Start::Mixture(_) => return Err(vb_from_mixture_streamed(a).into()),
            };
            (fit.to_model_file(), vb_summary(&fit))
        }
        Method::Gibbs => {
            return Err(gmm_core::GmmError::InvalidParameter {
                name: "stream",
                value: "gibbs".into(),
                reason: "the Gibbs sampler holds its data in memory: leave out --stream".into(),
            }
            .into());
        }
    };
    write_model(a, &file, &summary)
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
        reason: "with --method vb --stream, give a VB model file (its posterior is continued) \
                 or --init-means; VB's start from a mixture needs the data in memory (drop \
                 --stream)"
            .into(),
    }
}

/// EM from `start`: the model file and the summary.
fn fit_em(params: EmParams, start: Start, data: &Dataset) -> Result<(ModelFile, String)> {
    let fit = match start {
        Start::Init(_, init) => params.init(init).fit(data)?,
        Start::Mixture(gm) => params.warm_start(gm).fit(data)?,
        Start::Posterior(_) => unreachable!("EM starts from a VB file's point estimate"),
    };
    let summary = em_summary(&fit, fit.score(data)?, fit.bic(data)?);
    Ok((fit.to_model_file(), summary))
}

/// "EM, K = ...: iterations, mean log-likelihood, BIC".
fn em_summary(fit: &gmm_em::EmFit, score: f64, bic: f64) -> String {
    format!(
        "EM, K = {}: {}, mean log-likelihood {score:.6}, BIC {bic:.3}",
        fit.mixture().n_components(),
        iterations_summary(fit.n_iter(), fit.converged()),
    )
}

/// Refuses the Gibbs-only flags with another method.
fn gibbs_only(a: &FitArgs) -> Result<()> {
    refuse_flags(
        &a.gibbs_flags_given(),
        "Gibbs-only options: use them with --method gibbs, or drop them",
    )
}

/// Refuses the flags the sampler has no use for: it starts from --init, --init-means or
/// --init-labels, once per chain, and keeps every draw (no iterations, tolerance or
/// regularisation: the target is the exact posterior).
fn gibbs_start_flags(a: &FitArgs) -> Result<()> {
    let refuse = |flag: &'static str, reason: &str| {
        Err(GmmError::InvalidParameter {
            name: flag,
            value: "given".into(),
            reason: reason.into(),
        })
    };
    if a.init_model.is_some() {
        return refuse(
            "--init-model",
            "the Gibbs sampler starts each chain from --init, --init-means or --init-labels",
        );
    }
    if a.n_init != 1 {
        return refuse(
            "--n-init",
            "the Gibbs sampler runs --chains chains instead of restarts",
        );
    }
    if a.options.max_iter.is_some() || a.options.tol.is_some() {
        return refuse(
            if a.options.max_iter.is_some() {
                "--max-iter"
            } else {
                "--tol"
            },
            "the Gibbs sampler runs --burn-in + --draws sweeps per chain",
        );
    }
    Ok(())
}

/// The Gibbs sampler from `start` under the priors of `s`: the model file and the summary;
/// writes `--draws-out` (atomically) and warns on stderr when R-hat exceeds 1.01.
fn fit_gibbs(
    a: &FitArgs,
    s: &ComparisonSettings,
    start: Start,
    data: &Dataset,
) -> Result<(ModelFile, String)> {
    let Start::Init(k, init) = start else {
        unreachable!("--init-model is refused for Gibbs before the start is read")
    };
    let mut params = GibbsParams::new(k)
        .covariance_type(s.covariance_type)
        .weight_prior(s.weight_prior)
        .seed(s.seed)
        .init(init);
    if let Some(n) = a.draws {
        params = params.draws(n);
    }
    if let Some(n) = a.burn_in {
        params = params.burn_in(n);
    }
    if let Some(n) = a.chains {
        params = params.chains(n);
    }
    if let Some(b) = s.mean_precision_prior {
        params = params.mean_precision_prior(b);
    }
    if let Some(nu) = s.degrees_of_freedom_prior {
        params = params.degrees_of_freedom_prior(nu);
    }
    if let Some(m) = &s.mean_prior {
        params = params.mean_prior(m.clone());
    }
    if let Some(c) = &s.covariance_prior {
        params = params.covariance_prior(c.clone());
    }
    if let Some(bytes) = s.max_memory {
        params = params.max_memory(bytes);
    }
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

/// VB from `start`: the model file and the summary.
fn fit_vb(params: VbParams, start: Start, data: &Dataset) -> Result<(ModelFile, String)> {
    let fit = match start {
        Start::Init(_, init) => params.init(init).fit(data)?,
        Start::Mixture(gm) => params.fit_from(data, &responsibilities_of(&gm, data)?)?,
        Start::Posterior(model) => params.warm_start(*model).fit(data)?,
    };
    Ok((fit.to_model_file(), vb_summary(&fit)))
}

/// "VB, K = ...: iterations, ELBO, effective components".
fn vb_summary(fit: &gmm_vb::VbFit) -> String {
    format!(
        "VB, K = {}: {}, ELBO {:.6}, {} components with weight > {}",
        fit.model().n_components(),
        iterations_summary(fit.n_iter(), fit.converged()),
        fit.elbo(),
        fit.effective_components(gmm_vb::DEFAULT_WEIGHT_THRESHOLD),
        gmm_vb::DEFAULT_WEIGHT_THRESHOLD
    )
}

/// `gmm predict`: for a VB model with its posterior, the variational responsibilities.
pub fn predict(a: &PredictArgs) -> CliResult {
    let model = read_model(&a.model)?;
    let model = model.as_ref();
    let header: Vec<String> = if a.proba {
        (0..model.n_components()).map(|k| format!("p{k}")).collect()
    } else {
        vec!["label".into()]
    };
    let rows = |data: &Dataset| prediction_rows(model, data, a.proba, a.max_memory);
    write_rows(&a.data, &a.input, model, &a.output, Some(&header), &rows)
}

/// The CSV lines of the predictions of `data` (one batch): labels, or probabilities (their
/// N x K numbers checked against `max_memory` first).
fn prediction_rows(
    model: &dyn MixtureModel,
    data: &Dataset,
    proba: bool,
    max_memory: Option<u64>,
) -> Result<String> {
    if proba {
        let (n, k) = (data.n_samples(), model.n_components());
        check_memory(
            printed_bytes(n, k).saturating_add(predict_proba_bytes(n, k)),
            max_memory,
            "the printed probabilities of a batch of points, N x K numbers (print the labels \
             alone)",
        )?;
        let p = model.predict_proba_within(data, max_memory)?;
        let rows: Vec<Vec<f64>> = (0..p.nrows())
            .map(|n| p.row(n).iter().copied().collect())
            .collect();
        Ok(csv_rows(rows.iter().map(Vec::as_slice)))
    } else {
        Ok(model
            .predict(data)?
            .into_iter()
            .map(|l| format!("{l}\n"))
            .collect())
    }
}

/// Writes `header` then `rows` of the data file to `output`: of the whole file read first,
/// or with `--stream` batch by batch as the file is read. A failure leaves no `-o` file.
fn write_rows(
    path: &Path,
    input: &DataOptions,
    model: &dyn MixtureModel,
    output: &Path,
    header: Option<&[String]>,
    rows: &dyn Fn(&Dataset) -> Result<String>,
) -> CliResult {
    if input.stream {
        return emit_rows(
            open_source(path, input)?.as_mut(),
            path,
            model,
            output,
            header,
            rows,
        );
    }
    let data = read_data(path, input)?;
    emit_rows(&mut &data, path, model, output, header, rows)
}

/// [`write_rows`] of the points of `source` (read from `path`).
fn emit_rows(
    source: &mut dyn DataSource,
    path: &Path,
    model: &dyn MixtureModel,
    output: &Path,
    header: Option<&[String]>,
    rows: &dyn Fn(&Dataset) -> Result<String>,
) -> CliResult {
    check_dimension(path, source.n_features(), model)?;
    let mut sink = Sink::to(output)?;
    // the header goes out with the first batch's rows, so that a refused first batch
    // prints nothing
    let mut header = header.map(|h| format!("{}\n", h.join(",")));
    let d = source.n_features();
    for_each_batch_dataset(source, d, &mut |_, data, _| {
        let text = rows(data)?;
        if let Some(header) = header.take() {
            sink.write(&header)?;
        }
        sink.write(&text)
    })?;
    Ok(sink.finish()?)
}

/// `gmm score`: for a VB model with its posterior, the posterior predictive.
pub fn score(a: &ScoreArgs) -> CliResult {
    let model = read_model(&a.model)?;
    let model = model.as_ref();
    if a.per_point {
        let rows = |data: &Dataset| -> Result<String> {
            check_memory(
                printed_bytes(data.n_samples(), 1),
                a.max_memory,
                "the printed log densities of a batch of points, one per point",
            )?;
            Ok(model
                .score_samples(data)?
                .into_iter()
                .map(|v| format!("{}\n", shortest(v)))
                .collect())
        };
        return write_rows(&a.data, &a.input, model, &a.output, None, &rows);
    }
    let mean = if a.input.stream {
        let mut source = open_source(&a.data, &a.input)?;
        check_dimension(&a.data, source.n_features(), model)?;
        model.score_source(source.as_mut())?
    } else {
        let data = read_data(&a.data, &a.input)?;
        check_dimension(&a.data, data.n_features(), model)?;
        model.score(&data)?
    };
    let mut sink = Sink::to(&a.output)?;
    sink.write(&format!("{}\n", shortest(mean)))?;
    Ok(sink.finish()?)
}

/// Points drawn at a time by `gmm sample -o FILE.npy`.
const SAMPLE_BLOCK: usize = 1 << 16;

/// `gmm sample`: always from the point estimate; to a .npy file block by block.
pub fn sample(a: &SampleArgs) -> CliResult {
    let gm = read_point_estimate(&a.model)?;
    let mut rng = StdRng::seed_from_u64(a.seed);
    let is_npy = a
        .output
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("npy"));
    if !is_npy {
        check_memory(
            printed_bytes(a.n, gm.n_features()),
            a.max_memory,
            "the printed sample, N x D numbers (draw fewer points at a time, or write them \
             to a .npy file with -o FILE.npy)",
        )?;
        let (data, _) = gm.sample_within(a.n, &mut rng, a.max_memory)?;
        let header: Vec<String> = (1..=gm.n_features()).map(|j| format!("x{j}")).collect();
        let mut sink = Sink::to(&a.output)?;
        sink.write(&csv_table(&header, data.rows()))?;
        return Ok(sink.finish()?);
    }
    if a.n == 0 {
        // the draw's own check, with its message
        gm.sample(0, &mut rng)?;
    }
    // every point draws from the generator in turn, so blocks give the numbers of one draw
    let mut npy = NpyWriter::create(&a.output, a.n as u64, gm.n_features(), NpyDtype::F64)?;
    let mut left = a.n;
    while left > 0 {
        let (block, _) = gm.sample_within(left.min(SAMPLE_BLOCK), &mut rng, a.max_memory)?;
        npy.write_rows(block.as_slice())?;
        left -= block.n_samples();
    }
    Ok(npy.finish()?)
}

fn title_of(path: &Path) -> String {
    path.file_stem()
        .map_or_else(|| "data".into(), |s| s.to_string_lossy().into_owned())
}

/// `gmm compare`.
pub fn compare(a: &CompareArgs) -> CliResult {
    let table = read_data_file(&a.data)?;
    let labels = match &a.labels {
        Some(path) => Some(read_labels_file(path, table.data.n_samples())?.classes()),
        None => None,
    };
    let s = settings(
        a.k,
        a.options.covariance_type(),
        &a.options,
        table.data.n_features(),
        true,
    )?
    .holdout(a.holdout);
    let title = title_of(&a.data);
    let truth = Truth {
        labels: labels.as_deref(),
        mixture: None,
    };
    let comparison = cmp::compare(&table.data, &title, &s, truth)?;
    let gibbs = if a.gibbs {
        let mut g = cmp::GibbsSettings::default();
        g.draws = a.draws.unwrap_or(g.draws);
        g.burn_in = a.burn_in.unwrap_or(g.burn_in);
        g.chains = a.chains.unwrap_or(g.chains);
        let report = cmp::compare_gibbs(&table.data, &comparison, &s, g)?.report;
        if report.rhat_exceeded {
            eprintln!(
                "warning: the Gibbs chains have not mixed (largest R-hat {:.4} > 1.01): run \
                 more --draws or a longer --burn-in",
                report.max_rhat
            );
        }
        Some(report)
    } else {
        None
    };
    if let Some(dir) = &a.out {
        let names: Vec<String> = (0..table.data.n_features())
            .map(|j| table.column_name(j))
            .collect();
        let mut files = comparison_figures(&comparison, &table.data, &names, &title)?;
        files.push((format!("{title}-report.json"), comparison.report.to_json()));
        if let Some(g) = &gibbs {
            files.push((format!("{title}-gibbs.json"), g.to_json()));
        }
        report_written(&write_files(dir, files)?);
    }
    if a.json {
        let mut report: serde_json::Value =
            serde_json::from_str(&comparison.report.to_json()).expect("the report is JSON");
        if let Some(g) = &gibbs {
            report["gibbs"] = serde_json::to_value(g).expect("the Gibbs report serialises");
        }
        let text = serde_json::to_string_pretty(&report).expect("JSON serialises");
        print_out(&format!("{text}\n"))
    } else {
        let extra = gibbs.map(|g| format!("\n{g}")).unwrap_or_default();
        print_out(&format!("{}{extra}", comparison.report))
    }
}

/// "N iterations, converged" (or "not converged").
fn iterations_summary(n_iter: usize, converged: bool) -> String {
    let state = if converged {
        "converged"
    } else {
        "not converged"
    };
    format!("{n_iter} iterations, {state}")
}

fn write_files(dir: &Path, files: Vec<(String, String)>) -> Result<Vec<std::path::PathBuf>> {
    write_all_atomic(dir, &files)
}

fn report_written(paths: &[std::path::PathBuf]) {
    for p in paths {
        eprintln!("wrote {}", p.display());
    }
}

/// `gmm select`.
pub fn select(a: &SelectArgs) -> CliResult {
    let table = read_data_file(&a.data)?;
    let s = settings(
        a.k_min.max(1),
        a.options.covariance_type(),
        &a.options,
        table.data.n_features(),
        true,
    )?;
    let title = title_of(&a.data);
    let report = select_k(&table.data, &title, (a.k_min, a.k_max), &s)?;
    if let Some(dir) = &a.out {
        let mut files = selection_figures(&report, &title)?;
        files.push((format!("{title}-selection.json"), report.to_json()));
        report_written(&write_files(dir, files)?);
    }
    if a.json {
        print_out(&format!("{}\n", report.to_json()))
    } else {
        print_out(&report.to_string())
    }
}

/// `gmm demo`.
pub fn demo(a: &DemoArgs) -> CliResult {
    let all = scenarios::scenarios();
    let k_max = 8;
    let mut progress = Progress::new((all.len() + k_max) as u64, "demo");
    let mut files = Vec::new();
    let mut tables = String::new();
    for scenario in &all {
        let result = scenarios::run_scenario(scenario)?;
        tables.push_str(&result.report.to_string());
        tables.push('\n');
        files.extend(result.files);
        progress.inc();
    }
    let (selection, selection_files) = scenarios::run_selection(k_max, &mut || progress.inc())?;
    progress.finish();
    tables.push_str(&selection.to_string());
    files.extend(selection_files);
    let written = write_files(&a.out, files)?;
    print_out(&tables)?;
    print_out(&format!(
        "\nwrote {} files to {} (open the .svg files in a browser)\n",
        written.len(),
        a.out.display()
    ))
}
