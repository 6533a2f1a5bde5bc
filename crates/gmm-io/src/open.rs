//! Opening a data file by its extension: the reader of its format, with the columns and
//! weights asked for, as one [`DataSource`]; or the whole file in memory.

use std::path::{Path, PathBuf};

use gmm_core::{DataSource, Dataset, GmmError, Result, check_memory};

use crate::columns::ColumnSelection;
use crate::table::DataTable;

/// The formats of data files, told apart by the file's extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataFormat {
    /// Comma-separated text, with or without a header row (cargo feature `csv`).
    Csv,
    /// A NumPy .npy array, f8 or f4, C order (cargo feature `npy`).
    Npy,
    /// Apache Parquet, numeric columns by name (cargo feature `parquet`).
    Parquet,
}

impl DataFormat {
    /// The format of `path` by its extension, case-insensitive: `.npy` is NumPy,
    /// `.parquet` and `.pq` are Parquet, any other name (`.csv`, `.txt`, none) is CSV.
    ///
    /// ```
    /// use std::path::Path;
    /// use gmm_io::DataFormat;
    /// assert_eq!(DataFormat::of(Path::new("runs/x.NPY")), DataFormat::Npy);
    /// assert_eq!(DataFormat::of(Path::new("x.pq")), DataFormat::Parquet);
    /// assert_eq!(DataFormat::of(Path::new("x.tsv")), DataFormat::Csv);
    /// ```
    pub fn of(path: &Path) -> Self {
        let ext = path
            .extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase());
        match ext.as_deref() {
            Some("npy") => Self::Npy,
            Some("parquet" | "pq") => Self::Parquet,
            _ => Self::Csv,
        }
    }

    /// "CSV files", ".npy files", "Parquet files".
    // unused when every format's feature is on
    #[allow(dead_code)]
    fn files(self) -> &'static str {
        match self {
            Self::Csv => "CSV files",
            Self::Npy => ".npy files",
            Self::Parquet => "Parquet files",
        }
    }

    /// The cargo feature of gmm-io that reads the format.
    pub fn feature(self) -> &'static str {
        match self {
            Self::Csv => "csv",
            Self::Npy => "npy",
            Self::Parquet => "parquet",
        }
    }
}

/// What to read of a data file besides its points: the columns by name, and the points'
/// frequency weights from a column or from a file of their own (one weight per line).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SourceOptions {
    /// The point columns and the weight column, by name (CSV with a header, Parquet).
    pub selection: ColumnSelection,
    /// A file of weights, one per line, in the order of the points (any format).
    pub weights: Option<PathBuf>,
    /// The memory a whole-file read ([`read_dataset`]) may use, in bytes (`None`: the
    /// memory this process may use, `gmm_core::default_memory_limit`). Streamed reads
    /// ([`open_source`]) hold one batch and ignore it.
    pub max_memory: Option<u64>,
    /// The precision of the points a source hands out ([`open_source`]): `f64` (the
    /// default; an `<f4` .npy file widened exactly) or `f32` (a `<f4` .npy file as it is,
    /// other files rounded to nearest batch by batch), for a fit whose E-step runs in `f32`
    /// lanes. A whole read into a `Dataset` ([`read_dataset`]) is always `f64`;
    /// [`crate::read_single_precision`] reads a file whole as `f32`.
    pub precision: gmm_core::Precision,
    /// What a missing value in the file reads as (docs/architecture.md, "Missing values in
    /// files"): an error naming the option (`MissingPolicy::Refuse`, the default), or NaN, a
    /// missing coordinate that the fits marginalise (`MissingPolicy::Marginalise`): CSV
    /// cells of [`crate::MISSING_CELLS`], Parquet nulls, NaN in a .npy file. Weights are
    /// never missing.
    pub missing: gmm_core::MissingPolicy,
}

