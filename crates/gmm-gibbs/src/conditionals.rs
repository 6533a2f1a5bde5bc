//! The conjugate conditionals of the parameters given the labels' sufficient statistics
//! (docs/gibbs.md, G2-G5): Dirichlet or stick-breaking weights, Normal-Wishart (full, tied)
//! or Normal-Gamma (diag, spherical) components. With empty statistics they are the priors.

use gmm_core::{CovarianceType, Covariances, Result, SufficientStats, cholesky_lower, symmetrise};
use gmm_vb::{Priors, WeightPrior};
use nalgebra::{DMatrix, DVector};
use rand::Rng;

use crate::draw::unusable_draw;
use crate::random::{bartlett_factor, ln_beta_variate, ln_gamma_variate, standard_normal};

/// `ln pi` given the counts `n_k` (G2, G3): `pi ~ Dir(alpha0 + n_k)`, or the blocked
/// stick-breaking conditional `v_k ~ Beta(1 + n_k, gamma + sum_{j>k} n_j)` for `k < K - 1`,
/// `v_{K-1} = 1` (Ishwaran & James 2001), `pi_k = v_k prod_{j<k} (1 - v_j)`.
pub(crate) fn draw_log_weights<R: Rng + ?Sized>(
    priors: &Priors,
    n_k: &[f64],
    rng: &mut R,
) -> Vec<f64> {
    let k = n_k.len();
    let c0 = priors.weight_concentration;
    match priors.weight_prior {
        WeightPrior::DirichletDistribution { .. } => {
            let mut g: Vec<f64> = n_k.iter().map(|n| ln_gamma_variate(c0 + n, rng)).collect();
            let total = gmm_core::logsumexp(&g);
            g.iter_mut().for_each(|x| *x -= total);
            g
        }
        WeightPrior::DirichletProcess { .. } => {
            let mut out = vec![0.0; k];
            let mut ln_rest = 0.0;
            let mut tail: f64 = n_k.iter().sum();
            for c in 0..k - 1 {
                tail -= n_k[c];
                let (ln_v, ln_1mv) = ln_beta_variate(1.0 + n_k[c], c0 + tail.max(0.0), rng);
                out[c] = ln_rest + ln_v;
                ln_rest += ln_1mv;
            }
            out[k - 1] = ln_rest;
            out
        }
    }
}

/// The conditional posterior of one component's mean given its statistics (G4):
/// `beta_k = beta0 + N_k`, `m_k = (beta0 m0 + N_k xbar_k) / beta_k`, and the shrinkage term's
/// weight `beta0 N_k / beta_k` with `xbar_k - m0`.
struct MeanPosterior {
    n: f64,
    beta: f64,
    mean: DVector<f64>,
    shrink: f64,
    offset: DVector<f64>,
}

impl MeanPosterior {
    fn of(priors: &Priors, stats: &SufficientStats, c: usize) -> Self {
        let n = stats.n_k()[c];
        let beta0 = priors.mean_precision;
        let beta = beta0 + n;
        let xbar = stats.mean(c);
        let offset = &xbar - &priors.mean;
        let mean = (&priors.mean * beta0 + &xbar * n) / beta;
        Self {
            n,
            beta,
            mean,
            shrink: beta0 * n / beta,
            offset,
        }
    }

    /// `S_k + (beta0 N_k / beta_k)(xbar_k - m0)(xbar_k - m0)^T`: what the data add to the
    /// scale inverse (G4).
    fn scatter_term(&self, stats: &SufficientStats, c: usize) -> DMatrix<f64> {
        stats.scatter(c) + &self.offset * self.offset.transpose() * self.shrink
    }

    /// The diagonal of [`Self::scatter_term`].
    fn scatter_term_diagonal(&self, stats: &SufficientStats, c: usize) -> DVector<f64> {
        stats.scatter_diagonal(c) + self.offset.map(|x| x * x) * self.shrink
    }

    /// `m_k + root z / sqrt(beta_k)` with `z` standard normal: a draw of
    /// `N(m_k, root root^T / beta_k)`.
    fn draw_mean<R: Rng + ?Sized>(&self, root: &DMatrix<f64>, rng: &mut R) -> DVector<f64> {
        let z = DVector::from_fn(self.mean.len(), |_, _| standard_normal(rng));
        &self.mean + root * z / self.beta.sqrt()
    }
}

/// `M` with `M M^T = Sigma`, `Sigma^{-1} ~ W(A^{-1}, nu)`, by the Bartlett decomposition
/// (G7): with `A = U U^T` and the Bartlett factor `B`, `Lambda = U^{-T} B B^T U^{-1}`, so
/// `Sigma = (U B^{-T})(U B^{-T})^T`.
fn wishart_covariance_root<R: Rng + ?Sized>(
    component: usize,
    scale_inverse: &DMatrix<f64>,
    nu: f64,
    rng: &mut R,
) -> Result<DMatrix<f64>> {
    let d = scale_inverse.nrows();
    let u = cholesky_lower(component, scale_inverse)?;
    let b = bartlett_factor(nu, d, rng);
    let b_inv = b
        .solve_lower_triangular(&DMatrix::identity(d, d))
        .ok_or_else(|| unusable_draw("a Bartlett factor with a zero pivot"))?;
    Ok(u * b_inv.transpose())
}

