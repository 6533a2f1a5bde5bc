//! Reading data and label files (CSV), and writing points and labels as CSV.

use std::io::Read;
use std::path::Path;

use gmm_core::{Dataset, GmmError, MissingPolicy, Result};

use crate::file_stamp::open;
use crate::missing_cells::{READ_AS_MISSING, is_missing_cell, missing_value};
use crate::table::DataTable;

/// Reads a CSV data file: see [`parse_data`] for the format.
///
/// # Errors
/// [`GmmError::Io`] when the file cannot be opened; [`GmmError::DataFile`] with line and
/// column for any bad content.
pub fn read_data_file(path: &Path) -> Result<DataTable> {
    parse_data(open(path)?, &path.display().to_string())
}

pub(crate) fn data_error(source: &str, line: usize, column: usize, reason: String) -> GmmError {
    GmmError::DataFile {
        path: source.to_string(),
        line,
        column,
        reason,
    }
}

/// The longest line the CSV readers take, in bytes (256 MiB: ten million values of 25
/// characters). A longer line (a file that is not line-based text, a line that never ends)
/// is refused before it is held whole.
pub const MAX_LINE_BYTES: usize = 256 << 20;

pub(crate) fn csv_reader<R: Read>(reader: R) -> csv::Reader<LineLimit<R>> {
    csv_reader_limited(reader, MAX_LINE_BYTES)
}

fn csv_reader_limited<R: Read>(reader: R, limit: usize) -> csv::Reader<LineLimit<R>> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(LineLimit {
            inner: reader,
            line: 1,
            len: 0,
            limit,
        })
}

/// A reader that fails on a line longer than `limit` bytes, as the bytes pass, so that the
/// CSV parser never buffers more of one line than that.
#[derive(Debug)]
pub(crate) struct LineLimit<R> {
    inner: R,
    /// The 1-based line being read.
    line: usize,
    /// Its bytes so far.
    len: usize,
    limit: usize,
}

/// The error of a line longer than the limit (inside an `io::Error`).
#[derive(Debug)]
struct LineTooLong {
    line: usize,
    limit: usize,
}

impl std::fmt::Display for LineTooLong {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "line {} is longer than {} bytes, the longest line read: is this a CSV file \
             with one point per line? Convert a very wide data set to .npy or Parquet",
            self.line, self.limit
        )
    }
}

impl std::error::Error for LineTooLong {}

impl<R: Read> Read for LineLimit<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        for &b in &buf[..n] {
            if b == b'\n' {
                self.line += 1;
                self.len = 0;
            } else {
                self.len += 1;
                if self.len > self.limit {
                    return Err(std::io::Error::new(
                        std::io::ErrorKind::InvalidData,
                        LineTooLong {
                            line: self.line,
                            limit: self.limit,
                        },
                    ));
                }
            }
        }
        Ok(n)
    }
}

/// The error of an unreadable record: a line too long names its line.
fn read_error(source: &str, index: usize, e: &csv::Error, what: &str) -> GmmError {
    if let csv::ErrorKind::Io(io) = e.kind()
        && let Some(long) = io.get_ref().and_then(|r| r.downcast_ref::<LineTooLong>())
    {
        return data_error(source, long.line, 0, long.to_string());
    }
    let line = e.position().map_or(index, |p| p.line() as usize);
    data_error(source, line, 0, format!("{what} ({e})"))
}

