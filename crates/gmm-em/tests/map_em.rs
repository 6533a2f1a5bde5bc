//! MAP-EM (docs/em.md, "MAP-EM"): the M-step against the closed form computed here from the
//! points (not by the library), the limit of a vanishing prior (ML-EM), the log posterior
//! never falling on degenerate data without reg_covar, model files, warm start, weights,
//! streaming, and the refusals.

use gmm_core::{
    CovarianceType, Dataset, FittedModel, InitMethod, MixtureModel, ModelFile, SliceSource,
};
use gmm_em::{EmParams, MapParams, MapPrior, map_m_step_parameters};
use gmm_vb::{PriorSpec, WeightPrior};
use nalgebra::{DMatrix, DVector};

const POINTS: [[f64; 2]; 7] = [
    [0.0, 1.0],
    [1.0, 3.0],
    [2.0, 2.5],
    [0.5, 0.0],
    [10.0, 0.0],
    [12.0, 1.0],
    [11.0, -1.5],
];
const LABELS: [usize; 7] = [0, 0, 0, 0, 1, 1, 1];

fn spec(alpha0: f64, beta0: f64, m0: [f64; 2], nu0: f64, psi: [[f64; 2]; 2]) -> PriorSpec {
    PriorSpec {
        weight_prior: WeightPrior::DirichletDistribution {
            concentration: Some(alpha0),
        },
        mean_precision: Some(beta0),
        mean: Some(DVector::from_row_slice(&m0)),
        degrees_of_freedom: Some(nu0),
        covariance: Some(DMatrix::from_row_slice(
            2,
            2,
            &[psi[0][0], psi[0][1], psi[1][0], psi[1][1]],
        )),
        reg_covar_rule: None,
    }
}

/// Per component: n_k, mean, centred scatter, from the points and labels (plain loops).
fn by_hand() -> Vec<(f64, [f64; 2], [[f64; 2]; 2])> {
    (0..2)
        .map(|c| {
            let pts: Vec<&[f64; 2]> = POINTS
                .iter()
                .zip(LABELS)
                .filter(|(_, l)| *l == c)
                .map(|(p, _)| p)
                .collect();
            let n = pts.len() as f64;
            let mean = [
                pts.iter().map(|p| p[0]).sum::<f64>() / n,
                pts.iter().map(|p| p[1]).sum::<f64>() / n,
            ];
            let mut s = [[0.0; 2]; 2];
            for p in &pts {
                for a in 0..2 {
                    for b in 0..2 {
                        s[a][b] += (p[a] - mean[a]) * (p[b] - mean[b]);
                    }
                }
            }
            (n, mean, s)
        })
        .collect()
}

fn close(a: f64, b: f64, what: &str) {
    assert!(
        (a - b).abs() <= 1e-12 * b.abs().max(1.0),
        "{what}: {a} vs {b}"
    );
}

