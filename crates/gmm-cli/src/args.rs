//! The command line: subcommands and their options.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use gmm_compare::StudyMethod;
use gmm_core::{CovarianceType, InitMethod};
use gmm_vb::{RegCovarRule, WeightPrior};

/// Gaussian mixture models by maximum-likelihood EM and by variational Bayes, side by side.
///
/// Data files are read by their extension: NumPy .npy (f8 or f4, C order), Parquet
/// (.parquet, .pq: numeric columns) or, for any other name, CSV (comma-separated numbers, one
/// point per row; a first row of column names is recognised and skipped). Model files are
/// JSON (docs/model-format.md).
/// Numbers printed as data (probabilities, scores, drawn points) are in the shortest form
/// that reads back to the same f64, with an exponent when that is shorter (1.3e-22).
/// Errors name the flag and value at fault and exit with status 1. Start with `gmm demo`.
#[derive(Debug, Parser)]
#[command(name = "gmm", version, propagate_version = true)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Fit a mixture by EM or VB and write the model (JSON) to -o FILE or to stdout.
    ///
    /// With -o FILE the summary (iterations, bound) goes to stdout; without -o, or with
    /// -o -, the model goes to stdout and the summary to stderr.
    Fit(FitArgs),
    /// Print the most probable component of each point (0-based), or with --proba the
    /// probability of each component, as CSV on stdout.
    ///
    /// For a VB model file (fit.method "vb") with its posterior these are the variational
    /// responsibilities, exactly as the fit gives them; otherwise the Gaussian mixture's.
    /// Each probability is printed in the shortest form that reads back to the same f64
    /// (0.25, 1.3377889146084553e-22).
    Predict(PredictArgs),
    /// Print the mean log density per point of the data under a model, or with --per-point
    /// the log density of each point, one per line in input order.
    ///
    /// For a VB model file (fit.method "vb") with its posterior this is the Student-t
    /// posterior predictive (Bishop 10.81), exactly as the fit gives it; a VB file without a
    /// posterior falls back to its point estimate (with a note on stderr); an EM model is
    /// scored by its Gaussian mixture. The number is printed in the shortest form that reads
    /// back to the same f64.
    Score(ScoreArgs),
    /// Draw points from a model's point estimate and print them as CSV on stdout.
    ///
    /// For a VB model the draw is from its point estimate (expected weights, means m_k,
    /// covariances W_k^-1 / nu_k), not from the posterior predictive. Each coordinate is
    /// printed in the shortest form that reads back to the same f64.
    Sample(SampleArgs),
    /// Fit EM and VB on the same data from the same initialisation and compare them:
    /// a table on stdout, and with --out the plots and a JSON report.
    Compare(CompareArgs),
    /// Choose K: EM's BIC and VB's ELBO and effective components over a range of K.
    ///
    /// Every K from --k-min to --k-max is fitted by EM and by VB; if one fit fails, the
    /// error names K, the estimator (EM or VB) and the cause, and nothing is written.
    Select(SelectArgs),
    /// Run the standard scenarios (no files needed): print the tables, write the plots.
    Demo(DemoArgs),
    /// A replicated study: EM and VB over a grid of sample sizes with replicates, from a
    /// synthetic mixture or a data file subsampled without replacement.
    ///
    /// Prints per N and method the mean and 95% bootstrap interval of the held-out log
    /// predictive density, the ARI, the share of singular fits and the K chosen, and writes
    /// every run (CSV), every cell (CSV), the report (JSON) and the plots (SVG) to -o DIR.
    /// The numbers are the same for a seed on any number of threads (RAYON_NUM_THREADS),
    /// but for the wall times.
    Study(StudyArgs),
}

/// The estimator of `gmm fit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Method {
    /// Maximum-likelihood expectation-maximisation.
    Em,
    /// MAP-EM: EM whose M-step is the posterior mode under VB's conjugate prior (the VB
    /// prior flags; the weights' Dirichlet concentration at least 1 [default: 1]), or under
    /// mclust's default prior with --map-prior mclust; no --reg-covar (the prior
    /// regularises).
    Map,
    /// Variational Bayes (Normal-Wishart priors on the components).
    Vb,
    /// Gibbs sampling of the exact posterior under VB's priors (--draws, --burn-in,
    /// --chains); the model file holds the posterior means and standard deviations, and
    /// --predictive-draws draws whose posterior predictive score and predict use.
    Gibbs,
}

