"""missing="marginalise": NaN read as a missing value by the three estimators (the fit and
every query through the Rust library: docs/em.md and docs/vb.md, "Missing values"); the
default "refuse" and GibbsGaussianMixture refuse NaN with scikit-learn's message and a
hint naming the option."""

import functools

import numpy as np
import pytest

import gmm_rs
from conftest import blobs

TYPES = ["full", "tied", "diag", "spherical"]
CLASSES = [gmm_rs.GaussianMixture, gmm_rs.BayesianGaussianMixture, gmm_rs.MAPGaussianMixture]
K, D = 3, 3


@pytest.fixture(scope="module")
def X():
    return blobs(n=600, d=D, k=K, seed=41, spread=6.0)


def with_holes(X, share, seed=0):
    """X with `share` of its values set to NaN completely at random, every row keeping at
    least one observed value."""
    rng = np.random.default_rng(seed)
    out = X.copy()
    holes = rng.random(X.shape) < share
    holes[holes.all(axis=1), 0] = False
    out[holes] = np.nan
    return out


def estimator(cls, cov_type, **kw):
    return cls(n_components=K, covariance_type=cov_type, random_state=0, tol=1e-8,
               max_iter=500, **kw)


FITTED = ["weights_", "means_", "covariances_", "precisions_", "precisions_cholesky_",
          "lower_bound_", "lower_bounds_", "n_iter_", "converged_"]


def assert_same_fit(a, b):
    for name in FITTED:
        assert np.array_equal(np.asarray(getattr(a, name)), np.asarray(getattr(b, name))), name


def matched_distance(means, truth):
    """Largest distance between a mean and the nearest of `truth` (the components matched
    greedily by nearest mean)."""
    return max(np.min(np.linalg.norm(truth - m, axis=1)) for m in means)


def full_covariances(est):
    """covariances_ of any type as K full matrices."""
    c = np.asarray(est.covariances_, dtype=np.float64)
    k, d = est.means_.shape
    return {
        "full": lambda: c,
        "tied": lambda: np.repeat(c[None], k, axis=0),
        "diag": lambda: np.array([np.diag(v) for v in c]),
        "spherical": lambda: np.array([v * np.eye(d) for v in c]),
    }[est.covariance_type]()


def marginal_log_terms(est, X):
    """ln w_k + ln N(x_o | mu_k,o, Sigma_k,oo) of every row (N x K) over its observed
    coordinates, written here with NumPy from the fitted attributes (independent of the
    library)."""
    covs = full_covariances(est)
    out = np.empty((X.shape[0], len(est.weights_)))
    for n, x in enumerate(X):
        o = ~np.isnan(x)
        for k, (w, mu, cov) in enumerate(zip(est.weights_, est.means_, covs)):
            s = cov[np.ix_(o, o)]
            r = x[o] - mu[o]
            _, logdet = np.linalg.slogdet(s)
            maha = r @ np.linalg.solve(s, r)
            out[n, k] = np.log(w) - 0.5 * (o.sum() * np.log(2 * np.pi) + logdet + maha)
    return out


def marginal_log_density(est, X):
    """ln sum_k w_k N(x_o | mu_k,o, Sigma_k,oo) of every row ([`marginal_log_terms`])."""
    return np.logaddexp.reduce(marginal_log_terms(est, X), axis=1)


# --- fitting with NaN ------------------------------------------------------------------------
@pytest.mark.parametrize("cls", CLASSES)
@pytest.mark.parametrize("cov_type", TYPES)
def test_fit_with_nan_recovers_the_complete_data_fit(cls, cov_type, X):
    holed = with_holes(X, 0.15)
    est = estimator(cls, cov_type, missing="marginalise").fit(holed)
    complete = estimator(cls, cov_type).fit(X)
    assert est.converged_
    for name in ("weights_", "means_", "covariances_", "precisions_"):
        assert np.all(np.isfinite(getattr(est, name))), name
    # the components found are the complete data's (spread 6: well separated)
    assert matched_distance(est.means_, complete.means_) < 0.3
    # EM's and MAP-EM's bound (the observed-data log-likelihood, plus the log prior) and
    # VB's ELBO never fall
    bounds = np.asarray(est.lower_bounds_)
    assert np.all(np.diff(bounds) >= -1e-9 * np.abs(bounds[1:]))
    # the library's fit: the same data give the same bits
    assert_same_fit(est, estimator(cls, cov_type, missing="marginalise").fit(holed))


