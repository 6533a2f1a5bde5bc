"""gmm_rs.GibbsGaussianMixture: the posterior predictive of the kept draws answers score,
predict and predict_proba (checked against the draws by hand here), the draws come back as
arrays of the documented shapes, R-hat / ESS / summary warnings are attributes, the priors
and chain settings reach the sampler, and model files round-trip."""

import json
import math
import warnings

import numpy as np
import pytest
from conftest import blobs

import gmm_rs
from gmm_rs import BayesianGaussianMixture, GaussianMixture, GibbsGaussianMixture

# issue 24: two clusters of five points, K = 3, default priors
TEN = np.array([-0.6, -0.3, 0.0, 0.2, 0.5, 4.5, 4.8, 5.0, 5.3, 5.6]).reshape(-1, 1)
CENTRES = np.array([[0.0], [5.0]])
SMALL = dict(n_draws=40, burn_in=20, n_chains=2)


def quiet_fit(est, X):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return est.fit(X)


def full_covariances(cov, covariance_type, k, d):
    """One draw's covariances of scikit-learn's shape as K full matrices."""
    if covariance_type == "full":
        return cov
    if covariance_type == "tied":
        return np.repeat(cov[None], k, axis=0)
    if covariance_type == "diag":
        return np.stack([np.diag(v) for v in cov])
    return np.stack([v * np.eye(d) for v in cov])


def mixture_log_joint(x, weights, means, covs):
    """ln(w_k N(x | m_k, C_k)) for every point and component, by hand (N x K)."""
    out = np.empty((x.shape[0], len(weights)))
    for k, (w, m, c) in enumerate(zip(weights, means, covs)):
        diff = x - m
        sol = np.linalg.solve(c, diff.T).T
        _, logdet = np.linalg.slogdet(c)
        out[:, k] = (
            math.log(w) - 0.5 * (np.sum(diff * sol, axis=1) + logdet + x.shape[1] * math.log(2 * math.pi))
        )
    return out


def logsumexp(a, axis):
    top = np.max(a, axis=axis, keepdims=True)
    return np.squeeze(top, axis=axis) + np.log(np.sum(np.exp(a - top), axis=axis))


