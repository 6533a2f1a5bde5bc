"""gmm_rs.GaussianMixture (EM) and gmm_rs.BayesianGaussianMixture (VB): scikit-learn's
constructors and defaults, fitted by the Rust core; gmm_rs.MAPGaussianMixture (MAP-EM), not
in scikit-learn, with the same estimator API."""

import numpy as np

from . import _core
from ._base import HAVE_SKLEARN, _MixtureBase
from ._validation import (
    check_means,
    check_precisions,
    check_weights,
    covariance_prior_matrix,
    seed_of,
)

if HAVE_SKLEARN:
    from numbers import Real as _sk_Real

    from sklearn import mixture as _sk_mixture
    from sklearn.utils._param_validation import Interval as _sk_Interval
    from sklearn.utils._param_validation import StrOptions as _sk_StrOptions

    # the option every estimator here adds to scikit-learn's parameters
    _MISSING_CONSTRAINT = {"missing": [_sk_StrOptions({"refuse", "marginalise"})]}


def _optional_array(a, ndim, name):
    if a is None:
        return None
    arr = np.ascontiguousarray(np.asarray(a, dtype=np.float64))
    if ndim is not None and arr.ndim != ndim:
        raise ValueError(f"{name} has shape {arr.shape}: give a {ndim}-D array")
    return arr


class GaussianMixture(_MixtureBase):
    """Gaussian mixture fitted by maximum-likelihood EM, as scikit-learn's GaussianMixture
    (same parameters, defaults, iterations and fitted attributes).

    random_state: an int is our seed; None draws a seed from NumPy's global RNG. The
    initialisation methods are ours (k-means++ then Lloyd for 'kmeans'), so a fit from
    init_params matches scikit-learn's in distribution, not bit for bit; from
    weights_init + means_init + precisions_init it matches step for step.
    fit(X, y=None, sample_weight=None) takes frequency weights: a weight of 3 counts as
    three copies of the row, in the initialisation too.

    Differences from scikit-learn: verbose prints scikit-learn's lines for the winning
    initialisation once the fit (which runs in Rust) has ended, and the time per iteration
    it shows is the fit's mean. float32 input is read in place and fitted with the E-step in
    float32 lanes (sums in float64); the fitted arrays and the float results come back in
    float32, as scikit-learn's do.

    missing (not in scikit-learn): 'refuse' (default) refuses NaN in X as scikit-learn does;
    'marginalise' reads a NaN as a missing value (missing at random): fit uses the
    likelihood of each point's observed coordinates (EM with the missing coordinates'
    conditional expectations, Ghahramani & Jordan 1994; docs/em.md, "Missing values"), and
    score_samples, score, predict, predict_proba, bic, aic and icl the marginal density of
    the observed coordinates. A point with every coordinate missing is refused, and so is
    infinity. X without a NaN gives the same fit, bit for bit, under either value; X with a
    NaN is copied (float32 widened to float64: its fit runs in float64 lanes).
    """

    _kind = "em"

    def __init__(
        self,
        n_components=1,
        *,
        covariance_type="full",
        tol=1e-3,
        reg_covar=1e-6,
        max_iter=100,
        n_init=1,
        init_params="kmeans",
        weights_init=None,
        means_init=None,
        precisions_init=None,
        random_state=None,
        warm_start=False,
        verbose=0,
        verbose_interval=10,
        missing="refuse",
    ):
        self.n_components = n_components
        self.covariance_type = covariance_type
        self.tol = tol
        self.reg_covar = reg_covar
        self.max_iter = max_iter
        self.n_init = n_init
        self.init_params = init_params
        self.weights_init = weights_init
        self.means_init = means_init
        self.precisions_init = precisions_init
        self.random_state = random_state
        self.warm_start = warm_start
        self.verbose = verbose
        self.verbose_interval = verbose_interval
        self.missing = missing

    if HAVE_SKLEARN:
        _parameter_constraints = {
            **_sk_mixture.GaussianMixture._parameter_constraints,
            **_MISSING_CONSTRAINT,
        }

    def _settings(self, d):
        """The library's request for these parameters on data of d features."""
        k = int(self.n_components)
        return _core.Settings.em(
            k,
            str(self.covariance_type),
            float(self.tol),
            float(self.reg_covar),
            int(self.max_iter),
            int(self.n_init),
            str(self.init_params),
            seed_of(self.random_state),
            d,
            weights_init=check_weights(self.weights_init, k),
            means_init=check_means(self.means_init, k, d),
            precisions_init=check_precisions(
                self.precisions_init, str(self.covariance_type), k, d
            ),
            missing=str(self.missing),
        )


