//! The JSON model file format (docs/model-format.md).
//!
//! ```json
//! {"covariance_type": "full", "weights": [...], "means": [[...], ...],
//!  "covariances": [[[...], ...], ...], "fit": {...}, "posterior": {...}}
//! ```
//! `covariances` holds what the type has (format 2): K full D x D matrices for full and tied,
//! K rows of D variances for diag, K numbers for spherical; files of format 1, which wrote K
//! full matrices for every type, still read. `fit` and `posterior` are optional. Reading validates the model exactly as [`GaussianMixture::new`] does, and
//! the round trip is exact: numbers are written with the shortest representation that reads
//! back to the same `f64`.

use nalgebra::{DMatrix, DVector};
use serde::{Deserialize, Serialize};

use crate::covariance::CovarianceType;
use std::path::Path;

mod stored_covariances;
mod stored_draws;
pub use stored_covariances::{StoredCovariances, StoredMatrix};
pub use stored_draws::StoredDraw;

use crate::atomic_write::write_atomic;
use crate::error::{GmmError, Result};
use crate::fit_record::{Estimator, FitRecord};
use crate::mixture::{GaussianMixture, MixtureModel};

/// The serialised form of a mixture. Use [`ModelFile::from_mixture`] and
/// [`ModelFile::to_mixture`] to move between it and a validated [`GaussianMixture`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelFile {
    /// The version of the format: [`FORMAT_VERSION`] when written by this library; files
    /// without the field are of format 1.
    #[serde(default = "format_one")]
    pub format_version: u32,
    /// The covariance type.
    pub covariance_type: CovarianceType,
    /// K weights.
    pub weights: Vec<f64>,
    /// K means of length D.
    pub means: Vec<Vec<f64>>,
    /// The covariances in the form their type stores.
    pub covariances: StoredCovariances,
    /// What the fit recorded, if this model came from a fit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fit: Option<FitRecord>,
    /// Estimator-specific posterior parameters (VB), kept as they were written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub posterior: Option<serde_json::Value>,
    /// The resolved prior of a MAP-EM fit (`gmm_vb::PriorRecord`'s form, with the weight
    /// prior's concentration `alpha0`), kept as it was written; absent for other fits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prior: Option<serde_json::Value>,
    /// The Gibbs sampler's posterior summary (standard deviations of the weights, means and
    /// covariances, the settings, the convergence diagnostics), kept as it was written
    /// (docs/model-format.md). The file's weights, means and covariances are then the
    /// posterior means.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gibbs: Option<serde_json::Value>,
    /// The names of the D features (the data's columns, in the order the model's
    /// coordinates follow), when the data the model was fitted on named them: a CSV
    /// header, Parquet column names, a pandas DataFrame's string column names. `None` when
    /// they were not known (a .npy file, an array, a file written before the field existed).
    /// Readers of the data select columns by these names ([`ModelFile::to_mixture`] checks
    /// that there are D of them, all different).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feature_names: Option<Vec<String>>,
}

/// The format version this library writes. Version 2 stores diag covariances as K rows of D
/// variances and spherical ones as K numbers; version 1 (files without `format_version`)
/// stored every type as K full D x D matrices, and still reads.
pub const FORMAT_VERSION: u32 = 2;

fn format_one() -> u32 {
    1
}

/// An error of a model read from a file, in the terms of a file: a covariance that is not
/// positive definite was damaged or edited after the fit wrote it (no setting of the reader
/// fixes it), so it becomes [`GmmError::InvalidModel`] saying so instead of advice to
/// change `reg_covar`.
pub fn stored_model_error(e: GmmError) -> GmmError {
    match e {
        GmmError::NotPositiveDefinite { component, reason } => GmmError::InvalidModel {
            reason: format!(
                "the covariance of component {component} is not symmetric positive definite \
                 ({reason}): the file was damaged or edited by hand; fit the model again"
            ),
        },
        other => other,
    }
}

