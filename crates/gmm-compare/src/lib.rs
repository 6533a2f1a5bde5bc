//! # gmm-compare
//!
//! EM and variational Bayes side by side: the same data, the same initial
//! responsibilities, and a report a researcher can read (a terminal table, JSON and, with
//! the default feature `plots`, SVG plots). The `gmm` command (crate `gmm-cli`) is built
//! on it; reading data files is the business of `gmm-io`.
//!
//! - [`metrics`]: adjusted Rand index, normalised mutual information, the held-out split.
//! - [`matching`]: label switching (Hungarian matching of components) and parameter error.
//! - [`pca`]: the first two principal components, to plot data of dimension D > 2.
//! - [`report`]: the report values and their tables.
//! - `plot`: SVG plots (feature `plots`).
//! - [`compare`]: EM and VB on the same data and initialisation; choosing K with both.
//! - `figures`: the named SVG files of a comparison or a choice of K (feature `plots`).
//! - `demo`: the standard scenarios of `gmm demo`, with their figures (feature `plots`).
//!
//! The methodology is written out in the workspace's `docs/comparison.md`.
#![warn(missing_docs)]

pub mod compare;
#[cfg(feature = "plots")]
pub mod demo;
#[cfg(feature = "plots")]
pub mod figures;
pub mod matching;
pub mod metrics;
pub mod pca;
#[cfg(feature = "plots")]
pub mod plot;
pub mod report;
