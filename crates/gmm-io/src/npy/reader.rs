//! A NumPy `.npy` file read as a stream of batches, pass after pass, through one reused
//! buffer: the memory held is one batch whatever the file's size.

use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use gmm_core::{Batch, DataSource, GmmError, MissingPolicy, Points, Precision, Result};

use super::header::{NpyDtype, NpyHeader, read_header};
use crate::file_stamp::{FileStamp, open};

/// A NumPy `.npy` file of 64- or 32-bit floats (`<f8`, `<f4`; big-endian too), C order, 2-D
/// (one point per row) or 1-D (one value per point), read as a [`DataSource`]: each pass
/// reads the file from the start into one reused buffer of a batch, so a file larger than
/// memory can be fitted. 32-bit values are widened to f64 exactly. The file is checked when
/// opened (header, dtype, order, length against the shape) and again at the start of every
/// pass (a file whose length or modification time changed is an error).
///
/// ```
/// use gmm_core::{DataSource, Passes};
/// let dir = std::env::temp_dir().join(format!("gmm-io-npy-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&dir).unwrap();
/// let path = dir.join("points.npy");
/// let mut w = gmm_io::NpyWriter::create(&path, 3, 2, gmm_io::NpyDtype::F64)?;
/// w.write_rows(&[0.0, 1.0, 2.0, 3.0, 4.0, 5.0])?;
/// w.finish()?;
///
/// let mut npy = gmm_io::NpyFile::open(&path)?;
/// assert_eq!((npy.n_rows(), npy.n_features()), (3, 2));
/// let summary = Passes::new(&mut npy).summary()?;
/// assert_eq!(summary.column_high, vec![4.0, 5.0]);
/// # std::fs::remove_dir_all(&dir).unwrap();
/// # Ok::<(), gmm_core::GmmError>(())
/// ```
#[derive(Debug)]
pub struct NpyFile {
    path: PathBuf,
    header: NpyHeader,
    stamp: FileStamp,
    n_features: usize,
    n_rows: usize,
    bytes: Vec<u8>,
    /// The precision of the batches handed out.
    precision: Precision,
    /// What a NaN in the file means.
    missing: MissingPolicy,
}

impl NpyFile {
    /// Opens `path` and checks its header and length.
    ///
    /// # Errors
    /// [`GmmError::Io`] when the file cannot be opened; [`GmmError::BinaryFile`] naming the
    /// file for a bad header, a dtype other than f8/f4 (named), Fortran order, more than 2
    /// dimensions, a length that does not match the shape (truncated or with extra bytes),
    /// or an empty array (no rows or no columns).
    pub fn open(path: &Path) -> Result<Self> {
        crate::file_stamp::refuse_read_once(path, "a .npy file")?;
        let shown = path.display().to_string();
        let mut file = open(path)?;
        let stamp = FileStamp::of(&file, path)?;
        let header = read_header(&mut file, &shown)?;
        let (n_rows, n_features) = checked_shape(&header, stamp.len(), &shown)?;
        Ok(Self {
            path: path.to_path_buf(),
            header,
            stamp,
            n_features,
            n_rows,
            bytes: Vec::new(),
            precision: Precision::F64,
            missing: MissingPolicy::Refuse,
        })
    }

    /// The same file handing out its points in `precision`: [`Precision::F64`] (the default;
    /// an `<f4` file widened exactly) or [`Precision::F32`] (an `<f4` file as it is, an `<f8`
    /// file rounded to nearest), for a fit whose E-step runs in `f32` lanes.
    pub fn with_precision(mut self, precision: Precision) -> Self {
        self.precision = precision;
        self
    }

    /// The same file with its NaN values read by `policy`: missing values under
    /// [`MissingPolicy::Marginalise`], an error naming the option under
    /// [`MissingPolicy::Refuse`] (the default).
    pub fn with_missing(mut self, policy: MissingPolicy) -> Self {
        self.missing = policy;
        self
    }

    /// Number of rows (points) N.
    pub fn n_rows(&self) -> usize {
        self.n_rows
    }

