//! Hostile input to the library: every case gets a typed error (or a valid result where the
//! input is legitimate), never a panic. The table in docs/testing.md lists each case with the
//! error it gets.

mod common;

use gmm::core::{
    CovarianceType, Covariances, Dataset, GaussianMixture, GmmError, InitMethod,
    InitialResponsibilities, MixtureModel,
};
use gmm::em::EmParams;
use gmm::vb::VbParams;
use nalgebra::{DMatrix, DVector};

const ALL_INITS: [InitMethod; 4] = [
    InitMethod::KMeans,
    InitMethod::KMeansPlusPlus,
    InitMethod::Random,
    InitMethod::RandomFromData,
];

fn em(k: usize, ct: CovarianceType, reg: f64) -> EmParams {
    EmParams::new(k).covariance_type(ct).reg_covar(reg)
}

fn vb(k: usize, ct: CovarianceType, reg: f64) -> VbParams {
    VbParams::new(k).covariance_type(ct).reg_covar(reg)
}

/// The error a degenerate data set gets from EM with `reg_covar = 0`: a collapsed component
/// (full, diagonal, spherical) or a singular shared covariance (tied). Diagonal and
/// spherical fits may instead complete, as scikit-learn's do, where a zero variance sits at
/// a non-zero coordinate: its mean, pulled towards 0 by the `10 eps` added to `N_k`, leaves
/// a variance of about `10 eps x^2` (gmm-em's `m_step`); then the model must be valid.
fn assert_em_singular(data: &Dataset, ct: CovarianceType, what: &str) {
    match (ct, em(2.min(data.n_samples()), ct, 0.0).fit(data)) {
        (CovarianceType::Tied, Err(GmmError::NotPositiveDefinite { .. })) => {}
        (CovarianceType::Tied, other) => panic!("{what}, tied: {other:?}"),
        (_, Err(GmmError::SingularComponent { reg_covar, .. })) => assert_eq!(reg_covar, 0.0),
        (CovarianceType::Diagonal | CovarianceType::Spherical, Ok(fit)) => {
            assert_valid(fit.mixture(), data);
            let bounds = gmm::core::FittedModel::lower_bounds(&fit);
            assert!(bounds.iter().all(|b| b.is_finite()), "{what}");
        }
        (_, other) => panic!("{what}, {ct}: expected SingularComponent, got {other:?}"),
    }
}

/// VB's default covariance prior is the data covariance; when that is singular the fit falls
/// back to the data covariance with a ridge on its diagonal (docs/vb.md, "Priors") and
/// finishes with a finite ELBO and finite predictive densities, with or without reg_covar.
fn assert_vb_fits_with_the_fallback_prior(data: &Dataset, ct: CovarianceType, what: &str) {
    for reg in [1e-6, 0.0] {
        let fit = vb(1, ct, reg)
            .fit(data)
            .unwrap_or_else(|e| panic!("{what}, {ct}, reg_covar {reg:e}: {e}"));
        assert!(fit.elbo().is_finite(), "{what}, {ct}");
        let log_density = fit.score_samples(data).unwrap();
        assert!(log_density.iter().all(|l| l.is_finite()), "{what}, {ct}");
        assert!(
            fit.priors().covariance.precision_cholesky().is_ok(),
            "{what}, {ct}"
        );
    }
}

/// A fitted mixture is valid: weights a distribution, finite means, SPD covariances (the
/// constructor checks the last; a value of this type cannot exist otherwise).
fn assert_valid(gm: &GaussianMixture, data: &Dataset) {
    assert!((gm.weights().sum() - 1.0).abs() <= 1e-12);
    assert!(gm.means().iter().all(|v| v.is_finite()));
    let p = gm.predict_proba(data).unwrap();
    for i in 0..p.nrows() {
        assert!(
            (p.row(i).sum() - 1.0).abs() <= 1e-12,
            "row {i}: {}",
            p.row(i)
        );
    }
}

fn line_2d() -> Dataset {
    let rows: Vec<[f64; 2]> = (0..60)
        .map(|i| {
            let t = (i as f64 * 0.37) % 5.0;
            [t, 2.0 * t + 1.0]
        })
        .collect();
    Dataset::from_rows(&rows).unwrap()
}

