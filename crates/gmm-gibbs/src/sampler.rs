//! One Gibbs sweep's two blocks (docs/gibbs.md, G1-G5): labels given the parameters, drawn
//! from the responsibilities of the shared E-step kernel, and the parameters given the
//! labels' sufficient statistics.

use gmm_core::{
    CovarianceType, Dataset, EStepKernel, GmmError, Result, SufficientStats, cholesky_lower,
};
use gmm_vb::Priors;
use rand::{Rng, RngExt, SeedableRng, rngs::StdRng};
use rayon::prelude::*;

use crate::conditionals::{draw_components, draw_log_weights};
use crate::draw::Draw;
use crate::random::stream_seed;

/// The conditional distributions of the Gibbs sampler for K components under given priors:
/// the building block of [`crate::GibbsParams::fit`], public for samplers of one's own
/// (the Geweke test drives it step by step).
///
/// ```
/// use gmm_core::{CovarianceType, Dataset};
/// use gmm_gibbs::Sampler;
/// use gmm_vb::VbParams;
/// use rand::{SeedableRng, rngs::StdRng};
/// let data = Dataset::from_slice_1d(&[-2.1, -1.9, -2.0, 2.0, 2.2, 1.8])?;
/// let priors = VbParams::new(2).covariance_type(CovarianceType::Spherical).resolve_priors(&data)?;
/// let sampler = Sampler::new(priors, CovarianceType::Spherical, 2)?;
/// let mut rng = StdRng::seed_from_u64(1);
/// let mut draw = sampler.draw_prior(&mut rng)?;
/// let mut labels = vec![0; data.n_samples()];
/// for sweep in 0..20 {
///     let stats = sampler.draw_labels(&data, &mut draw, &mut labels, sweep)?;
///     draw = sampler.draw_parameters(&stats, &mut rng)?;
/// }
/// assert_eq!(draw.n_components(), 2);
/// # Ok::<(), gmm_core::GmmError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Sampler {
    priors: Priors,
    covariance_type: CovarianceType,
    n_components: usize,
}

impl Sampler {
    /// The sampler of `n_components` components of `covariance_type` under `priors`
    /// (resolved priors, as [`gmm_vb::VbParams::resolve_priors`] gives). Diag uses the
    /// diagonal of `priors.covariance`, spherical its trace (docs/gibbs.md, G5).
    ///
    /// # Errors
    /// [`GmmError::InvalidParameter`] naming `n_components` (0), `weight_concentration_prior`,
    /// `mean_precision_prior`, `degrees_of_freedom_prior`, `mean_prior` or
    /// `covariance_prior` (not finite, out of range, or not positive definite).
    pub fn new(
        priors: Priors,
        covariance_type: CovarianceType,
        n_components: usize,
    ) -> Result<Self> {
        check_priors(&priors)?;
        if n_components == 0 {
            return Err(GmmError::InvalidParameter {
                name: "n_components",
                value: "0".into(),
                reason: "a mixture needs at least one component".into(),
            });
        }
        Ok(Self {
            priors,
            covariance_type,
            n_components,
        })
    }

    /// The priors.
    pub fn priors(&self) -> &Priors {
        &self.priors
    }

    /// The covariance type.
    pub fn covariance_type(&self) -> CovarianceType {
        self.covariance_type
    }

    /// Number of components K.
    pub fn n_components(&self) -> usize {
        self.n_components
    }

    /// A draw from the prior: the conditionals given empty statistics.
    ///
    /// # Errors
    /// As [`Sampler::draw_parameters`].
    pub fn draw_prior<R: Rng + ?Sized>(&self, rng: &mut R) -> Result<Draw> {
        let kind = self.covariance_type.scatter_kind();
        let empty = SufficientStats::zeros(self.n_components, self.priors.mean.as_slice(), kind);
        self.draw_parameters(&empty, rng)
    }

