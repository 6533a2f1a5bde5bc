//! Data as a stream of batches that can start again: what a fit reads when the data do not
//! sit whole in memory (docs/architecture.md, "Streaming").
//!
//! A [`DataSource`] hands out the points of one pass in batches of consecutive rows, with
//! optional frequency weights. Every estimator reads its data through [`Passes`], which runs
//! one pass at a time, validates each batch (finite values, weights finite and `>= 0`, the
//! promised sizes), and checks that every pass sees the same points as the first (a file
//! that changes between passes is an error, not a silent wrong result).
//!
//! A source says what a NaN among its values means ([`DataSource::missing_policy`]):
//! refused by default; under [`MissingPolicy::Marginalise`] a missing coordinate, which the
//! E-step of a batch marginalises exactly as it does for a [`Dataset`] in memory
//! (docs/em.md, "Missing values").
//!
//! The fits ask for batches of a size that depends only on D (the E-step's batch), and cut
//! them into the same chunks as data in memory, so a streamed fit and an in-memory fit from
//! the same start agree bit for bit, whatever the source's own read size.

use crate::data::{Dataset, MissingPolicy, ObservedColumnSums, check_sample_weights};
use crate::error::{GmmError, Result};

/// The precision of points: what a source hands out, and what the E-step computes in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Precision {
    /// Double precision (`f64`): the default.
    #[default]
    F64,
    /// Single precision (`f32`): half the memory and twice the points per vector register;
    /// the E-step then runs in `f32` lanes where the model allows it (docs/performance.md,
    /// "float32").
    F32,
}

/// Row-major point values of one batch, in the precision the source holds them.
#[derive(Debug, Clone, Copy)]
pub enum Points<'a> {
    /// Double precision.
    F64(&'a [f64]),
    /// Single precision.
    F32(&'a [f32]),
}

impl<'a> Points<'a> {
    /// Number of values.
    pub fn len(&self) -> usize {
        match self {
            Self::F64(v) => v.len(),
            Self::F32(v) => v.len(),
        }
    }

    /// Whether there are no values.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Their precision.
    pub fn precision(&self) -> Precision {
        match self {
            Self::F64(_) => Precision::F64,
            Self::F32(_) => Precision::F32,
        }
    }

    /// The values as `f64`: borrowed when they are, widened (exactly) into a new vector when
    /// they are `f32`.
    pub fn widened(&self) -> std::borrow::Cow<'a, [f64]> {
        match *self {
            Self::F64(v) => std::borrow::Cow::Borrowed(v),
            Self::F32(v) => std::borrow::Cow::Owned(v.iter().map(|&x| f64::from(x)).collect()),
        }
    }

    /// The first `n` values (all of them if there are fewer) as `f64`, widened exactly when
    /// they are `f32`; the rest are not touched (a batch's first point, without widening
    /// the whole batch).
    pub fn widened_prefix(&self, n: usize) -> Vec<f64> {
        match *self {
            Self::F64(v) => v[..n.min(v.len())].to_vec(),
            Self::F32(v) => v.iter().take(n).map(|&x| f64::from(x)).collect(),
        }
    }

    /// Index of the first value that is NaN or infinite.
    pub fn first_non_finite(&self) -> Option<usize> {
        match self {
            Self::F64(v) => v.iter().position(|x| !x.is_finite()),
            Self::F32(v) => v.iter().position(|x| !x.is_finite()),
        }
    }

    /// Value `i` as `f64`.
    pub fn value(&self, i: usize) -> f64 {
        match self {
            Self::F64(v) => v[i],
            Self::F32(v) => f64::from(v[i]),
        }
    }
}

impl<'a> From<&'a [f64]> for Points<'a> {
    fn from(v: &'a [f64]) -> Self {
        Self::F64(v)
    }
}

impl<'a> From<&'a [f32]> for Points<'a> {
    fn from(v: &'a [f32]) -> Self {
        Self::F32(v)
    }
}

/// Consecutive points of one pass, handed out by a [`DataSource`].
#[derive(Debug, Clone, Copy)]
pub struct Batch<'a> {
    /// Index of the batch's first point in the pass (0-based).
    pub first_row: usize,
    /// The points, row-major: D values per point.
    pub points: Points<'a>,
    /// One weight per point, when the source has weights.
    pub weights: Option<&'a [f64]>,
}

impl Batch<'_> {
    /// Number of points in the batch.
    pub fn n_rows(&self, n_features: usize) -> usize {
        self.points.len() / n_features
    }
}

