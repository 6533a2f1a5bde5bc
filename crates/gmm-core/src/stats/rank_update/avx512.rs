//! The rank update of [`super::rank_update_upper`] (one array of rows with itself) on
//! AVX-512 registers, for processors that have them: a 512-bit register holds a whole group
//! of [`LANES`] `f64` points, or two groups of `f32` points, so each pair of features takes
//! one accumulator instead of two (`f64`) or sums twice the points per instruction (`f32`),
//! and the 32 registers hold blocks of four rows by four columns.
//!
//! In `f64` every lane sums the same products in the same order as the AVX2 copy: the same
//! bits. In `f32` the two halves of a register sum the even and the odd groups of the tile
//! and are added at its end (one more rounding in `f32`, within the tile's 1e-6).

#![cfg(target_arch = "x86_64")]

use std::arch::x86_64::{
    __m256, __m512, __m512d, _mm256_add_ps, _mm256_castpd_ps, _mm512_add_pd, _mm512_castps_pd,
    _mm512_castps512_ps256, _mm512_extractf64x4_pd, _mm512_fmadd_pd, _mm512_fmadd_ps,
    _mm512_loadu_pd, _mm512_loadu_ps, _mm512_maskz_loadu_ps, _mm512_setzero_pd, _mm512_setzero_ps,
    _mm512_storeu_pd,
};

use super::pair_index;
use crate::simd::{LANES, Lane};

/// Rows per block.
const ROWS: usize = 4;

/// Columns per block: 16 accumulators, four rows and one column in registers.
const COLUMNS: usize = 4;

/// A lane type's 512-bit register and what the rank update does with it. Every function is
/// called only from code compiled for AVX-512F.
pub(in crate::stats) trait WideLane: Lane {
    /// The register.
    type Wide: Copy;

    /// Points of a tile's row in one register.
    const POINTS: usize;

    /// A register of zeros.
    fn zero_wide() -> Self::Wide;

    /// The points of `row` from `at` (`Self::POINTS` of them, or fewer before `len`: zeros
    /// after it).
    fn load_wide(row: &[Self], at: usize, len: usize) -> Self::Wide;

    /// `a * b + c`, fused.
    fn fma_wide(a: Self::Wide, b: Self::Wide, c: Self::Wide) -> Self::Wide;

    /// Adds `scale` times the tile's sums in `acc` to the [`LANES`] values of `sums` in
    /// `f64` (to zeros when `fresh`), as the AVX2 copy's `add_scaled_register` does.
    fn add_to(acc: Self::Wide, scale: f64, sums: &mut [f64], fresh: bool);
}

impl WideLane for f64 {
    type Wide = __m512d;
    const POINTS: usize = LANES;

    #[inline(always)]
    fn zero_wide() -> __m512d {
        // SAFETY: AVX-512F (see the trait).
        unsafe { _mm512_setzero_pd() }
    }

    #[inline(always)]
    fn load_wide(row: &[f64], at: usize, _len: usize) -> __m512d {
        let group: &[f64; LANES] = row[at..at + LANES].try_into().expect("a group");
        // SAFETY: 8 values (unaligned load); AVX-512F (see the trait). An `f64` tile's
        // length is a whole number of groups.
        unsafe { _mm512_loadu_pd(group.as_ptr()) }
    }

    #[inline(always)]
    fn fma_wide(a: __m512d, b: __m512d, c: __m512d) -> __m512d {
        // SAFETY: AVX-512F (see the trait).
        unsafe { _mm512_fmadd_pd(a, b, c) }
    }

    /// `0 + v` or `sums + v`: with the scale of 1 of an `f64` tile the AVX2 copy's
    /// `sums + 1 * v`, and `1 * v` is `v` for every `v`, so the same bits.
    #[inline(always)]
    fn add_to(acc: __m512d, scale: f64, sums: &mut [f64], fresh: bool) {
        debug_assert_eq!(scale, 1.0, "f64 tiles are not rescaled");
        let sums: &mut [f64; LANES] = (&mut sums[..LANES]).try_into().expect("a group");
        // SAFETY: `sums` holds 8 values (unaligned load and store); AVX-512F.
        unsafe {
            let before = if fresh {
                _mm512_setzero_pd()
            } else {
                _mm512_loadu_pd(sums.as_ptr())
            };
            _mm512_storeu_pd(sums.as_mut_ptr(), _mm512_add_pd(before, acc));
        }
    }
}

