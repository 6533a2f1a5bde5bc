//! Label switching: matching the components of two mixtures, and the error of a fitted
//! mixture against a reference after matching.
//!
//! Components are matched by an exact minimum-cost assignment (the Hungarian algorithm,
//! Kuhn 1955 / Munkres 1957, in its O(n^2 m) shortest-augmenting-path form) on the squared
//! Euclidean distances between means.

use nalgebra::DMatrix;
use serde::{Deserialize, Serialize};

use gmm_core::{GaussianMixture, GmmError, MixtureModel, Result};

/// Minimum-cost assignment of the rows of `cost` (n x m, n <= m) to distinct columns.
///
/// Returns, for each row, its column. Costs must be finite.
///
/// ```
/// use gmm_compare::hungarian;
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

/// Squared Euclidean distances between the rows of `a` (n x D) and of `b` (m x D).
fn mean_distances(a: &DMatrix<f64>, b: &DMatrix<f64>) -> DMatrix<f64> {
    DMatrix::from_fn(a.nrows(), b.nrows(), |i, j| {
        (a.row(i) - b.row(j)).norm_squared()
    })
}

/// Pairs the reference components `rows` with the other components `cols` by a minimum-cost
/// assignment on `dist` (the smaller side is fully matched), recording it in `partner`.
fn assign(
    dist: &DMatrix<f64>,
    rows: &[usize],
    cols: &[usize],
    partner: &mut [Option<usize>],
) -> Result<()> {
    let sub = DMatrix::from_fn(rows.len(), cols.len(), |i, j| dist[(rows[i], cols[j])]);
    if rows.len() <= cols.len() {
        for (i, j) in hungarian(&sub)?.into_iter().enumerate() {
            partner[rows[i]] = Some(cols[j]);
        }
    } else {
        for (j, i) in hungarian(&sub.transpose())?.into_iter().enumerate() {
            partner[rows[i]] = Some(cols[j]);
        }
    }
    Ok(())
}

/// Matches the components of `other` to those of `reference` by their means, heavy
/// components first.
///
/// Two stages, each an exact minimum-cost assignment on squared distances between means:
/// first the components of both whose weight exceeds `weight_threshold`, then the rest
/// among themselves. So a component that carries data is never paired with an emptied
/// one that happens to sit closer (VB leaves emptied components near the data mean).
///
/// Returns `order`, a permutation of `0..K_other` that lists first, for each reference
/// component `k`, the component of `other` matched to it (`order[k]`), then the unmatched
/// components of `other` by decreasing weight. So `other`'s component `order[k]` is shown
/// next to the reference's component `k`. When `other` has fewer components than
/// `reference`, only `K_other` reference components get a partner: `partner_of_reference`
/// says which.
///
/// ```
/// use gmm_compare::match_components;
/// use gmm_core::{Covariances, GaussianMixture};
/// use nalgebra::{DMatrix, DVector};
/// let mix = |w: &[f64], m: &[f64]| GaussianMixture::new(
///     DVector::from_vec(w.to_vec()),
///     DMatrix::from_row_slice(w.len(), 1, m),
///     Covariances::Spherical(vec![1.0; w.len()]),
/// );
/// let em = mix(&[0.5, 0.5], &[0.0, 10.0])?;
/// let vb = mix(&[0.5, 0.5], &[9.0, 1.0])?;
/// assert_eq!(match_components(&em, &vb, 0.01)?.order, vec![1, 0]);
/// # Ok::<(), gmm_core::GmmError>(())
/// ```
///
/// # Errors
/// [`GmmError::ShapeMismatch`] when the two mixtures have different dimensions.
pub fn match_components(
    reference: &GaussianMixture,
    other: &GaussianMixture,
    weight_threshold: f64,
) -> Result<ComponentMatching> {
    if reference.n_features() != other.n_features() {
        return Err(GmmError::ShapeMismatch {
            what: "dimension of the two mixtures being matched".into(),
            expected: reference.n_features(),
            found: other.n_features(),
        });
    }
    let (kr, ko) = (reference.n_components(), other.n_components());
    let dist = mean_distances(reference.means(), other.means());
    let mut partner_of_reference = vec![None; kr];
    let heavy = |gm: &GaussianMixture, c: usize| gm.weights()[c] > weight_threshold;
    for stage_heavy in [true, false] {
        let rows: Vec<usize> = (0..kr)
            .filter(|&r| partner_of_reference[r].is_none() && heavy(reference, r) == stage_heavy)
            .collect();
        let taken: Vec<usize> = partner_of_reference.iter().flatten().copied().collect();
        let cols: Vec<usize> = (0..ko)
            .filter(|&o| !taken.contains(&o) && (!stage_heavy || heavy(other, o)))
            .collect();
        if rows.is_empty() || cols.is_empty() {
            continue;
        }
        assign(&dist, &rows, &cols, &mut partner_of_reference)?;
    }
    // heavy reference components left over (when `other` has fewer heavy ones) pair with
    // whatever remains
    let rows: Vec<usize> = (0..kr)
        .filter(|&r| partner_of_reference[r].is_none())
        .collect();
    let taken: Vec<usize> = partner_of_reference.iter().flatten().copied().collect();
    let cols: Vec<usize> = (0..ko).filter(|o| !taken.contains(o)).collect();
    if !rows.is_empty() && !cols.is_empty() {
        assign(&dist, &rows, &cols, &mut partner_of_reference)?;
    }
    let mut order: Vec<usize> = partner_of_reference.iter().flatten().copied().collect();
    let mut rest: Vec<usize> = (0..ko).filter(|o| !order.contains(o)).collect();
    rest.sort_by(|&a, &b| other.weights()[b].total_cmp(&other.weights()[a]));
    order.extend(rest);
    Ok(ComponentMatching {
        order,
        partner_of_reference,
    })
}

