#!/usr/bin/env python3
"""How far the default stopping rules stop from convergence, for `gmm` and scikit-learn.

For each data set and K, each estimator is fitted twice from the same start: with its
defaults, and with tol 1e-12 and max_iter 100000. The gap is the difference of the final
bounds per point (EM: mean log-likelihood; VB: ELBO / N). Needs numpy and scikit-learn, and
the `gmm` binary (cargo build --release -p gmm-cli):

    python3 scripts/convergence_gap.py [path/to/gmm]
"""
import json
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
from sklearn.mixture import BayesianGaussianMixture, GaussianMixture

ROOT = Path(__file__).resolve().parent.parent
GMM = sys.argv[1] if len(sys.argv) > 1 else str(ROOT / "target/release/gmm")
CASES = [("iris", 3), ("old_faithful", 2), ("old_faithful", 6), ("galaxies", 6)]
TIGHT = ["--tol", "1e-12", "--max-iter", "100000"]


def load(path):
    rows = []
    for line in open(path):
        try:
            rows.append([float(v) for v in line.strip().split(",")])
        except ValueError:
            pass  # the header
    return np.array(rows)


def ours(path, method, k, n):
    bounds = []
    for extra in ([], TIGHT):
        out = subprocess.run(
            [GMM, "fit", str(path), "--method", method, "-k", str(k), "-o", "-"] + extra,
            capture_output=True, text=True, check=True,
        )
        bounds.append(json.loads(out.stdout)["fit"])
    scale = 1.0 if method == "em" else n
    gap = (bounds[1]["lower_bounds"][-1] - bounds[0]["lower_bounds"][-1]) / scale
    return gap, bounds[0]["n_iter"]


def sklearn(cls, x, k):
    warnings.filterwarnings("ignore")
    default = cls(n_components=k, random_state=0).fit(x)
    tight = cls(n_components=k, random_state=0, tol=1e-12, max_iter=100000).fit(x)
    scale = 1.0 if cls is GaussianMixture else len(x)
    return (tight.lower_bound_ - default.lower_bound_) / scale, default.n_iter_


print("| data, K | gmm EM | scikit-learn GaussianMixture | gmm VB | scikit-learn BayesianGaussianMixture |")
print("|---|---:|---:|---:|---:|")
for name, k in CASES:
    path = ROOT / "data" / f"{name}.csv"
    x = load(path)
    cells = []
    for method, cls in (("em", GaussianMixture), ("vb", BayesianGaussianMixture)):
        for gap, n_iter in (ours(path, method, k, len(x)), sklearn(cls, x, k)):
            cells.append(f"{gap:.1e} ({n_iter} it.)")
    print(f"| {name}, {k} | " + " | ".join(cells) + " |")