/// A source of points that can be read from the start again, pass after pass: data in
/// memory ([`Dataset`], [`SliceSource`]), or a file read in pieces (the `gmm-io` crate).
///
/// Implementors hand out every point once per call of [`DataSource::for_each_batch`], in
/// the same order every time, in batches of exactly `batch_rows` points but the last (which
/// may be shorter). They need not validate the values: [`Passes`] does.
pub trait DataSource {
    /// Dimension D of the points.
    fn n_features(&self) -> usize;

    /// Whether the batches carry weights.
    fn has_weights(&self) -> bool;

    /// One pass over every point, from the first, in batches of `batch_rows` points (the
    /// last may be shorter), each handed to `visit`; an error of `visit` ends the pass and
    /// is returned.
    ///
    /// # Errors
    /// Reading errors of the source (naming the file and the place), or `visit`'s.
    fn for_each_batch(
        &mut self,
        batch_rows: usize,
        visit: &mut dyn FnMut(Batch<'_>) -> Result<()>,
    ) -> Result<()>;

    /// The data, when they are already in memory and validated (lets a fit use what needs
    /// the whole data, such as k-means initialisation, without a sample).
    fn in_memory(&self) -> Option<&Dataset> {
        None
    }

    /// Whether every pass hands out the same values because they are borrowed memory that
    /// nothing can change while the source lives (a [`SliceSource`], an ndarray view), so
    /// that once one whole pass has checked them [`Passes`] need not check them again. A
    /// file can change between passes; data [`DataSource::in_memory`] were checked when
    /// they were made. False unless an implementor says otherwise.
    fn unchanging(&self) -> bool {
        false
    }

    /// What a NaN among the values means: refused ([`MissingPolicy::Refuse`], the default)
    /// or a missing coordinate ([`MissingPolicy::Marginalise`]; infinite values and rows
    /// without an observed value are still refused). [`Passes`] validates the batches by it.
    fn missing_policy(&self) -> MissingPolicy {
        MissingPolicy::Refuse
    }
}

impl DataSource for &Dataset {
    fn n_features(&self) -> usize {
        Dataset::n_features(self)
    }

    fn has_weights(&self) -> bool {
        self.weights().is_some()
    }

    fn for_each_batch(
        &mut self,
        batch_rows: usize,
        visit: &mut dyn FnMut(Batch<'_>) -> Result<()>,
    ) -> Result<()> {
        slice_batches(
            Points::F64(self.as_slice()),
            self.weights(),
            Dataset::n_features(self),
            batch_rows,
            visit,
        )
    }

    fn in_memory(&self) -> Option<&Dataset> {
        Some(self)
    }

    /// [`MissingPolicy::Marginalise`] when the data set has missing coordinates.
    fn missing_policy(&self) -> MissingPolicy {
        if self.has_missing() {
            MissingPolicy::Marginalise
        } else {
            MissingPolicy::Refuse
        }
    }
}

/// A boxed source is a source (a source chosen at run time, such as a file by its format,
/// can be wrapped, for example with weights read from another file).
impl<S: DataSource + ?Sized> DataSource for Box<S> {
    fn n_features(&self) -> usize {
        (**self).n_features()
    }

    fn has_weights(&self) -> bool {
        (**self).has_weights()
    }

    fn for_each_batch(
        &mut self,
        batch_rows: usize,
        visit: &mut dyn FnMut(Batch<'_>) -> Result<()>,
    ) -> Result<()> {
        (**self).for_each_batch(batch_rows, visit)
    }

    fn in_memory(&self) -> Option<&Dataset> {
        (**self).in_memory()
    }

    fn unchanging(&self) -> bool {
        (**self).unchanging()
    }

    fn missing_policy(&self) -> MissingPolicy {
        (**self).missing_policy()
    }
}

/// Points borrowed from memory without a copy: row-major values (D per point) and optional
/// weights, for example a NumPy array or an ndarray view in standard layout.
///
/// ```
/// use gmm_core::{DataSource, Passes, SliceSource};
/// let values = [0.0, 1.0, 2.0, 3.0, 4.0, 5.0];
/// let mut source = SliceSource::new(&values, 2)?;
/// let summary = Passes::new(&mut source).summary()?;
/// assert_eq!(summary.n_samples, 3);
/// # Ok::<(), gmm_core::GmmError>(())
/// ```
#[derive(Debug, Clone, Copy)]
pub struct SliceSource<'a> {
    values: Points<'a>,
    n_features: usize,
    weights: Option<&'a [f64]>,
    missing: MissingPolicy,
}

impl<'a> SliceSource<'a> {
    /// Borrows `values` as points of dimension `n_features`.
    ///
    /// # Errors
    /// [`GmmError::ZeroFeatures`], [`GmmError::EmptyData`], or [`GmmError::ShapeMismatch`]
    /// when the length is not a multiple of `n_features`. Values are checked as they are
    /// read.
    pub fn new(values: &'a [f64], n_features: usize) -> Result<Self> {
        Self::of_points(Points::F64(values), n_features)
    }