@pytest.mark.parametrize("covariance_type", ["full", "tied", "diag", "spherical"])
def test_with_every_draw_kept_score_and_proba_are_the_draws_averages(covariance_type):
    X = blobs(n=120, d=2, k=2, seed=3)
    est = quiet_fit(
        GibbsGaussianMixture(
            2, covariance_type=covariance_type, predictive_draws=80, random_state=1, **SMALL
        ),
        X,
    )
    k, d = 2, 2
    assert est.n_predictive_draws_ == 80  # all 2 x 40 draws
    assert est.weights_draws_.shape == (2, 40, k)
    assert est.means_draws_.shape == (2, 40, k, d)
    assert est.covariances_draws_.shape == (2, 40) + est.covariances_.shape
    assert est.log_likelihood_draws_.shape == (2, 40)
    joints = []
    for c in range(2):
        for s in range(40):
            covs = full_covariances(est.covariances_draws_[c, s], covariance_type, k, d)
            joints.append(
                mixture_log_joint(X, est.weights_draws_[c, s], est.means_draws_[c, s], covs)
            )
    joints = np.stack(joints)  # S x N x K
    joint = logsumexp(joints, axis=0) - math.log(len(joints))
    density = logsumexp(joint, axis=1)
    np.testing.assert_allclose(est.score_samples(X), density, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(est.predict_proba(X), np.exp(joint - density[:, None]), atol=1e-9)
    assert est.score(X) == pytest.approx(float(np.mean(density)), rel=1e-12)
    # each draw's log-likelihood is the training data's under that draw
    np.testing.assert_allclose(
        est.log_likelihood_draws_[1, 7], logsumexp(joints[47], axis=1).sum(), rtol=1e-9
    )


def test_ten_points_score_the_predictive_and_warn_about_the_posterior_means():
    est = GibbsGaussianMixture(3, random_state=0)
    with pytest.warns(UserWarning, match="no finite posterior mean"):
        est.fit(TEN)
    kinds = {w["kind"] for w in est.summary_warnings_}
    assert kinds == {"unbounded_covariance", "ambiguous_labels"}
    assert all(0 < w["share"] <= 1 for w in est.summary_warnings_)
    assert est.n_predictive_draws_ == 200
    # the predictive is far above the density of the posterior-mean mixture
    weights, means = est.weights_, est.means_
    covs = full_covariances(est.covariances_, "full", 3, 1)
    mean_mixture = logsumexp(mixture_log_joint(CENTRES, weights, means, covs), axis=1)
    assert np.all(est.score_samples(CENTRES) - mean_mixture > 0.5)
    assert np.max(est.covariances_) > 1e3  # the huge posterior-mean variances of the issue


def test_predictions_diagnostics_and_determinism():
    X = blobs(n=150, d=2, k=3, seed=5)
    est = quiet_fit(GibbsGaussianMixture(3, random_state=7, **SMALL), X)
    proba = est.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-12)
    np.testing.assert_array_equal(est.predict(X), np.argmax(proba, axis=1))
    assert est.predict(X).dtype == np.int64
    assert set(est.rhat_) == set(est.ess_)
    assert "log_likelihood" in est.rhat_ and "mean[2][1]" in est.rhat_
    assert est.max_rhat_ == max(est.rhat_.values())
    assert est.min_ess_ == min(est.ess_.values())
    assert est.converged_ == (est.max_rhat_ <= 1.01)
    again = quiet_fit(GibbsGaussianMixture(3, random_state=7, **SMALL), X)
    np.testing.assert_array_equal(again.means_draws_, est.means_draws_)
    other = quiet_fit(GibbsGaussianMixture(3, random_state=8, **SMALL), X)
    # seeds 7 and 8 share no chain
    for a in range(2):
        for b in range(2):
            assert other.log_likelihood_draws_[b, 0] != est.log_likelihood_draws_[a, 0]
    np.testing.assert_array_equal(
        GibbsGaussianMixture(3, random_state=7, **SMALL).fit_predict(X), est.predict(X)
    )


def test_chain_settings_and_predictive_draws_reach_the_sampler():
    X = blobs(n=80, d=2, k=2, seed=1)
    est = quiet_fit(
        GibbsGaussianMixture(2, n_draws=10, burn_in=0, n_chains=3, predictive_draws=5, random_state=0),
        X,
    )
    assert est.weights_draws_.shape == (3, 10, 2)
    assert est.n_predictive_draws_ == 5
    assert len(json.loads(est.to_json())["gibbs"]["draws"]) == 5
    none = quiet_fit(GibbsGaussianMixture(2, predictive_draws=0, random_state=0, **SMALL), X)
    assert none.n_predictive_draws_ == 0
    covs = full_covariances(none.covariances_, "full", 2, 2)
    np.testing.assert_allclose(
        none.score_samples(X),
        logsumexp(mixture_log_joint(X, none.weights_, none.means_, covs), axis=1),
        rtol=1e-9,
    )


def test_priors_reach_the_sampler():
    d = 1
    base = dict(random_state=0, **SMALL)
    default = quiet_fit(GibbsGaussianMixture(3, **base), TEN)
    # nu0 = 10 > D + 1: no component's covariance is unbounded
    firm = quiet_fit(GibbsGaussianMixture(3, degrees_of_freedom_prior=10.0, **base), TEN)
    assert not any(w["kind"] == "unbounded_covariance" for w in firm.summary_warnings_)
    variants = [
        dict(weight_concentration_prior_type="dirichlet_distribution"),
        dict(weight_concentration_prior=5.0),
        dict(mean_precision_prior=10.0),
        dict(mean_prior=[20.0]),
        dict(covariance_prior=0.01 * np.eye(d)),
        dict(covariance_prior=[0.01]),
        dict(init_params="random"),
    ]
    for v in variants:
        est = quiet_fit(GibbsGaussianMixture(3, **base, **v), TEN)
        assert not np.array_equal(est.means_draws_, default.means_draws_), v


