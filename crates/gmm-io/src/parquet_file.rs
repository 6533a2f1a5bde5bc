//! A Parquet file read as a stream of batches, pass after pass, record batch by record batch
//! (the arrow-rs `parquet` crate): numeric columns chosen by name, cast to f64.

use std::path::{Path, PathBuf};

use arrow_array::{Array, ArrayRef, Float64Array, RecordBatch};
use arrow_schema::DataType;
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::{ParquetRecordBatchReader, ParquetRecordBatchReaderBuilder};

use gmm_core::{Batch, DataSource, GmmError, MissingPolicy, Result};

use crate::missing_cells::{READ_AS_MISSING, missing_value};

use crate::batcher::{Batcher, rows_within_buffer};
use crate::columns::{ColumnSelection, resolve};
use crate::file_stamp::{FileStamp, open};

/// A Parquet file read as a [`DataSource`]: its numeric columns (integers, floats,
/// decimals; all of them by default, or those named, in the order named) cast to f64, and
/// optionally a weight column. Each pass opens the file again and reads it in record
/// batches of at most the batch size asked for, row group after row group, so the memory
/// held is one batch (and the pages being decoded), whatever the file's size.
///
/// A null is an error naming the file, the row group, the row and the column; so is a
/// column that is missing (the message lists the file's columns) or not numeric.
///
/// ```
/// use std::sync::Arc;
/// use arrow_array::{Float64Array, Int32Array, RecordBatch};
/// use arrow_schema::{DataType, Field, Schema};
/// use gmm_core::{DataSource, Passes};
/// use gmm_io::{ColumnSelection, ParquetFile};
///
/// let dir = std::env::temp_dir().join(format!("gmm-io-parquet-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&dir).unwrap();
/// let path = dir.join("points.parquet");
/// let schema = Arc::new(Schema::new(vec![
///     Field::new("x", DataType::Float64, false),
///     Field::new("n", DataType::Int32, false),
/// ]));
/// let batch = RecordBatch::try_new(schema.clone(), vec![
///     Arc::new(Float64Array::from(vec![0.5, 1.5])),
///     Arc::new(Int32Array::from(vec![3, 1])),
/// ]).unwrap();
/// let mut writer =
///     parquet::arrow::ArrowWriter::try_new(std::fs::File::create(&path).unwrap(), schema, None).unwrap();
/// writer.write(&batch).unwrap();
/// writer.close().unwrap();
///
/// let selection = ColumnSelection {
///     weight_column: Some("n".into()),
///     ..ColumnSelection::all()
/// };
/// let mut file = ParquetFile::open(&path, &selection)?;
/// assert_eq!(file.column_names(), vec!["x".to_string()]);
/// assert_eq!(Passes::new(&mut file).summary()?.total_weight, 4.0);
/// # std::fs::remove_dir_all(&dir).unwrap();
/// # Ok::<(), gmm_core::GmmError>(())
/// ```
#[derive(Debug)]
pub struct ParquetFile {
    path: PathBuf,
    stamp: FileStamp,
    names: Vec<String>,
    columns: Vec<usize>,
    weight: Option<usize>,
    /// The first row of each row group, and the number of rows after the last.
    row_group_starts: Vec<u64>,
    /// What a null in a point column reads as.
    missing: MissingPolicy,
}