    /// Borrows single-precision `values` as points of dimension `n_features`: a fit reading
    /// them runs its E-step in `f32` lanes where the model allows it (a float32 NumPy array
    /// or `.npy` file, without a copy).
    ///
    /// # Errors
    /// As [`SliceSource::new`].
    pub fn from_f32(values: &'a [f32], n_features: usize) -> Result<Self> {
        Self::of_points(Points::F32(values), n_features)
    }

    /// Borrows `values` of either precision as points of dimension `n_features`.
    ///
    /// # Errors
    /// As [`SliceSource::new`].
    pub fn of_points(values: Points<'a>, n_features: usize) -> Result<Self> {
        if n_features == 0 {
            return Err(GmmError::ZeroFeatures);
        }
        if values.is_empty() {
            return Err(GmmError::EmptyData);
        }
        if !values.len().is_multiple_of(n_features) {
            return Err(GmmError::ShapeMismatch {
                what: format!("number of values for points of dimension {n_features}"),
                expected: values.len() / n_features * n_features + n_features,
                found: values.len(),
            });
        }
        Ok(Self {
            values,
            n_features,
            weights: None,
            missing: MissingPolicy::Refuse,
        })
    }

    /// The same points with NaN read as `policy` says ([`DataSource::missing_policy`]).
    pub fn with_missing(mut self, policy: MissingPolicy) -> Self {
        self.missing = policy;
        self
    }

    /// The same points with one frequency weight each (checked as they are read).
    ///
    /// # Errors
    /// [`GmmError::ShapeMismatch`] when there is not one weight per point.
    pub fn with_weights(mut self, weights: &'a [f64]) -> Result<Self> {
        let n = self.values.len() / self.n_features;
        if weights.len() != n {
            return Err(GmmError::ShapeMismatch {
                what: "number of sample weights against the number of points".into(),
                expected: n,
                found: weights.len(),
            });
        }
        self.weights = Some(weights);
        Ok(self)
    }
}

impl DataSource for SliceSource<'_> {
    fn n_features(&self) -> usize {
        self.n_features
    }

    fn has_weights(&self) -> bool {
        self.weights.is_some()
    }

    fn for_each_batch(
        &mut self,
        batch_rows: usize,
        visit: &mut dyn FnMut(Batch<'_>) -> Result<()>,
    ) -> Result<()> {
        slice_batches(
            self.values,
            self.weights,
            self.n_features,
            batch_rows,
            visit,
        )
    }

    /// Borrowed: the values cannot change while the source lives.
    fn unchanging(&self) -> bool {
        true
    }

    fn missing_policy(&self) -> MissingPolicy {
        self.missing
    }
}

/// Batches of `batch_rows` points of row-major `values` (and their weights).
fn slice_batches(
    values: Points<'_>,
    weights: Option<&[f64]>,
    d: usize,
    batch_rows: usize,
    visit: &mut dyn FnMut(Batch<'_>) -> Result<()>,
) -> Result<()> {
    let batch_rows = batch_rows.max(1);
    let n = values.len() / d;
    for first_row in (0..n).step_by(batch_rows) {
        let rows = batch_rows.min(n - first_row);
        let (from, to) = (first_row * d, (first_row + rows) * d);
        visit(Batch {
            first_row,
            points: match values {
                Points::F64(v) => Points::F64(&v[from..to]),
                Points::F32(v) => Points::F32(&v[from..to]),
            },
            weights: weights.map(|w| &w[first_row..first_row + rows]),
        })?;
    }
    Ok(())
}

/// What one pass over a source saw. The columns' ranges and what it says of missing values
/// are tracked by the first pass only ([`Passes::summary`]); a later pass leaves them empty.
#[derive(Debug, Clone, PartialEq)]
pub struct PassSummary {
    /// Number of points.
    pub n_samples: usize,
    /// Number of points of positive weight (all of them without weights).
    pub n_counted: usize,
    /// Sum of the weights (N without weights).
    pub total_weight: f64,
    /// Smallest value of each column.
    pub column_low: Vec<f64>,
    /// Largest value of each column.
    pub column_high: Vec<f64>,
    /// Number of points with a missing coordinate (NaN under
    /// [`MissingPolicy::Marginalise`]; 0 otherwise).
    pub n_incomplete: usize,
    /// Number of points without a missing coordinate and of positive weight.
    pub n_complete_counted: usize,
    /// The first point without a missing coordinate (`None` when every point misses one).
    pub first_complete: Option<Vec<f64>>,
    /// The mean of each column over its observed values, weighted (the weights as the
    /// fit's passes rescale them), summed row after row as [`Dataset::mean_imputed`]
    /// sums them: what a missing value is replaced by in a start from mean-imputed rows.
    pub observed_means: Vec<f64>,
}

impl PassSummary {
    /// The point a fit's statistics are stored relative to when some coordinates are
    /// missing: the first complete point, else the observed means (as for a [`Dataset`]).
    pub fn finite_origin(&self) -> Vec<f64> {
        self.first_complete
            .clone()
            .unwrap_or_else(|| self.observed_means.clone())
    }
}

/// Passes over a [`DataSource`]: each batch validated, every pass checked against the
/// first.
///
/// Passes made [`Passes::rescaling_weights`] (a fit's, which reads all the data) rescale
/// weights as [`crate::rescaled_weights`] rescales weights in memory: when the largest is
/// above [`crate::WEIGHT_RESCALE_ABOVE`] or the smallest positive below
/// [`crate::WEIGHT_RESCALE_BELOW`], every batch's weights are divided by the largest before
/// `visit` sees them (only their ratios matter), so that their sums cannot overflow nor
/// lose denormal weights, and a streamed fit equals the in-memory fit of the same weights.
/// The largest is found by the first pass, which runs on its own (as [`Passes::summary`])
/// before any pass that visits. Plain passes keep the weights as given: the statistics of
/// one chunk among several (a map step) must not be rescaled by the chunk's own largest.
pub struct Passes<'s> {
    source: &'s mut dyn DataSource,
    first: Option<PassSummary>,
    passes: usize,
    /// What every weight is divided by (1 when the weights keep their scale); `None`
    /// before the first pass over a weighted source.
    weight_divisor: Option<f64>,
    /// The rescaled weights of the batch being visited.
    scaled: Vec<f64>,
    /// Whether the weights are read whole into a [`Dataset`], which rescales them: their
    /// total may pass f64 here.
    rescaled_later: bool,
    /// What a NaN means: the source's [`DataSource::missing_policy`].
    missing: MissingPolicy,
}

impl<'s> Passes<'s> {
    /// Passes over `source` (none run yet).
    pub fn new(source: &'s mut dyn DataSource) -> Self {
        let missing = source.missing_policy();
        Self {
            missing,
            source,
            first: None,
            passes: 0,
            weight_divisor: Some(1.0),
            scaled: Vec::new(),
            rescaled_later: false,
        }
    }

