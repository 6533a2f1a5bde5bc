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
/// `P` in the layout of [`blocked_layout`] (`blocks`) and `diff` holding the `d`
/// differences of [`LANES`] points feature-major (`diff[i * LANES + l]`).
///
/// Columns are taken [`columns_per_block`] at a time, sharing the loads of `diff_i` for the
/// rows `i` they have in common; every `y_j` is still summed over `i` in increasing order and
/// the squares added in increasing `j`, so the result is the same bit for bit as one
/// column at a time. Everything is in the lane type `T`.
#[inline(always)]
pub(super) fn whitened_square_norm<const FMA: bool, T: Lane>(
    blocks: &[T],
    diff: &[T],
    d: usize,
) -> [T; LANES] {
    if columns_per_block::<T>() == 8 {
        blocked_square_norm::<FMA, T, 8>(blocks, diff, d)
    } else {
        blocked_square_norm::<FMA, T, 4>(blocks, diff, d)
    }
}

/// [`whitened_square_norm`] with `COLUMNS` columns per block. Each block's factors are read
/// front to back as slices of known length (the shared rows `COLUMNS` at a time, then the
/// small triangle), so their loads need no bounds checks and no index arithmetic.
#[inline(always)]
fn blocked_square_norm<const FMA: bool, T: Lane, const COLUMNS: usize>(
    blocks: &[T],
    diff: &[T],
    d: usize,
) -> [T; LANES] {
    debug_assert_eq!(blocks.len(), d * (d + 1) / 2);
    debug_assert_eq!(diff.len(), d * LANES);
    let regs = LANES / T::REGISTER_LANES;
    let groups = diff.as_chunks::<LANES>().0;
    let mut q = [T::zero_register(); 2];
    let mut rest = blocks;
    let mut j = 0;
    while j + COLUMNS <= d {
        let (shared, after) = rest.split_at((j + 1) * COLUMNS);
        let (triangle, after) = after.split_at(COLUMNS * (COLUMNS - 1) / 2);
        rest = after;
        let mut y = [[T::zero_register(); 2]; COLUMNS];
        // Rows 0..=j, shared by all the columns of the block: row i holds P_i,j..j+COLUMNS.
        for (dg, row) in groups[..j + 1].iter().zip(shared.as_chunks::<COLUMNS>().0) {
            let dg = T::load_group::<FMA>(dg);
            for (yb, pij) in y.iter_mut().zip(row) {
                let p = T::splat_register::<FMA>(*pij);
                for g in 0..regs {
                    yb[g] = T::fma_register::<FMA>(p, dg[g], yb[g]);
                }
            }
        }
        // Rows j + 1 .. j + COLUMNS - 1: the small triangle below the shared rows, row by
        // row, each from its diagonal entry rightwards.
        let mut at = 0;
        for r in 1..COLUMNS {
            let dg = T::load_group::<FMA>(&groups[j + r]);
            for yb in &mut y[r..] {
                let p = T::splat_register::<FMA>(triangle[at]);
                at += 1;
                for g in 0..regs {
                    yb[g] = T::fma_register::<FMA>(p, dg[g], yb[g]);
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
        let (column, after) = rest.split_at(j + 1);
        rest = after;
        let mut y = [T::zero_register(); 2];
        for (pij, dg) in column.iter().zip(groups) {
            let dg = T::load_group::<FMA>(dg);
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

/// The upper triangular factors of `k` components, packed column by column (`columns`:
/// `P_ij` at `c D(D+1)/2 + j(j+1)/2 + i`), rearranged in the order
/// [`whitened_square_norm`] reads them with `T`'s [`columns_per_block`] (`C`): per
/// component, for each whole block of columns `j..j + C`, the rows `0..=j` with the block's
/// `C` entries side by side, then the triangle below them row by row (`P_{j+r, j+r..j+C}`
/// for `r = 1..C`); then each remaining column as it is. The same values, the same length.
pub(super) fn blocked_layout<T: Lane>(columns: &[T], k: usize, d: usize) -> Vec<T> {
    let width = columns_per_block::<T>();
    let packed_len = d * (d + 1) / 2;
    let mut out = Vec::with_capacity(k * packed_len);
    for p in columns.chunks_exact(packed_len.max(1)).take(k) {
        let entry = |i: usize, j: usize| p[j * (j + 1) / 2 + i];
        let mut j = 0;
        while j + width <= d {
            for i in 0..=j {
                out.extend((j..j + width).map(|col| entry(i, col)));
            }
            for r in 1..width {
                out.extend((j + r..j + width).map(|col| entry(j + r, col)));
            }
            j += width;
        }
        for col in j..d {
            out.extend((0..=col).map(|i| entry(i, col)));
        }
    }
    out
}
