//! Arithmetic on one register of four `f64` lanes ([`F64Register`]) beyond what [`Lane`]
//! offers: the operations of the vectorised `exp` and of the responsibilities, which the
//! compiler left scalar when they were written as loops over arrays (a third of the E-step's
//! instructions at D = 8, with a branch per lane).
//!
//! With `FMA` (the caller is compiled for AVX2 + FMA, see
//! [`avx2_fma_dispatch!`](super::avx2_fma_dispatch)) each function is one or two AVX2
//! instructions; otherwise the same operation lane by lane through an array. Both give the
//! same bits for every input, NaN included, so the two copies of the E-step differ only
//! where fused and unfused multiply-adds do.

use super::{Lane, from_array_f64, to_array_f64};

/// Four `f64` lanes in a register: `__m256d` on x86-64.
pub(crate) type F64Register = <f64 as Lane>::Register;

/// `f(a, b)` lane by lane through arrays: the portable copy of every operation below.
#[inline(always)]
fn lanewise(a: F64Register, b: F64Register, f: impl Fn(f64, f64) -> f64) -> F64Register {
    let (a, b) = (to_array_f64(a), to_array_f64(b));
    from_array_f64([f(a[0], b[0]), f(a[1], b[1]), f(a[2], b[2]), f(a[3], b[3])])
}

/// `a + b`.
#[inline(always)]
pub(crate) fn add<const FMA: bool>(a: F64Register, b: F64Register) -> F64Register {
    #[cfg(target_arch = "x86_64")]
    if FMA {
        // SAFETY: `FMA` is true only in code compiled for AVX2 + FMA, run on processors that
        // have them (`avx2_fma_dispatch!`).
        return unsafe { std::arch::x86_64::_mm256_add_pd(a, b) };
    }
    lanewise(a, b, |a, b| a + b)
}

/// `a - b`.
#[inline(always)]
pub(crate) fn sub<const FMA: bool>(a: F64Register, b: F64Register) -> F64Register {
    #[cfg(target_arch = "x86_64")]
    if FMA {
        // SAFETY: as in `add`.
        return unsafe { std::arch::x86_64::_mm256_sub_pd(a, b) };
    }
    lanewise(a, b, |a, b| a - b)
}

/// `a * b`.
#[inline(always)]
pub(crate) fn mul<const FMA: bool>(a: F64Register, b: F64Register) -> F64Register {
    #[cfg(target_arch = "x86_64")]
    if FMA {
        // SAFETY: as in `add`.
        return unsafe { std::arch::x86_64::_mm256_mul_pd(a, b) };
    }
    lanewise(a, b, |a, b| a * b)
}

/// `if a > b { a } else { b }` lane by lane: `b` when either is NaN (the x86 `max`
/// instruction's rule), so `max(bound, x)` keeps a NaN `x`.
#[inline(always)]
pub(crate) fn max<const FMA: bool>(a: F64Register, b: F64Register) -> F64Register {
    #[cfg(target_arch = "x86_64")]
    if FMA {
        // SAFETY: as in `add`.
        return unsafe { std::arch::x86_64::_mm256_max_pd(a, b) };
    }
    lanewise(a, b, |a, b| if a > b { a } else { b })
}

/// `if a < b { a } else { b }` lane by lane: `b` when either is NaN.
#[inline(always)]
pub(crate) fn min<const FMA: bool>(a: F64Register, b: F64Register) -> F64Register {
    #[cfg(target_arch = "x86_64")]
    if FMA {
        // SAFETY: as in `add`.
        return unsafe { std::arch::x86_64::_mm256_min_pd(a, b) };
    }
    lanewise(a, b, |a, b| if a < b { a } else { b })
}

/// `-a` (the sign bit flipped, exact).
#[inline(always)]
pub(crate) fn neg<const FMA: bool>(a: F64Register) -> F64Register {
    #[cfg(target_arch = "x86_64")]
    if FMA {
        // SAFETY: as in `add`.
        return unsafe {
            std::arch::x86_64::_mm256_xor_pd(a, std::arch::x86_64::_mm256_set1_pd(-0.0))
        };
    }
    let a = to_array_f64(a);
    from_array_f64([-a[0], -a[1], -a[2], -a[3]])
}