impl WideLane for f32 {
    type Wide = __m512;
    const POINTS: usize = 2 * LANES;

    #[inline(always)]
    fn zero_wide() -> __m512 {
        // SAFETY: AVX-512F (see the trait).
        unsafe { _mm512_setzero_ps() }
    }

    #[inline(always)]
    fn load_wide(row: &[f32], at: usize, len: usize) -> __m512 {
        if at + 2 * LANES <= len {
            let groups: &[f32; 2 * LANES] = row[at..at + 2 * LANES].try_into().expect("2 groups");
            // SAFETY: 16 values (unaligned load); AVX-512F (see the trait).
            return unsafe { _mm512_loadu_ps(groups.as_ptr()) };
        }
        // The tile's last group alone: the upper half zero, whose products add nothing.
        let group: &[f32; LANES] = row[at..at + LANES].try_into().expect("a group");
        // SAFETY: the mask reads the 8 values of `group` only; AVX-512F.
        unsafe { _mm512_maskz_loadu_ps(0x00ff, group.as_ptr()) }
    }

    #[inline(always)]
    fn fma_wide(a: __m512, b: __m512, c: __m512) -> __m512 {
        // SAFETY: AVX-512F (see the trait).
        unsafe { _mm512_fmadd_ps(a, b, c) }
    }

    #[inline(always)]
    fn add_to(acc: __m512, scale: f64, sums: &mut [f64], fresh: bool) {
        // SAFETY: AVX-512F (see the trait).
        let halves: __m256 = unsafe {
            let low = _mm512_castps512_ps256(acc);
            let high = _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(acc), 1));
            _mm256_add_ps(low, high)
        };
        <f32 as Lane>::add_scaled_register::<true>(halves, scale, sums, fresh);
    }
}

/// Adds `scale * sum_n u_{a,n} u_{b,n}` for every pair `a <= b` of the `rows` of one tile
/// (the first `len` points of each, a multiple of [`LANES`]) into `lane_sums` (one group of
/// [`LANES`] per pair, pairs in row order of the upper triangle), or writes it there when
/// `fresh`: [`super::rank_update_upper`] with `weighted` and `centred` the same rows, on
/// 512-bit registers. Rows are taken four at a time: first the triangle they make among
/// themselves (the diagonal included), then blocks of up to four columns after them.
///
/// # Safety
/// The processor must support AVX-512F ([`crate::simd::has_avx512f`]).
#[target_feature(enable = "avx2,fma,avx512f")]
pub(in crate::stats) unsafe fn rank_update_upper_wide<T: WideLane, const TILE: usize>(
    rows: &[[T; TILE]],
    len: usize,
    (lane_sums, scale, fresh): (&mut [f64], f64, bool),
) {
    debug_assert_eq!(len % LANES, 0);
    let d = rows.len();
    let len = len.min(TILE);
    let mut a = 0;
    while a < d {
        let r = ROWS.min(d - a);
        let out = (&mut *lane_sums, scale, fresh);
        // SAFETY (every call below): AVX-512F, this function's own requirement.
        match r {
            4 => unsafe { row_group::<T, 4, TILE>(rows, a, len, out) },
            3 => unsafe { row_group::<T, 3, TILE>(rows, a, len, out) },
            2 => unsafe { row_group::<T, 2, TILE>(rows, a, len, out) },
            _ => unsafe { row_group::<T, 1, TILE>(rows, a, len, out) },
        }
        a += r;
    }
}

