//! Singular cases: identical points, collinear points, K close to N, reg_covar 0, and the
//! re-seeding option.

use gmm_core::{
    CovarianceType, Covariances, Dataset, FittedModel, GaussianMixture, GmmError, InitMethod,
    MixtureModel, synthetic,
};
use gmm_em::EmParams;
use nalgebra::DVector;

#[test]
fn identical_points_fit_with_regularisation() {
    let data = Dataset::from_rows(&vec![vec![2.5, -1.0]; 40]).unwrap();
    for t in CovarianceType::ALL {
        let reg = 1e-6;
        let fit = EmParams::new(2)
            .covariance_type(t)
            .reg_covar(reg)
            .fit(&data)
            .unwrap();
        let gm = fit.mixture();
        assert!(fit.converged(), "{t}");
        assert!((gm.weights().sum() - 1.0).abs() < 1e-12);
        // k-means puts every point in component 0 and leaves component 1 empty: as in
        // scikit-learn, weight ~0, mean 0 (its sum r x / (0 + 10 eps)), covariance reg I
        assert!(gm.weights()[1] < 1e-15, "{t}");
        for (c, want) in [(0, [2.5, -1.0]), (1, [0.0, 0.0])] {
            assert!((gm.means()[(c, 0)] - want[0]).abs() < 1e-12, "{t}");
            assert!((gm.means()[(c, 1)] - want[1]).abs() < 1e-12, "{t}");
            // the only variance left is the regularisation
            let cov = gm.covariances().full_matrix(c, 2);
            assert!((cov[(0, 0)] - reg).abs() < 1e-15, "{t}: {cov}");
            assert!(cov[(0, 1)].abs() < 1e-15);
        }
        // the density at the point is that of N(0, reg I) in 2-D
        let want = -(2.0 * std::f64::consts::PI * reg).ln();
        assert!((fit.score(&data).unwrap() - want).abs() < 1e-9);
    }
}

/// scikit-learn 1.9.1 with reg_covar = 0 and K = 1 on ten copies of one point: in 1-D at 4.0
/// every covariance type completes (its mean, pulled towards 0 by the 10 eps it adds to N_k,
/// leaves a variance of about 10 eps x^2 or (10 eps x)^2); at 0.0 every type raises "ill-defined
/// empirical covariance". So do we.
#[test]
fn identical_points_without_regularisation_complete_where_scikit_learn_does() {
    let data = Dataset::from_slice_1d(&[4.0; 10]).unwrap();
    for t in CovarianceType::ALL {
        let fit = EmParams::new(1)
            .covariance_type(t)
            .reg_covar(0.0)
            .fit(&data)
            .unwrap();
        let var = fit.mixture().covariances().full_matrix(0, 1)[(0, 0)];
        assert!(var > 0.0 && var < 1e-13, "{t}: {var:e}");
        assert!(fit.lower_bounds().iter().all(|b| b.is_finite()), "{t}");
    }
}

#[test]
fn identical_points_without_regularisation_name_the_component() {
    let data = Dataset::from_slice_1d(&[0.0; 10]).unwrap();
    for t in [
        CovarianceType::Full,
        CovarianceType::Diagonal,
        CovarianceType::Spherical,
    ] {
        let err = EmParams::new(1)
            .covariance_type(t)
            .reg_covar(0.0)
            .fit(&data)
            .unwrap_err();
        assert_eq!(
            err,
            GmmError::SingularComponent {
                component: 0,
                n_k: 10.0,
                reg_covar: 0.0
            },
            "{t}"
        );
        let msg = err.to_string();
        assert!(
            msg.contains("component 0") && msg.contains("Increase reg_covar"),
            "{msg}"
        );
    }
    let err = EmParams::new(1)
        .covariance_type(CovarianceType::Tied)
        .reg_covar(0.0)
        .fit(&data)
        .unwrap_err();
    assert!(matches!(err, GmmError::NotPositiveDefinite { .. }), "{err}");
    assert!(err.to_string().contains("tied"), "{err}");
}

/// Points exactly on the line y = 2x (integer x): every scatter is exactly rank one.
fn collinear() -> Dataset {
    let rows: Vec<Vec<f64>> = (0..20)
        .map(|i| {
            let x = if i < 10 { i as f64 } else { 20.0 + i as f64 };
            vec![x, 2.0 * x]
        })
        .collect();
    Dataset::from_rows(&rows).unwrap()
}

