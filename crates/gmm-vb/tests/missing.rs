//! VB with missing coordinates (docs/vb.md, "Missing values"): at the E-step's own
//! posterior the ELBO's data terms equal the sum of the log normalisers (the identity that
//! holds only when the E-step is the exact maximiser over `q(Z, X_m)` and the ELBO counts
//! every term of the missing coordinates); the ELBO never falls under MCAR missingness;
//! complete data read with the option fit the same bit for bit.

use gmm_core::nalgebra::{DMatrix, DVector};
use gmm_core::{
    CovarianceType, Covariances, Dataset, FittedModel, GaussianMixture, InitMethod, MissingPolicy,
    MixtureModel,
};
use gmm_test_support::missing_completely_at_random;
use gmm_vb::{VbParams, elbo, iterate, m_step};

const TYPES: [CovarianceType; 4] = [
    CovarianceType::Full,
    CovarianceType::Tied,
    CovarianceType::Diagonal,
    CovarianceType::Spherical,
];

/// A 3-component mixture in 3-D (full covariances) to draw from.
fn truth() -> GaussianMixture {
    let weights = DVector::from_row_slice(&[0.5, 0.3, 0.2]);
    let means = DMatrix::from_row_slice(3, 3, &[0.0, 0.0, 0.0, 4.0, 1.0, -2.0, -3.0, 4.0, 2.0]);
    let cov = DMatrix::from_row_slice(3, 3, &[1.0, 0.4, 0.2, 0.4, 1.5, -0.3, 0.2, -0.3, 0.8]);
    GaussianMixture::new(weights, means, Covariances::Full(vec![cov; 3])).unwrap()
}

/// `n` points of [`truth`] with each value missing with probability `rate` (MCAR), never a
/// whole row.
fn sample_with_missing(n: usize, rate: f64, seed: u64) -> Dataset {
    let (complete, _) = truth().sample_seeded(n, seed).unwrap();
    missing_completely_at_random(&complete, rate, seed + 100)
}

#[test]
fn at_the_e_steps_own_posterior_the_data_terms_equal_the_log_normalisers() {
    for t in TYPES {
        let data = sample_with_missing(300, 0.3, 5);
        let params = VbParams::new(3).covariance_type(t);
        let priors = params.resolve_priors(&data).unwrap();
        let init = InitMethod::KMeans
            .initial_responsibilities(&data.mean_imputed(), 3, 0)
            .unwrap();
        let kind = t.scatter_kind();
        let mut state = m_step(&init.sufficient_stats(&data, kind), &priors, t, 1e-6).unwrap();
        for _ in 0..3 {
            state = iterate(&data, &state, &priors, 1e-6).unwrap().0;
        }
        let out = state.kernel().unwrap().e_step(&data, kind).unwrap();
        assert!(out.missing_entropy_sum != 0.0);
        let terms = elbo(&state, &priors, &out.stats, out.resp_log_resp_sum)
            .with_missing_entropy(out.missing_entropy_sum);
        let data_terms = terms.log_likelihood
            + terms.log_p_z
            + terms.responsibility_entropy
            + terms.missing_entropy;
        let error = (data_terms - out.log_norm_sum).abs() / out.log_norm_sum.abs();
        assert!(
            error < 1e-10,
            "{t}: {data_terms} against {}",
            out.log_norm_sum
        );
    }
}

#[test]
fn the_elbo_never_falls_under_mcar_missingness() {
    for (i, t) in TYPES.into_iter().enumerate() {
        for rate in [0.1, 0.25, 0.4] {
            let data = sample_with_missing(400, rate, 10 + i as u64);
            let fit = VbParams::new(3)
                .covariance_type(t)
                .tol(0.0)
                .max_iter(40)
                .seed(3)
                .fit(&data)
                .unwrap();
            let bounds = fit.lower_bounds();
            assert_eq!(bounds.len(), 40);
            for w in bounds.windows(2) {
                let fall = w[0] - w[1];
                assert!(
                    fall <= 1e-10 * w[0].abs(),
                    "{t} at {rate}: {} then {}",
                    w[0],
                    w[1]
                );
            }
            assert!(fit.score(&data).unwrap().is_finite());
        }
    }
}