/// Parses CSV data from any reader; `source` names it in error messages.
///
/// The data hold comma-separated numbers, one point per row. A first row in which no
/// cell is a number is taken as the column names and skipped. Every other problem is an
/// error that names the source, the 1-based line and column, and what to do:
/// a cell that is not a number, an empty or non-finite cell, a row of a different length
/// from the first, a file with no rows.
///
/// ```
/// use gmm_io::parse_data;
/// let table = parse_data("x,y\n1,2\n3,4.5\n".as_bytes(), "inline")?;
/// assert_eq!(table.data.n_samples(), 2);
/// assert_eq!(table.column_names, Some(vec!["x".to_string(), "y".to_string()]));
///
/// let err = parse_data("1,2\n3,oops\n".as_bytes(), "inline").unwrap_err();
/// assert!(err.to_string().contains("line 2, column 2"));
/// # Ok::<(), gmm_core::GmmError>(())
/// ```
///
/// # Errors
/// [`GmmError::DataFile`] naming the line and column of the first problem.
pub fn parse_data<R: Read>(reader: R, source: &str) -> Result<DataTable> {
    let mut rows = CsvRows::new(reader, source);
    let mut values = Vec::new();
    let mut n_rows = 0;
    while let Some(line) = rows.next_row()? {
        for j in 0..rows.n_columns() {
            values.push(rows.cell(j, line)?);
        }
        n_rows += 1;
    }
    if n_rows == 0 {
        return Err(rows.no_data_rows());
    }
    let data = Dataset::from_row_major(n_rows, rows.n_columns(), values)?;
    Ok(DataTable {
        data,
        column_names: rows.column_names().map(<[String]>::to_vec),
    })
}

/// The rows of a CSV data file, one record at a time in a reused buffer, read by the rules
/// of [`parse_data`]: blank lines skipped, a first row without numbers taken as the header,
/// every row as long as the first. [`parse_data`] and the streaming
/// [`CsvFile`](crate::CsvFile) both read through it.
#[derive(Debug)]
pub(crate) struct CsvRows<R: Read> {
    reader: csv::Reader<LineLimit<R>>,
    record: csv::StringRecord,
    source: String,
    /// Records read so far (blank ones included).
    index: usize,
    /// The number of columns of the first row (header or data).
    n_columns: usize,
    /// The header's cells, when the first row was one.
    column_names: Option<Vec<String>>,
    /// The line of the first row (header or data), 0 before it.
    first_line: usize,
    /// What a missing cell ([`crate::MISSING_CELLS`]) of a point column reads as.
    missing: MissingPolicy,
}

impl<R: Read> CsvRows<R> {
    /// Rows of `reader`; `source` names it in errors.
    pub(crate) fn new(reader: R, source: &str) -> Self {
        Self::with_line_limit(reader, source, MAX_LINE_BYTES)
    }

    /// Rows of `reader` whose lines hold at most `limit` bytes.
    pub(crate) fn with_line_limit(reader: R, source: &str, limit: usize) -> Self {
        Self {
            reader: csv_reader_limited(reader, limit),
            record: csv::StringRecord::new(),
            source: source.to_string(),
            index: 0,
            n_columns: 0,
            column_names: None,
            first_line: 0,
            missing: MissingPolicy::Refuse,
        }
    }

    /// Reads the missing cells of point columns by `policy` from now on.
    pub(crate) fn set_missing(&mut self, policy: MissingPolicy) {
        self.missing = policy;
    }

    /// Reads the next data row into the buffer and returns its 1-based line, or `None` at
    /// the end. The header, when there is one, is read on the way and skipped.
    ///
    /// # Errors
    /// [`GmmError::DataFile`] for unreadable CSV or a row of another length than the first.
    pub(crate) fn next_row(&mut self) -> Result<Option<usize>> {
        loop {
            self.index += 1;
            let more = self
                .reader
                .read_record(&mut self.record)
                .map_err(|e| read_error(&self.source, self.index, &e, "unreadable CSV"))?;
            if !more {
                return Ok(None);
            }
            let line = self
                .record
                .position()
                .map_or(self.index, |p| p.line() as usize);
            if self.record.iter().all(str::is_empty) {
                continue;
            }
            if self.first_line == 0 {
                self.first_line = line;
                self.n_columns = self.record.len();
                if let Some(cell) = self.record.iter().find(|c| other_separator(c).is_some()) {
                    // numbers joined by ';' are no header: say what the file is
                    let reason = not_a_number(cell, false);
                    return Err(data_error(&self.source, line, 1, reason));
                }
                if self.record.iter().all(|c| c.parse::<f64>().is_err()) {
                    self.column_names = Some(self.record.iter().map(str::to_string).collect());
                    continue;
                }
            }
            if self.record.len() != self.n_columns {
                return Err(data_error(
                    &self.source,
                    line,
                    0,
                    format!(
                        "this row has {} values but line {} has {}: every row needs the same number of columns",
                        self.record.len(),
                        self.first_line,
                        self.n_columns
                    ),
                ));
            }
            return Ok(Some(line));
        }
    }