fn plane_3d() -> Dataset {
    let rows: Vec<[f64; 3]> = (0..60)
        .map(|i| {
            let (s, t) = ((i as f64 * 0.37) % 5.0, (i as f64 * 0.61) % 3.0);
            [s, t, s - 2.0 * t]
        })
        .collect();
    Dataset::from_rows(&rows).unwrap()
}

#[test]
fn empty_data_is_rejected() {
    let none: [[f64; 2]; 0] = [];
    assert_eq!(Dataset::from_rows(&none), Err(GmmError::EmptyData));
    assert_eq!(Dataset::from_slice_1d(&[]), Err(GmmError::EmptyData));
    assert_eq!(
        Dataset::from_row_major(0, 3, vec![]),
        Err(GmmError::EmptyData)
    );
    assert_eq!(
        Dataset::from_matrix(&DMatrix::<f64>::zeros(0, 2)),
        Err(GmmError::EmptyData)
    );
    assert_eq!(
        Dataset::from_rows(&[Vec::<f64>::new(), Vec::new()]),
        Err(GmmError::ZeroFeatures)
    );
    let data = Dataset::from_slice_1d(&[1.0, 2.0]).unwrap();
    assert_eq!(data.select(&[]), Err(GmmError::EmptyData));
}

#[test]
fn one_point() {
    let data = Dataset::from_rows(&[[1.5, -2.0]]).unwrap();
    for ct in CovarianceType::ALL {
        // K = 1 with the default reg_covar: the point is the mean, the covariance reg I.
        let fit = em(1, ct, 1e-6).fit(&data).unwrap();
        assert_eq!(
            fit.mixture()
                .means()
                .row(0)
                .iter()
                .copied()
                .collect::<Vec<_>>(),
            vec![1.5, -2.0]
        );
        let cov = fit.mixture().covariances().full_matrix(0, 2);
        assert!((cov - DMatrix::identity(2, 2) * 1e-6).abs().max() < 1e-18);
        assert_em_singular(&data, ct, "one point");
        assert_vb_fits_with_the_fallback_prior(&data, ct, "one point");
        // with an explicit prior the posterior of one point is well defined
        let fit = vb(1, ct, 0.0)
            .covariance_prior(DMatrix::identity(2, 2))
            .fit(&data)
            .unwrap();
        assert!(fit.elbo().is_finite());
        assert_eq!(
            em(2, ct, 1e-6).fit(&data).unwrap_err(),
            GmmError::TooFewSamples {
                n_samples: 1,
                n_components: 2
            }
        );
    }
}

#[test]
fn zero_components() {
    let data = Dataset::from_slice_1d(&[0.0, 1.0, 2.0]).unwrap();
    let is_k = |r: Result<(), GmmError>| {
        matches!(
            r,
            Err(GmmError::InvalidParameter {
                name: "n_components",
                ..
            })
        )
    };
    assert!(is_k(EmParams::new(0).fit(&data).map(|_| ())));
    assert!(is_k(VbParams::new(0).fit(&data).map(|_| ())));
    for m in ALL_INITS {
        assert!(is_k(m.initial_responsibilities(&data, 0, 1).map(|_| ())));
    }
    let empty = GaussianMixture::new(
        DVector::zeros(0),
        DMatrix::zeros(0, 1),
        Covariances::Spherical(vec![]),
    );
    assert!(matches!(empty, Err(GmmError::InvalidWeights { .. })));
}

#[test]
fn more_components_than_points() {
    let data = Dataset::from_slice_1d(&[0.0, 1.0, 2.0]).unwrap();
    let want = GmmError::TooFewSamples {
        n_samples: 3,
        n_components: 4,
    };
    assert_eq!(EmParams::new(4).fit(&data).unwrap_err(), want);
    assert_eq!(VbParams::new(4).fit(&data).unwrap_err(), want);
    for m in ALL_INITS {
        assert_eq!(m.initial_responsibilities(&data, 4, 1).unwrap_err(), want);
    }
}

