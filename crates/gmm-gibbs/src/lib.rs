//! # gmm-gibbs
//!
//! A Gibbs sampler for Gaussian mixtures under exactly the priors variational Bayes uses
//! (`gmm_vb::Priors`, resolved by `VbParams::resolve_priors`): a symmetric Dirichlet or a
//! Dirichlet process truncated at K sticks (blocked Gibbs, Ishwaran & James 2001) on the
//! weights, Normal-Wishart (full, tied) or Normal-Gamma (diag, spherical) on the components,
//! no `reg_covar`. It is the exact posterior VB approximates, so the two can be compared.
//!
//! Each sweep draws the parameters given the labels' sufficient statistics
//! (`gmm_core::SufficientStats::from_labels`), Wishart precisions by the Bartlett
//! decomposition, then the labels from the responsibilities of the shared E-step kernel
//! (`gmm_core::EStepKernel::log_rho_into`). Chains run in parallel, chain `c` seeded by a
//! hash of (`seed`, `c`), so that no two seeds share a chain; every random number comes from a stream fixed by the chain, the sweep and the
//! chunk of points, so a fit is the same on any number of threads. Draws are relabelled
//! against a reference by a minimum-cost matching of means; split R-hat and bulk ESS
//! (Vehtari et al. 2021) of the log-likelihood, weights and means say whether the chains
//! mixed. A thinned set of the relabelled draws answers `score`, `predict` and
//! `predict_proba` as their posterior predictive, and warnings say when a component's
//! posterior mean is not a usable summary. The maths is in the workspace's `docs/gibbs.md`.
//!
//! ```
//! use gmm_core::{synthetic, FittedModel};
//! use gmm_gibbs::GibbsParams;
//! let sample = synthetic::draw(&synthetic::two_d_three_clusters(), 300, 4)?;
//! let fit = GibbsParams::new(3).draws(200).burn_in(100).chains(2).fit(&sample.data)?;
//! let s = fit.summary();
//! println!("weights {:?} +- {:?}", s.weights_mean.as_slice(), s.weights_sd.as_slice());
//! println!("max R-hat {:.3}", fit.diagnostics().max_rhat);
//! // score and predict: the posterior predictive of 200 of the draws, which the file keeps
//! let file = fit.to_model_file(); // posterior means; sds, diagnostics, draws under "gibbs"
//! assert!(file.gibbs.is_some());
//! # Ok::<(), gmm_core::GmmError>(())
//! ```
#![warn(missing_docs)]

mod chain;
mod conditionals;
mod diagnostics;
mod draw;
mod export;
mod fit;
mod params;
mod random;
mod relabel;
mod sampler;
mod summary;
mod thinning;
mod warnings;

pub use diagnostics::{bulk_ess, ess, split_rhat};
pub use draw::Draw;
pub use fit::GibbsFit;
pub use params::{
    DEFAULT_BURN_IN, DEFAULT_CHAINS, DEFAULT_DRAWS, DEFAULT_PREDICTIVE_DRAWS, GibbsParams,
    MAX_PREDICTIVE_FILE_BYTES, RHAT_THRESHOLD,
};
pub use sampler::Sampler;
pub use summary::{Diagnostics, PosteriorSummary, QuantityDiagnostics};
pub use warnings::{AMBIGUOUS_SHARE, SummaryWarning, UNBOUNDED_SHARE, WarningKind};