/// Covariance types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CovarianceArg {
    /// Each component has its own full covariance matrix.
    Full,
    /// Each component has its own diagonal covariance.
    Diag,
    /// Each component has a single variance.
    Spherical,
    /// All components share one full covariance matrix.
    Tied,
}

impl Command {
    /// The `--max-memory` given to the subcommand, if it takes one.
    pub fn max_memory(&self) -> Option<u64> {
        match self {
            Self::Fit(a) => a.options.max_memory,
            Self::Compare(a) => a.options.max_memory,
            Self::Select(a) => a.options.max_memory,
            Self::Predict(a) => a.max_memory,
            Self::Score(a) => a.max_memory,
            Self::Sample(a) => a.max_memory,
            Self::Demo(_) | Self::Study(_) => None,
        }
    }
}

impl From<CovarianceArg> for CovarianceType {
    fn from(c: CovarianceArg) -> Self {
        match c {
            CovarianceArg::Full => Self::Full,
            CovarianceArg::Diag => Self::Diagonal,
            CovarianceArg::Spherical => Self::Spherical,
            CovarianceArg::Tied => Self::Tied,
        }
    }
}

/// Initialisation methods that need no file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum InitArg {
    /// k-means++ seeding then Lloyd's k-means.
    Kmeans,
    /// k-means++ seeding only.
    #[value(name = "kmeans++")]
    KmeansPlusPlus,
    /// Random responsibilities.
    Random,
    /// K random points as centres.
    RandomFromData,
}

impl From<InitArg> for InitMethod {
    fn from(i: InitArg) -> Self {
        match i {
            InitArg::Kmeans => Self::KMeans,
            InitArg::KmeansPlusPlus => Self::KMeansPlusPlus,
            InitArg::Random => Self::Random,
            InitArg::RandomFromData => Self::RandomFromData,
        }
    }
}

/// VB's prior on the weights.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum WeightPriorArg {
    /// A symmetric Dirichlet distribution.
    Dirichlet,
    /// A Dirichlet process truncated at K (stick breaking).
    DirichletProcess,
}

/// The prior of `gmm fit --method map`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MapPriorArg {
    /// VB's conjugate prior, set by the VB prior flags (their defaults but a flat Dirichlet
    /// on the weights).
    Conjugate,
    /// mclust's defaultPrior: shrinkage 0.01, the data mean, D + 2 degrees of freedom, the
    /// data covariance / K^(2/D).
    Mclust,
}

/// How `--reg-covar` enters VB's E-step and bound (`gmm_vb::RegCovarRule`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RegCovarRuleArg {
    /// scikit-learn's: the M-step only.
    ScikitLearn,
    /// Noise of variance reg_covar on every point: E-step, M-step and bound.
    PointNoise,
}

impl From<RegCovarRuleArg> for RegCovarRule {
    fn from(a: RegCovarRuleArg) -> Self {
        match a {
            RegCovarRuleArg::ScikitLearn => Self::ScikitLearn,
            RegCovarRuleArg::PointNoise => Self::PointNoise,
        }
    }
}