/// Every covariance type's M-step equals the posterior mode written out here (docs/em.md,
/// eqs. P1-P6) for a prior with every setting away from its default.
#[test]
fn the_m_step_is_the_closed_form_posterior_mode_for_every_type() {
    let (a0, b0, m0, nu0) = (3.0, 0.7, [1.0, -2.0], 4.5);
    let psi = [[2.0, 0.3], [0.3, 1.5]];
    let data = Dataset::from_rows(&POINTS).unwrap();
    let hand = by_hand();
    let big_n: f64 = hand.iter().map(|h| h.0).sum();
    for ct in CovarianceType::ALL {
        let params = MapParams::new(2)
            .covariance_type(ct)
            .prior(MapPrior::Conjugate(spec(a0, b0, m0, nu0, psi)));
        let priors = params.resolve_priors(&data).unwrap();
        let stats = InitMethod::FromLabels(LABELS.to_vec())
            .initial_responsibilities(&data, 2, 0)
            .unwrap()
            .sufficient_stats(&data, ct.scatter_kind());
        let p = map_m_step_parameters(&stats, ct, &priors).unwrap();
        // numerators Psi + S_k + B_k, by hand
        let mut numer = Vec::new();
        for (c, (n, mean, s)) in hand.iter().enumerate() {
            close(
                p.weights[c],
                (n + a0 - 1.0) / (big_n + 2.0 * (a0 - 1.0)),
                "weight",
            );
            let shrink = b0 * n / (b0 + n);
            let mut m = [[0.0; 2]; 2];
            for a in 0..2 {
                let mu = (b0 * m0[a] + n * mean[a]) / (b0 + n);
                close(p.means[(c, a)], mu, "mean");
                for b in 0..2 {
                    m[a][b] = psi[a][b] + s[a][b] + shrink * (mean[a] - m0[a]) * (mean[b] - m0[b]);
                }
            }
            numer.push(m);
        }
        let dof = nu0 - 2.0;
        for c in 0..2 {
            let n = hand[c].0;
            let got = p.covariances.full_matrix(c, 2);
            for a in 0..2 {
                for b in 0..2 {
                    let want = match ct {
                        CovarianceType::Full => numer[c][a][b] / (dof + n),
                        CovarianceType::Tied => {
                            (numer[0][a][b] + numer[1][a][b] - psi[a][b])
                                / (dof + big_n + 2.0 - 1.0)
                        }
                        CovarianceType::Diagonal if a == b => numer[c][a][a] / (dof + n),
                        CovarianceType::Spherical if a == b => {
                            (numer[c][0][0] + numer[c][1][1]) / (2.0 * (dof + n + 2.0) - 2.0)
                        }
                        _ => 0.0,
                    };
                    close(
                        got[(a, b)],
                        want,
                        &format!("{ct} covariance {c} ({a}, {b})"),
                    );
                }
            }
        }
    }
}

/// A prior whose strength vanishes (beta0 and Psi0 near 0, nu0 = D, alpha0 = 1) gives
/// ML-EM's fit to 1e-10, for full and diag in any D, tied with K = 1 and spherical with
/// D = 1 (elsewhere a proper prior keeps a pseudo-count: docs/em.md).
#[test]
fn a_vanishing_prior_gives_maximum_likelihood() {
    let two_d = gmm_core::synthetic::draw(&gmm_core::synthetic::two_d_three_clusters(), 400, 3)
        .unwrap()
        .data;
    let one_d = gmm_core::synthetic::draw(&gmm_core::synthetic::one_d_three_clusters(), 400, 3)
        .unwrap()
        .data;
    let cases = [
        (CovarianceType::Full, 3, &two_d),
        (CovarianceType::Diagonal, 3, &two_d),
        (CovarianceType::Tied, 1, &two_d),
        (CovarianceType::Spherical, 3, &one_d),
        (CovarianceType::Full, 3, &one_d),
    ];
    for (ct, k, data) in cases {
        let d = data.n_features();
        let tiny = 1e-14;
        let spec = PriorSpec {
            weight_prior: WeightPrior::DirichletDistribution {
                concentration: Some(1.0),
            },
            mean_precision: Some(tiny),
            mean: Some(DVector::zeros(d)),
            degrees_of_freedom: Some(d as f64),
            covariance: Some(DMatrix::identity(d, d) * tiny),
            reg_covar_rule: None,
        };
        let ml = EmParams::new(k)
            .covariance_type(ct)
            .reg_covar(0.0)
            .tol(0.0)
            .max_iter(30)
            .fit(data)
            .unwrap();
        let map = MapParams::new(k)
            .covariance_type(ct)
            .prior(MapPrior::Conjugate(spec))
            .tol(0.0)
            .max_iter(30)
            .fit(data)
            .unwrap();
        let (a, b) = (ml.mixture(), map.mixture());
        let rel = |x: f64, y: f64| (x - y).abs() / x.abs().max(1.0);
        for c in 0..k {
            assert!(rel(a.weights()[c], b.weights()[c]) < 1e-10, "{ct} weights");
            for j in 0..d {
                assert!(
                    rel(a.means()[(c, j)], b.means()[(c, j)]) < 1e-10,
                    "{ct} means"
                );
            }
            let (ca, cb) = (
                a.covariances().full_matrix(c, d),
                b.covariances().full_matrix(c, d),
            );
            for (x, y) in ca.iter().zip(cb.iter()) {
                assert!(rel(*x, *y) < 1e-10, "{ct} covariances {x} vs {y}");
            }
        }
        assert_eq!(map.fit_record().estimator(), gmm_core::Estimator::Map);
    }
}

