//! EM with missing coordinates (docs/em.md, "Missing values"): the E-step and the M-step
//! against a straightforward implementation written here (marginals by selecting rows and
//! columns, inverses and determinants computed directly), for every covariance type; the
//! bound monotone under MCAR missingness; complete data unchanged bit for bit; statistics
//! of two halves merged equal to the whole; the refusals.

use gmm_core::nalgebra::{DMatrix, DVector};
use gmm_core::{
    CovarianceType, Covariances, Dataset, EStepOutput, FittedModel, GaussianMixture, GmmError,
    MissingPolicy, MixtureModel, N_K_EPSILON,
};
use gmm_em::{EmParams, m_step};
use gmm_test_support::{missing_completely_at_random, uniform_from};

const TYPES: [CovarianceType; 4] = [
    CovarianceType::Full,
    CovarianceType::Tied,
    CovarianceType::Diagonal,
    CovarianceType::Spherical,
];

/// A well separated 3-component mixture in 3-D of the given covariance type.
fn truth(t: CovarianceType) -> GaussianMixture {
    let weights = DVector::from_row_slice(&[0.5, 0.3, 0.2]);
    let means = DMatrix::from_row_slice(3, 3, &[0.0, 0.0, 0.0, 4.0, 1.0, -2.0, -3.0, 4.0, 2.0]);
    let full = |s: f64, r: f64| {
        DMatrix::from_row_slice(3, 3, &[s, r, 0.2, r, 1.5 * s, -0.3, 0.2, -0.3, 0.8 * s])
    };
    let covariances = match t {
        CovarianceType::Full => {
            Covariances::Full(vec![full(1.0, 0.4), full(0.7, -0.2), full(1.3, 0.1)])
        }
        CovarianceType::Tied => Covariances::Tied(full(1.0, 0.5)),
        CovarianceType::Diagonal => Covariances::Diagonal(vec![
            DVector::from_row_slice(&[1.0, 0.5, 2.0]),
            DVector::from_row_slice(&[0.3, 1.2, 0.8]),
            DVector::from_row_slice(&[1.5, 1.0, 0.6]),
        ]),
        CovarianceType::Spherical => Covariances::Spherical(vec![1.0, 0.6, 1.7]),
    };
    GaussianMixture::new(weights, means, covariances).unwrap()
}

/// `data` with each value missing with probability `rate` (MCAR), never a whole row.
fn with_missing(data: &Dataset, rate: f64, seed: u64) -> Dataset {
    missing_completely_at_random(data, rate, seed)
}

/// The covariance of component `k` as a full matrix.
fn full_covariance(model: &GaussianMixture, k: usize) -> DMatrix<f64> {
    match model.covariances() {
        Covariances::Full(c) => c[k].clone(),
        Covariances::Tied(c) => c.clone(),
        Covariances::Diagonal(v) => DMatrix::from_diagonal(&v[k]),
        Covariances::Spherical(s) => DMatrix::from_diagonal_element(3, 3, s[k]),
    }
}

/// What the straightforward implementation computes for one data set and model.
struct Reference {
    log_likelihood: f64,
    /// log p(x_o) per point.
    log_density: Vec<f64>,
    /// N x K.
    resp: DMatrix<f64>,
    n_k: Vec<f64>,
    /// `sum_n sum_k r_nk H[N(x̂_m, C_k)]`.
    missing_entropy: f64,
    means: Vec<DVector<f64>>,
    scatters: Vec<DMatrix<f64>>,
}

