//! # gmm-vb
//!
//! Variational Bayesian Gaussian mixtures (Bishop 2006, section 10.2) on the same E-step
//! kernel and sufficient statistics as EM: only the M-step ([`m_step`]), the bound
//! ([`elbo()`]) and the predictive density ([`PredictiveDensity`]) differ.
//!
//! - Priors ([`VbParams`], scikit-learn's defaults): a symmetric Dirichlet distribution or a
//!   truncated Dirichlet process on the weights ([`WeightPrior`]), Normal-Wishart on each
//!   component's mean and precision; all four covariance types.
//! - The full ELBO with every constant ([`ElboTerms`]), a true lower bound on the log
//!   evidence, also per point; convergence on the change of the total ELBO (scikit-learn's rule),
//!   held for [`STOP_PATIENCE`] iterations in a row.
//! - The fitted [`VbFit`]: posterior parameters ([`Posterior`]), a point-estimate
//!   [`gmm_core::GaussianMixture`], effective components, and `score_samples` from the
//!   Student-t posterior predictive (Bishop 10.81), not a plug-in density.
//! - [`VbModel`]: the fitted posterior with its priors, what a [`VbFit`] answers through
//!   and what a VB model file rebuilds into ([`VbModel::from_model_file`]), with the
//!   fit's predictive density and responsibilities exactly.
//! - [`cavi`]: the known-variance mixture of Blei, Kucukelbir & McAuliffe (2017).
//!
//! The maths, with equation references and where this differs from scikit-learn, is in the
//! workspace's `docs/vb.md`.
//!
//! ```
//! use gmm_core::{synthetic, CovarianceType, MixtureModel, FittedModel};
//! use gmm_vb::{VbParams, WeightPrior, DEFAULT_WEIGHT_THRESHOLD};
//! let sample = synthetic::draw(&synthetic::two_d_three_clusters(), 900, 5)?;
//! let fit = VbParams::new(6)
//!     .covariance_type(CovarianceType::Full)
//!     .weight_prior(WeightPrior::DirichletDistribution { concentration: Some(1e-3) })
//!     .tol(1e-6)
//!     .max_iter(1000)
//!     .seed(3)
//!     .fit(&sample.data)?;
//! assert!(fit.lower_bounds().windows(2).all(|w| w[1] >= w[0] - 1e-10 * w[0].abs()));
//! assert_eq!(fit.effective_components(DEFAULT_WEIGHT_THRESHOLD), 3);
//! let log_density = fit.score(&sample.data)?; // Student-t posterior predictive
//! assert!(log_density.is_finite());
//! # Ok::<(), gmm_core::GmmError>(())
//! ```
#![warn(missing_docs)]

pub mod cavi;
mod default_prior;
mod elbo;
mod fit;
mod loaded;
mod model;
mod params;
mod predictive;
mod prior_spec;
mod state;
mod stepper;

pub use elbo::{ElboTerms, elbo, sklearn_bound, sklearn_dropped_constant};
pub use fit::{DEFAULT_WEIGHT_THRESHOLD, STOP_PATIENCE, VbFit, iterate};
pub use loaded::{LoadedModel, ModelKind, load_model};
pub use model::{POINT_ESTIMATE_TOLERANCE, VbModel, model_file_bytes};
pub use params::{
    DEFAULT_MAX_ITER, DEFAULT_MEAN_PRECISION_PRIOR, DEFAULT_REG_COVAR, DEFAULT_TOL, Priors,
    RegCovarRule, VbParams, WeightPrior,
};
pub use predictive::PredictiveDensity;
pub use prior_spec::PriorSpec;
pub use state::{Posterior, PriorRecord, VariationalState, WeightConcentration, m_step};
pub use stepper::VbStepper;
