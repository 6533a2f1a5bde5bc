//! Replicated studies: determinism on any thread count, the measures, bad settings, and the
//! CSV and JSON of a report.

use gmm_compare::{
    Measure, RUNS_CSV_HEADER, StudyMethod, StudyReport, StudySettings, TrueScenario, run_study,
};
use gmm_core::{Dataset, GmmError, synthetic};

fn small_study() -> StudySettings {
    StudySettings::new(
        TrueScenario::synthetic("two-d-three-clusters").unwrap(),
        vec![12, 60, 200],
        3,
    )
    .replicates(6)
    .max_k(4)
    .test_size(300)
    .seed(11)
    .bootstrap_resamples(200)
    .methods(vec![StudyMethod::Em, StudyMethod::EmNoReg, StudyMethod::Vb])
}

fn on_threads(threads: usize, settings: &StudySettings) -> StudyReport {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap()
        .install(|| run_study(settings, &|| {}).unwrap())
}

/// The report without its wall times (the only numbers that may differ between runs).
fn without_times(mut r: StudyReport) -> StudyReport {
    for run in &mut r.runs {
        run.wall_time_seconds = 0.0;
        run.selection_seconds = 0.0;
    }
    r.cells.retain(|c| c.measure != Measure::WallTime);
    r
}

#[test]
fn the_report_is_the_same_on_one_and_on_three_threads() {
    let settings = small_study();
    let one = without_times(on_threads(1, &settings));
    let three = without_times(on_threads(3, &settings));
    assert_eq!(one, three);
    // and another seed gives other data
    let other = without_times(on_threads(2, &settings.clone().seed(12)));
    assert_ne!(
        one.runs[0].holdout_log_predictive,
        other.runs[0].holdout_log_predictive
    );
}

#[test]
fn every_run_is_measured_in_grid_order() {
    let settings = small_study();
    let count = std::sync::atomic::AtomicUsize::new(0);
    let report = run_study(&settings, &|| {
        count.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    })
    .unwrap();
    // one progress call per (N, replicate)
    assert_eq!(count.into_inner(), 3 * 6);
    assert_eq!(report.runs.len(), 3 * 6 * 3);
    let order: Vec<(usize, usize, StudyMethod)> = report
        .runs
        .iter()
        .map(|r| (r.n, r.replicate, r.method))
        .collect();
    let mut expected = Vec::new();
    for n in [12, 60, 200] {
        for rep in 0..6 {
            for m in [StudyMethod::Em, StudyMethod::EmNoReg, StudyMethod::Vb] {
                expected.push((n, rep, m));
            }
        }
    }
    assert_eq!(order, expected);
    for r in &report.runs {
        // the methods of one unit share its seed (same points, same start)
        let first = &report.runs[report
            .runs
            .iter()
            .position(|x| x.n == r.n && x.replicate == r.replicate)
            .unwrap()];
        assert_eq!(r.seed, first.seed);
        match r.method {
            StudyMethod::Em => {
                let k = r.k_bic.expect("EM chooses K by BIC");
                assert!((1..=4).contains(&k));
                assert!(r.k_elbo.is_none());
            }
            StudyMethod::Vb => {
                assert!((1..=4).contains(&r.k_elbo.unwrap()));
                assert!((1..=4).contains(&r.k_effective.unwrap()));
                assert!(!r.singular, "VB's priors keep every component regular");
            }
            _ => assert!(r.k_bic.is_none() && r.k_elbo.is_none()),
        }
        // a failed fit has no held-out density; a good one has a finite one
        assert_eq!(r.singular, r.holdout_log_predictive.is_none());
        if let Some(lpd) = r.holdout_log_predictive {
            assert!(lpd.is_finite() && lpd < 0.0, "{lpd}");
            let ari = r.adjusted_rand_index.unwrap();
            assert!((-1.0..=1.0).contains(&ari));
        }
    }
    // at N = 200 every method separates the three clusters (ARI > 0.8 on average) and
    // chooses K = 3 by BIC in most replicates
    for m in [StudyMethod::Em, StudyMethod::Vb] {
        let ari = report.cell(200, m, Measure::AdjustedRandIndex).unwrap();
        assert!(ari.mean.unwrap() > 0.8, "{ari:?}");
        assert!(ari.lower.unwrap() <= ari.mean.unwrap() && ari.mean.unwrap() <= ari.upper.unwrap());
    }
    let k_bic = report.cell(200, StudyMethod::Em, Measure::KBic).unwrap();
    assert!((k_bic.mean.unwrap() - 3.0).abs() < 0.5, "{k_bic:?}");
    // the share of singular fits is a mean of 0/1 over all replicates
    let s = report
        .cell(12, StudyMethod::EmNoReg, Measure::Singular)
        .unwrap();
    assert_eq!(s.count, 6);
    let failed = report
        .runs
        .iter()
        .filter(|r| r.n == 12 && r.method == StudyMethod::EmNoReg && r.singular)
        .count();
    assert!((s.mean.unwrap() - failed as f64 / 6.0).abs() < 1e-15);
}

