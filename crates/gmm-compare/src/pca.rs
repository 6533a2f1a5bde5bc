//! Principal components to two dimensions, for plotting data of dimension D > 2.
//!
//! The projection is `y = V^T (x - xbar)` with `V` (D x 2) the two leading eigenvectors of
//! the sample covariance; a mixture maps to `mu' = V^T (mu - xbar)`, `Sigma' = V^T Sigma V`,
//! which is exactly the distribution of the projected points under that mixture.

use nalgebra::{DMatrix, DVector, SymmetricEigen};

use gmm_core::{Covariances, Dataset, GaussianMixture, GmmError, MixtureModel, Result};

/// A projection onto the first two principal components.
#[derive(Debug, Clone, PartialEq)]
pub struct Pca2 {
    centre: DVector<f64>,
    /// D x 2, orthonormal columns.
    axes: DMatrix<f64>,
    explained: [f64; 2],
}

impl Pca2 {
    /// Fits the projection to `data` (D >= 2).
    ///
    /// Each axis's sign is fixed so that its largest-magnitude loading is positive, so the
    /// picture does not flip between runs.
    ///
    /// ```
    /// use gmm_compare::Pca2;
    /// use gmm_core::Dataset;
    /// let data = Dataset::from_rows(&[[0.0, 0.0, 0.0], [2.0, 0.1, 0.0], [4.0, -0.1, 0.0]])?;
    /// let pca = Pca2::fit(&data)?;
    /// assert!(pca.explained_variance_ratio()[0] > 0.99);
    /// # Ok::<(), gmm_core::GmmError>(())
    /// ```
    ///
    /// # Errors
    /// [`GmmError::InvalidParameter`] when the data have fewer than two features;
    /// [`GmmError::MemoryLimit`] when the D x D matrices exceed the memory this process may
    /// use.
    pub fn fit(data: &Dataset) -> Result<Self> {
        Self::fit_within(data, None)
    }

    /// [`Pca2::fit`] within `max_memory` bytes (or, when `None`, the memory this process may
    /// use): the D x D covariance and its eigenvectors are refused before they are allocated.
    ///
    /// # Errors
    /// As [`Pca2::fit`].
    pub fn fit_within(data: &Dataset, max_memory: Option<u64>) -> Result<Self> {
        let d = data.n_features();
        if d < 2 {
            return Err(GmmError::InvalidParameter {
                name: "n_features",
                value: d.to_string(),
                reason: "principal components to 2-D need at least two features".into(),
            });
        }
        let dd = (d as u64).saturating_mul(d as u64);
        gmm_core::check_memory(
            dd.saturating_mul(8 * 4),
            max_memory,
            "the principal axes of the plots (a D x D covariance and its eigenvectors; plot \
             fewer columns, or leave out the plots)",
        )?;
        let cov = data.covariance(1);
        let eig = SymmetricEigen::new(cov);
        let mut order: Vec<usize> = (0..d).collect();
        order.sort_by(|&a, &b| eig.eigenvalues[b].total_cmp(&eig.eigenvalues[a]));
        let mut axes = DMatrix::zeros(d, 2);
        for (c, &i) in order.iter().take(2).enumerate() {
            let mut v = eig.eigenvectors.column(i).into_owned();
            let big = v
                .iter()
                .copied()
                .fold(0.0f64, |m, x| if x.abs() > m.abs() { x } else { m });
            if big < 0.0 {
                v = -v;
            }
            axes.set_column(c, &v);
        }
        let total: f64 = eig.eigenvalues.iter().map(|v| v.max(0.0)).sum();
        let ratio = |i: usize| {
            if total > 0.0 {
                eig.eigenvalues[order[i]].max(0.0) / total
            } else {
                0.0
            }
        };
        Ok(Self {
            centre: data.mean(),
            axes,
            explained: [ratio(0), ratio(1)],
        })
    }

    /// Fraction of the total variance along each of the two axes.
    pub fn explained_variance_ratio(&self) -> [f64; 2] {
        self.explained
    }

