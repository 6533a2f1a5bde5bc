"""gmm_rs.MAPGaussianMixture (MAP-EM): every public method and every option, the model
file, warm start, weights, the map-reduce step, the refusals; ICL on every estimator
against a hand computation."""

import json

import numpy as np
import pytest

import gmm_rs
from conftest import blobs

TYPES = ["full", "tied", "diag", "spherical"]


@pytest.fixture(scope="module")
def X():
    return blobs(n=300, d=3, k=3, seed=5)


def fit(X, **kw):
    kw.setdefault("random_state", 0)
    return gmm_rs.MAPGaussianMixture(n_components=3, **kw).fit(X)


def prior_of(est):
    return json.loads(est.to_json())["prior"]


@pytest.mark.parametrize("cov_type", TYPES)
@pytest.mark.parametrize("prior", ["conjugate", "mclust"])
def test_every_query_and_a_bound_that_never_falls(cov_type, prior, X):
    est = fit(X, covariance_type=cov_type, prior=prior, tol=0.0, max_iter=40)
    b = np.asarray(est.lower_bounds_)
    assert len(b) == 40 and est.n_iter_ == 40 and not est.converged_
    assert np.all(np.diff(b) >= -1e-10 * np.abs(b[:-1]))
    assert est.lower_bound_ == b[-1]
    proba = est.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
    assert np.array_equal(est.predict(X), proba.argmax(axis=1))
    assert np.array_equal(est.fit_predict(X), est.predict(X))
    s = est.score_samples(X)
    assert est.score(X) == pytest.approx(s.mean(), rel=1e-12)
    # the point-estimate mixture's criteria, and ICL by hand from predict_proba
    k, d, n = 3, 3, 300
    per = {"full": k * d * (d + 1) / 2, "tied": d * (d + 1) / 2, "diag": k * d,
           "spherical": k}[cov_type]
    p = (k - 1) + k * d + per
    assert est.bic(X) == pytest.approx(-2 * s.sum() + p * np.log(n), rel=1e-10)
    assert est.aic(X) == pytest.approx(-2 * s.sum() + 2 * p, rel=1e-10)
    icl = est.bic(X) - 2 * np.log(proba.max(axis=1)).sum()
    assert est.icl(X) == pytest.approx(icl, rel=1e-10)
    pts, labels = est.sample(50)
    assert pts.shape == (50, 3) and labels.shape == (50,)
    assert json.loads(est.to_json())["fit"]["method"] == "map"


def test_icl_on_the_other_estimators_by_hand(X):
    for est in [gmm_rs.GaussianMixture(3, random_state=0).fit(X),
                gmm_rs.BayesianGaussianMixture(n_components=3, random_state=0).fit(X)]:
        # VB's ICL is that of its point-estimate mixture
        plug = gmm_rs.GaussianMixture(3, weights_init=est.weights_, means_init=est.means_,
                                      precisions_init=est.precisions_, max_iter=0).fit(X)
        hard = np.log(plug.predict_proba(X).max(axis=1)).sum()
        assert est.icl(X) == pytest.approx(est.bic(X) - 2 * hard, rel=1e-10)
        assert est.icl(X) >= est.bic(X)


def test_scikit_learns_class_gains_nothing():
    names = set(gmm_rs.GaussianMixture().get_params())
    sk = pytest.importorskip("sklearn.mixture")
    # the one addition: missing (NaN refused, scikit-learn's behaviour, unless asked)
    assert names == set(sk.GaussianMixture().get_params()) | {"missing"}
    mine = set(gmm_rs.MAPGaussianMixture().get_params())
    assert "reg_covar" not in mine and {"prior", "mean_precision_prior"} <= mine


def test_every_prior_setting_reaches_the_fit(X):
    base = fit(X)
    assert prior_of(base)["weight_concentration_prior"] == 1.0
    assert prior_of(base)["degrees_of_freedom_prior"] == 3.0  # D
    settings = {
        "weight_concentration_prior": (4.0, "weight_concentration_prior", 4.0),
        "mean_precision_prior": (2.5, "mean_precision_prior", 2.5),
        "degrees_of_freedom_prior": (7.0, "degrees_of_freedom_prior", 7.0),
        "mean_prior": (np.array([1.0, 2.0, 3.0]), "mean_prior", [1.0, 2.0, 3.0]),
        "covariance_prior": (2.0 * np.eye(3), "covariance_prior",
                             [[2.0, 0.0, 0.0], [0.0, 2.0, 0.0], [0.0, 0.0, 2.0]]),
    }
    for name, (value, key, recorded) in settings.items():
        est = fit(X, **{name: value})
        assert prior_of(est)[key] == recorded, name
        assert not np.array_equal(est.covariances_, base.covariances_), name
    mclust = fit(X, prior="mclust")
    assert prior_of(mclust)["mean_precision_prior"] == 0.01
    assert prior_of(mclust)["degrees_of_freedom_prior"] == 5.0  # D + 2
    # covariance_prior for diag as D variances, for spherical as one number
    for cov_type, c in [("diag", np.array([1.0, 2.0, 3.0])), ("spherical", 2.0)]:
        est = fit(X, covariance_type=cov_type, covariance_prior=c)
        want = list(np.atleast_1d(c)) if cov_type == "diag" else 2.0
        assert prior_of(est)["covariance_prior"] == want


