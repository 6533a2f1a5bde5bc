//! # gmm-core
//!
//! The foundation of the `gmm` workspace: validated data ([`Dataset`], with missing values
//! on request: [`MissingPolicy`]), covariance types
//! ([`CovarianceType`], [`Covariances`], [`PrecisionCholesky`]), the fitted mixture
//! ([`GaussianMixture`]) and its densities, the one E-step kernel both estimators share
//! ([`EStepKernel`]), mergeable sufficient statistics ([`SufficientStats`]), initialisation
//! ([`InitMethod`]), sampling and synthetic data ([`synthetic`]), the JSON model format
//! ([`ModelFile`]) and the error type ([`GmmError`]).
//!
//! The maths each piece implements is written out in the workspace's `docs/maths.md`.
//!
//! Inside the crate the modules import one way, each only from the layers below it (bottom
//! to top): `simd` (lane width, fused multiply-add, horizontal sum, vectorised `exp`, the
//! AVX2 + FMA dispatch; it imports nothing of the crate); `error`; `assignment` (the
//! Hungarian algorithm), `atomic_write`, `memory`; `data`; `source` (data as a stream of
//! batches); `stats`;
//! `covariance` and `kernel`; `init`; `mixture`; `fit_record` (the one record of a fit's
//! progress); `control`, `model_file` and `synthetic`; `fitted` (the trait of a fitted model).
//! A unit test (`layers.rs`) reads the sources and checks it.
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

mod assignment;
mod atomic_write;
pub mod control;
mod covariance;
mod data;
mod draws;
mod error;
mod fit_record;
mod fitted;
mod init;
mod kernel;
#[cfg(test)]
mod layers;
mod memory;
mod mixture;
pub mod model_file;
mod side_file;
mod simd;
mod source;
mod stats;
pub mod synthetic;

/// The nalgebra our signatures use (matrices and vectors): use it to build inputs, so that a
/// different nalgebra version in your crate cannot clash with ours.
pub use nalgebra;
/// The rand our signatures use ([`GaussianMixture::sample`] takes its `Rng`).
pub use rand;

pub use assignment::hungarian;
pub use atomic_write::{OutputFile, remove_temporaries, write_all_atomic, write_atomic};
pub use control::{FitControl, best_of_restarts};
pub use covariance::{
    CovarianceType, Covariances, PrecisionCholesky, SYMMETRY_TOLERANCE, cholesky_lower,
    precision_factor_of, symmetrise,
};
pub use data::{
    Dataset, MAX_COLUMN_RANGE, MissingPattern, MissingPolicy, WEIGHT_RESCALE_ABOVE,
    WEIGHT_RESCALE_BELOW, check_sample_weights, rescaled_weights,
};
pub use draws::PosteriorDraws;
pub use error::{GmmError, Result, escape_control};
pub use fit_record::{Estimator, FitRecord, RunProgress};
pub use fitted::FittedModel;
pub use init::{
    DEFAULT_INIT_SAMPLE, InitMethod, InitialResponsibilities, data_statistics,
    nearest_mean_statistics,
};
pub use kernel::{
    E_STEP_FORMAT, E_STEP_FORMAT_VERSION, EStepKernel, EStepOutput, SINGLE_PRECISION_LIMIT,
    half_log_2pi, logsumexp,
};
pub use memory::{
    FitShape, check_memory, default_limit as default_memory_limit, fit_bytes, human_bytes,
    predict_proba_bytes, sample_bytes,
};
pub use mixture::{
    BatchVisitor, GaussianMixture, MixtureModel, ScoreSums, WEIGHT_SUM_TOLERANCE,
    check_responsibilities_memory, for_each_batch_dataset,
};
pub use model_file::ModelFile;
pub use side_file::{MAX_SIDE_FILE_BYTES, read_side_file};
pub use source::{Batch, DataSource, PassSummary, Passes, Points, Precision, SliceSource};
pub use stats::{N_K_EPSILON, STATS_FORMAT, STATS_FORMAT_VERSION, ScatterKind, SufficientStats};
