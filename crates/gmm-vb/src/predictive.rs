//! The posterior predictive density, a mixture of Student-t distributions (Bishop
//! 10.78-10.82; docs/vb.md, section "Predictive density").

use gmm_core::PrecisionCholesky;
use nalgebra::{DMatrix, DVector};

use crate::state::{half_log_det, ln_gamma};

use crate::params::Priors;
use crate::state::VariationalState;

/// `p(x | X) = sum_k E[pi_k] St(x | m_k, L_k, nu_k + 1 - D)` with
/// `L_k = ((nu_k + 1 - D) beta_k / (1 + beta_k)) W_k` (Bishop 10.81-10.82).
///
/// For the Dirichlet process the sticks leave mass `prod_k E[1 - v_k]` to components beyond
/// the K-th, which are still at their prior: that mass goes to the prior predictive
/// `St(x | m0, L0, nu0 + 1 - D)`, so the density integrates to 1.
#[derive(Debug, Clone, PartialEq)]
pub struct PredictiveDensity {
    log_weights: Vec<f64>,
    means: Vec<DVector<f64>>,
    /// `F` with `F F^T = L` (the precision factor of the t scale), in the storage of the
    /// covariance type.
    factors: Vec<ScaleFactor>,
    dof: Vec<f64>,
    log_norm: Vec<f64>,
}

/// One component's factor `F` of the Student-t scale: upper triangular D x D (full, tied),
/// D entries of a diagonal (diag), or one entry times the identity (spherical).
#[derive(Debug, Clone, PartialEq)]
enum ScaleFactor {
    Upper(DMatrix<f64>),
    Diagonal(DVector<f64>),
    Spherical(f64),
}

impl ScaleFactor {
    /// Component `k`'s factor of `u`, times `scale`.
    fn of(u: &PrecisionCholesky, k: usize, scale: f64) -> Self {
        match u {
            PrecisionCholesky::Full(m) => Self::Upper(&m[k] * scale),
            PrecisionCholesky::Tied(m) => Self::Upper(m * scale),
            PrecisionCholesky::Diagonal(v) => Self::Diagonal(&v[k] * scale),
            PrecisionCholesky::Spherical(v) => Self::Spherical(v[k] * scale),
        }
    }

    /// `||F^T (x - m)||^2`, allocation-free: for a triangular `F` summed column by column.
    /// The precision matrix `F F^T` this factor stands for, dense (`d` x `d`).
    fn precision(&self, d: usize) -> DMatrix<f64> {
        match self {
            Self::Upper(f) => f * f.transpose(),
            Self::Diagonal(f) => DMatrix::from_diagonal(&f.map(|v| v * v)),
            Self::Spherical(f) => DMatrix::from_diagonal_element(d, d, f * f),
        }
    }

    fn quadratic(&self, x: &[f64], mean: &[f64]) -> f64 {
        match self {
            Self::Upper(f) => {
                let d = mean.len();
                let factor = f.as_slice(); // column-major, upper triangular
                let mut delta2 = 0.0;
                for i in 0..d {
                    let column = &factor[i * d..=i * d + i];
                    let projected: f64 = column
                        .iter()
                        .zip(x)
                        .zip(mean)
                        .map(|((f, x), m)| f * (x - m))
                        .sum();
                    delta2 += projected * projected;
                }
                delta2
            }
            Self::Diagonal(f) => f
                .iter()
                .zip(x)
                .zip(mean)
                .map(|((f, x), m)| {
                    let projected = f * (x - m);
                    projected * projected
                })
                .fold(0.0, |sum, v| sum + v),
            Self::Spherical(f) => x
                .iter()
                .zip(mean)
                .map(|(x, m)| {
                    let projected = f * (x - m);
                    projected * projected
                })
                .fold(0.0, |sum, v| sum + v),
        }
    }
}

