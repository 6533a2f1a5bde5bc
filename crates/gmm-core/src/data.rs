//! Validated data: N points of dimension D, stored point by point.
//!
//! # Layout
//! Points are stored row-major in one contiguous `Vec<f64>`: point `n` occupies
//! `values[n * D .. (n + 1) * D]`. The E-step visits one point at a time against every
//! component, so keeping each point contiguous makes its inner loops run over unit-stride
//! memory, and a chunk of consecutive points is one contiguous slice that fits in cache.

use std::borrow::Cow;

use nalgebra::{DMatrix, DVector};

use crate::error::{GmmError, Result};

mod missing;

pub use missing::{MissingPattern, MissingPolicy};
pub(crate) use missing::{MissingRows, ObservedColumnSums};

/// Largest spread of a column that fitting accepts: its square times any realistic number of
/// points and features stays far below `f64::MAX` (about 1.8e308).
pub const MAX_COLUMN_RANGE: f64 = 1e150;

/// A validated data set: at least one point, at least one feature, all values finite.
///
/// # Examples
/// ```
/// use gmm_core::Dataset;
/// let data = Dataset::from_rows(&[vec![1.0, 2.0], vec![3.0, 4.0]])?;
/// assert_eq!((data.n_samples(), data.n_features()), (2, 2));
/// assert_eq!(data.row(1), &[3.0, 4.0]);
///
/// let bad = Dataset::from_rows(&[vec![1.0, 2.0], vec![3.0]]);
/// assert!(bad.is_err());
/// # Ok::<(), gmm_core::GmmError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    values: Vec<f64>,
    n_samples: usize,
    n_features: usize,
    /// Frequency weights, one per point; `None` when every point counts once.
    weights: Option<Vec<f64>>,
    /// The rows with missing coordinates (NaN), grouped by pattern; `None` when every
    /// value is observed.
    missing: Option<MissingRows>,
}

impl Dataset {
    /// Builds a data set from rows, one point per row.
    ///
    /// # Errors
    /// [`GmmError::EmptyData`], [`GmmError::ZeroFeatures`], [`GmmError::RaggedRow`] or
    /// [`GmmError::NonFinite`] naming the first offending row and column.
    pub fn from_rows<R: AsRef<[f64]>>(rows: &[R]) -> Result<Self> {
        let first = rows.first().ok_or(GmmError::EmptyData)?.as_ref().len();
        let mut values = Vec::with_capacity(rows.len() * first);
        for (i, row) in rows.iter().enumerate() {
            let row = row.as_ref();
            if row.len() != first {
                return Err(GmmError::RaggedRow {
                    row: i,
                    expected: first,
                    found: row.len(),
                });
            }
            values.extend_from_slice(row);
        }
        Self::from_row_major(rows.len(), first, values)
    }

    /// Builds a univariate data set (D = 1) from a slice of values.
    ///
    /// ```
    /// let data = gmm_core::Dataset::from_slice_1d(&[0.5, -1.0, 2.0])?;
    /// assert_eq!((data.n_samples(), data.n_features()), (3, 1));
    /// # Ok::<(), gmm_core::GmmError>(())
    /// ```
    pub fn from_slice_1d(values: &[f64]) -> Result<Self> {
        Self::from_row_major(values.len(), 1, values.to_vec())
    }

    /// Builds a data set from a matrix with one point per row.
    pub fn from_matrix(matrix: &DMatrix<f64>) -> Result<Self> {
        let (n, d) = matrix.shape();
        let mut values = Vec::with_capacity(n * d);
        for i in 0..n {
            values.extend(matrix.row(i).iter().copied());
        }
        Self::from_row_major(n, d, values)
    }

    /// Builds a data set from `n_samples * n_features` values stored point by point.
    pub fn from_row_major(n_samples: usize, n_features: usize, values: Vec<f64>) -> Result<Self> {
        if n_samples == 0 {
            return Err(GmmError::EmptyData);
        }
        if n_features == 0 {
            return Err(GmmError::ZeroFeatures);
        }
        if values.len() != n_samples * n_features {
            return Err(GmmError::ShapeMismatch {
                what: format!("number of values for {n_samples} points of dimension {n_features}"),
                expected: n_samples * n_features,
                found: values.len(),
            });
        }
        if let Some(pos) = values.iter().position(|v| !v.is_finite()) {
            return Err(GmmError::NonFinite {
                row: pos / n_features,
                column: pos % n_features,
                value: values[pos],
            });
        }
        Ok(Self {
            values,
            n_samples,
            n_features,
            weights: None,
            missing: None,
        })
    }

