//! A CSV data file read row by row as a stream of batches, pass after pass, by the rules of
//! [`parse_data`](crate::parse_data); and a weights file (one weight per line) read in step
//! with any source.

use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use gmm_core::{Batch, DataSource, GmmError, MissingPolicy, Result};

use crate::batcher::Batcher;
use crate::columns::{ColumnSelection, resolve};
use crate::csv_data::{CsvRows, data_error};
use crate::file_stamp::{FileStamp, open, read_once_error, read_once_kind};

/// A CSV data file read as a [`DataSource`]: each pass reads the file again from the start,
/// one row at a time, by the rules of [`parse_data`](crate::parse_data) (blank lines
/// skipped, a first row without numbers is the header, every cell a finite number, every
/// row as long as the first), so only one batch is held. Columns can be chosen by their
/// header names, in any order, and one column can hold each point's frequency weight.
///
/// ```
/// use gmm_core::{DataSource, Passes};
/// use gmm_io::{ColumnSelection, CsvFile};
/// let dir = std::env::temp_dir().join(format!("gmm-io-csv-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&dir).unwrap();
/// let path = dir.join("points.csv");
/// std::fs::write(&path, "x,label,y,count\n1,a,2,3\n4,b,5,0\n").unwrap();
///
/// let selection = ColumnSelection {
///     columns: Some(vec!["y".into(), "x".into()]),
///     weight_column: Some("count".into()),
///     feature_names: None,
/// };
/// let mut csv = CsvFile::open(&path, &selection)?;
/// assert_eq!(csv.n_features(), 2);
/// let summary = Passes::new(&mut csv).summary()?;
/// assert_eq!(summary.column_low, vec![2.0, 1.0]);
/// assert_eq!(summary.total_weight, 3.0);
/// # std::fs::remove_dir_all(&dir).unwrap();
/// # Ok::<(), gmm_core::GmmError>(())
/// ```
#[derive(Debug)]
pub struct CsvFile {
    path: PathBuf,
    stamp: FileStamp,
    columns: Vec<usize>,
    weight: Option<usize>,
    column_names: Option<Vec<String>>,
    /// The number of columns of every row.
    n_columns: usize,
    /// A pipe (or another file that can be read only once): its rows, opened and read up to
    /// the first data row, until the one pass takes them.
    once: Option<ReadOnce>,
    /// What a missing cell ([`crate::MISSING_CELLS`]) of a point column reads as.
    missing: MissingPolicy,
}

/// The rows of a file that can be read only once, kept open from [`CsvFile::open`].
#[derive(Debug)]
enum ReadOnce {
    /// Not read yet: the rows, standing on the first data row (at its line).
    Ready {
        kind: &'static str,
        rows: Box<CsvRows<BufReader<File>>>,
        line: usize,
    },
    /// The one pass was taken.
    Taken(&'static str),
}

impl CsvFile {
    /// Opens `path`, reads its header (if any) and its first data row, and resolves the
    /// columns of `selection` (names need a header row).
    ///
    /// # Errors
    /// [`GmmError::Io`] when the file cannot be opened; [`GmmError::DataFile`] for bad
    /// content up to the first data row, or a file without data rows;
    /// [`GmmError::InvalidParameter`] (`columns`, `weight_column`) for a name the header does
    /// not have (the message lists the columns), or names given for a file without a header.
    pub fn open(path: &Path, selection: &ColumnSelection) -> Result<Self> {
        // a pipe is read once, from this opening: opening it again would give only the rest
        let read_once = read_once_kind(path)?;
        let file = open(path)?;
        let stamp = FileStamp::of(&file, path)?;
        let shown = path.display().to_string();
        let mut rows = CsvRows::new(BufReader::new(file), &shown);
        let Some(line) = rows.next_row()? else {
            return Err(rows.no_data_rows());
        };
        let column_names = rows.column_names().map(<[String]>::to_vec);
        let (columns, weight) = match &column_names {
            Some(names) => {
                // every cell of a column read must be a number, the first as any other: a
                // column is not judged (and dropped) by its first value
                resolve(selection, names, &|_| Ok(()), &shown)?
            }
            None if selection.by_name() => {
                let flag = if selection.columns.is_some() {
                    "columns"
                } else {
                    "weight_column"
                };
                return Err(GmmError::InvalidParameter {
                    name: flag,
                    value: selection.columns.as_ref().map_or_else(
                        || selection.weight_column.clone().unwrap_or_default(),
                        |c| c.join(","),
                    ),
                    reason: format!(
                        "{shown} has no header row to find column names in: add a first row \
                         of column names"
                    ),
                });
            }
            None => ((0..rows.n_columns()).collect(), None),
        };
        let n_columns = rows.n_columns();
        let once = read_once.map(|kind| ReadOnce::Ready {
            kind,
            rows: Box::new(rows),
            line,
        });
        Ok(Self {
            path: path.to_path_buf(),
            stamp,
            columns,
            weight,
            column_names,
            n_columns,
            once,
            missing: MissingPolicy::Refuse,
        })
    }

