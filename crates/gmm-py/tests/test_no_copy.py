"""A C-contiguous float64 array is not copied: the queries and the map step borrow it; nor
is a C-contiguous float32 array given to fit (fitted in float32 lanes).

Rust's allocations are invisible to tracemalloc, so each entry point runs in a fresh
subprocess that builds X in place (no temporaries), notes its peak resident set (VmHWM),
calls the entry point, and reports how far the peak rose. A copy of X would raise it by the
size of X; the borrowed paths raise it by their outputs only (N values, or N x K for
predict_proba) and a batch of work.
"""

import json
import subprocess
import sys

import pytest

N, D = 1_000_000, 16  # X is 128 MB
X_MB = N * D * 8 / 2**20

SCRIPT = r"""
import json, sys
import numpy as np
import gmm_rs

def peak_mb():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM")

n, d, call = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
dtype = np.float32 if call.endswith("_f32") else np.float64
X = np.empty((n, d), order="F" if call.endswith("_fortran") else "C", dtype=dtype)
np.random.default_rng(0).standard_normal(out=X, dtype=dtype)
w = np.ones(n)
est = gmm_rs.GaussianMixture(2, max_iter=2, random_state=0).fit(X[:2000])
calls = {
    "predict": lambda: est.predict(X),
    "predict_proba": lambda: est.predict_proba(X),
    "score_samples": lambda: est.score_samples(X),
    "score": lambda: est.score(X),
    "bic": lambda: est.bic(X),
    "fit": lambda: gmm_rs.GaussianMixture(2, max_iter=2, random_state=0).fit(X),
    "fit_f32": lambda: gmm_rs.GaussianMixture(2, max_iter=2, random_state=0).fit(X),
    "e_step": lambda: est.statistics(X),
    "e_step_weighted": lambda: est.statistics(X, sample_weight=w),
    # the control: a Fortran-ordered array is copied once (to C order)
    "predict_fortran": lambda: est.predict(X),
}
before = peak_mb()
out = calls[call]()
print(json.dumps({"rise_mb": peak_mb() - before}))
"""

# what each call may hold beyond X: its output (and a few batches of work)
OUTPUT_MB = {
    "predict": N * 8 / 2**20,
    "predict_proba": N * 2 * 8 / 2**20,
    "score_samples": N * 8 / 2**20,
    "score": N * 8 / 2**20,
    "bic": 0.0,
    "fit": 16.0,  # k-means on a sample of 100,000 points (12 MB)
    "fit_f32": 16.0,  # the same sample, widened to f64; X itself (64 MB) is not copied
    "e_step": 0.0,
    "e_step_weighted": 0.0,
}


def _has_vmhwm():
    try:
        with open("/proc/self/status") as f:
            return any(line.startswith("VmHWM:") for line in f)
    except OSError:
        return False


def _rise_mb(call):
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(N), str(D), call],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])["rise_mb"]


needs_proc = pytest.mark.skipif(not _has_vmhwm(), reason="needs /proc/self/status (Linux)")


@needs_proc
@pytest.mark.parametrize("call", sorted(OUTPUT_MB))
def test_a_c_contiguous_float64_array_is_not_copied(call):
    rise = _rise_mb(call)
    # a copy of X would add 128 MB; allow the output and 16 MB of batches and slack
    limit = OUTPUT_MB[call] + 16.0
    assert rise < limit < X_MB / 2, (call, rise, limit)


@needs_proc
def test_the_measure_sees_a_copy():
    """The control: a Fortran-ordered X is copied once to C order, and the peak shows it."""
    rise = _rise_mb("predict_fortran")
    assert rise > 0.9 * X_MB, rise