    /// The value of point column `j` (0-based) of the row just read at `line`: NaN for a
    /// missing cell ([`crate::MISSING_CELLS`]) under [`MissingPolicy::Marginalise`].
    ///
    /// # Errors
    /// [`GmmError::DataFile`] naming the line and column of a cell that is missing (unless
    /// marginalised), not a number, or not finite.
    pub(crate) fn cell(&self, j: usize, line: usize) -> Result<f64> {
        self.value_at(j, line, self.missing)
    }

    /// The value of column `j` of the row just read at `line`, a missing cell read by
    /// `missing`.
    fn value_at(&self, j: usize, line: usize, missing: MissingPolicy) -> Result<f64> {
        let Some(cell) = self.record.get(j) else {
            return Err(data_error(
                &self.source,
                line,
                0,
                format!(
                    "this row has {} values but column {} was asked for: every row needs the \
                     same number of columns",
                    self.record.len(),
                    j + 1
                ),
            ));
        };
        let at = CellAt {
            source: &self.source,
            line,
            column: j + 1,
        };
        let could_be_header = line == self.first_line;
        let value = cell.parse::<f64>();
        cell_value(at, cell, value, could_be_header, missing).map_err(|e| match e {
            GmmError::DataFile {
                path,
                line,
                column,
                reason,
            } if self.column_names.is_some() && other_separator(cell).is_none() => {
                let name = self.column_names.as_ref().map_or("", |n| n[j].as_str());
                GmmError::DataFile {
                    path,
                    line,
                    column,
                    reason: format!(
                        "{reason} (column {name:?}); to leave a column out, name the columns \
                         to read (--columns)"
                    ),
                }
            }
            other => other,
        })
    }

    /// The weight in column `j` (0-based) of the row just read at `line`: a [`Self::cell`]
    /// that is also `>= 0`.
    ///
    /// # Errors
    /// As [`Self::cell`], and [`GmmError::DataFile`] naming the line and column of a
    /// negative weight.
    pub(crate) fn weight_cell(&self, j: usize, line: usize) -> Result<f64> {
        // a weight is never missing
        let w = self.value_at(j, line, MissingPolicy::Refuse)?;
        if w < 0.0 {
            return Err(data_error(
                &self.source,
                line,
                j + 1,
                format!(
                    "the weight {w} is negative: weights must be >= 0 (a weight counts the \
                     point that many times; 0 drops it)"
                ),
            ));
        }
        Ok(w)
    }

    /// The number of columns of every row.
    pub(crate) fn n_columns(&self) -> usize {
        self.n_columns
    }

    /// The header's cells, when the first row was one.
    pub(crate) fn column_names(&self) -> Option<&[String]> {
        self.column_names.as_deref()
    }

    /// The error of a file without data rows.
    pub(crate) fn no_data_rows(&self) -> GmmError {
        data_error(
            &self.source,
            self.first_line.max(1),
            0,
            "the file has no data rows: give one point per row, values separated by commas".into(),
        )
    }
}

/// Where a cell is: the source, its 1-based line and column.
#[derive(Clone, Copy)]
struct CellAt<'a> {
    source: &'a str,
    line: usize,
    column: usize,
}

