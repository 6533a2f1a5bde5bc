//! The E-step over points with missing coordinates (docs/em.md, "Missing values", eqs.
//! M1-M5; Ghahramani & Jordan 1994). A clear loop without lanes: complete points keep the
//! vectorised kernel, bit for bit.
//!
//! The kernel's component `k` is the unnormalised Gaussian `exp(c_k - 1/2 (x - m_k)^T
//! Lambda_k (x - m_k))` with `Lambda_k = P_k P_k^T`. For a point whose coordinates `o` are
//! observed and `m` missing, integrating it over `x_m` gives
//!
//! ```text
//! log rho_k(x_o) = c_k + |m|/2 ln 2 pi + 1/2 ln|C_k| - 1/2 (x_o - m_o)^T (S_oo)^{-1} (x_o - m_o)
//! ```
//!
//! with `S = Lambda_k^{-1}` and `C_k = S_mm - S_mo S_oo^{-1} S_om = (Lambda_mm)^{-1}`, the
//! conditional covariance of `x_m` given `x_o`. For EM's constants this is
//! `ln w_k + ln N(x_o | m_o, S_oo)`: the marginal density. The missing block's conditional
//! expectation is `x̂_m = m_m + S_mo S_oo^{-1} (x_o - m_o)`. Both are computed per pattern
//! and component once: the Cholesky factor `L` of `S_oo`, the gain `B = S_mo L^{-T}` (so
//! `x̂_m = m_m + B z` with `z = L^{-1} (x_o - m_o)`), `C_k = S_mm - B B^T` and the constant.

use nalgebra::{DMatrix, DVector};
use rayon::prelude::*;

use super::{EStepKernel, EStepOutput, Factors, logsumexp};
use crate::data::{Dataset, MissingPattern, MissingRows};
use crate::source::{Points, Precision};
use crate::stats::ScatterKind;

/// Points of one pattern whose completed values are held at a time, per component.
const ROWS_PER_BLOCK: usize = 1024;

/// One component of the kernel in dense form.
struct DenseComponent {
    mean: DVector<f64>,
    /// A factor `F` with `F F^T = S = Lambda^{-1}` (lower triangular: `P^{-T}`).
    root: DMatrix<f64>,
    /// `ln |S|`.
    log_det: f64,
    /// `c_k`.
    constant: f64,
}

/// A component's marginal over the observed coordinates of one pattern and the
/// conditional law of the missing ones.
struct PatternComponent {
    mean_observed: DVector<f64>,
    mean_missing: DVector<f64>,
    /// Lower Cholesky factor `L` of `S_oo`.
    chol: DMatrix<f64>,
    /// `B = S_mo L^{-T}`.
    gain: DMatrix<f64>,
    /// `C = S_mm - B B^T`.
    conditional_cov: DMatrix<f64>,
    /// `c_k + |m|/2 ln 2 pi + 1/2 ln |C|`; `-inf` when `S_oo` is not positive definite in
    /// floating point.
    constant: f64,
    /// The entropy of `N(x̂_m, C)`: `|m|/2 (1 + ln 2 pi) + 1/2 ln |C|` (eq. V-M3).
    entropy: f64,
}

/// The values (row-major, NaN at missing coordinates) and weights of one batch.
#[derive(Clone, Copy)]
struct BatchRows<'a> {
    values: &'a [f64],
    weights: Option<&'a [f64]>,
}

/// The log densities of one point under every component and its completion under each.
struct PointEvaluation {
    log_rho: Vec<f64>,
    /// K x D row-major: the point with its missing coordinates replaced by `x̂_m` of
    /// component k.
    completed: Vec<f64>,
}

impl EStepKernel {
    /// The components in dense form (`S_k = (P_k P_k^T)^{-1}` through its factor).
    fn dense_components(&self) -> Vec<DenseComponent> {
        let (d, k) = (self.n_features, self.n_components);
        let packed_len = d * (d + 1) / 2;
        (0..k)
            .map(|c| {
                let precision_factor = match &self.factors {
                    Factors::Packed { columns: p, .. } => {
                        let p = &p[c * packed_len..(c + 1) * packed_len];
                        let mut m = DMatrix::zeros(d, d);
                        let mut off = 0;
                        for j in 0..d {
                            for i in 0..=j {
                                m[(i, j)] = p[off + i];
                            }
                            off += j + 1;
                        }
                        m
                    }
                    Factors::Diagonal(p) => {
                        DMatrix::from_diagonal(&DVector::from_row_slice(&p[c * d..(c + 1) * d]))
                    }
                    Factors::Spherical(p) => DMatrix::from_diagonal_element(d, d, p[c]),
                };
                let log_det = -2.0 * precision_factor.diagonal().map(f64::ln).sum();
                let inverse = precision_factor
                    .solve_upper_triangular(&DMatrix::identity(d, d))
                    .unwrap_or_else(|| DMatrix::from_element(d, d, f64::NAN));
                DenseComponent {
                    mean: DVector::from_row_slice(&self.means[c * d..(c + 1) * d]),
                    root: inverse.transpose(),
                    log_det,
                    constant: self.log_constants[c],
                }
            })
            .collect()
    }

