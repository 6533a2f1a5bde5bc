//! Agreement between partitions (adjusted Rand index, normalised mutual information), and
//! the held-out split.
//!
//! Both indices compare two labellings of the same points and ignore the names of the
//! labels, so they need no matching of components.
//!
//! - ARI (Hubert & Arabie 1985): `(sum_ij C(n_ij, 2) - E) / (1/2 (sum_i C(a_i, 2) +
//!   sum_j C(b_j, 2)) - E)` with `E = sum_i C(a_i, 2) sum_j C(b_j, 2) / C(n, 2)`, over the
//!   contingency table `n_ij` with row sums `a_i` and column sums `b_j`. 1 for identical
//!   partitions, about 0 for independent ones, and it can be negative.
//! - NMI with the arithmetic mean (scikit-learn's default, Strehl & Ghosh 2002 use the
//!   geometric one): `I(U; V) / ((H(U) + H(V)) / 2)` with natural logarithms; in `[0, 1]`.

use rand::{SeedableRng, rngs::StdRng, seq::SliceRandom};

use gmm_core::{GmmError, Result};

/// The contingency table of two labellings: `table[i][j]` counts points with label `i` in
/// `a` and `j` in `b`.
fn contingency(a: &[usize], b: &[usize]) -> Result<Vec<Vec<f64>>> {
    if a.len() != b.len() {
        return Err(GmmError::ShapeMismatch {
            what: "number of labels in the two labellings".into(),
            expected: a.len(),
            found: b.len(),
        });
    }
    if a.is_empty() {
        return Err(GmmError::EmptyData);
    }
    let rows = a.iter().max().map_or(0, |m| m + 1);
    let cols = b.iter().max().map_or(0, |m| m + 1);
    let mut table = vec![vec![0.0; cols]; rows];
    for (&i, &j) in a.iter().zip(b) {
        table[i][j] += 1.0;
    }
    // drop labels that never occur, so they do not count as classes
    table.retain(|row| row.iter().any(|&c| c > 0.0));
    let used: Vec<usize> = (0..cols)
        .filter(|&j| table.iter().any(|row| row[j] > 0.0))
        .collect();
    Ok(table
        .into_iter()
        .map(|row| used.iter().map(|&j| row[j]).collect())
        .collect())
}

fn pairs(x: f64) -> f64 {
    x * (x - 1.0) / 2.0
}

/// Adjusted Rand index of two labellings (Hubert & Arabie 1985).
///
/// Returns 1 when both put every point in one cluster or every point in its own cluster
/// (the index is undefined there; scikit-learn returns 1 too).
///
/// ```
/// use gmm_compare::adjusted_rand_index;
/// // the same partition under other names
/// assert_eq!(adjusted_rand_index(&[0, 0, 1, 1], &[1, 1, 0, 0])?, 1.0);
/// assert!(adjusted_rand_index(&[0, 0, 1, 1], &[0, 1, 0, 1])? < 0.0);
/// # Ok::<(), gmm_core::GmmError>(())
/// ```
///
/// # Errors
/// [`GmmError::ShapeMismatch`] for labellings of different lengths; [`GmmError::EmptyData`]
/// for empty ones.
pub fn adjusted_rand_index(a: &[usize], b: &[usize]) -> Result<f64> {
    let table = contingency(a, b)?;
    let n = a.len() as f64;
    let (r, c) = (table.len(), table[0].len());
    if (r == 1 && c == 1) || (r == a.len() && c == a.len()) {
        return Ok(1.0);
    }
    let sum_cells: f64 = table.iter().flatten().map(|&x| pairs(x)).sum();
    let sum_rows: f64 = table.iter().map(|row| pairs(row.iter().sum())).sum();
    let sum_cols: f64 = (0..c)
        .map(|j| pairs(table.iter().map(|row| row[j]).sum()))
        .sum();
    let expected = sum_rows * sum_cols / pairs(n);
    let max_index = 0.5 * (sum_rows + sum_cols);
    Ok((sum_cells - expected) / (max_index - expected))
}

fn entropy(counts: impl Iterator<Item = f64>, n: f64) -> f64 {
    counts
        .filter(|&c| c > 0.0)
        .map(|c| -(c / n) * (c / n).ln())
        .sum()
}

/// Normalised mutual information of two labellings, `I / ((H(a) + H(b)) / 2)`.
///
/// Returns 1 when both put every point in one cluster (scikit-learn's convention), 0 when
/// only one of them does.
///
/// ```
/// use gmm_compare::normalized_mutual_info;
/// assert!((normalized_mutual_info(&[0, 0, 1, 1], &[1, 1, 0, 0])? - 1.0).abs() < 1e-15);
/// assert!(normalized_mutual_info(&[0, 0, 1, 1], &[0, 1, 0, 1])?.abs() < 1e-15);
/// # Ok::<(), gmm_core::GmmError>(())
/// ```
///
/// # Errors
/// As [`adjusted_rand_index`].
pub fn normalized_mutual_info(a: &[usize], b: &[usize]) -> Result<f64> {
    let table = contingency(a, b)?;
    let n = a.len() as f64;
    let (r, c) = (table.len(), table[0].len());
    if r == 1 && c == 1 {
        return Ok(1.0);
    }
    let row_sums: Vec<f64> = table.iter().map(|row| row.iter().sum()).collect();
    let col_sums: Vec<f64> = (0..c)
        .map(|j| table.iter().map(|row| row[j]).sum())
        .collect();
    let mut mi = 0.0;
    for (i, row) in table.iter().enumerate() {
        for (j, &nij) in row.iter().enumerate() {
            if nij > 0.0 {
                mi += nij / n * (n * nij / (row_sums[i] * col_sums[j])).ln();
            }
        }
    }
    let h = 0.5 * (entropy(row_sums.iter().copied(), n) + entropy(col_sums.iter().copied(), n));
    if h <= 0.0 {
        return Ok(0.0);
    }
    Ok((mi / h).clamp(0.0, 1.0))
}

