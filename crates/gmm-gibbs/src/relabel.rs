//! Label switching (docs/gibbs.md, R1-R2): every draw's components are permuted to match a
//! reference by a minimum-cost assignment of means (`gmm_core::hungarian`), the reference
//! being first the draw of highest likelihood, then the posterior mean of the relabelled
//! means.

use gmm_core::{Result, hungarian};
use nalgebra::DMatrix;

use crate::draw::Draw;

/// Passes of relabelling: against the pivot draw, then against the mean of the first pass.
const PASSES: usize = 2;

/// The cost of giving draw component `j` the label of reference component `i`: the squared
/// distance of their means, each coordinate divided by the data's standard deviation (R1).
pub(crate) fn cost_matrix(
    reference: &DMatrix<f64>,
    draw: &Draw,
    inv_scale: &[f64],
) -> DMatrix<f64> {
    let means = draw.means();
    DMatrix::from_fn(reference.nrows(), means.nrows(), |i, j| {
        (0..reference.ncols())
            .map(|d| ((reference[(i, d)] - means[(j, d)]) * inv_scale[d]).powi(2))
            .sum()
    })
}

/// The mean of the means of all draws.
fn mean_of_means(draws: &[Vec<Draw>]) -> DMatrix<f64> {
    let count = draws.iter().map(|c| c.len()).sum::<usize>() as f64;
    let first = &draws[0][0];
    let mut acc = DMatrix::zeros(first.n_components(), first.n_features());
    for d in draws.iter().flatten() {
        acc += d.means();
    }
    acc / count
}

/// `1 / s_d` of each column's standard deviation (1 for a zero or non-finite one).
pub(crate) fn inverse_scale(scale: &[f64]) -> Vec<f64> {
    scale
        .iter()
        .map(|&s| {
            if s > 0.0 && s.is_finite() {
                1.0 / s
            } else {
                1.0
            }
        })
        .collect()
}

/// Relabels every draw in place (R1-R2) and returns the final reference means. `scale`:
/// the data's standard deviation per column (a zero one counts as 1).
///
/// # Errors
/// [`gmm_core::GmmError::InvalidParameter`] from the assignment if a cost is not finite
/// (not expected: draws are checked finite).
pub(crate) fn relabel(draws: &mut [Vec<Draw>], scale: &[f64]) -> Result<DMatrix<f64>> {
    let inv_scale = inverse_scale(scale);
    let pivot = draws
        .iter()
        .flatten()
        .fold(None::<&Draw>, |best, d| match best {
            Some(b) if b.log_likelihood() >= d.log_likelihood() => Some(b),
            _ => Some(d),
        })
        .expect("a fit keeps at least one draw");
    let mut reference = pivot.means().clone();
    if pivot.n_components() == 1 {
        return Ok(reference);
    }
    for _ in 0..PASSES {
        for d in draws.iter_mut().flatten() {
            let order = hungarian(&cost_matrix(&reference, d, &inv_scale))?;
            d.permute(&order);
        }
        reference = mean_of_means(draws);
    }
    Ok(reference)
}