/// The degenerate data sets of the singularity tests: ML-EM without reg_covar fails on
/// them, MAP-EM (reg_covar 0) fits them and its log posterior never falls.
fn degenerate() -> Vec<(&'static str, Dataset)> {
    let constant: Vec<[f64; 2]> = (0..30).map(|i| [i as f64 * 0.37 % 5.0, 2.0]).collect();
    let collinear: Vec<[f64; 3]> = (0..30)
        .map(|i| {
            let (x, y) = ((i * 7 % 11) as f64, (i * 3 % 5) as f64);
            [x, y, x + y]
        })
        .collect();
    let n_eq_d: Vec<[f64; 3]> = vec![[0.0, 1.0, 2.0], [3.0, 1.0, 0.0], [1.0, 5.0, 2.0]];
    let duplicated: Vec<[f64; 2]> = (0..24)
        .map(|i| [(i % 3) as f64 * 4.0, (i % 3) as f64])
        .collect();
    vec![
        ("constant column", Dataset::from_rows(&constant).unwrap()),
        ("collinear columns", Dataset::from_rows(&collinear).unwrap()),
        ("N = D", Dataset::from_rows(&n_eq_d).unwrap()),
        (
            "duplicated points",
            Dataset::from_rows(&duplicated).unwrap(),
        ),
    ]
}

#[test]
fn the_log_posterior_never_falls_on_degenerate_data_without_reg_covar() {
    let mut ml_failures = 0;
    for (name, data) in degenerate() {
        let k = 3.min(data.n_samples());
        for ct in CovarianceType::ALL {
            for prior in [MapPrior::default(), MapPrior::Mclust] {
                for seed in 0..3 {
                    let fit = MapParams::new(k)
                        .covariance_type(ct)
                        .prior(prior.clone())
                        .seed(seed)
                        .tol(0.0)
                        .max_iter(40)
                        .fit(&data)
                        .unwrap_or_else(|e| panic!("{name} {ct} {prior:?}: {e}"));
                    let b = fit.lower_bounds();
                    assert_eq!(b.len(), 40);
                    for (t, w) in b.windows(2).enumerate() {
                        assert!(
                            w[1] >= w[0] - 1e-10 * w[0].abs().max(1.0),
                            "{name} {ct} {prior:?} seed {seed}: bound fell at {t}: {w:?}"
                        );
                    }
                    assert!(fit.mixture().score(&data).unwrap().is_finite());
                }
            }
            let ml = EmParams::new(k)
                .covariance_type(ct)
                .reg_covar(0.0)
                .fit(&data);
            ml_failures += usize::from(ml.is_err());
        }
    }
    // ML-EM needs reg_covar on these: most of the 16 (data set, type) fits fail without it
    assert!(ml_failures >= 8, "ML-EM failed on only {ml_failures} of 16");
}

/// The bound is the mean log posterior of the parameters before each M-step: the last
/// bound recomputed from the previous model by hand.
#[test]
fn the_bound_is_log_likelihood_plus_log_prior_per_point() {
    let data = Dataset::from_rows(&POINTS).unwrap();
    let params = MapParams::new(2)
        .prior(MapPrior::Mclust)
        .tol(0.0)
        .max_iter(6);
    let five = params.clone().max_iter(5).fit(&data).unwrap();
    let six = params.fit(&data).unwrap();
    let want = five.mixture().score(&data).unwrap() + five.log_prior().unwrap() / 7.0;
    close(six.lower_bounds()[5], want, "bound 6");
}