impl ParquetFile {
    /// Opens `path`, reads its footer and resolves the columns of `selection`.
    ///
    /// # Errors
    /// [`GmmError::Io`] when the file cannot be opened; [`GmmError::BinaryFile`] when it is
    /// not a readable Parquet file; [`GmmError::InvalidParameter`] (`columns`,
    /// `weight_column`) for a missing or non-numeric column, naming it and listing the
    /// file's columns; [`GmmError::BinaryFile`] for a file without rows.
    pub fn open(path: &Path, selection: &ColumnSelection) -> Result<Self> {
        crate::file_stamp::refuse_read_once(path, "a Parquet file")?;
        let shown = path.display().to_string();
        let file = open(path)?;
        let stamp = FileStamp::of(&file, path)?;
        let builder = ParquetRecordBatchReaderBuilder::try_new(file).map_err(|e| {
            bad_file(
                &shown,
                "footer",
                format!("not a readable Parquet file ({e})"),
            )
        })?;
        let schema = builder.schema().clone();
        let names: Vec<String> = schema.fields().iter().map(|f| f.name().clone()).collect();
        let usable = |j: usize| {
            let t = schema.field(j).data_type();
            if t.is_numeric() {
                Ok(())
            } else {
                Err(format!("holds {t}, not numbers"))
            }
        };
        let (columns, weight) = resolve(selection, &names, &usable, &shown)?;
        let mut row_group_starts = vec![0u64];
        for (i, g) in builder.metadata().row_groups().iter().enumerate() {
            let last = *row_group_starts.last().expect("starts at 0");
            // a damaged footer can claim row counts whose sum passes what any file holds
            // (and overflows the decoder's own sum): refused here, before any decoding
            // and a negative count (which the decoder takes as a huge unsigned one)
            let next = u64::try_from(g.num_rows())
                .ok()
                .and_then(|rows| last.checked_add(rows))
                .filter(|&n| n <= i64::MAX as u64 && usize::try_from(n).is_ok());
            let Some(next) = next else {
                return Err(bad_file(
                    &path.display().to_string(),
                    "metadata",
                    format!(
                        "row group {i} claims {} rows, negative or beyond any file's size: \
                         the file is damaged; write it again",
                        g.num_rows()
                    ),
                ));
            };
            row_group_starts.push(next);
        }
        // the page reader of the arrow-rs crates panics on some damaged files too
        std::panic::catch_unwind(|| check_dictionary_pages(path, &shown)).unwrap_or_else(
            |payload| {
                Err(bad_file(
                    &shown,
                    "pages",
                    format!(
                        "cannot read the page headers (the Parquet reader failed: {}): the \
                         file is damaged; write it again",
                        panic_message(payload.as_ref())
                    ),
                ))
            },
        )?;
        if row_group_starts.last() == Some(&0) {
            return Err(bad_file(
                &path.display().to_string(),
                "metadata",
                "the file has no rows: it holds no points; give a file with at least one row"
                    .into(),
            ));
        }
        Ok(Self {
            path: path.to_path_buf(),
            stamp,
            names,
            columns,
            weight,
            row_group_starts,
            missing: MissingPolicy::Refuse,
        })
    }

    /// The names of the point columns read, in order.
    pub fn column_names(&self) -> Vec<String> {
        self.columns
            .iter()
            .map(|&j| self.names[j].clone())
            .collect()
    }

    /// Number of rows in the file.
    pub fn n_rows(&self) -> u64 {
        *self.row_group_starts.last().expect("starts at 0")
    }

    /// "row group G, row R (row N of the file)" for row `row` of the file.
    fn place_of_row(&self, row: u64) -> String {
        let g = self
            .row_group_starts
            .partition_point(|&s| s <= row)
            .saturating_sub(1);
        format!(
            "row group {g}, row {} (row {row} of the file)",
            row - self.row_group_starts[g]
        )
    }

    /// A reader of the chosen columns in record batches of `batch_rows` rows.
    fn reader(&self, batch_rows: usize) -> Result<(ParquetRecordBatchReader, Vec<usize>)> {
        let shown = self.path.display().to_string();
        let file = self.stamp.reopen(&self.path)?;
        let builder = ParquetRecordBatchReaderBuilder::try_new(file).map_err(|e| {
            bad_file(
                &shown,
                "footer",
                format!("not a readable Parquet file ({e})"),
            )
        })?;
        let mut read: Vec<usize> = self.columns.iter().copied().chain(self.weight).collect();
        read.sort_unstable();
        let mask = ProjectionMask::roots(builder.parquet_schema(), read.iter().copied());
        // the decoder allocates record batches of the size asked for: no more rows than the
        // file has, nor than fit in the buffer budget (the batcher joins them into batches)
        let decode_rows = batch_rows
            .min(rows_within_buffer(read.len()))
            .min(usize::try_from(self.n_rows()).unwrap_or(usize::MAX))
            .max(1);
        let reader = builder
            .with_projection(mask)
            .with_batch_size(decode_rows)
            .build()
            .map_err(|e| bad_file(&shown, "footer", format!("cannot read the file ({e})")))?;
        Ok((reader, read))
    }

