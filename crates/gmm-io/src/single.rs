//! Points in single precision: a source narrowed to `f32` batch by batch (for the formats
//! read as `f64`: CSV, Parquet), and a whole file read into memory as `f32` (half the
//! memory of `f64`) for a fit whose E-step runs in `f32` lanes (docs/performance.md,
//! "float32").

use std::path::Path;

use gmm_core::{Batch, DataSource, MissingPolicy, Passes, Points, Precision, Result, check_memory};

use crate::open::{SourceOptions, open_named_source};

/// A source whose batches are handed out in `f32`: `f64` values rounded to nearest, `f32`
/// values as they are. Weights stay `f64`.
pub struct NarrowedSource<S> {
    inner: S,
    buffer: Vec<f32>,
}

impl<S: DataSource> NarrowedSource<S> {
    /// `inner` handing out `f32` points.
    pub fn new(inner: S) -> Self {
        Self {
            inner,
            buffer: Vec::new(),
        }
    }
}

impl<S: DataSource> DataSource for NarrowedSource<S> {
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
        let buffer = &mut self.buffer;
        self.inner
            .for_each_batch(batch_rows, &mut |batch| match batch.points {
                Points::F32(_) => visit(batch),
                Points::F64(values) => {
                    buffer.clear();
                    buffer.extend(values.iter().map(|&x| x as f32));
                    visit(Batch {
                        points: Points::F32(buffer),
                        ..batch
                    })
                }
            })
    }

    fn missing_policy(&self) -> MissingPolicy {
        self.inner.missing_policy()
    }
}

/// A data file read whole into memory in single precision ([`read_single_precision`]).
#[derive(Debug, Clone, PartialEq)]
pub struct SinglePrecisionTable {
    /// The points, row-major, rounded to `f32`.
    pub values: Vec<f32>,
    /// Dimension D.
    pub n_features: usize,
    /// One frequency weight per point, when the file or options give them (as read; a fit
    /// through `gmm_core::Passes::rescaling_weights` rescales them as data in memory are).
    pub weights: Option<Vec<f64>>,
    /// The names of the point columns, when the file names them (as
    /// [`crate::read_table`]).
    pub column_names: Option<Vec<String>>,
    /// What a NaN among the values means (the `missing` of the options read with).
    pub missing: MissingPolicy,
}

impl SinglePrecisionTable {
    /// The points (with their weights) as a source for a fit: `gmm_core::SliceSource`
    /// over the `f32` values, no copy.
    ///
    /// # Errors
    /// As `gmm_core::SliceSource::from_f32`.
    pub fn source(&self) -> Result<gmm_core::SliceSource<'_>> {
        let source = gmm_core::SliceSource::from_f32(&self.values, self.n_features)?
            .with_missing(self.missing);
        match &self.weights {
            Some(w) => source.with_weights(w),
            None => Ok(source),
        }
    }
}

/// The whole data file `path` in memory as `f32` (`options.precision` is taken as
/// [`Precision::F32`]): a `<f4` .npy file as it is, other files rounded to nearest batch by
/// batch, so that no `f64` copy of the whole file is ever held. The N x D values (4 bytes
/// each) and the weights (8) must fit within `options.max_memory` (or the memory this
/// process may use), checked as each batch arrives.
///
/// # Errors
/// As [`crate::read_table`]; [`gmm_core::GmmError::MemoryLimit`] naming the file.
pub fn read_single_precision(path: &Path, options: &SourceOptions) -> Result<SinglePrecisionTable> {
    let options = SourceOptions {
        precision: Precision::F32,
        ..options.clone()
    };
    let mut named = open_named_source(path, &options)?;
    let d = named.source.n_features();
    let has_weights = named.source.has_weights();
    let limit = options.max_memory.or_else(gmm_core::default_memory_limit);
    let what = format!("reading {} into memory as f32", path.display());
    let (mut values, mut weights) = (Vec::<f32>::new(), Vec::<f64>::new());
    let batch_rows = (1 << 14).min(crate::batcher::rows_within_buffer(d));
    Passes::new(named.source.as_mut())
        .rescaled_later()
        .run(batch_rows, &mut |batch| {
            let bytes = 4 * (values.len() + batch.points.len()) as u64 + 8 * weights.len() as u64;
            check_memory(bytes, limit, &what)?;
            match batch.points {
                Points::F32(v) => values.extend_from_slice(v),
                Points::F64(v) => values.extend(v.iter().map(|&x| x as f32)),
            }
            weights.extend_from_slice(batch.weights.unwrap_or(&[]));
            Ok(())
        })?;
    Ok(SinglePrecisionTable {
        values,
        n_features: d,
        missing: options.missing,
        weights: has_weights.then_some(weights),
        column_names: named.column_names,
    })
}
