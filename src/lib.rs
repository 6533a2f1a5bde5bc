#![doc = include_str!("../README.md")]
//!
//! ## The crates behind this facade
//!
//! - [`core`] (`gmm-core`): data, covariance types, the mixture and its densities, the shared
//!   E-step kernel, sufficient statistics, initialisation, model files, the fit record.
//! - [`em`] (`gmm-em`): maximum-likelihood EM.
//! - [`vb`] (`gmm-vb`): variational Bayes and the known-variance CAVI model.
//! - [`gibbs`] (`gmm-gibbs`): the Gibbs sampler under VB's priors, with its diagnostics.
//! - [`compare`] (`gmm-compare`): both estimators side by side, metrics, reports, plots.
//! - [`io`] (`gmm-io`): reading data files, atomic writes.
//! - [`load_model`] and [`Model`]: one way to read any model file back.
//! - [`nalgebra`] and [`rand`]: the versions the signatures use.
#![warn(missing_docs)]

pub use gmm_compare as compare;
pub use gmm_core as core;
pub use gmm_em as em;
pub use gmm_gibbs as gibbs;
pub use gmm_io as io;
pub use gmm_vb as vb;

/// One way to read any model file back (defined in gmm-vb, the lowest crate that knows both
/// the Gaussian mixture and the VB model): `Model` is [`gmm_vb::LoadedModel`] (the model,
/// a [`ModelKind`], and the names of its features when the file recorded them).
pub use gmm_vb::{LoadedModel as Model, ModelKind, load_model};

/// The nalgebra the workspace's signatures use (re-exported from gmm-core).
pub use gmm_core::nalgebra;
/// The rand the workspace's signatures use (re-exported from gmm-core).
pub use gmm_core::rand;
