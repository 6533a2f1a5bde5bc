"""Spark with two executor processes (local-cluster[2,1,1024]): a DataFrame of 2e5 x 8 points
in 16 partitions fits to estimator.fit(X) on the same rows within 1e-9 relative whenever the
user gives the start (EM's three *_init, VB's means_init), weighted or not, and a constant
column fits as in memory; from the same initial model (initialize) the Spark fit is the
library's step-wise fit (EM, MAP-EM under VB's prior, VB); a task that fails on its first attempt gives the same fit after
Spark retries it; nulls are refused.

Needs pyspark and Java 17 (skipped without them): scripts/test_python.sh installs pyspark.
"""

import copy
import shutil
import warnings
import sys

import numpy as np
import pytest

pyspark = pytest.importorskip("pyspark")
if shutil.which("java") is None:
    pytest.skip("Java is not installed (Spark needs Java 17)", allow_module_level=True)

import gmm_rs  # noqa: E402
from gmm_rs import spark as gspark  # noqa: E402
from conftest import blobs, relative_error  # noqa: E402

N, D, K = 200_000, 8, 8
COLUMNS = [f"x{j}" for j in range(D)]


@pytest.fixture(scope="module")
def session():
    import os

    from pyspark.sql import SparkSession

    # the executors' Python workers must be this interpreter (gmm_rs, pyarrow installed)
    os.environ["PYSPARK_PYTHON"] = sys.executable
    os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
    s = (
        SparkSession.builder.master("local-cluster[2,1,1024]")
        .appName("gmm_rs tests")
        .config("spark.pyspark.python", sys.executable)
        .config("spark.pyspark.driver.python", sys.executable)
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.task.maxFailures", "4")
        .config("spark.ui.enabled", "false")
        .getOrCreate()
    )
    s.sparkContext.setLogLevel("ERROR")
    yield s
    s.stop()


@pytest.fixture(scope="module")
def data(session):
    import pandas as pd

    X = blobs(n=N, d=D, k=K, seed=11)
    w = np.random.default_rng(12).uniform(0.0, 2.0, size=N)
    pdf = pd.DataFrame(X, columns=COLUMNS)
    pdf["w"] = w
    df = session.createDataFrame(pdf).repartition(16).cache()
    assert df.rdd.getNumPartitions() == 16
    rows = df.toPandas()  # the rows as Spark holds them, for the in-memory fit
    return df, np.ascontiguousarray(rows[COLUMNS].to_numpy()), rows["w"].to_numpy()


warnings.filterwarnings("ignore", category=FutureWarning)  # pyspark on pandas 3


def in_memory(est, X, w):
    """The library's step-wise fit from the estimator's start (Stepper.step on the
    statistics of all of X), what estimator.fit runs after its initialisation."""
    while not est.fit_done:
        est.m_step(est.statistics(X, sample_weight=w))
    return est


def estimator(kind):
    kw = dict(n_components=K, tol=1e-6, max_iter=8, random_state=0)
    if kind == "em":
        return gmm_rs.GaussianMixture(**kw)
    if kind == "map":
        return gmm_rs.MAPGaussianMixture(**kw)
    return gmm_rs.BayesianGaussianMixture(**kw)


def assert_same_fit(a, b):
    assert a.n_iter_ == b.n_iter_
    for name in ["weights_", "means_", "covariances_", "lower_bounds_"]:
        err = relative_error(getattr(a, name), getattr(b, name))
        assert err <= 1e-9, f"{name}: {err:.2e}"


@pytest.mark.parametrize("partitions", [None, 16])
@pytest.mark.parametrize("kind", ["em", "map", "vb"])
@pytest.mark.parametrize("weighted", [False, True])
def test_spark_fit_equals_the_in_memory_fit(data, kind, weighted, partitions):
    df, X, w = data
    w = w if weighted else None
    start = estimator(kind).initialize(X, sample_weight=w)
    expected = in_memory(copy.deepcopy(start), X, w)
    got = gspark.fit(
        copy.deepcopy(start),
        df,
        features=COLUMNS,
        weight_col="w" if weighted else None,
        partitions=partitions,
    )
    assert_same_fit(got, expected)