    /// The parameters given the labels' statistics: weights (G2, G3), then each component's
    /// covariance and mean (G4, G5). The draw's log-likelihood is NaN until
    /// [`Sampler::draw_labels`] visits the data with it.
    ///
    /// # Errors
    /// [`GmmError::ShapeMismatch`] for statistics of another K or D;
    /// [`GmmError::InvalidParameter`] naming `data` when a draw overflows (data of extreme
    /// scale).
    pub fn draw_parameters<R: Rng + ?Sized>(
        &self,
        stats: &SufficientStats,
        rng: &mut R,
    ) -> Result<Draw> {
        self.check_stats(stats)?;
        let log_weights = draw_log_weights(&self.priors, stats.n_k(), rng);
        let (means, covariances) = draw_components(&self.priors, self.covariance_type, stats, rng)?;
        Ok(Draw {
            log_weights,
            means,
            covariances,
            log_likelihood: f64::NAN,
            label_counts: stats.n_k().to_vec(),
        })
    }

    /// The labels given the parameters (G1): for each point, `log rho_nk` from the shared
    /// E-step kernel, then a categorical draw from `r_nk = exp(log rho_nk - logsumexp_j log
    /// rho_nj)`. Writes the labels into `labels`, sets `draw`'s log-likelihood, and returns
    /// the labels' sufficient statistics (means relative to the first point).
    ///
    /// The points go in chunks of [`EStepKernel::chunk_rows`] in parallel; chunk `c` draws
    /// from its own stream seeded by `(seed, c)`, and the statistics merge in chunk order,
    /// so the result is the same on any number of threads.
    ///
    /// # Errors
    /// [`GmmError::ShapeMismatch`] when the data's dimension, the draw's K or D, or
    /// `labels.len()` do not fit; [`GmmError::NotPositiveDefinite`] for a draw whose
    /// covariance has no Cholesky factor.
    pub fn draw_labels(
        &self,
        data: &Dataset,
        draw: &mut Draw,
        labels: &mut [usize],
        seed: u64,
    ) -> Result<SufficientStats> {
        self.check_draw(draw)?;
        data.check_features(self.priors.n_features())?;
        if labels.len() != data.n_samples() {
            return Err(GmmError::ShapeMismatch {
                what: "number of labels against the number of points".into(),
                expected: data.n_samples(),
                found: labels.len(),
            });
        }
        let kernel = draw.kernel()?;
        let d = data.n_features();
        let k = self.n_components;
        let kind = self.covariance_type.scatter_kind();
        let origin = data.row(0).to_vec();
        let rows = EStepKernel::chunk_rows(d);
        let mut total = SufficientStats::zeros(k, &origin, kind);
        let mut log_likelihood = 0.0;
        // Batches as the E-step's: the statistics of one batch's chunks are alive at once.
        let batch_rows = EStepKernel::batch_rows(d);
        let chunks_per_batch = batch_rows / rows;
        let batches = data
            .as_slice()
            .chunks(batch_rows * d)
            .zip(labels.chunks_mut(batch_rows));
        for (b, (points, batch_labels)) in batches.enumerate() {
            let parts: Vec<(SufficientStats, f64)> = points
                .par_chunks(rows * d)
                .zip(batch_labels.par_chunks_mut(rows))
                .enumerate()
                .map(|(i, (chunk, chunk_labels))| {
                    let chunk_index = (b * chunks_per_batch + i) as u64;
                    let mut rng = StdRng::seed_from_u64(stream_seed(seed, chunk_index));
                    let ll = draw_chunk_labels(&kernel, chunk, chunk_labels, &mut rng)?;
                    let stats =
                        SufficientStats::from_labels(chunk, chunk_labels, None, k, &origin, kind);
                    Ok((stats, ll))
                })
                .collect::<Result<_>>()?;
            for (stats, ll) in &parts {
                total.merge(stats);
                log_likelihood += ll;
            }
        }
        draw.log_likelihood = log_likelihood;
        Ok(total)
    }

