//! Rebuilding a fitted model from its model file, and refusing corrupted posteriors.

use super::*;
use crate::{VbFit, VbParams, WeightPrior};
use gmm_core::{CovarianceType, FittedModel, GmmError, synthetic};
use gmm_test_support::max_error_relative_to_larger;
use serde_json::{Value, json};

const TYPES: [CovarianceType; 4] = [
    CovarianceType::Full,
    CovarianceType::Tied,
    CovarianceType::Diagonal,
    CovarianceType::Spherical,
];

fn priors() -> [WeightPrior; 2] {
    [
        WeightPrior::DirichletProcess {
            concentration: None,
        },
        WeightPrior::DirichletDistribution {
            concentration: Some(0.3),
        },
    ]
}

fn training() -> Dataset {
    synthetic::draw(&synthetic::two_d_three_clusters(), 300, 7)
        .unwrap()
        .data
}

/// Points the fit never saw, some far in the tails.
fn queries() -> Dataset {
    let mut rows: Vec<Vec<f64>> = synthetic::draw(&synthetic::two_d_three_clusters(), 60, 99)
        .unwrap()
        .data
        .rows()
        .map(<[f64]>::to_vec)
        .collect();
    rows.extend([vec![50.0, -40.0], vec![-1e3, 1e3], vec![0.0, 0.0]]);
    Dataset::from_rows(&rows).unwrap()
}

fn fit(t: CovarianceType, prior: WeightPrior) -> VbFit {
    VbParams::new(4)
        .covariance_type(t)
        .weight_prior(prior)
        .seed(3)
        .fit(&training())
        .unwrap()
}

#[test]
fn a_model_file_rebuilds_the_fit_for_every_type_and_weight_prior() {
    // Tolerance 1e-12 relative (the brief's); the rebuilt model reads back the same f64s
    // and runs the same code, so in practice the two agree bit for bit.
    for t in TYPES {
        for prior in priors() {
            let fit = fit(t, prior);
            let text = fit.to_model_file().to_json();
            let model = VbModel::from_model_file(&ModelFile::from_json(&text).unwrap())
                .unwrap_or_else(|e| panic!("{t:?} {}: {e}", prior.name()));
            for data in [training(), queries()] {
                let (ours, theirs) = (
                    model.score_samples(&data).unwrap(),
                    fit.score_samples(&data).unwrap(),
                );
                assert!(
                    max_error_relative_to_larger(&ours, &theirs) <= 1e-12,
                    "{t:?} {}",
                    prior.name()
                );
                let (ours, theirs) = (
                    model.predict_proba(&data).unwrap(),
                    fit.predict_proba(&data).unwrap(),
                );
                assert!(
                    max_error_relative_to_larger(ours.as_slice(), theirs.as_slice()) <= 1e-12,
                    "{t:?} {}",
                    prior.name()
                );
                assert_eq!(model.predict(&data).unwrap(), fit.predict(&data).unwrap());
                // the predictive is not the plug-in density of the point estimate
                let plug_in = fit.point_estimate().score_samples(&data).unwrap();
                assert!(
                    max_error_relative_to_larger(&model.score_samples(&data).unwrap(), &plug_in)
                        > 1e-6
                );
            }
            assert_eq!(model.posterior(), fit.posterior());
            assert_eq!(model.point_estimate(), fit.point_estimate());
            assert_eq!(model.state(), fit.state());
            assert_eq!(
                model.priors().weight_concentration,
                fit.priors().weight_concentration
            );
            assert_eq!(model.priors().weight_prior.name(), prior.name());
            // and the rebuilt model writes the same file, less the fit record
            let mut again = fit.to_model_file();
            again.fit = None;
            assert_eq!(model.to_model_file(), again);
        }
    }
}

#[test]
fn the_fit_answers_through_its_model() {
    let fit = fit(CovarianceType::Full, priors()[0]);
    let data = queries();
    assert_eq!(
        fit.model().score_samples(&data).unwrap(),
        fit.score_samples(&data).unwrap()
    );
    let model = VbModel::new(fit.state().clone(), fit.priors().clone()).unwrap();
    assert_eq!(&model, fit.model());
    assert_eq!(fit.clone().into_model(), model);
    assert!(matches!(
        model.score_samples(&Dataset::from_slice_1d(&[1.0]).unwrap()),
        Err(GmmError::ShapeMismatch { .. })
    ));
}