/// Options shared by every command that fits.
#[derive(Debug, Clone, Args)]
pub struct FitOptions {
    /// Covariance type [default: full; with --init-model: the model's].
    #[arg(long, value_enum)]
    pub covariance: Option<CovarianceArg>,
    /// Maximum number of iterations [default: 100].
    #[arg(long, value_name = "N")]
    pub max_iter: Option<usize>,
    /// Convergence tolerance on the change of the bound (EM: per point, as scikit-learn; VB:
    /// the total ELBO, as scikit-learn, for 5 iterations in a row); 0 runs exactly --max-iter
    /// iterations [default: 1e-3].
    #[arg(long, value_name = "T")]
    pub tol: Option<f64>,
    /// Added to the diagonal of every covariance, to keep it positive definite (EM and VB;
    /// MAP-EM takes none; refused with --method gibbs, which samples the exact posterior)
    /// [default: 1e-6].
    #[arg(long, value_name = "R")]
    pub reg_covar: Option<f64>,
    /// Initialisation.
    #[arg(long, value_enum, default_value_t = InitArg::Kmeans)]
    pub init: InitArg,
    /// Seed of every random choice.
    #[arg(long, value_name = "S", default_value_t = 0)]
    pub seed: u64,
    /// The memory a fit may use, e.g. 4GB, 512MB or a number of bytes [default: what the
    /// machine, the process's limits and its cgroup allow]; a fit (and its model file) that
    /// would need more is refused before anything is allocated.
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub max_memory: Option<u64>,
    /// VB: prior on the weights [default: dirichlet-process].
    #[arg(long, value_enum)]
    pub weight_prior: Option<WeightPriorArg>,
    /// VB: concentration of the weight prior [default: 1/K].
    #[arg(long, value_name = "A")]
    pub weight_concentration: Option<f64>,
    /// VB: precision prior beta0 of the means [default: 1].
    #[arg(long, value_name = "B")]
    pub mean_precision: Option<f64>,
    /// VB: degrees of freedom prior nu0 of the Wishart [default: D].
    #[arg(long, value_name = "NU")]
    pub degrees_of_freedom: Option<f64>,
    /// VB: prior mean m0 of the component means, a CSV file with one row of D numbers
    /// (scikit-learn's mean_prior) [default: the data mean].
    #[arg(long, value_name = "M0.csv")]
    pub mean_prior: Option<PathBuf>,
    /// VB: covariance prior W0^-1 of the Wishart, a CSV file of D rows of D numbers, symmetric
    /// positive definite (scikit-learn's covariance_prior); diag keeps its diagonal, spherical
    /// the mean of its diagonal [default: the data covariance].
    #[arg(long, value_name = "W0INV.csv")]
    pub covariance_prior: Option<PathBuf>,
    /// VB: how --reg-covar enters the E-step and the bound: scikit-learn's rule (the M-step
    /// only; the bound can fall slightly) or point noise (every step maximises the bound)
    /// [default: point noise where the default covariance prior falls back on degenerate
    /// data, scikit-learn's rule elsewhere].
    #[arg(long, value_enum)]
    pub reg_covar_rule: Option<RegCovarRuleArg>,
}

/// `--reg-covar` when it is not given.
pub const DEFAULT_REG_COVAR: f64 = 1e-6;

impl FitOptions {
    /// `--reg-covar`, or its default 1e-6.
    pub fn reg_covar(&self) -> f64 {
        self.reg_covar.unwrap_or(DEFAULT_REG_COVAR)
    }

    /// The weight prior these options ask for.
    pub fn weight_prior(&self) -> WeightPrior {
        let concentration = self.weight_concentration;
        match self.weight_prior {
            Some(WeightPriorArg::Dirichlet) => WeightPrior::DirichletDistribution { concentration },
            _ => WeightPrior::DirichletProcess { concentration },
        }
    }

    /// The covariance type asked for (full when --covariance is not given).
    pub fn covariance_type(&self) -> CovarianceType {
        self.covariance.unwrap_or(CovarianceArg::Full).into()
    }

    /// The VB-only options given, as the user typed their flags.
    pub fn vb_flags_given(&self) -> Vec<&'static str> {
        [
            ("--weight-prior", self.weight_prior.is_some()),
            (
                "--weight-concentration",
                self.weight_concentration.is_some(),
            ),
            ("--mean-precision", self.mean_precision.is_some()),
            ("--degrees-of-freedom", self.degrees_of_freedom.is_some()),
            ("--mean-prior", self.mean_prior.is_some()),
            ("--covariance-prior", self.covariance_prior.is_some()),
            ("--reg-covar-rule", self.reg_covar_rule.is_some()),
        ]
        .into_iter()
        .filter_map(|(flag, given)| given.then_some(flag))
        .collect()
    }
}

