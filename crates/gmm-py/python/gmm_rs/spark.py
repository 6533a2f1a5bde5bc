"""Fits on a Spark DataFrame: one Spark job per iteration (docs/spark.md).

    from gmm_rs import GaussianMixture, spark
    est = spark.fit(GaussianMixture(n_components=8, random_state=0), df,
                    features=["x0", "x1", "x2"], weight_col=None)

The DataFrame is first turned, in one job, into blocks of rows held by the executors as
NumPy arrays (a cached RDD of C-contiguous float64 blocks, one per partition), and checked
on the way (nulls, NaN, vectors of different lengths, bad weights). Each iteration is then
one Spark job: the current model is broadcast (its JSON model file), every partition's
sufficient statistics are computed in Rust on its blocks, and the driver merges them in
partition order and runs the M-step. A task that Spark retries contributes the result of its
successful attempt only (results are collected per partition, never accumulated), so a retry
cannot count a partition twice.

The fit is the library's (gmm_rs._core.Stepper, as estimator.fit runs it): the start is
chosen as estimator.fit chooses it (a fit in progress after initialize continues; a fitted
estimator with warm_start continues its history; a start the user gave, EM's three *_init
or VB's means_init, is the start of the whole DataFrame, so the fit equals estimator.fit on
the same rows; otherwise a start on a sample of at most sample_size rows), VB's priors are
resolved by the library from the whole DataFrame's statistics, and the steps and stopping
rule are the library's.
"""

import functools
import re
import warnings

import numpy as np

from . import _core
from ._base import CONVERGENCE_WARNING, ConvergenceWarning
from ._core import Statistics

# the largest block cached (values; 64 MB): a partition's Arrow batches are joined into
# blocks up to this size (a larger batch is a block of its own) (one Rust E-step call each; a pickled block stays far below the
# JVM's 2 GB array limit)
BLOCK_VALUES = 1 << 23

_FEATURES = "__gmm_features"
_WEIGHT = "__gmm_weight"


class Blocks:
    """The DataFrame's rows as a cached RDD of (X, w) NumPy blocks on the executors, with
    N (rows), D and the total weight."""

    def __init__(self, rdd, n, d, weighted):
        self.rdd, self.n, self.d, self.weighted = rdd, n, d, weighted

    def unpersist(self):
        self.rdd.unpersist()


def fit(
    estimator,
    df,
    features,
    weight_col=None,
    *,
    sample_size=10_000,
    seed=0,
    partitions=None,
    sample_inits=4,
    _task_hook=None,
):
    """Fits `estimator` (gmm_rs.GaussianMixture or BayesianGaussianMixture, its parameters
    as for fit) on the Spark DataFrame `df` and returns it, fitted.

    features: the name of a vector column (pyspark.ml.linalg vectors) or of an array of
    numbers, or a list of numeric column names. weight_col: a column of frequency weights
    (finite, >= 0), or None. sample_size, seed: the sample the initialisation runs on when
    the estimator has no model yet; sample_inits: the start is the best of
    max(n_init, sample_inits) fits to convergence on that sample (0: one initialisation on
    the sample and its M-step, no fit). partitions: the number of tasks per iteration
    (the DataFrame's partitions are coalesced to it once, without a shuffle, when the blocks
    are cached; never more than the DataFrame has); None: the session's default parallelism
    (the executors' cores), one task per core, since every Python task costs tens of ms
    whatever its data (docs/spark.md, "Speed"). Raises ValueError naming the problem for nulls, NaN,
    vectors of different lengths or bad weights, before the first iteration.
    """
    from ._base import HAVE_SKLEARN

    if HAVE_SKLEARN:
        estimator._validate_params()  # scikit-learn's parameter checks, as fit does
    blocks = to_blocks(df, features, weight_col, partitions)
    try:
        continues = _in_progress(estimator) or estimator._continues()
        if continues and estimator._model.n_features != blocks.d:
            raise ValueError(
                f"the estimator's model has {estimator._model.n_features} features but "
                f"features give {blocks.d}: fit a new estimator or select the model's features"
            )
        if not _in_progress(estimator):
            estimator._start(_start(estimator, blocks, sample_size, seed, sample_inits))
        iteration = 0
        while not estimator.fit_done:
            estimator.m_step(statistics(estimator, blocks, iteration, _task_hook))
            iteration += 1
    finally:
        blocks.unpersist()
    estimator._stepper = None  # the fit has ended: a next fit starts as estimator.fit would
    if not estimator.converged_ and estimator.max_iter > 0:
        warnings.warn(CONVERGENCE_WARNING, ConvergenceWarning)
    return estimator


