//! A mixture averaged over posterior draws: the Monte Carlo posterior predictive of a
//! sampler's kept draws (a Gibbs fit's, or those its model file keeps).

use nalgebra::DMatrix;
use rand::{RngExt, SeedableRng, rngs::StdRng};

use crate::data::Dataset;
use crate::error::{GmmError, Result};
use crate::mixture::{GaussianMixture, MixtureModel, check_responsibilities_memory};

/// `S` draws of a mixture's parameters (same K, D and covariance type, components matched
/// across draws, i.e. relabelled), answering as the posterior predictive they estimate:
///
/// - `score_samples`: `ln p(x | X) ~ ln (1/S) sum_s p(x | theta_s)`, the draws' densities
///   averaged (not the density of the averaged parameters);
/// - `predict_proba`: the predictive responsibilities
///   `p(z = k | x, X) ~ sum_s pi_k^s N(x | mu_k^s, Sigma_k^s) / sum_s p(x | theta_s)`,
///   the joint of label and point averaged over the draws, divided by the predictive
///   density (each draw's responsibilities weighted by its density at `x`); they sum to 1;
/// - `predict`: the component of largest predictive responsibility (ties to the lowest
///   index).
///
/// ```
/// use gmm_core::{synthetic, MixtureModel, PosteriorDraws};
/// let a = synthetic::one_d_three_clusters();
/// let draws = PosteriorDraws::new(vec![a.clone(), a.clone()])?;
/// let data = synthetic::draw(&a, 50, 1)?.data;
/// // identical draws: the predictive is the mixture itself
/// let (p, q) = (draws.score_samples(&data)?, a.score_samples(&data)?);
/// assert!(p.iter().zip(&q).all(|(p, q)| (p - q).abs() < 1e-12));
/// # Ok::<(), gmm_core::GmmError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct PosteriorDraws {
    draws: Vec<GaussianMixture>,
}

impl PosteriorDraws {
    /// The draws, checked to be at least one and of one K, D and covariance type.
    ///
    /// # Errors
    /// [`GmmError::InvalidModel`] naming the first draw that differs from draw 0, or when
    /// there is none.
    pub fn new(draws: Vec<GaussianMixture>) -> Result<Self> {
        let Some(first) = draws.first() else {
            return Err(GmmError::InvalidModel {
                reason: "no posterior draws: keep at least one, or use the posterior-mean \
                         mixture"
                    .into(),
            });
        };
        let shape = |m: &GaussianMixture| (m.n_components(), m.n_features(), m.covariance_type());
        if let Some(i) = draws.iter().position(|m| shape(m) != shape(first)) {
            let (k, d, t) = shape(&draws[i]);
            let (k0, d0, t0) = shape(first);
            return Err(GmmError::InvalidModel {
                reason: format!(
                    "draw {i} has K = {k}, D = {d}, {t} covariances but draw 0 has K = {k0}, \
                     D = {d0}, {t0}: every draw must be of one model"
                ),
            });
        }
        Ok(Self { draws })
    }

    /// The draws.
    pub fn draws(&self) -> &[GaussianMixture] {
        &self.draws
    }

    /// The number of draws `S`.
    pub fn len(&self) -> usize {
        self.draws.len()
    }

    /// Always false: there is at least one draw.
    pub fn is_empty(&self) -> bool {
        self.draws.is_empty()
    }

    /// Draws `n` points from the posterior predictive, and the (relabelled) component each
    /// came from: each point's draw is chosen uniformly among the `S` draws, then its
    /// component and the point from that draw's mixture ([`GaussianMixture::sample`]). The
    /// points come grouped by draw, in draw order; the random numbers come from
    /// `StdRng::seed_from_u64(seed)`.
    ///
    /// # Errors
    /// [`GmmError::InvalidParameter`] when `n = 0`; [`GmmError::MemoryLimit`] when the
    /// points would not fit in memory.
    pub fn sample_seeded(&self, n: usize, seed: u64) -> Result<(Dataset, Vec<usize>)> {
        if n == 0 {
            return self.draws[0].sample_seeded(0, seed);
        }
        let mut rng = StdRng::seed_from_u64(seed);
        let mut counts = vec![0usize; self.draws.len()];
        for _ in 0..n {
            counts[rng.random_range(0..self.draws.len())] += 1;
        }
        let d = self.n_features();
        let mut values = Vec::new();
        let mut labels = Vec::with_capacity(n);
        for (m, &count) in self.draws.iter().zip(&counts) {
            if count == 0 {
                continue;
            }
            let (points, l) = m.sample(count, &mut rng)?;
            values.extend((0..count).flat_map(|i| points.row(i).iter().copied()));
            labels.extend(l);
        }
        Ok((Dataset::from_row_major(n, d, values)?, labels))
    }
}

/// A running log-sum-exp per entry: the maximum and the sum of `exp(v - max)`.
struct LogSumExp {
    max: Vec<f64>,
    sum: Vec<f64>,
}

impl LogSumExp {
    fn new(len: usize) -> Self {
        Self {
            max: vec![f64::NEG_INFINITY; len],
            sum: vec![0.0; len],
        }
    }

    fn push(&mut self, values: impl Iterator<Item = f64>) {
        for ((m, s), v) in self.max.iter_mut().zip(&mut self.sum).zip(values) {
            if v == f64::NEG_INFINITY {
                continue;
            }
            if v > *m {
                *s = *s * (*m - v).exp() + 1.0;
                *m = v;
            } else {
                *s += (v - *m).exp();
            }
        }
    }

    /// `ln sum exp(v)` of every entry (`-inf` where every value was `-inf`).
    fn values(&self) -> impl Iterator<Item = f64> + '_ {
        self.max.iter().zip(&self.sum).map(|(m, s)| m + s.ln())
    }
}