/// Where the points come from: columns, weights, and whether to stream the file.
#[derive(Debug, Clone, Args)]
pub struct DataOptions {
    /// Read these columns, in this order, by name: a CSV file with a header row, or Parquet
    /// [default: every numeric column but the weight column; for predict and score, the
    /// model's features by name when its file recorded them and the data file names its
    /// columns, else every column by position].
    #[arg(long, value_name = "A,B,...", value_delimiter = ',')]
    pub columns: Option<Vec<String>>,
    /// Frequency weights, one number per line in the order of the points (a first line that
    /// is not a number is a header): a point of weight 3 counts as three copies, 0 drops it.
    #[arg(long, value_name = "WEIGHTS.txt", conflicts_with = "weight_column")]
    pub weights: Option<PathBuf>,
    /// The column holding each point's frequency weight (CSV with a header row, Parquet).
    #[arg(long, value_name = "NAME")]
    pub weight_column: Option<String>,
    /// Read the data file again on every pass instead of holding it in memory: the memory
    /// used is one batch of points and the model, whatever the file's size (a file larger
    /// than memory can be fitted). Slower for CSV (parsed on every pass) than for .npy or
    /// Parquet. predict and score write their output as they read. A streamed fit equals
    /// the fit in memory bit for bit from the same start; its own start comes from a sample
    /// of 100,000 rows (gmm fit --init-sample), so above that many rows it differs.
    #[arg(long)]
    pub stream: bool,
    /// What a missing value in the data file means: an empty CSV cell or one of NA, NaN,
    /// nan, NAN, a Parquet null, a NaN in a .npy file. `refuse`: an error naming its place.
    /// `marginalise`: a missing coordinate; fit (EM, VB, MAP; in memory or --stream) uses
    /// the likelihood of each point's observed coordinates, predict and score the model's
    /// marginal densities of them. A row with every value missing is refused; weights are
    /// never missing; --method gibbs refuses missing values.
    #[arg(long, value_enum, value_name = "POLICY", default_value = "refuse")]
    pub missing: Missing,
}

/// What `--missing` makes of a missing value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Missing {
    /// An error naming the place (the default).
    Refuse,
    /// A missing coordinate, marginalised.
    Marginalise,
}

/// The precision of `gmm fit --dtype`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Dtype {
    /// Double precision.
    F64,
    /// Single precision (E-step in f32 lanes where the model allows).
    F32,
}