/// Lane by lane, `if a < b { if_less } else { otherwise }`; a NaN in `a` or `b` takes
/// `otherwise`.
#[inline(always)]
pub(crate) fn select_less<const FMA: bool>(
    a: F64Register,
    b: F64Register,
    if_less: F64Register,
    otherwise: F64Register,
) -> F64Register {
    #[cfg(target_arch = "x86_64")]
    if FMA {
        use std::arch::x86_64::{_CMP_LT_OQ, _mm256_blendv_pd, _mm256_cmp_pd};
        // SAFETY: as in `add`.
        return unsafe { _mm256_blendv_pd(otherwise, if_less, _mm256_cmp_pd::<_CMP_LT_OQ>(a, b)) };
    }
    let (a, b) = (to_array_f64(a), to_array_f64(b));
    let (t, f) = (to_array_f64(if_less), to_array_f64(otherwise));
    from_array_f64(std::array::from_fn(
        |l| if a[l] < b[l] { t[l] } else { f[l] },
    ))
}

/// `2^n` for each lane of `shifted`, an integer `n` held in the low bits of its mantissa by
/// adding `shifter` (`1.5 * 2^52`): `(bits(shifted) - bits(shifter) + 1023) << 52` with
/// wrapping 64-bit integer arithmetic, as the scalar `exp` builds its scale.
#[inline(always)]
pub(crate) fn power_of_two_from_shifted<const FMA: bool>(
    shifted: F64Register,
    shifter: f64,
) -> F64Register {
    #[cfg(target_arch = "x86_64")]
    if FMA {
        use std::arch::x86_64::{
            _mm256_add_epi64, _mm256_castpd_si256, _mm256_castsi256_pd, _mm256_set1_epi64x,
            _mm256_slli_epi64, _mm256_sub_epi64,
        };
        // SAFETY: as in `add` (AVX2's 64-bit integer lanes).
        return unsafe {
            let n = _mm256_sub_epi64(
                _mm256_castpd_si256(shifted),
                _mm256_set1_epi64x(shifter.to_bits() as i64),
            );
            _mm256_castsi256_pd(_mm256_slli_epi64::<52>(_mm256_add_epi64(
                n,
                _mm256_set1_epi64x(1023),
            )))
        };
    }
    let s = to_array_f64(shifted);
    from_array_f64(std::array::from_fn(|l| {
        let n = s[l].to_bits().wrapping_sub(shifter.to_bits());
        f64::from_bits(n.wrapping_add(1023) << 52)
    }))
}

/// `a / b` (correctly rounded, as the scalar division).
#[inline(always)]
pub(crate) fn div<const FMA: bool>(a: F64Register, b: F64Register) -> F64Register {
    #[cfg(target_arch = "x86_64")]
    if FMA {
        // SAFETY: as in `add`.
        return unsafe { std::arch::x86_64::_mm256_div_pd(a, b) };
    }
    lanewise(a, b, |a, b| a / b)
}

/// Whether every lane is a normal positive number below infinity (`2^-1022 <= x < inf`);
/// false when any lane is zero, subnormal, negative, infinite or NaN.
#[inline(always)]
pub(crate) fn all_positive_normal<const FMA: bool>(x: F64Register) -> bool {
    #[cfg(target_arch = "x86_64")]
    if FMA {
        use std::arch::x86_64::{
            _CMP_GE_OQ, _CMP_LT_OQ, _mm256_and_pd, _mm256_cmp_pd, _mm256_movemask_pd,
            _mm256_set1_pd,
        };
        // SAFETY: as in `add`.
        return unsafe {
            let low = _mm256_cmp_pd::<_CMP_GE_OQ>(x, _mm256_set1_pd(f64::MIN_POSITIVE));
            let high = _mm256_cmp_pd::<_CMP_LT_OQ>(x, _mm256_set1_pd(f64::INFINITY));
            _mm256_movemask_pd(_mm256_and_pd(low, high)) == 0b1111
        };
    }
    to_array_f64(x)
        .iter()
        .all(|&v| (f64::MIN_POSITIVE..f64::INFINITY).contains(&v))
}

