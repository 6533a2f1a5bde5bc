"""Turning user input into what the Rust core takes: C-contiguous float64 arrays.

A C-contiguous float64 array goes through untouched (no copy); float32, integer, boolean
and Fortran-ordered arrays are converted once. Everything else gets a ValueError or
TypeError whose message names the problem and what to do; NaN and infinite values are
refused here with scikit-learn's message and the place of the first one (check_finite); K > N
and invalid parameters are refused by the Rust core with its own message.
"""

import numbers

import numpy as np

from . import _core

try:  # scikit-learn's message for non-finite input, when it is installed
    from sklearn.utils import assert_all_finite as _sk_assert_all_finite
except ImportError:  # pragma: no cover - exercised only without scikit-learn
    _sk_assert_all_finite = None


def _is_sparse(x):
    module = type(x).__module__ or ""
    return module.startswith("scipy.sparse") or hasattr(x, "tocsr")


def as_data(x, name="X", keep_float32=False):
    """`x` as a 2-D C-contiguous float64 array of at least one point and one feature; with
    keep_float32, a float32 array stays float32 (a fit reads it in place and runs its E-step
    in float32 lanes)."""
    if _is_sparse(x):
        raise TypeError(
            f"{name} is a sparse matrix: gmm_rs fits dense data only; convert it with "
            f"{name}.toarray() (sparse input is not supported)"
        )
    if isinstance(x, (list, tuple)):
        try:
            arr = np.asarray(x, dtype=np.float64)
        except ValueError:
            # ragged rows: the core's RaggedRow error names the row
            arr = _core.rows_to_array([list(r) for r in x])
        except TypeError as e:
            raise TypeError(f"{name} holds a value that is not a number ({e}): give numbers") from e
    else:
        arr = np.asarray(x)
    if np.iscomplexobj(arr):
        raise ValueError(f"{name} is complex: Complex data not supported; give real values")
    if arr.dtype != np.float64 and not (keep_float32 and arr.dtype == np.float32):
        try:
            arr = arr.astype(np.float64)
        except (TypeError, ValueError) as e:
            raise TypeError(
                f"{name} holds a value that is not a number ({e}): give a numeric array"
            ) from e
    if arr.ndim != 2:
        hint = (
            ": Reshape your data with X.reshape(-1, 1) if it has a single feature"
            if arr.ndim == 1
            else ""
        )
        raise ValueError(
            f"{name} has {arr.ndim} dimension(s) (shape {arr.shape}): give a 2-D array of "
            f"shape (n_samples, n_features){hint}"
        )
    n, d = arr.shape
    if n == 0:
        raise ValueError(
            f"{name} is empty (0 sample(s), shape={arr.shape}): give at least one point; "
            "a minimum of 1 is required"
        )
    if d == 0:
        raise ValueError(
            f"{name} has zero columns: give at least one feature per point (0 feature(s) "
            f"(shape=({n}, 0)) while a minimum of 1 is required.)"
        )
    return np.ascontiguousarray(arr)


def check_finite(arr, estimator_name, allow_nan, nan_hint):
    """Refuses the NaN (unless allow_nan) and infinite values of the 2-D array `arr` with a
    ValueError: scikit-learn's message (the one its validate_data gives, from
    assert_all_finite), then the row and column (0-based) of the first such value, then,
    for a NaN, `nan_hint` (what to do). One pass over the values when all are finite."""
    with np.errstate(over="ignore", invalid="ignore"):
        if np.isfinite(np.sum(arr)):
            return
    nan = None if allow_nan else np.isnan(arr)
    if nan is not None and nan.any():
        bad, what = nan, "NaN"
    else:
        bad, what = np.isinf(arr), "infinity"
        if not bad.any():
            return
    row, column = np.argwhere(bad)[0]
    message = (  # scikit-learn's first line, when it is not installed
        "Input X contains NaN."
        if what == "NaN"
        else f"Input X contains infinity or a value too large for {arr.dtype!r}."
    )
    if _sk_assert_all_finite is not None:
        try:
            _sk_assert_all_finite(
                arr, allow_nan=allow_nan, estimator_name=estimator_name, input_name="X"
            )
        except ValueError as e:
            message = str(e)
    value = arr[row, column]
    shown = "NaN" if what == "NaN" else ("inf" if value > 0 else "-inf")
    message += f"\nThe value at row {row}, column {column} is {shown}"
    if what == "NaN":
        message += f": {nan_hint}"
    else:
        message += ": remove or impute non-finite values (only NaN can mark a missing value)"
    raise ValueError(message)


