//! Sample weights are frequency weights: integer weights give the fit of the data with each
//! row repeated that many times, zero weights the fit without those rows (from the same
//! initial means, every covariance type, EM, VB and CAVI), within 1e-10 relative. Bad
//! weights are typed errors naming the row.

use gmm::core::{
    CovarianceType, Dataset, FittedModel, GaussianMixture, GmmError, InitMethod, MixtureModel,
    synthetic,
};
use gmm::em::EmParams;
use gmm::vb::{VbParams, WeightPrior, cavi::CaviParams};
use gmm_test_support::max_error_relative_to_largest;
use nalgebra::DMatrix;

/// Agreement of two fits whose data differ only in how points are counted: the sums run
/// over the same points in another order and grouping, so they agree to rounding.
const TOL: f64 = 1e-10;

const TYPES: [CovarianceType; 4] = [
    CovarianceType::Full,
    CovarianceType::Tied,
    CovarianceType::Diagonal,
    CovarianceType::Spherical,
];

fn points() -> Dataset {
    synthetic::draw(&synthetic::two_d_three_clusters(), 240, 11)
        .unwrap()
        .data
}

/// Weights 0..=3 in a fixed pattern, and the data with each row repeated that many times.
fn weighted_and_repeated() -> (Dataset, Dataset) {
    let data = points();
    let weights: Vec<f64> = (0..data.n_samples())
        .map(|i| ((i * 7) % 4) as f64)
        .collect();
    let repeated: Vec<usize> = (0..data.n_samples())
        .flat_map(|i| std::iter::repeat_n(i, weights[i] as usize))
        .collect();
    let expanded = data.select(&repeated).unwrap();
    (data.with_weights(weights).unwrap(), expanded)
}

/// The data with weights 1 on the rows kept and 0 on the others, and the data of the rows
/// kept.
fn weighted_and_dropped() -> (Dataset, Dataset) {
    let data = points();
    let keep: Vec<bool> = (0..data.n_samples()).map(|i| i % 5 != 2).collect();
    let weights = keep.iter().map(|k| if *k { 1.0 } else { 0.0 }).collect();
    let kept: Vec<usize> = (0..data.n_samples()).filter(|i| keep[*i]).collect();
    let dropped = data.select(&kept).unwrap();
    (data.with_weights(weights).unwrap(), dropped)
}

fn start_means() -> InitMethod {
    InitMethod::FromMeans(DMatrix::from_row_slice(
        3,
        2,
        &[-3.0, 0.5, 0.5, 2.5, 3.0, -2.0],
    ))
}

fn parameters(m: &GaussianMixture) -> Vec<f64> {
    let (k, d) = m.means().shape();
    let mut v: Vec<f64> = m
        .weights()
        .iter()
        .chain(m.means().iter())
        .copied()
        .collect();
    for c in 0..k {
        v.extend(m.covariances().full_matrix(c, d).iter());
    }
    v
}

fn assert_same_fit(
    a: &dyn FittedModel,
    b: &dyn FittedModel,
    ma: &GaussianMixture,
    mb: &GaussianMixture,
    what: &str,
) {
    assert_eq!(a.n_iter(), b.n_iter(), "{what}: iterations");
    let bounds = max_error_relative_to_largest(a.lower_bounds(), b.lower_bounds());
    assert!(bounds < TOL, "{what}: bounds differ by {bounds:e}");
    let params = max_error_relative_to_largest(&parameters(ma), &parameters(mb));
    assert!(params < TOL, "{what}: parameters differ by {params:e}");
}

#[test]
fn integer_weights_equal_repeated_rows_and_zero_weights_dropped_rows() {
    for (name, (weighted, plain)) in [
        ("repeated", weighted_and_repeated()),
        ("dropped", weighted_and_dropped()),
    ] {
        for kind in TYPES {
            let em = |data: &Dataset| {
                EmParams::new(3)
                    .covariance_type(kind)
                    .init(start_means())
                    .tol(0.0)
                    .max_iter(25)
                    .fit(data)
                    .unwrap()
            };
            let (a, b) = (em(&weighted), em(&plain));
            assert_same_fit(
                &a,
                &b,
                a.mixture(),
                b.mixture(),
                &format!("EM {name} {kind:?}"),
            );
            let bic = (a.bic(&weighted).unwrap() - b.bic(&plain).unwrap()).abs();
            assert!(
                bic < TOL * b.bic(&plain).unwrap().abs(),
                "BIC {name} {kind:?}"
            );
            for prior in [
                WeightPrior::DirichletProcess {
                    concentration: None,
                },
                WeightPrior::DirichletDistribution {
                    concentration: None,
                },
            ] {
                let vb = |data: &Dataset| {
                    VbParams::new(3)
                        .covariance_type(kind)
                        .weight_prior(prior)
                        .init(start_means())
                        .tol(0.0)
                        .max_iter(25)
                        .fit(data)
                        .unwrap()
                };
                let (a, b) = (vb(&weighted), vb(&plain));
                let what = format!("VB {name} {kind:?} {}", prior.name());
                assert_same_fit(&a, &b, a.point_estimate(), b.point_estimate(), &what);
                let per_point = (a.elbo_per_point() - b.elbo_per_point()).abs();
                assert!(
                    per_point < TOL * b.elbo_per_point().abs(),
                    "{what}: per point"
                );
            }
        }
    }
}

