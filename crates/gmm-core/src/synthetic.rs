//! Synthetic data: labelled points drawn from known mixtures, and the project's standard
//! scenarios (used by tests, examples, benchmarks and the `gmm demo` command).

use nalgebra::{DMatrix, DVector};
use rand::{SeedableRng, rngs::StdRng};

use crate::covariance::Covariances;
use crate::data::Dataset;
use crate::error::Result;
use crate::mixture::GaussianMixture;

/// Points drawn from a known mixture, with the component of each.
#[derive(Debug, Clone)]
pub struct LabelledData {
    /// The points.
    pub data: Dataset,
    /// The component each point was drawn from.
    pub labels: Vec<usize>,
    /// The mixture they were drawn from.
    pub truth: GaussianMixture,
}

/// Draws `n` labelled points from `truth` with a seeded generator.
///
/// ```
/// use gmm_core::synthetic::{draw, one_d_three_clusters};
/// let a = draw(&one_d_three_clusters(), 500, 42)?;
/// let b = draw(&one_d_three_clusters(), 500, 42)?;
/// assert_eq!(a.data, b.data);
/// assert_eq!(a.labels.len(), 500);
/// # Ok::<(), gmm_core::GmmError>(())
/// ```
pub fn draw(truth: &GaussianMixture, n: usize, seed: u64) -> Result<LabelledData> {
    let (data, labels) = truth.sample(n, &mut StdRng::seed_from_u64(seed))?;
    Ok(LabelledData {
        data,
        labels,
        truth: truth.clone(),
    })
}

/// 1-D, three clusters: weights 0.3 / 0.45 / 0.25, means -4 / 0 / 5, standard deviations
/// 1 / 0.7 / 1.5.
pub fn one_d_three_clusters() -> GaussianMixture {
    GaussianMixture::new(
        DVector::from_vec(vec![0.3, 0.45, 0.25]),
        DMatrix::from_row_slice(3, 1, &[-4.0, 0.0, 5.0]),
        Covariances::Full(vec![
            DMatrix::from_element(1, 1, 1.0),
            DMatrix::from_element(1, 1, 0.49),
            DMatrix::from_element(1, 1, 2.25),
        ]),
    )
    .expect("a valid built-in mixture")
}

/// 2-D, three clusters with full, differently oriented covariances.
pub fn two_d_three_clusters() -> GaussianMixture {
    GaussianMixture::new(
        DVector::from_vec(vec![0.4, 0.35, 0.25]),
        DMatrix::from_row_slice(3, 2, &[0.0, 0.0, 6.0, 2.0, 1.0, 7.0]),
        Covariances::Full(vec![
            DMatrix::from_row_slice(2, 2, &[2.0, 0.9, 0.9, 1.0]),
            DMatrix::from_row_slice(2, 2, &[1.0, -0.6, -0.6, 1.5]),
            DMatrix::from_row_slice(2, 2, &[0.6, 0.0, 0.0, 0.6]),
        ]),
    )
    .expect("a valid built-in mixture")
}

/// A well-separated mixture of `k` components in `d` dimensions with full covariances: means
/// on a scaled simplex-like grid, covariances `I + 0.3 (u u^T)` with varying directions.
/// Used by benchmarks at sizes of any shape.
pub fn separated(k: usize, d: usize) -> GaussianMixture {
    let means = DMatrix::from_fn(k, d, |c, j| {
        if j == c % d {
            8.0 * (1 + c / d) as f64
        } else {
            (c * (j + 1) % 3) as f64
        }
    });
    let covs = (0..k)
        .map(|c| {
            let u = DVector::from_fn(d, |j, _| (((c + 1) * (j + 2)) % 5) as f64 / 5.0);
            DMatrix::identity(d, d) + &u * u.transpose() * 0.3
        })
        .collect();
    GaussianMixture::new(
        DVector::from_element(k, 1.0 / k as f64),
        means,
        Covariances::Full(covs),
    )
    .expect("a valid built-in mixture")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mixture::MixtureModel;

    #[test]
    fn scenarios_are_valid_and_draws_follow_them() {
        let truth = two_d_three_clusters();
        let s = draw(&truth, 5000, 9).unwrap();
        assert_eq!(s.data.n_features(), 2);
        let mean0: f64 = s
            .labels
            .iter()
            .zip(s.data.rows())
            .filter(|(l, _)| **l == 1)
            .map(|(_, x)| x[0])
            .sum::<f64>()
            / s.labels.iter().filter(|l| **l == 1).count() as f64;
        assert!((mean0 - 6.0).abs() < 0.1, "component 1 mean x: {mean0}");
        for (k, d) in [(8, 2), (8, 8), (3, 32)] {
            let gm = separated(k, d);
            assert_eq!((gm.n_components(), gm.n_features()), (k, d));
        }
        assert_eq!(one_d_three_clusters().n_features(), 1);
    }
}
