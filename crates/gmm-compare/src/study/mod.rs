//! Replicated studies: a grid of sample sizes and replicates, every method fitted on the
//! same points from the same start, and per cell the mean with a 95% bootstrap interval
//! (docs/comparison.md, "Replicated studies").
//!
//! - [`StudySettings`] (checked by [`StudySettings::check`]) with a [`TrueScenario`] and the
//!   [`StudyMethod`]s;
//! - [`run_study`] gives a [`StudyReport`]: every [`StudyRun`] and every [`CellSummary`] of
//!   a [`Measure`];
//! - the report's files: [`StudyReport::runs_csv`], [`StudyReport::cells_csv`],
//!   [`StudyReport::to_json`], and with the feature `plots` one SVG per measure.

mod output;
mod running;
mod settings;
mod summary;

pub use output::RUNS_CSV_HEADER;
pub use running::{StudyRun, UnitSample, run_study, unit_sample};
pub use settings::{
    DEFAULT_BOOTSTRAP_RESAMPLES, MAX_RUNS, SELECTION_MAX_ITER, SELECTION_TOL, STUDY_GIBBS_BURN_IN,
    STUDY_GIBBS_CHAINS, STUDY_GIBBS_DRAWS, SYNTHETIC_SCENARIOS, StudyDescription, StudyMethod,
    StudySettings, TrueScenario,
};
pub use summary::{CellSummary, Measure, StudyReport};
