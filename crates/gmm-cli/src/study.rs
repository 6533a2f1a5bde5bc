//! `gmm study`: a replicated study of EM against VB over a grid of sample sizes (the library's
//! `gmm_compare::run_study`), its table on stdout and its files in a directory.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use clap::Args;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use gmm_compare::{StudyMethod, StudySettings, TrueScenario, run_study};
use gmm_core::GmmError;
use gmm_io::{read_data_file, read_labels_file, write_all_atomic};

use crate::args::CovarianceArg;
use crate::errors::CliResult;

/// `gmm study`.
#[derive(Debug, Args)]
#[command(
    group = clap::ArgGroup::new("truth").required(true).args(["scenario", "data"]),
    allow_negative_numbers = true
)]
pub struct StudyArgs {
    /// A data file (CSV) to subsample without replacement (training and held-out points
    /// disjoint); or give --scenario.
    #[arg(value_name = "DATA.csv")]
    pub data: Option<PathBuf>,
    /// A built-in synthetic mixture to draw fresh points from in every run:
    /// one-d-three-clusters or two-d-three-clusters.
    #[arg(long, value_name = "NAME", conflicts_with = "data")]
    pub scenario: Option<String>,
    /// True classes of the data file's points, one per line (for the adjusted Rand index).
    #[arg(long, value_name = "TRUTH.txt", conflicts_with = "scenario")]
    pub labels: Option<PathBuf>,
    /// The sample sizes N (training points), comma-separated, e.g. 10,20,50,100.
    #[arg(long, value_name = "N,...", value_delimiter = ',', required = true)]
    pub sizes: Vec<usize>,
    /// Replicates per sample size.
    #[arg(long, value_name = "R", default_value_t = 50)]
    pub replicates: usize,
    /// Number of components K of every fit.
    #[arg(short = 'k', value_name = "K")]
    pub k: usize,
    /// Also choose K over 1..=MAX_K: EM by BIC, VB by its ELBO, and VB's effective
    /// components at K = MAX_K.
    #[arg(long, value_name = "MAX_K")]
    pub max_k: Option<usize>,
    /// The methods, comma-separated: em (reg_covar 1e-6), em-noreg (reg_covar 0), vb, gibbs
    /// (the Gibbs sampler under VB's priors; --draws, --burn-in, --chains).
    #[arg(
        long,
        value_name = "M,...",
        value_delimiter = ',',
        default_value = "em,vb",
        value_parser = parse_method
    )]
    pub methods: Vec<StudyMethod>,
    /// Held-out points per run (drawn afresh, or subsampled apart from the training points).
    #[arg(long, value_name = "N", default_value_t = 1000)]
    pub test_size: usize,
    /// Seed of the study; every run's seed is derived from it, N's index and the replicate.
    #[arg(long, value_name = "S", default_value_t = 0)]
    pub seed: u64,
    /// Bootstrap resamples of each cell's mean (95% percentile intervals).
    #[arg(long, value_name = "B", default_value_t = 1000)]
    pub bootstrap: usize,
    /// Gibbs: draws kept per chain (at least 4) [default: 250].
    #[arg(long, value_name = "N")]
    pub draws: Option<usize>,
    /// Gibbs: burn-in sweeps per chain [default: 250].
    #[arg(long, value_name = "B")]
    pub burn_in: Option<usize>,
    /// Gibbs: chains per fit [default: 2].
    #[arg(long, value_name = "C")]
    pub chains: Option<usize>,
    /// Covariance type of every fit [default: full].
    #[arg(long, value_enum)]
    pub covariance: Option<CovarianceArg>,
    /// The directory of the study's files: runs.csv, cells.csv, report.json and one SVG per
    /// measure (all written once the study has finished; nothing on error).
    #[arg(short = 'o', long = "output", value_name = "DIR")]
    pub output: PathBuf,
}