@pytest.mark.parametrize("cov_type", TYPES)
def test_the_em_bound_is_the_observed_data_log_likelihood(cov_type, X):
    """EM's lower_bound_ is the mean observed-data log-likelihood at the model of the last
    E-step: at convergence (tol 1e-8) that of the fitted model, computed here with NumPy
    (MAP-EM's bound adds the log prior)."""
    holed = with_holes(X, 0.2, seed=3)
    est = estimator(gmm_rs.GaussianMixture, cov_type, missing="marginalise").fit(holed)
    assert est.lower_bound_ == pytest.approx(marginal_log_density(est, holed).mean(), rel=1e-7)


@pytest.mark.parametrize("cls", CLASSES)
@pytest.mark.parametrize("cov_type", TYPES)
def test_without_nan_marginalise_is_refuse_bit_for_bit(cls, cov_type, X):
    on = estimator(cls, cov_type, missing="marginalise").fit(X)
    off = estimator(cls, cov_type).fit(X)
    assert_same_fit(on, off)
    for query in ("score_samples", "predict_proba", "predict"):
        assert np.array_equal(getattr(on, query)(X), getattr(off, query)(X)), query
    for query in ("bic", "aic", "icl"):
        assert getattr(on, query)(X) == getattr(off, query)(X), query
    X32 = X.astype(np.float32)
    on32 = estimator(cls, cov_type, missing="marginalise").fit(X32)
    assert_same_fit(on32, estimator(cls, cov_type).fit(X32))


@pytest.mark.parametrize("cls", CLASSES)
def test_float32_with_nan_is_the_fit_of_its_values_widened(cls, X):
    holed = with_holes(X, 0.1, seed=5).astype(np.float32)
    est = estimator(cls, "full", missing="marginalise").fit(holed)
    wide = estimator(cls, "full", missing="marginalise").fit(holed.astype(np.float64))
    assert est.means_.dtype == np.float32 and est.covariances_.dtype == np.float32
    assert np.array_equal(est.means_, wide.means_.astype(np.float32))
    assert np.array_equal(est.covariances_, wide.covariances_.astype(np.float32))
    s = est.score_samples(holed)
    assert s.dtype == np.float32
    assert np.array_equal(s, wide.score_samples(holed.astype(np.float64)).astype(np.float32))