/// The value of one cell, or the error that says what is wrong with it; `could_be_header`
/// (the first row) adds a hint on how a header row is recognised; a missing cell
/// ([`crate::MISSING_CELLS`]) reads as `missing` says.
fn cell_value(
    at: CellAt<'_>,
    cell: &str,
    value: std::result::Result<f64, std::num::ParseFloatError>,
    could_be_header: bool,
    missing: MissingPolicy,
) -> Result<f64> {
    let reason = match value {
        _ if is_missing_cell(cell) => match missing_value(missing) {
            Some(v) => return Ok(v),
            None if cell.is_empty() => format!("empty cell (a missing value): {READ_AS_MISSING}"),
            None => format!("{cell:?} marks a missing value: {READ_AS_MISSING}"),
        },
        Ok(v) if v.is_finite() => return Ok(v),
        Ok(v) => format!("the value {v} is not finite: remove or impute it"),
        Err(_) if cell.is_empty() => "empty cell: every cell must hold a number".into(),
        Err(_) => not_a_number(cell, could_be_header),
    };
    Err(data_error(at.source, at.line, at.column, reason))
}

/// What is wrong with a cell that is not a number: numbers joined by another separator
/// than the comma are named as such, with the conversion to do; `could_be_header` (the
/// first row) adds how a header row is recognised.
fn not_a_number(cell: &str, could_be_header: bool) -> String {
    match other_separator(cell) {
        Some(separator) => format!(
            "{cell:?} is not a number: this looks like a {} file, and gmm reads \
             comma-separated values; convert it (for example tr '{}' ',' < in.csv > out.csv, \
             with decimal points, not commas)",
            match separator {
                ';' => "';'-separated",
                '\t' => "tab-separated",
                _ => "'|'-separated",
            },
            separator.escape_default()
        ),
        None => {
            let hint = if could_be_header {
                " (a header row is recognised only when none of its cells is a number)"
            } else {
                ""
            };
            format!("{cell:?} is not a number: use plain decimal numbers{hint}")
        }
    }
}

/// The separator of a cell that holds several numbers separated by `;`, a tab or `|` (a
/// file written with another separator than the comma), if it is one.
fn other_separator(cell: &str) -> Option<char> {
    [';', '\t', '|'].into_iter().find(|&separator| {
        let mut parts = cell.split(separator);
        cell.contains(separator)
            && parts.all(|p| {
                let p = p.trim();
                p.parse::<f64>().is_ok() || p.replace(',', ".").parse::<f64>().is_ok()
            })
    })
}

/// Labels read from a file, one per point.
#[derive(Debug, Clone, PartialEq)]
pub struct LabelsFile {
    /// The labels as written, one per point.
    pub raw: Vec<String>,
    /// The 1-based line of each label (for error messages).
    lines: Vec<usize>,
    /// The source name.
    source: String,
}

impl LabelsFile {
    /// The labels as classes `0..C`, numbered by first appearance (any text is a class).
    pub fn classes(&self) -> Vec<usize> {
        let mut seen: Vec<&str> = Vec::new();
        self.raw
            .iter()
            .map(|l| match seen.iter().position(|s| *s == l) {
                Some(i) => i,
                None => {
                    seen.push(l);
                    seen.len() - 1
                }
            })
            .collect()
    }

    /// The labels as component indices: each must be a non-negative integer.
    ///
    /// # Errors
    /// [`GmmError::DataFile`] naming the line of the first label that is not one.
    pub fn indices(&self) -> Result<Vec<usize>> {
        self.raw
            .iter()
            .zip(&self.lines)
            .map(|(l, &line)| {
                l.parse::<usize>().map_err(|_| {
                    data_error(
                        &self.source,
                        line,
                        1,
                        format!("{l:?} is not a component index: use integers 0, 1, ..., K-1"),
                    )
                })
            })
            .collect()
    }
}

/// Reads a labels file with one label per line for `n_points` points: see [`parse_labels`].
///
/// # Errors
/// [`GmmError::Io`] when the file cannot be opened, is not a regular file or is larger
/// than `gmm_core::MAX_SIDE_FILE_BYTES` (`gmm_core::read_side_file`); as [`parse_labels`].
pub fn read_labels_file(path: &Path, n_points: usize) -> Result<LabelsFile> {
    let bytes = gmm_core::read_side_file(path, "the labels file")?;
    parse_labels(&bytes[..], &path.display().to_string(), n_points)
}

