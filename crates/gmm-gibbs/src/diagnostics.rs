//! Convergence diagnostics of several chains (Vehtari, Gelman, Simpson, Carpenter & Buerkner
//! 2021, "Rank-normalization, folding, and localization: an improved R-hat"; docs/gibbs.md,
//! D1-D4): split R-hat of the rank-normalised and of the folded draws, and the bulk effective
//! sample size.
//!
//! Every function takes the draws of one scalar quantity as one slice per chain, all of the
//! same length.

use special::Error as _;

/// `Phi^{-1}(p)`, the standard normal quantile, for `0 < p < 1`.
fn normal_quantile(p: f64) -> f64 {
    std::f64::consts::SQRT_2 * (2.0 * p - 1.0).inv_error()
}

/// The chains split in halves (D1): `2M` sequences of `floor(S/2)` draws (the middle draw of
/// an odd-length chain is dropped).
fn split(chains: &[&[f64]]) -> Vec<Vec<f64>> {
    let mut out = Vec::with_capacity(2 * chains.len());
    for c in chains {
        let half = c.len() / 2;
        out.push(c[..half].to_vec());
        out.push(c[c.len() - half..].to_vec());
    }
    out
}

/// Replaces every draw by the normal score of its rank among all draws (D2):
/// `Phi^{-1}((r - 3/8) / (S + 1/4))`, average ranks for ties.
fn rank_normalise(seqs: &[Vec<f64>]) -> Vec<Vec<f64>> {
    let mut all: Vec<(f64, usize, usize)> = seqs
        .iter()
        .enumerate()
        .flat_map(|(s, v)| v.iter().enumerate().map(move |(i, &x)| (x, s, i)))
        .collect();
    all.sort_by(|a, b| a.0.total_cmp(&b.0));
    let total = all.len() as f64;
    let mut out: Vec<Vec<f64>> = seqs.iter().map(|v| vec![0.0; v.len()]).collect();
    let mut start = 0;
    while start < all.len() {
        let mut end = start + 1;
        while end < all.len() && all[end].0 == all[start].0 {
            end += 1;
        }
        // Ranks are 1-based; tied draws share the mean of their ranks.
        let rank = (start + end + 1) as f64 / 2.0;
        let z = normal_quantile((rank - 0.375) / (total + 0.25));
        for &(_, s, i) in &all[start..end] {
            out[s][i] = z;
        }
        start = end;
    }
    out
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len() as f64
}

/// Variance with divisor `n - 1`.
fn sample_variance(v: &[f64]) -> f64 {
    let m = mean(v);
    v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (v.len() as f64 - 1.0)
}

/// Whether every draw of every sequence is the same value (R-hat and ESS are then
/// undefined; see [`split_rhat`]).
fn is_constant(seqs: &[Vec<f64>]) -> bool {
    let first = seqs[0][0];
    seqs.iter().all(|s| s.iter().all(|&x| x == first))
}

/// The classic R-hat of equal-length sequences (Gelman et al. 2013, eq. 11.4; D3):
/// `sqrt(((n - 1)/n W + B/n) / W)`.
fn rhat_of(seqs: &[Vec<f64>]) -> f64 {
    let n = seqs[0].len() as f64;
    let means: Vec<f64> = seqs.iter().map(|s| mean(s)).collect();
    let b_over_n = sample_variance(&means);
    let w = mean(&seqs.iter().map(|s| sample_variance(s)).collect::<Vec<_>>());
    (((n - 1.0) / n * w + b_over_n) / w).sqrt()
}

/// Checks the shape: at least one chain, every chain of the same length, at least 4 draws.
fn usable(chains: &[&[f64]]) -> bool {
    !chains.is_empty()
        && chains[0].len() >= 4
        && chains.iter().all(|c| c.len() == chains[0].len())
        && chains.iter().all(|c| c.iter().all(|x| x.is_finite()))
}

/// Split R-hat (Vehtari et al. 2021, D3): the larger of the split R-hat of the
/// rank-normalised draws (bulk) and of the rank-normalised draws folded about their median
/// (tails). Near 1 for chains that mix; above 1.01 is a warning.
///
/// Returns 1 for a quantity that is constant over all draws (nothing to mix), and NaN for
/// unusable input (no chains, chains of unequal length or of fewer than 4 draws, a
/// non-finite draw).
///
/// ```
/// use gmm_gibbs::split_rhat;
/// let a: Vec<f64> = (0..100).map(|i| ((i * 37) % 101) as f64).collect();
/// let b: Vec<f64> = (0..100).map(|i| ((i * 53) % 101) as f64).collect();
/// assert!(split_rhat(&[&a, &b]) < 1.05);
/// let shifted: Vec<f64> = b.iter().map(|x| x + 500.0).collect();
/// assert!(split_rhat(&[&a, &shifted]) > 1.5);
/// ```
pub fn split_rhat(chains: &[&[f64]]) -> f64 {
    if !usable(chains) {
        return f64::NAN;
    }
    let seqs = split(chains);
    if is_constant(&seqs) {
        return 1.0;
    }
    let bulk = rhat_of(&rank_normalise(&seqs));
    let all: Vec<f64> = seqs.iter().flatten().copied().collect();
    let median = median(&all);
    let folded: Vec<Vec<f64>> = seqs
        .iter()
        .map(|s| s.iter().map(|x| (x - median).abs()).collect())
        .collect();
    let tail = if is_constant(&folded) {
        1.0
    } else {
        rhat_of(&rank_normalise(&folded))
    };
    bulk.max(tail)
}

fn median(v: &[f64]) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    let n = s.len();
    if n % 2 == 1 {
        s[n / 2]
    } else {
        0.5 * (s[n / 2 - 1] + s[n / 2])
    }
}