#[test]
fn non_finite_values_anywhere() {
    for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        let m = DMatrix::from_row_slice(2, 2, &[1.0, 2.0, bad, 4.0]);
        assert!(matches!(
            Dataset::from_matrix(&m),
            Err(GmmError::NonFinite {
                row: 1,
                column: 0,
                ..
            })
        ));
        assert!(matches!(
            Dataset::from_slice_1d(&[0.0, bad]),
            Err(GmmError::NonFinite {
                row: 1,
                column: 0,
                ..
            })
        ));
        // in parameters
        let data = Dataset::from_slice_1d(&[0.0, 1.0, 5.0, 6.0]).unwrap();
        let means = InitMethod::FromMeans(DMatrix::from_row_slice(2, 1, &[0.0, bad]));
        assert!(matches!(
            EmParams::new(2).init(means).fit(&data),
            Err(GmmError::InvalidParameter {
                name: "init_means",
                ..
            })
        ));
        let soft = InitialResponsibilities::Soft {
            resp: vec![0.5, 0.5, bad, 0.5, 1.0, 0.0, 0.0, 1.0],
            n_components: 2,
        };
        assert!(matches!(
            EmParams::new(2).fit_from(&data, &soft),
            Err(GmmError::InvalidParameter {
                name: "responsibilities",
                ..
            })
        ));
        assert!(matches!(
            VbParams::new(2)
                .mean_prior(DVector::from_vec(vec![bad]))
                .fit(&data),
            Err(GmmError::InvalidParameter {
                name: "mean_prior",
                ..
            })
        ));
        // in a mixture
        let w = DVector::from_vec(vec![0.5, 0.5]);
        let mu = DMatrix::from_row_slice(2, 1, &[0.0, bad]);
        assert!(matches!(
            GaussianMixture::new(w.clone(), mu, Covariances::Spherical(vec![1.0, 1.0])),
            Err(GmmError::NonFinite {
                row: 1,
                column: 0,
                ..
            })
        ));
        let mu = DMatrix::from_row_slice(2, 1, &[0.0, 1.0]);
        assert!(matches!(
            GaussianMixture::new(w, mu.clone(), Covariances::Spherical(vec![1.0, bad])),
            Err(GmmError::NotPositiveDefinite { component: 1, .. })
        ));
        assert!(matches!(
            GaussianMixture::new(
                DVector::from_vec(vec![bad, 0.5]),
                mu,
                Covariances::Spherical(vec![1.0, 1.0])
            ),
            Err(GmmError::InvalidWeights { .. })
        ));
    }
}

/// Values up to ~1e150 fit exactly like the same data at scale 1 (the fit is equivariant);
/// beyond, squared deviations overflow f64 and the fit stops with a typed error.
#[test]
fn values_near_the_top_of_f64() {
    let gm = common::MixtureSpec {
        d: 2,
        k: 2,
        covariance_type: CovarianceType::Full,
        seed: 5,
    }
    .build(4.0);
    let base = common::sample(&gm, 300, 6);
    let scaled = |f: f64| {
        Dataset::from_row_major(300, 2, base.as_slice().iter().map(|x| x * f).collect()).unwrap()
    };
    for ct in CovarianceType::ALL {
        let fit = em(2, ct, 1e-6)
            .max_iter(20)
            .tol(0.0)
            .seed(1)
            .fit(&base)
            .unwrap();
        let big = em(2, ct, 1e-6 * 1e200)
            .max_iter(20)
            .tol(0.0)
            .seed(1)
            .fit(&scaled(1e100))
            .unwrap();
        let rel = (big.mixture().means() / 1e100 - fit.mixture().means())
            .abs()
            .max();
        assert!(rel < 1e-8, "{ct}: means differ by {rel:e}");
        assert_valid(big.mixture(), &scaled(1e100));
        for f in [1e200, 1e300] {
            match em(2, ct, 1e-6).fit(&scaled(f)) {
                Err(GmmError::DataRange { .. }) => {}
                other => panic!("EM, {ct}, scale {f:e}: {other:?}"),
            }
            match vb(2, ct, 1e-6).fit(&scaled(f)) {
                Err(GmmError::DataRange { .. }) => {}
                other => panic!("VB, {ct}, scale {f:e}: {other:?}"),
            }
        }
    }
}

