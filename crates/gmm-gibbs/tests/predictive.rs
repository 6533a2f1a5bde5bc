//! The posterior predictive of the kept draws answers a Gibbs fit's queries, and its model
//! file's (docs/gibbs.md, P1-P3, W1-W2). Issue 24's case: 10 one-dimensional points with
//! K = 3 under the default priors (nu0 = D = 1), where the posterior-mean mixture holds
//! huge variances and scores far below the posterior predictive.

use gmm_core::{CovarianceType, Dataset, FittedModel, MixtureModel, ModelFile, synthetic};
use gmm_gibbs::{GibbsFit, GibbsParams, WarningKind};
use gmm_test_support::scratch_dir;
use gmm_vb::{ModelKind, load_model};

/// Two clusters of five points, at 0 and at 5.
fn ten_points() -> Dataset {
    Dataset::from_slice_1d(&[-0.6, -0.3, 0.0, 0.2, 0.5, 4.5, 4.8, 5.0, 5.3, 5.6]).unwrap()
}

fn centres() -> Dataset {
    Dataset::from_slice_1d(&[0.0, 5.0]).unwrap()
}

fn ten_point_fit() -> GibbsFit {
    GibbsParams::new(3).seed(0).fit(&ten_points()).unwrap()
}

/// `ln (1/S) sum_s sum_k w_k N(x | m_k, v_k)` over the fit's kept draws, by hand (1-D).
fn predictive_by_hand(fit: &GibbsFit, x: f64) -> f64 {
    let kept = fit.predictive_draw_indices();
    let total: f64 = kept
        .iter()
        .map(|&(c, t)| {
            let d = &fit.draws()[c][t];
            let w = d.weights();
            let ws: f64 = w.sum();
            (0..3)
                .map(|k| {
                    let v = d.covariances().full_matrix(k, 1)[(0, 0)];
                    let m = d.means()[(k, 0)];
                    w[k] / ws * (-(x - m).powi(2) / (2.0 * v)).exp()
                        / (2.0 * std::f64::consts::PI * v).sqrt()
                })
                .sum::<f64>()
        })
        .sum();
    (total / kept.len() as f64).ln()
}

#[test]
fn the_ten_point_score_is_the_posterior_predictive_not_the_posterior_mean() {
    let fit = ten_point_fit();
    assert_eq!(fit.predictive_draws().unwrap().len(), 200);
    let got = fit.score_samples(&centres()).unwrap();
    let full = fit.log_predictive_density(&centres()).unwrap();
    let mean_mixture = fit
        .posterior_mean_mixture()
        .score_samples(&centres())
        .unwrap();
    for (i, x) in [0.0, 5.0].into_iter().enumerate() {
        let want = predictive_by_hand(&fit, x);
        assert!((got[i] - want).abs() < 1e-10, "{x}: {} vs {want}", got[i]);
        // 200 draws estimate the predictive of all 4000 within Monte Carlo error
        assert!(
            (got[i] - full[i]).abs() < 0.1,
            "{x}: {} vs {}",
            got[i],
            full[i]
        );
        // the posterior-mean mixture (what score used to give) is far below it
        assert!(
            got[i] - mean_mixture[i] > 0.5,
            "{x}: {} vs {}",
            got[i],
            mean_mixture[i]
        );
    }
    let score = fit.score(&centres()).unwrap();
    assert_eq!(score, (got[0] + got[1]) / 2.0);
}

#[test]
fn the_ten_point_fit_warns_that_its_posterior_means_are_not_summaries() {
    let fit = ten_point_fit();
    let w = fit.summary_warnings();
    assert!(
        w.iter()
            .any(|w| w.kind == WarningKind::UnboundedCovariance && w.share > 0.3),
        "{w:?}"
    );
    assert!(
        w.iter().any(|w| w.kind == WarningKind::AmbiguousLabels),
        "{w:?}"
    );
    let file: serde_json::Value = serde_json::from_str(&fit.to_model_file().to_json()).unwrap();
    let listed = file["gibbs"]["summary_warnings"].as_array().unwrap();
    assert_eq!(listed.len(), w.len());
    assert_eq!(listed[0]["kind"], "unbounded_covariance");
}

#[test]
fn separated_clusters_give_no_warning() {
    let sample = synthetic::draw(&synthetic::two_d_three_clusters(), 300, 4).unwrap();
    let fit = GibbsParams::new(3)
        .draws(100)
        .burn_in(50)
        .chains(2)
        .fit(&sample.data)
        .unwrap();
    assert!(
        fit.summary_warnings().is_empty(),
        "{:?}",
        fit.summary_warnings()
    );
}