/// The E-step and the statistics written out directly (eqs. M1-M5).
fn reference(data: &Dataset, model: &GaussianMixture) -> Reference {
    let (n, d, k) = (data.n_samples(), data.n_features(), model.n_components());
    let mut resp = DMatrix::zeros(n, k);
    let mut log_density = Vec::new();
    let mut completed = vec![Vec::new(); k];
    let mut conditional = vec![Vec::new(); k];
    let mut entropies = vec![Vec::new(); k];
    for i in 0..n {
        let x = data.row(i);
        let o: Vec<usize> = (0..d).filter(|&j| !x[j].is_nan()).collect();
        let m: Vec<usize> = (0..d).filter(|&j| x[j].is_nan()).collect();
        let x_o = DVector::from_iterator(o.len(), o.iter().map(|&j| x[j]));
        let mut log_rho = vec![0.0; k];
        for c in 0..k {
            let s = full_covariance(model, c);
            let mu = model.means().row(c).transpose();
            let s_oo = s.select_rows(&o).select_columns(&o);
            let s_mo = s.select_rows(&m).select_columns(&o);
            let s_mm = s.select_rows(&m).select_columns(&m);
            let inv = s_oo.clone().try_inverse().unwrap();
            let diff = &x_o - mu.select_rows(&o);
            let quad = (diff.transpose() * &inv * &diff)[(0, 0)];
            log_rho[c] = model.weights()[c].ln()
                - 0.5 * o.len() as f64 * (2.0 * std::f64::consts::PI).ln()
                - 0.5 * s_oo.determinant().ln()
                - 0.5 * quad;
            let x_m = mu.select_rows(&m) + &s_mo * &inv * &diff;
            let mut full_x = DVector::from_row_slice(x);
            for (a, &j) in m.iter().enumerate() {
                full_x[j] = x_m[a];
            }
            let c_mm = s_mm - &s_mo * &inv * s_mo.transpose();
            let ln_2pi_e = 1.0 + (2.0 * std::f64::consts::PI).ln();
            entropies[c].push(0.5 * (m.len() as f64 * ln_2pi_e + c_mm.determinant().ln()));
            let mut padded = DMatrix::zeros(d, d);
            for (a, &ja) in m.iter().enumerate() {
                for (b, &jb) in m.iter().enumerate() {
                    padded[(ja, jb)] = c_mm[(a, b)];
                }
            }
            completed[c].push(full_x);
            conditional[c].push(padded);
        }
        let max = log_rho.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let lse = max + log_rho.iter().map(|v| (v - max).exp()).sum::<f64>().ln();
        log_density.push(lse);
        for c in 0..k {
            resp[(i, c)] = (log_rho[c] - lse).exp();
        }
    }
    let mut n_k = Vec::new();
    let mut means = Vec::new();
    let mut scatters = Vec::new();
    for c in 0..k {
        let nk: f64 = resp.column(c).sum();
        let mean = (0..n).fold(DVector::zeros(d), |acc, i| {
            acc + &completed[c][i] * resp[(i, c)]
        }) / nk;
        let scatter = (0..n).fold(DMatrix::zeros(d, d), |acc, i| {
            let u = &completed[c][i] - &mean;
            acc + (&u * u.transpose() + &conditional[c][i]) * resp[(i, c)]
        });
        n_k.push(nk);
        means.push(mean);
        scatters.push(scatter);
    }
    let missing_entropy = (0..n)
        .map(|i| (0..k).map(|c| resp[(i, c)] * entropies[c][i]).sum::<f64>())
        .sum();
    Reference {
        missing_entropy,
        log_likelihood: log_density.iter().sum(),
        log_density,
        resp,
        n_k,
        means,
        scatters,
    }
}

/// EM's M-step written out (docs/em.md, 9.24-9.26 with `N_k + 10 eps`): weights, means and
/// full covariance matrices.
fn reference_m_step(
    r: &Reference,
    t: CovarianceType,
    reg: f64,
) -> (Vec<f64>, Vec<DVector<f64>>, Vec<DMatrix<f64>>) {
    let d = r.means[0].len();
    let n_eps: Vec<f64> = r.n_k.iter().map(|n| n + N_K_EPSILON).collect();
    let total: f64 = n_eps.iter().sum();
    let weights = n_eps.iter().map(|n| n / total).collect();
    let pooled = r.scatters.iter().fold(DMatrix::zeros(d, d), |a, s| a + s) / total;
    let covs = (0..r.n_k.len())
        .map(|c| {
            let s = &r.scatters[c] / n_eps[c];
            let reg_i = DMatrix::identity(d, d) * reg;
            match t {
                CovarianceType::Full => s + reg_i,
                CovarianceType::Tied => &pooled + reg_i,
                CovarianceType::Diagonal => DMatrix::from_diagonal(&s.diagonal()) + reg_i,
                _ => DMatrix::identity(d, d) * (s.diagonal().mean() + reg),
            }
        })
        .collect();
    (weights, r.means.clone(), covs)
}

fn relative(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs().max(1.0)
}

fn matrix_error(a: &DMatrix<f64>, b: &DMatrix<f64>) -> f64 {
    (a - b).amax() / b.amax().max(1.0)
}

