//! # gmm-core
//!
//! The foundation of the `gmm` workspace: validated data ([`Dataset`]), covariance types
//! ([`CovarianceType`], [`Covariances`], [`PrecisionCholesky`]), the fitted mixture
//! ([`GaussianMixture`]) and its densities, the one E-step kernel both estimators share
//! ([`EStepKernel`]), mergeable sufficient statistics ([`SufficientStats`]), initialisation
//! ([`InitMethod`]), sampling and synthetic data ([`synthetic`]), the JSON model format
//! ([`ModelFile`]) and the error type ([`GmmError`]).
//!
//! The maths each piece implements is written out in the workspace's `docs/maths.md`.
//!
//! ```
//! use gmm_core::{synthetic, MixtureModel};
//! let truth = synthetic::two_d_three_clusters();
//! let sample = synthetic::draw(&truth, 1000, 1)?;
//! let mean_loglik = truth.score(&sample.data)?;
//! assert!(mean_loglik < 0.0);
//! # Ok::<(), gmm_core::GmmError>(())
//! ```
#![warn(missing_docs)]

pub mod control;
pub mod covariance;
pub mod data;
pub mod error;
pub mod init;
pub mod kernel;
pub mod mixture;
pub mod model_file;
mod simd;
pub mod stats;
pub mod synthetic;

pub use control::{FitControl, best_of_restarts};
pub use covariance::{CovarianceType, Covariances, PrecisionCholesky};
pub use data::Dataset;
pub use error::{GmmError, Result};
pub use init::{InitMethod, InitialResponsibilities};
pub use kernel::{EStepKernel, EStepOutput, logsumexp};
pub use mixture::{GaussianMixture, MixtureModel};
pub use model_file::{FitRecord, ModelFile};
pub use stats::{ScatterKind, SufficientStats};
