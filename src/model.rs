//! One way to load a model file, whichever estimator wrote it.

use std::path::Path;

use crate::core::nalgebra::DMatrix;
use crate::core::{Dataset, GaussianMixture, MixtureModel, ModelFile, Result};
use crate::vb::VbModel;

/// A model read from a file: a VB fit's posterior, or a Gaussian mixture (an EM fit's, a CAVI
/// fit's plug-in mixture, or one written by hand). It answers every [`MixtureModel`] method
/// exactly as the fitted model that wrote the file did.
// A loaded model is held one at a time, not in collections: the size difference between
// the variants costs nothing worth a box.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum Model {
    /// A Gaussian mixture, answering with its own densities.
    Mixture(GaussianMixture),
    /// A variational posterior, answering with the Student-t posterior predictive and the
    /// variational responsibilities.
    Vb(VbModel),
}

/// Reads the model file at `path` into the model it holds: [`Model::Vb`] for a file written
/// by a VB fit (it holds a posterior), [`Model::Mixture`] otherwise.
///
/// ```
/// use gmm::core::{synthetic, FittedModel, MixtureModel};
/// let dir = std::env::temp_dir().join(format!("gmm-load-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&dir).unwrap();
/// let sample = synthetic::draw(&synthetic::two_d_three_clusters(), 300, 1)?;
/// let fit = gmm::vb::VbParams::new(3).fit(&sample.data)?;
/// fit.save(&dir.join("vb.json"))?;
/// let model = gmm::load_model(dir.join("vb.json"))?;
/// assert!(matches!(model, gmm::Model::Vb(_)));
/// assert_eq!(model.score(&sample.data)?, fit.score(&sample.data)?);
/// # std::fs::remove_dir_all(&dir).unwrap();
/// # Ok::<(), gmm::core::GmmError>(())
/// ```
///
/// # Errors
/// [`GmmError::Io`](crate::core::GmmError::Io) naming the path when it cannot be read;
/// [`GmmError::InvalidModel`](crate::core::GmmError::InvalidModel) naming the path, the
/// field and the reason when the file is not a valid model file (a VB file with a corrupted
/// posterior among them).
pub fn load_model(path: impl AsRef<Path>) -> Result<Model> {
    Model::from_model_file(&ModelFile::load(path)?)
}

impl Model {
    /// The model a parsed model file holds (see [`load_model`]).
    ///
    /// # Errors
    /// As [`load_model`].
    pub fn from_model_file(file: &ModelFile) -> Result<Self> {
        if file.holds_vb_posterior() {
            VbModel::from_model_file(file).map(Self::Vb)
        } else {
            file.to_plain_mixture().map(Self::Mixture)
        }
    }

    /// Writes the model's file (without a fit record) to `path` atomically.
    ///
    /// # Errors
    /// [`GmmError::Io`](crate::core::GmmError::Io) naming the path when it cannot be written.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        self.model_file().save(path)
    }

    /// The model's file, without a fit record.
    pub fn model_file(&self) -> ModelFile {
        match self {
            Self::Mixture(m) => ModelFile::from_mixture(m),
            Self::Vb(m) => m.to_model_file(),
        }
    }

    fn inner(&self) -> &dyn MixtureModel {
        match self {
            Self::Mixture(m) => m,
            Self::Vb(m) => m,
        }
    }
}

/// Every method goes to the model the file holds, so overridden methods answer as theirs.
impl MixtureModel for Model {
    fn n_components(&self) -> usize {
        self.inner().n_components()
    }

    fn n_features(&self) -> usize {
        self.inner().n_features()
    }

    fn score_samples(&self, data: &Dataset) -> Result<Vec<f64>> {
        self.inner().score_samples(data)
    }

    fn predict_proba_within(
        &self,
        data: &Dataset,
        max_memory: Option<u64>,
    ) -> Result<DMatrix<f64>> {
        self.inner().predict_proba_within(data, max_memory)
    }

    fn score(&self, data: &Dataset) -> Result<f64> {
        self.inner().score(data)
    }

    fn predict(&self, data: &Dataset) -> Result<Vec<usize>> {
        self.inner().predict(data)
    }

    fn score_point(&self, x: &[f64]) -> Result<f64> {
        self.inner().score_point(x)
    }

    fn predict_proba_point(&self, x: &[f64]) -> Result<Vec<f64>> {
        self.inner().predict_proba_point(x)
    }

    fn predict_point(&self, x: &[f64]) -> Result<usize> {
        self.inner().predict_point(x)
    }
}