fn e_step(model: &GaussianMixture, data: &Dataset) -> EStepOutput {
    model
        .kernel()
        .e_step(data, model.covariance_type().scatter_kind())
        .unwrap()
}

#[test]
fn e_step_and_m_step_match_a_direct_computation_for_every_covariance_type() {
    for t in TYPES {
        let model = truth(t);
        let (complete, _) = model.sample_seeded(300, 7).unwrap();
        let data = with_missing(&complete, 0.3, 11);
        assert!(data.missing_patterns().len() >= 5);
        let r = reference(&data, &model);
        let out = e_step(&model, &data);
        assert!(relative(out.log_norm_sum, r.log_likelihood) < 1e-10, "{t}");
        let entropy_error = relative(out.missing_entropy_sum, r.missing_entropy);
        assert!(entropy_error < 1e-10, "{t}: entropy off by {entropy_error}");
        let density = model.score_samples(&data).unwrap();
        for (a, b) in density.iter().zip(&r.log_density) {
            assert!(relative(*a, *b) < 1e-10, "{t}: {a} {b}");
        }
        let proba = model.predict_proba(&data).unwrap();
        assert!(matrix_error(&proba, &r.resp) < 1e-10, "{t}");
        let labels = model.predict(&data).unwrap();
        for (i, l) in labels.iter().enumerate() {
            assert_eq!(r.resp[(i, *l)], r.resp.row(i).max(), "{t} row {i}");
        }
        for c in 0..3 {
            assert!(relative(out.stats.n_k()[c], r.n_k[c]) < 1e-10, "{t}");
            let mean_error = (out.stats.mean(c) - &r.means[c]).amax();
            assert!(mean_error < 1e-10, "{t}: mean {c} off by {mean_error}");
            let scatter = out.stats.scatter(c);
            let expected = match t.scatter_kind() {
                gmm_core::ScatterKind::Full => r.scatters[c].clone(),
                gmm_core::ScatterKind::Diagonal => {
                    DMatrix::from_diagonal(&r.scatters[c].diagonal())
                }
            };
            assert!(
                matrix_error(&scatter, &expected) < 1e-10,
                "{t}: scatter {c}"
            );
        }
        let next = m_step(&out.stats, t, 1e-6).unwrap();
        let (weights, means, covs) = reference_m_step(&r, t, 1e-6);
        for c in 0..3 {
            assert!(relative(next.weights()[c], weights[c]) < 1e-10, "{t}");
            let mean = next.means().row(c).transpose();
            assert!((mean - &means[c]).amax() < 1e-10, "{t}");
            assert!(
                matrix_error(&full_covariance(&next, c), &covs[c]) < 1e-10,
                "{t}: cov {c}"
            );
        }
    }
}

#[test]
fn the_bound_never_falls_under_mcar_missingness() {
    for (i, t) in TYPES.into_iter().enumerate() {
        for rate in [0.1, 0.25, 0.4] {
            let (complete, _) = truth(t).sample_seeded(400, 3 + i as u64).unwrap();
            let data = with_missing(&complete, rate, 5 + i as u64);
            let fit = EmParams::new(3)
                .covariance_type(t)
                .tol(0.0)
                .max_iter(40)
                .seed(2)
                .fit(&data)
                .unwrap();
            let bounds = fit.lower_bounds();
            assert_eq!(bounds.len(), 40);
            for w in bounds.windows(2) {
                assert!(
                    w[1] >= w[0] - 1e-10 * w[0].abs(),
                    "{t} at {rate}: {} then {}",
                    w[0],
                    w[1]
                );
            }
            // the last bound is the observed-data log-likelihood of the model before it
            let score = fit.mixture().score(&data).unwrap();
            assert!(score >= bounds[39] - 1e-10 * score.abs(), "{t} at {rate}");
        }
    }
}