/// The JSON of a fitted model file, to corrupt.
fn file_json(t: CovarianceType, prior: WeightPrior) -> Value {
    serde_json::from_str(&fit(t, prior).to_model_file().to_json()).unwrap()
}

/// Asserts that the file is refused with an InvalidModel naming `needle`.
fn refused(file: &Value, needle: &str) {
    let text = file.to_string();
    match VbModel::from_json(&text) {
        Err(GmmError::InvalidModel { reason }) => {
            assert!(reason.contains(needle), "{needle:?} not in {reason:?}")
        }
        other => panic!("{needle}: expected InvalidModel, got {other:?}"),
    }
}

fn p(v: &mut Value) -> &mut Value {
    &mut v["posterior"]
}

fn pr(v: &mut Value) -> &mut Value {
    &mut v["posterior"]["priors"]
}

fn corrupt(base: &Value, edit: impl FnOnce(&mut Value)) -> Value {
    let mut v = base.clone();
    edit(&mut v);
    v
}

/// Every diagonal or single-number matrix of a model file (its covariances, the posterior's
/// scale matrices and covariance prior) written out as a full D x D matrix, with the
/// version field removed: the file as format 1 wrote it.
fn as_format_one(file: &Value) -> Value {
    let d = file["means"][0].as_array().unwrap().len();
    let full = |m: &Value| -> Value {
        match m {
            Value::Number(_) => json!(
                (0..d)
                    .map(|a| (0..d)
                        .map(|b| if a == b { m.clone() } else { json!(0.0) })
                        .collect())
                    .collect::<Vec<Vec<Value>>>()
            ),
            Value::Array(row) if row.iter().all(Value::is_number) => json!(
                (0..d)
                    .map(|a| (0..d)
                        .map(|b| if a == b { row[a].clone() } else { json!(0.0) })
                        .collect())
                    .collect::<Vec<Vec<Value>>>()
            ),
            other => other.clone(),
        }
    };
    let mut v = file.clone();
    v.as_object_mut().unwrap().remove("format_version");
    let expanded = |covs: &Value| {
        json!(
            covs.as_array()
                .unwrap()
                .iter()
                .map(full)
                .collect::<Vec<_>>()
        )
    };
    v["covariances"] = expanded(&v["covariances"]);
    v["posterior"]["scale_inverse"] = expanded(&v["posterior"]["scale_inverse"]);
    let prior = full(&v["posterior"]["priors"]["covariance_prior"]);
    v["posterior"]["priors"]["covariance_prior"] = prior;
    v
}

/// A diag or spherical VB file stores K x D (or K) numbers for the scale matrices and D (or
/// one) for the prior; the file of format 1, with full matrices, reads to the same model bit
/// for bit.
#[test]
fn diagonal_posteriors_store_their_numbers_and_format_one_still_reads() {
    for (t, per_component) in [
        (CovarianceType::Diagonal, 2),
        (CovarianceType::Spherical, 0),
    ] {
        let file = file_json(t, priors()[0]);
        let scales = file["posterior"]["scale_inverse"].as_array().unwrap();
        assert_eq!(scales.len(), 4);
        let prior = &file["posterior"]["priors"]["covariance_prior"];
        if per_component == 0 {
            assert!(scales[0].is_number() && prior.is_number(), "{t:?}");
        } else {
            assert_eq!(scales[0].as_array().unwrap().len(), per_component, "{t:?}");
            assert!(scales[0][0].is_number() && prior[0].is_number(), "{t:?}");
        }
        let new = VbModel::from_json(&file.to_string()).unwrap();
        let old_file = as_format_one(&file);
        assert!(old_file["posterior"]["scale_inverse"][0][0].is_array());
        let old = VbModel::from_json(&old_file.to_string()).unwrap();
        assert_eq!(old, new, "{t:?}");
    }
}

/// The files the refusal tests corrupt: Full with a Dirichlet process (`dp`) and with a
/// Dirichlet distribution (`dd`), Diagonal and Tied.
struct Files {
    dp: Value,
    dd: Value,
    diag: Value,
    tied: Value,
}

fn files() -> Files {
    Files {
        dp: file_json(CovarianceType::Full, priors()[0]),
        dd: file_json(CovarianceType::Full, priors()[1]),
        diag: file_json(CovarianceType::Diagonal, priors()[0]),
        tied: file_json(CovarianceType::Tied, priors()[1]),
    }
}