/// The data file `path` as a source read pass after pass, by the reader of its format
/// ([`DataFormat::of`]), with the columns and weights of `options`.
///
/// ```
/// # #[cfg(feature = "csv")] {
/// use gmm_io::{ColumnSelection, SourceOptions};
/// let dir = std::env::temp_dir().join(format!("gmm-io-open-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&dir).unwrap();
/// let path = dir.join("points.csv");
/// std::fs::write(&path, "x,y,count\n1,2,3\n4,5,1\n").unwrap();
/// let options = SourceOptions {
///     selection: ColumnSelection {
///         columns: Some(vec!["y".into()]),
///         weight_column: Some("count".into()),
///         feature_names: None,
///     },
///     weights: None,
///     max_memory: None,
///     precision: gmm_core::Precision::F64,
///     missing: gmm_core::MissingPolicy::Refuse,
/// };
/// let source = gmm_io::open_source(&path, &options)?;
/// assert_eq!(source.n_features(), 1);
/// let data = gmm_io::read_dataset(&path, &options)?;
/// assert_eq!(data.as_slice(), &[2.0, 5.0]);
/// # std::fs::remove_dir_all(&dir).unwrap();
/// # }
/// # Ok::<(), gmm_core::GmmError>(())
/// ```
///
/// A pass's errors name the file: a value that is not finite or a bad weight by its data
/// row and column counted from 1 (a CSV file by its line), a file without points or
/// without a positive weight as such ([`GmmError::BinaryFile`] at place `data row R`,
/// `data` or `weights`).
///
/// # Errors
/// The readers' errors (naming the file); [`GmmError::InvalidParameter`] naming
/// `columns` or `weight_column` for a column that is missing, or for column names given
/// for a .npy file (whose columns have no names); [`GmmError::Io`] naming the file and the
/// cargo feature when the reader of its format (or, for `weights`, the CSV reader) was
/// not compiled in.
pub fn open_source(path: &Path, options: &SourceOptions) -> Result<Box<dyn DataSource>> {
    Ok(open_named_source(path, options)?.source)
}

/// A data file opened as a source ([`open_named_source`]), with the names of the point
/// columns it reads.
pub struct NamedSource {
    /// The source, read pass after pass.
    pub source: Box<dyn DataSource>,
    /// The names of the point columns read, in order, when the file names its columns (a
    /// CSV header, Parquet); `None` for a .npy file or a CSV file without a header.
    pub column_names: Option<Vec<String>>,
}

impl std::fmt::Debug for NamedSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NamedSource")
            .field("n_features", &self.source.n_features())
            .field("column_names", &self.column_names)
            .finish()
    }
}

/// [`open_source`], with the names of the point columns it reads, in order, when the file
/// names its columns: a CSV file's header, a Parquet file's column names; `None` for a .npy
/// file or a CSV file without a header. What a model fitted on the file records as its
/// `feature_names`.
///
/// # Errors
/// As [`open_source`].
pub fn open_named_source(path: &Path, options: &SourceOptions) -> Result<NamedSource> {
    let opened = open_format(path, DataFormat::of(path), options)?;
    let source = match &options.weights {
        None => opened.source,
        Some(weights) => with_weights(opened.source, weights)?,
    };
    let source: Box<dyn DataSource> = match options.precision {
        gmm_core::Precision::F64 => source,
        gmm_core::Precision::F32 => Box::new(crate::NarrowedSource::new(source)),
    };
    Ok(NamedSource {
        source: Box::new(crate::located::InFile::new(source, path)),
        column_names: opened.column_names,
    })
}

/// The whole data file `path` in memory, with its weights ([`open_source`] read in one
/// validated pass).
///
/// The N x D values (8 bytes each) must fit within `options.max_memory` (or the memory this
/// process may use): for a .npy file N and D come from its header and for Parquet from its
/// metadata, so a file too large is refused before any of it is read; a CSV file (whose
/// rows are not known before they are read) is refused as soon as the values read exceed
/// the limit ([`crate::read_all_within`]).
///
/// # Errors
/// As [`open_source`], and the errors of the values (not finite, bad weights, no points);
/// [`GmmError::MemoryLimit`] naming the file when its values would not fit in memory.
pub fn read_dataset(path: &Path, options: &SourceOptions) -> Result<Dataset> {
    Ok(read_table(path, options)?.data)
}

