//! Reading the data file of `fit`, `predict` and `score`: its format by extension (.npy,
//! .parquet / .pq, else CSV), `--columns`, `--weights` / `--weight-column`, and either the
//! whole file in memory or a source read again on every pass (`--stream`).

use std::path::Path;

use gmm_core::{DataSource, Dataset, GmmError, MixtureModel, Result};
use gmm_io::{ColumnSelection, CsvFile, NpyFile, ParquetFile, WithWeightsFile, read_all};

use crate::args::DataOptions;

/// The formats of data files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Csv,
    Npy,
    Parquet,
}

/// The format of `path` by its extension (case-insensitive); CSV for any other name.
fn format_of(path: &Path) -> Format {
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase());
    match ext.as_deref() {
        Some("npy") => Format::Npy,
        Some("parquet" | "pq") => Format::Parquet,
        _ => Format::Csv,
    }
}

/// The data file `path` as a source, with the columns and weights `input` asks for.
///
/// # Errors
/// The readers' errors (naming the file); [`GmmError::InvalidParameter`] naming the flag
/// for a column that is missing, or column names given for a .npy file.
pub fn open_source(path: &Path, input: &DataOptions) -> Result<Box<dyn DataSource>> {
    let selection = ColumnSelection {
        columns: input.columns.clone(),
        weight_column: input.weight_column.clone(),
    };
    let source: Box<dyn DataSource> = match format_of(path) {
        Format::Csv => Box::new(CsvFile::open(path, &selection)?),
        Format::Parquet => Box::new(ParquetFile::open(path, &selection)?),
        Format::Npy => {
            if let Some((flag, value)) = named_columns(input) {
                return Err(GmmError::InvalidParameter {
                    name: flag,
                    value,
                    reason: format!(
                        "{} is a .npy file, whose columns have no names: drop the flag (every \
                         column is read; give weights with --weights FILE)",
                        path.display()
                    ),
                });
            }
            Box::new(NpyFile::open(path)?)
        }
    };
    Ok(match &input.weights {
        Some(weights) => Box::new(WithWeightsFile::new(source, weights)?),
        None => source,
    })
}

/// The flag that names columns, and its value, when one is given.
fn named_columns(input: &DataOptions) -> Option<(&'static str, String)> {
    if let Some(columns) = &input.columns {
        return Some(("--columns", columns.join(",")));
    }
    input
        .weight_column
        .as_ref()
        .map(|w| ("--weight-column", w.clone()))
}

/// The whole data file in memory, with its weights.
///
/// # Errors
/// As [`open_source`], and the errors of the values (not finite, bad weights).
pub fn read_data(path: &Path, input: &DataOptions) -> Result<Dataset> {
    read_all(open_source(path, input)?.as_mut())
}

/// Checks that the data's dimension is the model's.
///
/// # Errors
/// [`GmmError::ShapeMismatch`] naming the file.
pub fn check_dimension(path: &Path, d: usize, model: &dyn MixtureModel) -> Result<()> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_go_by_extension() {
        assert_eq!(format_of(Path::new("a/b.npy")), Format::Npy);
        assert_eq!(format_of(Path::new("b.NPY")), Format::Npy);
        assert_eq!(format_of(Path::new("b.parquet")), Format::Parquet);
        assert_eq!(format_of(Path::new("b.pq")), Format::Parquet);
        assert_eq!(format_of(Path::new("b.csv")), Format::Csv);
        assert_eq!(format_of(Path::new("b.txt")), Format::Csv);
        assert_eq!(format_of(Path::new("data")), Format::Csv);
    }
}
