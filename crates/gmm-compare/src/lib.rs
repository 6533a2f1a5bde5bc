//! # gmm-compare
//!
//! EM and variational Bayes side by side: the same data, the same initial
//! responsibilities, and a report a researcher can read (a terminal table, JSON and SVG
//! plots), plus the `gmm` command-line tool built on it.
//!
//! - [`data_file`]: reading data and label files (CSV), with errors that give line and column.
//! - [`metrics`]: adjusted Rand index, normalised mutual information, the held-out split.
//! - [`matching`]: label switching (Hungarian matching of components) and parameter error.
//! - [`pca`]: the first two principal components, to plot data of dimension D > 2.
//! - [`report`]: the report values and their tables.
//! - [`plot`]: SVG plots.
//! - [`output`]: atomic file writes.
//! - [`compare`]: EM and VB on the same data and initialisation; choosing K with both.
//! - [`figures`]: the named SVG files of a comparison or a choice of K.
//! - [`demo`]: the standard scenarios of `gmm demo`.
//!
//! The methodology is written out in the workspace's `docs/comparison.md`.
#![warn(missing_docs)]

pub mod compare;
pub mod data_file;
pub mod demo;
pub mod figures;
pub mod matching;
pub mod metrics;
pub mod output;
pub mod pca;
pub mod plot;
pub mod report;
