//! `gmm study`'s flags as the library's `StudySettings` (the data and labels files read),
//! and the library's errors about a study setting with the setting named by its flag.

use gmm_compare::{StudyMethod, StudySettings, TrueScenario};
use gmm_core::GmmError;
use gmm_io::{read_data_file, read_labels_file};

use crate::args::{CovarianceArg, StudyArgs};

/// The library's names of the study's settings and the flags that set them.
const STUDY_FLAGS: &[(&str, &str)] = &[
    ("sizes", "--sizes"),
    ("replicates", "--replicates"),
    ("n_components", "-k"),
    ("max_k", "--max-k"),
    ("methods", "--methods"),
    ("test_size", "--test-size"),
    ("bootstrap_resamples", "--bootstrap"),
    ("scenario", "--scenario"),
    ("draws", "--draws"),
    ("chains", "--chains"),
    ("burn_in", "--burn-in"),
];

/// A library error about a study setting, with the setting named by its flag.
pub fn study_in_flags(e: GmmError) -> GmmError {
    match e {
        GmmError::InvalidParameter {
            name,
            value,
            reason,
        } => match STUDY_FLAGS.iter().find(|(n, _)| *n == name) {
            Some(&(_, flag)) => GmmError::InvalidParameter {
                name: flag,
                value,
                reason: reason.replace("test_size", "--test-size"),
            },
            None => GmmError::InvalidParameter {
                name,
                value,
                reason,
            },
        },
        other => other,
    }
}

/// The study's settings from the flags (reading the data and labels files), errors about
/// a setting naming its flag.
pub fn study_settings(a: &StudyArgs) -> Result<StudySettings, GmmError> {
    settings_of(a).map_err(study_in_flags)
}

/// [`study_settings`], with the library's names in its errors.
fn settings_of(a: &StudyArgs) -> Result<StudySettings, GmmError> {
    let scenario = match (&a.scenario, &a.data) {
        (Some(name), _) => TrueScenario::synthetic(name)?,
        (None, Some(path)) => {
            let table = read_data_file(path)?;
            let labels = match &a.labels {
                Some(l) => Some(read_labels_file(l, table.data.n_samples())?.classes()),
                None => None,
            };
            TrueScenario::Data {
                name: path
                    .file_stem()
                    .map_or_else(|| "data".into(), |s| s.to_string_lossy().into_owned()),
                data: table.data,
                labels,
            }
        }
        (None, None) => unreachable!("clap requires --scenario or a data file"),
    };
    let mut s = StudySettings::new(scenario, a.sizes.clone(), a.k)
        .replicates(a.replicates)
        .methods(a.methods.clone())
        .test_size(a.test_size)
        .seed(a.seed)
        .bootstrap_resamples(a.bootstrap);
    s.max_k = a.max_k;
    s.covariance_type = a.covariance.unwrap_or(CovarianceArg::Full).into();
    s.gibbs_draws = a.draws.unwrap_or(s.gibbs_draws);
    s.gibbs_burn_in = a.burn_in.unwrap_or(s.gibbs_burn_in);
    s.gibbs_chains = a.chains.unwrap_or(s.gibbs_chains);
    let gibbs_flags = [
        ("--draws", a.draws),
        ("--burn-in", a.burn_in),
        ("--chains", a.chains),
    ];
    if let Some((flag, Some(value))) = gibbs_flags.iter().find(|(_, v)| v.is_some())
        && !s.methods.contains(&StudyMethod::Gibbs)
    {
        return Err(GmmError::InvalidParameter {
            name: flag,
            value: value.to_string(),
            reason: "a Gibbs option: add gibbs to --methods, or drop it".into(),
        });
    }
    s.check()?;
    Ok(s)
}
