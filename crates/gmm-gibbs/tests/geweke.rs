//! Geweke's (2004) "getting it right" test, K = 2, N = 5: the joint distribution of
//! parameters and data reached by the marginal-conditional simulator (parameters from the
//! prior, data from them) must equal the one reached by the successive-conditional simulator
//! (the sampler's two conditionals alternating with data drawn given parameters and labels).
//! Test functions' means must agree: |z| < 4, the successive chain's standard error from its
//! effective sample size.

use gmm_core::{CovarianceType, Covariances, Dataset, cholesky_lower};
use gmm_gibbs::{Draw, Sampler, ess};
use gmm_vb::{Priors, RegCovarRule, WeightPrior};
use nalgebra::{DMatrix, DVector};
use rand::{RngExt, SeedableRng, rngs::StdRng};
use rand_distr::{Distribution, StandardNormal};

const K: usize = 2;
const N: usize = 5;
const D: usize = 2;
const MARGINAL_DRAWS: usize = 60_000;
const SUCCESSIVE_STEPS: usize = 100_000;

fn priors(weight_prior: WeightPrior, covariance_type: CovarianceType) -> Priors {
    // the prior in the storage of its covariance type, as VbParams::resolve_priors gives it
    let covariance = match covariance_type {
        CovarianceType::Spherical => Covariances::Spherical(vec![1.5]),
        CovarianceType::Diagonal => Covariances::Diagonal(vec![DVector::from_vec(vec![1.0, 2.0])]),
        CovarianceType::Tied => {
            Covariances::Tied(DMatrix::from_row_slice(D, D, &[1.0, 0.3, 0.3, 2.0]))
        }
        CovarianceType::Full => {
            Covariances::Full(vec![DMatrix::from_row_slice(D, D, &[1.0, 0.3, 0.3, 2.0])])
        }
    };
    Priors {
        weight_prior,
        weight_concentration: 1.0,
        mean_precision: 0.5,
        mean: DVector::from_vec(vec![0.5, -1.0]),
        // nu0 = D + 5: the means' marginal is Student-t with 6 degrees of freedom, so the
        // test functions below have finite variances.
        degrees_of_freedom: D as f64 + 5.0,
        covariance,
        reg_covar_rule: RegCovarRule::ScikitLearn,
    }
}

/// `Lambda ~ W(W0, nu0)` for integer `nu0`, as a sum of `nu0` outer products of
/// `N(0, W0)` vectors: a simulator that shares no code with the sampler's Bartlett draws.
fn wishart_by_sums(w0: &DMatrix<f64>, nu0: usize, rng: &mut StdRng) -> DMatrix<f64> {
    let root = cholesky_lower(0, w0).unwrap();
    let mut lambda = DMatrix::zeros(D, D);
    for _ in 0..nu0 {
        let g = &root * DVector::from_fn(D, |_, _| StandardNormal.sample(rng));
        lambda += &g * g.transpose();
    }
    lambda
}

/// `chi^2_k` for integer k, as a sum of squares.
fn chi_square(k: usize, rng: &mut StdRng) -> f64 {
    (0..k)
        .map(|_| StandardNormal.sample(rng))
        .map(|z: f64| z * z)
        .sum()
}