    /// Projects the points to 2-D.
    ///
    /// # Errors
    /// [`GmmError::ShapeMismatch`] when the data's dimension is not the fitted one.
    pub fn project_data(&self, data: &Dataset) -> Result<Vec<[f64; 2]>> {
        data.check_features(self.centre.len())?;
        Ok(data
            .rows()
            .map(|x| {
                let mut out = [0.0; 2];
                for (c, o) in out.iter_mut().enumerate() {
                    *o = x
                        .iter()
                        .zip(self.centre.iter())
                        .zip(self.axes.column(c).iter())
                        .map(|((x, m), v)| (x - m) * v)
                        .sum();
                }
                out
            })
            .collect())
    }

    /// The mixture of the projected points: projected means, `V^T Sigma_k V` (full).
    ///
    /// # Errors
    /// [`GmmError::ShapeMismatch`] for a mixture of another dimension; the projected
    /// covariances are positive definite whenever the originals are.
    pub fn project_mixture(&self, gm: &GaussianMixture) -> Result<GaussianMixture> {
        let d = self.centre.len();
        if gm.n_features() != d {
            return Err(GmmError::ShapeMismatch {
                what: "dimension of the mixture against the projection".into(),
                expected: d,
                found: gm.n_features(),
            });
        }
        let k = gm.n_components();
        let vt = self.axes.transpose();
        let mut means = DMatrix::zeros(k, 2);
        let mut covs = Vec::with_capacity(k);
        for c in 0..k {
            let centred = gm.means().row(c).transpose() - &self.centre;
            means.set_row(c, &(&vt * centred).transpose());
            let s = &vt * gm.covariances().full_matrix(c, d) * &self.axes;
            covs.push((&s + s.transpose()) * 0.5);
        }
        GaussianMixture::new(gm.weights().clone(), means, Covariances::Full(covs))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{SeedableRng, rngs::StdRng};

    #[test]
    fn projected_mixture_is_the_law_of_projected_points() {
        let truth = gmm_core::synthetic::separated(3, 5);
        let (data, _) = truth.sample(20000, &mut StdRng::seed_from_u64(3)).unwrap();
        let pca = Pca2::fit(&data).unwrap();
        let pts = pca.project_data(&data).unwrap();
        let flat: Vec<f64> = pts.iter().flatten().copied().collect();
        let projected = Dataset::from_row_major(pts.len(), 2, flat).unwrap();
        // projected data are centred, with variance decreasing along the axes
        let m = projected.mean();
        assert!(m.norm() < 1e-9, "{m}");
        let cov = projected.covariance(1);
        assert!(cov[(0, 0)] >= cov[(1, 1)]);
        assert!(cov[(0, 1)].abs() < 1e-8 * cov[(0, 0)]);
        // the projected mixture's moments match the projected sample's
        let gm2 = pca.project_mixture(&truth).unwrap();
        let mean_model: DVector<f64> = (0..3)
            .map(|c| gm2.means().row(c).transpose() * gm2.weights()[c])
            .fold(DVector::zeros(2), |a, b| a + b);
        assert!((mean_model - m).norm() < 0.1);
        // and so does its covariance: sum_k w_k (Sigma_k + mu_k mu_k^T) - mu mu^T
        let mut second = DMatrix::zeros(2, 2);
        for c in 0..3 {
            let mu = gm2.means().row(c).transpose();
            second +=
                (gm2.covariances().full_matrix(c, 2) + &mu * mu.transpose()) * gm2.weights()[c];
        }
        let model_mean = (0..3)
            .map(|c| gm2.means().row(c).transpose() * gm2.weights()[c])
            .fold(DVector::zeros(2), |a, b| a + b);
        let model_cov = second - &model_mean * model_mean.transpose();
        assert!(
            (&model_cov - &cov).norm() < 0.05 * cov.norm(),
            "{model_cov} vs {cov}"
        );
        let ratio = pca.explained_variance_ratio();
        assert!(ratio[0] >= ratio[1] && ratio[0] + ratio[1] <= 1.0 + 1e-12);
        assert!(Pca2::fit(&Dataset::from_slice_1d(&[1.0, 2.0]).unwrap()).is_err());
    }
}