@pytest.mark.parametrize("which", [0, 1], ids=["em", "vb"])
@pytest.mark.parametrize("cov_type", TYPES)
def test_the_map_reduce_step_with_nan_is_the_in_memory_fit(which, cov_type, X):
    holed = with_holes(X, 0.2, seed=6)
    cls = [gmm_rs.GaussianMixture, gmm_rs.BayesianGaussianMixture][which]
    kw = dict(n_components=K, covariance_type=cov_type, tol=0.0, max_iter=8, random_state=7,
              missing="marginalise")
    fitted = cls(**kw).fit(holed)
    est = cls(**kw).initialize(holed)
    for _ in range(8):
        parts = [est.statistics(c) for c in (holed[:250], holed[250:])]
        est.m_step(functools.reduce(lambda a, b: a + b, parts))
    np.testing.assert_allclose(est.means_, fitted.means_, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(est.lower_bounds_, fitted.lower_bounds_, rtol=1e-10)


# --- queries with NaN -------------------------------------------------------------------------
@pytest.mark.parametrize("cls", CLASSES)
@pytest.mark.parametrize("cov_type", TYPES)
def test_every_query_accepts_nan(cls, cov_type, X):
    holed = with_holes(X, 0.25, seed=1)
    est = estimator(cls, cov_type, missing="marginalise").fit(holed)
    n = holed.shape[0]
    s = est.score_samples(holed)
    assert s.shape == (n,) and np.all(np.isfinite(s))
    assert est.score(holed) == pytest.approx(s.mean(), rel=1e-12)
    proba = est.predict_proba(holed)
    assert proba.shape == (n, K)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
    labels = est.predict(holed)
    assert np.array_equal(labels, proba.argmax(axis=1))
    assert np.array_equal(est.fit_predict(holed), est.predict(holed))
    # BIC, AIC, ICL of the point estimate on the observed coordinates
    bic, aic, icl = est.bic(holed), est.aic(holed), est.icl(holed)
    assert np.isfinite(bic) and np.isfinite(aic) and np.isfinite(icl)
    p = (bic - aic) / (np.log(n) - 2.0)
    assert p == pytest.approx(round(p), abs=1e-6)
    assert icl >= bic
    # a complete row answers as it does alone; a row without any NaN is unaffected
    complete = ~np.isnan(holed).any(axis=1)
    np.testing.assert_allclose(s[complete], est.score_samples(holed[complete]), rtol=1e-12)
    pts, drawn = est.sample(50)
    assert pts.shape == (50, D) and np.all(np.isfinite(pts)) and drawn.shape == (50,)


@pytest.mark.parametrize("cls", [gmm_rs.GaussianMixture, gmm_rs.MAPGaussianMixture])
@pytest.mark.parametrize("cov_type", TYPES)
def test_em_queries_are_the_marginal_densities(cls, cov_type, X):
    holed = with_holes(X, 0.3, seed=2)
    est = estimator(cls, cov_type, missing="marginalise").fit(holed)
    terms = marginal_log_terms(est, holed)
    log_density = np.logaddexp.reduce(terms, axis=1)
    np.testing.assert_allclose(est.score_samples(holed), log_density, rtol=1e-10)
    np.testing.assert_allclose(est.predict_proba(holed), np.exp(terms - log_density[:, None]),
                               rtol=1e-8, atol=1e-12)


@pytest.mark.parametrize("cov_type", TYPES)
def test_vb_scores_the_observed_coordinates_marginal(cov_type):
    """VB's score of a point with its second coordinate missing is the log of the integral
    of its full predictive density over that coordinate (quadrature here, D = 2; the
    Student-t's tails need the wide range)."""
    X2 = blobs(n=300, d=2, k=2, seed=4, spread=5.0)
    est = gmm_rs.BayesianGaussianMixture(n_components=2, covariance_type=cov_type,
                                         random_state=0, missing="marginalise")
    est.fit(with_holes(X2, 0.1, seed=4))
    x0 = X2[0, 0]
    grid = np.linspace(X2[:, 1].min() - 1000.0, X2[:, 1].max() + 1000.0, 2_000_001)
    full = np.exp(est.score_samples(np.column_stack([np.full_like(grid, x0), grid])))
    integral = np.trapezoid(full, grid) if hasattr(np, "trapezoid") else np.trapz(full, grid)
    marginal = est.score_samples(np.array([[x0, np.nan]]))[0]
    assert marginal == pytest.approx(np.log(integral), abs=1e-7)


# --- refusals ---------------------------------------------------------------------------------
@pytest.mark.parametrize("cls", CLASSES)
def test_nan_is_refused_by_default_naming_the_option(cls, X):
    holed = X.copy()
    holed[1, 1] = np.nan
    for call in (lambda: estimator(cls, "full").fit(holed),
                 lambda: estimator(cls, "full").fit(holed.astype(np.float32)),
                 lambda: estimator(cls, "full").fit(X).predict(holed),
                 lambda: estimator(cls, "full").fit(X).score_samples(holed)):
        with pytest.raises(ValueError) as caught:
            call()
        message = str(caught.value)
        assert message.startswith("Input X contains NaN.")  # scikit-learn's own message
        assert "row 1, column 1 is NaN" in message
        assert f'{cls.__name__}(missing="marginalise")' in message
        assert "MissingPolicy" not in message


@pytest.mark.parametrize("cls", CLASSES)
def test_infinity_is_refused_under_either_option(cls, X):
    bad = X.copy()
    bad[2, 0] = -np.inf
    for missing in ("refuse", "marginalise"):
        with pytest.raises(ValueError, match=r"(?s)Input X contains infinity.*row 2, column 0 is -inf"):
            estimator(cls, "full", missing=missing).fit(bad)


def test_the_core_names_the_python_option():
    """The compiled module's own refusal (reached without the estimators' check) names the
    Python option, not the library's Rust API."""
    holed = np.array([[1.0, 2.0], [np.nan, 1.0], [0.0, 3.0]])
    settings = gmm_rs._core.Settings.em(1, "full", 1e-3, 1e-6, 100, 1, "kmeans", 0, 2)
    with pytest.raises(ValueError) as caught:
        settings.fit(holed)
    assert 'row 1, column 0 is NaN' in str(caught.value)
    assert 'missing="marginalise"' in str(caught.value)
    assert "MissingPolicy" not in str(caught.value)
    model = gmm_rs.GaussianMixture(1).fit(holed[[0, 2]])._model
    with pytest.raises(ValueError, match='missing="marginalise"'):
        model.score_samples(holed)
    assert np.all(np.isfinite(model.score_samples(holed, "marginalise")))


@pytest.mark.parametrize("cls", CLASSES)
def test_a_row_or_column_without_observed_values_is_refused(cls, X):
    holed = with_holes(X, 0.1)
    holed[4] = np.nan
    est = estimator(cls, "full", missing="marginalise")
    with pytest.raises(ValueError, match=r"row 5 has every coordinate missing"):
        est.fit(holed)
    est.fit(with_holes(X, 0.1))
    with pytest.raises(ValueError, match=r"row 5 has every coordinate missing"):
        est.predict(holed)
    column = X.copy()
    column[:, 2] = np.nan
    with pytest.raises(ValueError, match=r"column 3 has no observed value"):
        estimator(cls, "full", missing="marginalise").fit(column)


# --- the option as a parameter ---------------------------------------------------------------
@pytest.mark.parametrize("cls", CLASSES)
def test_the_option_is_a_parameter(cls):
    from sklearn.base import clone
    from sklearn.utils import get_tags

    est = cls(n_components=2, missing="marginalise")
    assert est.get_params()["missing"] == "marginalise"
    assert clone(est).missing == "marginalise"
    assert get_tags(est).input_tags.allow_nan
    assert cls(n_components=2).get_params()["missing"] == "refuse"
    assert not get_tags(cls(n_components=2)).input_tags.allow_nan
    assert not get_tags(est.set_params(missing="refuse")).input_tags.allow_nan
    with pytest.raises(ValueError, match=r"'missing' parameter .* must be a str among"):
        cls(n_components=2, missing="impute").fit(blobs(n=50, d=2, k=2))


def test_gibbs_refuses_marginalise():
    X2 = blobs(n=60, d=2, k=2)
    est = gmm_rs.GibbsGaussianMixture(n_components=2, n_draws=10, burn_in=10, n_chains=1,
                                      missing="marginalise")
    assert est.get_params()["missing"] == "marginalise"
    with pytest.raises(ValueError, match=r"Gibbs sampler does not marginalise"):
        est.fit(X2)
    holed = X2.copy()
    holed[3, 0] = np.nan
    with pytest.raises(ValueError, match=r"(?s)Input X contains NaN.*row 3, column 0 is NaN.*"
                                         r"BayesianGaussianMixture"):
        est.set_params(missing="refuse").fit(holed)
