//! Initialisation of a fit that reads its data as a stream: the initial statistics without
//! holding the data (docs/maths.md, "Streaming").
//!
//! - Given means: each point to its nearest mean, in one pass.
//! - Given labels, and random responsibilities: in one pass, the same numbers as in memory.
//! - k-means, k-means++ and random-from-data: the method runs on a seeded reservoir sample
//!   (Vitter's algorithm R) of at most `sample_size` points; then each point goes to the
//!   nearest of the sample's cluster means in one more pass. When the whole data fit in the
//!   sample, the sample is the data, in order (with its weights), and the method's own
//!   labels are used: the result is then the in-memory one exactly, so it does not depend
//!   on the order of the rows (the seeding walks them in canonical order) and a row of
//!   integer weight `w` starts as its `w` copies would, wherever they are in the stream. A
//!   smaller sample depends on the order in which the stream gives its rows (algorithm R
//!   keeps the `i`-th row with probability `size / i`), so that start does not. A cluster
//!   the sample leaves empty (fewer distinct points than K) stays empty: it gets no mean to
//!   be nearest to, and its component starts with `N_k = 0` as in memory.
//!
//! The statistics are accumulated batch by batch in the E-step's batches, whose block
//! boundaries are those of the in-memory computation, so from the same labels or
//! responsibilities a stream gives the same statistics bit for bit.

use nalgebra::DMatrix;
use rand::{RngExt, SeedableRng, rngs::StdRng};

use super::start_rows::StartRows;
use super::{
    InitMethod, InitialResponsibilities, check_k_of, check_label_counts, check_label_values,
    flat_means, mean_without_points, nearest, random_responsibilities_of,
};
use crate::data::Dataset;
use crate::error::Result;
use crate::kernel::EStepKernel;
use crate::source::Passes;
use crate::stats::{ScatterKind, SufficientStats};

/// How many points k-means initialisation of a stream samples by default.
pub const DEFAULT_INIT_SAMPLE: usize = 100_000;

/// At most this many values (32 MiB) go into the sample, whatever `sample_size` asks.
const MAX_SAMPLE_VALUES: usize = 1 << 22;

impl InitMethod {
    /// The initial statistics of `k` components over the points of `passes`, from `seed`
    /// (see the module documentation). Data in memory are initialised exactly as
    /// [`InitMethod::initial_responsibilities`] does, on [`InitMethod::start_rows`] when
    /// some coordinates are missing; a stream with missing coordinates starts from the same
    /// rows read as a stream of their own (the complete rows, or every row mean-imputed by
    /// the observed means of its first pass), so from the same bits when they all fit in
    /// the sample.
    ///
    /// # Errors
    /// As [`InitMethod::initial_responsibilities`], and errors of the passes.
    pub fn initial_stats(
        &self,
        passes: &mut Passes<'_>,
        k: usize,
        seed: u64,
        kind: ScatterKind,
        sample_size: usize,
    ) -> Result<SufficientStats> {
        if let Some(data) = passes.in_memory() {
            let start = self.start_rows(data, k);
            let init = self.initial_responsibilities(&start, k, seed)?;
            return Ok(init.sufficient_stats(&start, kind));
        }
        if passes.has_missing()? {
            let summary = passes.summary()?;
            let all_rows = matches!(self, Self::FromLabels(_));
            let mut start = StartRows::new(passes, &summary, k, all_rows);
            let mut start_passes = Passes::new(&mut start);
            return self.initial_stats(&mut start_passes, k, seed, kind, sample_size);
        }
        check_k_of(passes.summary()?.n_counted, k)?;
        let d = passes.n_features();
        match self {
            Self::FromMeans(means) => {
                let flat = flat_means(means, k, d)?;
                let stats = stats_of_nearest(passes, &flat, &(0..k).collect::<Vec<_>>(), k, kind)?;
                check_occupied(&stats).map_err(|_| mean_without_points())?;
                Ok(stats)
            }
            Self::FromLabels(labels) => {
                let stats = stats_of_labels(passes, labels, k, kind)?;
                check_occupied(&stats)?;
                Ok(stats)
            }
            Self::Random => stats_of_random(passes, k, seed, kind),
            Self::KMeans | Self::KMeansPlusPlus | Self::RandomFromData => {
                let (sample, whole) = reservoir_sample(passes, sample_size, seed)?;
                let InitialResponsibilities::Hard { labels, .. } =
                    self.initial_responsibilities(&sample, k, seed)?
                else {
                    unreachable!("k-means, k-means++ and random-from-data give labels")
                };
                if whole {
                    stats_of_labels(passes, &labels, k, kind)
                } else {
                    let (means, occupied) = cluster_means(&sample, &labels, k);
                    stats_of_nearest(passes, &means, &occupied, k, kind)
                }
            }
        }
    }
}

