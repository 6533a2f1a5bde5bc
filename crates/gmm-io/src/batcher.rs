//! Cutting rows read in pieces of any size into the batches a fit asks for: exactly
//! `batch_rows` rows each, the last shorter (the promise of `gmm_core::DataSource`), in one
//! reused buffer.

use gmm_core::{Batch, Result};

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
        Self {
            d,
            batch_rows,
            weighted,
            points: Vec::with_capacity(batch_rows * d),
            weights: Vec::with_capacity(if weighted { batch_rows } else { 0 }),
            first_row: 0,
        }
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
            points: &self.points,
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
    fn rows_come_out_in_full_batches_then_the_rest() {
        let mut b = Batcher::new(2, 3, true);
        let mut seen = Vec::new();
        let mut visit = |batch: Batch<'_>| {
            seen.push((
                batch.first_row,
                batch.points.to_vec(),
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
