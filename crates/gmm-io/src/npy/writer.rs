//! Writing a NumPy `.npy` file row block by row block (bounded memory), atomically.

use std::io::Write;
use std::path::Path;

use gmm_core::{GmmError, Result};

use super::header::{NpyDtype, header_bytes};
use crate::atomic_stream::AtomicWriter;

/// A `.npy` file of N x D little-endian floats, C order, written in blocks of rows as they
/// are produced; it appears at its path only when [`NpyWriter::finish`] has checked that
/// exactly N rows were written (see [`AtomicWriter`]).
pub struct NpyWriter {
    out: AtomicWriter,
    dtype: NpyDtype,
    n_rows: u64,
    n_columns: usize,
    rows_written: u64,
    bytes: Vec<u8>,
}

impl NpyWriter {
    /// Starts `path` for `n_rows` rows of `n_columns` values of `dtype`.
    ///
    /// # Errors
    /// [`GmmError::Io`] when the file cannot be created; [`GmmError::ZeroFeatures`] for no
    /// columns.
    pub fn create(path: &Path, n_rows: u64, n_columns: usize, dtype: NpyDtype) -> Result<Self> {
        if n_columns == 0 {
            return Err(GmmError::ZeroFeatures);
        }
        let mut out = AtomicWriter::create(path)?;
        write(&mut out, &header_bytes(dtype, n_rows, n_columns as u64))?;
        Ok(Self {
            out,
            dtype,
            n_rows,
            n_columns,
            rows_written: 0,
            bytes: Vec::new(),
        })
    }

    /// Appends whole rows (row-major, `n_columns` values each; f32 files round each value to
    /// the nearest f32).
    ///
    /// # Errors
    /// [`GmmError::ShapeMismatch`] when `rows` is not whole rows or goes past N rows;
    /// [`GmmError::Io`] when writing fails.
    pub fn write_rows(&mut self, rows: &[f64]) -> Result<()> {
        let n = (rows.len() / self.n_columns) as u64;
        if !rows.len().is_multiple_of(self.n_columns) || self.rows_written + n > self.n_rows {
            return Err(GmmError::ShapeMismatch {
                what: format!(
                    "{}: values written against the {} rows of {} columns promised",
                    self.out.path().display(),
                    self.n_rows,
                    self.n_columns
                ),
                expected: (self.n_rows - self.rows_written) as usize * self.n_columns,
                found: rows.len(),
            });
        }
        self.bytes.clear();
        match self.dtype {
            NpyDtype::F64 => rows
                .iter()
                .for_each(|v| self.bytes.extend_from_slice(&v.to_le_bytes())),
            NpyDtype::F32 => rows
                .iter()
                .for_each(|v| self.bytes.extend_from_slice(&(*v as f32).to_le_bytes())),
        }
        write(&mut self.out, &self.bytes)?;
        self.rows_written += n;
        Ok(())
    }

    /// Checks that N rows were written and moves the file into place.
    ///
    /// # Errors
    /// [`GmmError::ShapeMismatch`] when fewer rows were written (nothing is left at the
    /// path); [`GmmError::Io`] when writing fails.
    pub fn finish(self) -> Result<()> {
        if self.rows_written != self.n_rows {
            return Err(GmmError::ShapeMismatch {
                what: format!("{}: rows written", self.out.path().display()),
                expected: self.n_rows as usize,
                found: self.rows_written as usize,
            });
        }
        self.out.commit()
    }
}

fn write(out: &mut AtomicWriter, bytes: &[u8]) -> Result<()> {
    out.write_all(bytes).map_err(|e| GmmError::Io {
        path: out.path().display().to_string(),
        reason: format!("cannot write the file ({e})"),
    })
}