    /// The same file with the nulls of its point columns read by `policy`: NaN (missing
    /// values) under [`MissingPolicy::Marginalise`], an error naming the option under
    /// [`MissingPolicy::Refuse`] (the default). A weight is never missing.
    pub fn with_missing(mut self, policy: MissingPolicy) -> Self {
        self.missing = policy;
        self
    }

    /// Column `j` of the file in `batch` (whose columns are `read`, in order) as f64, a
    /// null read by `missing` (an error naming the first null when refused); `first_row`
    /// is the batch's first row in the file.
    fn column_f64(
        &self,
        batch: &RecordBatch,
        read: &[usize],
        j: usize,
        first_row: u64,
        missing: MissingPolicy,
    ) -> Result<Float64Array> {
        let position = read
            .binary_search(&j)
            .expect("every column read is projected");
        let array: &ArrayRef = batch.column(position);
        let cast = arrow_cast::cast(array, &DataType::Float64).map_err(|e| {
            bad_file(
                &self.path.display().to_string(),
                &format!(
                    "{}, column {:?}",
                    self.place_of_row(first_row),
                    self.names[j]
                ),
                format!("cannot convert the column to f64 ({e})"),
            )
        })?;
        let values = cast
            .as_any()
            .downcast_ref::<Float64Array>()
            .expect("a cast to Float64 gives a Float64Array")
            .clone();
        if values.null_count() > 0 {
            if let Some(fill) = missing_value(missing) {
                return Ok(values.iter().map(|v| Some(v.unwrap_or(fill))).collect());
            }
            let i = (0..values.len()).find(|&i| values.is_null(i)).unwrap_or(0);
            return Err(bad_file(
                &self.path.display().to_string(),
                &format!(
                    "{}, column {:?}",
                    self.place_of_row(first_row + i as u64),
                    self.names[j]
                ),
                if self.weight == Some(j) {
                    "the weight is null (missing): give every point a weight".into()
                } else {
                    format!("the value is null (missing): {READ_AS_MISSING}")
                },
            ));
        }
        Ok(values)
    }
}

/// The message of a caught panic (a `&str` or a `String`), or "a panic".
fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic".into())
}

/// Refuses a file whose dictionary pages claim more values than they hold: the decoder
/// sizes a dictionary by the count its page header claims before it reads the values (a
/// 1.5 KB file claiming 845 million Int64 values had it allocate 6.8 GB: the `parquet` fuzz
/// target's fourth finding). A dictionary page of a fixed-width type (INT32, INT64, FLOAT,
/// DOUBLE) holds its values PLAIN-encoded, `count x width` bytes, so a count beyond the
/// page's bytes is a damaged file. Reads the first page header of every column chunk, and
/// the page itself when it is a dictionary page (small); data pages are not read.
fn check_dictionary_pages(path: &Path, shown: &str) -> Result<()> {
    use parquet::basic::Type as PhysicalType;
    use parquet::column::page::Page;
    use parquet::file::reader::{FileReader, SerializedFileReader};
    let damaged = |place: String, e: String| {
        bad_file(
            shown,
            &place,
            format!("{e}: the file is damaged; write it again"),
        )
    };
    let reader = SerializedFileReader::new(open(path)?).map_err(|e| {
        damaged(
            "footer".into(),
            format!("not a readable Parquet file ({e})"),
        )
    })?;
    for g in 0..reader.num_row_groups() {
        let group = reader
            .get_row_group(g)
            .map_err(|e| damaged(format!("row group {g}"), format!("cannot read it ({e})")))?;
        for c in 0..group.num_columns() {
            let width = match group.metadata().column(c).column_type() {
                PhysicalType::INT32 | PhysicalType::FLOAT => 4,
                PhysicalType::INT64 | PhysicalType::DOUBLE => 8,
                _ => continue,
            };
            let place = || format!("row group {g}, column {}", c + 1);
            // the reader asserts these (a panic on a damaged footer): refused first
            let chunk = group.metadata().column(c);
            let start = chunk
                .dictionary_page_offset()
                .unwrap_or(chunk.data_page_offset());
            if start < 0 || chunk.compressed_size() < 0 {
                return Err(damaged(
                    place(),
                    format!(
                        "the column chunk starts at byte {start} and is {} bytes long",
                        chunk.compressed_size()
                    ),
                ));
            }
            let mut pages = group
                .get_column_page_reader(c)
                .map_err(|e| damaged(place(), format!("cannot read its pages ({e})")))?;
            // only a dictionary page is read whole (a data page is left unread)
            let is_dict = pages.peek_next_page().map(|m| m.is_some_and(|m| m.is_dict));
            if !matches!(is_dict, Ok(true)) {
                continue;
            }
            let first = pages
                .get_next_page()
                .map_err(|e| damaged(place(), format!("cannot read its first page ({e})")))?;
            if let Some(Page::DictionaryPage {
                buf, num_values, ..
            }) = first
                && u64::from(num_values) * width > buf.len() as u64
            {
                return Err(damaged(
                    place(),
                    format!(
                        "the dictionary page claims {num_values} values but holds {} bytes",
                        buf.len()
                    ),
                ));
            }
        }
    }
    Ok(())
}