impl PredictiveDensity {
    /// The predictive density of a posterior with its priors.
    pub fn new(state: &VariationalState, priors: &Priors) -> Self {
        let d = state.n_features();
        let df = d as f64;
        let (weights, rest) = state.weights.expected_weights_with_remainder();
        let mut out = Self {
            log_weights: Vec::new(),
            means: Vec::new(),
            factors: Vec::new(),
            dof: Vec::new(),
            log_norm: Vec::new(),
        };
        let mut push = |w: f64,
                        m: DVector<f64>,
                        (u, k): (&PrecisionCholesky, usize),
                        log_det_w: f64,
                        nu: f64,
                        beta: f64| {
            if w <= 0.0 {
                return;
            }
            let dof = nu + 1.0 - df;
            let c = dof * beta / (1.0 + beta);
            out.log_weights.push(w.ln());
            out.means.push(m);
            out.factors.push(ScaleFactor::of(u, k, c.sqrt()));
            out.dof.push(dof);
            out.log_norm.push(
                ln_gamma(0.5 * (dof + df)) - ln_gamma(0.5 * dof) + 0.5 * (df * c.ln() + log_det_w)
                    - 0.5 * df * (dof * std::f64::consts::PI).ln(),
            );
        };
        for (c, &w) in weights.iter().enumerate() {
            push(
                w,
                state.means.row(c).transpose(),
                (&state.scale_factor, c),
                state.log_det_scale(c),
                state.degrees_of_freedom[c],
                state.mean_precision[c],
            );
        }
        if rest > 0.0
            && let Ok(u0) = priors.covariance.precision_cholesky()
        {
            let log_det_w0 = 2.0 * half_log_det(&u0, 0, d);
            push(
                rest,
                priors.mean.clone(),
                (&u0, 0),
                log_det_w0,
                priors.degrees_of_freedom,
                priors.mean_precision,
            );
        }
        out
    }

    /// Dimension D.
    pub fn n_features(&self) -> usize {
        self.means.first().map_or(0, |m| m.len())
    }

    /// `ln p(x | X)` at one point of dimension D.
    ///
    /// Allocation-free: the quadratic form `||F_k^T (x - m_k)||^2` is summed column by column
    /// of the triangular `F_k`, and the log-sum-exp over components is streamed (the running
    /// maximum rescales the running sum), so it agrees with a two-pass log-sum-exp to a few
    /// ulps. A point with missing coordinates (NaN) gets the marginal density of its observed
    /// ones (and allocates). Score a whole data set with [`MixtureModel::score_samples`](gmm_core::MixtureModel::score_samples),
    /// which checks the dimension.
    ///
    /// # Panics
    /// If `x.len()` is not D.
    pub fn log_pdf(&self, x: &[f64]) -> f64 {
        let d = self.n_features();
        assert_eq!(x.len(), d, "a point of dimension {d} is needed");
        if x.iter().any(|v| v.is_nan()) {
            return self.log_pdf_observed(x);
        }
        let df = d as f64;
        let mut max = f64::NEG_INFINITY;
        let mut sum = 0.0;
        for c in 0..self.log_weights.len() {
            let delta2 = self.factors[c].quadratic(x, self.means[c].as_slice());
            let dof = self.dof[c];
            let term =
                self.log_weights[c] + self.log_norm[c] - 0.5 * (dof + df) * (delta2 / dof).ln_1p();
            if term > max {
                sum = sum * (max - term).exp() + 1.0;
                max = term;
            } else if term != f64::NEG_INFINITY {
                sum += (term - max).exp(); // NaN propagates
            }
        }
        if max == f64::NEG_INFINITY {
            return max;
        }
        max + sum.ln()
    }

    /// The log density of the observed coordinates of `x` (NaN marks a missing one; docs/vb.md,
    /// "Missing values"): each Student-t's marginal, `St(x_o | m_o, ((L^{-1})_oo)^{-1}, nu)`
    /// with the same degrees of freedom `nu` (the marginal of a multivariate Student-t over
    /// some coordinates). Dense, point by point (a query, not the fit's loop).
    fn log_pdf_observed(&self, x: &[f64]) -> f64 {
        let d = x.len();
        let observed: Vec<usize> = (0..d).filter(|&j| !x[j].is_nan()).collect();
        let p = observed.len() as f64;
        let terms: Vec<f64> = (0..self.log_weights.len())
            .map(|c| {
                let Some(cov) = self.factors[c].precision(d).try_inverse() else {
                    return f64::NEG_INFINITY;
                };
                let cov_oo = cov.select_rows(&observed).select_columns(&observed);
                let Some(chol) = cov_oo.cholesky() else {
                    return f64::NEG_INFINITY;
                };
                let l = chol.l();
                let diff = DVector::from_iterator(
                    observed.len(),
                    observed.iter().map(|&j| x[j] - self.means[c][j]),
                );
                let delta2 = l
                    .solve_lower_triangular(&diff)
                    .map_or(f64::INFINITY, |z| z.norm_squared());
                let log_det = 2.0 * l.diagonal().map(f64::ln).sum();
                let dof = self.dof[c];
                self.log_weights[c] + ln_gamma(0.5 * (dof + p))
                    - ln_gamma(0.5 * dof)
                    - 0.5 * log_det
                    - 0.5 * p * (dof * std::f64::consts::PI).ln()
                    - 0.5 * (dof + p) * (delta2 / dof).ln_1p()
            })
            .collect();
        gmm_core::logsumexp(&terms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{VbParams, WeightPrior};
    use gmm_core::logsumexp;
    use gmm_core::{CovarianceType, synthetic};
    use std::alloc::{GlobalAlloc, Layout, System};
    use std::cell::Cell;

    /// Counts the allocations of the current thread (tests run on several threads).
    struct CountingAllocator;

    thread_local! {
        static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
    }

    // SAFETY: forwards to the system allocator; the counter is a const-initialised
    // thread-local `Cell` without destructor, so touching it never allocates.
    unsafe impl GlobalAlloc for CountingAllocator {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
            // SAFETY: same contract as the caller's.
            unsafe { System.alloc(layout) }
        }
        unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
            // SAFETY: same contract as the caller's.
            unsafe { System.dealloc(ptr, layout) }
        }
    }

