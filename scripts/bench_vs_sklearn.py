#!/usr/bin/env python3
"""Seconds per EM iteration of scikit-learn, `gmm fit` and (optionally) linfa, side by side.

Usage (from the workspace root; see scripts/README.md and docs/performance.md):

    cargo build --release -p gmm-cli
    python3 scripts/bench_vs_sklearn.py                       # (100000, 8, 8) and (20000, 32, 8)
    python3 scripts/bench_vs_sklearn.py --sizes 100000x2x8,1000000x8x8
    python3 scripts/bench_vs_sklearn.py --linfa scripts/linfa-peer/target/release/linfa-peer
    python3 scripts/bench_vs_sklearn.py --memory               # peak RSS at (1000000, 8, 8)
    python3 scripts/bench_vs_sklearn.py --f32                  # float32 beside float64

With --f32 each size is also fitted in single precision, side by side in the same run:
`gmm fit --dtype f32` on a float32 .npy of the same points and scikit-learn on the float32
array, and the table gains the E-step's GFLOP/s (N K (2 D^2 + 9 D + 6) flops per iteration,
docs/performance.md "Flop counts") and its fraction of the machine's float64 peak
(--peak-gflops, 83 by default: 2 cores x 2.6 GHz x 16).

For each size it draws N points from the same well-separated mixture as the Rust benches
(`gmm_core::synthetic::separated(K, D)`: means on a scaled grid, covariances I + 0.3 u u^T,
equal weights), writes them and the starting means (the true means + 0.5) as CSV, and fits
the same CSV with the same settings: full covariance, tol 0, reg_covar 1e-6, starting from
the same means. Both tools start from the same parameters: every point goes to its nearest
starting mean and one M-step on those labels gives the first model (what `gmm fit
--init-means` does; scikit-learn gets that model as weights_init, means_init and
precisions_init, so it runs no k-means).

Seconds per iteration: each fit is timed at two iteration counts (--iters, default 10 and
100) and the difference of the times is divided by the difference of the counts, which
cancels reading the file, initialising and writing the result. scikit-learn is timed inside
Python around `fit`; `gmm fit` and linfa as whole processes. Each fit runs --repeat times
and its fastest time is kept; the repeats go in rounds, every fit of a size once per round
(scikit-learn, gmm EM, gmm VB, the float32 fits; both iteration counts), so that a slow spell
of a shared machine slows every tool's round alike rather than one tool's whole measurement.
"""

import argparse
import json
import re
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

REG_COVAR = 1e-6
ROOT = Path(__file__).resolve().parent.parent


