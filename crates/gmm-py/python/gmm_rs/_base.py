"""What both estimators share: scikit-learn's estimator protocol, validation of X against
the fitted model, the fitted attributes, the queries, model files and the map-reduce step."""

import warnings

import numpy as np

from . import _core
from ._validation import as_data, as_weights, seed_of

try:  # scikit-learn is optional: with it the classes are full scikit-learn estimators
    from sklearn.base import BaseEstimator, DensityMixin
    from sklearn.exceptions import ConvergenceWarning, NotFittedError
    from sklearn.utils.validation import validate_data as _sk_validate_data

    HAVE_SKLEARN = True
except ImportError:  # pragma: no cover - exercised only without scikit-learn
    HAVE_SKLEARN = False
    _sk_validate_data = None

    class ConvergenceWarning(UserWarning):
        """The fit stopped at max_iter before converging."""

    class NotFittedError(ValueError, AttributeError):
        """The estimator is used before fit."""

    class DensityMixin:
        """Marks density estimators (scikit-learn's mixin, when it is installed)."""

        _estimator_type = "DensityEstimator"

    class BaseEstimator:
        """get_params / set_params over the constructor's arguments."""

        @classmethod
        def _get_param_names(cls):
            import inspect

            sig = inspect.signature(cls.__init__)
            return sorted(p for p in sig.parameters if p != "self")

        def get_params(self, deep=True):
            return {k: getattr(self, k) for k in self._get_param_names()}

        def set_params(self, **params):
            for k, v in params.items():
                if k not in self._get_param_names():
                    raise ValueError(f"invalid parameter {k!r} for {type(self).__name__}")
                setattr(self, k, v)
            return self


