//! Properties of variational Bayes (gmm-vb) over generated mixtures of dimension 1-6 and
//! every covariance type: a monotone ELBO, valid posteriors after every M-step, the exact
//! log evidence for K = 1, affine equivariance, recovery. See docs/testing.md.

mod common;

use common::{close, config_expensive, fit_data, init_method, mixture_spec, random_spd, sample};
use gmm::core::cholesky_lower;
use gmm::core::{CovarianceType, Dataset, FittedModel, GmmError, InitMethod, MixtureModel};
use gmm::vb::{VbParams, WeightPrior, iterate, m_step};
use nalgebra::{DMatrix, DVector};
use proptest::prelude::*;
use rand::{RngExt, SeedableRng, rngs::StdRng};

const MONOTONE_REL: f64 = 1e-10;

fn weight_prior(process: bool, concentration: Option<f64>) -> WeightPrior {
    if process {
        WeightPrior::DirichletProcess { concentration }
    } else {
        WeightPrior::DirichletDistribution { concentration }
    }
}

/// `ln Gamma(x)` for `x > 0`: Lanczos (g = 7, 9 terms), relative error below 1e-14 on the
/// arguments used here (`x >= 0.25`), with the reflection formula below 1/2.
fn ln_gamma(x: f64) -> f64 {
    const G: f64 = 7.0;
    const C: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        let pi = std::f64::consts::PI;
        return (pi / (pi * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let mut a = C[0];
    for (i, c) in C.iter().enumerate().skip(1) {
        a += c / (x + i as f64);
    }
    let t = x + G + 0.5;
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + a.ln()
}

/// `ln Gamma_D(a) = D(D-1)/4 ln pi + sum_{j=1}^{D} ln Gamma(a + (1 - j)/2)`.
fn multi_ln_gamma(a: f64, d: usize) -> f64 {
    let df = d as f64;
    0.25 * df * (df - 1.0) * std::f64::consts::PI.ln()
        + (1..=d)
            .map(|j| ln_gamma(a + (1.0 - j as f64) / 2.0))
            .sum::<f64>()
}

fn log_det_spd(m: &DMatrix<f64>) -> f64 {
    2.0 * cholesky_lower(0, m)
        .expect("SPD")
        .diagonal()
        .iter()
        .map(|x| x.ln())
        .sum::<f64>()
}

/// The log marginal likelihood of `data` under `x_n ~ N(mu, Lambda^{-1})` with the
/// Normal-Wishart prior `Lambda ~ W(W0, nu0)`, `mu | Lambda ~ N(m0, (beta0 Lambda)^{-1})`
/// (docs/testing.md; Murphy 2007, eq. 266, in Bishop's parameterisation):
///
/// `ln p(X) = -(N D / 2) ln pi + ln Gamma_D(nu_N / 2) - ln Gamma_D(nu0 / 2)
///            + (nu0 / 2) ln|W0^{-1}| - (nu_N / 2) ln|W_N^{-1}| + (D / 2) ln(beta0 / beta_N)`
///
/// with `beta_N = beta0 + N`, `nu_N = nu0 + N`, and
/// `W_N^{-1} = W0^{-1} + S + (beta0 N / beta_N)(xbar - m0)(xbar - m0)^T`,
/// `S = sum_n (x_n - xbar)(x_n - xbar)^T`.
fn normal_wishart_log_evidence(
    data: &Dataset,
    beta0: f64,
    nu0: f64,
    m0: &DVector<f64>,
    w0_inv: &DMatrix<f64>,
) -> f64 {
    let n = data.n_samples() as f64;
    let d = data.n_features();
    let xbar = data.mean();
    let mut s = DMatrix::zeros(d, d);
    for x in data.rows() {
        let diff = DVector::from_column_slice(x) - &xbar;
        s += &diff * diff.transpose();
    }
    let beta_n = beta0 + n;
    let nu_n = nu0 + n;
    let dm = &xbar - m0;
    let wn_inv = w0_inv + s + (&dm * dm.transpose()) * (beta0 * n / beta_n);
    let df = d as f64;
    -0.5 * n * df * std::f64::consts::PI.ln() + multi_ln_gamma(nu_n / 2.0, d)
        - multi_ln_gamma(nu0 / 2.0, d)
        + 0.5 * nu0 * log_det_spd(w0_inv)
        - 0.5 * nu_n * log_det_spd(&wn_inv)
        + 0.5 * df * (beta0 / beta_n).ln()
}

#[test]
fn ln_gamma_matches_known_values() {
    let pi = std::f64::consts::PI;
    assert!((ln_gamma(0.5) - 0.5 * pi.ln()).abs() < 1e-14);
    assert!(ln_gamma(1.0).abs() < 1e-14 && ln_gamma(2.0).abs() < 1e-14);
    assert!((ln_gamma(10.0) - 362_880f64.ln()).abs() < 1e-13);
    assert!((ln_gamma(0.25) - 1.288_022_524_698_077_2).abs() < 1e-14);
    assert!((ln_gamma(150.5) - 602.513_954_870_585_5).abs() < 1e-11);
}

proptest! {
    #![proptest_config(config_expensive(2))]

    /// VB step by step from the public M-step and iteration: the full ELBO never
    /// decreases, every posterior gives a valid point estimate (weights a distribution,
    /// SPD covariances) and responsibilities that sum to 1, and `VbParams::fit_from`
    /// records exactly these bounds.
    #[test]
    fn vb_elbo_never_decreases(
        spec in mixture_spec(4),
        seed in any::<u64>(),
        method in 0usize..4,
        process in any::<bool>(),
        concentration in prop_oneof![Just(None), (1e-3..10.0f64).prop_map(Some)],
    ) {
        let data = fit_data(&spec, 40, seed);
        let ct = spec.covariance_type;
        let k = spec.k;
        let params = VbParams::new(k)
            .covariance_type(ct)
            .reg_covar(0.0)
            .tol(0.0)
            .max_iter(25)
            .weight_prior(weight_prior(process, concentration));
        let priors = params.resolve_priors(&data).unwrap();
        let init = init_method(method).initial_responsibilities(&data, k, seed).unwrap();
        let mut state = m_step(&init.sufficient_stats(&data, ct.scatter_kind()), &priors, ct, 0.0).unwrap();
        let mut bounds = Vec::new();
        for _ in 0..25 {
            let (next, terms) = iterate(&data, &state, &priors, 0.0).unwrap();
            state = next;
            bounds.push(terms.total());
            let gm = state.point_estimate().unwrap();
            prop_assert!((gm.weights().sum() - 1.0).abs() <= 1e-12);
            for c in 0..k {
                let m = gm.covariances().full_matrix(c, spec.d);
                prop_assert!(m == m.transpose() && cholesky_lower(c, &m).is_ok(), "covariance {}: {}", c, m);
            }
        }
        for (t, w) in bounds.windows(2).enumerate() {
            prop_assert!(
                w[1] >= w[0] - MONOTONE_REL * w[0].abs(),
                "ELBO fell at iteration {}: {} -> {} ({:e})", t + 2, w[0], w[1], w[1] - w[0]
            );
        }
        let fit = params.fit_from(&data, &init).unwrap();
        prop_assert_eq!(fit.lower_bounds(), &bounds[..]);
        let p = fit.predict_proba(&data).unwrap();
        for i in 0..p.nrows() {
            let row = p.row(i);
            prop_assert!(row.iter().all(|v| (0.0..=1.0).contains(v)) && (row.sum() - 1.0).abs() <= 1e-12, "point {}: {}", i, row);
        }
        prop_assert!((fit.weights().sum() - 1.0).abs() <= 1e-12);
    }

    /// For K = 1 and reg_covar = 0 the mean-field posterior is the exact Normal-Wishart
    /// posterior, so the ELBO equals the closed-form log evidence (1e-9 relative).
    #[test]
    fn vb_elbo_is_the_exact_evidence_for_one_component(
        d in 1usize..=6,
        n in 1usize..200,
        seed in any::<u64>(),
        tied in any::<bool>(),
        beta0 in 0.05..20.0f64,
        extra_dof in 0.5..10.0f64,
        alpha0 in 1e-3..10.0f64,
    ) {
        let mut rng = StdRng::seed_from_u64(seed);
        let values: Vec<f64> = (0..n * d).map(|_| rng.random_range(-5.0..5.0)).collect();
        let data = Dataset::from_row_major(n, d, values).unwrap();
        let m0 = DVector::from_fn(d, |_, _| rng.random_range(-3.0..3.0));
        let w0_inv = random_spd(&mut rng, d);
        let nu0 = d as f64 - 1.0 + extra_dof;
        let fit = VbParams::new(1)
            .covariance_type(if tied { CovarianceType::Tied } else { CovarianceType::Full })
            .reg_covar(0.0)
            .tol(0.0)
            .max_iter(2)
            .weight_prior(WeightPrior::DirichletDistribution { concentration: Some(alpha0) })
            .mean_precision_prior(beta0)
            .degrees_of_freedom_prior(nu0)
            .mean_prior(m0.clone())
            .covariance_prior(w0_inv.clone())
            .fit(&data)
            .unwrap();
        let want = normal_wishart_log_evidence(&data, beta0, nu0, &m0, &w0_inv);
        prop_assert!(close(fit.elbo(), want, 1e-9, 0.0), "ELBO {} vs log evidence {} ({:e})", fit.elbo(), want, fit.elbo() - want);
    }

    /// Fitting `a x + b` from the same responsibilities with the default (data-derived)
    /// priors and reg_covar scaled by `a^2` gives `a m + b`, `a^2` covariances, the same
    /// weights and responsibilities, and an ELBO lower by `N D ln|a|`.
    #[test]
    fn vb_is_affine_equivariant(
        spec in mixture_spec(3),
        seed in any::<u64>(),
        a in prop_oneof![-50.0..-0.02f64, 0.02..50.0f64],
        shift in proptest::collection::vec(-1e3..1e3f64, 6),
        process in any::<bool>(),
    ) {
        let data = fit_data(&spec, 30, seed);
        let d = spec.d;
        let moved: Vec<f64> = data.rows().flat_map(|x| (0..d).map(|j| a * x[j] + shift[j]).collect::<Vec<_>>()).collect();
        let moved = Dataset::from_row_major(data.n_samples(), d, moved).unwrap();
        let init = InitMethod::KMeans.initial_responsibilities(&data, spec.k, seed).unwrap();
        let reg = 1e-4;
        let params = |r: f64| VbParams::new(spec.k).covariance_type(spec.covariance_type).tol(0.0).max_iter(6).reg_covar(r).weight_prior(weight_prior(process, None));
        let fit = params(reg).fit_from(&data, &init).unwrap();
        let fit_moved = params(reg * a * a).fit_from(&moved, &init).unwrap();
        let (gm, gmm_) = (fit.point_estimate(), fit_moved.point_estimate());
        let rel = 1e-7;
        for c in 0..spec.k {
            prop_assert!(close(gmm_.weights()[c], gm.weights()[c], rel, 1.0));
            let s = gm.covariances().full_matrix(c, d);
            let sm = gmm_.covariances().full_matrix(c, d);
            for j in 0..d {
                let want = a * gm.means()[(c, j)] + shift[j];
                let scale = a.abs() * (gm.means()[(c, j)].abs() + s[(j, j)].sqrt()) + shift[j].abs();
                prop_assert!((gmm_.means()[(c, j)] - want).abs() <= rel * scale, "mean {} {}", c, j);
                for i in 0..d {
                    let scale = a * a * (s[(i, i)] * s[(j, j)]).sqrt();
                    prop_assert!((sm[(i, j)] - a * a * s[(i, j)]).abs() <= rel * scale, "cov {} ({}, {})", c, i, j);
                }
            }
        }
        let (p, pm) = (fit.predict_proba(&data).unwrap(), fit_moved.predict_proba(&moved).unwrap());
        prop_assert!((p - pm).abs().max() <= 1e-6);
        let shift_elbo = -(data.n_samples() as f64) * d as f64 * a.abs().ln();
        prop_assert!(close(fit_moved.elbo(), fit.elbo() + shift_elbo, rel, 1.0), "{} vs {}", fit_moved.elbo(), fit.elbo() + shift_elbo);
    }

    /// Sampling then fitting a well-separated mixture with K components, a Dirichlet
    /// distribution prior and weak Normal-Wishart priors recovers it within sampling
    /// tolerances (tests/common). The default priors are not weak here: `W0^{-1}` is the
    /// covariance of all the data, ~225 per axis for clusters 30 apart, which inflates each
    /// point-estimate covariance by about `225 / N_k` (0.45 at N_k = 500); so the prior is
    /// `W0^{-1} = D I` (prior mean covariance I), `beta0 = 1e-3`.
    #[test]
    fn vb_recovers_a_separated_mixture(spec in mixture_spec(3), seed in any::<u64>()) {
        let truth = spec.build_separated();
        let n = 600 * spec.k;
        let data = sample(&truth, n, seed);
        let d = spec.d;
        let fit = VbParams::new(spec.k)
            .covariance_type(spec.covariance_type)
            .covariance_prior(DMatrix::identity(d, d) * d as f64)
            .mean_precision_prior(1e-3)
            .weight_prior(WeightPrior::DirichletDistribution { concentration: Some(1.0) })
            .tol(1e-8)
            .max_iter(300)
            .n_init(4)
            .seed(seed)
            .fit(&data)
            .unwrap();
        if let Err(e) = common::check_recovery(&truth, fit.point_estimate(), n) { prop_assert!(false, "{}", e); }
    }
}

/// VB's parameter validation, before any work.
#[test]
fn vb_rejects_invalid_parameters() {
    let data = Dataset::from_rows(&[[0.0, 1.0], [1.0, 0.5], [2.0, 2.5], [5.0, 1.0]]).unwrap();
    let cases: Vec<(VbParams, &str)> = vec![
        (VbParams::new(0), "n_components"),
        (VbParams::new(2).tol(-1e-3), "tol"),
        (VbParams::new(2).tol(f64::NAN), "tol"),
        (VbParams::new(2).reg_covar(-1e-6), "reg_covar"),
        (VbParams::new(2).reg_covar(f64::NAN), "reg_covar"),
        (VbParams::new(2).max_iter(0), "max_iter"),
        (VbParams::new(2).n_init(0), "n_init"),
        (
            VbParams::new(2).weight_prior(weight_prior(true, Some(0.0))),
            "weight_concentration_prior",
        ),
        (
            VbParams::new(2).weight_prior(weight_prior(false, Some(f64::NAN))),
            "weight_concentration_prior",
        ),
        (
            VbParams::new(2).mean_precision_prior(0.0),
            "mean_precision_prior",
        ),
        (
            VbParams::new(2).degrees_of_freedom_prior(0.5),
            "degrees_of_freedom_prior",
        ),
    ];
    for (params, name) in cases {
        match params.fit(&data) {
            Err(GmmError::InvalidParameter { name: got, .. }) => assert_eq!(got, name),
            other => panic!("{name}: expected InvalidParameter, got {other:?}"),
        }
    }
    assert_eq!(
        VbParams::new(5).fit(&data).unwrap_err(),
        GmmError::TooFewSamples {
            n_samples: 4,
            n_components: 5
        }
    );
    assert!(matches!(
        VbParams::new(2).mean_prior(DVector::zeros(3)).fit(&data),
        Err(GmmError::ShapeMismatch { .. })
    ));
    let not_spd = DMatrix::from_row_slice(2, 2, &[1.0, 2.0, 2.0, 1.0]);
    assert!(matches!(
        VbParams::new(2).covariance_prior(not_spd).fit(&data),
        Err(GmmError::InvalidParameter {
            name: "covariance_prior",
            ..
        })
    ));
}