/// Parses labels, one per line, for `n_points` points; `source` names the input in errors.
///
/// The first line is a header, and skipped, when it is not an integer while all the other
/// labels are, or when the file has exactly `n_points + 1` labels.
///
/// ```
/// use gmm_io::parse_labels;
/// let labels = parse_labels("species\nsetosa\nvirginica\nsetosa\n".as_bytes(), "inline", 3)?;
/// assert_eq!(labels.classes(), vec![0, 1, 0]);
/// # Ok::<(), gmm_core::GmmError>(())
/// ```
///
/// # Errors
/// [`GmmError::DataFile`] for a line with more than one column or an unreadable line;
/// [`GmmError::ShapeMismatch`] when the number of labels is not `n_points`.
pub fn parse_labels<R: Read>(reader: R, source: &str, n_points: usize) -> Result<LabelsFile> {
    let mut raw = Vec::new();
    let mut lines = Vec::new();
    for (index, record) in csv_reader(reader).records().enumerate() {
        let record = record.map_err(|e| read_error(source, index + 1, &e, "unreadable line"))?;
        let line = record.position().map_or(index + 1, |p| p.line() as usize);
        if record.iter().all(str::is_empty) {
            continue;
        }
        if record.len() != 1 {
            return Err(data_error(
                source,
                line,
                2,
                format!(
                    "{} columns: a labels file holds one label per line",
                    record.len()
                ),
            ));
        }
        raw.push(record[0].to_string());
        lines.push(line);
    }
    let is_int = |s: &String| s.parse::<usize>().is_ok();
    let header = !raw.is_empty()
        && (raw.len() == n_points + 1 || (!is_int(&raw[0]) && raw[1..].iter().all(is_int)));
    if header {
        raw.remove(0);
        lines.remove(0);
    }
    if raw.len() != n_points {
        return Err(GmmError::ShapeMismatch {
            what: format!("{source}: number of labels against the number of points in the data"),
            expected: n_points,
            found: raw.len(),
        });
    }
    Ok(LabelsFile {
        raw,
        lines,
        source: source.to_string(),
    })
}

