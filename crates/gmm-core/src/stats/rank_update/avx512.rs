//! The `f64` rank update of [`super::rank_update_upper`] on AVX-512 registers, for processors
//! that have them: one 512-bit register holds a whole group of [`LANES`] points, so each
//! pair of features takes one accumulator instead of two, and the 32 registers hold blocks
//! of four rows by four columns. The same products summed in the same order per lane, so
//! the same bits as the AVX2 copy.

#![cfg(target_arch = "x86_64")]

use std::arch::x86_64::{
    __m512d, _mm512_add_pd, _mm512_fmadd_pd, _mm512_loadu_pd, _mm512_setzero_pd, _mm512_storeu_pd,
};

use super::pair_index;
use crate::simd::LANES;

/// Rows per block.
const ROWS: usize = 4;

/// Columns per block: 16 accumulators, four rows and one column in registers.
const COLUMNS: usize = 4;

/// Adds `sum_n u_{a,n} u_{b,n}` for every pair `a <= b` of the `rows` of one tile (the first
/// `len` points of each, a multiple of [`LANES`]) into `lane_sums` (one group of [`LANES`]
/// per pair, pairs in row order of the upper triangle), or writes it there when `fresh`:
/// [`super::rank_update_upper`] with `weighted` and `centred` the same rows and a scale of
/// 1 (`f64`), on 512-bit registers. Rows are taken four at a time: first the triangle they
/// make among themselves (the diagonal included), then blocks of up to four columns after
/// them. Every lane of every pair sums its points in increasing order from zero, as there.
///
/// # Safety
/// The processor must support AVX-512F ([`crate::simd::has_avx512f`]).
#[target_feature(enable = "avx2,fma,avx512f")]
pub(in crate::stats) unsafe fn rank_update_upper_f64<const TILE: usize>(
    rows: &[[f64; TILE]],
    len: usize,
    lane_sums: &mut [f64],
    fresh: bool,
) {
    debug_assert_eq!(len % LANES, 0);
    let d = rows.len();
    let groups = len.min(TILE) / LANES;
    let out = (lane_sums, fresh);
    let mut a = 0;
    while a < d {
        let r = ROWS.min(d - a);
        // SAFETY (every call below): AVX-512F, this function's own requirement.
        match r {
            4 => unsafe { row_group::<4, TILE>(rows, a, groups, (&mut *out.0, out.1)) },
            3 => unsafe { row_group::<3, TILE>(rows, a, groups, (&mut *out.0, out.1)) },
            2 => unsafe { row_group::<2, TILE>(rows, a, groups, (&mut *out.0, out.1)) },
            _ => unsafe { row_group::<1, TILE>(rows, a, groups, (&mut *out.0, out.1)) },
        }
        a += r;
    }
}

/// Rows `a..a + R`: their triangle, then the blocks of columns from `a + R` on.
#[target_feature(enable = "avx2,fma,avx512f")]
unsafe fn row_group<const R: usize, const TILE: usize>(
    rows: &[[f64; TILE]],
    a: usize,
    groups: usize,
    (lane_sums, fresh): (&mut [f64], bool),
) {
    let d = rows.len();
    let w: &[[f64; TILE]; R] = rows[a..a + R].try_into().expect("R rows");
    // SAFETY (every call below): AVX-512F, this function's own requirement.
    unsafe { triangle::<R, TILE>(w, groups, (a, d), (&mut *lane_sums, fresh)) };
    let mut b = a + R;
    while b < d {
        let at = (a, b, d);
        let sums = (&mut *lane_sums, fresh);
        match (d - b).min(COLUMNS) {
            4 => unsafe { block::<R, 4, TILE>(w, columns(rows, b), groups, at, sums) },
            3 => unsafe { block::<R, 3, TILE>(w, columns(rows, b), groups, at, sums) },
            2 => unsafe { block::<R, 2, TILE>(w, columns(rows, b), groups, at, sums) },
            _ => unsafe { block::<R, 1, TILE>(w, columns(rows, b), groups, at, sums) },
        }
        b += COLUMNS;
    }
}

