//! The fitted Gaussian mixture: weights, means, covariances, and its densities.

use nalgebra::{DMatrix, DVector};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, StandardNormal};

use crate::covariance::{CovarianceType, Covariances, PrecisionCholesky, cholesky_lower};
use crate::data::Dataset;
use crate::error::{GmmError, Result};
use crate::kernel::{EStepKernel, half_log_2pi};
use crate::memory::{check_memory, predict_proba_bytes, sample_bytes};
use crate::source::{DataSource, Passes};

/// Tolerance on `|sum w - 1|` accepted when a mixture is built.
pub const WEIGHT_SUM_TOLERANCE: f64 = 1e-8;

/// What every fitted mixture answers, whichever estimator produced it.
///
/// Implemented by [`GaussianMixture`] and by the estimators' fitted results, so a caller can
/// hold either behind `&dyn MixtureModel`.
pub trait MixtureModel {
    /// Number of components K.
    fn n_components(&self) -> usize;
    /// Dimension D.
    fn n_features(&self) -> usize;
    /// Log density of each point under the model.
    fn score_samples(&self, data: &Dataset) -> Result<Vec<f64>>;
    /// Posterior probability of each component for each point, N x K, after checking that
    /// the N x K result ([`crate::predict_proba_bytes`]) fits within `max_memory` (or, when
    /// `None`, the memory this process may use: [`crate::default_memory_limit`]).
    ///
    /// # Errors
    /// [`GmmError::MemoryLimit`] before anything is allocated when it does not;
    /// [`GmmError::ShapeMismatch`] for data of another dimension.
    fn predict_proba_within(&self, data: &Dataset, max_memory: Option<u64>)
    -> Result<DMatrix<f64>>;
    /// Posterior probability of each component for each point, N x K, within the memory this
    /// process may use ([`MixtureModel::predict_proba_within`] with no limit of its own).
    ///
    /// # Errors
    /// As [`MixtureModel::predict_proba_within`].
    fn predict_proba(&self, data: &Dataset) -> Result<DMatrix<f64>> {
        self.predict_proba_within(data, None)
    }
    /// Mean log density per point; with sample weights, the weighted mean
    /// `sum_n w_n ln p(x_n) / sum_n w_n`.
    fn score(&self, data: &Dataset) -> Result<f64> {
        let s = self.score_samples(data)?;
        Ok(match data.weights() {
            Some(w) => s.iter().zip(w).map(|(s, w)| w * s).sum::<f64>() / data.total_weight(),
            None => s.iter().sum::<f64>() / s.len() as f64,
        })
    }
    /// Most probable component of each point (ties to the lowest index).
    fn predict(&self, data: &Dataset) -> Result<Vec<usize>> {
        let p = self.predict_proba(data)?;
        Ok((0..p.nrows())
            .map(|n| {
                p.row(n)
                    .iter()
                    .enumerate()
                    .fold(0, |b, (c, v)| if *v > p[(n, b)] { c } else { b })
            })
            .collect())
    }

    /// Log density of one point given as a slice of D values: the same number
    /// [`MixtureModel::score_samples`] gives for it in any batch.
    ///
    /// # Errors
    /// [`GmmError::ShapeMismatch`] when `x` does not have D values; [`GmmError::NonFinite`]
    /// for a value that is NaN or infinite.
    fn score_point(&self, x: &[f64]) -> Result<f64> {
        Ok(self.score_samples(&point_dataset(x, self.n_features())?)?[0])
    }

    /// Posterior probability of each component for one point (K values).
    ///
    /// # Errors
    /// As [`MixtureModel::score_point`].
    fn predict_proba_point(&self, x: &[f64]) -> Result<Vec<f64>> {
        let p = self.predict_proba(&point_dataset(x, self.n_features())?)?;
        Ok(p.row(0).iter().copied().collect())
    }

    /// Most probable component of one point.
    ///
    /// # Errors
    /// As [`MixtureModel::score_point`].
    fn predict_point(&self, x: &[f64]) -> Result<usize> {
        Ok(self.predict(&point_dataset(x, self.n_features())?)?[0])
    }

    /// [`MixtureModel::score_samples`] of the points of a stream, one batch at a time:
    /// `out(first_row, log_densities)` receives each batch's values, in order. Holds one
    /// batch, whatever N.
    ///
    /// # Errors
    /// [`GmmError::ShapeMismatch`] for a source of another dimension; errors of the pass
    /// (reading, validation) and of `out`.
    fn score_samples_source(
        &self,
        source: &mut dyn DataSource,
        out: &mut dyn FnMut(usize, &[f64]) -> Result<()>,
    ) -> Result<()> {
        for_each_batch_dataset(source, self.n_features(), &mut |first, batch, _| {
            out(first, &self.score_samples(batch)?)
        })
    }