#[test]
fn model_files_record_the_method_and_the_prior_and_read_back() {
    let data = Dataset::from_rows(&POINTS).unwrap();
    let fit = MapParams::new(2)
        .prior(MapPrior::Mclust)
        .fit(&data)
        .unwrap();
    let file = fit.to_model_file();
    let back = ModelFile::from_json(&file.to_json()).unwrap();
    assert_eq!(
        back.fit.as_ref().unwrap().estimator(),
        gmm_core::Estimator::Map
    );
    let prior = back.prior.as_ref().unwrap();
    assert_eq!(prior["mean_precision_prior"], 0.01);
    assert_eq!(prior["degrees_of_freedom_prior"], 4.0);
    assert_eq!(prior["weight_prior_type"], "dirichlet_distribution");
    assert!(
        file.to_json().contains("\"method\": \"map\"")
            || file.to_json().contains("\"method\":\"map\"")
    );
    assert_eq!(
        gmm_em::map_prior_of_file(&back).unwrap().as_ref(),
        fit.map_prior()
    );
    let loaded = gmm_vb::LoadedModel::from_model_file(&back).unwrap();
    let s = loaded.score(&data).unwrap();
    assert_eq!(s, fit.mixture().score(&data).unwrap());
}

#[test]
fn a_warm_start_continues_the_fit_bit_for_bit() {
    let data = gmm_core::synthetic::draw(&gmm_core::synthetic::two_d_three_clusters(), 300, 8)
        .unwrap()
        .data;
    let params = MapParams::new(3).prior(MapPrior::Mclust).tol(0.0);
    let twelve = params.clone().max_iter(12).fit(&data).unwrap();
    let five = params.clone().max_iter(5).fit(&data).unwrap();
    let seven = params
        .max_iter(7)
        .warm_start(five.mixture().clone())
        .fit(&data)
        .unwrap();
    assert_eq!(seven.mixture(), twelve.mixture());
    assert_eq!(seven.lower_bounds(), &twelve.lower_bounds()[5..]);
}

#[test]
fn a_weight_of_three_is_three_copies() {
    let rows: Vec<[f64; 2]> = POINTS.to_vec();
    let weights = [1.0, 3.0, 1.0, 2.0, 1.0, 3.0, 1.0];
    let weighted = Dataset::from_rows(&rows)
        .unwrap()
        .with_weights(weights.to_vec())
        .unwrap();
    let copies: Vec<[f64; 2]> = rows
        .iter()
        .zip(weights)
        .flat_map(|(r, w)| std::iter::repeat_n(*r, w as usize))
        .collect();
    let copies = Dataset::from_rows(&copies).unwrap();
    let start = InitMethod::FromMeans(DMatrix::from_row_slice(2, 2, &[0.0, 1.0, 11.0, 0.0]));
    for ct in CovarianceType::ALL {
        let params = MapParams::new(2)
            .covariance_type(ct)
            .prior(MapPrior::Mclust)
            .init(start.clone())
            .tol(0.0)
            .max_iter(20);
        let (a, b) = (params.fit(&weighted).unwrap(), params.fit(&copies).unwrap());
        for (x, y) in a.lower_bounds().iter().zip(b.lower_bounds()) {
            assert!((x - y).abs() < 1e-10 * y.abs(), "{ct} bounds {x} vs {y}");
        }
        let (ca, cb) = (a.mixture().covariances(), b.mixture().covariances());
        for c in 0..2 {
            let (ma, mb) = (ca.full_matrix(c, 2), cb.full_matrix(c, 2));
            for (x, y) in ma.iter().zip(mb.iter()) {
                assert!((x - y).abs() < 1e-10 * y.abs().max(1.0), "{ct} covariances");
            }
        }
    }
}

#[test]
fn a_stream_fits_as_memory_bit_for_bit() {
    let data = gmm_core::synthetic::draw(&gmm_core::synthetic::two_d_three_clusters(), 5000, 2)
        .unwrap()
        .data;
    let values: Vec<f64> = (0..data.n_samples())
        .flat_map(|n| data.row(n).to_vec())
        .collect();
    for ct in CovarianceType::ALL {
        let params = MapParams::new(3).covariance_type(ct).max_iter(15);
        let memory = params.fit(&data).unwrap();
        let mut source = SliceSource::new(&values, 2).unwrap();
        let stream = params.fit_source(&mut source).unwrap();
        assert_eq!(memory.mixture(), stream.mixture(), "{ct}");
        assert_eq!(memory.lower_bounds(), stream.lower_bounds(), "{ct}");
        assert_eq!(memory.map_prior(), stream.map_prior(), "{ct}");
    }
}

