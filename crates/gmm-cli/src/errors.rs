//! What the user reads when a command fails: the library's errors told in the CLI's terms,
//! with the flags and values a user can type instead of the library's parameter names.

use std::fmt;

use gmm_core::GmmError;

use gmm_io::shortest;

/// Why a command failed.
#[derive(Debug)]
pub enum CliError {
    /// A library error: reading, checking or fitting.
    Gmm(GmmError),
}

impl From<GmmError> for CliError {
    fn from(e: GmmError) -> Self {
        Self::Gmm(e)
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Gmm(e) => f.write_str(&user_message(e)),
        }
    }
}

/// The result of a command.
pub type CliResult = std::result::Result<(), CliError>;

/// The library's parameter names and the flags that set them.
const FLAGS: &[(&str, &str)] = &[
    ("n_components", "-k"),
    ("tol", "--tol"),
    ("max_iter", "--max-iter"),
    ("reg_covar", "--reg-covar"),
    ("n_init", "--n-init"),
    ("weight_concentration_prior_type", "--weight-prior"),
    ("weight_concentration_prior", "--weight-concentration"),
    ("mean_precision_prior", "--mean-precision"),
    ("degrees_of_freedom_prior", "--degrees-of-freedom"),
    ("mean_prior", "--mean-prior"),
    ("covariance_prior", "--covariance-prior"),
    ("warm_start", "--init-model"),
    ("holdout", "--holdout"),
    ("n_samples", "-n"),
    ("init_means", "--init-means"),
    ("k range", "--k-min/--k-max"),
    ("k_range", "--k-min/--k-max"),
    ("draws", "--draws"),
    ("chains", "--chains"),
    ("burn_in", "--burn-in"),
    ("columns", "--columns"),
    ("weight_column", "--weight-column"),
    ("weights", "--weights"),
    ("stream", "--stream"),
];

/// The flag that sets the library's parameter `name`, if the CLI has one.
pub fn flag_of(name: &str) -> Option<&'static str> {
    FLAGS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|&(_, flag)| flag)
}

/// `text` with every library parameter name that has a flag (the names with an
/// underscore, which cannot be ordinary words) replaced by the flag: `n_components = 3`
/// becomes `-k 3`, `reg_covar` `--reg-covar`.
fn in_flags(text: &str) -> String {
    FLAGS
        .iter()
        .filter(|(name, _)| name.contains('_'))
        .fold(text.to_string(), |t, (name, flag)| {
            t.replace(&format!("{name} = "), &format!("{flag} "))
                .replace(name, flag)
        })
}

/// The message of `gmm` for a library error: flags and values the user can type, no Rust
/// names. The one place where library errors are put in the CLI's terms.
pub fn user_message(e: &GmmError) -> String {
    match e {
        GmmError::InvalidParameter {
            name,
            value,
            reason,
        } => invalid_parameter_message(name, value, reason),
        GmmError::TooFewSamples {
            n_samples,
            n_components,
        } => format!(
            "-k {n_components} exceeds the number of points {n_samples}: lower -k or add data"
        ),
        GmmError::SingularComponent {
            component,
            n_k,
            reg_covar,
        } => format!(
            "component {component} collapsed (N_k = {} points): its covariance is \
             singular. Increase --reg-covar (now {}) or use fewer components",
            four_digits(*n_k),
            shortest(*reg_covar)
        ),
        GmmError::NotPositiveDefinite { component, reason } => format!(
            "covariance of component {component} is not symmetric positive definite \
             ({reason}): increase --reg-covar or use fewer components"
        ),
        GmmError::InvalidLabels { .. } => in_flags(&e.to_string()),
        GmmError::FeatureMismatch { .. } => e.to_string().replace(
            "name the columns to read",
            "name the columns to read with --columns",
        ),
        GmmError::FitFailed {
            step,
            n_components,
            source,
        } => format!(
            "the {step} with K = {n_components} failed: {}",
            user_message(source)
        ),
        other => other.to_string(),
    }
}

/// `v` to four significant digits, as briefly as [`shortest`] puts it (`10`, `1.234e-5`).
fn four_digits(v: f64) -> String {
    let rounded: f64 = format!("{v:.3e}").parse().unwrap_or(v);
    shortest(rounded)
}

