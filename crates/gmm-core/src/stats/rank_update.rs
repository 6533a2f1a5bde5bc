//! The rank update of the centred scatter over one tile of points, blocked over three rows
//! and up to four columns so that each load of a group of differences feeds several
//! independent chains of fused multiply-adds.

use crate::simd::{LANES, Lane};

#[cfg(target_arch = "x86_64")]
mod avx512;

/// Columns per block: with three rows, 12 accumulators, the three rows' registers and one
/// column register at a time fill the 16 registers of AVX2.
const COLUMNS: usize = 4;

/// Rows per group: each load of a column's register feeds this many chains.
const ROWS: usize = 3;

// `row_group` writes the small triangle before a group's blocks for at most three rows.
const _: () = assert!(ROWS >= 1 && ROWS <= 3);

/// Index of the pair `(a, b)`, `a <= b`, among the pairs of `d` features in row order of
/// the upper triangle.
#[inline(always)]
fn pair_index(a: usize, b: usize, d: usize) -> usize {
    a * (2 * d - a + 1) / 2 + (b - a)
}

/// Adds `sum_n w_{a,n} dc_{b,n}` (`w` in `weighted`, `dc` in `centred`, which may be the same
/// rows) for every pair `a <= b` of the `d` features of one tile (`d` rows of `TILE`
/// values, of which the first `len`, a multiple of [`LANES`], are points) into `lane_sums`
/// (one group of [`LANES`] per pair, pairs in row order of the upper triangle).
///
/// Rows are taken [`ROWS`] at a time (fewer for the last ones), see [`row_group`]. Every lane
/// of every pair still sums its points in increasing order from zero before being added to
/// `lane_sums`, so the result is the same bit for bit whatever the blocking.
///
/// The products are summed over the tile in `T` and the tile's sums, multiplied by `scale`
/// (what the tile's weights were divided by: 1 for `f64`, exact), added to `lane_sums`
/// in `f64`; with `fresh` (a chunk's first tile) added to zeros, so `lane_sums` need not be
/// zeroed first. The blocks hold one register of lanes per accumulator: with `f64` (4 to a
/// register) they run over the two halves of each group of [`LANES`] one after the other,
/// with `f32` (8) over the whole group at once.
#[inline(always)]
pub(super) fn rank_update_upper<const FMA: bool, T: Lane, const TILE: usize>(
    weighted: &[[T; TILE]],
    centred: &[[T; TILE]],
    len: usize,
    (lane_sums, scale, fresh): (&mut [f64], f64, bool),
) {
    debug_assert_eq!(len % LANES, 0);
    debug_assert_eq!(weighted.len(), centred.len());
    let d = weighted.len().min(centred.len());
    let tile = Tile {
        weighted,
        centred,
        groups: len.min(TILE) / LANES,
    };
    let mut a = 0;
    while a < d {
        match d - a {
            1 => row_group::<FMA, T, 1, TILE>(&tile, a, (lane_sums, scale, fresh)),
            2 => row_group::<FMA, T, 2, TILE>(&tile, a, (lane_sums, scale, fresh)),
            _ => row_group::<FMA, T, ROWS, TILE>(&tile, a, (lane_sums, scale, fresh)),
        }
        a += ROWS.min(d - a);
    }
}

/// [`rank_update_upper`] with the same rows on both sides (`sum_n u_{a,n} u_{b,n}`): on a
/// processor with AVX-512F on its 512-bit registers ([`avx512`]: in `f64` the same bits,
/// in `f32` each register's halves summed apart over the tile); else as
/// [`rank_update_upper`].
#[inline(always)]
pub(super) fn rank_update_upper_same<const FMA: bool, T: Lane, const TILE: usize>(
    rows: &[[T; TILE]],
    len: usize,
    (lane_sums, scale, fresh): (&mut [f64], f64, bool),
) {
    #[cfg(target_arch = "x86_64")]
    if FMA && crate::simd::has_avx512f() {
        let values = rows.as_flattened();
        let out = (&mut *lane_sums, scale, fresh);
        // SAFETY (both calls): the processor has AVX-512F (checked just above).
        if let Some(values) = T::as_f64(values) {
            let rows = values.as_chunks::<TILE>().0;
            unsafe { avx512::rank_update_upper_wide::<f64, TILE>(rows, len, out) };
            return;
        }
        if let Some(values) = T::as_f32(values) {
            let rows = values.as_chunks::<TILE>().0;
            unsafe { avx512::rank_update_upper_wide::<f32, TILE>(rows, len, out) };
            return;
        }
    }
    rank_update_upper::<FMA, T, TILE>(rows, rows, len, (lane_sums, scale, fresh));
}

/// The rows of one tile (`weighted`, `centred`) and its number of whole groups of points.
struct Tile<'a, T, const TILE: usize> {
    weighted: &'a [[T; TILE]],
    centred: &'a [[T; TILE]],
    groups: usize,
}