#[test]
fn cavi_honours_weights() {
    let values: Vec<f64> = (0..90)
        .map(|i| (i % 3) as f64 * 6.0 + (i as f64 * 0.37).sin())
        .collect();
    let data = Dataset::from_slice_1d(&values).unwrap();
    let weights: Vec<f64> = (0..90).map(|i| ((i / 3) % 3) as f64).collect();
    let repeated: Vec<usize> = (0..90)
        .flat_map(|i| std::iter::repeat_n(i, weights[i] as usize))
        .collect();
    let plain = data.select(&repeated).unwrap();
    let weighted = data.with_weights(weights).unwrap();
    let params = CaviParams::new(3)
        .init(InitMethod::FromMeans(DMatrix::from_row_slice(
            3,
            1,
            &[-1.0, 5.0, 13.0],
        )))
        .tol(0.0)
        .max_iter(30);
    let (a, b) = (params.fit(&weighted).unwrap(), params.fit(&plain).unwrap());
    let bounds = max_error_relative_to_largest(a.lower_bounds(), b.lower_bounds());
    assert!(bounds < TOL, "CAVI bounds differ by {bounds:e}");
}

#[test]
fn weighted_score_is_the_weighted_mean() {
    let (weighted, repeated) = weighted_and_repeated();
    let truth = synthetic::two_d_three_clusters();
    let a = truth.score(&weighted).unwrap();
    let b = truth.score(&repeated).unwrap();
    assert!((a - b).abs() < TOL * b.abs());
    assert!((weighted.total_weight() - repeated.n_samples() as f64).abs() == 0.0);
}

#[test]
fn bad_weights_name_the_row() {
    let data = || Dataset::from_slice_1d(&[0.0, 1.0, 2.0]).unwrap();
    for bad in [-1.0, f64::NAN, f64::INFINITY] {
        match data().with_weights(vec![1.0, 1.0, bad]) {
            Err(GmmError::InvalidSampleWeight { row: 2, .. }) => {}
            other => panic!("weight {bad}: expected InvalidSampleWeight at row 2, got {other:?}"),
        }
    }
    assert!(matches!(
        data().with_weights(vec![1.0, 1.0]),
        Err(GmmError::ShapeMismatch {
            expected: 3,
            found: 2,
            ..
        })
    ));
    assert_eq!(
        data().with_weights(vec![0.0; 3]),
        Err(GmmError::ZeroTotalWeight { n_samples: 3 })
    );
    let message = data()
        .with_weights(vec![1.0, -2.0, 1.0])
        .unwrap_err()
        .to_string();
    assert!(
        message.contains("row 1") && message.contains("-2"),
        "{message}"
    );
}

#[test]
fn more_components_than_weighted_points_is_an_error() {
    let data = Dataset::from_slice_1d(&[0.0, 1.0, 2.0, 3.0])
        .unwrap()
        .with_weights(vec![1.0, 0.0, 0.0, 2.0])
        .unwrap();
    assert!(matches!(
        EmParams::new(3).fit(&data),
        Err(GmmError::TooFewSamples {
            n_samples: 2,
            n_components: 3
        })
    ));
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    fn covariance_type() -> impl Strategy<Value = CovarianceType> {
        prop_oneof![
            Just(CovarianceType::Full),
            Just(CovarianceType::Tied),
            Just(CovarianceType::Diagonal),
            Just(CovarianceType::Spherical),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]

        /// Integer weights give the fit of the repeated rows, for EM and VB, from the same
        /// initial means, on random data and weights.
        #[test]
        fn integer_weights_are_repetitions(
            seed in 0u64..1000,
            n in 30usize..200,
            weights in proptest::collection::vec(0u32..4, 200),
            kind in covariance_type(),
        ) {
            let data = synthetic::draw(&synthetic::two_d_three_clusters(), n, seed).unwrap().data;
            let w: Vec<f64> = weights[..n].iter().map(|w| *w as f64).collect();
            prop_assume!(w.iter().filter(|w| **w > 0.0).count() >= 6);
            let repeated: Vec<usize> =
                (0..n).flat_map(|i| std::iter::repeat_n(i, weights[i] as usize)).collect();
            let plain = data.select(&repeated).unwrap();
            let weighted = data.with_weights(w).unwrap();
            let em = EmParams::new(3).covariance_type(kind).init(start_means()).tol(0.0).max_iter(10);
            match (em.fit(&weighted), em.fit(&plain)) {
                (Ok(a), Ok(b)) => {
                    let gap = max_error_relative_to_largest(&parameters(a.mixture()), &parameters(b.mixture()));
                    prop_assert!(gap < TOL, "EM {kind:?}: {gap:e}");
                }
                // a component with no point: the same error either way
                (Err(a), Err(b)) => prop_assert_eq!(
                    std::mem::discriminant(&a), std::mem::discriminant(&b)),
                (a, b) => prop_assert!(false, "one fit failed: {:?} / {:?}", a.err(), b.err()),
            }
            let vb = VbParams::new(3).covariance_type(kind).init(start_means()).tol(0.0).max_iter(10);
            match (vb.fit(&weighted), vb.fit(&plain)) {
                (Ok(a), Ok(b)) => {
                    let gap = max_error_relative_to_largest(a.lower_bounds(), b.lower_bounds());
                    prop_assert!(gap < TOL, "VB {kind:?}: {gap:e}");
                }
                (Err(a), Err(b)) => prop_assert_eq!(
                    std::mem::discriminant(&a), std::mem::discriminant(&b)),
                (a, b) => prop_assert!(false, "one fit failed: {:?} / {:?}", a.err(), b.err()),
            }
        }
    }
}

