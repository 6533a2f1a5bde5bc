//! The one error type of the workspace.

use thiserror::Error;

/// Everything that can go wrong when building data, models or fits.
///
/// Each variant names the offending value and says what to do about it; library code
/// returns one of these instead of panicking on user input.
#[derive(Debug, Error, Clone, PartialEq)]
#[non_exhaustive]
pub enum GmmError {
    /// The data set has no points.
    #[error("the data set is empty: give at least one point")]
    EmptyData,

    /// The points have no coordinates.
    #[error("the points have zero columns: give at least one feature per point")]
    ZeroFeatures,

    /// A row has a different length from the first row.
    #[error(
        "row {row} has {found} values but row 0 has {expected}: every point needs the same number of features"
    )]
    RaggedRow {
        /// Index of the offending row (0-based).
        row: usize,
        /// Number of values in the first row.
        expected: usize,
        /// Number of values in the offending row.
        found: usize,
    },

    /// A value is NaN or infinite.
    #[error(
        "value at row {row}, column {column} is {value}: remove or impute non-finite values before fitting (a NaN can instead be read as a missing value: MissingPolicy::Marginalise, Dataset::from_row_major_with_policy)"
    )]
    NonFinite {
        /// Index of the offending row (0-based).
        row: usize,
        /// Index of the offending column (0-based).
        column: usize,
        /// The value found.
        value: f64,
    },

    /// A point whose every coordinate is missing (data read with
    /// `MissingPolicy::Marginalise`).
    #[error(
        "row {} has every coordinate missing (NaN): a point needs at least one observed \
         value; remove the row", row + 1
    )]
    AllMissingRow {
        /// Index of the offending row (0-based; the message counts from 1).
        row: usize,
    },

    /// A column with no observed value (data read with `MissingPolicy::Marginalise`).
    #[error(
        "column {} has no observed value (every entry is NaN): nothing can be learnt about \
         it; remove the column", column + 1
    )]
    AllMissingColumn {
        /// Index of the offending column (0-based; the message counts from 1).
        column: usize,
    },

    /// A sample weight is negative, NaN or infinite.
    #[error(
        "sample weight of row {row} is {value}: weights must be finite and >= 0 (a weight \
         counts the point that many times; 0 drops it)"
    )]
    InvalidSampleWeight {
        /// Index of the offending row (0-based).
        row: usize,
        /// The weight found.
        value: f64,
    },

    /// Every sample weight is zero: there is nothing to fit.
    #[error("all {n_samples} sample weights are zero: give at least one point a positive weight")]
    ZeroTotalWeight {
        /// Number of points (all of weight zero).
        n_samples: usize,
    },

    /// A data source handed out other points on a later pass than on the first, or broke
    /// its promises about batch sizes.
    #[error("the data source is inconsistent: {reason}")]
    SourceChanged {
        /// What differed.
        reason: String,
    },

    /// Two things that must agree in size do not.
    #[error("{what}: expected {expected}, found {found}")]
    ShapeMismatch {
        /// What was being compared (for example "number of features of the data").
        what: String,
        /// The size expected.
        expected: usize,
        /// The size found.
        found: usize,
    },

    /// The data spread too widely for squared deviations to be represented in `f64`.
    #[error(
        "column {column} spans {range:e} (from its smallest to its largest value): squared \
         deviations overflow f64. Rescale the data, for example standardise each column"
    )]
    DataRange {
        /// Index of the offending column (0-based).
        column: usize,
        /// Largest value minus smallest value of that column.
        range: f64,
    },

    /// A parameter is out of its allowed range.
    #[error("invalid {name} = {value}: {reason}")]
    InvalidParameter {
        /// The parameter's name.
        name: &'static str,
        /// The offending value, formatted.
        value: String,
        /// What is allowed.
        reason: String,
    },

    /// More components were asked for than there are points.
    #[error(
        "n_components = {n_components} exceeds the number of points {n_samples}: lower n_components or add data"
    )]
    TooFewSamples {
        /// Number of points in the data.
        n_samples: usize,
        /// Number of components asked for.
        n_components: usize,
    },

    /// Mixture weights are not a probability vector.
    #[error("invalid mixture weights: {reason}")]
    InvalidWeights {
        /// Why the weights were rejected.
        reason: String,
    },

    /// A covariance matrix is not symmetric positive definite.
    #[error(
        "covariance of component {component} is not symmetric positive definite ({reason}): \
         increase reg_covar or decrease the number of components"
    )]
    NotPositiveDefinite {
        /// The component whose covariance failed.
        component: usize,
        /// What failed (asymmetry, a non-positive pivot, a non-positive variance).
        reason: String,
    },

    /// A component collapsed during fitting and could not be factorised.
    #[error(
        "component {component} collapsed (N_k = {n_k:.3e} points): its covariance is singular. \
         Increase reg_covar (now {reg_covar:e}), decrease n_components, or enable re-seeding of collapsed components"
    )]
    SingularComponent {
        /// The component that collapsed.
        component: usize,
        /// Its effective number of points.
        n_k: f64,
        /// The regularisation in force.
        reg_covar: f64,
    },

    /// Labels given for initialisation are unusable.
    #[error("invalid initial labels: {reason}")]
    InvalidLabels {
        /// Why the labels were rejected.
        reason: String,
    },

    /// A model file could not be read or is inconsistent.
    #[error("invalid model file: {reason}")]
    InvalidModel {
        /// What is wrong with it.
        reason: String,
    },

    /// A data file could not be parsed.
    #[error("{path}: line {line}, column {column}: {reason}")]
    DataFile {
        /// The file's path.
        path: String,
        /// 1-based line number.
        line: usize,
        /// 1-based column number (0 when the whole line is at fault).
        column: usize,
        /// What is wrong.
        reason: String,
    },

    /// A binary data file (NumPy .npy, Parquet) is malformed or holds data that cannot be
    /// used: a bad header, a wrong dtype, Fortran order, a truncated file, a null, a missing
    /// or non-numeric column. `place` says where (the header, a byte offset, a row group,
    /// row and column).
    #[error("{path} ({place}): {reason}")]
    BinaryFile {
        /// The file's path.
        path: String,
        /// Where in the file: `header`, `byte 128`, `row group 2, row 17, column "x"`.
        place: String,
        /// What is wrong, and what to do.
        reason: String,
    },

    /// A data file's columns do not match the features a model was fitted on (a feature
    /// the file has no column for), with the file and what to do.
    #[error("{path}: {reason}")]
    FeatureMismatch {
        /// The data file.
        path: String,
        /// Which feature is missing, what the file has, and what to do.
        reason: String,
    },

    /// An input/output error, with the path involved.
    #[error("{path}: {reason}")]
    Io {
        /// The path involved.
        path: String,
        /// The operating system's message.
        reason: String,
    },

    /// A fit (or another computation) would need more memory than it may use.
    #[error(
        "{what} needs about {needed} of memory, more than {limit}: use diagonal or spherical \
         covariances, fewer columns or fewer components, or raise the limit (max_memory; \
         --max-memory on the command line)"
    )]
    MemoryLimit {
        /// What would be needed, for people (`12.8 GB`).
        needed: String,
        /// The limit and where it comes from.
        limit: String,
        /// What would need it.
        what: String,
    },

    /// One fit among several (a choice of K) failed: which step, with which K, and why.
    #[error("the {step} with K = {n_components} failed: {source}")]
    FitFailed {
        /// The step that failed: `"initialisation"`, `"EM fit"`, `"VB fit"`.
        step: &'static str,
        /// The number of components of that fit.
        n_components: usize,
        /// The cause.
        source: Box<GmmError>,
    },
}

impl GmmError {
    /// This error as the cause of a failed `step` of the fit with `n_components` components.
    pub fn in_fit(self, step: &'static str, n_components: usize) -> Self {
        Self::FitFailed {
            step,
            n_components,
            source: Box::new(self),
        }
    }
}

/// Shorthand for results in this workspace.
pub type Result<T> = std::result::Result<T, GmmError>;

/// `text` with its control characters escaped (`\n`, `\t`, `\r`, `\u{1b}` for ESC, and so
/// on), so that a message naming a file whose name holds a newline or a terminal escape
/// sequence prints on one line and cannot recolour or rewrite the user's terminal. The
/// faces (the `gmm` command, the Python package) pass every message through it.
///
/// ```
/// assert_eq!(
///     gmm_core::escape_control("bad\nname\u{1b}[31m.csv: line 2"),
///     "bad\\nname\\u{1b}[31m.csv: line 2"
/// );
/// assert_eq!(gmm_core::escape_control("plain: ü"), "plain: ü");
/// ```
pub fn escape_control(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}
