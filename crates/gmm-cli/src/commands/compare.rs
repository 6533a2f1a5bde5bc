//! `gmm compare`: EM and VB (and with `--gibbs` the sampler) on one data file, the report
//! on stdout (or as JSON), its figures and JSON files in `--out`.

use gmm_compare::{self as cmp, Comparison, GibbsReport, Truth, comparison_figures};
use gmm_core::{Dataset, Result};
use gmm_io::{DataTable, read_data_file, read_labels_file};

use super::{print_out, title_of, write_named};
use crate::args::CompareArgs;
use crate::errors::CliResult;
use crate::requests::{gibbs_settings, settings};

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
        Some(run_gibbs(a, &table.data, &comparison, &s)?)
    } else {
        None
    };
    if let Some(dir) = &a.out {
        write_named(
            dir,
            &report_files(&table, &comparison, gibbs.as_ref(), &title)?,
        )?;
    }
    print_report(a.json, &comparison, gibbs)
}

/// The sampler beside the comparison (`--gibbs`); warns on stderr when the chains have not
/// mixed.
fn run_gibbs(
    a: &CompareArgs,
    data: &Dataset,
    comparison: &Comparison,
    s: &cmp::ComparisonSettings,
) -> Result<GibbsReport> {
    let g = gibbs_settings(a.draws, a.burn_in, a.chains);
    let report = cmp::compare_gibbs(data, comparison, s, g)?.report;
    if report.rhat_exceeded {
        eprintln!(
            "warning: the Gibbs chains have not mixed (largest R-hat {:.4} > 1.01): run \
             more --draws or a longer --burn-in",
            report.max_rhat
        );
    }
    Ok(report)
}

/// The files of `--out`: the figures, the report's JSON and the sampler's.
fn report_files(
    table: &DataTable,
    comparison: &Comparison,
    gibbs: Option<&GibbsReport>,
    title: &str,
) -> Result<Vec<(String, String)>> {
    let names: Vec<String> = (0..table.data.n_features())
        .map(|j| table.column_name(j))
        .collect();
    let mut files = comparison_figures(comparison, &table.data, &names, title)?;
    files.push((format!("{title}-report.json"), comparison.report.to_json()));
    if let Some(g) = gibbs {
        files.push((format!("{title}-gibbs.json"), g.to_json()));
    }
    Ok(files)
}

/// Prints the report (and the sampler's): as text, or as one JSON object with `--json`.
fn print_report(json: bool, comparison: &Comparison, gibbs: Option<GibbsReport>) -> CliResult {
    if json {
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