def test_control_options(X, capsys):
    for init in ["kmeans", "k-means++", "random", "random_from_data"]:
        a, b = fit(X, init_params=init), fit(X, init_params=init)
        assert np.array_equal(a.means_, b.means_)  # random_state fixes the start
    two = fit(X, n_init=2, tol=1e-8, max_iter=500)
    assert two.converged_
    short = fit(X, max_iter=2, tol=0.0)
    assert short.n_iter_ == 2
    fit(X, verbose=2, verbose_interval=1, max_iter=3)
    assert "Initialization 0" in capsys.readouterr().out
    # a given start: with max_iter=0 the model is the given mixture
    w = np.array([0.2, 0.3, 0.5])
    m = X[:3].copy()
    prec = np.stack([np.eye(3)] * 3)
    start = fit(X, weights_init=w, means_init=m, precisions_init=prec, max_iter=0)
    np.testing.assert_allclose(start.weights_, w)
    np.testing.assert_allclose(start.means_, m)
    np.testing.assert_allclose(start.precisions_, prec)


def test_warm_start_continues_bit_for_bit(X):
    long = fit(X, tol=0.0, max_iter=12)
    est = fit(X, tol=0.0, max_iter=5)
    est.set_params(warm_start=True, max_iter=7)
    est.fit(X)
    assert np.array_equal(est.means_, long.means_)
    assert list(est.lower_bounds_) == list(long.lower_bounds_)[5:]


def test_a_weight_of_three_is_three_copies(X):
    w = np.tile([1.0, 3.0, 2.0], 100)
    copies = np.repeat(X, w.astype(int), axis=0)
    means = X[:3].copy()
    a = fit(X, means_init=means, tol=0.0, max_iter=15, prior="mclust").fit(X, sample_weight=w)
    b = fit(copies, means_init=means, tol=0.0, max_iter=15, prior="mclust")
    np.testing.assert_allclose(a.covariances_, b.covariances_, rtol=1e-10)
    np.testing.assert_allclose(a.lower_bounds_, b.lower_bounds_, rtol=1e-10)


def test_model_files_round_trip(X, tmp_path):
    est = fit(X, prior="mclust")
    path = tmp_path / "map.json"
    est.save(path)
    back = gmm_rs.MAPGaussianMixture.load(path)
    assert np.array_equal(back.score_samples(X), est.score_samples(X))
    again = gmm_rs.MAPGaussianMixture.from_json(est.to_json())
    assert prior_of(again) == prior_of(est)
    with pytest.raises(ValueError, match="MAPGaussianMixture"):
        gmm_rs.GaussianMixture.load(path)
    # a loaded model continues under the prior its file records
    again.set_params(warm_start=True, max_iter=3, tol=0.0)
    again.fit(X)
    assert prior_of(again) == prior_of(est)


def test_the_map_reduce_step_is_the_fit(X):
    whole = fit(X, tol=0.0, max_iter=6)
    est = gmm_rs.MAPGaussianMixture(n_components=3, random_state=0, tol=0.0, max_iter=6)
    est.initialize(X)
    while not est.fit_done:
        est.m_step(est.statistics(X[:150]) + est.statistics(X[150:]))
    np.testing.assert_allclose(est.means_, whole.means_, rtol=1e-12)
    np.testing.assert_allclose(est.lower_bounds_, whole.lower_bounds_, rtol=1e-12)


def test_degenerate_data_fit_without_reg_covar():
    rng = np.random.default_rng(1)
    X = np.column_stack([rng.normal(size=40), np.full(40, 3.0)])  # a constant column
    with pytest.raises(ValueError):
        gmm_rs.GaussianMixture(2, reg_covar=0.0, random_state=0).fit(X)
    est = gmm_rs.MAPGaussianMixture(2, random_state=0, tol=0.0, max_iter=30).fit(X)
    b = np.asarray(est.lower_bounds_)
    assert np.all(np.diff(b) >= -1e-10 * np.abs(b[:-1]))


@pytest.mark.parametrize("kw, says", [
    ({"weight_concentration_prior": 0.5}, "interior mode"),
    ({"degrees_of_freedom_prior": 2.5}, "degrees_of_freedom_prior"),
    ({"prior": "mclust", "mean_precision_prior": 2.0}, "mclust"),
])
def test_settings_without_a_mode_are_refused(kw, says, X):
    with pytest.raises(ValueError, match=says):
        fit(X, **kw)
