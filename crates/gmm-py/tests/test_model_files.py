"""Model files: the JSON the Rust side and the gmm command read and write."""

import json
import os
import pickle
import shutil
import subprocess

import numpy as np
import pytest

import gmm_rs
from conftest import blobs

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))


@pytest.mark.parametrize("cls", [gmm_rs.GaussianMixture, gmm_rs.BayesianGaussianMixture])
@pytest.mark.parametrize("cov_type", ["full", "tied", "diag", "spherical"])
def test_save_and_load_give_the_same_model(tmp_path, cls, cov_type):
    X = blobs(n=300, d=2, k=3, seed=1)
    est = cls(n_components=3, covariance_type=cov_type, random_state=0).fit(X)
    path = tmp_path / "model.json"
    est.save(path)
    text = json.loads(path.read_text())
    assert text["covariance_type"] == cov_type
    assert ("posterior" in text) == (cls is gmm_rs.BayesianGaussianMixture)
    assert text["fit"]["n_iter"] == est.n_iter_
    back = cls.load(path)
    assert np.array_equal(back.score_samples(X), est.score_samples(X))
    assert np.array_equal(back.predict_proba(X), est.predict_proba(X))
    assert back.n_iter_ == est.n_iter_ and back.converged_ == est.converged_
    again = pickle.loads(pickle.dumps(est))
    assert np.array_equal(again.score_samples(X), est.score_samples(X))


def test_loading_the_other_kind_names_the_right_class(tmp_path):
    X = blobs(n=200, d=2, k=2, seed=2)
    path = tmp_path / "vb.json"
    gmm_rs.BayesianGaussianMixture(n_components=2, random_state=0).fit(X).save(path)
    with pytest.raises(ValueError, match="BayesianGaussianMixture.load"):
        gmm_rs.GaussianMixture.load(path)


def test_bad_model_files_raise_with_the_core_message(tmp_path):
    with pytest.raises(OSError):
        gmm_rs.GaussianMixture.load(tmp_path / "missing.json")
    path = tmp_path / "bad.json"
    path.write_text('{"covariance_type": "full", "weights": [0.5, 0.6], "means": [[0], [1]], "covariances": [[[1]], [[1]]]}')
    with pytest.raises(ValueError, match="invalid mixture weights"):
        gmm_rs.GaussianMixture.load(path)


def test_a_damaged_file_is_named_with_its_control_characters_escaped(tmp_path):
    # issue 22, item 12: the file is named, the cause said, a newline or an escape sequence
    # in its name escaped; a byte-order mark is read
    X = blobs(n=200, d=2, k=2, seed=2)
    good = tmp_path / "good.json"
    gmm_rs.GaussianMixture(n_components=2, random_state=0).fit(X).save(good)
    model = json.loads(good.read_text())
    bom = tmp_path / "bom.json"
    bom.write_text("\ufeff" + json.dumps(model), encoding="utf-8")
    loaded = gmm_rs.GaussianMixture.load(bom)
    np.testing.assert_array_equal(loaded.means_, gmm_rs.GaussianMixture.load(good).means_)
    model["covariances"][0] = [[1.0, 2.0], [2.0, 1.0]]
    weird = tmp_path / "bad\nname\x1b[31m.json"
    weird.write_text(json.dumps(model))
    with pytest.raises(ValueError) as info:
        gmm_rs.GaussianMixture.load(weird)
    message = str(info.value)
    assert "bad\\nname\\u{1b}[31m.json" in message, message
    assert "damaged or edited" in message and "reg_covar" not in message, message
    assert not any(ord(c) < 32 for c in message), message


def gmm_binary():
    for candidate in ("target/release/gmm", "target/debug/gmm"):
        path = os.path.join(REPO, candidate)
        if os.path.exists(path):
            return path
    return shutil.which("gmm")


@pytest.mark.skipif(gmm_binary() is None, reason="the gmm command is not built (cargo build -p gmm-cli)")
def test_the_gmm_command_scores_a_python_model_as_python_does(tmp_path):
    X = blobs(n=200, d=2, k=2, seed=3)
    est = gmm_rs.GaussianMixture(2, random_state=0).fit(X)
    est.save(tmp_path / "m.json")
    np.savetxt(tmp_path / "x.csv", X, delimiter=",", fmt="%.17g")
    out = subprocess.run(
        [gmm_binary(), "score", str(tmp_path / "m.json"), str(tmp_path / "x.csv"), "--per-point"],
        capture_output=True, text=True, check=True,
    ).stdout.split()
    ours = est.score_samples(X)
    theirs = np.array([float(v) for v in out[-len(ours):]])
    assert np.allclose(theirs, ours, rtol=1e-12, atol=0)


def test_fit_reads_a_c_contiguous_float64_array_without_copying_it():
    """A copy of 2.5e6 x 8 values (160 MB) would raise the peak resident memory by at least
    that much; reading in place adds only the model, the chunk buffers and the k-means
    sample of 1e5 points (about 7 MB)."""
    import resource

    rng = np.random.default_rng(0)
    X = rng.normal(size=(2_500_000, 8))
    X[: X.shape[0] // 2] += 10.0
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    gmm_rs.GaussianMixture(2, covariance_type="diag", max_iter=2, random_state=0).fit(X)
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert grown_mb < 80, f"peak memory grew by {grown_mb:.0f} MB during fit"


def test_feature_names_go_into_the_file_and_come_back(tmp_path):
    pd = pytest.importorskip("pandas")
    X = blobs(n=200, d=2, k=2, seed=4)
    frame = pd.DataFrame(X, columns=["x", "y"])
    est = gmm_rs.GaussianMixture(2, random_state=0).fit(frame)
    path = tmp_path / "named.json"
    est.save(path)
    assert json.loads(path.read_text())["feature_names"] == ["x", "y"]
    back = gmm_rs.GaussianMixture.load(path)
    assert list(back.feature_names_in_) == ["x", "y"]
    assert gmm_rs._core.Model.load(str(path)).feature_names == ["x", "y"]
    assert np.array_equal(back.score_samples(frame), est.score_samples(frame))
    # scikit-learn's check: columns in another order are refused by name
    with pytest.raises(ValueError, match="feature names"):
        back.score_samples(frame[["y", "x"]])
    # an array has no names: the file records none, as before
    plain = gmm_rs.GaussianMixture(2, random_state=0).fit(X)
    plain.save(tmp_path / "plain.json")
    assert "feature_names" not in json.loads((tmp_path / "plain.json").read_text())
    assert not hasattr(gmm_rs.GaussianMixture.load(tmp_path / "plain.json"), "feature_names_in_")
