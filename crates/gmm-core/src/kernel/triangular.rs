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
    let regs = LANES / T::REGISTER_LANES;
    let mut q = [T::zero_register(); 2];
    let mut j = 0;
    while j + COLUMNS <= d {
        // Column j + b starts at offset (j + b)(j + b + 1) / 2 and has j + b + 1 entries.
        // (A plain loop: `std::array::from_fn`'s closure is not inlined here.)
        let mut columns: [&[T]; COLUMNS] = [&[]; COLUMNS];
        for (b, column) in columns.iter_mut().enumerate() {
            let offset = (j + b) * (j + b + 1) / 2;
            *column = &packed[offset..offset + j + b + 1];
        }
        let mut y = [[T::zero_register(); 2]; COLUMNS];
        // Rows 0..=j, shared by all the columns of the block. The groups are taken whole
        // (`chunks_exact`, fixed-size arrays) so that their loads need no bounds checks.
        for (i, dg) in diff[..(j + 1) * LANES].chunks_exact(LANES).enumerate() {
            let dg = T::load_group::<FMA>(dg.try_into().expect("a whole group of lanes"));
            for (b, column) in columns.iter().enumerate() {
                let p = T::splat_register::<FMA>(column[i]);
                for g in 0..regs {
                    y[b][g] = T::fma_register::<FMA>(p, dg[g], y[b][g]);
                }
            }
        }
        // Rows j + 1 .. j + COLUMNS - 1: the small triangle below the shared rows.
        for r in 1..COLUMNS {
            let dg = group::<FMA, T>(diff, j + r);
            for b in r..COLUMNS {
                let p = T::splat_register::<FMA>(columns[b][j + r]);
                for g in 0..regs {
                    y[b][g] = T::fma_register::<FMA>(p, dg[g], y[b][g]);
                }
            }
        }
        for yb in &y {
            for g in 0..regs {
                q[g] = T::fma_register::<FMA>(yb[g], yb[g], q[g]);
            }
        }
        j += COLUMNS;
    }
    while j < d {
        let off = j * (j + 1) / 2;
        let mut y = [T::zero_register(); 2];
        for (pij, dg) in packed[off..off + j + 1]
            .iter()
            .zip(diff.chunks_exact(LANES))
        {
            let dg = T::load_group::<FMA>(dg.try_into().expect("a whole group of lanes"));
            let p = T::splat_register::<FMA>(*pij);
            for g in 0..regs {
                y[g] = T::fma_register::<FMA>(p, dg[g], y[g]);
            }
        }
        for g in 0..regs {
            q[g] = T::fma_register::<FMA>(y[g], y[g], q[g]);
        }
        j += 1;
    }
    let mut out = [T::default(); LANES];
    for g in 0..regs {
        T::store_register::<FMA>(q[g], &mut out[g * T::REGISTER_LANES..]);
    }
    out
}

/// The differences of feature `i` of the group of [`LANES`] points in registers (two of
/// `f64`, one of `f32`). A function, not a closure: a closure is compiled without the
/// caller's AVX2 + FMA, and its loads would stay calls.
#[inline(always)]
fn group<const FMA: bool, T: Lane>(diff: &[T], i: usize) -> [T::Register; 2] {
    let dg: &[T; LANES] = diff[i * LANES..(i + 1) * LANES]
        .try_into()
        .expect("a whole group of lanes");
    T::load_group::<FMA>(dg)
}