fn parse_method(text: &str) -> Result<StudyMethod, String> {
    StudyMethod::from_name(text.trim()).map_err(|_| {
        format!(
            "unknown method: use {}",
            StudyMethod::ALL.map(StudyMethod::name).join(", ")
        )
    })
}

/// The library's names of the study's settings and the flags that set them.
const STUDY_FLAGS: &[(&str, &str)] = &[
    ("sizes", "--sizes"),
    ("replicates", "--replicates"),
    ("n_components", "-k"),
    ("max_k", "--max-k"),
    ("methods", "--methods"),
    ("test_size", "--test-size"),
    ("bootstrap_resamples", "--bootstrap"),
    ("scenario", "--scenario"),
    ("draws", "--draws"),
    ("chains", "--chains"),
    ("burn_in", "--burn-in"),
];

/// A library error about a study setting, with the setting named by its flag.
fn in_flags(e: GmmError) -> GmmError {
    match e {
        GmmError::InvalidParameter {
            name,
            value,
            reason,
        } => match STUDY_FLAGS.iter().find(|(n, _)| *n == name) {
            Some(&(_, flag)) => GmmError::InvalidParameter {
                name: flag,
                value,
                reason: reason.replace("test_size", "--test-size"),
            },
            None => GmmError::InvalidParameter {
                name,
                value,
                reason,
            },
        },
        other => other,
    }
}

/// The study's settings from the flags (reading the data and labels files).
fn settings(a: &StudyArgs) -> Result<StudySettings, GmmError> {
    let scenario = match (&a.scenario, &a.data) {
        (Some(name), _) => TrueScenario::synthetic(name)?,
        (None, Some(path)) => {
            let table = read_data_file(path)?;
            let labels = match &a.labels {
                Some(l) => Some(read_labels_file(l, table.data.n_samples())?.classes()),
                None => None,
            };
            TrueScenario::Data {
                name: path
                    .file_stem()
                    .map_or_else(|| "data".into(), |s| s.to_string_lossy().into_owned()),
                data: table.data,
                labels,
            }
        }
        (None, None) => unreachable!("clap requires --scenario or a data file"),
    };
    let mut s = StudySettings::new(scenario, a.sizes.clone(), a.k)
        .replicates(a.replicates)
        .methods(a.methods.clone())
        .test_size(a.test_size)
        .seed(a.seed)
        .bootstrap_resamples(a.bootstrap);
    s.max_k = a.max_k;
    s.covariance_type = a.covariance.unwrap_or(CovarianceArg::Full).into();
    s.gibbs_draws = a.draws.unwrap_or(s.gibbs_draws);
    s.gibbs_burn_in = a.burn_in.unwrap_or(s.gibbs_burn_in);
    s.gibbs_chains = a.chains.unwrap_or(s.gibbs_chains);
    let gibbs_flags = [
        ("--draws", a.draws),
        ("--burn-in", a.burn_in),
        ("--chains", a.chains),
    ];
    if let Some((flag, Some(value))) = gibbs_flags.iter().find(|(_, v)| v.is_some())
        && !s.methods.contains(&StudyMethod::Gibbs)
    {
        return Err(GmmError::InvalidParameter {
            name: flag,
            value: value.to_string(),
            reason: "a Gibbs option: add gibbs to --methods, or drop it".into(),
        });
    }
    s.check()?;
    Ok(s)
}

/// `gmm study`.
pub fn study(a: &StudyArgs) -> CliResult {
    let settings = settings(a).map_err(in_flags)?;
    let progress = UnitProgress::new((settings.sizes.len() * settings.replicates) as u64);
    let report = run_study(&settings, &|| progress.inc()).map_err(in_flags)?;
    progress.finish();
    let files = report.files()?;
    let written = write_all_atomic(&a.output, &files)?;
    crate::commands::print_out(&report.to_string())?;
    eprintln!(
        "wrote {} files to {} (runs.csv, cells.csv, report.json, plots)",
        written.len(),
        a.output.display()
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
