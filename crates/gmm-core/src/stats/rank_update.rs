//! The rank update of the centred scatter over one tile of points, blocked over pairs of
//! rows and up to four columns so that each load of a group of differences feeds several
//! independent chains of fused multiply-adds.

use crate::simd::{LANES, Lane};

/// Columns per block: with two rows, 8 accumulators plus 2 + 4 loads per step.
const COLUMNS: usize = 4;

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
/// Rows are taken two at a time (`a`, `a + 1`): the diagonal pair `(a, a)` alone, then the
/// columns `b > a` in blocks of up to four shared by both rows. Every lane of every pair
/// still sums its points in increasing order from zero before being added to `lane_sums`,
/// so the result is the same bit for bit whatever the blocking.
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
    (lane_sums, scale): (&mut [f64], f64),
) {
    debug_assert_eq!(len % LANES, 0);
    let w_row = |a: usize| &weighted[a * tile..a * tile + len];
    let c_row = |b: usize| &centred[b * tile..b * tile + len];
    let mut a = 0;
    while a < d {
        let rows = if a + 1 < d { 2 } else { 1 };
        block::<FMA, T, 1, 1>([w_row(a)], [c_row(a)], a, a, d, lane_sums, scale);
        if rows == 2 {
            let w = [w_row(a), w_row(a + 1)];
            let mut b = a + 1;
            while b < d {
                match (d - b).min(COLUMNS) {
                    4 => block::<FMA, T, 2, 4>(
                        w,
                        std::array::from_fn(|q| c_row(b + q)),
                        a,
                        b,
                        d,
                        lane_sums,
                        scale,
                    ),
                    3 => block::<FMA, T, 2, 3>(
                        w,
                        std::array::from_fn(|q| c_row(b + q)),
                        a,
                        b,
                        d,
                        lane_sums,
                        scale,
                    ),
                    2 => block::<FMA, T, 2, 2>(
                        w,
                        std::array::from_fn(|q| c_row(b + q)),
                        a,
                        b,
                        d,
                        lane_sums,
                        scale,
                    ),
                    _ => block::<FMA, T, 2, 1>(w, [c_row(b)], a, b, d, lane_sums, scale),
                }
                b += COLUMNS;
            }
        }
        a += rows;
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
    let mut lanes = [T::default(); LANES];
    for h in 0..LANES / h_lanes {
        let mut acc = [[T::zero_register(); C]; R];
        for n in 0..groups {
            // Plain loops, not `std::array::from_fn`: its closure is compiled without the
            // caller's AVX2 + FMA and the loads stay calls (2.5x slower).
            let mut wg = [T::zero_register(); R];
            for (g, row) in wg.iter_mut().zip(&w_groups) {
                *g = T::load_register::<FMA>(&row[n][h * h_lanes..]);
            }
            let mut cg = [T::zero_register(); C];
            for (g, row) in cg.iter_mut().zip(&c_groups) {
                *g = T::load_register::<FMA>(&row[n][h * h_lanes..]);
            }
            for r in 0..R {
                for q in 0..C {
                    acc[r][q] = T::fma_register::<FMA>(wg[r], cg[q], acc[r][q]);
                }
            }
        }
        for (r, acc_r) in acc.iter().enumerate() {
            for (q, acc_rq) in acc_r.iter().enumerate() {
                let pair = pair_index(a + r, b + q, d);
                T::store_register::<FMA>(*acc_rq, &mut lanes);
                let dst =
                    &mut lane_sums[pair * LANES + h * h_lanes..pair * LANES + (h + 1) * h_lanes];
                for (s, v) in dst.iter_mut().zip(&lanes) {
                    *s += scale * v.to_f64();
                }
            }
        }
    }
}
