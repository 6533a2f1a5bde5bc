//! `compare_map` (`gmm compare --map`): MAP-EM on the comparison's training points from its
//! start, under VB's prior with the weights' concentration made >= 1; its numbers are a
//! direct `MapParams` fit's.

use gmm_compare::{ComparisonSettings, compare_map, holdout_split, map_params};
use gmm_core::{GmmError, InitMethod, MixtureModel as _, synthetic};
use gmm_em::{MapParams, MapPrior};
use gmm_vb::{PriorSpec, WeightPrior};

#[test]
fn the_map_report_is_a_direct_map_em_fit_on_the_training_points() {
    let s = synthetic::draw(&synthetic::two_d_three_clusters(), 400, 9).unwrap();
    let settings = ComparisonSettings::new(3).seed(4);
    let c = compare_map(&s.data, &settings, Some(&s.labels)).unwrap();
    let (train_idx, test_idx) = holdout_split(400, settings.holdout, 4).unwrap();
    let (train, test) = (
        s.data.select(&train_idx).unwrap(),
        s.data.select(&test_idx).unwrap(),
    );
    // VB's default weights are a Dirichlet process: MAP-EM takes a flat Dirichlet instead
    let spec = PriorSpec {
        weight_prior: WeightPrior::DirichletDistribution {
            concentration: Some(1.0),
        },
        ..PriorSpec::default()
    };
    // the comparison's stopping rule (tol 1e-10, 10,000 iterations)
    let params = MapParams::new(3)
        .prior(MapPrior::Conjugate(spec))
        .tol(settings.tol.unwrap())
        .max_iter(settings.max_iter.unwrap());
    let init = InitMethod::KMeans
        .initial_responsibilities(&train, 3, 4)
        .unwrap();
    let fit = params
        .em_params(params.resolve_priors(&train).unwrap())
        .fit_from(&train, &init)
        .unwrap();
    let r = &c.report;
    assert_eq!(r.weight_concentration, 1.0);
    assert_eq!(r.holdout_log_predictive, Some(fit.score(&test).unwrap()));
    assert_eq!(r.bic, fit.bic(&train).unwrap());
    assert_eq!(r.icl, fit.icl(&train).unwrap());
    assert!(r.icl >= r.bic, "ICL adds the entropy term to BIC");
    assert_eq!(r.train_log_likelihood, fit.log_likelihood(&train).unwrap());
    assert!(r.converged && r.n_iter > 0);
    assert!(r.adjusted_rand_index.unwrap() > 0.8, "{r:?}");
    assert!((r.weights.iter().sum::<f64>() - 1.0).abs() < 1e-12);
    let text = r.to_string();
    assert!(text.contains("MAP-EM") && text.contains("BIC"), "{text}");
    let json: serde_json::Value = serde_json::from_str(&r.to_json()).unwrap();
    assert_eq!(json["bic"].as_f64(), Some(r.bic));
}

#[test]
fn the_weights_concentration_is_the_comparisons_when_one_or_more() {
    let with = |c: f64| {
        ComparisonSettings::new(2).weight_prior(WeightPrior::DirichletDistribution {
            concentration: Some(c),
        })
    };
    assert_eq!(map_params(&with(2.5)).1, 2.5);
    assert_eq!(map_params(&with(0.5)).1, 1.0);
    assert_eq!(map_params(&ComparisonSettings::new(2)).1, 1.0);
    let (p, _) = map_params(&with(3.0));
    match p.prior_setting() {
        MapPrior::Conjugate(spec) => assert_eq!(
            spec.weight_prior,
            WeightPrior::DirichletDistribution {
                concentration: Some(3.0)
            }
        ),
        other => panic!("{other:?}"),
    }
    // labels of the wrong length are refused
    let s = synthetic::draw(&synthetic::two_d_three_clusters(), 100, 1).unwrap();
    assert!(matches!(
        compare_map(&s.data, &ComparisonSettings::new(2), Some(&[0, 1])),
        Err(GmmError::ShapeMismatch { .. })
    ));
}