/// `gmm fit`.
#[derive(Debug, Args)]
// Negative numbers reach the parameter checks, which say what is allowed.
#[command(allow_negative_numbers = true)]
pub struct FitArgs {
    /// The data: .csv, .npy or .parquet (by extension).
    #[arg(value_name = "DATA")]
    pub data: PathBuf,
    /// Columns, weights, streaming.
    #[command(flatten)]
    pub input: DataOptions,
    /// The estimator.
    #[arg(long, value_enum)]
    pub method: Method,
    /// Number of components (required unless --init-model gives it).
    #[arg(short = 'k', value_name = "K", required_unless_present = "init_model")]
    pub k: Option<usize>,
    /// Fitting options.
    #[command(flatten)]
    pub options: FitOptions,
    /// Number of initialisations (seeds S, S+1, ...); the best bound is kept.
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub n_init: usize,
    /// MAP-EM's prior [default: conjugate].
    #[arg(long, value_enum)]
    pub map_prior: Option<MapPriorArg>,
    /// With --stream: how many points the start (k-means, k-means++, random-from-data,
    /// random) is drawn from, a seeded sample of the file [default: 100,000]. A file with
    /// more rows starts, and so ends, differently from the same fit in memory, which starts
    /// from every point; give at least the number of rows for the in-memory fit bit for bit
    /// (the sample holds at most 4,194,304 values, rows x columns, within --max-memory).
    #[arg(long, value_name = "N", requires = "stream")]
    pub init_sample: Option<usize>,
    /// The precision the E-step computes in. f64 (the default) reads every file as f64 (a
    /// float32 .npy file widened exactly). f32 holds the points as f32 (half the memory; a
    /// float32 .npy file as it is, other files rounded to nearest) and runs the E-step in
    /// f32 lanes with f64 sums, about 1.6x faster at D = 8 to 32 and within about 1e-6 of
    /// the f64 fit on well-conditioned data; iterations whose model is too ill-conditioned
    /// for f32 (or whose data lie too far apart) run in f64 lanes, and the summary says how
    /// many ran in f32. Not with --method gibbs.
    #[arg(long, value_enum, default_value_t = Dtype::F64)]
    pub dtype: Dtype,
    /// Start from these K means (CSV, one mean per row): every point goes to its nearest.
    #[arg(long, value_name = "MEANS.csv", conflicts_with_all = ["init", "init_labels"])]
    pub init_means: Option<PathBuf>,
    /// Start from these labels (one integer in 0..K per line, one line per point).
    #[arg(long, value_name = "LABELS.txt", conflicts_with_all = ["init", "init_means"])]
    pub init_labels: Option<PathBuf>,
    /// Start from this model (JSON, as written by `gmm fit`): its weights, means and
    /// covariances (scikit-learn's weights_init, means_init, precisions_init), or its
    /// posterior to continue a VB fit (a warm start). K and the covariance type are the
    /// model's. EM starts from the model's mixture (a VB file's point estimate); VB continues
    /// a VB file's posterior under its priors, and starts from a mixture's responsibilities
    /// on the data otherwise. One run: --n-init is not used.
    #[arg(
        long,
        value_name = "MODEL.json",
        conflicts_with_all = ["init", "init_means", "init_labels", "n_init"]
    )]
    pub init_model: Option<PathBuf>,
    /// Gibbs: draws kept per chain after burn-in (at least 4) [default: 1000].
    #[arg(long, value_name = "N")]
    pub draws: Option<usize>,
    /// Gibbs: sweeps discarded at the start of each chain [default: 500].
    #[arg(long, value_name = "B")]
    pub burn_in: Option<usize>,
    /// Gibbs: number of chains, run in parallel, chain c seeded by a hash of --seed and c
    /// (no two seeds share a chain) [default: 4].
    #[arg(long, value_name = "C")]
    pub chains: Option<usize>,
    /// Gibbs: how many of the draws to keep for the posterior predictive that `score` and
    /// `predict` use, written to the model file (spread evenly over the chains and their
    /// draws; fewer when the file would pass 64 MiB; 0: none, and the file answers with its
    /// posterior-mean mixture) [default: 200].
    #[arg(long, value_name = "N")]
    pub predictive_draws: Option<usize>,
    /// Gibbs: write every relabelled draw to this file: JSON if its name ends in .json,
    /// CSV otherwise (one row per draw). Written atomically; nothing is written if the fit
    /// fails.
    #[arg(long, value_name = "FILE")]
    pub draws_out: Option<PathBuf>,
    /// Where to write the model (JSON). `-` (the default) writes it to standard output and
    /// the summary to standard error, so `gmm fit data.csv --method em -k 2 > model.json`
    /// gives a model file; with a FILE the summary goes to standard output. A failed fit
    /// writes nothing.
    #[arg(
        short = 'o',
        long = "output",
        value_name = "MODEL.json",
        default_value = STDOUT
    )]
    pub output: PathBuf,
}

/// The `-o` value that means standard output.
pub const STDOUT: &str = "-";

impl FitArgs {
    /// The Gibbs-only options given, as the user typed their flags.
    pub fn gibbs_flags_given(&self) -> Vec<&'static str> {
        [
            ("--draws", self.draws.is_some()),
            ("--burn-in", self.burn_in.is_some()),
            ("--chains", self.chains.is_some()),
            ("--predictive-draws", self.predictive_draws.is_some()),
            ("--draws-out", self.draws_out.is_some()),
        ]
        .into_iter()
        .filter_map(|(flag, given)| given.then_some(flag))
        .collect()
    }

    /// Whether the model goes to standard output (`-o -`).
    pub fn model_to_stdout(&self) -> bool {
        self.output.as_os_str() == STDOUT
    }
}

