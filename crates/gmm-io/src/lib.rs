//! # gmm-io
//!
//! Where the data of a Gaussian mixture fit come from and where results go, for library
//! users and the `gmm` command alike:
//!
//! - data sources that a fit reads pass after pass, holding one batch of points whatever
//!   the file's size (`gmm_core::DataSource`; docs/architecture.md, "Streaming"):
//!   [`NpyFile`] (NumPy .npy, f8 or f4, C order; feature `npy`), [`ParquetFile`] (numeric
//!   columns by name; feature `parquet`), [`CsvFile`] (CSV row by row, columns and a weight
//!   column by name; feature `csv`), [`ArraySource`] (ndarray views without a copy; feature
//!   `ndarray`), and [`WithWeightsFile`] (frequency weights from a file, one per line);
//!   [`read_all`] reads any of them into a `Dataset` when the data fit in memory;
//! - opening a data file by its extension ([`DataFormat::of`]: .npy, .parquet / .pq, else
//!   CSV) with the columns and weights of [`SourceOptions`]: [`open_source`] as a source,
//!   [`read_dataset`] in memory; a format whose feature is off is an error naming it;
//! - reading CSV data files into a [`DataTable`] (points and column names), label files into
//!   a [`LabelsFile`], and means files into a matrix, with errors that give the line and
//!   column of the first problem (feature `csv`);
//! - missing values on request ([`SourceOptions::missing`]): CSV cells of
//!   [`MISSING_CELLS`], Parquet nulls and .npy NaN read as NaN under
//!   `MissingPolicy::Marginalise`, refused otherwise with an error naming the option;
//! - writing numbers as CSV, each as the shortest text that reads back to the same `f64`
//!   ([`rows_to_csv`], [`csv_lines`], [`shortest`]);
//! - writing output files atomically ([`write_atomic`], [`write_all_atomic`], and
//!   [`AtomicWriter`] for output written as it is produced; [`NpyWriter`] for .npy files
//!   of any size): nothing half-written is ever left at the target path.
//!
//! Each file format sits behind a cargo feature of its own, so a program compiles only the
//! readers it uses: `csv` and `npy` (no dependency of its own) are on by default, `parquet`
//! (the arrow-rs crates) and `ndarray` are opt-in. Every reader names the file in its errors
//! (with the line and column, or the byte, row group, row and column), and notices a file
//! that changed between two passes (`GmmError::SourceChanged`).
//!
//! ```
//! # #[cfg(feature = "csv")] {
//! let table = gmm_io::parse_data("height,weight\n1.62,55\n1.80,79.5\n".as_bytes(), "inline")?;
//! assert_eq!(table.data.n_samples(), 2);
//! assert_eq!(table.column_name(1), "weight");
//!
//! let dir = std::env::temp_dir().join(format!("gmm-io-doc-{}", std::process::id()));
//! let csv = gmm_io::rows_to_csv(&["a".into(), "b".into()], table.data.rows());
//! let written = gmm_io::write_all_atomic(&dir, &[("points.csv".to_string(), csv)])?;
//! let back = gmm_io::read_data_file(&written[0])?;
//! assert_eq!(back.data, table.data);
//! # std::fs::remove_dir_all(&dir).unwrap();
//! # }
//! # Ok::<(), gmm_core::GmmError>(())
//! ```
#![warn(missing_docs)]

mod atomic_stream;
#[cfg_attr(
    not(any(feature = "csv", feature = "parquet", feature = "ndarray")),
    allow(dead_code)
)]
mod batcher;
mod collect;
#[cfg_attr(not(any(feature = "csv", feature = "parquet")), allow(dead_code))]
mod columns;
#[cfg(feature = "csv")]
mod csv_data;
mod csv_out;
#[cfg(feature = "csv")]
mod csv_source;
#[cfg_attr(
    not(any(feature = "csv", feature = "npy", feature = "parquet")),
    allow(dead_code)
)]
mod file_stamp;
mod located;
mod missing_cells;
#[cfg(feature = "ndarray")]
mod ndarray_source;
#[cfg(feature = "npy")]
mod npy;
mod open;
#[cfg(feature = "parquet")]
mod parquet_file;
mod single;
mod table;

pub use atomic_stream::AtomicWriter;
pub use collect::{read_all, read_all_within};
pub use columns::ColumnSelection;
#[cfg(feature = "csv")]
pub use csv_data::{
    LabelsFile, MAX_LINE_BYTES, parse_data, parse_labels, read_data_file, read_labels_file,
    read_means_file,
};
pub use csv_out::{csv_lines, rows_to_csv, shortest};
#[cfg(feature = "csv")]
pub use csv_source::{CsvFile, WithWeightsFile};
pub use file_stamp::check_rereadable;
/// Atomic file writes (defined in gmm-core, which writes model files with them).
pub use gmm_core::{remove_temporaries, write_all_atomic, write_atomic};
pub use missing_cells::{MISSING_CELLS, is_missing_cell};
#[cfg(feature = "ndarray")]
pub use ndarray_source::ArraySource;
#[cfg(feature = "npy")]
pub use npy::{NpyDtype, NpyFile, NpyWriter};
pub use open::{
    DataFormat, NamedSource, SourceOptions, open_named_source, open_source, read_dataset,
    read_table,
};
#[cfg(feature = "parquet")]
pub use parquet_file::ParquetFile;
pub use single::{NarrowedSource, SinglePrecisionTable, read_single_precision};
pub use table::DataTable;
