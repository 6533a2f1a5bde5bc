//! The one place where parsed flags become library requests, as ripgrep's `hiargs.rs`:
//! the data options ([`SourceOptions`]), the estimators' parameters (through
//! [`ComparisonSettings`], which builds `EmParams` and `VbParams`; [`GibbsParams`] and
//! [`GibbsSettings`] for the sampler), where a fit starts ([`start`]), VB's priors as one
//! `gmm_vb::PriorSpec` (flags and files: [`priors`]), a study's settings ([`study`]), and the refusal of flags that do not
//! apply. The subcommands
//! (`crate::commands`) only call the libraries with these requests and print.
//!
//! Every error names the flag (and the file) the user typed.

mod map;
mod priors;
mod start;
mod study;

use std::path::Path;

use gmm_compare::{ComparisonSettings, GibbsSettings};
use gmm_core::{CovarianceType, GmmError, InitMethod, MissingPolicy, Result};
use gmm_gibbs::GibbsParams;
use gmm_io::{ColumnSelection, SourceOptions};
use gmm_vb::LoadedModel;

use crate::args::{DataOptions, Dtype, FitArgs, FitOptions, Method, Missing};
use crate::errors::user_message;

pub use map::map_params;
pub use priors::prior_spec;
pub use start::{Start, fit_start, responsibilities_of};
pub use study::{study_in_flags, study_settings};

/// The reading options of `--columns`, `--weight-column`, `--weights` and `--missing` (the
/// format goes by the file's extension: `gmm_io::DataFormat`).
pub fn source_options(input: &DataOptions) -> SourceOptions {
    SourceOptions {
        selection: ColumnSelection {
            columns: input.columns.clone(),
            weight_column: input.weight_column.clone(),
            feature_names: None,
        },
        weights: input.weights.clone(),
        max_memory: None,
        precision: gmm_core::Precision::F64,
        missing: missing_policy(input.missing),
    }
}

/// The library's policy of `--missing`.
fn missing_policy(missing: Missing) -> MissingPolicy {
    match missing {
        Missing::Refuse => MissingPolicy::Refuse,
        Missing::Marginalise => MissingPolicy::Marginalise,
    }
}

/// The reading options of `gmm fit`: those of the flags, in the precision of `--dtype`.
pub fn fit_source_options(a: &FitArgs) -> SourceOptions {
    SourceOptions {
        precision: match a.dtype {
            Dtype::F64 => gmm_core::Precision::F64,
            Dtype::F32 => gmm_core::Precision::F32,
        },
        ..source_options(&a.input)
    }
}

/// The reading options of `predict` and `score` for `model`: those of the flags, and, when
/// `--columns` is not given, the model's feature names (when its file recorded them), which
/// the reader uses to pick the file's columns by name (`gmm_io::ColumnSelection`).
pub fn model_source_options(
    input: &DataOptions,
    model: &LoadedModel,
    max_memory: Option<u64>,
) -> SourceOptions {
    let mut options = SourceOptions {
        max_memory,
        ..source_options(input)
    };
    if options.selection.columns.is_none() {
        options.selection.feature_names = model.feature_names().map(<[String]>::to_vec);
    }
    options
}

/// The warning for `--columns` that name other columns than the model's features (both
/// known and as many): the columns are read as named, matched to the features by position.
pub fn columns_against_features(input: &DataOptions, model: &LoadedModel) -> Option<String> {
    let (columns, features) = (input.columns.as_ref()?, model.feature_names()?);
    (columns.len() == features.len() && columns.as_slice() != features).then(|| {
        format!(
            "warning: --columns {} are not the model's features {}: the columns are read as \
             named and taken, in that order, for the model's features (leave out --columns to \
             read the model's features by name)",
            columns.join(","),
            features.join(",")
        )
    })
}

/// Refuses the flags of `gmm fit` that do not apply to its `--method`: VB's with EM,
/// the sampler's with EM or VB, and with the sampler those it has no use for.
pub fn check_fit_flags(a: &FitArgs) -> Result<()> {
    if a.method == Method::Em {
        vb_only(&a.options)?;
    }
    if a.method == Method::Gibbs && a.input.missing == Missing::Marginalise {
        return Err(GmmError::InvalidParameter {
            name: "--missing",
            value: "marginalise".into(),
            reason: "the Gibbs sampler refuses missing values: fit with --method em, vb or \
                     map, or fill the missing values and drop --missing"
                .into(),
        });
    }
    if a.method == Method::Gibbs && a.dtype == Dtype::F32 {
        return Err(GmmError::InvalidParameter {
            name: "--dtype",
            value: "f32".into(),
            reason: "the Gibbs sampler runs in f64: drop --dtype f32 with --method gibbs".into(),
        });
    }
    if a.method == Method::Map {
        map::check_map_flags(a)?;
    } else if a.map_prior.is_some() {
        refuse_flags(
            &["--map-prior"],
            "the prior of MAP-EM: use it with --method map",
        )?;
    }
    if a.method == Method::Gibbs {
        gibbs_start_flags(a)
    } else {
        gibbs_only(a)
    }
}

