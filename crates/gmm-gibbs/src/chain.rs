//! One chain: initial statistics, burn-in, kept draws.

use gmm_core::{Dataset, InitialResponsibilities, Result};
use rand::{SeedableRng, rngs::StdRng};

use crate::draw::Draw;
use crate::random::stream_seed;
use crate::sampler::Sampler;

/// What a chain runs: its seed, the sweeps it discards and the draws it keeps.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ChainPlan {
    pub(crate) seed: u64,
    pub(crate) burn_in: usize,
    pub(crate) draws: usize,
}

/// Index of the parameter stream under a chain's seed (the sweeps' label streams use
/// indices `0, 1, 2, ...`).
const PARAMETER_STREAM: u64 = u64::MAX;

/// Runs one chain from the statistics of `init` (G9): each sweep draws the parameters given
/// the current statistics, then the labels given those parameters (which also gives the
/// draw's log-likelihood); the draws after `burn_in` sweeps are kept.
pub(crate) fn run_chain(
    sampler: &Sampler,
    data: &Dataset,
    init: &InitialResponsibilities,
    plan: ChainPlan,
) -> Result<Vec<Draw>> {
    let kind = sampler.covariance_type().scatter_kind();
    let mut stats = init.sufficient_stats(data, kind);
    let mut rng = StdRng::seed_from_u64(stream_seed(plan.seed, PARAMETER_STREAM));
    let mut labels = vec![0usize; data.n_samples()];
    let mut kept = Vec::with_capacity(plan.draws);
    for sweep in 0..plan.burn_in + plan.draws {
        let mut draw = sampler.draw_parameters(&stats, &mut rng)?;
        stats = sampler.draw_labels(
            data,
            &mut draw,
            &mut labels,
            stream_seed(plan.seed, sweep as u64),
        )?;
        if sweep >= plan.burn_in {
            kept.push(draw);
        }
    }
    Ok(kept)
}
