//! Fuzz target: reading a JSON model file from arbitrary bytes, by each loader users call.
//!
//! The bytes go to `GaussianMixture::from_json` (a plain mixture), to `ModelFile::from_json`
//! then `LoadedModel::from_model_file` (what `gmm::load_model` does: a VB posterior, a VB
//! point estimate or a mixture), and, written to a scratch file, to `gmm_vb::load_model`
//! (the path users and the `gmm` command hit, with its size cap and UTF-8 check). Whatever
//! the bytes, each returns a validated model or a typed error, never a panic; the loaders
//! agree (the same model, or all refuse); a model read writes text that reads back to the
//! same model and the same text; a loaded model answers for a point with probabilities
//! that sum to 1. Run from `fuzz/`: `RUSTC_BOOTSTRAP=1 cargo fuzz run model_file`
//! (docs/testing.md).
#![no_main]

mod common;

use common::scratch_file;
use gmm_core::{GaussianMixture, MixtureModel, ModelFile};
use gmm_vb::{LoadedModel, ModelKind, load_model};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let path = scratch_file("model.json");
    std::fs::write(&path, bytes).expect("the scratch file is written");
    let from_path = load_model(&path);
    let Ok(text) = std::str::from_utf8(bytes) else {
        assert!(from_path.is_err(), "a file that is not UTF-8 loaded");
        return;
    };
    let plain = GaussianMixture::from_json(text);
    if let Ok(gm) = &plain {
        let written = gm.to_json();
        let back = GaussianMixture::from_json(&written).expect("a written model reads back");
        assert_eq!(&back, gm);
        assert_eq!(back.to_json(), written);
        assert!((gm.weights().sum() - 1.0).abs() <= 1e-8);
        assert!(gm.n_components() > 0 && gm.n_features() > 0);
    }
    let loaded = ModelFile::from_json(text).and_then(|file| LoadedModel::from_model_file(&file));
    match (&loaded, &from_path) {
        (Ok(a), Ok(b)) => assert_eq!(a, b, "load_model and from_model_file differ"),
        (Err(_), Err(_)) => {}
        (a, b) => panic!(
            "the loaders disagree: from the text {:?}, from the file {:?}",
            a.as_ref().map(|_| ()),
            b.as_ref().map(|_| ())
        ),
    }
    let Ok(model) = loaded else {
        assert!(plain.is_err(), "a plain mixture that load_model refuses");
        return;
    };
    if let Ok(gm) = &plain {
        assert_eq!(model.kind(), &ModelKind::Mixture(gm.clone()));
    }
    let (k, d) = (model.n_components(), model.n_features());
    assert!(k > 0 && d > 0);
    // saved and read back: the same model and the same text
    let written = model.model_file().to_json();
    let back = LoadedModel::from_model_file(
        &ModelFile::from_json(&written).expect("a written model file parses"),
    )
    .expect("a written model reads back");
    // a VB point estimate saves without its fit record: as the plain mixture it is
    let expected = match model.kind() {
        ModelKind::VbPointEstimate(gm) => ModelKind::Mixture(gm.clone()),
        other => other.clone(),
    };
    assert_eq!(back.kind(), &expected, "{written}");
    assert_eq!(back.feature_names(), model.feature_names());
    assert_eq!(back.model_file().to_json(), written);
    // it answers for a point
    let x = vec![0.0; d];
    if let Ok(p) = model.predict_proba_point(&x) {
        assert_eq!(p.len(), k);
        assert!(
            p.iter().all(|p| p.is_finite() && (0.0..=1.0).contains(p)),
            "{p:?}"
        );
        assert!((p.iter().sum::<f64>() - 1.0).abs() <= 1e-6, "{p:?}");
    }
    let _ = model.score_point(&x);
});