/// A prior draw made independently of the sampler's code (docs/gibbs.md, G2-G5): weights
/// from Gamma variates (Dirichlet) or Beta sticks, precisions by sums of squares, means
/// `N(m0, Sigma / beta0)`.
fn independent_prior_draw(p: &Priors, t: CovarianceType, rng: &mut StdRng) -> Draw {
    let nu0 = p.degrees_of_freedom as usize;
    let weights: Vec<f64> = match p.weight_prior {
        WeightPrior::DirichletDistribution { .. } => {
            let g: Vec<f64> = (0..K)
                .map(|_| {
                    rand_distr::Gamma::new(p.weight_concentration, 1.0)
                        .unwrap()
                        .sample(rng)
                })
                .collect();
            let s: f64 = g.iter().sum();
            g.iter().map(|x| x / s).collect()
        }
        WeightPrior::DirichletProcess { .. } => {
            let v: f64 = rand_distr::Beta::new(1.0, p.weight_concentration)
                .unwrap()
                .sample(rng);
            vec![v, 1.0 - v]
        }
    };
    let prior_covariance = p.covariance_matrix();
    let w0 = prior_covariance.clone().try_inverse().unwrap();
    let sigma_of = |rng: &mut StdRng| -> DMatrix<f64> {
        match t {
            CovarianceType::Full | CovarianceType::Tied => {
                wishart_by_sums(&w0, nu0, rng).try_inverse().unwrap()
            }
            CovarianceType::Diagonal => DMatrix::from_fn(D, D, |i, j| {
                if i == j {
                    prior_covariance[(i, i)] / chi_square(nu0, rng)
                } else {
                    0.0
                }
            }),
            CovarianceType::Spherical => {
                DMatrix::identity(D, D) * (prior_covariance.trace() / chi_square(D * nu0, rng))
            }
        }
    };
    let tied = sigma_of(rng);
    let sigmas: Vec<DMatrix<f64>> = (0..K)
        .map(|_| {
            if t == CovarianceType::Tied {
                tied.clone()
            } else {
                sigma_of(rng)
            }
        })
        .collect();
    let mut means = DMatrix::zeros(K, D);
    for (k, s) in sigmas.iter().enumerate() {
        let root = cholesky_lower(k, &(s / p.mean_precision)).unwrap();
        let mu = &p.mean + root * DVector::from_fn(D, |_, _| StandardNormal.sample(rng));
        means.set_row(k, &mu.transpose());
    }
    let covariances = match t {
        CovarianceType::Full => Covariances::Full(sigmas),
        CovarianceType::Tied => Covariances::Tied(tied),
        CovarianceType::Diagonal => {
            Covariances::Diagonal(sigmas.iter().map(|s| s.diagonal()).collect())
        }
        CovarianceType::Spherical => {
            Covariances::Spherical(sigmas.iter().map(|s| s[(0, 0)]).collect())
        }
    };
    Draw::new(&weights, means, covariances).unwrap()
}

/// A label from the weights.
fn draw_label(weights: &DVector<f64>, rng: &mut StdRng) -> usize {
    let u: f64 = rng.random();
    let mut c = 0.0;
    for (k, w) in weights.iter().enumerate() {
        c += w;
        if u < c {
            return k;
        }
    }
    weights.len() - 1
}

/// Data given parameters and labels: `x_n ~ N(mu_{z_n}, Sigma_{z_n})`.
fn draw_data(theta: &Draw, labels: &[usize], rng: &mut StdRng) -> Dataset {
    let roots: Vec<DMatrix<f64>> = (0..K)
        .map(|k| cholesky_lower(k, &theta.covariances().full_matrix(k, D)).unwrap())
        .collect();
    let rows: Vec<Vec<f64>> = labels
        .iter()
        .map(|&k| {
            let z = DVector::from_fn(D, |_, _| StandardNormal.sample(rng));
            let x = theta.means().row(k).transpose() + &roots[k] * z;
            x.iter().copied().collect()
        })
        .collect();
    Dataset::from_rows(&rows).unwrap()
}

/// The test functions: weight 0, both coordinates of mean 0, the square of one, one mean
/// coordinate of component 1, the precision's diagonal and (full, tied) off-diagonal entry
/// of component 0, both precisions' log determinants, and the first data point's first
/// coordinate.
fn test_functions(theta: &Draw, data: &Dataset) -> Vec<(&'static str, f64)> {
    let precision = theta.covariances().full_matrix(0, D).try_inverse().unwrap();
    let mut g = vec![
        ("pi_0", theta.weights()[0]),
        ("mu_00", theta.means()[(0, 0)]),
        ("mu_01", theta.means()[(0, 1)]),
        ("mu_00^2", theta.means()[(0, 0)].powi(2)),
        ("mu_11", theta.means()[(1, 1)]),
        ("Lambda_0[0][0]", precision[(0, 0)]),
        ("Lambda_0[1][1]", precision[(1, 1)]),
        ("x_00", data.row(0)[0]),
        ("ln |Lambda_0|", precision.determinant().ln()),
        (
            "ln |Lambda_1|",
            theta
                .covariances()
                .full_matrix(1, D)
                .determinant()
                .recip()
                .ln(),
        ),
    ];
    if matches!(
        theta.covariances(),
        Covariances::Full(_) | Covariances::Tied(_)
    ) {
        g.push(("Lambda_0[0][1]", precision[(0, 1)]));
    }
    g
}

