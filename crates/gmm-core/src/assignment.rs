//! Minimum-cost assignment (the Hungarian algorithm, Kuhn 1955 / Munkres 1957, in its
//! O(n^2 m) shortest-augmenting-path form): matching components of two mixtures (the
//! comparison) and relabelling posterior draws against a reference (the Gibbs sampler).

use nalgebra::DMatrix;

use crate::error::{GmmError, Result};

/// Minimum-cost assignment of the rows of `cost` (n x m, n <= m) to distinct columns.
///
/// Returns, for each row, its column. Costs must be finite.
///
/// ```
/// use gmm_core::hungarian;
/// use nalgebra::DMatrix;
/// let cost = DMatrix::from_row_slice(3, 3, &[4.0, 1.0, 3.0, 2.0, 0.0, 5.0, 3.0, 2.0, 2.0]);
/// assert_eq!(hungarian(&cost)?, vec![1, 0, 2]); // total 1 + 2 + 2 = 5
/// # Ok::<(), gmm_core::GmmError>(())
/// ```
///
/// # Errors
/// [`GmmError::ShapeMismatch`] when there are more rows than columns;
/// [`GmmError::InvalidParameter`] for a non-finite cost.
pub fn hungarian(cost: &DMatrix<f64>) -> Result<Vec<usize>> {
    let (n, m) = cost.shape();
    if n > m {
        return Err(GmmError::ShapeMismatch {
            what: "assignment: rows must not outnumber columns".into(),
            expected: m,
            found: n,
        });
    }
    if let Some(v) = cost.iter().find(|v| !v.is_finite()) {
        return Err(GmmError::InvalidParameter {
            name: "cost",
            value: v.to_string(),
            reason: "assignment costs must be finite".into(),
        });
    }
    // 1-based potentials u (rows), v (columns); way[j] = previous column on the path;
    // owner[j] = row assigned to column j (0 = none).
    let mut u = vec![0.0; n + 1];
    let mut v = vec![0.0; m + 1];
    let mut owner = vec![0usize; m + 1];
    let mut way = vec![0usize; m + 1];
    for i in 1..=n {
        owner[0] = i;
        let mut j0 = 0;
        let mut min_to = vec![f64::INFINITY; m + 1];
        let mut used = vec![false; m + 1];
        loop {
            used[j0] = true;
            let i0 = owner[j0];
            let mut delta = f64::INFINITY;
            let mut j1 = 0;
            for j in 1..=m {
                if !used[j] {
                    let reduced = cost[(i0 - 1, j - 1)] - u[i0] - v[j];
                    if reduced < min_to[j] {
                        min_to[j] = reduced;
                        way[j] = j0;
                    }
                    if min_to[j] < delta {
                        delta = min_to[j];
                        j1 = j;
                    }
                }
            }
            for j in 0..=m {
                if used[j] {
                    u[owner[j]] += delta;
                    v[j] -= delta;
                } else {
                    min_to[j] -= delta;
                }
            }
            j0 = j1;
            if owner[j0] == 0 {
                break;
            }
        }
        loop {
            let j1 = way[j0];
            owner[j0] = owner[j1];
            j0 = j1;
            if j0 == 0 {
                break;
            }
        }
    }
    let mut assignment = vec![0; n];
    for j in 1..=m {
        if owner[j] > 0 {
            assignment[owner[j] - 1] = j - 1;
        }
    }
    Ok(assignment)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn brute_force(cost: &DMatrix<f64>) -> f64 {
        fn go(cost: &DMatrix<f64>, row: usize, used: &mut Vec<bool>) -> f64 {
            if row == cost.nrows() {
                return 0.0;
            }
            let mut best = f64::INFINITY;
            for j in 0..cost.ncols() {
                if !used[j] {
                    used[j] = true;
                    best = best.min(cost[(row, j)] + go(cost, row + 1, used));
                    used[j] = false;
                }
            }
            best
        }
        go(cost, 0, &mut vec![false; cost.ncols()])
    }

    #[test]
    fn hungarian_is_optimal_on_many_random_matrices() {
        use rand::{RngExt, SeedableRng, rngs::StdRng};
        let mut rng = StdRng::seed_from_u64(5);
        for trial in 0..300 {
            let n = 1 + trial % 6;
            let m = n + (trial / 6) % 3;
            let cost = DMatrix::from_fn(n, m, |_, _| rng.random_range(0..20) as f64);
            let a = hungarian(&cost).unwrap();
            let mut cols = a.clone();
            cols.sort_unstable();
            cols.dedup();
            assert_eq!(cols.len(), n, "assignment not injective: {a:?}");
            let total: f64 = a.iter().enumerate().map(|(i, &j)| cost[(i, j)]).sum();
            assert_eq!(total, brute_force(&cost), "cost {cost}");
        }
        assert!(hungarian(&DMatrix::zeros(3, 2)).is_err());
        assert!(hungarian(&DMatrix::from_element(1, 1, f64::NAN)).is_err());
    }
}