    /// [`MixtureModel::predict`] of the points of a stream, one batch at a time (see
    /// [`MixtureModel::score_samples_source`]).
    ///
    /// # Errors
    /// As [`MixtureModel::score_samples_source`].
    fn predict_source(
        &self,
        source: &mut dyn DataSource,
        out: &mut dyn FnMut(usize, &[usize]) -> Result<()>,
    ) -> Result<()> {
        for_each_batch_dataset(source, self.n_features(), &mut |first, batch, _| {
            out(first, &self.predict(batch)?)
        })
    }

    /// [`MixtureModel::score`] of the points of a stream: the mean log density per point
    /// (weighted by the source's weights), holding one batch at a time; bit for bit the
    /// in-memory score (see [`MixtureModel::score_sums_source`]).
    ///
    /// # Errors
    /// As [`MixtureModel::score_samples_source`].
    fn score_source(&self, source: &mut dyn DataSource) -> Result<f64> {
        Ok(self.score_sums_source(source)?.mean())
    }

    /// The sums behind [`MixtureModel::score_source`] (`sum w ln p(x)` and `sum w`), for
    /// what needs the total weight too (BIC, AIC). The sums run point by point in order,
    /// from `-0.0` as `f64`'s own `Sum` does, so the mean equals [`MixtureModel::score`] of
    /// the same points in memory bit for bit.
    ///
    /// # Errors
    /// As [`MixtureModel::score_samples_source`].
    fn score_sums_source(&self, source: &mut dyn DataSource) -> Result<ScoreSums> {
        let (mut sum, mut total, mut count) = (-0.0, -0.0, 0usize);
        let weighted = source.has_weights();
        for_each_batch_dataset(source, self.n_features(), &mut |_, batch, weights| {
            let s = self.score_samples(batch)?;
            match weights {
                Some(w) => {
                    for (s, w) in s.iter().zip(w) {
                        sum += w * s;
                        total += w;
                    }
                }
                None => {
                    for s in &s {
                        sum += s;
                    }
                    count += s.len();
                }
            }
            Ok(())
        })?;
        Ok(ScoreSums {
            weighted_log_density: sum,
            total_weight: if weighted { total } else { count as f64 },
        })
    }
}

/// The sums of a mean log density over a stream ([`MixtureModel::score_sums_source`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScoreSums {
    /// `sum_n w_n ln p(x_n)` (`w_n = 1` without weights).
    pub weighted_log_density: f64,
    /// `sum_n w_n` (N without weights).
    pub total_weight: f64,
}

impl ScoreSums {
    /// The mean log density per point (per unit of weight).
    pub fn mean(&self) -> f64 {
        self.weighted_log_density / self.total_weight
    }
}

/// What [`for_each_batch_dataset`] calls per batch: the index of its first point, its
/// points and its weights.
pub type BatchVisitor<'v> = dyn FnMut(usize, &Dataset, Option<&[f64]>) -> Result<()> + 'v;

/// One pass over `source` in the E-step's batches, each batch copied into a small
/// [`Dataset`] and handed to `visit` with the index of its first point and its weights:
/// how the queries over a stream hand the model its points (one batch held at a time).
///
/// # Errors
/// [`GmmError::ShapeMismatch`] when the source does not have `d` features; errors of the
/// pass (reading, validation) and of `visit`.
pub fn for_each_batch_dataset(
    source: &mut dyn DataSource,
    d: usize,
    visit: &mut BatchVisitor<'_>,
) -> Result<()> {
    if source.n_features() != d {
        return Err(GmmError::ShapeMismatch {
            what: "number of features of the data against the model".into(),
            expected: d,
            found: source.n_features(),
        });
    }
    let missing = source.missing_policy();
    Passes::new(source).run(EStepKernel::batch_rows(d), &mut |batch| {
        let rows = batch.points.len() / d;
        let values = batch.points.widened().into_owned();
        let data = Dataset::from_row_major_with_policy(rows, d, values, missing)?;
        visit(batch.first_row, &data, batch.weights)
    })?;
    Ok(())
}

