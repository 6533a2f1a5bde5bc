"""gmm_rs.GaussianMixture (EM) and gmm_rs.BayesianGaussianMixture (VB): scikit-learn's
constructors and defaults, fitted by the Rust core."""

import numpy as np

from . import _core
from ._base import _MixtureBase


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
    fit(X, y=None, sample_weight=None) takes frequency weights.
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

    def _fit(self, X, w, seed, warm, resp_init, iterate=True):
        return _core.fit_em(
            X,
            w,
            _count(self.n_components, "n_components"),
            str(self.covariance_type),
            float(self.tol),
            float(self.reg_covar),
            _count(self.max_iter, "max_iter"),
            1 if warm is not None else _count(self.n_init, "n_init"),
            str(self.init_params),
            seed,
            weights_init=_optional_array(self.weights_init, 1, "weights_init"),
            means_init=_optional_array(self.means_init, 2, "means_init"),
            precisions_init=_optional_array(self.precisions_init, None, "precisions_init"),
            warm_start=warm,
            resp_init=resp_init,
            iterate=iterate,
        )


class BayesianGaussianMixture(_MixtureBase):
    """Variational Bayesian Gaussian mixture, as scikit-learn's BayesianGaussianMixture
    (same parameters, defaults, iterations and fitted attributes, posterior included).

    Differences: lower_bound_ and lower_bounds_ are the full ELBO with every constant (a
    true lower bound on ln p(X)); scikit-learn's drops constants. score_samples is the log
    Student-t posterior predictive density. means_init (not in scikit-learn's class) starts
    from given means as `gmm fit --init-means`: each point to its nearest mean, then the
    first M-step. random_state as in GaussianMixture.
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

    def _covariance_prior_matrix(self, d):
        """scikit-learn's covariance_prior (a matrix for full and tied, D variances for
        diag, one variance for spherical) as the D x D matrix the core takes."""
        c = self.covariance_prior
        if c is None:
            return None
        c = np.asarray(c, dtype=np.float64)
        if c.ndim == 0:
            return np.ascontiguousarray(float(c) * np.eye(d))
        if c.ndim == 1:
            return np.ascontiguousarray(np.diag(c))
        return np.ascontiguousarray(c)

    def _fit(self, X, w, seed, warm, resp_init, iterate=True):
        return _core.fit_vb(
            X,
            w,
            _count(self.n_components, "n_components"),
            str(self.covariance_type),
            float(self.tol),
            float(self.reg_covar),
            _count(self.max_iter, "max_iter"),
            1 if warm is not None else _count(self.n_init, "n_init"),
            str(self.init_params),
            seed,
            str(self.weight_concentration_prior_type),
            weight_concentration_prior=_optional_float(self.weight_concentration_prior),
            mean_precision_prior=_optional_float(self.mean_precision_prior),
            mean_prior=_optional_array(self.mean_prior, 1, "mean_prior"),
            degrees_of_freedom_prior=_optional_float(self.degrees_of_freedom_prior),
            covariance_prior=self._covariance_prior_matrix(X.shape[1]),
            means_init=_optional_array(self.means_init, 2, "means_init"),
            warm_start=warm,
            resp_init=resp_init,
            iterate=iterate,
        )


def _count(value, name):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} = {value!r}: give an int")
    if value < 0:
        raise ValueError(f"invalid {name} = {value}: give an int >= 1")
    return int(value)


def _optional_float(value):
    return None if value is None else float(value)