class BayesianGaussianMixture(_MixtureBase):
    """Variational Bayesian Gaussian mixture, as scikit-learn's BayesianGaussianMixture
    (same parameters, defaults, iterations and fitted attributes, posterior included).

    Differences: lower_bound_ and lower_bounds_ are the full ELBO with every constant (a
    true lower bound on ln p(X)); scikit-learn's drops constants. The fit stops when five
    changes of the ELBO in a row are below tol (scikit-learn stops at the first; one small
    change can fall in a lull of a slow tail: docs/vb.md, "Convergence"), so a fit with
    max_iter <= 5 never reports converged_ on its own; with warm_start the changes of the
    previous fits count. verbose and float32 as in GaussianMixture. score_samples is the log
    Student-t posterior predictive density. means_init (not in scikit-learn's class) starts
    from given means as `gmm fit --init-means`: each point to its nearest mean, then the
    first M-step. random_state and missing as in GaussianMixture (VB with missing values:
    docs/vb.md, "Missing values"; score_samples is then the Student-t predictive of the
    observed coordinates).
    """

    _kind = "vb"

    def __init__(
        self,
        *,
        n_components=1,
        covariance_type="full",
        tol=1e-3,
        reg_covar=1e-6,
        max_iter=100,
        n_init=1,
        init_params="kmeans",
        weight_concentration_prior_type="dirichlet_process",
        weight_concentration_prior=None,
        mean_precision_prior=None,
        mean_prior=None,
        degrees_of_freedom_prior=None,
        covariance_prior=None,
        means_init=None,
        random_state=None,
        warm_start=False,
        verbose=0,
        verbose_interval=10,
        missing="refuse",
    ):
        self.n_components = n_components
        self.covariance_type = covariance_type
        self.tol = tol
        self.reg_covar = reg_covar
        self.max_iter = max_iter
        self.n_init = n_init
        self.init_params = init_params
        self.weight_concentration_prior_type = weight_concentration_prior_type
        self.weight_concentration_prior = weight_concentration_prior
        self.mean_precision_prior = mean_precision_prior
        self.mean_prior = mean_prior
        self.degrees_of_freedom_prior = degrees_of_freedom_prior
        self.covariance_prior = covariance_prior
        self.means_init = means_init
        self.random_state = random_state
        self.warm_start = warm_start
        self.verbose = verbose
        self.verbose_interval = verbose_interval
        self.missing = missing

    if HAVE_SKLEARN:
        _parameter_constraints = {
            **_sk_mixture.BayesianGaussianMixture._parameter_constraints,
            "means_init": ["array-like", None],
            **_MISSING_CONSTRAINT,
        }

    def _covariance_prior_matrix(self, d):
        """scikit-learn's covariance_prior (a matrix for full and tied, D variances for
        diag, one variance for spherical) as the D x D matrix the core takes."""
        return covariance_prior_matrix(self.covariance_prior, d)

    def _settings(self, d):
        """The library's request for these parameters on data of d features."""
        k = int(self.n_components)
        return _core.Settings.vb(
            k,
            str(self.covariance_type),
            float(self.tol),
            float(self.reg_covar),
            int(self.max_iter),
            int(self.n_init),
            str(self.init_params),
            seed_of(self.random_state),
            str(self.weight_concentration_prior_type),
            weight_concentration_prior=_optional_float(self.weight_concentration_prior),
            mean_precision_prior=_optional_float(self.mean_precision_prior),
            mean_prior=_optional_array(self.mean_prior, 1, "mean_prior"),
            degrees_of_freedom_prior=_optional_float(self.degrees_of_freedom_prior),
            covariance_prior=self._covariance_prior_matrix(d),
            means_init=check_means(self.means_init, k, d),
            missing=str(self.missing),
        )


