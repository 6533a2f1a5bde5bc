"""What both estimators share: scikit-learn's estimator protocol and its fit semantics
(fit_predict's final E-step, warm_start continuing the bound history, max_iter=0, the
convergence warning, verbose output), validation of X against the fitted model, the fitted
attributes, the queries, model files and the map-reduce step.

Every fit, start and step runs in the Rust library (gmm_rs._core.Settings and Stepper): no
loop, stopping rule, prior or first M-step is written here."""

import time
import warnings

import numpy as np

from . import _core
from ._validation import as_data, as_weights, check_finite, seed_of

try:  # scikit-learn is optional: with it the classes are full scikit-learn estimators
    from sklearn.base import BaseEstimator, DensityMixin
    from sklearn.exceptions import ConvergenceWarning, NotFittedError
    from sklearn.utils.validation import check_is_fitted
    from sklearn.utils.validation import validate_data as _sk_validate_data

    HAVE_SKLEARN = True
except ImportError:  # pragma: no cover - exercised only without scikit-learn
    HAVE_SKLEARN = False
    _sk_validate_data = None

    class ConvergenceWarning(UserWarning):
        """The fit stopped at max_iter before converging."""

    class NotFittedError(ValueError, AttributeError):
        """The estimator is used before fit."""

    def check_is_fitted(estimator):
        if not estimator.__sklearn_is_fitted__():
            raise NotFittedError(
                f"This {type(estimator).__name__} instance is not fitted yet. Call 'fit' "
                "with appropriate arguments before using this estimator."
            )

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


CONVERGENCE_WARNING = (
    "Best performing initialization did not converge. Try different init parameters, or "
    "increase max_iter, tol, or check for degenerate data."
)


