"""Fits on a Spark DataFrame: one Spark job per iteration (docs/spark.md).

    from gmm_rs import GaussianMixture, spark
    est = spark.fit(GaussianMixture(n_components=8, random_state=0), df,
                    features=["x0", "x1", "x2"], weight_col=None)

Each iteration broadcasts the current model (its JSON model file), computes every
partition's sufficient statistics in Rust on the partition's Arrow batches
(DataFrame.mapInArrow), and merges them on the driver in partition order; the M-step runs on
the driver. A task that Spark retries contributes the result of its successful attempt only
(results are collected per partition, never accumulated), so a retry cannot count a
partition twice. The start is an initialisation on a sample of the DataFrame (at most
sample_size rows), or the estimator's own model when it is already initialised or fitted
(estimator.initialize(X) / fit): then the fit continues from it.
"""

import copy
import functools
import re
import warnings

import numpy as np

from . import _core
from ._base import ConvergenceWarning
from ._core import Statistics

_FEATURES = "__gmm_features"
_WEIGHT = "__gmm_weight"


def fit(estimator, df, features, weight_col=None, *, sample_size=10_000, seed=0, _task_hook=None):
    """Fits `estimator` (gmm_rs.GaussianMixture or BayesianGaussianMixture, its parameters
    as for fit) on the Spark DataFrame `df` and returns it, fitted.

    features: the name of a vector column (pyspark.ml.linalg vectors) or of an array of
    numbers, or a list of numeric column names. weight_col: a column of frequency weights
    (finite, >= 0), or None. sample_size, seed: the sample the initialisation runs on when
    the estimator has no model yet. Raises ValueError naming the problem for nulls, NaN,
    vectors of different lengths or bad weights, before the first iteration.
    """
    selected, d = _select(df, features, weight_col)
    has_weight = weight_col is not None
    if getattr(estimator, "_model", None) is None:
        _initialize_from_sample(estimator, selected, d, has_weight, sample_size, seed)
    elif estimator._model.n_features != d:
        raise ValueError(
            f"the estimator's model has {estimator._model.n_features} features but features "
            f"give {d}: fit a new estimator or select the model's features"
        )
    for iteration in range(int(estimator.max_iter)):
        total = statistics(estimator, selected, d, has_weight, iteration, _task_hook)
        estimator.m_step(total)
        if estimator.converged_:
            break
    if not estimator.converged_:
        warnings.warn(
            f"the Spark fit did not converge in {estimator.max_iter} iterations: raise "
            "max_iter or tol",
            ConvergenceWarning,
        )
    return estimator


def statistics(estimator, selected, d, has_weight, iteration=0, task_hook=None):
    """One Spark job: the merged statistics of every partition of `selected` (from
    _select) under the estimator's current model."""
    import pyarrow as pa
    from pyspark import TaskContext

    spark = selected.sparkSession
    model_json = spark.sparkContext.broadcast(estimator._model.to_json())

    def partition_statistics(batches):
        if task_hook is not None:
            task_hook(TaskContext.get(), iteration)
        model = _core.Model.from_json(model_json.value)
        total = None
        for batch in batches:
            if batch.num_rows == 0:
                continue
            column = batch.column(0)
            values = column.flatten().to_numpy(zero_copy_only=False)
            X = np.ascontiguousarray(values, dtype=np.float64).reshape(batch.num_rows, d)
            w = None
            if has_weight:
                w = np.ascontiguousarray(batch.column(1).to_numpy(zero_copy_only=False), dtype=np.float64)
            part = model.e_step(X, w)
            total = part if total is None else total.merge(part)
        if total is not None:
            yield pa.RecordBatch.from_arrays([pa.array([total.to_bytes()], pa.binary())], names=["stats"])

    try:
        rows = selected.mapInArrow(partition_statistics, "stats binary").collect()
    except Exception as e:  # an executor's error arrives wrapped: raise its message
        raise _worker_error(e) from None
    finally:
        model_json.unpersist()
    if not rows:
        raise ValueError("the DataFrame has no rows: give at least one point")
    return functools.reduce(Statistics.merge, (Statistics.from_bytes(bytes(r.stats)) for r in rows))