/// `M M^T`, made exactly symmetric, checked finite.
fn covariance_of_root(root: &DMatrix<f64>) -> Result<DMatrix<f64>> {
    let mut sigma = root * root.transpose();
    symmetrise(&mut sigma);
    if sigma.iter().all(|v| v.is_finite()) {
        Ok(sigma)
    } else {
        Err(unusable_draw("a covariance with an infinite entry"))
    }
}

/// Draws `(ln lambda)` for `lambda ~ Gamma(shape, rate)` and returns the variance
/// `1 / lambda` (G5).
fn gamma_variance<R: Rng + ?Sized>(shape: f64, rate: f64, rng: &mut R) -> Result<f64> {
    let v = (rate.ln() - ln_gamma_variate(shape, rng)).exp();
    if v.is_finite() && v > 0.0 {
        Ok(v)
    } else {
        Err(unusable_draw(
            "a variance that is not a positive finite number",
        ))
    }
}

/// Means (K x D) and covariances given the statistics, for `covariance_type` (G4, G5).
pub(crate) fn draw_components<R: Rng + ?Sized>(
    priors: &Priors,
    covariance_type: CovarianceType,
    stats: &SufficientStats,
    rng: &mut R,
) -> Result<(DMatrix<f64>, Covariances)> {
    let k = stats.n_components();
    let d = priors.n_features();
    let nu0 = priors.degrees_of_freedom;
    let posts: Vec<MeanPosterior> = (0..k)
        .map(|c| MeanPosterior::of(priors, stats, c))
        .collect();
    let mut means = DMatrix::zeros(k, d);
    let covariances = match covariance_type {
        CovarianceType::Full => {
            let mut sigmas = Vec::with_capacity(k);
            for (c, post) in posts.iter().enumerate() {
                let mut a = priors.covariance_matrix() + post.scatter_term(stats, c);
                symmetrise(&mut a);
                let root = wishart_covariance_root(c, &a, nu0 + post.n, rng)?;
                means.set_row(c, &post.draw_mean(&root, rng).transpose());
                sigmas.push(covariance_of_root(&root)?);
            }
            Covariances::Full(sigmas)
        }
        CovarianceType::Tied => {
            let mut a = priors.covariance_matrix();
            for (c, post) in posts.iter().enumerate() {
                a += post.scatter_term(stats, c);
            }
            symmetrise(&mut a);
            let n: f64 = posts.iter().map(|p| p.n).sum();
            let root = wishart_covariance_root(0, &a, nu0 + n, rng)?;
            for (c, post) in posts.iter().enumerate() {
                means.set_row(c, &post.draw_mean(&root, rng).transpose());
            }
            Covariances::Tied(covariance_of_root(&root)?)
        }
        CovarianceType::Diagonal => {
            let prior_diag = prior_diagonal(priors);
            let mut vars = Vec::with_capacity(k);
            for (c, post) in posts.iter().enumerate() {
                let a = &prior_diag + post.scatter_term_diagonal(stats, c);
                let shape = 0.5 * (nu0 + post.n);
                let v = a
                    .iter()
                    .map(|&a_j| gamma_variance(shape, 0.5 * a_j, rng))
                    .collect::<Result<Vec<f64>>>()?;
                let root =
                    DMatrix::from_diagonal(&DVector::from_iterator(d, v.iter().map(|x| x.sqrt())));
                means.set_row(c, &post.draw_mean(&root, rng).transpose());
                vars.push(DVector::from_vec(v));
            }
            Covariances::Diagonal(vars)
        }
        CovarianceType::Spherical => {
            let prior_trace = prior_diagonal(priors).sum();
            let mut vars = Vec::with_capacity(k);
            for (c, post) in posts.iter().enumerate() {
                let trace = prior_trace + post.scatter_term_diagonal(stats, c).sum();
                let v = gamma_variance(0.5 * d as f64 * (nu0 + post.n), 0.5 * trace, rng)?;
                let root = DMatrix::from_diagonal_element(d, d, v.sqrt());
                means.set_row(c, &post.draw_mean(&root, rng).transpose());
                vars.push(v);
            }
            Covariances::Spherical(vars)
        }
    };
    if means.iter().any(|m| !m.is_finite()) {
        return Err(unusable_draw("a mean with an infinite entry"));
    }
    Ok((means, covariances))
}

/// The diagonal of the covariance prior `W0^{-1}` (D values, without forming a D x D matrix
/// for diagonal and spherical priors).
fn prior_diagonal(priors: &Priors) -> DVector<f64> {
    priors.covariance.variances(0, priors.n_features())
}
