//! The rank update of the centred scatter over one tile of points, blocked over three rows
//! and up to four columns so that each load of a group of differences feeds several
//! independent chains of fused multiply-adds.

use crate::simd::{LANES, Lane};

/// Columns per block: with three rows, 12 accumulators, the three rows' registers and one
/// column register at a time fill the 16 registers of AVX2.
const COLUMNS: usize = 4;

/// Rows per group: each load of a column's register feeds this many chains.
const ROWS: usize = 3;

/// Index of the pair `(a, b)`, `a <= b`, among the pairs of `d` features in row order of
/// the upper triangle.
#[inline(always)]
fn pair_index(a: usize, b: usize, d: usize) -> usize {
    a * (2 * d - a + 1) / 2 + (b - a)
}

/// Adds `sum_n w_{a,n} dc_{b,n}` (`w` in `weighted`, `dc` in `centred`, which may be the same
/// slice) for every pair `a <= b` of the `d` features of one tile (`len` points, a multiple
/// of [`LANES`], rows of `tile` values) into `lane_sums` (one group of [`LANES`] per pair,
/// pairs in row order of the upper triangle).
///
/// Rows are taken [`ROWS`] at a time (fewer for the last ones), see [`row_group`]. Every lane
/// of every pair still sums its points in increasing order from zero before being added to
/// `lane_sums`, so the result is the same bit for bit whatever the blocking.
///
/// The products are summed over the tile in `T` and the tile's sums, multiplied by `scale`
/// (what the tile's weights were divided by: 1 for `f64`, exact), added to `lane_sums`
/// in `f64`. The blocks hold one register of lanes per accumulator: with `f64` (4 to a
/// register) they run over the two halves of each group of [`LANES`] one after the other,
/// with `f32` (8) over the whole group at once.
#[inline(always)]
pub(super) fn rank_update_upper<const FMA: bool, T: Lane>(
    weighted: &[T],
    centred: &[T],
    tile: usize,
    len: usize,
    d: usize,
    sink: (&mut [f64], f64),
) {
    debug_assert_eq!(len % LANES, 0);
    let rows = Rows {
        weighted,
        centred,
        tile,
        len,
        d,
    };
    let (lane_sums, scale) = sink;
    let mut a = 0;
    while a < d {
        match d - a {
            1 => row_group::<FMA, T, 1>(&rows, a, lane_sums, scale),
            2 => row_group::<FMA, T, 2>(&rows, a, lane_sums, scale),
            _ => row_group::<FMA, T, ROWS>(&rows, a, lane_sums, scale),
        }
        a += ROWS.min(d - a);
    }
}

/// The rows of one tile: `weighted` and `centred`, `d` rows of `tile` values of which the
/// first `len` are points.
struct Rows<'a, T> {
    weighted: &'a [T],
    centred: &'a [T],
    tile: usize,
    len: usize,
    d: usize,
}

impl<T> Rows<'_, T> {
    /// Row `a` of the weighted values.
    #[inline(always)]
    fn weighted(&self, a: usize) -> &[T] {
        &self.weighted[a * self.tile..a * self.tile + self.len]
    }

    /// Row `b` of the centred values.
    #[inline(always)]
    fn centred(&self, b: usize) -> &[T] {
        &self.centred[b * self.tile..b * self.tile + self.len]
    }
}

/// The pairs of rows `a..a + R` with every column at or after their own: first the small
/// triangle the rows make among themselves before column `a + R - 1`, one row at a time
/// (row `a + r` with columns `a + r .. a + R - 1`), then blocks of all `R` rows and up to
/// [`COLUMNS`] columns from column `a + R - 1` on (every pair of those in the upper triangle).
#[inline(always)]
fn row_group<const FMA: bool, T: Lane, const R: usize>(
    rows: &Rows<'_, T>,
    a: usize,
    lane_sums: &mut [f64],
    scale: f64,
) {
    let d = rows.d;
    for r in 0..R - 1 {
        let w = [rows.weighted(a + r)];
        let b = a + r;
        match R - 1 - r {
            1 => block::<FMA, T, 1, 1>(w, [rows.centred(b)], a + r, b, d, lane_sums, scale),
            _ => block::<FMA, T, 1, 2>(
                w,
                [rows.centred(b), rows.centred(b + 1)],
                a + r,
                b,
                d,
                lane_sums,
                scale,
            ),
        }
    }
    let w: [&[T]; R] = std::array::from_fn(|r| rows.weighted(a + r));
    let mut b = a + R - 1;
    while b < d {
        match (d - b).min(COLUMNS) {
            4 => block::<FMA, T, R, 4>(
                w,
                std::array::from_fn(|q| rows.centred(b + q)),
                a,
                b,
                d,
                lane_sums,
                scale,
            ),
            3 => block::<FMA, T, R, 3>(
                w,
                std::array::from_fn(|q| rows.centred(b + q)),
                a,
                b,
                d,
                lane_sums,
                scale,
            ),
            2 => block::<FMA, T, R, 2>(
                w,
                std::array::from_fn(|q| rows.centred(b + q)),
                a,
                b,
                d,
                lane_sums,
                scale,
            ),
            _ => block::<FMA, T, R, 1>(w, [rows.centred(b)], a, b, d, lane_sums, scale),
        }
        b += COLUMNS;
    }
}

/// One block of `R` rows starting at `a` and `C` columns starting at `b`: the lane sums of
/// `w_{a + r} dc_{b + q}` over the tile, added to the pairs `(a + r, b + q)` (all in the upper
/// triangle: the caller only asks for `a + R - 1 <= b` or the single diagonal pair), with
/// one register of accumulators per pair: with `f64` the two halves of each group of
/// [`LANES`] one after the other, with `f32` the whole group at once.
#[inline(always)]
fn block<const FMA: bool, T: Lane, const R: usize, const C: usize>(
    w: [&[T]; R],
    c: [&[T]; C],
    a: usize,
    b: usize,
    d: usize,
    lane_sums: &mut [f64],
    scale: f64,
) {
    // The rows as whole groups of lanes, each exactly `groups` long, so that the loads in
    // the loop below need no bounds checks.
    let groups = w[0].len() / LANES;
    let mut w_groups: [&[[T; LANES]]; R] = [&[]; R];
    for (dst, row) in w_groups.iter_mut().zip(&w) {
        *dst = &row.as_chunks::<LANES>().0[..groups];
    }
    let mut c_groups: [&[[T; LANES]]; C] = [&[]; C];
    for (dst, row) in c_groups.iter_mut().zip(&c) {
        *dst = &row.as_chunks::<LANES>().0[..groups];
    }
    let h_lanes = T::REGISTER_LANES;
    for h in 0..LANES / h_lanes {
        let mut acc = [[T::zero_register(); C]; R];
        for n in 0..groups {
            // Plain loops, not `std::array::from_fn`: its closure is compiled without the
            // caller's AVX2 + FMA and the loads stay calls (2.5x slower). One column's
            // register at a time, so that the accumulators and the rows fit in registers.
            let mut wg = [T::zero_register(); R];
            for (g, row) in wg.iter_mut().zip(&w_groups) {
                *g = T::load_register::<FMA>(&row[n][h * h_lanes..]);
            }
            for (q, row) in c_groups.iter().enumerate() {
                let cg = T::load_register::<FMA>(&row[n][h * h_lanes..]);
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
                );
            }
        }
    }
}
