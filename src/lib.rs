//! # gmm
//!
//! Gaussian mixture models fitted by maximum-likelihood EM ([`em`]) and by variational
//! Bayes ([`vb`]), on one shared E-step ([`core`]), and compared side by side ([`compare`]);
//! data files are read and results written by [`io`].
//!
//! This crate only re-exports the workspace's library crates.
#![warn(missing_docs)]

pub use gmm_compare as compare;
pub use gmm_core as core;
pub use gmm_em as em;
pub use gmm_io as io;
pub use gmm_vb as vb;

mod model;
pub use model::{Model, load_model};

/// The nalgebra the workspace's signatures use (re-exported from gmm-core).
pub use gmm_core::nalgebra;
/// The rand the workspace's signatures use (re-exported from gmm-core).
pub use gmm_core::rand;

/// The README's examples, compiled and run as doctests so they stay true.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