impl<T, const TILE: usize> Tile<'_, T, TILE> {
    /// `N` rows of the weighted values from row `a`, side by side at a fixed pitch.
    #[inline(always)]
    fn weighted<const N: usize>(&self, a: usize) -> &[[T; TILE]; N] {
        self.weighted[a..a + N].try_into().expect("N rows")
    }

    /// `N` rows of the centred values from row `b`.
    #[inline(always)]
    fn centred<const N: usize>(&self, b: usize) -> &[[T; TILE]; N] {
        self.centred[b..b + N].try_into().expect("N rows")
    }
}

/// The pairs of rows `a..a + R` with every column at or after their own: first the small
/// triangle the rows make among themselves before column `a + R - 1`, one row at a time
/// (row `a + r` with columns `a + r .. a + R - 1`), then blocks of all `R` rows and up to
/// [`COLUMNS`] columns from column `a + R - 1` on (every pair of those in the upper triangle).
#[inline(always)]
fn row_group<const FMA: bool, T: Lane, const R: usize, const TILE: usize>(
    tile: &Tile<'_, T, TILE>,
    a: usize,
    (lane_sums, scale, fresh): (&mut [f64], f64, bool),
) {
    let d = tile.weighted.len();
    for r in 0..R - 1 {
        let (row, b) = (a + r, a + r);
        let w = tile.weighted::<1>(row);
        match R - 1 - r {
            1 => block::<FMA, T, 1, 1, TILE>(
                w,
                tile.centred::<1>(b),
                tile.groups,
                (row, b, d),
                (&mut *lane_sums, scale, fresh),
            ),
            _ => block::<FMA, T, 1, 2, TILE>(
                w,
                tile.centred::<2>(b),
                tile.groups,
                (row, b, d),
                (&mut *lane_sums, scale, fresh),
            ),
        }
    }
    let w = tile.weighted::<R>(a);
    let mut b = a + R - 1;
    while b < d {
        let at = (a, b, d);
        match (d - b).min(COLUMNS) {
            4 => block::<FMA, T, R, 4, TILE>(
                w,
                tile.centred::<4>(b),
                tile.groups,
                at,
                (&mut *lane_sums, scale, fresh),
            ),
            3 => block::<FMA, T, R, 3, TILE>(
                w,
                tile.centred::<3>(b),
                tile.groups,
                at,
                (&mut *lane_sums, scale, fresh),
            ),
            2 => block::<FMA, T, R, 2, TILE>(
                w,
                tile.centred::<2>(b),
                tile.groups,
                at,
                (&mut *lane_sums, scale, fresh),
            ),
            _ => block::<FMA, T, R, 1, TILE>(
                w,
                tile.centred::<1>(b),
                tile.groups,
                at,
                (&mut *lane_sums, scale, fresh),
            ),
        }
        b += COLUMNS;
    }
}

/// One block of `R` rows starting at `a` and `C` columns starting at `b` (`(a, b, d)`): the
/// lane sums of `w_{a + r} dc_{b + q}` over the first `groups` groups of points of the tile,
/// added to the pairs `(a + r, b + q)` (all in the upper triangle: the caller only asks for
/// `a + R - 1 <= b` or the single diagonal pair), with one register of accumulators per
/// pair: with `f64` the two halves of each group of [`LANES`] one after the other, with
/// `f32` the whole group at once. The rows are arrays at a fixed pitch, so every load is at
/// a constant offset from one pointer per side and needs no bounds check.
#[inline(always)]
fn block<const FMA: bool, T: Lane, const R: usize, const C: usize, const TILE: usize>(
    w: &[[T; TILE]; R],
    c: &[[T; TILE]; C],
    groups: usize,
    (a, b, d): (usize, usize, usize),
    (lane_sums, scale, fresh): (&mut [f64], f64, bool),
) {
    let groups = groups.min(TILE / LANES);
    let h_lanes = T::REGISTER_LANES;
    for h in 0..LANES / h_lanes {
        let mut acc = [[T::zero_register(); C]; R];
        for n in 0..groups {
            let at = n * LANES + h * h_lanes;
            // Plain loops, not `std::array::from_fn`: its closure is compiled without the
            // caller's AVX2 + FMA and the loads stay calls (2.5x slower). One column's
            // register at a time, so that the accumulators and the rows fit in registers.
            let mut wg = [T::zero_register(); R];
            for (g, row) in wg.iter_mut().zip(w) {
                *g = T::load_register::<FMA>(&row[at..]);
            }
            for (q, row) in c.iter().enumerate() {
                let cg = T::load_register::<FMA>(&row[at..]);
                for r in 0..R {
                    acc[r][q] = T::fma_register::<FMA>(wg[r], cg, acc[r][q]);
                }
            }
        }
        for (r, acc_r) in acc.iter().enumerate() {
            for (q, acc_rq) in acc_r.iter().enumerate() {
                let pair = pair_index(a + r, b + q, d);
                T::add_scaled_register::<FMA>(
                    *acc_rq,
                    scale,
                    &mut lane_sums[pair * LANES + h * h_lanes..],
                    fresh,
                );
            }
        }
    }
}
