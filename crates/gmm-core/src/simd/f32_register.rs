//! Arithmetic on one register of eight `f32` lanes ([`F32Register`]) beyond what [`Lane`]
//! offers: the operations of the single-precision `exp` and responsibilities, and the
//! conversions between a register of `f32` and two of `f64`.
//!
//! With `FMA` (the caller is compiled for AVX2 + FMA, see
//! [`avx2_fma_dispatch!`](super::avx2_fma_dispatch)) each function is one or a few AVX2
//! instructions; otherwise the same operation lane by lane through an array, with the same
//! bits for every input, NaN included.

use super::f64_register::F64Register;
use super::{Lane, from_array_f32, from_array_f64, to_array_f32, to_array_f64};

/// Eight `f32` lanes in a register: `__m256` on x86-64.
pub(crate) type F32Register = <f32 as Lane>::Register;

/// `f(a, b)` lane by lane through arrays: the portable copy of the operations below.
#[inline(always)]
fn lanewise(a: F32Register, b: F32Register, f: impl Fn(f32, f32) -> f32) -> F32Register {
    let (a, b) = (to_array_f32(a), to_array_f32(b));
    from_array_f32([
        f(a[0], b[0]),
        f(a[1], b[1]),
        f(a[2], b[2]),
        f(a[3], b[3]),
        f(a[4], b[4]),
        f(a[5], b[5]),
        f(a[6], b[6]),
        f(a[7], b[7]),
    ])
}

/// `a + b`.
#[inline(always)]
pub(crate) fn add<const FMA: bool>(a: F32Register, b: F32Register) -> F32Register {
    #[cfg(target_arch = "x86_64")]
    if FMA {
        // SAFETY: `FMA` is true only in code compiled for AVX2 + FMA, run on processors that
        // have them (`avx2_fma_dispatch!`).
        return unsafe { std::arch::x86_64::_mm256_add_ps(a, b) };
    }
    lanewise(a, b, |a, b| a + b)
}

/// `a - b`.
#[inline(always)]
pub(crate) fn sub<const FMA: bool>(a: F32Register, b: F32Register) -> F32Register {
    #[cfg(target_arch = "x86_64")]
    if FMA {
        // SAFETY: as in `add`.
        return unsafe { std::arch::x86_64::_mm256_sub_ps(a, b) };
    }
    lanewise(a, b, |a, b| a - b)
}

/// `a * b`.
#[inline(always)]
pub(crate) fn mul<const FMA: bool>(a: F32Register, b: F32Register) -> F32Register {
    #[cfg(target_arch = "x86_64")]
    if FMA {
        // SAFETY: as in `add`.
        return unsafe { std::arch::x86_64::_mm256_mul_ps(a, b) };
    }
    lanewise(a, b, |a, b| a * b)
}

/// `a / b` (correctly rounded, as the scalar division).
#[inline(always)]
pub(crate) fn div<const FMA: bool>(a: F32Register, b: F32Register) -> F32Register {
    #[cfg(target_arch = "x86_64")]
    if FMA {
        // SAFETY: as in `add`.
        return unsafe { std::arch::x86_64::_mm256_div_ps(a, b) };
    }
    lanewise(a, b, |a, b| a / b)
}

/// `if a > b { a } else { b }` lane by lane: `b` when either is NaN (the x86 `max`
/// instruction's rule), so `max(bound, x)` keeps a NaN `x`.
#[inline(always)]
pub(crate) fn max<const FMA: bool>(a: F32Register, b: F32Register) -> F32Register {
    #[cfg(target_arch = "x86_64")]
    if FMA {
        // SAFETY: as in `add`.
        return unsafe { std::arch::x86_64::_mm256_max_ps(a, b) };
    }
    lanewise(a, b, |a, b| if a > b { a } else { b })
}

/// `if a < b { a } else { b }` lane by lane: `b` when either is NaN.
#[inline(always)]
pub(crate) fn min<const FMA: bool>(a: F32Register, b: F32Register) -> F32Register {
    #[cfg(target_arch = "x86_64")]
    if FMA {
        // SAFETY: as in `add`.
        return unsafe { std::arch::x86_64::_mm256_min_ps(a, b) };
    }
    lanewise(a, b, |a, b| if a < b { a } else { b })
}

