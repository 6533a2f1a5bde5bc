//! `gmm compare`: EM and VB (and with `--gibbs` the sampler) on one data file, the report
//! on stdout (or as JSON), its figures and JSON files in `--out`.

use gmm_compare::{self as cmp, Comparison, GibbsReport, MapReport, Truth, comparison_figures};
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
    let map = if a.map {
        Some(cmp::compare_map(&table.data, &s, labels.as_deref())?.report)
    } else {
        None
    };
    let extras = Extras { gibbs, map };
    if let Some(dir) = &a.out {
        write_named(dir, &report_files(&table, &comparison, &extras, &title)?)?;
    }
    print_report(a.json, &comparison, &extras)
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

/// The reports beside the comparison: the sampler's (`--gibbs`) and MAP-EM's (`--map`).
struct Extras {
    gibbs: Option<GibbsReport>,
    map: Option<MapReport>,
}

/// The files of `--out`: the figures, the report's JSON, the sampler's and MAP-EM's.
fn report_files(
    table: &DataTable,
    comparison: &Comparison,
    extras: &Extras,
    title: &str,
) -> Result<Vec<(String, String)>> {
    let names: Vec<String> = (0..table.data.n_features())
        .map(|j| table.column_name(j))
        .collect();
    let mut files = comparison_figures(comparison, &table.data, &names, title)?;
    files.push((format!("{title}-report.json"), comparison.report.to_json()));
    if let Some(g) = &extras.gibbs {
        files.push((format!("{title}-gibbs.json"), g.to_json()));
    }
    if let Some(m) = &extras.map {
        files.push((format!("{title}-map.json"), m.to_json()));
    }
    Ok(files)
}

/// Prints the report (and the sampler's, and MAP-EM's): as text, or as one JSON object
/// with `--json`.
fn print_report(json: bool, comparison: &Comparison, extras: &Extras) -> CliResult {
    if json {
        let mut report: serde_json::Value =
            serde_json::from_str(&comparison.report.to_json()).expect("the report is JSON");
        if let Some(g) = &extras.gibbs {
            report["gibbs"] = serde_json::to_value(g).expect("the Gibbs report serialises");
        }
        if let Some(m) = &extras.map {
            report["map"] = serde_json::to_value(m).expect("the MAP-EM report serialises");
        }
        let text = serde_json::to_string_pretty(&report).expect("JSON serialises");
        print_out(&format!("{text}\n"))
    } else {
        let gibbs = extras.gibbs.as_ref().map(|g| format!("\n{g}"));
        let map = extras.map.as_ref().map(|m| format!("\n{m}"));
        print_out(&format!(
            "{}{}{}",
            comparison.report,
            gibbs.unwrap_or_default(),
            map.unwrap_or_default()
        ))
    }
}
