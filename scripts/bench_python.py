#!/usr/bin/env python3
"""Seconds per EM iteration from Python (gmm_rs.GaussianMixture) against the Rust library
(gmm_em::EmParams::fit_source on a SliceSource, the path gmm_rs takes, in
crates/gmm-em/examples/em_iteration_seconds.rs), side by side, on the same data with the
same settings (full covariances, k-means start with seed 0, tol 0).

    scripts/test_python.sh -k nothing        # or any way of installing gmm_rs (maturin develop --release)
    .venv/bin/python scripts/bench_python.py [--n 100000 --d 8 --k 8]

Each fit runs at two iteration counts (10 and 60); seconds per iteration =
(t(60) - t(10)) / 50, which cancels the initialisation and, on the Python side, the
one-time conversion of the input. The two sides alternate over --rounds rounds (Python
first in odd rounds, Rust first in even ones), 3 runs per count each time, and each keeps
its fastest time per count, so that a load from other processes that comes and goes
penalises neither side more. Both sides run the same fit, so their final mean
log-likelihoods must agree (printed).
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time
import warnings

import numpy as np

import gmm_rs

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))


def data(n, d, k, seed=0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(0.0, 5.0, size=(k, d))
    labels = rng.integers(0, k, size=n)
    return np.ascontiguousarray(centres[labels] + rng.normal(size=(n, d)))


def python_seconds(X, k, iters, repeat=3):
    best, bound = np.inf, None
    for _ in range(repeat):
        est = gmm_rs.GaussianMixture(k, tol=0.0, max_iter=iters, random_state=0)
        start = time.perf_counter()
        est.fit(X)
        best = min(best, time.perf_counter() - start)
        bound = est.lower_bound_
    return best, bound


def build_rust():
    subprocess.run(
        ["cargo", "build", "--release", "--quiet", "-p", "gmm-em", "--example", "em_iteration_seconds"],
        cwd=REPO,
        check=True,
    )


def rust_seconds(X, k, counts):
    exe = os.path.join(REPO, "target", "release", "examples", "em_iteration_seconds")
    with tempfile.NamedTemporaryFile(suffix=".f64") as f:
        X.astype("<f8").tofile(f.name)
        out = subprocess.run(
            [exe, f.name, str(X.shape[0]), str(X.shape[1]), str(k)] + [str(c) for c in counts],
            env=dict(os.environ, GMM_BENCH_SOURCE="1"),  # in place, as gmm_rs reads NumPy arrays
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    rows = [line.split() for line in out.strip().splitlines()]
    return {int(r[0]): (float(r[1]), float(r[2])) for r in rows}


def main():
    warnings.simplefilter("ignore")  # tol 0 never converges: the ConvergenceWarning is expected
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--d", type=int, default=8)
    ap.add_argument("--k", type=int, default=8)
    ap.add_argument("--low", type=int, default=10)
    ap.add_argument("--high", type=int, default=60)
    ap.add_argument("--rounds", type=int, default=3)
    a = ap.parse_args()
    X = data(a.n, a.d, a.k)
    counts = [a.low, a.high]
    build_rust()
    rust, py = {}, {}

    def keep_best(best, new):
        for c, (t, bound) in new.items():
            if c not in best or t < best[c][0]:
                best[c] = (t, bound)

    for r in range(a.rounds):
        sides = [
            lambda: keep_best(py, {c: python_seconds(X, a.k, c) for c in counts}),
            lambda: keep_best(rust, rust_seconds(X, a.k, counts)),
        ]
        for side in sides if r % 2 == 0 else sides[::-1]:
            side()
    span = a.high - a.low
    per_rust = (rust[a.high][0] - rust[a.low][0]) / span
    per_py = (py[a.high][0] - py[a.low][0]) / span
    print(f"(N, D, K) = ({a.n}, {a.d}, {a.k}), full covariances, {os.cpu_count()} CPUs")
    print(f"{'':10} {'t(' + str(a.low) + ') s':>10} {'t(' + str(a.high) + ') s':>10} {'s/iter':>10} {'final loglik':>18}")
    for name, t, per in (("Rust", rust, per_rust), ("Python", py, per_py)):
        print(f"{name:10} {t[a.low][0]:10.4f} {t[a.high][0]:10.4f} {per:10.5f} {t[a.high][1]:18.12f}")
    print(f"Python / Rust per iteration: {per_py / per_rust:.3f}")
    if abs(rust[a.high][1] - py[a.high][1]) > 1e-9 * abs(rust[a.high][1]):
        print("WARNING: the two fits differ", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