class _MixtureBase(DensityMixin, BaseEstimator):
    """Shared machinery; see GaussianMixture and BayesianGaussianMixture."""

    _kind = None  # "em" or "vb"

    # --- input ---------------------------------------------------------------------------
    def _validate(self, X, reset):
        arr = as_data(X)
        if HAVE_SKLEARN:
            # feature names and n_features_in_, with scikit-learn's messages
            _sk_validate_data(self, X, reset=reset, skip_check_array=True)
        elif reset:
            self.n_features_in_ = arr.shape[1]
        elif arr.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has {arr.shape[1]} features, but {type(self).__name__} is expecting "
                f"{self.n_features_in_} features as input."
            )
        return arr

    def _check_fitted(self):
        if getattr(self, "_model", None) is None:
            raise NotFittedError(
                f"This {type(self).__name__} instance is not fitted yet: call fit first"
            )

    # --- fitting -------------------------------------------------------------------------
    def fit(self, X, y=None, sample_weight=None):
        """Fits the mixture to X (n_samples, n_features); sample_weight: frequency weights.
        A C-contiguous float64 X is read in place, not copied."""
        self._fit_array(X, sample_weight)
        return self

    def fit_predict(self, X, y=None, sample_weight=None):
        """Fits the mixture and returns the most responsible component of every point."""
        return self._model.predict(self._fit_array(X, sample_weight))

    def _fit_array(self, X, sample_weight):
        arr = self._validate(X, reset=not self._continues())
        w = as_weights(sample_weight, arr.shape[0])
        warm = self._model if self._continues() else None
        model = self._fit(arr, w, seed_of(self.random_state), warm, resp_init=None)
        self._set_model(model)
        if not self.converged_:
            warnings.warn(
                f"the best of {self.n_init} initialisation(s) did not converge in "
                f"{self.max_iter} iterations: raise max_iter or tol, or check the data",
                ConvergenceWarning,
            )
        return arr

    def fit_from_responsibilities(self, X, resp, sample_weight=None):
        """Fits from given initial responsibilities, an (n_samples, n_components) array of
        non-negative values (rows normally summing to 1): the first model is one M-step on
        them. init_params, n_init and random_state are not used."""
        arr = self._validate(X, reset=True)
        w = as_weights(sample_weight, arr.shape[0])
        resp = np.ascontiguousarray(np.asarray(resp, dtype=np.float64))
        if resp.ndim != 2:
            raise ValueError(f"resp has shape {resp.shape}: give (n_samples, n_components)")
        self._set_model(self._fit(arr, w, 0, None, resp_init=resp))
        return self

    def _continues(self):
        return bool(self.warm_start) and getattr(self, "_model", None) is not None

    def _set_model(self, model):
        self._model = model
        for name, value in model.params().items():
            setattr(self, name, value)
        self.n_features_in_ = model.n_features

    # --- queries -------------------------------------------------------------------------
    def _data(self, X):
        self._check_fitted()
        return self._validate(X, reset=False)

    def score_samples(self, X):
        """Log density of every point (VB: the Student-t posterior predictive)."""
        data = self._data(X)
        return self._model.score_samples(data)

    def score(self, X, y=None, sample_weight=None):
        """Mean log density of the points of X (weighted by sample_weight if given)."""
        s = self.score_samples(X)
        return float(np.average(s, weights=as_weights(sample_weight, s.shape[0])))

    def predict(self, X):
        """The most responsible component of every point."""
        data = self._data(X)
        return self._model.predict(data)

    def predict_proba(self, X):
        """Responsibilities, (n_samples, n_components)."""
        data = self._data(X)
        return self._model.predict_proba(data)

    def sample(self, n_samples=1):
        """n_samples points drawn from the fitted (point-estimate) mixture, and their
        components; the seed comes from random_state as for fit."""
        self._check_fitted()
        if not isinstance(n_samples, (int, np.integer)) or n_samples < 1:
            raise ValueError(
                f"Invalid value for 'n_samples': {n_samples!r}: draw at least one point"
            )
        return self._model.sample(int(n_samples), seed_of(self.random_state))

    def bic(self, X):
        """Bayesian information criterion of the (point-estimate) mixture on X."""
        data = self._data(X)
        return self._model.bic(data)

    def aic(self, X):
        """Akaike information criterion of the (point-estimate) mixture on X."""
        data = self._data(X)
        return self._model.aic(data)

    # --- model files ---------------------------------------------------------------------
    def to_json(self):
        """The fitted model in gmm's JSON model format."""
        self._check_fitted()
        return self._model.to_json()

    def save(self, path):
        """Writes the fitted model to path in gmm's JSON model format (what the `gmm`
        command reads, e.g. `gmm score model.json data.csv`)."""
        self._check_fitted()
        self._model.save(str(path))

    @classmethod
    def load(cls, path):
        """An estimator fitted from gmm's model file at path (written by save or by
        `gmm fit ... -o path`)."""
        return cls._from_model(_core.Model.load(str(path)))

    @classmethod
    def from_json(cls, text):
        """An estimator fitted from gmm's JSON model text."""
        return cls._from_model(_core.Model.from_json(text))

    @classmethod
    def _from_model(cls, model):
        if model.kind != cls._kind:
            other = "BayesianGaussianMixture" if model.kind == "vb" else "GaussianMixture"
            raise ValueError(
                f"the model file holds a {model.kind.upper()} model: load it with "
                f"gmm_rs.{other}.load"
            )
        est = cls(n_components=model.n_components, covariance_type=model.covariance_type)
        est._set_model(model)
        for name, value in (("n_iter_", 0), ("converged_", False)):
            if not hasattr(est, name):
                setattr(est, name, value)
        return est

    # --- the map-reduce step -------------------------------------------------------------
    def initialize(self, X, sample_weight=None):
        """Sets the model an iteration starts from without iterating: the M-step on the
        initial responsibilities of X (init_params / means_init, random_state), or the
        given weights_init/means_init/precisions_init. Returns self; then
        statistics() and m_step() run the fit on any engine (docs/python.md)."""
        arr = self._validate(X, reset=True)
        w = as_weights(sample_weight, arr.shape[0])
        model = self._fit(arr, w, seed_of(self.random_state), None, resp_init=None, iterate=False)
        self._set_model(model)
        self.n_iter_, self.converged_ = 0, False
        self.lower_bounds_ = np.empty(0)
        self.lower_bound_ = -np.inf
        return self

    def statistics(self, X, sample_weight=None):
        """The map step: the sufficient statistics of the chunk X (with its weights) under
        the current model, a gmm_rs.Statistics (merge with + or .merge, ship with
        .to_bytes() / Statistics.from_bytes)."""
        arr = self._data(X)
        return self._model.e_step(arr, as_weights(sample_weight, arr.shape[0]))

    def m_step(self, statistics):
        """The reduce step's end: replaces the model by the M-step on merged statistics,
        records the bound they give in lower_bounds_, updates n_iter_ and converged_ with
        scikit-learn's rule (|change of the bound| < tol), and returns the bound."""
        self._check_fitted()
        model, bound = self._model.m_step(statistics, float(self.reg_covar))
        previous = list(getattr(self, "lower_bounds_", []))
        params = model.params()
        for name, value in params.items():
            setattr(self, name, value)
        self._model = model
        self.lower_bounds_ = np.asarray(previous + [bound])
        self.lower_bound_ = bound
        self.n_iter_ = len(previous) + 1
        self.converged_ = bool(previous) and abs(bound - previous[-1]) < self.tol
        return bound

    def __sklearn_is_fitted__(self):
        return getattr(self, "_model", None) is not None
