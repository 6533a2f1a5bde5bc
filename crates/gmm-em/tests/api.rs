//! The public API: warm start, restarts, K selection by BIC, parameter validation, the
//! fit record, and a not-converged fit as a result.

use gmm_core::{
    CovarianceType, Dataset, FittedModel, GmmError, InitMethod, InitialResponsibilities,
    MixtureModel, ModelFile, synthetic,
};
use gmm_em::{EmParams, best_by_aic, best_by_bic, select_k, select_k_fits};

fn two_d(n: usize, seed: u64) -> Dataset {
    synthetic::draw(&synthetic::two_d_three_clusters(), n, seed)
        .unwrap()
        .data
}

#[test]
fn warm_start_continues_a_fit_exactly() {
    let data = two_d(400, 1);
    for t in CovarianceType::ALL {
        let base = EmParams::new(3)
            .covariance_type(t)
            .tol(0.0)
            .init(InitMethod::Random)
            .seed(9);
        let long = base.clone().max_iter(12).fit(&data).unwrap();
        let first = base.clone().max_iter(5).fit(&data).unwrap();
        let rest = base
            .clone()
            .max_iter(7)
            .warm_start(first.mixture().clone())
            .fit(&data)
            .unwrap();
        // the same arithmetic in the same order: bounds 6..12 of the long run, bit for bit
        assert_eq!(rest.lower_bounds(), &long.lower_bounds()[5..], "{t}");
        assert_eq!(rest.mixture(), long.mixture(), "{t}");
        assert_eq!(
            rest.fit_record().restart_lower_bounds(),
            &[rest.lower_bound()]
        );
    }
    // K and the covariance type come from the model; set otherwise afterwards, they are
    // rejected
    let fit = EmParams::new(3).fit(&data).unwrap();
    let warm = EmParams::new(2)
        .covariance_type(CovarianceType::Diagonal)
        .warm_start(fit.mixture().clone());
    assert_eq!(warm.control().n_components, 3);
    assert_eq!(warm.control().covariance_type, CovarianceType::Full);
    assert_eq!(warm.fit(&data).unwrap().mixture().n_components(), 3);
    assert!(matches!(
        EmParams::new(3)
            .warm_start(fit.mixture().clone())
            .n_components(2)
            .fit(&data),
        Err(GmmError::ShapeMismatch { .. })
    ));
    assert!(matches!(
        EmParams::new(3)
            .warm_start(fit.mixture().clone())
            .covariance_type(CovarianceType::Tied)
            .fit(&data),
        Err(GmmError::InvalidParameter {
            name: "warm_start",
            ..
        })
    ));
    let one_d = Dataset::from_slice_1d(&[0.0, 1.0, 2.0, 3.0]).unwrap();
    assert!(matches!(
        EmParams::new(3)
            .warm_start(fit.mixture().clone())
            .fit(&one_d),
        Err(GmmError::ShapeMismatch { .. })
    ));
}

#[test]
fn n_init_keeps_the_best_final_bound() {
    // overlapping clusters and random starts: restarts end in different optima
    let data = synthetic::draw(&synthetic::separated(5, 2), 300, 3)
        .unwrap()
        .data;
    let params = EmParams::new(5)
        .init(InitMethod::Random)
        .max_iter(15)
        .seed(40);
    let best = params.clone().n_init(6).fit(&data).unwrap();
    let singles: Vec<_> = (0..6)
        .map(|i| params.clone().seed(40 + i).fit(&data).unwrap())
        .collect();
    let bounds: Vec<f64> = singles.iter().map(|f| f.lower_bound()).collect();
    assert_eq!(best.fit_record().restart_lower_bounds(), bounds.as_slice());
    let winner = (0..6).fold(0, |b, i| if bounds[i] > bounds[b] { i } else { b });
    assert_eq!(best.fit_record().best_restart(), winner);
    assert_eq!(best.mixture(), singles[winner].mixture());
    assert_eq!(best.lower_bounds(), singles[winner].lower_bounds());
    // the restarts really differ, so the choice matters
    let spread = bounds.iter().cloned().fold(f64::NEG_INFINITY, f64::max)
        - bounds.iter().cloned().fold(f64::INFINITY, f64::min);
    assert!(spread > 1e-6, "restarts all ended at {bounds:?}");
}