/// Refuses an N x K matrix of responsibilities over `max_memory` (or the default limit).
///
/// # Errors
/// [`GmmError::MemoryLimit`] saying what to do.
pub fn check_responsibilities_memory(n: usize, k: usize, max_memory: Option<u64>) -> Result<()> {
    check_memory(
        predict_proba_bytes(n, k),
        max_memory,
        "the responsibilities, an N x K matrix (predict the labels alone, or predict fewer \
         points at a time)",
    )
}

/// One point as a validated data set of one row of dimension `d`.
fn point_dataset(x: &[f64], d: usize) -> Result<Dataset> {
    if x.len() != d {
        return Err(GmmError::ShapeMismatch {
            what: "number of values of the point against the model's dimension".into(),
            expected: d,
            found: x.len(),
        });
    }
    Dataset::from_row_major(1, d, x.to_vec())
}

/// A Gaussian mixture `p(x) = sum_k w_k N(x | mu_k, Sigma_k)` with its precision Cholesky
/// factors and E-step kernel precomputed.
///
/// # Examples
/// ```
/// use gmm_core::{Covariances, Dataset, GaussianMixture, MixtureModel};
/// use nalgebra::{DMatrix, DVector};
/// let gm = GaussianMixture::new(
///     DVector::from_vec(vec![0.5, 0.5]),
///     DMatrix::from_row_slice(2, 1, &[-2.0, 2.0]),
///     Covariances::Spherical(vec![1.0, 1.0]),
/// )?;
/// let data = Dataset::from_slice_1d(&[-2.0, 0.0, 2.0])?;
/// assert_eq!(gm.predict(&data)?, vec![0, 0, 1]);
/// let p = gm.predict_proba(&data)?;
/// assert!((p[(1, 0)] - 0.5).abs() < 1e-12);
/// # Ok::<(), gmm_core::GmmError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct GaussianMixture {
    weights: DVector<f64>,
    means: DMatrix<f64>,
    covariances: Covariances,
    precision_cholesky: PrecisionCholesky,
    kernel: EStepKernel,
}

impl GaussianMixture {
    /// Builds a mixture from K weights, K x D means (one mean per row) and covariances.
    ///
    /// # Errors
    /// - [`GmmError::InvalidWeights`]: a weight is negative or not finite, or they do not sum
    ///   to 1 within [`WEIGHT_SUM_TOLERANCE`]; K = 0.
    /// - [`GmmError::ShapeMismatch`]: means or covariances of the wrong shape.
    /// - [`GmmError::NonFinite`]: a mean is not finite.
    /// - [`GmmError::NotPositiveDefinite`]: a covariance is not symmetric positive definite.
    pub fn new(
        weights: DVector<f64>,
        means: DMatrix<f64>,
        covariances: Covariances,
    ) -> Result<Self> {
        let k = weights.len();
        if k == 0 {
            return Err(GmmError::InvalidWeights {
                reason: "a mixture needs at least one component".into(),
            });
        }
        if let Some((i, w)) = weights
            .iter()
            .enumerate()
            .find(|(_, w)| !w.is_finite() || **w < 0.0)
        {
            return Err(GmmError::InvalidWeights {
                reason: format!("weight {i} is {w}; weights must be finite and non-negative"),
            });
        }
        let sum: f64 = weights.iter().sum();
        if (sum - 1.0).abs() > WEIGHT_SUM_TOLERANCE {
            return Err(GmmError::InvalidWeights {
                reason: format!("weights sum to {sum}, not 1; normalise them"),
            });
        }
        if means.nrows() != k {
            return Err(GmmError::ShapeMismatch {
                what: "number of means (rows) against number of weights".into(),
                expected: k,
                found: means.nrows(),
            });
        }
        let d = means.ncols();
        if d == 0 {
            return Err(GmmError::ZeroFeatures);
        }
        for c in 0..k {
            for j in 0..d {
                if !means[(c, j)].is_finite() {
                    return Err(GmmError::NonFinite {
                        row: c,
                        column: j,
                        value: means[(c, j)],
                    });
                }
            }
        }
        covariances.check_shape(k, d)?;
        let precision_cholesky = covariances.precision_cholesky()?;
        let log_constants = (0..k)
            .map(|c| weights[c].ln() + precision_cholesky.log_det(c, d) - half_log_2pi(d))
            .collect();
        let kernel = EStepKernel::new(&means, &precision_cholesky, log_constants)?;
        Ok(Self {
            weights,
            means,
            covariances,
            precision_cholesky,
            kernel,
        })
    }