    /// The E-step over one batch of `f64` points (row-major, NaN at missing coordinates,
    /// with optional weights), merged into `total`: the one E-step of data with missing
    /// values, in memory ([`Self::e_step`]) and streamed ([`Self::e_step_pass`]) alike.
    /// The batch's rows are grouped by pattern ([`MissingPattern`], patterns in the order of
    /// their first row in the batch); its complete rows run through the vectorised kernel
    /// ([`Self::e_step_batch`]) in their order, then each pattern (in parallel) gives its
    /// responsibilities from the marginal densities and the statistics of its completed
    /// points plus the conditional covariances; the patterns' outputs are merged in order,
    /// so the result is the same on any number of threads. A batch without a NaN is
    /// [`Self::e_step_batch`] itself.
    pub(super) fn e_step_batch_with_missing(
        &self,
        values: &[f64],
        weights: Option<&[f64]>,
        origin: &[f64],
        kind: ScatterKind,
        total: &mut EStepOutput,
    ) {
        let d = self.n_features;
        let Some(rows) = MissingRows::group(values, d) else {
            self.e_step_points(Points::F64(values), weights, origin, kind, total);
            return;
        };
        if !rows.complete.is_empty() {
            let complete: Vec<f64> = rows
                .complete
                .iter()
                .flat_map(|&n| values[n * d..(n + 1) * d].iter().copied())
                .collect();
            let complete_weights: Option<Vec<f64>> =
                weights.map(|w| rows.complete.iter().map(|&n| w[n]).collect());
            let w = complete_weights.as_deref();
            self.e_step_points(Points::F64(&complete), w, origin, kind, total);
        }
        let components = self.dense_components();
        let batch = BatchRows { values, weights };
        let parts: Vec<EStepOutput> = rows
            .patterns
            .par_iter()
            .map(|pattern| self.pattern_e_step(&components, pattern, batch, origin, kind))
            .collect();
        for part in &parts {
            total.merge(part);
        }
    }

    /// The E-step over the points of one pattern of a batch, in blocks of
    /// [`ROWS_PER_BLOCK`].
    fn pattern_e_step(
        &self,
        components: &[DenseComponent],
        pattern: &MissingPattern,
        batch: BatchRows<'_>,
        origin: &[f64],
        kind: ScatterKind,
    ) -> EStepOutput {
        let (d, k) = (self.n_features, self.n_components);
        let marginals: Vec<PatternComponent> = components
            .iter()
            .map(|c| PatternComponent::new(c, pattern))
            .collect();
        let mut out = EStepOutput::zeros(k, origin, kind);
        let mut completed = vec![Vec::new(); k];
        let mut resp = vec![Vec::new(); k];
        for block in pattern.rows().chunks(ROWS_PER_BLOCK) {
            for (c, r) in completed.iter_mut().zip(&mut resp) {
                c.clear();
                r.clear();
            }
            for &n in block {
                let w = batch.weights.map_or(1.0, |w| w[n]);
                let point = evaluate(&marginals, pattern, &batch.values[n * d..(n + 1) * d]);
                let lse = logsumexp(&point.log_rho);
                out.log_norm_sum += w * lse;
                for c in 0..k {
                    let r = (point.log_rho[c] - lse).exp();
                    if r > 0.0 {
                        out.resp_log_resp_sum += w * (r * (point.log_rho[c] - lse));
                        out.missing_entropy_sum += w * (r * marginals[c].entropy);
                    }
                    resp[c].push(r * w);
                    completed[c].extend_from_slice(&point.completed[c * d..(c + 1) * d]);
                }
                out.n_samples += 1;
                out.total_weight += w;
            }
            for c in 0..k {
                out.stats.add_component_points(c, &completed[c], &resp[c]);
                let weight: f64 = resp[c].iter().sum();
                if weight > 0.0 {
                    let cov = &marginals[c].conditional_cov;
                    out.stats
                        .add_conditional_scatter(c, pattern.missing(), cov, weight);
                }
            }
        }
        out.lanes = Precision::F64;
        out
    }