    /// [`Dataset::from_row_major`] under a [`MissingPolicy`]: with
    /// [`MissingPolicy::Marginalise`] a NaN marks a missing coordinate (infinite values are
    /// still refused), and the rows are grouped by their pattern of observed coordinates
    /// once, here. Data without a NaN give the same data set as [`Dataset::from_row_major`].
    ///
    /// ```
    /// use gmm_core::{Dataset, GmmError, MissingPolicy};
    /// let nan = f64::NAN;
    /// let data = Dataset::from_row_major_with_policy(
    ///     3, 2, vec![1.0, nan, 3.0, 4.0, nan, 6.0], MissingPolicy::Marginalise)?;
    /// assert!(data.has_missing());
    /// assert_eq!(data.missing_patterns()[0].rows(), [0]);
    /// let empty_row = Dataset::from_row_major_with_policy(
    ///     2, 2, vec![1.0, 2.0, nan, nan], MissingPolicy::Marginalise);
    /// assert_eq!(empty_row, Err(GmmError::AllMissingRow { row: 1 }));
    /// # Ok::<(), GmmError>(())
    /// ```
    ///
    /// # Errors
    /// As [`Dataset::from_row_major`]; with [`MissingPolicy::Marginalise`],
    /// [`GmmError::AllMissingRow`] for a point without an observed coordinate (a column
    /// without an observed value is refused by the fits: [`Dataset::check_observed_columns`]).
    pub fn from_row_major_with_policy(
        n_samples: usize,
        n_features: usize,
        values: Vec<f64>,
        policy: MissingPolicy,
    ) -> Result<Self> {
        let (n, d) = (n_samples, n_features);
        if policy == MissingPolicy::Refuse || n == 0 || d == 0 || values.len() != n * d {
            return Self::from_row_major(n, d, values);
        }
        let Some(missing) = MissingRows::of_values(&values, d)? else {
            return Self::from_row_major(n, d, values);
        };
        Ok(Self {
            values,
            n_samples,
            n_features,
            weights: None,
            missing: Some(missing),
        })
    }

    /// [`Dataset::from_rows`] under a [`MissingPolicy`] (see
    /// [`Dataset::from_row_major_with_policy`]).
    ///
    /// # Errors
    /// As [`Dataset::from_rows`] and [`Dataset::from_row_major_with_policy`].
    pub fn from_rows_with_policy<R: AsRef<[f64]>>(
        rows: &[R],
        policy: MissingPolicy,
    ) -> Result<Self> {
        let first = rows.first().ok_or(GmmError::EmptyData)?.as_ref().len();
        if let Some((row, r)) = rows
            .iter()
            .enumerate()
            .find(|(_, r)| r.as_ref().len() != first)
        {
            return Err(GmmError::RaggedRow {
                row,
                expected: first,
                found: r.as_ref().len(),
            });
        }
        let values = rows
            .iter()
            .flat_map(|r| r.as_ref().iter().copied())
            .collect();
        Self::from_row_major_with_policy(rows.len(), first, values, policy)
    }

    /// Whether some coordinates are missing (only possible for data built with
    /// [`MissingPolicy::Marginalise`]).
    pub fn has_missing(&self) -> bool {
        self.missing.is_some()
    }

    /// The rows with missing coordinates grouped by pattern, patterns in the order of their
    /// first row (empty when nothing is missing).
    pub fn missing_patterns(&self) -> &[MissingPattern] {
        self.missing.as_ref().map_or(&[], |m| &m.patterns)
    }

    /// The indices of the rows without a missing coordinate (`None` when nothing is
    /// missing: then every row is complete).
    pub fn complete_rows(&self) -> Option<&[usize]> {
        self.missing.as_ref().map(|m| m.complete.as_slice())
    }

