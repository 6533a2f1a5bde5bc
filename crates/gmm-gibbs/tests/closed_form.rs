//! K = 1: the posterior is Normal-Wishart (full, tied) or Normal-Gamma (diag, spherical) in
//! closed form (docs/gibbs.md, G4-G5). The sampler's posterior means and variances of the
//! mean and of the precision must match it within Monte Carlo error: |z| < 4 for every
//! coordinate, with standard errors from the effective sample size.

use gmm_core::{CovarianceType, Covariances, Dataset};
use gmm_gibbs::{GibbsParams, ess};
use nalgebra::{DMatrix, DVector};
use rand::{SeedableRng, rngs::StdRng};
use rand_distr::{Distribution, StandardNormal};

const DRAWS: usize = 2000;
const CHAINS: usize = 2;
const N: usize = 15;

/// N points in `d` dimensions with correlated, unequal-scale columns.
fn data(d: usize, seed: u64) -> Dataset {
    let mut rng = StdRng::seed_from_u64(seed);
    let rows: Vec<Vec<f64>> = (0..N)
        .map(|_| {
            let z: Vec<f64> = (0..d).map(|_| StandardNormal.sample(&mut rng)).collect();
            (0..d)
                .map(|j| {
                    1.0 + j as f64
                        + (1.0 + 0.5 * j as f64) * z[j]
                        + if j > 0 { 0.6 * z[j - 1] } else { 0.0 }
                })
                .collect()
        })
        .collect();
    Dataset::from_rows(&rows).unwrap()
}

/// The closed-form posterior moments of one scalar quantity.
struct Target {
    name: String,
    mean: f64,
    variance: f64,
    draws: Vec<Vec<f64>>,
}

/// z of the sample mean and of the sample variance against the closed form, with standard
/// errors from the effective sample sizes of `x` and of `(x - mean)^2`.
fn z_scores(t: &Target) -> (f64, f64) {
    let all: Vec<f64> = t.draws.iter().flatten().copied().collect();
    let n = all.len() as f64;
    let m = all.iter().sum::<f64>() / n;
    let v = all.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0);
    let refs: Vec<&[f64]> = t.draws.iter().map(|c| c.as_slice()).collect();
    let z_mean = (m - t.mean) / (t.variance / ess(&refs)).sqrt();
    let sq: Vec<Vec<f64>> = t
        .draws
        .iter()
        .map(|c| c.iter().map(|x| (x - m).powi(2)).collect())
        .collect();
    let sq_refs: Vec<&[f64]> = sq.iter().map(|c| c.as_slice()).collect();
    let sq_all: Vec<f64> = sq.iter().flatten().copied().collect();
    let var_sq = sq_all.iter().map(|s| (s - v).powi(2)).sum::<f64>() / (n - 1.0);
    let z_var = (v - t.variance) / (var_sq / ess(&sq_refs)).sqrt();
    (z_mean, z_var)
}

/// Data statistics: N, the mean and the centred scatter.
fn stats(x: &Dataset) -> (f64, DVector<f64>, DMatrix<f64>) {
    let d = x.n_features();
    let n = x.n_samples() as f64;
    let mean = x.mean();
    let mut s = DMatrix::zeros(d, d);
    for i in 0..x.n_samples() {
        let r = DVector::from_row_slice(x.row(i)) - &mean;
        s += &r * r.transpose();
    }
    (n, mean, s)
}

fn precision_of(c: &Covariances, d: usize) -> DMatrix<f64> {
    c.full_matrix(0, d).try_inverse().unwrap()
}

fn check(covariance_type: CovarianceType, d: usize, seed: u64) {
    let x = data(d, seed);
    let fit = GibbsParams::new(1)
        .covariance_type(covariance_type)
        .draws(DRAWS)
        .burn_in(20)
        .chains(CHAINS)
        .seed(seed)
        .fit(&x)
        .unwrap();
    let p = fit.priors();
    let (n, xbar, s) = stats(&x);
    let beta = p.mean_precision + n;
    let m = (&p.mean * p.mean_precision + &xbar * n) / beta;
    let off = &xbar - &p.mean;
    let a = p.covariance_matrix() + &s + &off * off.transpose() * (p.mean_precision * n / beta);
    let nu = p.degrees_of_freedom + n;
    let series = |f: &dyn Fn(&gmm_gibbs::Draw) -> f64| -> Vec<Vec<f64>> {
        fit.draws()
            .iter()
            .map(|c| c.iter().map(f).collect())
            .collect()
    };
    let mut targets = Vec::new();
    let df = d as f64;
    match covariance_type {
        CovarianceType::Full | CovarianceType::Tied => {
            let w = a.clone().try_inverse().unwrap();
            for j in 0..d {
                targets.push(Target {
                    name: format!("mu[{j}]"),
                    mean: m[j],
                    variance: a[(j, j)] / (beta * (nu - df - 1.0)),
                    draws: series(&|dr| dr.means()[(0, j)]),
                });
                for i in 0..=j {
                    targets.push(Target {
                        name: format!("Lambda[{i}][{j}]"),
                        mean: nu * w[(i, j)],
                        variance: nu * (w[(i, j)].powi(2) + w[(i, i)] * w[(j, j)]),
                        draws: series(&|dr| precision_of(dr.covariances(), d)[(i, j)]),
                    });
                }
            }
        }
        CovarianceType::Diagonal => {
            for j in 0..d {
                let aj = a[(j, j)];
                targets.push(Target {
                    name: format!("mu[{j}]"),
                    mean: m[j],
                    variance: aj / (beta * (nu - 2.0)),
                    draws: series(&|dr| dr.means()[(0, j)]),
                });
                targets.push(Target {
                    name: format!("lambda[{j}]"),
                    mean: nu / aj,
                    variance: 2.0 * nu / (aj * aj),
                    draws: series(&|dr| precision_of(dr.covariances(), d)[(j, j)]),
                });
            }
        }
        CovarianceType::Spherical => {
            let tr = a.trace();
            for j in 0..d {
                targets.push(Target {
                    name: format!("mu[{j}]"),
                    mean: m[j],
                    variance: tr / (beta * (df * nu - 2.0)),
                    draws: series(&|dr| dr.means()[(0, j)]),
                });
            }
            targets.push(Target {
                name: "lambda".into(),
                mean: df * nu / tr,
                variance: 2.0 * df * nu / (tr * tr),
                draws: series(&|dr| precision_of(dr.covariances(), d)[(0, 0)]),
            });
        }
    }
    for t in &targets {
        let (zm, zv) = z_scores(t);
        assert!(
            zm.abs() < 4.0 && zv.abs() < 4.0,
            "{covariance_type}, D = {d}, {}: z of the mean {zm:.2}, of the variance {zv:.2}",
            t.name
        );
    }
}

#[test]
fn one_component_matches_the_closed_form_posterior_for_every_type_and_dimension() {
    for (i, t) in CovarianceType::ALL.into_iter().enumerate() {
        for (j, d) in [1, 2, 5].into_iter().enumerate() {
            check(t, d, 100 + 10 * i as u64 + j as u64);
        }
    }
}
