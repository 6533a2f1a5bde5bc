//! `gmm select`: the K range and the settings checked as flags first, then the library's
//! `select`, whose failure names the K and the step that failed.

use gmm_compare::{self as cmp, ComparisonSettings, SelectionReport};
use gmm_core::{Dataset, GmmError};

use crate::errors::CliError;
use crate::progress::Progress;

/// Checks `--k-min` and `--k-max` against each other and the number of points, before
/// anything is fitted.
fn check_k_range(k_min: usize, k_max: usize, n_samples: usize) -> Result<(), CliError> {
    if k_min == 0 || k_min > k_max {
        return Err(GmmError::InvalidParameter {
            name: "--k-min",
            value: format!("{k_min} with --k-max {k_max}"),
            reason: "give 1 <= --k-min <= --k-max".into(),
        }
        .into());
    }
    if k_max > n_samples {
        return Err(GmmError::InvalidParameter {
            name: "--k-max",
            value: k_max.to_string(),
            reason: format!(
                "K = {k_max} exceeds the number of points {n_samples} (EM and VB need at \
                 least K points): use --k-max {n_samples} or less, or add data"
            ),
        }
        .into());
    }
    Ok(())
}

/// Checks the settings once, with K = `k_min`, so that a bad flag is reported as such rather
/// than as the failure of one K.
fn check_settings(
    data: &Dataset,
    settings: &ComparisonSettings,
    k_min: usize,
) -> Result<(), CliError> {
    settings.em_params(k_min).check(data)?;
    settings.vb_params(k_min).check(data)?;
    Ok(())
}

/// Fits EM and VB for every K in `k_min..=k_max` (the library's `select`) with a progress
/// bar; the error of a failed fit names K and the step (the library's `FitFailed`).
pub fn select_k(
    data: &Dataset,
    title: &str,
    (k_min, k_max): (usize, usize),
    settings: &ComparisonSettings,
) -> Result<SelectionReport, CliError> {
    check_k_range(k_min, k_max, data.n_samples())?;
    check_settings(data, settings, k_min)?;
    let mut progress = Progress::new((k_max - k_min + 1) as u64, "choosing K");
    let report = cmp::select(data, title, k_min, k_max, settings, &mut || progress.inc());
    progress.finish();
    Ok(report?)
}
