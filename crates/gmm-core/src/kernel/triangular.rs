//! The triangular product of the E-step, `|| P^T (x - m) ||^2` for [`LANES`] points at once,
//! blocked over output columns so that each load of the differences feeds several
//! independent chains of fused multiply-adds.

use crate::simd::{LANES, Lane};

/// Output columns computed together: each load of a group of differences feeds this many
/// accumulators, 8 registers either way (4 columns x 2 registers of 4 `f64` on AVX2, or
/// 8 columns x 1 register of 8 `f32`), leaving room for the loads.
const fn columns_per_block<T: Lane>() -> usize {
    4 * T::REGISTER_LANES / f64::REGISTER_LANES
}

/// `sum_j y_j^2` per lane with `y_j = sum_{i <= j} P_ij diff_i`, for the upper triangular
/// `P` packed column by column (`packed[j (j + 1) / 2 + i] = P_ij`) and `diff` holding the
/// `d` differences of [`LANES`] points feature-major (`diff[i * LANES + l]`).
///
/// Columns are taken [`columns_per_block`] at a time, sharing the loads of `diff_i` for the
/// rows `i` they have in common; every `y_j` is still summed over `i` in increasing order and
/// the squares added in increasing `j`, so the result is the same bit for bit as one
/// column at a time. Everything is in the lane type `T`.
#[inline(always)]
pub(super) fn whitened_square_norm<const FMA: bool, T: Lane>(
    packed: &[T],
    diff: &[T],
    d: usize,
) -> [T; LANES] {
    if columns_per_block::<T>() == 8 {
        blocked_square_norm::<FMA, T, 8>(packed, diff, d)
    } else {
        blocked_square_norm::<FMA, T, 4>(packed, diff, d)
    }
}

/// [`whitened_square_norm`] with `COLUMNS` columns per block.
#[inline(always)]
fn blocked_square_norm<const FMA: bool, T: Lane, const COLUMNS: usize>(
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
        // Rows 0..=j, shared by all the columns of the block. The groups and the columns'
        // shared rows are slices of exactly j + 1 items, so that their loads need no bounds
        // checks.
        let groups = &diff.as_chunks::<LANES>().0[..j + 1];
        let mut shared: [&[T]; COLUMNS] = [&[]; COLUMNS];
        for (s, column) in shared.iter_mut().zip(&columns) {
            *s = &column[..j + 1];
        }
        for (i, dg) in groups.iter().enumerate() {
            let dg = T::load_group::<FMA>(dg);
            for (b, column) in shared.iter().enumerate() {
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

/// [`whitened_square_norm`] with `d` a constant of the code for `d` up to 8: the
/// compiler then unrolls its loops whole and drops the bounds checks and the index
/// arithmetic of the packed columns (at D = 8 those were a fifth of the E-step's
/// instructions). The same operations in the same order, so the same bits.
#[inline(always)]
pub(super) fn whitened_square_norm_of_small_d<const FMA: bool, T: Lane>(
    packed: &[T],
    diff: &[T],
    d: usize,
) -> [T; LANES] {
    match d {
        1 => whitened_square_norm::<FMA, T>(packed, diff, 1),
        2 => whitened_square_norm::<FMA, T>(packed, diff, 2),
        3 => whitened_square_norm::<FMA, T>(packed, diff, 3),
        4 => whitened_square_norm::<FMA, T>(packed, diff, 4),
        5 => whitened_square_norm::<FMA, T>(packed, diff, 5),
        6 => whitened_square_norm::<FMA, T>(packed, diff, 6),
        7 => whitened_square_norm::<FMA, T>(packed, diff, 7),
        8 => whitened_square_norm::<FMA, T>(packed, diff, 8),
        _ => whitened_square_norm::<FMA, T>(packed, diff, d),
    }
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
