//! The byte form of an [`EStepOutput`]: what one chunk (a Spark partition, a worker) hands to
//! the process that merges the chunks and runs the M-step (docs/python.md, "The map-reduce
//! step"). Versioned JSON, every `f64` read back bit for bit; reading validates what a merge
//! or an M-step relies on, so a malformed byte string is an error, never a panic.

use serde::{Deserialize, Serialize};

use super::EStepOutput;
use crate::error::{GmmError, Result};
use crate::source::Precision;
use crate::stats::SufficientStats;

/// The format name of an E-step output in bytes.
pub const E_STEP_FORMAT: &str = "gmm-e-step-output";
/// The version of that format this build writes and reads.
pub const E_STEP_FORMAT_VERSION: u32 = 1;

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct EStepWire {
    format: String,
    version: u32,
    stats: SufficientStats,
    log_norm_sum: f64,
    resp_log_resp_sum: f64,
    /// The entropy of the missing coordinates (absent, 0, without missing values).
    #[serde(default, skip_serializing_if = "is_zero")]
    missing_entropy_sum: f64,
    n_samples: usize,
    total_weight: f64,
    /// Whether some of the E-step ran in `f32` lanes (absent, false, in bytes written before
    /// the single-precision E-step).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    single_precision: bool,
}

/// Whether `v` is 0 (a field left out of the bytes).
fn is_zero(v: &f64) -> bool {
    *v == 0.0
}

fn bad(reason: String) -> GmmError {
    GmmError::InvalidParameter {
        name: "statistics bytes",
        value: "(byte string)".into(),
        reason,
    }
}

impl EStepOutput {
    /// The output as bytes (versioned JSON, exact round trip); read back with
    /// [`EStepOutput::from_bytes`].
    ///
    /// ```
    /// use gmm_core::{EStepOutput, ScatterKind};
    /// let mut out = EStepOutput::zeros(2, &[0.0, 1.0], ScatterKind::Full);
    /// assert_eq!(EStepOutput::from_bytes(&out.to_bytes())?, out);
    /// // the lanes it ran in travel too
    /// out.lanes = gmm_core::Precision::F32;
    /// assert_eq!(EStepOutput::from_bytes(&out.to_bytes())?, out);
    /// assert!(EStepOutput::from_bytes(b"{}").is_err());
    /// # Ok::<(), gmm_core::GmmError>(())
    /// ```
    pub fn to_bytes(&self) -> Vec<u8> {
        let wire = EStepWire {
            format: E_STEP_FORMAT.into(),
            version: E_STEP_FORMAT_VERSION,
            stats: self.stats.clone(),
            log_norm_sum: self.log_norm_sum,
            resp_log_resp_sum: self.resp_log_resp_sum,
            missing_entropy_sum: self.missing_entropy_sum,
            n_samples: self.n_samples,
            total_weight: self.total_weight,
            single_precision: self.lanes == Precision::F32,
        };
        serde_json::to_vec(&wire).expect("an E-step output always serialises")
    }

    /// Reads bytes written by [`EStepOutput::to_bytes`], validating them.
    ///
    /// # Errors
    /// [`GmmError::InvalidParameter`] naming `statistics bytes` and the cause: not this
    /// format or version, invalid statistics, a total weight that is negative or not finite,
    /// a sum that is NaN or `+inf` (`log_norm_sum` may be `-inf`: a point beyond f64
    /// distances).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let w: EStepWire = serde_json::from_slice(bytes).map_err(|e| bad(e.to_string()))?;
        if w.format != E_STEP_FORMAT || w.version != E_STEP_FORMAT_VERSION {
            return Err(bad(format!(
                "format {:?} version {} is not {E_STEP_FORMAT:?} version {E_STEP_FORMAT_VERSION}",
                w.format, w.version
            )));
        }
        if !(w.total_weight.is_finite() && w.total_weight >= 0.0) {
            return Err(bad(format!(
                "the total weight {} must be finite and >= 0",
                w.total_weight
            )));
        }
        for (what, v) in [
            ("log_norm_sum", w.log_norm_sum),
            ("resp_log_resp_sum", w.resp_log_resp_sum),
            ("missing_entropy_sum", w.missing_entropy_sum),
        ] {
            if v.is_nan() || v == f64::INFINITY {
                return Err(bad(format!("{what} is {v}")));
            }
        }
        Ok(Self {
            stats: w.stats,
            log_norm_sum: w.log_norm_sum,
            resp_log_resp_sum: w.resp_log_resp_sum,
            missing_entropy_sum: w.missing_entropy_sum,
            n_samples: w.n_samples,
            total_weight: w.total_weight,
            lanes: if w.single_precision {
                Precision::F32
            } else {
                Precision::F64
            },
        })
    }

    /// [`EStepOutput::merge`] after checking that the two can merge (same K, D and scatter
    /// kind): for outputs from elsewhere (bytes, another process).
    ///
    /// # Errors
    /// [`GmmError::ShapeMismatch`] naming what differs.
    pub fn checked_merge(&mut self, other: &EStepOutput) -> Result<()> {
        self.stats.check_mergeable(&other.stats)?;
        self.merge(other);
        Ok(())
    }
}

impl EStepOutput {
    /// Checks that this output can step a model of `k` components and `d` features: the
    /// same K and D, and positive total weight.
    ///
    /// # Errors
    /// [`GmmError::ShapeMismatch`] naming what differs; [`GmmError::InvalidParameter`]
    /// naming `statistics` for a total weight of 0.
    pub fn check_for_model(&self, k: usize, d: usize) -> Result<()> {
        for (what, expected, found) in [
            ("number of components", k, self.stats.n_components()),
            ("number of features", d, self.stats.n_features()),
        ] {
            if expected != found {
                return Err(GmmError::ShapeMismatch {
                    what: format!("{what} of the statistics against the model"),
                    expected,
                    found,
                });
            }
        }
        if self.total_weight.is_nan() || self.total_weight <= 0.0 {
            return Err(GmmError::InvalidParameter {
                name: "statistics",
                value: format!("total weight {}", self.total_weight),
                reason: "merge the statistics of at least one point of positive weight".into(),
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::ScatterKind;

    #[test]
    fn bad_bytes_are_refused_naming_the_cause() {
        let good = EStepOutput::zeros(2, &[0.0], ScatterKind::Diagonal);
        let text = String::from_utf8(good.to_bytes()).unwrap();
        for (from, to, cause) in [
            ("\"version\":1", "\"version\":9", "version 9"),
            (
                "\"total_weight\":0.0",
                "\"total_weight\":-1.0",
                "total weight -1",
            ),
            (
                "\"log_norm_sum\":0.0",
                "\"log_norm_sum\":1e999",
                "out of range",
            ),
        ] {
            assert!(text.contains(from), "{text}");
            let err = EStepOutput::from_bytes(text.replace(from, to).as_bytes()).unwrap_err();
            assert!(err.to_string().contains(cause), "{err}");
        }
        let mut other_k = EStepOutput::zeros(3, &[0.0], ScatterKind::Diagonal);
        assert!(other_k.checked_merge(&good).is_err());
    }
}