def _worker_error(e):
    text = str(e)
    for kind in (ValueError, TypeError, MemoryError):
        m = re.search(kind.__name__ + r": (.*)", text)
        if m:
            return kind(m.group(1).strip())
    return e


def _select(df, features, weight_col):
    """The DataFrame of one array<double> column of features (and a double weight column),
    checked: no nulls or NaN, every vector of the same length D, weights finite and >= 0.
    Returns it with D."""
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    if isinstance(features, str):
        field = df.schema[features]
        if isinstance(field.dataType, T.ArrayType):
            col = F.col(features).cast("array<double>")
        else:
            from pyspark.ml.functions import vector_to_array

            col = vector_to_array(F.col(features))
    else:
        names = list(features)
        if not names:
            raise ValueError("features is empty: give a vector column or numeric column names")
        col = F.array(*[F.col(c).cast("double") for c in names])
    cols = [col.alias(_FEATURES)]
    if weight_col is not None:
        cols.append(F.col(weight_col).cast("double").alias(_WEIGHT))
    selected = df.select(*cols)
    first = selected.select(F.size(_FEATURES).alias("d")).where(F.col(_FEATURES).isNotNull()).first()
    if first is None:
        raise ValueError("the DataFrame has no rows: give at least one point")
    d = int(first.d)
    if d < 1:
        raise ValueError("the feature vectors are empty: give at least one feature")
    bad_value = F.exists(_FEATURES, lambda x: x.isNull() | F.isnan(x) | (F.abs(x) == float("inf")))
    problems = [
        (F.col(_FEATURES).isNull() | bad_value, "a null, NaN or infinite feature value"),
        (F.size(_FEATURES) != d, f"feature vectors of different lengths (the first has {d})"),
    ]
    if weight_col is not None:
        w = F.col(_WEIGHT)
        problems.append(
            (w.isNull() | F.isnan(w) | (w < 0) | (w == float("inf")), f"a null, NaN, infinite or negative weight in {weight_col}")
        )
    for condition, what in problems:
        if selected.where(condition).limit(1).count() > 0:
            raise ValueError(
                f"the DataFrame holds {what}: drop or impute such rows (e.g. df.na.drop()) "
                "before fitting"
            )
    return selected, d


def _initialize_from_sample(estimator, selected, d, has_weight, sample_size, seed):
    """estimator.initialize on a sample of at most sample_size rows; for VB with default
    priors, the priors are the whole DataFrame's (weighted) mean and covariance, computed in
    one Spark job."""
    n = selected.count()
    fraction = min(1.0, 1.2 * sample_size / max(n, 1))
    pdf = selected.sample(False, fraction, seed).limit(sample_size).toPandas()
    if len(pdf) < estimator.n_components:
        pdf = selected.limit(max(sample_size, estimator.n_components)).toPandas()
    X = np.ascontiguousarray(np.vstack(pdf[_FEATURES].to_numpy()), dtype=np.float64).reshape(-1, d)
    w = pdf[_WEIGHT].to_numpy(dtype=np.float64) if has_weight else None
    if estimator._kind == "vb" and (estimator.mean_prior is None or estimator.covariance_prior is None):
        mean, cov = _data_moments(selected, d, has_weight, X)
        saved = (estimator.mean_prior, estimator.covariance_prior)
        try:  # the whole DataFrame's priors, for this initialisation only
            if saved[0] is None:
                estimator.mean_prior = mean
            if saved[1] is None:
                estimator.covariance_prior = cov
            estimator.initialize(X, sample_weight=w)
        finally:
            estimator.mean_prior, estimator.covariance_prior = saved
    else:
        estimator.initialize(X, sample_weight=w)


def _data_moments(selected, d, has_weight, X):
    """The (weighted) mean and covariance (divided by the total weight - 1, as the core's
    default prior) of the whole DataFrame: the statistics of one component."""
    from ._mixture import GaussianMixture

    one = GaussianMixture(1).initialize(X[:1])
    moments = statistics(one, selected, d, has_weight)
    cov = moments.scatter[0] / max(moments.weight - 1.0, 1.0)
    return moments.means[0], cov
