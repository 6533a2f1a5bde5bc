//! Properties of gmm-core over generated inputs: data validation, responsibilities,
//! sufficient statistics, component permutation, sampling. See docs/testing.md.

mod common;

use common::{
    close, config, mixture_spec, permutation, permute_components, random_responsibilities, sample,
    stats_close,
};
use gmm::core::{Dataset, GmmError, InitMethod, MixtureModel, ScatterKind, SufficientStats};
use proptest::prelude::*;
use rand::{SeedableRng, rngs::StdRng};

/// Relative tolerance of statistics computed in a different order: a few hundred roundings
/// of sums of at most ~10^3 terms.
const STATS_REL: f64 = 1e-10;

fn scatter_kind(i: usize) -> ScatterKind {
    if i.is_multiple_of(2) {
        ScatterKind::Full
    } else {
        ScatterKind::Diagonal
    }
}

/// Points `n x d` with values in a box of half-width `scale` around `offset`.
fn points_strategy(max_n: usize) -> impl Strategy<Value = (usize, usize, Vec<f64>)> {
    (
        1usize..=max_n,
        1usize..=6,
        prop_oneof![Just(0.0), Just(1e6), -1e3..1e3f64],
    )
        .prop_flat_map(|(n, d, offset)| {
            proptest::collection::vec(-50.0..50.0f64, n * d)
                .prop_map(move |v| (n, d, v.into_iter().map(|x| x + offset).collect()))
        })
}

