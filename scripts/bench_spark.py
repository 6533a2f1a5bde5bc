#!/usr/bin/env python3
"""gmm_rs.spark against Spark ML on Spark with two executor processes
(local-cluster[2,1,2048]), side by side in one session on the same cached DataFrame.

    scripts/test_python.sh -k nothing          # builds gmm_rs into .venv, installs pyspark
    .venv/bin/python scripts/bench_spark.py [--n 1000000 --d 8 --k 8] [--parts speed,...]

Parts (all by default; --parts picks some, comma-separated):

speed      Seconds per iteration = (t(high) - t(low)) / (high - low) for both (default 12 and
           2 iterations, tol 0), after one warm-up fit of each (Python workers, JIT),
           which cancels the initialisation and the first job's start-up. Ours starts as
           gmm_rs.spark does by default (the best of 4 fits on a 10,000-point sample), Spark
           ML from its own start (seed 0). --tasks sets ours' tasks per iteration (default:
           gmm_rs.spark's, one per executor core).
converge   Both run to convergence, each from its own start: Spark ML's GaussianMixture
           with maxIter 200, tol 1e-6 (Spark's tol is on the change of the *total*
           log-likelihood), ours with max_iter 200 and tol 1e-6 / N (ours is on the change of
           the mean per point: the same rule).
same       Both from the *same* initial model (k-means on our 10,000-point sample: weights,
           means, covariances): Spark's RDD-based pyspark.mllib GaussianMixture.train(...,
           initialModel=...) (Spark's own EM; spark.ml's GaussianMixture takes no initial
           model) against ours from weights_init / means_init / precisions_init, reg_covar
           0 (Spark has none); first 5 iterations at tol 0 (the same EM steps: parameters
           compared), then both to convergence as in `converge`.
overhead   One statistics job on tiny data (16 partitions of 16 rows, K = 8, D = 8) in a
           warm session (workers started, blocks cached): median of 25 after 5 warm-ups,
           with 16 tasks (one per partition) and with gmm_rs.spark's default (one per core).
breakdown  One iteration at N x D x K split into: the job (wall time on the driver), inside
           the tasks the time to receive the cached blocks (unpickling) and the Rust E-step
           (summed over tasks; two executors run them in parallel), and on the driver the
           merge of the partitions' statistics and the M-step. Median of 9 after 2 warm-ups.

Every log-likelihood is the mean per point of a final model on the whole DataFrame computed
the same way for both: one gmm_rs statistics job with the model (Spark's models are turned
into gmm_rs models from their weights, means and covariances, reg_covar 0).
The data: K centres drawn N(0, 8^2 I) in D dimensions, points N(centre, I); the script
prints the smallest distance between two centres in units of the clusters' sd.
"""

import argparse
import os
import statistics as stats_
import sys
import time
import warnings

import numpy as np

warnings.filterwarnings("ignore")


def session():
    from pyspark.sql import SparkSession

    os.environ["PYSPARK_PYTHON"] = sys.executable
    os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
    s = (
        SparkSession.builder.master("local-cluster[2,1,2048]")
        .appName("gmm_rs bench")
        .config("spark.driver.memory", "2g")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .getOrCreate()
    )
    s.sparkContext.setLogLevel("ERROR")
    return s


def data(spark, n, d, k, partitions, seed=0):
    import pandas as pd
    from pyspark.ml.feature import VectorAssembler

    rng = np.random.default_rng(seed)
    centres = rng.normal(0.0, 8.0, size=(k, d))
    labels = rng.integers(0, k, size=n)
    X = centres[labels] + rng.normal(size=(n, d))
    gaps = [np.linalg.norm(centres[i] - centres[j]) for i in range(k) for j in range(i)]
    cols = [f"x{j}" for j in range(d)]
    df = spark.createDataFrame(pd.DataFrame(X, columns=cols)).repartition(partitions)
    df = VectorAssembler(inputCols=cols, outputCol="features").transform(df).cache()
    df.count()
    return df, cols, min(gaps) if gaps else float("inf")


def load():
    print(f"  [load average {os.getloadavg()[0]:.2f}]", flush=True)


def model_loglik(blocks, weights, means, covariances):
    """Mean log-likelihood per point of the full-covariance mixture (weights, means,
    covariances) on the blocks: one gmm_rs statistics job."""
    import gmm_rs
    from gmm_rs import spark as gspark

    k = len(weights)
    est = gmm_rs.GaussianMixture(
        k,
        weights_init=np.asarray(weights, dtype=float) / np.sum(weights),
        means_init=np.asarray(means, dtype=float),
        precisions_init=np.linalg.inv(np.asarray(covariances, dtype=float)),
        reg_covar=0.0,
    ).initialize(np.asarray(means, dtype=float))
    s = gspark.statistics(est, blocks)
    return s.log_likelihood_sum / s.weight