/// `e`, an error of the model file at `path`, naming the file
/// ([`GmmError::InvalidModel`] prefixed with the path; other errors as they are).
pub fn in_model_file(path: &Path, e: GmmError) -> GmmError {
    match e {
        GmmError::InvalidModel { reason } if !reason.starts_with(&path.display().to_string()) => {
            GmmError::InvalidModel {
                reason: format!("{}: {reason}", path.display()),
            }
        }
        other => other,
    }
}

impl ModelFile {
    /// The file form of a mixture, with no fit record.
    pub fn from_mixture(gm: &GaussianMixture) -> Self {
        let k = gm.n_components();
        Self {
            format_version: FORMAT_VERSION,
            covariance_type: gm.covariance_type(),
            weights: gm.weights().iter().copied().collect(),
            means: (0..k)
                .map(|c| gm.means().row(c).iter().copied().collect())
                .collect(),
            covariances: StoredCovariances::of(gm.covariances(), k),
            fit: None,
            posterior: None,
            prior: None,
            gibbs: None,
            feature_names: None,
        }
    }

    /// The file with the feature names `names` (`None`: none recorded).
    ///
    /// ```
    /// use gmm_core::{synthetic, ModelFile};
    /// let file = ModelFile::from_mixture(&synthetic::two_d_three_clusters())
    ///     .with_feature_names(Some(vec!["x".into(), "y".into()]))?;
    /// let back = ModelFile::from_json(&file.to_json())?;
    /// assert_eq!(back.feature_names, Some(vec!["x".to_string(), "y".to_string()]));
    /// # Ok::<(), gmm_core::GmmError>(())
    /// ```
    ///
    /// # Errors
    /// [`GmmError::InvalidModel`] when there are not D names (one per mean coordinate) or
    /// two are the same (a name would not say which column to read).
    pub fn with_feature_names(mut self, names: Option<Vec<String>>) -> Result<Self> {
        if let Some(names) = &names {
            let d = self.means.first().map_or(0, Vec::len);
            check_feature_names(names, d)?;
        }
        self.feature_names = names;
        Ok(self)
    }

    /// Validates the file and builds the mixture.
    ///
    /// # Errors
    /// [`GmmError::InvalidModel`] for a format newer than [`FORMAT_VERSION`], ragged or
    /// inconsistent shapes, and covariances in a form or without the structure their type
    /// requires; any error of [`GaussianMixture::new`].
    pub fn to_mixture(&self) -> Result<GaussianMixture> {
        let invalid = |reason: String| GmmError::InvalidModel { reason };
        self.check_version()?;
        let k = self.weights.len();
        if k == 0 {
            return Err(invalid("no components (weights is empty)".into()));
        }
        if self.means.len() != k || self.covariances.len() != k {
            return Err(invalid(format!(
                "{k} weights but {} means and {} covariances",
                self.means.len(),
                self.covariances.len()
            )));
        }
        let d = self.means[0].len();
        if d == 0 {
            return Err(invalid("means have zero length".into()));
        }
        if let Some(c) = self.means.iter().position(|m| m.len() != d) {
            return Err(invalid(format!(
                "mean {c} has length {} but mean 0 has {d}",
                self.means[c].len()
            )));
        }
        if let Some(names) = &self.feature_names {
            check_feature_names(names, d)?;
        }
        let covariances = self
            .covariances
            .to_covariances(self.covariance_type, d)
            .map_err(stored_model_error)?;
        let means = DMatrix::from_fn(k, d, |c, j| self.means[c][j]);
        GaussianMixture::new(DVector::from_vec(self.weights.clone()), means, covariances)
            .map_err(stored_model_error)
    }

