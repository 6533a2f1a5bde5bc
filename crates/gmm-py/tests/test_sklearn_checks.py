"""scikit-learn's estimator checks (sample-weight equivalence included) on both estimators,
for several n_components, every covariance type, every init_params and the other options
that change what fit does (warm_start, n_init, max_iter=0 is covered in
test_sklearn_behaviour.py): no expected failure is declared."""

import warnings

from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.estimator_checks import parametrize_with_checks

import gmm_rs

TYPES = ["full", "tied", "diag", "spherical"]
INITS = ["kmeans", "k-means++", "random", "random_from_data"]


def _variants():
    out = []
    for cls in (gmm_rs.GaussianMixture, gmm_rs.BayesianGaussianMixture):
        for k in (1, 2, 3):
            for cov in TYPES:
                out.append(cls(n_components=k, covariance_type=cov))
        for init in INITS:
            out.append(cls(n_components=2, init_params=init))
        out.append(cls(n_components=2, warm_start=True))
        out.append(cls(n_components=2, n_init=2))
    return out


@parametrize_with_checks(_variants())
def test_sklearn_compatible_estimator(estimator, check):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        check(estimator)
