//! Relative errors, each named by what it divides by. All return the largest entrywise value
//! and panic when the lengths differ.

fn check_lengths(ours: &[f64], reference: &[f64]) {
    assert_eq!(ours.len(), reference.len(), "lengths differ");
}

fn largest_magnitude(v: &[f64]) -> f64 {
    v.iter().fold(0.0f64, |m, x| m.max(x.abs()))
}

/// `max |a - b| / max_j |b_j|`: every entry against the largest reference entry (the scale
/// of the whole quantity), so that near-zero entries are not divided by ~0.
///
/// ```
/// use gmm_test_support::max_error_relative_to_largest;
/// assert_eq!(max_error_relative_to_largest(&[1.0, 0.1], &[2.0, 0.0]), 0.5);
/// ```
pub fn max_error_relative_to_largest(ours: &[f64], reference: &[f64]) -> f64 {
    check_lengths(ours, reference);
    let scale = largest_magnitude(reference).max(f64::MIN_POSITIVE);
    ours.iter()
        .zip(reference)
        .map(|(a, b)| (a - b).abs() / scale)
        .fold(0.0, f64::max)
}

/// `max |a - b| / max(|b|, 1e-3 max_j |b_j|)`: every entry against itself, floored at a
/// thousandth of the largest reference entry (so that entries zero up to rounding, such as
/// tied off-diagonals, are not divided by ~0).
///
/// ```
/// use gmm_test_support::max_error_relative_to_each;
/// assert_eq!(max_error_relative_to_each(&[1.5, 1000.0], &[1.0, 1000.0]), 0.5);
/// ```
pub fn max_error_relative_to_each(ours: &[f64], reference: &[f64]) -> f64 {
    check_lengths(ours, reference);
    let floor = 1e-3 * largest_magnitude(reference);
    ours.iter()
        .zip(reference)
        .map(|(a, b)| (a - b).abs() / b.abs().max(floor))
        .fold(0.0, f64::max)
}

/// `max |a - b| / max(|a|, |b|, 1e-300)`: symmetric, for two computations of the same
/// quantity neither of which is the reference.
///
/// ```
/// use gmm_test_support::max_error_relative_to_larger;
/// assert_eq!(max_error_relative_to_larger(&[1.0], &[2.0]), 0.5);
/// ```
pub fn max_error_relative_to_larger(a: &[f64], b: &[f64]) -> f64 {
    check_lengths(a, b);
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs() / x.abs().max(y.abs()).max(1e-300))
        .fold(0.0, f64::max)
}