/// Lane by lane, `if a < b { if_less } else { otherwise }`; a NaN in `a` or `b` takes
/// `otherwise`.
#[inline(always)]
pub(crate) fn select_less<const FMA: bool>(
    a: F32Register,
    b: F32Register,
    if_less: F32Register,
    otherwise: F32Register,
) -> F32Register {
    #[cfg(target_arch = "x86_64")]
    if FMA {
        use std::arch::x86_64::{_CMP_LT_OQ, _mm256_blendv_ps, _mm256_cmp_ps};
        // SAFETY: as in `add`.
        return unsafe { _mm256_blendv_ps(otherwise, if_less, _mm256_cmp_ps::<_CMP_LT_OQ>(a, b)) };
    }
    let (a, b) = (to_array_f32(a), to_array_f32(b));
    let (t, f) = (to_array_f32(if_less), to_array_f32(otherwise));
    from_array_f32(std::array::from_fn(
        |l| if a[l] < b[l] { t[l] } else { f[l] },
    ))
}

/// `2^n` for each lane of `shifted`, an integer `n` held in the low bits of its mantissa by
/// adding `shifter` (`1.5 * 2^23`): `(bits(shifted) - bits(shifter) + 127) << 23` with
/// wrapping 32-bit integer arithmetic (the caller keeps `n` within `-126..=127`).
#[inline(always)]
pub(crate) fn power_of_two_from_shifted<const FMA: bool>(
    shifted: F32Register,
    shifter: f32,
) -> F32Register {
    #[cfg(target_arch = "x86_64")]
    if FMA {
        use std::arch::x86_64::{
            _mm256_add_epi32, _mm256_castps_si256, _mm256_castsi256_ps, _mm256_set1_epi32,
            _mm256_slli_epi32, _mm256_sub_epi32,
        };
        // SAFETY: as in `add` (AVX2's 32-bit integer lanes).
        return unsafe {
            let n = _mm256_sub_epi32(
                _mm256_castps_si256(shifted),
                _mm256_set1_epi32(shifter.to_bits() as i32),
            );
            _mm256_castsi256_ps(_mm256_slli_epi32::<23>(_mm256_add_epi32(
                n,
                _mm256_set1_epi32(127),
            )))
        };
    }
    let s = to_array_f32(shifted);
    from_array_f32(std::array::from_fn(|l| {
        let n = s[l].to_bits().wrapping_sub(shifter.to_bits());
        f32::from_bits(n.wrapping_add(127) << 23)
    }))
}

/// The eight lanes of two registers of `f64` (`low`, then `high`), each rounded to the
/// nearest `f32`.
#[inline(always)]
pub(crate) fn narrow<const FMA: bool>(low: F64Register, high: F64Register) -> F32Register {
    #[cfg(target_arch = "x86_64")]
    if FMA {
        use std::arch::x86_64::{_mm256_castps128_ps256, _mm256_cvtpd_ps, _mm256_insertf128_ps};
        // SAFETY: as in `add`.
        return unsafe {
            _mm256_insertf128_ps::<1>(
                _mm256_castps128_ps256(_mm256_cvtpd_ps(low)),
                _mm256_cvtpd_ps(high),
            )
        };
    }
    let (low, high) = (to_array_f64(low), to_array_f64(high));
    from_array_f32(std::array::from_fn(|l| {
        if l < 4 {
            low[l] as f32
        } else {
            high[l - 4] as f32
        }
    }))
}

/// The eight lanes of a register as two registers of `f64` (the first four, then the last
/// four), exactly.
#[inline(always)]
pub(crate) fn widen<const FMA: bool>(r: F32Register) -> [F64Register; 2] {
    #[cfg(target_arch = "x86_64")]
    if FMA {
        use std::arch::x86_64::{_mm256_castps256_ps128, _mm256_cvtps_pd, _mm256_extractf128_ps};
        // SAFETY: as in `add`.
        return unsafe {
            [
                _mm256_cvtps_pd(_mm256_castps256_ps128(r)),
                _mm256_cvtps_pd(_mm256_extractf128_ps::<1>(r)),
            ]
        };
    }
    let r = to_array_f32(r);
    [
        from_array_f64(std::array::from_fn(|l| f64::from(r[l]))),
        from_array_f64(std::array::from_fn(|l| f64::from(r[l + 4]))),
    ]
}