/// `gmm predict`.
#[derive(Debug, Args)]
pub struct PredictArgs {
    /// The model file (JSON), as written by `gmm fit`. A VB model's posterior is used
    /// (variational responsibilities); an invalid posterior is an error. A Gibbs model is
    /// its posterior-mean mixture.
    #[arg(value_name = "MODEL.json")]
    pub model: PathBuf,
    /// The data: .csv, .npy or .parquet (by extension).
    #[arg(value_name = "DATA")]
    pub data: PathBuf,
    /// Columns, weights, streaming.
    #[command(flatten)]
    pub input: DataOptions,
    /// Print the probability of every component instead of the most probable one.
    #[arg(long)]
    pub proba: bool,
    /// Where to write the output: `-` (the default) for standard output, or a FILE, which
    /// appears only when complete (nothing half-written on error).
    #[arg(short = 'o', long = "output", value_name = "FILE", default_value = STDOUT)]
    pub output: PathBuf,
    /// The memory the command may use, e.g. 4GB, 512MB or a number of bytes [default: what
    /// the machine, the process's limits and its cgroup allow]; output that would need more
    /// is refused before anything is allocated.
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub max_memory: Option<u64>,
}

/// `gmm score`.
#[derive(Debug, Args)]
pub struct ScoreArgs {
    /// The model file (JSON), as written by `gmm fit`. A VB model's posterior is used
    /// (posterior predictive); an invalid posterior is an error. A Gibbs model is scored by
    /// its posterior-mean mixture (for the posterior predictive, `gmm compare --gibbs`).
    #[arg(value_name = "MODEL.json")]
    pub model: PathBuf,
    /// The data: .csv, .npy or .parquet (by extension).
    #[arg(value_name = "DATA")]
    pub data: PathBuf,
    /// Columns, weights (the mean is then weighted), streaming.
    #[command(flatten)]
    pub input: DataOptions,
    /// Print the log density of every point, one per line in input order, instead of the
    /// mean.
    #[arg(long)]
    pub per_point: bool,
    /// Where to write the output: `-` (the default) for standard output, or a FILE, which
    /// appears only when complete (nothing half-written on error).
    #[arg(short = 'o', long = "output", value_name = "FILE", default_value = STDOUT)]
    pub output: PathBuf,
    /// The memory the command may use, e.g. 4GB, 512MB or a number of bytes [default: what
    /// the machine, the process's limits and its cgroup allow]; output that would need more
    /// is refused before anything is allocated.
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub max_memory: Option<u64>,
}

/// `gmm sample`.
#[derive(Debug, Args)]
pub struct SampleArgs {
    /// The model file (JSON). Only its point estimate is used, also for a VB model.
    #[arg(value_name = "MODEL.json")]
    pub model: PathBuf,
    /// Number of points to draw.
    #[arg(short = 'n', value_name = "N")]
    pub n: usize,
    /// Seed of the draw.
    #[arg(long, value_name = "S", default_value_t = 0)]
    pub seed: u64,
    /// Where to write the points: `-` (the default) for CSV on standard output, or a FILE,
    /// as .npy (64-bit floats, written in blocks: any N in bounded memory) or CSV by its
    /// extension; the same seed gives the same numbers either way.
    #[arg(short = 'o', long = "output", value_name = "FILE", default_value = STDOUT)]
    pub output: PathBuf,
    /// The memory the command may use, e.g. 4GB, 512MB or a number of bytes [default: what
    /// the machine, the process's limits and its cgroup allow]; output that would need more
    /// is refused before anything is allocated.
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub max_memory: Option<u64>,
}

/// `gmm compare`.
#[derive(Debug, Args)]
// Negative numbers reach the parameter checks, which say what is allowed.
#[command(allow_negative_numbers = true)]
pub struct CompareArgs {
    /// The data (CSV).
    #[arg(value_name = "DATA.csv")]
    pub data: PathBuf,
    /// Number of components of both fits.
    #[arg(short = 'k', value_name = "K")]
    pub k: usize,
    /// True labels, one per line (any text: each distinct label is a class), for the
    /// adjusted Rand index, NMI and parameter error.
    #[arg(long, value_name = "TRUTH.txt")]
    pub labels: Option<PathBuf>,
    /// Fraction of points held out of fitting, for the held-out log-likelihood.
    #[arg(long, value_name = "FRACTION", default_value_t = 0.2)]
    pub holdout: f64,
    /// Fitting options (shared by both fits).
    #[command(flatten)]
    pub options: FitOptions,
    /// Write the plots (SVG) and the report (JSON) into this directory.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Print the report as JSON instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Add the Gibbs sampler under VB's priors: held-out log predictive density of EM, VB
    /// and Gibbs, and for each matched component the posterior sd of each mean coordinate
    /// by VB and by Gibbs and their ratio.
    #[arg(long)]
    pub gibbs: bool,
    /// Add MAP-EM under VB's prior (its Normal-Wishart; the weights' Dirichlet
    /// concentration as given when it is a Dirichlet distribution of 1 or more, else 1),
    /// reg_covar 0, from EM's start: its held-out log density, BIC, ICL and ARI.
    #[arg(long)]
    pub map: bool,
    /// With --gibbs: draws kept per chain [default: 1000].
    #[arg(long, value_name = "N", requires = "gibbs")]
    pub draws: Option<usize>,
    /// With --gibbs: burn-in sweeps per chain [default: 500].
    #[arg(long, value_name = "B", requires = "gibbs")]
    pub burn_in: Option<usize>,
    /// With --gibbs: number of chains [default: 4].
    #[arg(long, value_name = "C", requires = "gibbs")]
    pub chains: Option<usize>,
}