def users_start(kind, X, w):
    """An estimator whose start the user gave: EM's weights_init, means_init and
    precisions_init (from a quick fit of a subsample), VB's means_init."""
    quick = gmm_rs.GaussianMixture(K, random_state=1, max_iter=5).fit(X[::50])
    if kind == "em":
        return gmm_rs.GaussianMixture(
            K, tol=1e-6, max_iter=8, weights_init=quick.weights_, means_init=quick.means_,
            precisions_init=quick.precisions_,
        )
    return gmm_rs.BayesianGaussianMixture(
        n_components=K, tol=1e-6, max_iter=8, means_init=quick.means_
    )


@pytest.mark.parametrize("kind", ["em", "vb"])
@pytest.mark.parametrize("weighted", [False, True])
def test_spark_fit_equals_estimator_fit_from_the_users_start(data, kind, weighted):
    df, X, w = data
    w = w if weighted else None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = users_start(kind, X, w).fit(X, sample_weight=w)
        got = gspark.fit(users_start(kind, X, w), df, features=COLUMNS,
                         weight_col="w" if weighted else None)
    assert_same_fit(got, expected)
    if kind == "vb":  # the priors are the whole DataFrame's, resolved by the library
        assert relative_error(got.mean_prior_, expected.mean_prior_) <= 1e-12
        assert relative_error(got.covariance_prior_, expected.covariance_prior_) <= 1e-9


def test_a_constant_column_fits_on_spark_as_in_memory(session):
    """The default covariance prior falls back on a constant column (and VB takes
    reg_covar as point noise): Spark resolves the same priors through the library."""
    import pandas as pd

    X = blobs(n=20_000, d=3, k=3, seed=21)
    X[:, 2] = 7.5
    pdf = pd.DataFrame(X, columns=["a", "b", "c"])
    df = session.createDataFrame(pdf).repartition(4)
    rows = df.toPandas()[["a", "b", "c"]].to_numpy()
    means = X[[0, 1, 2]]

    def est():
        return gmm_rs.BayesianGaussianMixture(n_components=3, tol=1e-8, max_iter=30,
                                              means_init=means, reg_covar=1e-2)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = est().fit(np.ascontiguousarray(rows))
        got = gspark.fit(est(), df, features=["a", "b", "c"])
    assert_same_fit(got, expected)
    assert np.all(np.isfinite(got.lower_bounds_))


def test_small_blocks_give_the_same_fit(data, monkeypatch):
    """Blocks capped at 8,000 values: Arrow batches (10,000 rows) are no longer joined, one
    block each, many blocks per task."""
    df, X, w = data
    monkeypatch.setattr(gspark, "BLOCK_VALUES", 8_000)
    blocks = gspark.to_blocks(df, COLUMNS, "w")
    try:
        sizes = blocks.rdd.map(lambda b: len(b[0])).collect()
    finally:
        blocks.unpersist()
    assert sum(sizes) == N and max(sizes) <= 10_000 and len(sizes) >= N // 10_000
    start = estimator("em").initialize(X, sample_weight=w)
    expected = in_memory(copy.deepcopy(start), X, w)
    got = gspark.fit(copy.deepcopy(start), df, features=COLUMNS, weight_col="w")
    assert_same_fit(got, expected)


