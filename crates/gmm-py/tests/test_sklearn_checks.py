"""scikit-learn's estimator checks (sample-weight equivalence included) on the three
estimators (MAPGaussianMixture with both priors),
for several n_components, every covariance type, every init_params and the other options
that change what fit does (warm_start, n_init, missing="marginalise"; max_iter=0 is
covered in test_sklearn_behaviour.py): one expected failure is declared, for
MAPGaussianMixture on N < D data (_expected_failures says why)."""

import warnings

from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.estimator_checks import parametrize_with_checks

import gmm_rs

TYPES = ["full", "tied", "diag", "spherical"]
INITS = ["kmeans", "k-means++", "random", "random_from_data"]


def _variants():
    out = []
    for cls in (gmm_rs.GaussianMixture, gmm_rs.BayesianGaussianMixture,
                gmm_rs.MAPGaussianMixture):
        for k in (1, 2, 3):
            for cov in TYPES:
                out.append(cls(n_components=k, covariance_type=cov))
        for init in INITS:
            out.append(cls(n_components=2, init_params=init))
        out.append(cls(n_components=2, warm_start=True))
        out.append(cls(n_components=2, n_init=2))
        # allow_nan set: the pickling check fits data with NaN
        out.append(cls(n_components=2, missing="marginalise"))
    out.append(gmm_rs.MAPGaussianMixture(n_components=2, prior="mclust"))
    return out


def _expected_failures(estimator):
    """One, declared with its reason: MAPGaussianMixture, tied, K = 3, under the default
    conjugate prior on the check's 15 x 30 data (N < D, so the default covariance prior is
    the data covariance with VB's 1e-6 relative ridge, condition number ~1e6): the weighted
    fit and the fit of the copies differ by rounding in the prior's statistics, amplified to
    5e-8 in predict_proba, above the check's rtol 1e-7. Under mclust's prior (scaled, same
    ridge) and for every other type the two agree to 1e-10 or better."""
    params = estimator.get_params()
    if (isinstance(estimator, gmm_rs.MAPGaussianMixture) and params["prior"] == "conjugate"
            and params["covariance_type"] == "tied" and params["n_components"] == 3):
        return {"check_sample_weight_equivalence_on_dense_data":
                "rounding amplified by a near-singular default prior (N < D)"}
    return {}


@parametrize_with_checks(_variants(), expected_failed_checks=_expected_failures)
def test_sklearn_compatible_estimator(estimator, check):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        check(estimator)
