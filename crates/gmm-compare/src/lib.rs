//! # gmm-compare
//!
//! EM and variational Bayes side by side: the same data, the same initial
//! responsibilities, and a report a researcher can read (a terminal table, JSON and, with
//! the default feature `plots`, SVG plots). The `gmm` command (crate `gmm-cli`) is built
//! on it; reading data files is the business of `gmm-io`.
//!
//! - [`compare()`] and [`select`]: EM and VB on the same data and initialisation, and
//!   choosing K with both ([`ComparisonSettings`], [`Truth`], [`Comparison`]).
//! - The reports: [`ComparisonReport`], [`MethodSummary`], [`SelectionReport`] (serde values
//!   that print as tables).
//! - Metrics: [`adjusted_rand_index`], [`normalized_mutual_info`], [`holdout_split`]; label
//!   switching and parameter error: [`match_components`], [`parameter_error`],
//!   [`hungarian`], [`mixture_of_labels`]; [`Pca2`] to plot data of dimension D > 2.
//! - Replicated studies: [`run_study`] over a grid of sample sizes and replicates
//!   ([`StudySettings`], [`TrueScenario`], [`StudyMethod`]) gives a [`StudyReport`] with
//!   every [`StudyRun`] and per cell ([`CellSummary`]) the mean and a 95% bootstrap interval.
//! - With the feature `plots`: `plot` (SVG plots), `comparison_figures` and
//!   `selection_figures` (the named SVG files of a comparison or a choice of K), and
//!   `demo` (the standard scenarios of `gmm demo`).
//!
//! ```
//! use gmm_compare::{compare, ComparisonSettings, Truth};
//! use gmm_core::synthetic;
//! let s = synthetic::draw(&synthetic::two_d_three_clusters(), 600, 1)?;
//! let truth = Truth { labels: Some(&s.labels), mixture: Some(&s.truth) };
//! let c = compare(&s.data, "three clusters", &ComparisonSettings::new(3), truth)?;
//! assert!(c.report.em.adjusted_rand_index.unwrap() > 0.8);
//! # Ok::<(), gmm_core::GmmError>(())
//! ```
//!
//! The methodology is written out in the workspace's `docs/comparison.md`.
#![warn(missing_docs)]

mod compare;
#[cfg(feature = "plots")]
pub mod demo;
#[cfg(feature = "plots")]
mod figures;
mod gibbs;
mod map_em;
mod matching;
mod metrics;
mod pca;
#[cfg(feature = "plots")]
pub mod plot;
mod report;
mod study;

pub use compare::{
    COMPARISON_MAX_ITER, COMPARISON_TOL, Comparison, ComparisonSettings, Truth, compare,
    ln_factorial, select,
};
#[cfg(feature = "plots")]
pub use figures::{comparison_figures, selection_figures};
pub use gibbs::{
    ComponentSpread, GibbsComparison, GibbsReport, GibbsSettings, HoldoutLogPredictive,
    compare_gibbs,
};
pub use gmm_core::hungarian;
pub use map_em::{MapComparison, MapReport, compare_map, map_params};
pub use matching::{
    ComponentMatching, ParameterError, match_components, mixture_of_labels, parameter_error,
};
pub use metrics::{adjusted_rand_index, holdout_split, normalized_mutual_info};
pub use pca::Pca2;
pub use report::{ComparisonReport, MethodSummary, SelectionReport, SelectionRow};
pub use study::{
    CellSummary, DEFAULT_BOOTSTRAP_RESAMPLES, MAX_RUNS, Measure, RUNS_CSV_HEADER,
    SELECTION_MAX_ITER, SELECTION_TOL, STUDY_GIBBS_BURN_IN, STUDY_GIBBS_CHAINS, STUDY_GIBBS_DRAWS,
    SYNTHETIC_SCENARIOS, StudyDescription, StudyMethod, StudyReport, StudyRun, StudySettings,
    TrueScenario, UnitSample, run_study, unit_sample,
};
