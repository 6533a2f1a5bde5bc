//! `gmm fit --method map`: the flags as [`MapParams`]. VB's prior flags set the conjugate
//! prior (a Dirichlet distribution on the weights unless `--weight-prior` says otherwise,
//! concentration 1 unless given); `--map-prior mclust` takes mclust's default prior and
//! refuses them; `--reg-covar-rule` (VB's) is refused, and `--reg-covar` reaches the library,
//! which refuses a value other than 0.

use gmm_core::{CovarianceType, Result};
use gmm_em::{MapParams, MapPrior};
use gmm_vb::WeightPrior;

use super::{prior_spec, refuse_flags};
use crate::args::{FitArgs, MapPriorArg, WeightPriorArg};

/// Refuses the flags MAP-EM has no use for.
pub(super) fn check_map_flags(a: &FitArgs) -> Result<()> {
    if a.options.reg_covar_rule.is_some() {
        refuse_flags(
            &["--reg-covar-rule"],
            "VB's use of reg_covar: MAP-EM takes no reg_covar (its prior regularises)",
        )?;
    }
    if a.map_prior == Some(MapPriorArg::Mclust) {
        refuse_flags(
            &a.options.vb_flags_given(),
            "--map-prior mclust sets every prior itself (mclust's defaultPrior): drop the \
             prior flags, or use --map-prior conjugate to set them",
        )?;
    }
    Ok(())
}

/// MAP-EM's parameters for K = `k`, covariance type `cov`, data of dimension `d`.
pub fn map_params(a: &FitArgs, k: usize, cov: CovarianceType, d: usize) -> Result<MapParams> {
    let o = &a.options;
    let prior = match a.map_prior.unwrap_or(MapPriorArg::Conjugate) {
        MapPriorArg::Mclust => MapPrior::Mclust,
        MapPriorArg::Conjugate => {
            let mut spec = prior_spec(o, d)?;
            if o.weight_prior != Some(WeightPriorArg::DirichletProcess) {
                spec.weight_prior = WeightPrior::DirichletDistribution {
                    concentration: o.weight_concentration,
                };
            }
            MapPrior::Conjugate(spec)
        }
    };
    let mut params = MapParams::new(k)
        .covariance_type(cov)
        .init(o.init.into())
        .seed(o.seed)
        .n_init(a.n_init)
        .reg_covar(o.reg_covar.unwrap_or(0.0))
        .prior(prior);
    if let Some(tol) = o.tol {
        params = params.tol(tol);
    }
    if let Some(n) = o.max_iter {
        params = params.max_iter(n);
    }
    if let Some(bytes) = o.max_memory {
        params = params.max_memory(bytes);
    }
    Ok(params)
}
