//! Reading a whole source into memory, for the fits and commands that hold their data.

use gmm_core::{DataSource, Dataset, Passes, Result, check_memory};

/// Every point of `source` (and its weights) in one [`Dataset`], read in one validated pass;
/// NaN read as the source's [`DataSource::missing_policy`] says.
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
    read_all_limited(source, None, "reading the data into memory")
}

/// [`read_all`] within `max_memory` bytes (`None`: the memory this process may use,
/// `gmm_core::default_memory_limit`): the read is refused ([`gmm_core::GmmError::MemoryLimit`])
/// as soon as the values read so far exceed it, before the next batch is stored.
///
/// # Errors
/// As [`read_all`], and [`gmm_core::GmmError::MemoryLimit`].
pub fn read_all_within(source: &mut dyn DataSource, max_memory: Option<u64>) -> Result<Dataset> {
    read_all_limited(
        source,
        max_memory.or_else(gmm_core::default_memory_limit),
        "reading the data into memory",
    )
}

/// [`read_all`] refused as `what` once its values exceed `limit` bytes (none: no limit).
pub(crate) fn read_all_limited(
    source: &mut dyn DataSource,
    limit: Option<u64>,
    what: &str,
) -> Result<Dataset> {
    let d = source.n_features();
    let has_weights = source.has_weights();
    let missing = source.missing_policy();
    let mut values = Vec::new();
    let mut weights = Vec::new();
    // any batch size reads the same values; a small one for wide rows
    let batch_rows = (1 << 14).min(crate::batcher::rows_within_buffer(d));
    let summary = Passes::new(source)
        .rescaled_later()
        .run(batch_rows, &mut |batch| {
            if let Some(limit) = limit {
                let words = values.len() + batch.points.len() + weights.len();
                let bytes = (words as u64).saturating_mul(8);
                check_memory(bytes, Some(limit), what)?;
            }
            values.extend_from_slice(&batch.points.widened());
            if let Some(w) = batch.weights {
                weights.extend_from_slice(w);
            }
            Ok(())
        })?;
    let data = Dataset::from_row_major_with_policy(summary.n_samples, d, values, missing)?;
    if has_weights {
        data.with_weights(weights)
    } else {
        Ok(data)
    }
}