/// Values near 1e-300 are legitimate: their variance underflows to 0, so the covariance is
/// reg_covar (EM), or the fit reports a singular covariance when reg_covar is 0.
#[test]
fn values_near_the_bottom_of_f64() {
    let rows: Vec<[f64; 2]> = (0..40)
        .map(|i| [(i % 7) as f64 * 1e-300, (i % 5) as f64 * 3e-300])
        .collect();
    let data = Dataset::from_rows(&rows).unwrap();
    for ct in CovarianceType::ALL {
        let fit = em(2, ct, 1e-6).fit(&data).unwrap();
        assert_valid(fit.mixture(), &data);
        for c in 0..2 {
            let cov = fit.mixture().covariances().full_matrix(c, 2);
            assert!(
                (cov - DMatrix::identity(2, 2) * 1e-6).abs().max() < 1e-18,
                "{ct}"
            );
        }
        assert_em_singular(&data, ct, "values near 1e-300");
        assert_vb_fits_with_the_fallback_prior(&data, ct, "values near 1e-300");
    }
}

/// A point so far from every component that its squared Mahalanobis distance overflows
/// (|x| > ~1e154 here) has density 0 (log density -inf) under every component. Its
/// responsibilities must still be a distribution or the call a typed error, never NaN.
#[test]
fn points_too_far_for_f64_get_no_nan_responsibilities() {
    let gm = common::MixtureSpec {
        d: 2,
        k: 2,
        covariance_type: CovarianceType::Full,
        seed: 1,
    }
    .build(3.0);
    for v in [1e160, 1e300, f64::MAX] {
        let data = Dataset::from_rows(&[[v, -v], [1.0, 2.0]]).unwrap();
        let log_density = gm.score_samples(&data).unwrap();
        assert!(
            log_density.iter().all(|l| !l.is_nan()),
            "{v:e}: {log_density:?}"
        );
        match gm.predict_proba(&data) {
            Ok(p) => {
                for i in 0..2 {
                    let row = p.row(i);
                    assert!(
                        row.iter().all(|x| (0.0..=1.0).contains(x))
                            && (row.sum() - 1.0).abs() < 1e-12,
                        "point {i} at {v:e}: responsibilities {row}"
                    );
                }
            }
            Err(e) => assert!(matches!(e, GmmError::InvalidParameter { .. }), "{e:?}"),
        }
    }
}

#[test]
fn all_points_identical() {
    let data = Dataset::from_rows(&vec![[3.0, -1.0]; 50]).unwrap();
    for ct in CovarianceType::ALL {
        let fit = em(2, ct, 1e-6).fit(&data).unwrap();
        assert_valid(fit.mixture(), &data);
        // k-means leaves component 1 empty: as scikit-learn's, at mean 0 with weight ~0
        let gm = fit.mixture();
        assert!(gm.means().row(0).iter().eq([3.0, -1.0].iter()), "{ct}");
        assert!(gm.means().row(1).iter().all(|&v| v == 0.0), "{ct}");
        assert!(gm.weights()[1] < 1e-15, "{ct}");
        assert_em_singular(&data, ct, "identical points");
        assert_vb_fits_with_the_fallback_prior(&data, ct, "identical points");
        for m in ALL_INITS {
            let init = m.initial_responsibilities(&data, 3, 2).unwrap();
            assert_eq!(init.n_components(), 3);
        }
    }
}

/// Points on a line (D = 2) or a plane (D = 3): full and tied covariances are singular
/// without regularisation; diagonal and spherical ones are not (the data are not
/// axis-aligned); the default reg_covar makes every type fit.
#[test]
fn points_on_a_line_or_a_plane() {
    for (what, data) in [("line", line_2d()), ("plane", plane_3d())] {
        for ct in CovarianceType::ALL {
            let fit = em(2, ct, 1e-6).fit(&data).unwrap();
            assert_valid(fit.mixture(), &data);
            match ct {
                CovarianceType::Full | CovarianceType::Tied => {
                    assert_em_singular(&data, ct, what);
                    assert_vb_fits_with_the_fallback_prior(&data, ct, what);
                }
                _ => {
                    assert_valid(em(2, ct, 0.0).fit(&data).unwrap().mixture(), &data);
                    assert!(vb(2, ct, 0.0).fit(&data).unwrap().elbo().is_finite());
                }
            }
        }
    }
}