/// For lanes that are normal positive numbers, `(k, m)` with `x = 2^k m` and `m` in
/// `[sqrt(2) / 2, sqrt(2))` (`k` an integer held as `f64`), from the bits as fdlibm's `log`
/// takes them: the high word is offset so that mantissas from `sqrt(2)` up carry into the
/// exponent, and the mantissa is given the exponent of `[sqrt(2) / 2, sqrt(2))` back. Exact.
#[inline(always)]
pub(crate) fn exponent_and_mantissa<const FMA: bool>(x: F64Register) -> (F64Register, F64Register) {
    // 1 - sqrt(2) / 2 in the high word: 0x3ff00000 - 0x3fe6a09e, shifted to the top half
    const OFFSET: u64 = (0x3ff0_0000 - 0x3fe6_a09e) << 32;
    const MANTISSA: u64 = 0x000f_ffff_ffff_ffff;
    const LOW_EXPONENT: u64 = 0x3fe6_a09e << 32;
    // 2^52 as bits: OR-ing a small integer into its mantissa gives 2^52 + n exactly
    const TWO_52: u64 = 0x4330_0000_0000_0000;
    #[cfg(target_arch = "x86_64")]
    if FMA {
        use std::arch::x86_64::{
            _mm256_add_epi64, _mm256_and_si256, _mm256_castpd_si256, _mm256_castsi256_pd,
            _mm256_or_si256, _mm256_set1_epi64x, _mm256_set1_pd, _mm256_srli_epi64, _mm256_sub_pd,
        };
        // SAFETY: as in `add` (AVX2's 64-bit integer lanes).
        return unsafe {
            let u = _mm256_add_epi64(_mm256_castpd_si256(x), _mm256_set1_epi64x(OFFSET as i64));
            let biased = _mm256_or_si256(
                _mm256_srli_epi64::<52>(u),
                _mm256_set1_epi64x(TWO_52 as i64),
            );
            let k = _mm256_sub_pd(
                _mm256_castsi256_pd(biased),
                _mm256_set1_pd(f64::from_bits(TWO_52) + 1023.0),
            );
            let m = _mm256_add_epi64(
                _mm256_and_si256(u, _mm256_set1_epi64x(MANTISSA as i64)),
                _mm256_set1_epi64x(LOW_EXPONENT as i64),
            );
            (k, _mm256_castsi256_pd(m))
        };
    }
    let lanes = to_array_f64(x).map(|v| {
        let u = v.to_bits().wrapping_add(OFFSET);
        let k = f64::from_bits((u >> 52) | TWO_52) - (f64::from_bits(TWO_52) + 1023.0);
        (k, f64::from_bits((u & MANTISSA) + LOW_EXPONENT))
    });
    (
        from_array_f64(lanes.map(|(k, _)| k)),
        from_array_f64(lanes.map(|(_, m)| m)),
    )
}

/// The transpose of four registers taken as the rows of a 4 x 4 matrix: lane `j` of row `i`
/// becomes lane `i` of row `j`. Exact (it only moves values).
#[inline(always)]
pub(crate) fn transpose4<const FMA: bool>(rows: [F64Register; 4]) -> [F64Register; 4] {
    #[cfg(target_arch = "x86_64")]
    if FMA {
        use std::arch::x86_64::{_mm256_permute2f128_pd, _mm256_unpackhi_pd, _mm256_unpacklo_pd};
        // SAFETY: as in `add`.
        return unsafe {
            // [r0_0 r1_0 r0_2 r1_2], [r0_1 r1_1 r0_3 r1_3], and the same for rows 2 and 3
            let low01 = _mm256_unpacklo_pd(rows[0], rows[1]);
            let high01 = _mm256_unpackhi_pd(rows[0], rows[1]);
            let low23 = _mm256_unpacklo_pd(rows[2], rows[3]);
            let high23 = _mm256_unpackhi_pd(rows[2], rows[3]);
            [
                _mm256_permute2f128_pd::<0x20>(low01, low23),
                _mm256_permute2f128_pd::<0x20>(high01, high23),
                _mm256_permute2f128_pd::<0x31>(low01, low23),
                _mm256_permute2f128_pd::<0x31>(high01, high23),
            ]
        };
    }
    let r = rows.map(to_array_f64);
    std::array::from_fn(|j| from_array_f64(std::array::from_fn(|i| r[i][j])))
}
