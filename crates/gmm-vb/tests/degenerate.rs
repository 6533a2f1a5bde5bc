//! Degenerate data that scikit-learn's `BayesianGaussianMixture` fits: a constant column,
//! collinear columns, as many points as features, every point the same. The data covariance
//! (the default covariance prior) is singular there; the fit falls back to the data
//! covariance with a ridge on its diagonal (docs/vb.md, section "Priors") and must finish
//! with a finite, never decreasing ELBO and finite predictive densities, for every
//! covariance type and both weight priors. A covariance prior the user gives must still be
//! positive definite.

use gmm_core::{CovarianceType, Covariances, Dataset, FittedModel, GmmError, MixtureModel};
use gmm_vb::{RegCovarRule, VbModel, VbParams, WeightPrior};
use nalgebra::DMatrix;

const PRIORS: [WeightPrior; 2] = [
    WeightPrior::DirichletProcess {
        concentration: None,
    },
    WeightPrior::DirichletDistribution {
        concentration: None,
    },
];

/// Relative tolerance of the monotonicity check. Rounding alone: the ridged prior's
/// condition number reaches about 1e6 (its ridge is 1e-6 of each variance), and falls of
/// 1.2e-10 (N = D) and 1.6e-9 (a column the sum of two) were measured with `reg_covar = 0`.
/// With `reg_covar > 0` the fallback prior brings `RegCovarRule::PointNoise`, under which
/// every step maximises the bound too; under scikit-learn's rule the bound fell by 5.0e-6
/// relative on N = D with full covariances (docs/vb.md, "reg_covar and the bound").
const MONOTONE_REL_TOL: f64 = 1e-8;

/// A deterministic, irregular coordinate in `[0, span)`.
fn wave(i: usize, step: f64, span: f64) -> f64 {
    (i as f64 * step) % span
}

/// 200 points in 3-D whose third column is constant.
fn constant_column() -> Dataset {
    let rows: Vec<[f64; 3]> = (0..200)
        .map(|i| [wave(i, 0.37, 5.0), wave(i, 0.61, 3.0), 7.5])
        .collect();
    Dataset::from_rows(&rows).unwrap()
}

/// 50 points on the line y = 2x.
fn line() -> Dataset {
    let rows: Vec<[f64; 2]> = (0..50)
        .map(|i| {
            let x = wave(i, 0.37, 5.0);
            [x, 2.0 * x]
        })
        .collect();
    Dataset::from_rows(&rows).unwrap()
}

/// `n` points in 3-D in general position (`n = D + 1 = 4`: the covariance has full rank by
/// a hair; `n = D = 3`: it is singular).
fn few_points(n: usize) -> Dataset {
    let rows = [
        [0.0, 1.0, 2.0],
        [1.5, -0.5, 0.25],
        [-2.0, 0.75, 1.0],
        [0.5, 2.5, -1.5],
    ];
    Dataset::from_rows(&rows[..n]).unwrap()
}

/// 50 copies of one point.
fn identical() -> Dataset {
    Dataset::from_rows(&vec![[3.0, -1.0, 0.5]; 50]).unwrap()
}

/// 120 points in 4-D whose last column is the sum of the first two.
fn sum_column() -> Dataset {
    let rows: Vec<[f64; 4]> = (0..120)
        .map(|i| {
            let (a, b, c) = (wave(i, 0.37, 5.0), wave(i, 0.61, 3.0), wave(i, 0.83, 2.0));
            [a, b, c, a + b]
        })
        .collect();
    Dataset::from_rows(&rows).unwrap()
}

fn degenerate_sets() -> Vec<(&'static str, Dataset)> {
    vec![
        ("constant column", constant_column()),
        ("line y = 2x", line()),
        ("N = D + 1", few_points(4)),
        ("N = D", few_points(3)),
        ("one point", few_points(1)),
        ("identical points", identical()),
        ("column = sum of two", sum_column()),
    ]
}