#[test]
fn complete_data_fit_the_same_bit_for_bit_with_the_option_on() {
    let (complete, _) = truth().sample_seeded(300, 8).unwrap();
    let values = complete.as_slice().to_vec();
    let marked =
        Dataset::from_row_major_with_policy(300, 3, values, MissingPolicy::Marginalise).unwrap();
    let params = VbParams::new(3).tol(0.0).max_iter(10).seed(1);
    let (a, b) = (params.fit(&complete).unwrap(), params.fit(&marked).unwrap());
    let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(a.lower_bounds()), bits(b.lower_bounds()));
}

#[test]
fn the_predictive_density_of_a_point_with_a_missing_coordinate_is_its_integral() {
    let (complete, _) = truth().sample_seeded(200, 4).unwrap();
    let first_two: Vec<f64> = complete.rows().flat_map(|x| [x[0], x[1]]).collect();
    let data = Dataset::from_row_major(200, 2, first_two).unwrap();
    for t in TYPES {
        let fit = VbParams::new(2)
            .covariance_type(t)
            .seed(1)
            .fit(&data)
            .unwrap();
        for (x0, missing_first) in [(0.3, false), (3.5, true), (-2.0, false)] {
            let point = |v: f64| if missing_first { [v, x0] } else { [x0, v] };
            let query =
                Dataset::from_rows_with_policy(&[point(f64::NAN)], MissingPolicy::Marginalise)
                    .unwrap();
            let marginal = fit.score_samples(&query).unwrap()[0];
            // the full predictive density integrated over the missing coordinate, by the
            // midpoint rule after v = 2 tan(theta) (the Student-t tails of components with
            // few points are heavy: a finite range would miss their mass)
            let steps = 200_000;
            let h = std::f64::consts::PI / steps as f64;
            let thetas: Vec<f64> = (0..steps)
                .map(|i| -std::f64::consts::FRAC_PI_2 + h * (i as f64 + 0.5))
                .collect();
            let grid: Vec<[f64; 2]> = thetas.iter().map(|t| point(2.0 * t.tan())).collect();
            let densities = fit
                .score_samples(&Dataset::from_rows(&grid).unwrap())
                .unwrap();
            let integral: f64 = densities
                .iter()
                .zip(&thetas)
                .map(|(v, t)| v.exp() * 2.0 / (t.cos() * t.cos()) * h)
                .sum();
            let error = (marginal - integral.ln()).abs();
            assert!(error < 1e-8, "{t}: {marginal} against {}", integral.ln());
        }
    }
}

#[test]
fn the_cavi_model_refuses_missing_values() {
    let data = sample_with_missing(50, 0.2, 9);
    let err = gmm_vb::cavi::CaviParams::new(2).fit(&data).unwrap_err();
    assert!(
        matches!(
            err,
            gmm_core::GmmError::InvalidParameter { name: "data", .. }
        ),
        "{err}"
    );
}

#[test]
fn a_column_without_an_observed_value_is_refused_in_memory_and_as_a_source() {
    let mut values = truth().sample_seeded(100, 3).unwrap().0.as_slice().to_vec();
    for row in values.chunks_exact_mut(3) {
        row[1] = f64::NAN;
    }
    let data =
        Dataset::from_row_major_with_policy(100, 3, values, MissingPolicy::Marginalise).unwrap();
    let refused = gmm_core::GmmError::AllMissingColumn { column: 1 };
    assert_eq!(VbParams::new(2).fit(&data).unwrap_err(), refused);
    let mut source = &data;
    assert_eq!(
        VbParams::new(2).fit_source(&mut source).unwrap_err(),
        refused
    );
}
