//! What the file-reading targets share: a scratch file per process, the memory given to
//! whole-file reads, and the checks of a stream of batches.
// each target uses a part of it
#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::OnceLock;

use gmm_core::{Batch, DataSource, Dataset, Result};

/// The memory a whole-file read may use in a target (64 MiB): a file whose header or
/// metadata promise more is refused before it is read.
pub const MAX_MEMORY: u64 = 64 << 20;

/// `name` in this process's scratch directory (made once), where the input is written for
/// the readers that take a path.
pub fn scratch_file(name: &str) -> PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    let dir = DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("gmm-fuzz-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a scratch directory");
        dir
    });
    dir.join(name)
}

/// Checks a table read in memory: at least one point and one feature, N x D finite
/// values, and weights (when there are) one per point, finite and not negative.
pub fn check_dataset(data: &Dataset) {
    let (n, d) = (data.n_samples(), data.n_features());
    assert!(n > 0 && d > 0, "an empty table was read: {n} x {d}");
    assert_eq!(data.as_slice().len(), n * d);
    assert!(data.as_slice().iter().all(|v| v.is_finite()));
    if let Some(w) = data.weights() {
        assert_eq!(w.len(), n);
        assert!(w.iter().all(|w| w.is_finite() && *w >= 0.0), "{w:?}");
    }
}

/// One pass over `source` in batches of `batch_rows` points, with the checks every source
/// owes (rows in order from 0, whole rows, exactly `batch_rows` points a batch but the
/// last, one weight a point when the source has weights): the values and weights read,
/// and the number of points.
pub fn read_pass(
    source: &mut dyn DataSource,
    batch_rows: usize,
) -> Result<(Vec<f64>, Vec<f64>, usize)> {
    let d = source.n_features();
    assert!(d > 0, "a source of zero features was opened");
    let has_weights = source.has_weights();
    let mut values = Vec::new();
    let mut weights = Vec::new();
    let mut next_row = 0usize;
    let mut short_batch_seen = false;
    source.for_each_batch(batch_rows, &mut |batch: Batch<'_>| {
        assert!(!short_batch_seen, "a batch after a short one");
        assert_eq!(batch.first_row, next_row, "batches out of order");
        assert_eq!(batch.points.len() % d, 0, "a batch of partial rows");
        let rows = batch.points.len() / d;
        assert!(
            rows >= 1 && rows <= batch_rows,
            "{rows} rows in a batch of {batch_rows}"
        );
        short_batch_seen = rows < batch_rows;
        assert_eq!(batch.weights.is_some(), has_weights);
        if let Some(w) = batch.weights {
            assert_eq!(w.len(), rows);
            weights.extend_from_slice(w);
        }
        values.extend_from_slice(batch.points);
        next_row += rows;
        Ok(())
    })?;
    Ok((values, weights, next_row))
}

/// Whether `a` and `b` hold the same numbers bit for bit (NaN included).
pub fn same_bits(a: &[f64], b: &[f64]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits())
}