impl MixtureModel for PosteriorDraws {
    fn n_components(&self) -> usize {
        self.draws[0].n_components()
    }

    fn n_features(&self) -> usize {
        self.draws[0].n_features()
    }

    fn score_samples(&self, data: &Dataset) -> Result<Vec<f64>> {
        data.check_features(self.n_features())?;
        let mut acc = LogSumExp::new(data.n_samples());
        for m in &self.draws {
            acc.push(m.score_samples(data)?.into_iter());
        }
        let ln_s = (self.draws.len() as f64).ln();
        Ok(acc.values().map(|v| v - ln_s).collect())
    }

    /// Holds four N x K matrices at a time (the result, the running log-sum-exp and one
    /// draw's log responsibilities), checked against `max_memory` as such.
    fn predict_proba_within(
        &self,
        data: &Dataset,
        max_memory: Option<u64>,
    ) -> Result<DMatrix<f64>> {
        data.check_features(self.n_features())?;
        let (n, k) = (data.n_samples(), self.n_components());
        check_responsibilities_memory(n.saturating_mul(4), k, max_memory)?;
        // ln sum_s pi_k^s N_k^s(x_n), entry (n, k) at n * K + k.
        let mut joint = LogSumExp::new(n * k);
        for m in &self.draws {
            let log_resp = m.log_resp(data)?;
            let log_norm = m.score_samples(data)?;
            joint.push((0..n * k).map(|i| log_resp[(i / k, i % k)] + log_norm[i / k]));
        }
        let joint: Vec<f64> = joint.values().collect();
        Ok(DMatrix::from_fn(n, k, |row, c| {
            let cells = &joint[row * k..(row + 1) * k];
            let top = cells.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let total: f64 = cells.iter().map(|v| (v - top).exp()).sum();
            (cells[c] - top).exp() / total
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::covariance::Covariances;
    use nalgebra::{DVector, dmatrix, dvector};

    fn one_d(weights: [f64; 2], means: [f64; 2], vars: [f64; 2]) -> GaussianMixture {
        GaussianMixture::new(
            DVector::from_row_slice(&weights),
            DMatrix::from_row_slice(2, 1, &means),
            Covariances::Spherical(vars.to_vec()),
        )
        .unwrap()
    }

    fn normal(x: f64, m: f64, v: f64) -> f64 {
        (-(x - m).powi(2) / (2.0 * v)).exp() / (2.0 * std::f64::consts::PI * v).sqrt()
    }

    #[test]
    fn density_and_responsibilities_are_the_draws_averages_by_hand() {
        let a = one_d([0.3, 0.7], [0.0, 4.0], [1.0, 2.0]);
        let b = one_d([0.5, 0.5], [1.0, 3.0], [0.5, 4.0]);
        let draws = PosteriorDraws::new(vec![a, b]).unwrap();
        let data = Dataset::from_slice_1d(&[0.5, 2.5, -30.0]).unwrap();
        let p = draws.score_samples(&data).unwrap();
        let r = draws.predict_proba(&data).unwrap();
        for (n, &x) in [0.5, 2.5, -30.0].iter().enumerate() {
            let ja = [0.3 * normal(x, 0.0, 1.0), 0.7 * normal(x, 4.0, 2.0)];
            let jb = [0.5 * normal(x, 1.0, 0.5), 0.5 * normal(x, 3.0, 4.0)];
            let total = ja[0] + ja[1] + jb[0] + jb[1];
            let want = (total / 2.0).ln();
            assert!((p[n] - want).abs() < 1e-9 * want.abs().max(1.0), "{n}");
            if total > 0.0 {
                let want0 = (ja[0] + jb[0]) / total;
                assert!((r[(n, 0)] - want0).abs() < 1e-9, "{n}: {}", r[(n, 0)]);
            }
            assert!((r[(n, 0)] + r[(n, 1)] - 1.0).abs() < 1e-12);
        }
        // far in the tail (densities underflow) the values stay finite
        assert!(p[2].is_finite() && r[(2, 0)].is_finite());
        assert_eq!(draws.predict(&data).unwrap()[0], 0);
    }

    #[test]
    fn samples_follow_the_predictive_and_are_seeded() {
        // two draws, one with its mass at 0 and one at 100: half the points near each
        let a = one_d([0.5, 0.5], [0.0, 0.1], [0.01, 0.01]);
        let b = one_d([0.5, 0.5], [100.0, 100.1], [0.01, 0.01]);
        let draws = PosteriorDraws::new(vec![a, b]).unwrap();
        let (x, labels) = draws.sample_seeded(2000, 3).unwrap();
        assert_eq!((x.n_samples(), labels.len()), (2000, 2000));
        let high = (0..2000).filter(|&i| x.row(i)[0] > 50.0).count();
        // Binomial(2000, 1/2): sd 22
        assert!((high as f64 - 1000.0).abs() < 100.0, "{high}");
        assert_eq!(draws.sample_seeded(2000, 3).unwrap().1, labels);
        assert!(draws.sample_seeded(0, 3).is_err());
    }

    #[test]
    fn draws_of_different_models_or_none_are_refused() {
        assert!(PosteriorDraws::new(vec![]).is_err());
        let a = one_d([0.5, 0.5], [0.0, 1.0], [1.0, 1.0]);
        let c = GaussianMixture::new(
            dvector![1.0],
            dmatrix![0.0],
            Covariances::Spherical(vec![1.0]),
        )
        .unwrap();
        let e = PosteriorDraws::new(vec![a, c]).unwrap_err().to_string();
        assert!(e.contains("draw 1 has K = 1"), "{e}");
    }
}