fn bad_file(path: &str, place: &str, reason: String) -> GmmError {
    GmmError::BinaryFile {
        path: path.into(),
        place: place.into(),
        reason,
    }
}

impl DataSource for ParquetFile {
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
        let batch_rows = batch_rows.max(1);
        let (reader, read) = self.reader(batch_rows)?;
        let mut batcher = Batcher::new(self.columns.len(), batch_rows, self.weight.is_some());
        let mut first_row = 0u64;
        let mut reader = reader;
        loop {
            // the arrow-rs decoder panics on some damaged files (a dictionary-encoded page
            // without a dictionary page: "Decoder for dict should have been set"); a damaged
            // file is an error naming it, never a panic of the caller
            let next = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| reader.next()));
            let record_batch = match next {
                Ok(None) => break,
                Ok(Some(record_batch)) => record_batch.map_err(|e| {
                    bad_file(
                        &self.path.display().to_string(),
                        &self.place_of_row(first_row),
                        format!("cannot decode the data ({e})"),
                    )
                })?,
                Err(payload) => {
                    return Err(bad_file(
                        &self.path.display().to_string(),
                        &self.place_of_row(first_row),
                        format!(
                            "cannot decode the data (the Parquet decoder failed: {}): the \
                             file is damaged; write it again",
                            panic_message(payload.as_ref())
                        ),
                    ));
                }
            };
            let columns = self
                .columns
                .iter()
                .map(|&j| self.column_f64(&record_batch, &read, j, first_row, self.missing))
                .collect::<Result<Vec<_>>>()?;
            let weights = match self.weight {
                Some(j) => {
                    let refuse = MissingPolicy::Refuse;
                    Some(self.column_f64(&record_batch, &read, j, first_row, refuse)?)
                }
                None => None,
            };
            for r in 0..record_batch.num_rows() {
                batcher.reserve_row();
                batcher
                    .points_mut()
                    .extend(columns.iter().map(|c| c.value(r)));
                if let Some(w) = &weights {
                    batcher.weights_mut().push(w.value(r));
                }
                batcher.rows_added(visit)?;
            }
            first_row += record_batch.num_rows() as u64;
        }
        // the decoder may end early on a damaged file: fewer rows than the metadata (which
        // sized the read and names the places) promise are an error, not a shorter data set
        if first_row != self.n_rows() {
            return Err(bad_file(
                &self.path.display().to_string(),
                &self.place_of_row(first_row.min(self.n_rows().saturating_sub(1))),
                format!(
                    "the metadata promise {} rows but the data hold {first_row}: the file is \
                     damaged; write it again",
                    self.n_rows()
                ),
            ));
        }
        batcher.flush(visit)
    }

    fn missing_policy(&self) -> MissingPolicy {
        self.missing
    }
}