TASKS = None


def ours(df, cols, k, iters, tol=0.0, **kw):
    import gmm_rs
    from gmm_rs import spark as gspark

    est = gmm_rs.GaussianMixture(k, tol=tol, max_iter=iters, random_state=0, **kw)
    start = time.perf_counter()
    gspark.fit(est, df, features=cols, partitions=TASKS)
    return time.perf_counter() - start, est


def spark_ml(df, k, iters, tol=0.0):
    from pyspark.ml.clustering import GaussianMixture

    gm = GaussianMixture(k=k, maxIter=iters, tol=tol, seed=0, featuresCol="features")
    start = time.perf_counter()
    model = gm.fit(df)
    return time.perf_counter() - start, model


def ml_params(model):
    g = model.gaussiansDF.collect()
    return (
        np.asarray(model.weights),
        np.array([r["mean"].toArray() for r in g]),
        np.array([r["cov"].toArray() for r in g]),
    )


def part_speed(spark, df, cols, a):
    span = a.high - a.low
    ours(df, cols, a.k, 1)  # warm-up: workers, JIT
    spark_ml(df, a.k, 1)
    rows = []
    for name, run in (
        ("gmm_rs.spark", lambda m: ours(df, cols, a.k, m)[0]),
        ("Spark ML", lambda m: spark_ml(df, a.k, m)[0]),
    ):
        lo = run(a.low)
        hi = run(a.high)
        rows.append((name, lo, hi, (hi - lo) / span))
    print(f"speed: {'':14} {'t(' + str(a.low) + ') s':>9} {'t(' + str(a.high) + ') s':>9} {'s/iter':>8}")
    for name, lo, hi, per in rows:
        print(f"       {name:14} {lo:9.2f} {hi:9.2f} {per:8.3f}")
    print(f"       Spark ML / gmm_rs.spark per iteration: {rows[1][3] / rows[0][3]:.2f}x")
    load()


def part_converge(spark, df, cols, a, blocks):
    t_o, est = ours(df, cols, a.k, 200, tol=1e-6 / a.n)
    ll_o = model_loglik(blocks, est.weights_, est.means_, est.covariances_)
    t_s, model = spark_ml(df, a.k, 200, tol=1e-6)
    ll_s = model_loglik(blocks, *ml_params(model))
    it_s = model.summary.numIter
    print("converge (each from its own start, max 200 iterations, tol 1e-6 on the total):")
    print(f"       gmm_rs.spark  {est.n_iter_:4d} iterations {t_o:7.1f} s  mean loglik {ll_o:.8f}")
    print(f"       Spark ML      {it_s:4d} iterations {t_s:7.1f} s  mean loglik {ll_s:.8f}"
          f"  (its summary: {model.summary.logLikelihood / a.n:.8f})")
    print(f"       (ours - Spark ML) / |Spark ML| = {(ll_o - ll_s) / abs(ll_s):.2e}")
    load()


def mllib_train(rdd, k, iters, tol, init):
    from types import SimpleNamespace

    from pyspark.mllib.clustering import GaussianMixture
    from pyspark.mllib.linalg import DenseMatrix, DenseVector
    from pyspark.mllib.stat.distribution import MultivariateGaussian

    w, mu, cov = init
    d = mu.shape[1]
    # what train() reads of an initial GaussianMixtureModel (whose constructor wants a
    # Java model): k, weights, gaussians
    start_model = SimpleNamespace(
        k=len(w),
        weights=[float(x) for x in w],
        gaussians=[MultivariateGaussian(DenseVector(m), DenseMatrix(d, d, c.ravel(order="F").tolist()))
                   for m, c in zip(mu, cov)],
    )
    start = time.perf_counter()
    model = GaussianMixture.train(rdd, k, convergenceTol=tol, maxIterations=iters, seed=0,
                                  initialModel=start_model)
    elapsed = time.perf_counter() - start
    g = model.gaussians
    return elapsed, (
        np.asarray(model.weights),
        np.array([x.mu.toArray() for x in g]),
        np.array([x.sigma.toArray() for x in g]),
    )