#[test]
fn predictions_are_the_argmax_of_predictive_responsibilities_summing_to_one() {
    let sample = synthetic::draw(&synthetic::one_d_three_clusters(), 200, 2).unwrap();
    let fit = GibbsParams::new(3)
        .draws(50)
        .burn_in(50)
        .chains(2)
        .predictive_draws(30)
        .fit(&sample.data)
        .unwrap();
    assert_eq!(fit.predictive_draws().unwrap().len(), 30);
    let p = fit.predict_proba(&sample.data).unwrap();
    let labels = fit.predict(&sample.data).unwrap();
    for (n, &l) in labels.iter().enumerate() {
        let row: Vec<f64> = p.row(n).iter().copied().collect();
        assert!((row.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        assert!(row.iter().all(|&v| v <= row[l]), "{n}: {row:?} -> {l}");
    }
}

#[test]
fn the_model_file_answers_as_the_fit_and_an_old_file_as_its_posterior_means() {
    let fit = ten_point_fit();
    let dir = scratch_dir("gibbs-predictive-file");
    let path = dir.join("g.json");
    fit.to_model_file().save(&path).unwrap();
    let loaded = load_model(&path).unwrap();
    assert!(matches!(loaded.kind(), ModelKind::GibbsDraws { .. }));
    let data = ten_points();
    assert_eq!(
        loaded.score_samples(&data).unwrap(),
        fit.score_samples(&data).unwrap()
    );
    assert_eq!(
        loaded.predict_proba(&data).unwrap(),
        fit.predict_proba(&data).unwrap()
    );
    assert_eq!(loaded.predict(&data).unwrap(), fit.predict(&data).unwrap());
    // a plain mixture's loader refuses it, naming the loader to use
    let e = gmm_core::GaussianMixture::load(&path)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("Gibbs fit's posterior draws") && e.contains("load_model"),
        "{e}"
    );
    // saved again, the draws stay
    let again = dir.join("again.json");
    loaded.save(&again).unwrap();
    assert_eq!(load_model(&again).unwrap(), loaded);
    // a file without draws (written before they were kept) reads as its posterior means
    let mut file = ModelFile::load(&path).unwrap();
    file.gibbs
        .as_mut()
        .unwrap()
        .as_object_mut()
        .unwrap()
        .remove("draws");
    let old = gmm_vb::LoadedModel::from_model_file(&file).unwrap();
    assert!(matches!(old.kind(), ModelKind::GibbsPosteriorMean(_)));
    assert_eq!(
        old.score_samples(&data).unwrap(),
        fit.posterior_mean_mixture().score_samples(&data).unwrap()
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn damaged_draws_are_refused_naming_the_draw() {
    let fit = GibbsParams::new(2)
        .covariance_type(CovarianceType::Diagonal)
        .draws(10)
        .burn_in(5)
        .chains(2)
        .predictive_draws(4)
        .fit(&ten_points())
        .unwrap();
    let mut v: serde_json::Value = serde_json::from_str(&fit.to_model_file().to_json()).unwrap();
    assert_eq!(v["gibbs"]["draws"].as_array().unwrap().len(), 4);
    v["gibbs"]["draws"][2]["covariances"][0][0] = serde_json::json!(-1.0);
    let file = ModelFile::from_json(&v.to_string()).unwrap();
    let e = gmm_vb::LoadedModel::from_model_file(&file)
        .unwrap_err()
        .to_string();
    assert!(e.contains("gibbs.draws[2]"), "{e}");
    v["gibbs"]["draws"] = serde_json::json!({"not": "a list"});
    let file = ModelFile::from_json(&v.to_string()).unwrap();
    let e = gmm_vb::LoadedModel::from_model_file(&file)
        .unwrap_err()
        .to_string();
    assert!(e.contains("gibbs.draws is not a list"), "{e}");
}

#[test]
fn no_kept_draws_answers_with_the_posterior_mean_and_writes_none() {
    let fit = GibbsParams::new(3)
        .draws(20)
        .burn_in(10)
        .chains(2)
        .predictive_draws(0)
        .fit(&ten_points())
        .unwrap();
    assert!(fit.predictive_draws().is_none());
    let data = ten_points();
    assert_eq!(
        fit.score_samples(&data).unwrap(),
        fit.posterior_mean_mixture().score_samples(&data).unwrap()
    );
    let file = fit.to_model_file();
    assert!(file.gibbs.as_ref().unwrap().get("draws").is_none());
    let loaded = gmm_vb::LoadedModel::from_model_file(&file).unwrap();
    assert!(matches!(loaded.kind(), ModelKind::GibbsPosteriorMean(_)));
}