#[test]
fn the_untouched_files_are_accepted() {
    let f = files();
    for file in [&f.dp, &f.dd, &f.diag, &f.tied] {
        VbModel::from_json(&file.to_string()).unwrap();
    }
}

#[test]
fn the_weight_prior_and_its_concentrations_are_checked() {
    let f = files();
    let dp = &f.dp;
    let dd = &f.dd;
    // weight prior type: unknown, or not matching the concentration's form
    refused(
        &corrupt(dp, |v| p(v)["weight_prior_type"] = json!("pitman_yor")),
        "posterior.weight_prior_type",
    );
    refused(
        &corrupt(dp, |v| {
            p(v)["weight_prior_type"] = json!("dirichlet_distribution")
        }),
        "posterior.weight_concentration",
    );
    refused(
        &corrupt(dd, |v| {
            p(v)["weight_prior_type"] = json!("dirichlet_process")
        }),
        "posterior.weight_concentration",
    );
    // concentrations > 0
    refused(
        &corrupt(dd, |v| {
            p(v)["weight_concentration"]["alpha"][2] = json!(0.0)
        }),
        "posterior.weight_concentration.alpha[2]",
    );
    refused(
        &corrupt(dp, |v| p(v)["weight_concentration"]["a"][0] = json!(-1.0)),
        "posterior.weight_concentration.a[0]",
    );
    refused(
        &corrupt(dp, |v| p(v)["weight_concentration"]["b"][3] = json!(0.0)),
        "posterior.weight_concentration.b[3]",
    );
    refused(
        &corrupt(dp, |v| {
            p(v)["weight_concentration"]["b"]
                .as_array_mut()
                .unwrap()
                .pop();
        }),
        "posterior.weight_concentration.b has 3 entries",
    );
}

#[test]
fn mean_precisions_and_degrees_of_freedom_are_checked() {
    let f = files();
    let dp = &f.dp;
    let dd = &f.dd;
    // beta_k > 0, nu_k > D - 1 (D = 2)
    refused(
        &corrupt(dp, |v| p(v)["mean_precision"][1] = json!(0.0)),
        "posterior.mean_precision[1]",
    );
    refused(
        &corrupt(dp, |v| p(v)["degrees_of_freedom"][2] = json!(1.0)),
        "posterior.degrees_of_freedom[2]",
    );
    refused(
        &corrupt(dd, |v| p(v)["degrees_of_freedom"] = json!([5.0, 5.0, 5.0])),
        "posterior.degrees_of_freedom has 3 entries",
    );
}

#[test]
fn the_shapes_must_match_the_point_estimate() {
    let f = files();
    let dp = &f.dp;
    // K and D against the file's weights and means
    refused(
        &corrupt(dp, |v| {
            let extra = p(v)["means"][0].clone();
            p(v)["means"].as_array_mut().unwrap().push(extra);
        }),
        "posterior.means has 5 components but the file has 4 weights",
    );
    refused(
        &corrupt(dp, |v| p(v)["means"][0] = json!([1.0, 2.0, 3.0])),
        "posterior.means[0] has dimension 3",
    );
    refused(
        &corrupt(dp, |v| p(v)["means"][3] = json!([1.0])),
        "posterior.means[3] has 1 entries",
    );
    refused(
        &corrupt(dp, |v| p(v)["covariance_type"] = json!("tied")),
        "posterior.covariance_type",
    );
}