/// Autocovariance of `v` at `lag` with divisor `n` (the biased estimate Geyer's sequence
/// uses).
fn autocovariance(v: &[f64], m: f64, lag: usize) -> f64 {
    let n = v.len();
    (0..n - lag)
        .map(|i| (v[i] - m) * (v[i + lag] - m))
        .sum::<f64>()
        / n as f64
}

/// The effective sample size of sequences (D4): the multi-chain autocorrelation
/// `rho_t = 1 - (W - mean_m acov_{m,t}) / var+`, summed by Geyer's initial monotone sequence.
fn ess_of(seqs: &[Vec<f64>]) -> f64 {
    let m = seqs.len() as f64;
    let n = seqs[0].len();
    let nf = n as f64;
    let means: Vec<f64> = seqs.iter().map(|s| mean(s)).collect();
    let acov = |t: usize| -> f64 {
        seqs.iter()
            .zip(&means)
            .map(|(s, &mu)| autocovariance(s, mu, t))
            .sum::<f64>()
            / m
    };
    let w = acov(0) * nf / (nf - 1.0);
    let mut var_plus = w * (nf - 1.0) / nf;
    if seqs.len() > 1 {
        var_plus += sample_variance(&means);
    }
    let rho = |t: usize| 1.0 - (w - acov(t)) / var_plus;
    // Pairs P_k = rho_{2k} + rho_{2k+1}, summed while positive, made monotone.
    let mut sum_pairs = 0.0;
    let mut previous_pair = f64::INFINITY;
    let mut t = 0;
    while t + 1 < n {
        let pair = if t == 0 {
            1.0 + rho(1)
        } else {
            rho(t) + rho(t + 1)
        };
        if pair <= 0.0 {
            break;
        }
        let pair = pair.min(previous_pair);
        sum_pairs += pair;
        previous_pair = pair;
        t += 2;
    }
    let total = m * nf;
    let tau = (-1.0 + 2.0 * sum_pairs).max(1.0 / total.log10());
    total / tau
}

/// Bulk effective sample size (Vehtari et al. 2021, D4): the effective sample size of the
/// rank-normalised split chains. About the number of draws for independent draws, less
/// for autocorrelated ones.
///
/// Returns the number of draws for a constant quantity and NaN for unusable input (as
/// [`split_rhat`]).
pub fn bulk_ess(chains: &[&[f64]]) -> f64 {
    if !usable(chains) {
        return f64::NAN;
    }
    let seqs = split(chains);
    if is_constant(&seqs) {
        return seqs.iter().map(|s| s.len()).sum::<usize>() as f64;
    }
    ess_of(&rank_normalise(&seqs))
}

/// Effective sample size of the draws themselves (split chains, not rank-normalised): the
/// one the Monte Carlo standard error of a posterior mean uses,
/// `se = sd / sqrt(ess)`. Same conventions as [`bulk_ess`].
pub fn ess(chains: &[&[f64]]) -> f64 {
    if !usable(chains) {
        return f64::NAN;
    }
    let seqs = split(chains);
    if is_constant(&seqs) {
        return seqs.iter().map(|s| s.len()).sum::<usize>() as f64;
    }
    ess_of(&seqs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{SeedableRng, rngs::StdRng};
    use rand_distr::{Distribution, StandardNormal};

    fn ar1(n: usize, phi: f64, seed: u64) -> Vec<f64> {
        let mut rng = StdRng::seed_from_u64(seed);
        let mut x = 0.0;
        (0..n)
            .map(|_| {
                let e: f64 = StandardNormal.sample(&mut rng);
                x = phi * x + (1.0 - phi * phi).sqrt() * e;
                x
            })
            .collect()
    }

    #[test]
    fn independent_draws_have_rhat_near_one_and_full_ess() {
        let chains: Vec<Vec<f64>> = (0..4).map(|s| ar1(1000, 0.0, s)).collect();
        let refs: Vec<&[f64]> = chains.iter().map(|c| c.as_slice()).collect();
        let r = split_rhat(&refs);
        assert!((r - 1.0).abs() < 0.01, "rhat {r}");
        let e = bulk_ess(&refs);
        assert!((3000.0..5000.0).contains(&e), "ess {e}");
    }

    #[test]
    fn ar1_ess_matches_its_integrated_autocorrelation_time() {
        // tau = (1 + phi) / (1 - phi) = 19 for phi = 0.9: ESS ~ 8000 / 19 = 421, within 25%.
        let chains: Vec<Vec<f64>> = (0..4).map(|s| ar1(2000, 0.9, 10 + s)).collect();
        let refs: Vec<&[f64]> = chains.iter().map(|c| c.as_slice()).collect();
        let e = ess(&refs);
        assert!((e / 421.0 - 1.0).abs() < 0.25, "ess {e}");
    }

    #[test]
    fn shifted_chains_are_flagged_and_constant_or_short_ones_handled() {
        let a = ar1(500, 0.5, 1);
        let b: Vec<f64> = ar1(500, 0.5, 2).iter().map(|x| x + 1.0).collect();
        assert!(split_rhat(&[&a, &b]) > 1.1);
        let c = vec![2.0; 10];
        assert_eq!(split_rhat(&[&c, &c]), 1.0);
        assert_eq!(bulk_ess(&[&c, &c]), 20.0);
        assert!(split_rhat(&[&a[..3]]).is_nan());
        assert!(split_rhat(&[&a[..10], &a[..11]]).is_nan());
        let mut nan = a.clone();
        nan[3] = f64::NAN;
        assert!(bulk_ess(&[&nan]).is_nan());
    }
}
