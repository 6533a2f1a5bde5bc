//! The triangular product of the E-step, `|| P^T (x - m) ||^2` for [`LANES`] points at once,
//! blocked over output columns so that each load of the differences feeds several
//! independent chains of fused multiply-adds.

use crate::simd::{LANES, Lane};

/// Output columns computed together: each load of a group of differences feeds this many
/// accumulators (8 registers of 4 `f64` on AVX2, leaving room for the loads).
const COLUMNS: usize = 4;

/// `sum_j y_j^2` per lane with `y_j = sum_{i <= j} P_ij diff_i`, for the upper triangular
/// `P` packed column by column (`packed[j (j + 1) / 2 + i] = P_ij`) and `diff` holding the
/// `d` differences of [`LANES`] points feature-major (`diff[i * LANES + l]`).
///
/// Columns are taken [`COLUMNS`] at a time, sharing the loads of `diff_i` for the rows
/// `i` they have in common; every `y_j` is still summed over `i` in increasing order and
/// the squares added in increasing `j`, so the result is the same bit for bit as one
/// column at a time. Everything is in the lane type `T`.
#[inline(always)]
pub(super) fn whitened_square_norm<const FMA: bool, T: Lane>(
    packed: &[T],
    diff: &[T],
    d: usize,
) -> [T; LANES] {
    debug_assert_eq!(packed.len(), d * (d + 1) / 2);
    debug_assert_eq!(diff.len(), d * LANES);
    let mut q = [T::default(); LANES];
    let mut j = 0;
    while j + COLUMNS <= d {
        // Column j + b starts at offset (j + b)(j + b + 1) / 2 and has j + b + 1 entries.
        let offset = |b: usize| (j + b) * (j + b + 1) / 2;
        let columns: [&[T]; COLUMNS] =
            std::array::from_fn(|b| &packed[offset(b)..offset(b) + j + b + 1]);
        let mut y = [[T::default(); LANES]; COLUMNS];
        // Rows 0..=j, shared by all the columns of the block.
        for (i, dg) in diff[..(j + 1) * LANES].chunks_exact(LANES).enumerate() {
            let dg: &[T; LANES] = dg.try_into().expect("a whole group of lanes");
            let p: [T; COLUMNS] = std::array::from_fn(|b| columns[b][i]);
            for l in 0..LANES {
                for b in 0..COLUMNS {
                    y[b][l] = p[b].fma::<FMA>(dg[l], y[b][l]);
                }
            }
        }
        // Rows j + 1 .. j + COLUMNS - 1: the small triangle below the shared rows.
        for r in 1..COLUMNS {
            let dg = &diff[(j + r) * LANES..(j + r + 1) * LANES];
            for b in r..COLUMNS {
                let pij = columns[b][j + r];
                for l in 0..LANES {
                    y[b][l] = pij.fma::<FMA>(dg[l], y[b][l]);
                }
            }
        }
        for yb in &y {
            for l in 0..LANES {
                q[l] = yb[l].fma::<FMA>(yb[l], q[l]);
            }
        }
        j += COLUMNS;
    }
    while j < d {
        let off = j * (j + 1) / 2;
        let mut y = [T::default(); LANES];
        for (pij, dg) in packed[off..off + j + 1]
            .iter()
            .zip(diff.chunks_exact(LANES))
        {
            for l in 0..LANES {
                y[l] = pij.fma::<FMA>(dg[l], y[l]);
            }
        }
        for l in 0..LANES {
            q[l] = y[l].fma::<FMA>(y[l], q[l]);
        }
        j += 1;
    }
    q
}