#[test]
fn complete_data_fit_the_same_bit_for_bit_with_the_option_on() {
    for t in TYPES {
        let (complete, _) = truth(t).sample_seeded(500, 9).unwrap();
        let marked = Dataset::from_row_major_with_policy(
            500,
            3,
            complete.as_slice().to_vec(),
            MissingPolicy::Marginalise,
        )
        .unwrap();
        assert!(!marked.has_missing());
        let params = EmParams::new(3)
            .covariance_type(t)
            .tol(0.0)
            .max_iter(15)
            .seed(4);
        let (a, b) = (params.fit(&complete).unwrap(), params.fit(&marked).unwrap());
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(a.lower_bounds()), bits(b.lower_bounds()), "{t}");
        assert_eq!(
            bits(a.mixture().means().as_slice()),
            bits(b.mixture().means().as_slice())
        );
        for c in 0..3 {
            let (ca, cb) = (
                full_covariance(a.mixture(), c),
                full_covariance(b.mixture(), c),
            );
            assert_eq!(bits(ca.as_slice()), bits(cb.as_slice()), "{t}");
        }
    }
}

#[test]
fn statistics_of_two_halves_merged_equal_those_of_the_whole() {
    for t in TYPES {
        let model = truth(t);
        let (complete, _) = model.sample_seeded(600, 21).unwrap();
        let data = with_missing(&complete, 0.35, 22);
        let whole = e_step(&model, &data);
        let first: Vec<usize> = (0..250).collect();
        let second: Vec<usize> = (250..600).collect();
        let mut merged = e_step(&model, &data.select(&first).unwrap());
        merged.merge(&e_step(&model, &data.select(&second).unwrap()));
        assert!(
            relative(merged.log_norm_sum, whole.log_norm_sum) < 1e-12,
            "{t}"
        );
        for c in 0..3 {
            assert!(relative(merged.stats.n_k()[c], whole.stats.n_k()[c]) < 1e-12);
            assert!(
                (merged.stats.mean(c) - whole.stats.mean(c)).amax() < 1e-12,
                "{t}"
            );
            let error = matrix_error(&merged.stats.scatter(c), &whole.stats.scatter(c));
            assert!(error < 1e-12, "{t}: scatter {c} off by {error}");
        }
    }
}

#[test]
fn a_fit_recovers_the_mixture_with_a_third_of_the_values_missing() {
    let model = truth(CovarianceType::Full);
    let (complete, _) = model.sample_seeded(3000, 31).unwrap();
    let data = with_missing(&complete, 0.3, 32);
    let fit = EmParams::new(3).seed(1).fit(&data).unwrap();
    for c in 0..3 {
        let truth_mean = model.means().row(c);
        let nearest = (0..3)
            .map(|j| (fit.mixture().means().row(j) - truth_mean).norm())
            .fold(f64::INFINITY, f64::min);
        assert!(
            nearest < 0.25,
            "component {c}: nearest fitted mean {nearest} away"
        );
    }
}

#[test]
fn weighted_points_with_missing_values_count_as_copies() {
    let model = truth(CovarianceType::Diagonal);
    let (complete, _) = model.sample_seeded(60, 41).unwrap();
    let data = with_missing(&complete, 0.3, 42);
    let weights: Vec<f64> = (0..60).map(|n| (n % 3) as f64).collect();
    let copies: Vec<usize> = (0..60)
        .flat_map(|n| std::iter::repeat_n(n, n % 3))
        .collect();
    let weighted = e_step(&model, &data.clone().with_weights(weights).unwrap());
    let copied = e_step(&model, &data.select(&copies).unwrap());
    assert!(relative(weighted.log_norm_sum, copied.log_norm_sum) < 1e-12);
    for c in 0..3 {
        assert!(matrix_error(&weighted.stats.scatter(c), &copied.stats.scatter(c)) < 1e-12);
    }
}