/// [`read_dataset`], with the names of the columns read when the file names its columns
/// (as [`open_named_source`]).
///
/// ```
/// # #[cfg(feature = "csv")] {
/// use gmm_io::{ColumnSelection, SourceOptions};
/// let dir = std::env::temp_dir().join(format!("gmm-io-table-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&dir).unwrap();
/// let path = dir.join("points.csv");
/// std::fs::write(&path, "id,x,y\n7,1,2\n8,3,4\n").unwrap();
/// // the columns of a model fitted on y then x, read by name from a file in another order
/// let options = SourceOptions {
///     selection: ColumnSelection {
///         feature_names: Some(vec!["y".into(), "x".into()]),
///         ..ColumnSelection::all()
///     },
///     ..SourceOptions::default()
/// };
/// let table = gmm_io::read_table(&path, &options)?;
/// assert_eq!(table.data.as_slice(), &[2.0, 1.0, 4.0, 3.0]);
/// assert_eq!(table.column_names, Some(vec!["y".to_string(), "x".to_string()]));
/// # std::fs::remove_dir_all(&dir).unwrap();
/// # }
/// # Ok::<(), gmm_core::GmmError>(())
/// ```
///
/// # Errors
/// As [`read_dataset`].
pub fn read_table(path: &Path, options: &SourceOptions) -> Result<DataTable> {
    let NamedSource {
        mut source,
        column_names,
    } = open_named_source(path, options)?;
    let limit = options.max_memory.or_else(gmm_core::default_memory_limit);
    if let Some(n) = known_rows(path, &options.selection)? {
        let bytes = n
            .saturating_mul(source.n_features() as u64)
            .saturating_mul(8);
        check_memory(bytes, limit, &reading_in_memory(path))?;
    }
    let data = crate::collect::read_all_limited(source.as_mut(), limit, &reading_in_memory(path))?;
    Ok(DataTable { data, column_names })
}

/// What a whole-file read of `path` is called in a [`GmmError::MemoryLimit`], with the
/// way out of it.
pub(crate) fn reading_in_memory(path: &Path) -> String {
    format!(
        "reading {} into memory (read it pass by pass instead: --stream, or a streamed \
         source)",
        path.display()
    )
}

/// The number of rows of `path` when its format says so without reading the values:
/// a .npy header's shape, a Parquet file's metadata; `None` for CSV.
#[cfg_attr(not(feature = "parquet"), allow(unused_variables))]
fn known_rows(path: &Path, selection: &ColumnSelection) -> Result<Option<u64>> {
    match DataFormat::of(path) {
        #[cfg(feature = "npy")]
        DataFormat::Npy => Ok(Some(crate::NpyFile::open(path)?.n_rows() as u64)),
        #[cfg(feature = "parquet")]
        DataFormat::Parquet => Ok(Some(crate::ParquetFile::open(path, selection)?.n_rows())),
        _ => Ok(None),
    }
}

/// The error for a format whose reader is not compiled in.
// unused when every format's feature is on
#[allow(dead_code)]
fn feature_off(path: &Path, what: &str, feature: &str) -> GmmError {
    GmmError::Io {
        path: path.display().to_string(),
        reason: format!(
            "reading {what} needs gmm-io's cargo feature `{feature}`, which is off in this \
             build: enable it (features = [\"{feature}\"])"
        ),
    }
}

/// The reader of `format` on `path`, and the names of the columns it reads (when the file
/// has names).
#[cfg_attr(
    not(any(feature = "csv", feature = "npy", feature = "parquet")),
    allow(unused_variables)
)]
fn open_format(path: &Path, format: DataFormat, options: &SourceOptions) -> Result<NamedSource> {
    let selection = &options.selection;
    match format {
        #[cfg(feature = "csv")]
        DataFormat::Csv => {
            let file = crate::CsvFile::open(path, selection)?.with_missing(options.missing);
            Ok(NamedSource {
                column_names: file.header_names(),
                source: Box::new(file),
            })
        }
        #[cfg(feature = "parquet")]
        DataFormat::Parquet => {
            let file = crate::ParquetFile::open(path, selection)?.with_missing(options.missing);
            Ok(NamedSource {
                column_names: Some(file.column_names()),
                source: Box::new(file),
            })
        }
        #[cfg(feature = "npy")]
        DataFormat::Npy => {
            refuse_names_for_npy(path, selection)?;
            Ok(NamedSource {
                source: Box::new(
                    crate::NpyFile::open(path)?
                        .with_precision(options.precision)
                        .with_missing(options.missing),
                ),
                column_names: None,
            })
        }
        #[allow(unreachable_patterns)]
        other => Err(feature_off(path, other.files(), other.feature())),
    }
}