    /// The same points with every missing coordinate replaced by the mean of its column's
    /// observed values (weighted by the points' weights); the data set itself, borrowed,
    /// when nothing is missing. The weights are kept.
    pub fn mean_imputed(&self) -> Cow<'_, Dataset> {
        if self.missing.is_none() {
            return Cow::Borrowed(self);
        }
        let d = self.n_features;
        let fill = missing::observed_column_means(&self.values, d, |n| self.weight(n));
        let mut values = self.values.clone();
        for (i, v) in values.iter_mut().enumerate().filter(|(_, v)| v.is_nan()) {
            *v = fill[i % d];
        }
        Cow::Owned(Self {
            values,
            missing: None,
            ..self.clone()
        })
    }

    /// The points a fit with missing values starts from (docs/em.md, "Missing values"): the
    /// data set itself when nothing is missing; else its complete rows when at least
    /// `n_components` of them have positive weight and `all_rows` is false; else every row
    /// with its missing coordinates replaced by the observed means ([`Dataset::mean_imputed`]).
    /// `all_rows` is for starts that name every row (given labels or responsibilities).
    pub fn start_rows(&self, n_components: usize, all_rows: bool) -> Cow<'_, Dataset> {
        let Some(missing) = &self.missing else {
            return Cow::Borrowed(self);
        };
        let counted = missing
            .complete
            .iter()
            .filter(|&&n| self.weight(n) > 0.0)
            .count();
        if all_rows || counted < n_components.max(1) {
            return self.mean_imputed();
        }
        match self.select(&missing.complete) {
            Ok(subset) => Cow::Owned(subset),
            Err(_) => self.mean_imputed(),
        }
    }

    /// The first row without a missing coordinate, or the observed column means (weighted):
    /// a finite point that the statistics of the data are stored relative to (their
    /// `origin`), the same as a stream's `PassSummary::finite_origin` (source module).
    pub(crate) fn finite_origin(&self) -> Vec<f64> {
        match &self.missing {
            None => self.row(0).to_vec(),
            Some(m) => match m.complete.first() {
                Some(&n) => self.row(n).to_vec(),
                None => missing::observed_column_means(&self.values, self.n_features, |n| {
                    self.weight(n)
                }),
            },
        }
    }

    /// The same points with frequency weights, one per point: a point of weight 3 counts as
    /// three copies of it, a point of weight 0 as absent (docs/maths.md, "Sample weights").
    /// Every fit, initialisation, score, BIC and AIC honours them; "N" becomes the sum of
    /// the weights.
    ///
    /// Only their ratios are meant to matter, so weights beyond what sums of `f64` can hold
    /// are rescaled ([`rescaled_weights`]): when the largest weight exceeds
    /// [`WEIGHT_RESCALE_ABOVE`] (1e150) or the smallest positive one is below
    /// [`WEIGHT_RESCALE_BELOW`] (1e-150, which takes in denormal numbers), every weight is
    /// divided by the largest, so the total cannot overflow and 1e-320 counts like 1.
    /// Weights within those bounds are kept as given, and with them the scale of what is
    /// reported as a total over the weights (VB's ELBO, whose prior counts against the
    /// weights' sum, so that scaling all weights changes a VB fit; EM's per-point bound and
    /// parameters do not depend on the scale). [`Dataset::weights`] returns the weights
    /// kept.
    ///
    /// ```
    /// use gmm_core::{Dataset, GmmError};
    /// let data = Dataset::from_slice_1d(&[0.0, 1.0, 5.0])?.with_weights(vec![2.0, 1.0, 0.0])?;
    /// assert_eq!(data.total_weight(), 3.0);
    /// assert_eq!(data.mean()[0], 1.0 / 3.0);
    /// let bad = Dataset::from_slice_1d(&[0.0, 1.0])?.with_weights(vec![1.0, -1.0]);
    /// assert_eq!(bad, Err(GmmError::InvalidSampleWeight { row: 1, value: -1.0 }));
    /// # Ok::<(), GmmError>(())
    /// ```
    ///
    /// # Errors
    /// [`GmmError::ShapeMismatch`] when there is not one weight per point,
    /// [`GmmError::InvalidSampleWeight`] naming the first negative, NaN or infinite weight,
    /// [`GmmError::ZeroTotalWeight`] when every weight is zero.
    pub fn with_weights(mut self, weights: Vec<f64>) -> Result<Self> {
        if weights.len() != self.n_samples {
            return Err(GmmError::ShapeMismatch {
                what: "number of sample weights against the number of points".into(),
                expected: self.n_samples,
                found: weights.len(),
            });
        }
        check_sample_weights(&weights, 0)?;
        if weights.iter().all(|w| *w == 0.0) {
            return Err(GmmError::ZeroTotalWeight {
                n_samples: self.n_samples,
            });
        }
        self.weights = Some(rescaled_weights(weights));
        Ok(self)
    }

    /// The same points, every one counting once.
    pub fn without_weights(mut self) -> Self {
        self.weights = None;
        self
    }

    /// The frequency weights, if any were given.
    pub fn weights(&self) -> Option<&[f64]> {
        self.weights.as_deref()
    }

    /// The weight of point `n` (1 without weights).
    ///
    /// # Panics
    /// If `n >= n_samples()` and the data set has weights.
    pub fn weight(&self, n: usize) -> f64 {
        self.weights.as_ref().map_or(1.0, |w| w[n])
    }

    /// Number of points that count: those of positive weight (all of them without weights).
    pub fn n_counted(&self) -> usize {
        self.weights
            .as_ref()
            .map_or(self.n_samples, |w| w.iter().filter(|w| **w > 0.0).count())
    }

    /// The sum of the weights: the number of points without weights. It takes the place of
    /// N in every per-point average, in BIC and in AIC.
    pub fn total_weight(&self) -> f64 {
        match &self.weights {
            Some(w) => w.iter().sum(),
            None => self.n_samples as f64,
        }
    }

    /// Number of points N.
    pub fn n_samples(&self) -> usize {
        self.n_samples
    }

    /// Dimension D of each point.
    pub fn n_features(&self) -> usize {
        self.n_features
    }

    /// Point `n` as a slice of length D.
    ///
    /// # Panics
    /// If `n >= n_samples()` (an indexing bug of the caller, like slice indexing).
    pub fn row(&self, n: usize) -> &[f64] {
        &self.values[n * self.n_features..(n + 1) * self.n_features]
    }

    /// All values, point by point (row-major).
    pub fn as_slice(&self) -> &[f64] {
        &self.values
    }

    /// Iterates over the points.
    pub fn rows(&self) -> impl ExactSizeIterator<Item = &[f64]> + '_ {
        self.values.chunks_exact(self.n_features)
    }

    /// The data as a nalgebra matrix, one point per row (a copy).
    pub fn to_matrix(&self) -> DMatrix<f64> {
        DMatrix::from_row_slice(self.n_samples, self.n_features, &self.values)
    }

    /// A new data set made of the points at `indices`, in that order.
    ///
    /// # Errors
    /// [`GmmError::EmptyData`] when `indices` is empty, [`GmmError::InvalidParameter`] when an
    /// index is out of range.
    pub fn select(&self, indices: &[usize]) -> Result<Self> {
        let mut values = Vec::with_capacity(indices.len() * self.n_features);
        for &i in indices {
            if i >= self.n_samples {
                return Err(GmmError::InvalidParameter {
                    name: "index",
                    value: i.to_string(),
                    reason: format!("the data set has {} points", self.n_samples),
                });
            }
            values.extend_from_slice(self.row(i));
        }
        let policy = if self.missing.is_some() {
            MissingPolicy::Marginalise
        } else {
            MissingPolicy::Refuse
        };
        let subset =
            Self::from_row_major_with_policy(indices.len(), self.n_features, values, policy)?;
        match &self.weights {
            Some(w) => subset.with_weights(indices.iter().map(|&i| w[i]).collect()),
            None => Ok(subset),
        }
    }

    /// Mean of the points, weighted by their weights (a running mean, which keeps its
    /// precision far from the origin). NaN in a column with missing values: take the mean
    /// of [`Dataset::mean_imputed`] instead.
    pub fn mean(&self) -> DVector<f64> {
        let d = self.n_features;
        let mut mean = DVector::zeros(d);
        let mut seen = 0.0;
        for (n, x) in self.rows().enumerate() {
            let w = self.weight(n);
            if w == 0.0 {
                continue;
            }
            seen += w;
            let f = if self.weights.is_some() {
                w / seen
            } else {
                1.0 / (n + 1) as f64
            };
            for j in 0..d {
                mean[j] += (x[j] - mean[j]) * f;
            }
        }
        mean
    }

    /// Sample covariance of the points around their mean, divided by `N - ddof` with N the
    /// sum of the weights (centred: the mean is subtracted before the products are formed).
    ///
    /// When `N - ddof` is not positive (a single point and `ddof = 1`) the divisor is taken
    /// as 1 and the result is the zero matrix. NaN in the rows and columns with missing
    /// values.
    pub fn covariance(&self, ddof: usize) -> DMatrix<f64> {
        let d = self.n_features;
        let mean = self.mean();
        let mut cov = DMatrix::zeros(d, d);
        let mut diff = vec![0.0; d];
        for (n, x) in self.rows().enumerate() {
            let w = self.weight(n);
            for j in 0..d {
                diff[j] = x[j] - mean[j];
            }
            for a in 0..d {
                for b in a..d {
                    cov[(a, b)] += w * diff[a] * diff[b];
                }
            }
        }
        let excess = self.total_weight() - ddof as f64;
        let denom = if excess > 0.0 { excess } else { 1.0 };
        for a in 0..d {
            for b in a..d {
                let v = cov[(a, b)] / denom;
                cov[(a, b)] = v;
                cov[(b, a)] = v;
            }
        }
        cov
    }

    /// Checks that every column spans at most [`MAX_COLUMN_RANGE`], so that squared
    /// deviations, summed over points and features, stay finite in `f64`.
    ///
    /// ```
    /// use gmm_core::{Dataset, GmmError};
    /// assert!(Dataset::from_slice_1d(&[1e6, 1e6 + 1.0])?.check_range().is_ok());
    /// let wide = Dataset::from_slice_1d(&[-1e200, 1e200])?;
    /// assert!(matches!(wide.check_range(), Err(GmmError::DataRange { column: 0, .. })));
    /// # Ok::<(), GmmError>(())
    /// ```
    ///
    /// # Errors
    /// [`GmmError::DataRange`] naming the first column that spans more.
    pub fn check_range(&self) -> Result<()> {
        let d = self.n_features;
        let mut low = self.values[..d].to_vec();
        let mut high = low.clone();
        for x in self.rows() {
            for j in 0..d {
                low[j] = low[j].min(x[j]);
                high[j] = high[j].max(x[j]);
            }
        }
        for j in 0..d {
            let range = high[j] - low[j];
            if range.is_nan() || range > MAX_COLUMN_RANGE {
                return Err(GmmError::DataRange { column: j, range });
            }
        }
        Ok(())
    }

    /// Checks that every column has an observed value (always true without missing values):
    /// a fit cannot learn anything about a column that is missing everywhere (a query can
    /// still score points of such data).
    ///
    /// # Errors
    /// [`GmmError::AllMissingColumn`] naming the first column without an observed value.
    pub fn check_observed_columns(&self) -> Result<()> {
        if self.missing.is_none() {
            return Ok(());
        }
        let d = self.n_features;
        let column = (0..d).find(|&j| self.rows().all(|x| x[j].is_nan()));
        match column {
            Some(column) => Err(GmmError::AllMissingColumn { column }),
            None => Ok(()),
        }
    }

    /// Checks that points of this data set have dimension `n_features`.
    pub fn check_features(&self, n_features: usize) -> Result<()> {
        if self.n_features != n_features {
            return Err(GmmError::ShapeMismatch {
                what: "number of features of the data against the model".into(),
                expected: n_features,
                found: self.n_features,
            });
        }
        Ok(())
    }
}