#[test]
fn collinear_points_fit_with_regularisation_and_fail_clearly_without() {
    let data = collinear();
    let labels: Vec<usize> = (0..20).map(|i| usize::from(i >= 10)).collect();
    for t in CovarianceType::ALL {
        let params = EmParams::new(2)
            .covariance_type(t)
            .init(InitMethod::FromLabels(labels.clone()));
        let fit = params.clone().fit(&data).unwrap();
        let lb = fit.lower_bounds();
        assert!(lb.iter().all(|v| v.is_finite()));
        assert!(
            lb.windows(2).all(|w| w[1] >= w[0] - 1e-10 * w[0].abs()),
            "{t}"
        );
        // the two clusters are found
        let labels_found = fit.predict(&data).unwrap();
        assert!(labels_found[..10].iter().all(|&l| l == labels_found[0]));
        assert!(labels_found[10..].iter().all(|&l| l != labels_found[0]));
        let res = params.reg_covar(0.0).fit(&data);
        match t {
            // rank-one scatter: full covariances are singular, component 0 first
            CovarianceType::Full => assert_eq!(
                res.unwrap_err(),
                GmmError::SingularComponent {
                    component: 0,
                    n_k: 10.0,
                    reg_covar: 0.0
                }
            ),
            CovarianceType::Tied => {
                assert!(matches!(res, Err(GmmError::NotPositiveDefinite { .. })))
            }
            // the variances along the axes are positive: nothing is singular
            CovarianceType::Diagonal | CovarianceType::Spherical => assert!(res.is_ok(), "{t}"),
        }
    }
}

#[test]
fn k_close_to_n_keeps_going() {
    let sample = synthetic::draw(&synthetic::two_d_three_clusters(), 12, 4).unwrap();
    for k in [10, 11, 12] {
        for t in CovarianceType::ALL {
            let fit = EmParams::new(k)
                .covariance_type(t)
                .max_iter(30)
                .init(InitMethod::KMeans)
                .fit(&sample.data)
                .unwrap();
            let gm = fit.mixture();
            assert_eq!(gm.n_components(), k);
            assert!((gm.weights().sum() - 1.0).abs() < 1e-12);
            let lb = fit.lower_bounds();
            assert!(lb.iter().all(|v| v.is_finite()), "K = {k}, {t}");
            assert!(
                lb.windows(2).all(|w| w[1] >= w[0] - 1e-10 * w[0].abs()),
                "K = {k}, {t}: {lb:?}"
            );
        }
    }
    // K = N + 1 is a parameter error, not a singular fit
    assert_eq!(
        EmParams::new(13).fit(&sample.data).unwrap_err(),
        GmmError::TooFewSamples {
            n_samples: 12,
            n_components: 13
        }
    );
}

/// Three clusters in 1-D; component 2 starts on a single point, which with reg_covar 0 has
/// zero variance.
fn singleton_start() -> (Dataset, Vec<usize>) {
    let mut xs = Vec::new();
    for (centre, n) in [(-10.0, 30), (0.0, 30), (10.0, 30)] {
        for i in 0..n {
            xs.push(centre + (i as f64 * 0.731).sin());
        }
    }
    let data = Dataset::from_slice_1d(&xs).unwrap();
    // components 0 and 1 share the first two clusters and the third except its last point
    let mut labels: Vec<usize> = (0..90).map(|i| if i < 30 { 0 } else { 1 }).collect();
    labels[89] = 2;
    (data, labels)
}

/// The point of lowest log density under components 0 and 1 of the initial M-step (weights
/// renormalised), computed independently of the re-seeding code.
fn worst_explained_by_first_two(data: &Dataset, labels: &[usize], t: CovarianceType) -> usize {
    let init = InitMethod::FromLabels(labels.to_vec())
        .initial_responsibilities(data, 3, 0)
        .unwrap()
        .sufficient_stats(data, t.scatter_kind());
    let p = gmm_em::m_step_parameters(&init, t, 0.0).unwrap();
    let w = p.weights[0] + p.weights[1];
    let covs = match &p.covariances {
        Covariances::Full(m) => Covariances::Full(m[..2].to_vec()),
        Covariances::Diagonal(v) => Covariances::Diagonal(v[..2].to_vec()),
        Covariances::Spherical(v) => Covariances::Spherical(v[..2].to_vec()),
        Covariances::Tied(m) => Covariances::Tied(m.clone()),
    };
    let gm = GaussianMixture::new(
        DVector::from_vec(vec![p.weights[0] / w, p.weights[1] / w]),
        p.means.rows(0, 2).into_owned(),
        covs,
    )
    .unwrap();
    let dens = gm.score_samples(data).unwrap();
    (0..dens.len()).fold(0, |b, i| if dens[i] < dens[b] { i } else { b })
}