proptest! {
    #![proptest_config(config())]

    /// A value that is NaN, +inf or -inf anywhere is reported at its row and column.
    #[test]
    fn non_finite_values_are_located(
        (n, d, mut values) in points_strategy(40),
        which in 0usize..3,
        pos_seed in any::<usize>(),
    ) {
        let bad = [f64::NAN, f64::INFINITY, f64::NEG_INFINITY][which];
        let pos = pos_seed % (n * d);
        values[pos] = bad;
        match Dataset::from_row_major(n, d, values.clone()) {
            Err(GmmError::NonFinite { row, column, value }) => {
                prop_assert_eq!((row, column), (pos / d, pos % d));
                prop_assert!(value.to_bits() == bad.to_bits() || (value.is_nan() && bad.is_nan()));
            }
            other => prop_assert!(false, "expected NonFinite, got {:?}", other),
        }
        let rows: Vec<Vec<f64>> = values.chunks(d).map(<[f64]>::to_vec).collect();
        let is_non_finite = matches!(Dataset::from_rows(&rows), Err(GmmError::NonFinite { .. }));
        prop_assert!(is_non_finite);
    }

    /// Rows of unequal length are reported at the first offending row.
    #[test]
    fn ragged_rows_are_located((n, d, values) in points_strategy(30), cut in any::<usize>(), extra in any::<bool>()) {
        prop_assume!(n >= 2);
        let mut rows: Vec<Vec<f64>> = values.chunks(d).map(<[f64]>::to_vec).collect();
        let r = 1 + cut % (n - 1);
        if extra { rows[r].push(1.0) } else { rows[r].pop(); }
        prop_assert_eq!(
            Dataset::from_rows(&rows),
            Err(GmmError::RaggedRow { row: r, expected: d, found: rows[r].len() })
        );
    }

    /// Responsibilities are in [0, 1] and sum to 1 per point, also for points far outside
    /// the mixture; the log densities are finite.
    #[test]
    fn responsibilities_are_a_distribution(spec in mixture_spec(5), n in 1usize..200, seed in any::<u64>(), far in prop_oneof![Just(1.0), Just(1e3), Just(1e6)]) {
        let gm = spec.build(10.0);
        let data = sample(&gm, n, seed);
        let shifted: Vec<f64> = data.as_slice().iter().map(|x| x * far).collect();
        let data = Dataset::from_row_major(n, spec.d, shifted).unwrap();
        let p = gm.predict_proba(&data).unwrap();
        prop_assert_eq!(p.shape(), (n, spec.k));
        let log_density = gm.score_samples(&data).unwrap();
        prop_assert!(log_density.iter().all(|v| v.is_finite()));
        for (i, ld) in log_density.iter().enumerate() {
            let row = p.row(i);
            prop_assert!(row.iter().all(|v| (0.0..=1.0).contains(v)), "row {}: {}", i, row);
            // ln r_nk = ln rho_nk - logsumexp: both of magnitude |ln p(x_n)|, so each
            // log responsibility carries an absolute rounding error of a few ulps of it.
            let tol = 1e-13 + 4.0 * f64::EPSILON * spec.k as f64 * ld.abs();
            prop_assert!((row.sum() - 1.0).abs() <= tol, "row {} sums to {} (tolerance {:e})", i, row.sum(), tol);
        }
        let labels = gm.predict(&data).unwrap();
        prop_assert!(labels.iter().all(|&l| l < spec.k));
        prop_assert!((gm.weights().sum() - 1.0).abs() <= 1e-12);
    }

    /// Merging the statistics of consecutive chunks, each with its own origin, equals the
    /// statistics of all the points at once.
    #[test]
    fn merge_of_any_split_equals_the_whole(
        (n, d, values) in points_strategy(120),
        k in 1usize..5,
        kind in 0usize..2,
        seed in any::<u64>(),
        cuts in proptest::collection::vec(any::<usize>(), 0..6),
    ) {
        let kind = scatter_kind(kind);
        let resp = random_responsibilities(n, k, seed);
        let origin = &values[..d];
        let whole = SufficientStats::from_chunk(&values, &resp, None, k, origin, kind);
        let mut bounds: Vec<usize> = cuts.iter().map(|c| c % (n + 1)).collect();
        bounds.extend([0, n]);
        bounds.sort_unstable();
        bounds.dedup();
        let mut merged = SufficientStats::zeros(k, &values[(n - 1) * d..], kind);
        for w in bounds.windows(2) {
            let (a, b) = (w[0], w[1]);
            let chunk = &values[a * d..b * d];
            let part = SufficientStats::from_chunk(chunk, &resp[a * k..b * k], None, k, &chunk[..d], kind);
            merged.merge(&part);
        }
        if let Err(e) = stats_close(&merged, &whole, STATS_REL) { prop_assert!(false, "{}", e); }
        prop_assert!((merged.total() - n as f64).abs() <= 1e-9 * n as f64);
    }

    /// The statistics do not depend on the order of the points.
    #[test]
    fn order_of_points_does_not_matter(
        (n, d, values) in points_strategy(120),
        k in 1usize..5,
        kind in 0usize..2,
        seed in any::<u64>(),
    ) {
        let kind = scatter_kind(kind);
        let resp = random_responsibilities(n, k, seed);
        let perm = permutation(n, seed.wrapping_add(1));
        let mut pv = Vec::with_capacity(n * d);
        let mut pr = Vec::with_capacity(n * k);
        for &i in &perm {
            pv.extend_from_slice(&values[i * d..(i + 1) * d]);
            pr.extend_from_slice(&resp[i * k..(i + 1) * k]);
        }
        let a = SufficientStats::from_chunk(&values, &resp, None, k, &values[..d], kind);
        let b = SufficientStats::from_chunk(&pv, &pr, None, k, &pv[..d], kind);
        if let Err(e) = stats_close(&b, &a, STATS_REL) { prop_assert!(false, "{}", e); }
    }

    /// The E-step of a mixture over the whole data equals the merge of its E-steps over two
    /// halves, and it does not depend on the order of the points.
    #[test]
    fn e_step_merges_and_ignores_order(spec in mixture_spec(4), n in 2usize..300, seed in any::<u64>(), cut in any::<usize>()) {
        let gm = spec.build(5.0);
        let data = sample(&gm, n, seed);
        let kind = spec.covariance_type.scatter_kind();
        let whole = gm.kernel().e_step(&data, kind).unwrap();
        let c = 1 + cut % (n - 1);
        let first: Vec<usize> = (0..c).collect();
        let rest: Vec<usize> = (c..n).collect();
        let mut merged = gm.kernel().e_step(&data.select(&first).unwrap(), kind).unwrap();
        let other = gm.kernel().e_step(&data.select(&rest).unwrap(), kind).unwrap();
        merged.stats.merge(&other.stats);
        if let Err(e) = stats_close(&merged.stats, &whole.stats, STATS_REL) { prop_assert!(false, "{}", e); }
        prop_assert!(close(merged.log_norm_sum + other.log_norm_sum, whole.log_norm_sum, 1e-11, 1.0));
        let shuffled = data.select(&permutation(n, seed ^ 0x5eed)).unwrap();
        let again = gm.kernel().e_step(&shuffled, kind).unwrap();
        if let Err(e) = stats_close(&again.stats, &whole.stats, STATS_REL) { prop_assert!(false, "{}", e); }
        prop_assert!(close(again.log_norm_sum, whole.log_norm_sum, 1e-11, 1.0));
        prop_assert!(close(again.resp_log_resp_sum, whole.resp_log_resp_sum, 1e-10, 1.0));
        prop_assert_eq!(whole.n_samples, n);
    }

    /// Permuting the components leaves the density unchanged and permutes the
    /// responsibilities' columns.
    #[test]
    fn permuting_components_permutes_responsibilities(spec in mixture_spec(5), n in 1usize..150, seed in any::<u64>()) {
        let gm = spec.build(6.0);
        let perm = permutation(spec.k, seed);
        let pg = permute_components(&gm, &perm);
        let data = sample(&gm, n, seed.wrapping_add(7));
        let (s, ps) = (gm.score_samples(&data).unwrap(), pg.score_samples(&data).unwrap());
        for (a, b) in s.iter().zip(&ps) {
            prop_assert!(close(*a, *b, 1e-13, 1.0), "{} vs {}", a, b);
        }
        let (p, pp) = (gm.predict_proba(&data).unwrap(), pg.predict_proba(&data).unwrap());
        for i in 0..n {
            for (new, &old) in perm.iter().enumerate() {
                prop_assert!((pp[(i, new)] - p[(i, old)]).abs() <= 1e-13, "point {}", i);
            }
        }
        prop_assert!(close(gm.score(&data).unwrap(), pg.score(&data).unwrap(), 1e-13, 1.0));
    }

    /// Sampling is a function of the seed; its labels are valid and the points finite.
    #[test]
    fn sampling_is_seeded(spec in mixture_spec(4), n in 1usize..300, seed in any::<u64>()) {
        let gm = spec.build(10.0);
        let (a, la) = gm.sample(n, &mut StdRng::seed_from_u64(seed)).unwrap();
        let (b, lb) = gm.sample(n, &mut StdRng::seed_from_u64(seed)).unwrap();
        prop_assert_eq!(&a, &b);
        prop_assert_eq!(&la, &lb);
        prop_assert_eq!((a.n_samples(), a.n_features()), (n, spec.d));
        prop_assert!(la.iter().all(|&l| l < spec.k));
    }

    /// Every initialisation gives valid responsibilities: hard labels in 0..K, soft rows
    /// that sum to 1; the same seed gives the same responsibilities.
    #[test]
    fn initialisation_is_valid_and_seeded(spec in mixture_spec(4), n in 1usize..150, seed in any::<u64>(), method in 0usize..4) {
        let gm = spec.build(10.0);
        let data = sample(&gm, n, seed);
        let method = [InitMethod::KMeans, InitMethod::KMeansPlusPlus, InitMethod::Random, InitMethod::RandomFromData][method].clone();
        let k = spec.k;
        if k > n {
            let too_few = matches!(method.initial_responsibilities(&data, k, seed), Err(GmmError::TooFewSamples { .. }));
            prop_assert!(too_few);
            return Ok(());
        }
        let a = method.initial_responsibilities(&data, k, seed).unwrap();
        let b = method.initial_responsibilities(&data, k, seed).unwrap();
        prop_assert_eq!(&a, &b);
        prop_assert_eq!(a.n_components(), k);
        let stats = a.sufficient_stats(&data, ScatterKind::Full);
        prop_assert!((stats.total() - n as f64).abs() <= 1e-9 * n as f64);
        prop_assert!(stats.n_k().iter().all(|v| *v >= 0.0));
    }
}