#[test]
fn bic_chooses_the_true_k_on_separated_data() {
    for (truth, k_true, d) in [
        (synthetic::one_d_three_clusters(), 3, 1),
        (synthetic::separated(4, 3), 4, 3),
    ] {
        let data = synthetic::draw(&truth, 800, 11).unwrap().data;
        let params = EmParams::new(1).n_init(2).seed(5);
        let table = select_k(&data, 1..=6, &params).unwrap();
        assert_eq!(
            table.iter().map(|r| r.k).collect::<Vec<_>>(),
            (1..=6).collect::<Vec<_>>()
        );
        assert_eq!(
            best_by_bic(&table).unwrap().k,
            k_true,
            "D = {d}: {table:#?}"
        );
        for row in &table {
            // each row is the fit with that K
            let fit = params.clone().n_components(row.k).fit(&data).unwrap();
            assert_eq!(row.bic, fit.bic(&data).unwrap());
            assert_eq!(row.aic, fit.aic(&data).unwrap());
            assert_eq!(row.log_likelihood, fit.score(&data).unwrap());
            assert_eq!(
                row.n_parameters,
                row.k * d + row.k - 1 + row.k * d * (d + 1) / 2
            );
            assert_eq!(row.converged, fit.converged());
            let n = 800.0f64;
            let want = -2.0 * n * row.log_likelihood + row.n_parameters as f64 * n.ln();
            assert!((row.bic - want).abs() < 1e-9 * want.abs());
        }
        // AIC penalises less: it never picks fewer components than BIC here
        assert!(best_by_aic(&table).unwrap().k >= k_true);
    }
    let data = two_d(50, 2);
    let params = EmParams::new(1);
    assert_eq!(
        select_k_fits(&data, 2..=3, &params).unwrap()[1]
            .1
            .n_components(),
        3
    );
    assert!(matches!(
        select_k(&data, 0..=3, &params),
        Err(GmmError::InvalidParameter {
            name: "k_range",
            ..
        })
    ));
    #[allow(clippy::reversed_empty_ranges)]
    let empty = 3..=2;
    assert!(select_k(&data, empty, &params).is_err());
    assert!(best_by_bic(&[]).is_none());
}

#[test]
fn invalid_parameters_are_named() {
    let data = two_d(20, 3);
    let name_of = |p: EmParams| match p.fit(&data) {
        Err(GmmError::InvalidParameter { name, .. }) => name,
        other => panic!("expected InvalidParameter, got {other:?}"),
    };
    assert_eq!(name_of(EmParams::new(0)), "n_components");
    assert_eq!(name_of(EmParams::new(2).tol(-1e-3)), "tol");
    assert_eq!(name_of(EmParams::new(2).tol(f64::NAN)), "tol");
    assert_eq!(name_of(EmParams::new(2).tol(f64::INFINITY)), "tol");
    assert_eq!(name_of(EmParams::new(2).reg_covar(-1e-6)), "reg_covar");
    assert_eq!(name_of(EmParams::new(2).reg_covar(f64::NAN)), "reg_covar");
    assert_eq!(name_of(EmParams::new(2).max_iter(0)), "max_iter");
    assert_eq!(name_of(EmParams::new(2).n_init(0)), "n_init");
    assert_eq!(
        EmParams::new(21).fit(&data).unwrap_err(),
        GmmError::TooFewSamples {
            n_samples: 20,
            n_components: 21
        }
    );
    let msg = EmParams::new(2)
        .tol(-1.0)
        .fit(&data)
        .unwrap_err()
        .to_string();
    assert!(msg.contains("tol") && msg.contains("-1"), "{msg}");
}