def separated(k, d):
    """Means and covariances of gmm_core::synthetic::separated(k, d)."""
    means = np.empty((k, d))
    for c in range(k):
        for j in range(d):
            means[c, j] = 8.0 * (1 + c // d) if j == c % d else float((c * (j + 1)) % 3)
    covs = []
    for c in range(k):
        u = np.array([(((c + 1) * (j + 2)) % 5) / 5.0 for j in range(d)])
        covs.append(np.eye(d) + 0.3 * np.outer(u, u))
    return means, np.array(covs)


def make_data(n, d, k, folder, seed=20261123):
    """Writes data.csv, data.npy and means.csv for one size (once) and returns their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    data_csv, data_npy, means_csv = folder / "data.csv", folder / "data.npy", folder / "means.csv"
    data32 = folder / "data32.npy"
    means, covs = separated(k, d)
    if not (data_csv.exists() and data_npy.exists()):
        rng = np.random.default_rng(seed)
        labels = rng.integers(0, k, n)
        x = np.empty((n, d))
        for c in range(k):
            idx = np.flatnonzero(labels == c)
            x[idx] = rng.multivariate_normal(means[c], covs[c], size=idx.size)
        np.savetxt(data_csv, x, delimiter=",", fmt="%.17g")
        np.save(data_npy, x)
    if not data32.exists():
        np.save(data32, np.load(data_npy).astype(np.float32))
    np.savetxt(means_csv, means + 0.5, delimiter=",", fmt="%.17g")
    return data_csv, data_npy, means_csv


def start_from_means(x, start_means):
    """The model `gmm fit --init-means` starts from: nearest-mean labels, then one M-step."""
    k = start_means.shape[0]
    d2 = ((x[:, None, :] - start_means[None, :, :]) ** 2).sum(axis=2)
    labels = d2.argmin(axis=1)
    weights, means, precisions = [], [], []
    for c in range(k):
        xc = x[labels == c]
        weights.append(len(xc) / len(x))
        m = xc.mean(axis=0)
        diff = xc - m
        cov = diff.T @ diff / len(xc) + REG_COVAR * np.eye(x.shape[1])
        means.append(m)
        precisions.append(np.linalg.inv(cov))
    return np.array(weights), np.array(means), np.array(precisions)


def sklearn_fit(x, start, iters):
    from sklearn.mixture import GaussianMixture

    weights, means, precisions = start
    gm = GaussianMixture(
        n_components=len(weights),
        covariance_type="full",
        tol=0.0,
        reg_covar=REG_COVAR,
        max_iter=iters,
        weights_init=weights,
        means_init=means,
        precisions_init=precisions,
    )
    t0 = time.perf_counter()
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "did not converge": expected with tol 0
        gm.fit(x)
    return time.perf_counter() - t0, gm


def run_seconds(cmd):
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t0


def gmm_cmd(gmm, data_csv, means_csv, k, method, iters, out, extra=()):
    return [
        str(gmm), "fit", str(data_csv), "--method", method, "-k", str(k),
        "--covariance", "full", "--tol", "0", "--max-iter", str(iters),
        "--init-means", str(means_csv), "-o", str(out), *extra,
    ]


def e_step_gflops(n, d, k, seconds):
    """GFLOP/s of a full-covariance E-step of N K (2 D^2 + 9 D + 6) flops in `seconds`."""
    return n * k * (2 * d * d + 9 * d + 6) / seconds / 1e9


def per_iteration(times, iters):
    (a, ta), (b, tb) = sorted(zip(iters, times))[0], sorted(zip(iters, times))[-1]
    return (tb - ta) / (b - a)


def peak_rss_kib(cmd):
    """Peak resident set size of `cmd` in KiB, from /usr/bin/time -v."""
    res = subprocess.run(["/usr/bin/time", "-v"] + cmd, check=True, capture_output=True, text=True)
    return int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", res.stderr).group(1))


def single_precision_columns(args, n, d, k, em, sk32, em32):
    """The float32 columns of one size: scikit-learn on the float32 array and `gmm fit
    --dtype f32` on data32.npy (seconds per iteration, measured beside the float64 fits),
    and the E-step GFLOP/s and fraction of peak of both gmm fits (an iteration's time, so a
    lower bound on the E-step's rate)."""
    g64, g32 = e_step_gflops(n, d, k, em), e_step_gflops(n, d, k, em32)
    peak = args.peak_gflops
    return (f" | sk32 {sk32:.5f} gmm32 {em32:.5f} sk32/gmm32 {sk32 / em32:.1f} f64/f32 {em / em32:.2f}"
            f" | GFLOP/s f64 {g64:.1f} ({100 * g64 / peak:.0f}%) f32 {g32:.1f} ({100 * g32 / peak:.0f}%)")


def interleaved_fastest(jobs, repeat):
    """Runs every job once per round, `repeat` rounds, the jobs in the same order each
    round, and keeps each job's fastest time: a slow spell of a shared machine then falls on
    every tool alike instead of on whichever was being timed."""
    times = {key: [] for key in jobs}
    for _ in range(repeat):
        for key, job in jobs.items():
            times[key].append(job())
    return {key: min(v) for key, v in times.items()}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="100000x8x8,20000x32x8", help="NxDxK,... (default: %(default)s)")
    ap.add_argument("--iters", default="10,100", help="two iteration counts (default: %(default)s)")
    ap.add_argument("--gmm", default=str(ROOT / "target/release/gmm"), help="the gmm binary")
    ap.add_argument("--linfa", default=None, help="the linfa-peer binary (scripts/linfa-peer)")
    ap.add_argument("--linfa-iters", default=None,
                    help="iteration counts for linfa if they must differ from --iters (linfa stops at an exact "
                         "fixed point, which it can reach before the larger count)")
    ap.add_argument("--work", default=str(ROOT / "target/bench-vs-sklearn"), help="data folder")
    ap.add_argument("--repeat", type=int, default=2, help="rounds of fits, fastest of each kept (default: %(default)s)")
    ap.add_argument("--memory", action="store_true", help="peak RSS at 1000000x8x8 instead")
    ap.add_argument("--f32", action="store_true", help="also fit in float32, side by side")
    ap.add_argument("--peak-gflops", type=float, default=83.0, help="float64 peak (default: %(default)s)")
    ap.add_argument("--sklearn-once", nargs=3, metavar=("NPY", "MEANS", "ITERS"), help=argparse.SUPPRESS)
    args = ap.parse_args()

    if args.sklearn_once:  # one scikit-learn fit, for /usr/bin/time -v
        npy, means_csv, iters = args.sklearn_once
        x = np.load(npy)
        start = start_from_means(x, np.loadtxt(means_csv, delimiter=",", ndmin=2))
        sklearn_fit(x, start, int(iters))
        return

    work = Path(args.work)
    gmm = Path(args.gmm)
    if not gmm.exists():
        sys.exit(f"{gmm} not found: run `cargo build --release -p gmm-cli` first")
    iters = [int(v) for v in args.iters.split(",")]

    if args.memory:
        n, d, k = 1_000_000, 8, 8
        data_csv, data_npy, means_csv = make_data(n, d, k, work / f"{n}x{d}x{k}")
        data_mib = n * d * 8 / 2**20
        rows = [("data (N x D f64)", data_mib)]
        for method in ("em", "vb"):
            kib = peak_rss_kib(gmm_cmd(gmm, data_csv, means_csv, k, method, 10, work / "mem.json"))
            rows.append((f"gmm fit --method {method} (10 iterations)", kib / 1024))
        data32 = data_npy.parent / "data32.npy"
        for name, file, extra in [("data.npy", data_npy, ()), ("data32.npy --dtype f32", data32, ("--dtype", "f32"))]:
            kib = peak_rss_kib(gmm_cmd(gmm, file, means_csv, k, "em", 10, work / "mem.json", extra))
            rows.append((f"gmm fit {name} --method em (10 it.)", kib / 1024))
        py = [sys.executable, __file__, "--sklearn-once", str(data_npy), str(means_csv), "10"]
        rows.append(("scikit-learn fit (10 iterations, data from .npy)", peak_rss_kib(py) / 1024))
        base = [sys.executable, "-c", f"import numpy, sklearn.mixture; x = numpy.load('{data_npy}')"]
        rows.append(("python + numpy + sklearn with the data loaded, no fit", peak_rss_kib(base) / 1024))
        print(f"{'process':<56} {'peak RSS MiB':>12} {'/ data':>7}")
        for name, mib in rows:
            print(f"{name:<56} {mib:12.1f} {mib / data_mib:7.2f}")
        return

    header = f"{'N x D x K':<16} {'sklearn s/it':>12} {'gmm EM s/it':>12} {'sk/EM':>7} {'gmm VB s/it':>12} {'VB/EM':>6}"
    if args.linfa:
        header += f" {'linfa s/it':>11} {'linfa/EM':>9}"
    lines = [header]
    print(header, flush=True)
    for size in args.sizes.split(","):
        n, d, k = (int(v) for v in size.lower().split("x"))
        folder = work / f"{n}x{d}x{k}"
        data_csv, data_npy, means_csv = make_data(n, d, k, folder)
        x = np.load(data_npy)
        start = start_from_means(x, np.loadtxt(means_csv, delimiter=",", ndmin=2))
        sk_models = []

        def sklearn_seconds(points, it, first):
            seconds, model = sklearn_fit(points, first, it)
            if points is x:
                sk_models.append(model)
            return seconds

        x32 = x.astype(np.float32)
        start32 = tuple(a.astype(np.float32) for a in start)
        jobs = {}
        for it in iters:
            jobs["sk", it] = lambda it=it: sklearn_seconds(x, it, start)
            for method in ("em", "vb"):
                cmd = gmm_cmd(gmm, data_csv, means_csv, k, method, it, folder / f"{method}.json")
                jobs[method, it] = lambda cmd=cmd: run_seconds(cmd)
            if args.f32:
                jobs["sk32", it] = lambda it=it: sklearn_seconds(x32, it, start32)
                cmd = gmm_cmd(gmm, folder / "data32.npy", means_csv, k, "em", it, folder / "em32.json",
                              ("--dtype", "f32"))
                jobs["em32", it] = lambda cmd=cmd: run_seconds(cmd)
        fastest = interleaved_fastest(jobs, args.repeat)
        sk, em, vb = (per_iteration([fastest[tool, it] for it in iters], iters) for tool in ("sk", "em", "vb"))
        line = f"{size:<16} {sk:12.5f} {em:12.5f} {sk / em:7.1f} {vb:12.5f} {vb / em:6.2f}"
        if args.f32:
            sk32, em32 = (per_iteration([fastest[tool, it] for it in iters], iters) for tool in ("sk32", "em32"))
            line += single_precision_columns(args, n, d, k, em, sk32, em32)
        if args.linfa:
            linfa_iters = [int(v) for v in args.linfa_iters.split(",")] if args.linfa_iters else iters
            out = subprocess.run([args.linfa, str(data_csv), str(k)] + [str(i) for i in linfa_iters for _ in r],
                                 check=True, capture_output=True, text=True).stdout
            found = [float(v) for v in re.findall(r"seconds=([0-9.]+)", out)]
            lt = [min(found[i * args.repeat:(i + 1) * args.repeat]) for i in range(len(linfa_iters))]
            li = per_iteration(lt, linfa_iters)
            line += f" {li:11.5f} {li / em:9.1f}"
            if "stopped early" in out:
                line += "  (linfa stopped early: figure not valid)"
        lines.append(line)
        print(line, flush=True)
        # Same start, same iterations: the final mean log-likelihoods should agree.
        try:
            ours = json.loads((folder / "em.json").read_text())["fit"]["lower_bounds"][-1]
            note = f"{'':16}   final mean log-likelihood: sklearn {sk_models[-1].lower_bound_:.10f}, gmm {ours}"
            lines.append(note)
            print(note, flush=True)
        except (KeyError, IndexError, ValueError, OSError):
            pass
    print()
    print("\n".join(lines))


if __name__ == "__main__":
    main()