class _MixtureBase(DensityMixin, BaseEstimator):
    """Shared machinery; see GaussianMixture and BayesianGaussianMixture."""

    _kind = None  # "em", "map" or "vb"

    # --- input ---------------------------------------------------------------------------
    def _marginalises(self):
        """Whether a NaN marks a missing value (missing="marginalise") rather than an
        error."""
        return self.missing == "marginalise"

    if HAVE_SKLEARN:

        def __sklearn_tags__(self):
            """scikit-learn's tags, with allow_nan from `missing` (its checks then fit data
            with NaN, as this estimator then accepts them)."""
            tags = super().__sklearn_tags__()
            tags.input_tags.allow_nan = self._marginalises()
            return tags

    def _validate(self, X, reset, ensure_min_samples=1, keep_float32=False):
        arr = as_data(X, keep_float32=keep_float32)
        if HAVE_SKLEARN:
            # feature names and n_features_in_, with scikit-learn's messages (the array
            # itself is checked by as_data and check_finite: validate_data's array check
            # would copy what as_data already converted)
            _sk_validate_data(self, X, reset=reset, skip_check_array=True)
        elif reset:
            self.n_features_in_ = arr.shape[1]
        elif arr.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has {arr.shape[1]} features, but {type(self).__name__} is expecting "
                f"{self.n_features_in_} features as input."
            )
        if arr.shape[0] < ensure_min_samples:
            raise ValueError(
                f"Found array with {arr.shape[0]} sample(s) (shape={arr.shape}) while a "
                f"minimum of {ensure_min_samples} is required by {type(self).__name__}."
            )
        name = type(self).__name__
        check_finite(
            arr,
            name,
            allow_nan=self._marginalises(),
            nan_hint=f'{name}(missing="marginalise") reads NaN as a missing value: the fit '
            "and the queries then use the marginal density of each point's observed "
            "coordinates",
        )
        return arr

    def _validate_for_fit(self, X, reset):
        if HAVE_SKLEARN:
            self._validate_params()  # scikit-learn's parameter checks and messages
        self._input_dtype = _input_dtype(X)
        arr = self._validate(X, reset=reset, ensure_min_samples=2, keep_float32=True)
        if arr.shape[0] < self.n_components:
            raise ValueError(
                "Expected n_samples >= n_components but got n_components = "
                f"{self.n_components}, n_samples = {arr.shape[0]}"
            )
        return arr

    def _check_fitted(self):
        check_is_fitted(self)

    # --- fitting -------------------------------------------------------------------------
    def fit(self, X, y=None, sample_weight=None):
        """Fits the mixture to X (n_samples, n_features); sample_weight: frequency weights
        (a weight of 3 counts as three copies of the row, in the start too).

        As scikit-learn's: n_init initialisations, the best kept; with warm_start=True a
        fitted estimator continues from its model, and the first bound of the new fit is
        compared with the last of the previous one (so fitting one iteration at a time
        converges as one long fit would); max_iter=0 sets the initial model. A
        C-contiguous float64 or float32 X is read in place, not copied; a float32 X is
        fitted with the E-step in float32 lanes (sums in float64; float64 lanes where the
        model is too ill-conditioned for float32), within about 1e-6 of the float64 fit on
        well-conditioned data, and the fitted arrays come back in float32."""
        self._fit_array(X, sample_weight)
        return self

    def fit_predict(self, X, y=None, sample_weight=None):
        """Fits the mixture and returns the most responsible component of every point: the
        labels of a final E-step on X with the fitted model, so equal to
        fit(X).predict(X) (scikit-learn's rule)."""
        arr = self._fit_array(X, sample_weight)
        return self._model.predict(np.asarray(arr, dtype=np.float64), str(self.missing))

    def _continues(self):
        return bool(self.warm_start) and self.__sklearn_is_fitted__()

    def _fit_array(self, X, sample_weight):
        continues = self._continues()
        arr = self._validate_for_fit(X, reset=not continues)
        w = as_weights(sample_weight, arr.shape[0])
        settings = self._settings(arr.shape[1])
        started = time.perf_counter()
        if self.max_iter == 0:
            if continues:
                model = self._model
            else:
                model = settings.start(np.asarray(arr, dtype=np.float64), w).model()
            self._set_model(model)
            self.n_iter_, self.converged_ = 0, False
            self.lower_bound_, self.lower_bounds_ = -np.inf, []
            return arr
        if continues:
            model = settings.run(settings.stepper(self._model, continuing=True), arr, w)
        else:
            model = settings.fit(arr, w)
        self._set_model(model)
        self._print_verbose(time.perf_counter() - started)
        if not self.converged_:
            warnings.warn(CONVERGENCE_WARNING, ConvergenceWarning)
        return arr

    def fit_from_responsibilities(self, X, resp, sample_weight=None):
        """Fits from given initial responsibilities, an (n_samples, n_components) array of
        non-negative values (rows normally summing to 1): the first model is one M-step on
        them. init_params, n_init and random_state are not used."""
        arr = self._validate_for_fit(X, reset=True)
        w = as_weights(sample_weight, arr.shape[0])
        resp = np.ascontiguousarray(np.asarray(resp, dtype=np.float64))
        if resp.ndim != 2:
            raise ValueError(f"resp has shape {resp.shape}: give (n_samples, n_components)")
        arr = np.asarray(arr, dtype=np.float64)  # a start from responsibilities runs in float64
        self._set_model(self._settings(arr.shape[1]).fit(arr, w, resp))
        return self

    def _set_model(self, model):
        self._model = model
        self._stepper = None
        for name, value in model.params().items():
            if isinstance(value, np.ndarray) and self._input_dtype == np.float32:
                if name not in ("lower_bounds_",):
                    value = value.astype(np.float32)
            setattr(self, name, value)
        if isinstance(getattr(self, "lower_bounds_", None), np.ndarray):
            self.lower_bounds_ = list(self.lower_bounds_)
        self.n_features_in_ = model.n_features

    _input_dtype = np.float64

    def _print_verbose(self, seconds):
        """scikit-learn's verbose lines for the winning initialisation, printed when its fit
        has ended (the fit runs in Rust; verbose >= 2 shows the mean time per iteration)."""
        if not self.verbose:
            return
        bounds = list(self.lower_bounds_)
        per_iteration = seconds / max(len(bounds), 1)
        print("Initialization %d" % getattr(self, "_best_restart", 0))
        previous = -np.inf
        for n_iter, bound in enumerate(bounds, start=1):
            if n_iter % self.verbose_interval == 0:
                if self.verbose == 1:
                    print("  Iteration %d" % n_iter)
                else:
                    print(
                        "  Iteration %d\t time lapse %.5fs\t ll change %.5f"
                        % (n_iter, per_iteration * self.verbose_interval, bound - previous)
                    )
            previous = bound
        verdict = "converged" if self.converged_ else "did not converge"
        if self.verbose == 1:
            print(f"Initialization {verdict}.")
        else:
            print(
                f"Initialization {verdict}. time lapse {seconds:.5f}s\t lower bound"
                f" {self.lower_bound_:.5f}."
            )

    # --- queries -------------------------------------------------------------------------
    def _data(self, X):
        self._check_fitted()
        return self._validate(X, reset=False)

    def score_samples(self, X):
        """Log density of every point (VB: the Student-t posterior predictive); with
        missing="marginalise", the marginal density of a point's observed coordinates."""
        data = self._data(X)
        return self._out(self._model.score_samples(data, str(self.missing)))

    def score(self, X, y=None, sample_weight=None):
        """Mean log density of the points of X (weighted by sample_weight if given)."""
        s = self.score_samples(X)
        return float(np.average(s, weights=as_weights(sample_weight, s.shape[0])))

    def predict(self, X):
        """The most responsible component of every point."""
        data = self._data(X)
        return self._model.predict(data, str(self.missing))

    def predict_proba(self, X):
        """Responsibilities, (n_samples, n_components)."""
        data = self._data(X)
        return self._out(self._model.predict_proba(data, str(self.missing)))

    def sample(self, n_samples=1):
        """n_samples points drawn from the fitted (point-estimate) mixture, and their
        components; the seed comes from random_state as for fit."""
        self._check_fitted()
        if not isinstance(n_samples, (int, np.integer)) or n_samples < 1:
            raise ValueError(
                "Invalid value for 'n_samples': %d . The sampling requires at least one "
                "sample." % n_samples
                if isinstance(n_samples, (int, np.integer))
                else f"Invalid value for 'n_samples': {n_samples!r}: draw at least one point"
            )
        X, labels = self._model.sample(int(n_samples), seed_of(self.random_state))
        return self._out(X), labels

    def bic(self, X):
        """Bayesian information criterion of the (point-estimate) mixture on X."""
        data = self._data(X)
        return self._model.bic(data, str(self.missing))

    def aic(self, X):
        """Akaike information criterion of the (point-estimate) mixture on X."""
        data = self._data(X)
        return self._model.aic(data, str(self.missing))

    def icl(self, X):
        """Integrated completed likelihood of the (point-estimate) mixture on X (not in
        scikit-learn): mclust's ICL with lower better, bic(X) - 2 sum_n ln max_k r_nk,
        i.e. BIC plus twice the entropy of the hard classification (docs/em.md)."""
        data = self._data(X)
        return self._model.icl(data, str(self.missing))

    def _out(self, values):
        """Float results in the dtype of the training data (float32 in, float32 out)."""
        return values.astype(np.float32) if self._input_dtype == np.float32 else values

    # --- model files ---------------------------------------------------------------------
    def _named_model(self):
        """The model with the names of the features it was fitted on (feature_names_in_,
        which scikit-learn sets when X is a DataFrame with string column names), so that
        its file records them (`feature_names`: `gmm score` then reads a data file's columns
        by name)."""
        names = getattr(self, "feature_names_in_", None)
        if names is None:
            return self._model
        return self._model.with_feature_names([str(n) for n in names])

    def to_json(self):
        """The fitted model in gmm's JSON model format (with feature_names_in_ as the
        file's feature names, when set)."""
        self._check_fitted()
        return self._named_model().to_json()

    def save(self, path):
        """Writes the fitted model to path in gmm's JSON model format (what the `gmm`
        command reads, e.g. `gmm score model.json data.csv`), with feature_names_in_ as the
        file's feature names when set."""
        self._check_fitted()
        self._named_model().save(str(path))

    @classmethod
    def load(cls, path):
        """An estimator fitted from gmm's model file at path (written by save or by
        `gmm fit ... -o path`); the file's feature names, when it has them, become
        feature_names_in_ (checked against a DataFrame's columns as scikit-learn does)."""
        return cls._from_model(_core.Model.load(str(path)))

    @classmethod
    def from_json(cls, text):
        """An estimator fitted from gmm's JSON model text."""
        return cls._from_model(_core.Model.from_json(text))

    @classmethod
    def _from_model(cls, model):
        if model.kind != cls._kind:
            other = {
                "vb": "BayesianGaussianMixture",
                "map": "MAPGaussianMixture",
            }.get(model.kind, "GaussianMixture")
            raise ValueError(
                f"the model file holds a {model.kind.upper()} model: load it with "
                f"gmm_rs.{other}.load"
            )
        est = cls(n_components=model.n_components, covariance_type=model.covariance_type)
        est._set_model(model)
        if model.feature_names is not None:
            est.feature_names_in_ = np.asarray(model.feature_names, dtype=object)
        for name, value in (("n_iter_", 0), ("converged_", False)):
            if not hasattr(est, name):
                setattr(est, name, value)
        return est

    # --- the map-reduce step -------------------------------------------------------------
    def initialize(self, X, sample_weight=None):
        """Sets the model an iteration starts from without iterating (the library's
        initial model: the M-step on the initial responsibilities of X, or the given
        weights_init/means_init/precisions_init). Returns self; then statistics() and
        m_step() run the fit on any engine (docs/python.md)."""
        arr = self._validate_for_fit(X, reset=True)
        w = as_weights(sample_weight, arr.shape[0])
        self._start(self._settings(arr.shape[1]).start(np.asarray(arr, dtype=np.float64), w))
        return self

    def _start(self, stepper):
        """Makes `stepper` (a run not yet stepped) the estimator's fit in progress."""
        self._set_model(stepper.model())
        self._stepper = stepper
        self.n_iter_, self.converged_ = 0, False
        self.lower_bounds_ = []
        self.lower_bound_ = -np.inf

    def statistics(self, X, sample_weight=None):
        """The map step: the sufficient statistics of the chunk X (with its weights) under
        the current model, a gmm_rs.Statistics (merge with + or .merge, ship with
        .to_bytes() / Statistics.from_bytes)."""
        arr = self._data(X)
        w = as_weights(sample_weight, arr.shape[0])
        return self._model.e_step(arr, w, str(self.missing))

    def m_step(self, statistics):
        """The reduce step's end: one step of the library's fit from merged statistics of
        the current model (the M-step, the bound recorded in lower_bounds_, n_iter_ and
        converged_ by the estimator's own stopping rule: EM's |change| < tol, VB's five
        changes in a row). Returns the bound. A fitted estimator continues its record."""
        self._check_fitted()
        if getattr(self, "_stepper", None) is None:
            d = self._model.n_features
            self._stepper = self._settings(d).stepper(self._model, continuing=True)
        stepper = self._stepper
        stepper.step(statistics)
        self._set_model(stepper.model())
        self._stepper = stepper
        return self.lower_bound_

    @property
    def fit_done(self):
        """Whether the fit in progress should stop (converged, or max_iter steps)."""
        return self._stepper is None or self._stepper.done

    def __sklearn_is_fitted__(self):
        return getattr(self, "_model", None) is not None


def _input_dtype(X):
    """float32 for float32 input (attributes and results then come back in float32, as
    scikit-learn's do); float64 otherwise."""
    dtype = getattr(X, "dtype", None)
    return np.float32 if dtype == np.float32 else np.float64