/// "FLAG VALUE: what to type instead", or the library's wording (names put in flags) for a
/// parameter no flag sets.
fn invalid_parameter_message(name: &str, value: &str, reason: &str) -> String {
    if name.starts_with('-') {
        // the CLI's own checks already speak of flags
        return format!("{name} {value}: {reason}");
    }
    match flag_of(name) {
        Some(flag) => format!("{flag} {value}: {}", advice(name, reason)),
        None => format!("invalid {name} = {value}: {}", in_flags(reason)),
    }
}

/// What to type instead of a bad value of the library's parameter `name`.
fn advice(name: &str, reason: &str) -> String {
    let default = |d: &str| format!("(leave the flag out for the default {d})");
    match name {
        // MAP-EM's refusals say what its prior needs: kept as the library words them
        "reg_covar" | "weight_concentration_prior" if reason.contains("MAP-EM") => in_flags(reason),
        "n_components" => "use 1 or more components".into(),
        "tol" => format!(
            "use a value >= 0; 0 runs exactly --max-iter iterations {}",
            default(&shortest(gmm_em::DEFAULT_TOL))
        ),
        "max_iter" => format!(
            "run at least one iteration {}",
            default(&gmm_em::DEFAULT_MAX_ITER.to_string())
        ),
        "reg_covar" => format!(
            "use a value >= 0 {}",
            default(&shortest(gmm_em::DEFAULT_REG_COVAR))
        ),
        "n_init" => "run at least one initialisation (use 1 or more)".into(),
        "weight_concentration_prior" => format!("use a value > 0 {}", default("1/K")),
        "mean_precision_prior" => format!("use a value > 0 {}", default("1")),
        "degrees_of_freedom_prior" => format!(
            "{}, where D is the number of columns of the data {}",
            in_flags(reason),
            default("D")
        ),
        "n_samples" => "draw at least one point".into(),
        _ => in_flags(reason),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn invalid(name: &'static str, value: &str, reason: &str) -> GmmError {
        GmmError::InvalidParameter {
            name,
            value: value.into(),
            reason: reason.into(),
        }
    }

    #[test]
    fn library_names_become_flags_and_none_disappears() {
        let e = invalid(
            "weight_concentration_prior",
            "-1",
            "use a finite value > 0 (or None for 1/K)",
        );
        assert_eq!(
            user_message(&e),
            "--weight-concentration -1: use a value > 0 (leave the flag out for the default 1/K)"
        );
        for (name, flag) in FLAGS {
            let message = user_message(&invalid(name, "7", "see max_iter and reg_covar"));
            assert!(message.starts_with(&format!("{flag} 7: ")), "{message}");
            for (rust_name, _) in FLAGS.iter().filter(|(n, _)| n.contains('_')) {
                assert!(!message.contains(rust_name), "{message}");
            }
            assert!(!message.contains("None"), "{message}");
        }
    }

    #[test]
    fn other_errors_speak_of_flags_too() {
        let too_few = GmmError::TooFewSamples {
            n_samples: 5,
            n_components: 6,
        };
        assert_eq!(
            user_message(&too_few),
            "-k 6 exceeds the number of points 5: lower -k or add data"
        );
        let singular = GmmError::SingularComponent {
            component: 1,
            n_k: 0.0,
            reg_covar: 0.0,
        };
        let message = user_message(&singular);
        assert!(message.contains("--reg-covar (now 0)"), "{message}");
        assert!(message.contains("(N_k = 0 points)"), "{message}");
        assert_eq!(four_digits(10.0), "10");
        assert_eq!(four_digits(1.23456e-5), "1.235e-5");
        let unknown = invalid("data", "inf", "rescale; see reg_covar");
        assert_eq!(
            user_message(&unknown),
            "invalid data = inf: rescale; see --reg-covar"
        );
        let labels = GmmError::InvalidLabels {
            reason: "label 2 at point 5 is not below n_components = 2".into(),
        };
        assert_eq!(
            user_message(&labels),
            "invalid initial labels: label 2 at point 5 is not below -k 2"
        );
        let select = CliError::Gmm(singular.in_fit("EM fit", 4));
        assert!(
            select
                .to_string()
                .starts_with("the EM fit with K = 4 failed: component 1"),
            "{select}"
        );
    }
}