def _in_progress(estimator):
    """Whether the estimator holds a fit in progress (initialize, or m_step called)."""
    return getattr(estimator, "_stepper", None) is not None


def _start(estimator, blocks, sample_size, seed, sample_inits):
    """The library's run the iterations continue, chosen as estimator.fit chooses it: a
    fitted estimator with warm_start continues its model and bound history; a start given
    by the user is the start of the whole DataFrame (EM's weights_init + means_init +
    precisions_init need no data; VB's means_init takes one job for the initial
    statistics); otherwise a start on a sample. VB's priors are resolved once, in the
    library, from the whole DataFrame's statistics (one job)."""
    settings = estimator._settings(blocks.d)
    if estimator.warm_start and getattr(estimator, "_model", None) is not None:
        return settings.stepper(estimator._model, continuing=True)
    is_vb = estimator._kind == "vb"
    if not is_vb and all(
        getattr(estimator, name) is not None
        for name in ("weights_init", "means_init", "precisions_init")
    ):
        return settings.start_from_statistics()
    cov = str(estimator.covariance_type)
    moments = _merged(blocks, lambda: lambda X, w: _core.moments(X, w, cov)) if is_vb else None
    if is_vb and estimator.means_init is not None:
        means = np.ascontiguousarray(estimator.means_init, dtype=np.float64)
        initial = _merged(
            blocks, lambda: lambda X, w: _core.nearest_mean_statistics(X, w, means, cov)
        )
        return settings.start_from_statistics(moments, initial)
    if moments is not None:
        settings = settings.with_priors_from(moments)
    return _start_on_sample(estimator, settings, blocks, sample_size, seed, sample_inits)


def _merged(blocks, partition_map):
    """One job: on every partition, `partition_map()` (called once per task, on the
    executor) gives the map of a block, `map(X, w) -> Statistics`; the blocks' statistics
    merge per partition, travel as bytes (one result per partition, so a retried task
    counts once) and merge on the driver in partition order."""

    def part(items):
        map_block = partition_map()
        total = None
        for X, w in items:
            s = map_block(X, w)
            total = s if total is None else total.merge(s)
        if total is not None:
            yield total.to_bytes()

    try:
        parts = blocks.rdd.mapPartitions(part).collect()
    except Exception as e:  # an executor's error arrives wrapped: raise its message
        raise _worker_error(e) from None
    if not parts:
        raise ValueError("the DataFrame has no rows: give at least one point")
    return functools.reduce(Statistics.merge, (Statistics.from_bytes(b) for b in parts))


def statistics(estimator, blocks, iteration=0, task_hook=None):
    """One Spark job: the merged statistics of every block under the estimator's current
    model (broadcast as its model file, rebuilt once per task)."""
    from pyspark import TaskContext

    model_json = blocks.rdd.context.broadcast(estimator._model.to_json())

    def partition_map():
        if task_hook is not None:
            task_hook(TaskContext.get(), iteration)
        return _core.Model.from_json(model_json.value).e_step

    try:
        return _merged(blocks, partition_map)
    finally:
        model_json.unpersist()


def _worker_error(e):
    text = str(e)
    for kind in (ValueError, TypeError, MemoryError):
        m = re.search(kind.__name__ + r": (.*)", text)
        if m:
            return kind(m.group(1).strip())
    return e


def _select(df, features, weight_col):
    """One array<double> column of features (and a double weight column)."""
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
    return df.select(*cols)


def _block_of_batch(batch, weighted):
    """(X bytes, w bytes, rows, D, problem) of one Arrow batch; problem is "" or what is
    wrong with it."""
    import pyarrow as pa
    import pyarrow.compute as pc

    n = batch.num_rows
    column = batch.column(0)
    if column.null_count:
        return None, None, n, -1, "a null feature vector"
    lengths = pc.list_value_length(column).to_numpy(zero_copy_only=False)
    d = int(lengths[0]) if n else 0
    if n and np.any(lengths != d):
        return None, None, n, d, "feature vectors of different lengths"
    values = column.flatten()
    if values.null_count:
        return None, None, n, d, "a null feature value"
    X = np.ascontiguousarray(values.to_numpy(zero_copy_only=False), dtype=np.float64)
    if not np.all(np.isfinite(X)):
        return None, None, n, d, "a NaN or infinite feature value"
    w = b""
    if weighted:
        wc = batch.column(1)
        wv = np.ascontiguousarray(wc.to_numpy(zero_copy_only=False), dtype=np.float64)
        if wc.null_count or not np.all(np.isfinite(wv)) or np.any(wv < 0):
            return None, None, n, d, "a null, NaN, infinite or negative weight"
        w = wv.tobytes()
    return X.tobytes(), w, n, d, ""


