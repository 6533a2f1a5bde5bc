"""Every public method of both estimators called on every covariance type, each checked
against what it must equal (another method, the fitted attributes, or arithmetic on them)."""

import numpy as np
import pytest

import gmm_rs
from conftest import blobs

TYPES = ["full", "tied", "diag", "spherical"]
CLASSES = [gmm_rs.GaussianMixture, gmm_rs.BayesianGaussianMixture]


@pytest.fixture(scope="module")
def X():
    return blobs(n=300, d=3, k=3, seed=31)


def fitted(cls, cov_type, X, **kw):
    return cls(n_components=3, covariance_type=cov_type, random_state=0, tol=1e-6,
               max_iter=300, **kw).fit(X)


@pytest.mark.parametrize("cls", CLASSES)
@pytest.mark.parametrize("cov_type", TYPES)
def test_queries_agree_with_each_other(cls, cov_type, X):
    est = fitted(cls, cov_type, X)
    proba = est.predict_proba(X)
    assert proba.shape == (300, 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
    assert np.array_equal(est.predict(X), proba.argmax(axis=1))
    assert np.array_equal(est.fit_predict(X), est.predict(X))
    s = est.score_samples(X)
    assert s.shape == (300,)
    assert est.score(X) == pytest.approx(s.mean(), rel=1e-12)
    w = np.linspace(0.0, 2.0, 300)
    assert est.score(X, sample_weight=w) == pytest.approx(np.average(s, weights=w), rel=1e-12)
    # BIC and AIC of the point-estimate mixture (for VB too): its log-likelihood from a
    # GaussianMixture started at those parameters (max_iter=0), its parameters counted here
    plug = gmm_rs.GaussianMixture(3, covariance_type=cov_type, weights_init=est.weights_,
                                  means_init=est.means_, precisions_init=est.precisions_,
                                  max_iter=0).fit(X)
    minus_2ll = -2.0 * plug.score_samples(X).sum()
    if cls is gmm_rs.GaussianMixture:
        assert np.allclose(plug.score_samples(X), s, rtol=1e-12)
    k, d = 3, 3
    per = {"full": k * d * (d + 1) / 2, "tied": d * (d + 1) / 2, "diag": k * d,
           "spherical": k}[cov_type]
    p = (k - 1) + k * d + per
    assert est.bic(X) == pytest.approx(minus_2ll + p * np.log(300), rel=1e-10)
    assert est.aic(X) == pytest.approx(minus_2ll + 2 * p, rel=1e-10)
    pts, labels = est.sample(500)
    assert pts.shape == (500, 3) and labels.shape == (500,)
    assert set(np.unique(labels)) <= set(range(3))
    again, _ = est.sample(500)
    assert np.array_equal(pts, again)  # random_state fixes the draw


@pytest.mark.parametrize("cls", CLASSES)
@pytest.mark.parametrize("cov_type", TYPES)
def test_model_files_round_trip(cls, cov_type, X, tmp_path):
    est = fitted(cls, cov_type, X)
    for back in [cls.from_json(est.to_json()), _saved(cls, est, tmp_path / "m.json")]:
        assert np.array_equal(back.predict_proba(X), est.predict_proba(X))
        assert np.array_equal(back.score_samples(X), est.score_samples(X))
        assert np.array_equal(back.means_, est.means_)
        assert back.n_iter_ == est.n_iter_ and back.converged_ == est.converged_


def _saved(cls, est, path):
    est.save(path)
    return cls.load(path)


@pytest.mark.parametrize("cls", CLASSES)
@pytest.mark.parametrize("cov_type", TYPES)
def test_the_map_reduce_step_is_the_fit(cls, cov_type, X):
    est = fitted(cls, cov_type, X)
    stepped = cls(n_components=3, covariance_type=cov_type, random_state=0, tol=1e-6,
                  max_iter=300).initialize(X)
    assert stepped.n_iter_ == 0 and stepped.lower_bounds_ == []
    while not stepped.fit_done:
        bound = stepped.m_step(stepped.statistics(X[:100]) + stepped.statistics(X[100:]))
        assert bound == stepped.lower_bounds_[-1]
    assert stepped.n_iter_ == est.n_iter_ and stepped.converged_ == est.converged_
    np.testing.assert_allclose(stepped.means_, est.means_, rtol=1e-10)
    np.testing.assert_allclose(stepped.lower_bounds_, est.lower_bounds_, rtol=1e-12)


@pytest.mark.parametrize("cls", CLASSES)
@pytest.mark.parametrize("cov_type", TYPES)
def test_fit_from_responsibilities_is_one_m_step_then_the_fit(cls, cov_type, X):
    labels = fitted(cls, cov_type, X).predict(X)
    resp = np.eye(3)[labels]
    est = cls(n_components=3, covariance_type=cov_type, tol=1e-6, max_iter=300)
    est.fit_from_responsibilities(X, resp)
    # the labels of a converged fit are a fixed point: the fit from them is the same fit
    assert np.array_equal(est.predict(X), labels)
    with pytest.raises(ValueError, match="resp"):
        est.fit_from_responsibilities(X, resp[0])


@pytest.mark.parametrize("cls", CLASSES)
def test_params_round_trip(cls):
    est = cls(n_components=2)
    params = est.get_params()
    est.set_params(tol=1e-5, covariance_type="diag")
    assert est.get_params()["tol"] == 1e-5 and est.covariance_type == "diag"
    assert set(params) == set(est.get_params())