/// Indices of a seeded random split of `n` points into a training part and a held-out part
/// of `round(fraction * n)` points (both sorted).
///
/// `fraction = 0` holds nothing out. The shuffle is a Fisher-Yates shuffle driven by
/// `StdRng::seed_from_u64(seed)`, so the split is the same for the same seed.
///
/// ```
/// use gmm_compare::holdout_split;
/// let (train, test) = holdout_split(10, 0.2, 7)?;
/// assert_eq!((train.len(), test.len()), (8, 2));
/// assert_eq!(holdout_split(10, 0.2, 7)?, (train, test));
/// # Ok::<(), gmm_core::GmmError>(())
/// ```
///
/// # Errors
/// [`GmmError::InvalidParameter`] when `fraction` is not in `[0, 1)` or leaves fewer than one
/// point on either side of a non-empty hold-out.
pub fn holdout_split(n: usize, fraction: f64, seed: u64) -> Result<(Vec<usize>, Vec<usize>)> {
    if !(0.0..1.0).contains(&fraction) {
        return Err(GmmError::InvalidParameter {
            name: "holdout",
            value: fraction.to_string(),
            reason: "give a fraction in [0, 1), for example 0.2".into(),
        });
    }
    let n_test = (fraction * n as f64).round() as usize;
    if n_test == 0 {
        return Ok(((0..n).collect(), Vec::new()));
    }
    if n_test >= n {
        return Err(GmmError::InvalidParameter {
            name: "holdout",
            value: fraction.to_string(),
            reason: format!("it leaves no training points out of {n}; lower it"),
        });
    }
    let mut order: Vec<usize> = (0..n).collect();
    order.shuffle(&mut StdRng::seed_from_u64(seed));
    let mut test = order[..n_test].to_vec();
    let mut train = order[n_test..].to_vec();
    test.sort_unstable();
    train.sort_unstable();
    Ok((train, test))
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    #[test]
    fn ari_matches_hand_computed_values() {
        // a = [0,0,0,1,1,1], b = [0,0,1,1,2,2]: table [[2,1,0],[0,1,2]];
        // sum_ij C = 1 + 1 = 2, rows: 3 + 3 = 6, cols: 1 + 1 + 1 = 3, C(6,2) = 15,
        // E = 6 * 3 / 15 = 1.2, max = 4.5, ARI = 0.8 / 3.3.
        let a = [0, 0, 0, 1, 1, 1];
        let b = [0, 0, 1, 1, 2, 2];
        assert_relative_eq!(
            adjusted_rand_index(&a, &b).unwrap(),
            0.8 / 3.3,
            max_relative = 1e-14
        );
        assert_relative_eq!(
            adjusted_rand_index(&b, &a).unwrap(),
            0.8 / 3.3,
            max_relative = 1e-14
        );
        assert_eq!(adjusted_rand_index(&[0, 0, 0], &[5, 5, 5]).unwrap(), 1.0);
        assert_eq!(adjusted_rand_index(&[0, 1, 2], &[2, 0, 1]).unwrap(), 1.0);
        // unused label values do not matter
        assert_eq!(
            adjusted_rand_index(&[0, 0, 7, 7], &[3, 3, 1, 1]).unwrap(),
            1.0
        );
        assert!(adjusted_rand_index(&[0, 1], &[0]).is_err());
        assert!(adjusted_rand_index(&[], &[]).is_err());
    }

    #[test]
    fn nmi_matches_hand_computed_values() {
        // same a, b: H(a) = ln 2, H(b) = ln 3,
        // I = sum p_ij ln(p_ij / (p_i p_j)) = 2 [1/3 ln 2 + 1/6 ln 1] = 2/3 ln 2
        let a = [0, 0, 0, 1, 1, 1];
        let b = [0, 0, 1, 1, 2, 2];
        let want = (2.0 / 3.0 * 2f64.ln()) / (0.5 * (2f64.ln() + 3f64.ln()));
        assert_relative_eq!(
            normalized_mutual_info(&a, &b).unwrap(),
            want,
            max_relative = 1e-14
        );
        assert_eq!(normalized_mutual_info(&[1, 1], &[0, 0]).unwrap(), 1.0);
        assert_eq!(normalized_mutual_info(&[0, 1], &[0, 0]).unwrap(), 0.0);
    }

    #[test]
    fn holdout_is_a_seeded_partition() {
        let (train, test) = holdout_split(101, 0.3, 11).unwrap();
        assert_eq!(test.len(), 30);
        let mut all: Vec<usize> = train.iter().chain(&test).copied().collect();
        all.sort_unstable();
        assert_eq!(all, (0..101).collect::<Vec<_>>());
        let (_, other) = holdout_split(101, 0.3, 12).unwrap();
        assert_ne!(test, other);
        assert_eq!(holdout_split(5, 0.0, 1).unwrap().1, Vec::<usize>::new());
        assert!(holdout_split(5, 1.0, 1).is_err());
        assert!(holdout_split(1, 0.9, 1).is_err());
        assert!(holdout_split(5, f64::NAN, 1).is_err());
    }
}
