"""gmm_rs.GibbsGaussianMixture: the Gibbs sampler of the exact posterior under
BayesianGaussianMixture's priors (docs/gibbs.md), run by the Rust core (gmm_rs._core.GibbsModel:
no numerics here)."""

import json
import numbers
import warnings

import numpy as np

from . import _core
from ._base import HAVE_SKLEARN, BaseEstimator, ConvergenceWarning, DensityMixin, check_is_fitted
from ._validation import as_data, as_weights, check_finite, covariance_prior_matrix, seed_of

if HAVE_SKLEARN:
    from sklearn.utils.validation import validate_data as _sk_validate_data


def _count(name, value, minimum):
    """An int parameter >= minimum, or a ValueError naming it."""
    if isinstance(value, bool) or not isinstance(value, (numbers.Integral, np.integer)):
        raise ValueError(f"{name} = {value!r}: give an int >= {minimum}")
    if value < minimum:
        raise ValueError(f"{name} = {value}: give an int >= {minimum}")
    return int(value)


def _optional_float(value):
    return None if value is None else float(value)


# What to do about NaN in a Gibbs fit's data.
_NO_MARGINALISING = (
    "the Gibbs sampler does not marginalise missing values (missing='refuse' is its only "
    "value): impute them, or fit GaussianMixture, BayesianGaussianMixture or "
    "MAPGaussianMixture with missing=\"marginalise\""
)