    /// Refuses a file of a format this library does not know.
    ///
    /// # Errors
    /// [`GmmError::InvalidModel`] when `format_version` is 0 or above [`FORMAT_VERSION`].
    pub fn check_version(&self) -> Result<()> {
        if (1..=FORMAT_VERSION).contains(&self.format_version) {
            return Ok(());
        }
        let cause = if self.format_version == 0 {
            "no gmm writes version 0 (the first format had no format_version field): the file \
             was made or edited by another program; write the model again with gmm"
        } else {
            "a newer gmm wrote it; read it with that version, or upgrade"
        };
        Err(GmmError::InvalidModel {
            reason: format!(
                "format_version {} is not one this gmm reads (1 to {FORMAT_VERSION}): {cause}",
                self.format_version
            ),
        })
    }

    /// Serialises to pretty-printed JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a model file always serialises")
    }

    /// About how many bytes the file of a mixture of type `covariance_type` with `k`
    /// components of dimension `d` takes while it is built and written: the weights, means
    /// and the covariances in their stored form (D x D per component for full and tied, D
    /// for diag, 1 for spherical), each number held as an `f64` and as up to 25 characters
    /// of text.
    pub fn estimated_bytes(covariance_type: CovarianceType, k: usize, d: usize) -> u64 {
        let (k64, d64) = (k as u64, d as u64);
        let per_component = match covariance_type {
            CovarianceType::Full | CovarianceType::Tied => d64.saturating_mul(d64),
            CovarianceType::Diagonal => d64,
            CovarianceType::Spherical => 1,
        };
        let numbers = k64.saturating_mul(d64.saturating_add(1).saturating_add(per_component));
        numbers.saturating_mul(33)
    }

    /// Writes the file to `path` atomically (nothing half-written is ever left there).
    ///
    /// # Errors
    /// [`GmmError::Io`] naming the path when it cannot be written.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        write_atomic(path.as_ref(), self.to_json().as_bytes())
    }

    /// Reads and parses the file at `path` (no validation of the model: see
    /// [`ModelFile::to_mixture`]).
    ///
    /// # Errors
    /// [`GmmError::Io`] naming the path when it cannot be read, is not a regular file (a
    /// character device, a pipe) or is larger than [`crate::MAX_SIDE_FILE_BYTES`] (read with
    /// a cap: nothing beyond it is read); [`GmmError::InvalidModel`] naming the path and the
    /// parser's line and column when it is not a model file.
    pub fn load(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let bytes = crate::side_file::read_side_file(path, "the model file")?;
        let text = String::from_utf8(bytes).map_err(|_| GmmError::InvalidModel {
            reason: format!("{}: the file is not UTF-8 text (JSON)", path.display()),
        })?;
        Self::from_json(&text).map_err(|e| in_model_file(path, e))
    }

    /// Whether the file holds a variational posterior (written by a VB fit), which only the
    /// VB model (`gmm_vb::VbModel`, or `gmm::load_model`) answers with: its point estimate
    /// alone scores with plug-in densities instead of the posterior predictive.
    pub fn holds_vb_posterior(&self) -> bool {
        self.posterior.is_some()
            || self
                .fit
                .as_ref()
                .is_some_and(|f| f.estimator() == Estimator::Vb)
    }

    /// The mixture of a file that is a Gaussian mixture and nothing more: what
    /// [`GaussianMixture::from_json`] and [`GaussianMixture::load`] build.
    ///
    /// # Errors
    /// [`GmmError::InvalidModel`] for a VB file and for a Gibbs file with posterior draws,
    /// saying what to call instead; any error of [`ModelFile::to_mixture`].
    pub fn to_plain_mixture(&self) -> Result<GaussianMixture> {
        if self
            .gibbs
            .as_ref()
            .is_some_and(|g| g.get("draws").is_some())
        {
            return Err(GmmError::InvalidModel {
                reason: "the file holds a Gibbs fit's posterior draws: load it with \
                         gmm::load_model (or gmm_vb::load_model) to score with their posterior \
                         predictive, or call ModelFile::to_mixture for the posterior means alone"
                    .into(),
            });
        }
        if self.holds_vb_posterior() {
            return Err(GmmError::InvalidModel {
                reason: "the file holds a VB fit: load it with gmm::load_model (or \
                         gmm_vb::VbModel::load) to score with its posterior predictive, or call \
                         ModelFile::to_mixture for its point estimate alone"
                    .into(),
            });
        }
        self.to_mixture()
    }

    /// Parses JSON (no validation of the model: see [`ModelFile::to_mixture`]). A leading
    /// byte-order mark (U+FEFF, as some editors on Windows write) is skipped, as RFC 8259
    /// section 8.1 allows a parser to do.
    ///
    /// # Errors
    /// [`GmmError::InvalidModel`] with the parser's message (line and column).
    pub fn from_json(text: &str) -> Result<Self> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        serde_json::from_str(text).map_err(|e| GmmError::InvalidModel {
            reason: e.to_string(),
        })
    }
}