    /// These passes for a read of all the points into a [`Dataset`], whose
    /// [`Dataset::with_weights`] rescales the weights: a total of the weights beyond f64 is
    /// no error (and a pipe is read once: no pass runs to find the scale).
    pub fn rescaled_later(mut self) -> Self {
        self.rescaled_later = true;
        self
    }

    /// These passes with the weights rescaled when their scale calls for it (see the
    /// type's documentation): for passes over all the data (a fit, a whole read). Weights
    /// in memory were rescaled by [`Dataset::with_weights`] already.
    pub fn rescaling_weights(mut self) -> Self {
        let weighted = self.source.has_weights() && self.source.in_memory().is_none();
        if weighted && self.first.is_none() {
            self.weight_divisor = None;
        }
        self
    }

    /// Dimension D.
    pub fn n_features(&self) -> usize {
        self.source.n_features()
    }

    /// Whether the points carry weights.
    pub fn has_weights(&self) -> bool {
        self.source.has_weights()
    }

    /// The data, when the source holds them in memory.
    pub fn in_memory(&self) -> Option<&Dataset> {
        self.source.in_memory()
    }

    /// What a NaN among the values means (the source's [`DataSource::missing_policy`]).
    pub fn missing_policy(&self) -> MissingPolicy {
        self.missing
    }

    /// Whether the points have missing coordinates: the policy is
    /// [`MissingPolicy::Marginalise`] and the first pass (run if none has) saw a NaN.
    ///
    /// # Errors
    /// As [`Passes::summary`].
    pub fn has_missing(&mut self) -> Result<bool> {
        Ok(self.missing == MissingPolicy::Marginalise && self.summary()?.n_incomplete > 0)
    }

    /// Number of passes run so far.
    pub fn passes_run(&self) -> usize {
        self.passes
    }

    /// What the first pass saw, running one (that only looks) if none has run.
    ///
    /// # Errors
    /// As [`Passes::run`].
    pub fn summary(&mut self) -> Result<PassSummary> {
        if self.weight_divisor.is_none() {
            self.find_weight_divisor()?;
        }
        if self.first.is_none() {
            self.run_checked(1 << 16, &mut |_| Ok(()))?;
        }
        Ok(self.first.clone().expect("a pass has run"))
    }