#[test]
fn reseeding_recovers_a_collapsed_component() {
    let (data, labels) = singleton_start();
    for t in [
        CovarianceType::Full,
        CovarianceType::Diagonal,
        CovarianceType::Spherical,
    ] {
        let params = EmParams::new(3)
            .covariance_type(t)
            .reg_covar(0.0)
            .tol(1e-10)
            .max_iter(500)
            .init(InitMethod::FromLabels(labels.clone()));
        // without re-seeding the fit completes, as scikit-learn's does from these labels:
        // component 2 keeps its one point with a variance of rounding size
        let kept = params.clone().fit(&data).unwrap();
        let gm = kept.mixture();
        assert!((gm.weights()[2] - 1.0 / 90.0).abs() < 1e-6, "{t}");
        assert!(gm.covariances().full_matrix(2, 1)[(0, 0)] < 1e-12, "{t}");
        // at 0 the point has no shrinkage to save it: the error names the component
        let mut at_zero: Vec<f64> = (0..90).map(|i| data.row(i)[0] - data.row(89)[0]).collect();
        at_zero[89] = 0.0;
        let err = params
            .clone()
            .fit(&Dataset::from_slice_1d(&at_zero).unwrap())
            .unwrap_err();
        assert_eq!(
            err,
            GmmError::SingularComponent {
                component: 2,
                n_k: 1.0,
                reg_covar: 0.0
            },
            "{t}"
        );
        assert!(err.to_string().contains("re-seeding"));

        let fit = params.reseed_collapsed(true).fit(&data).unwrap();
        let events = fit.reseeds();
        assert!(!events.is_empty(), "{t}");
        assert_eq!((events[0].iteration, events[0].component), (0, 2));
        // it went to the worst-explained point under components 0 and 1
        assert_eq!(
            events[0].point,
            worst_explained_by_first_two(&data, &labels, t)
        );
        // the fit ends with one component per cluster
        let mut means: Vec<f64> = (0..3).map(|c| fit.mixture().means()[(c, 0)]).collect();
        means.sort_by(f64::total_cmp);
        for (m, want) in means.iter().zip([-10.0, 0.0, 10.0]) {
            assert!((m - want).abs() < 0.5, "{t}: means {means:?}");
        }
        assert!(fit.converged(), "{t}");
        // after the last re-seed the bound is monotone again
        let last = events.last().unwrap().iteration;
        let lb = &fit.lower_bounds()[last..];
        assert!(lb.windows(2).all(|w| w[1] >= w[0] - 1e-10 * w[0].abs()));
    }
}

#[test]
fn reseeding_moves_an_emptied_component() {
    // all points identical: k-means puts every point in component 0, component 1 is empty
    let data = Dataset::from_slice_1d(&[1.5; 20]).unwrap();
    let off = EmParams::new(2).fit(&data).unwrap();
    assert!(off.mixture().weights()[1] < 1e-12);
    let on = EmParams::new(2).reseed_collapsed(true).fit(&data).unwrap();
    assert_eq!(on.reseeds().len(), 1);
    assert_eq!(on.reseeds()[0].component, 1);
    // both components now share the points
    assert!((on.mixture().weights()[1] - 0.5).abs() < 1e-9);
    assert!(on.converged());
}

/// scikit-learn 1.9.1, `GaussianMixture(5)` (k-means start, reg_covar 1e-6) on three distinct
/// rows four times each: KMeans warns "Number of distinct clusters (3) found smaller than
/// n_clusters (5)", and the fit completes after 2 iterations with weights 1/3 (three times)
/// and 1.85e-16 (twice), the empty components at mean 0 with covariance 1e-6 I. The same
/// here, in memory and from a stream (whose k-means then runs on the whole data, or on a
/// smaller sample).
#[test]
fn more_components_than_distinct_points_complete_as_scikit_learn() {
    let rows: Vec<Vec<f64>> = (0..12)
        .map(|i| [[1.0, 2.0], [4.0, -1.0], [-3.0, 0.5]][i % 3].to_vec())
        .collect();
    let data = Dataset::from_rows(&rows).unwrap();
    let values = rows.concat();
    for t in CovarianceType::ALL {
        for seed in 0..4 {
            let params = EmParams::new(5).covariance_type(t).seed(seed);
            let mut source = gmm_core::SliceSource::new(&values, 2).unwrap();
            let mut sampled = gmm_core::SliceSource::new(&values, 2).unwrap();
            for fit in [
                params.fit(&data).unwrap(),
                params.fit_source(&mut source).unwrap(),
                params
                    .clone()
                    .init_sample(6)
                    .fit_source(&mut sampled)
                    .unwrap(),
            ] {
                let gm = fit.mixture();
                let mut w: Vec<f64> = gm.weights().iter().copied().collect();
                w.sort_by(f64::total_cmp);
                let empty = gmm_core::N_K_EPSILON / (12.0 + 5.0 * gmm_core::N_K_EPSILON);
                for (got, want) in w.iter().zip([empty, empty, 1. / 3., 1. / 3., 1. / 3.]) {
                    assert!((got - want).abs() < 1e-14 * want.max(1e-3), "{t}: {w:?}");
                }
                for c in (0..5).filter(|&c| gm.weights()[c] < 1e-10) {
                    assert_eq!((gm.means()[(c, 0)], gm.means()[(c, 1)]), (0.0, 0.0), "{t}");
                    if t != CovarianceType::Tied {
                        let cov = gm.covariances().full_matrix(c, 2);
                        assert_eq!((cov[(0, 0)], cov[(1, 1)], cov[(0, 1)]), (1e-6, 1e-6, 0.0));
                    }
                }
                assert!(fit.converged(), "{t}");
            }
        }
    }
}