/// Checks that `names` are `d` feature names, all different (what a model file's
/// `feature_names` must be).
///
/// # Errors
/// [`GmmError::InvalidModel`] naming the field, the counts or the repeated name.
pub fn check_feature_names(names: &[String], d: usize) -> Result<()> {
    if names.len() != d {
        return Err(GmmError::InvalidModel {
            reason: format!(
                "feature_names has {} names but the model has {d} features: give one name per \
                 feature, or delete the field",
                names.len()
            ),
        });
    }
    for (j, name) in names.iter().enumerate() {
        if let Some(other) = names[..j].iter().position(|n| n == name) {
            return Err(GmmError::InvalidModel {
                reason: format!(
                    "feature_names names {name:?} twice (features {} and {}), so the name does \
                     not say which column to read: rename one, or delete the field",
                    other + 1,
                    j + 1
                ),
            });
        }
    }
    Ok(())
}

impl GaussianMixture {
    /// Serialises the mixture to the JSON model format (no fit record).
    ///
    /// ```
    /// use gmm_core::{Covariances, GaussianMixture};
    /// use nalgebra::{DMatrix, DVector};
    /// let gm = GaussianMixture::new(
    ///     DVector::from_vec(vec![0.25, 0.75]),
    ///     DMatrix::from_row_slice(2, 2, &[0.0, 1.0, 5.0, 5.0]),
    ///     Covariances::Diagonal(vec![DVector::from_vec(vec![1.0, 2.0]); 2]),
    /// )?;
    /// let back = GaussianMixture::from_json(&gm.to_json())?;
    /// assert_eq!(back, gm);
    /// # Ok::<(), gmm_core::GmmError>(())
    /// ```
    pub fn to_json(&self) -> String {
        ModelFile::from_mixture(self).to_json()
    }

    /// Reads and validates a mixture from the JSON model format. A VB model file is refused
    /// (see [`ModelFile::to_plain_mixture`]).
    ///
    /// # Errors
    /// As [`ModelFile::from_json`] and [`ModelFile::to_plain_mixture`].
    pub fn from_json(text: &str) -> Result<Self> {
        ModelFile::from_json(text)?.to_plain_mixture()
    }

