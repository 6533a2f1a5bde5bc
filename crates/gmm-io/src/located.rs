//! A data file's source whose errors name the file and count from 1.
//!
//! [`gmm_core::Passes`] checks every batch as it passes (finite values, weights finite and
//! `>= 0`) and names what it finds by a row of the pass counted from 0, which is right for
//! data in memory and wrong for a file: a user looks for the file, its row counted from 1,
//! and (for a .npy file) its column counted from 1. [`InFile`] wraps the source of a data
//! file and puts those errors in the file's terms, and says when a pass found no points or
//! no point of positive weight in the file itself. A CSV file's reader already names lines
//! (counted from 1, with the header) as it parses; the errors it returns pass unchanged.

use std::path::Path;

use gmm_core::{Batch, DataSource, Dataset, GmmError, MissingPolicy, Result};

use crate::missing_cells::READ_AS_MISSING;

/// The source of the data file at `path`, whose validation errors name the file.
pub(crate) struct InFile {
    inner: Box<dyn DataSource>,
    path: String,
}

impl InFile {
    /// `inner`, the reader of the file at `path`, with errors in the file's terms.
    pub(crate) fn new(inner: Box<dyn DataSource>, path: &Path) -> Self {
        Self {
            inner,
            path: path.display().to_string(),
        }
    }

    /// `e`, an error of a pass over the file, with the file named and rows counted from 1.
    fn located(&self, e: GmmError) -> GmmError {
        let place = |row: usize, what: String| GmmError::BinaryFile {
            path: self.path.clone(),
            place: format!("data row {}", row + 1),
            reason: what,
        };
        match e {
            GmmError::NonFinite { row, column, value } if value.is_nan() => place(
                row,
                format!(
                    "the value in column {} is NaN (a missing value): {READ_AS_MISSING}",
                    column + 1
                ),
            ),
            GmmError::NonFinite { row, column, value } => place(
                row,
                format!(
                    "the value in column {} is {value}, not a finite number: remove or impute \
                     non-finite values (NaN, inf) before fitting",
                    column + 1
                ),
            ),
            GmmError::AllMissingRow { row } => place(
                row,
                "every value is missing: a point needs at least one observed value; remove \
                 the row"
                    .into(),
            ),
            GmmError::InvalidSampleWeight { row, value } => place(
                row,
                format!(
                    "the weight is {value}: weights must be finite and >= 0 (a weight counts \
                     the point that many times; 0 drops it)"
                ),
            ),
            other => other,
        }
    }
}

impl DataSource for InFile {
    fn n_features(&self) -> usize {
        self.inner.n_features()
    }

    fn has_weights(&self) -> bool {
        self.inner.has_weights()
    }

    fn for_each_batch(
        &mut self,
        batch_rows: usize,
        visit: &mut dyn FnMut(Batch<'_>) -> Result<()>,
    ) -> Result<()> {
        let mut rows = 0usize;
        let mut positive_weight = false;
        let d = self.inner.n_features().max(1);
        let result = self.inner.for_each_batch(batch_rows, &mut |batch| {
            rows += batch.n_rows(d);
            if let Some(w) = batch.weights {
                positive_weight |= w.iter().any(|&x| x > 0.0);
            }
            visit(batch)
        });
        result.map_err(|e| self.located(e))?;
        if rows == 0 {
            return Err(GmmError::BinaryFile {
                path: self.path.clone(),
                place: "data".into(),
                reason: "the file holds no points (no data rows): give a file with at least \
                         one row"
                    .into(),
            });
        }
        if self.inner.has_weights() && !positive_weight {
            return Err(GmmError::BinaryFile {
                path: self.path.clone(),
                place: "weights".into(),
                reason: format!(
                    "all {rows} weights are zero: give at least one point a positive weight"
                ),
            });
        }
        Ok(())
    }

    fn in_memory(&self) -> Option<&Dataset> {
        self.inner.in_memory()
    }

    fn unchanging(&self) -> bool {
        self.inner.unchanging()
    }

    fn missing_policy(&self) -> MissingPolicy {
        self.inner.missing_policy()
    }
}
