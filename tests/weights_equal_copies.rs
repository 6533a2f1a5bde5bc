//! Frequency weights all the way to the start: from the same seed, the whole fit (seeding
//! included) of data with integer weights 0..=3 equals the fit of the data with each row
//! repeated that many times (rows of weight 0 dropped), within 1e-10 relative, for k-means,
//! k-means++, random-from-data and random responsibilities, EM and VB, every covariance type; and so does a streamed
//! EM fit whose points all fit in the initialisation's sample. The seeding walks the rows
//! in a canonical order, so the weighted rows may come in any order: shuffled, they still
//! fit as the repeated rows in the original order (scikit-learn's
//! `check_sample_weight_equivalence_on_dense_data` shuffles them). (`Random` keys each
//! point's draws by its values, so copies draw alike: see gmm-core's `init` module.)
//! `tests/weights.rs` does the same from given means.

use gmm::core::{
    CovarianceType, Dataset, FittedModel, GaussianMixture, InitMethod, SliceSource, synthetic,
};
use gmm::em::EmParams;
use gmm::vb::VbParams;
use gmm_test_support::max_error_relative_to_largest;

/// The sums run over the same points in another order and grouping: rounding only.
const TOL: f64 = 1e-10;

const METHODS: [InitMethod; 4] = [
    InitMethod::KMeans,
    InitMethod::KMeansPlusPlus,
    InitMethod::RandomFromData,
    InitMethod::Random,
];

/// Three well separated clusters (k-means's partition is far from any tie), weights 0..=3
/// in a fixed pattern, and the data with each row repeated as often as its weight.
fn weighted_and_repeated() -> (Dataset, Dataset) {
    let data = synthetic::draw(&synthetic::two_d_three_clusters(), 150, 5)
        .unwrap()
        .data;
    let weights: Vec<f64> = (0..data.n_samples())
        .map(|i| ((i * 7 + 1) % 4) as f64)
        .collect();
    let repeated: Vec<usize> = (0..data.n_samples())
        .flat_map(|i| std::iter::repeat_n(i, weights[i] as usize))
        .collect();
    let expanded = data.select(&repeated).unwrap();
    (data.with_weights(weights).unwrap(), expanded)
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
fn seeded_fits_of_integer_weights_equal_the_fits_of_repeated_rows() {
    let (weighted, repeated) = weighted_and_repeated();
    for method in METHODS {
        for kind in CovarianceType::ALL {
            for seed in [0, 3] {
                let what = format!("{} {kind:?} seed {seed}", method.name());
                let em = EmParams::new(3)
                    .covariance_type(kind)
                    .init(method.clone())
                    .seed(seed)
                    .tol(0.0)
                    .max_iter(20);
                let (a, b) = (em.fit(&weighted).unwrap(), em.fit(&repeated).unwrap());
                assert_same_fit(&a, &b, a.mixture(), b.mixture(), &format!("EM {what}"));

                let vb = VbParams::new(3)
                    .covariance_type(kind)
                    .init(method.clone())
                    .seed(seed)
                    .tol(0.0)
                    .max_iter(20);
                let (a, b) = (vb.fit(&weighted).unwrap(), vb.fit(&repeated).unwrap());
                let (ma, mb) = (a.point_estimate(), b.point_estimate());
                assert_same_fit(&a, &b, ma, mb, &format!("VB {what}"));
            }
        }
    }
}

/// `data` with its rows (and weights) in a seeded random order.
fn shuffled(data: &Dataset, seed: u64) -> Dataset {
    use rand::{SeedableRng, rngs::StdRng, seq::SliceRandom};
    let mut perm: Vec<usize> = (0..data.n_samples()).collect();
    perm.shuffle(&mut StdRng::seed_from_u64(seed));
    let weights = data.weights().expect("weighted data");
    data.select(&perm)
        .unwrap()
        .with_weights(perm.iter().map(|&i| weights[i]).collect())
        .unwrap()
}

#[test]
fn shuffled_weighted_rows_fit_as_repeated_rows_in_order() {
    let (weighted, repeated) = weighted_and_repeated();
    for (shuffle_seed, seed) in [(0, 0), (1, 3), (2, 7)] {
        let weighted = shuffled(&weighted, shuffle_seed);
        for method in METHODS {
            for kind in CovarianceType::ALL {
                let what = format!("{} {kind:?} seed {seed} shuffled", method.name());
                let em = EmParams::new(3)
                    .covariance_type(kind)
                    .init(method.clone())
                    .seed(seed)
                    .tol(0.0)
                    .max_iter(20);
                let (a, b) = (em.fit(&weighted).unwrap(), em.fit(&repeated).unwrap());
                assert_same_fit(&a, &b, a.mixture(), b.mixture(), &format!("EM {what}"));

                let vb = VbParams::new(3)
                    .covariance_type(kind)
                    .init(method.clone())
                    .seed(seed)
                    .tol(0.0)
                    .max_iter(20);
                let (a, b) = (vb.fit(&weighted).unwrap(), vb.fit(&repeated).unwrap());
                let (ma, mb) = (a.point_estimate(), b.point_estimate());
                assert_same_fit(&a, &b, ma, mb, &format!("VB {what}"));
            }
        }
    }
}

#[test]
fn streamed_fits_start_from_weights_as_from_copies() {
    let (weighted, repeated) = weighted_and_repeated();
    let weights = weighted.weights().unwrap().to_vec();
    for method in METHODS {
        let em = EmParams::new(3)
            .init(method.clone())
            .seed(1)
            .tol(0.0)
            .max_iter(15);
        let mut a_src = SliceSource::new(weighted.as_slice(), 2)
            .unwrap()
            .with_weights(&weights)
            .unwrap();
        let mut b_src = SliceSource::new(repeated.as_slice(), 2).unwrap();
        let a = em.fit_source(&mut a_src).unwrap();
        let b = em.fit_source(&mut b_src).unwrap();
        let what = format!("streamed EM {}", method.name());
        assert_same_fit(&a, &b, a.mixture(), b.mixture(), &what);
        // and the stream is the in-memory fit
        let c = em.fit(&weighted).unwrap();
        assert_same_fit(&a, &c, a.mixture(), c.mixture(), &what);
    }
}

#[test]
fn non_integer_weights_keep_working() {
    // a weight of 0.5 is half a point: halving every weight changes no seeding draw, and
    // the fit is the unweighted one (the bounds are per unit of weight)
    let data = synthetic::draw(&synthetic::two_d_three_clusters(), 90, 2)
        .unwrap()
        .data;
    let halves = data.clone().with_weights(vec![0.5; 90]).unwrap();
    for method in METHODS {
        let em = EmParams::new(3)
            .init(method.clone())
            .seed(4)
            .tol(0.0)
            .max_iter(10);
        let (a, b) = (em.fit(&data).unwrap(), em.fit(&halves).unwrap());
        assert_same_fit(&a, &b, a.mixture(), b.mixture(), method.name());
        // uneven fractional weights fit too
        let uneven: Vec<f64> = (0..90).map(|i| 0.25 + (i % 5) as f64 * 0.6).collect();
        let fit = em.fit(&data.clone().with_weights(uneven).unwrap()).unwrap();
        assert!(fit.lower_bounds().iter().all(|b| b.is_finite()));
    }
}