/// The statistics of every point in one component (K = 1): the data's weighted mean and
/// centred scatter (full or diagonal by `kind`), in one pass in the E-step's batches, so a
/// stream gives the same numbers bit for bit as data in memory. Means are stored relative
/// to the first point. Data in memory with missing coordinates give the statistics of
/// their mean-imputed points ([`Dataset::mean_imputed`], no pass): what VB's and MAP-EM's
/// default priors are resolved on; a stream with missing coordinates gives those of its
/// rows mean-imputed by the observed means of its first pass, the same bits.
///
/// # Errors
/// Errors of the pass (reading, validation).
pub fn data_statistics(passes: &mut Passes<'_>, kind: ScatterKind) -> Result<SufficientStats> {
    if let Some(data) = passes.in_memory().filter(|data| data.has_missing()) {
        let imputed = data.mean_imputed();
        let mut source = &*imputed;
        return data_statistics(&mut Passes::new(&mut source), kind);
    }
    if passes.has_missing()? {
        let summary = passes.summary()?;
        let mut imputed = StartRows::imputed(passes, &summary);
        return data_statistics(&mut Passes::new(&mut imputed), kind);
    }
    let d = passes.n_features();
    let mut labels = Vec::new();
    accumulate(passes, 1, kind, &mut |stats, batch| {
        labels.resize(batch.points.len() / d, 0);
        stats.add_labelled_points(&batch.points.widened(), &labels, batch.weights);
        Ok(())
    })
}

/// Statistics of `k` components, every point given to its nearest centre (row-major, one
/// per entry of `components`, the component it stands for); a component without a centre
/// gets no point.
fn stats_of_nearest(
    passes: &mut Passes<'_>,
    centres: &[f64],
    components: &[usize],
    k: usize,
    kind: ScatterKind,
) -> Result<SufficientStats> {
    let d = passes.n_features();
    let mut labels = Vec::new();
    accumulate(passes, k, kind, &mut |stats, batch| {
        // widened once (an f32 batch is converted to a new vector)
        let values = batch.points.widened();
        labels.clear();
        labels.extend(
            values
                .chunks_exact(d)
                .map(|x| components[nearest(x, centres).0]),
        );
        stats.add_labelled_points(&values, &labels, batch.weights);
        Ok(())
    })
}

/// Statistics of given labels, one per point (checked for range, not for empty components).
fn stats_of_labels(
    passes: &mut Passes<'_>,
    labels: &[usize],
    k: usize,
    kind: ScatterKind,
) -> Result<SufficientStats> {
    check_label_values(labels, passes.summary()?.n_samples, k)?;
    let d = passes.n_features();
    accumulate(passes, k, kind, &mut |stats, batch| {
        let rows = batch.points.len() / d;
        let mine = &labels[batch.first_row..batch.first_row + rows];
        stats.add_labelled_points(&batch.points.widened(), mine, batch.weights);
        Ok(())
    })
}

/// Checks that every component of `stats` holds a point of positive weight (user-given
/// labels and means).
fn check_occupied(stats: &SufficientStats) -> Result<()> {
    let counts: Vec<usize> = stats.n_k().iter().map(|&n| usize::from(n > 0.0)).collect();
    check_label_counts(&counts)
}

/// Statistics of responsibilities drawn from U(0, 1) and normalised per point, drawn in
/// the order of [`InitMethod::initial_responsibilities`].
fn stats_of_random(
    passes: &mut Passes<'_>,
    k: usize,
    seed: u64,
    kind: ScatterKind,
) -> Result<SufficientStats> {
    let d = passes.n_features();
    let mut resp = Vec::new();
    accumulate(passes, k, kind, &mut |stats, batch| {
        let values = batch.points.widened();
        resp.clear();
        for x in values.chunks_exact(d) {
            random_responsibilities_of(x, k, seed, &mut resp);
        }
        stats.add_points(&values, &resp, batch.weights);
        Ok(())
    })
}