/// Each test function over the marginal-conditional simulator, whose prior draws come from
/// [`independent_prior_draw`] (so that a mistake shared by the sampler's prior and
/// posterior draws is still caught).
fn marginal_conditional(sampler: &Sampler, rng: &mut StdRng) -> Vec<Vec<f64>> {
    let mut out: Vec<Vec<f64>> = Vec::new();
    for _ in 0..MARGINAL_DRAWS {
        let theta = independent_prior_draw(sampler.priors(), sampler.covariance_type(), rng);
        let w = theta.weights();
        let labels: Vec<usize> = (0..N).map(|_| draw_label(&w, rng)).collect();
        let data = draw_data(&theta, &labels, rng);
        let g = test_functions(&theta, &data);
        out.resize(g.len(), Vec::new());
        for (o, (_, v)) in out.iter_mut().zip(g) {
            o.push(v);
        }
    }
    out
}

/// The successive-conditional simulator: data | parameters, labels; labels | parameters,
/// data; parameters | labels, data.
fn successive_conditional(
    sampler: &Sampler,
    rng: &mut StdRng,
) -> (Vec<&'static str>, Vec<Vec<f64>>) {
    let mut theta = sampler.draw_prior(rng).unwrap();
    let w = theta.weights();
    let mut labels: Vec<usize> = (0..N).map(|_| draw_label(&w, rng)).collect();
    let mut names = Vec::new();
    let mut out: Vec<Vec<f64>> = Vec::new();
    for step in 0..SUCCESSIVE_STEPS {
        let data = draw_data(&theta, &labels, rng);
        let stats = sampler
            .draw_labels(&data, &mut theta, &mut labels, step as u64)
            .unwrap();
        theta = sampler.draw_parameters(&stats, rng).unwrap();
        let g = test_functions(&theta, &data);
        names = g.iter().map(|(n, _)| *n).collect();
        out.resize(g.len(), Vec::new());
        for (o, (_, v)) in out.iter_mut().zip(g) {
            o.push(v);
        }
    }
    (names, out)
}

fn mean_var(v: &[f64]) -> (f64, f64) {
    let n = v.len() as f64;
    let m = v.iter().sum::<f64>() / n;
    (
        m,
        v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0),
    )
}

fn check(weight_prior: WeightPrior, covariance_type: CovarianceType, seed: u64) {
    let sampler = Sampler::new(priors(weight_prior, covariance_type), covariance_type, K).unwrap();
    let mut rng = StdRng::seed_from_u64(seed);
    let mc = marginal_conditional(&sampler, &mut rng);
    let (names, sc) = successive_conditional(&sampler, &mut rng);
    let mut largest = 0.0f64;
    for ((name, a), b) in names.iter().zip(&mc).zip(&sc) {
        let (ma, va) = mean_var(a);
        let (mb, vb) = mean_var(b);
        let ess_b = ess(&[b.as_slice()]);
        let z = (ma - mb) / (va / a.len() as f64 + vb / ess_b).sqrt();
        assert!(
            z.abs() < 4.0,
            "{} {covariance_type}, {name}: marginal-conditional {ma:.4}, successive {mb:.4} \
             (ESS {ess_b:.0}), z = {z:.2}",
            weight_prior.name()
        );
        largest = largest.max(z.abs());
    }
    eprintln!(
        "{} {covariance_type}: largest |z| {largest:.2}",
        weight_prior.name()
    );
}

#[test]
fn getting_it_right_for_every_type_and_both_weight_priors() {
    let priors = [
        WeightPrior::DirichletDistribution {
            concentration: Some(1.0),
        },
        WeightPrior::DirichletProcess {
            concentration: Some(1.0),
        },
    ];
    for (i, p) in priors.into_iter().enumerate() {
        for (j, t) in CovarianceType::ALL.into_iter().enumerate() {
            check(p, t, 7 + 10 * i as u64 + j as u64);
        }
    }
}
