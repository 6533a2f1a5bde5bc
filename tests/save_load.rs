//! One way to save and load (issue 16): every fitted model saves to a path, and
//! `gmm::load_model` gives back a model that answers as the fit did, bit for bit.

use gmm::core::synthetic;
use gmm::core::{CovarianceType, Dataset, FittedModel, GaussianMixture, GmmError, MixtureModel};
use gmm::em::EmParams;
use gmm::vb::{VbModel, VbParams, WeightPrior};
use gmm::{Model, ModelKind, load_model};
use gmm_test_support::scratch_dir;

fn bits(v: &[f64]) -> Vec<u64> {
    v.iter().map(|x| x.to_bits()).collect()
}

/// Every MixtureModel method of `loaded` gives exactly what `fitted` gives on `data`.
fn answers_as(loaded: &Model, fitted: &dyn MixtureModel, data: &Dataset, what: &str) {
    assert_eq!(loaded.n_components(), fitted.n_components(), "{what}");
    assert_eq!(loaded.n_features(), fitted.n_features(), "{what}");
    assert_eq!(
        bits(&loaded.score_samples(data).unwrap()),
        bits(&fitted.score_samples(data).unwrap()),
        "{what}: score_samples"
    );
    assert_eq!(
        loaded.score(data).unwrap().to_bits(),
        fitted.score(data).unwrap().to_bits(),
        "{what}: score"
    );
    assert_eq!(
        bits(loaded.predict_proba(data).unwrap().as_slice()),
        bits(fitted.predict_proba(data).unwrap().as_slice()),
        "{what}: predict_proba"
    );
    assert_eq!(loaded.predict(data).unwrap(), fitted.predict(data).unwrap());
}

#[test]
fn a_saved_fit_loads_into_a_model_that_answers_as_the_fit() {
    let dir = scratch_dir("save-load");
    let data = synthetic::draw(&synthetic::two_d_three_clusters(), 400, 2)
        .unwrap()
        .data;
    let queries = synthetic::draw(&synthetic::two_d_three_clusters(), 50, 3)
        .unwrap()
        .data;
    for t in CovarianceType::ALL {
        let em = EmParams::new(3).covariance_type(t).fit(&data).unwrap();
        let path = dir.join(format!("em-{t}.json"));
        em.save(&path).unwrap();
        let loaded = load_model(&path).unwrap();
        assert!(matches!(loaded.kind(), ModelKind::Mixture(_)), "{t}");
        answers_as(&loaded, &em, &queries, &format!("EM {t}"));
        assert_eq!(&GaussianMixture::load(&path).unwrap(), em.mixture());

        let vb = VbParams::new(6)
            .covariance_type(t)
            .weight_prior(WeightPrior::DirichletProcess {
                concentration: None,
            })
            .fit(&data)
            .unwrap();
        let path = dir.join(format!("vb-{t}.json"));
        vb.save(&path).unwrap();
        let loaded = load_model(&path).unwrap();
        assert!(matches!(loaded.kind(), ModelKind::Vb(_)), "{t}");
        answers_as(&loaded, &vb, &queries, &format!("VB {t}"));
        let rebuilt = VbModel::load(&path).unwrap();
        assert_eq!(rebuilt.posterior(), vb.posterior(), "{t}");
        assert_eq!(rebuilt.state(), vb.state(), "{t}");
        // the trap of the issue: a VB file read as a plain mixture is refused, with the way out
        match GaussianMixture::load(&path) {
            Err(GmmError::InvalidModel { reason }) => {
                assert!(reason.contains("gmm::load_model"), "{reason}")
            }
            other => panic!("{t}: expected InvalidModel, got {other:?}"),
        }
        // a loaded model saves the same model again
        let again = dir.join(format!("vb-{t}-again.json"));
        loaded.save(&again).unwrap();
        assert_eq!(load_model(&again).unwrap(), loaded);
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn loading_a_missing_or_broken_file_names_the_path() {
    let dir = scratch_dir("load-errors");
    let missing = dir.join("missing.json");
    match load_model(&missing) {
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

#[test]
fn feature_names_survive_a_fit_s_file_and_old_files_still_load() {
    let dir = scratch_dir("load-feature-names");
    let data = synthetic::draw(&synthetic::two_d_three_clusters(), 300, 5)
        .unwrap()
        .data;
    let names = vec!["height".to_string(), "weight".to_string()];
    let em = EmParams::new(3).seed(1).fit(&data).unwrap();
    let path = dir.join("named.json");
    em.to_model_file()
        .with_feature_names(Some(names.clone()))
        .unwrap()
        .save(&path)
        .unwrap();
    let loaded = load_model(&path).unwrap();
    assert_eq!(loaded.feature_names(), Some(&names[..]));
    answers_as(&loaded, &em, &data, "EM with names");
    let again = dir.join("again.json");
    loaded.save(&again).unwrap();
    assert_eq!(
        load_model(&again).unwrap().feature_names(),
        Some(&names[..])
    );

    // a file written before the field existed (format 2, no names) loads as before
    let old = dir.join("old.json");
    std::fs::write(
        &old,
        r#"{"format_version": 2, "covariance_type": "spherical", "weights": [1.0],
            "means": [[0.0, 1.0]], "covariances": [2.0]}"#,
    )
    .unwrap();
    let loaded = load_model(&old).unwrap();
    assert_eq!(loaded.feature_names(), None);
    assert!(matches!(loaded.kind(), ModelKind::Mixture(_)));
    std::fs::remove_dir_all(&dir).ok();
}
