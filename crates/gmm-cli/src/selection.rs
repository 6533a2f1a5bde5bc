//! `gmm select`'s fits, one K at a time, so that a failure says which K and which
//! estimator failed.

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

/// Which step of K's fits failed: the library's `select` runs the initialisation, then EM,
/// then VB, then scores both, and returns the first error as is; this runs the steps again
/// (only after a failure, so a successful `select` costs nothing more) to tell which.
fn failed_step(data: &Dataset, settings: &ComparisonSettings, k: usize) -> &'static str {
    let Ok(init) = settings
        .init
        .initial_responsibilities(data, k, settings.seed)
    else {
        return "initialisation";
    };
    if settings.em_params(k).fit_from(data, &init).is_err() {
        "EM fit"
    } else if settings.vb_params(k).fit_from(data, &init).is_err() {
        "VB fit"
    } else {
        "scoring of the fits"
    }
}

/// Fits EM and VB for every K in `k_min..=k_max` (the library's `select`, one K at a time)
/// and assembles the report; the error of a failed fit names K and the estimator.
pub fn select_k(
    data: &Dataset,
    title: &str,
    (k_min, k_max): (usize, usize),
    settings: &ComparisonSettings,
) -> Result<SelectionReport, CliError> {
    check_k_range(k_min, k_max, data.n_samples())?;
    check_settings(data, settings, k_min)?;
    let mut progress = Progress::new((k_max - k_min + 1) as u64, "choosing K");
    let mut rows = Vec::with_capacity(k_max - k_min + 1);
    let mut result = Ok(());
    for k in k_min..=k_max {
        match cmp::select(data, title, k, k, settings, &mut || progress.inc()) {
            Ok(one) => rows.extend(one.rows),
            Err(cause) => {
                let step = failed_step(data, settings, k);
                result = Err(CliError::SelectFit { k, step, cause });
                break;
            }
        }
    }
    progress.finish();
    result?;
    Ok(SelectionReport::new(
        title.to_string(),
        data.n_samples(),
        data.n_features(),
        settings.covariance_type,
        settings.weight_threshold,
        rows,
    ))
}