class GibbsGaussianMixture(DensityMixin, BaseEstimator):
    """Gaussian mixture sampled by Gibbs from the exact posterior under the priors of
    BayesianGaussianMixture (same names and defaults: weight_concentration_prior_type,
    weight_concentration_prior, mean_precision_prior, mean_prior, degrees_of_freedom_prior,
    covariance_prior; no reg_covar: the target is the exact posterior).

    n_chains chains (default 4, run in parallel, each seeded by a hash of the seed and its
    index) of burn_in discarded sweeps (default 500) and n_draws kept draws (default 1000).
    The draws are relabelled against one reference (docs/gibbs.md, R1-R2).

    score_samples is the log posterior predictive density, ln (1/S) sum_s p(x | theta_s),
    over S = predictive_draws (default 200) of the draws, spread evenly over the chains and
    their draws (predictive_draws=0: the posterior-mean mixture instead). predict_proba is
    the predictive responsibilities sum_s pi_k^s N(x | mu_k^s, Sigma_k^s) / sum_s
    p(x | theta_s) of those draws, and predict their argmax. The model file (save) keeps
    those draws, so `gmm score` and load answer the same.

    Fitted attributes: weights_, means_, covariances_, precisions_, precisions_cholesky_
    (posterior means, scikit-learn's shapes); weights_draws_ (n_chains, n_draws, K),
    means_draws_ (n_chains, n_draws, K, D), covariances_draws_ (n_chains, n_draws, *the
    shape of covariances_*), log_likelihood_draws_ (n_chains, n_draws); rhat_ and ess_
    (dicts from 'log_likelihood', 'weight[k]', 'mean[k][j]' to split R-hat and bulk ESS),
    max_rhat_, min_ess_, converged_ (no R-hat above 1.01); summary_warnings_ (a list of
    dicts: component, kind 'unbounded_covariance' or 'ambiguous_labels', share, message:
    the components whose posterior means are not usable summaries, each also issued as a
    UserWarning); n_predictive_draws_; n_features_in_, feature_names_in_. A model read by
    load has no *_draws_ attributes (the file keeps only the predictive's draws).
    random_state as in GaussianMixture. sample_weight is not supported. missing: 'refuse'
    only (the default; the sampler does not marginalise missing values: 'marginalise' is
    refused with a ValueError saying which estimators do).
    """

    def __init__(
        self,
        n_components=1,
        *,
        covariance_type="full",
        weight_concentration_prior_type="dirichlet_process",
        weight_concentration_prior=None,
        mean_precision_prior=None,
        mean_prior=None,
        degrees_of_freedom_prior=None,
        covariance_prior=None,
        n_draws=1000,
        burn_in=500,
        n_chains=4,
        predictive_draws=200,
        init_params="kmeans",
        random_state=None,
        missing="refuse",
    ):
        self.n_components = n_components
        self.covariance_type = covariance_type
        self.weight_concentration_prior_type = weight_concentration_prior_type
        self.weight_concentration_prior = weight_concentration_prior
        self.mean_precision_prior = mean_precision_prior
        self.mean_prior = mean_prior
        self.degrees_of_freedom_prior = degrees_of_freedom_prior
        self.covariance_prior = covariance_prior
        self.n_draws = n_draws
        self.burn_in = burn_in
        self.n_chains = n_chains
        self.predictive_draws = predictive_draws
        self.init_params = init_params
        self.random_state = random_state
        self.missing = missing

    # --- input ---------------------------------------------------------------------------
    def _validate(self, X, reset):
        arr = as_data(X)
        if HAVE_SKLEARN:
            _sk_validate_data(self, X, reset=reset, skip_check_array=True)
        elif reset:
            self.n_features_in_ = arr.shape[1]
        elif arr.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has {arr.shape[1]} features, but {type(self).__name__} is expecting "
                f"{self.n_features_in_} features as input."
            )
        check_finite(arr, type(self).__name__, allow_nan=False, nan_hint=_NO_MARGINALISING)
        return arr

    def _data(self, X):
        check_is_fitted(self)
        return self._validate(X, reset=False)

    def __sklearn_is_fitted__(self):
        return hasattr(self, "_model")

    # --- fitting -------------------------------------------------------------------------
    def fit(self, X, y=None, sample_weight=None):
        """Runs the chains on X (n_samples, n_features) and sets the fitted attributes."""
        if sample_weight is not None:
            raise ValueError(
                "sample_weight is not supported by the Gibbs sampler: repeat the rows, or "
                "fit BayesianGaussianMixture"
            )
        if self.missing != "refuse":
            raise ValueError(f"missing = {self.missing!r}: {_NO_MARGINALISING}")
        arr = self._validate(X, reset=True)
        mean_prior = self.mean_prior
        if mean_prior is not None:
            mean_prior = np.ascontiguousarray(np.asarray(mean_prior, dtype=np.float64))
        model = _core.GibbsModel.fit(
            arr,
            _count("n_components", self.n_components, 1),
            str(self.covariance_type),
            _count("n_draws", self.n_draws, 0),
            _count("burn_in", self.burn_in, 0),
            _count("n_chains", self.n_chains, 0),
            _count("predictive_draws", self.predictive_draws, 0),
            str(self.init_params),
            seed_of(self.random_state),
            str(self.weight_concentration_prior_type),
            weight_concentration_prior=_optional_float(self.weight_concentration_prior),
            mean_precision_prior=_optional_float(self.mean_precision_prior),
            mean_prior=mean_prior,
            degrees_of_freedom_prior=_optional_float(self.degrees_of_freedom_prior),
            covariance_prior=covariance_prior_matrix(self.covariance_prior, arr.shape[1]),
        )
        self._set_model(model)
        self._warn()
        return self

    def fit_predict(self, X, y=None, sample_weight=None):
        """fit(X), then predict(X)."""
        return self.fit(X, sample_weight=sample_weight).predict(X)

    def _set_model(self, model):
        self._model = model
        for name, value in model.posterior_means().items():
            setattr(self, name, value)
        draws = model.draws()
        if draws is not None:
            self.log_likelihood_draws_ = draws["log_likelihood"]
            self.weights_draws_ = draws["weights"]
            self.means_draws_ = draws["means"]
            self.covariances_draws_ = draws["covariances"]
        diagnostics = model.diagnostics_json()
        if diagnostics is not None:
            d = json.loads(diagnostics)
            self.rhat_ = {q["name"]: q["rhat"] for q in d["quantities"]}
            self.ess_ = {q["name"]: q["bulk_ess"] for q in d["quantities"]}
            self.max_rhat_ = d["max_rhat"]
            self.min_ess_ = d["min_bulk_ess"]
            self.converged_ = not d["rhat_exceeded"]
        self.summary_warnings_ = json.loads(model.summary_warnings_json())
        self.n_predictive_draws_ = model.n_predictive_draws

    def _warn(self):
        for w in self.summary_warnings_:
            warnings.warn(w["message"], UserWarning, stacklevel=3)
        if not self.converged_:
            warnings.warn(
                f"the largest split R-hat is {self.max_rhat_:.4f} (> 1.01): the chains have "
                "not mixed; increase n_draws or burn_in, or use fewer components",
                ConvergenceWarning,
                stacklevel=3,
            )

    # --- queries -------------------------------------------------------------------------
    def score_samples(self, X):
        """Log posterior predictive density of every point."""
        data = self._data(X)
        return self._model.score_samples(data)

    def score(self, X, y=None, sample_weight=None):
        """Mean log posterior predictive density of X (weighted by sample_weight)."""
        s = self.score_samples(X)
        return float(np.average(s, weights=as_weights(sample_weight, s.shape[0])))

    def predict_proba(self, X):
        """Predictive responsibilities, (n_samples, n_components)."""
        data = self._data(X)
        return self._model.predict_proba(data)

    def predict(self, X):
        """The component of largest predictive responsibility of every point."""
        data = self._data(X)
        return self._model.predict(data)

    def sample(self, n_samples=1):
        """n_samples points drawn from the posterior predictive (each point's draw chosen
        uniformly among the kept draws, then its component and the point from that draw),
        grouped by draw, and their components; the seed comes from random_state as for
        fit. Without kept draws: from the posterior-mean mixture."""
        check_is_fitted(self)
        n = _count("n_samples", n_samples, 1)
        X, labels = self._model.sample(n, seed_of(self.random_state))
        return X, labels

    # --- model files ---------------------------------------------------------------------
    def _names(self):
        names = getattr(self, "feature_names_in_", None)
        return None if names is None else [str(n) for n in names]

    def to_json(self):
        """The fitted model in gmm's JSON model format (posterior means, the predictive's
        draws, standard deviations, diagnostics; feature_names_in_ as its feature names)."""
        check_is_fitted(self)
        return self._model.to_json(self._names())

    def save(self, path):
        """Writes the model file to path (what `gmm score` and `gmm predict` read)."""
        check_is_fitted(self)
        self._model.save(str(path), self._names())

    @classmethod
    def load(cls, path):
        """An estimator from a Gibbs model file (written by save or `gmm fit --method
        gibbs`); it answers with the file's draws (a file without draws: its posterior
        means). It has no *_draws_ attributes."""
        return cls._from_model(_core.GibbsModel.load(str(path)))

    @classmethod
    def from_json(cls, text):
        """An estimator from a Gibbs model file's JSON text."""
        return cls._from_model(_core.GibbsModel.from_json(text))

    @classmethod
    def _from_model(cls, model):
        est = cls(n_components=model.n_components)
        est.covariance_type = model.covariance_type
        est._set_model(model)
        est.n_features_in_ = model.n_features
        if model.feature_names is not None:
            est.feature_names_in_ = np.asarray(model.feature_names, dtype=object)
        if not hasattr(est, "converged_"):
            est.converged_ = False
        return est