def as_weights(sample_weight, n):
    """`sample_weight` as a float64 vector of length n, or None."""
    if sample_weight is None:
        return None
    if isinstance(sample_weight, numbers.Number):
        return np.full(n, float(sample_weight))
    if _is_sparse(sample_weight):
        raise TypeError("sample_weight is sparse: give a 1-D array of one weight per point")
    w = np.asarray(sample_weight)
    try:
        w = w.astype(np.float64, copy=False)
    except (TypeError, ValueError) as e:
        raise TypeError(f"sample_weight holds a value that is not a number ({e})") from e
    if w.ndim != 1 or w.shape[0] != n:
        raise ValueError(
            f"sample_weight has shape {w.shape} but X has {n} points: give one weight per "
            f"point, shape ({n},)"
        )
    if not np.all(np.isfinite(w)) or np.any(w < 0):
        raise ValueError("sample_weight must hold finite values >= 0")
    return np.ascontiguousarray(w)


def seed_of(random_state):
    """Our u64 seed from scikit-learn's random_state.

    An int is the seed itself (>= 0). None draws a seed from NumPy's global RNG
    (np.random), so np.random.seed(...) makes an unseeded fit reproducible. A
    RandomState or Generator gives a seed drawn from it.
    """
    high = np.iinfo(np.int64).max
    if random_state is None:
        return int(np.random.randint(0, high, dtype=np.int64))
    if isinstance(random_state, (numbers.Integral, np.integer)) and not isinstance(
        random_state, bool
    ):
        if random_state < 0:
            raise ValueError(
                f"random_state = {random_state}: give an int >= 0, None, or a RandomState"
            )
        return int(random_state)
    if isinstance(random_state, np.random.RandomState):
        return int(random_state.randint(0, high, dtype=np.int64))
    if isinstance(random_state, np.random.Generator):
        return int(random_state.integers(0, high))
    raise ValueError(
        f"random_state = {random_state!r}: give an int >= 0, None, a RandomState or a Generator"
    )


def _check_shape(param, shape, name):
    if param.shape != shape:
        raise ValueError(
            "The parameter '%s' should have the shape of %s, but got %s"
            % (name, shape, param.shape)
        )


def _given_array(value, name):
    try:
        arr = np.asarray(value)
        if arr.dtype not in (np.float32, np.float64):
            arr = arr.astype(np.float64)
    except (TypeError, ValueError) as e:
        raise TypeError(f"{name} holds a value that is not a number ({e})") from e
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"Input {name} contains NaN or infinity.")
    return arr


def check_weights(weights, n_components):
    """scikit-learn's checks of weights_init (shape, range, sum to 1 in the array's own
    dtype, with its messages); the weights as float64 summing to 1."""
    if weights is None:
        return None
    w = _given_array(weights, "weights_init")
    _check_shape(w, (n_components,), "weights")
    if np.any(np.less(w, 0.0)) or np.any(np.greater(w, 1.0)):
        raise ValueError(
            "The parameter 'weights' should be in the range [0, 1], but got max value "
            "%.5f, min value %.5f" % (np.min(w), np.max(w))
        )
    if not np.allclose(np.abs(1.0 - np.sum(w)), 0.0, atol=_sum_tolerance(w.dtype)):
        raise ValueError(
            "The parameter 'weights' should be normalized, but got sum(weights) = %.5f"
            % np.sum(w)
        )
    w = w.astype(np.float64)
    # a float32 vector that sums to 1 in float32 is renormalised in float64
    return np.ascontiguousarray(w / w.sum())


def _sum_tolerance(dtype):
    """np.allclose's absolute tolerance, widened to the rounding of a float32 sum."""
    return 1e-8 if dtype == np.float64 else 1e-6


def check_means(means, n_components, n_features):
    """scikit-learn's shape check of means_init, with its message."""
    if means is None:
        return None
    m = _given_array(means, "means_init")
    _check_shape(m, (n_components, n_features), "means")
    return np.ascontiguousarray(m, dtype=np.float64)


def check_precisions(precisions, covariance_type, n_components, n_features):
    """scikit-learn's shape check of precisions_init for the covariance type, with its
    message (the Rust core checks that they are positive definite)."""
    if precisions is None:
        return None
    p = _given_array(precisions, "precisions_init")
    shapes = {
        "full": (n_components, n_features, n_features),
        "tied": (n_features, n_features),
        "diag": (n_components, n_features),
        "spherical": (n_components,),
    }
    if covariance_type in shapes:
        _check_shape(p, shapes[covariance_type], "%s precision" % covariance_type)
    return np.ascontiguousarray(p, dtype=np.float64)


def covariance_prior_matrix(c, d):
    """scikit-learn's covariance_prior (a matrix for full and tied, D variances for diag,
    one variance for spherical) as the D x D matrix the core takes (None stays None)."""
    if c is None:
        return None
    c = np.asarray(c, dtype=np.float64)
    if c.ndim == 0:
        return np.ascontiguousarray(float(c) * np.eye(d))
    if c.ndim == 1:
        return np.ascontiguousarray(np.diag(c))
    return np.ascontiguousarray(c)
