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