/// The fit finishes with a finite ELBO that never decreases, finite predictive densities,
/// and a positive definite covariance prior that the model file carries.
fn assert_sound_fit(what: &str, params: VbParams, data: &Dataset) {
    let tolerance = MONOTONE_REL_TOL;
    let fit = params
        .fit(data)
        .unwrap_or_else(|e| panic!("{what}: the fit failed: {e}"));
    let bounds = fit.lower_bounds();
    assert!(!bounds.is_empty(), "{what}");
    assert!(bounds.iter().all(|b| b.is_finite()), "{what}: {bounds:?}");
    assert!(fit.elbo().is_finite(), "{what}");
    for (t, w) in bounds.windows(2).enumerate() {
        assert!(
            w[1] >= w[0] - tolerance * w[0].abs(),
            "{what}: the ELBO fell at iteration {}: {} -> {}",
            t + 1,
            w[0],
            w[1]
        );
    }
    let log_density = fit.score_samples(data).unwrap();
    assert!(
        log_density.iter().all(|l| l.is_finite()),
        "{what}: {log_density:?}"
    );
    let prior = &fit.priors().covariance;
    assert!(prior.precision_cholesky().is_ok(), "{what}: {prior:?}");
    let back = VbModel::from_json(&fit.to_model_file().to_json()).unwrap();
    assert_eq!(back.priors().covariance, *prior, "{what}");
}

#[test]
fn default_fits_finish_on_degenerate_data() {
    for (what, data) in degenerate_sets() {
        let k = 3.min(data.n_samples());
        for ct in CovarianceType::ALL {
            for wp in PRIORS {
                for reg in [1e-6, 0.0] {
                    let params = VbParams::new(k)
                        .covariance_type(ct)
                        .weight_prior(wp)
                        .reg_covar(reg);
                    let label = format!("{what}, {ct}, {}, reg_covar {reg:e}", wp.name());
                    assert_sound_fit(&label, params, &data);
                }
            }
        }
    }
}

/// More components than distinct points: the surplus components stay at the (ridged)
/// prior and the fit is sound.
#[test]
fn more_components_than_distinct_points() {
    let rows: Vec<[f64; 2]> = (0..40).map(|i| [(i % 2) as f64, 1.0]).collect();
    let two_points = Dataset::from_rows(&rows).unwrap();
    for (what, data) in [("identical", identical()), ("two distinct", two_points)] {
        for ct in CovarianceType::ALL {
            let params = VbParams::new(5).covariance_type(ct);
            assert_sound_fit(&format!("{what}, K = 5, {ct}"), params, &data);
        }
    }
}

/// Relative tolerance between the ridged prior and the data covariance plus the ridge
/// computed here: the same sums, rounded once more or less.
const STATISTICS_REL_TOL: f64 = 1e-13;

fn assert_close(ours: f64, want: f64, scale: f64, what: &str) {
    assert!(
        (ours - want).abs() <= STATISTICS_REL_TOL * scale,
        "{what}: {ours} vs {want}"
    );
}

/// The data covariance (`ddof = 1`) as the default prior computes it: from the statistics
/// of one pass ([`gmm_core::data_statistics`]), within 1e-12 of `Dataset::covariance`.
fn data_covariance(data: &Dataset) -> DMatrix<f64> {
    let mut source = data;
    let stats = gmm_core::data_statistics(
        &mut gmm_core::Passes::new(&mut source),
        gmm_core::ScatterKind::Full,
    )
    .unwrap();
    let cov = stats.scatter(0) / (data.n_samples() as f64 - 1.0).max(1.0);
    let direct = data.covariance(1);
    let gap = (&cov - &direct).abs().max();
    assert!(gap <= 1e-12 * direct.abs().max().max(1.0), "gap {gap:e}");
    cov
}