/// Weights of 1e306 (whose total overflows) and of 1e-320 (denormal) count as weights of 1:
/// only their ratios matter (`gmm_core::rescaled_weights`), so EM and VB give the fit of the
/// unweighted data, parameters within 1e-12 (issue 22, item 9).
#[test]
fn huge_and_denormal_weights_fit_as_weights_of_one() {
    let plain = points();
    let tol = 1e-12;
    for w in [1e306, f64::MAX, 1e-320, 5e-324] {
        let weighted = points().with_weights(vec![w; plain.n_samples()]).unwrap();
        assert!(weighted.total_weight().is_finite(), "{w:e}");
        assert_eq!(weighted.weights().unwrap()[0], 1.0, "{w:e}");
        for kind in TYPES {
            let em = |data: &Dataset| {
                EmParams::new(3)
                    .covariance_type(kind)
                    .init(start_means())
                    .tol(0.0)
                    .max_iter(25)
                    .fit(data)
                    .unwrap_or_else(|e| panic!("EM {kind:?} weights {w:e}: {e}"))
            };
            let (a, b) = (em(&weighted), em(&plain));
            let p =
                max_error_relative_to_largest(&parameters(a.mixture()), &parameters(b.mixture()));
            assert!(
                p < tol,
                "EM {kind:?} weights {w:e}: parameters differ by {p:e}"
            );
            let vb = |data: &Dataset| {
                VbParams::new(3)
                    .covariance_type(kind)
                    .init(start_means())
                    .tol(0.0)
                    .max_iter(25)
                    .fit(data)
                    .unwrap_or_else(|e| panic!("VB {kind:?} weights {w:e}: {e}"))
            };
            let (a, b) = (vb(&weighted), vb(&plain));
            let p = max_error_relative_to_largest(
                &parameters(a.point_estimate()),
                &parameters(b.point_estimate()),
            );
            assert!(
                p < tol,
                "VB {kind:?} weights {w:e}: parameters differ by {p:e}"
            );
        }
    }
    // ordinary weights keep their scale (a VB fit depends on it)
    let counts = points().with_weights(vec![3.0; plain.n_samples()]).unwrap();
    assert_eq!(counts.weights().unwrap()[0], 3.0);
}

/// The same weights from a stream (issue 22, item 9): a fit's passes divide them by their
/// largest as `Dataset::with_weights` does, so the streamed fit equals the in-memory fit
/// bit for bit, EM and VB, with weights whose total overflows and with denormal weights.
#[test]
fn huge_and_denormal_streamed_weights_fit_as_in_memory() {
    let plain = points();
    for scale in [1e306, 1e-320] {
        let raw: Vec<f64> = (0..plain.n_samples())
            .map(|i| scale * (1 + i % 3) as f64)
            .collect();
        let memory = points().with_weights(raw.clone()).unwrap();
        for kind in TYPES {
            let em = EmParams::new(3)
                .covariance_type(kind)
                .init(start_means())
                .tol(0.0)
                .max_iter(10);
            let mut source = gmm::core::SliceSource::new(plain.as_slice(), plain.n_features())
                .unwrap()
                .with_weights(&raw)
                .unwrap();
            let streamed = em.fit_source(&mut source).unwrap();
            let held = em.fit(&memory).unwrap();
            assert_eq!(streamed.mixture(), held.mixture(), "EM {kind:?} {scale:e}");
            assert_eq!(streamed.lower_bounds(), held.lower_bounds());
            let vb = VbParams::new(3)
                .covariance_type(kind)
                .init(start_means())
                .tol(0.0)
                .max_iter(10);
            let streamed = vb.fit_source(&mut source).unwrap();
            let held = vb.fit(&memory).unwrap();
            assert_eq!(
                streamed.point_estimate(),
                held.point_estimate(),
                "VB {kind:?} {scale:e}"
            );
            assert_eq!(streamed.elbo(), held.elbo());
        }
    }
}
