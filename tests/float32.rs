//! Single-precision data end to end (docs/performance.md, "float32"): a fit of `f32` points
//! runs its E-step in `f32` lanes, ends within 1e-5 of the `f64` fit of the same values,
//! keeps its bound rising, gives the same bits on any number of threads, and falls back to
//! `f64` lanes where the model or the data's spread is beyond what `f32` resolves.

use gmm::core::{
    CovarianceType, DataSource, Dataset, EStepKernel, FittedModel, GaussianMixture, MixtureModel,
    Precision, ScatterKind, SliceSource, synthetic,
};
use gmm::em::EmParams;
use gmm::vb::VbParams;
use nalgebra::{DMatrix, DVector};

/// Points of a well-separated mixture, as `f32` and as the same values in `f64`.
fn points(n: usize, d: usize, k: usize, seed: u64) -> (Vec<f32>, Vec<f64>) {
    let data = synthetic::draw(&synthetic::separated(k, d), n, seed)
        .unwrap()
        .data;
    let narrow: Vec<f32> = data.as_slice().iter().map(|&x| x as f32).collect();
    let wide = narrow.iter().map(|&x| f64::from(x)).collect();
    (narrow, wide)
}

/// Largest `|a - b|` over the parameters of two mixtures, relative to the largest `|b|`
/// of each kind of parameter (weights, means, covariances).
fn parameter_gap(a: &GaussianMixture, b: &GaussianMixture) -> f64 {
    let rel = |x: &DMatrix<f64>, y: &DMatrix<f64>| (x - y).abs().max() / y.abs().max();
    let weights = |g: &GaussianMixture| {
        DMatrix::from_column_slice(g.n_components(), 1, g.weights().as_slice())
    };
    let d = a.n_features();
    let covariances = |g: &GaussianMixture| {
        let blocks: Vec<f64> = (0..g.n_components())
            .flat_map(|c| {
                g.covariances()
                    .full_matrix(c, d)
                    .iter()
                    .copied()
                    .collect::<Vec<_>>()
            })
            .collect();
        DMatrix::from_vec(blocks.len(), 1, blocks)
    };
    rel(&weights(a), &weights(b))
        .max(rel(a.means(), b.means()))
        .max(rel(&covariances(a), &covariances(b)))
}

/// The bound never falls by more than `slack` of its size.
fn assert_rising(bounds: &[f64], slack: f64, what: &str) {
    for (t, w) in bounds.windows(2).enumerate() {
        assert!(
            w[1] >= w[0] - slack * w[0].abs(),
            "{what}: bound fell at iteration {}: {} -> {}",
            t + 2,
            w[0],
            w[1]
        );
    }
}

#[test]
fn em_on_f32_points_matches_the_f64_fit_within_1e_5() {
    let (narrow, wide) = points(20_000, 4, 3, 11);
    for ct in CovarianceType::ALL {
        let params = EmParams::new(3)
            .covariance_type(ct)
            .tol(0.0)
            .max_iter(25)
            .seed(5);
        let single = params
            .fit_source(&mut SliceSource::from_f32(&narrow, 4).unwrap())
            .unwrap();
        let double = params
            .fit_source(&mut SliceSource::new(&wide, 4).unwrap())
            .unwrap();
        assert_eq!(single.fit_record().single_precision_steps(), 25, "{ct:?}");
        assert_eq!(double.fit_record().single_precision_steps(), 0, "{ct:?}");
        let gap = parameter_gap(single.mixture(), double.mixture());
        assert!(gap <= 1e-5, "{ct:?}: parameters {gap:e} apart");
        let last = |f: &gmm::em::EmFit| *f.lower_bounds().last().unwrap();
        let bound_gap = (last(&single) - last(&double)).abs() / last(&double).abs();
        assert!(bound_gap <= 1e-6, "{ct:?}: bounds {bound_gap:e} apart");
        // rising to the f32 rounding of the mean log-likelihood
        assert_rising(single.lower_bounds(), 1e-7, &format!("EM {ct:?}"));
    }
}

#[test]
fn vb_on_f32_points_matches_the_f64_fit_within_1e_5() {
    let (narrow, wide) = points(20_000, 3, 3, 12);
    for ct in CovarianceType::ALL {
        let params = VbParams::new(4)
            .covariance_type(ct)
            .tol(0.0)
            .max_iter(25)
            .seed(6);
        let single = params
            .fit_source(&mut SliceSource::from_f32(&narrow, 3).unwrap())
            .unwrap();
        let double = params
            .fit_source(&mut SliceSource::new(&wide, 3).unwrap())
            .unwrap();
        assert_eq!(single.fit_record().single_precision_steps(), 25, "{ct:?}");
        let gap = parameter_gap(
            single.model().point_estimate(),
            double.model().point_estimate(),
        );
        assert!(gap <= 1e-5, "{ct:?}: parameters {gap:e} apart");
        assert_rising(single.lower_bounds(), 1e-7, &format!("VB {ct:?}"));
    }
}