/// The fallback is the data covariance plus `1e-6 var_j` on a varying column and
/// `reg_covar` on a constant one; where the default is positive definite it is untouched.
#[test]
fn the_resolved_prior_is_the_ridged_data_covariance() {
    let data = constant_column();
    let cov = data_covariance(&data);
    let scale = cov.amax();
    let full = VbParams::new(2)
        .resolve_priors(&data)
        .unwrap()
        .covariance_matrix();
    for a in 0..3 {
        for b in 0..3 {
            let ridge = match (a == b, a) {
                (false, _) => 0.0,
                (true, 2) => 1e-6,
                (true, _) => 1e-6 * cov[(a, a)],
            };
            assert_close(
                full[(a, b)],
                cov[(a, b)] + ridge,
                scale,
                &format!("({a}, {b})"),
            );
        }
    }
    // the constant column's variance is exactly 0, so its ridge is exactly reg_covar
    assert_eq!(full[(2, 2)], 1e-6);
    // spherical: the mean variance is positive, so no ridge; one number, not a matrix
    let spherical = VbParams::new(2)
        .covariance_type(CovarianceType::Spherical)
        .resolve_priors(&data)
        .unwrap()
        .covariance;
    let Covariances::Spherical(s) = spherical else {
        panic!("a spherical prior is one number: {spherical:?}")
    };
    assert_close(s[0], cov.diagonal().mean(), scale, "spherical");
    // N = D + 1 points in general position: the data covariance has full rank, no ridge
    let four = few_points(4);
    let prior = VbParams::new(2)
        .resolve_priors(&four)
        .unwrap()
        .covariance_matrix();
    assert_eq!(prior, data_covariance(&four));
    // a column the sum of two others: the plain factorisation succeeds on a pivot of
    // rounding size, but the prior still gets the ridge
    let summed = sum_column();
    let cov = data_covariance(&summed);
    assert!(gmm_core::cholesky_lower(0, &cov).is_ok());
    let prior = VbParams::new(2)
        .resolve_priors(&summed)
        .unwrap()
        .covariance_matrix();
    for j in 0..4 {
        let want = cov[(j, j)] + 1e-6 * cov[(j, j)];
        assert_close(prior[(j, j)], want, cov.amax(), &format!("column {j}"));
    }
    // every point the same, reg_covar 0: a unit ridge
    let unit = VbParams::new(1)
        .reg_covar(0.0)
        .resolve_priors(&identical())
        .unwrap()
        .covariance_matrix();
    assert_eq!(unit, DMatrix::identity(3, 3));
}

/// A covariance prior the user gives is used as given: one that is not positive definite
/// is refused, naming `covariance_prior`, even where the default would have a ridge.
#[test]
fn a_singular_user_prior_is_refused() {
    let singular = DMatrix::from_row_slice(2, 2, &[1.0, 2.0, 2.0, 4.0]);
    let negative = DMatrix::from_row_slice(2, 2, &[1.0, 0.0, 0.0, -1.0]);
    let asymmetric = DMatrix::from_row_slice(2, 2, &[1.0, 0.5, 0.0, 1.0]);
    for c in [singular, negative, asymmetric] {
        let spread = Dataset::from_rows(&[[0.0, 1.0], [2.0, -1.0], [1.0, 3.0]]).unwrap();
        for data in [line(), spread] {
            for ct in CovarianceType::ALL {
                match VbParams::new(1)
                    .covariance_type(ct)
                    .covariance_prior(c.clone())
                    .fit(&data)
                {
                    Err(e @ GmmError::InvalidParameter { name, .. }) => {
                        assert_eq!(name, "covariance_prior", "{c}, {ct}");
                        assert!(e.to_string().contains("positive definite"), "{e}");
                    }
                    other => panic!("{c}, {ct}: expected covariance_prior refused, got {other:?}"),
                }
            }
        }
    }
}

/// The rule by which `reg_covar` enters the bound is resolved with the prior: point noise
/// where the default prior falls back, scikit-learn's rule elsewhere (then the fit is the
/// one with the rule given explicitly, bit for bit, and its model file does not mention the
/// rule); a rule given explicitly wins.
#[test]
fn the_reg_covar_rule_follows_the_fallback_unless_given() {
    let spread = gmm_core::synthetic::draw(&gmm_core::synthetic::two_d_three_clusters(), 200, 3)
        .unwrap()
        .data;
    let resolved = |params: VbParams, data: &Dataset| params.resolve_priors(data).unwrap();
    assert_eq!(
        resolved(VbParams::new(3), &spread).reg_covar_rule,
        RegCovarRule::ScikitLearn
    );
    assert_eq!(
        resolved(VbParams::new(3), &constant_column()).reg_covar_rule,
        RegCovarRule::PointNoise
    );
    let given = VbParams::new(3).reg_covar_rule(RegCovarRule::ScikitLearn);
    assert_eq!(
        resolved(given, &constant_column()).reg_covar_rule,
        RegCovarRule::ScikitLearn
    );
    let given = VbParams::new(3).reg_covar_rule(RegCovarRule::PointNoise);
    assert_eq!(
        resolved(given, &spread).reg_covar_rule,
        RegCovarRule::PointNoise
    );

    let auto = VbParams::new(3).seed(1).fit(&spread).unwrap();
    let explicit = VbParams::new(3)
        .seed(1)
        .reg_covar_rule(RegCovarRule::ScikitLearn)
        .fit(&spread)
        .unwrap();
    assert_eq!(auto.lower_bounds(), explicit.lower_bounds());
    assert_eq!(auto.posterior(), explicit.posterior());
    assert_eq!(auto.state().point_noise(), 0.0);
    let text = auto.to_model_file().to_json();
    assert!(!text.contains("point_noise") && !text.contains("reg_covar_rule"));

    let degenerate = VbParams::new(3).fit(&constant_column()).unwrap();
    assert_eq!(degenerate.state().point_noise(), 1e-6);
    let text = degenerate.to_model_file().to_json();
    assert!(text.contains("\"point_noise\"") && text.contains("\"reg_covar_rule\""));
}

