//! # gmm-em
//!
//! Maximum-likelihood EM for Gaussian mixtures on gmm-core's shared E-step and sufficient
//! statistics, matching scikit-learn's `GaussianMixture` step for step (same defaults, same
//! iteration and bound semantics, same M-step including its `10 eps` on `N_k`), with
//! centred statistics for every covariance type, errors that name a collapsed component,
//! optional re-seeding of collapsed components, and K chosen by BIC.
//!
//! The maths, with Bishop (2006) section 9.2 equation numbers, and the differences from
//! scikit-learn are in the workspace's `docs/em.md`.
//!
//! ```
//! use gmm_core::{synthetic, MixtureModel, FittedModel};
//! use gmm_em::EmParams;
//! let sample = synthetic::draw(&synthetic::one_d_three_clusters(), 1000, 5)?;
//! let fit = EmParams::new(3).fit(&sample.data)?;
//! println!("weights {:?}", fit.mixture().weights().as_slice());
//! assert!(fit.score(&sample.data)? > fit.lower_bounds()[0]);
//! # Ok::<(), gmm_core::GmmError>(())
//! ```
#![warn(missing_docs)]

mod fit;
mod m_step;
mod map;
mod map_step;
mod params;
mod reseed;
mod select;
mod stepper;

pub use fit::EmFit;
pub use m_step::{MStepParameters, m_step, m_step_parameters};
pub use map::{MCLUST_SHRINKAGE, MapParams, MapPrior, map_prior_of_file, map_prior_record};
pub use map_step::{log_prior, map_m_step_parameters};
pub use params::{DEFAULT_MAX_ITER, DEFAULT_REG_COVAR, DEFAULT_TOL, EmParams, GivenStart};
pub use reseed::ReseedEvent;
pub use select::{KSelectionRow, best_by_aic, best_by_bic, best_by_icl, select_k, select_k_fits};
pub use stepper::EmStepper;