    /// The type of the values in the file.
    pub fn dtype(&self) -> NpyDtype {
        self.header.dtype
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Reads `rows` rows from `reader` (positioned at row `first_row`) into `points`.
    fn read_rows(
        &mut self,
        reader: &mut impl Read,
        first_row: usize,
        rows: usize,
        points: &mut Vec<impl NpyValue>,
    ) -> Result<()> {
        let size = self.header.dtype.size();
        let want = rows * self.n_features * size;
        self.bytes.resize(want, 0);
        reader.read_exact(&mut self.bytes).map_err(|e| {
            let offset = self.header.data_offset + (first_row * self.n_features * size) as u64;
            GmmError::BinaryFile {
                path: self.path.display().to_string(),
                place: format!("byte {offset}, row {first_row}"),
                reason: format!(
                    "cannot read rows {first_row}..{} ({e}): the file was truncated while \
                     being read",
                    first_row + rows
                ),
            }
        })?;
        points.clear();
        decode(
            &self.bytes,
            self.header.dtype,
            self.header.big_endian,
            points,
        );
        Ok(())
    }
}

/// N and D of the header, checked against the file's length.
fn checked_shape(header: &NpyHeader, file_len: u64, path: &str) -> Result<(usize, usize)> {
    if header.n_columns == 0 || header.n_rows == 0 {
        return Err(GmmError::BinaryFile {
            path: path.into(),
            place: "header".into(),
            reason: format!(
                "the array has shape ({}, {}): it holds no points; give an array with at \
                 least one row and one column",
                header.n_rows, header.n_columns
            ),
        });
    }
    let size = header.dtype.size() as u64;
    let too_big = || GmmError::BinaryFile {
        path: path.into(),
        place: "header".into(),
        reason: format!(
            "the shape ({}, {}) is too large to address: the file is damaged",
            header.n_rows, header.n_columns
        ),
    };
    let data_len = header
        .n_rows
        .checked_mul(header.n_columns)
        .and_then(|v| v.checked_mul(size))
        .ok_or_else(too_big)?;
    let have = file_len.saturating_sub(header.data_offset);
    if have != data_len {
        let row_bytes = header.n_columns * size;
        let reason = if have < data_len {
            format!(
                "the header promises {} rows of {} values ({data_len} bytes of data) but the \
                 file holds {have} bytes after the header ({} whole rows): it is truncated; \
                 write it again",
                header.n_rows,
                header.n_columns,
                have / row_bytes
            )
        } else {
            format!(
                "the file holds {} bytes more than the header's {} rows of {} values: it is \
                 damaged; write it again",
                have - data_len,
                header.n_rows,
                header.n_columns
            )
        };
        return Err(GmmError::BinaryFile {
            path: path.into(),
            place: format!("byte {}", header.data_offset + have.min(data_len)),
            reason,
        });
    }
    let n = usize::try_from(header.n_rows).map_err(|_| too_big())?;
    let d = usize::try_from(header.n_columns).map_err(|_| too_big())?;
    Ok((n, d))
}

/// A type the batches of a `.npy` file are decoded into: `f64` (an `<f4` file widened
/// exactly) or `f32` (an `<f8` file rounded to nearest).
trait NpyValue: Copy {
    fn of_f64(v: f64) -> Self;
    fn of_f32(v: f32) -> Self;
}

impl NpyValue for f64 {
    fn of_f64(v: f64) -> Self {
        v
    }
    fn of_f32(v: f32) -> Self {
        f64::from(v)
    }
}

impl NpyValue for f32 {
    fn of_f64(v: f64) -> Self {
        v as f32
    }
    fn of_f32(v: f32) -> Self {
        v
    }
}

/// Appends the values of `bytes` (of `dtype`, in the given byte order) to `out`.
fn decode<T: NpyValue>(bytes: &[u8], dtype: NpyDtype, big_endian: bool, out: &mut Vec<T>) {
    match (dtype, big_endian) {
        (NpyDtype::F64, false) => out.extend(
            bytes
                .chunks_exact(8)
                .map(|b| T::of_f64(f64::from_le_bytes(b.try_into().expect("8 bytes")))),
        ),
        (NpyDtype::F64, true) => out.extend(
            bytes
                .chunks_exact(8)
                .map(|b| T::of_f64(f64::from_be_bytes(b.try_into().expect("8 bytes")))),
        ),
        (NpyDtype::F32, false) => out.extend(
            bytes
                .chunks_exact(4)
                .map(|b| T::of_f32(f32::from_le_bytes(b.try_into().expect("4 bytes")))),
        ),
        (NpyDtype::F32, true) => out.extend(
            bytes
                .chunks_exact(4)
                .map(|b| T::of_f32(f32::from_be_bytes(b.try_into().expect("4 bytes")))),
        ),
    }
}

impl DataSource for NpyFile {
    fn n_features(&self) -> usize {
        self.n_features
    }

    fn has_weights(&self) -> bool {
        false
    }

    fn for_each_batch(
        &mut self,
        batch_rows: usize,
        visit: &mut dyn FnMut(Batch<'_>) -> Result<()>,
    ) -> Result<()> {
        let batch_rows = batch_rows.max(1);
        let file: File = self.stamp.reopen(&self.path)?;
        let mut reader = BufReader::with_capacity(1 << 16, file);
        reader
            .seek(SeekFrom::Start(self.header.data_offset))
            .map_err(|e| GmmError::Io {
                path: self.path.display().to_string(),
                reason: format!("cannot seek to the data ({e})"),
            })?;
        let capacity = batch_rows.min(self.n_rows) * self.n_features;
        let mut first_row = 0;
        match self.precision {
            Precision::F64 => {
                let mut points = Vec::<f64>::with_capacity(capacity);
                while first_row < self.n_rows {
                    let rows = batch_rows.min(self.n_rows - first_row);
                    self.read_rows(&mut reader, first_row, rows, &mut points)?;
                    visit(Batch {
                        first_row,
                        points: Points::F64(&points),
                        weights: None,
                    })?;
                    first_row += rows;
                }
            }
            Precision::F32 => {
                let mut points = Vec::<f32>::with_capacity(capacity);
                while first_row < self.n_rows {
                    let rows = batch_rows.min(self.n_rows - first_row);
                    self.read_rows(&mut reader, first_row, rows, &mut points)?;
                    visit(Batch {
                        first_row,
                        points: Points::F32(&points),
                        weights: None,
                    })?;
                    first_row += rows;
                }
            }
        }
        Ok(())
    }

    fn missing_policy(&self) -> MissingPolicy {
        self.missing
    }
}
