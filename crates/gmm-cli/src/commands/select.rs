//! `gmm select`: the K range and the settings checked as flags first, then the library's
//! `select` with a progress bar, whose failure names the K and the step that failed.

use gmm_compare::{self as cmp, ComparisonSettings, SelectionReport, selection_figures};
use gmm_core::{Dataset, Result};
use gmm_io::read_data_file;

use super::{print_out, title_of, write_named};
use crate::args::SelectArgs;
use crate::errors::CliResult;
use crate::progress::Progress;
use crate::requests::{check_k_range, settings};

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
        write_named(dir, &files)?;
    }
    if a.json {
        print_out(&format!("{}\n", report.to_json()))
    } else {
        print_out(&report.to_string())
    }
}

/// Fits EM and VB for every K in `k_min..=k_max` (the library's `select`) with a progress
/// bar; the error of a failed fit names K and the step (the library's `FitFailed`). The
/// settings are checked once first, with K = `k_min`, so that a bad flag is reported as
/// such rather than as the failure of one K.
fn select_k(
    data: &Dataset,
    title: &str,
    (k_min, k_max): (usize, usize),
    settings: &ComparisonSettings,
) -> Result<SelectionReport> {
    check_k_range(k_min, k_max, data.n_samples())?;
    settings.em_params(k_min).check(data)?;
    settings.vb_params(k_min).check(data)?;
    let mut progress = Progress::new((k_max - k_min + 1) as u64, "choosing K");
    let report = cmp::select(data, title, k_min, k_max, settings, &mut || progress.inc());
    progress.finish();
    report
}