@pytest.mark.parametrize("kind", ["em", "vb"])
def test_fewer_tasks_than_partitions_give_the_same_fit(data, kind):
    """partitions=3: the 16 partitions coalesced into 3, one task each (the default is the
    session's parallelism, 2 here; the other tests use it)."""
    df, X, w = data
    start = estimator(kind).initialize(X, sample_weight=w)
    expected = in_memory(copy.deepcopy(start), X, w)
    got = gspark.fit(copy.deepcopy(start), df, features=COLUMNS, weight_col="w", partitions=3)
    assert_same_fit(got, expected)
    blocks = gspark.to_blocks(df, COLUMNS, "w", partitions=3)
    try:
        assert blocks.rdd.getNumPartitions() == 3 and blocks.n == N
    finally:
        blocks.unpersist()


@pytest.mark.parametrize("partitions", [None, 16])
def test_a_task_failing_once_gives_the_same_fit(data, tmp_path, partitions):
    """The first attempt of one task of iteration 1 fails (partition 1 of the default 2, or
    partition 5 of 16); Spark retries it; the fit is the same bit for bit."""
    df, X, _ = data
    victim = 1 if partitions is None else 5
    marker = tmp_path / "failed"

    def fail_once(ctx, iteration):
        if iteration == 1 and ctx.partitionId() == victim and ctx.attemptNumber() == 0:
            marker.write_text("failed once")
            raise RuntimeError("injected failure of the first attempt")

    start = estimator("em").initialize(X)
    clean = gspark.fit(copy.deepcopy(start), df, features=COLUMNS, partitions=partitions)
    retried = gspark.fit(
        copy.deepcopy(start), df, features=COLUMNS, partitions=partitions, _task_hook=fail_once
    )
    assert marker.exists(), "the failure was not injected"
    assert np.array_equal(retried.means_, clean.means_)
    assert np.array_equal(retried.lower_bounds_, clean.lower_bounds_)


def test_a_vector_column_fits_from_a_sample(session, data):
    from pyspark.ml.feature import VectorAssembler

    df, X, _ = data
    vectors = VectorAssembler(inputCols=COLUMNS, outputCol="v").transform(df).select("v")
    est = gspark.fit(estimator("vb"), vectors, features="v")
    assert est.converged_ or est.n_iter_ == est.max_iter
    assert est.means_.shape == (K, D)
    # the priors are the whole DataFrame's moments, not the sample's
    assert relative_error(est.mean_prior_, X.mean(axis=0)) <= 1e-9


def test_the_default_start_is_the_best_fit_on_the_sample(data):
    """sample_inits (default 4): the iterations start from the best of 4 fits on the sample;
    sample_inits=0: from one initialisation on it. The record counts the DataFrame's
    iterations only."""
    df, X, _ = data
    fits = {
        inits: gspark.fit(
            gmm_rs.GaussianMixture(K, max_iter=2, tol=0.0, random_state=3),
            df, features=COLUMNS, sample_inits=inits,
        )
        for inits in (0, 4)
    }
    for est in fits.values():
        assert est.n_iter_ == 2 and len(est.lower_bounds_) == 2 and not est.converged_
    assert fits[4].lower_bounds_[0] >= fits[0].lower_bounds_[0]
    assert fits[4].score(X) >= fits[0].score(X) - 1e-9


def test_nulls_and_nan_are_refused_naming_the_cause(session):
    df = session.createDataFrame([(1.0, float("nan")), (2.0, 1.0)], ["a", "b"])
    with pytest.raises(ValueError, match="NaN or infinite feature value"):
        gspark.fit(gmm_rs.GaussianMixture(1), df, features=["a", "b"])
    df = session.createDataFrame([(1.0, 2.0), (None, 1.0), (3.0, 0.5)], ["a", "b"])
    with pytest.raises(ValueError, match="null feature value"):
        gspark.fit(gmm_rs.GaussianMixture(1), df, features=["a", "b"])
    df = session.createDataFrame([(1.0, 2.0, 1.0), (2.0, 1.0, -1.0)], ["a", "b", "w"])
    with pytest.raises(ValueError, match="negative weight in w"):
        gspark.fit(gmm_rs.GaussianMixture(1), df, features=["a", "b"], weight_col="w")