    /// Mixture weights `w_k`.
    pub fn weights(&self) -> &DVector<f64> {
        &self.weights
    }

    /// Number of components whose weight exceeds `threshold` (VB empties surplus
    /// components to a small weight, not to 0).
    pub fn effective_components(&self, threshold: f64) -> usize {
        self.weights.iter().filter(|&&w| w > threshold).count()
    }

    /// Means, K x D (row k is `mu_k`).
    pub fn means(&self) -> &DMatrix<f64> {
        &self.means
    }

    /// Covariances in the storage of their type.
    pub fn covariances(&self) -> &Covariances {
        &self.covariances
    }

    /// Precision Cholesky factors, `P_k P_k^T = Sigma_k^{-1}`.
    pub fn precision_cholesky(&self) -> &PrecisionCholesky {
        &self.precision_cholesky
    }

    /// The covariance type.
    pub fn covariance_type(&self) -> CovarianceType {
        self.covariances.covariance_type()
    }

    /// The E-step kernel of this mixture (EM's constants).
    pub fn kernel(&self) -> &EStepKernel {
        &self.kernel
    }

    /// Number of free parameters: `K D` means, `K - 1` weights and the covariance parameters.
    pub fn n_parameters(&self) -> usize {
        let (k, d) = self.means.shape();
        k * d + k - 1 + self.covariance_type().n_parameters(k, d)
    }

    /// Bayesian information criterion `-2 N score + p ln N` on `data` (lower is better); N
    /// is the sum of the sample weights when there are some.
    pub fn bic(&self, data: &Dataset) -> Result<f64> {
        Ok(self.bic_from(data.total_weight(), self.score(data)?))
    }

    /// BIC from the total weight N and the mean log density `score` of the data (for a
    /// stream: [`MixtureModel::score_sums_source`]).
    pub fn bic_from(&self, total_weight: f64, score: f64) -> f64 {
        -2.0 * total_weight * score + self.n_parameters() as f64 * total_weight.ln()
    }

    /// Akaike information criterion `-2 N score + 2 p` on `data` (lower is better); N is the
    /// sum of the sample weights when there are some.
    pub fn aic(&self, data: &Dataset) -> Result<f64> {
        let n = data.total_weight();
        Ok(-2.0 * n * self.score(data)? + 2.0 * self.n_parameters() as f64)
    }

    /// Integrated completed likelihood (Biernacki, Celeux & Govaert 2000) in mclust's
    /// definition, in this crate's sign convention (lower is better, as BIC):
    /// `ICL = BIC - 2 sum_n w_n ln max_k r_nk`, i.e. BIC plus twice the entropy of the hard
    /// (most probable) classification (docs/em.md, "Information criteria"). Never below BIC;
    /// equal to it when every point belongs to one component with certainty.
    ///
    /// ```
    /// use gmm_core::synthetic;
    /// let gm = synthetic::one_d_three_clusters();
    /// let data = gm.sample_seeded(300, 1)?.0;
    /// assert!(gm.icl(&data)? >= gm.bic(&data)?);
    /// # Ok::<(), gmm_core::GmmError>(())
    /// ```
    ///
    /// # Errors
    /// [`GmmError::ShapeMismatch`] when the dimension differs.
    pub fn icl(&self, data: &Dataset) -> Result<f64> {
        let bic = self.bic(data)?;
        let log_max = self.kernel.log_max_resp(data)?;
        let hard: f64 = match data.weights() {
            Some(w) => log_max.iter().zip(w).map(|(l, w)| w * l).sum(),
            None => log_max.iter().sum(),
        };
        Ok(bic - 2.0 * hard)
    }

    /// Draws `n` points and the component each came from, with the random numbers of
    /// `StdRng::seed_from_u64(seed)` (what `gmm sample --seed` draws).
    ///
    /// ```
    /// use gmm_core::synthetic;
    /// let (points, labels) = synthetic::two_d_three_clusters().sample_seeded(5, 1)?;
    /// assert_eq!((points.n_samples(), labels.len()), (5, 5));
    /// # Ok::<(), gmm_core::GmmError>(())
    /// ```
    ///
    /// # Errors
    /// [`GmmError::InvalidParameter`] when `n = 0`.
    pub fn sample_seeded(&self, n: usize, seed: u64) -> Result<(Dataset, Vec<usize>)> {
        self.sample(n, &mut StdRng::seed_from_u64(seed))
    }

