#!/usr/bin/env python3
"""Seconds per iteration on Spark, gmm_rs.spark against Spark ML's GaussianMixture, side by
side in one run on the same cached DataFrame, with two executor processes
(local-cluster[2,1,2048]); the final log-likelihoods; and the cost of one iteration's Spark
job without data (the overhead every iteration pays).

    scripts/test_python.sh -k nothing          # builds gmm_rs into .venv, installs pyspark
    .venv/bin/python scripts/bench_spark.py [--n 1000000 --d 8 --k 8]

Per-iteration seconds = (t(high) - t(low)) / (high - low) for both (default 12 and 2
iterations, tol 0), which cancels the initialisation and the first job's start-up. Both
start from a sample of the data: ours from k-means on 10,000 sampled points (gmm_rs.spark's
default), Spark ML from its own (seed 0). The log-likelihoods are the mean per point of each
final model on the whole DataFrame (ours by one more statistics job; Spark ML's from its
training summary, which is the log-likelihood of its last iteration's model).
"""

import argparse
import os
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
    cols = [f"x{j}" for j in range(d)]
    df = spark.createDataFrame(pd.DataFrame(X, columns=cols)).repartition(partitions)
    df = VectorAssembler(inputCols=cols, outputCol="features").transform(df).cache()
    df.count()
    return df, cols


def ours(df, cols, k, iters):
    import gmm_rs
    from gmm_rs import spark as gspark

    est = gmm_rs.GaussianMixture(k, tol=0.0, max_iter=iters, random_state=0)
    start = time.perf_counter()
    gspark.fit(est, df, features=cols)
    elapsed = time.perf_counter() - start
    blocks = gspark.to_blocks(df, cols, None)
    final = gspark.statistics(est, blocks)
    blocks.unpersist()
    return elapsed, final.log_likelihood_sum / final.weight


def spark_ml(df, k, iters):
    from pyspark.ml.clustering import GaussianMixture

    gm = GaussianMixture(k=k, maxIter=iters, tol=0.0, seed=0, featuresCol="features")
    start = time.perf_counter()
    model = gm.fit(df)
    elapsed = time.perf_counter() - start
    return elapsed, model.summary.logLikelihood / df.count()


def job_overhead(spark, k, d, repeat=5):
    import gmm_rs
    from gmm_rs import spark as gspark

    tiny = spark.createDataFrame([tuple(float(i + j) for j in range(d)) for i in range(256)],
                                 [f"x{j}" for j in range(d)]).repartition(16).cache()
    tiny.count()
    blocks = gspark.to_blocks(tiny, [f"x{j}" for j in range(d)], None)
    X = np.asarray(tiny.toPandas().to_numpy(), dtype=float)
    est = gmm_rs.GaussianMixture(min(k, 8), random_state=0).initialize(X)
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        gspark.statistics(est, blocks)
        times.append(time.perf_counter() - start)
    return min(times), float(np.median(times))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--d", type=int, default=8)
    ap.add_argument("--k", type=int, default=8)
    ap.add_argument("--partitions", type=int, default=16)
    ap.add_argument("--low", type=int, default=2)
    ap.add_argument("--high", type=int, default=12)
    a = ap.parse_args()
    spark = session()
    t0 = time.perf_counter()
    df, cols = data(spark, a.n, a.d, a.k, a.partitions)
    print(f"data: {a.n} x {a.d}, {a.partitions} partitions, cached in {time.perf_counter() - t0:.1f} s")
    span = a.high - a.low
    rows = []
    for name, run in (("gmm_rs.spark", lambda m: ours(df, cols, a.k, m)), ("Spark ML", lambda m: spark_ml(df, a.k, m))):
        lo, _ = run(a.low)
        hi, loglik = run(a.high)
        rows.append((name, lo, hi, (hi - lo) / span, loglik))
    print(f"{'':14} {'t(' + str(a.low) + ') s':>9} {'t(' + str(a.high) + ') s':>9} {'s/iter':>8} {'mean loglik':>14}")
    for name, lo, hi, per, ll in rows:
        print(f"{name:14} {lo:9.2f} {hi:9.2f} {per:8.3f} {ll:14.6f}")
    print(f"Spark ML / gmm_rs.spark per iteration: {rows[1][3] / rows[0][3]:.1f}x")
    print(f"relative log-likelihood difference (ours - Spark ML) / |Spark ML|: "
          f"{(rows[0][4] - rows[1][4]) / abs(rows[1][4]):.2e}")
    best, median = job_overhead(spark, a.k, a.d)
    print(f"one iteration's job on 256 points in 16 partitions (the overhead): best {best:.3f} s, median {median:.3f} s")
    spark.stop()


if __name__ == "__main__":
    main()
