//! The triangular product of the E-step, `|| P^T (x - m) ||^2` for two registers of points
//! at once (8 `f64` or 16 `f32`), blocked over output columns so that each load of the
//! differences feeds several independent chains of fused multiply-adds.

use crate::simd::Lane;

/// Output columns computed together: each load of a group of differences (two registers)
/// feeds this many pairs of accumulators, 8 registers, leaving room for the loads and the
/// broadcast factor. With one register of 8 `f32` per column and 8 columns, every fused
/// multiply-add needed its own broadcast of a factor: two loads per multiply-add of 8
/// lanes where two registers share each broadcast.
const COLUMNS_PER_BLOCK: usize = 4;

/// Points per call of [`whitened_square_norm`] for the lane type `T`: two registers of it,
/// 8 `f64` or 16 `f32`.
pub(super) const fn points_per_product<T: Lane>() -> usize {
    2 * T::REGISTER_LANES
}

/// `sum_j y_j^2` per lane with `y_j = sum_{i <= j} P_ij diff_i`, for the upper triangular
/// `P` in the layout of [`blocked_layout`] (`blocks`) and `diff` holding the `d`
/// differences of `W` points feature-major (`diff[i * W + l]`), `W` two registers of `T`
/// ([`points_per_product`]).
///
/// Columns are taken [`COLUMNS_PER_BLOCK`] at a time, sharing the loads of `diff_i` for the
/// rows `i` they have in common; every `y_j` is still summed over `i` in increasing order
/// and the squares added in increasing `j`, so the result is the same bit for bit as one
/// column at a time. Everything is in the lane type `T`. Each block's factors are read
/// front to back as slices of known length (the shared rows `COLUMNS_PER_BLOCK` at a time,
/// then the small triangle), so their loads need no bounds checks and no index arithmetic.
#[inline(always)]
pub(super) fn whitened_square_norm<const FMA: bool, T: Lane, const W: usize>(
    blocks: &[T],
    diff: &[T],
    d: usize,
) -> [T; W] {
    const COLUMNS: usize = COLUMNS_PER_BLOCK;
    debug_assert_eq!(W, points_per_product::<T>());
    debug_assert_eq!(blocks.len(), d * (d + 1) / 2);
    debug_assert_eq!(diff.len(), d * W);
    let groups = diff.as_chunks::<W>().0;
    let mut q = [T::zero_register(); 2];
    let mut rest = blocks;
    let mut j = 0;
    while j + COLUMNS <= d {
        let (shared, after) = rest.split_at((j + 1) * COLUMNS);
        let (triangle, after) = after.split_at(COLUMNS * (COLUMNS - 1) / 2);
        rest = after;
        let mut y = [[T::zero_register(); 2]; COLUMNS];
        // Rows 0..=j, shared by all the columns of the block: row i holds P_i,j..j+COLUMNS.
        // Row 0 alone, then two rows per step (`j + 1` is odd): half the loop's own
        // instructions, every `y` still summed in increasing `i`.
        let (first_row, shared_pairs) = shared.split_at(COLUMNS);
        let first_row: &[T; COLUMNS] = first_row.try_into().expect("one row");
        shared_rows::<FMA, T, W, 1>(&[groups[0]], &[*first_row], &mut y);
        for (dg, rows) in groups[1..j + 1]
            .as_chunks::<2>()
            .0
            .iter()
            .zip(shared_pairs.as_chunks::<{ 2 * COLUMNS }>().0)
        {
            let rows: &[[T; COLUMNS]; 2] =
                rows.as_chunks::<COLUMNS>().0.try_into().expect("2 rows");
            shared_rows::<FMA, T, W, 2>(dg, rows, &mut y);
        }
        // Rows j + 1 .. j + COLUMNS - 1: the small triangle below the shared rows, row by
        // row, each from its diagonal entry rightwards.
        let mut at = 0;
        for r in 1..COLUMNS {
            let dg = load_two::<FMA, T, W>(&groups[j + r]);
            for yb in &mut y[r..] {
                let p = T::splat_register::<FMA>(triangle[at]);
                at += 1;
                for g in 0..2 {
                    yb[g] = T::fma_register::<FMA>(p, dg[g], yb[g]);
                }
            }
        }
        for yb in &y {
            for g in 0..2 {
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
            let dg = load_two::<FMA, T, W>(dg);
            let p = T::splat_register::<FMA>(*pij);
            for g in 0..2 {
                y[g] = T::fma_register::<FMA>(p, dg[g], y[g]);
            }
        }
        for g in 0..2 {
            q[g] = T::fma_register::<FMA>(y[g], y[g], q[g]);
        }
        j += 1;
    }
    let mut out = [T::default(); W];
    for g in 0..2 {
        T::store_register::<FMA>(q[g], &mut out[g * T::REGISTER_LANES..]);
    }
    out
}

/// Adds rows `P_i,j..j+COLUMNS diff_i` of the shared rows (`N` of them: their differences
/// `dg`, their factors `rows`) to the block's `y`, row by row.
#[inline(always)]
fn shared_rows<const FMA: bool, T: Lane, const W: usize, const N: usize>(
    dg: &[[T; W]; N],
    rows: &[[T; COLUMNS_PER_BLOCK]; N],
    y: &mut [[T::Register; 2]; COLUMNS_PER_BLOCK],
) {
    for (dg, row) in dg.iter().zip(rows) {
        let dg = load_two::<FMA, T, W>(dg);
        for (yb, pij) in y.iter_mut().zip(row) {
            let p = T::splat_register::<FMA>(*pij);
            for g in 0..2 {
                yb[g] = T::fma_register::<FMA>(p, dg[g], yb[g]);
            }
        }
    }
}

/// The `W` values of a group of differences in two registers.
#[inline(always)]
fn load_two<const FMA: bool, T: Lane, const W: usize>(group: &[T; W]) -> [T::Register; 2] {
    [
        T::load_register::<FMA>(&group[..]),
        T::load_register::<FMA>(&group[T::REGISTER_LANES..]),
    ]
}

/// The upper triangular factors of `k` components, packed column by column (`columns`:
/// `P_ij` at `c D(D+1)/2 + j(j+1)/2 + i`), rearranged in the order
/// [`whitened_square_norm`] reads them with [`COLUMNS_PER_BLOCK`] (`C`): per
/// component, for each whole block of columns `j..j + C`, the rows `0..=j` with the block's
/// `C` entries side by side, then the triangle below them row by row (`P_{j+r, j+r..j+C}`
/// for `r = 1..C`); then each remaining column as it is. The same values, the same length.
pub(super) fn blocked_layout<T: Lane>(columns: &[T], k: usize, d: usize) -> Vec<T> {
    let width = COLUMNS_PER_BLOCK;
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
