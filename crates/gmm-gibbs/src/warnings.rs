//! When a component's posterior mean is not a usable summary (docs/gibbs.md, W1-W2): a
//! component that is often (nearly) empty, whose covariance's conditional posterior then has
//! no finite mean, and a component the relabelling cannot tell from another.

use gmm_core::CovarianceType;
use nalgebra::DMatrix;
use serde::{Deserialize, Serialize};

use crate::draw::Draw;
use crate::relabel::cost_matrix;

/// Share of the draws above which an unbounded covariance is reported (W1).
pub const UNBOUNDED_SHARE: f64 = 0.01;
/// Share of the draws above which a component's labels are reported ambiguous (W2).
pub const AMBIGUOUS_SHARE: f64 = 0.05;

/// Why a component's posterior mean is not a usable summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WarningKind {
    /// (W1) In a share of the draws the component held so few points that its covariance's
    /// conditional posterior has no finite mean (full: `nu0 + N_k <= D + 1`; tied:
    /// `nu0 + N <= D + 1`; diag: `nu0 + N_k <= 2`; spherical: `D (nu0 + N_k) <= 2`): the
    /// posterior-mean covariance is an average of heavy-tailed draws and can be any size.
    UnboundedCovariance,
    /// (W2) In a share of the draws the component's mean lies nearer (in the relabelling's
    /// scaled distance) to another component's posterior mean than to its own: the labels
    /// mix components, and so do the component's summaries.
    AmbiguousLabels,
}

/// A component whose posterior mean is not a usable summary, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SummaryWarning {
    /// The component (after relabelling).
    pub component: usize,
    /// What is wrong.
    pub kind: WarningKind,
    /// The share of the draws where it is (0 to 1).
    pub share: f64,
    /// The warning in words, with what to do.
    pub message: String,
}

/// Whether the conditional mean of the covariance is infinite given `n` points in the
/// component (`total` in all), for `nu0` and dimension `d` (W1).
fn unbounded(t: CovarianceType, nu0: f64, d: usize, n: f64, total: f64) -> bool {
    let d = d as f64;
    match t {
        CovarianceType::Full => nu0 + n <= d + 1.0,
        CovarianceType::Tied => nu0 + total <= d + 1.0,
        CovarianceType::Diagonal => nu0 + n <= 2.0,
        CovarianceType::Spherical => d * (nu0 + n) <= 2.0,
    }
}

/// Per component, the share of `draws` whose covariance is unbounded (W1).
fn unbounded_shares(draws: &[&Draw], nu0: f64) -> Vec<f64> {
    let first = draws[0];
    let (k, d, t) = (
        first.n_components(),
        first.n_features(),
        first.covariance_type(),
    );
    let mut count = vec![0usize; k];
    for draw in draws {
        let counts = draw.label_counts();
        let total: f64 = counts.iter().sum();
        for (c, &n) in counts.iter().enumerate() {
            count[c] += usize::from(unbounded(t, nu0, d, n, total));
        }
    }
    count
        .iter()
        .map(|&c| c as f64 / draws.len() as f64)
        .collect()
}

/// Per component, the share of `draws` whose mean is strictly nearer another reference
/// mean than its own (W2).
fn ambiguous_shares(draws: &[&Draw], reference: &DMatrix<f64>, inv_scale: &[f64]) -> Vec<f64> {
    let k = reference.nrows();
    let mut count = vec![0usize; k];
    for draw in draws {
        let cost = cost_matrix(reference, draw, inv_scale);
        for (c, n) in count.iter_mut().enumerate() {
            let own = cost[(c, c)];
            *n += usize::from((0..k).any(|i| i != c && cost[(i, c)] < own));
        }
    }
    count
        .iter()
        .map(|&c| c as f64 / draws.len() as f64)
        .collect()
}

/// The warnings of relabelled `draws` (every chain) against the final `reference` means,
/// under the prior degrees of freedom `nu0`.
pub(crate) fn summary_warnings(
    draws: &[Vec<Draw>],
    reference: &DMatrix<f64>,
    inv_scale: &[f64],
    nu0: f64,
) -> Vec<SummaryWarning> {
    let all: Vec<&Draw> = draws.iter().flatten().collect();
    let mut out = Vec::new();
    for (component, share) in unbounded_shares(&all, nu0).into_iter().enumerate() {
        if share > UNBOUNDED_SHARE {
            out.push(SummaryWarning {
                component,
                kind: WarningKind::UnboundedCovariance,
                share,
                message: format!(
                    "component {component}: in {:.1}% of the draws it held so few points that \
                     its covariance has no finite posterior mean (degrees of freedom {nu0} + \
                     N_k too small): its posterior-mean covariance is not a usable summary \
                     (score and predict use the draws); fewer components, or a larger \
                     degrees_of_freedom_prior, give one",
                    100.0 * share
                ),
            });
        }
    }
    for (component, share) in ambiguous_shares(&all, reference, inv_scale)
        .into_iter()
        .enumerate()
    {
        if share > AMBIGUOUS_SHARE {
            out.push(SummaryWarning {
                component,
                kind: WarningKind::AmbiguousLabels,
                share,
                message: format!(
                    "component {component}: in {:.1}% of the draws its mean lies nearer \
                     another component's posterior mean than its own: the relabelling cannot \
                     tell them apart, so its posterior means and standard deviations mix \
                     components (score uses the draws' predictive, which does not depend on \
                     labels; predict's labels are uncertain); fewer components give usable \
                     summaries",
                    100.0 * share
                ),
            });
        }
    }
    out
}
