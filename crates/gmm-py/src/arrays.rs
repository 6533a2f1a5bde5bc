//! NumPy arrays in and out: data sets from 2-D float64 arrays, model parameters as arrays of
//! scikit-learn's shapes.

use gmm_core::{Dataset, MissingPolicy, Result};
use nalgebra::{DMatrix, DVector};
use numpy::ndarray::{Array1, Array2, Array3};
use numpy::{IntoPyArray, PyReadonlyArray1, PyReadonlyArray2};
use pyo3::prelude::*;

/// The rows of a 2-D float64 array, row-major, borrowed when the array is C-contiguous.
pub struct Rows<'a> {
    /// `n * d` values, point by point.
    pub values: std::borrow::Cow<'a, [f64]>,
    /// Number of points.
    pub n: usize,
    /// Number of features.
    pub d: usize,
}

/// Borrows the values of `x` (copies them only if the array is not C-contiguous; the
/// Python layer passes C-contiguous arrays).
pub fn rows<'a>(x: &'a PyReadonlyArray2<'_, f64>) -> Rows<'a> {
    let shape = x.as_array().shape().to_vec();
    let (n, d) = (shape[0], shape[1]);
    let values = match x.as_slice() {
        Ok(s) => std::borrow::Cow::Borrowed(s),
        Err(_) => std::borrow::Cow::Owned(x.as_array().iter().copied().collect()),
    };
    Rows { values, n, d }
}

/// `x` as a 2-D float32 array when it is one (`None` for any other array).
///
/// # Errors
/// None beyond Python's: anything that is not a float32 array gives `Ok(None)`.
pub fn single_precision<'py>(
    x: &Bound<'py, PyAny>,
) -> PyResult<Option<PyReadonlyArray2<'py, f32>>> {
    Ok(x.extract::<PyReadonlyArray2<'py, f32>>().ok())
}

/// `x` as a 2-D float64 array.
///
/// # Errors
/// `TypeError` when it is not one (the Python layer passes float64 or float32 arrays).
pub fn double_precision<'py>(x: &Bound<'py, PyAny>) -> PyResult<PyReadonlyArray2<'py, f64>> {
    x.extract::<PyReadonlyArray2<'py, f64>>().map_err(|_| {
        pyo3::exceptions::PyTypeError::new_err(
            "X must be a 2-D float64 or float32 NumPy array (the Python layer converts others)",
        )
    })
}

/// The values of a 2-D float32 array, row-major, borrowed when it is C-contiguous.
pub fn values_f32<'a>(x: &'a PyReadonlyArray2<'_, f32>) -> std::borrow::Cow<'a, [f32]> {
    match x.as_slice() {
        Ok(s) => std::borrow::Cow::Borrowed(s),
        Err(_) => std::borrow::Cow::Owned(x.as_array().iter().copied().collect()),
    }
}

/// The weights of a 1-D float64 array (copied: N values, small beside the data).
pub fn weights(w: Option<&PyReadonlyArray1<'_, f64>>) -> Option<Vec<f64>> {
    w.map(|w| w.as_array().iter().copied().collect())
}

/// The weights of a 1-D float64 array, borrowed when it is contiguous.
pub fn weight_slice<'a>(w: &'a PyReadonlyArray1<'_, f64>) -> std::borrow::Cow<'a, [f64]> {
    match w.as_slice() {
        Ok(s) => std::borrow::Cow::Borrowed(s),
        Err(_) => std::borrow::Cow::Owned(w.as_array().iter().copied().collect()),
    }
}

