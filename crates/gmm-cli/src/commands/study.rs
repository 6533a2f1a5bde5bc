//! `gmm study`: a replicated study of EM against VB over a grid of sample sizes (the library's
//! `gmm_compare::run_study`), its table on stdout and its files in a directory.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use gmm_compare::run_study;
use gmm_io::write_all_atomic;

use super::print_out;
use crate::args::StudyArgs;
use crate::errors::CliResult;
use crate::requests::{study_in_flags, study_settings};

/// `gmm study`.
pub fn study(a: &StudyArgs) -> CliResult {
    let settings = study_settings(a)?;
    let progress = UnitProgress::new((settings.sizes.len() * settings.replicates) as u64);
    let report = run_study(&settings, &|| progress.inc()).map_err(study_in_flags)?;
    progress.finish();
    let files = report.files()?;
    let written = write_all_atomic(&a.output, &files)?;
    print_out(&report.to_string())?;
    eprintln!(
        "wrote {} files to {} (runs.csv, cells.csv, report.json, plots)",
        written.len(),
        gmm_core::escape_control(&a.output.display().to_string())
    );
    Ok(())
}

/// A progress bar for work done on several threads: shown on stderr once the study has
/// lasted a second, if stderr is a terminal.
struct UnitProgress {
    bar: Option<ProgressBar>,
    start: Instant,
    shown: AtomicBool,
}

impl UnitProgress {
    fn new(len: u64) -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::hidden());
            if let Ok(style) = ProgressStyle::with_template(
                "{msg} [{bar:30}] {pos}/{len} (N, replicate) ({elapsed}, {eta} left)",
            ) {
                bar.set_style(style.progress_chars("=> "));
            }
            bar.set_message("study");
            bar
        });
        Self {
            bar,
            start: Instant::now(),
            shown: AtomicBool::new(false),
        }
    }

    fn inc(&self) {
        if let Some(bar) = &self.bar {
            if self.start.elapsed() > Duration::from_secs(1)
                && !self.shown.swap(true, Ordering::Relaxed)
            {
                bar.set_draw_target(ProgressDrawTarget::stderr());
            }
            bar.inc(1);
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
