//! The byte form of [`SufficientStats`] and [`EStepOutput`]-like chunk results, for engines
//! that compute statistics in one process and merge them in another (docs/python.md,
//! "The map-reduce step").
//!
//! The bytes are UTF-8 JSON with a format name and a version number, every `f64` written so
//! that it reads back bit for bit. Reading validates everything a merge or an M-step relies
//! on, so a malformed, truncated or foreign byte string is an error, never a panic:
//! the format and version, `K >= 1`, `D >= 1`, every length against K and D, every value
//! finite, `N_k >= 0` and a non-negative scatter diagonal.

use serde::{Deserialize, Serialize};

use super::{ScatterKind, SufficientStats};
use crate::error::{GmmError, Result};

/// The format name written into every statistics byte string.
pub const STATS_FORMAT: &str = "gmm-sufficient-stats";
/// The version of the statistics byte format this build writes and reads.
pub const STATS_FORMAT_VERSION: u32 = 1;

/// The serialised fields of [`SufficientStats`] (version 1).
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct StatsWire {
    format: String,
    version: u32,
    n_features: usize,
    scatter_kind: ScatterKindWire,
    origin: Vec<f64>,
    n_k: Vec<f64>,
    mean_offsets: Vec<f64>,
    scatter: Vec<f64>,
}

#[derive(Serialize, Deserialize, Clone, Copy)]
#[serde(rename_all = "lowercase")]
enum ScatterKindWire {
    Full,
    Diagonal,
}

fn bad(reason: String) -> GmmError {
    GmmError::InvalidParameter {
        name: "statistics bytes",
        value: "(byte string)".into(),
        reason,
    }
}

impl From<SufficientStats> for StatsWire {
    fn from(s: SufficientStats) -> Self {
        Self {
            format: STATS_FORMAT.into(),
            version: STATS_FORMAT_VERSION,
            n_features: s.n_features,
            scatter_kind: match s.kind {
                ScatterKind::Full => ScatterKindWire::Full,
                ScatterKind::Diagonal => ScatterKindWire::Diagonal,
            },
            origin: s.origin,
            n_k: s.n_k,
            mean_offsets: s.mean_offsets,
            scatter: s.scatter,
        }
    }
}

impl TryFrom<StatsWire> for SufficientStats {
    type Error = String;

    fn try_from(wire: StatsWire) -> std::result::Result<Self, String> {
        if wire.format != STATS_FORMAT {
            return Err(format!("format {:?} is not {STATS_FORMAT:?}", wire.format));
        }
        if wire.version != STATS_FORMAT_VERSION {
            return Err(format!(
                "version {} cannot be read by this build (it reads version {STATS_FORMAT_VERSION}): \
                 compute the statistics with the same gmm version",
                wire.version
            ));
        }
        let kind = match wire.scatter_kind {
            ScatterKindWire::Full => ScatterKind::Full,
            ScatterKindWire::Diagonal => ScatterKind::Diagonal,
        };
        let stats = Self {
            n_features: wire.n_features,
            kind,
            origin: wire.origin,
            n_k: wire.n_k,
            mean_offsets: wire.mean_offsets,
            scatter: wire.scatter,
        };
        stats.validate()?;
        Ok(stats)
    }
}

impl SufficientStats {
    /// The statistics as bytes (versioned JSON, exact round trip); read them back with
    /// [`SufficientStats::from_bytes`]. The same form is what serde gives.
    ///
    /// ```
    /// use gmm_core::{ScatterKind, SufficientStats};
    /// let stats = SufficientStats::from_labels(&[0.0, 1.0, 5.0], &[0, 0, 1], None, 2, &[0.0], ScatterKind::Full);
    /// let back = SufficientStats::from_bytes(&stats.to_bytes())?;
    /// assert_eq!(back, stats);
    /// assert!(SufficientStats::from_bytes(b"{\"format\": 3}").is_err());
    /// # Ok::<(), gmm_core::GmmError>(())
    /// ```
    pub fn to_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("statistics always serialise")
    }

    /// Reads statistics written by [`SufficientStats::to_bytes`], validating them.
    ///
    /// # Errors
    /// [`GmmError::InvalidParameter`] naming `statistics bytes` and what is wrong: not the
    /// statistics format, another version, inconsistent lengths, a non-finite value, a
    /// negative `N_k` or a negative scatter diagonal.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        serde_json::from_slice(bytes).map_err(|e| bad(e.to_string()))
    }

    /// Checks the invariants [`SufficientStats::from_bytes`] promises.
    fn validate(&self) -> std::result::Result<(), String> {
        let (k, d) = (self.n_k.len(), self.n_features);
        if k == 0 || d == 0 {
            return Err(format!("K = {k} and D = {d}: both must be at least 1"));
        }
        let lengths = [
            ("origin", self.origin.len(), Some(d)),
            ("mean_offsets", self.mean_offsets.len(), k.checked_mul(d)),
            (
                "scatter",
                self.scatter.len(),
                match self.kind {
                    ScatterKind::Full => d.checked_mul(d),
                    ScatterKind::Diagonal => Some(d),
                }
                .and_then(|per| k.checked_mul(per)),
            ),
        ];
        for (what, found, expected) in lengths {
            if Some(found) != expected {
                return Err(format!(
                    "{what} has {found} values, not the {} that K = {k}, D = {d} need",
                    expected.map_or("(overflowing)".into(), |e| e.to_string())
                ));
            }
        }
        let all = self
            .origin
            .iter()
            .chain(&self.n_k)
            .chain(&self.mean_offsets)
            .chain(&self.scatter);
        if let Some(v) = all.into_iter().find(|v| !v.is_finite()) {
            return Err(format!("a value is {v}: every value must be finite"));
        }
        if let Some(c) = self.n_k.iter().position(|n| *n < 0.0) {
            return Err(format!("N_k of component {c} is negative"));
        }
        for c in 0..k {
            if let Some(j) = (0..d).find(|&j| self.scatter_diagonal(c)[j] < 0.0) {
                return Err(format!(
                    "the scatter of component {c} has a negative diagonal entry at {j}"
                ));
            }
        }
        Ok(())
    }

    /// Checks that `other` can be merged into these statistics: same K, D and scatter kind.
    ///
    /// # Errors
    /// [`GmmError::ShapeMismatch`] naming what differs.
    pub fn check_mergeable(&self, other: &SufficientStats) -> Result<()> {
        let shape = (other.n_components(), other.n_features, other.kind);
        self.check_shape(shape, "of the statistics to merge")
    }

    /// Checks that these statistics hold `(K, D, kind)` = `shape`; `whose` ends the error's
    /// description of what differs ("of the statistics to merge").
    ///
    /// # Errors
    /// [`GmmError::ShapeMismatch`] naming what differs.
    pub(crate) fn check_shape(
        &self,
        (k, d, kind): (usize, usize, ScatterKind),
        whose: &str,
    ) -> Result<()> {
        let mismatch = |what: &str, expected: usize, found: usize| {
            Err(GmmError::ShapeMismatch {
                what: format!("{what} {whose}"),
                expected,
                found,
            })
        };
        if k != self.n_components() {
            return mismatch("number of components", self.n_components(), k);
        }
        if d != self.n_features {
            return mismatch("number of features", self.n_features, d);
        }
        if kind != self.kind {
            let len = |k: ScatterKind| k.len(self.n_features);
            return mismatch(
                "scatter entries per component (full D x D or diagonal D)",
                len(self.kind),
                len(kind),
            );
        }
        Ok(())
    }
}