class MAPGaussianMixture(_MixtureBase):
    """Gaussian mixture fitted by MAP-EM: EM whose M-step is the posterior mode under a
    conjugate prior (a Dirichlet on the weights, a Normal-Wishart on each component), so
    that no component collapses and no reg_covar is needed (docs/em.md, "MAP-EM").

    Not in scikit-learn (its GaussianMixture is unchanged here); the estimator API is
    scikit-learn's (fit, predict, predict_proba, score, score_samples, sample, bic, aic,
    icl, get_params/set_params, warm_start) and the fitted attributes are GaussianMixture's
    (weights_, means_, covariances_, precisions_, precisions_cholesky_, converged_,
    n_iter_, lower_bound_, lower_bounds_), with lower_bound_ the mean log posterior per
    point (log-likelihood plus log prior, divided by the total weight), never falling.

    prior: 'conjugate' (default) is VB's prior with its settings below, each None for
    BayesianGaussianMixture's default (mean_precision_prior 1, mean_prior the data mean,
    degrees_of_freedom_prior D, covariance_prior the data covariance) but
    weight_concentration_prior, the Dirichlet concentration on the weights, which is 1
    (flat) unless given and must be >= 1 (a Dirichlet below 1 has no interior mode: use
    BayesianGaussianMixture for a sparse prior); degrees_of_freedom_prior must be >= D.
    'mclust' is mclust's defaultPrior (Fraley & Raftery 2007: mean_precision 0.01, the
    data mean, D + 2 degrees of freedom, the data covariance / K^(2/D), flat weights) and
    takes none of the settings. weights_init, means_init, precisions_init, random_state,
    init_params, verbose and missing as in GaussianMixture (with missing='marginalise' the
    default prior's data mean and covariance are those of the mean-imputed points).
    """

    _kind = "map"

    def __init__(
        self,
        n_components=1,
        *,
        covariance_type="full",
        tol=1e-3,
        max_iter=100,
        n_init=1,
        init_params="kmeans",
        prior="conjugate",
        weight_concentration_prior=None,
        mean_precision_prior=None,
        mean_prior=None,
        degrees_of_freedom_prior=None,
        covariance_prior=None,
        weights_init=None,
        means_init=None,
        precisions_init=None,
        random_state=None,
        warm_start=False,
        verbose=0,
        verbose_interval=10,
        missing="refuse",
    ):
        self.n_components = n_components
        self.covariance_type = covariance_type
        self.tol = tol
        self.max_iter = max_iter
        self.n_init = n_init
        self.init_params = init_params
        self.prior = prior
        self.weight_concentration_prior = weight_concentration_prior
        self.mean_precision_prior = mean_precision_prior
        self.mean_prior = mean_prior
        self.degrees_of_freedom_prior = degrees_of_freedom_prior
        self.covariance_prior = covariance_prior
        self.weights_init = weights_init
        self.means_init = means_init
        self.precisions_init = precisions_init
        self.random_state = random_state
        self.warm_start = warm_start
        self.verbose = verbose
        self.verbose_interval = verbose_interval
        self.missing = missing

    if HAVE_SKLEARN:
        _parameter_constraints = {
            **{
                name: rule
                for name, rule in _sk_mixture.GaussianMixture._parameter_constraints.items()
                if name != "reg_covar"
            },
            "prior": [_sk_StrOptions({"conjugate", "mclust"})],
            "weight_concentration_prior": [None, _sk_Interval(_sk_Real, 0.0, None, closed="neither")],
            "mean_precision_prior": [None, _sk_Interval(_sk_Real, 0.0, None, closed="neither")],
            "mean_prior": [None, "array-like"],
            "degrees_of_freedom_prior": [None, _sk_Interval(_sk_Real, 0.0, None, closed="neither")],
            "covariance_prior": [None, "array-like", _sk_Interval(_sk_Real, 0.0, None, closed="neither")],
            **_MISSING_CONSTRAINT,
        }

    _covariance_prior_matrix = BayesianGaussianMixture._covariance_prior_matrix

    def _settings(self, d):
        """The library's request for these parameters on data of d features."""
        k = int(self.n_components)
        return _core.Settings.map(
            k,
            str(self.covariance_type),
            float(self.tol),
            int(self.max_iter),
            int(self.n_init),
            str(self.init_params),
            seed_of(self.random_state),
            d,
            str(self.prior),
            weight_concentration_prior=_optional_float(self.weight_concentration_prior),
            mean_precision_prior=_optional_float(self.mean_precision_prior),
            mean_prior=_optional_array(self.mean_prior, 1, "mean_prior"),
            degrees_of_freedom_prior=_optional_float(self.degrees_of_freedom_prior),
            covariance_prior=self._covariance_prior_matrix(d),
            weights_init=check_weights(self.weights_init, k),
            means_init=check_means(self.means_init, k, d),
            precisions_init=check_precisions(
                self.precisions_init, str(self.covariance_type), k, d
            ),
            missing=str(self.missing),
        )


def _optional_float(value):
    return None if value is None else float(value)
