"""gmm_rs: Gaussian mixtures by EM, variational Bayes and Gibbs sampling, computed in
Rust, as scikit-learn estimators.

    from gmm_rs import (
        GaussianMixture,
        BayesianGaussianMixture,
        MAPGaussianMixture,
        GibbsGaussianMixture,
    )
    gm = GaussianMixture(n_components=3, random_state=0).fit(X)
    map_gm = MAPGaussianMixture(n_components=3, prior="mclust").fit(X)  # MAP-EM

The map-reduce step (statistics of a chunk, merge, bytes, M-step) is in
GaussianMixture.initialize / .statistics / .m_step and gmm_rs.Statistics; see
docs/python.md in the repository.
"""

from ._core import Statistics
from ._gibbs import GibbsGaussianMixture
from ._mixture import BayesianGaussianMixture, GaussianMixture, MAPGaussianMixture

__all__ = [
    "GaussianMixture",
    "BayesianGaussianMixture",
    "MAPGaussianMixture",
    "GibbsGaussianMixture",
    "Statistics",
]
__version__ = "0.1.0"