#[test]
fn missing_values_are_refused_unless_asked_for_and_empty_rows_always() {
    let nan = f64::NAN;
    let err = Dataset::from_rows(&[vec![1.0, 2.0], vec![nan, 3.0]]).unwrap_err();
    assert!(matches!(
        err,
        GmmError::NonFinite {
            row: 1,
            column: 0,
            ..
        }
    ));
    assert!(
        err.to_string().contains("MissingPolicy::Marginalise"),
        "{err}"
    );
    let err = Dataset::from_rows_with_policy(
        &[vec![1.0, 2.0], vec![3.0, 4.0], vec![nan, nan]],
        MissingPolicy::Marginalise,
    )
    .unwrap_err();
    assert_eq!(err, GmmError::AllMissingRow { row: 2 });
    assert!(
        err.to_string()
            .starts_with("row 3 has every coordinate missing"),
        "{err}"
    );
    let refused = Dataset::from_rows_with_policy(&[vec![1.0, nan]], MissingPolicy::Refuse);
    assert!(matches!(refused, Err(GmmError::NonFinite { .. })));
    let empty_column = Dataset::from_rows_with_policy(
        &[vec![1.0, nan], vec![2.0, nan], vec![3.0, nan]],
        MissingPolicy::Marginalise,
    )
    .unwrap();
    let err = EmParams::new(2).fit(&empty_column).unwrap_err();
    assert_eq!(err, GmmError::AllMissingColumn { column: 1 });
    assert!(
        err.to_string()
            .starts_with("column 2 has no observed value"),
        "{err}"
    );
    // a query on such data is answered (the observed column's marginal)
    let model = truth(CovarianceType::Full);
    let three_d =
        Dataset::from_rows_with_policy(&[vec![1.0, nan, nan]], MissingPolicy::Marginalise).unwrap();
    assert!(model.score(&three_d).unwrap().is_finite());
    let inf =
        Dataset::from_rows_with_policy(&[vec![f64::INFINITY, nan]], MissingPolicy::Marginalise);
    assert!(matches!(inf, Err(GmmError::NonFinite { .. })));
}

#[test]
fn a_fit_with_few_complete_rows_starts_from_mean_imputed_points() {
    let model = truth(CovarianceType::Spherical);
    let (complete, _) = model.sample_seeded(200, 51).unwrap();
    // every row misses a coordinate: no complete row at all
    let mut values = complete.as_slice().to_vec();
    for (n, row) in values.chunks_exact_mut(3).enumerate() {
        row[n % 3] = f64::NAN;
    }
    let data =
        Dataset::from_row_major_with_policy(200, 3, values, MissingPolicy::Marginalise).unwrap();
    assert_eq!(data.complete_rows(), Some(&[][..]));
    let fit = EmParams::new(3)
        .covariance_type(CovarianceType::Spherical)
        .fit(&data)
        .unwrap();
    assert!(fit.lower_bound().is_finite());
    let refused = EmParams::new(3).reseed_collapsed(true).fit(&data);
    assert!(matches!(
        refused,
        Err(GmmError::InvalidParameter {
            name: "reseed_collapsed",
            ..
        })
    ));
}

#[test]
/// Seen (N = 2000 each): held-out mean log-likelihood of the complete test rows -5.140 for
/// the truth, -5.145 fitted on the training set without missing values, -5.166 marginalised,
/// -5.466 with the incomplete rows dropped, -5.685 mean-imputed.
fn under_mar_missingness_marginalising_beats_dropping_rows_and_mean_imputation() {
    let model = truth(CovarianceType::Full);
    let (train, _) = model.sample_seeded(2000, 61).unwrap();
    let (test, _) = model.sample_seeded(2000, 62).unwrap();
    // missing at random: coordinate 1 mostly missing where coordinate 0 is large, coordinate
    // 2 often missing where coordinate 1 is negative (both conditions on observed values)
    let mut values = train.as_slice().to_vec();
    for (n, row) in values.chunks_exact_mut(3).enumerate() {
        let (x0, x1) = (row[0], row[1]);
        if x0 > 1.0 && uniform_from(63, n as u64) < 0.8 {
            row[1] = f64::NAN;
        }
        if x1 < 0.0 && uniform_from(64, n as u64) < 0.6 {
            row[2] = f64::NAN;
        }
    }
    let data =
        Dataset::from_row_major_with_policy(2000, 3, values, MissingPolicy::Marginalise).unwrap();
    let complete = data.select(data.complete_rows().unwrap()).unwrap();
    let imputed = data.mean_imputed().into_owned();
    let params = EmParams::new(3).n_init(3).seed(5);
    let held_out = |d: &Dataset| params.fit(d).unwrap().mixture().score(&test).unwrap();
    let (marginalised, dropped, mean_imputed) =
        (held_out(&data), held_out(&complete), held_out(&imputed));
    let oracle = model.score(&test).unwrap();
    assert!(
        marginalised > dropped,
        "{marginalised} against dropping rows {dropped}"
    );
    assert!(
        marginalised > mean_imputed,
        "{marginalised} against imputing {mean_imputed}"
    );
    assert!(
        oracle - marginalised < 0.05,
        "{marginalised} against the truth {oracle}"
    );
}