#[test]
fn scale_matrices_are_checked() {
    let f = files();
    let dp = &f.dp;
    let diag = &f.diag;
    let tied = &f.tied;
    // W_k^{-1}: shape, symmetric positive definite, the structure of the type
    refused(
        &corrupt(dp, |v| {
            p(v)["scale_inverse"][1] = json!([[1.0, 2.0], [2.0, 1.0]])
        }),
        "posterior.scale_inverse[1] is not symmetric positive definite",
    );
    refused(
        &corrupt(dp, |v| p(v)["scale_inverse"][0][0][1] = json!(123.0)),
        "posterior.scale_inverse[0] is not symmetric positive definite",
    );
    refused(
        &corrupt(dp, |v| p(v)["scale_inverse"][2] = json!([[1.0]])),
        "posterior.scale_inverse[2] has 1 rows",
    );
    // a diag posterior in the form of format 1 (full matrices) must be diagonal
    let old_diag = as_format_one(diag);
    refused(
        &corrupt(&old_diag, |v| {
            p(v)["scale_inverse"][1][0][1] = json!(0.01);
            p(v)["scale_inverse"][1][1][0] = json!(0.01);
        }),
        "posterior.scale_inverse is invalid: covariance type is diag",
    );
    // format 2: D numbers per component, in the form of the type
    refused(
        &corrupt(diag, |v| p(v)["scale_inverse"][1] = json!([1.0])),
        "posterior.scale_inverse[1] has 1 entries; expected D = 2",
    );
    refused(
        &corrupt(diag, |v| p(v)["scale_inverse"][2][0] = json!(-1.0)),
        "posterior.scale_inverse[2] is not symmetric positive definite",
    );
    refused(
        &corrupt(diag, |v| {
            p(v)["scale_inverse"] = json!([1.0, 1.0, 1.0, 1.0])
        }),
        "covariance type is diag but covariances holds single numbers",
    );
    refused(
        &corrupt(diag, |v| pr(v)["covariance_prior"] = json!([1.0, 0.0])),
        "posterior.priors.covariance_prior is not symmetric positive definite",
    );
    refused(
        &corrupt(tied, |v| p(v)["scale_inverse"][3][0][0] = json!(77.0)),
        "posterior.scale_inverse is invalid: covariance type is tied",
    );
}

#[test]
fn the_priors_are_checked() {
    let f = files();
    let dp = &f.dp;
    // the priors
    refused(
        &corrupt(dp, |v| pr(v)["weight_concentration_prior"] = json!(0.0)),
        "posterior.priors.weight_concentration_prior",
    );
    refused(
        &corrupt(dp, |v| pr(v)["mean_precision_prior"] = json!(-1.0)),
        "posterior.priors.mean_precision_prior",
    );
    refused(
        &corrupt(dp, |v| pr(v)["degrees_of_freedom_prior"] = json!(0.5)),
        "posterior.priors.degrees_of_freedom_prior",
    );
    refused(
        &corrupt(dp, |v| pr(v)["mean_prior"] = json!([0.0])),
        "posterior.priors.mean_prior has 1 entries; expected D = 2",
    );
    refused(
        &corrupt(dp, |v| {
            pr(v)["covariance_prior"] = json!([[1.0, 0.0], [0.0, -1.0]])
        }),
        "posterior.priors.covariance_prior is not symmetric positive definite",
    );
}

#[test]
fn a_file_without_a_vb_posterior_is_refused() {
    let f = files();
    let dp = &f.dp;
    // not a posterior at all, none, or not a VB file
    refused(
        &corrupt(dp, |v| v["posterior"] = json!({"alpha": [1.0]})),
        "posterior: ",
    );
    refused(
        &corrupt(dp, |v| {
            v.as_object_mut().unwrap().remove("posterior");
        }),
        "no \"posterior\"",
    );
    refused(
        &corrupt(dp, |v| v["fit"]["method"] = json!("em")),
        "fit.method is \"em\"",
    );
    // a point estimate edited without its posterior
    refused(
        &corrupt(dp, |v| {
            let m = v["means"][1][0].as_f64().unwrap();
            v["means"][1][0] = json!(m + 0.5);
        }),
        "the file's means (component 1)",
    );
}

#[test]
fn non_finite_values_and_invalid_states_are_refused() {
    let fit = fit(CovarianceType::Spherical, priors()[0]);
    let mut posterior = fit.posterior().clone();
    posterior.mean_precision[0] = f64::NAN;
    assert!(matches!(
        VbModel::from_posterior(&posterior),
        Err(GmmError::InvalidModel { reason }) if reason.contains("posterior.mean_precision[0] = NaN")
    ));
    let mut posterior = fit.posterior().clone();
    posterior.means[1][1] = f64::INFINITY;
    assert!(matches!(
        VbModel::from_posterior(&posterior),
        Err(GmmError::InvalidModel { reason }) if reason.contains("posterior.means[1][1] = inf")
    ));
    let mut state = fit.state().clone();
    state.degrees_of_freedom[0] = 0.5;
    assert!(matches!(
        VbModel::new(state, fit.priors().clone()),
        Err(GmmError::InvalidModel { reason }) if reason.contains("posterior.degrees_of_freedom[0]")
    ));
    // priors of the other weight prior than the state's concentration
    let mut priors = fit.priors().clone();
    priors.weight_prior = WeightPrior::DirichletDistribution {
        concentration: None,
    };
    assert!(matches!(
        VbModel::new(fit.state().clone(), priors),
        Err(GmmError::InvalidModel { reason }) if reason.contains("posterior.weight_concentration")
    ));
}

