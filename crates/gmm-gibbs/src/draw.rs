//! One draw of the mixture's parameters: log weights, means, covariances, and the
//! log-likelihood of the data at them.

use gmm_core::{
    CovarianceType, Covariances, EStepKernel, GaussianMixture, GmmError, Result, half_log_2pi,
};
use nalgebra::{DMatrix, DVector};

/// One posterior (or prior) draw of a mixture's parameters.
///
/// The weights are kept as logs (`ln pi_k`), so that a weight too small for an `f64` stays a
/// finite log where it can; [`Draw::weights`] exponentiates them.
#[derive(Debug, Clone, PartialEq)]
pub struct Draw {
    pub(crate) log_weights: Vec<f64>,
    /// K x D.
    pub(crate) means: DMatrix<f64>,
    pub(crate) covariances: Covariances,
    pub(crate) log_likelihood: f64,
    /// `N_k` of the labels the parameters were drawn given (empty for [`Draw::new`]).
    pub(crate) label_counts: Vec<f64>,
}

impl Draw {
    /// A draw of given parameters (as a simulator of one's own makes them); the
    /// log-likelihood is NaN until `Sampler::draw_labels` visits data with it.
    ///
    /// # Errors
    /// [`GmmError::ShapeMismatch`] when the sizes disagree; [`GmmError::InvalidWeights`] for
    /// a negative or non-finite weight; [`GmmError::NotPositiveDefinite`] for an invalid
    /// covariance.
    pub fn new(weights: &[f64], means: DMatrix<f64>, covariances: Covariances) -> Result<Self> {
        let (k, d) = means.shape();
        if weights.len() != k {
            return Err(GmmError::ShapeMismatch {
                what: "number of weights against the number of means".into(),
                expected: k,
                found: weights.len(),
            });
        }
        if let Some(w) = weights.iter().find(|w| !(w.is_finite() && **w >= 0.0)) {
            return Err(GmmError::InvalidWeights {
                reason: format!("weight {w} is not a finite number >= 0"),
            });
        }
        covariances.check_shape(k, d)?;
        covariances.precision_cholesky()?;
        Ok(Self {
            log_weights: weights.iter().map(|w| w.ln()).collect(),
            means,
            covariances,
            log_likelihood: f64::NAN,
            label_counts: Vec::new(),
        })
    }

    /// Number of components K.
    pub fn n_components(&self) -> usize {
        self.means.nrows()
    }

    /// Dimension D.
    pub fn n_features(&self) -> usize {
        self.means.ncols()
    }

    /// `ln pi_k`, K values.
    pub fn log_weights(&self) -> &[f64] {
        &self.log_weights
    }

    /// The weights `pi_k`.
    pub fn weights(&self) -> DVector<f64> {
        DVector::from_iterator(
            self.log_weights.len(),
            self.log_weights.iter().map(|w| w.exp()),
        )
    }

    /// The means, K x D (one per row).
    pub fn means(&self) -> &DMatrix<f64> {
        &self.means
    }

    /// The covariances, stored as their type needs.
    pub fn covariances(&self) -> &Covariances {
        &self.covariances
    }

    /// The covariance type.
    pub fn covariance_type(&self) -> CovarianceType {
        self.covariances.covariance_type()
    }

    /// `ln p(X | theta) = sum_n ln sum_k pi_k N(x_n | mu_k, Sigma_k)` of the training data at
    /// this draw (NaN for a draw that has not met the data, as a prior draw).
    pub fn log_likelihood(&self) -> f64 {
        self.log_likelihood
    }

    /// `N_k`, the number of points per component in the labels this draw's parameters were
    /// drawn given (K values; empty for a draw made by [`Draw::new`]).
    pub fn label_counts(&self) -> &[f64] {
        &self.label_counts
    }

    /// The mixture of this draw's parameters.
    ///
    /// # Errors
    /// [`GmmError::InvalidWeights`] when a weight underflowed to 0 and the others do not sum
    /// to 1 within `WEIGHT_SUM_TOLERANCE`; any error of [`GaussianMixture::new`].
    pub fn mixture(&self) -> Result<GaussianMixture> {
        GaussianMixture::new(self.weights(), self.means.clone(), self.covariances.clone())
    }

    /// The E-step kernel of this draw: `c_k = ln pi_k + sum ln diag(P_k) - D/2 ln 2 pi`, so
    /// that `log rho_nk = ln pi_k + ln N(x_n | mu_k, Sigma_k)` (docs/gibbs.md, G1).
    pub(crate) fn kernel(&self) -> Result<EStepKernel> {
        let (k, d) = self.means.shape();
        let factors = self.covariances.precision_cholesky()?;
        let constants = (0..k)
            .map(|c| self.log_weights[c] + factors.log_det(c, d) - half_log_2pi(d))
            .collect();
        EStepKernel::new(&self.means, &factors, constants)
    }

    /// Reorders the components: component `k` becomes the old component `order[k]`.
    pub(crate) fn permute(&mut self, order: &[usize]) {
        self.log_weights = order.iter().map(|&j| self.log_weights[j]).collect();
        self.means = DMatrix::from_fn(self.means.nrows(), self.means.ncols(), |k, j| {
            self.means[(order[k], j)]
        });
        if !self.label_counts.is_empty() {
            self.label_counts = order.iter().map(|&j| self.label_counts[j]).collect();
        }
        self.covariances = match &self.covariances {
            Covariances::Full(m) => {
                Covariances::Full(order.iter().map(|&j| m[j].clone()).collect())
            }
            Covariances::Diagonal(v) => {
                Covariances::Diagonal(order.iter().map(|&j| v[j].clone()).collect())
            }
            Covariances::Spherical(v) => {
                Covariances::Spherical(order.iter().map(|&j| v[j]).collect())
            }
            Covariances::Tied(m) => Covariances::Tied(m.clone()),
        };
    }

    /// Number of f64s one draw holds (for the memory estimate of a fit's draws).
    pub(crate) fn f64s(covariance_type: CovarianceType, k: usize, d: usize) -> u64 {
        let (k, d) = (k as u64, d as u64);
        let cov = match covariance_type {
            CovarianceType::Full => k * d * d,
            CovarianceType::Tied => d * d,
            CovarianceType::Diagonal => k * d,
            CovarianceType::Spherical => k,
        };
        k * (d + 2) + cov + 1
    }
}

/// The error for a draw whose parameters came out unusable (an overflow on extreme data).
pub(crate) fn unusable_draw(what: &str) -> GmmError {
    GmmError::InvalidParameter {
        name: "data",
        value: what.to_string(),
        reason: "a posterior draw overflowed: rescale the data (e.g. standardise each column) \
                 or give a covariance_prior of the data's scale"
            .into(),
    }
}