/// Column names given for a .npy file, whose columns have no names: the error naming the
/// first.
#[cfg(feature = "npy")]
fn refuse_names_for_npy(path: &Path, selection: &ColumnSelection) -> Result<()> {
    let named = match (&selection.columns, &selection.weight_column) {
        (Some(columns), _) => Some(("columns", columns.join(","))),
        (None, Some(w)) => Some(("weight_column", w.clone())),
        (None, None) => None,
    };
    match named {
        Some((name, value)) => Err(GmmError::InvalidParameter {
            name,
            value,
            reason: format!(
                "{} is a .npy file, whose columns have no names: read every column (give \
                 weights in a file of their own)",
                path.display()
            ),
        }),
        None => Ok(()),
    }
}

/// `source` with the weights of the file `weights`, read in step.
fn with_weights(source: Box<dyn DataSource>, weights: &Path) -> Result<Box<dyn DataSource>> {
    #[cfg(feature = "csv")]
    {
        Ok(Box::new(crate::WithWeightsFile::new(source, weights)?))
    }
    #[cfg(not(feature = "csv"))]
    {
        drop(source);
        Err(feature_off(weights, "a weights file", "csv"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_go_by_extension_whatever_the_case() {
        let cases = [
            ("a/b.npy", DataFormat::Npy),
            ("b.NPY", DataFormat::Npy),
            ("b.Npy", DataFormat::Npy),
            ("b.parquet", DataFormat::Parquet),
            ("b.PARQUET", DataFormat::Parquet),
            ("b.pq", DataFormat::Parquet),
            ("b.PQ", DataFormat::Parquet),
            ("b.csv", DataFormat::Csv),
            ("b.CSV", DataFormat::Csv),
            // any other name is CSV
            ("b.txt", DataFormat::Csv),
            ("b.npz", DataFormat::Csv),
            ("b.npy.gz", DataFormat::Csv),
            ("data", DataFormat::Csv),
            (".npy", DataFormat::Csv),
        ];
        for (path, format) in cases {
            assert_eq!(DataFormat::of(Path::new(path)), format, "{path}");
        }
        assert_eq!(DataFormat::Parquet.feature(), "parquet");
    }

    /// A scratch directory of the test `name`.
    fn scratch(name: &str) -> PathBuf {
        gmm_test_support::scratch_dir(&format!("io-open-{name}"))
    }

    #[cfg(all(feature = "csv", feature = "npy"))]
    #[test]
    fn each_extension_opens_its_reader() {
        let dir = scratch("each");
        let csv = dir.join("p.CSV");
        std::fs::write(&csv, "x,y\n1,2\n3,4\n5,6\n").unwrap();
        let txt = dir.join("p.txt");
        std::fs::write(&txt, "1,2\n3,4\n5,6\n").unwrap();
        let npy = dir.join("p.Npy");
        let mut w = crate::NpyWriter::create(&npy, 3, 2, crate::NpyDtype::F64).unwrap();
        w.write_rows(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]).unwrap();
        w.finish().unwrap();
        let want = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
        for path in [&csv, &txt, &npy] {
            let data = read_dataset(path, &SourceOptions::default()).unwrap();
            assert_eq!(data.as_slice(), &want, "{}", path.display());
        }
        // a .npy file read as CSV would fail: the extension chose the NumPy reader
        assert!(crate::read_data_file(&npy).is_err());

        let weights = dir.join("w.txt");
        std::fs::write(&weights, "1\n0\n2\n").unwrap();
        let options = SourceOptions {
            weights: Some(weights),
            ..SourceOptions::default()
        };
        for path in [&csv, &npy] {
            let data = read_dataset(path, &options).unwrap();
            assert_eq!(data.weights(), Some(&[1.0, 0.0, 2.0][..]));
        }

        let named = SourceOptions {
            selection: ColumnSelection {
                columns: Some(vec!["y".into()]),
                weight_column: None,
                feature_names: None,
            },
            weights: None,
            max_memory: None,
            precision: gmm_core::Precision::F64,
            missing: gmm_core::MissingPolicy::Refuse,
        };
        assert_eq!(
            read_dataset(&csv, &named).unwrap().as_slice(),
            &[2.0, 4.0, 6.0]
        );
        match open_source(&npy, &named) {
            Err(GmmError::InvalidParameter { name, reason, .. }) => {
                assert_eq!(name, "columns");
                assert!(
                    reason.contains("p.Npy") && reason.contains(".npy"),
                    "{reason}"
                );
            }
            other => panic!("expected InvalidParameter, got {:?}", other.map(|_| ())),
        }
        std::fs::remove_dir_all(&dir).ok();
    }

    #[cfg(all(feature = "csv", feature = "npy"))]
    #[test]
    fn a_model_s_feature_names_pick_named_columns_and_leave_unnamed_ones_by_position() {
        let dir = scratch("features");
        let options = SourceOptions {
            selection: ColumnSelection {
                feature_names: Some(vec!["x".into(), "y".into()]),
                ..ColumnSelection::all()
            },
            ..SourceOptions::default()
        };
        // by name, in the model's order, other columns ignored; streamed alike
        let swapped = dir.join("swapped.csv");
        std::fs::write(&swapped, "id,y,x\n1,2,3\n4,5,6\n").unwrap();
        let table = read_table(&swapped, &options).unwrap();
        assert_eq!(table.data.as_slice(), &[3.0, 2.0, 6.0, 5.0]);
        assert_eq!(table.column_names, Some(vec!["x".into(), "y".into()]));
        let opened = open_named_source(&swapped, &options).unwrap();
        assert_eq!(opened.source.n_features(), 2);
        assert_eq!(opened.column_names, Some(vec!["x".into(), "y".into()]));
        // no names in the file: every column by position
        let bare = dir.join("bare.csv");
        std::fs::write(&bare, "1,2\n3,4\n").unwrap();
        let npy = dir.join("p.npy");
        let mut w = crate::NpyWriter::create(&npy, 2, 2, crate::NpyDtype::F64).unwrap();
        w.write_rows(&[1.0, 2.0, 3.0, 4.0]).unwrap();
        w.finish().unwrap();
        for path in [&bare, &npy] {
            let table = read_table(path, &options).unwrap();
            assert_eq!(table.data.as_slice(), &[1.0, 2.0, 3.0, 4.0]);
            assert_eq!(table.column_names, None, "{}", path.display());
        }
        // a feature the file lacks: the error names it and the file
        let lacking = dir.join("lacking.csv");
        std::fs::write(&lacking, "x,z\n1,2\n").unwrap();
        match read_table(&lacking, &options) {
            Err(e @ GmmError::FeatureMismatch { .. }) => {
                let text = e.to_string();
                assert!(
                    text.contains("lacking.csv") && text.contains("feature \"y\""),
                    "{text}"
                );
            }
            other => panic!("expected FeatureMismatch, got {:?}", other.map(|_| ())),
        }
        std::fs::remove_dir_all(&dir).ok();
    }

    #[cfg(feature = "parquet")]
    #[test]
    fn parquet_extensions_open_the_parquet_reader() {
        let dir = scratch("parquet");
        // not a Parquet file: the Parquet reader's error says so, naming the file
        for name in ["p.parquet", "p.PQ"] {
            let path = dir.join(name);
            std::fs::write(&path, "x,y\n1,2\n").unwrap();
            match open_source(&path, &SourceOptions::default()) {
                Err(e) => assert!(
                    e.to_string().contains(name) && e.to_string().contains("arquet"),
                    "{e}"
                ),
                Ok(_) => panic!("{name}: a CSV file read as Parquet"),
            }
        }
        std::fs::remove_dir_all(&dir).ok();
    }

    #[cfg(not(feature = "parquet"))]
    #[test]
    fn a_format_whose_feature_is_off_is_an_error_naming_the_feature() {
        let dir = scratch("off");
        let path = dir.join("p.parquet");
        std::fs::write(&path, "x,y\n1,2\n").unwrap();
        match open_source(&path, &SourceOptions::default()) {
            Err(GmmError::Io { path, reason }) => {
                assert!(path.ends_with("p.parquet"));
                assert!(reason.contains("feature `parquet`"), "{reason}");
            }
            other => panic!("expected Io, got {:?}", other.map(|_| ())),
        }
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn a_missing_file_is_an_error_naming_it() {
        let dir = scratch("missing");
        for name in ["none.csv", "none.npy", "none.parquet"] {
            let format = DataFormat::of(Path::new(name));
            let compiled = match format {
                DataFormat::Csv => cfg!(feature = "csv"),
                DataFormat::Npy => cfg!(feature = "npy"),
                DataFormat::Parquet => cfg!(feature = "parquet"),
            };
            match open_source(&dir.join(name), &SourceOptions::default()) {
                Err(e) => {
                    let text = e.to_string();
                    assert!(text.contains(name), "{text}");
                    if !compiled {
                        assert!(text.contains(format.feature()), "{text}");
                    }
                }
                Ok(_) => panic!("{name} opened"),
            }
        }
        std::fs::remove_dir_all(&dir).ok();
    }
}