    /// The same file with its missing cells ([`crate::MISSING_CELLS`]) read by `policy`:
    /// NaN under [`MissingPolicy::Marginalise`], an error naming the option under
    /// [`MissingPolicy::Refuse`] (the default). A weight is never missing.
    pub fn with_missing(mut self, policy: MissingPolicy) -> Self {
        self.missing = policy;
        self
    }

    /// The names of the point columns read, in order (`x1`, `x2`, ... without a header).
    pub fn column_names(&self) -> Vec<String> {
        self.columns
            .iter()
            .map(|&j| match &self.column_names {
                Some(names) => names[j].clone(),
                None => format!("x{}", j + 1),
            })
            .collect()
    }

    /// The header's names of the point columns read, in order; `None` for a file without
    /// a header row (whose columns have no names).
    pub fn header_names(&self) -> Option<Vec<String>> {
        let names = self.column_names.as_ref()?;
        Some(self.columns.iter().map(|&j| names[j].clone()).collect())
    }
}

impl DataSource for CsvFile {
    fn n_features(&self) -> usize {
        self.columns.len()
    }

    fn has_weights(&self) -> bool {
        self.weight.is_some()
    }

    fn for_each_batch(
        &mut self,
        batch_rows: usize,
        visit: &mut dyn FnMut(Batch<'_>) -> Result<()>,
    ) -> Result<()> {
        let (mut rows, mut pending) = match self.once.take() {
            None => {
                let file = self.stamp.reopen(&self.path)?;
                let shown = self.path.display().to_string();
                let rows = CsvRows::new(BufReader::with_capacity(1 << 16, file), &shown);
                (Box::new(rows), None)
            }
            Some(ReadOnce::Ready { kind, rows, line }) => {
                self.once = Some(ReadOnce::Taken(kind));
                (rows, Some(line))
            }
            Some(ReadOnce::Taken(kind)) => {
                self.once = Some(ReadOnce::Taken(kind));
                return Err(read_once_error(&self.path, kind));
            }
        };
        rows.set_missing(self.missing);
        let mut batcher = Batcher::new(self.columns.len(), batch_rows, self.weight.is_some());
        let mut row = Vec::with_capacity(self.columns.len());
        loop {
            let line = match pending.take() {
                Some(line) => line,
                None => match rows.next_row()? {
                    Some(line) => line,
                    None => break,
                },
            };
            if rows.n_columns() != self.n_columns {
                return Err(GmmError::SourceChanged {
                    reason: format!(
                        "{} changed since the fit first read it (rows of {} columns, now {}): \
                         do not modify a file while it is being fitted",
                        self.path.display(),
                        self.n_columns,
                        rows.n_columns()
                    ),
                });
            }
            row.clear();
            for &j in &self.columns {
                row.push(rows.cell(j, line)?);
            }
            let weight = match self.weight {
                Some(j) => rows.weight_cell(j, line)?,
                None => 1.0,
            };
            batcher.push_row(&row, weight, visit)?;
        }
        batcher.flush(visit)
    }

    fn missing_policy(&self) -> MissingPolicy {
        self.missing
    }
}

/// Frequency weights read from a file with one weight per line (a first line that is not
/// a number is a header), in step with the points of another source: `--weights FILE`.
#[derive(Debug)]
pub struct WithWeightsFile<S> {
    source: S,
    path: PathBuf,
    stamp: FileStamp,
    /// A pipe (or another file that can be read only once): its rows, opened in
    /// [`WithWeightsFile::new`], until the one pass takes them.
    once: Option<WeightsOnce>,
}

/// The weights of a file that can be read only once.
#[derive(Debug)]
enum WeightsOnce {
    Ready(&'static str, Box<CsvRows<BufReader<File>>>),
    Taken(&'static str),
}

impl<S: DataSource> WithWeightsFile<S> {
    /// The points of `source` with the weights of the file `path`, one per point in order.
    ///
    /// # Errors
    /// [`GmmError::Io`] when the file cannot be opened; [`GmmError::InvalidParameter`]
    /// (`weights`) when `source` has weights already.
    pub fn new(source: S, path: &Path) -> Result<Self> {
        if source.has_weights() {
            return Err(GmmError::InvalidParameter {
                name: "weights",
                value: path.display().to_string(),
                reason: "the data have a weight column already: give the weights once".into(),
            });
        }
        let read_once = read_once_kind(path)?;
        let file = open(path)?;
        let stamp = FileStamp::of(&file, path)?;
        let shown = path.display().to_string();
        let once = read_once.map(|kind| {
            WeightsOnce::Ready(kind, Box::new(CsvRows::new(BufReader::new(file), &shown)))
        });
        Ok(Self {
            source,
            path: path.to_path_buf(),
            stamp,
            once,
        })
    }

    /// Reads the weights of the next `n` points into `out`.
    fn next_weights(
        rows: &mut CsvRows<BufReader<File>>,
        n: usize,
        first_row: usize,
        out: &mut Vec<f64>,
        shown: &str,
    ) -> Result<()> {
        out.clear();
        for i in 0..n {
            let Some(line) = rows.next_row()? else {
                return Err(count_error(
                    shown,
                    format!(
                        "the file has {} weights but the data have more points",
                        first_row + i
                    ),
                ));
            };
            if rows.n_columns() != 1 {
                return Err(data_error(
                    shown,
                    line,
                    2,
                    format!(
                        "{} columns: a weights file holds one weight per line",
                        rows.n_columns()
                    ),
                ));
            }
            out.push(rows.weight_cell(0, line)?);
        }
        Ok(())
    }
}

/// The error of a weights file with another number of weights than points.
fn count_error(path: &str, reason: String) -> GmmError {
    GmmError::InvalidParameter {
        name: "weights",
        value: path.to_string(),
        reason: format!("{reason}: give one weight per point, in the order of the points"),
    }
}

impl<S: DataSource> DataSource for WithWeightsFile<S> {
    fn n_features(&self) -> usize {
        self.source.n_features()
    }

    fn has_weights(&self) -> bool {
        true
    }

    fn for_each_batch(
        &mut self,
        batch_rows: usize,
        visit: &mut dyn FnMut(Batch<'_>) -> Result<()>,
    ) -> Result<()> {
        let shown = self.path.display().to_string();
        let mut rows = match self.once.take() {
            None => {
                let file = self.stamp.reopen(&self.path)?;
                Box::new(CsvRows::new(
                    BufReader::with_capacity(1 << 16, file),
                    &shown,
                ))
            }
            Some(WeightsOnce::Ready(kind, rows)) => {
                self.once = Some(WeightsOnce::Taken(kind));
                rows
            }
            Some(WeightsOnce::Taken(kind)) => {
                self.once = Some(WeightsOnce::Taken(kind));
                return Err(read_once_error(&self.path, kind));
            }
        };
        let mut weights = Vec::with_capacity(batch_rows);
        let mut points_seen = 0;
        let d = self.source.n_features();
        self.source.for_each_batch(batch_rows, &mut |batch| {
            let n = batch.points.len() / d;
            Self::next_weights(&mut rows, n, batch.first_row, &mut weights, &shown)?;
            points_seen = batch.first_row + n;
            visit(Batch {
                weights: Some(&weights),
                ..batch
            })
        })?;
        if rows.next_row()?.is_some() {
            return Err(count_error(
                &shown,
                format!("the file has more weights than the {points_seen} points of the data"),
            ));
        }
        Ok(())
    }

    fn missing_policy(&self) -> MissingPolicy {
        self.source.missing_policy()
    }
}
