//! One way to load a model file, whichever estimator wrote it: [`load_model`] and
//! [`LoadedModel`] (re-exported by the facade as `gmm::load_model` and `gmm::Model`, and used
//! by the `gmm` command).
//!
//! The rule, in this order:
//!
//! 1. a file with a `"posterior"` object is a VB model: it rebuilds into a [`VbModel`]
//!    ([`ModelKind::Vb`]), whatever else it holds, with every check of
//!    [`VbModel::from_model_file`] (a fit record, when there is one, must say `"vb"`; a
//!    corrupted posterior is an error, never silently replaced by the point estimate);
//! 2. a file whose fit record says `"vb"` but that has no posterior (deleted by hand, or
//!    written by a tool that keeps the point estimate alone) loads as its point estimate,
//!    [`ModelKind::VbPointEstimate`]: a plug-in Gaussian mixture, which does not answer as
//!    the fit did (no posterior predictive); the variant says so, for the caller to tell
//!    its user (the `gmm` command prints a note);
//! 3. a file a Gibbs fit wrote (a `"gibbs"` object, or a fit record saying `"gibbs"`) that
//!    keeps posterior draws (`"gibbs"` / `"draws"`) answers with their posterior predictive,
//!    [`ModelKind::GibbsDraws`] (exactly as the fit did: `gmm_core::PosteriorDraws` says
//!    what score, predict and predict_proba are); one without draws (written before gmm
//!    kept them, or with none kept) loads as its posterior-mean mixture,
//!    [`ModelKind::GibbsPosteriorMean`], a plug-in approximation of the predictive that the
//!    variant names for the caller to tell its user (the `gmm` command prints a note);
//! 4. any other file is a Gaussian mixture ([`ModelKind::Mixture`]): an EM fit's, a CAVI
//!    fit's plug-in mixture, or one written by hand.
//!
//! Whatever the kind, the file's `feature_names` (when it has them) come with the model
//! ([`LoadedModel::feature_names`]) and are written back by [`LoadedModel::save`].

use std::path::Path;

use gmm_core::nalgebra::DMatrix;
use gmm_core::{
    DataSource, Dataset, Estimator, GaussianMixture, MixtureModel, ModelFile, PosteriorDraws,
    Result, ScoreSums,
};

use gmm_core::model_file::check_feature_names;

use crate::VbModel;

/// A model read from a file: the model ([`ModelKind`], by the module's rule) and the names
/// of its features when the file recorded them (`feature_names`, docs/model-format.md).
/// It answers every [`MixtureModel`] method as the model it holds; saved, it writes the
/// names back.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadedModel {
    kind: ModelKind,
    feature_names: Option<Vec<String>>,
}

/// The model a file holds (see the module's rule): a VB fit's posterior, a VB file's point
/// estimate when its posterior is missing, or a Gaussian mixture. The first and the last
/// answer every [`MixtureModel`] method exactly as the fitted model that wrote the file did.
// A loaded model is held one at a time, not in collections: the size difference between
// the variants costs nothing worth a box.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum ModelKind {
    /// A Gaussian mixture, answering with its own densities.
    Mixture(GaussianMixture),
    /// A variational posterior, answering with the Student-t posterior predictive and the
    /// variational responsibilities.
    Vb(VbModel),
    /// The point estimate of a VB model file without its `"posterior"`: a plug-in Gaussian
    /// mixture, answering with its own densities rather than the posterior predictive.
    VbPointEstimate(GaussianMixture),
    /// A Gibbs fit's file with its kept posterior draws, answering with their posterior
    /// predictive.
    GibbsDraws {
        /// The kept draws: they answer every query.
        draws: PosteriorDraws,
        /// The file's weights, means and covariances (the posterior means), written back by
        /// [`LoadedModel::save`]; they answer nothing.
        posterior_mean: GaussianMixture,
        /// The file's `"gibbs"` object (draws, standard deviations, diagnostics), written
        /// back as it was read.
        gibbs: serde_json::Value,
    },
    /// A Gibbs fit's file without posterior draws: the posterior-mean mixture, answering
    /// with its own densities, a plug-in approximation of the posterior predictive.
    GibbsPosteriorMean(GaussianMixture),
}

impl From<ModelKind> for LoadedModel {
    /// The model without feature names.
    fn from(kind: ModelKind) -> Self {
        Self {
            kind,
            feature_names: None,
        }
    }
}

