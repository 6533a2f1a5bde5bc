//! The vectorised `exp` of the E-step: one register of four `f64` lanes at a time, on the
//! operations of [`f64_register`](super::f64_register), and of eight `f32` lanes for the
//! single-precision E-step, on those of [`f32_register`].

use super::Lane;
use super::f32_register::{self, F32Register};
use super::f64_register::{
    F64Register, max, min, mul, neg, power_of_two_from_shifted, select_less, sub,
};

/// `exp` of each lane of a register: `2^n p(r)` with `n` the nearest integer to `x / ln 2`,
/// `r = x - n ln 2` (Cody-Waite: `ln 2` split into a high part with trailing zero bits and
/// the remainder, as in fdlibm) and `p` the degree-13 Taylor polynomial, whose truncation
/// error on `|r| <= ln 2 / 2` is below 1e-17 relative; the result is within a few ulp of the
/// correctly rounded one. Arguments below -708.39 (results under 2^-1022, about 2.2e-308)
/// give 0 instead of a subnormal number, `-inf` gives 0, NaN gives NaN; arguments above 709
/// give `+inf` (the E-step only asks for arguments <= 0).
#[inline(always)]
pub(crate) fn exp_register<const FMA: bool>(x: F64Register) -> F64Register {
    const LOG2_E: f64 = std::f64::consts::LOG2_E;
    const LN2_HI: f64 = f64::from_bits(0x3fe6_2e42_fee0_0000);
    const LN2_LO: f64 = f64::from_bits(0x3dea_39ef_3579_3c76);
    // 1.5 * 2^52: adding it rounds to an integer held in the low bits of the mantissa.
    const SHIFTER: f64 = 6_755_399_441_055_744.0;
    const MIN_ARG: f64 = -708.39;
    const MAX_ARG: f64 = 709.0;
    const COEFFICIENTS: [f64; 13] = [
        1.0 / 479_001_600.0,
        1.0 / 39_916_800.0,
        1.0 / 3_628_800.0,
        1.0 / 362_880.0,
        1.0 / 40_320.0,
        1.0 / 5_040.0,
        1.0 / 720.0,
        1.0 / 120.0,
        1.0 / 24.0,
        1.0 / 6.0,
        0.5,
        1.0,
        1.0,
    ];
    let splat = f64::splat_register::<FMA>;
    let (min_arg, max_arg) = (splat(MIN_ARG), splat(MAX_ARG));
    // The argument clamped to [MIN_ARG, MAX_ARG]; NaN stays NaN (the second operand wins).
    let clamped = min::<FMA>(max_arg, max::<FMA>(min_arg, x));
    let shifted = f64::fma_register::<FMA>(clamped, splat(LOG2_E), splat(SHIFTER));
    let minus_n = neg::<FMA>(sub::<FMA>(shifted, splat(SHIFTER)));
    let r = f64::fma_register::<FMA>(
        minus_n,
        splat(LN2_LO),
        f64::fma_register::<FMA>(minus_n, splat(LN2_HI), clamped),
    );
    let mut p = splat(1.0 / 6_227_020_800.0);
    for c in COEFFICIENTS {
        p = f64::fma_register::<FMA>(p, r, splat(c));
    }
    let value = mul::<FMA>(p, power_of_two_from_shifted::<FMA>(shifted, SHIFTER));
    let underflowed = select_less::<FMA>(x, min_arg, splat(0.0), value);
    select_less::<FMA>(max_arg, x, splat(f64::INFINITY), underflowed)
}

/// `exp` of each lane of a register of `f32`, as [`exp_register`] computes it in `f64`:
/// `2^n p(r)` with `n` the nearest integer to `x / ln 2`, `r = x - n ln 2` (`ln 2` split in
/// two, the high part with 15 trailing zero bits, as in Cephes' `expf`) and `p` the degree-7
/// Taylor polynomial, whose truncation error on `|r| <= ln 2 / 2` is below 6e-9 relative
/// (a tenth of `f32`'s rounding); the result is within a few ulp of `f32` of the correctly
/// rounded one. Arguments below -87.33 (results under 2^-126, about 1.2e-38) give 0 instead
/// of a subnormal number, `-inf` gives 0, NaN gives NaN; arguments above 88 give `+inf`
/// (the E-step only asks for arguments <= 0).
#[inline(always)]
pub(crate) fn exp_f32_register<const FMA: bool>(x: F32Register) -> F32Register {
    const LOG2_E: f32 = std::f32::consts::LOG2_E;
    const LN2_HI: f32 = f32::from_bits(0x3f31_8000);
    const LN2_LO: f32 = -2.121_944_4e-4;
    // 1.5 * 2^23: adding it rounds to an integer held in the low bits of the mantissa.
    const SHIFTER: f32 = 12_582_912.0;
    const MIN_ARG: f32 = -87.33;
    const MAX_ARG: f32 = 88.0;
    const COEFFICIENTS: [f32; 7] = [
        1.0 / 720.0,
        1.0 / 120.0,
        1.0 / 24.0,
        1.0 / 6.0,
        0.5,
        1.0,
        1.0,
    ];
    let splat = f32::splat_register::<FMA>;
    let fma = f32::fma_register::<FMA>;
    let (min_arg, max_arg) = (splat(MIN_ARG), splat(MAX_ARG));
    // The argument clamped to [MIN_ARG, MAX_ARG]; NaN stays NaN (the second operand wins).
    let clamped = f32_register::min::<FMA>(max_arg, f32_register::max::<FMA>(min_arg, x));
    let shifted = fma(clamped, splat(LOG2_E), splat(SHIFTER));
    let n = f32_register::sub::<FMA>(shifted, splat(SHIFTER));
    let minus_n = f32_register::sub::<FMA>(splat(0.0), n);
    let r = fma(minus_n, splat(LN2_LO), fma(minus_n, splat(LN2_HI), clamped));
    let mut p = splat(1.0 / 5_040.0);
    for c in COEFFICIENTS {
        p = fma(p, r, splat(c));
    }
    let value = f32_register::mul::<FMA>(
        p,
        f32_register::power_of_two_from_shifted::<FMA>(shifted, SHIFTER),
    );
    let underflowed = f32_register::select_less::<FMA>(x, min_arg, splat(0.0), value);
    f32_register::select_less::<FMA>(max_arg, x, splat(f32::INFINITY), underflowed)
}
