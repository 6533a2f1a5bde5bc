import numpy as np
import pytest


def blobs(n=400, d=3, k=3, seed=0, spread=4.0):
    """k well-separated Gaussian clusters in d dimensions, unequal sizes and shapes."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(0.0, spread, size=(k, d))
    sizes = rng.multinomial(n - 10 * k, np.full(k, 1.0 / k)) + 10
    parts = []
    for c in range(k):
        a = rng.normal(size=(d, d)) * 0.4 + np.eye(d)
        parts.append(rng.normal(size=(sizes[c], d)) @ a + centres[c])
    X = np.vstack(parts)
    return X[rng.permutation(n)]


@pytest.fixture
def data():
    return blobs()


def relative_error(ours, theirs):
    """max |ours - theirs| / max |theirs| (over the whole array)."""
    ours = np.asarray(ours, dtype=float)
    theirs = np.asarray(theirs, dtype=float)
    assert ours.shape == theirs.shape, (ours.shape, theirs.shape)
    return float(np.max(np.abs(ours - theirs)) / max(np.max(np.abs(theirs)), 1e-300))