/// A validated data set of the rows (the values are copied into it) under `policy` (with
/// [`MissingPolicy::Marginalise`] a NaN marks a missing coordinate), with its weights.
///
/// # Errors
/// As [`Dataset::from_row_major_with_policy`] (empty data, zero features, a non-finite value
/// naming its row and column, a row without an observed value) and [`Dataset::with_weights`].
pub fn dataset(
    rows: &Rows<'_>,
    weights: Option<Vec<f64>>,
    policy: MissingPolicy,
) -> Result<Dataset> {
    let data = Dataset::from_row_major_with_policy(rows.n, rows.d, rows.values.to_vec(), policy)?;
    match weights {
        Some(w) => data.with_weights(w),
        None => Ok(data),
    }
}

/// The points of row-major `values` (`d` per point, float64 or float32) and their weights as
/// a data set that marks their missing coordinates, when `policy` reads NaN as missing and
/// some value is NaN (the values are then copied, float32 widened); `None` otherwise, and
/// the caller reads the values in place as before: data without a NaN take the same path,
/// and give the same bits, under either policy.
///
/// # Errors
/// As [`Dataset::from_row_major_with_policy`] (an infinite value, a row without an observed
/// value) and [`Dataset::with_weights`].
pub fn with_missing<T: Copy + Into<f64>>(
    values: &[T],
    d: usize,
    weights: Option<&[f64]>,
    policy: MissingPolicy,
) -> Result<Option<Dataset>> {
    let is_nan = |v: &T| (*v).into().is_nan();
    if policy == MissingPolicy::Refuse || d == 0 || !values.iter().any(is_nan) {
        return Ok(None);
    }
    let widened = values.iter().map(|&v| v.into()).collect();
    let data = Dataset::from_row_major_with_policy(values.len() / d, d, widened, policy)?;
    Ok(Some(match weights {
        Some(w) => data.with_weights(w.to_vec())?,
        None => data,
    }))
}

/// A K x D matrix from a 2-D array.
pub fn matrix(x: &PyReadonlyArray2<'_, f64>) -> DMatrix<f64> {
    let a = x.as_array();
    DMatrix::from_fn(a.nrows(), a.ncols(), |i, j| a[(i, j)])
}

/// A vector from a 1-D array.
pub fn vector(x: &PyReadonlyArray1<'_, f64>) -> DVector<f64> {
    DVector::from_iterator(x.as_array().len(), x.as_array().iter().copied())
}

/// A matrix as a 2-D array.
pub fn array2<'py>(py: Python<'py>, m: &DMatrix<f64>) -> Bound<'py, PyAny> {
    Array2::from_shape_fn(m.shape(), |(i, j)| m[(i, j)])
        .into_pyarray(py)
        .into_any()
}

/// Values as a 1-D array.
pub fn array1<'py>(py: Python<'py>, v: impl IntoIterator<Item = f64>) -> Bound<'py, PyAny> {
    Array1::from_iter(v).into_pyarray(py).into_any()
}

/// K matrices of one size as a K x D x D array.
pub fn array3<'py>(py: Python<'py>, ms: &[DMatrix<f64>]) -> Bound<'py, PyAny> {
    let d = ms.first().map_or(0, |m| m.nrows());
    Array3::from_shape_fn((ms.len(), d, d), |(c, i, j)| ms[c][(i, j)])
        .into_pyarray(py)
        .into_any()
}

/// K vectors of length D as a K x D array.
pub fn rows_of<'py>(py: Python<'py>, vs: &[DVector<f64>]) -> Bound<'py, PyAny> {
    let d = vs.first().map_or(0, |v| v.len());
    Array2::from_shape_fn((vs.len(), d), |(c, j)| vs[c][j])
        .into_pyarray(py)
        .into_any()
}

/// The rows of a list of lists as a 2-D array, through [`Dataset::from_rows`]: a ragged
/// list gets gmm's `RaggedRow` error naming the row.
#[pyfunction]
pub fn rows_to_array<'py>(py: Python<'py>, rows: Vec<Vec<f64>>) -> PyResult<Bound<'py, PyAny>> {
    let data = crate::errors::guarded(|| Dataset::from_rows(&rows))?;
    Ok(array2(py, &data.to_matrix()))
}
