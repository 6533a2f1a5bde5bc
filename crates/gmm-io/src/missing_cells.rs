//! What a missing value is in a data file: the one place every reader asks
//! (docs/architecture.md, "Missing values in files").
//!
//! Under [`MissingPolicy::Marginalise`] (`gmm fit --missing marginalise`) a CSV cell that is
//! one of [`MISSING_CELLS`], a Parquet null and a NaN in a .npy file are read as NaN, a
//! missing coordinate that the fits marginalise; a weight is never missing. Under
//! [`MissingPolicy::Refuse`] (the default) each is an error naming the place and the option.

use gmm_core::MissingPolicy;

/// The CSV cells that mark a missing value, exactly as written (no spaces around): the
/// empty cell (what pandas writes for NaN), `NA` (R), and `NaN`, `nan`, `NAN` (NumPy,
/// pandas, and other writers).
pub const MISSING_CELLS: [&str; 5] = ["", "NA", "NaN", "nan", "NAN"];

/// Whether the CSV cell `cell` marks a missing value ([`MISSING_CELLS`]).
///
/// ```
/// assert!(gmm_io::is_missing_cell("NA") && gmm_io::is_missing_cell(""));
/// assert!(!gmm_io::is_missing_cell("0") && !gmm_io::is_missing_cell("inf"));
/// ```
pub fn is_missing_cell(cell: &str) -> bool {
    MISSING_CELLS.contains(&cell)
}

/// The end of a message refusing a missing value: how to read it as one instead.
pub(crate) const READ_AS_MISSING: &str = "fill it, or read missing values as such and fit \
     their marginal likelihood: --missing marginalise (gmm_core::MissingPolicy::Marginalise, \
     gmm_io::SourceOptions::missing)";

/// The value a missing cell or null reads as under `policy`: NaN when marginalising,
/// `None` when refused.
pub(crate) fn missing_value(policy: MissingPolicy) -> Option<f64> {
    match policy {
        MissingPolicy::Marginalise => Some(f64::NAN),
        MissingPolicy::Refuse => None,
    }
}
