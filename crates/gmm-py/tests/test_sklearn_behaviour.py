"""scikit-learn's documented behaviour of GaussianMixture and BayesianGaussianMixture,
method by method, on both estimators and every covariance type: fit_predict (a final
E-step: equal to fit(X).predict(X)), warm_start (the bound history continues), max_iter=0
(the initial model, no warning), the convergence warning, verbose output, not-fitted
errors, empty initial components and duplicate rows."""

import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning, NotFittedError

import gmm_rs
from conftest import blobs

TYPES = ["full", "tied", "diag", "spherical"]
CLASSES = [gmm_rs.GaussianMixture, gmm_rs.BayesianGaussianMixture]


def make(cls, cov_type, **kw):
    return cls(n_components=3, covariance_type=cov_type, random_state=0, **kw)


@pytest.mark.parametrize("cls", CLASSES)
@pytest.mark.parametrize("cov_type", TYPES)
def test_fit_predict_on_a_new_estimator_is_fit_then_predict(cls, cov_type):
    X = blobs(n=300, d=2, k=3, seed=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        labels = make(cls, cov_type, max_iter=5).fit_predict(X)
        other = make(cls, cov_type, max_iter=5).fit(X).predict(X)
    assert labels.shape == (300,)
    assert np.array_equal(labels, other)


@pytest.mark.parametrize("cls", CLASSES)
def test_fit_predict_on_a_fitted_estimator_gives_the_new_fit_labels(cls):
    X = blobs(n=300, d=2, k=3, seed=1)
    Y = blobs(n=200, d=2, k=3, seed=2)
    est = make(cls, "full", max_iter=200).fit(X)
    labels = est.fit_predict(Y)
    assert labels.shape == (200,)
    assert np.array_equal(labels, est.predict(Y))
    assert np.array_equal(labels, make(cls, "full", max_iter=200).fit(Y).predict(Y))


@pytest.mark.parametrize("cls", CLASSES)
@pytest.mark.parametrize("cov_type", TYPES)
def test_warm_start_one_iteration_at_a_time_converges_as_one_long_fit(cls, cov_type):
    X = blobs(n=400, d=2, k=3, seed=3)
    long = make(cls, cov_type, tol=1e-4, max_iter=500).fit(X)
    assert long.converged_
    est = make(cls, cov_type, tol=1e-4, max_iter=1, warm_start=True)
    bounds = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for _ in range(500):
            est.fit(X)
            assert est.n_iter_ == 1  # n_iter_ counts this call's iterations
            bounds.extend(est.lower_bounds_)
            if est.converged_:
                break
    assert est.converged_
    # the same iterations, bound for bound, as the long fit (within rounding: the same steps)
    np.testing.assert_allclose(bounds, long.lower_bounds_, rtol=1e-12, atol=0)
    np.testing.assert_allclose(est.means_, long.means_, rtol=1e-10, atol=1e-12)


def test_warm_start_matches_scikit_learns_em_converging_on_the_second_call():
    from sklearn.mixture import GaussianMixture as SkGM

    X = blobs(n=400, d=2, k=3, seed=3)
    fitted = SkGM(3, random_state=0, max_iter=300, tol=1e-10).fit(X)
    start = dict(weights_init=fitted.weights_, means_init=fitted.means_,
                 precisions_init=fitted.precisions_)
    for est in [SkGM(3, max_iter=1, warm_start=True, tol=1e-3, **start),
                gmm_rs.GaussianMixture(3, max_iter=1, warm_start=True, tol=1e-3, **start)]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            est.fit(X)
            first = est.converged_
            est.fit(X)
        assert (first, est.converged_) == (False, True), type(est).__module__


@pytest.mark.parametrize("cls", CLASSES)
def test_max_iter_zero_sets_the_initial_model_without_a_warning(cls):
    X = blobs(n=300, d=2, k=3, seed=4)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        est = make(cls, "full", max_iter=0).fit(X)
    assert (est.n_iter_, est.converged_, est.lower_bounds_) == (0, False, [])
    assert est.lower_bound_ == -np.inf
    started = make(cls, "full").initialize(X)
    assert np.array_equal(est.means_, started.means_)
    assert est.predict(X).shape == (300,)


@pytest.mark.parametrize("cls", CLASSES)
def test_not_converging_warns_with_scikit_learns_message(cls):
    X = blobs(n=300, d=2, k=3, seed=4)
    with pytest.warns(ConvergenceWarning, match="Best performing initialization did not converge"):
        make(cls, "full", max_iter=2, tol=0.0).fit(X)


@pytest.mark.parametrize("cls", CLASSES)
@pytest.mark.parametrize("method", ["predict", "predict_proba", "score_samples", "score",
                                    "bic", "aic", "statistics"])
def test_every_query_before_fit_raises_scikit_learns_not_fitted_error(cls, method):
    X = blobs(n=30, d=2, k=3, seed=4)
    with pytest.raises(NotFittedError, match="is not fitted yet. Call 'fit'"):
        getattr(make(cls, "full"), method)(X)
    with pytest.raises(NotFittedError):
        make(cls, "full").sample(3)


@pytest.mark.parametrize("cls", CLASSES)
@pytest.mark.parametrize("verbose", [1, 2])
def test_verbose_prints_scikit_learns_lines(cls, verbose, capsys):
    X = blobs(n=300, d=2, k=3, seed=5)
    est = make(cls, "full", verbose=verbose, verbose_interval=1, tol=1e-3).fit(X)
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "Initialization 0"
    iterations = [line for line in out if line.startswith("  Iteration ")]
    assert len(iterations) == est.n_iter_
    assert out[-1].startswith("Initialization converged.")
    if verbose == 2:
        assert "time lapse" in iterations[0] and "ll change" in iterations[0]
        assert f"lower bound {est.lower_bound_:.5f}." in out[-1]
    make(cls, "full", verbose=0).fit(X)
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize("cls", CLASSES)
@pytest.mark.parametrize("cov_type", TYPES)
def test_more_components_than_distinct_points_completes(cls, cov_type):
    # three distinct rows, five components: k-means leaves components empty
    X = np.repeat(np.array([[0.0, 0.0], [5.0, 5.0], [10.0, 0.0]]), 20, axis=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est = cls(n_components=5, covariance_type=cov_type, random_state=0).fit(X)
    assert np.all(np.isfinite(est.means_))
    assert np.isclose(est.weights_.sum(), 1.0)


@pytest.mark.parametrize("cls", CLASSES)
@pytest.mark.parametrize("seed", range(10))
def test_random_from_data_with_duplicate_rows(cls, seed):
    X = np.repeat(blobs(n=30, d=2, k=3, seed=6), 4, axis=0)
    est = cls(n_components=3, init_params="random_from_data", random_state=seed).fit(X)
    assert np.all(np.isfinite(est.means_))


@pytest.mark.parametrize("cls", CLASSES)
def test_clone_and_get_params_round_trip(cls):
    est = make(cls, "diag", max_iter=7)
    twin = clone(est)
    assert twin.get_params() == est.get_params()
    assert not hasattr(twin, "means_")