/// Rows `a..a + R`: their triangle, then the blocks of columns from `a + R` on.
#[target_feature(enable = "avx2,fma,avx512f")]
unsafe fn row_group<T: WideLane, const R: usize, const TILE: usize>(
    rows: &[[T; TILE]],
    a: usize,
    len: usize,
    (lane_sums, scale, fresh): (&mut [f64], f64, bool),
) {
    let d = rows.len();
    let w: &[[T; TILE]; R] = rows[a..a + R].try_into().expect("R rows");
    // SAFETY (every call below): AVX-512F, this function's own requirement.
    unsafe { triangle::<T, R, TILE>(w, len, (a, d), (&mut *lane_sums, scale, fresh)) };
    let mut b = a + R;
    while b < d {
        let at = (a, b, d);
        let sums = (&mut *lane_sums, scale, fresh);
        match (d - b).min(COLUMNS) {
            4 => unsafe { block::<T, R, 4, TILE>(w, columns(rows, b), len, at, sums) },
            3 => unsafe { block::<T, R, 3, TILE>(w, columns(rows, b), len, at, sums) },
            2 => unsafe { block::<T, R, 2, TILE>(w, columns(rows, b), len, at, sums) },
            _ => unsafe { block::<T, R, 1, TILE>(w, columns(rows, b), len, at, sums) },
        }
        b += COLUMNS;
    }
}

/// `C` rows from `b`.
#[inline(always)]
fn columns<T, const C: usize, const TILE: usize>(rows: &[[T; TILE]], b: usize) -> &[[T; TILE]; C] {
    rows[b..b + C].try_into().expect("C rows")
}

/// The pairs `(a + i, a + j)`, `i <= j < R`, of the rows `w` (from row `a` of `d`).
#[target_feature(enable = "avx2,fma,avx512f")]
unsafe fn triangle<T: WideLane, const R: usize, const TILE: usize>(
    w: &[[T; TILE]; R],
    len: usize,
    (a, d): (usize, usize),
    (lane_sums, scale, fresh): (&mut [f64], f64, bool),
) {
    let mut acc = [[T::zero_wide(); R]; R];
    for at in (0..len).step_by(T::POINTS) {
        let mut wg = [T::zero_wide(); R];
        for (g, row) in wg.iter_mut().zip(w) {
            *g = T::load_wide(row, at, len);
        }
        for i in 0..R {
            for j in i..R {
                acc[i][j] = T::fma_wide(wg[i], wg[j], acc[i][j]);
            }
        }
    }
    for (i, acc_i) in acc.iter().enumerate() {
        for (j, acc_ij) in acc_i.iter().enumerate().skip(i) {
            let pair = pair_index(a + i, a + j, d);
            T::add_to(*acc_ij, scale, &mut lane_sums[pair * LANES..], fresh);
        }
    }
}

/// The pairs of the rows `w` (from row `a`) and the columns `c` (from row `b`, after them).
#[target_feature(enable = "avx2,fma,avx512f")]
unsafe fn block<T: WideLane, const R: usize, const C: usize, const TILE: usize>(
    w: &[[T; TILE]; R],
    c: &[[T; TILE]; C],
    len: usize,
    (a, b, d): (usize, usize, usize),
    (lane_sums, scale, fresh): (&mut [f64], f64, bool),
) {
    let mut acc = [[T::zero_wide(); C]; R];
    for at in (0..len).step_by(T::POINTS) {
        let mut wg = [T::zero_wide(); R];
        for (g, row) in wg.iter_mut().zip(w) {
            *g = T::load_wide(row, at, len);
        }
        for (q, row) in c.iter().enumerate() {
            let cg = T::load_wide(row, at, len);
            for r in 0..R {
                acc[r][q] = T::fma_wide(wg[r], cg, acc[r][q]);
            }
        }
    }
    for (r, acc_r) in acc.iter().enumerate() {
        for (q, acc_rq) in acc_r.iter().enumerate() {
            let pair = pair_index(a + r, b + q, d);
            T::add_to(*acc_rq, scale, &mut lane_sums[pair * LANES..], fresh);
        }
    }
}