/// Reads the model file at `path` into the model it holds: [`ModelKind::Vb`] for a file
/// with a posterior (written by a VB fit), [`ModelKind::VbPointEstimate`] for a VB file
/// without one, [`ModelKind::Mixture`] otherwise; with the file's feature names.
///
/// ```
/// use gmm_core::{synthetic, FittedModel, MixtureModel};
/// use gmm_vb::{ModelKind, VbParams, load_model};
/// let dir = std::env::temp_dir().join(format!("gmm-vb-load-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&dir).unwrap();
/// let sample = synthetic::draw(&synthetic::two_d_three_clusters(), 300, 1)?;
/// let fit = VbParams::new(3).fit(&sample.data)?;
/// fit.save(&dir.join("vb.json"))?;
/// let model = load_model(dir.join("vb.json"))?;
/// assert!(matches!(model.kind(), ModelKind::Vb(_)));
/// assert_eq!(model.feature_names(), None);
/// assert_eq!(model.score(&sample.data)?, fit.score(&sample.data)?);
/// # std::fs::remove_dir_all(&dir).unwrap();
/// # Ok::<(), gmm_core::GmmError>(())
/// ```
///
/// # Errors
/// [`GmmError::Io`](gmm_core::GmmError::Io) naming the path when it cannot be read;
/// [`GmmError::InvalidModel`](gmm_core::GmmError::InvalidModel) naming the path when it is
/// not JSON of a model file, and naming the field and the reason when the model is not
/// valid (a VB file with a corrupted posterior among them).
pub fn load_model(path: impl AsRef<Path>) -> Result<LoadedModel> {
    let path = path.as_ref();
    LoadedModel::from_model_file(&ModelFile::load(path)?)
        .map_err(|e| gmm_core::model_file::in_model_file(path, e))
}

impl LoadedModel {
    /// The model a parsed model file holds (see [`load_model`] and the module's rule), with
    /// its feature names.
    ///
    /// # Errors
    /// [`GmmError::InvalidModel`](gmm_core::GmmError::InvalidModel) naming the field and the
    /// reason: the errors of [`VbModel::from_model_file`] for a file with a posterior, of
    /// [`ModelFile::to_mixture`] otherwise (feature names that are not one per feature, all
    /// different, among them).
    pub fn from_model_file(file: &ModelFile) -> Result<Self> {
        let kind = if file.posterior.is_some() {
            ModelKind::Vb(VbModel::from_model_file(file)?)
        } else if Self::is_vb_without_posterior(file) {
            ModelKind::VbPointEstimate(file.to_mixture()?)
        } else if file.is_gibbs() {
            Self::gibbs_kind(file)?
        } else {
            ModelKind::Mixture(file.to_mixture()?)
        };
        Ok(Self {
            kind,
            feature_names: file.feature_names.clone(),
        })
    }

    /// The model the file holds.
    pub fn kind(&self) -> &ModelKind {
        &self.kind
    }

    /// The model the file holds, taken out.
    pub fn into_kind(self) -> ModelKind {
        self.kind
    }

    /// The names of the model's features (the columns of the data it was fitted on, in
    /// order), when the file recorded them; `None` for a model fitted on unnamed data or
    /// read from a file written before names were recorded.
    pub fn feature_names(&self) -> Option<&[String]> {
        self.feature_names.as_deref()
    }

    /// The model with the feature names `names` (`None`: none).
    ///
    /// # Errors
    /// [`GmmError::InvalidModel`](gmm_core::GmmError::InvalidModel) when there are not D
    /// names or two are the same (as [`ModelFile::with_feature_names`]).
    pub fn with_feature_names(self, names: Option<Vec<String>>) -> Result<Self> {
        if let Some(names) = &names {
            check_feature_names(names, self.n_features())?;
        }
        Ok(Self {
            kind: self.kind,
            feature_names: names,
        })
    }

    /// A Gibbs file's model: its draws when it keeps some (rule 3), else its posterior
    /// means.
    fn gibbs_kind(file: &ModelFile) -> Result<ModelKind> {
        let posterior_mean = file.to_mixture()?;
        Ok(match (file.posterior_draws()?, &file.gibbs) {
            (Some(draws), Some(gibbs)) => ModelKind::GibbsDraws {
                draws,
                posterior_mean,
                gibbs: gibbs.clone(),
            },
            _ => ModelKind::GibbsPosteriorMean(posterior_mean),
        })
    }

    /// Whether `file` was written by a VB fit (its fit record says `"vb"`) but holds no
    /// posterior: rule 2 of the module.
    fn is_vb_without_posterior(file: &ModelFile) -> bool {
        file.posterior.is_none()
            && file
                .fit
                .as_ref()
                .is_some_and(|f| f.estimator() == Estimator::Vb)
    }