    fn check_stats(&self, stats: &SufficientStats) -> Result<()> {
        let mismatch = |what: &str, expected, found| GmmError::ShapeMismatch {
            what: what.into(),
            expected,
            found,
        };
        if stats.n_components() != self.n_components {
            return Err(mismatch(
                "number of components of the statistics",
                self.n_components,
                stats.n_components(),
            ));
        }
        if stats.n_features() != self.priors.n_features() {
            return Err(mismatch(
                "dimension of the statistics",
                self.priors.n_features(),
                stats.n_features(),
            ));
        }
        let kind = self.covariance_type.scatter_kind();
        if stats.scatter_kind() != kind && kind == gmm_core::ScatterKind::Full {
            return Err(GmmError::InvalidParameter {
                name: "stats",
                value: format!("{:?}", stats.scatter_kind()),
                reason: format!("{} covariances need the full scatter", self.covariance_type),
            });
        }
        Ok(())
    }

    fn check_draw(&self, draw: &Draw) -> Result<()> {
        if draw.n_components() != self.n_components || draw.n_features() != self.priors.n_features()
        {
            return Err(GmmError::ShapeMismatch {
                what: "components x dimension of the draw".into(),
                expected: self.n_components * self.priors.n_features(),
                found: draw.n_components() * draw.n_features(),
            });
        }
        Ok(())
    }
}

/// Draws the labels of one chunk of points and returns the chunk's log-likelihood
/// `sum_n logsumexp_k log rho_nk`. One uniform per point, inverse CDF over the
/// responsibilities scaled by their largest term.
///
/// # Errors
/// [`GmmError::ShapeMismatch`] if the chunk is not of the kernel's dimension or `labels`
/// has not one entry per point.
fn draw_chunk_labels(
    kernel: &EStepKernel,
    chunk: &[f64],
    labels: &mut [usize],
    rng: &mut StdRng,
) -> Result<f64> {
    let k = kernel.n_components();
    let mut log_rho = vec![0.0; labels.len() * k];
    kernel.log_rho_into(chunk, &mut log_rho)?;
    let mut ll = 0.0;
    for (row, label) in log_rho.chunks_exact_mut(k).zip(labels.iter_mut()) {
        let max = row.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let mut total = 0.0;
        for v in row.iter_mut() {
            *v = (*v - max).exp();
            total += *v;
        }
        ll += max + total.ln();
        let target = rng.random::<f64>() * total;
        let mut cumulative = 0.0;
        // The largest term is exactly 1, so the loop always finds a component with weight;
        // rounding at the end falls to the last component with weight.
        *label = row.iter().rposition(|&v| v > 0.0).unwrap_or(0);
        for (c, &v) in row.iter().enumerate() {
            cumulative += v;
            if target < cumulative {
                *label = c;
                break;
            }
        }
    }
    Ok(ll)
}

/// Checks resolved priors (a user may build [`Priors`] by hand).
fn check_priors(p: &Priors) -> Result<()> {
    let invalid = |name: &'static str, value: String, reason: String| {
        Err(GmmError::InvalidParameter {
            name,
            value,
            reason,
        })
    };
    let d = p.n_features();
    if !(p.weight_concentration.is_finite() && p.weight_concentration > 0.0) {
        return invalid(
            "weight_concentration_prior",
            p.weight_concentration.to_string(),
            "use a finite value > 0".into(),
        );
    }
    if !(p.mean_precision.is_finite() && p.mean_precision > 0.0) {
        return invalid(
            "mean_precision_prior",
            p.mean_precision.to_string(),
            "use a finite value > 0".into(),
        );
    }
    if !(p.degrees_of_freedom.is_finite() && p.degrees_of_freedom > d as f64 - 1.0) {
        return invalid(
            "degrees_of_freedom_prior",
            p.degrees_of_freedom.to_string(),
            format!("use a finite value > D - 1 = {}", d as f64 - 1.0),
        );
    }
    if d == 0 || p.mean.iter().any(|v| !v.is_finite()) {
        return invalid(
            "mean_prior",
            format!("{}", p.mean.transpose()),
            "use D > 0 finite values".into(),
        );
    }
    let covariance = p.covariance_matrix();
    if covariance.shape() != (d, d) || cholesky_lower(0, &covariance).is_err() {
        return invalid(
            "covariance_prior",
            format!("{covariance}"),
            format!("use a symmetric positive definite {d} x {d} matrix"),
        );
    }
    Ok(())
}