/// Reads K x D means from a data file (one mean per row, as [`read_data_file`]).
///
/// # Errors
/// As [`read_data_file`]; [`GmmError::Io`] when the file is not a regular file or is
/// larger than `gmm_core::MAX_SIDE_FILE_BYTES` (`gmm_core::read_side_file`).
pub fn read_means_file(path: &Path) -> Result<nalgebra::DMatrix<f64>> {
    let bytes = gmm_core::read_side_file(path, "a matrix file (means, covariance prior)")?;
    Ok(parse_data(&bytes[..], &path.display().to_string())?
        .data
        .to_matrix())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rows_to_csv;

    fn err_at(text: &str) -> (usize, usize, String) {
        match parse_data(text.as_bytes(), "t.csv") {
            Err(GmmError::DataFile {
                line,
                column,
                reason,
                ..
            }) => (line, column, reason),
            other => panic!("expected a DataFile error for {text:?}, got {other:?}"),
        }
    }

    #[test]
    fn header_is_recognised_and_values_are_exact() {
        let t = parse_data("a, b\n0.1,2\n-3e-5,4\n\n".as_bytes(), "t").unwrap();
        assert_eq!(
            t.column_names.as_deref(),
            Some(&["a".into(), "b".into()][..])
        );
        assert_eq!(t.data.as_slice(), &[0.1, 2.0, -3e-5, 4.0]);
        assert_eq!(t.column_name(1), "b");
        let t = parse_data("1\n2\n".as_bytes(), "t").unwrap();
        assert_eq!(t.column_names, None);
        assert_eq!(t.column_name(0), "x1");
        assert_eq!(t.data.n_features(), 1);
    }

    #[test]
    fn every_bad_cell_is_located() {
        assert_eq!(err_at("x,y\n1,2\n3,abc\n").0, 3);
        assert_eq!(err_at("x,y\n1,2\n3,abc\n").1, 2);
        let (line, col, reason) = err_at("1,2\n3,\n");
        assert_eq!((line, col), (2, 2));
        assert!(reason.contains("empty"), "{reason}");
        let (line, col, reason) = err_at("1,2\nNaN,1\n");
        assert_eq!((line, col), (2, 1));
        assert!(reason.contains("--missing marginalise"), "{reason}");
        let (line, col, reason) = err_at("1,2\n-inf,1\n");
        assert_eq!((line, col), (2, 1));
        assert!(reason.contains("not finite"), "{reason}");
        let (line, col, reason) = err_at("1,2\n3,4,5\n");
        assert_eq!((line, col), (2, 0));
        assert!(reason.contains("same number of columns"), "{reason}");
        let (line, _, reason) = err_at("x,y\n");
        assert_eq!(line, 1);
        assert!(reason.contains("no data rows"), "{reason}");
        let (line, _, _) = err_at("");
        assert_eq!(line, 1);
        // a half-numeric first row is not a header: it is an error with a hint
        let (line, col, reason) = err_at("x,2\n1,2\n");
        assert_eq!((line, col), (1, 1));
        assert!(reason.contains("header"), "{reason}");
    }

    #[test]
    fn a_line_longer_than_the_limit_is_refused_before_it_is_held() {
        let text = format!("1,2\n3,4\n{}7,8\n5,6\n", " ".repeat(1100));
        let mut rows = CsvRows::with_line_limit(text.as_bytes(), "t.csv", 1000);
        // (the reader reads ahead: the error can come with an earlier row)
        let result = loop {
            match rows.next_row() {
                Ok(Some(_)) => continue,
                other => break other,
            }
        };
        match result {
            Err(GmmError::DataFile { line, reason, .. }) => {
                assert_eq!(line, 3);
                assert!(
                    reason.contains("line 3 is longer than 1000 bytes"),
                    "{reason}"
                );
                assert!(reason.contains(".npy or Parquet"), "{reason}");
            }
            other => panic!("expected DataFile, got {other:?}"),
        }
        // the record never held the whole line
        assert!(rows.record.as_slice().len() <= 1000 + 8192);
        // lines up to the limit are read
        let mut rows = CsvRows::with_line_limit(text.as_bytes(), "t.csv", 1200);
        let mut n = 0;
        while rows.next_row().unwrap().is_some() {
            n += 1;
        }
        assert_eq!(n, 4);
    }

    #[test]
    fn missing_file_names_the_path() {
        let e = read_data_file(Path::new("/no/such/file.csv")).unwrap_err();
        assert!(matches!(e, GmmError::Io { .. }));
        assert!(e.to_string().contains("/no/such/file.csv"));
    }

    #[test]
    fn labels_with_and_without_header() {
        let l = parse_labels("label\n0\n2\n1\n".as_bytes(), "l", 3).unwrap();
        assert_eq!(l.indices().unwrap(), vec![0, 2, 1]);
        let l = parse_labels("1\n0\n1\n".as_bytes(), "l", 3).unwrap();
        assert_eq!(l.indices().unwrap(), vec![1, 0, 1]);
        assert_eq!(l.classes(), vec![0, 1, 0]);
        let l = parse_labels("b\na\nb\n".as_bytes(), "l", 3).unwrap();
        assert_eq!(l.classes(), vec![0, 1, 0]);
        match l.indices() {
            Err(GmmError::DataFile { line, .. }) => assert_eq!(line, 1),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            parse_labels("0\n1\n".as_bytes(), "l", 3),
            Err(GmmError::ShapeMismatch {
                expected: 3,
                found: 2,
                ..
            })
        ));
        assert!(matches!(
            parse_labels("0,1\n1,1\n".as_bytes(), "l", 2),
            Err(GmmError::DataFile { line: 1, .. })
        ));
    }

    #[test]
    fn csv_output_reads_back_exactly() {
        let rows = [vec![0.1, 1.0 / 3.0], vec![-1e300, 2.5e-310]];
        let text = rows_to_csv(&["a".into(), "b".into()], rows.iter().map(|r| r.as_slice()));
        let back = parse_data(text.as_bytes(), "t").unwrap();
        assert_eq!(back.data.as_slice(), &[0.1, 1.0 / 3.0, -1e300, 2.5e-310]);
    }
}