    /// Writes the model's file (without a fit record) to `path` atomically.
    ///
    /// # Errors
    /// [`GmmError::Io`](gmm_core::GmmError::Io) naming the path when it cannot be written.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        self.model_file().save(path)
    }

    /// The model's file, with its feature names and without a fit record (so a
    /// [`ModelKind::VbPointEstimate`] or a [`ModelKind::GibbsPosteriorMean`] saves as a plain
    /// Gaussian mixture; a [`ModelKind::GibbsDraws`] keeps its `"gibbs"` object).
    pub fn model_file(&self) -> ModelFile {
        let mut file = match &self.kind {
            ModelKind::Mixture(m)
            | ModelKind::VbPointEstimate(m)
            | ModelKind::GibbsPosteriorMean(m) => ModelFile::from_mixture(m),
            ModelKind::Vb(m) => m.to_model_file(),
            ModelKind::GibbsDraws {
                posterior_mean,
                gibbs,
                ..
            } => {
                let mut file = ModelFile::from_mixture(posterior_mean);
                file.gibbs = Some(gibbs.clone());
                file
            }
        };
        file.feature_names.clone_from(&self.feature_names);
        file
    }

    fn inner(&self) -> &dyn MixtureModel {
        match &self.kind {
            ModelKind::Mixture(m)
            | ModelKind::VbPointEstimate(m)
            | ModelKind::GibbsPosteriorMean(m) => m,
            ModelKind::Vb(m) => m,
            ModelKind::GibbsDraws { draws, .. } => draws,
        }
    }
}

/// Every method goes to the model the file holds, so overridden methods answer as theirs.
impl MixtureModel for LoadedModel {
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

    fn score_samples_source(
        &self,
        source: &mut dyn DataSource,
        out: &mut dyn FnMut(usize, &[f64]) -> Result<()>,
    ) -> Result<()> {
        self.inner().score_samples_source(source, out)
    }

    fn predict_source(
        &self,
        source: &mut dyn DataSource,
        out: &mut dyn FnMut(usize, &[usize]) -> Result<()>,
    ) -> Result<()> {
        self.inner().predict_source(source, out)
    }

    fn score_source(&self, source: &mut dyn DataSource) -> Result<f64> {
        self.inner().score_source(source)
    }