#[test]
fn settings_without_a_mode_are_refused_with_the_parameter_named() {
    let data = Dataset::from_rows(&POINTS).unwrap();
    let refuse = |params: MapParams, name: &str, says: &str| {
        let e = params.fit(&data).unwrap_err().to_string();
        assert!(e.contains(name) && e.contains(says), "{e}");
    };
    let with = |weight_prior, nu0| {
        MapParams::new(2).prior(MapPrior::Conjugate(PriorSpec {
            weight_prior,
            degrees_of_freedom: nu0,
            ..PriorSpec::default()
        }))
    };
    let dd = |c| WeightPrior::DirichletDistribution {
        concentration: Some(c),
    };
    refuse(
        with(dd(0.5), None),
        "weight_concentration_prior",
        "no interior mode",
    );
    refuse(
        with(WeightPrior::default(), None),
        "weight_concentration_prior_type",
        "dirichlet_distribution",
    );
    refuse(with(dd(1.0), Some(1.5)), "degrees_of_freedom_prior", ">= 2");
    refuse(
        MapParams::new(2).reg_covar(1e-6),
        "reg_covar",
        "Leave reg_covar at 0",
    );
    // a concentration of exactly 1 and nu0 = D are accepted
    assert!(with(dd(1.0), Some(2.0)).fit(&data).is_ok());
}

/// `log_prior` against the densities written out here for D = 1, where the Wishart is a
/// Gamma on the precision: `ln Dir(w) + sum_k [ln N(mu_k | m0, 1/(beta0 lambda_k)) +
/// ln Gamma(lambda_k | nu0/2, rate psi0/2)]`, for full, diag and spherical.
#[test]
fn the_log_prior_is_the_dirichlet_normal_gamma_density_in_one_dimension() {
    let (a0, b0, m0, nu0, psi0) = (2.5_f64, 0.3_f64, 1.5_f64, 3.0_f64, 0.8_f64);
    let (w, mu, var) = ([0.4_f64, 0.6], [0.0_f64, 4.0], [1.3_f64, 0.7]);
    let ln_gamma = |x: f64| special::Gamma::ln_gamma(x).0;
    let mut want = ln_gamma(2.0 * a0) - 2.0 * ln_gamma(a0);
    for k in 0..2 {
        let lambda = 1.0 / var[k];
        want += (a0 - 1.0) * w[k].ln();
        want += 0.5 * (b0 * lambda / (2.0 * std::f64::consts::PI)).ln()
            - 0.5 * b0 * lambda * (mu[k] - m0).powi(2);
        let (shape, rate) = (nu0 / 2.0, psi0 / 2.0);
        want += shape * rate.ln() - ln_gamma(shape) + (shape - 1.0) * lambda.ln() - rate * lambda;
    }
    let data = Dataset::from_slice_1d(&[0.0, 1.0, 3.0, 4.0, 5.0]).unwrap();
    for ct in [
        CovarianceType::Full,
        CovarianceType::Diagonal,
        CovarianceType::Spherical,
    ] {
        let spec = PriorSpec {
            weight_prior: WeightPrior::DirichletDistribution {
                concentration: Some(a0),
            },
            mean_precision: Some(b0),
            mean: Some(DVector::from_element(1, m0)),
            degrees_of_freedom: Some(nu0),
            covariance: Some(DMatrix::from_element(1, 1, psi0)),
            reg_covar_rule: None,
        };
        let priors = MapParams::new(2)
            .covariance_type(ct)
            .prior(MapPrior::Conjugate(spec))
            .resolve_priors(&data)
            .unwrap();
        let covariances = match ct {
            CovarianceType::Full => gmm_core::Covariances::Full(
                var.iter()
                    .map(|v| DMatrix::from_element(1, 1, *v))
                    .collect(),
            ),
            CovarianceType::Diagonal => gmm_core::Covariances::Diagonal(
                var.iter().map(|v| DVector::from_element(1, *v)).collect(),
            ),
            _ => gmm_core::Covariances::Spherical(var.to_vec()),
        };
        let gm = gmm_core::GaussianMixture::new(
            DVector::from_row_slice(&w),
            DMatrix::from_row_slice(2, 1, &mu),
            covariances,
        )
        .unwrap();
        let got = gmm_em::log_prior(&gm, &priors).unwrap();
        close(got, want, &format!("{ct} log prior"));
    }
}