#[test]
fn csv_and_json_hold_every_run() {
    let settings = small_study().replicates(2);
    let report = run_study(&settings, &|| {}).unwrap();
    let csv = report.runs_csv();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], RUNS_CSV_HEADER);
    assert_eq!(lines.len(), 1 + report.runs.len());
    let columns = RUNS_CSV_HEADER.split(',').count();
    for (line, run) in lines[1..].iter().zip(&report.runs) {
        let fields: Vec<&str> = line.split(',').collect();
        assert_eq!(fields.len(), columns, "{line}");
        assert_eq!(fields[0], run.n.to_string());
        assert_eq!(fields[2], run.method.name());
        match run.holdout_log_predictive {
            // the shortest form that reads back to the same number
            Some(v) => assert_eq!(fields[4].parse::<f64>().unwrap(), v),
            None => assert_eq!(fields[4], ""),
        }
    }
    let back: StudyReport = serde_json::from_str(&report.to_json()).unwrap();
    assert_eq!(back, report);
    let cells = report.cells_csv();
    assert_eq!(cells.lines().count(), 1 + report.cells.len());
    let names: Vec<String> = report.files().unwrap().into_iter().map(|f| f.0).collect();
    for name in [
        "runs.csv",
        "cells.csv",
        "report.json",
        "holdout_log_predictive.svg",
        "singular.svg",
    ] {
        assert!(names.contains(&name.to_string()), "{names:?}");
    }
    let table = report.to_string();
    assert!(
        table.contains("em-noreg") && table.contains("held-out log pred."),
        "{table}"
    );
}

#[test]
fn a_data_set_is_subsampled_without_replacement() {
    let s = synthetic::draw(&synthetic::one_d_three_clusters(), 300, 4).unwrap();
    let scenario = TrueScenario::Data {
        name: "one-d".into(),
        data: s.data.clone(),
        labels: Some(s.labels.clone()),
    };
    let settings = StudySettings::new(scenario, vec![20, 100], 3)
        .replicates(3)
        .test_size(200)
        .bootstrap_resamples(100);
    let report = run_study(&settings, &|| {}).unwrap();
    assert_eq!(report.runs.len(), 2 * 3 * 2);
    assert!(report.runs.iter().all(|r| r.adjusted_rand_index.is_some()));
    // 100 + 200 of the 300 points: still fine; 101 + 200 is not
    let too_many = StudySettings::new(
        TrueScenario::Data {
            name: "d".into(),
            data: s.data.clone(),
            labels: None,
        },
        vec![101],
        3,
    )
    .test_size(200);
    let e = run_study(&too_many, &|| {}).unwrap_err();
    assert!(e.to_string().contains("without replacement"), "{e}");
    // without labels there is no ARI
    let unlabelled = StudySettings::new(
        TrueScenario::Data {
            name: "d".into(),
            data: s.data,
            labels: None,
        },
        vec![30],
        2,
    )
    .replicates(2)
    .test_size(50);
    let r = run_study(&unlabelled, &|| {}).unwrap();
    assert!(r.runs.iter().all(|r| r.adjusted_rand_index.is_none()));
    assert!(
        r.cell(30, StudyMethod::Em, Measure::AdjustedRandIndex)
            .is_none()
    );
}