/// Weights whose largest is above this are rescaled by [`rescaled_weights`].
pub const WEIGHT_RESCALE_ABOVE: f64 = 1e150;

/// Weights whose smallest positive one is below this are rescaled by [`rescaled_weights`].
pub const WEIGHT_RESCALE_BELOW: f64 = 1e-150;

/// `weights` (finite, `>= 0`, not all zero) divided by the largest when the largest is above
/// [`WEIGHT_RESCALE_ABOVE`] or the smallest positive below [`WEIGHT_RESCALE_BELOW`]; as
/// given otherwise. A weight below 1e-308 of the largest becomes 0 (its share of any sum
/// is below rounding).
///
/// ```
/// use gmm_core::rescaled_weights;
/// assert_eq!(rescaled_weights(vec![2e306, 1e306, 0.0]), [1.0, 0.5, 0.0]);
/// assert_eq!(rescaled_weights(vec![1e-320, 1e-320]), [1.0, 1.0]);
/// assert_eq!(rescaled_weights(vec![3.0, 1.0]), [3.0, 1.0]);
/// ```
pub fn rescaled_weights(mut weights: Vec<f64>) -> Vec<f64> {
    let largest = weights.iter().copied().fold(0.0, f64::max);
    let smallest = weights
        .iter()
        .copied()
        .filter(|w| *w > 0.0)
        .fold(f64::INFINITY, f64::min);
    if let Some(divisor) = weight_divisor(largest, smallest) {
        for w in &mut weights {
            *w /= divisor;
        }
    }
    weights
}