@pytest.mark.parametrize(
    "params, named",
    [
        (dict(covariance_type="bogus"), "covariance_type"),
        (dict(weight_concentration_prior_type="bogus"), "weight_concentration_prior_type"),
        (dict(init_params="bogus"), "init_params"),
        (dict(n_draws=3), "draws"),
        (dict(n_chains=0), "chains"),
        (dict(n_draws=-1), "n_draws"),
        (dict(burn_in=1.5), "burn_in"),
        (dict(predictive_draws=-2), "predictive_draws"),
        (dict(mean_precision_prior=-1.0), "mean_precision"),
        (dict(n_components=11), "n_components"),
    ],
)
def test_bad_parameters_are_named(params, named):
    with pytest.raises(ValueError, match=named):
        GibbsGaussianMixture(**{"n_components": 2, **params}).fit(TEN)


def test_unsupported_and_unfitted_uses_are_refused():
    with pytest.raises(ValueError, match="sample_weight"):
        GibbsGaussianMixture(2, **SMALL).fit(TEN, sample_weight=np.ones(10))
    with pytest.raises(Exception, match="not fitted"):
        GibbsGaussianMixture(2).predict(TEN)
    est = quiet_fit(GibbsGaussianMixture(2, random_state=0, **SMALL), TEN)
    with pytest.raises(ValueError, match="features"):
        est.score_samples(np.zeros((3, 2)))


def test_model_files_round_trip_and_other_estimators_refuse_them(tmp_path):
    est = quiet_fit(GibbsGaussianMixture(3, random_state=0, **SMALL), TEN)
    path = tmp_path / "g.json"
    est.save(path)
    back = GibbsGaussianMixture.load(path)
    np.testing.assert_array_equal(back.score_samples(TEN), est.score_samples(TEN))
    np.testing.assert_array_equal(back.predict_proba(TEN), est.predict_proba(TEN))
    np.testing.assert_array_equal(back.means_, est.means_)
    assert back.rhat_ == est.rhat_
    assert back.summary_warnings_ == est.summary_warnings_
    assert not hasattr(back, "means_draws_")
    text = GibbsGaussianMixture.from_json(est.to_json())
    np.testing.assert_array_equal(text.score_samples(TEN), est.score_samples(TEN))
    with pytest.raises(ValueError, match="GibbsGaussianMixture"):
        GaussianMixture.load(path)
    em = GaussianMixture(2, random_state=0).fit(TEN)
    em.save(tmp_path / "em.json")
    with pytest.raises(ValueError, match="not a Gibbs fit"):
        GibbsGaussianMixture.load(tmp_path / "em.json")
    assert BayesianGaussianMixture is not None


def test_feature_names_and_sklearn_protocol():
    pd = pytest.importorskip("pandas")
    sklearn_base = pytest.importorskip("sklearn.base")
    frame = pd.DataFrame({"x": TEN[:, 0]})
    est = quiet_fit(GibbsGaussianMixture(2, random_state=0, **SMALL), frame)
    assert list(est.feature_names_in_) == ["x"]
    assert json.loads(est.to_json())["feature_names"] == ["x"]
    clone = sklearn_base.clone(est)
    assert clone.get_params() == est.get_params()
    clone.set_params(n_chains=3)
    assert clone.n_chains == 3
    assert "GibbsGaussianMixture" in gmm_rs.__all__


def test_sample_draws_from_the_posterior_predictive():
    est = quiet_fit(GibbsGaussianMixture(3, random_state=0), TEN)
    X, labels = est.sample(4000)
    assert X.shape == (4000, 1) and labels.shape == (4000,)
    assert set(np.unique(labels)) <= {0, 1, 2}
    # the predictive puts about half its mass near each cluster (five points each)
    near_zero = np.mean(np.abs(X[:, 0]) < 2.0)
    near_five = np.mean(np.abs(X[:, 0] - 5.0) < 2.0)
    assert 0.3 < near_zero < 0.55 and 0.3 < near_five < 0.55, (near_zero, near_five)
    again, _ = est.sample(4000)
    np.testing.assert_array_equal(again, X)  # random_state=0: the same points
    with pytest.raises(ValueError, match="n_samples"):
        est.sample(0)
    back = GibbsGaussianMixture.from_json(est.to_json()).set_params(random_state=0)
    np.testing.assert_array_equal(back.sample(4000)[0], X)
