//! The data of `predict` and `score` batch by batch, each batch a small [`Dataset`] handed
//! to the model, and the mean log density of a stream: what `--stream` runs instead of
//! holding the file.

use gmm_core::{DataSource, Dataset, EStepKernel, MixtureModel, Passes, Result};

/// What [`for_each_dataset`] calls per batch: its points and its weights.
pub type DatasetVisitor<'v> = dyn FnMut(&Dataset, Option<&[f64]>) -> Result<()> + 'v;

/// One validated pass over `source`, each batch handed to `visit` as a [`Dataset`] with its
/// weights.
pub fn for_each_dataset(source: &mut dyn DataSource, visit: &mut DatasetVisitor<'_>) -> Result<()> {
    let d = source.n_features();
    Passes::new(source).run(EStepKernel::batch_rows(d), &mut |batch| {
        let rows = batch.points.len() / d;
        let data = Dataset::from_row_major(rows, d, batch.points.to_vec())?;
        visit(&data, batch.weights)
    })?;
    Ok(())
}

/// The running sums of a mean log density: `sum w ln p(x)` and `sum w`, added point by point
/// in order, so that the mean is bit for bit [`MixtureModel::score`] of the same points in
/// memory.
#[derive(Debug, Clone, Copy)]
pub struct ScoreSums {
    /// `sum_n w_n ln p(x_n)` (`w_n = 1` without weights).
    pub weighted_log_density: f64,
    /// `sum_n w_n` (N without weights).
    pub total_weight: f64,
    /// Number of points.
    pub n_points: usize,
}

impl ScoreSums {
    /// The mean log density per point (per unit of weight).
    pub fn mean(&self) -> f64 {
        self.weighted_log_density / self.total_weight
    }
}

/// The mean log density of the points of `source` under `model`, in one pass.
pub fn score_stream(model: &dyn MixtureModel, source: &mut dyn DataSource) -> Result<ScoreSums> {
    // -0.0 starts f64's own `Sum`, so that the sums equal the in-memory ones bit for bit
    let mut sums = ScoreSums {
        weighted_log_density: -0.0,
        total_weight: -0.0,
        n_points: 0,
    };
    let weighted = source.has_weights();
    for_each_dataset(source, &mut |data, weights| {
        let scores = model.score_samples(data)?;
        match weights {
            Some(w) => {
                for (s, w) in scores.iter().zip(w) {
                    sums.weighted_log_density += w * s;
                    sums.total_weight += w;
                }
            }
            None => {
                for s in &scores {
                    sums.weighted_log_density += s;
                }
            }
        }
        sums.n_points += scores.len();
        Ok(())
    })?;
    if !weighted {
        sums.total_weight = sums.n_points as f64;
    }
    Ok(sums)
}