    /// `log rho_nk` (row-major, K per point) of every point of `data`: the kernel's for the
    /// complete points, the marginal densities for the points with missing coordinates.
    pub(super) fn log_rho_with_missing(&self, data: &Dataset) -> Vec<f64> {
        let (d, k) = (self.n_features, self.n_components);
        let zeroed: Vec<f64> = data
            .as_slice()
            .iter()
            .map(|v| if v.is_nan() { 0.0 } else { *v })
            .collect();
        let mut out = vec![0.0; data.n_samples() * k];
        let rows = Self::chunk_rows(d);
        out.par_chunks_mut(rows * k)
            .zip(zeroed.par_chunks(rows * d))
            .for_each(|(o, chunk)| self.log_rho_rows(chunk, o));
        let components = self.dense_components();
        for pattern in data.missing_patterns() {
            let marginals: Vec<PatternComponent> = components
                .iter()
                .map(|c| PatternComponent::new(c, pattern))
                .collect();
            for &n in pattern.rows() {
                let point = evaluate(&marginals, pattern, data.row(n));
                out[n * k..(n + 1) * k].copy_from_slice(&point.log_rho);
            }
        }
        out
    }
}

impl PatternComponent {
    /// The marginal and conditional of `component` for `pattern` (eqs. M1, M2).
    fn new(component: &DenseComponent, pattern: &MissingPattern) -> Self {
        let (o, m) = (pattern.observed(), pattern.missing());
        let d = component.mean.len();
        let root_o = component.root.select_rows(o);
        let root_m = component.root.select_rows(m);
        let cov_oo = &root_o * root_o.transpose();
        let cov_mo = &root_m * root_o.transpose();
        let cov_mm = &root_m * root_m.transpose();
        let (chol, log_det_oo) = match cov_oo.clone().cholesky() {
            Some(ch) => {
                let l = ch.unpack();
                let log_det = 2.0 * l.diagonal().map(f64::ln).sum();
                (l, log_det)
            }
            None => (DMatrix::identity(o.len(), o.len()), f64::NAN),
        };
        // B = S_mo L^{-T}: solve L B^T = S_om
        let gain = chol
            .solve_lower_triangular(&cov_mo.transpose())
            .map(|bt| bt.transpose())
            .unwrap_or_else(|| DMatrix::zeros(m.len(), o.len()));
        let conditional_cov = cov_mm - &gain * gain.transpose();
        let log_det_conditional = component.log_det - log_det_oo;
        let half_log_2pi_m = 0.5 * m.len() as f64 * (2.0 * std::f64::consts::PI).ln();
        let constant = if log_det_conditional.is_finite() {
            component.constant + half_log_2pi_m + 0.5 * log_det_conditional
        } else {
            f64::NEG_INFINITY
        };
        let entropy = half_log_2pi_m + 0.5 * (m.len() as f64 + log_det_conditional);
        debug_assert_eq!(o.len() + m.len(), d);
        Self {
            mean_observed: component.mean.select_rows(o),
            mean_missing: component.mean.select_rows(m),
            chol,
            gain,
            conditional_cov,
            constant,
            entropy,
        }
    }
}

/// The log densities of the point `x` (NaN at the missing coordinates of `pattern`) under
/// every component's marginal (eq. M1), and its completions (eq. M3).
fn evaluate(
    marginals: &[PatternComponent],
    pattern: &MissingPattern,
    x: &[f64],
) -> PointEvaluation {
    let d = x.len();
    let (o, m) = (pattern.observed(), pattern.missing());
    let x_o = DVector::from_iterator(o.len(), o.iter().map(|&j| x[j]));
    let mut log_rho = Vec::with_capacity(marginals.len());
    let mut completed = Vec::with_capacity(marginals.len() * d);
    for pc in marginals {
        let diff = &x_o - &pc.mean_observed;
        let z = pc
            .chol
            .solve_lower_triangular(&diff)
            .unwrap_or_else(|| DVector::zeros(o.len()));
        log_rho.push(pc.constant - 0.5 * z.norm_squared());
        let x_m = &pc.mean_missing + &pc.gain * &z;
        let start = completed.len();
        completed.extend_from_slice(x);
        for (a, &j) in m.iter().enumerate() {
            completed[start + j] = x_m[a];
        }
    }
    PointEvaluation { log_rho, completed }
}
