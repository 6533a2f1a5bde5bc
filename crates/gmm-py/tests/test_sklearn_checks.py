"""scikit-learn's estimator checks, sample-weight checks included."""

import warnings

from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.estimator_checks import parametrize_with_checks

import gmm_rs


@parametrize_with_checks([gmm_rs.GaussianMixture(), gmm_rs.BayesianGaussianMixture()])
def test_sklearn_compatible_estimator(estimator, check):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        check(estimator)