#[test]
fn f32_fits_are_the_same_bits_on_any_number_of_threads() {
    let (narrow, _) = points(70_000, 5, 4, 13);
    let fit = |threads: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| {
                EmParams::new(4)
                    .tol(0.0)
                    .max_iter(5)
                    .seed(1)
                    .fit_source(&mut SliceSource::from_f32(&narrow, 5).unwrap())
                    .unwrap()
            })
    };
    let (one, two) = (fit(1), fit(2));
    assert_eq!(one.mixture(), two.mixture());
    assert_eq!(one.lower_bounds(), two.lower_bounds());
}

#[test]
fn f32_points_far_apart_fall_back_to_f64_lanes_with_the_f64_result() {
    // Two clusters 1e6 apart with unit spread: differences from the first point lose the
    // spread's digits in f32, so every E-step runs in f64 lanes on the widened values.
    let mut narrow = Vec::new();
    for i in 0..4000 {
        let centre = if i % 2 == 0 { 0.0 } else { 1e6 };
        let t = i as f32 * 0.618;
        narrow.extend([centre + t.sin(), centre + (1.7 * t).cos()]);
    }
    let wide: Vec<f64> = narrow.iter().map(|&x| f64::from(x)).collect();
    let params = EmParams::new(2).tol(0.0).max_iter(10).seed(2);
    let single = params
        .fit_source(&mut SliceSource::from_f32(&narrow, 2).unwrap())
        .unwrap();
    let double = params
        .fit_source(&mut SliceSource::new(&wide, 2).unwrap())
        .unwrap();
    assert_eq!(single.fit_record().single_precision_steps(), 0);
    assert_eq!(single.mixture(), double.mixture());
    assert_eq!(single.lower_bounds(), double.lower_bounds());
}

#[test]
fn the_error_estimate_grows_with_conditioning_and_distance() {
    let kernel = |variances: [f64; 2], mean: [f64; 2]| {
        let gm = GaussianMixture::new(
            DVector::from_vec(vec![1.0]),
            DMatrix::from_row_slice(1, 2, &mean),
            gmm::core::Covariances::Full(vec![DMatrix::from_diagonal(&DVector::from_vec(
                variances.to_vec(),
            ))]),
        )
        .unwrap();
        gm.kernel().clone()
    };
    let error = |k: &EStepKernel| k.single_precision_error(&[0.0, 0.0]);
    let unit = kernel([1.0, 1.0], [0.0, 0.0]);
    // e = eps ||P||_F (||m - o|| + 2 ||P^-1||_F) = 2^-24 sqrt(2) (0 + 2 sqrt(2)) = 2^-22
    assert!((error(&unit) - 2f64.powi(-22)).abs() < 1e-20);
    assert!(error(&unit) <= gmm::core::SINGLE_PRECISION_LIMIT);
    let stretched = kernel([1e-8, 1.0], [0.0, 0.0]);
    assert!(error(&stretched) > gmm::core::SINGLE_PRECISION_LIMIT);
    let far = kernel([1.0, 1.0], [1e6, 0.0]);
    assert!(error(&far) > gmm::core::SINGLE_PRECISION_LIMIT);
    // The factors' norms are kept after the first call; the distance is the origin's: the
    // same kernel asked about another origin answers as a fresh one, a clone as the original,
    // and keeping the norms does not make two kernels unequal.
    let stretched_far = |k: &EStepKernel| k.single_precision_error(&[1e3, -2.0]);
    let fresh = kernel([1e-8, 1.0], [0.0, 0.0]);
    assert_eq!(stretched_far(&stretched), stretched_far(&fresh));
    assert!(stretched_far(&stretched) > error(&stretched));
    assert_eq!(error(&stretched.clone()), error(&stretched));
    assert_eq!(stretched, kernel([1e-8, 1.0], [0.0, 0.0]));
    // and the E-step says which lanes it used
    let data = Dataset::from_rows(&[[0.5, -0.5], [1.0, 2.0]]).unwrap();
    let values: Vec<f32> = data.as_slice().iter().map(|&x| x as f32).collect();
    for (k, lanes) in [(&unit, Precision::F32), (&stretched, Precision::F64)] {
        let mut out = gmm::core::EStepOutput::zeros(1, data.row(0), ScatterKind::Full);
        k.e_step_batch(
            (&values[..]).into(),
            None,
            data.row(0),
            ScatterKind::Full,
            &mut out,
        )
        .unwrap();
        assert_eq!(out.lanes, lanes);
    }
    let _ = SliceSource::new(data.as_slice(), 2).unwrap().n_features();
}