    fn score_sums_source(&self, source: &mut dyn DataSource) -> Result<ScoreSums> {
        self.inner().score_sums_source(source)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::VbParams;
    use gmm_core::{FittedModel, GmmError, synthetic};
    use gmm_test_support::scratch_dir;

    fn data() -> Dataset {
        synthetic::draw(&synthetic::two_d_three_clusters(), 300, 4)
            .unwrap()
            .data
    }

    /// The JSON of a VB fit's model file (with its fit record and posterior).
    fn vb_json(data: &Dataset) -> serde_json::Value {
        let fit = VbParams::new(3).seed(1).fit(data).unwrap();
        serde_json::from_str(&fit.to_model_file().to_json()).unwrap()
    }

    fn from_value(v: &serde_json::Value) -> Result<LoadedModel> {
        LoadedModel::from_model_file(&ModelFile::from_json(&v.to_string())?)
    }

    #[test]
    fn an_em_file_loads_as_its_mixture() {
        let data = data();
        let fit = gmm_core::synthetic::two_d_three_clusters();
        let dir = scratch_dir("vb-loaded-em");
        let path = dir.join("em.json");
        fit.save(&path).unwrap();
        let loaded = load_model(&path).unwrap();
        assert_eq!(loaded, LoadedModel::from(ModelKind::Mixture(fit.clone())));
        assert_eq!(loaded.score(&data).unwrap(), fit.score(&data).unwrap());
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn a_vb_file_loads_as_its_posterior_and_answers_as_the_fit() {
        let data = data();
        let fit = VbParams::new(3).seed(1).fit(&data).unwrap();
        let dir = scratch_dir("vb-loaded-vb");
        let path = dir.join("vb.json");
        fit.save(&path).unwrap();
        let loaded = load_model(&path).unwrap();
        assert!(matches!(loaded.kind(), ModelKind::Vb(_)), "{loaded:?}");
        assert_eq!(
            loaded.score_samples(&data).unwrap(),
            fit.score_samples(&data).unwrap()
        );
        assert_eq!(
            loaded.predict_proba(&data).unwrap(),
            fit.predict_proba(&data).unwrap()
        );
        // saved again (no fit record), the posterior still makes it a VB model
        let again = dir.join("again.json");
        loaded.save(&again).unwrap();
        assert_eq!(load_model(&again).unwrap(), loaded);
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn a_vb_file_without_its_posterior_loads_as_its_point_estimate() {
        let data = data();
        let mut v = vb_json(&data);
        v.as_object_mut().unwrap().remove("posterior");
        let loaded = from_value(&v).unwrap();
        let fit = VbParams::new(3).seed(1).fit(&data).unwrap();
        match loaded.kind() {
            ModelKind::VbPointEstimate(gm) => assert_eq!(gm, fit.point_estimate()),
            other => panic!("expected VbPointEstimate, got {other:?}"),
        }
        assert_eq!(
            loaded.score(&data).unwrap(),
            fit.point_estimate().score(&data).unwrap()
        );
        // without the fit record either, nothing says VB: a plain mixture
        v.as_object_mut().unwrap().remove("fit");
        assert!(matches!(
            from_value(&v).unwrap().kind(),
            ModelKind::Mixture(_)
        ));
    }

    #[test]
    fn feature_names_survive_load_and_save_for_em_and_vb() {
        let data = data();
        let names = Some(vec!["x".to_string(), "y".to_string()]);
        let em = ModelFile::from_mixture(&gmm_core::synthetic::two_d_three_clusters());
        let vb = VbParams::new(3).seed(1).fit(&data).unwrap().to_model_file();
        let dir = scratch_dir("vb-loaded-names");
        for (what, file) in [("em", em), ("vb", vb)] {
            let path = dir.join(format!("{what}.json"));
            file.with_feature_names(names.clone())
                .unwrap()
                .save(&path)
                .unwrap();
            let loaded = load_model(&path).unwrap();
            assert_eq!(loaded.feature_names(), names.as_deref(), "{what}");
            let again = dir.join(format!("{what}-again.json"));
            loaded.save(&again).unwrap();
            let back = load_model(&again).unwrap();
            assert_eq!(back, loaded, "{what}");
            assert_eq!(back.feature_names(), names.as_deref(), "{what}");
            // without names: as before, and none are made up
            let plain = loaded.with_feature_names(None).unwrap();
            assert_eq!(plain.feature_names(), None);
            assert!(!plain.model_file().to_json().contains("feature_names"));
        }
        // names that are not one per feature are refused, naming the field
        let mut v = vb_json(&data);
        v["feature_names"] = serde_json::json!(["x"]);
        let e = from_value(&v).unwrap_err().to_string();
        assert!(e.contains("feature_names has 1 names"), "{e}");
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn a_corrupted_posterior_is_an_error_naming_the_field() {
        let data = data();
        let mut v = vb_json(&data);
        v["posterior"]["degrees_of_freedom"][0] = serde_json::json!(0.5);
        match from_value(&v) {
            Err(GmmError::InvalidModel { reason }) => {
                assert!(
                    reason.contains("posterior.degrees_of_freedom[0]"),
                    "{reason}"
                )
            }
            other => panic!("expected InvalidModel, got {other:?}"),
        }
        let mut v = vb_json(&data);
        v["posterior"] = serde_json::json!({"weight_prior_type": 3});
        assert!(matches!(from_value(&v), Err(GmmError::InvalidModel { .. })));
        // a posterior under a fit record of another estimator is refused, not ignored
        let mut v = vb_json(&data);
        v["fit"]["method"] = serde_json::json!("em");
        match from_value(&v) {
            Err(GmmError::InvalidModel { reason }) => {
                assert!(reason.contains("fit.method"), "{reason}")
            }
            other => panic!("expected InvalidModel, got {other:?}"),
        }
    }

    #[test]
    fn a_missing_or_broken_file_names_the_path() {
        let dir = scratch_dir("vb-loaded-errors");
        match load_model(dir.join("missing.json")) {
            Err(GmmError::Io { path, .. }) => assert!(path.ends_with("missing.json")),
            other => panic!("expected Io, got {other:?}"),
        }
        let broken = dir.join("broken.json");
        std::fs::write(&broken, "{\"weights\": [1.0], \"means\": ").unwrap();
        match load_model(&broken) {
            Err(GmmError::InvalidModel { reason }) => {
                assert!(reason.contains("broken.json"), "{reason}")
            }
            other => panic!("expected InvalidModel, got {other:?}"),
        }
        std::fs::remove_dir_all(&dir).ok();
    }
}