    #[global_allocator]
    static GLOBAL: CountingAllocator = CountingAllocator;

    fn allocations() -> usize {
        ALLOCATIONS.with(Cell::get)
    }

    /// The densities of fits of every covariance type and both weight priors, on 2-D data.
    fn densities() -> Vec<(String, PredictiveDensity, gmm_core::Dataset)> {
        let sample = synthetic::draw(&synthetic::two_d_three_clusters(), 300, 2).unwrap();
        let mut out = Vec::new();
        for t in [
            CovarianceType::Full,
            CovarianceType::Tied,
            CovarianceType::Diagonal,
            CovarianceType::Spherical,
        ] {
            for prior in [
                WeightPrior::DirichletProcess {
                    concentration: None,
                },
                WeightPrior::DirichletDistribution {
                    concentration: Some(0.5),
                },
            ] {
                let fit = VbParams::new(4)
                    .covariance_type(t)
                    .weight_prior(prior)
                    .seed(1)
                    .fit(&sample.data)
                    .unwrap();
                out.push((
                    format!("{t:?} {}", prior.name()),
                    fit.predictive().clone(),
                    sample.data.clone(),
                ));
            }
        }
        out
    }

    /// The two-pass formula with allocated temporaries that `log_pdf` replaced.
    fn reference_log_pdf(p: &PredictiveDensity, x: &[f64]) -> f64 {
        let df = x.len() as f64;
        let terms: Vec<f64> = (0..p.log_weights.len())
            .map(|c| {
                let diff = DVector::from_iterator(
                    x.len(),
                    x.iter().zip(p.means[c].iter()).map(|(x, m)| x - m),
                );
                let factor = match &p.factors[c] {
                    ScaleFactor::Upper(f) => f.clone(),
                    ScaleFactor::Diagonal(f) => DMatrix::from_diagonal(f),
                    ScaleFactor::Spherical(f) => {
                        DMatrix::from_diagonal_element(x.len(), x.len(), *f)
                    }
                };
                let delta2 = (factor.transpose() * &diff).norm_squared();
                let dof = p.dof[c];
                p.log_weights[c] + p.log_norm[c] - 0.5 * (dof + df) * (delta2 / dof).ln_1p()
            })
            .collect();
        logsumexp(&terms)
    }

    #[test]
    fn log_pdf_agrees_with_the_two_pass_formula() {
        // Tolerance: both sum the same terms; they differ only in the order of rounding
        // (streamed rescaling, triangular sums), a few ulps of values of order 1-10.
        for (name, p, data) in densities() {
            let far = [40.0, -25.0];
            for x in data.rows().chain(std::iter::once(&far[..])) {
                let (ours, want) = (p.log_pdf(x), reference_log_pdf(&p, x));
                assert!(
                    (ours - want).abs() <= 1e-13 * want.abs().max(1.0),
                    "{name}: {ours} vs {want} at {x:?}"
                );
            }
        }
    }

    #[test]
    fn log_pdf_does_not_allocate() {
        for (name, p, data) in densities() {
            let before = allocations();
            let mut total = 0.0;
            for x in data.rows() {
                total += p.log_pdf(x);
            }
            assert_eq!(allocations(), before, "{name}: log_pdf allocated");
            assert!(total.is_finite());
            // the counter does count: the reference formula allocates
            let before = allocations();
            let _ = reference_log_pdf(&p, data.rows().next().unwrap());
            assert!(allocations() > before);
        }
    }

    #[test]
    #[should_panic(expected = "dimension 2")]
    fn log_pdf_names_the_dimension_it_needs() {
        let (_, p, _) = densities().swap_remove(0);
        p.log_pdf(&[1.0]);
    }
}