    /// Draws `n` points and the component each came from, with any random number generator
    /// of the `rand` version re-exported as `gmm_core::rand` (a generator of another `rand`
    /// version does not implement its `Rng`: use [`GaussianMixture::sample_seeded`]).
    ///
    /// Each point's component is drawn from the weights, then the point as
    /// `mu_k + C_k z` with `Sigma_k = C_k C_k^T` and `z ~ N(0, I)`.
    ///
    /// # Errors
    /// [`GmmError::InvalidParameter`] when `n = 0`.
    pub fn sample<R: Rng + ?Sized>(&self, n: usize, rng: &mut R) -> Result<(Dataset, Vec<usize>)> {
        self.sample_within(n, rng, None)
    }

    /// [`GaussianMixture::sample`] after checking that the N x D points and the covariance
    /// factors ([`crate::sample_bytes`]) fit within `max_memory` (or, when `None`, the memory
    /// this process may use). Diagonal and spherical components are drawn with their
    /// standard deviations, never a D x D matrix.
    ///
    /// # Errors
    /// [`GmmError::MemoryLimit`] before anything is allocated; [`GmmError::InvalidParameter`]
    /// when `n = 0`.
    pub fn sample_within<R: Rng + ?Sized>(
        &self,
        n: usize,
        rng: &mut R,
        max_memory: Option<u64>,
    ) -> Result<(Dataset, Vec<usize>)> {
        if n == 0 {
            return Err(GmmError::InvalidParameter {
                name: "n_samples",
                value: "0".into(),
                reason: "draw at least one point".into(),
            });
        }
        let (k, d) = self.means.shape();
        let full = matches!(
            self.covariances,
            Covariances::Full(_) | Covariances::Tied(_)
        );
        check_memory(
            sample_bytes(n, d, k, full),
            max_memory,
            "the sample, N x D numbers (draw fewer points at a time)",
        )?;
        let factors = self.sampling_factors()?;
        let cumulative: Vec<f64> = self
            .weights
            .iter()
            .scan(0.0, |acc, w| {
                *acc += w;
                Some(*acc)
            })
            .collect();
        let mut values = Vec::with_capacity(n * d);
        let mut labels = Vec::with_capacity(n);
        let mut z = DVector::zeros(d);
        for _ in 0..n {
            let u: f64 = rand::RngExt::random::<f64>(rng) * cumulative[k - 1];
            let c = cumulative.iter().position(|&s| u < s).unwrap_or(k - 1);
            for j in 0..d {
                z[j] = StandardNormal.sample(rng);
            }
            match &factors[c] {
                SamplingFactor::Lower(l) => {
                    let x = l * &z;
                    values.extend((0..d).map(|j| self.means[(c, j)] + x[j]));
                }
                SamplingFactor::Scales(s) => {
                    values.extend((0..d).map(|j| self.means[(c, j)] + s[j] * z[j]));
                }
            }
            labels.push(c);
        }
        Ok((Dataset::from_row_major(n, d, values)?, labels))
    }

    /// Each component's factor `C_k` with `Sigma_k = C_k C_k^T`: the lower Cholesky factor
    /// for full and tied, the standard deviations for diag and spherical (the Cholesky factor
    /// of a diagonal matrix, without its zeros).
    fn sampling_factors(&self) -> Result<Vec<SamplingFactor>> {
        let (k, d) = self.means.shape();
        (0..k)
            .map(|c| match &self.covariances {
                Covariances::Full(_) | Covariances::Tied(_) => Ok(SamplingFactor::Lower(
                    cholesky_lower(c, &self.covariances.full_matrix(c, d))?,
                )),
                Covariances::Diagonal(v) => Ok(SamplingFactor::Scales(v[c].map(f64::sqrt))),
                Covariances::Spherical(v) => Ok(SamplingFactor::Scales(DVector::from_element(
                    d,
                    v[c].sqrt(),
                ))),
            })
            .collect()
    }

    /// Log responsibilities `ln p(k | x_n)`, N x K.
    pub fn log_resp(&self, data: &Dataset) -> Result<DMatrix<f64>> {
        self.kernel.log_resp(data)
    }
}

/// How a component's points are drawn: `mu + L z` or `mu + s .* z`.
enum SamplingFactor {
    Lower(DMatrix<f64>),
    Scales(DVector<f64>),
}

impl MixtureModel for GaussianMixture {
    fn n_components(&self) -> usize {
        self.means.nrows()
    }