/// One pass in the E-step's batches, `add` merging each batch into statistics whose origin
/// is the pass's first point.
fn accumulate(
    passes: &mut Passes<'_>,
    k: usize,
    kind: ScatterKind,
    add: &mut dyn FnMut(&mut SufficientStats, crate::source::Batch<'_>) -> Result<()>,
) -> Result<SufficientStats> {
    let d = passes.n_features();
    let mut total: Option<SufficientStats> = None;
    passes.run(EStepKernel::batch_rows(d), &mut |batch| {
        let stats = total.get_or_insert_with(|| {
            SufficientStats::zeros(k, &batch.points.widened_prefix(d), kind)
        });
        add(stats, batch)
    })?;
    Ok(total.expect("a pass that succeeded saw a point"))
}

/// A uniform sample of at most `size` points (fewer when D is large: at most
/// [`MAX_SAMPLE_VALUES`] values), with their weights, by algorithm R from `seed`; and whether
/// it holds every point (then in their order).
fn reservoir_sample(passes: &mut Passes<'_>, size: usize, seed: u64) -> Result<(Dataset, bool)> {
    let d = passes.n_features();
    let cap = size.min(MAX_SAMPLE_VALUES / d).max(1);
    let mut rng = StdRng::seed_from_u64(seed);
    let (mut values, mut weights) = (Vec::new(), Vec::new());
    let mut seen = 0usize;
    passes.run(EStepKernel::batch_rows(d), &mut |batch| {
        for (i, x) in batch.points.widened().chunks_exact(d).enumerate() {
            let w = batch.weights.map_or(1.0, |w| w[i]);
            if seen < cap {
                values.extend_from_slice(x);
                weights.push(w);
            } else {
                let j = rng.random_range(0..=seen);
                if j < cap {
                    values[j * d..(j + 1) * d].copy_from_slice(x);
                    weights[j] = w;
                }
            }
            seen += 1;
        }
        Ok(())
    })?;
    let mut sample = Dataset::from_row_major(weights.len(), d, values)?;
    if passes.has_weights() {
        sample = sample.with_weights(weights)?;
    }
    Ok((sample, seen <= cap))
}

/// The weighted mean of each label's points (row-major), for the labels that have weight,
/// and those labels in order.
fn cluster_means(sample: &Dataset, labels: &[usize], k: usize) -> (Vec<f64>, Vec<usize>) {
    let d = sample.n_features();
    let mut sums = vec![0.0; k * d];
    let mut totals = vec![0.0; k];
    for (i, (x, &l)) in sample.rows().zip(labels).enumerate() {
        let w = sample.weight(i);
        totals[l] += w;
        for j in 0..d {
            sums[l * d + j] += w * x[j];
        }
    }
    let occupied: Vec<usize> = (0..k).filter(|&c| totals[c] > 0.0).collect();
    let mut means = Vec::with_capacity(occupied.len() * d);
    for &c in &occupied {
        means.extend(sums[c * d..(c + 1) * d].iter().map(|s| s / totals[c]));
    }
    (means, occupied)
}

/// The statistics of every point of `passes` given to its nearest of the K x D `means`
/// (squared Euclidean, ties to the lowest index): one chunk's share of a start from given
/// means. The statistics of disjoint chunks merge into those of their union, so a
/// distributed engine computes the start of the whole data chunk by chunk. Unlike
/// [`InitMethod::initial_stats`], a mean nearest to no point of the chunk is not an error
/// (another chunk may hold its points); its `N_k` is 0.
///
/// ```
/// use gmm_core::{nearest_mean_statistics, Dataset, Passes, ScatterKind};
/// use nalgebra::DMatrix;
/// let data = Dataset::from_slice_1d(&[0.0, 1.0, 9.0])?;
/// let means = DMatrix::from_row_slice(3, 1, &[0.5, 10.0, 100.0]);
/// let mut source = &data;
/// let stats = nearest_mean_statistics(&mut Passes::new(&mut source), &means, ScatterKind::Full)?;
/// assert_eq!(stats.n_k(), &[2.0, 1.0, 0.0]);
/// # Ok::<(), gmm_core::GmmError>(())
/// ```
///
/// # Errors
/// [`GmmError::ShapeMismatch`](crate::GmmError::ShapeMismatch) for means of another
/// dimension; errors of the pass.
pub fn nearest_mean_statistics(
    passes: &mut Passes<'_>,
    means: &DMatrix<f64>,
    kind: ScatterKind,
) -> Result<SufficientStats> {
    let d = passes.n_features();
    let centres = flat_means(means, means.nrows(), d)?;
    let k = means.nrows();
    let mut labels = Vec::new();
    accumulate(passes, k, kind, &mut |stats, batch| {
        // widened once (an f32 batch is converted to a new vector)
        let values = batch.points.widened();
        labels.clear();
        labels.extend(values.chunks_exact(d).map(|x| nearest(x, &centres).0));
        stats.add_labelled_points(&values, &labels, batch.weights);
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::GmmError;
    use crate::source::SliceSource;

    /// Three distinct rows of 2-D points, each four times.
    fn three_rows_four_times() -> Vec<f64> {
        (0..12)
            .flat_map(|i| [[1.0, 2.0], [4.0, -1.0], [-3.0, 0.5]][i % 3])
            .collect()
    }

    fn streamed_stats(
        values: &[f64],
        weights: Option<&[f64]>,
        method: &InitMethod,
        k: usize,
        seed: u64,
        sample_size: usize,
    ) -> Result<SufficientStats> {
        let mut source = SliceSource::new(values, 2)?;
        if let Some(w) = weights {
            source = source.with_weights(w)?;
        }
        let mut passes = Passes::new(&mut source);
        method.initial_stats(&mut passes, k, seed, ScatterKind::Full, sample_size)
    }

    #[test]
    fn seeded_methods_leave_surplus_components_empty_in_a_stream() {
        let values = three_rows_four_times();
        let data = Dataset::from_row_major(12, 2, values.clone()).unwrap();
        for method in [
            InitMethod::KMeans,
            InitMethod::KMeansPlusPlus,
            InitMethod::RandomFromData,
        ] {
            for seed in 0..10 {
                // the whole data in the sample: the in-memory start exactly
                let whole = streamed_stats(&values, None, &method, 5, seed, 100).unwrap();
                let in_memory = method
                    .initial_responsibilities(&data, 5, seed)
                    .unwrap()
                    .sufficient_stats(&data, ScatterKind::Full);
                assert_eq!(whole, in_memory, "{} seed {seed}", method.name());
                // a sample of 5 points: the clusters it leaves empty stay empty
                let sampled = streamed_stats(&values, None, &method, 5, seed, 5).unwrap();
                assert!(sampled.n_k().iter().filter(|&&n| n == 0.0).count() >= 2);
                assert_eq!(sampled.total(), 12.0);
            }
        }
    }

    #[test]
    fn a_weighted_stream_starts_as_its_copies_when_it_fits_in_the_sample() {
        let values: Vec<f64> = (0..40)
            .flat_map(|i| {
                let t = i as f64 * 0.61;
                let c = [0.0, 8.0, -8.0][i % 3];
                [c + t.sin(), t.cos()]
            })
            .collect();
        let weights: Vec<f64> = (0..40).map(|i| ((i * 5) % 4) as f64).collect();
        let copies: Vec<f64> = (0..40)
            .flat_map(|i| std::iter::repeat_n(&values[2 * i..2 * i + 2], weights[i] as usize))
            .flatten()
            .copied()
            .collect();
        // the weighted rows in reverse order: the same start as the copies in order
        let reversed: Vec<f64> = values.chunks_exact(2).rev().flatten().copied().collect();
        let reversed_weights: Vec<f64> = weights.iter().rev().copied().collect();
        for method in [
            InitMethod::KMeans,
            InitMethod::KMeansPlusPlus,
            InitMethod::RandomFromData,
        ] {
            for seed in 0..10 {
                let a = streamed_stats(&values, Some(&weights), &method, 3, seed, 1000).unwrap();
                let b = streamed_stats(&copies, None, &method, 3, seed, 1000).unwrap();
                let r = streamed_stats(&reversed, Some(&reversed_weights), &method, 3, seed, 1000)
                    .unwrap();
                assert_eq!(a.n_k(), b.n_k(), "{} seed {seed}", method.name());
                assert_eq!(a.n_k(), r.n_k(), "{} seed {seed}", method.name());
                for c in 0..3 {
                    let (ma, mb, mr) = (a.mean(c), b.mean(c), r.mean(c));
                    assert!((&ma - mb).amax() < 1e-12, "{} seed {seed}", method.name());
                    assert!((ma - mr).amax() < 1e-12, "{} seed {seed}", method.name());
                }
            }
        }
    }

    #[test]
    fn given_labels_and_means_must_still_fill_every_component() {
        let values = three_rows_four_times();
        let mut labels = vec![0; 12];
        labels[0] = 2;
        let err = streamed_stats(&values, None, &InitMethod::FromLabels(labels), 3, 0, 100);
        assert!(
            matches!(err, Err(GmmError::InvalidLabels { .. })),
            "{err:?}"
        );
        let far = nalgebra::DMatrix::from_row_slice(2, 2, &[1.0, 2.0, 100.0, 100.0]);
        let err = streamed_stats(&values, None, &InitMethod::FromMeans(far), 2, 0, 100);
        assert!(
            matches!(err, Err(GmmError::InvalidLabels { .. })),
            "{err:?}"
        );
    }
}
