//! What each subcommand does, one module per subcommand: each takes its parsed flags, asks
//! `crate::requests` for the library requests they mean, calls the libraries and prints.
//! What several subcommands share (printing, checks of the data against a model, output
//! files) is here.

mod compare;
mod demo;
mod fit;
mod fit_gibbs;
mod fit_map;
mod predict;
mod rows;
mod sample;
mod score;
mod select;
mod study;

use std::io::Write;
use std::path::Path;

use gmm_core::{GmmError, MixtureModel, Result, write_all_atomic};

use crate::errors::CliResult;

pub use compare::compare;
pub use demo::demo;
pub use fit::fit;
pub use predict::predict;
pub use sample::sample;
pub use score::score;
pub use select::select;
pub use study::study;

/// Prints to stdout; a closed pipe (`gmm predict ... | head`) is not an error.
pub fn print_out(text: &str) -> CliResult {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(GmmError::Io {
            path: "<stdout>".into(),
            reason: e.to_string(),
        }
        .into()),
    }
}

/// Bytes of a printed table of `rows` x `columns` numbers: each number held as an `f64` in
/// a row's copy and as up to 25 characters of text with its separator.
fn printed_bytes(rows: usize, columns: usize) -> u64 {
    (rows as u64)
        .saturating_mul(columns as u64)
        .saturating_mul(8 + 25)
}

/// Checks that the data's dimension is the model's.
///
/// # Errors
/// [`GmmError::ShapeMismatch`] naming the file.
fn check_dimension(path: &Path, d: usize, model: &dyn MixtureModel) -> Result<()> {
    if d != model.n_features() {
        return Err(GmmError::ShapeMismatch {
            what: format!(
                "{}: number of columns against the model's dimension",
                path.display()
            ),
            expected: model.n_features(),
            found: d,
        });
    }
    Ok(())
}

/// The title of a data file's report and figures: its name without the extension.
fn title_of(path: &Path) -> String {
    path.file_stem()
        .map_or_else(|| "data".into(), |s| s.to_string_lossy().into_owned())
}

/// Writes `files` (name, text) into `dir`, each atomically, and names them on stderr.
fn write_named(dir: &Path, files: &[(String, String)]) -> Result<()> {
    for p in write_all_atomic(dir, files)? {
        eprintln!(
            "wrote {}",
            gmm_core::escape_control(&p.display().to_string())
        );
    }
    Ok(())
}