    fn n_features(&self) -> usize {
        self.means.ncols()
    }

    fn score_samples(&self, data: &Dataset) -> Result<Vec<f64>> {
        self.kernel.log_norm(data)
    }

    fn predict_proba_within(
        &self,
        data: &Dataset,
        max_memory: Option<u64>,
    ) -> Result<DMatrix<f64>> {
        data.check_features(self.n_features())?;
        check_responsibilities_memory(data.n_samples(), self.n_components(), max_memory)?;
        self.kernel.resp(data)
    }

    fn predict(&self, data: &Dataset) -> Result<Vec<usize>> {
        self.kernel.argmax(data)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;
    use rand::{SeedableRng, rngs::StdRng};
    use statrs::distribution::{Continuous, Normal};

    fn one_d() -> GaussianMixture {
        GaussianMixture::new(
            DVector::from_vec(vec![0.3, 0.7]),
            DMatrix::from_row_slice(2, 1, &[-1.0, 2.5]),
            Covariances::Spherical(vec![0.5, 2.0]),
        )
        .unwrap()
    }

    #[test]
    fn univariate_density_matches_statrs() {
        let gm = one_d();
        let a = Normal::new(-1.0, 0.5f64.sqrt()).unwrap();
        let b = Normal::new(2.5, 2.0f64.sqrt()).unwrap();
        let xs = [-3.0, -1.0, 0.0, 1.7, 10.0];
        let data = Dataset::from_slice_1d(&xs).unwrap();
        let got = gm.score_samples(&data).unwrap();
        for (x, g) in xs.iter().zip(got) {
            let want = (0.3 * a.pdf(*x) + 0.7 * b.pdf(*x)).ln();
            assert_relative_eq!(g, want, max_relative = 1e-13);
        }
    }

    #[test]
    fn multivariate_density_matches_a_hand_computed_value() {
        // Sigma = [[2, 1], [1, 2]]: |Sigma| = 3, Sigma^{-1} = [[2, -1], [-1, 2]] / 3.
        // At x - mu = (1, 0): quadratic form 2/3, so
        // ln N = -ln(2 pi) - 1/2 ln 3 - 1/3.
        let want = -(2.0 * std::f64::consts::PI).ln() - 0.5 * 3f64.ln() - 1.0 / 3.0;
        let sigma = DMatrix::from_row_slice(2, 2, &[2.0, 1.0, 1.0, 2.0]);
        for cov in [
            Covariances::Full(vec![sigma.clone()]),
            Covariances::Tied(sigma),
        ] {
            let gm = GaussianMixture::new(
                DVector::from_vec(vec![1.0]),
                DMatrix::from_row_slice(1, 2, &[1.0, -1.0]),
                cov,
            )
            .unwrap();
            let data = Dataset::from_rows(&[vec![2.0, -1.0]]).unwrap();
            assert_relative_eq!(
                gm.score_samples(&data).unwrap()[0],
                want,
                max_relative = 1e-14
            );
        }
        // Diagonal (2, 0.5) at x - mu = (1, 1): quadratic form 1/2 + 2, |Sigma| = 1.
        let gm = GaussianMixture::new(
            DVector::from_vec(vec![1.0]),
            DMatrix::from_row_slice(1, 2, &[0.0, 0.0]),
            Covariances::Diagonal(vec![DVector::from_vec(vec![2.0, 0.5])]),
        )
        .unwrap();
        let data = Dataset::from_rows(&[vec![1.0, 1.0]]).unwrap();
        let want = -(2.0 * std::f64::consts::PI).ln() - 1.25;
        assert_relative_eq!(
            gm.score_samples(&data).unwrap()[0],
            want,
            max_relative = 1e-14
        );
    }

    /// Three overlapping components in two dimensions with full covariances.
    fn three_full_components() -> GaussianMixture {
        GaussianMixture::new(
            DVector::from_vec(vec![0.2, 0.5, 0.3]),
            DMatrix::from_row_slice(3, 2, &[0.0, 0.0, 3.0, 1.0, -2.0, 4.0]),
            Covariances::Full(vec![
                DMatrix::from_row_slice(2, 2, &[1.0, 0.3, 0.3, 0.5]),
                DMatrix::identity(2, 2),
                DMatrix::from_row_slice(2, 2, &[2.0, -0.5, -0.5, 1.0]),
            ]),
        )
        .unwrap()
    }

    /// The kernel's responsibilities are the exponentials of its log responsibilities bit
    /// for bit, in the data's order, for every covariance type, for points beyond `f64`'s
    /// distances (the limit) and for points with missing coordinates; more points than a
    /// chunk, so several chunks are written in parallel.
    #[test]
    fn kernel_resp_is_exp_of_log_resp_row_by_row() {
        use crate::data::MissingPolicy;
        let full = three_full_components();
        let mut rng = StdRng::seed_from_u64(4);
        let (sampled, _) = full.sample(5000, &mut rng).unwrap();
        let mut values = sampled.as_slice().to_vec();
        values.extend([1e300, -1e300, 4.0, f64::NAN, f64::NAN, -3.0]);
        let n = values.len() / 2;
        let data =
            Dataset::from_row_major_with_policy(n, 2, values, MissingPolicy::Marginalise).unwrap();
        let complete =
            Dataset::from_row_major(n - 2, 2, data.as_slice()[..2 * (n - 2)].to_vec()).unwrap();
        let spherical = GaussianMixture::new(
            full.weights().clone(),
            full.means().clone(),
            Covariances::Spherical(vec![0.5, 1.0, 2.0]),
        )
        .unwrap();
        for gm in [&full, &spherical] {
            for data in [&data, &complete] {
                let kernel = gm.kernel();
                let (log_resp, resp) = (kernel.log_resp(data).unwrap(), kernel.resp(data).unwrap());
                assert_eq!(resp.shape(), (data.n_samples(), 3));
                for (r, l) in resp.iter().zip(log_resp.iter()) {
                    assert_eq!(r.to_bits(), l.exp().to_bits());
                }
                let row = complete.n_samples() - 1;
                let x = &complete.as_slice()[2 * row..2 * row + 2];
                assert_eq!(resp[(row, kernel.nearest_in_the_limit(x).unwrap())], 1.0);
                for row in (0..complete.n_samples()).step_by(97).chain([row]) {
                    let x = &complete.as_slice()[2 * row..2 * row + 2];
                    let alone = gm.predict_proba_point(x).unwrap();
                    assert_eq!(
                        alone.as_slice(),
                        resp.row(row).iter().copied().collect::<Vec<_>>()
                    );
                }
            }
        }
    }

    #[test]
    fn responsibilities_sum_to_one() {
        let gm = three_full_components();
        let (data, _) = gm.sample(2000, &mut StdRng::seed_from_u64(1)).unwrap();
        let p = gm.predict_proba(&data).unwrap();
        for n in 0..p.nrows() {
            let s: f64 = p.row(n).iter().sum();
            assert!((s - 1.0).abs() < 1e-12, "row {n} sums to {s}");
            assert!(p.row(n).iter().all(|v| (0.0..=1.0).contains(v)));
        }
        // far-away points: no underflow to NaN
        let far = Dataset::from_rows(&[vec![1e6, -1e6]]).unwrap();
        let pf = gm.predict_proba(&far).unwrap();
        assert!((pf.row(0).sum() - 1.0).abs() < 1e-12);
    }

    #[test]
    fn points_beyond_f64_distances_go_to_the_widest_component() {
        // Far out, the component with the larger variance explains the point better; at
        // 1e200 every density underflows, and the limit must still be taken, not NaN.
        let gm = GaussianMixture::new(
            DVector::from_vec(vec![0.9, 0.1]),
            DMatrix::from_row_slice(2, 1, &[0.0, 10.0]),
            Covariances::Spherical(vec![1.0, 100.0]),
        )
        .unwrap();
        let data = Dataset::from_slice_1d(&[1e200, -1e200, 0.0]).unwrap();
        let p = gm.predict_proba(&data).unwrap();
        assert_eq!(p.row(0).iter().copied().collect::<Vec<_>>(), vec![0.0, 1.0]);
        assert_eq!(p.row(1).iter().copied().collect::<Vec<_>>(), vec![0.0, 1.0]);
        assert!(p[(2, 0)] > 0.99);
        assert_eq!(gm.predict(&data).unwrap(), vec![1, 1, 0]);
        assert_eq!(gm.score_samples(&data).unwrap()[0], f64::NEG_INFINITY);
    }

    #[test]
    fn construction_rejects_bad_parameters() {
        let means = DMatrix::from_row_slice(2, 1, &[0.0, 1.0]);
        let cov = Covariances::Spherical(vec![1.0, 1.0]);
        let bad_weights = [vec![0.5, 0.6], vec![-0.1, 1.1], vec![f64::NAN, 1.0]];
        for w in bad_weights {
            assert!(matches!(
                GaussianMixture::new(DVector::from_vec(w), means.clone(), cov.clone()),
                Err(GmmError::InvalidWeights { .. })
            ));
        }
        assert!(matches!(
            GaussianMixture::new(DVector::from_vec(vec![1.0]), means.clone(), cov.clone()),
            Err(GmmError::ShapeMismatch { .. })
        ));
        let singular =
            Covariances::Full(vec![DMatrix::from_row_slice(2, 2, &[1.0, 1.0, 1.0, 1.0])]);
        assert!(matches!(
            GaussianMixture::new(DVector::from_vec(vec![1.0]), DMatrix::zeros(1, 2), singular),
            Err(GmmError::NotPositiveDefinite { component: 0, .. })
        ));
        let gm = one_d();
        let two_d = Dataset::from_rows(&[vec![0.0, 1.0]]).unwrap();
        assert!(matches!(
            gm.score_samples(&two_d),
            Err(GmmError::ShapeMismatch { .. })
        ));
    }

    #[test]
    fn sampling_is_seeded_and_follows_the_weights() {
        let gm = one_d();
        let (a, la) = gm.sample(4000, &mut StdRng::seed_from_u64(3)).unwrap();
        let (b, lb) = gm.sample(4000, &mut StdRng::seed_from_u64(3)).unwrap();
        assert_eq!(a, b);
        assert_eq!(la, lb);
        let frac = la.iter().filter(|&&l| l == 1).count() as f64 / 4000.0;
        assert!((frac - 0.7).abs() < 0.03, "fraction of component 1: {frac}");
        assert!(gm.sample(0, &mut StdRng::seed_from_u64(3)).is_err());
    }

    #[test]
    fn diagonal_and_spherical_draws_equal_those_of_their_full_matrices() {
        let means = DMatrix::from_row_slice(2, 3, &[0.0, 1.0, -2.0, 5.0, 5.0, 5.0]);
        let w = DVector::from_vec(vec![0.4, 0.6]);
        let variances = vec![
            DVector::from_vec(vec![0.5, 2.0, 1e-3]),
            DVector::from_vec(vec![3.0, 0.25, 7.0]),
        ];
        for covs in [
            Covariances::Diagonal(variances),
            Covariances::Spherical(vec![0.3, 4.0]),
        ] {
            let full = Covariances::Full((0..2).map(|c| covs.full_matrix(c, 3)).collect());
            let gm = GaussianMixture::new(w.clone(), means.clone(), covs).unwrap();
            let as_full = GaussianMixture::new(w.clone(), means.clone(), full).unwrap();
            assert_eq!(
                gm.sample_seeded(500, 9).unwrap(),
                as_full.sample_seeded(500, 9).unwrap()
            );
        }
    }

    #[test]
    fn queries_over_the_memory_limit_are_refused_before_allocating() {
        let gm = one_d();
        let data = Dataset::from_slice_1d(&[0.0, 1.0, 2.0, 3.0]).unwrap();
        // 4 points x 2 components x 16 bytes = 128 bytes
        assert!(matches!(
            gm.predict_proba_within(&data, Some(127)),
            Err(GmmError::MemoryLimit { .. })
        ));
        assert_eq!(
            gm.predict_proba_within(&data, Some(128)).unwrap(),
            gm.predict_proba(&data).unwrap()
        );
        let mut rng = StdRng::seed_from_u64(1);
        assert!(matches!(
            gm.sample_within(1000, &mut rng, Some(1000)),
            Err(GmmError::MemoryLimit { .. })
        ));
        // without a limit of its own, 10^15 points of the default limit: refused, not
        // allocated (8 PB would abort the process)
        if crate::default_memory_limit().is_some() {
            assert!(matches!(
                gm.sample(1_000_000_000_000_000, &mut rng),
                Err(GmmError::MemoryLimit { .. })
            ));
        }
    }

    #[test]
    fn parameter_count_and_criteria() {
        let gm = one_d();
        assert_eq!(gm.n_parameters(), 2 + 1 + 2);
        let data = Dataset::from_slice_1d(&[0.0, 1.0, 2.0]).unwrap();
        let s = gm.score(&data).unwrap();
        assert_relative_eq!(gm.bic(&data).unwrap(), -6.0 * s + 5.0 * 3f64.ln());
        assert_relative_eq!(gm.aic(&data).unwrap(), -6.0 * s + 10.0);
    }
}