    /// Finds what the weights are divided by: one pass that only looks, then, when they
    /// must be rescaled, the first pass again over the rescaled weights (its sums are those
    /// every later pass must see).
    fn find_weight_divisor(&mut self) -> Result<()> {
        let (mut largest, mut smallest) = (0.0f64, f64::INFINITY);
        // the divisor unknown (None) while this pass runs: a total beyond f64 is no error yet
        self.run_checked(1 << 16, &mut |batch| {
            for &w in batch.weights.unwrap_or(&[]) {
                largest = largest.max(w);
                if w > 0.0 {
                    smallest = smallest.min(w);
                }
            }
            Ok(())
        })?;
        match crate::data::weight_divisor(largest, smallest) {
            Some(divisor) => {
                self.weight_divisor = Some(divisor);
                self.first = None;
                self.passes = 0;
                self.run_checked(1 << 16, &mut |_| Ok(()))?;
            }
            None => self.weight_divisor = Some(1.0),
        }
        Ok(())
    }

    /// One pass in batches of `batch_rows` points, each validated then handed to `visit`.
    ///
    /// # Errors
    /// [`GmmError::NonFinite`] or [`GmmError::InvalidSampleWeight`] naming the row,
    /// [`GmmError::EmptyData`], [`GmmError::ZeroTotalWeight`], [`GmmError::SourceChanged`]
    /// when this pass saw other points than the first, errors of the source and of `visit`.
    pub fn run(
        &mut self,
        batch_rows: usize,
        visit: &mut dyn FnMut(Batch<'_>) -> Result<()>,
    ) -> Result<PassSummary> {
        if self.weight_divisor.is_none() {
            self.find_weight_divisor()?;
        }
        self.run_checked(batch_rows, visit)
    }

    /// [`Passes::run`] once the weights' divisor is known.
    fn run_checked(
        &mut self,
        batch_rows: usize,
        visit: &mut dyn FnMut(Batch<'_>) -> Result<()>,
    ) -> Result<PassSummary> {
        let divisor = self.weight_divisor.unwrap_or(1.0);
        let scaled = &mut self.scaled;
        let d = self.source.n_features();
        // Checked already: data in memory when they were made; borrowed values that cannot
        // change by the first whole pass (the f32 E-step spent about 8 % of its time checking
        // the same values again every pass).
        let trusted =
            self.source.in_memory().is_some() || (self.source.unchanging() && self.first.is_some());
        let has_weights = self.source.has_weights();
        let mut seen = PassSummary {
            n_samples: 0,
            n_counted: 0,
            total_weight: 0.0,
            column_low: vec![f64::INFINITY; d],
            column_high: vec![f64::NEG_INFINITY; d],
            n_incomplete: 0,
            n_complete_counted: 0,
            first_complete: None,
            observed_means: Vec::new(),
        };
        let mut observed = self.first.is_none().then(|| ObservedColumnSums::new(d));
        let rules = BatchRules {
            d,
            batch_rows,
            has_weights,
            trusted,
            missing: self.missing,
        };
        self.source.for_each_batch(batch_rows, &mut |batch| {
            check_batch(&batch, &rules, &seen)?;
            let batch = match batch.weights {
                Some(w) if divisor != 1.0 => {
                    scaled.clear();
                    scaled.extend(w.iter().map(|w| w / divisor));
                    Batch {
                        weights: Some(scaled),
                        ..batch
                    }
                }
                _ => batch,
            };
            tally(&batch, d, observed.as_mut(), &mut seen);
            visit(batch)
        })?;
        if let Some(observed) = observed {
            seen.observed_means = observed.means();
        }
        self.passes += 1;
        if seen.n_samples == 0 {
            return Err(GmmError::EmptyData);
        }
        if seen.n_counted == 0 {
            return Err(GmmError::ZeroTotalWeight {
                n_samples: seen.n_samples,
            });
        }
        let checked = self.weight_divisor.is_some() && !self.rescaled_later;
        if !seen.total_weight.is_finite() && checked {
            return Err(GmmError::InvalidParameter {
                name: "sample_weight",
                value: "a total beyond the largest f64".into(),
                reason: "the weights of a streamed source sum beyond 1.8e308: only their \
                         ratios matter, so divide them by their largest (a fit's passes and \
                         data held in memory are rescaled so: gmm_core::rescaled_weights)"
                    .into(),
            });
        }
        match &self.first {
            None => self.first = Some(seen.clone()),
            Some(first) => check_same_pass(first, &seen, self.passes)?,
        }
        Ok(seen)
    }
}

/// What a batch of one pass must be.
struct BatchRules {
    /// Dimension D.
    d: usize,
    /// The batch size asked for.
    batch_rows: usize,
    /// Whether the source has weights.
    has_weights: bool,
    /// Whether the values were validated already (only the sizes are checked).
    trusted: bool,
    /// What a NaN means.
    missing: MissingPolicy,
}

/// Checks one batch: its place, its size, its values (finite, or NaN for a missing value
/// under [`MissingPolicy::Marginalise`]; unless already validated) and its weights.
fn check_batch(batch: &Batch<'_>, rules: &BatchRules, seen: &PassSummary) -> Result<()> {
    let (d, batch_rows) = (rules.d, rules.batch_rows);
    let rows = batch.points.len() / d;
    let broken = |reason: String| GmmError::SourceChanged { reason };
    if batch.first_row != seen.n_samples
        || !batch.points.len().is_multiple_of(d)
        || rows == 0
        || rows > batch_rows
    {
        return Err(broken(format!(
            "the source handed out {} values from row {} where {} whole rows of {d} from row {} \
             were due (a bug of the data source)",
            batch.points.len(),
            batch.first_row,
            batch_rows,
            seen.n_samples
        )));
    }
    if !seen.n_samples.is_multiple_of(batch_rows) {
        return Err(broken(format!(
            "the source handed out a short batch before row {}, not at the end (a bug of the \
             data source)",
            seen.n_samples
        )));
    }
    if batch.weights.is_some() != rules.has_weights
        || batch.weights.is_some_and(|w| w.len() != rows)
    {
        return Err(broken(format!(
            "the weights of the batch from row {} do not match its {rows} points",
            batch.first_row
        )));
    }
    if !rules.trusted {
        match rules.missing {
            MissingPolicy::Refuse => check_finite(batch, d)?,
            MissingPolicy::Marginalise => check_missing(batch, d)?,
        }
        if let Some(w) = batch.weights {
            check_sample_weights(w, batch.first_row)?;
        }
    }
    Ok(())
}

/// Checks that every value of `batch` is finite.
fn check_finite(batch: &Batch<'_>, d: usize) -> Result<()> {
    match batch.points.first_non_finite() {
        Some(pos) => Err(GmmError::NonFinite {
            row: batch.first_row + pos / d,
            column: pos % d,
            value: batch.points.value(pos),
        }),
        None => Ok(()),
    }
}

/// Checks the values of `batch` where a NaN marks a missing value: none infinite, no row
/// without an observed value (the rules of [`Dataset::from_row_major_with_policy`]).
fn check_missing(batch: &Batch<'_>, d: usize) -> Result<()> {
    for n in 0..batch.points.len() / d {
        let mut observed = false;
        for j in 0..d {
            let value = batch.points.value(n * d + j);
            if value.is_infinite() {
                let row = batch.first_row + n;
                return Err(GmmError::NonFinite {
                    row,
                    column: j,
                    value,
                });
            }
            observed |= !value.is_nan();
        }
        if !observed {
            return Err(GmmError::AllMissingRow {
                row: batch.first_row + n,
            });
        }
    }
    Ok(())
}

/// Adds a (valid) batch to what the pass has seen; the first pass (`observed` given) also
/// the columns' ranges and what [`PassSummary`] says of missing values.
fn tally(
    batch: &Batch<'_>,
    d: usize,
    observed: Option<&mut ObservedColumnSums>,
    seen: &mut PassSummary,
) {
    let rows = batch.points.len() / d;
    seen.n_samples += rows;
    match batch.weights {
        Some(w) => {
            seen.n_counted += w.iter().filter(|w| **w > 0.0).count();
            seen.total_weight += w.iter().sum::<f64>();
        }
        None => {
            seen.n_counted += rows;
            seen.total_weight += rows as f64;
        }
    }
    let Some(observed) = observed else {
        return;
    };
    let values = batch.points.widened();
    for (n, x) in values.chunks_exact(d).enumerate() {
        for ((low, high), v) in seen.column_low.iter_mut().zip(&mut seen.column_high).zip(x) {
            // min and max pass over NaN: the ranges are the observed values'
            *low = low.min(*v);
            *high = high.max(*v);
        }
        let w = batch.weights.map_or(1.0, |w| w[n]);
        observed.add_row(x, w);
        if x.iter().any(|v| v.is_nan()) {
            seen.n_incomplete += 1;
        } else {
            if w > 0.0 {
                seen.n_complete_counted += 1;
            }
            if seen.first_complete.is_none() {
                seen.first_complete = Some(x.to_vec());
            }
        }
    }
}

/// Checks that pass number `pass` saw what the first did.
fn check_same_pass(first: &PassSummary, now: &PassSummary, pass: usize) -> Result<()> {
    if first.n_samples != now.n_samples || first.total_weight != now.total_weight {
        return Err(GmmError::SourceChanged {
            reason: format!(
                "pass {pass} read {} points of total weight {}, the first pass {} of total \
                 weight {}: the data changed while the fit read them (do not modify a file \
                 being fitted)",
                now.n_samples, now.total_weight, first.n_samples, first.total_weight
            ),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_of_either_precision_answer_alike() {
        let wide = [1.5, -2.0, f64::NAN, 4.0];
        let narrow = [1.5f32, -2.0, f32::INFINITY, 4.0];
        for (points, precision) in [
            (Points::from(&wide[..]), Precision::F64),
            (Points::from(&narrow[..]), Precision::F32),
        ] {
            assert_eq!((points.len(), points.is_empty()), (4, false));
            assert_eq!(points.precision(), precision);
            assert_eq!(points.value(1), -2.0);
            assert_eq!(points.first_non_finite(), Some(2));
            assert_eq!(points.widened()[3], 4.0);
            assert_eq!(points.widened_prefix(2), [1.5, -2.0]);
            assert_eq!(points.widened_prefix(9).len(), 4);
            assert!(points.widened_prefix(0).is_empty());
        }
        assert!(Points::F32(&[]).is_empty());
        // f32 slices hand out f32 batches, refused as f64 would be on a non-finite value
        let values = [1.0f32, 2.0, 3.0, f32::NAN];
        let mut source = SliceSource::from_f32(&values, 2).unwrap();
        let err = Passes::new(&mut source).summary().unwrap_err();
        assert!(
            matches!(
                err,
                GmmError::NonFinite {
                    row: 1,
                    column: 1,
                    ..
                }
            ),
            "{err}"
        );
        let mut seen = Vec::new();
        let ok = [1.0f32, 2.0, 3.0, 4.0];
        Passes::new(&mut SliceSource::from_f32(&ok, 2).unwrap())
            .run(1, &mut |b| {
                seen.push(b.points.precision());
                Ok(())
            })
            .unwrap();
        assert_eq!(seen, [Precision::F32, Precision::F32]);
    }

    #[test]
    fn streamed_weights_whose_total_overflows_are_refused_saying_to_rescale() {
        let values = [0.0, 1.0, 2.0];
        let weights = [1e308, 1e308, 1e308];
        let mut source = SliceSource::new(&values, 1)
            .unwrap()
            .with_weights(&weights)
            .unwrap();
        let err = Passes::new(&mut source)
            .run(2, &mut |_| Ok(()))
            .unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("sample_weight") && text.contains("ratios"),
            "{text}"
        );
    }

    #[test]
    fn a_pass_validates_and_counts() {
        let values = [0.0, 1.0, 2.0, f64::NAN, 4.0, 5.0];
        let mut source = SliceSource::new(&values, 2).unwrap();
        let err = Passes::new(&mut source)
            .run(2, &mut |_| Ok(()))
            .unwrap_err();
        assert!(matches!(
            err,
            GmmError::NonFinite {
                row: 1,
                column: 1,
                ..
            }
        ));

        let values = [0.0, 1.0, 2.0, 3.0, 4.0, 5.0];
        let weights = [1.0, -1.0, 2.0];
        let mut source = SliceSource::new(&values, 2)
            .unwrap()
            .with_weights(&weights)
            .unwrap();
        let err = Passes::new(&mut source)
            .run(1, &mut |_| Ok(()))
            .unwrap_err();
        assert_eq!(
            err,
            GmmError::InvalidSampleWeight {
                row: 1,
                value: -1.0
            }
        );

        let weights = [1.0, 0.0, 2.0];
        let mut source = SliceSource::new(&values, 2)
            .unwrap()
            .with_weights(&weights)
            .unwrap();
        let mut passes = Passes::new(&mut source);
        let summary = passes.summary().unwrap();
        assert_eq!((summary.n_samples, summary.n_counted), (3, 2));
        assert_eq!(summary.total_weight, 3.0);
        assert_eq!(summary.column_low, vec![0.0, 1.0]);
        assert_eq!(summary.column_high, vec![4.0, 5.0]);
    }

    /// A source whose passes after the first hand out a NaN, claiming (or not) to be
    /// unchanging: what `Passes` checks again and what it trusts.
    struct SpoiledLater {
        passes: usize,
        unchanging: bool,
    }

    impl DataSource for SpoiledLater {
        fn n_features(&self) -> usize {
            1
        }
        fn has_weights(&self) -> bool {
            false
        }
        fn for_each_batch(
            &mut self,
            batch_rows: usize,
            visit: &mut dyn FnMut(Batch<'_>) -> Result<()>,
        ) -> Result<()> {
            let last = if self.passes == 0 { 3.0 } else { f64::NAN };
            self.passes += 1;
            slice_batches(Points::F64(&[1.0, 2.0, last]), None, 1, batch_rows, visit)
        }
        fn unchanging(&self) -> bool {
            self.unchanging
        }
    }

    #[test]
    fn an_unchanging_source_is_checked_by_its_first_whole_pass_only() {
        let mut changing = SpoiledLater {
            passes: 0,
            unchanging: false,
        };
        let mut passes = Passes::new(&mut changing);
        passes.run(2, &mut |_| Ok(())).unwrap();
        let err = passes.run(2, &mut |_| Ok(())).unwrap_err();
        assert!(matches!(err, GmmError::NonFinite { row: 2, .. }), "{err}");

        let mut unchanging = SpoiledLater {
            passes: 0,
            unchanging: true,
        };
        let mut passes = Passes::new(&mut unchanging);
        passes.run(2, &mut |_| Ok(())).unwrap();
        // trusted: the source promised its values stay as the first pass checked them
        passes.run(2, &mut |_| Ok(())).unwrap();

        // Borrowed memory says so; a NaN there is found by the first pass all the same.
        let values = [1.0f32, f32::NAN];
        let source = SliceSource::from_f32(&values, 1).unwrap();
        assert!(source.unchanging());
        let err = Passes::new(&mut { source })
            .run(1, &mut |_| Ok(()))
            .unwrap_err();
        assert!(matches!(err, GmmError::NonFinite { row: 1, .. }), "{err}");
    }

    /// A source whose second pass loses its last point.
    struct Shrinking(usize);

    impl DataSource for Shrinking {
        fn n_features(&self) -> usize {
            1
        }
        fn has_weights(&self) -> bool {
            false
        }
        fn for_each_batch(
            &mut self,
            batch_rows: usize,
            visit: &mut dyn FnMut(Batch<'_>) -> Result<()>,
        ) -> Result<()> {
            let values: Vec<f64> = (0..self.0).map(|i| i as f64).collect();
            self.0 -= 1;
            slice_batches(Points::F64(&values), None, 1, batch_rows, visit)
        }
    }

    #[test]
    fn a_source_that_changes_between_passes_is_an_error() {
        let mut source = Shrinking(10);
        let mut passes = Passes::new(&mut source);
        passes.run(4, &mut |_| Ok(())).unwrap();
        let err = passes.run(4, &mut |_| Ok(())).unwrap_err();
        assert!(matches!(err, GmmError::SourceChanged { .. }), "{err:?}");
        assert!(err.to_string().contains("pass 2 read 9 points"), "{err}");
    }

    #[test]
    fn a_first_pass_summarises_missing_values_as_the_data_set_does() {
        let nan = f64::NAN;
        let values = [nan, 1.5, 2.0, nan, 0.25, 3.0, 7.0, -1.0, nan, 4.0];
        let weights = [1.0, 3.0, 0.0, 2.0, 0.5];
        let mut source = SliceSource::new(&values, 2)
            .unwrap()
            .with_weights(&weights)
            .unwrap()
            .with_missing(MissingPolicy::Marginalise);
        let mut passes = Passes::new(&mut source);
        assert!(passes.has_missing().unwrap());
        let summary = passes.summary().unwrap();
        assert_eq!((summary.n_incomplete, summary.n_complete_counted), (3, 1));
        assert_eq!(summary.first_complete.as_deref(), Some(&[0.25, 3.0][..]));
        assert_eq!((summary.column_low[0], summary.column_high[0]), (0.25, 7.0));
        let data =
            Dataset::from_row_major_with_policy(5, 2, values.to_vec(), MissingPolicy::Marginalise)
                .unwrap()
                .with_weights(weights.to_vec())
                .unwrap();
        let imputed = data.mean_imputed();
        // the fill of row 0, column 0 and row 1, column 1: the same bits
        assert_eq!(
            summary.observed_means[0].to_bits(),
            imputed.row(0)[0].to_bits()
        );
        assert_eq!(
            summary.observed_means[1].to_bits(),
            imputed.row(1)[1].to_bits()
        );
        assert_eq!(summary.finite_origin(), data.finite_origin());
        // the same values under the default policy: the first NaN is refused
        let mut refusing = SliceSource::new(&values, 2).unwrap();
        let err = Passes::new(&mut refusing).summary().unwrap_err();
        assert!(
            matches!(
                err,
                GmmError::NonFinite {
                    row: 0,
                    column: 0,
                    ..
                }
            ),
            "{err}"
        );
    }

    #[test]
    fn data_in_memory_come_in_the_batches_asked_for() {
        let data = Dataset::from_slice_1d(&[1.0, 2.0, 3.0, 4.0, 5.0]).unwrap();
        let mut source = &data;
        let mut sizes = Vec::new();
        Passes::new(&mut source)
            .run(2, &mut |b| {
                sizes.push((b.first_row, b.points.len()));
                Ok(())
            })
            .unwrap();
        assert_eq!(sizes, vec![(0, 2), (2, 2), (4, 1)]);
    }
}
