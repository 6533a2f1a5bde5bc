//! Choosing the number of components by BIC, AIC or ICL over a range of K (the mclust habit),
//! returning the whole table.

use gmm_core::{Dataset, FittedModel, GmmError, MixtureModel, Result};
use serde::{Deserialize, Serialize};

use crate::fit::EmFit;
use crate::params::EmParams;

/// One row of the K-selection table: the fit with `k` components and its criteria.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KSelectionRow {
    /// Number of components.
    pub k: usize,
    /// Bayesian information criterion `-2 N score + p ln N` (lower is better).
    pub bic: f64,
    /// Akaike information criterion `-2 N score + 2 p` (lower is better).
    pub aic: f64,
    /// Integrated completed likelihood `BIC - 2 sum_n ln max_k r_nk` (mclust's ICL with
    /// lower better; [`gmm_core::GaussianMixture::icl`]).
    pub icl: f64,
    /// Mean per-point log-likelihood of the final parameters.
    pub log_likelihood: f64,
    /// Number of free parameters `p`.
    pub n_parameters: usize,
    /// Whether the fit converged.
    pub converged: bool,
}

/// Fits every K in `k_range` with `params` (its `n_components` replaced by K, any warm
/// start dropped) and returns one row per K, in increasing K.
///
/// # Errors
/// [`GmmError::InvalidParameter`] for an empty range or one starting at 0; the first error
/// of a fit (with its K in no message: fit the failing K alone to see it).
///
/// # Examples
/// ```
/// use gmm_core::synthetic;
/// use gmm_em::{best_by_bic, select_k, EmParams};
/// let sample = synthetic::draw(&synthetic::one_d_three_clusters(), 800, 3)?;
/// let table = select_k(&sample.data, 1..=5, &EmParams::new(1).n_init(2))?;
/// assert_eq!(table.len(), 5);
/// assert_eq!(best_by_bic(&table).map(|row| row.k), Some(3));
/// # Ok::<(), gmm_core::GmmError>(())
/// ```
pub fn select_k(
    data: &Dataset,
    k_range: std::ops::RangeInclusive<usize>,
    params: &EmParams,
) -> Result<Vec<KSelectionRow>> {
    Ok(select_k_fits(data, k_range, params)?
        .into_iter()
        .map(|(row, _)| row)
        .collect())
}

/// As [`select_k`], keeping each K's fit beside its row.
///
/// # Errors
/// As [`select_k`].
pub fn select_k_fits(
    data: &Dataset,
    k_range: std::ops::RangeInclusive<usize>,
    params: &EmParams,
) -> Result<Vec<(KSelectionRow, EmFit)>> {
    let (lo, hi) = (*k_range.start(), *k_range.end());
    if lo == 0 || lo > hi {
        return Err(GmmError::InvalidParameter {
            name: "k_range",
            value: format!("{lo}..={hi}"),
            reason: "give a non-empty range of K starting at 1 or more".into(),
        });
    }
    let mut out = Vec::with_capacity(hi - lo + 1);
    for k in k_range {
        let fit = params.clone().cold_start().n_components(k).fit(data)?;
        let row = KSelectionRow {
            k,
            bic: fit.bic(data)?,
            aic: fit.aic(data)?,
            icl: fit.icl(data)?,
            log_likelihood: fit.score(data)?,
            n_parameters: fit.mixture().n_parameters(),
            converged: fit.converged(),
        };
        out.push((row, fit));
    }
    Ok(out)
}

/// The row with the lowest BIC (ties to the smaller K); `None` for an empty table.
pub fn best_by_bic(rows: &[KSelectionRow]) -> Option<&KSelectionRow> {
    rows.iter()
        .fold(None, |best: Option<&KSelectionRow>, r| match best {
            Some(b) if b.bic <= r.bic => Some(b),
            _ => Some(r),
        })
}

/// The row with the lowest ICL (ties to the smaller K); `None` for an empty table.
pub fn best_by_icl(rows: &[KSelectionRow]) -> Option<&KSelectionRow> {
    rows.iter()
        .fold(None, |best: Option<&KSelectionRow>, r| match best {
            Some(b) if b.icl <= r.icl => Some(b),
            _ => Some(r),
        })
}

/// The row with the lowest AIC (ties to the smaller K); `None` for an empty table.
pub fn best_by_aic(rows: &[KSelectionRow]) -> Option<&KSelectionRow> {
    rows.iter()
        .fold(None, |best: Option<&KSelectionRow>, r| match best {
            Some(b) if b.aic <= r.aic => Some(b),
            _ => Some(r),
        })
}