/// `C` rows from `b`.
#[inline(always)]
fn columns<const C: usize, const TILE: usize>(rows: &[[f64; TILE]], b: usize) -> &[[f64; TILE]; C] {
    rows[b..b + C].try_into().expect("C rows")
}

/// The pairs `(a + i, a + j)`, `i <= j < R`, of the rows `w` (from row `a` of `d`).
#[target_feature(enable = "avx2,fma,avx512f")]
unsafe fn triangle<const R: usize, const TILE: usize>(
    w: &[[f64; TILE]; R],
    groups: usize,
    (a, d): (usize, usize),
    (lane_sums, fresh): (&mut [f64], bool),
) {
    let groups = groups.min(TILE / LANES);
    let mut acc = [[_mm512_setzero_pd(); R]; R];
    for n in 0..groups {
        let mut wg = [_mm512_setzero_pd(); R];
        for (g, row) in wg.iter_mut().zip(w) {
            *g = load(&row[n * LANES..]);
        }
        for i in 0..R {
            for j in i..R {
                acc[i][j] = _mm512_fmadd_pd(wg[i], wg[j], acc[i][j]);
            }
        }
    }
    for i in 0..R {
        for j in i..R {
            add_to(
                acc[i][j],
                &mut lane_sums[pair_index(a + i, a + j, d) * LANES..],
                fresh,
            );
        }
    }
}

/// The pairs of the rows `w` (from row `a`) and the columns `c` (from row `b`, after them).
#[target_feature(enable = "avx2,fma,avx512f")]
unsafe fn block<const R: usize, const C: usize, const TILE: usize>(
    w: &[[f64; TILE]; R],
    c: &[[f64; TILE]; C],
    groups: usize,
    (a, b, d): (usize, usize, usize),
    (lane_sums, fresh): (&mut [f64], bool),
) {
    let groups = groups.min(TILE / LANES);
    let mut acc = [[_mm512_setzero_pd(); C]; R];
    for n in 0..groups {
        let at = n * LANES;
        let mut wg = [_mm512_setzero_pd(); R];
        for (g, row) in wg.iter_mut().zip(w) {
            *g = load(&row[at..]);
        }
        for (q, row) in c.iter().enumerate() {
            let cg = load(&row[at..]);
            for r in 0..R {
                acc[r][q] = _mm512_fmadd_pd(wg[r], cg, acc[r][q]);
            }
        }
    }
    for (r, acc_r) in acc.iter().enumerate() {
        for (q, acc_rq) in acc_r.iter().enumerate() {
            add_to(
                *acc_rq,
                &mut lane_sums[pair_index(a + r, b + q, d) * LANES..],
                fresh,
            );
        }
    }
}

/// The first [`LANES`] values of `s` in a register.
#[inline(always)]
fn load(s: &[f64]) -> __m512d {
    let s: &[f64; LANES] = s[..LANES].try_into().expect("a group of lanes");
    // SAFETY: `s` holds 8 values (unaligned load); only called from functions compiled
    // for AVX-512F.
    unsafe { _mm512_loadu_pd(s.as_ptr()) }
}

/// Adds `v` to the first [`LANES`] values of `sums` (to zeros when `fresh`): the AVX2 copy's
/// `sums + scale * v` with a scale of 1, and `1 * v` is `v` for every `v`, so the same bits.
#[inline(always)]
fn add_to(v: __m512d, sums: &mut [f64], fresh: bool) {
    let sums: &mut [f64; LANES] = (&mut sums[..LANES]).try_into().expect("a group of lanes");
    // SAFETY: as in `load`; `sums` holds 8 values.
    unsafe {
        let before = if fresh {
            _mm512_setzero_pd()
        } else {
            _mm512_loadu_pd(sums.as_ptr())
        };
        let total = _mm512_add_pd(before, v);
        _mm512_storeu_pd(sums.as_mut_ptr(), total);
    }
}
