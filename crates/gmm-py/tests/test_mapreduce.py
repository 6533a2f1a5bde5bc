"""The map-reduce step: statistics of chunks under a model, merged (also through bytes),
then the M-step, give the in-memory fit."""

import functools
import pickle

import numpy as np
import pytest

import gmm_rs
from conftest import blobs, relative_error

TYPES = ["full", "tied", "diag", "spherical"]


def run_chunks(est, chunks, weights, iterations, through_bytes=False):
    for _ in range(iterations):
        parts = [est.statistics(c, sample_weight=w) for c, w in zip(chunks, weights)]
        if through_bytes:
            parts = [gmm_rs.Statistics.from_bytes(p.to_bytes()) for p in parts]
        est.m_step(functools.reduce(lambda a, b: a + b, parts))
    return est


def estimators(cov_type):
    kw = dict(n_components=3, covariance_type=cov_type, tol=0.0, max_iter=10, random_state=7)
    return [gmm_rs.GaussianMixture(**kw), gmm_rs.BayesianGaussianMixture(**kw)]


@pytest.mark.parametrize("cov_type", TYPES)
@pytest.mark.parametrize("which", [0, 1], ids=["em", "vb"])
def test_one_chunk_is_the_in_memory_fit_bit_for_bit(cov_type, which):
    X = blobs(n=500, d=3, k=3, seed=8)
    fitted = estimators(cov_type)[which].fit(X)
    est = estimators(cov_type)[which].initialize(X)
    run_chunks(est, [X], [None], 10)
    assert np.array_equal(est.means_, fitted.means_)
    assert np.array_equal(est.covariances_, fitted.covariances_)
    assert np.array_equal(est.lower_bounds_, fitted.lower_bounds_)
    assert est.n_iter_ == fitted.n_iter_ == 10


@pytest.mark.parametrize("cov_type", TYPES)
@pytest.mark.parametrize("which", [0, 1], ids=["em", "vb"])
@pytest.mark.parametrize("weighted", [False, True])
def test_chunks_merged_through_bytes_give_the_in_memory_fit(cov_type, which, weighted):
    X = blobs(n=2000, d=3, k=3, seed=9)
    w = np.random.default_rng(1).uniform(0.0, 3.0, size=X.shape[0]) if weighted else None
    fitted = estimators(cov_type)[which].fit(X, sample_weight=w)
    est = estimators(cov_type)[which].initialize(X, sample_weight=w)
    cuts = [0, 300, 301, 1200, 2000]
    chunks = [X[a:b] for a, b in zip(cuts, cuts[1:])]
    weights = [None if w is None else w[a:b] for a, b in zip(cuts, cuts[1:])]
    run_chunks(est, chunks, weights, 10, through_bytes=True)
    for name in ["weights_", "means_", "covariances_"]:
        assert relative_error(getattr(est, name), getattr(fitted, name)) <= 1e-9, name
    assert relative_error(est.lower_bounds_, fitted.lower_bounds_) <= 1e-9


def test_statistics_pickle_and_reject_what_does_not_merge():
    X = blobs(n=300, d=2, k=2, seed=3)
    est = gmm_rs.GaussianMixture(2, random_state=0).fit(X)
    s = est.statistics(X)
    back = pickle.loads(pickle.dumps(s))
    assert back.to_bytes() == s.to_bytes()
    assert s.weight == 300.0
    assert np.isclose(s.log_likelihood_sum / s.weight, est.score(X), rtol=1e-12)
    other = gmm_rs.GaussianMixture(3, random_state=0).fit(X).statistics(X)
    with pytest.raises(ValueError, match="number of components of the statistics to merge"):
        s + other
    with pytest.raises(ValueError, match="number of components"):
        gmm_rs.GaussianMixture(3, random_state=0).fit(X).m_step(s)


@pytest.mark.parametrize(
    "mangle, message",
    [
        (lambda b: b[: len(b) // 2], "EOF"),
        (lambda b: b"\x00\xff", "statistics bytes"),
        (lambda b: b.replace(b'"version":1', b'"version":9', 1), "version"),
        (lambda b: b.replace(b'"n_features":2', b'"n_features":3'), "values, not the"),
        (lambda b: b"", "statistics bytes"),
    ],
)
def test_malformed_statistics_bytes_raise_value_error(mangle, message):
    X = blobs(n=100, d=2, k=2, seed=4)
    good = gmm_rs.GaussianMixture(2, random_state=0).fit(X).statistics(X).to_bytes()
    assert gmm_rs.Statistics.from_bytes(good).to_bytes() == good
    with pytest.raises(ValueError, match=message):
        gmm_rs.Statistics.from_bytes(mangle(good))


def test_convergence_follows_scikit_learns_rule():
    X = blobs(n=500, d=2, k=3, seed=5)
    est = gmm_rs.GaussianMixture(3, tol=1e-3, random_state=2).initialize(X)
    for _ in range(100):
        est.m_step(est.statistics(X))
        if est.converged_:
            break
    fitted = gmm_rs.GaussianMixture(3, tol=1e-3, random_state=2).fit(X)
    assert est.converged_ and est.n_iter_ == fitted.n_iter_
    assert np.array_equal(est.means_, fitted.means_)