/// The result of [`match_components`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ComponentMatching {
    /// Display order of the other mixture's components (a permutation of `0..K_other`).
    pub order: Vec<usize>,
    /// For each reference component, its partner in the other mixture, if any.
    pub partner_of_reference: Vec<Option<usize>>,
}

/// How far a fitted mixture is from a reference (true) mixture, after matching components.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParameterError {
    /// Largest Euclidean distance between a reference mean and its matched fitted mean.
    pub max_mean_distance: f64,
    /// Root mean square, over reference components, of those distances.
    pub rms_mean_distance: f64,
    /// L1 distance between the weight vectors after matching: `sum_k |w_k - w_hat_pi(k)|`
    /// plus the weights of fitted components matched to nothing (so surplus components
    /// count as error). In `[0, 2]`.
    pub weight_l1: f64,
    /// Largest relative Frobenius error `||Sigma_k - Sigma_hat||_F / ||Sigma_k||_F` over
    /// matched components.
    pub max_relative_covariance_error: f64,
    /// Reference components with no fitted partner (when the fit has fewer components).
    pub unmatched_reference_components: usize,
}

/// The error of `fitted` against `reference` after matching components by their means
/// ([`match_components`], heavy components, of weight above `weight_threshold`, first).
///
/// ```
/// use gmm_compare::parameter_error;
/// use gmm_core::synthetic::two_d_three_clusters;
/// let truth = two_d_three_clusters();
/// let err = parameter_error(&truth, &truth, 0.01)?;
/// assert_eq!(err.max_mean_distance, 0.0);
/// assert_eq!(err.weight_l1, 0.0);
/// # Ok::<(), gmm_core::GmmError>(())
/// ```
///
/// # Errors
/// As [`match_components`].
pub fn parameter_error(
    reference: &GaussianMixture,
    fitted: &GaussianMixture,
    weight_threshold: f64,
) -> Result<ParameterError> {
    let matching = match_components(reference, fitted, weight_threshold)?;
    let d = reference.n_features();
    let mut max_mean = 0.0f64;
    let mut sum_sq = 0.0;
    let mut weight_l1 = 0.0;
    let mut max_cov = 0.0f64;
    let mut unmatched = 0;
    for (r, partner) in matching.partner_of_reference.iter().enumerate() {
        let Some(o) = *partner else {
            unmatched += 1;
            weight_l1 += reference.weights()[r];
            continue;
        };
        let dist = (reference.means().row(r) - fitted.means().row(o)).norm();
        max_mean = max_mean.max(dist);
        sum_sq += dist * dist;
        weight_l1 += (reference.weights()[r] - fitted.weights()[o]).abs();
        let cr = reference.covariances().full_matrix(r, d);
        let co = fitted.covariances().full_matrix(o, d);
        max_cov = max_cov.max((&cr - &co).norm() / cr.norm());
    }
    let matched: Vec<usize> = matching
        .partner_of_reference
        .iter()
        .flatten()
        .copied()
        .collect();
    weight_l1 += (0..fitted.n_components())
        .filter(|o| !matched.contains(o))
        .map(|o| fitted.weights()[o])
        .sum::<f64>();
    let n_matched = matched.len().max(1);
    Ok(ParameterError {
        max_mean_distance: max_mean,
        rms_mean_distance: (sum_sq / n_matched as f64).sqrt(),
        weight_l1,
        max_relative_covariance_error: max_cov,
        unmatched_reference_components: unmatched,
    })
}