fn invalid_name(settings: &StudySettings) -> &'static str {
    match run_study(settings, &|| {}) {
        Err(GmmError::InvalidParameter { name, .. }) => name,
        other => panic!("expected InvalidParameter, got {other:?}"),
    }
}

#[test]
fn bad_settings_are_rejected_by_name() {
    let base = small_study();
    let with = |f: &dyn Fn(&mut StudySettings)| {
        let mut s = base.clone();
        f(&mut s);
        s
    };
    assert_eq!(invalid_name(&with(&|s| s.sizes.clear())), "sizes");
    assert_eq!(invalid_name(&with(&|s| s.sizes = vec![10, 10])), "sizes");
    assert_eq!(invalid_name(&with(&|s| s.sizes = vec![3])), "sizes"); // below max_k 4
    assert_eq!(invalid_name(&with(&|s| s.replicates = 0)), "replicates");
    assert_eq!(invalid_name(&with(&|s| s.n_components = 0)), "n_components");
    assert_eq!(invalid_name(&with(&|s| s.max_k = Some(0))), "max_k");
    assert_eq!(invalid_name(&with(&|s| s.methods.clear())), "methods");
    assert_eq!(
        invalid_name(&with(
            &|s| s.methods = vec![StudyMethod::Vb, StudyMethod::Vb]
        )),
        "methods"
    );
    assert_eq!(invalid_name(&with(&|s| s.test_size = 0)), "test_size");
    assert_eq!(
        invalid_name(&with(&|s| s.bootstrap_resamples = 0)),
        "bootstrap_resamples"
    );
    assert_eq!(invalid_name(&with(&|s| s.tol = f64::NAN)), "tol");
    assert_eq!(invalid_name(&with(&|s| s.max_iter = 0)), "max_iter");
    assert_eq!(
        invalid_name(&with(&|s| s.replicates = usize::MAX)),
        "replicates"
    );
    // points beyond any memory are refused before anything is drawn
    for (size, test) in [(usize::MAX, 1000), (10, usize::MAX)] {
        let huge = with(&|s| {
            s.sizes = vec![size];
            s.test_size = test;
        });
        assert!(
            matches!(run_study(&huge, &|| {}), Err(GmmError::MemoryLimit { .. })),
            "{size} + {test}"
        );
    }
    assert!(TrueScenario::synthetic("four-d").is_err());
    assert_eq!(
        StudyMethod::from_name("em-noreg").unwrap(),
        StudyMethod::EmNoReg
    );
    assert!(
        StudyMethod::from_name("gibs")
            .unwrap_err()
            .to_string()
            .contains("em, em-noreg, map, vb, gibbs")
    );
    let labels_wrong = StudySettings::new(
        TrueScenario::Data {
            name: "d".into(),
            data: Dataset::from_slice_1d(&[1.0, 2.0, 3.0, 4.0]).unwrap(),
            labels: Some(vec![0, 1]),
        },
        vec![2],
        1,
    )
    .test_size(1);
    assert!(matches!(
        run_study(&labels_wrong, &|| {}),
        Err(GmmError::ShapeMismatch { .. })
    ));
}