#[test]
fn fit_from_checks_the_responsibilities() {
    let data = two_d(30, 4);
    let params = EmParams::new(2);
    let bad = [
        InitialResponsibilities::Hard {
            labels: vec![0; 29],
            n_components: 2,
        },
        InitialResponsibilities::Hard {
            labels: vec![2; 30],
            n_components: 2,
        },
        InitialResponsibilities::Hard {
            labels: vec![0; 30],
            n_components: 3,
        },
        InitialResponsibilities::Soft {
            resp: vec![0.5; 59],
            n_components: 2,
        },
        InitialResponsibilities::Soft {
            resp: [vec![0.5; 59], vec![f64::NAN]].concat(),
            n_components: 2,
        },
    ];
    for init in &bad {
        assert!(params.fit_from(&data, init).is_err(), "{init:?}");
    }
    // the same responsibilities as fit() draws give the same fit
    let init = InitMethod::KMeans
        .initial_responsibilities(&data, 2, 0)
        .unwrap();
    let a = params.fit_from(&data, &init).unwrap();
    let b = params.fit(&data).unwrap();
    assert_eq!(a.mixture(), b.mixture());
    assert_eq!(a.lower_bounds(), b.lower_bounds());
}

#[test]
fn a_fit_that_runs_out_of_iterations_is_a_result() {
    let data = two_d(300, 5);
    let fit = EmParams::new(3)
        .init(InitMethod::Random)
        .tol(1e-12)
        .max_iter(3)
        .fit(&data)
        .unwrap();
    assert!(!fit.converged());
    assert_eq!(fit.n_iter(), 3);
    assert_eq!(fit.lower_bounds().len(), 3);
    // tol 0 runs exactly max_iter iterations; a loose tol stops early
    let exact = EmParams::new(3).tol(0.0).max_iter(17).fit(&data).unwrap();
    assert_eq!((exact.n_iter(), exact.converged()), (17, false));
    let loose = EmParams::new(3).tol(1e-2).fit(&data).unwrap();
    assert!(loose.converged() && loose.n_iter() < 100);
    let lb = loose.lower_bounds();
    let n = lb.len();
    assert!((lb[n - 1] - lb[n - 2]).abs() < 1e-2);
    if n > 2 {
        assert!((lb[n - 2] - lb[n - 3]).abs() >= 1e-2);
    }
}

#[test]
fn fit_record_and_model_file() {
    let data = two_d(200, 6);
    let fit = EmParams::new(3)
        .covariance_type(CovarianceType::Diagonal)
        .fit(&data)
        .unwrap();
    let record = fit.fit_record();
    assert_eq!(record.estimator(), gmm_core::Estimator::Em);
    assert_eq!(record.n_iter(), record.lower_bounds().len());
    assert!(record.converged());
    assert_eq!(record.restart_lower_bounds(), &[fit.lower_bound()]);
    let file = ModelFile::from_json(&fit.to_model_file().to_json()).unwrap();
    assert_eq!(file.fit.as_ref(), Some(record));
    assert_eq!(&file.to_mixture().unwrap(), fit.mixture());
    // the trait delegates to the mixture
    let model: &dyn MixtureModel = &fit;
    assert_eq!(
        model.predict(&data).unwrap(),
        fit.mixture().predict(&data).unwrap()
    );
    assert_eq!(
        model.score(&data).unwrap(),
        fit.log_likelihood(&data).unwrap()
    );
    assert_eq!(model.n_components(), 3);
    assert_eq!(model.n_features(), 2);
}

#[test]
fn univariate_data_uses_the_same_api() {
    let sample = synthetic::draw(&synthetic::one_d_three_clusters(), 1000, 8).unwrap();
    let fit = EmParams::new(3).tol(1e-8).fit(&sample.data).unwrap();
    let gm = fit.mixture();
    let mut est: Vec<(f64, f64, f64)> = (0..3)
        .map(|c| {
            (
                gm.means()[(c, 0)],
                gm.weights()[c],
                gm.covariances().full_matrix(c, 1)[(0, 0)],
            )
        })
        .collect();
    est.sort_by(|a, b| a.0.total_cmp(&b.0));
    // truth: weights 0.3 / 0.45 / 0.25, means -4 / 0 / 5, variances 1 / 0.49 / 2.25; with
    // N = 1000 the estimates are within a few standard errors
    for ((m, w, v), (tm, tw, tv)) in
        est.iter()
            .zip([(-4.0, 0.3, 1.0), (0.0, 0.45, 0.49), (5.0, 0.25, 2.25)])
    {
        assert!((m - tm).abs() < 0.25, "mean {m} vs {tm}");
        assert!((w - tw).abs() < 0.05, "weight {w} vs {tw}");
        assert!((v - tv).abs() < 0.35 * tv, "variance {v} vs {tv}");
    }
}
