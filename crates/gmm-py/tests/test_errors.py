"""Bad input raises ValueError or TypeError with the package's (mostly the Rust core's)
message; nothing panics."""

import numpy as np
import pytest

import gmm_rs
from conftest import blobs

CLASSES = [gmm_rs.GaussianMixture, gmm_rs.BayesianGaussianMixture]


@pytest.mark.parametrize("cls", CLASSES)
@pytest.mark.parametrize(
    "X, error, message",
    [
        (np.array([[1.0, 2.0], [3.0, np.nan], [0.0, 1.0]]), ValueError, r"row 1, column 1 is NaN"),
        (np.array([[1.0, 2.0], [np.inf, 0.0], [0.0, 1.0]]), ValueError, r"row 1, column 0 is inf"),
        (np.array([1.0, 2.0, 3.0]), ValueError, r"Reshape your data"),
        (np.zeros((2, 2, 2)), ValueError, r"3 dimension\(s\)"),
        (np.zeros((0, 2)), ValueError, r"empty"),
        (np.zeros((3, 0)), ValueError, r"zero columns"),
        (np.array([[1.0, "a"], [2.0, 3.0]], dtype=object), TypeError, r"not a number"),
        ([[1.0, 2.0], [3.0, 4.0], [5.0]], ValueError, r"row 2 has 1 values but row 0 has 2"),
        ([[1.0, 2.0], [3.0, None]], ValueError, r"row 1, column 1 is NaN"),  # None is NaN
        (np.array([[1 + 2j, 0], [0, 1]]), ValueError, r"Complex data not supported"),
    ],
)
def test_bad_data(cls, X, error, message):
    with pytest.raises(error, match=message):
        cls(n_components=1).fit(X)


@pytest.mark.parametrize("cls", CLASSES)
def test_more_components_than_points(cls):
    with pytest.raises(ValueError, match="Expected n_samples >= n_components but got n_components = 5, n_samples = 3"):
        cls(n_components=5).fit(np.arange(6.0).reshape(3, 2))


@pytest.mark.parametrize("cls", CLASSES)
@pytest.mark.parametrize(
    "params, message",
    [
        (dict(covariance_type="banana"), "covariance_type"),
        (dict(n_components=0), "n_components"),
        (dict(tol=-1.0), "tol"),
        (dict(reg_covar=float("nan")), "reg_covar"),
        (dict(init_params="nope"), "init_params"),
        (dict(random_state=-3), "random_state"),
    ],
)
def test_bad_parameters(cls, params, message):
    with pytest.raises(ValueError, match=message):
        cls(**params).fit(blobs(n=50, d=2, k=2))


@pytest.mark.parametrize("cls", CLASSES)
def test_bad_sample_weights(cls):
    X = blobs(n=50, d=2, k=2)
    with pytest.raises(ValueError, match="one weight per point"):
        cls(n_components=2).fit(X, sample_weight=np.ones(49))
    with pytest.raises(ValueError, match="sample_weight"):
        cls(n_components=2).fit(X, sample_weight=-np.ones(50))
    with pytest.raises(ValueError, match="weight"):
        cls(n_components=2).fit(X, sample_weight=np.zeros(50))


@pytest.mark.parametrize("cls", CLASSES)
def test_wrong_number_of_features_after_fit(cls):
    est = cls(n_components=2, random_state=0).fit(blobs(n=60, d=3, k=2))
    with pytest.raises(ValueError, match="X has 2 features, but .* is expecting 3 features"):
        est.predict(np.zeros((4, 2)))


@pytest.mark.parametrize(
    "params, message",
    [
        (dict(precisions_init=np.ones((3, 2))),
         r"The parameter 'full precision' should have the shape of \(2, 2, 2\), but got \(3, 2\)"),
        (dict(means_init=np.zeros((3, 2))),
         r"The parameter 'means' should have the shape of \(2, 2\), but got \(3, 2\)"),
        (dict(weights_init=np.ones(3) / 3),
         r"The parameter 'weights' should have the shape of \(2,\), but got \(3,\)"),
        (dict(weights_init=np.array([1.5, -0.5])),
         r"The parameter 'weights' should be in the range \[0, 1\]"),
        (dict(weights_init=np.array([0.5, 0.6])),
         r"The parameter 'weights' should be normalized, but got sum\(weights\) = 1.10000"),
        (dict(covariance_type="diag", precisions_init=-np.ones((2, 2))),
         r"'diag precision' should be positive"),
        (dict(precisions_init=np.array([np.eye(2), -np.eye(2)])),
         r"'full precision' should be symmetric, positive-definite"),
    ],
)
def test_bad_initial_parameters_get_scikit_learns_messages(params, message):
    X = blobs(n=60, d=2, k=2)
    with pytest.raises(ValueError, match=message):
        gmm_rs.GaussianMixture(2, **params).fit(X)
    # scikit-learn's own estimator says the same
    sk = pytest.importorskip("sklearn.mixture")
    with pytest.raises(ValueError, match=message):
        sk.GaussianMixture(2, **params).fit(X)


def test_a_bad_covariance_prior_is_named():
    X = blobs(n=60, d=2, k=2)
    with pytest.raises(ValueError, match="covariance_prior"):
        gmm_rs.BayesianGaussianMixture(n_components=2, covariance_prior=-np.eye(2)).fit(X)


def test_float32_weights_init_that_sum_to_one_in_float32_are_accepted():
    X = blobs(n=60, d=2, k=3)
    w = (np.ones(3, dtype=np.float32) / np.float32(3.0)).astype(np.float32)
    est = gmm_rs.GaussianMixture(3, weights_init=w, random_state=0).fit(X)
    assert est.converged_


def test_dataframe_with_nulls_names_the_cell():
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [0.5, None, 1.0]})
    with pytest.raises(ValueError, match="row 1, column 1 is NaN"):
        gmm_rs.GaussianMixture(1).fit(df)


def test_sparse_input_is_refused():
    sparse = pytest.importorskip("scipy.sparse")
    with pytest.raises(TypeError, match="sparse"):
        gmm_rs.GaussianMixture(1).fit(sparse.csr_matrix(np.eye(3)))