/// One feature constant: singular for every type that keeps per-feature variances;
/// spherical variances average it away.
#[test]
fn a_dimension_with_zero_variance() {
    let rows: Vec<[f64; 3]> = (0..60)
        .map(|i| [(i as f64 * 0.37) % 5.0, 4.0, (i as f64 * 0.61) % 3.0])
        .collect();
    let data = Dataset::from_rows(&rows).unwrap();
    for ct in CovarianceType::ALL {
        assert_valid(em(2, ct, 1e-6).fit(&data).unwrap().mixture(), &data);
        if ct == CovarianceType::Spherical {
            assert_valid(em(2, ct, 0.0).fit(&data).unwrap().mixture(), &data);
            assert!(vb(2, ct, 0.0).fit(&data).unwrap().elbo().is_finite());
        } else {
            assert_em_singular(&data, ct, "zero-variance dimension");
            assert_vb_fits_with_the_fallback_prior(&data, ct, "zero-variance dimension");
        }
    }
}

/// Memory bounded before it is spent (issue 12): 3 points of 40,000 columns. Full
/// and tied covariances would need D x D values and are refused at once with the amounts,
/// by EM and VB; diagonal and spherical fits hold O(K x D), by EM and by VB (whose Wishart
/// posteriors and prior take the storage of the type), and fit; their queries answer; a
/// limit set by the caller is honoured.
#[test]
fn wide_data_is_refused_before_it_is_allocated() {
    use gmm::core::{Dataset, GmmError};
    use gmm::em::EmParams;
    use gmm::vb::VbParams;
    let rows: Vec<Vec<f64>> = (0..3)
        .map(|r| (0..40_000).map(|j| ((r * 7 + j) % 13) as f64).collect())
        .collect();
    let wide = Dataset::from_rows(&rows).unwrap();
    let limit = 8 << 30; // 8 GiB, whatever the machine has
    let refused = |r: Result<(), GmmError>, unit: &str| match r {
        Err(GmmError::MemoryLimit { needed, .. }) => assert!(needed.ends_with(unit), "{needed}"),
        other => panic!("expected MemoryLimit, got {other:?}"),
    };
    let start = std::time::Instant::now();
    refused(
        EmParams::new(1)
            .covariance_type(CovarianceType::Full)
            .max_memory(limit)
            .fit(&wide)
            .map(|_| ()),
        "GB",
    );
    refused(
        VbParams::new(1)
            .covariance_type(CovarianceType::Tied)
            .max_memory(limit)
            .fit(&wide)
            .map(|_| ()),
        "GB",
    );
    assert!(
        start.elapsed().as_secs_f64() < 1.0,
        "refusals must come before any work"
    );
    let diag = EmParams::new(1)
        .covariance_type(CovarianceType::Diagonal)
        .max_memory(limit)
        .fit(&wide)
        .unwrap();
    assert_eq!(diag.mixture().n_features(), 40_000);
    for ct in [CovarianceType::Diagonal, CovarianceType::Spherical] {
        let vb = VbParams::new(1)
            .covariance_type(ct)
            .max_memory(limit)
            .fit(&wide)
            .unwrap();
        assert!(vb.elbo().is_finite(), "{ct}");
        let density = vb.score_samples(&wide).unwrap();
        assert!(density.iter().all(|v| v.is_finite()), "{ct}: {density:?}");
        assert_eq!(vb.predict(&wide).unwrap(), vec![0, 0, 0]);
        let back =
            gmm::vb::VbModel::from_json(&gmm::core::FittedModel::to_model_file(&vb).to_json())
                .unwrap();
        // the file carries the fit: the rebuilt model scores the same, bit for bit
        assert_eq!(back.score_samples(&wide).unwrap(), density, "{ct}");
    }
    // a limit the caller sets applies to ordinary data too
    let small = Dataset::from_slice_1d(&[0.0, 1.0, 2.0, 3.0]).unwrap();
    refused(
        EmParams::new(2).max_memory(100).fit(&small).map(|_| ()),
        "bytes",
    );
}
