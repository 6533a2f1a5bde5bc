//! The triangular product of the E-step, `|| P^T (x - m) ||^2` for [`LANES`] points at once,
//! blocked over output columns so that each load of the differences feeds several
//! independent chains of fused multiply-adds.

use crate::simd::{LANES, mul_add};

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
/// column at a time.
#[inline(always)]
pub(super) fn whitened_square_norm<const FMA: bool>(
    packed: &[f64],
    diff: &[f64],
    d: usize,
) -> [f64; LANES] {
    debug_assert_eq!(packed.len(), d * (d + 1) / 2);
    debug_assert_eq!(diff.len(), d * LANES);
    let mut q = [0.0; LANES];
    let mut j = 0;
    while j + COLUMNS <= d {
        // Column j + b starts at offset (j + b)(j + b + 1) / 2 and has j + b + 1 entries.
        let offset = |b: usize| (j + b) * (j + b + 1) / 2;
        let columns: [&[f64]; COLUMNS] =
            std::array::from_fn(|b| &packed[offset(b)..offset(b) + j + b + 1]);
        let mut y = [[0.0; LANES]; COLUMNS];
        // Rows 0..=j, shared by all the columns of the block.
        for (i, dg) in diff[..(j + 1) * LANES].chunks_exact(LANES).enumerate() {
            let dg: &[f64; LANES] = dg.try_into().expect("a whole group of lanes");
            let p: [f64; COLUMNS] = std::array::from_fn(|b| columns[b][i]);
            for l in 0..LANES {
                for b in 0..COLUMNS {
                    y[b][l] = mul_add::<FMA>(p[b], dg[l], y[b][l]);
                }
            }
        }
        // Rows j + 1 .. j + COLUMNS - 1: the small triangle below the shared rows.
        for r in 1..COLUMNS {
            let dg = &diff[(j + r) * LANES..(j + r + 1) * LANES];
            for b in r..COLUMNS {
                let pij = columns[b][j + r];
                for l in 0..LANES {
                    y[b][l] = mul_add::<FMA>(pij, dg[l], y[b][l]);
                }
            }
        }
        for yb in &y {
            for l in 0..LANES {
                q[l] = mul_add::<FMA>(yb[l], yb[l], q[l]);
            }
        }
        j += COLUMNS;
    }
    while j < d {
        let off = j * (j + 1) / 2;
        let mut y = [0.0; LANES];
        for (pij, dg) in packed[off..off + j + 1]
            .iter()
            .zip(diff.chunks_exact(LANES))
        {
            for l in 0..LANES {
                y[l] = mul_add::<FMA>(*pij, dg[l], y[l]);
            }
        }
        for l in 0..LANES {
            q[l] = mul_add::<FMA>(y[l], y[l], q[l]);
        }
        j += 1;
    }
    q
}
