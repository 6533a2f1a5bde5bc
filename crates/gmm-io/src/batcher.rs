//! Cutting rows read in pieces of any size into the batches a fit asks for: exactly
//! `batch_rows` rows each, the last shorter (the promise of `gmm_core::DataSource`), in one
//! reused buffer.

use gmm_core::{Batch, Points, Result};

/// The bytes of values a reader holds (or asks a decoder for) at a time before the rows of a
/// batch come in: a batch of 16,384 rows of 200,000 values would be 26 GB, whatever the
/// number of rows the file has. A batch still holds every row asked for; the buffer grows
/// to it only as rows arrive.
pub(crate) const BUFFER_BYTES: usize = 64 << 20;

/// The rows of `d` values that fit in [`BUFFER_BYTES`] (at least 1).
pub(crate) fn rows_within_buffer(d: usize) -> usize {
    (BUFFER_BYTES / (8 * d.max(1))).max(1)
}

/// Rows gathered into one batch at a time; full batches are handed to the visitor at once.
pub(crate) struct Batcher {
    d: usize,
    batch_rows: usize,
    weighted: bool,
    points: Vec<f64>,
    weights: Vec<f64>,
    first_row: usize,
}

impl Batcher {
    /// An empty batcher for points of dimension `d` in batches of `batch_rows` rows (at
    /// least 1), with weights when `weighted`.
    pub(crate) fn new(d: usize, batch_rows: usize, weighted: bool) -> Self {
        let batch_rows = batch_rows.max(1);
        let rows = batch_rows.min(rows_within_buffer(d));
        Self {
            d,
            batch_rows,
            weighted,
            points: Vec::with_capacity(rows * d),
            weights: Vec::with_capacity(if weighted { rows } else { 0 }),
            first_row: 0,
        }
    }

    /// Makes room for one more row: the buffer doubles, never beyond one batch.
    pub(crate) fn reserve_row(&mut self) {
        if self.points.capacity() - self.points.len() < self.d {
            let full = self.batch_rows * self.d;
            let want = (2 * self.points.capacity())
                .max(self.points.len() + self.d)
                .min(full.max(self.points.len() + self.d));
            self.points.reserve_exact(want - self.points.len());
        }
        if self.weighted && self.weights.capacity() == self.weights.len() {
            let want = (2 * self.weights.capacity()).clamp(1, self.batch_rows);
            self.weights
                .reserve_exact(want.max(self.weights.len() + 1) - self.weights.len());
        }
    }

    /// The capacity of the points' buffer, in values.
    #[cfg(test)]
    fn capacity(&self) -> usize {
        self.points.capacity()
    }

    /// The buffer of the current batch, to append the values of whole rows to (then call
    /// [`Batcher::rows_added`]).
    #[cfg(any(feature = "parquet", feature = "ndarray"))]
    pub(crate) fn points_mut(&mut self) -> &mut Vec<f64> {
        &mut self.points
    }

    /// The weights of the current batch, to append one per row added.
    #[cfg(any(feature = "parquet", feature = "ndarray"))]
    pub(crate) fn weights_mut(&mut self) -> &mut Vec<f64> {
        &mut self.weights
    }

    /// Hands out the batch if the rows appended filled it.
    pub(crate) fn rows_added(
        &mut self,
        visit: &mut dyn FnMut(Batch<'_>) -> Result<()>,
    ) -> Result<()> {
        if self.points.len() >= self.batch_rows * self.d {
            self.flush(visit)?;
        }
        Ok(())
    }

    /// Appends one row (and its weight, when weighted) and hands out the batch when full.
    #[cfg(any(feature = "csv", test))]
    pub(crate) fn push_row(
        &mut self,
        row: &[f64],
        weight: f64,
        visit: &mut dyn FnMut(Batch<'_>) -> Result<()>,
    ) -> Result<()> {
        self.reserve_row();
        self.points.extend_from_slice(row);
        if self.weighted {
            self.weights.push(weight);
        }
        self.rows_added(visit)
    }

    /// Hands out what is gathered (the last, shorter batch of a pass), if anything.
    pub(crate) fn flush(&mut self, visit: &mut dyn FnMut(Batch<'_>) -> Result<()>) -> Result<()> {
        if self.points.is_empty() {
            return Ok(());
        }
        let rows = self.points.len() / self.d;
        visit(Batch {
            first_row: self.first_row,
            points: Points::F64(&self.points),
            weights: self.weighted.then_some(&self.weights[..]),
        })?;
        self.first_row += rows;
        self.points.clear();
        self.weights.clear();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_buffer_holds_the_rows_that_came_not_the_rows_asked_for() {
        // 65,536 rows of 200,000 values asked for: 105 GB if allocated at once
        let d = 200_000;
        let mut b = Batcher::new(d, 1 << 16, true);
        assert!(b.capacity() * 8 <= BUFFER_BYTES, "{}", b.capacity());
        let row = vec![1.5; d];
        let mut seen = Vec::new();
        for _ in 0..3 {
            b.push_row(&row, 2.0, &mut |_| Ok(())).unwrap();
        }
        assert!(b.capacity() <= 64 * d, "{}", b.capacity());
        b.flush(&mut |batch| {
            seen.push((
                batch.first_row,
                batch.points.len(),
                batch.weights.unwrap().len(),
            ));
            Ok(())
        })
        .unwrap();
        assert_eq!(seen, vec![(0, 3 * d, 3)]);
        // and a batch grows to exactly the rows asked for, not beyond
        let mut b = Batcher::new(3, 1000, false);
        for i in 0..999 {
            b.push_row(&[i as f64; 3], 1.0, &mut |_| Ok(())).unwrap();
            assert!(b.capacity() <= 3000);
        }
    }

    #[test]
    fn rows_come_out_in_full_batches_then_the_rest() {
        let mut b = Batcher::new(2, 3, true);
        let mut seen = Vec::new();
        let mut visit = |batch: Batch<'_>| {
            seen.push((
                batch.first_row,
                batch.points.widened().into_owned(),
                batch.weights.unwrap().to_vec(),
            ));
            Ok(())
        };
        for i in 0..7 {
            let x = i as f64;
            b.push_row(&[x, -x], x * 0.5, &mut visit).unwrap();
        }
        b.flush(&mut visit).unwrap();
        let sizes: Vec<(usize, usize, usize)> = seen
            .iter()
            .map(|(f, p, w)| (*f, p.len(), w.len()))
            .collect();
        assert_eq!(sizes, vec![(0, 6, 3), (3, 6, 3), (6, 2, 1)]);
        assert_eq!(seen[2].1, vec![6.0, -6.0]);
        assert_eq!(seen[1].2, vec![1.5, 2.0, 2.5]);
    }
}