#[test]
fn the_gibbs_sampler_is_a_method_like_the_others() {
    let mut settings = StudySettings::new(
        TrueScenario::synthetic("two-d-three-clusters").unwrap(),
        vec![40, 150],
        3,
    )
    .replicates(2)
    .test_size(200)
    .seed(3)
    .bootstrap_resamples(100)
    .methods(vec![StudyMethod::Vb, StudyMethod::Gibbs]);
    settings.gibbs_draws = 60;
    settings.gibbs_burn_in = 60;
    let one = without_times(on_threads(1, &settings));
    let three = without_times(on_threads(3, &settings));
    assert_eq!(one, three);
    for pair in one.runs.chunks(2) {
        let (vb, gibbs) = (&pair[0], &pair[1]);
        assert_eq!(
            (vb.method, gibbs.method),
            (StudyMethod::Vb, StudyMethod::Gibbs)
        );
        // same points; under the same priors the two held-out densities are close (per
        // point, within 0.5 nats at N >= 40 on these well-separated clusters)
        let (v, g) = (
            vb.holdout_log_predictive.unwrap(),
            gibbs.holdout_log_predictive.unwrap(),
        );
        assert!((v - g).abs() < 0.5, "VB {v}, Gibbs {g} at N = {}", vb.n);
        // the posterior-mean mixture of a short run labels the points better than chance
        // (0), and well once there are points enough
        let ari = gibbs.adjusted_rand_index.unwrap();
        let floor = if gibbs.n >= 150 { 0.5 } else { 0.2 };
        assert!(ari > floor, "{gibbs:?}");
        assert!(gibbs.k_bic.is_none() && gibbs.k_elbo.is_none());
    }
    assert_eq!(StudyMethod::from_name("gibbs").unwrap(), StudyMethod::Gibbs);
}

#[test]
fn the_map_method_is_a_direct_map_em_fit_on_the_units_points() {
    use gmm_compare::{adjusted_rand_index, unit_sample};
    use gmm_core::{InitMethod, MixtureModel as _};
    use gmm_em::{MapParams, MapPrior};
    let settings = StudySettings::new(
        TrueScenario::synthetic("two-d-three-clusters").unwrap(),
        vec![10, 60],
        3,
    )
    .replicates(3)
    .test_size(200)
    .seed(5)
    .bootstrap_resamples(100)
    .methods(vec![
        StudyMethod::EmNoReg,
        StudyMethod::Map,
        StudyMethod::Vb,
    ]);
    let report = on_threads(2, &settings);
    assert_eq!(report.runs.len(), 2 * 3 * 3);
    for (i, &n) in settings.sizes.iter().enumerate() {
        for rep in 0..3 {
            let unit = unit_sample(&settings, i, rep).unwrap();
            assert_eq!(unit.train.n_samples(), n);
            let run = report
                .runs
                .iter()
                .find(|r| r.n == n && r.replicate == rep && r.method == StudyMethod::Map)
                .unwrap();
            assert_eq!(run.seed, unit.seed);
            // the same fit, made directly: prior resolved on the training points, the
            // unit's k-means start, the study's stopping rule
            let params = MapParams::new(3)
                .prior(MapPrior::default())
                .tol(settings.tol)
                .max_iter(settings.max_iter);
            let init = InitMethod::KMeans
                .initial_responsibilities(&unit.train, 3, unit.seed)
                .unwrap();
            let priors = params.resolve_priors(&unit.train).unwrap();
            let fit = params
                .em_params(priors)
                .fit_from(&unit.train, &init)
                .unwrap();
            assert_eq!(
                run.holdout_log_predictive,
                Some(fit.score(&unit.test).unwrap())
            );
            let predicted = fit.predict(&unit.test).unwrap();
            let labels = unit.test_labels.as_ref().unwrap();
            assert_eq!(
                run.adjusted_rand_index,
                Some(adjusted_rand_index(labels, &predicted).unwrap())
            );
            // MAP-EM never collapses: its prior keeps every covariance regular
            assert!(!run.singular && run.holdout_log_predictive.unwrap().is_finite());
        }
    }
    assert_eq!(StudyMethod::from_name("map").unwrap(), StudyMethod::Map);
    assert_eq!(StudyMethod::Map.name(), "map");
    // a unit outside the grid is refused
    assert!(matches!(
        unit_sample(&settings, 2, 0),
        Err(GmmError::InvalidParameter {
            name: "size_index",
            ..
        })
    ));
    assert!(matches!(
        unit_sample(&settings, 0, 3),
        Err(GmmError::InvalidParameter {
            name: "replicate",
            ..
        })
    ));
}