/// `gmm select`.
#[derive(Debug, Args)]
// Negative numbers reach the parameter checks, which say what is allowed.
#[command(allow_negative_numbers = true)]
pub struct SelectArgs {
    /// The data (CSV).
    #[arg(value_name = "DATA.csv")]
    pub data: PathBuf,
    /// Smallest K.
    #[arg(long, value_name = "K", default_value_t = 1)]
    pub k_min: usize,
    /// Largest K (at most the number of points).
    #[arg(long, value_name = "K", default_value_t = 10)]
    pub k_max: usize,
    /// Fitting options (shared by every fit).
    #[command(flatten)]
    pub options: FitOptions,
    /// Write the plot (SVG) and the report (JSON) into this directory.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Print the report as JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// `gmm demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Where to write the plots and reports.
    #[arg(long, value_name = "DIR", default_value = "gmm-demo")]
    pub out: PathBuf,
}

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
    /// The methods, comma-separated: em (reg_covar 1e-6), em-noreg (reg_covar 0), map
    /// (MAP-EM under VB's Normal-Wishart prior with flat Dirichlet weights), vb, gibbs (the
    /// Gibbs sampler under VB's priors; --draws, --burn-in, --chains).
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

/// A size in bytes: a number, optionally followed by KB, MB, GB or TB (powers of 1000) or
/// KiB, MiB, GiB, TiB (powers of 1024).
fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let split = t.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let scale: f64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "kb" => 1e3,
        "mb" => 1e6,
        "gb" => 1e9,
        "tb" => 1e12,
        "kib" => 1024.0,
        "mib" => 1024.0 * 1024.0,
        "gib" => 1024.0 * 1024.0 * 1024.0,
        "tib" => 1024.0 * 1024.0 * 1024.0 * 1024.0,
        other => {
            return Err(format!(
                "unknown unit {other:?}: use KB, MB, GB, TB or bytes"
            ));
        }
    };
    let value: f64 = number
        .trim()
        .parse()
        .map_err(|_| format!("{text:?} is not a size: give e.g. 4GB, 512MB or 1000000"))?;
    let bytes = value * scale;
    if bytes.is_nan() || bytes < 1.0 {
        return Err(format!("{text:?}: give a size of at least 1 byte"));
    }
    if bytes >= u64::MAX as f64 {
        return Err(format!(
            "{text:?} is more than any machine's memory (the most is 18 EB): give the memory \
             gmm may use, or leave the flag out for the memory this process may use"
        ));
    }
    Ok(bytes as u64)
}

#[cfg(test)]
mod tests {
    use super::parse_size;

    #[test]
    fn sizes_read_with_their_units() {
        assert_eq!(parse_size("4GB"), Ok(4_000_000_000));
        assert_eq!(parse_size("512 MiB"), Ok(512 << 20));
        assert_eq!(parse_size("1000"), Ok(1000));
        assert!(parse_size("-1GB").is_err());
        assert!(parse_size("many").is_err());
        assert!(parse_size("3 parsecs").is_err());
        let huge = parse_size("99999999999TB").unwrap_err();
        assert!(huge.contains("more than any machine's memory"), "{huge}");
        assert!(parse_size("0.5").unwrap_err().contains("at least 1 byte"));
    }
}