def part_same(spark, df, cols, a, blocks):
    import gmm_rs
    from gmm_rs import spark as gspark
    from pyspark.mllib.util import MLUtils

    # the initial model: gmm_rs.spark's default start (k-means on a 10,000-point sample)
    start = gmm_rs.GaussianMixture(a.k, random_state=0)
    gspark._initialize_from_sample(start, blocks, 10_000, 0)
    init = (start.weights_.copy(), start.means_.copy(), start.covariances_.copy())
    rdd = MLUtils.convertVectorColumnsFromML(df, "features").select("features").rdd.map(
        lambda r: r[0]).cache()
    rdd.count()

    def run_ours(iters, tol):
        est = gmm_rs.GaussianMixture(
            a.k, weights_init=init[0], means_init=init[1],
            precisions_init=np.linalg.inv(init[2]), reg_covar=0.0, tol=tol, max_iter=iters)
        est.initialize(init[1])  # the given model, as it is
        t0 = time.perf_counter()
        gspark.fit(est, df, features=cols, partitions=TASKS)
        return time.perf_counter() - t0, est

    _, e5 = run_ours(5, 0.0)
    _, m5 = mllib_train(rdd, a.k, 5, 0.0, init)
    dm = np.max(np.abs(e5.means_ - m5[1])) / np.max(np.abs(m5[1]))
    dw = np.max(np.abs(e5.weights_ - m5[0])) / np.max(m5[0])
    dc = np.max(np.abs(e5.covariances_ - m5[2])) / np.max(np.abs(m5[2]))
    print("same start (k-means on our 10,000-point sample; Spark: pyspark.mllib "
          "GaussianMixture.train(initialModel=...)):")
    print(f"       after 5 iterations at tol 0, max relative difference: weights {dw:.1e}, "
          f"means {dm:.1e}, covariances {dc:.1e}")
    ll0 = model_loglik(blocks, *init)
    t_o, eo = run_ours(200, 1e-6 / a.n)
    ll_o = model_loglik(blocks, eo.weights_, eo.means_, eo.covariances_)
    t_m, mm = mllib_train(rdd, a.k, 200, 1e-6, init)
    ll_m = model_loglik(blocks, *mm)
    print(f"       start: mean loglik {ll0:.8f}")
    print(f"       gmm_rs.spark  {eo.n_iter_:4d} iterations {t_o:7.1f} s  mean loglik {ll_o:.8f}")
    print(f"       Spark mllib        to convergence {t_m:7.1f} s  mean loglik {ll_m:.8f}")
    print(f"       (ours - Spark) / |Spark| = {(ll_o - ll_m) / abs(ll_m):.2e}")
    rdd.unpersist()
    load()


def part_overhead(spark, a):
    import gmm_rs
    from gmm_rs import spark as gspark

    d = a.d
    rows = [tuple(float(np.sin(i * 7 + j)) * 5 for j in range(d)) for i in range(256)]
    tiny = spark.createDataFrame(rows, [f"x{j}" for j in range(d)]).repartition(16).cache()
    tiny.count()
    est = gmm_rs.GaussianMixture(8, random_state=0).initialize(np.asarray(rows))
    for tasks in (16, None):
        blocks = gspark.to_blocks(tiny, [f"x{j}" for j in range(d)], None, tasks)
        for _ in range(5):
            gspark.statistics(est, blocks)
        times = []
        for _ in range(25):
            t0 = time.perf_counter()
            gspark.statistics(est, blocks)
            times.append(time.perf_counter() - t0)
        n_tasks = blocks.rdd.getNumPartitions()
        print(f"overhead: one statistics job on 256 points in 16 partitions, {n_tasks} tasks "
              f"(K 8, D {d}), warm: median {stats_.median(times) * 1e3:.1f} ms, best "
              f"{min(times) * 1e3:.1f} ms, worst {max(times) * 1e3:.1f} ms (25 runs)")
        blocks.unpersist()
    tiny.unpersist()
    load()


def timed_statistics(est, blocks):
    """gmm_rs.spark.statistics with clocks inside the tasks and on the driver."""
    from gmm_rs import _core
    from gmm_rs._core import Statistics

    sc = blocks.rdd.context
    model_json = sc.broadcast(est._model.to_json())

    def task(items):
        t0 = time.perf_counter()
        model = _core.Model.from_json(model_json.value)
        t_model = time.perf_counter() - t0
        t_read = t_e = 0.0
        total, it = None, iter(items)
        while True:
            t1 = time.perf_counter()
            try:
                X, w = next(it)
            except StopIteration:
                t_read += time.perf_counter() - t1
                break
            t2 = time.perf_counter()
            part = model.e_step(X, w)
            total = part if total is None else total.merge(part)
            t_read += t2 - t1
            t_e += time.perf_counter() - t2
        t3 = time.perf_counter()
        b = total.to_bytes()
        yield b, t_model, t_read, t_e, time.perf_counter() - t3, time.perf_counter() - t0

    t0 = time.perf_counter()
    parts = blocks.rdd.mapPartitions(task).collect()
    t_job = time.perf_counter() - t0
    model_json.unpersist()
    t1 = time.perf_counter()
    merged = None
    for p in parts:
        s = Statistics.from_bytes(p[0])
        merged = s if merged is None else merged.merge(s)
    t_merge = time.perf_counter() - t1
    t2 = time.perf_counter()
    est._model.m_step(merged, float(est.reg_covar))
    t_m = time.perf_counter() - t2
    sums = np.sum([p[1:] for p in parts], axis=0)
    return t_job, t_merge, t_m, sums, len(parts)


