//! The points a streamed fit with missing values starts from, as a source of their own
//! (docs/em.md, "Missing values", starts): what [`crate::Dataset::start_rows`] is in memory. The
//! start of a fit with missing coordinates runs on the complete rows when at least K of
//! them have positive weight, else on every row with its missing coordinates replaced by
//! the observed means of their columns; given labels name every row, so they always start
//! from the mean-imputed rows. The start then reads this source exactly as it reads
//! complete data: in the same batches as the same rows in memory, so the same bits.

use crate::error::Result;
use crate::source::{Batch, DataSource, PassSummary, Passes, Points};

/// Which rows a start reads.
enum StartKind {
    /// The complete rows, in their order, in batches of the size asked for.
    Complete,
    /// Every row, a missing value replaced by its column's entry.
    Imputed(Vec<f64>),
}

/// The start rows of the points of some passes (see the module documentation).
pub(super) struct StartRows<'p, 's> {
    passes: &'p mut Passes<'s>,
    kind: StartKind,
}

impl<'p, 's> StartRows<'p, 's> {
    /// The start rows of `passes`, whose first pass saw `summary`, for a start of
    /// `n_components` components; `all_rows` for a start that names every row (given
    /// labels). The rule of [`crate::Dataset::start_rows`].
    pub(super) fn new(
        passes: &'p mut Passes<'s>,
        summary: &PassSummary,
        n_components: usize,
        all_rows: bool,
    ) -> Self {
        let kind = if all_rows || summary.n_complete_counted < n_components.max(1) {
            StartKind::Imputed(summary.observed_means.clone())
        } else {
            StartKind::Complete
        };
        Self { passes, kind }
    }

    /// The mean-imputed rows of `passes` (what VB's and MAP-EM's default priors are
    /// resolved on), whose first pass saw `summary`.
    pub(super) fn imputed(passes: &'p mut Passes<'s>, summary: &PassSummary) -> Self {
        Self::new(passes, summary, 0, true)
    }
}

impl DataSource for StartRows<'_, '_> {
    fn n_features(&self) -> usize {
        self.passes.n_features()
    }

    fn has_weights(&self) -> bool {
        self.passes.has_weights()
    }

    fn for_each_batch(
        &mut self,
        batch_rows: usize,
        visit: &mut dyn FnMut(Batch<'_>) -> Result<()>,
    ) -> Result<()> {
        let d = self.passes.n_features();
        match &self.kind {
            StartKind::Imputed(fill) => {
                let mut values = Vec::new();
                self.passes.run(batch_rows, &mut |batch| {
                    values.clear();
                    values.extend(
                        batch
                            .points
                            .widened()
                            .iter()
                            .enumerate()
                            .map(|(i, v)| if v.is_nan() { fill[i % d] } else { *v }),
                    );
                    visit(Batch {
                        points: Points::F64(&values),
                        ..batch
                    })
                })?;
            }
            StartKind::Complete => {
                let mut rebatched = Rebatched::new(batch_rows, self.passes.has_weights());
                self.passes.run(batch_rows, &mut |batch| {
                    let values = batch.points.widened();
                    for (n, x) in values.chunks_exact(d).enumerate() {
                        if !x.iter().any(|v| v.is_nan()) {
                            rebatched.push(x, batch.weights.map(|w| w[n]), visit)?;
                        }
                    }
                    Ok(())
                })?;
                rebatched.flush(visit)?;
            }
        }
        Ok(())
    }
}

/// Rows gathered into batches of a fixed size, each handed on when full.
struct Rebatched {
    batch_rows: usize,
    values: Vec<f64>,
    weights: Option<Vec<f64>>,
    rows: usize,
    first_row: usize,
}

impl Rebatched {
    /// No rows yet, in batches of `batch_rows`, with weights or not.
    fn new(batch_rows: usize, has_weights: bool) -> Self {
        Self {
            batch_rows: batch_rows.max(1),
            values: Vec::new(),
            weights: has_weights.then(Vec::new),
            rows: 0,
            first_row: 0,
        }
    }

    /// Adds row `x` (with its weight), handing the batch to `visit` when it is full.
    fn push(
        &mut self,
        x: &[f64],
        weight: Option<f64>,
        visit: &mut dyn FnMut(Batch<'_>) -> Result<()>,
    ) -> Result<()> {
        self.values.extend_from_slice(x);
        if let (Some(weights), Some(w)) = (&mut self.weights, weight) {
            weights.push(w);
        }
        self.rows += 1;
        if self.rows == self.batch_rows {
            self.flush(visit)?;
        }
        Ok(())
    }

    /// Hands the rows gathered to `visit` (nothing when there are none).
    fn flush(&mut self, visit: &mut dyn FnMut(Batch<'_>) -> Result<()>) -> Result<()> {
        if self.rows == 0 {
            return Ok(());
        }
        visit(Batch {
            first_row: self.first_row,
            points: Points::F64(&self.values),
            weights: self.weights.as_deref(),
        })?;
        self.first_row += self.rows;
        self.rows = 0;
        self.values.clear();
        if let Some(w) = &mut self.weights {
            w.clear();
        }
        Ok(())
    }
}