def to_blocks(df, features, weight_col, partitions=None):
    """The rows of `df` as cached (X, w) blocks on the executors (a partition's rows in
    blocks of at most BLOCK_VALUES values), checked: one job. partitions: fewer partitions
    than the DataFrame's (coalesced, no shuffle); None: the session's default parallelism."""
    import pyarrow as pa

    selected = _select(df, features, weight_col)
    weighted = weight_col is not None

    def encode(batches):
        for batch in batches:
            if batch.num_rows == 0:
                continue
            X, w, n, d, problem = _block_of_batch(batch, weighted)
            yield pa.RecordBatch.from_pylist(
                [{"X": X, "w": w, "n": n, "d": d, "problem": problem}]
            )

    schema = "X binary, w binary, n long, d long, problem string"
    encoded = selected.mapInArrow(encode, schema)

    def decode(rows):
        """The partition's rows as (X, w) blocks of at most BLOCK_VALUES values (the Arrow
        batches' bytes joined: one copy, then np.frombuffer without another), and its
        problems as (n, d, problem)."""
        group, size, d = [], 0, None

        def block():
            n = sum(g.n for g in group)
            X = np.frombuffer(b"".join(g.X for g in group), dtype=np.float64).reshape(n, d)
            w = np.frombuffer(b"".join(g.w for g in group), dtype=np.float64) if weighted else None
            return X, w

        for r in rows:
            if r.problem:
                yield (r.n, r.d, r.problem)
                continue
            if d is not None and r.d != d:
                yield (0, 0, f"feature vectors of different lengths ({sorted({d, r.d})})")
                continue
            d = r.d
            if group and size + r.n * d > BLOCK_VALUES:
                yield block()
                group, size = [], 0
            group.append(r)
            size += r.n * d
        if group:
            yield block()

    rdd = encoded.rdd
    if partitions is None:
        partitions = rdd.context.defaultParallelism
    if int(partitions) < 1:
        raise ValueError(f"partitions = {partitions}: give a number of tasks >= 1, or None")
    if partitions < rdd.getNumPartitions():
        rdd = rdd.coalesce(int(partitions))
    rdd = rdd.mapPartitions(decode).cache()
    try:
        shapes = rdd.map(lambda b: (b[0], b[1], b[2]) if len(b) == 3 else (len(b[0]), b[0].shape[1], "")).collect()
    except Exception as e:
        rdd.unpersist()
        raise _worker_error(e) from None
    what = [(n, d, p) for n, d, p in shapes if p]
    dims = {d for _, d, p in shapes if not p}
    if not what and len(dims) > 1:
        what = [(0, 0, f"feature vectors of different lengths ({sorted(dims)})")]
    if what:
        rdd.unpersist()
        name = f" in {weight_col}" if "weight" in what[0][2] else ""
        raise ValueError(
            f"the DataFrame holds {what[0][2]}{name}: drop or impute such rows (e.g. "
            "df.na.drop()) before fitting"
        )
    if not shapes:
        rdd.unpersist()
        raise ValueError("the DataFrame has no rows: give at least one point")
    d = dims.pop()
    if d < 1:
        rdd.unpersist()
        raise ValueError("the feature vectors are empty: give at least one feature")
    return Blocks(rdd, sum(n for n, _, _ in shapes), d, weighted)


def _start_on_sample(estimator, settings, blocks, sample_size, seed, sample_inits):
    """The start from every step-th row of the blocks (at most about sample_size rows; the
    step is random per block, from seed): with sample_inits = 0 the initial model of the
    sample (one initialisation and its M-step); with sample_inits >= 1 the best of
    max(n_init, sample_inits) fits to convergence on the sample. `settings` carry the
    whole DataFrame's priors for VB."""
    step = max(1, blocks.n // max(sample_size, estimator.n_components))

    def take(index, items):
        rng = np.random.default_rng([seed, index])
        for X, w in items:
            first = int(rng.integers(0, step)) if step > 1 else 0
            yield X[first::step], (None if w is None else w[first::step])

    parts = blocks.rdd.mapPartitionsWithIndex(take).collect()
    X = np.ascontiguousarray(np.vstack([p[0] for p in parts]))
    w = np.ascontiguousarray(np.concatenate([p[1] for p in parts])) if blocks.weighted else None
    if sample_inits >= 1:
        n_init = max(int(estimator.n_init), int(sample_inits))
        model = settings.with_n_init(n_init).fit(X, w)
        # the iterations on the whole DataFrame start from the sample's fit, a new record
        return settings.stepper(model, continuing=False)
    return settings.start(X, w)