def part_breakdown(spark, df, cols, a, blocks):
    import gmm_rs
    from gmm_rs import spark as gspark

    est = gmm_rs.GaussianMixture(a.k, random_state=0)
    gspark._initialize_from_sample(est, blocks, 10_000, 0)
    for _ in range(2):
        timed_statistics(est, blocks)
    runs = [timed_statistics(est, blocks) for _ in range(9)]
    med = lambda i: stats_.median(r[i] for r in runs)  # noqa: E731
    sums = np.median(np.array([r[3] for r in runs]), axis=0)
    # the whole statistics() as a fit runs it, and the in-memory E-step on the driver
    full = []
    for _ in range(9):
        t0 = time.perf_counter()
        s = gspark.statistics(est, blocks)
        est._model.m_step(s, float(est.reg_covar))
        full.append(time.perf_counter() - t0)
    X = np.vstack([x for x, _ in blocks.rdd.collect()])
    rust = []
    for _ in range(5):
        t0 = time.perf_counter()
        est._model.e_step(X, None)
        rust.append(time.perf_counter() - t0)
    n_blocks = blocks.rdd.count()
    print(f"breakdown of one iteration at {a.n} x {a.d}, K {a.k}, {runs[0][4]} partitions, "
          f"{n_blocks} blocks (medians of 9):")
    print(f"       statistics() + M-step as the fit runs them:   {stats_.median(full) * 1e3:7.1f} ms")
    print(f"       the job, wall time on the driver:              {med(0) * 1e3:7.1f} ms")
    print(f"         in the tasks, summed over the {runs[0][4]} tasks (2 executors in parallel):")
    print(f"           model from JSON                            {sums[0] * 1e3:7.1f} ms")
    print(f"           receive and unpickle the cached blocks     {sums[1] * 1e3:7.1f} ms")
    print(f"           Rust E-step (Model.e_step + merge)         {sums[2] * 1e3:7.1f} ms")
    print(f"           statistics to bytes                        {sums[3] * 1e3:7.1f} ms")
    print(f"           task total (Python function)               {sums[4] * 1e3:7.1f} ms")
    print(f"       driver: statistics from bytes + merge          {med(1) * 1e3:7.1f} ms")
    print(f"       driver: M-step                                 {med(2) * 1e3:7.1f} ms")
    print(f"       for scale: the Rust E-step over all {a.n} points in one process "
          f"(2 threads): {stats_.median(rust) * 1e3:.1f} ms")
    load()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--d", type=int, default=8)
    ap.add_argument("--k", type=int, default=8)
    ap.add_argument("--partitions", type=int, default=16)
    ap.add_argument("--low", type=int, default=2)
    ap.add_argument("--high", type=int, default=12)
    ap.add_argument("--tasks", type=int, default=None,
                    help="gmm_rs.spark.fit(partitions=...): tasks per iteration (default: "
                    "the DataFrame's partitions)")
    ap.add_argument("--parts", default="speed,converge,same,overhead,breakdown")
    a = ap.parse_args()
    parts = a.parts.split(",")
    from gmm_rs import spark as gspark

    print(time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()), end="")
    load()
    spark = session()
    t0 = time.perf_counter()
    df, cols, gap = data(spark, a.n, a.d, a.k, a.partitions)
    print(f"data: {a.n} x {a.d}, K {a.k}, {a.partitions} partitions, cached in "
          f"{time.perf_counter() - t0:.1f} s; smallest distance between two centres "
          f"{gap:.1f} sd")
    global TASKS
    TASKS = a.tasks
    blocks = gspark.to_blocks(df, cols, None, a.tasks) if set(parts) - {"speed", "overhead"} else None
    for part in parts:
        if part == "speed":
            part_speed(spark, df, cols, a)
        elif part == "converge":
            part_converge(spark, df, cols, a, blocks)
        elif part == "same":
            part_same(spark, df, cols, a, blocks)
        elif part == "overhead":
            part_overhead(spark, a)
        elif part == "breakdown":
            part_breakdown(spark, df, cols, a, blocks)
        else:
            raise SystemExit(f"unknown part {part!r}")
    print(time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()), end="")
    load()
    spark.stop()


if __name__ == "__main__":
    main()