#[test]
fn the_effective_model_keeps_the_heavy_components_renormalised() {
    let data = synthetic::draw(&synthetic::two_d_three_clusters(), 900, 5)
        .unwrap()
        .data;
    for t in TYPES {
        for prior in priors() {
            let fit = VbParams::new(8)
                .covariance_type(t)
                .weight_prior(prior)
                .max_iter(500)
                .tol(1e-6)
                .fit(&data)
                .unwrap();
            let full = fit.point_estimate();
            let effective = fit.effective_model(0.01).unwrap();
            let kept: Vec<usize> = (0..8).filter(|&c| full.weights()[c] > 0.01).collect();
            assert!(kept.len() < 8, "{t:?} {}: nothing emptied", prior.name());
            assert_eq!(effective.n_components(), kept.len());
            let mass: f64 = kept.iter().map(|&c| full.weights()[c]).sum();
            let renormalised: Vec<f64> = kept.iter().map(|&c| full.weights()[c] / mass).collect();
            let ours = effective.point_estimate().weights().as_slice().to_vec();
            assert!(
                max_error_relative_to_larger(&ours, &renormalised) < 1e-13,
                "{t:?} {}: {ours:?} vs {renormalised:?}",
                prior.name()
            );
            // the kept components' Normal-Wishart posteriors are unchanged
            for (i, &c) in kept.iter().enumerate() {
                assert_eq!(effective.state().means().row(i), full.means().row(c));
                let d = full.means().ncols();
                assert_eq!(
                    effective.state().scale_inverse().full_matrix(i, d),
                    fit.state().scale_inverse().full_matrix(c, d)
                );
            }
            let proba = effective.predict_proba(&data).unwrap();
            assert_eq!(proba.ncols(), kept.len());
            // the restricted model is a valid model file of its own
            let back = VbModel::from_json(&effective.to_model_file().to_json()).unwrap();
            assert_eq!(back, effective);
        }
    }
}

#[test]
fn an_effective_model_needs_a_threshold_some_component_exceeds() {
    let fit = fit(CovarianceType::Full, priors()[0]);
    for bad in [-0.1, 1.0, f64::NAN, 0.9999] {
        match fit.effective_model(bad) {
            Err(GmmError::InvalidParameter { name, .. }) => assert_eq!(name, "threshold"),
            other => panic!("{bad}: expected InvalidParameter, got {other:?}"),
        }
    }
    assert_eq!(
        fit.effective_model(0.0).unwrap().n_components(),
        fit.n_components()
    );
}

/// A posterior's point noise must be finite, `>= 0`, and go with the rule point_noise; a
/// rule the crate does not know is refused.
#[test]
fn point_noise_and_its_rule_are_checked() {
    let fitted = VbParams::new(3)
        .reg_covar_rule(crate::RegCovarRule::PointNoise)
        .seed(3)
        .fit(&training())
        .unwrap();
    let file: Value = serde_json::from_str(&fitted.to_model_file().to_json()).unwrap();
    assert_eq!(p(&mut file.clone())["point_noise"], json!(1e-6));
    assert_eq!(
        pr(&mut file.clone())["reg_covar_rule"],
        json!("point_noise")
    );
    let rebuilt = VbModel::from_json(&file.to_string()).unwrap();
    assert_eq!(rebuilt.state(), fitted.state());
    assert_eq!(
        rebuilt.priors().reg_covar_rule,
        fitted.priors().reg_covar_rule
    );
    for bad in [json!(-1e-6), json!(f64::INFINITY.to_string())] {
        let edited = corrupt(&file, |v| p(v)["point_noise"] = bad);
        assert!(VbModel::from_json(&edited.to_string()).is_err());
    }
    refused(
        &corrupt(&file, |v| p(v)["point_noise"] = json!(-1e-6)),
        "posterior.point_noise",
    );
    refused(
        &corrupt(&file, |v| {
            pr(v).as_object_mut().unwrap().remove("reg_covar_rule");
        }),
        "posterior.point_noise",
    );
    refused(
        &corrupt(&file, |v| pr(v)["reg_covar_rule"] = json!("jitter")),
        "posterior",
    );
}