/// Under point noise the reported bound is the ELBO plus the noise term
/// `-reg_covar/2 sum_k N_k tr(E[Lambda_k])`, computed here from the expected covariances:
/// never above the plain ELBO of the same posterior, so still a lower bound on the evidence.
#[test]
fn the_point_noise_term_is_the_expected_trace_penalty() {
    let data = constant_column();
    for ct in CovarianceType::ALL {
        let fit = VbParams::new(3)
            .covariance_type(ct)
            .reg_covar(1e-3)
            .reg_covar_rule(RegCovarRule::PointNoise)
            .fit(&data)
            .unwrap();
        let terms = fit.elbo_terms();
        let expected_covariances = fit.state().expected_covariances();
        let d = data.n_features();
        let mut want = 0.0;
        for c in 0..3 {
            let precision = expected_covariances
                .full_matrix(c, d)
                .try_inverse()
                .unwrap();
            // beta_k = beta0 + N_k + 10 eps: the counts of the last E-step
            let n_c = fit.state().mean_precision()[c] - fit.priors().mean_precision;
            want -= 0.5 * 1e-3 * n_c * precision.trace();
        }
        assert!(terms.point_noise < 0.0, "{ct}");
        assert!(
            (terms.point_noise - want).abs() <= 1e-10 * want.abs(),
            "{ct}: {} vs {want}",
            terms.point_noise
        );
        assert_eq!(
            terms.total(),
            terms.log_likelihood
                + terms.log_p_z
                + terms.weights_prior_minus_entropy
                + terms.normal_wishart_prior_minus_entropy
                + terms.responsibility_entropy
                + terms.point_noise
        );
    }
}

/// A point-noise fit's model file keeps the rule and the noise: rebuilt, it answers as the
/// fit does, and a warm start from it (which takes the model's rule) continues the fit bit
/// for bit.
#[test]
fn point_noise_survives_the_model_file_and_warm_start() {
    let data = line();
    for ct in CovarianceType::ALL {
        let base = VbParams::new(3)
            .covariance_type(ct)
            .reg_covar_rule(RegCovarRule::PointNoise)
            .tol(0.0)
            .seed(2);
        let long = base.clone().max_iter(9).fit(&data).unwrap();
        let first = base.clone().max_iter(4).fit(&data).unwrap();
        let from_file = VbModel::from_json(&first.to_model_file().to_json()).unwrap();
        assert_eq!(from_file.state().point_noise(), 1e-6, "{ct}");
        assert_eq!(
            from_file.predict_proba(&data).unwrap(),
            first.predict_proba(&data).unwrap(),
            "{ct}"
        );
        let rest = VbParams::new(3)
            .max_iter(5)
            .tol(0.0)
            .warm_start(from_file)
            .fit(&data)
            .unwrap();
        assert_eq!(rest.lower_bounds(), &long.lower_bounds()[4..], "{ct}");
        assert_eq!(rest.posterior(), long.posterior(), "{ct}");
    }
}

/// Issue 22, item 11: far more components than clusters. K = 3,000 on 6,000 points in
/// 2-D left components with responsibilities in the subnormal range, whose count's
/// reciprocal overflowed: "component 1458 collapsed (N_k = 1.376e-308 points)" by the
/// fifth iteration, where EM fits. An all but empty component now stays at its prior, and
/// the fit goes on (the measured failure; 12 iterations, about 8 s at opt-level 2).
#[test]
fn thousands_of_components_on_few_points_fit() {
    let rows: Vec<[f64; 2]> = (0..6000)
        .map(|i| [wave(i, 0.754_877_666_2, 1.0), wave(i, 0.569_840_291, 1.0)])
        .collect();
    let data = Dataset::from_rows(&rows).unwrap();
    let fit = VbParams::new(3000)
        .max_iter(12)
        .tol(0.0)
        .fit(&data)
        .unwrap();
    assert_eq!(fit.n_iter(), 12);
    assert!(fit.lower_bounds().iter().all(|b| b.is_finite()));
    let weights = fit.weights();
    assert!((weights.sum() - 1.0).abs() < 1e-12);
}