/// What weights whose largest is `largest` and smallest positive `smallest` are divided by:
/// the largest, when it is above [`WEIGHT_RESCALE_ABOVE`] or the smallest below
/// [`WEIGHT_RESCALE_BELOW`]; `None` when they keep their scale. The one rule of
/// [`rescaled_weights`] (in memory) and of streamed passes (`Passes::rescaling_weights`).
pub(crate) fn weight_divisor(largest: f64, smallest: f64) -> Option<f64> {
    let rescale = largest > WEIGHT_RESCALE_ABOVE || smallest < WEIGHT_RESCALE_BELOW;
    (largest > 0.0 && largest.is_finite() && rescale).then_some(largest)
}

/// Checks sample weights: each finite and `>= 0`. `first_row` is the index of `weights[0]`
/// among all points, for the error.
///
/// # Errors
/// [`GmmError::InvalidSampleWeight`] naming the first offending row.
pub fn check_sample_weights(weights: &[f64], first_row: usize) -> Result<()> {
    match weights.iter().position(|w| !(w.is_finite() && *w >= 0.0)) {
        Some(i) => Err(GmmError::InvalidSampleWeight {
            row: first_row + i,
            value: weights[i],
        }),
        None => Ok(()),
    }
}

impl TryFrom<&DMatrix<f64>> for Dataset {
    type Error = GmmError;
    fn try_from(m: &DMatrix<f64>) -> Result<Self> {
        Self::from_matrix(m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_each_bad_input_with_its_location() {
        let empty: [Vec<f64>; 0] = [];
        assert_eq!(Dataset::from_rows(&empty), Err(GmmError::EmptyData));
        assert_eq!(
            Dataset::from_rows(&[Vec::<f64>::new()]),
            Err(GmmError::ZeroFeatures)
        );
        assert_eq!(
            Dataset::from_rows(&[vec![1.0, 2.0], vec![1.0, 2.0], vec![3.0]]),
            Err(GmmError::RaggedRow {
                row: 2,
                expected: 2,
                found: 1
            })
        );
        for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            match Dataset::from_rows(&[vec![1.0, 2.0], vec![3.0, bad]]) {
                Err(GmmError::NonFinite { row, column, .. }) => assert_eq!((row, column), (1, 1)),
                other => panic!("expected NonFinite, got {other:?}"),
            }
        }
        assert_eq!(Dataset::from_slice_1d(&[]), Err(GmmError::EmptyData));
        assert!(matches!(
            Dataset::from_row_major(2, 2, vec![1.0; 3]),
            Err(GmmError::ShapeMismatch { .. })
        ));
    }

    #[test]
    fn matrix_rows_become_points() {
        let m = DMatrix::from_row_slice(2, 3, &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
        let data = Dataset::from_matrix(&m).unwrap();
        assert_eq!(data.row(1), &[4.0, 5.0, 6.0]);
        assert_eq!(data.to_matrix(), m);
        let bad = DMatrix::from_row_slice(1, 2, &[1.0, f64::NAN]);
        assert!(matches!(
            Dataset::from_matrix(&bad),
            Err(GmmError::NonFinite {
                row: 0,
                column: 1,
                ..
            })
        ));
    }

    #[test]
    fn centred_covariance_survives_a_large_offset() {
        let pts: Vec<Vec<f64>> = (0..5)
            .map(|i| vec![1e9 + i as f64, 1e9 - 2.0 * i as f64])
            .collect();
        let cov = Dataset::from_rows(&pts).unwrap().covariance(1);
        // var(0..5) = 2.5 with ddof 1
        assert!((cov[(0, 0)] - 2.5).abs() < 1e-9);
        assert!((cov[(1, 1)] - 10.0).abs() < 1e-9);
        assert!((cov[(0, 1)] + 5.0).abs() < 1e-9);
    }
}
