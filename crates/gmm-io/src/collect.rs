//! Reading a whole source into memory, for the fits and commands that hold their data.

use gmm_core::{DataSource, Dataset, Passes, Result};

/// Every point of `source` (and its weights) in one [`Dataset`], read in one validated pass.
///
/// ```
/// use gmm_core::SliceSource;
/// let values = [1.0, 2.0, 3.0, 4.0];
/// let data = gmm_io::read_all(&mut SliceSource::new(&values, 2)?)?;
/// assert_eq!((data.n_samples(), data.n_features()), (2, 2));
/// # Ok::<(), gmm_core::GmmError>(())
/// ```
///
/// # Errors
/// The source's errors, and those of [`Passes::run`] (a value that is not finite, a bad
/// weight, no points).
pub fn read_all(source: &mut dyn DataSource) -> Result<Dataset> {
    let d = source.n_features();
    let has_weights = source.has_weights();
    let mut values = Vec::new();
    let mut weights = Vec::new();
    // any batch size reads the same values; a small one for wide rows
    let batch_rows = (1 << 14).min(crate::batcher::rows_within_buffer(d));
    let summary = Passes::new(source).run(batch_rows, &mut |batch| {
        values.extend_from_slice(batch.points);
        if let Some(w) = batch.weights {
            weights.extend_from_slice(w);
        }
        Ok(())
    })?;
    let data = Dataset::from_row_major(summary.n_samples, d, values)?;
    if has_weights {
        data.with_weights(weights)
    } else {
        Ok(data)
    }
}