/// Refuses the VB-only flags with another method.
fn vb_only(options: &FitOptions) -> Result<()> {
    refuse_flags(
        &options.vb_flags_given(),
        "VB-only options set VB's priors and its use of reg_covar: use them with --method vb, \
         or drop them",
    )
}

/// Refuses the Gibbs-only flags with another method.
fn gibbs_only(a: &FitArgs) -> Result<()> {
    refuse_flags(
        &a.gibbs_flags_given(),
        "Gibbs-only options: use them with --method gibbs, or drop them",
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

/// Refuses the flags the sampler has no use for: it starts from --init, --init-means or
/// --init-labels, once per chain, and keeps every draw (no iterations, tolerance or
/// regularisation: the target is the exact posterior).
fn gibbs_start_flags(a: &FitArgs) -> Result<()> {
    let regularisation: Vec<&'static str> = [
        ("--reg-covar", a.options.reg_covar.is_some()),
        ("--reg-covar-rule", a.options.reg_covar_rule.is_some()),
    ]
    .into_iter()
    .filter_map(|(flag, given)| given.then_some(flag))
    .collect();
    refuse_flags(
        &regularisation,
        "the Gibbs sampler samples the exact posterior under VB's priors, with nothing added \
         to the covariances (EM and VB options): drop it, or give a larger --covariance-prior \
         or --degrees-of-freedom to keep the covariances away from singular",
    )?;
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

/// The settings of `options` for K = `k` and the covariance type `cov`, with VB's priors
/// ([`prior_spec`]: the prior files read and checked against the data's dimension `d`). Without `--tol` / `--max-iter`, `runs_to_convergence`
/// takes the comparison's defaults (`compare`, `select`: converged fits), else the
/// estimators' (`fit`: scikit-learn's).
pub fn settings(
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
        .reg_covar(options.reg_covar());
    if options.tol.is_some() || !runs_to_convergence {
        s.tol = options.tol;
    }
    if options.max_iter.is_some() || !runs_to_convergence {
        s.max_iter = options.max_iter;
    }
    s.max_memory = options.max_memory;
    Ok(s.prior_spec(prior_spec(options, d)?))
}

/// The sampler's parameters for `gmm fit --method gibbs`: K components from `init`, VB's
/// priors as `s` holds them, and `--draws`, `--burn-in`, `--chains`, `--predictive-draws`
/// when given.
pub fn gibbs_params(
    a: &FitArgs,
    s: &ComparisonSettings,
    k: usize,
    init: InitMethod,
) -> GibbsParams {
    let mut params = GibbsParams::new(k)
        .covariance_type(s.covariance_type)
        .prior_spec(s.priors.clone())
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
    if let Some(n) = a.predictive_draws {
        params = params.predictive_draws(n);
    }
    if let Some(bytes) = s.max_memory {
        params = params.max_memory(bytes);
    }
    params
}

/// The sampler's settings for `gmm compare --gibbs`: the library's defaults but for
/// `--draws`, `--burn-in` and `--chains` when given.
pub fn gibbs_settings(
    draws: Option<usize>,
    burn_in: Option<usize>,
    chains: Option<usize>,
) -> GibbsSettings {
    let mut g = GibbsSettings::default();
    g.draws = draws.unwrap_or(g.draws);
    g.burn_in = burn_in.unwrap_or(g.burn_in);
    g.chains = chains.unwrap_or(g.chains);
    g
}

/// Checks `--k-min` and `--k-max` against each other and the number of points, before
/// anything is fitted.
pub fn check_k_range(k_min: usize, k_max: usize, n_samples: usize) -> Result<()> {
    if k_min == 0 || k_min > k_max {
        return Err(GmmError::InvalidParameter {
            name: "--k-min",
            value: format!("{k_min} with --k-max {k_max}"),
            reason: "give 1 <= --k-min <= --k-max".into(),
        });
    }
    if k_max > n_samples {
        return Err(GmmError::InvalidParameter {
            name: "--k-max",
            value: k_max.to_string(),
            reason: format!(
                "K = {k_max} exceeds the number of points {n_samples} (EM and VB need at \
                 least K points): use --k-max {n_samples} or less, or add data"
            ),
        });
    }
    Ok(())
}

/// An error of the flag `flag` given the file `path`.
fn file_error(flag: &'static str, path: &Path, reason: String) -> GmmError {
    GmmError::InvalidParameter {
        name: flag,
        value: path.display().to_string(),
        reason,
    }
}

/// A library error about the file `path` given with `flag`, the path said once.
fn wrapped(flag: &'static str, path: &Path, e: &GmmError) -> GmmError {
    let message = user_message(e);
    let prefix = format!("{}: ", path.display());
    let reason = message
        .strip_prefix(&prefix)
        .unwrap_or(&message)
        .to_string();
    file_error(flag, path, reason)
}
