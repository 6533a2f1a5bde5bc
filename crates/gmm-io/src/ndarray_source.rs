//! ndarray views as a data source, without a copy of the whole array.

use gmm_core::{Batch, DataSource, GmmError, Result, SliceSource};
use ndarray::{ArrayView1, ArrayView2, Axis};

use crate::batcher::Batcher;

/// An `ndarray` view of N x D points (one point per row), with optional frequency weights,
/// read as a [`DataSource`] without copying the array: a view in standard (C, row-major)
/// layout is handed out in place, as a [`SliceSource`]; any other layout (a transposed or
/// strided view, Fortran order) is copied one batch at a time into a reused buffer.
///
/// ```
/// use gmm_core::{FittedModel, InitMethod};
/// use gmm_em::EmParams;
/// use ndarray::array;
/// let points = array![[0.0, 0.1], [0.2, 0.0], [5.0, 5.1], [5.2, 4.9]];
/// let mut source = gmm_io::ArraySource::new(points.view())?;
/// let means = gmm_core::nalgebra::DMatrix::from_row_slice(2, 2, &[0.0, 0.0, 5.0, 5.0]);
/// let fit = EmParams::new(2).init(InitMethod::FromMeans(means)).fit_source(&mut source)?;
/// assert_eq!(fit.n_iter() > 0, true);
/// # Ok::<(), gmm_core::GmmError>(())
/// ```
#[derive(Debug, Clone)]
pub struct ArraySource<'a> {
    points: ArrayView2<'a, f64>,
    weights: Option<ArrayView1<'a, f64>>,
}

impl<'a> ArraySource<'a> {
    /// The rows of `points` as points.
    ///
    /// # Errors
    /// [`GmmError::ZeroFeatures`] or [`GmmError::EmptyData`] for an empty array.
    pub fn new(points: ArrayView2<'a, f64>) -> Result<Self> {
        if points.ncols() == 0 {
            return Err(GmmError::ZeroFeatures);
        }
        if points.nrows() == 0 {
            return Err(GmmError::EmptyData);
        }
        Ok(Self {
            points,
            weights: None,
        })
    }

    /// The same points with one frequency weight each (validated as they are read).
    ///
    /// # Errors
    /// [`GmmError::ShapeMismatch`] when there is not one weight per row.
    pub fn with_weights(mut self, weights: ArrayView1<'a, f64>) -> Result<Self> {
        if weights.len() != self.points.nrows() {
            return Err(GmmError::ShapeMismatch {
                what: "number of sample weights against the number of rows of the array".into(),
                expected: self.points.nrows(),
                found: weights.len(),
            });
        }
        self.weights = Some(weights);
        Ok(self)
    }

    /// Whether the points are handed out in place (standard layout, contiguous weights).
    pub fn is_borrowed(&self) -> bool {
        self.points.as_slice().is_some()
            && self.weights.as_ref().is_none_or(|w| w.as_slice().is_some())
    }

    /// One pass copying batch by batch (any layout).
    fn copied_batches(
        &self,
        batch_rows: usize,
        visit: &mut dyn FnMut(Batch<'_>) -> Result<()>,
    ) -> Result<()> {
        let d = self.points.ncols();
        let mut batcher = Batcher::new(d, batch_rows, self.weights.is_some());
        for (i, row) in self.points.axis_iter(Axis(0)).enumerate() {
            batcher.reserve_row();
            batcher.points_mut().extend(row.iter().copied());
            if let Some(w) = &self.weights {
                batcher.weights_mut().push(w[i]);
            }
            batcher.rows_added(visit)?;
        }
        batcher.flush(visit)
    }
}

impl DataSource for ArraySource<'_> {
    fn n_features(&self) -> usize {
        self.points.ncols()
    }

    fn has_weights(&self) -> bool {
        self.weights.is_some()
    }

    fn for_each_batch(
        &mut self,
        batch_rows: usize,
        visit: &mut dyn FnMut(Batch<'_>) -> Result<()>,
    ) -> Result<()> {
        let weights = self.weights.as_ref().map(|w| w.as_slice());
        match (self.points.as_slice(), weights) {
            (Some(values), None) => {
                SliceSource::new(values, self.points.ncols())?.for_each_batch(batch_rows, visit)
            }
            (Some(values), Some(Some(w))) => SliceSource::new(values, self.points.ncols())?
                .with_weights(w)?
                .for_each_batch(batch_rows, visit),
            _ => self.copied_batches(batch_rows, visit),
        }
    }

    /// A borrowed view: its values cannot change while the source lives.
    fn unchanging(&self) -> bool {
        true
    }
}