    /// Writes the mixture's model file (no fit record) to `path` atomically.
    ///
    /// ```
    /// use gmm_core::{synthetic, GaussianMixture};
    /// let dir = std::env::temp_dir().join(format!("gmm-save-doc-{}", std::process::id()));
    /// std::fs::create_dir_all(&dir).unwrap();
    /// let truth = synthetic::two_d_three_clusters();
    /// truth.save(dir.join("truth.json"))?;
    /// assert_eq!(GaussianMixture::load(dir.join("truth.json"))?, truth);
    /// # std::fs::remove_dir_all(&dir).unwrap();
    /// # Ok::<(), gmm_core::GmmError>(())
    /// ```
    ///
    /// # Errors
    /// [`GmmError::Io`] naming the path when it cannot be written.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        ModelFile::from_mixture(self).save(path)
    }

    /// Reads and validates the mixture of the model file at `path`; a VB model file is
    /// refused (load it with `gmm::load_model`).
    ///
    /// # Errors
    /// As [`ModelFile::load`] and [`ModelFile::to_plain_mixture`].
    pub fn load(path: impl AsRef<Path>) -> Result<Self> {
        ModelFile::load(path)?.to_plain_mixture()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::covariance::Covariances;

    /// The stored matrices of a full or tied file.
    fn matrices(file: &mut ModelFile) -> &mut Vec<Vec<Vec<f64>>> {
        match &mut file.covariances {
            StoredCovariances::Matrices(m) => m,
            other => panic!("expected matrices, found {other:?}"),
        }
    }

    fn mixtures() -> Vec<GaussianMixture> {
        let w = DVector::from_vec(vec![0.1 + 1e-17, 0.2, 0.7 - 1e-17]);
        let means =
            DMatrix::from_row_slice(3, 2, &[0.1, 1.0 / 3.0, 1e300, -1e-300, 2.0f64.sqrt(), 5.0]);
        let full = DMatrix::from_row_slice(2, 2, &[2.0 / 3.0, 0.1, 0.1, 1.0 / 7.0]);
        vec![
            GaussianMixture::new(
                w.clone(),
                means.clone(),
                Covariances::Full(vec![full.clone(); 3]),
            )
            .unwrap(),
            GaussianMixture::new(w.clone(), means.clone(), Covariances::Tied(full)).unwrap(),
            GaussianMixture::new(
                w.clone(),
                means.clone(),
                Covariances::Diagonal(vec![DVector::from_vec(vec![0.3, 1.0 / 9.0]); 3]),
            )
            .unwrap(),
            GaussianMixture::new(w, means, Covariances::Spherical(vec![0.1, 0.2, 1e-8])).unwrap(),
        ]
    }

    #[test]
    fn round_trip_is_exact_for_every_type() {
        for gm in mixtures() {
            let text = gm.to_json();
            let back = GaussianMixture::from_json(&text).unwrap();
            assert_eq!(back, gm, "{text}");
            assert_eq!(back.to_json(), text);
        }
    }

    #[test]
    fn fit_record_round_trips() {
        let mut file = ModelFile::from_mixture(&mixtures()[0]);
        let mut record = FitRecord::new(crate::Estimator::Em);
        for bound in [-3.0, -2.5, -2.499_999_999_999_9] {
            record.push_bound(bound, 1.0, 1e-3);
        }
        record.finish(true);
        file.fit = Some(record);
        assert_eq!(ModelFile::from_json(&file.to_json()).unwrap(), file);
    }

    #[test]
    fn bad_files_are_rejected_with_a_reason() {
        let good = ModelFile::from_mixture(&mixtures()[0]);
        let mut w = good.clone();
        w.weights = vec![0.5, 0.5, 0.5];
        assert!(matches!(
            w.to_mixture(),
            Err(GmmError::InvalidWeights { .. })
        ));
        let mut spd = good.clone();
        matrices(&mut spd)[1] = vec![vec![1.0, 2.0], vec![2.0, 1.0]];
        assert!(matches!(
            spd.to_mixture(),
            Err(GmmError::InvalidModel { reason }) if reason.contains("component 1 is not symmetric")
        ));
        let mut shape = good.clone();
        shape.means[2] = vec![1.0];
        assert!(matches!(
            shape.to_mixture(),
            Err(GmmError::InvalidModel { .. })
        ));
        let mut cov_shape = good.clone();
        matrices(&mut cov_shape)[0] = vec![vec![1.0]];
        assert!(matches!(
            cov_shape.to_mixture(),
            Err(GmmError::InvalidModel { .. })
        ));
        let text = good.to_json();
        assert!(matches!(
            ModelFile::from_json(&text[..text.len() / 2]),
            Err(GmmError::InvalidModel { .. })
        ));
        let mut tied = ModelFile::from_mixture(&mixtures()[1]);
        matrices(&mut tied)[2][0][0] += 1.0;
        assert!(matches!(
            tied.to_mixture(),
            Err(GmmError::InvalidModel { .. })
        ));
    }

    #[test]
    fn fields_may_come_in_any_order() {
        let text = r#"{"covariances": [[[2.0]]], "means": [[1.0]], "weights": [1.0], "covariance_type": "spherical"}"#;
        let gm = GaussianMixture::from_json(text).unwrap();
        assert_eq!(gm.covariances(), &Covariances::Spherical(vec![2.0]));
    }

    #[test]
    fn diag_and_spherical_store_only_their_numbers() {
        let all = mixtures();
        let diag = serde_json::to_value(ModelFile::from_mixture(&all[2])).unwrap();
        assert_eq!(diag["format_version"], 2);
        assert_eq!(diag["covariances"].as_array().unwrap().len(), 3);
        assert_eq!(diag["covariances"][0].as_array().unwrap().len(), 2);
        assert!(diag["covariances"][0][0].is_number());
        let spherical = serde_json::to_value(ModelFile::from_mixture(&all[3])).unwrap();
        assert_eq!(
            spherical["covariances"],
            serde_json::json!([0.1, 0.2, 1e-8])
        );
    }

    /// A mixture's file as format 1 wrote it: no version, every covariance a full matrix.
    fn format_one_text(gm: &GaussianMixture) -> String {
        let (k, d) = (gm.n_components(), gm.n_features());
        let mut v = serde_json::to_value(ModelFile::from_mixture(gm)).unwrap();
        let full: Vec<Vec<Vec<f64>>> = (0..k)
            .map(|c| {
                let m = gm.covariances().full_matrix(c, d);
                (0..d).map(|a| m.row(a).iter().copied().collect()).collect()
            })
            .collect();
        v["covariances"] = serde_json::to_value(full).unwrap();
        v.as_object_mut().unwrap().remove("format_version");
        v.to_string()
    }

    #[test]
    fn files_of_format_one_still_read_bit_for_bit() {
        for gm in mixtures() {
            let old = format_one_text(&gm);
            let file = ModelFile::from_json(&old).unwrap();
            assert_eq!(file.format_version, 1);
            assert_eq!(file.to_mixture().unwrap(), gm, "{old}");
        }
    }

    #[test]
    fn format_one_matrices_must_have_their_type_s_structure() {
        let all = mixtures();
        let mut diag = ModelFile::from_json(&format_one_text(&all[2])).unwrap();
        matrices(&mut diag)[1][0][1] = 1e-3;
        matrices(&mut diag)[1][1][0] = 1e-3;
        let e = diag.to_mixture().unwrap_err().to_string();
        assert!(e.contains("non-zero off-diagonal"), "{e}");
        let mut spherical = ModelFile::from_json(&format_one_text(&all[3])).unwrap();
        matrices(&mut spherical)[2][1][1] *= 2.0;
        let e = spherical.to_mixture().unwrap_err().to_string();
        assert!(e.contains("not a multiple of the identity"), "{e}");
    }

    #[test]
    fn a_newer_format_or_a_wrong_form_is_refused() {
        let mut file = ModelFile::from_mixture(&mixtures()[0]);
        file.format_version = FORMAT_VERSION + 1;
        let e = file.to_mixture().unwrap_err().to_string();
        assert!(e.contains("format_version 3"), "{e}");
        let mut spherical = ModelFile::from_mixture(&mixtures()[3]);
        spherical.covariance_type = CovarianceType::Diagonal;
        let e = spherical.to_mixture().unwrap_err().to_string();
        assert!(
            e.contains("covariance type is diag but covariances holds single numbers"),
            "{e}"
        );
        let mut short = ModelFile::from_mixture(&mixtures()[2]);
        if let StoredCovariances::Variances(rows) = &mut short.covariances {
            rows[1].pop();
        }
        assert!(matches!(
            short.to_mixture(),
            Err(GmmError::InvalidModel { .. })
        ));
    }

    #[test]
    fn version_zero_a_byte_order_mark_and_a_damaged_covariance() {
        let mut file = ModelFile::from_mixture(&mixtures()[0]);
        file.format_version = 0;
        let e = file.to_mixture().unwrap_err().to_string();
        assert!(e.contains("no gmm writes version 0"), "{e}");
        assert!(!e.contains("newer"), "{e}");
        // a byte-order mark before the JSON is skipped
        let text = format!("\u{feff}{}", mixtures()[2].to_json());
        assert_eq!(GaussianMixture::from_json(&text).unwrap(), mixtures()[2]);
        // a covariance edited into one that is not positive definite: the file is named
        // as damaged, with no advice about reg_covar
        let mut damaged = ModelFile::from_mixture(&mixtures()[0]);
        if let StoredCovariances::Matrices(matrices) = &mut damaged.covariances {
            matrices[1] = vec![vec![1.0, 2.0], vec![2.0, 1.0]];
        }
        let dir = std::env::temp_dir().join(format!("gmm-damaged-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("damaged.json");
        damaged.save(&path).unwrap();
        let e = ModelFile::load(&path)
            .and_then(|f| f.to_mixture())
            .unwrap_err();
        let shown = in_model_file(&path, e).to_string();
        assert!(shown.contains("damaged.json"), "{shown}");
        assert!(
            shown.contains("component 1 is not symmetric positive definite"),
            "{shown}"
        );
        assert!(shown.contains("damaged or edited"), "{shown}");
        assert!(!shown.contains("reg_covar"), "{shown}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn feature_names_round_trip_and_are_checked() {
        let names = Some(vec!["x".to_string(), "y".to_string()]);
        let file = ModelFile::from_mixture(&mixtures()[0])
            .with_feature_names(names.clone())
            .unwrap();
        let back = ModelFile::from_json(&file.to_json()).unwrap();
        assert_eq!(back.feature_names, names);
        assert_eq!(back, file);
        assert_eq!(back.to_mixture().unwrap(), mixtures()[0]);
        // written only when known: a file without names has no field, and reads as before
        let plain = ModelFile::from_mixture(&mixtures()[0]);
        assert!(!plain.to_json().contains("feature_names"));
        assert_eq!(
            ModelFile::from_json(&plain.to_json())
                .unwrap()
                .feature_names,
            None
        );
        // one name per feature, all different; a hand-edited file is refused, saying why
        let e = ModelFile::from_mixture(&mixtures()[0])
            .with_feature_names(Some(vec!["x".into()]))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("feature_names has 1 names but the model has 2"),
            "{e}"
        );
        let mut twice = file.clone();
        twice.feature_names = Some(vec!["x".into(), "x".into()]);
        let e = twice.to_mixture().unwrap_err().to_string();
        assert!(e.contains("\"x\" twice (features 1 and 2)"), "{e}");
    }

    #[test]
    fn the_estimate_follows_the_stored_form() {
        let (k, d) = (1, 40_000);
        let full = ModelFile::estimated_bytes(CovarianceType::Full, k, d);
        let diag = ModelFile::estimated_bytes(CovarianceType::Diagonal, k, d);
        let spherical = ModelFile::estimated_bytes(CovarianceType::Spherical, k, d);
        assert!(full > 50_000_000_000, "{full}");
        assert!(diag < 3_000_000, "{diag}");
        assert!(spherical < diag);
        assert_eq!(
            ModelFile::estimated_bytes(CovarianceType::Tied, usize::MAX, usize::MAX),
            u64::MAX
        );
        // the written text stays within the estimate
        for gm in mixtures() {
            let (k, d) = (gm.n_components(), gm.n_features());
            let bytes = ModelFile::estimated_bytes(gm.covariance_type(), k, d);
            assert!(
                (gm.to_json().len() as u64) < bytes,
                "{}",
                gm.covariance_type()
            );
        }
    }
}
