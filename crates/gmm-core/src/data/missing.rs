//! Missing coordinates: the policy that says whether NaN means "missing", and the points of
//! a data set grouped by which of their coordinates are observed (docs/em.md, "Missing
//! values").

use crate::error::{GmmError, Result};

/// What a NaN in the data means.
///
/// ```
/// use gmm_core::{Dataset, GmmError, MissingPolicy};
/// let values = vec![1.0, 2.0, f64::NAN, 4.0, 5.0, 6.0];
/// assert!(matches!(
///     Dataset::from_row_major(3, 2, values.clone()),
///     Err(GmmError::NonFinite { row: 1, column: 0, .. })
/// ));
/// let data = Dataset::from_row_major_with_policy(3, 2, values, MissingPolicy::Marginalise)?;
/// assert_eq!(data.missing_patterns().len(), 1);
/// # Ok::<(), GmmError>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum MissingPolicy {
    /// A NaN is an error ([`GmmError::NonFinite`]), as every other non-finite value: the
    /// default.
    #[default]
    Refuse,
    /// A NaN marks a missing coordinate: fits and queries use the marginal density of the
    /// observed coordinates (infinite values are still refused).
    Marginalise,
}

/// The points that share one set of observed coordinates (at least one coordinate of each
/// is missing: complete points are not a pattern).
#[derive(Debug, Clone, PartialEq)]
pub struct MissingPattern {
    observed: Vec<usize>,
    missing: Vec<usize>,
    rows: Vec<usize>,
}

impl MissingPattern {
    /// The observed coordinates, in increasing order.
    pub fn observed(&self) -> &[usize] {
        &self.observed
    }

    /// The missing coordinates, in increasing order.
    pub fn missing(&self) -> &[usize] {
        &self.missing
    }

    /// The rows (0-based, increasing) with this pattern.
    pub fn rows(&self) -> &[usize] {
        &self.rows
    }
}

/// Where the missing values of a data set are: the rows grouped by pattern (patterns in the
/// order of their first row), and the complete rows.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct MissingRows {
    pub(crate) patterns: Vec<MissingPattern>,
    pub(crate) complete: Vec<usize>,
}

impl MissingRows {
    /// Groups the rows of row-major `values` (D = `d`) by their missing coordinates (NaN);
    /// `None` when no value is missing.
    ///
    /// # Errors
    /// [`GmmError::NonFinite`] naming the first infinite value, [`GmmError::AllMissingRow`]
    /// naming the first row without an observed value.
    pub(crate) fn of_values(values: &[f64], d: usize) -> Result<Option<Self>> {
        if let Some(pos) = values.iter().position(|v| v.is_infinite()) {
            return Err(GmmError::NonFinite {
                row: pos / d,
                column: pos % d,
                value: values[pos],
            });
        }
        if let Some(row) = values
            .chunks_exact(d)
            .position(|row| row.iter().all(|v| v.is_nan()))
        {
            return Err(GmmError::AllMissingRow { row });
        }
        Ok(Self::group(values, d))
    }

    /// Groups the rows of row-major `values` (D = `d`, already checked) by their missing
    /// coordinates (NaN), patterns in the order of their first row; `None` when no value
    /// is missing. The one grouping of the data set and of every batch of the E-step.
    pub(crate) fn group(values: &[f64], d: usize) -> Option<Self> {
        if !values.iter().any(|v| v.is_nan()) {
            return None;
        }
        let mut patterns: Vec<MissingPattern> = Vec::new();
        let mut index_of = std::collections::HashMap::<Vec<bool>, usize>::new();
        let mut complete = Vec::new();
        for (n, row) in values.chunks_exact(d).enumerate() {
            let is_missing: Vec<bool> = row.iter().map(|v| v.is_nan()).collect();
            if !is_missing.contains(&true) {
                complete.push(n);
                continue;
            }
            let next = patterns.len();
            let p = *index_of.entry(is_missing.clone()).or_insert(next);
            if p == next {
                patterns.push(MissingPattern {
                    observed: (0..d).filter(|&j| !is_missing[j]).collect(),
                    missing: (0..d).filter(|&j| is_missing[j]).collect(),
                    rows: Vec::new(),
                });
            }
            patterns[p].rows.push(n);
        }
        Some(Self { patterns, complete })
    }
}

/// Weighted sums of each column's observed values, row after row: what
/// [`observed_column_means`] computes, also accumulated by a stream's first pass
/// (`PassSummary::observed_means` in the source module) in the same order, so both give the same bits.
#[derive(Debug, Clone)]
pub(crate) struct ObservedColumnSums {
    /// Per column: sum of `w x`, sum of `w`, sum of `x`, count.
    sums: Vec<(f64, f64, f64, f64)>,
}

impl ObservedColumnSums {
    /// Sums of `d` columns over no row.
    pub(crate) fn new(d: usize) -> Self {
        Self {
            sums: vec![(0.0, 0.0, 0.0, 0.0); d],
        }
    }

    /// Adds the observed values of `row`, counting `w` times.
    pub(crate) fn add_row(&mut self, row: &[f64], w: f64) {
        for (s, x) in self.sums.iter_mut().zip(row).filter(|(_, x)| !x.is_nan()) {
            s.0 += w * x;
            s.1 += w;
            s.2 += x;
            s.3 += 1.0;
        }
    }

    /// The weighted mean of each column's observed values (the plain mean where they all
    /// have weight 0; NaN for a column without an observed value).
    pub(crate) fn means(&self) -> Vec<f64> {
        self.sums
            .iter()
            .map(|&(wx, w, x, c)| if w > 0.0 { wx / w } else { x / c })
            .collect()
    }
}

/// The mean of each column over its observed values, each row counting `weight(n)` times
/// (the plain mean where a column's observed rows all have weight 0).
pub(crate) fn observed_column_means(
    values: &[f64],
    d: usize,
    weight: impl Fn(usize) -> f64,
) -> Vec<f64> {
    let mut sums = ObservedColumnSums::new(d);
    for (n, row) in values.chunks_exact(d).enumerate() {
        sums.add_row(row, weight(n));
    }
    sums.means()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_grouped_by_pattern_in_order_of_their_first_row() {
        let nan = f64::NAN;
        let values = [1.0, nan, 3.0, 4.0, 5.0, nan, nan, 2.0, 7.0, nan];
        let rows = MissingRows::of_values(&values, 2).unwrap().unwrap();
        assert_eq!(rows.complete, [1]);
        assert_eq!(rows.patterns.len(), 2);
        assert_eq!(rows.patterns[0].rows(), [0, 2, 4]);
        assert_eq!(rows.patterns[0].observed(), [0]);
        assert_eq!(rows.patterns[0].missing(), [1]);
        assert_eq!(rows.patterns[1].rows(), [3]);
        assert_eq!(rows.patterns[1].observed(), [1]);
        assert!(MissingRows::of_values(&[1.0, 2.0], 2).unwrap().is_none());
    }

    #[test]
    fn rows_without_observed_values_are_refused() {
        let nan = f64::NAN;
        let err = MissingRows::of_values(&[1.0, 2.0, nan, nan], 2).unwrap_err();
        assert_eq!(err, GmmError::AllMissingRow { row: 1 });
        assert!(
            err.to_string()
                .starts_with("row 2 has every coordinate missing")
        );
        assert!(matches!(
            MissingRows::of_values(&[1.0, f64::INFINITY], 2),
            Err(GmmError::NonFinite { column: 1, .. })
        ));
    }
}