/// The mixture that labelled data define: class proportions, class means and class
/// (maximum-likelihood) covariances, full, plus `reg_covar` on the diagonal.
///
/// Used as the reference for [`parameter_error`] when true labels are known but the true
/// mixture is not.
///
/// # Errors
/// [`GmmError::ShapeMismatch`] when the labels and points differ in number;
/// [`GmmError::NotPositiveDefinite`] when a class is too small for its covariance and
/// `reg_covar` does not rescue it; [`GmmError::MemoryLimit`] when the classes' D x D
/// matrices exceed the memory this process may use.
pub fn mixture_of_labels(
    data: &gmm_core::Dataset,
    labels: &[usize],
    reg_covar: f64,
) -> Result<GaussianMixture> {
    if labels.len() != data.n_samples() {
        return Err(GmmError::ShapeMismatch {
            what: "number of labels against the number of points".into(),
            expected: data.n_samples(),
            found: labels.len(),
        });
    }
    let k = labels.iter().max().map_or(0, |m| m + 1);
    let classes: Vec<Vec<usize>> = (0..k)
        .map(|c| (0..labels.len()).filter(|&n| labels[n] == c).collect())
        .filter(|v: &Vec<usize>| !v.is_empty())
        .collect();
    let d = data.n_features();
    gmm_core::check_memory(
        (classes.len() as u64)
            .saturating_mul(d as u64)
            .saturating_mul(d as u64)
            .saturating_mul(8 * 3),
        None,
        "the mixture of the true labels (a D x D covariance per class)",
    )?;
    let n = data.n_samples() as f64;
    let mut weights = Vec::new();
    let mut means = DMatrix::zeros(classes.len(), d);
    let mut covs = Vec::new();
    for (c, members) in classes.iter().enumerate() {
        let part = data.select(members)?;
        weights.push(members.len() as f64 / n);
        means.set_row(c, &part.mean().transpose());
        covs.push(part.covariance(0) + DMatrix::identity(d, d) * reg_covar);
    }
    GaussianMixture::new(
        nalgebra::DVector::from_vec(weights),
        means,
        gmm_core::Covariances::Full(covs),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use gmm_core::Covariances;
    use nalgebra::DVector;

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

    fn mixture(weights: &[f64], means: &[f64], vars: &[f64]) -> GaussianMixture {
        GaussianMixture::new(
            DVector::from_vec(weights.to_vec()),
            DMatrix::from_row_slice(weights.len(), 1, means),
            Covariances::Spherical(vars.to_vec()),
        )
        .unwrap()
    }

    #[test]
    fn matching_undoes_a_permutation_and_orders_surplus_by_weight() {
        let a = mixture(&[0.2, 0.3, 0.5], &[0.0, 5.0, 10.0], &[1.0, 1.0, 1.0]);
        let b = mixture(
            &[0.5, 0.05, 0.2, 0.25],
            &[10.1, 40.0, -0.2, 5.0],
            &[1.0, 1.0, 2.0, 1.0],
        );
        let m = match_components(&a, &b, 0.01).unwrap();
        assert_eq!(m.order, vec![2, 3, 0, 1]);
        let e = parameter_error(&a, &b, 0.01).unwrap();
        assert!((e.max_mean_distance - 0.2).abs() < 1e-12);
        // |0.2-0.2| + |0.3-0.25| + |0.5-0.5| + surplus 0.05
        assert!((e.weight_l1 - 0.1).abs() < 1e-12);
        assert!((e.max_relative_covariance_error - 1.0).abs() < 1e-12);
        // fewer fitted components than reference ones
        let back = match_components(&b, &a, 0.01).unwrap();
        assert_eq!(
            back.partner_of_reference,
            vec![Some(2), None, Some(0), Some(1)]
        );
        assert_eq!(
            parameter_error(&b, &a, 0.01)
                .unwrap()
                .unmatched_reference_components,
            1
        );
    }

    #[test]
    fn heavy_components_are_matched_before_light_ones() {
        // the light component of `b` sits exactly on a's mean 0; the heavy one at 0.5
        let a = mixture(&[0.5, 0.5], &[0.0, 10.0], &[1.0, 1.0]);
        let b = mixture(&[0.001, 0.499, 0.5], &[0.0, 0.5, 10.0], &[1.0, 1.0, 1.0]);
        let m = match_components(&a, &b, 0.01).unwrap();
        assert_eq!(m.order, vec![1, 2, 0]);
        // with no threshold, the nearest wins
        let m = match_components(&a, &b, 0.0).unwrap();
        assert_eq!(m.order, vec![0, 2, 1]);
    }

    #[test]
    fn mixture_of_labels_recovers_class_moments() {
        let data = gmm_core::Dataset::from_slice_1d(&[0.0, 2.0, 10.0, 12.0, 14.0]).unwrap();
        let gm = mixture_of_labels(&data, &[1, 1, 0, 0, 0], 0.0).unwrap();
        assert_eq!(gm.weights().as_slice(), &[0.6, 0.4]);
        assert_eq!(gm.means().as_slice(), &[12.0, 1.0]);
        assert!((gm.covariances().full_matrix(1, 1)[(0, 0)] - 1.0).abs() < 1e-12);
        assert!(mixture_of_labels(&data, &[0, 1], 0.0).is_err());
    }
}
