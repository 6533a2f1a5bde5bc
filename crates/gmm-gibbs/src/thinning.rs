//! Which relabelled draws the posterior predictive keeps (docs/gibbs.md, P1): `n` of the
//! `C x S` draws, spread evenly over the chains and, within each chain, over its draws.

use gmm_core::{CovarianceType, GaussianMixture, ModelFile, PosteriorDraws, Result, logsumexp};

use crate::draw::Draw;
use crate::params::{GibbsParams, MAX_PREDICTIVE_FILE_BYTES};

/// The kept draws' `(chain, draw)` indices and their mixtures (`None` when none is kept).
pub(crate) type Kept = (Vec<(usize, usize)>, Option<PosteriorDraws>);

/// The kept draws' `(chain, draw)` indices and their mixtures (`None` when none are kept:
/// `predictive_draws(0)`, or not one fits in the file's bound).
///
/// # Errors
/// Any error of [`GaussianMixture::new`] on a draw (not expected: draws are valid).
pub(crate) fn predictive(params: &GibbsParams, draws: &[Vec<Draw>]) -> Result<Kept> {
    let first = &draws[0][0];
    let total = draws.len() * draws[0].len();
    let (k, d, t) = (
        first.n_components(),
        first.n_features(),
        first.covariance_type(),
    );
    let n = kept_count(params.predictive_draws, total, t, k, d);
    let kept = kept_indices(draws.len(), draws[0].len(), n);
    if kept.is_empty() {
        return Ok((kept, None));
    }
    let mixtures = kept
        .iter()
        .map(|&(c, s)| normalised_mixture(&draws[c][s]))
        .collect::<Result<Vec<_>>>()?;
    Ok((kept, Some(PosteriorDraws::new(mixtures)?)))
}

/// The draw's mixture with its weights `exp(ln pi_k - logsumexp ln pi)`, so that they sum to
/// 1 to rounding even when one underflows.
fn normalised_mixture(draw: &Draw) -> Result<GaussianMixture> {
    let total = logsumexp(draw.log_weights());
    let weights = draw.log_weights().iter().map(|w| (w - total).exp());
    GaussianMixture::new(
        nalgebra::DVector::from_iterator(draw.n_components(), weights),
        draw.means().clone(),
        draw.covariances().clone(),
    )
}

/// The number of draws kept: the `asked` number, at most the `total` draws, and at most as
/// many as fit in [`MAX_PREDICTIVE_FILE_BYTES`] of model file (a draw of type `t` with `k`
/// components of dimension `d` costs about [`ModelFile::estimated_bytes`]).
pub(crate) fn kept_count(
    asked: usize,
    total: usize,
    t: CovarianceType,
    k: usize,
    d: usize,
) -> usize {
    let per_draw = ModelFile::estimated_bytes(t, k, d).max(1);
    let fit = usize::try_from(MAX_PREDICTIVE_FILE_BYTES / per_draw).unwrap_or(usize::MAX);
    asked.min(total).min(fit)
}

/// The `(chain, draw)` indices of `n <= chains x per_chain` kept draws: chain `c` keeps
/// `m_c = floor(n / C)` draws, one more for the first `n mod C` chains, and of its `S`
/// draws those at `floor((2i + 1) S / (2 m_c))`, `i = 0..m_c` (the middle of each of `m_c`
/// equal stretches), in chain order.
pub(crate) fn kept_indices(chains: usize, per_chain: usize, n: usize) -> Vec<(usize, usize)> {
    let mut out = Vec::with_capacity(n);
    for c in 0..chains {
        let m = n / chains + usize::from(c < n % chains);
        out.extend((0..m).map(|i| (c, (2 * i + 1) * per_chain / (2 * m))));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_are_spread_over_chains_and_stretches() {
        assert_eq!(kept_indices(2, 10, 4), vec![(0, 2), (0, 7), (1, 2), (1, 7)]);
        assert_eq!(kept_indices(3, 4, 4), vec![(0, 1), (0, 3), (1, 2), (2, 2)]);
        // all draws: every index once
        let all = kept_indices(3, 5, 15);
        let want: Vec<_> = (0..3).flat_map(|c| (0..5).map(move |t| (c, t))).collect();
        assert_eq!(all, want);
        assert!(kept_indices(4, 100, 0).is_empty());
    }

    #[test]
    fn the_count_is_bounded_by_the_draws_and_the_file_size() {
        assert_eq!(kept_count(200, 80, CovarianceType::Full, 3, 2), 80);
        assert_eq!(kept_count(200, 4000, CovarianceType::Full, 3, 2), 200);
        // K = 50 full 250 x 250 covariances: about 104 MB a draw, none fits in 64 MiB
        assert_eq!(kept_count(200, 4000, CovarianceType::Full, 50, 250), 0);
        let big = kept_count(200, 4000, CovarianceType::Full, 10, 50);
        assert!(big > 0 && big < 200, "{big}");
    }
}
